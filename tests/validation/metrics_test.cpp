// Tests of validation/metrics against values computed independently from the definitions of
// validation.md: literal values for hand-checkable series (worked out by hand where noted, the
// rest from a separate straight-line implementation of the reference formulas), naive in-test
// implementations on LCG-generated series (§17 generators), every documented edge case, PBO by
// CSCV, and `gauntlet stats` end to end.
#include "validation/metrics.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include "core/exceptions.hpp"
#include "support/command.hpp"
#include "support/lcg.hpp"
#include "support/temp_dir.hpp"

namespace gauntlet::validation {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

void expect_near_relative(std::optional<double> actual, double expected, double tolerance = 1e-12) {
  ASSERT_TRUE(actual.has_value()) << "expected " << expected;
  EXPECT_NEAR(*actual, expected, tolerance * std::max(1.0, std::abs(expected)))
      << "expected " << expected;
}

using testing::Lcg;

// §17 return_metrics generator `lcg_crypto_15m`.
std::vector<double> crypto_returns(uint64_t seed, std::size_t n) {
  Lcg lcg(seed);
  std::vector<double> returns;
  for (std::size_t i = 0; i < n; ++i) {
    const double z = lcg.normal_ih();
    const double u = lcg.uniform();
    returns.push_back(0.00004 + 0.002 * z * (u < 0.02 ? 4.0 : 1.0));
  }
  return returns;
}

// §17 pbo_cscv generator: T × N row-major, M[t][j] = mus[j] + 0.01·normal_ih().
std::vector<double> pbo_matrix(uint64_t seed, std::size_t rows, const std::vector<double>& mus) {
  Lcg lcg(seed);
  std::vector<double> matrix;
  for (std::size_t t = 0; t < rows; ++t) {
    for (const double mu : mus) matrix.push_back(mu + 0.01 * lcg.normal_ih());
  }
  return matrix;
}

// ---- Naive re-implementations of the reference formulas, in long double --------------------

struct Naive {
  long double mean = 0, sd = 0, m2 = 0, m3 = 0, m4 = 0;
  explicit Naive(const std::vector<double>& x) {
    const auto n = static_cast<long double>(x.size());
    for (const double v : x) mean += v;
    mean /= n;
    long double s2 = 0;
    for (const double v : x) {
      const long double d = v - mean;
      s2 += d * d;
      m3 += d * d * d;
      m4 += d * d * d * d;
    }
    sd = std::sqrt(s2 / (n - 1));
    m2 = s2 / n;
    m3 /= n;
    m4 /= n;
  }
};

double naive_max_drawdown(const std::vector<double>& x) {
  std::vector<long double> equity = {1.0L};
  for (const double v : x) equity.push_back(equity.back() * (1.0L + v));
  long double worst = 0;
  for (std::size_t t = 0; t < equity.size(); ++t) {
    const long double peak = *std::max_element(equity.begin(), equity.begin() + t + 1);
    worst = std::max(worst, 1.0L - equity[t] / peak);
  }
  return static_cast<double>(worst);
}

double naive_cvar(std::vector<double> x, double alpha) {
  std::sort(x.begin(), x.end());
  const double tail = static_cast<double>(x.size()) * alpha;
  const auto k = static_cast<std::size_t>(std::floor(tail + 1e-9));
  long double sum = 0;
  for (std::size_t i = 0; i < k; ++i) sum += x[i];
  if (tail - k != 0) sum += (tail - k) * x[k];
  return static_cast<double>(-sum / tail);
}

// ---- A hand-checkable series (P = 252) -------------------------------------------------------

const std::vector<double> kTen = {0.01, -0.02, 0.03, 0.0, -0.01, 0.015, -0.005, 0.02, -0.03, 0.01};

TEST(ReturnMetrics, HandSeriesMatchesTheReferenceDefinitions) {
  // mean = 0.002; Σ(r − mean)² = 0.00311 ⇒ sd = sqrt(0.00311 / 9).
  const double sd = std::sqrt(0.00311 / 9.0);
  expect_near_relative(sharpe_per_period(kTen), 0.002 / sd);
  expect_near_relative(sharpe_per_period(kTen), 0.1075897890181249);
  expect_near_relative(sharpe_ratio(kTen, 252), 0.1075897890181249 * std::sqrt(252.0));
  // Shortfalls over all 10 periods: 0.02², 0.01², 0.005², 0.03² ⇒ sqrt(0.001425 / 10).
  expect_near_relative(downside_deviation(kTen), std::sqrt(0.001425 / 10.0));
  expect_near_relative(sortino_ratio(kTen, 252), 2.659639864817475);
  // Peak 1.01·0.98·1.03·0.99·1.015·0.995·1.02, then −3 %: exactly 0.03.
  EXPECT_NEAR(max_drawdown(kTen), 0.03, 1e-12);
  // n·α = 0.5 < 1: the worst single return.
  expect_near_relative(cvar_95(kTen), 0.03);
  expect_near_relative(cagr(kTen, 252), 0.5909526117516857, 1e-10);
  expect_near_relative(calmar_ratio(kTen, 252), 19.698420391722912, 1e-10);
  expect_near_relative(skewness(kTen), -0.26419695139945437);
  expect_near_relative(kurtosis(kTen), 2.132287714146877);
  expect_near_relative(probabilistic_sharpe_ratio(kTen), 0.6246709512960825, 1e-10);
}

TEST(ReturnMetrics, CvarInterpolatesAFractionalTail) {
  // n = 30, n·α = 1.5: k = 1, frac = 0.5 ⇒ −(−0.04 + 0.5·(−0.01)) / 1.5 = 0.03.
  std::vector<double> returns(28, 0.01);
  returns.push_back(-0.01);
  returns.push_back(-0.04);
  expect_near_relative(cvar_95(returns), 0.03);
  // n = 40, n·α = 2 (an integer): the mean of the worst two.
  returns.assign(38, 0.01);
  returns.push_back(-0.02);
  returns.push_back(-0.04);
  expect_near_relative(cvar_95(returns), 0.03);
  // All gains: a negative CVaR.
  expect_near_relative(cvar_95(std::vector<double>(20, 0.01)), -0.01);
  EXPECT_THROW(conditional_value_at_risk(returns, 0.0), ArgumentError);
  EXPECT_THROW(conditional_value_at_risk(returns, 1.0), ArgumentError);
}

TEST(ReturnMetrics, GeneratedCryptoSeriesMatchesNaiveImplementations) {
  for (const uint64_t seed : {20240601ULL, 7ULL, 99ULL}) {
    const auto returns = crypto_returns(seed, 2000);
    const Naive naive(returns);
    const double sharpe = static_cast<double>(naive.mean / naive.sd);
    expect_near_relative(sharpe_per_period(returns), sharpe, 1e-10);
    for (const double periods : {35040.0, 24960.0}) {
      expect_near_relative(sharpe_ratio(returns, periods), sharpe * std::sqrt(periods), 1e-10);
      long double shortfall = 0;
      for (const double v : returns) shortfall += std::min(0.0, v) * std::min(0.0, v);
      const long double downside = std::sqrt(shortfall / 2000.0L);
      expect_near_relative(sortino_ratio(returns, periods),
                           static_cast<double>(naive.mean / downside) * std::sqrt(periods), 1e-10);
      long double equity = 1;
      for (const double v : returns) equity *= 1.0L + v;
      const double growth = static_cast<double>(std::pow(equity, periods / 2000.0L) - 1.0L);
      expect_near_relative(cagr(returns, periods), growth, 1e-9);
      expect_near_relative(calmar_ratio(returns, periods), growth / naive_max_drawdown(returns),
                           1e-9);
    }
    EXPECT_NEAR(max_drawdown(returns), naive_max_drawdown(returns), 1e-12);
    expect_near_relative(cvar_95(returns), naive_cvar(returns, 0.05), 1e-12);
    const double skew = static_cast<double>(naive.m3 / std::pow(naive.m2, 1.5L));
    const double kurt = static_cast<double>(naive.m4 / (naive.m2 * naive.m2));
    expect_near_relative(skewness(returns), skew, 1e-9);
    expect_near_relative(kurtosis(returns), kurt, 1e-9);
    EXPECT_GT(kurt, 3.0);  // the 2 % of 4× shocks make the tails fat
    const double psr =
        0.5 * std::erfc(-(sharpe * std::sqrt(1999.0) /
                          std::sqrt(1 - skew * sharpe + (kurt - 1) / 4 * sharpe * sharpe)) /
                        std::numbers::sqrt2);
    expect_near_relative(probabilistic_sharpe_ratio(returns), psr, 1e-9);
  }
}

TEST(ReturnMetrics, TooFewObservationsAreUndefined) {
  const std::vector<double> none;
  const std::vector<double> one = {0.01};
  for (const auto& returns : {none, one}) {
    EXPECT_FALSE(sharpe_per_period(returns));
    EXPECT_FALSE(sharpe_ratio(returns, 252));
    EXPECT_FALSE(sortino_ratio(returns, 252));
    EXPECT_FALSE(downside_deviation(returns));
    EXPECT_FALSE(skewness(returns));
    EXPECT_FALSE(kurtosis(returns));
    EXPECT_FALSE(probabilistic_sharpe_ratio(returns));
  }
  EXPECT_EQ(max_drawdown(none), 0.0);
  EXPECT_FALSE(cvar_95(none));
  EXPECT_FALSE(cagr(none, 252));
  EXPECT_FALSE(calmar_ratio(none, 252));
  // A single return: CVaR is that return's loss; CAGR compounds it.
  expect_near_relative(cvar_95(one), -0.01);
  expect_near_relative(cagr(one, 252), std::pow(1.01, 252) - 1);
}

TEST(ReturnMetrics, ZeroVarianceIsUndefinedEvenWithAPositiveMean) {
  // The sd of a constant float series comes out near 1e-19, not 0 (§0).
  const std::vector<double> constant(50, 0.001);
  EXPECT_FALSE(sharpe_per_period(constant));
  EXPECT_FALSE(sharpe_ratio(constant, 252));
  EXPECT_FALSE(skewness(constant));
  EXPECT_FALSE(kurtosis(constant));
  EXPECT_FALSE(probabilistic_sharpe_ratio(constant));
  EXPECT_FALSE(deflated_sharpe_ratio(constant, 1, 0.0));
  // No return below MAR and a positive mean: Sortino unbounded; Calmar unbounded (no drawdown).
  EXPECT_EQ(sortino_ratio(constant, 252), kInf);
  EXPECT_EQ(max_drawdown(constant), 0.0);
  EXPECT_EQ(calmar_ratio(constant, 252), kInf);
  // Flat: Sortino and Calmar undefined.
  const std::vector<double> flat(50, 0.0);
  EXPECT_FALSE(sortino_ratio(flat, 252));
  EXPECT_FALSE(calmar_ratio(flat, 252));
  EXPECT_EQ(cagr(flat, 252), 0.0);
}

TEST(ReturnMetrics, RuinCapsTheDrawdownAtOne) {
  const std::vector<double> ruin = {0.1, -1.0, 0.5};
  EXPECT_EQ(max_drawdown(ruin), 1.0);
  EXPECT_EQ(cagr(ruin, 252), -1.0);
  EXPECT_EQ(calmar_ratio(ruin, 252), -1.0);
  const std::vector<double> beyond = {0.1, -1.5, 0.5};  // E_t < 0
  EXPECT_EQ(max_drawdown(beyond), 1.0);
  EXPECT_EQ(cagr(beyond, 252), -1.0);
}

TEST(ReturnMetrics, RejectsNonFiniteInputsAndBadPeriods) {
  const std::vector<double> bad = {0.01, std::numeric_limits<double>::quiet_NaN()};
  EXPECT_THROW(sharpe_per_period(bad), ArgumentError);
  EXPECT_THROW(max_drawdown(bad), ArgumentError);
  EXPECT_THROW(trade_statistics(bad), ArgumentError);
  EXPECT_THROW(sharpe_ratio(kTen, 0), ArgumentError);
  EXPECT_THROW(sortino_ratio(kTen, -1), ArgumentError);
  EXPECT_THROW(cagr(kTen, kInf), ArgumentError);
}

// ---- PSR, DSR, Φ⁻¹ ---------------------------------------------------------------------------

TEST(SharpeInference, NormalQuantileMatchesKnownValues) {
  EXPECT_NEAR(normal_quantile(0.975), 1.9599639845400536, 1e-12);
  EXPECT_NEAR(normal_quantile(0.3), -0.5244005127080407, 1e-12);
  EXPECT_NEAR(normal_quantile(1e-6), -4.753424308822899, 1e-11);
  EXPECT_NEAR(normal_quantile(1 - 1e-6), 4.753424308822899, 1e-8);
  EXPECT_EQ(normal_quantile(0.5), 0.0);
  EXPECT_EQ(normal_quantile(0.0), -kInf);
  EXPECT_EQ(normal_quantile(1.0), kInf);
  EXPECT_THROW(normal_quantile(1.5), ArgumentError);
  for (const double p : {1e-12, 0.001, 0.02425, 0.1, 0.4, 0.6, 0.9, 0.999}) {
    EXPECT_NEAR(normal_cdf(normal_quantile(p)), p, 1e-13 + 1e-12 * p) << p;
  }
}

TEST(SharpeInference, ExpectedMaximumUsesEulerMascheroni) {
  EXPECT_EQ(expected_maximum_sharpe(1), 0.0);
  EXPECT_NEAR(expected_maximum_sharpe(10), 1.57459830134575, 1e-10);  // ≈ 1.575 (§10)
  EXPECT_NEAR(expected_maximum_sharpe(100), 2.5306028932016846, 1e-10);
  const double by_hand = (1 - kEulerMascheroni) * normal_quantile(0.9) +
                         kEulerMascheroni * normal_quantile(1 - 1 / (10 * std::numbers::e));
  EXPECT_EQ(expected_maximum_sharpe(10), by_hand);
  EXPECT_THROW(expected_maximum_sharpe(0), ArgumentError);
}

TEST(SharpeInference, PsrFromParametersAndItsEdgeCases) {
  // Normal moments (g1 = 0, kurt = 3): radicand 1 + SR²/2.
  const double sharpe = 0.1;
  expect_near_relative(probabilistic_sharpe_ratio(sharpe, 101, 0.0, 3.0, 0.0),
                       normal_cdf(0.1 * 10 / std::sqrt(1.005)));
  // At the benchmark the probability is one half.
  expect_near_relative(probabilistic_sharpe_ratio(sharpe, 101, -0.5, 6.0, sharpe), 0.5);
  EXPECT_FALSE(probabilistic_sharpe_ratio(sharpe, 1, 0.0, 3.0, 0.0));
  // Radicand 1 − 5·1 + 0 = −4 <= 0.
  EXPECT_FALSE(probabilistic_sharpe_ratio(1.0, 100, 5.0, 1.0, 0.0));
}

TEST(SharpeInference, DsrIsPsrAtTheExpectedMaximumOfTheTrials) {
  expect_near_relative(deflated_sharpe_ratio(kTen, 10, 0.01), 0.441450135263358, 1e-9);
  expect_near_relative(deflated_sharpe_ratio(kTen, 10, 0.01),
                       *probabilistic_sharpe_ratio(kTen, 0.1 * expected_maximum_sharpe(10)));
  // N = 1: E[max_1] = 0, so DSR = PSR(0), whatever the variance.
  EXPECT_EQ(deflated_sharpe_ratio(kTen, 1, 0.0), probabilistic_sharpe_ratio(kTen));
  EXPECT_EQ(deflated_sharpe_ratio(kTen, 1, 0.3), probabilistic_sharpe_ratio(kTen));
  // More trials deflate more.
  EXPECT_LT(*deflated_sharpe_ratio(kTen, 100, 0.01), *deflated_sharpe_ratio(kTen, 10, 0.01));
  EXPECT_FALSE(deflated_sharpe_ratio(kTen, 5, 0.0));  // N >= 2 needs V > 0
  EXPECT_THROW(deflated_sharpe_ratio(kTen, 0, 0.01), ArgumentError);
  EXPECT_THROW(deflated_sharpe_ratio(kTen, 5, -0.01), ArgumentError);
}

TEST(SharpeInference, DsrFromTheTrialsOfASkillMatrix) {
  // §17 psr_dsr: per-column Sharpe of the "skill" matrix, ddof = 1 variance, best column.
  const std::vector<double> mus = {0, 0, 0, 0.0015, 0, 0, 0, 0.0008, 0, 0};
  const auto matrix = pbo_matrix(2002, 480, mus);
  std::vector<std::vector<double>> columns(10);
  for (std::size_t i = 0; i < matrix.size(); ++i) columns[i % 10].push_back(matrix[i]);
  std::vector<double> sharpes;
  for (const auto& column : columns) sharpes.push_back(*sharpe_per_period(column));
  const Naive spread(sharpes);
  const double variance = static_cast<double>(spread.sd * spread.sd);
  const auto best =
      static_cast<std::size_t>(std::max_element(sharpes.begin(), sharpes.end()) - sharpes.begin());
  EXPECT_EQ(best, 3u);
  const auto dsr = deflated_sharpe_ratio(columns[best], 10, variance);
  const auto psr = probabilistic_sharpe_ratio(columns[best]);
  ASSERT_TRUE(dsr && psr);
  EXPECT_LT(*dsr, *psr);
  expect_near_relative(dsr, *probabilistic_sharpe_ratio(
                                columns[best], std::sqrt(variance) * expected_maximum_sharpe(10)));
}

// ---- Trades ----------------------------------------------------------------------------------

TEST(TradeMetrics, HandList) {
  const auto s = trade_statistics(std::vector<double>{10, -5, 0, 20, -5});
  EXPECT_EQ(s.n_trades, 5u);
  expect_near_relative(s.profit_factor, 3.0);  // 30 / 10; the scratch trade in neither sum
  expect_near_relative(s.win_rate, 0.4);       // the scratch trade stays in the denominator
  expect_near_relative(s.expectancy, 4.0);
  expect_near_relative(s.average_win, 15.0);
  expect_near_relative(s.average_loss, 5.0);
  expect_near_relative(s.payoff, 3.0);
}

TEST(TradeMetrics, GeneratedTradesMatchNaiveSums) {
  Lcg lcg(777);
  std::vector<double> pnl;
  for (int i = 0; i < 60; ++i) pnl.push_back(12.0 + 40.0 * lcg.normal_ih());
  long double profit = 0, loss = 0, total = 0;
  int wins = 0;
  for (const double p : pnl) {
    total += p;
    if (p > 0) profit += p, ++wins;
    if (p < 0) loss -= p;
  }
  const auto s = trade_statistics(pnl);
  expect_near_relative(s.profit_factor, static_cast<double>(profit / loss));
  expect_near_relative(s.win_rate, wins / 60.0);
  expect_near_relative(s.expectancy, static_cast<double>(total / 60));
}

TEST(TradeMetrics, EdgeCases) {
  const auto no_loss = trade_statistics(std::vector<double>{5, 0, 3});
  EXPECT_EQ(no_loss.profit_factor, kInf);
  expect_near_relative(no_loss.win_rate, 2.0 / 3.0);
  EXPECT_FALSE(no_loss.average_loss);
  EXPECT_FALSE(no_loss.payoff);
  const auto no_win = trade_statistics(std::vector<double>{-1, -2});
  EXPECT_EQ(no_win.profit_factor, 0.0);
  EXPECT_EQ(no_win.win_rate, 0.0);
  EXPECT_FALSE(no_win.average_win);
  const auto empty = trade_statistics(std::vector<double>{});
  EXPECT_EQ(empty.n_trades, 0u);
  EXPECT_FALSE(empty.profit_factor);
  EXPECT_FALSE(empty.win_rate);
  EXPECT_FALSE(empty.expectancy);
  const auto scratch = trade_statistics(std::vector<double>{0, 0});
  EXPECT_FALSE(scratch.profit_factor);
  EXPECT_EQ(scratch.win_rate, 0.0);
  EXPECT_EQ(scratch.expectancy, 0.0);
}

// ---- PBO -------------------------------------------------------------------------------------

TEST(Pbo, HandMatrixWhereTheInSampleWinnerStaysOnTop) {
  // T = 4, N = 2, S = 2. Trial 0 beats trial 1 in both halves: both combinations rank the
  // winner 2 of 2 out of sample, ω̄ = 2/3, λ = ln 2.
  const std::vector<double> matrix = {0.01, -0.01, 0.02, 0.0, 0.03, 0.0, 0.01, -0.02};
  const auto result = probability_of_backtest_overfitting(matrix, 2, 2);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->combinations, 2u);
  EXPECT_EQ(result->pbo, 0.0);
  EXPECT_EQ(result->probability_oos_loss, 0.0);
  ASSERT_EQ(result->logits.size(), 2u);
  EXPECT_NEAR(result->logits[0], std::log(2.0), 1e-15);
  EXPECT_NEAR(result->logits[1], std::log(2.0), 1e-15);
}

TEST(Pbo, HandMatrixWhereTheInSampleWinnerAlwaysFails) {
  // Trial 0 wins the first half and loses the second; trial 1 the reverse.
  const std::vector<double> matrix = {0.01, -0.01, 0.02, 0.0, -0.01, 0.01, 0.0, 0.02};
  const auto result = probability_of_backtest_overfitting(matrix, 2, 2);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->pbo, 1.0);
  EXPECT_EQ(result->probability_oos_loss, 1.0);
  EXPECT_NEAR(result->logits[0], -std::log(2.0), 1e-15);
}

TEST(Pbo, DropsTheOldestRowsAndAveragesTies) {
  // T = 5, S = 2: row 0 is dropped; were it kept, trial 1 would win in sample.
  std::vector<double> matrix = {-9.0, 9.0, 0.01, -0.01, 0.02, 0.0, 0.03, 0.0, 0.01, -0.02};
  auto result = probability_of_backtest_overfitting(matrix, 2, 2);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->rows_dropped, 1u);
  EXPECT_EQ(result->rows_used, 4u);
  EXPECT_EQ(result->pbo, 0.0);
  // Identical trials: the first index wins in sample, its out-of-sample rank is the average
  // (N + 1)/2, so ω̄ = 1/2 and λ = 0, which counts as overfit.
  const std::vector<double> same = {0.01, 0.01, 0.01, -0.02, -0.02, -0.02,
                                    0.03, 0.03, 0.03, 0.00,  0.00,  0.00};
  result = probability_of_backtest_overfitting(same, 3, 2);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->logits[0], 0.0);
  EXPECT_EQ(result->pbo, 1.0);
}

TEST(Pbo, ZeroVarianceTrialRanksLowest) {
  // Trial 1 is constant: its Sharpe is undefined, it never wins and ranks 1 out of sample.
  const std::vector<double> matrix = {0.01, 0.001, 0.02, 0.001, 0.03, 0.001, 0.01, 0.001};
  const auto result = probability_of_backtest_overfitting(matrix, 2, 2);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->pbo, 0.0);
}

TEST(Pbo, ArgumentsOutsideTheDomain) {
  const std::vector<double> matrix(40, 0.01);
  EXPECT_FALSE(probability_of_backtest_overfitting(matrix, 1, 2));  // N < 2: undefined
  EXPECT_THROW(probability_of_backtest_overfitting(matrix, 3, 2), ArgumentError);
  EXPECT_THROW(probability_of_backtest_overfitting(matrix, 2, 3), ArgumentError);
  EXPECT_THROW(probability_of_backtest_overfitting(matrix, 2, 0), ArgumentError);
  EXPECT_THROW(probability_of_backtest_overfitting(matrix, 2, 26), ArgumentError);
  EXPECT_THROW(probability_of_backtest_overfitting(matrix, 2, 22), ArgumentError);  // T < S
  EXPECT_THROW(probability_of_backtest_overfitting(std::vector<double>(6, 0.0), 2, 2),
               ArgumentError);  // one row per half
}

TEST(Pbo, OneDominantTrialIsNotOverfit) {
  // §17 "skill" layout with a dominant trial: mus[3] far above the noise of the others.
  std::vector<double> mus(10, 0.0);
  mus[3] = 0.004;
  mus[7] = 0.0008;
  const auto result = probability_of_backtest_overfitting(pbo_matrix(2002, 480, mus), 10, 16);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->combinations, 12870u);
  EXPECT_LT(result->pbo, 0.02);
  EXPECT_LT(result->probability_oos_loss, 0.02);
}

TEST(Pbo, PureNoiseIsOverfitAboutHalfTheTime) {
  // On noise the in-sample winner's out-of-sample rank is uniform; averaged over seeds the PBO
  // is near 0.5 (a single matrix's combinations are strongly correlated).
  double total = 0;
  const std::vector<double> mus(10, 0.0);
  const std::vector<uint64_t> seeds = {1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008,
                                       1009, 1010, 1011, 1012, 1013, 1014, 1015, 1016};
  for (const uint64_t seed : seeds) {
    const auto result = probability_of_backtest_overfitting(pbo_matrix(seed, 480, mus), 10, 8);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->combinations, 70u);
    total += result->pbo;
  }
  EXPECT_NEAR(total / static_cast<double>(seeds.size()), 0.5, 0.15);
}

// ---- `gauntlet stats` end to end ----------------------------------------------------------

using Outcome = testing::CommandOutcome;

Outcome run(const std::string& arguments) {
  return testing::run_command(GAUNTLET_BINARY, arguments);
}

// The number after "key": in the JSON output; NaN when absent or not a number.
double field(const std::string& json, const std::string& key) {
  const auto at = json.find("\"" + key + "\": ");
  if (at == std::string::npos) return std::numeric_limits<double>::quiet_NaN();
  const char* start = json.c_str() + at + key.size() + 4;
  char* end = nullptr;
  const double value = std::strtod(start, &end);
  return end == start ? std::numeric_limits<double>::quiet_NaN() : value;
}

std::string lines(const std::vector<double>& values, const std::string& header) {
  std::string text = header;
  for (const double v : values) text += std::to_string(v) + "\n";
  return text;
}

TEST(StatsCommand, ReturnsFilePrintsEveryMetric) {
  const testing::TempDir dir;
  const auto file = dir.write("returns.csv", lines(kTen, "return\n"));
  const Outcome outcome = run("stats --returns " + file.string() +
                              " --periods-per-year 252 --trials 10 --trial-sharpe-variance 0.01");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  const std::string& json = outcome.output;
  EXPECT_NEAR(field(json, "n"), 10, 0);
  EXPECT_NEAR(field(json, "sharpe"), 0.1075897890181249 * std::sqrt(252.0), 1e-9);
  EXPECT_NEAR(field(json, "sortino"), 2.659639864817475, 1e-9);
  EXPECT_NEAR(field(json, "max_drawdown"), 0.03, 1e-12);
  EXPECT_NEAR(field(json, "cvar_95"), 0.03, 1e-12);
  EXPECT_NEAR(field(json, "calmar"), 19.698420391722912, 1e-8);
  EXPECT_NEAR(field(json, "skew"), -0.26419695139945437, 1e-10);
  EXPECT_NEAR(field(json, "kurtosis"), 2.132287714146877, 1e-10);
  EXPECT_NEAR(field(json, "psr"), 0.6246709512960825, 1e-9);
  EXPECT_NEAR(field(json, "dsr"), 0.441450135263358, 1e-9);
  EXPECT_EQ(json.front(), '{') << json;
}

TEST(StatsCommand, UndefinedIsNullAndUnboundedIsInf) {
  const testing::TempDir dir;
  const auto file = dir.write("constant.txt", "0.001\n0.001\n0.001\n");
  const Outcome outcome = run("stats --returns " + file.string());
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_NE(outcome.output.find("\"sharpe\": null"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("\"sortino\": \"inf\""), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("\"periods_per_year\": 35040"), std::string::npos);
  EXPECT_EQ(outcome.output.find("dsr"), std::string::npos);
}

TEST(StatsCommand, TradesFile) {
  const testing::TempDir dir;
  const auto file = dir.write("trades.csv", "pnl\n10\n-5\n0\n20\n-5\n");
  const Outcome outcome = run("stats --trades " + file.string());
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_EQ(field(outcome.output, "profit_factor"), 3.0);
  EXPECT_EQ(field(outcome.output, "win_rate"), 0.4);
  EXPECT_EQ(field(outcome.output, "expectancy"), 4.0);
  EXPECT_EQ(field(outcome.output, "n_trades"), 5.0);
  const auto winners = dir.write("winners.csv", "1\n2\n");
  const Outcome no_loss = run("stats --trades " + winners.string());
  EXPECT_NE(no_loss.output.find("\"profit_factor\": \"inf\""), std::string::npos) << no_loss.output;
}

TEST(StatsCommand, PboMatrix) {
  const testing::TempDir dir;
  const auto file = dir.write("matrix.csv", "a,b\n0.01,-0.01\n0.02,0.0\n0.03,0.0\n0.01,-0.02\n");
  const Outcome outcome = run("stats --pbo " + file.string() + " --splits 2");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_EQ(field(outcome.output, "pbo"), 0.0);
  EXPECT_EQ(field(outcome.output, "combinations"), 2.0);
}

TEST(StatsCommand, BadInputNamesTheFileAndLine) {
  const testing::TempDir dir;
  const auto file = dir.write("bad.csv", "return\n0.01\nabc\n");
  Outcome outcome = run("stats --returns " + file.string());
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_NE(outcome.output.find(file.string() + " line 3: not a finite number: 'abc'"),
            std::string::npos)
      << outcome.output;
  const auto ragged = dir.write("ragged.csv", "0.01,0.02\n0.01\n");
  outcome = run("stats --pbo " + ragged.string() + " --splits 2");
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_NE(outcome.output.find("ragged.csv line 2: expected 2 values"), std::string::npos)
      << outcome.output;
  outcome = run("stats --returns " + (dir.path() / "missing.csv").string());
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_NE(outcome.output.find("missing.csv: cannot open"), std::string::npos);
  outcome = run("stats");
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_NE(outcome.output.find("exactly one of --returns, --trades or --pbo"), std::string::npos);
  const auto good = dir.write("good.csv", "0.01\n0.02\n");
  outcome = run("stats --returns " + good.string() + " --trials 3");
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_NE(outcome.output.find("go together"), std::string::npos) << outcome.output;
  const auto one_column = dir.write("one_column.csv", "0.01\n0.02\n0.03\n0.04\n");
  outcome = run("stats --pbo " + one_column.string() + " --splits 2");
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_NE(outcome.output.find("at least 2 trial columns"), std::string::npos) << outcome.output;
}

}  // namespace
}  // namespace gauntlet::validation
