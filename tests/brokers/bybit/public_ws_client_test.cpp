// PublicWsClient against the local Bybit (venues/bybit) on 127.0.0.1: subscribe in batches, events,
// heartbeat, the watchdog on a stalled stream, reconnect with backoff and resubscription,
// duplicate and out-of-order pushes, malformed frames, stop. Intervals are milliseconds here.
#include "brokers/bybit/public_ws_client.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "brokers/bybit/loop_helpers.hpp"
#include "core/asio.hpp"
#include "core/exceptions.hpp"
#include "venues/bybit/venue_server.hpp"

namespace gauntlet::brokers::bybit {
namespace {

using namespace std::chrono_literals;
using testing::run_for;
using testing::run_until;
using literals::operator""_d;

constexpr TimestampMs kStart = 1'700'000'100'000;  // a 5-minute boundary
constexpr DurationMs kFiveMinutes = 300'000;

Bar make_bar(TimestampMs open_time, int step) {
  Bar bar;
  bar.open_time = open_time;
  bar.open = "16649.5"_d + Decimal::from_int(step);
  bar.high = bar.open + "27.5"_d;
  bar.low = bar.open - "41.5"_d;
  bar.close = bar.open + "0.25"_d;
  bar.volume = "2.081"_d;
  bar.turnover = "34666.4005"_d;
  return bar;
}

class RecordingListener final : public PublicWsListener {
 public:
  void on_bar_closed(const data::BarClosed& event) override { closed.push_back(event); }
  void on_bar_updated(const data::BarUpdated& event) override { updated.push_back(event); }
  void on_quote_updated(const data::QuoteUpdated& event) override { quotes.push_back(event); }
  void on_connected(bool reconnect) override { connections.push_back(reconnect); }
  void on_disconnected(std::string_view reason) override { disconnections.emplace_back(reason); }

  std::vector<data::BarClosed> closed;
  std::vector<data::BarUpdated> updated;
  std::vector<data::QuoteUpdated> quotes;
  std::vector<bool> connections;
  std::vector<std::string> disconnections;
};

struct BybitWsLoopback : ::testing::Test {
  PublicWsConfig config(Category category = Category::kLinear) const {
    PublicWsConfig config;
    config.category = category;
    config.url = venue.public_ws_url(category);
    config.ping_interval_ms = 100;
    config.stale_timeout_ms = 400;
    config.connect_timeout_ms = 300;
    config.reconnect_base_ms = 20;
    config.reconnect_max_ms = 200;
    config.stable_after_ms = 1'000;
    config.seed = 7;
    config.warn_interval_ms = 1'000;
    return config;
  }

  bool subscribed(Category category, const std::string& topic) const {
    const auto topics = venue.subscriptions(category);
    return std::find(topics.begin(), topics.end(), topic) != topics.end();
  }

  asio::io_context loop;
  venues::bybit::VenueServer venue;
  RecordingListener listener;
};

TEST(BybitReconnectBackoff, FullJitterUnderADoublingCeiling) {
  ReconnectBackoff backoff(100, 1'000, 42);
  const std::vector<DurationMs> ceilings = {100, 200, 400, 800, 1'000, 1'000, 1'000};
  for (const DurationMs ceiling : ceilings) {
    EXPECT_EQ(backoff.ceiling(), ceiling);
    const DurationMs delay = backoff.next();
    EXPECT_GE(delay, 0);
    EXPECT_LE(delay, ceiling);
  }
  EXPECT_EQ(backoff.attempts(), 7);
  backoff.reset();
  EXPECT_EQ(backoff.ceiling(), 100);

  // Seeded: the same delays every run; spread over the range.
  ReconnectBackoff a(1'000, 60'000, 9);
  ReconnectBackoff b(1'000, 60'000, 9);
  DurationMs low = 60'000;
  DurationMs high = 0;
  for (int i = 0; i < 200; ++i) {
    a.reset();
    b.reset();
    for (int k = 0; k < 6; ++k) {
      const DurationMs delay = a.next();
      EXPECT_EQ(delay, b.next());
      if (k == 5) {
        low = std::min(low, delay);
        high = std::max(high, delay);
      }
    }
  }
  EXPECT_LT(low, 8'000);
  EXPECT_GT(high, 24'000);
}

TEST(BybitPublicWsClient, RejectsABadConfigAndBadTopics) {
  asio::io_context loop;
  RecordingListener listener;
  PublicWsConfig config;
  config.url = "ws://127.0.0.1:1/v5/public/spot";
  config.ping_interval_ms = 1'000;
  config.stale_timeout_ms = 1'000;  // must exceed the ping interval
  EXPECT_THROW(PublicWsClient(loop, config, listener), ConfigError);
  config.stale_timeout_ms = 3'000;
  config.url = "stream.bybit.com";
  EXPECT_THROW(PublicWsClient(loop, config, listener), ConfigError);
  config.url = "";  // the production URL of the category
  PublicWsClient client(loop, config, listener);
  EXPECT_THROW(client.subscribe({"kline.1.BTCUSDT", "bad\"topic"}), ConfigError);
  EXPECT_TRUE(client.topics().empty());
  EXPECT_EQ(default_public_ws_url(Category::kLinear), "wss://stream.bybit.com/v5/public/linear");
}

TEST_F(BybitWsLoopback, SubscribesAndTurnsPushesIntoEvents) {
  PublicWsClient client(loop, config(), listener);
  client.subscribe({"kline.5.BTCUSDT", "tickers.BTCUSDT"});
  client.start();
  ASSERT_TRUE(run_until(loop, [&] {
    return subscribed(Category::kLinear, "kline.5.BTCUSDT") &&
           subscribed(Category::kLinear, "tickers.BTCUSDT");
  }));
  EXPECT_TRUE(client.connected());
  ASSERT_EQ(listener.connections, std::vector<bool>{false});

  venue.push_kline(Category::kLinear, "BTCUSDT", Timeframe::k5m, make_bar(kStart, 0), false);
  venue.push_kline(Category::kLinear, "BTCUSDT", Timeframe::k5m, make_bar(kStart, 1), true);
  venue.push_raw(Category::kLinear,
                 R"({"topic":"tickers.BTCUSDT","type":"snapshot","data":{"symbol":"BTCUSDT",)"
                 R"("lastPrice":"17216.00","bid1Price":"17215.50","ask1Price":"17216.00"},)"
                 R"("cs":1,"ts":1673272861686})");
  ASSERT_TRUE(run_until(loop, [&] { return !listener.quotes.empty(); }));
  ASSERT_EQ(listener.updated.size(), 1u);
  ASSERT_EQ(listener.closed.size(), 1u);
  EXPECT_EQ(listener.updated[0].bar, make_bar(kStart, 0));
  EXPECT_EQ(listener.closed[0].bar, make_bar(kStart, 1));
  EXPECT_EQ(listener.closed[0].domain, Asset::kPerp);
  EXPECT_EQ(listener.closed[0].timeframe, Timeframe::k5m);
  EXPECT_EQ(listener.quotes[0].bid_price, "17215.5"_d);
  EXPECT_EQ(client.counters().events, 3u);
  EXPECT_GE(client.counters().control, 1u);  // the subscription ack
  EXPECT_EQ(client.counters().malformed, 0u);
}

TEST_F(BybitWsLoopback, SubscribesInBatchesOfTenAndUnsubscribes) {
  PublicWsClient client(loop, config(Category::kSpot), listener);
  client.start();
  ASSERT_TRUE(run_until(loop, [&] { return client.connected(); }));
  std::vector<std::string> topics;
  const char* symbols[] = {"BTCUSDT",  "ETHUSDT",  "SOLUSDT", "XRPUSDT",  "ADAUSDT",
                           "DOGEUSDT", "DOTUSDT",  "LTCUSDT", "LINKUSDT", "BCHUSDT",
                           "AVAXUSDT", "ATOMUSDT", "TRXUSDT"};
  for (const char* symbol : symbols) {
    topics.push_back(std::string("kline.15.") + symbol);
    topics.push_back(std::string("tickers.") + symbol);
  }
  client.subscribe(topics);
  client.subscribe({"tickers.BTCUSDT"});  // already in the set: not sent again
  ASSERT_TRUE(run_until(loop, [&] { return venue.subscriptions(Category::kSpot).size() == 26; }));
  EXPECT_EQ(client.topics().size(), 26u);
  run_for(loop, 100ms);
  EXPECT_EQ(client.counters().subscribe_failures, 0u);

  client.unsubscribe({"kline.15.BTCUSDT", "tickers.ETHUSDT", "kline.15.NOTSUBSCRIBED"});
  ASSERT_TRUE(run_until(loop, [&] { return venue.subscriptions(Category::kSpot).size() == 24; }));
  EXPECT_FALSE(subscribed(Category::kSpot, "kline.15.BTCUSDT"));
  EXPECT_EQ(client.topics().size(), 24u);
}

TEST_F(BybitWsLoopback, AFailedSubscriptionIsCountedNotFatal) {
  PublicWsClient client(loop, config(), listener);
  client.subscribe({"invalid.topic.BTCUSDT", "kline.1.BTCUSDT"});
  client.start();
  ASSERT_TRUE(run_until(loop, [&] { return client.counters().subscribe_failures == 1; }));
  EXPECT_TRUE(subscribed(Category::kLinear, "kline.1.BTCUSDT"));
  EXPECT_TRUE(client.connected());
}

TEST_F(BybitWsLoopback, PingsKeepAQuietConnectionAlive) {
  PublicWsClient client(loop, config(), listener);
  client.start();
  ASSERT_TRUE(run_until(loop, [&] { return client.connected(); }));
  const int before = venue.pings_received();
  run_for(loop, 1'000ms);  // 2.5 stale timeouts without any data
  EXPECT_GE(venue.pings_received() - before, 6);
  EXPECT_GE(client.counters().pings_sent, 6u);
  EXPECT_TRUE(client.connected());
  EXPECT_EQ(client.counters().disconnects, 0u);
  EXPECT_EQ(listener.connections.size(), 1u);
}

TEST_F(BybitWsLoopback, AStalledStreamIsDroppedAndTheClientReconnectsAndResubscribes) {
  PublicWsClient client(loop, config(), listener);
  client.subscribe({"kline.5.BTCUSDT"});
  client.start();
  ASSERT_TRUE(run_until(loop, [&] { return subscribed(Category::kLinear, "kline.5.BTCUSDT"); }));
  venue.stall(1'200ms);
  // The watchdog drops the silent session; handshakes stall too until the stall ends.
  ASSERT_TRUE(run_until(
      loop, [&] { return listener.connections.size() >= 2; }, 10s));
  EXPECT_EQ(listener.connections[1], true);
  ASSERT_FALSE(listener.disconnections.empty());
  EXPECT_NE(listener.disconnections[0].find("no frame for 400 ms"), std::string::npos)
      << listener.disconnections[0];
  EXPECT_GE(client.counters().reconnects, 1u);
  EXPECT_GE(client.counters().disconnects, 1u);
  ASSERT_TRUE(run_until(loop, [&] { return subscribed(Category::kLinear, "kline.5.BTCUSDT"); }));
  venue.push_kline(Category::kLinear, "BTCUSDT", Timeframe::k5m, make_bar(kStart, 0), true);
  ASSERT_TRUE(run_until(loop, [&] { return listener.closed.size() == 1; }));
}

TEST_F(BybitWsLoopback, DroppedConnectionsReconnectWithBackoffAndResubscribe) {
  PublicWsClient client(loop, config(), listener);
  client.subscribe({"kline.1.ETHUSDT", "tickers.ETHUSDT"});
  client.start();
  for (int round = 1; round <= 3; ++round) {
    ASSERT_TRUE(run_until(loop, [&] {
      return static_cast<int>(listener.connections.size()) == round &&
             subscribed(Category::kLinear, "kline.1.ETHUSDT") &&
             subscribed(Category::kLinear, "tickers.ETHUSDT");
    })) << round;
    venue.drop_connections();
  }
  ASSERT_TRUE(run_until(loop, [&] { return listener.connections.size() == 4; }));
  EXPECT_EQ(listener.connections, (std::vector<bool>{false, true, true, true}));
  EXPECT_EQ(client.counters().reconnects, 3u);
  EXPECT_EQ(client.counters().disconnects, 3u);
  EXPECT_EQ(listener.disconnections.size(), 3u);
  ASSERT_TRUE(run_until(loop, [&] { return subscribed(Category::kLinear, "tickers.ETHUSDT"); }));
}

TEST_F(BybitWsLoopback, TickerDeltasAfterAReconnectWaitForTheFreshSnapshot) {
  PublicWsClient client(loop, config(), listener);
  client.subscribe({"tickers.BTCUSDT"});
  client.start();
  ASSERT_TRUE(run_until(loop, [&] { return subscribed(Category::kLinear, "tickers.BTCUSDT"); }));
  const std::string snapshot =
      R"({"topic":"tickers.BTCUSDT","type":"snapshot","data":{"symbol":"BTCUSDT",)"
      R"("lastPrice":"100","bid1Price":"99"},"cs":1,"ts":1})";
  const std::string delta =
      R"({"topic":"tickers.BTCUSDT","type":"delta","data":{"lastPrice":"101"},"cs":2,"ts":2})";
  venue.push_raw(Category::kLinear, snapshot);
  venue.push_raw(Category::kLinear, delta);
  ASSERT_TRUE(run_until(loop, [&] { return listener.quotes.size() == 2; }));
  venue.drop_connections();
  ASSERT_TRUE(run_until(loop, [&] {
    return listener.connections.size() == 2 && subscribed(Category::kLinear, "tickers.BTCUSDT");
  }));
  venue.push_raw(Category::kLinear, delta);  // no snapshot on this connection yet
  ASSERT_TRUE(run_until(loop, [&] { return client.counters().malformed == 1; }));
  venue.push_raw(Category::kLinear, snapshot);
  venue.push_raw(Category::kLinear, delta);
  ASSERT_TRUE(run_until(loop, [&] { return listener.quotes.size() == 4; }));
  EXPECT_EQ(listener.quotes[3].last_price, "101"_d);
}

TEST_F(BybitWsLoopback, DuplicatePushesCloseEachBarOnce) {
  PublicWsClient client(loop, config(), listener);
  client.subscribe({"kline.5.BTCUSDT"});
  client.start();
  ASSERT_TRUE(run_until(loop, [&] { return subscribed(Category::kLinear, "kline.5.BTCUSDT"); }));
  venue.set_duplicate_pushes(true);
  for (int i = 0; i < 5; ++i) {
    venue.push_kline(Category::kLinear, "BTCUSDT", Timeframe::k5m,
                     make_bar(kStart + i * kFiveMinutes, i), true);
  }
  ASSERT_TRUE(run_until(loop, [&] { return client.counters().stale == 5; }));
  ASSERT_EQ(listener.closed.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(listener.closed[static_cast<std::size_t>(i)].bar.open_time,
              kStart + i * kFiveMinutes);
  }
  // A reconnect does not reopen them either.
  venue.set_duplicate_pushes(false);
  venue.drop_connections();
  ASSERT_TRUE(run_until(loop, [&] {
    return listener.connections.size() == 2 && subscribed(Category::kLinear, "kline.5.BTCUSDT");
  }));
  venue.push_kline(Category::kLinear, "BTCUSDT", Timeframe::k5m,
                   make_bar(kStart + 4 * kFiveMinutes, 4), true);
  venue.push_kline(Category::kLinear, "BTCUSDT", Timeframe::k5m,
                   make_bar(kStart + 5 * kFiveMinutes, 5), true);
  ASSERT_TRUE(run_until(loop, [&] { return listener.closed.size() == 6; }));
  EXPECT_EQ(client.counters().stale, 6u);
}

TEST_F(BybitWsLoopback, OutOfOrderPushesNeverCloseAnOlderBar) {
  PublicWsClient client(loop, config(), listener);
  client.subscribe({"kline.5.BTCUSDT"});
  client.start();
  ASSERT_TRUE(run_until(loop, [&] { return subscribed(Category::kLinear, "kline.5.BTCUSDT"); }));
  venue.set_out_of_order(true);
  for (int i = 0; i < 6; ++i) {
    venue.push_kline(Category::kLinear, "BTCUSDT", Timeframe::k5m,
                     make_bar(kStart + i * kFiveMinutes, i), true);
  }
  // Sent as 1 0 3 2 5 4: bars 1, 3, 5 close; 0, 2, 4 arrive late and are dropped.
  ASSERT_TRUE(run_until(loop, [&] { return client.counters().stale == 3; }));
  ASSERT_EQ(listener.closed.size(), 3u);
  for (std::size_t i = 1; i < listener.closed.size(); ++i) {
    EXPECT_GT(listener.closed[i].bar.open_time, listener.closed[i - 1].bar.open_time);
  }
  EXPECT_EQ(listener.closed.back().bar.open_time, kStart + 5 * kFiveMinutes);
}

TEST_F(BybitWsLoopback, MalformedFramesAreCountedAndTheSessionGoesOn) {
  PublicWsClient client(loop, config(), listener);
  client.subscribe({"kline.5.BTCUSDT", "tickers.BTCUSDT"});
  client.start();
  ASSERT_TRUE(run_until(loop, [&] { return subscribed(Category::kLinear, "tickers.BTCUSDT"); }));
  venue.send_malformed(Category::kLinear, 30);
  venue.push_kline(Category::kLinear, "BTCUSDT", Timeframe::k5m, make_bar(kStart, 0), true);
  ASSERT_TRUE(run_until(loop, [&] { return listener.closed.size() == 1; }));
  EXPECT_EQ(client.counters().malformed, 30u);
  EXPECT_EQ(client.counters().disconnects, 0u);
  EXPECT_TRUE(client.connected());
  EXPECT_TRUE(listener.updated.empty());
  EXPECT_TRUE(listener.quotes.empty());
}

TEST_F(BybitWsLoopback, NoListenerCallAfterStop) {
  PublicWsClient client(loop, config(), listener);
  client.subscribe({"kline.5.BTCUSDT"});
  client.start();
  ASSERT_TRUE(run_until(loop, [&] { return subscribed(Category::kLinear, "kline.5.BTCUSDT"); }));
  venue.push_kline(Category::kLinear, "BTCUSDT", Timeframe::k5m, make_bar(kStart, 0), true);
  client.stop();
  EXPECT_FALSE(client.connected());
  run_for(loop, 300ms);
  EXPECT_TRUE(listener.closed.empty());
  EXPECT_EQ(listener.connections.size(), 1u);
  EXPECT_TRUE(listener.disconnections.empty());
  EXPECT_TRUE(run_until(loop, [&] { return venue.open_ws_connections() == 0; }));
  client.start();  // a stopped client stays stopped
  run_for(loop, 100ms);
  EXPECT_EQ(listener.connections.size(), 1u);
}

TEST_F(BybitWsLoopback, AnUnreachableServerIsRetriedWithBackoffUntilStopped) {
  PublicWsConfig unreachable = config();
  unreachable.url = "ws://127.0.0.1:1/v5/public/linear";
  PublicWsClient client(loop, unreachable, listener);
  client.start();
  ASSERT_TRUE(run_until(loop, [&] { return client.counters().connect_failures >= 5; }));
  EXPECT_TRUE(listener.connections.empty());
  EXPECT_TRUE(listener.disconnections.empty());
  client.stop();
}

TEST_F(BybitWsLoopback, DestroyingTheClientWhileConnectedIsClean) {
  {
    PublicWsClient client(loop, config(), listener);
    client.subscribe({"kline.5.BTCUSDT"});
    client.start();
    ASSERT_TRUE(run_until(loop, [&] { return subscribed(Category::kLinear, "kline.5.BTCUSDT"); }));
  }
  venue.push_kline(Category::kLinear, "BTCUSDT", Timeframe::k5m, make_bar(kStart, 0), true);
  run_for(loop, 200ms);
  EXPECT_TRUE(listener.closed.empty());
  EXPECT_TRUE(run_until(loop, [&] { return venue.open_ws_connections() == 0; }));
}

}  // namespace
}  // namespace gauntlet::brokers::bybit
