# The two commands of the contract: `make dev` and `make test`. Everything else is a helper.
# Ports and tokens: see README.md ("Local stack").
.PHONY: dev test up down install build unit integration bench soak prove mutants deploy clean

dev:            ## install what is missing, then run the local stack with demo data (foreground)
	bash scripts/stack.sh dev

test: install   ## every test: the pure core natively, then the integration suite on the real stack
	bash scripts/test.sh

up:             ## the dev stack in the background; returns once the Worker answers
	bash scripts/stack.sh up

down:           ## stop the dev stack
	bash scripts/stack.sh down

install:        ## rust target, worker-build, wasm-bindgen-cli, npm packages, PostgreSQL 15, Chromium, PHP + PHPUnit
	bash scripts/stack.sh install

build: install  ## the Worker bundle in build/
	FORCE_BUILD=1 bash scripts/build-worker.sh

bench: install  ## webhook throughput and latency on the local stack (see README)
	bash scripts/bench.sh

soak: install   ## the fuzzing soak with 10,000 mutated webhooks (make test runs 1,000); SOAK_SEED repeats a run
	SOAK_WEBHOOKS=$${SOAK_WEBHOOKS:-10000} cargo test --test soak -- --nocapture

prove: install  ## break each promise on purpose (tests/proofs.toml) and see its tests fail; about an hour
	python3 scripts/prove.py

mutants:        ## cargo-mutants over the core's decision code (see README, Tests); MUTANTS_FILES=all for all of domain, app and web
	bash scripts/mutants.sh

deploy: install ## production: crm.cvety.kz; stops before building when a production secret is missing
	bash scripts/deploy.sh deploy

clean:
	bash scripts/stack.sh down; CRM_STACK=test bash scripts/stack.sh down; rm -rf build target/wasm32-unknown-unknown .local
