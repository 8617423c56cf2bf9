#!/usr/bin/env bash
# Prepares a Debian 12 machine for qbsync: packages, cargo-pgrx 0.18.1, the extension installed
# into the system PostgreSQL 15, and a running cluster with a superuser role for the current
# user. Idempotent: a second run only rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
PACKAGES=(postgresql-15 postgresql-server-dev-15 libclang-dev postgresql-15-cron libxml2-utils sudo)
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

log() { printf '== setup: %s\n' "$*"; }
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! cargo pgrx --version 2>/dev/null | grep -q "0.18.1"; then
  log "installing cargo-pgrx 0.18.1 (takes a few minutes once)"
  cargo install cargo-pgrx --version 0.18.1 --locked
fi

if ! grep -qs "pg15" "${PGRX_HOME:-$HOME/.pgrx}/config.toml"; then
  log "cargo pgrx init against the system PostgreSQL 15"
  cargo pgrx init --pg15 "$PG_CONFIG"
fi

if ! pg_lsclusters -h 2>/dev/null | awk '$1 == "15" && $2 == "main"' | grep -q .; then
  log "creating cluster 15/main"
  $SUDO pg_createcluster 15 main
fi
if ! pg_lsclusters -h | awk '$1 == "15" && $2 == "main" {print $4}' | grep -q online; then
  log "starting PostgreSQL 15"
  $SUDO pg_ctlcluster 15 main start
fi
me="$(id -un)"
as_postgres psql -qAtc "SELECT 1 FROM pg_roles WHERE rolname = '$me'" | grep -q 1 \
  || as_postgres psql -qc "CREATE ROLE \"$me\" SUPERUSER LOGIN"

log "building and installing the qbsync extension"
cargo pgrx install --pg-config "$PG_CONFIG" -p qbsync 2>&1 | grep -E "error|warning: unused|Finished|Installing" || true
test -f /usr/share/postgresql/15/extension/qbsync.control
log "ready: PostgreSQL 15 on /var/run/postgresql, extension qbsync installed"
