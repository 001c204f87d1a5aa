#!/usr/bin/env bash
# `make test`: the pure core's tests (native, milliseconds), then the integration suite, which
# starts its own stack (CRM_STACK=test: fresh database, PostgREST, wrangler dev) and stops it after.
set -euo pipefail
cd "$(dirname "$0")/.."
trap 'CRM_STACK=test bash scripts/stack.sh down >/dev/null 2>&1 || true' EXIT
cargo test --lib
cargo test --test integration --test outage --test switches
