"""POST /v1/logs (OTLP/HTTP logs) against the real binary.

Records sent by the official OpenTelemetry JavaScript SDK (tests/node/otlp_client.mjs,
both exporters: OTLP/JSON and binary protobuf, the latter also gzipped) must be
found again by search and by id with their severities, times and attributes;
hand-made bodies check the replies: partial success, a truncated protobuf or bad
JSON refused whole (400, a google.rpc.Status, nothing stored), 415 for other
media types, 400 past 10,000 records.
"""

import gzip
import json
import os
import shutil
import struct
import subprocess
import unittest
import urllib.parse
import uuid

from harness import LogsvcTestCase, NODE_DIR, child_env, now_ms

OTLP_CLIENT = os.path.join(NODE_DIR, "otlp_client.mjs")
PROTOBUF = {"Content-Type": "application/x-protobuf"}
JSON = {"Content-Type": "application/json"}


# A minimal protobuf writer and reader, for hand-made ExportLogsServiceRequests.

def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def length_delimited(number, payload):
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def string_value(text):  # an AnyValue
    return length_delimited(1, text.encode("utf-8"))


def key_value(key, value):
    return length_delimited(1, key.encode("utf-8")) + length_delimited(2, string_value(value))


def log_record(body, time_ns=0, severity_number=0, attributes=None):
    out = varint(1 << 3 | 1) + struct.pack("<Q", time_ns)  # time_unix_nano, fixed64
    out += varint(2 << 3) + varint(severity_number)
    out += length_delimited(5, string_value(body))
    for key, value in (attributes or {}).items():
        out += length_delimited(6, key_value(key, value))
    return out


def export_request(records, service="otlp-raw"):
    resource = length_delimited(1, key_value("service.name", service))
    scope_logs = b"".join(length_delimited(2, r) for r in records)
    resource_logs = length_delimited(1, resource) + length_delimited(2, scope_logs)
    return length_delimited(1, resource_logs)


def read_fields(data):
    """The top-level fields of a protobuf message: {number: [value, ...]} (varints
    as ints, length-delimited as bytes)."""
    fields, i = {}, 0
    while i < len(data):
        key, i = _read_varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _read_varint(data, i)
        elif wire == 2:
            size, i = _read_varint(data, i)
            value, i = data[i:i + size], i + size
        else:
            raise AssertionError("unexpected wire type %d in %r" % (wire, data))
        fields.setdefault(number, []).append(value)
    return fields


def _read_varint(data, i):
    n = shift = 0
    while True:
        b = data[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def json_request(records, service="otlp-json"):
    return {"resourceLogs": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
        "scopeLogs": [{"scope": {"name": "hand.made"}, "logRecords": records}],
    }]}


class OtlpTest(LogsvcTestCase):

    def setUp(self):
        self.server = self.start_server()

    def search(self, **params):
        reply = self.server.request("GET", "/logs?" + urllib.parse.urlencode(params))
        return self.assertJsonReply(reply, 200)

    def count_all(self):
        return self.search(limit=1000, **{"from": 0})["count"]

    def assertStatusReply(self, reply, status, encoding, says):
        """A google.rpc.Status body in the request's encoding; returns its message."""
        self.assertEqual(reply.status, status, reply)
        if encoding == "json":
            self.assertEqual(reply.header("Content-Type"), "application/json")
            body = reply.json()
            self.assertEqual(set(body), {"code", "message"}, body)
            code, message = body["code"], body["message"]
        else:
            self.assertEqual(reply.header("Content-Type"), "application/x-protobuf")
            fields = read_fields(reply.body)
            code, message = fields[1][0], fields[2][0].decode("utf-8")
        self.assertEqual(code, 14 if status == 503 else 3)
        self.assertIn(says, message)
        return message

    # The OpenTelemetry JavaScript SDK.

    def run_sdk(self, protocol, run, compression="none"):
        node = shutil.which("node")
        if not node:
            raise AssertionError("node is not on PATH: the OTLP tests need Node.js "
                                 "(scripts/setup.sh test installs it)")
        if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "@opentelemetry", "sdk-logs")):
            raise AssertionError("tests/node/node_modules lacks @opentelemetry/sdk-logs: run "
                                 "scripts/setup.sh test (npm ci in tests/node)")
        result = subprocess.run(
            [node, OTLP_CLIENT, "http://127.0.0.1:%d" % self.server.port, protocol, run, compression],
            stdin=subprocess.DEVNULL, capture_output=True, env=child_env(), timeout=60)
        out = result.stdout.decode("utf-8", "replace")
        if result.returncode != 0:
            raise AssertionError("otlp_client.mjs %s failed (exit %d): %s %s" % (
                protocol, result.returncode, out, result.stderr.decode("utf-8", "replace")))
        return json.loads(out)

    def test_sdk_exporters_records_arrive_with_attributes_severities_and_times(self):
        for protocol, compression in (("json", "none"), ("proto", "none"), ("proto", "gzip")):
            with self.subTest(protocol=protocol, compression=compression):
                run = "run" + uuid.uuid4().hex[:12]
                before = now_ms()
                sent = self.run_sdk(protocol, run, compression)
                after = now_ms()
                self.assertTrue(sent["exports"], sent)
                self.assertTrue(all(e["code"] == 0 for e in sent["exports"]), sent)

                found = self.search(q=run, limit=100)
                self.assertEqual(found["count"], 5, found)
                by_message = {e["message"]: e for e in found["logs"]}
                self.assertEqual(set(by_message), {r["body"] for r in sent["records"]})
                severities = {r["body"]: s for r, s in zip(
                    sent["records"], ("info", "error", "warning", "debug", "fatal"))}
                for message, entry in by_message.items():
                    self.assertEqual(entry["severity"], severities[message], entry)
                for r in sent["records"]:
                    entry = by_message[r["body"]]
                    if r["timestamp"] is not None:
                        self.assertEqual(entry["timestamp"], r["timestamp"], entry)
                    else:
                        self.assertGreaterEqual(entry["timestamp"], before, entry)
                        self.assertLessEqual(entry["timestamp"], after, entry)

                service = "otlp-itest-" + protocol
                common = {"service.name": service, "deployment.environment": "test",
                          "otel.scope.name": "itest.logger", "otel.scope.version": "1.0.0"}
                want = {
                    "hello from": dict(common, **{"user.id": "42", "http.route": "/cart",
                                                   "cache.hit": "true"}),
                    "payment failed": dict(common, **{"payment.amount": "12.5",
                                                      "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
                                                      "span_id": "00f067aa0ba902b7"}),
                    # WARN2 with the text WARN: the same severity, so no severity_text.
                    "disk almost full": common,
                    "verbose details": dict(common, **{"http.method": "GET", "http.status": "200"}),
                    "no number": common,
                }
                for message, entry in by_message.items():
                    (words,) = [w for w in want if w in message]
                    one = self.assertJsonReply(
                        self.server.request("GET", "/logs/" + entry["logId"]), 200)
                    self.assertEqual(one["message"], message)
                    self.assertEqual(one["severity"], entry["severity"])
                    self.assertEqual(one["timestamp"], entry["timestamp"])
                    self.assertEqual(one.get("attributes"), want[words], one)

                # Search by attribute and by least severity.
                self.assertEqual(self.search(q=run, **{"attr.service.name": service})["count"], 5)
                self.assertEqual(self.search(q=run, **{"attr.service.name": "other"})["count"], 0)
                reply = self.server.request("GET", "/logs?q=%s&severity>=error" % run)
                graver = self.assertJsonReply(reply, 200)
                self.assertEqual(sorted(e["severity"] for e in graver["logs"]), ["error", "fatal"])

    # Hand-made requests.

    def test_protobuf_by_hand_plain_and_gzip(self):
        t = now_ms() - 5000
        body = export_request([
            log_record("raw protobuf one", t * 1_000_000 + 999_999, 17, {"k": "v"}),
            log_record("raw protobuf two", 0, 0),
        ])
        reply = self.server.request("POST", "/v1/logs", body, PROTOBUF)
        self.assertEqual(reply.status, 200, reply)
        self.assertEqual(reply.header("Content-Type"), "application/x-protobuf")
        self.assertEqual(reply.body, b"")  # an empty ExportLogsServiceResponse
        found = self.search(q="raw protobuf")
        self.assertEqual(found["count"], 2, found)
        one = [e for e in found["logs"] if e["message"] == "raw protobuf one"][0]
        self.assertEqual((one["severity"], one["timestamp"]), ("error", t))
        self.assertEqual(one["attributes"], {"service.name": "otlp-raw", "k": "v"})

        zipped = gzip.compress(export_request([log_record("gzipped protobuf", 0, 9)]))
        reply = self.server.request("POST", "/v1/logs", zipped,
                                    dict(PROTOBUF, **{"Content-Encoding": "gzip"}))
        self.assertEqual(reply.status, 200, reply)
        self.assertEqual(self.search(q="gzipped")["count"], 1)

    def test_truncated_protobuf_is_400_and_stores_nothing(self):
        body = export_request([log_record("first of two", 0, 9), log_record("second of two", 0, 9)])
        for cut in (1, 7, len(body) // 2):
            reply = self.server.request("POST", "/v1/logs", body[:-cut], PROTOBUF)
            self.assertStatusReply(reply, 400, "protobuf", "not an OTLP ExportLogsServiceRequest")
        self.assertEqual(self.count_all(), 0)

    def test_json_partial_success(self):
        future_ns = (now_ms() + 3_600_000) * 1_000_000
        records = [
            {"body": {"stringValue": "partial kept one"}, "severityNumber": 9},
            {"body": {"stringValue": "partial from the future"}, "timeUnixNano": str(future_ns)},
            {"body": {"stringValue": "partial too long " + "x" * 65536}},
            {"body": {"stringValue": "partial kept two"}, "severityText": "warn",
             "traceId": "5B8EFFF798038103D269B633813FC60C", "spanId": "EEE19B7EC3C1B174"},
        ]
        reply = self.server.request("POST", "/v1/logs", json_request(records), JSON)
        self.assertEqual(reply.status, 200, reply)
        self.assertEqual(reply.header("Content-Type"), "application/json")
        partial = reply.json()["partialSuccess"]
        self.assertEqual(int(partial["rejectedLogRecords"]), 2, partial)
        self.assertTrue(partial["errorMessage"].startswith(
            "resourceLogs[0].scopeLogs[0].logRecords[1]: "), partial)
        self.assertIn("ahead of the server's clock", partial["errorMessage"])

        found = self.search(q="partial")
        self.assertEqual(sorted(e["message"] for e in found["logs"]),
                         ["partial kept one", "partial kept two"])
        two = [e for e in found["logs"] if e["message"] == "partial kept two"][0]
        self.assertEqual(two["severity"], "warning")
        self.assertEqual(two["attributes"]["trace_id"], "5b8efff798038103d269b633813fc60c")
        self.assertEqual(two["attributes"]["otel.scope.name"], "hand.made")

        # All accepted: an empty response, {}.
        reply = self.server.request("POST", "/v1/logs", json_request(records[:1]), JSON)
        self.assertEqual((reply.status, reply.json()), (200, {}))

    def test_bad_requests_are_refused_whole(self):
        ok = {"body": {"stringValue": "never stored"}}
        cases = [
            ("json", b'{"resourceLogs": [', "not valid JSON"),
            ("json", json.dumps({"resourceLogs": {}}).encode(), "'resourceLogs' must be an array"),
            ("json", json.dumps(json_request([ok, {"timeUnixNano": "yesterday"}])).encode(),
             "logRecords[1].timeUnixNano' must be a non-negative integer"),
            ("json", json.dumps(json_request([ok, {"traceId": "W47/95gDgQPSabYzgT/GDA=="}])).encode(),
             "hex, not base64"),
            ("json", json.dumps(json_request([ok] * 10001)).encode(), "send at most 10000"),
            ("protobuf", export_request([log_record("never stored")] * 10001), "send at most 10000"),
        ]
        for encoding, body, says in cases:
            with self.subTest(says=says):
                headers = JSON if encoding == "json" else PROTOBUF
                self.assertStatusReply(self.server.request("POST", "/v1/logs", body, headers),
                                       400, encoding, says)
        for content_type in ("text/plain", "application/x-ndjson", None):
            with self.subTest(content_type=content_type):
                headers = {"Content-Type": content_type} if content_type else {}
                conn = self.server.connection()
                try:
                    conn.request("POST", "/v1/logs", body=b"{}", headers=headers)
                    response = conn.getresponse()
                    status, ctype, data = response.status, response.getheader("Content-Type"), \
                        response.read()
                finally:
                    conn.close()
                self.assertEqual(status, 415)
                self.assertEqual(ctype, "application/json")
                self.assertIn("application/x-protobuf or application/json",
                              json.loads(data)["message"])
        self.assertEqual(self.count_all(), 0)


if __name__ == "__main__":
    unittest.main()
