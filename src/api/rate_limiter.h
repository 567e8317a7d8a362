// RateLimiter: token buckets of requests and entries per subject (an API
// key, or a client address when no keys are configured), for `logsvc serve`
// (issue 13). Over a limit the Api answers 429 with Retry-After and stores
// nothing.
//
// Each subject has two buckets, each holding at most one second of its rate
// (the burst) and refilled continuously:
//   - requests: a request takes one token; with less than one it is refused,
//     and Retry-After is the time until there is one;
//   - entries: a request's entries are taken all at once as long as the
//     bucket is not empty, even past zero (so a batch larger than a second's
//     worth is possible), and the debt is paid before the next is let in.
//     Over any time T a subject stores at most rate*T + one second's worth +
//     one batch.
// Refused requests take nothing.
//
// Memory: at most max_subjects buckets. A new subject past that first clears
// the buckets that have refilled (idle subjects: a full bucket is the same as
// none), at most once a second; if none has, new subjects share one bucket
// until some do. So a flood of addresses can cost memory only up to the bound.
//
// Thread-safe: one mutex, held for a hash lookup and a few flops.
#ifndef LOGSVC_API_RATE_LIMITER_H_
#define LOGSVC_API_RATE_LIMITER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "util/mutex.h"

namespace logsvc::api {

struct RateLimits {
  double requests_per_second = 0;  // 0: no limit
  double entries_per_second = 0;   // 0: no limit

  bool none() const { return requests_per_second <= 0 && entries_per_second <= 0; }
};

class RateLimiter {
 public:
  // Seconds on a monotonic clock; tests pass their own.
  using Clock = std::function<double()>;
  static double SteadySeconds();

  explicit RateLimiter(size_t max_subjects = 65536, Clock clock = SteadySeconds);

  // 0 if `subject` may make one more request now (it is counted); else the
  // seconds until it may, > 0 (nothing is counted).
  double TakeRequest(std::string_view subject, const RateLimits& limits);
  // The same for storing `entries` entries.
  double TakeEntries(std::string_view subject, const RateLimits& limits, size_t entries);

  uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }
  size_t subjects() const;

 private:
  struct Bucket {
    double requests = 0, entries = 0;  // tokens; set to the burst when made
    double updated = 0;                // when they were last refilled
  };
  // The subject's bucket refilled to now (made, or the shared overflow one).
  Bucket& Refilled(std::string_view subject, const RateLimits& limits, double now) REQUIRES(mu_);
  void ClearIdle(const RateLimits& limits, double now) REQUIRES(mu_);

  const size_t max_subjects_;
  const Clock clock_;
  mutable util::Mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_ GUARDED_BY(mu_);
  Bucket overflow_ GUARDED_BY(mu_);
  bool overflow_made_ GUARDED_BY(mu_) = false;
  double last_clear_ GUARDED_BY(mu_) = -1e300;
  std::atomic<uint64_t> refused_{0};
};

}  // namespace logsvc::api

#endif  // LOGSVC_API_RATE_LIMITER_H_
