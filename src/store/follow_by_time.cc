#include "store/follow_by_time.h"

#include <algorithm>
#include <charconv>

namespace logsvc::store {
namespace {

struct TimePosition {
  int64_t from_ms = 0;  // everything stamped before it was sent
  int64_t to_ms = 0;    // the range being searched; 0 between ranges
  uint32_t skip = 0;    // matches of the page at `inner` already sent
  std::string inner;    // the search's position in [from_ms, to_ms)
};

std::string Encode(const TimePosition& p) {
  return "d" + std::to_string(p.from_ms) + ":" + std::to_string(p.to_ms) + ":" +
         std::to_string(p.skip) + ":" + p.inner;
}

// The next number of `s` up to a ':', which is consumed.
template <typename T>
bool Take(std::string_view* s, T* out) {
  const size_t colon = s->find(':');
  if (colon == std::string_view::npos) return false;
  auto [end, ec] = std::from_chars(s->data(), s->data() + colon, *out);
  if (ec != std::errc() || end != s->data() + colon) return false;
  s->remove_prefix(colon + 1);
  return true;
}

bool Decode(std::string_view s, TimePosition* p) {
  if (s.empty() || s[0] != 'd') return false;
  s.remove_prefix(1);
  if (!Take(&s, &p->from_ms) || !Take(&s, &p->to_ms) || !Take(&s, &p->skip)) return false;
  p->inner = std::string(s);
  return p->to_ms == 0 || p->from_ms < p->to_ms;
}

}  // namespace

void FollowByTime(LogStore& store, FollowQuery query, int64_t now_ms,
                  LogStore::FollowCallback done) {
  TimePosition at;
  if (query.position.empty()) {
    at.from_ms = now_ms - kFollowSettleMs;  // from now on
  } else if (!Decode(query.position, &at)) {
    return done(Status::InvalidArgument(
        "The resume point (Last-Event-ID or cursor) is not one this server gave out: pass an "
        "event's id unchanged."));
  }
  if (at.to_ms == 0) {
    at.to_ms = now_ms - kFollowSettleMs;
    if (at.to_ms <= at.from_ms) {
      FollowPage page;
      at.to_ms = 0;
      page.position = Encode(at);
      return done(std::move(page));
    }
  }
  StoreQuery search;
  search.filter = query.filter;
  search.filter.from_ms = std::max(search.filter.from_ms, at.from_ms);
  search.filter.to_ms = std::min(search.filter.to_ms, at.to_ms);
  search.order = Order::kAsc;
  search.limit = std::clamp<size_t>(query.limit + at.skip, 1, kMaxSearchLimit);
  search.position = at.inner;
  store.Search(std::move(search), [at, limit = query.limit,
                                   done = std::move(done)](Result<SearchPage> r) mutable {
    if (!r.ok()) return done(r.status());
    const std::vector<LogEntry>& found = *r.value().entries;
    FollowPage page;
    TimePosition after = at;
    for (size_t i = at.skip; i < found.size() && page.entries.size() < limit; ++i) {
      page.entries.push_back(found[i]);
      after.skip = static_cast<uint32_t>(i + 1);
      page.entry_positions.push_back(Encode(after));
    }
    if (at.skip + page.entries.size() < found.size()) {
      page.more = true;  // the page had more than `limit` to send: the same page, further on
    } else if (!r.value().next.empty()) {
      page.more = true;
      after.skip = 0;
      after.inner = std::move(r.value().next);
    } else {
      after = TimePosition{at.to_ms, 0, 0, ""};  // the range is done
    }
    if (page.more && page.entries.empty() && after.inner == at.inner && after.skip == at.skip) {
      page.more = false;  // nothing to move on to (cannot happen; no busy loop if it does)
    }
    page.position = Encode(after);
    done(std::move(page));
  });
}

}  // namespace logsvc::store
