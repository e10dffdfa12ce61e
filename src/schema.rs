//! The JSON Schema of rule files, for editors (taplo / Even Better TOML).
//!
//! The committed copy is `rules/capgate-rules.schema.json`; a test keeps it equal to this
//! function's output, and another checks that every table accepts exactly the keys the
//! compiler accepts, so the schema cannot drift from the rule syntax.

use serde_json::{Value, json};

/// The JSON Schema (draft 2020-12) of capgate rule files, pretty-printed.
///
/// # Example
///
/// ```
/// let schema: serde_json::Value = serde_json::from_str(&capgate::rule_file_schema()).unwrap();
/// assert_eq!(schema["additionalProperties"], false);
/// assert!(schema["$defs"]["requirement"]["properties"]["checks"].is_object());
/// ```
pub fn rule_file_schema() -> String {
    serde_json::to_string_pretty(&schema()).unwrap_or_default() + "\n"
}

fn strings() -> Value {
    json!({"type": "array", "items": {"type": "string"}})
}

fn map_of(definition: &str) -> Value {
    json!({"type": "object", "additionalProperties": {"$ref": format!("#/$defs/{definition}")}})
}

fn timestamp() -> Value {
    json!({"type": "string", "format": "date-time", "description": "RFC 3339 with a zone (a TOML offset datetime also works)"})
}

fn schema() -> Value {
    let description = json!({"type": "string"});
    let check_kinds = json!([
        "non_empty",
        "one_of",
        "pattern",
        "length",
        "date_parts",
        "ip_address"
    ]);
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "capgate rules",
        "description": "Capability and requirement rules for capgate (see the README, \"Rule format\").",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "ruleset": {
                "type": "object",
                "additionalProperties": false,
                "required": ["id", "version"],
                "properties": {"id": {"type": "string"}, "version": {"type": "string"}, "description": description},
            },
            "requirements": map_of("requirement"),
            "context": map_of("context"),
            "groups": map_of("group"),
            "capabilities": map_of("capability"),
            "operations": map_of("operation"),
            "extend": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "groups": map_of("group"),
                    "capabilities": map_of("capability"),
                    "operations": map_of("operation"),
                },
            },
        },
        "$defs": {
            "requirement": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "kind": {"enum": ["field", "acceptance", "attestation"], "default": "field"},
                    "description": description,
                    "verified_by": {"enum": ["provider", "platform"], "default": "provider"},
                    "resolved_by": {"enum": ["customer", "platform", "provider"], "default": "customer"},
                    "sensitive": {"type": "boolean", "default": false},
                    "deadline": timestamp(),
                    "when": {"oneOf": [{"$ref": "#/$defs/condition"}, {"type": "array", "items": {"$ref": "#/$defs/condition"}}]},
                    "path": {"oneOf": [{"type": "string"}, strings()], "description": "field kind: dot-separated path(s) into the snapshot"},
                    "optional": {"type": "boolean", "default": false},
                    "checks": {"type": "array", "items": {"$ref": "#/$defs/check"}},
                    "versions": {"type": "array", "items": {"$ref": "#/$defs/version"}, "description": "acceptance kind"},
                    "forms": {"type": "array", "items": {"type": "string"}, "description": "attestation kind"},
                },
            },
            "context": {
                "type": "object",
                "additionalProperties": false,
                "required": ["path"],
                "properties": {
                    "description": description,
                    "sensitive": {"type": "boolean"},
                    "path": {"oneOf": [{"type": "string"}, strings()]},
                    "optional": {"type": "boolean"},
                    "checks": {"type": "array", "items": {"$ref": "#/$defs/check"}},
                },
            },
            "check": {
                "type": "object",
                "additionalProperties": false,
                "required": ["kind"],
                "properties": {
                    "kind": {"enum": check_kinds},
                    "values": strings(),
                    "pattern": {"type": "string"},
                    "min": {"type": "integer", "minimum": 0},
                    "max": {"type": "integer", "minimum": 0},
                    "allow_future": {"type": "boolean"},
                },
            },
            "condition": {
                "type": "object",
                "additionalProperties": false,
                "required": ["path"],
                "properties": {"path": {"type": "string"}, "one_of": strings(), "present": {"type": "boolean"}},
            },
            "version": {
                "type": "object",
                "additionalProperties": false,
                "required": ["id", "languages", "url"],
                "properties": {"id": {"type": "string"}, "languages": strings(), "url": {"type": "string", "pattern": "^https?://"}, "deadline": timestamp()},
            },
            "group": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "description": description,
                    "requirements": strings(),
                    "groups": strings(),
                    "any_of": {"type": "array", "items": strings()},
                },
            },
            "capability": {
                "type": "object",
                "additionalProperties": false,
                "properties": {"description": description, "requirements": strings(), "groups": strings(), "depends_on": strings()},
            },
            "operation": {
                "type": "object",
                "additionalProperties": false,
                "properties": {"description": description, "capabilities": strings(), "context": strings()},
            },
        },
    })
}
