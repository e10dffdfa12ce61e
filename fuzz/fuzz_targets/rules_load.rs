//! Arbitrary text as a rule source: on its own, and as a policy on top of the builtin rules.
//!
//! Loaded: the ruleset's metadata is sane and every fixed snapshot evaluates with every
//! invariant of `capgate_fuzz::check_evaluation`; a policy only ever adds (nothing looser,
//! nothing granted that the builtin rules deny). Rejected: every error has a stable code, a
//! location inside its source, and wire JSON that parses.

#![no_main]

use capgate::{BUILTIN_RULES, BUILTIN_RULES_NAME, RuleSet, Source};
use capgate_fuzz::{
    check_fixed_snapshots, check_load_errors, check_policy_only_adds, check_ruleset,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };

    let alone = [Source::new("fuzz.toml", text)];
    match RuleSet::from_sources(&alone) {
        Ok(rules) => {
            check_ruleset(&alone, &rules);
            check_fixed_snapshots(&rules, text);
        }
        Err(errors) => check_load_errors(&alone, &errors),
    }

    let layered = [
        Source::new(BUILTIN_RULES_NAME, BUILTIN_RULES),
        Source::new("policy.toml", text),
    ];
    match RuleSet::from_sources(&layered) {
        Ok(rules) => {
            check_ruleset(&layered, &rules);
            check_fixed_snapshots(&rules, text);
            check_policy_only_adds(&RuleSet::builtin(), &rules);
        }
        Err(errors) => check_load_errors(&layered, &errors),
    }
});
