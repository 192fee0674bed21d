// Tests of validation/stress_tests: numpy-linear percentiles against hand-worked values, trade
// reordering against the 3! orders of a three-trade list enumerated by hand, the bootstrap on
// degenerate trade lists whose distributions are known exactly, the profit-factor cap, ruin,
// the block bootstrap, bit-identical results across thread counts, regime slicing and argument
// checks.
#include "validation/stress_tests.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "core/exceptions.hpp"

namespace gauntlet::validation {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

ResamplingOptions options_of(std::size_t paths, uint64_t seed = 1, std::size_t threads = 1) {
  ResamplingOptions options;
  options.paths = paths;
  options.seed = seed;
  options.threads = threads;
  return options;
}

// A fixed pseudo-random trade list (Knuth's MMIX LCG): a 55 % win rate, wins up to 150,
// losses up to 100.
std::vector<double> lcg_trades(std::size_t n, uint64_t seed) {
  std::vector<double> trades(n);
  uint64_t state = seed;
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

// Bit-for-bit equality of two summaries.
void expect_identical(const Percentiles& a, const Percentiles& b) {
  EXPECT_EQ(a.samples, b.samples);
  EXPECT_EQ(a.p5, b.p5);
  EXPECT_EQ(a.p25, b.p25);
  EXPECT_EQ(a.p50, b.p50);
  EXPECT_EQ(a.p75, b.p75);
  EXPECT_EQ(a.p95, b.p95);
  EXPECT_EQ(a.mean, b.mean);
}

void expect_identical(const TradeStress& a, const TradeStress& b) {
  expect_identical(a.reorder_max_drawdown, b.reorder_max_drawdown);
  expect_identical(a.reorder_lowest_equity, b.reorder_lowest_equity);
  expect_identical(a.bootstrap_total_pnl, b.bootstrap_total_pnl);
  expect_identical(a.bootstrap_profit_factor, b.bootstrap_profit_factor);
  expect_identical(a.bootstrap_max_drawdown, b.bootstrap_max_drawdown);
  expect_identical(a.bootstrap_win_rate, b.bootstrap_win_rate);
  expect_identical(a.bootstrap_expectancy, b.bootstrap_expectancy);
  EXPECT_EQ(a.probability_of_loss, b.probability_of_loss);
  EXPECT_EQ(a.probability_of_ruin, b.probability_of_ruin);
}

void expect_identical(const ReturnStress& a, const ReturnStress& b) {
  expect_identical(a.sharpe, b.sharpe);
  expect_identical(a.max_drawdown, b.max_drawdown);
  expect_identical(a.cvar_95, b.cvar_95);
}

// A summary of `samples` values with no spread at all (p5 = p95 exactly) whose percentiles
// and mean are `value` (to 1e-12 relative: a path statistic may differ from a hand value in
// the last bits).
void expect_constant(const Percentiles& p, double value, std::size_t samples) {
  EXPECT_EQ(p.samples, samples);
  EXPECT_EQ(p.p5, p.p95);
  const double tolerance = 1e-12 * std::max(1.0, std::abs(value));
  EXPECT_NEAR(p.p5, value, tolerance);
  EXPECT_NEAR(p.p25, value, tolerance);
  EXPECT_NEAR(p.p50, value, tolerance);
  EXPECT_NEAR(p.p75, value, tolerance);
  EXPECT_NEAR(p.p95, value, tolerance);
  EXPECT_NEAR(p.mean, value, tolerance);
}

// True when `value` is within 1e-12 of one of `allowed`.
bool one_of(double value, std::initializer_list<double> allowed) {
  return std::any_of(allowed.begin(), allowed.end(),
                     [&](double candidate) { return std::abs(value - candidate) < 1e-12; });
}

std::array<double, 5> percentile_values(const Percentiles& p) {
  return {p.p5, p.p25, p.p50, p.p75, p.p95};
}

// The maximum drawdown of the money curve start + Σ p, straight from §5 (peak, 1 − E/peak).
double money_drawdown(const std::vector<double>& trades, double start) {
  double equity = start;
  double peak = start;
  double worst = 0;
  for (const double pnl : trades) {
    equity += pnl;
    if (equity <= 0) return 1.0;
    peak = std::max(peak, equity);
    worst = std::max(worst, 1 - equity / peak);
  }
  return worst;
}

// ---- percentile ------------------------------------------------------------------------------

TEST(Percentile, MatchesNumpyLinearOnHandWorkedValues) {
  // numpy.percentile([1, 2, 3, 4], q): h = 3q/100.
  EXPECT_DOUBLE_EQ(percentile({1, 2, 3, 4}, 25), 1.75);
  EXPECT_DOUBLE_EQ(percentile({1, 2, 3, 4}, 50), 2.5);
  EXPECT_DOUBLE_EQ(percentile({1, 2, 3, 4}, 75), 3.25);
  EXPECT_DOUBLE_EQ(percentile({1, 2, 3, 4}, 0), 1.0);
  EXPECT_DOUBLE_EQ(percentile({1, 2, 3, 4}, 100), 4.0);
  // h = 4q/100: p5 → 0.2 → 10 + 0.2·10; p95 → 3.8 → 40 + 0.8·10.
  EXPECT_DOUBLE_EQ(percentile({10, 20, 30, 40, 50}, 5), 12.0);
  EXPECT_DOUBLE_EQ(percentile({10, 20, 30, 40, 50}, 95), 48.0);
  // Unsorted input; h = 1.6 → 20 + 0.6·15 = 29.
  EXPECT_DOUBLE_EQ(percentile({40, 15, 50, 35, 20}, 40), 29.0);
  EXPECT_DOUBLE_EQ(percentile({3, 1, 2}, 50), 2.0);
  EXPECT_DOUBLE_EQ(percentile({-5, -1}, 50), -3.0);
}

TEST(Percentile, OneElementIsEveryPercentile) {
  for (const double q : {0.0, 5.0, 50.0, 95.0, 100.0}) EXPECT_EQ(percentile({7.5}, q), 7.5);
}

TEST(Percentile, RejectsEmptySampleNonFiniteValuesAndBadQ) {
  EXPECT_THROW(percentile({}, 50), ArgumentError);
  EXPECT_THROW(percentile({1, kNaN}, 50), ArgumentError);
  EXPECT_THROW(percentile({1, kInf}, 50), ArgumentError);
  EXPECT_THROW(percentile({1, 2}, -0.1), ArgumentError);
  EXPECT_THROW(percentile({1, 2}, 100.1), ArgumentError);
  EXPECT_THROW(percentile({1, 2}, kNaN), ArgumentError);
}

TEST(Percentiles, SummarisesASample) {
  std::vector<double> sample(101);
  std::iota(sample.begin(), sample.end(), 0.0);
  std::reverse(sample.begin(), sample.end());
  const Percentiles p = percentiles(sample);
  EXPECT_EQ(p.samples, 101u);
  EXPECT_DOUBLE_EQ(p.p5, 5);
  EXPECT_DOUBLE_EQ(p.p25, 25);
  EXPECT_DOUBLE_EQ(p.p50, 50);
  EXPECT_DOUBLE_EQ(p.p75, 75);
  EXPECT_DOUBLE_EQ(p.p95, 95);
  EXPECT_DOUBLE_EQ(p.mean, 50);

  const Percentiles four = percentiles(std::vector<double>{4, 1, 3, 2});
  EXPECT_DOUBLE_EQ(four.p25, 1.75);
  EXPECT_DOUBLE_EQ(four.p75, 3.25);
  EXPECT_DOUBLE_EQ(four.mean, 2.5);
}

TEST(Percentiles, EmptySampleHasNoSamplesAndNonFiniteThrows) {
  const Percentiles empty = percentiles(std::vector<double>{});
  EXPECT_EQ(empty.samples, 0u);
  EXPECT_EQ(empty.p50, 0.0);
  EXPECT_EQ(empty.mean, 0.0);
  EXPECT_THROW(percentiles(std::vector<double>{1, kNaN}), ArgumentError);
}

// ---- Reordering ------------------------------------------------------------------------------

TEST(Reorder, PermutesWithoutChangingTheTotal) {
  // Multiples of 1/4: every partial sum is exact, so the total must match to the bit.
  const std::vector<double> trades = {12.25, -3.5, 40.0, -18.75, 7.0, 0.0, -1.25, 22.5};
  const double total = std::accumulate(trades.begin(), trades.end(), 0.0);
  std::vector<double> sorted = trades;
  std::sort(sorted.begin(), sorted.end());
  bool some_order_changed = false;
  for (std::size_t path = 0; path < 200; ++path) {
    std::vector<double> reordered = trades;
    reorder_trades(reordered, 9, path);
    EXPECT_EQ(std::accumulate(reordered.begin(), reordered.end(), 0.0), total);
    some_order_changed = some_order_changed || reordered != trades;
    std::sort(reordered.begin(), reordered.end());
    EXPECT_EQ(reordered, sorted);
  }
  EXPECT_TRUE(some_order_changed);
}

TEST(Reorder, LowestEquityNeverExceedsStartOrFinalEquity) {
  const std::vector<double> trades = lcg_trades(40, 3);
  const double final_equity = 1000 + std::accumulate(trades.begin(), trades.end(), 0.0);
  const TradeStress stress = stress_trades(trades, 1000, options_of(500));
  EXPECT_LE(stress.reorder_lowest_equity.p95, std::min(1000.0, final_equity) + 1e-9);
}

TEST(Reorder, DrawsTheSixOrdersOfThreeTradesUniformly) {
  std::map<std::vector<double>, int> counts;
  for (std::size_t path = 0; path < 6000; ++path) {
    std::vector<double> trades = {1, 2, 3};
    reorder_trades(trades, 1, path);
    ++counts[trades];
  }
  ASSERT_EQ(counts.size(), 6u);
  for (const auto& [order, count] : counts) {
    EXPECT_GT(count, 850);  // 1000 ± 5 standard deviations (≈ 29)
    EXPECT_LT(count, 1150);
  }
}

TEST(Reorder, AllWinningTradesNeverDrawDown) {
  const TradeStress stress = stress_trades({{5, 1, 30, 2.5, 8}}, 1000, options_of(300));
  expect_constant(stress.reorder_max_drawdown, 0.0, 300);
  expect_constant(stress.reorder_lowest_equity, 1000.0, 300);
}

// Trades +100, −200, −100 on 1,000 (final equity 800 in every order). By hand:
//   a b c: 1100  900  800   dd 300/1100   low 800
//   a c b: 1100 1000  800   dd 300/1100   low 800
//   b a c:  800  900  800   dd 0.2        low 800
//   b c a:  800  700  800   dd 0.3        low 700
//   c a b:  900 1000  800   dd 0.2        low 800
//   c b a:  900  700  800   dd 0.3        low 700
// so the drawdown is 3/11, 0.2 or 0.3 (1/3 each, mean 0.2575…) and the lowest equity 800 (2/3)
// or 700 (1/3, mean 766.67).
TEST(Reorder, ThreeTradesTakeOnlyTheHandEnumeratedValues) {
  const std::vector<double> trades = {100, -200, -100};
  const double dd_mean = (3.0 / 11 + 0.2 + 0.3) / 3;
  // 101 and 2001 paths put every percentile on a sample ((n − 1)·q/100 is whole).
  for (const std::size_t paths : {101u, 2001u}) {
    const TradeStress stress = stress_trades(trades, 1000, options_of(paths));
    for (const double value : percentile_values(stress.reorder_max_drawdown)) {
      EXPECT_TRUE(one_of(value, {3.0 / 11, 0.2, 0.3})) << value;
    }
    for (const double value : percentile_values(stress.reorder_lowest_equity)) {
      EXPECT_TRUE(one_of(value, {700.0, 800.0})) << value;
    }
    EXPECT_NEAR(stress.reorder_max_drawdown.p5, 0.2, 1e-12);
    EXPECT_NEAR(stress.reorder_max_drawdown.p95, 0.3, 1e-12);
    EXPECT_EQ(stress.reorder_lowest_equity.p5, 700.0);
    EXPECT_EQ(stress.reorder_lowest_equity.p95, 800.0);
  }
  const TradeStress large = stress_trades(trades, 1000, options_of(6000));
  EXPECT_NEAR(large.reorder_max_drawdown.mean, dd_mean, 0.004);    // SE ≈ 0.0006
  EXPECT_NEAR(large.reorder_lowest_equity.mean, 2300.0 / 3, 4.0);  // SE ≈ 0.6
}

TEST(Reorder, SummaryIsThatOfTheReplayedPermutations) {
  const std::vector<double> trades = lcg_trades(25, 11);
  const ResamplingOptions options = options_of(400, 5, 3);
  std::vector<double> drawdowns;
  std::vector<double> lows;
  for (std::size_t path = 0; path < options.paths; ++path) {
    std::vector<double> reordered = trades;
    reorder_trades(reordered, options.seed, path);
    drawdowns.push_back(money_drawdown(reordered, 2000));
    double equity = 2000;
    double low = 2000;
    for (const double pnl : reordered) low = std::min(low, equity += pnl);
    lows.push_back(low);
  }
  const TradeStress stress = stress_trades(trades, 2000, options);
  const Percentiles expected_dd = percentiles(drawdowns);
  const Percentiles expected_low = percentiles(lows);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_NEAR(percentile_values(stress.reorder_max_drawdown)[i],
                percentile_values(expected_dd)[i], 1e-12);
    EXPECT_NEAR(percentile_values(stress.reorder_lowest_equity)[i],
                percentile_values(expected_low)[i], 1e-9);
  }
  EXPECT_GT(expected_dd.p95, expected_dd.p5);
}

// ---- Bootstrap -------------------------------------------------------------------------------

TEST(Bootstrap, ConstantTradesHaveNoSpread) {
  const TradeStress stress = stress_trades({{10, 10, 10, 10, 10}}, 1000, options_of(500));
  expect_constant(stress.bootstrap_total_pnl, 50.0, 500);
  expect_constant(stress.bootstrap_profit_factor, kProfitFactorCap, 500);  // +inf, capped
  expect_constant(stress.bootstrap_max_drawdown, 0.0, 500);
  expect_constant(stress.bootstrap_win_rate, 1.0, 500);
  expect_constant(stress.bootstrap_expectancy, 10.0, 500);
  EXPECT_EQ(stress.probability_of_loss, 0.0);
  EXPECT_EQ(stress.probability_of_ruin, 0.0);
}

TEST(Bootstrap, ProbabilityOfLossIsZeroForWinnersAndOneForLosers) {
  const TradeStress winners = stress_trades({{3, 50, 7.5, 1}}, 1000, options_of(1000));
  EXPECT_EQ(winners.probability_of_loss, 0.0);
  EXPECT_GT(winners.bootstrap_total_pnl.p5, 0.0);

  const TradeStress losers = stress_trades({{-10, -20, -5}}, 1000, options_of(1000));
  EXPECT_EQ(losers.probability_of_loss, 1.0);
  EXPECT_LT(losers.bootstrap_total_pnl.p95, 0.0);
  expect_constant(losers.bootstrap_profit_factor, 0.0, 1000);
  expect_constant(losers.bootstrap_win_rate, 0.0, 1000);
  EXPECT_GE(losers.bootstrap_total_pnl.p5, -60.0);
  EXPECT_LE(losers.bootstrap_total_pnl.p95, -15.0);
}

TEST(Bootstrap, ProfitFactorSkipsScratchOnlyPathsAndCapsInfinity) {
  // Scratch trades only: PF undefined on every path.
  const TradeStress scratch = stress_trades({{0, 0, 0}}, 1000, options_of(200));
  EXPECT_EQ(scratch.bootstrap_profit_factor.samples, 0u);
  EXPECT_EQ(scratch.bootstrap_profit_factor.p50, 0.0);
  expect_constant(scratch.bootstrap_total_pnl, 0.0, 200);

  // {0, 5} drawn twice: both scratch (undefined) with probability 1/4, else PF = +inf → cap.
  const TradeStress mixed = stress_trades({{0, 5}}, 1000, options_of(4000));
  const std::size_t counted = mixed.bootstrap_profit_factor.samples;
  EXPECT_GT(counted, 2850u);  // 3000 ± 5.5 standard deviations (≈ 27)
  EXPECT_LT(counted, 3150u);
  expect_constant(mixed.bootstrap_profit_factor, kProfitFactorCap, counted);
  EXPECT_EQ(mixed.bootstrap_win_rate.samples, 4000u);  // defined on every path

  // A finite PF above the cap counts as the cap: 15 trades of +1000 and 15 of −1 give
  // PF = 1000·w / (30 − w) for w wins out of 30 draws, above 100 for every w >= 3
  // (P(w <= 2) ≈ 4e-7).
  std::vector<double> lopsided(15, 1000.0);
  lopsided.insert(lopsided.end(), 15, -1.0);
  const TradeStress skewed = stress_trades(lopsided, 1000, options_of(500));
  EXPECT_EQ(skewed.bootstrap_profit_factor.samples, 500u);
  expect_constant(skewed.bootstrap_profit_factor, kProfitFactorCap, 500);
}

TEST(Bootstrap, ProfitFactorBelowTheCapIsExact) {
  // 10 wins of 2 and 10 losses of 1: PF = 2w / (20 − w) for w wins out of 20 draws, always
  // defined; check the percentiles are such values and the median sits near PF 2.
  std::vector<double> trades(10, 2.0);
  trades.insert(trades.end(), 10, -1.0);
  const TradeStress stress = stress_trades(trades, 1000, options_of(2001));
  EXPECT_EQ(stress.bootstrap_profit_factor.samples, 2001u);
  for (const double value : percentile_values(stress.bootstrap_profit_factor)) {
    const double wins = 20 * value / (2 + value);  // inverts PF = 2w / (20 − w)
    EXPECT_NEAR(wins, std::round(wins), 1e-9) << value;
  }
  EXPECT_DOUBLE_EQ(stress.bootstrap_profit_factor.p50, 2.0);
}

TEST(Bootstrap, RuinCountsPathsThatFallToTheRuinLevel) {
  // 100 − 30 − 30 = 40 <= 50 on every path.
  const TradeStress certain = stress_trades({{-30, -30, -30}}, 100, options_of(300));
  EXPECT_EQ(certain.probability_of_ruin, 1.0);
  expect_constant(certain.bootstrap_max_drawdown, 0.9, 300);

  // Through zero: drawdown 1, the money path goes on below zero.
  const TradeStress broke = stress_trades({{-60, -60}}, 100, options_of(100), 0.0);
  EXPECT_EQ(broke.probability_of_ruin, 1.0);
  expect_constant(broke.bootstrap_max_drawdown, 1.0, 100);
  expect_constant(broke.reorder_max_drawdown, 1.0, 100);
  expect_constant(broke.reorder_lowest_equity, -20.0, 100);

  // {+50, −50} twice on 100: ruined (E_1 = 50) exactly when the first draw loses, p = 1/2.
  const TradeStress half = stress_trades({{50, -50}}, 100, options_of(4000));
  EXPECT_NEAR(half.probability_of_ruin, 0.5, 0.04);  // SE ≈ 0.008
  EXPECT_NEAR(half.probability_of_loss, 0.25, 0.04);
  // At 25 only −− (E_2 = 0) is ruined: exactly the losing paths.
  const TradeStress lower = stress_trades({{50, -50}}, 100, options_of(4000), 0.25);
  EXPECT_EQ(lower.probability_of_ruin, lower.probability_of_loss);
  EXPECT_NEAR(lower.probability_of_ruin, 0.25, 0.04);
}

// ---- Determinism -----------------------------------------------------------------------------

TEST(Determinism, TradeStressIsIdenticalForAnyThreadCount) {
  const std::vector<double> trades = lcg_trades(120, 17);
  const TradeStress one = stress_trades(trades, 5000, options_of(1001, 42, 1));
  expect_identical(one, stress_trades(trades, 5000, options_of(1001, 42, 2)));
  expect_identical(one, stress_trades(trades, 5000, options_of(1001, 42, 7)));
  expect_identical(one, stress_trades(trades, 5000, options_of(1001, 42, 0)));
  expect_identical(one, stress_trades(trades, 5000, options_of(1001, 42, 1)));
}

TEST(Determinism, DifferentSeedsGiveDifferentResults) {
  const std::vector<double> trades = lcg_trades(120, 17);
  const TradeStress a = stress_trades(trades, 5000, options_of(1001, 1, 2));
  const TradeStress b = stress_trades(trades, 5000, options_of(1001, 2, 2));
  EXPECT_NE(a.reorder_max_drawdown.mean, b.reorder_max_drawdown.mean);
  EXPECT_NE(a.bootstrap_total_pnl.mean, b.bootstrap_total_pnl.mean);
  EXPECT_NE(a.bootstrap_profit_factor.p50, b.bootstrap_profit_factor.p50);

  const std::vector<double> returns = [] {
    std::vector<double> values;
    for (const double trade : lcg_trades(200, 5)) values.push_back(trade / 10'000);
    return values;
  }();
  const ReturnStress c = stress_returns(returns, 365, 5, options_of(500, 1, 2));
  const ReturnStress d = stress_returns(returns, 365, 5, options_of(500, 2, 2));
  EXPECT_NE(c.sharpe.mean, d.sharpe.mean);
}

TEST(Determinism, ReturnStressIsIdenticalForAnyThreadCount) {
  std::vector<double> returns;
  for (const double trade : lcg_trades(300, 23)) returns.push_back(trade / 20'000);
  for (const BlockScheme scheme : {BlockScheme::kStationary, BlockScheme::kFixed}) {
    const ReturnStress one = stress_returns(returns, 8760, 12, options_of(777, 3, 1), scheme);
    expect_identical(one, stress_returns(returns, 8760, 12, options_of(777, 3, 2), scheme));
    expect_identical(one, stress_returns(returns, 8760, 12, options_of(777, 3, 7), scheme));
  }
}

TEST(Determinism, MoreThreadsThanPaths) {
  const std::vector<double> trades = lcg_trades(10, 1);
  expect_identical(stress_trades(trades, 1000, options_of(3, 1, 1)),
                   stress_trades(trades, 1000, options_of(3, 1, 8)));
}

// ---- Block bootstrap -------------------------------------------------------------------------

TEST(BlockBootstrap, ConstantReturnsHaveUndefinedSharpeAndNoSpread) {
  const std::vector<double> returns(50, 0.001);
  const ReturnStress stress = stress_returns(returns, 365, 5, options_of(200));
  EXPECT_EQ(stress.sharpe.samples, 0u);
  expect_constant(stress.max_drawdown, 0.0, 200);
  expect_constant(stress.cvar_95, *cvar_95(returns), 200);
  EXPECT_NEAR(stress.cvar_95.p50, -0.001, 1e-15);
}

TEST(BlockBootstrap, FixedBlocksOfTheWholeSeriesAreRotations) {
  // A block of n periods is a rotation of the series: the same returns in another order, so
  // the Sharpe and the CVaR are the original's (up to summation order).
  std::vector<double> returns;
  for (const double trade : lcg_trades(60, 29)) returns.push_back(trade / 5'000);
  const double sharpe = *sharpe_ratio(returns, 252);
  const double cvar = *cvar_95(returns);
  for (const std::size_t block : {60u, 75u}) {
    const ReturnStress stress =
        stress_returns(returns, 252, block, options_of(300), BlockScheme::kFixed);
    EXPECT_EQ(stress.sharpe.samples, 300u);
    EXPECT_NEAR(stress.sharpe.p5, sharpe, 1e-9);
    EXPECT_NEAR(stress.sharpe.p95, sharpe, 1e-9);
    EXPECT_NEAR(stress.cvar_95.p5, cvar, 1e-12);
    EXPECT_NEAR(stress.cvar_95.p95, cvar, 1e-12);
    EXPECT_LE(stress.max_drawdown.p5, stress.max_drawdown.p95);
  }
}

TEST(BlockBootstrap, TwoPeriodsTakeOnlyTheHandEnumeratedDrawdowns) {
  // {+0.1, −0.1} drawn twice (block 1): ++ → 0, +− → 0.1, −+ → 0.1 (0.9, 0.99), −− → 0.19; the
  // Sharpe is defined only on the mixed paths (probability 1/2).
  for (const BlockScheme scheme : {BlockScheme::kStationary, BlockScheme::kFixed}) {
    const ReturnStress stress = stress_returns({{0.1, -0.1}}, 252, 1, options_of(2001), scheme);
    for (const double value : percentile_values(stress.max_drawdown)) {
      EXPECT_TRUE(one_of(value, {0.0, 0.1, 0.19})) << value;
    }
    EXPECT_GT(stress.sharpe.samples, 850u);  // 1000 ± 7 standard deviations
    EXPECT_LT(stress.sharpe.samples, 1150u);
    expect_constant(stress.sharpe, 0.0, stress.sharpe.samples);
  }
}

// ---- Regime slicing --------------------------------------------------------------------------

TEST(RegimeSlicing, GroupsTradesByLabelInLabelOrder) {
  const std::vector<double> pnl = {10, -5, 20, -10, 0, 4};
  const std::vector<std::string> regimes = {"trend",    "range", "trend",
                                            "high_vol", "range", "trend"};
  const std::vector<RegimeSlice> slices = slice_by_regime(pnl, regimes);
  ASSERT_EQ(slices.size(), 3u);
  EXPECT_EQ(slices[0].regime, "high_vol");
  EXPECT_EQ(slices[0].stats.n_trades, 1u);
  EXPECT_EQ(slices[0].total_pnl, -10.0);
  EXPECT_EQ(slices[0].stats.profit_factor, 0.0);

  EXPECT_EQ(slices[1].regime, "range");
  EXPECT_EQ(slices[1].stats.n_trades, 2u);
  EXPECT_EQ(slices[1].total_pnl, -5.0);
  EXPECT_EQ(slices[1].stats.win_rate, 0.0);
  EXPECT_EQ(slices[1].stats.expectancy, -2.5);

  EXPECT_EQ(slices[2].regime, "trend");
  EXPECT_EQ(slices[2].stats.n_trades, 3u);
  EXPECT_EQ(slices[2].total_pnl, 34.0);
  EXPECT_EQ(slices[2].stats.win_rate, 1.0);
  EXPECT_EQ(slices[2].stats.profit_factor, kInf);
  EXPECT_DOUBLE_EQ(*slices[2].stats.average_win, 34.0 / 3);
}

TEST(RegimeSlicing, EmptyInputGivesNoSlices) {
  EXPECT_TRUE(slice_by_regime({}, {}).empty());
}

TEST(RegimeSlicing, RejectsMismatchedLengthsEmptyLabelsAndNonFinitePnl) {
  const std::vector<double> pnl = {1, 2};
  const std::vector<std::string> one = {"trend"};
  EXPECT_THROW(slice_by_regime(pnl, one), ArgumentError);
  const std::vector<std::string> blank = {"trend", ""};
  EXPECT_THROW(slice_by_regime(pnl, blank), ArgumentError);
  const std::vector<double> bad = {1, kNaN};
  const std::vector<std::string> two = {"trend", "range"};
  EXPECT_THROW(slice_by_regime(bad, two), ArgumentError);
}

// ---- Arguments -------------------------------------------------------------------------------

TEST(Arguments, StressTradesRejectsBadArguments) {
  const std::vector<double> trades = {1, -1, 2};
  EXPECT_THROW(stress_trades(trades, 1000, options_of(0)), ArgumentError);
  EXPECT_THROW(stress_trades({}, 1000, options_of(10)), ArgumentError);
  EXPECT_THROW(stress_trades({{1, kNaN}}, 1000, options_of(10)), ArgumentError);
  EXPECT_THROW(stress_trades({{1, kInf}}, 1000, options_of(10)), ArgumentError);
  EXPECT_THROW(stress_trades({{1, -kInf}}, 1000, options_of(10)), ArgumentError);
  EXPECT_THROW(stress_trades(trades, 0, options_of(10)), ArgumentError);
  EXPECT_THROW(stress_trades(trades, -5, options_of(10)), ArgumentError);
  EXPECT_THROW(stress_trades(trades, kNaN, options_of(10)), ArgumentError);
  EXPECT_THROW(stress_trades(trades, kInf, options_of(10)), ArgumentError);
  EXPECT_THROW(stress_trades(trades, 1000, options_of(10), 1.0), ArgumentError);
  EXPECT_THROW(stress_trades(trades, 1000, options_of(10), -0.1), ArgumentError);
  EXPECT_THROW(stress_trades(trades, 1000, options_of(10), kNaN), ArgumentError);
}

TEST(Arguments, StressReturnsRejectsBadArguments) {
  const std::vector<double> returns = {0.01, -0.02, 0.005};
  EXPECT_THROW(stress_returns(returns, 252, 0, options_of(10)), ArgumentError);
  EXPECT_THROW(stress_returns(returns, 252, 2, options_of(0)), ArgumentError);
  EXPECT_THROW(stress_returns({}, 252, 2, options_of(10)), ArgumentError);
  EXPECT_THROW(stress_returns({{0.01, kNaN}}, 252, 2, options_of(10)), ArgumentError);
  EXPECT_THROW(stress_returns(returns, 0, 2, options_of(10)), ArgumentError);
  EXPECT_THROW(stress_returns(returns, kInf, 2, options_of(10)), ArgumentError);
}

}  // namespace
}  // namespace gauntlet::validation
