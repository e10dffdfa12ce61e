// The TypeScript declarations describe the real shapes: a program using them compiles with
// `tsc --strict`, and `@ts-expect-error` lines prove nothing is typed `any`.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";

import { wasmDir } from "./helpers.mjs";

test("tsc accepts the typed usage program", () => {
  const tsc = join(wasmDir, "node_modules", ".bin", "tsc");
  const result = spawnSync(tsc, ["-p", join(wasmDir, "test", "types", "tsconfig.json")], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stdout + result.stderr);
});
