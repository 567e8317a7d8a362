#include "store/dynamodb_walk.h"

#include <algorithm>
#include <cmath>

#include "core/datetime.h"

namespace logsvc::store::dynamodb {
namespace {

using State = ShardCursor::State;

// Whether the range or the severities leave nothing to find: no Query is sent.
bool NothingCanMatch(const Filter& f) { return f.from_ms >= f.to_ms || f.severities.empty(); }

ShardCursor After(ItemKey key) { return ShardCursor{State::kAfter, std::move(key)}; }

}  // namespace

SearchWalk::SearchWalk(const Filter& filter, Order order, size_t limit,
                       std::vector<ShardCursor> start, std::optional<WalkBound> bound)
    : filter_(filter),
      order_(order),
      limit_(std::max<size_t>(limit, 1)),
      shards_(start.size()),
      bound_(bound) {
  const bool nothing = NothingCanMatch(filter_);
  for (size_t s = 0; s < start.size(); ++s) {
    Shard& shard = shards_[s];
    shard.start = std::move(start[s]);
    shard.done = nothing || shard.start.state == State::kExhausted;
    if (shard.start.state == State::kAfter) shard.read_to = shard.start.after;
  }
}

void SearchWalk::Merge() {
  // An entry's place: (timestamp, shard), then its place within the shard.
  // A shard with nothing buffered that may still hold more stands for what it
  // may hold: nothing before (its read_to timestamp, itself) in the walk's
  // order, so anything that comes before that may be returned.
  const bool asc = order_ == Order::kAsc;
  while (found_.size() < limit_) {
    int best = -1;
    int64_t best_ts = 0;
    bool best_is_bound = false;
    for (size_t s = 0; s < shards_.size(); ++s) {
      const Shard& shard = shards_[s];
      int64_t ts;
      bool bound = false;
      if (!shard.buffer.empty()) {
        ts = shard.buffer.front().entry.timestamp_ms;
      } else if (shard.done) {
        continue;
      } else {
        bound = true;
        ts = shard.read_to ? shard.read_to->timestamp_ms
                           : (asc ? filter_.from_ms : filter_.to_ms - 1);
      }
      // Shards are visited in index order, so on equal timestamps the first
      // seen wins ascending and the last one descending.
      if (best < 0 || (asc ? ts < best_ts : ts >= best_ts)) {
        best = static_cast<int>(s);
        best_ts = ts;
        best_is_bound = bound;
      }
    }
    if (best < 0 || best_is_bound) return;  // all read, or a shard must be read further
    Shard& shard = shards_[static_cast<size_t>(best)];
    Buffered& b = shard.buffer.front();
    shard.last_returned = ItemKey{b.entry.log_id, std::move(b.timestamp), b.entry.timestamp_ms};
    bound_ = WalkBound{b.entry.timestamp_ms, best};
    found_.push_back(std::move(b.entry));
    shard.buffer.pop_front();
  }
}

std::vector<ShardFetch> SearchWalk::NextFetches() {
  Merge();
  std::vector<ShardFetch> fetches;
  if (found_.size() >= limit_) return fetches;
  size_t open = 0;
  for (const Shard& shard : shards_) open += shard.done ? 0 : 1;
  for (size_t s = 0; s < shards_.size(); ++s) {
    const Shard& shard = shards_[s];
    if (!shard.done && shard.buffer.empty()) fetches.push_back({static_cast<int>(s), 0, {}});
  }
  if (fetches.empty()) return fetches;  // every shard read to its end
  if (rounds_ >= kWalkRounds) return {};
  const size_t share = budget_ / fetches.size();
  if (share == 0) return {};
  // The entries still wanted from each open shard, if matches spread evenly,
  // and how many items that takes at the rate seen so far.
  const double rate = static_cast<double>(matched_ + 1) / static_cast<double>(read_ + 1);
  const double per_shard = static_cast<double>(Wanted()) / static_cast<double>(open);
  const double estimate = std::ceil(1.25 * per_shard / std::min(rate, 1.0));
  for (ShardFetch& f : fetches) {
    Shard& shard = shards_[static_cast<size_t>(f.shard)];
    size_t limit =
        !shard.asked_before
            ? Wanted()
            : static_cast<size_t>(std::min(estimate, static_cast<double>(kMaxQueryLimit)));
    limit = std::clamp<size_t>(limit, 1, std::min(kMaxQueryLimit, share));
    f.limit = limit;
    f.start = shard.read_to;
    shard.asked = limit;
    shard.asked_before = true;
    budget_ -= limit;
  }
  ++rounds_;
  return fetches;
}

Status SearchWalk::Add(int shard_index, std::string_view body) {
  Shard& shard = shards_[static_cast<size_t>(shard_index)];
  const bool asc = order_ == Order::kAsc;
  // What sorts before the last entry returned was walked already: an item
  // there was written after its page (the shard's own cursor is behind it).
  const auto walked = [&](int64_t ts) {
    if (!bound_ || shard_index == bound_->shard) return false;
    if (ts != bound_->timestamp_ms)
      return asc ? ts < bound_->timestamp_ms : ts > bound_->timestamp_ms;
    return asc ? shard_index < bound_->shard : shard_index > bound_->shard;
  };
  auto info = VisitQueryResponse(body, [&](const ItemView& v) {
    // Core's matcher decides, whatever DynamoDB's filter left out.
    if (!walked(v.timestamp_ms) &&
        Matches(filter_, v.timestamp_ms, v.severity, v.message, v.attributes)) {
      shard.buffer.push_back(Buffered{v.ToEntry(), std::string(v.timestamp)});
    }
  });
  if (!info.ok()) return info.status();
  const size_t scanned = std::min(info.value().scanned, shard.asked);
  budget_ += shard.asked - scanned;  // what the shard did not have is not spent
  read_ += scanned;
  matched_ += shard.buffer.size();
  shard.read_to = std::move(info.value().last_evaluated);
  shard.done = !shard.read_to.has_value();
  // No more than the entries still wanted can be returned from one shard in
  // this call: the rest is dropped, and read again from the last one kept.
  if (shard.buffer.size() > Wanted()) {
    shard.buffer.resize(Wanted());
    const Buffered& last = shard.buffer.back();
    shard.read_to = ItemKey{last.entry.log_id, last.timestamp, last.entry.timestamp_ms};
    shard.done = false;
  }
  return Status::Ok();
}

SearchPage SearchWalk::Finish() {
  Merge();
  std::vector<ShardCursor> cursors;
  cursors.reserve(shards_.size());
  for (Shard& shard : shards_) {
    if (!shard.buffer.empty()) {
      // Entries read but not returned are read again by the next page.
      cursors.push_back(shard.last_returned ? After(std::move(*shard.last_returned))
                                            : std::move(shard.start));
    } else if (shard.done) {
      cursors.push_back(ShardCursor{State::kExhausted, {}});
    } else if (shard.read_to) {
      cursors.push_back(After(std::move(*shard.read_to)));
    } else {
      cursors.push_back(std::move(shard.start));
    }
  }
  SearchPage page;
  page.entries = std::make_shared<const std::vector<LogEntry>>(std::move(found_));
  page.next = EncodePosition(WalkKind::kSearch, order_, cursors, bound_);
  return page;
}

StatsWalk::StatsWalk(const Filter& filter, int64_t step_ms, std::vector<ShardCursor> start)
    : filter_(filter),
      step_ms_(step_ms),
      first_bucket_(FloorDiv(filter.from_ms, step_ms)),
      shards_(start.size()),
      counts_(static_cast<size_t>(StatsBucketCount(filter.from_ms, filter.to_ms, step_ms))) {
  const bool nothing = NothingCanMatch(filter_);
  for (size_t s = 0; s < start.size(); ++s) {
    shards_[s].at = nothing ? ShardCursor{State::kExhausted, {}} : std::move(start[s]);
  }
  for (auto& row : counts_) row.fill(0);
}

std::vector<ShardFetch> StatsWalk::NextFetches() {
  std::vector<ShardFetch> fetches;
  for (size_t s = 0; s < shards_.size(); ++s) {
    const Shard& shard = shards_[s];
    if (shard.at.state == State::kExhausted) continue;
    fetches.push_back({static_cast<int>(s), 0, {}});
  }
  if (fetches.empty() || rounds_ >= kWalkRounds) return {};
  const size_t share = std::min(kMaxQueryLimit, budget_ / fetches.size());
  if (share == 0) return {};
  for (ShardFetch& f : fetches) {
    Shard& shard = shards_[static_cast<size_t>(f.shard)];
    f.limit = share;
    if (shard.at.state == State::kAfter) f.start = shard.at.after;
    shard.asked = share;
    budget_ -= share;
  }
  ++rounds_;
  return fetches;
}

Status StatsWalk::Add(int shard_index, std::string_view body) {
  Shard& shard = shards_[static_cast<size_t>(shard_index)];
  auto info = VisitQueryResponse(body, [&](const ItemView& v) {
    if (!Matches(filter_, v.timestamp_ms, v.severity, v.message, v.attributes)) return;
    const int64_t bucket = FloorDiv(v.timestamp_ms, step_ms_) - first_bucket_;
    counts_[static_cast<size_t>(bucket)][static_cast<size_t>(v.severity)] += 1;
  });
  if (!info.ok()) return info.status();
  budget_ += shard.asked - std::min(info.value().scanned, shard.asked);
  shard.at = info.value().last_evaluated ? After(std::move(*info.value().last_evaluated))
                                         : ShardCursor{State::kExhausted, {}};
  return Status::Ok();
}

StatsPage StatsWalk::Finish() {
  std::vector<ShardCursor> cursors;
  cursors.reserve(shards_.size());
  for (Shard& shard : shards_) cursors.push_back(std::move(shard.at));
  return StatsPage{std::move(counts_), EncodePosition(WalkKind::kStats, Order::kAsc, cursors)};
}

}  // namespace logsvc::store::dynamodb
