// The merge operator of the index column family (store/index_format.h): each
// WriteBatch adds to a key what its entries contribute (ordinals to a set,
// points to a times page, counts to a summary), and RocksDB combines them
// when it reads or compacts: ordinal sets and times pages by union, summaries
// by adding counts and widening the time range. Associative, so RocksDB may
// combine operands in any grouping. A corrupt operand fails the merge
// (RocksDB then reports Corruption for that key) instead of being dropped.
// Thread-safe and stateless.
#ifndef LOGSVC_STORE_INDEX_MERGE_H_
#define LOGSVC_STORE_INDEX_MERGE_H_

#include <rocksdb/merge_operator.h>

namespace logsvc::store::index {

class IndexMergeOperator final : public rocksdb::MergeOperator {
 public:
  bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override;
  bool PartialMergeMulti(const rocksdb::Slice& key, const std::deque<rocksdb::Slice>& operands,
                         std::string* new_value, rocksdb::Logger* logger) const override;
  const char* Name() const override { return "logsvc.IndexMerge.v1"; }
};

}  // namespace logsvc::store::index

#endif  // LOGSVC_STORE_INDEX_MERGE_H_
