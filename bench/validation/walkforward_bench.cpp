// Walk-forward over threads: CPCV of a 16-member family on a year of 15m returns (35,040
// periods, N = 10 groups, k = 2: 45 splits, 9 paths), each split ranking every member on its
// purged, embargoed training periods. Run at 1 and 2 threads for the 2-core speed-up.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "validation/walkforward.hpp"

namespace gauntlet::validation {
namespace {

constexpr std::size_t kPeriods = 35'040;
constexpr std::size_t kMembers = 16;
constexpr DurationMs kPeriod = 15 * kMinuteMs;

std::vector<StrategySeries> make_family() {
  std::mt19937_64 random(11);
  std::normal_distribution<double> noise(0.0, 0.002);
  std::vector<StrategySeries> family(kMembers);
  for (std::size_t m = 0; m < kMembers; ++m) {
    StrategySeries& s = family[m];
    s.id = "member-" + std::to_string(m);
    double equity = 1000;
    s.equity.push_back({0, equity});
    for (std::size_t t = 0; t < kPeriods; ++t) {
      const double r = 0.00002 * static_cast<double>(m % 4) + noise(random);
      s.returns.push_back(r);
      equity *= 1 + r;
      s.equity.push_back({static_cast<TimestampMs>(t + 1) * kPeriod, equity});
    }
    for (std::size_t i = 0; i < 400; ++i) {  // trades of 1 to 8 hours
      orders::ClosedTrade trade;
      trade.strategy_id = s.id;
      trade.entry_time = static_cast<TimestampMs>(i * 87) * kPeriod;
      trade.exit_time = trade.entry_time + static_cast<TimestampMs>(4 + i % 28) * kPeriod;
      trade.realized_pnl = Decimal::from_double(i % 3 == 0 ? -1.0 : 1.5);
      s.trades.push_back(trade);
    }
  }
  return family;
}

void BM_WalkForward(benchmark::State& state) {
  static const std::vector<StrategySeries> family = make_family();
  WalkforwardOptions options;
  options.cpcv_groups = 10;
  options.cpcv_test_groups = 2;
  options.threads = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    const WalkforwardResult result = walk_forward(family.front(), family, options);
    benchmark::DoNotOptimize(result.median_path_sharpe);
  }
  state.counters["splits"] = 45;
}
BENCHMARK(BM_WalkForward)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace gauntlet::validation
