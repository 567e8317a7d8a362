// Live tail over a store's Search, by timestamp: for a store with no ingest
// order of its own (DynamoDB: many stateless servers write one table), a
// follower polls the time index for what was stamped since its last poll.
//
// Each call searches [T, now - kFollowSettleMs) oldest first, where T is
// where the previous call's range ended: an entry is sent about
// kFollowSettleMs after its timestamp, once writes stamped about then have
// landed (DynamoDB's index is eventually consistent). An entry that arrives
// stamped more than that in the past is not sent (a search finds it).
// Entries of one millisecond come in the search's order.
//
// Position: "d<T>:<range end, 0 between ranges>:<matches to skip>:" (decimal),
// then the search's own position inside the range: an
// entry's position is the page's start with the entries before it skipped,
// so a resume from any event sends each entry once.
// Thread-safe; calls `store.Search` (which must outlive the call).
#ifndef LOGSVC_STORE_FOLLOW_BY_TIME_H_
#define LOGSVC_STORE_FOLLOW_BY_TIME_H_

#include <cstdint>

#include "logsvc/log_store.h"

namespace logsvc::store {

inline constexpr int64_t kFollowSettleMs = 3000;

void FollowByTime(LogStore& store, FollowQuery query, int64_t now_ms,
                  LogStore::FollowCallback done);

}  // namespace logsvc::store

#endif  // LOGSVC_STORE_FOLLOW_BY_TIME_H_
