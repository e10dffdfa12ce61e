//! The committed JSON Schema of rule files is up to date, and accepts exactly the keys the
//! compiler accepts (read from the compiler's own "allowed keys" help on an unknown key).

use std::collections::BTreeSet;

use capgate::RuleSet;
use serde_json::Value;

const SCHEMA_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/rules/capgate-rules.schema.json"
);

#[test]
fn the_committed_schema_is_up_to_date() {
    let generated = capgate::rule_file_schema();
    #[expect(
        clippy::disallowed_methods,
        reason = "the test compares the committed file"
    )]
    let committed = std::fs::read_to_string(SCHEMA_PATH).unwrap_or_default();
    #[expect(clippy::disallowed_methods, reason = "explicit update mode")]
    let update = std::env::var_os("CAPGATE_UPDATE_SCHEMA").is_some();
    if committed != generated && update {
        #[expect(clippy::disallowed_methods, reason = "explicit update mode")]
        std::fs::write(SCHEMA_PATH, &generated).unwrap();
        return;
    }
    assert_eq!(
        committed, generated,
        "rules/capgate-rules.schema.json is stale: run with CAPGATE_UPDATE_SCHEMA=1"
    );
}

/// The keys the compiler accepts in a table, from the help of an unknown key.
#[track_caller]
fn accepted_keys(text: &str) -> BTreeSet<String> {
    let errors = RuleSet::from_toml("t.toml", text).unwrap_err();
    let help = errors
        .errors()
        .iter()
        .find_map(|e| e.help().filter(|h| h.starts_with("allowed keys: ")))
        .unwrap_or_else(|| panic!("no allowed-keys help for {text}: {errors}"));
    help.trim_start_matches("allowed keys: ")
        .split(", ")
        .map(|k| k.trim_matches('`').to_owned())
        .collect()
}

fn schema_keys(schema: &Value, pointer: &str) -> BTreeSet<String> {
    schema
        .pointer(pointer)
        .and_then(Value::as_object)
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[test]
fn every_table_accepts_exactly_the_compilers_keys() {
    let schema: Value = serde_json::from_str(&capgate::rule_file_schema()).unwrap();
    let unknown = "zzzzzzzz = 1\n";
    let cases = [
        (unknown.to_owned(), "/properties"),
        (
            format!("[ruleset]\n{unknown}"),
            "/properties/ruleset/properties",
        ),
        (format!("[groups.g]\n{unknown}"), "/$defs/group/properties"),
        (
            format!("[capabilities.c]\n{unknown}"),
            "/$defs/capability/properties",
        ),
        (
            format!("[operations.o]\ncapabilities = []\ncontext = []\n{unknown}"),
            "/$defs/operation/properties",
        ),
        (
            format!("[context.c]\npath = \"x\"\n{unknown}"),
            "/$defs/context/properties",
        ),
        (
            "[requirements.r]\npath = \"x\"\nwhen = { path = \"y\", one_of = [\"a\"], zzzzzzzz = 1 }\n".to_owned(),
            "/$defs/condition/properties",
        ),
        (
            format!(
                "[requirements.r]\nkind = \"acceptance\"\n[[requirements.r.versions]]\nid = \"v\"\nlanguages = [\"en\"]\nurl = \"https://x\"\n{unknown}"
            ),
            "/$defs/version/properties",
        ),
        (
            format!("[extend]\n{unknown}"),
            "/properties/extend/properties",
        ),
    ];
    for (text, pointer) in cases {
        assert_eq!(
            accepted_keys(&text),
            schema_keys(&schema, pointer),
            "{pointer}"
        );
    }
    // A check's keys depend on its kind; the schema lists their union.
    let mut check_keys = BTreeSet::new();
    for body in [
        "kind = \"non_empty\"",
        "kind = \"one_of\", values = [\"a\"]",
        "kind = \"pattern\", pattern = \"a\"",
        "kind = \"length\", max = 1",
        "kind = \"date_parts\"",
        "kind = \"ip_address\"",
    ] {
        check_keys.extend(accepted_keys(&format!(
            "[requirements.r]\npath = \"x\"\nchecks = [{{ {body}, zzzzzzzz = 1 }}]\n"
        )));
    }
    assert_eq!(check_keys, schema_keys(&schema, "/$defs/check/properties"));
    // A requirement's keys depend on its kind; the schema lists their union.
    let mut requirement_keys = BTreeSet::new();
    for body in [
        "path = \"x\"\n",
        "kind = \"acceptance\"\nversions = []\n",
        "kind = \"attestation\"\nforms = [\"f\"]\n",
    ] {
        requirement_keys.extend(accepted_keys(&format!("[requirements.r]\n{body}{unknown}")));
    }
    assert_eq!(
        requirement_keys,
        schema_keys(&schema, "/$defs/requirement/properties")
    );
}
