//! Structure-aware: a small model of a ruleset (requirements of every kind with checks,
//! conditions and deadlines, groups with alternatives, capabilities with dependencies,
//! operations) rendered to TOML, and a small model of a customer snapshot (capabilities and
//! provider requirements with known and unknown statuses, deadlines around the evaluation
//! time, ToS acceptances, attestations, identity fields valid, invalid or missing) rendered to
//! JSON.
//!
//! The ruleset loads or is rejected with located errors; the snapshot always parses. Then
//! every invariant of `capgate_fuzz::check_evaluation`, plus, from the model: a capability
//! not requested or inactive is never allowed, an active capability's dependencies are
//! active, and each operation needs exactly the capabilities the model gives it.

#![no_main]

use std::fmt::Write as _;

use arbitrary::Arbitrary;
use capgate::{CapabilityStatus, NodeKind, RuleSet, Snapshot, Source, Target, Timestamp};
use capgate_fuzz::{BASE_AT_SECONDS, check_evaluation, check_load_errors, check_ruleset};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

const CAPABILITIES: [&str; 7] = [
    "custodyCrypto",
    "custodyFiat",
    "tradeCrypto",
    "transferFiat",
    "capA",
    "capB",
    "unknownCap",
];
/// How many of [`CAPABILITIES`] a ruleset may define (the rest stay unknown to it).
const RULE_CAPABILITIES: usize = 5;
const REQUIREMENTS: [&str; 10] = [
    "firstName",
    "fullSsn",
    "dateOfBirth",
    "email",
    "tos",
    "taxAttestation",
    "occupation",
    "ssnLast4",
    "addressState",
    "unknownReq",
];
/// How many of [`REQUIREMENTS`] a ruleset may define.
const RULE_REQUIREMENTS: usize = 9;
const GROUPS: [&str; 3] = ["g0", "g1", "g2"];
const OPERATIONS: [&str; 3] = ["op0", "op1", "op2"];
const PATHS: [&str; 9] = [
    "individual.firstName",
    "individual.fullSsn",
    "individual.dateOfBirth",
    "individual.email",
    "email",
    "individual.occupation",
    "individual.ssnLast4",
    "individual.address.state",
    "compliance.requesterIpAddress",
];
const PATTERNS: [&str; 6] = [
    r"^[0-9]{3}-[0-9]{2}-[0-9]{4}$",
    r"^[A-Z]{2}$",
    r"^[^@ ]+@[^@ ]+$",
    r"^[a-z]+$",
    r"[0-9]{4}",
    r"(",
];
const VALUES: [&str; 16] = [
    "",
    " ",
    "Jane",
    "123-45-6789",
    "***-**-6789",
    "987654321",
    "6789",
    "jane@example.com",
    "NY",
    "ny",
    "employed",
    "acknowledged",
    "198.51.100.7",
    "2001:db8::1",
    "not an ip",
    "Zephyrine-Quixotic-Longname-Value-Over-Forty-Chars",
];
const DAYS: [&str; 6] = ["1", "07", "29", "31", "32", "x"];
const MONTHS: [&str; 5] = ["1", "02", "12", "13", ""];
const YEARS: [&str; 5] = ["1990", "2000", "2030", "19", "abcd"];
const CAPABILITY_STATUSES: [&str; 6] = [
    "unrequested",
    "pending",
    "active",
    "inactive",
    "suspended",
    "",
];
const REQUIREMENT_STATUSES: [&str; 7] = [
    "due",
    "past_due",
    "overdue",
    "pending",
    "rejected",
    "eventually_due",
    "weird",
];
const VERSIONS: [&str; 4] = ["v1", "v2", "v3", "us_individual_2026-05-29"];
const LANGUAGES: [&str; 3] = ["en", "es", "fr"];
const FORMS: [&str; 2] = ["us_w9", "w8ben"];

fn pick<T: Copy>(pool: &[T], index: u8) -> T {
    pool[usize::from(index) % pool.len()]
}

/// An instant `hours` from the base time.
fn hours(hours: i8) -> String {
    Timestamp::from_unix_seconds(BASE_AT_SECONDS + i64::from(hours) * 3600).to_string()
}

fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

fn quoted_list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let items: Vec<String> = items.into_iter().map(quoted).collect();
    format!("[{}]", items.join(", "))
}

#[derive(Arbitrary, Debug)]
enum CheckModel {
    NonEmpty,
    OneOf(Vec<u8>),
    Pattern(u8),
    Length { min: Option<u8>, max: Option<u8> },
    DateParts { allow_future: bool },
    IpAddress,
}

impl CheckModel {
    fn toml(&self) -> String {
        match self {
            CheckModel::NonEmpty => r#"{ kind = "non_empty" }"#.to_owned(),
            CheckModel::OneOf(values) => format!(
                r#"{{ kind = "one_of", values = {} }}"#,
                quoted_list(non_empty(references(values, &VALUES, 4), "Jane"))
            ),
            CheckModel::Pattern(index) => {
                format!(
                    r#"{{ kind = "pattern", pattern = '{}' }}"#,
                    pick(&PATTERNS, *index)
                )
            }
            CheckModel::Length { min, max } => {
                let mut bounds = Vec::new();
                if let Some(min) = min {
                    bounds.push(format!("min = {}", min % 12));
                }
                if let Some(max) = max {
                    bounds.push(format!("max = {}", max % 48));
                }
                format!(r#"{{ kind = "length", {} }}"#, bounds.join(", "))
            }
            CheckModel::DateParts { allow_future } => {
                format!(r#"{{ kind = "date_parts", allow_future = {allow_future} }}"#)
            }
            CheckModel::IpAddress => r#"{ kind = "ip_address" }"#.to_owned(),
        }
    }
}

#[derive(Arbitrary, Debug)]
struct VersionModel {
    id: u8,
    languages: Vec<u8>,
    deadline: Option<i8>,
}

#[derive(Arbitrary, Debug)]
enum BodyModel {
    Field {
        path: u8,
        second_path: Option<u8>,
        optional: bool,
        sensitive: bool,
        checks: Vec<CheckModel>,
    },
    Acceptance(Vec<VersionModel>),
    Attestation(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum ConditionTest {
    OneOf(Vec<u8>),
    Present(bool),
}

#[derive(Arbitrary, Debug)]
struct ConditionModel {
    path: u8,
    test: ConditionTest,
}

#[derive(Arbitrary, Debug)]
struct RequirementModel {
    name: u8,
    body: BodyModel,
    /// `Some(true)`: `platform`, `Some(false)`: `provider`, `None`: the default.
    platform: Option<bool>,
    resolved_by: Option<u8>,
    deadline: Option<i8>,
    when: Option<ConditionModel>,
}

#[derive(Arbitrary, Debug)]
struct GroupModel {
    requirements: Vec<u8>,
    groups: Vec<u8>,
    any_of: Vec<Vec<u8>>,
}

#[derive(Arbitrary, Debug)]
struct CapabilityModel {
    requirements: Vec<u8>,
    groups: Vec<u8>,
    depends_on: Vec<u8>,
}

#[derive(Arbitrary, Debug)]
struct OperationModel {
    capabilities: Vec<u8>,
    context: bool,
}

#[derive(Arbitrary, Debug)]
struct RulesModel {
    header: bool,
    requirements: Vec<RequirementModel>,
    context: bool,
    groups: Vec<GroupModel>,
    capabilities: Vec<CapabilityModel>,
    operations: Vec<OperationModel>,
}

/// The rendered ruleset, with what the model says about it.
struct Rendered {
    toml: String,
    /// Per defined capability: its dependencies.
    depends_on: Vec<(&'static str, Vec<&'static str>)>,
    /// Per operation: its capabilities, sorted.
    operations: Vec<(&'static str, Vec<&'static str>)>,
}

/// `indexes` mapped into `names`, deduplicated, in first-seen order.
fn references(indexes: &[u8], names: &[&'static str], limit: usize) -> Vec<&'static str> {
    let mut out = Vec::new();
    if names.is_empty() {
        return out;
    }
    for &index in indexes.iter().take(limit) {
        let name = pick(names, index);
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// `items`, or `[fallback]` when empty (lists the rule format requires to be non-empty).
fn non_empty(mut items: Vec<&'static str>, fallback: &'static str) -> Vec<&'static str> {
    if items.is_empty() {
        items.push(fallback);
    }
    items
}

/// References to the names after position `after` only (acyclic by construction).
fn later_references(indexes: &[u8], names: &[&'static str], after: usize) -> Vec<&'static str> {
    names
        .get(after + 1..)
        .map_or_else(Vec::new, |later| references(indexes, later, 3))
}

impl RulesModel {
    fn render(&self) -> Rendered {
        let mut toml = String::new();
        if self.header {
            toml.push_str("[ruleset]\nid = \"fuzz\"\nversion = \"1\"\n\n");
        }
        let mut defined: Vec<&'static str> = Vec::new();
        for requirement in self.requirements.iter().take(6) {
            let name = pick(&REQUIREMENTS[..RULE_REQUIREMENTS], requirement.name);
            if defined.contains(&name) {
                continue;
            }
            defined.push(name);
            let _ = writeln!(toml, "[requirements.{name}]");
            match &requirement.body {
                BodyModel::Field {
                    path,
                    second_path,
                    optional,
                    sensitive,
                    checks,
                } => {
                    match second_path {
                        Some(second) => {
                            let paths = [pick(&PATHS, *path), pick(&PATHS, *second)];
                            let _ = writeln!(toml, "path = {}", quoted_list(paths));
                        }
                        None => {
                            let _ = writeln!(toml, "path = {}", quoted(pick(&PATHS, *path)));
                        }
                    }
                    if *optional {
                        toml.push_str("optional = true\n");
                    }
                    if *sensitive {
                        toml.push_str("sensitive = true\n");
                    }
                    let checks: Vec<String> = checks.iter().take(3).map(CheckModel::toml).collect();
                    let _ = writeln!(toml, "checks = [{}]", checks.join(", "));
                }
                BodyModel::Acceptance(versions) => {
                    toml.push_str("kind = \"acceptance\"\n");
                    let mut seen = Vec::new();
                    let mut entries = Vec::new();
                    for version in versions.iter().take(3) {
                        let id = pick(&VERSIONS, version.id);
                        if seen.contains(&id) {
                            continue;
                        }
                        seen.push(id);
                        let languages =
                            non_empty(references(&version.languages, &LANGUAGES, 3), "en");
                        let mut entry = format!(
                            "{{ id = {}, languages = {}, url = \"https://example.com/{id}\"",
                            quoted(id),
                            quoted_list(languages)
                        );
                        if let Some(deadline) = version.deadline {
                            let _ = write!(entry, ", deadline = {}", quoted(&hours(deadline)));
                        }
                        entry.push_str(" }");
                        entries.push(entry);
                    }
                    if entries.is_empty() {
                        entries.push(r#"{ id = "v1", languages = ["en"] }"#.to_owned());
                    }
                    let _ = writeln!(toml, "versions = [{}]", entries.join(", "));
                }
                BodyModel::Attestation(forms) => {
                    toml.push_str("kind = \"attestation\"\n");
                    let forms = non_empty(references(forms, &FORMS, 2), "us_w9");
                    let _ = writeln!(toml, "forms = {}", quoted_list(forms));
                }
            }
            match requirement.platform {
                Some(true) => toml.push_str("verified_by = \"platform\"\n"),
                Some(false) => toml.push_str("verified_by = \"provider\"\n"),
                None => {}
            }
            if let Some(resolver) = requirement.resolved_by {
                let _ = writeln!(
                    toml,
                    "resolved_by = {}",
                    quoted(pick(&["customer", "platform", "provider"], resolver))
                );
            }
            if let Some(deadline) = requirement.deadline {
                let _ = writeln!(toml, "deadline = {}", hours(deadline));
            }
            if let Some(condition) = &requirement.when {
                let mut entry = format!("{{ path = {}", quoted(pick(&PATHS, condition.path)));
                match &condition.test {
                    ConditionTest::OneOf(values) => {
                        let values = non_empty(references(values, &VALUES, 3), "NY");
                        let _ = write!(entry, ", one_of = {}", quoted_list(values));
                    }
                    ConditionTest::Present(present) => {
                        let _ = write!(entry, ", present = {present}");
                    }
                }
                entry.push_str(" }");
                let _ = writeln!(toml, "when = {entry}");
            }
            toml.push('\n');
        }
        if self.context {
            toml.push_str(
                "[context.requesterIpAddress]\npath = \"compliance.requesterIpAddress\"\n\
                 checks = [{ kind = \"ip_address\" }]\n\n",
            );
        }

        let groups: Vec<&'static str> = GROUPS
            .iter()
            .copied()
            .take(self.groups.len().min(GROUPS.len()))
            .collect();
        for (idx, group) in self.groups.iter().take(GROUPS.len()).enumerate() {
            let _ = writeln!(toml, "[groups.{}]", GROUPS[idx]);
            let _ = writeln!(
                toml,
                "requirements = {}",
                quoted_list(references(&group.requirements, &defined, 4))
            );
            let _ = writeln!(
                toml,
                "groups = {}",
                quoted_list(later_references(&group.groups, &groups, idx))
            );
            let mut alternatives: Vec<Vec<&'static str>> = Vec::new();
            for alternative in group.any_of.iter().take(3) {
                let alternative = references(alternative, &defined, 3);
                if !alternative.is_empty() && !alternatives.contains(&alternative) {
                    alternatives.push(alternative);
                }
            }
            if !alternatives.is_empty() {
                let rendered: Vec<String> = alternatives
                    .iter()
                    .map(|a| quoted_list(a.iter().copied()))
                    .collect();
                let _ = writeln!(toml, "any_of = [{}]", rendered.join(", "));
            }
            toml.push('\n');
        }

        let capabilities: Vec<&'static str> = CAPABILITIES[..RULE_CAPABILITIES]
            .iter()
            .copied()
            .take(self.capabilities.len().min(RULE_CAPABILITIES))
            .collect();
        let mut depends_on = Vec::new();
        for (idx, capability) in self.capabilities.iter().take(RULE_CAPABILITIES).enumerate() {
            let name = capabilities[idx];
            let dependencies = later_references(&capability.depends_on, &capabilities, idx);
            let _ = writeln!(toml, "[capabilities.{name}]");
            let _ = writeln!(
                toml,
                "requirements = {}",
                quoted_list(references(&capability.requirements, &defined, 4))
            );
            let _ = writeln!(
                toml,
                "groups = {}",
                quoted_list(references(&capability.groups, &groups, 3))
            );
            let _ = writeln!(
                toml,
                "depends_on = {}\n",
                quoted_list(dependencies.iter().copied())
            );
            depends_on.push((name, dependencies));
        }

        let mut operations = Vec::new();
        for (idx, operation) in self.operations.iter().take(OPERATIONS.len()).enumerate() {
            let name = OPERATIONS[idx];
            let mut needed = references(&operation.capabilities, &capabilities, 3);
            if needed.is_empty() {
                // An operation needs a capability or a context requirement (CG110).
                needed.extend(capabilities.first());
            }
            let context = operation.context && self.context;
            let _ = writeln!(toml, "[operations.{name}]");
            let _ = writeln!(
                toml,
                "capabilities = {}",
                quoted_list(needed.iter().copied())
            );
            if context {
                toml.push_str("context = [\"requesterIpAddress\"]\n");
            }
            toml.push('\n');
            needed.sort_unstable();
            operations.push((name, needed));
        }
        Rendered {
            toml,
            depends_on,
            operations,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum FieldModel {
    Missing,
    Null,
    Value(u8),
}

impl FieldModel {
    fn put(&self, object: &mut Map<String, Value>, key: &str, pool: &[&str]) {
        match self {
            FieldModel::Missing => {}
            FieldModel::Null => {
                object.insert(key.to_owned(), Value::Null);
            }
            FieldModel::Value(index) => {
                object.insert(key.to_owned(), Value::from(pick(pool, *index)));
            }
        }
    }
}

#[derive(Arbitrary, Debug)]
struct DateModel {
    day: FieldModel,
    month: FieldModel,
    year: FieldModel,
}

#[derive(Arbitrary, Debug)]
struct IndividualModel {
    first_name: FieldModel,
    full_ssn: FieldModel,
    ssn_last4: FieldModel,
    email: FieldModel,
    occupation: FieldModel,
    state: FieldModel,
    date_of_birth: Option<DateModel>,
}

#[derive(Arbitrary, Debug)]
struct CapabilityEntryModel {
    name: u8,
    null: bool,
    requested: Option<bool>,
    status: Option<u8>,
}

#[derive(Arbitrary, Debug)]
struct ProviderVersionModel {
    id: u8,
    languages: Vec<u8>,
    url: bool,
    deadline: Option<i8>,
}

#[derive(Arbitrary, Debug)]
struct ProviderRequirementModel {
    key: u8,
    status: u8,
    deadline: Option<i8>,
    impact: Vec<u8>,
    tos_versions: Option<Vec<ProviderVersionModel>>,
    tax_forms: Vec<u8>,
}

#[derive(Arbitrary, Debug)]
struct DatedModel {
    what: u8,
    language: u8,
    hours: i8,
}

#[derive(Arbitrary, Debug)]
struct CustomerModel {
    customer_id: bool,
    capabilities: Option<Vec<CapabilityEntryModel>>,
    requirements: Option<Vec<ProviderRequirementModel>>,
    tos_acceptances: Vec<DatedModel>,
    tax_attestations: Vec<DatedModel>,
    individual: Option<IndividualModel>,
    top_email: FieldModel,
    ip: FieldModel,
}

impl CustomerModel {
    fn render(&self) -> Value {
        let mut top = Map::new();
        if self.customer_id {
            top.insert("customerId".to_owned(), json!("customer_fuzz"));
        }
        if let Some(entries) = &self.capabilities {
            let mut map = Map::new();
            for entry in entries.iter().take(8) {
                let name = pick(&CAPABILITIES, entry.name);
                if entry.null {
                    map.insert(name.to_owned(), Value::Null);
                    continue;
                }
                let mut object = Map::new();
                if let Some(requested) = entry.requested {
                    object.insert("requested".to_owned(), Value::Bool(requested));
                }
                if let Some(status) = entry.status {
                    object.insert(
                        "status".to_owned(),
                        json!(pick(&CAPABILITY_STATUSES, status)),
                    );
                }
                map.insert(name.to_owned(), Value::Object(object));
            }
            top.insert("capabilities".to_owned(), Value::Object(map));
        }
        if let Some(entries) = &self.requirements {
            let mut map = Map::new();
            for entry in entries.iter().take(6) {
                let key = pick(&REQUIREMENTS, entry.key);
                let mut object = Map::new();
                object.insert(
                    "status".to_owned(),
                    json!(pick(&REQUIREMENT_STATUSES, entry.status)),
                );
                if let Some(deadline) = entry.deadline {
                    object.insert("deadline".to_owned(), json!(hours(deadline)));
                }
                let impact: Vec<&str> = entry
                    .impact
                    .iter()
                    .take(4)
                    .map(|&c| pick(&CAPABILITIES, c))
                    .collect();
                object.insert("impact".to_owned(), json!(impact));
                if let Some(versions) = &entry.tos_versions {
                    let versions: Vec<Value> = versions
                        .iter()
                        .take(3)
                        .map(|version| {
                            let mut object = Map::new();
                            object
                                .insert("versionId".to_owned(), json!(pick(&VERSIONS, version.id)));
                            let languages: Vec<&str> = version
                                .languages
                                .iter()
                                .take(3)
                                .map(|&l| pick(&LANGUAGES, l))
                                .collect();
                            object.insert("languages".to_owned(), json!(languages));
                            if version.url {
                                object.insert("url".to_owned(), json!("https://example.com/tos"));
                            }
                            if let Some(deadline) = version.deadline {
                                object.insert("deadline".to_owned(), json!(hours(deadline)));
                            }
                            Value::Object(object)
                        })
                        .collect();
                    object.insert("tosVersions".to_owned(), Value::Array(versions));
                }
                if !entry.tax_forms.is_empty() {
                    let forms: Vec<&str> = entry
                        .tax_forms
                        .iter()
                        .take(2)
                        .map(|&f| pick(&FORMS, f))
                        .collect();
                    object.insert("taxForms".to_owned(), json!(forms));
                }
                map.insert(key.to_owned(), Value::Object(object));
            }
            top.insert("requirements".to_owned(), Value::Object(map));
        }
        if !self.tos_acceptances.is_empty() {
            let list: Vec<Value> = self
                .tos_acceptances
                .iter()
                .take(3)
                .map(|a| {
                    json!({
                        "versionId": pick(&VERSIONS, a.what),
                        "language": pick(&LANGUAGES, a.language),
                        "acceptedAt": hours(a.hours),
                    })
                })
                .collect();
            top.insert("tosAcceptances".to_owned(), Value::Array(list));
        }
        if !self.tax_attestations.is_empty() {
            let list: Vec<Value> = self
                .tax_attestations
                .iter()
                .take(2)
                .map(|a| json!({"form": pick(&FORMS, a.what), "acceptedAt": hours(a.hours)}))
                .collect();
            top.insert("taxAttestations".to_owned(), Value::Array(list));
        }
        if let Some(individual) = &self.individual {
            let mut object = Map::new();
            individual.first_name.put(&mut object, "firstName", &VALUES);
            individual.full_ssn.put(&mut object, "fullSsn", &VALUES);
            individual.ssn_last4.put(&mut object, "ssnLast4", &VALUES);
            individual.email.put(&mut object, "email", &VALUES);
            individual
                .occupation
                .put(&mut object, "occupation", &VALUES);
            let mut address = Map::new();
            individual.state.put(&mut address, "state", &VALUES);
            if !address.is_empty() {
                object.insert("address".to_owned(), Value::Object(address));
            }
            if let Some(date) = &individual.date_of_birth {
                let mut dob = Map::new();
                date.day.put(&mut dob, "day", &DAYS);
                date.month.put(&mut dob, "month", &MONTHS);
                date.year.put(&mut dob, "year", &YEARS);
                object.insert("dateOfBirth".to_owned(), Value::Object(dob));
            }
            top.insert("individual".to_owned(), Value::Object(object));
        }
        self.top_email.put(&mut top, "email", &VALUES);
        let mut compliance = Map::new();
        self.ip.put(&mut compliance, "requesterIpAddress", &VALUES);
        if !compliance.is_empty() {
            top.insert("compliance".to_owned(), Value::Object(compliance));
        }
        Value::Object(top)
    }
}

#[derive(Arbitrary, Debug)]
struct Case {
    rules: RulesModel,
    customer: CustomerModel,
    /// Minutes from the base time.
    at_minutes: i16,
    pretty: bool,
}

fuzz_target!(|case: Case| {
    let rendered = case.rules.render();
    // `CAPGATE_FUZZ_PRINT=1 cargo +nightly fuzz run structured INPUT` shows the texts.
    let print = std::env::var_os("CAPGATE_FUZZ_PRINT").is_some();
    if print {
        eprintln!("--- rules\n{}", rendered.toml);
    }
    let sources = [Source::new("model.toml", rendered.toml.as_str())];
    let rules = match RuleSet::from_sources(&sources) {
        Ok(rules) => rules,
        Err(errors) => {
            check_load_errors(&sources, &errors);
            return;
        }
    };
    check_ruleset(&sources, &rules);

    let snapshot_value = case.customer.render();
    let text = if case.pretty {
        serde_json::to_string_pretty(&snapshot_value)
    } else {
        serde_json::to_string(&snapshot_value)
    }
    .expect("a JSON value prints");
    if print {
        eprintln!("--- snapshot at {} minutes\n{text}", case.at_minutes);
    }
    let snapshot = Snapshot::from_json(&text)
        .unwrap_or_else(|err| panic!("a modelled snapshot is rejected: {err}\n{text}"));
    let at = Timestamp::from_unix_seconds(BASE_AT_SECONDS + i64::from(case.at_minutes) * 60);
    check_evaluation(&rules, &text, &snapshot, at);

    let evaluation = rules.evaluate(&snapshot, at);
    for (name, state) in &evaluation.capabilities {
        let entry = snapshot_value["capabilities"].get(name.as_str());
        let requested = entry.and_then(|e| e.get("requested")) == Some(&Value::Bool(true));
        let inactive = entry.and_then(|e| e.get("status")) == Some(&json!("inactive"));
        if !requested || inactive {
            assert!(
                !evaluation.allowed.contains(name),
                "{name} allowed: not requested or inactive"
            );
            assert_ne!(state.status, CapabilityStatus::Active, "{name} active");
        }
    }
    for (name, dependencies) in &rendered.depends_on {
        if evaluation.capabilities[*name].status == CapabilityStatus::Active {
            for dependency in dependencies {
                assert_eq!(
                    evaluation.capabilities[*dependency].status,
                    CapabilityStatus::Active,
                    "{name} is active while its dependency {dependency} is not"
                );
            }
        }
    }
    for (operation, capabilities) in &rendered.operations {
        let explanation = rules
            .explain(&snapshot, Target::Operation(operation), at)
            .expect("a modelled operation is known");
        let mut explained: Vec<&str> = explanation
            .tree
            .children
            .iter()
            .filter(|node| node.kind == NodeKind::Capability)
            .map(|node| node.name.as_str())
            .collect();
        explained.sort_unstable();
        assert_eq!(
            &explained, capabilities,
            "{operation}: capabilities of the explanation"
        );
        let decision = rules
            .check(&snapshot, operation, at)
            .expect("known operation");
        if decision.allowed {
            for capability in capabilities {
                assert!(
                    evaluation.allowed.iter().any(|a| a == capability),
                    "{operation} allowed without {capability}"
                );
            }
        }
    }
});
