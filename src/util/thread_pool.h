// ThreadPool: a fixed set of threads running queued tasks in FIFO order.
// Thread-safe. The destructor runs the tasks already queued, then joins.
#ifndef LOGSVC_UTIL_THREAD_POOL_H_
#define LOGSVC_UTIL_THREAD_POOL_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "util/mutex.h"

namespace logsvc::util {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void Submit(std::function<void()> task);

 private:
  Mutex mu_;
  CondVar cv_;  // a task queued, or stopping_ set
  std::deque<std::function<void()>> tasks_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace logsvc::util

#endif  // LOGSVC_UTIL_THREAD_POOL_H_
