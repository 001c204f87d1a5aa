#!/usr/bin/env bash
# `make bench`: webhook figures on the local stack (CRM_STACK=test, started here, stopped after).
#   - webhooks per second and p50/p99 latency, order.create with 3 items, 16 concurrent clients
#   - PostgREST requests per webhook (counted in PostgREST's own request log)
#   - the Worker's wasm size, raw and gzipped
# Not a test: figures depend on the machine. REQUESTS and CONCURRENCY can be overridden.
set -euo pipefail
cd "$(dirname "$0")/.."
export CRM_STACK=test
REQUESTS="${REQUESTS:-2000}"
CONCURRENCY="${CONCURRENCY:-16}"
trap 'bash scripts/stack.sh down >/dev/null 2>&1 || true' EXIT
bash scripts/stack.sh up
cargo build --release --example bench_webhooks -q
postgrest_log=.local/test/logs/postgrest.log
before=$(grep -c '"POST /rpc/\|"GET /\|"PATCH /\|"POST /' "$postgrest_log" || true)
target/release/examples/bench_webhooks http://127.0.0.1:8788 "$REQUESTS" "$CONCURRENCY" | tee .local/test/bench.txt
after=$(grep -c '"POST /rpc/\|"GET /\|"PATCH /\|"POST /' "$postgrest_log" || true)
webhooks=$((REQUESTS + 20))
echo "postgrest_requests_per_webhook=$(awk -v a="$after" -v b="$before" -v n="$webhooks" 'BEGIN { printf "%.2f", (a - b) / n }')"
wasm=build/index_bg.wasm
echo "wasm_bytes=$(stat -c %s "$wasm") wasm_gzip_bytes=$(gzip -9 -c "$wasm" | wc -c)"
