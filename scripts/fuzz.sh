#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a bounded time and fails on any crash.
#
#   bash scripts/fuzz.sh [seconds-per-target]     (default 60)
#
# Environment: FUZZ_TARGETS="a b" runs only those; FUZZ_SANITIZER=none|address (default none,
# see docs/fuzzing.md); FUZZ_NICE=10 runs libFuzzer under `nice -n 10`.
#
# The machine's toolchain is stable: RUSTC_BOOTSTRAP=1 lets it accept the nightly-only flags
# cargo-fuzz passes. Everything the runs write (build, working corpus, crash inputs, logs) stays
# under fuzz/target; the checked-in seeds (fuzz/corpus) and crash inputs (fuzz/regressions) are
# read, never written.
set -euo pipefail

secs="${1:-60}"
case "$secs" in
'' | *[!0-9]*)
  echo "usage: $0 [seconds-per-target]" >&2
  exit 2
  ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fuzz="$root/fuzz"
out="$fuzz/target/fuzz-runs"
sanitizer="${FUZZ_SANITIZER:-none}"
stack_kb=512
nice_cmd=()
if [[ -n "${FUZZ_NICE:-}" ]]; then
  nice_cmd=(nice -n "$FUZZ_NICE")
fi
export RUSTC_BOOTSTRAP=1

# Idempotent: installed once, then found on PATH.
export PATH="$HOME/.cargo/bin:$PATH"
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

cd "$fuzz"
read -r -a targets <<<"${FUZZ_TARGETS:-$(cargo fuzz list | tr '\n' ' ')}"

mkdir -p "$out"
echo "== building (sanitizer: $sanitizer)"
if ! "${nice_cmd[@]}" cargo fuzz build -s "$sanitizer" >"$out/build.log" 2>&1; then
  tail -n 40 "$out/build.log"
  exit 1
fi

failed=()
summary=()
for t in "${targets[@]}"; do
  work="$out/corpus/$t"
  artifacts="$out/artifacts/$t"
  log="$out/logs/$t.log"
  mkdir -p "$work" "$artifacts" "$(dirname "$log")" "corpus/$t" "regressions/$t"
  args=(
    -max_total_time="$secs"
    -rss_limit_mb=2048
    -timeout=20
    -print_final_stats=1
    -artifact_prefix="$artifacts/"
  )
  case "$t" in
  qbxml_response | soap_envelope) args+=(-dict="$fuzz/dict/xml.dict") ;;
  query_builder) args+=(-dict="$fuzz/dict/query_builder.dict") ;;
  qbo_answer | qbo_report) args+=(-dict="$fuzz/dict/qbo_json.dict") ;;
  esac
  echo "== $t: ${secs}s"
  start=$(date +%s)
  status=0
  # New inputs go to the first corpus directory (the working one); seeds and past crashes are
  # replayed first, so a regression fails at once. The target runs on a 512 KB stack, a quarter
  # of a tokio worker's, so unbounded recursion shows with inputs of a few kilobytes.
  (
    ulimit -s "$stack_kb"
    exec "${nice_cmd[@]}" cargo fuzz run -s "$sanitizer" "$t" "$work" "corpus/$t" "regressions/$t" -- \
      "${args[@]}"
  ) >"$log" 2>&1 || status=$?
  elapsed=$(($(date +%s) - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  corpus=$(grep -aEo 'corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -n 1 | cut -d' ' -f2)
  line=$(printf '%-18s execs %-10s execs/s %-7s corpus %-12s time %ss' \
    "$t" "${execs:-?}" "${rate:-?}" "${corpus:-?}" "$elapsed")
  if [[ $status -ne 0 ]]; then
    line="$line  CRASH (exit $status)"
    failed+=("$t")
    tail -n 40 "$log"
    ls -1 "$artifacts" | sed "s|^|  input: $artifacts/|"
  fi
  echo "$line"
  summary+=("$line")
done

echo "== summary (logs in $out/logs)"
printf '%s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "FAILED: ${failed[*]} (reproduce: RUSTC_BOOTSTRAP=1 cargo fuzz run -s $sanitizer <target> <input>, in fuzz/)" >&2
  exit 1
fi
