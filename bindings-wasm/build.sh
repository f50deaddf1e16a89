#!/usr/bin/env bash
# Builds the npm package `humiao` and the page from the Rust crate in this folder:
#   pkg/node/   wasm-bindgen --target nodejs (the Node tests and Node users)
#   pkg/web/    wasm-bindgen --target web, then wasm-opt -Oz (npm's binaryen)
#   pkg/site/   the page: index.html (web/ and js/ bundled into it by esbuild), the .wasm and the
#               bundled rules/ (compiled, and its texts for the playground) — any static server
# Needs: the wasm32-unknown-unknown target, wasm-bindgen-cli at the Cargo.lock version and
# `npm ci` in this folder (scripts/test-wasm installs all three). Safe to run again.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$here"

target_dir="${CARGO_TARGET_DIR:-}"
if [ -z "$target_dir" ]; then
  target_dir="$(cd "$root" && cargo metadata --format-version 1 --no-deps |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"
fi

# Size matters more than speed here: opt-level z, fat LTO, one codegen unit, no debug info.
# Set for this build only, so the workspace's release profile (and its cache) stays as it is.
build() {
  (cd "$root" && CARGO_PROFILE_RELEASE_OPT_LEVEL=z CARGO_PROFILE_RELEASE_LTO=true \
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 CARGO_PROFILE_RELEASE_DEBUG=0 \
    cargo build --locked -p humiao-wasm --target wasm32-unknown-unknown --release "$@")
}
wasm="$target_dir/wasm32-unknown-unknown/release/humiao_wasm.wasm"

# Node gets the `batch` feature (loadCases / evaluateOutcomes); the web build, whose size is
# budgeted (docs/web.md), does without it.
echo "building the wasm32 library for Node (release, size-optimised, feature batch)"
build --features batch
rm -rf pkg/node pkg/web.tmp
wasm-bindgen --target nodejs --out-dir pkg/node "$wasm"
# The nodejs target writes CommonJS with a .js name; this package is "type": "module".
echo '{"type": "commonjs"}' >pkg/node/package.json
echo "building the wasm32 library for the web (release, size-optimised)"
build
wasm-bindgen --target web --out-dir pkg/web.tmp "$wasm"

# wasm-opt takes ~40 s in its JS build; skip it when the input has not changed.
stamp="$(sha256sum pkg/web.tmp/humiao_wasm_bg.wasm | cut -d' ' -f1)"
if [ -f pkg/web/humiao_wasm_bg.wasm ] && [ "$(cat pkg/web/.wasm-opt-input 2>/dev/null)" = "$stamp" ]; then
  echo "wasm-opt: input unchanged, keeping pkg/web/humiao_wasm_bg.wasm"
  cp pkg/web/humiao_wasm_bg.wasm pkg/web.tmp/humiao_wasm_bg.wasm
else
  echo "wasm-opt -Oz (binaryen $(npx --no-install wasm-opt --version | awk '{print $3}'))"
  npx --no-install wasm-opt -Oz pkg/web.tmp/humiao_wasm_bg.wasm -o pkg/web.tmp/opt.wasm
  mv pkg/web.tmp/opt.wasm pkg/web.tmp/humiao_wasm_bg.wasm
fi
echo "$stamp" >pkg/web.tmp/.wasm-opt-input
rm -rf pkg/web
mv pkg/web.tmp pkg/web

echo "assembling the page in pkg/site"
rm -rf pkg/site
mkdir -p pkg/site/js pkg/site/pkg
cp -r web/. pkg/site/
cp js/*.js pkg/site/js/
cp -r pkg/web pkg/site/pkg/web
node tools/bundle-rules.mjs "$root/rules" pkg/site
node tools/bundle-page.mjs pkg/site

raw=$(stat -c %s pkg/web/humiao_wasm_bg.wasm)
gz=$(gzip -9 -c pkg/web/humiao_wasm_bg.wasm | wc -c)
echo "pkg/web/humiao_wasm_bg.wasm: $raw bytes, $gz bytes gzip -9"
