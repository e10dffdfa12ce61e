//! The reference evaluation: the README's "Evaluation semantics" (a)-(i) and `check`, written
//! as plainly as possible over `serde_json::Value` and the structs of [`super::model`]. No
//! indexes, no bit sets, no caching: every question is answered by walking the rules again.
//!
//! Each step cites the README sentence it implements. Where the README leaves a choice open,
//! the comment says `READING:` and which one this oracle takes.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use capgate::Timestamp;
use serde_json::Value;

use super::model::{Check, Condition, Field, Kind, Requirement, Rules};

/// An evaluation, reduced to what the oracle compares (times in Unix seconds, statuses as
/// their wire names).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Eval {
    /// name -> (requested, status)
    pub(crate) capabilities: BTreeMap<String, (bool, &'static str)>,
    pub(crate) requirements: BTreeMap<String, Req>,
    pub(crate) allowed: Vec<String>,
    pub(crate) waiting_on: BTreeMap<String, Waiting>,
    pub(crate) next_transition_at: Option<i64>,
    /// How many warnings (their text is free).
    pub(crate) warnings: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Req {
    pub(crate) status: &'static str,
    pub(crate) blocking: bool,
    pub(crate) impact: Vec<String>,
    pub(crate) deadline: Option<i64>,
    /// (versionId, deadline), sorted by id.
    pub(crate) tos_versions: Vec<(String, Option<i64>)>,
    pub(crate) tax_forms: Vec<String>,
    /// (code, JSON pointer), sorted.
    pub(crate) errors: Vec<(String, String)>,
    pub(crate) resolved_by: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Waiting {
    pub(crate) requirements: Vec<String>,
    pub(crate) capabilities: Vec<String>,
    pub(crate) provider: bool,
}

/// A `check` decision, reduced to what the oracle compares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Decision {
    pub(crate) allowed: bool,
    pub(crate) error_type: Option<&'static str>,
    pub(crate) unauthorized_capabilities: Vec<String>,
    /// (field, code, path), sorted.
    pub(crate) invalid_context: Vec<(String, String, String)>,
    pub(crate) requirements: BTreeMap<String, Req>,
}

// ---------------------------------------------------------------------------------------------
// The snapshot: "`null` is the same as absent".
// ---------------------------------------------------------------------------------------------

/// The value at `path` (object keys), `None` when absent or `null`.
pub(crate) fn lookup<'a>(root: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut cursor = root;
    for segment in path {
        cursor = cursor.as_object()?.get(segment)?;
    }
    if cursor.is_null() { None } else { Some(cursor) }
}

fn get<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    value.as_object()?.get(key).filter(|v| !v.is_null())
}

fn time_of(value: Option<&Value>) -> Option<i64> {
    let text = value?.as_str()?;
    Some(
        Timestamp::parse(text)
            .expect("a valid timestamp")
            .unix_seconds(),
    )
}

fn string_list(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The provider's `requirements` map: `None` for a draft ("no provider map").
fn provider_map(snapshot: &Value) -> Option<&serde_json::Map<String, Value>> {
    get(snapshot, "requirements").and_then(Value::as_object)
}

fn provider_entry<'a>(snapshot: &'a Value, key: &str) -> Option<&'a Value> {
    provider_map(snapshot)?.get(key).filter(|v| !v.is_null())
}

fn pointer(path: &[String]) -> String {
    let mut out = String::new();
    for segment in path {
        out.push('/');
        out.push_str(segment);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Field checks ("Check kinds").
// ---------------------------------------------------------------------------------------------

/// What checking a field gives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FieldOutcome {
    Met,
    /// Absent or `null` (no error code): the pointer of the first path.
    Missing(String),
    Invalid(&'static str, String),
    /// `date_in_future`: valid from the given instant.
    NotYet(String, i64),
}

enum CheckFail {
    Code(&'static str),
    NotYet(i64),
}

/// "with several, the first one present is used"; "A missing value (absent or `null`; an
/// object of only nulls for `date_parts`) is not an error code"; `optional`: "a missing value
/// meets it; a present one must still pass the checks"; "checks run in order; the first that
/// fails gives the error code".
pub(crate) fn check_field(field: &Field, snapshot: &Value, at: i64) -> FieldOutcome {
    let found = field
        .paths
        .iter()
        .find_map(|path| lookup(snapshot, path).map(|value| (path, value)));
    let missing = || {
        if field.optional {
            FieldOutcome::Met
        } else {
            FieldOutcome::Missing(pointer(field.paths.first().map_or(&[][..], Vec::as_slice)))
        }
    };
    let Some((path, value)) = found else {
        return missing();
    };
    let has_date_parts = field
        .checks
        .iter()
        .any(|c| matches!(c, Check::DateParts { .. }));
    if has_date_parts {
        if let Some(object) = value.as_object() {
            if object.values().all(Value::is_null) {
                // READING: `{}` is "an object of only nulls" too (vacuously).
                return if field.optional {
                    FieldOutcome::Met
                } else {
                    FieldOutcome::Missing(pointer(path))
                };
            }
        }
    }
    for check in &field.checks {
        match run_check(check, value, at) {
            Ok(()) => {}
            Err(CheckFail::Code(code)) => return FieldOutcome::Invalid(code, pointer(path)),
            Err(CheckFail::NotYet(from)) => return FieldOutcome::NotYet(pointer(path), from),
        }
    }
    FieldOutcome::Met
}

/// Whether `value` passes every check (used by the generators to find a valid value).
pub(crate) fn passes(checks: &[Check], value: &Value, at: i64) -> bool {
    checks.iter().all(|c| run_check(c, value, at).is_ok())
}

fn run_check(check: &Check, value: &Value, at: i64) -> Result<(), CheckFail> {
    use CheckFail::Code;
    match check {
        // "`empty` for a blank string (whitespace only), an empty array or object"
        Check::NonEmpty => match value {
            Value::String(text) if text.trim().is_empty() => Err(Code("empty")),
            Value::Array(items) if items.is_empty() => Err(Code("empty")),
            Value::Object(map) if map.is_empty() => Err(Code("empty")),
            _ => Ok(()),
        },
        // "`value_not_allowed`; `invalid_type` for a non-string"
        Check::OneOf(values) => match value.as_str() {
            None => Err(Code("invalid_type")),
            Some(text) if values.iter().any(|v| v == text) => Ok(()),
            Some(_) => Err(Code("value_not_allowed")),
        },
        // "`invalid_format`; `invalid_type`" (anchoring is the pattern's own business)
        Check::Pattern(regex) => match value.as_str() {
            None => Err(Code("invalid_type")),
            Some(text) if regex.is_match(text) => Ok(()),
            Some(_) => Err(Code("invalid_format")),
        },
        // "`min`, `max` (characters)": "`too_short`, `too_long`; `invalid_type`"
        Check::Length { min, max } => {
            let Some(text) = value.as_str() else {
                return Err(Code("invalid_type"));
            };
            let count = text.chars().count();
            if min.is_some_and(|min| count < min) {
                Err(Code("too_short"))
            } else if max.is_some_and(|max| count > max) {
                Err(Code("too_long"))
            } else {
                Ok(())
            }
        }
        Check::DateParts { allow_future } => date_parts(value, *allow_future, at),
        // "`invalid_ip_address` for anything but an IPv4 or IPv6 address; `invalid_type`"
        Check::IpAddress => match value.as_str() {
            None => Err(Code("invalid_type")),
            Some(text) if text.parse::<IpAddr>().is_ok() => Ok(()),
            Some(_) => Err(Code("invalid_ip_address")),
        },
    }
}

/// "a `{day, month, year}` object of strings, day and month with one or two digits (`7` or
/// `07`), a four-digit year: `invalid_type`, `incomplete_date`, `invalid_format`,
/// `invalid_date` (no 31 February), `date_in_future` (after the evaluation time)".
/// READING: the codes are tried in the order listed; a date is after the evaluation time when
/// its first instant (00:00:00Z) is, and it becomes valid then.
fn date_parts(value: &Value, allow_future: bool, at: i64) -> Result<(), CheckFail> {
    use CheckFail::Code;
    let Some(object) = value.as_object() else {
        return Err(Code("invalid_type"));
    };
    let mut parts = Vec::new();
    for key in ["day", "month", "year"] {
        match object.get(key) {
            None | Some(Value::Null) => parts.push(None),
            Some(Value::String(text)) => parts.push(Some(text.as_str())),
            Some(_) => return Err(Code("invalid_type")),
        }
    }
    let [Some(day), Some(month), Some(year)] = parts[..] else {
        return Err(Code("incomplete_date"));
    };
    let digits = |text: &str, lengths: &[usize]| {
        lengths.contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(day, &[1, 2]) || !digits(month, &[1, 2]) || !digits(year, &[4]) {
        return Err(Code("invalid_format"));
    }
    let (day, month, year): (i64, i64, i64) = (
        day.parse().expect("digits"),
        month.parse().expect("digits"),
        year.parse().expect("digits"),
    );
    // READING: "one or two digits" is the provider's own pattern (domain digest §4.1,
    // `DateOfBirthLenient`: day `0?[1-9]|[12][0-9]|3[01]`, month `0?[1-9]|1[0-2]`), so a day
    // outside 1-31 or a month outside 1-12 is `invalid_format`; `invalid_date` is left for
    // dates the calendar lacks ("no 31 February").
    if !(1..=31).contains(&day) || !(1..=12).contains(&month) {
        return Err(Code("invalid_format"));
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 31,
    };
    if day > days_in_month {
        return Err(Code("invalid_date"));
    }
    let start = days_from_civil(year, month, day) * 86_400;
    if !allow_future && start > at {
        return Err(CheckFail::NotYet(start));
    }
    Ok(())
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `when`: "the requirement applies only when every condition holds"; `one_of`: "the value is
/// one of these strings; a **missing** value counts as holding"; `present`: "the value is
/// present (`true`) or absent (`false`)".
fn conditions_hold(conditions: &[Condition], snapshot: &Value) -> bool {
    conditions.iter().all(|condition| {
        let value = lookup(snapshot, &condition.path);
        let one_of_holds = condition.one_of.as_ref().is_none_or(|values| match value {
            None => true,
            Some(Value::String(text)) => values.contains(text),
            Some(_) => false,
        });
        let present_holds = condition
            .present
            .is_none_or(|wanted| value.is_some() == wanted);
        one_of_holds && present_holds
    })
}

// ---------------------------------------------------------------------------------------------
// Requirement statuses: (d) and (e).
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    EventuallyDue,
    Due,
    Pending,
    Rejected,
    PastDue,
}

impl Status {
    fn name(self) -> &'static str {
        match self {
            Status::EventuallyDue => "eventually_due",
            Status::Due => "due",
            Status::Pending => "pending",
            Status::Rejected => "rejected",
            Status::PastDue => "past_due",
        }
    }
}

/// One source of a requirement's status: the provider's entry, or the snapshot's own data.
struct Part {
    status: Status,
    /// For `due`: the items, each with its deadline (e). For the other statuses, the
    /// deadlines to report.
    items: Vec<Option<i64>>,
    tos_versions: Vec<(String, Option<i64>)>,
    tax_forms: Vec<String>,
    errors: Vec<(String, String)>,
    /// Instants after `at` at which this part could change.
    transitions: Vec<i64>,
}

/// A requirement's combined status, or `None` when it is met.
struct Assessed {
    status: Status,
    blocking: bool,
    deadline: Option<i64>,
    tos_versions: Vec<(String, Option<i64>)>,
    tax_forms: Vec<String>,
    errors: Vec<(String, String)>,
}

/// "if the provider's `requirements` map lists it, its status is the provider's (`due`,
/// `past_due`, `pending`, `rejected`; the older `overdue` means `past_due`, and
/// `eventually_due` is reported but never blocking; an unknown status is treated as
/// `pending`, that is blocking, with a warning)".
fn provider_part(entry: &Value) -> Part {
    let status = match get(entry, "status").and_then(Value::as_str) {
        Some("due") => Status::Due,
        Some("past_due" | "overdue") => Status::PastDue,
        Some("rejected") => Status::Rejected,
        Some("eventually_due") => Status::EventuallyDue,
        _ => Status::Pending,
    };
    let versions: Vec<(String, Option<i64>)> = get(entry, "tosVersions")
        .and_then(Value::as_array)
        .map(|versions| {
            versions
                .iter()
                .map(|v| {
                    (
                        get(v, "versionId")
                            .and_then(Value::as_str)
                            .expect("versionId")
                            .to_owned(),
                        time_of(get(v, "deadline")),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    // (e) "For `tos` the items are the versions, each with its own deadline (the provider's
    // aggregate `deadline` is used only when it lists no versions)."
    let items = if versions.is_empty() {
        vec![time_of(get(entry, "deadline"))]
    } else {
        versions.iter().map(|(_, deadline)| *deadline).collect()
    };
    Part {
        status,
        items,
        tos_versions: versions,
        tax_forms: string_list(get(entry, "taxForms")),
        errors: Vec::new(),
        transitions: Vec::new(),
    }
}

/// The snapshot's own data: `None` when it meets the requirement.
fn local_part(definition: &Requirement, snapshot: &Value, at: i64) -> Option<Part> {
    let due = |items: Vec<Option<i64>>| Part {
        status: Status::Due,
        items,
        tos_versions: Vec::new(),
        tax_forms: Vec::new(),
        errors: Vec::new(),
        transitions: Vec::new(),
    };
    match &definition.kind {
        // "a valid value meets it, a missing or invalid value makes it `due`, with an error
        // code for an invalid value"
        Kind::Field(field) => match check_field(field, snapshot, at) {
            FieldOutcome::Met => None,
            FieldOutcome::Missing(_) => Some(due(vec![definition.deadline])),
            FieldOutcome::Invalid(code, path) => {
                let mut part = due(vec![definition.deadline]);
                part.errors.push((code.to_owned(), path));
                Some(part)
            }
            FieldOutcome::NotYet(path, from) => {
                let mut part = due(vec![definition.deadline]);
                part.errors.push(("date_in_future".to_owned(), path));
                // (i) "a date in the future in a field not marked `sensitive`: a sensitive
                // date, such as a date of birth, is never echoed, so it schedules nothing"
                if !definition.sensitive {
                    part.transitions.push(from);
                }
                Some(part)
            }
        },
        // "each met by a `tosAcceptances` entry with its `versionId`, a `language` it offers
        // and an `acceptedAt` not after the evaluation time"
        Kind::Acceptance(versions) => {
            let acceptances = get(snapshot, "tosAcceptances")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let mut part = due(Vec::new());
            for version in versions {
                let mut accepted = false;
                let mut errors = Vec::new();
                let mut transitions = Vec::new();
                for (idx, acceptance) in acceptances.iter().enumerate() {
                    if get(acceptance, "versionId").and_then(Value::as_str)
                        != Some(version.id.as_str())
                    {
                        continue;
                    }
                    let language = get(acceptance, "language")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    let accepted_at = time_of(get(acceptance, "acceptedAt")).expect("acceptedAt");
                    if !version.languages.iter().any(|l| l == language) {
                        errors.push((
                            "unsupported_tos_language".to_owned(),
                            format!("/tosAcceptances/{idx}/language"),
                        ));
                    } else if accepted_at > at {
                        errors.push((
                            "accepted_after_at".to_owned(),
                            format!("/tosAcceptances/{idx}/acceptedAt"),
                        ));
                        transitions.push(accepted_at);
                    } else {
                        accepted = true;
                    }
                }
                if accepted {
                    continue;
                }
                // READING: a rule-level `deadline` on an acceptance applies to each of its
                // versions (the earlier of the two); `tosVersions[].deadline` echoes the
                // version's own.
                let deadline = earliest(version.deadline, definition.deadline);
                part.items.push(deadline);
                part.tos_versions
                    .push((version.id.clone(), version.deadline));
                part.errors.extend(errors);
                part.transitions.extend(transitions);
            }
            if part.tos_versions.is_empty() {
                None
            } else {
                Some(part)
            }
        }
        // "each met by a `taxAttestations` entry with that `form` and an `acceptedAt` not
        // after the evaluation time"
        Kind::Attestation(forms) => {
            let attestations = get(snapshot, "taxAttestations")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let mut part = due(Vec::new());
            for form in forms {
                let mut met = false;
                let mut errors = Vec::new();
                let mut transitions = Vec::new();
                for (idx, attestation) in attestations.iter().enumerate() {
                    if get(attestation, "form").and_then(Value::as_str) != Some(form.as_str()) {
                        continue;
                    }
                    let accepted_at = time_of(get(attestation, "acceptedAt")).expect("acceptedAt");
                    if accepted_at > at {
                        errors.push((
                            "accepted_after_at".to_owned(),
                            format!("/taxAttestations/{idx}/acceptedAt"),
                        ));
                        transitions.push(accepted_at);
                    } else {
                        met = true;
                    }
                }
                if met {
                    continue;
                }
                part.items.push(definition.deadline);
                part.tax_forms.push(form.clone());
                part.errors.extend(errors);
                part.transitions.extend(transitions);
            }
            if part.tax_forms.is_empty() {
                None
            } else {
                Some(part)
            }
        }
    }
}

fn earliest(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// "the stricter status wins (`past_due` > `rejected` > blocking `due` > `pending` > `due` in
/// a grace period > `eventually_due`)".
fn strictness(status: Status, blocking: bool) -> u8 {
    match (status, blocking) {
        (Status::PastDue, _) => 5,
        (Status::Rejected, _) => 4,
        (Status::Due, true) => 3,
        (Status::Pending, _) => 2,
        (Status::Due, false) => 1,
        (Status::EventuallyDue, _) => 0,
    }
}

/// Combines the parts of one requirement; `None` when there is none (met). Collects the
/// instants after `at` at which it could change.
fn combine(parts: Vec<Part>, at: i64, transitions: &mut Vec<i64>) -> Option<Assessed> {
    let mut best: Option<(u8, Status, bool)> = None;
    let mut deadline = None;
    let mut tos_versions: BTreeMap<String, Option<i64>> = BTreeMap::new();
    let mut tax_forms = BTreeSet::new();
    let mut errors = Vec::new();
    for part in parts {
        let (status, blocking) = match part.status {
            // (e) "a `due` item whose deadline is at or before `at` makes the requirement
            // `past_due`; a `due` item whose deadline is still in the future is a grace
            // period and does not block; a `due` item without a deadline blocks now."
            Status::Due => {
                let past = part.items.iter().flatten().any(|d| *d <= at);
                let now = part.items.iter().any(Option::is_none);
                for d in part.items.iter().flatten() {
                    if *d > at {
                        transitions.push(*d);
                    }
                }
                if past {
                    (Status::PastDue, true)
                } else {
                    (Status::Due, now || part.items.is_empty())
                }
            }
            Status::EventuallyDue => (Status::EventuallyDue, false),
            other => (other, true),
        };
        let rank = strictness(status, blocking);
        if best.is_none_or(|(r, _, _)| rank > r) {
            best = Some((rank, status, blocking));
        }
        // "The entry's `deadline` is the earliest that applies."
        for d in part.items.iter().flatten() {
            deadline = earliest(deadline, Some(*d));
        }
        // "`tosVersions` lists the provider's versions and the rules' unaccepted ones"
        // READING: a version in both keeps the earlier deadline.
        for (id, version_deadline) in part.tos_versions {
            let slot = tos_versions.entry(id).or_insert(version_deadline);
            *slot = earliest(*slot, version_deadline);
        }
        tax_forms.extend(part.tax_forms);
        errors.extend(part.errors);
        transitions.extend(part.transitions);
    }
    let (_, status, blocking) = best?;
    errors.sort();
    Some(Assessed {
        status,
        blocking,
        deadline,
        tos_versions: tos_versions.into_iter().collect(),
        tax_forms: tax_forms.into_iter().collect(),
        errors,
    })
}

/// (d) The status of requirement `key` (needed by a live capability, or listed).
fn assess(
    rules: &Rules,
    snapshot: &Value,
    key: &str,
    at: i64,
    transitions: &mut Vec<i64>,
) -> Option<Assessed> {
    let mut parts = Vec::new();
    if let Some(entry) = provider_entry(snapshot, key) {
        parts.push(provider_part(entry));
    }
    if let Some(definition) = rules.requirements.get(key) {
        let checked_here = match definition.kind {
            // "acceptance requirements (`tos`) are always also checked against
            // `tosAcceptances` and the ruleset's versions"
            Kind::Acceptance(_) => true,
            // "requirements marked `verified_by = "platform"` are always checked against the
            // snapshot's own data" ("attestations ... only in drafts and for platform policy")
            _ if definition.platform => true,
            // "else, if the snapshot carries a provider `requirements` map (even `{}`), a
            // requirement the provider verifies counts as met"; "else (a draft ...) it is
            // checked against the snapshot's own data"
            _ => provider_map(snapshot).is_none(),
        };
        // READING: where the provider lists a requirement that is also checked here (platform
        // policy, `tos`), the stricter status wins, as the README says for `tos`.
        if checked_here {
            parts.extend(local_part(definition, snapshot, at));
        }
    }
    combine(parts, at, transitions)
}

// ---------------------------------------------------------------------------------------------
// What each capability needs.
// ---------------------------------------------------------------------------------------------

/// "A capability needs its own requirements, its groups' (recursively) and its dependencies'
/// (recursively)": the requirement keys and the `any_of` sets (each a list of alternatives).
fn needs(rules: &Rules, capability: &str) -> (BTreeSet<String>, Vec<Vec<Vec<String>>>) {
    let mut keys = BTreeSet::new();
    let mut any_of = Vec::new();
    let Some(members) = rules.capabilities.get(capability) else {
        return (keys, any_of);
    };
    keys.extend(members.requirements.iter().cloned());
    for group in &members.groups {
        group_needs(rules, group, &mut keys, &mut any_of);
    }
    for dependency in &members.depends_on {
        let (more_keys, more_any_of) = needs(rules, dependency);
        keys.extend(more_keys);
        any_of.extend(more_any_of);
    }
    (keys, any_of)
}

fn group_needs(
    rules: &Rules,
    group: &str,
    keys: &mut BTreeSet<String>,
    any_of: &mut Vec<Vec<Vec<String>>>,
) {
    let members = &rules.groups[group];
    keys.extend(members.requirements.iter().cloned());
    any_of.extend(members.any_of.iter().cloned());
    for inner in &members.groups {
        group_needs(rules, inner, keys, any_of);
    }
}

fn applies(rules: &Rules, snapshot: &Value, key: &str) -> bool {
    rules
        .requirements
        .get(key)
        .is_none_or(|r| conditions_hold(&r.when, snapshot))
}

// ---------------------------------------------------------------------------------------------
// The evaluation.
// ---------------------------------------------------------------------------------------------

/// Where a capability stands before requirements: (b) and (c).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Inactive,
    Unrequested,
    /// "A **live** capability is one that is requested and not inactive."
    Live {
        provider_active: bool,
    },
}

struct Standing {
    /// The snapshot's `requested` (not the what-if's).
    requested: bool,
    state: State,
}

/// (g) "A live capability is `pending` if any blocking requirement ... names it in its
/// `impact`, or if a dependency is not active. Otherwise it is `active` only if the provider
/// reported it `active`, else `pending`."
fn status_of(
    name: &str,
    rules: &Rules,
    standings: &BTreeMap<String, Standing>,
    requirements: &BTreeMap<String, Req>,
) -> &'static str {
    let provider_active = match standings[name].state {
        State::Inactive => return "inactive",
        State::Unrequested => return "unrequested",
        State::Live { provider_active } => provider_active,
    };
    let blocked = requirements
        .values()
        .any(|r| r.blocking && r.impact.iter().any(|n| n == name));
    let dependencies_active = rules.capabilities[name]
        .depends_on
        .iter()
        .all(|d| status_of(d, rules, standings, requirements) == "active");
    if blocked || !dependencies_active || !provider_active {
        "pending"
    } else {
        "active"
    }
}

/// [`capgate::RuleSet::evaluate`], by the README.
pub(crate) fn evaluate(rules: &Rules, snapshot: &Value, at: i64) -> Eval {
    evaluate_assuming(rules, snapshot, at, &[])
}

/// The evaluation, with the capabilities of `assume` counted as requested (`check`'s what-if).
#[allow(
    clippy::too_many_lines,
    reason = "the README's steps, in order, read best in one place"
)]
fn evaluate_assuming(rules: &Rules, snapshot: &Value, at: i64, assume: &[String]) -> Eval {
    // (a) "Every capability of the ruleset appears in the output with `requested` and
    // `status`"; (b) "A provider status `inactive` is terminal"; (c) "A capability whose
    // `requested` is not `true` is `unrequested`".
    // READING: (b) before (c): a capability the provider reports `inactive` is `inactive`
    // whether or not it is requested.
    let mut standings = BTreeMap::new();
    for name in rules.capabilities.keys() {
        let entry = lookup(snapshot, &["capabilities".to_owned(), name.clone()]);
        let requested = entry.and_then(|e| get(e, "requested")) == Some(&Value::Bool(true));
        let status = entry.and_then(|e| get(e, "status")).and_then(Value::as_str);
        let inactive = status == Some("inactive");
        let counted = requested || assume.contains(name);
        standings.insert(
            name.clone(),
            Standing {
                requested,
                state: if inactive {
                    State::Inactive
                } else if counted {
                    State::Live {
                        provider_active: status == Some("active"),
                    }
                } else {
                    State::Unrequested
                },
            },
        );
    }
    let live: Vec<&String> = standings
        .iter()
        .filter(|(_, s)| matches!(s.state, State::Live { .. }))
        .map(|(name, _)| name)
        .collect();

    // (d) "For each requirement a live capability needs (its requirements whose `when`
    // conditions hold, and of each `any_of` group the cheapest alternative's), and each
    // requirement the provider lists". Every member of an alternative of a live capability is
    // assessed too, to find the cheapest.
    let mut candidates: BTreeSet<String> = BTreeSet::new();
    let mut needed_by: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut any_of_of: BTreeMap<String, Vec<Vec<Vec<String>>>> = BTreeMap::new();
    for name in &live {
        let (keys, any_of) = needs(rules, name);
        for key in keys {
            if applies(rules, snapshot, &key) {
                candidates.insert(key.clone());
                needed_by.entry(key).or_default().insert((*name).clone());
            }
        }
        for set in &any_of {
            for alternative in set {
                for key in alternative {
                    if applies(rules, snapshot, key) {
                        candidates.insert(key.clone());
                    }
                }
            }
        }
        any_of_of.insert((*name).clone(), any_of);
    }
    let listed: BTreeSet<String> = provider_map(snapshot)
        .map(|map| {
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default();
    let mut transitions = Vec::new();
    let mut assessed: BTreeMap<String, Assessed> = BTreeMap::new();
    for key in candidates.iter().chain(&listed) {
        if assessed.contains_key(key) {
            continue;
        }
        if let Some(result) = assess(rules, snapshot, key, at, &mut transitions) {
            assessed.insert(key.clone(), result);
        }
    }
    let blocking = |key: &String| assessed.get(key).is_some_and(|a| a.blocking);

    // "A capability that needs the group needs, in its `impact`, the requirements of its
    // cheapest alternative: the one with the fewest blocking requirements, the first on a
    // tie."
    for (name, sets) in &any_of_of {
        for set in sets {
            let cost = |alternative: &Vec<String>| {
                alternative
                    .iter()
                    .filter(|key| applies(rules, snapshot, key) && blocking(key))
                    .count()
            };
            let mut chosen: Option<(&Vec<String>, usize)> = None;
            for alternative in set {
                let c = cost(alternative);
                if chosen.is_none_or(|(_, best)| c < best) {
                    chosen = Some((alternative, c));
                }
            }
            if let Some((alternative, _)) = chosen {
                for key in alternative {
                    if applies(rules, snapshot, key) {
                        needed_by
                            .entry(key.clone())
                            .or_default()
                            .insert(name.clone());
                    }
                }
            }
        }
    }

    // (f) "Each outstanding requirement is listed once, with `impact` = the sorted union of
    // the provider's `impact` and the capabilities whose rules need it, restricted to live
    // capabilities (it may be empty). Met requirements are not listed."
    let mut requirements = BTreeMap::new();
    for (key, result) in assessed {
        let by_rules = needed_by.get(&key).cloned().unwrap_or_default();
        if by_rules.is_empty() && !listed.contains(&key) {
            // An alternative no capability took.
            continue;
        }
        let mut impact: BTreeSet<String> = by_rules;
        if let Some(entry) = provider_entry(snapshot, &key) {
            for name in string_list(get(entry, "impact")) {
                if standings
                    .get(&name)
                    .is_some_and(|s| matches!(s.state, State::Live { .. }))
                {
                    impact.insert(name);
                }
            }
        }
        let resolved_by = rules.requirements.get(&key).map(|d| d.resolved_by.clone());
        requirements.insert(
            key,
            Req {
                status: result.status.name(),
                blocking: result.blocking,
                impact: impact.into_iter().collect(),
                deadline: result.deadline,
                tos_versions: result.tos_versions,
                tax_forms: result.tax_forms,
                errors: result.errors,
                resolved_by,
            },
        );
    }

    // (g), by `status_of`.
    let mut capabilities = BTreeMap::new();
    let mut waiting_on = BTreeMap::new();
    for (name, standing) in &standings {
        let status = status_of(name, rules, &standings, &requirements);
        capabilities.insert(name.clone(), (standing.requested, status));
        // "`waitingOn` has an entry per `pending` capability: the blocking requirements that
        // name it, the dependencies that are not active, and `provider: true` while the
        // provider has not reported it `active`."
        // READING: "the dependencies" are its direct `depends_on`.
        if status == "pending" {
            let mut dependencies: Vec<String> = rules.capabilities[name]
                .depends_on
                .iter()
                .filter(|d| status_of(d, rules, &standings, &requirements) != "active")
                .cloned()
                .collect();
            dependencies.sort();
            dependencies.dedup();
            waiting_on.insert(
                name.clone(),
                Waiting {
                    requirements: requirements
                        .iter()
                        .filter(|(_, r)| r.blocking && r.impact.contains(name))
                        .map(|(key, _)| key.clone())
                        .collect(),
                    capabilities: dependencies,
                    provider: standing.state
                        != (State::Live {
                            provider_active: true,
                        }),
                },
            );
        }
    }
    // (h) "`allowed` lists the `active` capabilities, sorted."
    let allowed = capabilities
        .iter()
        .filter(|(_, (_, status))| *status == "active")
        .map(|(name, _)| name.clone())
        .collect();
    Eval {
        capabilities,
        requirements,
        allowed,
        waiting_on,
        // (i) "the earliest instant after `at` at which the result could change (a deadline,
        // an acceptance or attestation dated after `at`, a date of birth in the future)".
        // READING: the instants of what the evaluation looked at: the future deadlines of
        // `due` items, acceptances and attestations dated after `at` of versions and forms
        // not yet met, and dates (not sensitive) that stop being in the future.
        next_transition_at: transitions.into_iter().filter(|t| *t > at).min(),
        warnings: warnings(rules, snapshot),
    }
}

/// "`warnings` lists input that was tolerated but treated conservatively (an unknown status
/// or capability)": capability statuses, requirement statuses, capability names.
fn warnings(rules: &Rules, snapshot: &Value) -> usize {
    let mut count = 0;
    if let Some(capabilities) = get(snapshot, "capabilities").and_then(Value::as_object) {
        for (name, entry) in capabilities {
            if entry.is_null() {
                continue;
            }
            if !rules.capabilities.contains_key(name) {
                count += 1;
            }
            let status = get(entry, "status").and_then(Value::as_str);
            if status
                .is_some_and(|s| !["unrequested", "pending", "active", "inactive"].contains(&s))
            {
                count += 1;
            }
        }
    }
    if let Some(map) = provider_map(snapshot) {
        for entry in map.values().filter(|v| !v.is_null()) {
            let status = get(entry, "status").and_then(Value::as_str);
            if status.is_some_and(|s| {
                ![
                    "due",
                    "past_due",
                    "overdue",
                    "pending",
                    "rejected",
                    "eventually_due",
                ]
                .contains(&s)
            }) {
                count += 1;
            }
        }
    }
    count
}

/// [`capgate::RuleSet::check`], by the README: "the operation is allowed if and only if every
/// capability it needs is `active` and its context requirements are met."
pub(crate) fn check(rules: &Rules, snapshot: &Value, operation: &str, at: i64) -> Decision {
    let definition = &rules.operations[operation];
    let evaluation = evaluate(rules, snapshot, at);
    let needed: BTreeSet<&String> = definition.capabilities.iter().collect();
    let unauthorized: Vec<String> = needed
        .iter()
        .filter(|name| evaluation.capabilities[name.as_str()].1 != "active")
        .map(|name| (*name).clone())
        .collect();
    let mut invalid_context = Vec::new();
    for key in &definition.context {
        let problem = match check_field(&rules.context[key], snapshot, at) {
            FieldOutcome::Met => None,
            FieldOutcome::Missing(path) => Some(("missing".to_owned(), path)),
            FieldOutcome::Invalid(code, path) => Some((code.to_owned(), path)),
            FieldOutcome::NotYet(path, _) => Some(("date_in_future".to_owned(), path)),
        };
        if let Some((code, path)) = problem {
            invalid_context.push((key.clone(), code, path));
        }
    }
    invalid_context.sort();
    invalid_context.dedup();
    // "`errorType: "customer_not_authorized"` ... when a capability is not active (it takes
    // precedence ...), else `errorType: "invalid_request"` with `invalidContext`"
    let error_type = if !unauthorized.is_empty() {
        Some("customer_not_authorized")
    } else if !invalid_context.is_empty() {
        Some("invalid_request")
    } else {
        None
    };
    // "Both come with the outstanding requirements whose `impact` touches the operation's
    // capabilities; for a capability not yet requested, they are computed as if it had been".
    let not_requested: Vec<String> = needed
        .iter()
        .filter(|name| !evaluation.capabilities[name.as_str()].0)
        .map(|name| (*name).clone())
        .collect();
    let what_if = if not_requested.is_empty() {
        evaluation
    } else {
        evaluate_assuming(rules, snapshot, at, &not_requested)
    };
    let requirements = what_if
        .requirements
        .into_iter()
        .filter(|(_, r)| r.impact.iter().any(|name| needed.contains(name)))
        .collect();
    Decision {
        allowed: error_type.is_none(),
        error_type,
        unauthorized_capabilities: unauthorized,
        invalid_context,
        requirements,
    }
}
