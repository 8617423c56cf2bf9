#!/usr/bin/env bash
# Runs every test: unit tests, and end-to-end tests against the real PostgreSQL cluster with the
# installed extension, the agent and the sandbox over loopback HTTP. Sets the machine up first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The web page's browser tests (tests/tests/web_page.rs) drive headless Chromium through chromedriver.
BROWSER_PACKAGES=(chromium chromium-driver)
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
missing=()
for p in "${BROWSER_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  printf '== test: installing %s\n' "${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
export PGHOST="${PGHOST:-/var/run/postgresql}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# The extension crate is a cdylib loaded by Postgres; the end-to-end tests exercise it there.
status=0
cargo test --workspace --exclude qbsync --no-fail-fast -- --test-threads "${QBSYNC_TEST_THREADS:-4}" 2>&1 | tee "$log" || status=$?
# One total for the whole run (cargo prints one line per test binary).
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
# Fuzzing: every cargo-fuzz target for QBSYNC_FUZZ_SECONDS each (0 skips), failing on any crash;
# the stored crash inputs (fuzz/regressions) are replayed first.
if [ "${QBSYNC_FUZZ_SECONDS:-60}" -gt 0 ]; then
  bash scripts/fuzz.sh "${QBSYNC_FUZZ_SECONDS:-60}" || status=$?
fi
exit "$status"
