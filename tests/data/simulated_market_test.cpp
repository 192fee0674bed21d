#include "data/feeds/simulated_market.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/exceptions.hpp"

namespace gauntlet::data {
namespace {

using namespace gauntlet::literals;

constexpr TimestampMs kStart = 1'704'067'200'000;  // 2024-01-01T00:00:00Z
constexpr int kMinutesPerDay = 1440;
constexpr double kMinutesPerYear = 525'600;

// A symbol with one spot listing on a fine tick grid, so rounding does not disturb statistics.
SimulatedSymbol fine_symbol(std::string_view name, double annual_volatility) {
  return {Symbol::parse(name),
          Decimal::from_int(100),
          annual_volatility,
          {{Asset::kSpot, "0.0001"_d, "0.001"_d, 1'000, 0}}};
}

// The default model's parameters over a universe of fine-grid symbols.
SimulatedMarketConfig fine_config(uint64_t seed, int symbols) {
  SimulatedMarketConfig config;
  config.seed = seed;
  config.start = kStart;
  const char* names[] = {"AAAUSDT", "BBBUSDT", "CCCUSDT", "DDDUSDT", "EEEUSDT", "FFFUSDT"};
  for (int i = 0; i < symbols; ++i) {
    config.symbols.push_back(fine_symbol(names[i], 0.5 + 0.1 * i));
  }
  return config;
}

// Every regime alike and no log-volatility factor: a constant-volatility diffusion with jumps
// and the intraday season.
void make_single_regime(SimulatedMarketConfig& config) {
  for (SimulatedRegime& regime : config.regimes) regime = {1.0, 1.0};
  config.log_volatility_stddev = 0;
}

// The 1m log returns of the close of every bar, per bar index, over `minutes` minutes.
struct Sample {
  std::vector<std::vector<double>> returns;  // [bar index][minute]
  std::vector<std::vector<double>> volumes;
  std::vector<double> multipliers;  // volatility_multiplier() per minute
  std::vector<MarketRegime> regimes;
};

Sample generate(SimulatedMarket& market, int minutes) {
  Sample sample;
  std::vector<double> previous;
  for (int minute = 0; minute < minutes; ++minute) {
    const std::vector<BarClosed>& bars = market.next_minute();
    if (minute == 0) {
      sample.returns.resize(bars.size());
      sample.volumes.resize(bars.size());
      for (const BarClosed& bar : bars) previous.push_back(bar.bar.open.to_double());
    }
    for (std::size_t i = 0; i < bars.size(); ++i) {
      const double close = bars[i].bar.close.to_double();
      sample.returns[i].push_back(std::log(close / previous[i]));
      sample.volumes[i].push_back(bars[i].bar.volume.to_double());
      previous[i] = close;
    }
    sample.multipliers.push_back(market.volatility_multiplier());
    sample.regimes.push_back(market.regime());
  }
  return sample;
}

double mean(const std::vector<double>& values) {
  double sum = 0;
  for (const double value : values) sum += value;
  return sum / static_cast<double>(values.size());
}

double correlation(const std::vector<double>& a, const std::vector<double>& b) {
  const double mean_a = mean(a);
  const double mean_b = mean(b);
  double ab = 0;
  double aa = 0;
  double bb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    ab += (a[i] - mean_a) * (b[i] - mean_b);
    aa += (a[i] - mean_a) * (a[i] - mean_a);
    bb += (b[i] - mean_b) * (b[i] - mean_b);
  }
  return ab / std::sqrt(aa * bb);
}

double autocorrelation(const std::vector<double>& values, std::size_t lag) {
  const std::vector<double> head(values.begin(), values.end() - static_cast<std::ptrdiff_t>(lag));
  const std::vector<double> tail(values.begin() + static_cast<std::ptrdiff_t>(lag), values.end());
  return correlation(head, tail);
}

double kurtosis(const std::vector<double>& values) {
  const double m = mean(values);
  double second = 0;
  double fourth = 0;
  for (const double value : values) {
    const double d = (value - m) * (value - m);
    second += d;
    fourth += d * d;
  }
  const auto n = static_cast<double>(values.size());
  return (fourth / n) / ((second / n) * (second / n));
}

std::vector<double> absolute(std::vector<double> values) {
  for (double& value : values) value = std::fabs(value);
  return values;
}

uint64_t hash_bars(const std::vector<BarClosed>& bars, uint64_t hash) {
  const auto mix = [&hash](int64_t value) {
    for (int i = 0; i < 8; ++i) {
      hash ^= static_cast<uint64_t>(value >> (8 * i)) & 0xff;
      hash *= 0x100000001b3ULL;
    }
  };
  for (const BarClosed& event : bars) {
    const Bar& bar = event.bar;
    mix(bar.open_time);
    for (const Decimal value : {bar.open, bar.high, bar.low, bar.close, bar.volume, bar.turnover}) {
      mix(value.raw());
    }
  }
  return hash;
}

uint64_t hash_run(const SimulatedMarketConfig& config, int minutes) {
  SimulatedMarket market(config);
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (int minute = 0; minute < minutes; ++minute) hash = hash_bars(market.next_minute(), hash);
  return hash;
}

TEST(SimulatedMarket, SameSeedGivesIdenticalBarsAndAnotherSeedDiffers) {
  const auto config = SimulatedMarketConfig::default_crypto(42, kStart);
  SimulatedMarket first(config);
  SimulatedMarket second(config);
  SimulatedMarket other(SimulatedMarketConfig::default_crypto(43, kStart));
  int differing = 0;
  for (int minute = 0; minute < 300; ++minute) {
    const std::vector<BarClosed>& a = first.next_minute();
    const std::vector<BarClosed>& b = second.next_minute();
    const std::vector<BarClosed>& c = other.next_minute();
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      ASSERT_EQ(a[i].bar, b[i].bar) << "minute " << minute << " bar " << i;
      differing += a[i].bar.close != c[i].bar.close;
    }
  }
  EXPECT_GT(differing, 300 * 20 * 9 / 10);
}

// Pins the output bit for bit: the generator uses only operations IEEE-754 defines exactly, so
// any platform or compiler gives this hash. A deliberate model change updates the constant.
TEST(SimulatedMarket, OutputMatchesGoldenHash) {
  EXPECT_EQ(hash_run(SimulatedMarketConfig::default_crypto(42, kStart), 1000),
            16920132330910598210ULL);
}

TEST(SimulatedMarket, AddingASymbolLeavesTheOthersUnchanged) {
  auto config = fine_config(7, 2);
  // Independent returns, so only the stream layout could couple the symbols.
  config.correlation = 0;
  SimulatedMarket small(config);
  config.symbols.insert(config.symbols.begin(), fine_symbol("ZZZUSDT", 0.9));
  SimulatedMarket large(config);
  for (int minute = 0; minute < 200; ++minute) {
    const std::vector<BarClosed> a = small.next_minute();
    const std::vector<BarClosed>& b = large.next_minute();
    ASSERT_EQ(a[0].bar, b[1].bar) << "minute " << minute;
    ASSERT_EQ(a[1].bar, b[2].bar) << "minute " << minute;
  }
}

TEST(SimulatedMarket, BarsAreValidOhlcOnTheTickGrid) {
  auto config = SimulatedMarketConfig::default_crypto(11, kStart);
  config.symbols.resize(5);  // BTC, ETH, SOL, XRP, DOGE: spot and perp
  SimulatedMarket market(config);
  std::vector<Decimal> previous_close;
  for (int minute = 0; minute < 10 * kMinutesPerDay; ++minute) {
    const std::vector<BarClosed>& bars = market.next_minute();
    ASSERT_EQ(bars.size(), 10u);
    for (std::size_t i = 0; i < bars.size(); ++i) {
      const Bar& bar = bars[i].bar;
      const SimulatedListing& listing = config.symbols[i / 2].listings[i % 2];
      ASSERT_EQ(bar.open_time, kStart + minute * kMinuteMs);
      ASSERT_TRUE(bar.low.is_positive()) << bar.low;
      ASSERT_LE(bar.low, std::min(bar.open, bar.close));
      ASSERT_GE(bar.high, std::max(bar.open, bar.close));
      for (const Decimal price : {bar.open, bar.high, bar.low, bar.close}) {
        ASSERT_TRUE(price.is_multiple_of(listing.tick_size)) << price << " " << listing.tick_size;
      }
      ASSERT_FALSE(bar.volume.is_negative());
      ASSERT_TRUE(bar.volume.is_multiple_of(listing.qty_step)) << bar.volume;
      // Turnover is the volume at a price inside the bar.
      ASSERT_GE(bar.turnover, bar.volume.mul(bar.low, Rounding::kFloor));
      ASSERT_LE(bar.turnover, bar.volume.mul(bar.high, Rounding::kCeil));
      if (minute > 0) {
        ASSERT_EQ(bar.open, previous_close[i]) << "minute " << minute;
      }
    }
    previous_close.clear();
    for (const BarClosed& bar : bars) previous_close.push_back(bar.bar.close);
  }
}

TEST(SimulatedMarket, EventsCarryFeedDomainSymbolAndCloseTime) {
  const auto config = SimulatedMarketConfig::default_crypto(5, kStart);
  SimulatedMarket market(config);
  EXPECT_EQ(market.next_time(), kStart);
  EXPECT_TRUE(market.quotes().empty());
  for (int minute = 0; minute < 3; ++minute) {
    const std::vector<BarClosed>& bars = market.next_minute();
    ASSERT_EQ(bars.size(), 20u);
    std::size_t i = 0;
    for (const SimulatedSymbol& symbol : config.symbols) {
      for (const SimulatedListing& listing : symbol.listings) {
        const BarClosed& bar = bars[i++];
        EXPECT_EQ(bar.feed, FeedKind::kSimulated);
        EXPECT_EQ(bar.domain, listing.domain);
        EXPECT_EQ(bar.symbol, symbol.symbol);
        EXPECT_EQ(bar.timeframe, Timeframe::k1m);
        EXPECT_EQ(bar.bar.open_time, kStart + minute * kMinuteMs);
        EXPECT_EQ(bar.event_time, bar.bar.open_time + kMinuteMs);
      }
    }
    EXPECT_EQ(market.next_time(), kStart + (minute + 1) * kMinuteMs);
  }
  // BTCUSDT is listed as spot then perp, sharing one price path.
  EXPECT_EQ(market.next_minute()[0].domain, Asset::kSpot);
  EXPECT_EQ(market.next_minute()[1].domain, Asset::kPerp);
}

TEST(SimulatedMarket, QuotesFollowTheBarCloses) {
  auto config = SimulatedMarketConfig::default_crypto(9, kStart);
  config.symbols.resize(1);  // BTCUSDT spot and perp
  SimulatedMarket market(config);
  std::vector<std::vector<Decimal>> volumes(2);
  std::vector<std::vector<Decimal>> turnovers(2);
  for (int minute = 0; minute < kMinutesPerDay + 30; ++minute) {
    const std::vector<BarClosed>& bars = market.next_minute();
    const std::vector<QuoteUpdated>& quotes = market.quotes();
    ASSERT_EQ(quotes.size(), bars.size());
    for (std::size_t i = 0; i < bars.size(); ++i) {
      const QuoteUpdated& quote = quotes[i];
      const SimulatedListing& listing = config.symbols[0].listings[i];
      volumes[i].push_back(bars[i].bar.volume);
      turnovers[i].push_back(bars[i].bar.turnover);
      ASSERT_EQ(quote.feed, FeedKind::kSimulated);
      ASSERT_EQ(quote.domain, bars[i].domain);
      ASSERT_EQ(quote.symbol, bars[i].symbol);
      ASSERT_EQ(quote.event_time, bars[i].event_time);
      ASSERT_EQ(quote.last_price, bars[i].bar.close);
      ASSERT_EQ(quote.bid_price, bars[i].bar.close);
      ASSERT_EQ(quote.ask_price, bars[i].bar.close + listing.tick_size);
      ASSERT_EQ(quote.mark_price,
                listing.domain == Asset::kPerp ? bars[i].bar.close : Decimal::zero());
      Decimal volume_24h;
      Decimal turnover_24h;
      const std::size_t first =
          volumes[i].size() > kMinutesPerDay ? volumes[i].size() - kMinutesPerDay : 0;
      for (std::size_t k = first; k < volumes[i].size(); ++k) {
        volume_24h += volumes[i][k];
        turnover_24h += turnovers[i][k];
      }
      ASSERT_EQ(quote.volume_24h, volume_24h) << "minute " << minute;
      ASSERT_EQ(quote.turnover_24h, turnover_24h) << "minute " << minute;
    }
  }
}

TEST(SimulatedMarket, SpotAndPerpetualFollowOnePricePath) {
  auto config = SimulatedMarketConfig::default_crypto(21, kStart);
  config.symbols.resize(2);  // BTCUSDT and ETHUSDT, spot and perp
  SimulatedMarket market(config);
  const Sample sample = generate(market, 2 * kMinutesPerDay);
  EXPECT_GT(correlation(sample.returns[0], sample.returns[1]), 0.99);
  EXPECT_GT(correlation(sample.returns[2], sample.returns[3]), 0.99);
  EXPECT_LT(correlation(sample.returns[0], sample.returns[2]), 0.8);
}

// With a single regime and no log-volatility factor the variance is constant but for the
// intraday season, which averages out over whole days; jumps are included.
TEST(SimulatedMarket, RealisedVolatilityMatchesTheConfiguredOne) {
  auto config = fine_config(3, 3);
  make_single_regime(config);
  SimulatedMarket market(config);
  EXPECT_NEAR(market.jump_variance_share(), 100.0 / 1440, 1e-12);
  const Sample sample = generate(market, 20 * kMinutesPerDay);
  for (std::size_t i = 0; i < config.symbols.size(); ++i) {
    double sum = 0;
    for (const double r : sample.returns[i]) sum += r * r;
    const double annualised =
        std::sqrt(sum / static_cast<double>(sample.returns[i].size()) * kMinutesPerYear);
    EXPECT_NEAR(annualised / config.symbols[i].annual_volatility, 1.0, 0.04)
        << config.symbols[i].symbol;
  }
}

// With the full model, the realised variance follows the path of the regime and of the
// volatility multiplier: E[r^2 | m, regime] = v^2 ((1 - jump share) m^2 + jump intensity * k^2).
TEST(SimulatedMarket, RealisedVarianceFollowsRegimeAndVolatilityFactor) {
  const auto config = fine_config(4, 2);
  SimulatedMarket market(config);
  const Sample sample = generate(market, 20 * kMinutesPerDay);
  double calm = 0;
  double turbulent = 0;
  for (std::size_t i = 0; i < config.symbols.size(); ++i) {
    const double v2 =
        config.symbols[i].annual_volatility * config.symbols[i].annual_volatility / kMinutesPerYear;
    double realised = 0;
    double expected = 0;
    for (std::size_t t = 0; t < sample.returns[i].size(); ++t) {
      const double m = sample.multipliers[t];
      const double intensity =
          config.jump_intensity *
          config.regimes[static_cast<std::size_t>(sample.regimes[t])].jump_intensity_multiplier;
      realised += sample.returns[i][t] * sample.returns[i][t];
      expected += v2 * ((1 - market.jump_variance_share()) * m * m +
                        intensity * config.jump_size * config.jump_size);
    }
    EXPECT_NEAR(realised / expected, 1.0, 0.06) << config.symbols[i].symbol;
  }
  // And the multiplier itself moves with the regime.
  int calm_count = 0;
  int turbulent_count = 0;
  for (std::size_t t = 0; t < sample.multipliers.size(); ++t) {
    if (sample.regimes[t] == MarketRegime::kCalm) {
      calm += sample.multipliers[t];
      ++calm_count;
    } else if (sample.regimes[t] == MarketRegime::kTurbulent) {
      turbulent += sample.multipliers[t];
      ++turbulent_count;
    }
  }
  ASSERT_GT(calm_count, 0);
  ASSERT_GT(turbulent_count, 0);
  EXPECT_GT(turbulent / turbulent_count, 2.5 * calm / calm_count);
}

TEST(SimulatedMarket, CrossAssetCorrelationMatchesTheConfiguredOne) {
  for (const double target : {0.6, 0.2}) {
    auto config = fine_config(8, 3);
    config.correlation = target;
    config.jump_intensity = 0;  // jumps are idiosyncratic and would lower it
    SimulatedMarket market(config);
    const Sample sample = generate(market, 10 * kMinutesPerDay);
    for (std::size_t i = 0; i < 3; ++i) {
      for (std::size_t j = i + 1; j < 3; ++j) {
        EXPECT_NEAR(correlation(sample.returns[i], sample.returns[j]), target, 0.05)
            << "target " << target << " pair " << i << "," << j;
      }
    }
  }
}

TEST(SimulatedMarket, AbsoluteReturnsClusterUnlikeShuffledOnes) {
  SimulatedMarket market(fine_config(12, 1));
  const Sample sample = generate(market, 20 * kMinutesPerDay);
  const std::vector<double> magnitudes = absolute(sample.returns[0]);
  std::vector<double> shuffled = magnitudes;
  std::mt19937_64 random(1);
  for (std::size_t i = shuffled.size() - 1; i > 0; --i) {
    std::swap(shuffled[i], shuffled[random() % (i + 1)]);
  }
  for (std::size_t lag = 1; lag <= 10; ++lag) {
    const double clustered = autocorrelation(magnitudes, lag);
    const double baseline = autocorrelation(shuffled, lag);
    EXPECT_GT(clustered, 0.1) << "lag " << lag;
    EXPECT_LT(std::fabs(baseline), 0.03) << "lag " << lag;
  }
}

TEST(SimulatedMarket, VolumeRisesWithAbsoluteReturn) {
  SimulatedMarket market(fine_config(13, 1));
  const Sample sample = generate(market, 10 * kMinutesPerDay);
  const double r = correlation(absolute(sample.returns[0]), sample.volumes[0]);
  const auto n = static_cast<double>(sample.volumes[0].size());
  const double t_statistic = r * std::sqrt((n - 2) / (1 - r * r));
  EXPECT_GT(r, 0.3);
  EXPECT_GT(t_statistic, 20);
}

TEST(SimulatedMarket, JumpsMakeTheTailsFat) {
  auto config = fine_config(14, 1);
  make_single_regime(config);
  config.intraday_amplitude = 0;
  SimulatedMarket with_jumps(config);
  config.jump_intensity = 0;
  SimulatedMarket without_jumps(config);
  const Sample jumpy = generate(with_jumps, 30 * kMinutesPerDay);
  const Sample smooth = generate(without_jumps, 30 * kMinutesPerDay);
  // About 30 jumps of 10 per-minute deviations: an excess kurtosis of 3 * 10^4 / 1440 = 21 in
  // expectation, but the sample value rests on those few jumps.
  EXPECT_GT(kurtosis(jumpy.returns[0]), 6);
  EXPECT_NEAR(kurtosis(smooth.returns[0]), 3, 0.2);
  // A jump is a move many per-minute deviations wide, which diffusion alone never makes.
  const double sigma = config.symbols[0].annual_volatility / std::sqrt(kMinutesPerYear);
  const auto count_large = [sigma](const std::vector<double>& returns) {
    int large = 0;
    for (const double r : returns) large += std::fabs(r) > 6 * sigma;
    return large;
  };
  EXPECT_GE(count_large(jumpy.returns[0]), 8);
  EXPECT_EQ(count_large(smooth.returns[0]), 0);
}

TEST(SimulatedMarket, RegimesSwitchWithTheConfiguredDurations) {
  auto config = fine_config(15, 1);
  const std::array<double, 3> durations = {120, 180, 40};  // minutes
  config.regime_transitions = {{
      {1 - 1 / durations[0], 0.8 / durations[0], 0.2 / durations[0]},
      {0.5 / durations[1], 1 - 1 / durations[1], 0.5 / durations[1]},
      {0.3 / durations[2], 0.7 / durations[2], 1 - 1 / durations[2]},
  }};
  SimulatedMarket market(config);
  const auto& stationary = market.regime_probabilities();
  EXPECT_NEAR(stationary[0] + stationary[1] + stationary[2], 1.0, 1e-12);
  const Sample sample = generate(market, 60 * kMinutesPerDay);
  std::array<double, 3> time_in{};
  std::array<double, 3> spells{};
  for (std::size_t t = 0; t < sample.regimes.size(); ++t) {
    const auto r = static_cast<std::size_t>(sample.regimes[t]);
    time_in[r] += 1;
    if (t > 0 && sample.regimes[t] != sample.regimes[t - 1]) spells[r] += 1;
  }
  for (std::size_t r = 0; r < 3; ++r) {
    ASSERT_GT(spells[r], 20) << to_string(static_cast<MarketRegime>(r));
    EXPECT_NEAR(time_in[r] / spells[r] / durations[r], 1.0, 0.25)
        << to_string(static_cast<MarketRegime>(r));
    EXPECT_NEAR(time_in[r] / static_cast<double>(sample.regimes.size()), stationary[r], 0.05)
        << to_string(static_cast<MarketRegime>(r));
  }
}

TEST(SimulatedMarket, RejectsAnInvalidConfigListingEveryProblem) {
  auto config = fine_config(1, 2);
  config.start = kStart + 1;
  config.correlation = 1.5;
  config.symbols[1].listings[0].tick_size = Decimal::zero();
  config.symbols[1].annual_volatility = -0.1;
  config.regime_transitions[0] = {0.5, 0.2, 0.2};
  try {
    SimulatedMarket market(config);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& error) {
    const std::vector<std::string>& problems = error.problems();
    ASSERT_EQ(problems.size(), 5u) << error.what();
    EXPECT_NE(problems[0].find("start"), std::string::npos) << problems[0];
    EXPECT_NE(std::string(error.what()).find("symbols[1].listings[0].tick_size"),
              std::string::npos);
    EXPECT_NE(std::string(error.what()).find("regime_transitions[0]: must sum to 1"),
              std::string::npos);
  }

  auto frozen = fine_config(1, 1);
  frozen.regime_transitions = {{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};
  EXPECT_THROW(SimulatedMarket{frozen}, ConfigError);

  auto jumpy = fine_config(1, 1);
  jumpy.jump_size = 50;  // jumps would be more than the whole variance
  EXPECT_THROW(SimulatedMarket{jumpy}, ConfigError);

  auto duplicate = fine_config(1, 1);
  duplicate.symbols.push_back(duplicate.symbols[0]);
  EXPECT_THROW(SimulatedMarket{duplicate}, ConfigError);
}

}  // namespace
}  // namespace gauntlet::data
