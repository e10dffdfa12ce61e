#!/usr/bin/env bash
# The large rows of the hostile-input table (README, "Untrusted input and sensitive data"),
# measured with the release CLI at several sizes, so that the growth of time and memory is
# visible: wall time, user and system CPU time, peak RSS (/usr/bin/time -v's maximum resident
# set size), exit code and error code of each run. On a shared machine the wall and system
# times are noisy (page faults of large allocations); user CPU time shows the growth best. The tests (tests/hostile.rs, cli/tests/hostile.rs) check the
# outcomes; this script only measures.
#
#   bash scripts/hostile.sh            # prints a Markdown table
#
# Inputs are generated (python3) in a temporary directory under $HOSTILE_DIR (default /tmp),
# deleted at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
at=2026-11-22T12:00:00Z

cargo build --release --locked --quiet -p capgate-cli
bin="$PWD/target/release/capgate"
if [ ! -x /usr/bin/time ]; then
  echo "scripts/hostile.sh: needs /usr/bin/time (Debian package \`time\`)" >&2
  exit 1
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "scripts/hostile.sh: needs python3 to generate the inputs" >&2
  exit 1
fi
dir=$(mktemp -d "${HOSTILE_DIR:-/tmp}/capgate-hostile.XXXXXX")
trap 'rm -rf "$dir"' EXIT

# gen KIND SIZE FILE: writes one input.
gen() {
  python3 - "$1" "$2" "$3" <<'EOF'
import sys
kind, size, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
cap = '"capabilities": {"tradeCrypto": {"requested": true}}'
with open(path, "w") as out:
    if kind == "string-known":
        out.write('{"individual": {"email": "%s"}, %s}' % ("x" * size, cap))
    elif kind == "string-unknown":
        out.write('{"note": "%s", %s}' % ("x" * size, cap))
    elif kind == "tos":
        entry = '{"versionId":"us_individual_2026-05-29","language":"en","acceptedAt":"2026-06-01T10:00:00Z"}'
        out.write('{%s, "tosAcceptances": [%s]}' % (cap, ",".join([entry] * size)))
    elif kind == "tos-wrong-language":
        entry = '{"versionId":"us_individual_2026-05-29","language":"fr","acceptedAt":"2026-06-01T10:00:00Z"}'
        out.write('{%s, "tosAcceptances": [%s]}' % (cap, ",".join([entry] * size)))
    elif kind == "json-arrays":
        out.write("[" * size + "]" * size)
    elif kind == "json-objects":
        out.write('{"a":' * size + "1" + "}" * size)
    elif kind == "toml-arrays":
        out.write("[requirements.a]\npath = " + "[" * size + "]" * size + "\n")
    elif kind == "toml-inline-tables":
        out.write("[requirements.a]\nwhen = " + "{a = " * size + "1" + "}" * size + "\n")
    elif kind == "toml-dotted-keys":
        out.write(".".join(["a"] * size) + " = 1\n")
    elif kind == "toml-syntax-error-lines":
        out.write("= 1\n" * size)
    elif kind == "toml-unknown-key-lines":
        out.write('[requirements.a]\npath = "x"\n' + "".join("k%d = 1\n" % i for i in range(size)))
    else:
        raise SystemExit("unknown kind " + kind)
EOF
}

# measure LABEL SIZE FILE ARGS...: one row of the table (the input file is the last argument).
measure() {
  local label=$1 size=$2 file=$3
  shift 3
  local report stderr rc=0
  report=$(mktemp "$dir/time.XXXXXX")
  stderr=$(mktemp "$dir/stderr.XXXXXX")
  /usr/bin/time -v -o "$report" "$bin" "$@" >/dev/null 2>"$stderr" || rc=$?
  local wall user sys rss code bytes
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$report")
  user=$(awk -F': ' '/User time \(seconds\)/ { print $2 }' "$report")
  sys=$(awk -F': ' '/System time \(seconds\)/ { print $2 }' "$report")
  rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$report")
  code=$(grep -o 'CG[0-9][0-9][0-9]' "$stderr" | head -1 || true)
  bytes=$(stat -c %s "$file")
  awk -v label="$label" -v size="$size" -v bytes="$bytes" -v rc="$rc" -v code="${code:--}" -v wall="$wall" -v user="$user" -v sys="$sys" -v rss="$rss" \
    'BEGIN { printf "| %s | %s | %.1f MB | %d | %s | %.2f s | %.2f s | %.2f s | %.1f MB |\n", label, size, bytes / 1e6, rc, code, wall, user, sys, rss / 1024 }'
  rm -f "$report" "$stderr"
}

roomy=(--max-snapshot-bytes 268435456 --max-items 2000000)

echo "| input | size | file | exit | code | wall time | user CPU | system CPU | peak RSS |"
echo "|---|---:|---:|---:|---|---:|---:|---:|---:|"

# Row 7: a large string, refused by the default size limit (read no further than the limit),
# then accepted with a raised limit: a known field (checked by its rule), an unknown field.
for mb in 10 50 100; do
  f="$dir/string-known-$mb.json"
  gen string-known $((mb * 1000000)) "$f"
  if [ "$mb" = 100 ]; then
    measure "string in a known field, default limits" "$mb MB" "$f" eval --at "$at" "$f"
  fi
  measure "string in a known field (email), raised size limit" "$mb MB" "$f" eval --at "$at" "${roomy[@]}" "$f"
  rm -f "$f"
  f="$dir/string-unknown-$mb.json"
  gen string-unknown $((mb * 1000000)) "$f"
  measure "string in an unknown field, raised size limit" "$mb MB" "$f" eval --at "$at" "${roomy[@]}" "$f"
  rm -f "$f"
done

# Row 8: many ToS acceptances: refused by size, then by entries, then evaluated.
for n in 100000 500000 1000000; do
  f="$dir/tos-$n.json"
  gen tos "$n" "$f"
  if [ "$n" = 1000000 ]; then
    measure "ToS acceptances, default limits" "$n" "$f" eval --at "$at" "$f"
    measure "ToS acceptances, raised size limit only" "$n" "$f" eval --at "$at" --max-snapshot-bytes 268435456 "$f"
  fi
  measure "ToS acceptances, raised limits" "$n" "$f" eval --at "$at" "${roomy[@]}" "$f"
  rm -f "$f"
  f="$dir/tos-fr-$n.json"
  gen tos-wrong-language "$n" "$f"
  measure "ToS acceptances in an unsupported language (one error each), raised limits" "$n" "$f" eval --at "$at" "${roomy[@]}" "$f"
  rm -f "$f"
done

# Row 6: deep nesting (refused at the depth limit; the rest of the input is not parsed).
for n in 100000 1000000 10000000; do
  for kind in json-arrays json-objects; do
    f="$dir/$kind-$n.json"
    gen "$kind" "$n" "$f"
    measure "$kind nested, default limits" "$n deep" "$f" eval --at "$at" --max-snapshot-bytes 268435456 "$f"
    rm -f "$f"
  done
done
for n in 100000 1000000 5000000; do
  for kind in toml-arrays toml-inline-tables toml-dotted-keys; do
    f="$dir/$kind-$n.toml"
    gen "$kind" "$n" "$f"
    measure "rule file, $kind nested" "$n deep" "$f" lint --rules "$f"
    rm -f "$f"
  done
done

# Rule files with many problems: every problem is reported, each located.
for n in 5000 10000 20000; do
  for kind in toml-syntax-error-lines toml-unknown-key-lines; do
    f="$dir/$kind-$n.toml"
    gen "$kind" "$n" "$f"
    measure "rule file, $kind" "$n lines" "$f" lint --rules "$f"
    rm -f "$f"
  done
done
