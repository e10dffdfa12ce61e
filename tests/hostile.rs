//! The hostile-input table (README, "Untrusted input and sensitive data"), through the
//! library: one test per row, named `rowNN_...`. Each row gets a stable error code with its
//! location (a JSON pointer, or line and column; `file:line:col` for rule files), or a
//! documented tolerant behaviour. `cli/tests/hostile.rs` runs the same rows through the binary
//! (exit code 2, nothing on stdout), and `scripts/hostile.sh` measures the large inputs at
//! several sizes with the release build (time and memory grow linearly); no test here is
//! timed.
//!
//! Problems found with this table and since fixed are kept as `regression_...` tests, each
//! saying what was wrong and what is expected now. A problem not yet fixed would be an
//! `#[ignore]`d `known_bug_...` test stating the expected behaviour (run with `-- --ignored`);
//! none is left.

use std::fmt::Write as _;

use capgate::{
    BUILTIN_RULES, BUILTIN_RULES_NAME, ErrorCode, Limits, LoadError, RuleSet, Snapshot,
    SnapshotError, Source, Timestamp, wire,
};
use serde_json::{Value, json};

const AT: &str = "2026-11-22T12:00:00Z";
const PROVIDER: &str = include_str!("../examples/provider.json");
const DRAFT: &str = include_str!("../examples/draft.json");
const TOS_VERSION: &str = "us_individual_2026-05-29";
/// 100 MB, the size of the large strings of row 7.
const BIG: usize = 100_000_000;
/// Limits large enough for every big input here.
const ROOMY: Limits = Limits::DEFAULT
    .with_max_snapshot_bytes(256 << 20)
    .with_max_items(2_000_000);

/// The snapshot error for `text` under the default limits, checked against the wire error
/// (same code, same pointer) and for its basic shape.
#[track_caller]
fn snapshot_error(text: &str) -> SnapshotError {
    snapshot_error_with(text, &Limits::DEFAULT)
}

#[track_caller]
fn snapshot_error_with(text: &str, limits: &Limits) -> SnapshotError {
    let err = Snapshot::from_json_with(text, limits).unwrap_err();
    let rules = RuleSet::builtin().with_limits(*limits);
    let wire = wire::evaluate_json(&rules, text, AT).unwrap_err();
    assert_eq!(wire.code, err.code().as_str());
    assert_eq!(wire.path.as_deref(), Some(err.path()));
    assert_eq!((wire.line, wire.column), (err.line(), err.column()));
    assert!(
        err.path().is_empty() || err.path().starts_with('/'),
        "{err}"
    );
    assert!(!err.message().is_empty());
    err
}

/// Asserts `text` is refused with `code` at JSON pointer `path`.
#[track_caller]
fn assert_refused(text: &str, code: ErrorCode, path: &str) -> SnapshotError {
    let err = snapshot_error(text);
    assert_eq!((err.code(), err.path()), (code, path), "{err}");
    err
}

/// The wire evaluation of `text` under `rules`, as a value.
#[track_caller]
fn evaluate_with(rules: &RuleSet, text: &str) -> Value {
    let json = wire::evaluate_json(rules, text, AT).unwrap();
    serde_json::from_str(&json).unwrap()
}

#[track_caller]
fn evaluate(text: &str) -> Value {
    evaluate_with(&RuleSet::builtin(), text)
}

/// Every problem of rule file `r.toml` with `text`, each checked for a location inside it.
#[track_caller]
fn load_errors(text: &str) -> Vec<LoadError> {
    let errors = RuleSet::from_toml("r.toml", text).unwrap_err();
    let errors = errors.errors().to_vec();
    assert!(!errors.is_empty());
    for error in &errors {
        assert_located(error, text);
    }
    errors
}

#[track_caller]
fn assert_located(error: &LoadError, text: &str) {
    assert_eq!(error.source_name(), "r.toml");
    assert!(error.line() >= 1 && error.column() >= 1, "{error}");
    assert!(error.line() <= text.lines().count().max(1), "{error}");
    assert!(error.span().start <= text.len(), "{error}");
    let prefix = format!(
        "r.toml:{}:{}: {}: ",
        error.line(),
        error.column(),
        error.code()
    );
    assert!(error.to_string().starts_with(&prefix), "{error}");
}

/// Asserts the first problem of `text` is `code` at `line:column`.
#[track_caller]
fn assert_rules_refused(text: &str, code: ErrorCode, line: usize, column: usize) -> LoadError {
    let errors = load_errors(text);
    let first = errors[0].clone();
    assert_eq!(
        (first.code(), first.line(), first.column()),
        (code, line, column),
        "{first}"
    );
    first
}

/// A draft requesting `tradeCrypto` (which needs every identity field and the email) with
/// `individual` merged in.
fn trade_draft(individual: &Value) -> String {
    json!({"individual": individual, "capabilities": {"tradeCrypto": {"requested": true}}})
        .to_string()
}

/// `n` ToS acceptances, all of the current version, in compact JSON.
fn tos_acceptances(n: usize) -> String {
    let entry = format!(
        r#"{{"versionId":"{TOS_VERSION}","language":"en","acceptedAt":"2026-06-01T10:00:00Z"}}"#
    );
    let mut text = String::with_capacity(n * (entry.len() + 1) + 100);
    text.push_str(r#"{"capabilities":{"custodyCrypto":{"requested":true}},"tosAcceptances":["#);
    for idx in 0..n {
        if idx > 0 {
            text.push(',');
        }
        text.push_str(&entry);
    }
    text.push_str("]}");
    text
}

// ---------------------------------------------------------------------------------------------
// Row 1: malformed and truncated JSON snapshots: CG201 with line and column.
// ---------------------------------------------------------------------------------------------

#[test]
fn row01_malformed_json_is_cg201_with_line_and_column() {
    let cases: &[(&str, usize, usize)] = &[
        (r#"{"a": }"#, 1, 7),
        (r#"{"a" 1}"#, 1, 6),
        ("{,}", 1, 2),
        (r#"{"a": 1,}"#, 1, 9),
        (r#"{"a": 1} x"#, 1, 10),
        (r#"{"a": NaN}"#, 1, 7),
        ("{'a': 1}", 1, 2),
        (
            "{\n  \"capabilities\": {\n    \"custodyFiat\": {\"requested\": tru}\n  }\n}",
            3,
            37,
        ),
        (r#"{"a": "\x"}"#, 1, 9),
        // serde_json says column 0 right after a line break; columns are 1-based.
        ("{\"a\": \"line\nbreak\"}", 2, 1),
        (r#"{"a": 01}"#, 1, 8),
        (r#"{"a": 1e999}"#, 1, 11),
    ];
    for (text, line, column) in cases {
        let err = assert_refused(text, ErrorCode::JsonSyntax, "");
        assert_eq!(
            (err.line(), err.column()),
            (Some(*line), Some(*column)),
            "{text}: {err}"
        );
        assert!(err.message().starts_with("invalid JSON"), "{text}: {err}");
    }
}

#[test]
fn row01_truncated_json_is_cg201_at_every_cut() {
    for document in [PROVIDER, DRAFT] {
        let document = document.trim_end();
        for cut in (0..document.len()).filter(|&cut| document.is_char_boundary(cut)) {
            let text = &document[..cut];
            let err = snapshot_error(text);
            assert_eq!(err.code(), ErrorCode::JsonSyntax, "cut at {cut}: {err}");
            assert_eq!(err.path(), "", "cut at {cut}");
            let line = err.line().unwrap();
            assert!(
                line >= 1 && line <= text.split('\n').count(),
                "cut at {cut}: {err}"
            );
            assert!(err.column().is_some(), "cut at {cut}");
        }
    }
    // Cut inside a string, a number, a literal, after a key: all "end of input".
    for text in [
        r#"{"customerId": "cust"#,
        r#"{"a": 12"#,
        r#"{"a": tr"#,
        r#"{"a""#,
    ] {
        let err = assert_refused(text, ErrorCode::JsonSyntax, "");
        assert_eq!(err.message(), "unexpected end of input", "{text}");
        assert_eq!(err.line(), Some(1));
    }
}

// ---------------------------------------------------------------------------------------------
// Row 2: malformed and truncated TOML rule files: CG101 with file:line:col.
// ---------------------------------------------------------------------------------------------

#[test]
fn row02_malformed_toml_is_cg101_with_file_line_column() {
    let cases: &[(&str, usize, usize)] = &[
        ("[requirements.a\npath = \"x\"\n", 1, 16),
        ("[requirements.a]\npath = \"x\n", 2, 10),
        ("[requirements.a]\npath = \n", 2, 8),
        ("[requirements.a]\npath = x\n", 2, 8),
        ("[requirements.a]\n= \"x\"\n", 2, 1),
        ("[requirements.a]\npath = [\"a\" \"b\"]\n", 2, 13),
        (
            "[requirements.a]\nchecks = [{ kind = \"non_empty\" \n",
            2,
            31,
        ),
        ("[[requirements.a]\n", 1, 18),
    ];
    for (text, line, column) in cases {
        let first = assert_rules_refused(text, ErrorCode::TomlSyntax, *line, *column);
        assert!(first.message().starts_with("invalid TOML: "), "{first}");
        // One line per message, whatever the toml crate says.
        assert!(!first.message().contains('\n'), "{first}");
    }
}

#[test]
fn row02_truncated_toml_is_refused_with_located_errors() {
    // Cuts of the default rules: inside a header, a string, an array, after `=`.
    let cut_after = |needle: &str, extra: usize| {
        let start = BUILTIN_RULES.find(needle).unwrap() + extra;
        &BUILTIN_RULES[..start]
    };
    let cases = [
        (
            cut_after("[requirements.firstName]", 5),
            ErrorCode::TomlSyntax,
        ),
        (
            cut_after("description = \"Legal first name\"", 18),
            ErrorCode::TomlSyntax,
        ),
        (
            cut_after("requirements = [\n  \"firstName\"", 20),
            ErrorCode::TomlSyntax,
        ),
        (
            cut_after("path = \"individual.lastName\"", 6),
            ErrorCode::TomlSyntax,
        ),
    ];
    for (text, code) in cases {
        let errors = load_errors(text);
        assert_eq!(errors[0].code(), code, "{}", errors[0]);
        assert_eq!(errors[0].line(), text.lines().count(), "{}", errors[0]);
    }
    // A cut at any point: loads (a cut between two tables can be a complete file), or every
    // problem is located; never a panic. Every 61st character keeps the debug run short.
    let mut refused = 0;
    for cut in (0..BUILTIN_RULES.len())
        .step_by(61)
        .filter(|&cut| BUILTIN_RULES.is_char_boundary(cut))
    {
        let text = &BUILTIN_RULES[..cut];
        if let Err(errors) = RuleSet::from_toml("r.toml", text) {
            refused += 1;
            for error in errors.errors() {
                assert_located(error, text);
            }
        }
    }
    assert!(refused > 50, "{refused}");
}

// ---------------------------------------------------------------------------------------------
// Row 3: wrong JSON types in known fields: CG202 with the pointer.
// ---------------------------------------------------------------------------------------------

#[test]
fn row03_wrong_types_are_cg202_with_their_pointer() {
    let cases = [
        (
            r#"{"individual": {"fullSsn": 123456789}}"#,
            "/individual/fullSsn",
            "a string",
            "a number",
        ),
        (
            r#"{"capabilities": []}"#,
            "/capabilities",
            "an object",
            "an array",
        ),
        (
            r#"{"capabilities": {"custodyFiat": {"requested": "true"}}}"#,
            "/capabilities/custodyFiat/requested",
            "a boolean",
            "a string",
        ),
        (
            r#"{"capabilities": {"custodyFiat": true}}"#,
            "/capabilities/custodyFiat",
            "an object",
            "a boolean",
        ),
        (
            r#"{"capabilities": {"custodyFiat": {"status": ["active"]}}}"#,
            "/capabilities/custodyFiat/status",
            "a string",
            "an array",
        ),
        (
            r#"{"individual": []}"#,
            "/individual",
            "an object",
            "an array",
        ),
        (
            r#"{"individual": {"address": "500 Main St"}}"#,
            "/individual/address",
            "an object",
            "a string",
        ),
        (
            r#"{"requirements": []}"#,
            "/requirements",
            "an object",
            "an array",
        ),
        (
            r#"{"requirements": {"tos": {"status": "due", "impact": "custodyFiat"}}}"#,
            "/requirements/tos/impact",
            "an array",
            "a string",
        ),
        (
            r#"{"requirements": {"tos": {"status": "due", "impact": [1]}}}"#,
            "/requirements/tos/impact/0",
            "a string",
            "a number",
        ),
        (
            r#"{"tosAcceptances": {"versionId": "v"}}"#,
            "/tosAcceptances",
            "an array",
            "an object",
        ),
        (
            r#"{"tosAcceptances": ["v"]}"#,
            "/tosAcceptances/0",
            "an object",
            "a string",
        ),
        (
            r#"{"taxAttestations": [{"form": "us_w9", "acceptedAt": "2026-01-01T00:00:00Z", "edeliveryConsent": "yes"}]}"#,
            "/taxAttestations/0/edeliveryConsent",
            "a boolean",
            "a string",
        ),
        (
            r#"{"compliance": {"requesterIpAddress": ["203.0.113.24"]}}"#,
            "/compliance/requesterIpAddress",
            "a string",
            "an array",
        ),
    ];
    for (text, path, expected, found) in cases {
        let err = assert_refused(text, ErrorCode::SnapshotType, path);
        assert_eq!(
            err.message(),
            format!("expected {expected} at {path}, found {found}")
        );
        assert_eq!((err.line(), err.column()), (None, None));
    }
}

// ---------------------------------------------------------------------------------------------
// Row 4: duplicate JSON keys, at any depth: CG203 with the pointer of the key.
// ---------------------------------------------------------------------------------------------

#[test]
fn row04_duplicate_json_keys_are_cg203_at_every_depth() {
    let mut many_keys = String::new();
    for idx in 0..40 {
        write!(many_keys, r#""k{idx}": {idx}, "#).unwrap();
    }
    let cases = [
        (r#"{"customerId": "a", "customerId": "b"}"#.to_owned(), "/customerId"),
        (r#"{"capabilities": {"custodyFiat": {"requested": false, "requested": true}}}"#.to_owned(), "/capabilities/custodyFiat/requested"),
        (r#"{"capabilities": {"custodyFiat": {}, "custodyFiat": {"requested": true}}}"#.to_owned(), "/capabilities/custodyFiat"),
        (r#"{"tosAcceptances": [{"versionId": "a", "language": "en", "versionId": "b"}]}"#.to_owned(), "/tosAcceptances/0/versionId"),
        (r#"{"requirements": {"tos": {"status": "due", "tosVersions": [{"versionId": "v"}, {"versionId": "v", "url": "a", "url": "b"}]}}}"#.to_owned(), "/requirements/tos/tosVersions/1/url"),
        // In unknown fields too: a duplicate is refused wherever it is.
        (r#"{"x": {"y": [{"z": {"k": 1, "k": 1}}]}}"#.to_owned(), "/x/y/0/z/k"),
        // Not adjacent, and with more than 32 keys (the binary-search lookup).
        (format!(r#"{{"a": 1, {many_keys}"a": 2}}"#), "/a"),
        // Equal once unescaped.
        (r#"{"requested": true, "\u0072equested": false}"#.to_owned(), "/requested"),
        // Pointer segments escaped (RFC 6901).
        (r#"{"a/b": {"~c": 1, "~c": 2}}"#.to_owned(), "/a~1b/~0c"),
    ];
    for (text, path) in cases {
        let err = assert_refused(&text, ErrorCode::DuplicateKey, path);
        assert_eq!(err.message(), format!("duplicate key at {path}"));
    }
}

// ---------------------------------------------------------------------------------------------
// Row 5: duplicate TOML keys and tables: CG101 with file:line:col; across sources, CG105.
// ---------------------------------------------------------------------------------------------

#[test]
fn row05_duplicate_toml_keys_and_tables_are_cg101_with_file_line_column() {
    let cases: &[(&str, usize, usize)] = &[
        ("[requirements.a]\npath = \"x\"\npath = \"y\"\n", 3, 1),
        (
            "[requirements.a]\npath = \"x\"\n\n[requirements.a]\npath = \"y\"\n",
            4,
            15,
        ),
        (
            "[requirements.a]\npath = \"x\"\n[requirements]\na.path = \"y\"\n",
            4,
            1,
        ),
        ("requirements.a.path = \"x\"\n[requirements.a]\n", 2, 15),
        (
            "[ruleset]\nid = \"a\"\nversion = \"1\"\n[ruleset]\nid = \"b\"\n",
            4,
            2,
        ),
        (
            "[requirements.tos]\nkind = \"acceptance\"\nversions = []\n[[requirements.tos.versions]]\nid = \"v\"\n",
            4,
            20,
        ),
        (
            "[groups.g]\nrequirements = []\n\"requirements\" = []\n",
            3,
            1,
        ),
    ];
    for (text, line, column) in cases {
        let first = assert_rules_refused(text, ErrorCode::TomlSyntax, *line, *column);
        assert!(first.message().contains("duplicate key"), "{first}");
    }
    // An id defined again in a second source: CG105, located in the second source.
    let base = "[requirements.a]\npath = \"x\"\n";
    let errors =
        RuleSet::from_sources(&[Source::new("one.toml", base), Source::new("two.toml", base)])
            .unwrap_err();
    let first = &errors.errors()[0];
    assert_eq!(first.code(), ErrorCode::DuplicateId);
    assert_eq!(
        (first.source_name(), first.line(), first.column()),
        ("two.toml", 1, 15)
    );
}

// ---------------------------------------------------------------------------------------------
// Row 6: nesting 100,000 deep: CG205 (JSON), CG101 (TOML); no stack overflow.
// ---------------------------------------------------------------------------------------------

const DEEP: usize = 100_000;

#[test]
fn row06_json_nested_100000_deep_is_cg205_at_the_limit() {
    let closed_arrays = format!("{}{}", "[".repeat(DEEP), "]".repeat(DEEP));
    let objects = format!("{}1{}", r#"{"a":"#.repeat(DEEP), "}".repeat(DEEP));
    let cases = [
        ("[".repeat(DEEP), "/0"),
        (closed_arrays, "/0"),
        (r#"{"a":"#.repeat(DEEP), "/a"),
        (objects, "/a"),
    ];
    for (text, segment) in &cases {
        // The default limit (32 levels): the pointer of the 33rd level, also in the message.
        let pointer = segment.repeat(32);
        let err = assert_refused(text, ErrorCode::TooDeep, &pointer);
        assert_eq!(
            err.message(),
            format!("the document is nested more than 32 levels deep at {pointer}")
        );
        assert_eq!((err.line(), err.column()), (None, None), "{err}");
        // A raised limit is capped by the JSON parser's own bound (127 levels, see
        // `regression_max_depth_above_127_acts_as_127`), which protects the stack: no pointer,
        // a line and column.
        let raised = Limits::default().with_max_depth(1_000_000);
        let err = snapshot_error_with(text, &raised);
        assert_eq!((err.code(), err.path()), (ErrorCode::TooDeep, ""), "{err}");
        assert_eq!(
            (err.line(), err.column().is_some()),
            (Some(1), true),
            "{err}"
        );
    }
    // Within the limit: fine.
    let text = format!(r#"{{"x": {}{}}}"#, "[".repeat(31), "]".repeat(31));
    assert!(Snapshot::from_json(&text).is_ok());
    let text = format!(r#"{{"x": {}{}}}"#, "[".repeat(32), "]".repeat(32));
    assert_refused(&text, ErrorCode::TooDeep, &format!("/x{}", "/0".repeat(31)));
}

#[test]
fn row06_toml_nested_100000_deep_is_cg101_not_a_stack_overflow() {
    let cases = [
        // Arrays, closed and not.
        format!(
            "[requirements.a]\npath = {}{}\n",
            "[".repeat(DEEP),
            "]".repeat(DEEP)
        ),
        format!("[requirements.a]\npath = {}\n", "[".repeat(DEEP)),
        // Inline tables, closed and not.
        format!(
            "[requirements.a]\nwhen = {}1{}\n",
            "{a = ".repeat(DEEP),
            "}".repeat(DEEP)
        ),
        format!("[requirements.a]\nwhen = {}\n", "{a = ".repeat(DEEP)),
        // Dotted keys and table headers.
        format!("{} = 1\n", vec!["a"; DEEP].join(".")),
        format!("[{}]\n", vec!["a"; DEEP].join(".")),
        format!("[[{}]]\n", vec!["a"; DEEP].join(".")),
        // Arrays of inline tables.
        format!("[requirements.a]\nchecks = {}\n", "[{a = ".repeat(DEEP)),
    ];
    for text in &cases {
        let errors = load_errors(text);
        assert!(
            errors.iter().all(|e| e.code() == ErrorCode::TomlSyntax),
            "{}",
            errors[0]
        );
        // Bounded by toml's recursion limit, not by the input.
        assert!(errors.len() <= 200, "{} errors", errors.len());
        // The same through lint and the wire.
        assert_eq!(RuleSet::lint(&[Source::new("r.toml", text)]), errors);
        let wire = wire::load(&[Source::new("r.toml", text)]).unwrap_err();
        assert_eq!(wire.code, "CG101");
        assert_eq!(wire.file.as_deref(), Some("r.toml"));
    }
    // The closed arrays and inline tables hit toml's recursion limit.
    let first = &load_errors(&cases[0])[0];
    assert!(first.message().contains("recursion"), "{first}");
    assert_eq!(first.line(), 2);
    let first = &load_errors(&cases[4])[0];
    assert!(first.message().contains("recursion"), "{first}");
    assert_eq!((first.line(), first.column()), (1, 1));
}

// ---------------------------------------------------------------------------------------------
// Row 7: a 100 MB string: CG207 by default; with a raised limit, an unknown field is ignored
// and a known one is checked by its rule.
// ---------------------------------------------------------------------------------------------

#[test]
fn row07_a_100_mb_string_is_cg207_by_default_and_checked_when_allowed() {
    // Built with `format!`: `json!` would escape 100 MB slowly in a debug build.
    let big = "x".repeat(BIG);
    let known = format!(
        r#"{{"individual": {{"email": "{big}"}}, "capabilities": {{"tradeCrypto": {{"requested": true}}}}}}"#
    );
    let unknown =
        format!(r#"{{"note": "{big}", "capabilities": {{"tradeCrypto": {{"requested": true}}}}}}"#);
    drop(big);
    for text in [&known, &unknown] {
        let err = assert_refused(text, ErrorCode::TooLarge, "");
        assert_eq!(
            err.message(),
            format!(
                "the snapshot is {} bytes, over the limit of 1048576 bytes",
                text.len()
            )
        );
    }
    let rules = RuleSet::builtin().with_limits(ROOMY);
    // Known field: the email's rule (`length`, max 254) gives `too_long`; the value is never
    // echoed.
    let json = wire::evaluate_json(&rules, &known, AT).unwrap();
    assert!(json.len() < 10_000, "{}", json.len());
    let out: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        out["requirements"]["email"]["errors"],
        json!([{"code": "too_long", "path": "/individual/email"}])
    );
    assert_eq!(out["capabilities"]["tradeCrypto"]["status"], "pending");
    // Unknown field: ignored; the evaluation is the one without it.
    let out = evaluate_with(&rules, &unknown);
    let without = evaluate(r#"{"capabilities": {"tradeCrypto": {"requested": true}}}"#);
    assert_eq!(out["requirements"], without["requirements"]);
    assert_eq!(out["warnings"], json!([]));
}

// ---------------------------------------------------------------------------------------------
// Row 8: 1,000,000 ToS acceptances: CG207 by default, CG208 with a raised size limit,
// evaluated with both raised.
// ---------------------------------------------------------------------------------------------

#[test]
fn row08_a_million_tos_acceptances_are_refused_then_evaluated() {
    let text = tos_acceptances(1_000_000);
    assert!(text.len() > 90_000_000, "{}", text.len());
    assert_refused(&text, ErrorCode::TooLarge, "");
    let size_only = Limits::default().with_max_snapshot_bytes(256 << 20);
    let err = snapshot_error_with(&text, &size_only);
    assert_eq!(
        (err.code(), err.path()),
        (ErrorCode::TooManyItems, "/tosAcceptances")
    );
    assert_eq!(
        err.message(),
        "more than 10000 entries in one array or object at /tosAcceptances"
    );
    // Both raised: evaluated; the acceptances meet `tos`.
    let out = evaluate_with(&RuleSet::builtin().with_limits(ROOMY), &text);
    assert!(
        out["requirements"].get("tos").is_none(),
        "{}",
        out["requirements"]
    );
    assert!(out["requirements"].get("firstName").is_some());
}

#[test]
fn row08_many_acceptances_in_the_wrong_language_give_one_error_each() {
    // Output linear in the input: every refused acceptance is reported with its pointer.
    let text = tos_acceptances(20_000).replace(r#""language":"en""#, r#""language":"fr""#);
    let out = evaluate_with(&RuleSet::builtin().with_limits(ROOMY), &text);
    let errors = out["requirements"]["tos"]["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 20_000);
    assert_eq!(
        errors[19_999],
        json!({"code": "unsupported_tos_language", "path": "/tosAcceptances/19999/language"})
    );
}

// ---------------------------------------------------------------------------------------------
// Row 9: invalid UTF-8. The library takes `&str`, so invalid UTF-8 cannot reach it: the caller
// decodes (the CLI refuses it with CG201 for snapshots, CG101 for rule files, each with the line
// and column of the first invalid byte). What JSON can still say is a lone surrogate escape:
// refused as CG201.
// ---------------------------------------------------------------------------------------------

#[test]
fn row09_invalid_utf8_cannot_reach_the_library_and_lone_surrogates_are_cg201() {
    let bytes: &[u8] = b"{\"individual\": {\"firstName\": \"J\xffne\"}}";
    assert!(String::from_utf8(bytes.to_vec()).is_err());
    for text in [
        r#"{"individual": {"firstName": "\ud800"}}"#,
        r#"{"note": "\udc00x"}"#,
        r#"{"\ud800": 1}"#,
    ] {
        let err = assert_refused(text, ErrorCode::JsonSyntax, "");
        assert!(err.line().is_some() && err.column().is_some(), "{err}");
    }
    // A lossily decoded document (U+FFFD) is ordinary text: unknown field ignored, known field
    // checked by its rule.
    let lossy = String::from_utf8_lossy(bytes).into_owned();
    assert!(Snapshot::from_json(&lossy).is_ok());
}

// ---------------------------------------------------------------------------------------------
// Row 10: a UTF-8 byte-order mark: one is skipped at the start of a snapshot (documented) and
// does not count towards the size limit; at the start of a rule file, the toml crate skips it
// too (the column of line 1 counts it).
// ---------------------------------------------------------------------------------------------

#[test]
fn row10_a_byte_order_mark_starts_a_snapshot_or_a_rule_file() {
    let with_bom = format!("\u{feff}{DRAFT}");
    assert_eq!(evaluate(&with_bom), evaluate(DRAFT));
    // Only one, and only at the start.
    let err = assert_refused(
        &format!("\u{feff}\u{feff}{DRAFT}"),
        ErrorCode::JsonSyntax,
        "",
    );
    assert_eq!((err.line(), err.column()), (Some(1), Some(1)));
    let err = assert_refused("{}\u{feff}", ErrorCode::JsonSyntax, "");
    assert_eq!((err.line(), err.column()), (Some(1), Some(3)));
    assert_refused("{\"a\": \u{feff}1}", ErrorCode::JsonSyntax, "");
    // The skipped mark does not count towards the size limit.
    let two_bytes = Limits::default().with_max_snapshot_bytes(2);
    assert!(Snapshot::from_json_with("\u{feff}{}", &two_bytes).is_ok());
    let err = snapshot_error_with("\u{feff}{} ", &two_bytes);
    assert_eq!(err.code(), ErrorCode::TooLarge, "{err}");

    // Rule file: loads, with the same rules (the hash covers the text as given).
    let with_bom = format!("\u{feff}{BUILTIN_RULES}");
    let rules = RuleSet::from_toml(BUILTIN_RULES_NAME, &with_bom).unwrap();
    let builtin = RuleSet::builtin();
    assert_eq!(
        evaluate_with(&rules, DRAFT)["requirements"],
        evaluate_with(&builtin, DRAFT)["requirements"]
    );
    assert_ne!(rules.hash(), builtin.hash());
    // A problem on line 1 after the mark: its column counts the mark as a character.
    let first = assert_rules_refused("\u{feff}x = 1\n", ErrorCode::UnknownKey, 1, 2);
    assert_eq!(first.span(), 3..4);
    assert_rules_refused("\u{feff}\u{feff}x = 1\n", ErrorCode::TomlSyntax, 1, 2);
}

// ---------------------------------------------------------------------------------------------
// Row 11: numbers where strings are expected: CG202 with the pointer.
// ---------------------------------------------------------------------------------------------

#[test]
fn row11_numbers_for_strings_are_cg202() {
    let cases = [
        (
            r#"{"individual": {"dateOfBirth": {"day": 31, "month": "02", "year": "1990"}}}"#,
            "/individual/dateOfBirth/day",
        ),
        (
            r#"{"individual": {"dateOfBirth": {"day": "31", "month": "02", "year": 1990}}}"#,
            "/individual/dateOfBirth/year",
        ),
        (
            r#"{"individual": {"address": {"postCode": 2108}}}"#,
            "/individual/address/postCode",
        ),
        (
            r#"{"individual": {"ssnLast4": 6789}}"#,
            "/individual/ssnLast4",
        ),
        (
            r#"{"individual": {"phoneNumber": 16175550142}}"#,
            "/individual/phoneNumber",
        ),
        (r#"{"customerId": 42}"#, "/customerId"),
        (r#"{"email": 1.5e3}"#, "/email"),
        (
            r#"{"capabilities": {"custodyFiat": {"status": 1}}}"#,
            "/capabilities/custodyFiat/status",
        ),
        (
            r#"{"requirements": {"tos": {"status": 0}}}"#,
            "/requirements/tos/status",
        ),
        (
            r#"{"tosAcceptances": [{"versionId": 20260529, "language": "en", "acceptedAt": "2026-06-01T00:00:00Z"}]}"#,
            "/tosAcceptances/0/versionId",
        ),
        (
            r#"{"tosAcceptances": [{"versionId": "v", "language": "en", "acceptedAt": 1780000000}]}"#,
            "/tosAcceptances/0/acceptedAt",
        ),
        (
            r#"{"requirements": {"tos": {"status": "due", "deadline": 1780000000}}}"#,
            "/requirements/tos/deadline",
        ),
    ];
    for (text, path) in cases {
        let err = assert_refused(text, ErrorCode::SnapshotType, path);
        assert!(err.message().ends_with(", found a number"), "{err}");
    }
}

// ---------------------------------------------------------------------------------------------
// Row 12: impossible dates of birth: an error code on the requirement, not a parse error.
// ---------------------------------------------------------------------------------------------

#[test]
fn row12_impossible_dates_of_birth_are_requirement_errors() {
    let cases = [
        (
            json!({"day": "31", "month": "02", "year": "1990"}),
            "invalid_date",
        ),
        (
            json!({"day": "29", "month": "2", "year": "2023"}),
            "invalid_date",
        ),
        (
            json!({"day": "31/02", "month": "02", "year": "1990"}),
            "invalid_format",
        ),
        (
            json!({"day": "31", "month": "02/1990", "year": "1990"}),
            "invalid_format",
        ),
        (
            json!({"day": "1", "month": "13", "year": "1990"}),
            "invalid_format",
        ),
        (json!({"day": "31", "month": "02"}), "incomplete_date"),
        (
            json!({"day": "1", "month": "1", "year": "9999"}),
            "date_in_future",
        ),
    ];
    for (date, code) in cases {
        let out = evaluate(&trade_draft(&json!({"dateOfBirth": date})));
        let entry = &out["requirements"]["dateOfBirth"];
        assert_eq!(entry["status"], "due", "{date}");
        assert_eq!(
            entry["errors"],
            json!([{"code": code, "path": "/individual/dateOfBirth"}]),
            "{date}"
        );
        assert!(
            out["waitingOn"]["tradeCrypto"]["requirements"]
                .as_array()
                .unwrap()
                .contains(&json!("dateOfBirth"))
        );
        // A sensitive date is never echoed, nor scheduled.
        assert!(!out.to_string().contains("1990"));
    }
    // A leap day is a date.
    let out = evaluate(&trade_draft(
        &json!({"dateOfBirth": {"day": "29", "month": "02", "year": "2024"}}),
    ));
    assert!(out["requirements"].get("dateOfBirth").is_none());
    // The provider types dateOfBirth as an object: `"31/02/1990"` is a wrong type (CG202).
    assert_refused(
        r#"{"individual": {"dateOfBirth": "31/02/1990"}}"#,
        ErrorCode::SnapshotType,
        "/individual/dateOfBirth",
    );
}

// ---------------------------------------------------------------------------------------------
// Row 13: timestamps without a zone, far in the past or future, leap seconds.
// ---------------------------------------------------------------------------------------------

/// Timestamps refused everywhere (snapshot CG204, `--at` CG302, rules CG110), with the reason.
const BAD_TIMESTAMPS: &[(&str, &str)] = &[
    (
        "2026-11-22T12:00:00",
        "missing zone offset (`Z` or `+hh:mm`)",
    ),
    ("2026-11-22", "expected `T` between date and time"),
    ("2016-12-31T23:59:60Z", "time of day out of range"),
    ("10000-01-01T00:00:00Z", "expected `-` after the year"),
    ("+002026-11-22T12:00:00Z", "expected a four-digit year"),
    ("0000-01-01T00:00:00Z", "year out of range"),
    ("2026-02-30T00:00:00Z", "not a real calendar date"),
    ("2026-11-22T12:00:00+24:00", "offset out of range"),
];

/// Timestamps accepted everywhere, with their UTC form.
const GOOD_TIMESTAMPS: &[(&str, &str)] = &[
    ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
    ("1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z"),
    ("1900-02-28T00:00:00-05:00", "1900-02-28T05:00:00Z"),
    ("9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z"),
    (
        "2026-11-22T12:00:00.123456789999Z",
        "2026-11-22T12:00:00.123456789Z",
    ),
];

#[test]
fn row13_timestamps_in_snapshots_are_cg204() {
    for (timestamp, reason) in BAD_TIMESTAMPS {
        let acceptance = json!({"tosAcceptances": [
            {"versionId": TOS_VERSION, "language": "en", "acceptedAt": timestamp}
        ]});
        let err = assert_refused(
            &acceptance.to_string(),
            ErrorCode::InvalidTimestamp,
            "/tosAcceptances/0/acceptedAt",
        );
        assert_eq!(
            err.message(),
            format!("invalid RFC 3339 timestamp at /tosAcceptances/0/acceptedAt: {reason}")
        );
        let deadline = json!({"requirements": {"tos": {"status": "due", "deadline": timestamp}}});
        assert_refused(
            &deadline.to_string(),
            ErrorCode::InvalidTimestamp,
            "/requirements/tos/deadline",
        );
    }
    for (timestamp, utc) in GOOD_TIMESTAMPS {
        let text = json!({
            "capabilities": {"custodyCrypto": {"requested": true}},
            "requirements": {"tos": {"status": "due", "deadline": timestamp, "impact": ["custodyCrypto"]}}
        })
        .to_string();
        let out = evaluate(&text);
        assert_eq!(out["requirements"]["tos"]["deadline"], *utc, "{timestamp}");
        // Before `at`: past due; after: a grace period.
        let past = Timestamp::parse(utc).unwrap() <= Timestamp::parse(AT).unwrap();
        let expected = if past { "past_due" } else { "due" };
        assert_eq!(
            out["requirements"]["tos"]["status"], expected,
            "{timestamp}"
        );
    }
}

#[test]
fn row13_evaluation_times_are_cg302() {
    for (timestamp, reason) in BAD_TIMESTAMPS {
        let err = wire::parse_at(timestamp).unwrap_err();
        assert_eq!(err.code, "CG302");
        assert_eq!(err.message, format!("invalid evaluation time: {reason}"));
        let err = wire::evaluate_json(&RuleSet::builtin(), DRAFT, timestamp).unwrap_err();
        assert_eq!(err.code, "CG302");
    }
    for (timestamp, utc) in GOOD_TIMESTAMPS {
        let json = wire::evaluate_json(&RuleSet::builtin(), DRAFT, timestamp).unwrap();
        let out: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(out["at"], *utc);
    }
}

#[test]
fn row13_timestamps_in_rules_are_cg110() {
    let rules = |deadline: &str| {
        format!(
            "[requirements.tos]\nkind = \"acceptance\"\n[[requirements.tos.versions]]\nid = \"v\"\nlanguages = [\"en\"]\nurl = \"https://example.com\"\ndeadline = {deadline}\n"
        )
    };
    for (timestamp, reason) in BAD_TIMESTAMPS {
        let first = assert_rules_refused(
            &rules(&format!("\"{timestamp}\"")),
            ErrorCode::InvalidValue,
            7,
            12,
        );
        assert!(first.message().ends_with(reason), "{first}");
    }
    // TOML datetimes: local ones have no zone (CG110); out-of-range ones are TOML errors.
    assert_rules_refused(
        &rules("2027-01-31T23:59:59"),
        ErrorCode::InvalidValue,
        7,
        12,
    );
    assert_rules_refused(&rules("2027-01-31"), ErrorCode::InvalidValue, 7, 12);
    assert_rules_refused(&rules("23:59:59"), ErrorCode::InvalidValue, 7, 12);
    assert_rules_refused(
        &rules("2016-12-31T23:59:60Z"),
        ErrorCode::InvalidValue,
        7,
        12,
    );
    assert_rules_refused(
        &rules("10000-01-01T00:00:00Z"),
        ErrorCode::TomlSyntax,
        7,
        12,
    );
    assert_rules_refused(
        &rules("+002026-01-01T00:00:00Z"),
        ErrorCode::TomlSyntax,
        7,
        12,
    );
    for (timestamp, _) in GOOD_TIMESTAMPS {
        assert!(
            RuleSet::from_toml("r.toml", &rules(timestamp)).is_ok(),
            "{timestamp}"
        );
        assert!(RuleSet::from_toml("r.toml", &rules(&format!("\"{timestamp}\""))).is_ok());
    }
}

/// Was: an offset could move a timestamp out of years 0001-9999 once converted to UTC
/// (`9999-12-31T23:59:59-23:59` is in year 10000); it was accepted, then printed in a form
/// capgate itself refuses. Now such a timestamp is refused wherever it is read (`--at` CG302,
/// snapshot CG204, rules CG110), and every accepted one prints in a form that parses again.
#[test]
fn regression_an_offset_cannot_move_a_timestamp_out_of_years_1_to_9999() {
    const REASON: &str = "year out of range once converted to UTC";
    for timestamp in [
        "9999-12-31T23:59:59-23:59",
        "9999-12-31T23:00:00-01:00",
        "0001-01-01T00:00:00+23:59",
        "0001-01-01T00:00:00+00:01",
    ] {
        let err = Timestamp::parse(timestamp).unwrap_err();
        assert_eq!(err.reason(), REASON, "{timestamp}");
        // `at`: CG302.
        let err = wire::parse_at(timestamp).unwrap_err();
        assert_eq!(err.code, "CG302");
        assert_eq!(err.message, format!("invalid evaluation time: {REASON}"));
        // Snapshot: CG204 with the pointer.
        let acceptance = json!({"tosAcceptances": [
            {"versionId": TOS_VERSION, "language": "en", "acceptedAt": timestamp}
        ]});
        let err = assert_refused(
            &acceptance.to_string(),
            ErrorCode::InvalidTimestamp,
            "/tosAcceptances/0/acceptedAt",
        );
        assert_eq!(
            err.message(),
            format!("invalid RFC 3339 timestamp at /tosAcceptances/0/acceptedAt: {REASON}")
        );
        // Rules: CG110 at file:line:col, as a string and as a TOML date-time.
        for deadline in [format!("\"{timestamp}\""), timestamp.to_owned()] {
            let text = format!(
                "[requirements.tos]\nkind = \"acceptance\"\n[[requirements.tos.versions]]\nid = \"v\"\nlanguages = [\"en\"]\nurl = \"https://example.com\"\ndeadline = {deadline}\n"
            );
            let first = assert_rules_refused(&text, ErrorCode::InvalidValue, 7, 12);
            assert!(first.message().ends_with(REASON), "{first}");
        }
    }
    // At the very ends of the range, an offset is fine; the UTC form parses again.
    for (timestamp, utc) in [
        ("9999-12-31T23:59:59-00:00", "9999-12-31T23:59:59Z"),
        ("9999-12-31T00:00:00-23:59", "9999-12-31T23:59:00Z"),
        ("0001-01-01T23:59:00+23:59", "0001-01-01T00:00:00Z"),
        ("0001-01-02T00:00:00+23:59", "0001-01-01T00:01:00Z"),
    ] {
        let printed = Timestamp::parse(timestamp).unwrap().to_string();
        assert_eq!(printed, utc, "{timestamp}");
        assert_eq!(Timestamp::parse(&printed).unwrap().to_string(), utc);
        assert_eq!(wire::parse_at(timestamp).unwrap().to_string(), utc);
    }
}

// ---------------------------------------------------------------------------------------------
// Row 14: unknown statuses and capability names: warnings, fail-closed.
// ---------------------------------------------------------------------------------------------

#[test]
fn row14_unknown_statuses_and_capabilities_are_warnings_and_fail_closed() {
    // A customer that would be fully active: every requirement met per the provider.
    let active = json!({
        "capabilities": {"custodyCrypto": {"requested": true, "status": "active"}},
        "requirements": {},
        "tosAcceptances": [{"versionId": TOS_VERSION, "language": "en", "acceptedAt": "2026-06-01T00:00:00Z"}]
    });
    let out = evaluate(&active.to_string());
    assert_eq!(out["allowed"], json!(["custodyCrypto"]));

    // Unknown capability status: never active.
    let mut snapshot = active.clone();
    snapshot["capabilities"]["custodyCrypto"]["status"] = json!("super_active");
    let out = evaluate(&snapshot.to_string());
    assert_eq!(out["allowed"], json!([]));
    assert_eq!(out["capabilities"]["custodyCrypto"]["status"], "pending");
    assert_eq!(
        out["warnings"],
        json!([
            "unknown capability status at /capabilities/custodyCrypto/status is treated as not active"
        ])
    );

    // Unknown requirement status: pending, that is blocking.
    let mut snapshot = active.clone();
    snapshot["requirements"] =
        json!({"firstName": {"status": "mystery", "impact": ["custodyCrypto"]}});
    let out = evaluate(&snapshot.to_string());
    assert_eq!(out["allowed"], json!([]));
    assert_eq!(out["requirements"]["firstName"]["status"], "pending");
    assert_eq!(
        out["waitingOn"]["custodyCrypto"]["requirements"],
        json!(["firstName"])
    );
    assert_eq!(
        out["warnings"],
        json!([
            "unknown requirement status at /requirements/firstName/status is treated as blocking"
        ])
    );
    let decision = RuleSet::builtin()
        .check(
            &Snapshot::from_json(&snapshot.to_string()).unwrap(),
            "sendCryptoTransfer",
            Timestamp::parse(AT).unwrap(),
        )
        .unwrap();
    assert!(!decision.allowed);

    // Unknown capability names, even active: ignored with a warning, never allowed.
    let mut snapshot = active;
    snapshot["capabilities"]["flyToTheMoon"] = json!({"requested": true, "status": "active"});
    let out = evaluate(&snapshot.to_string());
    assert_eq!(out["allowed"], json!(["custodyCrypto"]));
    assert!(out["capabilities"].get("flyToTheMoon").is_none());
    assert_eq!(
        out["warnings"],
        json!(["capability `flyToTheMoon` is not in the ruleset and was ignored"])
    );
    // A requirement key no rule knows, listed by the provider: reported, never dropped.
    let out = evaluate(
        r#"{"capabilities": {"custodyCrypto": {"requested": true, "status": "active"}},
            "requirements": {"brandNewThing": {"status": "due", "impact": ["custodyCrypto"]}}}"#,
    );
    assert_eq!(out["requirements"]["brandNewThing"]["status"], "due");
    assert_eq!(out["allowed"], json!([]));
}

// ---------------------------------------------------------------------------------------------
// Row 15: degenerate documents: `{}` is an empty draft; anything not an object is refused.
// ---------------------------------------------------------------------------------------------

#[test]
fn row15_empty_and_non_object_documents() {
    let out = evaluate("{}");
    assert_eq!(out["allowed"], json!([]));
    assert_eq!(out["requirements"], json!({}));
    assert_eq!(out["capabilities"]["custodyFiat"]["status"], "unrequested");
    assert_eq!(out["warnings"], json!([]));
    // Not JSON at all.
    for text in ["", " \n\t", "\u{feff}"] {
        let err = assert_refused(text, ErrorCode::JsonSyntax, "");
        assert_eq!(err.message(), "unexpected end of input");
        assert!(err.line().is_some());
    }
    // JSON, but not an object.
    for (text, found) in [
        ("null", "null"),
        ("[]", "an array"),
        (r#""customer""#, "a string"),
        ("0", "a number"),
        ("true", "a boolean"),
        (r#"[{"capabilities": {}}]"#, "an array"),
    ] {
        let err = assert_refused(text, ErrorCode::SnapshotType, "");
        assert_eq!(
            err.message(),
            format!("expected an object at the document root, found {found}")
        );
    }
    // `null` fields are absent fields.
    let out = evaluate(
        r#"{"individual": null, "capabilities": null, "requirements": null, "tosAcceptances": null}"#,
    );
    assert_eq!(out, evaluate("{}"));
}

/// Was: an empty document was refused at line 1, column 0 (`serde_json`'s column before any
/// character); columns are 1-based. Now it is CG201 at line 1, column 1, through the library
/// and the wire alike (a byte-order mark alone is an empty document too).
#[test]
fn regression_an_empty_document_is_at_column_1() {
    for text in ["", "\u{feff}"] {
        let err = assert_refused(text, ErrorCode::JsonSyntax, "");
        assert_eq!(err.message(), "unexpected end of input");
        assert_eq!((err.line(), err.column()), (Some(1), Some(1)), "{text:?}");
    }
    // Whitespace only: at the end of what is there.
    let err = assert_refused(" \n\t", ErrorCode::JsonSyntax, "");
    assert_eq!((err.line(), err.column()), (Some(2), Some(1)));
}

// ---------------------------------------------------------------------------------------------
// Row 16: an empty rule file, or one with only comments: loads as an empty ruleset (no id,
// no capabilities), which allows nothing.
// ---------------------------------------------------------------------------------------------

#[test]
fn row16_empty_and_comment_only_rule_files_load_as_empty_rulesets() {
    for text in [
        "",
        "\n\n",
        "# only a comment\n# and another\n",
        "#:schema ./capgate-rules.schema.json\n",
    ] {
        let rules = RuleSet::from_toml("r.toml", text).unwrap();
        assert_eq!((rules.id(), rules.version()), ("", ""));
        assert_eq!(rules.capability_names().count(), 0);
        assert_eq!(rules.operation_names().count(), 0);
        assert!(RuleSet::lint(&[Source::new("r.toml", text)]).is_empty());
        // Fail-closed: nothing is allowed, every capability of the snapshot is a warning,
        // every operation is unknown.
        let out = evaluate_with(&rules, PROVIDER);
        assert_eq!(out["allowed"], json!([]));
        assert_eq!(out["capabilities"], json!({}));
        assert!(!out["warnings"].as_array().unwrap().is_empty());
        let snapshot = Snapshot::from_json(PROVIDER).unwrap();
        let err = rules
            .check(
                &snapshot,
                "createCustomerAccount",
                Timestamp::parse(AT).unwrap(),
            )
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::UnknownOperation);
    }
    // As a policy on top of the default rules, it adds nothing.
    let rules = RuleSet::from_sources(&[
        Source::new(BUILTIN_RULES_NAME, BUILTIN_RULES),
        Source::new("empty.toml", ""),
    ])
    .unwrap();
    assert_eq!(rules.id(), RuleSet::builtin().id());
    assert_eq!(
        evaluate_with(&rules, PROVIDER)["requirements"],
        evaluate(PROVIDER)["requirements"]
    );
}

// ---------------------------------------------------------------------------------------------
// Problems found with this table, fixed: each test says what was wrong.
// ---------------------------------------------------------------------------------------------

/// Was: `Limits::max_depth` was documented to accept up to 128 levels, but `serde_json`'s own
/// bound refuses the 128th. Now the documented bound is 127: values above 127 act as 127, so
/// 127 levels are accepted with any `max_depth` of at least 127, and 128 levels are CG205 from
/// the parser's bound (no pointer, a line and column) however high the limit.
#[test]
fn regression_max_depth_above_127_acts_as_127() {
    // `levels` levels of nesting: the document object, then arrays.
    let nested = |levels: usize| {
        format!(
            "{{\"x\": {}{}}}",
            "[".repeat(levels - 1),
            "]".repeat(levels - 1)
        )
    };
    let at_bound = nested(127);
    let over_bound = nested(128);
    for max_depth in [127, 128, 200, usize::MAX] {
        let limits = Limits::default().with_max_depth(max_depth);
        assert!(
            Snapshot::from_json_with(&at_bound, &limits).is_ok(),
            "{max_depth}"
        );
        let rules = RuleSet::builtin().with_limits(limits);
        assert!(wire::evaluate_json(&rules, &at_bound, AT).is_ok());
        let err = snapshot_error_with(&over_bound, &limits);
        assert_eq!(
            (err.code(), err.path()),
            (ErrorCode::TooDeep, ""),
            "{max_depth}: {err}"
        );
        // At the 128th opening bracket.
        assert_eq!(
            (err.line(), err.column()),
            (Some(1), Some(133)),
            "{max_depth}: {err}"
        );
    }
    // Below the bound, the limit is exact and its error has the pointer.
    let limits = Limits::default().with_max_depth(126);
    let err = snapshot_error_with(&at_bound, &limits);
    let pointer = format!("/x{}", "/0".repeat(125));
    assert_eq!(
        (err.code(), err.path()),
        (ErrorCode::TooDeep, pointer.as_str())
    );
    assert_eq!(
        err.message(),
        format!("the document is nested more than 126 levels deep at {pointer}")
    );
}

/// Was: the messages of CG205 and CG208 did not say where the limit was exceeded (only the
/// `path` field did), so a front end printing the message (the CLI) showed no location. Now the
/// message ends with `at POINTER` (RFC 6901 escaped, equal to the `path`), or `at the document
/// root`, as the messages of CG202 and CG203 do.
#[test]
fn regression_cg205_and_cg208_messages_carry_the_pointer() {
    let limits = Limits::default().with_max_items(3).with_max_depth(3);
    let cases = [
        (
            r#"{"tosAcceptances": [{}, {}, {}, {}]}"#,
            ErrorCode::TooManyItems,
            "/tosAcceptances",
            "more than 3 entries in one array or object",
        ),
        (
            r#"{"x": {"a~b/c": {"k1": 1, "k2": 2, "k3": 3, "k4": 4}}}"#,
            ErrorCode::TooManyItems,
            "/x/a~0b~1c",
            "more than 3 entries in one array or object",
        ),
        (
            r#"{"x": [[1], [[2]]]}"#,
            ErrorCode::TooDeep,
            "/x/1/0",
            "the document is nested more than 3 levels deep",
        ),
        (
            r#"{"a": 1, "b": 2, "c": 3, "d": 4}"#,
            ErrorCode::TooManyItems,
            "",
            "more than 3 entries in one array or object",
        ),
    ];
    for (text, code, pointer, message) in cases {
        let err = snapshot_error_with(text, &limits);
        assert_eq!((err.code(), err.path()), (code, pointer), "{err}");
        let place = if pointer.is_empty() {
            "the document root"
        } else {
            pointer
        };
        assert_eq!(err.message(), format!("{message} at {place}"));
        let rules = RuleSet::builtin().with_limits(limits);
        let wire = wire::evaluate_json(&rules, text, AT).unwrap_err();
        assert_eq!(wire.message, err.message());
    }
}

/// Was: each problem of a rule file was located (line and column) by scanning its source from
/// the start, so a file with many problems took quadratic time to report them (40,000 lines:
/// 9 to 22 s). Now each source has a line index, built once; this checks that every problem is
/// still reported and correctly located (the time is measured by `scripts/hostile.sh`, not
/// here).
#[test]
fn regression_rule_files_with_many_problems_report_each_one_located() {
    const LINES: usize = 20_000;
    // Every problem, each checked here for its exact location (not with `load_errors`, whose
    // per-error check scans the whole text).
    let all_errors = |text: &str| {
        RuleSet::from_toml("r.toml", text)
            .unwrap_err()
            .errors()
            .to_vec()
    };
    // A syntax error per line: an empty key, then (from line 2) a duplicate of it.
    let text = "= 1\n".repeat(LINES);
    let errors = all_errors(&text);
    assert_eq!(errors.len(), 2 * LINES - 1);
    assert!(errors.iter().all(|e| e.code() == ErrorCode::TomlSyntax));
    let last = errors.last().unwrap();
    assert_eq!((last.line(), last.column()), (LINES, 1), "{last}");
    assert!(last.message().contains("duplicate key"), "{last}");
    assert!(
        last.to_string()
            .starts_with(&format!("r.toml:{LINES}:1: CG101: ")),
        "{last}"
    );
    let mut lines: Vec<usize> = errors.iter().map(LoadError::line).collect();
    lines.dedup();
    assert_eq!(lines, (1..=LINES).collect::<Vec<_>>());

    // An unknown key per line, indented, each line ending with a comment of multi-byte
    // characters (so byte offsets and character columns differ).
    let mut text = String::from("[requirements.a]\npath = \"x\"\n");
    for idx in 0..LINES {
        writeln!(text, "  k{idx} = 1 # é€").unwrap();
    }
    let errors = all_errors(&text);
    assert_eq!(errors.len(), LINES);
    for (idx, error) in errors.iter().enumerate() {
        assert_eq!(
            (error.code(), error.line(), error.column()),
            (ErrorCode::UnknownKey, idx + 3, 3),
            "{error}"
        );
        assert!(error.message().contains(&format!("`k{idx}`")), "{error}");
    }

    // Problems found when the sources are put together, located in the second source.
    let definitions = |count: usize| -> String {
        let mut text = String::new();
        for idx in 0..count {
            write!(text, "[requirements.r{idx}]\npath = \"x\"\n").unwrap();
        }
        text
    };
    let one = definitions(LINES / 2);
    let two = format!("# two\n\n{}", definitions(LINES / 2));
    let errors =
        RuleSet::from_sources(&[Source::new("one.toml", &one), Source::new("two.toml", &two)])
            .unwrap_err();
    let errors = errors.errors();
    assert_eq!(errors.len(), LINES / 2);
    for (idx, error) in errors.iter().enumerate() {
        assert_eq!(
            (
                error.code(),
                error.source_name(),
                error.line(),
                error.column()
            ),
            (ErrorCode::DuplicateId, "two.toml", 2 * idx + 3, 15),
            "{error}"
        );
    }
}
