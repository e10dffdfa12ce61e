// Differential test: for every snapshot of the core's corpus, the WASM build and the native
// CLI produce byte-for-byte the same JSON (evaluation, and the decision for every operation).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { Engine } from "../pkg/node.js";
import { corpusDir, evalCases, runCli } from "./helpers.mjs";

const engine = Engine.default();

test("the corpus is not empty", () => {
  assert.ok(evalCases().length >= 40);
});

for (const { name, at, snapshot } of evalCases()) {
  test(`eval and check agree with the CLI: ${name}`, () => {
    const text = JSON.stringify(snapshot);
    const native = runCli(["eval", "--at", at, "-"], text);
    assert.equal(native.status, 0, native.stderr);
    assert.equal(engine.evaluateJson(text, at) + "\n", native.stdout);
    for (const operation of engine.operations) {
      const decision = runCli(["check", "--operation", operation, "--at", at, "-"], text);
      assert.ok(decision.status === 0 || decision.status === 1, decision.stderr);
      assert.equal(engine.checkJson(text, operation, at) + "\n", decision.stdout, operation);
    }
  });
}

test("malformed snapshots fail with the same code in both", () => {
  const dir = join(corpusDir, "invalid-snapshots");
  for (const file of readdirSync(dir).sort()) {
    const text = readFileSync(join(dir, file), "utf8");
    const native = runCli(["eval", "--at", "2026-11-22T12:00:00Z", "-"], text);
    assert.equal(native.status, 2, file);
    assert.equal(native.stdout, "", file);
    let code;
    try {
      engine.evaluateJson(text, "2026-11-22T12:00:00Z");
    } catch (error) {
      code = error.code;
    }
    assert.ok(code, `${file}: the WASM build accepted it`);
    assert.ok(native.stderr.includes(`${code}:`), `${file}: CLI said ${native.stderr}, WASM said ${code}`);
  }
});
