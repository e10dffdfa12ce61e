//! The fail-closed guarantees, as properties (issue: reliability and security).
//!
//! - no input makes a capability allowed unless the provider reported it active and no
//!   requirement it needs is blocking (`assert_fail_closed`, here on arbitrary JSON and on
//!   corrupted rules; the oracle in `oracle/` checks it on generated rulesets too);
//! - any error, at any stage (the time, the snapshot, the rules, the operation), yields no
//!   grant: every entry point returns an error and no result;
//! - evaluation is total on any parsed snapshot (arbitrary JSON built from the snapshot's
//!   own vocabulary): `evaluate`, `evaluate_ref`, `check`, `explain` and the end-user view never
//!   panic;
//! - moving `at` forward never turns a blocking requirement into a non-blocking one, nor a
//!   capability that is not active into an active one, when every fact of the snapshot is
//!   dated at or before the earlier time (a fact dated later, such as an acceptance, takes
//!   effect when its date comes: that is the documented `nextTransitionAt`).
//!
//! Each runs the default number of cases (256) in `cargo test`; `PROPTEST_CASES=10000` (as
//! `scripts/long.sh` sets) is the long mode.

use capgate::wire;
use capgate::{CapabilityStatus, RuleSet, Snapshot, Target, Timestamp};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use serde_json::{Value, json};

use crate::properties::{assert_fail_closed, customer};

const AT: &str = "2026-11-22T12:00:00Z";

fn config() -> Config {
    Config {
        rng_seed: RngSeed::Fixed(0x0BAD_CAFE),
        ..Config::default()
    }
}

/// How a valid snapshot text is broken.
#[derive(Clone, Debug)]
enum Corruption {
    /// Cut after this fraction (per mille) of the text.
    Truncate(u16),
    /// A capability's `requested` written twice (`false` then `true`).
    DuplicateRequested,
    /// A known string field given a number.
    WrongType,
    /// Nesting past the default depth limit in an unknown field.
    TooDeep,
    /// A byte of the text replaced by a character that cannot appear there.
    Garbage(u16),
}

fn corruption() -> impl Strategy<Value = Corruption> {
    prop_oneof![
        (0u16..1000).prop_map(Corruption::Truncate),
        Just(Corruption::DuplicateRequested),
        Just(Corruption::WrongType),
        Just(Corruption::TooDeep),
        (0u16..1000).prop_map(Corruption::Garbage),
    ]
}

/// The snapshot `value` broken by `how`. Each corruption yields text that is not JSON
/// (truncation, a control character) or that the engine must refuse (a duplicate key, a
/// wrong type, nesting past the limit).
fn corrupt(value: &Value, how: &Corruption) -> String {
    let text = value.to_string();
    let boundary = |per_mille: u16| {
        let at = text.len() * usize::from(per_mille) / 1000;
        (0..=at)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0)
    };
    match how {
        Corruption::Truncate(per_mille) => {
            text[..boundary(*per_mille).min(text.len() - 1)].to_owned()
        }
        Corruption::DuplicateRequested => text.replacen(
            "\"capabilities\":{",
            "\"capabilities\":{\"tradeCrypto\":{\"requested\":false,\"requested\":true},",
            1,
        ),
        Corruption::WrongType => {
            let mut value = value.clone();
            value["individual"]["fullSsn"] = json!(123_456_789);
            value.to_string()
        }
        Corruption::TooDeep => {
            let mut value = value.clone();
            let mut deep = json!(1);
            for _ in 0..40 {
                deep = json!([deep]);
            }
            value["x"] = deep;
            value.to_string()
        }
        Corruption::Garbage(per_mille) => {
            let at = boundary(*per_mille);
            format!("{}\u{1}{}", &text[..at], &text[at..])
        }
    }
}

/// Every text entry point given `snapshot` and `at` fails: no result, so no grant.
fn assert_no_entry_point_answers(rules: &RuleSet, snapshot: &str, at: &str) {
    let operation = "createCustomerAccount";
    assert!(wire::evaluate_json(rules, snapshot, at).is_err());
    assert!(wire::evaluate_json_compact(rules, snapshot, at).is_err());
    assert!(wire::check_json(rules, snapshot, operation, at).is_err());
    assert!(wire::check_json_compact(rules, snapshot, operation, at).is_err());
    assert!(wire::end_user_json(rules, snapshot, at).is_err());
    assert!(wire::end_user_json_compact(rules, snapshot, at).is_err());
    assert!(wire::explain_json(rules, snapshot, "operation", operation, at).is_err());
    assert!(wire::changes_json(rules, snapshot, "{}", at).is_err());
}

/// A JSON value built from the snapshot's own vocabulary, so that most of what is generated
/// reaches the engine's field readers.
fn vocabulary_json() -> impl Strategy<Value = Value> {
    let keys = prop_oneof![
        Just("capabilities"),
        Just("requirements"),
        Just("individual"),
        Just("requested"),
        Just("status"),
        Just("deadline"),
        Just("impact"),
        Just("tosVersions"),
        Just("tosAcceptances"),
        Just("taxAttestations"),
        Just("versionId"),
        Just("acceptedAt"),
        Just("language"),
        Just("custodyFiat"),
        Just("tradeCrypto"),
        Just("tos"),
        Just("fullSsn"),
        Just("dateOfBirth"),
        Just("year"),
        Just("form"),
        Just("compliance"),
        Just("email"),
        Just("unknownThing"),
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-5i64..5).prop_map(Value::from),
        prop_oneof![
            Just("active"),
            Just("pending"),
            Just("inactive"),
            Just("due"),
            Just("past_due"),
            Just("rejected"),
            Just("overdue"),
            Just("2026-11-22T12:00:00Z"),
            Just("2026-01-01T00:00:00Z"),
            Just("2027-01-01T00:00:00+02:00"),
            Just("2026-11-22"),
            Just("custodyFiat"),
            Just("tradeCrypto"),
            Just("us_individual_2026-05-29"),
            Just("en"),
            Just("us_w9"),
            Just("123-45-6789"),
            Just("1990"),
            Just(""),
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(keys.clone(), inner, 0..6).prop_map(|map| {
                Value::Object(map.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

/// Drops the facts dated after `at` (acceptances, attestations) and a date of birth in
/// the future: what is left is all dated at or before `at`.
fn only_past_facts(mut value: Value, at: Timestamp) -> Value {
    for list in ["tosAcceptances", "taxAttestations"] {
        if let Some(items) = value.get_mut(list).and_then(Value::as_array_mut) {
            items.retain(|item| {
                item["acceptedAt"]
                    .as_str()
                    .and_then(|t| Timestamp::parse(t).ok())
                    .is_none_or(|t| t <= at)
            });
        }
    }
    value
}

proptest! {
    #![proptest_config(config())]

    /// Any error at the snapshot stage yields no answer from any entry point.
    #[test]
    fn a_broken_snapshot_yields_no_answer(customer in customer(), how in corruption()) {
        let rules = RuleSet::builtin();
        let text = corrupt(&customer.to_json(), &how);
        assert_no_entry_point_answers(&rules, &text, AT);
    }

    /// Any error in the evaluation time or the operation yields no answer.
    #[test]
    fn a_broken_time_or_operation_yields_no_answer(
        customer in customer(),
        at in prop_oneof![Just("2026-11-22T12:00:00"), Just("2026-11-22"), Just(""), Just("now"), Just("2026-02-31T00:00:00Z")],
        operation in prop_oneof![Just("createCustomerAcount"), Just(""), Just("CREATECUSTOMERACCOUNT")],
    ) {
        let rules = RuleSet::builtin();
        let text = customer.to_json().to_string();
        assert_no_entry_point_answers(&rules, &text, at);
        prop_assert!(wire::check_json(&rules, &text, operation, AT).is_err());
        prop_assert!(rules.check(&customer.snapshot(), operation, customer.at()).is_err());
    }

    /// Rules cut anywhere either fail to load (no engine, so no answer) or, where the cut
    /// leaves a valid ruleset, still evaluate fail-closed.
    #[test]
    fn truncated_rules_fail_to_load_or_stay_fail_closed(customer in customer(), per_mille in 0usize..1000) {
        let text = capgate::BUILTIN_RULES;
        let cut = text.len() * per_mille / 1000;
        let cut = (0..=cut).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        let truncated = &text[..cut];
        match wire::load(&[capgate::Source::new("rules.toml", truncated)]) {
            Err(error) => prop_assert!(error.code.starts_with("CG1")),
            Ok(rules) => {
                let evaluation = rules.evaluate(&customer.snapshot(), customer.at());
                assert_fail_closed(&customer.to_json(), &evaluation);
            }
        }
    }

    /// Evaluation is total and fail-closed on anything that parses.
    #[test]
    fn evaluation_is_total_on_any_parsed_snapshot(value in vocabulary_json(), days in -400i64..400) {
        let text = value.to_string();
        let Ok(snapshot) = Snapshot::from_json(&text) else {
            return Ok(());
        };
        let rules = RuleSet::builtin();
        let at = Timestamp::from_unix_seconds(1_795_348_800 + days * 86_400);
        let evaluation = rules.evaluate(&snapshot, at);
        assert_fail_closed(&value, &evaluation);
        let borrowed = rules.evaluate_ref(&snapshot, at);
        prop_assert_eq!(borrowed.to_evaluation(), evaluation.clone());
        for operation in rules.operation_names() {
            let decision = rules.check(&snapshot, operation, at).unwrap();
            for capability in &decision.unauthorized_capabilities {
                prop_assert!(!evaluation.allowed.contains(capability));
            }
            if decision.allowed {
                prop_assert!(borrowed.allows(operation).unwrap());
            }
            prop_assert!(rules.explain(&snapshot, Target::Operation(operation), at).is_ok());
        }
        for capability in rules.capability_names() {
            prop_assert!(rules.explain(&snapshot, Target::Capability(capability), at).is_ok());
        }
        let view = capgate::EndUserView::new(&rules, &evaluation);
        for capability in &view.capabilities {
            let active = evaluation.capabilities[&capability.name].status == CapabilityStatus::Active;
            prop_assert_eq!(capability.state == capgate::UserState::Available, active);
        }
    }

    /// Time only ever adds blocking: what blocks at `at` still blocks later, and nothing
    /// that is not active becomes active, when every fact is dated at or before `at`.
    #[test]
    fn moving_at_forward_never_unblocks(customer in customer(), days in 0i64..400, seconds in 0i64..86_400) {
        let rules = RuleSet::builtin();
        let earlier = customer.at();
        let later = Timestamp::from_unix_seconds(earlier.unix_seconds() + days * 86_400 + seconds);
        let value = only_past_facts(customer.to_json(), earlier);
        let snapshot = Snapshot::from_json(&value.to_string()).unwrap();
        let before = rules.evaluate(&snapshot, earlier);
        let after = rules.evaluate(&snapshot, later);
        for (key, requirement) in before.requirements.iter().filter(|(_, r)| r.blocking) {
            let still = after.requirements.get(key);
            prop_assert!(still.is_some_and(|r| r.blocking), "{} stopped blocking", key);
            for name in &requirement.impact {
                prop_assert!(still.is_some_and(|r| r.impact.contains(name)), "{} stopped blocking {}", key, name);
            }
        }
        for (name, state) in &after.capabilities {
            if state.status == CapabilityStatus::Active {
                prop_assert_eq!(before.capabilities[name].status, CapabilityStatus::Active, "{} became active", name);
            }
        }
    }
}
