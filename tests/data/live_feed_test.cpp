// The live Bybit feed against the local Bybit: closed bars pushed over the WebSocket through
// every WebSocket fault must end up stored and published, complete, in order and identical to
// the source, recovered over REST where the WebSocket lost them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "brokers/bybit/loop_helpers.hpp"
#include "core/wall_clock.hpp"
#include "data/feeds/bybit_live_feed.hpp"
#include "support/temp_dir.hpp"
#include "venues/bybit/venue_server.hpp"

namespace gauntlet::data {
namespace {

namespace bybit = brokers::bybit;
using namespace std::chrono_literals;
using brokers::bybit::Category;
using venues::bybit::VenueServer;

std::vector<Bar> source_bars(TimestampMs first, int count) {
  std::vector<Bar> bars;
  for (int i = 0; i < count; ++i) {
    const Decimal price = Decimal::from_int(20'000 + (i * 37) % 101);
    bars.push_back({first + i * kMinuteMs, price, price + Decimal::from_int(3),
                    price - Decimal::from_int(2), price + Decimal::one(),
                    Decimal::from_int(1 + i % 5), price * Decimal::from_int(1 + i % 5)});
  }
  return bars;
}

TEST(BybitLiveFeed, LosesNoClosedBarThroughEveryWebSocketFault) {
  VenueServer venue;
  asio::io_context loop;
  EventBus bus(loop);
  WallClock clock(loop);
  // 180 closed bars ending a minute ago: 120 already in the venue's history, 60 to be pushed.
  const TimestampMs first = floor_to(clock.now_ms(), kMinuteMs) - 181 * kMinuteMs;
  const std::vector<Bar> source = source_bars(first, 180);
  venue.set_klines(Category::kLinear, "BTCUSDT", Timeframe::k1m,
                   {source.begin(), source.begin() + 120});

  const testing::TempDir dir;
  BarStore store(dir.path());
  DataManager manager("bybit", Asset::kPerp, store, bus, clock);
  bybit::RestClient rest(loop, {venue.rest_url(), 500, 4, 32u << 20, "gauntlet-test"});
  RateLimiter limiter(clock, {50.0, 10.0});
  connect_rate_limiter(rest, limiter, clock);
  bybit::PublicWsConfig ws;
  ws.url = venue.public_ws_url(Category::kLinear);
  ws.ping_interval_ms = 200;
  ws.stale_timeout_ms = 600;
  ws.connect_timeout_ms = 1000;
  ws.reconnect_base_ms = 20;
  ws.reconnect_max_ms = 200;
  ws.seed = 3;
  BybitLiveFeed::Options options;
  options.initial_lookback = 4 * kHourMs;
  options.poll_interval = 150;
  options.backfill.initial_backoff = 10;
  options.backfill.max_backoff = 100;
  options.backfill.seed = 5;
  BybitLiveFeed feed(loop, manager, rest, ws, bus, clock, options);
  manager.attach_source(&feed);

  std::vector<Bar> published;
  auto subscription = bus.subscribe<BarClosed>([&](const BarClosed& event) {
    if (event.timeframe != Timeframe::k1m) return;
    EXPECT_EQ(event.feed, FeedKind::kLive);
    if (!published.empty()) {
      EXPECT_GT(event.bar.open_time, published.back().open_time);
    }
    published.push_back(event.bar);
  });
  const Symbol btc = Symbol::parse("BTCUSDT");
  manager.subscribe({btc}, {Stream::kBars, Stream::kQuotes});
  feed.start();
  ASSERT_TRUE(testing::run_until(
      loop, [&] { return feed.connected() && published.size() == 120; }, 10s))
      << "connected=" << feed.connected() << " published=" << published.size();

  // Every pushed bar also joins the venue's REST history, as on the real venue.
  auto push = [&](int index) {
    venue.add_kline(Category::kLinear, "BTCUSDT", Timeframe::k1m, source[index]);
    venue.push_kline(Category::kLinear, "BTCUSDT", Timeframe::k1m, source[index], true);
    testing::run_for(loop, 15ms);
  };
  for (int i = 120; i < 130; ++i) push(i);  // clean
  venue.set_duplicate_pushes(true);
  for (int i = 130; i < 136; ++i) push(i);
  venue.set_duplicate_pushes(false);
  venue.set_out_of_order(true);
  for (int i = 136; i < 142; ++i) push(i);
  venue.set_out_of_order(false);
  venue.send_malformed(Category::kLinear, 10);
  for (int i = 142; i < 148; ++i) push(i);
  venue.drop_connections();  // pushed while the client is away: lost on the WebSocket
  for (int i = 148; i < 156; ++i) {
    venue.add_kline(Category::kLinear, "BTCUSDT", Timeframe::k1m, source[i]);
    venue.push_kline(Category::kLinear, "BTCUSDT", Timeframe::k1m, source[i], true);
  }
  ASSERT_TRUE(testing::run_until(
      loop, [&] { return feed.connected() && published.size() >= 156; }, 10s))
      << "published=" << published.size();
  venue.stall(900ms);  // silent: the watchdog drops the connection and reconnects
  for (int i = 156; i < 170; ++i) {
    venue.add_kline(Category::kLinear, "BTCUSDT", Timeframe::k1m, source[i]);
    venue.push_kline(Category::kLinear, "BTCUSDT", Timeframe::k1m, source[i], true);
  }
  testing::run_for(loop, 1200ms);
  for (int i = 170; i < 180; ++i) push(i);
  ASSERT_TRUE(testing::run_until(
      loop, [&] { return published.size() >= 180; }, 15s))
      << "published=" << published.size();
  testing::run_for(loop, 100ms);

  EXPECT_EQ(published, source);
  EXPECT_EQ(
      store.load_bars(manager.key(btc, Timeframe::k1m), first, first + 180 * kMinuteMs).to_bars(),
      source);
  EXPECT_GE(feed.ws_counters().malformed, 10u);
  // The drop and the stall each cost an established connection (the watchdog caught the stall).
  EXPECT_GE(feed.ws_counters().disconnects, 2u)
      << "reconnects=" << feed.ws_counters().reconnects
      << " connect_failures=" << feed.ws_counters().connect_failures;
  EXPECT_GE(feed.counters().backfills, 3u);
  feed.stop();
}

}  // namespace
}  // namespace gauntlet::data
