"""Elasticsearch bulk (POST /_bulk, POST /{index}/_bulk) and the probes
shippers make first, through real requests: the official client
(@elastic/elasticsearch, tests/node/es_client.mjs: client.info() and
client.helpers.bulk), then plain HTTP for per-item errors, field parameters
and every refusal of a whole request, each of which must store nothing."""

import gzip
import json
import os
import subprocess
import unittest
import urllib.parse
import uuid

from harness import NODE_DIR, LogsvcTestCase, child_env, iso8601_ms, node_tools, now_ms

ES_CLIENT = os.path.join(NODE_DIR, "es_client.mjs")


def ndjson(*objects):
    return "".join(json.dumps(o) + "\n" for o in objects)


class EsBulkTest(LogsvcTestCase):

    def setUp(self):
        self.server = self.start_server()

    # Helpers.

    def bulk(self, body, path="/_bulk", headers=None):
        hdrs = {"Content-Type": "application/x-ndjson"}
        hdrs.update(headers or {})
        return self.server.request("POST", path, body, hdrs)

    def assertEs(self, reply, status):
        """An Elasticsearch answer: JSON with X-Elastic-Product."""
        self.assertEqual(reply.status, status, reply)
        self.assertEqual(reply.header("X-Elastic-Product"), "Elasticsearch", reply)
        self.assertEqual(reply.header("Content-Type"), "application/json", reply)
        return reply.json()

    def assertEsError(self, reply, status, fragment):
        body = self.assertEs(reply, status)
        self.assertEqual(body["status"], status)
        self.assertIn(fragment, body["error"]["reason"])
        self.assertEqual(body["error"]["root_cause"][0]["reason"], body["error"]["reason"])
        return body

    def search(self, **params):
        query = urllib.parse.urlencode(dict(params, limit=1000))
        return self.assertJsonReply(self.server.request("GET", "/logs?" + query), 200)["logs"]

    def assertNothingStored(self):
        body = self.assertJsonReply(self.server.request("GET", "/logs"), 200)
        self.assertEqual(body["count"], 0, body)

    def get_one(self, log_id):
        return self.assertJsonReply(self.server.request("GET", "/logs/" + log_id), 200)

    # The official client.

    def test_official_client(self):
        token = "tok" + uuid.uuid4().hex[:12]
        result = subprocess.run(
            [node_tools(), ES_CLIENT, "http://127.0.0.1:%d" % self.server.port, token],
            stdin=subprocess.DEVNULL, capture_output=True, env=child_env(), timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr.decode("utf-8", "replace"))
        out = json.loads(result.stdout)
        self.assertIsNone(out["error"], out["error"])
        self.assertTrue(out["info"]["version"]["number"].startswith("8.19."), out["info"])
        self.assertEqual(out["info"]["tagline"], "You Know, for Search")

        stats = out["stats"]
        self.assertEqual((stats["total"], stats["successful"], stats["failed"]), (6, 4, 2), stats)
        drops = sorted(out["drops"], key=lambda d: list(d["operation"])[0])
        self.assertEqual([list(d["operation"])[0] for d in drops], ["create", "delete"])
        self.assertEqual([d["status"] for d in drops], [400, 400])
        self.assertIn("future", drops[0]["error"]["reason"])
        self.assertEqual(drops[0]["document"]["message"], "late %s entry" % token)
        self.assertIn("delete", drops[1]["error"]["reason"])

        sent = out["sent"]
        by_id = {s["id"]: s for s in out["successes"]}
        self.assertEqual(len(by_id), 4)
        for log_id, success in by_id.items():
            self.assertEqual(success["status"], 201)
            self.assertEqual(success["index"], "app-logs")
            entry = self.get_one(log_id)
            doc = success["document"]
            ts = doc["@timestamp"]
            expected_ms = ts if isinstance(ts, int) else None
            if expected_ms is None:
                self.assertEqual(entry["datetime"], ts)  # toISOString: ms and Z, as logsvc shows it
            else:
                self.assertEqual(entry["timestamp"], expected_ms)
            if "message" in doc:
                self.assertEqual(entry["message"], doc["message"])
            else:  # stored with the whole document as its message
                self.assertEqual(json.loads(entry["message"]), doc)
                self.assertEqual(entry["attributes"], {"event.code": "code-" + token})
        login = [e for e in self.search(q="login " + token)]
        self.assertEqual(len(login), 1)
        self.assertEqual(login[0]["severity"], "warning")
        self.assertEqual(login[0]["attributes"], {
            "log.level": "warn", "log.logger": "auth", "service.name": "auth",
            "user.id": "42", "user.name": "ada"})
        payment = self.search(q="payment " + token)
        self.assertEqual(payment[0]["severity"], "error")
        self.assertEqual(payment[0]["timestamp"], sent[1]["@timestamp"])
        self.assertEqual(self.search(q="cache " + token)[0]["severity"], "info")
        self.assertEqual(self.search(q=token + " late"), [])

        # /path-logs/_bulk through client.bulk.
        path_bulk = out["pathBulk"]
        self.assertFalse(path_bulk["errors"], path_bulk)
        item = path_bulk["items"][0]["index"]
        self.assertEqual((item["_index"], item["status"], item["result"]), ("path-logs", 201, "created"))
        self.assertEqual(self.get_one(item["_id"])["severity"], "fatal")

        # Searches by attribute and severity.
        self.assertEqual(len(self.search(q=token, **{"attr.service.name": "auth"})), 1)
        grave = self.search(q=token, **{"severity>": "warning"})
        self.assertEqual(sorted(e["severity"] for e in grave), ["error", "fatal", "warning"])
        self.assertEqual(len(self.search(q=token)), 5)

    # Plain HTTP.

    def test_bulk_reply_and_per_item_errors(self):
        t = now_ms() - 10000
        body = ndjson(
            {"create": {"_index": "a", "_id": "mine"}},
            {"@timestamp": iso8601_ms(t), "message": "delta one", "log": {"level": "notice"},
             "http": {"status": 500}},
            {"delete": {"_index": "a", "_id": "x"}},
            {"update": {"_index": "a", "_id": "x"}}, {"doc": {"message": "delta update"}},
            {"index": {}},
            {"@timestamp": "yesterday", "message": "delta bad time"},
            {"index": {}},
            {"@timestamp": t + 1, "message": "delta two", "log.level": "WARN"},
        ) + '{"create":{}}\nnot json\n'
        reply = self.bulk(body, "/p/_bulk")
        out = self.assertEs(reply, 200)
        self.assertTrue(out["errors"])
        self.assertIsInstance(out["took"], int)
        items = out["items"]
        self.assertEqual([list(i)[0] for i in items],
                         ["create", "delete", "update", "index", "index", "create"])
        first = items[0]["create"]
        self.assertEqual(first["_index"], "a")
        self.assertNotEqual(first["_id"], "mine")  # every entry gets its log id
        self.assertEqual((first["status"], first["result"], first["_version"]), (201, "created", 1))
        self.assertEqual(first["_shards"], {"total": 1, "successful": 1, "failed": 0})
        for n, kind in ((1, "delete"), (2, "update"), (3, "index"), (5, "create")):
            failed = items[n][kind]
            self.assertEqual(failed["status"], 400, failed)
            self.assertIn("type", failed["error"])
            self.assertGreater(len(failed["error"]["reason"]), 10)
        self.assertEqual(items[3]["index"]["error"]["type"], "mapper_parsing_exception")
        self.assertEqual(items[4]["index"]["_index"], "p")
        logs = {e["message"]: e for e in self.search(q="delta")}
        self.assertEqual(set(logs), {"delta one", "delta two"})
        self.assertEqual(logs["delta one"]["logId"], first["_id"])
        self.assertEqual(logs["delta one"]["timestamp"], t)
        self.assertEqual(logs["delta one"]["severity"], "info")  # notice is info
        self.assertEqual(logs["delta one"]["attributes"], {"http.status": "500", "log.level": "notice"})
        self.assertEqual(logs["delta two"]["severity"], "warning")
        self.assertEqual(logs["delta two"]["timestamp"], t + 1)

    def test_field_parameters(self):
        reply = self.bulk(ndjson({"create": {}}, {"msg": "epsilon here", "ts": "2026-01-02T03:04:05.678Z",
                                                  "lvl": "error", "message": "not this"}),
                          "/i/_bulk?_msg_field=text,msg&_time_field=ts&_level_field=lvl&refresh=true")
        self.assertFalse(self.assertEs(reply, 200)["errors"])
        [entry] = self.search(q="epsilon")
        self.assertEqual(entry["datetime"], "2026-01-02T03:04:05.678Z")
        self.assertEqual(entry["severity"], "error")
        self.assertEqual(entry["attributes"], {"lvl": "error", "message": "not this"})
        self.assertEsError(self.bulk(ndjson({"create": {}}, {"msg": "x"}), "/i/_bulk?_msg_field="),
                           400, "_msg_field")

    def test_probes(self):
        root = self.assertEs(self.server.request("GET", "/"), 200)
        self.assertEqual(root["tagline"], "You Know, for Search")
        self.assertEqual(root["version"]["build_flavor"], "default")
        for key in ("number", "lucene_version", "minimum_wire_compatibility_version",
                    "minimum_index_compatibility_version"):
            self.assertIsInstance(root["version"][key], str)
        self.assertTrue(root["version"]["number"].startswith("8.19."))
        for name in ("name", "cluster_name", "cluster_uuid"):
            self.assertIsInstance(root[name], str)
        head = self.server.request("HEAD", "/")
        self.assertEqual(head.status, 200)
        self.assertEqual(head.header("X-Elastic-Product"), "Elasticsearch")
        self.assertEqual(head.body, b"")
        for path in ("/_license", "/_xpack", "/_cluster/health", "/_cluster/health?wait_for_status=yellow",
                     "/_ilm/policy/filebeat", "/_index_template/logs-app", "/_template/logstash",
                     "/_ingest/pipeline/x"):
            with self.subTest(path):
                self.assertEs(self.server.request("GET", path), 200)
                self.assertEqual(self.server.request("HEAD", path).status, 200)
        self.assertEqual(self.assertEs(self.server.request("GET", "/_license"), 200)
                         ["license"]["status"], "active")
        self.assertEqual(self.server.request("GET", "/_search").status, 404)
        self.assertEqual(self.server.request("GET", "/_bulk").status, 405)

    def test_malformed_requests_store_nothing(self):
        good = ndjson({"create": {}}, {"message": "zeta"})
        cases = [
            ("empty body", "/i/_bulk", b"", 400, "no actions"),
            ("action not JSON", "/i/_bulk", b"create\n{}\n", 400, "line [1]"),
            ("two actions in one line", "/i/_bulk", ndjson({"create": {}, "index": {}}, {}), 400,
             "one action"),
            ("unknown action", "/i/_bulk", ndjson({"upsert": {}}, {}), 400, "[create, delete, index, update]"),
            ("metadata not an object", "/i/_bulk", ndjson({"create": []}, {}), 400, "metadata"),
            ("no index", "/_bulk", good, 400, "no index"),
            ("no document line", "/i/_bulk", good + ndjson({"create": {}}), 400, "no document line"),
            ("too many actions", "/i/_bulk", good * 10001, 400, "more than 10000"),
        ]
        for name, path, body, status, fragment in cases:
            with self.subTest(name):
                self.assertEsError(self.bulk(body, path), status, fragment)
        # Content codings are undone before: a bad gzip is a 400, a bomb a 413.
        reply = self.bulk(b"\x1f\x8b\x08\x00garbage", "/i/_bulk", {"Content-Encoding": "gzip"})
        self.assertEqual(reply.status, 400, reply)
        bomb = gzip.compress(b"\n" * (2 << 20))
        reply = self.bulk(bomb, "/i/_bulk", {"Content-Encoding": "gzip"})
        self.assertEqual(reply.status, 413, reply)
        self.assertNothingStored()
        # Gzip that decodes is taken.
        self.assertFalse(self.assertEs(self.bulk(gzip.compress(good.encode()), "/i/_bulk",
                                                 {"Content-Encoding": "gzip"}), 200)["errors"])
        self.assertEqual(len(self.search(q="zeta")), 1)


if __name__ == "__main__":
    unittest.main()
