#!/usr/bin/env bash
# Builds the Worker (build/worker/shim.mjs + wasm) with worker-build, offline-safe:
# wasm-bindgen and wasm-opt come from this machine, never downloaded. Skips when up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/worker/shim.mjs
# Touched when a build starts and kept once it succeeds: a source saved while a build ran is
# newer than it, so the next call builds again (the output's own time would hide that save).
# (Outside build/: worker-build replaces that directory.)
stamp=target/.worker-sources-at
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ -f "$out" ] && [ -f "$stamp" ] && [ -z "${FORCE_BUILD:-}" ] && [ "$(cat build/.commit 2>/dev/null)" = "$commit" ] && \
   [ -z "$(find src Cargo.toml Cargo.lock build.rs supabase/migrations -newer "$stamp" -print -quit)" ]; then
  echo "build-worker: up to date ($out)"
  exit 0
fi
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$(command -v wasm-bindgen)}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$PWD/node_modules/.bin/wasm-opt}"
# build.rs stamps the commit into /health: a new commit is a new build.
touch build.rs
mkdir -p target
touch "$stamp.next"
worker-build --release
echo "$commit" > build/.commit
mv "$stamp.next" "$stamp"
