# The two commands a newcomer needs: `make run` and `make test`.
# Everything else here is a step of those two, or a separate, slower job.

CARGO ?= cargo
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)

# Every cargo call below selects the whole workspace with all targets. Cargo
# unifies build-script dependency features per selection, so `-p some-crate`
# can give bindgen/cc another hash and rebuild RocksDB's C++ (minutes). The
# same goes for `--workspace --test NAME`: build everything with
# `cargo test --workspace --no-run` and run the one test binary directly.

.PHONY: run run-network test bootstrap build fmt-check lint unit bench bench-suite bench-soak soak clean

## Set up this machine, build everything and start weft-baas on
## 127.0.0.1:7080 with its embedded SQLite database in ./weft-baas-data
## (docs/baas.md). The console (issue #10) will be served from it.
run: bootstrap build
	bash scripts/run-baas.sh

## A local solo-1 network in ./weft-net with asset-transfer deployed, without
## the BaaS (docs/getting-started.md).
run-network: bootstrap build
	bash scripts/run-local.sh

## Everything CI runs: set-up, formatting, lints, all tests.
test: bootstrap fmt-check lint build unit

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

# The end-to-end tests in tests/ start the weft and weft-node binaries that
# `build` puts next to them. with-postgres.sh gives the run a throwaway
# PostgreSQL server, so the BaaS tests cover PostgreSQL as well as SQLite.
unit:
	bash scripts/with-postgres.sh $(CARGO) test --workspace

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

clean:
	$(CARGO) clean
