//! GoRules ZEN, with zen-engine: `policies/capgate-zen.json`, a JDM decision graph.
//!
//! The graph: the request (`{snapshot, at}`) feeds a `Rules` expression node (groups and what
//! each capability needs), a `Checks` expression node (each requirement's checks on the
//! snapshot's own data, the ToS acceptance and the W-9 attestation), and a `Listed`
//! expression node (the provider's `requirements` map as a list), which a `ProviderStatus`
//! decision table runs over in loop mode (status and deadlines -> blocking). The `Decision`
//! expression node combines them: `allowed`, and `pending` (each live capability that is not
//! allowed, with the requirements that block it).

use std::fs;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use serde_json::{Value, json};
use tokio::runtime::Runtime;
use zen_engine::model::DecisionContent;
use zen_engine::{Decision, DecisionEngine, Variable};

use super::{Answer, Peer};
use crate::corpus::Case;

const GRAPH: &str = "policies/capgate-zen.json";

/// The compiled decision and the runtime that drives its async `evaluate`.
pub struct Zen {
    decision: Decision,
    runtime: Runtime,
}

impl Peer for Zen {
    const NAME: &'static str = "GoRules ZEN (zen-engine)";
    const NOTES: &'static str = "all in the graph: expression nodes (`matches`, `len`, `trim`, `d()`, \
        closures, calendar arithmetic) and a loop-mode decision table for provider statuses; \
        the host only wraps `{snapshot, at}` and sorts the output lists";

    type Source = String;
    type Input = Variable;
    type Output = Variable;

    fn read(root: &Path) -> Result<String> {
        let path = root.join(GRAPH);
        fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
    }

    fn load(source: &String) -> Result<Self> {
        let content: DecisionContent = serde_json::from_str(source)?;
        let mut decision = DecisionEngine::default()
            .create_decision(Arc::new(content))
            .map_err(|err| anyhow!("{GRAPH}: {err:?}"))?;
        decision.compile();
        decision
            .validate()
            .map_err(|err| anyhow!("{GRAPH}: {err}"))?;
        let runtime = tokio::runtime::Builder::new_current_thread().build()?;
        Ok(Zen { decision, runtime })
    }

    fn prepare(&self, case: &Case) -> Result<Variable> {
        Ok(Variable::from(
            json!({"snapshot": case.snapshot, "at": case.at}),
        ))
    }

    fn evaluate(&self, input: &Variable) -> Result<Variable> {
        let response = self
            .runtime
            .block_on(self.decision.evaluate(input.clone()))
            .map_err(|err| anyhow!("{err}"))?;
        Ok(response.result)
    }

    fn answer(&self, output: Variable) -> Result<Answer> {
        let output: Value = output.to_value();
        let mut answer: Answer = serde_json::from_value(json!({
            "allowed": output["allowed"],
            "blocked_by": {},
        }))
        .map_err(|err| anyhow!("unexpected `allowed`: {err}"))?;
        for entry in output["pending"].as_array().into_iter().flatten() {
            let capability = entry["capability"]
                .as_str()
                .context("`pending` without a capability")?;
            let mut blockers: Vec<String> = serde_json::from_value(entry["blockedBy"].clone())?;
            blockers.sort();
            answer.blocked_by.insert(capability.to_owned(), blockers);
        }
        answer.allowed.sort();
        Ok(answer)
    }
}
