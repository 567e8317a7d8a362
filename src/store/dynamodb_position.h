// Where a search or a stats walk over the DynamoDB index stopped: one cursor
// per index shard, encoded as the opaque position of the LogStore contract
// (StoreQuery::position, SearchPage::next). Pure functions, no I/O.
//
// A shard's cursor is one of: not started; after the item with key {logId,
// timestamp} (the last one consumed: the next Query of that shard starts with
// ExclusiveStartKey = that key and the shard's partition); exhausted.
//
// Encoding (binary, compact; the API wraps it in its cursor):
//   byte 0   kind: 0xA1 search, 0xA2 stats
//   byte 1   order: 0 desc, 1 asc (stats: 1)
//   byte 2   number of index shards (1..64)
//   then, per shard, one tag byte: bits 0-1 the state (0 not started, 1 after,
//   2 exhausted); for "after", bit 2 set: logId as its 16 UUID bytes (only
//   when formatting them gives the id back exactly), else a varint length
//   (1..2048) and the UTF-8 bytes; bit 3 set: the timestamp as DynamoDB wrote
//   it (a varint length, 1..40, and the text) when it is not a plain integer,
//   else the difference from the previous "after" shard's timestamp (the
//   first: from 0) as a zigzag LEB128 varint. Other bits are zero.
// With UUID ids a position is at most 3 + 64 * (1 + 16 + 10) = 1731 bytes for
// 64 shards (a walk's shards are close in time: typically ~20 bytes a shard).
#ifndef LOGSVC_STORE_DYNAMODB_POSITION_H_
#define LOGSVC_STORE_DYNAMODB_POSITION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/query.h"
#include "logsvc/status.h"
#include "store/dynamodb_item.h"

namespace logsvc::store::dynamodb {

struct ShardCursor {
  enum class State : uint8_t { kNotStarted = 0, kAfter = 1, kExhausted = 2 };
  State state = State::kNotStarted;
  ItemKey after;  // kAfter only
  bool operator==(const ShardCursor&) const = default;
};

enum class WalkKind : uint8_t { kSearch, kStats };

// The last entry a search page returned, by its place in the merge order
// (timestamp, then shard): the next page skips whatever sorts at or before
// it, so an entry written meanwhile into a shard whose own cursor is behind
// it never shows on a later page. Encoded after the shards: 0xB0, the
// timestamp (zigzag varint), the shard (one byte).
struct WalkBound {
  int64_t timestamp_ms = 0;
  int shard = 0;
  bool operator==(const WalkBound&) const = default;
};

// The largest position of 64 shards with UUID ids (see above).
inline constexpr size_t kMaxUuidPositionBytes = 3 + 64 * (1 + 16 + 10);

// `shards` (1..64 of them) as a position. "" when every shard is exhausted:
// nothing is left to walk.
std::string EncodePosition(WalkKind kind, Order order, const std::vector<ShardCursor>& shards,
                           const std::optional<WalkBound>& bound = std::nullopt);

// The cursors of `position`, one per shard of `index_shards`; every shard not
// started for "". kInvalidArgument with a sentence when it is not a position
// this encoding makes for `kind` and `order`, names another number of shards,
// or an "after" key outside [from_ms, to_ms) (DynamoDB would refuse to start
// there).
Result<std::vector<ShardCursor>> DecodePosition(std::string_view position, WalkKind kind,
                                                Order order, int index_shards, int64_t from_ms,
                                                int64_t to_ms,
                                                std::optional<WalkBound>* bound = nullptr);

}  // namespace logsvc::store::dynamodb

#endif  // LOGSVC_STORE_DYNAMODB_POSITION_H_
