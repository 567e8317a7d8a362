"""What survives a stop: a clean restart (SIGTERM), a SIGTERM while requests
are in flight, and a SIGKILL under load. A 201 means the entry is on disk."""

import http.client
import socket
import threading
import time
import unittest

import urllib.parse

from harness import LogsvcTestCase, iso8601_ms, rocksdb_only, send


class Writers:
    """Threads that ingest over keep-alive connections until told to stop or the
    server goes away; they keep every entry acknowledged with a 201."""

    def __init__(self, test, server, threads):
        self.test = test
        self.server = server
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked = {}          # logId -> (severity, message, timestamp)
        self.unexpected = []     # replies that were neither a 201 nor a lost connection
        self.threads = [threading.Thread(target=self._run, args=(n,), daemon=True)
                        for n in range(threads)]

    def start(self):
        for t in self.threads:
            t.start()

    def join(self):
        self.stop.set()
        for t in self.threads:
            t.join(30)
            self.test.assertFalse(t.is_alive(), "a writer thread is stuck")

    def count(self):
        with self.lock:
            return len(self.acked)

    def _run(self, n):
        severities = ("info", "warning", "error")
        conn = self.server.connection(timeout=10)
        i = 0
        try:
            while not self.stop.is_set():
                severity, message = severities[i % 3], "writer %d entry %d" % (n, i)
                i += 1
                try:
                    reply = send(conn, "POST", "/logs", {"severity": severity, "message": message})
                except (OSError, http.client.HTTPException):
                    if self.server.running():
                        # http.client cannot tell a keep-alive close from a crash: retry once.
                        conn.close()
                        conn = self.server.connection(timeout=10)
                        continue
                    return  # the server is gone: this request is not acknowledged
                if reply.status != 201:
                    with self.lock:
                        self.unexpected.append(reply)
                    continue
                created = reply.json()
                with self.lock:
                    self.acked[created["logId"]] = (severity, message, created["timestamp"])
        finally:
            conn.close()

    def wait_for(self, count, timeout=20):
        deadline = time.monotonic() + timeout
        while self.count() < count:
            if time.monotonic() > deadline:
                raise AssertionError("only %d entries acknowledged in %ds" % (self.count(), timeout))
            time.sleep(0.01)


class DurabilityTest(LogsvcTestCase):

    def assertAllReadable(self, server, acked):
        """Every acknowledged entry is there, unchanged."""
        conn = server.connection()
        self.addCleanup(conn.close)
        for log_id, (severity, message, timestamp) in acked.items():
            entry = self.get_one(conn, log_id)
            self.assertEqual(entry, {"logId": log_id, "timestamp": timestamp,
                                     "datetime": iso8601_ms(timestamp), "severity": severity,
                                     "message": message})

    def test_restart_keeps_everything(self):
        data_dir = self.make_data_dir()
        server = self.start_server(data_dir)
        conn = server.connection()
        self.addCleanup(conn.close)
        acked = {}
        for i in range(130):
            severity = ("info", "warning", "error")[i % 3]
            message = "before restart %d \u00e9\U0001F600 \"quoted\"\n" % i
            created = self.ingest(conn, severity.upper(), message)
            acked[created["logId"]] = (severity, message.strip(), created["timestamp"])
        before = self.recent(server)
        self.assertEqual(len(before), 100)

        # An idle keep-alive connection must not hold the shutdown up.
        self.assertIsNotNone(conn.sock)
        started = time.monotonic()
        self.assertEqual(server.stop(), 0, server.stderr_lines)
        self.assertLess(time.monotonic() - started, 5, "SIGTERM took too long")
        self.assertEqual(server.stderr_lines[-1].count('"logsvc stopped"'), 1,
                         server.stderr_lines)
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", server.port), timeout=2).close()

        again = self.start_server(data_dir)
        pool = [{"logId": i, "timestamp": t, "datetime": iso8601_ms(t), "severity": s,
                 "message": m} for i, (s, m, t) in acked.items()]
        self.assertListing(self.recent(again), before, pool=pool)
        self.assertAllReadable(again, acked)

        # And it goes on from there: a new entry is the newest, the oldest listed drops out.
        created = self.ingest(again, "info", "after restart")
        after = self.recent(again)
        self.assertEqual(after[0]["logId"], created["logId"])
        self.assertListing(after[1:], before[:99], pool=pool)
        self.assertEqual(again.stop(), 0)

    def test_restart_of_empty_store(self):
        data_dir = self.make_data_dir()
        server = self.start_server(data_dir)
        self.assertEqual(server.stop(), 0)
        again = self.start_server(data_dir)
        self.assertEqual(self.recent(again), [])
        created = self.ingest(again, "error", "first ever")
        self.assertEqual([e["logId"] for e in self.recent(again)], [created["logId"]])

    def test_sigterm_under_load_keeps_acknowledged_entries(self):
        data_dir = self.make_data_dir()
        server = self.start_server(data_dir)
        writers = Writers(self, server, threads=6)
        writers.start()
        writers.wait_for(200)
        self.assertEqual(server.stop(), 0, server.stderr_lines)
        writers.join()
        self.assertEqual(writers.unexpected, [])

        again = self.start_server(data_dir)
        self.assertAllReadable(again, writers.acked)
        logs = self.recent(again)
        self.assertEqual(len(logs), 100)

    def test_sigkill_under_load_keeps_acknowledged_entries(self):
        # Three crashes in a row on the same data dir: each time, kill -9 in
        # the middle of a stream of writes, restart, and find every entry that
        # got a 201 (in this round or an earlier one).
        data_dir = self.make_data_dir()
        acked = {}
        for round_ in range(3):
            server = self.start_server(data_dir)
            if acked:
                self.assertAllReadable(server, acked)
            writers = Writers(self, server, threads=12)
            writers.start()
            writers.wait_for(300)
            time.sleep(0.05)  # kill in the middle of the stream, not at a pause
            server.kill()
            self.assertEqual(server.proc.returncode, -9)
            killed_at = writers.count()
            writers.join()
            self.assertEqual(writers.unexpected, [])
            self.assertGreaterEqual(killed_at, 300)
            acked.update(writers.acked)

        again = self.start_server(data_dir)
        self.assertAllReadable(again, acked)
        logs = self.recent(again)
        self.assertEqual(len(logs), 100)
        # Entries in flight at a kill may or may not be there; the list still
        # holds the newest: nothing acknowledged is newer than what it shows.
        listed = {e["logId"] for e in logs}
        oldest_listed = min(e["timestamp"] for e in logs)
        for log_id, (_, _, timestamp) in acked.items():
            if log_id not in listed:
                self.assertLessEqual(timestamp, oldest_listed)


class BatchWriters:
    """Threads that POST batches of BATCH entries; every entry of batch b of
    thread t has the words b{t}x{b} (its batch), e{t}x{b}x{i} (itself) and
    crashword. Keeps the batches acknowledged with a 201, and every batch sent."""

    BATCH = 200

    def __init__(self, server, threads):
        self.server = server
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked = set()   # (t, b)
        self.sent = set()
        self.unexpected = []
        self.threads = [threading.Thread(target=self._run, args=(t,), daemon=True)
                        for t in range(threads)]

    def _run(self, t):
        conn = self.server.connection(timeout=10)
        b = 0
        while not self.stop.is_set():
            batch = [{"severity": "info", "message": "b%dx%d e%dx%dx%d crashword" % (t, b, t, b, i)}
                     for i in range(self.BATCH)]
            with self.lock:
                self.sent.add((t, b))
            try:
                reply = send(conn, "POST", "/logs", batch)
            except (OSError, http.client.HTTPException):
                return  # the server is gone: this batch is not acknowledged
            with self.lock:
                if reply.status == 201 and reply.json()["count"] == self.BATCH:
                    self.acked.add((t, b))
                else:
                    self.unexpected.append(reply)
            b += 1


@rocksdb_only("a DynamoDB batch is not one atomic write")
class BatchCrashTest(LogsvcTestCase):
    def count(self, server, q):
        path = "/logs/stats?" + urllib.parse.urlencode({"q": q, "from": "0", "step": "3650d"})
        reply = server.request("GET", path)
        self.assertEqual(reply.status, 200, reply)
        body = reply.json()
        self.assertIsNone(body["next"])
        return body["total"]

    def test_sigkill_mid_batch_every_acknowledged_entry_is_found_by_its_words(self):
        data_dir = self.make_data_dir()
        server = self.start_server(data_dir)
        writers = BatchWriters(server, threads=4)
        for t in writers.threads:
            t.start()
        deadline = time.monotonic() + 30
        while len(writers.acked) < 20 and time.monotonic() < deadline:
            time.sleep(0.01)
        server.kill()
        writers.stop.set()
        for t in writers.threads:
            t.join(30)
        self.assertEqual(writers.unexpected, [])
        self.assertGreaterEqual(len(writers.acked), 20)

        again = self.start_server(data_dir)
        stored = 0
        for (t, b) in sorted(writers.sent):
            n = self.count(again, "b%dx%d" % (t, b))
            if (t, b) in writers.acked:
                self.assertEqual(n, BatchWriters.BATCH, (t, b))
            else:
                # In flight at the kill: all of it or none of it.
                self.assertIn(n, (0, BatchWriters.BATCH), (t, b))
            stored += n
        self.assertEqual(self.count(again, "crashword"), stored)
        # Each entry by its own word, through the search too.
        for (t, b) in sorted(writers.acked)[:5]:
            for i in (0, BatchWriters.BATCH - 1):
                word = "e%dx%dx%d" % (t, b, i)
                reply = again.request("GET", "/logs?" + urllib.parse.urlencode({"q": word}))
                body = reply.json()
                self.assertEqual([e["message"] for e in body["logs"]],
                                 ["b%dx%d %s crashword" % (t, b, word)])


if __name__ == "__main__":
    unittest.main()
