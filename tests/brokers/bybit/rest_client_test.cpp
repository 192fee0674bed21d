// RestClient against the local Bybit (venues/bybit/venue_server.hpp) on 127.0.0.1: klines with
// paging, instruments with cursors, tickers, server time, keep-alive, rate-limit headers, and
// every fault the venue injects turned into the right BrokerError or DataError.
#include "brokers/bybit/rest_client.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "brokers/bybit/loop_helpers.hpp"
#include "core/exceptions.hpp"
#include "support/shared_data.hpp"
#include "venues/bybit/venue_server.hpp"

namespace gauntlet::brokers::bybit {
namespace {

using namespace std::chrono_literals;
using testing::run_task;
using literals::operator""_d;

constexpr TimestampMs kStart = 1'700'000'100'000;  // a 5-minute boundary
constexpr DurationMs kFiveMinutes = 300'000;

Bar make_bar(TimestampMs open_time, int step) {
  Bar bar;
  bar.open_time = open_time;
  bar.open = "16649.5"_d + Decimal::from_int(step % 1000);
  bar.high = bar.open + "27.5"_d;
  bar.low = bar.open - "41.5"_d;
  bar.close = bar.open + "0.25"_d;
  bar.volume = "2.081"_d;
  bar.turnover = "34666.4005"_d;
  return bar;
}

std::vector<Bar> make_bars(int count) {
  std::vector<Bar> bars;
  for (int i = 0; i < count; ++i) bars.push_back(make_bar(kStart + i * kFiveMinutes, i));
  return bars;
}

struct BybitRestLoopback : ::testing::Test {
  RestConfig config() const {
    RestConfig config;
    config.base_url = venue.rest_url();
    config.request_timeout_ms = 2'000;
    return config;
  }

  asio::io_context loop;
  venues::bybit::VenueServer venue;
  const Symbol btc = Symbol::parse("BTCUSDT");
};

TEST(BybitEndpoint, ParsesBaseUrls) {
  const Endpoint production = parse_endpoint("https://api.bybit.com");
  EXPECT_TRUE(production.tls);
  EXPECT_EQ(production.host, "api.bybit.com");
  EXPECT_EQ(production.port, "443");
  EXPECT_EQ(production.path, "");
  const Endpoint local = parse_endpoint("http://127.0.0.1:8080/");
  EXPECT_FALSE(local.tls);
  EXPECT_EQ(local.host, "127.0.0.1");
  EXPECT_EQ(local.port, "8080");
  const Endpoint stream = parse_endpoint("wss://stream.bybit.com/v5/public/linear");
  EXPECT_TRUE(stream.tls);
  EXPECT_EQ(stream.path, "/v5/public/linear");
  EXPECT_EQ(parse_endpoint("ws://localhost").port, "80");
  for (const char* bad : {"ftp://x", "api.bybit.com", "http://", "http://host:0",
                          "http://host:99999", "http://host:x", "http://host/a?b=c"}) {
    EXPECT_THROW(parse_endpoint(bad), ConfigError) << bad;
  }
}

TEST_F(BybitRestLoopback, KlinesOfAWindowComeOldestFirstWithRateLimitHeaders) {
  venue.set_klines(Category::kLinear, "BTCUSDT", Timeframe::k5m, make_bars(50));
  RestClient client(loop, config());
  const auto response = run_task(
      loop, client.get_klines_async(Category::kLinear, btc, Timeframe::k5m,
                                    kStart + 10 * kFiveMinutes, kStart + 19 * kFiveMinutes, 1000));
  ASSERT_EQ(response.value.size(), 10u);
  EXPECT_EQ(response.value.front(), make_bar(kStart + 10 * kFiveMinutes, 10));
  EXPECT_EQ(response.value.back(), make_bar(kStart + 19 * kFiveMinutes, 19));
  EXPECT_TRUE(response.rate_limit.limit.has_value());
  EXPECT_TRUE(response.rate_limit.remaining.has_value());
  EXPECT_TRUE(response.rate_limit.reset_time.has_value());

  // limit keeps the newest bars of the window.
  const auto newest =
      run_task(loop, client.get_klines_async(Category::kLinear, btc, Timeframe::k5m, kStart,
                                             kStart + 49 * kFiveMinutes, 5));
  ASSERT_EQ(newest.value.size(), 5u);
  EXPECT_EQ(newest.value.front().open_time, kStart + 45 * kFiveMinutes);
  EXPECT_THROW(run_task(loop, client.get_klines_async(Category::kLinear, btc, Timeframe::k5m,
                                                      kStart, kStart, 1001)),
               BrokerError);
}

TEST_F(BybitRestLoopback, FetchKlinesPagesThroughTheWholeRangeOnOneConnection) {
  const std::vector<Bar> all = make_bars(2'345);
  venue.set_klines(Category::kLinear, "BTCUSDT", Timeframe::k5m, all);
  RestClient client(loop, config());
  const int before = venue.http_requests();
  // [from, to) with from inside bar 3 (excluded: it opens earlier) and to = open of bar 2340.
  const TimestampMs from = kStart + 3 * kFiveMinutes + 1;
  const TimestampMs to = kStart + 2'340 * kFiveMinutes;
  const std::vector<Bar> bars =
      run_task(loop, client.fetch_klines_async(Category::kLinear, btc, Timeframe::k5m, from, to));
  ASSERT_EQ(bars.size(), 2'340u - 4u);
  for (std::size_t i = 0; i < bars.size(); ++i) {
    ASSERT_EQ(bars[i], all[i + 4]) << i;
  }
  EXPECT_EQ(venue.http_requests() - before, 3);  // 1000 + 1000 + 336
  EXPECT_EQ(client.connections_opened(), 1u);    // keep-alive

  // The whole history, a range with nothing in it, and an empty range.
  EXPECT_EQ(run_task(loop, client.fetch_klines_async(Category::kLinear, btc, Timeframe::k5m, 0,
                                                     kStart + 10'000 * kFiveMinutes))
                .size(),
            all.size());
  EXPECT_TRUE(
      run_task(loop, client.fetch_klines_async(Category::kLinear, btc, Timeframe::k5m, 0, kStart))
          .empty());
  EXPECT_TRUE(run_task(loop, client.fetch_klines_async(Category::kLinear, btc, Timeframe::k5m,
                                                       kStart + 5, kStart + 5))
                  .empty());
}

TEST_F(BybitRestLoopback, FetchKlinesOfExactlyOnePageStopsAfterIt) {
  venue.set_klines(Category::kSpot, "BTCUSDT", Timeframe::k5m, make_bars(1'000));
  RestClient client(loop, config());
  const int before = venue.http_requests();
  const std::vector<Bar> bars =
      run_task(loop, client.fetch_klines_async(Category::kSpot, btc, Timeframe::k5m, kStart,
                                               kStart + 1'000 * kFiveMinutes));
  EXPECT_EQ(bars.size(), 1'000u);
  // A full page whose oldest bar is `from` ends the paging.
  EXPECT_EQ(venue.http_requests() - before, 1);
}

TEST_F(BybitRestLoopback, InstrumentsFromTheFixturesWithCursorPaging) {
  GAUNTLET_SHARED_DATA_OR_SKIP(root);
  const auto linear = nlohmann::json::parse(
      testing::read_file(root / "fixtures" / "bybit" / "http_get_instruments_linear.json"));
  const auto spot = nlohmann::json::parse(
      testing::read_file(root / "fixtures" / "bybit" / "http_get_instruments_spot.json"));
  for (const auto& item : linear["result"]["list"]) venue.add_instrument(Category::kLinear, item);
  for (const auto& item : spot["result"]["list"]) venue.add_instrument(Category::kSpot, item);
  RestClient client(loop, config());

  const auto first =
      run_task(loop, client.get_instruments_page_async(Category::kLinear, std::string(), 1));
  ASSERT_EQ(first.value.instruments.size(), 1u);
  EXPECT_FALSE(first.value.next_page_cursor.empty());
  const auto second = run_task(
      loop, client.get_instruments_page_async(Category::kLinear, first.value.next_page_cursor, 1));
  ASSERT_EQ(second.value.instruments.size(), 1u);
  EXPECT_NE(second.value.instruments[0].symbol, first.value.instruments[0].symbol);

  const InstrumentsPage all_linear =
      run_task(loop, client.get_all_instruments_async(Category::kLinear));
  ASSERT_EQ(all_linear.instruments.size(), 2u);
  EXPECT_TRUE(all_linear.next_page_cursor.empty());
  const data::InstrumentInfo* btc_perp = nullptr;
  for (const auto& info : all_linear.instruments) {
    if (info.symbol == btc) btc_perp = &info;
  }
  ASSERT_NE(btc_perp, nullptr);
  EXPECT_EQ(btc_perp->domain, Asset::kPerp);
  EXPECT_EQ(btc_perp->tick_size, "0.5"_d);
  EXPECT_EQ(btc_perp->min_notional, "5"_d);
  EXPECT_EQ(btc_perp->launch_time, 1699990000000);

  const InstrumentsPage all_spot =
      run_task(loop, client.get_all_instruments_async(Category::kSpot));
  ASSERT_EQ(all_spot.instruments.size(), 2u);
  for (const auto& info : all_spot.instruments) {
    EXPECT_EQ(info.domain, Asset::kSpot);
    EXPECT_EQ(info.min_notional, "10"_d);
  }
}

TEST_F(BybitRestLoopback, TickersAndServerTime) {
  venue.set_ticker(Category::kLinear, {{"symbol", "BTCUSDT"},
                                       {"lastPrice", "17216.00"},
                                       {"markPrice", "17217.33"},
                                       {"bid1Price", "17215.50"},
                                       {"bid1Size", "84.489"},
                                       {"ask1Price", "17216.00"},
                                       {"ask1Size", "83.020"},
                                       {"volume24h", "91705.276"},
                                       {"turnover24h", "1570383121.943499"}});
  venue.set_ticker(Category::kLinear, {{"symbol", "ETHUSDT"}, {"lastPrice", "1216.5"}});
  RestClient client(loop, config());
  const auto all = run_task(loop, client.get_tickers_async(Category::kLinear));
  ASSERT_EQ(all.value.size(), 2u);
  const auto one = run_task(loop, client.get_tickers_async(Category::kLinear, btc));
  ASSERT_EQ(one.value.size(), 1u);
  const data::QuoteUpdated& quote = one.value[0];
  EXPECT_EQ(quote.symbol, btc);
  EXPECT_EQ(quote.domain, Asset::kPerp);
  EXPECT_EQ(quote.bid_price, "17215.5"_d);
  EXPECT_EQ(quote.mark_price, "17217.33"_d);
  EXPECT_EQ(quote.turnover_24h, "1570383121.943499"_d);
  EXPECT_GT(quote.event_time, 0);

  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const auto time = run_task(loop, client.get_server_time_async());
  EXPECT_NEAR(static_cast<double>(time.value), static_cast<double>(now), 5'000.0);
}

// The BrokerError a task throws: code and retryable flag (or {0, false} for none).
template <class T>
std::pair<int, bool> broker_error_of(asio::io_context& loop, asio::awaitable<T> task) {
  try {
    run_task(loop, std::move(task));
  } catch (const BrokerError& error) {
    return {error.code(), error.retryable()};
  }
  return {0, false};
}

TEST_F(BybitRestLoopback, HttpFailuresBecomeBrokerErrorsWithStatusAndRetryable) {
  venue.set_klines(Category::kLinear, "BTCUSDT", Timeframe::k5m, make_bars(3));
  RestClient client(loop, config());
  const auto klines = [&] {
    return client.get_klines_async(Category::kLinear, btc, Timeframe::k5m, kStart,
                                   kStart + 10 * kFiveMinutes, 10);
  };
  venue.fail_next_http(1, 503);
  EXPECT_EQ(broker_error_of(loop, klines()), std::make_pair(503, true));
  venue.fail_next_http(1, 500);
  EXPECT_EQ(broker_error_of(loop, klines()), std::make_pair(500, true));
  venue.fail_next_http(1, 429);
  EXPECT_EQ(broker_error_of(loop, klines()), std::make_pair(429, true));
  venue.fail_next_http(1, 403);
  EXPECT_EQ(broker_error_of(loop, klines()), std::make_pair(403, true));
  venue.fail_next_http(1, 400);
  EXPECT_EQ(broker_error_of(loop, klines()), std::make_pair(400, false));
  EXPECT_EQ(broker_error_of(loop, client.get_async("/v5/market/nowhere", "")),
            std::make_pair(404, false));
  // And the client recovers on the same connection pool.
  EXPECT_EQ(run_task(loop, klines()).value.size(), 3u);
}

TEST_F(BybitRestLoopback, RetCodesBecomeBrokerErrorsAndTheObserverSeesTheLimits) {
  venue.set_klines(Category::kLinear, "BTCUSDT", Timeframe::k5m, make_bars(3));
  RestClient client(loop, config());
  std::vector<std::pair<int, RateLimitStatus>> seen;
  client.set_response_observer([&](std::string_view path, int status, const RateLimitStatus& l) {
    EXPECT_EQ(path, "/v5/market/kline");
    seen.emplace_back(status, l);
  });
  venue.rate_limit_next_http(1, 300ms);
  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  EXPECT_EQ(broker_error_of(loop, client.get_klines_async(Category::kLinear, btc, Timeframe::k5m,
                                                          kStart, kStart + kFiveMinutes, 10)),
            std::make_pair(10006, true));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].first, 200);
  EXPECT_EQ(seen[0].second.remaining, 0);
  ASSERT_TRUE(seen[0].second.reset_time.has_value());
  EXPECT_GE(*seen[0].second.reset_time, before);

  EXPECT_EQ(
      broker_error_of(loop, client.get_klines_async(Category::kLinear, Symbol::parse("DOGEUSDT"),
                                                    Timeframe::k5m, kStart, kStart, 10)),
      std::make_pair(10001, false));
}

TEST_F(BybitRestLoopback, MalformedBodiesAreDataErrorsAndNeverCrash) {
  venue.set_klines(Category::kLinear, "BTCUSDT", Timeframe::k5m, make_bars(3));
  RestClient client(loop, config());
  constexpr int kBodies = 12;
  venue.set_malformed_http(kBodies);
  for (int i = 0; i < kBodies; ++i) {
    try {
      run_task(loop, client.get_klines_async(Category::kLinear, btc, Timeframe::k5m, kStart,
                                             kStart + 10 * kFiveMinutes, 10));
      ADD_FAILURE() << "body " << i << " was accepted";
    } catch (const DataError&) {
    } catch (const BrokerError& error) {
      ADD_FAILURE() << "body " << i << ": " << error.what();
    }
  }
  EXPECT_EQ(run_task(loop, client.get_klines_async(Category::kLinear, btc, Timeframe::k5m, kStart,
                                                   kStart + 10 * kFiveMinutes, 10))
                .value.size(),
            3u);
}

TEST_F(BybitRestLoopback, AStalledServerCostsOneTimeoutNotAHang) {
  venue.set_klines(Category::kLinear, "BTCUSDT", Timeframe::k5m, make_bars(3));
  RestConfig short_timeout = config();
  short_timeout.request_timeout_ms = 300;
  RestClient client(loop, short_timeout);
  // Warm a keep-alive connection first: the stall must also catch a reused one.
  run_task(loop, client.get_server_time_async());
  venue.stall(3s);
  for (int round = 0; round < 2; ++round) {
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(broker_error_of(loop, client.get_server_time_async()),
              std::make_pair(kNetworkErrorCode, true));
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_GE(took, 250ms);
    EXPECT_LT(took, 1'500ms);
  }
}

TEST_F(BybitRestLoopback, AKeepAliveConnectionTheServerDroppedIsReplacedTransparently) {
  RestClient client(loop, config());
  run_task(loop, client.get_server_time_async());
  EXPECT_EQ(client.connections_opened(), 1u);
  venue.drop_connections();
  run_task(loop, client.get_server_time_async());  // no error surfaces
  EXPECT_EQ(client.connections_opened(), 2u);
  run_task(loop, client.get_server_time_async());
  EXPECT_EQ(client.connections_opened(), 2u);
}

TEST_F(BybitRestLoopback, ConcurrentRequestsEachGetAConnection) {
  venue.set_klines(Category::kLinear, "BTCUSDT", Timeframe::k5m, make_bars(30));
  RestClient client(loop, config());
  int finished = 0;
  for (int i = 0; i < 4; ++i) {
    asio::co_spawn(
        loop,
        [&, i]() -> asio::awaitable<void> {
          const auto page = co_await client.get_klines_async(Category::kLinear, btc, Timeframe::k5m,
                                                             kStart + i * kFiveMinutes,
                                                             kStart + (i + 9) * kFiveMinutes, 1000);
          EXPECT_EQ(page.value.size(), 10u);
          ++finished;
        },
        asio::detached);
  }
  ASSERT_TRUE(testing::run_until(loop, [&] { return finished == 4; }));
  EXPECT_LE(client.connections_opened(), 4u);
  run_task(loop, client.get_server_time_async());
  EXPECT_LE(client.connections_opened(), 4u);  // the new request reused an idle one
}

TEST_F(BybitRestLoopback, TheGateRunsBeforeEveryRequestAndCanRefuse) {
  RestClient client(loop, config());
  std::vector<std::string> gated;
  client.set_request_gate([&](std::string_view path) -> asio::awaitable<void> {
    gated.emplace_back(path);
    if (gated.size() == 2) throw BrokerError("budget exhausted", 10006, true);
    co_return;
  });
  run_task(loop, client.get_server_time_async());
  const int before = venue.http_requests();
  EXPECT_EQ(broker_error_of(loop, client.get_tickers_async(Category::kSpot)),
            std::make_pair(10006, true));
  EXPECT_EQ(venue.http_requests(), before);  // refused before sending
  ASSERT_EQ(gated.size(), 2u);
  EXPECT_EQ(gated[0], "/v5/market/time");
  EXPECT_EQ(gated[1], "/v5/market/tickers");
}

TEST(BybitRestClient, AnUnreachableServerIsARetryableNetworkError) {
  asio::io_context loop;
  RestConfig config;
  config.base_url = "http://127.0.0.1:1";  // nothing listens on port 1
  config.request_timeout_ms = 1'000;
  RestClient client(loop, config);
  EXPECT_EQ(broker_error_of(loop, client.get_server_time_async()),
            std::make_pair(kNetworkErrorCode, true));
}

TEST(BybitRestClient, RejectsABadConfig) {
  asio::io_context loop;
  RestConfig config;
  config.base_url = "api.bybit.com";
  EXPECT_THROW(RestClient(loop, config), ConfigError);
  config.base_url = "https://api.bybit.com";
  config.request_timeout_ms = 0;
  EXPECT_THROW(RestClient(loop, config), ConfigError);
}

}  // namespace
}  // namespace gauntlet::brokers::bybit
