//! Turns TOML rule sources into a validated, immutable [`Compiled`] ruleset.
//!
//! Three passes, each collecting every problem it finds:
//! 1. syntax: each source is parsed with error recovery (CG101);
//! 2. structure: every table is read key by key (unknown keys, types, values, patterns);
//! 3. resolution: ids are merged across sources, references resolved, cycles found.
//!
//! A source with a syntax error gets only its syntax errors reported, and resolution runs
//! only when no source has one: a recovered syntax tree can miss whole tables, and the
//! structural and reference errors it would cause are noise.

pub(crate) mod reader;

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::ops::Range;

use sha2::{Digest, Sha256};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::compile::reader::{Ctx, TableReader};
use crate::error::{ErrorCode, LineIndex, LoadError, LoadErrors};
use crate::ruleset::{
    AnyOfDef, CapabilityDef, Check, Compiled, Condition, ConditionTest, ContextDef, FieldRule,
    MAX_CAPABILITIES, OperationDef, RequirementDef, RequirementKind, Resolver, Source,
    TosVersionDef, VerifiedBy,
};
use crate::time::Timestamp;

/// Compiles `sources` into a ruleset, or returns every problem found.
pub(crate) fn compile(sources: &[Source<'_>]) -> Result<Compiled, LoadErrors> {
    let mut errors = Vec::new();
    let mut drafts = Vec::with_capacity(sources.len());
    let mut syntax_failed = false;
    for (source_idx, source) in sources.iter().enumerate() {
        let mut ctx = Ctx::new(source.name, source.text);
        let (document, syntax_errors) = DeTable::parse_recoverable(source.text);
        if syntax_errors.is_empty() {
            drafts.push(read_document(&mut ctx, document.get_ref(), source_idx));
        } else {
            // A recovered tree can miss whole tables: structural errors would be noise.
            syntax_failed = true;
            for syntax_error in syntax_errors {
                let span = syntax_error.span().unwrap_or(0..0);
                ctx.error(
                    ErrorCode::TomlSyntax,
                    syntax_message(syntax_error.message()),
                    span,
                );
            }
        }
        errors.extend(ctx.errors);
    }
    if !syntax_failed {
        let mut resolver = Resolve {
            sources,
            errors: Vec::new(),
            lines: sources.iter().map(|_| OnceCell::new()).collect(),
        };
        let compiled = resolver.resolve(drafts);
        errors.extend(resolver.errors);
        if errors.is_empty() {
            return Ok(compiled);
        }
    }
    errors.sort_by_key(|error| {
        let source_idx = sources
            .iter()
            .position(|s| s.name == error.source_name())
            .unwrap_or(usize::MAX);
        (source_idx, error.span().start, error.code())
    });
    errors.dedup();
    Err(LoadErrors::new(errors))
}

/// toml's messages sometimes span several lines; ours never do.
fn syntax_message(message: &str) -> String {
    let one_line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("invalid TOML: {one_line}")
}

/// A location in one of the sources.
#[derive(Clone, Debug)]
struct Loc {
    source_idx: usize,
    span: Range<usize>,
}

/// A reference to an id, with where it was written.
#[derive(Clone, Debug)]
struct Ref {
    name: String,
    loc: Loc,
}

struct DraftRequirement {
    description: Option<String>,
    when: Vec<Condition>,
    kind: RequirementKind,
    verified_by: VerifiedBy,
    resolved_by: Resolver,
    sensitive: bool,
    deadline: Option<Timestamp>,
}

#[derive(Default)]
struct DraftMembers {
    /// Either/or sets (`any_of = [["a"], ["b", "c"]]`), each with where it was written.
    any_of: Vec<(Loc, Vec<Vec<Ref>>)>,
    requirements: Vec<Ref>,
    groups: Vec<Ref>,
    depends_on: Vec<Ref>,
    capabilities: Vec<Ref>,
    context: Vec<Ref>,
}

struct Draft {
    ruleset: Option<(String, String)>,
    /// `None` when the definition has errors: the id still resolves references.
    requirements: Vec<(Ref, Option<DraftRequirement>)>,
    context: Vec<(Ref, Option<FieldRule>, bool)>,
    groups: Vec<(Ref, DraftMembers)>,
    capabilities: Vec<(Ref, DraftMembers)>,
    operations: Vec<(Ref, DraftMembers)>,
    extend_groups: Vec<(Ref, DraftMembers)>,
    extend_capabilities: Vec<(Ref, DraftMembers)>,
    extend_operations: Vec<(Ref, DraftMembers)>,
}

fn read_document(ctx: &mut Ctx<'_>, document: &DeTable<'_>, source_idx: usize) -> Draft {
    let mut draft = Draft {
        ruleset: None,
        requirements: Vec::new(),
        context: Vec::new(),
        groups: Vec::new(),
        capabilities: Vec::new(),
        operations: Vec::new(),
        extend_groups: Vec::new(),
        extend_capabilities: Vec::new(),
        extend_operations: Vec::new(),
    };
    let mut top = TableReader::new(document, 0..0, "the rule file".to_owned());
    if let Some(mut table) = top.table(ctx, "ruleset", "`[ruleset]`".to_owned()) {
        let id = table.required_string(ctx, "id");
        let version = table.required_string(ctx, "version");
        if let (Some(id), Some(version)) = (id, version) {
            draft.ruleset = Some((id.into_inner(), version.into_inner()));
        }
        if let Some(description) = table.raw("description") {
            expect_string(ctx, description, "`description` in `[ruleset]`");
        }
        table.finish(ctx);
    }
    for_each_entry(
        ctx,
        &mut top,
        "requirements",
        "requirement",
        source_idx,
        |ctx, name, table| {
            draft
                .requirements
                .push((name, read_requirement(ctx, table)));
        },
    );
    for_each_entry(
        ctx,
        &mut top,
        "context",
        "context requirement",
        source_idx,
        |ctx, name, table| {
            if let Some(description) = table.raw("description") {
                expect_string(ctx, description, "`description`");
            }
            let sensitive = table.bool(ctx, "sensitive").unwrap_or(false);
            draft
                .context
                .push((name, read_field_rule(ctx, table), sensitive));
        },
    );
    draft.groups = read_member_section(ctx, &mut top, "groups", "group", GROUP_KEYS, source_idx);
    draft.capabilities = read_member_section(
        ctx,
        &mut top,
        "capabilities",
        "capability",
        CAPABILITY_KEYS,
        source_idx,
    );
    draft.operations = read_member_section(
        ctx,
        &mut top,
        "operations",
        "operation",
        OPERATION_KEYS,
        source_idx,
    );
    for (name, members) in &draft.operations {
        if members.capabilities.is_empty() && members.context.is_empty() {
            ctx.error(
                ErrorCode::InvalidValue,
                format!(
                    "operation `{}` needs at least one capability or context requirement",
                    name.name
                ),
                name.loc.span.clone(),
            );
        }
    }
    if let Some(mut extend) = top.table(ctx, "extend", "`[extend]`".to_owned()) {
        draft.extend_groups = read_member_section(
            ctx,
            &mut extend,
            "groups",
            "group extension",
            GROUP_KEYS,
            source_idx,
        );
        draft.extend_capabilities = read_member_section(
            ctx,
            &mut extend,
            "capabilities",
            "capability extension",
            CAPABILITY_KEYS,
            source_idx,
        );
        draft.extend_operations = read_member_section(
            ctx,
            &mut extend,
            "operations",
            "operation extension",
            OPERATION_KEYS,
            source_idx,
        );
        extend.finish(ctx);
    }
    top.finish(ctx);
    draft
}

/// The list keys of each member section.
const GROUP_KEYS: &[&str] = &["requirements", "groups", "any_of"];
const CAPABILITY_KEYS: &[&str] = &["requirements", "groups", "depends_on"];
const OPERATION_KEYS: &[&str] = &["capabilities", "context"];

/// Reads every `[section.<id>]` table of a member section (groups, capabilities, operations
/// and their extensions).
fn read_member_section(
    ctx: &mut Ctx<'_>,
    parent: &mut TableReader<'_, '_>,
    section: &'static str,
    noun: &str,
    keys: &[&'static str],
    source_idx: usize,
) -> Vec<(Ref, DraftMembers)> {
    let mut out = Vec::new();
    for_each_entry(
        ctx,
        parent,
        section,
        noun,
        source_idx,
        |ctx, name, table| {
            out.push((name, read_members(ctx, table, source_idx, keys)));
        },
    );
    out
}

/// Calls `read` for each `[section.<id>]` table, after checking the id.
fn for_each_entry<'a, 'i>(
    ctx: &mut Ctx<'_>,
    parent: &mut TableReader<'a, 'i>,
    section: &'static str,
    noun: &str,
    source_idx: usize,
    mut read: impl FnMut(&mut Ctx<'_>, Ref, &mut TableReader<'a, 'i>),
) {
    let Some(entries) = parent.table(ctx, section, format!("`[{section}]`")) else {
        return;
    };
    for (key, value) in entries.entries() {
        let name: &str = key.get_ref();
        let what = format!("{noun} `{name}`");
        check_identifier(ctx, name, key.span(), noun);
        let Some(mut table) = TableReader::from_value(ctx, value, what) else {
            continue;
        };
        let reference = Ref {
            name: name.to_owned(),
            loc: Loc {
                source_idx,
                span: key.span(),
            },
        };
        read(ctx, reference, &mut table);
        table.finish(ctx);
    }
}

/// Ids are ASCII letters, digits and `_`, starting with a letter.
fn check_identifier(ctx: &mut Ctx<'_>, name: &str, span: Range<usize>, noun: &str) {
    let mut chars = name.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        ctx.error_with_help(
            ErrorCode::InvalidValue,
            format!("invalid {noun} id `{name}`"),
            span,
            "ids are ASCII letters, digits and `_`, starting with a letter".to_owned(),
        );
    }
}

fn expect_string(ctx: &mut Ctx<'_>, value: &Spanned<DeValue<'_>>, what: &str) {
    if !matches!(value.get_ref(), DeValue::String(_)) {
        ctx.error(
            ErrorCode::WrongType,
            format!(
                "{what} must be a string, found {}",
                reader::type_name(value.get_ref())
            ),
            value.span(),
        );
    }
}

fn read_members(
    ctx: &mut Ctx<'_>,
    table: &mut TableReader<'_, '_>,
    source_idx: usize,
    keys: &[&'static str],
) -> DraftMembers {
    let mut members = DraftMembers::default();
    if let Some(description) = table.raw("description") {
        expect_string(ctx, description, "`description`");
    }
    for key in keys {
        if *key == "any_of" {
            if let Some(value) = table.raw("any_of") {
                let loc = Loc {
                    source_idx,
                    span: value.span(),
                };
                members
                    .any_of
                    .push((loc, read_any_of(ctx, value, source_idx, table.what())));
            }
            continue;
        }
        let refs: Vec<Ref> = table
            .string_list(ctx, key, false)
            .unwrap_or_default()
            .into_iter()
            .map(|item| Ref {
                loc: Loc {
                    source_idx,
                    span: item.span(),
                },
                name: item.into_inner(),
            })
            .collect();
        match *key {
            "requirements" => members.requirements = refs,
            "groups" => members.groups = refs,
            "depends_on" => members.depends_on = refs,
            "capabilities" => members.capabilities = refs,
            _ => members.context = refs,
        }
    }
    members
}

/// `any_of = [["fullSsn"], ["ssnLast4", "passportNumber"]]`: alternatives of requirement keys.
fn read_any_of(
    ctx: &mut Ctx<'_>,
    value: &Spanned<DeValue<'_>>,
    source_idx: usize,
    what: &str,
) -> Vec<Vec<Ref>> {
    let expected = format!("`any_of` in {what} must be an array of arrays of requirement keys");
    let DeValue::Array(alternatives) = value.get_ref() else {
        ctx.error(ErrorCode::WrongType, expected, value.span());
        return Vec::new();
    };
    if alternatives.is_empty() {
        ctx.error(
            ErrorCode::InvalidValue,
            format!("`any_of` in {what} needs at least one alternative"),
            value.span(),
        );
    }
    let mut out: Vec<Vec<Ref>> = Vec::new();
    for alternative in alternatives {
        let DeValue::Array(items) = alternative.get_ref() else {
            ctx.error(ErrorCode::WrongType, expected.clone(), alternative.span());
            continue;
        };
        if items.is_empty() {
            ctx.error(
                ErrorCode::InvalidValue,
                format!(
                    "an empty alternative in {what} is always met, which makes the others pointless"
                ),
                alternative.span(),
            );
            continue;
        }
        let mut refs = Vec::new();
        for item in items {
            match item.get_ref() {
                DeValue::String(name) => refs.push(Ref {
                    name: name.to_string(),
                    loc: Loc {
                        source_idx,
                        span: item.span(),
                    },
                }),
                _ => ctx.error(ErrorCode::WrongType, expected.clone(), item.span()),
            }
        }
        let mut names: Vec<&str> = refs.iter().map(|r| r.name.as_str()).collect();
        names.sort_unstable();
        let duplicate = out.iter().any(|other| {
            let mut other_names: Vec<&str> = other.iter().map(|r| r.name.as_str()).collect();
            other_names.sort_unstable();
            other_names == names
        });
        if duplicate {
            ctx.error(
                ErrorCode::DuplicateId,
                format!("the same alternative is listed twice in {what}"),
                alternative.span(),
            );
            continue;
        }
        out.push(refs);
    }
    out
}

/// `when = { path = "...", one_of = [...] }` or `{ path = "...", present = true }`, or an
/// array of such tables (all must hold).
fn read_conditions(ctx: &mut Ctx<'_>, table: &mut TableReader<'_, '_>) -> Option<Vec<Condition>> {
    let what = table.what().to_owned();
    let Some(value) = table.raw("when") else {
        return Some(Vec::new());
    };
    let items: Vec<&Spanned<DeValue<'_>>> = match value.get_ref() {
        DeValue::Table(_) => vec![value],
        DeValue::Array(items) => items.iter().collect(),
        other => {
            ctx.error(
                ErrorCode::WrongType,
                format!(
                    "`when` in {what} must be a table or an array of tables, found {}",
                    reader::type_name(other)
                ),
                value.span(),
            );
            return None;
        }
    };
    let mut conditions = Vec::new();
    let mut ok = true;
    for (idx, item) in items.into_iter().enumerate() {
        let Some(mut condition) =
            TableReader::from_value(ctx, item, format!("condition {} of {what}", idx + 1))
        else {
            ok = false;
            continue;
        };
        let path = condition.required_string(ctx, "path");
        let one_of = condition.string_list(ctx, "one_of", false);
        let present = condition.bool(ctx, "present");
        let test = match (one_of, present) {
            (Some(values), None) if !values.is_empty() => Some(ConditionTest::OneOf(
                values.into_iter().map(Spanned::into_inner).collect(),
            )),
            (None, Some(flag)) => Some(ConditionTest::Present(flag)),
            (Some(_), None) => {
                ctx.error(
                    ErrorCode::InvalidValue,
                    format!("`one_of` in {} must not be empty", condition.what()),
                    condition.span(),
                );
                None
            }
            (Some(_), Some(_)) => {
                ctx.error(
                    ErrorCode::InvalidValue,
                    format!("{} takes `one_of` or `present`, not both", condition.what()),
                    condition.span(),
                );
                None
            }
            (None, None) => {
                if !condition.has("one_of") && !condition.has("present") {
                    ctx.error(
                        ErrorCode::MissingKey,
                        format!("{} needs `one_of` or `present`", condition.what()),
                        condition.span(),
                    );
                }
                None
            }
        };
        let parsed_path = path.as_ref().and_then(|p| {
            let parsed = parse_path(p.get_ref());
            if parsed.is_none() {
                ctx.error(
                    ErrorCode::InvalidValue,
                    format!("invalid path `{}` in {}", p.get_ref(), condition.what()),
                    p.span(),
                );
            }
            parsed
        });
        condition.finish(ctx);
        match (parsed_path, test) {
            (Some(path), Some(test)) => conditions.push(Condition { path, test }),
            _ => ok = false,
        }
    }
    ok.then_some(conditions)
}

fn read_requirement(
    ctx: &mut Ctx<'_>,
    table: &mut TableReader<'_, '_>,
) -> Option<DraftRequirement> {
    let description = table.raw("description").and_then(|description| {
        expect_string(ctx, description, "`description`");
        match description.get_ref() {
            DeValue::String(text) => Some(text.to_string()),
            _ => None,
        }
    });
    let kind_name = table.string(ctx, "kind");
    let verified_by = match table.string(ctx, "verified_by") {
        None => Some(VerifiedBy::Provider),
        Some(value) => match value.get_ref().as_str() {
            "provider" => Some(VerifiedBy::Provider),
            "platform" => Some(VerifiedBy::Platform),
            other => {
                invalid_choice(
                    ctx,
                    "verified_by",
                    other,
                    &["provider", "platform"],
                    value.span(),
                );
                None
            }
        },
    };
    let resolved_by = match table.string(ctx, "resolved_by") {
        None => Some(Resolver::Customer),
        Some(value) => match value.get_ref().as_str() {
            "customer" => Some(Resolver::Customer),
            "platform" => Some(Resolver::Platform),
            "provider" => Some(Resolver::Provider),
            other => {
                invalid_choice(
                    ctx,
                    "resolved_by",
                    other,
                    &["customer", "platform", "provider"],
                    value.span(),
                );
                None
            }
        },
    };
    let sensitive = table.bool(ctx, "sensitive").unwrap_or(false);
    let deadline = read_deadline(ctx, table);
    let when = read_conditions(ctx, table);
    let kind = match kind_name.as_ref().map(|k| k.get_ref().as_str()) {
        None | Some("field") => read_field_rule(ctx, table).map(RequirementKind::Field),
        Some("acceptance") => {
            read_versions(ctx, table).map(|versions| RequirementKind::Acceptance { versions })
        }
        Some("attestation") => {
            let forms = table.string_list(ctx, "forms", false);
            match forms {
                None => {
                    if !table.has("forms") {
                        table.missing(ctx, "forms");
                    }
                    None
                }
                Some(forms) if forms.is_empty() => {
                    ctx.error(
                        ErrorCode::InvalidValue,
                        format!("`forms` in {} must not be empty", table.what()),
                        table.span(),
                    );
                    None
                }
                Some(forms) => Some(RequirementKind::Attestation {
                    forms: forms.into_iter().map(Spanned::into_inner).collect(),
                }),
            }
        }
        Some(other) => {
            let span = kind_name.as_ref().map_or(table.span(), Spanned::span);
            invalid_choice(
                ctx,
                "kind",
                other,
                &["field", "acceptance", "attestation"],
                span,
            );
            // The other keys cannot be judged without a known kind.
            table.skip(&["path", "optional", "checks", "versions", "forms"]);
            None
        }
    };
    Some(DraftRequirement {
        description,
        when: when?,
        kind: kind?,
        verified_by: verified_by?,
        resolved_by: resolved_by?,
        sensitive,
        deadline,
    })
}

#[cold]
fn invalid_choice(ctx: &mut Ctx<'_>, key: &str, value: &str, choices: &[&str], span: Range<usize>) {
    let list = choices
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let help = match reader::closest(value, choices) {
        Some(suggestion) => format!("did you mean `{suggestion}`? expected one of {list}"),
        None => format!("expected one of {list}"),
    };
    ctx.error_with_help(
        ErrorCode::InvalidValue,
        format!("invalid `{key}` value `{value}`"),
        span,
        help,
    );
}

fn read_deadline(ctx: &mut Ctx<'_>, table: &mut TableReader<'_, '_>) -> Option<Timestamp> {
    let value = table.raw("deadline")?;
    let text = match value.get_ref() {
        DeValue::String(text) => text.to_string(),
        DeValue::Datetime(datetime) => datetime.to_string(),
        other => {
            ctx.error(
                ErrorCode::WrongType,
                format!(
                    "`deadline` in {} must be an RFC 3339 timestamp, found {}",
                    table.what(),
                    reader::type_name(other)
                ),
                value.span(),
            );
            return None;
        }
    };
    match Timestamp::parse(&text) {
        Ok(timestamp) => Some(timestamp),
        Err(err) => {
            ctx.error(
                ErrorCode::InvalidValue,
                format!("invalid `deadline` in {}: {}", table.what(), err.reason()),
                value.span(),
            );
            None
        }
    }
}

fn read_versions(ctx: &mut Ctx<'_>, table: &mut TableReader<'_, '_>) -> Option<Vec<TosVersionDef>> {
    let what = table.what().to_owned();
    let Some(items) = table.tables(ctx, "versions", &|idx| {
        format!("version {} of {what}", idx + 1)
    }) else {
        if !table.has("versions") {
            table.missing(ctx, "versions");
        }
        return None;
    };
    if items.is_empty() {
        ctx.error(
            ErrorCode::InvalidValue,
            format!("`versions` in {what} must not be empty"),
            table.span(),
        );
        return None;
    }
    let mut versions = Vec::with_capacity(items.len());
    let mut seen: Vec<String> = Vec::new();
    let mut ok = true;
    for mut item in items {
        let id = item.required_string(ctx, "id");
        let languages = item.string_list(ctx, "languages", false);
        if !item.has("languages") {
            item.missing(ctx, "languages");
        }
        let url = item.required_string(ctx, "url");
        let deadline = read_deadline(ctx, &mut item);
        if let Some(url) = &url {
            let text = url.get_ref();
            if !(text.starts_with("https://") || text.starts_with("http://")) {
                ctx.error(
                    ErrorCode::InvalidValue,
                    format!(
                        "`url` in {} must start with `https://` or `http://`",
                        item.what()
                    ),
                    url.span(),
                );
                ok = false;
            }
        }
        if let Some(languages) = &languages {
            if languages.is_empty() {
                ctx.error(
                    ErrorCode::InvalidValue,
                    format!("`languages` in {} must not be empty", item.what()),
                    item.span(),
                );
                ok = false;
            }
        }
        if let Some(id) = &id {
            let first_time = !seen.contains(id.get_ref());
            seen.push(id.get_ref().clone());
            if !first_time {
                ctx.error(
                    ErrorCode::DuplicateId,
                    format!("version `{}` is listed twice in {what}", id.get_ref()),
                    id.span(),
                );
                ok = false;
            }
        }
        item.finish(ctx);
        if let (Some(id), Some(languages), Some(url)) = (id, languages, url) {
            versions.push(TosVersionDef {
                id: id.into_inner(),
                languages: languages.into_iter().map(Spanned::into_inner).collect(),
                url: url.into_inner(),
                deadline,
            });
        } else {
            ok = false;
        }
    }
    ok.then_some(versions)
}

fn read_field_rule(ctx: &mut Ctx<'_>, table: &mut TableReader<'_, '_>) -> Option<FieldRule> {
    let paths = table.string_list(ctx, "path", true);
    let optional = table.bool(ctx, "optional").unwrap_or(false);
    let what = table.what().to_owned();
    let checks = table.tables(ctx, "checks", &|idx| format!("check {} of {what}", idx + 1));
    let Some(paths) = paths else {
        if !table.has("path") {
            table.missing(ctx, "path");
        }
        return None;
    };
    if paths.is_empty() {
        ctx.error(
            ErrorCode::InvalidValue,
            format!("`path` in {what} must not be empty"),
            table.span(),
        );
        return None;
    }
    let mut parsed_paths = Vec::with_capacity(paths.len());
    let mut ok = true;
    for path in &paths {
        if let Some(segments) = parse_path(path.get_ref()) {
            parsed_paths.push(segments);
        } else {
            ok = false;
            ctx.error_with_help(
                ErrorCode::InvalidValue,
                format!("invalid path `{}` in {what}", path.get_ref()),
                path.span(),
                "a path is dot-separated keys of ASCII letters, digits, `_` and `-`, such as `individual.address.line1`".to_owned(),
            );
        }
    }
    let mut parsed_checks = Vec::new();
    for mut check in checks.unwrap_or_default() {
        match read_check(ctx, &mut check) {
            Some(parsed) => parsed_checks.push(parsed),
            None => ok = false,
        }
        check.finish(ctx);
    }
    // A closed list of values none of which passes the other checks can never be met.
    if ok {
        for check in &parsed_checks {
            let Check::OneOf(values) = check else {
                continue;
            };
            let others: Vec<&Check> = parsed_checks
                .iter()
                .filter(|c| !matches!(c, Check::OneOf(_)))
                .collect();
            if !others.is_empty()
                && !values
                    .iter()
                    .any(|v| others.iter().all(|c| crate::checks::string_passes(c, v)))
            {
                ctx.error_with_help(
                    ErrorCode::NeverMet,
                    format!(
                        "{what} can never be met: no value of its `one_of` passes its other checks"
                    ),
                    table.span(),
                    "fix the values or the other checks".to_owned(),
                );
                ok = false;
            }
        }
    }
    ok.then_some(FieldRule {
        paths: parsed_paths,
        checks: parsed_checks,
        optional,
    })
}

/// Splits `individual.address.line1` into segments.
fn parse_path(text: &str) -> Option<Vec<String>> {
    let segments: Vec<String> = text.split('.').map(str::to_owned).collect();
    let valid = segments.iter().all(|segment| {
        !segment.is_empty()
            && segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    });
    valid.then_some(segments)
}

const CHECK_KINDS: &[&str] = &[
    "non_empty",
    "one_of",
    "pattern",
    "length",
    "date_parts",
    "ip_address",
];

/// Keys a check may have, whatever its kind.
const CHECK_KEYS: &[&str] = &["values", "pattern", "min", "max", "allow_future"];

fn read_check(ctx: &mut Ctx<'_>, check: &mut TableReader<'_, '_>) -> Option<Check> {
    let Some(kind) = check.required_string(ctx, "kind") else {
        // Without a kind, the other keys cannot be judged.
        check.skip(CHECK_KEYS);
        return None;
    };
    match kind.get_ref().as_str() {
        "non_empty" => Some(Check::NonEmpty),
        "ip_address" => Some(Check::IpAddress),
        "date_parts" => {
            let allow_future = check.bool(ctx, "allow_future").unwrap_or(false);
            Some(Check::DateParts { allow_future })
        }
        "one_of" => {
            let Some(values) = check.string_list(ctx, "values", false) else {
                if !check.has("values") {
                    check.missing(ctx, "values");
                }
                return None;
            };
            if values.is_empty() {
                ctx.error(
                    ErrorCode::InvalidValue,
                    format!("`values` in {} must not be empty", check.what()),
                    check.span(),
                );
                return None;
            }
            let mut seen: Vec<&str> = Vec::new();
            for value in &values {
                let first_time = !seen.contains(&value.get_ref().as_str());
                seen.push(value.get_ref().as_str());
                if !first_time {
                    ctx.error(
                        ErrorCode::DuplicateId,
                        format!(
                            "value `{}` is listed twice in {}",
                            value.get_ref(),
                            check.what()
                        ),
                        value.span(),
                    );
                }
            }
            Some(Check::OneOf(
                values.into_iter().map(Spanned::into_inner).collect(),
            ))
        }
        "pattern" => {
            let pattern = check.required_string(ctx, "pattern")?;
            match crate::pattern::Pattern::new(pattern.get_ref()) {
                Ok(regex) => Some(Check::Pattern(regex)),
                Err(err) => {
                    let detail = err.split_whitespace().collect::<Vec<_>>().join(" ");
                    ctx.error(
                        ErrorCode::InvalidPattern,
                        format!("invalid pattern in {}: {detail}", check.what()),
                        pattern.span(),
                    );
                    None
                }
            }
        }
        "length" => {
            let min = check.count(ctx, "min");
            let max = check.count(ctx, "max");
            match (&min, &max) {
                (None, None) if check.has("min") || check.has("max") => None,
                (None, None) => {
                    ctx.error(
                        ErrorCode::MissingKey,
                        format!("{} needs `min`, `max` or both", check.what()),
                        check.span(),
                    );
                    None
                }
                (Some(min_value), Some(max_value)) if min_value.get_ref() > max_value.get_ref() => {
                    ctx.error(
                        ErrorCode::InvalidValue,
                        format!("`min` is greater than `max` in {}", check.what()),
                        min_value.span(),
                    );
                    None
                }
                _ => Some(Check::Length {
                    min: min.map(Spanned::into_inner),
                    max: max.map(Spanned::into_inner),
                }),
            }
        }
        other => {
            let list = CHECK_KINDS
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let help = match reader::closest(other, CHECK_KINDS) {
                Some(suggestion) => format!("did you mean `{suggestion}`? known kinds: {list}"),
                None => format!("known kinds: {list}"),
            };
            ctx.error_with_help(
                ErrorCode::UnknownCheckKind,
                format!("unknown check kind `{other}` in {}", check.what()),
                kind.span(),
                help,
            );
            // The other keys cannot be judged without a known kind.
            check.skip(CHECK_KEYS);
            None
        }
    }
}

/// `sha256` of the source texts, in order (each prefixed with its length), as hex.
fn content_hash(sources: &[Source<'_>]) -> String {
    let mut hasher = Sha256::new();
    for source in sources {
        hasher.update((source.text.len() as u64).to_le_bytes());
        hasher.update(source.text.as_bytes());
    }
    let mut hash = String::with_capacity(64);
    for byte in hasher.finalize() {
        let _ = write!(hash, "{byte:02x}");
    }
    hash
}

/// Each capability's either/or sets with those of its dependencies, transitively.
fn transitive_any_of(
    own_any_of: &[Vec<AnyOfDef>],
    direct_deps: &[Vec<usize>],
) -> Vec<Vec<AnyOfDef>> {
    (0..own_any_of.len())
        .map(|idx| {
            let mut seen = vec![idx];
            let mut cursor = 0;
            while let Some(&current) = seen.get(cursor) {
                for &dep in direct_deps.get(current).map_or(&[][..], Vec::as_slice) {
                    if !seen.contains(&dep) {
                        seen.push(dep);
                    }
                }
                cursor += 1;
            }
            seen.iter()
                .filter_map(|&i| own_any_of.get(i))
                .flatten()
                .cloned()
                .collect()
        })
        .collect()
}

/// Memoized group expansions, by position in the sorted group names.
struct GroupMemo<'a> {
    names: &'a [String],
    sets: &'a mut [Option<IndexSet>],
}

impl GroupMemo<'_> {
    fn position(&self, name: &str) -> Option<usize> {
        self.names.binary_search_by(|n| n.as_str().cmp(name)).ok()
    }

    fn get(&self, name: &str) -> Option<&IndexSet> {
        self.position(name)
            .and_then(|idx| self.sets.get(idx))
            .and_then(Option::as_ref)
    }

    fn set(&mut self, name: &str, set: IndexSet) {
        if let Some(slot) = self.position(name).and_then(|idx| self.sets.get_mut(idx)) {
            *slot = Some(set);
        }
    }
}

/// A sorted set of indexes (requirement or capability positions), kept sorted by insertion:
/// small sets, and one less B-tree instantiation in the WASM build.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct IndexSet(Vec<usize>);

impl IndexSet {
    fn insert(&mut self, idx: usize) -> bool {
        match self.0.binary_search(&idx) {
            Ok(_) => false,
            Err(position) => {
                self.0.insert(position, idx);
                true
            }
        }
    }

    fn extend(&mut self, other: impl IntoIterator<Item = usize>) {
        for idx in other {
            self.insert(idx);
        }
    }

    fn iter(&self) -> impl Iterator<Item = &usize> {
        self.0.iter()
    }
}

impl IntoIterator for IndexSet {
    type Item = usize;
    type IntoIter = std::vec::IntoIter<usize>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// Pass 3: merges drafts across sources and resolves every reference.
struct Resolve<'s, 'a> {
    sources: &'s [Source<'a>],
    errors: Vec<LoadError>,
    /// Per source, built on its first error.
    lines: Vec<OnceCell<LineIndex<'a>>>,
}

impl Resolve<'_, '_> {
    #[cold]
    fn error(&mut self, code: ErrorCode, message: String, loc: &Loc) {
        self.errors.push(self.make_error(code, message, loc));
    }

    fn make_error(&self, code: ErrorCode, message: String, loc: &Loc) -> LoadError {
        let (name, text) = self
            .sources
            .get(loc.source_idx)
            .map_or(("", ""), |s| (s.name, s.text));
        let fallback;
        let lines = if let Some(cell) = self.lines.get(loc.source_idx) {
            cell.get_or_init(|| LineIndex::new(text))
        } else {
            fallback = LineIndex::new(text);
            &fallback
        };
        LoadError::new(code, message, name, lines, loc.span.clone())
    }

    fn location(&self, loc: &Loc) -> String {
        let error = self.make_error(ErrorCode::DuplicateId, String::new(), loc);
        format!(
            "{}:{}:{}",
            error.source_name(),
            error.line(),
            error.column()
        )
    }

    /// Collects `(name, item)` pairs into a map, reporting duplicates.
    fn unique<T>(&mut self, noun: &str, items: Vec<(Ref, T)>) -> BTreeMap<String, (Loc, T)> {
        let mut map: BTreeMap<String, (Loc, T)> = BTreeMap::new();
        for (reference, item) in items {
            if let Some((first, _)) = map.get(&reference.name) {
                let help = format!("first defined at {}", self.location(first));
                let error = self
                    .make_error(
                        ErrorCode::DuplicateId,
                        format!("{noun} `{}` is defined twice", reference.name),
                        &reference.loc,
                    )
                    .with_help(help);
                self.errors.push(error);
                continue;
            }
            map.insert(reference.name, (reference.loc, item));
        }
        map
    }

    fn resolve(&mut self, drafts: Vec<Draft>) -> Compiled {
        let hash = content_hash(self.sources);

        let mut ids = Vec::new();
        let mut versions = Vec::new();
        let mut requirements = Vec::new();
        let mut context = Vec::new();
        let mut groups = Vec::new();
        let mut capabilities = Vec::new();
        let mut operations = Vec::new();
        let mut extend_groups = Vec::new();
        let mut extend_capabilities = Vec::new();
        let mut extend_operations = Vec::new();
        for draft in drafts {
            if let Some((id, version)) = draft.ruleset {
                ids.push(id);
                versions.push(version);
            }
            requirements.extend(draft.requirements);
            context.extend(
                draft
                    .context
                    .into_iter()
                    .map(|(r, field, sensitive)| (r, (field, sensitive))),
            );
            groups.extend(draft.groups);
            capabilities.extend(draft.capabilities);
            operations.extend(draft.operations);
            extend_groups.extend(draft.extend_groups);
            extend_capabilities.extend(draft.extend_capabilities);
            extend_operations.extend(draft.extend_operations);
        }
        let requirements = self.unique("requirement", requirements);
        let context = self.unique("context requirement", context);
        let mut groups = self.unique("group", groups);
        let mut capabilities = self.unique("capability", capabilities);
        if let Some((name, (loc, _))) = capabilities.iter().nth(MAX_CAPABILITIES) {
            let message = format!(
                "too many capabilities: `{name}` is one past the limit of {MAX_CAPABILITIES}"
            );
            let loc = loc.clone();
            self.error(ErrorCode::InvalidValue, message, &loc);
        }
        let mut operations = self.unique("operation", operations);

        for (reference, members) in extend_groups {
            self.merge_into(&mut groups, "group", &reference, members);
        }
        for (reference, members) in extend_capabilities {
            self.merge_into(&mut capabilities, "capability", &reference, members);
        }
        for (reference, members) in extend_operations {
            self.merge_into(&mut operations, "operation", &reference, members);
        }

        let requirement_keys: Vec<&String> = requirements.keys().collect();
        let capability_names: Vec<&String> = capabilities.keys().collect();
        let context_keys: Vec<&String> = context.keys().collect();

        // Groups: resolve to requirement sets, finding cycles.
        let group_names: Vec<String> = groups.keys().cloned().collect();
        // (Indexed by position in `group_names`: fewer B-tree instantiations in the WASM build.)
        let mut group_sets: Vec<Option<IndexSet>> = vec![None; group_names.len()];
        for name in &group_names {
            let mut stack = Vec::new();
            let mut memo = GroupMemo {
                names: &group_names,
                sets: &mut group_sets,
            };
            self.expand_group(name, &groups, &requirement_keys, &mut memo, &mut stack);
        }
        let group_position =
            |name: &str| group_names.binary_search_by(|n| n.as_str().cmp(name)).ok();

        // Either/or sets of each group, nested groups included.
        let group_alternatives: Vec<Vec<AnyOfDef>> = group_names
            .iter()
            .map(|name| self.collect_any_of(name, &groups, &requirement_keys, &mut Vec::new()))
            .collect();

        // Capabilities: own requirements and groups.
        let mut own_any_of: Vec<Vec<AnyOfDef>> = Vec::with_capacity(capabilities.len());
        let mut own_sets: Vec<IndexSet> = Vec::with_capacity(capabilities.len());
        let mut direct_deps: Vec<Vec<usize>> = Vec::with_capacity(capabilities.len());
        for (loc_members, name) in capabilities.values().zip(capabilities.keys()) {
            let (_, members) = loc_members;
            let mut set = IndexSet::default();
            for reference in &members.requirements {
                if let Some(idx) = self.lookup(&requirement_keys, reference, "requirement") {
                    set.insert(idx);
                }
            }
            let mut any_of = Vec::new();
            for reference in &members.groups {
                if let Some(list) =
                    group_position(&reference.name).and_then(|idx| group_alternatives.get(idx))
                {
                    any_of.extend(list.iter().cloned());
                }
                match group_position(&reference.name)
                    .and_then(|idx| group_sets.get(idx))
                    .and_then(Option::as_ref)
                {
                    Some(group_set) => set.extend(group_set.iter().copied()),
                    None => {
                        self.unknown(reference, "group", &group_names.iter().collect::<Vec<_>>());
                    }
                }
            }
            let mut deps = IndexSet::default();
            for reference in &members.depends_on {
                if reference.name == *name {
                    self.error(
                        ErrorCode::Cycle,
                        format!("capability `{name}` depends on itself"),
                        &reference.loc,
                    );
                    continue;
                }
                if let Some(idx) = self.lookup(&capability_names, reference, "capability") {
                    deps.insert(idx);
                }
            }
            own_sets.push(set);
            own_any_of.push(any_of);
            direct_deps.push(deps.into_iter().collect());
        }
        // Dependency cycles, then transitive requirement sets.
        let all_sets = self.close_dependencies(&capabilities, &own_sets, &direct_deps);

        let compiled_operations =
            self.resolve_operations(&operations, &capability_names, &context_keys);

        // Either/or sets of dependencies apply too (transitively; cycles were reported).
        let all_any_of = transitive_any_of(&own_any_of, &direct_deps);
        let compiled_capabilities = capabilities
            .keys()
            .zip(all_sets)
            .zip(direct_deps)
            .zip(all_any_of)
            .map(|(((name, set), deps), any_of)| CapabilityDef {
                name: name.clone(),
                requirements: set.into_iter().collect(),
                depends_on: deps,
                any_of,
            })
            .collect();
        // Definitions with errors (`None`) have been reported; the result is discarded.
        let compiled_requirements = requirements
            .into_iter()
            .filter_map(|(key, (_, draft))| Some((key, draft?)))
            .map(|(key, draft)| RequirementDef {
                description: draft.description,
                when: draft.when,
                key,
                kind: draft.kind,
                verified_by: draft.verified_by,
                resolved_by: draft.resolved_by,
                sensitive: draft.sensitive,
                deadline: draft.deadline,
            })
            .collect();
        let compiled_context = context
            .into_iter()
            .filter_map(|(key, (_, (field, sensitive)))| {
                Some(ContextDef {
                    key,
                    field: field?,
                    sensitive,
                })
            })
            .collect();
        Compiled {
            id: ids.join("+"),
            version: versions.join("+"),
            hash: format!("sha256:{hash}"),
            requirements: compiled_requirements,
            capabilities: compiled_capabilities,
            operations: compiled_operations,
            context: compiled_context,
            index: crate::ruleset::EvalIndex::default(),
        }
        .indexed()
    }

    /// Resolves each operation's capabilities and context requirements to indexes.
    fn resolve_operations(
        &mut self,
        operations: &BTreeMap<String, (Loc, DraftMembers)>,
        capability_names: &[&String],
        context_keys: &[&String],
    ) -> BTreeMap<String, OperationDef> {
        let mut compiled = BTreeMap::new();
        for (name, (_, members)) in operations {
            let mut capabilities = IndexSet::default();
            for reference in &members.capabilities {
                if let Some(idx) = self.lookup(capability_names, reference, "capability") {
                    capabilities.insert(idx);
                }
            }
            let mut context = IndexSet::default();
            for reference in &members.context {
                if let Some(idx) = self.lookup(context_keys, reference, "context requirement") {
                    context.insert(idx);
                }
            }
            compiled.insert(
                name.clone(),
                OperationDef {
                    capabilities: capabilities.0,
                    context: context.0,
                },
            );
        }
        compiled
    }

    fn merge_into(
        &mut self,
        map: &mut BTreeMap<String, (Loc, DraftMembers)>,
        noun: &str,
        reference: &Ref,
        members: DraftMembers,
    ) {
        if let Some((_, existing)) = map.get_mut(&reference.name) {
            existing.requirements.extend(members.requirements);
            existing.groups.extend(members.groups);
            existing.depends_on.extend(members.depends_on);
            existing.capabilities.extend(members.capabilities);
            existing.context.extend(members.context);
            // Another either/or set only ever adds requirements, like the lists.
            existing.any_of.extend(members.any_of);
        } else {
            let names: Vec<&String> = map.keys().collect();
            self.unknown(reference, noun, &names);
        }
    }

    #[cold]
    fn unknown(&mut self, reference: &Ref, noun: &str, known: &[&String]) {
        let candidates: Vec<&str> = known.iter().map(|s| s.as_str()).collect();
        let mut error = self.make_error(
            ErrorCode::UnknownReference,
            format!("unknown {noun} `{}`", reference.name),
            &reference.loc,
        );
        if let Some(suggestion) = reader::closest(&reference.name, &candidates) {
            error = error.with_help(format!("did you mean `{suggestion}`?"));
        }
        self.errors.push(error);
    }

    fn lookup(&mut self, sorted_names: &[&String], reference: &Ref, noun: &str) -> Option<usize> {
        if let Ok(idx) = sorted_names.binary_search_by(|name| name.as_str().cmp(&reference.name)) {
            Some(idx)
        } else {
            self.unknown(reference, noun, sorted_names);
            None
        }
    }

    /// The either/or sets of a group and its nested groups (cycles are reported by
    /// `expand_group`; here they just stop the walk).
    fn collect_any_of(
        &mut self,
        name: &str,
        groups: &BTreeMap<String, (Loc, DraftMembers)>,
        requirement_keys: &[&String],
        visiting: &mut Vec<String>,
    ) -> Vec<AnyOfDef> {
        let Some((_, members)) = groups.get(name) else {
            return Vec::new();
        };
        if visiting.iter().any(|entry| entry == name) {
            return Vec::new();
        }
        visiting.push(name.to_owned());
        let mut out = Vec::new();
        for (_, alternatives) in &members.any_of {
            let mut resolved = Vec::with_capacity(alternatives.len());
            for alternative in alternatives {
                let mut indexes: Vec<usize> = alternative
                    .iter()
                    .filter_map(|r| self.lookup(requirement_keys, r, "requirement"))
                    .collect();
                indexes.sort_unstable();
                indexes.dedup();
                resolved.push(indexes);
            }
            out.push(AnyOfDef {
                group: name.to_owned(),
                alternatives: resolved,
            });
        }
        for reference in &members.groups {
            out.extend(self.collect_any_of(&reference.name, groups, requirement_keys, visiting));
        }
        visiting.pop();
        out
    }

    /// Resolves a group to its requirement set (memoized), reporting cycles once.
    fn expand_group(
        &mut self,
        name: &str,
        groups: &BTreeMap<String, (Loc, DraftMembers)>,
        requirement_keys: &[&String],
        done: &mut GroupMemo<'_>,
        stack: &mut Vec<String>,
    ) -> IndexSet {
        if let Some(set) = done.get(name) {
            return set.clone();
        }
        let Some((loc, members)) = groups.get(name) else {
            return IndexSet::default();
        };
        if stack.iter().any(|entry| entry == name) {
            let mut chain = stack.clone();
            chain.push(name.to_owned());
            let first = chain.iter().position(|entry| entry == name).unwrap_or(0);
            let cycle = chain
                .get(first..)
                .unwrap_or(&[])
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(" -> ");
            self.error(ErrorCode::Cycle, format!("group cycle: {cycle}"), loc);
            done.set(name, IndexSet::default());
            return IndexSet::default();
        }
        stack.push(name.to_owned());
        let mut set = IndexSet::default();
        for reference in &members.requirements {
            if let Some(idx) = self.lookup(requirement_keys, reference, "requirement") {
                set.insert(idx);
            }
        }
        for reference in &members.groups {
            if groups.contains_key(&reference.name) {
                set.extend(self.expand_group(
                    &reference.name,
                    groups,
                    requirement_keys,
                    done,
                    stack,
                ));
            } else {
                let names: Vec<&String> = groups.keys().collect();
                self.unknown(reference, "group", &names);
            }
        }
        stack.pop();
        if done.get(name).is_none() {
            done.set(name, set.clone());
        }
        set
    }

    /// Finds dependency cycles and returns each capability's requirement set including its
    /// dependencies' (transitively).
    fn close_dependencies(
        &mut self,
        capabilities: &BTreeMap<String, (Loc, DraftMembers)>,
        own_sets: &[IndexSet],
        direct_deps: &[Vec<usize>],
    ) -> Vec<IndexSet> {
        let n = own_sets.len();
        let locs: Vec<&Loc> = capabilities.values().map(|(loc, _)| loc).collect();
        let names: Vec<&String> = capabilities.keys().collect();
        // 0 = unvisited, 1 = on the stack, 2 = done.
        let mut state = vec![0u8; n];
        let mut result: Vec<IndexSet> = own_sets.to_vec();
        let mut reported: Vec<Vec<usize>> = Vec::new();
        for start in 0..n {
            // Iterative DFS with an explicit stack of (node, next child position).
            let mut stack: Vec<(usize, usize)> = Vec::new();
            if state.get(start) != Some(&0) {
                continue;
            }
            stack.push((start, 0));
            if let Some(s) = state.get_mut(start) {
                *s = 1;
            }
            while let Some(&(node, child_pos)) = stack.last() {
                let deps = direct_deps.get(node).map_or(&[][..], Vec::as_slice);
                if let Some(&child) = deps.get(child_pos) {
                    if let Some(top) = stack.last_mut() {
                        top.1 += 1;
                    }
                    match state.get(child) {
                        Some(0) => {
                            if let Some(s) = state.get_mut(child) {
                                *s = 1;
                            }
                            stack.push((child, 0));
                        }
                        Some(1) => {
                            let first = stack.iter().position(|(n, _)| *n == child).unwrap_or(0);
                            let mut cycle: Vec<usize> = stack
                                .get(first..)
                                .unwrap_or(&[])
                                .iter()
                                .map(|(n, _)| *n)
                                .collect();
                            let mut key = cycle.clone();
                            key.sort_unstable();
                            if !reported.contains(&key) {
                                reported.push(key.clone());
                                cycle.push(child);
                                let text = cycle
                                    .iter()
                                    .filter_map(|idx| names.get(*idx))
                                    .map(|name| format!("`{name}`"))
                                    .collect::<Vec<_>>()
                                    .join(" -> ");
                                if let Some(loc) = locs.get(child) {
                                    let loc = (*loc).clone();
                                    self.error(
                                        ErrorCode::Cycle,
                                        format!("capability dependency cycle: {text}"),
                                        &loc,
                                    );
                                }
                            }
                        }
                        _ => {}
                    }
                } else {
                    stack.pop();
                    if let Some(s) = state.get_mut(node) {
                        *s = 2;
                    }
                    // All children are done: fold their sets in.
                    let mut merged = result.get(node).cloned().unwrap_or_default();
                    for child in deps {
                        if let Some(child_set) = result.get(*child) {
                            merged.extend(child_set.iter().copied());
                        }
                    }
                    if let Some(slot) = result.get_mut(node) {
                        *slot = merged;
                    }
                }
            }
        }
        result
    }
}

#[cfg(test)]
mod tests;
