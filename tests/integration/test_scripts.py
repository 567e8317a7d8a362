"""The user-facing scripts tests/test_ingest.sh and tests/test_read_recent.sh:
green against a live server, red against a wrong URL, and red against fake
servers that break one rule each (so every check in them can fail)."""

import http.server
import json
import os
import subprocess
import threading
import unittest
import uuid

from harness import HOST, REPO_ROOT, LogsvcTestCase, iso8601_ms, now_ms

INGEST_SH = os.path.join(REPO_ROOT, "tests", "test_ingest.sh")
READ_RECENT_SH = os.path.join(REPO_ROOT, "tests", "test_read_recent.sh")


def run_script(script, *args):
    result = subprocess.run(["bash", script] + list(args), stdin=subprocess.DEVNULL,
                            capture_output=True, timeout=120)
    return result.returncode, result.stdout.decode("utf-8", "replace"), \
        result.stderr.decode("utf-8", "replace")


class FakeServer:
    """A stand-in deployment on 127.0.0.1 answering every request with
    respond(method, body) -> (status, body bytes)."""

    def __init__(self, respond):
        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                status, body = respond(self.command, self.rfile.read(length))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer((HOST, 0), Handler)
        self.url = "http://%s:%d/logs" % (HOST, self.httpd.server_address[1])
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def entry(timestamp, **changes):
    e = {"logId": str(uuid.uuid4()), "timestamp": timestamp, "datetime": iso8601_ms(timestamp),
         "severity": "info", "message": "fake entry"}
    e.update(changes)
    return {k: v for k, v in e.items() if v is not None}


def listing(entries, **changes):
    body = {"statusCode": 200, "count": len(entries), "logs": entries}
    body.update(changes)
    return json.dumps(body).encode()


class ScriptsTest(LogsvcTestCase):

    def fake(self, respond):
        server = FakeServer(respond)
        self.addCleanup(server.close)
        return server

    def assertGreen(self, result, passes):
        code, out, err = result
        self.assertEqual(code, 0, out + err)
        self.assertNotIn("FAIL", out)
        self.assertEqual(out.count("PASS: "), passes, out)

    def assertRed(self, result, fail_mentions):
        code, out, err = result
        self.assertEqual(code, 1, out + err)
        fails = [line for line in out.splitlines() if line.startswith("FAIL: ")]
        self.assertTrue(fails, out)
        self.assertTrue(any(fail_mentions in line for line in fails), out)

    def test_scripts_against_a_live_server(self):
        server = self.start_server()
        url = "http://%s:%d/logs" % (HOST, server.port)

        result = run_script(READ_RECENT_SH, url)
        self.assertGreen(result, 9)
        self.assertIn("NOTE: no entries yet", result[1])

        before = now_ms()
        self.assertGreen(run_script(INGEST_SH, url), 11)
        # It stored its three valid entries, and only those.
        logs = self.recent(server)
        self.assertEqual([e["severity"] for e in logs], ["error", "warning", "info"])
        for e in logs:
            self.assertIn("test_ingest.sh", e["message"])
            self.assertGreaterEqual(e["timestamp"], before - 5)

        conn = server.connection()
        self.addCleanup(conn.close)
        for i in range(110):
            self.ingest(conn, ("info", "warning", "error")[i % 3], "entry %d" % i)
        result = run_script(READ_RECENT_SH, url)
        self.assertGreen(result, 9)
        self.assertNotIn("NOTE", result[1])

    def test_scripts_fail_against_a_wrong_path(self):
        server = self.start_server()
        url = "http://%s:%d/no-such-path" % (HOST, server.port)
        self.assertRed(run_script(INGEST_SH, url), "expected 201, got 404")
        self.assertRed(run_script(READ_RECENT_SH, url), "expected status 200, got 404")
        self.assertEqual(self.recent(server), [])

    def test_scripts_fail_when_nothing_answers(self):
        fake = FakeServer(lambda method, body: (200, b"{}"))
        fake.close()  # the port is free again: connections are refused
        self.assertRed(run_script(INGEST_SH, fake.url), "got 000")
        self.assertRed(run_script(READ_RECENT_SH, fake.url), "got 000")

    def test_scripts_need_a_url(self):
        for script in (INGEST_SH, READ_RECENT_SH):
            code, out, err = run_script(script)
            self.assertEqual(code, 2)
            self.assertIn("usage", err)

    def test_ingest_script_catches_a_lenient_server(self):
        created = json.dumps({"statusCode": 201, "message": "Log entry created successfully",
                              "logId": str(uuid.uuid4()), "timestamp": now_ms()}).encode()
        fake = self.fake(lambda method, body: (201, created))
        code, out, _ = run_script(INGEST_SH, fake.url)
        self.assertEqual(code, 1, out)
        self.assertEqual(out.count("PASS: "), 3, out)
        for name in ("invalid severity", "missing message", "empty message", "invalid JSON"):
            self.assertIn("FAIL: %s: expected 400, got 201" % name, out)

    def test_ingest_script_checks_the_created_body(self):
        bad_bodies = {
            "no logId": {"statusCode": 201, "message": "ok", "timestamp": 1},
            "logId not a uuid": {"statusCode": 201, "message": "ok", "logId": "42", "timestamp": 1},
            "timestamp a string": {"statusCode": 201, "message": "ok",
                                   "logId": str(uuid.uuid4()), "timestamp": "1"},
            "wrong statusCode": {"statusCode": 200, "message": "ok",
                                 "logId": str(uuid.uuid4()), "timestamp": 1},
        }
        for name, created in bad_bodies.items():
            with self.subTest(name):
                def respond(method, body, created=created):
                    try:
                        request = json.loads(body)
                        good = request.get("severity") in ("info", "warning", "error") \
                            and isinstance(request.get("message"), str) and request["message"].strip()
                    except (ValueError, AttributeError):
                        good = False
                    if good:
                        return 201, json.dumps(created).encode()
                    return 400, b'{"statusCode":400,"error":"Bad request."}'
                fake = self.fake(respond)
                code, out, _ = run_script(INGEST_SH, fake.url)
                self.assertEqual(code, 1, out)
                self.assertEqual(out.count("FAIL: valid "), 3, out)
                self.assertEqual(out.count("PASS: "), 8, out)

    def test_read_recent_script_catches_each_broken_rule(self):
        t = now_ms()
        good = [entry(t - i) for i in range(5)]
        cases = {
            "newest first": (200, listing(list(reversed(good)))),
            "count == len(logs)": (200, listing(good, count=4)),
            "at most 100": (200, listing([entry(t - i) for i in range(101)])),
            "five fields": (200, listing(good[:2] + [entry(t - 9, message=None)])),
            "five fields, extra": (200, listing(good[:2] + [entry(t - 9, extra=1)])),
            "datetime": (200, listing([entry(t, datetime="2001-01-01T00:00:00.000Z")])),
            "severity": (200, listing([entry(t, severity="debug")])),
            "logId": (200, listing([entry(t, logId="nope")])),
            "statusCode": (200, listing(good, statusCode=201)),
            "duplicate": (200, listing([good[0], good[0]])),
            "not JSON": (200, b"<html>hello</html>"),
            "status": (500, listing(good)),
        }
        mentions = {"newest first": "newest first", "count == len(logs)": "count == len(logs)",
                    "at most 100": "at most 100", "five fields": "five fields",
                    "five fields, extra": "five fields", "datetime": "datetime",
                    "severity": "severity", "logId": "logId", "statusCode": "statusCode is 200",
                    "duplicate": "listed twice", "not JSON": "body is JSON",
                    "status": "expected status 200, got 500"}
        for name, (status, body) in cases.items():
            with self.subTest(name):
                fake = self.fake(lambda method, _, status=status, body=body: (status, body))
                self.assertRed(run_script(READ_RECENT_SH, fake.url), mentions[name])
        # And the same fake serving a good listing is green.
        fake = self.fake(lambda method, _: (200, listing(good)))
        self.assertGreen(run_script(READ_RECENT_SH, fake.url), 9)


if __name__ == "__main__":
    unittest.main()
