// Walk-forward on hand-made series: purged k-fold of a candidate's trades (fold membership,
// purge of a trade spanning the test span, per-fold statistics from the test span's returns),
// and CPCV across a family (the in-sample choice, the φ paths, the labels of open positions).
#include "validation/walkforward.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "core/exceptions.hpp"

namespace gauntlet::validation {
namespace {

constexpr DurationMs kPeriod = 15 * kMinuteMs;

orders::ClosedTrade trade(const std::string& id, int entry_period, int exit_period, double pnl) {
  orders::ClosedTrade t;
  t.strategy_id = id;
  t.symbol = Symbol::parse("BTCUSDT");
  t.entry_time = entry_period * kPeriod;
  t.exit_time = exit_period * kPeriod;
  t.realized_pnl = Decimal::from_double(pnl);
  return t;
}

// A series of `n` periods from time 0, with the given per-period returns.
StrategySeries series(const std::string& id, const std::vector<double>& returns) {
  StrategySeries s;
  s.id = id;
  s.returns = returns;
  double equity = 1000;
  s.equity.push_back({0, equity});
  for (std::size_t i = 0; i < returns.size(); ++i) {
    equity *= 1 + returns[i];
    s.equity.push_back({static_cast<TimestampMs>(i + 1) * kPeriod, equity});
  }
  return s;
}

TEST(Walkforward, PurgedKFoldOfTradesGivesPerFoldOutOfSampleStatistics) {
  // 40 periods; trade i opens at period 4i and closes at 4i + 2, alternately +10 and -5.
  std::vector<double> returns(40, 0.0);
  StrategySeries s;
  for (int i = 0; i < 10; ++i) returns[static_cast<std::size_t>(4 * i + 1)] = i % 2 ? -0.005 : 0.01;
  s = series("a", returns);
  for (int i = 0; i < 10; ++i) s.trades.push_back(trade("a", 4 * i, 4 * i + 2, i % 2 ? -5 : 10));
  WalkforwardOptions options;
  options.embargo = 0;
  const WalkforwardResult r = walk_forward(s, std::span<const StrategySeries>(&s, 1), options);
  ASSERT_EQ(r.folds.size(), 5u);
  for (const FoldResult& f : r.folds) {
    EXPECT_EQ(f.test_samples, 2u);
    EXPECT_EQ(f.train_samples, 8u);
    EXPECT_EQ(f.test.n_trades, 2u);
    // One +10 and one -5 per fold.
    EXPECT_DOUBLE_EQ(*f.test.profit_factor, 2.0);
    EXPECT_DOUBLE_EQ(*f.train_profit_factor, 2.0);
    // The test span is [4·2f, 4·(2f+1) + 2] periods: the +1 % and −0.5 % periods.
    EXPECT_EQ(f.test_from, 8 * static_cast<TimestampMs>(f.index) * kPeriod);
    EXPECT_NEAR(f.total_return, 1.01 * 0.995 - 1, 1e-12);
    EXPECT_TRUE(f.sharpe.has_value());
  }
  EXPECT_EQ(r.positive_folds, 5u);
  EXPECT_TRUE(r.paths.empty()) << "a family of one has no CPCV";
}

TEST(Walkforward, ATradeSpanningTheTestFoldIsPurgedFromTraining) {
  std::vector<double> returns(60, 0.001);
  StrategySeries s = series("a", returns);
  for (int i = 0; i < 10; ++i) s.trades.push_back(trade("a", 5 * i, 5 * i + 1, 1));
  // A long trade from period 6 to 40 overlaps later folds' test spans.
  s.trades.push_back(trade("a", 6, 40, -3));
  WalkforwardOptions options;
  options.embargo = 0;
  const WalkforwardResult r = walk_forward(s, std::span<const StrategySeries>(&s, 1), options);
  std::size_t purged = 0;
  for (const FoldResult& f : r.folds) purged += f.purged;
  EXPECT_GT(purged, 0u);
  for (const FoldResult& f : r.folds)
    EXPECT_EQ(f.train_samples + f.test_samples + f.purged + f.embargoed, 11u);
}

TEST(Walkforward, CpcvSelectsTheInSampleBestAndStitchesThePaths) {
  // Member "good" earns 0.2 % ± noise each period, "bad" loses; 120 periods, 6 groups, 2 test.
  std::vector<double> good;
  std::vector<double> bad;
  for (int i = 0; i < 120; ++i) {
    const double wiggle = (i % 3 - 1) * 0.001;
    good.push_back(0.002 + wiggle);
    bad.push_back(-0.002 + wiggle);
  }
  StrategySeries candidate = series("good", good);
  for (int i = 0; i < 10; ++i) candidate.trades.push_back(trade("good", 12 * i, 12 * i + 3, 1));
  const std::vector<StrategySeries> family = {candidate, series("bad", bad)};
  WalkforwardOptions options;
  options.threads = 2;
  const WalkforwardResult r = walk_forward(candidate, family, options);
  EXPECT_EQ(r.cpcv_splits, 15u);  // C(6, 2)
  ASSERT_EQ(r.paths.size(), 5u);  // C(5, 1)
  EXPECT_DOUBLE_EQ(r.candidate_selected, 1.0);
  for (const CpcvPath& p : r.paths) {
    ASSERT_EQ(p.selected.size(), 6u);
    for (const std::string& id : p.selected) EXPECT_EQ(id, "good");
    // Every path is the good member's whole series.
    EXPECT_NEAR(p.total_return, candidate.equity.back().equity / 1000 - 1, 1e-9);
  }
  ASSERT_TRUE(r.median_path_sharpe.has_value());
  EXPECT_GT(*r.median_path_sharpe, 0);

  // The same on one thread.
  options.threads = 1;
  EXPECT_EQ(walk_forward(candidate, family, options).candidate_selected, 1.0);
}

TEST(Walkforward, RefusesTooFewTradesAndMismatchedFamilies) {
  StrategySeries s = series("a", std::vector<double>(30, 0.0));
  s.trades.push_back(trade("a", 1, 2, 1));
  EXPECT_THROW(walk_forward(s, std::span<const StrategySeries>(&s, 1)), ArgumentError);
  for (int i = 0; i < 6; ++i) s.trades.push_back(trade("a", 3 + 4 * i, 4 + 4 * i, 1));
  const std::vector<StrategySeries> family = {s, series("b", std::vector<double>(20, 0.0))};
  EXPECT_THROW(walk_forward(s, family), ArgumentError);
}

}  // namespace
}  // namespace gauntlet::validation
