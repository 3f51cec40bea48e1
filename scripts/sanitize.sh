#!/usr/bin/env bash
# The sanitizer pass: builds with clang, AddressSanitizer and UBSan (scripts/sanitizer-build.sh,
# shared with the fuzz targets) and runs the unit and integration tests under them. A memory
# error, a leak or undefined behaviour fails the test it happens in.
#
#   scripts/sanitize.sh          unit and integration tests (what scripts/test.sh runs)
#   scripts/sanitize.sh unit     unit tests only: protocol, crypto, certs, net, store, core, federation, node
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/sanitizer-build.sh

unit_dirs=(protocol crypto certs net store core federation node)
case "${1:-all}" in
  unit)
    sanitizer_build protocol_tests crypto_tests certs_tests net_tests store_tests core_tests federation_tests node_tests tls_stream_tests web_files_tests
    dirs=("${unit_dirs[@]}")
    ;;
  all)
    sanitizer_build
    dirs=("${unit_dirs[@]}" client audit integration)
    ;;
  *)
    echo "usage: scripts/sanitize.sh [unit|all]" >&2
    exit 2
    ;;
esac
mkdir -p "$sanitizer_dir/logs"
failed=()
for d in "${dirs[@]}"; do
  [ -d "$sanitizer_dir/tests/$d" ] || continue  # not in this tree (yet)
  log=$sanitizer_dir/logs/tests-$d.log
  if ctest --test-dir "$sanitizer_dir/tests/$d" -j2 --output-on-failure >"$log" 2>&1; then
    echo "sanitize: tests/$d: $(grep -E '^[0-9]+% tests passed' "$log")"
  else
    cat "$log" >&2
    echo "sanitize: tests/$d FAILED (log: $log)" >&2
    failed+=("$d")
  fi
done
[ ${#failed[@]} -eq 0 ] || { echo "sanitize: failed: ${failed[*]}" >&2; exit 1; }
