//! Arbitrary bytes through the CLI's NDJSON stream (`capgate eval --ndjson`, as
//! `capgate_cli::stream::evaluate_lines`), with the builtin rules and a snapshot size limit of
//! [`MAX_BYTES`] (so that over-long lines are reached).
//!
//! Invariants: it never fails on in-memory input and output; exactly one output line per
//! non-blank input line, in order; each output line is exactly
//! `wire::evaluate_json_compact` of its input line, or the error object of that line (its
//! line number, code, message and path) with one diagnostic line, or `CG207` for a line over
//! the size limit; blank (whitespace-only) lines are skipped whatever their length; the
//! summary adds up.

#![no_main]

use capgate::wire;
use capgate::{Limits, RuleSet};
use capgate_cli::stream::{Summary, evaluate_lines};
use capgate_fuzz::parse_evaluation_json;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const AT: &str = "2026-11-22T12:00:00Z";

/// The snapshot size limit of the stream's rules.
const MAX_BYTES: usize = 2048;

fuzz_target!(|data: &[u8]| {
    let rules =
        RuleSet::builtin().with_limits(Limits::default().with_max_snapshot_bytes(MAX_BYTES));
    let (mut output, mut diagnostics, mut summary) = (Vec::new(), Vec::new(), Summary::default());
    evaluate_lines(
        &rules,
        AT,
        "fuzz.ndjson",
        &mut &data[..],
        &mut output,
        &mut diagnostics,
        &mut summary,
    )
    .expect("an in-memory stream never fails");

    // The input lines, independently: numbered as read, BOM skipped on the first, without
    // `\n` or `\r\n`, blank ones dropped.
    let mut expected = Vec::new();
    let mut physical = 0u64;
    let mut rest = data;
    while !rest.is_empty() {
        let (mut line, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(end) => (&rest[..end], &rest[end + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        physical += 1;
        if physical == 1 {
            line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        }
        line = line.strip_suffix(b"\r").unwrap_or(line);
        if !line.iter().all(u8::is_ascii_whitespace) {
            expected.push((physical, line));
        }
    }

    assert_eq!(summary.lines, physical, "physical lines");
    assert_eq!(summary.snapshots, expected.len() as u64, "non-blank lines");
    assert_eq!(
        summary.snapshots,
        summary.evaluated + summary.malformed,
        "summary adds up"
    );

    let output = String::from_utf8(output).expect("the output is UTF-8");
    assert!(
        output.is_empty() || output.ends_with('\n'),
        "output ends with a newline"
    );
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(
        lines.len(),
        expected.len(),
        "one output line per non-blank input line"
    );
    let diagnostics = String::from_utf8(diagnostics).expect("diagnostics are UTF-8");
    let diagnostic_lines: Vec<&str> = diagnostics.lines().collect();
    assert_eq!(
        diagnostic_lines.len() as u64,
        summary.malformed,
        "one diagnostic per malformed line"
    );

    let mut malformed: u64 = 0;
    for (out, (number, input)) in lines.iter().zip(&expected) {
        if input.len() > MAX_BYTES {
            let value: Value = serde_json::from_str(out)
                .unwrap_or_else(|err| panic!("line {number}: error object is not JSON ({err})"));
            assert_eq!(value["line"], *number, "line number");
            assert_eq!(
                value["error"]["code"], "CG207",
                "line {number}: over the limit"
            );
            assert_eq!(value["error"]["path"], "", "line {number}: over the limit");
            malformed += 1;
            continue;
        }
        let direct = match std::str::from_utf8(input) {
            Ok(text) => wire::evaluate_json_compact(&rules, text, AT).map_err(|error| {
                (
                    error.code.to_owned(),
                    error.message,
                    error.path.unwrap_or_default(),
                    error.column,
                )
            }),
            Err(_) => Err((
                "CG201".to_owned(),
                "the snapshot is not valid UTF-8".to_owned(),
                String::new(),
                None,
            )),
        };
        match direct {
            Ok(json) => {
                assert_eq!(*out, json, "line {number}: the stream's evaluation differs");
                parse_evaluation_json(out);
            }
            Err((code, message, path, column)) => {
                let value: Value = serde_json::from_str(out).unwrap_or_else(|err| {
                    panic!("line {number}: error object is not JSON ({err})")
                });
                assert_eq!(value["line"], *number, "line number");
                let error = &value["error"];
                assert_eq!(error["code"], code.as_str());
                assert_eq!(error["message"], message.as_str());
                assert_eq!(error["path"], path.as_str());
                assert_eq!(
                    error.get("column").and_then(Value::as_u64),
                    column.map(|c| c as u64)
                );
                let diagnostic = diagnostic_lines[malformed as usize];
                assert!(
                    diagnostic.starts_with(&format!("fuzz.ndjson:{number}: {code}: ")),
                    "diagnostic {diagnostic:?}"
                );
                malformed += 1;
            }
        }
    }
    assert_eq!(malformed, summary.malformed, "malformed count");
});
