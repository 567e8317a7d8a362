#include "store/recent_window.h"

#include <algorithm>

namespace logsvc::store {
void RecentWindow::Insert(const TimeKey& key, LogEntry entry) {
  if (capacity_ == 0) return;
  if (items_.size() == capacity_) {
    if (!(items_.front().key < key)) return;  // older than everything we keep
    items_.pop_front();
  }
  auto pos = std::upper_bound(items_.begin(), items_.end(), key,
                              [](const TimeKey& k, const Item& it) { return k < it.key; });
  items_.insert(pos, Item{key, std::move(entry)});
  all_.reset();
}

EntryList RecentWindow::Newest(size_t limit) {
  if (!all_) {
    std::vector<LogEntry> all;
    all.reserve(items_.size());
    for (auto it = items_.rbegin(); it != items_.rend(); ++it) all.push_back(it->entry);
    all_ = std::make_shared<const std::vector<LogEntry>>(std::move(all));
  }
  if (limit >= all_->size()) return all_;
  return std::make_shared<const std::vector<LogEntry>>(all_->begin(), all_->begin() + limit);
}

}  // namespace logsvc::store
