#!/usr/bin/env bash
# Installs what is missing, builds everything with warnings as errors, and runs every test
# (unit and multi-process integration tests over real TLS on 127.0.0.1), then the sanitizer
# pass: a clang build with AddressSanitizer + UBSan that runs the unit tests and a short
# fuzz run of every libFuzzer target over its committed corpus (README "Fuzzing").
#   CHATNODE_SANITIZE_PASS=0 scripts/test.sh    skips the sanitizer pass (a quicker local run)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset ci
cmake --build --preset ci
ctest --preset ci -j2

if [ "${CHATNODE_SANITIZE_PASS:-1}" != 0 ]; then
  scripts/sanitize.sh unit
  FUZZ_SECONDS=${FUZZ_SECONDS:-10} FUZZ_SEED=${FUZZ_SEED:-1} scripts/fuzz-smoke.sh
fi
