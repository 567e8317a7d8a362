"""The Lambda functions (`bootstrap`, src/lambda) as Lambda runs them: a process
talking to a Runtime API (runtime_api.py, served by this test) on a DynamoDB
engine (dynalite, tests/node), with Function URL events (payload 2.0, made from
AWS's sample tests/testdata/lambda-events/lambda-urls-request.json) and
direct invocations.

Every case runs twice:

  FromBuildTest  the binary from the build: LOGSVC_BOOTSTRAP, or, when that is
                 unset, lambda/bootstrap beside LOGSVC_BIN (build/lambda/bootstrap
                 for build/logsvc, where CMake puts target logsvc_bootstrap).
  FromZipTest    the Lambda package, LOGSVC_LAMBDA_ZIP (dist/logsvc-lambda.zip from
                 scripts/package-lambda.sh), unzipped to <tmp>/var/task and run as
                 `chroot <tmp> /var/task/bootstrap` (`unshare -r chroot ...` when not
                 root) with nothing in the environment but the Lambda variables (as
                 `env -i`): the root holds nothing but the zip's files, so this
                 proves the zip does not lean on the host's libraries. Skipped,
                 saying why, when LOGSVC_LAMBDA_ZIP is unset or chroot is not allowed.

    LOGSVC_BIN=build/logsvc LOGSVC_LAMBDA_ZIP=dist/logsvc-lambda.zip \\
        python3 -m unittest -v test_lambda        # in tests/integration

At the end of each case the Runtime API answers /next with 500, and the process
must exit with status 1 (under AddressSanitizer, LeakSanitizer would change that
status if anything leaked).
"""

import base64
import copy
import gzip
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import uuid
import zipfile

from harness import (AWS_TEST_ENV, CREATED_KEYS, ENTRY_KEYS, ERROR_KEYS, REPO_ROOT, UUID_V4,
                     Dynalite, DynamoStore, LogsvcTestCase, dynamo, iso8601_ms, logsvc_bin,
                     now_ms, shared_dynalite)
from runtime_api import RuntimeApi, parse_json

EVENT_TEMPLATE = os.environ.get("LOGSVC_LAMBDA_EVENT") or os.path.join(
    REPO_ROOT, "tests", "testdata", "lambda-events", "lambda-urls-request.json")
TASK_ROOT = "/var/task"
URL_RESPONSE_KEYS = {"statusCode", "headers", "body", "isBase64Encoded"}
INGEST_ALLOW = "POST, OPTIONS"
READ_ALLOW = "GET, HEAD, OPTIONS"
# How long an invocation may take to be answered, and the process to exit.
INVOKE_TIMEOUT = 20
EXIT_TIMEOUT = 10
# With the engine down, an invocation must be answered (503) within this.
ANSWER_WITHIN = 8
RECOVER_WITHIN = 15


def partitions(shards):
    """The index partitions (type values) entries may be written to with `shards` shards."""
    return {"LOG"} | {"LOG#%d" % i for i in range(1, shards)}


def five_fields(item):
    return {k: item[k] for k in ENTRY_KEYS}


_template = None


def url_event(method, path, body=None, base64_encoded=False, headers=None, query=""):
    """A Function URL event (payload format 2.0): AWS's sample with this method,
    path (rawPath and requestContext.http.path), query string (the sample's own,
    parameter1=..., is replaced: read_recent searches with the parameters it
    gets, and refuses unknown ones), body (absent when None) and `headers`
    added (names lower-case, as Lambda passes them)."""
    global _template
    if _template is None:
        if not os.path.isfile(EVENT_TEMPLATE):
            raise AssertionError(
                "the Function URL sample event %s is missing: it is committed in "
                "tests/testdata (or set LOGSVC_LAMBDA_EVENT to a copy)" % EVENT_TEMPLATE)
        with open(EVENT_TEMPLATE, encoding="utf-8") as f:
            _template = json.load(f)
    event = copy.deepcopy(_template)
    event["rawPath"] = path
    event["requestContext"]["http"]["method"] = method
    event["requestContext"]["http"]["path"] = path
    event["rawQueryString"] = query
    if query:
        event["queryStringParameters"] = dict(urllib.parse.parse_qsl(query))
    else:
        event.pop("queryStringParameters", None)
    if body is None:
        event.pop("body", None)
        event["isBase64Encoded"] = False
    else:
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        if isinstance(body, bytes):
            body = body.decode("utf-8")
        event["body"] = body
        event["isBase64Encoded"] = base64_encoded
        event["headers"]["content-type"] = "application/json"
    for name, value in (headers or {}).items():
        event["headers"][name.lower()] = value
    return event


def b64(data):
    if isinstance(data, (dict, list)):
        data = json.dumps(data, ensure_ascii=False)
    if isinstance(data, str):
        data = data.encode("utf-8")
    return base64.b64encode(data).decode("ascii")


def elf_interpreter(path):
    """PT_INTERP of a 64-bit little-endian ELF file, or None."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise AssertionError("%s is not a 64-bit little-endian ELF file" % path)
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", data,
                                                                 phoff + i * phentsize)
        if p_type == 3:  # PT_INTERP
            return data[p_offset:p_offset + p_filesz].rstrip(b"\0").decode()
    return None


# How a case starts bootstrap.

class BuildLauncher:
    """The binary from the build tree."""

    description = "from the build"

    def __init__(self):
        path = os.environ.get("LOGSVC_BOOTSTRAP")
        if not path:
            path = os.path.join(os.path.dirname(logsvc_bin()), "lambda", "bootstrap")
        self.path = os.path.abspath(path)
        if not (os.path.isfile(self.path) and os.access(self.path, os.X_OK)):
            raise AssertionError(
                "no bootstrap at %s: build target logsvc_bootstrap, or set LOGSVC_BOOTSTRAP"
                % self.path)

    def argv(self):
        return [self.path]

    def passthrough(self):
        # Sanitizer settings of the developer or CI reach the process; nothing else does.
        return {k: v for k, v in os.environ.items() if k.endswith("SAN_OPTIONS")}

    def close(self):
        pass


class ChrootLauncher:
    """The zip, unpacked at <tmp>/var/task, run in a chroot of <tmp>."""

    description = "from the zip, in a chroot"

    def __init__(self, zip_path):
        self.zip_path = os.path.abspath(zip_path)
        if not os.path.isfile(self.zip_path):
            raise AssertionError(
                "LOGSVC_LAMBDA_ZIP=%s does not exist: build it with scripts/package-lambda.sh"
                % self.zip_path)
        self.root = tempfile.mkdtemp(prefix="logsvc-lambda-root-")
        try:
            task = os.path.join(self.root, TASK_ROOT.lstrip("/"))
            os.makedirs(task)
            with zipfile.ZipFile(self.zip_path) as z:
                for info in z.infolist():
                    z.extract(info, task)
                    mode = (info.external_attr >> 16) & 0o7777
                    if mode:  # zipfile does not restore permissions
                        os.chmod(os.path.join(task, info.filename), mode)
            self.chroot = self._chroot_command()
        except BaseException:
            self.close()
            raise

    def _chroot_command(self):
        """["chroot"] as root, else ["unshare", "-r", "chroot"]; None if neither may chroot."""
        chroot = shutil.which("chroot") or "/usr/sbin/chroot"
        candidates = [[chroot]] if os.geteuid() == 0 else []
        unshare = shutil.which("unshare")
        if unshare:
            candidates.append([unshare, "-r", chroot])
        self.refusals = []
        for cmd in candidates:
            # chroot exits 127 when it changed root but found no such program, 125 when it
            # could not change root.
            r = subprocess.run(cmd + [self.root, "/no-such-program"], stdin=subprocess.DEVNULL,
                               capture_output=True, env={}, timeout=30)
            if r.returncode == 127:
                return cmd
            self.refusals.append("%s: exit %d, %s" % (" ".join(cmd), r.returncode,
                                                    r.stderr.decode(errors="replace").strip()))
        if not candidates:
            self.refusals.append("not root, and no unshare command")
        return None

    def argv(self):
        return self.chroot + [self.root, TASK_ROOT + "/bootstrap"]

    def passthrough(self):
        return {}

    def close(self):
        shutil.rmtree(self.root, ignore_errors=True)


class Function:
    """One bootstrap process with its own Runtime API."""

    def __init__(self, test, handler, table=None, endpoint=None, shards=None, env=None,
                 drop=()):
        self.test = test
        self.runtime = RuntimeApi()
        self.env = test.lambda_env(self.runtime, handler, table, endpoint, shards)
        self.env.update(env or {})
        for name in drop:
            self.env.pop(name, None)
        self.stderr_lines = []
        self.stdout_lines = []
        self.proc = subprocess.Popen(test.launcher.argv(), env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._readers = [threading.Thread(target=self._drain, args=(self.proc.stdout,
                                                                     self.stdout_lines),
                                          daemon=True),
                         threading.Thread(target=self._drain, args=(self.proc.stderr,
                                                                     self.stderr_lines),
                                          daemon=True)]
        for r in self._readers:
            r.start()
        test.addCleanup(self.close)

    @staticmethod
    def _drain(stream, lines):
        for raw in stream:
            lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def running(self):
        return self.proc.poll() is None

    def output(self):
        return "exit %r; stderr: %s" % (self.proc.poll(), "\n".join(self.stderr_lines[-20:]))

    def invoke(self, event, timeout=INVOKE_TIMEOUT):
        """Queues an event and waits for what comes back (AssertionError at once if the
        process is gone)."""
        inv = self.runtime.enqueue(event)
        deadline = time.monotonic() + timeout
        while not inv.done.wait(0.05):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                if self.proc.poll() is not None:
                    self.wait()  # (all of its stderr, for the message)
                raise AssertionError("no response for request %s (event taken: %s; %s)"
                                     % (inv.request_id, inv.taken.is_set(), self.output()))
        return inv

    def url(self, method, path, body=None, base64_encoded=False, headers=None):
        return self.invoke(url_event(method, path, body, base64_encoded, headers))

    def wait(self, timeout=EXIT_TIMEOUT):
        """The exit status; AssertionError if it does not exit within `timeout`."""
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("bootstrap did not exit within %ss (%s)" % (timeout, self.output()))
        for r in self._readers:
            r.join(5)
        return code

    def finish(self):
        """The Runtime API goes away (/next answers 500): it must exit with status 1."""
        self.runtime.close_runtime()
        code = self.wait()
        self.test.assertEqual(code, 1, "exit status after /next answered 500: %s" % self.output())
        self.test.assertEqual(self.runtime.unexpected, [], "requests outside the Runtime API")
        return code

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(EXIT_TIMEOUT)
        for r in self._readers:
            r.join(5)
        self.proc.stdout.close()
        self.proc.stderr.close()
        self.runtime.close()


class LambdaCases:
    """The cases, for a launcher (set up by the concrete classes)."""

    launcher = None
    maxDiff = 4000

    # Plumbing.

    def lambda_env(self, runtime, handler, table, endpoint, shards):
        """Lambda's environment for a provided.al2023 function (and nothing else)."""
        env = {
            "AWS_LAMBDA_RUNTIME_API": runtime.address,
            "LAMBDA_TASK_ROOT": TASK_ROOT,
            "LAMBDA_RUNTIME_DIR": "/var/runtime",
            "PATH": "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
            "LD_LIBRARY_PATH": "/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:"
                               "/var/task/lib:/opt/lib",
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "AWS_LAMBDA_FUNCTION_NAME": "logsvc-%s" % handler,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/logsvc-%s" % handler,
            "AWS_LAMBDA_LOG_STREAM_NAME": "2026/11/24/[$LATEST]0123456789abcdef",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_DEFAULT_REGION": AWS_TEST_ENV["AWS_REGION"],
            "AWS_SESSION_TOKEN": "IQoJb3JpZ2luX2VjEXAMPLETOKEN",
        }
        env.update(AWS_TEST_ENV)
        if handler is not None:
            env["_HANDLER"] = handler
        if table is not None:
            env["DYNAMODB_TABLE_NAME"] = table
        if endpoint is not None:
            env["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
        if shards is not None:
            env["LOGSVC_DYNAMODB_INDEX_SHARDS"] = str(shards)
        env.update(self.launcher.passthrough())
        return env

    def function(self, handler, table=None, engine=None, shards=None, **kw):
        engine = engine or shared_dynalite()
        return Function(self, handler, table, engine.endpoint, shards, **kw)

    def new_table(self, engine=None):
        table = "logsvc-lambda-" + uuid.uuid4().hex[:16]
        dynamo((engine or shared_dynalite()).endpoint, "create-table", table)
        return table

    def reference(self):
        """A `logsvc serve` (RocksDB) to compare error answers with."""
        if not hasattr(self, "_reference"):
            self._reference = self.start_server(store=None)
        return self._reference

    # Assertions on what the function posted.

    def assertUrlResponse(self, inv, status, keys=None):
        """A Function URL response with this status; returns (headers, body parsed or None)."""
        self.assertIsNotNone(inv.posted, inv)
        self.assertEqual(inv.posted.kind, "response", inv.posted)
        doc = inv.response
        self.assertEqual(set(doc), URL_RESPONSE_KEYS, doc)
        self.assertIs(type(doc["statusCode"]), int, doc)
        self.assertEqual(doc["statusCode"], status, doc)
        self.assertIs(doc["isBase64Encoded"], False, doc)
        headers = doc["headers"]
        self.assertIsInstance(headers, dict, doc)
        for name, value in headers.items():
            self.assertIsInstance(value, str, doc)
        lower = {k.lower(): v for k, v in headers.items()}
        self.assertEqual(len(lower), len(headers), "a header appears twice: %r" % headers)
        self.assertNotIn("location", lower, "a function URL has no such path: %r" % headers)
        self.assertEqual(lower.get("access-control-allow-origin"), "*", doc)
        self.assertIsInstance(doc["body"], str, doc)
        if status == 204:
            self.assertEqual(doc["body"], "", doc)
            return lower, None
        self.assertEqual(lower.get("content-type"), "application/json", doc)
        body = parse_json(doc["body"].encode("utf-8"))
        self.assertIsInstance(body, dict, doc)
        self.assertIs(type(body.get("statusCode")), int, doc)
        self.assertEqual(body["statusCode"], status, doc)
        if keys is not None:
            self.assertEqual(set(body), set(keys), doc)
        return lower, body

    def assertCreated(self, inv, before=None):
        _, body = self.assertUrlResponse(inv, 201, CREATED_KEYS)
        self.assertEqual(body["message"], "Log entry created successfully")
        self.assertRegex(body["logId"], UUID_V4)
        self.assertEqual(uuid.UUID(body["logId"]).version, 4)
        self.assertIs(type(body["timestamp"]), int)
        if before is not None:
            self.assertGreaterEqual(body["timestamp"], before - 5)
            self.assertLessEqual(body["timestamp"], now_ms() + 5)
        return body

    def assertSameAsServer(self, inv, method, path, body, headers=None):
        """The function answers as `logsvc serve` does (status and body, byte for byte)."""
        reply = self.reference().request(method, path, body, headers)
        doc = inv.response
        self.assertEqual(doc["statusCode"], reply.status, doc)
        self.assertEqual(doc["body"], reply.body.decode("utf-8"), "%r vs the server's" % doc)

    def assertPreflight(self, inv, allow):
        headers, _ = self.assertUrlResponse(inv, 204)
        methods = {m.strip() for m in headers.get("access-control-allow-methods", "").split(",")}
        self.assertEqual(methods, {m.strip() for m in allow.split(",")}, headers)
        self.assertIn("content-type", {h.strip().lower() for h in
                                       headers.get("access-control-allow-headers", "").split(",")})
        self.assertIn("access-control-max-age", headers)

    def assertMethodNotAllowed(self, inv, method, allow):
        headers, body = self.assertUrlResponse(inv, 405, ERROR_KEYS)
        self.assertEqual(headers.get("allow"), allow)
        self.assertIn(method, body["error"])
        return body

    def items(self, table, engine=None, log_id=None):
        engine = engine or shared_dynalite()
        if log_id is not None:
            return dynamo(engine.endpoint, "get", table, log_id)
        return dynamo(engine.endpoint, "scan", table)

    # The cases.

    def test_ingest_function_url(self):
        table = self.new_table()
        fn = self.function("ingest", table)
        created = {}  # logId -> (severity, message) expected in the table

        # Plain JSON.
        before = now_ms()
        inv = fn.url("POST", "/", {"severity": "WaRnInG", "message": "  \t disk almost full \n"})
        body = self.assertCreated(inv, before)
        created[body["logId"]] = ("warning", "disk almost full", body["timestamp"])
        self.assertEqual(inv.posted.headers.get("Content-Type"), "application/json")
        # The alias path.
        body = self.assertCreated(fn.url("POST", "/logs", {"severity": "info", "message": "alias"}))
        created[body["logId"]] = ("info", "alias", body["timestamp"])

        # Base64 bodies (as Lambda sends binary ones), UTF-8, padded with 0, 1 and 2 '='.
        messages = ["base64 \u00e9t\u00e9 \u2713", "base64 \u00e9t\u00e9 \u2713!",
                    "base64 \u00e9t\u00e9 \u2713!!"]
        self.assertEqual(sorted(b64({"severity": "error", "message": m}).count("=")
                                for m in messages), [0, 1, 2])
        for message in messages:
            with self.subTest(base64=message):
                inv = fn.url("POST", "/", b64({"severity": "error", "message": message}),
                             base64_encoded=True)
                body = self.assertCreated(inv)
                created[body["logId"]] = ("error", message, body["timestamp"])

        # Bad bodies: 400 with the server's words, and nothing stored.
        bad = [
            ("invalid JSON", "{not json", False, "{not json"),
            ("missing message", {"severity": "info"}, False, {"severity": "info"}),
            ("unknown severity", {"severity": "debug", "message": "x"}, False,
             {"severity": "debug", "message": "x"}),
            ("empty message", {"severity": "info", "message": "  "}, False,
             {"severity": "info", "message": "  "}),
            ("empty body", "", False, ""),
            ("invalid JSON in base64", b64("{not json"), True, "{not json"),
            ("unknown severity in base64", b64({"severity": "debug", "message": "x"}), True,
             {"severity": "debug", "message": "x"}),
            ("repeated severity", '{"severity":"info","severity":"error","message":"x"}', False,
             '{"severity":"info","severity":"error","message":"x"}'),
        ]
        for name, sent, encoded, plain in bad:
            with self.subTest(bad=name):
                inv = fn.url("POST", "/", sent, base64_encoded=encoded)
                self.assertUrlResponse(inv, 400, ERROR_KEYS)
                self.assertSameAsServer(inv, "POST", "/logs", plain)
        # Bodies in a coding it does not take: 415 with the server's words,
        # nothing stored; in gzip (base64, as Function URLs pass binary
        # bodies): decoded and stored.
        entry = json.dumps({"severity": "info", "message": "compressed"}).encode()
        inv = fn.url("POST", "/", entry, headers={"Content-Encoding": "br"})
        headers, _ = self.assertUrlResponse(inv, 415, ERROR_KEYS)
        self.assertEqual(headers.get("accept-encoding"), "gzip, zstd, identity")
        self.assertSameAsServer(inv, "POST", "/logs", entry, headers={"Content-Encoding": "br"})
        body = self.assertCreated(fn.url("POST", "/", b64(gzip.compress(entry)),
                                         base64_encoded=True, headers={"Content-Encoding": "gzip"}))
        created[body["logId"]] = ("info", "compressed", body["timestamp"])  # checked in the table
        # The original's CORS: any page may use the function (its URL's CORS
        # settings, in infrastructure/, are what restrict it).
        body = self.assertCreated(fn.url("POST", "/", {"severity": "info", "message": "page"},
                                         headers={"Origin": "https://any.example",
                                                  "Sec-Fetch-Site": "cross-site"}))
        created[body["logId"]] = ("info", "page", body["timestamp"])
        for sent in ("not base64!", "!!!!", "eyJzZXZlcml0eSI6ImluZm8i"[:-1]):
            with self.subTest(invalid_base64=sent):
                inv = fn.url("POST", "/", sent, base64_encoded=True)
                _, body = self.assertUrlResponse(inv, 400, ERROR_KEYS)
                self.assertIn("base64", body["error"])

        # Other methods and paths.
        for method in ("GET", "HEAD", "PUT", "DELETE", "PATCH"):
            with self.subTest(method=method):
                self.assertMethodNotAllowed(fn.url(method, "/"), method, INGEST_ALLOW)
        self.assertPreflight(fn.url("OPTIONS", "/"), INGEST_ALLOW)
        for path in ("/other", "/logs/" + str(uuid.uuid4())):
            with self.subTest(path=path):
                self.assertUrlResponse(fn.url("POST", path, {"severity": "info", "message": "x"}),
                                       404, ERROR_KEYS)

        # A direct invocation: the event is the entry.
        inv = fn.invoke({"severity": "ERROR", "message": " x "})
        body = self.assertCreated(inv)
        created[body["logId"]] = ("error", "x", body["timestamp"])
        inv = fn.invoke({"severity": "ERROR"})
        self.assertUrlResponse(inv, 400, ERROR_KEYS)
        self.assertSameAsServer(inv, "POST", "/logs", {"severity": "ERROR"})

        fn.finish()
        self.assertIn("runtime api unavailable", fn.stderr_lines[-1] if fn.stderr_lines else "")

        # The table holds exactly the created entries, as the original's items.
        items = self.items(table)
        self.assertEqual({i["logId"]: (i["severity"], i["message"], i["timestamp"]) for i in items},
                         created)
        for item in items:
            self.assertEqual(item["datetime"], iso8601_ms(item["timestamp"]), item)
            self.assertEqual(item["type"], "LOG", item)

    def test_ingest_function_takes_the_shippers_formats(self):
        table = self.new_table()
        fn = self.function("ingest", table)
        t = now_ms()
        # OTLP/JSON, Loki push (JSON) and an Elasticsearch bulk, at their own paths.
        otlp = {"resourceLogs": [{"resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": "lambda-otlp"}}]},
            "scopeLogs": [{"logRecords": [{"timeUnixNano": str(t * 1000000), "severityNumber": 17,
                                           "body": {"stringValue": "zzshipped otlp"}}]}]}]}
        inv = fn.url("POST", "/v1/logs", otlp, headers={"Content-Type": "application/json"})
        self.assertEqual(inv.response["statusCode"], 200, inv.response)
        loki = {"streams": [{"stream": {"job": "lambda", "level": "warn"},
                             "values": [[str(t * 1000000), "zzshipped loki"]]}]}
        inv = fn.url("POST", "/loki/api/v1/push", loki,
                     headers={"Content-Type": "application/json"})
        self.assertEqual(inv.response["statusCode"], 204, inv.response)
        bulk = '{"create":{"_index":"app"}}\n{"message":"zzshipped es","log":{"level":"fatal"}}\n'
        inv = fn.url("POST", "/_bulk", bulk, headers={"Content-Type": "application/x-ndjson"})
        self.assertEqual(inv.response["statusCode"], 200, inv.response)
        self.assertFalse(json.loads(inv.response["body"])["errors"], inv.response)
        # An Idempotency-Key: the retry answers the first reply, nothing twice.
        entry = {"severity": "info", "message": "zzshipped once"}
        key = {"Idempotency-Key": str(uuid.uuid4())}
        first = self.assertCreated(fn.url("POST", "/", entry, headers=key))
        inv = fn.url("POST", "/", entry, headers=key)
        _, again = self.assertUrlResponse(inv, 201)
        self.assertEqual(again, first)
        fn.finish()
        # Each invocation's counters, as CloudWatch Embedded Metric Format lines on stdout.
        emf = [json.loads(line) for line in fn.stdout_lines if line.startswith('{"_aws"')]
        for doc in emf:
            self.assertEqual(doc["function"], "ingest")
            for directive in doc["_aws"]["CloudWatchMetrics"]:
                self.assertEqual(directive["Namespace"], "logsvc")
                for dims in directive["Dimensions"]:
                    for d in dims:
                        self.assertIn(d, doc)  # every dimension is a property of the line
                for m in directive["Metrics"]:
                    self.assertIsInstance(doc[m["Name"]], (int, float))
        ingested = {}
        for doc in emf:
            if "logsvc_ingested_entries_total" in doc:
                ingested[doc["format"]] = ingested.get(doc["format"], 0) + doc[
                    "logsvc_ingested_entries_total"]
        # The replay stored nothing, so "logs" counts one entry.
        self.assertEqual(ingested, {"otlp": 1, "loki": 1, "elasticsearch": 1, "logs": 1})
        requests = sorted((d["route"], d["status"]) for d in emf
                          if "logsvc_http_requests_total" in d)
        self.assertEqual(requests, sorted([
            ("POST /v1/logs (OTLP)", "200"), ("POST /loki/api/v1/push (Loki)", "204"),
            ("POST /_bulk (Elasticsearch)", "200"), ("POST /logs", "201"),
            ("POST /logs", "201")]))
        entries = [i for i in self.items(table) if i.get("type") == "LOG"]
        self.assertEqual(sorted((i["severity"], i["message"]) for i in entries),
                         [("error", "zzshipped otlp"), ("fatal", "zzshipped es"),
                          ("info", "zzshipped once"), ("warning", "zzshipped loki")])
        by_message = {i["message"]: i for i in entries}
        self.assertEqual(by_message["zzshipped once"]["logId"], first["logId"])
        self.assertEqual(by_message["zzshipped otlp"]["timestamp"], t)

    def read_recent_case(self, shards):
        table = self.new_table()
        ingest = self.function("ingest", table, shards=shards)
        read = self.function("read_recent", table, shards=shards)

        # Nothing yet.
        _, body = self.assertUrlResponse(read.url("GET", "/"), 200, {"statusCode", "count", "logs"})
        self.assertEqual(body, {"statusCode": 200, "count": 0, "logs": []})

        # Written by the ingest function, by a direct invocation, and by the original design.
        created = []
        for i, severity in enumerate(["info", "warning", "error"] * 4):
            created.append(self.assertCreated(
                ingest.url("POST", "/", {"severity": severity, "message": "entry %d" % i})))
        created.append(self.assertCreated(ingest.invoke({"severity": "INFO", "message": "direct"})))
        original = dynamo(shared_dynalite().endpoint, "put-original", table,
                          {"severity": "warning", "message": "from the original"})
        items = self.items(table)
        self.assertEqual(len(items), len(created) + 1)
        self.assertLessEqual({i["type"] for i in items}, partitions(shards))
        if shards > 1:  # (13 random ids all in one of 8 partitions: odds 8**-12)
            self.assertGreater(len({i["type"] for i in items}), 1, "the shards are not used")
        expected = sorted((five_fields(i) for i in items), key=lambda e: -e["timestamp"])
        self.assertEqual({e["logId"] for e in expected},
                         {c["logId"] for c in created} | {original["logId"]})

        # The newest, newest first: what the server's GET /logs says on the same table.
        inv = read.url("GET", "/")
        _, body = self.assertUrlResponse(inv, 200, {"statusCode", "count", "logs"})
        self.assertEqual(body["count"], len(expected))
        stamps = [e["timestamp"] for e in body["logs"]]
        self.assertEqual(stamps, sorted(stamps, reverse=True), "not newest first")
        self.assertListingTiesUnordered(body["logs"], expected)
        server = self.start_server(store=DynamoStore(table, shared_dynalite().endpoint, shards))
        listing = server.request("GET", "/logs")
        self.assertEqual(listing.status, 200)
        self.assertListingTiesUnordered(parse_json(inv.response["body"].encode())["logs"],
                                        listing.json()["logs"])
        head = read.url("HEAD", "/").response  # (the body may or may not be left out)
        self.assertEqual(head["statusCode"], 200, head)
        self.assertUrlResponse(read.url("GET", "/logs"), 200, {"statusCode", "count", "logs"})
        _, direct = self.assertUrlResponse(read.invoke({}), 200, {"statusCode", "count", "logs"})
        self.assertEqual(direct["count"], len(expected))

        # One entry, by its id, as the server answers it.
        for entry in expected[:3] + expected[-2:]:
            for path in ("/" + entry["logId"], "/logs/" + entry["logId"]):
                with self.subTest(path=path):
                    inv = read.url("GET", path)
                    _, body = self.assertUrlResponse(inv, 200, ENTRY_KEYS | {"statusCode"})
                    self.assertEqual(body, dict(entry, statusCode=200))
                    reply = server.request("GET", "/logs/" + entry["logId"])
                    self.assertEqual(inv.response["body"], reply.body.decode())
        unknown = str(uuid.uuid4())
        inv = read.url("GET", "/" + unknown)
        self.assertUrlResponse(inv, 404, ERROR_KEYS)
        reply = server.request("GET", "/logs/" + unknown)
        self.assertEqual((inv.response["statusCode"], inv.response["body"]),
                         (reply.status, reply.body.decode()))

        # Methods it does not take.
        for method in ("POST", "PUT", "DELETE"):
            with self.subTest(method=method):
                self.assertMethodNotAllowed(
                    read.url(method, "/", {"severity": "info", "message": "x"}), method,
                    READ_ALLOW)
        self.assertMethodNotAllowed(read.url("DELETE", "/" + expected[0]["logId"]), "DELETE",
                                    READ_ALLOW)
        self.assertPreflight(read.url("OPTIONS", "/"), READ_ALLOW)
        self.assertEqual(len(self.items(table)), len(expected), "a refused request wrote")

        ingest.finish()
        read.finish()

    def test_read_recent_one_shard(self):
        self.read_recent_case(1)

    def test_read_recent_eight_shards(self):
        self.read_recent_case(8)

    def test_api_keys_from_the_environment(self):
        # LOGSVC_AUTH_KEY_HASHES: keys-file lines (';' ends one too), as the
        # Terraform variable auth_key_hashes sets it on both functions.
        ingest_key, read_key = "lsk_lambda-ingest-key", "lsk_lambda-read-key"
        hashes = ";".join("sha256:%s scopes=%s" % (hashlib.sha256(k.encode()).hexdigest(), s)
                          for k, s in ((ingest_key, "ingest"), (read_key, "read")))
        table = self.new_table()
        env = {"LOGSVC_AUTH_KEY_HASHES": hashes}
        ingest = self.function("ingest", table, env=env)
        entry = {"severity": "info", "message": "zzkeyed"}
        for headers in ({}, {"Authorization": "Bearer lsk_wrong"}):
            _, body = self.assertUrlResponse(ingest.url("POST", "/", entry, headers=headers), 401)
            self.assertIn("API key", body["error"])
        self.assertUrlResponse(
            ingest.url("POST", "/", entry, headers={"Authorization": "Bearer " + read_key}), 403)
        created = self.assertCreated(
            ingest.url("POST", "/", entry, headers={"X-API-Key": ingest_key}))
        ingest.finish()  # (its stdout read to the end)
        refused = [json.loads(line) for line in ingest.stdout_lines
                   if line.startswith('{"_aws"') and "logsvc_refused_requests_total" in line]
        self.assertEqual(sorted(d["reason"] for d in refused),
                         ["forbidden", "unauthenticated", "unauthenticated"])

        read = self.function("read_recent", table, env=env)
        self.assertUrlResponse(read.url("GET", "/"), 401)
        self.assertUrlResponse(
            read.url("GET", "/", headers={"Authorization": "Bearer " + ingest_key}), 403)
        basic = base64.b64encode(("me:" + read_key).encode()).decode()
        _, body = self.assertUrlResponse(
            read.url("GET", "/", headers={"Authorization": "Basic " + basic}), 200)
        self.assertEqual([e["logId"] for e in body["logs"]], [created["logId"]])
        read.finish()
        # A malformed variable stops the function at init, saying why.
        bad = self.function("ingest", table, env={"LOGSVC_AUTH_KEY_HASHES": "sha256:zz scopes=read"})
        self.assertEqual(bad.wait(), 1, bad.output())
        self.assertIn("LOGSVC_AUTH_KEY_HASHES", bad.runtime.init_errors[0].json()["errorMessage"])

    def test_init_errors(self):
        cases = [
            ("unknown handler", {"_HANDLER": "index.handler"}, (), "index.handler"),
            ("no handler", {}, ("_HANDLER",), "handler"),
            ("no table", {}, ("DYNAMODB_TABLE_NAME",), "DYNAMODB_TABLE_NAME"),
            ("empty table", {"DYNAMODB_TABLE_NAME": ""}, (), "DYNAMODB_TABLE_NAME"),
            ("shards 0", {"LOGSVC_DYNAMODB_INDEX_SHARDS": "0"}, (), "shards"),
            ("shards 65", {"LOGSVC_DYNAMODB_INDEX_SHARDS": "65"}, (), "shards"),
            ("shards abc", {"LOGSVC_DYNAMODB_INDEX_SHARDS": "abc"}, (), "shards"),
            ("no region", {}, ("AWS_REGION", "AWS_DEFAULT_REGION"), "region"),
        ]
        for name, env, drop, mentioned in cases:
            with self.subTest(name):
                fn = self.function("ingest", "logsvc-lambda-init", env=env, drop=drop)
                code = fn.wait()
                self.assertEqual(code, 1, fn.output())
                self.assertEqual(len(fn.runtime.init_errors), 1, fn.output())
                posted = fn.runtime.init_errors[0]
                doc = posted.json()
                self.assertEqual(set(doc), {"errorMessage", "errorType"}, doc)
                self.assertIsInstance(doc["errorType"], str)
                self.assertRegex(doc["errorType"], r"^Runtime\.[A-Za-z]+$")
                self.assertEqual(posted.headers.get("Lambda-Runtime-Function-Error-Type"),
                                 doc["errorType"])
                self.assertIn(mentioned.lower(), doc["errorMessage"].lower())
                self.assertEqual(fn.runtime.next_calls, [], "asked for an event after failing")
                self.assertEqual(fn.runtime.unexpected, [])

    def test_index_shards_with_trailing_garbage_is_an_init_error(self):
        # "8x" is not 8, as the server's --dynamodb-index-shards refuses it too.
        fn = self.function("ingest", "logsvc-lambda-init",
                           env={"LOGSVC_DYNAMODB_INDEX_SHARDS": "8x"})
        deadline = time.monotonic() + EXIT_TIMEOUT
        while fn.running() and not fn.runtime.next_calls and time.monotonic() < deadline:
            time.sleep(0.02)
        if fn.running():
            fn.finish()
        self.assertEqual(len(fn.runtime.init_errors), 1, fn.output())
        self.assertIn("LOGSVC_DYNAMODB_INDEX_SHARDS",
                      fn.runtime.init_errors[0].json()["errorMessage"])

    def test_dynamodb_stopped(self):
        engine = Dynalite()
        self.addCleanup(engine.close)
        table = self.new_table(engine)
        ingest = self.function("ingest", table, engine=engine)
        read = self.function("read_recent", table, engine=engine)
        first = self.assertCreated(ingest.url("POST", "/", {"severity": "info", "message": "up"}))

        engine.stop()
        for name, fn, method, path, body in [
                ("ingest", ingest, "POST", "/", {"severity": "error", "message": "down"}),
                ("direct", ingest, None, None, {"severity": "error", "message": "down"}),
                ("recent", read, "GET", "/", None),
                ("one", read, "GET", "/" + first["logId"], None)]:
            with self.subTest(name):
                start = time.monotonic()
                inv = fn.invoke(url_event(method, path, body) if method else body)
                secs = time.monotonic() - start
                self.assertUrlResponse(inv, 503, ERROR_KEYS)
                self.assertLess(secs, ANSWER_WITHIN, "took %.1f s to answer" % secs)
                sys.stderr.write("MEASURED %s, engine stopped -> 503 (%s): %.3f s\n"
                                 % (name, self.launcher.description, secs))
                self.assertTrue(fn.running(), fn.output())

        engine.start()
        deadline = time.monotonic() + RECOVER_WITHIN
        while True:
            inv = ingest.url("POST", "/", {"severity": "info", "message": "back"})
            if inv.response["statusCode"] != 503 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        again = self.assertCreated(inv)
        _, body = self.assertUrlResponse(read.url("GET", "/"), 200)
        listed = [e["logId"] for e in body["logs"]]
        self.assertIn(again["logId"], listed)
        self.assertEqual(listed[-1], first["logId"])
        self.assertNotIn("down", [e["message"] for e in body["logs"]])
        ingest.finish()
        read.finish()


class FromBuildTest(LambdaCases, LogsvcTestCase):
    """bootstrap straight from the build."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.launcher = BuildLauncher()


class FromZipTest(LambdaCases, LogsvcTestCase):
    """bootstrap from the Lambda zip, alone in a chroot with Lambda's environment only."""

    @classmethod
    def setUpClass(cls):
        zip_path = os.environ.get("LOGSVC_LAMBDA_ZIP")
        if not zip_path:
            raise unittest.SkipTest(
                "LOGSVC_LAMBDA_ZIP is not set: run scripts/package-lambda.sh and set "
                "LOGSVC_LAMBDA_ZIP=dist/logsvc-lambda.zip to run the cases on the packaged "
                "bootstrap in a chroot (scripts/test.sh does both)")
        super().setUpClass()
        launcher = ChrootLauncher(zip_path)
        if launcher.chroot is None:
            launcher.close()
            raise unittest.SkipTest("cannot chroot here (%s): the packaged bootstrap needs a "
                                    "root of its own; run as root or allow unprivileged user "
                                    "namespaces" % "; ".join(launcher.refusals))
        cls.launcher = launcher

    @classmethod
    def tearDownClass(cls):
        if cls.launcher is not None:
            cls.launcher.close()
        super().tearDownClass()

    def test_zip_layout(self):
        with zipfile.ZipFile(self.launcher.zip_path) as z:
            names = z.namelist()
            infos = {i.filename: i for i in z.infolist()}
        self.assertIn("bootstrap", names)
        self.assertTrue((infos["bootstrap"].external_attr >> 16) & 0o111,
                        "bootstrap is not executable in the zip")
        self.assertEqual({n.split("/")[0] for n in names}, {"bootstrap", "lib"}, names)
        task = os.path.join(self.launcher.root, TASK_ROOT.lstrip("/"))
        interpreter = elf_interpreter(os.path.join(task, "bootstrap"))
        self.assertIsNotNone(interpreter)
        self.assertTrue(interpreter.startswith(TASK_ROOT + "/lib/"), interpreter)
        self.assertIn(interpreter[len(TASK_ROOT) + 1:], names)
        # Nothing else is in the chroot: what runs there runs on the zip alone.
        self.assertEqual(os.listdir(self.launcher.root), ["var"])
        self.assertEqual(os.listdir(os.path.join(self.launcher.root, "var")), ["task"])


if __name__ == "__main__":
    unittest.main()
