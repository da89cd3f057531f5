#!/usr/bin/env bash
# Coverage-guided fuzzing of the decoders that take bytes from outside
# (fuzz/fuzz_targets/), with libFuzzer on the stable toolchain: the
# instrumentation cargo-fuzz adds (sanitizer coverage, no address
# sanitizer, which needs nightly), applied by hand.
#
#   scripts/fuzz.sh 10            # every target for 10 s (make fuzz-smoke, in CI)
#   scripts/fuzz.sh 600 policy    # one target for 10 minutes (make fuzz: every one)
#
# First every file under fuzz/regressions/<target>/ (inputs that once
# crashed) is run once and must pass; then the target runs for the time
# given over a working corpus seeded from fuzz/seeds/<target>/. A crash
# stops with the input saved in fuzz/artifacts/<target>/: copy it to
# fuzz/regressions/<target>/ with the fix, so it is replayed for ever.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS="${1:-10}"
shift || true
TARGETS=("$@")
if [ "${#TARGETS[@]}" -eq 0 ]; then
  TARGETS=(block certificate policy template raft_message pbft_message)
fi
TARGET_DIR="${CARGO_TARGET_DIR:-target}/fuzz"
export RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cdebug-assertions -Coverflow-checks"
# An explicit --target keeps RUSTFLAGS off build scripts and proc macros
# (which must not be instrumented: nothing links libFuzzer into them).
HOST="$(rustc -vV | sed -n 's/^host: //p')"
echo "[fuzz] building ${TARGETS[*]} (instrumented, release, $HOST)"
cargo build --release --locked --manifest-path fuzz/Cargo.toml --target-dir "$TARGET_DIR" --target "$HOST" --bins
BIN="$TARGET_DIR/$HOST/release"
WORK="${WEFT_FUZZ_CORPUS:-$TARGET_DIR/corpus}"
for t in "${TARGETS[@]}"; do
  if [ -d "fuzz/regressions/$t" ] && [ -n "$(ls -A "fuzz/regressions/$t")" ]; then
    echo "[fuzz] $t: replaying fuzz/regressions/$t"
    "$BIN/$t" -runs=1 fuzz/regressions/"$t"/* >/dev/null 2>&1 || {
      echo "[fuzz] $t: a regression input fails again:"; "$BIN/$t" -runs=1 fuzz/regressions/"$t"/*; exit 1; }
  fi
  mkdir -p "$WORK/$t" "fuzz/artifacts/$t"
  seeds=()
  [ -d "fuzz/seeds/$t" ] && seeds=("fuzz/seeds/$t")
  echo "[fuzz] $t: ${SECS} s"
  if ! "$BIN/$t" -max_total_time="$SECS" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
      -artifact_prefix="fuzz/artifacts/$t/" "$WORK/$t" "${seeds[@]}" 2>"$WORK/$t.log"; then
    tail -n 40 "$WORK/$t.log"
    echo "[fuzz] $t found a crash: the input is in fuzz/artifacts/$t/ (add it to fuzz/regressions/$t/ with the fix)"
    exit 1
  fi
  grep -E "stat::number_of_executed_units|cov:" "$WORK/$t.log" | tail -n 2 | sed "s/^/[fuzz] $t: /"
done
echo "[fuzz] no crash in ${TARGETS[*]}"
