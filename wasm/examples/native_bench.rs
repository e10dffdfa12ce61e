//! The native side of `wasm/bench/bench.mjs`: times `capgate::wire::evaluate_json` (JSON text
//! in, JSON text out) on each case of the evaluation corpus, with the same method as the Node
//! side, and prints `{"case": median_ns_per_call, ...}` as JSON.
//!
//!     cargo run --release -p capgate-wasm --example native_bench -- tests/corpus/eval

#![expect(
    clippy::indexing_slicing,
    clippy::result_large_err,
    clippy::print_stdout,
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "a benchmark reads its corpus, reads the clock and prints"
)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use capgate::RuleSet;

const BATCHES: usize = 15;
const BATCH_TIME: Duration = Duration::from_millis(40);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "tests/corpus/eval".to_owned()),
    );
    let rules = RuleSet::builtin();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.retain(|f| f.extension().is_some_and(|e| e == "json"));
    files.sort();
    let mut results = BTreeMap::new();
    for file in files {
        let case: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file)?)?;
        let text = case["snapshot"].to_string();
        let at = case["at"]
            .as_str()
            .unwrap_or("2026-11-22T12:00:00Z")
            .to_owned();
        let run = || {
            capgate::wire::evaluate_json(&rules, black_box(&text), &at)
                .map(|json| black_box(json).len())
        };
        run()?;
        // Calibrate a batch to about BATCH_TIME, then take the median batch average.
        let mut n_calls = 1u32;
        loop {
            let start = Instant::now();
            for _ in 0..n_calls {
                run()?;
            }
            if start.elapsed() >= BATCH_TIME / 4 || n_calls >= 1 << 24 {
                break;
            }
            n_calls *= 2;
        }
        n_calls *= 4;
        let mut batches = Vec::with_capacity(BATCHES);
        for _ in 0..BATCHES {
            let start = Instant::now();
            for _ in 0..n_calls {
                run()?;
            }
            batches.push(start.elapsed().as_secs_f64() * 1e9 / f64::from(n_calls));
        }
        batches.sort_by(f64::total_cmp);
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        results.insert(name, batches[BATCHES / 2].round());
    }
    println!("{}", serde_json::to_string(&results)?);
    Ok(())
}
