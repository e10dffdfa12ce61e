//! The default rules ship with tests that pass with full coverage.

use capgate::{RuleSet, Source};

#[test]
fn the_default_rules_tests_pass_with_full_coverage() {
    #[expect(
        clippy::disallowed_methods,
        reason = "tests read the shipped rule tests"
    )]
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/rules/tests/coinbase-customers.toml"
    ))
    .unwrap();
    let report = RuleSet::builtin()
        .run_tests(&[Source::new("rules/tests/coinbase-customers.toml", &text)])
        .unwrap();
    let failures: Vec<String> = report
        .results
        .iter()
        .flat_map(|r| r.failures.iter().map(move |f| format!("{}: {f}", r.name)))
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
    let uncovered: Vec<String> = report
        .coverage
        .items
        .iter()
        .filter(|i| !i.is_covered())
        .map(|i| format!("{} {}", i.kind, i.name))
        .collect();
    assert!(uncovered.is_empty(), "{uncovered:#?}");
    assert!((report.coverage.percent() - 100.0).abs() < f64::EPSILON);
    assert!(report.results.len() >= 30);
}

#[test]
fn coverage_notices_what_the_tests_never_exercise() {
    let tests = "[[test]]\nname = \"one draft\"\nsnapshot = '{\"capabilities\": {\"custodyCrypto\": {\"requested\": true}}, \"individual\": {\"fullSsn\": \"123-45-6789\"}}'\n";
    let report = RuleSet::builtin()
        .run_tests(&[Source::new("t.toml", tests)])
        .unwrap();
    let item = |kind: &str, name: &str| {
        report
            .coverage
            .items
            .iter()
            .find(|i| i.kind == kind && i.name == name)
            .unwrap()
            .clone()
    };
    let ssn = item("check", "fullSsn #1 pattern");
    assert!(ssn.met && !ssn.unmet && !ssn.is_covered());
    let first_name = item("requirement", "firstName");
    assert!(!first_name.met && first_name.unmet);
    let line2 = item("requirement", "addressLine2");
    assert!(line2.met && !line2.can_be_unmet && line2.is_covered());
    assert!(!item("operation", "createCustomerAccount").met);
    assert!(report.coverage.percent() < 50.0);
}
