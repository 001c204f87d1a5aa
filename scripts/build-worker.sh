#!/usr/bin/env bash
# Builds the Worker (build/worker/shim.mjs + wasm) with worker-build, offline-safe:
# wasm-bindgen and wasm-opt come from this machine, never downloaded. Skips when up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/worker/shim.mjs
if [ -f "$out" ] && [ -z "${FORCE_BUILD:-}" ] && \
   [ -z "$(find src Cargo.toml Cargo.lock build.rs supabase/migrations -newer "$out" -print -quit)" ]; then
  echo "build-worker: up to date ($out)"
  exit 0
fi
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$(command -v wasm-bindgen)}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$PWD/node_modules/.bin/wasm-opt}"
worker-build --release
