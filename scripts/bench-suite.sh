#!/usr/bin/env bash
# The standard weft-bench suite: this machine's ceiling for each shape, then
# the asset-transfer workload on fresh solo-1, raft-3, raft-5, pbft-4 and
# pbft-7 networks on this host. Reports (text, JSON, HTML) go to
# bench/results/<date>/; the networks are removed afterwards. About 6
# minutes on 2 cores after a build.
#
#   bash scripts/bench-suite.sh            (make bench runs it)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${CARGO_TARGET_DIR:-target}/debug"
OUT="bench/results/$(date -u +%Y-%m-%d)"
WORK=$(mktemp -d /tmp/weft-bench-suite.XXXXXX)
mkdir -p "$OUT"
cleanup() {
  for net in "$WORK"/*/; do
    [ -f "$net/network.toml" ] && "$BIN/weft" network down "$net" >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

log() { printf '[bench-suite] %s\n' "$*" >&2; }

# Endorsements as `weft-bench run` counts them: a majority of the orgs.
for shape in "solo-1 1 1" "raft-3 3 2" "raft-5 5 2" "pbft-4 4 3" "pbft-7 7 4"; do
  set -- $shape
  log "ceiling for $1 ($2 nodes, $3 endorsements)"
  "$BIN/weft-bench" ceiling --nodes "$2" --endorsements "$3" --data-dir "$WORK" --json > "$OUT/ceiling-$1.json"
done

for template in solo-1 raft-3 raft-5 pbft-4 pbft-7; do
  net="$WORK/$template"
  log "$template: init and up"
  "$BIN/weft" network init --template "config/templates/$template.toml" --out "$net" --free-ports >/dev/null
  "$BIN/weft" network up "$net" >/dev/null
  log "$template: asset-transfer workload"
  "$BIN/weft-bench" run --workload bench/workloads/asset-transfer.toml --network "$net" \
    --json "$OUT/asset-transfer-$template.json" --html "$OUT/asset-transfer-$template.html" | tee "$OUT/asset-transfer-$template.txt"
  "$BIN/weft" network down "$net" >/dev/null
done
log "reports in $OUT"
