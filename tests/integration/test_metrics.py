"""GET /metrics (issue 13) against the real server, parsed with the Prometheus
project's own text-format parser (Debian's python3-prometheus-client): the
counters move as requests are made, on --listen (admin scope with keys) and on
a --metrics-listen address (no keys)."""

import http.client
import json
import sys
import unittest

from harness import HOST, LogsvcTestCase, now_ms, send

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:  # Debian's package, when the tests run on another Python 3
    sys.path.append("/usr/lib/python3/dist-packages")
    from prometheus_client.parser import text_string_to_metric_families

from test_auth import KeysFile, bearer


def scrape(server, port=None, headers=None):
    """{(sample name, frozenset of labels): value} of one GET /metrics."""
    conn = (server.connection() if port is None
            else http.client.HTTPConnection(HOST, port, timeout=10))
    try:
        reply = send(conn, "GET", "/metrics", headers=headers)
    finally:
        conn.close()
    assert reply.status == 200, reply
    assert reply.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8", reply
    samples = {}
    for family in text_string_to_metric_families(reply.body.decode("utf-8")):
        assert family.name.startswith("logsvc_"), family.name
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


class MetricsTest(LogsvcTestCase):
    def setUp(self):
        self.server = self.start_server(args=["--metrics-listen", "127.0.0.1:0"])
        self.metrics_port = int(self.server.started["metrics_listen"].rpartition(":")[2])

    def scrape(self):
        return scrape(self.server, self.metrics_port)

    def test_counters_move_with_requests(self):
        before = self.scrape()
        batch = [{"severity": "info", "message": "metrics %d" % i} for i in range(7)]
        self.assertEqual(self.server.request("POST", "/logs", batch).status, 201)
        self.assertEqual(self.server.request("POST", "/logs", {"severity": "error",
                                                               "message": "one"}).status, 201)
        t = now_ms() * 1_000_000
        otlp = {"resourceLogs": [{"scopeLogs": [{"logRecords": [
            {"timeUnixNano": str(t), "body": {"stringValue": "o%d" % i}} for i in range(3)]}]}]}
        self.assertEqual(self.server.request("POST", "/v1/logs", otlp).status, 200)
        loki = {"streams": [{"stream": {"job": "m"}, "values": [[str(t), "l1"], [str(t), "l2"]]}]}
        self.assertEqual(self.server.request("POST", "/loki/api/v1/push", loki).status, 204)
        bulk = b'{"create":{"_index":"a"}}\n{"message":"e1"}\n'
        self.assertEqual(self.server.request("POST", "/_bulk", bulk, {
            "Content-Type": "application/x-ndjson"}).status, 200)
        self.assertEqual(self.server.request("POST", "/logs", b"{").status, 400)
        self.assertEqual(self.server.request("GET", "/logs?q=metrics").status, 200)
        self.assertEqual(self.server.request("GET", "/nowhere").status, 404)
        after = self.scrape()

        def moved(name, **labels):
            return value(after, name, **labels) - value(before, name, **labels)

        self.assertEqual(moved("logsvc_http_requests_total", route="POST /logs", status="201"), 2)
        self.assertEqual(moved("logsvc_http_requests_total", route="POST /logs", status="400"), 1)
        self.assertEqual(moved("logsvc_http_requests_total", route="GET /logs", status="200"), 1)
        self.assertEqual(moved("logsvc_http_requests_total", route="other", status="404"), 1)
        self.assertEqual(moved("logsvc_http_request_duration_seconds_count", route="POST /logs"), 3)
        self.assertEqual(moved("logsvc_ingested_entries_total", format="logs"), 8)
        self.assertEqual(moved("logsvc_ingested_entries_total", format="otlp"), 3)
        self.assertEqual(moved("logsvc_ingested_entries_total", format="loki"), 2)
        self.assertEqual(moved("logsvc_ingested_entries_total", format="elasticsearch"), 1)
        self.assertEqual(moved("logsvc_ingested_bytes_total", format="logs"),
                         len(json.dumps(batch)) + len(json.dumps({"severity": "error",
                                                                  "message": "one"})))
        self.assertEqual(moved("logsvc_ingest_batch_entries_count", format="logs"), 2)
        self.assertEqual(moved("logsvc_ingest_batch_entries_bucket", format="logs", le="1"), 1)
        self.assertEqual(moved("logsvc_search_duration_seconds_count"), 1)
        self.assertGreaterEqual(moved("logsvc_search_examined_entries_total"), 7)
        commits = moved("logsvc_store_group_commit_entries_count")
        self.assertGreaterEqual(commits, 1)
        self.assertLessEqual(commits, 5)
        self.assertEqual(moved("logsvc_store_group_commit_entries_sum"), 14)
        self.assertEqual(moved("logsvc_store_write_duration_seconds_count"), commits)
        self.assertGreater(value(after, "logsvc_store_disk_bytes"), 0)
        self.assertEqual(value(after, "logsvc_store_queued_entries"), 0)

    def test_main_listener_serves_metrics_too_without_keys(self):
        self.assertIn(("logsvc_store_disk_bytes", frozenset()), scrape(self.server))


class MetricsWithKeysTest(LogsvcTestCase):
    def test_metrics_need_the_admin_scope_and_count_refusals(self):
        keys = KeysFile(self)
        admin = keys.create("admin")
        reader = keys.create("read", extra=["--requests-per-second", "1"])
        server = self.start_server(args=["--auth-keys", keys.path])
        self.assertEqual(server.request("GET", "/metrics").status, 401)
        self.assertEqual(server.request("GET", "/metrics", headers=bearer(reader)).status, 403)
        before = scrape(server, headers=bearer(admin))
        self.assertEqual(server.request("GET", "/logs").status, 401)
        self.assertEqual(server.request("POST", "/logs", {"severity": "info", "message": "x"},
                                        bearer(reader)).status, 403)
        statuses = [server.request("GET", "/logs", headers=bearer(reader)).status
                    for _ in range(3)]
        self.assertIn(429, statuses)
        after = scrape(server, headers=bearer(admin))

        def moved(name, **labels):
            return value(after, name, **labels) - value(before, name, **labels)

        # The 403 for /metrics came before `before`; these three are new.
        self.assertEqual(moved("logsvc_refused_requests_total", reason="unauthenticated"), 1)
        self.assertEqual(moved("logsvc_refused_requests_total", reason="forbidden"), 1)
        self.assertEqual(moved("logsvc_refused_requests_total", reason="rate_limited"),
                         statuses.count(429))
        self.assertEqual(moved("logsvc_http_requests_total", route="GET /logs", status="429"),
                         statuses.count(429))


if __name__ == "__main__":
    unittest.main()
