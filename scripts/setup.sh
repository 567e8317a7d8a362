#!/usr/bin/env bash
# Installs the Debian packages logsvc needs, only those missing.
#   scripts/setup.sh build   what `logsvc` needs to build
#   scripts/setup.sh test    + what the tests need (GoogleTest, clang for libFuzzer, python3, curl)
#   scripts/setup.sh bench   + what the benchmark needs (wrk, nginx)
set -euo pipefail

level=${1:-build}
packages=(g++ cmake make librocksdb-dev libsimdjson-dev libboost1.81-dev libcli11-dev libssl-dev)
case "$level" in
  build) ;;
  test) packages+=(libgtest-dev clang libclang-rt-14-dev python3 curl) ;;
  bench) packages+=(wrk nginx curl python3) ;;
  *) echo "usage: $0 build|test|bench" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}" >&2
sudo=()
[ "$(id -u)" -ne 0 ] && sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
