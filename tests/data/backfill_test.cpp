// The data_manager's REST backfill against the local Bybit server, with every REST fault: the
// stored bars must be complete and identical to what the venue serves.
#include "data/backfill.hpp"

#include <gtest/gtest.h>

#include <array>
#include <nlohmann/json.hpp>
#include <string>

#include "brokers/bybit/loop_helpers.hpp"
#include "core/exceptions.hpp"
#include "core/wall_clock.hpp"
#include "data/bar_import.hpp"
#include "support/shared_data.hpp"
#include "support/temp_dir.hpp"
#include "venues/bybit/venue_server.hpp"

namespace gauntlet::data {
namespace {

namespace bybit = brokers::bybit;
using bybit::Category;
using venues::bybit::VenueServer;

enum class Fault {
  kNone,
  kServerErrors,
  kRateLimits,
  kMalformedBodies,
  kStall,
  kDroppedConnections,
  kAll
};

class BackfillTest : public ::testing::TestWithParam<Fault> {};

std::string fault_name(const ::testing::TestParamInfo<Fault>& info) {
  static const std::array<const char*, 7> kNames = {
      "None",  "ServerErrors",       "RateLimits", "MalformedBodies",
      "Stall", "DroppedConnections", "All"};
  return kNames[static_cast<std::size_t>(info.param)];
}

TEST_P(BackfillTest, StoresEveryBarTheVenueHasDespiteTheFault) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  // Real Binance BTCUSDT 1m bars (with the 2021-04-25 outage) stand in for Bybit's history.
  const auto file = data / "crypto/binance_spot/BTC_USDT-1m.json.gz";
  std::vector<Bar> source = read_bar_file(file, guess_import(file)).bars;
  source.resize(7000);  // 2021-04-20 20:42 to 2021-04-25 22:05, across the outage
  VenueServer venue;
  venue.set_klines(Category::kLinear, "BTCUSDT", Timeframe::k1m, source);

  const testing::TempDir dir;
  BarStore store(dir.path());
  asio::io_context loop;
  EventBus bus(loop);
  WallClock clock(loop);
  DataManager manager("bybit", Asset::kPerp, store, bus, clock);
  bybit::RestClient client(loop, {venue.rest_url(), 300, 4, 32u << 20, "gauntlet-test"});
  RateLimiter limiter(clock, {50.0, 5.0});
  connect_rate_limiter(client, limiter, clock);

  const Fault fault = GetParam();
  if (fault == Fault::kServerErrors || fault == Fault::kAll) venue.fail_next_http(3, 503);
  if (fault == Fault::kRateLimits || fault == Fault::kAll) venue.rate_limit_next_http(2);
  if (fault == Fault::kMalformedBodies || fault == Fault::kAll) venue.set_malformed_http(3);
  if (fault == Fault::kStall) venue.stall(std::chrono::milliseconds(700));

  const Symbol btc = Symbol::parse("BTCUSDT");
  const TimestampMs from = source.front().open_time;
  const TimestampMs to = source.back().open_time + kMinuteMs;
  BackfillOptions options;
  options.initial_backoff = 20;
  options.max_backoff = 200;
  options.seed = 7;
  std::size_t progress_calls = 0;
  auto task = fetch_klines_async(manager, client, clock, btc, Timeframe::k1m, from, to, options,
                                 [&](const BackfillProgress&) { ++progress_calls; });
  if (fault == Fault::kDroppedConnections) {
    // Drop every connection while the backfill is under way.
    asio::co_spawn(
        loop,
        [&]() -> asio::awaitable<void> {
          for (int i = 0; i < 3; ++i) {
            asio::steady_timer timer(co_await asio::this_coro::executor);
            timer.expires_after(std::chrono::milliseconds(5));
            co_await timer.async_wait(asio::use_awaitable);
            venue.drop_connections();
          }
        },
        asio::detached);
  }
  const BackfillResult result = testing::run_task(loop, std::move(task), std::chrono::seconds(30));

  const BarSeries stored = store.load_bars(manager.key(btc, Timeframe::k1m), from, to);
  EXPECT_EQ(stored.to_bars(), source);
  EXPECT_EQ(result.bars, source.size());
  EXPECT_EQ(result.still_missing, 284u);  // the outage: the venue has no such bars
  EXPECT_EQ(progress_calls, result.requests);
  if (fault == Fault::kServerErrors || fault == Fault::kMalformedBodies) {
    EXPECT_GE(result.retries, 3u);
  }
  if (fault == Fault::kAll) {
    EXPECT_GE(result.retries, 8u);
  }

  // Resumable: a second run finds nothing missing but the outage and stores nothing new.
  const BackfillResult again = testing::run_task(
      loop, fetch_klines_async(manager, client, clock, btc, Timeframe::k1m, from, to, options));
  EXPECT_EQ(again.requests, 1u);  // only the outage range is asked for again
  EXPECT_EQ(again.bars, 0u);
}

INSTANTIATE_TEST_SUITE_P(Faults, BackfillTest,
                         ::testing::Values(Fault::kNone, Fault::kServerErrors, Fault::kRateLimits,
                                           Fault::kMalformedBodies, Fault::kStall,
                                           Fault::kDroppedConnections, Fault::kAll),
                         fault_name);

TEST(Backfill, CachesTheVenuesInstruments) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  VenueServer venue;
  const auto fixture = nlohmann::json::parse(
      read_maybe_gzip(data / "fixtures/bybit/http_get_instruments_linear.json"));
  for (const auto& instrument : fixture["result"]["list"])
    venue.add_instrument(Category::kLinear, instrument);
  const testing::TempDir dir;
  BarStore store(dir.path());
  asio::io_context loop;
  EventBus bus(loop);
  WallClock clock(loop);
  DataManager manager("bybit", Asset::kPerp, store, bus, clock);
  bybit::RestClient client(loop, {venue.rest_url(), 1000, 4, 32u << 20, "gauntlet-test"});
  EXPECT_EQ(testing::run_task(loop, refresh_instruments_async(manager, client)), 2u);
  const auto btc = manager.get_instrument(Symbol::parse("BTCUSDT"));
  ASSERT_TRUE(btc);
  EXPECT_EQ(btc->tick_size, Decimal::parse("0.5"));
  EXPECT_EQ(btc->qty_step, Decimal::parse("0.001"));
  EXPECT_EQ(btc->min_qty, Decimal::parse("0.001"));
  EXPECT_EQ(btc->min_notional, Decimal::parse("5"));
  EXPECT_FALSE(manager.get_instrument(Symbol::parse("SOLUSDT")));
}

TEST(Backfill, GivesUpOnANonRetryableError) {
  VenueServer venue;
  venue.set_klines(Category::kLinear, "BTCUSDT", Timeframe::k1m, {});
  const testing::TempDir dir;
  BarStore store(dir.path());
  asio::io_context loop;
  EventBus bus(loop);
  WallClock clock(loop);
  DataManager manager("bybit", Asset::kPerp, store, bus, clock);
  bybit::RestClient client(loop, {venue.rest_url(), 300, 4, 32u << 20, "gauntlet-test"});
  venue.fail_next_http(1, 400);
  const TimestampMs now = floor_to(clock.now_ms(), kMinuteMs);
  EXPECT_THROW(
      testing::run_task(loop, fetch_klines_async(manager, client, clock, Symbol::parse("BTCUSDT"),
                                                 Timeframe::k1m, now - 10 * kMinuteMs, now)),
      BrokerError);
  DataManager forex("ibkr", Asset::kForex, store, bus, clock);
  EXPECT_THROW(
      testing::run_task(loop, fetch_klines_async(forex, client, clock, Symbol::parse("EURUSD"),
                                                 Timeframe::k1m, now - 10 * kMinuteMs, now)),
      DataError);
}

}  // namespace
}  // namespace gauntlet::data
