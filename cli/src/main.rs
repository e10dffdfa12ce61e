//! The `capgate` command: evaluate customer snapshots against capability rules.
//!
//! All logic lives in the `capgate` library; this binary reads files, reads the clock when
//! `--at` is not given, prints, and sets the exit code (0 ok, 1 denied or some `--ndjson` lines
//! malformed, 2 bad input).

#![expect(clippy::print_stdout, clippy::print_stderr, reason = "the CLI prints")]
#![expect(
    clippy::result_large_err,
    reason = "a failure ends the process; boxing it would buy nothing"
)]

mod diff;
mod human;
mod impact;
mod ndjson;
mod ruletest;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use capgate::wire::{self, WireError};
use capgate::{RuleSet, Snapshot, Source, Timestamp};
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

/// Evaluate Coinbase Customers (KYC) snapshots against capability/requirement rules.
#[derive(Debug, Parser)]
#[command(name = "capgate", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Evaluate a snapshot: capability statuses, outstanding requirements, allowed capabilities.
    Eval {
        #[command(flatten)]
        rules: RulesArgs,
        #[command(flatten)]
        input: InputArgs,
        /// Read newline-delimited JSON (one snapshot per line) and write one compact
        /// evaluation per line, streaming (exit 1 when some lines are malformed).
        #[arg(long)]
        ndjson: bool,
    },
    /// Check whether an operation may proceed (exit 0 allowed, 1 denied).
    Check {
        /// The operation to check (e.g. createCustomerAccount).
        #[arg(long, value_name = "NAME")]
        operation: String,
        #[command(flatten)]
        rules: RulesArgs,
        #[command(flatten)]
        input: InputArgs,
    },
    /// Explain why a capability or operation is (not) available, and what would unlock it.
    Explain {
        /// The capability to explain.
        #[arg(
            long,
            value_name = "NAME",
            conflicts_with = "operation",
            required_unless_present = "operation"
        )]
        capability: Option<String>,
        /// The operation to explain.
        #[arg(long, value_name = "NAME")]
        operation: Option<String>,
        #[command(flatten)]
        rules: RulesArgs,
        #[command(flatten)]
        input: InputArgs,
    },
    /// Validate rule files and print every problem as `file:line:col: code: message`.
    /// Run rule test files against the rules, with coverage (exit 1 on a failure or low coverage).
    Test(ruletest::TestArgs),
    Lint {
        #[command(flatten)]
        rules: RulesArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Print the change events between two snapshots of one customer, in the provider's
    /// webhook shapes (`customers.capability.changed`, `customers.requirement.changed`).
    Changes {
        #[command(flatten)]
        rules: RulesArgs,
        /// Evaluation time of both snapshots, RFC 3339 with a zone (default: now).
        #[arg(long, value_name = "RFC3339")]
        at: Option<String>,
        /// The earlier snapshot JSON file (`-` reads standard input).
        #[arg(value_name = "OLD")]
        old: PathBuf,
        /// The later snapshot JSON file (`-` reads standard input).
        #[arg(value_name = "NEW")]
        new: PathBuf,
    },
    /// Print the structural diff of two rule sets, each change classified stricter, looser
    /// or neutral (exit 0 whatever changed).
    Diff {
        /// The older rules: a rule file or a directory of `*.toml` files.
        #[arg(value_name = "OLD")]
        old: PathBuf,
        /// The newer rules: a rule file or a directory of `*.toml` files.
        #[arg(value_name = "NEW")]
        new: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Compare two rule sets over a corpus of snapshots (NDJSON): who gains or loses each
    /// capability and operation, and which requirements become (or stop being) outstanding.
    Impact(impact::ImpactArgs),
}

#[derive(Debug, Args)]
struct RulesArgs {
    /// Rule file, or directory of `*.toml` files, replacing the embedded default rules
    /// (repeatable; sources are combined in order).
    #[arg(long, value_name = "FILE_OR_DIR")]
    rules: Vec<PathBuf>,
    /// Policy file or directory added on top of the rules (the embedded default rules
    /// unless `--rules` is given) (repeatable).
    #[arg(long, value_name = "FILE_OR_DIR")]
    policy: Vec<PathBuf>,
}

#[derive(Debug, Args)]
struct InputArgs {
    /// Evaluation time, RFC 3339 with a zone (default: now).
    #[arg(long, value_name = "RFC3339")]
    at: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
    /// Snapshot JSON file; `-` or nothing reads standard input.
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// JSON (the wire contract).
    Json,
    /// A readable table.
    Human,
}

/// A failure that exits with code 2 after printing to stderr.
enum Failure {
    /// A file or stream could not be read.
    Io(String),
    /// The engine rejected an input (named by the second field, when it is a file).
    Wire(WireError, Option<String>),
}

// mimalloc: batch work (`eval --ndjson`, `impact`) allocates many small, short-lived values
// from every core; glibc's allocator spends a third of the time there, mimalloc a fraction.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Eval {
        ndjson: true,
        input,
        ..
    } = &cli.command
    {
        if input.format == Format::Human {
            // A usage error, reported (and exiting 2) as clap does.
            Cli::command()
                .error(
                    clap::error::ErrorKind::ArgumentConflict,
                    "the argument '--ndjson' cannot be used with '--format human'",
                )
                .exit();
        }
    }
    match run(cli.command) {
        Ok(code) => code,
        Err(failure) => {
            match failure {
                Failure::Io(message) => eprintln!("capgate: error: {message}"),
                Failure::Wire(error, input) => print_wire_error(&error, input.as_deref()),
            }
            ExitCode::from(2)
        }
    }
}

fn run(command: Command) -> Result<ExitCode, Failure> {
    match command {
        Command::Eval {
            rules,
            input,
            ndjson,
        } => {
            let ruleset = load_rules(&rules)?;
            if ndjson {
                return ndjson::eval(&ruleset, &input);
            }
            let (snapshot, at) = read_input(&input)?;
            let evaluation = ruleset.evaluate(&snapshot, at);
            match input.format {
                Format::Json => println!("{}", wire::evaluation_to_json(&evaluation)),
                Format::Human => {
                    print!("{}", human::evaluation(&evaluation, snapshot.customer_id()));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check {
            operation,
            rules,
            input,
        } => {
            let ruleset = load_rules(&rules)?;
            let (snapshot, at) = read_input(&input)?;
            let decision = ruleset
                .check(&snapshot, &operation, at)
                .map_err(|err| Failure::Wire(WireError::from(&err), None))?;
            match input.format {
                Format::Json => println!("{}", wire::decision_to_json(&decision)),
                Format::Human => print!("{}", human::decision(&decision)),
            }
            Ok(if decision.allowed {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Explain {
            capability,
            operation,
            rules,
            input,
        } => {
            let ruleset = load_rules(&rules)?;
            let (snapshot, at) = read_input(&input)?;
            let target = match (&capability, &operation) {
                (Some(name), _) => capgate::Target::Capability(name),
                (None, Some(name)) => capgate::Target::Operation(name),
                (None, None) => capgate::Target::Operation(""),
            };
            let explanation = ruleset
                .explain(&snapshot, target, at)
                .map_err(|err| Failure::Wire(WireError::from(&err), None))?;
            match input.format {
                Format::Json => println!("{}", wire::explanation_to_json(&explanation)),
                Format::Human => print!("{}", human::explanation(&explanation)),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Test(args) => ruletest::run(&args),
        Command::Lint { rules, format } => {
            let texts = read_sources(&rules)?;
            let sources = as_sources(&texts);
            let problems = RuleSet::lint(&sources);
            if problems.is_empty() {
                match format {
                    Format::Json => println!("[]"),
                    Format::Human => println!("ok: {} rule source(s), no problems", sources.len()),
                }
                return Ok(ExitCode::SUCCESS);
            }
            // Problems are the bad input: stderr and exit 2, nothing on stdout.
            match format {
                Format::Json => eprintln!("{}", wire::lint_json(&sources)),
                Format::Human => {
                    for problem in &problems {
                        eprintln!("{problem}");
                        if let Some(help) = problem.help() {
                            eprintln!("  help: {help}");
                        }
                    }
                    eprintln!("capgate: {} problem(s) found", problems.len());
                }
            }
            Ok(ExitCode::from(2))
        }
        Command::Changes {
            rules,
            at,
            old,
            new,
        } => {
            let ruleset = load_rules(&rules)?;
            let at = evaluation_time(at.as_deref())?;
            if old == Path::new("-") && new == Path::new("-") {
                return Err(Failure::Io(
                    "OLD and NEW cannot both be `-` (standard input)".to_owned(),
                ));
            }
            let old = read_snapshot(&old)?;
            let new = read_snapshot(&new)?;
            let events = capgate::changes(
                new.customer_id().or(old.customer_id()),
                &ruleset.evaluate(&old, at),
                &ruleset.evaluate(&new, at),
            );
            println!("{}", wire::changes_to_json(&events));
            Ok(ExitCode::SUCCESS)
        }
        Command::Diff { old, new, format } => {
            diff::run(&old, &new, format)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Impact(args) => impact::run(&args),
    }
}

fn print_wire_error(error: &WireError, input: Option<&str>) {
    if error.errors.is_empty() {
        let input = input.map(|name| format!("{name}: ")).unwrap_or_default();
        let position = match (error.line, error.column) {
            (Some(line), Some(column)) => format!(" (line {line}, column {column})"),
            _ => String::new(),
        };
        eprintln!(
            "capgate: error: {input}{}: {}{position}",
            error.code, error.message
        );
        return;
    }
    for problem in &error.errors {
        eprintln!(
            "{}:{}:{}: {}: {}",
            problem.file.as_deref().unwrap_or("?"),
            problem.line.unwrap_or(0),
            problem.column.unwrap_or(0),
            problem.code,
            problem.message
        );
        if let Some(help) = &problem.help {
            eprintln!("  help: {help}");
        }
    }
    eprintln!(
        "capgate: error: the rules do not load ({} problem(s))",
        error.errors.len()
    );
}

fn load_rules(args: &RulesArgs) -> Result<RuleSet, Failure> {
    if args.rules.is_empty() && args.policy.is_empty() {
        return Ok(RuleSet::builtin());
    }
    let texts = read_sources(args)?;
    let sources = as_sources(&texts);
    wire::load(&sources).map_err(|err| Failure::Wire(err, None))
}

/// The rule texts named by `--rules` (or the embedded rules) followed by `--policy`.
fn read_sources(args: &RulesArgs) -> Result<Vec<(String, String)>, Failure> {
    let mut texts = Vec::new();
    if args.rules.is_empty() {
        texts.push((
            capgate::BUILTIN_RULES_NAME.to_owned(),
            capgate::BUILTIN_RULES.to_owned(),
        ));
    }
    texts.extend(read_texts(args.rules.iter().chain(&args.policy))?);
    Ok(texts)
}

/// `(name, text)` of every file named by `paths` (files, or directories of `*.toml`).
fn read_texts<P: AsRef<Path>>(
    paths: impl IntoIterator<Item = P>,
) -> Result<Vec<(String, String)>, Failure> {
    let mut texts = Vec::new();
    for path in paths {
        for file in expand(path.as_ref())? {
            let text = String::from_utf8(read_file(&file)?)
                .map_err(|_| Failure::Io(format!("{}: not valid UTF-8", file.display())))?;
            texts.push((file.display().to_string(), text));
        }
    }
    Ok(texts)
}

/// Borrows `(name, text)` pairs as sources.
fn as_sources(texts: &[(String, String)]) -> Vec<Source<'_>> {
    texts
        .iter()
        .map(|(name, text)| Source::new(name, text))
        .collect()
}

/// A file, or the `*.toml` files directly in a directory, sorted by name.
fn expand(path: &Path) -> Result<Vec<PathBuf>, Failure> {
    #[expect(clippy::disallowed_methods, reason = "the CLI reads rule directories")]
    let entries = match std::fs::read_dir(path) {
        Ok(entries) => entries,
        Err(_) if !path.is_dir() => return Ok(vec![path.to_path_buf()]),
        Err(err) => return Err(Failure::Io(format!("{}: {err}", path.display()))),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|err| Failure::Io(format!("{}: {err}", path.display())))?;
        let file = entry.path();
        if file.extension().is_some_and(|ext| ext == "toml") && file.is_file() {
            files.push(file);
        }
    }
    if files.is_empty() {
        return Err(Failure::Io(format!(
            "{}: no `*.toml` rule files in this directory",
            path.display()
        )));
    }
    files.sort();
    Ok(files)
}

fn read_file(path: &Path) -> Result<Vec<u8>, Failure> {
    #[expect(
        clippy::disallowed_methods,
        reason = "the CLI reads the files it is given"
    )]
    std::fs::read(path).map_err(|err| Failure::Io(format!("{}: {err}", path.display())))
}

/// The evaluation time: `--at`, or now.
fn evaluation_time(at: Option<&str>) -> Result<Timestamp, Failure> {
    match at {
        Some(text) => wire::parse_at(text).map_err(|err| Failure::Wire(err, None)),
        None => Ok(now()),
    }
}

fn read_input(input: &InputArgs) -> Result<(Snapshot, Timestamp), Failure> {
    let at = evaluation_time(input.at.as_deref())?;
    let (name, bytes) = match input.file.as_deref() {
        None => ("<stdin>".to_owned(), read_stdin()?),
        Some(path) if path == Path::new("-") => ("<stdin>".to_owned(), read_stdin()?),
        Some(path) => (path.display().to_string(), read_file(path)?),
    };
    // A UTF-8 byte-order mark is tolerated and skipped.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let text = std::str::from_utf8(bytes)
        .map_err(|_| Failure::Io(format!("{name}: CG201: the snapshot is not valid UTF-8")))?;
    let snapshot = Snapshot::from_json(text)
        .map_err(|err| Failure::Wire(WireError::from(&err), Some(name)))?;
    Ok((snapshot, at))
}

fn read_stdin() -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    #[expect(
        clippy::disallowed_methods,
        reason = "the CLI reads the snapshot from stdin"
    )]
    std::io::stdin()
        .read_to_end(&mut bytes)
        .map_err(|err| Failure::Io(format!("<stdin>: {err}")))?;
    Ok(bytes)
}

/// The current time: the CLI may read the clock, the library never does.
fn now() -> Timestamp {
    #[expect(
        clippy::disallowed_methods,
        clippy::disallowed_types,
        reason = "the CLI's default `--at` is now"
    )]
    let elapsed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    let seconds = elapsed.map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    Timestamp::from_unix_seconds(seconds)
}

/// A snapshot from a file, or from standard input for `-` (a UTF-8 byte-order mark is
/// skipped).
fn read_snapshot(path: &Path) -> Result<Snapshot, Failure> {
    let (name, bytes) = if path == Path::new("-") {
        ("<stdin>".to_owned(), read_stdin()?)
    } else {
        (path.display().to_string(), read_file(path)?)
    };
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let text = std::str::from_utf8(bytes)
        .map_err(|_| Failure::Io(format!("{name}: CG201: the snapshot is not valid UTF-8")))?;
    Snapshot::from_json(text).map_err(|err| Failure::Wire(WireError::from(&err), Some(name)))
}
