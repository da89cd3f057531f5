# The two commands a newcomer needs: `make run` and `make test`.
# Everything else here is a step of those two, or a separate, slower job.

CARGO ?= cargo
# Where cargo builds: CARGO_TARGET_DIR, else what cargo says (a
# ~/.cargo/config.toml may move it), else ./target.
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(shell $(CARGO) metadata --format-version 1 --no-deps 2>/dev/null | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p'),target)

# Every cargo call below selects the whole workspace with all targets. Cargo
# unifies build-script dependency features per selection, so `-p some-crate`
# can give bindgen/cc another hash and rebuild RocksDB's C++ (minutes). The
# same goes for `--workspace --test NAME`: build everything with
# `cargo test --workspace --no-run` and run the one test binary directly.

.PHONY: run run-network test bootstrap build fmt-check lint deny unit console console-api console-test bench bench-suite bench-soak soak fuzz fuzz-smoke api-test api-fuzz clean

## Set up this machine, build everything and start weft-baas on
## 127.0.0.1:7080 with its embedded SQLite database in ./weft-baas-data
## (docs/baas.md), serving the web console at / (docs/console.md).
run: bootstrap build console
	CARGO_TARGET_DIR=$(TARGET_DIR) bash scripts/run-baas.sh

## A local solo-1 network in ./weft-net with asset-transfer deployed, without
## the BaaS (docs/getting-started.md).
run-network: bootstrap build
	bash scripts/run-local.sh

## Everything CI runs: set-up, formatting, lints, all tests.
test: bootstrap fmt-check lint deny build unit api-test console-test fuzz-smoke

bootstrap:
	bash scripts/bootstrap.sh

build:
	$(CARGO) build --workspace --all-targets

fmt-check:
	$(CARGO) fmt --all -- --check

# Contracts are also linted as what they really are: wasm32 code (the SDK's
# guest side exists only there). No RocksDB in this selection, so -p is cheap.
WASM_CRATES := -p weft-contract-sdk -p weft-example-kv -p weft-example-asset-transfer \
	-p weft-example-notary -p weft-fixture-testbed

lint:
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy --target wasm32-unknown-unknown $(WASM_CRATES) -- -D warnings

# What our dependencies may be (deny.toml): permissive licences, no second
# TLS stack, crates.io only. Advisories need GitHub, which CI cannot reach:
# run `$(DENY) check advisories` where it can (docs/security.md).
DENY ?= $(or $(WEFT_TOOLS),/var/cache/weft/tools)/bin/cargo-deny
# `cargo fetch` first: cargo-deny reads every platform's crates (windows-sys
# and the like), which a build on this machine never downloads.
deny:
	$(CARGO) fetch --locked --quiet
	$(DENY) --offline check --hide-inclusion-graph licenses bans sources

# The end-to-end tests in tests/ start the weft and weft-node binaries that
# `build` puts next to them. with-postgres.sh gives the run a throwaway
# PostgreSQL server, so the BaaS tests cover PostgreSQL as well as SQLite.
unit:
	bash scripts/with-postgres.sh $(CARGO) test --workspace

## Schemathesis against a live weft-baas on a throwaway platform: every
## operation, every check, 15 generated examples each (in `make test`;
## docs/security.md).
api-test: build
	CARGO_TARGET_DIR=$(TARGET_DIR) bash scripts/schemathesis.sh 15

## The same with 500 examples per operation (not in `make test`).
api-fuzz: build
	CARGO_TARGET_DIR=$(TARGET_DIR) bash scripts/schemathesis.sh 500

## The web console (console/, React + TypeScript) and the notary demo
## (apps/notary/): type-checked and built by Vite into console/dist (the
## console's build script then builds the notary into console/dist/notary,
## since emptying dist removes it), which weft-baas serves at / and /notary/.
console:
	npm run build --workspace console

## Regenerates the console's typed API client from weft-baas's OpenAPI
## document (run after changing a route; a test fails until you do).
console-api: build
	$(TARGET_DIR)/debug/weft-baas openapi > console/src/api/openapi.json
	cd console && npm run gen:api

## The console's and the notary's unit tests (Vitest), a check that the
## generated client matches the committed OpenAPI document, and the browser
## test of both (Chromium, a real weft-baas and nodes; screenshots in
## console/test-results/).
console-test: build console
	cd console && npx openapi-typescript src/api/openapi.json -o .schema-check.d.ts >/dev/null \
		&& cmp -s .schema-check.d.ts src/api/schema.d.ts \
		|| { echo "console/src/api/schema.d.ts is stale: run make console-api"; exit 1; }
	npm test --workspace console
	npm test --workspace apps/notary
	cd console && WEFT_BAAS_BIN=$(abspath $(TARGET_DIR))/debug/weft-baas npm run e2e

## The weft-bench suite (machine ceiling, asset-transfer on solo-1, raft-3,
## raft-5; reports in bench/results/) and the criterion benchmarks; not part
## of `make test`. Figures go to docs/BENCHMARKS.md.
bench: build
	bash scripts/bench-suite.sh
	$(CARGO) bench --workspace --bench ledger_commit --bench signature_verify --bench contract_invoke --bench prevalidate

## The weft-bench suite alone (about 3 minutes).
bench-suite: build
	bash scripts/bench-suite.sh

## The stability run: weft-bench soak on a fresh solo-1 network for 30
## minutes (DURATION=2h TPS=100 TEMPLATE=raft-3 to change); exits 3 when
## memory or disk per transaction keeps rising.
bench-soak: build
	bash scripts/bench-soak.sh

## Longer crash-recovery soak: 1000 SIGKILLs instead of CI's 120.
soak:
	WEFT_CRASH_KILLS=1000 $(CARGO) test --workspace --test crash_recovery -- --nocapture

## Coverage-guided fuzzing (libFuzzer, stable toolchain) of the decoders
## that take bytes from outside: every target for 10 minutes
## (FUZZ_SECS=… to change). Crashes land in fuzz/artifacts/.
FUZZ_SECS ?= 600
fuzz:
	CARGO_TARGET_DIR=$(TARGET_DIR) bash scripts/fuzz.sh $(FUZZ_SECS)

## Every fuzz target for 10 s after replaying fuzz/regressions/ (in `make test`).
fuzz-smoke:
	CARGO_TARGET_DIR=$(TARGET_DIR) bash scripts/fuzz.sh 10

clean:
	$(CARGO) clean
