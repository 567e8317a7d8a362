#!/usr/bin/env bash
# Installs the Debian packages logsvc needs, only those missing.
#   scripts/setup.sh build   what `logsvc` needs to build
#   scripts/setup.sh test    + what the tests need (GoogleTest, clang for libFuzzer, python3, curl,
#                            Node.js, Chromium for the web viewer's tests), and the npm test tools of tests/node/package-lock.json
#                            (dynalite, the AWS SDK for JavaScript, an HCL2 parser, the AWS
#                            provider's schema) into tests/node/node_modules, never globally
#   scripts/setup.sh bench   + what the benchmark needs (wrk, nginx, boto3 for the cold start)
#   scripts/setup.sh search-bench  + ClickHouse for bench/search.py (which runs its own server
#                            process; on a machine with systemd the package also starts a
#                            system service on ports 8123/9000, which the benchmark does not use)
#   scripts/setup.sh package + what scripts/package-lambda.sh needs (zip)
set -euo pipefail

level=${1:-build}
packages=(g++ cmake make librocksdb-dev libsimdjson-dev libboost1.81-dev libcli11-dev libssl-dev libroaring-dev libjemalloc-dev zlib1g-dev libzstd-dev libsnappy-dev pkg-config libprotobuf-dev protobuf-compiler prometheus-cpp-dev)
case "$level" in
  build) ;;
  test) packages+=(libgtest-dev clang libclang-rt-14-dev python3 python3-prometheus-client curl zip unzip zstd chromium) ;;
  bench) packages+=(wrk nginx curl python3 python3-boto3) ;;
  search-bench) packages+=(wrk nginx curl python3 python3-boto3 clickhouse-server clickhouse-client) ;;
  package) packages+=(zip binutils) ;;
  *) echo "usage: $0 build|test|bench|search-bench|package" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm may come from elsewhere than Debian (the machine's own); only
# when the commands are absent are Debian's packages installed.
if [ "$level" = test ]; then
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$level" = test ]; then
  # npm ci installs exactly the pinned lock file; skipped while it is unchanged.
  node_dir="$(dirname "$0")/../tests/node"
  stamp="$node_dir/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$node_dir/package-lock.json" -nt "$stamp" ]; then
    echo "setup: installing the npm test tools into tests/node/node_modules" >&2
    (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
fi
