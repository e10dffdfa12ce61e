// Shared helpers for the Node tests: paths, the corpus, and the native CLI.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const wasmDir = join(dirname(fileURLToPath(import.meta.url)), "..");
export const root = join(wasmDir, "..");
export const corpusDir = join(root, "tests", "corpus");

/** Every `{description, at, snapshot}` case of the core's evaluation corpus, by file name. */
export function evalCases() {
  const dir = join(corpusDir, "eval");
  return readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((name) => ({ name, ...JSON.parse(readFileSync(join(dir, name), "utf8")) }));
}

/** The native CLI binary, built on first use (`CAPGATE_BIN` overrides). */
export function cliPath() {
  if (process.env.CAPGATE_BIN) return process.env.CAPGATE_BIN;
  const bin = join(root, "target", "debug", process.platform === "win32" ? "capgate.exe" : "capgate");
  if (!existsSync(bin)) {
    execFileSync("cargo", ["build", "--quiet", "--locked", "-p", "capgate-cli"], { cwd: root, stdio: "inherit" });
  }
  return bin;
}

/** Runs the CLI with `args`, feeding `input` on stdin. */
export function runCli(args, input) {
  const result = spawnSync(cliPath(), args, { cwd: root, input, encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
