"""API keys (issue 13) against the real `logsvc serve --auth-keys FILE`: keys
made by `logsvc keys create`, every route with no key, a wrong key, a key
without the scope and the right one, each way of presenting a key, SIGHUP
reloading the file without dropping connections, and the warning of a keyless
server reachable from other machines."""

import base64
import hashlib
import json
import os
import re
import signal
import stat
import tempfile
import time
import unittest

from harness import LogsvcTestCase, now_ms, run_cli, send

ENTRY = {"severity": "info", "message": "auth test entry"}
OTLP_JSON = {"resourceLogs": [{"scopeLogs": [{"logRecords": [
    {"timeUnixNano": str(now_ms() * 1_000_000), "severityNumber": 9,
     "body": {"stringValue": "otlp with a key"}}]}]}]}
LOKI_JSON = {"streams": [{"stream": {"job": "auth"},
                          "values": [[str(now_ms() * 1_000_000), "loki with a key"]]}]}
BULK = b'{"create":{"_index":"app"}}\n{"message":"bulk with a key","log.level":"info"}\n'


def bearer(key):
    return {"Authorization": "Bearer " + key}


def basic(key, user="shipper"):
    token = base64.b64encode(("%s:%s" % (user, key)).encode()).decode()
    return {"Authorization": "Basic " + token}


def x_api_key(key):
    return {"X-API-Key": key}


class KeysFile:
    """A keys file in a temporary directory, filled by `logsvc keys create`."""

    def __init__(self, test):
        d = tempfile.TemporaryDirectory(prefix="logsvc-keys-")
        test.addCleanup(d.cleanup)
        self.path = os.path.join(d.name, "keys")
        self.test = test

    def create(self, scopes, name=None, extra=()):
        args = ["keys", "create", "--auth-keys", self.path, "--scopes", scopes] + list(extra)
        if name:
            args += ["--name", name]
        done = run_cli(args)
        self.test.assertEqual(done.returncode, 0, done.stderr)
        key = done.stdout.decode().strip()
        self.test.assertRegex(key, r"^lsk_[A-Za-z0-9_-]{43}$")
        return key


class KeysCommandTest(LogsvcTestCase):
    def test_create_appends_the_hash_never_the_key(self):
        keys = KeysFile(self)
        first = keys.create("ingest,read", "app1")
        second = keys.create("admin")
        self.assertNotEqual(first, second)
        self.assertEqual(stat.S_IMODE(os.stat(keys.path).st_mode), 0o600)
        with open(keys.path) as f:
            text = f.read()
        self.assertNotIn(first, text)
        self.assertNotIn(second, text)
        lines = text.splitlines()
        self.assertEqual(lines, [
            "sha256:%s  scopes=ingest,read  name=app1" % hashlib.sha256(first.encode()).hexdigest(),
            "sha256:%s  scopes=admin" % hashlib.sha256(second.encode()).hexdigest()])

    def test_bad_scopes_or_name_are_usage_errors_and_write_nothing(self):
        keys = KeysFile(self)
        for args in (["--scopes", "write"], ["--scopes", "read", "--name", "a b"],
                     ["--scopes", ""], []):
            with self.subTest(args=args):
                done = run_cli(["keys", "create", "--auth-keys", keys.path] + args)
                self.assertEqual(done.returncode, 2, done)
                self.assertEqual(done.stdout, b"")
                self.assertEqual(len(done.stderr.decode().strip().splitlines()), 1, done.stderr)
                self.assertFalse(os.path.exists(keys.path) and os.path.getsize(keys.path))

    def test_a_server_refuses_to_start_on_a_bad_keys_file(self):
        keys = KeysFile(self)
        data_dir = os.path.join(os.path.dirname(keys.path), "data")
        # Malformed lines, a missing file, and a file without a key (which
        # never means "no authentication").
        for text, error in (("not a key line\n", "line 1"),
                            ("sha256:%s scopes=everything\n" % ("ab" * 32), "line 1"),
                            (None, "cannot read the keys file"),
                            ("", "holds no key"), ("# all keys revoked\n", "holds no key")):
            path = keys.path + ".missing"
            if text is not None:
                path = keys.path
                with open(path, "w") as f:
                    f.write(text)
            with self.subTest(text=text):
                done = run_cli(["serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir,
                                "--auth-keys", path])
                self.assertEqual(done.returncode, 2)
                line = json.loads(done.stderr.decode().splitlines()[0])
                self.assertEqual(line["msg"], "cannot start")
                self.assertIn(error, line["error"])


class AuthTest(LogsvcTestCase):
    def setUp(self):
        self.keys = KeysFile(self)
        self.ingest_key = self.keys.create("ingest", "shipper")
        self.read_key = self.keys.create("read", "viewer")
        self.admin_key = self.keys.create("admin", "ops")
        self.both_key = self.keys.create("ingest,read")
        self.server = self.start_server(args=["--auth-keys", self.keys.path])
        self.assertEqual(self.server.started["api_keys"], 4)
        created = self.server.request("POST", "/logs", ENTRY, headers=bearer(self.ingest_key))
        self.assertEqual(created.status, 201, created)
        self.seed = created.json()["logId"]

    def stored_count(self):
        reply = self.server.request("GET", "/logs", headers=bearer(self.read_key))
        self.assertEqual(reply.status, 200, reply)
        return reply.json()["count"]

    def routes(self):
        """(method, path, body, headers, the scope it needs)."""
        return [
            ("POST", "/logs", ENTRY, {}, "ingest"),
            ("POST", "/logs", [ENTRY, ENTRY], {}, "ingest"),
            ("POST", "/v1/logs", OTLP_JSON, {}, "ingest"),
            ("POST", "/loki/api/v1/push", LOKI_JSON, {}, "ingest"),
            ("POST", "/_bulk", BULK, {"Content-Type": "application/x-ndjson"}, "ingest"),
            ("POST", "/app/_bulk", BULK, {"Content-Type": "application/x-ndjson"}, "ingest"),
            ("GET", "/", None, {}, "ingest"),
            ("GET", "/_license", None, {}, "ingest"),
            ("GET", "/logs", None, {}, "read"),
            ("HEAD", "/logs", None, {}, "read"),
            ("GET", "/logs?q=auth", None, {}, "read"),
            ("GET", "/logs/stats", None, {}, "read"),
            # The live tail: HEAD, whose answer ends (a GET streams on).
            ("HEAD", "/logs/tail", None, {}, "read"),
            ("GET", "/logs/" + self.seed, None, {}, "read"),
        ]

    def test_every_route_without_a_valid_key_is_401_and_changes_nothing(self):
        before = self.stored_count()
        for method, path, body, headers, _ in self.routes():
            replies = {}
            for how, extra in (("none", {}), ("wrong bearer", bearer("lsk_" + "A" * 43)),
                               ("wrong basic", basic("nope")), ("wrong x-api-key", x_api_key("x")),
                               ("hash as key", bearer(hashlib.sha256(
                                   self.read_key.encode()).hexdigest()))):
                with self.subTest(route=(method, path), how=how):
                    reply = self.server.request(method, path, body, dict(headers, **extra))
                    self.assertEqual(reply.status, 401, reply)
                    self.assertEqual(reply.header("WWW-Authenticate"),
                                     'Bearer realm="logsvc", Basic realm="logsvc"')
                    if method != "HEAD":
                        self.assertIn("API key", reply.json()["error"])
                    replies[how] = reply.body
            # Nothing tells a wrong key from no key.
            self.assertEqual(len(set(replies.values())), 1, replies)
        self.assertEqual(self.stored_count(), before)

    def test_a_key_without_the_scope_is_403_and_changes_nothing(self):
        before = self.stored_count()
        holders = {"ingest": [self.ingest_key, self.both_key], "read": [self.read_key, self.both_key]}
        for method, path, body, headers, scope in self.routes():
            for key in (self.ingest_key, self.read_key, self.admin_key):
                if key in holders[scope]:
                    continue
                with self.subTest(route=(method, path), key=key[:8]):
                    reply = self.server.request(method, path, body, dict(headers, **bearer(key)))
                    self.assertEqual(reply.status, 403, reply)
                    if method != "HEAD":
                        self.assertIn('"%s" scope' % scope, reply.json()["error"])
        self.assertEqual(self.stored_count(), before)

    def test_each_way_of_presenting_a_key_works_on_every_route(self):
        before = self.stored_count()
        stored = 0
        for present in (bearer, basic, x_api_key):
            for method, path, body, headers, scope in self.routes():
                with self.subTest(route=(method, path), how=present.__name__):
                    key = self.ingest_key if scope == "ingest" else self.read_key
                    reply = self.server.request(method, path, body, dict(headers, **present(key)))
                    self.assertIn(reply.status, (200, 201, 204), reply)
                    if method == "POST":
                        stored += 2 if isinstance(body, list) else 1
        # Elasticsearch's own scheme: base64 of "id:key".
        token = base64.b64encode(("id1:" + self.both_key).encode()).decode()
        reply = self.server.request("POST", "/_bulk", BULK, {
            "Content-Type": "application/x-ndjson", "Authorization": "ApiKey " + token})
        self.assertEqual(reply.status, 200, reply)
        stored += 1
        self.assertEqual(self.stored_count(), min(100, before + stored))

    def test_health_and_preflight_need_no_key(self):
        self.assertEqual(self.server.request("GET", "/healthz").status, 200)
        reply = self.server.request("OPTIONS", "/logs")
        self.assertEqual(reply.status, 204)
        self.assertIn("X-API-Key", self.server.request("OPTIONS", "/logs").header(
            "Access-Control-Allow-Headers") or "")

    def test_sighup_reloads_the_keys_without_dropping_connections(self):
        conn = self.server.connection()
        self.addCleanup(conn.close)
        self.assertEqual(send(conn, "GET", "/logs", headers=bearer(self.read_key)).status, 200)
        new_key = self.keys.create("read", "late")
        self.assertEqual(send(conn, "GET", "/logs", headers=bearer(new_key)).status, 401)
        # The read key is taken out of the file; the new one is in.
        with open(self.keys.path) as f:
            lines = f.read().splitlines()
        read_hash = hashlib.sha256(self.read_key.encode()).hexdigest()
        with open(self.keys.path, "w") as f:
            f.write("\n".join(l for l in lines if read_hash not in l) + "\n")
        self.server.proc.send_signal(signal.SIGHUP)
        self.wait_for_log("keys file re-read")
        # The same connection, still open: the new key works, the removed one does not.
        self.assertEqual(send(conn, "GET", "/logs", headers=bearer(new_key)).status, 200)
        self.assertEqual(send(conn, "GET", "/logs", headers=bearer(self.read_key)).status, 401)
        # A file that does not parse: logged, and the keys in force stay.
        with open(self.keys.path, "a") as f:
            f.write("garbage\n")
        self.server.proc.send_signal(signal.SIGHUP)
        line = self.wait_for_log("keys file not re-read")
        self.assertIn("line", line["error"])
        self.assertEqual(send(conn, "GET", "/logs", headers=bearer(new_key)).status, 200)
        # An emptied file (every key revoked): refused too, never "open".
        with open(self.keys.path, "w") as f:
            f.write("")
        self.server.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and sum(
                "keys file not re-read" in l for l in self.server.stderr_lines) < 2:
            time.sleep(0.05)
        self.assertEqual(sum("keys file not re-read" in l for l in self.server.stderr_lines), 2)
        self.assertEqual(send(conn, "GET", "/logs").status, 401)
        self.assertTrue(self.server.running())
        # Keys never reach the service's log.
        for key in (self.ingest_key, self.read_key, new_key, self.admin_key):
            self.assertNotIn(key, "\n".join(self.server.stderr_lines))

    def wait_for_log(self, msg, timeout=10):
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            lines = self.server.stderr_lines
            for raw in lines[seen:]:
                try:
                    line = json.loads(raw)
                except ValueError:
                    continue
                if line.get("msg", "").startswith(msg):
                    return line
            seen = len(lines)
            time.sleep(0.05)
        self.fail("no %r in the log: %r" % (msg, self.server.stderr_lines))


class RateLimitTest(LogsvcTestCase):
    """Token buckets: a burst past the limit gets 429s with Retry-After, and
    what is accepted is what the bucket held (plus what it refilled meanwhile)."""

    def total(self, server, headers=None):
        # Up to a minute ahead: `to` is exclusive, and by default now, so an
        # entry of this very millisecond would not be counted.
        reply = server.request("GET", "/logs/stats?from=1h&to=%d" % (now_ms() + 60_000),
                               headers=headers)
        self.assertEqual(reply.status, 200, reply)
        return reply.json()["total"]

    def burst(self, server, n, body, headers):
        """n POST /logs on one keep-alive connection, as fast as it goes;
        returns (statuses, seconds it took, the 429s' Retry-After values)."""
        conn = server.connection()
        self.addCleanup(conn.close)
        statuses, retry_after = [], set()
        start = time.monotonic()
        for _ in range(n):
            reply = send(conn, "POST", "/logs", body, headers)
            statuses.append(reply.status)
            if reply.status == 429:
                retry_after.add(reply.header("Retry-After"))
                self.assertIn("Too many", reply.json()["error"])
        return statuses, time.monotonic() - start, retry_after

    def test_requests_per_key_from_the_keys_file(self):
        keys = KeysFile(self)
        # The key's own limit (5 a second) replaces the server's (1000).
        limited = keys.create("ingest,read", "limited", ["--requests-per-second", "5"])
        with open(keys.path) as f:
            self.assertIn("requests-per-second=5", f.read())
        free = keys.create("ingest,read", "free")
        server = self.start_server(args=["--auth-keys", keys.path, "--rate-limit-requests", "1000"])
        statuses, took, retry_after = self.burst(server, 20, ENTRY, bearer(limited))
        accepted = statuses.count(201)
        # Five in the bucket, plus what refilled while the burst ran.
        self.assertGreaterEqual(accepted, 5, statuses)
        self.assertLessEqual(accepted, 5 + int(took * 5) + 1, (statuses, took))
        self.assertEqual(statuses.count(429), 20 - accepted, statuses)
        self.assertEqual(statuses[:5], [201] * 5)
        self.assertEqual(retry_after, {"1"})
        # Nothing but the accepted was stored; another key is not limited by it.
        statuses, _, _ = self.burst(server, 20, ENTRY, bearer(free))
        self.assertEqual(statuses, [201] * 20)
        self.assertEqual(self.total(server, bearer(free)), accepted + 20)

    def test_entries_per_client_address_without_keys(self):
        server = self.start_server(args=["--rate-limit-entries", "1000"])
        self.assertEqual(server.started["rate_limit_entries"], 1000)
        batch = [{"severity": "info", "message": "rate %d" % i} for i in range(300)]
        statuses, took, retry_after = self.burst(server, 8, batch, {})
        accepted = statuses.count(201)
        # 1000 in the bucket: batches are let in while it is above zero
        # (1000, 700, 400, 100), the fifth waits for the debt to be paid.
        self.assertGreaterEqual(accepted, 4, statuses)
        self.assertLessEqual(accepted, 4 + int(took * 1000 / 300) + 1, (statuses, took))
        self.assertEqual(statuses[:4], [201] * 4)
        self.assertIn(429, statuses)
        self.assertEqual(self.total(server), 300 * accepted)
        # The wait is what Retry-After said: after it, a batch is taken again.
        time.sleep(max(int(v) for v in retry_after))
        reply = server.request("POST", "/logs", batch)
        self.assertEqual(reply.status, 201, reply)


class CorsWithKeysTest(LogsvcTestCase):
    """With keys, --cors-origins '*' opens the API to pages of any origin
    safely: each request still needs a key, and a page can read the 401 to
    ask for one."""

    DASH = "https://dashboard.example"

    def setUp(self):
        self.keys = KeysFile(self)
        self.reader = self.keys.create("read,ingest")
        self.server = self.start_server(args=["--auth-keys", self.keys.path,
                                              "--cors-origins", "*"])

    def browser(self, extra=None):
        headers = {"Origin": self.DASH, "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors"}
        headers.update(extra or {})
        return headers

    def test_a_page_of_any_origin_with_a_key_reads_and_without_one_is_told_to_send_one(self):
        reply = self.server.request("GET", "/logs", headers=self.browser(bearer(self.reader)))
        self.assertEqual(reply.status, 200, reply)
        self.assertEqual(reply.header("Access-Control-Allow-Origin"), "*")
        refused = self.server.request("GET", "/logs", headers=self.browser())
        self.assertEqual(refused.status, 401)
        self.assertEqual(refused.header("Access-Control-Allow-Origin"), "*")
        self.assertEqual(refused.header("Access-Control-Expose-Headers"), "WWW-Authenticate")
        created = self.server.request("POST", "/logs", ENTRY, self.browser(x_api_key(self.reader)))
        self.assertEqual(created.status, 201)
        self.assertEqual(created.header("Access-Control-Expose-Headers"), "Location")
        preflight = self.server.request("OPTIONS", "/logs", headers=self.browser({
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization"}))
        self.assertEqual(preflight.status, 204)
        allowed = preflight.header("Access-Control-Allow-Headers").lower()
        self.assertIn("authorization", allowed)
        self.assertIn("x-api-key", allowed)
        self.assertFalse([l for l in self.server.stderr_lines if "--cors-origins '*'" in l])

    def test_star_without_keys_warns(self):
        server = self.start_server(args=["--cors-origins", "*"])
        time.sleep(0.2)
        self.assertTrue([l for l in server.stderr_lines[1:] if "--cors-origins '*'" in l],
                        server.stderr_lines)


class KeylessWarningTest(LogsvcTestCase):
    def warnings(self, server):
        time.sleep(0.2)
        return [json.loads(l) for l in server.stderr_lines[1:]
                if l.startswith("{") and json.loads(l).get("level") == "warn"]

    def test_a_keyless_server_on_all_addresses_warns(self):
        server = self.start_server(listen="0.0.0.0")
        self.assertEqual(server.started["api_keys"], 0)
        found = [w for w in self.warnings(server) if "no API keys" in w["msg"]]
        self.assertEqual(len(found), 1, server.stderr_lines)

    def test_a_keyless_server_on_loopback_does_not(self):
        server = self.start_server()
        self.assertEqual([w for w in self.warnings(server) if "no API keys" in w["msg"]], [])

    def test_a_server_with_keys_on_all_addresses_does_not(self):
        keys = KeysFile(self)
        keys.create("read")
        server = self.start_server(listen="0.0.0.0", args=["--auth-keys", keys.path])
        self.assertEqual([w for w in self.warnings(server) if "no API keys" in w["msg"]], [])


if __name__ == "__main__":
    unittest.main()
