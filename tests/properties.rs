//! Properties of evaluation over generated customers (proptest, fixed seed).
//!
//! `PROPTEST_CASES=10000 cargo test --test integration properties` runs the long mode.

use std::collections::BTreeSet;

use capgate::{CapabilityStatus, Evaluation, RequirementStatus, RuleSet, Snapshot, Timestamp};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use serde_json::{Value, json};

/// The default rules' capabilities, sorted.
pub(crate) const CAPABILITIES: [&str; 8] = [
    "custodyCrypto",
    "custodyFiat",
    "custodyStablecoin",
    "tradeCrypto",
    "tradeStablecoin",
    "transferCrypto",
    "transferFiat",
    "transferStablecoin",
];

const REQUIREMENT_KEYS: [&str; 12] = [
    "firstName",
    "fullSsn",
    "dateOfBirth",
    "addressSubdivision",
    "sourceOfFunds",
    "occupation",
    "email",
    "tos",
    "taxAttestation",
    "ssnLast4",
    "proofOfAddress",
    "citizenship",
];

const STATUSES: [&str; 7] = [
    "due",
    "past_due",
    "pending",
    "rejected",
    "overdue",
    "eventually_due",
    "in_review",
];

/// The base of generated times: 2026-06-01T00:00:00Z.
const BASE: i64 = 1_780_272_000;
const DAY: i64 = 86_400;

fn config() -> Config {
    Config {
        rng_seed: RngSeed::Fixed(0x00C0_FFEE),
        ..Config::default()
    }
}

/// One identity field: where it goes and a valid and an invalid value for it.
struct FieldSpec {
    path: &'static [&'static str],
    valid: fn(&Secrets) -> Value,
    invalid: Value,
}

/// Generated sensitive values; they must never appear in any output.
#[derive(Clone, Debug)]
pub(crate) struct Secrets {
    ssn: String,
    ssn_last4: String,
    dob_year: String,
}

fn fields() -> Vec<FieldSpec> {
    vec![
        FieldSpec {
            path: &["individual", "firstName"],
            valid: |_| json!("Jane"),
            invalid: json!("  "),
        },
        FieldSpec {
            path: &["individual", "lastName"],
            valid: |_| json!("Doe"),
            invalid: json!(""),
        },
        FieldSpec {
            path: &["individual", "dateOfBirth"],
            valid: |s| json!({"day": "7", "month": "07", "year": s.dob_year}),
            invalid: json!({"day": "31", "month": "2", "year": "1980"}),
        },
        FieldSpec {
            path: &["individual", "fullSsn"],
            valid: |s| json!(s.ssn),
            invalid: json!("123456789"),
        },
        FieldSpec {
            path: &["individual", "ssnLast4"],
            valid: |s| json!(s.ssn_last4),
            invalid: json!("12a4"),
        },
        FieldSpec {
            path: &["individual", "address", "line1"],
            valid: |_| json!("500 Main St"),
            invalid: json!(""),
        },
        FieldSpec {
            path: &["individual", "address", "city"],
            valid: |_| json!("Boston"),
            invalid: json!(" "),
        },
        FieldSpec {
            path: &["individual", "address", "state"],
            valid: |_| json!("MA"),
            invalid: json!("ma"),
        },
        FieldSpec {
            path: &["individual", "address", "postCode"],
            valid: |_| json!("02108"),
            invalid: json!(""),
        },
        FieldSpec {
            path: &["individual", "address", "countryCode"],
            valid: |_| json!("US"),
            invalid: json!("CA"),
        },
        FieldSpec {
            path: &["individual", "purposeOfAccount"],
            valid: |_| json!("investing"),
            invalid: json!("savings"),
        },
        FieldSpec {
            path: &["individual", "sourceOfFunds"],
            valid: |_| json!("salary"),
            invalid: json!("employment"),
        },
        FieldSpec {
            path: &["individual", "citizenship"],
            valid: |_| json!("US"),
            invalid: json!("GB"),
        },
        FieldSpec {
            path: &["individual", "employmentStatus"],
            valid: |_| json!("retired"),
            invalid: json!("employed"),
        },
        FieldSpec {
            path: &["individual", "occupation"],
            valid: |_| json!("education"),
            invalid: json!("teacher"),
        },
        FieldSpec {
            path: &["individual", "expectedVolume"],
            valid: |_| json!("under_1k"),
            invalid: json!("lots"),
        },
        FieldSpec {
            path: &["individual", "email"],
            valid: |_| json!("jane@example.com"),
            invalid: json!("jane at example"),
        },
        FieldSpec {
            path: &["individual", "phoneNumber"],
            valid: |_| json!("+16175551212"),
            invalid: json!("6175551212"),
        },
        FieldSpec {
            path: &["compliance", "requesterIpAddress"],
            valid: |_| json!("203.0.113.10"),
            invalid: json!("999.1.1.1"),
        },
    ]
}

/// A generated customer, kept as choices so a test can change one and compare.
#[derive(Clone, Debug)]
pub(crate) struct Customer {
    /// Per capability: 0 absent, 1 not requested, 2 requested, 3.. requested with a status.
    capabilities: Vec<u8>,
    /// Per field of [`fields`]: 0 absent, 1 valid, 2 invalid.
    fields: Vec<u8>,
    /// The provider's map: `None` for a draft.
    provider: Option<Vec<ProviderEntry>>,
    /// `ToS` acceptances: (current version?, language ok?, acceptedAt offset in days).
    acceptances: Vec<(bool, bool, i64)>,
    /// W-9 attestation acceptedAt offset in days.
    attestation: Option<i64>,
    secrets: Secrets,
    /// Evaluation time offset in days.
    at_days: i64,
}

#[derive(Clone, Debug)]
struct ProviderEntry {
    key: usize,
    status: usize,
    deadline_days: Option<i64>,
    impact: Vec<usize>,
    versions: Vec<Option<i64>>,
}

const CAPABILITY_STATUSES: [&str; 5] =
    ["unrequested", "pending", "active", "inactive", "suspended"];

impl Customer {
    pub(crate) fn to_json(&self) -> Value {
        let mut root = json!({"type": "individual", "capabilities": {}});
        for (name, choice) in CAPABILITIES.iter().zip(&self.capabilities) {
            let entry = match choice {
                0 => continue,
                1 => json!({"requested": false, "status": "unrequested"}),
                2 => json!({"requested": true}),
                n => {
                    json!({"requested": true, "status": CAPABILITY_STATUSES[usize::from(*n - 3) % 5]})
                }
            };
            root["capabilities"][*name] = entry;
        }
        for (spec, choice) in fields().iter().zip(&self.fields) {
            let value = match choice {
                1 => (spec.valid)(&self.secrets),
                2 => spec.invalid.clone(),
                _ => continue,
            };
            set_path(&mut root, spec.path, value);
        }
        if let Some(entries) = &self.provider {
            let mut map = serde_json::Map::new();
            for entry in entries {
                let mut value = json!({"status": STATUSES[entry.status % STATUSES.len()]});
                if let Some(days) = entry.deadline_days {
                    value["deadline"] = json!(time(days));
                }
                if !entry.impact.is_empty() {
                    let impact: BTreeSet<&str> =
                        entry.impact.iter().map(|i| CAPABILITIES[i % 8]).collect();
                    value["impact"] = json!(impact);
                }
                let key = REQUIREMENT_KEYS[entry.key % REQUIREMENT_KEYS.len()];
                if key == "tos" && !entry.versions.is_empty() {
                    let versions: Vec<Value> = entry
                        .versions
                        .iter()
                        .enumerate()
                        .map(|(idx, deadline)| {
                            let mut version = json!({"versionId": format!("us_individual_v{idx}"), "languages": ["en"], "url": "https://example.com/tos"});
                            if let Some(days) = deadline {
                                version["deadline"] = json!(time(*days));
                            }
                            version
                        })
                        .collect();
                    value["tosVersions"] = json!(versions);
                }
                map.insert(key.to_owned(), value);
            }
            root["requirements"] = Value::Object(map);
        }
        if !self.acceptances.is_empty() {
            let acceptances: Vec<Value> = self
                .acceptances
                .iter()
                .map(|(current, language_ok, days)| {
                    json!({
                        "versionId": if *current { "us_individual_2026-05-29" } else { "us_individual_2025-01-01" },
                        "language": if *language_ok { "en" } else { "fr" },
                        "acceptedAt": time(*days),
                    })
                })
                .collect();
            root["tosAcceptances"] = json!(acceptances);
        }
        if let Some(days) = self.attestation {
            root["taxAttestations"] = json!([{"form": "us_w9", "isExemptBackupWithholding": false, "edeliveryConsent": true, "acceptedAt": time(days)}]);
        }
        root
    }

    pub(crate) fn snapshot(&self) -> Snapshot {
        Snapshot::from_json(&self.to_json().to_string()).unwrap()
    }

    pub(crate) fn at(&self) -> Timestamp {
        Timestamp::from_unix_seconds(BASE + self.at_days * DAY)
    }
}

fn time(days: i64) -> String {
    Timestamp::from_unix_seconds(BASE + days * DAY).to_string()
}

fn set_path(root: &mut Value, path: &[&str], value: Value) {
    let mut cursor = root;
    for segment in &path[..path.len() - 1] {
        if cursor.get(*segment).is_none() {
            cursor[*segment] = json!({});
        }
        cursor = &mut cursor[*segment];
    }
    cursor[path[path.len() - 1]] = value;
}

fn provider_entry() -> impl Strategy<Value = ProviderEntry> {
    (
        0..REQUIREMENT_KEYS.len(),
        0..STATUSES.len(),
        proptest::option::of(-60i64..60),
        proptest::collection::vec(0usize..8, 0..3),
        proptest::collection::vec(proptest::option::of(-60i64..60), 0..3),
    )
        .prop_map(
            |(key, status, deadline_days, impact, versions)| ProviderEntry {
                key,
                status,
                deadline_days,
                impact,
                versions,
            },
        )
}

pub(crate) fn customer() -> impl Strategy<Value = Customer> {
    let n_fields = fields().len();
    (
        proptest::collection::vec(0u8..8, 8),
        proptest::collection::vec(0u8..3, n_fields),
        proptest::option::of(proptest::collection::vec(provider_entry(), 0..5)),
        proptest::collection::vec((any::<bool>(), any::<bool>(), -60i64..60), 0..3),
        proptest::option::of(-60i64..60),
        (100u32..999, 10u32..99, 1000u32..9999, 1930u32..2005),
        -30i64..60,
    )
        .prop_map(
            |(
                capabilities,
                fields,
                provider,
                acceptances,
                attestation,
                (a, b, c, year),
                at_days,
            )| Customer {
                capabilities,
                fields,
                provider,
                acceptances,
                attestation,
                secrets: Secrets {
                    ssn: format!("{a:03}-{b:02}-{c:04}"),
                    ssn_last4: format!("{c:04}"),
                    dob_year: year.to_string(),
                },
                at_days,
            },
        )
}

/// Fail-closed: every allowed capability was requested, reported `active` by the provider,
/// is not inactive, and nothing blocking names it; `impact` lists only live capabilities.
pub(crate) fn assert_fail_closed(snapshot: &Value, evaluation: &Evaluation) {
    for name in &evaluation.allowed {
        let provider = &snapshot["capabilities"][name];
        assert_eq!(
            provider["requested"],
            json!(true),
            "{name} allowed but not requested"
        );
        assert_eq!(
            provider["status"],
            json!("active"),
            "{name} allowed but not provider-active"
        );
        assert_eq!(
            evaluation.capabilities[name].status,
            CapabilityStatus::Active
        );
        for (key, requirement) in &evaluation.requirements {
            assert!(
                !(requirement.blocking && requirement.impact.contains(name)),
                "{name} allowed while {key} blocks it"
            );
        }
    }
    let allowed: Vec<&String> = evaluation
        .capabilities
        .iter()
        .filter(|(_, c)| c.status == CapabilityStatus::Active)
        .map(|(name, _)| name)
        .collect();
    assert_eq!(allowed, evaluation.allowed.iter().collect::<Vec<_>>());
    for (key, requirement) in &evaluation.requirements {
        let mut sorted = requirement.impact.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, requirement.impact, "{key}: impact not sorted");
        for name in &requirement.impact {
            let state = evaluation.capabilities[name];
            assert!(
                state.requested && state.status != CapabilityStatus::Inactive,
                "{key}: impact names {name}"
            );
        }
    }
}

fn outputs(rules: &RuleSet, customer: &Customer) -> (Evaluation, String) {
    let evaluation = rules.evaluate(&customer.snapshot(), customer.at());
    let json = capgate::wire::evaluation_to_json(&evaluation);
    (evaluation, json)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn evaluation_is_deterministic_and_round_trips(customer in customer()) {
        let rules = RuleSet::builtin();
        let (first, first_json) = outputs(&rules, &customer);
        let (second, second_json) = outputs(&rules, &customer);
        prop_assert_eq!(&first, &second);
        prop_assert_eq!(&first_json, &second_json);
        let reparsed: Value = serde_json::from_str(&first_json).unwrap();
        prop_assert_eq!(serde_json::to_string_pretty(&reparsed).unwrap(), first_json);
    }

    #[test]
    fn text_to_text_prints_what_evaluate_materializes(customer in customer()) {
        // The wire's fast path (JSON text to JSON text, no Evaluation built) and the public
        // Evaluation printed by evaluation_to_json agree byte for byte, pretty and compact.
        let rules = RuleSet::builtin();
        let text = customer.to_json().to_string();
        let at = customer.at().to_string();
        let (evaluation, pretty) = outputs(&rules, &customer);
        prop_assert_eq!(capgate::wire::evaluate_json(&rules, &text, &at).unwrap(), pretty);
        // The compact form is the pretty one without its layout, byte for byte (same key
        // order, same escaping): it is written by a separate, hand-written writer.
        prop_assert_eq!(capgate::wire::evaluate_json_compact(&rules, &text, &at).unwrap(), without_layout(&capgate::wire::evaluation_to_json(&evaluation)));
    }

    #[test]
    fn borrowed_evaluation_and_allows_agree_with_evaluate_and_check(customer in customer()) {
        let rules = RuleSet::builtin();
        let snapshot = customer.snapshot();
        let evaluation = rules.evaluate(&snapshot, customer.at());
        let borrowed = rules.evaluate_ref(&snapshot, customer.at());
        prop_assert_eq!(&borrowed.to_evaluation(), &evaluation);
        for (name, status) in borrowed.capabilities() {
            prop_assert_eq!(evaluation.capabilities[name].status, status);
            let blocking: Vec<&str> = borrowed.blocking(name).collect();
            let expected: Vec<&str> = evaluation.waiting_on.get(name).map(|w| w.requirements.iter().map(String::as_str).collect()).unwrap_or_default();
            if status == CapabilityStatus::Pending {
                prop_assert_eq!(blocking, expected);
            }
        }
        for operation in rules.operation_names() {
            let decision = rules.check(&snapshot, operation, customer.at()).unwrap();
            prop_assert_eq!(rules.allows(&evaluation, &snapshot, operation).unwrap(), decision.allowed, "{}", operation);
            prop_assert_eq!(borrowed.allows(operation).unwrap(), decision.allowed, "{}", operation);
        }
    }

    #[test]
    fn allowed_capabilities_are_fail_closed(customer in customer()) {
        let (evaluation, _) = outputs(&RuleSet::builtin(), &customer);
        assert_fail_closed(&customer.to_json(), &evaluation);
    }

    #[test]
    fn supplying_a_valid_value_in_a_draft_never_hurts(mut customer in customer(), field in 0usize..19) {
        customer.provider = None;
        customer.fields[field] = 0;
        let rules = RuleSet::builtin();
        let (without, _) = outputs(&rules, &customer);
        customer.fields[field] = 1;
        let (with, _) = outputs(&rules, &customer);
        for name in &without.allowed {
            prop_assert!(with.allowed.contains(name), "{} lost", name);
        }
        for key in with.requirements.keys() {
            prop_assert!(without.requirements.contains_key(key), "{} added", key);
        }
    }

    #[test]
    fn removing_a_value_in_a_draft_never_grants(mut customer in customer(), field in 0usize..19) {
        customer.provider = None;
        let rules = RuleSet::builtin();
        let (before, _) = outputs(&rules, &customer);
        customer.fields[field] = 0;
        let (after, _) = outputs(&rules, &customer);
        for name in &after.allowed {
            prop_assert!(before.allowed.contains(name), "{} gained", name);
        }
    }

    #[test]
    fn moving_time_forward_never_turns_past_due_into_due(customer in customer(), days in 0i64..90) {
        let rules = RuleSet::builtin();
        let snapshot = customer.snapshot();
        let earlier = rules.evaluate(&snapshot, customer.at());
        let later = rules.evaluate(&snapshot, Timestamp::from_unix_seconds(customer.at().unix_seconds() + days * DAY));
        for (key, requirement) in &earlier.requirements {
            if requirement.status == RequirementStatus::PastDue {
                let status = later.requirements.get(key).map(|r| r.status);
                prop_assert!(status != Some(RequirementStatus::Due), "{} went back to due", key);
            }
        }
    }

    #[test]
    fn next_transition_is_in_the_future_and_nothing_changes_before_it(customer in customer()) {
        let rules = RuleSet::builtin();
        let snapshot = customer.snapshot();
        let evaluation = rules.evaluate(&snapshot, customer.at());
        if let Some(next) = evaluation.next_transition_at {
            prop_assert!(next > customer.at());
            let just_before = Timestamp::from_unix_seconds(next.unix_seconds() - 1);
            if just_before > customer.at() {
                let later = rules.evaluate(&snapshot, just_before);
                prop_assert_eq!(&later.capabilities, &evaluation.capabilities);
                prop_assert_eq!(&later.requirements, &evaluation.requirements);
            }
        }
    }

    #[test]
    fn sensitive_values_never_appear_in_outputs(customer in customer()) {
        let rules = RuleSet::builtin();
        let snapshot = customer.snapshot();
        let (evaluation, json) = outputs(&rules, &customer);
        let ssn = &customer.secrets.ssn;
        let year = format!("\"{}\"", customer.secrets.dob_year);
        let last4 = format!("\"{}\"", customer.secrets.ssn_last4);
        let debug = format!("{snapshot:?} {evaluation:?} {rules:?}");
        for text in [&json, &debug] {
            prop_assert!(!text.contains(ssn.as_str()), "ssn leaked");
            prop_assert!(!text.contains(&year), "date of birth leaked");
            prop_assert!(!text.contains(&last4), "ssn last 4 leaked");
        }
        for operation in rules.operation_names() {
            let decision = rules.check(&snapshot, operation, customer.at()).unwrap();
            let text = format!("{} {decision:?}", capgate::wire::decision_to_json(&decision));
            prop_assert!(!text.contains(ssn.as_str()) && !text.contains(&year));
        }
        // Malformed variants: the values sit where another type is expected.
        let mut broken = customer.to_json();
        broken["capabilities"] = json!(ssn);
        broken["individual"]["dateOfBirth"] = json!(customer.secrets.dob_year);
        let error = Snapshot::from_json(&broken.to_string()).unwrap_err();
        let text = format!("{error} {error:?} {}", capgate::wire::WireError::from(&error).to_json());
        prop_assert!(!text.contains(ssn.as_str()) && !text.contains(&customer.secrets.dob_year));
        let truncated = broken.to_string();
        let error = Snapshot::from_json(&truncated[..truncated.len() - 1]).unwrap_err();
        let text = format!("{error} {error:?}");
        prop_assert!(!text.contains(ssn.as_str()));
    }
}

proptest! {
    #![proptest_config(config())]

    /// Loading never panics on arbitrary text, and any error is located inside the text.
    #[test]
    fn rule_loading_is_total(text in "(\\[[a-z.]{0,20}\\]\n|[a-z_]{1,12} = (\"[^\"\n]{0,12}\"|\\[\"[a-zA-Z]{0,10}\"\\]|[0-9]{1,4}|true|\\{ kind = \"[a-z_]{0,10}\" \\})\n|[^\n]{0,30}\n){0,12}") {
        match RuleSet::from_toml("fuzz.toml", &text) {
            Ok(rules) => {
                let snapshot = Snapshot::from_json("{}").unwrap();
                let _ = rules.evaluate(&snapshot, Timestamp::from_unix_seconds(BASE));
            }
            Err(errors) => {
                prop_assert!(!errors.errors().is_empty());
                for error in errors.errors() {
                    prop_assert!(error.span().start <= text.len());
                    prop_assert!(error.line() >= 1 && error.column() >= 1);
                }
            }
        }
    }

    /// Snapshot parsing never panics on arbitrary text, and evaluation of anything that
    /// parses is total and fail-closed.
    #[test]
    fn snapshot_parsing_is_total(text in "\\{(\"[a-zA-Z]{1,12}\": ?(\"[^\"\\\\]{0,8}\"|[0-9]{1,3}|true|null|\\{\\}|\\[\\]|\\{\"[a-z]{1,8}\": ?\"[a-z_]{0,10}\"\\}), ?){0,8}\"x\": 1\\}|[^\u{0}]{0,40}") {
        if let Ok(snapshot) = Snapshot::from_json(&text) {
            let evaluation = RuleSet::builtin().evaluate(&snapshot, Timestamp::from_unix_seconds(BASE));
            let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            assert_fail_closed(&value, &evaluation);
        }
    }
}

/// Pretty JSON with the whitespace outside string literals removed: its compact form.
fn without_layout(pretty: &str) -> String {
    let mut out = String::with_capacity(pretty.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in pretty.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}
