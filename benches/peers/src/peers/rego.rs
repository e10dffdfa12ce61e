//! Rego, with regorus: `policies/capgate.rego`.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, anyhow};
use std::cell::RefCell;

use regorus::{Engine, Value};
use serde_json::json;

use super::{Answer, Peer};
use crate::corpus::Case;

const POLICY: &str = "policies/capgate.rego";
const ENTRY_POINT: &str = "data.capgate.decision";

/// The engine with the policy loaded and prepared.
pub struct Rego {
    engine: RefCell<Engine>,
}

impl Peer for Rego {
    const NAME: &'static str = "Rego (regorus)";
    const NOTES: &'static str = "everything in Rego: the rules as data, groups and \
        dependencies through `graph.reachable`, regexes with `regex.match`, times with \
        `time.parse_rfc3339_ns`, calendar arithmetic for `date_parts`; the host only wraps \
        the snapshot as `{snapshot, at}`";

    type Source = String;
    type Input = Value;
    type Output = Value;

    fn read(root: &Path) -> Result<String> {
        let path = root.join(POLICY);
        fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
    }

    fn load(source: &String) -> Result<Self> {
        let mut engine = Engine::new();
        engine.add_policy(POLICY.to_owned(), source.clone())?;
        engine.set_input(Value::new_object());
        engine.eval_rule(ENTRY_POINT.to_owned())?;
        Ok(Rego { engine: RefCell::new(engine) })
    }

    fn prepare(&self, case: &Case) -> Result<Value> {
        Ok(Value::from(json!({"snapshot": case.snapshot, "at": case.at})))
    }

    fn evaluate(&self, input: &Value) -> Result<Value> {
        let mut engine = self.engine.borrow_mut();
        engine.set_input(input.clone());
        Ok(engine.eval_rule(ENTRY_POINT.to_owned())?)
    }

    fn answer(&self, output: Value) -> Result<Answer> {
        let json: serde_json::Value = serde_json::from_str(&output.to_json_str()?)?;
        serde_json::from_value(json).map_err(|err| anyhow!("unexpected decision: {err}"))
    }
}
