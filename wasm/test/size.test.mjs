// The size budget of the shipped .wasm: at most 200 KB gzipped.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";

import { wasmDir } from "./helpers.mjs";

const BUDGET_GZIPPED = 200 * 1000;

test("the .wasm fits the size budget", () => {
  const bytes = readFileSync(join(wasmDir, "pkg", "capgate_bg.wasm"));
  const gzipped = gzipSync(bytes, { level: 9 }).length;
  console.log(`capgate_bg.wasm: ${bytes.length} bytes raw, ${gzipped} bytes gzipped (budget ${BUDGET_GZIPPED})`);
  assert.ok(gzipped <= BUDGET_GZIPPED, `${gzipped} bytes gzipped is over the ${BUDGET_GZIPPED}-byte budget`);
});

test("the package ships one .wasm, listed in package.json", () => {
  const manifest = JSON.parse(readFileSync(join(wasmDir, "pkg", "package.json"), "utf8"));
  assert.deepEqual(manifest.files.filter((f) => f.endsWith(".wasm")), ["capgate_bg.wasm"]);
  assert.equal(manifest.exports["."].node.default, "./node.js");
  assert.equal(manifest.exports["."].default, "./capgate.js");
  assert.equal(manifest.types, "./capgate.d.ts");
});
