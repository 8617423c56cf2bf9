#!/usr/bin/env bash
# Runs every test: unit tests, and end-to-end tests against the real PostgreSQL cluster with the
# installed extension, the agent and the sandbox over loopback HTTP. Sets the machine up first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PGHOST="${PGHOST:-/var/run/postgresql}"
# The extension crate is a cdylib loaded by Postgres; it is exercised by the end-to-end tests.
cargo test --workspace --exclude qbsync -- --test-threads "${QBSYNC_TEST_THREADS:-4}"
