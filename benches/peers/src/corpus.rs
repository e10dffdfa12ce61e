//! The snapshots every engine decides: the evaluation corpus and the three fixtures.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// The evaluation time of the three fixtures (the corpus files carry their own).
pub const FIXTURE_AT: &str = "2026-11-22T12:00:00Z";

/// The fixtures reported one by one in the table: (column, path from the repository root).
pub const FIXTURES: [(&str, &str); 3] = [
    ("draft", "examples/draft.json"),
    ("provider", "examples/provider.json"),
    ("incomplete", "benches/data/incomplete.json"),
];

/// One customer snapshot at one evaluation time.
#[derive(Debug)]
pub struct Case {
    /// The file name without `.json` (`01-empty-draft`, `draft`, ...).
    pub name: String,
    /// The evaluation time, RFC 3339.
    pub at: String,
    /// The snapshot as JSON text, what a host receives.
    pub text: String,
    /// The same snapshot, parsed.
    pub snapshot: Value,
}

/// Every `tests/corpus/eval/*.json` file (sorted by name), then the fixtures.
pub fn load(repo: &Path) -> Result<Vec<Case>> {
    let dir = repo.join("tests/corpus/eval");
    let mut paths: Vec<_> = fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    paths.retain(|p| p.extension().is_some_and(|e| e == "json"));
    paths.sort();
    let mut cases = Vec::new();
    for path in &paths {
        let file: Value = serde_json::from_str(&read(path)?)
            .with_context(|| format!("parsing {}", path.display()))?;
        let (Some(at), Some(snapshot)) = (file["at"].as_str(), file.get("snapshot")) else {
            bail!("{}: expected {{\"at\", \"snapshot\"}}", path.display());
        };
        cases.push(Case {
            name: stem(path),
            at: at.to_owned(),
            text: serde_json::to_string(snapshot)?,
            snapshot: snapshot.clone(),
        });
    }
    for (name, relative) in FIXTURES {
        let path = repo.join(relative);
        let text = read(&path)?;
        cases.push(Case {
            name: name.to_owned(),
            at: FIXTURE_AT.to_owned(),
            snapshot: serde_json::from_str(&text)
                .with_context(|| format!("parsing {}", path.display()))?,
            text,
        });
    }
    Ok(cases)
}

fn read(path: &Path) -> Result<String> {
    fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}
