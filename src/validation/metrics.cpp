#include "validation/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "core/exceptions.hpp"

namespace gauntlet::validation {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

void require_finite(std::span<const double> values, const char* what) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      throw ArgumentError(fmt::format("{}[{}] must be finite, was {}", what, i, values[i]));
    }
  }
}

void require_periods(double periods_per_year) {
  if (!std::isfinite(periods_per_year) || periods_per_year <= 0) {
    throw ArgumentError(
        fmt::format("periods_per_year must be finite and positive, was {}", periods_per_year));
  }
}

double mean_of(std::span<const double> values) {
  double sum = 0;
  for (const double value : values) sum += value;
  return sum / static_cast<double>(values.size());
}

// The sample standard deviation (ddof = 1) around `mean`; needs n >= 2.
double sample_sd(std::span<const double> values, double mean) {
  double sum = 0;
  for (const double value : values) sum += (value - mean) * (value - mean);
  return std::sqrt(sum / static_cast<double>(values.size() - 1));
}

// The central moment m_k = (1/n) Σ (r − mean)^k.
double central_moment(std::span<const double> values, double mean, int k) {
  double sum = 0;
  for (const double value : values) sum += std::pow(value - mean, k);
  return sum / static_cast<double>(values.size());
}

// True when the series has a defined, non-zero standard deviation (n >= 2, sd >= 1e-14).
bool has_variance(std::span<const double> values, double mean) {
  return values.size() >= 2 && sample_sd(values, mean) >= kZeroVariance;
}

// Count, mean and sum of squared deviations of one trial on one sample, combinable (Chan et
// al.) so that CSCV merges per-block statistics without revisiting rows.
struct Summary {
  double count = 0;
  double mean = 0;
  double squares = 0;  // Σ (r − mean)²

  void merge(const Summary& other) {
    const double total = count + other.count;
    if (total == 0) return;
    const double delta = other.mean - mean;
    squares += other.squares + delta * delta * count * other.count / total;
    mean += delta * other.count / total;
    count = total;
  }

  // The per-period Sharpe, or −inf when undefined (ranks lowest).
  double sharpe() const {
    if (count < 2) return -kInfinity;
    const double sd = std::sqrt(squares / (count - 1));
    return sd < kZeroVariance ? -kInfinity : mean / sd;
  }
};

}  // namespace

std::optional<double> sharpe_per_period(std::span<const double> returns) {
  require_finite(returns, "returns");
  if (returns.size() < 2) return std::nullopt;
  const double mean = mean_of(returns);
  const double sd = sample_sd(returns, mean);
  if (sd < kZeroVariance) return std::nullopt;
  return mean / sd;
}

std::optional<double> sharpe_per_period(std::span<const double> returns,
                                        std::span<const std::size_t> indices) {
  double sum = 0;
  for (const std::size_t i : indices) {
    if (i >= returns.size())
      throw ArgumentError(
          fmt::format("sharpe_per_period: index {} of {} returns", i, returns.size()));
    if (!std::isfinite(returns[i]))
      throw ArgumentError(fmt::format("returns[{}] is not finite ({})", i, returns[i]));
    sum += returns[i];
  }
  if (indices.size() < 2) return std::nullopt;
  const double mean = sum / static_cast<double>(indices.size());
  double squares = 0;
  for (const std::size_t i : indices) squares += (returns[i] - mean) * (returns[i] - mean);
  const double sd = std::sqrt(squares / static_cast<double>(indices.size() - 1));
  if (sd < kZeroVariance) return std::nullopt;
  return mean / sd;
}

std::optional<double> sharpe_ratio(std::span<const double> returns, double periods_per_year) {
  require_periods(periods_per_year);
  const auto sharpe = sharpe_per_period(returns);
  if (!sharpe) return std::nullopt;
  return *sharpe * std::sqrt(periods_per_year);
}

std::optional<double> downside_deviation(std::span<const double> returns, double mar) {
  require_finite(returns, "returns");
  if (returns.size() < 2) return std::nullopt;
  double sum = 0;
  for (const double value : returns) {
    const double shortfall = std::min(0.0, value - mar);
    sum += shortfall * shortfall;
  }
  return std::sqrt(sum / static_cast<double>(returns.size()));
}

std::optional<double> sortino_ratio(std::span<const double> returns, double periods_per_year,
                                    double mar) {
  require_periods(periods_per_year);
  const auto downside = downside_deviation(returns, mar);
  if (!downside) return std::nullopt;
  const double excess = mean_of(returns) - mar;
  if (*downside < kZeroVariance) {
    if (excess > 0) return kInfinity;
    return std::nullopt;
  }
  return excess / *downside * std::sqrt(periods_per_year);
}

double max_drawdown(std::span<const double> returns) {
  require_finite(returns, "returns");
  double equity = 1.0;
  double peak = 1.0;
  double worst = 0.0;
  for (const double value : returns) {
    equity *= 1.0 + value;
    if (equity <= 0) return 1.0;  // ruin
    peak = std::max(peak, equity);
    worst = std::max(worst, 1.0 - equity / peak);
  }
  return std::min(worst, 1.0);
}

std::optional<double> conditional_value_at_risk(std::span<const double> returns, double alpha) {
  if (!(alpha > 0 && alpha < 1)) {
    throw ArgumentError(fmt::format("alpha must be in (0, 1), was {}", alpha));
  }
  require_finite(returns, "returns");
  if (returns.empty()) return std::nullopt;
  std::vector<double> sorted(returns.begin(), returns.end());
  std::sort(sorted.begin(), sorted.end());
  const double tail = static_cast<double>(sorted.size()) * alpha;
  const auto k = static_cast<std::size_t>(std::floor(tail + 1e-9));
  const double frac = tail - static_cast<double>(k);
  double sum = 0;
  for (std::size_t i = 0; i < k && i < sorted.size(); ++i) sum += sorted[i];
  if (frac != 0 && k < sorted.size()) sum += frac * sorted[k];
  return -sum / tail;
}

std::optional<double> cvar_95(std::span<const double> returns) {
  return conditional_value_at_risk(returns, kCvarAlpha);
}

std::optional<double> cagr(std::span<const double> returns, double periods_per_year) {
  require_periods(periods_per_year);
  require_finite(returns, "returns");
  if (returns.empty()) return std::nullopt;
  double equity = 1.0;
  for (const double value : returns) {
    equity *= 1.0 + value;
    if (equity <= 0) return -1.0;  // ruin: the curve cannot come back
  }
  return std::pow(equity, periods_per_year / static_cast<double>(returns.size())) - 1.0;
}

std::optional<double> calmar_ratio(std::span<const double> returns, double periods_per_year) {
  const auto growth = cagr(returns, periods_per_year);
  if (!growth) return std::nullopt;
  const double drawdown = max_drawdown(returns);
  if (drawdown == 0) {
    if (*growth > 0) return kInfinity;
    return std::nullopt;
  }
  return *growth / drawdown;
}

std::optional<double> skewness(std::span<const double> returns) {
  require_finite(returns, "returns");
  if (returns.empty()) return std::nullopt;
  const double mean = mean_of(returns);
  if (!has_variance(returns, mean)) return std::nullopt;
  const double m2 = central_moment(returns, mean, 2);
  return central_moment(returns, mean, 3) / std::pow(m2, 1.5);
}

std::optional<double> kurtosis(std::span<const double> returns) {
  require_finite(returns, "returns");
  if (returns.empty()) return std::nullopt;
  const double mean = mean_of(returns);
  if (!has_variance(returns, mean)) return std::nullopt;
  const double m2 = central_moment(returns, mean, 2);
  return central_moment(returns, mean, 4) / (m2 * m2);
}

double normal_cdf(double x) {
  return 0.5 * std::erfc(-x / std::numbers::sqrt2);
}

double normal_quantile(double p) {
  if (!(p >= 0 && p <= 1)) throw ArgumentError(fmt::format("p must be in [0, 1], was {}", p));
  if (p == 0) return -kInfinity;
  if (p == 1) return kInfinity;
  if (p > 0.5) return -normal_quantile(1.0 - p);
  // Acklam's rational approximation, lower region and central region (p <= 0.5 here).
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  double x = 0;
  if (p < 0.02425) {
    const double q = std::sqrt(-2.0 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
  } else {
    const double q = p - 0.5;
    const double r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
  }
  // One Halley step on Φ(x) − p.
  const double error = normal_cdf(x) - p;
  const double u = error * std::sqrt(2.0 * std::numbers::pi) * std::exp(0.5 * x * x);
  return x - u / (1.0 + 0.5 * x * u);
}

std::optional<double> probabilistic_sharpe_ratio(double sharpe, std::size_t n, double skew,
                                                 double kurt, double benchmark_sharpe) {
  if (n < 2) return std::nullopt;
  const double radicand = 1.0 - skew * sharpe + (kurt - 1.0) / 4.0 * sharpe * sharpe;
  if (!(radicand > 0)) return std::nullopt;
  return normal_cdf((sharpe - benchmark_sharpe) * std::sqrt(static_cast<double>(n - 1)) /
                    std::sqrt(radicand));
}

std::optional<double> probabilistic_sharpe_ratio(std::span<const double> returns,
                                                 double benchmark_sharpe) {
  const auto sharpe = sharpe_per_period(returns);
  const auto skew = skewness(returns);
  const auto kurt = kurtosis(returns);
  if (!sharpe || !skew || !kurt) return std::nullopt;
  return probabilistic_sharpe_ratio(*sharpe, returns.size(), *skew, *kurt, benchmark_sharpe);
}

double expected_maximum_sharpe(std::size_t trials) {
  if (trials == 0) throw ArgumentError("trials must be at least 1, was 0");
  if (trials == 1) return 0.0;
  const double n = static_cast<double>(trials);
  return (1.0 - kEulerMascheroni) * normal_quantile(1.0 - 1.0 / n) +
         kEulerMascheroni * normal_quantile(1.0 - 1.0 / (n * std::numbers::e));
}

std::optional<double> deflated_sharpe_ratio(std::span<const double> returns, std::size_t trials,
                                            double trial_sharpe_variance) {
  if (!std::isfinite(trial_sharpe_variance) || trial_sharpe_variance < 0) {
    throw ArgumentError(fmt::format("trial_sharpe_variance must be finite and >= 0, was {}",
                                    trial_sharpe_variance));
  }
  const double expected_maximum = expected_maximum_sharpe(trials);
  if (trials >= 2 && trial_sharpe_variance == 0) return std::nullopt;
  return probabilistic_sharpe_ratio(returns, std::sqrt(trial_sharpe_variance) * expected_maximum);
}

TradeStatistics trade_statistics(std::span<const double> pnl) {
  require_finite(pnl, "pnl");
  TradeStatistics statistics;
  statistics.n_trades = pnl.size();
  if (pnl.empty()) return statistics;
  double gross_profit = 0;
  double gross_loss = 0;
  double total = 0;
  std::size_t wins = 0;
  std::size_t losses = 0;
  for (const double value : pnl) {
    total += value;
    if (value > 0) {
      gross_profit += value;
      ++wins;
    } else if (value < 0) {
      gross_loss -= value;
      ++losses;
    }
  }
  const double count = static_cast<double>(pnl.size());
  statistics.win_rate = static_cast<double>(wins) / count;
  statistics.expectancy = total / count;
  if (wins > 0) statistics.average_win = gross_profit / static_cast<double>(wins);
  if (losses > 0) statistics.average_loss = gross_loss / static_cast<double>(losses);
  if (wins > 0 && losses > 0)
    statistics.payoff = *statistics.average_win / *statistics.average_loss;
  if (losses > 0) {
    statistics.profit_factor = gross_profit / gross_loss;
  } else if (wins > 0) {
    statistics.profit_factor = kInfinity;
  }
  return statistics;
}

std::optional<PboResult> probability_of_backtest_overfitting(std::span<const double> matrix,
                                                             std::size_t trials,
                                                             std::size_t splits) {
  if (trials == 0 || matrix.size() % trials != 0) {
    throw ArgumentError(
        fmt::format("the matrix of {} values is not a whole number of rows of {} "
                    "trials",
                    matrix.size(), trials));
  }
  if (splits < 2 || splits % 2 != 0 || splits > kMaxPboSplits) {
    throw ArgumentError(
        fmt::format("splits must be even and in [2, {}], was {}", kMaxPboSplits, splits));
  }
  const std::size_t rows = matrix.size() / trials;
  if (rows < splits) {
    throw ArgumentError(fmt::format("{} rows cannot form {} splits", rows, splits));
  }
  const std::size_t block_rows = rows / splits;
  const std::size_t half = splits / 2;
  if (block_rows * half < 2) {
    throw ArgumentError(fmt::format(
        "{} rows in {} splits leave fewer than 2 rows in a half; use more rows", rows, splits));
  }
  require_finite(matrix, "matrix");
  if (trials < 2) return std::nullopt;

  PboResult result;
  result.rows_dropped = rows % splits;
  result.rows_used = rows - result.rows_dropped;
  // Per-block, per-trial summaries; the oldest rows_dropped rows are skipped.
  std::vector<Summary> blocks(splits * trials);
  for (std::size_t block = 0; block < splits; ++block) {
    for (std::size_t trial = 0; trial < trials; ++trial) {
      Summary& summary = blocks[block * trials + trial];
      const std::size_t first = result.rows_dropped + block * block_rows;
      double sum = 0;
      for (std::size_t row = first; row < first + block_rows; ++row) {
        sum += matrix[row * trials + trial];
      }
      summary.count = static_cast<double>(block_rows);
      summary.mean = sum / summary.count;
      for (std::size_t row = first; row < first + block_rows; ++row) {
        const double deviation = matrix[row * trials + trial] - summary.mean;
        summary.squares += deviation * deviation;
      }
    }
  }

  std::vector<std::size_t> chosen(half);
  for (std::size_t i = 0; i < half; ++i) chosen[i] = i;
  std::vector<char> in_sample(splits);
  std::vector<double> sharpe_in(trials);
  std::vector<double> sharpe_out(trials);
  std::size_t overfit = 0;
  std::size_t oos_losses = 0;
  while (true) {
    std::fill(in_sample.begin(), in_sample.end(), 0);
    for (const std::size_t block : chosen) in_sample[block] = 1;
    for (std::size_t trial = 0; trial < trials; ++trial) {
      Summary inside;
      Summary outside;
      for (std::size_t block = 0; block < splits; ++block) {
        (in_sample[block] ? inside : outside).merge(blocks[block * trials + trial]);
      }
      sharpe_in[trial] = inside.sharpe();
      sharpe_out[trial] = outside.sharpe();
    }
    const auto best = static_cast<std::size_t>(
        std::max_element(sharpe_in.begin(), sharpe_in.end()) - sharpe_in.begin());
    const double winner = sharpe_out[best];
    double below = 0;
    double equal = 0;
    for (const double value : sharpe_out) {
      if (value < winner) ++below;
      if (value == winner) ++equal;
    }
    const double rank = below + (equal + 1.0) / 2.0;
    const double omega = rank / static_cast<double>(trials + 1);
    const double logit = std::log(omega / (1.0 - omega));
    result.logits.push_back(logit);
    if (logit <= 0) ++overfit;
    if (winner < 0) ++oos_losses;

    // The next combination in lexicographic order.
    std::size_t i = half;
    while (i > 0 && chosen[i - 1] == splits - half + (i - 1)) --i;
    if (i == 0) break;
    ++chosen[i - 1];
    for (std::size_t j = i; j < half; ++j) chosen[j] = chosen[j - 1] + 1;
  }
  result.combinations = result.logits.size();
  result.pbo = static_cast<double>(overfit) / static_cast<double>(result.combinations);
  result.probability_oos_loss =
      static_cast<double>(oos_losses) / static_cast<double>(result.combinations);
  return result;
}

double exposure(std::span<const Interval> intervals, int64_t from, int64_t to) {
  if (to <= from) throw ArgumentError("exposure: the window must end after it begins");
  std::vector<Interval> clipped;
  for (const Interval& i : intervals) {
    if (i.end < i.begin) throw ArgumentError("exposure: an interval ends before it begins");
    const int64_t begin = std::max(i.begin, from);
    const int64_t end = std::min(i.end, to);
    if (end > begin) clipped.push_back({begin, end});
  }
  std::sort(clipped.begin(), clipped.end(),
            [](const Interval& a, const Interval& b) { return a.begin < b.begin; });
  int64_t covered = 0;
  int64_t reach = from;
  for (const Interval& i : clipped) {
    const int64_t begin = std::max(i.begin, reach);
    if (i.end > begin) covered += i.end - begin;
    reach = std::max(reach, i.end);
  }
  return static_cast<double>(covered) / static_cast<double>(to - from);
}

double turnover(double traded_notional, double average_equity, double years_elapsed) {
  if (!(average_equity > 0) || !std::isfinite(average_equity))
    throw ArgumentError("turnover: the average equity must be positive");
  if (!(years_elapsed > 0) || !std::isfinite(years_elapsed))
    throw ArgumentError("turnover: the time elapsed must be positive");
  if (!std::isfinite(traded_notional) || traded_notional < 0)
    throw ArgumentError("turnover: the traded notional must be finite and non-negative");
  return traded_notional / average_equity / years_elapsed;
}

}  // namespace gauntlet::validation
