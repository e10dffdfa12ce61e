//! JSONLogic, with datalogic-rs: `policies/capgate-jsonlogic.json`.
//!
//! JSONLogic has no variables, so the file is a chain of named rules (`stages`), each a
//! JSONLogic expression evaluated against the request (`{snapshot, at}`) plus the results of
//! the stages before it, by name: `baseFields`, `onboarding` (the groups), `alwaysChecked`,
//! `isDraft`, `unmet` (requirements the snapshot's own data does not meet), `listedBlocking`
//! (provider entries whose status blocks), `live` (per live capability: provider-active, and
//! the requirements that block it), `decision` (`[allowed, pending]`). The host threads the
//! results from one stage to the next; the last one is the answer.
//!
//! JSONLogic has no regular expressions: the host registers one operator,
//! `{"matches": [value, pattern]}` (the `regex` crate; false for a non-string). The rest uses
//! standard JSONLogic plus datalogic-rs's `trim`, `length` (ext-string), `entries`
//! (ext-object), `sort`, `distinct` (ext-array) and `datetime`, `format_date` (datetime).

use std::cell::RefCell;
use std::collections::HashMap;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use datalogic_rs::bumpalo::Bump;
use datalogic_rs::datavalue::OwnedDataValue;
use datalogic_rs::operator::EvalContext;
use datalogic_rs::{ArenaExt, CustomOperator, DataValue, Engine, Logic, ParsedData};
use regex::Regex;
use serde_json::{Value, json};

use super::{Answer, Peer};
use crate::corpus::Case;

const RULES: &str = "policies/capgate-jsonlogic.json";

/// The compiled stages, and the arena their evaluations allocate in (reset per decision).
pub struct JsonLogic {
    engine: Engine,
    stages: Vec<(String, Logic)>,
    arena: RefCell<Bump>,
}

impl Peer for JsonLogic {
    const NAME: &'static str = "JSONLogic (datalogic-rs)";
    const NOTES: &'static str = "no variables: 8 chained rules, the host threads each result into the \
        next; no regexes: the host registers a `matches` operator; datalogic-rs extensions \
        (`trim`, `length`, `entries`, `sort`/`distinct`, datetimes); no outer-scope access \
        inside an iteration: the per-capability rule is written out 8 times";

    type Source = String;
    type Input = ParsedData;
    type Output = OwnedDataValue;

    fn read(root: &Path) -> Result<String> {
        let path = root.join(RULES);
        fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
    }

    fn load(source: &String) -> Result<Self> {
        let document: Value = serde_json::from_str(source)?;
        let Some(stages) = document["stages"].as_array() else {
            bail!("{RULES}: expected {{\"stages\": [{{\"name\", \"logic\"}}, ...]}}");
        };
        let mut patterns = HashMap::new();
        collect_patterns(&document, &mut patterns)?;
        let engine = Engine::builder()
            .add_operator("matches", Matches { patterns })
            .build();
        let stages = stages
            .iter()
            .map(|stage| {
                let name = stage["name"].as_str().context("a stage without a name")?;
                let logic = engine
                    .compile(&stage["logic"])
                    .map_err(|err| anyhow!("{RULES}: stage {name}: {err}"))?;
                Ok((name.to_owned(), logic))
            })
            .collect::<Result<_>>()?;
        Ok(JsonLogic {
            engine,
            stages,
            arena: RefCell::new(Bump::new()),
        })
    }

    fn prepare(&self, case: &Case) -> Result<ParsedData> {
        let request = json!({"snapshot": case.snapshot, "at": case.at});
        ParsedData::from_json(&request.to_string()).map_err(|err| anyhow!("{err}"))
    }

    fn evaluate(&self, input: &ParsedData) -> Result<OwnedDataValue> {
        let mut arena = self.arena.borrow_mut();
        arena.reset();
        let arena = &*arena;
        let Some(request) = input.value().as_object() else {
            bail!("the request is not an object");
        };
        let mut fields: Vec<(&str, DataValue<'_>)> = request.to_vec();
        let mut result = &DataValue::Null;
        for (name, logic) in &self.stages {
            let data: &DataValue<'_> =
                arena.alloc(DataValue::Object(arena.alloc_slice_copy(&fields)));
            result = self
                .engine
                .evaluate(logic, data, arena)
                .map_err(|err| anyhow!("stage {name}: {err}"))?;
            fields.push((name.as_str(), *result));
        }
        Ok(result.to_owned())
    }

    fn answer(&self, output: OwnedDataValue) -> Result<Answer> {
        let output: Value = serde_json::from_str(&output.to_string())?;
        let mut answer = Answer {
            allowed: serde_json::from_value(output[0].clone())
                .map_err(|err| anyhow!("unexpected `allowed`: {err}"))?,
            ..Answer::default()
        };
        for entry in output[1].as_array().into_iter().flatten() {
            let capability = entry[0]
                .as_str()
                .context("a pending entry without a name")?;
            let blockers: Vec<String> = serde_json::from_value(entry[2].clone())?;
            answer.blocked_by.insert(capability.to_owned(), blockers);
        }
        Ok(answer)
    }
}

/// `{"matches": [value, pattern]}`: whether the string `value` matches the regular expression
/// `pattern` (a non-string value does not match).
struct Matches {
    /// Every literal pattern of the rules, compiled at load.
    patterns: HashMap<String, Regex>,
}

impl CustomOperator for Matches {
    fn evaluate<'a>(
        &self,
        args: &[&'a DataValue<'a>],
        _ctx: &mut EvalContext<'_, 'a>,
        arena: &'a Bump,
    ) -> datalogic_rs::Result<&'a DataValue<'a>> {
        let [value, pattern] = args else {
            return Err(datalogic_rs::Error::invalid_arguments(
                "matches takes a value and a pattern",
            ));
        };
        let Some(pattern) = pattern.as_str() else {
            return Err(datalogic_rs::Error::invalid_arguments(
                "the pattern is not a string",
            ));
        };
        let Some(text) = value.as_str() else {
            return Ok(arena.bool(false));
        };
        let matched = match self.patterns.get(pattern) {
            Some(regex) => regex.is_match(text),
            None => Regex::new(pattern)
                .map_err(|err| datalogic_rs::Error::invalid_arguments(err.to_string()))?
                .is_match(text),
        };
        Ok(arena.bool(matched))
    }
}

/// Compiles the literal pattern of every `{"matches": [_, "pattern"]}` in `value`.
fn collect_patterns(value: &Value, patterns: &mut HashMap<String, Regex>) -> Result<()> {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(pattern)) = map.get("matches").and_then(|args| args.get(1)) {
                patterns.insert(pattern.clone(), Regex::new(pattern)?);
            }
            map.values().try_for_each(|v| collect_patterns(v, patterns))
        }
        Value::Array(items) => items.iter().try_for_each(|v| collect_patterns(v, patterns)),
        _ => Ok(()),
    }
}
