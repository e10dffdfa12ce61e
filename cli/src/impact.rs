//! `capgate impact`: what a rule change does to a corpus of customer snapshots.
//!
//! Every snapshot is evaluated under the old and the new rules at the same time, and the
//! differences are counted per capability, operation and requirement. The input is read in
//! bounded chunks; each chunk is evaluated in parallel into an aggregate, and the aggregates
//! are merged in input order, so memory stays flat and the example ids are the first ones in
//! input order whatever the thread count.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use capgate::wire::WireError;
use capgate::{EvaluationRef, RuleSet, Snapshot, Timestamp};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde_json::{Map, Value, json};

use crate::{Failure, Format, RulesArgs, evaluation_time, load_rules};

/// Example customer ids kept per table line.
const EXAMPLES: usize = 3;

/// The `impact` command's arguments.
#[derive(Debug, Args)]
pub(crate) struct ImpactArgs {
    /// The current rules: a file, or a directory of `*.toml` files.
    #[arg(long, value_name = "FILE_OR_DIR")]
    from: PathBuf,
    /// The proposed rules: a file, or a directory of `*.toml` files.
    #[arg(long, value_name = "FILE_OR_DIR")]
    to: PathBuf,
    /// Evaluation time of every snapshot, RFC 3339 with a zone (default: now).
    #[arg(long, value_name = "RFC3339")]
    at: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Newline-delimited JSON, one customer snapshot per line (`-` reads standard input).
    #[arg(value_name = "CORPUS")]
    corpus: PathBuf,
    #[command(flatten)]
    limits: crate::LimitsArgs,
}

/// Gains and losses of one capability or operation.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Change {
    gained: u64,
    lost: u64,
    examples_gained: Vec<String>,
    examples_lost: Vec<String>,
}

/// Changes of one requirement key.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct RequirementChange {
    newly_outstanding: u64,
    no_longer_outstanding: u64,
    /// The first customers for which it changed, either way.
    examples: Vec<String>,
}

/// A malformed line, reported once its chunk is merged.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Malformed {
    line: u64,
    code: &'static str,
    message: String,
    column: Option<usize>,
}

/// The counts for a run of consecutive lines; merging keeps input order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Aggregate {
    snapshots: u64,
    evaluated: u64,
    capabilities: BTreeMap<String, Change>,
    operations: BTreeMap<String, Change>,
    requirements: BTreeMap<String, RequirementChange>,
    /// Malformed lines of the current chunk, in order (drained after each chunk).
    malformed: Vec<Malformed>,
    malformed_count: u64,
}

fn push_example(examples: &mut Vec<String>, id: &str) {
    if examples.len() < EXAMPLES {
        examples.push(id.to_owned());
    }
}

fn extend_examples(examples: &mut Vec<String>, more: Vec<String>) {
    let room = EXAMPLES.saturating_sub(examples.len());
    examples.extend(more.into_iter().take(room));
}

impl Change {
    fn merge(&mut self, later: Change) {
        self.gained += later.gained;
        self.lost += later.lost;
        extend_examples(&mut self.examples_gained, later.examples_gained);
        extend_examples(&mut self.examples_lost, later.examples_lost);
    }
}

impl Aggregate {
    /// Adds `later`, which covers lines after this one's.
    fn merge(mut self, later: Aggregate) -> Aggregate {
        self.snapshots += later.snapshots;
        self.evaluated += later.evaluated;
        for (name, change) in later.capabilities {
            self.capabilities.entry(name).or_default().merge(change);
        }
        for (name, change) in later.operations {
            self.operations.entry(name).or_default().merge(change);
        }
        for (key, change) in later.requirements {
            let entry = self.requirements.entry(key).or_default();
            entry.newly_outstanding += change.newly_outstanding;
            entry.no_longer_outstanding += change.no_longer_outstanding;
            extend_examples(&mut entry.examples, change.examples);
        }
        self.malformed.extend(later.malformed);
        self.malformed_count += later.malformed_count;
        self
    }

    fn capability(&mut self, name: &str) -> &mut Change {
        self.capabilities.entry(name.to_owned()).or_default()
    }

    fn operation(&mut self, name: &str) -> &mut Change {
        self.operations.entry(name.to_owned()).or_default()
    }

    fn requirement(&mut self, key: &str) -> &mut RequirementChange {
        self.requirements.entry(key.to_owned()).or_default()
    }
}

/// The two rule sets, the time and the operations both know.
struct Comparison<'a> {
    old: &'a RuleSet,
    new: &'a RuleSet,
    at: Timestamp,
    operations: Vec<String>,
}

impl Comparison<'_> {
    /// Evaluates one non-blank line (`line` is its 1-based number) into `into`.
    fn line(&self, into: &mut Aggregate, line: u64, bytes: &[u8]) {
        into.snapshots += 1;
        let max = self.old.limits().max_snapshot_bytes;
        let text = if bytes.len() > max {
            // Perhaps cut inside a character by the reader: the size is what is wrong.
            let error = capgate_cli::stream::oversized(max);
            Err(Malformed {
                line,
                code: error.code,
                message: error.message,
                column: None,
            })
        } else {
            Ok(bytes)
        };
        let snapshot = match text.map(std::str::from_utf8) {
            Err(malformed) => Err(malformed),
            Ok(Err(_)) => Err(Malformed {
                line,
                code: "CG201",
                message: "the snapshot is not valid UTF-8".to_owned(),
                column: None,
            }),
            Ok(Ok(text)) => Snapshot::from_json_with(text, self.old.limits()).map_err(|err| {
                let error = WireError::from(&err);
                Malformed {
                    line,
                    code: error.code,
                    message: error.message,
                    column: error.column,
                }
            }),
        };
        match snapshot {
            Ok(snapshot) => {
                into.evaluated += 1;
                self.snapshot(into, line, &snapshot);
            }
            Err(malformed) => {
                into.malformed_count += 1;
                into.malformed.push(malformed);
            }
        }
    }

    fn snapshot(&self, into: &mut Aggregate, line: u64, snapshot: &Snapshot) {
        let id = snapshot
            .customer_id()
            .map_or_else(|| format!("line {line}"), str::to_owned);
        let before = self.old.evaluate_ref(snapshot, self.at);
        let after = self.new.evaluate_ref(snapshot, self.at);
        for name in after.allowed() {
            if !before.is_allowed(name) {
                let change = into.capability(name);
                change.gained += 1;
                push_example(&mut change.examples_gained, &id);
            }
        }
        for name in before.allowed() {
            if !after.is_allowed(name) {
                let change = into.capability(name);
                change.lost += 1;
                push_example(&mut change.examples_lost, &id);
            }
        }
        for operation in &self.operations {
            let allowed =
                |evaluation: &EvaluationRef<'_>| evaluation.allows(operation).unwrap_or(false);
            match (allowed(&before), allowed(&after)) {
                (false, true) => {
                    let change = into.operation(operation);
                    change.gained += 1;
                    push_example(&mut change.examples_gained, &id);
                }
                (true, false) => {
                    let change = into.operation(operation);
                    change.lost += 1;
                    push_example(&mut change.examples_lost, &id);
                }
                _ => {}
            }
        }
        // Both lists are in key order: one merge finds what appeared and what went away.
        let mut old_keys = before.outstanding().map(|(key, _, _)| key).peekable();
        let mut new_keys = after.outstanding().map(|(key, _, _)| key).peekable();
        loop {
            let (appeared, key) = match (old_keys.peek(), new_keys.peek()) {
                (None, None) => break,
                (Some(old), Some(new)) if old == new => {
                    old_keys.next();
                    new_keys.next();
                    continue;
                }
                (Some(old), Some(new)) if old < new => (false, old_keys.next()),
                (Some(_), None) => (false, old_keys.next()),
                (_, Some(_)) => (true, new_keys.next()),
            };
            let Some(key) = key else { break };
            let change = into.requirement(key);
            if appeared {
                change.newly_outstanding += 1;
            } else {
                change.no_longer_outstanding += 1;
            }
            push_example(&mut change.examples, &id);
        }
    }

    /// Evaluates a chunk of `(line number, bytes)` in parallel; the result is in input order.
    fn chunk(&self, lines: &[(u64, Vec<u8>)]) -> Aggregate {
        lines
            .par_iter()
            .fold(Aggregate::default, |mut aggregate, (line, bytes)| {
                self.line(&mut aggregate, *line, bytes);
                aggregate
            })
            .reduce(Aggregate::default, Aggregate::merge)
    }
}

/// Runs `capgate impact`.
///
/// Exit code: 0 when every line evaluated, 1 when some were malformed, 2 (as a `Failure`,
/// with nothing on stdout) when the rules do not load, `--at` is invalid or the corpus
/// cannot be read.
pub(crate) fn run(args: &ImpactArgs) -> Result<ExitCode, Failure> {
    let rules = |path: &Path| {
        load_rules(&RulesArgs {
            rules: vec![path.to_path_buf()],
            policy: Vec::new(),
            limits: args.limits,
        })
    };
    let old = rules(&args.from)?;
    let new = rules(&args.to)?;
    let at = evaluation_time(args.at.as_deref())?;
    let operations = {
        let known: Vec<&str> = old.operation_names().collect();
        new.operation_names()
            .filter(|name| known.binary_search(name).is_ok())
            .map(str::to_owned)
            .collect()
    };
    let comparison = Comparison {
        old: &old,
        new: &new,
        at,
        operations,
    };
    let (name, mut reader) = crate::ndjson::open(Some(&args.corpus))?;

    #[expect(
        clippy::disallowed_methods,
        reason = "the CLI reports progress and malformed lines"
    )]
    let stderr = io::stderr();
    let progress = if stderr.is_terminal() {
        let bar = ProgressBar::new_spinner();
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} {human_pos} lines, {per_sec} [{elapsed}]")
        {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };

    let mut total = Aggregate::default();
    let mut line = 0u64;
    let mut done = false;
    while !done {
        let (chunk, end) =
            crate::ndjson::read_chunk(&mut *reader, &mut line, old.limits().max_snapshot_bytes);
        match end {
            None => {}
            Some(Ok(())) => done = true,
            Some(Err(err)) => {
                progress.finish_and_clear();
                let after = if line == 0 {
                    String::new()
                } else {
                    format!(" (after line {line})")
                };
                return Err(Failure::Io(format!("{name}: {err}{after}")));
            }
        }
        let mut aggregate = comparison.chunk(&chunk);
        let malformed = std::mem::take(&mut aggregate.malformed);
        if !malformed.is_empty() {
            progress.suspend(|| {
                let mut diagnostics = stderr.lock();
                for error in &malformed {
                    let line = crate::ndjson::line_diagnostic(
                        &name,
                        error.line,
                        error.code,
                        &error.message,
                        error.column,
                    );
                    let _ = writeln!(diagnostics, "{line}");
                }
            });
        }
        total = total.merge(aggregate);
        progress.set_position(line);
    }
    progress.finish_and_clear();

    let report = match args.format {
        Format::Json => to_json(&total),
        Format::Human => to_human(&total),
    };
    #[expect(clippy::disallowed_methods, reason = "the CLI prints its report")]
    let mut stdout = io::stdout().lock();
    if let Err(err) = stdout
        .write_all(report.as_bytes())
        .and_then(|()| stdout.flush())
    {
        let _ = writeln!(stderr.lock(), "capgate: error: <stdout>: {err}");
        return Ok(ExitCode::from(2));
    }
    let _ = writeln!(
        stderr.lock(),
        "capgate: {} snapshots, {} evaluated, {} malformed",
        total.snapshots,
        total.evaluated,
        total.malformed_count
    );
    Ok(if total.malformed_count == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The JSON report. Keys are inserted in sorted order, so the output is sorted whatever
/// `serde_json`'s map type.
fn to_json(total: &Aggregate) -> String {
    let changes = |map: &BTreeMap<String, Change>| {
        let mut object = Map::new();
        for (name, change) in map {
            if change.gained > 0 || change.lost > 0 {
                object.insert(
                    name.clone(),
                    json!({
                        "examplesGained": change.examples_gained,
                        "examplesLost": change.examples_lost,
                        "gained": change.gained,
                        "lost": change.lost,
                    }),
                );
            }
        }
        Value::Object(object)
    };
    let mut requirements = Map::new();
    for (key, change) in &total.requirements {
        if change.newly_outstanding > 0 || change.no_longer_outstanding > 0 {
            requirements.insert(
                key.clone(),
                json!({
                    "examples": change.examples,
                    "newlyOutstanding": change.newly_outstanding,
                    "noLongerOutstanding": change.no_longer_outstanding,
                }),
            );
        }
    }
    let mut report = Map::new();
    report.insert("capabilities".to_owned(), changes(&total.capabilities));
    report.insert("evaluated".to_owned(), total.evaluated.into());
    report.insert("malformed".to_owned(), total.malformed_count.into());
    report.insert("operations".to_owned(), changes(&total.operations));
    report.insert("requirements".to_owned(), Value::Object(requirements));
    report.insert("snapshots".to_owned(), total.snapshots.into());
    let mut text = serde_json::to_string_pretty(&Value::Object(report)).unwrap_or_default();
    text.push('\n');
    text
}

/// Aligned columns: the first left-aligned, the numeric ones right-aligned, the last (the
/// examples) left-aligned and unpadded.
fn table(out: &mut String, header: [&str; 4], rows: &[[String; 4]]) {
    let mut widths = header.map(str::len);
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    let [w0, w1, w2, _] = widths;
    let mut line = |cells: [&str; 4]| {
        let [name, a, b, examples] = cells;
        let text = format!("{name:<w0$}  {a:>w1$}  {b:>w2$}  {examples}");
        let _ = writeln!(out, "{}", text.trim_end());
    };
    line(header);
    for row in rows {
        let [name, a, b, examples] = row;
        line([name, a, b, examples]);
    }
}

fn examples(label: &str, ids: &[String]) -> Option<String> {
    (!ids.is_empty()).then(|| format!("{label}: {}", ids.join(", ")))
}

fn change_rows(map: &BTreeMap<String, Change>) -> Vec<[String; 4]> {
    map.iter()
        .filter(|(_, change)| change.gained > 0 || change.lost > 0)
        .map(|(name, change)| {
            let examples = [
                examples("gained", &change.examples_gained),
                examples("lost", &change.examples_lost),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("; ");
            [
                name.clone(),
                change.gained.to_string(),
                change.lost.to_string(),
                examples,
            ]
        })
        .collect()
}

/// The human report: a table per kind (or `no change`), then the totals.
fn to_human(total: &Aggregate) -> String {
    let mut out = String::new();
    let capabilities = change_rows(&total.capabilities);
    let operations = change_rows(&total.operations);
    let requirements: Vec<[String; 4]> = total
        .requirements
        .iter()
        .filter(|(_, change)| change.newly_outstanding > 0 || change.no_longer_outstanding > 0)
        .map(|(key, change)| {
            [
                key.clone(),
                change.newly_outstanding.to_string(),
                change.no_longer_outstanding.to_string(),
                change.examples.join(", "),
            ]
        })
        .collect();
    let sections = [
        (
            "capabilities",
            ["capability", "gained", "lost", "examples"],
            capabilities,
        ),
        (
            "operations",
            ["operation", "gained", "lost", "examples"],
            operations,
        ),
        (
            "requirements",
            ["requirement", "newly outstanding", "no longer", "examples"],
            requirements,
        ),
    ];
    for (title, header, rows) in sections {
        if rows.is_empty() {
            let _ = writeln!(out, "{title}: no change\n");
        } else {
            table(&mut out, header, &rows);
            out.push('\n');
        }
    }
    let _ = writeln!(out, "snapshots  {}", total.snapshots);
    let _ = writeln!(out, "evaluated  {}", total.evaluated);
    let _ = writeln!(out, "malformed  {}", total.malformed_count);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(gained: u64, examples: &[&str]) -> Change {
        Change {
            gained,
            examples_gained: examples.iter().map(|&id| id.to_owned()).collect(),
            ..Change::default()
        }
    }

    #[test]
    fn merging_keeps_the_first_examples_in_input_order() {
        let mut first = Aggregate::default();
        first
            .capabilities
            .insert("tradeCrypto".to_owned(), change(2, &["a", "b"]));
        let mut second = Aggregate::default();
        second
            .capabilities
            .insert("tradeCrypto".to_owned(), change(2, &["c", "d"]));
        let merged = first.merge(second);
        assert_eq!(
            merged.capabilities["tradeCrypto"],
            change(4, &["a", "b", "c"])
        );
    }

    #[test]
    fn identical_rules_change_nothing_and_chunks_agree_with_one_pass() {
        let rules = RuleSet::builtin();
        let comparison = Comparison {
            old: &rules,
            new: &rules,
            at: Timestamp::parse("2026-11-22T12:00:00Z").unwrap(),
            operations: rules.operation_names().map(str::to_owned).collect(),
        };
        let lines: Vec<(u64, Vec<u8>)> = (1..=50)
            .map(|n| {
                (
                    n,
                    if n % 7 == 0 {
                        b"{".to_vec()
                    } else {
                        b"{}".to_vec()
                    },
                )
            })
            .collect();
        let aggregate = comparison.chunk(&lines);
        assert_eq!(aggregate.snapshots, 50);
        assert_eq!(aggregate.malformed_count, 7);
        let numbers: Vec<u64> = aggregate.malformed.iter().map(|m| m.line).collect();
        assert_eq!(numbers, [7, 14, 21, 28, 35, 42, 49]);
        assert!(aggregate.capabilities.is_empty());
        assert!(aggregate.operations.is_empty());
        assert!(aggregate.requirements.is_empty());
    }
}
