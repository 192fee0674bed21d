// File: validation/metrics.hpp
//
// Owns the validation statistics that every gate, report and command uses, exactly as defined
// in ../shared/reference/validation.md (§0-§11): Sharpe, Sortino, maximum drawdown, CVaR 95,
// CAGR and Calmar, skew and kurtosis, the Probabilistic and Deflated Sharpe Ratios, per-trade
// statistics, and the Probability of Backtest Overfitting by CSCV.
//
// Conventions (validation.md §0): inputs are simple per-period returns (0.01 = 1 %) of the
// mark-to-market equity curve, flat periods included, net of costs, risk-free rate 0. The
// sample standard deviation uses ddof = 1; a standard deviation below kZeroVariance counts as
// zero. Where the reference returns NaN ("undefined") these functions return std::nullopt;
// where it returns +inf ("unbounded") they return +infinity. No function returns NaN.
// Non-finite inputs and arguments outside their domain throw ArgumentError.
//
// Threading: pure functions over caller-owned data; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace gauntlet::validation {

// A standard deviation below this counts as zero (validation.md §0).
inline constexpr double kZeroVariance = 1e-14;
// The Euler–Mascheroni constant of the expected-maximum formula (validation.md §10).
inline constexpr double kEulerMascheroni = 0.5772156649015329;
// The tail probability of cvar_95.
inline constexpr double kCvarAlpha = 0.05;
// The largest CSCV split count accepted: C(24, 12) = 2,704,156 combinations.
inline constexpr std::size_t kMaxPboSplits = 24;

// ---- Return statistics -----------------------------------------------------------------------

// Returns the per-period Sharpe ratio mean(r) / sd(r), ddof = 1 (§1). nullopt when n < 2 or the
// standard deviation is below kZeroVariance (also when the mean is positive).
std::optional<double> sharpe_per_period(std::span<const double> returns);

// Returns sharpe_per_period of the returns at `indices` (in that order), bit for bit as if they
// had been gathered first, without the copy (cross-validation ranks members on training sets).
// Throws ArgumentError on an index out of range.
std::optional<double> sharpe_per_period(std::span<const double> returns,
                                        std::span<const std::size_t> indices);

// Returns the annualised Sharpe ratio, sharpe_per_period · sqrt(periods_per_year) (§1); nullopt
// in the same cases. Throws ArgumentError unless periods_per_year is finite and positive.
std::optional<double> sharpe_ratio(std::span<const double> returns, double periods_per_year);

// Returns the per-period downside deviation sqrt((1/n) Σ min(0, r_t − mar)²), the sum over ALL
// n periods (§2). nullopt when n < 2.
std::optional<double> downside_deviation(std::span<const double> returns, double mar = 0.0);

// Returns the annualised Sortino ratio mean(r − mar) / downside_deviation · sqrt(P) (§2).
// nullopt when n < 2. When the downside deviation is below kZeroVariance (no return below mar):
// +infinity if mean(r − mar) > 0, otherwise nullopt.
std::optional<double> sortino_ratio(std::span<const double> returns, double periods_per_year,
                                    double mar = 0.0);

// Returns the maximum drawdown, a fraction in [0, 1], of the compounded equity curve
// E_0 = 1, E_t = E_{t-1}·(1 + r_t), E_0 included (§5). 0 for no returns or a curve that never
// falls; 1 on ruin (some E_t <= 0).
double max_drawdown(std::span<const double> returns);

// Returns the historical CVaR (Acerbi–Tasche expected shortfall) at tail probability `alpha`
// as a positive loss fraction (§6): with x sorted ascending, k = floor(n·alpha + 1e-9),
// frac = n·alpha − k, CVaR = −(Σ_{i<=k} x_(i) + frac·x_(k+1)) / (n·alpha). nullopt when n = 0.
// Negative when even the tail returns are gains. Throws ArgumentError unless 0 < alpha < 1.
std::optional<double> conditional_value_at_risk(std::span<const double> returns, double alpha);

// Returns conditional_value_at_risk(returns, 0.05).
std::optional<double> cvar_95(std::span<const double> returns);

// Returns the compound annual growth rate (E_n / E_0)^(P / n) − 1 (§7); −1 when E_n <= 0.
// nullopt when n = 0. +infinity when the power overflows (a short, very profitable series).
std::optional<double> cagr(std::span<const double> returns, double periods_per_year);

// Returns the Calmar ratio cagr / max_drawdown (§7). nullopt when n = 0. When the maximum
// drawdown is 0: +infinity if cagr > 0, otherwise nullopt.
std::optional<double> calmar_ratio(std::span<const double> returns, double periods_per_year);

// Returns the biased skewness g1 = m3 / m2^1.5 with m_k = (1/n) Σ (r_t − mean)^k (§0, as
// scipy.stats.skew(bias=True)). nullopt when n < 2 or the standard deviation is below
// kZeroVariance.
std::optional<double> skewness(std::span<const double> returns);

// Returns the biased, NON-excess kurtosis m4 / m2² (normal = 3) (§0, as
// scipy.stats.kurtosis(fisher=False, bias=True)). nullopt in the same cases as skewness.
std::optional<double> kurtosis(std::span<const double> returns);

// ---- Probabilistic and Deflated Sharpe Ratio -------------------------------------------------

// Returns Φ(x), the standard normal CDF.
double normal_cdf(double x);

// Returns Φ⁻¹(p) (Acklam's rational approximation plus one Halley step with erfc, evaluated as
// −Φ⁻¹(1 − p) for p > 0.5) (§10). −infinity at p = 0, +infinity at p = 1. Throws ArgumentError
// unless 0 <= p <= 1.
double normal_quantile(double p);

// Returns PSR(SR*) = Φ((SR − SR*)·sqrt(n − 1) / sqrt(1 − g1·SR + (kurt − 1)/4·SR²)) (§9) from
// the PER-PERIOD Sharpe `sharpe`, the number of returns `n`, the skew `skew` and the NON-excess
// kurtosis `kurt`. nullopt when n < 2 or the radicand is <= 0.
std::optional<double> probabilistic_sharpe_ratio(double sharpe, std::size_t n, double skew,
                                                 double kurt, double benchmark_sharpe);

// Returns PSR(benchmark_sharpe) of a return series; benchmark_sharpe is PER PERIOD (convert an
// annual target as SR*_ann / sqrt(P)). nullopt when the Sharpe, skew or kurtosis is undefined
// or the radicand is <= 0.
std::optional<double> probabilistic_sharpe_ratio(std::span<const double> returns,
                                                 double benchmark_sharpe = 0.0);

// Returns E[max_N] ≈ (1 − γ)·Φ⁻¹(1 − 1/N) + γ·Φ⁻¹(1 − 1/(N·e)), γ = kEulerMascheroni (§10), the
// expected maximum of N standard normals; 0 for N = 1 by definition. Throws ArgumentError for
// N = 0.
double expected_maximum_sharpe(std::size_t trials);

// Returns DSR = PSR(SR0) with SR0 = sqrt(trial_sharpe_variance)·E[max_trials] (§10), for the
// SELECTED strategy's returns. trial_sharpe_variance is the ddof = 1 variance of the
// PER-PERIOD Sharpe ratios of every trial run. With trials = 1, DSR = PSR(0). nullopt when
// PSR is undefined, or when trials >= 2 and trial_sharpe_variance is 0 (the reference
// requires V > 0). Throws ArgumentError for trials = 0 or a negative or non-finite variance.
std::optional<double> deflated_sharpe_ratio(std::span<const double> returns, std::size_t trials,
                                            double trial_sharpe_variance);

// ---- Trade statistics ------------------------------------------------------------------------

// Statistics of closed trades' net P&L (§3, §4). Scratch trades (P&L exactly 0) count in
// n_trades and in the win-rate and expectancy denominators but in neither P&L sum.
struct TradeStatistics {
  std::size_t n_trades = 0;
  // Gross profit / gross loss. +infinity with no losing trade and some winning trade; 0 with
  // no winning trade and some losing trade; nullopt with no trades or only scratch trades.
  std::optional<double> profit_factor;
  // #{p > 0} / n_trades; nullopt with no trades.
  std::optional<double> win_rate;
  // Σ p / n_trades; nullopt with no trades.
  std::optional<double> expectancy;
  // Mean winning P&L; nullopt with no win.
  std::optional<double> average_win;
  // Mean |losing P&L|; nullopt with no loss.
  std::optional<double> average_loss;
  // average_win / average_loss; nullopt with no win or no loss.
  std::optional<double> payoff;
};

// Returns the trade statistics of the per-trade net P&L. Throws ArgumentError on a non-finite
// P&L.
TradeStatistics trade_statistics(std::span<const double> pnl);

// ---- Equity curves ---------------------------------------------------------------------------

// One point of an equity curve: the equity (money) at the end of a period, time in epoch ms.
struct EquityPoint {
  int64_t time = 0;
  double equity = 0;
};

// ---- Exposure and turnover -------------------------------------------------------------------

// A span of time [begin, end) in milliseconds during which a position was open.
struct Interval {
  int64_t begin = 0;
  int64_t end = 0;
};

// Returns the share of [from, to) covered by the union of `intervals` (overlaps count once,
// the parts outside the window are clipped), in [0, 1]. Throws ArgumentError unless to > from
// or when an interval ends before it begins.
double exposure(std::span<const Interval> intervals, int64_t from, int64_t to);

// Returns the annualised turnover: traded notional (entries and exits, in money) over the
// average equity, scaled to a year of `years_elapsed` (notional / average_equity / years).
// Throws ArgumentError unless average_equity > 0 and years_elapsed > 0.
double turnover(double traded_notional, double average_equity, double years_elapsed);

// ---- Probability of Backtest Overfitting -----------------------------------------------------

struct PboResult {
  // #{c : λ_c <= 0} / C(S, S/2).
  double pbo = 0.0;
  // The share of combinations whose in-sample winner has a negative (or undefined)
  // out-of-sample Sharpe.
  double probability_oos_loss = 0.0;
  std::size_t combinations = 0;
  std::size_t rows_used = 0;
  std::size_t rows_dropped = 0;  // the oldest T % S rows
  // λ_c per combination, in lexicographic combination order.
  std::vector<double> logits;
};

// Returns the PBO by combinatorially symmetric cross-validation (§11, Bailey et al. 2017) of a
// T × N returns matrix stored row-major in `matrix` (row = period, column = trial). The oldest
// T % S rows are dropped; the rest form S contiguous blocks; every choice of S/2 blocks
// (lexicographic) is in-sample, the complement out-of-sample; the performance is the
// per-period Sharpe (ddof = 1). The in-sample winner is the first argmax; its out-of-sample
// rank (1..N, ascending, ties averaged) over N + 1 is ω̄ and λ = ln(ω̄ / (1 − ω̄)).
// A trial whose Sharpe is undefined on a sample (zero variance) ranks lowest on it (as −inf,
// tied with any other such trial). nullopt when N < 2 (undefined). Throws ArgumentError when
// matrix.size() is not a multiple of trials, when S is odd, below 2 or above kMaxPboSplits,
// when T < S or an in-sample half has fewer than 2 rows, or on a non-finite return.
std::optional<PboResult> probability_of_backtest_overfitting(std::span<const double> matrix,
                                                             std::size_t trials,
                                                             std::size_t splits);

}  // namespace gauntlet::validation
