"""The command-line client (issue 14): `logsvc send`, `search`, `export` and
`tail` against the real server, as a user runs them (a subprocess, output
piped), including the exit statuses and error lines."""

import base64
import http.server
import json
import os
import pty
import queue
import subprocess
import threading
import time
import unittest
import urllib.parse

from harness import LogsvcTestCase, child_env, free_port, logsvc_bin
from search_backends import new_table
from test_auth import KeysFile
from test_lambda import BuildLauncher, Function, LambdaCases, url_event


class ClientTest(LogsvcTestCase):
    def setUp(self):
        self.server = self.start_server()
        self.url = "http://127.0.0.1:%d" % self.server.port

    def cli(self, *args, stdin=None, env=None, url=None):
        """Runs a client command; (exit status, stdout, stderr)."""
        e = {"LOGSVC_URL": url or self.url}
        e.update(env or {})
        r = subprocess.run([logsvc_bin()] + list(args), input=stdin, capture_output=True,
                           env=child_env(e), timeout=60)
        return r.returncode, r.stdout.decode(), r.stderr.decode()

    def assertOneErrorLine(self, stderr, mention):
        lines = stderr.splitlines()
        self.assertEqual(len(lines), 1, stderr)
        self.assertTrue(lines[0].startswith("logsvc: error: "), stderr)
        self.assertIn(mention, lines[0])

    def test_send_one_entry_with_attributes_and_read_it_back(self):
        code, out, err = self.cli("send", "--severity", "error", "--attr", "service=api",
                                  "--attr", "region=eu-west-1", "disk full on /var")
        self.assertEqual(code, 0, err)
        log_id = out.strip()
        reply = self.server.request("GET", "/logs/" + log_id)
        self.assertEqual(reply.status, 200, reply)
        entry = reply.json()
        self.assertEqual((entry["severity"], entry["message"]), ("error", "disk full on /var"))
        self.assertEqual(entry["attributes"], {"service": "api", "region": "eu-west-1"})

    def test_send_lines_of_stdin_in_batches(self):
        lines = "".join("line %d of the file\n" % i for i in range(2500)) + "\n   \n"
        code, out, err = self.cli("send", "--severity", "warning", stdin=lines.encode())
        self.assertEqual(code, 0, err)
        self.assertEqual(out, "stored 2500 entries\n")
        code, out, err = self.cli("export")
        self.assertEqual(code, 0, err)
        got = [json.loads(line) for line in out.splitlines()]
        self.assertEqual(len(got), 2500)
        self.assertEqual({e["severity"] for e in got}, {"warning"})
        self.assertEqual(sorted(e["message"] for e in got),
                         sorted("line %d of the file" % i for i in range(2500)))

    def test_search_outputs_and_paging(self):
        batch = [{"severity": "error" if i % 3 == 0 else "info",
                  "message": "payment %d %s" % (i, "declined" if i % 3 == 0 else "ok")}
                 for i in range(250)]
        self.assertEqual(self.server.request("POST", "/logs", batch).status, 201)
        # One page, newest first, as NDJSON.
        code, out, err = self.cli("search", "declined", "--severity", "error", "--limit", "10",
                                  "--output", "ndjson")
        self.assertEqual(code, 0, err)
        page = [json.loads(line) for line in out.splitlines()]
        self.assertEqual(len(page), 10)
        self.assertTrue(all(e["severity"] == "error" and "declined" in e["message"]
                            for e in page))
        # --all follows the cursors: every match once.
        code, out, err = self.cli("search", "declined", "--all", "--limit", "7",
                                  "--output", "json")
        self.assertEqual(code, 0, err)
        everything = json.loads(out)
        self.assertEqual(len(everything), 84)
        self.assertEqual(len({e["logId"] for e in everything}), 84)
        # A table, piped: no colours, one row an entry with its local time.
        code, out, err = self.cli("search", "payment", "--limit", "5")
        self.assertEqual(code, 0, err)
        rows = out.splitlines()
        self.assertEqual(len(rows), 5)
        self.assertNotIn("\x1b[", out)
        newest = batch[-1]["message"]
        self.assertIn(newest, rows[0])
        self.assertRegex(rows[0], r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}  (info|error)")

    def test_errors_are_one_line_with_the_exit_status(self):
        # The server refuses: its sentence, exit 1.
        code, out, err = self.cli("search", '"unclosed')
        self.assertEqual((code, out), (1, ""))
        self.assertOneErrorLine(err, "HTTP 400")
        # Nothing listens: exit 1.
        code, out, err = self.cli("search", url="http://127.0.0.1:%d" % free_port())
        self.assertEqual(code, 1)
        self.assertOneErrorLine(err, "")
        # Usage: exit 2.
        code, _, err = self.cli("search", "--output", "xml")
        self.assertEqual(code, 2, err)
        code, _, err = self.cli("send", "--attr", "novalue", "x")
        self.assertEqual(code, 2, err)
        code, _, err = self.cli("search", url="ftp://example.com")
        self.assertEqual(code, 2, err)

    def test_keys(self):
        keys = KeysFile(self)
        key = keys.create("ingest,read", "cli")
        server = self.start_server(args=["--auth-keys", keys.path])
        url = "http://127.0.0.1:%d" % server.port
        code, _, err = self.cli("send", "hello", url=url)
        self.assertEqual(code, 1)
        self.assertOneErrorLine(err, "API key")
        code, out, err = self.cli("send", "hello", url=url, env={"LOGSVC_KEY": key})
        self.assertEqual(code, 0, err)
        code, out, err = self.cli("search", "--key", key, "--output", "ndjson", url=url)
        self.assertEqual(code, 0, err)
        self.assertEqual(json.loads(out)["message"], "hello")

    def count(self):
        code, out, err = self.cli("export")
        self.assertEqual(code, 0, err)
        return [json.loads(line) for line in out.splitlines()]

    def test_import_text_ndjson_and_json_arrays_and_again_without_duplicates(self):
        d = self.make_data_dir() + "-files"
        os.makedirs(d)
        text = os.path.join(d, "app.log")
        with open(text, "w") as f:
            for i in range(2345):
                f.write(("2026-12-02 ERROR payment %d failed\n" if i % 10 == 0 else
                         "2026-12-02 WARN slow %d\n" if i % 10 == 1 else
                         "2026-12-02 request %d (errors=0, terror) ok\n") % i)
        nd = os.path.join(d, "entries.ndjson")
        with open(nd, "w") as f:
            for i in range(1500):
                f.write(json.dumps({"severity": "info", "message": "nd %d" % i,
                                    "attributes": {"n": str(i)}}) + "\n")
        arr = os.path.join(d, "entries.json")
        with open(arr, "w") as f:
            json.dump([{"severity": "error", "message": "arr %d" % i} for i in range(700)], f)
        code, out, err = self.cli("import", text, nd, arr, "--concurrency", "3")
        self.assertEqual(code, 0, err)
        self.assertEqual(out, "imported 4545 entries (0 already there)\n")
        entries = self.count()
        self.assertEqual(len(entries), 4545)
        by = {}
        for e in entries:
            by.setdefault(e["message"].split(" ")[0] if not e["message"].startswith("2026")
                          else e["message"].split(" ")[1], set()).add(e["severity"])
        # Guessed from the words of each line: "errors=0" and "terror" are not ERROR.
        self.assertEqual(by["ERROR"], {"error"})
        self.assertEqual(by["WARN"], {"warning"})
        self.assertEqual(by["request"], {"info"})
        self.assertEqual(by["nd"], {"info"})
        self.assertEqual(by["arr"], {"error"})
        self.assertEqual(sum(1 for e in entries if e.get("attributes")), 1500)
        # Again (as after an interruption): every batch is replayed, nothing stored twice.
        code, out, err = self.cli("import", text, nd, arr)
        self.assertEqual(code, 0, err)
        self.assertEqual(out, "imported 4545 entries (4545 already there)\n")
        self.assertEqual(len(self.count()), 4545)
        # A refused batch: exit 1, saying what is stored and how to go on.
        bad = os.path.join(d, "bad.ndjson")
        with open(bad, "w") as f:
            f.write('{"severity":"info","message":"fine"}\n{"severity":"loud","message":"x"}\n')
        code, out, err = self.cli("import", bad)
        self.assertEqual(code, 1)
        self.assertOneErrorLine(err, "severity")
        self.assertIn("run the same import again", err)
        code, _, err = self.cli("import", os.path.join(d, "missing.log"))
        self.assertEqual(code, 2, err)

    def test_tail_follows_and_reconnects_with_the_last_event_id(self):
        port = free_port()
        server = self.start_server(port=port)
        tail = subprocess.Popen(
            [logsvc_bin(), "tail", "--severity", "error", "--output", "ndjson"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=child_env({"LOGSVC_URL": "http://127.0.0.1:%d" % port}))

        def stop_tail():
            tail.kill()
            tail.wait()
            tail.stdout.close()
            tail.stderr.close()
        self.addCleanup(stop_tail)
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in tail.stdout], daemon=True).start()

        def read(n, timeout=15):
            out, deadline = [], time.monotonic() + timeout
            while len(out) < n and time.monotonic() < deadline:
                try:
                    out.append(json.loads(lines.get(timeout=deadline - time.monotonic())))
                except queue.Empty:
                    break
            return out

        time.sleep(1)  # connected
        sent = []
        for i in range(3):
            reply = server.request("POST", "/logs", [{"severity": "error", "message": "e%d" % i},
                                                      {"severity": "info", "message": "i%d" % i}])
            sent.append(reply.json()["logIds"][0])
        self.assertEqual([e["logId"] for e in read(3)], sent)
        # The server restarts; entries come while it is down for the client.
        self.assertEqual(server.stop(), 0)
        server = self.start_server(server.data_dir, port=port)
        later = [server.request("POST", "/logs", {"severity": "error", "message": "after"})
                 .json()["logId"] for _ in range(2)]
        self.assertEqual([e["logId"] for e in read(2)], later)
        self.assertTrue(lines.empty())
        # A refused stream: exit 1 with the server's sentence.
        code = subprocess.run([logsvc_bin(), "tail", "--severity", "loud"], capture_output=True,
                              env=child_env({"LOGSVC_URL": "http://127.0.0.1:%d" % port}),
                              timeout=30)
        self.assertEqual(code.returncode, 1)
        self.assertIn("loud", code.stderr.decode())


class FunctionUrlFront:
    """An HTTP server on 127.0.0.1 that hands each request to a Lambda function
    as a Function URL event and answers with what it returns, as AWS's Function
    URLs do: POST to the ingest function, GET to read_recent."""

    def __init__(self, ingest, read):
        front = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def handle_one(self):
                parts = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8") if length else None
                fn = ingest if self.command == "POST" else read
                event = url_event(self.command, parts.path, body,
                                  headers={k: v for k, v in self.headers.items()},
                                  query=parts.query)
                doc = fn.invoke(event).response
                out = doc.get("body", "").encode("utf-8")
                if doc.get("isBase64Encoded"):
                    out = base64.b64decode(out)
                self.send_response(doc["statusCode"])
                for k, v in doc.get("headers", {}).items():
                    if k.lower() not in ("content-length", "connection"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            do_GET = do_POST = handle_one

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        front.ingest, front.read = ingest, read

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class ClientOnLambdaTest(LogsvcTestCase):
    """send and search against the Lambda functions (bootstrap from the build,
    under the local Runtime API, on a dynalite table), through Function URLs."""

    lambda_env = LambdaCases.lambda_env  # what test_lambda.Function needs of its test

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.launcher = BuildLauncher()

    def test_send_and_search_through_function_urls(self):
        engine, table = new_table()
        front = FunctionUrlFront(Function(self, "ingest", table, engine.endpoint),
                                 Function(self, "read_recent", table, engine.endpoint))
        self.addCleanup(front.close)
        env = child_env({"LOGSVC_URL": front.url})

        def cli(*args, stdin=None):
            r = subprocess.run([logsvc_bin()] + list(args), input=stdin, capture_output=True,
                               env=env, timeout=120)
            return r.returncode, r.stdout.decode(), r.stderr.decode()

        code, out, err = cli("send", "--severity", "error", "checkout failed for order 7")
        self.assertEqual(code, 0, err)
        one = out.strip()
        code, out, err = cli("send", stdin="".join("line %d\n" % i for i in range(1200)).encode())
        self.assertEqual(code, 0, err)
        self.assertEqual(out, "stored 1200 entries\n")
        code, out, err = cli("search", "checkout", "--output", "ndjson")
        self.assertEqual(code, 0, err)
        self.assertEqual([json.loads(l)["logId"] for l in out.splitlines()], [one])
        code, out, err = cli("search", "--all", "--limit", "500", "--output", "ndjson")
        self.assertEqual(code, 0, err)
        self.assertEqual(len({json.loads(l)["logId"] for l in out.splitlines()}), 1201)


class TerminalTest(LogsvcTestCase):
    """What a person sees in a terminal (a pty): colours in the table, and the
    import's progress line; none of it when piped (the tests above)."""

    def setUp(self):
        self.server = self.start_server()
        self.url = "http://127.0.0.1:%d" % self.server.port

    def in_pty(self, *args):
        """Runs a client command with stdout and stderr on a pty; all it wrote."""
        main, sub = pty.openpty()
        p = subprocess.Popen([logsvc_bin()] + list(args), stdin=subprocess.DEVNULL, stdout=sub,
                             stderr=sub, env=child_env({"LOGSVC_URL": self.url, "TERM": "xterm"}))
        os.close(sub)
        out = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the pty's other side closed
                break
            if not chunk:
                break
            out += chunk
        os.close(main)
        self.assertEqual(p.wait(30), 0, out)
        return out.decode("utf-8", "replace")

    def test_table_colours_and_progress_on_a_terminal(self):
        self.assertEqual(self.server.request("POST", "/logs", [
            {"severity": "error", "message": "red alert"},
            {"severity": "warning", "message": "yellow flag"},
            {"severity": "info", "message": "green light"}]).status, 201)
        out = self.in_pty("search")
        self.assertIn("\x1b[31merror\x1b[0m", out)
        self.assertIn("\x1b[33mwarning\x1b[0m", out)
        self.assertIn("\x1b[32minfo\x1b[0m", out)
        self.assertRegex(out, r"\d\d:\d\d:\d\d\.\d{3}  \x1b\[31merror")
        # NO_COLOR turns them off, on a terminal too.
        main, sub = pty.openpty()
        r = subprocess.run([logsvc_bin(), "search"], stdout=sub, stderr=sub,
                           env=child_env({"LOGSVC_URL": self.url, "NO_COLOR": "1"}), timeout=30)
        os.close(sub)
        plain = os.read(main, 65536).decode()
        os.close(main)
        self.assertEqual(r.returncode, 0)
        self.assertNotIn("\x1b[", plain)
        self.assertIn("red alert", plain)
        # import: a progress line that rewrites itself, then the result.
        path = os.path.join(self.make_data_dir() + "-f.log")
        with open(path, "w") as f:
            f.write("".join("event %d\n" % i for i in range(30000)))
        out = self.in_pty("import", path)
        self.assertRegex(out, r"\rimported \d+ entries, \d+/s, +\d+%, ETA \d+ s")
        self.assertIn("imported 30000 entries (0 already there)", out)


if __name__ == "__main__":
    unittest.main()
