#!/usr/bin/env bash
# The stability run: a fresh solo-1 network on this host, kv puts at a fixed
# rate for DURATION (default 30m) with every node's memory and directory
# size sampled, then checked for upward trends (weft-bench soak). Reports go
# to bench/results/<date>/soak-*; exits 3 when a series rises or a node
# stopped. Not part of CI.
#
#   bash scripts/bench-soak.sh                 (make bench-soak)
#   DURATION=2h TPS=100 TEMPLATE=raft-3 bash scripts/bench-soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${CARGO_TARGET_DIR:-target}/debug"
DURATION="${DURATION:-30m}"
TPS="${TPS:-50}"
TEMPLATE="${TEMPLATE:-solo-1}"
OUT="bench/results/$(date -u +%Y-%m-%d)"
WORK=$(mktemp -d /tmp/weft-bench-soak.XXXXXX)
mkdir -p "$OUT"
net="$WORK/$TEMPLATE"
cleanup() {
  [ -f "$net/network.toml" ] && "$BIN/weft" network down "$net" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

printf '[bench-soak] %s: init and up\n' "$TEMPLATE" >&2
"$BIN/weft" network init --template "config/templates/$TEMPLATE.toml" --out "$net" --free-ports >/dev/null
"$BIN/weft" network up "$net" >/dev/null
printf '[bench-soak] %s at %s tx/s for %s\n' "$TEMPLATE" "$TPS" "$DURATION" >&2
"$BIN/weft-bench" soak --network "$net" --duration "$DURATION" --tps "$TPS" \
  --json "$OUT/soak-$TEMPLATE.json" --html "$OUT/soak-$TEMPLATE.html" | tee "$OUT/soak-$TEMPLATE.txt"
