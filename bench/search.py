#!/usr/bin/env python3
"""The search benchmark (issue 11, "Speed"): logsvc against ClickHouse on the same
log corpus. Not a CI test. See bench/README.md ("Search").

  python3 bench/search.py                       # 10,000,000 entries
  python3 bench/search.py --entries 200000      # quick run
  python3 bench/search.py --systems clickhouse  # the reference only

1. A corpus of --entries entries (bench/search_corpus.py), generated once per
   (entries, seed) into --work and reused.
2. logsvc (fresh data dir): POST /logs with JSON arrays of 1,000 entries, from
   --clients concurrent keep-alive connections; entries/s. The log ids it gives
   back go, in corpus order, to a file that step 3 reads.
3. ClickHouse (bench/search_clickhouse.py, own process and data dir): the same
   entries, with those log ids, in JSONEachRow inserts of 10,000 rows from
   --clients connections; rows/s; then OPTIMIZE TABLE logs FINAL; bytes/entry.
4. Six queries, the newest 100 first, on both: (a) severity=error; (b) the rare
   word over all time; (c) the common word; (d) one minute in the middle;
   (e) page 50 of (c) (logsvc: the cursor after following `next` 49 times;
   ClickHouse: keyset pagination on (timestamp, seq) after the 4,900th row);
   (f) stats of (c) over the whole range, step=1d. First both answers are
   compared (ids, timestamps, messages; bucket counts); then --rounds rounds,
   the systems taking turns to go first, of --warmup untimed and --reps timed
   requests of each query on each system, each timed alone: the other's
   server is stopped (SIGSTOP) meanwhile, so that its idle threads do not run
   in the middle of sub-millisecond requests. A round's p50 and p99 are
   nearest-rank over its --reps samples; the table shows the median of the rounds'.
5. Disk bytes per entry of both, logsvc's peak RSS (VmHWM), and with
   --ingest-ref bench/run.py's single-entry ingest against nginx.
6. The table (Markdown) on stdout, the JSON in --results.

Exit codes: 0 whether or not targets are met; 1 if something broke (a bad
answer, a mismatch between the systems); 2 if it cannot run. Standard library only.
"""

import argparse
import http.client
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (bench/run.py: processes, logsvc, /proc helpers)
import search_clickhouse as chq  # noqa: E402
import search_corpus as corpus  # noqa: E402

say = run.say
SetupError = run.SetupError
RESULTS_JSON = os.path.join(run.RESULTS_DIR, "search.json")
ID_LEN = 36  # a log id is a UUID in text
ID_RECORD = ID_LEN + 1  # one per line in the ids file, so the i-th is at i * ID_RECORD
PAGE = 100
CURSOR_PAGE = 50
HTTP_TIMEOUT = 600


def parse_args(argv):
    p = argparse.ArgumentParser(prog="bench/search.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--entries", type=int, default=10_000_000, help="corpus size (default 10,000,000)")
    p.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
    p.add_argument("--work", default="/tmp/logsvc-search-bench",
                   help="corpus cache and run directories (default /tmp/logsvc-search-bench)")
    p.add_argument("--logsvc", default=os.path.join(run.REPO_ROOT, "build", "logsvc"),
                   help="the logsvc binary (default build/logsvc)")
    p.add_argument("--logsvc-args", default="", help="extra `logsvc serve` arguments")
    p.add_argument("--systems", default="logsvc,clickhouse",
                   help="which of logsvc,clickhouse to run (default both)")
    p.add_argument("--clients", type=int, default=8, help="concurrent loading connections (default 8)")
    p.add_argument("--rounds", type=int, default=3, help="query rounds (default 3)")
    p.add_argument("--reps", type=int, default=30, help="timed requests per query, system and round (default 30)")
    p.add_argument("--warmup", type=int, default=3, help="untimed requests before those (default 3)")
    p.add_argument("--ingest-ref", action="store_true",
                   help="also run bench/run.py (single-entry ingest vs nginx; DURATION=5 FILL=20000)")
    p.add_argument("--keep", action="store_true", help="keep the run's data directories")
    p.add_argument("--results", default=RESULTS_JSON, help="the JSON results file (default %s)" % RESULTS_JSON)
    a = p.parse_args(argv)
    a.systems = [s for s in a.systems.split(",") if s]
    if not a.systems or any(s not in ("logsvc", "clickhouse") for s in a.systems):
        p.error("--systems takes logsvc, clickhouse or both, comma-separated")
    if a.entries < corpus.RARE_COUNT or a.clients < 1 or a.rounds < 1 or a.reps < 1 or a.warmup < 0:
        p.error("--entries >= %d, --clients, --rounds, --reps >= 1, --warmup >= 0" % corpus.RARE_COUNT)
    if "logsvc" in a.systems and not (os.path.isfile(a.logsvc) and os.access(a.logsvc, os.X_OK)):
        p.error("no logsvc binary at %s (build it, or give --logsvc, or --systems clickhouse)" % a.logsvc)
    if "clickhouse" in a.systems and chq.install_hint():
        p.error(chq.install_hint())
    return a


# ---------------------------------------------------------------------------
# HTTP


class Conn:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1:port; reconnects after an error."""

    def __init__(self, port):
        self.port = port
        self.c = None

    def request(self, method, target, body=None):
        """(status, body bytes, seconds from sending to the last byte read). A GET is
        tried again once on a new connection (the server may have closed an idle one);
        a POST is not, since it may have been carried out."""
        headers = {"Content-Type": "application/json"} if body is not None else {}
        attempts = (1, 2) if method == "GET" else (2,)
        for attempt in attempts:
            if self.c is None:
                self.c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=HTTP_TIMEOUT)
            try:
                t0 = time.perf_counter()
                self.c.request(method, target, body=body, headers=headers)
                r = self.c.getresponse()
                data = r.read()
                return r.status, data, time.perf_counter() - t0
            except (http.client.HTTPException, OSError):
                self.c.close()
                self.c = None
                if attempt == 2:
                    raise

    def close(self):
        if self.c is not None:
            self.c.close()


# ---------------------------------------------------------------------------
# Loading


def read_batches(path, size):
    """(index of the first entry, [lines]) of consecutive batches of the corpus."""
    with open(path, "rb") as f:
        first = 0
        while True:
            lines = [line for line in (f.readline() for _ in range(size)) if line]
            if not lines:
                return
            yield first, lines
            first += len(lines)


def load(port, target, batches, clients, make_body, check_reply, label, total):
    """POSTs every batch to target from `clients` connections; make_body(first, lines)
    builds a body (in one producer thread), check_reply(first, lines, status, body)
    raises RuntimeError on a bad answer. Returns {seconds, entries, per_s, client_cores}."""
    work = queue.Queue(maxsize=clients * 2)
    failed = []
    done = [0]
    lock = threading.Lock()

    def produce():
        try:
            for first, lines in batches:
                body = make_body(first, lines)
                while not failed:
                    try:
                        work.put((first, lines, body), timeout=0.5)
                        break
                    except queue.Full:
                        pass
                if failed:
                    break
        except Exception as e:  # the corpus or ids file went wrong: stop everyone
            failed.append("%s: preparing a batch: %r" % (label, e))
        for _ in range(clients):
            work.put(None)

    def consume():
        conn = Conn(port)
        try:
            while True:
                item = work.get()
                if item is None or failed:
                    return
                first, lines, body = item
                status, reply, _s = conn.request("POST", target, body)
                check_reply(first, lines, status, reply)
                with lock:
                    done[0] += len(lines)
        except Exception as e:
            failed.append("%s: %s" % (label, e))
        finally:
            conn.close()

    cpu0, t0 = os.times(), time.time()
    threads = [threading.Thread(target=produce)] + [threading.Thread(target=consume) for _ in range(clients)]
    for t in threads:
        t.start()
    last = t0
    while any(t.is_alive() for t in threads):
        threads[-1].join(0.5)
        if time.time() - last >= 10:
            last = time.time()
            say("%s: %s / %s" % (label, run.th(done[0]), run.th(total)))
    seconds = time.time() - t0
    client_cpu = own_cpu_since(cpu0)
    if failed:
        raise RuntimeError(failed[0])
    if done[0] != total:
        raise RuntimeError("%s: %d of %d entries acknowledged" % (label, done[0], total))
    return {"seconds": round(seconds, 2), "entries": done[0], "per_s": round(done[0] / seconds),
            "client_cores": round(client_cpu / seconds, 2)}


def own_cpu_since(t0):
    """CPU seconds this process (all its threads) used since os.times() gave t0."""
    t1 = os.times()
    return (t1.user - t0.user) + (t1.system - t0.system)


def cpu_split(cpu):
    """What a load's CPU table keeps: cores used by the server, by other processes than
    the server (this client included: see client_cores), and idle."""
    return {"server_cores": cpu["server"], "other_cores": cpu["other"], "idle_cores": cpu["idle"]}


def load_logsvc(svc, corpus_path, entries, clients, ids_path):
    """The corpus into logsvc through the batch API; writes the log ids to ids_path."""
    fd = os.open(ids_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)

    def body(_first, lines):
        return b"[" + b",".join(line[:-1] for line in lines) + b"]"

    def check(first, lines, status, reply):
        try:
            doc = json.loads(reply)
        except ValueError:
            doc = None
        if status != 201 or not isinstance(doc, dict) or doc.get("count") != len(lines):
            raise RuntimeError("POST /logs of %d entries answered %d: %s" % (len(lines), status, reply[:300]))
        ids = doc.get("logIds")
        if not isinstance(ids, list) or len(ids) != len(lines) or any(len(i) != ID_LEN for i in ids):
            raise RuntimeError("POST /logs answered logIds that are not %d ids: %s" % (len(lines), reply[:300]))
        os.pwrite(fd, ("\n".join(ids) + "\n").encode("ascii"), first * ID_RECORD)

    try:
        say("logsvc: loading %s entries, batches of 1,000, %d clients" % (run.th(entries), clients))
        sampler = run.CpuSampler([svc.pid])
        r = load(svc.port, "/logs", read_batches(corpus_path, 1000), clients, body, check, "logsvc load", entries)
        r.update(cpu_split(sampler.end()))
    finally:
        os.close(fd)
    say("logsvc: %s entries/s (client %.2f cores, server %.2f)" % (run.th(r["per_s"]), r["client_cores"],
                                                                    r["server_cores"]))
    return r


def load_clickhouse(ch, corpus_path, entries, clients, ids_path):
    """The corpus into ClickHouse's table, with logsvc's ids when ids_path exists."""
    fd = os.open(ids_path, os.O_RDONLY) if ids_path and os.path.exists(ids_path) else None

    def body(first, lines):
        if fd is not None:
            ids = os.pread(fd, len(lines) * ID_RECORD, first * ID_RECORD).split(b"\n")
        else:
            ids = [chq.NO_ID.encode()] * len(lines)
        return b"\n".join(b'%s,"seq":%d,"log_id":"%s"}' % (line[:-2], first + k, ids[k])
                          for k, line in enumerate(lines))

    def check(_first, lines, status, reply):
        if status != 200:
            raise RuntimeError("INSERT of %d rows answered %d: %s" % (len(lines), status, reply[:300]))

    try:
        say("clickhouse: loading %s rows, inserts of 10,000, %d clients" % (run.th(entries), clients))
        sampler = run.CpuSampler([ch.pid])
        r = load(ch.http_port, chq.insert_path(), read_batches(corpus_path, 10_000), clients, body, check,
                 "clickhouse load", entries)
        r.update(cpu_split(sampler.end()))
    finally:
        if fd is not None:
            os.close(fd)
    say("clickhouse: %s rows/s (client %.2f cores, server %.2f)" % (run.th(r["per_s"]), r["client_cores"],
                                                                     r["server_cores"]))
    r["delayed_inserts"] = ch.delayed_inserts()
    r["optimize_seconds"] = round(ch.optimize(), 1)
    say("clickhouse: OPTIMIZE TABLE logs FINAL: one part after %.1f s" % r["optimize_seconds"])
    return r


def wait_quiet(pid, label, limit=900):
    """Waits until a server uses < 5% of a core for 3 s in a row (its compactions or
    merges are done), at most `limit` seconds; returns the seconds waited."""
    t0 = time.time()
    quiet_since = None
    last = run.stat_jiffies("/proc/%d/stat" % pid)
    while time.time() - t0 < limit:
        time.sleep(0.5)
        now = run.stat_jiffies("/proc/%d/stat" % pid)
        busy = (now - last) / run.CLK_TCK / 0.5
        last = now
        if busy < 0.05:
            quiet_since = quiet_since or time.time()
            if time.time() - quiet_since >= 3:
                break
        else:
            quiet_since = None
    waited = round(time.time() - t0, 1)
    say("%s: quiet after %.1f s" % (label, waited))
    return waited


# ---------------------------------------------------------------------------
# Queries


def logsvc_rows(body):
    """[(logId, timestamp, message)] and next of a GET /logs answer."""
    doc = json.loads(body)
    return [(e["logId"], e["timestamp"], e["message"]) for e in doc["logs"]], doc.get("next")


def logsvc_stats(body, out=None):
    """{bucket start: {severity: count}} of a GET /logs/stats answer, empty buckets left out,
    added to `out`; and the answer's next cursor (set when the call stopped at its budget)."""
    out = {} if out is None else out
    doc = json.loads(body)
    for b in doc["buckets"]:
        for s, n in b["severity"].items():
            if n:
                bucket = out.setdefault(b["start"], {})
                bucket[s] = bucket.get(s, 0) + n
    return out, doc.get("next")


def define_queries(meta):
    """The six queries: key, label, logsvc target, ClickHouse SQL, kind, p99 target (ms)."""
    word, rare = meta["common_word"], meta["rare_word"]
    mid = (meta["start_ms"] + meta["end_ms"]) // 2 // 60000 * 60000
    day = corpus.DAY_MS
    s_from, s_to = meta["start_ms"] // day * day, meta["end_ms"]
    cw = chq.word_condition(word)
    q = urllib.parse.quote
    return [
        {"key": "a", "label": "severity=error, newest 100", "logsvc": "/logs?severity=error&limit=100",
         "sql": chq.newest("severity = 'error'"), "kind": "rows", "target_ms": 10},
        {"key": "b", "label": "rare word '%s', all time" % rare, "logsvc": "/logs?q=%s&from=0&limit=100" % q(rare),
         "sql": chq.newest(chq.word_condition(rare)), "kind": "rows", "target_ms": 10},
        {"key": "c", "label": "common word '%s', newest 100" % word, "logsvc": "/logs?q=%s&limit=100" % q(word),
         "sql": chq.newest(cw), "kind": "rows", "target_ms": 10},
        {"key": "d", "label": "one minute in the middle", "logsvc": "/logs?from=%d&to=%d&limit=100" % (mid, mid + 60000),
         "sql": chq.newest("timestamp >= %d AND timestamp < %d" % (mid, mid + 60000)), "kind": "rows",
         "target_ms": 10},
        {"key": "e", "label": "page %d of '%s' (cursor / keyset)" % (CURSOR_PAGE, word), "logsvc": None,
         "sql": None, "kind": "rows", "target_ms": 10, "word": word, "word_condition": cw},
        {"key": "f", "label": "stats of '%s', all time, step=1d" % word,
         "logsvc": "/logs/stats?q=%s&from=%d&to=%d&step=1d" % (q(word), s_from, s_to),
         "sql": chq.stats(chq.word_condition(word, prefilter=True), s_from, s_to, day), "kind": "stats",
         "target_ms": 100},
    ]


def prepare_paging(queries, svc_conn, ch):
    """Fills in query (e): logsvc's cursor after CURSOR_PAGE - 1 pages of (c), and
    ClickHouse's keyset condition after the same number of rows."""
    e = next(x for x in queries if x["key"] == "e")
    c = next(x for x in queries if x["key"] == "c")
    skip = (CURSOR_PAGE - 1) * PAGE
    if svc_conn is not None:
        target = c["logsvc"]
        for page in range(1, CURSOR_PAGE):
            status, body, _s = svc_conn.request("GET", target)
            if status != 200:
                raise RuntimeError("GET %s answered %d: %s" % (target, status, body[:300]))
            _rows, nxt = logsvc_rows(body)
            if not nxt:
                raise RuntimeError("'%s' has only %d pages: no page %d" % (e["word"], page, CURSOR_PAGE))
            target = "/logs?cursor=" + urllib.parse.quote(nxt)
        e["logsvc"] = target
    if ch is not None:
        last = ch.query("SELECT timestamp, seq FROM logs WHERE %s ORDER BY timestamp DESC, seq DESC LIMIT 1 OFFSET %d"
                        % (e["word_condition"], skip - 1)).split()
        if len(last) != 2:
            raise RuntimeError("'%s' has fewer than %d rows in ClickHouse" % (e["word"], skip))
        e["sql"] = chq.newest("%s AND (timestamp, seq) < (%s, %s)" % (e["word_condition"], last[0], last[1]))


def answer(system, conn, qd):
    """(parsed answer, seconds) of one query on one system; raises RuntimeError on a bad status."""
    if system == "logsvc":
        target, total, stats = qd["logsvc"], 0.0, {}
        while True:
            status, body, secs = conn.request("GET", target)
            total += secs
            if status != 200:
                raise RuntimeError("logsvc: GET %s answered %d: %s" % (target, status, body[:300]))
            if qd["kind"] != "stats":
                return logsvc_rows(body)[0], total
            # A stats call that reaches its budget (a cold cache, say) answers
            # what it has counted and a cursor: a client follows it, summing.
            stats, nxt = logsvc_stats(body, stats)
            if not nxt:
                return stats, total
            target = "/logs/stats?cursor=" + urllib.parse.quote(nxt)
    target = chq.query_path(qd["sql"])
    status, body, secs = conn.request("GET", target)
    if status != 200:
        raise RuntimeError("clickhouse: %s answered %d: %s" % (qd["sql"], status, body[:300]))
    text = body.decode("utf-8")
    return (chq.parse_stats(text) if qd["kind"] == "stats" else chq.parse_rows(text)), secs


def compare(qd, svc_answer, ch_answer, with_ids):
    """None when both systems gave the same answer, else a sentence saying how they differ."""
    if qd["kind"] == "stats":
        if svc_answer == ch_answer:
            return None
        keys = sorted(set(svc_answer) | set(ch_answer))
        diff = [k for k in keys if svc_answer.get(k) != ch_answer.get(k)]
        return "%d of %d buckets differ, first at %d: logsvc %s, clickhouse %s" % (
            len(diff), len(keys), diff[0], svc_answer.get(diff[0]), ch_answer.get(diff[0]))
    key = (lambda r: r) if with_ids else (lambda r: r[1:])
    a, b = [key(r) for r in svc_answer], [key(r) for r in ch_answer]
    if a == b:
        return None
    first = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
    return "logsvc %d rows, clickhouse %d; first difference at row %d: logsvc %s, clickhouse %s" % (
        len(a), len(b), first, a[first] if first < len(a) else "-", b[first] if first < len(b) else "-")


def percentile(samples, p):
    """Nearest-rank percentile (p99 of 30 samples is the largest)."""
    s = sorted(samples)
    k = max(1, -(-len(s) * p // 100))
    return s[int(k) - 1]


def median(values):
    s = sorted(values)
    return s[(len(s) - 1) // 2] if len(s) % 2 else (s[len(s) // 2 - 1] + s[len(s) // 2]) / 2


class Alone:
    """While one system is timed, the others' servers are stopped (SIGSTOP) and go
    on after (SIGCONT): an idle server's background threads (ClickHouse runs
    dozens) would otherwise take turns on this machine's two cores in the
    middle of the other's sub-millisecond requests. Both systems are timed
    this way, each alone, in the same run."""

    def __init__(self, pids, system):
        self.others = [pid for s, pid in pids.items() if s != system]

    def __enter__(self):
        for pid in self.others:
            os.kill(pid, signal.SIGSTOP)

    def __exit__(self, *exc):
        for pid in self.others:
            os.kill(pid, signal.SIGCONT)


def measure_queries(args, queries, conns, pids, errors):
    """Checks the answers agree, then the timed rounds, each system alone (Alone).
    Returns {key: {system: stats}}."""
    systems = [s for s in ("logsvc", "clickhouse") if s in conns]
    out = {qd["key"]: {"label": qd["label"], "target_ms": qd["target_ms"]} for qd in queries}
    for qd in queries:
        answers = {s: answer(s, conns[s], qd)[0] for s in systems}
        size = len(next(iter(answers.values())))
        out[qd["key"]]["result_size"] = size
        if len(systems) == 2:
            with_ids = qd["kind"] == "rows" and any(r[0] != chq.NO_ID for r in answers["clickhouse"])
            diff = compare(qd, answers["logsvc"], answers["clickhouse"], with_ids)
            out[qd["key"]]["same_answer"] = diff is None
            if diff:
                errors.broke("(%s) %s: the systems disagree: %s" % (qd["key"], qd["label"], diff))
        say("(%s) %s: %d %s" % (qd["key"], qd["label"], size, "buckets" if qd["kind"] == "stats" else "rows"))
    for rnd in range(args.rounds):
        order = systems if rnd % 2 == 0 else systems[::-1]
        say("query round %d of %d (%s first)" % (rnd + 1, args.rounds, order[0]))
        for qd in queries:
            for s in order:
                with Alone(pids, s):
                    for _ in range(args.warmup):
                        answer(s, conns[s], qd)
                    lat = [answer(s, conns[s], qd)[1] * 1000 for _ in range(args.reps)]
                rounds = out[qd["key"]].setdefault(s, {"rounds_p50_ms": [], "rounds_p99_ms": []})
                rounds["rounds_p50_ms"].append(round(percentile(lat, 50), 3))
                rounds["rounds_p99_ms"].append(round(percentile(lat, 99), 3))
        # Each system's round-trip floor for this client: a request that
        # reads nothing (logsvc GET /healthz, ClickHouse SELECT 1).
        for s in order:
            target = "/healthz" if s == "logsvc" else chq.query_path("SELECT 1")
            with Alone(pids, s):
                lat = [conns[s].request("GET", target)[2] * 1000 for _ in range(args.warmup + args.reps)]
            floor = out.setdefault("floor", {}).setdefault(s, {"rounds_p50_ms": [], "rounds_p99_ms": []})
            floor["rounds_p50_ms"].append(round(percentile(lat[args.warmup:], 50), 3))
            floor["rounds_p99_ms"].append(round(percentile(lat[args.warmup:], 99), 3))
    for key in [qd["key"] for qd in queries] + ["floor"]:
        for s in systems:
            r = out[key][s]
            r["p50_ms"], r["p99_ms"] = median(r["rounds_p50_ms"]), median(r["rounds_p99_ms"])
    return out


# ---------------------------------------------------------------------------
# The run


def ingest_reference(args):
    """bench/run.py's single-entry durable ingest against nginx (short settings)."""
    say("ingest reference: bench/run.py (DURATION=5 FILL=20000)")
    env = dict(os.environ, LOGSVC_BIN=args.logsvc, DURATION="5", FILL="20000")
    rc = subprocess.call([sys.executable, os.path.join(run.BENCH_DIR, "run.py")], env=env,
                         stdout=subprocess.DEVNULL)
    try:
        with open(run.RESULTS_JSON) as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return {"exit_code": rc}
    return {"exit_code": rc, "logsvc_rps": doc["ingest"]["rps"], "nginx_rps": doc["nginx"]["rps"],
            "ratio": doc["ingest"]["ratio_to_nginx"]}


def benchmark(args, errors):
    """Everything, in a run directory under --work (removed at the end unless --keep)."""
    t_start = time.time()
    corpus_path, meta = corpus.ensure_corpus(args.work, args.entries, args.seed, say)
    rundir = os.path.join(args.work, "run-%d" % os.getpid())
    shutil.rmtree(rundir, ignore_errors=True)
    os.makedirs(rundir)
    procs = run.Processes()
    r = {"corpus": {k: v for k, v in meta.items() if k not in ("word_counts", "template_counts")},
         "systems": args.systems, "settings": {"clients": args.clients, "rounds": args.rounds, "reps": args.reps,
                                                "warmup": args.warmup, "logsvc_args": args.logsvc_args}}
    n = meta["entries"]
    conns = {}
    sampler = run.CpuSampler([])
    time.sleep(1)
    r["other_cores_before"] = sampler.end()["other"]
    if r["other_cores_before"] > 0.2:
        say("WARNING: other processes use %.2f of %d cores before the start; expect slow, noisy numbers"
            % (r["other_cores_before"], run.NPROC))
    try:
        svc = ch = None
        ids_path = None
        if "logsvc" in args.systems:
            svc = run.Logsvc(procs, {"bin": args.logsvc, "args": args.logsvc_args.split()}, rundir, "logsvc")
            r["logsvc_version"] = run.command_output([args.logsvc, "--version"])
            ids_path = os.path.join(rundir, "log-ids.txt")
            r["logsvc_load"] = load_logsvc(svc, corpus_path, n, args.clients, ids_path)
            r["logsvc_load"]["quiet_after_s"] = wait_quiet(svc.pid, "logsvc")
            r["logsvc_disk_bytes"] = run.dir_bytes(svc.data)
            conns["logsvc"] = Conn(svc.port)
        if "clickhouse" in args.systems:
            ch = chq.ClickHouse(procs, rundir)
            r["clickhouse_version"] = ch.version()
            ch.query(chq.TABLE)
            r["clickhouse_load"] = load_clickhouse(ch, corpus_path, n, args.clients, ids_path)
            wait_quiet(ch.pid, "clickhouse")
            total, columns, parts = chq.disk_usage(ch)
            r["clickhouse_disk"] = {"table_bytes": total, "table_bytes_without_log_id": total - columns["log_id"],
                                    "parts": parts, "column_compressed_bytes": columns}
            conns["clickhouse"] = Conn(ch.http_port)
        queries = define_queries(meta)
        prepare_paging(queries, conns.get("logsvc"), ch)
        sampler, cpu0, t0 = run.CpuSampler([p.pid for p in (svc, ch) if p is not None]), os.times(), time.time()
        pids = {s: p.pid for s, p in (("logsvc", svc), ("clickhouse", ch)) if p is not None}
        r["queries"] = measure_queries(args, queries, conns, pids, errors)
        r["queries_cpu"] = cpu_split(sampler.end())
        r["queries_cpu"]["client_cores"] = round(own_cpu_since(cpu0) / (time.time() - t0), 2)
        r["queries_sent"] = {q["key"]: {"logsvc": q["logsvc"], "clickhouse": q["sql"]} for q in queries}
        if svc is not None:
            r["logsvc_disk_bytes_end"] = run.dir_bytes(svc.data)
            # Its tables alone (without the write-ahead logs and their
            # preallocated spare, which do not grow with the entries).
            r["logsvc_table_bytes_end"] = sum(os.path.getsize(os.path.join(svc.data, f))
                                              for f in os.listdir(svc.data) if f.endswith(".sst"))
            r["logsvc_vmhwm_kb"] = run.vm_kb(svc.pid, "VmHWM")
            r["logsvc_vmrss_kb"] = run.vm_kb(svc.pid, "VmRSS")
        for c in conns.values():
            c.close()
        if svc is not None:
            svc.stop("logsvc")
        if ch is not None:
            ch.stop()
    finally:
        procs.stop_all()
        if not args.keep:
            shutil.rmtree(rundir, ignore_errors=True)
    if args.ingest_ref and "logsvc" in args.systems:
        r["ingest_reference"] = ingest_reference(args)
    r["total_seconds"] = round(time.time() - t_start)
    return r


# ---------------------------------------------------------------------------
# Report


def targets(r):
    """[(what, value text, target text, pass or None when not measured)] beyond the query rows."""
    n = r["corpus"]["entries"]
    out = []
    # ClickHouse's table without log_id: logsvc's ids are its own (stored there only to
    # compare answers), so what the logs themselves take on ClickHouse is the base.
    svc_disk = r.get("logsvc_disk_bytes_end", r.get("logsvc_disk_bytes"))
    chd = r.get("clickhouse_disk")
    ch_disk = chd["table_bytes_without_log_id"] if chd else None
    svc_text = "%.1f" % (svc_disk / n) if svc_disk is not None else "-"
    ch_text = "%.1f (%.1f with log_id)" % (ch_disk / n, chd["table_bytes"] / n) if chd else "-"
    ratio = svc_disk / ch_disk if svc_disk is not None and ch_disk else None
    out.append(("disk bytes/entry: logsvc / clickhouse", "%s / %s%s" % (
        svc_text, ch_text, "; %.2fx" % ratio if ratio is not None else ""), "<= 1.5x",
        ratio <= 1.5 if ratio is not None else None))
    if "logsvc_table_bytes_end" in r:
        tables = r["logsvc_table_bytes_end"]
        out.append(("logsvc tables alone (no WAL), bytes/entry", "%.1f%s" % (
            tables / n, "; %.2fx" % (tables / ch_disk) if ch_disk else ""), "", None))
    sl, cl = r.get("logsvc_load"), r.get("clickhouse_load")
    out.append(("load, entries/s (logsvc batch / clickhouse insert)", "%s / %s" % (
        run.th(sl["per_s"]) if sl else "-", run.th(cl["per_s"]) if cl else "-"),
        ">= clickhouse", (sl["per_s"] >= cl["per_s"]) if sl and cl else None))
    if "logsvc_vmhwm_kb" in r:
        mib = r["logsvc_vmhwm_kb"] / 1024
        out.append(("logsvc peak RSS (VmHWM)", "%.0f MiB" % mib, "< 500 MiB", mib < 500))
    return out


def verdict(ok):
    return "-" if ok is None else ("PASS" if ok else "FAIL")


def query_verdict(q):
    """(ratio text, pass or None) of a query row: p99 under its target, and for (a)-(e)
    at least 10 times faster than ClickHouse (ratio of p50s)."""
    svc, ch = q.get("logsvc"), q.get("clickhouse")
    ratio = ch["p50_ms"] / svc["p50_ms"] if svc and ch and svc["p50_ms"] > 0 else None
    if svc is None:
        return "-", None
    ok = svc["p99_ms"] < q["target_ms"]
    if q["target_ms"] == 10:
        ok = ok and ratio is not None and ratio >= 10
    if q.get("same_answer") is False:
        ok = False
    return ("%.1fx" % ratio if ratio is not None else "-"), ok


def markdown(r):
    """The summary: query table, then the other targets, then loads."""
    c = r["corpus"]
    lines = ["", "Search benchmark: %s entries (seed %d, %d templates), common word '%s' in %s entries (%.1f%%),"
             " rare word '%s' in %d" % (run.th(c["entries"]), c["seed"], c["templates"], c["common_word"],
                                        run.th(c["common_count"]), 100.0 * c["common_count"] / c["entries"],
                                        c["rare_word"], c["rare_count"]),
             "%s; ClickHouse %s; %d rounds x %d requests (+%d warm-up), each system timed alone (the other stopped), medians of the rounds' p50/p99" % (
                 r.get("logsvc_version", "logsvc not run"), r.get("clickhouse_version", "not run"),
                 r["settings"]["rounds"], r["settings"]["reps"], r["settings"]["warmup"]),
             "machine: %d cores; processes not ours used %.2f cores before the start, %.2f during the queries" % (
                 run.NPROC, r["other_cores_before"],
                 max(0.0, r["queries_cpu"]["other_cores"] - r["queries_cpu"]["client_cores"])), "",
             "| query | logsvc p50 / p99 ms | ClickHouse p50 / p99 ms | ratio (p50) | target | result |",
             "|---|---|---|---|---|---|"]
    for key, q in sorted(r.get("queries", {}).items()):
        if key == "floor":
            continue

        def cell(s):
            return "%.2f / %.2f" % (s["p50_ms"], s["p99_ms"]) if s else "-"
        ratio, ok = query_verdict(q)
        tgt = "p99 < %d ms" % q["target_ms"] + (", >= 10x" if q["target_ms"] == 10 else "")
        same = "" if q.get("same_answer", True) else " (answers differ)"
        lines.append("| (%s) %s | %s | %s | %s | %s | %s%s |" % (key, q["label"], cell(q.get("logsvc")),
                                                                cell(q.get("clickhouse")), ratio, tgt, verdict(ok),
                                                                same))
    floor = r.get("queries", {}).get("floor")
    if floor:
        lines.append("| round-trip floor: logsvc GET /healthz, ClickHouse SELECT 1 | %s | %s | | | |" % tuple(
            "%.2f / %.2f" % (floor[s]["p50_ms"], floor[s]["p99_ms"]) if s in floor else "-"
            for s in ("logsvc", "clickhouse")))
    lines += ["", "| measure | value | target | result |", "|---|---|---|---|"]
    for what, value, tgt, ok in targets(r):
        lines.append("| %s | %s | %s | %s |" % (what, value, tgt, verdict(ok)))
    for name in ("logsvc_load", "clickhouse_load"):
        if name in r:
            x = r[name]
            lines.append("| %s | %s in %.1f s; cores: client %.2f, server %.2f, all others %.2f, idle %.2f%s | | |" % (
                name.replace("_", " "), run.th(x["entries"]), x["seconds"], x["client_cores"], x["server_cores"],
                max(0.0, x["other_cores"] - x["client_cores"]), x["idle_cores"],
                ("; OPTIMIZE FINAL %.1f s" % x["optimize_seconds"]) if "optimize_seconds" in x else "")
                + "".join("; %s %d" % kv for kv in x.get("delayed_inserts", {}).items()))
    if "clickhouse_disk" in r:
        cols = r["clickhouse_disk"]["column_compressed_bytes"]
        lines.append("| clickhouse bytes/entry by column | %s | | |" % ", ".join(
            "%s %.1f" % (k, v / c["entries"]) for k, v in cols.items()))
    ref = r.get("ingest_reference")
    if ref and "logsvc_rps" in ref:
        lines.append("| single-entry ingest (bench/run.py): logsvc / nginx req/s | %s / %s (%.2f) | | |" % (
            run.th(ref["logsvc_rps"]), run.th(ref["nginx_rps"]), ref["ratio"]))
    lines.append("")
    return "\n".join(lines)


def write_results(path, doc):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    os.replace(path + ".tmp", path)
    say("wrote " + path)


def main(argv):
    os.environ["LC_ALL"] = "C"
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args = parse_args(argv)
    errors = run.Errors()
    try:
        r = benchmark(args, errors)
    except SetupError as e:
        print("bench/search.py: error: %s" % e, file=sys.stderr)
        return 2
    except RuntimeError as e:
        print("bench/search.py: broken: %s" % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    r["errors"] = errors.items
    r["targets"] = [{"what": w, "value": v, "target": t, "pass": ok} for w, v, t, ok in targets(r)]
    write_results(args.results, r)
    print(markdown(r), flush=True)
    return 1 if errors.items else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
