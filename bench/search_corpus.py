"""The search benchmark's corpus: N log entries that look like a real service's
logs, the same for every run with the same N and seed, cached as NDJSON.

Each line is one entry in the form POST /logs takes, ready to be joined into a
batch without re-encoding:

  {"severity":"info","message":"...","timestamp":1795564800123}

- Messages come from a few hundred templates (HTTP access lines, database,
  auth, cache, queue, payment, Kubernetes events, jobs, mail, storage, gRPC,
  runtime) with variable parts: request ids, user ids, IPs, URL paths,
  durations, status codes, pod names, amounts. A template's severity is part
  of it; severities are drawn 90% info / 9% warning / 1% error, then a
  template of that severity with Zipf-distributed weights (so words are
  Zipf-distributed too); user ids, clients and paths are Zipf-distributed.
- Timestamps are unique and increasing, spread over DAYS days ending at END_MS,
  denser in the daytime (UTC) and on weekdays.
- RARE_WORD is in exactly RARE_COUNT entries, evenly spread, and nowhere else.
- Messages are ASCII, so "a word" is the same under logsvc's rule (runs of
  Unicode letters, digits, _) and an ASCII regex [a-z0-9_] on the other side.

The meta file next to the corpus records counts per template and severity, the
number of entries whose template's fixed text holds each word (exact for words
that no variable part can produce, a lower bound for the others), and the
common word: of the words of fixed text that no variable part produces, not
a stop word, the one whose share of entries is closest to 20%.
"""

import bisect
import json
import math
import multiprocessing
import os
import random
import re
import time

GENERATOR_VERSION = 2  # part of the cache file's name: bump when the output changes
CHUNK = 100_000  # entries per generation task; part of the output's definition (seeds are per chunk)
END_MS = 1_795_996_800_000  # 2026-11-30T00:00:00Z: fixed, and in the past (logsvc refuses the future)
DAYS = 30
DAY_MS = 86_400_000
HOUR_MS = 3_600_000
START_MS = END_MS - DAYS * DAY_MS
RARE_WORD = "zebracorn"
RARE_COUNT = 10
SEVERITY_SHARES = (("info", 0.90), ("warning", 0.09), ("error", 0.01))
COMMON_TARGET = 0.20
# Not chosen as the common word: nobody searches for these.
STOP_WORDS = {"from", "for", "to", "at", "in", "on", "up", "ok", "via", "with", "after", "into", "the", "and"}
WORD_RE = re.compile(r"[a-z0-9_]+")

# ---------------------------------------------------------------------------
# The pools that variable parts draw from (finite ones; their words can never
# be the common word, because its count must follow from template counts alone).

SERVICES = ["checkout", "cart", "catalog", "search", "accounts", "billing", "shipping", "inventory",
            "recommendations", "notifications", "gateway", "reviews"]
TABLES = ["orders", "order_items", "customers", "payments", "sessions", "products", "stock_levels",
          "shipments", "invoices", "addresses", "coupons", "audit_events"]
QUEUES = ["order-events", "email-outbox", "payment-callbacks", "inventory-sync", "search-reindex",
          "webhooks-out", "image-resize", "fraud-review"]
ROUTES = ["/api/v1/orders/%d", "/api/v1/orders", "/api/v1/products/%d", "/api/v1/products",
          "/api/v1/cart/%d/items", "/api/v1/customers/%d", "/api/v1/customers/%d/addresses",
          "/api/v2/search", "/api/v1/payments/%d", "/api/v1/shipments/%d/track", "/healthz", "/metrics",
          "/static/js/app.%d.js", "/static/img/p/%d.webp", "/login", "/logout", "/api/v1/reviews/%d",
          "/api/v1/coupons/validate", "/api/v1/inventory/%d", "/graphql", "/api/v1/recommendations/%d",
          "/api/v1/invoices/%d.pdf", "/favicon.ico", "/robots.txt", "/api/v1/checkout/%d/confirm"]
USER_AGENTS = ["Mozilla/5.0 (X11; Linux x86_64)", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X)",
               "okhttp/4.12.0", "python-requests/2.31.0", "curl/8.4.0", "Go-http-client/1.1",
               "kube-probe/1.28", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"]
NODES = ["ip-10-0-%d-%d.ec2.internal" % (a, b) for a in range(1, 4) for b in (11, 23, 37, 54, 71)]
CURRENCIES = ["EUR", "USD", "GBP", "CHF", "SEK"]
IMAGES = ["registry.internal/%s" % s for s in SERVICES]
FLAGS = ["new_checkout_flow", "fast_search", "one_click_pay", "dark_mode", "free_shipping_banner"]
BUCKETS = ["media-prod", "invoices-prod", "exports-prod", "backups-prod"]
GRPC_CODES = ["DEADLINE_EXCEEDED", "UNAVAILABLE", "INTERNAL", "RESOURCE_EXHAUSTED", "NOT_FOUND"]
REASONS = ["upstream_reset", "timeout", "connection_refused", "tls_handshake", "no_healthy_upstream",
           "broken_pipe", "eof", "dns_failure"]
METHODS = ["GET"] * 14 + ["POST"] * 4 + ["PUT", "DELETE"]
STATUS = {"info": [200] * 40 + [201] * 5 + [204] * 3 + [301, 304, 304, 302],
          "warning": [400] * 3 + [401, 403] + [404] * 5 + [409, 422, 429, 429],
          "error": [500] * 4 + [502] * 3 + [503] * 2 + [504]}
POD_SUFFIXES = {s: ["%s-%x-%s" % (s, 0x5f00 + 97 * i, "".join("bcdfghjklmnpqrstvwxz"[(i * 7 + k * 3) % 20]
                                                                 for k in range(5)))
                    for i in range(1, 9)] for s in SERVICES}
ALL_PODS = [p for s in SERVICES for p in POD_SUFFIXES[s]]

# ---------------------------------------------------------------------------
# Templates: (severity, text with {slot} fields). Expanded over some fixed
# parts below to a few hundred distinct templates.

HTTP_WEIGHT = 4.0
HTTP_FORMATS = [
    '[{svc}] {ip} - - "{method} {path} HTTP/1.1" {status} {bytes} {ms}ms rid={rid} ua="{ua}"',
    "[{svc}] http request method={method} path={path} status={status} duration_ms={ms} user={uid} request_id={rid}",
    "[{svc}] {method} {path} -> {status} in {ms}ms (user {uid}, request {rid})",
]

FAMILY = [
    # database
    ("info", "query ok on {table}: {rows} rows in {ms}ms (request {rid})"),
    ("info", "transaction {tx} committed on {table} ({rows} rows, {ms}ms)"),
    ("warning", "slow query on {table}: {ms}ms, plan used seq scan, rows examined {big}"),
    ("warning", "connection pool nearly exhausted for {table} reader: {n} active, {small} waiting"),
    ("error", "database error: deadlock detected on {table} (transaction {tx}), retrying attempt {small}/5"),
    ("error", 'pq: duplicate key value violates unique constraint "{table}_pkey" (request {rid})'),
    ("error", "database connection to {table} primary lost: read tcp {ip}:5432: i/o timeout after {ms}ms"),
    # auth
    ("info", "user {uid} logged in from {ip} via {auth}"),
    ("info", "session {rid} refreshed for user {uid}, expires in {n}s"),
    ("info", "mfa challenge sent to user {uid} via {mfa}"),
    ("warning", "login failed for user {uid} from {ip}: invalid password (attempt {small})"),
    ("warning", "token expired for session {rid} (user {uid}), asking client to re-authenticate"),
    ("warning", "permission denied: user {uid} lacks role {role} on {table}"),
    ("error", "jwt signature verification failed: kid={rid} issuer=https://auth.internal user={uid}"),
    # cache
    ("info", "cache hit key=user:{uid}:profile ttl={n}s"),
    ("info", "cache miss key=product:{id}:price, loaded from {table} in {ms}ms"),
    ("info", "evicted {n} keys from {cache} cache (memory at {pct}%)"),
    ("warning", "redis timeout after {ms}ms on GET session:{rid}, falling back to {table}"),
    ("error", "redis cluster {cache} unreachable: connection refused ({ip}:6379)"),
    # queue
    ("info", "consumed message {rid} from {queue} in {ms}ms"),
    ("info", "published {small} messages to {queue} (batch {tx})"),
    ("warning", "message {rid} redelivered on {queue} (attempt {small})"),
    ("warning", "consumer lag on {queue} partition {small} is {big} messages"),
    ("error", "dead-lettered message {rid} from {queue} after 5 attempts: {reason}"),
    # payment
    ("info", "payment {pay} authorized amount={amount} {cur} card=****{card} order={order}"),
    ("info", "refund {pay} issued for order {order} amount={amount} {cur}"),
    ("info", "fraud check for order {order}: score {pct}, decision approve"),
    ("warning", "payment {pay} declined for order {order}: {decline}"),
    ("warning", "fraud check for order {order}: score {pct}, sent to manual review"),
    ("error", "payment gateway {gateway} returned 502 after {ms}ms for payment {pay}"),
    ("error", "webhook signature mismatch from {gateway} for payment {pay}, event dropped"),
    # kubernetes
    ("info", "Successfully assigned default/{pod} to {node}"),
    ("info", 'Successfully pulled image "{image}:{ver}" in {ms}ms'),
    ("info", "Scaled up replica set {svc2} to {small}"),
    ("info", "Readiness probe succeeded for pod {pod}"),
    ("warning", "Back-off restarting failed container {svc2} in pod {pod}"),
    ("warning", "Liveness probe failed for pod {pod}: HTTP probe failed with statuscode: {status5}"),
    ("warning", "Node {node} condition MemoryPressure is now True ({pct}% used)"),
    ("error", "OOMKilled: container {svc2} in pod {pod} exceeded memory limit {mem}Mi"),
    ("error", "Failed to pull image \"{image}:{ver}\": rpc error: code = Unknown desc = manifest unknown"),
    # jobs
    ("info", "job {job} started (run {rid})"),
    ("info", "job {job} finished in {n}s, processed {big} items"),
    ("warning", "cron {job} skipped: previous run {rid} still active after {n}s"),
    ("error", "job {job} failed after {n}s: {reason} (run {rid})"),
    # mail and notifications
    ("info", "sent {mail} email to user {uid} (message id {rid})"),
    ("info", "push notification delivered to device {rid} for user {uid}"),
    ("warning", "smtp 451 temporary failure for user {uid}, will retry in {n}s"),
    ("error", "smtp relay rejected {mail} email to user {uid}: 550 mailbox unavailable"),
    # storage and search
    ("info", "uploaded object {bucket}/{rid}.bin ({big} bytes) in {ms}ms"),
    ("info", "indexed {big} documents into products_v{small} in {ms}ms"),
    ("warning", "s3 PutObject to {bucket} throttled: SlowDown, retry {small} in {ms}ms"),
    ("error", "search cluster rejected bulk request: es_rejected_execution_exception queue capacity {n}"),
    # grpc and circuit breakers
    ("info", "grpc call {svc2}.Get ok in {ms}ms peer={ip}"),
    ("warning", "grpc call {svc2}.Get failed: code={grpc} after {ms}ms peer={ip}"),
    ("warning", "circuit breaker half-open for {svc2} after {n}s"),
    ("error", "circuit breaker open for {svc2} after {small} consecutive failures: {reason}"),
    # runtime and config
    ("info", "feature flag {flag} evaluated to {bool} for user {uid}"),
    ("info", "config reloaded from /etc/app/config.yaml (version {n})"),
    ("info", "health check ok: {small}/9 dependencies up, uptime {big}s"),
    ("info", "gc pause {ms}ms (heap {mem}MB -> {mem2}MB)"),
    ("warning", "gc pause {ms}ms exceeded budget (heap {mem}MB)"),
    ("error", "panic recovered in handler: runtime error: index out of range [{small}] with length {small2}"),
]

HTTP_TEMPLATES = len(SERVICES) * 3 * len(HTTP_FORMATS)  # they come first in build_templates()

# Fixed parts over which the non-HTTP templates are expanded (so each variant is a
# template of its own, with its own Zipf weight): {svc} is fixed text in all of them.
EXPANDED_SERVICES = {"info": SERVICES[:6], "warning": SERVICES[:4], "error": SERVICES[:3]}
AUTH_METHODS = ["password", "sso", "oauth", "passkey"]
MFA = ["sms", "totp", "email"]
ROLES = ["admin", "support", "finance", "warehouse"]
CACHES = ["session", "catalog", "pricing"]
DECLINES = ["insufficient_funds", "card_expired", "do_not_honor", "suspected_fraud"]
GATEWAYS = ["stripe", "adyen", "paypal"]
JOBS = ["nightly-export", "invoice-run", "search-reindex", "cart-cleanup", "sitemap-build"]
MAILS = ["order_confirmation", "password_reset", "shipping_update", "newsletter"]
EXPANSIONS = {"auth": AUTH_METHODS, "mfa": MFA, "role": ROLES, "cache": CACHES, "decline": DECLINES,
              "gateway": GATEWAYS, "job": JOBS, "mail": MAILS}

# The entries that carry RARE_WORD (replacing whatever was drawn there).
RARE_TEMPLATES = [
    ("warning", "config reload: unknown feature flag " + RARE_WORD + " ignored (source {ip})"),
    ("error", "job {job} failed: unexpected token " + RARE_WORD + " in manifest (run {rid})"),
    ("info", "user {uid} searched for " + RARE_WORD + " (0 results, request {rid})"),
]

# ---------------------------------------------------------------------------


def build_templates():
    """[(severity, text)] of every template, in a fixed order: HTTP formats for each
    service and severity, then each family template for its severity's services
    and its expansion (at most one expanded field per template)."""
    out = []
    for svc in SERVICES:
        for sev in ("info", "warning", "error"):
            for fmt in HTTP_FORMATS:
                out.append((sev, fmt.replace("{svc}", svc).replace("{status}", "{status_" + sev + "}")))
    for sev, text in FAMILY:
        variants = [text]
        for field, values in EXPANSIONS.items():
            if "{" + field + "}" in text:
                variants = [text.replace("{" + field + "}", v) for v in values]
                break
        for svc in EXPANDED_SERVICES[sev]:
            for v in variants:
                out.append((sev, "[%s] %s" % (svc, v)))
    return out


def compile_template(sev, text):
    """(line format with %s for each slot and a final %d for the timestamp, slot names).
    The fixed text is JSON-escaped once here, so no entry needs escaping."""
    parts = re.split(r"\{([a-z_0-9]+)\}", text)
    fixed = [json.dumps(p)[1:-1].replace("%", "%%") for p in parts[0::2]]
    slots = parts[1::2]
    body = "%s".join(fixed)
    return '{"severity":"%s","message":"%s","timestamp":%%d}\n' % (sev, body), slots


def fixed_words(text):
    """The set of words that every entry of a template has, lower case: the words of
    its fixed text, except those touching a slot ("{ms}ms" makes "27ms", not "ms")."""
    parts = re.split(r"\{[a-z_0-9]+\}", text.lower())
    words = set()
    for k, part in enumerate(parts):
        for m in WORD_RE.finditer(part):
            if (m.start() == 0 and k > 0) or (m.end() == len(part) and k < len(parts) - 1):
                continue
            words.add(m.group())
    return words


def slot_pool_words():
    """Every word a finite pool of a variable part can produce."""
    pools = [SERVICES, TABLES, QUEUES, ROUTES, USER_AGENTS, NODES, CURRENCIES, IMAGES, FLAGS, BUCKETS,
             GRPC_CODES, REASONS, METHODS, ALL_PODS, ["true", "false"]]
    words = set()
    for pool in pools:
        for item in pool:
            words |= set(WORD_RE.findall(item.lower()))
    return words


def zipf_weights(n, s, rng):
    """n Zipf weights 1/rank^s over a shuffled ranking (fixed by rng)."""
    ranks = list(range(1, n + 1))
    rng.shuffle(ranks)
    return [1.0 / r ** s for r in ranks]


class Model:
    """Everything generation needs, built the same way in every process."""

    def __init__(self, n, seed):
        self.n = n
        self.seed = seed
        self.templates = build_templates()
        self.compiled = [compile_template(s, t) for s, t in self.templates]
        self.rare = [compile_template(s, t) for s, t in RARE_TEMPLATES]
        rng = random.Random(seed)
        weights = zipf_weights(len(self.templates), 1.1, rng)
        # Access lines are most of a web service's log: HTTP templates weigh 4 times more.
        weights = [w * (HTTP_WEIGHT if i < HTTP_TEMPLATES else 1.0) for i, w in enumerate(weights)]
        # Per severity: template indices and cumulative weights.
        self.by_sev = []
        cum_sev = 0.0
        self.sev_cum = []
        for sev, share in SEVERITY_SHARES:
            idx = [i for i, (s, _t) in enumerate(self.templates) if s == sev]
            cum, total = [], 0.0
            for i in idx:
                total += weights[i]
                cum.append(total)
            self.by_sev.append((idx, cum, total))
            cum_sev += share
            self.sev_cum.append(cum_sev)
        self.hour_bounds = hour_bounds(n)
        self.rare_at = {int((k + 0.5) * n / RARE_COUNT): k for k in range(RARE_COUNT)} if n >= RARE_COUNT else {}


def hour_bounds(n):
    """Entry index where each hour of the range starts (DAYS*24 + 1 values, the last n):
    hours get entries in proportion to a daily curve (quiet at 03:00 UTC, busy at 15:00)
    times 0.7 on weekends."""
    weights = []
    for h in range(DAYS * 24):
        t = START_MS + h * HOUR_MS
        hour = (t // HOUR_MS) % 24
        weekday = (t // DAY_MS + 3) % 7  # 1970-01-01 was a Thursday: 0 = Monday
        w = 1.0 + 0.6 * math.sin(2 * math.pi * (hour - 9) / 24)
        weights.append(w * (0.7 if weekday >= 5 else 1.0))
    total = sum(weights)
    bounds, acc = [0], 0.0
    for w in weights:
        acc += w
        bounds.append(int(round(n * acc / total)))
    bounds[-1] = n
    return bounds


def slot_makers(rng):
    """{slot name: function() -> text} for one chunk's random generator."""
    rnd, bits, choice, lognorm = rng.random, rng.getrandbits, rng.choice, rng.lognormvariate

    def zipf_int(n):
        # density ~ 1/x over 1..n (Zipf with s = 1)
        return lambda: str(int(math.exp(rnd() * math.log(n))))

    clients = ["%d.%d.%d.%d" % (rng.randrange(11, 223), rng.randrange(256), rng.randrange(256),
                                rng.randrange(1, 255)) for _ in range(5000)]
    log_clients = math.log(len(clients))
    log_routes = math.log(len(ROUTES))

    def path():
        r = ROUTES[int(math.exp(rnd() * log_routes)) - 1]
        return r % int(math.exp(rnd() * 13.8)) if "%d" in r else r

    def ip():
        return clients[int(math.exp(rnd() * log_clients)) - 1]

    def amount():
        return "%d.%02d" % (int(lognorm(3.5, 1.0)), bits(7) % 100)

    return {
        "rid": lambda: "%016x" % bits(64),
        "tx": lambda: "tx-%08x" % bits(32),
        "pay": lambda: "pay_%012x" % bits(48),
        "uid": lambda: "u-" + str(int(math.exp(rnd() * 12.2))),
        "order": lambda: "ord-%d" % (4_000_000 + bits(20)),
        "id": zipf_int(200_000),
        "ip": ip,
        "path": path,
        "method": lambda: choice(METHODS),
        "ua": lambda: choice(USER_AGENTS),
        "status_info": lambda: str(choice(STATUS["info"])),
        "status_warning": lambda: str(choice(STATUS["warning"])),
        "status_error": lambda: str(choice(STATUS["error"])),
        "status5": lambda: str(choice(STATUS["error"])),
        "bytes": lambda: str(int(lognorm(7.5, 1.5))),
        "ms": lambda: str(int(lognorm(3.0, 1.1)) + 1),
        "rows": lambda: str(int(lognorm(2.0, 1.5))),
        "big": lambda: str(int(lognorm(9.0, 1.5))),
        "n": lambda: str(1 + bits(10) % 900),
        "small": lambda: str(1 + bits(4) % 9),
        "small2": lambda: str(1 + bits(4) % 9),
        "pct": lambda: str(bits(7) % 100),
        "mem": lambda: str(128 * (1 + bits(4) % 16)),
        "mem2": lambda: str(64 * (1 + bits(4) % 16)),
        "table": lambda: choice(TABLES),
        "queue": lambda: choice(QUEUES),
        "svc2": lambda: choice(SERVICES),
        "pod": lambda: choice(ALL_PODS),
        "node": lambda: choice(NODES),
        "image": lambda: choice(IMAGES),
        "ver": lambda: "1.%d.%d" % (bits(5) % 30, bits(4) % 12),
        "amount": amount,
        "cur": lambda: choice(CURRENCIES),
        "card": lambda: "%04d" % (bits(14) % 10000),
        "flag": lambda: choice(FLAGS),
        "bool": lambda: "true" if rnd() < 0.3 else "false",
        "bucket": lambda: choice(BUCKETS),
        "grpc": lambda: choice(GRPC_CODES),
        "reason": lambda: choice(REASONS),
        "job": lambda: choice(JOBS),
    }


_MODEL = None


def _model(n, seed):
    global _MODEL
    if _MODEL is None or _MODEL.n != n or _MODEL.seed != seed:
        _MODEL = Model(n, seed)
    return _MODEL


def generate_chunk(task):
    """Entries [lo, hi) of the corpus: (NDJSON bytes, count per template, count per
    rare template). Depends only on (n, seed, lo), never on which process runs it."""
    n, seed, lo, hi = task
    m = _model(n, seed)
    rng = random.Random(seed * 1_000_003 + lo // CHUNK)
    makers = slot_makers(rng)
    compiled = [(fmt, [makers[s] for s in slots]) for fmt, slots in m.compiled]
    rare = [(fmt, [makers[s] for s in slots]) for fmt, slots in m.rare]
    counts = [0] * len(compiled)
    rare_counts = [0] * len(rare)
    rnd = rng.random
    bounds = m.hour_bounds
    sev_cum = m.sev_cum
    by_sev = m.by_sev
    rare_at = m.rare_at
    bis = bisect.bisect_right
    hour = bis(bounds, lo) - 1
    out = []
    append = out.append
    for i in range(lo, hi):
        while i >= bounds[hour + 1]:
            hour += 1
        first, count = bounds[hour], bounds[hour + 1] - bounds[hour]
        gap = HOUR_MS // count
        ts = START_MS + hour * HOUR_MS + ((i - first) * HOUR_MS) // count + int(rnd() * gap)
        r = rnd()
        sev = 0 if r < sev_cum[0] else (1 if r < sev_cum[1] else 2)
        idx, cum, total = by_sev[sev]
        t = idx[bis(cum, rnd() * total)]
        if i in rare_at:
            k = rare_at[i] % len(rare)
            fmt, makers_k = rare[k]
            rare_counts[k] += 1
        else:
            fmt, makers_k = compiled[t]
            counts[t] += 1
        append(fmt % (tuple(f() for f in makers_k) + (ts,)))
    return "".join(out).encode("ascii"), counts, rare_counts


def corpus_paths(work, n, seed):
    """(NDJSON path, meta path) of the cached corpus for (n, seed)."""
    base = os.path.join(work, "corpus-v%d-n%d-s%d" % (GENERATOR_VERSION, n, seed))
    return base + ".ndjson", base + ".meta.json"


def ensure_corpus(work, n, seed, say):
    """The corpus for (n, seed) under work, generated unless cached; returns (path, meta)."""
    path, meta_path = corpus_paths(work, n, seed)
    if os.path.exists(path) and os.path.exists(meta_path):
        with open(meta_path) as f:
            meta = json.load(f)
        say("corpus: cached %s (%d entries)" % (path, meta["entries"]))
        return path, meta
    os.makedirs(work, exist_ok=True)
    t0 = time.time()
    tasks = [(n, seed, lo, min(lo + CHUNK, n)) for lo in range(0, n, CHUNK)]
    model = _model(n, seed)
    counts = [0] * len(model.templates)
    rare_counts = [0] * len(RARE_TEMPLATES)
    tmp = path + ".tmp"
    procs = max(1, len(os.sched_getaffinity(0)))
    say("corpus: generating %d entries with %d processes into %s" % (n, procs, path))
    with open(tmp, "wb") as f, multiprocessing.Pool(procs) as pool:
        done = 0
        for data, c, rc in pool.imap(generate_chunk, tasks):
            f.write(data)
            counts = [a + b for a, b in zip(counts, c)]
            rare_counts = [a + b for a, b in zip(rare_counts, rc)]
            done += 1
            if done % 10 == 0:
                say("corpus: %d / %d entries" % (min(done * CHUNK, n), n))
    meta = describe(model, counts, rare_counts)
    meta["generation_seconds"] = round(time.time() - t0, 1)
    meta["bytes"] = os.path.getsize(tmp)
    with open(meta_path + ".tmp", "w") as f:
        json.dump(meta, f, indent=1)
    os.replace(tmp, path)
    os.replace(meta_path + ".tmp", meta_path)
    say("corpus: %d entries, %.0f MB, in %.1f s" % (n, meta["bytes"] / 1e6, meta["generation_seconds"]))
    return path, meta


def describe(model, counts, rare_counts):
    """The meta document: counts per severity, per word of fixed text, the common word."""
    word_counts = {}
    sev_counts = {"info": 0, "warning": 0, "error": 0}
    for (sev, text), c in list(zip(model.templates, counts)) + list(zip(RARE_TEMPLATES, rare_counts)):
        sev_counts[sev] += c
        for w in fixed_words(text):
            word_counts[w] = word_counts.get(w, 0) + c
    excluded = slot_pool_words() | {RARE_WORD} | STOP_WORDS
    candidates = [(abs(c / model.n - COMMON_TARGET), w) for w, c in word_counts.items()
                  if w not in excluded and len(w) >= 4 and w.isalpha()]
    common = min(candidates)[1]
    return {
        "generator_version": GENERATOR_VERSION, "entries": model.n, "seed": model.seed,
        "start_ms": START_MS, "end_ms": END_MS, "days": DAYS, "templates": len(model.templates),
        "severity_counts": sev_counts, "rare_word": RARE_WORD, "rare_count": sum(rare_counts),
        "common_word": common, "common_count": word_counts[common],
        "word_counts": dict(sorted(word_counts.items(), key=lambda kv: -kv[1])),
        "template_counts": counts,
    }
