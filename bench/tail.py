#!/usr/bin/env python3
"""Live tail under load (issue 13): does a follower that stops reading slow
ingest? Runs logsvc ingest with no tail clients and with STALLED (default 100)
tail clients that open GET /logs/tail and never read, in alternating rounds
(each on a fresh data directory), and reports each side's median round and the
ratio; target: >= 0.9. Two loads: single-entry POST /logs (wrk, post.lua, as
bench/run.py) and NDJSON batches of 1,000 (post.lua with BATCH_FILE).

  python3 bench/tail.py                 # DURATION=10 ROUNDS=3 STALLED=100
  DURATION=3 ROUNDS=1 python3 bench/tail.py

Needs wrk (scripts/setup.sh bench). Prints a table on stdout and writes
bench/results/tail.json. Standard library only; the plumbing is bench/run.py's.
"""

import json
import os
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (bench/run.py: processes, logsvc, wrk, medians)

BATCH_ENTRIES = 1000


def stall(port, n):
    """n tail clients that read nothing (a 4 KiB receive buffer each, full at
    once); half follow everything, half only errors. Returns their sockets."""
    socks = []
    for i in range(n):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(("127.0.0.1", port))
        path = "/logs/tail" if i % 2 == 0 else "/logs/tail?severity=error"
        s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path).encode())
        socks.append(s)
    time.sleep(0.5)  # each has its first piece
    return socks


def batch_file(work):
    path = os.path.join(work, "batch.ndjson")
    with open(path, "w") as f:
        for i in range(BATCH_ENTRIES):
            sev = "error" if i % 20 == 0 else "info"
            f.write(json.dumps({"severity": sev, "message": "GET /api/orders/%d 200 in %dms "
                                "user=u-%d region=eu-west-1" % (18000 + i, i % 97, i * 7)}) + "\n")
    return path


def one_run(procs, settings, work, errors, label, load, stalled, batch_path):
    server = run.Logsvc(procs, settings, work, label)
    socks = stall(server.port, stalled) if stalled else []
    try:
        d = settings["duration"]
        if load == "single":
            b, _ = run.run_wrk(procs, work, errors, label, ["-t2", "-c64", "-d%ds" % d],
                               "post.lua", server.port, [server.pid], (201, "created", "non201"))
            rate = b["rps"]
        else:
            os.environ["BATCH_FILE"] = batch_path
            os.environ["BATCH_ENTRIES"] = str(BATCH_ENTRIES)
            try:
                b, _ = run.run_wrk(procs, work, errors, label, ["-t2", "-c8", "-d%ds" % d],
                                   "post.lua", server.port, [server.pid],
                                   (201, "created", "non201"))
            finally:
                del os.environ["BATCH_FILE"]
            rate = run.rounded(b["entries"] * 1000000 / b["duration_us"], 0)
        if not server.alive():
            errors.broke("%s: logsvc died" % label)
        run.say("%s: %d entries/s" % (label, rate))
        return rate
    finally:
        for s in socks:
            s.close()
        server.stop(label)


def main():
    settings = {
        "bin": os.environ.get("LOGSVC_BIN") or os.path.join(run.REPO_ROOT, "build", "logsvc"),
        "args": os.environ.get("LOGSVC_ARGS", "").split(),
        "duration": run.env_uint("DURATION", 10, 1, "a whole number of seconds"),
        "rounds": run.env_uint("ROUNDS", 3, 1),
    }
    stalled = run.env_uint("STALLED", 100, 1)
    procs = run.Processes()
    errors = run.Errors()
    results = {}
    work = tempfile.mkdtemp(prefix="logsvc-tail-bench-", dir=os.environ.get("TMPDIR") or "/tmp")
    try:
        batch_path = batch_file(work)
        for load in ("single", "batch"):
            plain, tailed = [], []
            for r in range(settings["rounds"]):
                plain.append(one_run(procs, settings, work, errors, "%s-none-%d" % (load, r + 1),
                                     load, 0, batch_path))
                tailed.append(one_run(procs, settings, work, errors,
                                      "%s-stalled-%d" % (load, r + 1), load, stalled, batch_path))
            p = plain[run.median_round(plain)]
            t = tailed[run.median_round(tailed)]
            results[load] = {"none": plain, "stalled": tailed, "median_none": p,
                             "median_stalled": t, "ratio": round(t / p, 3) if p else None}
    finally:
        procs.stop_all()
    print("| load | no tail clients | %d stalled tail clients | ratio (target >= 0.9) |" % stalled)
    print("|---|---|---|---|")
    for load, r in results.items():
        print("| %s | %d entries/s | %d entries/s | %.2f |"
              % ("POST /logs, 1 entry" if load == "single" else "POST /logs, NDJSON of 1,000",
                 r["median_none"], r["median_stalled"], r["ratio"]))
    os.makedirs(run.RESULTS_DIR, exist_ok=True)
    with open(os.path.join(run.RESULTS_DIR, "tail.json"), "w") as f:
        json.dump({"stalled": stalled, "duration": settings["duration"],
                   "rounds": settings["rounds"], "results": results}, f, indent=2)
    return 1 if errors.items else 0


if __name__ == "__main__":
    sys.exit(main())
