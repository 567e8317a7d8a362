#!/usr/bin/env python3
"""Lambda cold start: how long a function's init takes, from process start to its
first GET /2018-06-01/runtime/invocation/next on a local Runtime API (what
Lambda bills as Init Duration, minus the sandbox). Run by bench/cold_start.sh;
see bench/README.md.

Variants (each --runs times, interleaved, after --warmup unmeasured rounds):
  floor             /bin/true, start to exit: what starting any process costs here
  bootstrap         logsvc's bootstrap from the build
  bootstrap-zip     the packaged bootstrap (the zip unpacked at <tmp>/var/task),
                    chrooted to <tmp>, with Lambda's environment only (root only)
  python-boto3      the original design's init: a Python custom runtime stand-in
                    that does `import boto3; boto3.resource("dynamodb")`, then GETs
                    /next (Debian's /usr/bin/python3 and python3-boto3)

Every process is started the same way (fork, then exec; for bootstrap-zip a
chroot(2) in between), the clock starting just before the fork. The Runtime API
answers the first /next with 500, and the process exits. No network I/O besides.
Standard library only.
"""

import argparse
import json
import math
import os
import select
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

NEXT = b"GET /2018-06-01/runtime/invocation/next "
TASK_ROOT = "/var/task"
TARGET_RATIO = 20

STANDIN = """\
# The original design's Python function, as far as its init goes: the handler
# module creates its DynamoDB resource at import; the runtime then asks for work.
import http.client
import os

import boto3

dynamodb = boto3.resource("dynamodb")

host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].rsplit(":", 1)
conn = http.client.HTTPConnection(host, int(port))
conn.request("GET", "/2018-06-01/runtime/invocation/next")
conn.getresponse().read()
"""


def lambda_env(api, handler="ingest"):
    """Lambda's environment for a function (and nothing else, as `env -i`)."""
    return {
        "AWS_LAMBDA_RUNTIME_API": api,
        "_HANDLER": handler,
        "LAMBDA_TASK_ROOT": TASK_ROOT,
        "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "PATH": "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
        "LD_LIBRARY_PATH": "/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "AWS_LAMBDA_FUNCTION_NAME": "logsvc-ingest",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "AKIDCOLDSTART0000001",
        "AWS_SECRET_ACCESS_KEY": "cold/Start+Secret/Key/000000000000000000",
        "AWS_SESSION_TOKEN": "IQoJb3JpZ2luX2VjEXAMPLETOKEN",
        "DYNAMODB_TABLE_NAME": "logs",
    }


class Broken(Exception):
    pass


class Variant:
    def __init__(self, name, label, argv, chroot=None, floor=False):
        self.name = name
        self.label = label
        self.argv = argv
        self.chroot = chroot
        self.floor = floor  # measured to its exit: it never asks for an event
        self.samples_ms = []

    def preexec(self):
        if self.chroot:
            os.chroot(self.chroot)
            os.chdir("/")


def measure(variant, listener, timeout):
    """One run: milliseconds from just before the fork to the first GET /next
    (for the floor: to its exit)."""
    env = lambda_env("127.0.0.1:%d" % listener.getsockname()[1])
    if variant.floor:
        t0 = time.perf_counter_ns()
        subprocess.run(variant.argv, env=env, stdin=subprocess.DEVNULL, preexec_fn=variant.preexec,
                       close_fds=True, timeout=timeout)
        return (time.perf_counter_ns() - t0) / 1e6
    t0 = time.perf_counter_ns()
    # The same spawn path for every variant (fork, preexec, exec); single-threaded, so
    # preexec_fn is safe here.
    proc = subprocess.Popen(variant.argv, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=variant.preexec, close_fds=True)
    conn = None
    try:
        deadline = time.monotonic() + timeout
        head = b""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Broken("%s: no GET /next within %ss" % (variant.name, timeout))
            if conn is None:
                ready, _, _ = select.select([listener], [], [], min(left, 0.5))
                if not ready:
                    if proc.poll() is not None:
                        raise Broken("%s exited (status %d) before asking for an event: %s" % (
                            variant.name, proc.returncode,
                            proc.stderr.read().decode(errors="replace").strip()[-500:]))
                    continue
                conn, _ = listener.accept()
                conn.settimeout(left)
            chunk = conn.recv(65536)
            if not chunk:
                raise Broken("%s closed the connection before sending a request" % variant.name)
            head += chunk
            if b"\r\n\r\n" in head:
                t1 = time.perf_counter_ns()
                break
        if not head.startswith(NEXT):
            raise Broken("%s sent %r, not GET /next" % (variant.name, head[:100]))
        body = b'{"errorMessage":"benchmark over","errorType":"Runtime.ExitError"}'
        conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
        return (t1 - t0) / 1e6
    finally:
        if conn is not None:
            conn.close()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stderr.close()


def percentile(samples, p):
    """Nearest rank."""
    s = sorted(samples)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


def unpack(zip_path):
    root = tempfile.mkdtemp(prefix="logsvc-coldstart-root-")
    task = os.path.join(root, TASK_ROOT.lstrip("/"))
    os.makedirs(task)
    with zipfile.ZipFile(zip_path) as z:
        for info in z.infolist():
            z.extract(info, task)
            mode = (info.external_attr >> 16) & 0o7777
            if mode:
                os.chmod(os.path.join(task, info.filename), mode)
    return root


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--zip", default="")
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--json", default="")
    args = ap.parse_args()
    if args.runs < 1 or args.warmup < 0:
        ap.error("--runs must be >= 1 and --warmup >= 0")

    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    work = tempfile.mkdtemp(prefix="logsvc-coldstart-")
    roots = []
    notes = []
    try:
        standin = os.path.join(work, "standin.py")
        with open(standin, "w") as f:
            f.write(STANDIN)
        true = shutil.which("true") or "/bin/true"
        variants = [Variant("floor", "floor: %s, start to exit (not a runtime)" % true, [true],
                            floor=True),
                    Variant("bootstrap", "bootstrap (%s)" % os.path.relpath(args.bootstrap),
                            [os.path.abspath(args.bootstrap)])]
        if not args.zip:
            notes.append("bootstrap-zip skipped: no zip (scripts/package-lambda.sh builds "
                         "dist/logsvc-lambda.zip)")
        elif os.geteuid() != 0:
            notes.append("bootstrap-zip skipped: chroot needs root")
        else:
            root = unpack(args.zip)
            roots.append(root)
            variants.append(Variant("bootstrap-zip", "bootstrap from the zip, in a chroot",
                                    [TASK_ROOT + "/bootstrap"], chroot=root))
        variants.append(Variant("python-boto3", "%s + boto3.resource(\"dynamodb\")" % args.python,
                                [args.python, standin]))

        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        for i in range(args.warmup + args.runs):
            for v in variants:  # interleaved: background noise spreads over all of them
                ms = measure(v, listener, args.timeout)
                if i >= args.warmup:
                    v.samples_ms.append(ms)
            if i + 1 == args.warmup or (i >= args.warmup and (i - args.warmup + 1) % 5 == 0):
                sys.stderr.write("==> cold start: %d of %d rounds\n"
                                 % (i + 1, args.warmup + args.runs))
        listener.close()
    except Broken as e:
        sys.stderr.write("cold_start: BROKEN: %s\n" % e)
        return 1
    finally:
        for r in roots:
            shutil.rmtree(r, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)

    stats = {}
    for v in variants:
        stats[v.name] = {
            "label": v.label,
            "runs": len(v.samples_ms),
            "median_ms": round(statistics.median(v.samples_ms), 3),
            "p90_ms": round(percentile(v.samples_ms, 90), 3),
            "min_ms": round(min(v.samples_ms), 3),
            "max_ms": round(max(v.samples_ms), 3),
            "samples_ms": [round(s, 3) for s in v.samples_ms],
        }
    py = stats["python-boto3"]["median_ms"]
    ratios = {name: round(py / s["median_ms"], 1) for name, s in stats.items()
              if name.startswith("bootstrap")}
    met = all(r >= TARGET_RATIO for r in ratios.values())

    print()
    print("Lambda cold start: process start -> first GET /next, %d runs each (+%d warm-up), "
          "%d cores, load average before %s" % (args.runs, args.warmup, os.cpu_count(), load))
    print("  %-52s %9s %9s %9s %9s" % ("variant", "median", "p90", "min", "max"))
    for name, s in stats.items():
        print("  %-52s %9s %9s %9s %9s" % (
            s["label"][:52], "%.2f ms" % s["median_ms"], "%.2f ms" % s["p90_ms"],
            "%.2f ms" % s["min_ms"], "%.2f ms" % s["max_ms"]))
    for name, r in ratios.items():
        print("  ratio python-boto3 / %-31s %9s  (medians)" % (name, "%.1fx" % r))
    print("  target: python / bootstrap >= %d: %s" % (TARGET_RATIO, "PASS" if met else "FAIL"))
    for n in notes:
        print("  note: " + n)
    print()
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump({"started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                       "runs": args.runs, "warmup": args.warmup, "nproc": os.cpu_count(),
                       "loadavg_before": load,
                       "variants": stats, "ratios": ratios, "target_ratio": TARGET_RATIO,
                       "target_met": met, "notes": notes}, f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
