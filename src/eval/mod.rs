//! Evaluation: a compiled ruleset x a snapshot x a time -> capability statuses and
//! outstanding requirements. Total: every input produces a result.
//!
//! The semantics are written down in the README ("Evaluation semantics"); the letters in the
//! comments below (a-i) refer to that list.

use std::collections::BTreeMap;

use crate::checks::{self, FieldOutcome};
use crate::error::CheckError;
use crate::evaluation::{
    CapabilityState, CapabilityStatus, ContextProblem, Decision, DenialType, Evaluation,
    FieldError, Outstanding, RequirementStatus, RulesetStamp, TosVersion, WaitingOn,
};
use crate::json::Json;
use crate::ruleset::{
    Compiled, Condition, ConditionTest, RequirementDef, RequirementKind, RuleSet, TosVersionDef,
    VerifiedBy,
};
use crate::snapshot::{
    ProviderCapabilityStatus, ProviderRequirement, ProviderRequirementStatus, Snapshot,
};
use crate::time::Timestamp;

/// Where a capability stands before requirements are considered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Standing {
    Inactive,
    Unrequested,
    /// Requested and not inactive; `provider_active` when the provider reported it active.
    Live {
        provider_active: bool,
    },
}

/// One source of a requirement's status (the provider's entry, or the snapshot's own data).
#[derive(Debug, Default)]
struct Part {
    /// `None` means met.
    status: Option<RequirementStatus>,
    /// Items that are due, each with its deadline (a `ToS` version, or the requirement).
    due_items: Vec<Option<Timestamp>>,
    tos_versions: Vec<TosVersion>,
    tax_forms: Vec<String>,
    errors: Vec<FieldError>,
    /// Future instants at which this part could change (acceptances dated after `at`).
    transitions: Vec<Timestamp>,
}

impl Part {
    fn met() -> Part {
        Part::default()
    }

    fn due(deadline: Option<Timestamp>) -> Part {
        Part {
            status: Some(RequirementStatus::Due),
            due_items: vec![deadline],
            ..Part::default()
        }
    }
}

pub(crate) fn evaluate(rules: &RuleSet, snapshot: &Snapshot, at: Timestamp) -> Evaluation {
    evaluate_assuming(rules, snapshot, at, &[])
}

/// A set of capabilities, one bit per capability index (a ruleset has at most
/// [`crate::ruleset::MAX_CAPABILITIES`]).
type CapabilityMask = u128;

pub(crate) fn bit(idx: usize) -> CapabilityMask {
    u32::try_from(idx)
        .ok()
        .and_then(|shift| 1u128.checked_shl(shift))
        .unwrap_or(0)
}

/// Evaluates as if the capabilities `assume_requested` (indexes) had been requested: the
/// what-if behind "the requirements that would unlock" an operation.
pub(crate) fn evaluate_assuming(
    rules: &RuleSet,
    snapshot: &Snapshot,
    at: Timestamp,
    assume_requested: &[usize],
) -> Evaluation {
    evaluate_inner(rules, snapshot, at, assume_requested, None)
}

/// Like [`evaluate_assuming`], also collecting the outstanding requirements of either/or
/// alternatives that no capability took (for explanations).
pub(crate) fn evaluate_with_unchosen(
    rules: &RuleSet,
    snapshot: &Snapshot,
    at: Timestamp,
    assume_requested: &[usize],
) -> (Evaluation, BTreeMap<String, Outstanding>) {
    let mut unchosen = BTreeMap::new();
    let evaluation = evaluate_inner(rules, snapshot, at, assume_requested, Some(&mut unchosen));
    (evaluation, unchosen)
}

fn evaluate_inner(
    rules: &RuleSet,
    snapshot: &Snapshot,
    at: Timestamp,
    assume_requested: &[usize],
    unchosen: Option<&mut BTreeMap<String, Outstanding>>,
) -> Evaluation {
    view_inner(&rules.inner, snapshot, at, assume_requested, unchosen).into_evaluation()
}

/// The evaluation before it is materialized: names are borrowed from the ruleset and the
/// snapshot, and capability sets are bit masks. `wire` serializes it directly (the hot path
/// from JSON text to JSON text); [`View::into_evaluation`] builds the public [`Evaluation`].
pub(crate) struct View<'a> {
    pub(crate) compiled: &'a Compiled,
    pub(crate) snapshot: &'a Snapshot,
    /// Per capability index.
    pub(crate) statuses: Vec<CapabilityStatus>,
    /// Pending capabilities that also wait for the provider.
    pub(crate) provider_pending: CapabilityMask,
    /// Outstanding requirements, sorted by key, each with its impact mask (`impact` of the
    /// `Outstanding` is left empty).
    pub(crate) requirements: Vec<(&'a str, CapabilityMask, Outstanding)>,
    pub(crate) next_transition_at: Option<Timestamp>,
    pub(crate) at: Timestamp,
}

impl View<'_> {
    /// The names of the capabilities in `mask`, sorted (capabilities are sorted by name).
    pub(crate) fn names(&self, mask: CapabilityMask) -> impl Iterator<Item = &str> + Clone {
        self.compiled
            .capabilities
            .iter()
            .enumerate()
            .filter(move |(idx, _)| mask & bit(*idx) != 0)
            .map(|(_, capability)| capability.name.as_str())
    }

    pub(crate) fn status(&self, idx: usize) -> CapabilityStatus {
        self.statuses
            .get(idx)
            .copied()
            .unwrap_or(CapabilityStatus::Pending)
    }

    /// Whether the snapshot requested the capability (what-if assumptions aside).
    pub(crate) fn requested(&self, name: &str) -> bool {
        self.snapshot
            .capabilities
            .get(name)
            .is_some_and(|e| e.requested)
    }

    /// The capabilities of the ruleset with their state, in name order.
    pub(crate) fn capabilities(
        &self,
    ) -> impl Iterator<Item = (usize, &str, CapabilityStatus)> + Clone {
        self.compiled
            .capabilities
            .iter()
            .enumerate()
            .map(|(idx, capability)| (idx, capability.name.as_str(), self.status(idx)))
    }

    /// The allowed (active) capabilities, in name order.
    pub(crate) fn allowed(&self) -> impl Iterator<Item = &str> + Clone {
        self.capabilities()
            .filter(|(_, _, status)| *status == CapabilityStatus::Active)
            .map(|(_, name, _)| name)
    }

    /// The outstanding requirements blocking capability `idx`, in key order.
    pub(crate) fn blocking(&self, idx: usize) -> impl Iterator<Item = &str> + Clone {
        self.requirements
            .iter()
            .filter(move |(_, mask, r)| r.blocking && mask & bit(idx) != 0)
            .map(|(key, _, _)| *key)
    }

    /// The dependencies of capability `idx` that are not active, in name order.
    pub(crate) fn inactive_dependencies(&self, idx: usize) -> impl Iterator<Item = &str> + Clone {
        self.compiled
            .capabilities
            .get(idx)
            .map_or(&[][..], |c| c.depends_on.as_slice())
            .iter()
            .filter(|&&dep| self.status(dep) != CapabilityStatus::Active)
            .filter_map(|&dep| self.compiled.capabilities.get(dep).map(|c| c.name.as_str()))
    }

    /// Whether pending capability `idx` also waits for the provider.
    pub(crate) fn waits_for_provider(&self, idx: usize) -> bool {
        self.provider_pending & bit(idx) != 0
    }

    /// The snapshot's warnings, then one per capability the ruleset does not know.
    pub(crate) fn warnings(&self) -> impl Iterator<Item = String> + Clone {
        self.snapshot.warnings.iter().cloned().chain(
            self.snapshot
                .capabilities
                .keys()
                .filter(|name| self.compiled.capability_idx(name).is_none())
                .map(|name| {
                    format!(
                        "capability `{}` is not in the ruleset and was ignored",
                        crate::json::printable(name)
                    )
                }),
        )
    }

    /// The owned [`Evaluation`] (clones the names and the requirements).
    pub(crate) fn to_evaluation(&self) -> Evaluation {
        let mut evaluation = self.materialize(BTreeMap::new());
        for (key, mask, outstanding) in &self.requirements {
            let mut outstanding = outstanding.clone();
            outstanding.impact = capability_names(self.compiled, *mask);
            evaluation
                .requirements
                .insert((*key).to_owned(), outstanding);
        }
        evaluation
    }

    pub(crate) fn into_evaluation(self) -> Evaluation {
        let mut evaluation = self.materialize(BTreeMap::new());
        for (key, mask, mut outstanding) in self.requirements {
            outstanding.impact = capability_names(self.compiled, mask);
            evaluation.requirements.insert(key.to_owned(), outstanding);
        }
        evaluation
    }

    /// Everything but the requirements (`requirements` is put in as given).
    fn materialize(&self, requirements: BTreeMap<String, Outstanding>) -> Evaluation {
        let mut capabilities = BTreeMap::new();
        let mut waiting_on = BTreeMap::new();
        for (idx, name, status) in self.capabilities() {
            capabilities.insert(
                name.to_owned(),
                CapabilityState {
                    requested: self.requested(name),
                    status,
                },
            );
            if status == CapabilityStatus::Pending {
                waiting_on.insert(
                    name.to_owned(),
                    WaitingOn {
                        requirements: self.blocking(idx).map(str::to_owned).collect(),
                        capabilities: self.inactive_dependencies(idx).map(str::to_owned).collect(),
                        provider: self.waits_for_provider(idx),
                    },
                );
            }
        }
        let allowed = self.allowed().map(str::to_owned).collect();
        let warnings = self.warnings().collect();
        Evaluation {
            capabilities,
            requirements,
            allowed,
            waiting_on,
            next_transition_at: self.next_transition_at,
            at: self.at,
            ruleset: stamp(self.compiled),
            warnings,
        }
    }
}

/// Evaluates into a [`View`].
pub(crate) fn view<'a>(rules: &'a RuleSet, snapshot: &'a Snapshot, at: Timestamp) -> View<'a> {
    view_inner(&rules.inner, snapshot, at, &[], None)
}

fn view_inner<'a>(
    compiled: &'a Compiled,
    snapshot: &'a Snapshot,
    at: Timestamp,
    assume_requested: &[usize],
    mut unchosen: Option<&mut BTreeMap<String, Outstanding>>,
) -> View<'a> {
    // (a, b, c) Standing of every capability. Both lists are sorted by name: one merge pass
    // finds each capability's snapshot entry.
    let mut entries = snapshot.capabilities.iter().peekable();
    let standings: Vec<Standing> = compiled
        .capabilities
        .iter()
        .enumerate()
        .map(|(idx, capability)| {
            let name = capability.name.as_str();
            while entries.next_if(|(key, _)| key.as_str() < name).is_some() {}
            let entry = entries
                .next_if(|(key, _)| key.as_str() == name)
                .map(|(_, entry)| entry);
            let requested = entry.is_some_and(|e| e.requested) || assume_requested.contains(&idx);
            let status = entry.and_then(|e| e.status);
            if status == Some(ProviderCapabilityStatus::Inactive) {
                Standing::Inactive
            } else if !requested {
                Standing::Unrequested
            } else {
                Standing::Live {
                    provider_active: status == Some(ProviderCapabilityStatus::Active),
                }
            }
        })
        .collect();
    let mut live: CapabilityMask = 0;
    let mut provider_pending: CapabilityMask = 0;
    for (idx, standing) in standings.iter().enumerate() {
        if let Standing::Live { provider_active } = standing {
            live |= bit(idx);
            if !provider_active {
                provider_pending |= bit(idx);
            }
        }
    }

    // (d) Which live capabilities need each requirement, by the rules (conditions applied);
    // members of either/or sets are candidates until an alternative is chosen.
    // Empty when no requirement has conditions (then every requirement applies).
    let applies: Vec<bool> = if compiled.index.has_conditions {
        compiled
            .requirements
            .iter()
            .map(|r| conditions_hold(&r.when, snapshot))
            .collect()
    } else {
        Vec::new()
    };
    let applies_to = |idx: usize| applies_at(&applies, idx);
    // From the load-time index: per requirement, the live capabilities that need it.
    let mut needed_by: Vec<CapabilityMask> = compiled
        .index
        .needed_by
        .iter()
        .enumerate()
        .map(|(idx, mask)| if applies_to(idx) { mask & live } else { 0 })
        .collect();
    let candidate: Vec<bool> = compiled
        .index
        .alternative_of
        .iter()
        .zip(&needed_by)
        .enumerate()
        .map(|(idx, (alternative_of, needed))| {
            *needed != 0 || (alternative_of & live != 0 && applies_to(idx))
        })
        .collect();

    let mut transitions = Vec::new();
    let assessed = assess(compiled, snapshot, at, live, &candidate, &mut transitions);
    choose_alternatives(compiled, live, &applies, &assessed, &mut needed_by);

    // (f) Outstanding requirements with their impact; candidates no capability took are
    // dropped unless the provider lists them.
    let mut requirements = Vec::with_capacity(assessed.len());
    let mut blocked: CapabilityMask = 0;
    for item in assessed {
        let needed = item
            .definition_idx
            .and_then(|idx| needed_by.get(idx))
            .copied()
            .unwrap_or(0);
        let mut outstanding = item.outstanding;
        if needed == 0 && !item.listed {
            if let Some(unchosen) = unchosen.as_deref_mut() {
                unchosen.insert(item.key.to_owned(), outstanding);
            }
            continue;
        }
        let impact = needed | item.provider_impact;
        outstanding.resolved_by = item
            .definition_idx
            .and_then(|idx| compiled.requirements.get(idx))
            .map(|d| d.resolved_by);
        if outstanding.blocking {
            blocked |= impact;
        }
        requirements.push((item.key, impact, outstanding));
    }

    // (g) Capability statuses; dependencies first. (h) Active ones are allowed.
    let statuses = capability_statuses(compiled, &standings, blocked);
    View {
        compiled,
        snapshot,
        statuses,
        provider_pending,
        requirements,
        // (i)
        next_transition_at: transitions.into_iter().filter(|t| *t > at).min(),
        at,
    }
}

/// (d, e) The status of every candidate requirement and every requirement the provider
/// lists, in key order, before impacts are settled.
fn assess<'a>(
    compiled: &'a Compiled,
    snapshot: &'a Snapshot,
    at: Timestamp,
    live: CapabilityMask,
    candidate: &[bool],
    transitions: &mut Vec<Timestamp>,
) -> Vec<Assessed<'a>> {
    let names_to_mask = |names: &[String]| {
        names
            .iter()
            .filter_map(|name| compiled.capability_idx(name))
            .fold(0, |mask, idx| mask | bit(idx))
    };
    let keys = requirement_keys(compiled, candidate, snapshot);
    let mut assessed: Vec<Assessed<'a>> = Vec::with_capacity(keys.len());
    for (definition_idx, provider_entry) in keys {
        let definition = definition_idx.and_then(|idx| compiled.requirements.get(idx));
        let mut provider = None;
        let mut local = None;
        let mut provider_impact = 0;
        if let Some((_, entry)) = provider_entry {
            provider_impact = names_to_mask(&entry.impact) & live;
            provider = Some(provider_part(entry, definition));
        }
        if let Some(definition) = definition {
            let checked_locally = match (&definition.kind, provider_entry) {
                // Acceptances are always checked against `tosAcceptances` too.
                (RequirementKind::Acceptance { .. }, _) => true,
                // Platform policy is always checked against the snapshot's own data.
                _ if definition.verified_by == VerifiedBy::Platform => true,
                // A provider snapshot lists only what is outstanding: unlisted means met.
                (_, None) => snapshot.requirements.is_none(),
                (_, Some(_)) => false,
            };
            let is_candidate =
                definition_idx.is_some_and(|idx| candidate.get(idx).copied().unwrap_or(false));
            if checked_locally && (is_candidate || provider_entry.is_some()) {
                let part = match &definition.kind {
                    // The common case, a field, checked first: met and unlisted, it is done.
                    RequirementKind::Field(rule) => {
                        let outcome = checks::check_field(rule, snapshot, at);
                        if outcome == FieldOutcome::Met && provider.is_none() {
                            continue;
                        }
                        field_part(definition, outcome)
                    }
                    _ => local_part(definition, snapshot, at),
                };
                local = Some(part);
            }
        }
        if provider.is_none() && local.is_none() {
            // Neither listed nor checked here (met in a provider snapshot, or not needed).
            continue;
        }
        let key = match (definition, provider_entry) {
            (Some(definition), _) => definition.key.as_str(),
            (None, Some((key, _))) => key.as_str(),
            (None, None) => continue,
        };
        // Met requirements are neither reported nor blocking: only outstanding ones are kept.
        let Some(outstanding) = combine(provider.into_iter().chain(local), at, transitions) else {
            continue;
        };
        assessed.push(Assessed {
            key,
            definition_idx,
            listed: provider_entry.is_some(),
            provider_impact,
            outstanding,
        });
    }

    assessed
}

/// Whether requirement `idx` applies, given the per-requirement condition results (empty
/// when no requirement has conditions: then every requirement applies).
fn applies_at(applies: &[bool], idx: usize) -> bool {
    applies.is_empty() || applies.get(idx).copied().unwrap_or(false)
}

/// Either/or sets: each live capability takes its cheapest alternative, the one with the
/// fewest blocking requirements (the first on a tie), and needs its requirements.
fn choose_alternatives(
    compiled: &Compiled,
    live: CapabilityMask,
    applies: &[bool],
    assessed: &[Assessed<'_>],
    needed_by: &mut [CapabilityMask],
) {
    if !compiled.index.has_any_of {
        return;
    }
    let applies_to = |idx: usize| applies_at(applies, idx);
    let mut blocking_by_idx = vec![false; compiled.requirements.len()];
    for item in assessed {
        if let (Some(idx), outstanding) = (item.definition_idx, &item.outstanding) {
            if let Some(flag) = blocking_by_idx.get_mut(idx) {
                *flag = outstanding.blocking;
            }
        }
    }
    let blocking_at = |requirement_idx: usize| {
        blocking_by_idx
            .get(requirement_idx)
            .copied()
            .unwrap_or(false)
    };
    for (idx, capability) in compiled.capabilities.iter().enumerate() {
        if live & bit(idx) == 0 {
            continue;
        }
        for any_of in &capability.any_of {
            let cost = |alternative: &Vec<usize>| {
                alternative
                    .iter()
                    .filter(|&&r| applies_to(r) && blocking_at(r))
                    .count()
            };
            let Some(chosen) = any_of
                .alternatives
                .iter()
                .min_by_key(|alternative| cost(alternative))
            else {
                continue;
            };
            for &requirement_idx in chosen {
                if let (true, Some(mask)) = (
                    applies_to(requirement_idx),
                    needed_by.get_mut(requirement_idx),
                ) {
                    *mask |= bit(idx);
                }
            }
        }
    }
}

/// An outstanding requirement, before impacts are settled.
struct Assessed<'a> {
    key: &'a str,
    definition_idx: Option<usize>,
    listed: bool,
    provider_impact: CapabilityMask,
    outstanding: Outstanding,
}

/// Whether every condition holds on the snapshot. A `one_of` condition whose value is
/// missing holds (fail-closed: without the data to rule a requirement out, it applies).
pub(crate) fn conditions_hold(conditions: &[Condition], snapshot: &Snapshot) -> bool {
    conditions.iter().all(|condition| {
        let value = snapshot.lookup(&condition.path);
        match &condition.test {
            ConditionTest::Present(wanted) => value.is_some() == *wanted,
            ConditionTest::OneOf(values) => match value {
                None => true,
                Some(Json::String(text)) => values.iter().any(|v| v == text),
                Some(_) => false,
            },
        }
    })
}

/// A requirement to report: its definition (index), and the provider's entry (key, entry).
type Reported<'s> = (Option<usize>, Option<(&'s String, &'s ProviderRequirement)>);

/// The requirements to report, in key order: those a live capability needs (by index into
/// the sorted definitions) merged with those the provider lists (sorted map keys).
fn requirement_keys<'s>(
    compiled: &Compiled,
    candidate: &[bool],
    snapshot: &'s Snapshot,
) -> Vec<Reported<'s>> {
    let mut needed = compiled
        .requirements
        .iter()
        .enumerate()
        .filter(|(idx, _)| candidate.get(*idx).copied().unwrap_or(false))
        .peekable();
    let mut listed = snapshot
        .requirements
        .iter()
        .flat_map(|map| map.iter())
        .peekable();
    // At most one entry per definition and one per provider entry.
    let mut out = Vec::with_capacity(
        compiled.requirements.len() + snapshot.requirements.as_ref().map_or(0, BTreeMap::len),
    );
    loop {
        match (needed.peek(), listed.peek()) {
            (None, None) => return out,
            (Some((idx, _)), None) => {
                out.push((Some(*idx), None));
                needed.next();
            }
            (None, Some(&(key, entry))) => {
                out.push((compiled.requirement_idx(key), Some((key, entry))));
                listed.next();
            }
            (Some((idx, definition)), Some(&(key, entry))) => {
                match definition.key.as_str().cmp(key) {
                    std::cmp::Ordering::Less => {
                        out.push((Some(*idx), None));
                        needed.next();
                    }
                    std::cmp::Ordering::Equal => {
                        out.push((Some(*idx), Some((key, entry))));
                        needed.next();
                        listed.next();
                    }
                    std::cmp::Ordering::Greater => {
                        out.push((compiled.requirement_idx(key), Some((key, entry))));
                        listed.next();
                    }
                }
            }
        }
    }
}

/// The names of the capabilities in `mask`, sorted (capabilities are sorted by name).
fn capability_names(compiled: &Compiled, mask: CapabilityMask) -> Vec<String> {
    compiled
        .capabilities
        .iter()
        .enumerate()
        .filter(|(idx, _)| mask & bit(*idx) != 0)
        .map(|(_, capability)| capability.name.clone())
        .collect()
}

fn stamp(compiled: &Compiled) -> RulesetStamp {
    RulesetStamp {
        id: compiled.id.clone(),
        version: compiled.version.clone(),
        hash: compiled.hash.clone(),
    }
}

/// (g) A live capability is active only if the provider activated it, nothing it needs is
/// blocking, and its dependencies are active. Dependencies are resolved by repeated passes
/// (the graph is acyclic, so `n` passes settle it).
fn capability_statuses(
    compiled: &Compiled,
    standings: &[Standing],
    blocked: CapabilityMask,
) -> Vec<CapabilityStatus> {
    let base = |idx: usize| match standings.get(idx) {
        Some(Standing::Inactive) => CapabilityStatus::Inactive,
        Some(Standing::Unrequested) | None => CapabilityStatus::Unrequested,
        Some(Standing::Live { provider_active }) => {
            if *provider_active && blocked & bit(idx) == 0 {
                CapabilityStatus::Active
            } else {
                CapabilityStatus::Pending
            }
        }
    };
    let mut statuses: Vec<CapabilityStatus> = (0..compiled.capabilities.len()).map(base).collect();
    for _ in 0..compiled.capabilities.len() {
        let mut changed = false;
        for (idx, capability) in compiled.capabilities.iter().enumerate() {
            let demote = statuses.get(idx) == Some(&CapabilityStatus::Active)
                && capability
                    .depends_on
                    .iter()
                    .any(|&dep| statuses.get(dep) != Some(&CapabilityStatus::Active));
            if demote {
                if let Some(slot) = statuses.get_mut(idx) {
                    *slot = CapabilityStatus::Pending;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    statuses
}

/// (d) The provider's view of a requirement it lists.
fn provider_part(entry: &ProviderRequirement, definition: Option<&RequirementDef>) -> Part {
    let mut part = Part {
        tax_forms: entry.tax_forms.clone(),
        ..Part::default()
    };
    part.tos_versions = entry
        .tos_versions
        .iter()
        .map(|version| TosVersion {
            version_id: version.version_id.clone(),
            languages: version.languages.clone(),
            url: version
                .url
                .clone()
                .or_else(|| rule_url(definition, &version.version_id)),
            deadline: version.deadline,
        })
        .collect();
    part.status = Some(match entry.status {
        ProviderRequirementStatus::Due => {
            // Per-version deadlines decide for ToS; a version without one is required now.
            // The entry's own deadline is used only when no versions are listed.
            if entry.tos_versions.is_empty() {
                part.due_items.push(entry.deadline);
            } else {
                part.due_items
                    .extend(entry.tos_versions.iter().map(|version| version.deadline));
            }
            RequirementStatus::Due
        }
        ProviderRequirementStatus::PastDue => RequirementStatus::PastDue,
        ProviderRequirementStatus::Pending | ProviderRequirementStatus::Unknown => {
            RequirementStatus::Pending
        }
        ProviderRequirementStatus::Rejected => RequirementStatus::Rejected,
        ProviderRequirementStatus::EventuallyDue => RequirementStatus::EventuallyDue,
    });
    if entry.status != ProviderRequirementStatus::Due {
        // Reported only (the status is not `due`): the versions' deadlines when it lists
        // versions, else the entry's own, as for `due`.
        if entry.tos_versions.is_empty() {
            part.due_items.extend(entry.deadline.map(Some));
        } else {
            part.due_items.extend(
                entry
                    .tos_versions
                    .iter()
                    .filter_map(|version| version.deadline.map(Some)),
            );
        }
    }
    part
}

fn rule_url(definition: Option<&RequirementDef>, version_id: &str) -> Option<String> {
    match &definition?.kind {
        RequirementKind::Acceptance { versions } => versions
            .iter()
            .find(|v| v.id == version_id)
            .map(|v| v.url.clone()),
        _ => None,
    }
}

/// (d) A requirement checked against the snapshot's own data.
/// (d) A field requirement's part, from its check outcome.
fn field_part(definition: &RequirementDef, outcome: FieldOutcome) -> Part {
    match outcome {
        FieldOutcome::Met => Part::met(),
        FieldOutcome::Missing { .. } => Part::due(definition.deadline),
        FieldOutcome::Invalid { code, path } => {
            let mut part = Part::due(definition.deadline);
            part.errors.push(FieldError { code, path });
            part
        }
        FieldOutcome::NotYet { path, valid_from } => {
            let mut part = Part::due(definition.deadline);
            part.errors.push(FieldError {
                code: "date_in_future",
                path,
            });
            // The instant would be the value itself (a date of birth): for a sensitive
            // field it is not a transition, so that it never shows in `nextTransitionAt`.
            if !definition.sensitive {
                part.transitions.push(valid_from);
            }
            part
        }
    }
}

fn local_part(definition: &RequirementDef, snapshot: &Snapshot, at: Timestamp) -> Part {
    match &definition.kind {
        RequirementKind::Field(rule) => {
            field_part(definition, checks::check_field(rule, snapshot, at))
        }
        RequirementKind::Acceptance { versions } => {
            acceptance_part(definition, versions, snapshot, at)
        }
        RequirementKind::Attestation { forms } => {
            let mut part = Part::met();
            for form in forms {
                let mut met = false;
                let mut errors = Vec::new();
                let mut transitions = Vec::new();
                for (idx, attestation) in snapshot.tax_attestations.iter().enumerate() {
                    if attestation.form != *form {
                        continue;
                    }
                    if attestation.accepted_at <= at {
                        met = true;
                    } else {
                        transitions.push(attestation.accepted_at);
                        errors.push(FieldError {
                            code: "accepted_after_at",
                            path: format!("/taxAttestations/{idx}/acceptedAt"),
                        });
                    }
                }
                // A form already met by an earlier attestation has nothing to report and
                // nothing to wait for (as for acceptances).
                if !met {
                    part.errors.extend(errors);
                    part.transitions.extend(transitions);
                    part.tax_forms.push(form.clone());
                    part.due_items.push(definition.deadline);
                }
            }
            if part.tax_forms.is_empty() {
                part.errors.clear();
            } else {
                part.status = Some(RequirementStatus::Due);
            }
            part
        }
    }
}

/// (d) Each version needs an acceptance with its id, a language it offers and an
/// `acceptedAt` not after `at`.
fn acceptance_part(
    definition: &RequirementDef,
    versions: &[TosVersionDef],
    snapshot: &Snapshot,
    at: Timestamp,
) -> Part {
    let mut part = Part::met();
    for version in versions {
        let mut accepted = false;
        let mut errors = Vec::new();
        let mut transitions = Vec::new();
        for (idx, acceptance) in snapshot.tos_acceptances.iter().enumerate() {
            if acceptance.version_id != version.id {
                continue;
            }
            if !version.languages.contains(&acceptance.language) {
                errors.push(FieldError {
                    code: "unsupported_tos_language",
                    path: format!("/tosAcceptances/{idx}/language"),
                });
            } else if acceptance.accepted_at > at {
                errors.push(FieldError {
                    code: "accepted_after_at",
                    path: format!("/tosAcceptances/{idx}/acceptedAt"),
                });
                transitions.push(acceptance.accepted_at);
            } else {
                accepted = true;
            }
        }
        if accepted {
            continue;
        }
        part.errors.extend(errors);
        part.transitions.extend(transitions);
        let deadline = earliest(version.deadline, definition.deadline);
        part.due_items.push(deadline);
        part.tos_versions.push(TosVersion {
            version_id: version.id.clone(),
            languages: version.languages.clone(),
            url: Some(version.url.clone()),
            deadline: version.deadline,
        });
    }
    if !part.tos_versions.is_empty() {
        part.status = Some(RequirementStatus::Due);
    }
    part
}

fn earliest(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// (d, e) Combines the parts of one requirement: the stricter status wins, deadlines turn
/// `due` into `past_due` or a grace period. `None` when every part is met.
fn combine(
    parts: impl IntoIterator<Item = Part>,
    at: Timestamp,
    transitions: &mut Vec<Timestamp>,
) -> Option<Outstanding> {
    // The strictest part wins: (rank, status).
    let mut status: Option<(u8, RequirementStatus)> = None;
    let mut blocking = false;
    let mut deadline: Option<Timestamp> = None;
    let mut tos_versions: Vec<TosVersion> = Vec::new();
    let mut tax_forms: Vec<String> = Vec::new();
    let mut errors: Vec<FieldError> = Vec::new();
    for part in parts {
        let Some(part_status) = part.status else {
            transitions.extend(part.transitions);
            continue;
        };
        let mut effective = part_status;
        let mut part_blocking = true;
        match part_status {
            RequirementStatus::Due => {
                // (e) Past deadline: past_due. Future deadline: grace. None: due now.
                part_blocking = part.due_items.is_empty();
                for item in &part.due_items {
                    match item {
                        None => part_blocking = true,
                        Some(d) if *d <= at => {
                            part_blocking = true;
                            effective = RequirementStatus::PastDue;
                        }
                        Some(d) => transitions.push(*d),
                    }
                }
            }
            RequirementStatus::EventuallyDue => part_blocking = false,
            RequirementStatus::Pending
            | RequirementStatus::Rejected
            | RequirementStatus::PastDue => {}
        }
        blocking |= part_blocking;
        let rank = strictness(effective, part_blocking);
        for item in part.due_items.iter().flatten() {
            deadline = earliest(deadline, Some(*item));
        }
        if status.is_none_or(|(current_rank, _)| rank > current_rank) {
            status = Some((rank, effective));
        }
        // Both lists are kept sorted and unique by inserting in place (a few items each).
        for version in part.tos_versions {
            match tos_versions.binary_search_by(|v| v.version_id.cmp(&version.version_id)) {
                Ok(idx) => {
                    if let Some(existing) = tos_versions.get_mut(idx) {
                        existing.deadline = earliest(existing.deadline, version.deadline);
                        if existing.url.is_none() {
                            existing.url = version.url;
                        }
                    }
                }
                Err(idx) => tos_versions.insert(idx, version),
            }
        }
        for form in part.tax_forms {
            if let Err(idx) = tax_forms.binary_search(&form) {
                tax_forms.insert(idx, form);
            }
        }
        errors.extend(part.errors);
        transitions.extend(part.transitions);
    }
    let (_, status) = status?;
    Some(Outstanding {
        status,
        blocking,
        impact: Vec::new(),
        deadline,
        tos_versions,
        tax_forms,
        errors,
        resolved_by: None,
    })
}

/// How strict a part's status is, for "the stricter status wins": what asks more of the
/// customer ranks higher, and anything blocking ranks above anything that is not.
fn strictness(status: RequirementStatus, blocking: bool) -> u8 {
    match (status, blocking) {
        (RequirementStatus::PastDue, _) => 5,
        (RequirementStatus::Rejected, _) => 4,
        (RequirementStatus::Due, true) => 3,
        (RequirementStatus::Pending, _) => 2,
        (RequirementStatus::Due, false) => 1,
        (RequirementStatus::EventuallyDue, _) => 0,
    }
}

/// [`allows`] for a view: its statuses, and the operation's context in its snapshot.
pub(crate) fn view_allows(view: &View<'_>, operation: &str) -> Result<bool, CheckError> {
    operation_allowed(view.compiled, operation, view.snapshot, view.at, |idx| {
        Some(view.status(idx))
    })
}

pub(crate) fn allows(
    rules: &RuleSet,
    evaluation: &Evaluation,
    snapshot: &Snapshot,
    operation: &str,
) -> Result<bool, CheckError> {
    let compiled = &*rules.inner;
    operation_allowed(compiled, operation, snapshot, evaluation.at, |idx| {
        let capability = compiled.capabilities.get(idx)?;
        evaluation
            .capabilities
            .get(&capability.name)
            .map(|c| c.status)
    })
}

/// `check`'s `allowed`, from each capability's status (by index): every capability of the
/// operation active, and its request context met in the snapshot.
fn operation_allowed(
    compiled: &Compiled,
    operation: &str,
    snapshot: &Snapshot,
    at: Timestamp,
    status: impl Fn(usize) -> Option<CapabilityStatus>,
) -> Result<bool, CheckError> {
    let Some(definition) = compiled.operations.get(operation) else {
        return Err(CheckError::unknown_operation(operation));
    };
    let authorized = definition
        .capabilities
        .iter()
        .all(|&idx| status(idx) == Some(CapabilityStatus::Active));
    Ok(authorized
        && definition.context.iter().all(|&idx| {
            compiled.context.get(idx).is_some_and(|context| {
                checks::check_field(&context.field, snapshot, at) == FieldOutcome::Met
            })
        }))
}

pub(crate) fn check(
    rules: &RuleSet,
    snapshot: &Snapshot,
    operation: &str,
    at: Timestamp,
) -> Result<Decision, CheckError> {
    let compiled = &*rules.inner;
    let Some(definition) = compiled.operations.get(operation) else {
        return Err(CheckError::unknown_operation(operation));
    };
    let evaluation = evaluate(rules, snapshot, at);
    let needed: Vec<&str> = definition
        .capabilities
        .iter()
        .filter_map(|&idx| compiled.capabilities.get(idx).map(|c| c.name.as_str()))
        .collect();
    let unauthorized_capabilities: Vec<String> = needed
        .iter()
        .filter(|name| {
            evaluation.capabilities.get(**name).map(|c| c.status) != Some(CapabilityStatus::Active)
        })
        .map(|name| (*name).to_owned())
        .collect();
    let mut invalid_context = Vec::new();
    for &idx in &definition.context {
        let Some(context) = compiled.context.get(idx) else {
            continue;
        };
        let problem = match checks::check_field(&context.field, snapshot, at) {
            FieldOutcome::Met => None,
            FieldOutcome::Missing { path } => Some(("missing", path)),
            FieldOutcome::Invalid { code, path } => Some((code, path)),
            FieldOutcome::NotYet { path, .. } => Some(("date_in_future", path)),
        };
        if let Some((code, path)) = problem {
            invalid_context.push(ContextProblem {
                field: context.key.clone(),
                code,
                path,
            });
        }
    }
    // What would unlock it: requirements of the operation's capabilities, as if the
    // unrequested ones had been requested.
    let any_unrequested = definition.capabilities.iter().any(|&idx| {
        compiled.capabilities.get(idx).is_some_and(|c| {
            evaluation.capabilities.get(&c.name).map(|s| s.status)
                == Some(CapabilityStatus::Unrequested)
        })
    });
    let what_if = if any_unrequested {
        evaluate_assuming(rules, snapshot, at, &definition.capabilities).requirements
    } else {
        evaluation.requirements
    };
    let requirements = what_if;
    // Rebuilt rather than `retain`ed: B-tree removal costs code in the WASM build.
    let requirements: BTreeMap<String, Outstanding> = requirements
        .into_iter()
        .filter(|(_, r)| r.impact.iter().any(|name| needed.contains(&name.as_str())))
        .fold(BTreeMap::new(), |mut map, (key, value)| {
            map.insert(key, value);
            map
        });
    let (error_type, error_message) = if !unauthorized_capabilities.is_empty() {
        let message = format!(
            "customer is not authorized for `{operation}`: {} not active",
            unauthorized_capabilities
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        (Some(DenialType::CustomerNotAuthorized), Some(message))
    } else if !invalid_context.is_empty() {
        let message = format!(
            "`{operation}` needs request context: {}",
            invalid_context
                .iter()
                .map(|c| format!("`{}` ({})", c.field, c.code))
                .collect::<Vec<_>>()
                .join(", ")
        );
        (Some(DenialType::InvalidRequest), Some(message))
    } else {
        (None, None)
    };
    Ok(Decision {
        operation: operation.to_owned(),
        allowed: error_type.is_none(),
        error_type,
        error_message,
        unauthorized_capabilities,
        invalid_context,
        requirements,
        at,
        ruleset: evaluation.ruleset,
    })
}
