//! The JSON contract shared by the CLI, the WASM build and any other host.
//!
//! Every host calls these functions, so their outputs cannot drift apart: the same inputs
//! give byte-for-byte the same JSON. The shapes are documented in the README ("Output").
//! `capabilities` and `requirements` use the provider's own shapes and names.

#![expect(
    clippy::result_large_err,
    reason = "a wire error is built once per failed call at the host boundary; boxing it would only add an allocation"
)]

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};

use crate::changes::{ChangeEvent, RequirementChangeStatus, changes};
use crate::end_user::EndUserView;
use crate::error::{CheckError, ErrorCode, LoadError, LoadErrors, SnapshotError};
use crate::eval::View;
use crate::evaluation::{
    CapabilityState, CapabilityStatus, Decision, Evaluation, Outstanding, TosVersion, WaitingOn,
};
use crate::explain::{Explanation, Node, Target};
use crate::ruleset::{Resolver, RuleSet, Source};
use crate::snapshot::Snapshot;
use crate::time::Timestamp;

/// An error in the wire shape: a stable code, a message, and where.
///
/// For rule files, `file`/`line`/`column`/`span` locate the first problem and `errors` lists
/// all of them; for snapshots, `path` is a JSON pointer (and `line`/`column` for syntax
/// errors).
///
/// # Example
///
/// ```
/// let rules = capgate::RuleSet::builtin();
/// let err = capgate::wire::evaluate_json(&rules, "{", "2026-11-22T00:00:00Z").unwrap_err();
/// assert_eq!(err.code, "CG201");
/// assert!(err.to_json().starts_with(r#"{"code":"CG201""#));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "camelCase")]
#[error("{code}: {message}")]
pub struct WireError {
    /// The stable code (`CG101`...).
    pub code: &'static str,
    /// The message, without location.
    pub message: String,
    /// The rule source name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// 1-based column, in characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// Byte range `[start, end)` in the rule source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<[usize; 2]>,
    /// JSON pointer in the snapshot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// A hint on how to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Every problem, for rule files with several.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<WireError>,
}

impl WireError {
    /// An error with only a code and a message (a host adds the location it knows).
    ///
    /// # Example
    ///
    /// ```
    /// use capgate::{ErrorCode, wire::WireError};
    /// let error = WireError::new(ErrorCode::JsonSyntax, "the snapshot is not valid UTF-8");
    /// assert_eq!(error.to_json(), r#"{"code":"CG201","message":"the snapshot is not valid UTF-8"}"#);
    /// ```
    pub fn new(code: ErrorCode, message: impl Into<String>) -> WireError {
        WireError::bare(code, message.into())
    }

    fn bare(code: ErrorCode, message: String) -> WireError {
        WireError {
            code: code.as_str(),
            message,
            file: None,
            line: None,
            column: None,
            span: None,
            path: None,
            help: None,
            errors: Vec::new(),
        }
    }

    /// This error as compact JSON.
    ///
    /// # Example
    ///
    /// ```
    /// let err = capgate::wire::parse_at("tomorrow").unwrap_err();
    /// let value: serde_json::Value = serde_json::from_str(&err.to_json()).unwrap();
    /// assert_eq!(value["code"], "CG302");
    /// assert!(value.get("path").is_none()); // absent fields are left out
    /// ```
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl From<&LoadError> for WireError {
    fn from(error: &LoadError) -> WireError {
        let span = error.span();
        WireError {
            file: Some(error.source_name().to_owned()),
            line: Some(error.line()),
            column: Some(error.column()),
            span: Some([span.start, span.end]),
            help: error.help().map(str::to_owned),
            ..WireError::bare(error.code(), error.message().to_owned())
        }
    }
}

impl From<&LoadErrors> for WireError {
    fn from(errors: &LoadErrors) -> WireError {
        let all: Vec<WireError> = errors.errors().iter().map(WireError::from).collect();
        let mut first = all
            .first()
            .cloned()
            .unwrap_or_else(|| WireError::bare(ErrorCode::TomlSyntax, "invalid rules".to_owned()));
        if all.len() > 1 {
            first.message = format!("{} (and {} more problems)", first.message, all.len() - 1);
        }
        first.errors = all;
        first
    }
}

impl From<&SnapshotError> for WireError {
    fn from(error: &SnapshotError) -> WireError {
        WireError {
            path: Some(error.path().to_owned()),
            line: error.line(),
            column: error.column(),
            ..WireError::bare(error.code(), error.message().to_owned())
        }
    }
}

impl From<&CheckError> for WireError {
    fn from(error: &CheckError) -> WireError {
        let noun = if error.code() == ErrorCode::UnknownCapability {
            "capability"
        } else {
            "operation"
        };
        WireError::bare(
            error.code(),
            format!("unknown {noun} `{}`", error.operation()),
        )
    }
}

/// Parses the evaluation time for a wire call.
///
/// # Errors
///
/// CG302 when `at` is not an RFC 3339 timestamp with a zone.
///
/// # Example
///
/// ```
/// let at = capgate::wire::parse_at("2026-11-22T12:00:00Z")?;
/// assert_eq!(at.to_string(), "2026-11-22T12:00:00Z");
/// assert_eq!(capgate::wire::parse_at("2026-11-22").unwrap_err().code, "CG302");
/// # Ok::<(), capgate::wire::WireError>(())
/// ```
pub fn parse_at(at: &str) -> Result<Timestamp, WireError> {
    Timestamp::parse(at).map_err(|err| {
        WireError::bare(
            ErrorCode::InvalidArgument,
            format!("invalid evaluation time: {}", err.reason()),
        )
    })
}

/// Loads rule sources, in the wire error shape.
///
/// # Errors
///
/// Every problem in the sources (see [`WireError`]).
///
/// # Example
///
/// ```
/// let err = capgate::wire::load(&[capgate::Source::new("r.toml", "[capabilities.a]\nrequirments = []\n")])
///     .unwrap_err();
/// assert_eq!(err.code, "CG102");
/// assert_eq!((err.file.as_deref(), err.line, err.column), (Some("r.toml"), Some(2), Some(1)));
/// ```
pub fn load(sources: &[Source<'_>]) -> Result<RuleSet, WireError> {
    RuleSet::from_sources(sources).map_err(|errors| WireError::from(&errors))
}

/// Every problem in the sources, as a JSON array (`[]` when they load).
///
/// # Example
///
/// ```
/// let json = capgate::wire::lint_json(&[capgate::Source::new("a.toml", "[capabilities.x]\ngroups = [\"g\"]\n")]);
/// assert!(json.contains(r#""code":"CG106""#));
/// ```
pub fn lint_json(sources: &[Source<'_>]) -> String {
    let errors: Vec<WireError> = RuleSet::lint(sources).iter().map(WireError::from).collect();
    serde_json::to_string(&errors).unwrap_or_else(|_| "[]".to_owned())
}

/// Parses a snapshot, evaluates it at `at` and returns the evaluation as JSON.
///
/// # Errors
///
/// A malformed snapshot (`CG2xx`) or evaluation time (CG302).
///
/// # Example
///
/// ```
/// let rules = capgate::RuleSet::builtin();
/// let json = capgate::wire::evaluate_json(&rules, r#"{"capabilities": {}}"#, "2026-11-22T00:00:00Z")?;
/// let value: serde_json::Value = serde_json::from_str(&json).unwrap();
/// assert_eq!(value["capabilities"]["custodyFiat"]["status"], "unrequested");
/// assert_eq!(value["allowed"], serde_json::json!([]));
/// # Ok::<(), capgate::wire::WireError>(())
/// ```
pub fn evaluate_json(rules: &RuleSet, snapshot_json: &str, at: &str) -> Result<String, WireError> {
    evaluate_text(rules, snapshot_json, at, |view| view_json_serde(view, true))
}

/// Parses the time and the snapshot, evaluates, and prints the view with `print` (a
/// function, not a flag, so that a host calling only the compact form links no serde code for
/// the pretty one).
fn evaluate_text(
    rules: &RuleSet,
    snapshot_json: &str,
    at: &str,
    print: fn(&View<'_>) -> String,
) -> Result<String, WireError> {
    let at = parse_at(at)?;
    let snapshot = Snapshot::from_json_with(snapshot_json, rules.limits())
        .map_err(|err| WireError::from(&err))?;
    Ok(print(&crate::eval::view(rules, &snapshot, at)))
}

/// Parses the time and the snapshot, and checks `operation`.
fn check_snapshot(
    rules: &RuleSet,
    snapshot_json: &str,
    operation: &str,
    at: &str,
) -> Result<Decision, WireError> {
    let at = parse_at(at)?;
    let snapshot = Snapshot::from_json_with(snapshot_json, rules.limits())
        .map_err(|err| WireError::from(&err))?;
    rules
        .check(&snapshot, operation, at)
        .map_err(|err| WireError::from(&err))
}

/// Parses a snapshot, checks `operation` at `at` and returns the decision as JSON.
///
/// # Errors
///
/// A malformed snapshot (`CG2xx`), evaluation time (CG302) or an unknown operation (CG301).
///
/// # Example
///
/// ```
/// let rules = capgate::RuleSet::builtin();
/// let json = capgate::wire::check_json(&rules, "{}", "createCustomerAccount", "2026-11-22T00:00:00Z")?;
/// assert!(json.contains(r#""errorType": "customer_not_authorized""#));
/// # Ok::<(), capgate::wire::WireError>(())
/// ```
pub fn check_json(
    rules: &RuleSet,
    snapshot_json: &str,
    operation: &str,
    at: &str,
) -> Result<String, WireError> {
    check_snapshot(rules, snapshot_json, operation, at).map(|decision| decision_to_json(&decision))
}

/// Like [`evaluate_json`], without whitespace: the same content for hosts that parse it
/// straight back (the WASM build's object results), at a lower cost.
///
/// # Errors
///
/// As [`evaluate_json`].
///
/// # Example
///
/// ```
/// let rules = capgate::RuleSet::builtin();
/// let compact = capgate::wire::evaluate_json_compact(&rules, "{}", "2026-11-22T00:00:00Z")?;
/// let pretty = capgate::wire::evaluate_json(&rules, "{}", "2026-11-22T00:00:00Z")?;
/// let parse = |text: &str| serde_json::from_str::<serde_json::Value>(text).unwrap();
/// assert_eq!(parse(&compact), parse(&pretty));
/// assert!(!compact.contains('\n'));
/// # Ok::<(), capgate::wire::WireError>(())
/// ```
pub fn evaluate_json_compact(
    rules: &RuleSet,
    snapshot_json: &str,
    at: &str,
) -> Result<String, WireError> {
    evaluate_text(rules, snapshot_json, at, crate::compact::view_json)
}

/// Like [`check_json`], without whitespace.
///
/// # Errors
///
/// As [`check_json`].
///
/// # Example
///
/// ```
/// let rules = capgate::RuleSet::builtin();
/// let compact = capgate::wire::check_json_compact(&rules, "{}", "createCustomerAccount", "2026-11-22T00:00:00Z")?;
/// assert!(compact.starts_with(r#"{"operation":"createCustomerAccount","allowed":false"#));
/// # Ok::<(), capgate::wire::WireError>(())
/// ```
pub fn check_json_compact(
    rules: &RuleSet,
    snapshot_json: &str,
    operation: &str,
    at: &str,
) -> Result<String, WireError> {
    check_snapshot(rules, snapshot_json, operation, at)
        .map(|decision| serde_json::to_string(&WireDecision::from(&decision)).unwrap_or_default())
}

/// An evaluation as pretty-printed JSON (two-space indent, no trailing newline).
///
/// # Example
///
/// ```
/// # use capgate::{RuleSet, Snapshot, Timestamp};
/// let evaluation = RuleSet::builtin().evaluate(&Snapshot::from_json("{}")?, Timestamp::parse("2026-11-22T00:00:00Z")?);
/// let json = capgate::wire::evaluation_to_json(&evaluation);
/// assert!(json.starts_with("{\n  \"capabilities\": {") && json.ends_with('}'));
/// assert!(json.contains(r#""at": "2026-11-22T00:00:00Z""#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn evaluation_to_json(evaluation: &Evaluation) -> String {
    to_pretty(&WireEvaluation::from(evaluation))
}

/// A decision as pretty-printed JSON (two-space indent, no trailing newline).
///
/// # Example
///
/// ```
/// # use capgate::{RuleSet, Snapshot, Timestamp};
/// let at = Timestamp::parse("2026-11-22T00:00:00Z")?;
/// let decision = RuleSet::builtin().check(&Snapshot::from_json("{}")?, "createCustomerAccount", at)?;
/// let json = capgate::wire::decision_to_json(&decision);
/// assert!(json.starts_with("{\n  \"operation\": \"createCustomerAccount\""));
/// assert!(json.contains(r#""allowed": false"#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decision_to_json(decision: &Decision) -> String {
    to_pretty(&WireDecision::from(decision))
}

/// Change events as pretty-printed JSON (two-space indent, no trailing newline): an array of
/// `{"eventType", "data"}` objects in the provider's webhook shapes, `[]` when nothing
/// changed.
///
/// `data` is `{"customerId", "capabilities": [{"code", "status"}]}` for
/// `customers.capability.changed` and `{"customerId", "requirements": [{"field", "status",
/// "impact"?}]}` for `customers.requirement.changed` (`impact` is left out when `status` is
/// `cleared`, as the provider does). `customerId` is `null` when unknown. There is no
/// `eventId` or `timestamp`: the host wraps each event in its own envelope.
///
/// # Example
///
/// ```
/// # use capgate::{CapabilityChange, CapabilityStatus, ChangeEvent};
/// let events = [ChangeEvent::CapabilityChanged {
///     customer_id: Some("customer_123".to_owned()),
///     capabilities: vec![CapabilityChange { code: "custodyFiat".to_owned(), status: CapabilityStatus::Active }],
/// }];
/// let json = capgate::wire::changes_to_json(&events);
/// assert!(json.starts_with("[\n  {\n    \"eventType\": \"customers.capability.changed\",\n    \"data\": {"));
/// assert!(json.contains(r#""customerId": "customer_123""#));
/// assert_eq!(capgate::wire::changes_to_json(&[]), "[]");
/// ```
pub fn changes_to_json(events: &[ChangeEvent]) -> String {
    let events: Vec<WireChangeEvent<'_>> = events.iter().map(WireChangeEvent::from).collect();
    to_pretty(&events)
}

/// Parses two snapshots of one customer, evaluates both at `at` and returns the change
/// events from the first to the second as JSON (see [`changes_to_json`]). `customerId` is
/// the new snapshot's, else the old one's.
///
/// # Errors
///
/// A malformed snapshot (`CG2xx`; the error does not say which of the two) or evaluation
/// time (CG302).
///
/// # Example
///
/// ```
/// let rules = capgate::RuleSet::builtin();
/// let old = r#"{"customerId": "customer_123", "requirements": {"email": {"status": "pending"}}}"#;
/// let new = r#"{"customerId": "customer_123", "requirements": {}}"#;
/// let json = capgate::wire::changes_json(&rules, old, new, "2026-11-22T00:00:00Z")?;
/// let events: serde_json::Value = serde_json::from_str(&json).unwrap();
/// assert_eq!(events, serde_json::json!([{
///     "eventType": "customers.requirement.changed",
///     "data": {"customerId": "customer_123", "requirements": [{"field": "email", "status": "cleared"}]}
/// }]));
/// assert_eq!(capgate::wire::changes_json(&rules, new, new, "2026-11-22T00:00:00Z")?, "[]");
/// # Ok::<(), capgate::wire::WireError>(())
/// ```
pub fn changes_json(
    rules: &RuleSet,
    old_snapshot_json: &str,
    new_snapshot_json: &str,
    at: &str,
) -> Result<String, WireError> {
    let at = parse_at(at)?;
    let old = Snapshot::from_json_with(old_snapshot_json, rules.limits())
        .map_err(|err| WireError::from(&err))?;
    let new = Snapshot::from_json_with(new_snapshot_json, rules.limits())
        .map_err(|err| WireError::from(&err))?;
    let customer_id = new.customer_id().or(old.customer_id());
    let events = changes(
        customer_id,
        &rules.evaluate(&old, at),
        &rules.evaluate(&new, at),
    );
    Ok(changes_to_json(&events))
}

/// An explanation (tree and unlock plan) as pretty-printed JSON.
///
/// # Example
///
/// ```
/// # use capgate::{RuleSet, Snapshot, Target, Timestamp};
/// let snapshot = Snapshot::from_json("{}")?;
/// let explanation = RuleSet::builtin().explain(&snapshot, Target::Capability("custodyFiat"), Timestamp::parse("2026-11-22T00:00:00Z")?)?;
/// let json = capgate::wire::explanation_to_json(&explanation);
/// assert!(json.contains(r#""action": "request_capability""#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn explanation_to_json(explanation: &Explanation) -> String {
    to_pretty(&WireExplanation::from(explanation))
}

/// Parses a snapshot and explains a capability (`target_kind` `"capability"`) or an operation
/// (`"operation"`) at `at`, as JSON.
///
/// # Errors
///
/// A malformed snapshot (`CG2xx`) or time (`CG302`), an unknown target kind (`CG302`),
/// operation (`CG301`) or capability (`CG303`).
///
/// # Example
///
/// ```
/// let rules = capgate::RuleSet::builtin();
/// let json = capgate::wire::explain_json(&rules, "{}", "operation", "createCustomerAccount", "2026-11-22T00:00:00Z")?;
/// assert!(json.contains(r#""kind": "operation""#));
/// let err = capgate::wire::explain_json(&rules, "{}", "feature", "x", "2026-11-22T00:00:00Z").unwrap_err();
/// assert_eq!(err.code, "CG302");
/// # Ok::<(), capgate::wire::WireError>(())
/// ```
pub fn explain_json(
    rules: &RuleSet,
    snapshot_json: &str,
    target_kind: &str,
    target_name: &str,
    at: &str,
) -> Result<String, WireError> {
    let target = match target_kind {
        "capability" => Target::Capability(target_name),
        "operation" => Target::Operation(target_name),
        _ => {
            return Err(WireError::bare(
                ErrorCode::InvalidArgument,
                format!(
                    "invalid target kind `{target_kind}`: expected `capability` or `operation`"
                ),
            ));
        }
    };
    let at = parse_at(at)?;
    let snapshot = Snapshot::from_json_with(snapshot_json, rules.limits())
        .map_err(|err| WireError::from(&err))?;
    let explanation = rules
        .explain(&snapshot, target, at)
        .map_err(|err| WireError::from(&err))?;
    Ok(explanation_to_json(&explanation))
}

fn to_pretty<T: Serialize>(value: &T) -> String {
    // Serializing these types cannot fail: every map key is a string.
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// The evaluation's JSON shape, for an [`Evaluation`] (the default type parameters) and for
/// the engine's internal view (iterators over borrowed names), so both print alike.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireEvaluation<
    'a,
    C = MapView<'a, CapabilityState, WireCapability>,
    R = MapView<'a, Outstanding, WireRequirement<'a>>,
    A = &'a [String],
    W = MapView<'a, WaitingOn, WireWaitingOn<&'a [String], &'a [String]>>,
    N = &'a [String],
> {
    capabilities: C,
    requirements: R,
    allowed: A,
    waiting_on: W,
    next_transition_at: Option<String>,
    at: String,
    ruleset: WireStamp<'a>,
    warnings: N,
}

#[derive(Serialize)]
struct WireCapability {
    requested: bool,
    status: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireRequirement<'a, I = &'a [String]> {
    status: &'static str,
    impact: I,
    #[serde(skip_serializing_if = "Option::is_none")]
    deadline: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tos_versions: Vec<WireTosVersion<'a>>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    tax_forms: &'a [String],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<WireFieldError<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireTosVersion<'a> {
    version_id: &'a str,
    languages: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deadline: Option<String>,
}

#[derive(Serialize)]
struct WireFieldError<'a> {
    code: &'static str,
    path: &'a str,
}

#[derive(Serialize)]
struct WireWaitingOn<R, C> {
    requirements: R,
    capabilities: C,
    provider: bool,
}

#[derive(Serialize)]
struct WireStamp<'a> {
    id: &'a str,
    version: &'a str,
    hash: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireDecision<'a> {
    operation: &'a str,
    allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_message: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    unauthorized_capabilities: &'a [String],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    invalid_context: Vec<WireContextProblem<'a>>,
    requirements: MapView<'a, Outstanding, WireRequirement<'a>>,
    at: String,
    ruleset: WireStamp<'a>,
}

#[derive(Serialize)]
struct WireContextProblem<'a> {
    field: &'a str,
    code: &'static str,
    path: &'a str,
}

impl<'a> From<&'a Outstanding> for WireRequirement<'a> {
    fn from(requirement: &'a Outstanding) -> Self {
        WireRequirement::with_impact(requirement, &requirement.impact)
    }
}

impl<'a, I> WireRequirement<'a, I> {
    fn with_impact(requirement: &'a Outstanding, impact: I) -> Self {
        WireRequirement {
            status: requirement.status.as_str(),
            impact,
            deadline: requirement.deadline.map(|d| d.to_string()),
            tos_versions: requirement
                .tos_versions
                .iter()
                .map(|version| WireTosVersion {
                    version_id: &version.version_id,
                    languages: &version.languages,
                    url: version.url.as_deref(),
                    deadline: version.deadline.map(|d| d.to_string()),
                })
                .collect(),
            tax_forms: &requirement.tax_forms,
            errors: requirement
                .errors
                .iter()
                .map(|error| WireFieldError {
                    code: error.code,
                    path: &error.path,
                })
                .collect(),
        }
    }
}

/// A sequence serialized straight from an iterator.
struct IterSeq<I>(I);

impl<I> Serialize for IterSeq<I>
where
    I: Iterator + Clone,
    I::Item: Serialize,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.clone())
    }
}

/// A map serialized straight from an iterator of entries.
struct IterMap<I>(I);

impl<I, K, V> Serialize for IterMap<I>
where
    I: Iterator<Item = (K, V)> + Clone,
    K: Serialize,
    V: Serialize,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.clone())
    }
}

/// The evaluation JSON of a view, exactly as [`evaluation_to_json`] prints the evaluation it
/// materializes into, without building it.
pub(crate) fn view_json(view: &View<'_>, pretty: bool) -> String {
    if pretty {
        view_json_serde(view, true)
    } else {
        crate::compact::view_json(view)
    }
}

/// [`view_json`] through the serde types: the pretty form, and (in tests) the reference the
/// hand-written compact writer is compared with.
pub(crate) fn view_json_serde(view: &View<'_>, pretty: bool) -> String {
    let wire = WireEvaluation {
        capabilities: IterMap(view.capabilities().map(|(_, name, status)| {
            let state = WireCapability {
                requested: view.requested(name),
                status: status.as_str(),
            };
            (name, state)
        })),
        requirements: IterMap(view.requirements.iter().map(|(key, mask, requirement)| {
            let impact = IterSeq(view.names(*mask));
            (*key, WireRequirement::with_impact(requirement, impact))
        })),
        allowed: IterSeq(view.allowed()),
        waiting_on: IterMap(
            view.capabilities()
                .filter(|(_, _, status)| *status == CapabilityStatus::Pending)
                .map(|(idx, name, _)| {
                    let waiting = WireWaitingOn {
                        requirements: IterSeq(view.blocking(idx)),
                        capabilities: IterSeq(view.inactive_dependencies(idx)),
                        provider: view.waits_for_provider(idx),
                    };
                    (name, waiting)
                }),
        ),
        next_transition_at: view.next_transition_at.map(|t| t.to_string()),
        at: view.at.to_string(),
        ruleset: WireStamp {
            id: &view.compiled.id,
            version: &view.compiled.version,
            hash: &view.compiled.hash,
        },
        warnings: IterSeq(view.warnings()),
    };
    if pretty {
        to_pretty(&wire)
    } else {
        serde_json::to_string(&wire).unwrap_or_default()
    }
}

/// A map serialized straight from the result's `BTreeMap`, converting each value on the way
/// (no intermediate map is built).
struct MapView<'a, V, W>(&'a BTreeMap<String, V>, fn(&'a V) -> W);

impl<V, W: Serialize> Serialize for MapView<'_, V, W> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(key, value)| (key, (self.1)(value))))
    }
}

fn wire_requirements(
    requirements: &BTreeMap<String, Outstanding>,
) -> MapView<'_, Outstanding, WireRequirement<'_>> {
    MapView(requirements, WireRequirement::from)
}

impl<'a> From<&'a Evaluation> for WireEvaluation<'a> {
    fn from(evaluation: &'a Evaluation) -> Self {
        WireEvaluation {
            capabilities: MapView(&evaluation.capabilities, |state| WireCapability {
                requested: state.requested,
                status: state.status.as_str(),
            }),
            requirements: wire_requirements(&evaluation.requirements),
            allowed: &evaluation.allowed,
            waiting_on: MapView(&evaluation.waiting_on, |waiting| WireWaitingOn {
                requirements: &waiting.requirements,
                capabilities: &waiting.capabilities,
                provider: waiting.provider,
            }),
            next_transition_at: evaluation.next_transition_at.map(|t| t.to_string()),
            at: evaluation.at.to_string(),
            ruleset: WireStamp {
                id: &evaluation.ruleset.id,
                version: &evaluation.ruleset.version,
                hash: &evaluation.ruleset.hash,
            },
            warnings: &evaluation.warnings,
        }
    }
}

impl<'a> From<&'a Decision> for WireDecision<'a> {
    fn from(decision: &'a Decision) -> Self {
        WireDecision {
            operation: &decision.operation,
            allowed: decision.allowed,
            error_type: decision
                .error_type
                .map(super::evaluation::DenialType::as_str),
            error_message: decision.error_message.as_deref(),
            unauthorized_capabilities: &decision.unauthorized_capabilities,
            invalid_context: decision
                .invalid_context
                .iter()
                .map(|p| WireContextProblem {
                    field: &p.field,
                    code: p.code,
                    path: &p.path,
                })
                .collect(),
            requirements: wire_requirements(&decision.requirements),
            at: decision.at.to_string(),
            ruleset: WireStamp {
                id: &decision.ruleset.id,
                version: &decision.ruleset.version,
                hash: &decision.ruleset.hash,
            },
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireChangeEvent<'a> {
    event_type: &'static str,
    data: WireChangeData<'a>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum WireChangeData<'a> {
    Capabilities(WireCapabilitiesChanged<'a>),
    Requirements(WireRequirementsChanged<'a>),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireCapabilitiesChanged<'a> {
    customer_id: Option<&'a str>,
    capabilities: Vec<WireCapabilityChange<'a>>,
}

#[derive(Serialize)]
struct WireCapabilityChange<'a> {
    code: &'a str,
    status: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireRequirementsChanged<'a> {
    customer_id: Option<&'a str>,
    requirements: Vec<WireRequirementChange<'a>>,
}

#[derive(Serialize)]
struct WireRequirementChange<'a> {
    field: &'a str,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    impact: Option<&'a [String]>,
}

impl<'a> From<&'a ChangeEvent> for WireChangeEvent<'a> {
    fn from(event: &'a ChangeEvent) -> Self {
        let data = match event {
            ChangeEvent::CapabilityChanged {
                customer_id,
                capabilities,
            } => WireChangeData::Capabilities(WireCapabilitiesChanged {
                customer_id: customer_id.as_deref(),
                capabilities: capabilities
                    .iter()
                    .map(|change| WireCapabilityChange {
                        code: &change.code,
                        status: change.status.as_str(),
                    })
                    .collect(),
            }),
            ChangeEvent::RequirementChanged {
                customer_id,
                requirements,
            } => WireChangeData::Requirements(WireRequirementsChanged {
                customer_id: customer_id.as_deref(),
                requirements: requirements
                    .iter()
                    .map(|change| WireRequirementChange {
                        field: &change.field,
                        status: change.status.as_str(),
                        // The provider omits `impact` when a requirement is cleared.
                        impact: (change.status != RequirementChangeStatus::Cleared)
                            .then_some(change.impact.as_slice()),
                    })
                    .collect(),
            }),
        };
        WireChangeEvent {
            event_type: event.event_type(),
            data,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireExplanation<'a> {
    target: WireNode<'a>,
    plan: WirePlan<'a>,
    at: String,
    ruleset: WireStamp<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireNode<'a> {
    kind: &'static str,
    name: &'a str,
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resolved_by: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    children: Vec<WireNode<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WirePlan<'a> {
    available: bool,
    steps: Vec<WireStep<'a>>,
    awaiting_verification: &'a [String],
    pending_requirements: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireStep<'a> {
    action: &'static str,
    key: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    paths: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'a str>,
    resolved_by: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tos_versions: Vec<WireTosVersion<'a>>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    tax_forms: &'a [String],
}

impl<'a> From<&'a Node> for WireNode<'a> {
    fn from(node: &'a Node) -> Self {
        WireNode {
            kind: node.kind.as_str(),
            name: &node.name,
            state: node.state.as_str(),
            code: node.code.as_deref(),
            path: node.path.as_deref(),
            resolved_by: node.resolved_by.map(Resolver::as_str),
            children: node.children.iter().map(WireNode::from).collect(),
        }
    }
}

impl<'a> From<&'a Explanation> for WireExplanation<'a> {
    fn from(explanation: &'a Explanation) -> Self {
        let plan = &explanation.plan;
        WireExplanation {
            target: WireNode::from(&explanation.tree),
            plan: WirePlan {
                available: plan.available,
                steps: plan
                    .steps
                    .iter()
                    .map(|step| WireStep {
                        action: step.action.as_str(),
                        key: &step.key,
                        paths: &step.paths,
                        code: step.code.as_deref(),
                        resolved_by: step.resolved_by.as_str(),
                        tos_versions: step.tos_versions.iter().map(WireTosVersion::from).collect(),
                        tax_forms: &step.tax_forms,
                    })
                    .collect(),
                awaiting_verification: &plan.awaiting_verification,
                pending_requirements: &plan.pending_requirements,
            },
            at: explanation.at.to_string(),
            ruleset: WireStamp {
                id: &explanation.ruleset.id,
                version: &explanation.ruleset.version,
                hash: &explanation.ruleset.hash,
            },
        }
    }
}

impl<'a> From<&'a TosVersion> for WireTosVersion<'a> {
    fn from(version: &'a TosVersion) -> Self {
        WireTosVersion {
            version_id: &version.version_id,
            languages: &version.languages,
            url: version.url.as_deref(),
            deadline: version.deadline.map(|d| d.to_string()),
        }
    }
}

/// A rule diff ([`RuleSet::diff`]) as pretty JSON: `{"changes": [{subject, name, change,
/// detail, class}], "summary": {stricter, looser, neutral}}`.
///
/// # Example
///
/// ```
/// let old = capgate::RuleSet::from_toml("old.toml", "[capabilities.x]\n")?;
/// let new = capgate::RuleSet::from_toml("new.toml", "[capabilities.x]\n[capabilities.y]\n")?;
/// let json = capgate::wire::diff_to_json(&old.diff(&new));
/// let value: serde_json::Value = serde_json::from_str(&json).unwrap();
/// assert_eq!(value, serde_json::json!({
///     "changes": [{"subject": "capability", "name": "y", "change": "added", "detail": "", "class": "neutral"}],
///     "summary": {"stricter": 0, "looser": 0, "neutral": 1}
/// }));
/// # Ok::<(), capgate::LoadErrors>(())
/// ```
pub fn diff_to_json(diff: &crate::diff::RuleDiff) -> String {
    use crate::diff::ChangeClass;
    to_pretty(&WireRuleDiff {
        changes: diff
            .changes
            .iter()
            .map(|change| WireRuleChange {
                subject: change.kind.as_str(),
                name: &change.name,
                change: &change.change,
                detail: &change.detail,
                class: change.class.as_str(),
            })
            .collect(),
        summary: WireDiffSummary {
            stricter: diff.count(ChangeClass::Stricter),
            looser: diff.count(ChangeClass::Looser),
            neutral: diff.count(ChangeClass::Neutral),
        },
    })
}

/// Loads two rulesets and prints their diff ([`diff_to_json`]).
///
/// # Errors
///
/// The first ruleset that does not load, as [`load`] reports it.
///
/// # Example
///
/// ```
/// use capgate::Source;
/// let builtin = [Source::new(capgate::BUILTIN_RULES_NAME, capgate::BUILTIN_RULES)];
/// let json = capgate::wire::diff_json(&builtin, &builtin)?;
/// assert!(json.contains(r#""changes": []"#));
/// let broken = [Source::new("new.toml", "[capabilities.x]\nrequirments = []\n")];
/// assert_eq!(capgate::wire::diff_json(&builtin, &broken).unwrap_err().code, "CG102");
/// # Ok::<(), capgate::wire::WireError>(())
/// ```
pub fn diff_json(
    old_sources: &[Source<'_>],
    new_sources: &[Source<'_>],
) -> Result<String, WireError> {
    let old = load(old_sources)?;
    let new = load(new_sources)?;
    Ok(diff_to_json(&old.diff(&new)))
}

#[derive(Serialize)]
struct WireRuleDiff<'a> {
    changes: Vec<WireRuleChange<'a>>,
    summary: WireDiffSummary,
}

#[derive(Serialize)]
struct WireRuleChange<'a> {
    subject: &'static str,
    name: &'a str,
    change: &'a str,
    detail: &'a str,
    class: &'static str,
}

#[derive(Serialize)]
struct WireDiffSummary {
    stricter: usize,
    looser: usize,
    neutral: usize,
}

/// A rule test report as pretty-printed JSON: `{"results": [{name, location, passed,
/// failures}], "coverage": {percent, items, covered, uncovered: [{kind, name, met, unmet}]}}`.
///
/// # Example
///
/// ```
/// let tests = "[[test]]\nname = \"x\"\nsnapshot = '{}'\n";
/// let report = capgate::RuleSet::builtin().run_tests(&[capgate::Source::new("t.toml", tests)])?;
/// let json = capgate::wire::rule_tests_to_json(&report);
/// assert!(json.contains(r#""passed": true"#));
/// # Ok::<(), capgate::LoadErrors>(())
/// ```
pub fn rule_tests_to_json(report: &crate::ruletest::RuleTestReport) -> String {
    let items = &report.coverage.items;
    to_pretty(&WireRuleTests {
        results: report
            .results
            .iter()
            .map(|r| WireRuleTestResult {
                name: &r.name,
                location: &r.location,
                passed: r.failures.is_empty(),
                failures: &r.failures,
            })
            .collect(),
        coverage: WireCoverage {
            percent: report.coverage.percent(),
            items: items.len(),
            covered: items.iter().filter(|i| i.is_covered()).count(),
            uncovered: items
                .iter()
                .filter(|i| !i.is_covered())
                .map(|i| WireCoverageItem {
                    kind: i.kind,
                    name: &i.name,
                    met: i.met,
                    unmet: i.unmet,
                })
                .collect(),
        },
    })
}

#[derive(Serialize)]
struct WireRuleTests<'a> {
    results: Vec<WireRuleTestResult<'a>>,
    coverage: WireCoverage<'a>,
}

#[derive(Serialize)]
struct WireRuleTestResult<'a> {
    name: &'a str,
    location: &'a str,
    passed: bool,
    failures: &'a [String],
}

#[derive(Serialize)]
struct WireCoverage<'a> {
    percent: f64,
    items: usize,
    covered: usize,
    uncovered: Vec<WireCoverageItem<'a>>,
}

#[derive(Serialize)]
struct WireCoverageItem<'a> {
    kind: &'static str,
    name: &'a str,
    met: bool,
    unmet: bool,
}

/// The end-user view ([`EndUserView`]) as pretty-printed JSON: `capabilities` (each
/// requested capability's `name` and `state`), `tasks` (each with `requirement`,
/// `description`, `action`, `field`, `overdue`, `deadline`, `unlocks`, `tosVersions`,
/// `taxForms`; absent or empty members left out) and `at`.
///
/// # Example
///
/// ```
/// # use capgate::{EndUserView, RuleSet, Snapshot, Timestamp};
/// let rules = RuleSet::builtin();
/// let snapshot = Snapshot::from_json(r#"{"capabilities": {"custodyCrypto": {"requested": true, "status": "active"}}, "requirements": {},
///     "tosAcceptances": [{"versionId": "us_individual_2026-05-29", "language": "en", "acceptedAt": "2026-06-01T00:00:00Z"}]}"#)?;
/// let view = EndUserView::new(&rules, &rules.evaluate(&snapshot, Timestamp::parse("2026-11-22T00:00:00Z")?));
/// let json: serde_json::Value = serde_json::from_str(&capgate::wire::end_user_to_json(&view))?;
/// assert_eq!(json, serde_json::json!({
///     "capabilities": [{"name": "custodyCrypto", "state": "available"}],
///     "tasks": [],
///     "at": "2026-11-22T00:00:00Z"
/// }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn end_user_to_json(view: &EndUserView) -> String {
    end_user_json_serde(view, true)
}

/// The end-user view through the serde types: the pretty form, and (in tests) the reference
/// the hand-written compact writer is compared with.
pub(crate) fn end_user_json_serde(view: &EndUserView, pretty: bool) -> String {
    let wire = WireEndUser::from(view);
    if pretty {
        to_pretty(&wire)
    } else {
        serde_json::to_string(&wire).unwrap_or_default()
    }
}

/// Parses a snapshot, evaluates it at `at` and prints its end-user view as pretty JSON (see
/// [`end_user_to_json`]): what `capgate eval --view end-user` prints.
///
/// # Errors
///
/// As [`evaluate_json`]: an invalid `at` (CG302) or snapshot (`CG2xx`).
///
/// # Example
///
/// ```
/// let rules = capgate::RuleSet::builtin();
/// let json = capgate::wire::end_user_json(&rules, r#"{"capabilities": {"tradeCrypto": {"requested": true}}}"#, "2026-11-22T00:00:00Z")?;
/// assert!(json.starts_with("{\n  \"capabilities\": [\n    {\n      \"name\": \"tradeCrypto\",\n      \"state\": \"action_needed\""));
/// # Ok::<(), capgate::wire::WireError>(())
/// ```
pub fn end_user_json(rules: &RuleSet, snapshot_json: &str, at: &str) -> Result<String, WireError> {
    end_user_view(rules, snapshot_json, at, |view| end_user_to_json(&view))
}

/// [`end_user_json`] as compact JSON (one line), the same document.
///
/// # Errors
///
/// As [`end_user_json`].
///
/// # Example
///
/// ```
/// let rules = capgate::RuleSet::builtin();
/// let json = capgate::wire::end_user_json_compact(&rules, r#"{"capabilities": {"tradeCrypto": {"requested": true}}}"#, "2026-11-22T00:00:00Z")?;
/// assert!(json.starts_with(r#"{"capabilities":[{"name":"tradeCrypto","state":"action_needed"}],"tasks":[{"#));
/// # Ok::<(), capgate::wire::WireError>(())
/// ```
pub fn end_user_json_compact(
    rules: &RuleSet,
    snapshot_json: &str,
    at: &str,
) -> Result<String, WireError> {
    end_user_view(rules, snapshot_json, at, |view| {
        crate::compact::end_user_json(&view)
    })
}

fn end_user_view(
    rules: &RuleSet,
    snapshot_json: &str,
    at: &str,
    print: impl FnOnce(EndUserView) -> String,
) -> Result<String, WireError> {
    let at = parse_at(at)?;
    let snapshot = Snapshot::from_json_with(snapshot_json, rules.limits())
        .map_err(|err| WireError::from(&err))?;
    Ok(print(EndUserView::from_ref(
        &rules.evaluate_ref(&snapshot, at),
    )))
}

#[derive(Serialize)]
struct WireEndUser<'a> {
    capabilities: Vec<WireUserCapability<'a>>,
    tasks: Vec<WireTask<'a>>,
    at: String,
}

#[derive(Serialize)]
struct WireUserCapability<'a> {
    name: &'a str,
    state: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireTask<'a> {
    requirement: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    action: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    overdue: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    deadline: Option<String>,
    unlocks: &'a [String],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tos_versions: Vec<WireUserTos<'a>>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    tax_forms: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireUserTos<'a> {
    version_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    languages: &'a [String],
}

impl<'a> From<&'a EndUserView> for WireEndUser<'a> {
    fn from(view: &'a EndUserView) -> Self {
        WireEndUser {
            capabilities: view
                .capabilities
                .iter()
                .map(|c| WireUserCapability {
                    name: &c.name,
                    state: c.state.as_str(),
                })
                .collect(),
            tasks: view
                .tasks
                .iter()
                .map(|t| WireTask {
                    requirement: &t.requirement,
                    description: t.description.as_deref(),
                    action: t.action.as_str(),
                    field: t.field.as_deref(),
                    overdue: t.overdue,
                    deadline: t.deadline.map(|d| d.to_string()),
                    unlocks: &t.unlocks,
                    tos_versions: t
                        .tos_versions
                        .iter()
                        .map(|v| WireUserTos {
                            version_id: &v.version_id,
                            url: v.url.as_deref(),
                            languages: &v.languages,
                        })
                        .collect(),
                    tax_forms: &t.tax_forms,
                })
                .collect(),
            at: view.at.to_string(),
        }
    }
}
