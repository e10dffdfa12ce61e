//! Invariants shared by the fuzz targets (`fuzz_targets/*.rs`).
//!
//! Each check panics (an `assert!`) when an invariant documented in the README or in
//! ARCHITECTURE.md does not hold, so libFuzzer reports the input as a crash:
//!
//! - [`check_evaluation`]: an evaluation of a parsed snapshot (README "Evaluation semantics",
//!   "Output", and "Untrusted input and sensitive data").
//! - [`check_snapshot_error`]: a snapshot the parser rejected (codes, JSON pointers, messages
//!   that repeat no value).
//! - [`check_load_errors`]: rule sources the compiler rejected (codes, locations).
//! - [`check_ruleset`]: a ruleset that loaded (metadata, self-diff).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use capgate::wire::{self, WireError};
use capgate::{
    CapabilityStatus, DenialType, EndUserView, Evaluation, LoadErrors, NodeKind, NodeState,
    RequirementStatus, RuleSet, Snapshot, SnapshotError, Source, Target, Timestamp,
};
use serde_json::Value;

/// The evaluation time the fixed cases use: 2026-11-22T12:00:00Z.
pub const BASE_AT_SECONDS: i64 = 1_795_348_800;

/// The keys of an evaluation's JSON, in order (README "Output").
pub const EVALUATION_KEYS: [&str; 8] = [
    "capabilities",
    "requirements",
    "allowed",
    "waitingOn",
    "nextTransitionAt",
    "at",
    "ruleset",
    "warnings",
];

/// Snapshots evaluated under every ruleset the `rules_load` target loads.
pub const FIXED_SNAPSHOTS: [&str; 6] = [
    include_str!("../../examples/provider.json"),
    include_str!("../../examples/draft.json"),
    include_str!("../../examples/blocked.json"),
    include_str!("../../benches/data/incomplete.json"),
    "{}",
    r#"{"capabilities": {"custodyCrypto": {"requested": true, "status": "active"}, "capA": {"requested": true, "status": "active"}, "capB": {"requested": true, "status": "active"}}, "requirements": {}}"#,
];

/// 2026-11-22T12:00:00Z.
pub fn base_at() -> Timestamp {
    Timestamp::from_unix_seconds(BASE_AT_SECONDS)
}

/// An evaluation time from 8 bytes: within 30 years either side of [`base_at`].
pub fn at_from_bytes(bytes: [u8; 8]) -> Timestamp {
    const SPAN: i64 = 30 * 366 * 86_400;
    let offset = i64::from_le_bytes(bytes).rem_euclid(2 * SPAN) - SPAN;
    Timestamp::from_unix_seconds(BASE_AT_SECONDS + offset)
}

/// The snapshot text as plain JSON (the parser skips a UTF-8 byte-order mark).
pub fn raw_json(text: &str) -> Option<Value> {
    serde_json::from_str(text.strip_prefix('\u{feff}').unwrap_or(text)).ok()
}

/// Parses `text` as the evaluation JSON and checks its top-level shape.
pub fn parse_evaluation_json(text: &str) -> Value {
    let value: Value = serde_json::from_str(text)
        .unwrap_or_else(|err| panic!("evaluation output is not JSON ({err}): {text}"));
    let object = value.as_object().expect("the evaluation is an object");
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut expected = EVALUATION_KEYS.to_vec();
    expected.sort_unstable();
    assert_eq!(keys, expected, "evaluation keys: {text}");
    value
}

/// Every check on an evaluation of `snapshot` (parsed from `text`) at `at`: the owned and
/// borrowed evaluations agree, the JSON outputs have the documented shape and agree, the
/// semantics (a)-(i) hold against the raw input, operations decide consistently, later
/// evaluations before `nextTransitionAt` give the same result, and no sensitive value of the
/// input appears in any output.
pub fn check_evaluation(rules: &RuleSet, text: &str, snapshot: &Snapshot, at: Timestamp) {
    let evaluation = rules.evaluate(snapshot, at);
    let raw = raw_json(text).expect("a snapshot the engine parsed is JSON");
    let mut outputs = Vec::new();

    check_ref(rules, snapshot, at, &evaluation);
    outputs.extend(check_json_outputs(rules, text, snapshot, at, &evaluation));
    check_semantics(rules, &raw, &evaluation, at);
    outputs.extend(check_operations(rules, text, snapshot, at, &evaluation));
    check_stable_until_next_transition(rules, snapshot, at, &evaluation);
    outputs.push(format!("{snapshot:?}"));
    outputs.push(format!("{:?}", rules.evaluate_ref(snapshot, at)));
    check_no_sensitive_values(rules, &raw, at, &outputs);
}

/// `evaluate_ref` agrees with `evaluate`, accessor by accessor.
fn check_ref(rules: &RuleSet, snapshot: &Snapshot, at: Timestamp, evaluation: &Evaluation) {
    let borrowed = rules.evaluate_ref(snapshot, at);
    assert_eq!(
        &borrowed.to_evaluation(),
        evaluation,
        "evaluate_ref != evaluate"
    );
    assert_eq!(borrowed.at(), at);
    assert_eq!(borrowed.next_transition_at(), evaluation.next_transition_at);
    assert_eq!(
        borrowed.allowed().collect::<Vec<_>>(),
        evaluation.allowed,
        "EvaluationRef::allowed"
    );
    for (name, state) in &evaluation.capabilities {
        assert_eq!(
            borrowed.status(name),
            Some(state.status),
            "status of {name}"
        );
        assert_eq!(
            borrowed.is_allowed(name),
            evaluation.allowed.contains(name),
            "is_allowed({name})"
        );
        let blocking: Vec<&str> = borrowed.blocking(name).collect();
        let expected: Vec<&str> = evaluation
            .waiting_on
            .get(name)
            .map(|w| w.requirements.iter().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(blocking, expected, "EvaluationRef::blocking({name})");
    }
    assert_eq!(borrowed.status("\u{0}unknown"), None);
    let outstanding: Vec<(&str, RequirementStatus, bool)> = borrowed.outstanding().collect();
    let expected: Vec<(&str, RequirementStatus, bool)> = evaluation
        .requirements
        .iter()
        .map(|(key, o)| (key.as_str(), o.status, o.blocking))
        .collect();
    assert_eq!(outstanding, expected, "EvaluationRef::outstanding");
    for (key, outstanding) in &evaluation.requirements {
        assert_eq!(
            borrowed.impact(key).collect::<Vec<_>>(),
            outstanding.impact,
            "EvaluationRef::impact({key})"
        );
        let mut requirement = borrowed
            .requirement(key)
            .unwrap_or_else(|| panic!("EvaluationRef::requirement({key}) is None"))
            .clone();
        requirement.impact.clone_from(&outstanding.impact);
        assert_eq!(
            &requirement, outstanding,
            "EvaluationRef::requirement({key})"
        );
    }
}

/// The JSON outputs: the pretty and compact forms from every entry point are byte-identical
/// among themselves, parse to the same value, and that value is the evaluation. Returns them.
fn check_json_outputs(
    rules: &RuleSet,
    text: &str,
    snapshot: &Snapshot,
    at: Timestamp,
    evaluation: &Evaluation,
) -> Vec<String> {
    let at_text = at.to_string();
    let pretty = wire::evaluation_to_json(evaluation);
    let borrowed = rules.evaluate_ref(snapshot, at);
    assert_eq!(
        borrowed.to_json(false),
        pretty,
        "EvaluationRef::to_json(false)"
    );
    let compact = borrowed.to_json(true);
    assert!(!compact.contains('\n'), "compact output has a newline");
    let wire_pretty =
        wire::evaluate_json(rules, text, &at_text).expect("evaluate_json on a parsed snapshot");
    assert_eq!(wire_pretty, pretty, "wire::evaluate_json");
    let wire_compact = wire::evaluate_json_compact(rules, text, &at_text)
        .expect("evaluate_json_compact on a parsed snapshot");
    assert_eq!(wire_compact, compact, "wire::evaluate_json_compact");

    let value = parse_evaluation_json(&pretty);
    assert_eq!(
        parse_evaluation_json(&compact),
        value,
        "compact and pretty differ"
    );
    check_value_is_evaluation(rules, &value, evaluation, at);

    // The end-user view: the same from the owned and the borrowed evaluation, pretty and
    // compact, through the library and `wire`; only requested capabilities, tasks that
    // are outstanding requirements.
    let view = EndUserView::new(rules, evaluation);
    assert_eq!(
        EndUserView::from_ref(&borrowed),
        view,
        "EndUserView::from_ref != new"
    );
    let user_pretty = wire::end_user_to_json(&view);
    assert_eq!(
        wire::end_user_json(rules, text, &at_text).ok().as_deref(),
        Some(user_pretty.as_str()),
        "wire::end_user_json"
    );
    let user_compact =
        wire::end_user_json_compact(rules, text, &at_text).expect("end_user_json_compact");
    assert!(
        !user_compact.contains('\n'),
        "compact end-user view has a newline"
    );
    let user_value: Value = serde_json::from_str(&user_pretty).expect("end-user JSON");
    assert_eq!(
        serde_json::from_str::<Value>(&user_compact).ok().as_ref(),
        Some(&user_value),
        "compact and pretty end-user views differ"
    );
    for capability in &view.capabilities {
        assert!(
            evaluation
                .capabilities
                .get(&capability.name)
                .is_some_and(|s| s.requested),
            "end-user view shows {} which was not requested",
            capability.name
        );
    }
    for task in &view.tasks {
        assert!(
            evaluation.requirements.contains_key(&task.requirement),
            "end-user task {} is not an outstanding requirement",
            task.requirement
        );
    }
    vec![pretty, compact, user_pretty]
}

/// The evaluation's JSON says what the evaluation says, in the documented shape.
fn check_value_is_evaluation(
    rules: &RuleSet,
    value: &Value,
    evaluation: &Evaluation,
    at: Timestamp,
) {
    let capabilities = value["capabilities"]
        .as_object()
        .expect("capabilities object");
    let names: Vec<&str> = rules.capability_names().collect();
    assert_eq!(
        capabilities.keys().map(String::as_str).collect::<Vec<_>>(),
        names,
        "every capability of the ruleset is in the output (a)"
    );
    for (name, entry) in capabilities {
        let state = &evaluation.capabilities[name];
        assert_eq!(
            entry["requested"],
            Value::Bool(state.requested),
            "{name}.requested"
        );
        assert_eq!(entry["status"], state.status.as_str(), "{name}.status");
        assert_eq!(entry.as_object().map(|o| o.len()), Some(2), "{name} keys");
    }
    let requirements = value["requirements"]
        .as_object()
        .expect("requirements object");
    assert_eq!(
        requirements.keys().collect::<Vec<_>>(),
        evaluation.requirements.keys().collect::<Vec<_>>(),
        "requirements keys"
    );
    for (key, entry) in requirements {
        let outstanding = &evaluation.requirements[key];
        assert_eq!(entry["status"], outstanding.status.as_str(), "{key}.status");
        let impact: Vec<&str> = entry["impact"]
            .as_array()
            .expect("impact array")
            .iter()
            .map(|v| v.as_str().expect("impact entry string"))
            .collect();
        assert_eq!(impact, outstanding.impact, "{key}.impact");
        match (&entry.get("deadline"), outstanding.deadline) {
            (None, None) => {}
            (Some(Value::String(text)), Some(deadline)) => {
                assert_eq!(text, &deadline.to_string(), "{key}.deadline")
            }
            (shown, deadline) => panic!("{key}.deadline: {shown:?} vs {deadline:?}"),
        }
        if let Some(errors) = entry.get("errors") {
            for error in errors.as_array().expect("errors array") {
                let path = error["path"].as_str().expect("error path");
                assert!(
                    is_json_pointer(path),
                    "error path {path:?} is a JSON pointer"
                );
                assert!(error["code"].is_string(), "error code");
            }
        }
    }
    let allowed: Vec<&str> = value["allowed"]
        .as_array()
        .expect("allowed array")
        .iter()
        .map(|v| v.as_str().expect("allowed entry string"))
        .collect();
    assert_eq!(allowed, evaluation.allowed, "allowed");
    let waiting = value["waitingOn"].as_object().expect("waitingOn object");
    assert_eq!(
        waiting.keys().collect::<Vec<_>>(),
        evaluation.waiting_on.keys().collect::<Vec<_>>(),
        "waitingOn keys"
    );
    for (name, entry) in waiting {
        let expected = &evaluation.waiting_on[name];
        assert_eq!(
            entry["provider"],
            Value::Bool(expected.provider),
            "{name}.provider"
        );
        assert_eq!(
            entry["requirements"],
            Value::from(expected.requirements.clone()),
            "{name}.requirements"
        );
        assert_eq!(
            entry["capabilities"],
            Value::from(expected.capabilities.clone()),
            "{name}.capabilities"
        );
    }
    match (&value["nextTransitionAt"], evaluation.next_transition_at) {
        (Value::Null, None) => {}
        (Value::String(text), Some(next)) => {
            assert_eq!(Timestamp::parse(text).ok(), Some(next), "nextTransitionAt");
        }
        (shown, next) => panic!("nextTransitionAt: {shown} vs {next:?}"),
    }
    assert_eq!(value["at"], at.to_string(), "at");
    assert_eq!(value["ruleset"]["id"], rules.id(), "ruleset.id");
    assert_eq!(
        value["ruleset"]["version"],
        rules.version(),
        "ruleset.version"
    );
    assert_eq!(value["ruleset"]["hash"], rules.hash(), "ruleset.hash");
    assert_eq!(
        value["warnings"],
        Value::from(evaluation.warnings.clone()),
        "warnings"
    );
    for warning in &evaluation.warnings {
        assert!(
            !warning.contains('\n'),
            "a warning is one line: {warning:?}"
        );
    }
}

/// The capability entry of the raw input: (requested is `true`, the provider status).
fn raw_capability<'a>(raw: &'a Value, name: &str) -> (bool, Option<&'a str>) {
    match raw.get("capabilities").and_then(|c| c.get(name)) {
        Some(Value::Object(entry)) => (
            entry.get("requested") == Some(&Value::Bool(true)),
            entry.get("status").and_then(Value::as_str),
        ),
        _ => (false, None),
    }
}

/// The README's semantics, checked against the raw input.
fn check_semantics(rules: &RuleSet, raw: &Value, evaluation: &Evaluation, at: Timestamp) {
    let mut live = BTreeSet::new();
    for name in rules.capability_names() {
        let state = evaluation.capabilities[name];
        let (requested, status) = raw_capability(raw, name);
        assert_eq!(
            state.requested, requested,
            "{name}: requested as in the input"
        );
        if status == Some("inactive") {
            // (b) inactive is terminal.
            assert_eq!(state.status, CapabilityStatus::Inactive, "(b) {name}");
        } else if !requested {
            // (c) not requested: unrequested, never allowed.
            assert_eq!(state.status, CapabilityStatus::Unrequested, "(c) {name}");
        } else {
            live.insert(name);
            assert!(
                matches!(
                    state.status,
                    CapabilityStatus::Pending | CapabilityStatus::Active
                ),
                "{name}: a live capability is pending or active"
            );
            // (g) fail-closed: never active unless the provider reported it active.
            if state.status == CapabilityStatus::Active {
                assert_eq!(
                    status,
                    Some("active"),
                    "(g) {name} active without the provider"
                );
            }
        }
        // waitingOn has an entry per pending capability.
        let waiting = evaluation.waiting_on.get(name);
        assert_eq!(
            waiting.is_some(),
            state.status == CapabilityStatus::Pending,
            "waitingOn entry of {name} ({:?})",
            state.status
        );
        if let Some(waiting) = waiting {
            assert_eq!(
                waiting.provider,
                status != Some("active"),
                "{name}: waitingOn.provider"
            );
            assert!(
                waiting.provider
                    || !waiting.requirements.is_empty()
                    || !waiting.capabilities.is_empty(),
                "{name} is pending for no reason"
            );
            for dependency in &waiting.capabilities {
                assert_ne!(
                    evaluation.capabilities.get(dependency).map(|s| s.status),
                    Some(CapabilityStatus::Active),
                    "{name} waits on {dependency}, which is active"
                );
                assert!(
                    evaluation.capabilities.contains_key(dependency),
                    "{name} waits on unknown {dependency}"
                );
            }
            let blocking: Vec<&str> = evaluation
                .requirements
                .iter()
                .filter(|(_, o)| o.blocking && o.impact.iter().any(|c| c == name))
                .map(|(key, _)| key.as_str())
                .collect();
            assert_eq!(
                waiting.requirements, blocking,
                "{name}: waitingOn.requirements are the blocking requirements naming it"
            );
        }
    }
    // (h) allowed: the active capabilities, sorted.
    let active: Vec<&str> = evaluation
        .capabilities
        .iter()
        .filter(|(_, s)| s.status == CapabilityStatus::Active)
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(evaluation.allowed, active, "(h) allowed = active");
    for name in &evaluation.allowed {
        let (requested, status) = raw_capability(raw, name);
        assert!(requested && status == Some("active"), "(g) {name} allowed");
    }
    // (f) outstanding requirements.
    for (key, outstanding) in &evaluation.requirements {
        assert!(
            outstanding.impact.is_sorted() && outstanding.impact.windows(2).all(|w| w[0] != w[1]),
            "{key}: impact sorted and unique"
        );
        for name in &outstanding.impact {
            assert!(
                live.contains(name.as_str()),
                "(f) {key}: impact {name} is not live"
            );
            if outstanding.blocking {
                assert!(
                    !evaluation.allowed.contains(name),
                    "(g) {name} is allowed while blocking {key} names it"
                );
            }
        }
        match outstanding.status {
            RequirementStatus::PastDue
            | RequirementStatus::Rejected
            | RequirementStatus::Pending => {
                assert!(
                    outstanding.blocking,
                    "{key}: {:?} blocks",
                    outstanding.status
                );
            }
            RequirementStatus::EventuallyDue => {
                assert!(!outstanding.blocking, "{key}: eventually_due never blocks");
            }
            RequirementStatus::Due => {
                if outstanding.deadline.is_none() {
                    assert!(outstanding.blocking, "{key}: due without a deadline blocks");
                }
                // (e) A due item whose deadline has passed is past_due. (A deadline the
                // provider reported on an item of another status is shown as is: the entry
                // may then be `due`, from the snapshot's own data, with that past deadline.)
                let provider_status = raw
                    .get("requirements")
                    .and_then(|listed| listed.get(key))
                    .and_then(|entry| entry.get("status"))
                    .and_then(Value::as_str);
                if outstanding.deadline.is_some_and(|d| d <= at)
                    && matches!(provider_status, None | Some("due"))
                {
                    panic!("(e) {key}: due with a deadline at or before `at` is past_due");
                }
            }
        }
        for error in &outstanding.errors {
            assert!(
                is_json_pointer(&error.path),
                "{key}: error path {:?}",
                error.path
            );
        }
    }
    // (d) nothing the provider lists is dropped, and its impact on live capabilities is kept.
    if let Some(Value::Object(listed)) = raw.get("requirements") {
        for (key, entry) in listed {
            let Value::Object(entry) = entry else {
                continue;
            };
            let outstanding = evaluation
                .requirements
                .get(key)
                .unwrap_or_else(|| panic!("(d) provider-listed {key} dropped"));
            if let Some(Value::Array(impact)) = entry.get("impact") {
                for name in impact.iter().filter_map(Value::as_str) {
                    if live.contains(name) {
                        assert!(
                            outstanding.impact.iter().any(|c| c == name),
                            "(f) {key}: provider impact {name} dropped"
                        );
                    }
                }
            }
        }
    }
    // (i) the next transition is after `at`.
    if let Some(next) = evaluation.next_transition_at {
        assert!(next > at, "(i) nextTransitionAt {next} is not after {at}");
    }
    assert_eq!(evaluation.at, at);
    assert_eq!(evaluation.ruleset.hash, rules.hash());
}

/// The capabilities each operation needs, read off the explanation of an empty snapshot
/// (cached per ruleset hash: explaining is the costly part of a check).
fn operation_capabilities(rules: &RuleSet) -> Arc<BTreeMap<String, Vec<String>>> {
    static CACHE: Mutex<BTreeMap<String, Arc<BTreeMap<String, Vec<String>>>>> =
        Mutex::new(BTreeMap::new());
    let mut cache = CACHE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(found) = cache.get(rules.hash()) {
        return Arc::clone(found);
    }
    let empty = Snapshot::from_json("{}").expect("{} parses");
    let mut map = BTreeMap::new();
    for operation in rules.operation_names() {
        let explanation = rules
            .explain(&empty, Target::Operation(operation), base_at())
            .unwrap_or_else(|err| panic!("explain({operation}): {err}"));
        let mut capabilities: Vec<String> = explanation
            .tree
            .children
            .iter()
            .filter(|node| node.kind == NodeKind::Capability)
            .map(|node| node.name.clone())
            .collect();
        capabilities.sort_unstable();
        map.insert(operation.to_owned(), capabilities);
    }
    if cache.len() >= 64 {
        cache.clear();
    }
    let map = Arc::new(map);
    cache.insert(rules.hash().to_owned(), Arc::clone(&map));
    map
}

/// A cheap, stable choice among `n` from the input text (FNV-1a).
fn choose(text: &str, n: usize) -> usize {
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    usize::try_from(hash % n.max(1) as u64).unwrap_or(0)
}

/// Every operation: `check`, `allows` and `EvaluationRef::allows` agree, an allow needs every
/// capability of the operation, a denial says why as documented. One operation, chosen from
/// the input, is also explained (the explanation's verdict is the decision's) and checked
/// through `wire`. Returns the JSON outputs.
fn check_operations(
    rules: &RuleSet,
    text: &str,
    snapshot: &Snapshot,
    at: Timestamp,
    evaluation: &Evaluation,
) -> Vec<String> {
    let at_text = at.to_string();
    let borrowed = rules.evaluate_ref(snapshot, at);
    let needs = operation_capabilities(rules);
    let chosen = choose(text, needs.len());
    let mut outputs = Vec::new();
    for (index, operation) in rules.operation_names().enumerate() {
        let decision = rules
            .check(snapshot, operation, at)
            .unwrap_or_else(|err| panic!("check({operation}) of a known operation: {err}"));
        assert_eq!(decision.operation, operation);
        assert_eq!(decision.at, at);
        assert_eq!(
            rules.allows(evaluation, snapshot, operation).ok(),
            Some(decision.allowed),
            "RuleSet::allows({operation}) != check"
        );
        assert_eq!(
            borrowed.allows(operation).ok(),
            Some(decision.allowed),
            "EvaluationRef::allows({operation}) != check"
        );
        let capabilities = needs
            .get(operation)
            .unwrap_or_else(|| panic!("operation {operation} not cached"));
        let not_active: Vec<&str> = capabilities
            .iter()
            .map(String::as_str)
            .filter(|name| !evaluation.allowed.iter().any(|a| a == name))
            .collect();
        if decision.allowed {
            assert!(
                not_active.is_empty(),
                "{operation} allowed while {not_active:?} are not active"
            );
            assert!(
                decision.error_type.is_none(),
                "{operation}: allowed with an error type"
            );
            assert!(decision.unauthorized_capabilities.is_empty());
            assert!(decision.invalid_context.is_empty());
        } else if not_active.is_empty() {
            assert_eq!(
                decision.error_type,
                Some(DenialType::InvalidRequest),
                "{operation}: denied with every capability active"
            );
            assert!(
                !decision.invalid_context.is_empty(),
                "{operation}: denied for nothing"
            );
        } else {
            assert_eq!(
                decision.error_type,
                Some(DenialType::CustomerNotAuthorized),
                "{operation}: a capability is not active"
            );
            assert_eq!(
                decision.unauthorized_capabilities, not_active,
                "{operation}: unauthorizedCapabilities"
            );
        }
        for problem in &decision.invalid_context {
            assert!(is_json_pointer(&problem.path), "{operation}: context path");
        }
        let json = wire::decision_to_json(&decision);
        let parsed: Value = serde_json::from_str(&json).expect("decision JSON");
        assert_eq!(parsed["allowed"], Value::Bool(decision.allowed));
        assert_eq!(parsed["operation"], operation);
        outputs.push(json);
        if index != chosen {
            continue;
        }

        let explanation = rules
            .explain(snapshot, Target::Operation(operation), at)
            .unwrap_or_else(|err| panic!("explain({operation}): {err}"));
        let mut explained: Vec<&str> = explanation
            .tree
            .children
            .iter()
            .filter(|node| node.kind == NodeKind::Capability)
            .map(|node| node.name.as_str())
            .collect();
        explained.sort_unstable();
        assert_eq!(
            explained, *capabilities,
            "{operation}: capabilities of the explanation"
        );
        assert_eq!(
            explanation.tree.state == NodeState::Met,
            decision.allowed,
            "{operation}: the explanation's verdict differs from check"
        );
        assert_eq!(
            wire::check_json(rules, text, operation, &at_text)
                .ok()
                .as_deref(),
            outputs.last().map(String::as_str),
            "wire::check_json({operation})"
        );
        let compact =
            wire::check_json_compact(rules, text, operation, &at_text).expect("check_json_compact");
        assert!(!compact.contains('\n'));
        let compact_value: Value = serde_json::from_str(&compact).expect("compact decision JSON");
        assert_eq!(
            compact_value, parsed,
            "{operation}: compact and pretty decisions differ"
        );
        outputs.push(wire::explanation_to_json(&explanation));
    }
    let unknown = "\u{1}no such operation";
    let err = rules
        .check(snapshot, unknown, at)
        .expect_err("an unknown operation is an error");
    assert_eq!(err.code().as_str(), "CG301");
    assert!(
        borrowed.allows(unknown).is_err(),
        "unknown operation allowed"
    );
    assert!(
        rules.allows(evaluation, snapshot, unknown).is_err(),
        "unknown operation allowed"
    );
    outputs
}

/// (i) Nothing changes between `at` and `nextTransitionAt` (or ever, when it is `null`) by
/// the passage of time alone, unless a sensitive field holds a future date.
fn check_stable_until_next_transition(
    rules: &RuleSet,
    snapshot: &Snapshot,
    at: Timestamp,
    evaluation: &Evaluation,
) {
    // A future date in a sensitive field (a date of birth) schedules nothing, by design
    // (README (i)): the result may change at it unannounced.
    let sensitive = rules.sensitive_paths();
    let unannounced = evaluation.requirements.values().any(|outstanding| {
        outstanding.errors.iter().any(|error| {
            error.code == "date_in_future"
                && sensitive.iter().any(|path| {
                    error.path == *path
                        || error
                            .path
                            .strip_prefix(path.as_str())
                            .is_some_and(|rest| rest.starts_with('/'))
                })
        })
    });
    if unannounced {
        return;
    }
    let later_seconds = match evaluation.next_transition_at {
        Some(next) => {
            let gap = next.unix_seconds().saturating_sub(at.unix_seconds()) / 2;
            if gap < 1 {
                return;
            }
            at.unix_seconds() + gap
        }
        None => at.unix_seconds().saturating_add(400 * 86_400),
    };
    let later = Timestamp::from_unix_seconds(later_seconds);
    if later <= at {
        return;
    }
    let mut again = rules.evaluate(snapshot, later);
    assert_eq!(again.at, later);
    again.at = at;
    assert_eq!(
        &again, evaluation,
        "(i) the result changed at {later}, before nextTransitionAt {:?} (at {at})",
        evaluation.next_transition_at
    );
}

/// Every string in a JSON value (keys included when `keys`), into `out`.
fn strings(value: &Value, keys: bool, out: &mut Vec<String>) {
    match value {
        Value::String(text) => out.push(text.clone()),
        Value::Array(items) => items.iter().for_each(|item| strings(item, keys, out)),
        Value::Object(map) => {
            for (key, item) in map {
                if keys {
                    out.push(key.clone());
                }
                strings(item, keys, out);
            }
        }
        _ => {}
    }
}

/// Object keys anywhere in a JSON value.
fn all_keys(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Array(items) => items.iter().for_each(|item| all_keys(item, out)),
        Value::Object(map) => {
            for (key, item) in map {
                out.push(key.clone());
                all_keys(item, out);
            }
        }
        _ => {}
    }
}

/// Fixed words of the outputs: `Debug` shapes and enum names.
const FIXED_WORDS: [&str; 20] = [
    "<string>",
    "<number>",
    "<boolean>",
    "null",
    "true",
    "false",
    "Snapshot",
    "EvaluationRef",
    "Timestamp",
    "Unrequested",
    "Pending",
    "Active",
    "Inactive",
    "EventuallyDue",
    "Due",
    "Rejected",
    "PastDue",
    "provider_requirements",
    "outstanding",
    "capabilities",
];

/// Output keys whose values are engine enumerations (codes, statuses, actions), never input.
const ENUM_KEYS: [&str; 9] = [
    "code",
    "status",
    "action",
    "kind",
    "state",
    "resolvedBy",
    "errorType",
    "class",
    "change",
];

/// Every string of an output for the leak check: JSON strings and keys (values under
/// [`ENUM_KEYS`] apart, into `enums`), or the whole text when it is not JSON (`Debug`).
fn output_tokens(output: &str, tokens: &mut Vec<String>, enums: &mut Vec<String>) {
    fn walk(value: &Value, tokens: &mut Vec<String>, enums: &mut Vec<String>) {
        match value {
            Value::String(text) => tokens.push(text.clone()),
            Value::Array(items) => items.iter().for_each(|item| walk(item, tokens, enums)),
            Value::Object(map) => {
                for (key, item) in map {
                    tokens.push(key.clone());
                    match item {
                        Value::String(text) if ENUM_KEYS.contains(&key.as_str()) => {
                            enums.push(text.clone());
                        }
                        _ => walk(item, tokens, enums),
                    }
                }
            }
            _ => {}
        }
    }
    match serde_json::from_str::<Value>(output) {
        Ok(value) => walk(&value, tokens, enums),
        Err(_) => tokens.push(output.to_owned()),
    }
}

/// The outputs [`check_evaluation`] sweeps, for a snapshot: the evaluation (pretty), every
/// decision and explanation, and the `Debug` of the snapshot and the evaluation.
fn all_outputs(rules: &RuleSet, snapshot: &Snapshot, at: Timestamp) -> Vec<String> {
    let evaluation = rules.evaluate(snapshot, at);
    let mut outputs = vec![
        wire::end_user_to_json(&EndUserView::new(rules, &evaluation)),
        wire::evaluation_to_json(&evaluation),
        format!("{snapshot:?}"),
        format!("{:?}", rules.evaluate_ref(snapshot, at)),
    ];
    for operation in rules.operation_names() {
        if let Ok(decision) = rules.check(snapshot, operation, at) {
            outputs.push(wire::decision_to_json(&decision));
        }
        if let Ok(explanation) = rules.explain(snapshot, Target::Operation(operation), at) {
            outputs.push(wire::explanation_to_json(&explanation));
        }
    }
    outputs
}

/// No string value found at a sensitive path of the input (`RuleSet::sensitive_paths`) appears
/// in the outputs, unless the value also occurs in the outputs' own vocabulary: names, keys,
/// enumerations, the input's other values, timestamps, and the outputs for the same input
/// with the sensitive values removed.
fn check_no_sensitive_values(rules: &RuleSet, raw: &Value, at: Timestamp, outputs: &[String]) {
    let paths = rules.sensitive_paths();
    let mut secrets = Vec::new();
    let mut redacted = raw.clone();
    for path in &paths {
        if let Some(value) = raw.pointer(path) {
            strings(value, false, &mut secrets);
        }
        if let Some(slot) = redacted.pointer_mut(path) {
            *slot = Value::Null;
        }
    }
    secrets.retain(|s| s.chars().count() >= 4);
    // Cheap first: a value in no output text, raw or JSON-escaped, is in no output string.
    secrets.retain(|secret| {
        let escaped = serde_json::to_string(secret).unwrap_or_default();
        let escaped = escaped
            .strip_prefix('"')
            .and_then(|e| e.strip_suffix('"'))
            .unwrap_or(&escaped);
        outputs
            .iter()
            .any(|output| output.contains(secret.as_str()) || output.contains(escaped))
    });
    if secrets.is_empty() {
        return;
    }

    let mut tokens = Vec::new();
    let mut vocabulary: Vec<String> = Vec::new();
    for output in outputs {
        output_tokens(output, &mut tokens, &mut vocabulary);
    }
    // Timestamps are printed by the engine (a future date of birth is a documented
    // transition time).
    tokens.retain(|token| Timestamp::parse(token).is_err());
    secrets.retain(|secret| tokens.iter().any(|token| token.contains(secret.as_str())));
    if secrets.is_empty() {
        return;
    }

    // Found: unless the value is also in what the outputs may legitimately contain. The
    // cheap vocabulary first, then the outputs for the input without its sensitive values.
    strings(&redacted, true, &mut vocabulary);
    all_keys(raw, &mut vocabulary);
    vocabulary.extend(rules.capability_names().map(str::to_owned));
    vocabulary.extend(rules.requirement_keys().map(str::to_owned));
    vocabulary.extend(rules.operation_names().map(str::to_owned));
    vocabulary.extend(paths.iter().cloned());
    vocabulary.extend([rules.id(), rules.version(), rules.hash()].map(str::to_owned));
    vocabulary.extend(FIXED_WORDS.map(str::to_owned));
    secrets.retain(|secret| !vocabulary.iter().any(|word| word.contains(secret.as_str())));
    if secrets.is_empty() {
        return;
    }
    if let Ok(snapshot) = Snapshot::from_json(&redacted.to_string()) {
        let mut redacted_tokens = Vec::new();
        for output in all_outputs(rules, &snapshot, at) {
            output_tokens(&output, &mut redacted_tokens, &mut vocabulary);
        }
        vocabulary.extend(redacted_tokens);
    }
    for secret in &secrets {
        if vocabulary.iter().any(|word| word.contains(secret.as_str())) {
            continue;
        }
        let token = tokens.iter().find(|token| token.contains(secret.as_str()));
        panic!("sensitive value {secret:?} appears in an output: {token:?}");
    }
}

/// A JSON pointer: empty, or `/`-separated segments with `~` only in `~0` and `~1`.
pub fn is_json_pointer(path: &str) -> bool {
    if path.is_empty() {
        return true;
    }
    if !path.starts_with('/') {
        return false;
    }
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
            return false;
        }
    }
    true
}

/// serde_json's syntax phrases, which the parser reports as `invalid JSON: <phrase>`.
const SYNTAX_PHRASES: [&str; 22] = [
    "EOF while parsing a list",
    "EOF while parsing an object",
    "EOF while parsing a string",
    "EOF while parsing a value",
    "expected `:`",
    "expected `,` or `]`",
    "expected `,` or `}`",
    "expected ident",
    "expected value",
    "expected `\"`",
    "invalid escape",
    "invalid number",
    "number out of range",
    "invalid unicode code point",
    "control character (\\u0000-\\u001F) found while parsing a string",
    "key must be a string",
    "lone leading surrogate in hex escape",
    "trailing comma",
    "trailing characters",
    "unexpected end of hex escape",
    "recursion limit exceeded",
    "invalid value: expected key to be a number in quotes",
];

/// The engine's message templates: values never appear in messages, but fixed text does.
const TEMPLATE_SOURCES: [&str; 3] = [
    include_str!("../../src/json.rs"),
    include_str!("../../src/snapshot.rs"),
    include_str!("../../src/time.rs"),
];

/// Checks a snapshot parse error for `text`: a snapshot code, a JSON pointer that leads to
/// the problem in the input, a position for syntax errors, a one-line message that repeats
/// no string value of the input, the same error from `wire`, and its JSON parses.
pub fn check_snapshot_error(text: &str, error: &SnapshotError) {
    let code = error.code().as_str();
    let number: u32 = code
        .strip_prefix("CG2")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("snapshot error code {code} is not CG2xx"));
    assert!((1..=99).contains(&number), "snapshot error code {code}");
    let path = error.path();
    assert!(is_json_pointer(path), "path {path:?} is not a JSON pointer");
    let message = error.message();
    assert!(
        !message.is_empty() && !message.contains('\n'),
        "message {message:?}"
    );

    match (error.line(), error.column()) {
        (Some(line), Some(column)) => {
            // 1-based; the column counts bytes (serde_json's), not characters as rule
            // files' columns do.
            assert!(line >= 1 && column >= 1, "position {line}:{column}");
            let text = text.strip_prefix('\u{feff}').unwrap_or(text);
            let length = text
                .split('\n')
                .nth(line - 1)
                .map(str::len)
                .unwrap_or_else(|| panic!("line {line} beyond the text"));
            assert!(
                column <= length + 1,
                "column {column} beyond line {line} ({length} bytes)"
            );
        }
        (None, None) => {}
        (line, column) => panic!("half a position: {line:?} {column:?}"),
    }

    let raw = raw_json(text);
    if code == "CG201" {
        if let Some(phrase) = message.strip_prefix("invalid JSON: ") {
            assert!(
                SYNTAX_PHRASES.contains(&phrase),
                "syntax message {message:?} is not a fixed phrase"
            );
        } else {
            assert_eq!(message, "unexpected end of input", "syntax message");
        }
    }
    if let Some(raw) = &raw {
        // The pointer leads to the problem: the value itself (wrong type, bad timestamp) or,
        // for a missing field, its parent. (Not for a duplicate key: serde_json keeps the
        // last of duplicates, so an earlier duplicate's path may not exist in `raw`.)
        match code {
            "CG202" | "CG204" => {
                assert!(
                    raw.pointer(path).is_some(),
                    "{code}: {path:?} not in the input"
                )
            }
            "CG206" => {
                let parent = path.rsplit_once('/').map_or("", |(parent, _)| parent);
                assert!(
                    raw.pointer(parent).is_some(),
                    "{code}: parent of {path:?} not in the input"
                );
            }
            _ => {}
        }
        let mut keys = Vec::new();
        all_keys(raw, &mut keys);
        let mut values = Vec::new();
        strings(raw, false, &mut values);
        for value in values {
            if value.chars().count() <= 5
                || keys.iter().any(|key| key.contains(value.as_str()))
                || TEMPLATE_SOURCES
                    .iter()
                    .any(|source| source.contains(value.as_str()))
            {
                continue;
            }
            assert!(
                !message.contains(value.as_str()),
                "the message {message:?} repeats the input value {value:?}"
            );
        }
    } else {
        // A wrong type, a bad timestamp or a missing field is found only in a complete
        // document: text serde_json rejects gets a syntax, duplicate-key or limit error.
        assert!(
            !matches!(code, "CG202" | "CG204" | "CG206"),
            "{code} at {path:?} for text that is not JSON"
        );
    }

    let wire_error = WireError::from(error);
    let json: Value = serde_json::from_str(&wire_error.to_json()).expect("WireError JSON");
    assert_eq!(json["code"], code);
    assert_eq!(json["path"], path);
    let rules = RuleSet::builtin();
    let via_wire = wire::evaluate_json(&rules, text, "2026-11-22T12:00:00Z")
        .expect_err("wire accepts what Snapshot::from_json rejects");
    assert_eq!(via_wire, wire_error, "wire's error differs");
}

/// (line, column) of a byte offset, 1-based, columns in characters.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |idx| idx + 1);
    (line, before[start..].chars().count() + 1)
}

/// Checks load errors for `sources`: every error is a CG1xx code, located in one of the
/// sources at a span on character boundaries whose start is its line and column, with a
/// one-line message; the errors are sorted by source and position; `lint` reports the same;
/// the wire error lists them all and its JSON parses.
pub fn check_load_errors(sources: &[Source<'_>], errors: &LoadErrors) {
    let list = errors.errors();
    assert!(!list.is_empty(), "a failed load reports no error");
    let mut previous: Option<(usize, usize)> = None;
    for error in list {
        let code = error.code().as_str();
        assert!(
            code.len() == 5 && code.starts_with("CG1") && code[3..].parse::<u32>().is_ok(),
            "load error code {code}"
        );
        let index = sources
            .iter()
            .position(|s| s.name == error.source_name())
            .unwrap_or_else(|| panic!("error in unknown source {:?}", error.source_name()));
        let text = sources[index].text;
        let span = error.span();
        assert!(
            span.start <= span.end && span.end <= text.len(),
            "{code}: span {span:?} outside the text ({} bytes)",
            text.len()
        );
        assert!(
            text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
            "{code}: span {span:?} not on character boundaries"
        );
        assert_eq!(
            (error.line(), error.column()),
            line_column(text, span.start),
            "{code}: line and column of span {span:?}"
        );
        let message = error.message();
        assert!(
            !message.is_empty() && !message.contains('\n'),
            "{code}: message {message:?}"
        );
        if let Some(help) = error.help() {
            assert!(!help.contains('\n'), "{code}: help {help:?}");
        }
        let position = (index, span.start);
        if let Some(previous) = previous {
            assert!(
                previous <= position,
                "errors not sorted by source and position: {previous:?} then {position:?}"
            );
        }
        previous = Some(position);
    }
    assert_eq!(
        RuleSet::lint(sources),
        list,
        "lint differs from from_sources"
    );
    let wire_error = WireError::from(errors);
    let json: Value = serde_json::from_str(&wire_error.to_json()).expect("WireError JSON");
    assert_eq!(json["code"], list[0].code().as_str());
    let listed = json
        .get("errors")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    assert_eq!(listed, list.len(), "wire error lists every problem");
}

/// Checks a ruleset that loaded: sorted, unique names within bounds, a well-formed hash, no
/// changes when diffed with itself (the sources are those `rules` was loaded from).
pub fn check_ruleset(sources: &[Source<'_>], rules: &RuleSet) {
    assert!(!sources.is_empty());
    let capabilities: Vec<&str> = rules.capability_names().collect();
    assert!(capabilities.len() <= capgate::MAX_CAPABILITIES);
    assert!(
        capabilities.windows(2).all(|w| w[0] < w[1]),
        "capability names sorted"
    );
    let keys: Vec<&str> = rules.requirement_keys().collect();
    assert!(
        keys.windows(2).all(|w| w[0] < w[1]),
        "requirement keys sorted"
    );
    let operations: Vec<&str> = rules.operation_names().collect();
    assert!(
        operations.windows(2).all(|w| w[0] < w[1]),
        "operation names sorted"
    );
    let sensitive = rules.sensitive_paths();
    assert!(
        sensitive.windows(2).all(|w| w[0] < w[1]),
        "sensitive paths sorted"
    );
    assert!(
        sensitive
            .iter()
            .all(|p| is_json_pointer(p) && !p.is_empty())
    );
    let hash = rules.hash();
    assert!(
        hash.len() == 71
            && hash.starts_with("sha256:")
            && hash[7..]
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
        "hash {hash}"
    );
    let diff = rules.diff(rules);
    assert!(
        diff.is_empty(),
        "a ruleset diffed with itself changes: {:?}",
        diff.changes
    );
}

/// Evaluates two of the fixed snapshots (chosen from `seed`) under `rules` at the base time,
/// with every check of [`check_evaluation`].
pub fn check_fixed_snapshots(rules: &RuleSet, seed: &str) {
    let first = choose(seed, FIXED_SNAPSHOTS.len());
    for index in [first, (first + 3) % FIXED_SNAPSHOTS.len()] {
        let text = FIXED_SNAPSHOTS[index];
        let snapshot = Snapshot::from_json(text).expect("fixed snapshot parses");
        check_evaluation(rules, text, &snapshot, base_at());
    }
}

/// A policy on top of the builtin rules only adds: the builtin capabilities, requirements and
/// operations remain, nothing is looser in the rule diff, and no snapshot gains a capability
/// or an operation.
pub fn check_policy_only_adds(builtin: &RuleSet, combined: &RuleSet) {
    for name in builtin.capability_names() {
        assert!(
            combined.capability_names().any(|c| c == name),
            "policy removed {name}"
        );
    }
    for name in builtin.operation_names() {
        assert!(
            combined.operation_names().any(|c| c == name),
            "policy removed {name}"
        );
    }
    let diff = builtin.diff(combined);
    assert_eq!(
        diff.count(capgate::ChangeClass::Looser),
        0,
        "a policy made the rules looser: {:?}",
        diff.changes
    );
    for text in FIXED_SNAPSHOTS {
        let snapshot = Snapshot::from_json(text).expect("fixed snapshot parses");
        let before = builtin.evaluate(&snapshot, base_at());
        let after = combined.evaluate(&snapshot, base_at());
        for name in &after.allowed {
            if builtin.capability_names().any(|c| c == name) {
                assert!(
                    before.allowed.contains(name),
                    "a policy granted {name}, which the builtin rules deny"
                );
            }
        }
        for operation in builtin.operation_names() {
            let was = builtin.allows(&before, &snapshot, operation).ok();
            let is = combined.allows(&after, &snapshot, operation).ok();
            assert!(
                !(is == Some(true) && was != Some(true)),
                "a policy allowed {operation}"
            );
        }
    }
}
