//! Change events between two evaluations of one customer, in the provider's webhook shapes.
//!
//! The provider notifies a platform with `customers.capability.changed` and
//! `customers.requirement.changed` webhooks. [`changes`] derives the same events from two
//! evaluations, so a host can react to what the engine computes (a ToS deadline passing, a
//! draft becoming complete) exactly as it reacts to the provider's own notifications.
//!
//! The events carry only the provider's `eventType` and `data`: no `eventId` and no
//! `timestamp`, as the engine has neither randomness nor a clock. A host that delivers them
//! wraps each in its own envelope. Their JSON form is [`crate::wire::changes_to_json`].

use crate::evaluation::{CapabilityStatus, Evaluation, RequirementStatus};

/// The events between two evaluations of the same customer: the capability event first,
/// then the requirement event, each only when something changed.
///
/// - `customers.capability.changed` lists every capability whose status differs (a
///   capability absent from `old` counts as changed), sorted by name.
/// - `customers.requirement.changed` lists every outstanding requirement of `new` that is
///   absent from `old` or whose status or impact differs, with its new status and impact,
///   and every requirement of `old` absent from `new` as [`RequirementChangeStatus::Cleared`]
///   with no impact; sorted by key.
///
/// Nothing else is compared (`requested`, deadlines, ToS versions, errors). Both evaluations
/// should come from the same ruleset. `customer_id` is copied into each event as is.
///
/// # Example
///
/// ```
/// # use capgate::{ChangeEvent, RuleSet, Snapshot, Timestamp};
/// let rules = RuleSet::builtin();
/// let snapshot = Snapshot::from_json(r#"{
///     "customerId": "customer_123",
///     "capabilities": {"transferFiat": {"requested": true, "status": "active"}},
///     "requirements": {"taxAttestation": {"status": "due", "deadline": "2026-12-31T23:59:59Z", "impact": ["transferFiat"]}},
///     "tosAcceptances": [{"versionId": "us_individual_2026-05-29", "language": "en", "acceptedAt": "2026-06-01T00:00:00Z"}]
/// }"#)?;
/// // The W-9 deadline passes between the two evaluations.
/// let before = rules.evaluate(&snapshot, Timestamp::parse("2026-12-01T00:00:00Z")?);
/// let after = rules.evaluate(&snapshot, Timestamp::parse("2027-01-01T00:00:00Z")?);
/// let events = capgate::changes(snapshot.customer_id(), &before, &after);
/// let types: Vec<&str> = events.iter().map(ChangeEvent::event_type).collect();
/// assert_eq!(types, ["customers.capability.changed", "customers.requirement.changed"]);
/// assert!(capgate::changes(snapshot.customer_id(), &after, &after).is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn changes(customer_id: Option<&str>, old: &Evaluation, new: &Evaluation) -> Vec<ChangeEvent> {
    let capabilities: Vec<CapabilityChange> = new
        .capabilities
        .iter()
        .filter(|(code, state)| {
            old.capabilities.get(*code).map(|old| old.status) != Some(state.status)
        })
        .map(|(code, state)| CapabilityChange {
            code: code.clone(),
            status: state.status,
        })
        .collect();

    // Both maps are sorted: merge them (no sort, which keeps the WASM build small).
    let cleared = |field: &String| RequirementChange {
        field: field.clone(),
        status: RequirementChangeStatus::Cleared,
        impact: Vec::new(),
    };
    let mut requirements = Vec::new();
    let mut old_requirements = old.requirements.iter().peekable();
    for (field, requirement) in &new.requirements {
        while let Some((gone, _)) = old_requirements.next_if(|(key, _)| *key < field) {
            requirements.push(cleared(gone));
        }
        let previous = old_requirements
            .next_if(|(key, _)| *key == field)
            .map(|(_, previous)| previous);
        if previous.is_none_or(|previous| {
            previous.status != requirement.status || previous.impact != requirement.impact
        }) {
            requirements.push(RequirementChange {
                field: field.clone(),
                status: RequirementChangeStatus::from(requirement.status),
                impact: requirement.impact.clone(),
            });
        }
    }
    requirements.extend(old_requirements.map(|(gone, _)| cleared(gone)));

    let mut events = Vec::new();
    if !capabilities.is_empty() {
        events.push(ChangeEvent::CapabilityChanged {
            customer_id: customer_id.map(str::to_owned),
            capabilities,
        });
    }
    if !requirements.is_empty() {
        events.push(ChangeEvent::RequirementChanged {
            customer_id: customer_id.map(str::to_owned),
            requirements,
        });
    }
    events
}

/// A change event, shaped like the provider's webhook `data` (no envelope: the host adds its
/// own `eventId` and `timestamp`).
///
/// # Example
///
/// ```
/// # use capgate::{CapabilityChange, CapabilityStatus, ChangeEvent};
/// let event = ChangeEvent::CapabilityChanged {
///     customer_id: Some("customer_123".to_owned()),
///     capabilities: vec![CapabilityChange { code: "custodyFiat".to_owned(), status: CapabilityStatus::Active }],
/// };
/// assert_eq!(event.event_type(), "customers.capability.changed");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChangeEvent {
    /// `customers.capability.changed`: capabilities whose status changed.
    CapabilityChanged {
        /// The customer, when known.
        customer_id: Option<String>,
        /// The capabilities whose status changed, with their new status, sorted by code
        /// (never empty).
        capabilities: Vec<CapabilityChange>,
    },
    /// `customers.requirement.changed`: requirements that appeared, changed or cleared.
    RequirementChanged {
        /// The customer, when known.
        customer_id: Option<String>,
        /// The requirements that changed, with their new status and impact, sorted by field
        /// (never empty).
        requirements: Vec<RequirementChange>,
    },
}

impl ChangeEvent {
    /// The provider's `eventType` (`customers.capability.changed`,
    /// `customers.requirement.changed`).
    ///
    /// # Example
    ///
    /// ```
    /// let event = capgate::ChangeEvent::RequirementChanged { customer_id: None, requirements: vec![] };
    /// assert_eq!(event.event_type(), "customers.requirement.changed");
    /// ```
    pub fn event_type(&self) -> &'static str {
        match self {
            ChangeEvent::CapabilityChanged { .. } => "customers.capability.changed",
            ChangeEvent::RequirementChanged { .. } => "customers.requirement.changed",
        }
    }
}

/// A capability's new status, as in `customers.capability.changed`.
///
/// # Example
///
/// ```
/// # use capgate::{CapabilityStatus, ChangeEvent, RuleSet, Snapshot, Timestamp};
/// let rules = RuleSet::builtin();
/// let at = Timestamp::parse("2026-11-22T00:00:00Z")?;
/// let old = rules.evaluate(&Snapshot::from_json("{}")?, at);
/// let new = rules.evaluate(&Snapshot::from_json(r#"{"capabilities": {"tradeCrypto": {"requested": true}}}"#)?, at);
/// let events = capgate::changes(None, &old, &new);
/// let Some(ChangeEvent::CapabilityChanged { capabilities, .. }) = events.first() else { panic!() };
/// assert_eq!(capabilities[0].code, "tradeCrypto");
/// assert_eq!(capabilities[0].status, CapabilityStatus::Pending);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CapabilityChange {
    /// The capability name (the provider's `code`).
    pub code: String,
    /// Its new status.
    pub status: CapabilityStatus,
}

/// A requirement's new status and impact, as in `customers.requirement.changed`.
///
/// # Example
///
/// ```
/// # use capgate::{ChangeEvent, RequirementChangeStatus, RuleSet, Snapshot, Timestamp};
/// let rules = RuleSet::builtin();
/// let at = Timestamp::parse("2026-11-22T00:00:00Z")?;
/// let old = rules.evaluate(&Snapshot::from_json(r#"{"requirements": {"fullSsn": {"status": "pending"}}}"#)?, at);
/// let new = rules.evaluate(&Snapshot::from_json(r#"{"requirements": {}}"#)?, at);
/// let events = capgate::changes(None, &old, &new);
/// let Some(ChangeEvent::RequirementChanged { requirements, .. }) = events.first() else { panic!() };
/// assert_eq!(requirements[0].field, "fullSsn");
/// assert_eq!(requirements[0].status, RequirementChangeStatus::Cleared);
/// assert!(requirements[0].impact.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequirementChange {
    /// The requirement key (the provider's `field`).
    pub field: String,
    /// Its new status; [`RequirementChangeStatus::Cleared`] when it is no longer outstanding.
    pub status: RequirementChangeStatus,
    /// Its new impact, sorted (empty when cleared: the provider then omits it).
    pub impact: Vec<String>,
}

/// A requirement status in a change event: a [`RequirementStatus`], or `cleared`.
///
/// # Example
///
/// ```
/// # use capgate::{RequirementChangeStatus, RequirementStatus};
/// assert_eq!(RequirementChangeStatus::from(RequirementStatus::PastDue), RequirementChangeStatus::PastDue);
/// assert_eq!(RequirementChangeStatus::Cleared.as_str(), "cleared");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RequirementChangeStatus {
    /// Must be provided.
    Due,
    /// A deadline passed without it.
    PastDue,
    /// Submitted, awaiting the provider's verification.
    Pending,
    /// Verification failed; must be provided again.
    Rejected,
    /// Possible future requirement (older provider generation).
    EventuallyDue,
    /// No longer outstanding: met, verified, or no longer needed.
    Cleared,
}

impl RequirementChangeStatus {
    /// The wire name (`due`, `past_due`, `pending`, `rejected`, `eventually_due`, `cleared`).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(capgate::RequirementChangeStatus::PastDue.as_str(), "past_due");
    /// assert_eq!(capgate::RequirementChangeStatus::Cleared.as_str(), "cleared");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            RequirementChangeStatus::Due => "due",
            RequirementChangeStatus::PastDue => "past_due",
            RequirementChangeStatus::Pending => "pending",
            RequirementChangeStatus::Rejected => "rejected",
            RequirementChangeStatus::EventuallyDue => "eventually_due",
            RequirementChangeStatus::Cleared => "cleared",
        }
    }
}

impl From<RequirementStatus> for RequirementChangeStatus {
    fn from(status: RequirementStatus) -> Self {
        match status {
            RequirementStatus::Due => RequirementChangeStatus::Due,
            RequirementStatus::PastDue => RequirementChangeStatus::PastDue,
            RequirementStatus::Pending => RequirementChangeStatus::Pending,
            RequirementStatus::Rejected => RequirementChangeStatus::Rejected,
            RequirementStatus::EventuallyDue => RequirementChangeStatus::EventuallyDue,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ruleset::RuleSet;
    use crate::snapshot::Snapshot;
    use crate::time::Timestamp;

    const AT: &str = "2026-11-22T12:00:00Z";

    /// Evaluates `old` and `new` (JSON snapshots, each with its time) with the default rules
    /// and compares their events, one line each: `capabilities: code=status ...` or
    /// `requirements: field=status[impact,...] ...` (no brackets when cleared).
    #[track_caller]
    fn check(
        customer_id: Option<&str>,
        (old, old_at): (&str, &str),
        (new, new_at): (&str, &str),
        expected: &[&str],
    ) {
        let rules = RuleSet::builtin();
        let evaluate = |json: &str, at: &str| {
            rules.evaluate(
                &Snapshot::from_json(json).unwrap(),
                Timestamp::parse(at).unwrap(),
            )
        };
        let events = changes(customer_id, &evaluate(old, old_at), &evaluate(new, new_at));
        let lines: Vec<String> = events
            .iter()
            .map(|event| {
                let id = match event {
                    ChangeEvent::CapabilityChanged { customer_id, .. }
                    | ChangeEvent::RequirementChanged { customer_id, .. } => customer_id,
                };
                assert_eq!(id.as_deref(), customer_id);
                match event {
                    ChangeEvent::CapabilityChanged { capabilities, .. } => {
                        assert_eq!(event.event_type(), "customers.capability.changed");
                        let items: Vec<String> = capabilities
                            .iter()
                            .map(|c| format!("{}={}", c.code, c.status.as_str()))
                            .collect();
                        format!("capabilities: {}", items.join(" "))
                    }
                    ChangeEvent::RequirementChanged { requirements, .. } => {
                        assert_eq!(event.event_type(), "customers.requirement.changed");
                        let items: Vec<String> = requirements
                            .iter()
                            .map(|r| match r.status {
                                RequirementChangeStatus::Cleared => {
                                    assert!(r.impact.is_empty());
                                    format!("{}=cleared", r.field)
                                }
                                status => {
                                    format!(
                                        "{}={}[{}]",
                                        r.field,
                                        status.as_str(),
                                        r.impact.join(",")
                                    )
                                }
                            })
                            .collect();
                        format!("requirements: {}", items.join(" "))
                    }
                }
            })
            .collect();
        assert_eq!(lines, expected);
    }

    const ACTIVE_FIAT: &str = r#"{
        "capabilities": {"custodyFiat": {"requested": true, "status": "active"}},
        "requirements": {},
        "tosAcceptances": [{"versionId": "us_individual_2026-05-29", "language": "en", "acceptedAt": "2026-06-01T00:00:00Z"}]
    }"#;

    #[test]
    fn capability_status_change() {
        let pending = ACTIVE_FIAT.replace(r#""status": "active""#, r#""status": "pending""#);
        check(
            Some("customer_1"),
            (&pending, AT),
            (ACTIVE_FIAT, AT),
            &["capabilities: custodyFiat=active"],
        );
        // Both directions, and several capabilities in one event, sorted.
        let both = r#"{"capabilities": {
            "tradeCrypto": {"requested": true, "status": "active"},
            "custodyCrypto": {"requested": true, "status": "inactive"}
        }, "requirements": {}, "tosAcceptances": [
            {"versionId": "us_individual_2026-05-29", "language": "en", "acceptedAt": "2026-06-01T00:00:00Z"}
        ]}"#;
        check(
            Some("customer_1"),
            (r#"{"requirements": {}}"#, AT),
            (both, AT),
            &["capabilities: custodyCrypto=inactive tradeCrypto=active"],
        );
    }

    #[test]
    fn requirement_appears() {
        let with_ssn = r#"{
            "capabilities": {"custodyFiat": {"requested": true, "status": "active"}},
            "requirements": {"fullSsn": {"status": "rejected", "impact": ["custodyFiat"]}},
            "tosAcceptances": [{"versionId": "us_individual_2026-05-29", "language": "en", "acceptedAt": "2026-06-01T00:00:00Z"}]
        }"#;
        check(
            None,
            (ACTIVE_FIAT, AT),
            (with_ssn, AT),
            &[
                "capabilities: custodyFiat=pending",
                "requirements: fullSsn=rejected[custodyFiat]",
            ],
        );
    }

    #[test]
    fn status_change_when_a_deadline_passes() {
        let snapshot = r#"{
            "capabilities": {"transferFiat": {"requested": true, "status": "active"}},
            "requirements": {"taxAttestation": {"status": "due", "deadline": "2026-12-31T23:59:59Z", "impact": ["transferFiat"], "taxForms": ["us_w9"]}},
            "tosAcceptances": [{"versionId": "us_individual_2026-05-29", "language": "en", "acceptedAt": "2026-06-01T00:00:00Z"}]
        }"#;
        check(
            Some("customer_1"),
            (snapshot, AT),
            (snapshot, "2027-01-01T00:00:00Z"),
            &[
                "capabilities: transferFiat=pending",
                "requirements: taxAttestation=past_due[transferFiat]",
            ],
        );
    }

    #[test]
    fn impact_change() {
        let one = r#"{
            "capabilities": {"tradeCrypto": {"requested": true, "status": "pending"}},
            "requirements": {"occupation": {"status": "due", "impact": ["tradeCrypto"]}}
        }"#;
        let two = r#"{
            "capabilities": {"tradeCrypto": {"requested": true, "status": "pending"}, "tradeStablecoin": {"requested": true, "status": "pending"}},
            "requirements": {"occupation": {"status": "due", "impact": ["tradeCrypto", "tradeStablecoin"]}}
        }"#;
        let accepted = |json: &str| {
            json.replacen(
                '{',
                r#"{"tosAcceptances": [{"versionId": "us_individual_2026-05-29", "language": "en", "acceptedAt": "2026-06-01T00:00:00Z"}],"#,
                1,
            )
        };
        check(
            Some("customer_1"),
            (&accepted(one), AT),
            (&accepted(two), AT),
            &[
                "capabilities: tradeStablecoin=pending",
                "requirements: occupation=due[tradeCrypto,tradeStablecoin]",
            ],
        );
    }

    #[test]
    fn cleared() {
        let pending = r#"{
            "capabilities": {"custodyFiat": {"requested": true, "status": "pending"}},
            "requirements": {"fullSsn": {"status": "pending", "impact": ["custodyFiat"]}, "occupation": {"status": "due"}},
            "tosAcceptances": [{"versionId": "us_individual_2026-05-29", "language": "en", "acceptedAt": "2026-06-01T00:00:00Z"}]
        }"#;
        check(
            Some("customer_1"),
            (pending, AT),
            (ACTIVE_FIAT, AT),
            &[
                "capabilities: custodyFiat=active",
                "requirements: fullSsn=cleared occupation=cleared",
            ],
        );
    }

    #[test]
    fn no_change_no_events() {
        check(
            Some("customer_1"),
            (ACTIVE_FIAT, AT),
            (ACTIVE_FIAT, AT),
            &[],
        );
        // Time moves, nothing scheduled changes: still nothing.
        check(None, ("{}", AT), ("{}", "2027-06-01T00:00:00Z"), &[]);
    }

    #[test]
    fn customer_id_none() {
        check(
            None,
            (r#"{"requirements": {}}"#, AT),
            (r#"{"requirements": {"email": {"status": "due"}}}"#, AT),
            &["requirements: email=due[]"],
        );
    }
}
