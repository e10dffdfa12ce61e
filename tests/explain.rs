//! Explanations and unlock plans: corpus snapshots, semantics, and the property that the plan,
//! applied to a draft, leaves nothing outstanding for the target.

use capgate::{NodeKind, NodeState, RuleSet, Snapshot, StepAction, Target, Timestamp, UnlockPlan};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use serde_json::{Value, json};

const AT: &str = "2026-11-22T12:00:00Z";

use crate::corpus::read;

/// Explains `target` for `snapshot` at `AT` with the default rules.
#[track_caller]
fn explain(snapshot: &Value, target: Target<'_>) -> capgate::Explanation {
    let snapshot = Snapshot::from_json(&snapshot.to_string()).unwrap();
    RuleSet::builtin()
        .explain(&snapshot, target, Timestamp::parse(AT).unwrap())
        .unwrap()
}

#[test]
fn explain_corpus() {
    let rules = RuleSet::builtin();
    insta::glob!("corpus/eval/*.json", |path| {
        let case: Value = serde_json::from_str(&read(path)).unwrap();
        let at = Timestamp::parse(case["at"].as_str().unwrap()).unwrap();
        let snapshot = Snapshot::from_json(&case["snapshot"].to_string()).unwrap();
        let explanation = rules
            .explain(&snapshot, Target::Operation("placeCryptoTrade"), at)
            .unwrap();
        // The verdict agrees with `check`.
        let decision = rules.check(&snapshot, "placeCryptoTrade", at).unwrap();
        assert_eq!(explanation.tree.state == NodeState::Met, decision.allowed);
        insta::with_settings!({ omit_expression => true }, {
            insta::assert_snapshot!(capgate::wire::explanation_to_json(&explanation));
        });
    });
}

#[test]
fn the_tree_goes_down_to_each_check_and_path() {
    let explanation = explain(
        &json!({"capabilities": {"tradeCrypto": {"requested": true}}, "individual": {"email": "a b", "firstName": "Jane"}}),
        Target::Capability("tradeCrypto"),
    );
    let email = explanation
        .tree
        .children
        .iter()
        .find(|n| n.name == "email")
        .unwrap();
    assert_eq!(
        (email.state, email.code.as_deref()),
        (NodeState::Unmet, Some("invalid_format"))
    );
    let checks: Vec<(&str, NodeState)> = email
        .children
        .iter()
        .map(|c| (c.name.as_str(), c.state))
        .collect();
    assert_eq!(
        checks,
        [("length", NodeState::Met), ("pattern", NodeState::Unmet)]
    );
    assert_eq!(email.children[1].path.as_deref(), Some("/individual/email"));
    let first_name = explanation
        .tree
        .children
        .iter()
        .find(|n| n.name == "firstName")
        .unwrap();
    assert_eq!(first_name.state, NodeState::Met);
    let ssn = explanation
        .tree
        .children
        .iter()
        .find(|n| n.name == "fullSsn")
        .unwrap();
    assert_eq!(
        (ssn.state, ssn.code.as_deref()),
        (NodeState::Unknown, Some("due"))
    );
    let activation = explanation.tree.children.last().unwrap();
    assert_eq!(
        (activation.kind, activation.code.as_deref()),
        (NodeKind::Activation, Some("awaiting_provider"))
    );
}

#[test]
fn provider_snapshots_explain_with_the_providers_verdicts() {
    let explanation = explain(
        &json!({
            "capabilities": {"custodyCrypto": {"requested": true, "status": "pending"}},
            "requirements": {"fullSsn": {"status": "rejected", "impact": ["custodyCrypto"]}, "dateOfBirth": {"status": "pending"}},
            "tosAcceptances": [{"versionId": "us_individual_2026-05-29", "language": "en", "acceptedAt": "2026-06-01T00:00:00Z"}]
        }),
        Target::Capability("custodyCrypto"),
    );
    let node = |name: &str| {
        explanation
            .tree
            .children
            .iter()
            .find(|n| n.name == name)
            .unwrap()
    };
    assert_eq!(node("fullSsn").code.as_deref(), Some("rejected"));
    assert_eq!(
        node("firstName").code.as_deref(),
        Some("verified_by_provider")
    );
    assert_eq!(node("firstName").state, NodeState::Met);
    let plan = &explanation.plan;
    let steps: Vec<(StepAction, &str)> = plan
        .steps
        .iter()
        .map(|s| (s.action, s.key.as_str()))
        .collect();
    assert_eq!(steps, [(StepAction::Resubmit, "fullSsn")]);
    assert_eq!(plan.pending_requirements, ["dateOfBirth"]);
    assert_eq!(plan.awaiting_verification, ["custodyCrypto"]);
}

#[test]
fn inactive_means_no_resolution_and_no_reason() {
    let explanation = explain(
        &json!({"capabilities": {"custodyFiat": {"requested": true, "status": "inactive"}, "custodyCrypto": {"requested": true, "status": "active"}}, "requirements": {}}),
        Target::Operation("createCustomerAccount"),
    );
    assert_eq!(
        explanation.plan,
        UnlockPlan {
            available: false,
            steps: vec![],
            awaiting_verification: vec![],
            pending_requirements: vec![]
        }
    );
    let fiat = explanation
        .tree
        .children
        .iter()
        .find(|n| n.name == "custodyFiat")
        .unwrap();
    assert_eq!(
        (fiat.code.as_deref(), fiat.children.len()),
        (Some("inactive"), 0)
    );
}

#[test]
fn operations_add_their_request_context() {
    let explanation = explain(
        &json!({"compliance": {"requesterIpAddress": "999.1.1.1"}}),
        Target::Operation("createFiatDepositDestination"),
    );
    let last = explanation.plan.steps.last().unwrap();
    assert_eq!(
        (last.action, last.key.as_str(), last.code.as_deref()),
        (
            StepAction::ProvideContext,
            "requesterIpAddress",
            Some("invalid_ip_address")
        )
    );
    assert_eq!(
        explanation.plan.steps[0].action,
        StepAction::RequestCapability
    );
    let context = explanation
        .tree
        .children
        .iter()
        .find(|n| n.kind == NodeKind::Context)
        .unwrap();
    assert_eq!(context.state, NodeState::Unmet);
}

#[test]
fn unknown_targets_are_errors() {
    let snapshot = Snapshot::from_json("{}").unwrap();
    let at = Timestamp::parse(AT).unwrap();
    let rules = RuleSet::builtin();
    assert_eq!(
        rules
            .explain(&snapshot, Target::Capability("x"), at)
            .unwrap_err()
            .to_string(),
        "CG303: unknown capability `x`"
    );
    assert_eq!(
        rules
            .explain(&snapshot, Target::Operation("y"), at)
            .unwrap_err()
            .to_string(),
        "CG301: unknown operation `y`"
    );
}

/// A valid value for each path an unlock step may name in the default rules.
fn valid_value(path: &str) -> Value {
    match path {
        "/individual/firstName" => json!("Jane"),
        "/individual/lastName" => json!("Doe"),
        "/individual/dateOfBirth" => json!({"day": "7", "month": "7", "year": "1990"}),
        "/individual/fullSsn" => json!("000-00-0000"),
        "/individual/ssnLast4" => json!("0000"),
        "/individual/address/line1" => json!("500 Main St"),
        "/individual/address/line2" => json!("Apt 1"),
        "/individual/address/city" => json!("Boston"),
        "/individual/address/state" => json!("MA"),
        "/individual/address/postCode" => json!("02108"),
        "/individual/address/countryCode" | "/individual/citizenship" => json!("US"),
        "/individual/purposeOfAccount" => json!("investing"),
        "/individual/sourceOfFunds" => json!("salary"),
        "/individual/employmentStatus" => json!("retired"),
        "/individual/occupation" => json!("education"),
        "/individual/expectedVolume" => json!("under_1k"),
        "/individual/email" => json!("jane@example.com"),
        "/individual/phoneNumber" => json!("+16175551212"),
        "/compliance/requesterIpAddress" => json!("203.0.113.10"),
        other => panic!("no valid value for {other}"),
    }
}

fn set_pointer(root: &mut Value, pointer: &str, value: Value) {
    let mut cursor = root;
    let segments: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    for segment in &segments[..segments.len() - 1] {
        if !cursor.get(*segment).is_some_and(Value::is_object) {
            cursor[*segment] = json!({});
        }
        cursor = &mut cursor[*segment];
    }
    cursor[segments[segments.len() - 1]] = value;
}

/// Applies every step of `plan` to `snapshot`.
fn apply(plan: &UnlockPlan, snapshot: &mut Value) {
    for step in &plan.steps {
        match step.action {
            StepAction::RequestCapability => set_pointer(
                snapshot,
                &format!("/capabilities/{}/requested", step.key),
                json!(true),
            ),
            StepAction::Provide
            | StepAction::Correct
            | StepAction::Resubmit
            | StepAction::ProvideContext => {
                for path in &step.paths {
                    set_pointer(snapshot, path, valid_value(path));
                }
            }
            StepAction::AcceptTos => {
                let mut acceptances = snapshot["tosAcceptances"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                for version in &step.tos_versions {
                    acceptances.push(json!({"versionId": version.version_id, "language": version.languages[0], "acceptedAt": AT}));
                }
                snapshot["tosAcceptances"] = json!(acceptances);
            }
            StepAction::SignAttestation => {
                let mut attestations = snapshot["taxAttestations"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                for form in &step.tax_forms {
                    attestations.push(json!({"form": form, "isExemptBackupWithholding": false, "edeliveryConsent": true, "acceptedAt": AT}));
                }
                snapshot["taxAttestations"] = json!(attestations);
            }
        }
    }
}

use crate::properties::CAPABILITIES;

proptest! {
    #![proptest_config(Config { rng_seed: RngSeed::Fixed(0x0E8A_1A1E), ..Config::default() })]

    #[test]
    fn the_unlock_plan_applied_to_a_draft_leaves_nothing_outstanding(
        customer in crate::properties::customer(),
        target in 0usize..(8 + 3),
    ) {
        let mut snapshot = customer.to_json();
        snapshot.as_object_mut().unwrap().remove("requirements");
        // Only drafts: nothing inactive, so a plan is always available.
        for capability in CAPABILITIES {
            if snapshot["capabilities"][capability]["status"] == json!("inactive") {
                snapshot["capabilities"][capability]["status"] = json!("pending");
            }
        }
        let operations = ["createCustomerAccount", "createFiatDepositDestination", "placeCryptoTrade"];
        let target = if target < 8 { Target::Capability(CAPABILITIES[target]) } else { Target::Operation(operations[target - 8]) };
        let rules = RuleSet::builtin();
        let at = Timestamp::parse(AT).unwrap();
        let parsed = Snapshot::from_json(&snapshot.to_string()).unwrap();
        let plan = rules.explain(&parsed, target, at).unwrap().plan;
        prop_assert!(plan.available);
        apply(&plan, &mut snapshot);
        let after = Snapshot::from_json(&snapshot.to_string()).unwrap();
        let explanation = rules.explain(&after, target, at).unwrap();
        prop_assert!(explanation.plan.steps.is_empty(), "left: {:?}", explanation.plan.steps);
        let evaluation = rules.evaluate(&after, at);
        let names: Vec<&str> = match target {
            Target::Capability(name) => vec![name],
            Target::Operation(_) => explanation.tree.children.iter().filter(|n| n.kind == NodeKind::Capability).map(|n| n.name.as_str()).collect(),
        };
        for name in names {
            let waiting = evaluation.waiting_on.get(name);
            prop_assert!(waiting.is_none_or(|w| w.requirements.is_empty()), "{name} still waits on {waiting:?}");
        }
    }
}
