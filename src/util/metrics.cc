#include "util/metrics.h"

#include <prometheus/text_serializer.h>

#include <charconv>

namespace logsvc::metrics {
namespace {

using prometheus::Histogram;

// Latencies from 100 µs (a GET /logs from memory) to 10 s (a slow fsync).
const Histogram::BucketBoundaries kSeconds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                              0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                              1,      2.5,     5,      10};
// Entries a request or a write: 1 to a batch's 10,000 and a group of many batches.
const Histogram::BucketBoundaries kEntries = {1, 10, 100, 1000, 10000, 100000};

std::string KeyOf(const void* family, Metrics::LabelViews labels) {
  std::string key(reinterpret_cast<const char*>(&family), sizeof family);
  for (const auto& [name, value] : labels) {
    key += value;
    key += '\0';
  }
  return key;
}

prometheus::Labels LabelsOf(Metrics::LabelViews labels) {
  prometheus::Labels out;
  for (const auto& [name, value] : labels) out.emplace(std::string(name), std::string(value));
  return out;
}

}  // namespace

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      requests_(prometheus::BuildCounter()
                    .Name("logsvc_http_requests_total")
                    .Help("HTTP requests answered, by route and status")
                    .Register(*registry_)),
      request_seconds_(prometheus::BuildHistogram()
                           .Name("logsvc_http_request_duration_seconds")
                           .Help("Time from routing a request to its reply, by route")
                           .Register(*registry_)),
      ingested_entries_(prometheus::BuildCounter()
                            .Name("logsvc_ingested_entries_total")
                            .Help("Entries stored, by ingest format")
                            .Register(*registry_)),
      ingested_bytes_(prometheus::BuildCounter()
                          .Name("logsvc_ingested_bytes_total")
                          .Help("Request body bytes (decoded) of stored entries, by format")
                          .Register(*registry_)),
      batch_entries_(prometheus::BuildHistogram()
                         .Name("logsvc_ingest_batch_entries")
                         .Help("Entries stored by one request, by format")
                         .Register(*registry_)),
      refused_(prometheus::BuildCounter()
                   .Name("logsvc_refused_requests_total")
                   .Help("Requests refused: unauthenticated (401), forbidden (403), "
                         "rate_limited (429)")
                   .Register(*registry_)),
      search_seconds_(prometheus::BuildHistogram()
                          .Name("logsvc_search_duration_seconds")
                          .Help("Time the store took for a search page")
                          .Register(*registry_)
                          .Add({}, kSeconds)),
      search_examined_(prometheus::BuildCounter()
                           .Name("logsvc_search_examined_entries_total")
                           .Help("Entries the store read and checked to answer searches")
                           .Register(*registry_)
                           .Add({})),
      commit_entries_(prometheus::BuildHistogram()
                          .Name("logsvc_store_group_commit_entries")
                          .Help("Entries written by one synced write (a group commit)")
                          .Register(*registry_)
                          .Add({}, kEntries)),
      write_seconds_(prometheus::BuildHistogram()
                         .Name("logsvc_store_write_duration_seconds")
                         .Help("Time of one synced write of the store, its fsync included")
                         .Register(*registry_)
                         .Add({}, kSeconds)),
      queued_entries_(prometheus::BuildGauge()
                          .Name("logsvc_store_queued_entries")
                          .Help("Entries waiting for the store's writer")
                          .Register(*registry_)
                          .Add({})),
      disk_bytes_(prometheus::BuildGauge()
                      .Name("logsvc_store_disk_bytes")
                      .Help("Bytes of the store's files on disk")
                      .Register(*registry_)
                      .Add({})),
      tail_subscribers_(prometheus::BuildGauge()
                            .Name("logsvc_tail_subscribers")
                            .Help("Live-tail streams open (GET /logs/tail)")
                            .Register(*registry_)
                            .Add({})),
      retention_deleted_(prometheus::BuildCounter()
                             .Name("logsvc_retention_deleted_entries_total")
                             .Help("Entries deleted for their age (--retention) or the disk "
                                   "bound (--max-disk-bytes)")
                             .Register(*registry_)
                             .Add({})) {}

prometheus::Counter& Metrics::CounterOf(prometheus::Family<prometheus::Counter>& family,
                                        LabelViews labels) {
  const std::string key = KeyOf(&family, labels);
  util::MutexLock lock(&mu_);
  auto it = counters_.find(key);
  if (it == counters_.end()) it = counters_.emplace(key, &family.Add(LabelsOf(labels))).first;
  return *it->second;
}

prometheus::Histogram& Metrics::HistogramOf(prometheus::Family<prometheus::Histogram>& family,
                                            LabelViews labels,
                                            const Histogram::BucketBoundaries& buckets) {
  const std::string key = KeyOf(&family, labels);
  util::MutexLock lock(&mu_);
  auto it = histograms_.find(key);
  if (it == histograms_.end()) {
    it = histograms_.emplace(key, &family.Add(LabelsOf(labels), buckets)).first;
  }
  return *it->second;
}

void Metrics::Request(std::string_view route, int status, double seconds) {
  char code[12];
  const auto [end, ec] = std::to_chars(code, code + sizeof code, status);
  CounterOf(requests_, {{"route", route}, {"status", std::string_view(code, end - code)}})
      .Increment();
  HistogramOf(request_seconds_, {{"route", route}}, kSeconds).Observe(seconds);
}

void Metrics::Ingested(std::string_view format, size_t entries, size_t bytes) {
  CounterOf(ingested_entries_, {{"format", format}}).Increment(static_cast<double>(entries));
  CounterOf(ingested_bytes_, {{"format", format}}).Increment(static_cast<double>(bytes));
  HistogramOf(batch_entries_, {{"format", format}}, kEntries).Observe(static_cast<double>(entries));
}

void Metrics::Refused(std::string_view reason) {
  CounterOf(refused_, {{"reason", reason}}).Increment();
}

void Metrics::Searched(double seconds, uint64_t entries_examined) {
  search_seconds_.Observe(seconds);
  search_examined_.Increment(static_cast<double>(entries_examined));
}

void Metrics::GroupCommit(size_t entries, double seconds) {
  commit_entries_.Observe(static_cast<double>(entries));
  write_seconds_.Observe(seconds);
}

void Metrics::SetQueuedEntries(int64_t entries) {
  queued_entries_.Set(static_cast<double>(entries));
}

void Metrics::TailSubscribers(int delta) {
  if (delta > 0) {
    tail_subscribers_.Increment(delta);
  } else {
    tail_subscribers_.Decrement(-delta);
  }
}

void Metrics::SetDiskBytes(int64_t bytes) { disk_bytes_.Set(static_cast<double>(bytes)); }

void Metrics::SetRetentionDeleted(uint64_t entries) {
  // A counter set from the store's own count: it only grows.
  util::MutexLock lock(&mu_);
  const double now = static_cast<double>(entries);
  if (now > retention_deleted_.Value())
    retention_deleted_.Increment(now - retention_deleted_.Value());
}

void Metrics::OnScrape(std::function<void()> hook) {
  util::MutexLock lock(&mu_);
  hooks_.push_back(std::move(hook));
}

std::string Metrics::Render() {
  std::vector<std::function<void()>> hooks;
  {
    util::MutexLock lock(&mu_);
    hooks = hooks_;
  }
  for (const auto& hook : hooks) hook();
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

std::map<std::string, Metrics::CounterSample> Metrics::Counters() {
  std::map<std::string, CounterSample> out;
  for (const prometheus::MetricFamily& family : registry_->Collect()) {
    for (const prometheus::ClientMetric& m : family.metric) {
      std::string text;
      std::vector<std::pair<std::string, std::string>> labels;
      for (const prometheus::ClientMetric::Label& l : m.label) {
        text += (text.empty() ? "{" : ",") + l.name + "=\"" + l.value + "\"";
        labels.emplace_back(l.name, l.value);
      }
      if (!text.empty()) text += "}";
      const auto add = [&](const std::string& name, double v) {
        out[name + text] = CounterSample{name, labels, v};
      };
      if (family.type == prometheus::MetricType::Counter) {
        add(family.name, m.counter.value);
      } else if (family.type == prometheus::MetricType::Histogram) {
        add(family.name + "_count", static_cast<double>(m.histogram.sample_count));
        add(family.name + "_sum", m.histogram.sample_sum);
      }
    }
  }
  return out;
}

}  // namespace logsvc::metrics
