#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang, ASan + UBSan: scripts/sanitizer-build.sh)
# and runs each over its committed seed corpus for a bounded time and number of runs. A crash,
# a sanitizer report, a leak, a broken property or an input slower than 10 s fails the script;
# the input that did it is saved in <build>/artifacts/.
#
#   scripts/fuzz-smoke.sh [TARGET…]                                  every target, or those named
#   FUZZ_SECONDS=3600 FUZZ_RUNS=0 FUZZ_OPT=1 scripts/fuzz-smoke.sh fuzz_fed_event   an hour, optimised
#   FUZZ_SEED=N: libFuzzer's random seed (scripts/test.sh fixes it, so CI repeats the same
#   mutations and a red run is reproducible; unset, every run explores differently)
#
# New inputs a run finds go to <build>/corpus/<target>/; the committed corpus is only read
# (README "Fuzzing" says how to keep what is worth keeping).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/sanitizer-build.sh

seconds=${FUZZ_SECONDS:-20}     # per target
max_runs=${FUZZ_RUNS:-1000000}  # per target; 0 = no cap
[ "$max_runs" = 0 ] && max_runs=-1
all_targets=(fuzz_decode fuzz_base64 fuzz_fed_hello fuzz_fed_frame fuzz_fed_event fuzz_store_records fuzz_config)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")

sanitizer_build "${targets[@]}"
build=$sanitizer_dir
mkdir -p "$build/artifacts" "$build/logs"
failed=()
for t in "${targets[@]}"; do
  seeds=tests/fuzz/corpus/$t
  found=$build/corpus/$t
  mkdir -p "$found"
  args=(-max_total_time="$seconds" -runs="$max_runs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$build/artifacts/$t-")
  [ -f "tests/fuzz/dict/$t.dict" ] && args+=(-dict="tests/fuzz/dict/$t.dict")
  [ -n "${FUZZ_SEED:-}" ] && args+=(-seed="$FUZZ_SEED")
  log=$build/logs/$t.log
  if "$build/tests/fuzz/$t" "${args[@]}" "$found" "$seeds" >"$log" 2>&1; then
    executed=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "fuzz-smoke: $t ok ($executed runs from $(ls "$seeds" | wc -l) seeds, $(grep -o 'cov: [0-9]*' "$log" | tail -1))"
  else
    grep -E -A60 'ERROR: |runtime error|deadly signal|ALARM' "$log" | head -100 >&2 || tail -60 "$log" >&2
    echo "fuzz-smoke: $t FAILED (log: $log; replay: $build/tests/fuzz/$t $build/artifacts/$t-…)" >&2
    failed+=("$t")
  fi
done
[ ${#failed[@]} -eq 0 ] || { echo "fuzz-smoke: failed: ${failed[*]}" >&2; exit 1; }
