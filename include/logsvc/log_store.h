// LogStore: where entries live. One interface; the embedded RocksDB store
// (src/store/rocksdb_store.h) and DynamoDB (src/store/dynamodb_store.h) are behind it.
//
// Every operation is asynchronous: it returns at once and reports through a
// completion callback, so that threads serving sockets never wait on a disk or
// a network. Contract for all callbacks:
//   - each is invoked exactly once, unless the store is destroyed first while
//     the operation is still queued (then it is destroyed without being called);
//   - it may run on any thread, including the caller's before the call returns,
//     so it must be cheap and must not block (post work elsewhere if needed);
//   - Status codes: kUnavailable means the store cannot serve now (disk full,
//     closed, remote down) and nothing was changed; kNotFound means no such entry.
// Implementations are thread-safe: any thread may call any method at any time.
#ifndef LOGSVC_LOG_STORE_H_
#define LOGSVC_LOG_STORE_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "logsvc/log_entry.h"
#include "logsvc/status.h"

namespace logsvc {

// An immutable list of entries. Shared, not copied: a store may hand the same
// list to many readers while nothing changes, and a reader may use its
// identity (the pointer) to cache what it derives from it.
using EntryList = std::shared_ptr<const std::vector<LogEntry>>;

class LogStore {
 public:
  using AppendCallback = std::function<void(Result<std::string>)>;  // the new log id
  using ListCallback = std::function<void(Result<EntryList>)>;
  using GetCallback = std::function<void(Result<LogEntry>)>;

  virtual ~LogStore() = default;

  // Stores `entry` durably under a new log id (a UUID v4) that the store
  // chooses, and reports that id; entry.log_id is ignored. Success is reported
  // only once the entry would survive a crash of the process or the machine
  // (for RocksDB: its WAL is synced; for DynamoDB: PutItem was acknowledged).
  // On error the entry was not acknowledged, and it was not stored, with one
  // exception a remote store cannot rule out: a write whose reply never came
  // (DynamoDB: a PutItem that timed out) may have been stored all the same,
  // under the id this call would have reported.
  virtual void Append(LogEntry entry, AppendCallback done) = 0;

  // The `limit` most recent entries, newest first: by timestamp, and for equal
  // timestamps the later ingest first. Cost must not grow with the store's size.
  virtual void Recent(size_t limit, ListCallback done) = 0;

  // The entry with this id, or kNotFound.
  virtual void Get(std::string log_id, GetCallback done) = 0;

  // True while the store takes writes. Cheap; safe to call on any thread.
  virtual bool Healthy() const = 0;

  // Finishes (and reports) what is in flight, then refuses new work with
  // kUnavailable. Idempotent; also done by the destructor.
  virtual void Close() = 0;
};

// The kNotFound every store reports for an id it does not hold.
inline Status EntryNotFound(std::string_view log_id) {
  return Status::NotFound("No log entry has id '" + std::string(log_id) + "'.");
}

}  // namespace logsvc

#endif  // LOGSVC_LOG_STORE_H_
