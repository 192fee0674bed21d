// Imports the real data of ../shared/data and checks it against independent readings.
#include "data/bar_import.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/exceptions.hpp"
#include "data/bar_checks.hpp"
#include "data/bar_store.hpp"
#include "data/resampler.hpp"
#include "support/shared_data.hpp"
#include "support/temp_dir.hpp"

namespace gauntlet::data {
namespace {

using namespace gauntlet::literals;
namespace fs = std::filesystem;

TEST(BarImport, GuessesFormatSymbolTimeframeVenueAndDomainFromRealFiles) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  struct Case {
    const char* file;
    BarFileFormat format;
    const char* symbol;
    Timeframe timeframe;
    const char* venue;
    Asset domain;
  };
  const Case cases[] = {
      {"crypto/binance_spot/BTC_USDT-1m.json.gz", BarFileFormat::kFreqtradeJson, "BTCUSDT",
       Timeframe::k1m, "binance", Asset::kSpot},
      {"crypto/binance_usdm_futures/XRP_USDT_USDT-5m-futures.json.gz",
       BarFileFormat::kFreqtradeJson, "XRPUSDT", Timeframe::k5m, "binance", Asset::kPerp},
      {"crypto/lean_bybit/perp_btcusdt_minute_20221213_trade.csv.gz", BarFileFormat::kLeanMinute,
       "BTCUSDT", Timeframe::k1m, "bybit", Asset::kPerp},
      {"forex/histdata_eurusd_m1/DAT_ASCII_EURUSD_M1_201701.csv.gz", BarFileFormat::kHistdataAscii,
       "EURUSD", Timeframe::k1m, "histdata", Asset::kForex},
      {"forex/fxcm_gbpusd_m1/gbpusd-m1-bid-2012.csv.gz", BarFileFormat::kHeaderCsv, "GBPUSD",
       Timeframe::k1m, "fxcm", Asset::kForex},
      {"forex/lean_fx/fxcm_hour_eurusd.csv.gz", BarFileFormat::kLeanDated, "EURUSD", Timeframe::k1h,
       "fxcm", Asset::kForex},
      {"forex/lean_fx/oanda_minute_eurusd_20140501_quote.csv.gz", BarFileFormat::kLeanMinute,
       "EURUSD", Timeframe::k1m, "oanda", Asset::kForex},
  };
  for (const Case& c : cases) {
    const ImportGuess guess = guess_import(data / c.file);
    EXPECT_EQ(guess.format, c.format) << c.file;
    ASSERT_TRUE(guess.symbol) << c.file;
    EXPECT_EQ(guess.symbol->canonical(), c.symbol) << c.file;
    EXPECT_EQ(guess.timeframe, c.timeframe) << c.file;
    EXPECT_EQ(guess.venue, c.venue) << c.file;
    EXPECT_EQ(guess.domain, c.domain) << c.file;
  }
  for (const char* not_bars : {"crypto/binance_usdm_futures/XRP_USDT_USDT-8h-funding_rate.json.gz",
                               "crypto/binance_usdm_futures/XRP_USDT_USDT-1h-mark.json.gz",
                               "forex/fxcm_gbpusd_m1/gbpusd-m1-ask-2012.csv.gz",
                               "crypto/lean_bybit/spot_btcusdt_minute_20221213_quote.csv.gz"}) {
    EXPECT_THROW(guess_import(data / not_bars), DataError) << not_bars;
  }
}

// Copies a real file to dir/relative (creating the folders) and returns the copy's path.
fs::path copy_into(const testing::TempDir& dir, const fs::path& from, const fs::path& relative) {
  const fs::path to = dir.path() / relative;
  fs::create_directories(to.parent_path());
  fs::copy_file(from, to);
  return to;
}

// LEAN's own layout names the symbol in the folder and only the date in the file.
TEST(BarImport, GuessesLeanDayFilesFromTheirFolders) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  const fs::path btc = data / "crypto/binance_spot_long/btcusdt/20240229_trade.csv.gz";
  const ImportGuess guess = guess_import(btc);
  EXPECT_EQ(guess.format, BarFileFormat::kLeanMinute);
  ASSERT_TRUE(guess.symbol);
  EXPECT_EQ(guess.symbol->canonical(), "BTCUSDT");
  EXPECT_EQ(guess.timeframe, Timeframe::k1m);  // no resolution folder: ms-since-midnight rows
  EXPECT_EQ(guess.venue, "binance");           // from binance_spot_long
  EXPECT_EQ(guess.domain, Asset::kSpot);
  ASSERT_TRUE(guess.day);
  EXPECT_EQ(format_iso8601(*guess.day), "2024-02-29T00:00:00.000Z");

  // The same files in LEAN's <securityType>/<market>/<resolution>/<symbol>/ folders.
  const testing::TempDir dir;
  const fs::path eurusd = data / "forex/lean_fx/oanda_minute_eurusd_20140501_quote.csv.gz";
  struct Case {
    fs::path from;
    const char* to;
    const char* symbol;
    const char* venue;
    Asset domain;
  };
  const Case cases[] = {
      {btc, "crypto/binance/minute/btcusdt/20240229_trade.csv.gz", "BTCUSDT", "binance",
       Asset::kSpot},
      {btc, "crypto/kraken/minute/xbtusd/20240229_trade.csv.gz", "XBTUSD", "kraken", Asset::kSpot},
      {btc, "cryptofuture/bybit/minute/btcusdt/20240229_trade.csv", "BTCUSDT", "bybit",
       Asset::kPerp},
      {eurusd, "forex/oanda/minute/eurusd/20140501_quote.csv.gz", "EURUSD", "oanda", Asset::kForex},
      // The CSV inside LEAN's zip names its symbol and resolution too.
      {btc, "unzipped/20240229_ethusdt_minute_trade.csv", "ETHUSDT", "local", Asset::kSpot},
  };
  for (const Case& c : cases) {
    // A name without .gz gets the plain text, as LEAN's unzipped CSV is.
    const fs::path file = std::string_view(c.to).ends_with(".gz")
                              ? copy_into(dir, c.from, c.to)
                              : dir.write(c.to, read_maybe_gzip(c.from));
    const ImportGuess lean = guess_import(file);
    EXPECT_EQ(lean.format, BarFileFormat::kLeanMinute) << c.to;
    ASSERT_TRUE(lean.symbol) << c.to;
    EXPECT_EQ(lean.symbol->canonical(), c.symbol) << c.to;
    EXPECT_EQ(lean.timeframe, Timeframe::k1m) << c.to;
    EXPECT_EQ(lean.venue, c.venue) << c.to;
    EXPECT_EQ(lean.domain, c.domain) << c.to;
  }
  // Refused, each with its reason.
  const std::pair<const char*, const char*> refused[] = {
      {"crypto/binance/minute/btcusdt/20240229_quote.csv.gz",
       "crypto series are built from trades"},
      {"crypto/binance/second/btcusdt/20240229_trade.csv.gz", "the finest timeframe stored is 1m"},
      {"crypto/binance/minute/btcusdt/20240228_trade.zip", "unzip it"},
      {"unzipped/20240228_btcusdt_tick_trade.csv.gz", "the finest timeframe stored is 1m"},
  };
  for (const auto& [to, reason] : refused) {
    const fs::path file = copy_into(dir, btc, to);
    try {
      guess_import(file);
      ADD_FAILURE() << to << " was accepted";
    } catch (const DataError& error) {
      EXPECT_NE(std::string(error.what()).find(reason), std::string::npos) << error.what();
    }
  }
}

// The first rows as read by hand (zcat | head -1) from the files.
TEST(BarImport, ReadsRealLeanDayFilesWithTheDateFromTheName) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  const fs::path btc = data / "crypto/binance_spot_long/btcusdt/20240229_trade.csv.gz";
  const ImportedBars day = read_bar_file(btc, guess_import(btc));
  // 0,62432.11000000,62438.22000000,62363.65000000,62395.27000000,81.27497000
  EXPECT_EQ(day.rows, 1440u);
  EXPECT_EQ(day.rejected, 0u);
  ASSERT_EQ(day.bars.size(), 1440u);
  EXPECT_EQ(day.timeframe, Timeframe::k1m);
  EXPECT_EQ(format_iso8601(day.bars.front().open_time), "2024-02-29T00:00:00.000Z");
  EXPECT_EQ(format_iso8601(day.bars.back().open_time), "2024-02-29T23:59:00.000Z");
  EXPECT_EQ(day.bars.front().open, "62432.11"_d);
  EXPECT_EQ(day.bars.front().high, "62438.22"_d);
  EXPECT_EQ(day.bars.front().low, "62363.65"_d);
  EXPECT_EQ(day.bars.front().close, "62395.27"_d);
  EXPECT_EQ(day.bars.front().volume, "81.27497"_d);

  // TAO's listing day starts at noon.
  const fs::path tao = data / "crypto/binance_spot_long/taousdt/20240411_trade.csv.gz";
  const ImportGuess tao_guess = guess_import(tao);
  ASSERT_TRUE(tao_guess.symbol);
  EXPECT_EQ(tao_guess.symbol->canonical(), "TAOUSDT");
  const ImportedBars listing = read_bar_file(tao, tao_guess);
  // 43200000,439.80000000,1249.00000000,439.80000000,920.60000000,19347.55480000
  ASSERT_EQ(listing.bars.size(), 720u);
  EXPECT_EQ(listing.rejected, 0u);
  EXPECT_EQ(format_iso8601(listing.bars.front().open_time), "2024-04-11T12:00:00.000Z");
  EXPECT_EQ(listing.bars.front().open, "439.8"_d);
  EXPECT_EQ(listing.bars.front().high, "1249"_d);
  EXPECT_EQ(listing.bars.front().low, "439.8"_d);
  EXPECT_EQ(listing.bars.front().close, "920.6"_d);
  EXPECT_EQ(listing.bars.front().volume, "19347.5548"_d);
}

// Three days in a <symbol>/ folder, with a stray note beside them, make one series.
TEST(BarImport, ImportsAFolderOfLeanDayFilesAsOneContinuousSeries) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  const testing::TempDir dir;
  const fs::path folder = dir.path() / "binance_spot_long" / "btcusdt";
  for (const char* day : {"20240227", "20240228", "20240229"}) {
    const std::string name = std::string(day) + "_trade.csv.gz";
    copy_into(dir, data / "crypto/binance_spot_long/btcusdt" / name, folder / name);
  }
  dir.write("binance_spot_long/btcusdt/notes.txt", "downloaded by hand, see PROVENANCE\n");
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder)) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  ASSERT_EQ(files.size(), 4u);

  BarStore store(dir.path() / "bars");
  const SeriesKey key{"binance", Asset::kSpot, Symbol::parse("BTCUSDT"), Timeframe::k1m};
  std::vector<std::string> skipped;
  for (const fs::path& file : files) {
    try {
      const ImportGuess guess = guess_import(file);
      const ImportedBars imported = read_bar_file(file, guess);
      ASSERT_EQ(
          to_string((SeriesKey{guess.venue, *guess.domain, *guess.symbol, imported.timeframe})),
          to_string(key));
      store.upsert_bars(key, imported.bars);
    } catch (const DataError& error) {
      skipped.push_back(error.what());
    }
  }
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_NE(skipped[0].find("notes.txt: not a bar file"), std::string::npos) << skipped[0];

  const auto bars = store.load_bars(key, INT64_MIN / 2, INT64_MAX / 2).to_bars();
  ASSERT_EQ(bars.size(), 3u * 1440u);
  EXPECT_EQ(format_iso8601(bars.front().open_time), "2024-02-27T00:00:00.000Z");
  EXPECT_EQ(format_iso8601(bars.back().open_time), "2024-02-29T23:59:00.000Z");
  const CheckReport report = check_bars(bars, Timeframe::k1m);
  EXPECT_TRUE(report.clean());
  EXPECT_EQ(report.gaps, 0u);
  EXPECT_EQ(store.partition_days(key).size(), 3u);
}

// Every freqtrade row, read independently with nlohmann's DOM and compared as decimals.
TEST(BarImport, ReadsFreqtradeJsonExactly) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  const fs::path file = data / "crypto/binance_spot/ETH_USDT-1m.json.gz";
  const ImportedBars imported = read_bar_file(file, guess_import(file));
  const auto rows = nlohmann::json::parse(read_maybe_gzip(file));
  ASSERT_EQ(imported.rows, rows.size());
  ASSERT_EQ(imported.rejected, 0u);
  ASSERT_EQ(imported.bars.size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    ASSERT_EQ(imported.bars[i].open_time, rows[i][0].get<int64_t>());
    ASSERT_EQ(imported.bars[i].close, Decimal::from_double(rows[i][4].get<double>())) << i;
    ASSERT_EQ(imported.bars[i].volume, Decimal::from_double(rows[i][5].get<double>())) << i;
  }
}

TEST(BarImport, ShiftsHistdataFromEstToUtc) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  const fs::path file = data / "forex/histdata_eurusd_m1/DAT_ASCII_EURUSD_M1_201701.csv.gz";
  const ImportedBars imported = read_bar_file(file, guess_import(file));
  // The first row is "20170102 020000;1.051550;..." in EST: 07:00 UTC.
  EXPECT_EQ(format_iso8601(imported.bars.front().open_time), "2017-01-02T07:00:00.000Z");
  EXPECT_EQ(imported.bars.front().open, "1.05155"_d);
}

TEST(BarImport, RejectsBadRowsWithCountsByReason) {
  const testing::TempDir dir;
  const fs::path file = dir.write("BTC_USDT-1m.csv",
                                  "open_time_ms,open,high,low,close,volume\n"
                                  "1609459200000,10,11,9,10.5,1\n"
                                  "1609459260000,nan,11,9,10.5,1\n"
                                  "1609459320000,10,9,11,10,1\n"
                                  "1609459380000,10,11,9,10.5,-1\n"
                                  "1609459440000,10,11,9,10.5\n"
                                  "1609459470000,10,11,9,10.5,1\n"
                                  "1609459500000,10,11,9,10.5,1\n");
  const ImportedBars imported = read_bar_file(file, guess_import(file));
  EXPECT_EQ(imported.rows, 7u);
  EXPECT_EQ(imported.bars.size(), 2u);
  EXPECT_EQ(imported.rejected, 5u);
  EXPECT_EQ(imported.rejected_by_reason.at("NaN or infinite value"), 1u);
  EXPECT_EQ(imported.rejected_by_reason.at("high below low"), 1u);
  EXPECT_EQ(imported.rejected_by_reason.at("negative volume"), 1u);
  EXPECT_EQ(imported.rejected_by_reason.at("unparsable row"), 1u);
  EXPECT_EQ(imported.rejected_by_reason.at("open time off the timeframe grid"), 1u);
}

// The check: real 1m bars imported, resampled to 15m in the store, equal an
// independent aggregation written here from the raw rows.
TEST(BarImport, ImportedAndResampledRealBarsMatchAnIndependentAggregation) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  const testing::TempDir dir;
  BarStore store(dir.path());
  for (const char* name : {"BTC_USDT-1m.json.gz", "DOGE_USDT-1m.json.gz", "DASH_USDT-1m.json.gz"}) {
    const fs::path file = data / "crypto/binance_spot" / name;
    const ImportGuess guess = guess_import(file);
    const ImportedBars imported = read_bar_file(file, guess);
    const SeriesKey minute{guess.venue, *guess.domain, *guess.symbol, Timeframe::k1m};
    store.upsert_bars(minute, imported.bars);
    SeriesKey quarter = minute;
    quarter.timeframe = Timeframe::k15m;
    const BarSeries stored = store.load_bars(minute, INT64_MIN / 2, INT64_MAX / 2);
    ASSERT_EQ(stored.size(), imported.bars.size()) << name;
    store.upsert_bars(quarter, resample(stored, Timeframe::k1m, Timeframe::k15m).to_bars());
    const auto resampled = store.load_bars(quarter, INT64_MIN / 2, INT64_MAX / 2).to_bars();

    // Independent: group the raw JSON rows by 15-minute bucket with exact decimal sums.
    struct Bucket {
      std::string open, close;
      Decimal high, low, volume;
      int64_t last = 0;
    };
    std::map<int64_t, Bucket> buckets;
    // The rows as text, tokenised here: "[[t,o,h,l,c,v],[...],...]".
    std::string text = read_maybe_gzip(file);
    std::vector<std::vector<std::string>> rows;
    for (std::size_t at = text.find('[', 1); at != std::string::npos; at = text.find('[', at + 1)) {
      const std::size_t end = text.find(']', at);
      std::vector<std::string> cells;
      std::stringstream cell_stream(text.substr(at + 1, end - at - 1));
      for (std::string cell; std::getline(cell_stream, cell, ',');) cells.push_back(cell);
      rows.push_back(std::move(cells));
    }
    int64_t last_time = 0;
    for (const auto& row : rows) {
      const int64_t time = std::stoll(row[0]);
      last_time = std::max(last_time, time);
      const int64_t key = time - time % (15 * 60'000);
      const Decimal high = Decimal::parse(row[2], Rounding::kHalfEven);
      const Decimal low = Decimal::parse(row[3], Rounding::kHalfEven);
      const Decimal volume = Decimal::parse(row[5], Rounding::kHalfEven);
      auto [it, fresh] = buckets.try_emplace(key);
      Bucket& bucket = it->second;
      if (fresh) {
        bucket = {row[1], row[4], high, low, volume, time};
        continue;
      }
      bucket.high = std::max(bucket.high, high);
      bucket.low = std::min(bucket.low, low);
      bucket.volume += volume;
      if (time > bucket.last) {
        bucket.close = row[4];
        bucket.last = time;
      }
    }
    // A bucket is closed only when its interval ended before the data did.
    std::erase_if(
        buckets, [&](const auto& entry) { return entry.first + 15 * 60'000 > last_time + 60'000; });
    ASSERT_EQ(resampled.size(), buckets.size()) << name;
    std::size_t i = 0;
    for (const auto& [open_time, bucket] : buckets) {
      const Bar& bar = resampled[i++];
      ASSERT_EQ(bar.open_time, open_time) << name;
      ASSERT_EQ(bar.open, Decimal::parse(bucket.open, Rounding::kHalfEven))
          << name << " " << open_time;
      ASSERT_EQ(bar.high, bucket.high) << name << " " << open_time;
      ASSERT_EQ(bar.low, bucket.low) << name << " " << open_time;
      ASSERT_EQ(bar.close, Decimal::parse(bucket.close, Rounding::kHalfEven))
          << name << " " << open_time;
      ASSERT_EQ(bar.volume, bucket.volume) << name << " " << open_time;
    }
    // The exchange's own 5m bars agree with our 1m -> 5m resampling on OHLC.
    const fs::path five = data / "crypto/binance_spot" /
                          (std::string(name).replace(std::string(name).find("1m"), 2, "5m"));
    const ImportedBars exchange = read_bar_file(five, guess_import(five));
    const auto ours = resample(stored, Timeframe::k1m, Timeframe::k5m).to_bars();
    std::map<int64_t, Bar> by_time;
    for (const Bar& bar : ours) by_time[bar.open_time] = bar;
    std::size_t compared = 0;
    std::size_t equal = 0;
    for (const Bar& bar : exchange.bars) {
      const auto found = by_time.find(bar.open_time);
      if (found == by_time.end()) continue;
      ++compared;
      if (found->second.high == bar.high && found->second.low == bar.low) ++equal;
    }
    std::printf("%s: %zu of %zu exchange 5m bars equal\n", name, equal, compared);
    EXPECT_GT(compared, exchange.bars.size() * 9 / 10) << name;
  }
}

TEST(Resampler, EmitsABarOnlyWhenItsIntervalHasEnded) {
  Resampler resampler(Timeframe::k1m, Timeframe::k5m);
  std::vector<Bar> closed;
  const auto collect = [&closed](const Bar& bar) { closed.push_back(bar); };
  auto bar = [](int minute, int64_t price) {
    const Decimal p = Decimal::from_int(price);
    return Bar{minute * kMinuteMs, p, p + "2"_d, p - "1"_d, p + "1"_d, "1"_d, p};
  };
  for (int minute = 0; minute < 4; ++minute) resampler.add(bar(minute, 100 + minute), collect);
  EXPECT_TRUE(closed.empty());
  ASSERT_TRUE(resampler.partial());
  EXPECT_EQ(resampler.partial()->volume, "4"_d);
  resampler.add(bar(4, 104), collect);  // the last minute of the interval closes it
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0], (Bar{0, "100"_d, "106"_d, "99"_d, "105"_d, "5"_d, "510"_d}));
  // A gap: minutes 5 and 6 only, then time passes the interval's end.
  resampler.add(bar(5, 200), collect);
  resampler.add(bar(6, 201), collect);
  resampler.advance_to(9 * kMinuteMs, collect);
  EXPECT_EQ(closed.size(), 1u);
  resampler.advance_to(10 * kMinuteMs, collect);
  ASSERT_EQ(closed.size(), 2u);
  EXPECT_EQ(closed[1].open, "200"_d);
  EXPECT_EQ(closed[1].close, "202"_d);
  EXPECT_FALSE(resampler.add(bar(7, 1), collect));  // its interval already closed
  // A correction of a bar in the forming interval replaces it.
  resampler.add(bar(10, 300), collect);
  resampler.add(bar(10, 310), collect);
  EXPECT_EQ(resampler.partial()->open, "310"_d);
  EXPECT_THROW(Resampler(Timeframe::k5m, Timeframe::k3m), DataError);
}

TEST(Resampler, SaturatesVolumesBeyondTheDecimalRangeInsteadOfThrowing) {
  // BTT traded billions of units a minute in 2021: five minutes of 3e9 outgrow Decimal.
  Resampler resampler(Timeframe::k1m, Timeframe::k5m);
  std::vector<Bar> closed;
  const Decimal huge = Decimal::from_int(3'000'000'000);
  for (int minute = 0; minute < 5; ++minute) {
    resampler.add(Bar{minute * kMinuteMs, "1"_d, "1"_d, "1"_d, "1"_d, huge, huge},
                  [&closed](const Bar& bar) { closed.push_back(bar); });
  }
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].volume, Decimal::max());
  EXPECT_EQ(closed[0].turnover, Decimal::max());
}

TEST(BarChecks, FindsGapsDuplicatesAndMissingRanges) {
  std::vector<Bar> bars;
  for (int minute : {0, 1, 2, 5, 5, 6, 9}) {
    bars.push_back({minute * kMinuteMs, "1"_d, "1"_d, "1"_d, "1"_d, "0"_d, "0"_d});
  }
  const CheckReport report = check_bars(bars, Timeframe::k1m);
  EXPECT_EQ(report.duplicates, 1u);
  EXPECT_EQ(report.gaps, 2u);
  EXPECT_EQ(report.missing_bars, 4u);
  EXPECT_EQ(report.gap_ranges[0], (TimeRange{3 * kMinuteMs, 5 * kMinuteMs}));
  bars.erase(bars.begin() + 4);
  const auto missing =
      missing_ranges(BarSeries::from_bars(bars), Timeframe::k1m, 0, 12 * kMinuteMs);
  EXPECT_EQ(missing, (std::vector<TimeRange>{{3 * kMinuteMs, 5 * kMinuteMs},
                                             {7 * kMinuteMs, 9 * kMinuteMs},
                                             {10 * kMinuteMs, 12 * kMinuteMs}}));
}

TEST(FundingRates, ReadsFreqtradeFundingFilesAndNamesABadRow) {
  const testing::TempDir dir;
  const auto good = dir.write("X-8h-funding_rate.json",
                              "[[1637193600017,0.0001,0,0,0,0],[1637222400007,-0.00025,0,0,0,0]]");
  const auto rates = read_funding_rates(good);
  ASSERT_EQ(rates.size(), 2u);
  EXPECT_EQ(rates[1].first, 1637222400007);
  EXPECT_DOUBLE_EQ(rates[1].second, -0.00025);
  const auto bad = dir.write("bad.json", "[[1637193600017,0.0001],[1637222400007,\"x\"]]");
  try {
    read_funding_rates(bad);
    FAIL() << "accepted a malformed row";
  } catch (const DataError& error) {
    EXPECT_NE(std::string(error.what()).find("row 2 is not [funding_time_ms, rate, ...]"),
              std::string::npos)
        << error.what();
  }
  EXPECT_THROW(read_funding_rates(dir.write("huge.json", "[[1,0.5]]")), DataError);
  EXPECT_THROW(read_funding_rates(dir.write("object.json", "{}")), DataError);
}

}  // namespace
}  // namespace gauntlet::data
