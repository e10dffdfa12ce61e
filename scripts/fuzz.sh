#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for SECONDS_PER_TARGET seconds (default 60) from the
# committed corpus, after replaying the committed regression inputs (fuzz/regressions/<target>/),
# and prints a Markdown table (target, seconds fuzzed, executions, crashes: inputs found in the
# run plus committed regression inputs that fail; libFuzzer stops at the first crash). Exits
# non-zero on any crash or failed run.
#
#   bash scripts/fuzz.sh [SECONDS_PER_TARGET]
#
# The committed corpus (fuzz/corpus/<target>/) is never written to: each target runs on a
# temporary copy, and crashing inputs go to a temporary directory whose path is printed (copy
# one to fuzz/regressions/<target>/ to keep it as a regression). Needs the nightly toolchain;
# installs it (minimal profile) and cargo-fuzz (pinned, --locked) when missing.
set -euo pipefail

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
    echo "usage: bash scripts/fuzz.sh [SECONDS_PER_TARGET]" >&2
    exit 2
fi

CARGO_FUZZ_VERSION="0.13.2"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/fuzz"

if ! cargo +nightly --version >/dev/null 2>&1; then
    rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version 2>/dev/null | grep -qF "$CARGO_FUZZ_VERSION"; then
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

cargo +nightly fuzz build

work="$(mktemp -d "${TMPDIR:-/tmp}/capgate-fuzz.XXXXXX")"
keep_work=0
cleanup() {
    if [ "$keep_work" -eq 0 ]; then
        rm -rf "$work"
    fi
}
trap cleanup EXIT

mapfile -t targets < <(cargo +nightly fuzz list)
rows=()
failed=0
failed_regressions=()
new_crashes=()
for target in "${targets[@]}"; do
    dir="$work/$target"
    mkdir -p "$dir/corpus" "$dir/artifacts"
    if [ -d "corpus/$target" ]; then
        cp -R "corpus/$target/." "$dir/corpus/"
    fi
    status=0
    failing=0

    # Every committed regression input must pass: each file runs once, on its own.
    if [ -d "regressions/$target" ]; then
        while IFS= read -r input; do
            if ! cargo +nightly fuzz run "$target" "$input" -- -runs=1 \
                -artifact_prefix="$dir/regression-" >"$dir/regression.log" 2>&1; then
                failing=$((failing + 1))
                failed_regressions+=("fuzz/$input")
                echo "== $target: regression input fails: $input" >&2
                grep -A 3 "panicked at" "$dir/regression.log" | head -n 4 >&2 || true
            fi
        done < <(find "regressions/$target" -type f | sort)
    fi

    echo "== $target: fuzzing for ${seconds}s" >&2
    started="$(date +%s)"
    cargo +nightly fuzz run "$target" "$dir/corpus" -- \
        -max_total_time="$seconds" -print_final_stats=1 -timeout=30 \
        -artifact_prefix="$dir/artifacts/" >"$dir/fuzz.log" 2>&1 || status=$?
    elapsed=$(($(date +%s) - started))
    if [ "$status" -ne 0 ]; then
        grep -A 12 -E "panicked at|ERROR: libFuzzer|SUMMARY" "$dir/fuzz.log" | head -n 40 >&2 || true
    fi

    executions="$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$dir/fuzz.log" 2>/dev/null |
        grep -oE '[0-9]+$' | tail -n 1 || true)"
    found="$(find "$dir/artifacts" -type f | wc -l | tr -d ' ')"
    crashes=$((found + failing))
    if [ "$status" -ne 0 ] && [ "$found" -eq 0 ]; then
        crashes="$crashes, run failed (exit $status)"
    fi
    if [ "$status" -ne 0 ] || [ "$found" -ne 0 ] || [ "$failing" -ne 0 ]; then
        failed=1
        keep_work=1
        while IFS= read -r input; do
            new_crashes+=("$input")
        done < <(find "$dir/artifacts" -type f | sort)
    fi
    # Seconds actually fuzzed: libFuzzer stops at the first crash.
    rows+=("| $target | $elapsed | ${executions:-0} | $crashes |")
done

echo
echo "| target | seconds | executions | crashes |"
echo "|---|---:|---:|---:|"
printf '%s\n' "${rows[@]}"

if [ "$failed" -ne 0 ]; then
    echo
    echo "crashes: committed regression inputs that fail, then inputs found in this run"
    for input in "${failed_regressions[@]}" "${new_crashes[@]}"; do
        echo "- $input"
    done
    echo "fuzz: failures; logs and inputs kept in $work" >&2
    exit 1
fi
