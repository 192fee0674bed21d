// Unit tests of the technical indicators (indicators/technical_indicators.hpp) and of the
// indicator catalog (indicators/indicator_catalog.hpp):
//   - hand-computed values of every TA-Lib indicator on tiny series (the arithmetic is in the
//     comments), including TA-Lib's zero rules and lookbacks;
//   - on real Binance 5m bars (BTC and DOGE, ../shared/data): for every catalog indicator and
//     output, with several parameter sets, the leading NaNs equal the lookback reported by the
//     streaming object and by the catalog, and streaming equals batch bit for bit (through
//     IndicatorSet and through the typed classes);
//   - the three indicators TA-Lib lacks (entropy_volatility, fibonacci_retracement,
//     market_regime) against their definitions, with independent recomputations;
//   - argument errors, column-name parsing, the scalar std::optional forms and the
//     TechnicalIndicators wrapper.
// reference_test.cpp, in the same executable, compares with TA-Lib's own outputs.
#include "indicators/technical_indicators.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <limits>
#include <map>
#include <numbers>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/exceptions.hpp"
#include "indicators/indicator_catalog.hpp"
#include "support/shared_data.hpp"

namespace gauntlet::indicators {
namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

// The tolerance of the hand-computed checks: 1e-12 relative (absolute below 1).
double tolerance(double expected) {
  return 1e-12 * std::max(1.0, std::abs(expected));
}

#define EXPECT_CLOSE(actual, expected) EXPECT_NEAR((actual), (expected), tolerance(expected))

bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof(double)) == 0;
}

// The number of NaNs before the first defined value.
int leading_nans(const std::vector<double>& values) {
  int count = 0;
  while (count < static_cast<int>(values.size()) && std::isnan(values[count])) ++count;
  return count;
}

// Bars owned by a test, viewed as BarColumns.
struct Series {
  std::vector<double> open, high, low, close, volume;

  BarColumns columns() const { return {open, high, low, close, volume}; }
  std::size_t size() const { return close.size(); }
  void add(double o, double h, double l, double c, double v) {
    open.push_back(o);
    high.push_back(h);
    low.push_back(l);
    close.push_back(c);
    volume.push_back(v);
  }
  // The first `count` bars.
  Series head(std::size_t count) const {
    Series s;
    for (std::size_t i = 0; i < count; ++i) s.add(open[i], high[i], low[i], close[i], volume[i]);
    return s;
  }
};

// A series of closes only (high = low = open = close, volume 1).
Series from_closes(const std::vector<double>& closes) {
  Series s;
  for (double c : closes) s.add(c, c, c, c, 1.0);
  return s;
}

// ----- Real data: freqtrade JSON, [[open_time_ms, open, high, low, close, volume], ...] -----

Series parse_freqtrade_json(const std::string& text) {
  Series bars;
  std::vector<double> row;
  int depth = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '[') {
      ++depth;
      row.clear();
      ++i;
    } else if (c == ']') {
      if (depth == 2) {
        if (row.size() != 6) throw std::runtime_error("a bar without 6 fields");
        bars.add(row[1], row[2], row[3], row[4], row[5]);
      }
      --depth;
      ++i;
    } else if (c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      ++i;
    } else {
      double value = 0;
      const auto result = std::from_chars(text.data() + i, text.data() + text.size(), value);
      if (result.ec != std::errc())
        throw std::runtime_error("not a number at " + std::to_string(i));
      row.push_back(value);
      i = static_cast<std::size_t>(result.ptr - text.data());
    }
  }
  return bars;
}

// The bars of ../shared/data/crypto/binance_spot/<file>, parsed once per process.
const Series& binance_bars(const std::filesystem::path& data, const std::string& file) {
  static std::map<std::string, Series> cache;
  Series& bars = cache[file];
  if (bars.size() == 0) {
    bars = parse_freqtrade_json(testing::read_file(data / "crypto" / "binance_spot" / file));
  }
  return bars;
}

const char* const kBtc = "BTC_USDT-5m.json.gz";
const char* const kDoge = "DOGE_USDT-5m.json.gz";

// ----- Streaming-equals-batch checks -----

std::array<double, 1> outputs_of(double v) {
  return {v};
}
std::array<double, 2> outputs_of(const StochasticValue& v) {
  return {v.k, v.d};
}
std::array<double, 3> outputs_of(const AdxValue& v) {
  return {v.adx, v.plus_di, v.minus_di};
}
std::array<double, 3> outputs_of(const BollingerValue& v) {
  return {v.upper, v.middle, v.lower};
}
std::array<double, 8> outputs_of(const FibonacciValue& v) {
  std::array<double, 8> out;
  for (std::size_t i = 0; i < 7; ++i) out[i] = v.levels[i];
  out[7] = v.direction;
  return out;
}

// Checks the lookbacks and streams every bar through `stream`: `feed(stream, bar)` calls its
// update(). Proves that
//   - the leading NaNs of batch[j] equal column_lookback(parse_column(columns[j])), and every
//     later value is defined;
//   - the leading NaNs of batch[0] equal stream.lookback();
//   - update() returns, and value() then repeats, exactly the bits of the batch output;
//   - ready() is false before the first update and turns true exactly on bar lookback().
template <class Stream, class Feed>
void expect_stream_equals_batch(Stream& stream, Feed feed, const Series& bars,
                                const std::vector<std::vector<double>>& batch,
                                const std::vector<std::string>& columns) {
  SCOPED_TRACE(columns.at(0));
  ASSERT_EQ(batch.size(), columns.size());
  for (std::size_t j = 0; j < columns.size(); ++j) {
    ASSERT_EQ(batch[j].size(), bars.size());
    const int lookback = leading_nans(batch[j]);
    EXPECT_EQ(lookback, column_lookback(parse_column(columns[j]))) << columns[j];
    EXPECT_LT(lookback, static_cast<int>(bars.size())) << columns[j];
    EXPECT_EQ(
        std::count_if(batch[j].begin(), batch[j].end(), [](double v) { return std::isnan(v); }),
        lookback)
        << columns[j] << " has a NaN after its lookback";
  }
  const int lookback = leading_nans(batch[0]);
  EXPECT_EQ(stream.lookback(), lookback);
  EXPECT_FALSE(stream.ready());
  for (double v : outputs_of(stream.value())) EXPECT_TRUE(std::isnan(v));

  const BarColumns view = bars.columns();
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const auto out = outputs_of(feed(stream, view.at(i)));
    const auto now = outputs_of(stream.value());
    ASSERT_EQ(out.size(), batch.size());
    for (std::size_t j = 0; j < out.size(); ++j) {
      if (!same_bits(out[j], batch[j][i]) || !same_bits(now[j], out[j])) {
        ADD_FAILURE() << columns[j] << " bar " << i << ": streaming " << out[j] << ", value() "
                      << now[j] << ", batch " << batch[j][i];
        return;
      }
    }
    if (stream.ready() != (static_cast<int>(i) >= lookback)) {
      ADD_FAILURE() << "ready() is " << stream.ready() << " after bar " << i << ", lookback "
                    << lookback;
      return;
    }
  }
}

std::vector<std::vector<double>> columns_of(std::size_t outputs, std::size_t size) {
  return std::vector<std::vector<double>>(outputs, std::vector<double>(size));
}

// Every typed streaming class against its batch free function, for several parameter sets.
void expect_typed_streaming_equals_batch(const Series& bars) {
  const BarColumns view = bars.columns();
  const std::size_t n = bars.size();
  const auto name = [](std::string prefix, std::initializer_list<double> parameters) {
    for (double p : parameters) {
      std::string text = std::to_string(static_cast<int>(p));
      if (p != std::floor(p)) {
        text = std::to_string(p);
        while (text.back() == '0') text.pop_back();  // 2.500000 -> 2.5
      }
      prefix += '_' + text;
    }
    return prefix;
  };

  for (int p : {1, 30, 200}) {
    auto batch = columns_of(1, n);
    sma(bars.close, p, batch[0]);
    Sma stream(p);
    expect_stream_equals_batch(stream,
                               [](auto& s, const BarInput& bar) { return s.update(bar.close); },
                               bars, batch, {name("sma", {double(p)})});
  }
  for (int p : {1, 9, 30}) {
    auto batch = columns_of(1, n);
    ema(bars.close, p, batch[0]);
    Ema stream(p);
    expect_stream_equals_batch(stream,
                               [](auto& s, const BarInput& bar) { return s.update(bar.close); },
                               bars, batch, {name("ema", {double(p)})});
  }
  for (int p : {2, 14}) {
    auto batch = columns_of(1, n);
    rsi(bars.close, p, batch[0]);
    Rsi stream(p);
    expect_stream_equals_batch(stream, [](auto& s, const BarInput& bar) { return s.update(bar); },
                               bars, batch, {name("rsi", {double(p)})});
  }
  for (int p : {2, 14, 60}) {
    auto batch = columns_of(1, n);
    williams_r(view, p, batch[0]);
    WilliamsR stream(p);
    expect_stream_equals_batch(stream, [](auto& s, const BarInput& bar) { return s.update(bar); },
                               bars, batch, {name("willr", {double(p)})});
  }
  {
    auto batch = columns_of(1, n);
    obv(bars.close, bars.volume, batch[0]);
    Obv stream;
    expect_stream_equals_batch(stream, [](auto& s, const BarInput& bar) { return s.update(bar); },
                               bars, batch, {"obv"});
  }
  for (int p : {1, 14, 50}) {
    auto batch = columns_of(1, n);
    atr(view, p, batch[0]);
    Atr stream(p);
    expect_stream_equals_batch(stream, [](auto& s, const BarInput& bar) { return s.update(bar); },
                               bars, batch, {name("atr", {double(p)})});
  }
  for (int p : {2, 20, 100}) {
    auto batch = columns_of(1, n);
    cci(view, p, batch[0]);
    Cci stream(p);
    expect_stream_equals_batch(stream, [](auto& s, const BarInput& bar) { return s.update(bar); },
                               bars, batch, {name("cci", {double(p)})});
  }
  for (int p : {2, 14, 50}) {
    auto batch = columns_of(1, n);
    mfi(view, p, batch[0]);
    Mfi stream(p);
    expect_stream_equals_batch(stream, [](auto& s, const BarInput& bar) { return s.update(bar); },
                               bars, batch, {name("mfi", {double(p)})});
  }
  for (auto [window, bins] : {std::pair{20, 10}, std::pair{50, 8}, std::pair{2, 2}}) {
    auto batch = columns_of(1, n);
    entropy_volatility(bars.close, window, bins, batch[0]);
    EntropyVolatility stream(window, bins);
    expect_stream_equals_batch(stream, [](auto& s, const BarInput& bar) { return s.update(bar); },
                               bars, batch,
                               {name("entropy_volatility", {double(window), double(bins)})});
  }
  for (auto [fast_k, slow_k, slow_d] :
       {std::array{14, 3, 3}, std::array{5, 1, 1}, std::array{14, 1, 5}}) {
    auto batch = columns_of(2, n);
    stochastic_oscillator(view, fast_k, slow_k, slow_d, batch[0], batch[1]);
    StochasticOscillator stream(fast_k, slow_k, slow_d);
    const std::initializer_list<double> parameters = {double(fast_k), double(slow_k),
                                                      double(slow_d)};
    expect_stream_equals_batch(stream, [](auto& s, const BarInput& bar) { return s.update(bar); },
                               bars, batch,
                               {name("stoch_k", parameters), name("stoch_d", parameters)});
  }
  for (int p : {2, 14, 28}) {
    auto batch = columns_of(3, n);
    adx(view, p, batch[0], batch[1], batch[2]);
    Adx stream(p);
    expect_stream_equals_batch(
        stream, [](auto& s, const BarInput& bar) { return s.update(bar); }, bars, batch,
        {name("adx", {double(p)}), name("plus_di", {double(p)}), name("minus_di", {double(p)})});
  }
  for (auto [period, deviations] : {std::pair{20, 2.0}, std::pair{50, 2.5}, std::pair{2, 1.0}}) {
    auto batch = columns_of(3, n);
    bollinger_bands(bars.close, period, deviations, deviations, batch[0], batch[1], batch[2]);
    BollingerBands stream(period, deviations, deviations);
    expect_stream_equals_batch(
        stream, [](auto& s, const BarInput& bar) { return s.update(bar.close); }, bars, batch,
        {name("bb_upper", {double(period), deviations}),
         name("bb_middle", {double(period), deviations}),
         name("bb_lower", {double(period), deviations})});
  }
  for (int lookback : {2, 20, 50, 100}) {
    auto batch = columns_of(8, n);
    std::array<std::span<double>, 7> levels;
    for (std::size_t i = 0; i < 7; ++i) levels[i] = batch[i];
    fibonacci_retracement(view, lookback, levels, batch[7]);
    FibonacciRetracement stream(lookback);
    std::vector<std::string> columns;
    for (const char* level : {"fib_0", "fib_236", "fib_382", "fib_500", "fib_618", "fib_786",
                              "fib_1000", "fib_direction"}) {
      columns.push_back(name(level, {double(lookback)}));
    }
    expect_stream_equals_batch(
        stream, [](auto& s, const BarInput& bar) { return s.update(bar); }, bars, batch, columns);
  }
  {
    MarketRegimeParams small;
    small.adx_period = 10;
    small.atr_period = 10;
    small.bollinger_period = 14;
    small.rank_window = 50;
    for (const auto& [params, column] : {std::pair{MarketRegimeParams{}, "market_regime"},
                                         std::pair{small, "market_regime_10_10_14_50"}}) {
      auto batch = columns_of(1, n);
      market_regime(view, params, batch[0]);
      MarketRegime stream(params);
      expect_stream_equals_batch(stream, [](auto& s, const BarInput& bar) { return s.update(bar); },
                                 bars, batch, {column});
    }
  }
}

// The columns of the IndicatorSet sweep: every catalog output with its default parameters,
// plus parameter sets at the edges (period 1 or 2, windows far longer than the default).
std::vector<std::string> sweep_columns() {
  std::vector<std::string> names;
  for (const IndicatorInfo& info : indicator_catalog()) {
    for (std::string_view output : info.outputs) names.emplace_back(output);
  }
  static const char* const kEdgeCases[] = {"sma_1",
                                           "sma_200",
                                           "ema_1",
                                           "ema_9",
                                           "rsi_2",
                                           "stoch_k_5_1_1",
                                           "stoch_d_5_1_1",
                                           "stoch_k_14_1_5",
                                           "stoch_d_14_1_5",
                                           "willr_2",
                                           "willr_60",
                                           "atr_1",
                                           "atr_50",
                                           "adx_2",
                                           "plus_di_2",
                                           "minus_di_2",
                                           "adx_28",
                                           "plus_di_28",
                                           "minus_di_28",
                                           "cci_2",
                                           "cci_100",
                                           "bb_upper_50_2.5",
                                           "bb_middle_50_2.5",
                                           "bb_lower_50_2.5",
                                           "bb_upper_2_1",
                                           "bb_lower_2_1",
                                           "mfi_2",
                                           "mfi_50",
                                           "entropy_volatility_20_10",
                                           "entropy_volatility_50_8",
                                           "entropy_volatility_2_2",
                                           "entropy_volatility_60_100",
                                           "market_regime_10_10_14_50",
                                           "market_regime_2_1_2_2"};
  names.insert(names.end(), std::begin(kEdgeCases), std::end(kEdgeCases));
  for (const char* lookback : {"_2", "_20", "_100"}) {
    for (const char* level : {"fib_0", "fib_236", "fib_382", "fib_500", "fib_618", "fib_786",
                              "fib_1000", "fib_direction"}) {
      names.push_back(std::string(level) + lookback);
    }
  }
  return names;
}

// Runs the sweep through one IndicatorSet: compute() (batch) against update() (streaming),
// then reset() and the first bars again.
void expect_indicator_set_streaming_equals_batch(const Series& bars) {
  const std::vector<std::string> names = sweep_columns();
  IndicatorSet set(names);
  ASSERT_EQ(set.columns().size(), names.size());
  std::vector<std::vector<double>> batch(names.size(), std::vector<double>(bars.size()));
  const std::vector<std::span<double>> spans(batch.begin(), batch.end());
  set.compute(bars.columns(), spans);

  for (std::size_t c = 0; c < names.size(); ++c) {
    const int lookback = leading_nans(batch[c]);
    EXPECT_EQ(lookback, column_lookback(set.columns()[c])) << names[c];
    EXPECT_EQ(
        std::count_if(batch[c].begin(), batch[c].end(), [](double v) { return std::isnan(v); }),
        lookback)
        << names[c] << " has a NaN after its lookback";
  }

  const BarColumns view = bars.columns();
  std::vector<double> row(names.size());
  const auto stream_and_compare = [&](std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
      set.update(view.at(i), row);
      for (std::size_t c = 0; c < names.size(); ++c) {
        if (!same_bits(row[c], batch[c][i])) {
          ADD_FAILURE() << names[c] << " bar " << i << ": streaming " << row[c] << ", batch "
                        << batch[c][i];
          return;
        }
      }
    }
  };
  stream_and_compare(bars.size());
  set.reset();
  stream_and_compare(500);
}

// ===== 1. Hand-computed values of the TA-Lib indicators =====

// SMA(3) of 2,4,6,8,10,12: undefined on the first two bars, then (2+4+6)/3 = 4, 6, 8, 10.
TEST(HandComputed, SmaAveragesTheLastPeriodValues) {
  const std::vector<double> values = {2, 4, 6, 8, 10, 12};
  std::vector<double> out(values.size());
  sma(values, 3, out);
  EXPECT_TRUE(std::isnan(out[0]));
  EXPECT_TRUE(std::isnan(out[1]));
  EXPECT_DOUBLE_EQ(out[2], 4.0);
  EXPECT_DOUBLE_EQ(out[3], 6.0);
  EXPECT_DOUBLE_EQ(out[4], 8.0);
  EXPECT_DOUBLE_EQ(out[5], 10.0);
}

// EMA is seeded with the SMA of the first `period` values, then ema = x*k + ema*(1-k) with
// k = 2/(n+1).
//   period 3 (k = 0.5) over 2,4,6,10,2,8: seed (2+4+6)/3 = 4 on bar 2, then 10*.5+4*.5 = 7,
//   2*.5+7*.5 = 4.5, 8*.5+4.5*.5 = 6.25.
//   period 4 (k = 0.4) over 1,2,3,4,10,0: seed 2.5 on bar 3, then 10*.4+2.5*.6 = 5.5,
//   0*.4+5.5*.6 = 3.3. (Seeded with the first value instead, bar 3 would be 2.824.)
TEST(HandComputed, EmaIsSeededWithTheSimpleMean) {
  const std::vector<double> values = {2, 4, 6, 10, 2, 8};
  std::vector<double> out(values.size());
  ema(values, 3, out);
  EXPECT_TRUE(std::isnan(out[0]));
  EXPECT_TRUE(std::isnan(out[1]));
  EXPECT_DOUBLE_EQ(out[2], 4.0);
  EXPECT_DOUBLE_EQ(out[3], 7.0);
  EXPECT_DOUBLE_EQ(out[4], 4.5);
  EXPECT_DOUBLE_EQ(out[5], 6.25);

  const std::vector<double> second = {1, 2, 3, 4, 10, 0};
  std::vector<double> out4(second.size());
  ema(second, 4, out4);
  EXPECT_EQ(leading_nans(out4), 3);
  EXPECT_CLOSE(out4[3], 2.5);
  EXPECT_CLOSE(out4[4], 5.5);
  EXPECT_CLOSE(out4[5], 3.3);
}

// RSI(3), Wilder, over 10, 11, 10.5, 11.5, 11, 12 (changes +1, -.5, +1, -.5, +1):
//   bar 3: avg gain (1+0+1)/3 = 2/3, avg loss .5/3 = 1/6 -> 100 * (2/3) / (5/6) = 80;
//   bar 4: gain 2/3*2/3 = 4/9, loss 1/6*2/3 + .5/3 = 5/18 -> 100 * (4/9)/(13/18) = 800/13;
//   bar 5: gain 4/9*2/3 + 1/3 = 17/27, loss 5/18*2/3 = 5/27 -> 100 * 17/22 = 1700/22.
TEST(HandComputed, RsiUsesWilderAverages) {
  const std::vector<double> close = {10, 11, 10.5, 11.5, 11, 12};
  std::vector<double> out(close.size());
  rsi(close, 3, out);
  EXPECT_EQ(leading_nans(out), 3);
  EXPECT_CLOSE(out[3], 80.0);
  EXPECT_CLOSE(out[4], 800.0 / 13.0);
  EXPECT_CLOSE(out[5], 1700.0 / 22.0);
}

// A flat series has no gains and no losses: RSI is 0 (TA-Lib), not 50. A strictly rising
// series has no losses: RSI is 100.
TEST(HandComputed, RsiIsZeroWhenFlatAndHundredWhenRising) {
  const std::vector<double> flat(30, 5.0);
  std::vector<double> rising(30);
  for (std::size_t i = 0; i < rising.size(); ++i) rising[i] = 100.0 + 0.5 * static_cast<double>(i);
  std::vector<double> out_flat(30), out_rising(30);
  rsi(flat, 14, out_flat);
  rsi(rising, 14, out_rising);
  EXPECT_EQ(leading_nans(out_flat), 14);
  EXPECT_EQ(leading_nans(out_rising), 14);
  for (std::size_t i = 14; i < 30; ++i) {
    EXPECT_EQ(out_flat[i], 0.0) << i;
    EXPECT_EQ(out_rising[i], 100.0) << i;
  }
}

// ATR(3). True ranges (bar 0 has none): bar 1 max(11-9, |11-9|, |9-9|) = 2; bar 2 max(1.5,
// |12-10|, |10.5-10|) = 2; bar 3 max(2.5, |11.5-11|, |9-11|) = 2.5; bar 4 max(.5, |10-9.5|,
// |9.5-9.5|) = .5; bar 5 (a gap) max(1, |14-9.8|, |13-9.8|) = 4.2.
//   bar 3: (2+2+2.5)/3 = 13/6; bar 4: 13/6*2/3 + .5/3 = 29/18; bar 5: 29/18*2/3 + 4.2/3.
TEST(HandComputed, AtrStartsWithTheMeanTrueRangeThenWilder) {
  Series bars;
  bars.add(9, 10, 8, 9, 1);
  bars.add(9, 11, 9, 10, 1);
  bars.add(10, 12, 10.5, 11, 1);
  bars.add(11, 11.5, 9, 9.5, 1);
  bars.add(9.5, 10, 9.5, 9.8, 1);
  bars.add(13, 14, 13, 13.5, 1);
  std::vector<double> out(bars.size());
  atr(bars.columns(), 3, out);
  EXPECT_EQ(leading_nans(out), 3);
  EXPECT_CLOSE(out[3], 13.0 / 6.0);
  EXPECT_CLOSE(out[4], 29.0 / 18.0);
  EXPECT_CLOSE(out[5], 29.0 / 27.0 + 1.4);
}

// OBV starts at the first volume, adds the volume on a higher close, subtracts it on a lower
// one and keeps it on an equal one: 100, +200, =, -400, +500.
TEST(HandComputed, ObvStartsAtTheFirstVolume) {
  const std::vector<double> close = {10, 11, 11, 10, 12};
  const std::vector<double> volume = {100, 200, 300, 400, 500};
  std::vector<double> out(close.size());
  obv(close, volume, out);
  EXPECT_EQ(out, (std::vector<double>{100, 300, 300, -100, 400}));
}

// Williams %R(3) = -100 * (HH - close) / (HH - LL):
//   bar 2: HH 7, LL 1, close 4 -> -50; bar 3: HH 8, LL 2, close 8 -> 0; bar 4: HH 8, LL 2,
//   close 2 -> -100. With high == low over the window it is 0.
TEST(HandComputed, WilliamsRIsInMinusHundredToZero) {
  Series bars;
  const double high[] = {5, 6, 7, 8, 6}, low[] = {1, 2, 3, 4, 2}, close[] = {3, 5, 4, 8, 2};
  for (int i = 0; i < 5; ++i) bars.add(close[i], high[i], low[i], close[i], 1);
  std::vector<double> out(bars.size());
  williams_r(bars.columns(), 3, out);
  EXPECT_EQ(leading_nans(out), 2);
  EXPECT_DOUBLE_EQ(out[2], -50.0);
  EXPECT_DOUBLE_EQ(out[3], 0.0);
  EXPECT_DOUBLE_EQ(out[4], -100.0);

  const Series flat = from_closes(std::vector<double>(6, 42.0));
  std::vector<double> out_flat(flat.size());
  williams_r(flat.columns(), 3, out_flat);
  for (std::size_t i = 2; i < out_flat.size(); ++i) EXPECT_EQ(out_flat[i], 0.0) << i;
}

// Slow stochastic (fast %K 3, slow %K 2, slow %D 2). Fast %K = 100*(close-LL)/(HH-LL):
//   bar 2: (10-8)/(12-8) = 50; bar 3: (12-9)/(13-9) = 75; bar 4: (13-9)/(14-9) = 80;
//   bar 5: (11-10)/(14-10) = 25; bar 6: (14-10)/(15-10) = 80.
// Slow %K = SMA2: 62.5, 77.5, 52.5, 52.5 (bars 3..6); slow %D = SMA2 of that: 70, 65, 52.5
// (bars 4..6). Both appear first on bar 4 = (3-1)+(2-1)+(2-1); %K on bar 3 is not reported.
TEST(HandComputed, StochasticKAndDStartOnTheSameRow) {
  Series bars;
  const double high[] = {10, 12, 11, 13, 14, 12, 15};
  const double low[] = {8, 9, 9, 10, 11, 10, 12};
  const double close[] = {9, 11, 10, 12, 13, 11, 14};
  for (int i = 0; i < 7; ++i) bars.add(close[i], high[i], low[i], close[i], 1);
  std::vector<double> k(bars.size()), d(bars.size());
  stochastic_oscillator(bars.columns(), 3, 2, 2, k, d);
  EXPECT_EQ(leading_nans(k), 4);
  EXPECT_EQ(leading_nans(d), 4);
  EXPECT_DOUBLE_EQ(k[4], 77.5);
  EXPECT_DOUBLE_EQ(d[4], 70.0);
  EXPECT_DOUBLE_EQ(k[5], 52.5);
  EXPECT_DOUBLE_EQ(d[5], 65.0);
  EXPECT_DOUBLE_EQ(k[6], 52.5);
  EXPECT_DOUBLE_EQ(d[6], 52.5);
  EXPECT_EQ(StochasticOscillator(3, 2, 2).lookback(), 4);
  EXPECT_EQ(StochasticOscillator(14, 3, 3).lookback(), 13 + 2 + 2);
}

// MFI(3) with high = close+1, low = close-1, so the typical price is the close:
//   closes 10, 11, 10, 12, 12, 13 and volumes 1..6 give the flows +22 (bar 1), -30, +48,
//   none (equal), +78. Bar 3: 100*70/(70+30) = 70; bar 4: 100*48/(48+30) = 4800/78; bar 5:
//   100*126/126 = 100. When positive+negative flow is below 1.0 the MFI is 0.
TEST(HandComputed, MfiSumsSignedMoneyFlows) {
  Series bars;
  const double close[] = {10, 11, 10, 12, 12, 13};
  for (int i = 0; i < 6; ++i) bars.add(close[i], close[i] + 1, close[i] - 1, close[i], i + 1.0);
  std::vector<double> out(bars.size());
  mfi(bars.columns(), 3, out);
  EXPECT_EQ(leading_nans(out), 3);
  EXPECT_CLOSE(out[3], 70.0);
  EXPECT_CLOSE(out[4], 4800.0 / 78.0);
  EXPECT_CLOSE(out[5], 100.0);

  // The same prices with volume 0.001: every window's flow totals below 1.0 -> 0.
  Series tiny = bars;
  std::fill(tiny.volume.begin(), tiny.volume.end(), 0.001);
  std::vector<double> out_tiny(tiny.size());
  mfi(tiny.columns(), 3, out_tiny);
  for (std::size_t i = 3; i < out_tiny.size(); ++i) EXPECT_EQ(out_tiny[i], 0.0) << i;
}

// CCI(3) = (TP - mean) / (0.015 * mean absolute deviation), TP = close here:
//   bar 2: TPs 2, 4, 9: mean 5, MAD (3+1+4)/3 = 8/3 -> 4 / 0.04 = 100;
//   bar 3: TPs 4, 9, 3: mean 16/3, MAD 22/9 -> (-7/3) / (0.015*22/9) = -700/11.
// On a flat series both are 0 and CCI is 0.
TEST(HandComputed, CciIsZeroOnAFlatSeries) {
  const Series bars = from_closes({2, 4, 9, 3});
  std::vector<double> out(bars.size());
  cci(bars.columns(), 3, out);
  EXPECT_EQ(leading_nans(out), 2);
  EXPECT_CLOSE(out[2], 100.0);
  EXPECT_CLOSE(out[3], -700.0 / 11.0);

  const Series flat = from_closes(std::vector<double>(10, 7.25));
  std::vector<double> out_flat(flat.size());
  cci(flat.columns(), 3, out_flat);
  for (std::size_t i = 2; i < out_flat.size(); ++i) EXPECT_EQ(out_flat[i], 0.0) << i;
}

// Bollinger(5) over 1..5: middle 3, population variance (4+1+0+1+4)/5 = 2, so the bands are
// 3 +- 2*sqrt(2); with 1 up and 3 down deviations 3 + sqrt(2) and 3 - 3*sqrt(2). Over 2..6
// (bar 5) the middle is 4 with the same deviation. On a flat series the bands collapse.
TEST(HandComputed, BollingerUsesThePopulationDeviation) {
  const std::vector<double> close = {1, 2, 3, 4, 5, 6};
  std::vector<double> upper(6), middle(6), lower(6);
  bollinger_bands(close, 5, 2.0, 2.0, upper, middle, lower);
  EXPECT_EQ(leading_nans(upper), 4);
  EXPECT_EQ(leading_nans(middle), 4);
  EXPECT_EQ(leading_nans(lower), 4);
  EXPECT_CLOSE(middle[4], 3.0);
  EXPECT_CLOSE(upper[4], 3.0 + 2.0 * std::numbers::sqrt2);
  EXPECT_CLOSE(lower[4], 3.0 - 2.0 * std::numbers::sqrt2);
  EXPECT_CLOSE(middle[5], 4.0);
  EXPECT_CLOSE(upper[5], 4.0 + 2.0 * std::numbers::sqrt2);
  EXPECT_CLOSE(lower[5], 4.0 - 2.0 * std::numbers::sqrt2);

  bollinger_bands(close, 5, 1.0, 3.0, upper, middle, lower);
  EXPECT_CLOSE(upper[4], 3.0 + std::numbers::sqrt2);
  EXPECT_CLOSE(lower[4], 3.0 - 3.0 * std::numbers::sqrt2);

  const std::vector<double> flat(12, 61234.5);
  std::vector<double> fu(12), fm(12), fl(12);
  bollinger_bands(flat, 5, 2.0, 2.0, fu, fm, fl);
  for (std::size_t i = 4; i < flat.size(); ++i) {
    EXPECT_EQ(fm[i], 61234.5) << i;
    EXPECT_EQ(fu[i], fm[i]) << i;
    EXPECT_EQ(fl[i], fm[i]) << i;
  }
}

// ADX(2) by hand (decay 1/2). Bars 1..5 give (+DM, -DM, TR) = (1,0,1.5), (.5,0,1.5), (0,1,2),
// (1,0,2.5), (.5,0,1.5). The Wilder sums are seeded with bar 1, then s = s/2 + x:
//   bar 2: +DM 1, -DM 0, TR 2.25 -> +DI 100/2.25, -DI 0, DX 100;
//   bar 3: .5, 1, 3.125 -> +DI 16, -DI 32, DX 100/3; ADX = (100 + 100/3)/2 = 200/3;
//   bar 4: 1.25, .5, 4.0625 -> DX 100*.75/1.75 = 300/7; ADX = (200/3 + 300/7)/2 = 1150/21;
//   bar 5: 1.125, .25, 3.53125 -> DX 100*.875/1.375 = 700/11; ADX = (1150/21 + 700/11)/2.
// +DI/-DI start on bar `period` = 2, ADX on bar 2*period-1 = 3.
TEST(HandComputed, AdxAndDirectionalIndicators) {
  Series bars;
  bars.add(9.5, 10, 9, 9.5, 1);
  bars.add(9.5, 11, 9.5, 10.5, 1);
  bars.add(10.5, 11.5, 10, 11, 1);
  bars.add(11, 11, 9, 9.5, 1);
  bars.add(9.5, 12, 10, 11.5, 1);
  bars.add(11.5, 12.5, 11, 12, 1);
  std::vector<double> adx_out(6), plus(6), minus(6);
  adx(bars.columns(), 2, adx_out, plus, minus);
  EXPECT_EQ(leading_nans(plus), 2);
  EXPECT_EQ(leading_nans(minus), 2);
  EXPECT_EQ(leading_nans(adx_out), 3);
  EXPECT_CLOSE(plus[2], 100.0 / 2.25);
  EXPECT_CLOSE(minus[2], 0.0);
  EXPECT_CLOSE(plus[3], 16.0);
  EXPECT_CLOSE(minus[3], 32.0);
  EXPECT_CLOSE(adx_out[3], 200.0 / 3.0);
  EXPECT_CLOSE(plus[4], 125.0 / 4.0625);
  EXPECT_CLOSE(minus[4], 50.0 / 4.0625);
  EXPECT_CLOSE(adx_out[4], 1150.0 / 21.0);
  EXPECT_CLOSE(plus[5], 112.5 / 3.53125);
  EXPECT_CLOSE(minus[5], 25.0 / 3.53125);
  EXPECT_CLOSE(adx_out[5], (1150.0 / 21.0 + 700.0 / 11.0) / 2.0);
  EXPECT_EQ(Adx(2).lookback(), 3);
  EXPECT_EQ(Adx(14).lookback(), 27);
}

// On a steadily rising series every move is up: +DI > -DI (= 0) and ADX is 100.
TEST(HandComputed, AdxOnARisingSeriesFavoursPlusDi) {
  Series bars;
  for (int i = 0; i < 40; ++i) bars.add(100 + i, 101 + i, 99 + i, 100.5 + i, 1);
  std::vector<double> adx_out(40), plus(40), minus(40);
  adx(bars.columns(), 14, adx_out, plus, minus);
  EXPECT_EQ(leading_nans(plus), 14);
  EXPECT_EQ(leading_nans(adx_out), 27);
  for (std::size_t i = 14; i < 40; ++i) {
    EXPECT_GT(plus[i], minus[i]) << i;
    EXPECT_EQ(minus[i], 0.0) << i;
  }
  for (std::size_t i = 27; i < 40; ++i) EXPECT_CLOSE(adx_out[i], 100.0);
}

// ===== 2 and 3. Lookbacks, and streaming equals batch bit for bit, on real data =====

// Through IndicatorSet: every catalog output (and the edge parameter sets of sweep_columns)
// has leading NaNs equal to column_lookback, and update() reproduces compute() bit for bit,
// again after reset().
TEST(StreamingEqualsBatch, IndicatorSetOnBtcAndDoge) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  // The sweep covers every output of every catalog indicator.
  const std::vector<std::string> names = sweep_columns();
  for (const IndicatorInfo& info : indicator_catalog()) {
    for (std::size_t o = 0; o < info.outputs.size(); ++o) {
      EXPECT_TRUE(std::any_of(names.begin(), names.end(), [&](const std::string& name) {
        const ColumnRequest column = parse_column(name);
        return column.indicator == &info && column.output == o;
      })) << info.outputs[o];
    }
  }
  for (const char* file : {kBtc, kDoge}) {
    SCOPED_TRACE(file);
    const Series& bars = binance_bars(data, file);
    ASSERT_GT(bars.size(), 8000u);
    expect_indicator_set_streaming_equals_batch(bars);
  }
}

// Through the typed classes: each streaming class (Sma, Ema, Rsi, WilliamsR, Obv, Atr, Cci,
// Mfi, EntropyVolatility, StochasticOscillator, Adx, BollingerBands, FibonacciRetracement,
// MarketRegime) against its batch free function; its lookback() and the catalog's lookback
// equal the leading NaNs of the batch output.
TEST(StreamingEqualsBatch, TypedClassesOnBtc) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  expect_typed_streaming_equals_batch(binance_bars(data, kBtc));
}

TEST(StreamingEqualsBatch, TypedClassesOnDoge) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  expect_typed_streaming_equals_batch(binance_bars(data, kDoge));
}

// The bounded indicators stay in their ranges on real data: RSI, MFI, stochastic 0..100,
// Williams %R -100..0, entropy 0..1, DI and ADX 0..100, lower <= middle <= upper.
TEST(StreamingEqualsBatch, BoundedIndicatorsStayInRangeOnDoge) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  const Series& bars = binance_bars(data, kDoge);
  const TechnicalIndicators ti(bars.columns());
  const auto in_range = [](const std::vector<double>& values, double low, double high) {
    int defined = 0;
    for (double v : values) {
      if (std::isnan(v)) continue;
      ++defined;
      if (v < low || v > high) return false;
    }
    return defined > 0;
  };
  EXPECT_TRUE(in_range(ti.rsi(), 0, 100));
  EXPECT_TRUE(in_range(ti.mfi(), 0, 100));
  EXPECT_TRUE(in_range(ti.stochastic_oscillator().k, 0, 100));
  EXPECT_TRUE(in_range(ti.stochastic_oscillator().d, 0, 100));
  EXPECT_TRUE(in_range(ti.williams_r(), -100, 0));
  EXPECT_TRUE(in_range(ti.entropy_volatility(), 0, 1));
  EXPECT_TRUE(in_range(ti.entropy_volatility(50, 8), 0, 1));
  const AdxSeries a = ti.adx();
  EXPECT_TRUE(in_range(a.adx, 0, 100));
  EXPECT_TRUE(in_range(a.plus_di, 0, 100));
  EXPECT_TRUE(in_range(a.minus_di, 0, 100));
  const BollingerSeries b = ti.bollinger_bands();
  for (std::size_t i = 19; i < bars.size(); ++i) {
    ASSERT_LE(b.lower[i], b.middle[i]) << i;
    ASSERT_LE(b.middle[i], b.upper[i]) << i;
  }
}

// ===== 4. The indicators TA-Lib lacks, against their definitions =====

// entropy_volatility recomputed independently: log returns, numpy.histogram(returns, bins)
// (edges np.linspace(min, max, bins+1), index ((x-min)/(max-min))*bins corrected against the
// edges, the maximum in the last bin), then -sum p ln p / ln bins. `closes` holds window+1
// closes.
double reference_entropy(std::span<const double> closes, int bins) {
  std::vector<double> returns;
  for (std::size_t i = 1; i < closes.size(); ++i) {
    returns.push_back(closes[i] > 0 && closes[i - 1] > 0 ? std::log(closes[i] / closes[i - 1])
                                                         : 0.0);
  }
  const auto [min_it, max_it] = std::minmax_element(returns.begin(), returns.end());
  const double lo = *min_it, hi = *max_it;
  if (lo == hi) return 0.0;  // numpy puts every value in one bin
  std::vector<double> edges(static_cast<std::size_t>(bins) + 1);
  const double step = (hi - lo) / bins;
  for (int k = 0; k < bins; ++k) edges[k] = k * step + lo;
  edges[bins] = hi;
  std::vector<int> counts(static_cast<std::size_t>(bins), 0);
  for (double x : returns) {
    int index = static_cast<int>(((x - lo) / (hi - lo)) * bins);
    if (index == bins) --index;
    if (x < edges[index]) --index;
    if (x >= edges[index + 1] && index != bins - 1) ++index;
    ++counts[index];
  }
  double entropy = 0;
  for (int c : counts) {
    if (c == 0) continue;
    const double p = static_cast<double>(c) / static_cast<double>(returns.size());
    entropy -= p * std::log(p);
  }
  return entropy / std::log(static_cast<double>(bins));
}

// Every return of a geometric series is the same: the entropy is exactly 0. The series is
// built as close *= 1.01 (and checked to give bit-identical returns).
TEST(EntropyVolatility, IsZeroWhenEveryReturnIsEqual) {
  std::vector<double> close;
  double c = 100;
  for (int i = 0; i < 60; ++i, c *= 1.01) close.push_back(c);
  for (std::size_t i = 2; i < close.size(); ++i) {
    ASSERT_TRUE(same_bits(std::log(close[i] / close[i - 1]), std::log(close[1] / close[0]))) << i;
  }
  std::vector<double> out(close.size());
  entropy_volatility(close, 20, 10, out);
  EXPECT_EQ(leading_nans(out), 20);
  for (std::size_t i = 20; i < out.size(); ++i) EXPECT_EQ(out[i], 0.0) << i;
  // A constant series (every return 0) too.
  std::vector<double> flat(30, 3.0), out_flat(30);
  entropy_volatility(flat, 20, 10, out_flat);
  for (std::size_t i = 20; i < out_flat.size(); ++i) EXPECT_EQ(out_flat[i], 0.0) << i;
}

// Returns alternating between two values fill the first and the last bin equally: entropy
// ln 2 / ln bins, for any number of bins.
TEST(EntropyVolatility, TwoAlternatingReturnsGiveLn2OverLnBins) {
  std::vector<double> close;
  for (int i = 0; i < 61; ++i) close.push_back(i % 2 == 0 ? 4.0 : 5.0);
  for (int bins : {2, 3, 10, 1000}) {
    std::vector<double> out(close.size());
    entropy_volatility(close, 20, bins, out);
    EXPECT_EQ(leading_nans(out), 20);
    for (std::size_t i = 20; i < out.size(); ++i) {
      EXPECT_NEAR(out[i], std::log(2.0) / std::log(static_cast<double>(bins)), 1e-12)
          << "bins " << bins << " bar " << i;
    }
  }
}

// Window 4, 2 bins, closes 1, 2, 4, 8, 4: returns ln2, ln2, ln2, -ln2 -> counts 1 and 3 ->
// -(0.25 ln 0.25 + 0.75 ln 0.75) / ln 2 = 0.8112781244591328.
TEST(EntropyVolatility, HandComputedWindow) {
  const std::vector<double> close = {1, 2, 4, 8, 4};
  std::vector<double> out(close.size());
  entropy_volatility(close, 4, 2, out);
  EXPECT_EQ(leading_nans(out), 4);
  EXPECT_NEAR(out[4], -(0.25 * std::log(0.25) + 0.75 * std::log(0.75)) / std::log(2.0), 1e-12);
  EXPECT_NEAR(out[4], 0.8112781244591328, 1e-12);
  // The independent recomputation used below agrees.
  EXPECT_NEAR(reference_entropy(close, 2), 0.8112781244591328, 1e-12);
}

// Every window of real data against the independent recomputation (1e-12), in 0..1.
TEST(EntropyVolatility, MatchesAnIndependentRecomputationOnRealData) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  for (const auto& [file, window, bins] : {std::tuple{kBtc, 20, 10}, std::tuple{kDoge, 20, 10},
                                           std::tuple{kDoge, 50, 8}, std::tuple{kBtc, 7, 3}}) {
    SCOPED_TRACE(std::string(file) + " window " + std::to_string(window) + " bins " +
                 std::to_string(bins));
    const Series& bars = binance_bars(data, file);
    std::vector<double> out(bars.size());
    entropy_volatility(bars.close, window, bins, out);
    ASSERT_EQ(leading_nans(out), window);
    int mismatches = 0, positive = 0;
    for (std::size_t i = static_cast<std::size_t>(window); i < bars.size(); ++i) {
      const double expected = reference_entropy(
          std::span<const double>(bars.close).subspan(i - window, window + 1), bins);
      positive += expected > 0;
      ASSERT_GE(out[i], 0.0) << i;
      ASSERT_LE(out[i], 1.0) << i;
      if (std::abs(out[i] - expected) > 1e-12 && mismatches++ < 5) {
        ADD_FAILURE() << "bar " << i << ": kernel " << out[i] << ", recomputed " << expected;
      }
    }
    EXPECT_EQ(mismatches, 0);
    EXPECT_GT(positive, static_cast<int>(bars.size()) / 2);
  }
}

// The seven levels of a swing at kFibonacciRatios.
constexpr std::array<double, 7> kRatios = {0.0, 0.236, 0.382, 0.5, 0.618, 0.786, 1.0};

// An up-swing (the low on bar 0, the high of 15 on bar 4): level p = H - p*(H-L), 0 % at the
// high, direction +1: 15, 12.64, 11.18, 10, 8.82, 7.14, 5.
TEST(FibonacciRetracement, UpSwingMeasuresDownFromTheHigh) {
  EXPECT_EQ(kFibonacciRatios, kRatios);
  Series bars;
  const double high[] = {10, 11, 12, 13, 15}, low[] = {5, 6, 7, 8, 9};
  for (int i = 0; i < 5; ++i) bars.add(low[i], high[i], low[i], low[i] + 1, 1);
  std::array<std::vector<double>, 7> levels;
  std::array<std::span<double>, 7> spans;
  for (std::size_t i = 0; i < 7; ++i) {
    levels[i].assign(5, 0.0);
    spans[i] = levels[i];
  }
  std::vector<double> direction(5);
  fibonacci_retracement(bars.columns(), 5, spans, direction);
  const double expected[] = {15, 12.64, 11.18, 10, 8.82, 7.14, 5};
  for (std::size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(leading_nans(levels[i]), 4);
    EXPECT_CLOSE(levels[i][4], expected[i]) << kRatios[i];
  }
  EXPECT_EQ(direction[4], 1.0);
}

// A down-swing (the high on bar 0, the low of 5 on bar 4): level p = L + p*(H-L), 0 % at the
// low, direction -1: 5, 7.36, 8.82, 10, 11.18, 12.86, 15. Streaming and the scalar form agree.
TEST(FibonacciRetracement, DownSwingMeasuresUpFromTheLow) {
  Series bars;
  const double high[] = {15, 13, 12, 11, 10}, low[] = {9, 8, 7, 6, 5};
  for (int i = 0; i < 5; ++i) bars.add(high[i], high[i], low[i], low[i] + 1, 1);
  const std::optional<FibonacciValue> value = fibonacci_retracement(bars.columns(), 5);
  ASSERT_TRUE(value.has_value());
  const double expected[] = {5, 7.36, 8.82, 10, 11.18, 12.86, 15};
  for (std::size_t i = 0; i < 7; ++i) EXPECT_CLOSE(value->levels[i], expected[i]) << kRatios[i];
  EXPECT_EQ(value->direction, -1.0);

  FibonacciRetracement stream(5);
  const BarColumns view = bars.columns();
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(std::isnan(stream.update(view.at(i)).direction));
  }
  const FibonacciValue last = stream.update(view.at(4));
  for (std::size_t i = 0; i < 7; ++i) EXPECT_EQ(last.levels[i], value->levels[i]);
  EXPECT_EQ(last.direction, -1.0);
  // Too few bars: none.
  EXPECT_FALSE(fibonacci_retracement(bars.head(4).columns(), 5).has_value());
}

// The swing slides with the window: lookback 3 over highs 10, 20, 12, 11, 13 and lows 5, 8, 9,
// 7, 6. Bar 2: H 20 (bar 1), L 5 (bar 0) -> up. Bar 3: H 20 (bar 1), L 7 (bar 3) -> down.
// Bar 4: the 20 has left; H 13 (bar 4), L 6 (bar 4) -> the same bar counts as up.
TEST(FibonacciRetracement, SwingSlidesWithTheWindow) {
  Series bars;
  const double high[] = {10, 20, 12, 11, 13}, low[] = {5, 8, 9, 7, 6};
  for (int i = 0; i < 5; ++i) bars.add(low[i], high[i], low[i], low[i], 1);
  const TechnicalIndicators ti(bars.columns());
  const FibonacciSeries fib = ti.fibonacci_retracement(3);
  EXPECT_EQ(fib.direction[2], 1.0);
  EXPECT_CLOSE(fib.levels[4][2], 20 - 0.618 * 15);
  EXPECT_EQ(fib.direction[3], -1.0);
  EXPECT_CLOSE(fib.levels[4][3], 7 + 0.618 * 13);
  EXPECT_EQ(fib.direction[4], 1.0);
  EXPECT_CLOSE(fib.levels[0][4], 13.0);
  EXPECT_CLOSE(fib.levels[6][4], 6.0);
  EXPECT_CLOSE(fib.levels[3][4], 9.5);
}

// On real data every bar matches a brute-force recomputation over the window: H = highest
// high, L = lowest low, up-swing when the (latest) high is not older than the (latest) low.
TEST(FibonacciRetracement, MatchesBruteForceOnRealData) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  const Series& bars = binance_bars(data, kDoge);
  const TechnicalIndicators ti(bars.columns());
  for (int lookback : {2, 20, 100}) {
    SCOPED_TRACE(lookback);
    const FibonacciSeries fib = ti.fibonacci_retracement(lookback);
    int ups = 0, downs = 0;
    for (std::size_t i = static_cast<std::size_t>(lookback) - 1; i < bars.size(); ++i) {
      std::size_t high_at = i + 1 - lookback, low_at = high_at;
      for (std::size_t k = i + 1 - lookback; k <= i; ++k) {
        if (bars.high[k] >= bars.high[high_at]) high_at = k;
        if (bars.low[k] <= bars.low[low_at]) low_at = k;
      }
      const double h = bars.high[high_at], l = bars.low[low_at];
      const bool up = high_at >= low_at;
      (up ? ups : downs)++;
      ASSERT_EQ(fib.direction[i], up ? 1.0 : -1.0) << i;
      for (std::size_t r = 0; r < 7; ++r) {
        const double expected = up ? h - kRatios[r] * (h - l) : l + kRatios[r] * (h - l);
        ASSERT_EQ(fib.levels[r][i], expected) << "bar " << i << " ratio " << kRatios[r];
      }
    }
    EXPECT_GT(ups, 100);
    EXPECT_GT(downs, 100);
  }
}

// Regime values of a market_regime column, and how often it changes.
int transitions(const std::vector<double>& regime) {
  int count = 0;
  for (std::size_t i = 1; i < regime.size(); ++i) {
    if (!std::isnan(regime[i - 1]) && !std::isnan(regime[i]) && regime[i] != regime[i - 1]) {
      ++count;
    }
  }
  return count;
}

std::vector<double> regime_of(const Series& bars, const MarketRegimeParams& params = {}) {
  std::vector<double> out(bars.size());
  market_regime(bars.columns(), params, out);
  return out;
}

// The variant without hysteresis: leave a trend / high volatility at the entry threshold.
MarketRegimeParams without_hysteresis() {
  MarketRegimeParams params;
  params.trend_exit_adx = params.trend_enter_adx;
  params.volatility_exit_rank = params.volatility_enter_rank;
  return params;
}

// A steady uptrend (+0.2 a bar) with noise large enough for down closes, constant bar range
// (so ATR% falls and never ranks high): trend up on every bar after the warm-up.
TEST(MarketRegime, SteadyUptrendIsTrendUp) {
  Series bars;
  for (int i = 0; i < 400; ++i) {
    const double c = 100 + 0.2 * i + 0.3 * std::sin(1.3 * i);
    bars.add(c, c + 0.3, c - 0.3, c, 1);
  }
  int down_closes = 0;
  for (std::size_t i = 1; i < bars.size(); ++i) down_closes += bars.close[i] < bars.close[i - 1];
  ASSERT_GT(down_closes, 50);  // the noise is real
  const std::vector<double> regime = regime_of(bars);
  ASSERT_EQ(leading_nans(regime), MarketRegime().lookback());
  EXPECT_EQ(MarketRegime().lookback(), 118);  // max(2*14-1, 14+100-1, 19+100-1)
  for (std::size_t i = 118; i < regime.size(); ++i) EXPECT_EQ(regime[i], 1.0) << i;
  EXPECT_EQ(market_regime(bars.columns()), Regime::kTrendUp);
}

// A geometric downtrend (-0.2 % a bar) with noise, bar range proportional to the price and
// slowly narrowing: trend down on every bar after the warm-up.
TEST(MarketRegime, SteadyDowntrendIsTrendDown) {
  Series bars;
  for (int i = 0; i < 400; ++i) {
    const double c = 300 * std::pow(0.998, i) * (1 + 0.003 * std::sin(1.3 * i));
    const double half_range = c * 0.001 * (1 - i / 800.0);
    bars.add(c, c + half_range, c - half_range, c, 1);
  }
  const std::vector<double> regime = regime_of(bars);
  ASSERT_EQ(leading_nans(regime), 118);
  for (std::size_t i = 118; i < regime.size(); ++i) EXPECT_EQ(regime[i], -1.0) << i;
  EXPECT_EQ(market_regime(bars.columns()), Regime::kTrendDown);
}

// A flat series oscillating with period 10 (slowly damped, so volatility never ranks high):
// ADX stays low and the regime is range.
TEST(MarketRegime, FlatOscillationIsRange) {
  Series bars;
  for (int i = 0; i < 400; ++i) {
    const double amplitude = 2 * (1 - i / 1500.0);
    const double c = 100 + amplitude * std::sin(2 * std::numbers::pi * i / 10);
    bars.add(c, c + 0.3 * amplitude, c - 0.3 * amplitude, c, 1);
  }
  const std::vector<double> regime = regime_of(bars);
  ASSERT_EQ(leading_nans(regime), 118);
  for (std::size_t i = 118; i < regime.size(); ++i) EXPECT_EQ(regime[i], 0.0) << i;
  EXPECT_EQ(market_regime(bars.columns()), Regime::kRange);
}

// The same calm oscillation, then from bar 400 a burst eight times larger: range before the
// burst, high volatility (2) within a few bars of it, and it stays there while the burst
// lasts. Checked through the streaming MarketRegime and regime().
TEST(MarketRegime, BurstAfterCalmIsHighVolatility) {
  MarketRegime stream;
  std::vector<Regime> seen;
  for (int i = 0; i < 430; ++i) {
    const double amplitude = i >= 400 ? 8.0 : 1 - i / 1500.0;
    const double c = 100 + amplitude * std::sin(2 * std::numbers::pi * i / 10);
    BarInput bar;
    bar.open = bar.close = c;
    bar.high = c + 0.3 * amplitude;
    bar.low = c - 0.3 * amplitude;
    stream.update(bar);
    if (i >= 118) {
      ASSERT_TRUE(stream.regime().has_value()) << i;
      seen.push_back(*stream.regime());
    }
  }
  const auto at = [&](int bar) { return seen[static_cast<std::size_t>(bar - 118)]; };
  for (int i = 118; i < 400; ++i) EXPECT_EQ(at(i), Regime::kRange) << i;
  for (int i = 405; i < 430; ++i) EXPECT_EQ(at(i), Regime::kHighVolatility) << i;
}

// Hysteresis. Bars alternate +a and -0.6 with a = 1 + 0.15 sin(2 pi i / 80), so DX hovers
// around 100*(a-0.6)/(a+0.6) ~ 25 and ADX crosses the enter threshold 25 again and again while
// staying above the exit threshold 20 (the bar range is constant and the price rises, so
// volatility never ranks high). With hysteresis the regime enters the trend at most once and
// stays; with exit == enter it flips at every crossing.
TEST(MarketRegime, HysteresisSuppressesFlipsAroundTheThreshold) {
  Series bars;
  double c = 20;
  for (int i = 0; i < 600; ++i) {
    if (i > 0) c += i % 2 == 1 ? 1 + 0.15 * std::sin(2 * std::numbers::pi * i / 80) : -0.6;
    bars.add(c, c + 0.1, c - 0.1, c, 1);
  }
  std::vector<double> adx_out(bars.size());
  adx(bars.columns(), 14, adx_out);
  int crossings = 0;
  for (std::size_t i = 119; i < bars.size(); ++i) {
    ASSERT_GT(adx_out[i], 20.0) << i;  // never below the exit threshold
    crossings += (adx_out[i - 1] >= 25.0) != (adx_out[i] >= 25.0);
  }
  ASSERT_GE(crossings, 10);

  const std::vector<double> with = regime_of(bars);
  const std::vector<double> without = regime_of(bars, without_hysteresis());
  for (std::size_t i = 118; i < bars.size(); ++i) {
    ASSERT_NE(with[i], 2.0) << i;
    ASSERT_NE(without[i], 2.0) << i;
  }
  EXPECT_LE(transitions(with), 1);
  EXPECT_GE(transitions(without), crossings - 1);
  EXPECT_EQ(with.back(), 1.0);
}

// On real BTC 5m bars the hysteresis version changes regime strictly less often than the
// variant whose exit thresholds equal the entry thresholds; both use every regime.
TEST(MarketRegime, HysteresisHasFewerTransitionsOnBtc) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  const Series& bars = binance_bars(data, kBtc);
  const std::vector<double> with = regime_of(bars);
  const std::vector<double> without = regime_of(bars, without_hysteresis());
  for (double r : {-1.0, 0.0, 1.0, 2.0}) {
    EXPECT_GT(std::count(with.begin(), with.end(), r), 0) << r;
    EXPECT_GT(std::count(without.begin(), without.end(), r), 0) << r;
  }
  const int with_count = transitions(with), without_count = transitions(without);
  std::printf("  BTC 5m regime transitions: %d with hysteresis, %d without\n", with_count,
              without_count);
  EXPECT_GT(with_count, 0);
  EXPECT_LT(with_count, without_count);
}

// MarketRegime::regime() is none while warming up and then names value().
TEST(MarketRegime, RegimeIsNoneWhileWarmingUp) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  const Series& bars = binance_bars(data, kBtc);
  MarketRegime stream;
  EXPECT_FALSE(stream.regime().has_value());
  const BarColumns view = bars.columns();
  for (std::size_t i = 0; i < 1000; ++i) {
    const double value = stream.update(view.at(i));
    if (static_cast<int>(i) < stream.lookback()) {
      ASSERT_FALSE(stream.regime().has_value()) << i;
      ASSERT_TRUE(std::isnan(value)) << i;
    } else {
      ASSERT_TRUE(stream.regime().has_value()) << i;
      ASSERT_EQ(static_cast<double>(static_cast<int>(*stream.regime())), value) << i;
    }
  }
}

// ===== 5. Errors =====

// Runs `call`, which must throw ArgumentError whose message contains every part.
template <class Call>
void expect_argument_error(Call call, std::initializer_list<std::string_view> parts) {
  try {
    call();
    ADD_FAILURE() << "no ArgumentError; expected one mentioning " << *parts.begin();
  } catch (const ArgumentError& e) {
    const std::string message = e.what();
    for (std::string_view part : parts) {
      EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
    }
  }
}

// A period below TA-Lib's minimum (or above 100000) throws ArgumentError naming the parameter
// and the value, from the streaming classes, the batch functions and the scalar forms alike.
TEST(Errors, InvalidPeriodsNameTheParameterAndValue) {
  const std::vector<double> v(50, 1.0);
  std::vector<double> out(50);
  const Series s = from_closes(v);
  const BarColumns bars = s.columns();
  expect_argument_error([] { Sma(0); }, {"SMA period", "was 0"});
  expect_argument_error([&] { sma(v, 0, out); }, {"SMA period", "was 0"});
  expect_argument_error([&] { (void)sma(v, 0); }, {"SMA period", "was 0"});
  expect_argument_error([] { Sma(100001); }, {"SMA period", "was 100001"});
  expect_argument_error([] { Ema(0); }, {"EMA period", "was 0"});
  expect_argument_error([&] { ema(v, -3, out); }, {"EMA period", "was -3"});
  expect_argument_error([] { Rsi(1); }, {"RSI period", "was 1"});
  expect_argument_error([&] { rsi(v, 1, out); }, {"RSI period", "was 1"});
  expect_argument_error([] { Atr(0); }, {"ATR period", "was 0"});
  expect_argument_error([] { Adx(1); }, {"ADX period", "was 1"});
  expect_argument_error([&] { adx(bars, 1, out); }, {"ADX period", "was 1"});
  expect_argument_error([&] { (void)adx(bars, 1); }, {"ADX period", "was 1"});
  expect_argument_error([] { Cci(1); }, {"CCI period", "was 1"});
  expect_argument_error([] { Mfi(1); }, {"MFI period", "was 1"});
  expect_argument_error([] { WilliamsR(1); }, {"Williams %R period", "was 1"});
  expect_argument_error([] { BollingerBands(1); }, {"Bollinger period", "was 1"});
  expect_argument_error([] { BollingerBands(20, kNan); }, {"Bollinger upper deviations"});
  expect_argument_error([] { StochasticOscillator(0, 3, 3); },
                        {"stochastic fast %K period", "was 0"});
  expect_argument_error([] { StochasticOscillator(14, 0, 3); },
                        {"stochastic slow %K period", "was 0"});
  expect_argument_error([] { StochasticOscillator(14, 3, 0); },
                        {"stochastic slow %D period", "was 0"});
  expect_argument_error([&] { stochastic_oscillator(bars, 0, 3, 3, out, out); },
                        {"stochastic fast %K period", "was 0"});
  expect_argument_error([] { EntropyVolatility(1, 10); }, {"entropy window", "was 1"});
  expect_argument_error([] { EntropyVolatility(20, 1); }, {"entropy bins", "was 1"});
  expect_argument_error([] { EntropyVolatility(20, 1001); }, {"entropy bins", "was 1001"});
  expect_argument_error([] { FibonacciRetracement(1); }, {"Fibonacci lookback", "was 1"});

  MarketRegimeParams params;
  params.adx_period = 1;
  expect_argument_error([&] { MarketRegime{params}; }, {"market regime ADX period", "was 1"});
  params = {};
  params.rank_window = 1;
  expect_argument_error([&] { market_regime(bars, params, out); },
                        {"market regime rank window", "was 1"});
  params = {};
  params.trend_exit_adx = 30;  // above trend_enter_adx = 25
  expect_argument_error([&] { MarketRegime{params}; }, {"market regime trend exit ADX", "was 30"});
  params = {};
  params.volatility_exit_rank = 0.95;  // above volatility_enter_rank = 0.9
  expect_argument_error([&] { MarketRegime{params}; },
                        {"market regime volatility exit rank", "was 0.95"});
}

// Input and output spans of different lengths throw ArgumentError.
TEST(Errors, MismatchedLengthsThrow) {
  const std::vector<double> five(5, 1.0), four(4, 1.0);
  std::vector<double> out5(5), out4(4);
  BarColumns short_high;
  short_high.high = four;
  short_high.low = five;
  short_high.close = five;
  expect_argument_error([&] { sma(five, 3, out4); }, {"close column has 5 values"});
  expect_argument_error([&] { ema(four, 3, out5); }, {"close column has 4 values"});
  expect_argument_error([&] { atr(short_high, 3, out5); }, {"high column has 4 values"});
  expect_argument_error([&] { obv(five, four, out5); }, {"volume column has 4 values"});
  expect_argument_error([&] { (void)obv(five, four); }, {"volume column"});

  BarColumns bars;
  bars.high = five;
  bars.low = five;
  bars.close = five;
  expect_argument_error([&] { stochastic_oscillator(bars, 3, 1, 1, out5, out4); },
                        {"output span has 4 values, expected 5"});
  expect_argument_error([&] { adx(bars, 2, out5, out4); }, {"output span has 4 values"});
  expect_argument_error([&] { bollinger_bands(five, 2, 2, 2, out5, out4, out5); },
                        {"output span has 4 values"});
  std::array<std::span<double>, 7> levels;
  for (auto& level : levels) level = out5;
  levels[3] = out4;
  expect_argument_error([&] { fibonacci_retracement(bars, 2, levels); },
                        {"output span has 4 values"});

  IndicatorSet set({"sma_3"});
  std::vector<std::span<double>> two = {out5, out5};
  expect_argument_error([&] { set.compute(bars, two); },
                        {"2 output columns given for 1 requested columns"});
  std::vector<std::span<double>> wrong_length = {out4};
  expect_argument_error([&] { set.compute(bars, wrong_length); }, {"output span has 4 values"});
  std::vector<double> row(2);
  expect_argument_error([&] { set.update(BarInput{}, row); },
                        {"a row of 2 values given for 1 requested columns"});

  const TechnicalIndicators no_volume({}, five, five, five, {});
  expect_argument_error([&] { (void)no_volume.obv(); }, {"volume column"});
}

// Bad column names throw ArgumentError quoting the name.
TEST(Errors, ParseColumnRejectsBadNames) {
  expect_argument_error([] { parse_column("foo_3"); }, {"'foo_3'", "unknown indicator"});
  expect_argument_error([] { parse_column("sma_x"); }, {"'sma_x'", "unknown indicator"});
  expect_argument_error([] { parse_column(""); }, {"unknown indicator"});
  expect_argument_error([] { parse_column("sma_30_2"); },
                        {"'sma_30_2'", "takes 1 parameter(s), got 2"});
  expect_argument_error([] { parse_column("obv_3"); }, {"'obv_3'", "takes 0 parameter(s)"});
  expect_argument_error([] { parse_column("rsi_2.5"); }, {"'rsi_2.5'", "must be an integer"});
  expect_argument_error([] { parse_column("bb_upper_20_abc"); },
                        {"'bb_upper_20_abc'", "not a number: 'abc'"});
  expect_argument_error([] { parse_column("rsi_1"); }, {"'rsi_1'", "between 2 and 100000"});
  expect_argument_error([] { parse_column("sma_nan"); }, {"'sma_nan'"});
  expect_argument_error([] { parse_column("entropy_volatility_20_1"); },
                        {"'entropy_volatility_20_1'", "bins"});
  expect_argument_error([] { IndicatorSet({"rsi", "stoch_k_0"}); }, {"'stoch_k_0'"});
}

// ===== Column names =====

// Defaults fill in, canonical names spell every parameter, and each output maps to its
// indicator and output index; column_lookback follows the parameters.
TEST(ParseColumn, ResolvesNamesParametersAndOutputs) {
  const ColumnRequest rsi_default = parse_column("rsi");
  EXPECT_EQ(rsi_default.indicator->key, "rsi");
  EXPECT_EQ(rsi_default.name, "rsi");
  EXPECT_EQ(rsi_default.canonical_name, "rsi_14");
  EXPECT_EQ(rsi_default.parameters, std::vector<double>{14});
  EXPECT_EQ(column_lookback(rsi_default), 14);

  const ColumnRequest bb = parse_column("bb_upper_20_2");
  EXPECT_EQ(bb.indicator->key, "bb");
  EXPECT_EQ(bb.output, 0u);
  EXPECT_EQ(bb.parameters, (std::vector<double>{20, 2}));
  EXPECT_EQ(bb.canonical_name, "bb_upper_20_2");
  EXPECT_EQ(parse_column("bb_lower").canonical_name, "bb_lower_20_2");
  EXPECT_EQ(parse_column("bb_lower").output, 2u);
  EXPECT_EQ(parse_column("bb_middle_50_2.5").canonical_name, "bb_middle_50_2.5");

  const ColumnRequest plus_di = parse_column("plus_di_14");
  EXPECT_EQ(plus_di.indicator->key, "adx");
  EXPECT_EQ(plus_di.output, 1u);
  EXPECT_EQ(column_lookback(plus_di), 14);
  EXPECT_EQ(parse_column("minus_di").output, 2u);
  EXPECT_EQ(column_lookback(parse_column("adx_14")), 27);

  EXPECT_EQ(parse_column("stoch_d").canonical_name, "stoch_d_14_3_3");
  EXPECT_EQ(parse_column("stoch_k_5").canonical_name, "stoch_k_5_3_3");
  EXPECT_EQ(column_lookback(parse_column("stoch_k_14_3_3")), 17);
  EXPECT_EQ(parse_column("obv").canonical_name, "obv");
  EXPECT_EQ(column_lookback(parse_column("obv")), 0);
  EXPECT_EQ(parse_column("sma").canonical_name, "sma_30");
  EXPECT_EQ(parse_column("rsi_14.0").canonical_name, "rsi_14");

  const ColumnRequest fib = parse_column("fib_618_50");
  EXPECT_EQ(fib.indicator->key, "fib");
  EXPECT_EQ(fib.output, 4u);
  EXPECT_EQ(column_lookback(fib), 49);
  EXPECT_EQ(parse_column("fib_0_20").output, 0u);
  EXPECT_EQ(parse_column("fib_1000").output, 6u);
  EXPECT_EQ(parse_column("fib_direction_20").output, 7u);
  EXPECT_FALSE(parse_column("fib_0").indicator->talib);

  const ColumnRequest regime = parse_column("market_regime_14_14_20_100");
  EXPECT_EQ(regime.canonical_name, "market_regime_14_14_20_100");
  EXPECT_EQ(column_lookback(regime), 118);
  EXPECT_EQ(column_lookback(parse_column("market_regime_10_10_14_50")), 62);
  EXPECT_EQ(parse_column("entropy_volatility").canonical_name, "entropy_volatility_20_10");
  EXPECT_EQ(column_lookback(parse_column("entropy_volatility_20_10")), 20);
}

// The catalog lists the fourteen indicators; exactly three are not TA-Lib's.
TEST(ParseColumn, CatalogListsEveryIndicator) {
  std::vector<std::string> keys;
  int non_talib = 0;
  for (const IndicatorInfo& info : indicator_catalog()) {
    keys.emplace_back(info.key);
    non_talib += info.talib ? 0 : 1;
    EXPECT_FALSE(info.outputs.empty()) << info.key;
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"sma", "ema", "rsi", "stoch", "willr", "obv", "atr",
                                            "adx", "cci", "bb", "mfi", "entropy_volatility", "fib",
                                            "market_regime"}));
  EXPECT_EQ(non_talib, 3);
}

// Duplicate columns ("rsi" and "rsi_14") are one computation filling both, identically, in
// batch and streaming; a different period is a different column.
TEST(ParseColumn, DuplicateColumnsAreFilledIdentically) {
  Series bars;
  for (int i = 0; i < 60; ++i) {
    const double c = 100 + 5 * std::sin(0.4 * i) + 0.1 * i;
    bars.add(c, c + 1, c - 1, c, 10);
  }
  IndicatorSet set({"rsi", "rsi_14", "rsi_7"});
  EXPECT_EQ(set.columns()[0].canonical_name, set.columns()[1].canonical_name);
  std::vector<std::vector<double>> out(3, std::vector<double>(bars.size(), -1.0));
  const std::vector<std::span<double>> spans(out.begin(), out.end());
  set.compute(bars.columns(), spans);
  std::vector<double> expected(bars.size());
  rsi(bars.close, 14, expected);
  for (std::size_t i = 0; i < bars.size(); ++i) {
    EXPECT_TRUE(same_bits(out[0][i], expected[i])) << i;
    EXPECT_TRUE(same_bits(out[1][i], expected[i])) << i;
  }
  EXPECT_EQ(leading_nans(out[2]), 7);
  EXPECT_NE(out[2].back(), out[0].back());

  std::vector<double> row(3);
  const BarColumns view = bars.columns();
  for (std::size_t i = 0; i < bars.size(); ++i) {
    set.update(view.at(i), row);
    EXPECT_TRUE(same_bits(row[0], expected[i])) << i;
    EXPECT_TRUE(same_bits(row[1], expected[i])) << i;
  }
}

// ===== 6. Scalar forms and the TechnicalIndicators wrapper =====

// Each scalar form is none when the input is too short for one value and otherwise the last
// value of the batch output, bit for bit.
TEST(ScalarForms, AreNoneWhenTooShortElseTheLastBatchValue) {
  Series bars;
  for (int i = 0; i < 300; ++i) {
    const double c = 50 + 3 * std::sin(0.05 * i) + std::cos(0.9 * i);
    bars.add(c, c + 0.5 + 0.2 * std::sin(i), c - 0.5, c, 100 + 10 * std::sin(0.3 * i));
  }
  const BarColumns all = bars.columns();
  const TechnicalIndicators ti(all);
  const auto last_equal = [](std::optional<double> scalar, const std::vector<double>& batch) {
    return scalar.has_value() && same_bits(*scalar, batch.back());
  };

  EXPECT_FALSE(sma(std::span(bars.close).first(29), 30).has_value());
  EXPECT_TRUE(sma(std::span(bars.close).first(30), 30).has_value());
  EXPECT_FALSE(sma(std::span<const double>(), 30).has_value());
  EXPECT_TRUE(last_equal(sma(bars.close, 30), ti.sma(30)));
  EXPECT_FALSE(ema(std::span(bars.close).first(8), 9).has_value());
  EXPECT_TRUE(last_equal(ema(bars.close, 9), ti.ema(9)));
  EXPECT_FALSE(rsi(std::span(bars.close).first(14)).has_value());
  EXPECT_TRUE(rsi(std::span(bars.close).first(15)).has_value());
  EXPECT_TRUE(last_equal(rsi(bars.close), ti.rsi()));
  EXPECT_FALSE(atr(bars.head(14).columns()).has_value());
  EXPECT_TRUE(last_equal(atr(all), ti.atr()));
  EXPECT_FALSE(cci(bars.head(19).columns()).has_value());
  EXPECT_TRUE(last_equal(cci(all), ti.cci()));
  EXPECT_FALSE(williams_r(bars.head(13).columns()).has_value());
  EXPECT_TRUE(last_equal(williams_r(all), ti.williams_r()));
  EXPECT_FALSE(mfi(bars.head(14).columns()).has_value());
  EXPECT_TRUE(last_equal(mfi(all), ti.mfi()));
  EXPECT_FALSE(entropy_volatility(std::span(bars.close).first(20)).has_value());
  EXPECT_TRUE(last_equal(entropy_volatility(bars.close), ti.entropy_volatility()));

  // ADX needs 2*period bars even though the DIs exist earlier.
  EXPECT_FALSE(adx(bars.head(27).columns()).has_value());
  ASSERT_TRUE(adx(bars.head(28).columns()).has_value());
  const AdxSeries adx_series = ti.adx();
  const std::optional<AdxValue> adx_last = adx(all);
  ASSERT_TRUE(adx_last.has_value());
  EXPECT_TRUE(same_bits(adx_last->adx, adx_series.adx.back()));
  EXPECT_TRUE(same_bits(adx_last->plus_di, adx_series.plus_di.back()));
  EXPECT_TRUE(same_bits(adx_last->minus_di, adx_series.minus_di.back()));

  EXPECT_FALSE(stochastic_oscillator(bars.head(17).columns()).has_value());
  const std::optional<StochasticValue> stoch = stochastic_oscillator(all, 5, 1, 1);
  ASSERT_TRUE(stoch.has_value());
  EXPECT_TRUE(same_bits(stoch->k, ti.stochastic_oscillator(5, 1, 1).k.back()));
  EXPECT_TRUE(same_bits(stoch->d, ti.stochastic_oscillator(5, 1, 1).d.back()));

  EXPECT_FALSE(bollinger_bands(std::span(bars.close).first(19)).has_value());
  const std::optional<BollingerValue> bands = bollinger_bands(bars.close, 20, 2.5);
  const BollingerSeries band_series = ti.bollinger_bands(20, 2.5);
  ASSERT_TRUE(bands.has_value());
  EXPECT_TRUE(same_bits(bands->upper, band_series.upper.back()));
  EXPECT_TRUE(same_bits(bands->middle, band_series.middle.back()));
  EXPECT_TRUE(same_bits(bands->lower, band_series.lower.back()));

  EXPECT_FALSE(fibonacci_retracement(bars.head(49).columns()).has_value());
  const std::optional<FibonacciValue> fib = fibonacci_retracement(all, 30);
  const FibonacciSeries fib_series = ti.fibonacci_retracement(30);
  ASSERT_TRUE(fib.has_value());
  for (std::size_t i = 0; i < 7; ++i) {
    EXPECT_TRUE(same_bits(fib->levels[i], fib_series.levels[i].back()));
  }
  EXPECT_TRUE(same_bits(fib->direction, fib_series.direction.back()));

  EXPECT_FALSE(market_regime(bars.head(118).columns()).has_value());
  const std::optional<Regime> regime = market_regime(all);
  ASSERT_TRUE(regime.has_value());
  EXPECT_EQ(static_cast<double>(static_cast<int>(*regime)), ti.market_regime().back());

  // OBV returns the whole series, or none for an empty input.
  EXPECT_FALSE(obv(std::span<const double>(), std::span<const double>()).has_value());
  const std::optional<std::vector<double>> obv_series = obv(bars.close, bars.volume);
  ASSERT_TRUE(obv_series.has_value());
  EXPECT_EQ(*obv_series, ti.obv());
  EXPECT_EQ(obv_series->front(), bars.volume.front());
}

void expect_same_series(const std::vector<double>& actual, const std::vector<double>& expected,
                        const char* what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    ASSERT_TRUE(same_bits(actual[i], expected[i]))
        << what << " bar " << i << ": " << actual[i] << " vs " << expected[i];
  }
}

// Every wrapper method returns the batch function's output bit for bit, whether the wrapper
// was built from vectors or from BarColumns.
TEST(ScalarForms, WrapperEqualsTheBatchFunctions) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  const Series bars = binance_bars(data, kDoge).head(2000);
  const BarColumns view = bars.columns();
  const std::size_t n = bars.size();
  const TechnicalIndicators from_columns(view);
  const TechnicalIndicators from_vectors(bars.open, bars.high, bars.low, bars.close, bars.volume);
  EXPECT_EQ(from_columns.size(), n);
  EXPECT_EQ(from_vectors.size(), n);

  for (const TechnicalIndicators* ti : {&from_columns, &from_vectors}) {
    std::vector<double> a(n), b(n), c(n);
    sma(bars.close, 20, a);
    expect_same_series(ti->sma(20), a, "sma");
    ema(bars.close, 20, a);
    expect_same_series(ti->ema(20), a, "ema");
    rsi(bars.close, 9, a);
    expect_same_series(ti->rsi(9), a, "rsi");
    atr(view, 14, a);
    expect_same_series(ti->atr(), a, "atr");
    cci(view, 20, a);
    expect_same_series(ti->cci(), a, "cci");
    williams_r(view, 14, a);
    expect_same_series(ti->williams_r(), a, "willr");
    obv(bars.close, bars.volume, a);
    expect_same_series(ti->obv(), a, "obv");
    mfi(view, 14, a);
    expect_same_series(ti->mfi(), a, "mfi");
    entropy_volatility(bars.close, 30, 6, a);
    expect_same_series(ti->entropy_volatility(30, 6), a, "entropy");
    market_regime(view, MarketRegimeParams{}, a);
    expect_same_series(ti->market_regime(), a, "market_regime");

    adx(view, 10, a, b, c);
    const AdxSeries adx_series = ti->adx(10);
    expect_same_series(adx_series.adx, a, "adx");
    expect_same_series(adx_series.plus_di, b, "plus_di");
    expect_same_series(adx_series.minus_di, c, "minus_di");

    stochastic_oscillator(view, 14, 3, 3, a, b);
    const StochasticSeries stoch = ti->stochastic_oscillator();
    expect_same_series(stoch.k, a, "stoch_k");
    expect_same_series(stoch.d, b, "stoch_d");

    bollinger_bands(bars.close, 20, 2.0, 2.0, a, b, c);
    const BollingerSeries bands = ti->bollinger_bands();
    expect_same_series(bands.upper, a, "bb_upper");
    expect_same_series(bands.middle, b, "bb_middle");
    expect_same_series(bands.lower, c, "bb_lower");

    std::array<std::vector<double>, 7> levels;
    std::array<std::span<double>, 7> spans;
    for (std::size_t i = 0; i < 7; ++i) {
      levels[i].assign(n, 0.0);
      spans[i] = levels[i];
    }
    fibonacci_retracement(view, 50, spans, a);
    const FibonacciSeries fib = ti->fibonacci_retracement();
    for (std::size_t i = 0; i < 7; ++i) expect_same_series(fib.levels[i], levels[i], "fib level");
    expect_same_series(fib.direction, a, "fib_direction");
  }
}

// ===== Regressions =====

// SMA(1) is exactly its input, as TA-Lib's. It was not while the running total was only ever
// updated by x[0] - x[-period]: over {1.0, 1e-20} bar 1 came out 0. The total is now summed
// afresh every `period` bars.
TEST(Sma, OfPeriodOneIsExactlyItsInput) {
  const std::vector<double> values = {1.0, 1e-20, 1e6, 1e-3, 7.0};
  std::vector<double> out(values.size());
  sma(values, 1, out);
  for (std::size_t i = 0; i < values.size(); ++i) EXPECT_EQ(out[i], values[i]) << i;
}

// A return lying exactly on an interior bin edge goes to the upper bin, as in numpy.histogram.
// Closes 108, 119, 108, 108, 119 (window 4, 2 bins) give the returns a, -a, 0, a with
// a = ln(119/108); 0 is the edge linspace(-a, a, 3)[1], so the counts are 1 and 3 and the
// entropy 0.8112781244591328. Truncating the scaled index alone put 0 in the lower bin
// (0.99999999999999989 -> 0) and gave 1.
TEST(EntropyVolatility, BinsAReturnOnAnEdgeAsNumpyHistogram) {
  const std::vector<double> close = {108, 119, 108, 108, 119};
  ASSERT_EQ(std::log(108.0 / 119.0), -std::log(119.0 / 108.0));
  ASSERT_NEAR(reference_entropy(close, 2), 0.8112781244591328, 1e-12);
  std::vector<double> out(close.size());
  entropy_volatility(close, 4, 2, out);
  EXPECT_NEAR(out[4], 0.8112781244591328, 1e-12);
}

}  // namespace
}  // namespace gauntlet::indicators
