//! `capgate diff OLD NEW`: the structural diff of two rulesets.

use std::path::Path;

use capgate::wire::{self, WireError};
use capgate::{ChangeClass, RuleDiff};

use crate::{Failure, Format};

/// Loads the rules at `old` and `new` (each a file or a directory of `*.toml` files) and
/// prints their diff. Changes are not an error: the exit code is 0.
pub(crate) fn run(old: &Path, new: &Path, format: Format) -> Result<(), Failure> {
    let old = load(old)?;
    let new = load(new)?;
    let diff = old.diff(&new);
    match format {
        Format::Json => outln!("{}", wire::diff_to_json(&diff)),
        Format::Human => out!("{}", human(&diff)),
    }
    Ok(())
}

fn load(path: &Path) -> Result<capgate::RuleSet, Failure> {
    let texts = crate::read_texts([path])?;
    wire::load(&crate::as_sources(&texts)).map_err(|err: WireError| Failure::Wire(err, None))
}

/// One line per change, then the summary.
fn human(diff: &RuleDiff) -> String {
    let mut lines: Vec<String> = diff.changes.iter().map(ToString::to_string).collect();
    if diff.is_empty() {
        lines.push("no changes".to_owned());
    } else {
        lines.push(format!(
            "{} change(s): {} stricter, {} looser, {} neutral",
            diff.changes.len(),
            diff.count(ChangeClass::Stricter),
            diff.count(ChangeClass::Looser),
            diff.count(ChangeClass::Neutral),
        ));
    }
    lines.join("\n") + "\n"
}
