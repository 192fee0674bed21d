// VenueServer on 127.0.0.1 through raw HTTP and WebSocket clients: the public endpoints and
// topics in Bybit's shapes, every fault, and the private API's seam.
#include "venues/bybit/venue_server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

// Asio only through core/asio.hpp, which puts <utility> first; Beast after it.
// clang-format off
#include "core/asio.hpp"
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
// clang-format on

#include "core/decimal.hpp"
#include "core/exceptions.hpp"
#include "support/shared_data.hpp"

namespace {

namespace asio = gauntlet::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using gauntlet::Bar;
using gauntlet::Decimal;
using gauntlet::Timeframe;
using gauntlet::TimestampMs;
using gauntlet::venues::bybit::Category;
using gauntlet::venues::bybit::VenueServer;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr std::chrono::milliseconds kTimeout = 5s;
constexpr TimestampMs kStart = 1672324800000;  // 2022-12-29T14:40Z, a 5-minute boundary
constexpr TimestampMs kFiveMinutes = 5 * gauntlet::kMinuteMs;

// Runs the io_context until the operations started on it have completed.
void run(asio::io_context& io) {
  io.restart();
  io.run();
}

tcp::endpoint loopback(unsigned short port) {
  return tcp::endpoint(asio::ip::address_v4::loopback(), port);
}

// A blocking HTTP/1.1 client on one keep-alive connection; every step has a deadline.
// After an error the connection is closed and the next get() opens a new one.
class RawHttpClient {
 public:
  struct Result {
    beast::error_code error;
    http::response<http::string_body> response;

    json body_json() const { return json::parse(response.body(), nullptr, false); }
    std::string header(std::string_view name) const {
      return std::string(response[beast::string_view(name.data(), name.size())]);
    }
  };

  explicit RawHttpClient(unsigned short port) : port_(port), stream_(io_) {}

  Result get(const std::string& target, std::chrono::milliseconds timeout = kTimeout) {
    return send(http::verb::get, target, "", {}, timeout);
  }

  Result post(const std::string& target, const std::string& body,
              const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    return send(http::verb::post, target, body, headers, kTimeout);
  }

  Result send(http::verb verb, const std::string& target, const std::string& body,
              const std::vector<std::pair<std::string, std::string>>& headers,
              std::chrono::milliseconds timeout) {
    Result result;
    if (!connected_) {
      stream_.expires_after(timeout);
      stream_.async_connect(loopback(port_),
                            [&](beast::error_code error) { result.error = error; });
      run(io_);
      if (result.error) return result;
      connected_ = true;
    }
    http::request<http::string_body> request(verb, target, 11);
    request.set(http::field::host, "127.0.0.1");
    for (const auto& [name, value] : headers) request.set(name, value);
    if (verb != http::verb::get) {
      request.set(http::field::content_type, "application/json");
      request.body() = body;
      request.prepare_payload();
    }
    stream_.expires_after(timeout);
    http::async_write(stream_, request,
                      [&](beast::error_code error, std::size_t) { result.error = error; });
    run(io_);
    if (!result.error) {
      stream_.expires_after(timeout);
      http::async_read(stream_, buffer_, result.response,
                       [&](beast::error_code error, std::size_t) { result.error = error; });
      run(io_);
    }
    if (result.error) {
      stream_.close();
      buffer_.clear();
      connected_ = false;
    }
    return result;
  }

 private:
  asio::io_context io_;
  unsigned short port_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  bool connected_ = false;
};

// A blocking WebSocket client; every step has a deadline.
class RawWsClient {
 public:
  struct Frame {
    beast::error_code error;
    std::string text;
  };

  RawWsClient(unsigned short port, Category category, std::chrono::milliseconds timeout = kTimeout)
      : RawWsClient(port, "/v5/public/" + std::string(to_string(category)), timeout) {}

  RawWsClient(unsigned short port, const std::string& target,
              std::chrono::milliseconds timeout = kTimeout)
      : ws_(io_) {
    beast::get_lowest_layer(ws_).expires_after(timeout);
    beast::get_lowest_layer(ws_).async_connect(loopback(port),
                                               [&](beast::error_code error) { error_ = error; });
    run(io_);
    if (error_) return;
    beast::get_lowest_layer(ws_).expires_after(timeout);
    ws_.async_handshake("127.0.0.1", target, [&](beast::error_code error) { error_ = error; });
    run(io_);
    ws_.text(true);
  }

  // The error of connecting and the handshake, if any.
  const beast::error_code& error() const { return error_; }

  beast::error_code send(const std::string& text) {
    beast::error_code result;
    beast::get_lowest_layer(ws_).expires_after(kTimeout);
    ws_.async_write(asio::buffer(text),
                    [&](beast::error_code error, std::size_t) { result = error; });
    run(io_);
    return result;
  }

  Frame read(std::chrono::milliseconds timeout = kTimeout) {
    Frame frame;
    beast::get_lowest_layer(ws_).expires_after(timeout);
    ws_.async_read(buffer_, [&](beast::error_code error, std::size_t) { frame.error = error; });
    run(io_);
    frame.text = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    return frame;
  }

  // The next frame as JSON; records a failure and returns nullopt when there is none.
  std::optional<json> read_json() {
    const Frame frame = read();
    if (frame.error) {
      ADD_FAILURE() << "reading a frame failed: " << frame.error.message();
      return std::nullopt;
    }
    json parsed = json::parse(frame.text, nullptr, false);
    if (parsed.is_discarded()) {
      ADD_FAILURE() << "frame is not JSON: " << frame.text;
      return std::nullopt;
    }
    return parsed;
  }

  // Sends `request` and returns the next frame as JSON.
  std::optional<json> exchange(const json& request) {
    if (const beast::error_code error = send(request.dump())) {
      ADD_FAILURE() << "sending failed: " << error.message();
      return std::nullopt;
    }
    return read_json();
  }

 private:
  asio::io_context io_;
  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  beast::error_code error_;
};

Bar make_bar(TimestampMs open_time, int step) {
  Bar bar;
  bar.open_time = open_time;
  bar.open = Decimal::parse("16649.5") + Decimal::from_int(step);
  bar.high = bar.open + Decimal::parse("27.5");
  bar.low = bar.open - Decimal::parse("41.5");
  bar.close = bar.open + Decimal::parse("0.25");
  bar.volume = Decimal::parse("2.081");
  bar.turnover = Decimal::parse("34666.4005");
  return bar;
}

// `count` consecutive 5-minute bars from kStart.
std::vector<Bar> make_bars(int count) {
  std::vector<Bar> bars;
  for (int i = 0; i < count; ++i) bars.push_back(make_bar(kStart + i * kFiveMinutes, i));
  return bars;
}

json expected_row(const Bar& bar) {
  return json::array({std::to_string(bar.open_time), bar.open.to_string(), bar.high.to_string(),
                      bar.low.to_string(), bar.close.to_string(), bar.volume.to_string(),
                      bar.turnover.to_string()});
}

std::string kline_target(std::string_view query) {
  return "/v5/market/kline?category=linear&symbol=BTCUSDT&interval=5&" + std::string(query);
}

// True when `body` is an envelope a strict kline client can use.
bool is_usable_kline_envelope(const std::string& body) {
  const json parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return false;
  if (!parsed.contains("retCode") || !parsed["retCode"].is_number_integer()) return false;
  if (!parsed.contains("result") || !parsed["result"].is_object()) return false;
  const json& result = parsed["result"];
  if (!result.contains("list") || !result["list"].is_array()) return false;
  for (const json& row : result["list"]) {
    if (!row.is_array() || row.size() != 7) return false;
    for (const json& field : row) {
      if (!field.is_string()) return false;
    }
  }
  return true;
}

// True when `text` is a kline push a strict client can use.
bool is_usable_kline_frame(const std::string& text) {
  const json parsed = json::parse(text, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return false;
  if (!parsed.contains("topic") || !parsed["topic"].is_string()) return false;
  if (!parsed.contains("ts") || !parsed["ts"].is_number_integer()) return false;
  if (!parsed.contains("type") || !parsed["type"].is_string()) return false;
  if (!parsed.contains("data") || !parsed["data"].is_array() || parsed["data"].empty()) {
    return false;
  }
  for (const json& item : parsed["data"]) {
    if (!item.is_object()) return false;
    for (const char* key : {"start", "end", "timestamp"}) {
      if (!item.contains(key) || !item[key].is_number_integer()) return false;
    }
    for (const char* key : {"interval", "open", "close", "high", "low", "volume", "turnover"}) {
      if (!item.contains(key) || !item[key].is_string()) return false;
    }
    if (!item.contains("confirm") || !item["confirm"].is_boolean()) return false;
  }
  return true;
}

std::vector<std::string> keys_in_order(const nlohmann::ordered_json& object) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : object.items()) keys.push_back(key);
  return keys;
}

json subscribe(std::vector<std::string> topics, std::string req_id = "sub-1") {
  return {{"req_id", req_id}, {"op", "subscribe"}, {"args", topics}};
}

// Subscribes `client` to `topics` and checks the ack.
void subscribe_ok(RawWsClient& client, std::vector<std::string> topics) {
  const std::optional<json> ack = client.exchange(subscribe(std::move(topics)));
  ASSERT_TRUE(ack);
  EXPECT_EQ((*ack)["success"], true) << ack->dump();
}

// --- REST ---

TEST(VenueServer, KlinesPageNewestFirstWithLimit) {
  VenueServer venue;
  const std::vector<Bar> bars = make_bars(10);
  venue.set_klines(Category::kLinear, "BTCUSDT", Timeframe::k5m, bars);
  RawHttpClient client(venue.port());

  const RawHttpClient::Result first = client.get(kline_target("limit=4"));
  ASSERT_FALSE(first.error) << first.error.message();
  EXPECT_EQ(first.response.result_int(), 200);
  EXPECT_TRUE(first.response.keep_alive());
  const json body = first.body_json();
  EXPECT_EQ(body["retCode"], 0);
  EXPECT_EQ(body["retMsg"], "OK");
  EXPECT_EQ(body["result"]["category"], "linear");
  EXPECT_EQ(body["result"]["symbol"], "BTCUSDT");
  EXPECT_TRUE(body["retExtInfo"].is_object());
  EXPECT_TRUE(body["time"].is_number_integer());
  EXPECT_EQ(body["result"]["list"], json::array({expected_row(bars[9]), expected_row(bars[8]),
                                                 expected_row(bars[7]), expected_row(bars[6])}));
  EXPECT_EQ(first.header("X-Bapi-Limit"), "600");
  EXPECT_FALSE(first.header("X-Bapi-Limit-Status").empty());
  EXPECT_FALSE(first.header("X-Bapi-Limit-Reset-Timestamp").empty());

  // Paging backwards: end = oldest start - 1, on the same keep-alive connection.
  std::vector<json> pages;
  TimestampMs end = bars[6].open_time - 1;
  for (int page = 0; page < 3; ++page) {
    const RawHttpClient::Result next =
        client.get(kline_target("limit=4&end=" + std::to_string(end)));
    ASSERT_FALSE(next.error) << next.error.message();
    const json list = next.body_json()["result"]["list"];
    pages.push_back(list);
    if (list.empty()) break;
    end = std::stoll(list.back()[0].get<std::string>()) - 1;
  }
  ASSERT_EQ(pages.size(), 3u);
  EXPECT_EQ(pages[0], json::array({expected_row(bars[5]), expected_row(bars[4]),
                                   expected_row(bars[3]), expected_row(bars[2])}));
  EXPECT_EQ(pages[1], json::array({expected_row(bars[1]), expected_row(bars[0])}));
  EXPECT_TRUE(pages[2].empty());

  const RawHttpClient::Result window = client.get(kline_target(
      "start=" + std::to_string(bars[3].open_time) + "&end=" + std::to_string(bars[5].open_time)));
  ASSERT_FALSE(window.error);
  EXPECT_EQ(window.body_json()["result"]["list"],
            json::array({expected_row(bars[5]), expected_row(bars[4]), expected_row(bars[3])}));
  EXPECT_EQ(venue.http_requests(), 5);
}

TEST(VenueServer, KlinesDefaultToTwoHundredAndClampAtOneThousand) {
  VenueServer venue;
  venue.set_klines(Category::kLinear, "BTCUSDT", Timeframe::k5m, make_bars(1200));
  RawHttpClient client(venue.port());

  const json by_default = client.get(kline_target("")).body_json();
  ASSERT_EQ(by_default["result"]["list"].size(), 200u);
  EXPECT_EQ(by_default["result"]["list"][0][0], std::to_string(kStart + 1199 * kFiveMinutes));
  EXPECT_EQ(client.get(kline_target("limit=5000")).body_json()["result"]["list"].size(), 1000u);
}

TEST(VenueServer, KlinesAnswerRetCode10001ForUnknownSymbolsAndBadParameters) {
  VenueServer venue;
  venue.set_klines(Category::kLinear, "BTCUSDT", Timeframe::k5m, make_bars(3));
  RawHttpClient client(venue.port());

  for (const std::string target : {
           "/v5/market/kline?category=linear&symbol=DOGEUSDT&interval=5",
           "/v5/market/kline?category=spot&symbol=BTCUSDT&interval=5",
           "/v5/market/kline?category=linear&symbol=BTCUSDT&interval=7",
           "/v5/market/kline?category=linear&symbol=BTCUSDT&interval=120",
           "/v5/market/kline?category=linear&symbol=BTCUSDT&interval=5&limit=0",
           "/v5/market/kline?category=linear&symbol=BTCUSDT&interval=5&start=soon",
           "/v5/market/kline?category=inverse&symbol=BTCUSDT&interval=5",
           "/v5/market/kline?category=linear&interval=5",
       }) {
    const RawHttpClient::Result result = client.get(target);
    ASSERT_FALSE(result.error) << target;
    EXPECT_EQ(result.response.result_int(), 200) << target;
    EXPECT_EQ(result.body_json()["retCode"], 10001) << target;
  }
  // A known symbol without bars of the timeframe is an empty list.
  const json empty = client.get("/v5/market/kline?symbol=BTCUSDT&interval=15").body_json();
  EXPECT_EQ(empty["retCode"], 0);
  EXPECT_TRUE(empty["result"]["list"].empty());

  const RawHttpClient::Result unknown_route = client.get("/v5/market/nothing");
  EXPECT_EQ(unknown_route.response.result_int(), 404);
  EXPECT_EQ(unknown_route.body_json()["retCode"], 10017);
}

TEST(VenueServer, ServesTickersAndServerTime) {
  VenueServer venue;
  const json ticker = {{"symbol", "BTCUSDT"}, {"lastPrice", "17216.00"}, {"markPrice", "17217.33"}};
  venue.set_ticker(Category::kLinear, ticker);
  venue.set_ticker(Category::kLinear, {{"symbol", "ETHUSDT"}, {"lastPrice", "1216.5"}});
  RawHttpClient client(venue.port());

  const json one = client.get("/v5/market/tickers?category=linear&symbol=BTCUSDT").body_json();
  EXPECT_EQ(one["retCode"], 0);
  EXPECT_EQ(one["result"]["category"], "linear");
  EXPECT_EQ(one["result"]["list"], json::array({ticker}));
  EXPECT_EQ(client.get("/v5/market/tickers?category=linear").body_json()["result"]["list"].size(),
            2u);
  EXPECT_EQ(client.get("/v5/market/tickers?category=linear&symbol=XUSDT").body_json()["retCode"],
            10001);

  const json time = client.get("/v5/market/time").body_json();
  EXPECT_EQ(time["retCode"], 0);
  const TimestampMs seconds = std::stoll(time["result"]["timeSecond"].get<std::string>());
  EXPECT_NEAR(static_cast<double>(seconds), time["time"].get<double>() / 1000, 1.0);
  EXPECT_EQ(time["result"]["timeNano"].get<std::string>().size(),
            time["result"]["timeSecond"].get<std::string>().size() + 9);
}

// --- REST faults ---

TEST(VenueServer, FailNextHttpAnswersTheStatusThenRecovers) {
  VenueServer venue;
  venue.set_klines(Category::kLinear, "BTCUSDT", Timeframe::k5m, make_bars(3));
  RawHttpClient client(venue.port());

  venue.fail_next_http(2, 502);
  for (int i = 0; i < 2; ++i) {
    const RawHttpClient::Result failed = client.get(kline_target(""));
    ASSERT_FALSE(failed.error);
    EXPECT_EQ(failed.response.result_int(), 502);
    EXPECT_EQ(failed.header("Content-Type"), "text/html");
    EXPECT_TRUE(failed.body_json().is_discarded());
  }
  venue.fail_next_http(1);
  EXPECT_EQ(client.get(kline_target("")).response.result_int(), 503);
  const RawHttpClient::Result recovered = client.get(kline_target(""));
  EXPECT_EQ(recovered.response.result_int(), 200);
  EXPECT_EQ(recovered.body_json()["retCode"], 0);
}

TEST(VenueServer, RateLimitAnswersRetCode10006WithLimitHeaders) {
  VenueServer venue;
  venue.set_klines(Category::kLinear, "BTCUSDT", Timeframe::k5m, make_bars(3));
  RawHttpClient client(venue.port());

  venue.rate_limit_next_http(1, 300ms);
  const TimestampMs before = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
  const RawHttpClient::Result limited = client.get(kline_target(""));
  ASSERT_FALSE(limited.error);
  EXPECT_EQ(limited.response.result_int(), 200);
  EXPECT_EQ(limited.body_json()["retCode"], 10006);
  EXPECT_EQ(limited.body_json()["retMsg"], "Too many visits!");
  EXPECT_EQ(limited.header("X-Bapi-Limit"), "600");
  EXPECT_EQ(limited.header("X-Bapi-Limit-Status"), "0");
  const TimestampMs reset_at = std::stoll(limited.header("X-Bapi-Limit-Reset-Timestamp"));
  EXPECT_GE(reset_at, before + 300);
  EXPECT_LE(reset_at, before + 1300);

  const RawHttpClient::Result next = client.get(kline_target(""));
  EXPECT_EQ(next.body_json()["retCode"], 0);
  EXPECT_NE(next.header("X-Bapi-Limit-Status"), "0");
}

TEST(VenueServer, MalformedHttpBodiesAreNotUsableEnvelopes) {
  VenueServer venue;
  venue.set_klines(Category::kLinear, "BTCUSDT", Timeframe::k5m, make_bars(3));
  RawHttpClient client(venue.port());

  venue.set_malformed_http(6);
  for (int i = 0; i < 6; ++i) {
    const RawHttpClient::Result malformed = client.get(kline_target(""));
    ASSERT_FALSE(malformed.error);
    EXPECT_EQ(malformed.response.result_int(), 200);
    EXPECT_FALSE(is_usable_kline_envelope(malformed.response.body()))
        << i << ": " << malformed.response.body();
  }
  EXPECT_TRUE(is_usable_kline_envelope(client.get(kline_target("")).response.body()));
}

TEST(VenueServer, StallLeavesRestUnansweredUntilTheClientTimesOut) {
  VenueServer venue;
  venue.set_klines(Category::kLinear, "BTCUSDT", Timeframe::k5m, make_bars(3));
  RawHttpClient client(venue.port());

  venue.stall(500ms);
  const auto asked = std::chrono::steady_clock::now();
  const RawHttpClient::Result stalled = client.get(kline_target(""), 200ms);
  EXPECT_EQ(stalled.error, beast::error::timeout) << stalled.error.message();
  EXPECT_EQ(venue.http_requests(), 1);

  std::this_thread::sleep_until(asked + 600ms);
  const RawHttpClient::Result after = client.get(kline_target(""));
  ASSERT_FALSE(after.error) << after.error.message();
  EXPECT_EQ(after.body_json()["retCode"], 0);
}

TEST(VenueServer, DropConnectionsResetsRestAndWebSocketConnections) {
  VenueServer venue;
  venue.set_klines(Category::kLinear, "BTCUSDT", Timeframe::k5m, make_bars(3));
  RawHttpClient rest(venue.port());
  ASSERT_FALSE(rest.get(kline_target("")).error);
  RawWsClient ws(venue.port(), Category::kLinear);
  ASSERT_FALSE(ws.error()) << ws.error().message();
  subscribe_ok(ws, {"kline.5.BTCUSDT"});
  ASSERT_EQ(venue.open_ws_connections(), 1);

  venue.drop_connections();
  EXPECT_TRUE(venue.subscriptions(Category::kLinear).empty());
  EXPECT_EQ(venue.open_ws_connections(), 0);
  EXPECT_TRUE(ws.read().error);
  EXPECT_TRUE(rest.get(kline_target("")).error);

  // The listener stays up: reconnecting works at once.
  EXPECT_EQ(rest.get(kline_target("")).body_json()["retCode"], 0);
  RawWsClient again(venue.port(), Category::kLinear);
  ASSERT_FALSE(again.error());
  subscribe_ok(again, {"kline.5.BTCUSDT"});
  EXPECT_TRUE(venue.wait_for_subscription(Category::kLinear, "kline.5.BTCUSDT", kTimeout));
  EXPECT_EQ(venue.ws_connections(), 2);
}

// --- faults switched at run time (the control route) ---

TEST(VenueServer, TheControlRouteSwitchesFaultsAtRunTimeForTheTokenOnly) {
  gauntlet::venues::bybit::VenueServerOptions options;
  options.control_token = "control-token-1";
  VenueServer venue(options);
  venue.set_klines(Category::kLinear, "BTCUSDT", Timeframe::k5m, make_bars(3));
  RawHttpClient control(venue.port());
  RawHttpClient client(venue.port());
  const std::vector<std::pair<std::string, std::string>> token = {
      {"X-Venue-Token", "control-token-1"}};
  const auto post_faults = [&](const std::string& body) {
    return control.post("/venue/faults", body, token);
  };

  // No token, or another one: 401, and nothing changes.
  EXPECT_EQ(control.post("/venue/faults", R"({"rate_limit":{"count":1}})").response.result_int(),
            401u);
  EXPECT_EQ(control.post("/venue/faults", R"({"rate_limit":{"count":1}})", {{"X-Venue-Token", "x"}})
                .response.result_int(),
            401u);
  EXPECT_EQ(client.get(kline_target("")).body_json()["retCode"], 0);

  // A bad body names the key and applies nothing, not even its valid part.
  const RawHttpClient::Result bad =
      post_faults(R"({"http_errors":{"count":2},"rate_limit":{"count":-1}})");
  EXPECT_EQ(bad.response.result_int(), 400u);
  EXPECT_EQ(bad.body_json()["error"], "rate_limit.count must be within 0..1000000, was -1");
  EXPECT_EQ(post_faults(R"({"stal_ms":5})").body_json()["error"].get<std::string>().substr(0, 30),
            "stal_ms is not a fault (http_e");
  EXPECT_EQ(client.get(kline_target("")).response.result_int(), 200u);

  // Faults take effect on the next requests, in the server's order of precedence.
  const RawHttpClient::Result set = post_faults(
      R"({"http_errors":{"count":1,"status":502},"rate_limit":{"count":2,"reset_ms":300},)"
      R"("malformed_http":1,"duplicate_pushes":true})");
  ASSERT_EQ(set.response.result_int(), 200u) << set.response.body();
  const json status = set.body_json();
  EXPECT_EQ(status["http_errors"]["count"], 1);
  EXPECT_EQ(status["http_errors"]["status"], 502);
  EXPECT_EQ(status["rate_limit"]["count"], 2);
  EXPECT_EQ(status["duplicate_pushes"], true);
  const int requests = venue.http_requests();  // control requests are not counted
  EXPECT_EQ(client.get(kline_target("")).response.result_int(), 502u);
  EXPECT_EQ(client.get(kline_target("")).body_json()["retCode"], 10006);
  EXPECT_EQ(client.get(kline_target("")).body_json()["retCode"], 10006);
  EXPECT_FALSE(is_usable_kline_envelope(client.get(kline_target("")).response.body()));
  EXPECT_EQ(client.get(kline_target("")).body_json()["retCode"], 0);
  EXPECT_EQ(venue.http_requests(), requests + 5);
  EXPECT_EQ(control.get("/venue/faults").response.result_int(), 401u) << "a GET needs it too";
  const json pending =
      control.send(http::verb::get, "/venue/faults", "", token, kTimeout).body_json();
  EXPECT_EQ(pending["rate_limit"]["count"], 0);
  EXPECT_EQ(pending["http_requests"], requests + 5);

  // A stall silences REST but not the control route, which can end it.
  ASSERT_EQ(post_faults(R"({"stall_ms":60000})").response.result_int(), 200u);
  EXPECT_EQ(client.get(kline_target(""), 200ms).error, beast::error::timeout);
  const RawHttpClient::Result during = post_faults(R"({"stall_ms":0})");
  ASSERT_EQ(during.response.result_int(), 200u);
  EXPECT_EQ(during.body_json()["stall_ms"], 0);
  EXPECT_EQ(client.get(kline_target("")).body_json()["retCode"], 0);

  // drop_connections answers first, then resets every connection, the control one included.
  RawWsClient ws(venue.port(), Category::kLinear);
  subscribe_ok(ws, {"kline.5.BTCUSDT"});
  EXPECT_EQ(post_faults(R"({"drop_connections":true})").response.result_int(), 200u);
  EXPECT_TRUE(ws.read().error);
  const auto deadline =
      std::chrono::steady_clock::now() + kTimeout;  // the reset is after the answer
  while (venue.open_ws_connections() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(venue.open_ws_connections(), 0);
  EXPECT_TRUE(venue.subscriptions(Category::kLinear).empty());
}

TEST(VenueServer, WithoutAControlTokenThereIsNoControlRoute) {
  VenueServer venue;
  RawHttpClient client(venue.port());
  const RawHttpClient::Result result =
      client.post("/venue/faults", R"({"stall_ms":60000})", {{"X-Venue-Token", ""}});
  EXPECT_EQ(result.response.result_int(), 404u);
  EXPECT_EQ(result.body_json()["retCode"], 10017);
}

// --- WebSocket ---

TEST(VenueServer, SubscribeUnsubscribeAndPingAnswerInLinearShape) {
  VenueServer venue;
  RawWsClient ws(venue.port(), Category::kLinear);
  ASSERT_FALSE(ws.error()) << ws.error().message();
  EXPECT_TRUE(venue.wait_for_ws_connections(1, kTimeout));

  const std::optional<json> ack = ws.exchange(subscribe({"kline.5.BTCUSDT", "tickers.BTCUSDT"}));
  ASSERT_TRUE(ack);
  EXPECT_EQ((*ack)["success"], true);
  EXPECT_EQ((*ack)["ret_msg"], "");
  EXPECT_TRUE((*ack)["conn_id"].is_string());
  EXPECT_EQ((*ack)["req_id"], "sub-1");
  EXPECT_EQ((*ack)["op"], "subscribe");
  EXPECT_TRUE(venue.wait_for_subscription(Category::kLinear, "tickers.BTCUSDT", kTimeout));
  EXPECT_EQ(venue.subscriptions(Category::kLinear),
            (std::vector<std::string>{"kline.5.BTCUSDT", "tickers.BTCUSDT"}));
  EXPECT_TRUE(venue.subscriptions(Category::kSpot).empty());

  const std::optional<json> pong = ws.exchange({{"req_id", "100001"}, {"op", "ping"}});
  ASSERT_TRUE(pong);
  EXPECT_EQ(*pong, json({{"success", true},
                         {"ret_msg", "pong"},
                         {"conn_id", (*ack)["conn_id"]},
                         {"req_id", "100001"},
                         {"op", "ping"}}));
  const std::optional<json> bare_pong = ws.exchange({{"op", "ping"}});
  ASSERT_TRUE(bare_pong);
  EXPECT_EQ((*bare_pong)["req_id"], "");
  EXPECT_EQ(venue.pings_received(), 2);

  // Failures: a malformed topic (shape of ws_subscription_failure.json), a repeated topic.
  const std::optional<json> invalid =
      ws.exchange({{"op", "subscribe"}, {"args", {"invalid.topic.BTCUSDT"}}});
  ASSERT_TRUE(invalid);
  EXPECT_EQ(*invalid, json({{"success", false},
                            {"ret_msg", "Invalid topic: invalid.topic.BTCUSDT"},
                            {"conn_id", (*ack)["conn_id"]},
                            {"op", "subscribe"}}));
  const std::optional<json> repeated = ws.exchange(subscribe({"kline.5.BTCUSDT"}, "sub-2"));
  ASSERT_TRUE(repeated);
  EXPECT_EQ((*repeated)["success"], false);
  EXPECT_EQ((*repeated)["req_id"], "sub-2");

  const std::optional<json> unsubscribed =
      ws.exchange({{"req_id", "u-1"}, {"op", "unsubscribe"}, {"args", {"tickers.BTCUSDT"}}});
  ASSERT_TRUE(unsubscribed);
  EXPECT_EQ((*unsubscribed)["success"], true);
  EXPECT_EQ((*unsubscribed)["op"], "unsubscribe");
  EXPECT_EQ(venue.subscriptions(Category::kLinear), std::vector<std::string>{"kline.5.BTCUSDT"});
}

TEST(VenueServer, SpotAcksSaySubscribeAndSpotPongsEchoOnlyAGivenReqId) {
  VenueServer venue;
  RawWsClient ws(venue.port(), Category::kSpot);
  ASSERT_FALSE(ws.error());
  const std::optional<json> ack = ws.exchange(subscribe({"kline.15.ETHUSDT"}));
  ASSERT_TRUE(ack);
  EXPECT_EQ((*ack)["ret_msg"], "subscribe");
  EXPECT_EQ(venue.subscriptions(Category::kSpot), std::vector<std::string>{"kline.15.ETHUSDT"});

  const std::optional<json> pong = ws.exchange({{"op", "ping"}});
  ASSERT_TRUE(pong);
  EXPECT_FALSE(pong->contains("req_id"));
  EXPECT_EQ((*pong)["ret_msg"], "pong");
}

TEST(VenueServer, PushKlineReachesOnlyClientsOfItsTopicInBybitShape) {
  VenueServer venue;
  RawWsClient five(venue.port(), Category::kLinear);
  RawWsClient one(venue.port(), Category::kLinear);
  RawWsClient spot(venue.port(), Category::kSpot);
  subscribe_ok(five, {"kline.5.BTCUSDT"});
  subscribe_ok(one, {"kline.1.BTCUSDT"});
  subscribe_ok(spot, {"kline.5.BTCUSDT"});

  const Bar bar = make_bar(kStart, 0);
  venue.push_kline(Category::kLinear, "BTCUSDT", Timeframe::k5m, bar, true);
  const RawWsClient::Frame frame = five.read();
  ASSERT_FALSE(frame.error);
  ASSERT_TRUE(is_usable_kline_frame(frame.text)) << frame.text;
  const nlohmann::ordered_json pushed = nlohmann::ordered_json::parse(frame.text);
  EXPECT_EQ(keys_in_order(pushed), (std::vector<std::string>{"topic", "data", "ts", "type"}));
  EXPECT_EQ(keys_in_order(pushed["data"][0]),
            (std::vector<std::string>{"start", "end", "interval", "open", "close", "high", "low",
                                      "volume", "turnover", "confirm", "timestamp"}));
  EXPECT_EQ(pushed["topic"], "kline.5.BTCUSDT");
  EXPECT_EQ(pushed["type"], "snapshot");
  const nlohmann::ordered_json& item = pushed["data"][0];
  EXPECT_EQ(item["start"], kStart);
  EXPECT_EQ(item["end"], kStart + kFiveMinutes - 1);
  EXPECT_EQ(item["interval"], "5");
  EXPECT_EQ(item["open"], "16649.5");
  EXPECT_EQ(item["close"], "16649.75");
  EXPECT_EQ(item["high"], "16677");
  EXPECT_EQ(item["low"], "16608");
  EXPECT_EQ(item["volume"], "2.081");
  EXPECT_EQ(item["turnover"], "34666.4005");
  EXPECT_EQ(item["confirm"], true);
  EXPECT_EQ(item["timestamp"], kStart + kFiveMinutes);
  EXPECT_EQ(pushed["ts"], kStart + kFiveMinutes);

  // The 1-minute and the spot clients did not get it: their next frames are their own.
  venue.push_kline(Category::kLinear, "BTCUSDT", Timeframe::k1m, bar, false);
  const std::optional<json> minute = one.read_json();
  ASSERT_TRUE(minute);
  EXPECT_EQ((*minute)["topic"], "kline.1.BTCUSDT");
  EXPECT_EQ((*minute)["data"][0]["confirm"], false);
  venue.push_raw(Category::kSpot, R"({"marker":1})");
  const std::optional<json> marker = spot.read_json();
  ASSERT_TRUE(marker);
  EXPECT_EQ(*marker, json({{"marker", 1}}));
}

TEST(VenueServer, PushRawReachesEveryClientOfTheCategory) {
  VenueServer venue;
  RawWsClient unsubscribed(venue.port(), Category::kLinear);
  RawWsClient spot(venue.port(), Category::kSpot);
  ASSERT_TRUE(venue.wait_for_ws_connections(2, kTimeout));
  const std::string delta =
      R"({"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT","bid1Price":"17215.50"},"cs":24987956059,"ts":1673272861686})";
  venue.push_raw(Category::kLinear, delta);
  venue.push_raw(Category::kSpot, "spot-only");
  EXPECT_EQ(unsubscribed.read().text, delta);
  EXPECT_EQ(spot.read().text, "spot-only");
}

// --- push faults ---

TEST(VenueServer, DuplicatePushesSendEveryPushTwice) {
  VenueServer venue;
  RawWsClient ws(venue.port(), Category::kLinear);
  subscribe_ok(ws, {"kline.5.BTCUSDT"});

  venue.set_duplicate_pushes(true);
  venue.push_kline(Category::kLinear, "BTCUSDT", Timeframe::k5m, make_bar(kStart, 0), true);
  venue.push_raw(Category::kLinear, "raw");
  const std::string first = ws.read().text;
  EXPECT_TRUE(is_usable_kline_frame(first));
  EXPECT_EQ(ws.read().text, first);
  EXPECT_EQ(ws.read().text, "raw");
  EXPECT_EQ(ws.read().text, "raw");

  venue.set_duplicate_pushes(false);
  venue.push_raw(Category::kLinear, "once");
  venue.push_raw(Category::kLinear, "next");
  EXPECT_EQ(ws.read().text, "once");
  EXPECT_EQ(ws.read().text, "next");
}

TEST(VenueServer, OutOfOrderPushesAreReleasedInSwappedPairs) {
  VenueServer venue;
  RawWsClient ws(venue.port(), Category::kLinear);
  subscribe_ok(ws, {"kline.5.BTCUSDT"});

  venue.set_out_of_order(true);
  for (int i = 0; i < 5; ++i) {
    venue.push_kline(Category::kLinear, "BTCUSDT", Timeframe::k5m,
                     make_bar(kStart + i * kFiveMinutes, i), true);
  }
  std::vector<TimestampMs> starts;
  for (int i = 0; i < 4; ++i) {
    const std::optional<json> frame = ws.read_json();
    ASSERT_TRUE(frame);
    starts.push_back((*frame)["data"][0]["start"].get<TimestampMs>());
  }
  EXPECT_EQ(starts,
            (std::vector<TimestampMs>{kStart + kFiveMinutes, kStart, kStart + 3 * kFiveMinutes,
                                      kStart + 2 * kFiveMinutes}));
  // The fifth is held until out-of-order is turned off.
  venue.set_out_of_order(false);
  const std::optional<json> fifth = ws.read_json();
  ASSERT_TRUE(fifth);
  EXPECT_EQ((*fifth)["data"][0]["start"], kStart + 4 * kFiveMinutes);
}

TEST(VenueServer, MalformedFramesAreNotUsableAndTheSessionSurvives) {
  VenueServer venue;
  RawWsClient ws(venue.port(), Category::kLinear);
  subscribe_ok(ws, {"kline.5.BTCUSDT"});

  venue.send_malformed(Category::kLinear, 7);
  int naming_topic = 0;
  for (int i = 0; i < 7; ++i) {
    const RawWsClient::Frame frame = ws.read();
    ASSERT_FALSE(frame.error) << frame.error.message();
    EXPECT_FALSE(is_usable_kline_frame(frame.text)) << frame.text;
    if (frame.text.find("kline.5.BTCUSDT") != std::string::npos) ++naming_topic;
  }
  EXPECT_GE(naming_topic, 4);
  venue.push_kline(Category::kLinear, "BTCUSDT", Timeframe::k5m, make_bar(kStart, 0), true);
  EXPECT_TRUE(is_usable_kline_frame(ws.read().text));
}

TEST(VenueServer, StallSilencesWebSocketAndIgnoresPings) {
  VenueServer venue;
  RawWsClient ws(venue.port(), Category::kLinear);
  subscribe_ok(ws, {"kline.5.BTCUSDT"});

  venue.stall(600ms);
  const auto stalled_at = std::chrono::steady_clock::now();
  ASSERT_FALSE(ws.send(json({{"req_id", "during"}, {"op", "ping"}}).dump()));
  ASSERT_FALSE(ws.send(subscribe({"tickers.BTCUSDT"}).dump()));
  venue.push_kline(Category::kLinear, "BTCUSDT", Timeframe::k5m, make_bar(kStart, 0), true);
  // A handshake during the stall is not answered either.
  RawWsClient late(venue.port(), Category::kLinear, 200ms);
  EXPECT_EQ(late.error(), beast::error::timeout);
  EXPECT_EQ(venue.ws_connections(), 1);

  std::this_thread::sleep_until(stalled_at + 700ms);
  EXPECT_EQ(venue.pings_received(), 1);
  EXPECT_EQ(venue.subscriptions(Category::kLinear), std::vector<std::string>{"kline.5.BTCUSDT"});
  // Afterwards the session works again, and nothing of the stall (pong, ack, push) arrives late:
  // the first frame is the one pushed now.
  venue.push_raw(Category::kLinear, "after");
  EXPECT_EQ(ws.read().text, "after");
  const std::optional<json> pong = ws.exchange({{"req_id", "after"}, {"op", "ping"}});
  ASSERT_TRUE(pong);
  EXPECT_EQ((*pong)["req_id"], "after");
  RawWsClient fresh(venue.port(), Category::kLinear);
  ASSERT_FALSE(fresh.error()) << fresh.error().message();
  subscribe_ok(fresh, {"kline.5.BTCUSDT"});
  venue.push_kline(Category::kLinear, "BTCUSDT", Timeframe::k5m, make_bar(kStart, 0), true);
  EXPECT_TRUE(is_usable_kline_frame(fresh.read().text));
  EXPECT_TRUE(is_usable_kline_frame(ws.read().text));
}

TEST(VenueServer, DestructorReturnsPromptlyWithStalledConnections) {
  auto venue = std::make_unique<VenueServer>();
  venue->set_klines(Category::kLinear, "BTCUSDT", Timeframe::k5m, make_bars(3));
  RawWsClient ws(venue->port(), Category::kLinear);
  subscribe_ok(ws, {"kline.5.BTCUSDT"});
  venue->stall(std::chrono::hours(1));

  RawHttpClient::Result stalled;
  std::thread asking([&, port = venue->port()] {
    RawHttpClient client(port);
    stalled = client.get(kline_target(""), 30s);
  });
  ASSERT_TRUE(venue->wait_for_http_requests(1, kTimeout));

  const auto started = std::chrono::steady_clock::now();
  venue.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  asking.join();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  EXPECT_TRUE(stalled.error);
  EXPECT_NE(stalled.error, beast::error::timeout);
  EXPECT_TRUE(ws.read().error);
}

// --- the shapes of the real samples in ../shared/data/fixtures/bybit ---

TEST(VenueServer, ServesFixtureInstrumentsWithCursorPaging) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  const std::filesystem::path fixtures = data / "fixtures" / "bybit";
  const json linear =
      json::parse(gauntlet::testing::read_file(fixtures / "http_get_instruments_linear.json"));
  const json spot =
      json::parse(gauntlet::testing::read_file(fixtures / "http_get_instruments_spot.json"));
  VenueServer venue;
  for (const json& instrument : linear["result"]["list"]) {
    venue.add_instrument(Category::kLinear, instrument);
  }
  for (const json& instrument : spot["result"]["list"]) {
    venue.add_instrument(Category::kSpot, instrument);
  }
  RawHttpClient client(venue.port());

  const json all = client.get("/v5/market/instruments-info?category=linear").body_json();
  EXPECT_EQ(all["retCode"], 0);
  EXPECT_EQ(all["result"]["category"], "linear");
  EXPECT_EQ(all["result"]["list"], linear["result"]["list"]);
  EXPECT_EQ(all["result"]["nextPageCursor"], "");

  json paged = json::array();
  std::string cursor;
  for (int page = 0; page < 5; ++page) {
    const json body = client
                          .get("/v5/market/instruments-info?category=linear&limit=1" +
                               (cursor.empty() ? "" : "&cursor=" + cursor))
                          .body_json();
    ASSERT_EQ(body["retCode"], 0) << body.dump();
    ASSERT_EQ(body["result"]["list"].size(), 1u);
    paged.push_back(body["result"]["list"][0]);
    cursor = body["result"]["nextPageCursor"].get<std::string>();
    if (cursor.empty()) break;
  }
  EXPECT_EQ(paged, linear["result"]["list"]);

  const json eth =
      client.get("/v5/market/instruments-info?category=linear&symbol=ETHUSDT").body_json();
  ASSERT_EQ(eth["result"]["list"].size(), 1u);
  EXPECT_EQ(eth["result"]["list"][0]["priceFilter"]["tickSize"], "0.05");
  // Spot has no paging: one page with everything.
  const json spot_all = client.get("/v5/market/instruments-info?category=spot&limit=1").body_json();
  EXPECT_EQ(spot_all["result"]["list"], spot["result"]["list"]);
  EXPECT_EQ(spot_all["result"]["nextPageCursor"], "");
  EXPECT_EQ(client.get("/v5/market/instruments-info?category=option").body_json()["retCode"],
            10001);
}

TEST(VenueServer, KlineRowsAndPushesMatchTheFixtures) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  const std::filesystem::path fixtures = data / "fixtures" / "bybit";
  const json rest =
      json::parse(gauntlet::testing::read_file(fixtures / "http_get_klines_linear.json"));
  const nlohmann::ordered_json push =
      nlohmann::ordered_json::parse(gauntlet::testing::read_file(fixtures / "ws_kline.json"));
  const json row = rest["result"]["list"][0];
  const nlohmann::ordered_json& item = push["data"][0];

  VenueServer venue;
  Bar from_rest;
  from_rest.open_time = std::stoll(row[0].get<std::string>());
  from_rest.open = Decimal::parse(row[1].get<std::string>());
  from_rest.high = Decimal::parse(row[2].get<std::string>());
  from_rest.low = Decimal::parse(row[3].get<std::string>());
  from_rest.close = Decimal::parse(row[4].get<std::string>());
  from_rest.volume = Decimal::parse(row[5].get<std::string>());
  from_rest.turnover = Decimal::parse(row[6].get<std::string>());
  venue.add_kline(Category::kLinear, "BTCUSDT", Timeframe::k1m, from_rest);
  RawHttpClient client(venue.port());
  const json served =
      client.get("/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1").body_json();
  EXPECT_EQ(served["result"], rest["result"]);
  for (const auto& [key, value] : rest.items()) EXPECT_TRUE(served.contains(key)) << key;

  Bar from_push;
  from_push.open_time = item["start"].get<TimestampMs>();
  from_push.open = Decimal::parse(item["open"].get<std::string>());
  from_push.high = Decimal::parse(item["high"].get<std::string>());
  from_push.low = Decimal::parse(item["low"].get<std::string>());
  from_push.close = Decimal::parse(item["close"].get<std::string>());
  from_push.volume = Decimal::parse(item["volume"].get<std::string>());
  from_push.turnover = Decimal::parse(item["turnover"].get<std::string>());
  RawWsClient ws(venue.port(), Category::kLinear);
  subscribe_ok(ws, {push["topic"].get<std::string>()});
  venue.push_kline(Category::kLinear, "BTCUSDT", Timeframe::k5m, from_push,
                   item["confirm"].get<bool>());
  nlohmann::ordered_json pushed = nlohmann::ordered_json::parse(ws.read().text);
  EXPECT_EQ(keys_in_order(pushed), keys_in_order(push));
  EXPECT_EQ(keys_in_order(pushed["data"][0]), keys_in_order(item));
  // Same message but for the wall-clock timestamps of an open bar.
  nlohmann::ordered_json expected = push;
  expected["ts"] = pushed["ts"];
  expected["data"][0]["timestamp"] = pushed["data"][0]["timestamp"];
  EXPECT_EQ(pushed, expected);
  EXPECT_GE(pushed["ts"].get<TimestampMs>(), item["start"].get<TimestampMs>());
  EXPECT_LE(pushed["ts"].get<TimestampMs>(), item["end"].get<TimestampMs>());
}

// --- the private API's seam ---

// A PrivateApi that records what it gets: answers POST /v5/order/create, throws on
// /v5/explode, leaves everything else to the server; opens sessions on /v5/private only.
class RecordingPrivateApi : public gauntlet::venues::bybit::PrivateApi {
 public:
  class Session : public gauntlet::venues::bybit::PrivateSession {
   public:
    Session(RecordingPrivateApi& api, gauntlet::venues::bybit::SendFrame send)
        : api_(api), send_(std::move(send)) {}
    ~Session() override { ++api_.sessions_closed; }
    void on_message(std::string_view text) override { send_("echo:" + std::string(text)); }

   private:
    RecordingPrivateApi& api_;
    gauntlet::venues::bybit::SendFrame send_;
  };

  std::optional<gauntlet::venues::bybit::RestResponse> handle_rest(
      const gauntlet::venues::bybit::RestRequest& request) override {
    std::lock_guard lock(mutex);
    requests.push_back(request);
    if (request.path == "/v5/explode") throw gauntlet::GauntletError("boom");
    if (request.method != "POST" || request.path != "/v5/order/create") return std::nullopt;
    return gauntlet::venues::bybit::RestResponse{
        201,
        R"({"retCode":0,"retMsg":"OK","result":{"orderId":"1"}})",
        {{"X-Bapi-Limit-Status", "9"}, {"X-Private", "yes"}}};
  }

  std::unique_ptr<gauntlet::venues::bybit::PrivateSession> open_session(
      std::string_view path, std::string_view query,
      gauntlet::venues::bybit::SendFrame send) override {
    std::lock_guard lock(mutex);
    opened.emplace_back(std::string(path), std::string(query));
    if (path != "/v5/private") return nullptr;
    last_send = send;
    return std::make_unique<Session>(*this, std::move(send));
  }

  std::mutex mutex;
  std::vector<gauntlet::venues::bybit::RestRequest> requests;
  std::vector<std::pair<std::string, std::string>> opened;
  gauntlet::venues::bybit::SendFrame last_send;
  std::atomic<int> sessions_closed{0};
};

TEST(VenueServer, WithoutAPrivateApiUnknownRoutesAndPrivateSocketsAre404) {
  VenueServer venue;
  RawHttpClient client(venue.port());
  const RawHttpClient::Result posted = client.post("/v5/order/create", R"({"symbol":"BTCUSDT"})");
  ASSERT_FALSE(posted.error) << posted.error.message();
  EXPECT_EQ(posted.response.result_int(), 404);
  EXPECT_EQ(posted.body_json()["retCode"], 10017);
  EXPECT_EQ(posted.header("X-Bapi-Limit"), "600");
  RawWsClient ws(venue.port(), std::string("/v5/private"));
  EXPECT_TRUE(ws.error());
  EXPECT_EQ(venue.ws_connections(), 0);
}

TEST(VenueServer, PrivateApiAnswersWhatThePublicRoutesDoNotServe) {
  VenueServer venue;
  venue.set_klines(Category::kLinear, "BTCUSDT", Timeframe::k5m, make_bars(3));
  auto api = std::make_shared<RecordingPrivateApi>();
  venue.set_private_api(api);
  RawHttpClient client(venue.port());

  const RawHttpClient::Result created =
      client.post("/v5/order/create?x=1", R"({"symbol":"BTCUSDT"})", {{"X-BAPI-API-KEY", "key-1"}});
  ASSERT_FALSE(created.error) << created.error.message();
  EXPECT_EQ(created.response.result_int(), 201);
  EXPECT_EQ(created.body_json()["result"]["orderId"], "1");
  EXPECT_EQ(created.header("Content-Type"), "application/json");
  EXPECT_EQ(created.header("X-Private"), "yes");
  EXPECT_EQ(created.header("X-Bapi-Limit-Status"), "9");  // the API's own wins
  EXPECT_EQ(created.header("X-Bapi-Limit"), "600");
  {
    std::lock_guard lock(api->mutex);
    ASSERT_EQ(api->requests.size(), 1u);
    const gauntlet::venues::bybit::RestRequest& request = api->requests[0];
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.path, "/v5/order/create");
    EXPECT_EQ(request.query, "x=1");
    EXPECT_EQ(request.body, R"({"symbol":"BTCUSDT"})");
    bool has_key = false;
    for (const auto& [name, value] : request.headers) {
      if (name == "X-BAPI-API-KEY" && value == "key-1") has_key = true;
    }
    EXPECT_TRUE(has_key);
  }

  // Public routes stay public; what the API declines is the server's 404; a throw is a 500.
  EXPECT_EQ(client.get(kline_target("")).body_json()["retCode"], 0);
  const RawHttpClient::Result declined = client.get("/v5/order/realtime?category=linear");
  EXPECT_EQ(declined.response.result_int(), 404);
  EXPECT_EQ(declined.body_json()["retCode"], 10017);
  const RawHttpClient::Result exploded = client.post("/v5/explode", "{}");
  EXPECT_EQ(exploded.response.result_int(), 500);
  EXPECT_EQ(exploded.body_json()["retCode"], 10016);
  std::lock_guard lock(api->mutex);
  EXPECT_EQ(api->requests.size(), 3u);  // the kline request never reached it
}

TEST(VenueServer, PrivateSessionsGetTheirMessagesAndSendFromAnyThread) {
  VenueServer venue;
  auto api = std::make_shared<RecordingPrivateApi>();
  venue.set_private_api(api);

  RawWsClient refused(venue.port(), std::string("/v5/trade"));
  EXPECT_TRUE(refused.error());
  RawWsClient ws(venue.port(), std::string("/v5/private?max_active_time=30s"));
  ASSERT_FALSE(ws.error()) << ws.error().message();
  EXPECT_TRUE(venue.wait_for_ws_connections(1, kTimeout));
  {
    std::lock_guard lock(api->mutex);
    ASSERT_EQ(api->opened.size(), 2u);
    EXPECT_EQ(api->opened[1],
              (std::pair<std::string, std::string>("/v5/private", "max_active_time=30s")));
  }
  ASSERT_FALSE(ws.send(R"({"op":"auth"})"));
  EXPECT_EQ(ws.read().text, R"(echo:{"op":"auth"})");
  gauntlet::venues::bybit::SendFrame send;
  {
    std::lock_guard lock(api->mutex);
    send = api->last_send;
  }
  std::thread([&] { send(R"({"topic":"order"})"); }).join();
  EXPECT_EQ(ws.read().text, R"({"topic":"order"})");
  // Public pushes and malformed frames do not reach a private session.
  venue.push_raw(Category::kLinear, "public");
  venue.send_malformed(Category::kLinear, 1);
  send("after");
  EXPECT_EQ(ws.read().text, "after");

  venue.drop_connections();
  EXPECT_TRUE(ws.read().error);
  EXPECT_EQ(api->sessions_closed, 1);
  EXPECT_EQ(venue.open_ws_connections(), 0);
  send("dropped");  // harmless once the connection is gone
}

TEST(VenueServer, PushTickerSendsASnapshotToItsSubscribers) {
  VenueServer venue;
  RawWsClient ws(venue.port(), Category::kLinear);
  subscribe_ok(ws, {"tickers.BTCUSDT"});
  const json ticker = {{"symbol", "BTCUSDT"}, {"lastPrice", "17216"}, {"markPrice", "17216"}};
  venue.push_ticker(Category::kLinear, ticker, kStart);
  venue.push_ticker(Category::kLinear, {{"symbol", "ETHUSDT"}, {"lastPrice", "1"}}, kStart);
  venue.push_raw(Category::kLinear, "marker");
  const std::optional<json> pushed = ws.read_json();
  ASSERT_TRUE(pushed);
  EXPECT_EQ(
      *pushed,
      json({{"topic", "tickers.BTCUSDT"}, {"type", "snapshot"}, {"data", ticker}, {"ts", kStart}}));
  EXPECT_EQ(ws.read().text, "marker");
}

TEST(VenueServer, ListensOnTheAddressAndPortAsked) {
  unsigned short port = 0;
  {
    VenueServer first;
    port = first.port();
  }
  VenueServer venue({"127.0.0.1", port, {}});
  EXPECT_EQ(venue.port(), port);
  EXPECT_EQ(venue.rest_url(), "http://127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(venue.public_ws_url(Category::kSpot),
            "ws://127.0.0.1:" + std::to_string(port) + "/v5/public/spot");
  EXPECT_THROW(VenueServer({"127.0.0.1", port, {}}), gauntlet::GauntletError);  // taken
  EXPECT_THROW(VenueServer({"localhost", 0, {}}), gauntlet::GauntletError);     // not an address
}

}  // namespace
