#!/usr/bin/env bash
# Batch throughput and peak memory of `capgate eval --ndjson` and `capgate impact` over
# generated corpora of 100,000 and 1,000,000 snapshots (benches/gen_corpus.py, fixed seed;
# written to $CORPUS_DIR, default /tmp, not committed), on every core.
#
#   bash benches/batch.sh            # prints a Markdown table
#
# Peak memory is /usr/bin/time -v's maximum resident set size.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${CORPUS_DIR:-/tmp}"
at=2026-11-22T12:00:00Z

cargo build --release --locked --quiet -p capgate-cli
bin="$PWD/target/release/capgate"
if [ ! -x /usr/bin/time ]; then
  echo "benches/batch.sh: needs /usr/bin/time (Debian package \`time\`)" >&2
  exit 1
fi

# The proposed rules for `impact`: the default rules plus the example platform policy.
to="$dir/capgate-batch-rules"
rm -rf "$to" && mkdir -p "$to"
cp rules/coinbase-customers.toml "$to/1-coinbase-customers.toml"
cp rules/examples/platform-policy.toml "$to/2-platform-policy.toml"

measure() { # label, lines, command...
  local label=$1 lines=$2
  shift 2
  local report
  report=$(mktemp)
  /usr/bin/time -v "$@" >/dev/null 2>"$report"
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$report")
  rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$report")
  awk -v label="$label" -v lines="$lines" -v wall="$wall" -v rss="$rss" \
    'BEGIN { printf "| %s | %d | %.2f s | %.0f | %.1f MB |\n", label, lines, wall, lines / wall, rss / 1024 }'
  rm -f "$report"
}

echo "| run | snapshots | wall time | snapshots/s | peak RSS |"
echo "|---|---:|---:|---:|---:|"
for n in 100000 1000000; do
  corpus="$dir/capgate-corpus-$n.ndjson"
  [ -s "$corpus" ] || python3 benches/gen_corpus.py "$n" > "$corpus"
  measure "eval --ndjson" "$n" "$bin" eval --ndjson --at "$at" "$corpus"
  measure "impact (default -> default + policy)" "$n" "$bin" impact --from rules/coinbase-customers.toml --to "$to" --at "$at" --format json "$corpus"
done
