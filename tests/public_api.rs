//! Focused semantic tests through the public API, one rule of the README's
//! "Evaluation semantics" each. Every test goes through one helper.

use capgate::{CapabilityStatus, RequirementStatus, RuleSet, Snapshot, Source, Timestamp};
use serde_json::{Value, json};

const AT: &str = "2026-11-22T12:00:00Z";

/// Evaluates `snapshot` with the default rules (plus an optional policy) and returns the wire
/// JSON as a value.
#[track_caller]
fn eval_with(policy: Option<&str>, snapshot: &Value, at: &str) -> Value {
    let mut sources = vec![Source::new(
        capgate::BUILTIN_RULES_NAME,
        capgate::BUILTIN_RULES,
    )];
    if let Some(policy) = policy {
        sources.push(Source::new("policy.toml", policy));
    }
    let rules = RuleSet::from_sources(&sources).unwrap();
    let json = capgate::wire::evaluate_json(&rules, &snapshot.to_string(), at).unwrap();
    serde_json::from_str(&json).unwrap()
}

#[track_caller]
fn eval(snapshot: &Value) -> Value {
    eval_with(None, snapshot, AT)
}

fn complete_individual() -> Value {
    json!({
        "firstName": "Jane", "lastName": "Doe", "fullSsn": "000-00-0000",
        "dateOfBirth": {"day": "1", "month": "1", "year": "1987"},
        "address": {"line1": "500 Main St", "city": "Boston", "state": "MA", "postCode": "02108", "countryCode": "US"},
        "purposeOfAccount": "investing", "sourceOfFunds": "salary"
    })
}

fn accepted_tos() -> Value {
    json!([{"versionId": "us_individual_2026-05-29", "language": "en", "acceptedAt": "2026-04-17T20:00:00Z"}])
}

#[test]
fn a_complete_draft_waits_only_for_the_provider() {
    let out = eval(&json!({
        "individual": complete_individual(),
        "tosAcceptances": accepted_tos(),
        "capabilities": {"custodyCrypto": {"requested": true}}
    }));
    assert_eq!(
        out["capabilities"]["custodyCrypto"],
        json!({"requested": true, "status": "pending"})
    );
    assert_eq!(out["requirements"], json!({}));
    assert_eq!(
        out["waitingOn"]["custodyCrypto"],
        json!({"requirements": [], "capabilities": [], "provider": true})
    );
    assert_eq!(out["allowed"], json!([]));
}

#[test]
fn provider_snapshot_unlisted_requirements_are_met_and_active_is_kept() {
    let out = eval(&json!({
        "capabilities": {"custodyCrypto": {"requested": true, "status": "active"}},
        "requirements": {},
        "tosAcceptances": accepted_tos()
    }));
    assert_eq!(out["allowed"], json!(["custodyCrypto"]));
    assert_eq!(out["requirements"], json!({}));
}

#[test]
fn tos_is_always_checked_against_acceptances_and_withdraws_an_active_capability() {
    let out = eval(&json!({
        "capabilities": {"custodyCrypto": {"requested": true, "status": "active"}},
        "requirements": {}
    }));
    assert_eq!(out["capabilities"]["custodyCrypto"]["status"], "pending");
    let tos = &out["requirements"]["tos"];
    assert_eq!(tos["status"], "due");
    assert_eq!(tos["impact"], json!(["custodyCrypto"]));
    assert_eq!(
        tos["tosVersions"][0]["versionId"],
        "us_individual_2026-05-29"
    );
    assert_eq!(
        tos["tosVersions"][0]["url"],
        "https://docs.cdp.coinbase.com/legal/terms/us_individual_2026-05-29"
    );
}

#[test]
fn tos_acceptance_needs_an_offered_language_and_a_time_not_after_at() {
    for (language, accepted_at, code) in [
        ("fr", "2026-04-17T20:00:00Z", "unsupported_tos_language"),
        ("en", "2026-12-01T00:00:00Z", "accepted_after_at"),
    ] {
        let out = eval(&json!({
            "individual": complete_individual(),
            "capabilities": {"custodyFiat": {"requested": true}},
            "tosAcceptances": [{"versionId": "us_individual_2026-05-29", "language": language, "acceptedAt": accepted_at}]
        }));
        assert_eq!(out["requirements"]["tos"]["errors"][0]["code"], code);
        assert_eq!(out["requirements"]["tos"]["status"], "due");
    }
}

#[test]
fn provider_deadlines_escalate_and_grace_does_not_block() {
    let snapshot = |deadline: &str| {
        json!({
            "capabilities": {"transferFiat": {"requested": true, "status": "active"}},
            "requirements": {"taxAttestation": {"status": "due", "deadline": deadline, "impact": ["transferFiat"], "taxForms": ["us_w9"]}},
            "tosAcceptances": accepted_tos()
        })
    };
    let past = eval(&snapshot("2026-11-01T00:00:00Z"));
    assert_eq!(past["requirements"]["taxAttestation"]["status"], "past_due");
    assert_eq!(past["capabilities"]["transferFiat"]["status"], "pending");
    assert_eq!(past["nextTransitionAt"], Value::Null);

    let grace = eval(&snapshot("2026-12-31T00:00:00Z"));
    assert_eq!(grace["requirements"]["taxAttestation"]["status"], "due");
    assert_eq!(
        grace["requirements"]["taxAttestation"]["deadline"],
        "2026-12-31T00:00:00Z"
    );
    assert_eq!(grace["capabilities"]["transferFiat"]["status"], "active");
    assert_eq!(grace["nextTransitionAt"], "2026-12-31T00:00:00Z");

    // Exactly at the deadline it is past due.
    let at_deadline = eval_with(None, &snapshot("2026-11-22T12:00:00Z"), AT);
    assert_eq!(
        at_deadline["requirements"]["taxAttestation"]["status"],
        "past_due"
    );
}

#[test]
fn tos_version_deadlines_come_from_each_version() {
    let out = eval(&json!({
        "capabilities": {"custodyCrypto": {"requested": true, "status": "active"}},
        "requirements": {"tos": {"status": "due", "deadline": "2026-10-01T00:00:00Z", "impact": ["custodyCrypto"], "tosVersions": [
            {"versionId": "v_future", "languages": ["en"], "url": "https://example.com/f", "deadline": "2027-01-01T00:00:00Z"}
        ]}},
        "tosAcceptances": accepted_tos()
    }));
    // The aggregate deadline alone does not decide: the only version is in its grace period.
    assert_eq!(out["requirements"]["tos"]["status"], "due");
    assert_eq!(out["capabilities"]["custodyCrypto"]["status"], "active");
    assert_eq!(
        out["requirements"]["tos"]["deadline"],
        "2027-01-01T00:00:00Z"
    );
}

#[test]
fn inactive_is_terminal_and_adds_no_requirements() {
    let out = eval(&json!({
        "capabilities": {"custodyFiat": {"requested": true, "status": "inactive"}},
        "requirements": {"fullSsn": {"status": "rejected", "impact": ["custodyFiat"]}}
    }));
    assert_eq!(
        out["capabilities"]["custodyFiat"],
        json!({"requested": true, "status": "inactive"})
    );
    assert_eq!(out["requirements"]["fullSsn"]["impact"], json!([]));
    assert!(out["requirements"].get("tos").is_none());
    assert!(out["waitingOn"].get("custodyFiat").is_none());
}

#[test]
fn provider_listed_requirements_are_never_dropped() {
    let out = eval(&json!({
        "capabilities": {"custodyCrypto": {"requested": true, "status": "pending"}},
        "requirements": {
            "proofOfAddress": {"status": "due", "impact": ["custodyCrypto", "transferFiat"]},
            "ssnLast4": {"status": "pending"}
        },
        "tosAcceptances": accepted_tos()
    }));
    assert_eq!(
        out["requirements"]["proofOfAddress"],
        json!({"status": "due", "impact": ["custodyCrypto"]})
    );
    assert_eq!(
        out["requirements"]["ssnLast4"],
        json!({"status": "pending", "impact": []})
    );
    assert_eq!(
        out["waitingOn"]["custodyCrypto"]["requirements"],
        json!(["proofOfAddress"])
    );
}

#[test]
fn older_statuses_are_mapped() {
    let out = eval(&json!({
        "capabilities": {"custodyCrypto": {"requested": true, "status": "active"}},
        "requirements": {"fullSsn": {"status": "eventually_due", "impact": ["custodyCrypto"]}, "firstName": {"status": "overdue"}},
        "tosAcceptances": accepted_tos()
    }));
    assert_eq!(out["requirements"]["fullSsn"]["status"], "eventually_due");
    assert_eq!(out["requirements"]["firstName"]["status"], "past_due");
    assert_eq!(
        out["requirements"]["firstName"]["impact"],
        json!(["custodyCrypto"])
    );
    assert_eq!(out["capabilities"]["custodyCrypto"]["status"], "pending");
    assert_eq!(
        out["waitingOn"]["custodyCrypto"]["requirements"],
        json!(["firstName"])
    );
}

#[test]
fn unknown_statuses_are_never_a_grant() {
    let out = eval(&json!({
        "capabilities": {
            "custodyCrypto": {"requested": true, "status": "suspended"},
            "stakeCrypto": {"requested": true, "status": "active"}
        },
        "requirements": {"firstName": {"status": "in_review", "impact": ["custodyCrypto"]}},
        "tosAcceptances": accepted_tos()
    }));
    assert_eq!(out["capabilities"]["custodyCrypto"]["status"], "pending");
    assert!(out["capabilities"].get("stakeCrypto").is_none());
    assert_eq!(out["requirements"]["firstName"]["status"], "pending");
    assert_eq!(
        out["warnings"].as_array().unwrap().len(),
        3,
        "{}",
        out["warnings"]
    );
}

#[test]
fn requested_counts_before_the_provider_has_seen_it() {
    let out = eval(&json!({
        "capabilities": {"custodyFiat": {"requested": true, "status": "unrequested"}},
        "requirements": {}
    }));
    assert_eq!(
        out["capabilities"]["custodyFiat"],
        json!({"requested": true, "status": "pending"})
    );
    assert_eq!(out["requirements"]["tos"]["impact"], json!(["custodyFiat"]));
}

#[test]
fn older_shape_top_level_email_and_phone_are_read() {
    let mut individual = complete_individual();
    individual["citizenship"] = json!("US");
    individual["employmentStatus"] = json!("retired");
    individual["occupation"] = json!("education");
    individual["expectedVolume"] = json!("under_1k");
    let out = eval(&json!({
        "individual": individual, "email": "jane@example.com", "phone": "+16175551212",
        "tosAcceptances": accepted_tos(),
        "capabilities": {"tradeCrypto": {"requested": true}}
    }));
    assert_eq!(out["requirements"], json!({}));
    let out = eval(&json!({
        "individual": {"email": "not an email"}, "email": "jane@example.com",
        "capabilities": {"tradeCrypto": {"requested": true}}
    }));
    assert_eq!(
        out["requirements"]["email"]["errors"],
        json!([{"code": "invalid_format", "path": "/individual/email"}])
    );
}

const POLICY: &str = r#"
[ruleset]
id = "acme-policy"
version = "3"

[requirements.employerName]
path = "individual.employerName"
verified_by = "platform"
checks = [{ kind = "non_empty" }, { kind = "length", max = 100 }]

[extend.capabilities.tradeCrypto]
requirements = ["employerName"]
"#;

#[test]
fn platform_policy_is_checked_even_in_provider_snapshots() {
    let snapshot = json!({
        "capabilities": {"tradeCrypto": {"requested": true, "status": "active"}},
        "requirements": {},
        "tosAcceptances": accepted_tos()
    });
    let out = eval_with(Some(POLICY), &snapshot, AT);
    assert_eq!(
        out["requirements"]["employerName"],
        json!({"status": "due", "impact": ["tradeCrypto"]})
    );
    assert_eq!(out["capabilities"]["tradeCrypto"]["status"], "pending");
    assert_eq!(out["ruleset"]["id"], "coinbase-customers+acme-policy");
    assert_eq!(out["ruleset"]["version"], "2026-10-22+3");

    let mut snapshot = snapshot;
    snapshot["individual"] = json!({"employerName": "Acme"});
    let out = eval_with(Some(POLICY), &snapshot, AT);
    assert_eq!(out["allowed"], json!(["tradeCrypto"]));
}

#[test]
fn dependencies_gate_and_contribute_requirements() {
    let rules = RuleSet::from_toml(
        "deps.toml",
        r#"
        [requirements.firstName]
        path = "individual.firstName"
        checks = [{ kind = "non_empty" }]
        [requirements.email]
        path = "individual.email"
        [capabilities.custody]
        requirements = ["firstName"]
        [capabilities.transfer]
        requirements = ["email"]
        depends_on = ["custody"]
        "#,
    )
    .unwrap();
    let at = Timestamp::parse(AT).unwrap();
    let snapshot = Snapshot::from_json(
        r#"{"capabilities": {"transfer": {"requested": true, "status": "active"}, "custody": {"requested": true, "status": "pending"}},
            "requirements": {}, "individual": {"email": "a@b.c"}}"#,
    )
    .unwrap();
    let evaluation = rules.evaluate(&snapshot, at);
    assert_eq!(
        evaluation.capabilities["transfer"].status,
        CapabilityStatus::Pending
    );
    assert_eq!(evaluation.waiting_on["transfer"].capabilities, ["custody"]);
    // Provider snapshot: unlisted, provider-verified requirements are met.
    assert!(evaluation.requirements.is_empty());

    let draft =
        Snapshot::from_json(r#"{"capabilities": {"transfer": {"requested": true}}}"#).unwrap();
    let evaluation = rules.evaluate(&draft, at);
    assert_eq!(evaluation.requirements["firstName"].impact, ["transfer"]);
    assert_eq!(
        evaluation.requirements["firstName"].status,
        RequirementStatus::Due
    );
}

#[test]
fn check_mirrors_the_providers_errors() {
    let rules = RuleSet::builtin();
    let at = Timestamp::parse(AT).unwrap();
    let active = json!({"requested": true, "status": "active"});
    let mut snapshot = json!({
        "capabilities": {"custodyCrypto": active, "custodyFiat": active, "custodyStablecoin": {"requested": true, "status": "pending"}},
        "requirements": {},
        "tosAcceptances": accepted_tos()
    });
    let decide = |snapshot: &Value| {
        rules
            .check(
                &Snapshot::from_json(&snapshot.to_string()).unwrap(),
                "createCustomerAccount",
                at,
            )
            .unwrap()
    };

    let decision = decide(&snapshot);
    assert!(!decision.allowed);
    assert_eq!(
        decision.error_type.unwrap().as_str(),
        "customer_not_authorized"
    );
    assert_eq!(decision.unauthorized_capabilities, ["custodyStablecoin"]);
    assert_eq!(decision.invalid_context[0].code, "missing");

    snapshot["capabilities"]["custodyStablecoin"] = active.clone();
    let decision = decide(&snapshot);
    assert_eq!(decision.error_type.unwrap().as_str(), "invalid_request");
    assert!(decision.unauthorized_capabilities.is_empty());

    snapshot["compliance"] = json!({"requesterIpAddress": "2001:db8::1"});
    let decision = decide(&snapshot);
    assert!(decision.allowed);
    assert_eq!(decision.error_type, None);

    let error = rules
        .check(&Snapshot::from_json("{}").unwrap(), "createAccount", at)
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "CG301: unknown operation `createAccount`"
    );
}

#[test]
fn a_denial_lists_what_would_unlock_even_unrequested_capabilities() {
    let rules = RuleSet::builtin();
    let at = Timestamp::parse(AT).unwrap();
    let snapshot = Snapshot::from_json(r#"{"individual": {"firstName": "Jane"}}"#).unwrap();
    let decision = rules
        .check(&snapshot, "createFiatDepositDestination", at)
        .unwrap();
    assert_eq!(decision.unauthorized_capabilities, ["custodyFiat"]);
    assert!(!decision.requirements.contains_key("firstName"));
    assert_eq!(decision.requirements["fullSsn"].impact, ["custodyFiat"]);
    assert_eq!(
        decision.requirements["tos"].tos_versions[0].version_id,
        "us_individual_2026-05-29"
    );
    // The evaluation itself is unchanged: nothing was requested, nothing is outstanding.
    assert!(rules.evaluate(&snapshot, at).requirements.is_empty());
}

#[test]
fn the_stricter_status_wins_for_tos() {
    let out = eval(&json!({
        "capabilities": {"custodyCrypto": {"requested": true, "status": "pending"}},
        "requirements": {"tos": {"status": "pending", "impact": ["custodyCrypto"]}}
    }));
    // The provider says pending, but no acceptance is on file: due (blocking) is stricter.
    assert_eq!(out["requirements"]["tos"]["status"], "due");
    let out = eval(&json!({
        "capabilities": {"custodyCrypto": {"requested": true, "status": "pending"}},
        "requirements": {"tos": {"status": "rejected", "impact": ["custodyCrypto"]}}
    }));
    assert_eq!(out["requirements"]["tos"]["status"], "rejected");
}

#[test]
fn wire_errors_carry_codes_and_locations() {
    let broken = Source::new(
        "broken.toml",
        "[capabilities.x]\nrequirements = [\"nope\"]\ndepends_on = [1]\n",
    );
    let error = capgate::wire::load(&[broken]).unwrap_err();
    assert_eq!(error.code, "CG106");
    assert_eq!(
        (error.file.as_deref(), error.line, error.column),
        (Some("broken.toml"), Some(2), Some(17))
    );
    assert_eq!(error.span, Some([33, 39]));
    assert_eq!(error.errors.len(), 2, "{error:?}");
    assert_eq!(error.errors[1].code, "CG103");

    let rules = RuleSet::builtin();
    let error = capgate::wire::evaluate_json(&rules, "{}", "2026-11-22").unwrap_err();
    assert_eq!(error.code, "CG302");
    let error = capgate::wire::check_json(&rules, "{}", "nope", AT).unwrap_err();
    assert_eq!(error.code, "CG301");
}

#[test]
fn ruleset_hash_depends_on_content_only() {
    let a = RuleSet::from_toml("a.toml", capgate::BUILTIN_RULES).unwrap();
    let b = RuleSet::from_toml("elsewhere/b.toml", capgate::BUILTIN_RULES).unwrap();
    assert_eq!(a.hash(), b.hash());
    assert_eq!(a.hash(), RuleSet::builtin().hash());
    let c = RuleSet::from_toml("a.toml", &format!("{}\n", capgate::BUILTIN_RULES)).unwrap();
    assert_ne!(a.hash(), c.hash());
    assert!(a.hash().starts_with("sha256:") && a.hash().len() == 7 + 64);
}
