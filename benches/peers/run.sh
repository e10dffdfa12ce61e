#!/usr/bin/env bash
# The peers benchmark: builds capgate-peers (release, locked) and runs it from this directory.
# It checks that Cedar, Rego, GoRules ZEN and JSONLogic agree with capgate on every corpus
# snapshot, then times loading and deciding, prints the Markdown table and writes results.md.
#
#   bash benches/peers/run.sh                # the benchmark (about a minute after the build)
#   bash benches/peers/run.sh --check        # agreement only
#   bash benches/peers/run.sh --fuzz 3000    # agreement on 3000 mutated snapshots
#   bash benches/peers/run.sh --only rego    # capgate and the peers whose name contains "rego"
#
# The first build compiles about 440 crates (zen-engine brings a JavaScript runtime and an
# HTTP client): about 9 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

if ! command -v cargo >/dev/null; then
  echo "run.sh: cargo is not installed (https://rustup.rs)" >&2
  exit 2
fi

locked=()
if [[ -f Cargo.lock ]]; then
  locked=(--locked)
fi
if ! cargo build --release "${locked[@]}"; then
  if [[ ${#locked[@]} -gt 0 ]]; then
    echo "run.sh: if Cargo.lock is out of date because capgate's own dependencies changed," >&2
    echo "        refresh it with: (cd benches/peers && cargo update --workspace)" >&2
  fi
  exit 2
fi
exec cargo run --quiet --release "${locked[@]}" -- "$@"
