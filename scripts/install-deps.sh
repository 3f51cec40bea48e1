#!/usr/bin/env bash
# Installs the Debian 12 packages chatnode builds and tests with. Idempotent: asks apt only
# for what is missing, and runs `apt-get update` only when something is.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates openssl curl
  libboost1.81-dev libboost-json1.81-dev libboost-program-options1.81-dev
  libssl-dev liblmdb-dev lmdb-utils libcrypto++-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  systemd iproute2 adduser  # packaging tests (tests/packaging): systemd-analyze, ip, the postinst
  chromium  # the web client's browser tests (tests/web)
  clang libclang-rt-14-dev  # the sanitizer pass and libFuzzer targets (scripts/sanitize.sh, fuzz-smoke.sh)
)

# The web client is built with npm (web/package.json): Node.js 18 or newer. Debian 12's
# nodejs is 18; a newer node already on the machine (with its own npm) is kept.
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 18 ] || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
