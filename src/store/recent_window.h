// RecentWindow: the newest `capacity` entries of a store, kept in memory so
// that GET /logs costs the same with 200 entries stored or 200 million.
// Holds exactly the top `capacity` keys ever inserted (in TimeKey order), even
// if the clock steps backwards. Not thread-safe: the owner locks.
#ifndef LOGSVC_STORE_RECENT_WINDOW_H_
#define LOGSVC_STORE_RECENT_WINDOW_H_

#include <deque>
#include <vector>

#include "logsvc/log_store.h"
#include "store/entry_codec.h"

namespace logsvc::store {

class RecentWindow {
 public:
  explicit RecentWindow(size_t capacity) : capacity_(capacity) {}

  // Adds an entry unless the window is full and it is older than all it holds.
  void Insert(const TimeKey& key, LogEntry entry);

  // Up to `limit` entries, newest first. The full list is built once after
  // each change and then shared by every caller until the next Insert.
  EntryList Newest(size_t limit);

  size_t size() const { return items_.size(); }

 private:
  struct Item {
    TimeKey key;
    LogEntry entry;
  };
  size_t capacity_;
  std::deque<Item> items_;  // oldest first: appends at the back are the common case
  EntryList all_;           // items_ newest first; null after a change
};

}  // namespace logsvc::store

#endif  // LOGSVC_STORE_RECENT_WINDOW_H_
