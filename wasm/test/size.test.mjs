// The size budgets of the shipped modules: the runtime (what a customer-facing page loads) at
// most 200 KB gzipped; the authoring module (runtime plus diff and runTests) at most 250 KB.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";

import { wasmDir } from "./helpers.mjs";

const BUDGETS_GZIPPED = { capgate_bg: 200 * 1000, capgate_authoring_bg: 250 * 1000 };

for (const [name, budget] of Object.entries(BUDGETS_GZIPPED)) {
  test(`${name}.wasm fits its size budget`, () => {
    const bytes = readFileSync(join(wasmDir, "pkg", `${name}.wasm`));
    const gzipped = gzipSync(bytes, { level: 9 }).length;
    console.log(`${name}.wasm: ${bytes.length} bytes raw, ${gzipped} bytes gzipped (budget ${budget})`);
    assert.ok(gzipped <= budget, `${gzipped} bytes gzipped is over the ${budget}-byte budget`);
  });
}

test("the package ships the two modules, listed in package.json", () => {
  const manifest = JSON.parse(readFileSync(join(wasmDir, "pkg", "package.json"), "utf8"));
  assert.deepEqual(manifest.files.filter((f) => f.endsWith(".wasm")), ["capgate_bg.wasm", "capgate_authoring_bg.wasm"]);
  assert.equal(manifest.exports["."].node.default, "./node.js");
  assert.equal(manifest.exports["."].default, "./capgate.js");
  assert.equal(manifest.exports["./authoring"].node.default, "./authoring-node.js");
  assert.equal(manifest.exports["./authoring"].default, "./capgate_authoring.js");
  for (const file of manifest.files) assert.ok(existsSync(join(wasmDir, "pkg", file)), file);
  assert.equal(manifest.types, "./capgate.d.ts");
});
