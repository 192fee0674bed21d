#include "learning/features/indicator_pipeline.hpp"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <limits>

#include "core/exceptions.hpp"

namespace gauntlet::learning {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

enum class DerivedKind {
  kLogReturn,
  kCloseTo,        // close / a - 1
  kRatioMinusOne,  // a / b - 1
  kOverClose,      // a / close
  kPercentB,       // (close - lower) / (upper - lower); inputs upper, lower
  kWidth,          // (upper - lower) / middle; inputs upper, middle, lower
  kRangePosition,  // (close - min(a, b)) / |a - b|
};

struct Derived {
  DerivedKind kind;
  std::array<std::size_t, 3> inputs{};  // indexes into the indicator columns
  std::size_t input_count = 0;
};

double ratio(double numerator, double denominator) {
  return denominator != 0 ? numerator / denominator : kNaN;
}

// The single definition of every derived feature; `in` holds the values of its inputs.
double evaluate(DerivedKind kind, const std::array<double, 3>& in, double close,
                double previous_close) {
  switch (kind) {
    case DerivedKind::kLogReturn:
      return close > 0 && previous_close > 0 ? std::log(close / previous_close) : kNaN;
    case DerivedKind::kCloseTo:
      return ratio(close, in[0]) - 1.0;
    case DerivedKind::kRatioMinusOne:
      return ratio(in[0], in[1]) - 1.0;
    case DerivedKind::kOverClose:
      return ratio(in[0], close);
    case DerivedKind::kPercentB:
      return ratio(close - in[1], in[0] - in[1]);
    case DerivedKind::kWidth:
      return ratio(in[0] - in[2], in[1]);
    case DerivedKind::kRangePosition: {
      const double low = std::min(in[0], in[1]);
      return ratio(close - low, std::abs(in[0] - in[1]));
    }
  }
  return kNaN;
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

struct FeaturePipeline::Plan {
  std::vector<std::string> names;  // indicator columns, then derived features
  std::vector<std::string> indicator_names;
  std::vector<Derived> derived;

  explicit Plan(const FeatureSpec& spec) : indicator_names(spec.indicators) {
    names = spec.indicators;
    for (const std::string& name : spec.derived) {
      derived.push_back(parse(name));
      names.push_back(name);
    }
  }

  // The index of an indicator column of the spec, by its catalog name (canonical form
  // accepted: `rsi` matches a requested `rsi_14`).
  std::size_t input(std::string_view feature, const std::string& column) const {
    const std::string wanted = indicators::parse_column(column).canonical_name;
    for (std::size_t i = 0; i < indicator_names.size(); ++i) {
      if (indicators::parse_column(indicator_names[i]).canonical_name == wanted) return i;
    }
    throw ArgumentError(fmt::format(
        "derived feature '{}' needs the indicator column '{}' in the spec", feature, column));
  }

  Derived parse(const std::string& name) const {
    const std::string_view text = name;
    if (name == "log_return") return {DerivedKind::kLogReturn, {}, 0};
    if (starts_with(text, "close_to_")) {
      return {DerivedKind::kCloseTo, {input(name, name.substr(9)), 0, 0}, 1};
    }
    const auto parameters = [&](std::string_view prefix) { return name.substr(prefix.size()); };
    if (starts_with(text, "ema_spread_")) {
      const std::string rest = parameters("ema_spread_");
      const auto at = rest.find('_');
      if (at == std::string::npos) {
        throw ArgumentError(
            fmt::format("derived feature '{}': expected ema_spread_<fast>_<slow>", name));
      }
      return {
          DerivedKind::kRatioMinusOne,
          {input(name, "ema_" + rest.substr(0, at)), input(name, "ema_" + rest.substr(at + 1)), 0},
          2};
    }
    if (starts_with(text, "atr_percent_")) {
      return {DerivedKind::kOverClose, {input(name, "atr_" + parameters("atr_percent_")), 0, 0}, 1};
    }
    if (starts_with(text, "bb_percent_b_")) {
      const std::string p = parameters("bb_percent_b_");
      return {DerivedKind::kPercentB,
              {input(name, "bb_upper_" + p), input(name, "bb_lower_" + p), 0},
              2};
    }
    if (starts_with(text, "bb_width_")) {
      const std::string p = parameters("bb_width_");
      return {DerivedKind::kWidth,
              {input(name, "bb_upper_" + p), input(name, "bb_middle_" + p),
               input(name, "bb_lower_" + p)},
              3};
    }
    if (starts_with(text, "fib_position_")) {
      const std::string p = parameters("fib_position_");
      return {DerivedKind::kRangePosition,
              {input(name, "fib_0_" + p), input(name, "fib_1000_" + p), 0},
              2};
    }
    throw ArgumentError(fmt::format(
        "unknown derived feature '{}' (log_return, close_to_<column>, ema_spread_<f>_<s>, "
        "atr_percent_<n>, bb_percent_b_<n>_<k>, bb_width_<n>_<k>, fib_position_<n>)",
        name));
  }
};

FeatureSpec FeatureSpec::defaults() {
  FeatureSpec spec;
  spec.indicators = {"rsi_14",
                     "mfi_14",
                     "ema_9",
                     "ema_30",
                     "sma_30",
                     "sma_200",
                     "atr_14",
                     "bb_upper_20_2",
                     "bb_middle_20_2",
                     "bb_lower_20_2",
                     "fib_0_50",
                     "fib_236_50",
                     "fib_382_50",
                     "fib_500_50",
                     "fib_618_50",
                     "fib_786_50",
                     "fib_1000_50",
                     "fib_direction_50",
                     "adx_14",
                     "plus_di_14",
                     "minus_di_14",
                     "stoch_k_14_3_3",
                     "stoch_d_14_3_3",
                     "willr_14",
                     "cci_20",
                     "obv",
                     "entropy_volatility_20_10",
                     "market_regime_14_14_20_100"};
  spec.derived = {"log_return",     "close_to_ema_30",   "close_to_sma_200", "ema_spread_9_30",
                  "atr_percent_14", "bb_percent_b_20_2", "bb_width_20_2",    "fib_position_50"};
  return spec;
}

std::size_t FeatureFrame::index_of(std::string_view name) const {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return i;
  }
  throw ArgumentError(fmt::format("no feature column '{}'", name));
}

std::span<const double> FeatureFrame::column(std::string_view name) const {
  return columns[index_of(name)];
}

FeatureFrame build_features(const data::BarSeries& bars, const FeatureSpec& spec) {
  using Column = data::BarSeries::Column;
  const std::vector<double> open = bars.to_doubles(Column::kOpen);
  const std::vector<double> high = bars.to_doubles(Column::kHigh);
  const std::vector<double> low = bars.to_doubles(Column::kLow);
  const std::vector<double> close = bars.to_doubles(Column::kClose);
  const std::vector<double> volume = bars.to_doubles(Column::kVolume);
  return build_features(bars.open_time(), {open, high, low, close, volume}, spec);
}

FeatureFrame build_features(std::span<const int64_t> open_time, const indicators::BarColumns& bars,
                            const FeatureSpec& spec) {
  if (open_time.size() != bars.close.size()) {
    throw ArgumentError(
        fmt::format("{} open times for {} bars", open_time.size(), bars.close.size()));
  }
  const FeaturePipeline::Plan plan(spec);
  const indicators::IndicatorSet set(plan.indicator_names);
  const std::size_t rows = open_time.size();
  FeatureFrame frame;
  frame.names = plan.names;
  frame.open_time.assign(open_time.begin(), open_time.end());
  frame.columns.assign(plan.names.size(), std::vector<double>(rows, kNaN));
  std::vector<std::span<double>> outputs(
      frame.columns.begin(),
      frame.columns.begin() + static_cast<std::ptrdiff_t>(plan.indicator_names.size()));
  set.compute(bars, outputs);
  const std::size_t first_derived = plan.indicator_names.size();
  for (std::size_t d = 0; d < plan.derived.size(); ++d) {
    const Derived& derived = plan.derived[d];
    std::vector<double>& out = frame.columns[first_derived + d];
    for (std::size_t i = 0; i < rows; ++i) {
      std::array<double, 3> in{};
      for (std::size_t k = 0; k < derived.input_count; ++k)
        in[k] = frame.columns[derived.inputs[k]][i];
      out[i] = evaluate(derived.kind, in, bars.close[i], i > 0 ? bars.close[i - 1] : kNaN);
    }
  }
  return frame;
}

FeaturePipeline::FeaturePipeline(const FeatureSpec& spec)
    : plan_(std::make_unique<Plan>(spec)),
      indicators_(plan_->indicator_names),
      row_(plan_->names.size(), kNaN),
      previous_close_(kNaN) {}

FeaturePipeline::~FeaturePipeline() = default;
FeaturePipeline::FeaturePipeline(FeaturePipeline&&) noexcept = default;
FeaturePipeline& FeaturePipeline::operator=(FeaturePipeline&&) noexcept = default;

const std::vector<std::string>& FeaturePipeline::names() const {
  return plan_->names;
}

std::span<const double> FeaturePipeline::update(const Bar& bar) {
  return update(indicators::BarInput{bar.open.to_double(), bar.high.to_double(),
                                     bar.low.to_double(), bar.close.to_double(),
                                     bar.volume.to_double()});
}

std::span<const double> FeaturePipeline::update(const indicators::BarInput& bar) {
  const std::size_t count = plan_->indicator_names.size();
  indicators_.update(bar, std::span<double>(row_).first(count));
  for (std::size_t d = 0; d < plan_->derived.size(); ++d) {
    const Derived& derived = plan_->derived[d];
    std::array<double, 3> in{};
    for (std::size_t k = 0; k < derived.input_count; ++k) in[k] = row_[derived.inputs[k]];
    row_[count + d] = evaluate(derived.kind, in, bar.close, previous_close_);
  }
  previous_close_ = bar.close;
  return row_;
}

void FeaturePipeline::reset() {
  indicators_.reset();
  std::fill(row_.begin(), row_.end(), kNaN);
  previous_close_ = kNaN;
}

}  // namespace gauntlet::learning
