// `capgate/authoring`: the rule-authoring methods (diff, runTests) give exactly the CLI's
// JSON, and the runtime module does not ship them.
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";

import { Engine as AuthoringEngine } from "../pkg/authoring-node.js";
import { Engine as RuntimeEngine } from "../pkg/node.js";
import { evalCases, root, runCli } from "./helpers.mjs";

const rulesPath = "rules/coinbase-customers.toml";
const policyPath = "rules/examples/platform-policy.toml";
const testsPath = "rules/tests/coinbase-customers.toml";
const source = (path) => ({ name: path, text: readFileSync(join(root, path), "utf8") });

// The CLI takes a directory for "rules plus policy": its files combine in name order.
const combined = mkdtempSync(join(tmpdir(), "capgate-authoring-"));
copyFileSync(join(root, rulesPath), join(combined, "1-coinbase-customers.toml"));
copyFileSync(join(root, policyPath), join(combined, "2-platform-policy.toml"));
after(() => rmSync(combined, { recursive: true, force: true }));

test("the runtime module does not ship the authoring methods", () => {
  assert.equal(typeof RuntimeEngine.prototype.diff, "undefined");
  assert.equal(typeof RuntimeEngine.prototype.runTests, "undefined");
  assert.equal(typeof AuthoringEngine.prototype.diff, "function");
  assert.equal(typeof AuthoringEngine.prototype.runTests, "function");
});

test("diff of a ruleset with itself is empty", () => {
  const engine = AuthoringEngine.default();
  assert.deepEqual(engine.diff(AuthoringEngine.default()), {
    changes: [],
    summary: { stricter: 0, looser: 0, neutral: 0 },
  });
});

test("diff agrees with `capgate diff --format json`, both ways", () => {
  const base = AuthoringEngine.default();
  const withPolicy = AuthoringEngine.fromSources([source(rulesPath), source(policyPath)]);
  for (const [older, newer, args] of [
    [base, withPolicy, [rulesPath, combined]],
    [withPolicy, base, [combined, rulesPath]],
  ]) {
    const native = runCli(["diff", "--format", "json", ...args]);
    assert.equal(native.status, 0, native.stderr);
    const expected = JSON.parse(native.stdout);
    assert.deepEqual(older.diff(newer), expected);
    assert.ok(expected.changes.length > 0);
  }
  const added = base.diff(withPolicy);
  assert.ok(added.summary.stricter > 0, "a policy that only adds requirements is stricter");
  assert.equal(added.summary.looser, 0);
  assert.equal(withPolicy.diff(base).summary.looser, added.summary.stricter, "reversing mirrors the classes");
});

test("runTests agrees with `capgate test --format json` on the default rules' tests", () => {
  const native = runCli(["test", "--format", "json", testsPath]);
  assert.equal(native.status, 0, native.stderr);
  const report = AuthoringEngine.default().runTests([source(testsPath)]);
  assert.deepEqual(report, JSON.parse(native.stdout));
  assert.ok(report.results.length >= 30);
  assert.ok(report.results.every((r) => r.passed));
  assert.equal(report.coverage.percent, 100);
  assert.equal(report.coverage.covered, report.coverage.items);
});

test("a failing rule test is reported, not thrown, with a readable failure", () => {
  const tests = [
    "[[test]]",
    'name = "nothing is allowed for an empty snapshot"',
    "snapshot = '{}'",
    "[test.expect]",
    'allowed = ["custodyFiat"]',
    "",
  ].join("\n");
  const report = AuthoringEngine.default().runTests([{ name: "t.toml", text: tests }]);
  assert.equal(report.results.length, 1);
  assert.equal(report.results[0].passed, false);
  assert.equal(report.results[0].location, "t.toml:1");
  assert.ok(report.results[0].failures.length > 0);
  assert.ok(report.coverage.percent < 100);
  assert.ok(report.coverage.uncovered.length > 0);
});

test("a test file that does not load throws a located CapgateError", () => {
  const engine = AuthoringEngine.default();
  assert.throws(
    () => engine.runTests([{ name: "t.toml", text: "[[test]]\nnmae = 1\n" }]),
    (error) => {
      assert.equal(error.name, "CapgateError");
      assert.equal(error.code, "CG104");
      assert.equal(error.file, "t.toml");
      assert.equal(error.line, 1, "the first problem: the test has no name");
      const typo = error.errors.find((e) => e.code === "CG102");
      assert.deepEqual([typo.line, typo.column, typo.help], [2, 1, "did you mean `name`?"]);
      assert.equal(error.errors.length, 3, "every problem is reported at once");
      return true;
    },
  );
  assert.throws(() => engine.runTests("not an array"), { code: "CG302" });
});

test("the authoring module evaluates exactly like the runtime module", () => {
  const runtime = RuntimeEngine.default();
  const authoring = AuthoringEngine.default();
  for (const { name, at, snapshot } of evalCases()) {
    const text = JSON.stringify(snapshot);
    assert.equal(authoring.evaluateJson(text, at), runtime.evaluateJson(text, at), name);
  }
});
