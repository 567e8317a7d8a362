// ThreadPool: a fixed set of threads running queued tasks in FIFO order.
// Thread-safe. The destructor runs the tasks already queued, then joins.
#ifndef LOGSVC_UTIL_THREAD_POOL_H_
#define LOGSVC_UTIL_THREAD_POOL_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace logsvc::util {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void Submit(std::function<void()> task);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace logsvc::util

#endif  // LOGSVC_UTIL_THREAD_POOL_H_
