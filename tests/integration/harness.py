"""Shared helpers of the logsvc integration tests (Python 3 standard library only).

The tests run a real `logsvc serve` binary, named by the environment variable
LOGSVC_BIN, on 127.0.0.1 with port 0 (the server picks a free port and
reports it in its first stderr line), each on a fresh temporary data dir.

    LOGSVC_BIN=build/logsvc python3 -m unittest discover -s tests/integration -v

The store under test is RocksDB unless LOGSVC_TEST_STORE says otherwise:
"dynamodb-1" or "dynamodb-8" run every server with --store dynamodb (1 or 8
index shards) on a table of a DynamoDB engine (dynalite, from tests/node; one
per test process, started on first use, stopped at exit), the table derived
from the data dir, so a restart on the same data dir finds the same entries.
"""

import atexit
import datetime
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
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
# The free-space reserve of the RocksDB servers the tests start (see Server).
TEST_MIN_FREE_DISK = "64MiB"

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
    """The environment for a logsvc process: ours without any LOGSVC_* or AWS_*
    setting (a developer's shell must not change what the tests see, nor send
    them to a real AWS account), plus `extra`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("LOGSVC_") and not k.startswith("AWS_")}
    env.update(extra or {})
    return env


def run_cli(args, env=None, timeout=10):
    """Runs the binary to completion (for flags that must not start a server)."""
    return subprocess.run([logsvc_bin()] + list(args), stdin=subprocess.DEVNULL,
                          capture_output=True, env=child_env(env), timeout=timeout)


def now_ms():
    return time.time_ns() // 1_000_000


# The store under test: LOGSVC_TEST_STORE.

_TEST_STORES = {"rocksdb": 0, "dynamodb-1": 1, "dynamodb-8": 8}
TEST_STORE = os.environ.get("LOGSVC_TEST_STORE") or "rocksdb"
if TEST_STORE not in _TEST_STORES:
    raise AssertionError("LOGSVC_TEST_STORE=%r: use rocksdb (or leave it unset), dynamodb-1 or "
                         "dynamodb-8" % TEST_STORE)
DYNAMODB_MODE = TEST_STORE.startswith("dynamodb")
DYNAMODB_SHARDS = _TEST_STORES[TEST_STORE]


def rocksdb_only(reason):
    """Decorator: the test skips unless the store under test is RocksDB."""
    return unittest.skipIf(DYNAMODB_MODE, "RocksDB only (LOGSVC_TEST_STORE=%s): %s"
                           % (TEST_STORE, reason))


# DynamoDB: dynalite and the AWS SDK for JavaScript from tests/node (scripts/setup.sh test).

NODE_DIR = os.path.join(REPO_ROOT, "tests", "node")
DYNALITE_CLI = os.path.join(NODE_DIR, "node_modules", "dynalite", "cli.js")
DYNAMO_MJS = os.path.join(NODE_DIR, "dynamo.mjs")
INDEX_NAME = "TimestampIndex"

# What the tests give logsvc and the SDK: a local engine accepts any credentials.
TEST_ACCESS_KEY = "AKIDLOGSVCTEST000001"
TEST_SECRET_KEY = "logsvc/Test+Secret/Key/0000000000000000000"
TEST_REGION = "us-east-1"
AWS_TEST_ENV = {"AWS_ACCESS_KEY_ID": TEST_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": TEST_SECRET_KEY,
                "AWS_REGION": TEST_REGION}


def node_tools():
    """The node binary, once the npm test tools are known to be there."""
    node = shutil.which("node")
    if not node:
        raise AssertionError("node is not on PATH: the DynamoDB tests need Node.js "
                             "(scripts/setup.sh test installs it)")
    if not os.path.isfile(DYNALITE_CLI):
        raise AssertionError("%s is missing: run scripts/setup.sh test (npm ci in tests/node)"
                             % DYNALITE_CLI)
    return node


def free_port():
    """A TCP port free on 127.0.0.1 right now (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


try:
    import ctypes
    _libc = ctypes.CDLL(None, use_errno=True)
except (ImportError, OSError):
    _libc = None


def _die_with_parent():
    """In the child before exec: SIGKILL when the thread that started it ends,
    so a test process that is killed leaves no engine behind (Linux)."""
    if _libc is not None:
        _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Dynalite:
    """dynalite, a DynamoDB-compatible engine, on 127.0.0.1:<free port> (or `port`). Its
    tables live in a temporary directory (LevelDB), so they are still there
    after stop()/kill() and start() again, which reuses the same port.
    Start it from the main thread (its process dies with the starting thread)."""

    LISTENING = "Dynalite listening at:"

    def __init__(self, port=None):
        self.path = tempfile.mkdtemp(prefix="logsvc-dynalite-")
        self.port = port
        self.proc = None
        self.output = []
        self.start()

    @property
    def endpoint(self):
        return "http://%s:%d" % (HOST, self.port)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self):
        """Starts it: on a free port the first time, on the same port after."""
        if self.running():
            return
        if self.port is None:
            for _ in range(10):
                port = free_port()
                if self._spawn(port):
                    self.port = port
                    return
            raise AssertionError("dynalite found no free port: %r" % self.output)
        deadline = time.monotonic() + START_TIMEOUT
        while not self._spawn(self.port):
            if time.monotonic() > deadline:
                raise AssertionError("dynalite cannot listen on port %d again: %r"
                                     % (self.port, self.output))
            time.sleep(0.1)

    def _spawn(self, port):
        """True once it listens on `port`; False when the port is taken."""
        output = []
        done = threading.Event()
        proc = subprocess.Popen(
            [node_tools(), DYNALITE_CLI, "--host", HOST, "--port", str(port), "--path", self.path,
             "--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            env=child_env(), preexec_fn=_die_with_parent)

        def read():
            for raw in proc.stdout:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                output.append(line)
                if line.startswith(self.LISTENING):
                    done.set()
            done.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        done.wait(START_TIMEOUT)
        self.output = output
        if proc.poll() is None and any(l.startswith(self.LISTENING) for l in output):
            self.proc, self._reader = proc, reader
            return True
        proc.kill()
        proc.wait(STOP_TIMEOUT)
        reader.join(5)
        proc.stdout.close()
        if any("EADDRINUSE" in l for l in output):
            return False
        raise AssertionError("dynalite did not start on port %d: %r" % (port, output))

    def stop(self):
        """SIGTERM, and wait until it is gone (its port refuses connections)."""
        if self.running():
            self.proc.terminate()
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._reap()

    def kill(self):
        if self.running():
            self.proc.kill()
        self._reap()

    def _reap(self):
        if self.proc is not None:
            self.proc.wait(STOP_TIMEOUT)
            self._reader.join(5)
            self.proc.stdout.close()
            self.proc = None

    def restart(self):
        self.stop()
        self.start()

    def close(self):
        self.kill()
        shutil.rmtree(self.path, ignore_errors=True)


def dynamo(endpoint, command, table, *args, typed=False):
    """Runs tests/node/dynamo.mjs (the AWS SDK for JavaScript) and returns what it
    prints, parsed; AssertionError if it fails. See dynamo.mjs for the commands:
    create-table, delete-table, describe-table, put-original, put-item, scan, get,
    query-index. Dict or list arguments are passed as JSON."""
    argv = [node_tools(), DYNAMO_MJS, command, endpoint, table]
    argv += [a if isinstance(a, str) else json.dumps(a) for a in args]
    if typed:
        argv.append("--typed")
    result = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                            env=child_env(AWS_TEST_ENV), timeout=60)
    if result.returncode != 0:
        raise AssertionError("dynamo.mjs %s %s failed (exit %d): %s" % (
            command, " ".join(argv[4:]), result.returncode,
            result.stderr.decode("utf-8", "replace").strip()))
    return json.loads(result.stdout)


_shared_dynalite = None
_tables = set()
_dynamo_lock = threading.Lock()


def shared_dynalite():
    """This test process's dynalite, started on first use, stopped at exit."""
    global _shared_dynalite
    with _dynamo_lock:
        if _shared_dynalite is None:
            _shared_dynalite = Dynalite()
            atexit.register(_shared_dynalite.close)
        elif not _shared_dynalite.running():
            _shared_dynalite.start()
        return _shared_dynalite


def ensure_table(endpoint, table):
    """Creates the original design's table unless this process already did."""
    with _dynamo_lock:
        if (endpoint, table) not in _tables:
            dynamo(endpoint, "create-table", table)
            _tables.add((endpoint, table))


def table_for(data_dir):
    """The table that stands for a data dir (same dir, same table)."""
    return "logsvc-test-" + hashlib.sha256(os.path.abspath(data_dir).encode()).hexdigest()[:20]


class DynamoStore:
    """--store dynamodb for a Server: the table, the endpoint logsvc talks to
    (None: no --dynamodb-endpoint flag), the index shards (None: no flag), and
    the AWS_* environment (AWS_TEST_ENV unless `env` is given)."""

    def __init__(self, table, endpoint, shards=1, env=None):
        self.table = table
        self.endpoint = endpoint
        self.shards = shards
        self.aws_env = dict(AWS_TEST_ENV if env is None else env)

    def args(self):
        args = ["--store", "dynamodb", "--dynamodb-table", self.table]
        if self.endpoint is not None:
            args += ["--dynamodb-endpoint", self.endpoint]
        if self.shards is not None:
            args += ["--dynamodb-index-shards", str(self.shards)]
        return args

    def env(self):
        return dict(self.aws_env)


def store_under_test(data_dir):
    """The store LOGSVC_TEST_STORE asks for, for a server on `data_dir`: None for
    RocksDB, else a DynamoStore on the shared dynalite (its table created on first use)."""
    if not DYNAMODB_MODE:
        return None
    engine = shared_dynalite()
    table = table_for(data_dir)
    ensure_table(engine.endpoint, table)
    return DynamoStore(table, engine.endpoint, DYNAMODB_SHARDS)


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
        return read_until_close(s, idle)[0]


def read_until_close(s, idle):
    """Reads a socket until the server closes it (or resets it) or it is `idle`
    seconds quiet; returns (everything read, whether the server closed it)."""
    s.settimeout(idle)
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return data, True
            data += chunk
    except ConnectionResetError:
        return data, True
    except socket.timeout:
        return data, False


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
    """A running `logsvc serve` on 127.0.0.1:<free port> (or `listen`:<free port>,
    e.g. 0.0.0.0; the tests still connect to 127.0.0.1). `store`: "default"
    (what LOGSVC_TEST_STORE says), None (RocksDB) or a DynamoStore."""

    def __init__(self, data_dir, args=(), env=None, store="default", listen=HOST, port=0):
        self.data_dir = data_dir
        self.store = store_under_test(data_dir) if store == "default" else store
        self.stderr_lines = []
        self._started = threading.Event()
        store_args, store_env = [], {}
        if self.store is not None:
            store_args, store_env = self.store.args(), self.store.env()
        store_env.update(env or {})
        # The default reserve is 2% of the disk (at least 256 MiB): on a CI
        # machine whose disk is nearly full, every write would be refused. The
        # tests that are about the reserve pass their own.
        if self.store is None and "--min-free-disk" not in args:
            store_args = ["--min-free-disk", TEST_MIN_FREE_DISK]
        self.proc = subprocess.Popen(
            [logsvc_bin(), "serve", "--listen", "%s:%d" % (listen, port), "--data-dir", data_dir]
            + store_args + list(args),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env=child_env(store_env))
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
            # Tell "did not start" from "started, but said something else first".
            time.sleep(1)
            running = self.proc.poll() is None
            self.kill()
            if running:
                raise AssertionError("the first stderr line of logsvc is not its start-up line "
                                     "('logsvc started'): %r" % self.stderr_lines)
            raise AssertionError("logsvc did not start: %r" % self.stderr_lines)
        host, _, port = self.started["listen"].rpartition(":")
        if host != listen:
            self.kill()
            raise AssertionError("logsvc listens on %r, not %s" % (self.started["listen"], listen))
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
        if code != 0:
            # What it said last (a sanitizer's report, say), for the failure.
            sys.stderr.write("logsvc exited %r; its last stderr lines:\n%s\n"
                             % (code, "\n".join(self.stderr_lines[-60:])))
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

    def start_server(self, data_dir=None, args=(), env=None, store="default", listen=HOST,
                     port=0):
        """A server on `data_dir` (a fresh one by default) with the store under
        test (or `store`: None for RocksDB, a DynamoStore), killed after the
        test; on `port` (0: a free one)."""
        server = Server(data_dir or self.make_data_dir(), args, env, store, listen, port)
        self.addCleanup(server.kill)
        return server

    # Assertions on replies.

    def assertJsonReply(self, reply, status, keys=None, allow_origin=None):
        """Status, the JSON headers, statusCode in the body; returns the body.
        `allow_origin`: the Access-Control-Allow-Origin the reply must carry;
        None (what `logsvc serve` does without --cors-origins): none at all."""
        self.assertEqual(reply.status, status, reply)
        self.assertEqual(reply.header("Content-Type"), "application/json", reply)
        self.assertEqual(reply.header("Access-Control-Allow-Origin"), allow_origin, reply)
        self.assertEqual(int(reply.header("Content-Length")), len(reply.body))
        body = reply.json()
        self.assertIsInstance(body, dict, reply)
        self.assertIs(type(body.get("statusCode")), int, reply)
        self.assertEqual(body["statusCode"], status, reply)
        if keys is not None:
            self.assertEqual(set(body), set(keys), reply)
        return body

    def assertErrorReply(self, reply, status, allow_origin=None):
        """An error reply: {"statusCode": status, "error": "<a sentence>"}."""
        body = self.assertJsonReply(reply, status, ERROR_KEYS, allow_origin)
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

    def assertListing(self, actual, expected, pool=None):
        """Two newest-first lists of entries (dicts with a "timestamp", any other
        fields) are the same listing. RocksDB keeps ingest order within a
        millisecond: the lists must be equal. DynamoDB's index orders by
        timestamp only: see assertListingTiesUnordered."""
        if DYNAMODB_MODE:
            self.assertListingTiesUnordered(actual, expected, pool)
        else:
            self.assertEqual(list(actual), list(expected))

    def assertListingTiesUnordered(self, actual, expected, pool=None):
        """Like assertEqual, except that entries with equal timestamps may be in
        any order; and, given `pool` (every entry that could be listed, same
        fields), for a list cut at its length, the entries with its oldest
        timestamp may be any of that timestamp's entries in the pool."""
        actual, expected = list(actual), list(expected)
        self.assertEqual([e["timestamp"] for e in actual], [e["timestamp"] for e in expected],
                         "the listings differ in their timestamps")

        def canonical(entries):
            return sorted(json.dumps(e, sort_keys=True) for e in entries)

        def groups(entries):
            out = {}
            for e in entries:
                out.setdefault(e["timestamp"], []).append(e)
            return out

        got, want = groups(actual), groups(expected)
        oldest = actual[-1]["timestamp"] if actual else None
        for timestamp, entries in got.items():
            if pool is not None and timestamp == oldest:
                candidates = [e for e in pool if e["timestamp"] == timestamp]
                listed = canonical(entries)
                self.assertEqual(len(set(listed)), len(listed),
                                 "an entry is listed twice at %d: %s" % (timestamp, listed))
                self.assertLessEqual(set(listed), set(canonical(candidates)),
                                     "at the oldest timestamp listed, %d" % timestamp)
            else:
                self.assertEqual(canonical(entries), canonical(want[timestamp]),
                                 "the entries at timestamp %d" % timestamp)

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
