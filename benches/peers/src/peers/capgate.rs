//! capgate itself: the reference answer and the baseline time.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, anyhow, ensure};
use capgate::{Evaluation, RuleSet, Snapshot, Timestamp};

use super::{Answer, Peer};
use crate::corpus::Case;

/// The default rules, compiled from `rules/coinbase-customers.toml`.
pub struct Capgate {
    rules: RuleSet,
}

impl Peer for Capgate {
    const NAME: &'static str = "capgate";
    const NOTES: &'static str = "the reference: `RuleSet::evaluate` on a parsed `Snapshot`";

    type Source = String;
    type Input = (Snapshot, Timestamp);
    type Output = Evaluation;

    fn read(root: &Path) -> Result<String> {
        let path = root.join("../../rules/coinbase-customers.toml");
        let text =
            fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        ensure!(
            Capgate::load(&text)?.rules.hash() == RuleSet::builtin().hash(),
            "{} is not the embedded default ruleset",
            path.display()
        );
        Ok(text)
    }

    fn load(source: &String) -> Result<Self> {
        let rules = RuleSet::from_toml(capgate::BUILTIN_RULES_NAME, source)
            .map_err(|errors| anyhow!("{errors}"))?;
        Ok(Capgate { rules })
    }

    fn prepare(&self, case: &Case) -> Result<Self::Input> {
        let snapshot =
            Snapshot::from_json(&case.text).with_context(|| format!("snapshot {}", case.name))?;
        Ok((snapshot, Timestamp::parse(&case.at)?))
    }

    fn evaluate(&self, (snapshot, at): &Self::Input) -> Result<Evaluation> {
        Ok(self.rules.evaluate(snapshot, *at))
    }

    fn answer(&self, evaluation: Evaluation) -> Result<Answer> {
        Ok(Answer {
            allowed: evaluation.allowed,
            blocked_by: evaluation
                .waiting_on
                .into_iter()
                .map(|(capability, waiting)| (capability, waiting.requirements))
                .collect(),
        })
    }
}
