#include "api/rate_limiter.h"

#include <algorithm>
#include <chrono>

namespace logsvc::api {
namespace {

// A bucket holds one second of its rate, and at least one token.
double Burst(double rate) { return std::max(rate, 1.0); }

void Refill(double* tokens, double rate, double seconds) {
  if (rate > 0) *tokens = std::min(Burst(rate), *tokens + seconds * rate);
}

}  // namespace

double RateLimiter::SteadySeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

RateLimiter::RateLimiter(size_t max_subjects, Clock clock)
    : max_subjects_(std::max<size_t>(max_subjects, 1)), clock_(std::move(clock)) {}

size_t RateLimiter::subjects() const {
  util::MutexLock lock(&mu_);
  return buckets_.size();
}

void RateLimiter::ClearIdle(const RateLimits& limits, double now) {
  // Refilled buckets are as good as none. The limits of the subject at hand
  // stand for all: keys have their own, but whoever is idle long enough to
  // refill at its rate is idle at any rate (at least a second).
  std::erase_if(buckets_, [&](const auto& item) {
    const Bucket& b = item.second;
    const double idle = now - b.updated;
    return idle >= 1.0 &&
           (limits.requests_per_second <= 0 ||
            b.requests + idle * limits.requests_per_second >= Burst(limits.requests_per_second)) &&
           (limits.entries_per_second <= 0 ||
            b.entries + idle * limits.entries_per_second >= Burst(limits.entries_per_second));
  });
  last_clear_ = now;
}

RateLimiter::Bucket& RateLimiter::Refilled(std::string_view subject, const RateLimits& limits,
                                           double now) {
  auto it = buckets_.find(std::string(subject));
  Bucket* b = nullptr;
  if (it != buckets_.end()) {
    b = &it->second;
  } else {
    if (buckets_.size() >= max_subjects_ && now - last_clear_ >= 1.0) ClearIdle(limits, now);
    const Bucket full{Burst(limits.requests_per_second), Burst(limits.entries_per_second), now};
    if (buckets_.size() < max_subjects_) {
      b = &buckets_.emplace(std::string(subject), full).first->second;
    } else {
      if (!overflow_made_) overflow_ = full;
      overflow_made_ = true;
      b = &overflow_;
    }
  }
  const double elapsed = std::max(0.0, now - b->updated);
  Refill(&b->requests, limits.requests_per_second, elapsed);
  Refill(&b->entries, limits.entries_per_second, elapsed);
  b->updated = std::max(b->updated, now);
  return *b;
}

double RateLimiter::TakeRequest(std::string_view subject, const RateLimits& limits) {
  if (limits.requests_per_second <= 0) return 0;
  const double now = clock_();
  util::MutexLock lock(&mu_);
  Bucket& b = Refilled(subject, limits, now);
  if (b.requests >= 1.0) {
    b.requests -= 1.0;
    return 0;
  }
  refused_.fetch_add(1, std::memory_order_relaxed);
  return (1.0 - b.requests) / limits.requests_per_second;
}

double RateLimiter::TakeEntries(std::string_view subject, const RateLimits& limits,
                                size_t entries) {
  if (limits.entries_per_second <= 0 || entries == 0) return 0;
  const double now = clock_();
  util::MutexLock lock(&mu_);
  Bucket& b = Refilled(subject, limits, now);
  if (b.entries > 0) {
    b.entries -= static_cast<double>(entries);
    return 0;
  }
  refused_.fetch_add(1, std::memory_order_relaxed);
  // Until the debt is paid and the bucket holds something again.
  return (-b.entries) / limits.entries_per_second + 1.0 / limits.entries_per_second;
}

}  // namespace logsvc::api
