"""Retention (issue 13) against the real server: `--retention` hides entries
past their age from every read at once and deletes them in the background
(the disk shrinks after the compaction); `--max-disk-bytes` deletes the
oldest entries while the data dir is over the bound."""

import json
import os
import time
import unittest

from harness import LogsvcTestCase, now_ms, rocksdb_only


def sst_bytes(data_dir):
    total = 0
    for root, _, files in os.walk(data_dir):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files if f.endswith(".sst"))
    return total


def dir_bytes(data_dir):
    total = 0
    for root, _, files in os.walk(data_dir):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total


@rocksdb_only("the RocksDB store's own deletion; DynamoDB's is its TTL (test_dynamodb)")
class RetentionTest(LogsvcTestCase):
    def wait_for_log(self, server, msg, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for raw in server.stderr_lines:
                if raw.startswith("{") and json.loads(raw).get("msg") == msg:
                    return json.loads(raw)
            time.sleep(0.05)
        self.fail("no %r in %r" % (msg, server.stderr_lines))

    def visible(self, server, entry_id, word):
        """What each read says of an entry: (in GET /logs, found by a word,
        by severity, by an attribute, by id, counted by stats)."""
        t = now_ms()
        recent = [e["logId"] for e in self.recent(server)]
        by_word = [e["logId"] for e in server.request("GET", "/logs?q=" + word).json()["logs"]]
        by_sev = [e["logId"] for e in server.request(
            "GET", "/logs?severity=warning&limit=1000").json()["logs"]]
        by_attr = [e["logId"] for e in server.request(
            "GET", "/logs?attr.job=" + word).json()["logs"]]
        one = server.request("GET", "/logs/" + entry_id).status
        stats = server.request("GET", "/logs/stats?from=%d&to=%d&q=%s&step=1m"
                               % (t - 3600_000, t + 60_000, word)).json()["total"]
        return (entry_id in recent, entry_id in by_word, entry_id in by_sev, entry_id in by_attr,
                one == 200, stats)

    def test_entries_past_the_retention_disappear_from_every_read(self):
        server = self.start_server(args=["--retention", "3s"])
        self.assertEqual(server.started["retention_s"], 3)
        t = now_ms()
        # An hour old on arrival: stored, and never readable.
        old = server.request("POST", "/logs", [{"severity": "warning", "message": "zzold early",
                                                "timestamp": t - 3600_000,
                                                "attributes": {"job": "zzold"}}]).json()
        self.assertEqual(self.visible(server, old["logIds"][0], "zzold"),
                         (False, False, False, False, False, 0))
        fresh = server.request("POST", "/logs", [{"severity": "warning", "message": "zzfresh now",
                                                  "attributes": {"job": "zzfresh"}}]).json()
        fresh_id = fresh["logIds"][0]
        self.assertEqual(self.visible(server, fresh_id, "zzfresh"), (True,) * 5 + (1,))
        time.sleep(3.5)
        self.assertEqual(self.visible(server, fresh_id, "zzfresh"),
                         (False, False, False, False, False, 0))
        deleted = self.wait_for_log(server, "retention deleted old entries")
        self.assertGreaterEqual(deleted["entries"], 1)
        # A restart keeps them gone (deleted, not only hidden).
        self.assertEqual(server.stop(), 0)
        again = self.start_server(data_dir=server.data_dir, args=["--retention", "3s"])
        self.assertEqual(self.visible(again, fresh_id, "zzfresh"),
                         (False, False, False, False, False, 0))

    def test_the_disk_shrinks_once_entries_expire(self):
        server = self.start_server(args=["--retention", "6s", "--max-body-bytes", "16777216",
                                         "--metrics-listen", "127.0.0.1:0"])
        # ~48 MB of entries that compress about 2:1 (hex): more than a
        # memtable, so table files are written.
        for b in range(6):
            batch = [{"severity": "info", "message": "bulk %d %d %s" % (b, i, os.urandom(450).hex())}
                     for i in range(8000)]
            self.assertEqual(server.request("POST", "/logs", batch).status, 201)
        deadline = time.monotonic() + 10
        while sst_bytes(server.data_dir) < 10_000_000 and time.monotonic() < deadline:
            time.sleep(0.2)
        before = sst_bytes(server.data_dir)
        self.assertGreater(before, 10_000_000)
        # Once all have expired and retention has run, the tables are gone.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            deleted = sum(json.loads(l)["entries"] for l in server.stderr_lines
                          if '"retention deleted old entries"' in l)
            if deleted >= 48000:
                break
            time.sleep(0.2)
        self.assertEqual(deleted, 48000)
        self.assertEqual(self.recent(server), [])
        self.assertLess(sst_bytes(server.data_dir), before // 10, (before, server.stderr_lines[-3:]))
        import http.client
        port = int(server.started["metrics_listen"].rpartition(":")[2])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
        conn.close()
        line = [l for l in text.splitlines()
                if l.startswith("logsvc_retention_deleted_entries_total ")][0]
        self.assertEqual(float(line.split()[1]), 48000)

    def test_max_disk_bytes_deletes_the_oldest_first(self):
        server = self.start_server(args=["--max-disk-bytes", "128MiB",
                                         "--max-body-bytes", "16777216"])
        t0 = now_ms() - 1000_000
        total = 0
        # ~160 MB of messages that compress about 2:1, in time order: with the
        # logs' 64 MiB, over the bound.
        for b in range(16):
            batch = [{"severity": "info", "message": "round%d %d %s" % (b, i, os.urandom(500).hex()),
                      "timestamp": t0 + b * 1000 + i // 10} for i in range(10000)]
            self.assertEqual(server.request("POST", "/logs", batch).status, 201)
            total += len(batch)
        deadline = time.monotonic() + 60
        while dir_bytes(server.data_dir) > 128 * 2**20 and time.monotonic() < deadline:
            time.sleep(0.5)
        self.assertLessEqual(dir_bytes(server.data_dir), 128 * 2**20, server.stderr_lines[-3:])
        found = lambda word: server.request("GET", "/logs?q=" + word + "&limit=1").json()["count"]
        self.assertEqual(found("round0"), 0)   # the oldest went first
        self.assertEqual(found("round15"), 1)  # the newest stayed
        self.assertTrue(any('"retention deleted old entries"' in l for l in server.stderr_lines))
        stats = server.request("GET", "/logs/stats?from=%d&to=%d" % (t0 - 1000, now_ms())).json()
        self.assertLess(stats["total"], total)
        self.assertGreater(stats["total"], 0)


class RetentionFlagsTest(LogsvcTestCase):
    def test_bad_values_are_usage_errors(self):
        from harness import run_cli
        for args in (["--retention", "5"], ["--retention", "1y"], ["--retention", "-3d"],
                     ["--max-disk-bytes", "10MiB"], ["--max-disk-bytes", "lots"]):
            with self.subTest(args=args):
                done = run_cli(["serve", "--listen", "127.0.0.1:0", "--data-dir",
                                self.make_data_dir()] + args)
                self.assertEqual(done.returncode, 2)
                self.assertIn(args[0], done.stderr.decode())


if __name__ == "__main__":
    unittest.main()
