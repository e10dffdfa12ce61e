//! `capgate eval --ndjson`: one evaluation per input line, streamed.
//!
//! The input is read in chunks of lines, each chunk evaluated in parallel on every core and
//! written in input order before the next is read, so memory stays flat however many lines
//! come in. A malformed line becomes an error object on
//! its output line (and a message on stderr), and the run goes on.

use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;
use std::process::ExitCode;

use capgate::RuleSet;
use capgate::wire::{self, WireError};
use rayon::prelude::*;
use serde_json::Value;

use crate::{Failure, InputArgs, evaluation_time};

/// Counts for the closing summary.
#[derive(Debug, Default)]
struct Summary {
    /// Physical lines read, blank ones included.
    lines: u64,
    /// Non-blank lines: `evaluated + malformed`.
    snapshots: u64,
    evaluated: u64,
    malformed: u64,
}

/// Why a stream stopped before the end of its input.
#[derive(Debug)]
enum StreamError {
    Read(io::Error),
    Write(io::Error),
}

/// Why one line could not be evaluated.
#[derive(Debug)]
struct LineError {
    code: &'static str,
    message: String,
    /// JSON pointer in the line's snapshot (`""` for the document itself).
    path: String,
    /// 1-based column, for syntax errors.
    column: Option<usize>,
}

impl From<WireError> for LineError {
    fn from(error: WireError) -> LineError {
        LineError {
            code: error.code,
            message: error.message,
            path: error.path.unwrap_or_default(),
            column: error.column,
        }
    }
}

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

/// Lines read (and evaluated in parallel) at a time, here and by `impact`: bounds memory
/// whatever the input size.
pub(crate) const CHUNK_LINES: usize = 4096;

/// A chunk of non-blank lines, numbered, and how reading stopped if it did (`None`: more to
/// read).
type Chunk = (Lines, Option<Result<(), StreamError>>);

/// Non-blank input lines with their line numbers.
pub(crate) type Lines = Vec<(u64, Vec<u8>)>;

/// A chunk's lines and their results, waiting to be written.
type Evaluated = (Lines, Vec<Result<String, LineError>>);

/// The loop: one output line per non-blank input line, in order. Lines are read in chunks of
/// [`CHUNK_LINES`]; while one chunk is evaluated in parallel (rayon), this thread writes the
/// previous chunk's results and reads the next chunk, so reading and writing overlap the
/// evaluation.
fn evaluate_lines(
    rules: &RuleSet,
    at: &str,
    name: &str,
    input: &mut dyn BufRead,
    output: &mut impl Write,
    diagnostics: &mut impl Write,
    summary: &mut Summary,
) -> Result<(), StreamError> {
    let mut next = read_stream_chunk(input, summary);
    let mut previous: Option<Evaluated> = None;
    loop {
        let (chunk, end) = next;
        let (results, written, read) = std::thread::scope(|scope| {
            let worker = scope.spawn(|| {
                chunk
                    .par_iter()
                    .map(|(_, bytes)| evaluate_line(rules, at, bytes))
                    .collect::<Vec<_>>()
            });
            let written = match previous.take() {
                Some((lines, results)) => {
                    write_results(&lines, results, name, output, diagnostics, summary)
                }
                None => Ok(()),
            };
            let read =
                (end.is_none() && written.is_ok()).then(|| read_stream_chunk(input, summary));
            let results = worker
                .join()
                .unwrap_or_else(|payload| std::panic::resume_unwind(payload));
            (results, written, read)
        });
        written?;
        previous = Some((chunk, results));
        match (end, read) {
            (None, Some(chunk)) => next = chunk,
            (end, _) => {
                if let Some((lines, results)) = previous.take() {
                    write_results(&lines, results, name, output, diagnostics, summary)?;
                }
                return end.unwrap_or(Ok(()));
            }
        }
    }
}

/// [`read_chunk`], counting lines in `summary`.
fn read_stream_chunk(input: &mut dyn BufRead, summary: &mut Summary) -> Chunk {
    let (lines, end) = read_chunk(input, &mut summary.lines);
    (lines, end.map(|end| end.map_err(StreamError::Read)))
}

/// Reads up to [`CHUNK_LINES`] non-blank lines, without their line ending (and the first
/// line without a UTF-8 byte-order mark), each with its number; `line` counts every line
/// read, blank ones included. The second value says how reading stopped: `None` when there is
/// more to read, the end of the input, or a read error (after the lines read before it).
pub(crate) fn read_chunk(
    input: &mut dyn BufRead,
    line: &mut u64,
) -> (Lines, Option<io::Result<()>>) {
    let mut chunk = Vec::with_capacity(CHUNK_LINES);
    while chunk.len() < CHUNK_LINES {
        let mut buffer = Vec::new();
        match input.read_until(b'\n', &mut buffer) {
            Ok(0) => return (chunk, Some(Ok(()))),
            Ok(_) => {}
            Err(err) => return (chunk, Some(Err(err))),
        }
        *line += 1;
        // A UTF-8 byte-order mark is tolerated and skipped.
        if *line == 1 && buffer.starts_with(b"\xEF\xBB\xBF") {
            buffer.drain(..3);
        }
        if buffer.last() == Some(&b'\n') {
            buffer.pop();
        }
        if buffer.last() == Some(&b'\r') {
            buffer.pop();
        }
        if buffer.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        chunk.push((*line, buffer));
    }
    (chunk, None)
}

/// Writes one chunk's results in input order: the evaluation, or an error object (and a
/// diagnostic on stderr).
fn write_results(
    lines: &[(u64, Vec<u8>)],
    results: Vec<Result<String, LineError>>,
    name: &str,
    output: &mut impl Write,
    diagnostics: &mut impl Write,
    summary: &mut Summary,
) -> Result<(), StreamError> {
    for ((line, _), result) in lines.iter().zip(results) {
        summary.snapshots += 1;
        match result {
            Ok(json) => {
                summary.evaluated += 1;
                output
                    .write_all(json.as_bytes())
                    .and_then(|()| output.write_all(b"\n"))
                    .map_err(StreamError::Write)?;
            }
            Err(error) => {
                summary.malformed += 1;
                let _ = writeln!(
                    diagnostics,
                    "{}",
                    line_diagnostic(name, *line, error.code, &error.message, error.column)
                );
                writeln!(output, "{}", error_object(*line, &error)).map_err(StreamError::Write)?;
            }
        }
    }
    Ok(())
}

/// One line's compact evaluation, or why it has none.
fn evaluate_line(rules: &RuleSet, at: &str, bytes: &[u8]) -> Result<String, LineError> {
    std::str::from_utf8(bytes)
        .map_err(|_| LineError {
            code: "CG201",
            message: "the snapshot is not valid UTF-8".to_owned(),
            path: String::new(),
            column: None,
        })
        .and_then(|text| wire::evaluate_json_compact(rules, text, at).map_err(LineError::from))
}

/// `{"line":N,"error":{"code":...,"message":...,"path":...,"column"?:...}}`, compact, with a
/// fixed key order (built by hand: `serde_json`'s map order depends on its features).
/// The stderr line for a malformed input line: `NAME:LINE: CODE: message (column C)`.
pub(crate) fn line_diagnostic(
    name: &str,
    line: u64,
    code: &str,
    message: &str,
    column: Option<usize>,
) -> String {
    let column = column
        .map(|column| format!(" (column {column})"))
        .unwrap_or_default();
    format!("{name}:{line}: {code}: {message}{column}")
}

fn error_object(line: u64, error: &LineError) -> String {
    let mut json = format!(
        r#"{{"line":{line},"error":{{"code":{},"message":{},"path":{}"#,
        Value::from(error.code),
        Value::from(error.message.as_str()),
        Value::from(error.path.as_str()),
    );
    if let Some(column) = error.column {
        let _ = write!(json, r#","column":{column}"#);
    }
    json.push_str("}}");
    json
}

fn print_summary(diagnostics: &mut impl Write, summary: &Summary) {
    let _ = writeln!(
        diagnostics,
        "capgate: {} snapshots, {} evaluated, {} malformed",
        summary.snapshots, summary.evaluated, summary.malformed
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(input: &[u8]) -> (Summary, String, String) {
        let rules = RuleSet::builtin();
        let (mut output, mut diagnostics, mut summary) =
            (Vec::new(), Vec::new(), Summary::default());
        evaluate_lines(
            &rules,
            "2026-11-22T12:00:00Z",
            "in.ndjson",
            &mut &input[..],
            &mut output,
            &mut diagnostics,
            &mut summary,
        )
        .unwrap();
        (
            summary,
            String::from_utf8(output).unwrap(),
            String::from_utf8(diagnostics).unwrap(),
        )
    }

    #[test]
    fn error_objects_keep_their_key_order_and_escape_the_message() {
        let error = LineError {
            code: "CG201",
            message: "a \"quoted\" message".to_owned(),
            path: String::new(),
            column: Some(3),
        };
        assert_eq!(
            error_object(7, &error),
            r#"{"line":7,"error":{"code":"CG201","message":"a \"quoted\" message","path":"","column":3}}"#
        );
    }

    #[test]
    fn lines_are_numbered_as_read_with_crlf_bom_and_invalid_utf8() {
        let (summary, output, diagnostics) =
            stream(b"\xEF\xBB\xBF{}\r\n \r\n\xff{}\n{\"individual\": 5}");
        assert_eq!(
            (
                summary.lines,
                summary.snapshots,
                summary.evaluated,
                summary.malformed
            ),
            (4, 3, 1, 2)
        );
        let lines: Vec<&str> = output.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with(r#"{"capabilities":"#), "{}", lines[0]);
        assert_eq!(
            lines[1],
            r#"{"line":3,"error":{"code":"CG201","message":"the snapshot is not valid UTF-8","path":""}}"#
        );
        assert!(
            lines[2].starts_with(r#"{"line":4,"error":{"code":"CG202","#),
            "{}",
            lines[2]
        );
        assert_eq!(
            diagnostics,
            "in.ndjson:3: CG201: the snapshot is not valid UTF-8\n\
             in.ndjson:4: CG202: expected an object at /individual, found a number\n"
        );
    }
}
