#!/usr/bin/env bash
# `make mutants`: cargo-mutants over the core's decision code (the status map, the retry policy,
# the job gates, order parsing and the PHP shapes, the apply contract, token and signature checks,
# the webhook service, the job runner, the route table, reconciliation), each mutant against
# `cargo test --lib`. MUTANTS_FILES=all takes every file of src/domain, src/app and src/web (about 1,150 mutants, two
# hours on two cores). Results in target/mutants/mutants.out (missed.txt: what no test caught).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-mutants >/dev/null || cargo install cargo-mutants --version 27.1.0 --locked
if [ "${MUTANTS_FILES:-decision}" = all ]; then
  files=(-f 'src/domain/**/*.rs' -f 'src/app/**/*.rs' -f 'src/web/**/*.rs')
else
  files=()
  for file in domain/status domain/retry domain/jobs domain/order 'domain/order/*' domain/bitrix domain/apply \
              domain/auth domain/signing domain/reconciliation app/reconciliation_run app/ingest app/outbox web/routes; do
    files+=(-f "src/$file.rs")
  done
fi
CARGO_PROFILE_DEV_DEBUG=0 cargo mutants "${files[@]}" --timeout 90 -o target/mutants -- --lib
