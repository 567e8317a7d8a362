#!/usr/bin/env python3
"""The logsvc benchmark: durable ingest against an nginx ceiling, GET /logs
latency at 200 and at FILL entries, and peak RSS; then the Lambda cold start
(bench/cold_start.sh) when build/lambda/bootstrap exists. See bench/README.md.

  python3 bench/run.py                        # defaults: DURATION=10 FILL=1000000
  DURATION=3 FILL=20000 python3 bench/run.py  # quick smoke run

(bench/run.sh runs this file.)

Environment:
  LOGSVC_BIN     the binary (default: build/logsvc in the repository)
  LOGSVC_ARGS    extra arguments for `logsvc serve` (e.g. "--threads 1")
  DURATION       seconds of each timed wrk run (default 10)
  FILL           entries stored before the second GET measurement (default 1000000, >= 200)
  READ_CONNS     connections of the GET /logs runs (default 8)
  NGINX_WORKERS  nginx worker counts to try; the best is the ceiling (default "1 2")
  ROUNDS         interleaved rounds of nginx and logsvc ingest, and of the two GET
                 runs; each is reported by its median round (default 3)
  FILL_TIMEOUT   seconds the fill may take before it counts as broken (default 1800)
  FILL_STALL     seconds without progress before the fill counts as broken (default 120)
  TMPDIR         where the data directories go (default /tmp); it must be a real disk

Prints a summary table on stdout (progress on stderr), writes the same as JSON to
bench/results/latest.json. Exits 0 whether or not targets are met; 1 if a run
broke (non-201 answers, socket errors, a short fill); 2 on a setup problem.
The load itself is wrk with post.lua, get.lua and fill.lua. Standard library only.
"""

import datetime
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(BENCH_DIR)
RESULTS_DIR = os.path.join(BENCH_DIR, "results")
RESULTS_JSON = os.path.join(RESULTS_DIR, "latest.json")
PROG = "bench/run.py"

# The write load, the same for nginx and logsvc.
POST_THREADS = 2
POST_CONNS = 64
GET_THREADS = 1
SMALL_FILL = 200
# The entry every POST sends; nginx answers with a body of logsvc's size (134 bytes).
POST_BODY = '{"severity":"info","message":"GET /api/orders/18446 200 in 12ms user=u-4821 region=eu-west-1"}'
NGINX_REPLY = (
    '{"statusCode":201,"message":"Log entry created successfully",'
    '"logId":"030ecf90-43bb-4dfb-920a-6e43aff39fb2","timestamp":1795539683637}'
)

CLK_TCK = os.sysconf("SC_CLK_TCK")
NPROC = len(os.sched_getaffinity(0))

# ---------------------------------------------------------------------------
# Plumbing


class SetupError(Exception):
    """The benchmark cannot run (exit 2); the message is one line for the user."""


def say(msg):
    """A progress line on stderr."""
    print("==> " + msg, file=sys.stderr, flush=True)


class Errors:
    """Broken runs: each is announced loudly when it happens; exit 1 at the end."""

    def __init__(self):
        self.items = []

    def broke(self, msg):
        """Records a broken run and goes on."""
        self.items.append(msg)
        print("\n!!!!!!!! BROKEN: %s !!!!!!!!\n" % msg, file=sys.stderr, flush=True)


def env_uint(name, default, minimum, what="a whole number"):
    """A whole-number environment variable (default when unset or empty), >= minimum."""
    text = os.environ.get(name) or str(default)
    if not re.fullmatch(r"[0-9]+", text) or int(text) < minimum:
        raise SetupError("%s must be %s >= %d" % (name, what, minimum))
    return int(text)


def read_settings():
    """The settings from the environment, checked; raises SetupError."""
    s = {
        "bin": os.environ.get("LOGSVC_BIN") or os.path.join(REPO_ROOT, "build", "logsvc"),
        "args_text": os.environ.get("LOGSVC_ARGS", ""),
        "duration": env_uint("DURATION", 10, 1, "a whole number of seconds"),
        "rounds": env_uint("ROUNDS", 3, 1),
        "fill": env_uint("FILL", 1000000, SMALL_FILL),
        "read_conns": env_uint("READ_CONNS", 8, 1),
        "fill_timeout": env_uint("FILL_TIMEOUT", 1800, 1),
        "fill_stall": env_uint("FILL_STALL", 120, 1),
        "tmpdir": os.environ.get("TMPDIR") or "/tmp",
    }
    s["args"] = s["args_text"].split()
    workers = (os.environ.get("NGINX_WORKERS") or "1 2").split()
    if not all(re.fullmatch(r"[0-9]+", w) and int(w) >= 1 for w in workers):
        raise SetupError("NGINX_WORKERS must list numbers >= 1")
    s["workers"] = [int(w) for w in workers]
    if not (os.path.isfile(s["bin"]) and os.access(s["bin"], os.X_OK)):
        raise SetupError("no logsvc binary at %s; build it (cmake -S %s -B %s/build"
                         " -DCMAKE_BUILD_TYPE=Release && cmake --build %s/build -j2 --target logsvc)"
                         " or point LOGSVC_BIN at one" % (s["bin"], REPO_ROOT, REPO_ROOT, REPO_ROOT))
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            raise SetupError("'%s' is not installed (needed by the benchmark; scripts/setup.sh bench)" % tool)
    return s


class Processes:
    """Every process the benchmark started and has not stopped yet."""

    def __init__(self):
        self.live = []

    def start(self, argv, **kwargs):
        """Popen, remembered until stop()."""
        p = subprocess.Popen(argv, **kwargs)
        self.live.append(p)
        return p

    def stop(self, p, grace=15):
        """SIGTERM, then up to grace seconds for it to exit, then SIGKILL."""
        try:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=grace)
                except subprocess.TimeoutExpired:
                    print("%s: pid %d ignored SIGTERM for %ss; killing it" % (PROG, p.pid, grace),
                          file=sys.stderr, flush=True)
                    p.kill()
            p.wait()
        finally:
            if p in self.live:
                self.live.remove(p)

    def stop_all(self):
        """Stops whatever is still running (on every exit, including Ctrl-C)."""
        for p in list(self.live):
            self.stop(p, 5)


def free_port():
    """A free TCP port on 127.0.0.1 (for nginx; logsvc picks its own with port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Loopback only: no http_proxy from the environment.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http(method, url, body=None, timeout=1.0):
    """(status, body text) of one request; (0, "") when it could not be made."""
    req = urllib.request.Request(url, data=body, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with DIRECT.open(req, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")
    except (OSError, ValueError):
        return 0, ""


def th(n):
    """1234567 -> 1,234,567."""
    return "{:,}".format(int(n))


def ms(us):
    """Microseconds -> milliseconds, as the table shows them."""
    return "%.3f" % (us / 1000)


def rounded(x, digits):
    """x as printed with %.<digits>f, as a number (an int for 0 digits)."""
    return int(round(x)) if digits == 0 else float("%.*f" % (digits, x))


def vm_kb(pid, field):
    """A /proc/PID/status field in kB, e.g. VmHWM."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            parts = line.split()
            if parts and parts[0] == field + ":":
                return int(parts[1])
    return 0


def dir_bytes(path):
    """Disk usage of a directory tree in bytes (allocated blocks, as `du -s`)."""
    total = 0
    for root, dirs, files in os.walk(path):
        for name in [root] + [os.path.join(root, n) for n in files]:
            try:
                total += os.lstat(name).st_blocks * 512
            except OSError:
                pass
    return total


def dir_mb(path):
    """Disk usage of a directory tree in MiB, rounded up (as `du -sm`)."""
    return -(-dir_bytes(path) // (1024 * 1024))


# ---------------------------------------------------------------------------
# CPU accounting: how the machine's CPU time was spent during a run, in cores
# (the machine has NPROC): the server under test, wrk, everything else, idle.


def machine_jiffies():
    """(total, idle) jiffies of the machine since boot; idle includes iowait."""
    with open("/proc/stat") as f:
        u, n, s, i, w, irq, sirq, st = (int(v) for v in f.readline().split()[1:9])
    return u + n + s + i + w + irq + sirq + st, i + w


def stat_jiffies(path):
    """utime+stime from a /proc stat file; 0 when it is gone."""
    try:
        with open(path) as f:
            fields = f.read().rsplit(") ", 1)[1].split()
    except (OSError, IndexError):
        return 0
    return int(fields[11]) + int(fields[12])


def proc_jiffies(pids, only_rocksdb=False):
    """utime+stime of processes, all threads; with only_rocksdb only RocksDB's own
    background threads (named rocksdb:*), which flush and compact."""
    total = 0
    for pid in pids:
        if not only_rocksdb:
            total += stat_jiffies("/proc/%d/stat" % pid)
            continue
        try:
            tids = os.listdir("/proc/%d/task" % pid)
        except OSError:
            continue
        for tid in tids:
            task = "/proc/%d/task/%s" % (pid, tid)
            try:
                with open(task + "/comm") as f:
                    if not f.read().startswith("rocksdb:"):
                        continue
            except OSError:
                continue
            total += stat_jiffies(task + "/stat")
    return total


def children_jiffies():
    """CPU time of this process's finished (waited-for) children, i.e. wrk, in jiffies."""
    t = os.times()
    return int((t.children_user + t.children_system) * CLK_TCK)


def syscw(pids):
    """write()-type system calls of processes (/proc/PID/io syscw). logsvc writes its
    sockets with sendmsg, which is not counted, and logs nothing per request, so
    for logsvc this is (nearly) one per WAL group commit; RocksDB's flushes add a few."""
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/io" % pid) as f:
                for line in f:
                    if line.startswith("syscw:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


class CpuSampler:
    """Samples /proc before and after a run of SERVER pids (begin/end); end() gives
    the run's CPU split in cores, its wall time and the servers' write() calls."""

    def __init__(self, pids):
        self.pids = list(pids)
        total, idle = machine_jiffies()
        self.start = {
            "total": total, "idle": idle, "server": proc_jiffies(self.pids),
            "rocksdb": proc_jiffies(self.pids, only_rocksdb=True),
            "wrk": children_jiffies(), "syscw": syscw(self.pids), "t": time.time(),
        }

    def end(self):
        """The split since __init__ (call after wrk was waited for)."""
        s = self.start
        total, idle = machine_jiffies()
        wrk = children_jiffies() - s["wrk"]
        total -= s["total"]
        idle -= s["idle"]
        server = proc_jiffies(self.pids) - s["server"]
        rocksdb = proc_jiffies(self.pids, only_rocksdb=True) - s["rocksdb"]
        total = total if total > 0 else 1

        def cores(jiffies):
            return rounded(jiffies * NPROC / total, 2)

        other = cores(total - idle - server - wrk)
        return {
            "wall_s": rounded(time.time() - s["t"], 2),
            "server": cores(server),
            "server_cpu_s": rounded(server / CLK_TCK, 2),
            "rocksdb_bg": cores(rocksdb),
            "wrk": cores(wrk),
            "idle": cores(idle),
            "other": other if other > 0 else 0.0,  # jiffy rounding
            "syscw": syscw(self.pids) - s["syscw"],
        }


def cpu_record(cpu, requests):
    """What the CPU table and the JSON keep of a run."""
    return {"server": cpu["server"], "rocksdb_bg": cpu["rocksdb_bg"], "wrk": cpu["wrk"],
            "other": cpu["other"], "idle": cpu["idle"], "server_cpu_s": cpu["server_cpu_s"],
            "requests": requests}


def commits(cpu, entries):
    """(WAL writes per second, entries per WAL write) of a run."""
    per_s = rounded(cpu["syscw"] / cpu["wall_s"], 0) if cpu["wall_s"] > 0 else 0
    return per_s, rounded(entries / (cpu["syscw"] if cpu["syscw"] > 0 else 1), 1)


# ---------------------------------------------------------------------------
# Servers

NGINX_CONF = """\
# The ceiling: what answering a POST /logs costs with no work behind it.
worker_processes {workers};
{affinity}
worker_rlimit_nofile 16384;
daemon off;
master_process on;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{
  worker_connections 4096;
}}
http {{
  access_log off;
  server_tokens off;
  default_type application/json;
  keepalive_timeout 75s;
  keepalive_requests 1000000000;
  client_body_buffer_size 16k;
  client_body_temp_path {dir}/tmp/body;
  proxy_temp_path {dir}/tmp/proxy;
  fastcgi_temp_path {dir}/tmp/fastcgi;
  uwsgi_temp_path {dir}/tmp/uwsgi;
  scgi_temp_path {dir}/tmp/scgi;
  server {{
    listen 127.0.0.1:{port} reuseport backlog=4096;
    location = /logs {{
      return 201 '{reply}';
    }}
    location / {{
      return 404;
    }}
  }}
}}
"""


def tail(path, n):
    """The last n lines of a file, joined by spaces ("" if unreadable)."""
    try:
        with open(path, errors="replace") as f:
            return " ".join(f.read().splitlines()[-n:])
    except OSError:
        return ""


def start_nginx(procs, work, workers):
    """nginx with its own config in work/nginx-N, answering POST /logs with 201;
    returns (Popen, port) once it answers. Up to 5 attempts on fresh ports."""
    d = os.path.join(work, "nginx-%d" % workers)
    os.makedirs(os.path.join(d, "tmp"), exist_ok=True)
    conf = os.path.join(d, "nginx.conf")
    for attempt in range(1, 6):
        port = free_port()
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(workers=workers, dir=d, port=port, reply=NGINX_REPLY,
                                      affinity="worker_cpu_affinity auto;" if workers > 1 else ""))
        with open(os.path.join(d, "stdout.log"), "w") as out:
            p = procs.start(["nginx", "-p", d, "-c", conf, "-e", os.path.join(d, "error.log")],
                            stdout=out, stderr=subprocess.STDOUT)
        for _ in range(50):
            if p.poll() is not None:
                break
            status, _body = http("POST", "http://127.0.0.1:%d/logs" % port, POST_BODY.encode())
            if status == 201:
                return p, port
            time.sleep(0.1)
        procs.stop(p, 5)
        say("nginx did not come up on port %d (attempt %d): %s"
            % (port, attempt, tail(os.path.join(d, "error.log"), 2)))
    raise SetupError("nginx would not start; see its error log above")


def child_pids(pid):
    """Direct children of a process (nginx's workers), from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as f:
                    if int(f.read().rsplit(") ", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return found


class Logsvc:
    """One `logsvc serve` on a fresh data directory work/NAME/data and a port of its choosing."""

    def __init__(self, procs, settings, work, name):
        self.procs = procs
        self.dir = os.path.join(work, name)
        os.makedirs(self.dir, exist_ok=True)
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "stderr.log")
        with open(self.log, "w") as err:
            self.proc = procs.start([settings["bin"], "serve", "--listen", "127.0.0.1:0",
                                     "--data-dir", self.data] + settings["args"], stderr=err)
        self.pid = self.proc.pid
        self.port = self._wait_for_port()

    def _wait_for_port(self):
        """The port from the first stderr line ({"listen":"127.0.0.1:N",...}), within 10 s."""
        for _ in range(100):
            with open(self.log, errors="replace") as f:
                m = re.search(r'"listen":"127\.0\.0\.1:([0-9]+)"', f.readline())
            if m:
                return int(m.group(1))
            if self.proc.poll() is not None:
                self._show_log()
                raise SetupError("logsvc exited at start (its stderr is above)")
            time.sleep(0.1)
        self._show_log()
        raise SetupError('logsvc printed no "listen" line within 10 s')

    def _show_log(self):
        with open(self.log, errors="replace") as f:
            sys.stderr.write(f.read())

    def alive(self):
        """Whether the process is still running."""
        return self.proc.poll() is None

    def stop(self, label):
        """SIGTERM (60 s grace), and a note if it complained while running."""
        t0 = time.time()
        self.procs.stop(self.proc, 60)
        say("%s: logsvc stopped in %.1f s" % (label, time.time() - t0))
        with open(self.log, errors="replace") as f:
            bad = [line for line in f if re.search(r'"level":"(warn|error)"', line)]
        if bad:
            say("%s: logsvc logged %d warning/error lines, e.g.:" % (label, len(bad)))
            sys.stderr.write("".join(bad[:3]))


def check_listing(port, errors):
    """GET /logs returns the newest 100: check it says so."""
    _status, body = http("GET", "http://127.0.0.1:%d/logs" % port, timeout=10)
    counts = re.findall(r'"count":([0-9]*)', body[:200])
    count = counts[-1] if counts else ""
    if count != "100":
        errors.broke("GET /logs answered count '%s' (expected 100): %s" % (count, body[:200]))


# ---------------------------------------------------------------------------
# Loads (wrk and its Lua scripts, which print one "BENCH k=v ..." line)


def parse_bench_line(text):
    """The k=v pairs of wrk's first "BENCH " line, as numbers; None if there is none."""
    for line in text.splitlines():
        if line.startswith("BENCH "):
            values = {}
            for kv in line[len("BENCH "):].split():
                k, _, v = kv.partition("=")
                values[k] = float(v) if "." in v else int(v)
            return values
    return None


def wrk_result(label, out_path, returncode):
    """Reads a finished wrk's output file; raises SetupError if wrk failed or printed no BENCH line."""
    with open(out_path, errors="replace") as f:
        text = f.read()
    if returncode is not None and returncode != 0:
        sys.stderr.write(text)
        raise SetupError("wrk failed (%s)" % label)
    b = parse_bench_line(text)
    if b is None:
        sys.stderr.write(text)
        raise SetupError("wrk printed no BENCH line (output above)")
    b["_output"] = text
    return b


def run_wrk(procs, work, errors, label, wrk_args, script, port, server_pids, expect):
    """One timed wrk run against http://127.0.0.1:PORT/logs; returns (BENCH values + rps,
    CPU split). expect = (status, its counter, the others' counter) in the BENCH line:
    any other answer, a socket error or no expected answer at all makes the run broken."""
    out_path = os.path.join(work, "wrk-%s.txt" % label)
    sampler = CpuSampler(server_pids)
    with open(out_path, "w") as out:
        p = procs.start(["wrk"] + wrk_args + ["-s", os.path.join(BENCH_DIR, script),
                                              "http://127.0.0.1:%d/logs" % port],
                        stdout=out, stderr=subprocess.STDOUT)
        try:
            rc = p.wait()
        finally:
            procs.stop(p, 5)
    cpu = sampler.end()
    b = wrk_result(label, out_path, rc)
    b["rps"] = rounded(b["requests"] * 1000000 / b["duration_us"], 0)
    status, ok, bad = expect
    if b[bad] > 0 or b["socket_errors"] > 0 or b[ok] == 0:
        sys.stderr.write(b["_output"])
        errors.broke("%s: %d answers were not %d and %d socket errors (of %d requests)"
                     % (label, b[bad], status, b["socket_errors"], b["requests"]))
    return b, cpu


def run_post(procs, settings, work, errors, label, port, server_pids):
    """DURATION seconds of POST /logs (post.lua); returns (BENCH values + rps, CPU split)."""
    d = settings["duration"]
    say("%s: wrk -t%d -c%d -d%ds POST /logs" % (label, POST_THREADS, POST_CONNS, d))
    b, cpu = run_wrk(procs, work, errors, label, ["-t%d" % POST_THREADS, "-c%d" % POST_CONNS, "-d%ds" % d],
                     "post.lua", port, server_pids, (201, "created", "non201"))
    say("%s: %d requests/s, p99 %d us" % (label, b["rps"], b["p99_us"]))
    return b, cpu


def run_get(procs, settings, work, errors, label, port, server_pids):
    """DURATION seconds of GET /logs (get.lua); returns (BENCH values + rps, CPU split)."""
    d, c = settings["duration"], settings["read_conns"]
    say("%s: wrk --latency -t%d -c%d -d%ds GET /logs" % (label, GET_THREADS, c, d))
    b, cpu = run_wrk(procs, work, errors, label, ["--latency", "-t%d" % GET_THREADS, "-c%d" % c, "-d%ds" % d],
                     "get.lua", port, server_pids, (200, "ok", "non200"))
    say("%s: p50 %d us, p99 %d us, %d requests/s" % (label, b["p50_us"], b["p99_us"], b["rps"]))
    return b, cpu


def fill_marks(marks):
    """(threads done, entries answered so far) from fill.lua's mark files."""
    done = progress = 0
    for t in range(1, POST_THREADS + 1):
        if os.path.exists(os.path.join(marks, "done.%d" % t)):
            done += 1
        try:
            with open(os.path.join(marks, "progress.%d" % t)) as f:
                v = f.read().strip()
            if re.fullmatch(r"[0-9]+", v):
                progress += int(v)
        except OSError:
            pass
    return done, progress


def run_fill(procs, settings, work, errors, label, server, n):
    """POSTs exactly n entries to a Logsvc (fill.lua); returns (BENCH values + seconds, rps; CPU split).

    wrk sleeps for all of -d even when its threads have stopped; SIGINT ends the
    sleep. Meanwhile: show progress every 10 s, and give up (SIGINT, so that wrk
    still reports what it got) if logsvc dies or nothing moves for FILL_STALL s."""
    out_path = os.path.join(work, "wrk-%s.txt" % label)
    marks = os.path.join(work, "marks-" + label)
    os.makedirs(marks, exist_ok=True)
    say("%s: POSTing %d entries with wrk -t%d -c%d" % (label, n, POST_THREADS, POST_CONNS))
    env = dict(os.environ, BENCH_FILL_N=str(n), BENCH_FILL_THREADS=str(POST_THREADS), BENCH_FILL_MARKS=marks)
    sampler = CpuSampler([server.pid])
    with open(out_path, "w") as out:
        p = procs.start(["wrk", "-t%d" % POST_THREADS, "-c%d" % POST_CONNS,
                         "-d%ds" % settings["fill_timeout"], "--timeout", "10s",
                         "-s", os.path.join(BENCH_DIR, "fill.lua"),
                         "http://127.0.0.1:%d/logs" % server.port],
                        stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            signalled = 0
            gave_up = False
            last_progress = -1
            last_change = last_print = time.time()
            while p.poll() is None:
                done, progress = fill_marks(marks)
                now = time.time()
                if done >= POST_THREADS:
                    # (again every second, in case the first one came before wrk was listening for it)
                    if signalled % 10 == 0:
                        p.send_signal(signal.SIGINT)
                    signalled += 1
                else:
                    if progress != last_progress:
                        last_progress, last_change = progress, now
                    if now - last_print >= 10:
                        say("%s: %s / %s answered" % (label, th(progress), th(n)))
                        last_print = now
                    if gave_up:
                        pass
                    elif not server.alive():
                        errors.broke("%s: logsvc died during the fill" % label)
                        gave_up = True
                        p.send_signal(signal.SIGINT)
                    elif now - last_change > settings["fill_stall"]:
                        errors.broke("%s: no progress for %d s (at %d of %d answered); giving up"
                                     % (label, settings["fill_stall"], progress, n))
                        gave_up = True
                        p.send_signal(signal.SIGINT)
                time.sleep(0.1)
            p.wait()
        finally:
            procs.stop(p, 5)
    cpu = sampler.end()
    b = wrk_result(label, out_path, None)
    b["seconds"] = rounded(b["duration_us"] / 1000000, 1)
    b["rps"] = rounded(b["created"] * 1000000 / b["duration_us"], 0)
    if (b["created"] != n or b["non201"] > 0 or b["finished_threads"] != b["threads"]
            or b["socket_errors"] > 0):
        sys.stderr.write(b["_output"])
        errors.broke("%s: asked for %d entries, got %d answered 201, %d other answers, %d socket errors,"
                     " %d/%d wrk threads finished"
                     % (label, n, b["created"], b["non201"], b["socket_errors"], b["finished_threads"],
                        b["threads"]))
    say("%s: %d entries in %.1f s (%d entries/s)" % (label, n, b["seconds"], b["rps"]))
    return b, cpu


def median_round(values):
    """The index of the round whose value is the median (the lower of the middle
    two for an even count)."""
    order = sorted(range(len(values)), key=lambda i: (values[i], str(i + 1)))
    return order[(len(order) + 1) // 2 - 1]


# ---------------------------------------------------------------------------
# The machine


def command_output(argv):
    """stdout+stderr of a command, trailing newlines removed ("" if it cannot run)."""
    try:
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return ""
    return r.stdout.decode("utf-8", "replace").rstrip("\n")


def dsync_append_us(work):
    """What one 4 KiB O_DSYNC append costs on the disk under work (a WAL group
    commit is one): the mean of 200, in microseconds."""
    path = os.path.join(work, "fsync-probe")
    block = bytes(4096)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_DSYNC, 0o600)
    try:
        t0 = time.perf_counter()
        for _ in range(200):
            os.write(fd, block)
        elapsed = time.perf_counter() - t0
    finally:
        os.close(fd)
        os.unlink(path)
    return rounded(elapsed * 1000000 / 200, 0)


def describe_machine(settings, work):
    """Cores, CPU model, kernel, versions, revision, the load before starting and the disk's
    synced-append cost."""
    m = {"started_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    m["cpu_model"] = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                m["cpu_model"] = line.split(":", 1)[1].strip() or "unknown"
                break
    m["kernel"] = os.uname().release
    nginx = command_output(["nginx", "-v"])
    m["nginx"] = nginx[len("nginx version: "):] if nginx.startswith("nginx version: ") else nginx
    wrk = command_output(["wrk", "-v"]).split("\n")[0]
    m["wrk"] = wrk[:wrk.rfind(" Copyright")] if " Copyright" in wrk else wrk
    m["logsvc"] = command_output([settings["bin"], "--version"])
    m["built"] = datetime.datetime.fromtimestamp(os.path.getmtime(settings["bin"]), datetime.timezone.utc) \
        .strftime("%Y-%m-%dT%H:%M:%SZ")
    rev = command_output(["git", "-C", REPO_ROOT, "rev-parse", "--short", "HEAD"])
    m["rev"] = rev if re.fullmatch(r"[0-9a-f]+", rev) else "unknown"
    if command_output(["git", "-C", REPO_ROOT, "status", "--porcelain", "--",
                       "src", "include", "CMakeLists.txt"]):
        m["rev"] += "+dirty"
    say("machine: %d cores, %s; %s; %s; %s (%s)" % (NPROC, m["cpu_model"], m["nginx"], m["wrk"], m["logsvc"],
                                                   settings["bin"]))

    # Is anything else using the CPU? (On a shared machine every number below is low and noisy.)
    sampler = CpuSampler([])
    time.sleep(1)
    m["busy_before"] = rounded(sampler.end()["other"] * 100 / NPROC, 0)
    if m["busy_before"] > 10:
        say("WARNING: other processes use %d%% of the CPU before the benchmark starts;"
            " expect low, noisy numbers" % m["busy_before"])

    m["fsync_us"] = dsync_append_us(work)
    say("disk: a 4 KiB O_DSYNC append takes ~%d us under %s" % (m["fsync_us"], os.path.dirname(work)))
    return m


# ---------------------------------------------------------------------------
# The runs


def measure_ingest(procs, settings, work, errors, r):
    """1-2. The nginx ceiling and logsvc durable ingest, in ROUNDS interleaved rounds.

    This machine runs in faster and slower phases lasting seconds to minutes: the
    same server needs 7.4 or 9 us of CPU per request (nginx), 13.5 or 17.5 us
    (logsvc), from one minute to the next. One run of each, 20 s apart, may land
    in different phases, and their ratio then says more about the machine than
    about logsvc. So each round runs nginx, then logsvc on a new data dir, and
    each side is reported by its median round. Fills r["nginx"], r["ingest"], r["cpu"]."""
    nginx_rounds = {w: [] for w in settings["workers"]}
    ingest_rounds = []
    for rnd in range(1, settings["rounds"] + 1):
        for w in settings["workers"]:
            label = "nginx-%d#%d" % (w, rnd)
            p, port = start_nginx(procs, work, w)
            try:
                b, cpu = run_post(procs, settings, work, errors, label, port, [p.pid] + child_pids(p.pid))
            finally:
                procs.stop(p, 10)
            nginx_rounds[w].append({"rps": b["rps"], "p99_us": b["p99_us"],
                                    "cpu": cpu_record(cpu, b["requests"])})

        svc = Logsvc(procs, settings, work, "ingest")
        label = "logsvc-ingest#%d" % rnd
        try:
            b, cpu = run_post(procs, settings, work, errors, label, svc.port, [svc.pid])
            per_s, per_commit = commits(cpu, b["requests"])
            ingest_rounds.append({k: b[k] for k in ("rps", "p50_us", "p99_us", "non201", "requests")})
            ingest_rounds[-1].update(hwm_kb=vm_kb(svc.pid, "VmHWM"), commits_per_s=per_s,
                                     per_commit=per_commit, cpu=cpu_record(cpu, b["requests"]))
        finally:
            svc.stop(label)
        shutil.rmtree(svc.dir, ignore_errors=True)

    r["nginx_runs"] = []
    best_rps, best_workers = 0, 0
    for w in settings["workers"]:
        rounds = nginx_rounds[w]
        med = rounds[median_round([x["rps"] for x in rounds])]
        r["nginx_runs"].append({"workers": w, "rps": med["rps"], "rounds_rps": [x["rps"] for x in rounds],
                                "p99_us": med["p99_us"], "cpu": med["cpu"]})
        r["cpu"]["nginx-%d" % w] = med["cpu"]
        if med["rps"] > best_rps:
            best_rps, best_workers = med["rps"], w
    r["nginx_best_rps"], r["nginx_best_workers"] = best_rps, best_workers
    med = ingest_rounds[median_round([x["rps"] for x in ingest_rounds])]
    r["ingest"] = dict(med, rounds_rps=[x["rps"] for x in ingest_rounds],
                       ratio=rounded(med["rps"] / (best_rps if best_rps > 0 else 1), 3))
    r["cpu"]["ingest"] = med["cpu"]


def measure_reads(procs, settings, work, errors, r):
    """3. GET /logs at 200 entries; 4. the same at FILL entries; 5. peak RSS.

    Two processes, one with 200 entries and one filled to FILL, so that their GET
    runs can alternate, in ROUNDS rounds, under the same phases of the machine
    (see measure_ingest); each is reported by its median round (by p99)."""
    fill = settings["fill"]
    small = Logsvc(procs, settings, work, "small")
    try:
        run_fill(procs, settings, work, errors, "fill-200", small, SMALL_FILL)
        check_listing(small.port, errors)

        read = Logsvc(procs, settings, work, "read")
        try:
            run_fill(procs, settings, work, errors, "fill-read-200", read, SMALL_FILL)
            f = {"seconds": 0, "rps": 0, "p99_us": 0, "commits_per_s": 0, "per_commit": 0}
            if fill > SMALL_FILL:
                b, cpu = run_fill(procs, settings, work, errors, "fill", read, fill - SMALL_FILL)
                r["cpu"]["fill"] = cpu_record(cpu, b["created"])
                f = {"seconds": b["seconds"], "rps": b["rps"], "p99_us": b["p99_us"]}
                f["commits_per_s"], f["per_commit"] = commits(cpu, b["created"])
            f["hwm_kb_after"] = vm_kb(read.pid, "VmHWM")
            r["fill"] = f
            check_listing(read.port, errors)

            small_rounds, filled_rounds = [], []
            for rnd in range(1, settings["rounds"] + 1):
                for name, svc, rounds in (("get-200", small, small_rounds),
                                          ("get-fill", read, filled_rounds)):
                    label = "%s#%d" % (name, rnd)
                    b, cpu = run_get(procs, settings, work, errors, label, svc.port, [svc.pid])
                    b["cpu"] = cpu_record(cpu, b["requests"])
                    rounds.append(b)
            r["get_small"] = small_rounds[median_round([x["p99_us"] for x in small_rounds])]
            r["get_filled"] = filled_rounds[median_round([x["p99_us"] for x in filled_rounds])]
            r["get_small_rounds"] = [x["p99_us"] for x in small_rounds]
            r["get_filled_rounds"] = [x["p99_us"] for x in filled_rounds]
            r["cpu"]["get-200"] = r["get_small"]["cpu"]
            r["cpu"]["get-fill"] = r["get_filled"]["cpu"]

            r["hwm_kb"] = vm_kb(read.pid, "VmHWM")
            r["rss_kb"] = vm_kb(read.pid, "VmRSS")
            r["data_dir_mb"] = dir_mb(read.data)
        finally:
            read.stop("logsvc-read")
    finally:
        small.stop("logsvc-small")
    r["hwm_mb"] = rounded(r["hwm_kb"] / 1024, 1)
    p99_small = r["get_small"]["p99_us"]
    r["p99_ratio"] = rounded(r["get_filled"]["p99_us"] / (p99_small if p99_small > 0 else 1), 3)


# ---------------------------------------------------------------------------
# Report


def targets(r):
    """(name, value, target text, pass) of each target."""
    return [
        ("ingest_ratio_to_nginx", r["ingest"]["ratio"], ">= 0.5", r["ingest"]["ratio"] >= 0.5),
        ("get_p99_filled_ms", rounded(r["get_filled"]["p99_us"] / 1000, 3), "< 2",
         r["get_filled"]["p99_us"] < 2000),
        ("get_p99_ratio_filled_to_small", r["p99_ratio"], "<= 1.5", r["p99_ratio"] <= 1.5),
        ("peak_rss_mib", r["hwm_mb"], "< 200", r["hwm_mb"] < 200),
    ]


def print_table(settings, m, r, errors):
    """The summary table, on stdout."""
    verdict = {name: "PASS" if ok else "FAIL" for name, _v, _t, ok in targets(r)}
    fill_h = th(settings["fill"])
    ing, f, g200, gfill = r["ingest"], r["fill"], r["get_small"], r["get_filled"]
    lines = ["", "logsvc benchmark  (%s, took %d s; repository at %s)"
             % (m["started_at"], r["total_seconds"], m["rev"]),
             "  machine   %d cores, %s, Linux %s" % (NPROC, m["cpu_model"], m["kernel"]),
             "            4 KiB O_DSYNC append ~%d us; other load before start %d%% CPU"
             % (m["fsync_us"], m["busy_before"]),
             "  versions  %s; %s; %s (%s, built %s)"
             % (m["nginx"], m["wrk"], m["logsvc"], settings["bin"], m["built"]),
             "  settings  DURATION=%ds ROUNDS=%d FILL=%d READ_CONNS=%d; POST: wrk -t%d -c%d%s"
             % (settings["duration"], settings["rounds"], settings["fill"], settings["read_conns"],
                POST_THREADS, POST_CONNS,
                ("; LOGSVC_ARGS=" + settings["args_text"]) if settings["args_text"] else ""),
             ""]

    def row(a, b="", c="", d=""):
        lines.append("  %-46s %18s  %-10s %s" % (a, b, c, d))

    def joined(values):
        return " ".join(str(v) for v in values)

    row("measure", "value", "target", "result")
    for run in r["nginx_runs"]:
        row("nginx POST /logs, %d worker(s)" % run["workers"], "%s req/s" % th(run["rps"]))
    row("nginx ceiling (best: %d worker(s))" % r["nginx_best_workers"], "%s req/s" % th(r["nginx_best_rps"]))
    row("logsvc durable ingest", "%s req/s" % th(ing["rps"]))
    row("  ingest latency p50 / p99", "%s / %s ms" % (ms(ing["p50_us"]), ms(ing["p99_us"])))
    row("  ~WAL group commits (write() calls)",
        "%s/s, %s each" % (th(ing["commits_per_s"]), ing["per_commit"]))
    row("  logsvc / nginx", "%.3f" % ing["ratio"], ">= 0.5", verdict["ingest_ratio_to_nginx"])
    for run in r["nginx_runs"]:
        row("  rounds: nginx, %d worker(s)" % run["workers"], joined(run["rounds_rps"]))
    row("  rounds: logsvc ingest", joined(ing["rounds_rps"]))
    row("GET /logs @ 200 entries p50 / p99", "%s / %s ms" % (ms(g200["p50_us"]), ms(g200["p99_us"])))
    row("fill to %s entries" % fill_h, "%s s, %s/s" % (f["seconds"], th(f["rps"])))
    row("  ~WAL group commits (write() calls)", "%s/s, %s each" % (th(f["commits_per_s"]), f["per_commit"]))
    row("GET /logs @ %s p50 / p99" % fill_h, "%s / %s ms" % (ms(gfill["p50_us"]), ms(gfill["p99_us"])))
    row("  rounds: p99 us @ 200", joined(r["get_small_rounds"]))
    row("  rounds: p99 us @ %s" % fill_h, joined(r["get_filled_rounds"]))
    row("  p99 @ %s" % fill_h, "%s ms" % ms(gfill["p99_us"]), "< 2 ms", verdict["get_p99_filled_ms"])
    row("  p99 @ %s / p99 @ 200" % fill_h, "%.3f" % r["p99_ratio"], "<= 1.5",
        verdict["get_p99_ratio_filled_to_small"])
    row("logsvc peak RSS (VmHWM) after the fill", "%.1f MiB" % r["hwm_mb"], "< 200 MiB",
        verdict["peak_rss_mib"])
    lines += ["", "  CPU during each run, in cores of %d (server = nginx or logsvc, of which" % NPROC,
              "  rocksdb = RocksDB flush/compaction threads; other = processes not ours):"]
    cpu_row = "  %-16s %7s %8s %6s %6s %6s %16s"
    lines.append(cpu_row % ("run", "server", "rocksdb", "wrk", "other", "idle", "server us/req"))
    for phase in ["nginx-%d" % w for w in settings["workers"]] + ["ingest", "get-200", "fill", "get-fill"]:
        c = r["cpu"].get(phase)
        if c is None:
            continue
        per_req = c["server_cpu_s"] * 1000000 / (c["requests"] if c["requests"] > 0 else 1)
        lines.append(cpu_row % (phase, "%.2f" % c["server"], "%.2f" % c["rocksdb_bg"], "%.2f" % c["wrk"],
                                "%.2f" % c["other"], "%.2f" % c["idle"], "%.1f" % per_req))
    if errors.items:
        lines += ["", "  BROKEN RUNS (numbers above are not trustworthy):"]
        lines += ["    - " + e for e in errors.items]
    lines.append("")
    print("\n".join(lines), flush=True)


def cpu_json(c):
    """A run's CPU split in the JSON (zeros for a run that did not happen)."""
    c = c or dict.fromkeys(("server", "rocksdb_bg", "wrk", "other", "idle", "server_cpu_s", "requests"), 0)
    return {"server_cores": c["server"], "rocksdb_bg_cores": c["rocksdb_bg"], "wrk_cores": c["wrk"],
            "other_cores": c["other"], "idle_cores": c["idle"], "server_cpu_s": c["server_cpu_s"],
            "requests": c["requests"]}


def get_json(g, entries):
    """A GET run in the JSON."""
    keys = ("requests", "rps", "mean_us", "p50_us", "p90_us", "p99_us", "p999_us", "max_us", "non200",
            "socket_errors")
    return dict({"entries": entries}, **{k: g[k] for k in keys})


def results_json(settings, m, r, errors):
    """The whole result, as bench/results/latest.json holds it."""
    ing, f = r["ingest"], r["fill"]
    return {
        "started_at": m["started_at"],
        "total_seconds": r["total_seconds"],
        "repository_revision": m["rev"],
        "logsvc_bin": settings["bin"],
        "logsvc_bin_built_at": m["built"],
        "machine": {"nproc": NPROC, "cpu_model": m["cpu_model"], "kernel": m["kernel"],
                    "other_cpu_pct_before": m["busy_before"], "dsync_4k_append_us": m["fsync_us"]},
        "versions": {"nginx": m["nginx"], "wrk": m["wrk"], "logsvc": m["logsvc"]},
        "settings": {"duration_s": settings["duration"], "rounds": settings["rounds"],
                     "fill": settings["fill"], "read_conns": settings["read_conns"],
                     "read_threads": GET_THREADS, "post_threads": POST_THREADS, "post_conns": POST_CONNS,
                     "logsvc_args": settings["args_text"]},
        "nginx": {"best_workers": r["nginx_best_workers"], "rps": r["nginx_best_rps"],
                  "runs": [dict(run, cpu=cpu_json(run["cpu"])) for run in r["nginx_runs"]]},
        "ingest": {"rps": ing["rps"], "rounds_rps": ing["rounds_rps"], "ratio_to_nginx": ing["ratio"],
                   "requests": ing["requests"], "non201": ing["non201"], "p50_us": ing["p50_us"],
                   "p99_us": ing["p99_us"], "wal_writes_per_s": ing["commits_per_s"],
                   "entries_per_wal_write": ing["per_commit"], "vmhwm_kb": ing["hwm_kb"],
                   "cpu": cpu_json(r["cpu"]["ingest"])},
        "get_small": get_json(r["get_small"], SMALL_FILL),
        "fill": {"entries_total": settings["fill"], "entries_posted": settings["fill"] - SMALL_FILL,
                 "seconds": f["seconds"], "rps": f["rps"], "p99_us": f["p99_us"],
                 "wal_writes_per_s": f["commits_per_s"], "entries_per_wal_write": f["per_commit"],
                 "vmhwm_kb_after": f["hwm_kb_after"], "data_dir_mb": r["data_dir_mb"],
                 "cpu": cpu_json(r["cpu"].get("fill"))},
        "get_filled": get_json(r["get_filled"], settings["fill"]),
        "get_rounds_p99_us": {"small": r["get_small_rounds"], "filled": r["get_filled_rounds"]},
        "p99_ratio_filled_to_small": r["p99_ratio"],
        "rss": {"vmhwm_kb": r["hwm_kb"], "vmhwm_mib": r["hwm_mb"], "vmrss_kb_at_end": r["rss_kb"]},
        "cpu_get": {"small": cpu_json(r["cpu"]["get-200"]), "filled": cpu_json(r["cpu"]["get-fill"])},
        "targets": [{"name": n, "value": v, "target": t, "pass": ok} for n, v, t, ok in targets(r)],
        "errors": errors.items,
    }


def write_json(doc):
    """Writes bench/results/latest.json atomically."""
    os.makedirs(RESULTS_DIR, exist_ok=True)
    tmp = RESULTS_JSON + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    os.replace(tmp, RESULTS_JSON)
    say("wrote " + RESULTS_JSON)


def cold_start():
    """6. The Lambda cold start (bench/cold_start.sh), when the bootstrap is built;
    returns its exit code (0 when skipped)."""
    bootstrap = os.path.join(REPO_ROOT, "build", "lambda", "bootstrap")
    if not (os.path.isfile(bootstrap) and os.access(bootstrap, os.X_OK)):
        say("no %s: skipping the Lambda cold start (bench/cold_start.sh)" % bootstrap)
        return 0
    say("Lambda cold start (bench/cold_start.sh)")
    rc = subprocess.call([os.path.join(BENCH_DIR, "cold_start.sh")])
    if rc == 1:
        print("\n!!!!!!!! BROKEN: a run of bench/cold_start.sh broke (above) !!!!!!!!\n", file=sys.stderr,
              flush=True)
    return rc


def benchmark(settings, errors):
    """Runs everything in a temp directory under TMPDIR, removed (with every process
    started stopped) on the way out; prints the table and writes the JSON."""
    try:
        work = tempfile.mkdtemp(prefix="logsvc-bench.", dir=settings["tmpdir"])
    except OSError as e:
        raise SetupError("cannot make a directory under TMPDIR=%s: %s" % (settings["tmpdir"], e.strerror))
    procs = Processes()
    try:
        t_start = time.time()
        m = describe_machine(settings, work)
        r = {"cpu": {}}
        measure_ingest(procs, settings, work, errors, r)
        measure_reads(procs, settings, work, errors, r)
        r["total_seconds"] = rounded(time.time() - t_start, 0)
    finally:
        procs.stop_all()
        shutil.rmtree(work, ignore_errors=True)
    print_table(settings, m, r, errors)
    write_json(results_json(settings, m, r, errors))


def on_sigterm(_signum, _frame):
    """SIGTERM exits (143) through the cleanup, as Ctrl-C does (130)."""
    sys.exit(143)


def main():
    """Exit codes: 0 (targets met or not), 1 (a run broke), 2 (setup problem)."""
    os.environ["LC_ALL"] = "C"
    signal.signal(signal.SIGTERM, on_sigterm)
    errors = Errors()
    try:
        settings = read_settings()
        benchmark(settings, errors)
    except SetupError as e:
        print("%s: error: %s" % (PROG, e), file=sys.stderr, flush=True)
        return 2
    except KeyboardInterrupt:
        return 130
    rc = cold_start()
    if rc == 1:
        return 1
    if rc != 0:
        return rc
    return 1 if errors.items else 0


if __name__ == "__main__":
    sys.exit(main())
