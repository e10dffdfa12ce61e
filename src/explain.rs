//! Explanations and unlock plans: why a capability or operation is (not) available, as a
//! tree from the target down to each check and the snapshot path it read, and the smallest
//! ordered list of steps that would make it available as far as the rules can tell.

use std::collections::BTreeMap;

use crate::checks::{self, CheckVerdict};
use crate::error::CheckError;
use crate::evaluation::{CapabilityStatus, Evaluation, Outstanding, RulesetStamp, TosVersion};
use crate::ruleset::{Compiled, FieldRule, RequirementKind, Resolver, RuleSet, VerifiedBy};
use crate::snapshot::{ProviderCapabilityStatus, Snapshot};
use crate::time::Timestamp;

/// What to explain: a capability or an operation, by name.
///
/// # Example
///
/// ```
/// let target = capgate::Target::Operation("createCustomerAccount");
/// assert_eq!(target.name(), "createCustomerAccount");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target<'a> {
    /// A capability (`tradeCrypto`).
    Capability(&'a str),
    /// An operation (`createCustomerAccount`).
    Operation(&'a str),
}

impl Target<'_> {
    /// The capability or operation name.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(capgate::Target::Capability("tradeCrypto").name(), "tradeCrypto");
    /// ```
    pub fn name(&self) -> &str {
        match self {
            Target::Capability(name) | Target::Operation(name) => name,
        }
    }
}

/// The result of [`RuleSet::explain`].
///
/// # Example
///
/// ```
/// # use capgate::{RuleSet, Snapshot, Target, Timestamp, NodeState};
/// let snapshot = Snapshot::from_json(r#"{"capabilities": {"tradeCrypto": {"requested": true}}, "individual": {"fullSsn": "123456789"}}"#)?;
/// let explanation = RuleSet::builtin().explain(&snapshot, Target::Capability("tradeCrypto"), Timestamp::parse("2026-11-22T00:00:00Z")?)?;
/// assert_eq!(explanation.tree.state, NodeState::Unmet);
/// let ssn = explanation.tree.children.iter().find(|n| n.name == "fullSsn").unwrap();
/// assert_eq!((ssn.state, ssn.code.as_deref()), (NodeState::Unmet, Some("invalid_format")));
/// assert!(explanation.plan.available);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// The tree, rooted at the target.
    pub tree: Node,
    /// What would make the target available.
    pub plan: UnlockPlan,
    /// The evaluation time.
    pub at: Timestamp,
    /// Which rules produced this result.
    pub ruleset: RulesetStamp,
}

/// One node of an explanation tree.
///
/// # Example
///
/// ```
/// # use capgate::{RuleSet, Snapshot, Target, Timestamp, NodeKind};
/// let snapshot = Snapshot::from_json("{}")?;
/// let explanation = RuleSet::builtin().explain(&snapshot, Target::Operation("createFiatDepositDestination"), Timestamp::parse("2026-11-22T00:00:00Z")?)?;
/// assert_eq!(explanation.tree.kind, NodeKind::Operation);
/// let kinds: Vec<NodeKind> = explanation.tree.children.iter().map(|n| n.kind).collect();
/// assert_eq!(kinds, [NodeKind::Capability, NodeKind::Context]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// What the node stands for.
    pub kind: NodeKind,
    /// The capability, requirement, check kind, version or form it names.
    pub name: String,
    /// Met, unmet or unknown (missing data).
    pub state: NodeState,
    /// A machine-readable reason: the unmet status or error code (`due`, `rejected`,
    /// `invalid_format`, `unrequested`, `inactive`, `awaiting_provider`, ...), or why a met node
    /// is met without data (`verified_by_provider`, `grace_period`).
    pub code: Option<String>,
    /// The JSON pointer the node read, for checks and field requirements.
    pub path: Option<String>,
    /// Who can resolve it.
    pub resolved_by: Option<Resolver>,
    /// Sub-nodes, in order.
    pub children: Vec<Node>,
}

/// What an explanation node stands for.
///
/// # Example
///
/// ```
/// assert_eq!(capgate::NodeKind::Requirement.as_str(), "requirement");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// An operation: all its capabilities and context requirements.
    Operation,
    /// A capability.
    Capability,
    /// Whether the capability was requested.
    Request,
    /// The provider's activation of a capability.
    Activation,
    /// A requirement.
    Requirement,
    /// One check of a field requirement.
    Check,
    /// One Terms of Service version of an acceptance requirement.
    Version,
    /// One form of an attestation requirement.
    Form,
    /// An either/or set: met when any one alternative is.
    AnyOf,
    /// One alternative of an either/or set: met when all its requirements are.
    Alternative,
    /// A request-context requirement of an operation.
    Context,
}

impl NodeKind {
    /// The wire name (`operation`, `capability`, `request`, `activation`, `requirement`,
    /// `check`, `version`, `form`, `any_of`, `alternative`, `context`).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(capgate::NodeKind::Activation.as_str(), "activation");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Operation => "operation",
            NodeKind::Capability => "capability",
            NodeKind::Request => "request",
            NodeKind::Activation => "activation",
            NodeKind::Requirement => "requirement",
            NodeKind::Check => "check",
            NodeKind::Version => "version",
            NodeKind::Form => "form",
            NodeKind::AnyOf => "any_of",
            NodeKind::Alternative => "alternative",
            NodeKind::Context => "context",
        }
    }
}

/// The state of an explanation node.
///
/// # Example
///
/// ```
/// assert_eq!(capgate::NodeState::Unknown.as_str(), "unknown");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeState {
    /// Satisfied (or not blocking, like a requirement in its grace period).
    Met,
    /// Not satisfied; `code` says why.
    Unmet,
    /// The data is missing.
    Unknown,
}

impl NodeState {
    /// The wire name (`met`, `unmet`, `unknown`).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(capgate::NodeState::Met.as_str(), "met");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            NodeState::Met => "met",
            NodeState::Unmet => "unmet",
            NodeState::Unknown => "unknown",
        }
    }
}

/// The smallest ordered list of steps that would make the target available as far as the
/// rules can tell, and what then remains with the provider.
///
/// # Example
///
/// ```
/// # use capgate::{RuleSet, Snapshot, Target, Timestamp, StepAction};
/// let snapshot = Snapshot::from_json(r#"{"capabilities": {"custodyFiat": {"requested": true, "status": "inactive"}}}"#)?;
/// let plan = RuleSet::builtin().explain(&snapshot, Target::Capability("custodyFiat"), Timestamp::parse("2026-11-22T00:00:00Z")?)?.plan;
/// assert!(!plan.available);
/// assert!(plan.steps.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnlockPlan {
    /// `false` when no resolution is available (a capability is inactive); the reason is
    /// never exposed.
    pub available: bool,
    /// The steps, in order: request capabilities, provide or correct fields, accept the
    /// Terms of Service, sign attestations, supply request context.
    pub steps: Vec<Step>,
    /// Capabilities that then still await the provider's activation (verification).
    pub awaiting_verification: Vec<String>,
    /// Requirements the provider is verifying (`pending`): nothing to do but wait.
    pub pending_requirements: Vec<String>,
}

/// One step of an unlock plan.
///
/// # Example
///
/// ```
/// # use capgate::{RuleSet, Snapshot, Target, Timestamp, StepAction};
/// let snapshot = Snapshot::from_json("{}")?;
/// let plan = RuleSet::builtin().explain(&snapshot, Target::Capability("transferFiat"), Timestamp::parse("2026-11-22T00:00:00Z")?)?.plan;
/// assert_eq!(plan.steps[0].action, StepAction::RequestCapability);
/// assert!(plan.steps.iter().any(|s| s.action == StepAction::SignAttestation && s.tax_forms == ["us_w9"]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// What to do.
    pub action: StepAction,
    /// The capability to request, or the requirement or context key to satisfy.
    pub key: String,
    /// Where the value goes in the snapshot (JSON pointers), for fields and context.
    pub paths: Vec<String>,
    /// Why the current value does not do, for `Correct` and `Resubmit`.
    pub code: Option<String>,
    /// Who acts.
    pub resolved_by: Resolver,
    /// For `AcceptTos`: the versions to accept.
    pub tos_versions: Vec<TosVersion>,
    /// For `SignAttestation`: the forms to sign.
    pub tax_forms: Vec<String>,
}

/// The action of an unlock-plan step.
///
/// # Example
///
/// ```
/// assert_eq!(capgate::StepAction::AcceptTos.as_str(), "accept_tos");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum StepAction {
    /// Request the capability.
    RequestCapability,
    /// Provide a missing value.
    Provide,
    /// Correct an invalid value.
    Correct,
    /// Submit again a value the provider rejected.
    Resubmit,
    /// Accept Terms of Service versions.
    AcceptTos,
    /// Sign attestations (tax forms).
    SignAttestation,
    /// Supply request context with the operation (`requesterIpAddress`).
    ProvideContext,
}

impl StepAction {
    /// The wire name (`request_capability`, `provide`, `correct`, `resubmit`, `accept_tos`,
    /// `sign_attestation`, `provide_context`).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(capgate::StepAction::ProvideContext.as_str(), "provide_context");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            StepAction::RequestCapability => "request_capability",
            StepAction::Provide => "provide",
            StepAction::Correct => "correct",
            StepAction::Resubmit => "resubmit",
            StepAction::AcceptTos => "accept_tos",
            StepAction::SignAttestation => "sign_attestation",
            StepAction::ProvideContext => "provide_context",
        }
    }
}

pub(crate) fn explain(
    rules: &RuleSet,
    snapshot: &Snapshot,
    target: Target<'_>,
    at: Timestamp,
) -> Result<Explanation, CheckError> {
    let compiled = &*rules.inner;
    let (capabilities, context): (Vec<usize>, Vec<usize>) = match target {
        Target::Capability(name) => match compiled.capability_idx(name) {
            Some(idx) => (vec![idx], Vec::new()),
            None => return Err(CheckError::unknown_capability(name)),
        },
        Target::Operation(name) => match compiled.operations.get(name) {
            Some(operation) => (operation.capabilities.clone(), operation.context.clone()),
            None => return Err(CheckError::unknown_operation(name)),
        },
    };
    // Everything the target needs, dependencies included, evaluated as if requested.
    let mut closure = Vec::new();
    for &idx in &capabilities {
        add_with_dependencies(compiled, idx, &mut closure);
    }
    closure.sort_unstable();
    let real = crate::eval::evaluate(rules, snapshot, at);
    let (what_if, unchosen) = crate::eval::evaluate_with_unchosen(rules, snapshot, at, &closure);
    let builder = Builder {
        compiled,
        snapshot,
        at,
        real: &real,
        what_if: &what_if,
        unchosen: &unchosen,
    };

    let mut children: Vec<Node> = capabilities
        .iter()
        .map(|&idx| builder.capability(idx))
        .collect();
    let mut context_problems = Vec::new();
    for &idx in &context {
        if let Some(definition) = compiled.context.get(idx) {
            let node = builder.field_node(
                NodeKind::Context,
                &definition.key,
                &definition.field,
                Some(Resolver::Platform),
            );
            if node.state != NodeState::Met {
                context_problems.push((
                    definition.key.clone(),
                    node.path.clone().unwrap_or_default(),
                    node.code.clone(),
                ));
            }
            children.push(node);
        }
    }
    let tree = match target {
        Target::Capability(_) => children
            .into_iter()
            .next()
            .unwrap_or_else(|| Builder::missing_capability(target.name())),
        Target::Operation(name) => {
            let state = if children.iter().all(|n| n.state == NodeState::Met) {
                NodeState::Met
            } else {
                NodeState::Unmet
            };
            Node {
                kind: NodeKind::Operation,
                name: name.to_owned(),
                state,
                code: (state == NodeState::Unmet).then(|| "not_allowed".to_owned()),
                path: None,
                resolved_by: None,
                children,
            }
        }
    };
    let plan = builder.plan(&closure, context_problems);
    Ok(Explanation {
        tree,
        plan,
        at,
        ruleset: real.ruleset.clone(),
    })
}

fn add_with_dependencies(compiled: &Compiled, idx: usize, out: &mut Vec<usize>) {
    if out.contains(&idx) {
        return;
    }
    out.push(idx);
    if let Some(capability) = compiled.capabilities.get(idx) {
        for &dependency in &capability.depends_on {
            add_with_dependencies(compiled, dependency, out);
        }
    }
}

struct Builder<'a> {
    compiled: &'a Compiled,
    snapshot: &'a Snapshot,
    at: Timestamp,
    real: &'a Evaluation,
    what_if: &'a Evaluation,
    /// Outstanding members of either/or alternatives that were not chosen.
    unchosen: &'a BTreeMap<String, Outstanding>,
}

impl Builder<'_> {
    fn capability(&self, idx: usize) -> Node {
        let Some(definition) = self.compiled.capabilities.get(idx) else {
            return Builder::missing_capability("");
        };
        let name = &definition.name;
        let status = self.real.capabilities.get(name).map(|c| c.status);
        let entry = self.snapshot.capabilities.get(name);
        if status == Some(CapabilityStatus::Inactive) {
            // Terminal: no requirement applies, and no reason is exposed.
            return Node {
                kind: NodeKind::Capability,
                name: name.clone(),
                state: NodeState::Unmet,
                code: Some("inactive".to_owned()),
                path: None,
                resolved_by: Some(Resolver::Provider),
                children: Vec::new(),
            };
        }
        let requested = entry.is_some_and(|e| e.requested);
        let mut children = vec![Node {
            kind: NodeKind::Request,
            name: name.clone(),
            state: if requested {
                NodeState::Met
            } else {
                NodeState::Unmet
            },
            code: (!requested).then(|| "unrequested".to_owned()),
            path: Some(format!("/capabilities/{name}/requested")),
            resolved_by: Some(Resolver::Platform),
            children: Vec::new(),
        }];
        for &dependency in &definition.depends_on {
            children.push(self.capability(dependency));
        }
        for &requirement_idx in &definition.requirements {
            if let Some(requirement) = self.compiled.requirements.get(requirement_idx) {
                children.push(self.requirement(&requirement.key, Some(requirement_idx)));
            }
        }
        for any_of in &definition.any_of {
            let alternatives: Vec<Node> = any_of
                .alternatives
                .iter()
                .enumerate()
                .map(|(number, members)| {
                    let children: Vec<Node> = members
                        .iter()
                        .filter_map(|&r| {
                            self.compiled
                                .requirements
                                .get(r)
                                .map(|d| self.requirement(&d.key, Some(r)))
                        })
                        .collect();
                    let met = children.iter().all(|n| n.state == NodeState::Met);
                    Node {
                        kind: NodeKind::Alternative,
                        name: (number + 1).to_string(),
                        state: if met {
                            NodeState::Met
                        } else {
                            NodeState::Unmet
                        },
                        code: None,
                        path: None,
                        resolved_by: None,
                        children,
                    }
                })
                .collect();
            let met = alternatives.iter().any(|n| n.state == NodeState::Met);
            children.push(Node {
                kind: NodeKind::AnyOf,
                name: any_of.group.clone(),
                state: if met {
                    NodeState::Met
                } else {
                    NodeState::Unmet
                },
                code: (!met).then(|| "no_alternative_met".to_owned()),
                path: None,
                resolved_by: None,
                children: alternatives,
            });
        }
        // Requirements the provider ties to this capability that the rules do not.
        for (key, outstanding) in &self.what_if.requirements {
            let ruled = self.compiled.requirement_idx(key).is_some_and(|r| {
                definition.requirements.contains(&r)
                    || definition
                        .any_of
                        .iter()
                        .any(|a| a.alternatives.iter().flatten().any(|m| *m == r))
            });
            if !ruled && outstanding.impact.iter().any(|c| c == name) {
                children.push(self.requirement(key, self.compiled.requirement_idx(key)));
            }
        }
        let provider_active =
            entry.and_then(|e| e.status) == Some(ProviderCapabilityStatus::Active);
        children.push(Node {
            kind: NodeKind::Activation,
            name: name.clone(),
            state: if provider_active {
                NodeState::Met
            } else {
                NodeState::Unmet
            },
            code: (!provider_active).then(|| "awaiting_provider".to_owned()),
            path: Some(format!("/capabilities/{name}/status")),
            resolved_by: Some(Resolver::Provider),
            children: Vec::new(),
        });
        let active = status == Some(CapabilityStatus::Active);
        Node {
            kind: NodeKind::Capability,
            name: name.clone(),
            state: if active {
                NodeState::Met
            } else {
                NodeState::Unmet
            },
            code: status
                .filter(|s| *s != CapabilityStatus::Active)
                .map(|s| s.as_str().to_owned()),
            path: None,
            resolved_by: None,
            children,
        }
    }

    fn missing_capability(name: &str) -> Node {
        Node {
            kind: NodeKind::Capability,
            name: name.to_owned(),
            state: NodeState::Unmet,
            code: Some("unknown_capability".to_owned()),
            path: None,
            resolved_by: None,
            children: Vec::new(),
        }
    }

    fn requirement(&self, key: &str, definition_idx: Option<usize>) -> Node {
        let definition = definition_idx.and_then(|idx| self.compiled.requirements.get(idx));
        let outstanding = self
            .what_if
            .requirements
            .get(key)
            .or_else(|| self.unchosen.get(key));
        let listed_by_provider = self
            .snapshot
            .requirements
            .as_ref()
            .is_some_and(|map| map.contains_key(key));
        if let Some(definition) = definition {
            if !listed_by_provider && !crate::eval::conditions_hold(&definition.when, self.snapshot)
            {
                return Node {
                    kind: NodeKind::Requirement,
                    name: key.to_owned(),
                    state: NodeState::Met,
                    code: Some("not_applicable".to_owned()),
                    path: None,
                    resolved_by: Some(definition.resolved_by),
                    children: Vec::new(),
                };
            }
        }
        let listed = self
            .snapshot
            .requirements
            .as_ref()
            .is_some_and(|map| map.contains_key(key));
        let resolved_by = definition.map(|d| d.resolved_by);
        let mut node = Node {
            kind: NodeKind::Requirement,
            name: key.to_owned(),
            state: NodeState::Met,
            code: None,
            path: None,
            resolved_by,
            children: Vec::new(),
        };
        // The snapshot's own data, where the rules check it.
        let checked_locally = definition.is_some_and(|d| {
            matches!(d.kind, RequirementKind::Acceptance { .. })
                || d.verified_by == VerifiedBy::Platform
                || self.snapshot.requirements.is_none()
        });
        if let (Some(definition), true) = (definition, checked_locally) {
            match &definition.kind {
                RequirementKind::Field(rule) => {
                    let field = self.field_node(NodeKind::Requirement, key, rule, resolved_by);
                    node.path = field.path;
                    node.children = field.children;
                    node.state = field.state;
                    node.code = field.code;
                }
                RequirementKind::Acceptance { versions } => {
                    for version in versions {
                        let unaccepted = outstanding.is_some_and(|o| {
                            o.tos_versions.iter().any(|v| v.version_id == version.id)
                        });
                        node.children.push(Node {
                            kind: NodeKind::Version,
                            name: version.id.clone(),
                            state: if unaccepted {
                                NodeState::Unknown
                            } else {
                                NodeState::Met
                            },
                            code: unaccepted.then(|| "not_accepted".to_owned()),
                            path: Some("/tosAcceptances".to_owned()),
                            resolved_by,
                            children: Vec::new(),
                        });
                    }
                }
                RequirementKind::Attestation { forms } => {
                    for form in forms {
                        let unsigned = outstanding.is_some_and(|o| o.tax_forms.contains(form));
                        node.children.push(Node {
                            kind: NodeKind::Form,
                            name: form.clone(),
                            state: if unsigned {
                                NodeState::Unknown
                            } else {
                                NodeState::Met
                            },
                            code: unsigned.then(|| "not_signed".to_owned()),
                            path: Some("/taxAttestations".to_owned()),
                            resolved_by,
                            children: Vec::new(),
                        });
                    }
                }
            }
        } else if outstanding.is_none() && self.snapshot.requirements.is_some() {
            node.code = Some("verified_by_provider".to_owned());
        }
        // The combined status (the provider's, deadlines) decides the requirement node.
        match outstanding {
            None => {
                // Not outstanding: met, whatever its checks say (an optional field, say).
                node.state = NodeState::Met;
                if !matches!(
                    node.code.as_deref(),
                    Some("verified_by_provider" | "optional")
                ) {
                    node.code = None;
                }
            }
            Some(outstanding) if !outstanding.blocking => {
                node.state = NodeState::Met;
                node.code = Some("grace_period".to_owned());
            }
            Some(outstanding) => {
                let own_error = outstanding.errors.first().map(|e| e.code.to_owned());
                if listed {
                    node.state = NodeState::Unmet;
                    node.code = Some(outstanding.status.as_str().to_owned());
                } else if let Some(code) = own_error {
                    node.state = NodeState::Unmet;
                    node.code = Some(code);
                } else {
                    node.state = NodeState::Unknown;
                    node.code = Some(outstanding.status.as_str().to_owned());
                }
            }
        }
        node
    }

    /// A field (requirement or context) with one child per check.
    fn field_node(
        &self,
        kind: NodeKind,
        key: &str,
        rule: &FieldRule,
        resolved_by: Option<Resolver>,
    ) -> Node {
        let (path, verdicts) = checks::each_check(rule, self.snapshot, self.at);
        let mut node = Node {
            kind,
            name: key.to_owned(),
            state: NodeState::Met,
            code: None,
            path: Some(path.clone()),
            resolved_by,
            children: Vec::new(),
        };
        match verdicts {
            None if rule.optional => node.code = Some("optional".to_owned()),
            None => {
                node.state = NodeState::Unknown;
                node.code = Some("missing".to_owned());
                for check in &rule.checks {
                    node.children
                        .push(check_node(check.kind(), NodeState::Unknown, None, &path));
                }
            }
            Some(verdicts) => {
                for (check_kind, verdict) in verdicts {
                    let (state, code) = match verdict {
                        CheckVerdict::Pass => (NodeState::Met, None),
                        CheckVerdict::Fail(code) => (NodeState::Unmet, Some(code)),
                        CheckVerdict::NotYet => (NodeState::Unmet, Some("date_in_future")),
                    };
                    if state == NodeState::Unmet && node.state == NodeState::Met {
                        node.state = NodeState::Unmet;
                        node.code = code.map(str::to_owned);
                    }
                    node.children
                        .push(check_node(check_kind, state, code, &path));
                }
            }
        }
        node
    }

    fn plan(
        &self,
        closure: &[usize],
        context_problems: Vec<(String, String, Option<String>)>,
    ) -> UnlockPlan {
        let names: Vec<&str> = closure
            .iter()
            .filter_map(|&idx| self.compiled.capabilities.get(idx).map(|c| c.name.as_str()))
            .collect();
        let inactive = names.iter().any(|name| {
            self.real.capabilities.get(*name).map(|c| c.status) == Some(CapabilityStatus::Inactive)
        });
        if inactive {
            return UnlockPlan {
                available: false,
                steps: Vec::new(),
                awaiting_verification: Vec::new(),
                pending_requirements: Vec::new(),
            };
        }
        let mut steps = Vec::new();
        for name in &names {
            if self.real.capabilities.get(*name).map(|c| c.status)
                == Some(CapabilityStatus::Unrequested)
            {
                steps.push(step(
                    StepAction::RequestCapability,
                    name,
                    Resolver::Platform,
                ));
            }
        }
        let mut pending_requirements = Vec::new();
        for (key, outstanding) in &self.what_if.requirements {
            let relevant = outstanding.blocking
                && outstanding
                    .impact
                    .iter()
                    .any(|c| names.contains(&c.as_str()));
            if !relevant {
                continue;
            }
            if let Some(step) = self.requirement_step(key, outstanding) {
                steps.push(step);
            } else {
                pending_requirements.push(key.clone());
            }
        }
        for (key, path, code) in context_problems {
            let mut context_step = step(StepAction::ProvideContext, &key, Resolver::Platform);
            context_step.paths = vec![path];
            context_step.code = code.filter(|c| c != "missing");
            steps.push(context_step);
        }
        // Request first, then fields, ToS, attestations, context; by key within each.
        steps.sort_by(|a, b| (step_rank(a.action), &a.key).cmp(&(step_rank(b.action), &b.key)));
        let awaiting_verification = names
            .iter()
            .filter(|name| {
                self.snapshot
                    .capabilities
                    .get(**name)
                    .and_then(|e| e.status)
                    != Some(ProviderCapabilityStatus::Active)
            })
            .map(|name| (*name).to_owned())
            .collect();
        UnlockPlan {
            available: true,
            steps,
            awaiting_verification,
            pending_requirements,
        }
    }

    /// The step that resolves an outstanding requirement; `None` when only the provider can
    /// (it is verifying it).
    fn requirement_step(&self, key: &str, outstanding: &Outstanding) -> Option<Step> {
        let definition = self
            .compiled
            .requirement_idx(key)
            .and_then(|idx| self.compiled.requirements.get(idx));
        let resolved_by = definition.map_or(Resolver::Customer, |d| d.resolved_by);
        if outstanding.status == crate::evaluation::RequirementStatus::Pending
            && outstanding.errors.is_empty()
        {
            return None;
        }
        let mut result = match definition.map(|d| &d.kind) {
            Some(RequirementKind::Acceptance { .. }) => {
                let mut result = step(StepAction::AcceptTos, key, resolved_by);
                result.tos_versions.clone_from(&outstanding.tos_versions);
                result.paths = vec!["/tosAcceptances".to_owned()];
                result
            }
            Some(RequirementKind::Attestation { .. }) => {
                let mut result = step(StepAction::SignAttestation, key, resolved_by);
                result.tax_forms.clone_from(&outstanding.tax_forms);
                result.paths = vec!["/taxAttestations".to_owned()];
                result
            }
            Some(RequirementKind::Field(rule)) => {
                let mut result = step(StepAction::Provide, key, resolved_by);
                result.paths = rule
                    .paths
                    .iter()
                    .take(1)
                    .map(|p| checks::pointer(p))
                    .collect();
                result
            }
            None => step(StepAction::Provide, key, resolved_by),
        };
        if outstanding.status == crate::evaluation::RequirementStatus::Rejected {
            result.action = match result.action {
                StepAction::Provide => StepAction::Resubmit,
                other => other,
            };
            result.code = Some("rejected".to_owned());
        } else if let Some(error) = outstanding.errors.first() {
            if result.action == StepAction::Provide {
                result.action = StepAction::Correct;
            }
            result.code = Some(error.code.to_owned());
        }
        Some(result)
    }
}

fn step(action: StepAction, key: &str, resolved_by: Resolver) -> Step {
    Step {
        action,
        key: key.to_owned(),
        paths: Vec::new(),
        code: None,
        resolved_by,
        tos_versions: Vec::new(),
        tax_forms: Vec::new(),
    }
}

fn step_rank(action: StepAction) -> u8 {
    match action {
        StepAction::RequestCapability => 0,
        StepAction::Provide | StepAction::Correct | StepAction::Resubmit => 1,
        StepAction::AcceptTos => 2,
        StepAction::SignAttestation => 3,
        StepAction::ProvideContext => 4,
    }
}

fn check_node(
    kind: &'static str,
    state: NodeState,
    code: Option<&'static str>,
    path: &str,
) -> Node {
    Node {
        kind: NodeKind::Check,
        name: kind.to_owned(),
        state,
        code: code.map(str::to_owned),
        path: Some(path.to_owned()),
        resolved_by: None,
        children: Vec::new(),
    }
}
