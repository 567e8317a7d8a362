"""The DynamoDB store (`logsvc serve --store dynamodb`), whatever LOGSVC_TEST_STORE
says: against dynalite, a DynamoDB-compatible engine (this process's own, plus
private ones for the tests that stop it), with the official AWS SDK for
JavaScript (tests/node/dynamo.mjs) reading and writing the table the way the
original design's Python functions do, and a fault-injecting proxy
(dynamo_proxy.py) between logsvc and the engine.

The table is the original design's: hash logId (S), range timestamp (N); GSI
TimestampIndex on type (S) and timestamp (N). With --dynamodb-index-shards N an
item's type is one of "LOG", "LOG#1" ... "LOG#<N-1>"; reads always include "LOG".

Measured figures (time to 503 with the engine down, time to recover, retry
timings) are printed on stderr as lines starting with "MEASURED".
"""

import collections
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import uuid

from dynamo_proxy import FaultProxy, sigv4_problems
from harness import (AWS_TEST_ENV, CREATED_KEYS, ENTRY_KEYS, HOST, TEST_ACCESS_KEY, TEST_REGION,
                     TEST_SECRET_KEY, Dynalite, DynamoStore, LogsvcTestCase, Reply,
                     dynamo, free_port, iso8601_ms, now_ms, run_cli, send, shared_dynalite)

# Every attribute of an item, with its DynamoDB type, as the original design has them.
ITEM_TYPES = {"logId": "S", "timestamp": "N", "datetime": "S", "severity": "S", "message": "S",
              "type": "S"}
# Limits the spec sets: a POST answers within this while the engine is unusable.
ANSWER_WITHIN = 10
# How long the engine coming back may take to show (201 again, healthz 200).
RECOVER_WITHIN = 15


def partitions(shards):
    """The index partitions (type values) logsvc may write with `shards` shards."""
    return {"LOG"} | {"LOG#%d" % i for i in range(1, shards)}


def measured(what, value):
    sys.stderr.write("MEASURED %s: %s\n" % (what, value))
    sys.stderr.flush()


def five_fields(item):
    """The API's view of an item: its five fields (without type)."""
    return {k: item[k] for k in ENTRY_KEYS}


class DynamoTestCase(LogsvcTestCase):

    def engine(self):
        return shared_dynalite()

    def new_table(self, engine=None):
        """A fresh table of the original design's schema (via the SDK)."""
        table = "logsvc-dyn-" + uuid.uuid4().hex[:16]
        dynamo((engine or self.engine()).endpoint, "create-table", table)
        return table

    def start_dynamo(self, table, endpoint=None, shards=1, args=(), env=None, aws_env=None):
        """logsvc on `table` at `endpoint` (the shared engine by default)."""
        store = DynamoStore(table, endpoint or self.engine().endpoint, shards, aws_env)
        server = self.start_server(args=args, env=env, store=store)
        self.assertEqual(server.started.get("store"), "dynamodb", server.started)
        return server

    def proxy(self, engine=None):
        proxy = FaultProxy((engine or self.engine()).port)
        self.addCleanup(proxy.close)
        return proxy

    def scan(self, table, engine=None, typed=False):
        return dynamo((engine or self.engine()).endpoint, "scan", table, typed=typed)

    def items_with_id(self, table, log_id, engine=None, typed=False):
        return dynamo((engine or self.engine()).endpoint, "get", table, log_id, typed=typed)

    def timed(self, server, method, path, body=None, timeout=30):
        """One request on a fresh connection: (Reply, or the exception if there was
        no answer within `timeout`, and the seconds it took)."""
        conn = server.connection(timeout=timeout)
        start = time.monotonic()
        try:
            reply = send(conn, method, path, body)
        except (OSError, http.client.HTTPException) as e:
            reply = e
        finally:
            conn.close()
        return reply, time.monotonic() - start

    def assertAnswered(self, reply, seconds, what):
        self.assertIsInstance(reply, Reply, "%s: no answer in %.1f s (%r)" % (what, seconds, reply))
        self.assertLess(seconds, ANSWER_WITHIN, "%s took %.2f s (%r)" % (what, seconds, reply))

    def wait_for_status(self, server, method, path, want, allowed, within, body=None):
        """Repeats a request until it answers `want`; every answer meanwhile must be
        in `allowed` and come within ANSWER_WITHIN. Returns the seconds it took."""
        start = time.monotonic()
        seen = []
        while True:
            reply, secs = self.timed(server, method, path, body)
            self.assertAnswered(reply, secs, "%s %s" % (method, path))
            seen.append(reply.status)
            if reply.status == want:
                return time.monotonic() - start, reply
            self.assertIn(reply.status, allowed, "%s %s answered %r" % (method, path, reply))
            if time.monotonic() - start > within:
                self.fail("%s %s did not answer %d within %d s; answers: %s"
                          % (method, path, want, within, collections.Counter(seen)))
            time.sleep(0.1)


class NewestHundredTest(DynamoTestCase):
    """(a) More than 100 entries across the index partitions: GET /logs merges them."""

    def test_130_entries_newest_100_newest_first(self):
        for shards in (1, 8):
            with self.subTest(shards=shards):
                table = self.new_table()
                server = self.start_dynamo(table, shards=shards)
                conn = server.connection()
                self.addCleanup(conn.close)
                sent = []  # ingest order
                for i in range(130):
                    severity = ("info", "warning", "error")[i % 3]
                    created = self.ingest(conn, severity, "entry %03d of %d shards" % (i, shards))
                    t = created["timestamp"]
                    sent.append({"logId": created["logId"], "timestamp": t,
                                 "datetime": iso8601_ms(t), "severity": severity,
                                 "message": "entry %03d of %d shards" % (i, shards)})
                logs = self.recent(server)
                self.assertEqual(len(logs), 100)
                newest = sorted(sent, key=lambda e: e["timestamp"], reverse=True)
                self.assertListingTiesUnordered(logs, newest[:100], pool=sent)

                items = self.scan(table)
                self.assertEqual(sorted(i["logId"] for i in items),
                                 sorted(e["logId"] for e in sent))
                types = collections.Counter(i["type"] for i in items)
                measured("index partitions of 130 entries with %d shards" % shards, dict(types))
                if shards == 1:
                    self.assertEqual(set(types), {"LOG"})
                else:
                    self.assertLessEqual(set(types), partitions(shards))
                    self.assertGreaterEqual(len(types), 4,
                                            "entries cover few partitions: %s" % types)

                # The 30 oldest are out of the list, still readable one by one.
                for entry in sent[:30]:
                    self.assertEqual(self.get_one(conn, entry["logId"]), entry)


class SdkReadsLogsvcTest(DynamoTestCase):
    """(b) The official SDK finds what logsvc wrote, exactly as the original design stores it."""

    MESSAGES = [
        ("INFO", "  trimmed on both sides \n"),
        ("Warning", 'quotes "double" \'single\' back\\slash \n newline \t tab'),
        ("error", "emoji \U0001F600 \u00e9t\u00e9 \u4e2d\u6587 \u2028 separator"),
        ("info", "</script> & <b>"),
        ("error", "control \x01 \x1f and nul \x00 inside"),
        ("warning", "\U0001F600" * 10000),
    ]

    def test_items_as_the_original_schema_says(self):
        for shards in (1, 8):
            with self.subTest(shards=shards):
                table = self.new_table()
                server = self.start_dynamo(table, shards=shards)
                sent = []
                for severity, message in self.MESSAGES:
                    created = self.ingest(server, severity, message)
                    sent.append((created, severity.lower(), message.strip()))
                for created, severity, message in sent:
                    items = self.items_with_id(table, created["logId"], typed=True)
                    self.assertEqual(len(items), 1, items)
                    item = items[0]
                    self.assertEqual({k: list(v) for k, v in item.items()},
                                     {k: [t] for k, t in ITEM_TYPES.items()}, item)
                    self.assertIn(item["type"]["S"], partitions(shards))
                    self.assertEqual(item, {
                        "logId": {"S": created["logId"]},
                        "timestamp": {"N": str(created["timestamp"])},
                        "datetime": {"S": iso8601_ms(created["timestamp"])},
                        "severity": {"S": severity},
                        "message": {"S": message},
                        "type": item["type"],
                    })
                    if shards == 1:
                        self.assertEqual(item["type"], {"S": "LOG"})
                self.assertEqual(len(self.scan(table)), len(sent))

                # What the original ReadRecent function does: query each partition of
                # the index newest first. Together they hold every entry.
                found = []
                for partition in sorted(partitions(shards)):
                    listed = dynamo(self.engine().endpoint, "query-index", table, partition, "100")
                    stamps = [i["timestamp"] for i in listed]
                    self.assertEqual(stamps, sorted(stamps, reverse=True))
                    found += [i["logId"] for i in listed]
                self.assertEqual(sorted(found), sorted(c["logId"] for c, _, _ in sent))


class OriginalItemsTest(DynamoTestCase):
    """(c) Items the original Python ingest function wrote (type "LOG") are served."""

    def test_original_items_listed_and_readable(self):
        for shards in (1, 8):
            with self.subTest(shards=shards):
                table = self.new_table()
                server = self.start_dynamo(table, shards=shards)
                conn = server.connection()
                self.addCleanup(conn.close)
                ours = []
                for i in range(40):
                    created = self.ingest(conn, "info", "logsvc entry %d" % i)
                    t = created["timestamp"]
                    ours.append({"logId": created["logId"], "timestamp": t,
                                 "datetime": iso8601_ms(t), "severity": "info",
                                 "message": "logsvc entry %d" % i})
                # 80 items from the original function, older than, among and newer
                # than logsvc's (timestamps are the ones the function would take then).
                first, last = ours[0]["timestamp"], ours[-1]["timestamp"]
                span = last - first + 4000
                originals = [{"severity": ("INFO", "Warning", "error")[k % 3],
                              "message": "original entry %d" % k,
                              "timestamp": first - 2000 + k * span // 80} for k in range(80)]
                written = dynamo(self.engine().endpoint, "put-original", table, originals)
                self.assertEqual({i["type"] for i in written}, {"LOG"})
                theirs = [five_fields(i) for i in written]

                pool = ours + theirs
                newest = sorted(pool, key=lambda e: e["timestamp"], reverse=True)[:100]
                logs = self.recent(server)
                self.assertListingTiesUnordered(logs, newest, pool=pool)
                listed = {e["logId"] for e in logs}
                self.assertTrue(listed & {e["logId"] for e in theirs})
                self.assertTrue(listed & {e["logId"] for e in ours})
                for entry in theirs:
                    self.assertEqual(self.get_one(conn, entry["logId"]), entry)

    def test_only_original_items(self):
        for shards in (1, 8):
            with self.subTest(shards=shards):
                table = self.new_table()
                t = now_ms()
                written = dynamo(self.engine().endpoint, "put-original", table, [
                    {"severity": "error", "message": "from the original", "timestamp": t - 3},
                    {"severity": "info", "message": "also original", "timestamp": t - 2}])
                server = self.start_dynamo(table, shards=shards)
                self.assertEqual(self.recent(server), [five_fields(i) for i in reversed(written)])
                for item in written:
                    self.assertEqual(self.get_one(server, item["logId"]), five_fields(item))


class RetentionTest(DynamoTestCase):
    """--retention on DynamoDB: every item carries expiresAt (the table's TTL
    attribute: its time plus the retention, in seconds), and reads leave out
    entries from their deadline on, before DynamoDB deletes them."""

    def test_expires_at_written_and_expired_entries_never_read(self):
        table = self.new_table()
        server = self.start_dynamo(table, args=["--retention", "4s"])
        t = now_ms()
        old = server.request("POST", "/logs", [
            {"severity": "warning", "message": "zzdynold", "timestamp": t - 3600_000}]).json()
        fresh = server.request("POST", "/logs", {"severity": "warning",
                                                 "message": "zzdynfresh"}).json()
        items = {i["logId"]: i for i in self.scan(table)}
        self.assertEqual(int(items[old["logIds"][0]]["expiresAt"]), (t - 3600_000) // 1000 + 4)
        self.assertEqual(int(items[fresh["logId"]]["expiresAt"]), fresh["timestamp"] // 1000 + 4)

        def seen(log_id, word, since):
            # Stats in 1 s buckets: a bucket is left out once wholly past
            # the retention (the one the cutoff falls in may still count).
            return (log_id in [e["logId"] for e in self.recent(server)],
                    log_id in [e["logId"] for e in server.request(
                        "GET", "/logs?q=" + word).json()["logs"]],
                    server.request("GET", "/logs/" + log_id).status == 200,
                    server.request("GET", "/logs/stats?from=%d&to=%d&q=%s&step=1s"
                                   % (since - 2000, since + 60_000, word)).json()["total"])

        self.assertEqual(seen(old["logIds"][0], "zzdynold", t - 3600_000), (False, False, False, 0))
        self.assertEqual(seen(fresh["logId"], "zzdynfresh", t), (True, True, True, 1))
        time.sleep(5.5)
        self.assertEqual(seen(fresh["logId"], "zzdynfresh", t), (False, False, False, 0))
        # Still in the table: DynamoDB's TTL deletes it, not logsvc.
        self.assertIn(fresh["logId"], {i["logId"] for i in self.scan(table)})


class EngineOutageTest(DynamoTestCase):
    """(d) The engine goes away and comes back, logsvc stays up: 503 meanwhile, quickly."""

    def test_engine_stopped_and_restarted(self):
        for shards in (1, 8):
            with self.subTest(shards=shards):
                engine = Dynalite()
                self.addCleanup(engine.close)
                table = self.new_table(engine)
                server = self.start_dynamo(table, endpoint=engine.endpoint, shards=shards)
                pid = server.proc.pid
                acked = [self.ingest(server, "info", "before the outage")]
                self.assertJsonReply(server.request("GET", "/healthz"), 200)

                engine.stop()
                times = []
                for i in range(3):
                    reply, secs = self.timed(server, "POST", "/logs",
                                             {"severity": "error", "message": "during %d" % i})
                    self.assertAnswered(reply, secs, "POST /logs with the engine down")
                    self.assertErrorReply(reply, 503)
                    times.append(secs)
                measured("POST /logs -> 503 with the engine stopped (%d shards), seconds"
                         % shards, ["%.3f" % t for t in times])
                secs, _ = self.wait_for_status(server, "GET", "/healthz", 503, {200}, ANSWER_WITHIN)
                measured("GET /healthz -> 503 after the failed writes (%d shards), seconds"
                         % shards, "%.3f" % secs)
                # Reads answer too, and never deny that an entry exists.
                for path in ("/logs", "/logs/" + acked[0]["logId"]):
                    reply, secs = self.timed(server, "GET", path)
                    self.assertAnswered(reply, secs, "GET %s with the engine down" % path)
                    self.assertIn(reply.status, (200, 503), reply)
                    measured("GET %s with the engine down" % path.split("/")[1],
                             "%d in %.3f s" % (reply.status, secs))

                engine.start()
                secs, reply = self.wait_for_status(
                    server, "POST", "/logs", 201, {503}, RECOVER_WITHIN,
                    body={"severity": "warning", "message": "after the outage"})
                measured("engine back -> POST /logs 201 (%d shards), seconds" % shards,
                         "%.3f" % secs)
                acked.append(self.assertJsonReply(reply, 201, CREATED_KEYS))
                self.wait_for_status(server, "GET", "/healthz", 200, {503}, RECOVER_WITHIN)
                acked.append(self.ingest(server, "info", "and on"))
                self.assertTrue(server.running())
                self.assertEqual(server.proc.pid, pid)
                for created in acked:
                    self.get_one(server, created["logId"])
                listed = [e["logId"] for e in self.recent(server)]
                for created in acked:
                    self.assertIn(created["logId"], listed)

    def test_health_follows_the_engine_without_traffic(self):
        # No writes to notice it: GET /healthz alone must find out, both ways.
        engine = Dynalite()
        self.addCleanup(engine.close)
        table = self.new_table(engine)
        server = self.start_dynamo(table, endpoint=engine.endpoint)
        self.assertJsonReply(server.request("GET", "/healthz"), 200)
        engine.stop()
        secs, reply = self.wait_for_status(server, "GET", "/healthz", 503, {200}, ANSWER_WITHIN)
        self.assertJsonReply(reply, 503)
        measured("engine stopped, no traffic -> healthz 503, seconds", "%.3f" % secs)
        engine.start()
        secs, _ = self.wait_for_status(server, "GET", "/healthz", 200, {503}, RECOVER_WITHIN)
        measured("engine back, no traffic -> healthz 200, seconds", "%.3f" % secs)

    def test_engine_not_answering(self):
        # The engine accepts connections and never answers: logsvc must not wait forever.
        table = self.new_table()
        proxy = self.proxy()
        server = self.start_dynamo(table, endpoint=proxy.endpoint)
        self.ingest(server, "info", "before")
        proxy.fail("*", "stall", count=10 ** 6)
        reply, secs = self.timed(server, "POST", "/logs", {"severity": "info", "message": "x"},
                                 timeout=60)
        self.assertAnswered(reply, secs, "POST /logs with the engine not answering")
        self.assertErrorReply(reply, 503)
        measured("POST /logs -> 503 with the engine not answering, seconds", "%.3f" % secs)
        self.wait_for_status(server, "GET", "/healthz", 503, {200}, ANSWER_WITHIN)
        proxy.clear()
        secs, _ = self.wait_for_status(server, "POST", "/logs", 201, {503}, RECOVER_WITHIN,
                                       body={"severity": "info", "message": "after"})
        measured("engine answering again -> POST /logs 201, seconds", "%.3f" % secs)
        self.wait_for_status(server, "GET", "/healthz", 200, {503}, RECOVER_WITHIN)

    def test_engine_closes_idle_connections(self):
        # dynalite (Node.js) closes a keep-alive connection after 6 s idle (its
        # keepAliveTimeout, 5 s, plus 1 s), as AWS does after a while: the next
        # request must not fail because of it.
        table = self.new_table()
        server = self.start_dynamo(table, shards=8)
        first = self.ingest(server, "info", "first")
        time.sleep(7)
        second = self.ingest(server, "info", "written after an idle pause")
        time.sleep(7)
        self.assertEqual(self.get_one(server, first["logId"])["message"], "first")
        self.assertEqual({e["logId"] for e in self.recent(server)},
                         {first["logId"], second["logId"]})


class StartupTest(DynamoTestCase):
    """(e) What logsvc checks at start, and how it reports it."""

    def serve_args(self, table, endpoint=None):
        return ["serve", "--listen", "127.0.0.1:0", "--data-dir", self.make_data_dir(),
                "--store", "dynamodb", "--dynamodb-table", table,
                "--dynamodb-endpoint", endpoint or self.engine().endpoint]

    def run_refused(self, args, env):
        """Runs a command that must refuse to start: its result, or a failure if it serves."""
        try:
            return run_cli(args, env=env, timeout=15)
        except subprocess.TimeoutExpired:
            self.fail("logsvc %s did not exit within 15 s (it should refuse to start)" % args)

    def assertOneLineExit2(self, result, mention=None):
        stderr = result.stderr.decode("utf-8", "replace")
        self.assertEqual(result.returncode, 2, stderr)
        self.assertEqual(result.stdout, b"")
        lines = stderr.splitlines()
        self.assertEqual(len(lines), 1, stderr)
        self.assertTrue(stderr.endswith("\n"), stderr)
        self.assertNotIn("logsvc started", stderr)
        if mention:
            self.assertIn(mention, lines[0])
        return lines[0]

    def test_missing_table_exits_2_naming_it(self):
        table = "logsvc-no-such-table-" + uuid.uuid4().hex[:8]
        start = time.monotonic()
        result = self.run_refused(self.serve_args(table), AWS_TEST_ENV)
        secs = time.monotonic() - start
        line = self.assertOneLineExit2(result, mention=table)
        measured("missing table -> exit 2, seconds", "%.3f (%s)" % (secs, line))
        self.assertLess(secs, ANSWER_WITHIN)

    def test_started_line_and_data_dir_ignored(self):
        table = self.new_table()
        data_dir = self.make_data_dir()
        store = DynamoStore(table, self.engine().endpoint, 1)
        server = self.start_server(data_dir, store=store)
        self.assertEqual(server.started["msg"], "logsvc started")
        self.assertEqual(server.started["store"], "dynamodb")
        self.assertJsonReply(server.request("GET", "/healthz"), 200)
        self.ingest(server, "info", "stored in DynamoDB")
        self.assertEqual(len(self.scan(table)), 1)
        self.assertFalse(os.path.exists(data_dir), "--data-dir was used by the DynamoDB store")
        self.assertEqual(server.stop(), 0)

    def test_usage_errors_exit_2(self):
        table = self.new_table()
        base = self.serve_args(table)
        empty_home = os.path.dirname(self.make_data_dir())
        credentials = os.path.join(empty_home, "credentials")
        with open(credentials, "w") as f:
            f.write("[default]\naws_access_key_id = AKIDX\naws_secret_access_key = x\n")
        other_store = [("cassandra" if a == "dynamodb" else a) for a in base]
        no_table = [a for a in base if a not in ("--dynamodb-table", table)]
        cases = [
            ("unknown store", other_store, AWS_TEST_ENV, "cassandra"),
            ("no table", no_table, AWS_TEST_ENV, None),
            ("zero shards", base + ["--dynamodb-index-shards", "0"], AWS_TEST_ENV, None),
            ("negative shards", base + ["--dynamodb-index-shards", "-1"], AWS_TEST_ENV, None),
            ("shards not a number", base + ["--dynamodb-index-shards", "many"], AWS_TEST_ENV, None),
            ("no region", base, {k: v for k, v in AWS_TEST_ENV.items() if k != "AWS_REGION"}, None),
            ("no credentials", base, {"AWS_REGION": TEST_REGION, "HOME": empty_home}, None),
            ("no such profile", base, {"AWS_REGION": TEST_REGION, "HOME": empty_home,
                                       "AWS_PROFILE": "nobody",
                                       "AWS_SHARED_CREDENTIALS_FILE": credentials}, None),
        ]
        for name, args, env, mention in cases:
            with self.subTest(name):
                line = self.assertOneLineExit2(self.run_refused(args, env), mention)
                if name == "no region":
                    self.assertIn("region", line.lower())

    def test_unreachable_engine_at_start(self):
        engine = Dynalite()
        self.addCleanup(engine.close)
        table = self.new_table(engine)
        engine.stop()  # the table stays in its files; the port now refuses connections
        start = time.monotonic()
        server = self.start_dynamo(table, endpoint=engine.endpoint)
        measured("start with the engine unreachable, seconds", "%.3f" % (time.monotonic() - start))
        self.assertLess(time.monotonic() - start, ANSWER_WITHIN)
        reply, secs = self.timed(server, "GET", "/healthz")
        self.assertAnswered(reply, secs, "GET /healthz")
        self.assertEqual(reply.status, 503, reply)
        reply, secs = self.timed(server, "POST", "/logs", {"severity": "info", "message": "x"})
        self.assertAnswered(reply, secs, "POST /logs")
        self.assertErrorReply(reply, 503)
        engine.start()
        secs, _ = self.wait_for_status(server, "GET", "/healthz", 200, {503}, RECOVER_WITHIN)
        measured("engine up -> healthz 200, seconds", "%.3f" % secs)
        created = self.ingest(server, "error", "once the engine is there")
        self.assertEqual([five_fields(i)["logId"] for i in self.scan(table, engine)],
                         [created["logId"]])


class RetryTest(DynamoTestCase):
    """(f) PutItem failures are retried, writing the same key: never a second entry."""

    def test_put_item_retried_after_failures(self):
        table = self.new_table()
        proxy = self.proxy()
        server = self.start_dynamo(table, endpoint=proxy.endpoint)
        cases = [
            # (action, how many, does the engine get the failed request)
            ("error500", 2, True),    # written, but the reply says 500
            ("drop", 1, True),        # written, the connection closes unanswered
            ("throttle", 3, False),   # ProvisionedThroughputExceededException
            ("error500", 1, False),
        ]
        acked = []
        for action, count, forward in cases:
            with self.subTest(action=action, count=count, forward=forward):
                before = len(proxy.requests("PutItem"))
                proxy.fail("PutItem", action, count, forward)
                message = "retried after %d x %s" % (count, action)
                reply, secs = self.timed(server, "POST", "/logs",
                                         {"severity": "warning", "message": message})
                self.assertAnswered(reply, secs, "POST /logs with %d x %s" % (count, action))
                created = self.assertJsonReply(reply, 201, CREATED_KEYS)
                measured("201 after %d x %s (forwarded: %s), seconds" % (count, action, forward),
                         "%.3f" % secs)
                self.assertEqual(proxy.pending(), 0, "logsvc did not retry as often")
                puts = proxy.requests("PutItem")[before:]
                self.assertEqual([r.action for r in puts], [action] * count + [None], puts)
                bodies = [r.json() for r in puts]
                for body in bodies:
                    self.assertEqual(body["TableName"], table)
                    self.assertEqual(body["Item"], bodies[0]["Item"], "a retry wrote another item")
                self.assertEqual(bodies[0]["Item"]["logId"], {"S": created["logId"]})
                self.assertEqual(bodies[0]["Item"]["timestamp"], {"N": str(created["timestamp"])})
                items = self.items_with_id(table, created["logId"])
                self.assertEqual(len(items), 1, items)
                self.assertEqual(five_fields(items[0]), {
                    "logId": created["logId"], "timestamp": created["timestamp"],
                    "datetime": iso8601_ms(created["timestamp"]), "severity": "warning",
                    "message": message})
                acked.append(created["logId"])
        self.assertEqual(sorted(i["logId"] for i in self.scan(table)), sorted(acked))
        self.assertEqual({e["logId"] for e in self.recent(server)}, set(acked))

    def test_persistent_failure_is_503_then_recovers(self):
        for action in ("error500", "throttle"):
            with self.subTest(action):
                table = self.new_table()
                proxy = self.proxy()
                server = self.start_dynamo(table, endpoint=proxy.endpoint)
                proxy.fail("PutItem", action, count=10 ** 6, forward=False)
                reply, secs = self.timed(server, "POST", "/logs",
                                         {"severity": "info", "message": "never written"})
                self.assertAnswered(reply, secs, "POST /logs with PutItem always failing")
                self.assertErrorReply(reply, 503)
                attempts = len(proxy.requests("PutItem"))
                gaps = [round(b.time - a.time, 3) for a, b in
                        zip(proxy.requests("PutItem"), proxy.requests("PutItem")[1:])]
                measured("PutItem always %s -> 503" % action,
                         "%.3f s, %d attempts, gaps %s" % (secs, attempts, gaps))
                self.assertGreaterEqual(attempts, 2, "logsvc did not retry")
                self.assertEqual(self.scan(table), [])
                proxy.clear()
                secs, _ = self.wait_for_status(server, "POST", "/logs", 201, {503},
                                               RECOVER_WITHIN,
                                               body={"severity": "info", "message": "written"})
                self.assertEqual([i["message"] for i in self.scan(table)], ["written"])


def shard_of(log_id, shards):
    """The index shard logsvc puts an entry in (store/dynamodb_item.cc ShardOf: FNV-1a)."""
    h = 2166136261
    for byte in log_id.encode():
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    return 0 if shards <= 1 else h % shards


def partition(shard):
    return "LOG" if shard == 0 else "LOG#%d" % shard


class SearchTestCase(DynamoTestCase):
    """Helpers for the DynamoDB-specific search tests (the answers every store gives
    are the contract suite's; these look at shards, positions and DynamoDB requests)."""

    def batch(self, server, entries):
        """POST /logs with a JSON array; the new ids, in order."""
        reply = server.request("POST", "/logs", entries)
        body = self.assertJsonReply(reply, 201, {"statusCode", "count", "logIds"})
        self.assertEqual(body["count"], len(entries))
        return body["logIds"]

    def search(self, server, path="/logs", **params):
        reply = server.request("GET", path + "?" + urllib.parse.urlencode(params))
        return self.assertJsonReply(reply, 200)

    def walk(self, server, max_pages=1000, **params):
        """Follows `next` from the first page: (entries in order, pages)."""
        body = self.search(server, **params)
        entries, pages = list(body["logs"]), 1
        while body["next"] is not None:
            self.assertLess(pages, max_pages, "no last page")
            body = self.search(server, cursor=body["next"])
            entries += body["logs"]
            pages += 1
        return entries, pages

    def shards_of(self, table):
        """logId -> the index shard its item is in (from its `type`)."""
        out = {}
        for item in self.scan(table):
            t = item["type"]
            out[item["logId"]] = 0 if t == "LOG" else int(t.split("#")[1])
        return out

    def assertInStoreOrder(self, entries, shards, order):
        """The documented order: by timestamp, then by shard index (newest first:
        both reversed); no entry twice."""
        ids = [e["logId"] for e in entries]
        self.assertEqual(len(set(ids)), len(ids), "an entry twice")
        keys = [(e["timestamp"], shards[e["logId"]]) for e in entries]
        self.assertEqual(keys, sorted(keys, reverse=(order == "desc")))

    def read_units(self, requests):
        """The read units DynamoDB said the Queries cost (ReturnConsumedCapacity)."""
        return sum(r.reply_json().get("ConsumedCapacity", {}).get("CapacityUnits", 0)
                   for r in requests)


class SearchPagesTest(SearchTestCase):
    """Following cursors over 1 and 8 index shards walks every entry once, in one
    order (timestamp, shard, DynamoDB's order) kept across page sizes and both orders."""

    def test_pages_walk_every_entry_once_in_one_order(self):
        for shards in (1, 8):
            with self.subTest(shards=shards):
                table = self.new_table()
                server = self.start_dynamo(table, shards=shards)
                base = now_ms() - 3_600_000
                sent = [{"severity": "error" if i % 10 == 0 else ("warning", "info")[i % 2],
                         "message": "entry %d %s" % (i, "alpha" if i % 3 == 0 else "beta"),
                         "timestamp": base + i % 40}  # ten entries a millisecond
                        for i in range(400)]
                ids = self.batch(server, sent)
                by_id = dict(zip(ids, sent))
                where = self.shards_of(table)
                self.assertEqual(sorted(where), sorted(ids))

                walks = {}
                for order in ("desc", "asc"):
                    for limit in (7, 100):
                        entries, pages = self.walk(server, order=order, limit=limit)
                        self.assertEqual(sorted(e["logId"] for e in entries), sorted(ids))
                        self.assertInStoreOrder(entries, where, order)
                        for e in entries:
                            self.assertEqual(e["timestamp"], by_id[e["logId"]]["timestamp"])
                        walks[order, limit] = [e["logId"] for e in entries]
                        self.assertGreaterEqual(pages, 400 // limit)
                # One order: whatever the page size, and newest first is its reverse.
                self.assertEqual(walks["desc", 7], walks["desc", 100])
                self.assertEqual(walks["asc", 7], walks["asc", 100])
                self.assertEqual(walks["desc", 7], list(reversed(walks["asc", 7])))

                # Filtered walks: the matching entries, in that same order.
                full = walks["desc", 100]
                for params, want in [
                        ({"severity": "error"}, lambda e: e["severity"] == "error"),
                        ({"q": "alpha"}, lambda e: "alpha" in e["message"].split()),
                        ({"severity": "warning,ERROR", "q": "-alpha",
                          "from": str(base + 10), "to": str(base + 25)},
                         lambda e: e["severity"] != "info" and "alpha" not in e["message"]
                         and base + 10 <= e["timestamp"] < base + 25)]:
                    entries, _ = self.walk(server, limit=9, **params)
                    self.assertEqual([e["logId"] for e in entries],
                                     [i for i in full if want(by_id[i])], params)

                # Stats over the same range add up to the entries.
                stats = self.search(server, "/logs/stats", **{
                    "from": str(base), "to": str(base + 40), "step": "1s"})
                self.assertIsNone(stats["next"])
                self.assertEqual(stats["total"], 400)
                self.assertEqual(sum(b["severity"]["error"] for b in stats["buckets"]), 40)


class SearchPositionTest(SearchTestCase):
    """What the store asks DynamoDB, seen through the proxy."""

    def test_shard_positions_resume_with_exclusive_start_key(self):
        table = self.new_table()
        proxy = self.proxy()
        server = self.start_dynamo(table, endpoint=proxy.endpoint, shards=8)
        base = now_ms() - 60_000
        ids = self.batch(server, [{"severity": "info", "message": "m %d" % i,
                                   "timestamp": base + i // 3} for i in range(300)])
        where = self.shards_of(table)

        before = len(proxy.requests("Query"))
        page1 = self.search(server, limit=20)
        queries = proxy.requests("Query")[before:]
        # One Query of Limit 20 per shard, each from the range's end: Recent()'s cost.
        self.assertEqual(sorted(q.json()["ExpressionAttributeValues"][":t"]["S"]
                                for q in queries), sorted(partition(s) for s in range(8)))
        for q in queries:
            body = q.json()
            self.assertEqual(body["Limit"], 20)
            self.assertNotIn("ExclusiveStartKey", body)
            self.assertIs(body["ScanIndexForward"], False)
            self.assertEqual(body["IndexName"], "TimestampIndex")
        self.assertEqual(len(page1["logs"]), 20)

        # Page 2 starts each shard after the last entry page 1 took from it; a
        # shard page 1 took nothing from is read again from the start (the
        # entries read but not returned are returned later, never skipped).
        last = {}
        for e in page1["logs"]:
            last[where[e["logId"]]] = e
        before = len(proxy.requests("Query"))
        page2 = self.search(server, cursor=page1["next"])
        queries = proxy.requests("Query")[before:]
        self.assertEqual(len(queries), 8)
        for q in queries:
            body = q.json()
            shard = 0 if body["ExpressionAttributeValues"][":t"]["S"] == "LOG" else int(
                body["ExpressionAttributeValues"][":t"]["S"].split("#")[1])
            if shard in last:
                self.assertEqual(body["ExclusiveStartKey"], {
                    "logId": {"S": last[shard]["logId"]},
                    "timestamp": {"N": str(last[shard]["timestamp"])},
                    "type": {"S": partition(shard)}}, shard)
            else:
                self.assertNotIn("ExclusiveStartKey", body)
        got = [e["logId"] for e in page1["logs"] + page2["logs"]]
        self.assertEqual(len(set(got)), 40)
        self.assertLessEqual(set(got), set(ids))

    def test_read_units_per_page(self):
        """(b) a page of the default query; (a) severity=error newest 100 at 1% errors.
        Measured with DynamoDB's own accounting (ReturnConsumedCapacity, dynalite's)."""
        for shards in (1, 8):
            with self.subTest(shards=shards):
                table = self.new_table()
                proxy = self.proxy()
                server = self.start_dynamo(table, endpoint=proxy.endpoint, shards=shards,
                                           args=["--max-body-bytes", str(8 << 20)])
                base = now_ms() - 3_600_000
                # 10,000 entries, 1% errors, messages of about 80 bytes.
                for start in range(0, 10000, 5000):
                    self.batch(server, [{
                        "severity": "error" if i % 100 == 37 else "info",
                        "message": ("request %06d served in %d ms by worker %d for client "
                                    "10.0.%d.%d path /api/v1/items" % (i, i % 97, i % 7,
                                                                       i % 255, i % 13)),
                        "timestamp": base + i * 300} for i in range(start, start + 5000)])
                for name, params, want in [("(b) default query, limit 100", {"limit": 100}, 100),
                                           ("(a) severity=error, newest 100", {"severity": "error"},
                                            100)]:
                    before = len(proxy.requests("Query"))
                    body = self.search(server, **params)
                    queries = proxy.requests("Query")[before:]
                    self.assertEqual(len(body["logs"]), want)
                    items = sum(q.reply_json()["ScannedCount"] for q in queries)
                    units = self.read_units(queries)
                    measured("read units of a page, %s, %d shards" % (name, shards),
                             "%.1f units, %d Queries, %d items read" % (units, len(queries), items))
                    if name.startswith("(b)"):
                        self.assertEqual(len(queries), shards)
                        self.assertEqual(items, 100 * shards)
                    else:
                        self.assertLessEqual(items, 14000)
                        self.assertLessEqual(len(queries), 8 * shards)

    def test_budget_hit_returns_next(self):
        """A search that matches almost nothing stops at its budget (here: 8 rounds of
        Queries, each cut at 1 MB) with an empty page and a `next`, and goes on."""
        table = self.new_table()
        proxy = self.proxy()
        server = self.start_dynamo(table, endpoint=proxy.endpoint, shards=1)
        base = now_ms() - 3_600_000
        filler = " ".join(["filler"] * 1300)  # ~9 KB: about 110 items fill 1 MB
        for start in range(0, 1000, 100):
            entries = [{"severity": "info", "message": "%d %s" % (i, filler),
                        "timestamp": base + i} for i in range(start, start + 100)]
            if start == 0:
                entries[0]["message"] = "needle " + filler  # the oldest entry
            self.batch(server, entries)
        before = len(proxy.requests("Query"))
        page = self.search(server, q="needle")
        queries = proxy.requests("Query")[before:]
        self.assertEqual(page["logs"], [])
        self.assertIsNotNone(page["next"], "a page at its budget must have a next")
        self.assertEqual(len(queries), 8)  # kWalkRounds
        measured("a page at its budget (1 shard, 9 KB items)", "%d items read in %d Queries"
                 % (sum(q.reply_json()["ScannedCount"] for q in queries), len(queries)))
        entries, pages = self.walk(server, q="needle")
        self.assertEqual([e["message"] for e in entries], ["needle " + filler])
        self.assertGreaterEqual(pages, 2)

    def test_cursor_of_another_shard_count_is_400(self):
        table = self.new_table()
        eight = self.start_dynamo(table, shards=8)
        self.batch(eight, [{"severity": "info", "message": "x %d" % i} for i in range(30)])
        page = self.search(eight, limit=5)
        one = self.start_dynamo(table, shards=1)
        reply = one.request("GET", "/logs?cursor=" + page["next"])
        self.assertErrorReply(reply, 400)
        self.assertIn("does not fit this table's 1 index shards", reply.json()["error"])
        self.assertJsonReply(eight.request("GET", "/logs?cursor=" + page["next"]), 200)


class SearchOriginalItemsTest(SearchTestCase):
    """Items written by the AWS SDK as the original Python functions write them (and
    by other writers) are found by time, severity and words, and paged exactly."""

    def test_found_by_time_severity_and_words(self):
        for shards in (1, 8):
            with self.subTest(shards=shards):
                table = self.new_table()
                base = now_ms() - 600_000
                written = dynamo(self.engine().endpoint, "put-original", table, [
                    {"severity": "ERROR", "message": "Payment gateway timeout for order 17",
                     "timestamp": base},
                    {"severity": "Warning", "message": "Disk almost full on /var",
                     "timestamp": base + 10},
                    {"severity": "info", "message": "User login OK", "timestamp": base + 20},
                    {"severity": "error", "message": "timeout talking to db", "timestamp": base + 30},
                ])
                # Another writer: an upper-case severity, a number with a fraction.
                odd = str(uuid.uuid4())
                dynamo(self.engine().endpoint, "put-item", table, json.dumps({
                    "logId": {"S": odd}, "timestamp": {"N": "%d.5" % (base + 30)},
                    "datetime": {"S": "x"}, "severity": {"S": "ERROR"},
                    "message": {"S": "TIMEOUT again"}, "type": {"S": "LOG"}}))
                server = self.start_dynamo(table, shards=shards)
                ours = self.batch(server, [{"severity": "error", "message": "our timeout",
                                            "timestamp": base + 30}])
                ids = [w["logId"] for w in written]

                def found(**params):
                    entries, _ = self.walk(server, limit=1, **params)
                    return [e["logId"] for e in entries]

                everything = found()
                self.assertEqual(sorted(everything), sorted(ids + [odd] + ours))
                self.assertEqual(found(severity="error"),
                                 [i for i in everything if i in {ids[0], ids[3], odd, ours[0]}])
                self.assertEqual(sorted(found(q="timeout")), sorted([ids[0], ids[3], odd, ours[0]]))
                self.assertEqual(found(q="disk full"), [ids[1]])
                self.assertEqual(found(**{"from": str(base + 10), "to": str(base + 21)}),
                                 [ids[2], ids[1]])
                # Three entries in one millisecond (one of them at .5), each page one entry.
                same_ms = found(**{"from": str(base + 30), "to": str(base + 31)})
                self.assertEqual(sorted(same_ms), sorted([ids[3], odd, ours[0]]))
                asc, _ = self.walk(server, limit=1, order="asc",
                                   **{"from": str(base + 30), "to": str(base + 31)})
                self.assertEqual([e["logId"] for e in asc], list(reversed(same_ms)))
                entry = [e for e in self.walk(server, q="again")[0]][0]
                self.assertEqual((entry["timestamp"], entry["severity"]), (base + 30, "error"))


class BatchTest(SearchTestCase):
    """AppendBatch: BatchWriteItem, 25 items a request, 8 in flight, unprocessed
    items sent again, failures a 503."""

    def test_items_as_put_item_writes_them(self):
        for shards in (1, 8):
            with self.subTest(shards=shards):
                table = self.new_table()
                proxy = self.proxy()
                server = self.start_dynamo(table, endpoint=proxy.endpoint, shards=shards)
                base = now_ms() - 86_400_000
                sent = [{"severity": ("info", "warning", "error")[i % 3],
                         "message": "batch entry %d \u00e9" % i, "timestamp": base + i}
                        for i in range(60)]
                ids = self.batch(server, sent)
                self.assertEqual(len(proxy.requests("BatchWriteItem")), 3)  # 25 + 25 + 10
                self.assertEqual(proxy.requests("PutItem"), [])
                items = {i["logId"]["S"]: i for i in self.scan(table, typed=True)}
                self.assertEqual(sorted(items), sorted(ids))
                for log_id, e in zip(ids, sent):
                    self.assertEqual(items[log_id], {
                        "logId": {"S": log_id},
                        "timestamp": {"N": str(e["timestamp"])},
                        "datetime": {"S": iso8601_ms(e["timestamp"])},
                        "severity": {"S": e["severity"]},
                        "message": {"S": e["message"]},
                        "type": {"S": partition(shard_of(log_id, shards))},
                    })

    def test_unprocessed_items_are_sent_again(self):
        table = self.new_table()
        proxy = self.proxy()
        server = self.start_dynamo(table, endpoint=proxy.endpoint, shards=8)
        proxy.fail("BatchWriteItem", "unprocessed", count=4)
        ids = self.batch(server, [{"severity": "info", "message": "u %d" % i}
                                  for i in range(60)])
        self.assertEqual(proxy.pending(), 0)
        requests = proxy.requests("BatchWriteItem")
        measured("BatchWriteItem requests for 60 entries with 4 answered half unprocessed",
                 len(requests))
        self.assertGreaterEqual(len(requests), 5)
        self.assertEqual(sorted(i["logId"] for i in self.scan(table)), sorted(ids))

    def test_requests_in_flight_are_bounded(self):
        table = self.new_table()
        proxy = self.proxy()
        server = self.start_dynamo(table, endpoint=proxy.endpoint, shards=8)
        proxy.fail("BatchWriteItem", "stall", count=8)
        result = {}

        def post():
            result["reply"] = server.request(
                "POST", "/logs", [{"severity": "info", "message": "f %d" % i} for i in range(500)])

        thread = threading.Thread(target=post)
        thread.start()
        time.sleep(1.0)  # the stalled requests time out after 2 s, then are retried
        self.assertEqual(len(proxy.requests("BatchWriteItem")), 8)
        thread.join(30)
        body = self.assertJsonReply(result["reply"], 201)
        self.assertEqual(len(body["logIds"]), 500)
        self.assertEqual(sorted(i["logId"] for i in self.scan(table)), sorted(body["logIds"]))

    def test_failure_is_503_then_recovers(self):
        table = self.new_table()
        proxy = self.proxy()
        server = self.start_dynamo(table, endpoint=proxy.endpoint, shards=8)
        proxy.fail("BatchWriteItem", "error500", count=10 ** 6, forward=False)
        reply, secs = self.timed(server, "POST", "/logs",
                                 [{"severity": "info", "message": "b %d" % i} for i in range(100)])
        self.assertAnswered(reply, secs, "a batch with BatchWriteItem always failing")
        self.assertErrorReply(reply, 503)
        measured("batch of 100 with BatchWriteItem always failing -> 503", "%.3f s" % secs)
        self.assertEqual(self.scan(table), [])
        proxy.clear()
        secs, reply = self.wait_for_status(server, "POST", "/logs", 201, {503}, RECOVER_WITHIN,
                                           body=[{"severity": "info", "message": "ok"}])
        self.assertEqual([i["message"] for i in self.scan(table)], ["ok"])


    def test_partial_failure_then_retry_with_the_key_writes_each_entry_once(self):
        # The contract: a batch that failed after some of its items
        # landed is a 503 that acknowledges nothing; its retry with the same
        # Idempotency-Key writes the same ids again (the items that landed are
        # overwritten, not copied) and answers 201.
        table = self.new_table()
        proxy = self.proxy()
        server = self.start_dynamo(table, endpoint=proxy.endpoint, shards=8)
        sent = [{"severity": "info", "message": "p %d" % i} for i in range(100)]
        key = {"Idempotency-Key": str(uuid.uuid4())}
        # Two BatchWriteItems are written (their replies lost), then every
        # other one fails.
        proxy.fail("BatchWriteItem", "error500", count=2, forward=True)
        proxy.fail("BatchWriteItem", "error500", count=10 ** 6, forward=False)
        reply = server.request("POST", "/logs", sent, key)
        self.assertErrorReply(reply, 503)
        landed = [i for i in self.scan(table) if i.get("type", "").startswith("LOG")]
        self.assertTrue(0 < len(landed) < len(sent), len(landed))
        proxy.clear()
        reply = server.request("POST", "/logs", sent, key)
        body = self.assertJsonReply(reply, 201)
        self.assertEqual(reply.header("Idempotent-Replayed"), "true")
        items = [i for i in self.scan(table) if i.get("type", "").startswith("LOG")]
        self.assertEqual(sorted(i["logId"] for i in items), sorted(body["logIds"]))
        self.assertTrue({i["logId"] for i in landed} <= set(body["logIds"]))
        self.assertEqual(sorted(i["message"] for i in items), sorted(e["message"] for e in sent))


class ConfigurationTest(DynamoTestCase):
    """Where logsvc takes its region, endpoint and credentials from, checked on the
    requests it sends (the proxy sees them; their SigV4 signatures must verify)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.table = "logsvc-dyn-config-" + uuid.uuid4().hex[:8]
        dynamo(shared_dynalite().endpoint, "create-table", cls.table)

    def exercise(self, server):
        """Every kind of request logsvc makes: start, write, list, read, health."""
        created = self.ingest(server, "info", "configuration")
        self.assertIn(created["logId"], [e["logId"] for e in self.recent(server)])
        self.get_one(server, created["logId"])
        self.assertJsonReply(server.request("GET", "/healthz"), 200)

    def assertSigned(self, requests, access_key, secret_key, region, session_token=None):
        self.assertTrue(requests, "logsvc sent nothing to this endpoint")
        for r in requests:
            self.assertEqual(sigv4_problems(r, access_key, secret_key, region,
                                            session_token=session_token), [], r)

    def test_requests_are_dynamodb_json_signed_with_sigv4(self):
        proxy = self.proxy()
        server = self.start_dynamo(self.table, endpoint=proxy.endpoint, shards=8)
        self.exercise(server)
        requests = proxy.requests()
        self.assertSigned(requests, TEST_ACCESS_KEY, TEST_SECRET_KEY, TEST_REGION)
        self.assertLessEqual({"DescribeTable", "PutItem", "Query"}, {r.target for r in requests})
        for r in requests:
            self.assertEqual((r.method, r.path), ("POST", "/"), r)
            self.assertEqual(r.header("Content-Type"), "application/x-amz-json-1.0", r)
            self.assertTrue(r.header("X-Amz-Target").startswith("DynamoDB_20120810."), r)
            self.assertEqual(r.json().get("TableName"), self.table, r)

    def test_session_token(self):
        proxy = self.proxy()
        token = "IQoJb3JpZ2luX2VjEHoaCXVzLWVhc3QtMSJGMEQCIFake/Token+With=Chars"
        server = self.start_dynamo(self.table, endpoint=proxy.endpoint,
                                   aws_env=dict(AWS_TEST_ENV, AWS_SESSION_TOKEN=token))
        self.exercise(server)
        self.assertSigned(proxy.requests(), TEST_ACCESS_KEY, TEST_SECRET_KEY, TEST_REGION, token)

    def test_region_precedence(self):
        cases = [
            (["--aws-region", "eu-west-1"],
             {"AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "ap-south-1"}, "eu-west-1"),
            ([], {"AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "ap-south-1"}, "us-west-2"),
            ([], {"AWS_DEFAULT_REGION": "ap-south-1"}, "ap-south-1"),
        ]
        keys = {"AWS_ACCESS_KEY_ID": TEST_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": TEST_SECRET_KEY}
        for args, env, region in cases:
            with self.subTest(args=args, env=env):
                proxy = self.proxy()
                server = self.start_dynamo(self.table, endpoint=proxy.endpoint, args=args,
                                           aws_env=dict(keys, **env))
                self.exercise(server)
                self.assertSigned(proxy.requests(), TEST_ACCESS_KEY, TEST_SECRET_KEY, region)

    def test_endpoint_precedence(self):
        dead = "http://%s:%d" % (HOST, free_port())  # nothing listens there
        for name, flag, env in [
                ("flag", True, {"AWS_ENDPOINT_URL_DYNAMODB": dead, "AWS_ENDPOINT_URL": dead}),
                ("AWS_ENDPOINT_URL_DYNAMODB", False, {"AWS_ENDPOINT_URL_DYNAMODB": "{proxy}",
                                                       "AWS_ENDPOINT_URL": dead}),
                ("AWS_ENDPOINT_URL", False, {"AWS_ENDPOINT_URL": "{proxy}"})]:
            with self.subTest(name):
                proxy = self.proxy()
                env = {k: v.replace("{proxy}", proxy.endpoint) for k, v in env.items()}
                store = DynamoStore(self.table, proxy.endpoint if flag else None, 1,
                                    dict(AWS_TEST_ENV, **env))
                server = self.start_server(store=store)
                self.exercise(server)
                self.assertIn("DescribeTable", {r.target for r in proxy.requests()})
                self.assertIn("PutItem", {r.target for r in proxy.requests()})

    def test_shared_credentials_file(self):
        home = tempfile.TemporaryDirectory(prefix="logsvc-itest-home-")
        self.addCleanup(home.cleanup)
        profiles = ("[default]\n"
                    "aws_access_key_id = AKIDFILEDEFAULT00001\n"
                    "aws_secret_access_key = file/Default+Secret\n"
                    "\n"
                    "[profile-two]\n"
                    "aws_access_key_id=AKIDFILEPROFILETWO01\n"
                    "aws_secret_access_key=file/Two+Secret\n"
                    "aws_session_token=file-two-token\n")
        os.mkdir(os.path.join(home.name, ".aws"))
        with open(os.path.join(home.name, ".aws", "credentials"), "w") as f:
            f.write(profiles)
        elsewhere = os.path.join(home.name, "elsewhere")
        with open(elsewhere, "w") as f:
            f.write(profiles + "\n[only-elsewhere]\naws_access_key_id = AKIDELSEWHERE0000001\n"
                    "aws_secret_access_key = elsewhere-secret\n")
        region = {"AWS_REGION": TEST_REGION}
        cases = [
            ("~/.aws/credentials, default profile", {"HOME": home.name},
             ("AKIDFILEDEFAULT00001", "file/Default+Secret", None)),
            ("AWS_PROFILE", {"HOME": home.name, "AWS_PROFILE": "profile-two"},
             ("AKIDFILEPROFILETWO01", "file/Two+Secret", "file-two-token")),
            ("AWS_SHARED_CREDENTIALS_FILE", {"HOME": home.name, "AWS_PROFILE": "only-elsewhere",
                                            "AWS_SHARED_CREDENTIALS_FILE": elsewhere},
             ("AKIDELSEWHERE0000001", "elsewhere-secret", None)),
            ("environment wins over the file", dict(AWS_TEST_ENV, HOME=home.name),
             (TEST_ACCESS_KEY, TEST_SECRET_KEY, None)),
        ]
        for name, env, (key, secret, token) in cases:
            with self.subTest(name):
                proxy = self.proxy()
                store = DynamoStore(self.table, proxy.endpoint, 1, dict(region, **env))
                # HOME is not an AWS_* variable: pass it to the server directly.
                server = self.start_server(store=store, env={"HOME": home.name})
                self.exercise(server)
                self.assertSigned(proxy.requests(), key, secret, TEST_REGION, token)


if __name__ == "__main__":
    unittest.main()
