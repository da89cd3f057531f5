#!/usr/bin/env bash
# `make run`: weft-baas on http://127.0.0.1:7080 with its SQLite database
# and chain data in ./weft-baas-data, in the foreground (Ctrl-C stops it;
# chains' nodes keep running and a restarted server finds them again).
# The first start prints the platform admin's one-time password unless
# WEFT_BAAS_ADMIN_PASSWORD is set.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
BIN="$TARGET_DIR/debug"
DATA="${WEFT_BAAS_DATA_DIR:-./weft-baas-data}"
LISTEN="${WEFT_BAAS_LISTEN:-127.0.0.1:7080}"

cat <<MSG
Starting weft-baas on http://$LISTEN (data in $DATA).
  Console:    http://$LISTEN/          (sign in as admin; tenant admins create chains)
  API page:   http://$LISTEN/api/docs   (try POST /api/auth/login as admin)
  OpenAPI:    http://$LISTEN/api/openapi.json
  Walkthrough with curl (tenant, chain, contract, transaction): docs/baas.md
MSG
# Plain HTTP: this is a developer's server on loopback. For any other
# address, drop --plain-http (HTTPS with a certificate the server makes,
# or --tls-cert/--tls-key): docs/baas.md.
exec "$BIN/weft-baas" serve --listen "$LISTEN" --data-dir "$DATA" --node-binary "$BIN/weft-node" \
  --console-dir console/dist --plain-http
