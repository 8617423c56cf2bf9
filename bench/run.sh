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
[ $# -gt 0 ] || set -- all
# A full run replaces latest.json and the plot; one benchmark alone writes its own file.
case "$1" in
  all) OUT="${QBSYNC_BENCH_OUT:-bench/results/latest.json}" ;;
  *) OUT="${QBSYNC_BENCH_OUT:-bench/results/$1.json}" ;;
esac
target/release/qbsync-bench --agent target/release/qbsync-agent --peer-python "$VENV/bin/python" --out "$OUT" "$@"
case "$1" in
  all | populate) "$VENV/bin/python" bench/plot.py "$OUT" docs/img/benchmarks.png ;;
esac
