#include "store/index_builder.h"

#include <rocksdb/write_batch.h>

#include <algorithm>

#include "core/words.h"

namespace logsvc::store::index {

void IndexBuilder::Add(const TimeKey& key, const LogEntry& entry) {
  const uint64_t segment = SegmentOf(key.seq);
  const uint32_t ordinal = OrdinalOf(key.seq);
  TermSets& sets = sets_[segment];
  auto add = [&](char kind, std::string_view term) {
    scratch_.assign(1, kind);
    scratch_.append(term);
    auto& ordinals = sets[scratch_];
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
  std::vector<std::pair<std::string, const std::vector<uint32_t>*>> in_order;
  for (const auto& [segment, sets] : sets_) {
    if (in_memory && in_memory(segment)) continue;
    for (const auto& [term, ordinals] : sets) {
      in_order.emplace_back(TermKey(term[0], std::string_view(term).substr(1), segment), &ordinals);
    }
  }
  std::sort(in_order.begin(), in_order.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<uint32_t> sorted;
  for (const auto& [key, ordinals] : in_order) {
    // Sequence numbers are taken in Append order but queued under a lock, so
    // a batch's ordinals are nearly, not always, ascending.
    sorted = *ordinals;
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
