#include "data/data_manager.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "core/asio.hpp"
#include "core/exceptions.hpp"
#include "data/feeds/replay_feed.hpp"
#include "data/feeds/simulated_feed.hpp"
#include "data/rate_limiter.hpp"
#include "support/temp_dir.hpp"

namespace gauntlet::data {
namespace {

using namespace gauntlet::literals;

constexpr TimestampMs kStart = 1'709'251'200'000;  // 2024-03-01T00:00:00Z

Bar minute_bar(TimestampMs open_time, int64_t price) {
  const Decimal p = Decimal::from_int(price);
  return Bar{open_time, p, p + "2"_d, p - "1"_d, p + "1"_d, "3"_d, p * "3"_d};
}

std::vector<Bar> minutes(TimestampMs start, int count, int64_t price = 100) {
  std::vector<Bar> bars;
  for (int i = 0; i < count; ++i) bars.push_back(minute_bar(start + i * kMinuteMs, price + i));
  return bars;
}

TEST(TokenBucket, RefillsAtTheRateUpToTheBurst) {
  TokenBucket bucket({2.0, 3.0}, 0);
  EXPECT_TRUE(bucket.try_acquire(0));
  EXPECT_TRUE(bucket.try_acquire(0));
  EXPECT_TRUE(bucket.try_acquire(0));
  EXPECT_FALSE(bucket.try_acquire(0));
  EXPECT_EQ(bucket.next_available(0), 500);
  EXPECT_FALSE(bucket.try_acquire(499));
  EXPECT_TRUE(bucket.try_acquire(500));
  EXPECT_DOUBLE_EQ(bucket.tokens(100'000), 3.0);
}

TEST(RateLimiter, HonoursTheVenuesRemainingCountAndReset) {
  SimClock clock(1000);
  RateLimiter limiter(clock, {10.0, 10.0});
  const std::string kline = "bybit:/v5/market/kline";
  limiter.configure(kline, {20.0, 20.0});
  EXPECT_TRUE(limiter.try_acquire(kline));
  limiter.on_response(kline, 2, 5000);  // the venue says 2 calls are left this window
  EXPECT_TRUE(limiter.try_acquire(kline));
  EXPECT_TRUE(limiter.try_acquire(kline));
  EXPECT_FALSE(limiter.try_acquire(kline));
  limiter.on_response(kline, 0, 5000);  // none left until 5000
  clock.advance_to(4999);
  EXPECT_FALSE(limiter.try_acquire(kline));
  EXPECT_EQ(limiter.next_available(kline), 5000);
  clock.advance_to(5000);
  EXPECT_TRUE(limiter.try_acquire(kline));
  // A rate-limit error without a reset blocks for the penalty.
  limiter.on_rate_limited(kline, std::nullopt, 2000);
  EXPECT_FALSE(limiter.try_acquire(kline));
  EXPECT_EQ(limiter.next_available(kline), 7000);
  // Other endpoints keep their own budget.
  EXPECT_TRUE(limiter.try_acquire("bybit:/v5/market/tickers"));
}

struct Harness {
  testing::TempDir dir;
  BarStore store{dir.path()};
  asio::io_context loop;
  EventBus bus{loop};
  SimClock clock{kStart};
  Symbol btc = Symbol::parse("BTCUSDT");
  Symbol eth = Symbol::parse("ETHUSDT");
};

TEST(ReplayFeed, PublishesBarsAtTheirCloseInTimeOrderAcrossSeries) {
  Harness h;
  h.store.upsert_bars({"bybit", Asset::kSpot, h.btc, Timeframe::k1m}, minutes(kStart, 30));
  std::vector<Bar> five;
  for (int i = 0; i < 6; ++i) five.push_back(minute_bar(kStart + i * 5 * kMinuteMs, 500));
  h.store.upsert_bars({"bybit", Asset::kSpot, h.eth, Timeframe::k5m}, five);

  std::vector<std::string> seen;
  auto bars = h.bus.subscribe<BarClosed>([&](const BarClosed& event) {
    EXPECT_EQ(event.feed, FeedKind::kReplay);
    EXPECT_EQ(event.event_time, event.bar.open_time + duration_ms(event.timeframe));
    EXPECT_EQ(h.clock.now_ms(), event.event_time);  // a bar is seen only once it has closed
    seen.push_back(
        fmt::format("{}@{}", event.symbol.canonical(), (event.event_time - kStart) / kMinuteMs));
  });
  int quotes = 0;
  auto quote_subscription = h.bus.subscribe<QuoteUpdated>([&](const QuoteUpdated&) { ++quotes; });
  ReplayFeed feed(h.store, h.bus, h.clock,
                  {{"bybit", Asset::kSpot, h.btc, Timeframe::k1m},
                   {"bybit", Asset::kSpot, h.eth, Timeframe::k5m}},
                  {kStart, kStart + kDayMs, 1.0, true, std::nullopt});
  feed.start();
  EXPECT_EQ(feed.next_close(), kStart + kMinuteMs);
  while (h.clock.run_next() > 0) h.bus.drain();
  EXPECT_TRUE(feed.finished());
  EXPECT_EQ(feed.bars_published(), 36u);
  EXPECT_EQ(quotes, 36);
  ASSERT_EQ(seen.size(), 36u);
  EXPECT_EQ(seen[0], "BTCUSDT@1");
  EXPECT_EQ(seen[4], "BTCUSDT@5");
  EXPECT_EQ(seen[5], "ETHUSDT@5");  // same close: series order
  EXPECT_EQ(seen.back(), "ETHUSDT@30");
}

TEST(ReplayFeed, SpeedScalesClockTime) {
  Harness h;
  h.store.upsert_bars({"bybit", Asset::kSpot, h.btc, Timeframe::k1m}, minutes(kStart, 10));
  ReplayFeed feed(h.store, h.bus, h.clock, {{"bybit", Asset::kSpot, h.btc, Timeframe::k1m}},
                  {kStart, kStart + kDayMs, 60.0, false, std::nullopt});
  feed.start();
  h.clock.advance(kSecondMs);  // one clock second = one market minute
  EXPECT_EQ(feed.bars_published(), 1u);
  h.clock.advance(9 * kSecondMs);
  EXPECT_TRUE(feed.finished());
  EXPECT_THROW(ReplayFeed(h.store, h.bus, h.clock, {}, {0, 1, 0.0, false, std::nullopt}),
               DataError);
}

TEST(DataManager, PlansGapBackfillsInPages) {
  Harness h;
  DataManager manager("bybit", Asset::kPerp, h.store, h.bus, h.clock);
  std::vector<Bar> bars = minutes(kStart, 100);
  bars.erase(bars.begin() + 10, bars.begin() + 40);  // 30 missing
  manager.upsert_bars(h.btc, Timeframe::k1m, bars);
  const auto plan =
      manager.gap_backfill_plan(h.btc, Timeframe::k1m, kStart, kStart + 130 * kMinuteMs, 20);
  ASSERT_EQ(plan.size(), 4u);
  EXPECT_EQ(plan[0], (KlineRequest{h.btc, Timeframe::k1m, kStart + 10 * kMinuteMs,
                                   kStart + 30 * kMinuteMs, 20}));
  EXPECT_EQ(plan[1], (KlineRequest{h.btc, Timeframe::k1m, kStart + 30 * kMinuteMs,
                                   kStart + 40 * kMinuteMs, 10}));
  EXPECT_EQ(plan[2], (KlineRequest{h.btc, Timeframe::k1m, kStart + 100 * kMinuteMs,
                                   kStart + 120 * kMinuteMs, 20}));
  EXPECT_EQ(plan[3].bars, 10u);
  EXPECT_EQ(manager.last_bar_time(h.btc, Timeframe::k1m), kStart + 99 * kMinuteMs);
}

TEST(DataManager, CachesQuotesAndBarsResamplesAndPersistsLiveBars) {
  Harness h;
  DataManager manager("bybit", Asset::kPerp, h.store, h.bus, h.clock);
  std::vector<BarClosed> fifteen;
  auto subscription = h.bus.subscribe<BarClosed>([&](const BarClosed& event) {
    if (event.timeframe == Timeframe::k15m) fifteen.push_back(event);
  });
  int ticks = 0;
  auto tick_subscription = manager.on_tick([&](const QuoteUpdated&) { ++ticks; });
  for (const Bar& bar : minutes(kStart, 31)) {
    h.bus.publish(BarClosed{FeedKind::kLive, Asset::kPerp, h.btc, Timeframe::k1m, bar,
                            bar.open_time + kMinuteMs});
  }
  QuoteUpdated quote;
  quote.domain = Asset::kPerp;
  quote.symbol = h.btc;
  quote.last_price = "130"_d;
  h.bus.publish(quote);
  quote.domain = Asset::kSpot;  // another domain's quote is not ours
  quote.last_price = "1"_d;
  h.bus.publish(quote);
  h.bus.drain();

  ASSERT_EQ(fifteen.size(), 2u);  // 00:00-00:15 and 00:15-00:30; 00:30 is still forming
  EXPECT_EQ(fifteen[0].feed, FeedKind::kLive);
  EXPECT_EQ(fifteen[0].bar.open, "100"_d);
  EXPECT_EQ(fifteen[0].bar.close, "115"_d);
  EXPECT_EQ(fifteen[0].bar.volume, "45"_d);
  EXPECT_EQ(fifteen[1].event_time, kStart + 30 * kMinuteMs);
  EXPECT_EQ(manager.get_last_quote(h.btc)->last_price, "130"_d);
  EXPECT_FALSE(manager.get_last_quote(h.eth));
  EXPECT_EQ(ticks, 1);
  EXPECT_EQ(manager.feed_kind(), FeedKind::kLive);
  EXPECT_EQ(manager.get_ohlc(h.btc, Timeframe::k1m, 5).size(), 5u);
  EXPECT_EQ(manager.get_ohlc(h.btc, Timeframe::k1m, 5).back().open_time, kStart + 30 * kMinuteMs);
  EXPECT_EQ(manager.get_ohlc(h.btc, Timeframe::k15m, 10).size(), 2u);
  // Live bars are persisted; advancing time closes the forming 15m interval.
  EXPECT_EQ(h.store.count_bars({"bybit", Asset::kPerp, h.btc, Timeframe::k1m}), 31u);
  manager.advance_to(kStart + 45 * kMinuteMs);
  h.bus.drain();
  ASSERT_EQ(fifteen.size(), 3u);
  EXPECT_EQ(fifteen[2].bar.volume, "3"_d);
}

TEST(DataManager, GetOhlcTopsUpTheCacheFromTheStore) {
  Harness h;
  DataManager manager("bybit", Asset::kSpot, h.store, h.bus, h.clock);
  manager.upsert_bars(h.btc, Timeframe::k1m, minutes(kStart, 50));
  h.clock.advance_to(kStart + 60 * kMinuteMs);
  h.bus.publish(BarClosed{FeedKind::kReplay, Asset::kSpot, h.btc, Timeframe::k1m,
                          minute_bar(kStart + 50 * kMinuteMs, 150), kStart + 51 * kMinuteMs});
  h.bus.drain();
  const BarSeries ohlc = manager.get_ohlc(h.btc, Timeframe::k1m, 20);
  ASSERT_EQ(ohlc.size(), 20u);
  EXPECT_EQ(ohlc.front().open_time, kStart + 31 * kMinuteMs);
  EXPECT_EQ(ohlc.back().open_time, kStart + 50 * kMinuteMs);
  EXPECT_EQ(h.store.count_bars({"bybit", Asset::kSpot, h.btc, Timeframe::k1m}),
            50u);  // replay bars are not stored
}

}  // namespace
}  // namespace gauntlet::data

namespace gauntlet::data {
namespace {

TEST(SimulatedFeed, PublishesEachMinuteAtItsCloseLikeTheOtherFeeds) {
  Harness h;
  SimulatedFeed feed(SimulatedMarketConfig::default_crypto(42, kStart), h.bus, h.clock);
  DataManager manager("simulated", Asset::kPerp, h.store, h.bus, h.clock);
  manager.attach_source(&feed);
  std::vector<BarClosed> bars;
  auto subscription = h.bus.subscribe<BarClosed>([&](const BarClosed& event) {
    EXPECT_EQ(h.clock.now_ms(), event.event_time);
    bars.push_back(event);
  });
  feed.start();
  for (int minute = 0; minute < 15; ++minute) {
    h.clock.run_next();
    h.bus.drain();
  }
  EXPECT_EQ(feed.minutes_published(), 15u);
  // 20 markets a minute, plus the 5m and 15m bars the data manager resamples from perp 1m.
  const auto one_minute = std::count_if(
      bars.begin(), bars.end(), [](const BarClosed& b) { return b.timeframe == Timeframe::k1m; });
  EXPECT_EQ(one_minute, 15 * 20);
  EXPECT_TRUE(std::all_of(bars.begin(), bars.end(),
                          [](const BarClosed& b) { return b.feed == FeedKind::kSimulated; }));
  const auto quarter = std::count_if(
      bars.begin(), bars.end(), [](const BarClosed& b) { return b.timeframe == Timeframe::k15m; });
  EXPECT_EQ(quarter, 10);  // one per perp market
  const auto quote = manager.get_last_quote(Symbol::parse("BTCUSDT"));
  ASSERT_TRUE(quote);
  EXPECT_EQ(quote->feed, FeedKind::kSimulated);
  EXPECT_EQ(manager.feed_kind(), FeedKind::kSimulated);
  EXPECT_EQ(h.store.list().size(), 0u);  // simulated bars never reach the store

  // Subscribing narrows what is published to the asked symbols and streams.
  feed.subscribe({Symbol::parse("ETHUSDT")}, {Stream::kBars});
  bars.clear();
  int quotes = 0;
  auto quote_subscription = h.bus.subscribe<QuoteUpdated>([&](const QuoteUpdated&) { ++quotes; });
  h.clock.run_next();
  h.bus.drain();
  EXPECT_EQ(bars.size(), 2u);  // ETHUSDT spot and perp
  EXPECT_EQ(quotes, 0);
}

}  // namespace
}  // namespace gauntlet::data

namespace gauntlet::data {
namespace {

// A restarted session: 15m bars topped up from stored 1m bars, and a resampler resumed inside
// an interval closes it whole, as the uninterrupted run did.
TEST(DataManager, ResumesResamplingInsideAnIntervalAndTopsUpResampledBars) {
  Harness h;
  const std::vector<Bar> bars = minutes(kStart, 60);
  h.store.upsert_bars({"bybit", Asset::kSpot, h.btc, Timeframe::k1m}, bars);
  const BarSeries expected = resample(BarSeries::from_bars(bars), Timeframe::k1m, Timeframe::k15m);
  ASSERT_EQ(expected.size(), 4u);

  // The restart happens at 37 minutes: two 15m bars closed, the third is forming.
  h.clock.advance_to(kStart + 37 * kMinuteMs);
  DataManager manager("bybit", Asset::kSpot, h.store, h.bus, h.clock);
  manager.subscribe({h.btc}, {Stream::kBars});
  const BarSeries before = manager.get_ohlc(h.btc, Timeframe::k15m, 5);
  ASSERT_EQ(before.size(), 2u);
  EXPECT_EQ(before.bar(1), expected.bar(1));

  manager.resume_at(kStart + 37 * kMinuteMs);
  std::vector<Bar> closed;
  Subscription subscription = h.bus.subscribe<BarClosed>([&](const BarClosed& event) {
    if (event.timeframe == Timeframe::k15m) closed.push_back(event.bar);
  });
  for (int minute = 37; minute < 60; ++minute) {
    h.clock.advance_to(kStart + (minute + 1) * kMinuteMs);
    h.bus.publish(BarClosed{FeedKind::kReplay, Asset::kSpot, h.btc, Timeframe::k1m,
                            bars[static_cast<std::size_t>(minute)], h.clock.now_ms()});
    h.bus.drain();
  }
  ASSERT_EQ(closed.size(), 2u);
  EXPECT_EQ(closed[0], expected.bar(2));  // whole: it includes the 7 minutes before the restart
  EXPECT_EQ(closed[1], expected.bar(3));
}

}  // namespace
}  // namespace gauntlet::data

namespace gauntlet::data {
namespace {

// Resumed at minute 20 with the earlier bars as warm-up, the replay publishes the same quotes
// (trailing-day volumes included) as the run that started at minute 0.
TEST(ReplayFeed, AResumedReplayWarmsItsTrailingDayAndPublishesTheSameQuotes) {
  const auto quotes_from = [](TimestampMs from) {
    Harness h;
    h.store.upsert_bars({"bybit", Asset::kSpot, h.btc, Timeframe::k1m}, minutes(kStart, 30));
    std::vector<QuoteUpdated> quotes;
    auto subscription = h.bus.subscribe<QuoteUpdated>([&](const QuoteUpdated& quote) {
      if (quote.event_time > kStart + 20 * kMinuteMs) quotes.push_back(quote);
    });
    h.clock.advance_to(from);
    ReplayFeed feed(h.store, h.bus, h.clock, {{"bybit", Asset::kSpot, h.btc, Timeframe::k1m}},
                    {from, kStart + kDayMs, 1.0, true, kStart});
    feed.start();
    while (h.clock.run_next() > 0) h.bus.drain();
    return quotes;
  };
  const std::vector<QuoteUpdated> whole = quotes_from(kStart);
  const std::vector<QuoteUpdated> resumed = quotes_from(kStart + 20 * kMinuteMs);
  ASSERT_EQ(whole.size(), 10u);
  ASSERT_EQ(resumed.size(), 10u);
  for (std::size_t i = 0; i < whole.size(); ++i) {
    EXPECT_EQ(resumed[i].turnover_24h, whole[i].turnover_24h);
    EXPECT_EQ(resumed[i].volume_24h, whole[i].volume_24h);
  }
  EXPECT_GT(whole.back().volume_24h, Decimal::from_int(20));
}

}  // namespace
}  // namespace gauntlet::data

namespace gauntlet::data {
namespace {

// A symbol whose bars are 5m (a replay of stored 5m files, no 1m): the 15m bars are made from
// them, from the store and in the stream; nothing is made from 1m bars it does not have.
// Bar i has open 100 + i, high open + 2, low open - 1, close open + 1, volume 3 (minute_bar):
// a 15m bar of 5m bars i..i+2 opens at 100 + i, closes at 103 + i, high 104 + i, low 99 + i,
// volume 9.
TEST(DataManager, ResamplesFromAFiveMinuteBase) {
  Harness h;
  std::vector<Bar> fives;
  for (int i = 0; i < 12; ++i) fives.push_back(minute_bar(kStart + i * 5 * kMinuteMs, 100 + i));
  h.store.upsert_bars({"bybit", Asset::kSpot, h.btc, Timeframe::k5m},
                      std::span<const Bar>(fives).first(6));
  DataManager manager("bybit", Asset::kSpot, h.store, h.bus, h.clock);
  EXPECT_EQ(manager.base_timeframe(h.btc), Timeframe::k1m);
  manager.set_base_timeframe(h.btc, Timeframe::k5m);
  EXPECT_EQ(manager.base_timeframe(h.btc), Timeframe::k5m);
  manager.subscribe({h.btc}, {Stream::kBars});

  h.clock.advance_to(kStart + 30 * kMinuteMs);
  const BarSeries stored = manager.get_ohlc(h.btc, Timeframe::k15m, 5);
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored.bar(0), (Bar{kStart, "100"_d, "104"_d, "99"_d, "103"_d, "9"_d,
                                "909"_d}));  // turnover 3 x (100 + 101 + 102)
  EXPECT_EQ(stored.bar(1).open_time, kStart + 15 * kMinuteMs);
  EXPECT_EQ(stored.bar(1).open, "103"_d);

  std::vector<BarClosed> closed;
  Subscription subscription =
      h.bus.subscribe<BarClosed>([&](const BarClosed& event) { closed.push_back(event); });
  for (std::size_t i = 6; i < fives.size(); ++i) {
    h.clock.advance_to(fives[i].open_time + 5 * kMinuteMs);
    h.bus.publish(BarClosed{FeedKind::kReplay, Asset::kSpot, h.btc, Timeframe::k5m, fives[i],
                            h.clock.now_ms()});
    h.bus.drain();
  }
  std::vector<Bar> fifteen;
  int five = 0;
  for (const BarClosed& event : closed) {
    if (event.timeframe == Timeframe::k15m) fifteen.push_back(event.bar);
    if (event.timeframe == Timeframe::k5m) ++five;
  }
  EXPECT_EQ(five, 6);  // only the published ones: 5m is the base, not made again
  ASSERT_EQ(fifteen.size(), 2u);
  EXPECT_EQ(fifteen[0], (Bar{kStart + 30 * kMinuteMs, "106"_d, "110"_d, "105"_d, "109"_d, "9"_d,
                             "963"_d}));  // 3 x (106 + 107 + 108)
  EXPECT_EQ(fifteen[1].open_time, kStart + 45 * kMinuteMs);
  EXPECT_EQ(fifteen[1].close, "112"_d);
}

}  // namespace
}  // namespace gauntlet::data
