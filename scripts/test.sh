#!/usr/bin/env bash
# Runs every test of the project, doing its own set-up on a fresh machine. This is the
# README's test command:
#
#   bash scripts/test.sh
#
# 1. Rust: unit, integration (corpus snapshots, properties, semantics), CLI and doc tests;
#    the engine again without its default features (as the WASM build compiles it); rustdoc;
#    every target builds, and the criterion benches compile (`cargo bench --no-run`).
# 2. WASM: builds the npm package (installs the wasm32 target, the pinned wasm-bindgen-cli and
#    the npm packages), then the Node tests (every export, differential against the CLI,
#    size budget, TypeScript declarations).
# 3. Browser: installs Debian's chromium when missing, then drives the demo page headless.
#
# Environment: PROPTEST_CASES (default 256) for longer property runs; CAPGATE_CASE to run only
# the corpus files whose path contains it; CAPGATE_SKIP_BROWSER=1 to skip step 3.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

if ! command -v cargo >/dev/null 2>&1; then
  echo "scripts/test.sh: cargo not found; install a Rust toolchain (rustup) first" >&2
  exit 1
fi

# Snapshot tests must fail on a difference, never write new snapshots silently.
export INSTA_UPDATE=no
export CI="${CI:-true}"

# Runs a command as root (directly, or through sudo).
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    echo "scripts/test.sh: need root to run: $*" >&2
    return 1
  fi
}

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    as_root apt-get update -qq
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

step "cargo test (unit, integration, snapshot, property, CLI and doc tests)"
cargo test --workspace --locked

step "the engine without its optional speed-ups (the WASM build's feature set): same results"
cargo test -p capgate --no-default-features --locked --lib --test integration

step "rustdoc (broken links are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc -p capgate --no-deps --locked --quiet

step "every target builds (examples; benches with cargo bench --no-run)"
cargo build --workspace --all-targets --locked --quiet
cargo bench --workspace --no-run --locked --quiet

step "the default rules' own tests, at full coverage"
cargo run -q --locked -p capgate-cli -- test --min-coverage 100 rules/tests >/dev/null

step "the README's main command"
cargo run -q --locked -p capgate-cli -- eval --at 2026-11-22T12:00:00Z --format human examples/provider.json >/dev/null

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  step "installing Node.js and npm"
  apt_install nodejs npm
fi

step "WASM package build (wasm/scripts/build.sh)"
bash wasm/scripts/build.sh

step "WASM Node tests (exports, differential vs the CLI, size budget, TypeScript)"
CAPGATE_BIN="$PWD/target/debug/capgate" node --test wasm/test/

if [ "${CAPGATE_SKIP_BROWSER:-0}" != 1 ]; then
  if [ -z "${CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1; then
    step "installing Debian's chromium for the browser test"
    apt_install chromium
  fi
  step "demo page in headless Chromium"
  node --test wasm/demo-test/
fi

echo
echo "scripts/test.sh: all tests passed"
