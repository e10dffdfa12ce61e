//! The NDJSON evaluation stream behind `capgate eval --ndjson`: one compact evaluation (or
//! error object) per non-blank input line, in input order.
//!
//! The input is read in chunks of [`CHUNK_LINES`] lines, each chunk evaluated in parallel on
//! every core (rayon) and written in input order while the next is read, so memory stays flat
//! however many lines come in. A malformed line becomes an error object on its output line
//! (and a diagnostic line), and the stream goes on.
//!
//! Pure: it reads only the reader and writes only the writers it is given.
//!
//! # Example
//!
//! ```
//! use capgate_cli::stream::{Summary, evaluate_lines};
//!
//! let rules = capgate::RuleSet::builtin();
//! let input = b"{}\n\n{\"individual\": 5}\n";
//! let (mut output, mut diagnostics, mut summary) = (Vec::new(), Vec::new(), Summary::default());
//! evaluate_lines(&rules, "2026-11-22T12:00:00Z", "in.ndjson", &mut &input[..], &mut output, &mut diagnostics, &mut summary)?;
//! assert_eq!((summary.lines, summary.snapshots, summary.evaluated, summary.malformed), (3, 2, 1, 1));
//! let output = String::from_utf8(output)?;
//! let lines: Vec<&str> = output.lines().collect();
//! assert!(lines[0].starts_with(r#"{"capabilities":"#));
//! assert!(lines[1].starts_with(r#"{"line":3,"error":{"code":"CG202","#));
//! assert_eq!(String::from_utf8(diagnostics)?, "in.ndjson:3: CG202: expected an object at /individual, found a number\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt::{self, Write as _};
use std::io::{self, BufRead, Write};

use capgate::RuleSet;
use capgate::wire::{self, WireError};
use rayon::prelude::*;
use serde_json::Value;

/// Counts of one stream, for its closing summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Physical lines read, blank ones included.
    pub lines: u64,
    /// Non-blank lines written out: `evaluated + malformed`.
    pub snapshots: u64,
    /// Lines evaluated.
    pub evaluated: u64,
    /// Lines that could not be evaluated (each written as an error object).
    pub malformed: u64,
}

/// Why a stream stopped before the end of its input.
#[derive(Debug)]
pub enum StreamError {
    /// Reading the input failed (after the lines read before the failure were written).
    Read(io::Error),
    /// Writing the output failed.
    Write(io::Error),
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamError::Read(err) => write!(f, "read error: {err}"),
            StreamError::Write(err) => write!(f, "write error: {err}"),
        }
    }
}

impl std::error::Error for StreamError {}

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

/// Lines read (and evaluated in parallel) at a time, here and by `impact`: bounds memory
/// whatever the input size.
pub const CHUNK_LINES: usize = 4096;

/// A chunk of non-blank lines, numbered, and how reading stopped if it did (`None`: more to
/// read).
type Chunk = (Lines, Option<Result<(), StreamError>>);

/// Non-blank input lines (without their line ending) with their 1-based line numbers.
pub type Lines = Vec<(u64, Vec<u8>)>;

/// A chunk's lines and their results, waiting to be written.
type Evaluated = (Lines, Vec<Result<String, LineError>>);

/// Evaluates every non-blank line of `input` with `rules` at `at` (RFC 3339; every line gets
/// `CG302` if it is not one) and writes one line per non-blank input line to `output`, in
/// input order: the compact evaluation exactly as [`wire::evaluate_json_compact`] prints it,
/// or `{"line":N,"error":{"code","message","path","column"?}}` for a malformed line (bad JSON,
/// a wrong type, invalid UTF-8, ...), which also gets `NAME:N: CODE: message` on
/// `diagnostics` (`name` is the input's display name). Lines are numbered as read, blank ones
/// included; blank (whitespace-only) lines give no output; a UTF-8 byte-order mark before the
/// first line is skipped.
///
/// `summary` counts as the stream goes, so after an error it says how far it got.
///
/// Lines are read in chunks of [`CHUNK_LINES`]; while one chunk is evaluated in parallel
/// (rayon), this thread writes the previous chunk's results and reads the next chunk, so
/// reading and writing overlap the evaluation.
///
/// # Errors
///
/// Reading `input` or writing `output` failed; the lines before the failure were written.
/// Failures to write `diagnostics` are ignored.
pub fn evaluate_lines(
    rules: &RuleSet,
    at: &str,
    name: &str,
    input: &mut dyn BufRead,
    output: &mut impl Write,
    diagnostics: &mut impl Write,
    summary: &mut Summary,
) -> Result<(), StreamError> {
    let max_bytes = rules.limits().max_snapshot_bytes;
    let mut next = read_stream_chunk(input, summary, max_bytes);
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
            let read = (end.is_none() && written.is_ok())
                .then(|| read_stream_chunk(input, summary, max_bytes));
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
fn read_stream_chunk(input: &mut dyn BufRead, summary: &mut Summary, max_bytes: usize) -> Chunk {
    let (lines, end) = read_chunk(input, &mut summary.lines, max_bytes);
    (lines, end.map(|end| end.map_err(StreamError::Read)))
}

/// Reads up to [`CHUNK_LINES`] non-blank lines, without their line ending (and the first
/// line without a UTF-8 byte-order mark), each with its number; `line` counts every line
/// read, blank ones included. The second value says how reading stopped: `None` when there is
/// more to read, the end of the input, or a read error (after the lines read before it).
///
/// A line is kept up to `max_bytes` (the snapshot size limit) and a few bytes more: the rest
/// of a longer line is read and dropped, never buffered, so memory stays bounded by the
/// limit whatever the input; such a line is longer than `max_bytes` and so refused (`CG207`)
/// when evaluated.
///
/// # Example
///
/// ```
/// let mut line = 0;
/// let input = b"{}\r\n\n {} \n[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n";
/// let (lines, end) = capgate_cli::stream::read_chunk(&mut &input[..], &mut line, 2);
/// assert_eq!(lines[..2], [(1, b"{}".to_vec()), (3, b" {} ".to_vec())]);
/// assert_eq!((lines[2].0, lines[2].1.len()), (4, 8)); // kept: 2 bytes and 6 more
/// assert!(matches!(end, Some(Ok(()))));
/// assert_eq!(line, 4);
/// ```
pub fn read_chunk(
    input: &mut dyn BufRead,
    line: &mut u64,
    max_bytes: usize,
) -> (Lines, Option<io::Result<()>>) {
    // Room for a byte-order mark, a CRLF and one byte over the limit.
    let keep = max_bytes.saturating_add(6);
    let mut chunk = Vec::with_capacity(CHUNK_LINES);
    while chunk.len() < CHUNK_LINES {
        let mut buffer = Vec::new();
        let (overlong, dropped_blank) = match read_line_bounded(input, &mut buffer, keep) {
            Ok(None) => return (chunk, Some(Ok(()))),
            Ok(Some(read)) => read,
            Err(err) => return (chunk, Some(Err(err))),
        };
        *line += 1;
        // A UTF-8 byte-order mark is tolerated and skipped.
        if *line == 1 && buffer.starts_with(b"\xEF\xBB\xBF") {
            buffer.drain(..3);
        }
        if !overlong {
            if buffer.last() == Some(&b'\n') {
                buffer.pop();
            }
            if buffer.last() == Some(&b'\r') {
                buffer.pop();
            }
        }
        // A blank line is skipped whatever its length (an over-long one when the part dropped
        // was blank too).
        if (!overlong || dropped_blank) && buffer.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        chunk.push((*line, buffer));
    }
    (chunk, None)
}

/// Reads one line (up to and including `\n`, or to the end of the input) into `buffer`,
/// keeping at most `keep` bytes of it. `None` at the end of the input; else whether bytes
/// were dropped, and whether all the dropped bytes were ASCII whitespace.
fn read_line_bounded(
    input: &mut dyn BufRead,
    buffer: &mut Vec<u8>,
    keep: usize,
) -> io::Result<Option<(bool, bool)>> {
    let mut read_any = false;
    let mut overlong = false;
    let mut dropped_blank = true;
    loop {
        let available = match input.fill_buf() {
            Ok(available) => available,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        if available.is_empty() {
            return Ok(read_any.then_some((overlong, dropped_blank)));
        }
        read_any = true;
        let (taken, done) = match available.iter().position(|&b| b == b'\n') {
            Some(end) => (end + 1, true),
            None => (available.len(), false),
        };
        let room = keep.saturating_sub(buffer.len());
        let part = available.get(..taken).unwrap_or_default();
        let (kept, dropped) = part.split_at(room.min(part.len()));
        if !dropped.is_empty() {
            overlong = true;
            dropped_blank &= dropped.iter().all(u8::is_ascii_whitespace);
        }
        buffer.extend_from_slice(kept);
        input.consume(taken);
        if done {
            return Ok(Some((overlong, dropped_blank)));
        }
    }
}

/// Writes one chunk's results in input order: the evaluation, or an error object (and a
/// diagnostic).
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
    let max = rules.limits().max_snapshot_bytes;
    if bytes.len() > max {
        // Perhaps cut inside a character: say what is wrong before UTF-8 is checked.
        return Err(LineError::from(oversized(max)));
    }
    std::str::from_utf8(bytes)
        .map_err(|_| LineError {
            code: "CG201",
            message: "the snapshot is not valid UTF-8".to_owned(),
            path: String::new(),
            column: None,
        })
        .and_then(|text| wire::evaluate_json_compact(rules, text, at).map_err(LineError::from))
}

/// The error for a line longer than the size limit `max` (cut by [`read_chunk`], so it is
/// refused before its text is read).
///
/// # Example
///
/// ```
/// let error = capgate_cli::stream::oversized(10);
/// assert_eq!((error.code, error.message.as_str()), ("CG207", "the snapshot is over the limit of 10 bytes"));
/// ```
pub fn oversized(max: usize) -> WireError {
    WireError {
        path: Some(String::new()),
        ..WireError::new(
            capgate::ErrorCode::TooLarge,
            format!("the snapshot is over the limit of {max} bytes"),
        )
    }
}

/// The diagnostic line for a malformed input line: `NAME:LINE: CODE: message (column C)`.
///
/// # Example
///
/// ```
/// let line = capgate_cli::stream::line_diagnostic("in.ndjson", 3, "CG201", "unexpected end", Some(2));
/// assert_eq!(line, "in.ndjson:3: CG201: unexpected end (column 2)");
/// ```
pub fn line_diagnostic(
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

/// `{"line":N,"error":{"code":...,"message":...,"path":...,"column"?:...}}`, compact, with a
/// fixed key order (built by hand: `serde_json`'s map order depends on its features).
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
    fn a_blank_line_is_skipped_whatever_its_length() {
        let mut input = vec![b' '; 3000];
        input.extend_from_slice(b"\r\n{}\n");
        input.extend(std::iter::repeat_n(b'\t', 5000));
        input.extend_from_slice(b"\n");
        let mut padded = vec![b' '; 3000];
        padded.push(b'x');
        input.extend_from_slice(&padded);
        let (mut line, mut lines) = (0, Vec::new());
        let (chunk, end) = read_chunk(&mut &input[..], &mut line, 100);
        assert!(matches!(end, Some(Ok(()))));
        lines.extend(chunk.iter().map(|(number, bytes)| (*number, bytes.len())));
        // Line 2 is `{}`; line 4 is over the limit and not blank: kept (cut), then refused.
        assert_eq!((line, lines), (4, vec![(2, 2), (4, 106)]));
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
