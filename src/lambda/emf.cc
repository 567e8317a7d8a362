#include "lambda/emf.h"

#include <charconv>

#include "core/json_writer.h"

namespace logsvc::lambda {
namespace {

std::string_view UnitOf(std::string_view name) {
  if (name.ends_with("_seconds_sum")) return "Seconds";
  if (name.ends_with("_bytes_total")) return "Bytes";
  return "Count";
}

struct Document {
  std::map<std::string, std::string> properties;  // label -> value
  std::vector<std::pair<const metrics::Metrics::CounterSample*, double>> metrics;

  bool Agrees(const metrics::Metrics::CounterSample& s) const {
    for (const auto& [k, v] : s.labels) {
      auto it = properties.find(k);
      if (it != properties.end() && it->second != v) return false;
    }
    return true;
  }
};

}  // namespace

std::string EmfLines(std::string_view function, int64_t timestamp_ms, const Counters& before,
                     const Counters& after) {
  std::vector<Document> docs;
  for (const auto& [key, sample] : after) {
    if (!sample.name.ends_with("_total") && !sample.name.ends_with("_sum")) continue;
    auto prior = before.find(key);
    const double delta = sample.value - (prior == before.end() ? 0.0 : prior->second.value);
    if (delta <= 0) continue;
    Document* doc = nullptr;
    for (Document& d : docs) {
      if (d.Agrees(sample)) {
        doc = &d;
        break;
      }
    }
    if (doc == nullptr) doc = &docs.emplace_back();
    for (const auto& [k, v] : sample.labels) doc->properties[k] = v;
    doc->metrics.emplace_back(&sample, delta);
  }
  std::string out;
  for (const Document& d : docs) {
    out += "{\"_aws\":{\"Timestamp\":";
    json::AppendInt(&out, timestamp_ms);
    out += ",\"CloudWatchMetrics\":[";
    for (size_t i = 0; i < d.metrics.size(); ++i) {
      const auto& [sample, delta] = d.metrics[i];
      if (i > 0) out += ',';
      out += "{\"Namespace\":\"logsvc\",\"Dimensions\":[[\"function\"";
      for (const auto& [k, v] : sample->labels) {
        out += ',';
        json::AppendString(&out, k);
      }
      out += "]],\"Metrics\":[{\"Name\":";
      json::AppendString(&out, sample->name);
      out += ",\"Unit\":";
      json::AppendString(&out, UnitOf(sample->name));
      out += "}]}";
    }
    out += "]},\"function\":";
    json::AppendString(&out, function);
    for (const auto& [k, v] : d.properties) {
      out += ',';
      json::AppendString(&out, k);
      out += ':';
      json::AppendString(&out, v);
    }
    for (const auto& [sample, delta] : d.metrics) {
      out += ',';
      json::AppendString(&out, sample->name);
      out += ':';
      char number[32];
      const auto [end, ec] = std::to_chars(number, number + sizeof number, delta);
      out.append(number, ec == std::errc() ? end : number);
    }
    out += "}\n";
  }
  return out;
}

}  // namespace logsvc::lambda
