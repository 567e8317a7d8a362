"""A Server-Sent Events client for the tests (standard library only): opens
GET /logs/tail (or any event stream) on its own connection and reads its
events on a thread, as the EventSource of a browser parses them (the WHATWG
HTML "event stream interpretation": id, event, data and comment lines, a
blank line ends an event)."""

import collections
import http.client
import json
import queue
import threading
import time

from harness import HOST


class EventStream:
    def __init__(self, port, path="/logs/tail", headers=None, timeout=30):
        self.conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
        self.conn.request("GET", path, headers=headers or {})
        # Kept: http.client hands the socket to the response of a stream that
        # ends at the close, and close() must reach it.
        self.sock = self.conn.sock
        self.response = self.conn.getresponse()
        self.status = self.response.status
        self.headers = {k.lower(): v for k, v in self.response.getheaders()}
        self.events = queue.Queue()  # dicts: {"id", "event", "data"}; None at the end
        self.comments = queue.Queue()
        self.last_event_id = None
        self._pending = collections.deque()  # taken from `events`, not yet returned
        if self.status == 200:
            self._reader = threading.Thread(target=self._read, daemon=True)
            self._reader.start()
        else:
            self.body = self.response.read()

    def _read(self):
        event = {"id": None, "event": "message", "data": []}
        try:
            while True:
                raw = self.response.readline()
                if not raw:
                    break
                line = raw.decode("utf-8").rstrip("\r\n")
                if line == "":
                    # The id counts even without data (an id-only block).
                    if event["id"] is not None:
                        self.last_event_id = event["id"]
                    if event["data"]:
                        self.events.put({"id": event["id"], "event": event["event"],
                                         "data": "\n".join(event["data"])})
                    event = {"id": None, "event": "message", "data": []}
                    continue
                if line.startswith(":"):
                    self.comments.put(line[1:].strip())
                    continue
                field, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if field == "data":
                    event["data"].append(value)
                elif field in ("id", "event"):
                    event[field] = value
        except (OSError, ValueError, http.client.HTTPException):
            pass
        self.events.put(None)

    def _next(self, timeout):
        """The next event, None at the end, or raises queue.Empty."""
        if self._pending:
            # The end stays the end: it is never taken off.
            return None if self._pending[0] is None else self._pending.popleft()
        event = self.events.get(timeout=max(0.0, timeout))
        if event is None:
            self._pending.append(None)
        return event

    def entries(self, count, timeout=15):
        """The next `count` events' entries (JSON, with their event id as
        "_event_id"), waiting up to `timeout` s in all; fewer if the stream
        ends or the time runs out."""
        out = []
        deadline = time.monotonic() + timeout
        while len(out) < count:
            try:
                event = self._next(deadline - time.monotonic())
            except queue.Empty:
                break
            if event is None:
                break
            assert event["event"] == "message", event
            entry = json.loads(event["data"])
            entry["_event_id"] = event["id"]
            out.append(entry)
        return out

    def quiet_for(self, seconds):
        """True if no event comes within `seconds` (the end of the stream counts as quiet)."""
        try:
            event = self._next(seconds)
        except queue.Empty:
            return True
        if event is not None:
            self._pending.appendleft(event)
        return event is None

    def close(self):
        """Closes the connection (the server sees the client leave)."""
        try:
            self.sock.shutdown(2)  # also wakes the reader thread
        except OSError:
            pass
        self.sock.close()
        self.conn.close()
