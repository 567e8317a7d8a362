"""Web pages against `logsvc serve`: a page in the browser of someone running
the server must neither read its entries nor add any unless the server is
told to allow that page's origin (--cors-origins), and a DNS-rebinding page
must not reach it at all (the Host check, --allowed-hosts). Curl and log
shippers (no Origin, no Sec-Fetch-*) are not affected.

The requests are what browsers send: an Origin on every cross-origin fetch
and on every cross-origin POST (a form's too), Sec-Fetch-Site on everything
(an <img> or <script> load too), and the Host the page's URL names."""

import unittest

from harness import CREATED_KEYS, LogsvcTestCase, raw_exchange, send, split_responses

EVIL = "https://evil.example"
ENTRY = {"severity": "error", "message": "db password is hunter2"}


class DefaultPolicyTest(LogsvcTestCase):
    """No flags: same-origin pages only, no Access-Control-Allow-Origin at all."""

    def setUp(self):
        self.server = self.start_server()
        self.own = "127.0.0.1:%d" % self.server.port  # what http.client sends as Host
        self.seed = self.ingest(self.server, ENTRY["severity"], ENTRY["message"])

    def assertNothingStored(self):
        self.assertEqual([e["logId"] for e in self.recent(self.server)], [self.seed["logId"]])

    def assertOriginRefused(self, reply, origin):
        error = self.assertErrorReply(reply, 403)["error"]
        self.assertIn("'%s'" % origin, error)
        self.assertIn("--cors-origins", error)
        self.assertIsNone(reply.header("Vary"))
        self.assertNotIn(b"hunter2", reply.body)

    def test_no_reply_carries_a_cors_header(self):
        conn = self.server.connection()
        self.addCleanup(conn.close)
        replies = [
            send(conn, "POST", "/logs", {"severity": "info", "message": "x"}),
            send(conn, "GET", "/logs"),
            send(conn, "GET", "/logs/" + self.seed["logId"]),
            send(conn, "GET", "/healthz"),
            send(conn, "GET", "/nowhere"),
            send(conn, "DELETE", "/logs"),
            send(conn, "POST", "/logs", b"{}"),
            send(conn, "OPTIONS", "/logs"),
        ]
        for reply in replies:
            with self.subTest(reply=reply):
                self.assertIsNone(reply.header("Access-Control-Allow-Origin"))
                self.assertIsNone(reply.header("Vary"))

    def test_foreign_page_cannot_read(self):
        for path in ("/logs", "/logs/" + self.seed["logId"], "/healthz", "/nowhere"):
            with self.subTest(path=path):
                reply = self.server.request("GET", path, headers={
                    "Origin": EVIL, "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors"})
                self.assertOriginRefused(reply, EVIL)

    def test_foreign_page_cannot_write(self):
        # Simple requests (no preflight): a form post, a fetch with text/plain.
        bodies = [
            ("application/x-www-form-urlencoded", b'{"severity":"info","message":"form"}'),
            ("text/plain", b'{"severity":"info","message":"fetch no-cors"}'),
            ("application/json", b'{"severity":"info","message":"fetch"}'),
        ]
        for content_type, body in bodies:
            with self.subTest(content_type=content_type):
                reply = self.server.request("POST", "/logs", body, headers={
                    "Origin": EVIL, "Content-Type": content_type})
                self.assertOriginRefused(reply, EVIL)
        # Refused before routing: not 405 or 404.
        self.assertOriginRefused(self.server.request("DELETE", "/logs", headers={"Origin": EVIL}),
                                 EVIL)
        self.assertOriginRefused(self.server.request("POST", "/x", ENTRY, headers={"Origin": EVIL}),
                                 EVIL)
        self.assertNothingStored()

    def test_preflight_from_foreign_page_is_refused(self):
        reply = self.server.request("OPTIONS", "/logs", headers={
            "Origin": EVIL, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"})
        self.assertOriginRefused(reply, EVIL)
        self.assertIsNone(reply.header("Access-Control-Allow-Methods"))

    def test_other_origins_of_this_machine_are_foreign(self):
        # Another port (a dev server), another scheme, another name for the
        # same address, and the opaque origin of sandboxed frames and files.
        for origin in ("http://127.0.0.1:%d" % (self.server.port + 1),
                       "https://" + self.own, "http://localhost:%d" % self.server.port, "null"):
            with self.subTest(origin=origin):
                reply = self.server.request("POST", "/logs", ENTRY, headers={"Origin": origin})
                self.assertOriginRefused(reply, origin)
        self.assertNothingStored()

    def test_same_origin_page_is_answered(self):
        reply = self.server.request("POST", "/logs", {"severity": "info", "message": "own page"},
                                    headers={"Origin": "http://" + self.own,
                                             "Sec-Fetch-Site": "same-origin"})
        self.assertJsonReply(reply, 201, CREATED_KEYS)
        local = "localhost:%d" % self.server.port
        reply = self.server.request("GET", "/logs", headers={"Host": local,
                                                             "Origin": "http://" + local})
        self.assertEqual(reply.status, 200)
        self.assertIsNone(reply.header("Access-Control-Allow-Origin"))
        self.assertEqual(len(self.recent(self.server)), 2)

    def test_cross_site_loads_without_origin_are_refused(self):
        # <script src>, <img src>, <iframe src>: no Origin, but Sec-Fetch-Site.
        loads = [
            {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors",
             "Sec-Fetch-Dest": "script"},
            {"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image"},
            {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate",
             "Sec-Fetch-Dest": "iframe"},
        ]
        for headers in loads:
            with self.subTest(headers=headers):
                reply = self.server.request("GET", "/logs", headers=headers)
                error = self.assertErrorReply(reply, 403)["error"]
                self.assertIn("Sec-Fetch-Site", error)
                self.assertIn("--cors-origins", error)
                self.assertNotIn(b"hunter2", reply.body)
        # A link the user follows, the server's own page, the address bar.
        for headers in ({"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate",
                         "Sec-Fetch-Dest": "document", "Sec-Fetch-User": "?1"},
                        {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors"},
                        {"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate"}):
            with self.subTest(headers=headers):
                self.assertJsonReply(self.server.request("GET", "/logs", headers=headers), 200)

    def test_curl_and_shippers_are_unaffected(self):
        # curl -d sends a form content type and no Origin.
        reply = self.server.request("POST", "/logs", b'{"severity":"info","message":"curl"}',
                                    headers={"Content-Type": "application/x-www-form-urlencoded",
                                             "User-Agent": "curl/7.88.1"})
        self.assertJsonReply(reply, 201, CREATED_KEYS)
        self.assertEqual(self.recent(self.server)[0]["message"], "curl")


class HostCheckTest(LogsvcTestCase):
    """DNS rebinding: attacker.example re-pointed at 127.0.0.1 is refused by Host."""

    def assertHostRefused(self, reply, host):
        error = self.assertErrorReply(reply, 421)["error"]
        self.assertIn("'%s'" % host, error)
        self.assertIn("--allowed-hosts", error)
        self.assertNotIn(b"hunter2", reply.body)

    def test_rebinding_page_is_refused(self):
        server = self.start_server()
        seed = self.ingest(server, ENTRY["severity"], ENTRY["message"])
        host = "attacker.example:%d" % server.port
        # What the page sends: to the browser it is same-origin, so no Origin on GET.
        for method, path, body in [("GET", "/logs", None), ("GET", "/logs/" + seed["logId"], None),
                                   ("POST", "/logs", ENTRY), ("OPTIONS", "/logs", None)]:
            with self.subTest(method=method, path=path):
                headers = {"Host": host, "Sec-Fetch-Site": "same-origin"}
                if method == "POST":
                    headers["Origin"] = "http://" + host
                self.assertHostRefused(server.request(method, path, body, headers), host)
        self.assertEqual([e["logId"] for e in self.recent(server)], [seed["logId"]])

    def test_loopback_names_and_addresses_are_answered(self):
        server = self.start_server()
        port = server.port
        for host in ("127.0.0.1:%d" % port, "127.0.0.1", "localhost:%d" % port, "localhost",
                     "LOCALHOST:%d" % port, "[::1]:%d" % port,
                     "localhost:9999",  # through an SSH tunnel or a container's port mapping
                     "192.168.1.20:%d" % port):
            with self.subTest(host=host):
                self.assertJsonReply(server.request("GET", "/healthz", headers={"Host": host}),
                                     200)

    def test_allowed_hosts_adds_names(self):
        for how in ("flag", "env"):
            with self.subTest(how=how):
                names = "logs.example, Other.Example"
                if how == "flag":
                    server = self.start_server(args=["--allowed-hosts", names])
                else:
                    server = self.start_server(env={"LOGSVC_ALLOWED_HOSTS": names})
                self.assertEqual(server.started["allowed_hosts"],
                                 "IP addresses,localhost,logs.example,other.example")
                for host in ("logs.example:%d" % server.port, "OTHER.EXAMPLE", "localhost"):
                    self.assertJsonReply(
                        server.request("GET", "/healthz", headers={"Host": host}), 200)
                self.assertHostRefused(
                    server.request("GET", "/logs", headers={"Host": "attacker.example"}),
                    "attacker.example")

    def test_allowed_hosts_star_answers_any(self):
        server = self.start_server(args=["--allowed-hosts", "*"])
        self.assertEqual(server.started["allowed_hosts"], "*")
        self.assertJsonReply(
            server.request("GET", "/healthz", headers={"Host": "attacker.example"}), 200)

    def test_http10_request_without_host_is_answered(self):
        server = self.start_server()
        data = raw_exchange(server.port, [b"GET /healthz HTTP/1.0\r\n\r\n"])
        responses = split_responses(data)
        self.assertEqual(len(responses), 1, data)
        self.assertTrue(responses[0][0].startswith("HTTP/1.0 200 "), responses)

    def test_wildcard_listen_answers_any_host_unless_names_are_given(self):
        server = self.start_server(listen="0.0.0.0")
        self.assertEqual(server.started["allowed_hosts"], "*")
        self.assertJsonReply(
            server.request("GET", "/healthz", headers={"Host": "logs.corp.example:8080"}), 200)
        server = self.start_server(listen="0.0.0.0", args=["--allowed-hosts", "logs.example"])
        self.assertJsonReply(
            server.request("GET", "/healthz", headers={"Host": "logs.example"}), 200)
        self.assertJsonReply(
            server.request("GET", "/healthz", headers={"Host": "10.0.0.7:%d" % server.port}), 200)
        self.assertHostRefused(
            server.request("GET", "/logs", headers={"Host": "attacker.example"}),
            "attacker.example")


class CorsOriginsTest(LogsvcTestCase):
    """--cors-origins: listed pages read and write; '*' lets any page."""

    APP = "https://app.example"
    DEV = "http://localhost:3000"

    def test_listed_origins_read_and_write(self):
        for how in ("flag", "env"):
            with self.subTest(how=how):
                origins = "%s/, %s" % (self.APP.upper(), self.DEV)
                if how == "flag":
                    server = self.start_server(args=["--cors-origins", origins])
                else:
                    server = self.start_server(env={"LOGSVC_CORS_ORIGINS": origins})
                self.assertEqual(server.started["cors_origins"], "%s,%s" % (self.APP, self.DEV))
                reply = server.request("POST", "/logs", ENTRY, headers={
                    "Origin": self.APP, "Sec-Fetch-Site": "cross-site"})
                created = self.assertJsonReply(reply, 201, CREATED_KEYS, allow_origin=self.APP)
                self.assertEqual(reply.header("Vary"), "Origin")
                reply = server.request("GET", "/logs", headers={"Origin": self.DEV})
                body = self.assertJsonReply(reply, 200, allow_origin=self.DEV)
                self.assertEqual([e["logId"] for e in body["logs"]], [created["logId"]])
                self.assertEqual(reply.header("Vary"), "Origin")
                # Errors are readable by the page too.
                self.assertErrorReply(server.request("POST", "/logs", b"{}",
                                                     headers={"Origin": self.APP}),
                                      400, allow_origin=self.APP)
                # Others are still refused; curl still gets no CORS header.
                reply = server.request("GET", "/logs", headers={"Origin": EVIL})
                self.assertErrorReply(reply, 403)
                self.assertJsonReply(server.request("GET", "/healthz"), 200)

    def test_star_lets_any_page(self):
        server = self.start_server(args=["--cors-origins", "*"])
        self.assertEqual(server.started["cors_origins"], "*")
        reply = server.request("POST", "/logs", ENTRY, headers={"Origin": EVIL})
        self.assertJsonReply(reply, 201, CREATED_KEYS, allow_origin="*")
        self.assertIsNone(reply.header("Vary"))
        self.assertJsonReply(server.request("GET", "/logs", headers={
            "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "script"}), 200, allow_origin="*")
        self.assertJsonReply(server.request("GET", "/healthz"), 200, allow_origin="*")
        reply = server.request("OPTIONS", "/logs", headers={
            "Origin": EVIL, "Access-Control-Request-Method": "POST"})
        self.assertEqual(reply.status, 204)
        self.assertEqual(reply.header("Access-Control-Allow-Origin"), "*")
        # The Host check still holds.
        self.assertErrorReply(server.request("GET", "/logs", headers={"Host": "attacker.example"}),
                              421)

    def test_default_start_up_line(self):
        server = self.start_server()
        self.assertEqual(server.started["cors_origins"], "")
        self.assertEqual(server.started["allowed_hosts"], "IP addresses,localhost")


if __name__ == "__main__":
    unittest.main()
