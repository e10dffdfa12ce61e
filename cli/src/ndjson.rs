//! `capgate eval --ndjson`: one evaluation per input line, streamed.
//!
//! This module opens the input and the standard streams and sets the exit code; the stream
//! itself (chunked, parallel, in input order, a malformed line becoming an error object on
//! its output line and the run going on) is [`capgate_cli::stream`], a pure function of a
//! reader and writers, so it is tested and fuzzed without a process.

use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;
use std::process::ExitCode;

use capgate::RuleSet;
use capgate_cli::stream::{StreamError, Summary, evaluate_lines};
// `impact` reads its corpus with the same chunk reader and reports malformed lines alike.
pub(crate) use capgate_cli::stream::{line_diagnostic, read_chunk};

use crate::{Failure, InputArgs, evaluation_time};

/// Evaluates every line of the input named by `input` with `rules`, at `input.at` (read
/// once), and writes one compact evaluation (or error object) per non-blank line.
///
/// Exit code: 0 when every line evaluated, 1 when some were malformed, 2 (as a `Failure`,
/// with nothing on stdout) when the input cannot be read at all.
pub(crate) fn eval(rules: &RuleSet, input: &InputArgs) -> Result<ExitCode, Failure> {
    let at = evaluation_time(input.at.as_deref())?.to_string();
    let (name, mut reader) = open(input.file.as_deref())?;

    #[expect(clippy::disallowed_methods, reason = "the CLI prints its results")]
    let mut output = io::BufWriter::new(io::stdout().lock());
    #[expect(clippy::disallowed_methods, reason = "the CLI reports malformed lines")]
    let mut diagnostics = io::stderr().lock();

    let mut summary = Summary::default();
    let result = evaluate_lines(
        rules,
        &at,
        &name,
        &mut reader,
        &mut output,
        &mut diagnostics,
        &mut summary,
    )
    .and_then(|()| output.flush().map_err(StreamError::Write));
    match result {
        Ok(()) => {}
        // Nothing was read, so nothing was written: the input is unreadable.
        Err(StreamError::Read(err)) if summary.lines == 0 => {
            return Err(Failure::Io(format!("{name}: {err}")));
        }
        Err(error) => {
            // Keep what was evaluated before the failure, then report it.
            let _ = output.flush();
            let message = match error {
                StreamError::Read(err) => format!("{name}: {err}"),
                StreamError::Write(err) => format!("<stdout>: {err}"),
            };
            let _ = writeln!(
                diagnostics,
                "capgate: error: {message} (after line {})",
                summary.lines
            );
            print_summary(&mut diagnostics, &summary);
            return Ok(ExitCode::from(2));
        }
    }
    print_summary(&mut diagnostics, &summary);
    Ok(if summary.malformed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The input's display name and a buffered reader over it (standard input for `-` or none).
pub(crate) fn open(file: Option<&Path>) -> Result<(String, Box<dyn BufRead>), Failure> {
    match file {
        Some(path) if path != Path::new("-") => {
            #[expect(
                clippy::disallowed_methods,
                clippy::disallowed_types,
                reason = "the CLI reads the file it is given"
            )]
            let file = std::fs::File::open(path)
                .map_err(|err| Failure::Io(format!("{}: {err}", path.display())))?;
            Ok((path.display().to_string(), Box::new(BufReader::new(file))))
        }
        _ => {
            #[expect(
                clippy::disallowed_methods,
                reason = "the CLI reads snapshots from stdin"
            )]
            let stdin = io::stdin();
            Ok(("<stdin>".to_owned(), Box::new(BufReader::new(stdin.lock()))))
        }
    }
}

fn print_summary(diagnostics: &mut impl Write, summary: &Summary) {
    let _ = writeln!(
        diagnostics,
        "capgate: {} snapshots, {} evaluated, {} malformed",
        summary.snapshots, summary.evaluated, summary.malformed
    );
}
