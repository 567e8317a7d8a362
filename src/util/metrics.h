// Metrics: what logsvc counts, for GET /metrics in Prometheus's text format
// (0.0.4), on Debian's prometheus-cpp (its core library: counters, gauges,
// histograms and the text serializer). One instance per process, shared by
// the Api(s) and the store. Names follow Prometheus's conventions: the
// logsvc_ prefix, base units (seconds, bytes), _total on counters.
//
//   logsvc_http_requests_total{route,status}        requests answered
//   logsvc_http_request_duration_seconds{route}     from routing to the reply
//   logsvc_ingested_entries_total{format}           entries stored (format:
//   logsvc_ingested_bytes_total{format}             logs, otlp, loki, elasticsearch)
//   logsvc_ingest_batch_entries{format}             entries a request
//   logsvc_refused_requests_total{reason}           unauthenticated (401),
//                                                   forbidden (403), rate_limited (429)
//   logsvc_search_duration_seconds                  GET /logs with parameters
//   logsvc_search_examined_entries_total            entries read to answer them
//   logsvc_store_group_commit_entries               entries a synced write
//   logsvc_store_write_duration_seconds             a synced write (the fsync)
//   logsvc_store_queued_entries                     waiting for the writer (gauge)
//   logsvc_store_disk_bytes                         the data dir's files (gauge)
//   logsvc_retention_deleted_entries_total          deleted for their age or the disk bound
//
// Thread-safe: any method, any thread. Recording a labelled series looks its
// pointer up in a small cache under a mutex (prometheus-cpp's Family::Add
// builds a label map); then it is an atomic add or a histogram's own lock.
#ifndef LOGSVC_UTIL_METRICS_H_
#define LOGSVC_UTIL_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "util/mutex.h"

namespace logsvc::metrics {

class Metrics {
 public:
  using LabelViews = std::initializer_list<std::pair<std::string_view, std::string_view>>;

  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // One request answered. `route`: the route table's name ("POST /logs"), or
  // "other" (404, 405, preflights, refusals before routing).
  void Request(std::string_view route, int status, double seconds);
  // Entries a request stored, and the bytes of its body (decoded).
  void Ingested(std::string_view format, size_t entries, size_t bytes);
  // A request refused: "unauthenticated", "forbidden", "rate_limited".
  void Refused(std::string_view reason);
  void Searched(double seconds, uint64_t entries_examined);
  // One synced write of the store: its entries and how long it took.
  void GroupCommit(size_t entries, double seconds);
  void SetQueuedEntries(int64_t entries);
  void SetDiskBytes(int64_t bytes);
  // Live-tail streams (GET /logs/tail) opened (+1) or ended (-1): the
  // gauge moves by each, so the order calls land in does not matter.
  void TailSubscribers(int delta);
  // Entries deleted by retention since start (a counter kept by the store).
  void SetRetentionDeleted(uint64_t entries);

  // Run before each Render, to set the gauges that are read, not pushed (the
  // store's size on disk). Add before requests arrive.
  void OnScrape(std::function<void()> hook);
  // Every series in the text format.
  std::string Render();

  // The counters' values (a histogram's as its _count and _sum), keyed by
  // the series as the text format names it: `name{label="value",...}`.
  struct CounterSample {
    std::string name;
    std::vector<std::pair<std::string, std::string>> labels;
    double value = 0;
  };
  std::map<std::string, CounterSample> Counters();

 private:
  // The series of `family` with these labels, made on first use, then
  // cached (a hit builds no label map: one string and a lookup).
  prometheus::Counter& CounterOf(prometheus::Family<prometheus::Counter>& family,
                                 LabelViews labels);
  prometheus::Histogram& HistogramOf(prometheus::Family<prometheus::Histogram>& family,
                                     LabelViews labels,
                                     const prometheus::Histogram::BucketBoundaries& buckets);

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& request_seconds_;
  prometheus::Family<prometheus::Counter>& ingested_entries_;
  prometheus::Family<prometheus::Counter>& ingested_bytes_;
  prometheus::Family<prometheus::Histogram>& batch_entries_;
  prometheus::Family<prometheus::Counter>& refused_;
  prometheus::Histogram& search_seconds_;
  prometheus::Counter& search_examined_;
  prometheus::Histogram& commit_entries_;
  prometheus::Histogram& write_seconds_;
  prometheus::Gauge& queued_entries_;
  prometheus::Gauge& disk_bytes_;
  prometheus::Gauge& tail_subscribers_;
  prometheus::Counter& retention_deleted_;

  util::Mutex mu_;
  // The family's address and the labels' values: what Family::Add returned.
  std::unordered_map<std::string, prometheus::Counter*> counters_ GUARDED_BY(mu_);
  std::unordered_map<std::string, prometheus::Histogram*> histograms_ GUARDED_BY(mu_);
  std::vector<std::function<void()>> hooks_ GUARDED_BY(mu_);
};

}  // namespace logsvc::metrics

#endif  // LOGSVC_UTIL_METRICS_H_
