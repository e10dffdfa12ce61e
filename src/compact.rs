//! The compact evaluation JSON of a [`View`], written straight into a `String`: the hot path
//! of `eval --ndjson`, `EvaluationRef::to_json(true)` and `wire::evaluate_json_compact`.
//!
//! It prints byte for byte what `serde_json::to_string` prints for the same view through
//! `wire`'s serde types (a test in this module and a property test compare the two). It is
//! faster because names known at load time (capability names, requirement keys of the rules)
//! are copied without escaping when they need none, and no serializer state is threaded
//! through. Strings that need escaping go through `serde_json` itself, so escaping rules
//! cannot drift.

use std::fmt::Write as _;

use crate::eval::View;
use crate::evaluation::{CapabilityStatus, Outstanding};
use crate::time::Timestamp;

/// Appends `s` as a JSON string literal, exactly as `serde_json` writes it.
fn string(out: &mut String, s: &str) {
    if s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        // Rare (names and codes are identifiers): let serde_json escape it.
        out.push_str(&serde_json::to_string(s).unwrap_or_default());
    } else {
        out.push('"');
        out.push_str(s);
        out.push('"');
    }
}

fn timestamp(out: &mut String, t: Timestamp) {
    out.push('"');
    // Writing to a String cannot fail.
    let _ = write!(out, "{t}");
    out.push('"');
}

fn seq<'s>(out: &mut String, items: impl Iterator<Item = &'s str>) {
    out.push('[');
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        string(out, item);
    }
    out.push(']');
}

fn key(out: &mut String, first: &mut bool, k: &str) {
    if !std::mem::take(first) {
        out.push(',');
    }
    string(out, k);
    out.push(':');
}

fn requirement<'s>(out: &mut String, r: &Outstanding, impact: impl Iterator<Item = &'s str>) {
    out.push_str("{\"status\":");
    string(out, r.status.as_str());
    out.push_str(",\"impact\":");
    seq(out, impact);
    if let Some(deadline) = r.deadline {
        out.push_str(",\"deadline\":");
        timestamp(out, deadline);
    }
    if !r.tos_versions.is_empty() {
        out.push_str(",\"tosVersions\":[");
        for (i, version) in r.tos_versions.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"versionId\":");
            string(out, &version.version_id);
            out.push_str(",\"languages\":");
            seq(out, version.languages.iter().map(String::as_str));
            if let Some(url) = &version.url {
                out.push_str(",\"url\":");
                string(out, url);
            }
            if let Some(deadline) = version.deadline {
                out.push_str(",\"deadline\":");
                timestamp(out, deadline);
            }
            out.push('}');
        }
        out.push(']');
    }
    if !r.tax_forms.is_empty() {
        out.push_str(",\"taxForms\":");
        seq(out, r.tax_forms.iter().map(String::as_str));
    }
    if !r.errors.is_empty() {
        out.push_str(",\"errors\":[");
        for (i, error) in r.errors.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"code\":");
            string(out, error.code);
            out.push_str(",\"path\":");
            string(out, &error.path);
            out.push('}');
        }
        out.push(']');
    }
    out.push('}');
}

/// The compact evaluation JSON of `view`.
pub(crate) fn view_json(view: &View<'_>) -> String {
    let mut out = String::with_capacity(256 + 96 * view.requirements.len());
    out.push_str("{\"capabilities\":{");
    let mut first = true;
    for (_, name, status) in view.capabilities() {
        key(&mut out, &mut first, name);
        out.push_str(if view.requested(name) {
            "{\"requested\":true,\"status\":"
        } else {
            "{\"requested\":false,\"status\":"
        });
        string(&mut out, status.as_str());
        out.push('}');
    }
    out.push_str("},\"requirements\":{");
    let mut first = true;
    for (k, mask, r) in &view.requirements {
        key(&mut out, &mut first, k);
        requirement(&mut out, r, view.names(*mask));
    }
    out.push_str("},\"allowed\":");
    seq(&mut out, view.allowed());
    out.push_str(",\"waitingOn\":{");
    let mut first = true;
    for (idx, name, status) in view.capabilities() {
        if status != CapabilityStatus::Pending {
            continue;
        }
        key(&mut out, &mut first, name);
        out.push_str("{\"requirements\":");
        seq(&mut out, view.blocking(idx));
        out.push_str(",\"capabilities\":");
        seq(&mut out, view.inactive_dependencies(idx));
        out.push_str(if view.waits_for_provider(idx) {
            ",\"provider\":true}"
        } else {
            ",\"provider\":false}"
        });
    }
    out.push_str("},\"nextTransitionAt\":");
    match view.next_transition_at {
        Some(t) => timestamp(&mut out, t),
        None => out.push_str("null"),
    }
    out.push_str(",\"at\":");
    timestamp(&mut out, view.at);
    out.push_str(",\"ruleset\":{\"id\":");
    string(&mut out, &view.compiled.id);
    out.push_str(",\"version\":");
    string(&mut out, &view.compiled.version);
    out.push_str(",\"hash\":");
    string(&mut out, &view.compiled.hash);
    out.push_str("},\"warnings\":[");
    for (i, warning) in view.warnings().enumerate() {
        if i > 0 {
            out.push(',');
        }
        string(&mut out, &warning);
    }
    out.push_str("]}");
    out
}

/// The compact JSON of an end-user view, byte for byte what `serde_json::to_string` prints
/// for `wire`'s serde types of it (a test compares the two).
pub(crate) fn end_user_json(view: &crate::end_user::EndUserView) -> String {
    let mut out = String::with_capacity(128 + 160 * view.tasks.len());
    out.push_str("{\"capabilities\":[");
    for (i, capability) in view.capabilities.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"name\":");
        string(&mut out, &capability.name);
        out.push_str(",\"state\":");
        string(&mut out, capability.state.as_str());
        out.push('}');
    }
    out.push_str("],\"tasks\":[");
    for (i, task) in view.tasks.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"requirement\":");
        string(&mut out, &task.requirement);
        if let Some(description) = &task.description {
            out.push_str(",\"description\":");
            string(&mut out, description);
        }
        out.push_str(",\"action\":");
        string(&mut out, task.action.as_str());
        if let Some(field) = &task.field {
            out.push_str(",\"field\":");
            string(&mut out, field);
        }
        out.push_str(if task.overdue {
            ",\"overdue\":true"
        } else {
            ",\"overdue\":false"
        });
        if let Some(deadline) = task.deadline {
            out.push_str(",\"deadline\":");
            timestamp(&mut out, deadline);
        }
        out.push_str(",\"unlocks\":");
        seq(&mut out, task.unlocks.iter().map(String::as_str));
        if !task.tos_versions.is_empty() {
            out.push_str(",\"tosVersions\":[");
            for (j, version) in task.tos_versions.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                out.push_str("{\"versionId\":");
                string(&mut out, &version.version_id);
                if let Some(url) = &version.url {
                    out.push_str(",\"url\":");
                    string(&mut out, url);
                }
                out.push_str(",\"languages\":");
                seq(&mut out, version.languages.iter().map(String::as_str));
                out.push('}');
            }
            out.push(']');
        }
        if !task.tax_forms.is_empty() {
            out.push_str(",\"taxForms\":");
            seq(&mut out, task.tax_forms.iter().map(String::as_str));
        }
        out.push('}');
    }
    out.push_str("],\"at\":");
    timestamp(&mut out, view.at);
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use crate::{RuleSet, Snapshot, Timestamp};

    /// Byte for byte what serde prints, on snapshots that exercise every optional member
    /// and strings that need escaping.
    #[test]
    fn matches_serde() {
        let rules = RuleSet::builtin();
        let at = Timestamp::parse("2026-11-22T12:00:00Z").unwrap();
        let escaped = r#"{"capabilities": {"tradeCrypto": {"requested": true}, "we\"ird\n": {"requested": true}},
            "requirements": {"custom\\key": {"status": "due", "deadline": "2027-01-01T00:00:00.5Z"}},
            "tosAcceptances": [{"versionId": "old", "language": "en", "acceptedAt": "2030-01-01T00:00:00Z"}]}"#;
        for text in [
            include_str!("../examples/draft.json"),
            include_str!("../examples/provider.json"),
            include_str!("../examples/blocked.json"),
            include_str!("../benches/data/incomplete.json"),
            escaped,
            "{}",
        ] {
            let snapshot = Snapshot::from_json(text).unwrap();
            let view = crate::eval::view(&rules, &snapshot, at);
            assert_eq!(
                super::view_json(&view),
                crate::wire::view_json_serde(&view, false),
                "{text}"
            );
            let end_user = crate::EndUserView::from_ref(&rules.evaluate_ref(&snapshot, at));
            assert_eq!(
                super::end_user_json(&end_user),
                crate::wire::end_user_json_serde(&end_user, false),
                "{text}"
            );
        }
    }
}
