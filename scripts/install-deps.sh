#!/usr/bin/env bash
# Installs the Debian 12 packages Gauntlet's build and tests need, and nothing else.
# Idempotent: packages already installed are skipped, and apt is not touched at all when
# everything is present. Works as root or through sudo.
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build pkg-config make git
  lld                   # the linker: about 4x faster than ld.bfd on the ASan test binaries
  # libraries (find_package targets in CMakeLists.txt)
  libboost-dev          # Asio (event loop) and, later, Beast
  libyaml-cpp-dev       # config files
  libsqlite3-dev        # state store
  zlib1g-dev            # gzip-compressed market data
  libspdlog-dev libfmt-dev
  libcli11-dev          # the gauntlet command line
  nlohmann-json3-dev
  libsimdjson-dev       # market-data hot path (Bybit pushes)
  libssl-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # formatting and lint
  clang-format clang-tidy
  # the validation reports' rendering test (and the dashboard's browser tests): headless Chromium
  chromium fonts-dejavu-core
  curl                  # the dashboard's browser test polls the API
  wrk                   # make bench: the control plane's latency under load
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

# The dashboard (web/) is built with Node.js and npm: Debian's packages, unless a Node.js is
# already installed (e.g. a nodesource build, which carries its own npm).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
