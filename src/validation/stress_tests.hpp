// File: validation/stress_tests.hpp
//
// Owns the resampling stress tests of a strategy before it trades real money: Monte-Carlo
// reordering of its closed trades (permutations), the bootstrap of its trades (draws with
// replacement), the block bootstrap of its per-period return series, the percentile summary of
// the resulting distributions, and the slicing of its trades by market regime. Every statistic
// of a resampled path comes from validation/metrics.hpp (max_drawdown, trade_statistics,
// sharpe_ratio, cvar_95), exactly as defined in ../shared/reference/validation.md §0-§8.
//
// Conventions: trade P&L is net money P&L per closed trade, in trade order. The equity of a
// trade path is the starting equity plus the running sum of the path's P&L (money is added,
// never rescaled by the equity: no position-sizing compounding), E_0 = starting_equity
// included; its drawdown is metrics' max_drawdown of the simple returns p_k / E_{k-1} of that
// curve, 1 once equity reaches 0 (§5). The money path goes on below zero (lowest equity may be
// negative). Percentiles are numpy's default "linear" method. Where a path's statistic is
// undefined (metrics returns nullopt) the path is left out of that distribution and
// Percentiles::samples says how many paths counted. Bad arguments throw ArgumentError.
//
// Determinism: path i of a test draws from its own random stream, xoshiro256** seeded by
// SplitMix64 from (seed, test, i), and maps random words to indices with Lemire's
// multiply-shift and rejection (no std:: distributions, whose output is implementation-
// defined). Results are bit-identical whatever the thread count and on any platform with
// IEEE-754 doubles.
//
// Threading: stress_trades and stress_returns split the paths over up to options.threads
// std::jthread workers (the calling thread runs the first share) and return after all have
// joined; workers only read the caller's data and write their own slice of the results. All
// functions are safe to call concurrently from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "validation/metrics.hpp"

namespace gauntlet::validation {

// The value that stands for an unbounded (+infinity, no losing trade) profit factor in the
// bootstrap distribution; finite profit factors above it count as it too. Capping (rather than
// skipping such paths) keeps the best paths at the top of the ranking, so every percentile
// below the share of capped paths is exact; a percentile equal to kProfitFactorCap reads
// "unbounded". The mean includes the capped values.
inline constexpr double kProfitFactorCap = 100.0;

// ---- Percentiles -----------------------------------------------------------------------------

struct Percentiles {
  std::size_t samples = 0;  // values summarised; 0 leaves every other field 0
  double p5 = 0, p25 = 0, p50 = 0, p75 = 0, p95 = 0;
  double mean = 0;
};

// Returns the q-th percentile of `sample` by linear interpolation between the closest ranks,
// numpy.percentile's default "linear" method: with x sorted ascending, h = (n − 1)·q/100,
// x_(floor h) + (h − floor h)·(x_(floor h + 1) − x_(floor h)) (evaluated as numpy does). The
// values must be finite. Throws ArgumentError on an empty sample, a non-finite value, or q
// outside [0, 100].
double percentile(std::vector<double> sample, double q);

// Returns the 5th, 25th, 50th, 75th and 95th percentiles (as percentile()) and the arithmetic
// mean of `sample`. The caller passes finite values only (undefined statistics are dropped
// before, not passed as NaN); throws ArgumentError on a non-finite value. An empty sample gives
// Percentiles{} (samples = 0).
Percentiles percentiles(std::span<const double> sample);

// ---- Resampling ------------------------------------------------------------------------------

struct ResamplingOptions {
  std::size_t paths = 2000;  // resampled paths per test; at least 1
  uint64_t seed = 1;
  std::size_t threads = 0;  // workers; 0 = std::thread::hardware_concurrency(); at most `paths`
};

struct TradeStress {
  // Monte-Carlo reordering (permutations of the trade sequence, without replacement): the order
  // of trades changes the path, not the total.
  Percentiles reorder_max_drawdown;   // fraction of equity, in [0, 1]
  Percentiles reorder_lowest_equity;  // money; the lowest of E_0..E_n, so <= starting_equity
  // Bootstrap (n trades drawn with replacement): what the same edge could have produced.
  Percentiles bootstrap_total_pnl;  // money
  // Paths of scratch trades only (undefined PF) are skipped; +infinity and anything above
  // counts as kProfitFactorCap.
  Percentiles bootstrap_profit_factor;
  Percentiles bootstrap_max_drawdown;  // fraction of equity, in [0, 1]
  Percentiles bootstrap_win_rate;      // fraction, scratch trades in the denominator (§4)
  Percentiles bootstrap_expectancy;    // money per trade
  double probability_of_loss = 0;      // share of bootstrap paths with total P&L < 0
  // Share of bootstrap paths whose equity E_k, k >= 1, ever falls to <= ruin_fraction ×
  // starting_equity.
  double probability_of_ruin = 0;
};

// Returns the reordering and bootstrap stress of the closed trades' net P&L `trade_pnl` on an
// account of `starting_equity`: options.paths permutations and options.paths bootstrap draws of
// all n trades. Throws ArgumentError when trade_pnl is empty or holds a non-finite value, when
// starting_equity is not finite and positive, when ruin_fraction is not in [0, 1), or when
// options.paths is 0.
TradeStress stress_trades(std::span<const double> trade_pnl, double starting_equity,
                          const ResamplingOptions& options, double ruin_fraction = 0.5);

// Permutes `trades` in place exactly as path `path` of stress_trades' reordering with `seed`
// does (a Fisher–Yates shuffle on that path's stream), for reports and tests.
void reorder_trades(std::span<double> trades, uint64_t seed, std::size_t path);

// How the block bootstrap cuts the series into blocks; both wrap around the end (circular).
enum class BlockScheme {
  // Politis & Romano (1994): blocks of geometric length with mean `block`: each period after
  // the first starts a new block at a random index with probability 1/block, otherwise it takes
  // the period after the previous one.
  kStationary,
  // Politis & Romano (1992), circular block bootstrap: blocks of exactly `block` periods at
  // random start indices, the last one cut at n.
  kFixed,
};

// Per period: the distributions of the annualised Sharpe ratio (sharpe_ratio), the maximum
// drawdown (max_drawdown) and the CVaR 95 (cvar_95) of the resampled series.
struct ReturnStress {
  Percentiles sharpe;  // paths with an undefined Sharpe (zero variance, n < 2) are skipped
  Percentiles max_drawdown;
  Percentiles cvar_95;
};

// Returns the block bootstrap stress of the per-period simple return series `returns` (§0):
// options.paths series of n periods, drawn with replacement in blocks of `block` periods under
// `scheme`. block = 1 is the plain (i.i.d.) bootstrap; a block longer than n is allowed. Throws
// ArgumentError when returns is empty or holds a non-finite value, when periods_per_year is not
// finite and positive, when block is 0, or when options.paths is 0.
ReturnStress stress_returns(std::span<const double> returns, double periods_per_year,
                            std::size_t block, const ResamplingOptions& options,
                            BlockScheme scheme = BlockScheme::kStationary);

// ---- Regime slicing --------------------------------------------------------------------------

struct RegimeSlice {
  std::string regime;
  TradeStatistics stats;
  double total_pnl = 0;  // Σ P&L of the regime's trades, in trade order
};

// Returns the trade statistics of the trades of each market regime, trade i belonging to
// regimes[i] (the regime at its entry; any non-empty label such as "trend", "range",
// "high_vol"), one slice per distinct label in ascending label order; empty for no trades.
// Throws ArgumentError when the spans differ in length, on an empty label, or on a non-finite
// P&L.
std::vector<RegimeSlice> slice_by_regime(std::span<const double> trade_pnl,
                                         std::span<const std::string> regimes);

}  // namespace gauntlet::validation
