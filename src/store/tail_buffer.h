// TailBuffer: the entries a RocksDbStore wrote lately, by sequence number,
// kept in memory for live tails (LogStore::Follow): a follower that keeps up
// reads them here and never touches the disk; one that falls behind the
// buffer reads the disk (store/follow_reader.h) until it is back.
//
// The buffer holds every entry written with a number from start() on (numbers
// that were taken and never written, a refused or failed write, are holes).
// Bounded by bytes (EntryBytes): past max_bytes the oldest writes are
// dropped and start() moves past them. Kept only while someone follows: the
// store Starts it on the first Follow and Stops it when none came for a while.
// Not thread-safe: the owner locks. The chunks it hands out are immutable and
// shared, so a follower matches them without the owner's lock.
#ifndef LOGSVC_STORE_TAIL_BUFFER_H_
#define LOGSVC_STORE_TAIL_BUFFER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "logsvc/log_entry.h"

namespace logsvc::store {

class TailBuffer {
 public:
  // The entries of one write, numbered first, first + 1, ...
  struct Chunk {
    uint64_t first = 0;
    std::shared_ptr<const std::vector<LogEntry>> entries;
  };

  explicit TailBuffer(size_t max_bytes) : max_bytes_(max_bytes) {}

  // Keeps every entry numbered `from` or later that is Added from now on.
  void Start(uint64_t from);
  // Drops everything; Add keeps nothing until the next Start.
  void Stop();
  bool active() const { return active_; }

  // Entries (log ids set) numbered first.. first + size - 1. Those numbered
  // before start() are left out; all are when inactive.
  void Add(uint64_t first, std::vector<LogEntry> entries);

  // Every written entry numbered start() or later is here (while active;
  // UINT64_MAX when stopped).
  uint64_t start() const { return start_; }

  // The chunks holding numbers in [from, *end), in order (the first may
  // begin before `from`, the last may end after *end). Once they hold
  // `max_entries` numbers of that range it stops, and lowers *end to where
  // the chunks returned end: what they cover.
  std::vector<Chunk> Chunks(uint64_t from, uint64_t* end, size_t max_entries = SIZE_MAX) const;

  size_t bytes() const { return bytes_; }

 private:
  struct Held {
    std::shared_ptr<const std::vector<LogEntry>> entries;
    size_t bytes;
  };
  const size_t max_bytes_;
  bool active_ = false;
  uint64_t start_ = 0;
  size_t bytes_ = 0;
  std::map<uint64_t, Held> chunks_;  // by first number
};

}  // namespace logsvc::store

#endif  // LOGSVC_STORE_TAIL_BUFFER_H_
