"""A fault-injecting HTTP proxy between logsvc and a DynamoDB engine (dynalite),
and a check of the AWS Signature Version 4 on the requests it saw.

Python 3 standard library only. logsvc is pointed at the proxy with
--dynamodb-endpoint http://127.0.0.1:<proxy.port>; the proxy forwards each
request to the engine and relays the reply, except for the requests a rule
says to break:

    proxy = FaultProxy(dynalite.port)
    proxy.fail("PutItem", "error500", count=2)   # the next 2 PutItems: forwarded, answered 500
    ...
    [r.action for r in proxy.requests("PutItem")]  # what happened to each, in order

Actions (`forward` says whether the engine gets the request; the default is
given in brackets):
    "error500"  answer HTTP 500 InternalServerError [forwarded: written, reply lost]
    "throttle"  answer HTTP 400 ProvisionedThroughputExceededException [not forwarded]
    "drop"      close the connection without an answer [forwarded]
    "stall"     answer nothing and keep the connection open until release()
                or close() [not forwarded]
    "unprocessed"  (BatchWriteItem) forward the first half of its items only, and
                answer 200 with the rest as UnprocessedItems, as DynamoDB does when
                it throttles part of a batch [forwarded: that half]
The engine being unreachable from the proxy closes the client's connection too.
"""

import datetime
import hashlib
import hmac
import http.client
import json
import posixpath
import re
import socket
import threading
import time
import urllib.parse

HOST = "127.0.0.1"

ERROR_REPLIES = {
    "error500": (500, "Internal Server Error", {
        "__type": "com.amazonaws.dynamodb.v20120810#InternalServerError",
        "message": "Internal server error (injected by the test proxy)"}),
    "throttle": (400, "Bad Request", {
        "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        "message": "The level of configured provisioned throughput for the table was exceeded. "
                   "Consider increasing your provisioning level with the UpdateTable API. "
                   "(injected by the test proxy)"}),
}
FORWARD_BY_DEFAULT = {"error500": True, "throttle": False, "drop": True, "stall": False,
                      "unprocessed": True}
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "te",
              "trailer", "upgrade", "proxy-connection"}


class Request:
    """One request the proxy received, and what it did with it."""

    def __init__(self, method, path, headers, body):
        self.method = method
        self.path = path
        self.headers = headers  # [(name, value)] as received
        self.body = body
        self.target = ""        # the operation, e.g. "PutItem", from X-Amz-Target
        for name, value in headers:
            if name.lower() == "x-amz-target":
                self.target = value.rpartition(".")[2]
        self.action = None      # None (relayed), or the injected action
        self.forwarded = False
        self.status = None      # the status the client got (None: no answer)
        self.reply_body = None  # the body the client got
        self.time = time.monotonic()

    def header(self, name):
        values = [v for n, v in self.headers if n.lower() == name.lower()]
        return ",".join(values) if values else None

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def reply_json(self):
        return json.loads(self.reply_body.decode("utf-8"))

    def __repr__(self):
        return "<%s %s action=%s status=%s>" % (self.method, self.target or self.path,
                                                self.action, self.status)


class _Rule:
    def __init__(self, target, action, count, forward):
        self.target, self.action, self.count, self.forward = target, action, count, forward


class FaultProxy:
    """Listens on 127.0.0.1:<free port> (self.port) and forwards to upstream_port."""

    def __init__(self, upstream_port, upstream_host=HOST):
        self.upstream = (upstream_host, upstream_port)
        self._lock = threading.Lock()
        self._rules = []
        self._seen = []
        self._clients = set()
        self._released = threading.Event()
        self._closed = threading.Event()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((HOST, 0))
        self._listener.listen(128)
        self.port = self._listener.getsockname()[1]
        self.endpoint = "http://%s:%d" % (HOST, self.port)
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    # Rules.

    def fail(self, target, action, count=1, forward=None):
        """The next `count` requests for operation `target` ("PutItem", "Query", ...
        or "*" for any) get `action` (see the module comment)."""
        if action not in FORWARD_BY_DEFAULT:
            raise ValueError("unknown action %r" % action)
        with self._lock:
            self._rules.append(_Rule(target, action, count,
                                     FORWARD_BY_DEFAULT[action] if forward is None else forward))

    def clear(self):
        """Drops every pending rule and lets stalled requests go (closing them)."""
        with self._lock:
            self._rules = []
        self.release()

    def release(self):
        """Ends every stalled request: its connection is closed unanswered."""
        with self._lock:
            released, self._released = self._released, threading.Event()
        released.set()

    def pending(self):
        """How many injections the rules still hold."""
        with self._lock:
            return sum(r.count for r in self._rules)

    def requests(self, target=None):
        """The requests seen so far (for operation `target`), oldest first."""
        with self._lock:
            return [r for r in self._seen if target is None or r.target == target]

    def close(self):
        self._closed.set()
        self.release()
        try:
            self._listener.close()
        except OSError:
            pass
        with self._lock:
            clients = list(self._clients)
        for c in clients:
            _close_quietly(c)

    def _take(self, target):
        with self._lock:
            for rule in self._rules:
                if rule.count > 0 and rule.target in (target, "*"):
                    rule.count -= 1
                    if rule.count == 0:
                        self._rules.remove(rule)
                    return rule.action, rule.forward
        return None, True

    # The proxy itself.

    def _accept_loop(self):
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._clients.add(client)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        upstream = None
        rfile = client.makefile("rb")
        try:
            while not self._closed.is_set():
                request = _read_request(rfile)
                if request is None:
                    return
                action, forward = self._take(request.target)
                request.action = action
                with self._lock:
                    self._seen.append(request)
                reply = None
                forwarded_request, unprocessed = request, None
                if action == "unprocessed":
                    forwarded_request, unprocessed = _split_batch(request)
                    forward = forwarded_request is not None
                if forward:
                    try:
                        if upstream is None:
                            upstream = http.client.HTTPConnection(*self.upstream, timeout=30)
                        reply = _forward(upstream, forwarded_request)
                    except (OSError, http.client.HTTPException):
                        # The engine is gone, or closed its keep-alive connection: one
                        # fresh try, then the client sees its connection close.
                        _close_quietly(upstream)
                        upstream = None
                        try:
                            upstream = http.client.HTTPConnection(*self.upstream, timeout=30)
                            reply = _forward(upstream, forwarded_request)
                        except (OSError, http.client.HTTPException):
                            return
                    request.forwarded = True
                if action == "stall":
                    with self._lock:
                        released = self._released
                    released.wait(120)
                    return
                if action == "drop":
                    return
                if action in ERROR_REPLIES:
                    status, reason, body = ERROR_REPLIES[action]
                    body = json.dumps(body).encode()
                    headers = [("Content-Type", "application/x-amz-json-1.0"),
                               ("x-amzn-RequestId", "INJECTED" + "0" * 44)]
                    reply = (status, reason, headers, body)
                if action == "unprocessed" and (reply is None or reply[0] == 200):
                    body = json.dumps({"UnprocessedItems": unprocessed}).encode()
                    reply = (200, "OK", [("Content-Type", "application/x-amz-json-1.0")], body)
                request.status = reply[0]
                request.reply_body = reply[3]
                client.sendall(_encode_reply(*reply))
                if (request.header("Connection") or "").lower() == "close":
                    return
        except OSError:
            return
        finally:
            _close_quietly(upstream)
            _close_quietly(rfile)
            _close_quietly(client)
            with self._lock:
                self._clients.discard(client)


def _close_quietly(thing):
    if thing is not None:
        try:
            thing.close()
        except OSError:
            pass


def _read_request(rfile):
    """One HTTP/1.1 request from the client, or None at a clean end of the stream."""
    line = rfile.readline(65537)
    while line in (b"\r\n", b"\n"):  # tolerated before a request line
        line = rfile.readline(65537)
    if not line:
        return None
    method, _, rest = line.decode("latin-1").rstrip("\r\n").partition(" ")
    path, _, version = rest.rpartition(" ")
    if not method or not path or not version.startswith("HTTP/"):
        raise OSError("bad request line %r" % line)
    headers = []
    while True:
        h = rfile.readline(65537)
        if not h:
            raise OSError("connection closed in the headers")
        h = h.decode("latin-1").rstrip("\r\n")
        if not h:
            break
        name, _, value = h.partition(":")
        headers.append((name.strip(), value.strip()))
    lower = {n.lower(): v for n, v in headers}
    if "chunked" in lower.get("transfer-encoding", "").lower():
        body = b""
        while True:
            size = int(rfile.readline(65537).split(b";")[0].strip(), 16)
            if size == 0:
                while rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass
                break
            body += rfile.read(size)
            rfile.readline(65537)
    else:
        body = rfile.read(int(lower.get("content-length", "0")))
    return Request(method, path, headers, body)


def _split_batch(request):
    """A BatchWriteItem `request` cut in two: a copy with the first half of each
    table's items (None if that is nothing), and the rest, as UnprocessedItems."""
    items = request.json()["RequestItems"]
    kept, rest = {}, {}
    for table, writes in items.items():
        half = len(writes) // 2
        if half:
            kept[table] = writes[:half]
        rest[table] = writes[half:]
    if not kept:
        return None, rest
    body = json.dumps({"RequestItems": kept}).encode()
    return Request(request.method, request.path, request.headers, body), rest


def _forward(upstream, request):
    headers = {}
    for name, value in request.headers:
        if name.lower() not in HOP_BY_HOP:
            headers[name] = value
    upstream.request(request.method, request.path, body=request.body, headers=headers)
    response = upstream.getresponse()
    body = response.read()
    return (response.status, response.reason,
            [(n, v) for n, v in response.getheaders() if n.lower() not in HOP_BY_HOP], body)


def _encode_reply(status, reason, headers, body):
    head = "HTTP/1.1 %d %s\r\n" % (status, reason)
    for name, value in headers:
        head += "%s: %s\r\n" % (name, value)
    head += "Content-Length: %d\r\n\r\n" % len(body)
    return head.encode("latin-1") + body


# AWS Signature Version 4, checked the way AWS checks it.

AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, ?SignedHeaders=(?P<signed>[a-z0-9;-]+), ?"
    r"Signature=(?P<signature>[0-9a-f]{64})$")


def _hmac(key, text):
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def _uri_encode(text, keep_slash):
    return urllib.parse.quote(text, safe="/~" if keep_slash else "~")


def _normalize_path(path):
    """RFC 3986 dot segments removed, repeated slashes collapsed (all services but S3)."""
    normal = posixpath.normpath(re.sub(r"/+", "/", path or "/"))
    if path.endswith("/") and normal != "/":
        normal += "/"
    return normal


def sigv4_problems(request, access_key, secret_key, region, service="dynamodb",
                   session_token=None, max_skew_seconds=300):
    """What is wrong with the signature of `request` (a Request), as a list of
    sentences: empty when it is what AWS would accept for these credentials."""
    problems = []
    auth = request.header("Authorization")
    match = AUTHORIZATION.match(auth or "")
    if not match:
        return ["Authorization header is not a SigV4 one: %r" % auth]
    if match["key"] != access_key:
        problems.append("signed with access key %r, not %r" % (match["key"], access_key))
    if match["region"] != region:
        problems.append("signed for region %r, not %r" % (match["region"], region))
    if match["service"] != service:
        problems.append("signed for service %r, not %r" % (match["service"], service))
    amz_date = request.header("X-Amz-Date") or ""
    try:
        when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.timezone.utc)
    except ValueError:
        return problems + ["X-Amz-Date %r is not YYYYMMDDTHHMMSSZ" % amz_date]
    skew = abs((datetime.datetime.now(datetime.timezone.utc) - when).total_seconds())
    if skew > max_skew_seconds:
        problems.append("X-Amz-Date %s is %d s away from now" % (amz_date, skew))
    if amz_date[:8] != match["date"]:
        problems.append("credential scope date %s is not X-Amz-Date's %s"
                        % (match["date"], amz_date[:8]))
    token = request.header("X-Amz-Security-Token")
    if token != session_token:
        problems.append("X-Amz-Security-Token is %r, not %r" % (token, session_token))
    signed = match["signed"].split(";")
    if signed != sorted(signed):
        problems.append("SignedHeaders %r are not sorted" % match["signed"])
    for required in ("host", "x-amz-date"):
        if required not in signed:
            problems.append("SignedHeaders %r lack %s" % (match["signed"], required))
    present = {n.lower() for n, _ in request.headers}
    for name in signed:
        if name not in present:
            problems.append("signed header %s is not in the request" % name)
    path, _, query = request.path.partition("?")
    # The request line was read as Latin-1: back to its bytes, which are UTF-8.
    path = urllib.parse.unquote(path.encode("latin-1").decode("utf-8", "surrogateescape"))
    query = query.encode("latin-1").decode("utf-8", "surrogateescape")
    canonical_path = _uri_encode(_normalize_path(path), keep_slash=True)
    pairs = sorted((_uri_encode(urllib.parse.unquote(k), False),
                    _uri_encode(urllib.parse.unquote(v), False))
                   for k, _, v in (p.partition("=") for p in query.split("&") if p))
    canonical_query = "&".join("%s=%s" % kv for kv in pairs)
    canonical_headers = ""
    for name in signed:
        values = [re.sub(r"\s+", " ", v.strip()) for n, v in request.headers if n.lower() == name]
        canonical_headers += "%s:%s\n" % (name, ",".join(values))
    payload_hash = hashlib.sha256(request.body).hexdigest()
    declared = request.header("X-Amz-Content-Sha256")
    if declared is not None and declared != payload_hash:
        problems.append("X-Amz-Content-Sha256 %s is not the body's hash %s"
                        % (declared, payload_hash))
    canonical_request = "\n".join([request.method, canonical_path, canonical_query,
                                   canonical_headers, match["signed"], payload_hash])
    scope = "%s/%s/%s/aws4_request" % (match["date"], region, service)
    string_to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                                hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()])
    key = _hmac(("AWS4" + secret_key).encode("utf-8"), match["date"])
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    expected = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    if match["signature"] != expected:
        problems.append("signature %s is not %s; canonical request:\n%s"
                        % (match["signature"], expected, canonical_request))
    return problems
