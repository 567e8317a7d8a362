#include "store/index_builder.h"

#include <rocksdb/write_batch.h>

#include <algorithm>

#include "core/words.h"

namespace logsvc::store::index {

void IndexBuilder::Add(const TimeKey& key, const LogEntry& entry) {
  const uint64_t segment = SegmentOf(key.seq);
  const uint32_t ordinal = OrdinalOf(key.seq);
  auto add = [&](char kind, std::string_view term) {
    scratch_ = TermKey(kind, term, segment);
    auto& ordinals = terms_[scratch_];
    // A word said twice in one message is one ordinal (an entry's words are
    // added together, so a repeat is always the last one added).
    if (ordinals.empty() || ordinals.back() != ordinal) ordinals.push_back(ordinal);
  };
  words::WordReader reader(entry.message);
  words::Word w;
  while (reader.Next(&w)) add(kWordKind, w.text);
  const char sev = static_cast<char>(entry.severity);
  add(kSeverityKind, std::string_view(&sev, 1));

  times_[{segment, ordinal >> kPageBits}].push_back({ordinal, key.timestamp_ms});
  SegmentSummary& s = summaries_[segment];
  s.min_ms = std::min(s.min_ms, key.timestamp_ms);
  s.max_ms = std::max(s.max_ms, key.timestamp_ms);
  ++s.count[static_cast<size_t>(entry.severity)];
}

void IndexBuilder::WriteTo(rocksdb::WriteBatch* batch, rocksdb::ColumnFamilyHandle* cf) const {
  // Sequence numbers are taken in Append order but queued under a lock, so a
  // batch's ordinals are nearly, not always, ascending.
  std::vector<uint32_t> sorted;
  for (const auto& [key, ordinals] : terms_) {
    sorted = ordinals;
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    batch->Merge(cf, key, EncodeOrdinals(sorted));
  }
  std::vector<TimePoint> points;
  for (const auto& [where, unsorted] : times_) {
    points = unsorted;
    std::sort(points.begin(), points.end(),
              [](const TimePoint& a, const TimePoint& b) { return a.ordinal < b.ordinal; });
    batch->Merge(cf, TimesKey(where.first, where.second), EncodeTimes(points));
  }
  for (const auto& [segment, summary] : summaries_) {
    batch->Merge(cf, SegmentKey(segment), EncodeSummary(summary));
  }
}

}  // namespace logsvc::store::index
