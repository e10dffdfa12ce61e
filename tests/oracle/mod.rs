//! A differential oracle: a second, deliberately simple implementation of the README's
//! evaluation semantics ([`reference`]), compared with the engine on generated rulesets
//! ([`generate`], rendered to TOML and loaded with the public loader) and generated snapshots,
//! and on the builtin rules with the customers of `tests/properties.rs`.
//!
//! Compared, for every case: each capability's `requested` and `status`, `allowed`, every
//! outstanding requirement (`status`, `blocking`, `impact`, `deadline`, `tosVersions` ids and
//! deadlines, `taxForms`, `errors`, `resolvedBy`), `waitingOn`, `nextTransitionAt`, the number of
//! warnings, and for every operation `check`'s `allowed`, `errorType`,
//! `unauthorizedCapabilities`, `invalidContext` and what-if `requirements`.
//!
//! 256 cases per property by default (a few seconds in debug). The long mode:
//! `PROPTEST_CASES=200000 cargo test --release --test integration oracle`.

mod generate;
mod model;
mod reference;

use std::collections::BTreeMap;

use capgate::{Evaluation, Outstanding, RuleSet, Snapshot, Source, Timestamp};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use serde_json::Value;

use self::model::Rules;
use self::reference::{Decision, Eval, Req, Waiting};

fn config() -> Config {
    Config {
        rng_seed: RngSeed::Fixed(0x0AC1_E5EE),
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------------------------
// The engine's results, reduced to the oracle's shape.
// ---------------------------------------------------------------------------------------------

fn req(outstanding: &Outstanding) -> Req {
    let mut tos_versions: Vec<(String, Option<i64>)> = outstanding
        .tos_versions
        .iter()
        .map(|v| {
            (
                v.version_id.clone(),
                v.deadline.map(Timestamp::unix_seconds),
            )
        })
        .collect();
    tos_versions.sort();
    let mut tax_forms = outstanding.tax_forms.clone();
    tax_forms.sort();
    let mut errors: Vec<(String, String)> = outstanding
        .errors
        .iter()
        .map(|e| (e.code.to_owned(), e.path.clone()))
        .collect();
    errors.sort();
    Req {
        status: outstanding.status.as_str(),
        blocking: outstanding.blocking,
        impact: outstanding.impact.clone(),
        deadline: outstanding.deadline.map(Timestamp::unix_seconds),
        tos_versions,
        tax_forms,
        errors,
        resolved_by: outstanding.resolved_by.map(|r| r.as_str().to_owned()),
    }
}

fn reduce(evaluation: &Evaluation) -> Eval {
    Eval {
        capabilities: evaluation
            .capabilities
            .iter()
            .map(|(name, state)| (name.clone(), (state.requested, state.status.as_str())))
            .collect(),
        requirements: evaluation
            .requirements
            .iter()
            .map(|(key, r)| (key.clone(), req(r)))
            .collect(),
        allowed: evaluation.allowed.clone(),
        waiting_on: evaluation
            .waiting_on
            .iter()
            .map(|(name, w)| {
                (
                    name.clone(),
                    Waiting {
                        requirements: w.requirements.clone(),
                        capabilities: w.capabilities.clone(),
                        provider: w.provider,
                    },
                )
            })
            .collect(),
        next_transition_at: evaluation.next_transition_at.map(Timestamp::unix_seconds),
        warnings: evaluation.warnings.len(),
    }
}

fn reduce_decision(decision: &capgate::Decision) -> Decision {
    let mut invalid_context: Vec<(String, String, String)> = decision
        .invalid_context
        .iter()
        .map(|c| (c.field.clone(), c.code.to_owned(), c.path.clone()))
        .collect();
    invalid_context.sort();
    Decision {
        allowed: decision.allowed,
        error_type: decision.error_type.map(capgate::DenialType::as_str),
        unauthorized_capabilities: decision.unauthorized_capabilities.clone(),
        invalid_context,
        requirements: decision
            .requirements
            .iter()
            .map(|(key, r)| (key.clone(), req(r)))
            .collect(),
    }
}

/// Every difference between the engine's and the oracle's evaluation, one line each.
fn differences(engine: &Eval, oracle: &Eval) -> Vec<String> {
    let mut out = Vec::new();
    if engine.capabilities != oracle.capabilities {
        out.push(format!(
            "capabilities: engine {:?}, oracle {:?}",
            engine.capabilities, oracle.capabilities
        ));
    }
    out.extend(requirement_differences(
        "requirements",
        &engine.requirements,
        &oracle.requirements,
    ));
    if engine.allowed != oracle.allowed {
        out.push(format!(
            "allowed: engine {:?}, oracle {:?}",
            engine.allowed, oracle.allowed
        ));
    }
    if engine.waiting_on != oracle.waiting_on {
        out.push(format!(
            "waitingOn: engine {:?}, oracle {:?}",
            engine.waiting_on, oracle.waiting_on
        ));
    }
    if engine.next_transition_at != oracle.next_transition_at {
        out.push(format!(
            "nextTransitionAt: engine {:?}, oracle {:?}",
            engine.next_transition_at.map(Timestamp::from_unix_seconds),
            oracle.next_transition_at.map(Timestamp::from_unix_seconds)
        ));
    }
    if engine.warnings != oracle.warnings {
        out.push(format!(
            "warnings: engine {}, oracle {}",
            engine.warnings, oracle.warnings
        ));
    }
    out
}

fn requirement_differences(
    what: &str,
    engine: &BTreeMap<String, Req>,
    oracle: &BTreeMap<String, Req>,
) -> Vec<String> {
    let mut out = Vec::new();
    for (key, e) in engine {
        match oracle.get(key) {
            None => out.push(format!("{what}.{key}: engine lists {e:?}, oracle does not")),
            Some(o) if o != e => out.push(format!("{what}.{key}: engine {e:?}, oracle {o:?}")),
            Some(_) => {}
        }
    }
    for (key, o) in oracle {
        if !engine.contains_key(key) {
            out.push(format!("{what}.{key}: oracle lists {o:?}, engine does not"));
        }
    }
    out
}

fn decision_differences(operation: &str, engine: &Decision, oracle: &Decision) -> Vec<String> {
    let mut out = Vec::new();
    let head = |e: &Decision| {
        (
            e.allowed,
            e.error_type,
            e.unauthorized_capabilities.clone(),
            e.invalid_context.clone(),
        )
    };
    if head(engine) != head(oracle) {
        out.push(format!(
            "check {operation}: engine {:?}, oracle {:?}",
            head(engine),
            head(oracle)
        ));
    }
    out.extend(requirement_differences(
        &format!("check {operation} requirements"),
        &engine.requirements,
        &oracle.requirements,
    ));
    out
}

/// Compares the engine and the oracle on one ruleset, snapshot and time; the differences.
fn compare(
    engine_rules: &RuleSet,
    oracle_rules: &Rules,
    snapshot_json: &Value,
    at: i64,
) -> Vec<String> {
    let snapshot = Snapshot::from_json(&snapshot_json.to_string())
        .unwrap_or_else(|e| panic!("generated snapshot rejected: {e}\n{snapshot_json:#}"));
    let timestamp = Timestamp::from_unix_seconds(at);
    let evaluation = engine_rules.evaluate(&snapshot, timestamp);
    // (i) "The result also carries `at` and the ruleset's id, version and hash."
    assert_eq!(evaluation.at, timestamp);
    assert_eq!(
        (
            evaluation.ruleset.id.as_str(),
            evaluation.ruleset.version.as_str()
        ),
        (engine_rules.id(), engine_rules.version())
    );
    // Fail-closed, on every generated ruleset too: allowed only if requested, reported
    // active by the provider, and named by nothing blocking.
    crate::properties::assert_fail_closed(snapshot_json, &evaluation);
    let engine = reduce(&evaluation);
    let oracle = reference::evaluate(oracle_rules, snapshot_json, at);
    let mut out = differences(&engine, &oracle);
    let operations: Vec<String> = engine_rules.operation_names().map(str::to_owned).collect();
    assert_eq!(
        operations,
        oracle_rules.operations.keys().cloned().collect::<Vec<_>>(),
        "operation names"
    );
    // "An unknown operation is an error (`CG301`), never an allow."
    let unknown = engine_rules.check(&snapshot, "noSuchOperation", timestamp);
    assert_eq!(
        unknown.map(|d| d.allowed).map_err(|e| e.code().as_str()),
        Err("CG301")
    );
    for operation in &operations {
        let decision = engine_rules
            .check(&snapshot, operation, timestamp)
            .expect("a known operation");
        let engine = reduce_decision(&decision);
        let oracle = reference::check(oracle_rules, snapshot_json, operation, at);
        out.extend(decision_differences(operation, &engine, &oracle));
    }
    out
}

fn load(sources: &[String]) -> (RuleSet, Rules) {
    let names = ["generated.toml", "policy.toml"];
    let list: Vec<Source<'_>> = sources
        .iter()
        .zip(names)
        .map(|(text, name)| Source::new(name, text))
        .collect();
    let engine = RuleSet::from_sources(&list).unwrap_or_else(|errors| {
        panic!(
            "generated rules rejected: {errors}\n{}",
            sources.join("\n# ---- policy.toml\n")
        )
    });
    // "ids of combined sources are joined with `+`"; the policy has no `[ruleset]`.
    assert_eq!((engine.id(), engine.version()), ("generated", "1"));
    let texts: Vec<&str> = sources.iter().map(String::as_str).collect();
    (engine, Rules::from_sources(&texts))
}

fn builtin() -> &'static (RuleSet, Rules) {
    static BUILTIN: std::sync::OnceLock<(RuleSet, Rules)> = std::sync::OnceLock::new();
    BUILTIN.get_or_init(|| {
        (
            RuleSet::builtin(),
            Rules::from_sources(&[capgate::BUILTIN_RULES]),
        )
    })
}

proptest! {
    #![proptest_config(config())]

    /// Generated rules x generated snapshots: the engine agrees with the README's semantics.
    #[test]
    fn oracle_agrees_on_generated_rules(rules in generate::rules(), snapshot in generate::snapshot()) {
        let sources = rules.sources();
        let (engine_rules, oracle_rules) = load(&sources);
        let json = snapshot.to_json(&oracle_rules);
        let differences = compare(&engine_rules, &oracle_rules, &json, snapshot.at());
        prop_assert!(
            differences.is_empty(),
            "{}\n\nat {}\n{}\n\nsnapshot:\n{:#}",
            differences.join("\n"),
            Timestamp::from_unix_seconds(snapshot.at()),
            sources.join("\n# ---- policy.toml\n"),
            json
        );
    }

    /// The builtin rules x the customers of `tests/properties.rs`.
    #[test]
    fn oracle_agrees_on_builtin_rules(customer in crate::properties::customer()) {
        let (engine_rules, oracle_rules) = builtin();
        let json = customer.to_json();
        let at = customer.at().unix_seconds();
        let differences = compare(engine_rules, oracle_rules, &json, at);
        prop_assert!(
            differences.is_empty(),
            "{}\n\nat {}\nsnapshot:\n{:#}",
            differences.join("\n"),
            customer.at(),
            json
        );
    }

    /// `nextTransitionAt` keeps its promise by the oracle: nothing changes before it, and
    /// with none, nothing changes later either (no field is `sensitive` here: a sensitive
    /// date "schedules nothing" by design).
    #[test]
    fn oracle_nothing_changes_before_next_transition(rules in generate::rules(), snapshot in generate::snapshot()) {
        let sources = rules.without_sensitive().sources();
        let (engine_rules, oracle_rules) = load(&sources);
        let json = snapshot.to_json(&oracle_rules);
        let at = snapshot.at();
        let parsed = Snapshot::from_json(&json.to_string()).unwrap();
        let evaluation = engine_rules.evaluate(&parsed, Timestamp::from_unix_seconds(at));
        let now = reference::evaluate(&oracle_rules, &json, at);
        let until = evaluation
            .next_transition_at
            .map_or(at + 3650 * 86_400, |t| t.unix_seconds() - 1);
        prop_assert!(until >= at, "nextTransitionAt not after at");
        let mut later = reference::evaluate(&oracle_rules, &json, until);
        later.next_transition_at = now.next_transition_at;
        prop_assert_eq!(&later, &now, "the result changed before nextTransitionAt");
    }
}

/// Found by the oracle: the README (e) says "For `tos` the items are the versions, each with
/// its own deadline (the provider's aggregate `deadline` is used only when it lists no
/// versions). The entry's `deadline` is the earliest that applies." The engine
/// (`src/eval/mod.rs`, `provider_part`) followed this only for a `due` entry: for a `past_due`,
/// `pending`, `rejected` or `eventually_due` `tos` entry that listed versions it reported the
/// aggregate `deadline` (or none) and ignored the versions' deadlines. Fixed; here a
/// `past_due` `tos` entry whose only version has a deadline reports that deadline.
#[test]
fn regression_non_due_tos_deadline() {
    let snapshot = Snapshot::from_json(
        r#"{"requirements": {"tos": {"status": "past_due", "tosVersions": [
            {"versionId": "v0", "languages": ["en"], "url": "https://example.com/v0",
             "deadline": "2026-06-01T00:00:00Z"}]}}}"#,
    )
    .unwrap();
    let evaluation =
        RuleSet::builtin().evaluate(&snapshot, Timestamp::from_unix_seconds(generate::BASE));
    assert_eq!(
        evaluation.requirements["tos"].deadline,
        Some(Timestamp::from_unix_seconds(generate::BASE))
    );
}

/// Found by the oracle: the README ("Combining sources") says a later source "adds to an
/// existing group, capability or operation with `[extend.groups.<name>]`, ..., taking the same
/// list keys", and "Sources only ever add requirements". The engine accepted `any_of` in
/// `[extend.groups.<name>]` (no CG102) and then dropped it (`src/compile/mod.rs`, `merge_into`
/// appended every list but `any_of`): a policy's either/or set was silently lost, the rules
/// were looser than written. Fixed; here an either/or set added by a policy applies.
#[test]
fn regression_extend_any_of_dropped() {
    let base = r#"
[requirements.passport]
path = "d.passport"
[groups.id]
[capabilities.capA]
groups = ["id"]
"#;
    let policy = "[extend.groups.id]\nany_of = [[\"passport\"]]\n";
    let rules = RuleSet::from_sources(&[
        Source::new("base.toml", base),
        Source::new("policy.toml", policy),
    ])
    .unwrap();
    let snapshot =
        Snapshot::from_json(r#"{"capabilities": {"capA": {"requested": true}}}"#).unwrap();
    let evaluation = rules.evaluate(&snapshot, Timestamp::from_unix_seconds(generate::BASE));
    assert!(
        evaluation.requirements.contains_key("passport"),
        "{:?}",
        evaluation.requirements
    );
}

/// Found by the oracle: an attestation requirement is met form by form ("each met by a
/// `taxAttestations` entry with that `form` and an `acceptedAt` not after the evaluation
/// time"), and `errors` say why the snapshot does not meet it. The engine (`src/eval/mod.rs`,
/// `local_part`) also reported `accepted_after_at` for a late attestation of a form that an
/// earlier attestation already met (while another form was outstanding), and counted its date
/// as a `nextTransitionAt` even when every form was met, though nothing changes then
/// (acceptances never did this: a version already accepted adds neither). Fixed; here a late
/// attestation of a met form is neither an error nor a transition.
#[test]
fn regression_late_attestation_of_met_form() {
    let rules = RuleSet::from_toml(
        "r.toml",
        r#"
[requirements.taxAttestation]
kind = "attestation"
forms = ["us_w9", "w8ben"]
[capabilities.capA]
requirements = ["taxAttestation"]
"#,
    )
    .unwrap();
    let snapshot = Snapshot::from_json(
        r#"{"capabilities": {"capA": {"requested": true}}, "taxAttestations": [
            {"form": "us_w9", "acceptedAt": "2026-06-01T00:00:01Z"},
            {"form": "us_w9", "acceptedAt": "2026-05-30T00:00:00Z"}]}"#,
    )
    .unwrap();
    let evaluation = rules.evaluate(&snapshot, Timestamp::from_unix_seconds(generate::BASE));
    assert_eq!(evaluation.requirements["taxAttestation"].errors, []);
    assert_eq!(evaluation.next_transition_at, None);
}

/// Found by the oracle: the README ("The snapshot") says "`null` is the same as absent." The
/// engine (`src/snapshot.rs`, `parse_provider_requirement`) rejected a `null` entry of the
/// provider's `requirements` map with CG202 ("expected an object"), while it skipped a `null`
/// entry of `capabilities`. Fixed; here a `null` requirement entry is as good as absent.
#[test]
fn regression_null_requirement_entry_rejected() {
    let snapshot = Snapshot::from_json(r#"{"requirements": {"firstName": null}}"#);
    assert!(snapshot.is_ok(), "{:?}", snapshot.err());
}

/// Found by the oracle: the README says "A missing value (absent or `null`; an object of only
/// nulls for `date_parts`) is not an error code: the requirement is simply `due`", and
/// `non_empty` fails with "`empty` for ... an empty array or object". The engine
/// (`src/checks.rs`, `check_field`) treated *any* object whose values were all `null`
/// (including `{}`) as missing for *every* field rule that had checks, not only for
/// `date_parts`: `{}` under a `non_empty` check was `due` without the `empty` code (and an
/// `optional` one was met), and `{"k": null}` under `non_empty` (which passes by the README)
/// or under `one_of`/`pattern`/`length`/`ip_address` (which fail with `invalid_type`) was
/// `due` without an error code. Fixed; here `{}` under `non_empty` is `empty`.
#[test]
fn regression_null_objects_are_missing() {
    let rules = RuleSet::from_toml(
        "r.toml",
        r#"
[requirements.note]
path = "d.note"
checks = [{ kind = "non_empty" }]
[capabilities.capA]
requirements = ["note"]
"#,
    )
    .unwrap();
    let snapshot = Snapshot::from_json(
        r#"{"capabilities": {"capA": {"requested": true}}, "d": {"note": {}}}"#,
    )
    .unwrap();
    let evaluation = rules.evaluate(&snapshot, Timestamp::from_unix_seconds(generate::BASE));
    let errors: Vec<&str> = evaluation.requirements["note"]
        .errors
        .iter()
        .map(|e| e.code)
        .collect();
    assert_eq!(errors, ["empty"]);
}
