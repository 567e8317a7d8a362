#include "store/pending_segment.h"

#include <roaring/roaring.h>

#include <algorithm>
#include <iterator>

#include "store/index_format.h"

namespace logsvc::store::index {

void PendingSegment::Add(TermSets sets) {
  std::unique_lock lock(mu_);
  if (sets_.empty()) {
    sets_ = std::move(sets);
    return;
  }
  // A term new to the segment moves over with its node (no copy, no
  // allocation: most terms of a batch are ids seen once); a known one gets
  // the ordinals appended.
  for (auto it = sets.begin(); it != sets.end();) {
    auto next = std::next(it);
    auto found = sets_.find(it->first);
    if (found == sets_.end()) {
      sets_.insert(sets.extract(it));
    } else {
      found->second.insert(found->second.end(), it->second.begin(), it->second.end());
    }
    it = next;
  }
}

roaring_bitmap_t* PendingSegment::Ordinals(char kind, std::string_view term) const {
  std::string key(1, kind);
  key.append(term);
  std::shared_lock lock(mu_);
  auto it = sets_.find(key);
  if (it == sets_.end()) return roaring_bitmap_create();
  return roaring_bitmap_of_ptr(it->second.size(), it->second.data());
}

roaring_bitmap_t* PendingSegment::PrefixOrdinals(std::string_view prefix, size_t* words) const {
  roaring_bitmap_t* out = roaring_bitmap_create();
  std::shared_lock lock(mu_);
  // A scan of every word: a segment holds some tens of thousands, and a
  // prefix query reads one pending segment or two.
  for (const auto& [key, ordinals] : sets_) {
    if (key[0] != kWordKind || !std::string_view(key).substr(1).starts_with(prefix)) continue;
    ++*words;
    roaring_bitmap_add_many(out, ordinals.size(), ordinals.data());
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> PendingSegment::Records() const {
  std::vector<std::pair<std::string, std::string>> out;
  std::vector<uint32_t> sorted;
  {
    std::shared_lock lock(mu_);
    out.reserve(sets_.size() + 1);
    for (const auto& [key, ordinals] : sets_) {
      sorted = ordinals;
      std::sort(sorted.begin(), sorted.end());
      sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
      out.emplace_back(TermKey(key[0], std::string_view(key).substr(1), segment_),
                       EncodeOrdinals(sorted));
    }
  }
  out.emplace_back(SealKey(segment_), std::string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace logsvc::store::index
