// The embedded store's idempotency records (LogStore::AppendOnce), kept in
// the default column family (docs/storage.md):
//   key   "once/" + IdempotentWrite::key
//   value format (1), the fingerprint (32 bytes), the write's Unix ms (8,
//         big-endian), then the TimeKey of each entry (16 bytes each, in order):
//         the ids and timestamps of the first write are made again from them.
// Written in the same WriteBatch as the entries, so a record exists exactly
// when its entries do. Records older than kIdempotencyWindowMs are treated as
// absent and dropped by compactions (OnceRecordFilter). Pure functions.
#ifndef LOGSVC_STORE_ONCE_RECORD_H_
#define LOGSVC_STORE_ONCE_RECORD_H_

#include <rocksdb/compaction_filter.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/entry_codec.h"

namespace logsvc::store {

inline constexpr std::string_view kOnceKeyPrefix = "once/";

std::string OnceRecordKey(std::string_view key);

struct OnceRecord {
  std::string fingerprint;
  int64_t written_ms = 0;
  std::vector<TimeKey> keys;
};

std::string EncodeOnceRecord(const OnceRecord& r);
// false if the bytes are not a record.
bool DecodeOnceRecord(std::string_view bytes, OnceRecord* out);

// Drops the records of the default family whose window has passed; leaves
// every other key alone. Thread-safe (stateless).
class OnceRecordFilter : public rocksdb::CompactionFilter {
 public:
  bool Filter(int level, const rocksdb::Slice& key, const rocksdb::Slice& existing_value,
              std::string* new_value, bool* value_changed) const override;
  const char* Name() const override { return "logsvc.OnceRecordFilter.v1"; }
};

}  // namespace logsvc::store

#endif  // LOGSVC_STORE_ONCE_RECORD_H_
