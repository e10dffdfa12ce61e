//! Properties of change events over pairs of generated customers (proptest, fixed seed).

use std::collections::BTreeMap;

use capgate::{ChangeEvent, Evaluation, RequirementChangeStatus, RuleSet, Timestamp, changes};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError};

use crate::properties::customer;

fn config() -> Config {
    Config {
        rng_seed: RngSeed::Fixed(0x00C0_FFEE),
        ..Config::default()
    }
}

/// What the events describe: each capability's status, each outstanding requirement's status
/// and impact (wire names).
type State = (
    BTreeMap<String, &'static str>,
    BTreeMap<String, (&'static str, Vec<String>)>,
);

fn state(evaluation: &Evaluation) -> State {
    let capabilities = evaluation
        .capabilities
        .iter()
        .map(|(code, c)| (code.clone(), c.status.as_str()))
        .collect();
    let requirements = evaluation
        .requirements
        .iter()
        .map(|(field, r)| (field.clone(), (r.status.as_str(), r.impact.clone())))
        .collect();
    (capabilities, requirements)
}

/// Applies events to a state, as a webhook consumer would.
fn apply(mut state: State, events: &[ChangeEvent]) -> State {
    for event in events {
        match event {
            ChangeEvent::CapabilityChanged { capabilities, .. } => {
                assert!(!capabilities.is_empty(), "empty capability event");
                for change in capabilities {
                    state.0.insert(change.code.clone(), change.status.as_str());
                }
            }
            ChangeEvent::RequirementChanged { requirements, .. } => {
                assert!(!requirements.is_empty(), "empty requirement event");
                for change in requirements {
                    if change.status == RequirementChangeStatus::Cleared {
                        assert!(change.impact.is_empty());
                        state.1.remove(&change.field);
                    } else {
                        state.1.insert(
                            change.field.clone(),
                            (change.status.as_str(), change.impact.clone()),
                        );
                    }
                }
            }
        }
    }
    state
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn an_evaluation_has_no_changes_from_itself(customer in customer()) {
        let evaluation = RuleSet::builtin().evaluate(&customer.snapshot(), customer.at());
        prop_assert_eq!(changes(Some("customer_1"), &evaluation, &evaluation), vec![]);
    }

    #[test]
    fn applying_the_events_to_the_old_state_gives_the_new_one(old in customer(), new in customer()) {
        let rules = RuleSet::builtin();
        assert_events_replay(
            &rules.evaluate(&old.snapshot(), old.at()),
            &rules.evaluate(&new.snapshot(), new.at()),
        )?;
    }

    #[test]
    fn the_events_of_time_passing_replay_too(customer in customer(), days in 1i64..90) {
        let rules = RuleSet::builtin();
        let snapshot = customer.snapshot();
        let later = Timestamp::from_unix_seconds(customer.at().unix_seconds() + days * 86_400);
        assert_events_replay(&rules.evaluate(&snapshot, customer.at()), &rules.evaluate(&snapshot, later))?;
    }
}

/// The events from `old` to `new` (and back) are ordered, sorted, and replay one state into
/// the other.
fn assert_events_replay(old: &Evaluation, new: &Evaluation) -> Result<(), TestCaseError> {
    for (from, to) in [(old, new), (new, old)] {
        let events = changes(None, from, to);
        prop_assert!(events.len() <= 2);
        if let [first, second] = events.as_slice() {
            prop_assert_eq!(first.event_type(), "customers.capability.changed");
            prop_assert_eq!(second.event_type(), "customers.requirement.changed");
        }
        for event in &events {
            let sorted = match event {
                ChangeEvent::CapabilityChanged { capabilities, .. } => {
                    capabilities.windows(2).all(|w| w[0].code < w[1].code)
                }
                ChangeEvent::RequirementChanged { requirements, .. } => {
                    requirements.windows(2).all(|w| w[0].field < w[1].field)
                }
            };
            prop_assert!(sorted, "not sorted: {:?}", event);
        }
        prop_assert_eq!(apply(state(from), &events), state(to));
    }
    Ok(())
}
