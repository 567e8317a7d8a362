#include "store/index_merge.h"

#include <roaring/roaring.h>

#include <algorithm>
#include <string>
#include <vector>

#include "store/index_format.h"

namespace logsvc::store::index {
namespace {

bool MergeOrdinals(const std::vector<rocksdb::Slice>& parts, std::string* out) {
  std::vector<roaring_bitmap_t*> sets;
  sets.reserve(parts.size());
  bool ok = true;
  for (const rocksdb::Slice& p : parts) {
    roaring_bitmap_t* r = DecodeOrdinals(p.ToStringView());
    if (!r) {
      ok = false;
      break;
    }
    sets.push_back(r);
  }
  if (ok) {
    roaring_bitmap_t* u =
        roaring_bitmap_or_many(sets.size(), const_cast<const roaring_bitmap_t**>(sets.data()));
    *out = EncodeOrdinalSet(u);
    roaring_bitmap_free(u);
  }
  for (auto* r : sets) roaring_bitmap_free(r);
  return ok;
}

bool MergeTimes(const std::vector<rocksdb::Slice>& parts, std::string* out) {
  std::vector<TimePoint> all, one;
  for (const rocksdb::Slice& p : parts) {
    if (!DecodeTimes(p.ToStringView(), &one)) return false;
    all.insert(all.end(), one.begin(), one.end());
  }
  // Operands come in write order, which is nearly ordinal order: a stable
  // sort is almost a merge, and keeps the first of a duplicate (a retry).
  std::stable_sort(all.begin(), all.end(),
                   [](const TimePoint& a, const TimePoint& b) { return a.ordinal < b.ordinal; });
  all.erase(
      std::unique(all.begin(), all.end(),
                  [](const TimePoint& a, const TimePoint& b) { return a.ordinal == b.ordinal; }),
      all.end());
  *out = EncodeTimes(all);
  return true;
}

bool MergeSummaries(const std::vector<rocksdb::Slice>& parts, std::string* out) {
  SegmentSummary total, one;
  for (const rocksdb::Slice& p : parts) {
    if (!DecodeSummary(p.ToStringView(), &one)) return false;
    total.Add(one);
  }
  *out = EncodeSummary(total);
  return true;
}

bool Merge(const rocksdb::Slice& key, const std::vector<rocksdb::Slice>& parts, std::string* out) {
  if (key.empty()) return false;
  switch (key[0]) {
    case kTermsTag:  // word and severity sets (a seal key is never merged)
      return MergeOrdinals(parts, out);
    case kTimesKind:
      return MergeTimes(parts, out);
    case kSegmentKind:
      return MergeSummaries(parts, out);
    default:
      return false;
  }
}

}  // namespace

bool IndexMergeOperator::FullMergeV2(const MergeOperationInput& in,
                                     MergeOperationOutput* out) const {
  std::vector<rocksdb::Slice> parts;
  parts.reserve(in.operand_list.size() + 1);
  if (in.existing_value) parts.push_back(*in.existing_value);
  parts.insert(parts.end(), in.operand_list.begin(), in.operand_list.end());
  return Merge(in.key, parts, &out->new_value);
}

bool IndexMergeOperator::PartialMergeMulti(const rocksdb::Slice& key,
                                           const std::deque<rocksdb::Slice>& operands,
                                           std::string* new_value, rocksdb::Logger*) const {
  return Merge(key, std::vector<rocksdb::Slice>(operands.begin(), operands.end()), new_value);
}

}  // namespace logsvc::store::index
