#!/usr/bin/env bash
# Installs what is missing, builds logsvc (Release) and runs it on
# 127.0.0.1:8080 with ./data. Extra arguments go to `logsvc serve`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh build
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DLOGSVC_TESTS=OFF >/dev/null
cmake --build build --target logsvc -j "$(nproc)" >/dev/null
exec build/logsvc serve --listen 127.0.0.1:8080 --data-dir ./data "$@"
