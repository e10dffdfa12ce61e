//! The compiled, validated rule set: immutable, `Send + Sync`, cheap to clone.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, LazyLock};

use crate::error::{CheckError, LoadErrors};
use crate::evaluation::{Decision, Evaluation};
use crate::limits::Limits;
use crate::snapshot::Snapshot;
use crate::time::Timestamp;

/// The default ruleset's source text: the provider's documented rules (`rules/`).
///
/// # Example
///
/// ```
/// let rules = capgate::RuleSet::from_toml(capgate::BUILTIN_RULES_NAME, capgate::BUILTIN_RULES)?;
/// assert_eq!(rules.hash(), capgate::RuleSet::builtin().hash());
/// # Ok::<(), capgate::LoadErrors>(())
/// ```
pub const BUILTIN_RULES: &str = include_str!("../rules/coinbase-customers.toml");

/// The most capabilities a ruleset may define (evaluation keeps capability sets as bitsets).
pub const MAX_CAPABILITIES: usize = 128;

/// The name the builtin source carries in errors.
///
/// # Example
///
/// ```
/// let source = capgate::Source::new(capgate::BUILTIN_RULES_NAME, capgate::BUILTIN_RULES);
/// assert_eq!(source.name, "rules/coinbase-customers.toml");
/// ```
pub const BUILTIN_RULES_NAME: &str = "rules/coinbase-customers.toml";

static BUILTIN: LazyLock<Result<RuleSet, LoadErrors>> =
    LazyLock::new(|| RuleSet::from_toml(BUILTIN_RULES_NAME, BUILTIN_RULES));

/// One named TOML text to load rules from.
///
/// # Example
///
/// ```
/// let provider = capgate::Source::new(capgate::BUILTIN_RULES_NAME, capgate::BUILTIN_RULES);
/// let policy = capgate::Source::new("policy.toml", r#"
///     [requirements.employerName]
///     path = "individual.employerName"
///     verified_by = "platform"
///     [extend.capabilities.tradeCrypto]
///     requirements = ["employerName"]
/// "#);
/// let rules = capgate::RuleSet::from_sources(&[provider, policy])?;
/// assert!(rules.requirement_keys().any(|key| key == "employerName"));
/// # Ok::<(), capgate::LoadErrors>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Source<'a> {
    /// The name used in error locations (usually the file path).
    pub name: &'a str,
    /// The TOML text.
    pub text: &'a str,
}

impl<'a> Source<'a> {
    /// A source named `name` with TOML `text`.
    ///
    /// # Example
    ///
    /// ```
    /// let source = capgate::Source::new("policy.toml", "[capabilities.a]\n");
    /// assert_eq!((source.name, source.text), ("policy.toml", "[capabilities.a]\n"));
    /// ```
    pub fn new(name: &'a str, text: &'a str) -> Source<'a> {
        Source { name, text }
    }
}

/// A validated rule set, compiled once and evaluated many times.
///
/// Loading resolves every name, checks references and cycles and pre-parses field paths and
/// patterns, so evaluation never fails. The value is immutable, `Send + Sync` and cheap to
/// clone (an `Arc` inside).
///
/// # Example
///
/// ```
/// use capgate::{RuleSet, Snapshot, Timestamp};
///
/// let rules = RuleSet::builtin();
/// let snapshot = Snapshot::from_json(r#"{"capabilities": {"custodyCrypto": {"requested": true}}}"#)?;
/// let evaluation = rules.evaluate(&snapshot, Timestamp::parse("2026-11-22T00:00:00Z")?);
/// assert!(evaluation.allowed.is_empty());
/// assert!(evaluation.requirements.contains_key("fullSsn"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct RuleSet {
    pub(crate) inner: Arc<Compiled>,
    /// The limits the `wire` functions apply to the snapshots they parse.
    pub(crate) limits: Limits,
}

impl fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuleSet")
            .field("id", &self.inner.id)
            .field("version", &self.inner.version)
            .field("hash", &self.inner.hash)
            .field("n_requirements", &self.inner.requirements.len())
            .field("n_capabilities", &self.inner.capabilities.len())
            .field("n_operations", &self.inner.operations.len())
            .field("limits", &self.limits)
            .finish()
    }
}

impl RuleSet {
    /// The embedded default ruleset (the provider's documented rules), parsed once per
    /// process.
    ///
    /// The embedded rules are validated by the test suite. Should they ever fail to load,
    /// this returns an empty ruleset that grants nothing and knows no operation (fail-closed),
    /// and [`RuleSet::builtin_checked`] returns the errors.
    ///
    /// # Example
    ///
    /// ```
    /// let rules = capgate::RuleSet::builtin();
    /// assert_eq!(rules.id(), "coinbase-customers");
    /// assert_eq!(rules.capability_names().count(), 8);
    /// ```
    pub fn builtin() -> RuleSet {
        match &*BUILTIN {
            Ok(rules) => rules.clone(),
            Err(_) => RuleSet {
                inner: Arc::new(Compiled::empty()),
                limits: Limits::DEFAULT,
            },
        }
    }

    /// The embedded default ruleset, or the errors that kept it from loading.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(capgate::RuleSet::builtin_checked().is_ok());
    /// ```
    pub fn builtin_checked() -> Result<RuleSet, LoadErrors> {
        BUILTIN.clone()
    }

    /// Loads a ruleset from one TOML source.
    ///
    /// # Errors
    ///
    /// Every problem in the source, each located by line and column with a stable code.
    ///
    /// # Example
    ///
    /// ```
    /// let rules = capgate::RuleSet::from_toml("mini.toml", r#"
    ///     [requirements.firstName]
    ///     path = "individual.firstName"
    ///     checks = [{ kind = "non_empty" }]
    ///     [capabilities.custodyCrypto]
    ///     requirements = ["firstName"]
    /// "#)?;
    /// assert_eq!(rules.capability_names().collect::<Vec<_>>(), ["custodyCrypto"]);
    /// # Ok::<(), capgate::LoadErrors>(())
    /// ```
    pub fn from_toml(name: &str, text: &str) -> Result<RuleSet, LoadErrors> {
        RuleSet::from_sources(&[Source::new(name, text)])
    }

    /// Loads a ruleset from several TOML sources combined (the provider's rules plus a
    /// platform's policy, say).
    ///
    /// # Errors
    ///
    /// Every problem in every source, sorted by source order and position.
    ///
    /// # Example
    ///
    /// ```
    /// let broken = capgate::Source::new("policy.toml", "[extend.capabilities.tradeCrpto]\nrequirements = []\n");
    /// let builtin = capgate::Source::new(capgate::BUILTIN_RULES_NAME, capgate::BUILTIN_RULES);
    /// let errors = capgate::RuleSet::from_sources(&[builtin, broken]).unwrap_err();
    /// assert_eq!(
    ///     errors.to_string(),
    ///     "policy.toml:1:22: CG106: unknown capability `tradeCrpto`"
    /// );
    /// ```
    pub fn from_sources(sources: &[Source<'_>]) -> Result<RuleSet, LoadErrors> {
        crate::compile::compile(sources).map(|compiled| RuleSet {
            inner: Arc::new(compiled),
            limits: Limits::DEFAULT,
        })
    }

    /// The same ruleset (shared, not copied) with the [`Limits`] that the `wire` functions
    /// apply to the snapshots they parse for it (the CLI's `--max-*` options and the WASM
    /// package's `withLimits` set them). [`Snapshot::from_json`] always uses the defaults.
    ///
    /// # Example
    ///
    /// ```
    /// use capgate::{Limits, RuleSet};
    ///
    /// let rules = RuleSet::builtin().with_limits(Limits::default().with_max_snapshot_bytes(16));
    /// let err = capgate::wire::evaluate_json(&rules, r#"{"capabilities": {"tradeCrypto": {"requested": true}}}"#, "2026-11-22T00:00:00Z")
    ///     .unwrap_err();
    /// assert_eq!(err.code, "CG207");
    /// assert_eq!(rules.limits().max_snapshot_bytes, 16);
    /// ```
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> RuleSet {
        self.limits = limits;
        self
    }

    /// The limits the `wire` functions apply to snapshots for this ruleset (see
    /// [`RuleSet::with_limits`]; [`Limits::default`] unless set).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(capgate::RuleSet::builtin().limits(), &capgate::Limits::default());
    /// ```
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Validates sources and returns every problem (empty when they load).
    ///
    /// # Example
    ///
    /// ```
    /// let problems = capgate::RuleSet::lint(&[capgate::Source::new("a.toml", "[capabilities.x]\ndepends_on = [\"x\"]\n")]);
    /// assert_eq!(problems[0].code().as_str(), "CG107");
    /// ```
    pub fn lint(sources: &[Source<'_>]) -> Vec<crate::error::LoadError> {
        match crate::compile::compile(sources) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.errors().to_vec(),
        }
    }

    /// Evaluates `snapshot` at time `at`. Total: it never fails and never panics.
    ///
    /// See the README for the semantics.
    ///
    /// # Example
    ///
    /// ```
    /// # use capgate::{RuleSet, Snapshot, Timestamp};
    /// let snapshot = Snapshot::from_json(r#"{
    ///     "capabilities": {"custodyCrypto": {"requested": true, "status": "active"}},
    ///     "requirements": {},
    ///     "tosAcceptances": [{"versionId": "us_individual_2026-05-29", "language": "en", "acceptedAt": "2026-06-01T00:00:00Z"}]
    /// }"#)?;
    /// let evaluation = RuleSet::builtin().evaluate(&snapshot, Timestamp::parse("2026-11-22T00:00:00Z")?);
    /// assert_eq!(evaluation.allowed, ["custodyCrypto"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn evaluate(&self, snapshot: &Snapshot, at: Timestamp) -> Evaluation {
        crate::eval::evaluate(self, snapshot, at)
    }

    /// Evaluates like [`RuleSet::evaluate`], without materializing the result: the
    /// [`EvaluationRef`](crate::EvaluationRef) borrows names from these rules and the snapshot,
    /// so the hot path ("may this customer do X") allocates little.
    ///
    /// # Example
    ///
    /// ```
    /// # use capgate::{RuleSet, Snapshot, Timestamp};
    /// let rules = RuleSet::builtin();
    /// let snapshot = Snapshot::from_json(r#"{"capabilities": {"custodyFiat": {"requested": true, "status": "active"}}}"#)?;
    /// let evaluation = rules.evaluate_ref(&snapshot, Timestamp::parse("2026-11-22T00:00:00Z")?);
    /// assert!(!evaluation.is_allowed("custodyFiat")); // a draft: the identity fields are missing
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn evaluate_ref<'a>(
        &'a self,
        snapshot: &'a Snapshot,
        at: Timestamp,
    ) -> crate::EvaluationRef<'a> {
        crate::EvaluationRef::new(crate::eval::view(self, snapshot, at))
    }

    /// Decides whether `operation` may proceed for this customer at `at`.
    ///
    /// # Errors
    ///
    /// An operation the ruleset does not define (CG301); never an allow.
    ///
    /// # Example
    ///
    /// ```
    /// # use capgate::{RuleSet, Snapshot, Timestamp};
    /// let snapshot = Snapshot::from_json(r#"{"capabilities": {"custodyFiat": {"requested": true, "status": "pending"}}, "requirements": {}}"#)?;
    /// let decision = RuleSet::builtin().check(&snapshot, "createFiatDepositDestination", Timestamp::parse("2026-11-22T00:00:00Z")?)?;
    /// assert!(!decision.allowed);
    /// assert_eq!(decision.error_type.map(|e| e.as_str()), Some("customer_not_authorized"));
    /// assert_eq!(decision.unauthorized_capabilities, ["custodyFiat"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check(
        &self,
        snapshot: &Snapshot,
        operation: &str,
        at: Timestamp,
    ) -> Result<Decision, CheckError> {
        crate::eval::check(self, snapshot, operation, at)
    }

    /// Whether `operation` may proceed, given this customer's evaluation under these rules:
    /// exactly `check(snapshot, operation, evaluation.at)?.allowed`, without evaluating again
    /// or building the denial. For batch work (`capgate impact`) and hot paths that already
    /// hold the evaluation.
    ///
    /// `evaluation` must come from [`RuleSet::evaluate`] on these rules and `snapshot`.
    ///
    /// # Errors
    ///
    /// An operation the ruleset does not define (CG301); never an allow.
    ///
    /// # Example
    ///
    /// ```
    /// # use capgate::{RuleSet, Snapshot, Timestamp};
    /// let rules = RuleSet::builtin();
    /// let snapshot = Snapshot::from_json(r#"{"capabilities": {"custodyFiat": {"requested": true, "status": "active"}},
    ///     "requirements": {}, "compliance": {"requesterIpAddress": "203.0.113.7"},
    ///     "tosAcceptances": [{"versionId": "us_individual_2026-05-29", "language": "en", "acceptedAt": "2026-06-01T00:00:00Z"}]}"#)?;
    /// let evaluation = rules.evaluate(&snapshot, Timestamp::parse("2026-11-22T00:00:00Z")?);
    /// assert!(rules.allows(&evaluation, &snapshot, "createFiatDepositDestination")?);
    /// assert!(!rules.allows(&evaluation, &snapshot, "sendFiatTransfer")?); // transferFiat is not active
    /// // The operation's request context counts too, as in `check`.
    /// let no_ip = Snapshot::from_json(r#"{"capabilities": {"custodyFiat": {"requested": true, "status": "active"}}, "requirements": {},
    ///     "tosAcceptances": [{"versionId": "us_individual_2026-05-29", "language": "en", "acceptedAt": "2026-06-01T00:00:00Z"}]}"#)?;
    /// let evaluation = rules.evaluate(&no_ip, Timestamp::parse("2026-11-22T00:00:00Z")?);
    /// assert!(!rules.allows(&evaluation, &no_ip, "createFiatDepositDestination")?);
    /// assert!(rules.allows(&evaluation, &snapshot, "teleport").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allows(
        &self,
        evaluation: &Evaluation,
        snapshot: &Snapshot,
        operation: &str,
    ) -> Result<bool, CheckError> {
        crate::eval::allows(self, evaluation, snapshot, operation)
    }

    /// Explains why `target` (a capability or an operation) is or is not available at `at`:
    /// a tree from the target through its dependencies and requirements down to each check
    /// and the snapshot path it read, plus the unlock plan.
    ///
    /// # Errors
    ///
    /// An unknown operation (`CG301`) or capability (`CG303`).
    ///
    /// # Example
    ///
    /// ```
    /// # use capgate::{RuleSet, Snapshot, Target, Timestamp, StepAction};
    /// let snapshot = Snapshot::from_json(r#"{"individual": {"firstName": "Jane"}}"#)?;
    /// let at = Timestamp::parse("2026-11-22T00:00:00Z")?;
    /// let explanation = RuleSet::builtin().explain(&snapshot, Target::Capability("custodyCrypto"), at)?;
    /// let plan = &explanation.plan;
    /// assert_eq!(plan.steps[0].action, StepAction::RequestCapability);
    /// assert!(plan.steps.iter().all(|s| s.key != "firstName"));
    /// assert!(plan.steps.iter().any(|s| s.key == "fullSsn" && s.paths == ["/individual/fullSsn"]));
    /// assert_eq!(plan.awaiting_verification, ["custodyCrypto"]);
    /// assert_eq!(RuleSet::builtin().explain(&snapshot, Target::Capability("nope"), at).unwrap_err().code().as_str(), "CG303");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn explain(
        &self,
        snapshot: &Snapshot,
        target: crate::explain::Target<'_>,
        at: Timestamp,
    ) -> Result<crate::explain::Explanation, CheckError> {
        crate::explain::explain(self, snapshot, target, at)
    }

    /// Runs rule test files (TOML: `[[test]]` with `name`, `snapshot` (JSON text), `at`,
    /// `operation`, and `[test.expect]`) against these rules, with coverage.
    ///
    /// # Errors
    ///
    /// Every problem in the test files, located (`CG1xx`), like rule files.
    ///
    /// # Example
    ///
    /// ```
    /// let tests = "[[test]]\nname = \"nothing requested\"\nsnapshot = '{}'\n[test.expect]\nallowed = []\n";
    /// let report = capgate::RuleSet::builtin().run_tests(&[capgate::Source::new("t.toml", tests)])?;
    /// assert!(report.passed());
    /// let broken = capgate::RuleSet::builtin().run_tests(&[capgate::Source::new("t.toml", "[[test]]\nnmae = 1\n")]);
    /// assert_eq!(broken.unwrap_err().errors()[0].code().as_str(), "CG104");
    /// # Ok::<(), capgate::LoadErrors>(())
    /// ```
    pub fn run_tests(
        &self,
        sources: &[Source<'_>],
    ) -> Result<crate::ruletest::RuleTestReport, LoadErrors> {
        crate::ruletest::run(self, sources)
    }

    /// The ruleset id (from `[ruleset] id`; ids of combined sources are joined with `+`).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(capgate::RuleSet::builtin().id(), "coinbase-customers");
    /// ```
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// The ruleset version (from `[ruleset] version`, joined with `+` when combined).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(capgate::RuleSet::builtin().version(), "2026-10-22");
    /// ```
    pub fn version(&self) -> &str {
        &self.inner.version
    }

    /// `sha256:` and the hex SHA-256 of the source texts, in order: the same rules give the
    /// same hash wherever they are loaded from.
    ///
    /// # Example
    ///
    /// ```
    /// let hash = capgate::RuleSet::builtin().hash().to_owned();
    /// assert!(hash.starts_with("sha256:"));
    /// assert_eq!(hash.len(), "sha256:".len() + 64);
    /// ```
    pub fn hash(&self) -> &str {
        &self.inner.hash
    }

    /// Capability names, sorted.
    ///
    /// # Example
    ///
    /// ```
    /// let rules = capgate::RuleSet::builtin();
    /// let names: Vec<&str> = rules.capability_names().collect();
    /// assert_eq!(names.len(), 8);
    /// assert_eq!((names[0], names[7]), ("custodyCrypto", "transferStablecoin"));
    /// ```
    pub fn capability_names(&self) -> impl Iterator<Item = &str> {
        self.inner
            .capabilities
            .iter()
            .map(|capability| capability.name.as_str())
    }

    /// Requirement keys, sorted.
    ///
    /// # Example
    ///
    /// ```
    /// let rules = capgate::RuleSet::builtin();
    /// assert!(rules.requirement_keys().any(|key| key == "tos"));
    /// assert!(rules.requirement_keys().is_sorted());
    /// ```
    pub fn requirement_keys(&self) -> impl Iterator<Item = &str> {
        self.inner
            .requirements
            .iter()
            .map(|requirement| requirement.key.as_str())
    }

    /// JSON pointers of the snapshot values the rules mark `sensitive` (SSN, date of birth,
    /// ...), sorted: what a host must redact before logging a snapshot.
    ///
    /// # Example
    ///
    /// ```
    /// let paths = capgate::RuleSet::builtin().sensitive_paths();
    /// assert!(paths.contains(&"/individual/fullSsn".to_owned()));
    /// assert!(paths.contains(&"/individual/dateOfBirth".to_owned()));
    /// ```
    pub fn sensitive_paths(&self) -> Vec<String> {
        let fields = self
            .inner
            .requirements
            .iter()
            .filter(|r| r.sensitive)
            .filter_map(|r| match &r.kind {
                RequirementKind::Field(field) => Some(field),
                _ => None,
            });
        let context = self
            .inner
            .context
            .iter()
            .filter(|c| c.sensitive)
            .map(|c| &c.field);
        let mut paths: Vec<String> = fields
            .chain(context)
            .flat_map(|field| field.paths.iter().map(|p| crate::checks::pointer(p)))
            .collect();
        paths.sort_unstable();
        paths.dedup();
        paths
    }

    /// Operation names, sorted.
    ///
    /// # Example
    ///
    /// ```
    /// let rules = capgate::RuleSet::builtin();
    /// assert!(rules.operation_names().any(|op| op == "sendFiatTransfer"));
    /// assert!(rules.operation_names().is_sorted());
    /// ```
    pub fn operation_names(&self) -> impl Iterator<Item = &str> {
        self.inner.operations.keys().map(String::as_str)
    }

    /// The structural diff from these rules to `newer`: every capability, operation,
    /// requirement and context change, each classified stricter, looser or neutral.
    ///
    /// # Example
    ///
    /// ```
    /// use capgate::{ChangeClass, RuleSet, Source};
    /// let old = RuleSet::builtin();
    /// let policy = "[requirements.employerName]\npath = \"individual.employerName\"\n\
    ///               [extend.capabilities.tradeCrypto]\nrequirements = [\"employerName\"]\n";
    /// let new = RuleSet::from_sources(&[
    ///     Source::new(capgate::BUILTIN_RULES_NAME, capgate::BUILTIN_RULES),
    ///     Source::new("policy.toml", policy),
    /// ])?;
    /// let diff = old.diff(&new);
    /// let lines: Vec<String> = diff.changes.iter().map(ToString::to_string).collect();
    /// assert_eq!(lines, [
    ///     "stricter  capability tradeCrypto: requirement added: employerName",
    ///     "neutral   requirement employerName: added",
    /// ]);
    /// assert_eq!(diff.count(ChangeClass::Stricter), 1);
    /// assert!(old.diff(&old).is_empty());
    /// # Ok::<(), capgate::LoadErrors>(())
    /// ```
    pub fn diff(&self, newer: &RuleSet) -> crate::diff::RuleDiff {
        crate::diff::diff(&self.inner, &newer.inner)
    }
}

/// The compiled form. Indexes are positions in the sorted vectors.
pub(crate) struct Compiled {
    pub(crate) id: String,
    pub(crate) version: String,
    pub(crate) hash: String,
    /// Sorted by key.
    pub(crate) requirements: Vec<RequirementDef>,
    /// Sorted by name.
    pub(crate) capabilities: Vec<CapabilityDef>,
    pub(crate) operations: BTreeMap<String, OperationDef>,
    /// Request-context requirements, sorted by key.
    pub(crate) context: Vec<ContextDef>,
    /// Derived indexes for evaluation (see [`Compiled::indexed`]).
    pub(crate) index: EvalIndex,
}

/// What evaluation would otherwise recompute for every snapshot, derived once at load.
#[derive(Default)]
pub(crate) struct EvalIndex {
    /// Per requirement: the capabilities that need it outright (own, groups, dependencies).
    pub(crate) needed_by: Vec<u128>,
    /// Per requirement: the capabilities with an either/or set that lists it.
    pub(crate) alternative_of: Vec<u128>,
    /// Whether any requirement has `when` conditions.
    pub(crate) has_conditions: bool,
    /// Whether any capability has an either/or set.
    pub(crate) has_any_of: bool,
}

impl Compiled {
    pub(crate) fn empty() -> Compiled {
        Compiled {
            id: String::new(),
            version: String::new(),
            hash: String::new(),
            requirements: Vec::new(),
            capabilities: Vec::new(),
            operations: BTreeMap::new(),
            context: Vec::new(),
            index: EvalIndex::default(),
        }
    }

    /// Fills [`Compiled::index`] from the definitions.
    pub(crate) fn indexed(mut self) -> Compiled {
        let mut needed_by = vec![0u128; self.requirements.len()];
        let mut alternative_of = vec![0u128; self.requirements.len()];
        for (idx, capability) in self.capabilities.iter().enumerate() {
            let bit = crate::eval::bit(idx);
            for &requirement in &capability.requirements {
                if let Some(mask) = needed_by.get_mut(requirement) {
                    *mask |= bit;
                }
            }
            for &requirement in capability
                .any_of
                .iter()
                .flat_map(|a| a.alternatives.iter().flatten())
            {
                if let Some(mask) = alternative_of.get_mut(requirement) {
                    *mask |= bit;
                }
            }
        }
        self.index = EvalIndex {
            needed_by,
            alternative_of,
            has_conditions: self.requirements.iter().any(|r| !r.when.is_empty()),
            has_any_of: self.capabilities.iter().any(|c| !c.any_of.is_empty()),
        };
        self
    }

    pub(crate) fn requirement_idx(&self, key: &str) -> Option<usize> {
        self.requirements
            .binary_search_by(|r| r.key.as_str().cmp(key))
            .ok()
    }

    pub(crate) fn capability_idx(&self, name: &str) -> Option<usize> {
        self.capabilities
            .binary_search_by(|c| c.name.as_str().cmp(name))
            .ok()
    }
}

/// Who verifies a requirement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum VerifiedBy {
    /// The provider verifies it and lists it in its `requirements` map while outstanding.
    Provider,
    /// Platform policy: always checked against the snapshot's own data.
    Platform,
}

/// Who can act to resolve a requirement.
///
/// # Example
///
/// ```
/// # use capgate::{Resolver, RuleSet, Snapshot, Timestamp};
/// let snapshot = Snapshot::from_json(r#"{"capabilities": {"tradeCrypto": {"requested": true}}}"#)?;
/// let evaluation = RuleSet::builtin().evaluate(&snapshot, Timestamp::parse("2026-11-22T00:00:00Z")?);
/// assert_eq!(evaluation.requirements["occupation"].resolved_by, Some(Resolver::Customer));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Resolver {
    /// The end customer provides or corrects it.
    Customer,
    /// The platform (the API caller) provides it.
    Platform,
    /// Only the provider can resolve it (verification, compliance review).
    Provider,
}

impl Resolver {
    /// The name used in rule files and output (`customer`, `platform`, `provider`).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(capgate::Resolver::Customer.as_str(), "customer");
    /// assert_eq!(capgate::Resolver::Provider.as_str(), "provider");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Resolver::Customer => "customer",
            Resolver::Platform => "platform",
            Resolver::Provider => "provider",
        }
    }
}

pub(crate) struct RequirementDef {
    pub(crate) key: String,
    /// What the customer provides, in words (the rule's `description`).
    pub(crate) description: Option<String>,
    pub(crate) kind: RequirementKind,
    pub(crate) verified_by: VerifiedBy,
    pub(crate) resolved_by: Resolver,
    pub(crate) sensitive: bool,
    pub(crate) deadline: Option<Timestamp>,
    /// The requirement applies only when every condition holds (empty: always).
    pub(crate) when: Vec<Condition>,
}

/// A condition on the snapshot (`when = { path = "...", one_of = [...] }`).
pub(crate) struct Condition {
    pub(crate) path: Vec<String>,
    pub(crate) test: ConditionTest,
}

pub(crate) enum ConditionTest {
    /// The value is one of these strings. A missing value counts as holding (fail-closed:
    /// the requirement applies when the data to rule it out is missing).
    OneOf(Vec<String>),
    /// The value is present (`true`) or absent (`false`).
    Present(bool),
}

/// An either/or set: met when every requirement of any one alternative is met.
#[derive(Clone)]
pub(crate) struct AnyOfDef {
    /// The group that declared it, for explanations.
    pub(crate) group: String,
    /// Each alternative's requirement indexes, sorted.
    pub(crate) alternatives: Vec<Vec<usize>>,
}

pub(crate) enum RequirementKind {
    Field(FieldRule),
    Acceptance { versions: Vec<TosVersionDef> },
    Attestation { forms: Vec<String> },
}

/// Where a value lives in the snapshot and what it must satisfy.
pub(crate) struct FieldRule {
    /// Alternative paths, first present wins (older and newer provider shapes).
    pub(crate) paths: Vec<Vec<String>>,
    pub(crate) checks: Vec<Check>,
    pub(crate) optional: bool,
}

pub(crate) struct TosVersionDef {
    pub(crate) id: String,
    pub(crate) languages: Vec<String>,
    pub(crate) url: String,
    pub(crate) deadline: Option<Timestamp>,
}

/// A declarative check on a field value.
pub(crate) enum Check {
    NonEmpty,
    OneOf(Vec<String>),
    Pattern(crate::pattern::Pattern),
    Length {
        min: Option<usize>,
        max: Option<usize>,
    },
    DateParts {
        allow_future: bool,
    },
    IpAddress,
}

impl Check {
    /// The check's kind, as written in rule files.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Check::NonEmpty => "non_empty",
            Check::OneOf(_) => "one_of",
            Check::Pattern(_) => "pattern",
            Check::Length { .. } => "length",
            Check::DateParts { .. } => "date_parts",
            Check::IpAddress => "ip_address",
        }
    }
}

pub(crate) struct CapabilityDef {
    pub(crate) name: String,
    /// Every requirement this capability needs (own, through groups and through
    /// dependencies), sorted, without duplicates.
    pub(crate) requirements: Vec<usize>,
    /// Direct dependencies (capability indexes), sorted.
    pub(crate) depends_on: Vec<usize>,
    /// Either/or sets (own, through groups and through dependencies).
    pub(crate) any_of: Vec<AnyOfDef>,
}

pub(crate) struct OperationDef {
    /// Capability indexes, sorted.
    pub(crate) capabilities: Vec<usize>,
    /// Context requirement indexes, sorted.
    pub(crate) context: Vec<usize>,
}

pub(crate) struct ContextDef {
    pub(crate) key: String,
    pub(crate) field: FieldRule,
    pub(crate) sensitive: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ruleset_is_send_sync_and_the_builtin_loads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<RuleSet>();
        assert_send_sync::<Snapshot>();
        if let Err(errors) = RuleSet::builtin_checked() {
            panic!("{errors}");
        }
    }
}
