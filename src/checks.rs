//! Field checks: whether a snapshot value meets a field rule.

use std::net::IpAddr;

use crate::json::Json;
use crate::ruleset::{Check, FieldRule};
use crate::snapshot::Snapshot;
use crate::time::{self, Timestamp};

/// The outcome of checking one field rule against a snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FieldOutcome {
    Met,
    Missing {
        path: String,
    },
    Invalid {
        code: &'static str,
        path: String,
    },
    /// A date that is valid but after `at`; it becomes valid at `valid_from`.
    NotYet {
        path: String,
        valid_from: Timestamp,
    },
}

/// Checks `rule` against `snapshot` at `at`: the first present path is checked, in order.
pub(crate) fn check_field(rule: &FieldRule, snapshot: &Snapshot, at: Timestamp) -> FieldOutcome {
    let found = rule
        .paths
        .iter()
        .find_map(|path| snapshot.lookup(path).map(|value| (path, value)));
    let Some((segments, value)) = found else {
        if rule.optional {
            return FieldOutcome::Met;
        }
        let path = rule.paths.first().map(|p| pointer(p)).unwrap_or_default();
        return FieldOutcome::Missing { path };
    };
    if let Json::Object(map) = value {
        // A date given as parts with none of them (`dateOfBirth: {}`, or only nulls) counts
        // as not provided. Only for `date_parts`: any other check judges an object itself
        // (`invalid_type`, or `non_empty` failing), so `{}` never meets an optional field.
        let is_date = rule
            .checks
            .iter()
            .any(|check| matches!(check, Check::DateParts { .. }));
        if is_date && map.values().all(|v| matches!(v, Json::Null)) {
            if rule.optional {
                return FieldOutcome::Met;
            }
            return FieldOutcome::Missing {
                path: pointer(segments),
            };
        }
    }
    for check in &rule.checks {
        match run_check(check, value, at) {
            CheckResult::Pass => {}
            CheckResult::Fail(code) => {
                return FieldOutcome::Invalid {
                    code,
                    path: pointer(segments),
                };
            }
            CheckResult::NotYet(valid_from) => {
                return FieldOutcome::NotYet {
                    path: pointer(segments),
                    valid_from,
                };
            }
        }
    }
    FieldOutcome::Met
}

/// One check's verdict on its own, for explanations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CheckVerdict {
    Pass,
    Fail(&'static str),
    /// Valid but dated after `at` (`date_in_future`).
    NotYet,
}

/// Where a field rule reads its value (a JSON pointer), and each check's verdict on it;
/// `None` when the value is missing (absent, `null`, or an object of only nulls).
pub(crate) fn each_check(
    rule: &FieldRule,
    snapshot: &Snapshot,
    at: Timestamp,
) -> (String, Option<Vec<(&'static str, CheckVerdict)>>) {
    let found = rule
        .paths
        .iter()
        .find_map(|path| snapshot.lookup(path).map(|value| (path, value)));
    let Some((segments, value)) = found else {
        return (
            rule.paths.first().map(|p| pointer(p)).unwrap_or_default(),
            None,
        );
    };
    if let Json::Object(map) = value {
        if map.values().all(|v| matches!(v, Json::Null)) && !rule.checks.is_empty() {
            return (pointer(segments), None);
        }
    }
    let verdicts = rule
        .checks
        .iter()
        .map(|check| {
            let verdict = match run_check(check, value, at) {
                CheckResult::Pass => CheckVerdict::Pass,
                CheckResult::Fail(code) => CheckVerdict::Fail(code),
                CheckResult::NotYet(_) => CheckVerdict::NotYet,
            };
            (check.kind(), verdict)
        })
        .collect();
    (pointer(segments), Some(verdicts))
}

/// Whether the string `value` passes `check` (for load-time lints: no time dependence).
pub(crate) fn string_passes(check: &Check, value: &str) -> bool {
    let json = Json::String(value.into());
    matches!(
        run_check(check, &json, Timestamp::from_unix_seconds(0)),
        CheckResult::Pass
    )
}

/// Renders path segments as a JSON pointer.
pub(crate) fn pointer(segments: &[String]) -> String {
    let mut out = String::with_capacity(segments.iter().map(|s| s.len() + 1).sum());
    for segment in segments {
        out.push('/');
        for c in segment.chars() {
            match c {
                '~' => out.push_str("~0"),
                '/' => out.push_str("~1"),
                c => out.push(c),
            }
        }
    }
    out
}

enum CheckResult {
    Pass,
    Fail(&'static str),
    NotYet(Timestamp),
}

fn run_check(check: &Check, value: &Json, at: Timestamp) -> CheckResult {
    match check {
        Check::NonEmpty => match value {
            Json::String(text) if text.trim().is_empty() => CheckResult::Fail("empty"),
            Json::Array(items) if items.is_empty() => CheckResult::Fail("empty"),
            Json::Object(map) if map.is_empty() => CheckResult::Fail("empty"),
            _ => CheckResult::Pass,
        },
        Check::OneOf(values) => match value {
            Json::String(text) if values.iter().any(|allowed| allowed == text) => CheckResult::Pass,
            Json::String(_) => CheckResult::Fail("value_not_allowed"),
            _ => CheckResult::Fail("invalid_type"),
        },
        Check::Pattern(regex) => match value {
            Json::String(text) if regex.is_match(text) => CheckResult::Pass,
            Json::String(_) => CheckResult::Fail("invalid_format"),
            _ => CheckResult::Fail("invalid_type"),
        },
        Check::Length { min, max } => match value {
            Json::String(text) => {
                let n_chars = text.chars().count();
                if min.is_some_and(|min| n_chars < min) {
                    CheckResult::Fail("too_short")
                } else if max.is_some_and(|max| n_chars > max) {
                    CheckResult::Fail("too_long")
                } else {
                    CheckResult::Pass
                }
            }
            _ => CheckResult::Fail("invalid_type"),
        },
        Check::IpAddress => match value {
            Json::String(text) if text.parse::<IpAddr>().is_ok() => CheckResult::Pass,
            Json::String(_) => CheckResult::Fail("invalid_ip_address"),
            _ => CheckResult::Fail("invalid_type"),
        },
        Check::DateParts { allow_future } => check_date_parts(value, *allow_future, at),
    }
}

/// A date given as `{day, month, year}` strings, leniently padded (`7` or `07`), as the
/// provider's `DateOfBirthLenient` documents.
fn check_date_parts(value: &Json, allow_future: bool, at: Timestamp) -> CheckResult {
    let Json::Object(map) = value else {
        return CheckResult::Fail("invalid_type");
    };
    let part = |name: &str| match map.get(name) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(text)) => Ok(Some(text.as_str())),
        Some(_) => Err(()),
    };
    let (Ok(day), Ok(month), Ok(year)) = (part("day"), part("month"), part("year")) else {
        return CheckResult::Fail("invalid_type");
    };
    let (Some(day), Some(month), Some(year)) = (day, month, year) else {
        return CheckResult::Fail("incomplete_date");
    };
    let (Some(day), Some(month), Some(year)) = (
        parse_digits(day, 1, 2),
        parse_digits(month, 1, 2),
        parse_digits(year, 4, 4),
    ) else {
        return CheckResult::Fail("invalid_format");
    };
    if !(1..=31).contains(&day) || !(1..=12).contains(&month) {
        return CheckResult::Fail("invalid_format");
    }
    if !time::is_valid_date(year, month, day) {
        return CheckResult::Fail("invalid_date");
    }
    if !allow_future && (year, month, day) > at.date() {
        let text = format!("{year:04}-{month:02}-{day:02}T00:00:00Z");
        return match Timestamp::parse(&text) {
            Ok(valid_from) => CheckResult::NotYet(valid_from),
            Err(_) => CheckResult::Fail("invalid_date"),
        };
    }
    CheckResult::Pass
}

/// ASCII digits only, between `min_len` and `max_len` of them.
fn parse_digits(text: &str, min_len: usize, max_len: usize) -> Option<i64> {
    if !(min_len..=max_len).contains(&text.len()) || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> Timestamp {
        Timestamp::parse("2026-11-22T12:00:00Z").unwrap()
    }

    #[track_caller]
    fn check(check: &Check, json: &str, expected: Result<(), &str>) {
        let value = Json::parse(json, &crate::Limits::DEFAULT).unwrap();
        let actual = match run_check(check, &value, at()) {
            CheckResult::Pass => Ok(()),
            CheckResult::Fail(code) => Err(code),
            CheckResult::NotYet(_) => Err("not_yet"),
        };
        assert_eq!(actual, expected, "value {json}");
    }

    #[test]
    fn non_empty() {
        check(&Check::NonEmpty, r#""Jane""#, Ok(()));
        check(&Check::NonEmpty, r#""""#, Err("empty"));
        check(&Check::NonEmpty, r#""  \t""#, Err("empty"));
        check(&Check::NonEmpty, "[]", Err("empty"));
        check(&Check::NonEmpty, "{}", Err("empty"));
        check(&Check::NonEmpty, "0", Ok(()));
    }

    #[test]
    fn one_of() {
        let values = || Check::OneOf(vec!["salary".into(), "savings".into()]);
        check(&values(), r#""salary""#, Ok(()));
        check(&values(), r#""employment""#, Err("value_not_allowed"));
        check(&values(), r#""Salary""#, Err("value_not_allowed"));
        check(&values(), "1", Err("invalid_type"));
    }

    #[test]
    fn pattern() {
        let ssn = || {
            Check::Pattern(
                crate::pattern::Pattern::new(
                    r"^([0-9]{3}-[0-9]{2}-[0-9]{4}|\*\*\*-\*\*-[0-9]{4})$",
                )
                .unwrap(),
            )
        };
        check(&ssn(), r#""123-45-6789""#, Ok(()));
        check(&ssn(), r#""***-**-6789""#, Ok(()));
        check(&ssn(), r#""123456789""#, Err("invalid_format"));
        check(&ssn(), "123456789", Err("invalid_type"));
    }

    #[test]
    fn length_counts_characters() {
        let bounds = || Check::Length {
            min: Some(2),
            max: Some(3),
        };
        check(&bounds(), r#""ab""#, Ok(()));
        check(&bounds(), r#""ééé""#, Ok(()));
        check(&bounds(), r#""a""#, Err("too_short"));
        check(&bounds(), r#""abcd""#, Err("too_long"));
        check(&bounds(), "[]", Err("invalid_type"));
    }

    #[test]
    fn ip_address() {
        check(&Check::IpAddress, r#""203.0.113.10""#, Ok(()));
        check(&Check::IpAddress, r#""2001:db8::1""#, Ok(()));
        check(
            &Check::IpAddress,
            r#""999.1.1.1""#,
            Err("invalid_ip_address"),
        );
        check(
            &Check::IpAddress,
            r#""203.0.113.10 ""#,
            Err("invalid_ip_address"),
        );
        check(&Check::IpAddress, "true", Err("invalid_type"));
    }

    #[test]
    fn date_parts() {
        let dob = || Check::DateParts {
            allow_future: false,
        };
        check(
            &dob(),
            r#"{"day": "7", "month": "7", "year": "1990"}"#,
            Ok(()),
        );
        check(
            &dob(),
            r#"{"day": "07", "month": "07", "year": "1990"}"#,
            Ok(()),
        );
        check(
            &dob(),
            r#"{"day": "29", "month": "2", "year": "2024"}"#,
            Ok(()),
        );
        check(
            &dob(),
            r#"{"day": "29", "month": "2", "year": "2023"}"#,
            Err("invalid_date"),
        );
        check(
            &dob(),
            r#"{"day": "31", "month": "02", "year": "1990"}"#,
            Err("invalid_date"),
        );
        check(
            &dob(),
            r#"{"day": "32", "month": "1", "year": "1990"}"#,
            Err("invalid_format"),
        );
        check(
            &dob(),
            r#"{"day": "0", "month": "1", "year": "1990"}"#,
            Err("invalid_format"),
        );
        check(
            &dob(),
            r#"{"day": "007", "month": "1", "year": "1990"}"#,
            Err("invalid_format"),
        );
        check(
            &dob(),
            r#"{"day": "1", "month": "13", "year": "1990"}"#,
            Err("invalid_format"),
        );
        check(
            &dob(),
            r#"{"day": "1", "month": "1", "year": "90"}"#,
            Err("invalid_format"),
        );
        check(
            &dob(),
            r#"{"day": "+1", "month": "1", "year": "1990"}"#,
            Err("invalid_format"),
        );
        check(
            &dob(),
            r#"{"day": "1", "month": "1"}"#,
            Err("incomplete_date"),
        );
        check(
            &dob(),
            r#"{"day": 1, "month": "1", "year": "1990"}"#,
            Err("invalid_type"),
        );
        check(&dob(), r#""1990-01-01""#, Err("invalid_type"));
        check(
            &dob(),
            r#"{"day": "22", "month": "11", "year": "2026"}"#,
            Ok(()),
        );
        check(
            &dob(),
            r#"{"day": "23", "month": "11", "year": "2026"}"#,
            Err("not_yet"),
        );
        check(
            &Check::DateParts { allow_future: true },
            r#"{"day": "1", "month": "1", "year": "2990"}"#,
            Ok(()),
        );
    }
}
