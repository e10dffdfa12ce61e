#!/usr/bin/env bash
# The long-running reliability checks (not part of .ci/run; about 40 minutes):
#   - every property test with PROPTEST_CASES cases (default 10,000) in release mode: the
#     fail-closed guarantees (tests/guarantees.rs), the sensitive-data and engine properties
#     (tests/properties.rs), the differential oracle (tests/oracle/, ORACLE_CASES, default
#     200,000);
#   - every fuzz target for FUZZ_SECONDS seconds (default 300) through scripts/fuzz.sh.
#
#   bash scripts/long.sh                       # the defaults
#   PROPTEST_CASES=100000 FUZZ_SECONDS=3600 bash scripts/long.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cases="${PROPTEST_CASES:-10000}"
oracle_cases="${ORACLE_CASES:-200000}"
fuzz_seconds="${FUZZ_SECONDS:-300}"

run() { # label, command...
  local label=$1
  shift
  local start
  start=$(date +%s)
  "$@"
  echo "scripts/long.sh: $label: $(( $(date +%s) - start )) s"
}

echo "== properties, $cases cases each (release)"
run "properties and guarantees" env PROPTEST_CASES="$cases" \
  cargo test --release --locked -p capgate --test integration -- properties:: guarantees:: sensitive::
echo "== differential oracle, $oracle_cases cases each (release)"
run "oracle" env PROPTEST_CASES="$oracle_cases" \
  cargo test --release --locked -p capgate --test integration -- oracle::
echo "== fuzzing, $fuzz_seconds s per target"
run "fuzz" bash scripts/fuzz.sh "$fuzz_seconds"
