//! Arbitrary bytes as a snapshot evaluated with the builtin rules: the first 8 bytes choose
//! the evaluation time (within 30 years of 2026-11-22), the rest is the snapshot text.
//!
//! Parsed: every invariant of `capgate_fuzz::check_evaluation` (owned and borrowed
//! evaluations agree, the JSON outputs have the documented shape and agree, fail-closed
//! statuses, consistent operation checks, stability until `nextTransitionAt`, no sensitive
//! value in any output). Rejected: as the `snapshot_parse` target.

#![no_main]

use capgate::{RuleSet, Snapshot};
use capgate_fuzz::{at_from_bytes, check_evaluation, check_snapshot_error};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((head, rest)) = data.split_first_chunk::<8>() else {
        return;
    };
    let at = at_from_bytes(*head);
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match Snapshot::from_json(text) {
        Ok(snapshot) => check_evaluation(&RuleSet::builtin(), text, &snapshot, at),
        Err(error) => check_snapshot_error(text, &error),
    }
});
