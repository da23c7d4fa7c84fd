#!/usr/bin/env bash
# rsf's two set-up commands for a fresh Debian 12 machine (see README.md):
#
#   ./scripts/dev.sh demo   install dependencies, build (release), run `rsf demo`
#   ./scripts/dev.sh test   install dependencies, build (dev: ASan+UBSan), run every test
#
# Installs packages with apt-get (as root, or through sudo when not root). Progress lines
# are shown on a terminal and suppressed when CI is set.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config git
  libssl-dev libsodium-dev libsqlite3-dev libpq-dev nlohmann-json3-dev libcli11-dev libfmt-dev
  libspdlog-dev libyaml-cpp-dev libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-cryptography libboost-dev zlib1g-dev curl ca-certificates openssl libutf8proc-dev libre2-dev libzstd-dev libxxhash-dev
  $(dpkg --print-architecture | grep -qx amd64 && echo libhyperscan-dev)
)

# llama.cpp for the in-process GGUF backend (Debian has no package): provisioned from the npm
# registry, pinned by SHA-512. Without network rsf still builds; the backend says it is absent.
fetch_llama() {
  if ! ./scripts/fetch_llama.sh >/dev/null; then
    echo "rsf: could not provision llama.cpp; building without the GGUF backend" >&2
  fi
}

# For tests only: a PostgreSQL server (the store and replica tests start their own on a Unix
# socket), and for the web console's end-to-end tests Debian's Chromium and playwright-core from the
# npm registry (pinned in tests/web/package-lock.json) when Node.js >= 20 is there. Without
# them those tests say why and are skipped.
test_packages=(chromium postgresql)

install_console_test_deps() {
  if command -v npm >/dev/null && [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -ge 20 ]; then
    (cd tests/web && npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
      echo "rsf: could not install playwright-core; the console tests will be skipped" >&2
  else
    echo "rsf: Node.js >= 20 is not installed; the console tests will be skipped" >&2
  fi
}

install_deps() {
  local missing=()
  for p in "${packages[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "rsf: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

case "${1:-}" in
  demo)
    install_deps
    fetch_llama
    cmake --preset release >/dev/null
    cmake --build --preset release --target rsf
    shift
    ./build/release/apps/rsf demo "$@"
    ;;
  test)
    install_deps "${test_packages[@]}"
    install_console_test_deps
    fetch_llama
    cmake --preset dev >/dev/null
    cmake --build --preset dev
    ctest --preset dev
    ;;
  deps)
    # The build dependencies alone (deploy/Dockerfile's build stage).
    install_deps
    fetch_llama
    ;;
  *)
    echo "usage: $0 demo|test|deps" >&2
    exit 2
    ;;
esac
