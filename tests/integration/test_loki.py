"""Loki push (POST /loki/api/v1/push) through real requests: winston-loki
(tests/node/loki_client.mjs) in JSON and in protobuf mode, then plain HTTP for
every refusal, each of which must store nothing. Entries are checked through
the read API: search by word, attribute and severity, and GET /logs/{id}."""

import gzip
import json
import os
import subprocess
import unittest
import urllib.parse
import uuid

from harness import NODE_DIR, LogsvcTestCase, child_env, node_tools, now_ms

LOKI_CLIENT = os.path.join(NODE_DIR, "loki_client.mjs")
PUSH = "/loki/api/v1/push"


# A protobuf writer and a snappy block writer, enough to build request bodies
# by hand (field numbers as Loki's push.proto). The snappy block holds only
# literals: valid snappy, as any decoder reads it.

def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def field_bytes(number, data):
    if isinstance(data, str):
        data = data.encode()
    return varint(number << 3 | 2) + varint(len(data)) + data


def field_varint(number, v):
    return varint(number << 3) + varint(v & 0xFFFFFFFFFFFFFFFF)


def pb_entry(ms, line, metadata=()):
    ts = field_varint(1, ms // 1000) + field_varint(2, (ms % 1000) * 1_000_000)
    out = field_bytes(1, ts) + field_bytes(2, line)
    for k, v in metadata:
        out += field_bytes(3, field_bytes(1, k) + field_bytes(2, v))
    return out


def pb_push(streams):
    """streams: [(labels text, [entry bytes])]"""
    out = b""
    for labels, entries in streams:
        stream = field_bytes(1, labels) + b"".join(field_bytes(2, e) for e in entries)
        out += field_bytes(1, stream)
    return out


def snappy_block(data):
    out = bytearray(varint(len(data)))
    for i in range(0, len(data), 256):
        chunk = data[i:i + 256]
        n = len(chunk)
        out += bytes([(n - 1) << 2]) if n <= 60 else bytes([60 << 2, n - 1])
        out += chunk
    return bytes(out)


def json_push(streams):
    return json.dumps({"streams": streams})


class LokiTest(LogsvcTestCase):

    def setUp(self):
        self.server = self.start_server()

    # Helpers.

    def push(self, body, content_type="application/json", headers=None):
        hdrs = {"Content-Type": content_type}
        hdrs.update(headers or {})
        return self.server.request("POST", PUSH, body, hdrs)

    def assertPushed(self, reply):
        self.assertEqual(reply.status, 204, reply)
        self.assertEqual(reply.body, b"", reply)

    def assertRefused(self, reply, status, fragment=None):
        """A Loki error: plain text, one sentence."""
        self.assertEqual(reply.status, status, reply)
        self.assertEqual(reply.header("Content-Type"), "text/plain; charset=utf-8", reply)
        text = reply.body.decode("utf-8")
        self.assertGreater(len(text.strip()), 10, reply)
        if fragment is not None:
            self.assertIn(fragment, text)
        return text

    def search(self, **params):
        query = urllib.parse.urlencode(dict(params, limit=1000))
        body = self.assertJsonReply(self.server.request("GET", "/logs?" + query), 200)
        return body["logs"]

    def assertNothingStored(self):
        body = self.assertJsonReply(self.server.request("GET", "/logs"), 200)
        self.assertEqual(body["count"], 0, body)

    def get_one(self, log_id):
        return self.assertJsonReply(self.server.request("GET", "/logs/" + log_id), 200)

    def run_client(self, mode, token):
        result = subprocess.run(
            [node_tools(), LOKI_CLIENT, "http://127.0.0.1:%d" % self.server.port, mode, token],
            stdin=subprocess.DEVNULL, capture_output=True, env=child_env(), timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr.decode("utf-8", "replace"))
        out = json.loads(result.stdout)
        self.assertIsNone(out["error"], out)
        self.assertEqual(out["logged"], len(out["sent"]), out)
        return out

    # winston-loki.

    def check_winston(self, mode, content_type):
        token = "tok" + uuid.uuid4().hex[:12]
        out = self.run_client(mode, token)
        # Without the snappy binding winston-loki falls back to JSON silently.
        self.assertEqual(out["contentType"], content_type)
        logs = self.search(q=token)
        self.assertEqual(len(logs), len(out["sent"]), logs)
        severity = {"warn": "warning", "error": "error", "info": "info", "debug": "debug"}
        by_level = {e["severity"]: e for e in logs}
        for sent in out["sent"]:
            entry = by_level[severity[sent["level"]]]
            self.assertTrue(entry["message"].startswith(sent["message"]), (entry, sent))
            self.assertEqual(entry["timestamp"], sent["timestamp"], entry)
            attributes = entry["attributes"]
            self.assertEqual(attributes["level"], sent["level"])
            self.assertEqual(attributes["app"], "checkout")
            self.assertEqual(attributes["env"], "test")
            for k, v in sent["labels"].items():
                self.assertEqual(attributes[k], v)
            if mode == "json":  # structured metadata: protobuf mode drops it
                for k, v in sent["meta"].items():
                    self.assertEqual(attributes[k], v)
            # The same entry by id.
            one = self.get_one(entry["logId"])
            self.assertEqual(one["message"], entry["message"])
            self.assertEqual(one["severity"], entry["severity"])
            self.assertEqual(one["attributes"], attributes)
        # Attribute and severity searches find them too.
        disk = self.search(q=token, **{"attr.component": "disk"})
        self.assertEqual([e["severity"] for e in disk], ["warning"])
        grave = self.search(q=token, **{"severity>": "warning"})
        self.assertEqual(sorted(e["severity"] for e in grave), ["error", "warning"])

    def test_winston_loki_json(self):
        self.check_winston("json", "application/json")

    def test_winston_loki_protobuf(self):
        self.check_winston("protobuf", "application/x-protobuf")

    # Plain HTTP.

    def test_json_push(self):
        t = now_ms() - 5000
        reply = self.push(json_push([
            {"stream": {"app": "api", "level": "warn"},
             "values": [[str(t) + "123456", "alpha disk full"],
                        [str(t + 1) + "000000", "alpha retry", {"trace_id": "t1", "level": "error"}]]},
            {"stream": {"app": "web"}, "values": [[str(t + 2) + "999999", "alpha hello"]]}]))
        self.assertPushed(reply)
        logs = {e["message"]: e for e in self.search(q="alpha")}
        self.assertEqual(set(logs), {"alpha disk full", "alpha retry", "alpha hello"})
        self.assertEqual(logs["alpha disk full"]["timestamp"], t)
        self.assertEqual(logs["alpha disk full"]["severity"], "warning")
        self.assertEqual(logs["alpha disk full"]["attributes"], {"app": "api", "level": "warn"})
        self.assertEqual(logs["alpha retry"]["severity"], "error")
        self.assertEqual(logs["alpha retry"]["attributes"],
                         {"app": "api", "level": "error", "trace_id": "t1"})
        self.assertEqual(logs["alpha hello"]["timestamp"], t + 2)
        self.assertEqual(logs["alpha hello"]["severity"], "info")

    def test_json_push_gzip(self):
        body = json_push([{"stream": {"a": "b"}, "values": [[str(now_ms()) + "000000", "zipped line"]]}])
        self.assertPushed(self.push(gzip.compress(body.encode()), headers={"Content-Encoding": "gzip"}))
        self.assertEqual(len(self.search(q="zipped")), 1)

    def test_protobuf_push(self):
        t = now_ms() - 5000
        body = pb_push([('{app="api", msg="say \\"hi\\""}',
                         [pb_entry(t, "beta first"),
                          pb_entry(t + 1, "beta second", [("detected_level", "ERROR")])])])
        self.assertPushed(self.push(snappy_block(body), "application/x-protobuf"))
        logs = {e["message"]: e for e in self.search(q="beta")}
        self.assertEqual(logs["beta first"]["timestamp"], t)
        self.assertEqual(logs["beta first"]["attributes"], {"app": "api", "msg": 'say "hi"'})
        self.assertEqual(logs["beta second"]["severity"], "error")
        self.assertEqual(logs["beta second"]["attributes"]["detected_level"], "ERROR")

    def test_empty_push_stores_nothing(self):
        self.assertPushed(self.push(json_push([])))
        self.assertPushed(self.push(snappy_block(b""), "application/x-protobuf"))
        self.assertNothingStored()

    def test_malformed_bodies_store_nothing(self):
        t = str(now_ms()) + "000000"
        good_pb = pb_push([("{a=\"b\"}", [pb_entry(now_ms(), "x")])])
        cases = [
            ("not JSON", "application/json", b"{", 400, "not valid JSON"),
            ("no streams", "application/json", b"{}", 400, "streams"),
            ("labels not strings", "application/json",
             json_push([{"stream": {"a": 1}, "values": [[t, "x"]]}]), 400, "values are strings"),
            ("time a number", "application/json",
             json.dumps({"streams": [{"values": [[1, "x"]]}]}), 400, "Unix nanoseconds"),
            ("line not a string", "application/json",
             json.dumps({"streams": [{"values": [[t, 5]]}]}), 400, "line 0"),
            ("truncated protobuf", "application/x-protobuf",
             snappy_block(good_pb[:-3]), 400, "protobuf"),
            ("wrong wire type", "application/x-protobuf",
             snappy_block(field_varint(1, 5)), 400, "protobuf"),
            ("bad labels", "application/x-protobuf",
             snappy_block(pb_push([("app=api", [pb_entry(now_ms(), "x")])])), 400,
             "Prometheus label set"),
            ("not snappy", "application/x-protobuf", b"\xff\xff\xff\xff\xff\xff", 400, "snappy"),
            ("snappy cut short", "application/x-protobuf", snappy_block(good_pb)[:-2], 400, "snappy"),
            ("snappy of 1 GiB", "application/x-protobuf", varint(1 << 30) + b"\x00" * 16, 413,
             "larger than"),
            ("another media type", "text/plain", b"hello", 415, "application/json"),
        ]
        for name, content_type, body, status, fragment in cases:
            with self.subTest(name):
                self.assertRefused(self.push(body, content_type), status, fragment)
        self.assertNothingStored()

    def test_all_or_nothing(self):
        t = now_ms()
        future = str(t + 3600 * 1000) + "000000"
        reply = self.push(json_push([
            {"stream": {"app": "a"}, "values": [[str(t) + "000000", "gamma ok"]]},
            {"stream": {"app": "b"}, "values": [[str(t) + "000000", "gamma ok"], [future, "gamma late"]]}]))
        self.assertRefused(reply, 400, "Stream 1 '{app=\"b\"}', line 1")
        reply = self.push(json_push([{"stream": {}, "values": [
            [str(t) + "000000", "gamma ok"], [str(t) + "000000", "x" * (64 * 1024 + 1)]]}]))
        self.assertRefused(reply, 400, "line 1: the line is 65537 bytes long")
        self.assertNothingStored()

    def test_more_than_10000_lines(self):
        t = str(now_ms()) + "000000"
        values = [[t, "l"]] * 10001
        self.assertRefused(self.push(json_push([{"stream": {}, "values": values}])), 400,
                           "more than 10000 lines")
        self.assertNothingStored()
        self.assertPushed(self.push(json_push([{"stream": {}, "values": values[:10000]}])))
        self.assertEqual(self.assertJsonReply(
            self.server.request("GET", "/logs/stats?from=1h"), 200)["total"], 10000)

    def test_other_methods(self):
        reply = self.server.request("GET", PUSH)
        self.assertEqual(reply.status, 405)
        self.assertEqual(reply.header("Allow"), "POST, OPTIONS")


if __name__ == "__main__":
    unittest.main()
