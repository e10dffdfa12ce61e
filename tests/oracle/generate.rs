//! Generated rulesets (rendered to TOML text, possibly split into a base file and a policy
//! with `[extend.*]`) and generated snapshots for them.
//!
//! Everything is kept as small choices (indexes, bit masks) so that proptest shrinks towards
//! the simplest rules and snapshot. Names are fixed: requirements `f0`..`f5`, `tos` and
//! `taxAttestation`; context `x0`, `x1`; groups `g0`..`g2`; capabilities `capA`..`capE`;
//! operations `op0`..`op2`. Field values live at `d.fN` (and `e.fN` for a second path),
//! conditions read `d.c0`, `d.c1` (or a field), context reads `r.xN` (and `s.xN`).

use std::fmt::Write as _;

use proptest::prelude::*;
use serde_json::{Value, json};

use super::model::{Check, Kind, Rules};
use super::reference::passes;

/// The base instant: 2026-06-01T00:00:00Z.
pub(crate) const BASE: i64 = 1_780_272_000;
const DAY: i64 = 86_400;
/// Offsets from [`BASE`] for every generated time: before, at and after the evaluation times.
const TIMES: [i64; 8] = [-2 * DAY, -DAY, -1, 0, 1, DAY / 2, DAY, 3 * DAY];
/// Offsets from [`BASE`] for the evaluation time.
const ATS: [i64; 5] = [0, 0, -1, 1, DAY];

const CAPABILITIES: [&str; 5] = ["capA", "capB", "capC", "capD", "capE"];
/// Requirement slots 0..6 are fields `f0`..`f5`, then `tos`, `taxAttestation`.
const TOS: usize = 6;
const TAX: usize = 7;
const ONE_OF_VALUES: [&str; 6] = ["AB", "x", "yes", "1234", "é", "ab"];
const PATTERNS: [&str; 7] = [
    "^[A-Z]{2}$",
    "^[0-9]{4}$",
    r"^\+[1-9][0-9]{1,14}$",
    "a",
    "^[a-z]+$",
    r"^\d{4}$",
    r"^\w+$",
];
const CONDITION_VALUES: [&str; 3] = ["yes", "maybe", "AB"];
const LANGUAGES: [&str; 3] = ["en", "fr", "de"];
const FORMS: [&str; 3] = ["us_w9", "w8ben", "other"];

pub(crate) fn time(offset_idx: usize) -> i64 {
    BASE + TIMES[offset_idx % TIMES.len()]
}

fn rfc3339(seconds: i64) -> String {
    capgate::Timestamp::from_unix_seconds(seconds).to_string()
}

/// The same instant written with a `+02:00` offset.
fn rfc3339_offset(seconds: i64) -> String {
    let local = capgate::Timestamp::from_unix_seconds(seconds + 2 * 3600).to_string();
    format!("{}+02:00", local.trim_end_matches('Z'))
}

// ---------------------------------------------------------------------------------------------
// Rulesets.
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
pub(crate) enum GenCheck {
    NonEmpty,
    OneOf(u8),
    Pattern(usize),
    Length(Option<u8>, Option<u8>),
    DateParts(bool),
    Ip,
}

#[derive(Clone, Debug)]
pub(crate) enum GenCondition {
    /// (path index, mask over [`CONDITION_VALUES`])
    OneOf(usize, u8),
    Present(usize, bool),
}

#[derive(Clone, Debug)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent generated choices, each shrinking on its own"
)]
pub(crate) struct GenField {
    two_paths: bool,
    checks: Vec<GenCheck>,
    optional: bool,
    platform: bool,
    sensitive: bool,
    resolver: u8,
    deadline: Option<usize>,
    when: Vec<GenCondition>,
}

#[derive(Clone, Debug)]
pub(crate) struct GenTos {
    /// Per version: (language mask, deadline).
    versions: Vec<(u8, Option<usize>)>,
    deadline: Option<usize>,
    platform: bool,
    when: Vec<GenCondition>,
}

#[derive(Clone, Debug)]
pub(crate) struct GenTax {
    forms: u8,
    deadline: Option<usize>,
    platform: bool,
    when: Vec<GenCondition>,
}

#[derive(Clone, Debug)]
pub(crate) struct GenGroup {
    requirements: u8,
    groups: u8,
    any_of: Vec<u8>,
    extend: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct GenCapability {
    requirements: u8,
    groups: u8,
    depends_on: u8,
    extend: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct GenOperation {
    capabilities: u8,
    context: u8,
    extend: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct GenRules {
    fields: Vec<GenField>,
    tos: Option<GenTos>,
    tax: Option<GenTax>,
    /// Context requirements `x0`, `x1`: (two paths, checks, optional).
    contexts: Vec<(bool, Vec<GenCheck>, bool)>,
    groups: Vec<GenGroup>,
    capabilities: Vec<GenCapability>,
    operations: Vec<GenOperation>,
    /// Platform requirements are defined in the policy source (which then always exists).
    policy_defines_platform: bool,
}

fn check() -> impl Strategy<Value = GenCheck> {
    prop_oneof![
        Just(GenCheck::NonEmpty),
        (1u8..64).prop_map(GenCheck::OneOf),
        (0..PATTERNS.len()).prop_map(GenCheck::Pattern),
        (proptest::option::of(0u8..4), proptest::option::of(1u8..6)).prop_filter_map(
            "min <= max, at least one",
            |(min, max)| match (min, max) {
                (None, None) => None,
                (Some(a), Some(b)) if a > b => Some(GenCheck::Length(Some(b), Some(a))),
                (a, b) => Some(GenCheck::Length(a, b)),
            }
        ),
        any::<bool>().prop_map(GenCheck::DateParts),
        Just(GenCheck::Ip),
    ]
}

fn condition() -> impl Strategy<Value = GenCondition> {
    prop_oneof![
        (0usize..3, 1u8..8).prop_map(|(path, mask)| GenCondition::OneOf(path, mask)),
        (0usize..3, any::<bool>()).prop_map(|(path, wanted)| GenCondition::Present(path, wanted)),
    ]
}

fn when() -> impl Strategy<Value = Vec<GenCondition>> {
    prop_oneof![
        3 => Just(Vec::new()),
        1 => proptest::collection::vec(condition(), 1..3),
    ]
}

fn deadline() -> impl Strategy<Value = Option<usize>> {
    prop_oneof![2 => Just(None), 1 => (0..TIMES.len()).prop_map(Some)]
}

fn field() -> impl Strategy<Value = GenField> {
    (
        any::<bool>(),
        proptest::collection::vec(check(), 0..3),
        prop::bool::weighted(0.15),
        prop::bool::weighted(0.3),
        prop::bool::weighted(0.3),
        0u8..3,
        deadline(),
        when(),
    )
        .prop_map(
            |(two_paths, checks, optional, platform, sensitive, resolver, deadline, when)| {
                GenField {
                    two_paths,
                    checks,
                    optional,
                    platform,
                    sensitive,
                    resolver,
                    deadline,
                    when,
                }
            },
        )
}

fn tos() -> impl Strategy<Value = GenTos> {
    (
        proptest::collection::vec((1u8..4, deadline()), 1..4),
        prop_oneof![4 => Just(None), 1 => (0..TIMES.len()).prop_map(Some)],
        prop::bool::weighted(0.2),
        when(),
    )
        .prop_map(|(versions, deadline, platform, when)| GenTos {
            versions,
            deadline,
            platform,
            when,
        })
}

fn tax() -> impl Strategy<Value = GenTax> {
    (1u8..4, deadline(), prop::bool::weighted(0.3), when()).prop_map(
        |(forms, deadline, platform, when)| GenTax {
            forms,
            deadline,
            platform,
            when,
        },
    )
}

pub(crate) fn rules() -> impl Strategy<Value = GenRules> {
    (
        proptest::collection::vec(field(), 1..7),
        proptest::option::of(tos()),
        proptest::option::of(tax()),
        proptest::collection::vec(
            (
                any::<bool>(),
                proptest::collection::vec(check(), 0..3),
                prop::bool::weighted(0.2),
            ),
            0..3,
        ),
        proptest::collection::vec(
            (
                any::<u8>(),
                any::<u8>(),
                prop_oneof![
                    2 => Just(Vec::new()),
                    1 => proptest::collection::vec(any::<u8>(), 1..4)
                ],
                prop::bool::weighted(0.2),
            )
                .prop_map(|(requirements, groups, any_of, extend)| GenGroup {
                    requirements,
                    groups,
                    any_of,
                    extend,
                }),
            0..4,
        ),
        proptest::collection::vec(
            (
                any::<u8>(),
                any::<u8>(),
                prop_oneof![2 => Just(0u8), 1 => any::<u8>()],
                prop::bool::weighted(0.2),
            )
                .prop_map(|(requirements, groups, depends_on, extend)| GenCapability {
                    requirements,
                    groups,
                    depends_on,
                    extend,
                }),
            1..6,
        ),
        proptest::collection::vec(
            (any::<u8>(), 0u8..4, prop::bool::weighted(0.2)).prop_map(
                |(capabilities, context, extend)| GenOperation {
                    capabilities,
                    context,
                    extend,
                },
            ),
            0..4,
        ),
        prop::bool::weighted(0.3),
    )
        .prop_map(
            |(
                fields,
                tos,
                tax,
                contexts,
                groups,
                capabilities,
                operations,
                policy_defines_platform,
            )| GenRules {
                fields,
                tos,
                tax,
                contexts,
                groups,
                capabilities,
                operations,
                policy_defines_platform,
            },
        )
}

fn model_check(check: &GenCheck) -> Check {
    match check {
        GenCheck::NonEmpty => Check::NonEmpty,
        GenCheck::OneOf(mask) => Check::OneOf(
            masked(&ONE_OF_VALUES, *mask)
                .into_iter()
                .map(str::to_owned)
                .collect(),
        ),
        GenCheck::Pattern(idx) => {
            Check::Pattern(regex_lite::Regex::new(PATTERNS[*idx]).expect("a pattern"))
        }
        GenCheck::Length(min, max) => Check::Length {
            min: min.map(usize::from),
            max: max.map(usize::from),
        },
        GenCheck::DateParts(allow_future) => Check::DateParts {
            allow_future: *allow_future,
        },
        GenCheck::Ip => Check::IpAddress,
    }
}

/// The items of `items` whose bit is set in `mask`.
fn masked<T: Copy>(items: &[T], mask: u8) -> Vec<T> {
    items
        .iter()
        .enumerate()
        .filter(|(idx, _)| *idx < 8 && mask & (1 << idx) != 0)
        .map(|(_, item)| *item)
        .collect()
}

/// Checks as rendered: a `one_of` none of whose values passes the other checks would be
/// `CG111` ("a requirement that can never be met"), so such a `one_of` is left out.
fn normalized(checks: &[GenCheck]) -> Vec<&GenCheck> {
    let mut out: Vec<&GenCheck> = Vec::new();
    for (idx, check) in checks.iter().enumerate() {
        if let GenCheck::OneOf(mask) = check {
            let others: Vec<Check> = checks
                .iter()
                .enumerate()
                .filter(|(other, c)| *other != idx && !matches!(c, GenCheck::OneOf(_)))
                .map(|(_, c)| model_check(c))
                .collect();
            let satisfiable = masked(&ONE_OF_VALUES, *mask)
                .iter()
                .any(|value| passes(&others, &json!(value), BASE));
            let earlier_one_of = out.iter().any(|c| matches!(c, GenCheck::OneOf(_)));
            if !satisfiable || earlier_one_of {
                continue;
            }
        }
        out.push(check);
    }
    out
}

fn render_checks(out: &mut String, checks: &[GenCheck]) {
    let rendered: Vec<String> = normalized(checks)
        .into_iter()
        .map(|check| match check {
            GenCheck::NonEmpty => "{ kind = \"non_empty\" }".to_owned(),
            GenCheck::OneOf(mask) => format!(
                "{{ kind = \"one_of\", values = {} }}",
                toml_list(&masked(&ONE_OF_VALUES, *mask))
            ),
            GenCheck::Pattern(idx) => {
                format!("{{ kind = \"pattern\", pattern = '{}' }}", PATTERNS[*idx])
            }
            GenCheck::Length(min, max) => {
                let mut keys = String::new();
                if let Some(min) = min {
                    let _ = write!(keys, ", min = {min}");
                }
                if let Some(max) = max {
                    let _ = write!(keys, ", max = {max}");
                }
                format!("{{ kind = \"length\"{keys} }}")
            }
            GenCheck::DateParts(allow_future) => {
                format!("{{ kind = \"date_parts\", allow_future = {allow_future} }}")
            }
            GenCheck::Ip => "{ kind = \"ip_address\" }".to_owned(),
        })
        .collect();
    if !rendered.is_empty() {
        let _ = writeln!(out, "checks = [{}]", rendered.join(", "));
    }
}

fn toml_list<S: AsRef<str>>(items: &[S]) -> String {
    let quoted: Vec<String> = items
        .iter()
        .map(|item| format!("\"{}\"", item.as_ref()))
        .collect();
    format!("[{}]", quoted.join(", "))
}

fn condition_path(idx: usize) -> &'static str {
    ["d.c0", "d.c1", "d.f0"][idx % 3]
}

fn render_when(out: &mut String, when: &[GenCondition]) {
    let tables: Vec<String> = when
        .iter()
        .map(|condition| match condition {
            GenCondition::OneOf(path, mask) => format!(
                "{{ path = \"{}\", one_of = {} }}",
                condition_path(*path),
                toml_list(&masked(&CONDITION_VALUES, *mask))
            ),
            GenCondition::Present(path, wanted) => format!(
                "{{ path = \"{}\", present = {wanted} }}",
                condition_path(*path)
            ),
        })
        .collect();
    match tables.len() {
        0 => {}
        1 => {
            let _ = writeln!(out, "when = {}", tables[0]);
        }
        _ => {
            let _ = writeln!(out, "when = [{}]", tables.join(", "));
        }
    }
}

fn render_deadline(out: &mut String, deadline: Option<usize>, as_string: bool, offset: bool) {
    if let Some(idx) = deadline {
        let text = if offset {
            rfc3339_offset(time(idx))
        } else {
            rfc3339(time(idx))
        };
        if as_string {
            let _ = writeln!(out, "deadline = \"{text}\"");
        } else {
            // A TOML offset datetime.
            let _ = writeln!(out, "deadline = {text}");
        }
    }
}

impl GenRules {
    /// The same rules with no field marked `sensitive` (every future date then schedules a
    /// transition).
    pub(crate) fn without_sensitive(mut self) -> GenRules {
        for field in &mut self.fields {
            field.sensitive = false;
        }
        self
    }

    fn requirement_keys(&self) -> Vec<(usize, String)> {
        let mut keys: Vec<(usize, String)> = (0..self.fields.len())
            .map(|idx| (idx, format!("f{idx}")))
            .collect();
        if self.tos.is_some() {
            keys.push((TOS, "tos".to_owned()));
        }
        if self.tax.is_some() {
            keys.push((TAX, "taxAttestation".to_owned()));
        }
        keys
    }

    /// The requirement keys whose slot bit is set in `mask`.
    fn requirements_in(&self, mask: u8) -> Vec<String> {
        self.requirement_keys()
            .into_iter()
            .filter(|(slot, _)| mask & (1 << slot) != 0)
            .map(|(_, key)| key)
            .collect()
    }

    fn capability_names(&self) -> Vec<&'static str> {
        CAPABILITIES[..self.capabilities.len()].to_vec()
    }

    /// The alternatives of group `idx`: non-empty, each once.
    fn alternatives(&self, group: &GenGroup) -> Vec<Vec<String>> {
        let mut alternatives: Vec<Vec<String>> = Vec::new();
        for mask in &group.any_of {
            let keys = self.requirements_in(*mask);
            if !keys.is_empty() && !alternatives.contains(&keys) {
                alternatives.push(keys);
            }
        }
        alternatives
    }

    /// The rule sources: the base file, and a policy with `[extend.*]` when some lists were
    /// moved there.
    pub(crate) fn sources(&self) -> Vec<String> {
        let mut base = String::from("[ruleset]\nid = \"generated\"\nversion = \"1\"\n");
        let mut policy = String::new();
        let resolvers = ["customer", "platform", "provider"];
        let mut defined_in_policy = String::new();
        for (idx, field) in self.fields.iter().enumerate() {
            let mut out = String::new();
            let _ = writeln!(out, "\n[requirements.f{idx}]");
            if field.two_paths {
                let _ = writeln!(out, "path = [\"d.f{idx}\", \"e.f{idx}\"]");
            } else {
                let _ = writeln!(out, "path = \"d.f{idx}\"");
            }
            if field.optional {
                out.push_str("optional = true\n");
            }
            if field.platform {
                out.push_str("verified_by = \"platform\"\n");
            }
            if field.sensitive {
                out.push_str("sensitive = true\n");
            }
            if field.resolver > 0 {
                let _ = writeln!(
                    out,
                    "resolved_by = \"{}\"",
                    resolvers[usize::from(field.resolver % 3)]
                );
            }
            render_deadline(&mut out, field.deadline, idx % 2 == 0, idx % 3 == 1);
            render_when(&mut out, &field.when);
            render_checks(&mut out, &field.checks);
            if field.platform && self.policy_defines_platform {
                defined_in_policy.push_str(&out);
            } else {
                base.push_str(&out);
            }
        }
        if let Some(tos) = &self.tos {
            base.push_str("\n[requirements.tos]\nkind = \"acceptance\"\n");
            if tos.platform {
                base.push_str("verified_by = \"platform\"\n");
            }
            render_deadline(&mut base, tos.deadline, true, false);
            render_when(&mut base, &tos.when);
            for (idx, (languages, deadline)) in tos.versions.iter().enumerate() {
                let _ = writeln!(
                    base,
                    "[[requirements.tos.versions]]\nid = \"v{idx}\"\nlanguages = {}\nurl = \"https://example.com/tos/v{idx}\"",
                    toml_list(&masked(&LANGUAGES[..2], *languages))
                );
                render_deadline(&mut base, *deadline, false, idx == 1);
            }
        }
        if let Some(tax) = &self.tax {
            let mut out = String::new();
            let _ = writeln!(
                out,
                "\n[requirements.taxAttestation]\nkind = \"attestation\"\nforms = {}",
                toml_list(&masked(&FORMS[..2], tax.forms))
            );
            if tax.platform {
                out.push_str("verified_by = \"platform\"\n");
            }
            render_deadline(&mut out, tax.deadline, true, true);
            render_when(&mut out, &tax.when);
            if tax.platform && self.policy_defines_platform {
                defined_in_policy.push_str(&out);
            } else {
                base.push_str(&out);
            }
        }
        for (idx, (two_paths, checks, optional)) in self.contexts.iter().enumerate() {
            let _ = writeln!(base, "\n[context.x{idx}]");
            if *two_paths {
                let _ = writeln!(base, "path = [\"r.x{idx}\", \"s.x{idx}\"]");
            } else {
                let _ = writeln!(base, "path = \"r.x{idx}\"");
            }
            if *optional {
                base.push_str("optional = true\n");
            }
            render_checks(&mut base, checks);
        }
        for (idx, group) in self.groups.iter().enumerate() {
            let requirements = self.requirements_in(group.requirements);
            let groups: Vec<String> = (0..idx)
                .filter(|inner| group.groups & (1 << inner) != 0)
                .map(|inner| format!("g{inner}"))
                .collect();
            let alternatives = self.alternatives(group);
            let mut lists = String::new();
            if !requirements.is_empty() {
                let _ = writeln!(lists, "requirements = {}", toml_list(&requirements));
            }
            if !alternatives.is_empty() {
                let rendered: Vec<String> = alternatives.iter().map(|a| toml_list(a)).collect();
                let _ = writeln!(lists, "any_of = [{}]", rendered.join(", "));
            }
            let groups_line = if groups.is_empty() {
                String::new()
            } else {
                format!("groups = {}\n", toml_list(&groups))
            };
            let _ = writeln!(base, "\n[groups.g{idx}]\n{groups_line}");
            if group.extend && !lists.is_empty() {
                let _ = writeln!(policy, "\n[extend.groups.g{idx}]\n{lists}");
            } else {
                base.push_str(&lists);
            }
        }
        let names = self.capability_names();
        for (idx, capability) in self.capabilities.iter().enumerate() {
            let mut lists = String::new();
            let requirements = self.requirements_in(capability.requirements);
            if !requirements.is_empty() {
                let _ = writeln!(lists, "requirements = {}", toml_list(&requirements));
            }
            let groups: Vec<String> = (0..self.groups.len())
                .filter(|g| capability.groups & (1 << g) != 0)
                .map(|g| format!("g{g}"))
                .collect();
            if !groups.is_empty() {
                let _ = writeln!(lists, "groups = {}", toml_list(&groups));
            }
            let depends_on: Vec<&str> = (0..idx)
                .filter(|d| capability.depends_on & (1 << d) != 0)
                .map(|d| names[d])
                .collect();
            if !depends_on.is_empty() {
                let _ = writeln!(lists, "depends_on = {}", toml_list(&depends_on));
            }
            let _ = writeln!(base, "\n[capabilities.{}]", names[idx]);
            if capability.extend && !lists.is_empty() {
                let _ = writeln!(policy, "\n[extend.capabilities.{}]\n{lists}", names[idx]);
            } else {
                base.push_str(&lists);
            }
        }
        for (idx, operation) in self.operations.iter().enumerate() {
            let mut capabilities = masked(&names, operation.capabilities);
            let context: Vec<String> = (0..self.contexts.len())
                .filter(|c| operation.context & (1 << c) != 0)
                .map(|c| format!("x{c}"))
                .collect();
            if capabilities.is_empty() && context.is_empty() {
                capabilities.push(names[0]);
            }
            let _ = writeln!(base, "\n[operations.op{idx}]");
            if !capabilities.is_empty() {
                let _ = writeln!(base, "capabilities = {}", toml_list(&capabilities));
            }
            if !context.is_empty() {
                let line = format!("context = {}\n", toml_list(&context));
                if operation.extend && !capabilities.is_empty() {
                    let _ = writeln!(policy, "\n[extend.operations.op{idx}]\n{line}");
                } else {
                    base.push_str(&line);
                }
            }
        }
        // Definitions first: a `[requirements.*]` table after `[extend.*]` ones reads the same.
        let policy = defined_in_policy + &policy;
        if policy.is_empty() {
            vec![base]
        } else {
            vec![base, policy]
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Snapshots.
// ---------------------------------------------------------------------------------------------

/// Field values: missing, null, a value that passes the field's checks, or one of these.
fn pool() -> Vec<Value> {
    vec![
        json!(""),
        json!("  "),
        json!("AB"),
        json!("ab"),
        json!("x"),
        json!("yes"),
        json!("1234"),
        json!("12a4"),
        json!("١٢٣٤"),
        json!("+16175551212"),
        json!("é"),
        json!("ééé"),
        json!("hello world!"),
        json!("\u{a0}\u{2003}"),
        json!(5),
        json!(true),
        json!([]),
        json!(["a"]),
        json!({}),
        json!({"k": null}),
        json!({"k": 1}),
        json!({"day": "7", "month": "07", "year": "1980"}),
        json!({"day": "31", "month": "2", "year": "1980"}),
        json!({"day": "29", "month": "2", "year": "2024"}),
        json!({"day": "29", "month": "2", "year": "2023"}),
        json!({"day": "1", "month": "13", "year": "1980"}),
        json!({"day": "0", "month": "1", "year": "1980"}),
        json!({"day": "1", "month": "1"}),
        json!({"day": "1", "month": "1", "year": "80"}),
        json!({"day": "001", "month": "1", "year": "1980"}),
        json!({"day": 1, "month": "1", "year": "1980"}),
        json!({"day": "", "month": "1", "year": "1980"}),
        json!({"day": "2", "month": "6", "year": "2026"}),
        json!({"day": "1", "month": "6", "year": "2026"}),
        json!({"day": "31", "month": "5", "year": "2026"}),
        json!({"day": null, "month": null, "year": null}),
        json!({"day": null, "month": "1", "year": "1980"}),
        json!("203.0.113.10"),
        json!("::1"),
        json!("2001:db8::1"),
        json!("999.1.1.1"),
        json!("01.2.3.4"),
        json!("fe80::1%eth0"),
        json!(" 1.2.3.4"),
        json!("a"),
        json!("ba"),
        json!("abc"),
    ]
}

#[derive(Clone, Debug)]
pub(crate) struct GenEntry {
    /// Index into [`entry_key`].
    key: usize,
    status: usize,
    deadline: Option<usize>,
    /// Mask over `capA`..`capE`, `capZ`.
    impact: u8,
    /// (version index: 0..2 the rules' `v0`..`v2`, 3 an unknown one; language mask; deadline)
    versions: Vec<(usize, u8, Option<usize>)>,
    forms: u8,
    null: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct GenSnapshot {
    /// Per capability (`capA`..`capE`, then the unknown `capZ`): see [`capability_entry`].
    capabilities: Vec<usize>,
    /// Per field `f0`..`f5`: (first path, second path), see [`value_choice`].
    values: Vec<(usize, usize)>,
    /// `d.c0`, `d.c1`.
    conditions: Vec<usize>,
    /// Per context `x0`, `x1`: (first path, second path).
    contexts: Vec<(usize, usize)>,
    /// `None`: a draft. `Some((null, entries))`: `"requirements": null` (also a draft) or a map.
    provider: Option<(bool, Vec<GenEntry>)>,
    /// (version: `v0`..`v2` or 3 an unknown one, language, acceptedAt)
    acceptances: Vec<(usize, usize, usize)>,
    /// (form, acceptedAt)
    attestations: Vec<(usize, usize)>,
    at: usize,
    /// `null` for: 1 an empty `tosAcceptances`, 2 an empty `taxAttestations`, 4 an empty
    /// `capabilities`, 8 `individual` and `compliance`.
    nulls: u8,
}

const ENTRY_STATUSES: [&str; 9] = [
    "due",
    "due",
    "past_due",
    "pending",
    "rejected",
    "overdue",
    "eventually_due",
    "in_review",
    "due",
];

fn entry_key(idx: usize) -> String {
    match idx {
        0..=5 => format!("f{idx}"),
        6 => "tos".to_owned(),
        7 => "taxAttestation".to_owned(),
        _ => "unknownRequirement".to_owned(),
    }
}

fn capability_entry(choice: usize) -> Option<Value> {
    Some(match choice {
        0 => return None,
        1 => Value::Null,
        2 => json!({"requested": false, "status": "unrequested"}),
        3 => json!({"requested": true}),
        4 => json!({"requested": true, "status": "pending"}),
        8 => json!({"requested": true, "status": "inactive"}),
        9 => json!({"requested": true, "status": "suspended"}),
        10 => json!({"requested": false, "status": "inactive"}),
        11 => json!({"status": "active"}),
        12 => json!({"requested": true, "status": "unrequested"}),
        13 => json!({"requested": false, "status": "active"}),
        14 => json!({"requested": null, "status": "active"}),
        _ => json!({"requested": true, "status": "active"}),
    })
}

fn entry() -> impl Strategy<Value = GenEntry> {
    (
        0usize..9,
        0..ENTRY_STATUSES.len(),
        // One past the times: `"deadline": null`.
        prop_oneof![2 => Just(None), 2 => (0..=TIMES.len()).prop_map(Some)],
        any::<u8>(),
        proptest::collection::vec((0usize..4, 1u8..4, deadline()), 0..3),
        0u8..8,
        prop::bool::weighted(0.05),
    )
        .prop_map(
            |(key, status, deadline, impact, versions, forms, null)| GenEntry {
                key,
                status,
                deadline,
                impact,
                versions,
                forms,
                null,
            },
        )
}

pub(crate) fn snapshot() -> impl Strategy<Value = GenSnapshot> {
    let n_pool = pool().len() + 3;
    (
        proptest::collection::vec(0usize..18, 6),
        proptest::collection::vec((0..n_pool, 0..n_pool), 6),
        proptest::collection::vec(0usize..6, 2),
        proptest::collection::vec((0..n_pool, 0..n_pool), 2),
        proptest::option::of((
            prop::bool::weighted(0.05),
            proptest::collection::vec(entry(), 0..5),
        )),
        proptest::collection::vec((0usize..4, 0usize..3, 0..TIMES.len()), 0..3),
        proptest::collection::vec((0usize..3, 0..TIMES.len()), 0..3),
        0..ATS.len(),
        prop_oneof![3 => Just(0u8), 1 => 0u8..16],
    )
        .prop_map(
            |(
                capabilities,
                values,
                conditions,
                contexts,
                provider,
                acceptances,
                attestations,
                at,
                nulls,
            )| {
                GenSnapshot {
                    capabilities,
                    values,
                    conditions,
                    contexts,
                    provider,
                    acceptances,
                    attestations,
                    at,
                    nulls,
                }
            },
        )
}

/// Value choice: 0 absent, 1 `null`, 2 a value passing `checks` (from the pool; absent when
/// none does), 3.. the pool.
fn value_choice(choice: usize, checks: &[Check], at: i64) -> Option<Value> {
    let pool = pool();
    match choice {
        0 => None,
        1 => Some(Value::Null),
        2 => pool.into_iter().find(|value| passes(checks, value, at)),
        n => pool.into_iter().nth(n - 3),
    }
}

fn set(root: &mut Value, path: &[&str], value: Value) {
    let mut cursor = root;
    for segment in &path[..path.len() - 1] {
        if cursor.get(*segment).is_none() {
            cursor[*segment] = json!({});
        }
        cursor = &mut cursor[*segment];
    }
    cursor[path[path.len() - 1]] = value;
}

impl GenSnapshot {
    pub(crate) fn at(&self) -> i64 {
        BASE + ATS[self.at % ATS.len()]
    }

    /// The snapshot's JSON, for `rules` (valid values depend on their checks).
    pub(crate) fn to_json(&self, rules: &Rules) -> Value {
        let at = self.at();
        let mut root = json!({"type": "individual", "capabilities": {}});
        for (idx, choice) in self.capabilities.iter().enumerate() {
            let name = CAPABILITIES.get(idx).copied().unwrap_or("capZ");
            if let Some(entry) = capability_entry(*choice) {
                root["capabilities"][name] = entry;
            }
        }
        for (idx, (first, second)) in self.values.iter().enumerate() {
            let key = format!("f{idx}");
            let checks = match rules.requirements.get(&key).map(|r| &r.kind) {
                Some(Kind::Field(field)) => field.checks.clone(),
                _ => Vec::new(),
            };
            for (top, choice) in [("d", first), ("e", second)] {
                if let Some(value) = value_choice(*choice, &checks, at) {
                    set(&mut root, &[top, &key], value);
                }
            }
        }
        for (idx, choice) in self.conditions.iter().enumerate() {
            let value = match choice {
                0 => continue,
                1 => Value::Null,
                2 => json!("yes"),
                3 => json!("no"),
                4 => json!("maybe"),
                _ => json!(5),
            };
            set(&mut root, &["d", &format!("c{idx}")], value);
        }
        for (idx, (first, second)) in self.contexts.iter().enumerate() {
            let key = format!("x{idx}");
            let checks = rules
                .context
                .get(&key)
                .map(|field| field.checks.clone())
                .unwrap_or_default();
            for (top, choice) in [("r", first), ("s", second)] {
                if let Some(value) = value_choice(*choice, &checks, at) {
                    set(&mut root, &[top, &key], value);
                }
            }
        }
        if let Some((null, entries)) = &self.provider {
            if *null {
                root["requirements"] = Value::Null;
            } else {
                let mut map = serde_json::Map::new();
                for entry in entries {
                    let key = entry_key(entry.key);
                    if entry.null {
                        map.insert(key, Value::Null);
                        continue;
                    }
                    let mut value = json!({"status": ENTRY_STATUSES[entry.status]});
                    match entry.deadline {
                        Some(deadline) if deadline >= TIMES.len() => {
                            value["deadline"] = Value::Null;
                        }
                        Some(deadline) => value["deadline"] = json!(rfc3339(time(deadline))),
                        None => {}
                    }
                    let impact: Vec<&str> = CAPABILITIES
                        .iter()
                        .copied()
                        .chain(["capZ"])
                        .enumerate()
                        .filter(|(idx, _)| entry.impact & (1 << idx) != 0)
                        .map(|(_, name)| name)
                        .collect();
                    if entry.impact == 0b1100_0000 {
                        value["impact"] = Value::Null;
                    } else if !impact.is_empty() {
                        value["impact"] = json!(impact);
                    }
                    if key == "tos" && !entry.versions.is_empty() {
                        let mut seen = Vec::new();
                        let mut versions = Vec::new();
                        for (version, languages, deadline) in &entry.versions {
                            if seen.contains(version) {
                                continue;
                            }
                            seen.push(*version);
                            let id = if *version < 3 {
                                format!("v{version}")
                            } else {
                                "vX".to_owned()
                            };
                            let mut rendered = json!({
                                "versionId": id,
                                "languages": masked(&LANGUAGES[..2], *languages),
                                "url": format!("https://example.com/provider/{id}"),
                            });
                            if let Some(deadline) = deadline {
                                rendered["deadline"] = json!(rfc3339_offset(time(*deadline)));
                            }
                            versions.push(rendered);
                        }
                        value["tosVersions"] = json!(versions);
                    }
                    if key == "taxAttestation" && entry.forms != 0 {
                        value["taxForms"] = json!(masked(&FORMS[..2], entry.forms));
                    }
                    map.insert(key, value);
                }
                root["requirements"] = Value::Object(map);
            }
        }
        // `null` is the same as absent.
        if self.acceptances.is_empty() && self.nulls & 1 != 0 {
            root["tosAcceptances"] = Value::Null;
        }
        if self.attestations.is_empty() && self.nulls & 2 != 0 {
            root["taxAttestations"] = Value::Null;
        }
        if root["capabilities"]
            .as_object()
            .is_some_and(serde_json::Map::is_empty)
            && self.nulls & 4 != 0
        {
            root["capabilities"] = Value::Null;
        }
        if self.nulls & 8 != 0 {
            root["individual"] = Value::Null;
            root["compliance"] = Value::Null;
        }
        if !self.acceptances.is_empty() {
            let acceptances: Vec<Value> = self
                .acceptances
                .iter()
                .map(|(version, language, accepted)| {
                    json!({
                        "versionId": if *version < 3 { format!("v{version}") } else { "vX".to_owned() },
                        "language": LANGUAGES[*language],
                        "acceptedAt": if *language == 1 {
                            rfc3339_offset(time(*accepted))
                        } else {
                            rfc3339(time(*accepted))
                        },
                    })
                })
                .collect();
            root["tosAcceptances"] = json!(acceptances);
        }
        if !self.attestations.is_empty() {
            let attestations: Vec<Value> = self
                .attestations
                .iter()
                .map(|(form, accepted)| {
                    json!({
                        "form": FORMS[*form],
                        "acceptedAt": if *form == 1 {
                            rfc3339_offset(time(*accepted))
                        } else {
                            rfc3339(time(*accepted))
                        },
                    })
                })
                .collect();
            root["taxAttestations"] = json!(attestations);
        }
        root
    }
}
