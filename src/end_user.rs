//! The end-user view of an evaluation: what a customer should see.
//!
//! The full [`Evaluation`] is for the platform: it carries provider statuses, validation
//! codes, who resolves what, warnings and the ruleset's identity. A customer needs less:
//! which of the things they asked for they can use, and what they still have to do, with
//! how. This module projects an evaluation onto that, and leaves everything else out.

use crate::evaluation::{CapabilityStatus, Evaluation, Outstanding, RequirementStatus};
use crate::evaluation_ref::EvaluationRef;
use crate::ruleset::{Compiled, RequirementDef, RequirementKind, Resolver, RuleSet};
use crate::time::Timestamp;

/// What a customer should see of an [`Evaluation`]: the capabilities they asked for, each
/// with a plain state, and the tasks that are theirs to do, most urgent first.
///
/// Left out on purpose: provider statuses and codes, validation error codes, requirements
/// only the platform or the provider can resolve, requirements awaiting review, capabilities
/// the customer did not ask for, warnings, and the ruleset's identity.
///
/// # Example
///
/// ```
/// use capgate::{EndUserView, RuleSet, Snapshot, TaskAction, Timestamp, UserState};
///
/// let rules = RuleSet::builtin();
/// let snapshot = Snapshot::from_json(r#"{"capabilities": {"custodyCrypto": {"requested": true}}}"#)?;
/// let evaluation = rules.evaluate(&snapshot, Timestamp::parse("2026-11-22T00:00:00Z")?);
/// let view = EndUserView::new(&rules, &evaluation);
/// assert_eq!(view.capabilities[0].name, "custodyCrypto");
/// assert_eq!(view.capabilities[0].state, UserState::ActionNeeded);
/// let ssn = view.tasks.iter().find(|t| t.requirement == "fullSsn").unwrap();
/// assert_eq!(ssn.action, TaskAction::Provide);
/// assert_eq!(ssn.field.as_deref(), Some("individual.fullSsn"));
/// assert_eq!(ssn.unlocks, ["custodyCrypto"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct EndUserView {
    /// The capabilities the customer requested, in name order.
    pub capabilities: Vec<UserCapability>,
    /// What the customer still has to do: overdue first, then what is needed now, then by
    /// deadline, then by requirement key.
    pub tasks: Vec<Task>,
    /// The evaluation time.
    pub at: Timestamp,
}

/// A requested capability as the customer sees it.
///
/// # Example
///
/// ```
/// # use capgate::{EndUserView, RuleSet, Snapshot, Timestamp, UserState};
/// # let rules = RuleSet::builtin();
/// # let snapshot = Snapshot::from_json(r#"{"capabilities": {"custodyCrypto": {"requested": true, "status": "inactive"}}}"#)?;
/// # let view = EndUserView::new(&rules, &rules.evaluate(&snapshot, Timestamp::parse("2026-11-22T00:00:00Z")?));
/// assert_eq!(view.capabilities[0].state, UserState::Unavailable);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UserCapability {
    /// The capability's name.
    pub name: String,
    /// Its state.
    pub state: UserState,
}

/// The state of a requested capability, for a customer.
///
/// # Example
///
/// ```
/// assert_eq!(capgate::UserState::ActionNeeded.as_str(), "action_needed");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum UserState {
    /// Ready to use (the capability is active).
    Available,
    /// Waiting on something the customer has to do (a task lists it in `unlocks`).
    ActionNeeded,
    /// Waiting on a review or on someone else; nothing for the customer to do.
    InReview,
    /// Not available to this customer (the provider made it inactive).
    Unavailable,
}

impl UserState {
    /// The wire name: `available`, `action_needed`, `in_review`, `unavailable`.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(capgate::UserState::InReview.as_str(), "in_review");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            UserState::Available => "available",
            UserState::ActionNeeded => "action_needed",
            UserState::InReview => "in_review",
            UserState::Unavailable => "unavailable",
        }
    }
}

/// One thing the customer has to do.
///
/// # Example
///
/// ```
/// # use capgate::{EndUserView, RuleSet, Snapshot, TaskAction, Timestamp};
/// # let rules = RuleSet::builtin();
/// # let snapshot = Snapshot::from_json(r#"{"capabilities": {"tradeCrypto": {"requested": true}}}"#)?;
/// # let view = EndUserView::new(&rules, &rules.evaluate(&snapshot, Timestamp::parse("2026-11-22T00:00:00Z")?));
/// let tos = view.tasks.iter().find(|t| t.requirement == "tos").unwrap();
/// assert_eq!(tos.action, TaskAction::Accept);
/// assert!(!tos.tos_versions.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Task {
    /// The requirement key (for a frontend to pick its own label or form field).
    pub requirement: String,
    /// What to provide, in words (the rule's `description`), when the rules have one.
    pub description: Option<String>,
    /// What to do.
    pub action: TaskAction,
    /// Where the value goes in the customer object (`individual.fullSsn`), for fields.
    pub field: Option<String>,
    /// Whether its deadline has passed.
    pub overdue: bool,
    /// The date to do it by, when there is one.
    pub deadline: Option<Timestamp>,
    /// The requested capabilities it unlocks (or helps unlock), sorted.
    pub unlocks: Vec<String>,
    /// For [`TaskAction::Accept`]: the terms to read and accept.
    pub tos_versions: Vec<UserTosVersion>,
    /// For [`TaskAction::Attest`]: the forms to complete.
    pub tax_forms: Vec<String>,
}

/// What a task asks of the customer.
///
/// # Example
///
/// ```
/// assert_eq!(capgate::TaskAction::Correct.as_str(), "correct");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum TaskAction {
    /// Provide a value that is missing.
    Provide,
    /// Correct a value that was given but is not valid.
    Correct,
    /// Provide again a value that was not accepted on review.
    Resubmit,
    /// Read and accept terms.
    Accept,
    /// Complete an attestation (a tax form).
    Attest,
}

impl TaskAction {
    /// The wire name: `provide`, `correct`, `resubmit`, `accept`, `attest`.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(capgate::TaskAction::Resubmit.as_str(), "resubmit");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            TaskAction::Provide => "provide",
            TaskAction::Correct => "correct",
            TaskAction::Resubmit => "resubmit",
            TaskAction::Accept => "accept",
            TaskAction::Attest => "attest",
        }
    }
}

/// Terms to accept: the version to send back, where to read it, in which languages.
///
/// # Example
///
/// ```
/// # use capgate::{EndUserView, RuleSet, Snapshot, Timestamp};
/// # let rules = RuleSet::builtin();
/// # let snapshot = Snapshot::from_json(r#"{"capabilities": {"tradeCrypto": {"requested": true}}}"#)?;
/// # let view = EndUserView::new(&rules, &rules.evaluate(&snapshot, Timestamp::parse("2026-11-22T00:00:00Z")?));
/// let version = &view.tasks.iter().find(|t| t.requirement == "tos").unwrap().tos_versions[0];
/// assert!(version.url.as_deref().is_some_and(|url| url.starts_with("https://")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UserTosVersion {
    /// The version id to send back with the acceptance.
    pub version_id: String,
    /// Where to read it.
    pub url: Option<String>,
    /// Languages it is published in.
    pub languages: Vec<String>,
}

impl EndUserView {
    /// Projects `evaluation` (made with `rules`) onto what its customer should see.
    ///
    /// A task is an outstanding requirement that the customer can act on (its rule says
    /// `resolved_by = "customer"`, the default, or the rules do not know it) and whose
    /// status asks for action (`due`, `past_due`, `rejected`); requirements `pending` review
    /// or `eventually_due` are not tasks. A requested capability is `available` when active,
    /// `unavailable` when inactive, `action_needed` when a task unlocks it, else `in_review`.
    ///
    /// # Example
    ///
    /// ```
    /// # use capgate::{EndUserView, RuleSet, Snapshot, Timestamp};
    /// let rules = RuleSet::builtin();
    /// let snapshot = Snapshot::from_json(include_str!("../examples/provider.json"))?;
    /// let view = EndUserView::new(&rules, &rules.evaluate(&snapshot, Timestamp::parse("2026-11-22T00:00:00Z")?));
    /// assert!(view.tasks.iter().all(|task| !task.unlocks.is_empty() || task.requirement == "tos"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(rules: &RuleSet, evaluation: &Evaluation) -> EndUserView {
        build(
            &rules.inner,
            evaluation
                .capabilities
                .iter()
                .map(|(name, state)| (name.as_str(), state.requested, state.status)),
            evaluation
                .requirements
                .iter()
                .map(|(key, outstanding)| (key.as_str(), outstanding, outstanding.impact.clone())),
            evaluation.at,
        )
    }

    /// [`EndUserView::new`] for a borrowed evaluation ([`crate::RuleSet::evaluate_ref`]),
    /// without materializing the owned [`Evaluation`]: the same view.
    ///
    /// # Example
    ///
    /// ```
    /// # use capgate::{EndUserView, RuleSet, Snapshot, Timestamp};
    /// let rules = RuleSet::builtin();
    /// let snapshot = Snapshot::from_json(include_str!("../examples/draft.json"))?;
    /// let at = Timestamp::parse("2026-11-22T00:00:00Z")?;
    /// assert_eq!(
    ///     EndUserView::from_ref(&rules.evaluate_ref(&snapshot, at)),
    ///     EndUserView::new(&rules, &rules.evaluate(&snapshot, at)),
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_ref(evaluation: &EvaluationRef<'_>) -> EndUserView {
        let view = evaluation.view();
        build(
            view.compiled,
            view.capabilities()
                .map(|(_, name, status)| (name, view.requested(name), status)),
            view.requirements.iter().map(|(key, mask, outstanding)| {
                (
                    *key,
                    outstanding,
                    view.names(*mask).map(str::to_owned).collect(),
                )
            }),
            view.at,
        )
    }
}

/// The view from capabilities `(name, requested, status)` in name order and outstanding
/// requirements `(key, requirement, impact)` in key order.
fn build<'a>(
    compiled: &Compiled,
    capabilities: impl Iterator<Item = (&'a str, bool, CapabilityStatus)>,
    requirements: impl Iterator<Item = (&'a str, &'a Outstanding, Vec<String>)>,
    at: Timestamp,
) -> EndUserView {
    let mut tasks: Vec<Task> = Vec::new();
    for (key, outstanding, impact) in requirements {
        let def = compiled
            .requirement_idx(key)
            .and_then(|idx| compiled.requirements.get(idx));
        if let Some(task) = task(key, def, outstanding, impact) {
            // Insertion in urgency order (lists are short; requirements come in key order,
            // so equal keys keep it).
            let position = tasks
                .iter()
                .position(|t| urgency(&task) < urgency(t))
                .unwrap_or(tasks.len());
            tasks.insert(position, task);
        }
    }
    let capabilities = capabilities
        .filter(|(_, requested, _)| *requested)
        .map(|(name, _, status)| UserCapability {
            name: name.to_owned(),
            state: match status {
                CapabilityStatus::Active => UserState::Available,
                CapabilityStatus::Inactive => UserState::Unavailable,
                CapabilityStatus::Pending | CapabilityStatus::Unrequested => {
                    if tasks.iter().any(|t| t.unlocks.iter().any(|c| c == name)) {
                        UserState::ActionNeeded
                    } else {
                        UserState::InReview
                    }
                }
            },
        })
        .collect();
    EndUserView {
        capabilities,
        tasks,
        at,
    }
}

/// Overdue first, then needed now (no deadline), then by deadline.
fn urgency(task: &Task) -> (bool, bool, Option<Timestamp>) {
    (!task.overdue, task.deadline.is_some(), task.deadline)
}

/// The task for one outstanding requirement, if it is the customer's to do.
fn task(
    key: &str,
    def: Option<&RequirementDef>,
    o: &Outstanding,
    unlocks: Vec<String>,
) -> Option<Task> {
    if def.is_some_and(|d| d.resolved_by != Resolver::Customer)
        || o.resolved_by.is_some_and(|r| r != Resolver::Customer)
    {
        return None;
    }
    let overdue = match o.status {
        RequirementStatus::Due | RequirementStatus::Rejected => false,
        RequirementStatus::PastDue => true,
        RequirementStatus::Pending | RequirementStatus::EventuallyDue => return None,
    };
    let (action, field) = match def.map(|d| &d.kind) {
        Some(RequirementKind::Acceptance { .. }) => (TaskAction::Accept, None),
        Some(RequirementKind::Attestation { .. }) => (TaskAction::Attest, None),
        Some(RequirementKind::Field(rule)) => {
            let field = rule.paths.first().map(|path| path.join("."));
            (field_action(o), field)
        }
        None if key == "tos" => (TaskAction::Accept, None),
        None => (field_action(o), None),
    };
    Some(Task {
        requirement: key.to_owned(),
        description: def.and_then(|d| d.description.clone()),
        action,
        field,
        overdue,
        deadline: o.deadline,
        unlocks,
        tos_versions: o
            .tos_versions
            .iter()
            .map(|v| UserTosVersion {
                version_id: v.version_id.clone(),
                url: v.url.clone(),
                languages: v.languages.clone(),
            })
            .collect(),
        tax_forms: o.tax_forms.clone(),
    })
}

fn field_action(o: &Outstanding) -> TaskAction {
    if o.status == RequirementStatus::Rejected {
        TaskAction::Resubmit
    } else if !o.errors.is_empty() {
        TaskAction::Correct
    } else {
        TaskAction::Provide
    }
}
