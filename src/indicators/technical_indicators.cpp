#include "indicators/technical_indicators.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace gauntlet::indicators {

// ----- internal helpers -----

namespace internal {

double require_in_range(std::string_view what, double value, double minimum, double maximum) {
  if (!(value >= minimum && value <= maximum)) {
    throw ArgumentError(
        fmt::format("{} must be between {} and {}, was {}", what, minimum, maximum, value));
  }
  return value;
}

int require_period(std::string_view what, int period, int minimum) {
  if (period < minimum || period > 100000) {
    throw ArgumentError(
        fmt::format("{} must be between {} and 100000, was {}", what, minimum, period));
  }
  return period;
}

void require_columns(const BarColumns& bars, unsigned inputs, std::size_t size) {
  const auto check = [&](unsigned bit, std::span<const double> column, const char* name) {
    if ((inputs & bit) != 0 && column.size() != size) {
      throw ArgumentError(fmt::format("the {} column has {} values but the output has {}", name,
                                      column.size(), size));
    }
  };
  check(kOpen, bars.open, "open");
  check(kHigh, bars.high, "high");
  check(kLow, bars.low, "low");
  check(kClose, bars.close, "close");
  check(kVolume, bars.volume, "volume");
}

void require_output(std::span<double> output, std::size_t size) {
  if (!output.empty() && output.size() != size) {
    throw ArgumentError(
        fmt::format("an output span has {} values, expected {}", output.size(), size));
  }
}

}  // namespace internal

std::size_t BarColumns::size() const {
  return std::max({open.size(), high.size(), low.size(), close.size(), volume.size()});
}

BarInput BarColumns::at(std::size_t i) const {
  BarInput bar;
  if (i < open.size()) bar.open = open[i];
  if (i < high.size()) bar.high = high[i];
  if (i < low.size()) bar.low = low[i];
  if (i < close.size()) bar.close = close[i];
  if (i < volume.size()) bar.volume = volume[i];
  return bar;
}

namespace {

using internal::run_batch;

BarColumns close_only(std::span<const double> close) {
  BarColumns bars;
  bars.close = close;
  return bars;
}

// A batch output of the same length as the input.
template <class Kernel>
void run_single(Kernel kernel, const BarColumns& bars, std::span<double> out) {
  internal::require_columns(bars, Kernel::kInputs, out.size());
  run_batch(std::move(kernel), bars, std::array<std::span<double>, 1>{out});
}

// Runs a kernel over the whole input and returns its last outputs, or none if not defined.
template <class Kernel>
std::optional<std::array<double, Kernel::kOutputs>> last_value(Kernel kernel,
                                                               const BarColumns& bars) {
  const std::size_t size = bars.size();
  internal::require_columns(bars, Kernel::kInputs, size);
  if (size == 0) return std::nullopt;
  std::array<std::vector<double>, Kernel::kOutputs> columns;
  std::array<std::span<double>, Kernel::kOutputs> outputs;
  for (std::size_t j = 0; j < Kernel::kOutputs; ++j) {
    columns[j].assign(size, 0.0);
    outputs[j] = columns[j];
  }
  run_batch(std::move(kernel), bars, outputs);
  std::array<double, Kernel::kOutputs> last;
  for (std::size_t j = 0; j < Kernel::kOutputs; ++j) last[j] = columns[j].back();
  if (std::isnan(last[0])) return std::nullopt;
  return last;
}

template <class Kernel>
std::optional<double> last_scalar(Kernel kernel, const BarColumns& bars) {
  const auto last = last_value(std::move(kernel), bars);
  if (!last) return std::nullopt;
  return (*last)[0];
}

}  // namespace

// ----- batch -----

void sma(std::span<const double> values, int period, std::span<double> out) {
  run_single(internal::SmaKernel(period), close_only(values), out);
}
void ema(std::span<const double> values, int period, std::span<double> out) {
  run_single(internal::EmaKernel(period), close_only(values), out);
}
void rsi(std::span<const double> close, int period, std::span<double> out) {
  run_single(internal::RsiKernel(period), close_only(close), out);
}
void stochastic_oscillator(const BarColumns& bars, int fast_k, int slow_k, int slow_d,
                           std::span<double> k, std::span<double> d) {
  run_batch(internal::StochasticKernel(fast_k, slow_k, slow_d), bars,
            std::array<std::span<double>, 2>{k, d});
}
void williams_r(const BarColumns& bars, int period, std::span<double> out) {
  run_single(internal::WilliamsRKernel(period), bars, out);
}
void obv(std::span<const double> close, std::span<const double> volume, std::span<double> out) {
  BarColumns bars;
  bars.close = close;
  bars.volume = volume;
  run_single(internal::ObvKernel(), bars, out);
}
void atr(const BarColumns& bars, int period, std::span<double> out) {
  run_single(internal::AtrKernel(period), bars, out);
}
void adx(const BarColumns& bars, int period, std::span<double> adx, std::span<double> plus_di,
         std::span<double> minus_di) {
  run_batch(internal::AdxKernel(period), bars,
            std::array<std::span<double>, 3>{adx, plus_di, minus_di});
}
void cci(const BarColumns& bars, int period, std::span<double> out) {
  run_single(internal::CciKernel(period), bars, out);
}
void bollinger_bands(std::span<const double> close, int period, double deviations_up,
                     double deviations_down, std::span<double> upper, std::span<double> middle,
                     std::span<double> lower) {
  run_batch(internal::BollingerKernel(period, deviations_up, deviations_down), close_only(close),
            std::array<std::span<double>, 3>{upper, middle, lower});
}
void mfi(const BarColumns& bars, int period, std::span<double> out) {
  run_single(internal::MfiKernel(period), bars, out);
}
void entropy_volatility(std::span<const double> close, int window, int bins,
                        std::span<double> out) {
  run_single(internal::EntropyVolatilityKernel(window, bins), close_only(close), out);
}
void fibonacci_retracement(const BarColumns& bars, int lookback,
                           const std::array<std::span<double>, 7>& levels,
                           std::span<double> direction) {
  std::array<std::span<double>, 8> outputs;
  for (std::size_t i = 0; i < 7; ++i) outputs[i] = levels[i];
  outputs[7] = direction;
  run_batch(internal::FibonacciKernel(lookback), bars, outputs);
}
void market_regime(const BarColumns& bars, const MarketRegimeParams& params,
                   std::span<double> out) {
  run_single(internal::MarketRegimeKernel(params), bars, out);
}

// ----- streaming -----

std::optional<Regime> MarketRegime::regime() const {
  const double code = value();
  if (std::isnan(code)) return std::nullopt;
  return static_cast<Regime>(static_cast<int>(code));
}

// ----- scalar -----

std::optional<double> sma(std::span<const double> data, int window) {
  return last_scalar(internal::SmaKernel(window), close_only(data));
}
std::optional<double> ema(std::span<const double> data, int window) {
  return last_scalar(internal::EmaKernel(window), close_only(data));
}
std::optional<double> rsi(std::span<const double> close, int window) {
  return last_scalar(internal::RsiKernel(window), close_only(close));
}
std::optional<double> atr(const BarColumns& bars, int window) {
  return last_scalar(internal::AtrKernel(window), bars);
}
std::optional<double> cci(const BarColumns& bars, int window) {
  return last_scalar(internal::CciKernel(window), bars);
}
std::optional<double> williams_r(const BarColumns& bars, int window) {
  return last_scalar(internal::WilliamsRKernel(window), bars);
}
std::optional<double> mfi(const BarColumns& bars, int window) {
  return last_scalar(internal::MfiKernel(window), bars);
}
std::optional<double> entropy_volatility(std::span<const double> close, int window, int bins) {
  return last_scalar(internal::EntropyVolatilityKernel(window, bins), close_only(close));
}
std::optional<AdxValue> adx(const BarColumns& bars, int window) {
  const auto last = last_value(internal::AdxKernel(window), bars);
  if (!last) return std::nullopt;
  return AdxValue{(*last)[0], (*last)[1], (*last)[2]};
}
std::optional<StochasticValue> stochastic_oscillator(const BarColumns& bars, int fast_k, int slow_k,
                                                     int slow_d) {
  const auto last = last_value(internal::StochasticKernel(fast_k, slow_k, slow_d), bars);
  if (!last) return std::nullopt;
  return StochasticValue{(*last)[0], (*last)[1]};
}
std::optional<BollingerValue> bollinger_bands(std::span<const double> close, int window,
                                              double deviations) {
  const auto last =
      last_value(internal::BollingerKernel(window, deviations, deviations), close_only(close));
  if (!last) return std::nullopt;
  return BollingerValue{(*last)[0], (*last)[1], (*last)[2]};
}
std::optional<FibonacciValue> fibonacci_retracement(const BarColumns& bars, int lookback) {
  const auto last = last_value(internal::FibonacciKernel(lookback), bars);
  if (!last) return std::nullopt;
  FibonacciValue value;
  for (std::size_t i = 0; i < 7; ++i) value.levels[i] = (*last)[i];
  value.direction = (*last)[7];
  return value;
}
std::optional<Regime> market_regime(const BarColumns& bars, const MarketRegimeParams& params) {
  const auto last = last_scalar(internal::MarketRegimeKernel(params), bars);
  if (!last) return std::nullopt;
  return static_cast<Regime>(static_cast<int>(*last));
}
std::optional<std::vector<double>> obv(std::span<const double> close,
                                       std::span<const double> volume) {
  if (close.empty()) return std::nullopt;
  std::vector<double> out(close.size());
  obv(close, volume, out);
  return out;
}

// ----- wrapper -----

TechnicalIndicators::TechnicalIndicators(std::vector<double> open, std::vector<double> high,
                                         std::vector<double> low, std::vector<double> close,
                                         std::vector<double> volume)
    : open_(std::move(open)),
      high_(std::move(high)),
      low_(std::move(low)),
      close_(std::move(close)),
      volume_(std::move(volume)) {}

TechnicalIndicators::TechnicalIndicators(const BarColumns& bars)
    : TechnicalIndicators({bars.open.begin(), bars.open.end()},
                          {bars.high.begin(), bars.high.end()}, {bars.low.begin(), bars.low.end()},
                          {bars.close.begin(), bars.close.end()},
                          {bars.volume.begin(), bars.volume.end()}) {}

std::vector<double> TechnicalIndicators::sma(int window) const {
  std::vector<double> out(size());
  indicators::sma(close_, window, out);
  return out;
}
std::vector<double> TechnicalIndicators::ema(int window) const {
  std::vector<double> out(size());
  indicators::ema(close_, window, out);
  return out;
}
std::vector<double> TechnicalIndicators::rsi(int window) const {
  std::vector<double> out(size());
  indicators::rsi(close_, window, out);
  return out;
}
std::vector<double> TechnicalIndicators::atr(int window) const {
  std::vector<double> out(size());
  indicators::atr(columns(), window, out);
  return out;
}
AdxSeries TechnicalIndicators::adx(int window) const {
  AdxSeries series{std::vector<double>(size()), std::vector<double>(size()),
                   std::vector<double>(size())};
  indicators::adx(columns(), window, series.adx, series.plus_di, series.minus_di);
  return series;
}
std::vector<double> TechnicalIndicators::cci(int window) const {
  std::vector<double> out(size());
  indicators::cci(columns(), window, out);
  return out;
}
std::vector<double> TechnicalIndicators::williams_r(int window) const {
  std::vector<double> out(size());
  indicators::williams_r(columns(), window, out);
  return out;
}
std::vector<double> TechnicalIndicators::obv() const {
  std::vector<double> out(size());
  indicators::obv(close_, volume_, out);
  return out;
}
std::vector<double> TechnicalIndicators::mfi(int window) const {
  std::vector<double> out(size());
  indicators::mfi(columns(), window, out);
  return out;
}
StochasticSeries TechnicalIndicators::stochastic_oscillator(int fast_k, int slow_k,
                                                            int slow_d) const {
  StochasticSeries series{std::vector<double>(size()), std::vector<double>(size())};
  indicators::stochastic_oscillator(columns(), fast_k, slow_k, slow_d, series.k, series.d);
  return series;
}
BollingerSeries TechnicalIndicators::bollinger_bands(int window, double deviations) const {
  BollingerSeries series{std::vector<double>(size()), std::vector<double>(size()),
                         std::vector<double>(size())};
  indicators::bollinger_bands(close_, window, deviations, deviations, series.upper, series.middle,
                              series.lower);
  return series;
}
std::vector<double> TechnicalIndicators::entropy_volatility(int window, int bins) const {
  std::vector<double> out(size());
  indicators::entropy_volatility(close_, window, bins, out);
  return out;
}
FibonacciSeries TechnicalIndicators::fibonacci_retracement(int lookback) const {
  FibonacciSeries series;
  std::array<std::span<double>, 7> levels;
  for (std::size_t i = 0; i < 7; ++i) {
    series.levels[i].assign(size(), 0.0);
    levels[i] = series.levels[i];
  }
  series.direction.assign(size(), 0.0);
  indicators::fibonacci_retracement(columns(), lookback, levels, series.direction);
  return series;
}
std::vector<double> TechnicalIndicators::market_regime(const MarketRegimeParams& params) const {
  std::vector<double> out(size());
  indicators::market_regime(columns(), params, out);
  return out;
}

}  // namespace gauntlet::indicators
