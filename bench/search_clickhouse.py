"""ClickHouse, the search benchmark's reference: Debian's clickhouse-server (18.16
on Debian 12) run as a plain process with its own config and data directory on
free loopback ports, never as the system service; its table and its SQL for
each query of the benchmark.

The table is how log platforms built on ClickHouse store logs: a MergeTree
ordered by time, here (timestamp, seq) with seq the entry's place in the corpus,
and logsvc's log id of each entry as a UUID (16 bytes; a String would take 36).
18.16 has no DateTime64, no skipping indexes, no hasToken, and LowCardinality
only behind an experimental setting, so: timestamp is UInt64 milliseconds,
severity an Enum8, and a word is matched with a regular expression (see
word_condition).
"""

import os
import shutil
import subprocess
import time
import urllib.parse

import run

CONFIG = """<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>{dir}/server.log</log><errorlog>{dir}/error.log</errorlog>
    <size>100M</size><count>1</count></logger>
  <http_port>{http_port}</http_port>
  <tcp_port>{tcp_port}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <keep_alive_timeout>600</keep_alive_timeout>
  <max_concurrent_queries>100</max_concurrent_queries>
  <uncompressed_cache_size>1073741824</uncompressed_cache_size>
  <mark_cache_size>536870912</mark_cache_size>
  <path>{dir}/data/</path>
  <tmp_path>{dir}/data/tmp/</tmp_path>
  <user_files_path>{dir}/data/user_files/</user_files_path>
  <format_schema_path>{dir}/data/format_schemas/</format_schema_path>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mlock_executable>false</mlock_executable>
</yandex>
"""

# max_threads: 18.16 defaults to the physical cores it detects, which is 1 on this
# VM; the reference gets every core the machine has.
USERS = """<?xml version="1.0"?>
<yandex>
  <profiles><default>
    <max_threads>{threads}</max_threads>
    <max_memory_usage>8000000000</max_memory_usage>
    <log_queries>0</log_queries>
  </default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time>
  </interval></default></quotas>
</yandex>
"""

TABLE = """CREATE TABLE logs (
  timestamp UInt64,
  seq UInt64,
  severity Enum8('info' = 1, 'warning' = 2, 'error' = 3),
  message String,
  log_id UUID
) ENGINE = MergeTree ORDER BY (timestamp, seq)"""

COLUMNS = "timestamp, seq, log_id, message"
NO_ID = "00000000-0000-0000-0000-000000000000"  # log_id when logsvc did not run
NEWEST = " ORDER BY timestamp DESC, seq DESC LIMIT 100"


def install_hint():
    """Why the server is missing, or None when it is there."""
    if shutil.which("clickhouse-server") is None:
        return "clickhouse-server is not installed (apt-get install -y clickhouse-server clickhouse-client)"
    return None


class ClickHouse:
    """One clickhouse-server in work/clickhouse, on free ports; .http_port, .pid, .data."""

    def __init__(self, procs, work):
        self.procs = procs
        self.dir = os.path.join(work, "clickhouse")
        self.data = os.path.join(self.dir, "data")
        os.makedirs(self.data, exist_ok=True)
        for attempt in range(1, 4):
            self.http_port, tcp_port = run.free_port(), run.free_port()
            with open(os.path.join(self.dir, "config.xml"), "w") as f:
                f.write(CONFIG.format(dir=self.dir, http_port=self.http_port, tcp_port=tcp_port))
            with open(os.path.join(self.dir, "users.xml"), "w") as f:
                f.write(USERS.format(threads=run.NPROC))
            with open(os.path.join(self.dir, "stdout.log"), "w") as out:
                self.proc = procs.start(["clickhouse-server", "--config-file=" + os.path.join(self.dir, "config.xml")],
                                        stdout=out, stderr=subprocess.STDOUT, cwd=self.dir)
            self.pid = self.proc.pid
            for _ in range(300):
                if self.proc.poll() is not None:
                    break
                status, body = run.http("GET", "http://127.0.0.1:%d/ping" % self.http_port)
                if status == 200 and body.startswith("Ok"):
                    return
                time.sleep(0.1)
            procs.stop(self.proc, 10)
            run.say("clickhouse-server did not come up (attempt %d): %s"
                    % (attempt, run.tail(os.path.join(self.dir, "error.log"), 3)))
        raise run.SetupError("clickhouse-server would not start; see %s" % self.dir)

    def query(self, sql, timeout=3600, settings=""):
        """The server's answer to one statement (text), with settings ("name=value&...")
        for this query; raises RuntimeError on an error status."""
        status, body = run.http("POST", "http://127.0.0.1:%d/?%s" % (self.http_port, settings), sql.encode(),
                                timeout=timeout)
        if status != 200:
            raise RuntimeError("ClickHouse answered %d to %s: %s" % (status, sql[:200], body[:500]))
        return body

    def optimize(self, limit=1800):
        """OPTIMIZE TABLE logs FINAL until the table is one part (18.16 returns at once,
        doing nothing, while merges run, unless told to throw); returns the seconds taken."""
        t0 = time.time()
        while True:
            try:
                self.query("OPTIMIZE TABLE logs FINAL", settings="optimize_throw_if_noop=1")
            except RuntimeError as e:
                if time.time() - t0 > limit:
                    raise
                run.say("clickhouse: OPTIMIZE did nothing yet (%s); again in 2 s" % str(e)[:120])
                time.sleep(2)
                continue
            if self.query("SELECT count() FROM system.parts WHERE database = 'default' AND table = 'logs'"
                          " AND active").strip() == "1":
                return time.time() - t0

    def delayed_inserts(self):
        """{event: count} of inserts ClickHouse slowed down or refused for too many parts."""
        out = {}
        for line in self.query("SELECT event, value FROM system.events WHERE event LIKE '%Delayed%'"
                               " OR event LIKE '%Rejected%'").splitlines():
            name, value = line.split("\t")
            out[name] = int(value)
        return out

    def version(self):
        return self.query("SELECT version()").strip()

    def stop(self):
        self.procs.stop(self.proc, 60)


def insert_path():
    """The HTTP target that inserts a body of JSONEachRow rows into the table."""
    return "/?query=" + urllib.parse.quote("INSERT INTO logs FORMAT JSONEachRow")


def query_path(sql):
    """The HTTP target of a SELECT, answered as TabSeparated."""
    return "/?query=" + urllib.parse.quote(sql + " FORMAT TabSeparated")


def word_condition(word, prefilter=False):
    """Whether message has `word` as a whole word, case-insensitive: logsvc's rule (words
    are runs of letters, digits, _) for an ASCII word in ASCII text, where RE2's \\b is
    exactly that boundary. With prefilter, a case-insensitive substring test goes first.
    Which is faster depends on the query (measured at 2M entries on 18.16): the regex
    alone for the newest 100 (about 300 against 480 ms), the substring test first for
    stats over all entries (850 against 1,700 ms)."""
    w = word.lower()
    assert w.isascii() and w.replace("_", "").isalnum()
    regex = "match(message, '(?i)\\\\b%s\\\\b')" % w
    return ("positionCaseInsensitive(message, '%s') > 0 AND %s" % (w, regex)) if prefilter else regex


def newest(where):
    """The newest 100 entries matching a condition."""
    return "SELECT %s FROM logs WHERE %s%s" % (COLUMNS, where, NEWEST)


def stats(where, from_ms, to_ms, step_ms):
    """Entries per (bucket, severity) in [from, to), buckets aligned to the epoch."""
    return ("SELECT intDiv(timestamp, %d) * %d AS bucket, severity, count() FROM logs"
            " WHERE %s AND timestamp >= %d AND timestamp < %d GROUP BY bucket, severity ORDER BY bucket, severity"
            % (step_ms, step_ms, where, from_ms, to_ms))


def parse_rows(text):
    """TabSeparated rows of COLUMNS -> [(log_id, timestamp, message)] (messages hold no tab,
    newline or backslash: the corpus is plain ASCII without them)."""
    rows = []
    for line in text.splitlines():
        ts, _seq, log_id, message = line.split("\t", 3)
        rows.append((log_id, int(ts), message))
    return rows


def parse_stats(text):
    """TabSeparated (bucket, severity, count) rows -> {bucket: {severity: count}}."""
    out = {}
    for line in text.splitlines():
        bucket, sev, count = line.split("\t")
        out.setdefault(int(bucket), {})[sev] = int(count)
    return out


def disk_usage(ch):
    """(bytes on disk of the table's active parts, {column: compressed bytes}, parts)."""
    total, parts = ch.query("SELECT sum(bytes_on_disk), count() FROM system.parts"
                            " WHERE database = 'default' AND table = 'logs' AND active").split()
    columns = {}
    for line in ch.query("SELECT name, data_compressed_bytes FROM system.columns"
                         " WHERE database = 'default' AND table = 'logs'").splitlines():
        name, size = line.split("\t")
        columns[name] = int(size)
    return int(total), columns, int(parts)
