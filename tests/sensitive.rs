//! Canaries: sensitive snapshot values never appear in any output, error, `Debug` or
//! `Display` of the public API, on the happy path and on every error path.
//!
//! Every snapshot below carries unique canary values (an SSN, its last four digits, dates of
//! birth, and fields a test policy marks `sensitive = true`) in valid and invalid formats, as
//! wrong JSON types, under duplicated keys, right before a syntax error, in truncated
//! documents and in unknown fields. Each is pushed through every public entry point, under
//! the default rules and under the default rules plus [`POLICY`], and every text the API
//! hands back is searched for every canary ([`needles`]).
//!
//! # Coverage of the public API (`src/lib.rs`)
//!
//! [`the_sweep_covers_the_whole_public_api`] reads `src/lib.rs`, `src/wire.rs`,
//! `src/ruleset.rs`, `src/snapshot.rs` and `src/evaluation_ref.rs` and fails when a
//! re-export or public function is in neither [`COVERED`] nor [`NOT_APPLICABLE`], so a new
//! public item cannot skip the sweep.
//!
//! Covered (`Debug` and `{:#?}` everywhere; `Display` where implemented; every JSON text):
//! - `Snapshot` (`from_json`, `from_json_with`, `customer_id`, `has_provider_requirements`),
//!   `SnapshotError` (`Display`, `message`, `path`), `Limits` (tight limits give CG205,
//!   CG207, CG208 on canary-bearing text).
//! - `RuleSet`: `builtin`, `builtin_checked`, `from_toml`, `from_sources`, `lint`,
//!   `with_limits`, `limits`, `evaluate`, `evaluate_ref`, `check`, `allows`, `explain`,
//!   `run_tests`, `diff`, `id`, `version`, `hash`, `capability_names`, `requirement_keys`,
//!   `operation_names`, `sensitive_paths`.
//! - `Evaluation` and its parts (`CapabilityState`, `CapabilityStatus`, `Outstanding`,
//!   `RequirementStatus`, `FieldError`, `TosVersion`, `WaitingOn`, `RulesetStamp`,
//!   `Resolver`), `Decision` (`DenialType`, `ContextProblem`), `CheckError` (`Display`).
//! - `EvaluationRef`: every accessor (`status`, `is_allowed`, `capabilities`, `allowed`,
//!   `outstanding`, `requirement`, `impact`, `blocking`, `allows`, `next_transition_at`, `at`,
//!   `to_evaluation`, `to_json` compact and pretty).
//! - `Explanation` (`Target`, `Node`, `NodeKind`, `NodeState`, `UnlockPlan`, `Step`,
//!   `StepAction`), for every capability and operation, and unknown ones.
//! - `changes` (`ChangeEvent`, `CapabilityChange`, `RequirementChange`,
//!   `RequirementChangeStatus`) between a clean snapshot and each canary snapshot, both ways.
//! - `RuleTestReport` (`RuleTestResult`, `Coverage`, `CoverageItem`) from rule test files
//!   embedding each canary snapshot with expectations that all fail; `LoadErrors` and
//!   `LoadError` (`Display`, `message`, `help`, `source_name`) from broken test files
//!   holding canaries; `ErrorCode` (`Display`).
//! - `EndUserView` (`UserCapability`, `UserState`, `Task`, `TaskAction`, `UserTosVersion`)
//!   of every evaluation.
//! - `RuleDiff`, `RuleChange` (`Display`), `ChangeClass`, `SubjectKind`: the diff between the
//!   default rules and the sensitive policy, both ways.
//! - `Timestamp`, `TimestampError` (`Display`): `Timestamp::parse` and `wire::parse_at` on
//!   canary text.
//! - `wire`: `WireError` (`Display`, `to_json`, every nested error), `parse_at`, `load`,
//!   `lint_json`, `evaluate_json`, `evaluate_json_compact`, `check_json`,
//!   `check_json_compact`, `evaluation_to_json`, `decision_to_json`, `changes_json`,
//!   `changes_to_json`, `explain_json` (both target kinds and a bad one),
//!   `explanation_to_json`, `diff_json`, `diff_to_json`, `rule_tests_to_json`,
//!   `end_user_json`, `end_user_json_compact`, `end_user_to_json`; each snapshot-taking one
//!   also under tight `Limits` (`RuleSet::with_limits`).
//!
//! Out of scope by design: object keys (a `Snapshot`'s `Debug` shows its shape, keys
//! included; JSON pointers name keys), `customerId` (echoed in change events and by
//! `capgate eval --format human`), the provider's own `impact`, `tosVersions` and `taxForms`
//! lists (echoed in `requirements`), and rule or test-file text written by the rule author
//! (a rule test's expected values appear in its failure messages). No canary is put there.
//!
//! Not applicable (no snapshot value can reach them), see [`NOT_APPLICABLE`]:
//! `BUILTIN_RULES`, `BUILTIN_RULES_NAME`, `MAX_CAPABILITIES` (constants), `rule_file_schema`
//! (no input), `Source` (the caller's own input text: its `Debug` is the text given),
//! `Timestamp::from_unix_seconds`/`unix_seconds` (numbers the caller gives).
//!
//! Known leak, ignored until fixed in `src/`: [`a_future_date_of_birth_is_not_echoed_as_next_transition_at`].

use std::fmt::{Debug, Display};

use capgate::wire::{self, WireError};
use capgate::{
    BUILTIN_RULES, BUILTIN_RULES_NAME, DenialType, EndUserView, Explanation, Limits, LoadErrors,
    Node, RuleSet, Snapshot, SnapshotError, Source, Target, Timestamp, changes,
};
use serde_json::{Value, json};

const AT: &str = "2026-11-22T12:00:00Z";

/// A platform policy on top of the default rules: its own fields, all `sensitive = true`,
/// with every check kind, an either/or group, a `when` condition and a request-context
/// requirement.
const POLICY: &str = r#"
[requirements.taxpayerId]
description = "Taxpayer identification number"
path = "individual.taxpayerId"
verified_by = "platform"
sensitive = true
checks = [
  { kind = "non_empty" },
  { kind = "length", max = 10 },
  { kind = "pattern", pattern = '^[0-9]{2}-[0-9]{7}$' },
]

[requirements.securityAnswer]
path = "individual.security.answer"
verified_by = "platform"
sensitive = true
optional = true
when = { path = "individual.taxpayerId", present = true }
checks = [{ kind = "one_of", values = ["blue", "green"] }]

[requirements.passportNumber]
path = "individual.passport.number"
verified_by = "platform"
sensitive = true
checks = [{ kind = "length", min = 6, max = 20 }]

[requirements.passportExpiry]
path = "individual.passport.expiry"
verified_by = "platform"
sensitive = true
checks = [{ kind = "date_parts", allow_future = true }]

[requirements.spouseDateOfBirth]
path = "individual.spouse.dateOfBirth"
verified_by = "platform"
sensitive = true
optional = true
checks = [{ kind = "date_parts" }]

[requirements.nationalId]
path = ["individual.nationalId", "nationalId"]
verified_by = "platform"
sensitive = true
checks = [{ kind = "length", min = 8, max = 12 }]

[groups.governmentId]
any_of = [["passportNumber", "passportExpiry"], ["nationalId"]]

[context.deviceIp]
path = "compliance.deviceIpAddress"
sensitive = true
checks = [{ kind = "ip_address" }]

[extend.capabilities.tradeCrypto]
requirements = ["taxpayerId", "securityAnswer", "spouseDateOfBirth"]
groups = ["governmentId"]

[extend.operations.placeCryptoTrade]
context = ["deviceIp"]
"#;

/// The canaries, as searched for in outputs. Anything spelling `canary` (any case) is one;
/// short ones (four digits) only count between non-alphanumeric characters, so a hash or a
/// longer number cannot match by accident. Dates also count as RFC 3339 days and as the Unix
/// seconds of their midnight (the `Debug` of a `Timestamp`).
fn needles() -> Vec<Needle> {
    let mut needles: Vec<Needle> = [
        ("canary", false),
        // fullSsn: valid, and its nine bare digits (invalid format, or a JSON number).
        ("873-19-4062", false),
        ("873194062", false),
        // ssnLast4: valid.
        ("4062", true),
        // dateOfBirth: valid (1931-07-23), impossible (1947-02-31), a number day (5813).
        ("1931", true),
        ("1947", true),
        ("5813", true),
        // Policy fields: taxpayerId, deviceIp, passportExpiry (valid, 2961-03-11).
        ("73-9184206", false),
        ("198.51.100.223", false),
        ("2961", true),
        // A number in an unknown field.
        ("9183746655", false),
        // Future dates of birth (the known leak): 2987-09-17, spouse 2979-06-21.
        ("2987", true),
        ("2979", true),
    ]
    .into_iter()
    .map(|(text, bounded)| Needle {
        text: text.to_owned(),
        bounded,
    })
    .collect();
    for day in [
        "1931-07-23",
        "1947-02-28",
        "2961-03-11",
        "2987-09-17",
        "2979-06-21",
    ] {
        let seconds = Timestamp::parse(&format!("{day}T00:00:00Z"))
            .unwrap()
            .unix_seconds();
        needles.push(Needle {
            text: day.to_owned(),
            bounded: false,
        });
        needles.push(Needle {
            text: seconds.to_string(),
            bounded: true,
        });
    }
    needles
}

struct Needle {
    /// Lowercase.
    text: String,
    /// Only between non-alphanumeric characters.
    bounded: bool,
}

impl Needle {
    fn found_in(&self, lowercase: &str) -> bool {
        if !self.bounded {
            return lowercase.contains(&self.text);
        }
        lowercase.match_indices(&self.text).any(|(start, _)| {
            let before = lowercase[..start].chars().next_back();
            let after = lowercase[start + self.text.len()..].chars().next();
            !before.is_some_and(|c| c.is_ascii_alphanumeric())
                && !after.is_some_and(|c| c.is_ascii_alphanumeric())
        })
    }
}

/// Collects every text the API hands back and the canaries found in it.
struct Sweep {
    needles: Vec<Needle>,
    /// Texts searched.
    texts: usize,
    /// (text, canary) pairs searched.
    checks: usize,
    leaks: Vec<String>,
}

impl Sweep {
    fn new() -> Sweep {
        Sweep {
            needles: needles(),
            texts: 0,
            checks: 0,
            leaks: Vec::new(),
        }
    }

    /// The canaries in `text`.
    fn found(&self, text: &str) -> Vec<&str> {
        let lowercase = text.to_lowercase();
        self.needles
            .iter()
            .filter(|needle| needle.found_in(&lowercase))
            .map(|needle| needle.text.as_str())
            .collect()
    }

    fn text(&mut self, what: &str, text: &str) {
        self.texts += 1;
        self.checks += self.needles.len();
        let found = self.found(text);
        if !found.is_empty() {
            let excerpt: String = text.chars().take(600).collect();
            self.leaks
                .push(format!("{what}: {found:?} in:\n{excerpt}\n"));
        }
    }

    fn debug<T: Debug + ?Sized>(&mut self, what: &str, value: &T) {
        self.text(&format!("{what} {{:?}}"), &format!("{value:?}"));
        self.text(&format!("{what} {{:#?}}"), &format!("{value:#?}"));
    }

    fn display<T: Debug + Display + ?Sized>(&mut self, what: &str, value: &T) {
        self.debug(what, value);
        self.text(&format!("{what} Display"), &value.to_string());
    }

    fn wire_error(&mut self, what: &str, error: &WireError) {
        self.display(what, error);
        self.text(&format!("{what} to_json"), &error.to_json());
        self.text(&format!("{what} message"), &error.message);
        for (idx, nested) in error.errors.iter().enumerate() {
            self.wire_error(&format!("{what} errors[{idx}]"), nested);
        }
    }

    /// A wire call: its JSON, or its error.
    fn wire(&mut self, what: &str, result: &Result<String, WireError>) {
        match result {
            Ok(json) => self.text(what, json),
            Err(error) => self.wire_error(&format!("{what} error"), error),
        }
    }

    fn load_errors(&mut self, what: &str, errors: &LoadErrors) {
        self.display(what, errors);
        for (idx, error) in errors.errors().iter().enumerate() {
            let what = format!("{what} [{idx}]");
            self.display(&what, error);
            self.display(&format!("{what} code"), &error.code());
            self.text(&format!("{what} message"), error.message());
            self.text(&format!("{what} source_name"), error.source_name());
            if let Some(help) = error.help() {
                self.text(&format!("{what} help"), help);
            }
        }
        self.wire_error(&format!("{what} as WireError"), &WireError::from(errors));
    }

    #[track_caller]
    fn assert_clean(&self) {
        assert!(
            self.leaks.is_empty(),
            "{} leak(s) in {} texts:\n{}",
            self.leaks.len(),
            self.texts,
            self.leaks.join("\n")
        );
    }
}

/// A snapshot for the sweep, and what it must do (so each error path is really taken).
struct Case {
    name: &'static str,
    text: String,
    /// The code `Snapshot::from_json` fails with, or `None` when it parses.
    parse_error: Option<&'static str>,
    /// Under the default rules plus the policy: `(requirement, first error code)` the
    /// evaluation must report, so the invalid values really go through the checks.
    check_errors: &'static [(&'static str, &'static str)],
}

fn parses(
    name: &'static str,
    value: &Value,
    errors: &'static [(&'static str, &'static str)],
) -> Case {
    Case {
        name,
        text: serde_json::to_string_pretty(value).unwrap(),
        parse_error: None,
        check_errors: errors,
    }
}

fn fails(name: &'static str, text: &str, code: &'static str) -> Case {
    Case {
        name,
        text: text.to_owned(),
        parse_error: Some(code),
        check_errors: &[],
    }
}

/// Every capability requested; the identity fields filled with plain, non-canary values.
fn base() -> Value {
    let capabilities: serde_json::Map<String, Value> = RuleSet::builtin()
        .capability_names()
        .map(|name| (name.to_owned(), json!({"requested": true})))
        .collect();
    json!({
        "customerId": "customer_5b0c1a2e",
        "capabilities": capabilities,
        "individual": {
            "firstName": "Jane", "lastName": "Doe",
            "email": "jane@example.com", "phoneNumber": "+15555550100",
            "address": {"line1": "1 Main St", "city": "Springfield", "state": "IL", "postCode": "62701", "countryCode": "US"},
            "citizenship": "US", "purposeOfAccount": "investing", "sourceOfFunds": "salary",
            "employmentStatus": "employed", "occupation": "engineer", "expectedVolume": "0_10k"
        },
        "tosAcceptances": [{"versionId": "us_individual_2026-05-29", "language": "en", "acceptedAt": "2026-06-01T10:00:00Z"}],
        "compliance": {"requesterIpAddress": "192.0.2.10"}
    })
}

/// `base()` with these `individual` fields (and `compliance.deviceIpAddress`, top-level
/// fields under `_top`).
fn with(fields: &Value) -> Value {
    let mut value = base();
    for (key, field) in fields.as_object().unwrap() {
        match key.as_str() {
            "deviceIpAddress" => value["compliance"][key] = field.clone(),
            "_top" => {
                for (top, item) in field.as_object().unwrap() {
                    value[top] = item.clone();
                }
            }
            _ => value["individual"][key] = field.clone(),
        }
    }
    value
}

/// A customer whose sensitive values are all plain (no canary): the control.
fn clean() -> Value {
    with(&json!({
        "fullSsn": "123-45-6789", "ssnLast4": "6789",
        "dateOfBirth": {"day": "01", "month": "02", "year": "1990"},
        "taxpayerId": "12-3456789", "security": {"answer": "blue"},
        "passport": {"number": "X1234567", "expiry": {"day": "01", "month": "01", "year": "2030"}},
        "nationalId": "AB1234567", "deviceIpAddress": "192.0.2.1"
    }))
}

/// Snapshots that parse: the canaries reach the checks and the evaluation.
fn parsing_cases() -> Vec<Case> {
    let valid = json!({
        "fullSsn": "873-19-4062", "ssnLast4": "4062",
        "dateOfBirth": {"day": "23", "month": "07", "year": "1931"},
        "taxpayerId": "73-9184206", "security": {"answer": "blue"},
        "passport": {"number": "CANARYPASS8812", "expiry": {"day": "11", "month": "03", "year": "2961"}},
        "nationalId": "CANARYNID55", "deviceIpAddress": "198.51.100.223"
    });
    let mut provider = with(&valid);
    for (name, status) in [
        ("custodyCrypto", "active"),
        ("custodyFiat", "active"),
        ("tradeCrypto", "pending"),
        ("transferFiat", "inactive"),
    ] {
        provider["capabilities"][name]["status"] = json!(status);
    }
    provider["requirements"] = json!({
        "fullSsn": {"status": "rejected", "impact": ["custodyCrypto"]},
        "dateOfBirth": {"status": "due", "deadline": "2027-01-31T23:59:59Z"},
        "ssnLast4": {"status": "pending"}
    });
    let mut unknown_statuses = with(&valid);
    unknown_statuses["capabilities"]["custodyFiat"]["status"] = json!("CANARYSTATUS-873-19-4062");
    unknown_statuses["requirements"] = json!({"fullSsn": {"status": "CANARYREQSTATUS-4062"}});
    vec![
        parses("valid formats (draft)", &with(&valid), &[]),
        parses("valid formats (provider snapshot)", &provider, &[]),
        parses("unknown provider statuses", &unknown_statuses, &[]),
        parses(
            "masked SSN, national id at the top level",
            &with(&json!({
                "fullSsn": "***-**-4062", "ssnLast4": "4062",
                "dateOfBirth": {"day": "23", "month": "07", "year": "1931"},
                "_top": {"nationalId": "CANARYTOPNID"}
            })),
            &[],
        ),
        parses(
            "invalid formats",
            &with(&json!({
                "fullSsn": "CANARYSSN-87", "ssnLast4": "CANARYL4",
                "dateOfBirth": {"day": "CANARYDAY58", "month": "CANARYMONTH64", "year": "CANARYYEAR7319"},
                "taxpayerId": "CANARYTIN7", "security": {"answer": "CANARYANSWER31"},
                "passport": {"number": "CANARYPASSPORT-NUMBER-TOO-LONG", "expiry": {"day": "CANARYPXDAY", "month": "03", "year": "2961"}},
                "nationalId": "CANARYNATIONALID-TOO-LONG", "deviceIpAddress": "CANARYIP-999.1",
                "spouse": {"dateOfBirth": {"day": "1", "month": "2", "year": "CANARYSPOUSEYEAR"}}
            })),
            &[
                ("fullSsn", "invalid_format"),
                ("dateOfBirth", "invalid_format"),
                ("taxpayerId", "invalid_format"),
                ("securityAnswer", "value_not_allowed"),
                ("nationalId", "too_long"),
                ("spouseDateOfBirth", "invalid_format"),
            ],
        ),
        parses(
            "bare digits, too long",
            &with(&json!({
                "fullSsn": "873194062", "ssnLast4": "CANARYL5",
                "dateOfBirth": {"day": "31", "month": "02", "year": "1947"},
                "taxpayerId": "73-9184206-CANARY",
                "passport": {"number": "CANARYPASSPORT-NUMBER-TOO-LONG", "expiry": {"day": "11", "month": "03", "year": "2961"}},
                "nationalId": "CANARY"
            })),
            &[
                ("fullSsn", "invalid_format"),
                ("dateOfBirth", "invalid_date"),
                ("taxpayerId", "too_long"),
                ("passportNumber", "too_long"),
            ],
        ),
        parses(
            "incomplete dates, empty values",
            &with(&json!({
                "fullSsn": "873-19-4062",
                "dateOfBirth": {"year": "CANARYYEARONLY", "month": null},
                "taxpayerId": "  ",
                "passport": {"number": "CANARYPASS8812", "expiry": {"day": "30", "month": "02", "year": "2961"}}
            })),
            &[
                ("dateOfBirth", "incomplete_date"),
                ("taxpayerId", "empty"),
                ("passportExpiry", "invalid_date"),
            ],
        ),
        parses(
            "wrong types where only the rules expect a type",
            &with(&json!({
                "taxpayerId": 9_183_746_655_u64, "security": {"answer": ["CANARYANSWERARRAY"]},
                "passport": {"number": {"value": "CANARYPASSOBJ"}, "expiry": "CANARYEXPIRYSTRING"},
                "nationalId": {"value": "CANARYNIDOBJ"}, "deviceIpAddress": ["198.51.100.223"],
                "spouse": {"dateOfBirth": {"day": 5813, "month": "1", "year": "1931"}}
            })),
            &[
                ("securityAnswer", "invalid_type"),
                ("nationalId", "invalid_type"),
                ("spouseDateOfBirth", "invalid_type"),
            ],
        ),
        parses(
            "unknown fields",
            &with(&json!({
                "fullSsn": "873-19-4062",
                "mothersMaidenName": "CANARYMAIDEN",
                "dateOfBirth": {"day": "23", "month": "07", "year": "1931", "era": "CANARYERA"},
                "_top": {"notes": {"ssn": "873-19-4062", "n": 9_183_746_655_u64, "list": ["CANARYNOTE"]}}
            })),
            &[],
        ),
    ]
}

/// Snapshots that do not parse: every error path of `Snapshot::from_json`.
fn failing_cases() -> Vec<Case> {
    let deep = format!(
        r#"{{"individual": {{"fullSsn": "873-19-4062", "x": {}"CANARYDEEP"{}}}}}"#,
        "[".repeat(130),
        "]".repeat(130)
    );
    vec![
        fails(
            "SSN as a number",
            r#"{"individual": {"fullSsn": 873194062}}"#,
            "CG202",
        ),
        fails(
            "SSN as an object",
            r#"{"individual": {"fullSsn": {"value": "873-19-4062"}}}"#,
            "CG202",
        ),
        fails(
            "SSN as an array",
            r#"{"individual": {"fullSsn": ["CANARYSSNARRAY"]}}"#,
            "CG202",
        ),
        fails(
            "last 4 as a number",
            r#"{"individual": {"ssnLast4": 4062}}"#,
            "CG202",
        ),
        fails(
            "date of birth as a string",
            r#"{"individual": {"dateOfBirth": "CANARYDOBSTRING-1931-07-23"}}"#,
            "CG202",
        ),
        fails(
            "date of birth day as a number",
            r#"{"individual": {"dateOfBirth": {"day": 5813, "month": "07", "year": "1931"}}}"#,
            "CG202",
        ),
        fails(
            "date of birth as an array",
            r#"{"individual": {"dateOfBirth": ["23", "07", "1931"]}}"#,
            "CG202",
        ),
        fails(
            "duplicate SSN",
            r#"{"individual": {"fullSsn": "873-19-4062", "fullSsn": "CANARYDUPSSN"}}"#,
            "CG203",
        ),
        fails(
            "duplicate year",
            r#"{"individual": {"dateOfBirth": {"day": "23", "year": "1931", "year": "CANARYDUPYEAR"}}}"#,
            "CG203",
        ),
        fails(
            "duplicate policy field",
            r#"{"individual": {"taxpayerId": "73-9184206", "taxpayerId": "CANARYDUPTIN"}}"#,
            "CG203",
        ),
        fails(
            "a string right before a syntax error",
            r#"{"individual": {"fullSsn": "873-19-4062" "CANARYAFTER"}}"#,
            "CG201",
        ),
        fails(
            "a trailing comma",
            r#"{"individual": {"fullSsn": "873-19-4062",}}"#,
            "CG201",
        ),
        fails(
            "trailing characters",
            r#"{"individual": {"fullSsn": "873-19-4062"}} CANARYTRAIL"#,
            "CG201",
        ),
        fails(
            "a bare word",
            r#"{"individual": {"fullSsn": CANARYBARE}}"#,
            "CG201",
        ),
        fails(
            "an unquoted SSN",
            r#"{"individual": {"fullSsn": 873-19-4062}}"#,
            "CG201",
        ),
        fails(
            "an invalid escape",
            r#"{"individual": {"fullSsn": "873-19-4062\q"}}"#,
            "CG201",
        ),
        fails(
            "an invalid unicode escape",
            r#"{"individual": {"fullSsn": "CANARY\uZZZZ"}}"#,
            "CG201",
        ),
        fails(
            "a lone surrogate",
            r#"{"individual": {"fullSsn": "873-19-4062\ud800"}}"#,
            "CG201",
        ),
        fails(
            "a control character",
            "{\"individual\": {\"fullSsn\": \"873-19-4062\u{1}\"}}",
            "CG201",
        ),
        fails(
            "a number out of range",
            r#"{"individual": {"fullSsn": "873-19-4062", "n": 1e999}}"#,
            "CG201",
        ),
        fails(
            "truncated after a value",
            r#"{"individual": {"fullSsn": "873-19-4062""#,
            "CG201",
        ),
        fails(
            "truncated inside a value",
            r#"{"individual": {"fullSsn": "873-19-4062"#,
            "CG201",
        ),
        fails(
            "truncated inside a canary",
            r#"{"individual": {"ssnLast4": "4062", "x": "CANARYTRUNC"#,
            "CG201",
        ),
        fails("a string document", r#""873-19-4062""#, "CG202"),
        fails(
            "an array document",
            r#"["CANARYROOT", "873-19-4062"]"#,
            "CG202",
        ),
        fails("a number document", "873194062", "CG202"),
        fails("too deep", &deep, "CG205"),
        fails(
            "an invalid deadline",
            r#"{"individual": {"fullSsn": "873-19-4062"}, "requirements": {"tos": {"status": "due", "deadline": "CANARYDEADLINE-873-19-4062"}}}"#,
            "CG204",
        ),
        fails(
            "an invalid acceptance time",
            r#"{"tosAcceptances": [{"versionId": "v", "language": "en", "acceptedAt": "1931-07-23"}]}"#,
            "CG204",
        ),
        fails(
            "a missing status",
            r#"{"individual": {"fullSsn": "873-19-4062"}, "requirements": {"fullSsn": {"note": "CANARYNOTE"}}}"#,
            "CG206",
        ),
        fails(
            "a wrong-typed status",
            r#"{"requirements": {"fullSsn": {"status": 873194062}}}"#,
            "CG202",
        ),
        fails(
            "a wrong-typed IP address",
            r#"{"compliance": {"requesterIpAddress": 9183746655}}"#,
            "CG202",
        ),
    ]
}

fn cases() -> Vec<Case> {
    let mut cases = parsing_cases();
    cases.extend(failing_cases());
    cases
}

fn at() -> Timestamp {
    Timestamp::parse(AT).unwrap()
}

/// The default rules, and the default rules plus the sensitive policy.
fn rulesets() -> Vec<(&'static str, RuleSet)> {
    let policy = RuleSet::from_sources(&[
        Source::new(BUILTIN_RULES_NAME, BUILTIN_RULES),
        Source::new("policy.toml", POLICY),
    ])
    .unwrap();
    vec![("default", RuleSet::builtin()), ("policy", policy)]
}

/// Every capability and operation, and an unknown one of each.
fn targets(rules: &RuleSet) -> Vec<(&'static str, String)> {
    let mut targets: Vec<(&str, String)> = rules
        .capability_names()
        .map(|name| ("capability", name.to_owned()))
        .chain(
            rules
                .operation_names()
                .map(|name| ("operation", name.to_owned())),
        )
        .collect();
    targets.push(("capability", "noSuchCapability".to_owned()));
    targets.push(("operation", "noSuchOperation".to_owned()));
    targets
}

fn explanation(sweep: &mut Sweep, what: &str, explanation: &Explanation) {
    sweep.debug(what, explanation);
    sweep.text(
        &format!("{what} explanation_to_json"),
        &wire::explanation_to_json(explanation),
    );
    node(sweep, &format!("{what} tree"), &explanation.tree);
    sweep.debug(&format!("{what} plan"), &explanation.plan);
    for step in &explanation.plan.steps {
        sweep.debug(&format!("{what} step"), step);
        sweep.text(&format!("{what} step action"), step.action.as_str());
        sweep.text(&format!("{what} step resolver"), step.resolved_by.as_str());
    }
}

fn node(sweep: &mut Sweep, what: &str, tree: &Node) {
    sweep.debug(what, tree);
    sweep.text(what, tree.kind.as_str());
    sweep.text(what, tree.state.as_str());
    for child in &tree.children {
        node(sweep, what, child);
    }
}

/// Everything the library does with a snapshot that parses.
fn sweep_snapshot(
    sweep: &mut Sweep,
    what: &str,
    rules: &RuleSet,
    snapshot: &Snapshot,
    clean: &Snapshot,
) {
    let at = at();
    sweep.debug(what, snapshot);
    sweep.debug(&format!("{what} customer_id"), &snapshot.customer_id());
    sweep.debug(
        &format!("{what} has_provider_requirements"),
        &snapshot.has_provider_requirements(),
    );

    let evaluation = rules.evaluate(snapshot, at);
    sweep.debug(&format!("{what} evaluate"), &evaluation);
    sweep.text(
        &format!("{what} evaluation_to_json"),
        &wire::evaluation_to_json(&evaluation),
    );
    for (name, state) in &evaluation.capabilities {
        sweep.debug(&format!("{what} capability {name}"), state);
        sweep.text(&format!("{what} capability {name}"), state.status.as_str());
    }
    for (key, outstanding) in &evaluation.requirements {
        let what = format!("{what} requirement {key}");
        sweep.debug(&what, outstanding);
        sweep.text(&what, outstanding.status.as_str());
        sweep.debug(&what, &outstanding.errors);
        sweep.debug(&what, &outstanding.tos_versions);
        sweep.debug(&what, &outstanding.deadline.map(|d| d.to_string()));
    }
    sweep.debug(&format!("{what} waiting_on"), &evaluation.waiting_on);
    sweep.debug(&format!("{what} warnings"), &evaluation.warnings);
    sweep.debug(&format!("{what} ruleset stamp"), &evaluation.ruleset);
    sweep.debug(
        &format!("{what} next_transition_at"),
        &evaluation.next_transition_at,
    );
    if let Some(next) = evaluation.next_transition_at {
        sweep.display(&format!("{what} next_transition_at"), &next);
    }

    let view = EndUserView::new(rules, &evaluation);
    sweep.debug(&format!("{what} EndUserView"), &view);
    sweep.text(
        &format!("{what} end_user_to_json"),
        &wire::end_user_to_json(&view),
    );
    for capability in &view.capabilities {
        sweep.debug(&format!("{what} UserCapability"), capability);
        sweep.text(&format!("{what} UserState"), capability.state.as_str());
    }
    for task in &view.tasks {
        sweep.debug(&format!("{what} Task"), task);
        sweep.text(&format!("{what} TaskAction"), task.action.as_str());
        sweep.debug(&format!("{what} UserTosVersion"), &task.tos_versions);
    }

    let borrowed = rules.evaluate_ref(snapshot, at);
    let ref_what = format!("{what} evaluate_ref");
    sweep.debug(&ref_what, &borrowed);
    sweep.text(
        &format!("{ref_what} to_json(true)"),
        &borrowed.to_json(true),
    );
    sweep.text(
        &format!("{ref_what} to_json(false)"),
        &borrowed.to_json(false),
    );
    sweep.debug(
        &format!("{ref_what} to_evaluation"),
        &borrowed.to_evaluation(),
    );
    sweep.debug(
        &format!("{ref_what} capabilities"),
        &borrowed.capabilities().collect::<Vec<_>>(),
    );
    sweep.debug(
        &format!("{ref_what} allowed"),
        &borrowed.allowed().collect::<Vec<_>>(),
    );
    sweep.debug(
        &format!("{ref_what} outstanding"),
        &borrowed.outstanding().collect::<Vec<_>>(),
    );
    sweep.debug(
        &format!("{ref_what} next_transition_at"),
        &borrowed.next_transition_at(),
    );
    sweep.display(&format!("{ref_what} at"), &borrowed.at());
    for key in rules.requirement_keys() {
        sweep.debug(
            &format!("{ref_what} requirement {key}"),
            &borrowed.requirement(key),
        );
        sweep.debug(
            &format!("{ref_what} impact {key}"),
            &borrowed.impact(key).collect::<Vec<_>>(),
        );
    }

    for (kind, name) in targets(rules) {
        let what = format!("{what} {kind} {name}");
        if kind == "capability" {
            sweep.debug(&format!("{what} status"), &borrowed.status(&name));
            sweep.debug(&format!("{what} is_allowed"), &borrowed.is_allowed(&name));
            sweep.debug(
                &format!("{what} blocking"),
                &borrowed.blocking(&name).collect::<Vec<_>>(),
            );
        } else {
            sweep.debug(
                &format!("{what} EvaluationRef::allows"),
                &borrowed.allows(&name),
            );
            sweep.debug(
                &format!("{what} allows"),
                &rules.allows(&evaluation, snapshot, &name),
            );
            match rules.check(snapshot, &name, at) {
                Ok(decision) => {
                    sweep.debug(&format!("{what} check"), &decision);
                    sweep.text(
                        &format!("{what} decision_to_json"),
                        &wire::decision_to_json(&decision),
                    );
                    sweep.debug(
                        &format!("{what} invalid_context"),
                        &decision.invalid_context,
                    );
                    sweep.debug(
                        &format!("{what} error_type"),
                        &decision.error_type.map(DenialType::as_str),
                    );
                }
                Err(error) => {
                    sweep.display(&format!("{what} check error"), &error);
                    sweep.text(&format!("{what} check error operation"), error.operation());
                    sweep.wire_error(&format!("{what} check error"), &WireError::from(&error));
                }
            }
        }
        let target = if kind == "capability" {
            Target::Capability(&name)
        } else {
            Target::Operation(&name)
        };
        sweep.debug(&format!("{what} target"), &target);
        match rules.explain(snapshot, target, at) {
            Ok(explained) => explanation(sweep, &format!("{what} explain"), &explained),
            Err(error) => {
                sweep.display(&format!("{what} explain error"), &error);
                sweep.wire_error(&format!("{what} explain error"), &WireError::from(&error));
            }
        }
    }

    let clean_evaluation = rules.evaluate(clean, at);
    for (direction, old, new) in [
        ("from clean", &clean_evaluation, &evaluation),
        ("to clean", &evaluation, &clean_evaluation),
        ("to itself", &evaluation, &evaluation),
    ] {
        let what = format!("{what} changes {direction}");
        let events = changes(snapshot.customer_id(), old, new);
        sweep.debug(&what, &events);
        sweep.text(
            &format!("{what} changes_to_json"),
            &wire::changes_to_json(&events),
        );
        for event in &events {
            sweep.text(&what, event.event_type());
        }
    }
}

/// Every `wire` function that takes snapshot text.
fn sweep_wire(sweep: &mut Sweep, what: &str, rules: &RuleSet, text: &str, clean: &str) {
    sweep.wire(
        &format!("{what} evaluate_json"),
        &wire::evaluate_json(rules, text, AT),
    );
    sweep.wire(
        &format!("{what} evaluate_json_compact"),
        &wire::evaluate_json_compact(rules, text, AT),
    );
    sweep.wire(
        &format!("{what} end_user_json"),
        &wire::end_user_json(rules, text, AT),
    );
    sweep.wire(
        &format!("{what} end_user_json_compact"),
        &wire::end_user_json_compact(rules, text, AT),
    );
    for (kind, name) in targets(rules) {
        let what = format!("{what} {kind} {name}");
        if kind == "operation" {
            sweep.wire(
                &format!("{what} check_json"),
                &wire::check_json(rules, text, &name, AT),
            );
            sweep.wire(
                &format!("{what} check_json_compact"),
                &wire::check_json_compact(rules, text, &name, AT),
            );
        }
        sweep.wire(
            &format!("{what} explain_json"),
            &wire::explain_json(rules, text, kind, &name, AT),
        );
    }
    sweep.wire(
        &format!("{what} explain_json bad kind"),
        &wire::explain_json(rules, text, "feature", "tradeCrypto", AT),
    );
    sweep.wire(
        &format!("{what} changes_json from clean"),
        &wire::changes_json(rules, clean, text, AT),
    );
    sweep.wire(
        &format!("{what} changes_json to clean"),
        &wire::changes_json(rules, text, clean, AT),
    );
    sweep.wire(
        &format!("{what} changes_json to itself"),
        &wire::changes_json(rules, text, text, AT),
    );
    // Tight limits: every parse fails on size, depth or item count, with the canaries inside.
    for limits in [
        Limits::default().with_max_snapshot_bytes(48),
        Limits::default().with_max_depth(2),
        Limits::default().with_max_items(2),
    ] {
        let what = format!("{what} {limits:?}");
        sweep.debug(&what, &limits);
        match Snapshot::from_json_with(text, &limits) {
            Ok(snapshot) => sweep.debug(&format!("{what} from_json_with"), &snapshot),
            Err(error) => snapshot_error(sweep, &format!("{what} from_json_with"), &error),
        }
        let limited = rules.clone().with_limits(limits);
        sweep.debug(&format!("{what} limits"), limited.limits());
        sweep.wire(
            &format!("{what} evaluate_json"),
            &wire::evaluate_json(&limited, text, AT),
        );
        sweep.wire(
            &format!("{what} check_json"),
            &wire::check_json(&limited, text, "placeCryptoTrade", AT),
        );
        sweep.wire(
            &format!("{what} explain_json"),
            &wire::explain_json(&limited, text, "capability", "tradeCrypto", AT),
        );
        sweep.wire(
            &format!("{what} changes_json"),
            &wire::changes_json(&limited, clean, text, AT),
        );
    }
}

fn snapshot_error(sweep: &mut Sweep, what: &str, error: &SnapshotError) {
    sweep.display(what, error);
    sweep.display(&format!("{what} code"), &error.code());
    sweep.text(&format!("{what} message"), error.message());
    sweep.text(&format!("{what} path"), error.path());
    sweep.debug(&format!("{what} position"), &(error.line(), error.column()));
    sweep.wire_error(&format!("{what} as WireError"), &WireError::from(error));
}

/// A rule test file embedding `text` as the snapshot, with expectations that all fail.
fn failing_tests(text: &str) -> String {
    format!(
        r#"[[test]]
name = "a customer"
at = "{AT}"
snapshot = '''{text}'''
operation = "placeCryptoTrade"
[test.expect]
allowed = ["transferStablecoin"]
capabilities = {{ custodyCrypto = "inactive", tradeCrypto = "active" }}
requirements = {{ fullSsn = "rejected", dateOfBirth = "rejected", ssnLast4 = "rejected", taxpayerId = "rejected" }}
errors = {{ fullSsn = "too_long", dateOfBirth = "too_long", ssnLast4 = "too_long", passportNumber = "empty" }}
decision = "allowed"

[[test]]
name = "the same customer, no operation"
snapshot = '''{text}'''
[test.expect]
decision = "invalid_request"

[[test]]
name = "an unknown operation"
snapshot = '''{text}'''
operation = "noSuchOperation"
"#
    )
}

/// Test files that do not load, each with a canary next to its problem.
fn broken_tests() -> Vec<(&'static str, String)> {
    let ssn = r#"{"individual": {"fullSsn": "873-19-4062", "ssnLast4": "4062"}}"#;
    vec![
        ("junk after the snapshot", format!("[[test]]\nname = \"x\"\nsnapshot = '{ssn}' CANARYJUNK\n")),
        ("an unterminated snapshot", format!("[[test]]\nname = \"x\"\nsnapshot = '{}\n", &ssn[..40])),
        ("an invalid escape", "[[test]]\nname = \"x\"\nsnapshot = \"{\\\"fullSsn\\\": \\\"873-19-4062\\q\\\"}\"\n".to_owned()),
        ("a snapshot table", "[[test]]\nname = \"x\"\nsnapshot = { fullSsn = \"873-19-4062\", ssnLast4 = \"4062\" }\n".to_owned()),
        ("a snapshot date", "[[test]]\nname = \"x\"\nsnapshot = 1931-07-23\n".to_owned()),
        ("a snapshot number", "[[test]]\nname = \"x\"\nsnapshot = 873194062\n".to_owned()),
        ("a bare SSN", "[[test]]\nname = \"x\"\nsnapshot = 873-19-4062\n".to_owned()),
        ("a duplicate snapshot", format!("[[test]]\nname = \"x\"\nsnapshot = '{ssn}'\nsnapshot = 'CANARYDUP'\n")),
        ("a misspelt key", format!("[[test]]\nname = \"x\"\nsnapshot = '{{}}'\nsnapshott = '{ssn}'\n")),
        ("an invalid time", format!("[[test]]\nname = \"x\"\nat = \"CANARYAT-1931-07-23\"\nsnapshot = '{ssn}'\n")),
        ("a wrong-typed expectation", format!("[[test]]\nname = \"x\"\nsnapshot = '{ssn}'\n[test.expect]\nerrors = {{ fullSsn = 873194062 }}\n")),
        ("an unknown expectation", format!("[[test]]\nname = \"x\"\nsnapshot = '{ssn}'\n[test.expect]\nssn = \"873-19-4062\"\n")),
    ]
}

fn sweep_tests(sweep: &mut Sweep, what: &str, rules: &RuleSet, tests: &str) {
    match rules.run_tests(&[Source::new("sweep-tests.toml", tests)]) {
        Ok(report) => {
            sweep.debug(&format!("{what} run_tests"), &report);
            sweep.text(
                &format!("{what} rule_tests_to_json"),
                &wire::rule_tests_to_json(&report),
            );
            for result in &report.results {
                sweep.debug(&format!("{what} result"), result);
                sweep.text(&format!("{what} failures"), &result.failures.join("\n"));
            }
            for item in &report.coverage.items {
                sweep.debug(&format!("{what} coverage item"), item);
            }
            sweep.debug(&format!("{what} percent"), &report.coverage.percent());
        }
        Err(errors) => {
            // Short files keep byte offsets (spans) below the four-digit canaries.
            assert!(
                tests.len() < 1900,
                "{what}: test file too long for the bounded canaries"
            );
            sweep.load_errors(&format!("{what} run_tests"), &errors);
        }
    }
}

/// One case through everything, under both rulesets.
fn sweep_case(sweep: &mut Sweep, rulesets: &[(&str, RuleSet)], case: &Case) {
    let clean_text = serde_json::to_string(&clean()).unwrap();
    let clean = Snapshot::from_json(&clean_text).unwrap();
    let parsed = Snapshot::from_json(&case.text);
    assert_eq!(
        parsed.as_ref().err().map(|e| e.code().as_str()),
        case.parse_error,
        "{}: unexpected parse result",
        case.name
    );
    if let Err(error) = &parsed {
        snapshot_error(sweep, &format!("{} from_json", case.name), error);
    }
    for (rules_name, rules) in rulesets {
        let what = format!("[{rules_name}] {}", case.name);
        sweep.debug(&format!("{what} rules"), rules);
        if let Ok(snapshot) = &parsed {
            sweep_snapshot(sweep, &what, rules, snapshot, &clean);
            if *rules_name == "policy" {
                let evaluation = rules.evaluate(snapshot, at());
                for (key, code) in case.check_errors {
                    let first = evaluation
                        .requirements
                        .get(*key)
                        .and_then(|r| r.errors.first());
                    assert_eq!(first.map(|e| e.code), Some(*code), "{what}: {key}");
                }
            }
        }
        sweep_wire(sweep, &what, rules, &case.text, &clean_text);
        // Compact, so that the test files of parse errors stay short.
        // (A parse error keeps its text: re-serializing would drop duplicate keys.)
        let compact = match case.parse_error {
            None => serde_json::from_str::<Value>(&case.text)
                .unwrap()
                .to_string(),
            Some(_) => case.text.clone(),
        };
        sweep_tests(sweep, &what, rules, &failing_tests(&compact));
    }
}

#[test]
fn no_canary_leaks_from_any_snapshot_through_any_api() {
    let rulesets = rulesets();
    let mut sweep = Sweep::new();
    for case in cases() {
        sweep_case(&mut sweep, &rulesets, &case);
    }
    sweep.assert_clean();
    assert!(
        sweep.checks > 1_000_000,
        "the sweep shrank: {} checks",
        sweep.checks
    );
}

#[test]
fn no_canary_leaks_from_rule_test_files() {
    let mut sweep = Sweep::new();
    for (rules_name, rules) in rulesets() {
        for (name, tests) in broken_tests() {
            let what = format!("[{rules_name}] {name}");
            let errors = rules
                .run_tests(&[Source::new("broken-tests.toml", &tests)])
                .unwrap_err();
            sweep.load_errors(&format!("{what} run_tests"), &errors);
        }
    }
    sweep.assert_clean();
}

/// Rule sources carry no customer data, but the calls that take them are swept with the
/// canary-bearing snapshots' neighbours: the sensitive policy, its diff, lint and loading.
#[test]
fn rule_loading_diff_and_lint_stay_clean() {
    let mut sweep = Sweep::new();
    let builtin = [Source::new(BUILTIN_RULES_NAME, BUILTIN_RULES)];
    let with_policy = [
        Source::new(BUILTIN_RULES_NAME, BUILTIN_RULES),
        Source::new("policy.toml", POLICY),
    ];
    let broken = [Source::new(
        "broken.toml",
        "[requirements.x]\npath = 5\nbogus = true\n[capabilities.y]\nrequirements = [\"z\"]\n",
    )];
    for (name, sources) in [
        ("default", &builtin[..]),
        ("policy", &with_policy[..]),
        ("broken", &broken[..]),
    ] {
        sweep.text(&format!("{name} lint_json"), &wire::lint_json(sources));
        sweep.debug(&format!("{name} lint"), &RuleSet::lint(sources));
        match wire::load(sources) {
            Ok(rules) => {
                sweep.debug(&format!("{name} load"), &rules);
                sweep.debug(&format!("{name} sensitive_paths"), &rules.sensitive_paths());
                sweep.debug(
                    &format!("{name} requirement_keys"),
                    &rules.requirement_keys().collect::<Vec<_>>(),
                );
                sweep.text(&format!("{name} id"), rules.id());
                sweep.text(&format!("{name} version"), rules.version());
                sweep.text(&format!("{name} hash"), rules.hash());
            }
            Err(error) => sweep.wire_error(&format!("{name} load"), &error),
        }
        match RuleSet::from_sources(sources) {
            Ok(rules) => sweep.debug(&format!("{name} from_sources"), &rules),
            Err(errors) => sweep.load_errors(&format!("{name} from_sources"), &errors),
        }
        for (other_name, other) in [("default", &builtin[..]), ("policy", &with_policy[..])] {
            let what = format!("diff {name} -> {other_name}");
            sweep.wire(&what, &wire::diff_json(sources, other));
            sweep.wire(
                &format!("{what} reversed"),
                &wire::diff_json(other, sources),
            );
            if let (Ok(old), Ok(new)) =
                (RuleSet::from_sources(sources), RuleSet::from_sources(other))
            {
                let diff = old.diff(&new);
                sweep.debug(&what, &diff);
                sweep.text(&format!("{what} diff_to_json"), &wire::diff_to_json(&diff));
                for change in &diff.changes {
                    sweep.display(&what, change);
                    sweep.text(&what, change.kind.as_str());
                    sweep.text(&what, change.class.as_str());
                }
            }
        }
    }
    match RuleSet::from_toml("policy-alone.toml", POLICY) {
        Ok(rules) => sweep.debug("from_toml", &rules),
        Err(errors) => sweep.load_errors("from_toml", &errors),
    }
    sweep.debug("builtin_checked", &RuleSet::builtin_checked());
    // The evaluation time is not customer data, but its errors never repeat it either.
    for text in [
        "1931-07-23",
        "873-19-4062T00:00:00Z",
        "CANARYAT",
        "1931-07-23T00:00:00",
    ] {
        sweep.wire(
            &format!("parse_at {text}"),
            &wire::parse_at(text).map(|t| t.to_string()),
        );
        match Timestamp::parse(text) {
            Ok(at) => sweep.debug("Timestamp", &at),
            Err(error) => {
                sweep.display(&format!("Timestamp::parse {text}"), &error);
                sweep.text(&format!("Timestamp::parse {text} reason"), error.reason());
            }
        }
    }
    sweep.assert_clean();
}

/// Regression (found by this sweep): a date of birth after the evaluation time is valid in
/// format and fails with `date_in_future`; its instant used to become `nextTransitionAt`,
/// printing the date itself (and its Unix seconds in `Evaluation`'s `Debug`). A sensitive
/// field's date now schedules no transition. The same holds for any `sensitive = true` field
/// with a `date_parts` check (the policy's `spouseDateOfBirth`).
#[test]
fn a_future_date_of_birth_is_not_echoed_as_next_transition_at() {
    let rulesets = rulesets();
    let mut sweep = Sweep::new();
    let future = with(&json!({
        "fullSsn": "873-19-4062",
        "dateOfBirth": {"day": "17", "month": "09", "year": "2987"},
        "spouse": {"dateOfBirth": {"day": "21", "month": "06", "year": "2979"}}
    }));
    sweep_case(
        &mut sweep,
        &rulesets,
        &parses("a future date of birth", &future, &[]),
    );
    sweep.assert_clean();
}

/// The harness can fail: each case carries canaries the detector finds, in the raw text and
/// in its `Debug`; short canaries are not found inside longer alphanumeric runs; and the
/// control customer carries none.
#[test]
fn the_detector_finds_every_canary() {
    let sweep = Sweep::new();
    for case in cases() {
        assert!(
            !sweep.found(&case.text).is_empty(),
            "{}: no canary",
            case.name
        );
        assert!(
            !sweep.found(&format!("{:?}", case.text)).is_empty(),
            "{}",
            case.name
        );
    }
    for needle in &sweep.needles {
        let found = sweep.found(&format!("x {} x", needle.text.to_uppercase()));
        assert!(found.contains(&needle.text.as_str()), "{}", needle.text);
        if needle.bounded {
            assert!(
                sweep.found(&format!("a{}b", needle.text)).is_empty(),
                "{}",
                needle.text
            );
        }
    }
    let mut leaky = Sweep::new();
    leaky.debug("raw", &cases()[0].text);
    assert!(!leaky.leaks.is_empty());
    let clean = serde_json::to_string(&clean()).unwrap();
    assert!(
        sweep.found(&clean).is_empty(),
        "the control customer carries a canary"
    );
    assert!(
        sweep.found(POLICY).is_empty(),
        "the policy carries a canary"
    );
    assert!(
        sweep.found(BUILTIN_RULES).is_empty(),
        "the default rules carry a canary"
    );
}

/// The control: the clean customer through the same sweep finds nothing, so no canary
/// occurs by accident in the API's own texts (hashes, times, names, spans).
#[test]
fn the_control_customer_finds_no_canary() {
    let rulesets = rulesets();
    let mut sweep = Sweep::new();
    let control = parses("the control customer", &clean(), &[]);
    sweep_case(&mut sweep, &rulesets, &control);
    sweep.assert_clean();
}

/// Public items of `src/lib.rs` and public functions of the modules that take or return
/// customer data, each swept above.
const COVERED: &[&str] = &[
    // lib.rs re-exports
    "CapabilityChange",
    "ChangeEvent",
    "RequirementChange",
    "RequirementChangeStatus",
    "changes",
    "ChangeClass",
    "RuleChange",
    "RuleDiff",
    "SubjectKind",
    "CheckError",
    "ErrorCode",
    "LoadError",
    "LoadErrors",
    "SnapshotError",
    "CapabilityState",
    "CapabilityStatus",
    "ContextProblem",
    "Decision",
    "DenialType",
    "Evaluation",
    "FieldError",
    "Outstanding",
    "RequirementStatus",
    "RulesetStamp",
    "TosVersion",
    "WaitingOn",
    "EvaluationRef",
    "Explanation",
    "Node",
    "NodeKind",
    "NodeState",
    "Step",
    "StepAction",
    "Target",
    "UnlockPlan",
    "Limits",
    "Resolver",
    "RuleSet",
    "Coverage",
    "CoverageItem",
    "RuleTestReport",
    "RuleTestResult",
    "Snapshot",
    "Timestamp",
    "TimestampError",
    "wire",
    "EndUserView",
    "Task",
    "TaskAction",
    "UserCapability",
    "UserState",
    "UserTosVersion",
    // wire
    "to_json",
    "parse_at",
    "load",
    "lint_json",
    "evaluate_json",
    "check_json",
    "evaluate_json_compact",
    "check_json_compact",
    "evaluation_to_json",
    "decision_to_json",
    "changes_to_json",
    "changes_json",
    "explanation_to_json",
    "explain_json",
    "diff_to_json",
    "diff_json",
    "rule_tests_to_json",
    "end_user_to_json",
    "end_user_json",
    "end_user_json_compact",
    // RuleSet
    "builtin",
    "builtin_checked",
    "from_toml",
    "from_sources",
    "lint",
    "with_limits",
    "limits",
    "evaluate",
    "evaluate_ref",
    "check",
    "allows",
    "explain",
    "run_tests",
    "id",
    "version",
    "hash",
    "capability_names",
    "requirement_keys",
    "sensitive_paths",
    "operation_names",
    "diff",
    "as_str",
    // Snapshot
    "from_json",
    "from_json_with",
    "has_provider_requirements",
    "customer_id",
    // EvaluationRef
    "status",
    "is_allowed",
    "capabilities",
    "allowed",
    "outstanding",
    "requirement",
    "impact",
    "blocking",
    "next_transition_at",
    "at",
    "to_evaluation",
];

/// Public items no snapshot value can reach.
const NOT_APPLICABLE: &[&str] = &[
    // Constants.
    "BUILTIN_RULES",
    "BUILTIN_RULES_NAME",
    "MAX_CAPABILITIES",
    // No input at all.
    "rule_file_schema",
    // The caller's own input (rule or test text): its `Debug` is that text.
    "Source",
    "new",
];

#[test]
fn the_sweep_covers_the_whole_public_api() {
    let mut names: Vec<String> = Vec::new();
    let lib = include_str!("../src/lib.rs");
    for item in lib.split("pub use ").skip(1) {
        let item = item.split(';').next().unwrap();
        let list = item.rsplit("::").next().unwrap();
        names.extend(
            list.trim_matches(|c: char| c == '{' || c == '}' || c.is_whitespace())
                .split(',')
                .map(|name| name.trim().to_owned())
                .filter(|name| !name.is_empty()),
        );
    }
    names.extend(
        lib.lines()
            .filter_map(|line| line.strip_prefix("pub mod "))
            .map(|m| m.trim_end_matches(';').to_owned()),
    );
    for source in [
        include_str!("../src/wire.rs"),
        include_str!("../src/ruleset.rs"),
        include_str!("../src/snapshot.rs"),
        include_str!("../src/evaluation_ref.rs"),
    ] {
        for line in source.lines() {
            let line = line.trim_start();
            let Some(rest) = line
                .strip_prefix("pub fn ")
                .or_else(|| line.strip_prefix("pub const fn "))
            else {
                continue;
            };
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            names.push(name);
        }
    }
    let missing: Vec<&String> = names
        .iter()
        .filter(|name| {
            !COVERED.contains(&name.as_str()) && !NOT_APPLICABLE.contains(&name.as_str())
        })
        .collect();
    assert!(
        missing.is_empty(),
        "public items the sensitive sweep does not cover: {missing:?}"
    );
    assert!(names.len() > 80, "the public API listing failed: {names:?}");
}
