//! Data-driven corpus tests: every file under `tests/corpus/` becomes an insta snapshot, so
//! any rule or semantics change shows up as a reviewable snapshot diff.
//!
//! - `eval/*.json`: `{description, at, snapshot}`; the snapshot is the evaluation JSON plus
//!   the decision for every operation of the default rules.
//! - `invalid-rules/*.toml`: rendered load errors (loaded alone, or after the default rules
//!   when the file name starts with `cross-source`).
//! - `invalid-snapshots/*.json`: rendered snapshot errors.
//!
//! `CAPGATE_CASE=substring` runs only the matching files.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use capgate::{CapabilityStatus, RuleSet, Snapshot, Source, Timestamp};

fn selected(path: &Path) -> bool {
    #[expect(clippy::disallowed_methods, reason = "test filter")]
    let filter = std::env::var("CAPGATE_CASE").unwrap_or_default();
    path.to_string_lossy().contains(&filter)
}

pub(crate) fn read(path: &Path) -> String {
    #[expect(clippy::disallowed_methods, reason = "tests read their corpus")]
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn eval_corpus() {
    let rules = RuleSet::builtin();
    let mut n_cases = 0;
    insta::glob!("corpus/eval/*.json", |path| {
        if !selected(path) {
            return;
        }
        n_cases += 1;
        let case: serde_json::Value = serde_json::from_str(&read(path)).unwrap();
        let description = case["description"].as_str().unwrap();
        let at = Timestamp::parse(case["at"].as_str().unwrap()).unwrap();
        let snapshot = Snapshot::from_json(&case["snapshot"].to_string()).unwrap();
        let evaluation = rules.evaluate(&snapshot, at);
        crate::properties::assert_fail_closed(&snapshot_value(&case), &evaluation);

        let mut checks = BTreeMap::new();
        for operation in rules.operation_names() {
            let decision = rules.check(&snapshot, operation, at).unwrap();
            let mut summary = serde_json::json!({ "allowed": decision.allowed });
            if let Some(error_type) = decision.error_type {
                summary["errorType"] = error_type.as_str().into();
            }
            if !decision.unauthorized_capabilities.is_empty() {
                summary["unauthorizedCapabilities"] =
                    decision.unauthorized_capabilities.clone().into();
            }
            for problem in &decision.invalid_context {
                summary["invalidContext"][&problem.field] = problem.code.into();
            }
            // An operation is allowed exactly when its capabilities are all active.
            if decision.allowed {
                assert!(
                    decision.unauthorized_capabilities.is_empty()
                        && decision.invalid_context.is_empty()
                );
            }
            checks.insert(operation.to_owned(), summary);
        }
        let rendered = format!(
            "{}\n\nchecks:\n{}",
            capgate::wire::evaluation_to_json(&evaluation),
            serde_json::to_string_pretty(&checks).unwrap()
        );
        insta::with_settings!({ description => description, omit_expression => true }, {
            insta::assert_snapshot!(rendered);
        });
    });
    #[expect(clippy::disallowed_methods, reason = "test filter")]
    let filtered = std::env::var_os("CAPGATE_CASE").is_some();
    assert!(n_cases > 0 || filtered, "empty corpus");
}

fn snapshot_value(case: &serde_json::Value) -> serde_json::Value {
    case["snapshot"].clone()
}

#[test]
fn invalid_rules_corpus() {
    insta::glob!("corpus/invalid-rules/*.toml", |path| {
        if !selected(path) {
            return;
        }
        let text = read(path);
        let name = format!(
            "invalid-rules/{}",
            path.file_name().unwrap().to_string_lossy()
        );
        let own = Source::new(&name, &text);
        let builtin = Source::new(capgate::BUILTIN_RULES_NAME, capgate::BUILTIN_RULES);
        let sources = if name.contains("cross-source") {
            vec![builtin, own]
        } else {
            vec![own]
        };
        let errors = RuleSet::from_sources(&sources).unwrap_err();
        let mut rendered = String::new();
        for error in errors.errors() {
            rendered.push_str(&error.to_string());
            rendered.push('\n');
            if let Some(help) = error.help() {
                writeln!(rendered, "  help: {help}").unwrap();
            }
            // Every message follows the house style: one lowercase line, no trailing period.
            assert!(
                !error.message().contains('\n') && !error.message().ends_with('.'),
                "{error}"
            );
            assert!(error.line() >= 1 && error.column() >= 1);
        }
        insta::with_settings!({ omit_expression => true }, {
            insta::assert_snapshot!(rendered);
        });
    });
}

#[test]
fn invalid_snapshots_corpus() {
    insta::glob!("corpus/invalid-snapshots/*.json", |path| {
        if !selected(path) {
            return;
        }
        let text = read(path);
        let error = Snapshot::from_json(&text).unwrap_err();
        let rendered = format!(
            "{error}\npath: {:?}\nposition: {:?}\nwire: {}",
            error.path(),
            error.line().zip(error.column()),
            capgate::wire::WireError::from(&error).to_json()
        );
        for canary in ["123-45-6789", "1990", "203.0.113.10", "customer_1"] {
            assert!(!rendered.contains(canary), "{rendered}");
        }
        insta::with_settings!({ omit_expression => true }, {
            insta::assert_snapshot!(rendered);
        });
    });
}

#[test]
fn every_capability_of_the_default_rules_appears_in_every_evaluation() {
    let rules = RuleSet::builtin();
    let at = Timestamp::parse("2026-11-22T00:00:00Z").unwrap();
    let evaluation = rules.evaluate(&Snapshot::from_json("{}").unwrap(), at);
    let names: Vec<&str> = evaluation.capabilities.keys().map(String::as_str).collect();
    assert_eq!(names, crate::properties::CAPABILITIES);
    assert!(
        evaluation
            .capabilities
            .values()
            .all(|c| c.status == CapabilityStatus::Unrequested)
    );
    assert!(evaluation.requirements.is_empty());
}
