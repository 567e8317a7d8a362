#!/usr/bin/env python3
"""The bulk-ingest benchmark (issue 12, "Speed"): durable batch ingest into logsvc
in each of its formats against ClickHouse's inserts, on the search benchmark's
corpus. Not a CI test. See bench/README.md ("Bulk ingest").

  python3 bench/ingest.py                         # 1,000,000 entries, 1 round
  python3 bench/ingest.py --entries 200000        # quick run
  python3 bench/ingest.py --rounds 3              # medians of 3 alternating rounds
  python3 bench/ingest.py --runs ndjson-10000,clickhouse-10000 --perf-seconds 0

1. The corpus (bench/search_corpus.py: --entries NDJSON lines, generated once
   into --work and reused) is read into memory, and every request body of
   every run is built before any timing starts (the "producer": NDJSON
   batches, the same gzip-compressed, OTLP protobuf, Loki JSON, ClickHouse
   JSONEachRow), so neither encoding nor compression is in the client loop.
2. Runs, each on the whole corpus, from --clients (8) keep-alive connections:
     ndjson-1000, ndjson-10000            POST /logs, application/x-ndjson
     ndjson-gzip-1000, ndjson-gzip-10000  the same, Content-Encoding: gzip
     otlp-1000                            POST /v1/logs, OTLP/HTTP protobuf
     loki-1000                            POST /loki/api/v1/push, Loki JSON
     clickhouse-1000, clickhouse-10000    INSERT ... FORMAT JSONEachRow over HTTP
   Every logsvc run gets a new `logsvc serve` on a new data directory; every
   ClickHouse run a new table in the one clickhouse-server (bench/
   search_clickhouse.py, its own process and data dir), which is stopped
   (SIGSTOP) while logsvc runs. A run's rate is entries acknowledged / seconds
   from the first request sent to the last reply read. Each reply is checked
   (logsvc 201 with the batch's count, OTLP 200 without rejected records, Loki
   204, ClickHouse 200); after each logsvc run, GET /logs/stats must count
   every entry by severity, and the rare word's exactly (the search index is
   kept). Then the server is given time to go quiet (its flushes, compactions
   or merges), and the CPU it spent until then is recorded as well.
3. --rounds rounds, the order of the runs reversed every other round (this
   machine has faster and slower phases); the table shows each run's median round.
4. Where logsvc's CPU goes: an extra NDJSON-10000 load (not counted), the
   corpus sent over and over while `perf record -g -p PID` runs for
   --perf-seconds; the top of `perf report --no-children --sort dso,symbol`,
   and the CPU by thread name.
5. Durability: the fsync-family system calls each server makes for 20
   batches of 1,000 (strace -f -c on the server, outside the timed runs), and
   ClickHouse's settings about fsync.
6. The Markdown table on stdout, everything in --results (bench/results/ingest.json).

Exit codes: 0 whether or not targets are met; 1 if a run broke (an unexpected
reply, a missing entry); 2 if it cannot run. Standard library only.
"""

import argparse
import gzip
import http.client
import json
import os
import queue
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (bench/run.py: processes, logsvc, /proc helpers)
import search  # noqa: E402  (bench/search.py: median, wait_quiet, write_results)
import search_clickhouse as chq  # noqa: E402
import search_corpus as corpus  # noqa: E402

say = run.say
SetupError = run.SetupError
RESULTS_JSON = os.path.join(run.RESULTS_DIR, "ingest.json")
HTTP_TIMEOUT = 600
TARGET_NDJSON_10K = 1_000_000
DEFAULT_LOGSVC_ARGS = "--max-body-bytes 16777216"  # a batch of 10,000 is ~1.4 MB; the default limit is 1 MiB
PROBE_BATCHES = 20

# name -> (system, batch size, what, headers); the order is a round's order.
RUNS = {
    "ndjson-1000": ("logsvc", 1000, "POST /logs NDJSON", {"Content-Type": "application/x-ndjson"}),
    "clickhouse-1000": ("clickhouse", 1000, "INSERT JSONEachRow", {"Content-Type": "application/octet-stream"}),
    "ndjson-10000": ("logsvc", 10000, "POST /logs NDJSON", {"Content-Type": "application/x-ndjson"}),
    "clickhouse-10000": ("clickhouse", 10000, "INSERT JSONEachRow", {"Content-Type": "application/octet-stream"}),
    "ndjson-gzip-1000": ("logsvc", 1000, "POST /logs NDJSON, gzip",
                         {"Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"}),
    "ndjson-gzip-10000": ("logsvc", 10000, "POST /logs NDJSON, gzip",
                          {"Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"}),
    "otlp-1000": ("logsvc", 1000, "POST /v1/logs OTLP protobuf", {"Content-Type": "application/x-protobuf"}),
    "loki-1000": ("logsvc", 1000, "POST /loki/api/v1/push JSON", {"Content-Type": "application/json"}),
    # The command-line client importing the corpus file (NDJSON), --concurrency = --clients.
    "cli-import": ("logsvc", 1000, "logsvc import FILE (the CLI)", {}),
}


def parse_args(argv):
    p = argparse.ArgumentParser(prog="bench/ingest.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--entries", type=int, default=1_000_000, help="corpus size (default 1,000,000)")
    p.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
    p.add_argument("--work", default="/tmp/logsvc-search-bench",
                   help="corpus cache and run directories (default /tmp/logsvc-search-bench, shared with"
                        " bench/search.py)")
    p.add_argument("--logsvc", default=os.path.join(run.REPO_ROOT, "build", "logsvc"),
                   help="the logsvc binary (default build/logsvc)")
    p.add_argument("--logsvc-args", default=DEFAULT_LOGSVC_ARGS,
                   help="`logsvc serve` arguments (default '%s')" % DEFAULT_LOGSVC_ARGS)
    p.add_argument("--runs", default=",".join(RUNS), help="which runs, comma-separated (default all: %s)"
                   % ",".join(RUNS))
    p.add_argument("--clients", type=int, default=8, help="concurrent keep-alive connections (default 8)")
    p.add_argument("--rounds", type=int, default=1, help="rounds of all runs; medians reported (default 1)")
    p.add_argument("--gzip-level", type=int, default=6, help="gzip level of the compressed bodies (default 6)")
    p.add_argument("--perf-seconds", type=int, default=10,
                   help="seconds of perf record on logsvc under NDJSON-10000 load (default 10; 0: no profile)")
    p.add_argument("--quiet-limit", type=int, default=120,
                   help="seconds at most to wait after a run for the server to go quiet (default 120)")
    p.add_argument("--keep", action="store_true", help="keep the run directory")
    p.add_argument("--results", default=RESULTS_JSON, help="the JSON results file (default %s)" % RESULTS_JSON)
    a = p.parse_args(argv)
    a.runs = [r for r in a.runs.split(",") if r]
    bad = [r for r in a.runs if r not in RUNS]
    if not a.runs or bad:
        p.error("unknown run(s) %s; known: %s" % (",".join(bad), ",".join(RUNS)))
    a.runs = [r for r in RUNS if r in a.runs]  # a round's order
    a.systems = sorted({RUNS[r][0] for r in a.runs})
    if a.entries < corpus.RARE_COUNT or a.clients < 1 or a.rounds < 1 or not 1 <= a.gzip_level <= 9:
        p.error("--entries >= %d, --clients >= 1, --rounds >= 1, --gzip-level 1-9" % corpus.RARE_COUNT)
    if "logsvc" in a.systems and not (os.path.isfile(a.logsvc) and os.access(a.logsvc, os.X_OK)):
        p.error("no logsvc binary at %s (build it, or give --logsvc)" % a.logsvc)
    if "clickhouse" in a.systems and chq.install_hint():
        p.error(chq.install_hint())
    return a


# ---------------------------------------------------------------------------
# Bodies (all built before timing)


class Batch:
    """One request: its entries, its body as sent, and the body's size before any
    Content-Encoding (what MB/s counts)."""
    __slots__ = ("n", "body", "raw_bytes")

    def __init__(self, n, body, raw_bytes=None):
        self.n, self.body = n, body
        self.raw_bytes = len(body) if raw_bytes is None else raw_bytes


def read_corpus(path):
    """(NDJSON lines without their newlines, [(severity, message, timestamp ms)])."""
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    entries = []
    for line in lines:
        e = json.loads(line)
        entries.append((e["severity"], e["message"], e["timestamp"]))
    return lines, entries


def chunks(seq, size):
    return [seq[i:i + size] for i in range(0, len(seq), size)]


def ndjson_batches(lines, size):
    return [Batch(len(c), b"\n".join(c) + b"\n") for c in chunks(lines, size)]


def gzip_batches(plain, level):
    return [Batch(b.n, gzip.compress(b.body, compresslevel=level, mtime=0), b.raw_bytes) for b in plain]


def clickhouse_batches(lines, size):
    """JSONEachRow rows of chq.TABLE: the entry, and seq (its place in the corpus);
    log_id is left to its default (logsvc makes its own ids; ClickHouse has none)."""
    out = []
    for k, c in enumerate(chunks(lines, size)):
        first = k * size
        out.append(Batch(len(c), b"\n".join(b'%s,"seq":%d}' % (line[:-1], first + i) for i, line in enumerate(c))
                         + b"\n"))
    return out


# Protobuf wire format, by hand (opentelemetry/proto/logs/v1/logs.proto,
# common/v1/common.proto, resource/v1/resource.proto, collector/logs/v1/logs_service.proto).

def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pb_len(field, payload):
    """A length-delimited field (wire type 2)."""
    return varint(field << 3 | 2) + varint(len(payload)) + payload


def pb_key_value(key, value):
    """KeyValue {key = 1; value = 2 (AnyValue {string_value = 1})}."""
    return pb_len(1, key.encode()) + pb_len(2, pb_len(1, value.encode()))


OTLP_SEVERITY = {"info": 9, "warning": 13, "error": 17}  # SEVERITY_NUMBER_INFO, _WARN, _ERROR
OTLP_SEVERITY_TEXT = {"info": "INFO", "warning": "WARN", "error": "ERROR"}
# Every record's fields 2 (severity_number, varint) and 3 (severity_text), by severity.
_OTLP_SEV_FIELDS = {s: b"\x10" + varint(n) + pb_len(3, OTLP_SEVERITY_TEXT[s].encode())
                    for s, n in OTLP_SEVERITY.items()}
OTLP_RESOURCE = pb_key_value("service.name", "bench")  # Resource.attributes = 1
OTLP_SCOPE = pb_len(1, b"bench")  # InstrumentationScope.name = 1


def otlp_record(severity, message, ts_ms):
    """LogRecord {time_unix_nano = 1 (fixed64); severity_number = 2; severity_text = 3;
    body = 5 (AnyValue {string_value = 1})}."""
    return (b"\x09" + struct.pack("<Q", ts_ms * 1_000_000) + _OTLP_SEV_FIELDS[severity]
            + pb_len(5, pb_len(1, message.encode())))


def otlp_request(entries):
    """ExportLogsServiceRequest {resource_logs = 1: ResourceLogs {resource = 1: Resource
    {attributes = 1}; scope_logs = 2: ScopeLogs {scope = 1; log_records = 2}}}."""
    scope_logs = pb_len(1, OTLP_SCOPE) + b"".join(pb_len(2, otlp_record(*e)) for e in entries)
    resource_logs = pb_len(1, pb_len(1, OTLP_RESOURCE)) + pb_len(2, scope_logs)
    return pb_len(1, resource_logs)


def otlp_batches(entries, size):
    return [Batch(len(c), otlp_request(c)) for c in chunks(entries, size)]


def loki_request(entries):
    """A Loki push in JSON: one stream per severity ({job="bench", level=...}), each
    with its lines in corpus order; the time is the entry's, in nanoseconds."""
    streams = {}
    for sev, msg, ts in entries:
        streams.setdefault(sev, []).append([str(ts * 1_000_000), msg])
    return json.dumps({"streams": [{"stream": {"job": "bench", "level": s}, "values": v}
                                   for s, v in streams.items()]}, separators=(",", ":")).encode()


def loki_batches(entries, size):
    return [Batch(len(c), loki_request(c)) for c in chunks(entries, size)]


def build_bodies(names, lines, entries, gzip_level):
    """{run name: [Batch]} for the runs asked for; {run name: seconds to build}.
    Runs with the same bodies share them."""
    bodies, seconds = {}, {}
    for name in names:
        t0 = time.time()
        size = RUNS[name][1]
        if name.startswith("ndjson-gzip-"):
            bodies[name] = gzip_batches(bodies.get("ndjson-%d" % size) or ndjson_batches(lines, size), gzip_level)
        elif name.startswith("ndjson-"):
            bodies[name] = ndjson_batches(lines, size)
        elif name.startswith("clickhouse-"):
            bodies[name] = clickhouse_batches(lines, size)
        elif name.startswith("otlp-"):
            bodies[name] = otlp_batches(entries, size)
        elif name.startswith("loki-"):
            bodies[name] = loki_batches(entries, size)
        elif name == "cli-import":
            bodies[name] = [Batch(len(lines), b"", sum(len(x) + 1 for x in lines))]  # the file itself
        seconds[name] = round(time.time() - t0, 2)
        b = bodies[name]
        say("bodies %s: %d requests, %.1f MB as sent (%.1f MB before coding), built in %.1f s" % (
            name, len(b), sum(len(x.body) for x in b) / 1e6, sum(x.raw_bytes for x in b) / 1e6, seconds[name]))
    return bodies, seconds


# ---------------------------------------------------------------------------
# Replies

COUNT_RE = re.compile(rb'"count":([0-9]+)')


def check_logsvc_batch(n, status, body):
    m = COUNT_RE.search(body[:200])
    if status != 201 or not m or int(m.group(1)) != n:
        raise RuntimeError("POST /logs of %d entries answered %d: %r" % (n, status, body[:300]))


def pb_fields(data):
    """[(field, wire type, value)] of one protobuf message (value: int or bytes)."""
    out, i = [], 0
    while i < len(data):
        key, i = _read_varint(data, i)
        field, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _read_varint(data, i)
        elif wt == 1:
            v, i = data[i:i + 8], i + 8
        elif wt == 2:
            ln, i = _read_varint(data, i)
            v, i = data[i:i + ln], i + ln
        elif wt == 5:
            v, i = data[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % wt)
        out.append((field, wt, v))
    return out


def _read_varint(data, i):
    n = shift = 0
    while True:
        b = data[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def check_otlp(n, status, body):
    """200, and no rejected records: ExportLogsServiceResponse {partial_success = 1:
    {rejected_log_records = 1; error_message = 2}} (empty when all were stored)."""
    if status != 200:
        raise RuntimeError("POST /v1/logs of %d records answered %d: %r" % (n, status, body[:300]))
    for field, wt, v in pb_fields(body):
        if field == 1 and wt == 2:
            ps = {f: val for f, _w, val in pb_fields(v)}
            if ps.get(1, 0):
                raise RuntimeError("POST /v1/logs: %d of %d records rejected: %r" % (ps[1], n, ps.get(2, b"")))


def check_loki(n, status, body):
    if status != 204:
        raise RuntimeError("POST /loki/api/v1/push of %d lines answered %d: %r" % (n, status, body[:300]))


def check_clickhouse(n, status, body):
    if status != 200:
        raise RuntimeError("INSERT of %d rows answered %d: %r" % (n, status, body[:300]))


def target_and_check(name):
    if name.startswith("ndjson-"):
        return "/logs", check_logsvc_batch
    if name.startswith("otlp-"):
        return "/v1/logs", check_otlp
    if name.startswith("loki-"):
        return "/loki/api/v1/push", check_loki
    return chq.insert_path(), check_clickhouse


# ---------------------------------------------------------------------------
# The client


class Conn:
    """One keep-alive HTTP/1.1 connection (TCP_NODELAY: the header and the body go out
    in two sends); no retries: a POST may have been carried out."""

    def __init__(self, port):
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)
        self.c.connect()
        self.c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def post(self, target, headers, body):
        self.c.request("POST", target, body=body, headers=headers)
        r = self.c.getresponse()
        return r.status, r.read()

    def close(self):
        self.c.close()


def post_all(port, target, headers, batches, clients, check, label, stop_after=None):
    """Sends every batch (in order, each to the next free connection) from `clients`
    threads; check(n, status, body) raises on a bad reply. With stop_after (a
    threading.Event), goes over the batches again and again until it is set.
    Returns {seconds, entries, requests, bytes_sent, raw_bytes, client_cpu_s}."""
    work = queue.SimpleQueue()
    if stop_after is None:
        for b in batches:
            work.put(b)
        for _ in range(clients):
            work.put(None)
    failed, lock = [], threading.Lock()
    totals = {"entries": 0, "requests": 0, "bytes_sent": 0, "raw_bytes": 0}
    conns = [Conn(port) for _ in range(clients)]
    it = [0]

    def next_batch():
        if stop_after is None:
            return work.get()
        with lock:
            if stop_after.is_set() or failed:
                return None
            b = batches[it[0] % len(batches)]
            it[0] += 1
            return b

    def client(conn):
        n = requests = sent = raw = 0
        try:
            while not failed:
                b = next_batch()
                if b is None:
                    break
                status, body = conn.post(target, headers, b.body)
                check(b.n, status, body)
                n += b.n
                requests += 1
                sent += len(b.body)
                raw += b.raw_bytes
        except Exception as e:
            failed.append("%s: %s" % (label, e))
        finally:
            conn.close()
            with lock:
                totals["entries"] += n
                totals["requests"] += requests
                totals["bytes_sent"] += sent
                totals["raw_bytes"] += raw

    threads = [threading.Thread(target=client, args=(c,)) for c in conns]
    cpu0, t0 = os.times(), time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    totals["seconds"] = seconds
    totals["client_cpu_s"] = search.own_cpu_since(cpu0)
    if failed:
        raise RuntimeError(failed[0])
    return totals


# ---------------------------------------------------------------------------
# The servers' CPU


def thread_cpu(pid):
    """{thread name: CPU seconds} of a process's threads (names with digits folded: rocksdb:low0 ->
    rocksdb:low#)."""
    out = {}
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for tid in tids:
        task = "/proc/%d/task/%s" % (pid, tid)
        try:
            with open(task + "/comm") as f:
                name = re.sub(r"[0-9]+", "#", f.read().strip())
        except OSError:
            continue
        out[name] = out.get(name, 0.0) + run.stat_jiffies(task + "/stat") / run.CLK_TCK
    return out


def thread_delta(before, after):
    d = {k: round(after.get(k, 0.0) - before.get(k, 0.0), 2) for k in set(before) | set(after)}
    return {k: v for k, v in sorted(d.items(), key=lambda kv: -kv[1]) if v > 0}


def timed_run(name, port, pid, batches, clients):
    """One load; the rates, and the CPU split of the machine (run.CpuSampler) over it."""
    _system, size, _what, headers = RUNS[name]
    target, check = target_and_check(name)
    jiffies0, threads0 = run.stat_jiffies("/proc/%d/stat" % pid), thread_cpu(pid)
    sampler = run.CpuSampler([pid])
    t = post_all(port, target, headers, batches, clients, check, name)
    cpu = sampler.end()
    server_s = (run.stat_jiffies("/proc/%d/stat" % pid) - jiffies0) / run.CLK_TCK
    s, n = t["seconds"], t["entries"]
    r = {"entries": n, "requests": t["requests"], "seconds": round(s, 3), "per_s": round(n / s),
         "mb_per_s": round(t["raw_bytes"] / s / 1e6, 1), "wire_mb_per_s": round(t["bytes_sent"] / s / 1e6, 1),
         "server_cpu_s": round(server_s, 2), "server_us_per_entry": round(server_s * 1e6 / n, 2),
         "server_cores": round(server_s / s, 2), "client_cores": round(t["client_cpu_s"] / s, 2),
         "others_cores": round(max(0.0, cpu["other"] - t["client_cpu_s"] / s), 2), "idle_cores": cpu["idle"],
         "server_write_calls": cpu["syscw"], "server_threads_cpu_s": thread_delta(threads0, thread_cpu(pid))}
    say("%s: %s entries in %.2f s: %s entries/s, %.1f MB/s; server %.2f cores (%.2f us/entry), client %.2f,"
        " others %.2f, idle %.2f" % (name, run.th(n), s, run.th(r["per_s"]), r["mb_per_s"], r["server_cores"],
                                     r["server_us_per_entry"], r["client_cores"], r["others_cores"],
                                     r["idle_cores"]))
    return r


def settle(r, pid, label, limit, t_end_jiffies):
    """After a run: waits for the server to go quiet; adds the time and the CPU spent
    since the last reply (flushes, compactions, merges)."""
    r["quiet_after_s"] = search.wait_quiet(pid, label, limit)
    after = (run.stat_jiffies("/proc/%d/stat" % pid) - t_end_jiffies) / run.CLK_TCK
    r["server_cpu_after_s"] = round(after, 2)
    r["server_us_per_entry_incl_after"] = round((r["server_cpu_s"] + after) * 1e6 / r["entries"], 2)


# ---------------------------------------------------------------------------
# logsvc


def logsvc_settings(args):
    return {"bin": args.logsvc, "args": args.logsvc_args.split()}


def logsvc_counts(port, meta):
    """(severity counts, rare word count) from GET /logs/stats over the corpus's days."""
    day = corpus.DAY_MS
    frm, to = meta["start_ms"] // day * day, meta["end_ms"] + 1
    step = "%dd" % (-(-(to - frm) // day))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)
    try:
        def stats(q):
            target = "/logs/stats?%sfrom=%d&to=%d&step=%s" % (q, frm, to, step)
            sev, total = {}, 0
            while True:
                conn.request("GET", target)
                resp = conn.getresponse()
                body = resp.read()
                if resp.status != 200:
                    raise RuntimeError("GET %s answered %d: %r" % (target, resp.status, body[:300]))
                doc = json.loads(body)
                total += doc["total"]
                for b in doc["buckets"]:
                    for s, c in b["severity"].items():
                        if c:
                            sev[s] = sev.get(s, 0) + c
                if not doc.get("next"):
                    return sev, total
                target = "/logs/stats?cursor=" + urllib.parse.quote(doc["next"])
        sev, _ = stats("")
        _, rare = stats("q=%s&" % meta["rare_word"])
        return sev, rare
    finally:
        conn.close()


def cli_import_run(args, svc, corpus_path, n):
    """`logsvc import` of the corpus file into svc; the rate, as timed_run's."""
    sampler = run.CpuSampler([svc.pid])
    jiffies0, threads0 = run.stat_jiffies("/proc/%d/stat" % svc.pid), thread_cpu(svc.pid)
    children0 = os.times()
    t0 = time.time()
    p = subprocess.run([args.logsvc, "import", "--url", "http://127.0.0.1:%d" % svc.port,
                        "--concurrency", str(args.clients), corpus_path], capture_output=True)
    s = time.time() - t0
    cpu = sampler.end()
    children = os.times()
    client_s = (children.children_user + children.children_system
                - children0.children_user - children0.children_system)
    file_mb = os.path.getsize(corpus_path) / 1e6
    if p.returncode != 0 or p.stdout.decode().split()[1:2] != [str(n)]:
        raise RuntimeError("logsvc import: exit %d, %r %r" % (p.returncode, p.stdout, p.stderr[-500:]))
    server_s = (run.stat_jiffies("/proc/%d/stat" % svc.pid) - jiffies0) / run.CLK_TCK
    r = {"entries": n, "requests": (n + 999) // 1000, "seconds": round(s, 3), "per_s": round(n / s),
         "mb_per_s": round(file_mb / s, 1), "wire_mb_per_s": round(file_mb / s, 1),
         "server_cpu_s": round(server_s, 2), "server_us_per_entry": round(server_s * 1e6 / n, 2),
         "server_cores": round(server_s / s, 2), "client_cores": round(client_s / s, 2),
         "others_cores": round(max(0.0, cpu["other"] - client_s / s), 2), "idle_cores": cpu["idle"],
         "server_threads_cpu_s": thread_delta(threads0, thread_cpu(svc.pid))}
    say("cli-import: %s entries in %.2f s: %s entries/s; server %.2f cores, the CLI %.2f" % (
        run.th(n), s, run.th(r["per_s"]), r["server_cores"], r["client_cores"]))
    return r


def logsvc_run(args, procs, rundir, name, batches, meta, errors, label):
    svc = run.Logsvc(procs, logsvc_settings(args), rundir, label)
    try:
        if name == "cli-import":
            r = cli_import_run(args, svc, args.corpus_path, batches[0].n)
        else:
            r = timed_run(name, svc.port, svc.pid, batches, args.clients)
        settle(r, svc.pid, label, args.quiet_limit, run.stat_jiffies("/proc/%d/stat" % svc.pid))
        r["data_dir_bytes"] = run.dir_bytes(svc.data)
        sev, rare = logsvc_counts(svc.port, meta)
        if sev != meta["severity_counts"] or rare != meta["rare_count"]:
            errors.broke("%s: GET /logs/stats counts %s and %d '%s' entries; the corpus has %s and %d" % (
                label, sev, rare, meta["rare_word"], meta["severity_counts"], meta["rare_count"]))
        r["stats_check"] = sev == meta["severity_counts"] and rare == meta["rare_count"]
        r["vmhwm_kb"] = run.vm_kb(svc.pid, "VmHWM")
    finally:
        svc.stop(label)
        shutil.rmtree(svc.dir, ignore_errors=True)
    return r


# ---------------------------------------------------------------------------
# ClickHouse


class Paused:
    """A server stopped (SIGSTOP) while the other is measured, continued after."""

    def __init__(self, pid):
        self.pid = pid

    def __enter__(self):
        if self.pid:
            os.kill(self.pid, signal.SIGSTOP)

    def __exit__(self, *exc):
        if self.pid:
            os.kill(self.pid, signal.SIGCONT)


def fresh_table(ch):
    ch.query("DROP TABLE IF EXISTS logs")
    ch.query(chq.TABLE)


def clickhouse_run(args, ch, name, batches, label):
    fresh_table(ch)
    before = ch.delayed_inserts()
    r = timed_run(name, ch.http_port, ch.pid, batches, args.clients)
    settle(r, ch.pid, label, args.quiet_limit, run.stat_jiffies("/proc/%d/stat" % ch.pid))
    count = int(ch.query("SELECT count() FROM logs").strip())
    if count != r["entries"]:
        raise RuntimeError("%s: the table has %d rows, %d were acknowledged" % (label, count, r["entries"]))
    parts = ch.query("SELECT count(), sum(bytes_on_disk) FROM system.parts WHERE database = 'default'"
                     " AND table = 'logs' AND active").split()
    r["parts_after"], r["table_bytes"] = int(parts[0]), int(parts[1])
    after = ch.delayed_inserts()
    r["delayed_inserts"] = {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}
    ch.query("DROP TABLE logs")
    return r


def clickhouse_fsync_settings(ch):
    """What this ClickHouse says about fsync (and the compress block sizes)."""
    out = {}
    for table in ("system.settings", "system.merge_tree_settings"):
        try:
            rows = ch.query("SELECT name, value FROM %s WHERE name LIKE '%%sync%%' OR name LIKE '%%compress_block%%'"
                            " ORDER BY name" % table)
        except RuntimeError as e:
            rows = ""
            out[table] = {"error": str(e)[:200]}
            continue
        out[table] = dict(line.split("\t", 1) for line in rows.splitlines())
    out["has_fsync_after_insert"] = any("fsync_after_insert" in t for t in out.values() if isinstance(t, dict))
    return out


# ---------------------------------------------------------------------------
# Durability probe: fsync-family system calls per batch (strace, outside the timed runs)

SYNC_CALLS = "fsync,fdatasync,sync_file_range,msync,syncfs,sync"


def strace_sync_calls(pid, port, name, batches):
    """Sends PROBE_BATCHES batches of `batches` one at a time from one connection while
    strace -f -c counts the server's fsync-family calls; {call: count}, or None."""
    if shutil.which("strace") is None:
        return None
    out_path = "/tmp/ingest-strace-%d-%d.txt" % (os.getpid(), pid)
    p = subprocess.Popen(["strace", "-f", "-c", "-e", "trace=" + SYNC_CALLS, "-o", out_path, "-p", str(pid)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(2)  # attaching to every thread takes a moment
    try:
        target, check = target_and_check(name)
        post_all(port, target, RUNS[name][3], batches[:PROBE_BATCHES], 1, check, name + " probe")
        time.sleep(1)
    finally:
        p.send_signal(signal.SIGINT)
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    counts = {c: 0 for c in SYNC_CALLS.split(",")}
    try:
        with open(out_path) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 5 and parts[-1] in counts:
                    counts[parts[-1]] = int(parts[3])
        os.unlink(out_path)
    except OSError:
        return None
    return counts


# ---------------------------------------------------------------------------
# perf

def perf_profile(args, procs, rundir, batches, seconds):
    """An extra NDJSON-10000 load on a fresh logsvc, the corpus again and again, while
    perf records the server for `seconds`. Not one of the timed runs."""
    if shutil.which("perf") is None:
        return {"error": "perf is not installed"}
    svc = run.Logsvc(procs, logsvc_settings(args), rundir, "logsvc-perf")
    data = os.path.join(rundir, "perf.data")
    out = {}
    try:
        stop = threading.Event()
        result = {}

        def load():
            try:
                result["t"] = post_all(svc.port, "/logs", RUNS["ndjson-10000"][3], batches, args.clients,
                                       check_logsvc_batch, "perf load", stop_after=stop)
            except Exception as e:  # reported below
                result["error"] = str(e)
                stop.set()

        loader = threading.Thread(target=load)
        loader.start()
        time.sleep(1)
        jiffies0, threads0 = run.stat_jiffies("/proc/%d/stat" % svc.pid), thread_cpu(svc.pid)
        say("perf: recording logsvc (pid %d) for %d s under NDJSON-10000 load" % (svc.pid, seconds))
        rc = subprocess.call(["perf", "record", "-g", "-o", data, "-p", str(svc.pid), "--", "sleep", str(seconds)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        server_s = (run.stat_jiffies("/proc/%d/stat" % svc.pid) - jiffies0) / run.CLK_TCK
        out["threads_cpu_s"] = thread_delta(threads0, thread_cpu(svc.pid))
        stop.set()
        loader.join()
        if "error" in result:
            raise RuntimeError(result["error"])
        t = result["t"]
        out.update({"entries": t["entries"], "per_s_under_perf": round(t["entries"] / t["seconds"]),
                    "server_cpu_s_during_record": round(server_s, 2), "perf_record_exit": rc})
        if rc != 0 or not os.path.exists(data):
            out["error"] = "perf record exited %d" % rc
            return out

        def report(sort, lines):
            text = run.command_output(["perf", "report", "-i", data, "--no-children", "--stdio", "-g", "none",
                                       "--percent-limit", "0.5", "--sort", sort])
            rows = []
            for ln in text.splitlines():
                if not ln.strip() or ln.lstrip().startswith("#"):
                    continue
                # perf pads its columns to the longest symbol and adds empty parent columns.
                ln = re.sub(r"(\s+-)+$", "", ln.strip())
                ln = re.sub(r"\s{2,}", "  ", ln)
                rows.append(ln if len(ln) <= 150 else ln[:147] + "...")
            return rows[:lines]
        out["top_dso_symbol"] = report("dso,symbol", 30)
        out["top_comm"] = report("comm", 12)
        out["top_dso"] = report("dso", 12)
    finally:
        svc.stop("logsvc-perf")
        shutil.rmtree(svc.dir, ignore_errors=True)
    return out


# ---------------------------------------------------------------------------
# The run


def machine(args, rundir):
    m = {"cores": run.NPROC, "cpu_model": "unknown", "kernel": os.uname().release,
         "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                m["cpu_model"] = line.split(":", 1)[1].strip()
                break
    rev = run.command_output(["git", "-C", run.REPO_ROOT, "rev-parse", "--short", "HEAD"])
    m["rev"] = rev if re.fullmatch(r"[0-9a-f]+", rev) else "unknown"
    m["dsync_append_us"] = run.dsync_append_us(rundir)
    sampler = run.CpuSampler([])
    time.sleep(1)
    m["other_cores_before"] = sampler.end()["other"]
    if m["other_cores_before"] > 0.2:
        say("WARNING: other processes use %.2f of %d cores before the start; expect slow, noisy numbers"
            % (m["other_cores_before"], run.NPROC))
    return m


def benchmark(args, errors):
    t_start = time.time()
    corpus_path, meta = corpus.ensure_corpus(args.work, args.entries, args.seed, say)
    args.corpus_path = corpus_path
    rundir = os.path.join(args.work, "ingest-%d" % os.getpid())
    shutil.rmtree(rundir, ignore_errors=True)
    os.makedirs(rundir)
    procs = run.Processes()
    r = {"corpus": {k: v for k, v in meta.items() if k not in ("word_counts", "template_counts")},
         "settings": {"clients": args.clients, "rounds": args.rounds, "runs": args.runs,
                      "logsvc": args.logsvc, "logsvc_args": args.logsvc_args, "gzip_level": args.gzip_level,
                      "perf_seconds": args.perf_seconds}}
    r["machine"] = machine(args, rundir)
    say("reading the corpus and building every body")
    cpu0, t0 = os.times(), time.time()
    lines, entries = read_corpus(corpus_path)
    bodies, build_s = build_bodies(args.runs, lines, entries, args.gzip_level)
    r["producer"] = {"seconds": round(time.time() - t0, 1), "cpu_s": round(search.own_cpu_since(cpu0), 1),
                     "build_seconds": build_s}
    del entries
    ch = None
    rounds = {name: [] for name in args.runs}
    try:
        if "logsvc" in args.systems:
            r["logsvc_version"] = run.command_output([args.logsvc, "--version"])
        if "clickhouse" in args.systems:
            ch = chq.ClickHouse(procs, rundir)
            r["clickhouse_version"] = ch.version()
            r["clickhouse_fsync_settings"] = clickhouse_fsync_settings(ch)
        for rnd in range(args.rounds):
            order = args.runs if rnd % 2 == 0 else args.runs[::-1]
            say("round %d of %d: %s" % (rnd + 1, args.rounds, ", ".join(order)))
            for name in order:
                label = "%s#%d" % (name, rnd + 1)
                try:
                    if RUNS[name][0] == "logsvc":
                        with Paused(ch.pid if ch else None):
                            rounds[name].append(logsvc_run(args, procs, rundir, name, bodies[name], meta, errors,
                                                           label))
                    else:
                        rounds[name].append(clickhouse_run(args, ch, name, bodies[name], label))
                except RuntimeError as e:
                    errors.broke("%s: %s" % (label, e))
        r["runs"] = {}
        for name, rs in rounds.items():
            if not rs:
                continue
            k = run.median_round([x["per_s"] for x in rs])
            r["runs"][name] = {"system": RUNS[name][0], "batch": RUNS[name][1], "what": RUNS[name][2],
                               "median": rs[k], "median_round": k + 1,
                               "rounds_per_s": [x["per_s"] for x in rs], "rounds": rs}

        # Durability: fsync-family calls per batch of 1,000, each server.
        durability = {}
        if "ndjson-1000" in bodies:
            svc = run.Logsvc(procs, logsvc_settings(args), rundir, "logsvc-fsync")
            try:
                with Paused(ch.pid if ch else None):
                    durability["logsvc"] = strace_sync_calls(svc.pid, svc.port, "ndjson-1000", bodies["ndjson-1000"])
            finally:
                svc.stop("logsvc-fsync")
                shutil.rmtree(svc.dir, ignore_errors=True)
        if ch is not None and "clickhouse-1000" in bodies:
            fresh_table(ch)
            durability["clickhouse"] = strace_sync_calls(ch.pid, ch.http_port, "clickhouse-1000",
                                                         bodies["clickhouse-1000"])
            ch.query("DROP TABLE logs")
        r["durability_probe"] = {"batches": PROBE_BATCHES, "batch": 1000, "clients": 1,
                                 "sync_calls": durability}
        say("fsync-family calls for %d batches of 1,000: %s" % (PROBE_BATCHES, durability))

        if args.perf_seconds > 0 and "ndjson-10000" in bodies:
            with Paused(ch.pid if ch else None):
                r["perf"] = perf_profile(args, procs, rundir, bodies["ndjson-10000"], args.perf_seconds)
        if ch is not None:
            ch.stop()
    finally:
        if ch is not None and ch.proc.poll() is None:
            os.kill(ch.pid, signal.SIGCONT)
        procs.stop_all()
        if not args.keep:
            shutil.rmtree(rundir, ignore_errors=True)
    r["total_seconds"] = round(time.time() - t_start)
    return r


# ---------------------------------------------------------------------------
# Report


def verdict(ok):
    return "-" if ok is None else ("met" if ok else "**not met**")


def targets(r):
    """[(what, value, target, ok or None)]."""
    runs = r.get("runs", {})

    def rate(name):
        return runs[name]["median"]["per_s"] if name in runs else None
    out = []
    v = rate("ndjson-10000")
    out.append(("logsvc NDJSON, batches of 10,000, entries/s", run.th(v) if v else "-",
                ">= %s" % run.th(TARGET_NDJSON_10K), v >= TARGET_NDJSON_10K if v else None))
    for size in (1000, 10000):
        ch = rate("clickhouse-%d" % size)
        for name in ("ndjson-%d" % size, "ndjson-gzip-%d" % size, "otlp-%d" % size, "loki-%d" % size):
            svc = rate(name)
            if svc is None or (ch is None and not name.startswith("ndjson-%d" % size)):
                continue
            out.append(("%s / ClickHouse, batches of %s" % (name, run.th(size)),
                        "%s / %s%s" % (run.th(svc), run.th(ch) if ch else "-",
                                       " (%.2fx)" % (svc / ch) if ch else ""),
                        ">= 1x", svc >= ch if ch else None))
    imp, nd = rate("cli-import"), rate("ndjson-1000")
    if imp and nd:
        out.append(("logsvc import (CLI) / POST /logs NDJSON of 1,000", "%s / %s (%.2fx)" % (
            run.th(imp), run.th(nd), imp / nd), ">= 0.8x", imp >= 0.8 * nd))
    return out


def fsync_text(r):
    """One line per system on whether a reply means the batch is on disk."""
    lines = []
    d = r.get("durability_probe", {}).get("sync_calls", {})
    n = r.get("durability_probe", {}).get("batches", PROBE_BATCHES)
    for system in ("logsvc", "clickhouse"):
        c = d.get(system)
        if c is None:
            continue
        calls = ", ".join("%s %d" % kv for kv in c.items() if kv[1]) or "none"
        lines.append("%s: fsync-family calls for %d sequential batches of 1,000 (strace -f -c): %s"
                     % (system, n, calls))
    s = r.get("clickhouse_fsync_settings")
    if s:
        found = {k: v for t in ("system.settings", "system.merge_tree_settings")
                 for k, v in s.get(t, {}).items() if k != "error"}
        lines.append("ClickHouse %s settings about sync / compress blocks: %s; fsync_after_insert %s" % (
            r.get("clickhouse_version", ""), ", ".join("%s=%s" % kv for kv in found.items()) or "none",
            "exists" if s["has_fsync_after_insert"] else "does not exist in this version"))
    return lines


def markdown(r):
    c, m = r["corpus"], r["machine"]
    runs = r.get("runs", {})
    lines = ["", "Bulk ingest: %s entries (search corpus, seed %d, %.0f bytes/entry as NDJSON); %d clients;"
             " %d round(s), median shown" % (run.th(c["entries"]), c["seed"], c["bytes"] / c["entries"],
                                              r["settings"]["clients"], r["settings"]["rounds"]),
             "%s (%s); ClickHouse %s; machine: %d cores, %s, %s; 4 KiB O_DSYNC append %d us;"
             " other processes used %.2f cores before the start" % (
                 r.get("logsvc_version", "logsvc not run"), r["settings"]["logsvc_args"],
                 r.get("clickhouse_version", "not run"), m["cores"], m["cpu_model"], m["kernel"],
                 m["dsync_append_us"], m["other_cores_before"]),
             "bodies built before timing in %.1f s (client CPU %.1f s), not in the client loop" % (
                 r["producer"]["seconds"], r["producer"]["cpu_s"]), "",
             "| run | what | batch | entries/s | MB/s (uncompressed) | MB/s sent | vs ClickHouse | rounds (entries/s)"
             " | server us/entry (+ after) | cores: server / client / others / idle |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, x in runs.items():
        md = x["median"]
        ch = runs.get("clickhouse-%d" % x["batch"])
        vs = "%.2fx" % (md["per_s"] / ch["median"]["per_s"]) if ch and x["system"] == "logsvc" else ""
        lines.append("| %s | %s | %s | %s | %.1f | %.1f | %s | %s | %.2f (+%.2f) | %.2f / %.2f / %.2f / %.2f |" % (
            name, x["what"], run.th(x["batch"]), run.th(md["per_s"]), md["mb_per_s"], md["wire_mb_per_s"], vs,
            " / ".join(run.th(v) for v in x["rounds_per_s"]), md["server_us_per_entry"],
            md["server_us_per_entry_incl_after"] - md["server_us_per_entry"], md["server_cores"],
            md["client_cores"], md["others_cores"], md["idle_cores"]))
    lines += ["", "| target | measured (medians) | target | result |", "|---|---|---|---|"]
    for what, value, tgt, ok in targets(r):
        lines.append("| %s | %s | %s | %s |" % (what, value, tgt, verdict(ok)))
    lines += [""] + ["- " + t for t in fsync_text(r)]
    lines.append("- logsvc replies 201/200/204 only once the batch is fsynced (group commit: one fsync may cover"
                 " batches of several clients); ClickHouse's 200 means the part is written, not synced.")
    for name, x in runs.items():
        md = x["median"]
        extra = []
        if "delayed_inserts" in md and md["delayed_inserts"]:
            extra.append("delayed/rejected inserts %s" % md["delayed_inserts"])
        if "parts_after" in md:
            extra.append("%d part(s) when quiet, %.1f bytes/row" % (md["parts_after"], md["table_bytes"] / md["entries"]))
        if "data_dir_bytes" in md:
            extra.append("data dir %.0f MiB when quiet (write-ahead logs preallocated), peak RSS %.0f MiB" % (
                md["data_dir_bytes"] / 2**20, md["vmhwm_kb"] / 1024))
        extra.append("quiet %.1f s after the last reply" % md["quiet_after_s"])
        top = list(md["server_threads_cpu_s"].items())[:4]
        extra.append("server CPU by thread: " + ", ".join("%s %.2f s" % kv for kv in top))
        lines.append("- %s: %s" % (name, "; ".join(extra)))
    p = r.get("perf")
    if p:
        lines += ["", "Where logsvc's CPU goes, NDJSON batches of 10,000 (an extra load under `perf record -g`,"
                  " %s s):" % r["settings"]["perf_seconds"]]
        if "per_s_under_perf" in p:
            lines.append("%s entries/s under perf; server CPU %.2f s during the record; by thread: %s" % (
                run.th(p["per_s_under_perf"]), p["server_cpu_s_during_record"],
                ", ".join("%s %.2f s" % kv for kv in list(p["threads_cpu_s"].items())[:6])))
        if p.get("error"):
            lines.append("perf: %s" % p["error"])
        for key, title in (("top_dso_symbol", "perf report --no-children --sort dso,symbol"),
                           ("top_comm", "--sort comm"), ("top_dso", "--sort dso")):
            if p.get(key):
                lines += ["", "```", "# " + title] + p[key] + ["```"]
    if r.get("errors"):
        lines += ["", "BROKEN RUNS:"] + ["- " + e for e in r["errors"]]
    lines.append("")
    return "\n".join(lines)


def main(argv):
    os.environ["LC_ALL"] = "C"
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args = parse_args(argv)
    errors = run.Errors()
    try:
        r = benchmark(args, errors)
    except SetupError as e:
        print("bench/ingest.py: error: %s" % e, file=sys.stderr)
        return 2
    except RuntimeError as e:
        print("bench/ingest.py: broken: %s" % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    r["errors"] = errors.items
    r["targets"] = [{"what": w, "value": v, "target": t, "met": ok} for w, v, t, ok in targets(r)]
    r["durability"] = fsync_text(r)
    search.write_results(args.results, r)
    print(markdown(r), flush=True)
    return 1 if errors.items else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
