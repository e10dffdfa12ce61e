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

/// Policy fragments a generated ruleset may include on top of the default rules.
const FRAGMENTS: [&str; 6] = [
    "[requirements.employerName]\npath = \"individual.employerName\"\nverified_by = \"platform\"\n[extend.capabilities.tradeCrypto]\nrequirements = [\"employerName\"]\n",
    "[extend.capabilities.custodyFiat]\nrequirements = [\"citizenship\"]\n",
    "[requirements.passport]\npath = \"individual.passport\"\nverified_by = \"platform\"\n[groups.anyId]\nany_of = [[\"passport\"], [\"ssnLast4\"]]\n[extend.capabilities.transferCrypto]\ngroups = [\"anyId\"]\n",
    "[extend.operations.sendCryptoTransfer]\ncontext = [\"requesterIpAddress\"]\n",
    "[requirements.nyDisclosure]\npath = \"individual.ny\"\nverified_by = \"platform\"\nwhen = { path = \"individual.address.state\", one_of = [\"NY\"] }\n[extend.capabilities.tradeStablecoin]\nrequirements = [\"nyDisclosure\"]\n",
    "[extend.groups.baseFields]\nrequirements = [\"ssnLast4\"]\n",
];

fn ruleset(mask: u8) -> RuleSet {
    let mut sources = vec![Source::new(
        capgate::BUILTIN_RULES_NAME,
        capgate::BUILTIN_RULES,
    )];
    for (idx, fragment) in FRAGMENTS.iter().enumerate() {
        if mask & (1 << idx) != 0 {
            sources.push(Source::new("fragment.toml", fragment));
        }
    }
    RuleSet::from_sources(&sources).unwrap()
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config { rng_seed: proptest::test_runner::RngSeed::Fixed(0xD1FF), ..Default::default() })]

    /// `diff(a, a)` is empty; `diff(b, a)` mirrors `diff(a, b)` with stricter and looser
    /// swapped; adding fragments (policies only add) is never looser.
    #[test]
    fn diffs_are_empty_on_themselves_and_mirror_when_reversed(a in 0u8..64, b in 0u8..64) {
        let (old, new) = (ruleset(a), ruleset(b));
        proptest::prop_assert!(old.diff(&old).changes.is_empty());
        let forward = old.diff(&new);
        let backward = new.diff(&old);
        proptest::prop_assert_eq!(forward.changes.len(), backward.changes.len());
        proptest::prop_assert_eq!(forward.count(ChangeClass::Stricter), backward.count(ChangeClass::Looser));
        proptest::prop_assert_eq!(forward.count(ChangeClass::Looser), backward.count(ChangeClass::Stricter));
        if a & b == a {
            proptest::prop_assert_eq!(forward.count(ChangeClass::Looser), 0, "{:?}", forward.changes);
        }
    }
}
