#include "store/tail_buffer.h"

#include <algorithm>

namespace logsvc::store {

void TailBuffer::Start(uint64_t from) {
  Stop();
  active_ = true;
  start_ = from;
}

void TailBuffer::Stop() {
  active_ = false;
  start_ = UINT64_MAX;  // holds nothing
  chunks_.clear();
  bytes_ = 0;
}

void TailBuffer::Add(uint64_t first, std::vector<LogEntry> entries) {
  if (!active_ || first + entries.size() <= start_) return;
  if (first < start_) {  // kept from the start on
    entries.erase(entries.begin(), entries.begin() + static_cast<ptrdiff_t>(start_ - first));
    first = start_;
  }
  size_t bytes = 0;
  for (const LogEntry& e : entries) bytes += EntryBytes(e);
  bytes_ += bytes;
  chunks_.emplace(first,
                  Held{std::make_shared<const std::vector<LogEntry>>(std::move(entries)), bytes});
  // The oldest go first; a follower still behind them reads the disk.
  while (bytes_ > max_bytes_ && chunks_.size() > 1) {
    auto oldest = chunks_.begin();
    start_ = std::max(start_, oldest->first + oldest->second.entries->size());
    bytes_ -= oldest->second.bytes;
    chunks_.erase(oldest);
  }
}

std::vector<TailBuffer::Chunk> TailBuffer::Chunks(uint64_t from, uint64_t* end,
                                                  size_t max_entries) const {
  std::vector<Chunk> out;
  auto it = chunks_.upper_bound(from);
  if (it != chunks_.begin()) {
    auto before = std::prev(it);
    if (before->first + before->second.entries->size() > from) it = before;
  }
  size_t entries = 0;  // numbers of [from, *end) in the chunks taken
  for (; it != chunks_.end() && it->first < *end; ++it) {
    if (entries >= max_entries) {
      *end = it->first;  // the chunks taken cover up to here
      break;
    }
    const uint64_t chunk_end = it->first + it->second.entries->size();
    entries += std::min(*end, chunk_end) - std::max(from, it->first);
    out.push_back({it->first, it->second.entries});
  }
  return out;
}

}  // namespace logsvc::store
