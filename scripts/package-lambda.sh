#!/usr/bin/env bash
# Builds dist/logsvc-lambda.zip: the Lambda functions of logsvc for the
# provided.al2023 runtime, for this machine's architecture (x86_64 or arm64;
# set Terraform's `architecture` to match).
#
# Amazon Linux 2023's glibc is older than Debian's, so the zip carries its own:
#   bootstrap   the program (OpenSSL linked in); its ELF
#               interpreter is /var/task/lib/ld-linux-*.so.* and its RPATH
#               /var/task/lib, so it loads nothing of the host's
#   lib/        that dynamic loader and every shared library bootstrap needs
# /var/task is where Lambda unpacks a function's zip (LAMBDA_TASK_ROOT).
# The CA bundle is Amazon Linux's /etc/pki/tls/certs/ca-bundle.crt, read at
# the first HTTPS call (src/net/http_client.h).
set -euo pipefail
cd "$(dirname "$0")/.."

task_root=/var/task
scripts/setup.sh build
command -v zip >/dev/null || scripts/setup.sh package

cmake -S . -B build-lambda -DCMAKE_BUILD_TYPE=Release -DLOGSVC_TESTS=OFF \
  -DLOGSVC_LAMBDA_TASK_ROOT="$task_root" >/dev/null
cmake --build build-lambda -j "$(nproc)" --target logsvc_bootstrap >/dev/null

stage=build-lambda/package
rm -rf "$stage" && mkdir -p "$stage/lib"
cp build-lambda/lambda/bootstrap "$stage/bootstrap"
strip --strip-all "$stage/bootstrap"

# The libraries as the system's loader resolves them (the interpreter in the
# binary does not exist here yet, so ask the system's loader directly).
interpreter=$(readelf -l "$stage/bootstrap" | sed -n 's/.*interpreter: \(.*\)]/\1/p')
system_loader=$(readelf -l /bin/sh | sed -n 's/.*interpreter: \(.*\)]/\1/p')
[ "$(basename "$interpreter")" = "$(basename "$system_loader")" ] || {
  echo "package-lambda: bootstrap wants $interpreter, this machine has $system_loader" >&2
  exit 1
}
cp -L "$system_loader" "$stage/lib/"
LD_TRACE_LOADED_OBJECTS=1 "$system_loader" "$stage/bootstrap" |
  awk '$2 == "=>" && $3 ~ /^\// { print $3 }' |
  while read -r lib; do cp -L "$lib" "$stage/lib/"; done

mkdir -p dist
rm -f dist/logsvc-lambda.zip
(cd "$stage" && zip -q -9 -X -r ../../dist/logsvc-lambda.zip bootstrap lib)
echo "dist/logsvc-lambda.zip: $(du -k dist/logsvc-lambda.zip | cut -f1) KiB," \
  "$(ls "$stage/lib" | wc -l) files in lib/ ($(ls "$stage/lib" | tr '\n' ' '))"
