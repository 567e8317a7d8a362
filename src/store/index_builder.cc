#include "store/index_builder.h"

#include <rocksdb/write_batch.h>

#include <algorithm>

#include "core/words.h"

namespace logsvc::store::index {

void IndexBuilder::Add(const TimeKey& key, const LogEntry& entry) {
  const uint64_t segment = SegmentOf(key.seq);
  const uint32_t ordinal = OrdinalOf(key.seq);
  TermSets& sets = sets_[segment];
  // A word said twice in one message is one ordinal: an entry's words are
  // added together, so a repeat is the last ordinal of its set (TermSets::Add).
  words::WordReader reader(entry.message);
  words::Word w;
  while (reader.Next(&w)) sets.Add(kWordKind, w.text, ordinal);
  const char sev = static_cast<char>(entry.severity);
  sets.Add(kSeverityKind, std::string_view(&sev, 1), ordinal);
  for (const Attribute& a : entry.attributes) {
    sets.Add(kAttributeKind, AttributeTerm(a.key, a.value), ordinal);
  }

  times_[{segment, ordinal >> kPageBits}].push_back({ordinal, key.timestamp_ms});
  SegmentSummary& s = summaries_[segment];
  s.min_ms = std::min(s.min_ms, key.timestamp_ms);
  s.max_ms = std::max(s.max_ms, key.timestamp_ms);
  ++s.count[static_cast<size_t>(entry.severity)];
}

TermSets IndexBuilder::TakeSets(uint64_t segment) {
  auto it = sets_.find(segment);
  if (it == sets_.end()) return {};
  TermSets out = std::move(it->second);
  sets_.erase(it);
  return out;
}

void IndexBuilder::WriteTo(rocksdb::WriteBatch* batch, rocksdb::ColumnFamilyHandle* cf,
                           const std::function<bool(uint64_t)>& in_memory) const {
  // In key order: RocksDB's memtable (a skip list) inserts a key next to the
  // one before it cheaply.
  std::vector<std::pair<std::string, std::pair<const TermSets*, size_t>>> in_order;
  for (const auto& [segment, sets] : sets_) {
    if (in_memory && in_memory(segment)) continue;
    for (size_t i = 0; i < sets.size(); ++i) {
      const std::string_view term = sets.term(i);
      in_order.emplace_back(TermKey(term[0], term.substr(1), segment), std::pair(&sets, i));
    }
  }
  std::sort(in_order.begin(), in_order.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<uint32_t> sorted;
  for (const auto& [key, where] : in_order) {
    // Sequence numbers are taken in Append order but queued under a lock, so
    // a batch's ordinals are nearly, not always, ascending.
    sorted.clear();
    where.first->AppendOrdinals(where.second, &sorted);
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
