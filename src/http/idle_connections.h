// IdleConnections: the connections of one I/O thread that wait for a request
// and have received none of it yet, oldest first: the ones to close when the
// server is at its connection cap and another client connects.
//
// An intrusive list: adding and removing a connection is O(1) and allocates
// nothing, once per request. Only the owning I/O thread calls Add, Remove and
// EvictOldest; any thread may read oldest_since(), a hint for choosing the
// thread whose idle connection is the oldest.
#ifndef LOGSVC_HTTP_IDLE_CONNECTIONS_H_
#define LOGSVC_HTTP_IDLE_CONNECTIONS_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>

namespace logsvc::http {

class IdleConnections {
 public:
  // A connection that can be listed; Evict() closes it.
  class Node {
   public:
    virtual void Evict() = 0;

   protected:
    ~Node() = default;

   private:
    friend class IdleConnections;
    Node* prev_ = nullptr;
    Node* next_ = nullptr;
    bool listed_ = false;
    int64_t since_ = 0;  // steady_clock nanoseconds when listed
  };

  static constexpr int64_t kNone = std::numeric_limits<int64_t>::max();

  IdleConnections() = default;
  IdleConnections(const IdleConnections&) = delete;
  IdleConnections& operator=(const IdleConnections&) = delete;

  // Lists `node` as idle from now on (it must not be listed).
  void Add(Node* node);
  // Unlists `node` if it is listed.
  void Remove(Node* node);
  // Unlists the oldest idle connection and evicts it; false if there is none.
  bool EvictOldest();

  // When the oldest listed connection became idle (steady_clock nanoseconds),
  // or kNone. Any thread; it may be stale by the time it is used.
  int64_t oldest_since() const { return oldest_since_.load(std::memory_order_relaxed); }

 private:
  void PublishOldest() {
    oldest_since_.store(head_ ? head_->since_ : kNone, std::memory_order_relaxed);
  }

  Node* head_ = nullptr;  // the oldest
  Node* tail_ = nullptr;
  std::atomic<int64_t> oldest_since_{kNone};
};

inline void IdleConnections::Add(Node* node) {
  node->since_ = std::chrono::duration_cast<std::chrono::nanoseconds>(
                     std::chrono::steady_clock::now().time_since_epoch())
                     .count();
  node->listed_ = true;
  node->prev_ = tail_;
  node->next_ = nullptr;
  if (tail_) {
    tail_->next_ = node;
  } else {
    head_ = node;
    PublishOldest();
  }
  tail_ = node;
}

inline void IdleConnections::Remove(Node* node) {
  if (!node->listed_) return;
  node->listed_ = false;
  (node->prev_ ? node->prev_->next_ : head_) = node->next_;
  (node->next_ ? node->next_->prev_ : tail_) = node->prev_;
  if (!node->prev_) PublishOldest();  // it was the oldest
  node->prev_ = node->next_ = nullptr;
}

inline bool IdleConnections::EvictOldest() {
  Node* oldest = head_;
  if (!oldest) return false;
  Remove(oldest);
  oldest->Evict();
  return true;
}

}  // namespace logsvc::http

#endif  // LOGSVC_HTTP_IDLE_CONNECTIONS_H_
