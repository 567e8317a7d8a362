#include "http/reply_budget.h"

namespace logsvc::http {

ReplyBudget::Claim& ReplyBudget::Claim::operator=(Claim&& other) noexcept {
  if (this != &other) {
    Release();
    budget_ = other.budget_;
    shared_ = std::move(other.shared_);
    bytes_ = other.bytes_;
    other.budget_ = nullptr;
    other.bytes_ = 0;
  }
  return *this;
}

void ReplyBudget::Claim::Release() {
  if (!budget_) return;
  if (shared_) {
    budget_->ReleaseShared(shared_);
    shared_.reset();
  } else {
    budget_->held_.fetch_sub(bytes_, std::memory_order_relaxed);
  }
  budget_ = nullptr;
  bytes_ = 0;
}

bool ReplyBudget::Add(size_t bytes) {
  const size_t before = held_.fetch_add(bytes, std::memory_order_relaxed);
  if (before != 0 && before + bytes > limit_) {
    held_.fetch_sub(bytes, std::memory_order_relaxed);
    return false;
  }
  return true;
}

bool ReplyBudget::TryClaim(size_t bytes, Claim* claim) {
  claim->Release();
  if (!Add(bytes)) return false;
  claim->budget_ = this;
  claim->bytes_ = bytes;
  return true;
}

void ReplyBudget::ClaimAnyway(size_t bytes, Claim* claim) {
  claim->Release();
  held_.fetch_add(bytes, std::memory_order_relaxed);
  claim->budget_ = this;
  claim->bytes_ = bytes;
}

bool ReplyBudget::TryClaim(std::shared_ptr<const std::string> body, Claim* claim) {
  claim->Release();
  {
    util::MutexLock lock(&mu_);
    auto [it, first] = shared_holders_.try_emplace(body.get(), 0);
    if (first && !Add(body->size())) {
      shared_holders_.erase(it);
      return false;
    }
    ++it->second;
  }
  claim->budget_ = this;
  claim->bytes_ = body->size();
  claim->shared_ = std::move(body);
  return true;
}

void ReplyBudget::ReleaseShared(const std::shared_ptr<const std::string>& body) {
  util::MutexLock lock(&mu_);
  auto it = shared_holders_.find(body.get());
  if (--it->second > 0) return;
  shared_holders_.erase(it);
  held_.fetch_sub(body->size(), std::memory_order_relaxed);
}

}  // namespace logsvc::http
