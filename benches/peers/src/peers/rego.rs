//! Rego, with regorus: `policies/capgate.rego`.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, anyhow};
use regorus::{CompiledPolicy, Engine, Value};
use serde_json::json;

use super::{Answer, Peer};
use crate::corpus::Case;

const POLICY: &str = "policies/capgate.rego";
const ENTRY_POINT: &str = "data.capgate.decision";

/// The policy compiled for its entry point, `data.capgate.decision`.
pub struct Rego {
    policy: CompiledPolicy,
}

impl Peer for Rego {
    const NAME: &'static str = "Rego (regorus)";
    const NOTES: &'static str = "all in Rego: rules as data, groups via `graph.reachable`, `regex.match`, \
        `time.*`, calendar arithmetic for `date_parts`; the host only wraps `{snapshot, at}`";

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
        let policy = engine.compile_with_entrypoint(&ENTRY_POINT.into())?;
        Ok(Rego { policy })
    }

    fn prepare(&self, case: &Case) -> Result<Value> {
        Ok(Value::from(
            json!({"snapshot": case.snapshot, "at": case.at}),
        ))
    }

    fn evaluate(&self, input: &Value) -> Result<Value> {
        self.policy.eval_with_input(input.clone())
    }

    fn answer(&self, output: Value) -> Result<Answer> {
        let json: serde_json::Value = serde_json::from_str(&output.to_json_str()?)?;
        serde_json::from_value(json).map_err(|err| anyhow!("unexpected decision: {err}"))
    }
}
