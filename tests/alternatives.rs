//! Either/or requirements (`any_of`) and conditional requirements (`when`), through the
//! example platform policy in `rules/examples/`.

use capgate::{NodeKind, NodeState, RuleSet, Snapshot, Source, StepAction, Target, Timestamp};
use serde_json::{Value, json};

const AT: &str = "2026-11-22T12:00:00Z";

fn rules() -> RuleSet {
    #[expect(clippy::disallowed_methods, reason = "tests read the example policy")]
    let policy = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/rules/examples/platform-policy.toml"
    ))
    .unwrap();
    RuleSet::from_sources(&[
        Source::new(capgate::BUILTIN_RULES_NAME, capgate::BUILTIN_RULES),
        Source::new("rules/examples/platform-policy.toml", &policy),
    ])
    .unwrap()
}

/// The outstanding requirement keys that name tradeCrypto, for a draft with `individual`.
#[track_caller]
fn outstanding(individual: &Value) -> Vec<String> {
    let mut individual = individual.clone();
    // Unless a case says otherwise, a customer whose employment needs no employer name.
    if individual.get("employmentStatus").is_none() {
        individual["employmentStatus"] = json!("retired");
    }
    let snapshot =
        json!({"capabilities": {"tradeCrypto": {"requested": true}}, "individual": individual});
    let evaluation = rules().evaluate(
        &Snapshot::from_json(&snapshot.to_string()).unwrap(),
        Timestamp::parse(AT).unwrap(),
    );
    let policy_keys = [
        "driversLicenseNumber",
        "driversLicenseState",
        "passportNumber",
        "bitLicenseDisclosure",
        "employerName",
    ];
    evaluation
        .requirements
        .iter()
        .filter(|(key, r)| policy_keys.contains(&key.as_str()) && r.impact == ["tradeCrypto"])
        .map(|(key, _)| key.clone())
        .collect()
}

#[test]
fn the_example_policy_loads_on_top_of_the_default_rules() {
    assert_eq!(rules().id(), "coinbase-customers+acme-policy");
}

#[test]
fn any_alternative_meets_an_either_or_group() {
    let state = json!({"address": {"state": "MA"}});
    assert_eq!(
        outstanding(&json!({"address": {"state": "MA"}, "passport": {"number": "X1234567"}})),
        Vec::<String>::new()
    );
    assert_eq!(
        outstanding(
            &json!({"address": {"state": "MA"}, "driversLicense": {"number": "D123", "state": "MA"}})
        ),
        Vec::<String>::new()
    );
    // Nothing given: the cheapest alternative (the passport, one requirement) is the one asked for.
    assert_eq!(outstanding(&state), ["passportNumber"]);
}

#[test]
fn the_closest_alternative_is_asked_for_and_ties_go_to_the_first() {
    // A license number without its state: one step from done, like the passport.
    assert_eq!(
        outstanding(&json!({"address": {"state": "MA"}, "driversLicense": {"number": "D123"}})),
        ["driversLicenseState"]
    );
    // An invalid passport and a complete license: the license meets it.
    assert_eq!(
        outstanding(
            &json!({"address": {"state": "MA"}, "passport": {"number": "x"}, "driversLicense": {"number": "D1", "state": "MA"}})
        ),
        Vec::<String>::new()
    );
}

#[test]
fn conditional_requirements_apply_only_when_their_condition_holds() {
    let passport = json!({"number": "X1234567"});
    assert_eq!(
        outstanding(&json!({"address": {"state": "NY"}, "passport": passport})),
        ["bitLicenseDisclosure"]
    );
    assert_eq!(
        outstanding(
            &json!({"address": {"state": "NY"}, "passport": passport, "disclosures": {"bitLicense": "acknowledged"}})
        ),
        Vec::<String>::new()
    );
    // Missing data does not rule a requirement out.
    assert_eq!(
        outstanding(&json!({"passport": passport})),
        ["bitLicenseDisclosure"]
    );
    assert_eq!(
        outstanding(
            &json!({"address": {"state": "MA"}, "passport": passport, "employmentStatus": "employed_fulltime"})
        ),
        ["employerName"]
    );
    assert_eq!(
        outstanding(
            &json!({"address": {"state": "MA"}, "passport": passport, "employmentStatus": "retired"})
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        outstanding(
            &json!({"address": {"state": "MA"}, "passport": passport, "employmentStatus": null})
        ),
        ["employerName"]
    );
}

#[test]
fn explain_shows_the_alternatives_and_the_plan_takes_the_cheapest() {
    let snapshot = json!({"capabilities": {"tradeCrypto": {"requested": true}}, "individual": {"address": {"state": "MA"}, "employmentStatus": "retired"}});
    let explanation = rules()
        .explain(
            &Snapshot::from_json(&snapshot.to_string()).unwrap(),
            Target::Capability("tradeCrypto"),
            Timestamp::parse(AT).unwrap(),
        )
        .unwrap();
    let any_of = explanation
        .tree
        .children
        .iter()
        .find(|n| n.kind == NodeKind::AnyOf)
        .unwrap();
    assert_eq!(
        (any_of.name.as_str(), any_of.state),
        ("governmentId", NodeState::Unmet)
    );
    let alternatives: Vec<Vec<&str>> = any_of
        .children
        .iter()
        .map(|a| a.children.iter().map(|n| n.name.as_str()).collect())
        .collect();
    assert_eq!(
        alternatives,
        [
            vec!["driversLicenseNumber", "driversLicenseState"],
            vec!["passportNumber"]
        ]
    );
    let employer = explanation
        .tree
        .children
        .iter()
        .find(|n| n.name == "employerName")
        .unwrap();
    assert_eq!(
        (employer.state, employer.code.as_deref()),
        (NodeState::Met, Some("not_applicable"))
    );
    let policy_steps: Vec<(StepAction, &str)> = explanation
        .plan
        .steps
        .iter()
        .filter(|s| s.key.contains("passport") || s.key.contains("drivers"))
        .map(|s| (s.action, s.key.as_str()))
        .collect();
    assert_eq!(policy_steps, [(StepAction::Provide, "passportNumber")]);
}
