#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL server of its own: a fresh
# cluster in a temp directory, listening on 127.0.0.1 on a free port, removed
# afterwards. The command sees WEFT_TEST_DATABASE_URL (a superuser URL); the
# BaaS tests then run against PostgreSQL, each in a database it creates,
# besides SQLite. Without PostgreSQL installed (scripts/bootstrap.sh installs
# it) the command runs as it is, and the BaaS tests use SQLite only.
#
#   bash scripts/with-postgres.sh cargo test --workspace
set -euo pipefail

log() { printf '[with-postgres] %s\n' "$*" >&2; }

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
  log "PostgreSQL is not installed (scripts/bootstrap.sh installs it); BaaS tests use SQLite only"
  exec "$@"
fi

# initdb refuses to run as root: the cluster belongs to the postgres user
# the Debian package creates.
as_pg=()
if [ "$(id -u)" -eq 0 ]; then as_pg=(runuser -u postgres --); fi

dir=$(mktemp -d /tmp/weft-pg.XXXXXX)
chmod 755 "$dir"
if [ "${#as_pg[@]}" -gt 0 ]; then chown postgres "$dir"; fi

port=""
for p in $(shuf -i 20000-60000 -n 50); do
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
[ -n "$port" ] || { log "no free port found"; exit 1; }

stop() {
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT

"${as_pg[@]}" "$pg_bin/initdb" -D "$dir/data" -U weft -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
# fsync off: a test server's data is thrown away anyway.
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null \
  || { cat "$dir/server.log" >&2; exit 1; }
log "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $dir)"

export WEFT_TEST_DATABASE_URL="postgres://weft@127.0.0.1:$port/postgres"
"$@"
