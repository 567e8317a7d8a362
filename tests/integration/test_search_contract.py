"""The search contract (issue 11): the same entries in, the same answers out, on
every store. One set of tests (SearchContract) runs against each backend:

  RocksDBTest    `logsvc serve` (RocksDB)
  DynamoDB1Test  `logsvc serve --store dynamodb`, 1 index shard, on dynalite
  DynamoDB8Test  the same with 8 index shards
  LambdaTest     the Lambda `bootstrap` from the build under the local Runtime API
                 (runtime_api.py) on dynalite with 8 index shards: the ingest
                 function takes the POSTs, read_recent the GETs (its Function URL
                 path "/" is GET /logs with the query string, "/stats" is
                 /logs/stats, "/{id}" is /logs/{id})

Each backend is started once per class, and a fixed corpus (a few hundred
entries over a few days: shared milliseconds, non-ASCII words, user_id=42,
10.0.0.1, "Timeout!") is loaded through the batch API with explicit
timestamps. Every answer is checked against what search_reference.py computes
from the entries the test knows the backend holds (every entry it
acknowledged): a reference written from docs/search.md (the word rule, the
terms, stats buckets), not the server's code.

Entries of the same millisecond: RocksDB lists them in ingest order (later
ingest first when newest first), which is checked exactly; the DynamoDB store
and the Lambda keep an order of their own, which must be the same on every
page and read (checked by comparing page walks with one big page, and asc with
desc), but is not predicted.

    LOGSVC_BIN=build/logsvc python3 -m unittest -v test_search_contract            # all four
    LOGSVC_BIN=build/logsvc python3 -m unittest -v test_search_contract.RocksDBTest
"""

import functools
import os
import random
import tempfile
import threading
import unittest
import uuid

from harness import (ENTRY_KEYS, ERROR_KEYS, UUID_V4, DynamoStore, LogsvcTestCase, Server,
                     iso8601_ms, now_ms)
from search_backends import NDJSON, FunctionOwner, LambdaBackend, ServerBackend, ndjson, \
    new_table, query_string
from search_reference import (AUTO_BUCKETS, DAY, HOUR, MINUTE, SEVERITY_NAMES, Query, auto_step,
                              flatten_attributes, rfc3339)

SEARCH_KEYS = {"statusCode", "count", "logs", "next"}
RECENT_KEYS = {"statusCode", "count", "logs"}
STATS_KEYS = {"statusCode", "total", "step", "buckets", "next"}
BATCH_KEYS = {"statusCode", "count", "logIds"}


# The corpus.

HEX320 = "0123456789abcdef" * 20
TEMPLATES = [
    "Database connection timeout after {n}s",
    "Timeout! retry {n} scheduled",
    "user_id=42 logged in from 10.0.0.1",
    "user_id=420 logged in from 10.0.0.12",
    "user_id={n} logged out",
    "user_id=7 retried 42 times",
    "connection refused by 10.0.0.{h}",
    "retry-after: {n}",
    "Connection: timeout!",
    "timeout connection pool exhausted",
    "connection was a timeout",
    "timeouts exceeded on worker_{n}",
    "TimeOut in worker_{n}",
    "Überweisung fehlgeschlagen für user_id=42",
    "Ошибка: ВРЕМЯ истекло",
    "l'ÉCOLE est fermée",
    "ΟΔΟΣ ΣΟΦΟΣ",
    "東京でエラーが発生 code=42",
    "서버 오류",
    "deploy\U0001F680done \u2705",
    "x\u00b2 \u00bd ratio",
    "Straße gesperrt",
    "STRA\u1e9eE offen",
    "temperature 300\u212a reached",
    "\u0130stanbul office online",
    "ISTANBUL backup online",
    "cafe\u0301 au lait",
    "हिन्दी संदेश",
    "chapter \u216b order \u0663 shipped",
    "sha " + HEX320,
    "GET /api/v{n}/orders took {n}ms",
    "cache hit ratio 0.{n}",
]
# (name, q) of the queries over all time; the names say what the corpus has for them.
WORD_QUERIES = [(q, q) for q in [
    "timeout", "Timeout!", "TIMEOUT", "timeo*", '"connection timeout"', '"timeout connection"',
    '"connection tim*"', "user_id=42", "user_id", "user*", "10.0.0.1", "10.0.0.12", '"10 0 0 1"',
    "timeout -retry", "retry-after", "überweisung", "ÜBERW*", '"время истекло"', "ΟΔΟΣ", "οδος",
    "東京*", "오류", "deploy-done", "x²", "straße", "STRAẞE", "300k", "İSTANBUL", "istanbul",
    "हिन्दी", "ⅻ", "٣", "cafe", "l'école", '"sha 0123*"']] + [
    ("the 320-digit word", HEX320), ("its first 256", HEX320[:256])]
NOTHING_QUERIES = [(q, q) for q in [
    "nosuchword", "user_id=4", "uberweisung", '"ошибка истекло"', "東京", "deploydone", "x2",
    "strasse", "café", "ecole"]] + [("its first 255", HEX320[:255])]
WORD_QUERIES += NOTHING_QUERIES
SEVERITY_SPELLINGS = ["info", "INFO", "Info", "warning", "Warning", "error", "ERROR", "trace",
                      "Debug", "FATAL"]
SERVICES = ["checkout", "search", "Checkout"]


def corpus_attributes(rng):
    """An entry's attributes as sent: none for a third of the corpus; else a
    service (nested, as service.name), maybe a region, an HTTP status (a
    number), a flag (a boolean), a ratio (a fraction), a list, a null."""
    if rng.random() < 0.33:
        return None
    attrs = {"service": {"name": rng.choice(SERVICES)}}
    if rng.random() < 0.5:
        attrs["region"] = rng.choice(["eu-west-1", "us-east-1"])
    if rng.random() < 0.4:
        attrs["http"] = {"status": rng.choice([200, 500, 503])}
    if rng.random() < 0.2:
        attrs["sampled"] = rng.random() < 0.5
    if rng.random() < 0.1:
        attrs["ratio"] = 0.25
    if rng.random() < 0.1:
        attrs["tags"] = ["a", "b"]
    if rng.random() < 0.1:
        attrs["parent"] = None
    return attrs


def corpus_batches(base):
    """The corpus as three batches of entries to POST (dicts with severity,
    message and the timestamp as sent), and the timestamps they stand for.
    Entries fall on days 0, 1 and 3 after `base` (day 2 is empty); about one in
    six shares a millisecond with an earlier one, and six share one millisecond
    across the first two batches and the last two."""
    rng = random.Random(11)
    spans = [(base, base + DAY), (base + DAY, base + 2 * DAY), (base + 3 * DAY, base + 4 * DAY)]
    stamps = []
    for i in range(240):
        if i and rng.random() < 0.17:
            stamps.append(rng.choice(stamps))
        else:
            lo, hi = rng.choice(spans)
            stamps.append(rng.randrange(lo, hi))
    stamps[0], stamps[1] = base, base + 4 * DAY - 1  # the window's first and last ms
    for i in range(9, 240, 20):  # whole seconds, for the RFC 3339 form without a fraction
        stamps[i] -= stamps[i] % 1000
    shared = base + DAY + 12 * HOUR + 345
    for i in (97, 98, 99, 100, 101, 198, 199, 200, 201):  # across batch boundaries
        stamps[i] = shared
    entries = []
    for i, ms in enumerate(stamps):
        template = TEMPLATES[i % len(TEMPLATES)] if i < 2 * len(TEMPLATES) else \
            rng.choice(TEMPLATES)
        message = template.format(n=rng.randrange(1, 60), h=rng.choice((1, 2, 12)))
        form = i % 10
        if form == 3:
            sent = rfc3339(ms)
        elif form == 5:
            sent = rfc3339(ms, offset_minutes=330, fraction_digits=9)
        elif form == 7:
            sent = rfc3339(ms, offset_minutes=-300, lower=True)
        elif form == 9 and ms % 1000 == 0:
            sent = rfc3339(ms, fraction_digits=0)
        else:
            sent = ms
        entry = {"severity": rng.choice(SEVERITY_SPELLINGS), "message": message,
                 "timestamp": sent}
        attributes = corpus_attributes(rng)
        if attributes is not None:
            entry["attributes"] = attributes
        entries.append((entry, ms))
    return [entries[:100], entries[100:200], entries[200:]]


# The tests.

def with_corpus(test):
    """A test of the corpus: it fails at once, saying why, when it was not loaded."""
    @functools.wraps(test)
    def run(self):
        if self.corpus_error is not None:
            self.fail("the corpus was not loaded: %s" % self.corpus_error)
        return test(self)
    return run


class SearchContract:
    """The contract tests, for a backend a subclass starts (start_backend)."""

    maxDiff = 8000
    ties_in_ingest_order = False  # RocksDB: entries of one millisecond in ingest order
    short_pages = True  # pages may be cut short for good by the store's budget (see page())

    @classmethod
    def start_backend(cls):
        raise NotImplementedError

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stored = []   # every entry the backend holds (acknowledged), five fields
        cls.seq = {}      # logId -> its place in ingest order
        cls.lock = threading.Lock()
        cls.base = (now_ms() // DAY - 20) * DAY  # UTC midnight, 20 days ago: the corpus
        cls.backend = cls.start_backend()
        cls.corpus_ids = []
        cls.corpus_error = None
        try:
            cls.load_corpus()
        except AssertionError as e:  # the tests that need it fail, saying why
            cls.corpus_error = e

    @classmethod
    def load_corpus(cls):
        for i, batch in enumerate(corpus_batches(cls.base)):
            sent = [e for e, _ in batch]
            if i == 1:  # the second one as NDJSON
                answer = cls.backend.post(ndjson(sent), NDJSON)
            else:
                answer = cls.backend.post(sent)
            ids = cls.check_created(answer, len(sent))
            cls.record(ids, [dict(e, timestamp=ms) for e, ms in batch])
            cls.corpus_ids += ids

    @classmethod
    def tearDownClass(cls):
        try:
            cls.backend.finish()
        finally:
            super().tearDownClass()

    @classmethod
    def check_created(cls, answer, n):
        """A batch's 201; returns its ids (AssertionError otherwise)."""
        body = answer.body
        if answer.status != 201 or set(body) != BATCH_KEYS or body["statusCode"] != 201 or \
                body["count"] != n or len(body["logIds"]) != n or \
                len(set(body["logIds"])) != n or \
                not all(UUID_V4.match(i) for i in body["logIds"]):
            raise AssertionError("not the 201 of a batch of %d: %r" % (n, answer))
        return body["logIds"]

    @classmethod
    def record(cls, ids, entries):
        """Entries the backend acknowledged: sent (severity any case, message
        untrimmed, timestamp in ms), in ingest order."""
        with cls.lock:
            for log_id, e in zip(ids, entries):
                ms = e["timestamp"]
                stored = {"logId": log_id, "timestamp": ms, "datetime": iso8601_ms(ms),
                          "severity": e["severity"].lower(), "message": e["message"].strip()}
                attributes = flatten_attributes(e.get("attributes") or {})
                if attributes:  # a key only on entries that have any
                    stored["attributes"] = attributes
                cls.stored.append(stored)
                cls.seq[log_id] = len(cls.seq)

    # Helpers.

    def post_batch(self, entries, as_ndjson=False, stamps=None):
        """A batch that must be stored; returns its ids, recorded. `stamps`: the
        timestamps in ms, where the entries give other forms."""
        if as_ndjson:
            answer = self.backend.post(ndjson(entries), NDJSON)
        else:
            answer = self.backend.post(entries)
        ids = self.check_created(answer, len(entries))
        if stamps is not None:
            entries = [dict(e, timestamp=ms) for e, ms in zip(entries, stamps)]
        self.record(ids, entries)
        return ids

    def expected(self, query, order="desc"):
        """The entries `query` matches, in `order` (ingest order within a millisecond)."""
        with self.lock:
            found = [e for e in self.stored if query.matches(e)]
        found.sort(key=lambda e: (e["timestamp"], self.seq[e["logId"]]), reverse=order == "desc")
        return found

    def query(self, route, params, status, keys):
        """GET `route` with `params`: its status, and exactly `keys` (ERROR_KEYS
        when the status is not 200) in the body, which it returns."""
        path = route + "?" + query_string(params)
        answer = self.backend.get(path)
        self.assertEqual(answer.status, status, "%s: %r" % (path, answer))
        self.assertEqual(answer.body.get("statusCode"), status, answer)
        self.assertEqual(set(answer.body), keys if status == 200 else ERROR_KEYS, answer)
        return answer.body

    def search(self, params, status=200):
        """GET /logs with `params`; checks the reply's shape; returns its body."""
        body = self.query("/logs", params, status, SEARCH_KEYS)
        if status != 200:
            return body
        self.assertIsInstance(body["logs"], list)
        self.assertIs(type(body["count"]), int)
        self.assertEqual(body["count"], len(body["logs"]))
        for entry in body["logs"]:
            keys = ENTRY_KEYS | {"attributes"} if "attributes" in entry else ENTRY_KEYS
            self.assertEqual(set(entry), keys, entry)
            if "attributes" in entry:
                self.assertTrue(entry["attributes"], "an empty attributes object")
            self.assertIs(type(entry["timestamp"]), int, entry)
            self.assertEqual(entry["datetime"], iso8601_ms(entry["timestamp"]), entry)
        if body["next"] is not None:
            self.assertIsInstance(body["next"], str)
            self.assertTrue(body["next"], "an empty cursor")
        return body

    def page(self, params, limit, send_limit=True):
        """A page of at most `limit` entries. Fewer and a `next`: the store's
        budget cut it short, which the contract allows. RocksDB's budgets are
        50,000 entries and 200 ms: such a page is asked again, and must be full
        by the third time. The DynamoDB store's (8 rounds of Queries, their
        Limit guessed from the matches seen so far) may cut pages short for
        good on a few hundred entries: accepted there (short_pages)."""
        if send_limit:
            params = dict(params, limit=str(limit))
        for _ in range(3):
            body = self.search(params)
            self.assertLessEqual(len(body["logs"]), limit)
            if len(body["logs"]) == limit or body["next"] is None or self.short_pages:
                return body
        self.fail("%r: %d entries and a next, three times" % (params, len(body["logs"])))

    def walk(self, params, limit=1000):
        """Follows `next` from the first page of `params` with `limit`; returns the
        pages' entries, concatenated: every entry the query finds. Pages are as
        page() says; an empty page has no `next` (unless short_pages), so that
        a full page may be followed by one empty last page (the store did not
        know that nothing followed), no more."""
        body = self.page(params, limit)
        out, pages = list(body["logs"]), 1
        while body["next"] is not None:
            body = self.page({"cursor": body["next"]}, limit)
            pages += 1
            if not body["logs"] and not self.short_pages:
                self.assertIsNone(body["next"], "an empty page with a next")
            out += body["logs"]
            self.assertLess(pages, 2000, "the walk does not end")
        return out

    def assertSameEntries(self, actual, expected, pool=None):
        """Listings equal; with a store that orders a millisecond its own way,
        equal but for the order within a millisecond (and, given `pool`, for which
        entries of its oldest millisecond a cut listing holds)."""
        if self.ties_in_ingest_order:
            self.assertEqual(actual, expected)
        else:
            self.assertListingTiesUnordered(actual, expected, pool)

    def assertPageOrder(self, entries, order):
        stamps = [e["timestamp"] for e in entries]
        self.assertEqual(stamps, sorted(stamps, reverse=order == "desc"), "not in %s order" % order)

    def assertNamesParameter(self, error, name):
        self.assertIn(name, error["error"], "the error does not name %r: %r" % (name, error))

    def window(self, start_day=0, end_day=4):
        return {"from": str(self.base + start_day * DAY), "to": str(self.base + end_day * DAY)}

    # Same entries in, same answers out.

    def corpus_queries(self):
        """(name, parameters, the reference Query) for the table of queries."""
        b = self.base
        shared = b + DAY + 12 * HOUR + 345
        w = self.window()
        cases = [
            ("the corpus window", w, Query(from_ms=b, to_ms=b + 4 * DAY)),
            ("severity error", dict(w, severity="error"),
             Query({"error"}, b, b + 4 * DAY)),
            ("severities in any case", dict(w, severity="ERROR,Warning"),
             Query({"error", "warning"}, b, b + 4 * DAY)),
            ("RFC 3339 from, ms to", {"from": rfc3339(b + DAY), "to": str(b + 3 * DAY)},
             Query(from_ms=b + DAY, to_ms=b + 3 * DAY)),
            ("offsets and fractions", {"from": rfc3339(b + 6 * HOUR + 250, offset_minutes=60),
                                       "to": rfc3339(b + 3 * DAY + 7, offset_minutes=-330,
                                                     fraction_digits=9)},
             Query(from_ms=b + 6 * HOUR + 250, to_ms=b + 3 * DAY + 7)),
            ("from a shared ms (inclusive)", {"from": str(shared), "to": str(b + 2 * DAY)},
             Query(from_ms=shared, to_ms=b + 2 * DAY)),
            ("to a shared ms (exclusive)", {"from": str(b + DAY), "to": str(shared)},
             Query(from_ms=b + DAY, to_ms=shared)),
            ("one ms", {"from": str(shared), "to": str(shared + 1)},
             Query(from_ms=shared, to_ms=shared + 1)),
            ("from equal to to", {"from": str(shared), "to": str(shared)},
             Query(from_ms=shared, to_ms=shared)),
            ("durations", {"from": "30d", "to": "10d"},
             Query(from_ms=now_ms() - 30 * DAY, to_ms=now_ms() - 10 * DAY)),
            ("q and severity", {"q": "42", "severity": "warning,error"},
             Query({"warning", "error"}, q="42")),
            ("six severities", dict(w, severity="trace,DEBUG,fatal"),
             Query({"trace", "debug", "fatal"}, b, b + 4 * DAY)),
            ("severity>=warning", {"severity>": "warning"}, Query(at_least="warning")),
            ("severity>=TRACE", {"severity>": "TRACE"}, Query(at_least="trace")),
            ("severity>=error and severity", {"severity>": "error", "severity": "info,fatal"},
             Query({"info", "fatal"}, at_least="error")),
            ("an attribute", {"attr.service.name": "checkout"},
             Query(attributes={"service.name": "checkout"})),
            ("attribute values are case-sensitive", {"attr.service.name": "Checkout"},
             Query(attributes={"service.name": "Checkout"})),
            ("two attributes", {"attr.service.name": "checkout", "attr.http.status": "500"},
             Query(attributes={"service.name": "checkout", "http.status": "500"})),
            ("attributes, q, severity>= and a window",
             dict(w, **{"attr.region": "eu-west-1", "q": "timeout", "severity>": "info"}),
             Query(from_ms=b, to_ms=b + 4 * DAY, q="timeout", attributes={"region": "eu-west-1"},
                   at_least="info")),
            ("a boolean, a fraction and a list", {"attr.sampled": "true", "attr.ratio": "0.25"},
             Query(attributes={"sampled": "true", "ratio": "0.25"})),
            ("a list", {"attr.tags": '["a","b"]'}, Query(attributes={"tags": '["a","b"]'})),
            ("an attribute and only negations", {"attr.service.name": "search", "q": "-timeout"},
             Query(attributes={"service.name": "search"}, q="-timeout")),
            ("no such attribute value", {"attr.service.name": "nosuchservice"},
             Query(attributes={"service.name": "nosuchservice"})),
            ("a null is left out", {"attr.parent": "null"}, Query(attributes={"parent": "null"})),
            ("q in a window", dict(self.window(1, 4), q="timeout"),
             Query(from_ms=b + DAY, to_ms=b + 4 * DAY, q="timeout")),
            ("only negations, in a window", dict(w, q="-timeout -retr*"),
             Query(from_ms=b, to_ms=b + 4 * DAY, q="-timeout -retr*")),
            ("a phrase negated, severity info", dict(w, q='-"connection timeout"',
                                                     severity="info"),
             Query({"info"}, b, b + 4 * DAY, q='-"connection timeout"')),
        ]
        for name, q in WORD_QUERIES:
            cases.append((name, {"q": q}, Query(q=q)))
        return cases

    @with_corpus
    def test_corpus_queries_answer_as_the_reference(self):
        for name, params, query in self.corpus_queries():
            for order in ("desc", "asc"):
                with self.subTest(query=name, order=order):
                    want = self.expected(query, order)
                    self.assertSameEntries(self.walk(dict(params, order=order)), want)
                    if order == "desc" and len(want) > 3:  # a first page cut short
                        body = self.page(params, 3)
                        self.assertIsNotNone(body["next"])
                        self.assertSameEntries(body["logs"], want[:len(body["logs"])],
                                               pool=want)

    @with_corpus
    def test_corpus_is_what_the_queries_need(self):
        # The table above means something only if the corpus has what it is
        # about: the reference finds entries for every query but the few meant
        # to find nothing.
        counts = {name: len(self.expected(query)) for name, _, query in self.corpus_queries()}
        nothing = {name for name, _ in NOTHING_QUERIES} | {"from equal to to",
                                                           "no such attribute value",
                                                           "a null is left out"}
        for name, count in counts.items():
            with self.subTest(query=name):
                if name in nothing:
                    self.assertEqual(count, 0)
                else:
                    self.assertGreater(count, 0)
        self.assertGreaterEqual(counts["one ms"], 9)
        self.assertLess(counts["timeout"], counts["timeo*"])
        self.assertLess(counts["İSTANBUL"] + counts["istanbul"], counts["user_id"])

    def test_no_parameters_is_the_newest_100_by_timestamp(self):
        # Recent entries first, then a batch of old ones: GET /logs does not change.
        start = now_ms()
        self.post_batch([{"severity": "info", "message": "recent %d" % i, "timestamp": start - i}
                         for i in range(110)])
        listings = []
        for old_batch in (False, True):
            if old_batch:
                self.post_batch([{"severity": "error", "message": "old %d" % i,
                                  "timestamp": self.base + 8 * DAY + i * MINUTE}
                                 for i in range(50)])
            answer = self.backend.get("/logs")
            self.assertEqual(answer.status, 200, answer)
            self.assertEqual(set(answer.body), RECENT_KEYS, answer)  # no "next"
            self.assertEqual(answer.body["count"], 100)
            everything = self.expected(Query())
            self.assertSameEntries(answer.body["logs"], everything[:100], pool=everything)
            listings.append(answer.body["logs"])
        self.assertEqual(listings[0], listings[1])
        # The old batch is found by time.
        found = self.walk({"from": str(self.base + 8 * DAY), "to": str(self.base + 9 * DAY),
                           "q": "old"})
        self.assertEqual(len(found), 50)

    def test_upper_case_id_is_found(self):
        # One entry POSTed alone, and some of a batch (the corpus, if loaded).
        answer = self.backend.post({"severity": "Warning", "message": "zzupper case"})
        self.assertEqual(answer.status, 201, answer)
        self.record([answer.body["logId"]], [{"severity": "warning", "message": "zzupper case",
                                              "timestamp": answer.body["timestamp"]}])
        for log_id in [answer.body["logId"]] + self.corpus_ids[:2] + self.corpus_ids[-2:]:
            entry = next(e for e in self.stored if e["logId"] == log_id)
            for spelled in (log_id.upper(), log_id[:14] + log_id[14:].upper()):
                with self.subTest(id=spelled):
                    answer = self.backend.get("/logs/" + spelled)
                    self.assertEqual(answer.status, 200, answer)
                    self.assertEqual(answer.body, dict(entry, statusCode=200))

    # Pages.

    @with_corpus
    def test_pages_walk_every_entry_once_in_order(self):
        shared = self.base + DAY + 12 * HOUR + 345
        cases = [
            ("the corpus window", self.window(),
             Query(from_ms=self.base, to_ms=self.base + 4 * DAY),
             (13, 100)),
            ("the shared ms and around", {"from": str(shared - HOUR), "to": str(shared + HOUR)},
             Query(from_ms=shared - HOUR, to_ms=shared + HOUR), (1, 2)),
            ("timeo*", {"q": "timeo*"}, Query(q="timeo*"), (4,)),
            ("errors and warnings", dict(self.window(), severity="error,Warning"),
             Query({"error", "warning"}, self.base, self.base + 4 * DAY), (17,)),
        ]
        for name, params, query, limits in cases:
            self.assertGreater(len(self.expected(query)), 8, name)
            for order in ("desc", "asc"):
                want = self.expected(query, order)
                whole = self.walk(dict(params, order=order))
                self.assertSameEntries(whole, want)
                for limit in limits:
                    with self.subTest(query=name, order=order, limit=limit):
                        walked = self.walk(dict(params, order=order), limit)
                        ids = [e["logId"] for e in walked]
                        self.assertEqual(len(ids), len(set(ids)), "an entry came twice")
                        # The same order as one page of all (within a millisecond too).
                        self.assertEqual(walked, whole)

    @with_corpus
    def test_same_millisecond_one_order_both_ways(self):
        params = self.window()
        desc = self.walk(dict(params, order="desc"))
        asc = self.walk(dict(params, order="ASC"))
        self.assertEqual(asc, desc[::-1])
        self.assertEqual(self.walk(params), desc, "desc is not the default")

    @with_corpus
    def test_cursor_carries_the_query(self):
        params = {"q": "timeo*", "severity": "info,warning", "order": "asc"}
        want = self.expected(Query({"info", "warning"}, q="timeo*"), "asc")
        self.assertGreater(len(want), 10)
        first = self.page(params, 4)
        self.assertSameEntries(first["logs"], want[:len(first["logs"])], pool=want)
        # The cursor alone goes on with the same query and page size.
        second = self.page({"cursor": first["next"]}, 4, send_limit=False)
        got = first["logs"] + second["logs"]
        self.assertSameEntries(got, want[:len(got)], pool=want)
        # With another page size.
        third = self.page({"cursor": first["next"]}, 5)
        got = first["logs"] + third["logs"]
        self.assertSameEntries(got, want[:len(got)], pool=want)
        common = min(len(second["logs"]), len(third["logs"]))
        self.assertEqual(third["logs"][:common], second["logs"][:common])
        # A cursor with any parameter but limit is a 400 (the query is the cursor's).
        for name, value in [("q", "timeout"), ("severity", "error"), ("order", "desc"),
                            ("from", "0"), ("to", "now")]:
            with self.subTest(with_cursor=name):
                error = self.search({"cursor": first["next"], name: value}, status=400)
                self.assertNamesParameter(error, "cursor")

    @with_corpus
    def test_tampered_cursor_is_400(self):
        body = self.page(dict(self.window(), q="-nosuchword"), 5)
        cursor = body["next"]
        self.assertIsNotNone(cursor)
        self.search({"cursor": cursor})  # untouched, it works
        positions = sorted({0, 1, len(cursor) // 3, len(cursor) // 2, 2 * len(cursor) // 3,
                            len(cursor) - 2, len(cursor) - 1})
        for position in positions:
            changed = cursor[:position] + other_char(cursor[position]) + cursor[position + 1:]
            with self.subTest(changed_at=position, cursor=changed):
                error = self.search({"cursor": changed}, status=400)
                self.assertNamesParameter(error, "cursor")
        for name, bad in [("cut short", cursor[:-4]), ("longer", cursor + "AAAA"),
                          ("not a cursor", "!!!"), ("empty", ""), ("huge", "A" * 5000)]:
            with self.subTest(bad=name):
                error = self.search({"cursor": bad}, status=400)
                self.assertNamesParameter(error, "cursor")

    def test_entries_ingested_between_pages_do_not_shift_them(self):
        # 60 entries of a word over day 7; after each page, an entry that sorts
        # before the page's last one in the walk's order (newer when newest
        # first, older when oldest first) is ingested: no later page shows it.
        rng = random.Random(7)
        start = self.base + 7 * DAY
        self.post_batch([{"severity": "info", "message": "zzbetween %d" % i,
                          "timestamp": start + rng.randrange(DAY)} for i in range(60)])
        for order in ("desc", "asc"):
            with self.subTest(order=order):
                before = self.expected(Query(q="zzbetween"), order)
                walked, added = [], set()
                body = self.page({"q": "zzbetween", "order": order}, 6)
                while True:
                    walked += body["logs"]
                    if body["next"] is None:
                        break
                    last = walked[-1]["timestamp"]
                    sooner = [last + 1 + rng.randrange(DAY), now_ms()] if order == "desc" else \
                        [last - 1 - rng.randrange(DAY), start - DAY]
                    added.update(self.post_batch([
                        {"severity": "info", "message": "zzbetween added", "timestamp": t}
                        for t in sooner]))
                    body = self.page({"cursor": body["next"]}, 6)
                shown = [e for e in walked if e["logId"] in added]
                self.assertEqual(shown, [], "entries ingested after the pages they sort into")
                self.assertSameEntries(walked, before)

    def test_pagination_under_concurrent_ingest(self):
        # 150 entries with a word of their own over day 5; a thread ingests more
        # (newer, older, and on milliseconds already taken) while the pages of
        # the word are walked newest first, 6 a page.
        rng = random.Random(5)
        start = self.base + 5 * DAY
        stamps = [start + rng.randrange(DAY) for _ in range(120)]
        stamps += [rng.choice(stamps) for _ in range(30)]
        rng.shuffle(stamps)
        for i in range(0, 150, 75):
            self.post_batch([{"severity": SEVERITY_NAMES[k % 3], "message": "zzwalk before %d" % k,
                              "timestamp": t} for k, t in enumerate(stamps[i:i + 75], i)])
        query = Query(q="zzwalk")
        before = self.expected(query)
        before_ids = {e["logId"] for e in before}

        acked = []  # batches the thread got a 201 for
        failures = []
        stop = threading.Event()
        progress = threading.Condition()

        def ingest():
            k = 0
            try:
                while not stop.is_set():
                    k += 1
                    batch = [{"severity": "warning", "message": "zzwalk during %d %d" % (k, j),
                              "timestamp": t}
                             for j, t in enumerate([now_ms(), rng.choice(stamps),
                                                    start + rng.randrange(DAY),
                                                    start + DAY + rng.randrange(DAY)])]
                    ids = self.check_created(self.backend.post(batch), len(batch))
                    with progress:
                        acked.append((ids, batch))
                        progress.notify_all()
            except Exception as e:  # reported by the test's thread
                failures.append(e)
                with progress:
                    progress.notify_all()

        thread = threading.Thread(target=ingest, daemon=True)
        thread.start()
        try:
            body = self.page({"q": "zzwalk"}, 6)
            walked, pages = list(body["logs"]), 1
            while body["next"] is not None and pages < 200:
                with progress:  # at least one batch lands between two pages
                    seen = len(acked)
                    self.assertTrue(progress.wait_for(lambda: len(acked) > seen or failures, 60),
                                    "the ingest thread made no progress")
                self.assertEqual(failures, [])
                body = self.page({"cursor": body["next"]}, 6)
                walked += body["logs"]
                pages += 1
        finally:
            stop.set()
            thread.join(60)
        self.assertFalse(thread.is_alive())
        self.assertEqual(failures, [])
        for ids, batch in acked:
            self.record(ids, batch)
        self.assertGreater(len(acked), 20)

        ids = [e["logId"] for e in walked]
        self.assertEqual(len(ids), len(set(ids)), "an entry came twice")
        self.assertLessEqual(before_ids, set(ids), "entries that existed before page 1 are missing")
        new_ids = {i for batch_ids, _ in acked for i in batch_ids}
        self.assertLessEqual(set(ids) - before_ids, new_ids, "entries that were never stored")
        self.assertPageOrder(walked, "desc")
        self.assertSameEntries([e for e in walked if e["logId"] in before_ids], before)
        # Once the ingest is over, everything is there.
        after = self.expected(query)
        self.assertGreater(len(after), len(before))
        self.assertSameEntries(self.walk({"q": "zzwalk"}), after)

    # Stats.

    def stats(self, params):
        """GET /logs/stats with `params`, a 200 counting all: no `next` (asked again
        if the time budget cut it short, as page() does)."""
        for _ in range(3):
            body = self.query("/logs/stats", params, 200, STATS_KEYS)
            if body["next"] is None:
                return body
        self.fail("%r: a next, three times" % params)

    def assertStats(self, body, query, step):
        """Total, buckets (aligned, contiguous, empty ones included) and their counts
        as the reference computes them for `query` (its range given) and `step`."""
        self.assertEqual(body["step"], step)
        first = query.from_ms // step * step
        n = -(-(query.to_ms - first) // step) if query.to_ms > query.from_ms else 0
        want = [{"start": first + i * step, "count": 0,
                 "severity": {s: 0 for s in SEVERITY_NAMES}} for i in range(n)]
        matching = self.expected(query)
        for e in matching:
            bucket = want[(e["timestamp"] - first) // step]
            bucket["count"] += 1
            bucket["severity"][e["severity"]] += 1
        self.assertEqual(body["total"], len(matching))
        self.assertEqual(sum(b["count"] for b in body["buckets"]), body["total"])
        for b in body["buckets"]:
            self.assertEqual(sum(b["severity"].values()), b["count"], b)
        self.assertEqual(body["buckets"], want)

    @with_corpus
    def test_stats_count_what_a_search_finds(self):
        b = self.base
        cases = [
            ("the window by hour", dict(self.window(), step="1h"),
             Query(from_ms=b, to_ms=b + 4 * DAY), HOUR),
            ("timeout by day", dict(self.window(), q="timeout", step="1d"),
             Query(from_ms=b, to_ms=b + 4 * DAY, q="timeout"), DAY),
            ("errors and warnings without retry, 6h, unaligned",
             {"from": str(b + 5 * HOUR + 17), "to": rfc3339(b + 3 * DAY + 2 * HOUR),
              "severity": "Error,WARNING", "q": "-retr*", "step": "6h"},
             Query({"error", "warning"}, b + 5 * HOUR + 17, b + 3 * DAY + 2 * HOUR, "-retr*"),
             6 * HOUR),
            ("user_id=42 by 30m", dict(self.window(1, 2), q="user_id=42", step="30m"),
             Query(from_ms=b + DAY, to_ms=b + 2 * DAY, q="user_id=42"), 30 * MINUTE),
            ("a phrase by day", dict(self.window(), q='"connection timeout"', step="1d"),
             Query(from_ms=b, to_ms=b + 4 * DAY, q='"connection timeout"'), DAY),
            ("an attribute and severity>= by 12h",
             dict(self.window(), **{"attr.service.name": "checkout", "severity>": "warning",
                                    "step": "12h"}),
             Query(from_ms=b, to_ms=b + 4 * DAY, attributes={"service.name": "checkout"},
                   at_least="warning"), 12 * HOUR),
        ]
        for name, params, query, step in cases:
            with self.subTest(stats=name):
                body = self.stats(params)
                self.assertStats(body, query, step)
                self.assertGreater(body["total"], 0)
                self.assertIn(0, [bucket["count"] for bucket in body["buckets"]],
                              "no empty bucket to check")
                # The total is the number of entries a search finds.
                search = {k: v for k, v in params.items() if k != "step"}
                self.assertEqual(len(self.walk(search)), body["total"])

    @with_corpus
    def test_stats_step_chosen_when_omitted(self):
        b = self.base
        for name, start, end in [("4 days", b, b + 4 * DAY),
                                 ("90 minutes", b + DAY, b + DAY + 90 * MINUTE),
                                 ("20 days, unaligned", b - 16 * DAY + 7, b + 4 * DAY),
                                 ("300 days", b - 296 * DAY, b + 4 * DAY)]:
            with self.subTest(range=name):
                body = self.stats({"from": str(start), "to": str(end)})
                self.assertLessEqual(len(body["buckets"]), AUTO_BUCKETS)
                self.assertStats(body, Query(from_ms=start, to_ms=end), auto_step(start, end))

    def test_stats_default_range_is_the_last_24_hours(self):
        t = now_ms()
        self.post_batch([{"severity": s, "message": "zzlastday %s" % s, "timestamp": t - h * HOUR}
                         for s, h in [("info", 1), ("error", 2), ("warning", 12), ("info", 23),
                                      ("error", 25), ("info", 72)]])
        body = self.stats({"q": "zzlastday"})
        after = now_ms()
        self.assertEqual(body["total"], 4)
        self.assertEqual(sum(b["severity"]["error"] for b in body["buckets"]), 1)
        # The last 24 hours in buckets of 15 minutes, the first one holding its start.
        self.assertEqual(body["step"], 15 * MINUTE)
        first = body["buckets"][0]["start"]
        self.assertEqual(first % (15 * MINUTE), 0)
        self.assertGreater(first, t - DAY - 15 * MINUTE)
        self.assertLessEqual(first, after - DAY)
        self.assertIn(len(body["buckets"]), (96, 97))

    # Batches.

    def test_batch_is_all_or_nothing(self):
        future = now_ms() + 11 * MINUTE
        bad_entries = [
            ("unknown severity", {"severity": "verbose", "message": "x"}),
            ("no message", {"severity": "info"}),
            ("empty message", {"severity": "info", "message": "   "}),
            ("timestamp not a time", {"severity": "info", "message": "x",
                                      "timestamp": "yesterday"}),
            ("timestamp 11 minutes ahead", {"severity": "info", "message": "x",
                                            "timestamp": future}),
            ("not an object", "info: x"),
            ("attributes not an object", {"severity": "info", "message": "x",
                                          "attributes": ["service", "checkout"]}),
            ("65 attributes", {"severity": "info", "message": "x",
                               "attributes": {"k%d" % i: "v" for i in range(65)}}),
            ("an attribute key of 129 bytes", {"severity": "info", "message": "x",
                                               "attributes": {"k" * 129: "v"}}),
            ("an attribute value of 8 KiB + 1", {"severity": "info", "message": "x",
                                                 "attributes": {"k": "v" * 8193}}),
            ("an attribute given twice", {"severity": "info", "message": "x",
                                          "attributes": {"a.b": "1", "a": {"b": "2"}}}),
        ]
        for name, bad in bad_entries:
            for as_ndjson in (False, True):
                with self.subTest(bad=name, ndjson=as_ndjson):
                    word = "zzbatch%s" % uuid.uuid4().hex[:12]
                    batch = [{"severity": "info", "message": "%s %d" % (word, i),
                              "timestamp": now_ms() - i} for i in range(10)]
                    batch[5] = bad
                    if as_ndjson:
                        answer = self.backend.post(ndjson(batch), NDJSON)
                    else:
                        answer = self.backend.post(batch)
                    self.assertEqual(answer.status, 400, answer)
                    self.assertEqual(set(answer.body), ERROR_KEYS, answer)
                    self.assertRegex(answer.body["error"], r"(?i)\bentry 5\b")
                    self.assertEqual(self.walk({"q": word}), [], "a refused batch was stored")

    def test_batch_entries_are_stored_as_sent(self):
        t = now_ms() - 3 * HOUR
        batch = [{"severity": "WARNING", "message": "  zzstored padded  ", "timestamp": t},
                 {"severity": "error", "message": "zzstored rfc3339", "timestamp": rfc3339(t + 5)},
                 {"severity": "Info", "message": "zzstored same ms", "timestamp": t}]
        for as_ndjson in (False, True):
            with self.subTest(ndjson=as_ndjson):
                ids = self.post_batch(batch, as_ndjson, stamps=[t, t + 5, t])
                for log_id in ids:
                    entry = next(e for e in self.stored if e["logId"] == log_id)
                    answer = self.backend.get("/logs/" + log_id)
                    self.assertEqual(answer.body, dict(entry, statusCode=200))
        want = self.expected(Query(q="zzstored"))
        self.assertSameEntries(self.walk({"q": "zzstored"}), want)

    def test_batch_without_timestamps_is_stamped_now(self):
        before = now_ms()
        answer = self.backend.post([{"severity": "info", "message": "zznow %d" % i}
                                    for i in range(3)])
        after = now_ms()
        ids = self.check_created(answer, 3)
        entries = []
        for log_id in ids:
            got = self.backend.get("/logs/" + log_id)
            self.assertEqual(got.status, 200, got)
            self.assertGreaterEqual(got.body["timestamp"], before - 5)
            self.assertLessEqual(got.body["timestamp"], after + 5)
            entries.append({"severity": "info", "message": got.body["message"],
                            "timestamp": got.body["timestamp"]})
        self.record(ids, entries)

    def test_future_timestamps_refused(self):
        t = now_ms()
        for name, ahead in [("11 minutes", 11 * MINUTE), ("a day", DAY), ("a year", 365 * DAY)]:
            for sent in (t + ahead, rfc3339(t + ahead)):
                with self.subTest(ahead=name, sent=sent):
                    answer = self.backend.post([{"severity": "info", "message": "zzfuture",
                                                 "timestamp": sent}])
                    self.assertEqual(answer.status, 400, answer)
                    self.assertRegex(answer.body["error"], r"(?i)\bentry 0\b")
        self.assertEqual(self.walk({"q": "zzfuture"}), [])
        # A minute ahead (a client's clock a little fast) is taken.
        self.post_batch([{"severity": "info", "message": "zzfuture near", "timestamp": t + MINUTE}])
        self.assertEqual(len(self.walk({"q": "zzfuture"})), 1)

    def test_single_object_keeps_the_original_reply(self):
        # Its "timestamp", if sent, is ignored, as the original ignores it.
        for sent in (None, 1000, now_ms() + DAY):
            with self.subTest(timestamp=sent):
                entry = {"severity": "ERROR", "message": "zzsingle"}
                if sent is not None:
                    entry["timestamp"] = sent
                before = now_ms()
                answer = self.backend.post(entry)
                self.assertEqual(answer.status, 201, answer)
                self.assertEqual(set(answer.body), {"statusCode", "message", "logId", "timestamp"})
                self.assertEqual(answer.body["message"], "Log entry created successfully")
                self.assertGreaterEqual(answer.body["timestamp"], before - 5)
                self.assertLessEqual(answer.body["timestamp"], now_ms() + 5)
                self.record([answer.body["logId"]],
                            [{"severity": "error", "message": "zzsingle",
                              "timestamp": answer.body["timestamp"]}])
        self.assertSameEntries(self.walk({"q": "zzsingle"}),
                               self.expected(Query(q="zzsingle")))

    # Bad parameters.

    def test_bad_parameters_are_400_naming_them(self):
        w = self.window()
        cases = [
            ("/logs", {"colour": "red"}, "colour"),
            ("/logs", dict(w, Limit="5"), "Limit"),
            ("/logs", {"from": "yesterday"}, "from"),
            ("/logs", {"to": "2026-02-30T00:00:00Z"}, "to"),
            ("/logs", {"from": "2026-12-01T00:00:00"}, "from"),
            ("/logs", {"from": str(self.base + DAY), "to": str(self.base)}, "from"),
            ("/logs", {"severity": "verbose"}, "severity"),
            ("/logs", {"severity>": "loud"}, "severity>="),
            ("/logs", {"attr.": "x"}, "attr."),
            ("/logs", {"attr." + "k" * 129: "x"}, "attr."),
            ("/logs", {"attr.a": "x" * 1100}, "attr."),
            ("/logs", {"severity": "info,"}, "severity"),
            ("/logs", {"limit": "0"}, "limit"),
            ("/logs", {"limit": "1001"}, "limit"),
            ("/logs", {"limit": "ten"}, "limit"),
            ("/logs", {"order": "newest"}, "order"),
            ("/logs", {"q": ""}, "q"),
            ("/logs", {"q": "   "}, "q"),
            ("/logs", {"q": '"connection timeout'}, "q"),
            ("/logs", {"q": "!!!"}, "q"),
            ("/logs", {"q": "t*"}, "q"),
            ("/logs", {"q": "timeout -"}, "q"),
            ("/logs", [("q", "a"), ("q", "b")], "q"),
            ("/logs", {"step": "1h"}, "step"),
            ("/logs/stats", dict(w, step="1m"), "step"),
            ("/logs/stats", dict(w, step="fast"), "step"),
            ("/logs/stats", dict(w, limit="5"), "limit"),
            ("/logs/stats", {"from": "now", "to": "1h"}, "from"),
            ("/logs/stats", {"severity": "critical"}, "severity"),
            ("/logs/stats", {"q": "ti*me"}, "q"),
        ]
        for path, params, name in cases:
            with self.subTest(path=path, params=params):
                error = self.query(path, params, 400, ERROR_KEYS)
                self.assertGreater(len(error["error"]), 20)
                self.assertNamesParameter(error, name)


def other_char(ch):
    """Another character, whose change matters: a base64url digit moves by half the
    alphabet (the top bit of the six it encodes, a bit even the last digit of a
    base64 text carries: changing only its low bits may not change the bytes)."""
    b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    if ch in b64:
        return b64[(b64.index(ch) + 32) % 64]
    return "A" if ch != "A" else "B"


def serve(cls, store):
    """`logsvc serve` on `store` (None: RocksDB) for the life of test class `cls`."""
    tmp = tempfile.TemporaryDirectory(prefix="logsvc-contract-")
    cls.addClassCleanup(tmp.cleanup)
    server = Server(os.path.join(tmp.name, "data"), store=store)
    cls.addClassCleanup(server.kill)
    return ServerBackend(server)


class RocksDBTest(SearchContract, LogsvcTestCase):
    ties_in_ingest_order = True
    short_pages = False

    @classmethod
    def start_backend(cls):
        return serve(cls, None)


class DynamoDB1Test(SearchContract, LogsvcTestCase):

    @classmethod
    def start_backend(cls):
        engine, table = new_table()
        return serve(cls, DynamoStore(table, engine.endpoint, 1))


class DynamoDB8Test(SearchContract, LogsvcTestCase):

    @classmethod
    def start_backend(cls):
        engine, table = new_table()
        return serve(cls, DynamoStore(table, engine.endpoint, 8))


class LambdaTest(SearchContract, LogsvcTestCase):

    @classmethod
    def start_backend(cls):
        engine, table = new_table()
        return LambdaBackend(FunctionOwner(cls), table, engine.endpoint, 8)


if __name__ == "__main__":
    unittest.main()
