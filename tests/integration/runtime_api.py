"""A local AWS Lambda Runtime API, for running `bootstrap` (logsvc's Lambda
functions) outside Lambda (Python 3 standard library only).

The test queues events; the function's process long-polls for them and posts
back one response (or error) per request id, as on Lambda:

    GET  /2018-06-01/runtime/invocation/next           the next queued event (200),
                                                       or 500 once close_runtime() was called
    POST /2018-06-01/runtime/invocation/{id}/response  recorded, 202
    POST /2018-06-01/runtime/invocation/{id}/error     recorded, 202
    POST /2018-06-01/runtime/init/error                recorded, 202
https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html

    api = RuntimeApi()                 # 127.0.0.1:<free port>; api.address for
                                       # AWS_LAMBDA_RUNTIME_API
    result = api.invoke({"severity": "info", "message": "x"})
    result.response                    # the posted document, parsed
    api.close_runtime()                # /next answers 500 from now on: the
                                       # process is expected to exit
    api.close()
"""

import http.server
import json
import queue
import sys
import threading
import time
import uuid

HOST = "127.0.0.1"
PREFIX = "/2018-06-01/runtime"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:logsvc-test"


def _no_duplicate_keys(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise AssertionError("duplicate keys in a JSON object: %r" % keys)
    return dict(pairs)


def parse_json(data):
    """Parses JSON bytes; AssertionError if it is not JSON or an object repeats a key."""
    try:
        return json.loads(data.decode("utf-8"), object_pairs_hook=_no_duplicate_keys)
    except (UnicodeDecodeError, ValueError) as e:
        raise AssertionError("not JSON (%s): %r" % (e, data[:300]))


class Posted:
    """What the function posted for a request (or for init): path, headers, body."""

    def __init__(self, kind, path, headers, body):
        self.kind = kind  # "response", "error" or "init-error"
        self.path = path
        self.headers = headers  # an email.message.Message: case-insensitive lookups
        self.body = body
        self.at = time.monotonic()

    def json(self):
        return parse_json(self.body)

    def __repr__(self):
        return "<Posted %s %r>" % (self.kind, self.body[:300])


class Invocation:
    """One queued event and what came back for it."""

    def __init__(self, request_id, event):
        self.request_id = request_id
        self.event = event  # bytes
        self.taken = threading.Event()   # the function fetched it with /next
        self.done = threading.Event()    # a response or an error was posted
        self.posted = None               # the Posted

    @property
    def response(self):
        """The posted response document, parsed; AssertionError if it was an error."""
        if self.posted is None or self.posted.kind != "response":
            raise AssertionError("request %s got %r, not a response"
                                 % (self.request_id, self.posted))
        return self.posted.json()


class RuntimeApi:
    """The Runtime API on 127.0.0.1:<free port>, served by a thread pool."""

    POLL = 0.02  # seconds between looks at the queue while /next waits

    def __init__(self):
        self._queue = queue.Queue()
        self._lock = threading.Lock()
        self._invocations = {}  # request id -> Invocation
        self._closing = threading.Event()
        self.init_errors = []  # Posted
        self.next_calls = []   # time.monotonic() of each GET /next as it arrived
        self.unexpected = []   # requests that are not part of the Runtime API
        self._first_next = threading.Event()
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as Lambda's Runtime API does
            # Headers and body go out in two writes: with Nagle's algorithm the
            # body waits for the client's delayed ACK of the headers, 40 ms on
            # Linux, which made every invocation take ~90 ms instead of ~5.
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def _send(self, status, body=b"", headers=None):
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()

            def _read_body(self):
                if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                    data = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return data
                        data += self.rfile.read(size)
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def do_GET(self):
                if self.path != PREFIX + "/invocation/next":
                    api.unexpected.append(("GET", self.path))
                    return self._send(404, b'{"errorMessage":"no such path"}')
                with api._lock:
                    api.next_calls.append(time.monotonic())
                api._first_next.set()
                while True:
                    if api._closing.is_set():
                        return self._send(500, b'{"errorMessage":"the runtime is shutting down",'
                                               b'"errorType":"Runtime.ExitError"}')
                    try:
                        inv = api._queue.get(timeout=api.POLL)
                    except queue.Empty:
                        continue
                    break
                deadline = int(time.time() * 1000) + 30_000
                self._send(200, inv.event, {
                    "Lambda-Runtime-Aws-Request-Id": inv.request_id,
                    "Lambda-Runtime-Deadline-Ms": str(deadline),
                    "Lambda-Runtime-Invoked-Function-Arn": FUNCTION_ARN,
                    "Lambda-Runtime-Trace-Id":
                        "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1",
                })
                inv.taken.set()

            def do_POST(self):
                body = self._read_body()
                path = self.path
                if path == PREFIX + "/init/error":
                    with api._lock:
                        api.init_errors.append(Posted("init-error", path, self.headers, body))
                    return self._send(202, b'{"status":"OK"}')
                parts = path[len(PREFIX):].split("/") if path.startswith(PREFIX + "/") else []
                # ["", "invocation", id, "response" | "error"]
                if len(parts) == 4 and parts[1] == "invocation" and parts[3] in ("response", "error"):
                    with api._lock:
                        inv = api._invocations.get(parts[2])
                        if inv is None or not inv.taken.is_set() or inv.done.is_set():
                            inv = None
                        else:
                            inv.posted = Posted(parts[3], path, self.headers, body)
                    if inv is None:
                        api.unexpected.append(("POST", path))
                        return self._send(400, b'{"errorMessage":"unknown or answered request id",'
                                               b'"errorType":"InvalidRequestID"}')
                    inv.done.set()
                    return self._send(202, b'{"status":"OK"}')
                api.unexpected.append(("POST", path))
                self._send(404, b'{"errorMessage":"no such path"}')

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                # A process killed while it waits on /next, or mid-request: not news.
                if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
                    super().handle_error(request, client_address)

        self._server = Server((HOST, 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def address(self):
        """The value for AWS_LAMBDA_RUNTIME_API."""
        return "%s:%d" % (HOST, self.port)

    def enqueue(self, event, request_id=None):
        """Queues an event (a dict/list, str or bytes); returns its Invocation."""
        if isinstance(event, (dict, list)):
            event = json.dumps(event).encode("utf-8")
        elif isinstance(event, str):
            event = event.encode("utf-8")
        inv = Invocation(request_id or str(uuid.uuid4()), event)
        with self._lock:
            self._invocations[inv.request_id] = inv
        self._queue.put(inv)
        return inv

    def invoke(self, event, timeout=20):
        """Queues an event and waits for what the function posts back for it."""
        inv = self.enqueue(event)
        if not inv.done.wait(timeout):
            raise AssertionError("no response for request %s within %ss (event taken: %s)"
                                 % (inv.request_id, timeout, inv.taken.is_set()))
        return inv

    def wait_first_next(self, timeout):
        return self._first_next.wait(timeout)

    def close_runtime(self):
        """From now on every /next (including those waiting) answers 500."""
        self._closing.set()

    def close(self):
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
