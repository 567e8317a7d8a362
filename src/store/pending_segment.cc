#include "store/pending_segment.h"

#include <roaring/roaring.h>

#include <algorithm>
#include <functional>

#include "store/index_format.h"

namespace logsvc::store::index {

PendingSegment::PendingSegment(uint64_t segment) : segment_(segment) {
  // What a segment of typical logs comes to (a distinct id or two an entry,
  // a dozen words): growing the tables to it would copy them ten times over
  // on the writer thread.
  sets_.Reserve(kSegmentSize, 12 * kSegmentSize, 16 * kSegmentSize);
}

void PendingSegment::Add(TermSets sets) {
  util::WriterLock lock(&mu_);
  sets_.Merge(sets);
}

roaring_bitmap_t* PendingSegment::Ordinals(char kind, std::string_view term) const {
  std::vector<uint32_t> ordinals;
  {
    util::ReaderLock lock(&mu_);
    const auto i = sets_.Find(kind, term);
    if (!i) return roaring_bitmap_create();
    sets_.AppendOrdinals(*i, &ordinals);
  }
  return roaring_bitmap_of_ptr(ordinals.size(), ordinals.data());
}

roaring_bitmap_t* PendingSegment::PrefixOrdinals(std::string_view prefix, size_t* words) const {
  roaring_bitmap_t* out = roaring_bitmap_create();
  std::vector<uint32_t> ordinals;
  util::ReaderLock lock(&mu_);
  // A scan of every word: a segment holds some tens of thousands, and a
  // prefix query reads one pending segment or two.
  for (size_t i = 0; i < sets_.size(); ++i) {
    const std::string_view key = sets_.term(i);
    if (key[0] != kWordKind || !key.substr(1).starts_with(prefix)) continue;
    ++*words;
    ordinals.clear();
    sets_.AppendOrdinals(i, &ordinals);
    roaring_bitmap_add_many(out, ordinals.size(), ordinals.data());
  }
  return out;
}

void PendingSegment::ForEachRecord(
    const std::function<void(const std::string& key, const std::string& value)>& put) const {
  util::ReaderLock lock(&mu_);
  // Sorted by kind+term: the keys ('x' segment kind term) share their first
  // nine bytes, and the seal key ('x' segment '!') sorts before every kind.
  // Each term's first eight bytes as a big-endian number order most pairs
  // without reading the texts again (a string sort missed the cache on
  // every comparison: a fifth of a seal's time).
  struct Item {
    uint64_t prefix;
    uint32_t term;
  };
  std::vector<Item> order(sets_.size());
  for (size_t i = 0; i < order.size(); ++i) {
    const std::string_view t = sets_.term(i);
    uint64_t prefix = 0;
    for (size_t b = 0; b < 8; ++b) {
      prefix = (prefix << 8) | (b < t.size() ? static_cast<unsigned char>(t[b]) : 0);
    }
    order[i] = {prefix, static_cast<uint32_t>(i)};
  }
  const TermSets* sets = &sets_;  // held: the analysis does not follow into the lambda
  std::sort(order.begin(), order.end(), [&](const Item& a, const Item& b) {
    if (a.prefix != b.prefix) return a.prefix < b.prefix;
    return sets->term(a.term) < sets->term(b.term);
  });
  put(SealKey(segment_), std::string());
  std::vector<uint32_t> ordinals;
  std::string key;
  for (const Item& item : order) {
    const uint32_t i = item.term;
    ordinals.clear();
    sets_.AppendOrdinals(i, &ordinals);
    // Batches are mostly added in order of their numbers, so a set is
    // nearly always sorted already and without repeats.
    if (std::adjacent_find(ordinals.begin(), ordinals.end(), std::greater_equal<uint32_t>()) !=
        ordinals.end()) {
      std::sort(ordinals.begin(), ordinals.end());
      ordinals.erase(std::unique(ordinals.begin(), ordinals.end()), ordinals.end());
    }
    const std::string_view term = sets_.term(i);
    key = TermKey(term[0], term.substr(1), segment_);
    put(key, EncodeOrdinals(ordinals));
  }
}

std::vector<std::pair<std::string, std::string>> PendingSegment::Records() const {
  std::vector<std::pair<std::string, std::string>> out;
  ForEachRecord([&](const std::string& k, const std::string& v) { out.emplace_back(k, v); });
  return out;
}

}  // namespace logsvc::store::index
