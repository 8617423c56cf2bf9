#!/usr/bin/env bash
# Runs the benchmarks (docs/benchmarks.md) on this machine: sets it up (PostgreSQL, the installed
# extension), builds the release agent and the benchmark, makes a venv with the peer
# (tap-quickbooks 2.5.0) and matplotlib, runs, and plots. Arguments go to qbsync-bench
# (default: all); e.g. `bash bench/run.sh populate --sizes 10000`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
VENV="${QBSYNC_BENCH_VENV:-target/bench-venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check -r bench/peer/requirements.txt -r bench/requirements-plot.txt
# Two commands: built together, the agent would get the benchmark's feature set.
cargo build --release -p qbsync-agent
cargo build --release -p qbsync-bench
export PGHOST="${PGHOST:-/var/run/postgresql}"
OUT="${QBSYNC_BENCH_OUT:-bench/results/latest.json}"
[ $# -gt 0 ] || set -- all
target/release/qbsync-bench --agent target/release/qbsync-agent --peer-python "$VENV/bin/python" --out "$OUT" "$@"
"$VENV/bin/python" bench/plot.py "$OUT" docs/img/benchmarks.png
