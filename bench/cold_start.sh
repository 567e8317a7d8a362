#!/usr/bin/env bash
# Lambda cold start: init time (process start to the first GET /next on a local
# Runtime API) of logsvc's bootstrap, of the packaged bootstrap in a chroot (as
# root), and of the original design's Python init (import boto3;
# boto3.resource("dynamodb")) on Debian's python3 and python3-boto3. Prints
# medians and p90s, the ratio python / bootstrap, and whether it is >= 20.
# See bench/README.md.
#
#   bench/cold_start.sh                  # RUNS=20 each
#   RUNS=50 bench/cold_start.sh
#
# Environment:
#   LOGSVC_BOOTSTRAP   the binary (default: build/lambda/bootstrap)
#   LOGSVC_LAMBDA_ZIP  the package (default: dist/logsvc-lambda.zip when it exists)
#   RUNS, WARMUP       measured and unmeasured runs of each variant (default 20, 2)
#   PYTHON             the interpreter of the Python variant (default /usr/bin/python3)
#
# Writes bench/results/cold_start.json. Exits 0 whether or not the target is met;
# 1 if a run broke; 2 on a setup problem.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$BENCH_DIR/.." && pwd)
BOOTSTRAP=${LOGSVC_BOOTSTRAP:-$REPO_ROOT/build/lambda/bootstrap}
ZIP=${LOGSVC_LAMBDA_ZIP-}
if [[ -z $ZIP && -f $REPO_ROOT/dist/logsvc-lambda.zip ]]; then
  ZIP=$REPO_ROOT/dist/logsvc-lambda.zip
fi
RUNS=${RUNS:-20}
WARMUP=${WARMUP:-2}
PYTHON=${PYTHON:-/usr/bin/python3}

die() {
  printf 'bench/cold_start.sh: error: %s\n' "$*" >&2
  exit 2
}

[[ -x $BOOTSTRAP ]] || die "no bootstrap at $BOOTSTRAP: build target logsvc_bootstrap
    (cmake -S $REPO_ROOT -B $REPO_ROOT/build && cmake --build $REPO_ROOT/build --target logsvc_bootstrap)
  or point LOGSVC_BOOTSTRAP at one."
[[ -z $ZIP || -f $ZIP ]] || die "LOGSVC_LAMBDA_ZIP=$ZIP does not exist (scripts/package-lambda.sh builds it)"
"$PYTHON" -c 'import boto3' 2>/dev/null ||
  die "$PYTHON cannot import boto3: run scripts/setup.sh bench (installs python3-boto3)"
if [[ -n $ZIP && -f $ZIP && $ZIP -ot $BOOTSTRAP ]]; then
  printf 'bench/cold_start.sh: note: %s is older than %s (rebuild it with scripts/package-lambda.sh)\n' \
    "$ZIP" "$BOOTSTRAP" >&2
fi

exec python3 "$BENCH_DIR/cold_start.py" --runs "$RUNS" --warmup "$WARMUP" \
  --bootstrap "$BOOTSTRAP" --zip "$ZIP" --python "$PYTHON" \
  --json "$BENCH_DIR/results/cold_start.json"
