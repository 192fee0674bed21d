#include "core/parallel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <numeric>
#include <stdexcept>
#include <thread>
#include <vector>

namespace gauntlet {
namespace {

TEST(ParallelFor, RunsEveryItemOnceWhateverTheThreadCount) {
  for (const std::size_t threads : {0U, 1U, 2U, 7U}) {
    std::vector<int> runs(1000, 0);
    parallel_for(runs.size(), threads, [&](std::size_t i) { ++runs[i]; });
    EXPECT_EQ(std::accumulate(runs.begin(), runs.end(), 0), 1000) << threads;
    EXPECT_EQ(*std::min_element(runs.begin(), runs.end()), 1) << threads;
  }
  parallel_for(0, 4, [](std::size_t) { FAIL() << "no item to run"; });
}

TEST(ParallelFor, RethrowsABodysExceptionAfterEveryWorkerJoined) {
  for (const std::size_t threads : {1U, 2U, 4U}) {
    std::atomic<int> ran{0};
    EXPECT_THROW(parallel_for(500, threads,
                              [&](std::size_t i) {
                                ++ran;
                                if (i == 10) throw std::runtime_error("item 10");
                                // Items take a while, so that another worker cannot run them
                                // all before the throw is seen (a loaded machine once did).
                                std::this_thread::sleep_for(std::chrono::microseconds(200));
                              }),
                 std::runtime_error);
    EXPECT_GE(ran.load(), 11) << threads;
    EXPECT_LT(ran.load(), 500) << threads;  // the hand-out stopped
  }
}

TEST(ParallelFor, WorkerCountIsClampedToTheItems) {
  EXPECT_EQ(worker_count(3, 8), 3U);
  EXPECT_EQ(worker_count(0, 8), 1U);
  EXPECT_GE(worker_count(100, 0), 1U);
}

}  // namespace
}  // namespace gauntlet
