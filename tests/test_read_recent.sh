#!/usr/bin/env bash
# Tests reading the most recent log entries from a running deployment.
#
#   tests/test_read_recent.sh URL
#
# URL is the full read endpoint, e.g. http://127.0.0.1:8080/logs or a Lambda
# function URL. GETs it and checks: status 200, statusCode 200, count ==
# len(logs) <= 100, newest first (timestamps never increase), and that every
# entry has exactly the five fields logId, timestamp, datetime, severity,
# message, well formed. Prints a PASS or FAIL line per check; exits 1 if any
# check fails. Needs bash, curl and python3 (for the JSON checks).
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

BODY_FILE=$(mktemp)
trap 'rm -f "$BODY_FILE"' EXIT

STATUS=$(curl -sS --max-time 15 -o "$BODY_FILE" -w '%{http_code}' "$URL" 2>/dev/null) || STATUS=${STATUS:-000}
if [ "$STATUS" = 200 ]; then
  echo "PASS: GET $URL: status 200"
  STATUS_OK=1
else
  echo "FAIL: GET $URL: expected status 200, got $STATUS: $(head -c 300 "$BODY_FILE")"
  STATUS_OK=0
fi

# The body checks, one PASS/FAIL line each; exit status 1 if any fails.
python3 - "$BODY_FILE" <<'PY'
import datetime, json, re, sys

failures = 0

def check(ok, name, detail=""):
    global failures
    if ok:
        print("PASS: " + name)
    else:
        failures += 1
        print("FAIL: " + name + (": " + detail if detail else ""))
    return ok

raw = open(sys.argv[1], "rb").read()
try:
    body = json.loads(raw.decode("utf-8"))
except ValueError as e:
    check(False, "body is JSON", "%s: %r" % (e, raw[:300]))
    sys.exit(1)
if not check(isinstance(body, dict), "body is a JSON object", repr(raw[:300])):
    sys.exit(1)

check(body.get("statusCode") == 200, "statusCode is 200", repr(body.get("statusCode")))
logs, count = body.get("logs"), body.get("count")
if not check(isinstance(logs, list), "logs is a list", repr(logs)[:300]):
    sys.exit(1)
check(type(count) is int and count == len(logs), "count == len(logs)",
      "count %r, %d entries" % (count, len(logs)))
check(len(logs) <= 100, "at most 100 entries", "%d entries" % len(logs))

KEYS = {"logId", "timestamp", "datetime", "severity", "message"}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


def problem(e):
    """What is wrong with one entry, or None."""
    if not isinstance(e, dict):
        return "not an object"
    if set(e) != KEYS:
        return "fields are %s, not %s" % (sorted(e), sorted(KEYS))
    if not isinstance(e["logId"], str) or not UUID.match(e["logId"]):
        return "logId %r is not a UUID" % (e["logId"],)
    if type(e["timestamp"]) is not int:
        return "timestamp %r is not an integer" % (e["timestamp"],)
    t = datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=e["timestamp"])
    iso = t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03d" % (e["timestamp"] % 1000) + "Z"
    if e["datetime"] != iso:
        return "datetime %r is not %s (the timestamp)" % (e["datetime"], iso)
    if e["severity"] not in ("info", "warning", "error"):
        return "severity %r is not info, warning or error" % (e["severity"],)
    if not isinstance(e["message"], str) or not e["message"].strip():
        return "message %r is not a non-empty string" % (e["message"],)
    return None


bad = [(i, problem(e)) for i, e in enumerate(logs) if problem(e)]
check(not bad, "every entry has exactly the five fields, well formed",
      "entry %d: %s" % bad[0] if bad else "")
if not bad:
    stamps = [e["timestamp"] for e in logs]
    wrong = [i for i in range(1, len(stamps)) if stamps[i] > stamps[i - 1]]
    check(not wrong, "newest first (timestamps never increase)",
          "entry %d (%s) is newer than entry %d (%s)" % (
              wrong[0], stamps[wrong[0]], wrong[0] - 1, stamps[wrong[0] - 1]) if wrong else "")
    ids = [e["logId"] for e in logs]
    check(len(set(ids)) == len(ids), "no logId listed twice")
if not logs:
    print("NOTE: no entries yet; the order and field checks had nothing to look at")
sys.exit(1 if failures else 0)
PY
BODY_OK=$?

if [ "$STATUS_OK" = 1 ] && [ "$BODY_OK" = 0 ]; then
  echo "all checks passed"
  exit 0
fi
echo "some checks failed"
exit 1
