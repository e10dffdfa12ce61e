//! The `capgate` command: evaluate customer snapshots against capability rules.
//!
//! All logic lives in the `capgate` library; this binary reads files, reads the clock when
//! `--at` is not given, prints, and sets the exit code (0 ok, 1 denied or some `--ndjson` lines
//! malformed, 2 bad input).

#![expect(
    clippy::print_stderr,
    reason = "the CLI reports on stderr; stdout goes through `emit`"
)]
#![expect(
    clippy::result_large_err,
    reason = "a failure ends the process; boxing it would buy nothing"
)]

/// `print!` to standard output, returning a `Failure` on a write error other than a closed
/// pipe (`capgate eval | head` is not an error: the rest of the output is dropped).
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::emit(format_args!($($arg)*))?
    };
}

/// `println!` to standard output, as `out!`.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::emit(format_args!("{}\n", format_args!($($arg)*)))?
    };
}

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
        /// Which view of the evaluation to print: `full` (the platform's: every status,
        /// code and reason) or `end-user` (what the customer should see: their requested
        /// capabilities and what they still have to do, and how).
        #[arg(long, value_enum, default_value_t = View::Full, conflicts_with = "ndjson")]
        view: View,
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
    /// Run rule test files against the rules, with coverage (exit 1 on a failure or low
    /// coverage).
    Test(ruletest::TestArgs),
    /// Validate rule files and print every problem as `file:line:col: code: message`.
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
    #[command(flatten)]
    limits: LimitsArgs,
}

// Limits on every snapshot read (see `capgate::Limits`); a snapshot over one is refused
// with CG205, CG207 or CG208. (A plain comment: clap would take a doc comment as the
// `about` of every command that flattens these options.)
#[derive(Debug, Args, Default, Clone, Copy)]
#[expect(
    clippy::struct_field_names,
    reason = "the fields are the `--max-*` options"
)]
struct LimitsArgs {
    /// Largest snapshot accepted, in bytes (default 1048576; a larger file is not read past
    /// the limit).
    #[arg(long, value_name = "BYTES")]
    max_snapshot_bytes: Option<usize>,
    /// Deepest nesting of arrays and objects in a snapshot (default 32, at most 127).
    #[arg(long, value_name = "LEVELS")]
    max_depth: Option<usize>,
    /// Most entries of any one array or object in a snapshot (default 10000).
    #[arg(long, value_name = "ENTRIES")]
    max_items: Option<usize>,
}

impl LimitsArgs {
    fn limits(self) -> capgate::Limits {
        let mut limits = capgate::Limits::default();
        if let Some(bytes) = self.max_snapshot_bytes {
            limits = limits.with_max_snapshot_bytes(bytes);
        }
        if let Some(depth) = self.max_depth {
            limits = limits.with_max_depth(depth);
        }
        if let Some(items) = self.max_items {
            limits = limits.with_max_items(items);
        }
        limits
    }
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

/// The views of an evaluation (`eval --view`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum View {
    /// The full evaluation (the wire contract).
    Full,
    /// The end-user view (`capgate::EndUserView`).
    EndUser,
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
            view,
        } => {
            let ruleset = load_rules(&rules)?;
            if ndjson {
                return ndjson::eval(&ruleset, &input);
            }
            let (snapshot, at) = read_input(&input, &ruleset)?;
            let evaluation = ruleset.evaluate(&snapshot, at);
            match (view, input.format) {
                (View::Full, Format::Json) => {
                    outln!("{}", wire::evaluation_to_json(&evaluation));
                }
                (View::Full, Format::Human) => {
                    out!("{}", human::evaluation(&evaluation, snapshot.customer_id()));
                }
                (View::EndUser, format) => {
                    let view = capgate::EndUserView::new(&ruleset, &evaluation);
                    match format {
                        Format::Json => outln!("{}", wire::end_user_to_json(&view)),
                        Format::Human => out!("{}", human::end_user(&view)),
                    }
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
            let (snapshot, at) = read_input(&input, &ruleset)?;
            let decision = ruleset
                .check(&snapshot, &operation, at)
                .map_err(|err| Failure::Wire(WireError::from(&err), None))?;
            match input.format {
                Format::Json => outln!("{}", wire::decision_to_json(&decision)),
                Format::Human => out!("{}", human::decision(&decision)),
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
            let (snapshot, at) = read_input(&input, &ruleset)?;
            let target = match (&capability, &operation) {
                (Some(name), _) => capgate::Target::Capability(name),
                (None, Some(name)) => capgate::Target::Operation(name),
                (None, None) => capgate::Target::Operation(""),
            };
            let explanation = ruleset
                .explain(&snapshot, target, at)
                .map_err(|err| Failure::Wire(WireError::from(&err), None))?;
            match input.format {
                Format::Json => outln!("{}", wire::explanation_to_json(&explanation)),
                Format::Human => out!("{}", human::explanation(&explanation)),
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
                    Format::Json => outln!("[]"),
                    Format::Human => outln!("ok: {} rule source(s), no problems", sources.len()),
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
            let old = read_snapshot(&old, ruleset.limits())?;
            let new = read_snapshot(&new, ruleset.limits())?;
            let events = capgate::changes(
                new.customer_id().or(old.customer_id()),
                &ruleset.evaluate(&old, at),
                &ruleset.evaluate(&new, at),
            );
            outln!("{}", wire::changes_to_json(&events));
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
    let limits = args.limits.limits();
    if args.rules.is_empty() && args.policy.is_empty() {
        return Ok(RuleSet::builtin().with_limits(limits));
    }
    let texts = read_sources(args)?;
    let sources = as_sources(&texts);
    wire::load(&sources)
        .map(|rules| rules.with_limits(limits))
        .map_err(|err| Failure::Wire(err, None))
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
            let name = file.display().to_string();
            let text = String::from_utf8(read_file(&file)?).map_err(|err| {
                let (line, column) = utf8_position(err.as_bytes(), err.utf8_error());
                let error = WireError {
                    file: Some(name.clone()),
                    line: Some(line),
                    column: Some(column),
                    ..WireError::new(
                        capgate::ErrorCode::TomlSyntax,
                        "the rule file is not valid UTF-8".to_owned(),
                    )
                };
                Failure::Wire(error, Some(name.clone()))
            })?;
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

fn read_input(input: &InputArgs, rules: &RuleSet) -> Result<(Snapshot, Timestamp), Failure> {
    let at = evaluation_time(input.at.as_deref())?;
    let path = input.file.as_deref().unwrap_or(Path::new("-"));
    Ok((read_snapshot(path, rules.limits())?, at))
}

/// At most `max` bytes and one more of `reader` (so that a longer input is detected without
/// reading it all).
fn read_bounded(name: &str, reader: impl Read, max: usize) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    let bound = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    reader
        .take(bound)
        .read_to_end(&mut bytes)
        .map_err(|err| Failure::Io(format!("{name}: {err}")))?;
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
/// skipped), within `limits`; a file over the size limit is not read past it.
fn read_snapshot(path: &Path, limits: &capgate::Limits) -> Result<Snapshot, Failure> {
    // The byte-order mark does not count towards the limit.
    let max = limits.max_snapshot_bytes.saturating_add(3);
    let (name, bytes) = if path == Path::new("-") {
        #[expect(
            clippy::disallowed_methods,
            reason = "the CLI reads the snapshot from stdin"
        )]
        let stdin = std::io::stdin();
        ("<stdin>".to_owned(), read_bounded("<stdin>", stdin, max)?)
    } else {
        let name = path.display().to_string();
        #[expect(
            clippy::disallowed_types,
            clippy::disallowed_methods,
            reason = "the CLI reads the files it is given"
        )]
        let file =
            std::fs::File::open(path).map_err(|err| Failure::Io(format!("{name}: {err}")))?;
        let bytes = read_bounded(&name, file, max)?;
        (name, bytes)
    };
    // The library skips one byte-order mark; it does not count towards the limit.
    let content = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    if content.len() > limits.max_snapshot_bytes {
        let error = WireError {
            path: Some(String::new()),
            ..WireError::new(
                capgate::ErrorCode::TooLarge,
                format!(
                    "the snapshot is over the limit of {} bytes (--max-snapshot-bytes)",
                    limits.max_snapshot_bytes
                ),
            )
        };
        return Err(Failure::Wire(error, Some(name)));
    }
    let text = std::str::from_utf8(&bytes).map_err(|err| {
        let (line, column) = utf8_position(&bytes, err);
        let error = WireError {
            line: Some(line),
            column: Some(column),
            path: Some(String::new()),
            ..WireError::new(
                capgate::ErrorCode::JsonSyntax,
                "the snapshot is not valid UTF-8".to_owned(),
            )
        };
        Failure::Wire(error, Some(name.clone()))
    })?;
    Snapshot::from_json_with(text, limits)
        .map_err(|err| Failure::Wire(WireError::from(&err), Some(name)))
}

/// The 1-based line and column (in characters) of the first byte that is not UTF-8.
fn utf8_position(bytes: &[u8], error: std::str::Utf8Error) -> (usize, usize) {
    let valid = bytes.get(..error.valid_up_to()).unwrap_or_default();
    // The prefix is valid UTF-8 by definition.
    let valid = std::str::from_utf8(valid).unwrap_or_default();
    let line = valid.matches('\n').count() + 1;
    let line_start = valid.rfind('\n').map_or(0, |idx| idx + 1);
    let column = valid.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

/// Writes to standard output; a closed pipe ends the output quietly.
fn emit(text: std::fmt::Arguments<'_>) -> Result<(), Failure> {
    use std::io::Write as _;
    #[expect(clippy::disallowed_methods, reason = "the CLI prints")]
    let stdout = std::io::stdout();
    let mut stdout = stdout.lock();
    match stdout.write_fmt(text).and_then(|()| stdout.flush()) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Failure::Io(format!("<stdout>: {error}")))
        }
        _ => Ok(()),
    }
}
