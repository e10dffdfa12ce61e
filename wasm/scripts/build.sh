#!/usr/bin/env bash
# Builds the npm package into wasm/pkg/ reproducibly, doing its own set-up:
#   - the wasm32-unknown-unknown target (rustup);
#   - wasm-bindgen-cli at exactly the wasm-bindgen version in Cargo.lock (cargo install);
#   - npm packages from package-lock.json (binaryen's wasm-opt);
# then cargo build -> wasm-bindgen (--target web) -> wasm-opt -Oz -> package files.
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

cargo build -p capgate-wasm --target wasm32-unknown-unknown --profile wasm-release --locked
raw="$root/target/wasm32-unknown-unknown/wasm-release/capgate_wasm.wasm"

out="$wasm_dir/pkg"
rm -rf "$out"
mkdir -p "$out"
wasm-bindgen --target web --out-dir "$out" --out-name capgate "$raw"

"$wasm_dir/node_modules/.bin/wasm-opt" -Oz \
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  --strip-debug --strip-producers --strip-target-features \
  "$out/capgate_bg.wasm" -o "$out/capgate_bg.wasm"

cp "$wasm_dir"/npm/package.json "$wasm_dir"/npm/node.js "$wasm_dir"/npm/node.d.ts "$wasm_dir"/npm/README.md "$out/"
version=$(awk -F'"' '/^version = / { print $2; exit }' "$wasm_dir/Cargo.toml")
sed -i "s/\"version\": \"[^\"]*\"/\"version\": \"$version\"/" "$out/package.json"

bytes=$(wc -c < "$out/capgate_bg.wasm")
gz=$(gzip -9 -c "$out/capgate_bg.wasm" | wc -c)
echo "build.sh: wasm/pkg/capgate_bg.wasm: $bytes bytes raw, $gz bytes gzipped"
