#!/usr/bin/env bash
# `make test`: the pure core's tests (native, milliseconds), then the suites on the real stack.
# Each test binary starts its own stack (CRM_STACK=test: fresh database, PostgREST, wrangler dev)
# and cargo runs them one after another: integration (side by side), outage and switches (whose
# effects reach every test), load (bulk requests measured alone), the staff pages in a real Chromium (ui), the Bitrix kit end to end
# (bitrix: its gateway under `php -S`), and the fuzzing soak (SOAK_WEBHOOKS webhooks, 1,000 by
# default). The kit's own PHPUnit suite runs first, beside the core's tests: neither needs a stack.
set -euo pipefail
cd "$(dirname "$0")/.."
trap 'CRM_STACK=test bash scripts/stack.sh down >/dev/null 2>&1 || true; bash scripts/mariadb.sh down || true' EXIT
cargo test --lib
bash scripts/mariadb.sh up
CVETY_TEST_MYSQL_DSN="$(bash scripts/mariadb.sh dsn)" phpunit -c bitrix/tests/phpunit.xml
cargo test --no-fail-fast --test integration --test outage --test switches --test load --test day --test ui --test bitrix
cargo test --test soak -- --nocapture
