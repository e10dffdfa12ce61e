//! capgate itself: the reference answer and the baseline time.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, anyhow, ensure};
use capgate::{CapabilityStatus, RuleSet, Snapshot, Timestamp};

use super::{Answer, Peer};
use crate::corpus::Case;

/// The default rules, compiled from `rules/coinbase-customers.toml`.
pub struct Capgate {
    rules: RuleSet,
}

impl Peer for Capgate {
    const NAME: &'static str = "capgate";
    const NOTES: &'static str = "the reference: `RuleSet::evaluate_ref` on a parsed `Snapshot`, and the answer built from it (allowed names, blocking keys per pending capability) inside the timed call; the full owned report (`RuleSet::evaluate`) is in BENCHMARKS.md";

    type Source = String;
    type Input = (Snapshot, Timestamp);
    type Output = Answer;

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

    /// The decision, timed from the parsed snapshot to the [`Answer`] itself (the peers are
    /// timed to their raw output only, so this favours them).
    fn evaluate(&self, (snapshot, at): &Self::Input) -> Result<Answer> {
        let evaluation = self.rules.evaluate_ref(snapshot, *at);
        Ok(Answer {
            allowed: evaluation.allowed().map(str::to_owned).collect(),
            blocked_by: evaluation
                .capabilities()
                .filter(|(_, status)| *status == CapabilityStatus::Pending)
                .map(|(name, _)| {
                    let keys = evaluation.blocking(name).map(str::to_owned).collect();
                    (name.to_owned(), keys)
                })
                .collect(),
        })
    }

    fn answer(&self, answer: Answer) -> Result<Answer> {
        Ok(answer)
    }
}
