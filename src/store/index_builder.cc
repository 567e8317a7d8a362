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
  // In key order: RocksDB's memtable (a skip list) inserts a key next to the
  // one before it cheaply, and a random order made these inserts most of the
  // writer thread's time.
  std::vector<const std::pair<const std::string, std::vector<uint32_t>>*> in_order;
  in_order.reserve(terms_.size());
  for (const auto& kv : terms_) in_order.push_back(&kv);
  std::sort(in_order.begin(), in_order.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  std::vector<uint32_t> sorted;
  for (const auto* kv : in_order) {
    const auto& [key, ordinals] = *kv;
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
