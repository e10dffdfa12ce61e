//! Cedar, with cedar-policy: `policies/capgate.cedar` and `policies/capgate.entities.json`.
//!
//! Cedar answers one authorization request at a time, so the decision is a batch of requests
//! per snapshot (see the header of `capgate.cedar`): `track` each capability, `block` for
//! each live capability and each requirement key, `use` for each live capability.
//!
//! Cedar has no regular expressions, string length, whitespace trimming or string-to-number
//! conversion, and no quantifier over a set or list. So the host computes, per snapshot:
//! - `checks`: the verdict of each `non_empty`, `pattern` and `length` check on the value
//!   the rule reads (the regexes and bounds below, copied from the rules), and for
//!   `dateOfBirth` the date when its parts are well-formed digits of a real calendar date;
//! - `acceptedTos` (`versionId/language`) and `attestedForms`: the acceptances and
//!   attestations dated at or before `at`;
//! - for a provider requirement listing ToS versions: whether one has no deadline, and the
//!   earliest deadline.
//!
//! The policy decides the rest: presence and path fallbacks, `one_of`, the future-date
//! check, which version and language accept the ToS, the provider statuses and deadlines,
//! the rules' hierarchy (requirement in group in capability), impact and liveness.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::str::FromStr;

use anyhow::{Context as _, Result, anyhow, bail, ensure};
use cedar_policy::{
    Authorizer, Context, Decision, Entities, EntityUid, PolicySet, Request, Response,
};
use regex::Regex;
use serde_json::{Map, Value, json};

use super::{Answer, Peer};
use crate::corpus::Case;

const POLICIES: &str = "policies/capgate.cedar";
const ENTITIES: &str = "policies/capgate.entities.json";
/// The one Customer entity of a snapshot.
const CUSTOMER: &str = "snapshot";

/// A check Cedar cannot run itself, computed by the host on the value at a path.
enum HostCheck {
    /// `non_empty`: not a whitespace-only string.
    NonBlank,
    /// `pattern` (and `length` where the rule has one), in the rule's order.
    Matches {
        pattern: &'static str,
        max_chars: Option<usize>,
    },
}

const SSN: &str = r"^([0-9]{3}-[0-9]{2}-[0-9]{4}|\*\*\*-\*\*-[0-9]{4})$";
const SSN_LAST4: &str = r"^[0-9]{4}$";
const STATE: &str = r"^[A-Z]{2}$";
const EMAIL: &str = r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}/-]+@[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*$";
const PHONE: &str = r"^\+[1-9][0-9]{1,14}$";

/// `checks.<name>`: (name, path in the snapshot, check), from rules/coinbase-customers.toml.
const HOST_CHECKS: &[(&str, &[&str], HostCheck)] = &[
    (
        "firstName",
        &["individual", "firstName"],
        HostCheck::NonBlank,
    ),
    ("lastName", &["individual", "lastName"], HostCheck::NonBlank),
    (
        "addressLine1",
        &["individual", "address", "line1"],
        HostCheck::NonBlank,
    ),
    (
        "addressCity",
        &["individual", "address", "city"],
        HostCheck::NonBlank,
    ),
    (
        "addressPostalCode",
        &["individual", "address", "postCode"],
        HostCheck::NonBlank,
    ),
    ("fullSsn", &["individual", "fullSsn"], matches(SSN, None)),
    (
        "ssnLast4",
        &["individual", "ssnLast4"],
        matches(SSN_LAST4, None),
    ),
    (
        "addressSubdivision",
        &["individual", "address", "state"],
        matches(STATE, None),
    ),
    (
        "individualEmail",
        &["individual", "email"],
        matches(EMAIL, Some(254)),
    ),
    ("email", &["email"], matches(EMAIL, Some(254))),
    (
        "individualPhoneNumber",
        &["individual", "phoneNumber"],
        matches(PHONE, None),
    ),
    ("phone", &["phone"], matches(PHONE, None)),
];

const fn matches(pattern: &'static str, max_chars: Option<usize>) -> HostCheck {
    HostCheck::Matches { pattern, max_chars }
}

/// The policies, the rules' entity hierarchy, and the host's compiled regexes.
pub struct Cedar {
    policies: PolicySet,
    /// `capgate.entities.json`, copied into each snapshot's entities.
    rule_entities: Vec<Value>,
    capabilities: Vec<String>,
    requirements: BTreeSet<String>,
    /// One per [`HOST_CHECKS`] entry (`None` for [`HostCheck::NonBlank`]).
    regexes: Vec<Option<Regex>>,
    authorizer: Authorizer,
}

/// A snapshot's entities and requests.
pub struct Input {
    entities: Entities,
    capabilities: Vec<CapabilityRequests>,
}

struct CapabilityRequests {
    name: String,
    track: Request,
    use_: Request,
    /// (requirement key, request), for every key of the rules and of the provider.
    block: Vec<(String, Request)>,
}

/// Per live capability: whether `use` is allowed, and the requirements `block` allows.
pub type Output = Vec<(String, bool, Vec<String>)>;

impl Peer for Cedar {
    const NAME: &'static str = "Cedar (cedar-policy)";
    const NOTES: &'static str = "one request per live capability x requirement key (about 100-200 per \
        snapshot), the host combines the answers; host precomputes what Cedar has no operator \
        for: regex `pattern`, `length`, whitespace-only `non_empty`, `date_parts` validity, the \
        acceptances/attestations dated at or before `at` (no quantifier over a list), the \
        earliest ToS-version deadline";

    type Source = (String, String);
    type Input = Input;
    type Output = Output;

    fn read(root: &Path) -> Result<Self::Source> {
        let read = |relative: &str| {
            let path = root.join(relative);
            fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
        };
        Ok((read(POLICIES)?, read(ENTITIES)?))
    }

    fn load((policies, entities): &Self::Source) -> Result<Self> {
        let policies = PolicySet::from_str(policies).map_err(|err| anyhow!("{POLICIES}: {err}"))?;
        let rule_entities: Vec<Value> = serde_json::from_str(entities)?;
        // Validates the hierarchy once; each snapshot's entities are built from the JSON.
        Entities::from_json_value(Value::Array(rule_entities.clone()), None)?;
        let ids = |kind: &str| -> Vec<String> {
            rule_entities
                .iter()
                .filter(|e| e["uid"]["type"] == kind)
                .filter_map(|e| e["uid"]["id"].as_str().map(str::to_owned))
                .collect()
        };
        let capabilities = ids("Capability");
        let requirements = ids("Requirement").into_iter().collect();
        let regexes = HOST_CHECKS
            .iter()
            .map(|(_, _, check)| match check {
                HostCheck::NonBlank => Ok(None),
                HostCheck::Matches { pattern, .. } => Regex::new(pattern).map(Some),
            })
            .collect::<Result<_, _>>()?;
        Ok(Cedar {
            policies,
            rule_entities,
            capabilities,
            requirements,
            regexes,
            authorizer: Authorizer::new(),
        })
    }

    fn prepare(&self, case: &Case) -> Result<Input> {
        let snapshot = &case.snapshot;
        let listed = snapshot["requirements"].as_object();

        let mut entities = self.rule_entities.clone();
        for entity in &mut entities {
            if entity["uid"]["type"] == "Capability" {
                let name = entity["uid"]["id"].as_str().unwrap_or_default();
                entity["attrs"] = capability_attrs(&snapshot["capabilities"][name]);
            }
        }
        entities.push(json!({
            "uid": {"type": "Customer", "id": CUSTOMER},
            "attrs": self.customer_attrs(snapshot, &case.at)?,
            "parents": [],
        }));
        let provider_only: Vec<&String> = listed
            .into_iter()
            .flat_map(|map| map.keys())
            .filter(|key| !self.requirements.contains(*key))
            .collect();
        for key in &provider_only {
            entities.push(
                json!({"uid": {"type": "Requirement", "id": key}, "attrs": {}, "parents": []}),
            );
        }
        let entities = Entities::from_json_value(Value::Array(entities), None)?;

        let keys: Vec<&String> = self.requirements.iter().chain(provider_only).collect();
        let customer = uid("Customer", CUSTOMER)?;
        let mut capabilities = Vec::new();
        for name in &self.capabilities {
            let resource = uid("Capability", name)?;
            let mut block = Vec::new();
            for key in &keys {
                let listed = listed.and_then(|map| map.get(*key));
                let context = block_context(&case.at, listed)?;
                let request = Request::new(
                    uid("Requirement", key)?,
                    uid("Action", "block")?,
                    resource.clone(),
                    context,
                    None,
                )?;
                block.push(((*key).clone(), request));
            }
            let capability_request = |action: &str| -> Result<Request> {
                Ok(Request::new(
                    customer.clone(),
                    uid("Action", action)?,
                    resource.clone(),
                    Context::empty(),
                    None,
                )?)
            };
            capabilities.push(CapabilityRequests {
                name: name.clone(),
                track: capability_request("track")?,
                use_: capability_request("use")?,
                block,
            });
        }
        Ok(Input {
            entities,
            capabilities,
        })
    }

    fn evaluate(&self, input: &Input) -> Result<Output> {
        let allowed = |request: &Request| -> Result<bool> {
            let response = self
                .authorizer
                .is_authorized(request, &self.policies, &input.entities);
            check_errors(&response)?;
            Ok(response.decision() == Decision::Allow)
        };
        let mut output = Vec::new();
        for capability in &input.capabilities {
            if !allowed(&capability.track)? {
                continue;
            }
            let mut blockers = Vec::new();
            for (key, request) in &capability.block {
                if allowed(request)? {
                    blockers.push(key.clone());
                }
            }
            output.push((
                capability.name.clone(),
                allowed(&capability.use_)?,
                blockers,
            ));
        }
        Ok(output)
    }

    fn answer(&self, output: Output) -> Result<Answer> {
        let mut answer = Answer::default();
        for (name, used, mut blockers) in output {
            if used && blockers.is_empty() {
                answer.allowed.push(name);
            } else {
                blockers.sort();
                answer.blocked_by.insert(name, blockers);
            }
        }
        answer.allowed.sort();
        Ok(answer)
    }
}

impl Cedar {
    /// The Customer entity's attributes: the snapshot's fields (`individual`, the older
    /// top-level `email` and `phone`), whether it is a provider snapshot, and the host's
    /// verdicts.
    fn customer_attrs(&self, snapshot: &Value, at: &str) -> Result<Value> {
        let at_time = capgate::Timestamp::parse(at)?;
        let mut attrs = Map::new();
        attrs.insert(
            "fromProvider".into(),
            Value::Bool(snapshot["requirements"].is_object()),
        );
        for field in ["individual", "email", "phone"] {
            if let Some(value) = to_cedar(&snapshot[field]) {
                attrs.insert(field.into(), value);
            }
        }

        let mut checks = Map::new();
        for ((name, path, check), regex) in HOST_CHECKS.iter().zip(&self.regexes) {
            let Some(value) = lookup(snapshot, path) else {
                continue;
            };
            let text = value.as_str();
            let passes = match (check, regex, text) {
                (HostCheck::NonBlank, _, Some(text)) => !text.trim().is_empty(),
                (HostCheck::NonBlank, _, None) => true,
                (HostCheck::Matches { max_chars, .. }, Some(regex), Some(text)) => {
                    max_chars.is_none_or(|max| text.chars().count() <= max) && regex.is_match(text)
                }
                (HostCheck::Matches { .. }, _, _) => false,
            };
            checks.insert((*name).into(), Value::Bool(passes));
        }
        if let Some(date) = lookup(snapshot, &["individual", "dateOfBirth"]).and_then(calendar_date)
        {
            checks.insert("dateOfBirth".into(), datetime(&date));
        }
        attrs.insert("checks".into(), Value::Object(checks));

        let dated_by_at = |entry: &Value| {
            entry["acceptedAt"]
                .as_str()
                .and_then(|t| capgate::Timestamp::parse(t).ok())
                .is_some_and(|t| t <= at_time)
        };
        let entries = |field: &str| snapshot[field].as_array().cloned().unwrap_or_default();
        let accepted: Vec<Value> = entries("tosAcceptances")
            .iter()
            .filter(|entry| dated_by_at(entry))
            .filter_map(|entry| {
                let (version, language) =
                    (entry["versionId"].as_str()?, entry["language"].as_str()?);
                Some(Value::String(format!("{version}/{language}")))
            })
            .collect();
        let attested: Vec<Value> = entries("taxAttestations")
            .iter()
            .filter(|entry| dated_by_at(entry))
            .filter_map(|entry| {
                entry["form"]
                    .as_str()
                    .map(|form| Value::String(form.into()))
            })
            .collect();
        attrs.insert("acceptedTos".into(), Value::Array(accepted));
        attrs.insert("attestedForms".into(), Value::Array(attested));
        Ok(Value::Object(attrs))
    }
}

/// `requested` (true only when the snapshot says `true`) and the provider's `status`.
fn capability_attrs(entry: &Value) -> Value {
    let mut attrs = Map::new();
    attrs.insert("requested".into(), Value::Bool(entry["requested"] == true));
    if let Some(status) = entry["status"].as_str() {
        attrs.insert("status".into(), status.into());
    }
    Value::Object(attrs)
}

/// A `block` request's context: the evaluation time, the customer, and the provider's entry
/// for the requirement when it lists one.
fn block_context(at: &str, listed: Option<&Value>) -> Result<Context> {
    let mut context = Map::new();
    context.insert("at".into(), datetime(at));
    context.insert(
        "customer".into(),
        json!({"__entity": {"type": "Customer", "id": CUSTOMER}}),
    );
    if let Some(entry) = listed {
        let Some(status) = entry["status"].as_str() else {
            bail!("a provider requirement without a status");
        };
        let mut listed = Map::new();
        listed.insert("status".into(), status.into());
        if let Some(deadline) = entry["deadline"].as_str() {
            listed.insert("deadline".into(), datetime(deadline));
        }
        let impact: Vec<Value> = entry["impact"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|name| json!({"__entity": {"type": "Capability", "id": name}}))
            .collect();
        listed.insert("impact".into(), Value::Array(impact));
        // Host: Cedar cannot ask "does any version have a deadline that has passed?".
        let versions = entry["tosVersions"].as_array().cloned().unwrap_or_default();
        let mut deadlines = Vec::new();
        for version in &versions {
            if let Some(text) = version["deadline"].as_str() {
                deadlines.push((capgate::Timestamp::parse(text)?, text));
            }
        }
        listed.insert("hasVersions".into(), Value::Bool(!versions.is_empty()));
        listed.insert(
            "undatedVersion".into(),
            Value::Bool(deadlines.len() < versions.len()),
        );
        if let Some((_, earliest)) = deadlines.iter().min() {
            listed.insert("earliestVersionDeadline".into(), datetime(earliest));
        }
        context.insert("listed".into(), Value::Object(listed));
    }
    Ok(Context::from_json_value(Value::Object(context), None)?)
}

/// The value at `path`, `null` counting as absent.
fn lookup<'v>(snapshot: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter()
        .try_fold(snapshot, |value, key| value.get(key))
        .filter(|value| !value.is_null())
}

/// `YYYY-MM-DD` when `{day, month, year}` are strings of one or two, one or two and four
/// ASCII digits that form a real calendar date.
fn calendar_date(value: &Value) -> Option<String> {
    let part = |name: &str, lengths: std::ops::RangeInclusive<usize>| {
        let text = value.get(name)?.as_str()?;
        (lengths.contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse::<u32>().ok())?
    };
    let (day, month, year) = (
        part("day", 1..=2)?,
        part("month", 1..=2)?,
        part("year", 4..=4)?,
    );
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days)
        .contains(&day)
        .then(|| format!("{year:04}-{month:02}-{day:02}"))
}

/// JSON as Cedar's entity-attribute JSON: `null`s dropped, arrays as sets, whole numbers as
/// longs (other numbers dropped: Cedar has no floats). `None` for a value that is dropped.
fn to_cedar(value: &Value) -> Option<Value> {
    match value {
        Value::Null => None,
        Value::Number(n) => n.as_i64().map(Value::from),
        Value::Array(items) => Some(Value::Array(items.iter().filter_map(to_cedar).collect())),
        Value::Object(map) => Some(Value::Object(
            map.iter()
                .filter_map(|(key, value)| to_cedar(value).map(|v| (key.clone(), v)))
                .collect(),
        )),
        Value::Bool(_) | Value::String(_) => Some(value.clone()),
    }
}

/// A Cedar `datetime` extension value. Cedar reads `YYYY-MM-DD`, `...Thh:mm:ssZ`,
/// `...Thh:mm:ss.SSSZ` and `...Thh:mm:ss+hhmm` (no colon in the offset, unlike RFC 3339).
fn datetime(text: &str) -> Value {
    json!({"__extn": {"fn": "datetime", "arg": text}})
}

fn uid(kind: &str, id: &str) -> Result<EntityUid> {
    let type_name = cedar_policy::EntityTypeName::from_str(kind)?;
    Ok(EntityUid::from_type_name_and_id(
        type_name,
        cedar_policy::EntityId::new(id),
    ))
}

/// A policy that fails to evaluate is skipped by Cedar: here it is a translation bug.
fn check_errors(response: &Response) -> Result<()> {
    let mut errors = response.diagnostics().errors().peekable();
    ensure!(
        errors.peek().is_none(),
        "policy evaluation errors: {}",
        errors
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    );
    Ok(())
}
