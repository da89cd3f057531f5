#!/usr/bin/env bash
# Schemathesis against a live weft-baas on a throwaway platform: every
# operation of the OpenAPI document, with generated valid and invalid
# input, every check on (server errors, status codes, content types,
# headers, response schemas, invalid data refused, valid data accepted,
# ignored auth, methods), with scripts/schemathesis.toml and the hooks in
# scripts/schemathesis_hooks.py. Run by `make test`; `make api-fuzz` runs longer.
#
#   scripts/schemathesis.sh [MAX_EXAMPLES]     (default 15 per operation)
#
# The server runs on 127.0.0.1 on a free port with its own data directory,
# deleted afterwards. The calls are made as a tenant admin whose quota
# allows no node, so generated chain creations are refused (409) instead of
# starting processes, and as the platform admin for the platform's routes.
# Needs weft-baas built (WEFT_BAAS_BIN, default the debug build) and
# schemathesis (`st`, installed by scripts/bootstrap.sh into a virtualenv;
# SCHEMATHESIS overrides it).
set -euo pipefail
cd "$(dirname "$0")/.."

MAX_EXAMPLES="${1:-15}"
TARGET="${CARGO_TARGET_DIR:-/var/cache/weft/target}"
BIN="${WEFT_BAAS_BIN:-$TARGET/debug/weft-baas}"
ST="${SCHEMATHESIS:-${WEFT_TOOLS:-/var/cache/weft/tools}/venv/bin/st}"
PASSWORD="schemathesis-admin-password"

[ -x "$BIN" ] || { echo "schemathesis.sh: no weft-baas at $BIN: run make build" >&2; exit 1; }
[ -x "$ST" ] || { echo "schemathesis.sh: no schemathesis at $ST: run scripts/bootstrap.sh" >&2; exit 1; }

data="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
WEFT_BAAS_ADMIN_PASSWORD="$PASSWORD" "$BIN" serve --listen "127.0.0.1:$port" --data-dir "$data" --plain-http \
  --token-rate 100000 --login-burst 100000 --log warn >"$data/server.log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

for _ in $(seq 100); do
  curl -sf "$base/api/health" >/dev/null && break
  sleep 0.2
done
curl -sf "$base/api/health" >/dev/null || { echo "weft-baas did not start:" >&2; cat "$data/server.log" >&2; exit 1; }

# The platform admin makes a tenant, its admin, and a quota of no nodes.
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
post() { curl -sf "$base$1" -H "authorization: Bearer $2" -H 'content-type: application/json' -d "$3"; }
admin=$(curl -sf "$base/api/auth/login" -H 'content-type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$PASSWORD\"}" | json '["token"]')
tenant=$(post /api/tenants "$admin" '{"name":"fuzzed"}' | json '["id"]')
post "/api/tenants/$tenant/users" "$admin" \
  "{\"username\":\"owner\",\"password\":\"$PASSWORD\",\"role\":\"tenant-admin\"}" >/dev/null
curl -sf -X PUT "$base/api/tenants/$tenant/quota" -H "authorization: Bearer $admin" -H 'content-type: application/json' \
  -d '{"max_chains":0,"max_nodes":0,"max_cpu":0,"max_memory_mb":0,"max_disk_gb":0}' >/dev/null
owner=$(curl -sf "$base/api/auth/login" -H 'content-type: application/json' \
  -d "{\"username\":\"owner@fuzzed\",\"password\":\"$PASSWORD\"}" | json '["token"]')

# One worker: with two, Hypothesis' lambda-source cache raced between the
# threads ("AST constructor recursion depth mismatch") and errored a test.
run() {
  local who="$1" token="$2"
  echo "schemathesis: every operation as the $who, up to $MAX_EXAMPLES examples each"
  SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH="$PWD/scripts" \
  "$ST" --config-file scripts/schemathesis.toml run "$base/api/openapi.json" --checks all --max-examples "$MAX_EXAMPLES" --seed 25 --workers 1 \
    --header "Authorization: Bearer $token" --request-timeout 30 \
    --exclude-path-regex '/(auth/logout|tokens/\{id\}|users/\{user\}/password)$' \
    --report junit --report-dir "$data/report" \
    || { cp -r "$data/report" ./schemathesis-report 2>/dev/null || true; tail -50 "$data/server.log" >&2; return 1; }
}
run "tenant admin" "$owner"
run "platform admin" "$admin"
echo "schemathesis: no failure"
