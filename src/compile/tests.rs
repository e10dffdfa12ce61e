//! One test per load error code, through a single helper.

use crate::error::LoadErrors;
use crate::ruleset::Source;

/// Compiles `text` and returns `(code, line, column)` for each problem.
#[track_caller]
fn problems(text: &str) -> Vec<(&'static str, usize, usize)> {
    match super::compile(&[Source::new("t.toml", text)]) {
        Ok(_) => Vec::new(),
        Err(errors) => codes(&errors),
    }
}

fn codes(errors: &LoadErrors) -> Vec<(&'static str, usize, usize)> {
    errors
        .errors()
        .iter()
        .map(|e| (e.code().as_str(), e.line(), e.column()))
        .collect()
}

const BASE: &str = "[requirements.firstName]\npath = \"individual.firstName\"\n";

#[test]
fn a_minimal_ruleset_loads() {
    assert_eq!(problems(BASE), []);
    assert_eq!(problems(""), []);
}

#[test]
fn cg101_syntax_errors_are_all_reported() {
    assert_eq!(
        problems("[a\nb = = 1\n"),
        [("CG101", 1, 3), ("CG101", 2, 5), ("CG101", 2, 7)]
    );
    assert_eq!(problems("[x]\na = 1\na = 2\n")[0].0, "CG101");
}

#[test]
fn cg102_unknown_keys() {
    let text = format!("{BASE}chekcs = []\n[capabilities.c]\nrequirments = []\n[nope]\n");
    assert_eq!(
        problems(&text),
        [("CG102", 3, 1), ("CG102", 5, 1), ("CG102", 6, 2)]
    );
}

#[test]
fn cg103_wrong_types() {
    assert_eq!(
        problems("[requirements.a]\npath = 1\nsensitive = \"no\"\n"),
        [("CG103", 2, 8), ("CG103", 3, 13)]
    );
    assert_eq!(problems("[capabilities]\nc = 1\n"), [("CG103", 2, 5)]);
}

#[test]
fn cg104_missing_keys() {
    assert_eq!(
        problems("[requirements.a]\nchecks = []\n"),
        [("CG104", 1, 1)]
    );
    assert_eq!(problems("[ruleset]\nid = \"x\"\n"), [("CG104", 1, 1)]);
    assert_eq!(
        problems(&format!("{BASE}checks = [{{ values = [] }}]\n")),
        [("CG104", 3, 11)]
    );
}

#[test]
fn cg105_duplicate_ids_within_and_across_sources() {
    let first = Source::new("a.toml", BASE);
    let second = Source::new("b.toml", BASE);
    let errors = super::compile(&[first, second]).err().unwrap();
    assert_eq!(codes(&errors), [("CG105", 1, 15)]);
    assert_eq!(errors.errors()[0].source_name(), "b.toml");
    assert_eq!(
        errors.errors()[0].help(),
        Some("first defined at a.toml:1:15")
    );
}

#[test]
fn cg106_unknown_references() {
    let text = format!(
        "{BASE}[capabilities.c]\nrequirements = [\"firstNam\"]\ngroups = [\"g\"]\n[extend.operations.o]\ncapabilities = [\"c\"]\n"
    );
    let errors = super::compile(&[Source::new("t.toml", &text)])
        .err()
        .unwrap();
    assert_eq!(
        codes(&errors),
        [("CG106", 4, 17), ("CG106", 5, 11), ("CG106", 6, 20)]
    );
    assert_eq!(errors.errors()[0].help(), Some("did you mean `firstName`?"));
}

#[test]
fn cg107_cycles() {
    assert_eq!(
        problems(
            "[capabilities.a]\ndepends_on = [\"b\"]\n[capabilities.b]\ndepends_on = [\"a\"]\n"
        ),
        [("CG107", 1, 15)]
    );
    assert_eq!(
        problems("[groups.a]\ngroups = [\"a\"]\n"),
        [("CG107", 1, 9)]
    );
}

#[test]
fn cg108_invalid_patterns() {
    let text = format!("{BASE}checks = [{{ kind = \"pattern\", pattern = \"(\" }}]\n");
    assert_eq!(problems(&text), [("CG108", 3, 41)]);
}

#[test]
fn cg109_unknown_check_kinds() {
    let text = format!("{BASE}checks = [{{ kind = \"regex\", pattern = \"x\" }}]\n");
    assert_eq!(problems(&text), [("CG109", 3, 20)]);
}

#[test]
fn cg110_invalid_values() {
    assert_eq!(
        problems("[requirements.a]\npath = \"x..y\"\n"),
        [("CG110", 2, 8)]
    );
    assert_eq!(
        problems("[requirements.\"a b\"]\npath = \"x\"\n"),
        [("CG110", 1, 15)]
    );
    assert_eq!(
        problems("[requirements.a]\nkind = \"feild\"\npath = \"x\"\n"),
        [("CG110", 2, 8)]
    );
    assert_eq!(
        problems("[requirements.a]\npath = \"x\"\ndeadline = 2026-01-01T00:00:00\n"),
        [("CG110", 3, 12)]
    );
    assert_eq!(
        problems(
            "[requirements.a]\npath = \"x\"\nchecks = [{ kind = \"length\", min = 3, max = 1 }]\n"
        ),
        [("CG110", 3, 36)]
    );
    assert_eq!(problems("[operations.o]\n"), [("CG110", 1, 13)]);
}

#[test]
fn reference_checks_are_skipped_after_syntax_errors() {
    assert_eq!(
        problems("[capabilities.c]\nrequirements = [\"nope\"]\n[x\n"),
        [("CG101", 3, 3)]
    );
}

#[test]
fn deadlines_accept_toml_datetimes_and_strings() {
    let text = "[requirements.a]\npath = \"x\"\ndeadline = 2026-01-01T00:00:00Z\n[requirements.b]\npath = \"y\"\ndeadline = \"2026-01-01T00:00:00+01:00\"\n";
    assert_eq!(problems(text), []);
}

#[test]
fn cg111_requirements_that_can_never_be_met() {
    let text = "[requirements.a]\npath = \"x\"\nchecks = [{ kind = \"one_of\", values = [\"ny\"] }, { kind = \"pattern\", pattern = \"^[A-Z]{2}$\" }]\n";
    assert_eq!(problems(text), [("CG111", 1, 1)]);
    let fine = "[requirements.a]\npath = \"x\"\nchecks = [{ kind = \"one_of\", values = [\"ny\", \"NY\"] }, { kind = \"pattern\", pattern = \"^[A-Z]{2}$\" }]\n";
    assert_eq!(problems(fine), []);
}

#[test]
fn alternatives_and_conditions_are_validated() {
    let base = "[requirements.a]\npath = \"x\"\n[requirements.b]\npath = \"y\"\n";
    assert_eq!(
        problems(&format!("{base}[groups.g]\nany_of = [[\"a\"], [\"b\"]]\n")),
        []
    );
    assert_eq!(
        problems(&format!("{base}[groups.g]\nany_of = [[\"a\"], [\"c\"]]\n"))[0].0,
        "CG106"
    );
    assert_eq!(
        problems(&format!("{base}[groups.g]\nany_of = [[\"a\"], []]\n"))[0].0,
        "CG110"
    );
    assert_eq!(
        problems(&format!(
            "{base}[groups.g]\nany_of = [[\"a\", \"b\"], [\"b\", \"a\"]]\n"
        ))[0]
            .0,
        "CG105"
    );
    assert_eq!(
        problems(&format!("{base}[groups.g]\nany_of = [\"a\"]\n"))[0].0,
        "CG103"
    );
    assert_eq!(
        problems("[requirements.a]\npath = \"x\"\nwhen = { path = \"y\", one_of = [\"US\"] }\n"),
        []
    );
    assert_eq!(
        problems("[requirements.a]\npath = \"x\"\nwhen = { path = \"y\" }\n")[0].0,
        "CG104"
    );
    let codes: Vec<&str> =
        problems("[requirements.a]\npath = \"x\"\nwhen = { path = \"y\", presnt = true }\n")
            .iter()
            .map(|p| p.0)
            .collect();
    assert_eq!(codes, ["CG104", "CG102"]);
}
