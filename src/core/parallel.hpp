// File: core/parallel.hpp
//
// parallel_for: the one fork-join loop of the project. body(i) runs for every i in [0, count)
// on up to `threads` workers (0: one per core), the calling thread being one of them; items are
// handed out one at a time, so uneven items balance. Results must be written by index (the
// order in which items run is unspecified); the call returns when every item has run. An
// exception thrown by body stops the hand-out of further items and the first one thrown is
// rethrown on the calling thread after every worker has joined.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace gauntlet {

// The number of workers parallel_for uses for `count` items and a `threads` request.
inline std::size_t worker_count(std::size_t count, std::size_t threads) {
  if (threads == 0) threads = std::max(1U, std::thread::hardware_concurrency());
  return std::clamp<std::size_t>(threads, 1, std::max<std::size_t>(1, count));
}

template <class Body>
void parallel_for(std::size_t count, std::size_t threads, const Body& body) {
  const std::size_t workers = worker_count(count, threads);
  if (workers == 1) {
    for (std::size_t i = 0; i < count; ++i) body(i);
    return;
  }
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  const auto worker = [&] {
    for (std::size_t i = next++; i < count; i = next++) {
      try {
        body(i);
      } catch (...) {
        const std::lock_guard lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        next = count;  // no further items
      }
    }
  };
  {
    std::vector<std::jthread> pool;
    pool.reserve(workers - 1);
    for (std::size_t t = 1; t < workers; ++t) pool.emplace_back(worker);
    worker();
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace gauntlet
