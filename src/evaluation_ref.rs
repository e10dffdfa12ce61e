//! [`EvaluationRef`]: an evaluation that borrows from its ruleset and snapshot, for hot paths.

use std::fmt;

use crate::error::CheckError;
use crate::eval::View;
use crate::evaluation::{CapabilityStatus, Evaluation, Outstanding, RequirementStatus};
use crate::time::Timestamp;

/// The result of [`RuleSet::evaluate_ref`](crate::RuleSet::evaluate_ref): the same evaluation
/// as [`Evaluation`], computed the same way, but not materialized. Capability names and
/// requirement keys are borrowed from the ruleset and the snapshot, and capability sets are
/// bit masks, so evaluating allocates little and answering "may this customer do X" allocates
/// nothing. [`EvaluationRef::to_evaluation`] gives the owned [`Evaluation`];
/// [`EvaluationRef::to_json`] prints exactly what [`crate::wire::evaluation_to_json`] prints.
///
/// # Example
///
/// ```
/// # use capgate::{RuleSet, Snapshot, Timestamp, CapabilityStatus};
/// let rules = RuleSet::builtin();
/// let snapshot = Snapshot::from_json(r#"{"capabilities": {"tradeCrypto": {"requested": true}}}"#)?;
/// let at = Timestamp::parse("2026-11-22T00:00:00Z")?;
/// let evaluation = rules.evaluate_ref(&snapshot, at);
/// assert_eq!(evaluation.status("tradeCrypto"), Some(CapabilityStatus::Pending));
/// assert!(!evaluation.is_allowed("tradeCrypto"));
/// assert!(evaluation.blocking("tradeCrypto").any(|key| key == "occupation"));
/// assert!(!evaluation.allows("placeCryptoTrade")?);
/// assert_eq!(evaluation.to_evaluation(), rules.evaluate(&snapshot, at));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct EvaluationRef<'a> {
    view: View<'a>,
}

impl<'a> EvaluationRef<'a> {
    pub(crate) fn new(view: View<'a>) -> EvaluationRef<'a> {
        EvaluationRef { view }
    }

    pub(crate) fn view(&self) -> &View<'a> {
        &self.view
    }

    /// A capability's status; `None` for a name the ruleset does not define.
    ///
    /// # Example
    ///
    /// ```
    /// # use capgate::{RuleSet, Snapshot, Timestamp, CapabilityStatus};
    /// let rules = RuleSet::builtin();
    /// let snapshot = Snapshot::from_json("{}")?;
    /// let evaluation = rules.evaluate_ref(&snapshot, Timestamp::parse("2026-11-22T00:00:00Z")?);
    /// assert_eq!(evaluation.status("custodyFiat"), Some(CapabilityStatus::Unrequested));
    /// assert_eq!(evaluation.status("teleport"), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn status(&self, capability: &str) -> Option<CapabilityStatus> {
        let idx = self.view.compiled.capability_idx(capability)?;
        Some(self.view.status(idx))
    }

    /// Whether the capability is active (allowed).
    ///
    /// # Example
    ///
    /// ```
    /// # use capgate::{RuleSet, Snapshot, Timestamp};
    /// let rules = RuleSet::builtin();
    /// let snapshot = Snapshot::from_json("{}")?;
    /// assert!(!rules.evaluate_ref(&snapshot, Timestamp::parse("2026-11-22T00:00:00Z")?).is_allowed("custodyFiat"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_allowed(&self, capability: &str) -> bool {
        self.status(capability) == Some(CapabilityStatus::Active)
    }

    /// Every capability of the ruleset with its status, in name order.
    ///
    /// # Example
    ///
    /// ```
    /// # use capgate::{RuleSet, Snapshot, Timestamp};
    /// let rules = RuleSet::builtin();
    /// let snapshot = Snapshot::from_json("{}")?;
    /// assert_eq!(rules.evaluate_ref(&snapshot, Timestamp::parse("2026-11-22T00:00:00Z")?).capabilities().count(), 8);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn capabilities(&self) -> impl Iterator<Item = (&str, CapabilityStatus)> + '_ {
        self.view
            .capabilities()
            .map(|(_, name, status)| (name, status))
    }

    /// The allowed (active) capabilities, in name order.
    ///
    /// # Example
    ///
    /// ```
    /// # use capgate::{RuleSet, Snapshot, Timestamp};
    /// let rules = RuleSet::builtin();
    /// let snapshot = Snapshot::from_json("{}")?;
    /// assert_eq!(rules.evaluate_ref(&snapshot, Timestamp::parse("2026-11-22T00:00:00Z")?).allowed().count(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allowed(&self) -> impl Iterator<Item = &str> + '_ {
        self.view.allowed()
    }

    /// The outstanding requirements in key order: key, status, and whether it blocks.
    ///
    /// # Example
    ///
    /// ```
    /// # use capgate::{RuleSet, Snapshot, Timestamp, RequirementStatus};
    /// let rules = RuleSet::builtin();
    /// let snapshot = Snapshot::from_json(r#"{"capabilities": {"tradeCrypto": {"requested": true}}}"#)?;
    /// let evaluation = rules.evaluate_ref(&snapshot, Timestamp::parse("2026-11-22T00:00:00Z")?);
    /// assert!(evaluation.outstanding().any(|(key, status, blocking)| key == "occupation" && status == RequirementStatus::Due && blocking));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn outstanding(&self) -> impl Iterator<Item = (&str, RequirementStatus, bool)> + '_ {
        self.view
            .requirements
            .iter()
            .map(|(key, _, requirement)| (*key, requirement.status, requirement.blocking))
    }

    /// One outstanding requirement's details (its `impact` left empty: see
    /// [`EvaluationRef::impact`]), or `None` when it is not outstanding.
    ///
    /// # Example
    ///
    /// ```
    /// # use capgate::{RuleSet, Snapshot, Timestamp};
    /// let rules = RuleSet::builtin();
    /// let snapshot = Snapshot::from_json(r#"{"capabilities": {"tradeCrypto": {"requested": true}}}"#)?;
    /// let evaluation = rules.evaluate_ref(&snapshot, Timestamp::parse("2026-11-22T00:00:00Z")?);
    /// assert!(evaluation.requirement("occupation").is_some_and(|r| r.blocking));
    /// assert!(evaluation.requirement("ssnLast4").is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn requirement(&self, key: &str) -> Option<&Outstanding> {
        self.view
            .requirements
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, _, requirement)| requirement)
    }

    /// The capabilities an outstanding requirement holds up, in name order (empty when it is
    /// not outstanding).
    ///
    /// # Example
    ///
    /// ```
    /// # use capgate::{RuleSet, Snapshot, Timestamp};
    /// let rules = RuleSet::builtin();
    /// let snapshot = Snapshot::from_json(r#"{"capabilities": {"tradeCrypto": {"requested": true}}}"#)?;
    /// let evaluation = rules.evaluate_ref(&snapshot, Timestamp::parse("2026-11-22T00:00:00Z")?);
    /// assert_eq!(evaluation.impact("occupation").collect::<Vec<_>>(), ["tradeCrypto"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn impact(&self, key: &str) -> impl Iterator<Item = &str> + '_ {
        let mask = self
            .view
            .requirements
            .iter()
            .find(|(k, _, _)| *k == key)
            .map_or(0, |(_, mask, _)| *mask);
        self.view.names(mask)
    }

    /// The outstanding requirements that block a capability, in key order.
    ///
    /// # Example
    ///
    /// ```
    /// # use capgate::{RuleSet, Snapshot, Timestamp};
    /// let rules = RuleSet::builtin();
    /// let snapshot = Snapshot::from_json(r#"{"capabilities": {"tradeCrypto": {"requested": true}}}"#)?;
    /// let evaluation = rules.evaluate_ref(&snapshot, Timestamp::parse("2026-11-22T00:00:00Z")?);
    /// assert!(evaluation.blocking("tradeCrypto").any(|key| key == "occupation"));
    /// assert_eq!(evaluation.blocking("teleport").count(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn blocking(&self, capability: &str) -> impl Iterator<Item = &str> + '_ {
        self.view
            .compiled
            .capability_idx(capability)
            .into_iter()
            .flat_map(|idx| self.view.blocking(idx))
    }

    /// Whether `operation` may proceed: exactly `check(...)?.allowed` for the same snapshot
    /// and time, without building the decision.
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
    /// let snapshot = Snapshot::from_json("{}")?;
    /// let evaluation = rules.evaluate_ref(&snapshot, Timestamp::parse("2026-11-22T00:00:00Z")?);
    /// assert!(!evaluation.allows("createCustomerAccount")?);
    /// assert!(evaluation.allows("teleport").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allows(&self, operation: &str) -> Result<bool, CheckError> {
        crate::eval::view_allows(&self.view, operation)
    }

    /// When the evaluation next changes by the passage of time alone, if ever.
    ///
    /// # Example
    ///
    /// ```
    /// # use capgate::{RuleSet, Snapshot, Timestamp};
    /// let rules = RuleSet::builtin();
    /// let snapshot = Snapshot::from_json("{}")?;
    /// assert_eq!(rules.evaluate_ref(&snapshot, Timestamp::parse("2026-11-22T00:00:00Z")?).next_transition_at(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn next_transition_at(&self) -> Option<Timestamp> {
        self.view.next_transition_at
    }

    /// The evaluation time.
    ///
    /// # Example
    ///
    /// ```
    /// # use capgate::{RuleSet, Snapshot, Timestamp};
    /// let at = Timestamp::parse("2026-11-22T00:00:00Z")?;
    /// assert_eq!(RuleSet::builtin().evaluate_ref(&Snapshot::from_json("{}")?, at).at(), at);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn at(&self) -> Timestamp {
        self.view.at
    }

    /// The owned [`Evaluation`]: equal to what [`RuleSet::evaluate`](crate::RuleSet::evaluate)
    /// returns.
    ///
    /// # Example
    ///
    /// ```
    /// # use capgate::{RuleSet, Snapshot, Timestamp};
    /// let rules = RuleSet::builtin();
    /// let snapshot = Snapshot::from_json("{}")?;
    /// let at = Timestamp::parse("2026-11-22T00:00:00Z")?;
    /// assert_eq!(rules.evaluate_ref(&snapshot, at).to_evaluation(), rules.evaluate(&snapshot, at));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_evaluation(&self) -> Evaluation {
        self.view.to_evaluation()
    }

    /// The evaluation's JSON, exactly as [`crate::wire::evaluation_to_json`] prints the owned
    /// [`Evaluation`] (pretty), or the same content without whitespace (`compact`).
    ///
    /// # Example
    ///
    /// ```
    /// # use capgate::{RuleSet, Snapshot, Timestamp};
    /// let rules = RuleSet::builtin();
    /// let snapshot = Snapshot::from_json("{}")?;
    /// let at = Timestamp::parse("2026-11-22T00:00:00Z")?;
    /// let evaluation = rules.evaluate_ref(&snapshot, at);
    /// assert_eq!(evaluation.to_json(false), capgate::wire::evaluation_to_json(&rules.evaluate(&snapshot, at)));
    /// assert!(!evaluation.to_json(true).contains('\n'));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_json(&self, compact: bool) -> String {
        crate::wire::view_json(&self.view, !compact)
    }
}

impl fmt::Debug for EvaluationRef<'_> {
    /// Statuses and outstanding keys only: never a snapshot value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EvaluationRef")
            .field("capabilities", &self.capabilities().collect::<Vec<_>>())
            .field("outstanding", &self.outstanding().collect::<Vec<_>>())
            .field("at", &self.view.at)
            .finish_non_exhaustive()
    }
}
