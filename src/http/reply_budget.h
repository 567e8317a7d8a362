// ReplyBudget: a bound on the bytes of response bodies the server holds for
// clients that have not taken them yet, summed over every connection.
//
// A reply claims its body before it is written and drops the claim once it is
// written or its connection is gone. A shared body (api::Response::shared_body,
// GET /logs) is counted once however many connections hold it: claims on it
// are counted by the buffer, which each claim keeps alive. A claim that would
// take the total over the limit is refused, unless nothing is held at all, so
// one reply of any size can always go out; the caller then sends a small 503
// instead (ClaimAnyway) and closes the connection.
//
// Thread-safe. A body of its own costs an atomic add and subtract; a shared
// one also takes a mutex.
#ifndef LOGSVC_HTTP_REPLY_BUDGET_H_
#define LOGSVC_HTTP_REPLY_BUDGET_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <unordered_map>

#include "util/mutex.h"

namespace logsvc::http {

class ReplyBudget {
 public:
  explicit ReplyBudget(size_t limit) : limit_(limit) {}
  ReplyBudget(const ReplyBudget&) = delete;
  ReplyBudget& operator=(const ReplyBudget&) = delete;

  // What one reply holds; dropped by Release() or when destroyed. The budget
  // must outlive it.
  class Claim {
   public:
    Claim() = default;
    Claim(Claim&& other) noexcept { *this = std::move(other); }
    Claim& operator=(Claim&& other) noexcept;
    ~Claim() { Release(); }
    void Release();

   private:
    friend class ReplyBudget;
    ReplyBudget* budget_ = nullptr;
    std::shared_ptr<const std::string> shared_;
    size_t bytes_ = 0;
  };

  // Claims `bytes` of a body of the reply's own (into `claim`, after releasing
  // what it held); false, claiming nothing, if that is over budget.
  bool TryClaim(size_t bytes, Claim* claim);
  // Claims a shared body: free if another claim holds the same buffer.
  bool TryClaim(std::shared_ptr<const std::string> body, Claim* claim);
  // Claims `bytes` even over budget (the small reply sent instead of a refused one).
  void ClaimAnyway(size_t bytes, Claim* claim);

  // The bytes held now.
  size_t held() const { return held_.load(std::memory_order_relaxed); }

 private:
  // Adds `bytes` to the total unless that goes over the limit with something
  // already held.
  bool Add(size_t bytes);
  void ReleaseShared(const std::shared_ptr<const std::string>& body);

  const size_t limit_;
  std::atomic<size_t> held_{0};
  util::Mutex mu_;
  std::unordered_map<const std::string*, size_t> shared_holders_ GUARDED_BY(mu_);
};

}  // namespace logsvc::http

#endif  // LOGSVC_HTTP_REPLY_BUDGET_H_
