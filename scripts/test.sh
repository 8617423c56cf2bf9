#!/usr/bin/env bash
# Runs every test: unit tests, and end-to-end tests against the real PostgreSQL cluster with the
# installed extension, the agent and the sandbox over loopback HTTP. Sets the machine up first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PGHOST="${PGHOST:-/var/run/postgresql}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# The extension crate is a cdylib loaded by Postgres; the end-to-end tests exercise it there.
status=0
cargo test --workspace --exclude qbsync -- --test-threads "${QBSYNC_TEST_THREADS:-4}" 2>&1 | tee "$log" || status=$?
# One total for the whole run (cargo prints one line per test binary).
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
