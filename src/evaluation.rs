//! What an evaluation returns: capability statuses, outstanding requirements, decisions.
//!
//! These are plain data with public fields. Their JSON form (the wire contract shared by the
//! CLI and the WASM build) is produced by [`crate::wire`].

use std::collections::BTreeMap;

use crate::ruleset::Resolver;
use crate::time::Timestamp;

/// The result of [`RuleSet::evaluate`](crate::RuleSet::evaluate).
///
/// # Example
///
/// ```
/// # use capgate::{RuleSet, Snapshot, Timestamp, CapabilityStatus};
/// let snapshot = Snapshot::from_json(r#"{"capabilities": {"tradeCrypto": {"requested": true}}}"#)?;
/// let evaluation = RuleSet::builtin().evaluate(&snapshot, Timestamp::parse("2026-11-22T00:00:00Z")?);
/// assert_eq!(evaluation.capabilities["tradeCrypto"].status, CapabilityStatus::Pending);
/// assert_eq!(evaluation.requirements["occupation"].impact, ["tradeCrypto"]);
/// assert!(evaluation.waiting_on["tradeCrypto"].requirements.contains(&"occupation".to_owned()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evaluation {
    /// Every capability of the ruleset, by name.
    pub capabilities: BTreeMap<String, CapabilityState>,
    /// Outstanding requirements, by key. Met requirements are not listed.
    pub requirements: BTreeMap<String, Outstanding>,
    /// Capabilities whose status is `active`, sorted.
    pub allowed: Vec<String>,
    /// For each `pending` capability, what it is waiting on.
    pub waiting_on: BTreeMap<String, WaitingOn>,
    /// The earliest instant after `at` at which the result could change, if any.
    pub next_transition_at: Option<Timestamp>,
    /// The evaluation time.
    pub at: Timestamp,
    /// Which rules produced this result.
    pub ruleset: RulesetStamp,
    /// Input the engine tolerated but treated conservatively (an unknown status, say).
    pub warnings: Vec<String>,
}

/// A capability's state, in the provider's shape.
///
/// # Example
///
/// ```
/// # use capgate::{CapabilityStatus, RuleSet, Snapshot, Timestamp};
/// let snapshot = Snapshot::from_json(r#"{"capabilities": {"tradeCrypto": {"requested": true}}}"#)?;
/// let evaluation = RuleSet::builtin().evaluate(&snapshot, Timestamp::parse("2026-11-22T00:00:00Z")?);
/// let state = evaluation.capabilities["tradeCrypto"];
/// assert!(state.requested);
/// assert_eq!(state.status, CapabilityStatus::Pending);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CapabilityState {
    /// Whether the capability was requested.
    pub requested: bool,
    /// Its status at `at`.
    pub status: CapabilityStatus,
}

/// A capability status, as the provider names them.
///
/// # Example
///
/// ```
/// # use capgate::{CapabilityStatus, RuleSet, Snapshot, Timestamp};
/// let snapshot = Snapshot::from_json(r#"{"capabilities": {"tradeCrypto": {"requested": true}}}"#)?;
/// let evaluation = RuleSet::builtin().evaluate(&snapshot, Timestamp::parse("2026-11-22T00:00:00Z")?);
/// assert_eq!(evaluation.capabilities["tradeCrypto"].status, CapabilityStatus::Pending);
/// assert_eq!(evaluation.capabilities["custodyFiat"].status, CapabilityStatus::Unrequested);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CapabilityStatus {
    /// Not requested.
    Unrequested,
    /// Requested, not usable yet: requirements outstanding or verification under way.
    Pending,
    /// Usable: the provider activated it and nothing it needs is blocking.
    Active,
    /// Permanently blocked by the provider; no action can resolve it.
    Inactive,
}

impl CapabilityStatus {
    /// The wire name (`unrequested`, `pending`, `active`, `inactive`).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(capgate::CapabilityStatus::Active.as_str(), "active");
    /// assert_eq!(capgate::CapabilityStatus::Unrequested.as_str(), "unrequested");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            CapabilityStatus::Unrequested => "unrequested",
            CapabilityStatus::Pending => "pending",
            CapabilityStatus::Active => "active",
            CapabilityStatus::Inactive => "inactive",
        }
    }
}

/// An outstanding requirement, in the provider's shape plus field errors.
///
/// # Example
///
/// ```
/// # use capgate::{RequirementStatus, RuleSet, Snapshot, Timestamp};
/// let snapshot = Snapshot::from_json(r#"{"capabilities": {"tradeCrypto": {"requested": true}}}"#)?;
/// let evaluation = RuleSet::builtin().evaluate(&snapshot, Timestamp::parse("2026-11-22T00:00:00Z")?);
/// let occupation = &evaluation.requirements["occupation"];
/// assert_eq!(occupation.status, RequirementStatus::Due);
/// assert!(occupation.blocking);
/// assert_eq!(occupation.impact, ["tradeCrypto"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outstanding {
    /// Its status at `at`.
    pub status: RequirementStatus,
    /// Whether it blocks the capabilities in `impact` (a `due` requirement with a future
    /// deadline is in its grace period and does not).
    pub blocking: bool,
    /// Requested, non-inactive capabilities that need it, sorted (may be empty).
    pub impact: Vec<String>,
    /// The earliest deadline that applies.
    pub deadline: Option<Timestamp>,
    /// For acceptance requirements (`tos`): the versions still to accept.
    pub tos_versions: Vec<TosVersion>,
    /// For attestation requirements (`taxAttestation`): the forms still to complete.
    pub tax_forms: Vec<String>,
    /// Why the snapshot's own value does not meet it (never the value itself).
    pub errors: Vec<FieldError>,
    /// Who can act on it, when the rules say.
    pub resolved_by: Option<Resolver>,
}

/// A requirement status, as the provider names them.
///
/// # Example
///
/// ```
/// # use capgate::{RequirementStatus, RuleSet, Snapshot, Timestamp};
/// let snapshot = Snapshot::from_json(r#"{"capabilities": {"tradeCrypto": {"requested": true}}}"#)?;
/// let evaluation = RuleSet::builtin().evaluate(&snapshot, Timestamp::parse("2026-11-22T00:00:00Z")?);
/// assert_eq!(evaluation.requirements["tos"].status, RequirementStatus::Due);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RequirementStatus {
    /// Possible future requirement (older provider generation); never blocking.
    EventuallyDue,
    /// Must be provided; blocking unless its deadline is in the future.
    Due,
    /// Submitted, awaiting the provider's verification; blocking.
    Pending,
    /// Verification failed; must be provided again; blocking.
    Rejected,
    /// A deadline passed without it; blocking.
    PastDue,
}

impl RequirementStatus {
    /// The wire name (`due`, `past_due`, `pending`, `rejected`, `eventually_due`).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(capgate::RequirementStatus::PastDue.as_str(), "past_due");
    /// assert_eq!(capgate::RequirementStatus::EventuallyDue.as_str(), "eventually_due");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            RequirementStatus::EventuallyDue => "eventually_due",
            RequirementStatus::Due => "due",
            RequirementStatus::Pending => "pending",
            RequirementStatus::Rejected => "rejected",
            RequirementStatus::PastDue => "past_due",
        }
    }
}

/// A Terms of Service version to accept.
///
/// # Example
///
/// ```
/// # use capgate::{RuleSet, Snapshot, Timestamp};
/// let snapshot = Snapshot::from_json(r#"{"capabilities": {"tradeCrypto": {"requested": true}}}"#)?;
/// let evaluation = RuleSet::builtin().evaluate(&snapshot, Timestamp::parse("2026-11-22T00:00:00Z")?);
/// let version = &evaluation.requirements["tos"].tos_versions[0];
/// assert_eq!(version.version_id, "us_individual_2026-05-29");
/// assert!(version.languages.contains(&"en".to_owned()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TosVersion {
    /// The version id to send back in `tosAcceptances[].versionId`.
    pub version_id: String,
    /// Languages it is published in.
    pub languages: Vec<String>,
    /// Where to read it.
    pub url: Option<String>,
    /// When acceptance becomes blocking, if not immediately.
    pub deadline: Option<Timestamp>,
}

/// A machine-readable reason a value in the snapshot does not meet a requirement.
///
/// # Example
///
/// ```
/// # use capgate::{RuleSet, Snapshot, Timestamp};
/// let snapshot = Snapshot::from_json(r#"{
///     "individual": {"occupation": "astronaut"},
///     "capabilities": {"tradeCrypto": {"requested": true}}
/// }"#)?;
/// let evaluation = RuleSet::builtin().evaluate(&snapshot, Timestamp::parse("2026-11-22T00:00:00Z")?);
/// let error = &evaluation.requirements["occupation"].errors[0];
/// assert_eq!((error.code, error.path.as_str()), ("value_not_allowed", "/individual/occupation"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// A stable code: `empty`, `invalid_type`, `invalid_format`, `value_not_allowed`,
    /// `too_short`, `too_long`, `incomplete_date`, `invalid_date`, `date_in_future`,
    /// `invalid_ip_address`, `unsupported_tos_language`, `accepted_after_at`.
    pub code: &'static str,
    /// The JSON pointer of the offending value.
    pub path: String,
}

/// What a pending capability is waiting on.
///
/// # Example
///
/// ```
/// # use capgate::{RuleSet, Snapshot, Timestamp};
/// let snapshot = Snapshot::from_json(r#"{"capabilities": {"tradeCrypto": {"requested": true}}}"#)?;
/// let evaluation = RuleSet::builtin().evaluate(&snapshot, Timestamp::parse("2026-11-22T00:00:00Z")?);
/// let waiting = &evaluation.waiting_on["tradeCrypto"];
/// assert!(waiting.requirements.contains(&"occupation".to_owned()));
/// assert!(waiting.provider);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct WaitingOn {
    /// Blocking requirements that name it in their `impact`, sorted.
    pub requirements: Vec<String>,
    /// Dependencies that are not active, sorted.
    pub capabilities: Vec<String>,
    /// Whether it also awaits the provider's activation (the provider has not reported it
    /// `active`).
    pub provider: bool,
}

/// Identifies the rules behind a result.
///
/// # Example
///
/// ```
/// # use capgate::{RuleSet, Snapshot, Timestamp};
/// let evaluation = RuleSet::builtin().evaluate(&Snapshot::from_json("{}")?, Timestamp::parse("2026-11-22T00:00:00Z")?);
/// assert_eq!(evaluation.ruleset.id, "coinbase-customers");
/// assert_eq!(evaluation.ruleset.hash, RuleSet::builtin().hash());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RulesetStamp {
    /// The ruleset id.
    pub id: String,
    /// The ruleset version.
    pub version: String,
    /// The content hash (`sha256:...`).
    pub hash: String,
}

/// The result of [`RuleSet::check`](crate::RuleSet::check), shaped like the provider's 403.
///
/// # Example
///
/// ```
/// # use capgate::{RuleSet, Snapshot, Timestamp};
/// let snapshot = Snapshot::from_json(r#"{
///     "capabilities": {"custodyFiat": {"requested": true, "status": "active"}},
///     "requirements": {},
///     "tosAcceptances": [{"versionId": "us_individual_2026-05-29", "language": "en", "acceptedAt": "2026-06-01T00:00:00Z"}]
/// }"#)?;
/// let at = Timestamp::parse("2026-11-22T00:00:00Z")?;
/// let decision = RuleSet::builtin().check(&snapshot, "createFiatDepositDestination", at)?;
/// assert!(!decision.allowed);
/// assert_eq!(decision.error_type.map(|e| e.as_str()), Some("invalid_request"));
/// assert_eq!(decision.invalid_context[0].field, "requesterIpAddress");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The operation checked.
    pub operation: String,
    /// Whether it may proceed.
    pub allowed: bool,
    /// Why not, in the provider's terms.
    pub error_type: Option<DenialType>,
    /// A human-readable reason (no customer values).
    pub error_message: Option<String>,
    /// Capabilities the operation needs that are not active, sorted.
    pub unauthorized_capabilities: Vec<String>,
    /// Request-context requirements that are missing or invalid.
    pub invalid_context: Vec<ContextProblem>,
    /// Outstanding requirements that affect the operation's capabilities.
    pub requirements: BTreeMap<String, Outstanding>,
    /// The evaluation time.
    pub at: Timestamp,
    /// Which rules produced this result.
    pub ruleset: RulesetStamp,
}

/// The provider's `errorType` for a denial.
///
/// # Example
///
/// ```
/// # use capgate::{DenialType, RuleSet, Snapshot, Timestamp};
/// let snapshot = Snapshot::from_json("{}")?;
/// let at = Timestamp::parse("2026-11-22T00:00:00Z")?;
/// let decision = RuleSet::builtin().check(&snapshot, "createCustomerAccount", at)?;
/// assert_eq!(decision.error_type, Some(DenialType::CustomerNotAuthorized));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DenialType {
    /// A capability the operation needs is not active (HTTP 403).
    CustomerNotAuthorized,
    /// The request lacks required context such as `requesterIpAddress` (HTTP 400).
    InvalidRequest,
}

impl DenialType {
    /// The wire name (`customer_not_authorized`, `invalid_request`).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(capgate::DenialType::InvalidRequest.as_str(), "invalid_request");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            DenialType::CustomerNotAuthorized => "customer_not_authorized",
            DenialType::InvalidRequest => "invalid_request",
        }
    }
}

/// A request-context requirement that is not met.
///
/// # Example
///
/// ```
/// # use capgate::{RuleSet, Snapshot, Timestamp};
/// let snapshot = Snapshot::from_json(r#"{
///     "capabilities": {"custodyFiat": {"requested": true, "status": "active"}},
///     "requirements": {},
///     "tosAcceptances": [{"versionId": "us_individual_2026-05-29", "language": "en", "acceptedAt": "2026-06-01T00:00:00Z"}],
///     "compliance": {"requesterIpAddress": "not-an-ip"}
/// }"#)?;
/// let at = Timestamp::parse("2026-11-22T00:00:00Z")?;
/// let decision = RuleSet::builtin().check(&snapshot, "createFiatDepositDestination", at)?;
/// let problem = &decision.invalid_context[0];
/// assert_eq!(problem.field, "requesterIpAddress");
/// assert_eq!((problem.code, problem.path.as_str()), ("invalid_ip_address", "/compliance/requesterIpAddress"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContextProblem {
    /// The context requirement (`requesterIpAddress`).
    pub field: String,
    /// `missing`, or a [`FieldError`] code.
    pub code: &'static str,
    /// The JSON pointer where it was looked for.
    pub path: String,
}
