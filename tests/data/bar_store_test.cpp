#include "data/bar_store.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <thread>

#include "core/exceptions.hpp"
#include "support/temp_dir.hpp"

namespace gauntlet::data {
namespace {

using namespace gauntlet::literals;
namespace fs = std::filesystem;

constexpr TimestampMs kMarch1 = 1'709'251'200'000;  // 2024-03-01T00:00:00Z

Bar make_bar(TimestampMs open_time, int64_t price_units, int64_t volume = 1) {
  const Decimal price = Decimal::from_int(price_units);
  return Bar{open_time,
             price,
             price + "1"_d,
             price - "1"_d,
             price + "0.5"_d,
             Decimal::from_int(volume),
             price * Decimal::from_int(volume)};
}

std::vector<Bar> minute_bars(TimestampMs start, int count, int64_t first_price = 100) {
  std::vector<Bar> bars;
  for (int i = 0; i < count; ++i) bars.push_back(make_bar(start + i * kMinuteMs, first_price + i));
  return bars;
}

SeriesKey btc_key() {
  return {"bybit", Asset::kPerp, Symbol::parse("BTCUSDT"), Timeframe::k1m};
}

TEST(BarStore, StoresBarsInDayPartitionsAndLoadsThemBack) {
  const testing::TempDir dir;
  BarStore store(dir.path());
  const auto bars = minute_bars(kMarch1 + kDayMs - 30 * kMinuteMs, 90);  // across midnight
  const UpsertResult result = store.upsert_bars(btc_key(), bars);
  EXPECT_EQ(result.inserted, 90u);
  EXPECT_EQ(result.replaced, 0u);
  EXPECT_EQ(result.partitions, 2u);
  EXPECT_TRUE(fs::exists(dir.path() / "bybit/perp/BTCUSDT/1m/2024-03-01.gbar"));
  EXPECT_TRUE(fs::exists(dir.path() / "bybit/perp/BTCUSDT/1m/2024-03-02.gbar"));

  const BarSeries all = store.load_bars(btc_key(), kMarch1, kMarch1 + 2 * kDayMs);
  EXPECT_EQ(all.to_bars(), bars);
  EXPECT_EQ(store.count_bars(btc_key()), 90u);
  EXPECT_EQ(store.first_bar_time(btc_key()), bars.front().open_time);
  EXPECT_EQ(store.last_bar_time(btc_key()), bars.back().open_time);
  EXPECT_EQ(store.partition_days(btc_key()), (std::vector<TimestampMs>{kMarch1, kMarch1 + kDayMs}));
}

TEST(BarStore, LoadsTheHalfOpenRangeAcrossPartialDays) {
  const testing::TempDir dir;
  BarStore store(dir.path());
  const auto bars = minute_bars(kMarch1, 3 * 1440);
  store.upsert_bars(btc_key(), bars);
  const TimestampMs from = kMarch1 + 1000 * kMinuteMs;
  const TimestampMs to = kMarch1 + 2 * kDayMs + 17 * kMinuteMs;
  const BarSeries some = store.load_bars(btc_key(), from, to);
  ASSERT_EQ(some.size(), static_cast<std::size_t>((to - from) / kMinuteMs));
  EXPECT_EQ(some.front(), bars[1000]);
  EXPECT_EQ(some.back().open_time, to - kMinuteMs);
  EXPECT_TRUE(store.load_bars(btc_key(), to, from).empty());
  EXPECT_TRUE(store.load_bars(btc_key(), kMarch1 - kDayMs, kMarch1).empty());
  const BarSeries unaligned = store.load_bars(btc_key(), kMarch1 + 30'001, kMarch1 + 3 * kMinuteMs);
  ASSERT_EQ(unaligned.size(), 2u);
  EXPECT_EQ(unaligned.front().open_time, kMarch1 + kMinuteMs);
}

TEST(BarStore, UpsertReplacesBarsWithTheSameOpenTime) {
  const testing::TempDir dir;
  BarStore store(dir.path());
  store.upsert_bars(btc_key(), minute_bars(kMarch1, 10));
  std::vector<Bar> update = {make_bar(kMarch1 + 3 * kMinuteMs, 500),
                             make_bar(kMarch1 + 12 * kMinuteMs, 700),
                             make_bar(kMarch1 + 3 * kMinuteMs, 600)};  // the later one is newer
  const UpsertResult result = store.upsert_bars(btc_key(), update);
  EXPECT_EQ(result.replaced, 1u);
  EXPECT_EQ(result.inserted, 1u);
  const auto loaded = store.load_bars(btc_key(), kMarch1, kMarch1 + kDayMs).to_bars();
  ASSERT_EQ(loaded.size(), 11u);
  EXPECT_EQ(loaded[3], make_bar(kMarch1 + 3 * kMinuteMs, 600));
  EXPECT_EQ(loaded[10], make_bar(kMarch1 + 12 * kMinuteMs, 700));

  // The same bars again change nothing and write nothing.
  const UpsertResult again = store.upsert_bars(btc_key(), loaded);
  EXPECT_EQ(again.partitions, 0u);
  EXPECT_EQ(again.replaced, 11u);
}

TEST(BarStore, RejectsInvalidBarsAndWritesNothing) {
  const testing::TempDir dir;
  BarStore store(dir.path());
  Bar off_grid = make_bar(kMarch1 + 30'000, 100);
  Bar inverted = make_bar(kMarch1, 100);
  inverted.high = inverted.low - "1"_d;
  Bar negative_volume = make_bar(kMarch1, 100);
  negative_volume.volume = "-1"_d;
  Bar zero_low = make_bar(kMarch1, 100);
  zero_low.low = Decimal::zero();
  for (const Bar& bad : {off_grid, inverted, negative_volume, zero_low}) {
    std::vector<Bar> bars = minute_bars(kMarch1 + kDayMs, 3);
    bars.push_back(bad);
    try {
      store.upsert_bars(btc_key(), bars);
      ADD_FAILURE() << "accepted a bad bar";
    } catch (const DataError& error) {
      EXPECT_NE(std::string(error.what()).find("bybit/perp/BTCUSDT/1m: bar at 2024-03-01"),
                std::string::npos)
          << error.what();
    }
  }
  EXPECT_EQ(store.count_bars(btc_key()), 0u);
  EXPECT_THROW(
      store.upsert_bars({"Bad Venue", Asset::kSpot, Symbol::parse("BTCUSDT"), Timeframe::k1m},
                        minute_bars(kMarch1, 1)),
      DataError);
}

TEST(BarStore, DetectsCorruptAndTruncatedPartitions) {
  const testing::TempDir dir;
  BarStore store(dir.path());
  store.upsert_bars(btc_key(), minute_bars(kMarch1, 100));
  const fs::path path = store.partition_path(btc_key(), kMarch1);
  {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(64 + 8 * 150);
    file.put('\x7f');
  }
  try {
    store.load_bars(btc_key(), kMarch1, kMarch1 + kDayMs);
    ADD_FAILURE();
  } catch (const DataError& error) {
    EXPECT_NE(std::string(error.what()).find("checksum mismatch"), std::string::npos)
        << error.what();
  }
  fs::resize_file(path, fs::file_size(path) - 8);
  EXPECT_THROW(store.load_bars(btc_key(), kMarch1, kMarch1 + kDayMs), DataError);
  fs::resize_file(path, 10);
  EXPECT_THROW(BarStore::read_partition(path), DataError);
}

TEST(BarStore, ListsEverySeriesAndIgnoresForeignFiles) {
  const testing::TempDir dir;
  BarStore store(dir.path());
  store.upsert_bars(btc_key(), minute_bars(kMarch1, 5));
  const SeriesKey eth{"binance", Asset::kSpot, Symbol::parse("ETHUSDT"), Timeframe::k5m};
  std::vector<Bar> five;
  for (int i = 0; i < 3; ++i) five.push_back(make_bar(kMarch1 + i * 5 * kMinuteMs, 2000));
  store.upsert_bars(eth, five);
  dir.write("bybit/perp/BTCUSDT/1m/.2024-03-02.gbar.tmp.1.0", "partial");
  dir.write("notes/readme.txt", "x");
  const auto keys = store.list();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(to_string(keys[0]), "binance/spot/ETHUSDT/5m");
  EXPECT_EQ(to_string(keys[1]), "bybit/perp/BTCUSDT/1m");
  EXPECT_EQ(store.partition_days(btc_key()).size(), 1u);
}

// A writer killed at random points leaves each partition whole: the old version or the new.
TEST(BarStoreCrash, KilledWriterNeverLeavesATornPartition) {
  const testing::TempDir dir;
  const auto small = minute_bars(kMarch1, 10, 100);
  const auto large = minute_bars(kMarch1, 1440, 900);
  {
    BarStore store(dir.path());
    store.upsert_bars(btc_key(), small);
  }
  std::mt19937 random(std::random_device{}());
  for (int cycle = 0; cycle < 12; ++cycle) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      BarStore store(dir.path());
      for (int i = 0;; ++i) store.upsert_bars(btc_key(), i % 2 == 0 ? large : small);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(random() % 40'000));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    const BarStore store(dir.path());
    const auto loaded = store.load_bars(btc_key(), kMarch1, kMarch1 + kDayMs).to_bars();
    // Bars 0..9 come from whichever version won; a large write replaces them all.
    ASSERT_TRUE(loaded == large ||
                (loaded.size() == 1440 && std::equal(small.begin(), small.end(), loaded.begin())) ||
                loaded == small)
        << "cycle " << cycle << ": " << loaded.size() << " bars";
  }
}

}  // namespace
}  // namespace gauntlet::data
