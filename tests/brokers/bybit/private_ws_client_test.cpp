// PrivateWsClient against the local Bybit's private API (venues/bybit: VenueServer + ExchangeApi
// over an Exchange) on 127.0.0.1: auth and subscription, an order's life on the streams with
// the figures derived by hand from the bars fed, a wrong secret (fatal), dropped and stalled
// connections (reconnect, re-auth, resubscription, on_reconnected), malformed frames and stop.
// Intervals are milliseconds here. Slippage and impact are zero, so a market order fills at the
// next bar's open.
#include "brokers/bybit/private_ws_client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "brokers/bybit/loop_helpers.hpp"
#include "core/asio.hpp"
#include "core/exceptions.hpp"
#include "venues/bybit/exchange.hpp"
#include "venues/bybit/exchange_fixture.hpp"
#include "venues/bybit/private_api.hpp"
#include "venues/bybit/venue_server.hpp"

namespace gauntlet::brokers::bybit {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::run_for;
using testing::run_until;
using venues::bybit::Exchange;
using venues::bybit::ExchangeApi;
using venues::bybit::PrivateSession;
using venues::bybit::SendFrame;

const ApiCredentials kKeys{"key-a", "secret-a"};
const Symbol kBtc = Symbol::parse("BTCUSDT");
constexpr TimestampMs kStart = 1'704'095'400'000;  // 2024-01-01 07:50 UTC

// A one-minute bar opening at `open` (where a market order placed before it fills), a point
// either side of it.
Bar minute_bar(TimestampMs open_time, int open) {
  Bar result;
  result.open_time = open_time;
  result.open = result.close = Decimal::from_int(open);
  result.high = Decimal::from_int(open + 1);
  result.low = Decimal::from_int(open - 1);
  result.volume = Decimal::from_int(1'000'000);
  return result;
}

// The ExchangeApi behind a tap: the test can send raw frames to every private session opened so
// far (the VenueServer's send_malformed reaches public clients only), make the sessions ignore
// auth requests (a venue that never answers) or answer them with a frame of its own (Bybit's
// documented shapes). Its sessions run on the server's thread.
class TapApi final : public venues::bybit::PrivateApi {
 public:
  explicit TapApi(Exchange& exchange) : inner_(ExchangeApi::create(exchange)) {}

  std::optional<venues::bybit::RestResponse> handle_rest(
      const venues::bybit::RestRequest& request) override {
    return inner_->handle_rest(request);
  }

  std::unique_ptr<PrivateSession> open_session(std::string_view path, std::string_view query,
                                               SendFrame send) override {
    std::unique_ptr<PrivateSession> session = inner_->open_session(path, query, send);
    if (session == nullptr) return nullptr;
    {
      std::lock_guard lock(mutex_);
      sends_.push_back(send);
    }
    return std::make_unique<Tap>(*this, std::move(session), std::move(send));
  }

  // Sends `frame` as a text frame to every private session (closed ones drop it).
  void inject(const std::string& frame) {
    std::lock_guard lock(mutex_);
    for (const SendFrame& send : sends_) send(frame);
  }

  // Answers every auth request with `frame`; nullopt: the exchange answers.
  void answer_auth_with(std::optional<std::string> frame) {
    std::lock_guard lock(mutex_);
    auth_answer_ = std::move(frame);
  }

  std::atomic<bool> ignore_auth{false};
  std::atomic<int> auth_requests{0};
  const ExchangeApi& inner() const { return *inner_; }

 private:
  class Tap final : public PrivateSession {
   public:
    Tap(TapApi& api, std::unique_ptr<PrivateSession> inner, SendFrame send)
        : api_(api), inner_(std::move(inner)), send_(std::move(send)) {}
    void on_message(std::string_view text) override {
      const json message = json::parse(text, nullptr, false);
      if (message.is_object() && message.value("op", "") == "auth") {
        ++api_.auth_requests;
        if (api_.ignore_auth) return;
        std::lock_guard lock(api_.mutex_);
        if (api_.auth_answer_) return send_(*api_.auth_answer_);
      }
      inner_->on_message(text);
    }

   private:
    TapApi& api_;
    std::unique_ptr<PrivateSession> inner_;
    SendFrame send_;
  };

  std::shared_ptr<ExchangeApi> inner_;  // its sessions keep it alive (shared_from_this)
  std::mutex mutex_;
  std::vector<SendFrame> sends_;
  std::optional<std::string> auth_answer_;
};

class RecordingSink final : public PrivateEventSink {
 public:
  void on_order(const VenueOrder& order) override { orders.push_back(order); }
  void on_execution(const Execution& execution) override { executions.push_back(execution); }
  void on_position(const VenuePosition& position) override { positions.push_back(position); }
  void on_wallet(const WalletBalance& wallet) override { wallets.push_back(wallet); }

  std::vector<VenueOrder> orders;
  std::vector<Execution> executions;
  std::vector<VenuePosition> positions;
  std::vector<WalletBalance> wallets;
};

struct State {
  bool connected;
  std::string reason;
};

struct BybitPrivateWsLoopback : ::testing::Test {
  BybitPrivateWsLoopback()
      : exchange(testing::hand_figure_options()), api(std::make_shared<TapApi>(exchange)) {
    exchange.add_account(kKeys, Decimal::from_int(10'000));
    venue.set_private_api(api);
    exchange.on_bar(Category::kLinear, kBtc, minute_bar(kStart, 100));
  }

  PrivateWsConfig config(ApiCredentials credentials = kKeys) const {
    PrivateWsConfig config;
    config.url = "ws://127.0.0.1:" + std::to_string(venue.port()) + "/v5/private";
    config.credentials = std::move(credentials);
    config.ping_interval_ms = 100;
    config.pong_timeout_ms = 250;
    config.connect_timeout_ms = 300;
    config.auth_timeout_ms = 300;
    config.retry.initial_delay = 20;
    config.retry.max_delay = 200;
    config.stable_after_ms = 1'000;
    config.seed = 7;
    config.warn_interval_ms = 1'000;
    return config;
  }

  // Observes the client's state changes and reconnections.
  void watch(PrivateWsClient& client) {
    client.on_state([this](bool connected, std::string reason) {
      states.push_back({connected, std::move(reason)});
    });
    client.on_reconnected([this] { ++reconnected; });
  }

  // A market buy of `qty` BTCUSDT (linear) placed directly on the exchange, as the REST
  // create would.
  void market_buy(const std::string& link_id, const std::string& qty) {
    const venues::bybit::Reply reply = exchange.handle(kKeys.key, "POST", "/v5/order/create", {},
                                                       {{"category", "linear"},
                                                        {"symbol", "BTCUSDT"},
                                                        {"side", "Buy"},
                                                        {"orderType", "Market"},
                                                        {"qty", qty},
                                                        {"orderLinkId", link_id}});
    ASSERT_EQ(reply.ret_code, 0) << reply.ret_msg;
  }

  const Execution* execution_of(const std::string& link_id) const {
    for (const Execution& execution : sink.executions) {
      if (execution.order_link_id == link_id) return &execution;
    }
    return nullptr;
  }

  // Declared before the venue: the venue's private sessions listen to the exchange until the
  // venue is destroyed.
  Exchange exchange;
  std::shared_ptr<TapApi> api;
  venues::bybit::VenueServer venue;
  asio::io_context loop;
  RecordingSink sink;
  std::vector<State> states;
  int reconnected = 0;
};

TEST(BybitPrivateWsClient, RejectsABadConfig) {
  asio::io_context loop;
  RecordingSink sink;
  PrivateWsConfig config;
  EXPECT_THROW(PrivateWsClient(loop, config, sink), ConfigError);  // no credentials
  config.credentials = kKeys;
  config.topics = {"order", "kline.1.BTCUSDT"};
  EXPECT_THROW(PrivateWsClient(loop, config, sink), ConfigError);
  config.topics = {"order", "execution.linear"};  // Bybit refuses the two styles mixed
  EXPECT_THROW(PrivateWsClient(loop, config, sink), ConfigError);
  config.topics = {"order.linear", "execution.linear", "wallet.linear"};
  EXPECT_THROW(PrivateWsClient(loop, config, sink), ConfigError);
  config.topics = {"order.linear", "execution.linear", "position.linear"};
  config.url = "stream.bybit.com/v5/private";
  EXPECT_THROW(PrivateWsClient(loop, config, sink), ConfigError);
  config.url = "";  // the production URL
  config.pong_timeout_ms = 0;
  EXPECT_THROW(PrivateWsClient(loop, config, sink), ConfigError);
  config.pong_timeout_ms = 10'000;
  config.retry.jitter = 1.5;
  EXPECT_THROW(PrivateWsClient(loop, config, sink), ConfigError);
  config.retry.jitter = 0.5;
  PrivateWsClient client(loop, config, sink);
  EXPECT_FALSE(client.connected());
  EXPECT_EQ(PrivateWsConfig{}.topics,
            (std::vector<std::string>{"order", "execution", "position", "wallet"}));
}

TEST_F(BybitPrivateWsLoopback, AuthenticatesSubscribesAndDeliversAnOrdersLife) {
  PrivateWsClient client(loop, config(), sink);
  watch(client);
  client.start();
  ASSERT_TRUE(run_until(loop, [&] { return client.connected(); }));
  ASSERT_EQ(states.size(), 1u);
  EXPECT_TRUE(states[0].connected);
  EXPECT_EQ(api->auth_requests, 1);

  market_buy("g-1", "1");
  ASSERT_TRUE(run_until(loop, [&] { return sink.orders.size() == 1; }));
  EXPECT_EQ(sink.orders[0].status, OrderStatus::kNew);
  EXPECT_EQ(sink.orders[0].order_link_id, "g-1");
  EXPECT_EQ(sink.orders[0].order_type, OrderType::kMarket);
  EXPECT_EQ(sink.orders[0].qty, Decimal::from_int(1));

  // The next bar opens at 101: filled there; taker fee 1 x 101 x 0.00055 = 0.05555.
  exchange.on_bar(Category::kLinear, kBtc, minute_bar(kStart + kMinuteMs, 101));
  ASSERT_TRUE(run_until(loop, [&] { return !sink.wallets.empty(); }));
  ASSERT_EQ(sink.executions.size(), 1u);
  const Execution& fill = sink.executions[0];
  EXPECT_EQ(fill.category, Category::kLinear);
  EXPECT_EQ(fill.symbol, kBtc);
  EXPECT_EQ(fill.order_link_id, "g-1");
  EXPECT_EQ(fill.order_id, sink.orders[0].order_id);
  EXPECT_EQ(fill.side, OrderSide::kBuy);
  EXPECT_EQ(fill.exec_type, ExecType::kTrade);
  EXPECT_EQ(fill.exec_price, Decimal::from_int(101));
  EXPECT_EQ(fill.exec_qty, Decimal::from_int(1));
  EXPECT_EQ(fill.exec_value, Decimal::from_int(101));
  EXPECT_EQ(fill.exec_fee, Decimal::parse("0.05555"));
  EXPECT_EQ(fill.fee_rate, Decimal::parse("0.00055"));
  EXPECT_FALSE(fill.is_maker);
  EXPECT_EQ(fill.leaves_qty, Decimal::zero());
  const Mapped<Fill> engine_fill = to_fill(fill);
  ASSERT_TRUE(engine_fill) << engine_fill.reason;
  EXPECT_EQ(engine_fill.value->fee, Decimal::parse("0.05555"));

  ASSERT_EQ(sink.orders.size(), 2u);
  const VenueOrder& filled = sink.orders[1];
  EXPECT_EQ(filled.status, OrderStatus::kFilled);
  EXPECT_EQ(filled.cum_exec_qty, Decimal::from_int(1));
  EXPECT_EQ(filled.avg_price, Decimal::from_int(101));
  EXPECT_EQ(filled.cum_exec_fee, Decimal::parse("0.05555"));
  EXPECT_EQ(filled.leaves_qty, Decimal::zero());

  // Position 1 @ 101; the wallet paid the fee: 10000 - 0.05555 = 9999.94445.
  ASSERT_EQ(sink.positions.size(), 1u);
  EXPECT_EQ(sink.positions[0].side, OrderSide::kBuy);
  EXPECT_EQ(sink.positions[0].size, Decimal::from_int(1));
  ASSERT_EQ(sink.wallets.size(), 1u);
  EXPECT_EQ(sink.wallets[0].total_wallet_balance, Decimal::parse("9999.94445"));

  EXPECT_EQ(client.counters().records, 5u);
  EXPECT_EQ(client.counters().connects, 1u);
  EXPECT_EQ(client.counters().malformed, 0u);
  EXPECT_EQ(client.counters().auth_failures, 0u);
  EXPECT_EQ(reconnected, 0);
}

TEST_F(BybitPrivateWsLoopback, PingsAreAnsweredWithThePrivatePong) {
  PrivateWsClient client(loop, config(), sink);
  client.start();
  ASSERT_TRUE(run_until(loop, [&] { return client.connected(); }));
  run_for(loop, 1'000ms);  // four pong timeouts without any data
  EXPECT_GE(client.counters().pings_sent, 6u);
  EXPECT_GE(client.counters().pongs + 1, client.counters().pings_sent);
  EXPECT_TRUE(client.connected());
  EXPECT_EQ(client.counters().disconnects, 0u);
}

TEST_F(BybitPrivateWsLoopback, AWrongSecretIsFatalAndNotRetried) {
  PrivateWsClient client(loop, config({kKeys.key, "not-the-secret"}), sink);
  watch(client);
  client.start();
  ASSERT_TRUE(run_until(loop, [&] { return client.fatal_failure().has_value(); }));
  const BrokerFailure& failure = *client.fatal_failure();
  EXPECT_EQ(failure.error_class, ErrorClass::kFatal);
  EXPECT_NE(failure.message.find("auth refused"), std::string::npos) << failure.message;
  ASSERT_EQ(states.size(), 1u);
  EXPECT_FALSE(states[0].connected);
  EXPECT_EQ(states[0].reason, failure.message);

  run_for(loop, 500ms);  // many backoff delays: no second attempt
  EXPECT_EQ(venue.ws_connections(), 1);
  EXPECT_EQ(api->auth_requests, 1);
  EXPECT_EQ(client.counters().auth_failures, 1u);
  EXPECT_EQ(client.counters().connects, 0u);
  EXPECT_FALSE(client.connected());
  EXPECT_EQ(states.size(), 1u);
  EXPECT_TRUE(run_until(loop, [&] { return venue.open_ws_connections() == 0; }));
}

TEST_F(BybitPrivateWsLoopback, AnUnknownKeyIsFatalToo) {
  PrivateWsClient client(loop, config({"no-such-key", "secret-a"}), sink);
  client.start();
  ASSERT_TRUE(run_until(loop, [&] { return client.fatal_failure().has_value(); }));
  run_for(loop, 300ms);
  EXPECT_EQ(venue.ws_connections(), 1);
  EXPECT_EQ(client.counters().auth_failures, 1u);
}

TEST_F(BybitPrivateWsLoopback, BybitsRetCodeDecidesBetweenFatalAndRetry) {
  // Bybit's documented refusal (ws_auth_failure.json's shape, camelCase with a retCode).
  api->answer_auth_with(
      R"({"op":"auth","success":false,"retCode":10004,"retMsg":"Invalid sign","connId":"c-1"})");
  {
    PrivateWsClient client(loop, config(), sink);
    client.start();
    ASSERT_TRUE(run_until(loop, [&] { return client.fatal_failure().has_value(); }));
    EXPECT_EQ(client.fatal_failure()->code, 10004);
    EXPECT_EQ(client.fatal_failure()->message, "auth refused: Invalid sign");
  }
  // A retryable code (10016, server error): the client reconnects and authenticates again.
  api->answer_auth_with(
      R"({"op":"auth","success":false,"retCode":10016,"retMsg":"Server error","connId":"c-2"})");
  PrivateWsClient client(loop, config(), sink);
  client.start();
  ASSERT_TRUE(run_until(loop, [&] { return client.counters().auth_failures >= 2; }));
  EXPECT_FALSE(client.fatal_failure().has_value());
  api->answer_auth_with(std::nullopt);
  ASSERT_TRUE(run_until(loop, [&] { return client.connected(); }));
}

TEST_F(BybitPrivateWsLoopback, ADroppedConnectionIsReauthenticatedAndResubscribed) {
  PrivateWsClient client(loop, config(), sink);
  watch(client);
  client.start();
  ASSERT_TRUE(run_until(loop, [&] { return client.connected(); }));
  for (int round = 1; round <= 2; ++round) {
    venue.drop_connections();
    ASSERT_TRUE(run_until(loop, [&] { return reconnected == round && client.connected(); }))
        << round;
  }
  // Each session authenticated and subscribed again: the venue refuses subscribe before auth.
  EXPECT_EQ(api->auth_requests, 3);
  EXPECT_EQ(api->inner().refused_requests(), 0u);
  EXPECT_EQ(client.counters().connects, 3u);
  EXPECT_EQ(client.counters().reconnects, 2u);
  EXPECT_EQ(client.counters().disconnects, 2u);
  ASSERT_EQ(states.size(), 5u);
  EXPECT_TRUE(states[0].connected);
  EXPECT_FALSE(states[1].connected);
  EXPECT_TRUE(states[2].connected);
  EXPECT_FALSE(states[3].connected);
  EXPECT_TRUE(states[4].connected);

  // Fills after the reconnections still arrive: a buy filled at the next open, 102.
  market_buy("g-2", "1");
  exchange.on_bar(Category::kLinear, kBtc, minute_bar(kStart + kMinuteMs, 102));
  ASSERT_TRUE(run_until(loop, [&] { return execution_of("g-2") != nullptr; }));
  EXPECT_EQ(execution_of("g-2")->exec_price, Decimal::from_int(102));
  EXPECT_EQ(execution_of("g-2")->exec_fee, Decimal::parse("0.0561"));  // 102 x 0.00055
  EXPECT_FALSE(client.fatal_failure().has_value());
}

TEST_F(BybitPrivateWsLoopback, AStalledStreamIsDetectedByThePingDeadline) {
  PrivateWsClient client(loop, config(), sink);
  watch(client);
  client.start();
  ASSERT_TRUE(run_until(loop, [&] { return client.connected(); }));
  venue.stall(800ms);  // pongs stop; handshakes hang until it ends
  ASSERT_TRUE(run_until(
      loop, [&] { return states.size() >= 2; }, 3s));
  EXPECT_FALSE(states[1].connected);
  EXPECT_EQ(states[1].reason, "no pong within 250 ms");
  ASSERT_TRUE(run_until(
      loop, [&] { return reconnected == 1 && client.connected(); }, 10s));
  EXPECT_EQ(client.counters().disconnects, 1u);
  EXPECT_GE(api->auth_requests, 2);

  market_buy("g-3", "1");
  exchange.on_bar(Category::kLinear, kBtc, minute_bar(kStart + kMinuteMs, 101));
  ASSERT_TRUE(run_until(loop, [&] { return execution_of("g-3") != nullptr; }));
  EXPECT_EQ(execution_of("g-3")->exec_fee, Decimal::parse("0.05555"));
}

TEST_F(BybitPrivateWsLoopback, MalformedFramesAreCountedAndDroppedWhileGoodOnesArrive) {
  PrivateWsClient client(loop, config(), sink);
  watch(client);
  client.start();
  ASSERT_TRUE(run_until(loop, [&] { return client.connected(); }));
  const std::vector<std::string> garbage = {
      "",
      "not json at all",
      R"({"topic":"order","data":[{"category":"linear","symbol":"BTCUSDT")",  // truncated
      R"([1,2,3])",
      R"({"topic":"order","creationTime":1,"data":[{"category":"linear","symbol":"BTCUSDT",)"
      R"("orderId":"x","side":"Up","orderType":"Market","orderStatus":"New","qty":"1"}]})",
      R"({"topic":"execution","data":{"not":"a list"}})",
      R"({"topic":"greeks","data":[]})",
      R"({"neither":"topic nor op"})",
  };
  for (const std::string& frame : garbage) api->inject(frame);
  market_buy("g-4", "1");
  exchange.on_bar(Category::kLinear, kBtc, minute_bar(kStart + kMinuteMs, 101));
  ASSERT_TRUE(run_until(loop, [&] { return !sink.wallets.empty(); }));
  EXPECT_EQ(client.counters().malformed, garbage.size());
  ASSERT_EQ(sink.orders.size(), 2u);  // New and Filled; nothing of the garbage
  EXPECT_EQ(sink.orders[0].order_link_id, "g-4");
  ASSERT_NE(execution_of("g-4"), nullptr);
  EXPECT_EQ(execution_of("g-4")->exec_fee, Decimal::parse("0.05555"));
  EXPECT_TRUE(client.connected());
  EXPECT_EQ(client.counters().disconnects, 0u);
  EXPECT_EQ(states.size(), 1u);
}

TEST_F(BybitPrivateWsLoopback, AnUnansweredAuthIsRetriedNotFatal) {
  api->ignore_auth = true;
  PrivateWsClient client(loop, config(), sink);
  client.start();
  ASSERT_TRUE(run_until(
      loop, [&] { return client.counters().connect_failures >= 2; }, 5s));
  EXPECT_FALSE(client.fatal_failure().has_value());
  EXPECT_GE(api->auth_requests, 2);
  api->ignore_auth = false;
  ASSERT_TRUE(run_until(
      loop, [&] { return client.connected(); }, 5s));
  EXPECT_EQ(client.counters().connects, 1u);
}

TEST_F(BybitPrivateWsLoopback, GivesUpWhenTheAttemptsAreUsedUp) {
  PrivateWsConfig unreachable = config();
  unreachable.url = "ws://127.0.0.1:1/v5/private";
  unreachable.retry.max_attempts = 3;
  PrivateWsClient client(loop, unreachable, sink);
  watch(client);
  client.start();
  ASSERT_TRUE(run_until(loop, [&] { return client.fatal_failure().has_value(); }));
  EXPECT_EQ(client.counters().connect_failures, 3u);
  EXPECT_NE(client.fatal_failure()->message.find("gave up after 3"), std::string::npos)
      << client.fatal_failure()->message;
  ASSERT_EQ(states.size(), 1u);
  EXPECT_FALSE(states[0].connected);
}

TEST_F(BybitPrivateWsLoopback, StopMidConnectIsClean) {
  venue.stall(500ms);  // the handshake hangs
  {
    PrivateWsClient client(loop, config(), sink);
    watch(client);
    client.start();
    run_for(loop, 50ms);
    EXPECT_FALSE(client.connected());
    client.stop();
    run_for(loop, 100ms);
  }
  {
    // Stopped between the handshake and the answer to auth, then destroyed.
    PrivateWsClient client(loop, config(), sink);
    watch(client);
    api->ignore_auth = true;
    client.start();
    ASSERT_TRUE(run_until(
        loop, [&] { return api->auth_requests >= 1; }, 3s));
    client.stop();
  }
  run_for(loop, 200ms);
  EXPECT_TRUE(states.empty());
  EXPECT_EQ(reconnected, 0);
  EXPECT_TRUE(run_until(loop, [&] { return venue.open_ws_connections() == 0; }));
}

TEST_F(BybitPrivateWsLoopback, NothingReachesTheSinkAfterStop) {
  PrivateWsClient client(loop, config(), sink);
  watch(client);
  client.start();
  ASSERT_TRUE(run_until(loop, [&] { return client.connected(); }));
  market_buy("g-5", "1");
  client.stop();
  run_for(loop, 200ms);
  EXPECT_TRUE(sink.orders.empty());
  EXPECT_EQ(states.size(), 1u);  // the connection only: stop() reports nothing
  EXPECT_TRUE(run_until(loop, [&] { return venue.open_ws_connections() == 0; }));
  client.start();  // a stopped client stays stopped
  run_for(loop, 100ms);
  EXPECT_EQ(venue.ws_connections(), 1);
}

}  // namespace
}  // namespace gauntlet::brokers::bybit
