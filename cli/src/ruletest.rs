//! `capgate test`: runs rule test files against the rules and reports coverage.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use capgate::RuleTestReport;
use capgate::wire::WireError;
use clap::Args;

use crate::{Failure, Format, RulesArgs, as_sources, load_rules, read_texts};

/// Arguments of `capgate test`.
#[derive(Debug, Args)]
pub(crate) struct TestArgs {
    #[command(flatten)]
    rules: RulesArgs,
    /// Fail when coverage is below this percentage.
    #[arg(long, value_name = "PERCENT")]
    min_coverage: Option<f64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Test files, or directories of `*.toml` test files.
    #[arg(value_name = "TESTS", required = true)]
    tests: Vec<PathBuf>,
}

/// Runs the tests; exit 0 when all pass and coverage is at least `--min-coverage`, 1
/// otherwise, 2 on bad input.
pub(crate) fn run(args: &TestArgs) -> Result<ExitCode, Failure> {
    let rules = load_rules(&args.rules)?;
    let texts = read_texts(&args.tests)?;
    let sources = as_sources(&texts);
    let report = rules
        .run_tests(&sources)
        .map_err(|errors| Failure::Wire(WireError::from(&errors), None))?;
    let percent = report.coverage.percent();
    let enough = args.min_coverage.is_none_or(|min| percent + 1e-9 >= min);
    match args.format {
        Format::Json => outln!("{}", json(&report)),
        Format::Human => out!("{}", human(&report, args.min_coverage)),
    }
    Ok(if report.passed() && enough {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn human(report: &RuleTestReport, min_coverage: Option<f64>) -> String {
    let mut out = String::new();
    for result in &report.results {
        if result.failures.is_empty() {
            let _ = writeln!(out, "ok    {}", result.name);
        } else {
            let _ = writeln!(out, "FAIL  {}  ({})", result.name, result.location);
            for failure in &result.failures {
                let _ = writeln!(out, "        {failure}");
            }
        }
    }
    let n_failed = report
        .results
        .iter()
        .filter(|r| !r.failures.is_empty())
        .count();
    let _ = writeln!(
        out,
        "\n{} passed, {} failed",
        report.results.len() - n_failed,
        n_failed
    );
    let items = &report.coverage.items;
    let covered = items.iter().filter(|i| i.is_covered()).count();
    let _ = writeln!(
        out,
        "coverage: {:.1}% ({covered} of {} items seen met and unmet)",
        report.coverage.percent(),
        items.len()
    );
    for item in items.iter().filter(|i| !i.is_covered()) {
        let missing = match (item.met, item.unmet || !item.can_be_unmet) {
            (false, false) => "never met, never unmet",
            (false, true) => "never met",
            _ => "never unmet",
        };
        let _ = writeln!(out, "  {} {}: {missing}", item.kind, item.name);
    }
    if let Some(min) = min_coverage {
        if report.coverage.percent() + 1e-9 < min {
            let _ = writeln!(out, "coverage is below the required {min}%");
        }
    }
    out
}

fn json(report: &RuleTestReport) -> String {
    capgate::wire::rule_tests_to_json(report)
}
