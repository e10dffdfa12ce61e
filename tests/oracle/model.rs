//! The oracle's own reading of rule files: plain structs filled from TOML tables, following
//! the README's "Rule format" (no validation: the engine's loader has already accepted the
//! same text when the oracle reads it).

use std::collections::BTreeMap;

use capgate::Timestamp;
use serde_json::{Map, Value};
use toml::de::{DeTable, DeValue};

type Table = Map<String, Value>;

/// A TOML value as JSON (datetimes as their RFC 3339 text): the oracle reads plain values.
fn to_json(value: &DeValue<'_>) -> Value {
    match value {
        DeValue::String(text) => Value::String(text.to_string()),
        DeValue::Integer(integer) => Value::from(
            i64::from_str_radix(integer.as_str(), integer.radix()).expect("a small integer"),
        ),
        DeValue::Float(float) => Value::from(float.as_str().parse::<f64>().expect("a float")),
        DeValue::Boolean(flag) => Value::Bool(*flag),
        DeValue::Datetime(datetime) => Value::String(datetime.to_string()),
        DeValue::Array(items) => Value::Array(items.iter().map(|i| to_json(i.get_ref())).collect()),
        DeValue::Table(table) => Value::Object(table_to_json(table)),
    }
}

fn table_to_json(table: &DeTable<'_>) -> Table {
    table
        .iter()
        .map(|(key, value)| (key.get_ref().to_string(), to_json(value.get_ref())))
        .collect()
}

/// A ruleset, as the README describes its sections.
#[derive(Clone, Debug, Default)]
pub(crate) struct Rules {
    pub(crate) requirements: BTreeMap<String, Requirement>,
    pub(crate) context: BTreeMap<String, Field>,
    pub(crate) groups: BTreeMap<String, Members>,
    pub(crate) capabilities: BTreeMap<String, Members>,
    pub(crate) operations: BTreeMap<String, Operation>,
}

/// The list keys of a group or a capability (`any_of`: groups only; `depends_on`:
/// capabilities only). Each `any_of` key gives one set of alternatives.
#[derive(Clone, Debug, Default)]
pub(crate) struct Members {
    pub(crate) requirements: Vec<String>,
    pub(crate) groups: Vec<String>,
    pub(crate) depends_on: Vec<String>,
    pub(crate) any_of: Vec<Vec<Vec<String>>>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Operation {
    pub(crate) capabilities: Vec<String>,
    pub(crate) context: Vec<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct Requirement {
    pub(crate) kind: Kind,
    /// `verified_by = "platform"`.
    pub(crate) platform: bool,
    /// `resolved_by`, default `customer`.
    pub(crate) resolved_by: String,
    /// The rule-level deadline, in Unix seconds.
    pub(crate) deadline: Option<i64>,
    /// `when`: all must hold.
    pub(crate) when: Vec<Condition>,
    /// `sensitive`: "a sensitive date ... schedules nothing".
    pub(crate) sensitive: bool,
}

#[derive(Clone, Debug)]
pub(crate) enum Kind {
    Field(Field),
    Acceptance(Vec<Version>),
    Attestation(Vec<String>),
}

/// A field requirement or a context requirement.
#[derive(Clone, Debug)]
pub(crate) struct Field {
    /// Each path split at the dots.
    pub(crate) paths: Vec<Vec<String>>,
    pub(crate) optional: bool,
    pub(crate) checks: Vec<Check>,
}

#[derive(Clone, Debug)]
pub(crate) enum Check {
    NonEmpty,
    OneOf(Vec<String>),
    Pattern(regex_lite::Regex),
    Length {
        min: Option<usize>,
        max: Option<usize>,
    },
    DateParts {
        allow_future: bool,
    },
    IpAddress,
}

#[derive(Clone, Debug)]
pub(crate) struct Version {
    pub(crate) id: String,
    pub(crate) languages: Vec<String>,
    pub(crate) deadline: Option<i64>,
}

#[derive(Clone, Debug)]
pub(crate) struct Condition {
    pub(crate) path: Vec<String>,
    pub(crate) one_of: Option<Vec<String>>,
    pub(crate) present: Option<bool>,
}

impl Rules {
    /// Reads the sources in order: definitions, then `[extend.*]` lists appended.
    pub(crate) fn from_sources(texts: &[&str]) -> Rules {
        let mut rules = Rules::default();
        for text in texts {
            let table = DeTable::parse(text).expect("the oracle reads TOML the engine accepted");
            rules.read(&table_to_json(table.get_ref()));
        }
        rules
    }

    fn read(&mut self, table: &Table) {
        for (key, value) in sub_tables(table, "requirements") {
            self.requirements
                .insert(key.clone(), read_requirement(value));
        }
        for (key, value) in sub_tables(table, "context") {
            self.context.insert(key.clone(), read_field(value));
        }
        for (key, value) in sub_tables(table, "groups") {
            self.groups.insert(key.clone(), read_members(value));
        }
        for (key, value) in sub_tables(table, "capabilities") {
            self.capabilities.insert(key.clone(), read_members(value));
        }
        for (key, value) in sub_tables(table, "operations") {
            self.operations.insert(key.clone(), read_operation(value));
        }
        if let Some(Value::Object(extend)) = table.get("extend") {
            for (key, value) in sub_tables(extend, "groups") {
                let more = read_members(value);
                let existing = self.groups.get_mut(key).expect("extends a known group");
                append(existing, more);
            }
            for (key, value) in sub_tables(extend, "capabilities") {
                let more = read_members(value);
                let existing = self
                    .capabilities
                    .get_mut(key)
                    .expect("extends a known capability");
                append(existing, more);
            }
            for (key, value) in sub_tables(extend, "operations") {
                let more = read_operation(value);
                let existing = self
                    .operations
                    .get_mut(key)
                    .expect("extends a known operation");
                existing.capabilities.extend(more.capabilities);
                existing.context.extend(more.context);
            }
        }
    }
}

fn append(existing: &mut Members, more: Members) {
    existing.requirements.extend(more.requirements);
    existing.groups.extend(more.groups);
    existing.depends_on.extend(more.depends_on);
    existing.any_of.extend(more.any_of);
}

fn sub_tables<'a>(table: &'a Table, key: &str) -> Vec<(&'a String, &'a Table)> {
    match table.get(key) {
        Some(Value::Object(section)) => section
            .iter()
            .map(|(name, value)| match value {
                Value::Object(inner) => (name, inner),
                other => panic!("{key}.{name} is not a table: {other:?}"),
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().expect("a string").to_owned())
            .collect(),
        Some(Value::String(text)) => vec![text.clone()],
        _ => Vec::new(),
    }
}

fn timestamp(value: Option<&Value>) -> Option<i64> {
    let text = value?.as_str().expect("a timestamp");
    Some(
        Timestamp::parse(text)
            .expect("an RFC 3339 timestamp")
            .unix_seconds(),
    )
}

fn split(path: &str) -> Vec<String> {
    path.split('.').map(str::to_owned).collect()
}

fn read_requirement(table: &Table) -> Requirement {
    let kind = match table.get("kind").and_then(Value::as_str).unwrap_or("field") {
        "acceptance" => Kind::Acceptance(
            table
                .get("versions")
                .and_then(Value::as_array)
                .map(|versions| {
                    versions
                        .iter()
                        .map(|version| {
                            let version = version.as_object().expect("a version table");
                            Version {
                                id: version["id"].as_str().expect("an id").to_owned(),
                                languages: strings(version.get("languages")),
                                deadline: timestamp(version.get("deadline")),
                            }
                        })
                        .collect()
                })
                .unwrap_or_default(),
        ),
        "attestation" => Kind::Attestation(strings(table.get("forms"))),
        _ => Kind::Field(read_field(table)),
    };
    let when = match table.get("when") {
        Some(Value::Object(condition)) => vec![read_condition(condition)],
        Some(Value::Array(conditions)) => conditions
            .iter()
            .map(|c| read_condition(c.as_object().expect("a condition table")))
            .collect(),
        _ => Vec::new(),
    };
    Requirement {
        kind,
        platform: table.get("verified_by").and_then(Value::as_str) == Some("platform"),
        resolved_by: table
            .get("resolved_by")
            .and_then(Value::as_str)
            .unwrap_or("customer")
            .to_owned(),
        deadline: timestamp(table.get("deadline")),
        when,
        sensitive: table
            .get("sensitive")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    }
}

fn read_condition(table: &Table) -> Condition {
    Condition {
        path: split(table["path"].as_str().expect("a condition path")),
        one_of: table.get("one_of").map(|v| strings(Some(v))),
        present: table.get("present").and_then(Value::as_bool),
    }
}

pub(crate) fn read_field(table: &Table) -> Field {
    let checks = table
        .get("checks")
        .and_then(Value::as_array)
        .map(|checks| {
            checks
                .iter()
                .map(|check| read_check(check.as_object().expect("a check table")))
                .collect()
        })
        .unwrap_or_default();
    Field {
        paths: strings(table.get("path"))
            .iter()
            .map(|p| split(p))
            .collect(),
        optional: table
            .get("optional")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        checks,
    }
}

fn read_check(table: &Table) -> Check {
    let bound = |key: &str| {
        table
            .get(key)
            .and_then(Value::as_i64)
            .map(|n| usize::try_from(n).expect("a bound"))
    };
    match table["kind"].as_str().expect("a check kind") {
        "non_empty" => Check::NonEmpty,
        "one_of" => Check::OneOf(strings(table.get("values"))),
        "pattern" => Check::Pattern(
            regex_lite::Regex::new(table["pattern"].as_str().expect("a pattern"))
                .expect("a pattern the engine accepted"),
        ),
        "length" => Check::Length {
            min: bound("min"),
            max: bound("max"),
        },
        "date_parts" => Check::DateParts {
            allow_future: table
                .get("allow_future")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        },
        "ip_address" => Check::IpAddress,
        other => panic!("unknown check kind {other}"),
    }
}

fn read_members(table: &Table) -> Members {
    let any_of = match table.get("any_of") {
        Some(Value::Array(alternatives)) => vec![
            alternatives
                .iter()
                .map(|alternative| strings(Some(alternative)))
                .collect(),
        ],
        _ => Vec::new(),
    };
    Members {
        requirements: strings(table.get("requirements")),
        groups: strings(table.get("groups")),
        depends_on: strings(table.get("depends_on")),
        any_of,
    }
}

fn read_operation(table: &Table) -> Operation {
    Operation {
        capabilities: strings(table.get("capabilities")),
        context: strings(table.get("context")),
    }
}
