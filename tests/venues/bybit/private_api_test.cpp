// ExchangeApi, the local Bybit's private API on the wire: authentication as Bybit does it and
// Bybit's per-endpoint limits with their headers (figures from bybit-v5.md §2 and §7). The
// requests are signed with the reference's scheme by hand here, the clock is fixed.
#include "venues/bybit/private_api.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "brokers/bybit/signing.hpp"

namespace gauntlet::venues::bybit {
namespace {

using nlohmann::json;

const brokers::bybit::ApiCredentials kKeys{"api-key", "api-secret"};
constexpr TimestampMs kNow = 1'700'000'000'000;

class PrivateApiTest : public ::testing::Test {
 protected:
  PrivateApiTest() : api(ExchangeApi::create(exchange, [this] { return now; })) {
    exchange.add_account(kKeys, Decimal::from_int(1'000'000));
    Bar bar;
    bar.open_time = kNow - 2 * kMinuteMs;
    bar.open = bar.high = bar.low = bar.close = Decimal::from_int(100);
    bar.volume = Decimal::from_int(1000);
    exchange.on_bar(Category::kLinear, Symbol::parse("BTCUSDT"), bar);
    exchange.on_bar(Category::kSpot, Symbol::parse("BTCUSDT"), bar);
  }

  RestRequest signed_post(const std::string& path, const json& body,
                          const brokers::bybit::ApiCredentials& keys = kKeys) const {
    RestRequest request;
    request.method = "POST";
    request.path = path;
    request.body = body.dump();
    request.headers = {{"X-BAPI-API-KEY", keys.key},
                       {"X-BAPI-TIMESTAMP", std::to_string(now)},
                       {"X-BAPI-RECV-WINDOW", "5000"},
                       {"X-BAPI-SIGN", brokers::bybit::sign_rest(keys, now, 5000, request.body)}};
    return request;
  }
  static json limit_order(const std::string& category, int i) {
    return {{"category", category},
            {"symbol", "BTCUSDT"},
            {"side", "Buy"},
            {"orderType", "Limit"},
            {"qty", "0.01"},
            {"price", "50"},
            {"orderLinkId", category + "-" + std::to_string(i)}};
  }
  static int ret_code(const RestResponse& response) {
    return json::parse(response.body).at("retCode").get<int>();
  }
  static std::string header(const RestResponse& response, const std::string& name) {
    for (const auto& [key, value] : response.extra_headers) {
      if (key == name) return value;
    }
    return "";
  }

  Exchange exchange;
  TimestampMs now = kNow;
  std::shared_ptr<ExchangeApi> api;
};

TEST_F(PrivateApiTest, LinearCreatesAreHeldToTenPerSecondWithBybitsHeaders) {
  for (int i = 0; i < 10; ++i) {
    const auto answer = api->handle_rest(signed_post("/v5/order/create", limit_order("linear", i)));
    ASSERT_TRUE(answer);
    ASSERT_EQ(ret_code(*answer), 0) << answer->body;
    EXPECT_EQ(header(*answer, "X-Bapi-Limit"), "10");
    EXPECT_EQ(header(*answer, "X-Bapi-Limit-Status"), std::to_string(9 - i));
  }
  const auto refused = api->handle_rest(signed_post("/v5/order/create", limit_order("linear", 10)));
  ASSERT_TRUE(refused);
  EXPECT_EQ(ret_code(*refused), 10006);
  EXPECT_EQ(header(*refused, "X-Bapi-Limit-Status"), "0");
  EXPECT_EQ(header(*refused, "X-Bapi-Limit-Reset-Timestamp"), std::to_string(kNow + 1000));
  // Spot creates have their own window of 20.
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(ret_code(*api->handle_rest(signed_post("/v5/order/create", limit_order("spot", i)))),
              0);
  }
  EXPECT_EQ(ret_code(*api->handle_rest(signed_post("/v5/order/create", limit_order("spot", 20)))),
            10006);
  // A second later the window is free again.
  now += 1000;
  EXPECT_EQ(ret_code(*api->handle_rest(signed_post("/v5/order/create", limit_order("linear", 11)))),
            0);
}

TEST_F(PrivateApiTest, LimitsCanBeSwitchedOffForTests) {
  api->enforce_rate_limits(false);
  for (int i = 0; i < 15; ++i) {
    EXPECT_EQ(
        ret_code(*api->handle_rest(signed_post("/v5/order/create", limit_order("linear", i)))), 0);
  }
}

TEST_F(PrivateApiTest, AuthenticationFailsAsBybitFails) {
  const json body = limit_order("linear", 1);
  RestRequest wrong_secret = signed_post("/v5/order/create", body, {kKeys.key, "not-it"});
  EXPECT_EQ(ret_code(*api->handle_rest(wrong_secret)), 10004);
  RestRequest unknown_key = signed_post("/v5/order/create", body, {"nobody", "x"});
  EXPECT_EQ(ret_code(*api->handle_rest(unknown_key)), 10003);
  RestRequest missing = signed_post("/v5/order/create", body);
  missing.headers.pop_back();  // no X-BAPI-SIGN
  const auto unsigned_answer = api->handle_rest(missing);
  EXPECT_EQ(unsigned_answer->status, 401u);
  EXPECT_EQ(ret_code(*unsigned_answer), 10003);
  // Signed 5001 ms ago with a 5000 ms window; and 1000 ms ahead of the server.
  RestRequest stale = signed_post("/v5/order/create", body);
  now += 5001;
  EXPECT_EQ(ret_code(*api->handle_rest(stale)), 10002);
  now -= 5001 + 1000;
  EXPECT_EQ(ret_code(*api->handle_rest(stale)), 10002);
  now += 1000;
  EXPECT_EQ(ret_code(*api->handle_rest(stale)), 0);
  // A tampered body no longer matches its signature.
  RestRequest tampered = signed_post("/v5/order/create", limit_order("linear", 2));
  tampered.body.replace(tampered.body.find("0.01"), 4, "0.02");
  EXPECT_EQ(ret_code(*api->handle_rest(tampered)), 10004);
  // Public paths are not the private API's.
  RestRequest market;
  market.method = "GET";
  market.path = "/v5/market/time";
  EXPECT_FALSE(api->handle_rest(market));
}

TEST_F(PrivateApiTest, QueriesDecodeAsSentAndSigned) {
  EXPECT_EQ(decode_query("category=linear&symbol=BTCUSDT&cursor=page%3D2%26x"),
            (QueryParams{{"category", "linear"}, {"symbol", "BTCUSDT"}, {"cursor", "page=2&x"}}));
  EXPECT_EQ(decode_query("flag&a=%zz"), (QueryParams{{"flag", ""}, {"a", "%zz"}}));
  RestRequest list;
  list.method = "GET";
  list.path = "/v5/order/realtime";
  list.query = "category=linear&limit=5";
  list.headers = {{"x-bapi-api-key", kKeys.key},  // header names are case-insensitive
                  {"x-bapi-timestamp", std::to_string(now)},
                  {"x-bapi-sign", brokers::bybit::sign_rest(kKeys, now, 5000, list.query)}};
  const auto answer = api->handle_rest(list);
  ASSERT_TRUE(answer);
  EXPECT_EQ(ret_code(*answer), 0) << answer->body;
  EXPECT_EQ(header(*answer, "X-Bapi-Limit"), "50");
}

// Order entry over /v5/trade: auth first, Bybit's answer shape, reqId and timestamp checks, and
// the per-second limit shared with REST (ten linear creates a second in all).
TEST_F(PrivateApiTest, OrderEntryOverTheTradeSocketAnswersAsBybitAndSharesTheRestLimits) {
  std::vector<json> frames;
  const std::unique_ptr<PrivateSession> session = api->open_session(
      "/v5/trade", "", [&](std::string frame) { frames.push_back(json::parse(frame)); });
  ASSERT_NE(session, nullptr);
  const auto request = [&](std::string op, std::string request_id, json order) {
    return json{{"op", std::move(op)},
                {"reqId", std::move(request_id)},
                {"header", {{"X-BAPI-TIMESTAMP", std::to_string(now)}}},
                {"args", json::array({std::move(order)})}};
  };
  const auto send = [&](const json& message) {
    session->on_message(message.dump());
    return frames.back();
  };

  EXPECT_EQ(send(request("order.create", "r-1", limit_order("linear", 1)))["retCode"], 10003)
      << "not authenticated yet";
  const TimestampMs expires = now + 10'000;
  EXPECT_EQ(send({{"op", "auth"},
                  {"args", json::array({kKeys.key, expires,
                                        brokers::bybit::sign_ws_auth(kKeys.secret, expires)})}})
                .at("retCode"),
            0);

  const json created = send(request("order.create", "r-2", limit_order("linear", 1)));
  EXPECT_EQ(created["retCode"], 0) << created.dump();
  EXPECT_EQ(created["retMsg"], "OK");
  EXPECT_EQ(created["op"], "order.create");
  EXPECT_EQ(created["reqId"], "r-2");
  EXPECT_EQ(created["data"]["orderLinkId"], "linear-1");
  EXPECT_FALSE(created["data"]["orderId"].get<std::string>().empty());
  EXPECT_EQ(created["header"]["X-Bapi-Limit"], "10");
  EXPECT_EQ(created["header"]["X-Bapi-Limit-Status"], "9");
  EXPECT_EQ(created["header"]["Timenow"], std::to_string(now));
  EXPECT_TRUE(created["connId"].get<std::string>().starts_with("gauntlet-trade-"));

  EXPECT_EQ(send(request("order.create", "r-2", limit_order("linear", 2)))["retCode"], 20006);
  json stale = request("order.create", "r-3", limit_order("linear", 2));
  stale["header"]["X-BAPI-TIMESTAMP"] = std::to_string(now - 6'000);
  EXPECT_EQ(send(stale)["retCode"], 10002);
  json two = request("order.create", "r-4", limit_order("linear", 2));
  two["args"].push_back(limit_order("linear", 3));
  EXPECT_EQ(send(two)["retCode"], 10001);
  EXPECT_EQ(send(request("order.create-batch", "r-5", limit_order("linear", 2)))["retCode"], 10001);

  // Nine creates over REST in the same second: the socket's next one is the eleventh.
  for (int i = 2; i <= 10; ++i) {
    ASSERT_EQ(
        ret_code(*api->handle_rest(signed_post("/v5/order/create", limit_order("linear", i)))), 0);
  }
  const json limited = send(request("order.create", "r-6", limit_order("linear", 11)));
  EXPECT_EQ(limited["retCode"], 10006);
  EXPECT_EQ(limited["header"]["X-Bapi-Limit-Status"], "0");

  now += kSecondMs;
  json amend = request("order.amend", "r-7",
                       {{"category", "linear"},
                        {"symbol", "BTCUSDT"},
                        {"orderLinkId", "linear-1"},
                        {"price", "60"}});
  amend["header"]["X-BAPI-TIMESTAMP"] = std::to_string(now);
  EXPECT_EQ(send(amend)["retCode"], 0);
  json cancel =
      request("order.cancel", "r-8",
              {{"category", "linear"}, {"symbol", "BTCUSDT"}, {"orderLinkId", "linear-1"}});
  cancel["header"]["X-BAPI-TIMESTAMP"] = std::to_string(now);
  const json cancelled = send(cancel);
  EXPECT_EQ(cancelled["retCode"], 0);
  EXPECT_EQ(cancelled["data"]["orderLinkId"], "linear-1");
  cancel["reqId"] = "r-9";
  EXPECT_EQ(send(cancel)["retCode"], 110001) << "the order is gone: Bybit's code, as over REST";
}

}  // namespace
}  // namespace gauntlet::venues::bybit
