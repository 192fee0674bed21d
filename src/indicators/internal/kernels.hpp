// File: indicators/internal/kernels.hpp
//
// The single definition of every indicator: one kernel per indicator, advanced one closed bar
// at a time by step(BarPointers) and returning its outputs (NaN while not warmed up). The batch
// functions run a kernel over the caller's arrays, the streaming objects run the same kernel
// over mirrored rings (drivers.hpp), so both produce the same doubles bit for bit.
//
// Conventions follow TA-Lib 0.4 (lookbacks, SMA-seeded EMA, Wilder smoothing, population
// standard deviation, slow stochastic, zero thresholds); the reference outputs in
// ../shared/data/reference are matched to 1e-9. Where TA-Lib's operation order costs a longer
// dependency chain, the kernel uses an algebraically equal form (x*k + ema*(1-k), avg*(n-1)/n +
// x/n, a running-sum delta), which stays within a few ulps of TA-Lib.
//
// Not thread-safe; one owner per kernel.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string_view>
#include <vector>

#include "core/exceptions.hpp"
#include "indicators/internal/history.hpp"

namespace gauntlet::indicators::internal {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// TA-Lib's TA_IS_ZERO: |x| below 1e-14.
inline bool near_zero(double x) {
  return -1e-14 < x && x < 1e-14;
}

// Throws ArgumentError unless minimum <= value <= maximum; returns the value.
double require_in_range(std::string_view what, double value, double minimum, double maximum);

// Throws ArgumentError unless minimum <= period <= 100000 (TA-Lib's maximum); returns it.
int require_period(std::string_view what, int period, int minimum);

// TA-Lib's TRUE_RANGE: the largest of high-low, |high-previous close|, |low-previous close|.
inline double true_range(double high, double low, double previous_close) {
  double range = high - low;
  const double up = std::abs(high - previous_close);
  const double down = std::abs(low - previous_close);
  if (up > range) range = up;
  if (down > range) range = down;
  return range;
}

// Simple moving average over `period` values: a running total, updated by (x_in - x_out) and
// recomputed exactly from the window every `period` bars, so it cannot drift over a long run
// (and SMA(1) is exactly its input). Reads value[-period], so its input needs a depth of
// period + 1.
class SmaKernel {
 public:
  static constexpr unsigned kInputs = kClose;
  static constexpr std::size_t kOutputs = 1;

  explicit SmaKernel(int period)
      : period_(require_period("SMA period", period, 1)), inverse_(1.0 / period) {}
  int depth() const { return period_ + 1; }
  int lookback() const { return period_ - 1; }

  std::array<double, 1> step(const BarPointers& bar) { return {update(bar.close)}; }

  double update(const double* value) {
    if (seen_ < period_) {
      sum_ += value[0];
      if (++seen_ < period_) return kNaN;
    } else if (since_exact_ == period_) {
      sum_ = window_sum(value - (period_ - 1), period_);
      since_exact_ = 0;
    } else {
      sum_ += value[0] - value[-period_];
    }
    ++since_exact_;
    return sum_ * inverse_;
  }

 private:
  int period_;
  double inverse_;
  int seen_ = 0;
  int since_exact_ = 0;  // bars since the total was last summed from scratch
  double sum_ = 0;
};

// Exponential moving average, k = 2/(period+1), seeded with the simple mean of the first
// `period` values (TA-Lib's default, not the first value).
class EmaKernel {
 public:
  static constexpr unsigned kInputs = kClose;
  static constexpr std::size_t kOutputs = 1;

  explicit EmaKernel(int period)
      : period_(require_period("EMA period", period, 1)),
        k_(2.0 / (period + 1)),
        one_minus_k_(1.0 - 2.0 / (period + 1)) {}
  int depth() const { return 1; }
  int lookback() const { return period_ - 1; }

  std::array<double, 1> step(const BarPointers& bar) { return {update(bar.close[0])}; }

  double update(double value) {
    if (seen_ < period_) {
      ema_ += value;
      if (++seen_ < period_) return kNaN;
      ema_ /= period_;
      return ema_;
    }
    ema_ = value * k_ + ema_ * one_minus_k_;
    return ema_;
  }

 private:
  int period_;
  double k_;
  double one_minus_k_;
  int seen_ = 0;
  double ema_ = 0;
};

// Wilder's smoothing of a series that starts one bar late (a change, a true range): the first
// `period` values are averaged, then avg = avg*(period-1)/period + x/period.
class WilderAverage {
 public:
  explicit WilderAverage(int period)
      : period_(period), decay_((period - 1.0) / period), inverse_(1.0 / period) {}

  // Adds one value; returns true once the average is defined.
  bool add(double x) {
    if (count_ < period_) {
      average_ += x;
      if (++count_ < period_) return false;
      average_ /= period_;
      return true;
    }
    average_ = average_ * decay_ + x * inverse_;
    return true;
  }
  double value() const { return average_; }

 private:
  int period_;
  double decay_;
  double inverse_;
  int count_ = 0;
  double average_ = 0;
};

// Relative strength index with Wilder's averages of gains and losses; 0 (as TA-Lib) when both
// averages are zero.
class RsiKernel {
 public:
  static constexpr unsigned kInputs = kClose;
  static constexpr std::size_t kOutputs = 1;

  explicit RsiKernel(int period)
      : period_(require_period("RSI period", period, 2)), gains_(period), losses_(period) {}
  int depth() const { return 1; }
  int lookback() const { return period_; }

  std::array<double, 1> step(const BarPointers& bar) { return {update(bar.close[0])}; }

  double update(double close) {
    if (!started_) {
      started_ = true;
      previous_ = close;
      return kNaN;
    }
    const double change = close - previous_;
    previous_ = close;
    const bool ready = gains_.add(change > 0 ? change : 0.0);
    losses_.add(change < 0 ? -change : 0.0);
    if (!ready) return kNaN;
    const double total = gains_.value() + losses_.value();
    return near_zero(total) ? 0.0 : 100.0 * (gains_.value() / total);
  }

 private:
  int period_;
  WilderAverage gains_;
  WilderAverage losses_;
  bool started_ = false;
  double previous_ = 0;
};

// Average true range with Wilder's smoothing; the first value is the mean of the true ranges
// of rows 1..period.
class AtrKernel {
 public:
  static constexpr unsigned kInputs = kHigh | kLow | kClose;
  static constexpr std::size_t kOutputs = 1;

  explicit AtrKernel(int period)
      : period_(require_period("ATR period", period, 1)), average_(period) {}
  int depth() const { return 1; }
  int lookback() const { return period_; }

  std::array<double, 1> step(const BarPointers& bar) {
    return {update(bar.high[0], bar.low[0], bar.close[0])};
  }

  double update(double high, double low, double close) {
    if (!started_) {
      started_ = true;
      previous_close_ = close;
      return kNaN;
    }
    const double range = true_range(high, low, previous_close_);
    previous_close_ = close;
    return average_.add(range) ? average_.value() : kNaN;
  }

 private:
  int period_;
  WilderAverage average_;
  bool started_ = false;
  double previous_close_ = 0;
};

// Average directional index with +DI and -DI (Wilder). Outputs {adx, +di, -di}; the DIs are
// defined from row `period` (TA-Lib's PLUS_DI/MINUS_DI), ADX from row 2*period-1.
class AdxKernel {
 public:
  static constexpr unsigned kInputs = kHigh | kLow | kClose;
  static constexpr std::size_t kOutputs = 3;

  explicit AdxKernel(int period)
      : period_(require_period("ADX period", period, 2)),
        decay_((period - 1.0) / period),
        inverse_(1.0 / period) {}
  int depth() const { return 1; }
  int lookback() const { return 2 * period_ - 1; }
  int di_lookback() const { return period_; }

  std::array<double, 3> step(const BarPointers& bar) {
    return update(bar.high[0], bar.low[0], bar.close[0]);
  }

  std::array<double, 3> update(double high, double low, double close) {
    if (row_++ == 0) {
      previous_high_ = high;
      previous_low_ = low;
      previous_close_ = close;
      return {kNaN, kNaN, kNaN};
    }
    const double up = high - previous_high_;
    const double down = previous_low_ - low;
    // The two cases exclude each other (up < down, up > down). Multiplying by 0 or 1 is exact
    // and, unlike a branch, costs nothing when the direction changes at random.
    const double minus_dm = down * static_cast<double>((down > 0) & (up < down));
    const double plus_dm = up * static_cast<double>((up > 0) & (up > down));
    const double range = true_range(high, low, previous_close_);
    previous_high_ = high;
    previous_low_ = low;
    previous_close_ = close;

    const int row = row_ - 1;
    if (row < period_) {  // rows 1..period-1 seed the Wilder sums
      plus_sum_ += plus_dm;
      minus_sum_ += minus_dm;
      range_sum_ += range;
      return {kNaN, kNaN, kNaN};
    }
    plus_sum_ = plus_sum_ * decay_ + plus_dm;
    minus_sum_ = minus_sum_ * decay_ + minus_dm;
    range_sum_ = range_sum_ * decay_ + range;

    double plus_di = 0, minus_di = 0, dx = kNaN;
    if (!near_zero(range_sum_)) {
      const double scale = 100.0 / range_sum_;
      plus_di = plus_sum_ * scale;
      minus_di = minus_sum_ * scale;
      const double di_sum = plus_di + minus_di;
      if (!near_zero(di_sum)) dx = 100.0 * (std::abs(minus_di - plus_di) / di_sum);
    }
    if (row < 2 * period_ - 1) {  // rows period..2*period-2: the DX seed
      if (!std::isnan(dx)) adx_ += dx;
      return {kNaN, plus_di, minus_di};
    }
    if (row == 2 * period_ - 1) {
      if (!std::isnan(dx)) adx_ += dx;
      adx_ *= inverse_;
    } else if (!std::isnan(dx)) {
      adx_ = adx_ * decay_ + dx * inverse_;
    }
    return {adx_, plus_di, minus_di};
  }

 private:
  int period_;
  double decay_;
  double inverse_;
  int row_ = 0;
  double previous_high_ = 0, previous_low_ = 0, previous_close_ = 0;
  double plus_sum_ = 0, minus_sum_ = 0, range_sum_ = 0;
  double adx_ = 0;
};

// Commodity channel index: (TP - mean) / (0.015 * mean absolute deviation) over `period`
// typical prices TP = (high+low+close)/3; 0 when either is zero (TA-Lib). The mean is SMA's
// running total (O(1), re-summed every `period` bars); the deviation is re-summed each bar, as
// in TA-Lib, but eight lanes wide.
class CciKernel {
 public:
  static constexpr unsigned kInputs = kHigh | kLow | kClose;
  static constexpr std::size_t kOutputs = 1;

  explicit CciKernel(int period)
      : period_(require_period("CCI period", period, 2)),
        inverse_(1.0 / period),
        typical_(static_cast<std::size_t>(period) + 1),
        mean_(period) {}
  int depth() const { return 1; }
  int lookback() const { return period_ - 1; }

  std::array<double, 1> step(const BarPointers& bar) {
    return {update(bar.high[0], bar.low[0], bar.close[0])};
  }

  double update(double high, double low, double close) {
    const double tp = (high + low + close) * (1.0 / 3.0);
    typical_.push(tp);
    const double mean = mean_.update(typical_.newest());
    if (std::isnan(mean)) return kNaN;
    const double deviation =
        window_abs_deviation_sum(typical_.newest() - (period_ - 1), period_, mean);
    const double distance = tp - mean;
    if (near_zero(distance) || near_zero(deviation)) return 0.0;
    return distance / (0.015 * (deviation * inverse_));
  }

 private:
  int period_;
  double inverse_;
  MirroredRing typical_;
  SmaKernel mean_;
};

// Bollinger bands: middle = SMA(period), bands at +-deviations * the population standard
// deviation; the deviation is 0 when the variance is below 1e-14 (TA-Lib). The variance comes
// from running sums of (x - anchor) and (x - anchor)^2, where the anchor is the mean at the
// last re-anchoring: every `period` bars the sums are recomputed exactly from the window
// around the current mean. That is O(1) per bar like TA-Lib's running sum of squares, without
// its cancellation (x^2 of a price near 60000 is 3.6e9) and without drift over long runs.
// Outputs {upper, middle, lower}.
class BollingerKernel {
 public:
  static constexpr unsigned kInputs = kClose;
  static constexpr std::size_t kOutputs = 3;

  BollingerKernel(int period, double deviations_up, double deviations_down)
      : period_(require_period("Bollinger period", period, 2)),
        inverse_(1.0 / period),
        up_(require_in_range("Bollinger upper deviations", deviations_up, -3e37, 3e37)),
        down_(require_in_range("Bollinger lower deviations", deviations_down, -3e37, 3e37)),
        middle_(period),
        since_anchor_(period) {}
  int depth() const { return period_ + 1; }
  int lookback() const { return period_ - 1; }

  std::array<double, 3> step(const BarPointers& bar) { return update(bar.close); }

  std::array<double, 3> update(const double* close) {
    const double middle = middle_.update(close);
    if (std::isnan(middle)) return {kNaN, kNaN, kNaN};
    if (since_anchor_ == period_) {
      anchor_ = middle;
      const double* first = close - (period_ - 1);
      sum_ = window_sum(first, period_) - period_ * anchor_;
      squares_ = window_squared_deviation_sum(first, period_, anchor_);
      since_anchor_ = 0;
    } else {
      const double in = close[0] - anchor_;
      const double out = close[-period_] - anchor_;
      sum_ += in - out;
      squares_ += in * in - out * out;
    }
    ++since_anchor_;
    const double mean = sum_ * inverse_;
    const double variance = squares_ * inverse_ - mean * mean;
    const double deviation = variance < 1e-14 ? 0.0 : std::sqrt(variance);
    return {middle + deviation * up_, middle, middle - deviation * down_};
  }

 private:
  int period_;
  double inverse_;
  double up_;
  double down_;
  SmaKernel middle_;
  int since_anchor_;
  double anchor_ = 0;
  double sum_ = 0;      // sum of (x - anchor) over the window
  double squares_ = 0;  // sum of (x - anchor)^2 over the window
};

// Slow stochastic oscillator: fast %K over `fast_k` bars, slow %K = SMA(slow_k) of fast %K,
// slow %D = SMA(slow_d) of slow %K. Both outputs start on the same row, as in TA-Lib.
// Outputs {slow %K, slow %D}.
class StochasticKernel {
 public:
  static constexpr unsigned kInputs = kHigh | kLow | kClose;
  static constexpr std::size_t kOutputs = 2;

  StochasticKernel(int fast_k, int slow_k, int slow_d)
      : fast_k_(checked(fast_k, slow_k, slow_d)),
        range_(fast_k),
        fast_values_(static_cast<std::size_t>(slow_k < 0 ? 1 : slow_k + 1)),
        slow_values_(static_cast<std::size_t>(slow_d < 0 ? 1 : slow_d + 1)),
        slow_k_(slow_k),
        slow_d_(slow_d) {}
  int depth() const { return fast_k_; }
  int lookback() const { return fast_k_ - 1 + slow_k_.lookback() + slow_d_.lookback(); }

  std::array<double, 2> step(const BarPointers& bar) {
    if (seen_ < fast_k_) ++seen_;
    range_.update(bar.high, bar.low);
    if (seen_ < fast_k_) return {kNaN, kNaN};
    const double high = range_.high(), low = range_.low();
    const double range = high - low;
    fast_values_.push(range != 0.0 ? 100.0 * (bar.close[0] - low) / range : 0.0);
    const double slow_k = slow_k_.update(fast_values_.newest());
    if (std::isnan(slow_k)) return {kNaN, kNaN};
    slow_values_.push(slow_k);
    const double slow_d = slow_d_.update(slow_values_.newest());
    if (std::isnan(slow_d)) return {kNaN, kNaN};
    return {slow_k, slow_d};
  }

 private:
  static int checked(int fast_k, int slow_k, int slow_d) {
    require_period("stochastic fast %K period", fast_k, 1);
    require_period("stochastic slow %K period", slow_k, 1);
    require_period("stochastic slow %D period", slow_d, 1);
    return fast_k;
  }

  int fast_k_;
  int seen_ = 0;
  RollingRange range_;
  MirroredRing fast_values_;
  MirroredRing slow_values_;
  SmaKernel slow_k_;
  SmaKernel slow_d_;
};

// Williams %R: (HH - close) / ((HH - LL) / -100) over `period` bars, in -100..0; 0 when
// HH == LL.
class WilliamsRKernel {
 public:
  static constexpr unsigned kInputs = kHigh | kLow | kClose;
  static constexpr std::size_t kOutputs = 1;

  explicit WilliamsRKernel(int period)
      : period_(require_period("Williams %R period", period, 2)), range_(period) {}
  int depth() const { return period_; }
  int lookback() const { return period_ - 1; }

  std::array<double, 1> step(const BarPointers& bar) {
    if (seen_ < period_) ++seen_;
    range_.update(bar.high, bar.low);
    if (seen_ < period_) return {kNaN};
    const double high = range_.high(), low = range_.low();
    const double range = high - low;
    return {range != 0.0 ? -100.0 * (high - bar.close[0]) / range : 0.0};
  }

 private:
  int period_;
  int seen_ = 0;
  RollingRange range_;
};

// On-balance volume, starting at the first bar's volume (TA-Lib), then +volume on a higher
// close, -volume on a lower close.
class ObvKernel {
 public:
  static constexpr unsigned kInputs = kClose | kVolume;
  static constexpr std::size_t kOutputs = 1;

  int depth() const { return 1; }
  int lookback() const { return 0; }

  std::array<double, 1> step(const BarPointers& bar) {
    return {update(bar.close[0], bar.volume[0])};
  }

  double update(double close, double volume) {
    if (!started_) {
      started_ = true;
      obv_ = volume;
    } else {
      // volume times +1, -1 or 0 is exact; without branches the chain is one addition.
      const double sign = static_cast<double>(close > previous_) - (close < previous_);
      obv_ += volume * sign;
    }
    previous_ = close;
    return obv_;
  }

 private:
  bool started_ = false;
  double previous_ = 0;
  double obv_ = 0;
};

// Money flow index: positive and negative raw money flows (TP * volume, signed by the change
// of TP) summed over the last `period` bars; 100 * pos / (pos + neg), 0 when the total is
// below 1.0 (TA-Lib's absolute threshold).
class MfiKernel {
 public:
  static constexpr unsigned kInputs = kHigh | kLow | kClose | kVolume;
  static constexpr std::size_t kOutputs = 1;

  explicit MfiKernel(int period)
      : period_(require_period("MFI period", period, 2)),
        positive_(static_cast<std::size_t>(period < 0 ? 1 : period + 1)),
        negative_(static_cast<std::size_t>(period < 0 ? 1 : period + 1)) {}
  int depth() const { return 1; }
  int lookback() const { return period_; }

  std::array<double, 1> step(const BarPointers& bar) {
    return {update(bar.high[0], bar.low[0], bar.close[0], bar.volume[0])};
  }

  double update(double high, double low, double close, double volume) {
    const double tp = (high + low + close) / 3.0;
    if (flows_ < 0) {
      flows_ = 0;
      previous_ = tp;
      return kNaN;
    }
    const double flow = tp * volume;
    const double positive = tp > previous_ ? flow : 0.0;
    const double negative = tp < previous_ ? flow : 0.0;
    previous_ = tp;
    positive_.push(positive);
    negative_.push(negative);
    if (flows_ < period_) {
      positive_sum_ += positive;
      negative_sum_ += negative;
      if (++flows_ < period_) return kNaN;
    } else {
      positive_sum_ += positive - positive_.newest()[-period_];
      negative_sum_ += negative - negative_.newest()[-period_];
    }
    const double total = positive_sum_ + negative_sum_;
    return total < 1.0 ? 0.0 : 100.0 * (positive_sum_ / total);
  }

 private:
  int period_;
  MirroredRing positive_;
  MirroredRing negative_;
  int flows_ = -1;  // -1 before the first bar
  double previous_ = 0;
  double positive_sum_ = 0;
  double negative_sum_ = 0;
};

// Entropy volatility (not in TA-Lib): the Shannon entropy of the last `window` log returns
// ln(close/previous close), binned into `bins` equal-width bins spanning their minimum to their
// maximum (a value on an edge goes to the upper bin, the maximum to the last bin: exactly
// numpy.histogram), normalised by ln(bins) into 0..1. 0 when every return in the window is the
// same. A non-positive close gives a return of 0.
class EntropyVolatilityKernel {
 public:
  static constexpr unsigned kInputs = kClose;
  static constexpr std::size_t kOutputs = 1;

  EntropyVolatilityKernel(int window, int bins)
      : window_(require_period("entropy window", window, 2)),
        bins_(bins),
        returns_(static_cast<std::size_t>(window < 1 ? 1 : window)),
        counts_(static_cast<std::size_t>(bins < 1 ? 1 : bins)),
        edges_(static_cast<std::size_t>(bins < 1 ? 2 : bins + 1)) {
    require_in_range("entropy bins", bins, 2, 1000);
    count_log_count_.resize(static_cast<std::size_t>(window) + 1);
    for (int c = 1; c <= window; ++c) count_log_count_[c] = c * std::log(static_cast<double>(c));
    log_window_ = std::log(static_cast<double>(window));
    inverse_log_bins_ = 1.0 / std::log(static_cast<double>(bins));
  }
  int depth() const { return 1; }
  int lookback() const { return window_; }

  std::array<double, 1> step(const BarPointers& bar) { return {update(bar.close[0])}; }

  double update(double close) {
    if (!started_) {
      started_ = true;
      previous_ = close;
      return kNaN;
    }
    const double r = close > 0 && previous_ > 0 ? std::log(close / previous_) : 0.0;
    previous_ = close;
    returns_.push(r);
    if (seen_ < window_ && ++seen_ < window_) return kNaN;
    const double* first = returns_.newest() - (window_ - 1);
    double low = first[0], high = first[0];
    for (int i = 1; i < window_; ++i) {
      low = first[i] < low ? first[i] : low;
      high = first[i] > high ? first[i] : high;
    }
    if (!(high > low)) return 0.0;
    // numpy.histogram's binning: edges linspace(low, high, bins + 1), the index from the
    // scaled distance, then corrected against the edges so a value on an edge goes up.
    const double width = (high - low) / bins_;
    for (int k = 0; k < bins_; ++k) edges_[k] = k * width + low;
    edges_[bins_] = high;
    std::fill(counts_.begin(), counts_.end(), 0);
    const double range = high - low;
    for (int i = 0; i < window_; ++i) {
      const double x = first[i];
      const double position = (x - low) / range * bins_;  // 0..bins
      int bin = position < bins_ ? static_cast<int>(position) : bins_ - 1;
      if (x < edges_[bin]) --bin;
      if (bin != bins_ - 1 && x >= edges_[bin + 1]) ++bin;
      ++counts_[bin];
    }
    double sum = 0;
    for (int c : counts_) sum += count_log_count_[c];
    const double entropy = (log_window_ - sum / window_) * inverse_log_bins_;
    return entropy > 0 ? entropy : 0.0;
  }

 private:
  int window_;
  int bins_;
  MirroredRing returns_;
  std::vector<int> counts_;
  std::vector<double> edges_;
  std::vector<double> count_log_count_;
  double log_window_ = 0;
  double inverse_log_bins_ = 0;
  bool started_ = false;
  int seen_ = 0;
  double previous_ = 0;
};

// The retracement ratios of fibonacci_retracement, in output order.
inline constexpr std::array<double, 7> kFibonacciRatios = {0.0,   0.236, 0.382, 0.5,
                                                           0.618, 0.786, 1.0};

// Fibonacci retracement (not in TA-Lib) over the last `lookback` bars: swing high H = highest
// high, swing low L = lowest low. If the high is the more recent extreme (an up-swing) level p
// is H - p*(H-L), so 0 % sits at the high; otherwise (a down-swing) it is L + p*(H-L), 0 % at
// the low. Outputs the seven levels, then the swing direction (+1 up, -1 down).
class FibonacciKernel {
 public:
  static constexpr unsigned kInputs = kHigh | kLow;
  static constexpr std::size_t kOutputs = 8;

  explicit FibonacciKernel(int lookback)
      : lookback_(require_period("Fibonacci lookback", lookback, 2)),
        highest_(lookback),
        lowest_(lookback) {}
  int depth() const { return lookback_; }
  int lookback() const { return lookback_ - 1; }

  std::array<double, 8> step(const BarPointers& bar) {
    if (seen_ < lookback_) ++seen_;
    const double high = highest_.update(bar.high, seen_);
    const double low = lowest_.update(bar.low, seen_);
    std::array<double, 8> out;
    if (seen_ < lookback_) {
      out.fill(kNaN);
      return out;
    }
    const bool up = highest_.age() <= lowest_.age();
    const double range = high - low;
    for (std::size_t i = 0; i < kFibonacciRatios.size(); ++i)
      out[i] = up ? high - kFibonacciRatios[i] * range : low + kFibonacciRatios[i] * range;
    out[7] = up ? 1.0 : -1.0;
    return out;
  }

 private:
  int lookback_;
  int seen_ = 0;
  RollingExtreme<false> highest_;
  RollingExtreme<true> lowest_;
};

// The regimes market_regime reports, as the numbers in its output column.
enum class Regime { kRange = 0, kTrendUp = 1, kTrendDown = -1, kHighVolatility = 2 };

// The parameters of market_regime: indicator periods, the window of the percentile ranks, and
// the enter/exit thresholds that give it hysteresis.
struct MarketRegimeParams {
  int adx_period = 14;
  int atr_period = 14;
  int bollinger_period = 20;
  int rank_window = 100;
  double bollinger_deviations = 2.0;
  double trend_enter_adx = 25.0;        // enter a trend at ADX >= this
  double trend_exit_adx = 20.0;         // leave it when ADX < this
  double volatility_enter_rank = 0.90;  // ATR% rank to enter high volatility ...
  double width_enter_rank = 0.80;       // ... together with the Bollinger width rank
  double volatility_exit_rank = 0.70;   // leave when the ATR% rank falls below this
};

// Market regime (not in TA-Lib), from ADX(+DI/-DI), the percentile rank of ATR/close and the
// percentile rank of the Bollinger width (upper-lower)/middle over `rank_window` bars; see the
// README for the state machine. Outputs the Regime as a number.
class MarketRegimeKernel {
 public:
  static constexpr unsigned kInputs = kHigh | kLow | kClose;
  static constexpr std::size_t kOutputs = 1;

  explicit MarketRegimeKernel(const MarketRegimeParams& params)
      : params_(checked(params)),
        adx_(params.adx_period),
        atr_(params.atr_period),
        bands_(params.bollinger_period, params.bollinger_deviations, params.bollinger_deviations),
        atr_ranks_(static_cast<std::size_t>(params.rank_window < 1 ? 1 : params.rank_window)),
        width_ranks_(static_cast<std::size_t>(params.rank_window < 1 ? 1 : params.rank_window)) {}
  int depth() const { return bands_.depth(); }
  int lookback() const {
    const int w = params_.rank_window;
    int value = adx_.lookback();
    value = std::max(value, atr_.lookback() + w - 1);
    value = std::max(value, bands_.lookback() + w - 1);
    return value;
  }

  std::array<double, 1> step(const BarPointers& bar) {
    const auto [adx, plus_di, minus_di] = adx_.step(bar);
    const double atr = atr_.update(bar.high[0], bar.low[0], bar.close[0]);
    const auto [upper, middle, lower] = bands_.update(bar.close);
    if (!std::isnan(atr)) push_rank(atr_ranks_, atr_seen_, atr / bar.close[0]);
    if (!std::isnan(middle)) push_rank(width_ranks_, width_seen_, (upper - lower) / middle);
    if (std::isnan(adx) || atr_seen_ < params_.rank_window || width_seen_ < params_.rank_window) {
      return {kNaN};
    }
    const double atr_rank = rank(atr_ranks_);
    const double width_rank = rank(width_ranks_);
    regime_ = next_regime(adx, plus_di, minus_di, atr_rank, width_rank);
    return {static_cast<double>(static_cast<int>(regime_))};
  }

 private:
  static const MarketRegimeParams& checked(const MarketRegimeParams& params) {
    require_period("market regime ADX period", params.adx_period, 2);
    require_period("market regime ATR period", params.atr_period, 1);
    require_period("market regime Bollinger period", params.bollinger_period, 2);
    require_period("market regime rank window", params.rank_window, 2);
    require_in_range("market regime trend enter ADX", params.trend_enter_adx, 0, 100);
    require_in_range("market regime trend exit ADX", params.trend_exit_adx, 0,
                     params.trend_enter_adx);
    require_in_range("market regime volatility enter rank", params.volatility_enter_rank, 0, 1);
    require_in_range("market regime width enter rank", params.width_enter_rank, 0, 1);
    require_in_range("market regime volatility exit rank", params.volatility_exit_rank, 0,
                     params.volatility_enter_rank);
    return params;
  }

  void push_rank(MirroredRing& ring, int& seen, double value) {
    ring.push(value);
    if (seen < params_.rank_window) ++seen;
  }
  // The share of the window at or below its newest value.
  double rank(const MirroredRing& ring) const {
    const double* newest = ring.newest();
    const double x = newest[0];
    int below = 0;
    for (int k = 0; k < params_.rank_window; ++k) below += newest[-k] <= x ? 1 : 0;
    return static_cast<double>(below) / params_.rank_window;
  }
  Regime next_regime(double adx, double plus_di, double minus_di, double atr_rank,
                     double width_rank) const {
    const bool volatile_now =
        regime_ == Regime::kHighVolatility
            ? atr_rank >= params_.volatility_exit_rank
            : atr_rank >= params_.volatility_enter_rank && width_rank >= params_.width_enter_rank;
    if (volatile_now) return Regime::kHighVolatility;
    const bool trending = regime_ == Regime::kTrendUp || regime_ == Regime::kTrendDown;
    if (trending && adx >= params_.trend_exit_adx) {
      if (adx >= params_.trend_enter_adx) {  // a strong trend may turn round
        if (regime_ == Regime::kTrendUp && minus_di > plus_di) return Regime::kTrendDown;
        if (regime_ == Regime::kTrendDown && plus_di > minus_di) return Regime::kTrendUp;
      }
      return regime_;
    }
    if (adx >= params_.trend_enter_adx) {
      if (plus_di > minus_di) return Regime::kTrendUp;
      if (minus_di > plus_di) return Regime::kTrendDown;
    }
    return Regime::kRange;
  }

  MarketRegimeParams params_;
  AdxKernel adx_;
  AtrKernel atr_;
  BollingerKernel bands_;
  MirroredRing atr_ranks_;
  MirroredRing width_ranks_;
  int atr_seen_ = 0;
  int width_seen_ = 0;
  Regime regime_ = Regime::kRange;
};

}  // namespace gauntlet::indicators::internal
