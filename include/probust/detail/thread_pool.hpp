#pragma once
/// \file detail/thread_pool.hpp
/// The worker pool of run_dataset: count independent work items on a few threads that
/// take the next item from an atomic counter, while the calling thread reports progress.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace probust {
namespace detail {

/// Runs `work(i)` (which must not throw) for i = 0, …, count − 1 on `threads` workers
/// that take the next i from an atomic counter. The calling thread waits and calls
/// `report(done)` (done = items finished so far) after each item when threads ≤ 1 (then
/// everything runs on the calling thread and no thread is started), else at least every
/// 100 ms and when the last item is finished. If `report` throws, the workers stop after
/// their current item, are joined, and the exception propagates.
inline void run_parallel(std::size_t count, unsigned threads,
                         const std::function<void(std::size_t)>& work,
                         const std::function<void(std::size_t)>& report) {
  if (threads <= 1) {
    for (std::size_t i = 0; i < count; ++i) {
      work(i);
      report(i + 1);
    }
    return;
  }

  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> done{0};
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::condition_variable finished;
  // Joins the workers on every exit path (normal, a throwing report, a failed spawn).
  struct joining_threads {
    std::atomic<bool>& stop_flag;
    std::vector<std::thread> running;
    ~joining_threads() {
      stop_flag = true;
      for (std::thread& t : running) t.join();
    }
  } pool{stop, {}};
  const auto worker = [&] {
    while (!stop) {
      const std::size_t i = next.fetch_add(1);
      if (i >= count) return;
      work(i);
      if (done.fetch_add(1) + 1 == count) {
        const std::lock_guard<std::mutex> lock(mutex);
        finished.notify_one();
      }
    }
  };
  pool.running.reserve(threads);
  for (unsigned t = 0; t < threads; ++t) pool.running.emplace_back(worker);

  std::unique_lock<std::mutex> lock(mutex);
  while (done < count) {
    finished.wait_for(lock, std::chrono::milliseconds(100), [&] { return done >= count; });
    lock.unlock();
    report(done);
    lock.lock();
  }
}

}  // namespace detail
}  // namespace probust
