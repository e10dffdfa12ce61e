#!/usr/bin/env bash
# Runs every test of the workspace, doing its own set-up. This is the README's test command.
#
#   bash scripts/test.sh
#
# Environment: PROPTEST_CASES (default 256) for longer property runs, CAPGATE_CASE to run only
# the corpus files whose path contains it.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
  echo "scripts/test.sh: cargo not found; install a Rust toolchain (rustup) first" >&2
  exit 1
fi

# Snapshot tests must fail on a difference, never write new snapshots silently.
export INSTA_UPDATE=no
export CI="${CI:-true}"

echo "== cargo test (unit, integration, snapshot, property, CLI, doc tests)"
cargo test --workspace --locked

echo "== rustdoc (broken links are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc -p capgate --no-deps --locked --quiet

echo "== benches and examples build"
cargo build --workspace --all-targets --locked --quiet

echo "== the README's main command"
cargo run -q --locked -p capgate-cli -- eval --at 2026-11-22T12:00:00Z --format human examples/provider.json >/dev/null

echo "scripts/test.sh: all tests passed"
