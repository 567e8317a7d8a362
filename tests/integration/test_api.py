"""The HTTP API through real requests: ingest and read back, every refusal,
the newest-100 window, CORS, and JSON escaping over the wire."""

import gzip
import json
import socket
import subprocess
import unittest
import uuid

import sys

from harness import (CREATED_KEYS, ENTRY_KEYS, HOST, LogsvcTestCase, iso8601_ms, now_ms,
                     raw_exchange, send, split_responses)

# Every character Python's str.strip() removes (the definition of trimming).
PYTHON_WHITESPACE = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())

# Whitespace that Python's str.strip() removes, beyond ASCII.
UNICODE_SPACES = "\u00a0\u1680\u2000\u2005\u200a\u2028\u2029\u202f\u205f\u3000\x1c\x1d\x1e\x1f\x85\x0b\x0c"


class IngestAndReadTest(LogsvcTestCase):

    def setUp(self):
        self.server = self.start_server()

    def test_ingest_then_read_back(self):
        before = now_ms()
        reply = self.server.request("POST", "/logs",
                                    {"severity": "WaRnInG", "message": "  \t disk almost full \n"})
        after = now_ms()
        created = self.assertJsonReply(reply, 201, CREATED_KEYS)
        self.assertEqual(created["message"], "Log entry created successfully")
        self.assertEqual(str(uuid.UUID(created["logId"])), created["logId"])
        self.assertEqual(uuid.UUID(created["logId"]).version, 4)
        self.assertEqual(reply.header("Location"), "/logs/" + created["logId"])
        self.assertIs(type(created["timestamp"]), int)
        # Same host, same clock: the timestamp is taken while the request is served.
        self.assertGreaterEqual(created["timestamp"], before - 5)
        self.assertLessEqual(created["timestamp"], after + 5)

        one = self.server.request("GET", "/logs/" + created["logId"])
        body = self.assertJsonReply(one, 200, ENTRY_KEYS | {"statusCode"})
        self.assertEqual(body, {
            "statusCode": 200,
            "logId": created["logId"],
            "timestamp": created["timestamp"],
            "datetime": iso8601_ms(created["timestamp"]),
            "severity": "warning",
            "message": "disk almost full",
        })

        listing = self.server.request("GET", "/logs")
        body = self.assertJsonReply(listing, 200, {"statusCode", "count", "logs"})
        self.assertEqual(body, {
            "statusCode": 200,
            "count": 1,
            "logs": [{
                "logId": created["logId"],
                "timestamp": created["timestamp"],
                "datetime": iso8601_ms(created["timestamp"]),
                "severity": "warning",
                "message": "disk almost full",
            }],
        })

    def test_datetime_format(self):
        # The reference conversion itself, on fixed instants.
        self.assertEqual(iso8601_ms(0), "1970-01-01T00:00:00.000Z")
        self.assertEqual(iso8601_ms(951782400007), "2000-02-29T00:00:00.007Z")
        self.assertEqual(iso8601_ms(1700000000123), "2023-11-14T22:13:20.123Z")
        created = self.ingest(self.server, "info", "when")
        entry = self.get_one(self.server, created["logId"])
        self.assertRegex(entry["datetime"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual(entry["datetime"], iso8601_ms(created["timestamp"]))

    def test_severity_any_case_stored_lower_case(self):
        cases = [("info", "info"), ("INFO", "info"), ("Info", "info"),
                 ("warning", "warning"), ("WARNING", "warning"), ("wArNiNg", "warning"),
                 ("error", "error"), ("ERROR", "error"), ("eRRoR", "error")]
        sent = []
        for given, stored in cases:
            created = self.ingest(self.server, given, "severity " + given)
            entry = self.get_one(self.server, created["logId"])
            self.assertEqual(entry["severity"], stored, given)
            sent.append({"logId": created["logId"], "timestamp": created["timestamp"],
                         "severity": stored})
        logs = self.recent(self.server)
        self.assertListing([{k: e[k] for k in ("logId", "timestamp", "severity")} for e in logs],
                           sent[::-1])

    def test_message_trimmed_like_python_strip(self):
        raw_messages = [
            "  plain  ",
            "\t\r\n tabs and newlines \n\r\t",
            UNICODE_SPACES + "unicode spaces" + UNICODE_SPACES,
            "  inner   spaces\tand\nnewlines   stay  ",
            "\u200bzero width space is not whitespace\u200b",
            "\u3000\u00e9t\u00e9\u3000",
            " x ",
        ]
        for raw in raw_messages:
            with self.subTest(raw=raw):
                created = self.ingest(self.server, "info", raw)
                self.assertEqual(self.get_one(self.server, created["logId"])["message"],
                                 raw.strip())

    def test_each_whitespace_character_trimmed_and_nothing_else(self):
        # Both sides, each character Python calls whitespace; and lookalikes that are not.
        not_whitespace = "\u200b\u180e\u2060\ufeff\u00ad"
        message = PYTHON_WHITESPACE + not_whitespace + " kept " + not_whitespace + PYTHON_WHITESPACE
        created = self.ingest(self.server, "info", message)
        stored = self.get_one(self.server, created["logId"])["message"]
        self.assertEqual(stored, message.strip())
        self.assertEqual(stored, not_whitespace + " kept " + not_whitespace)
        for ch in PYTHON_WHITESPACE:
            with self.subTest(char=hex(ord(ch))):
                reply = self.server.request("POST", "/logs", {"severity": "info", "message": ch * 3})
                self.assertErrorReply(reply, 400)

    def test_unknown_ids_are_404(self):
        self.ingest(self.server, "info", "exists")
        for path in ["/logs/" + str(uuid.uuid4()), "/logs/not-a-uuid",
                     "/logs/00000000-0000-0000-0000-000000000000",
                     "/logs/" + str(uuid.uuid4()) + "x"]:
            with self.subTest(path=path):
                self.assertErrorReply(self.server.request("GET", path), 404)

    def test_ids_are_found_in_either_letter_case(self):
        # RFC 9562: UUIDs are case-insensitive on input. Both stores agree: the
        # Api looks an id up in its canonical (lower-case) form.
        created = self.ingest(self.server, "warning", "upper or lower")
        for spelled in (created["logId"].upper(), created["logId"][:9] + created["logId"][9:].upper()):
            with self.subTest(id=spelled):
                reply = self.server.request("GET", "/logs/" + spelled)
                body = self.assertJsonReply(reply, 200)
                self.assertEqual(body["logId"], created["logId"])
                self.assertEqual(body["message"], "upper or lower")

    def test_healthz(self):
        reply = self.server.request("GET", "/healthz")
        self.assertEqual(self.assertJsonReply(reply, 200), {"statusCode": 200, "status": "ok"})

    def test_keep_alive_connection_serves_many_requests(self):
        conn = self.server.connection()
        self.addCleanup(conn.close)
        created = self.ingest(conn, "info", "first")
        sock = conn.sock
        self.assertIsNotNone(sock)
        for i in range(5):
            self.ingest(conn, "error", "again %d" % i)
            self.get_one(conn, created["logId"])
            self.assertIs(conn.sock, sock, "the server closed a keep-alive connection")


def valid_body(message="valid entry"):
    return json.dumps({"severity": "info", "message": message}).encode()


# Every kind of request POST /logs must refuse with 400: (name, raw body).
BAD_BODIES = [
    # Invalid JSON.
    ("empty body", b""),
    ("whitespace body", b" \r\n\t "),
    ("truncated object", b'{"severity":"info","message":"x"'),
    ("not json", b"severity=info&message=x"),
    ("trailing comma", b'{"severity":"info","message":"x",}'),
    ("single quotes", b"{'severity':'info','message':'x'}"),
    ("trailing garbage", b'{"severity":"info","message":"x"} x'),
    ("two documents", b'{"severity":"info","message":"x"}{}'),
    ("unescaped control in string", b'{"severity":"info","message":"a\x01b"}'),
    ("lone surrogate escape", b'{"severity":"info","message":"a\\ud800b"}'),
    ("byte order mark", b'\xef\xbb\xbf{"severity":"info","message":"x"}'),
    # Not an object.
    ("array of a bad entry", b'[{"severity":"info","message":""}]'),
    ("string", b'"info"'),
    ("number", b"42"),
    ("null", b"null"),
    ("boolean", b"true"),
    # Missing fields.
    ("empty object", b"{}"),
    ("missing severity", b'{"message":"x"}'),
    ("missing message", b'{"severity":"info"}'),
    ("misspelled message", b'{"severity":"info","Message":"x"}'),
    # Wrong types.
    ("severity number", b'{"severity":1,"message":"x"}'),
    ("severity null", b'{"severity":null,"message":"x"}'),
    ("severity array", b'{"severity":["info"],"message":"x"}'),
    ("message number", b'{"severity":"info","message":123}'),
    ("message null", b'{"severity":"info","message":null}'),
    ("message boolean", b'{"severity":"info","message":true}'),
    ("message array", b'{"severity":"info","message":["x"]}'),
    ("message object", b'{"severity":"info","message":{"text":"x"}}'),
    # Unknown severities.
    ("severity debug", b'{"severity":"debug","message":"x"}'),
    ("severity warn", b'{"severity":"warn","message":"x"}'),
    ("severity empty", b'{"severity":"","message":"x"}'),
    ("severity padded", b'{"severity":" info","message":"x"}'),
    ("severity plural", b'{"severity":"infos","message":"x"}'),
    ("severity dotted capital I", '{"severity":"\u0130NFO","message":"x"}'.encode()),
    # Empty messages, after trimming.
    ("message empty", b'{"severity":"info","message":""}'),
    ("message spaces", b'{"severity":"info","message":"   "}'),
    ("message tabs newlines", b'{"severity":"error","message":"\\t\\n\\r "}'),
    ("message unicode spaces", json.dumps({"severity": "info", "message": UNICODE_SPACES}).encode()),
    # Over-long messages: 10001 code points, however they are written.
    ("message 10001 ascii", valid_body("a" * 10001)),
    ("message 10001 e-acute raw", ('{"severity":"info","message":"%s"}' % ("\u00e9" * 10001)).encode()),
    ("message 10001 e-acute escaped", valid_body("\u00e9" * 10001)),
    ("message 10001 emoji", ('{"severity":"info","message":"%s"}' % ("\U0001F600" * 10001)).encode()),
    ("message 10001 cjk", ('{"severity":"info","message":"%s"}' % ("\u4e2d" * 10001)).encode()),
    # Invalid UTF-8.
    ("utf8 lone continuation", b'{"severity":"info","message":"a\x80b"}'),
    ("utf8 0xff", b'{"severity":"info","message":"a\xffb"}'),
    ("utf8 truncated sequence", b'{"severity":"info","message":"a\xe2\x82"}'),
    ("utf8 bad continuation", b'{"severity":"info","message":"a\xc3\x28b"}'),
    ("utf8 overlong slash", b'{"severity":"info","message":"a\xc0\xafb"}'),
    ("utf8 encoded surrogate", b'{"severity":"info","message":"a\xed\xa0\x80b"}'),
    ("utf8 beyond U+10FFFF", b'{"severity":"info","message":"a\xf4\x90\x80\x80b"}'),
    ("utf8 latin-1 text", '{"severity":"info","message":"caf\u00e9"}'.encode("latin-1")),
    ("utf8 invalid in a key", b'{"sev\xffrity":"info","message":"x"}'),
    ("utf8 invalid in severity", b'{"severity":"info\xff","message":"x"}'),
    # Repeated fields: parsers disagree on which value wins (Python: the last).
    ("severity twice", b'{"severity":"info","severity":"error","message":"x"}'),
    ("message twice", b'{"severity":"info","message":"x","message":"y"}'),
    ("severity twice, once escaped", b'{"severity":"info","sever\\u0069ty":"error","message":"x"}'),
]


class BadRequestTest(LogsvcTestCase):
    """Every refusal through real HTTP, and nothing stored after any of them."""

    def setUp(self):
        self.server = self.start_server(args=["--max-body-bytes", "200000"])
        self.seed = self.ingest(self.server, "info", "seed entry")

    def assertNothingStored(self):
        logs = self.recent(self.server)
        self.assertEqual([e["logId"] for e in logs], [self.seed["logId"]])

    def test_every_400_case(self):
        conn = self.server.connection()
        self.addCleanup(conn.close)
        for name, body in BAD_BODIES:
            with self.subTest(name):
                before = self.recent(self.server)
                self.assertErrorReply(send(conn, "POST", "/logs", body), 400)
                self.assertEqual(self.recent(self.server), before, "a refused entry was stored")
        self.assertNothingStored()
        self.assertTrue(self.server.running())

    def test_400_replies_say_why(self):
        expectations = [
            (b"{", "JSON"),
            (b"[]", "empty"),
            (b"[7]", "object"),
            (b'{"message":"x"}', "severity"),
            (b'{"severity":"info"}', "message"),
            (b'{"severity":"info","message":7}', "string"),
            (b'{"severity":"loud","message":"x"}', "severity"),
            (b'{"severity":"info","message":" "}', "empty"),
            (valid_body("b" * 10001), "10000"),
            (b'{"severity":"info","message":"\xff"}', "UTF-8"),
        ]
        for body, word in expectations:
            with self.subTest(body=body[:40]):
                error = self.assertErrorReply(self.server.request("POST", "/logs", body), 400)
                self.assertIn(word.lower(), error["error"].lower())
        self.assertNothingStored()

    def test_repeated_field_is_refused_naming_it(self):
        for field, body in [
                ("severity", b'{"severity":"error","message":"x","severity":"info"}'),
                ("message", b'{"message":"a","severity":"info","message":"b"}')]:
            with self.subTest(field):
                error = self.assertErrorReply(self.server.request("POST", "/logs", body), 400)
                self.assertEqual(error["error"], "Field '%s' appears more than once; send each "
                                 "field once." % field)
        self.assertNothingStored()
        # Fields we ignore may repeat: they are ignored.
        reply = self.server.request(
            "POST", "/logs", b'{"severity":"info","tag":1,"message":"tagged","tag":2}')
        created = self.assertJsonReply(reply, 201, CREATED_KEYS)
        self.assertEqual(self.get_one(self.server, created["logId"])["message"], "tagged")

    def test_content_encoding_other_than_gzip_zstd_or_identity_is_415(self):
        plain = valid_body("plain")
        cases = [
            ("plain body labelled br", plain, "br", "br"),
            ("plain body labelled deflate", plain, "deflate", "deflate"),
            ("a list", gzip.compress(plain), "gzip, BR", "BR"),
        ]
        for name, body, encoding, named in cases:
            with self.subTest(name):
                reply = self.server.request("POST", "/logs", body,
                                            headers={"Content-Encoding": encoding})
                error = self.assertErrorReply(reply, 415)
                self.assertEqual(error["error"], "Content-Encoding '%s' is not supported; send "
                                 "the body uncompressed, or in gzip or zstd." % named)
                self.assertEqual(reply.header("Accept-Encoding"), "gzip, zstd, identity")
        # Labelled gzip or zstd but not so: 400, saying which.
        for encoding in ("gzip", "zstd"):
            with self.subTest("plain body labelled " + encoding):
                error = self.assertErrorReply(self.server.request(
                    "POST", "/logs", plain, headers={"Content-Encoding": encoding}), 400)
                self.assertTrue(error["error"].startswith(
                    "The request body is not valid %s: " % encoding), error["error"])
        self.assertNothingStored()
        for encoding in ("identity", "Identity"):
            with self.subTest(encoding):
                reply = self.server.request("POST", "/logs", valid_body(encoding),
                                            headers={"Content-Encoding": encoding})
                self.assertJsonReply(reply, 201, CREATED_KEYS)

    def test_gzip_and_zstd_bodies_are_stored_as_sent_before_compression(self):
        # Compressed by Python's gzip module and by the zstd command (Debian's zstd).
        single = json.dumps({"severity": "warning", "message": "gzipped single"}).encode()
        created = self.assertJsonReply(self.server.request(
            "POST", "/logs", gzip.compress(single), headers={"Content-Encoding": "gzip"}),
            201, CREATED_KEYS)
        self.assertEqual(self.get_one(self.server, created["logId"])["message"], "gzipped single")
        batch = "\n".join(json.dumps({"severity": "info", "message": "zstd line %d" % i})
                          for i in range(300)).encode()
        packed = subprocess.run(["zstd", "-q", "-c", "-"], input=batch, stdout=subprocess.PIPE,
                                check=True).stdout
        self.assertLess(len(packed), len(batch) // 4)
        reply = self.server.request("POST", "/logs", packed, headers={
            "Content-Encoding": "zstd", "Content-Type": "application/x-ndjson"})
        self.assertEqual(self.assertJsonReply(reply, 201, {"statusCode", "count", "logIds"})["count"],
                         300)
        found = self.assertJsonReply(self.server.request("GET", "/logs?q=zstd&limit=1000"), 200,
                                     {"statusCode", "count", "logs", "next"})
        self.assertEqual(sorted(e["message"] for e in found["logs"]),
                         sorted("zstd line %d" % i for i in range(300)))

    def test_a_zip_bomb_is_413_and_stores_nothing(self):
        # 64 MiB of zeros as a ~64 KB gzip body, under --max-body-bytes 200000
        # as sent, far over it once decompressed.
        bomb = gzip.compress(b"[" + b" " * (64 << 20) + b"]")
        self.assertLess(len(bomb), 200000)
        reply = self.server.request("POST", "/logs", bomb, headers={"Content-Encoding": "gzip"})
        error = self.assertErrorReply(reply, 413)
        self.assertEqual(error["error"], "The request body is larger than 200000 bytes once "
                         "decompressed.")
        self.assertNothingStored()
        self.assertTrue(self.server.running())

    def test_message_length_limit_counts_code_points(self):
        accepted = [
            ("10000 ascii", "a" * 10000),
            ("10000 e-acute", "\u00e9" * 10000),
            ("10000 emoji", "\U0001F600" * 10000),
            ("10000 after trimming", "  " + "z" * 10000 + " \n"),
        ]
        for name, message in accepted:
            with self.subTest(name):
                # Raw UTF-8 and \u escapes must count the same.
                for ensure_ascii in (False, True):
                    body = json.dumps({"severity": "info", "message": message},
                                      ensure_ascii=ensure_ascii).encode()
                    reply = self.server.request("POST", "/logs", body)
                    created = self.assertJsonReply(reply, 201, CREATED_KEYS)
                    entry = self.get_one(self.server, created["logId"])
                    self.assertEqual(entry["message"], message.strip())
        refused = [("10001 e-acute", "\u00e9" * 10001), ("10001 emoji", "\U0001F600" * 10001)]
        count = len(self.recent(self.server))
        for name, message in refused:
            with self.subTest(name):
                body = json.dumps({"severity": "info", "message": message}, ensure_ascii=False)
                self.assertErrorReply(self.server.request("POST", "/logs", body.encode()), 400)
                self.assertEqual(len(self.recent(self.server)), count)

    def test_405_with_allow(self):
        known_id = self.seed["logId"]
        cases = [
            ("DELETE", "/logs", "GET, HEAD, POST, OPTIONS"),
            ("PUT", "/logs", "GET, HEAD, POST, OPTIONS"),
            ("PATCH", "/logs", "GET, HEAD, POST, OPTIONS"),
            ("POST", "/logs/" + known_id, "GET, HEAD, OPTIONS"),
            ("DELETE", "/logs/" + known_id, "GET, HEAD, OPTIONS"),
            ("PUT", "/logs/" + known_id, "GET, HEAD, OPTIONS"),
            ("POST", "/healthz", "GET, HEAD, OPTIONS"),
            ("DELETE", "/healthz", "GET, HEAD, OPTIONS"),
        ]
        for method, path, allow in cases:
            with self.subTest(method=method, path=path):
                body = valid_body() if method in ("POST", "PUT", "PATCH") else None
                reply = self.server.request(method, path, body)
                self.assertErrorReply(reply, 405)
                self.assertIsNotNone(reply.header("Allow"), "405 without Allow")
                allowed = {m.strip() for m in reply.header("Allow").split(",")}
                self.assertEqual(allowed, {m.strip() for m in allow.split(",")})
                self.assertNotIn(method, allowed)
        self.assertNothingStored()
        self.get_one(self.server, known_id)  # DELETE did not delete

    def test_404_for_other_paths(self):
        # (GET / is Elasticsearch's version probe: test_es_bulk.)
        for method, path in [("GET", "/index.html"), ("GET", "/nope"), ("POST", "/log"),
                             ("POST", "/logs/"), ("GET", "/logs/"), ("GET", "/LOGS"),
                             ("GET", "/logs/" + self.seed["logId"] + "/extra"),
                             ("GET", "/logsx"), ("GET", "/healthz/x"), ("OPTIONS", "/nope")]:
            with self.subTest(method=method, path=path):
                body = valid_body() if method == "POST" else None
                self.assertErrorReply(self.server.request(method, path, body), 404)
        self.assertNothingStored()

    def test_options_preflight(self):
        # A page of an origin listed in --cors-origins asks before a POST with
        # a JSON body; test_cross_origin has the origins that are not listed.
        server = self.start_server(args=["--cors-origins", "https://example.test"])
        seed = self.ingest(server, "info", "seed entry")
        browser = {"Origin": "https://example.test", "Access-Control-Request-Method": "POST",
                   "Access-Control-Request-Headers": "content-type"}
        cases = [("/logs", {"GET", "HEAD", "POST", "OPTIONS"}),
                 ("/logs/" + seed["logId"], {"GET", "HEAD", "OPTIONS"}),
                 ("/healthz", {"GET", "HEAD", "OPTIONS"})]
        conn = server.connection()
        self.addCleanup(conn.close)
        for path, methods in cases:
            with self.subTest(path=path):
                reply = send(conn, "OPTIONS", path, headers=browser)
                self.assertEqual(reply.status, 204)
                self.assertEqual(reply.body, b"")
                self.assertIn(reply.header("Content-Length"), (None, "0"))
                self.assertEqual(reply.header("Access-Control-Allow-Origin"),
                                 "https://example.test")
                self.assertEqual(reply.header("Vary"), "Origin")
                for name in ("Access-Control-Allow-Methods", "Access-Control-Allow-Headers"):
                    self.assertIsNotNone(reply.header(name), "no %s header" % name)
                allowed = {m.strip() for m in reply.header("Access-Control-Allow-Methods").split(",")}
                self.assertEqual(allowed, methods)
                headers = {h.strip().lower() for h in
                           reply.header("Access-Control-Allow-Headers").split(",")}
                self.assertIn("content-type", headers)
                # The connection goes on after a body-less 204.
                self.assertJsonReply(send(conn, "GET", "/healthz"), 200)
        self.assertEqual([e["logId"] for e in self.recent(server)], [seed["logId"]])

    def test_body_over_limit_is_413_and_server_goes_on(self):
        server = self.start_server(args=["--max-body-bytes", "100"])
        # Exactly at the limit: accepted.
        at_limit = b'{"severity":"info","message":"' + b"x" * 60
        at_limit += b" " * (100 - len(at_limit) - 2) + b'"}'
        self.assertEqual(len(at_limit), 100)
        self.assertJsonReply(server.request("POST", "/logs", at_limit), 201, CREATED_KEYS)
        over = at_limit[:-2] + b' "}'
        self.assertEqual(len(over), 101)
        cases = [("101 bytes", over, False),
                 ("100 KB", valid_body("y" * 100_000), False),
                 ("chunked", valid_body("z" * 500), True)]
        for name, body, chunked in cases:
            with self.subTest(name):
                if chunked:
                    reply = server.request("POST", "/logs", iter([body[:50], body[50:]]),
                                           encode_chunked=True)
                else:
                    reply = server.request("POST", "/logs", body)
                self.assertErrorReply(reply, 413)
                self.assertJsonReply(server.request("GET", "/healthz"), 200)
        logs = self.recent(server)
        self.assertEqual(len(logs), 1)
        self.assertEqual(logs[0]["message"], at_limit[30:-2].decode().strip())
        self.assertTrue(server.running())

    def test_malformed_http_is_refused_and_server_goes_on(self):
        with socket.create_connection((HOST, self.server.port), timeout=10) as s:
            s.sendall(b"THIS IS NOT HTTP\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        self.assertTrue(data.startswith(b"HTTP/1.1 400 "), data[:100])
        self.assertJsonReply(self.server.request("GET", "/healthz"), 200)

    def test_header_over_16k_is_431(self):
        reply = self.server.request("GET", "/healthz", headers={"X-Big": "a" * 20000})
        self.assertErrorReply(reply, 431)
        self.assertJsonReply(self.server.request("GET", "/healthz"), 200)

    def test_expect_100_continue(self):
        # What curl does before a large body: wait for "100 Continue", then send it.
        body = valid_body("sent after 100 Continue")
        head = (b"POST /logs HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                b"Expect: 100-continue\r\nConnection: close\r\nContent-Length: %d\r\n\r\n"
                % len(body))
        responses = split_responses(raw_exchange(self.server.port, [head, body], pause=0.2))
        self.assertEqual([r[0].split()[1] for r in responses], ["100", "201"], responses)
        log_id = json.loads(responses[1][2])["logId"]
        self.assertEqual(self.get_one(self.server, log_id)["message"], "sent after 100 Continue")

    def test_body_arriving_in_pieces(self):
        # Part of the body with the header, the rest later: the server parses
        # what came with the header and then waits for the remainder.
        body = valid_body("arrived in three pieces")
        head = (b"POST /logs HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body))
        parts = [head + body[:10], body[10:25], body[25:]]
        responses = split_responses(raw_exchange(self.server.port, parts, pause=0.2))
        self.assertEqual([r[0].split()[1] for r in responses], ["201"], responses)
        log_id = json.loads(responses[0][2])["logId"]
        self.assertEqual(self.get_one(self.server, log_id)["message"], "arrived in three pieces")

    def test_pipelined_requests_answered_in_order(self):
        def post(message):
            body = valid_body(message)
            return (b"POST /logs HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        stream = (post("pipelined 1") + b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
                  + post("pipelined 2") + b"POST /logs HTTP/1.1\r\nHost: localhost\r\n"
                  b"Content-Length: 2\r\n\r\n[]" + post("pipelined 3")
                  + b"GET /logs HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        responses = split_responses(raw_exchange(self.server.port, [stream]))
        self.assertEqual([r[0].split()[1] for r in responses],
                         ["201", "200", "201", "400", "201", "200"])
        created = [json.loads(r[2]) for r in responses if r[0].split()[1] == "201"]
        sent = [{"logId": c["logId"], "timestamp": c["timestamp"], "message": "pipelined %d" % n}
                for n, c in enumerate(created, 1)]
        seed = {"logId": self.seed["logId"], "timestamp": self.seed["timestamp"],
                "message": "seed entry"}
        listed = json.loads(responses[-1][2])["logs"]
        self.assertListing([{k: e[k] for k in ("logId", "timestamp", "message")} for e in listed],
                           sent[::-1] + [seed])

    # A response to HEAD has headers only: body bytes would be read as the
    # start of the next response on a keep-alive connection.
    def test_head_response_has_no_body(self):
        stream = (b"HEAD /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
                  b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        data = raw_exchange(self.server.port, [stream])
        head, _, rest = data.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 "), data[:100])
        # Whatever the HEAD status, the next bytes must be the GET's response.
        self.assertTrue(rest.startswith(b"HTTP/1.1 200 "), rest[:100])

    # RFC 9112 section 3.2.2: a server MUST accept a request target in absolute form.
    def test_absolute_form_target(self):
        reply = self.server.request("GET", "http://%s:%d/healthz" % (HOST, self.server.port))
        self.assertJsonReply(reply, 200)

    def test_service_stays_up_after_everything(self):
        for name, body in BAD_BODIES:
            self.server.request("POST", "/logs", body)
        for method in ("DELETE", "PUT", "PATCH", "OPTIONS"):
            self.server.request(method, "/logs")
        self.server.request("GET", "/nowhere")
        self.assertTrue(self.server.running())
        self.assertJsonReply(self.server.request("GET", "/healthz"), 200)
        created = self.ingest(self.server, "info", "still here")
        self.get_one(self.server, created["logId"])
        logs = self.recent(self.server)
        self.assertListing([{"logId": e["logId"], "timestamp": e["timestamp"]} for e in logs],
                           [{k: c[k] for k in ("logId", "timestamp")} for c in (created, self.seed)])


class NewestHundredTest(LogsvcTestCase):

    def test_150_ingests_newest_100_newest_first(self):
        server = self.start_server()
        conn = server.connection()
        self.addCleanup(conn.close)
        severities = ["info", "warning", "error"]
        sent = []  # (id, timestamp, severity, message) in ingest order
        for i in range(150):
            severity, message = severities[i % 3], "entry %03d" % i
            created = self.ingest(conn, severity.upper() if i % 2 else severity, message)
            sent.append((created["logId"], created["timestamp"], severity, message))
        self.assertEqual(len({s[0] for s in sent}), 150)
        logs = self.recent(server)
        self.assertEqual(len(logs), 100)
        entries = [{"logId": i, "timestamp": t, "datetime": iso8601_ms(t), "severity": s,
                    "message": m} for i, t, s, m in reversed(sent)]
        self.assertListing(logs, entries[:100], pool=entries)
        # The 50 oldest are gone from the list but still readable one by one.
        for log_id, timestamp, severity, message in sent[:50]:
            self.assertEqual(self.get_one(conn, log_id),
                             {"logId": log_id, "timestamp": timestamp,
                              "datetime": iso8601_ms(timestamp), "severity": severity,
                              "message": message})


class JsonEscapingTest(LogsvcTestCase):

    MESSAGES = [
        'quotes "double" \'single\'',
        "back\\slash \\n not a newline \\u0041",
        "line one\nline two\r\nline three",
        "tab\there\tand\fform\bfeed",
        "control \x01 \x02 \x1b \x7f chars",
        "nul \x00 inside",
        "emoji \U0001F600 \U0001F4A9 flags \U0001F1EB\U0001F1F7",
        "</script><script>alert(1)</script> & <b>bold</b>",
        "line\u2028separator\u2029paragraph",
        "\u00e9t\u00e9 \u4e2d\u6587 \u0645\u0631\u062d\u0628\u0627 \ufeff bom \ufffd",
        '{"severity":"error","message":"nested json"}',
        'all "at\\once\n\t\x01\U0001F600</script>',
    ]

    def test_round_trip(self):
        server = self.start_server()
        conn = server.connection()
        self.addCleanup(conn.close)
        created = []
        for message in self.MESSAGES:
            for ensure_ascii in (True, False):
                body = json.dumps({"severity": "info", "message": message},
                                  ensure_ascii=ensure_ascii).encode("utf-8")
                reply = send(conn, "POST", "/logs", body)
                body = self.assertJsonReply(reply, 201, CREATED_KEYS)
                created.append((body["logId"], message, body["timestamp"]))
        for log_id, message, _ in created:
            with self.subTest(message=message):
                reply = send(conn, "GET", "/logs/" + log_id)
                self.assertEqual(self.assertJsonReply(reply, 200)["message"], message)
                # Safe to embed in HTML: no raw "</script>" in the response.
                self.assertNotIn(b"</script>", reply.body.lower())
        listing = send(conn, "GET", "/logs")
        self.assertNotIn(b"</script>", listing.body.lower())
        logs = self.assertJsonReply(listing, 200)["logs"]
        self.assertListing([{k: e[k] for k in ("logId", "message", "timestamp")} for e in logs],
                           [{"logId": i, "message": m, "timestamp": t}
                            for i, m, t in created[::-1]])


if __name__ == "__main__":
    unittest.main()
