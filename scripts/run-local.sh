#!/usr/bin/env bash
# `make run`: a local solo-1 network in ./weft-net with asset-transfer
# deployed, ready for `weft tx …`. Idempotent: an existing network is
# restarted, an existing deployment kept. Stop it with
# `target/debug/weft network down ./weft-net`.
set -euo pipefail
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
WEFT="$TARGET_DIR/debug/weft"
NET="${WEFT_NET_DIR:-./weft-net}"
WASM="$TARGET_DIR/wasm-contracts/wasm32-unknown-unknown/contract/weft_example_asset_transfer.wasm"

if [ ! -f "$NET/network.toml" ]; then
  "$WEFT" network init --template solo-1 --out "$NET"
fi
"$WEFT" network up "$NET"
if ! "$WEFT" contract list --network "$NET" | grep -q '^asset-transfer '; then
  "$WEFT" contract deploy asset-transfer "$WASM" --version 1.0 --network "$NET"
fi
"$WEFT" contract list --network "$NET"
cat <<MSG

Weft is running. Try:
  export WEFT_NETWORK=$NET
  $WEFT tx submit asset-transfer CreateAsset asset1 blue 5 Tom 100
  $WEFT tx evaluate asset-transfer ReadAsset asset1
  $WEFT block get 2
  $WEFT network status $NET
Stop it with: $WEFT network down $NET
MSG
