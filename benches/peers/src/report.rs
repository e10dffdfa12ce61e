//! The results table, printed and written to `results.md`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::corpus::{Case, FIXTURE_AT, FIXTURES};
use crate::peers::Answer;
use crate::timing::median;

/// One engine's results.
pub struct Row {
    pub name: &'static str,
    /// Whether this is capgate, the reference.
    pub reference: bool,
    pub notes: &'static str,
    pub excluded: &'static [(&'static str, &'static str)],
    /// Median time to load the policy.
    pub load_ns: f64,
    /// Median time of one warm decision, per snapshot asked.
    pub decision_ns: BTreeMap<String, f64>,
    /// Corpus median over capgate's on the same snapshots (`None` for capgate).
    pub ratio: Option<f64>,
    /// Snapshots asked (the corpus less the exclusions).
    pub asked: usize,
    /// Snapshots whose answer differs from capgate's.
    pub mismatches: Vec<String>,
    pub answers: BTreeMap<String, Answer>,
}

/// The Markdown table.
pub fn markdown(rows: &[Row], cases: &[Case]) -> String {
    let mut out = String::new();
    let fixtures: Vec<&str> = FIXTURES.iter().map(|(name, _)| *name).collect();
    let _ = writeln!(
        out,
        "| engine | load (median) | warm decision median: {} | corpus median ({} snapshots) | ratio to capgate | agreement | notes |",
        fixtures.join(" | "),
        cases.len()
    );
    let _ = writeln!(
        out,
        "|---|---:|{}---:|---:|---|---|",
        "---:|".repeat(fixtures.len())
    );
    for row in rows {
        let per_fixture: Vec<String> = fixtures
            .iter()
            .map(|name| {
                row.decision_ns
                    .get(*name)
                    .map_or("excluded".into(), |ns| duration(*ns))
            })
            .collect();
        let mut all: Vec<f64> = row.decision_ns.values().copied().collect();
        let ratio = row
            .ratio
            .map_or("1 (baseline)".into(), |r| format!("{r:.1}x"));
        let agreement = agreement(row);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {ratio} | {agreement} | {} |",
            row.name,
            duration(row.load_ns),
            per_fixture.join(" | "),
            duration(median(&mut all)),
            row.notes
        );
    }
    out
}

/// `N/N`, with the exclusions; `reference` for capgate.
pub fn agreement(row: &Row) -> String {
    let agreed = row.asked - row.mismatches.len();
    match row.excluded {
        _ if row.reference => format!("reference ({} snapshots)", row.asked),
        [] => format!("{agreed}/{}", row.asked),
        excluded => format!(
            "{agreed}/{} ({} excluded: {})",
            row.asked,
            excluded.len(),
            excluded
                .iter()
                .map(|(case, _)| *case)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `results.md`: the table, what was measured, and the exclusions.
pub fn document(table: &str, rows: &[Row]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# capgate and its peers: results\n");
    let _ = writeln!(
        out,
        "Written by `bash run.sh` (see README.md). Load: median of 20 parses/compilations of the \
         policy. Warm decision: median time of one decision on an already prepared input \
         (median of 11 batches of about 20 ms). The fixtures are evaluated at {FIXTURE_AT}. \
         Ratio: the engine's corpus median over capgate's on the same snapshots. Versions: \
         `Cargo.lock`.\n"
    );
    out.push_str(table);
    let excluded: Vec<&Row> = rows.iter().filter(|row| !row.excluded.is_empty()).collect();
    let _ = writeln!(out, "\n## Excluded cases\n");
    if excluded.is_empty() {
        let _ = writeln!(out, "None: every engine was asked about every snapshot.");
    } else {
        for row in excluded {
            for (case, reason) in row.excluded {
                let _ = writeln!(out, "- {}: `{case}`: {reason}", row.name);
            }
        }
    }
    let mismatched: Vec<&Row> = rows
        .iter()
        .filter(|row| !row.mismatches.is_empty())
        .collect();
    if !mismatched.is_empty() {
        let _ = writeln!(out, "\n## Disagreements with capgate\n");
        for row in mismatched {
            let _ = writeln!(out, "- {}: {}", row.name, row.mismatches.join(", "));
        }
    }
    out
}

/// `812 ns`, `3.4 µs`, `12.0 ms`.
fn duration(ns: f64) -> String {
    if ns.is_nan() {
        "n/a".into()
    } else if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{:.2} ms", ns / 1e6)
    }
}
