// File: learning/features/indicator_pipeline.hpp
//
// Owns the features (seed 001 §7.1 indicator_pipeline): indicator columns and the features
// derived from them, computed by the same code for training, backtests and live serving.
// build_features() builds a whole FeatureFrame from a series; FeaturePipeline produces the same
// rows one closed bar at a time. Both run the indicators' single kernels and the same derived
// feature functions, so a streamed row is byte-identical to the batch row of the same bar.
//
// A FeatureSpec names the columns: indicator columns by their catalog names (`rsi_14`,
// `bb_upper_20_2`, ...; see indicators/indicator_catalog.hpp) and derived features:
//   log_return              ln(close / previous close)
//   close_to_<column>       close / <column> - 1, for any indicator column (close_to_ema_30)
//   ema_spread_<f>_<s>      ema_<f> / ema_<s> - 1
//   atr_percent_<n>         atr_<n> / close
//   bb_percent_b_<n>_<k>    (close - bb_lower) / (bb_upper - bb_lower)
//   bb_width_<n>_<k>        (bb_upper - bb_lower) / bb_middle
//   fib_position_<n>        (close - swing low) / (swing high - swing low), from fib_0/fib_1000
// A derived feature's inputs must be among the spec's indicator columns. A value is NaN where
// an input is not warmed up yet (or a ratio's denominator is zero).
//
// Not thread-safe; one owner per FeaturePipeline. build_features() is reentrant.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/interfaces.hpp"
#include "data/bar_series.hpp"
#include "indicators/bar_columns.hpp"
#include "indicators/indicator_catalog.hpp"

namespace gauntlet::learning {

struct FeatureSpec {
  std::vector<std::string> indicators;  // catalog column names
  std::vector<std::string> derived;     // derived feature names (see above)

  // RSI, MFI, EMA, SMA, ATR, Bollinger and Fibonacci (seed §7.1), ADX/DI, stochastic,
  // Williams %R, CCI, OBV, entropy volatility and market regime, plus the scale-free derived
  // features.
  static FeatureSpec defaults();
};

// Named columns of doubles, one row per bar, with each bar's open time.
struct FeatureFrame {
  std::vector<std::string> names;
  std::vector<int64_t> open_time;
  std::vector<std::vector<double>> columns;  // columns[c][row]

  std::size_t rows() const { return open_time.size(); }
  // Throws ArgumentError naming the column when there is none by that name.
  std::size_t index_of(std::string_view name) const;
  std::span<const double> column(std::string_view name) const;
};

// The features of every bar of `bars` (which must be in time order).
FeatureFrame build_features(const data::BarSeries& bars,
                            const FeatureSpec& spec = FeatureSpec::defaults());
FeatureFrame build_features(std::span<const int64_t> open_time, const indicators::BarColumns& bars,
                            const FeatureSpec& spec = FeatureSpec::defaults());

// The same features, one closed bar at a time.
class FeaturePipeline {
 public:
  // Throws ArgumentError on an unknown column or a derived feature whose input is missing.
  explicit FeaturePipeline(const FeatureSpec& spec = FeatureSpec::defaults());
  ~FeaturePipeline();
  FeaturePipeline(FeaturePipeline&&) noexcept;
  FeaturePipeline& operator=(FeaturePipeline&&) noexcept;

  const std::vector<std::string>& names() const;

  // Feeds one closed bar; returns its feature row (valid until the next update).
  std::span<const double> update(const Bar& bar);
  std::span<const double> update(const indicators::BarInput& bar);
  std::span<const double> row() const { return row_; }

  // Forgets every bar.
  void reset();

  struct Plan;  // the parsed spec (defined in the .cpp)

 private:
  std::unique_ptr<Plan> plan_;
  indicators::IndicatorSet indicators_;
  std::vector<double> row_;
  double previous_close_;
};

}  // namespace gauntlet::learning
