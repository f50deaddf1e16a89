#!/usr/bin/env bash
# Builds the npm package `humiao` and the page from the Rust crate in this folder, in two
# engines: the whole one (feature `full`, the default) and the evaluation-only one
# (`--no-default-features`: reads evaluation bytes and evaluates; no parser, checker, test
# runner or planner), each for Node and the browser:
#   pkg/node/, pkg/evaluate-node/   opt-level 3, wasm-bindgen --target nodejs (the Node tests
#                                   and Node users; built for speed)
#   pkg/web/, pkg/evaluate-web/     opt-level z, wasm-bindgen --target web, then wasm-opt -Oz
#                                   (npm's binaryen; built for size)
#   pkg/site/   the page: index.html (web/ and js/ bundled into it by esbuild), both .wasm files
#               (the evaluation-only one for the first decision, the whole one for the rule
#               playground) and the bundled rules/ (compiled for evaluation, and its texts for
#               the playground) — any static server
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

# The browser's builds: size matters more than speed (the page's budget), so opt-level z, fat
# LTO, one codegen unit, no debug info. Node's builds are not downloaded by a page: opt-level 3,
# for speed (evaluation about 1.6 times as fast as opt-level z in Node; docs/performance.md, "The
# bindings"), in a target folder of their own so that neither build's cache evicts the other's.
# Set for these builds only, so the workspace's release profile (and its cache) stays as it is.
# build OPT_LEVEL TARGET_DIR [cargo arguments]
build() {
  local opt="$1" dir="$2"
  shift 2
  (cd "$root" && CARGO_TARGET_DIR="$dir" CARGO_PROFILE_RELEASE_OPT_LEVEL="$opt" \
    CARGO_PROFILE_RELEASE_LTO=true CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 \
    CARGO_PROFILE_RELEASE_DEBUG=0 \
    cargo build --locked -p humiao-wasm --target wasm32-unknown-unknown --release "$@")
}
web_dir="$target_dir"
node_dir="$target_dir/wasm-node"
wasm_of() { echo "$1/wasm32-unknown-unknown/release/humiao_wasm.wasm"; }

# Builds one engine (cargo's feature arguments after the prefix) for the browser and runs
# wasm-bindgen on it into pkg/PREFIXweb.tmp. Both engines are the same crate, so cargo writes
# them to the same file: each is taken from there right after its own build.
web_engine() {
  local prefix="$1"
  shift
  echo "building the wasm32 library${prefix:+ ($prefix)} for the browser (release, opt-level z)"
  build z "$web_dir" "$@"
  rm -rf "pkg/${prefix}web.tmp"
  wasm-bindgen --target web --out-dir "pkg/${prefix}web.tmp" "$(wasm_of "$web_dir")"
}

# The same for Node, into pkg/PREFIXnode.
node_engine() {
  local prefix="$1"
  shift
  echo "building the wasm32 library${prefix:+ ($prefix)} for Node (release, opt-level 3)"
  build 3 "$node_dir" "$@"
  rm -rf "pkg/${prefix}node"
  wasm-bindgen --target nodejs --out-dir "pkg/${prefix}node" "$(wasm_of "$node_dir")"
  # The nodejs target writes CommonJS with a .js name; this package is "type": "module".
  echo '{"type": "commonjs"}' >"pkg/${prefix}node/package.json"
}

# wasm-opt -Oz (and the flags after the prefix) on pkg/PREFIXweb.tmp, into pkg/PREFIXweb. It takes
# 20-80 s in its JS build; skipped when the input and the flags have not changed.
optimise() {
  local dir="pkg/$1web"
  shift
  local stamp
  stamp="$(sha256sum "$dir.tmp/humiao_wasm_bg.wasm" | cut -d' ' -f1) $*"
  if [ -f "$dir/humiao_wasm_bg.wasm" ] && [ "$(cat "$dir/.wasm-opt-input" 2>/dev/null)" = "$stamp" ]; then
    echo "wasm-opt: input unchanged, keeping $dir/humiao_wasm_bg.wasm"
    cp "$dir/humiao_wasm_bg.wasm" "$dir.tmp/humiao_wasm_bg.wasm"
  else
    npx --no-install wasm-opt -Oz "$@" "$dir.tmp/humiao_wasm_bg.wasm" -o "$dir.tmp/opt.wasm"
    mv "$dir.tmp/opt.wasm" "$dir.tmp/humiao_wasm_bg.wasm"
  fi
  echo "$stamp" >"$dir.tmp/.wasm-opt-input"
  rm -rf "$dir"
  mv "$dir.tmp" "$dir"
}

web_engine evaluate- --no-default-features
# The web build of the whole engine (the rule playground) compiles from sources: it goes without
# the compiled-bytes functions (feature `bytes`) and without the `batch` ones, for its budget
# (docs/web.md). Node gets every feature: `bytes` (bundle-rules.mjs writes the page's evaluation
# bytes with it) and `batch` (loadCases / evaluateOutcomes, for docs/performance.md's benchmark).
web_engine "" --no-default-features --features full
node_engine evaluate- --no-default-features
node_engine "" --features batch
# Both are the same crate built to the same file: check each is the engine it should be.
if grep -q "checkJson\|runTestsJson\|toBytes" pkg/evaluate-web.tmp/humiao_wasm.js ||
  ! grep -q "checkJson" pkg/web.tmp/humiao_wasm.js || grep -q "toBytes" pkg/web.tmp/humiao_wasm.js ||
  ! grep -q "toEvaluationBytes" pkg/node/humiao_wasm.js ||
  grep -q "checkJson" pkg/evaluate-node/humiao_wasm.js; then
  echo "pkg/web, pkg/evaluate-web, pkg/node, pkg/evaluate-node: the engines' exports are not what their features say" >&2
  exit 1
fi

echo "wasm-opt -Oz (binaryen $(npx --no-install wasm-opt --version | awk '{print $3}')), both engines at once"
optimise evaluate- &
first=$!
# The whole engine is within 1 KB of its 400 KiB gzip budget: --converge (repeat the passes until
# nothing shrinks) takes about twice as long and saves about 0.9 KB gzip.
optimise "" --converge
wait "$first"

echo "assembling the page in pkg/site"
rm -rf pkg/site
mkdir -p pkg/site/js pkg/site/pkg
cp -r web/. pkg/site/
cp js/*.js pkg/site/js/
cp -r pkg/web pkg/evaluate-web pkg/site/pkg/
node tools/bundle-rules.mjs "$root/rules" pkg/site
node tools/bundle-page.mjs pkg/site

for w in pkg/evaluate-web/humiao_wasm_bg.wasm pkg/web/humiao_wasm_bg.wasm; do
  echo "$w: $(stat -c %s "$w") bytes, $(gzip -9 -c "$w" | wc -c) bytes gzip -9"
done
