//! `RuleSet::diff` and `wire::diff_json` on the default rules and the example platform policy.

use capgate::{ChangeClass, RuleSet, Source};

fn policy() -> String {
    #[expect(clippy::disallowed_methods, reason = "tests read the example policy")]
    let policy = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/rules/examples/platform-policy.toml"
    ))
    .unwrap();
    policy
}

#[test]
fn adding_the_example_policy_is_stricter_and_never_looser() {
    let policy = policy();
    let builtin = [Source::new(
        capgate::BUILTIN_RULES_NAME,
        capgate::BUILTIN_RULES,
    )];
    let with_policy = [
        Source::new(capgate::BUILTIN_RULES_NAME, capgate::BUILTIN_RULES),
        Source::new("rules/examples/platform-policy.toml", &policy),
    ];
    let json = capgate::wire::diff_json(&builtin, &with_policy).unwrap();
    insta::assert_snapshot!(json);

    let old = RuleSet::builtin();
    let new = RuleSet::from_sources(&with_policy).unwrap();
    let diff = old.diff(&new);
    // Sources only ever add requirements: a policy can make rules stricter, never looser.
    assert_eq!(diff.count(ChangeClass::Looser), 0);
    assert!(diff.count(ChangeClass::Stricter) > 0);
    assert!(diff.changes.is_sorted());
    // The reverse diff has as many changes, stricter and looser swapped.
    let back = new.diff(&old);
    assert_eq!(
        back.count(ChangeClass::Looser),
        diff.count(ChangeClass::Stricter)
    );
    assert_eq!(back.count(ChangeClass::Stricter), 0);
    assert_eq!(back.changes.len(), diff.changes.len());
}

#[test]
fn a_ruleset_diffed_with_itself_is_empty() {
    let policy = policy();
    let with_policy = RuleSet::from_sources(&[
        Source::new(capgate::BUILTIN_RULES_NAME, capgate::BUILTIN_RULES),
        Source::new("rules/examples/platform-policy.toml", &policy),
    ])
    .unwrap();
    for rules in [RuleSet::builtin(), with_policy] {
        assert!(rules.diff(&rules).is_empty());
        assert!(rules.diff(&rules.clone()).changes.is_empty());
    }
}
