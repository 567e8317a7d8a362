#!/usr/bin/env bash
# Tests log ingestion against a running deployment.
#
#   tests/test_ingest.sh URL
#
# URL is the full ingest endpoint, e.g. http://127.0.0.1:8080/logs or a Lambda
# function URL. Posts one valid entry of each severity (expects 201 with a
# logId and a timestamp) and several invalid ones (expects 400 with an error).
# Prints a PASS or FAIL line per check; exits 1 if any check fails.
# Needs bash, curl and python3 (for the JSON checks).
set -u

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 URL   (e.g. $0 http://127.0.0.1:8080/logs)" >&2
  exit 2
fi
URL=$1
for tool in curl python3; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "$0: $tool is required" >&2
    exit 2
  fi
done

PASSED=0
FAILED=0
pass() { echo "PASS: $1"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL: $1"; FAILED=$((FAILED + 1)); }

BODY_FILE=$(mktemp)
trap 'rm -f "$BODY_FILE"' EXIT

# post DATA: POSTs DATA as JSON; sets STATUS (000 if no answer) and BODY.
post() {
  : >"$BODY_FILE"
  STATUS=$(curl -sS --max-time 15 -o "$BODY_FILE" -w '%{http_code}' -X POST \
    -H 'Content-Type: application/json' --data-binary "$1" "$URL" 2>/dev/null) || STATUS=${STATUS:-000}
  BODY=$(cat "$BODY_FILE")
  if [ "$STATUS" = 000 ]; then BODY="(no HTTP answer from $URL)"; fi
}

# check_json PYTHON_EXPR: evaluates the expression with `b` bound to the parsed
# body; prints nothing and succeeds if it is true, else prints why.
check_json() {
  printf '%s' "$BODY" | python3 -c '
import json, re, sys
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", re.I)
try:
    b = json.load(sys.stdin)
except ValueError as e:
    print("body is not JSON: %s" % e); sys.exit(1)
try:
    ok = eval("(" + sys.argv[1] + ")", {"UUID4": UUID4}, {"b": b})
except (KeyError, TypeError, AttributeError):
    ok = False
if not ok:
    print("expected " + " ".join(sys.argv[1].split())); sys.exit(1)
' "$1"
}

RUN="test_ingest.sh $$ $(date +%s)"

# Valid entries: 201 {"statusCode":201,"message":...,"logId":<uuid>,"timestamp":<ms>}.
for severity in info warning error; do
  name="valid $severity entry"
  post "{\"severity\":\"$severity\",\"message\":\"$RUN: a $severity entry\"}"
  if [ "$STATUS" != 201 ]; then
    fail "$name: expected 201, got $STATUS: $BODY"
    continue
  fi
  why=$(check_json 'isinstance(b, dict) and b.get("statusCode") == 201
      and isinstance(b.get("logId"), str) and UUID4.match(b["logId"]) is not None
      and type(b.get("timestamp")) is int and b["timestamp"] > 0
      and isinstance(b.get("message"), str) and b["message"] != ""')
  if [ $? -eq 0 ]; then
    pass "$name: 201 with logId and timestamp"
  else
    fail "$name: $why: $BODY"
  fi
done

# Invalid requests: 400 {"statusCode":400,"error":"..."}.
expect_400() {
  local name=$1 data=$2 why
  post "$data"
  if [ "$STATUS" != 400 ]; then
    fail "$name: expected 400, got $STATUS: $BODY"
    return
  fi
  why=$(check_json 'isinstance(b, dict) and b.get("statusCode") == 400
      and isinstance(b.get("error"), str) and b["error"].strip() != ""')
  if [ $? -eq 0 ]; then
    pass "$name: 400 with an error message"
  else
    fail "$name: $why: $BODY"
  fi
}

expect_400 "invalid severity" "{\"severity\":\"critical\",\"message\":\"$RUN: bad severity\"}"
expect_400 "missing message" '{"severity":"info"}'
expect_400 "missing severity" "{\"message\":\"$RUN: no severity\"}"
expect_400 "empty message" '{"severity":"info","message":""}'
expect_400 "blank message" '{"severity":"info","message":"   "}'
expect_400 "message not a string" '{"severity":"info","message":42}'
expect_400 "invalid JSON" '{"severity":"info","message":'
expect_400 "not a JSON object" '["info","a message"]'

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
