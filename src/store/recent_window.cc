#include "store/recent_window.h"

#include <algorithm>

namespace logsvc::store {
namespace {

bool Before(const TimeKey& a, const TimeKey& b) {
  return a.timestamp_ms != b.timestamp_ms ? a.timestamp_ms < b.timestamp_ms : a.seq < b.seq;
}

}  // namespace

void RecentWindow::Insert(const TimeKey& key, LogEntry entry) {
  if (capacity_ == 0) return;
  if (items_.size() == capacity_) {
    if (!Before(items_.front().key, key)) return;  // older than everything we keep
    items_.pop_front();
  }
  auto pos = std::upper_bound(items_.begin(), items_.end(), key,
                              [](const TimeKey& k, const Item& it) { return Before(k, it.key); });
  items_.insert(pos, Item{key, std::move(entry)});
}

std::vector<LogEntry> RecentWindow::Newest(size_t limit) const {
  std::vector<LogEntry> out;
  size_t n = std::min(limit, items_.size());
  out.reserve(n);
  for (auto it = items_.rbegin(); out.size() < n; ++it) out.push_back(it->entry);
  return out;
}

}  // namespace logsvc::store
