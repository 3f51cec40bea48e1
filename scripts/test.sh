#!/usr/bin/env bash
# Installs what is missing, builds everything with warnings as errors, and runs every test
# (unit and multi-process integration tests over real TLS on 127.0.0.1).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset ci
cmake --build --preset ci
ctest --preset ci -j2
