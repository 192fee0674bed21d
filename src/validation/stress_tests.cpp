#include "validation/stress_tests.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <thread>
#include <utility>

#include "core/exceptions.hpp"

namespace gauntlet::validation {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// ---- Random streams ----------------------------------------------------------------------------

// Which test a stream belongs to, so that path i of each test draws independently.
enum class Stream : uint64_t { kReorder = 1, kBootstrap = 2, kBlocks = 3 };

// SplitMix64 (Steele, Lea & Flood 2014): advances `state` and returns the next output. A
// bijection of the state, used to seed and to derive one stream per (seed, test, path).
uint64_t splitmix64(uint64_t& state) {
  state += 0x9e3779b97f4a7c15ULL;
  uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// xoshiro256** 1.0 (Blackman & Vigna 2018) on the stream of (seed, test, path).
class PathRandom {
 public:
  PathRandom(uint64_t seed, Stream stream, uint64_t path) {
    uint64_t key = seed;
    key = splitmix64(key) ^ path;
    key = splitmix64(key) ^ static_cast<uint64_t>(stream);
    for (uint64_t& word : state_) word = splitmix64(key);
  }

  uint64_t next() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // A uniform index in [0, bound), bound >= 1: Lemire's (2019) multiply-shift with rejection
  // of the biased low products.
  std::size_t below(std::size_t bound) {
    using Uint128 = unsigned __int128;
    const auto range = static_cast<uint64_t>(bound);
    Uint128 product = static_cast<Uint128>(next()) * range;
    auto low = static_cast<uint64_t>(product);
    if (low < range) {
      const uint64_t threshold = (0 - range) % range;  // 2^64 mod range
      while (low < threshold) {
        product = static_cast<Uint128>(next()) * range;
        low = static_cast<uint64_t>(product);
      }
    }
    return static_cast<std::size_t>(product >> 64);
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  uint64_t state_[4] = {};
};

// Fisher–Yates shuffle of `values` on `random`.
void shuffle(std::span<double> values, PathRandom& random) {
  for (std::size_t i = values.size(); i > 1; --i) {
    std::swap(values[i - 1], values[random.below(i)]);
  }
}

// ---- Parallel paths ----------------------------------------------------------------------------

std::size_t worker_count(const ResamplingOptions& options) {
  std::size_t threads = options.threads;
  if (threads == 0) threads = std::max(1U, std::thread::hardware_concurrency());
  return std::min(threads, options.paths);
}

// Runs chunk(begin, end) over contiguous shares of the items [0, count) (paths or columns),
// one share per worker (1 <= workers <= count), the first on the calling thread; rethrows the
// first worker's exception (in worker order) after all have joined.
template <typename Chunk>
void run_chunks(std::size_t count, std::size_t workers, const Chunk& chunk) {
  std::vector<std::exception_ptr> errors(workers);
  const auto run = [&](std::size_t worker) {
    const std::size_t begin = count * worker / workers;
    const std::size_t end = count * (worker + 1) / workers;
    try {
      chunk(begin, end);
    } catch (...) {
      errors[worker] = std::current_exception();
    }
  };
  {
    std::vector<std::jthread> pool;
    pool.reserve(workers - 1);
    for (std::size_t worker = 1; worker < workers; ++worker) pool.emplace_back(run, worker);
    run(0);
  }
  for (const std::exception_ptr& error : errors) {
    if (error) std::rethrow_exception(error);
  }
}

// ---- Checks ------------------------------------------------------------------------------------

void require_finite(std::span<const double> values, const char* what) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      throw ArgumentError(fmt::format("{}[{}] must be finite, was {}", what, i, values[i]));
    }
  }
}

void require_paths(const ResamplingOptions& options) {
  if (options.paths == 0) throw ArgumentError("paths must be at least 1, was 0");
}

// ---- Percentiles -------------------------------------------------------------------------------

// numpy's _lerp: a + (b − a)·t, evaluated from b when t >= 0.5.
double lerp(double a, double b, double t) {
  const double diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

// The numpy-linear percentile of a sorted, non-empty sample.
double percentile_sorted(std::span<const double> sorted, double q) {
  const double last = static_cast<double>(sorted.size() - 1);
  const double index = last * (q / 100.0);
  if (index >= last) return sorted.back();
  const double below = std::floor(index);
  const auto lower = static_cast<std::size_t>(below);
  return lerp(sorted[lower], sorted[lower + 1], index - below);
}

void require_quantile(double q) {
  if (!(q >= 0 && q <= 100)) {
    throw ArgumentError(fmt::format("the percentile must be in [0, 100], was {}", q));
  }
}

// The percentiles and mean of finite `values`, sorted in place.
Percentiles summarise_in_place(std::span<double> values) {
  Percentiles result;
  if (values.empty()) return result;
  std::sort(values.begin(), values.end());
  result.samples = values.size();
  result.p5 = percentile_sorted(values, 5);
  result.p25 = percentile_sorted(values, 25);
  result.p50 = percentile_sorted(values, 50);
  result.p75 = percentile_sorted(values, 75);
  result.p95 = percentile_sorted(values, 95);
  double sum = 0;
  for (const double value : values) sum += value;
  result.mean = sum / static_cast<double>(values.size());
  return result;
}

// One distribution of a test: a per-path field (NaN = undefined on that path) and where its
// summary goes.
template <typename Path>
struct Column {
  double Path::*field;
  Percentiles* out;
};

// Summarises every column over the paths in path order, skipping undefined paths; the columns
// (each an independent sort) are spread over the workers.
template <typename Path>
void summarise_columns(const std::vector<Path>& paths, std::span<const Column<Path>> columns,
                       std::size_t workers) {
  run_chunks(columns.size(), std::min(workers, columns.size()),
             [&](std::size_t begin, std::size_t end) {
               std::vector<double> values;
               values.reserve(paths.size());
               for (std::size_t c = begin; c < end; ++c) {
                 values.clear();
                 for (const Path& path : paths) {
                   const double value = path.*columns[c].field;
                   if (!std::isnan(value)) values.push_back(value);
                 }
                 *columns[c].out = summarise_in_place(values);
               }
             });
}

// ---- Trade paths -------------------------------------------------------------------------------

struct EquityWalk {
  double total = 0;     // Σ P&L
  double lowest = 0;    // min of E_0..E_n
  bool ruined = false;  // some E_k, k >= 1, <= the ruin level
  double max_drawdown = 0;
};

// Walks the money equity curve E_k = start + Σ_{j<=k} p_j of one trade path; `returns` is the
// worker's buffer for the curve's simple returns, reused across paths.
EquityWalk walk_equity(std::span<const double> trades, double start, double ruin_level,
                       std::vector<double>& returns) {
  EquityWalk walk;
  walk.lowest = start;
  returns.clear();
  double previous = start;
  bool broke = false;  // equity reached 0: the drawdown is 1 from there on
  for (const double pnl : trades) {
    walk.total += pnl;
    const double equity = start + walk.total;
    walk.lowest = std::min(walk.lowest, equity);
    if (equity <= ruin_level) walk.ruined = true;
    if (!broke) {
      if (equity <= 0) {
        returns.push_back(-1.0);  // E_k <= 0: max_drawdown's ruin case, exactly
        broke = true;
      } else {
        returns.push_back(pnl / previous);
      }
    }
    previous = equity;
  }
  walk.max_drawdown = max_drawdown(returns);
  return walk;
}

// The per-path outputs of stress_trades; NaN marks an undefined profit factor.
struct TradePath {
  double reorder_drawdown = 0;
  double reorder_lowest = 0;
  double total = 0;
  double profit_factor = 0;
  double drawdown = 0;
  double win_rate = 0;
  double expectancy = 0;
  bool ruined = false;
};

// ---- Return paths ------------------------------------------------------------------------------

struct ReturnPath {
  double sharpe = 0;  // NaN when undefined
  double drawdown = 0;
  double cvar = 0;
};

// Fills `path` (n periods) with one block-bootstrap draw of `returns`.
void draw_blocks(std::span<const double> returns, std::size_t block, BlockScheme scheme,
                 PathRandom& random, std::span<double> path) {
  const std::size_t n = returns.size();
  if (scheme == BlockScheme::kStationary) {
    std::size_t index = random.below(n);
    path[0] = returns[index];
    for (std::size_t t = 1; t < n; ++t) {
      if (random.below(block) == 0) {
        index = random.below(n);
      } else {
        index = index + 1 == n ? 0 : index + 1;
      }
      path[t] = returns[index];
    }
    return;
  }
  std::size_t t = 0;
  while (t < n) {
    std::size_t index = random.below(n);
    for (std::size_t j = 0; j < block && t < n; ++j, ++t) {
      path[t] = returns[index];
      index = index + 1 == n ? 0 : index + 1;
    }
  }
}

}  // namespace

double percentile(std::vector<double> sample, double q) {
  require_quantile(q);
  if (sample.empty()) throw ArgumentError("the percentile of an empty sample is undefined");
  require_finite(sample, "sample");
  std::sort(sample.begin(), sample.end());
  return percentile_sorted(sample, q);
}

Percentiles percentiles(std::span<const double> sample) {
  require_finite(sample, "sample");
  std::vector<double> sorted(sample.begin(), sample.end());
  return summarise_in_place(sorted);
}

void reorder_trades(std::span<double> trades, uint64_t seed, std::size_t path) {
  PathRandom random(seed, Stream::kReorder, path);
  shuffle(trades, random);
}

TradeStress stress_trades(std::span<const double> trade_pnl, double starting_equity,
                          const ResamplingOptions& options, double ruin_fraction) {
  if (trade_pnl.empty()) throw ArgumentError("stress_trades needs at least one trade");
  require_finite(trade_pnl, "trade_pnl");
  if (!std::isfinite(starting_equity) || starting_equity <= 0) {
    throw ArgumentError(
        fmt::format("starting_equity must be finite and positive, was {}", starting_equity));
  }
  if (!(ruin_fraction >= 0 && ruin_fraction < 1)) {
    throw ArgumentError(fmt::format("ruin_fraction must be in [0, 1), was {}", ruin_fraction));
  }
  require_paths(options);

  const std::size_t n = trade_pnl.size();
  const double ruin_level = ruin_fraction * starting_equity;
  const std::size_t workers = worker_count(options);
  std::vector<TradePath> paths(options.paths);
  run_chunks(options.paths, workers, [&](std::size_t begin, std::size_t end) {
    std::vector<double> trades(n);
    std::vector<double> returns;
    returns.reserve(n);
    for (std::size_t i = begin; i < end; ++i) {
      TradePath& out = paths[i];

      std::copy(trade_pnl.begin(), trade_pnl.end(), trades.begin());
      reorder_trades(trades, options.seed, i);
      const EquityWalk reordered = walk_equity(trades, starting_equity, ruin_level, returns);
      out.reorder_drawdown = reordered.max_drawdown;
      out.reorder_lowest = reordered.lowest;

      PathRandom random(options.seed, Stream::kBootstrap, i);
      for (double& trade : trades) trade = trade_pnl[random.below(n)];
      const EquityWalk drawn = walk_equity(trades, starting_equity, ruin_level, returns);
      const TradeStatistics stats = trade_statistics(trades);
      out.total = drawn.total;
      out.drawdown = drawn.max_drawdown;
      out.ruined = drawn.ruined;
      out.profit_factor =
          stats.profit_factor ? std::min(*stats.profit_factor, kProfitFactorCap) : kNaN;
      out.win_rate = stats.win_rate.value_or(kNaN);
      out.expectancy = stats.expectancy.value_or(kNaN);
    }
  });

  TradeStress stress;
  const Column<TradePath> columns[] = {
      {&TradePath::reorder_drawdown, &stress.reorder_max_drawdown},
      {&TradePath::reorder_lowest, &stress.reorder_lowest_equity},
      {&TradePath::total, &stress.bootstrap_total_pnl},
      {&TradePath::profit_factor, &stress.bootstrap_profit_factor},
      {&TradePath::drawdown, &stress.bootstrap_max_drawdown},
      {&TradePath::win_rate, &stress.bootstrap_win_rate},
      {&TradePath::expectancy, &stress.bootstrap_expectancy},
  };
  summarise_columns<TradePath>(paths, columns, workers);
  std::size_t losses = 0;
  std::size_t ruins = 0;
  for (const TradePath& path : paths) {
    if (path.total < 0) ++losses;
    if (path.ruined) ++ruins;
  }
  const auto count = static_cast<double>(paths.size());
  stress.probability_of_loss = static_cast<double>(losses) / count;
  stress.probability_of_ruin = static_cast<double>(ruins) / count;
  return stress;
}

ReturnStress stress_returns(std::span<const double> returns, double periods_per_year,
                            std::size_t block, const ResamplingOptions& options,
                            BlockScheme scheme) {
  if (returns.empty()) throw ArgumentError("stress_returns needs at least one return");
  require_finite(returns, "returns");
  if (!std::isfinite(periods_per_year) || periods_per_year <= 0) {
    throw ArgumentError(
        fmt::format("periods_per_year must be finite and positive, was {}", periods_per_year));
  }
  if (block == 0) throw ArgumentError("block must be at least 1 period, was 0");
  require_paths(options);

  const std::size_t workers = worker_count(options);
  std::vector<ReturnPath> paths(options.paths);
  run_chunks(options.paths, workers, [&](std::size_t begin, std::size_t end) {
    std::vector<double> path(returns.size());
    for (std::size_t i = begin; i < end; ++i) {
      PathRandom random(options.seed, Stream::kBlocks, i);
      draw_blocks(returns, block, scheme, random, path);
      ReturnPath& out = paths[i];
      out.sharpe = sharpe_ratio(path, periods_per_year).value_or(kNaN);
      out.drawdown = max_drawdown(path);
      out.cvar = cvar_95(path).value_or(kNaN);  // defined: n >= 1
    }
  });

  ReturnStress stress;
  const Column<ReturnPath> columns[] = {
      {&ReturnPath::sharpe, &stress.sharpe},
      {&ReturnPath::drawdown, &stress.max_drawdown},
      {&ReturnPath::cvar, &stress.cvar_95},
  };
  summarise_columns<ReturnPath>(paths, columns, workers);
  return stress;
}

std::vector<RegimeSlice> slice_by_regime(std::span<const double> trade_pnl,
                                         std::span<const std::string> regimes) {
  if (trade_pnl.size() != regimes.size()) {
    throw ArgumentError(
        fmt::format("{} trades but {} regime labels", trade_pnl.size(), regimes.size()));
  }
  require_finite(trade_pnl, "trade_pnl");
  std::map<std::string, std::vector<double>, std::less<>> groups;
  for (std::size_t i = 0; i < trade_pnl.size(); ++i) {
    if (regimes[i].empty()) throw ArgumentError(fmt::format("regimes[{}] is empty", i));
    groups[regimes[i]].push_back(trade_pnl[i]);
  }
  std::vector<RegimeSlice> slices;
  slices.reserve(groups.size());
  for (auto& [regime, pnl] : groups) {
    RegimeSlice slice;
    slice.regime = regime;
    slice.stats = trade_statistics(pnl);
    for (const double value : pnl) slice.total_pnl += value;
    slices.push_back(std::move(slice));
  }
  return slices;
}

}  // namespace gauntlet::validation
