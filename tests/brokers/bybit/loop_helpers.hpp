// File: tests/brokers/bybit/loop_helpers.hpp
//
// Drives the test's io_context from the test thread: run a coroutine to completion, or run the
// loop until a condition holds. The fake servers run on their own threads, so the test thread
// may block on them only while nothing it owns needs to make progress; these helpers keep the
// client's loop turning instead.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <functional>
#include <optional>
#include <utility>

#include "core/asio.hpp"

namespace gauntlet::testing {

// Runs `task` on `loop` until it finishes and returns its value, rethrowing its exception.
// Fails the test (and throws) when it takes longer than `limit`.
template <class T>
T run_task(asio::io_context& loop, asio::awaitable<T> task,
           std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  std::optional<T> result;
  std::exception_ptr error;
  bool done = false;
  asio::co_spawn(loop, std::move(task), [&](std::exception_ptr thrown, T value) {
    error = thrown;
    if (!thrown) result.emplace(std::move(value));
    done = true;
  });
  const auto deadline = std::chrono::steady_clock::now() + limit;
  loop.restart();
  while (!done && std::chrono::steady_clock::now() < deadline) {
    loop.run_for(std::chrono::milliseconds(5));
    loop.restart();
  }
  if (!done) {
    ADD_FAILURE() << "task did not finish within " << limit.count() << " ms";
    throw std::runtime_error("task timed out");
  }
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

// Runs `loop` until `condition` holds; false when `limit` passes first.
inline bool run_until(asio::io_context& loop, const std::function<bool()>& condition,
                      std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  loop.restart();
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    loop.run_for(std::chrono::milliseconds(2));
    loop.restart();
  }
  return true;
}

// Runs `loop` for `duration`.
inline void run_for(asio::io_context& loop, std::chrono::milliseconds duration) {
  const auto deadline = std::chrono::steady_clock::now() + duration;
  loop.restart();
  while (std::chrono::steady_clock::now() < deadline) {
    loop.run_for(std::chrono::milliseconds(2));
    loop.restart();
  }
}

}  // namespace gauntlet::testing
