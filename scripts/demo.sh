#!/usr/bin/env bash
# The demo: sets the machine up, then runs PostgreSQL + extension + agent + sandbox end to end
# (populate, refresh, adds, void, a duplicate-name error) and prints what happened.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PGHOST="${PGHOST:-/var/run/postgresql}" PGDATABASE="${PGDATABASE:-postgres}"
cargo run -q -p qbsync-agent -- demo "$@"
