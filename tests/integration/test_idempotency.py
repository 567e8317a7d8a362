"""Idempotency-Key (issue 12): a retry with the same key answers what the first
request answered and stores nothing twice, on both stores, across a restart
(SIGTERM and SIGKILL), under concurrent retries, and on every ingest route.

    LOGSVC_BIN=build/logsvc python3 -m unittest -v test_idempotency
"""

import json
import threading
import unittest
import urllib.parse
import uuid

from harness import LogsvcTestCase, now_ms
from search_backends import new_table
from harness import DynamoStore

NDJSON = {"Content-Type": "application/x-ndjson"}


class Idempotency:
    """The tests, for the store a subclass names (store(): None for RocksDB)."""

    def store(self):
        raise NotImplementedError

    def setUp(self):
        super().setUp()
        self.data_dir = self.make_data_dir()
        self.dynamo = self.store()
        self.server = self.start_server(self.data_dir, store=self.dynamo)

    def restart(self, kill=False):
        if kill:
            self.server.kill()
        else:
            self.assertEqual(self.server.stop(), 0)
        self.server = self.start_server(self.data_dir, store=self.dynamo)

    def post(self, body, key, headers=None, path="/logs"):
        h = dict(headers or {})
        if key is not None:
            h["Idempotency-Key"] = key
        return self.server.request("POST", path, body, h)

    def found(self, word):
        reply = self.server.request("GET", "/logs?" + urllib.parse.urlencode({"q": word, "limit": "1000"}))
        self.assertEqual(reply.status, 200, reply)
        return reply.json()["logs"]

    def test_single_entry_retry_answers_the_first_reply(self):
        word = "zzonce" + uuid.uuid4().hex[:10]
        key = str(uuid.uuid4())
        body = {"severity": "info", "message": word}
        first = self.post(body, key)
        self.assertEqual(first.status, 201, first)
        self.assertIsNone(first.header("Idempotent-Replayed"))
        again = self.post(body, key)
        self.assertEqual(again.status, 201, again)
        self.assertEqual(again.header("Idempotent-Replayed"), "true")
        self.assertEqual(again.json(), first.json())  # the same id and timestamp
        self.assertEqual(again.header("Location"), first.header("Location"))
        self.assertEqual([e["logId"] for e in self.found(word)], [first.json()["logId"]])
        # Quoted, as the draft standard writes it: the same key.
        self.assertEqual(self.post(body, '"%s"' % key).json(), first.json())
        # Without a key, or with another one, it is a new entry.
        self.assertNotEqual(self.post(body, None).json()["logId"], first.json()["logId"])
        self.assertNotEqual(self.post(body, key + "x").json()["logId"], first.json()["logId"])
        self.assertEqual(len(self.found(word)), 3)

    def test_batch_retry_across_a_restart_and_a_kill(self):
        word = "zzoncebatch" + uuid.uuid4().hex[:8]
        key = uuid.uuid4().hex
        body = "\n".join(json.dumps({"severity": s, "message": "%s %d" % (word, i),
                                     "timestamp": now_ms() - i,
                                     "attributes": {"n": i}})
                         for i, s in enumerate(["trace", "info", "fatal"] * 40))
        first = self.post(body, key, NDJSON)
        self.assertEqual(first.status, 201, first)
        ids = first.json()["logIds"]
        self.assertEqual(len(ids), 120)
        for kill in (False, True):
            with self.subTest(kill=kill):
                self.restart(kill=kill)
                again = self.post(body, key, NDJSON)
                self.assertEqual(again.status, 201, again)
                self.assertEqual(again.header("Idempotent-Replayed"), "true")
                self.assertEqual(again.json()["logIds"], ids)
                self.assertEqual(sorted(e["logId"] for e in self.found(word)), sorted(ids))

    def test_another_request_with_the_key_is_422_and_stores_nothing(self):
        word = "zzonceother" + uuid.uuid4().hex[:8]
        key = str(uuid.uuid4())
        self.assertEqual(self.post({"severity": "info", "message": word}, key).status, 201)
        other = self.post({"severity": "error", "message": word + " other"}, key)
        self.assertEqual(other.status, 422, other)
        self.assertIn("Idempotency-Key", other.json()["error"])
        self.assertEqual(len(self.found(word)), 1)
        # One key on another route is another write.
        otlp = self.post({"resourceLogs": []}, key, {"Content-Type": "application/json"},
                         path="/v1/logs")
        self.assertEqual(otlp.status, 200, otlp)

    def test_malformed_keys_are_400(self):
        word = "zzoncebad" + uuid.uuid4().hex[:8]
        for key in ["", "x" * 256, "caf\u00e9".encode("utf-8").decode("latin-1"), "a b", '"']:
            with self.subTest(key=key):
                reply = self.post({"severity": "info", "message": word}, key)
                self.assertEqual(reply.status, 400, reply)
                self.assertIn("Idempotency-Key", reply.json()["error"])
        self.assertEqual(self.found(word), [])

    def test_concurrent_retries_store_once(self):
        word = "zzonceconc" + uuid.uuid4().hex[:8]
        key = str(uuid.uuid4())
        body = [{"severity": "warning", "message": "%s %d" % (word, i)} for i in range(50)]
        replies, lock = [], threading.Lock()

        def send():
            r = self.post(body, key)
            with lock:
                replies.append(r)

        threads = [threading.Thread(target=send) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        statuses = sorted(r.status for r in replies)
        self.assertEqual(len(replies), 8)
        self.assertTrue(set(statuses) <= {201, 409}, statuses)
        created = [r.json()["logIds"] for r in replies if r.status == 201]
        self.assertTrue(created, statuses)
        self.assertTrue(all(ids == created[0] for ids in created), "different ids for one key")
        for r in replies:
            if r.status == 409:
                self.assertEqual(r.header("Retry-After"), "1")
        final = self.post(body, key)
        self.assertEqual(final.status, 201, final)
        self.assertEqual(final.json()["logIds"], created[0])
        self.assertEqual(len(self.found(word)), 50)


class RocksDBTest(Idempotency, LogsvcTestCase):
    def store(self):
        return None


class DynamoDBTest(Idempotency, LogsvcTestCase):
    def store(self):
        engine, table = new_table()
        return DynamoStore(table, engine.endpoint, 2)


if __name__ == "__main__":
    unittest.main()
