"""The HTTP server against hostile clients, on raw sockets: request smuggling
through Transfer-Encoding, Host rules, memory held for clients that do not
read, endless chunk extensions and trailers, idle sockets against the
connection cap, running out of file descriptors, and the access log of
requests that never parsed.

Memory is read from /proc/<pid>/status (VmRSS, VmHWM). Under the sanitizers
(the binary carries __asan_init or __ubsan_handle_*) RSS includes ASan's shadow
memory and its quarantine of freed blocks (256 MiB), so the RSS bounds are not
asserted there; the rest of each test is, except running out of descriptors:
UBSan checks a virtual call's object through a pipe(2), which then fails, and
it reports a false "invalid vptr" and aborts. Each test prints what it
measured on stderr in lines starting with MEASURED."""

import http.client
import json
import os
import resource
import select
import socket
import sys
import threading
import time
import unittest

from harness import (HOST, REQUEST_TIMEOUT, LogsvcTestCase, logsvc_bin, read_until_close,
                     split_responses)

SMUGGLED = b'{"severity":"error","message":"SMUGGLED"}'
SMUGGLE = (b"POST /logs HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
           b"Content-Length: %d\r\n\r\n%s" % (len(SMUGGLED), SMUGGLED))

# The API's longest message: 10,000 code points; an emoji is written as
# "\ud83d\ude00" (12 bytes) in responses, so 100 of them make a 12 MB GET /logs.
BIG_MESSAGE = "\U0001F600" * 10000
BIG_BODY = json.dumps({"severity": "info", "message": BIG_MESSAGE}, ensure_ascii=False).encode()
MiB = 1 << 20


def measured(what, **values):
    print("MEASURED %s: %s" % (what, json.dumps(values)), file=sys.stderr, flush=True)


_sanitized = None


def under_sanitizers():
    """Whether the binary under test was built with ASan, UBSan or TSan."""
    global _sanitized
    if _sanitized is None:
        with open(logsvc_bin(), "rb") as f:
            binary = f.read()
        _sanitized = (b"__asan_init" in binary or b"__ubsan_handle_" in binary
                      or b"__tsan_init" in binary)
    return _sanitized


def under_tsan():
    """Whether the binary under test was built with ThreadSanitizer (5 to 15
    times slower: tests that need the server to keep a pace skip there)."""
    with open(logsvc_bin(), "rb") as f:
        return b"__tsan_init" in f.read()


def vm_status(pid):
    """VmRSS and VmHWM of a process, in bytes."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) * 1024
    return out


def open_sockets(pid):
    """How many sockets the process has open."""
    count = 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith("socket:"):
                count += 1
        except OSError:
            pass  # closed meanwhile
    return count


def wait_until(predicate, timeout, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def exchange(port, chunks, idle=2.0):
    """Sends raw bytes on a fresh socket; returns (everything the server sent,
    whether it closed the connection) once it closes or is `idle` seconds quiet."""
    with socket.create_connection((HOST, port), timeout=REQUEST_TIMEOUT) as s:
        try:
            for chunk in chunks:
                s.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # it closed early; what it sent is still to be read
        return read_until_close(s, idle)


def healthz(port, timeout):
    """The status of GET /healthz on a new connection, or what went wrong."""
    try:
        conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
        try:
            conn.request("GET", "/healthz")
            return conn.getresponse().status
        finally:
            conn.close()
    except OSError as e:  # socket.timeout included
        return repr(e)


def statuses(data):
    return [int(r[0].split()[1]) for r in split_responses(data)]


def fill_big_entries(server, count=100):
    """`count` entries of 10,000 emoji each, on one keep-alive connection."""
    conn = server.connection()
    try:
        for _ in range(count):
            conn.request("POST", "/logs", body=BIG_BODY,
                         headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            if response.status != 201:
                raise AssertionError("fill: POST /logs answered %d" % response.status)
    finally:
        conn.close()


def get_logs_unread(port, count, pause=0.0):
    """`count` sockets that each send GET /logs and do not read the reply."""
    sockets = []
    for _ in range(count):
        s = socket.create_connection((HOST, port), timeout=REQUEST_TIMEOUT)
        s.sendall(b"GET /logs HTTP/1.1\r\nHost: localhost\r\n\r\n")
        sockets.append(s)
        if pause:
            time.sleep(pause)
    return sockets


def status_line(s):
    """Reads just the status code of the reply waiting on a socket."""
    s.settimeout(REQUEST_TIMEOUT)
    data = b""
    while b"\r\n" not in data:
        chunk = s.recv(64)
        if not chunk:
            break
        data += chunk
    return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.") else None


class TransferEncodingTest(LogsvcTestCase):
    """RFC 9112 section 6: a body's length is known, or the request is refused
    and the connection closed; bytes after it never run as a second request."""

    def setUp(self):
        self.server = self.start_server(args=["--access-log"])

    def assertRefusedAndClosed(self, stream, status):
        data, closed = exchange(self.server.port, [stream])
        self.assertEqual(statuses(data), [status], data[:400])
        body = json.loads(split_responses(data)[0][2])
        self.assertEqual(set(body), {"statusCode", "error"})
        self.assertEqual(body["statusCode"], status)
        self.assertGreaterEqual(len(body["error"]), 20, body)
        self.assertTrue(closed, "the server kept the connection open after %d" % status)
        return body["error"]

    def assertNothingStored(self):
        reply = self.server.request("GET", "/logs")
        self.assertEqual(reply.status, 200)
        self.assertNotIn(b"SMUGGLED", reply.body)
        self.assertEqual(reply.json()["count"], 0, reply.body[:300])

    def test_transfer_encoding_not_ending_in_chunked_is_400_and_closes(self):
        cases = [b"Transfer-Encoding: identity", b"Transfer-Encoding: xchunked",
                 b"Transfer-Encoding: chunked, identity", b"Transfer-Encoding: chunked;x=1",
                 b"Transfer-Encoding: ", b"Transfer-Encoding: ,",
                 b"Transfer-Encoding: chunked\r\nTransfer-Encoding: identity"]
        for te in cases:
            with self.subTest(te):
                head = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n" + te + b"\r\n\r\n"
                error = self.assertRefusedAndClosed(head + SMUGGLE, 400)
                measured("refused", header=te.decode(), error=error)
        # HTTP/1.0 has no transfer codings: its framing is faulty (RFC 9112 section 6.1).
        self.assertRefusedAndClosed(b"POST /logs HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"
                                    b"%x\r\n%s\r\n0\r\n\r\n" % (len(SMUGGLED), SMUGGLED), 400)
        self.assertNothingStored()

    def test_chunked_twice_is_400_and_closes(self):
        for te in [b"Transfer-Encoding: chunked, chunked",
                   b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked"]:
            with self.subTest(te):
                head = b"POST /logs HTTP/1.1\r\nHost: localhost\r\n" + te + b"\r\n\r\n"
                self.assertRefusedAndClosed(head + b"0\r\n\r\n" + SMUGGLE, 400)
        self.assertNothingStored()

    def test_other_transfer_codings_are_501_and_close(self):
        # A well-formed chunked body that claims to be gzip-coded: the server
        # cannot decode it, so it refuses it (RFC 9112 section 6.1) unread.
        chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(SMUGGLED), SMUGGLED)
        for te in [b"Transfer-Encoding: gzip, chunked", b"Transfer-Encoding: deflate,chunked",
                   b"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked"]:
            with self.subTest(te):
                head = b"POST /logs HTTP/1.1\r\nHost: localhost\r\n" + te + b"\r\n\r\n"
                error = self.assertRefusedAndClosed(head + chunked + SMUGGLE, 501)
                measured("refused", header=te.decode(), error=error)
        self.assertNothingStored()

    def test_transfer_encoding_with_content_length_is_400_and_closes(self):
        chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(SMUGGLED), SMUGGLED)
        for both in [b"Transfer-Encoding: chunked\r\nContent-Length: 3",
                     b"Content-Length: 3\r\nTransfer-Encoding: chunked"]:
            with self.subTest(both):
                head = b"POST /logs HTTP/1.1\r\nHost: localhost\r\n" + both + b"\r\n\r\n"
                self.assertRefusedAndClosed(head + chunked + SMUGGLE, 400)
        self.assertNothingStored()

    def test_chunked_still_works(self):
        # Any letter case, extensions and a small trailer; the connection goes on.
        body = json.dumps({"severity": "info", "message": "chunked"}).encode()
        stream = (b"POST /logs HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: Chunked\r\n\r\n"
                  b"5;name=value\r\n" + body[:5] + b"\r\n%x\r\n" % (len(body) - 5) + body[5:]
                  + b"\r\n0\r\nX-Trailer: small\r\n\r\n"
                  b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        data, closed = exchange(self.server.port, [stream])
        self.assertEqual(statuses(data), [201, 200], data[:400])
        self.assertTrue(closed)
        logs = self.server.request("GET", "/logs").json()["logs"]
        self.assertEqual([e["message"] for e in logs], ["chunked"])

    def test_host_header_exactly_once_in_http11(self):
        # RFC 9112 section 3.2.
        for name, head in [("no Host", b"GET /healthz HTTP/1.1\r\n\r\n"),
                           ("two Hosts", b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nHost: 127.0.0.1\r\n\r\n")]:
            with self.subTest(name):
                self.assertRefusedAndClosed(head + SMUGGLE, 400)
        data, _ = exchange(self.server.port, [b"GET /healthz HTTP/1.0\r\n\r\n"])
        self.assertEqual(statuses(data), [200], data[:300])
        self.assertRefusedAndClosed(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\nHost: localhost\r\n\r\n", 400)
        self.assertNothingStored()


class ChunkLimitsTest(LogsvcTestCase):
    """What a chunked body may make the server hold: bounded like the header."""

    def setUp(self):
        self.server = self.start_server()

    def test_endless_chunk_extension_is_400(self):
        pid = self.server.proc.pid
        before = vm_status(pid)
        with socket.create_connection((HOST, self.server.port), timeout=REQUEST_TIMEOUT) as s:
            s.sendall(b"POST /logs HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5;")
            sent, piece = 0, b"a" * 65536
            # Up to 16 MiB, until the server answers.
            while sent < 16 * MiB and not select.select([s], [], [], 0)[0]:
                try:
                    s.sendall(piece)
                except (BrokenPipeError, ConnectionResetError):
                    break
                sent += len(piece)
            data, closed = read_until_close(s, 3.0)
        after = vm_status(pid)
        measured("chunk extension", sent_before_reply=sent, reply=data[:200].decode("latin-1"),
                 closed=closed, rss_growth=after["VmHWM"] - before["VmRSS"])
        self.assertEqual(statuses(data), [400], data[:300])
        self.assertIn(b"chunk", split_responses(data)[0][2])
        self.assertTrue(closed)
        self.assertLess(sent, 4 * MiB, "the server read megabytes of one chunk-size line")
        self.assertEqual(self.server.request("GET", "/logs").json()["count"], 0)

    def test_trailer_over_the_header_limit_is_431(self):
        body = json.dumps({"severity": "info", "message": "with a big trailer"}).encode()
        stream = (b"POST /logs HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"%x\r\n%s\r\n0\r\nX-Big: %s\r\n\r\n" % (len(body), body, b"b" * 20000))
        data, closed = exchange(self.server.port, [stream])
        measured("big trailer", reply=data[:300].decode("latin-1"), closed=closed)
        self.assertEqual(statuses(data), [431], data[:300])
        self.assertIn(b"trailer", split_responses(data)[0][2])
        self.assertTrue(closed)
        self.assertEqual(self.server.request("GET", "/logs").json()["count"], 0)
        self.assertFalse([l for l in self.server.stderr_lines if '"level":"error"' in l],
                         self.server.stderr_lines)


class UnreadRepliesTest(LogsvcTestCase):
    """Clients that ask for a 12 MB GET /logs and never read it: what the server
    holds for them is bounded, in total and in time."""

    def start(self, env=None):
        server = self.start_server(env=env)
        fill_big_entries(server)
        size = len(server.request("GET", "/logs").body)
        self.assertGreater(size, 11_000_000)
        return server, size

    def close_all(self, sockets):
        for s in sockets:
            s.close()

    def test_one_shared_body_for_100_unread_replies(self):
        server, size = self.start()
        pid = server.proc.pid
        base = vm_status(pid)["VmRSS"]
        sockets = get_logs_unread(server.port, 100)
        self.addCleanup(self.close_all, sockets)
        time.sleep(2.0)
        peak = vm_status(pid)["VmHWM"]
        # The server still serves, and each reader gets its 200.
        self.assertEqual(server.request("GET", "/healthz").status, 200)
        codes = [status_line(s) for s in sockets]
        measured("100 unread GET /logs", body_bytes=size, rss_before=base, hwm=peak,
                 growth=peak - base, statuses={c: codes.count(c) for c in set(codes)})
        self.assertEqual(codes, [200] * 100)
        if not under_sanitizers():
            # 100 copies would be 1.2 GB; one shared body is 12 MB.
            self.assertLess(peak - base, 100 * MiB)

    @unittest.skipIf(os.environ.get("TSAN_OPTIONS") is not None and under_tsan(),
                     "needs ingest to change GET /logs every 10 ms; the Release and ASan runs "
                     "have it")
    def test_unread_replies_bounded_while_ingest_changes_every_body(self):
        limit = 40 * MiB
        server, size = self.start(env={"LOGSVC_MAX_PENDING_RESPONSE_BYTES": str(limit)})
        pid = server.proc.pid
        base = vm_status(pid)["VmRSS"]
        stop = threading.Event()
        ingested = [0]

        # A new entry every 10 ms at most, so that every GET /logs body differs
        # while what the store itself keeps (40 KB an entry) stays small.
        def ingest():
            conn = server.connection()
            while not stop.is_set() and ingested[0] < 200:
                conn.request("POST", "/logs", body=BIG_BODY)
                response = conn.getresponse()
                response.read()
                ingested[0] += 1
                time.sleep(0.01)
            conn.close()

        writer = threading.Thread(target=ingest, daemon=True)
        writer.start()
        try:
            sockets = get_logs_unread(server.port, 100, pause=0.01)
            self.addCleanup(self.close_all, sockets)
            time.sleep(2.0)
        finally:
            stop.set()
            writer.join(10)
        peak = vm_status(pid)["VmHWM"]
        self.assertEqual(server.request("GET", "/healthz").status, 200)
        codes = [status_line(s) for s in sockets]
        measured("100 unread GET /logs while ingesting", body_bytes=size, ingested=ingested[0],
                 limit=limit, rss_before=base, hwm=peak, growth=peak - base,
                 statuses={c: codes.count(c) for c in set(codes)})
        self.assertEqual(set(codes) - {200, 503}, set(), codes)
        self.assertIn(200, codes)
        self.assertIn(503, codes, "every reply fit: the bodies did not differ?")
        if not under_sanitizers():
            # The budget, one body being encoded (12 MB, in a 16 MB string
            # grown from 8), the entries ingested meanwhile (8 MB at most).
            self.assertLess(peak - base, limit + 64 * MiB)

    def test_reader_that_stalls_is_closed_after_the_write_timeout(self):
        server, size = self.start(env={"LOGSVC_WRITE_TIMEOUT": "1"})
        pid = server.proc.pid
        # Once the connections of the fill are gone: the listener alone.
        wait_until(lambda: open_sockets(pid) <= 1, 5)
        baseline = open_sockets(pid)
        sockets = get_logs_unread(server.port, 10)
        self.addCleanup(self.close_all, sockets)
        # All ten accepted and stalled (well within the 1 s timeout).
        self.assertTrue(wait_until(lambda: open_sockets(pid) >= baseline + 10, 0.8))
        opened = open_sockets(pid)
        started = time.monotonic()
        closed = wait_until(lambda: open_sockets(pid) <= baseline, 6)
        waited = time.monotonic() - started
        measured("stalled readers", sockets_before=baseline, sockets_with_readers=opened,
                 sockets_after=open_sockets(pid), seconds=round(waited, 2))
        self.assertTrue(closed, "the server still holds the connections of stalled readers")
        # Each reader gets part of the body and then the end of the stream.
        for s in sockets:
            data, eof = read_until_close(s, 5.0)
            self.assertTrue(eof, "the reply went on after the write timeout")
            self.assertLess(len(data), size)
        self.assertEqual(server.request("GET", "/healthz").status, 200)


class ConnectionLimitTest(LogsvcTestCase):
    """--max-connections, its default from the descriptor limit, and accept()
    when descriptors run out."""

    def idle_sockets_against(self, max_connections, descriptors, count):
        """A server with --max-connections `max_connections` (by environment,
        which older binaries ignore) whose descriptor limit is then lowered to
        `descriptors`, and `count` sockets that connect to it and send nothing."""
        server = self.start_server(env={"LOGSVC_MAX_CONNECTIONS": str(max_connections)})
        resource.prlimit(server.proc.pid, resource.RLIMIT_NOFILE, (descriptors, descriptors))
        sockets = []
        self.addCleanup(lambda: [s.close() for s in sockets])
        for _ in range(count):
            sockets.append(socket.create_connection((HOST, server.port), timeout=REQUEST_TIMEOUT))
        return server, sockets

    def test_default_from_the_descriptor_limit(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY or hard < 2048:
            self.skipTest("needs a finite hard limit of at least 2048 descriptors")
        # A lower soft limit is raised to the hard one, as servers do.
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))
        try:
            server = self.start_server()
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        with open("/proc/%d/limits" % server.proc.pid) as f:
            line = [l for l in f if l.startswith("Max open files")][0].split()
        measured("descriptor limit", limits=line[3:5], started=server.started)
        self.assertEqual(int(line[3]), hard)
        self.assertEqual(server.started["max_connections"], hard - 512)

    def test_idle_sockets_cannot_starve_a_client(self):
        server, idle = self.idle_sockets_against(64, descriptors=256, count=400)
        time.sleep(0.5)
        started = time.monotonic()
        status = healthz(server.port, timeout=5)
        seconds = time.monotonic() - started
        held = open_sockets(server.proc.pid)
        # The oldest idle sockets were closed to make room.
        evicted = sum(1 for s in idle[:50] if read_until_close(s, 0.2) == (b"", True))
        measured("400 idle sockets, cap 64", status=status, seconds=round(seconds, 3),
                 server_sockets=held, oldest_50_closed=evicted)
        self.assertEqual(status, 200)
        self.assertLessEqual(held, 64 + 2)  # the cap, the listener, one being replaced
        self.assertEqual(evicted, 50)

    def test_accept_backs_off_when_descriptors_run_out(self):
        if under_sanitizers():
            self.skipTest("out of descriptors, UBSan's vptr check fails (it needs a pipe) "
                          "and aborts the server")
        server, idle = self.idle_sockets_against(10000, descriptors=64, count=120)
        time.sleep(3.0)
        warnings = [l for l in server.stderr_lines if '"level":"warn"' in l and "accept" in l]
        for s in idle:
            s.close()
        started = time.monotonic()
        served = wait_until(lambda: healthz(server.port, timeout=1) == 200, 5, step=0.1)
        seconds = time.monotonic() - started
        measured("out of descriptors", accept_warnings=len(warnings), first=warnings[:2],
                 served_again_after=round(seconds, 2))
        self.assertTrue(served, "no client served once descriptors were free again")
        self.assertEqual(len(warnings), 1, warnings[:5])


class AccessLogTest(LogsvcTestCase):
    """The access log line of a request that failed before it was parsed."""

    def test_duration_and_what_is_known_of_failed_requests(self):
        server = self.start_server(args=["--access-log", "--max-body-bytes", "100"])
        data, _ = exchange(server.port, [b"THIS IS NOT HTTP\r\n\r\n"])
        self.assertEqual(statuses(data), [400])
        # Its first bytes a second before the rest: the duration counts from them.
        with socket.create_connection((HOST, server.port), timeout=REQUEST_TIMEOUT) as s:
            s.sendall(b"GET /a HTT")
            time.sleep(1.0)
            s.sendall(b"X/9.9\r\n\r\n")
            data, _ = read_until_close(s, 2.0)
        self.assertEqual(statuses(data), [400])
        data, _ = exchange(server.port, [b"POST /logs?x=1 HTTP/1.1\r\nHost: localhost\r\n"
                                         b"Content-Length: 101\r\n\r\n" + b"x" * 101])
        self.assertEqual(statuses(data), [413])
        server.stop()
        lines = [json.loads(l) for l in server.stderr_lines if '"msg":"request"' in l]
        measured("access log", lines=lines)
        self.assertEqual([l["status"] for l in lines], [400, 400, 413])
        for line in lines:
            self.assertGreaterEqual(line["duration_us"], 0, line)
            self.assertLess(line["duration_us"], 5_000_000, line)
        self.assertGreaterEqual(lines[1]["duration_us"], 900_000, lines[1])
        self.assertEqual((lines[0]["method"], lines[0]["path"]), ("", ""))
        self.assertEqual((lines[2]["method"], lines[2]["path"]), ("POST", "/logs"))


if __name__ == "__main__":
    unittest.main()
