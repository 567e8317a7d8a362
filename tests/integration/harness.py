"""Shared helpers of the logsvc integration tests (Python 3 standard library only).

The tests run a real `logsvc serve` binary, named by the environment variable
LOGSVC_BIN, on 127.0.0.1 with port 0 (the server picks a free port and
reports it in its first stderr line), each on a fresh temporary data dir.

    LOGSVC_BIN=build/logsvc python3 -m unittest discover -s tests/integration -v
"""

import datetime
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

HOST = "127.0.0.1"
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Seconds to wait for the server to report that it listens, and to exit.
START_TIMEOUT = 15
STOP_TIMEOUT = 15
REQUEST_TIMEOUT = 10

UUID_V4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
ENTRY_KEYS = {"logId", "timestamp", "datetime", "severity", "message"}
CREATED_KEYS = {"statusCode", "message", "logId", "timestamp"}
ERROR_KEYS = {"statusCode", "error"}
SEVERITIES = {"info", "warning", "error"}


def logsvc_bin():
    """The absolute path of the binary under test, or an AssertionError saying what is wrong."""
    path = os.environ.get("LOGSVC_BIN")
    if not path:
        raise AssertionError(
            "LOGSVC_BIN is not set: set it to the logsvc binary to test, e.g. "
            "LOGSVC_BIN=build/logsvc python3 -m unittest discover -s tests/integration -v")
    path = os.path.abspath(path)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise AssertionError("LOGSVC_BIN=%r is not an executable file" % path)
    return path


def child_env(extra=None):
    """The environment for a logsvc process: ours without any LOGSVC_* setting
    (a developer's shell must not change what the tests see), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGSVC_")}
    env.update(extra or {})
    return env


def run_cli(args, env=None, timeout=10):
    """Runs the binary to completion (for flags that must not start a server)."""
    return subprocess.run([logsvc_bin()] + list(args), stdin=subprocess.DEVNULL,
                          capture_output=True, env=child_env(env), timeout=timeout)


def now_ms():
    return time.time_ns() // 1_000_000


def iso8601_ms(timestamp_ms):
    """The datetime the API must show for a timestamp: ISO 8601, UTC, milliseconds, 'Z'."""
    t = datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=timestamp_ms)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03d" % (timestamp_ms % 1000) + "Z"


class Reply:
    """One HTTP response, read to the end."""

    def __init__(self, response, body):
        self.status = response.status
        self.reason = response.reason
        self.headers = response.headers  # case-insensitive lookups
        self.body = body
        self.will_close = response.will_close

    def header(self, name):
        values = self.headers.get_all(name) or []
        if len(values) > 1:
            raise AssertionError("header %s appears %d times: %r" % (name, len(values), values))
        return values[0] if values else None

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise AssertionError("response body is not JSON (%s): %r" % (e, self.body[:300]))

    def __repr__(self):
        return "<Reply %d %r>" % (self.status, self.body[:200])


def encode_body(body):
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (dict, list)):
        return json.dumps(body).encode("utf-8")
    return body  # None, bytes, or an iterable of chunks


def send(conn, method, path, body=None, headers=None, encode_chunked=False):
    """Sends one request on an http.client connection and reads the whole reply."""
    body = encode_body(body)
    hdrs = {}
    if body is not None:
        hdrs["Content-Type"] = "application/json"
    hdrs.update(headers or {})
    conn.request(method, path, body=body, headers=hdrs, encode_chunked=encode_chunked)
    response = conn.getresponse()
    return Reply(response, response.read())


def raw_exchange(port, chunks, pause=0.0, idle=1.0):
    """Sends raw bytes on a fresh socket (the chunks `pause` seconds apart) and
    returns everything the server sends until it closes or is `idle` seconds quiet."""
    with socket.create_connection((HOST, port), timeout=REQUEST_TIMEOUT) as s:
        for i, chunk in enumerate(chunks):
            if i and pause:
                time.sleep(pause)
            s.sendall(chunk)
        s.settimeout(idle)
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except socket.timeout:
            pass
        return data


def split_responses(data):
    """Splits a byte stream of HTTP/1.1 responses that all carry Content-Length
    (or none, for 1xx/204) into (status line, headers dict, body) tuples;
    AssertionError if the stream does not parse exactly."""
    out = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            raise AssertionError("truncated response head: %r" % data[:200])
        lines = head.decode("latin-1").split("\r\n")
        if not re.match(r"^HTTP/1\.[01] \d{3} ", lines[0]):
            raise AssertionError("not a status line: %r (stream desynchronised?)" % lines[0])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        out.append((lines[0], headers, rest[:length]))
        data = rest[length:]
    return out


class Server:
    """A running `logsvc serve` on 127.0.0.1:<free port>."""

    def __init__(self, data_dir, args=(), env=None):
        self.data_dir = data_dir
        self.stderr_lines = []
        self._started = threading.Event()
        self.proc = subprocess.Popen(
            [logsvc_bin(), "serve", "--listen", HOST + ":0", "--data-dir", data_dir] + list(args),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env=child_env(env))
        # Always drain stderr so the server never blocks on a full pipe.
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()
        if not self._started.wait(START_TIMEOUT) or not self.stderr_lines:
            self.kill()
            raise AssertionError("logsvc did not report that it started within %ds; stderr: %r"
                                 % (START_TIMEOUT, self.stderr_lines))
        first = self.stderr_lines[0]
        try:
            self.started = json.loads(first)
        except ValueError:
            self.kill()
            raise AssertionError("first stderr line of logsvc is not JSON: %r (exit %r)"
                                 % (first, self.proc.poll()))
        if self.started.get("msg") != "logsvc started":
            self.kill()
            raise AssertionError("logsvc did not start: %r" % self.stderr_lines)
        host, _, port = self.started["listen"].rpartition(":")
        if host != HOST:
            self.kill()
            raise AssertionError("logsvc listens on %r, not %s" % (self.started["listen"], HOST))
        self.port = int(port)

    def _read_stderr(self):
        for raw in self.proc.stderr:
            self.stderr_lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
            self._started.set()
        self._started.set()  # EOF: the process is gone

    def connection(self, timeout=REQUEST_TIMEOUT):
        """A new keep-alive capable connection to the server."""
        return http.client.HTTPConnection(HOST, self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, encode_chunked=False):
        """One request on its own connection."""
        conn = self.connection()
        try:
            return send(conn, method, path, body, headers, encode_chunked)
        finally:
            conn.close()

    def running(self):
        return self.proc.poll() is None

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM; returns the exit status (AssertionError if it does not exit in time)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("logsvc did not exit within %ds of SIGTERM" % timeout)
        self._reader.join(5)
        return code

    def kill(self):
        """SIGKILL, and wait for the process to be gone."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(STOP_TIMEOUT)
        self._reader.join(5)
        if self.proc.stderr:
            self.proc.stderr.close()


class LogsvcTestCase(unittest.TestCase):
    """Base class: starts servers on temporary data dirs and cleans up after them."""

    maxDiff = 4000

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        logsvc_bin()  # a clear error when LOGSVC_BIN is missing or wrong

    def make_data_dir(self):
        d = tempfile.TemporaryDirectory(prefix="logsvc-itest-")
        self.addCleanup(d.cleanup)
        return os.path.join(d.name, "data")

    def start_server(self, data_dir=None, args=(), env=None):
        server = Server(data_dir or self.make_data_dir(), args, env)
        self.addCleanup(server.kill)
        return server

    # Assertions on replies.

    def assertJsonReply(self, reply, status, keys=None):
        """Status, the JSON headers, statusCode in the body; returns the body."""
        self.assertEqual(reply.status, status, reply)
        self.assertEqual(reply.header("Content-Type"), "application/json", reply)
        self.assertEqual(reply.header("Access-Control-Allow-Origin"), "*", reply)
        self.assertEqual(int(reply.header("Content-Length")), len(reply.body))
        body = reply.json()
        self.assertIsInstance(body, dict, reply)
        self.assertIs(type(body.get("statusCode")), int, reply)
        self.assertEqual(body["statusCode"], status, reply)
        if keys is not None:
            self.assertEqual(set(body), set(keys), reply)
        return body

    def assertErrorReply(self, reply, status):
        """An error reply: {"statusCode": status, "error": "<a sentence>"}."""
        body = self.assertJsonReply(reply, status, ERROR_KEYS)
        self.assertIsInstance(body["error"], str, reply)
        self.assertGreaterEqual(len(body["error"].strip()), 10, reply)
        return body

    def assertEntry(self, entry, log_id=None, severity=None, message=None, timestamp=None):
        """The five fields of an entry, each well formed (and equal to what is given)."""
        self.assertEqual(set(entry) - {"statusCode"}, ENTRY_KEYS, entry)
        self.assertRegex(entry["logId"], UUID_V4)
        self.assertIs(type(entry["timestamp"]), int, entry)
        self.assertEqual(entry["datetime"], iso8601_ms(entry["timestamp"]), entry)
        self.assertIn(entry["severity"], SEVERITIES, entry)
        self.assertIsInstance(entry["message"], str, entry)
        if log_id is not None:
            self.assertEqual(entry["logId"], log_id)
        if severity is not None:
            self.assertEqual(entry["severity"], severity)
        if message is not None:
            self.assertEqual(entry["message"], message)
        if timestamp is not None:
            self.assertEqual(entry["timestamp"], timestamp)

    # Requests with their checks.

    def ingest(self, server_or_conn, severity, message, expect_message=None):
        """POST /logs that must succeed; returns the created body (logId, timestamp...)."""
        body = {"severity": severity, "message": message}
        if isinstance(server_or_conn, Server):
            reply = server_or_conn.request("POST", "/logs", body)
        else:
            reply = send(server_or_conn, "POST", "/logs", body)
        created = self.assertJsonReply(reply, 201, CREATED_KEYS)
        self.assertEqual(created["message"], "Log entry created successfully")
        self.assertRegex(created["logId"], UUID_V4)
        self.assertIs(type(created["timestamp"]), int)
        self.assertEqual(reply.header("Location"), "/logs/" + created["logId"])
        return created

    def recent(self, server):
        """GET /logs, checked for shape and order; returns the list of entries."""
        body = self.assertJsonReply(server.request("GET", "/logs"), 200,
                                    {"statusCode", "count", "logs"})
        logs = body["logs"]
        self.assertIsInstance(logs, list)
        self.assertIs(type(body["count"]), int)
        self.assertEqual(body["count"], len(logs))
        self.assertLessEqual(len(logs), 100)
        for entry in logs:
            self.assertEntry(entry)
            self.assertNotIn("statusCode", entry)
        stamps = [e["timestamp"] for e in logs]
        self.assertEqual(stamps, sorted(stamps, reverse=True), "GET /logs is not newest first")
        return logs

    def get_one(self, server_or_conn, log_id):
        """GET /logs/{id} that must succeed; returns the entry (without statusCode)."""
        path = "/logs/" + log_id
        if isinstance(server_or_conn, Server):
            reply = server_or_conn.request("GET", path)
        else:
            reply = send(server_or_conn, "GET", path)
        body = self.assertJsonReply(reply, 200, ENTRY_KEYS | {"statusCode"})
        self.assertEntry(body, log_id=log_id)
        del body["statusCode"]
        return body
