"""How test_search_contract.py reaches each backend: `logsvc serve` over HTTP,
or the Lambda functions through Function URL events under the local Runtime
API. Each answers get(path) and post(body) with an Answer (status and JSON
body), having checked what carries it (Content-Type, Content-Length; a
Function URL response's envelope and CORS header), and finish() at the end.
"""

import json
import urllib.parse
import uuid

from harness import dynamo, shared_dynalite
from runtime_api import parse_json
from test_lambda import BuildLauncher, Function, LambdaCases, url_event

NDJSON = "application/x-ndjson"


def ndjson(entries):
    """Entries as NDJSON: one JSON document a line, each ending in a newline."""
    return "".join(json.dumps(e) + "\n" for e in entries)


def query_string(params):
    """URL-encodes parameters (a dict, or a list of pairs): every byte but
    unreserved ones as %XX, so '+' in an offset is %2B and a space %20."""
    items = params.items() if isinstance(params, dict) else params
    return "&".join("%s=%s" % (urllib.parse.quote(k, safe=""), urllib.parse.quote(v, safe=""))
                    for k, v in items)


class Answer:
    """A JSON reply, whatever carried it: status and body (parsed)."""

    def __init__(self, status, body, raw):
        self.status = status
        self.body = body
        self.raw = raw

    def __repr__(self):
        return "<Answer %d %s>" % (self.status, self.raw[:300])


class ServerBackend:
    """`logsvc serve`: real HTTP on loopback."""

    def __init__(self, server):
        self.server = server

    def get(self, path):
        return self._answer(self.server.request("GET", path))

    def post(self, body, content_type="application/json"):
        return self._answer(self.server.request("POST", "/logs", body,
                                                headers={"Content-Type": content_type}))

    @staticmethod
    def _answer(reply):
        if reply.header("Content-Type") != "application/json":
            raise AssertionError("not a JSON reply: %r %r" % (reply, dict(reply.headers)))
        if int(reply.header("Content-Length")) != len(reply.body):
            raise AssertionError("Content-Length is not the body's length: %r" % reply)
        return Answer(reply.status, reply.json(), reply.body.decode("utf-8"))

    def finish(self):
        code = self.server.stop()
        if code != 0:
            raise AssertionError("logsvc exited with %d after SIGTERM: %s"
                                 % (code, self.server.stderr_lines[-10:]))


class FunctionOwner:
    """What test_lambda.Function needs of its test, for functions that live as
    long as a test class: the launcher, Lambda's environment, class cleanups."""

    lambda_env = LambdaCases.lambda_env

    def __init__(self, cls):
        self.launcher = BuildLauncher()
        self._cls = cls

    def addCleanup(self, function, *args):
        self._cls.addClassCleanup(function, *args)


class LambdaBackend:
    """The ingest and read_recent functions, invoked through Function URL events."""

    READ_PATHS = {"/logs": "/", "/logs/stats": "/stats"}

    def __init__(self, owner, table, endpoint, shards):
        self.ingest = Function(owner, "ingest", table, endpoint, shards)
        self.read = Function(owner, "read_recent", table, endpoint, shards)

    def get(self, path):
        parts = urllib.parse.urlsplit(path)
        target = self.READ_PATHS.get(parts.path)
        if target is None:
            assert parts.path.startswith("/logs/"), path
            target = parts.path[len("/logs"):]
        event = url_event("GET", target)
        event["rawQueryString"] = parts.query
        # As a Function URL passes them: repeated names joined with commas.
        params = {}
        for name, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True):
            params[name] = params[name] + "," + value if name in params else value
        if params:
            event["queryStringParameters"] = params
        else:
            event.pop("queryStringParameters", None)
        return self._answer(self.read.invoke(event))

    def post(self, body, content_type="application/json"):
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        if isinstance(body, bytes):
            body = body.decode("utf-8")
        return self._answer(self.ingest.invoke(url_event("POST", "/", body,
                                                         headers={"Content-Type": content_type})))

    @staticmethod
    def _answer(inv):
        doc = inv.response
        headers = {k.lower(): v for k, v in doc.get("headers", {}).items()}
        if headers.get("content-type") != "application/json" or \
                headers.get("access-control-allow-origin") != "*":
            raise AssertionError("not the JSON reply of a Function URL: %r" % doc)
        if doc.get("isBase64Encoded") is not False or not isinstance(doc.get("body"), str):
            raise AssertionError("a Function URL response with a text body expected: %r" % doc)
        body = parse_json(doc["body"].encode("utf-8"))
        return Answer(doc["statusCode"], body, doc["body"])

    def finish(self):
        """The Runtime API goes away: each process must exit with status 1 (under
        ASan, LeakSanitizer changes that status if anything leaked)."""
        for fn in (self.ingest, self.read):
            fn.runtime.close_runtime()
            code = fn.wait()
            if code != 1:
                raise AssertionError("bootstrap exit status %d, not 1: %s" % (code, fn.output()))


def new_table():
    engine = shared_dynalite()
    table = "logsvc-contract-" + uuid.uuid4().hex[:16]
    dynamo(engine.endpoint, "create-table", table)
    return engine, table
