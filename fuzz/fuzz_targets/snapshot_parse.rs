//! Arbitrary bytes as a snapshot (exact UTF-8, else lossily decoded): parsed or rejected,
//! never a panic. A rejection has a snapshot code (CG2xx), a JSON pointer to the problem, a
//! one-line message that repeats no value of the input, and wire JSON that parses; an
//! acceptance is valid JSON whose `Debug` shows the shape only.

#![no_main]

use capgate::Snapshot;
use capgate_fuzz::{check_snapshot_error, raw_json};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match Snapshot::from_json(&text) {
        Ok(snapshot) => {
            let raw = raw_json(&text).expect("a snapshot the engine parsed is JSON");
            let debug = format!("{snapshot:?}");
            let mut values = Vec::new();
            collect_values(&raw, &mut values);
            for value in values {
                if value.chars().count() > 5 && !debug_may_contain(&raw, &value) {
                    assert!(
                        !debug.contains(value.as_str()),
                        "Debug of a snapshot shows the value {value:?}: {debug}"
                    );
                }
            }
        }
        Err(error) => check_snapshot_error(&text, &error),
    }
});

/// String values (not keys) of a JSON value.
fn collect_values(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(text) => out.push(text.clone()),
        Value::Array(items) => items.iter().for_each(|item| collect_values(item, out)),
        Value::Object(map) => map.values().for_each(|item| collect_values(item, out)),
        _ => {}
    }
}

/// Whether `Debug` may show `value` legitimately: it is part of a key or of a shape word.
fn debug_may_contain(raw: &Value, value: &str) -> bool {
    fn in_keys(raw: &Value, value: &str) -> bool {
        match raw {
            Value::Array(items) => items.iter().any(|item| in_keys(item, value)),
            Value::Object(map) => map
                .iter()
                .any(|(key, item)| key.contains(value) || in_keys(item, value)),
            _ => false,
        }
    }
    in_keys(raw, value)
        || [
            "Snapshot",
            "shape",
            "provider_requirements",
            "<string>",
            "<number>",
            "<boolean>",
            "null",
            "true",
            "false",
        ]
        .iter()
        .any(|word| word.contains(value))
}
