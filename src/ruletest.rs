//! Rule tests with coverage: test files in TOML give a snapshot, a time and optionally an
//! operation, and expect statuses, requirements and decisions; coverage says which
//! capabilities, operations, requirements, checks and alternatives the tests saw both met and
//! unmet.

use toml::de::DeTable;

use crate::compile::reader::{Ctx, TableReader};
use crate::error::{ErrorCode, LoadErrors};
use crate::explain::{Node, NodeKind, NodeState, Target};
use crate::ruleset::{RequirementKind, RuleSet, Source};
use crate::snapshot::Snapshot;
use crate::time::Timestamp;

/// The evaluation time of a test that gives none.
const DEFAULT_AT: &str = "2026-11-22T12:00:00Z";

/// The outcome of [`RuleSet::run_tests`].
///
/// # Example
///
/// ```
/// let tests = r#"
/// [[test]]
/// name = "an empty draft requests nothing"
/// snapshot = '{}'
/// [test.expect]
/// allowed = []
/// capabilities = { custodyCrypto = "unrequested" }
/// "#;
/// let report = capgate::RuleSet::builtin().run_tests(&[capgate::Source::new("t.toml", tests)])?;
/// assert!(report.passed());
/// assert!(report.coverage.percent() < 100.0);
/// # Ok::<(), capgate::LoadErrors>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RuleTestReport {
    /// One result per test, in file order.
    pub results: Vec<RuleTestResult>,
    /// What the tests exercised.
    pub coverage: Coverage,
}

impl RuleTestReport {
    /// Whether every test passed.
    ///
    /// # Example
    ///
    /// ```
    /// let tests = "[[test]]\nname = \"x\"\nsnapshot = '{}'\n[test.expect]\nallowed = [\"custodyCrypto\"]\n";
    /// let report = capgate::RuleSet::builtin().run_tests(&[capgate::Source::new("t.toml", tests)])?;
    /// assert!(!report.passed());
    /// assert_eq!(report.results[0].failures, ["allowed: expected [\"custodyCrypto\"], got []"]);
    /// # Ok::<(), capgate::LoadErrors>(())
    /// ```
    pub fn passed(&self) -> bool {
        self.results.iter().all(|r| r.failures.is_empty())
    }
}

/// One test's outcome.
///
/// # Example
///
/// ```
/// let tests = "[[test]]\nname = \"x\"\nsnapshot = '{}'\n";
/// let report = capgate::RuleSet::builtin().run_tests(&[capgate::Source::new("t.toml", tests)])?;
/// assert_eq!((report.results[0].name.as_str(), report.results[0].failures.len()), ("x", 0));
/// # Ok::<(), capgate::LoadErrors>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleTestResult {
    /// The test's name.
    pub name: String,
    /// `file:line` of the test.
    pub location: String,
    /// One line per unmet expectation (`what: expected X, got Y`); empty when it passed.
    pub failures: Vec<String>,
}

/// Which items the tests saw met and unmet.
///
/// # Example
///
/// ```
/// let tests = "[[test]]\nname = \"x\"\nsnapshot = '{}'\n";
/// let coverage = capgate::RuleSet::builtin().run_tests(&[capgate::Source::new("t.toml", tests)])?.coverage;
/// assert!(coverage.items.iter().any(|i| i.kind == "capability" && i.name == "tradeCrypto" && !i.is_covered()));
/// # Ok::<(), capgate::LoadErrors>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Coverage {
    /// Every item of the ruleset, sorted by kind and name.
    pub items: Vec<CoverageItem>,
}

impl Coverage {
    /// The share of items covered, in percent (100 when there are none).
    ///
    /// # Example
    ///
    /// ```
    /// let coverage = capgate::Coverage { items: vec![] };
    /// assert_eq!(coverage.percent(), 100.0);
    /// ```
    pub fn percent(&self) -> f64 {
        if self.items.is_empty() {
            return 100.0;
        }
        let covered = self.items.iter().filter(|i| i.is_covered()).count();
        #[expect(clippy::cast_precision_loss, reason = "item counts are small")]
        let percent = 100.0 * covered as f64 / self.items.len() as f64;
        percent
    }
}

/// One coverage item: a capability, operation, requirement, check, alternative or context
/// requirement.
///
/// # Example
///
/// ```
/// let item = capgate::CoverageItem { kind: "check", name: "fullSsn #1 pattern".into(), met: true, unmet: false, can_be_unmet: true };
/// assert!(!item.is_covered());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoverageItem {
    /// `capability`, `operation`, `requirement`, `check`, `alternative` or `context`.
    pub kind: &'static str,
    /// The item (`fullSsn`, `fullSsn #1 pattern`, `governmentId #2`).
    pub name: String,
    /// Seen met (active, allowed, passing).
    pub met: bool,
    /// Seen unmet.
    pub unmet: bool,
    /// `false` for items that can never be unmet (an optional field without checks).
    pub can_be_unmet: bool,
}

impl CoverageItem {
    /// Seen met, and seen unmet unless it cannot be.
    ///
    /// # Example
    ///
    /// ```
    /// let item = capgate::CoverageItem { kind: "requirement", name: "addressLine2".into(), met: true, unmet: false, can_be_unmet: false };
    /// assert!(item.is_covered());
    /// ```
    pub fn is_covered(&self) -> bool {
        self.met && (self.unmet || !self.can_be_unmet)
    }
}

/// A parsed test.
struct RuleTest {
    name: String,
    location: String,
    at: Timestamp,
    snapshot: Snapshot,
    operation: Option<String>,
    expect: Expect,
}

#[derive(Default)]
struct Expect {
    allowed: Option<Vec<String>>,
    capabilities: Vec<(String, String)>,
    requirements: Vec<(String, String)>,
    errors: Vec<(String, String)>,
    decision: Option<String>,
}

pub(crate) fn run(rules: &RuleSet, sources: &[Source<'_>]) -> Result<RuleTestReport, LoadErrors> {
    let mut errors = Vec::new();
    let mut tests = Vec::new();
    for source in sources {
        let mut ctx = Ctx::new(source.name, source.text);
        let (document, syntax_errors) = DeTable::parse_recoverable(source.text);
        if syntax_errors.is_empty() {
            read_tests(&mut ctx, document.get_ref(), &mut tests);
        } else {
            for error in syntax_errors {
                let message = error
                    .message()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                ctx.error(
                    ErrorCode::TomlSyntax,
                    format!("invalid TOML: {message}"),
                    error.span().unwrap_or(0..0),
                );
            }
        }
        errors.extend(ctx.errors);
    }
    if !errors.is_empty() {
        return Err(LoadErrors::new(errors));
    }
    let mut coverage = universe(rules);
    let results = tests
        .iter()
        .map(|test| run_one(rules, test, &mut coverage))
        .collect();
    coverage
        .items
        .sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
    Ok(RuleTestReport { results, coverage })
}

fn read_tests(ctx: &mut Ctx<'_>, document: &DeTable<'_>, out: &mut Vec<RuleTest>) {
    let mut top = TableReader::new(document, 0..0, "the test file".to_owned());
    let tests = top
        .tables(ctx, "test", &|idx| format!("test {}", idx + 1))
        .unwrap_or_default();
    for mut table in tests {
        let name = table.required_string(ctx, "name");
        let at = match table.string(ctx, "at") {
            None => Timestamp::parse(DEFAULT_AT).ok(),
            Some(text) => match Timestamp::parse(text.get_ref()) {
                Ok(at) => Some(at),
                Err(err) => {
                    ctx.error(
                        ErrorCode::InvalidValue,
                        format!("invalid `at` in {}: {}", table.what(), err.reason()),
                        text.span(),
                    );
                    None
                }
            },
        };
        let snapshot = table.required_string(ctx, "snapshot").and_then(|text| {
            match Snapshot::from_json(text.get_ref()) {
                Ok(snapshot) => Some(snapshot),
                Err(err) => {
                    ctx.error(
                        ErrorCode::InvalidValue,
                        format!("invalid `snapshot` in {}: {err}", table.what()),
                        text.span(),
                    );
                    None
                }
            }
        });
        let operation = table
            .string(ctx, "operation")
            .map(toml::Spanned::into_inner);
        let mut expect = Expect::default();
        let what = table.what().to_owned();
        if let Some(mut expectations) = table.table(ctx, "expect", format!("`expect` of {what}")) {
            expect.allowed = expectations
                .string_list(ctx, "allowed", false)
                .map(|l| l.into_iter().map(toml::Spanned::into_inner).collect());
            expect.capabilities = string_map(ctx, &mut expectations, "capabilities");
            expect.requirements = string_map(ctx, &mut expectations, "requirements");
            expect.errors = string_map(ctx, &mut expectations, "errors");
            expect.decision = expectations
                .string(ctx, "decision")
                .map(toml::Spanned::into_inner);
            expectations.finish(ctx);
        }
        let (line, _) = ctx.lines().line_column(table.span().start);
        let location = format!("{}:{line}", ctx.source_name);
        table.finish(ctx);
        if let (Some(name), Some(at), Some(snapshot)) = (name, at, snapshot) {
            out.push(RuleTest {
                name: name.into_inner(),
                location,
                at,
                snapshot,
                operation,
                expect,
            });
        }
    }
    top.finish(ctx);
}

/// A table of strings (`{ tradeCrypto = "pending" }`), in key order.
fn string_map(
    ctx: &mut Ctx<'_>,
    table: &mut TableReader<'_, '_>,
    key: &'static str,
) -> Vec<(String, String)> {
    let what = format!("`{key}`");
    let Some(map) = table.table(ctx, key, what) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, value) in map.entries() {
        match value.get_ref() {
            toml::de::DeValue::String(text) => {
                out.push((name.get_ref().to_string(), text.to_string()));
            }
            _ => ctx.error(
                ErrorCode::WrongType,
                format!("`{}` in `{key}` must be a string", name.get_ref()),
                value.span(),
            ),
        }
    }
    out
}

/// Every item of the ruleset, not yet seen.
fn universe(rules: &RuleSet) -> Coverage {
    let compiled = &*rules.inner;
    let mut items = Vec::new();
    let item = |kind, name: String, can_be_unmet| CoverageItem {
        kind,
        name,
        met: false,
        unmet: false,
        can_be_unmet,
    };
    for capability in &compiled.capabilities {
        items.push(item("capability", capability.name.clone(), true));
    }
    for name in compiled.operations.keys() {
        items.push(item("operation", name.clone(), true));
    }
    let mut reachable: Vec<usize> = Vec::new();
    for capability in &compiled.capabilities {
        reachable.extend(&capability.requirements);
        for any_of in &capability.any_of {
            reachable.extend(any_of.alternatives.iter().flatten());
            for number in 1..=any_of.alternatives.len() {
                let name = format!("{} #{number}", any_of.group);
                if !items
                    .iter()
                    .any(|i| i.kind == "alternative" && i.name == name)
                {
                    items.push(item("alternative", name, true));
                }
            }
        }
    }
    reachable.sort_unstable();
    reachable.dedup();
    for idx in reachable {
        let Some(requirement) = compiled.requirements.get(idx) else {
            continue;
        };
        let checks = match &requirement.kind {
            RequirementKind::Field(rule) => Some(rule),
            _ => None,
        };
        let can_be_unmet = checks.is_none_or(|rule| !(rule.optional && rule.checks.is_empty()));
        items.push(item("requirement", requirement.key.clone(), can_be_unmet));
        for (number, check) in checks
            .map_or(&[][..], |r| r.checks.as_slice())
            .iter()
            .enumerate()
        {
            items.push(item(
                "check",
                format!("{} #{} {}", requirement.key, number + 1, check.kind()),
                true,
            ));
        }
    }
    let mut context_used: Vec<usize> = compiled
        .operations
        .values()
        .flat_map(|o| o.context.iter().copied())
        .collect();
    context_used.sort_unstable();
    context_used.dedup();
    for idx in context_used {
        let Some(context) = compiled.context.get(idx) else {
            continue;
        };
        items.push(item("context", context.key.clone(), true));
        for (number, check) in context.field.checks.iter().enumerate() {
            items.push(item(
                "check",
                format!("{} #{} {}", context.key, number + 1, check.kind()),
                true,
            ));
        }
    }
    Coverage { items }
}

fn record(coverage: &mut Coverage, kind: &str, name: &str, met: bool) {
    if let Some(item) = coverage
        .items
        .iter_mut()
        .find(|i| i.kind == kind && i.name == name)
    {
        if met {
            item.met = true;
        } else {
            item.unmet = true;
        }
    }
}

/// Records what an explanation tree shows.
fn observe(coverage: &mut Coverage, node: &Node, requirement: Option<&str>, group: Option<&str>) {
    let state = match node.state {
        NodeState::Met => Some(true),
        NodeState::Unmet => Some(false),
        NodeState::Unknown => None,
    };
    match node.kind {
        NodeKind::Capability => {
            if let Some(met) = state {
                record(coverage, "capability", &node.name, met);
            }
        }
        NodeKind::Requirement | NodeKind::Context => {
            let kind = if node.kind == NodeKind::Context {
                "context"
            } else {
                "requirement"
            };
            if node.code.as_deref() != Some("not_applicable") {
                record(coverage, kind, &node.name, node.state == NodeState::Met);
            }
        }
        NodeKind::Alternative => {
            if let (Some(group), Some(met)) = (group, state) {
                record(
                    coverage,
                    "alternative",
                    &format!("{group} #{}", node.name),
                    met,
                );
            }
        }
        _ => {}
    }
    let requirement = match node.kind {
        NodeKind::Requirement | NodeKind::Context => Some(node.name.as_str()),
        _ => requirement,
    };
    let group = if node.kind == NodeKind::AnyOf {
        Some(node.name.as_str())
    } else {
        group
    };
    let mut check_number = 0;
    for child in &node.children {
        if child.kind == NodeKind::Check {
            check_number += 1;
            if let (Some(key), Some(met)) = (
                requirement,
                match child.state {
                    NodeState::Met => Some(true),
                    NodeState::Unmet => Some(false),
                    NodeState::Unknown => None,
                },
            ) {
                record(
                    coverage,
                    "check",
                    &format!("{key} #{check_number} {}", child.name),
                    met,
                );
            }
        } else {
            observe(coverage, child, requirement, group);
        }
    }
}

fn run_one(rules: &RuleSet, test: &RuleTest, coverage: &mut Coverage) -> RuleTestResult {
    let evaluation = rules.evaluate(&test.snapshot, test.at);
    for name in rules.capability_names() {
        if let Ok(explanation) = rules.explain(&test.snapshot, Target::Capability(name), test.at) {
            observe(coverage, &explanation.tree, None, None);
        }
    }
    let mut failures = Vec::new();
    let expect = &test.expect;
    if let Some(allowed) = &expect.allowed {
        if *allowed != evaluation.allowed {
            failures.push(format!(
                "allowed: expected {allowed:?}, got {:?}",
                evaluation.allowed
            ));
        }
    }
    for (name, status) in &expect.capabilities {
        let actual = evaluation
            .capabilities
            .get(name)
            .map_or("(no such capability)", |c| c.status.as_str());
        if actual != status {
            failures.push(format!(
                "capabilities.{name}: expected {status:?}, got {actual:?}"
            ));
        }
    }
    for (key, status) in &expect.requirements {
        let actual = evaluation
            .requirements
            .get(key)
            .map_or("met", |r| r.status.as_str());
        if actual != status {
            failures.push(format!(
                "requirements.{key}: expected {status:?}, got {actual:?}"
            ));
        }
    }
    for (key, code) in &expect.errors {
        let actual = evaluation
            .requirements
            .get(key)
            .and_then(|r| r.errors.first())
            .map_or("(none)", |e| e.code);
        if actual != code {
            failures.push(format!("errors.{key}: expected {code:?}, got {actual:?}"));
        }
    }
    if let Some(operation) = &test.operation {
        match rules.check(&test.snapshot, operation, test.at) {
            Ok(decision) => {
                record(coverage, "operation", operation, decision.allowed);
                if let Ok(explanation) =
                    rules.explain(&test.snapshot, Target::Operation(operation), test.at)
                {
                    observe(coverage, &explanation.tree, None, None);
                }
                let actual = decision.error_type.map_or("allowed", |e| e.as_str());
                if let Some(expected) = &expect.decision {
                    if actual != expected {
                        failures.push(format!("decision: expected {expected:?}, got {actual:?}"));
                    }
                }
            }
            Err(err) => failures.push(format!("operation: {err}")),
        }
    } else if let Some(expected) = &expect.decision {
        failures.push(format!(
            "decision: expected {expected:?}, but the test names no `operation`"
        ));
    }
    RuleTestResult {
        name: test.name.clone(),
        location: test.location.clone(),
        failures,
    }
}
