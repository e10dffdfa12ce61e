//! The `capgate` binary: exit codes, stdout/stderr discipline, file and directory handling.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "tests fail by panicking, read and write their own files and run the binary"
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const AT: &str = "2026-11-22T12:00:00Z";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Runs `capgate` with `args` (paths relative to the repository root) and `stdin`.
#[track_caller]
fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_capgate"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that rejects its arguments may exit before reading stdin: a broken pipe here
    // is not the test's concern (its exit code and output are).
    if let Err(error) = child.stdin.take().unwrap().write_all(stdin) {
        assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe, "{error}");
    }
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// Asserts a bad-input exit: code 2, nothing on stdout, the message on stderr.
#[track_caller]
fn assert_bad_input(output: &Output, stderr_contains: &str) {
    assert_eq!(
        output.status.code(),
        Some(2),
        "stderr: {}",
        text(&output.stderr)
    );
    assert!(output.stdout.is_empty(), "stdout: {}", text(&output.stdout));
    let stderr = text(&output.stderr);
    assert!(stderr.contains(stderr_contains), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("capgate-cli-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn eval_prints_the_wire_json_and_matches_the_library() {
    let output = run(&["eval", "--at", AT, "examples/draft.json"], b"");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(output.stderr.is_empty());
    let snapshot = std::fs::read_to_string(root().join("examples/draft.json")).unwrap();
    let expected =
        capgate::wire::evaluate_json(&capgate::RuleSet::builtin(), &snapshot, AT).unwrap();
    assert_eq!(text(&output.stdout), format!("{expected}\n"));
}

#[test]
fn eval_reads_stdin_and_skips_a_byte_order_mark() {
    let snapshot = std::fs::read(root().join("examples/provider.json")).unwrap();
    let from_file = run(&["eval", "--at", AT, "examples/provider.json"], b"");
    let from_stdin = run(&["eval", "--at", AT, "-"], &snapshot);
    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend_from_slice(&snapshot);
    let from_bom = run(&["eval", "--at", AT], &with_bom);
    assert_eq!(from_file.status.code(), Some(0));
    assert_eq!(from_file.stdout, from_stdin.stdout);
    assert_eq!(from_file.stdout, from_bom.stdout);
}

#[test]
fn eval_human_format_shows_what_each_capability_waits_on() {
    let output = run(
        &[
            "eval",
            "--at",
            AT,
            "--format",
            "human",
            "examples/blocked.json",
        ],
        b"",
    );
    assert_eq!(output.status.code(), Some(0));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("CAPABILITY"), "{stdout}");
    assert!(
        stdout.contains("transferFiat        yes        inactive     no resolution available"),
        "{stdout}"
    );
    assert!(stdout.contains("fullSsn      rejected"), "{stdout}");
}

#[test]
fn check_exits_0_when_allowed_and_1_when_denied() {
    let allowed = serde_json::json!({
        "capabilities": {"custodyFiat": {"requested": true, "status": "active"}},
        "requirements": {},
        "tosAcceptances": [{"versionId": "us_individual_2026-05-29", "language": "en", "acceptedAt": "2026-01-01T00:00:00Z"}],
        "compliance": {"requesterIpAddress": "203.0.113.10"}
    });
    let output = run(
        &[
            "check",
            "--operation",
            "createFiatDepositDestination",
            "--at",
            AT,
        ],
        allowed.to_string().as_bytes(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let decision: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(decision["allowed"], true);

    let output = run(
        &[
            "check",
            "--operation",
            "createCustomerAccount",
            "--at",
            AT,
            "examples/blocked.json",
        ],
        b"",
    );
    assert_eq!(output.status.code(), Some(1));
    let decision: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(decision["errorType"], "customer_not_authorized");
    assert_eq!(
        decision["unauthorizedCapabilities"],
        serde_json::json!(["custodyCrypto", "custodyFiat", "custodyStablecoin"])
    );
}

#[test]
fn unknown_operation_is_bad_input() {
    let output = run(
        &[
            "check",
            "--operation",
            "launchRocket",
            "--at",
            AT,
            "examples/draft.json",
        ],
        b"",
    );
    assert_bad_input(&output, "CG301: unknown operation `launchRocket`");
}

#[test]
fn malformed_snapshots_exit_2_with_a_located_message_and_no_value() {
    let output = run(
        &["eval", "--at", AT],
        br#"{"individual": {"fullSsn": "123-45-6789"}"#,
    );
    assert_bad_input(&output, "CG201");
    assert!(!text(&output.stderr).contains("123-45-6789"));

    let output = run(
        &["eval", "--at", AT],
        br#"{"individual": {"fullSsn": 123456789}}"#,
    );
    assert_bad_input(
        &output,
        "<stdin>: CG202: expected a string at /individual/fullSsn, found a number",
    );
    assert!(!text(&output.stderr).contains("123456789"));

    let output = run(&["eval", "--at", AT], b"\xff\xfe{}");
    assert_bad_input(&output, "not valid UTF-8");

    let output = run(&["eval", "--at", AT, "no/such/file.json"], b"");
    assert_bad_input(&output, "no/such/file.json");
}

#[test]
fn bad_evaluation_time_is_bad_input() {
    let output = run(
        &["eval", "--at", "2026-11-22T12:00:00", "examples/draft.json"],
        b"",
    );
    assert_bad_input(
        &output,
        "CG302: invalid evaluation time: missing zone offset",
    );
}

#[test]
fn broken_rule_files_exit_2_listing_every_problem() {
    let output = run(
        &[
            "eval",
            "--at",
            AT,
            "--rules",
            "tests/corpus/invalid-rules/unknown-keys.toml",
            "examples/draft.json",
        ],
        b"",
    );
    assert_bad_input(
        &output,
        "tests/corpus/invalid-rules/unknown-keys.toml:4:1: CG102: unknown key `chekcs`",
    );
    assert!(
        text(&output.stderr).contains("(4 problem(s))"),
        "{}",
        text(&output.stderr)
    );

    let output = run(
        &["lint", "--rules", "tests/corpus/invalid-rules/cycles.toml"],
        b"",
    );
    assert_bad_input(&output, "cycles.toml:4:9: CG107: group cycle");

    let output = run(
        &[
            "lint",
            "--format",
            "json",
            "--rules",
            "tests/corpus/invalid-rules/cycles.toml",
        ],
        b"",
    );
    assert_bad_input(&output, r#""code":"CG107""#);
}

#[test]
fn lint_accepts_the_default_rules_and_directories_of_rules() {
    let output = run(&["lint"], b"");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(text(&output.stdout), "ok: 1 rule source(s), no problems\n");

    let output = run(&["lint", "--rules", "rules"], b"");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));

    let empty = temp_dir("empty");
    let output = run(&["lint", "--rules", empty.to_str().unwrap()], b"");
    assert_bad_input(&output, "no `*.toml` rule files");
}

#[test]
fn policy_files_layer_on_the_default_rules() {
    let dir = temp_dir("policy");
    let policy = dir.join("policy.toml");
    std::fs::write(
        &policy,
        "[requirements.employerName]\npath = \"individual.employerName\"\nverified_by = \"platform\"\n\
         [extend.capabilities.custodyCrypto]\nrequirements = [\"employerName\"]\n",
    )
    .unwrap();
    let output = run(
        &[
            "eval",
            "--at",
            AT,
            "--policy",
            policy.to_str().unwrap(),
            "examples/draft.json",
        ],
        b"",
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let evaluation: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        evaluation["requirements"]["employerName"]["impact"],
        serde_json::json!(["custodyCrypto"])
    );
    assert_eq!(evaluation["ruleset"]["id"], "coinbase-customers");
}

#[test]
fn without_at_the_cli_uses_the_clock() {
    let output = run(&["eval", "examples/draft.json"], b"");
    assert_eq!(output.status.code(), Some(0));
    let evaluation: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let at = evaluation["at"].as_str().unwrap();
    assert!(
        capgate::Timestamp::parse(at).unwrap()
            > capgate::Timestamp::parse("2026-01-01T00:00:00Z").unwrap()
    );
}

#[test]
fn usage_errors_exit_2_with_nothing_on_stdout() {
    let output = run(&["eval", "--format", "yaml"], b"");
    assert_bad_input(&output, "invalid value 'yaml'");
    let output = run(&["check", "examples/draft.json"], b"");
    assert_bad_input(&output, "--operation");
}

#[test]
fn changes_prints_the_events_between_two_snapshots() {
    // The provider activates tradeCrypto once the occupation it asked for is verified.
    let old = std::fs::read_to_string(root().join("examples/provider.json")).unwrap();
    let mut new: serde_json::Value = serde_json::from_str(&old).unwrap();
    new["capabilities"]["tradeCrypto"]["status"] = serde_json::json!("active");
    new["requirements"]
        .as_object_mut()
        .unwrap()
        .remove("occupation");
    let dir = temp_dir("changes");
    let new_path = dir.join("new.json");
    std::fs::write(&new_path, new.to_string()).unwrap();

    let output = run(
        &[
            "changes",
            "--at",
            AT,
            "examples/provider.json",
            new_path.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(output.stderr.is_empty());
    let expected =
        capgate::wire::changes_json(&capgate::RuleSet::builtin(), &old, &new.to_string(), AT)
            .unwrap();
    assert_eq!(text(&output.stdout), format!("{expected}\n"));
    let events: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let id = "customer_3f6c2a91-7d4e-4b8a-a1c5-92e07b4d6f18";
    assert_eq!(
        events,
        serde_json::json!([
            {"eventType": "customers.capability.changed",
             "data": {"customerId": id, "capabilities": [{"code": "tradeCrypto", "status": "active"}]}},
            {"eventType": "customers.requirement.changed",
             "data": {"customerId": id, "requirements": [{"field": "occupation", "status": "cleared"}]}}
        ])
    );

    // The same snapshot twice (one from stdin): no events.
    let snapshot = std::fs::read(root().join("examples/provider.json")).unwrap();
    let output = run(
        &["changes", "--at", AT, "examples/provider.json", "-"],
        &snapshot,
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "[]\n");

    // Bad input: exit 2, nothing on stdout.
    let output = run(
        &["changes", "--at", AT, "examples/provider.json", "-"],
        br#"{"capabilities": []}"#,
    );
    assert_bad_input(&output, "<stdin>: CG202");
    let output = run(
        &[
            "changes",
            "--at",
            AT,
            "examples/provider.json",
            "no/such/file.json",
        ],
        b"",
    );
    assert_bad_input(&output, "no/such/file.json");
    let output = run(&["changes", "--at", AT, "-", "-"], b"{}");
    assert_bad_input(&output, "cannot both be `-`");
    let output = run(
        &[
            "changes",
            "--at",
            "tomorrow",
            "examples/provider.json",
            "examples/provider.json",
        ],
        b"",
    );
    assert_bad_input(&output, "CG302");
    let output = run(&["changes", "examples/provider.json"], b"");
    assert_bad_input(&output, "<NEW>");
}

#[test]
fn explain_prints_the_tree_and_the_unlock_plan() {
    let output = run(
        &[
            "explain",
            "--capability",
            "tradeCrypto",
            "--at",
            AT,
            "--format",
            "human",
            "examples/draft.json",
        ],
        b"",
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("[NO] capability tradeCrypto: pending"),
        "{stdout}"
    );
    assert!(stdout.contains("[NO] requirement expectedVolume: value_not_allowed (/individual/expectedVolume) [customer]"), "{stdout}");
    assert!(
        stdout.contains("correct expectedVolume (value_not_allowed) at /individual/expectedVolume"),
        "{stdout}"
    );
    assert!(
        stdout.contains("then the provider activates: tradeCrypto"),
        "{stdout}"
    );

    let output = run(
        &[
            "explain",
            "--operation",
            "sendFiatTransfer",
            "--at",
            AT,
            "examples/blocked.json",
        ],
        b"",
    );
    assert_eq!(output.status.code(), Some(0));
    let explanation: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(explanation["plan"]["available"], false);
    assert_eq!(explanation["plan"]["steps"], serde_json::json!([]));

    let output = run(
        &[
            "explain",
            "--capability",
            "stakeCrypto",
            "--at",
            AT,
            "examples/draft.json",
        ],
        b"",
    );
    assert_bad_input(&output, "CG303: unknown capability `stakeCrypto`");
    let output = run(&["explain", "--at", AT, "examples/draft.json"], b"");
    assert_bad_input(&output, "--capability");
}

/// A snapshot per line for the `--ndjson` tests: a provider snapshot with `id` as customer.
fn ndjson_snapshot(id: usize) -> String {
    serde_json::json!({
        "customerId": format!("customer_{id}"),
        "capabilities": {"custodyFiat": {"requested": true, "status": "active"}},
        "requirements": {},
        "tosAcceptances": [{"versionId": "us_individual_2026-05-29", "language": "en", "acceptedAt": "2026-01-01T00:00:00Z"}]
    })
    .to_string()
}

#[test]
fn eval_ndjson_reports_a_malformed_line_in_place_and_goes_on() {
    let first = ndjson_snapshot(1);
    let third = std::fs::read_to_string(root().join("examples/draft.json"))
        .unwrap()
        .replace('\n', " ");
    let input = format!("{first}\n{{\"individual\": {{\"fullSsn\": 123-45-6789\n{third}\n");
    let output = run(&["eval", "--ndjson", "--at", AT], input.as_bytes());
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));

    let stdout = text(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    let rules = capgate::RuleSet::builtin();
    assert_eq!(
        lines[0],
        capgate::wire::evaluate_json_compact(&rules, &first, AT).unwrap()
    );
    assert_eq!(
        lines[2],
        capgate::wire::evaluate_json_compact(&rules, &third, AT).unwrap()
    );
    let error: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(error["line"], 2);
    assert_eq!(error["error"]["code"], "CG201");
    assert!(error["error"]["message"].is_string(), "{error}");
    assert_eq!(error["error"]["path"], "");

    let stderr = text(&output.stderr);
    assert!(stderr.contains("<stdin>:2: CG201: "), "{stderr}");
    assert!(!stderr.contains("123-45-6789"), "{stderr}");
    assert!(!stdout.contains("123-45-6789"), "{stdout}");
    assert!(
        stderr.ends_with("capgate: 3 snapshots, 2 evaluated, 1 malformed\n"),
        "{stderr}"
    );
}

#[test]
fn eval_ndjson_exits_0_when_every_line_evaluates_and_reads_files() {
    let input: String = (0..3).map(|id| ndjson_snapshot(id) + "\n").collect();
    let output = run(&["eval", "--ndjson", "--at", AT], input.as_bytes());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    for line in stdout.lines() {
        let evaluation: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(evaluation["allowed"], serde_json::json!(["custodyFiat"]));
    }
    assert_eq!(
        text(&output.stderr),
        "capgate: 3 snapshots, 3 evaluated, 0 malformed\n"
    );

    // The same from a file, with `--format json` (the default) spelled out.
    let dir = temp_dir("ndjson-file");
    let file = dir.join("customers.ndjson");
    std::fs::write(&file, &input).unwrap();
    let from_file = run(
        &[
            "eval",
            "--ndjson",
            "--format",
            "json",
            "--at",
            AT,
            file.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(from_file.status.code(), Some(0));
    assert_eq!(from_file.stdout, output.stdout);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn eval_ndjson_skips_blank_lines_but_numbers_lines_as_read() {
    let input = format!(
        "{}\n\n   \r\n{}\r\n[]\n",
        ndjson_snapshot(1),
        ndjson_snapshot(2)
    );
    let output = run(&["eval", "--ndjson", "--at", AT], input.as_bytes());
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    let rules = capgate::RuleSet::builtin();
    assert_eq!(
        lines[1],
        capgate::wire::evaluate_json_compact(&rules, &ndjson_snapshot(2), AT).unwrap()
    );
    // The error object and the message carry the input line number (5), blank lines included.
    let error: serde_json::Value = serde_json::from_str(lines[2]).unwrap();
    assert_eq!(error["line"], 5);
    assert_eq!(error["error"]["code"], "CG202");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("<stdin>:5: CG202: "), "{stderr}");
    assert!(
        stderr.ends_with("capgate: 3 snapshots, 2 evaluated, 1 malformed\n"),
        "{stderr}"
    );
}

#[test]
fn eval_ndjson_bad_input_exits_2_with_nothing_on_stdout() {
    // No input: the command fails before reading any (writing some could hit a closed pipe).
    let output = run(&["eval", "--ndjson", "--format", "human", "--at", AT], b"");
    assert_bad_input(&output, "--ndjson");
    let output = run(
        &["eval", "--ndjson", "--at", AT, "no/such/file.ndjson"],
        b"",
    );
    assert_bad_input(&output, "no/such/file.ndjson");
    let output = run(
        &[
            "eval",
            "--ndjson",
            "--at",
            AT,
            "--rules",
            "no/such/rules.toml",
        ],
        b"",
    );
    assert_bad_input(&output, "no/such/rules.toml");
    let output = run(&["eval", "--ndjson", "--at", "2026-11-22"], b"");
    assert_bad_input(&output, "CG302");
}

#[test]
fn eval_ndjson_streams_its_output_before_the_input_ends() {
    use std::io::BufRead;
    use std::sync::mpsc;
    use std::time::Duration;

    const LINES: usize = 20_000;
    let mut child = Command::new(env!("CARGO_BIN_EXE_capgate"))
        .args(["eval", "--ndjson", "--at", AT])
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (first_output, got_first_output) = mpsc::channel();

    // The writer sends half the input, then waits for the first result before sending the
    // rest: a CLI that read its whole input before writing would never produce it.
    let writer = std::thread::spawn(move || {
        let mut write_lines = |range: std::ops::Range<usize>| {
            let chunk: String = range.map(|id| ndjson_snapshot(id) + "\n").collect();
            stdin.write_all(chunk.as_bytes()).unwrap();
            stdin.flush().unwrap();
        };
        write_lines(0..LINES / 2);
        let streamed = got_first_output
            .recv_timeout(Duration::from_secs(60))
            .is_ok();
        write_lines(LINES / 2..LINES);
        streamed
    });
    let reader = std::thread::spawn(move || {
        let mut count = 0;
        let mut last = String::new();
        for line in std::io::BufReader::new(stdout).lines() {
            last = line.unwrap();
            if count == 0 {
                first_output.send(()).unwrap();
            }
            count += 1;
        }
        (count, last)
    });

    let streamed = writer.join().unwrap();
    let (count, last) = reader.join().unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(streamed, "no output before the end of the input");
    assert_eq!(count, LINES);
    let last: serde_json::Value = serde_json::from_str(&last).unwrap();
    assert_eq!(last["allowed"], serde_json::json!(["custodyFiat"]));
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        text(&output.stderr),
        format!("capgate: {LINES} snapshots, {LINES} evaluated, 0 malformed\n")
    );
}

#[test]
fn diff_prints_each_rule_change_classified() {
    let dir = temp_dir("diff");
    std::fs::copy(
        root().join("rules/coinbase-customers.toml"),
        dir.join("coinbase-customers.toml"),
    )
    .unwrap();
    std::fs::copy(
        root().join("rules/examples/platform-policy.toml"),
        dir.join("platform-policy.toml"),
    )
    .unwrap();
    let new = dir.to_str().unwrap();

    let output = run(&["diff", "rules/coinbase-customers.toml", new], b"");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(output.stderr.is_empty());
    let stdout = text(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 9, "{stdout}");
    assert!(lines.contains(&"stricter  capability tradeCrypto: requirement added: employerName"));
    assert!(lines.contains(&"neutral   requirement passportNumber: added"));
    assert_eq!(lines[8], "8 change(s): 3 stricter, 0 looser, 5 neutral");

    // JSON: the wire contract, the same as the library's.
    let output = run(
        &[
            "diff",
            "--format",
            "json",
            "rules/coinbase-customers.toml",
            new,
        ],
        b"",
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let policy =
        std::fs::read_to_string(root().join("rules/examples/platform-policy.toml")).unwrap();
    let builtin = capgate::Source::new(capgate::BUILTIN_RULES_NAME, capgate::BUILTIN_RULES);
    let expected = capgate::wire::diff_json(
        &[builtin],
        &[
            builtin,
            capgate::Source::new("platform-policy.toml", &policy),
        ],
    )
    .unwrap();
    assert_eq!(text(&output.stdout), format!("{expected}\n"));

    // The same rules: no changes, exit 0.
    let output = run(&["diff", "rules", "rules/coinbase-customers.toml"], b"");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "no changes\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn diff_bad_input_exits_2_with_nothing_on_stdout() {
    let output = run(&["diff", "rules/nope.toml", "rules"], b"");
    assert_bad_input(&output, "rules/nope.toml");
    let dir = temp_dir("diff-broken");
    std::fs::write(
        dir.join("broken.toml"),
        "[capabilities.x]\nrequirments = []\n",
    )
    .unwrap();
    let output = run(
        &["diff", "--format", "json", "rules", dir.to_str().unwrap()],
        b"",
    );
    assert_bad_input(&output, "CG102");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A temp directory holding the default rules plus the example platform policy, which adds
/// requirements to `tradeCrypto`: `--from rules --to` it makes trading stricter.
fn stricter_rules(name: &str) -> PathBuf {
    let dir = temp_dir(name);
    for file in [
        "rules/coinbase-customers.toml",
        "rules/examples/platform-policy.toml",
    ] {
        let from = root().join(file);
        std::fs::copy(&from, dir.join(from.file_name().unwrap())).unwrap();
    }
    dir
}

/// The provider example with `tradeCrypto` active and nothing outstanding, as customer `id`.
fn trading_snapshot(id: &str) -> String {
    let text = std::fs::read_to_string(root().join("examples/provider.json")).unwrap();
    let mut snapshot: serde_json::Value = serde_json::from_str(&text).unwrap();
    snapshot["customerId"] = id.into();
    snapshot["capabilities"]["tradeCrypto"]["status"] = "active".into();
    snapshot["requirements"] = serde_json::json!({});
    snapshot.to_string()
}

/// The snapshot of a `tests/corpus/eval` case, on one line.
fn corpus_case(name: &str) -> String {
    let text = std::fs::read_to_string(root().join("tests/corpus/eval").join(name)).unwrap();
    let case: serde_json::Value = serde_json::from_str(&text).unwrap();
    case["snapshot"].to_string()
}

/// Runs `impact` over `lines` (written to a temp file) with `args` before the corpus.
#[track_caller]
fn impact(name: &str, args: &[&str], lines: &[String]) -> (Output, PathBuf) {
    let dir = temp_dir(name);
    let corpus = dir.join("corpus.ndjson");
    std::fs::write(&corpus, lines.join("\n") + "\n").unwrap();
    let mut all = vec!["impact", "--at", AT];
    all.extend_from_slice(args);
    all.push(corpus.to_str().unwrap());
    (run(&all, b""), corpus)
}

#[test]
fn impact_counts_who_loses_a_capability_under_a_stricter_policy() {
    let stricter = stricter_rules("impact-stricter");
    let lines = [
        trading_snapshot("customer_a"),
        corpus_case("01-empty-draft.json"),
        ndjson_snapshot(1),
        trading_snapshot("customer_b"),
    ];
    let to = stricter.to_str().unwrap();
    let (output, _) = impact(
        "impact-counts",
        &["--from", "rules", "--to", to, "--format", "json"],
        &lines,
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        report["capabilities"],
        serde_json::json!({"tradeCrypto": {"gained": 0, "lost": 2, "examplesGained": [], "examplesLost": ["customer_a", "customer_b"]}})
    );
    assert_eq!(report["operations"]["placeCryptoTrade"]["lost"], 2);
    for key in ["bitLicenseDisclosure", "employerName", "passportNumber"] {
        assert_eq!(
            report["requirements"][key],
            serde_json::json!({"newlyOutstanding": 2, "noLongerOutstanding": 0, "examples": ["customer_a", "customer_b"]}),
            "{key}"
        );
    }
    assert_eq!(
        (
            &report["snapshots"],
            &report["evaluated"],
            &report["malformed"]
        ),
        (&4.into(), &4.into(), &0.into())
    );

    // The human table, and the reverse change, which gains what the policy took.
    let (output, _) = impact("impact-human", &["--from", "rules", "--to", to], &lines);
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("tradeCrypto       0     2  lost: customer_a, customer_b\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("snapshots  4\nevaluated  4\nmalformed  0\n"),
        "{stdout}"
    );
    let (output, _) = impact(
        "impact-reverse",
        &["--from", to, "--to", "rules", "--format", "json"],
        &lines,
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["capabilities"]["tradeCrypto"]["gained"], 2);
    assert_eq!(
        report["requirements"]["passportNumber"]["noLongerOutstanding"],
        2
    );
}

#[test]
fn impact_of_identical_rules_is_empty() {
    let lines = [
        trading_snapshot("customer_a"),
        corpus_case("02-minimal-create.json"),
        ndjson_snapshot(2),
    ];
    let args = ["--from", "rules", "--to", "rules/coinbase-customers.toml"];
    let (output, _) = impact("impact-same-human", &args, &lines);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        "capabilities: no change\n\noperations: no change\n\nrequirements: no change\n\n\
         snapshots  3\nevaluated  3\nmalformed  0\n"
    );
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let (output, _) = impact("impact-same-json", &json_args, &lines);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        report,
        serde_json::json!({"snapshots": 3, "evaluated": 3, "malformed": 0,
                           "capabilities": {}, "operations": {}, "requirements": {}})
    );
}

#[test]
fn impact_reports_a_malformed_line_with_its_number_and_goes_on() {
    let stricter = stricter_rules("impact-malformed-rules");
    let lines = [
        trading_snapshot("customer_a"),
        String::new(),
        "{not json".to_owned(),
        trading_snapshot("customer_b"),
    ];
    let to = stricter.to_str().unwrap();
    let (output, corpus) = impact(
        "impact-malformed",
        &["--from", "rules", "--to", to, "--format", "json"],
        &lines,
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!("{}:3: CG201: ", corpus.display())),
        "{stderr}"
    );
    assert!(!stderr.contains(":2:"), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        (
            &report["snapshots"],
            &report["evaluated"],
            &report["malformed"]
        ),
        (&3.into(), &2.into(), &1.into())
    );
    assert_eq!(report["capabilities"]["tradeCrypto"]["lost"], 2);
}

#[test]
fn impact_json_has_the_documented_keys_and_is_deterministic() {
    let stricter = stricter_rules("impact-keys-rules");
    let lines: Vec<String> = (0..12)
        .map(|n| trading_snapshot(&format!("customer_{n}")))
        .chain([corpus_case("01-empty-draft.json")])
        .collect();
    let to = stricter.to_str().unwrap();
    let args = ["--from", "rules", "--to", to, "--format", "json"];
    let (first, _) = impact("impact-keys", &args, &lines);
    let (second, _) = impact("impact-keys", &args, &lines);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    assert_eq!(first.stdout, second.stdout);
    let report: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    let keys: Vec<&String> = report.as_object().unwrap().keys().collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert_eq!(
        sorted,
        [
            "capabilities",
            "evaluated",
            "malformed",
            "operations",
            "requirements",
            "snapshots"
        ]
    );
    let trade = &report["capabilities"]["tradeCrypto"];
    let mut trade_keys: Vec<&String> = trade.as_object().unwrap().keys().collect();
    trade_keys.sort();
    assert_eq!(
        trade_keys,
        ["examplesGained", "examplesLost", "gained", "lost"]
    );
    assert_eq!(trade["lost"], 12);
    assert_eq!(
        trade["examplesLost"],
        serde_json::json!(["customer_0", "customer_1", "customer_2"])
    );
    let mut requirement_keys: Vec<&String> = report["requirements"]["passportNumber"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    requirement_keys.sort();
    assert_eq!(
        requirement_keys,
        ["examples", "newlyOutstanding", "noLongerOutstanding"]
    );
    let (human_first, _) = impact("impact-keys", &args[..4], &lines);
    let (human_second, _) = impact("impact-keys", &args[..4], &lines);
    assert_eq!(human_first.stdout, human_second.stdout);
}

#[test]
fn impact_streams_a_large_corpus_across_chunks() {
    const LINES: usize = 20_000;
    let stricter = stricter_rules("impact-large-rules");
    let mut corpus = String::new();
    for n in 0..LINES {
        let line = serde_json::json!({
            "customerId": format!("c{n}"),
            "capabilities": {"tradeCrypto": {"requested": true, "status": "active"}},
            "requirements": {}
        });
        corpus.push_str(&line.to_string());
        corpus.push('\n');
    }
    let to = stricter.to_str().unwrap();
    let output = run(
        &[
            "impact", "--at", AT, "--from", "rules", "--to", to, "--format", "json", "-",
        ],
        corpus.as_bytes(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["snapshots"], LINES);
    assert_eq!(report["evaluated"], LINES);
    assert_eq!(
        report["requirements"]["passportNumber"],
        serde_json::json!({"newlyOutstanding": LINES, "noLongerOutstanding": 0, "examples": ["c0", "c1", "c2"]})
    );
    assert_eq!(
        text(&output.stderr),
        format!("capgate: {LINES} snapshots, {LINES} evaluated, 0 malformed\n")
    );
}

#[test]
fn impact_bad_input_exits_2_with_nothing_on_stdout() {
    let lines = [ndjson_snapshot(1)];
    let args = ["--from", "rules", "--to", "rules"];
    let (output, corpus) = impact("impact-bad", &args, &lines);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let corpus = corpus.to_str().unwrap();
    let output = run(
        &[
            "impact",
            "--from",
            "rules",
            "--to",
            "rules",
            "--at",
            "yesterday",
            corpus,
        ],
        b"",
    );
    assert_bad_input(&output, "CG302");
    let output = run(
        &[
            "impact",
            "--from",
            "rules",
            "--to",
            "no/such/rules.toml",
            corpus,
        ],
        b"",
    );
    assert_bad_input(&output, "no/such/rules.toml");
    let output = run(
        &[
            "impact",
            "--from",
            "rules",
            "--to",
            "rules",
            "no/such/corpus.ndjson",
        ],
        b"",
    );
    assert_bad_input(&output, "no/such/corpus.ndjson");
    let broken = temp_dir("impact-broken-rules");
    std::fs::write(broken.join("broken.toml"), "[ruleset\n").unwrap();
    let output = run(
        &[
            "impact",
            "--from",
            "rules",
            "--to",
            broken.to_str().unwrap(),
            corpus,
        ],
        b"",
    );
    assert_bad_input(&output, "CG101");
}

#[test]
fn test_runs_rule_tests_with_coverage() {
    let dir = temp_dir("ruletest");
    let tests = dir.join("tests.toml");
    std::fs::write(
        &tests,
        r#"
[[test]]
name = "nothing requested"
snapshot = '{}'
[test.expect]
allowed = []

[[test]]
name = "a wrong expectation"
snapshot = '{"capabilities": {"custodyFiat": {"requested": true}}}'
operation = "createFiatDepositDestination"
[test.expect]
capabilities = { custodyFiat = "active" }
requirements = { fullSsn = "met" }
decision = "allowed"
"#,
    )
    .unwrap();
    let output = run(&["test", tests.to_str().unwrap()], b"");
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("ok    nothing requested"), "{stdout}");
    assert!(stdout.contains("FAIL  a wrong expectation"), "{stdout}");
    assert!(
        stdout.contains(r#"capabilities.custodyFiat: expected "active", got "pending""#),
        "{stdout}"
    );
    assert!(
        stdout.contains(r#"requirements.fullSsn: expected "met", got "due""#),
        "{stdout}"
    );
    assert!(
        stdout.contains(r#"decision: expected "allowed", got "customer_not_authorized""#),
        "{stdout}"
    );
    assert!(stdout.contains("1 passed, 1 failed"), "{stdout}");
    assert!(stdout.contains("coverage: "), "{stdout}");

    let output = run(&["test", "--format", "json", tests.to_str().unwrap()], b"");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["results"][1]["passed"], false);
    assert!(report["coverage"]["percent"].as_f64().unwrap() < 100.0);

    std::fs::write(&tests, "[[test]]\nnmae = \"x\"\nsnapshot = '{}'\n").unwrap();
    let output = run(&["test", tests.to_str().unwrap()], b"");
    assert_bad_input(&output, "CG102");
}

/// Every snapshot of the evaluation corpus, one per line, plus provider-active traders.
fn corpus_lines() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("tests/corpus/eval"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut lines: Vec<String> = names.iter().map(|name| corpus_case(name)).collect();
    lines.push(trading_snapshot("customer_trader_1"));
    lines.push(trading_snapshot("customer_trader_2"));
    lines
}

#[test]
fn impact_counts_equal_the_per_snapshot_differences() {
    let stricter = stricter_rules("impact-property");
    let lines = corpus_lines();
    let (output, _) = impact(
        "impact-property-run",
        &[
            "--from",
            "rules",
            "--to",
            stricter.to_str().unwrap(),
            "--format",
            "json",
        ],
        &lines,
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();

    // The same counts, computed one snapshot at a time with the library.
    let policy =
        std::fs::read_to_string(root().join("rules/examples/platform-policy.toml")).unwrap();
    let old = capgate::RuleSet::builtin();
    let new = capgate::RuleSet::from_sources(&[
        capgate::Source::new(capgate::BUILTIN_RULES_NAME, capgate::BUILTIN_RULES),
        capgate::Source::new("policy.toml", &policy),
    ])
    .unwrap();
    let at = capgate::Timestamp::parse(AT).unwrap();
    let mut expected_capabilities: std::collections::BTreeMap<String, (u64, u64)> =
        std::collections::BTreeMap::new();
    let mut expected_requirements: std::collections::BTreeMap<String, (u64, u64)> =
        std::collections::BTreeMap::new();
    for line in &lines {
        let snapshot = capgate::Snapshot::from_json(line).unwrap();
        let (before, after) = (old.evaluate(&snapshot, at), new.evaluate(&snapshot, at));
        for name in new.capability_names() {
            let (was, is) = (
                before.allowed.iter().any(|a| a == name),
                after.allowed.iter().any(|a| a == name),
            );
            let entry = expected_capabilities.entry(name.to_owned()).or_default();
            entry.0 += u64::from(!was && is);
            entry.1 += u64::from(was && !is);
        }
        let mut keys: Vec<&String> = before
            .requirements
            .keys()
            .chain(after.requirements.keys())
            .collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            let (was, is) = (
                before.requirements.contains_key(key),
                after.requirements.contains_key(key),
            );
            if was != is {
                let entry = expected_requirements.entry(key.clone()).or_default();
                if is { entry.0 += 1 } else { entry.1 += 1 }
            }
        }
    }
    for (name, (gained, lost)) in &expected_capabilities {
        let reported = &report["capabilities"][name];
        assert_eq!(
            reported["gained"].as_u64().unwrap_or(0),
            *gained,
            "{name} gained"
        );
        assert_eq!(reported["lost"].as_u64().unwrap_or(0), *lost, "{name} lost");
    }
    for (key, (newly, no_longer)) in &expected_requirements {
        let reported = &report["requirements"][key];
        assert_eq!(
            reported["newlyOutstanding"].as_u64().unwrap_or(0),
            *newly,
            "{key} newly outstanding"
        );
        assert_eq!(
            reported["noLongerOutstanding"].as_u64().unwrap_or(0),
            *no_longer,
            "{key} no longer outstanding"
        );
    }
    assert_eq!(report["snapshots"], lines.len());
    assert!(
        expected_capabilities.values().any(|(_, lost)| *lost > 0),
        "the corpus exercises a loss"
    );

    // The human table over the corpus, as a reviewable snapshot.
    let (human, _) = impact(
        "impact-property-human",
        &["--from", "rules", "--to", stricter.to_str().unwrap()],
        &lines,
    );
    insta::assert_snapshot!(text(&human.stdout));
}

#[test]
fn eval_view_end_user_prints_the_library_view_in_json_and_as_a_to_do_list() {
    for example in [
        "examples/draft.json",
        "examples/provider.json",
        "examples/blocked.json",
    ] {
        let output = run(&["eval", "--view", "end-user", "--at", AT, example], b"");
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        let snapshot =
            capgate::Snapshot::from_json(&std::fs::read_to_string(root().join(example)).unwrap())
                .unwrap();
        let rules = capgate::RuleSet::builtin();
        let evaluation = rules.evaluate(&snapshot, capgate::Timestamp::parse(AT).unwrap());
        let view = capgate::EndUserView::new(&rules, &evaluation);
        assert_eq!(
            text(&output.stdout),
            format!("{}\n", capgate::wire::end_user_to_json(&view))
        );
        let human = run(
            &[
                "eval", "--view", "end-user", "--format", "human", "--at", AT, example,
            ],
            b"",
        );
        assert_eq!(human.status.code(), Some(0));
        let human = text(&human.stdout);
        for capability in &view.capabilities {
            assert!(human.contains(&format!("{}: ", capability.name)), "{human}");
        }
        assert_eq!(human.contains("To do:"), !view.tasks.is_empty(), "{human}");
        for internal in [
            "sha256:",
            "CG",
            "past_due",
            "value_not_allowed",
            "\"status\"",
        ] {
            assert!(!text(&output.stdout).contains(internal), "{internal}");
            assert!(!human.contains(internal), "{internal}");
        }
    }
    let blocked = text(
        &run(
            &[
                "eval",
                "--view",
                "end-user",
                "--format",
                "human",
                "--at",
                AT,
                "examples/blocked.json",
            ],
            b"",
        )
        .stdout,
    );
    assert!(
        blocked.contains("Provide again: Full US Social Security number (individual.fullSsn)"),
        "{blocked}"
    );
    assert!(
        blocked.contains("Accept the Terms of Service, overdue"),
        "{blocked}"
    );
    assert_bad_input(
        &run(
            &["eval", "--view", "end-user", "--ndjson", "--at", AT],
            b"{}\n",
        ),
        "cannot be used with",
    );
    assert_bad_input(
        &run(&["eval", "--view", "customer", "--at", AT], b"{}"),
        "invalid value",
    );
}

#[test]
fn limits_refuse_oversized_snapshots_with_their_code_and_nothing_on_stdout() {
    let dir = temp_dir("limits");
    let big = dir.join("big.json");
    // 3 MB: over the default 1 MiB limit, which the CLI does not read past.
    std::fs::write(&big, format!(r#"{{"note": "{}"}}"#, "x".repeat(3 << 20))).unwrap();
    let big = big.to_str().unwrap();
    assert_bad_input(&run(&["eval", "--at", AT, big], b""), "CG207");
    assert_bad_input(
        &run(
            &[
                "check",
                "--operation",
                "createCustomerAccount",
                "--at",
                AT,
                big,
            ],
            b"",
        ),
        "CG207",
    );
    let output = run(
        &["eval", "--max-snapshot-bytes", "4000000", "--at", AT, big],
        b"",
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_bad_input(
        &run(
            &["eval", "--max-snapshot-bytes", "10", "--at", AT, "-"],
            br#"{"capabilities": {}}"#,
        ),
        "CG207",
    );
    assert_bad_input(
        &run(
            &["eval", "--max-depth", "2", "--at", AT],
            br#"{"individual": {"address": {}}}"#,
        ),
        "CG205",
    );
    assert_bad_input(
        &run(
            &["eval", "--max-items", "1", "--at", AT],
            br#"{"a": 1, "b": 2}"#,
        ),
        "CG208",
    );
    // A byte-order mark does not count towards the size limit.
    let output = run(
        &["eval", "--max-snapshot-bytes", "2", "--at", AT],
        b"\xEF\xBB\xBF{}",
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    // In a stream, an oversized line is one malformed line; the run goes on.
    let output = run(
        &["eval", "--ndjson", "--max-items", "1", "--at", AT],
        b"{\"a\": 1, \"b\": 2}\n{}\n",
    );
    assert_eq!(output.status.code(), Some(1));
    let lines: Vec<String> = text(&output.stdout).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].contains("\"CG208\""), "{}", lines[0]);
    assert!(lines[1].starts_with("{\"capabilities\""), "{}", lines[1]);
    std::fs::remove_dir_all(dir).unwrap();
}
