#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test:
#   1. Release build (g++) and the Lambda zip (scripts/package-lambda.sh): unit
#      tests, integration tests against the real binary and the Lambda bootstrap
#      (also from the zip, in a chroot), the disk-full tests on a tmpfs (root),
#      the tokenizer against Python's unicodedata, the Terraform schema check,
#      and the original design's curl scripts;
#   2. ASan + UBSan build (clang, which also checks the lock annotations of
#      src/util/mutex.h with -Wthread-safety): the same tests once more, and the libFuzzer
#      targets (the request validator, the batch parser, the search query parser)
#      for a bounded time;
#   3. ThreadSanitizer build (clang): the unit and integration tests once more,
#      a data race stopping the process (tests/tsan.supp: RocksDB's own).
# FUZZ_SECONDS (default 30) bounds each fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh test
jobs=$(nproc)

echo "== Release build and tests"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$jobs" >/dev/null
# The Lambda zip, for integration.test_lambda (both ctest runs below use it).
scripts/package-lambda.sh
(cd build && ctest --output-on-failure --timeout 300 -j "$jobs")

echo "== AddressSanitizer + UndefinedBehaviorSanitizer build and tests (clang)"
CC=clang CXX=clang++ cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DLOGSVC_SANITIZE=ON -DLOGSVC_FUZZ=ON \
  -DLOGSVC_FUZZ_SECONDS="${FUZZ_SECONDS:-30}" >/dev/null
cmake --build build-asan -j "$jobs" >/dev/null
(cd build-asan && ctest --output-on-failure --timeout 600 -j "$jobs")

echo "== ThreadSanitizer build and tests (clang)"
CC=clang CXX=clang++ cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DLOGSVC_TSAN=ON >/dev/null
cmake --build build-tsan -j "$jobs" >/dev/null
# A race ends the process with status 66 and its report on stderr, which the
# test shows (the integration tests' servers inherit the variable).
export TSAN_OPTIONS="suppressions=$PWD/tests/tsan.supp ignore_noninstrumented_modules=1 halt_on_error=1 second_deadlock_stack=1"
(cd build-tsan && ctest --output-on-failure --timeout 900 -j "$jobs" \
  -E '^(fuzz|unicode|infrastructure)\.')
