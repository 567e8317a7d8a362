#!/usr/bin/env bash
# The logsvc benchmark now lives in bench/run.py (see its docstring and
# bench/README.md); this keeps `bench/run.sh` and `bash bench/run.sh` working.
# Same environment variables, output and exit codes.
exec python3 "$(dirname "${BASH_SOURCE[0]}")/run.py" "$@"
