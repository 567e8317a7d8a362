"""The data dir removed under a running server (`rm -rf`), and a second server
started on the same path: the first must notice, stop acknowledging writes
(which would go to unlinked files), say so once, never make a new database in
place of the vanished one, and never touch the second server's files."""

import http.client
import os
import shutil
import threading
import time
import unittest

from harness import LogsvcTestCase, rocksdb_only, send


class Writer:
    """One thread posting entries over a keep-alive connection until stopped;
    records, for every reply, when its request was sent."""

    def __init__(self, server):
        self.server = server
        self.stop = threading.Event()
        self.replies = []  # (sent_at, status, logId or None, message)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        conn = self.server.connection(timeout=10)
        n = 0
        while not self.stop.is_set():
            message = "writer entry %d" % n
            n += 1
            sent_at = time.monotonic()
            try:
                reply = send(conn, "POST", "/logs", {"severity": "info", "message": message})
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = self.server.connection(timeout=10)
                continue
            log_id = reply.json().get("logId") if reply.status == 201 else None
            self.replies.append((sent_at, reply.status, log_id, message))
            time.sleep(0.002)
        conn.close()

    def join(self):
        self.stop.set()
        self.thread.join(30)

    def acked(self):
        return {r[2]: r[3] for r in self.replies if r[1] == 201}


@rocksdb_only("the data dir is the RocksDB store's")
class DataDirRemovedTest(LogsvcTestCase):

    def lost_lines(self, server):
        return [l for l in server.stderr_lines if "data dir lost" in l]

    def test_a_removed_data_dir_stops_writes_at_once_and_is_never_recreated(self):
        data = self.make_data_dir()
        server = self.start_server(data)
        before = {}
        for i in range(20):
            before[self.ingest(server, "info", "before %d" % i)["logId"]] = "before %d" % i
        writer = Writer(server)
        time.sleep(0.3)
        shutil.rmtree(data)
        removed_at = time.monotonic()

        # /healthz turns 503 within about a second, and stays so.
        deadline = removed_at + 3
        while server.request("GET", "/healthz").status != 503:
            self.assertLess(time.monotonic(), deadline, "/healthz still says 200")
            time.sleep(0.05)
        time.sleep(1.5)
        writer.join()
        self.assertEqual(server.request("GET", "/healthz").status, 503)
        reply = server.request("POST", "/logs", {"severity": "info", "message": "after"})
        self.assertErrorReply(reply, 503)

        late = [r for r in writer.replies if r[0] > removed_at and r[1] == 201]
        self.assertEqual(late, [], "201s for writes sent after the data dir was removed: "
                                   "their log went to unlinked files")
        self.assertTrue(any(r[1] == 201 for r in writer.replies), "the writer never got a 201")
        self.assertTrue(any(r[1] == 503 for r in writer.replies), "the writer never got a 503")
        self.assertFalse(os.path.exists(data), "a new database was made in place of the old one")
        self.assertEqual(len(self.lost_lines(server)), 1, server.stderr_lines)
        self.assertFalse(any("store recovered" in l for l in server.stderr_lines),
                         server.stderr_lines)
        self.assertTrue(server.running())

    def test_a_second_server_on_the_path_keeps_its_files_and_entries(self):
        data = self.make_data_dir()
        first = self.start_server(data)
        self.ingest(first, "info", "the first server's")
        writer = Writer(first)  # keeps the first server trying to write throughout
        time.sleep(0.2)
        shutil.rmtree(data)
        second = self.start_server(data)
        acked = {}
        for i in range(200):
            created = self.ingest(second, "error", "second %d" % i)
            acked[created["logId"]] = "second %d" % i
            if i == 100:
                time.sleep(1.5)  # the first server's monitor runs meanwhile
        writer.join()
        self.assertEqual(first.request("GET", "/healthz").status, 503)
        self.assertEqual(len(self.lost_lines(first)), 1, first.stderr_lines)
        self.assertEqual(second.request("GET", "/healthz").status, 200)

        # The second server's live log is intact: a crash loses none of its 201s.
        second.kill()
        second = self.start_server(data)
        for log_id, message in acked.items():
            self.assertEqual(self.get_one(second, log_id)["message"], message)
        listed = {e["message"] for e in self.recent(second)}
        self.assertFalse(any(m.startswith("writer entry") for m in listed),
                         "the first server's writes landed in the second's database")

    def test_a_second_server_on_a_served_data_dir_is_refused(self):
        data = self.make_data_dir()
        first = self.start_server(data)
        from harness import run_cli
        r = run_cli(["serve", "--listen", "127.0.0.1:0", "--data-dir", data])
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(b"in use by another process", r.stderr)
        self.assertEqual(first.request("GET", "/healthz").status, 200)


if __name__ == "__main__":
    unittest.main()
