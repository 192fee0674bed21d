// Benchmark of validation/stress_tests: stress_trades on 300 trades with 20,000 reordering and
// 20,000 bootstrap paths, at 1 and 2 worker threads (wall-clock time, so the ratio of the two
// is the parallel speed-up).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "validation/stress_tests.hpp"

namespace {

// 300 trades from a fixed LCG: a 55 % win rate, wins ~ U(0, 150), losses ~ U(0, 100).
std::vector<double> make_trades() {
  std::vector<double> trades(300);
  uint64_t state = 42;
  const auto uniform = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) * 0x1.0p-53;
  };
  for (double& trade : trades) {
    const bool win = uniform() < 0.55;
    trade = win ? 150.0 * uniform() : -100.0 * uniform();
  }
  return trades;
}

void BM_StressTrades(benchmark::State& state) {
  const std::vector<double> trades = make_trades();
  gauntlet::validation::ResamplingOptions options;
  options.paths = 20'000;
  options.seed = 7;
  options.threads = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    auto stress = gauntlet::validation::stress_trades(trades, 10'000.0, options);
    benchmark::DoNotOptimize(stress);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(options.paths));
}
BENCHMARK(BM_StressTrades)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
