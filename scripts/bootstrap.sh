#!/usr/bin/env bash
# Installs everything a fresh Debian machine needs to build and test Weft.
# Idempotent: every step checks first and does nothing when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[bootstrap] %s\n' "$*"; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# Debian packages: build-essential for the C/C++ compilers (RocksDB, and the
# SQLite that sqlx bundles) and make (the Makefile), clang/libclang for
# bindgen (librocksdb-sys), protoc for prost-build, iproute2 for the
# multi-host tests' network namespaces, postgresql for the BaaS tests'
# throwaway database server (scripts/with-postgres.sh), chromium for the
# console's browser tests (playwright-core drives it; it downloads no browser),
# ca-certificates for the CAs weft-baas trusts for https:// webhooks (rustls
# reads the machine's store), python3 for scripts/security-probes.py (run by
# baas/tests/probes.rs; standard library only), python3-venv and curl for
# scripts/schemathesis.sh (schemathesis from PyPI in its own virtualenv,
# below). build-essential also builds libFuzzer's C++ for the fuzz targets
# (scripts/fuzz.sh, make fuzz-smoke).
DEBS=(build-essential clang libclang-dev protobuf-compiler pkg-config iproute2 postgresql chromium ca-certificates python3 python3-venv curl)
missing=()
for p in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  log "Debian packages present: ${DEBS[*]}"
fi

if ! command -v rustup >/dev/null 2>&1; then
  log "rustup not found: install the Rust toolchain (rustup) first" >&2
  exit 1
fi
for comp in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^${comp}"; then
    log "adding rustup component ${comp}"
    rustup component add "$comp"
  fi
done
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding Rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
else
  log "Rust target wasm32-unknown-unknown present"
fi
# The npm packages of the console and the notary app: one workspace
# (package.json, package-lock.json at the top), one node_modules, with the
# machine's Node.js and npm; again only when the lock file changed.
if command -v npm >/dev/null 2>&1; then
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "installing the console's and the notary's npm packages"
    npm ci --no-audit --no-fund --loglevel=error
  else
    log "npm packages present"
  fi
else
  log "npm not found: install Node.js 20 and npm (the console is built with them)" >&2
  exit 1
fi
# Python tools from PyPI (schemathesis, which scripts/schemathesis.sh runs
# against a live weft-baas), pinned in scripts/requirements-tools.txt, in a
# virtualenv outside the clone (Debian's Python refuses system-wide pip).
TOOLS="${WEFT_TOOLS:-/var/cache/weft/tools}"
if [ ! -f "$TOOLS/venv/requirements-tools.txt" ] || ! cmp -s scripts/requirements-tools.txt "$TOOLS/venv/requirements-tools.txt"; then
  log "installing Python tools into $TOOLS/venv: $(grep -v '^#' scripts/requirements-tools.txt | tr '\n' ' ')"
  mkdir -p "$TOOLS"
  python3 -m venv "$TOOLS/venv"
  "$TOOLS/venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-tools.txt
  cp scripts/requirements-tools.txt "$TOOLS/venv/requirements-tools.txt"
else
  log "Python tools present in $TOOLS/venv"
fi
# cargo-deny, which `make deny` runs over deny.toml (licences, banned and
# duplicate crates, sources), pinned and built once into the tools
# directory (a few minutes on 2 cores the first time).
DENY_VERSION=0.20.2
if [ "$("$TOOLS/bin/cargo-deny" --version 2>/dev/null)" != "cargo-deny $DENY_VERSION" ]; then
  log "installing cargo-deny $DENY_VERSION into $TOOLS/bin (built from crates.io, a few minutes)"
  env -u CARGO_TARGET_DIR cargo install --quiet --locked --root "$TOOLS" --version "$DENY_VERSION" cargo-deny
else
  log "cargo-deny $DENY_VERSION present in $TOOLS/bin"
fi
log "done"
