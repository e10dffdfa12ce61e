//! A structural diff of two compiled rulesets: what changed, and whether each change makes
//! the rules stricter (customers may need more), looser (they may need less) or neither.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::ruleset::{
    Check, Compiled, Condition, ConditionTest, FieldRule, RequirementDef, RequirementKind,
    TosVersionDef, VerifiedBy,
};
use crate::time::Timestamp;

/// How a rule change affects customers.
///
/// # Example
///
/// ```
/// assert_eq!(capgate::ChangeClass::Stricter.as_str(), "stricter");
/// assert!(capgate::ChangeClass::Stricter < capgate::ChangeClass::Neutral);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChangeClass {
    /// Customers may need more than before (a new requirement, a narrower check).
    Stricter,
    /// Customers may need less than before (a removed requirement, a wider check).
    Looser,
    /// Neither, as far as the rules can tell (a new capability, a changed path or pattern).
    Neutral,
}

impl ChangeClass {
    /// The name used in output (`stricter`, `looser`, `neutral`).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(capgate::ChangeClass::Looser.as_str(), "looser");
    /// assert_eq!(capgate::ChangeClass::Neutral.as_str(), "neutral");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeClass::Stricter => "stricter",
            ChangeClass::Looser => "looser",
            ChangeClass::Neutral => "neutral",
        }
    }
}

/// What a rule change is about.
///
/// # Example
///
/// ```
/// assert_eq!(capgate::SubjectKind::Capability.as_str(), "capability");
/// assert!(capgate::SubjectKind::Capability < capgate::SubjectKind::Requirement);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SubjectKind {
    /// A capability (`[capabilities.<name>]`).
    Capability,
    /// An operation (`[operations.<name>]`).
    Operation,
    /// A requirement definition (`[requirements.<key>]`).
    Requirement,
    /// A request-context requirement (`[context.<key>]`).
    Context,
}

impl SubjectKind {
    /// The name used in output (`capability`, `operation`, `requirement`, `context`).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(capgate::SubjectKind::Operation.as_str(), "operation");
    /// assert_eq!(capgate::SubjectKind::Context.as_str(), "context");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Capability => "capability",
            SubjectKind::Operation => "operation",
            SubjectKind::Requirement => "requirement",
            SubjectKind::Context => "context",
        }
    }
}

/// One change between two rulesets.
///
/// Fields are ordered as changes are sorted: subject kind, name, change code, detail.
/// `Display` gives the human line, e.g.
/// `stricter  capability tradeCrypto: requirement added: employerName`.
///
/// # Example
///
/// ```
/// use capgate::{ChangeClass, RuleSet, SubjectKind};
/// let old = RuleSet::from_toml("old.toml", "[requirements.a]\npath = \"a\"\n[capabilities.x]\n")?;
/// let new = RuleSet::from_toml("new.toml", "[requirements.a]\npath = \"a\"\n[capabilities.x]\nrequirements = [\"a\"]\n")?;
/// let change = &old.diff(&new).changes[0];
/// assert_eq!((change.kind, change.name.as_str()), (SubjectKind::Capability, "x"));
/// assert_eq!((change.change.as_str(), change.detail.as_str()), ("requirement_added", "a"));
/// assert_eq!(change.class, ChangeClass::Stricter);
/// assert_eq!(change.to_string(), "stricter  capability x: requirement added: a");
/// # Ok::<(), capgate::LoadErrors>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RuleChange {
    /// What kind of thing changed.
    pub kind: SubjectKind,
    /// Its name (capability or operation name, requirement or context key).
    pub name: String,
    /// A short machine code (`requirement_added`, `value_removed`, `added`, ...).
    pub change: String,
    /// What exactly changed (a key, a value, `old -> new`); may be empty.
    pub detail: String,
    /// Stricter, looser or neutral.
    pub class: ChangeClass,
}

impl fmt::Display for RuleChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<10}{} {}: {}",
            self.class.as_str(),
            self.kind.as_str(),
            self.name,
            self.change.replace('_', " ")
        )?;
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

/// The structural difference between two rulesets ([`RuleSet::diff`](crate::RuleSet::diff)),
/// sorted by subject kind, name, change code and detail.
///
/// # Example
///
/// ```
/// let rules = capgate::RuleSet::builtin();
/// let diff = rules.diff(&rules);
/// assert!(diff.is_empty());
/// assert_eq!(diff.count(capgate::ChangeClass::Stricter), 0);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleDiff {
    /// Every change, sorted.
    pub changes: Vec<RuleChange>,
}

impl RuleDiff {
    /// Whether the two rulesets are structurally the same.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(capgate::RuleDiff::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// How many changes have this class.
    ///
    /// # Example
    ///
    /// ```
    /// use capgate::{ChangeClass, RuleSet};
    /// let old = RuleSet::from_toml("old.toml", "[capabilities.x]\n[capabilities.y]\n")?;
    /// let new = RuleSet::from_toml("new.toml", "[capabilities.x]\n[capabilities.z]\n")?;
    /// let diff = old.diff(&new);
    /// assert_eq!(diff.count(ChangeClass::Stricter), 1); // y removed
    /// assert_eq!(diff.count(ChangeClass::Neutral), 1); // z added
    /// # Ok::<(), capgate::LoadErrors>(())
    /// ```
    pub fn count(&self, class: ChangeClass) -> usize {
        self.changes.iter().filter(|c| c.class == class).count()
    }
}

/// Collects changes.
struct Out {
    changes: Vec<RuleChange>,
}

impl Out {
    fn push(
        &mut self,
        kind: SubjectKind,
        name: &str,
        change: &str,
        detail: impl Into<String>,
        class: ChangeClass,
    ) {
        self.changes.push(RuleChange {
            kind,
            name: name.to_owned(),
            change: change.to_owned(),
            detail: detail.into(),
            class,
        });
    }

    /// Reports members only in `new` as `added` and only in `old` as `removed`.
    #[expect(
        clippy::too_many_arguments,
        reason = "one call per compared set reads best flat"
    )]
    fn sets(
        &mut self,
        kind: SubjectKind,
        name: &str,
        old: &BTreeSet<String>,
        new: &BTreeSet<String>,
        added: (&str, ChangeClass),
        removed: (&str, ChangeClass),
        prefix: &str,
    ) {
        for member in new.difference(old) {
            self.push(kind, name, added.0, format!("{prefix}{member}"), added.1);
        }
        for member in old.difference(new) {
            self.push(
                kind,
                name,
                removed.0,
                format!("{prefix}{member}"),
                removed.1,
            );
        }
    }
}

/// The diff from `old` to `new`.
pub(crate) fn diff(old: &Compiled, new: &Compiled) -> RuleDiff {
    let mut out = Out {
        changes: Vec::new(),
    };
    capabilities(old, new, &mut out);
    operations(old, new, &mut out);
    requirements(old, new, &mut out);
    contexts(old, new, &mut out);
    let mut changes = out.changes;
    changes.sort();
    changes.dedup();
    RuleDiff { changes }
}

fn requirement_keys(rules: &Compiled, indexes: &[usize]) -> BTreeSet<String> {
    indexes
        .iter()
        .filter_map(|&i| rules.requirements.get(i))
        .map(|r| r.key.clone())
        .collect()
}

fn capability_names(rules: &Compiled, indexes: &[usize]) -> BTreeSet<String> {
    indexes
        .iter()
        .filter_map(|&i| rules.capabilities.get(i))
        .map(|c| c.name.clone())
        .collect()
}

fn context_keys(rules: &Compiled, indexes: &[usize]) -> BTreeSet<String> {
    indexes
        .iter()
        .filter_map(|&i| rules.context.get(i))
        .map(|c| c.key.clone())
        .collect()
}

/// Each either/or set by group, its alternatives written `a + b`.
fn any_of(
    rules: &Compiled,
    sets: &[crate::ruleset::AnyOfDef],
) -> BTreeMap<String, BTreeSet<String>> {
    let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for set in sets {
        let entry = map.entry(set.group.clone()).or_default();
        for alternative in &set.alternatives {
            let keys: Vec<String> = requirement_keys(rules, alternative).into_iter().collect();
            entry.insert(keys.join(" + "));
        }
    }
    map
}

fn capabilities(old: &Compiled, new: &Compiled, out: &mut Out) {
    use ChangeClass::{Looser, Neutral, Stricter};
    const KIND: SubjectKind = SubjectKind::Capability;
    let old_map: BTreeMap<&str, _> = old
        .capabilities
        .iter()
        .map(|c| (c.name.as_str(), c))
        .collect();
    let new_map: BTreeMap<&str, _> = new
        .capabilities
        .iter()
        .map(|c| (c.name.as_str(), c))
        .collect();
    for name in new_map.keys().filter(|name| !old_map.contains_key(*name)) {
        out.push(KIND, name, "added", "", Neutral);
    }
    for (name, before) in &old_map {
        let Some(after) = new_map.get(name) else {
            out.push(KIND, name, "removed", "", Stricter);
            continue;
        };
        out.sets(
            KIND,
            name,
            &requirement_keys(old, &before.requirements),
            &requirement_keys(new, &after.requirements),
            ("requirement_added", Stricter),
            ("requirement_removed", Looser),
            "",
        );
        out.sets(
            KIND,
            name,
            &capability_names(old, &before.depends_on),
            &capability_names(new, &after.depends_on),
            ("dependency_added", Stricter),
            ("dependency_removed", Looser),
            "",
        );
        let old_sets = any_of(old, &before.any_of);
        let new_sets = any_of(new, &after.any_of);
        for (group, alternatives) in &new_sets {
            match old_sets.get(group) {
                None => {
                    let all: Vec<&str> = alternatives.iter().map(String::as_str).collect();
                    let detail = format!("{group}: {}", all.join(" | "));
                    out.push(KIND, name, "any_of_added", detail, Stricter);
                }
                Some(before) => out.sets(
                    KIND,
                    name,
                    before,
                    alternatives,
                    ("alternative_added", Looser),
                    ("alternative_removed", Stricter),
                    &format!("{group}: "),
                ),
            }
        }
        for (group, alternatives) in &old_sets {
            if !new_sets.contains_key(group) {
                let all: Vec<&str> = alternatives.iter().map(String::as_str).collect();
                let detail = format!("{group}: {}", all.join(" | "));
                out.push(KIND, name, "any_of_removed", detail, Looser);
            }
        }
    }
}

fn operations(old: &Compiled, new: &Compiled, out: &mut Out) {
    use ChangeClass::{Looser, Neutral, Stricter};
    const KIND: SubjectKind = SubjectKind::Operation;
    for name in new
        .operations
        .keys()
        .filter(|n| !old.operations.contains_key(*n))
    {
        out.push(KIND, name, "added", "", Neutral);
    }
    for (name, before) in &old.operations {
        let Some(after) = new.operations.get(name) else {
            out.push(KIND, name, "removed", "", Stricter);
            continue;
        };
        out.sets(
            KIND,
            name,
            &capability_names(old, &before.capabilities),
            &capability_names(new, &after.capabilities),
            ("capability_added", Stricter),
            ("capability_removed", Looser),
            "",
        );
        out.sets(
            KIND,
            name,
            &context_keys(old, &before.context),
            &context_keys(new, &after.context),
            ("context_added", Stricter),
            ("context_removed", Looser),
            "",
        );
    }
}

fn requirements(old: &Compiled, new: &Compiled, out: &mut Out) {
    const KIND: SubjectKind = SubjectKind::Requirement;
    let old_map: BTreeMap<&str, _> = old
        .requirements
        .iter()
        .map(|r| (r.key.as_str(), r))
        .collect();
    let new_map: BTreeMap<&str, _> = new
        .requirements
        .iter()
        .map(|r| (r.key.as_str(), r))
        .collect();
    for key in new_map.keys().filter(|key| !old_map.contains_key(*key)) {
        out.push(KIND, key, "added", "", ChangeClass::Neutral);
    }
    for (key, before) in &old_map {
        match new_map.get(key) {
            Some(after) => requirement(key, before, after, out),
            None => out.push(KIND, key, "removed", "", ChangeClass::Neutral),
        }
    }
}

fn kind_name(kind: &RequirementKind) -> &'static str {
    match kind {
        RequirementKind::Field(_) => "field",
        RequirementKind::Acceptance { .. } => "acceptance",
        RequirementKind::Attestation { .. } => "attestation",
    }
}

fn verified_by_name(verified_by: VerifiedBy) -> &'static str {
    match verified_by {
        VerifiedBy::Provider => "provider",
        VerifiedBy::Platform => "platform",
    }
}

fn condition(condition: &Condition) -> String {
    let path = condition.path.join(".");
    match &condition.test {
        ConditionTest::OneOf(values) => format!("{path} one of [{}]", values.join(", ")),
        ConditionTest::Present(true) => format!("{path} present"),
        ConditionTest::Present(false) => format!("{path} absent"),
    }
}

fn requirement(key: &str, before: &RequirementDef, after: &RequirementDef, out: &mut Out) {
    use ChangeClass::{Looser, Neutral, Stricter};
    const KIND: SubjectKind = SubjectKind::Requirement;
    if before.verified_by != after.verified_by {
        let detail = format!(
            "{} -> {}",
            verified_by_name(before.verified_by),
            verified_by_name(after.verified_by)
        );
        out.push(KIND, key, "verified_by_changed", detail, Neutral);
    }
    if before.resolved_by != after.resolved_by {
        let detail = format!(
            "{} -> {}",
            before.resolved_by.as_str(),
            after.resolved_by.as_str()
        );
        out.push(KIND, key, "resolved_by_changed", detail, Neutral);
    }
    if before.sensitive != after.sensitive {
        let detail = format!("{} -> {}", before.sensitive, after.sensitive);
        out.push(KIND, key, "sensitive_changed", detail, Neutral);
    }
    deadline(KIND, key, "", before.deadline, after.deadline, out);
    out.sets(
        KIND,
        key,
        &before.when.iter().map(condition).collect(),
        &after.when.iter().map(condition).collect(),
        ("condition_added", Looser),
        ("condition_removed", Stricter),
        "",
    );
    match (&before.kind, &after.kind) {
        (RequirementKind::Field(old), RequirementKind::Field(new)) => {
            field(KIND, key, old, new, out);
        }
        (
            RequirementKind::Acceptance { versions: old },
            RequirementKind::Acceptance { versions: new },
        ) => versions(key, old, new, out),
        (
            RequirementKind::Attestation { forms: old },
            RequirementKind::Attestation { forms: new },
        ) => {
            out.sets(
                KIND,
                key,
                &old.iter().cloned().collect(),
                &new.iter().cloned().collect(),
                ("form_added", Stricter),
                ("form_removed", Looser),
                "",
            );
        }
        (old, new) => {
            let detail = format!("{} -> {}", kind_name(old), kind_name(new));
            out.push(KIND, key, "kind_changed", detail, Neutral);
        }
    }
}

/// A deadline moved: earlier or new-and-absent is stricter (it blocks sooner), later or
/// newly added (a grace period until then) is looser.
fn deadline(
    kind: SubjectKind,
    name: &str,
    prefix: &str,
    before: Option<Timestamp>,
    after: Option<Timestamp>,
    out: &mut Out,
) {
    let (change, class) = match (before, after) {
        (None, Some(_)) => ("deadline_added", ChangeClass::Looser),
        (Some(_), None) => ("deadline_removed", ChangeClass::Stricter),
        (Some(a), Some(b)) if b < a => ("deadline_earlier", ChangeClass::Stricter),
        (Some(a), Some(b)) if b > a => ("deadline_later", ChangeClass::Looser),
        _ => return,
    };
    let show = |t: Option<Timestamp>| t.map_or_else(|| "none".to_owned(), |t| t.to_string());
    let detail = format!("{prefix}{} -> {}", show(before), show(after));
    out.push(kind, name, change, detail, class);
}

fn versions(key: &str, before: &[TosVersionDef], after: &[TosVersionDef], out: &mut Out) {
    use ChangeClass::{Looser, Neutral, Stricter};
    const KIND: SubjectKind = SubjectKind::Requirement;
    let old_map: BTreeMap<&str, _> = before.iter().map(|v| (v.id.as_str(), v)).collect();
    let new_map: BTreeMap<&str, _> = after.iter().map(|v| (v.id.as_str(), v)).collect();
    for id in new_map.keys().filter(|id| !old_map.contains_key(*id)) {
        out.push(KIND, key, "tos_version_added", *id, Stricter);
    }
    for (id, old) in &old_map {
        let Some(new) = new_map.get(id) else {
            out.push(KIND, key, "tos_version_removed", *id, Looser);
            continue;
        };
        let prefix = format!("{id}: ");
        deadline(KIND, key, &prefix, old.deadline, new.deadline, out);
        out.sets(
            KIND,
            key,
            &old.languages.iter().cloned().collect(),
            &new.languages.iter().cloned().collect(),
            ("tos_language_added", Looser),
            ("tos_language_removed", Stricter),
            &prefix,
        );
        if old.url != new.url {
            let detail = format!("{prefix}{} -> {}", old.url, new.url);
            out.push(KIND, key, "tos_url_changed", detail, Neutral);
        }
    }
}

fn paths(rule: &FieldRule) -> String {
    let paths: Vec<String> = rule.paths.iter().map(|p| p.join(".")).collect();
    paths.join(", ")
}

fn describe(check: &Check) -> String {
    let bound = |b: Option<usize>| b.map_or_else(|| "none".to_owned(), |b| b.to_string());
    match check {
        Check::OneOf(values) => format!("one_of [{}]", values.join(", ")),
        Check::Pattern(regex) => format!("pattern {}", regex.as_str()),
        Check::Length { min, max } => format!("length min {} max {}", bound(*min), bound(*max)),
        Check::DateParts { allow_future } => format!("date_parts allow_future {allow_future}"),
        Check::NonEmpty | Check::IpAddress => check.kind().to_owned(),
    }
}

fn checks_by_kind(rule: &FieldRule) -> BTreeMap<&'static str, Vec<&Check>> {
    let mut map: BTreeMap<&'static str, Vec<&Check>> = BTreeMap::new();
    for check in &rule.checks {
        map.entry(check.kind()).or_default().push(check);
    }
    map
}

fn field(kind: SubjectKind, name: &str, before: &FieldRule, after: &FieldRule, out: &mut Out) {
    use ChangeClass::{Looser, Neutral, Stricter};
    let (old_paths, new_paths) = (paths(before), paths(after));
    if old_paths != new_paths {
        let detail = format!("{old_paths} -> {new_paths}");
        out.push(kind, name, "paths_changed", detail, Neutral);
    }
    match (before.optional, after.optional) {
        (true, false) => out.push(kind, name, "made_required", "", Stricter),
        (false, true) => out.push(kind, name, "made_optional", "", Looser),
        _ => {}
    }
    let (old_checks, new_checks) = (checks_by_kind(before), checks_by_kind(after));
    let kinds: BTreeSet<&str> = old_checks
        .keys()
        .chain(new_checks.keys())
        .copied()
        .collect();
    let none = Vec::new();
    for check_kind in kinds {
        let olds = old_checks.get(check_kind).unwrap_or(&none);
        let news = new_checks.get(check_kind).unwrap_or(&none);
        for (old, new) in olds.iter().zip(news) {
            check(kind, name, old, new, out);
        }
        for old in olds.iter().skip(news.len()) {
            out.push(kind, name, "check_removed", describe(old), Looser);
        }
        for new in news.iter().skip(olds.len()) {
            out.push(kind, name, "check_added", describe(new), Stricter);
        }
    }
}

fn check(kind: SubjectKind, name: &str, before: &Check, after: &Check, out: &mut Out) {
    use ChangeClass::{Looser, Neutral, Stricter};
    match (before, after) {
        (Check::OneOf(old), Check::OneOf(new)) => out.sets(
            kind,
            name,
            &old.iter().cloned().collect(),
            &new.iter().cloned().collect(),
            ("value_added", Looser),
            ("value_removed", Stricter),
            "",
        ),
        (Check::Pattern(old), Check::Pattern(new)) if old.as_str() != new.as_str() => {
            let detail = format!("{} -> {}", old.as_str(), new.as_str());
            out.push(kind, name, "pattern_changed", detail, Neutral);
        }
        (
            Check::Length {
                min: old_min,
                max: old_max,
            },
            Check::Length {
                min: new_min,
                max: new_max,
            },
        ) => {
            length_bound(kind, name, "min", *old_min, *new_min, true, out);
            length_bound(kind, name, "max", *old_max, *new_max, false, out);
        }
        (Check::DateParts { allow_future: old }, Check::DateParts { allow_future: new }) => {
            match (old, new) {
                (true, false) => out.push(kind, name, "future_dates_disallowed", "", Stricter),
                (false, true) => out.push(kind, name, "future_dates_allowed", "", Looser),
                _ => {}
            }
        }
        _ => {}
    }
}

/// A `length` bound: a new bound is tighter; a raised `min` or a lowered `max` is tighter.
fn length_bound(
    kind: SubjectKind,
    name: &str,
    which: &str,
    before: Option<usize>,
    after: Option<usize>,
    is_min: bool,
    out: &mut Out,
) {
    let tighter = match (before, after) {
        (None, Some(_)) => true,
        (Some(_), None) => false,
        (Some(a), Some(b)) if a != b => (b > a) == is_min,
        _ => return,
    };
    let show = |b: Option<usize>| b.map_or_else(|| "none".to_owned(), |b| b.to_string());
    let detail = format!("{which} {} -> {}", show(before), show(after));
    if tighter {
        out.push(
            kind,
            name,
            "length_tightened",
            detail,
            ChangeClass::Stricter,
        );
    } else {
        out.push(kind, name, "length_loosened", detail, ChangeClass::Looser);
    }
}

fn contexts(old: &Compiled, new: &Compiled, out: &mut Out) {
    const KIND: SubjectKind = SubjectKind::Context;
    let old_map: BTreeMap<&str, _> = old.context.iter().map(|c| (c.key.as_str(), c)).collect();
    let new_map: BTreeMap<&str, _> = new.context.iter().map(|c| (c.key.as_str(), c)).collect();
    for key in new_map.keys().filter(|key| !old_map.contains_key(*key)) {
        out.push(KIND, key, "added", "", ChangeClass::Neutral);
    }
    for (key, before) in &old_map {
        let Some(after) = new_map.get(key) else {
            out.push(KIND, key, "removed", "", ChangeClass::Neutral);
            continue;
        };
        if before.sensitive != after.sensitive {
            let detail = format!("{} -> {}", before.sensitive, after.sensitive);
            out.push(KIND, key, "sensitive_changed", detail, ChangeClass::Neutral);
        }
        field(KIND, key, &before.field, &after.field, out);
    }
}

#[cfg(test)]
mod tests {
    use crate::RuleSet;

    /// Diffs `old` against `new` and compares the human lines.
    #[track_caller]
    fn check(old: &str, new: &str, expected: &[&str]) {
        let old = RuleSet::from_toml("old.toml", old).unwrap_or_else(|e| panic!("old: {e}"));
        let new = RuleSet::from_toml("new.toml", new).unwrap_or_else(|e| panic!("new: {e}"));
        let lines: Vec<String> = old
            .diff(&new)
            .changes
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(lines, expected);
        assert!(old.diff(&old).is_empty());
        assert!(new.diff(&new).is_empty());
    }

    const REQS: &str = r#"
        [requirements.a]
        path = "a"
        [requirements.b]
        path = "b"
        [requirements.c]
        path = "c"
    "#;

    fn with(extra: &str) -> String {
        format!("{REQS}{extra}")
    }

    #[test]
    fn capability_requirements_added_and_removed() {
        check(
            &with("[capabilities.x]\nrequirements = [\"a\", \"b\"]\n"),
            &with("[capabilities.x]\nrequirements = [\"b\", \"c\"]\n"),
            &[
                "stricter  capability x: requirement added: c",
                "looser    capability x: requirement removed: a",
            ],
        );
    }

    #[test]
    fn capabilities_added_and_removed() {
        check(
            &with("[capabilities.x]\n[capabilities.y]\n"),
            &with("[capabilities.x]\n[capabilities.z]\n"),
            &[
                "stricter  capability y: removed",
                "neutral   capability z: added",
            ],
        );
    }

    #[test]
    fn dependencies_added_and_removed_bring_their_requirements() {
        check(
            &with(
                "[capabilities.x]\n[capabilities.y]\nrequirements = [\"a\"]\n[capabilities.z]\ndepends_on = [\"x\"]\n",
            ),
            &with(
                "[capabilities.x]\n[capabilities.y]\nrequirements = [\"a\"]\n[capabilities.z]\ndepends_on = [\"y\"]\n",
            ),
            &[
                "stricter  capability z: dependency added: y",
                "looser    capability z: dependency removed: x",
                "stricter  capability z: requirement added: a",
            ],
        );
    }

    #[test]
    fn either_or_sets() {
        let group = |any_of: &str| {
            with(&format!(
                "[groups.id]\nany_of = {any_of}\n[capabilities.x]\ngroups = [\"id\"]\n"
            ))
        };
        check(
            &group(r#"[["a", "b"], ["c"]]"#),
            &group(r#"[["a"], ["c"]]"#),
            &[
                "looser    capability x: alternative added: id: a",
                "stricter  capability x: alternative removed: id: a + b",
            ],
        );
        check(
            &with("[capabilities.x]\n"),
            &group(r#"[["a"], ["c"]]"#),
            &["stricter  capability x: any of added: id: a | c"],
        );
        check(
            &group(r#"[["a"], ["c"]]"#),
            &with("[capabilities.x]\n"),
            &["looser    capability x: any of removed: id: a | c"],
        );
    }

    #[test]
    fn operations() {
        let ctx = "[context.ip]\npath = \"compliance.ip\"\n[context.ua]\npath = \"compliance.ua\"\n[capabilities.x]\n[capabilities.y]\n";
        check(
            &with(&format!(
                "{ctx}[operations.send]\ncapabilities = [\"x\"]\ncontext = [\"ip\"]\n[operations.old]\ncapabilities = [\"x\"]\n"
            )),
            &with(&format!(
                "{ctx}[operations.send]\ncapabilities = [\"y\"]\ncontext = [\"ua\"]\n[operations.new]\ncapabilities = [\"x\"]\n"
            )),
            &[
                "neutral   operation new: added",
                "stricter  operation old: removed",
                "stricter  operation send: capability added: y",
                "looser    operation send: capability removed: x",
                "stricter  operation send: context added: ua",
                "looser    operation send: context removed: ip",
            ],
        );
    }

    #[test]
    fn requirements_defined_on_one_side_only_are_neutral() {
        check(
            "[requirements.a]\npath = \"a\"\n",
            "[requirements.b]\npath = \"b\"\n",
            &[
                "neutral   requirement a: removed",
                "neutral   requirement b: added",
            ],
        );
    }

    #[test]
    fn checks() {
        let field = |checks: &str| format!("[requirements.a]\npath = \"a\"\nchecks = [{checks}]\n");
        check(
            &field(r#"{ kind = "one_of", values = ["x", "y"] }"#),
            &field(r#"{ kind = "one_of", values = ["y", "z"] }"#),
            &[
                "looser    requirement a: value added: z",
                "stricter  requirement a: value removed: x",
            ],
        );
        check(
            &field(r#"{ kind = "pattern", pattern = "^a$" }"#),
            &field(r#"{ kind = "pattern", pattern = "^b$" }"#),
            &["neutral   requirement a: pattern changed: ^a$ -> ^b$"],
        );
        check(
            &field(r#"{ kind = "length", min = 2, max = 10 }"#),
            &field(r#"{ kind = "length", min = 3 }"#),
            &[
                "looser    requirement a: length loosened: max 10 -> none",
                "stricter  requirement a: length tightened: min 2 -> 3",
            ],
        );
        check(
            &field(r#"{ kind = "length", min = 2, max = 10 }"#),
            &field(r#"{ kind = "length", min = 1, max = 5 }"#),
            &[
                "looser    requirement a: length loosened: min 2 -> 1",
                "stricter  requirement a: length tightened: max 10 -> 5",
            ],
        );
        check(
            &field(r#"{ kind = "non_empty" }"#),
            &field(r#"{ kind = "ip_address" }"#),
            &[
                "stricter  requirement a: check added: ip_address",
                "looser    requirement a: check removed: non_empty",
            ],
        );
        check(
            &field(r#"{ kind = "date_parts", allow_future = true }"#),
            &field(r#"{ kind = "date_parts" }"#),
            &["stricter  requirement a: future dates disallowed"],
        );
    }

    #[test]
    fn field_attributes() {
        check(
            "[requirements.a]\npath = \"a\"\noptional = true\n",
            "[requirements.a]\npath = [\"b\", \"a\"]\nverified_by = \"platform\"\nresolved_by = \"platform\"\nsensitive = true\n",
            &[
                "stricter  requirement a: made required",
                "neutral   requirement a: paths changed: a -> b, a",
                "neutral   requirement a: resolved by changed: customer -> platform",
                "neutral   requirement a: sensitive changed: false -> true",
                "neutral   requirement a: verified by changed: provider -> platform",
            ],
        );
        check(
            "[requirements.a]\npath = \"a\"\n",
            "[requirements.a]\nkind = \"attestation\"\nforms = [\"us_w9\"]\n",
            &["neutral   requirement a: kind changed: field -> attestation"],
        );
    }

    #[test]
    fn conditions_and_deadlines() {
        check(
            "[requirements.a]\npath = \"a\"\nwhen = { path = \"s\", one_of = [\"NY\"] }\n",
            "[requirements.a]\npath = \"a\"\nwhen = { path = \"t\", present = true }\ndeadline = 2027-01-01T00:00:00Z\n",
            &[
                "looser    requirement a: condition added: t present",
                "stricter  requirement a: condition removed: s one of [NY]",
                "looser    requirement a: deadline added: none -> 2027-01-01T00:00:00Z",
            ],
        );
        check(
            "[requirements.a]\npath = \"a\"\ndeadline = 2027-01-01T00:00:00Z\n",
            "[requirements.a]\npath = \"a\"\ndeadline = 2026-12-01T00:00:00Z\n",
            &[
                "stricter  requirement a: deadline earlier: 2027-01-01T00:00:00Z -> 2026-12-01T00:00:00Z",
            ],
        );
    }

    #[test]
    fn acceptance_versions() {
        let tos = |versions: &str| format!("[requirements.tos]\nkind = \"acceptance\"\n{versions}");
        let version = |id: &str, languages: &str, extra: &str| {
            format!(
                "[[requirements.tos.versions]]\nid = \"{id}\"\nlanguages = {languages}\nurl = \"https://x/{id}\"\n{extra}"
            )
        };
        check(
            &tos(&format!(
                "{}{}{}",
                version("v1", r#"["en", "fr"]"#, "deadline = 2027-01-01T00:00:00Z\n"),
                version("v2", r#"["en"]"#, "deadline = 2027-01-01T00:00:00Z\n"),
                version("v3", r#"["en"]"#, ""),
            )),
            &tos(&format!(
                "{}{}{}",
                version("v1", r#"["en", "es"]"#, "deadline = 2026-12-01T00:00:00Z\n"),
                version("v2", r#"["en"]"#, ""),
                version("v4", r#"["en"]"#, ""),
            )),
            &[
                "stricter  requirement tos: deadline earlier: v1: 2027-01-01T00:00:00Z -> 2026-12-01T00:00:00Z",
                "stricter  requirement tos: deadline removed: v2: 2027-01-01T00:00:00Z -> none",
                "looser    requirement tos: tos language added: v1: es",
                "stricter  requirement tos: tos language removed: v1: fr",
                "stricter  requirement tos: tos version added: v4",
                "looser    requirement tos: tos version removed: v3",
            ],
        );
    }

    #[test]
    fn attestation_forms() {
        check(
            "[requirements.t]\nkind = \"attestation\"\nforms = [\"us_w9\"]\n",
            "[requirements.t]\nkind = \"attestation\"\nforms = [\"us_w8\"]\n",
            &[
                "stricter  requirement t: form added: us_w8",
                "looser    requirement t: form removed: us_w9",
            ],
        );
    }

    #[test]
    fn context_requirements() {
        check(
            "[context.ip]\npath = \"compliance.ip\"\nchecks = [{ kind = \"ip_address\" }]\n",
            "[context.ip]\npath = \"compliance.ip\"\noptional = true\n",
            &[
                "looser    context ip: check removed: ip_address",
                "looser    context ip: made optional",
            ],
        );
    }

    #[test]
    fn the_default_rules_diffed_with_themselves_are_empty() {
        let builtin = RuleSet::builtin();
        assert!(builtin.diff(&builtin).is_empty());
        let reloaded = RuleSet::from_toml(crate::BUILTIN_RULES_NAME, crate::BUILTIN_RULES).unwrap();
        assert!(builtin.diff(&reloaded).is_empty());
        assert!(reloaded.diff(&builtin).is_empty());
        // Every change the builtin rules could see against an empty ruleset reverses.
        let empty = RuleSet::from_toml("empty.toml", "").unwrap();
        let forward = empty.diff(&builtin);
        let backward = builtin.diff(&empty);
        assert_eq!(forward.changes.len(), backward.changes.len());
        assert!(!forward.is_empty());
    }
}
