// File: indicators/technical_indicators.hpp
//
// Owns the technical indicators (seed 000 §1 technical_indicators.py, seed 001 §7.1): SMA, EMA,
// RSI, the stochastic oscillator, Williams %R, OBV, ATR, ADX with +DI/-DI, CCI, Bollinger bands,
// MFI, and three that TA-Lib does not have: entropy_volatility, fibonacci_retracement and
// market_regime (formulas in README.md).
//
// Every indicator comes in three forms computed by one kernel (internal/kernels.hpp), so they
// give the same doubles bit for bit:
//   - batch: a free function over a contiguous series, span in, span out (NaN where TA-Lib
//     leaves the cell empty);
//   - streaming: a class updated one closed bar at a time in O(1) (CCI, entropy and the ranks
//     of market_regime are O(window)), with value() and ready();
//   - the seed's scalar form, `sma(data, window) -> value or none`, as std::optional<double>,
//     and the TechnicalIndicators wrapper with the seed's method names.
// The TA-Lib indicators follow TA-Lib 0.4 exactly: lookbacks, SMA-seeded EMA, Wilder
// smoothing, population standard deviation, slow stochastic, and TA-Lib's zero rules.
//
// Invalid parameters (a period below TA-Lib's minimum) throw ArgumentError, as do input and
// output spans of different lengths. Not thread-safe; one owner per streaming object.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <vector>

#include "indicators/bar_columns.hpp"
#include "indicators/internal/drivers.hpp"
#include "indicators/internal/kernels.hpp"

namespace gauntlet::indicators {

using internal::kFibonacciRatios;
using internal::MarketRegimeParams;
using internal::Regime;

// ----- Batch: one output value per input bar, NaN until the indicator is defined. -----

void sma(std::span<const double> values, int period, std::span<double> out);
void ema(std::span<const double> values, int period, std::span<double> out);
void rsi(std::span<const double> close, int period, std::span<double> out);
// Slow %K and slow %D (TA-Lib STOCH with SMA smoothing); either output may be empty.
void stochastic_oscillator(const BarColumns& bars, int fast_k, int slow_k, int slow_d,
                           std::span<double> k, std::span<double> d);
void williams_r(const BarColumns& bars, int period, std::span<double> out);
void obv(std::span<const double> close, std::span<const double> volume, std::span<double> out);
void atr(const BarColumns& bars, int period, std::span<double> out);
// ADX from row 2*period-1; +DI and -DI (may be empty) from row `period`.
void adx(const BarColumns& bars, int period, std::span<double> adx, std::span<double> plus_di = {},
         std::span<double> minus_di = {});
void cci(const BarColumns& bars, int period, std::span<double> out);
void bollinger_bands(std::span<const double> close, int period, double deviations_up,
                     double deviations_down, std::span<double> upper, std::span<double> middle,
                     std::span<double> lower);
void mfi(const BarColumns& bars, int period, std::span<double> out);
void entropy_volatility(std::span<const double> close, int window, int bins, std::span<double> out);
// levels[i] is the level at kFibonacciRatios[i]; direction is +1 (up-swing) or -1. Any span may
// be empty.
void fibonacci_retracement(const BarColumns& bars, int lookback,
                           const std::array<std::span<double>, 7>& levels,
                           std::span<double> direction = {});
void market_regime(const BarColumns& bars, const MarketRegimeParams& params, std::span<double> out);

// ----- Streaming: one object per series, update() with each closed bar. -----

// The outputs of the multi-output indicators.
struct StochasticValue {
  double k;
  double d;
};
struct AdxValue {
  double adx;
  double plus_di;
  double minus_di;
};
struct BollingerValue {
  double upper;
  double middle;
  double lower;
};
struct FibonacciValue {
  std::array<double, 7> levels;  // at kFibonacciRatios
  double direction;              // +1 up-swing (0 % at the high), -1 down-swing
};

// A streaming indicator over one series (the close), returning one value.
template <class Kernel>
class CloseIndicator {
 public:
  double update(double close) {
    BarInput bar;
    bar.close = close;
    return stream_.update(bar)[0];
  }
  double update(const BarInput& bar) { return stream_.update(bar)[0]; }
  double value() const { return stream_.value()[0]; }
  bool ready() const { return stream_.ready(); }
  int lookback() const { return stream_.lookback(); }

 protected:
  explicit CloseIndicator(Kernel kernel) : stream_(std::move(kernel)) {}

 private:
  internal::Streaming<Kernel> stream_;
};

// A streaming indicator over whole bars, returning one value.
template <class Kernel>
class BarIndicator {
 public:
  double update(const BarInput& bar) { return stream_.update(bar)[0]; }
  double value() const { return stream_.value()[0]; }
  bool ready() const { return stream_.ready(); }
  int lookback() const { return stream_.lookback(); }

 protected:
  explicit BarIndicator(Kernel kernel) : stream_(std::move(kernel)) {}

 private:
  internal::Streaming<Kernel> stream_;
};

class Sma : public CloseIndicator<internal::SmaKernel> {
 public:
  explicit Sma(int period) : CloseIndicator(internal::SmaKernel(period)) {}
};
class Ema : public CloseIndicator<internal::EmaKernel> {
 public:
  explicit Ema(int period) : CloseIndicator(internal::EmaKernel(period)) {}
};
class Rsi : public CloseIndicator<internal::RsiKernel> {
 public:
  explicit Rsi(int period = 14) : CloseIndicator(internal::RsiKernel(period)) {}
};
class EntropyVolatility : public CloseIndicator<internal::EntropyVolatilityKernel> {
 public:
  explicit EntropyVolatility(int window = 20, int bins = 10)
      : CloseIndicator(internal::EntropyVolatilityKernel(window, bins)) {}
};
class WilliamsR : public BarIndicator<internal::WilliamsRKernel> {
 public:
  explicit WilliamsR(int period = 14) : BarIndicator(internal::WilliamsRKernel(period)) {}
};
class Obv : public BarIndicator<internal::ObvKernel> {
 public:
  Obv() : BarIndicator(internal::ObvKernel()) {}
};
class Atr : public BarIndicator<internal::AtrKernel> {
 public:
  explicit Atr(int period = 14) : BarIndicator(internal::AtrKernel(period)) {}
};
class Cci : public BarIndicator<internal::CciKernel> {
 public:
  explicit Cci(int period = 20) : BarIndicator(internal::CciKernel(period)) {}
};
class Mfi : public BarIndicator<internal::MfiKernel> {
 public:
  explicit Mfi(int period = 14) : BarIndicator(internal::MfiKernel(period)) {}
};
// Returns the Regime as a number (Regime's values), NaN while warming up; regime() names it.
class MarketRegime : public BarIndicator<internal::MarketRegimeKernel> {
 public:
  explicit MarketRegime(const MarketRegimeParams& params = {})
      : BarIndicator(internal::MarketRegimeKernel(params)) {}
  std::optional<Regime> regime() const;
};

class StochasticOscillator {
 public:
  StochasticOscillator(int fast_k = 14, int slow_k = 3, int slow_d = 3)
      : stream_(internal::StochasticKernel(fast_k, slow_k, slow_d)) {}
  StochasticValue update(const BarInput& bar) {
    const auto& v = stream_.update(bar);
    return {v[0], v[1]};
  }
  StochasticValue value() const { return {stream_.value()[0], stream_.value()[1]}; }
  bool ready() const { return stream_.ready(); }
  int lookback() const { return stream_.lookback(); }

 private:
  internal::Streaming<internal::StochasticKernel> stream_;
};

class Adx {
 public:
  explicit Adx(int period = 14) : stream_(internal::AdxKernel(period)) {}
  // adx is NaN until row 2*period-1, the DIs until row `period`.
  AdxValue update(const BarInput& bar) {
    const auto& v = stream_.update(bar);
    return {v[0], v[1], v[2]};
  }
  AdxValue value() const { return {stream_.value()[0], stream_.value()[1], stream_.value()[2]}; }
  bool ready() const { return stream_.ready(); }
  int lookback() const { return stream_.lookback(); }

 private:
  internal::Streaming<internal::AdxKernel> stream_;
};

class BollingerBands {
 public:
  explicit BollingerBands(int period = 20, double deviations_up = 2.0, double deviations_down = 2.0)
      : stream_(internal::BollingerKernel(period, deviations_up, deviations_down)) {}
  BollingerValue update(double close) {
    BarInput bar;
    bar.close = close;
    return update(bar);
  }
  BollingerValue update(const BarInput& bar) {
    const auto& v = stream_.update(bar);
    return {v[0], v[1], v[2]};
  }
  BollingerValue value() const {
    return {stream_.value()[0], stream_.value()[1], stream_.value()[2]};
  }
  bool ready() const { return stream_.ready(); }
  int lookback() const { return stream_.lookback(); }

 private:
  internal::Streaming<internal::BollingerKernel> stream_;
};

class FibonacciRetracement {
 public:
  explicit FibonacciRetracement(int lookback = 50) : stream_(internal::FibonacciKernel(lookback)) {}
  FibonacciValue update(const BarInput& bar) { return to_value(stream_.update(bar)); }
  FibonacciValue value() const { return to_value(stream_.value()); }
  bool ready() const { return stream_.ready(); }
  int lookback() const { return stream_.lookback(); }

 private:
  static FibonacciValue to_value(const std::array<double, 8>& v) {
    FibonacciValue value;
    for (std::size_t i = 0; i < 7; ++i) value.levels[i] = v[i];
    value.direction = v[7];
    return value;
  }
  internal::Streaming<internal::FibonacciKernel> stream_;
};

// ----- The seed's scalar forms: the indicator at the last element, or none. -----

std::optional<double> sma(std::span<const double> data, int window);
std::optional<double> ema(std::span<const double> data, int window);
std::optional<double> rsi(std::span<const double> close, int window = 14);
std::optional<double> atr(const BarColumns& bars, int window = 14);
std::optional<double> cci(const BarColumns& bars, int window = 20);
std::optional<double> williams_r(const BarColumns& bars, int window = 14);
std::optional<double> mfi(const BarColumns& bars, int window = 14);
std::optional<double> entropy_volatility(std::span<const double> close, int window = 20,
                                         int bins = 10);
std::optional<AdxValue> adx(const BarColumns& bars, int window = 14);
std::optional<StochasticValue> stochastic_oscillator(const BarColumns& bars, int fast_k = 14,
                                                     int slow_k = 3, int slow_d = 3);
std::optional<BollingerValue> bollinger_bands(std::span<const double> close, int window = 20,
                                              double deviations = 2.0);
std::optional<FibonacciValue> fibonacci_retracement(const BarColumns& bars, int lookback = 50);
std::optional<Regime> market_regime(const BarColumns& bars, const MarketRegimeParams& params = {});
// The whole OBV series, or none for an empty input (seed: `obv(close, volume) -> list | None`).
std::optional<std::vector<double>> obv(std::span<const double> close,
                                       std::span<const double> volume);

// ----- The seed's wrapper: whole series over one set of bars, by the seed's method names. -----

struct StochasticSeries {
  std::vector<double> k, d;
};
struct AdxSeries {
  std::vector<double> adx, plus_di, minus_di;
};
struct BollingerSeries {
  std::vector<double> upper, middle, lower;
};
struct FibonacciSeries {
  std::array<std::vector<double>, 7> levels;  // at kFibonacciRatios
  std::vector<double> direction;
};

class TechnicalIndicators {
 public:
  // Copies the columns; `volume` may be empty when OBV and MFI are not used.
  TechnicalIndicators(std::vector<double> open, std::vector<double> high, std::vector<double> low,
                      std::vector<double> close, std::vector<double> volume);
  explicit TechnicalIndicators(const BarColumns& bars);

  std::size_t size() const { return close_.size(); }
  BarColumns columns() const { return {open_, high_, low_, close_, volume_}; }

  std::vector<double> sma(int window) const;
  std::vector<double> ema(int window) const;
  std::vector<double> rsi(int window = 14) const;
  std::vector<double> atr(int window = 14) const;
  AdxSeries adx(int window = 14) const;
  std::vector<double> cci(int window = 20) const;
  std::vector<double> williams_r(int window = 14) const;
  std::vector<double> obv() const;
  std::vector<double> mfi(int window = 14) const;
  StochasticSeries stochastic_oscillator(int fast_k = 14, int slow_k = 3, int slow_d = 3) const;
  BollingerSeries bollinger_bands(int window = 20, double deviations = 2.0) const;
  std::vector<double> entropy_volatility(int window = 20, int bins = 10) const;
  FibonacciSeries fibonacci_retracement(int lookback = 50) const;
  std::vector<double> market_regime(const MarketRegimeParams& params = {}) const;

 private:
  std::vector<double> open_, high_, low_, close_, volume_;
};

}  // namespace gauntlet::indicators
