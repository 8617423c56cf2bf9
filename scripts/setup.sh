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

# pg_cron runs the jobs qb_schedule creates. It is loaded at server start, lives in one database
# (cron.database_name: "qbsync" here, QBSYNC_CRON_DATABASE to change it) and runs jobs in background
# workers, so no password is needed for a connection back to the server.
cron_db="${QBSYNC_CRON_DATABASE:-qbsync}"
psql_admin() { psql -d postgres -qAtX "$@"; }
restart_if_needed() {
  # pg_file_settings reads the files now (pending_restart only after an asynchronous reload).
  if [ -n "$(psql_admin -c "SELECT 1 FROM pg_file_settings WHERE NOT applied AND name IS NOT NULL LIMIT 1")" ]; then
    log "restarting PostgreSQL 15 ($1)"
    $SUDO pg_ctlcluster 15 main restart
  fi
}
preload="$(psql_admin -c "SHOW shared_preload_libraries")"
if [[ ",${preload// /}," != *",pg_cron,"* ]]; then
  psql_admin -c "ALTER SYSTEM SET shared_preload_libraries = '${preload:+$preload,}pg_cron'"
fi
restart_if_needed "to load pg_cron"
# The cron.* settings exist once pg_cron is loaded.
[ "$(psql_admin -c "SELECT current_setting('cron.database_name', true)")" = "$cron_db" ] \
  || psql_admin -c "ALTER SYSTEM SET cron.database_name = '$cron_db'"
[ "$(psql_admin -c "SELECT current_setting('cron.use_background_workers', true)")" = "on" ] \
  || psql_admin -c "ALTER SYSTEM SET cron.use_background_workers = on"
# One worker per running job, beside the parallel-query workers.
[ "$(psql_admin -c "SHOW max_worker_processes")" -ge 24 ] || psql_admin -c "ALTER SYSTEM SET max_worker_processes = 24"
restart_if_needed "for the pg_cron settings"
psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$cron_db'" | grep -q 1 \
  || psql_admin -c "CREATE DATABASE \"$cron_db\""
psql -d "$cron_db" -qAtX -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS pg_cron"

log "building and installing the qbsync extension"
cargo pgrx install --pg-config "$PG_CONFIG" -p qbsync 2>&1 | grep -E "error|warning: unused|Finished|Installing" || true
test -f /usr/share/postgresql/15/extension/qbsync.control
log "ready: PostgreSQL 15 on /var/run/postgresql, extension qbsync installed"
