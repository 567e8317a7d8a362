"""Many keep-alive connections ingesting at once, with readers listing meanwhile."""

import threading
import unittest

from harness import CREATED_KEYS, LogsvcTestCase, iso8601_ms, send

CONNECTIONS = 32
PER_CONNECTION = 50
READERS = 4


class ConcurrencyTest(LogsvcTestCase):

    def run_threads(self, target, count):
        """Runs target(n) on `count` threads at once; re-raises the first failure."""
        errors = []
        barrier = threading.Barrier(count)

        def wrapper(n):
            try:
                barrier.wait(10)
                target(n)
            except BaseException as e:  # noqa: B902 - reported in the main thread
                errors.append((n, e))

        threads = [threading.Thread(target=wrapper, args=(n,), daemon=True) for n in range(count)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
            self.assertFalse(t.is_alive(), "a thread is stuck")
        if errors:
            raise AssertionError("%d thread(s) failed; first (thread %d): %r"
                                 % (len(errors), errors[0][0], errors[0][1])) from errors[0][1]

    def test_32_connections_ingesting_concurrently(self):
        server = self.start_server(args=["--threads", "4"])
        results = [None] * CONNECTIONS
        writing = threading.Event()
        done_writing = threading.Event()
        listings = []

        def writer(n):
            conn = server.connection()
            try:
                mine = []
                sock = None
                for i in range(PER_CONNECTION):
                    severity = ("info", "warning", "error")[(n + i) % 3]
                    message = "connection %d entry %d" % (n, i)
                    reply = send(conn, "POST", "/logs", {"severity": severity, "message": message})
                    created = self.assertJsonReply(reply, 201, CREATED_KEYS)
                    self.assertEqual(reply.header("Location"), "/logs/" + created["logId"])
                    mine.append((created["logId"], created["timestamp"], severity, message))
                    # Keep-alive: the same socket carries every request of this thread.
                    self.assertIsNotNone(conn.sock, "the server closed the connection")
                    sock = sock or conn.sock
                    self.assertIs(conn.sock, sock, "the server closed the connection")
                    writing.set()
                results[n] = mine
            finally:
                conn.close()

        def reader(_):
            conn = server.connection()
            try:
                writing.wait(10)
                while not done_writing.is_set():
                    reply = send(conn, "GET", "/logs")
                    body = self.assertJsonReply(reply, 200)
                    self.assertEqual(body["count"], len(body["logs"]))
                    self.assertLessEqual(body["count"], 100)
                    stamps = [e["timestamp"] for e in body["logs"]]
                    self.assertEqual(stamps, sorted(stamps, reverse=True))
                    listings.append(body["count"])
            finally:
                conn.close()

        finished = []

        def run(n):
            if n >= CONNECTIONS:
                return reader(n)
            try:
                writer(n)
            finally:
                finished.append(n)
                if len(finished) == CONNECTIONS:
                    done_writing.set()

        self.run_threads(run, CONNECTIONS + READERS)
        self.assertTrue(listings, "the readers never listed")

        acked = [entry for mine in results for entry in mine]
        self.assertEqual(len(acked), CONNECTIONS * PER_CONNECTION)
        ids = [e[0] for e in acked]
        self.assertEqual(len(set(ids)), len(ids), "duplicate logIds")

        # Every acknowledged id reads back as exactly what was sent.
        by_id = {e[0]: e for e in acked}
        chunks = [ids[k::8] for k in range(8)]

        def check(k):
            conn = server.connection()
            try:
                for log_id in chunks[k]:
                    _, timestamp, severity, message = by_id[log_id]
                    body = self.assertJsonReply(send(conn, "GET", "/logs/" + log_id), 200)
                    self.assertEqual(body, {"statusCode": 200, "logId": log_id,
                                            "timestamp": timestamp,
                                            "datetime": iso8601_ms(timestamp),
                                            "severity": severity, "message": message})
            finally:
                conn.close()

        self.run_threads(check, len(chunks))

        # The list shows 100 of them, each once, and none older than one it leaves out.
        logs = self.recent(server)
        self.assertEqual(len(logs), 100)
        listed = [e["logId"] for e in logs]
        self.assertEqual(len(set(listed)), 100)
        self.assertTrue(set(listed) <= set(ids))
        oldest_listed = min(e["timestamp"] for e in logs)
        newest_left_out = max(e[1] for e in acked if e[0] not in set(listed))
        self.assertLessEqual(newest_left_out, oldest_listed)
        # Within one connection, later requests are listed first.
        for mine in results:
            own = {e[0] for e in mine}
            self.assertListing([{"logId": e["logId"], "timestamp": e["timestamp"]}
                                for e in logs if e["logId"] in own],
                               [{"logId": e[0], "timestamp": e[1]}
                                for e in reversed(mine) if e[0] in listed])


if __name__ == "__main__":
    unittest.main()
