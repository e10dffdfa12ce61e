//! # capgate-peers: capgate's decision in Cedar, Rego, GoRules ZEN and JSONLogic
//!
//! The decision: for one customer snapshot at one evaluation time, which requested
//! capabilities are allowed, and which are blocked by which missing or invalid fields (a map
//! from each `pending` capability to the sorted keys of the requirements that block it).
//! capgate computes it from `rules/coinbase-customers.toml`; each peer computes it from a
//! hand translation of those rules into its own language, in `policies/`, loaded at run time.
//!
//! The run:
//! 1. reads the corpus: every `tests/corpus/eval/*.json` and the three fixtures
//!    (`examples/draft.json`, `examples/provider.json`, `benches/data/incomplete.json`, at
//!    2026-11-22T12:00:00Z);
//! 2. for each engine, checks that its answer equals capgate's on every snapshot (a mismatch
//!    is a translation bug: it is printed, and the run exits with status 1);
//! 3. times, for each engine, loading its policy (median of 20) and deciding one prepared
//!    snapshot (median ns per call over 11 batches of about 20 ms);
//! 4. prints a Markdown table, and writes it to `results.md`.
//!
//! Run it with `bash run.sh` (or `cargo run --release --locked`) from `benches/peers`;
//! `-- --check` checks the answers only, without timing; `-- --fuzz N` checks the answers on
//! N mutated snapshots (see `fuzz.rs`); `-- --only NAME` runs capgate and the peers whose name
//! contains NAME (and leaves `results.md` alone).

mod corpus;
mod fuzz;
mod peers;
mod report;
mod timing;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, ensure};

use corpus::{Case, FIXTURES};
use peers::capgate::Capgate;
use peers::cedar::Cedar;
use peers::jsonlogic::JsonLogic;
use peers::rego::Rego;
use peers::zen::Zen;
use peers::{Answer, Peer};
use report::Row;

/// Repetitions of each policy load.
const LOAD_REPETITIONS: usize = 20;

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// Returns whether every engine agreed with capgate on every case it was asked about.
fn run() -> Result<bool> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cases = corpus::load(&root.join("../.."))?;
    eprintln!(
        "{} snapshots: {} corpus files and {} fixtures",
        cases.len(),
        cases.len() - FIXTURES.len(),
        FIXTURES.len()
    );

    let args: Vec<String> = std::env::args().collect();
    if let Some(count) = args
        .iter()
        .position(|arg| arg == "--fuzz")
        .map(|i| args.get(i + 1))
    {
        let count = count
            .and_then(|n| n.parse().ok())
            .context("--fuzz takes a count")?;
        return fuzz_check(root, &cases, count);
    }
    let timed = !args.iter().any(|arg| arg == "--check");

    let capgate = measure::<Capgate>(root, &cases, None, timed)?;
    let reference = Some((&capgate.answers, &capgate));
    let only = args
        .iter()
        .position(|arg| arg == "--only")
        .and_then(|i| args.get(i + 1))
        .map(|name| name.to_lowercase());
    let wanted = |name: &str| {
        only.as_ref()
            .is_none_or(|only| name.to_lowercase().contains(only))
    };
    let mut rows = Vec::new();
    if wanted(Cedar::NAME) {
        rows.push(measure::<Cedar>(root, &cases, reference, timed)?);
    }
    if wanted(Rego::NAME) {
        rows.push(measure::<Rego>(root, &cases, reference, timed)?);
    }
    if wanted(Zen::NAME) {
        rows.push(measure::<Zen>(root, &cases, reference, timed)?);
    }
    if wanted(JsonLogic::NAME) {
        rows.push(measure::<JsonLogic>(root, &cases, reference, timed)?);
    }
    let all_agree = rows.iter().all(|row| row.mismatches.is_empty());
    if !timed {
        for row in &rows {
            println!("{}: {}", row.name, report::agreement(row));
        }
        return Ok(all_agree);
    }
    let rows: Vec<Row> = std::iter::once(capgate).chain(rows).collect();

    let table = report::markdown(&rows, &cases);
    println!("{table}");
    if only.is_none() {
        let results = root.join("results.md");
        std::fs::write(&results, report::document(&table, &rows))
            .with_context(|| format!("writing {}", results.display()))?;
        eprintln!("wrote {}", results.display());
    }
    Ok(all_agree)
}

/// The agreement check on `count` mutated snapshots; prints each disagreement.
fn fuzz_check(root: &Path, corpus: &[Case], count: usize) -> Result<bool> {
    let cases = fuzz::cases(corpus, count);
    eprintln!("{} mutated snapshots", cases.len());
    let reference = fuzz::answers::<Capgate>(root, &cases)?;
    let distinct: std::collections::BTreeSet<String> = reference
        .values()
        .map(|answer| format!("{answer:?}"))
        .collect();
    eprintln!("{} distinct answers from capgate", distinct.len());
    let peers = [
        (Cedar::NAME, fuzz::answers::<Cedar>(root, &cases)?),
        (Rego::NAME, fuzz::answers::<Rego>(root, &cases)?),
        (Zen::NAME, fuzz::answers::<Zen>(root, &cases)?),
        (JsonLogic::NAME, fuzz::answers::<JsonLogic>(root, &cases)?),
    ];
    let mut agree = true;
    for (name, answers) in &peers {
        let wrong: Vec<&Case> = cases
            .iter()
            .filter(|case| answers.get(&case.name) != reference.get(&case.name))
            .collect();
        println!(
            "{name}: {}/{} agree",
            cases.len() - wrong.len(),
            cases.len()
        );
        for case in wrong.iter().take(3) {
            println!(
                "  {} at {}\n    snapshot: {}\n    capgate: {:?}\n    {name}: {:?}",
                case.name,
                case.at,
                case.text,
                reference.get(&case.name),
                answers.get(&case.name)
            );
        }
        agree &= wrong.is_empty();
    }
    Ok(agree)
}

/// Loads `P`'s policy, checks its answers against the `reference` (capgate's, absent when
/// `P` is capgate, with capgate's row for the ratio), and times it unless `timed` is false.
fn measure<P: Peer>(
    root: &Path,
    cases: &[Case],
    reference: Option<(&BTreeMap<String, Answer>, &Row)>,
    timed: bool,
) -> Result<Row> {
    eprintln!("{}: loading", P::NAME);
    let source = P::read(root)?;
    let (load_ns, loaded) = timing::median_once(LOAD_REPETITIONS, || P::load(&source));
    let peer = loaded.with_context(|| format!("{}: loading the policy", P::NAME))?;

    let excluded = |name: &str| P::EXCLUDED.iter().any(|(case, _)| *case == name);
    let mut inputs = Vec::new();
    let mut answers = BTreeMap::new();
    let mut mismatches = Vec::new();
    for case in cases.iter().filter(|case| !excluded(&case.name)) {
        let input = peer
            .prepare(case)
            .with_context(|| format!("{}: preparing {}", P::NAME, case.name))?;
        let decide = || {
            peer.evaluate(&input)
                .and_then(|output| peer.answer(output))
                .with_context(|| format!("{}: deciding {}", P::NAME, case.name))
        };
        let answer = decide()?;
        // The timed loop reuses each input: deciding must leave it as it was.
        ensure!(
            decide()? == answer,
            "{}: a second decision on {} differs from the first",
            P::NAME,
            case.name
        );
        if let Some((expected, _)) = reference
            && expected.get(&case.name) != Some(&answer)
        {
            eprintln!(
                "{}: MISMATCH on {}\n  capgate: {:?}\n  {}: {:?}",
                P::NAME,
                case.name,
                expected.get(&case.name),
                P::NAME,
                answer
            );
            mismatches.push(case.name.clone());
        }
        answers.insert(case.name.clone(), answer);
        inputs.push((case.name.clone(), input));
    }

    let mut decision_ns = BTreeMap::new();
    if timed {
        eprintln!("{}: timing {} snapshots", P::NAME, inputs.len());
    }
    for (name, input) in inputs.iter().filter(|_| timed) {
        let ns = timing::per_call_ns(|| peer.evaluate(input));
        decision_ns.insert(name.clone(), ns);
    }

    let ratio = reference.map(|(_, baseline)| {
        // The same snapshots on both sides: a peer's exclusions leave capgate's too.
        let mut own: Vec<f64> = decision_ns.values().copied().collect();
        let mut base: Vec<f64> = decision_ns
            .keys()
            .filter_map(|name| baseline.decision_ns.get(name).copied())
            .collect();
        timing::median(&mut own) / timing::median(&mut base)
    });
    Ok(Row {
        name: P::NAME,
        reference: reference.is_none(),
        notes: P::NOTES,
        excluded: P::EXCLUDED,
        load_ns,
        decision_ns,
        ratio,
        asked: answers.len(),
        mismatches,
        answers,
    })
}
