// The rules of instruments no venue described: IDEALPRO's forex conventions, rules derived from
// bars (pinned on the real bars of ../shared/data, whose grids were read off the files), and
// DataManager::get_instrument answering for replayed and simulated symbols.
#include "data/instrument_rules.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "core/asio.hpp"
#include "data/bar_import.hpp"
#include "data/data_manager.hpp"
#include "data/feeds/simulated_market.hpp"
#include "support/shared_data.hpp"
#include "support/temp_dir.hpp"

namespace gauntlet::data {
namespace {

namespace fs = std::filesystem;
using namespace gauntlet::literals;

constexpr TimestampMs kStart = 1'709'251'200'000;  // 2024-03-01T00:00:00Z

Bar bar(TimestampMs open_time, const char* open, const char* high, const char* low,
        const char* close, const char* volume) {
  return {open_time,           Decimal::parse(open),  Decimal::parse(high),
          Decimal::parse(low), Decimal::parse(close), Decimal::parse(volume),
          Decimal::zero()};
}

TEST(InstrumentRules, DecimalPlacesAreThoseTheExactStringNeeds) {
  EXPECT_EQ(decimal_places("42"_d), 0);
  EXPECT_EQ(decimal_places("0"_d), 0);
  EXPECT_EQ(decimal_places("0.5"_d), 1);
  EXPECT_EQ(decimal_places("0.05"_d), 2);
  EXPECT_EQ(decimal_places("0.00005"_d), 5);
  EXPECT_EQ(decimal_places("-1.25"_d), 2);
  EXPECT_EQ(decimal_places("0.000000001"_d), 9);
  EXPECT_EQ(decimal_places("64000.120000000"_d), 2);
}

TEST(InstrumentRules, IdealProPairsTradeInHalfPipsAndWholeUnits) {
  const auto eurusd = idealpro_instrument(Symbol::parse("EUR.USD"));
  ASSERT_TRUE(eurusd);
  EXPECT_EQ(eurusd->domain, Asset::kForex);
  EXPECT_EQ(eurusd->status, "Trading");
  EXPECT_EQ(eurusd->tick_size, "0.00005"_d);
  EXPECT_EQ(eurusd->qty_step, "1"_d);
  EXPECT_EQ(eurusd->min_qty, "1"_d);
  EXPECT_EQ(eurusd->min_notional, "0"_d);
  EXPECT_EQ(idealpro_instrument(Symbol::parse("USD/JPY"))->tick_size, "0.005"_d);
  EXPECT_EQ(idealpro_instrument(Symbol::parse("EURJPY"))->tick_size, "0.005"_d);
  EXPECT_EQ(idealpro_instrument(Symbol::parse("GBPUSD"))->tick_size, "0.00005"_d);
  EXPECT_EQ(idealpro_instrument(Symbol::parse("AUDNZD"))->tick_size, "0.00005"_d);
  // Not a cash pair IDEALPRO lists (the wrong way round, or not two G10 currencies).
  EXPECT_FALSE(idealpro_instrument(Symbol::parse("USDEUR")));
  EXPECT_FALSE(idealpro_instrument(Symbol::parse("BTCUSDT")));
}

TEST(InstrumentRules, TheDerivedTickAndStepAreTheGridsOfPricesAndVolumes) {
  const Symbol symbol = Symbol::parse("BTCUSDT");
  std::vector<Bar> bars = {
      bar(kStart, "1000.5", "1001.25", "1000", "1000.75", "1.234"),
      bar(kStart + kMinuteMs, "1000.75", "1002", "1000.5", "1001", "0.5"),
      bar(kStart + 2 * kMinuteMs, "1001", "1001.5", "1000.25", "1001.5", "2.001")};
  InstrumentInfo info = derive_instrument(Asset::kSpot, symbol, bars);
  EXPECT_EQ(info.domain, Asset::kSpot);
  EXPECT_EQ(info.symbol, symbol);
  EXPECT_EQ(info.status, "Trading");
  EXPECT_EQ(info.tick_size, "0.25"_d);  // every price a multiple of a quarter
  EXPECT_EQ(info.qty_step, "0.001"_d);
  EXPECT_EQ(info.min_qty, "0.001"_d);
  EXPECT_EQ(info.min_notional, "0"_d);

  // Float noise (a value printed from a double with 17 digits) is read as the double's number.
  bars.push_back(
      bar(kStart + 3 * kMinuteMs, "1001.5", "1001.5", "1001.5", "1001.5", "10075848.800000001"));
  EXPECT_EQ(derive_instrument(Asset::kSpot, symbol, bars).qty_step, "0.001"_d);

  // Round prices: the tick keeps 4 significant digits of the lowest price (a quarter would be
  // too coarse at 99).
  const std::vector<Bar> round = {bar(kStart, "3", "4", "3", "4", "100")};
  EXPECT_EQ(derive_instrument(Asset::kSpot, symbol, round).tick_size, "0.001"_d);
  bars.push_back(bar(kStart + 4 * kMinuteMs, "1001.5", "1001.5", "99", "1001.5", "1"));
  EXPECT_EQ(derive_instrument(Asset::kSpot, symbol, bars).tick_size, "0.01"_d);
  EXPECT_EQ(derive_instrument(Asset::kSpot, symbol, round).qty_step, "1"_d);  // at most a unit
  // Without volumes the step is the finest, 10^-8; 9-decimal prices give the finest tick too.
  const std::vector<Bar> fine = {
      bar(kStart, "0.000000123", "0.000000125", "0.000000121", "0.000000124", "0")};
  EXPECT_EQ(derive_instrument(Asset::kSpot, symbol, fine).tick_size, "0.00000001"_d);
  EXPECT_EQ(derive_instrument(Asset::kSpot, symbol, fine).qty_step, "0.00000001"_d);
}

// The grids of real series, as stored after `gauntlet data import`. Read off the files: Binance
// BTC/USDT 1m prices have 2 decimals and volumes 6 (34850.00 .. 58000.00, 50.9752, 2.118536),
// ETH/USDT 2 and 5, XRP/USDT 5 and 2, DOGE/USDT 7 and 1 (its volumes above 10^7 carry float
// noise: 16109833.800000001); Binance's XRP perpetual 4 and 1; Bybit's BTCUSDT perpetual of
// 2022-12-13 trades in halves (17194, 17199.5) and 0.001 BTC.
TEST(InstrumentRules, DerivedFromRealBarsTheyAreTheVenuesGrids) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  struct Case {
    fs::path file;
    const char* tick;
    const char* step;
  };
  const std::vector<Case> cases = {
      {"crypto/binance_spot/BTC_USDT-1m.json.gz", "0.01", "0.000001"},
      {"crypto/binance_spot/ETH_USDT-1m.json.gz", "0.01", "0.00001"},
      {"crypto/binance_spot/XRP_USDT-1m.json.gz", "0.00001", "0.01"},
      {"crypto/binance_spot/DOGE_USDT-1m.json.gz", "0.0000001", "0.1"},
      {"crypto/binance_usdm_futures/XRP_USDT_USDT-5m-futures.json.gz", "0.0001", "0.1"},
      {"crypto/lean_bybit/spot_btcusdt_minute_20221213_trade.csv.gz", "0.01", "0.000001"},
      {"crypto/lean_bybit/perp_btcusdt_minute_20221213_trade.csv.gz", "0.5", "0.001"},
  };
  for (const Case& c : cases) {
    const ImportGuess guess = guess_import(data / c.file);
    const ImportedBars imported = read_bar_file(data / c.file, guess);
    ASSERT_FALSE(imported.bars.empty()) << c.file;
    // The sample DataManager takes: the first and the last stored day.
    const TimestampMs first_day = floor_to(imported.bars.front().open_time, kDayMs);
    const TimestampMs last_day = floor_to(imported.bars.back().open_time, kDayMs);
    std::vector<Bar> sample;
    for (const Bar& b : imported.bars) {
      const TimestampMs day = floor_to(b.open_time, kDayMs);
      if (day == first_day || day == last_day) sample.push_back(b);
    }
    const InstrumentInfo info = derive_instrument(*guess.domain, *guess.symbol, sample);
    EXPECT_EQ(info.tick_size, Decimal::parse(c.tick)) << c.file;
    EXPECT_EQ(info.qty_step, Decimal::parse(c.step)) << c.file;
  }
}

struct Engine {
  asio::io_context loop;
  EventBus bus{loop};
  SimClock clock{kStart};
};

TEST(InstrumentRules, TheDataManagerAnswersForReplayedForexAndSimulatedSymbols) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  testing::TempDir dir;
  BarStore store(dir.path() / "bars");
  const auto import = [&](const fs::path& file) {
    const ImportGuess guess = guess_import(file);
    const ImportedBars imported = read_bar_file(file, guess);
    const SeriesKey key{guess.venue, *guess.domain, *guess.symbol, imported.timeframe};
    store.upsert_bars(key, imported.bars);
    return key;
  };
  const SeriesKey btc = import(data / "crypto/binance_spot/BTC_USDT-1m.json.gz");
  import(data / "crypto/binance_spot/BTC_USDT-5m.json.gz");
  const SeriesKey eurusd =
      import(data / "forex/histdata_eurusd_m1/DAT_ASCII_EURUSD_M1_201701.csv.gz");
  Engine engine;

  // A replayed crypto pair: derived from its stored 1m bars.
  DataManager spot(btc.venue, Asset::kSpot, store, engine.bus, engine.clock);
  const auto derived = spot.get_instrument(btc.symbol);
  ASSERT_TRUE(derived);
  EXPECT_EQ(derived->tick_size, "0.01"_d);
  EXPECT_EQ(derived->qty_step, "0.000001"_d);
  EXPECT_EQ(derived->min_qty, "0.000001"_d);
  EXPECT_FALSE(spot.get_instrument(Symbol::parse("ETHUSDT")));  // no bars, no rules
  EXPECT_EQ(spot.instrument_count(), 0u);
  // The venue's rules win.
  InstrumentInfo venue = *derived;
  venue.tick_size = "0.1"_d;
  venue.min_notional = "5"_d;
  spot.set_instruments({venue});
  EXPECT_EQ(spot.get_instrument(btc.symbol)->tick_size, "0.1"_d);
  // A symbol without bars gets rules once its bars are stored.
  const Symbol eth = Symbol::parse("ETHUSDT");
  store.upsert_bars({btc.venue, Asset::kSpot, eth, Timeframe::k1m},
                    std::vector<Bar>{bar(kStart, "3000.5", "3001", "2999.25", "3000", "1.5")});
  ASSERT_TRUE(spot.get_instrument(eth));
  EXPECT_EQ(spot.get_instrument(eth)->tick_size, "0.25"_d);

  // Forex: IDEALPRO's half pip, not the grid of the bid bars (0.00001).
  DataManager forex(eurusd.venue, Asset::kForex, store, engine.bus, engine.clock);
  const auto pair = forex.get_instrument(eurusd.symbol);
  ASSERT_TRUE(pair);
  EXPECT_EQ(pair->tick_size, "0.00005"_d);
  EXPECT_EQ(pair->qty_step, "1"_d);
  const BarSeries stored =
      store.load_bars(eurusd, *store.first_bar_time(eurusd), *store.last_bar_time(eurusd) + 1);
  EXPECT_EQ(derive_instrument(Asset::kForex, eurusd.symbol, stored.to_bars()).tick_size,
            "0.00001"_d);

  // The simulated market lists its own ticks and steps.
  DataManager simulated("simulated", Asset::kPerp, store, engine.bus, engine.clock);
  simulated.set_instruments(listed_instruments(SimulatedMarketConfig::default_crypto(1, kStart)));
  EXPECT_EQ(simulated.instrument_count(), 10u);  // the perpetual listings only
  const auto perp = simulated.get_instrument(Symbol::parse("BTCUSDT"));
  ASSERT_TRUE(perp);
  EXPECT_EQ(perp->tick_size, "0.1"_d);
  EXPECT_EQ(perp->qty_step, "0.001"_d);
  EXPECT_EQ(perp->min_qty, "0.001"_d);
}

}  // namespace
}  // namespace gauntlet::data
