#!/usr/bin/env bash
# Builds the npm package into wasm/pkg/ reproducibly, doing its own set-up:
#   - the wasm32-unknown-unknown target (rustup);
#   - wasm-bindgen-cli at exactly the wasm-bindgen version in Cargo.lock (cargo install);
#   - npm packages from package-lock.json (binaryen's wasm-opt);
# then, for each of the two modules, cargo build -> wasm-bindgen (--target web) -> wasm-opt -Oz,
# then the package files.
#
#   bash wasm/scripts/build.sh
set -euo pipefail
wasm_dir="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "$wasm_dir/.." && pwd)"
cd "$root"

# The toolchain target.
if command -v rustup >/dev/null 2>&1; then
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown
  fi
fi

# wasm-bindgen-cli, pinned to the crate version in Cargo.lock (without --locked: its own lock
# file does not resolve here).
wanted=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$have" != "$wanted" ]; then
  echo "build.sh: installing wasm-bindgen-cli $wanted (found: ${have:-none})"
  cargo install wasm-bindgen-cli --version "$wanted"
fi

# npm packages (wasm-opt, and the test tools).
if [ ! -x "$wasm_dir/node_modules/.bin/wasm-opt" ] || [ "$wasm_dir/package-lock.json" -nt "$wasm_dir/node_modules/.package-lock.json" ]; then
  (cd "$wasm_dir" && npm ci --no-audit --no-fund)
fi

out="$wasm_dir/pkg"
rm -rf "$out"
mkdir -p "$out"

# Two modules from one crate: `capgate` (the runtime a customer-facing page loads, within
# its size budget) and `capgate/authoring` (the same plus the rule-authoring methods, diff
# and runTests, for rule editors).
build_module() { # name, cargo feature flags...
  local name=$1
  shift
  cargo build -p capgate-wasm --target wasm32-unknown-unknown --profile wasm-release --locked "$@"
  local raw="$root/target/wasm32-unknown-unknown/wasm-release/capgate_wasm.wasm"
  wasm-bindgen --target web --out-dir "$out" --out-name "$name" "$raw"
  "$wasm_dir/node_modules/.bin/wasm-opt" -Oz --converge \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    --strip-debug --strip-producers --strip-target-features \
    "$out/${name}_bg.wasm" -o "$out/${name}_bg.wasm"
}
build_module capgate
build_module capgate_authoring --features authoring

cp "$wasm_dir"/npm/package.json "$wasm_dir"/npm/node.js "$wasm_dir"/npm/node.d.ts \
  "$wasm_dir"/npm/authoring-node.js "$wasm_dir"/npm/authoring-node.d.ts "$wasm_dir"/npm/README.md "$out/"
version=$(awk -F'"' '/^version = / { print $2; exit }' "$wasm_dir/Cargo.toml")
sed -i "s/\"version\": \"[^\"]*\"/\"version\": \"$version\"/" "$out/package.json"

for name in capgate capgate_authoring; do
  bytes=$(wc -c < "$out/${name}_bg.wasm")
  gz=$(gzip -9 -c "$out/${name}_bg.wasm" | wc -c)
  echo "build.sh: wasm/pkg/${name}_bg.wasm: $bytes bytes raw, $gz bytes gzipped"
done
