// Benchmark (not a test): `engine.evaluate` in Node, JS<->WASM marshalling included, against
// the native library on the same snapshots. Prints the median per call and the ratio.
//
//   node wasm/bench/bench.mjs        (builds the native side with cargo --release)
import { execFileSync } from "node:child_process";
import { join } from "node:path";

import { Engine } from "../pkg/node.js";
import { evalCases, root } from "../test/helpers.mjs";

const BATCHES = 15;
const BATCH_MS = 40;

/** Median over batches of the mean time per call, in nanoseconds. */
function median(fn) {
  fn();
  let calls = 1;
  for (;;) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) fn();
    if (Number(process.hrtime.bigint() - start) >= (BATCH_MS / 4) * 1e6 || calls >= 1 << 24) break;
    calls *= 2;
  }
  calls *= 4;
  const batches = [];
  for (let b = 0; b < BATCHES; b++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) fn();
    batches.push(Number(process.hrtime.bigint() - start) / calls);
  }
  batches.sort((a, b) => a - b);
  return batches[Math.floor(BATCHES / 2)];
}

const native = JSON.parse(
  execFileSync("cargo", ["run", "--quiet", "--release", "--locked", "-p", "capgate-wasm", "--example", "native_bench", "--", join(root, "tests", "corpus", "eval")], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }),
);

const engine = Engine.default();
const rows = [];
for (const { name, at, snapshot } of evalCases()) {
  const text = JSON.stringify(snapshot);
  const object = JSON.parse(text);
  const wasmObject = median(() => engine.evaluate(object, at));
  const wasmText = median(() => engine.evaluateJson(text, at));
  rows.push({ name, native: native[name], wasmObject, wasmText });
}

const geomean = (values) => Math.exp(values.reduce((sum, v) => sum + Math.log(v), 0) / values.length);
const us = (ns) => (ns / 1000).toFixed(2).padStart(8);
console.log(`${"case".padEnd(44)} ${"native µs".padStart(10)} ${"wasm obj µs".padStart(12)} ${"ratio".padStart(6)} ${"wasm json µs".padStart(13)} ${"ratio".padStart(6)}`);
for (const r of rows) {
  console.log(`${r.name.padEnd(44)} ${us(r.native)}   ${us(r.wasmObject)}    ${(r.wasmObject / r.native).toFixed(2).padStart(5)}x ${us(r.wasmText)}     ${(r.wasmText / r.native).toFixed(2).padStart(5)}x`);
}
const sortedNative = rows.map((r) => r.native).sort((a, b) => a - b);
const sortedObject = rows.map((r) => r.wasmObject).sort((a, b) => a - b);
const mid = Math.floor(rows.length / 2);
console.log(`\nmedian over ${rows.length} snapshots: native ${us(sortedNative[mid])} µs, wasm evaluate (object in/out) ${us(sortedObject[mid])} µs`);
console.log(`geometric mean ratio wasm/native: evaluate (object) ${geomean(rows.map((r) => r.wasmObject / r.native)).toFixed(2)}x, evaluateJson (text) ${geomean(rows.map((r) => r.wasmText / r.native)).toFixed(2)}x (goal: within 3x)`);
