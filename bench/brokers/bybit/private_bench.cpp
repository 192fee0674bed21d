// File: bench/brokers/bybit/private_bench.cpp
//
// The Bybit private side, in one binary with its anchors so that the ratios come from one run.
//
// Parsing: PrivateMessageParser on the real private pushes of the shared fixtures
// (fixtures/bybit/ws_account_{order,execution,position,wallet}.json), minified as they arrive
// on the wire, each turned into one record for the sink. The anchor is the public parser as
// bench_bybit_public_parse measures it: public_parse_bench.cpp is compiled into this binary
// (bench/brokers/bybit/CMakeLists.txt), so BM_Kline, BM_TickerSnapshot, BM_TickerDelta and
// BM_Mix run here unchanged, beside BM_PrivateFrameParse/<topic>.
//
// Round trips: a PrivateRestClient on this thread's io_context against the local Bybit
// (VenueServer + ExchangeApi + Exchange, in-process on 127.0.0.1, the server on its own I/O
// thread). BM_SignedOrderRoundTrip times one signed POST /v5/order/create of a limit buy far
// below the market (it rests) until its acknowledgement is parsed; the order is cancelled
// outside the timed region. BM_SignedCancelRoundTrip times the cancel of such an order, placed
// outside the timed region. So at most one order rests at a time. Each iteration's duration is
// recorded (manual time) and the p50 / p99 reported as counters in microseconds. The anchor,
// BM_Anchor_UnsignedTimeRoundTrip, is the same client, budget and connection doing an unsigned
// GET /v5/market/time that the server answers itself (no signature check, no exchange): the
// loopback HTTP round trip and the client's own path without signing or the venue.
// BM_TradeSocketOrderRoundTrip times the same order's create over the venue's /v5/trade
// WebSocket instead (a blocking Beast client, one authenticated connection): what order entry
// over the socket would save.
//
// Rate limits are out of the picture (Bybit's 10 creates/s would make this a benchmark of
// waiting): the venue's per-key limits are off and the client's request budget has limits that
// never bind, but its acquire() and the venue's bookkeeping are still paid on every request.
//
// Data: $GAUNTLET_SHARED_DATA, else /work/shared/data, else ../shared/data.
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Asio only through core/asio.hpp, which puts <utility> first; Beast after it.
// clang-format off
#include "core/asio.hpp"
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
// clang-format on
#include <nlohmann/json.hpp>

#include "brokers/bybit/private_parse.hpp"
#include "brokers/bybit/private_rest.hpp"
#include "brokers/bybit/signing.hpp"
#include "brokers/common/request_budget.hpp"
#include "fixtures.hpp"
#include "venues/bybit/exchange.hpp"
#include "venues/bybit/private_api.hpp"
#include "venues/bybit/venue_server.hpp"

namespace gauntlet::brokers::bybit {
namespace {

// ---- private frames

class CountingSink final : public PrivateEventSink {
 public:
  void on_order(const VenueOrder& order) override { consume(order.qty); }
  void on_execution(const Execution& execution) override { consume(execution.exec_qty); }
  void on_position(const VenuePosition& position) override { consume(position.size); }
  void on_wallet(const WalletBalance& wallet) override { consume(wallet.total_equity); }
  int64_t total = 0;

 private:
  void consume(Decimal value) { total += value.raw(); }
};

void BM_PrivateFrameParse(benchmark::State& state, const char* fixture) {
  const std::string frame = bench::minified_fixture(fixture);
  PrivateMessageParser parser;
  CountingSink sink;
  for (auto _ : state) {
    const PrivateParseResult result = parser.parse(frame, sink);
    if (result.kind != FrameKind::kData || result.records != 1) {
      state.SkipWithError(("frame did not parse into one record: " + result.reason).c_str());
      break;
    }
  }
  benchmark::DoNotOptimize(sink.total);
  state.SetLabel(std::to_string(frame.size()) + " B a frame");
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(frame.size()));
  state.counters["msgs_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK_CAPTURE(BM_PrivateFrameParse, order, "ws_account_order.json");
BENCHMARK_CAPTURE(BM_PrivateFrameParse, execution, "ws_account_execution.json");
BENCHMARK_CAPTURE(BM_PrivateFrameParse, position, "ws_account_position.json");
BENCHMARK_CAPTURE(BM_PrivateFrameParse, wallet, "ws_account_wallet.json");

// ---- round trips to the local Bybit

using venues::bybit::Exchange;
using venues::bybit::ExchangeApi;
using venues::bybit::VenueServer;

constexpr int kRoundTrips = 2'000;
constexpr int kWarmUp = 100;
const ApiCredentials kKeys{"bench-key", "bench-secret"};
const Symbol kBtc = Symbol::parse("BTCUSDT");

TimestampMs wall_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The ExchangeApi without Bybit's per-key limits (10 creates/s would make this a benchmark of
// 10006 and the retries), its X-Bapi-Limit* headers left out so that the server's own stand
// (600 a window, 599 left): with enforcement off the venue's would still say 0 left after the
// tenth request of a second, and the client's budget would wait for the reset.
class UnlimitedApi final : public venues::bybit::PrivateApi {
 public:
  explicit UnlimitedApi(std::shared_ptr<ExchangeApi> api) : api_(std::move(api)) {
    api_->enforce_rate_limits(false);
  }

  std::optional<venues::bybit::RestResponse> handle_rest(
      const venues::bybit::RestRequest& request) override {
    std::optional<venues::bybit::RestResponse> response = api_->handle_rest(request);
    if (response.has_value()) {
      std::erase_if(response->extra_headers, [](const venues::bybit::HttpHeader& header) {
        return header.first.starts_with("X-Bapi-Limit");
      });
    }
    return response;
  }
  std::unique_ptr<venues::bybit::PrivateSession> open_session(
      std::string_view path, std::string_view query, venues::bybit::SendFrame send) override {
    return api_->open_session(path, query, std::move(send));
  }

 private:
  std::shared_ptr<ExchangeApi> api_;
};

// Limits that never bind: the server's X-Bapi-Limit (600) replaces an endpoint's limit but keeps
// its window, here 1 ms.
BudgetConfig unbounded_budget() {
  BudgetConfig config;
  config.endpoints = {{"/v5/order/create", 1'000'000, 1},
                      {"/v5/order/cancel", 1'000'000, 1},
                      {"/v5/market/time", 1'000'000, 1}};
  config.global_limit = 1'000'000'000;
  config.global_window = kSecondMs;
  return config;
}

// Runs `task` on `loop` (this thread) until it finishes; rethrows its exception.
template <class T>
T run_task(asio::io_context& loop, asio::awaitable<T> task) {
  std::optional<T> result;
  std::exception_ptr error;
  bool done = false;
  asio::co_spawn(loop, std::move(task), [&](std::exception_ptr thrown, T value) {
    error = thrown;
    if (!thrown) result.emplace(std::move(value));
    done = true;
  });
  loop.restart();
  while (!done) {
    if (loop.run_one() == 0) throw std::runtime_error("the loop ran out of work");
  }
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

// The local Bybit with one funded account and BTCUSDT at 100, and a client of it whose clock
// offset is measured and whose connection is open.
class Loopback {
 public:
  Loopback() {
    exchange_.add_account(kKeys, Decimal::from_int(1'000'000));
    server_.set_private_api(std::make_shared<UnlimitedApi>(ExchangeApi::create(exchange_)));
    Bar bar;
    bar.open_time = (wall_now() / kMinuteMs - 1) * kMinuteMs;
    bar.open = bar.high = bar.low = bar.close = Decimal::from_int(100);
    bar.volume = Decimal::from_int(1'000'000);
    exchange_.on_bar(Category::kLinear, kBtc, bar);

    PrivateRestConfig config;
    config.rest.base_url = server_.rest_url();
    config.rest.request_timeout_ms = 2'000;
    config.credentials = kKeys;
    client_ = std::make_unique<PrivateRestClient>(
        loop_, std::move(config), std::make_shared<RequestBudget>(loop_, unbounded_budget()));
    if (!run_task(loop_, client_->sync_clock(Priority::kMarketData))) {
      throw std::runtime_error("the clock offset was not measured");
    }
  }

  // A buy of 0.001 at 50, half the market: it rests.
  Parsed<OrderAck> create() {
    CreateOrderRequest order;
    order.symbol = kBtc;
    order.side = OrderSide::kBuy;
    order.order_type = OrderType::kLimit;
    order.price = Decimal::from_int(50);
    order.qty = Decimal::parse("0.001");
    order.time_in_force = "GTC";
    order.order_link_id = "bench-" + std::to_string(next_link_++);
    return run_task(loop_, client_->create_order(std::move(order), Priority::kEntry));
  }

  Parsed<OrderAck> cancel(const OrderAck& ack) {
    CancelOrderRequest cancel{Category::kLinear, kBtc, ack.order_id, "", ""};
    return run_task(loop_, client_->cancel_order(std::move(cancel)));
  }

  bool time_round_trip() { return run_task(loop_, client_->sync_clock(Priority::kMarketData)); }
  unsigned short port() const { return server_.port(); }

 private:
  Exchange exchange_;
  VenueServer server_;
  asio::io_context loop_;
  std::unique_ptr<PrivateRestClient> client_;
  int next_link_ = 1;
};

using Clock = std::chrono::steady_clock;

// Records each iteration's duration as its manual time and, at the end, the p50 / p99.
class Samples {
 public:
  explicit Samples(std::size_t expected) { micros_.reserve(expected); }

  void add(benchmark::State& state, Clock::time_point start, Clock::time_point end) {
    const double seconds = std::chrono::duration<double>(end - start).count();
    state.SetIterationTime(seconds);
    micros_.push_back(seconds * 1e6);
  }

  void report(benchmark::State& state) {
    if (micros_.empty()) return;
    std::sort(micros_.begin(), micros_.end());
    state.counters["p50_us"] = percentile(0.50);
    state.counters["p99_us"] = percentile(0.99);
    state.counters["max_us"] = micros_.back();
  }

 private:
  // Nearest rank.
  double percentile(double p) const {
    const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(micros_.size())));
    return micros_[std::clamp<std::size_t>(rank, 1, micros_.size()) - 1];
  }

  std::vector<double> micros_;
};

bool check(benchmark::State& state, const Parsed<OrderAck>& parsed, const char* what) {
  if (parsed.ok()) return true;
  state.SkipWithError((std::string(what) + " failed: " + parsed.reason).c_str());
  return false;
}

// Create and cancel untimed, so the connection is warm and the first allocations are made.
bool warm_up(benchmark::State& state, Loopback& venue) {
  for (int i = 0; i < kWarmUp; ++i) {
    const Parsed<OrderAck> ack = venue.create();
    if (!check(state, ack, "create") || !check(state, venue.cancel(ack.value), "cancel")) {
      return false;
    }
  }
  return true;
}

void BM_SignedOrderRoundTrip(benchmark::State& state) {
  Loopback venue;
  if (!warm_up(state, venue)) return;
  Samples samples(kRoundTrips);
  for (auto _ : state) {
    const Clock::time_point start = Clock::now();
    const Parsed<OrderAck> ack = venue.create();
    const Clock::time_point end = Clock::now();
    if (!check(state, ack, "create")) break;
    samples.add(state, start, end);
    if (!check(state, venue.cancel(ack.value), "cancel")) break;
  }
  samples.report(state);
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("POST /v5/order/create, signed, resting limit");
}
BENCHMARK(BM_SignedOrderRoundTrip)
    ->UseManualTime()
    ->Iterations(kRoundTrips)
    ->Unit(benchmark::kMicrosecond);

void BM_SignedCancelRoundTrip(benchmark::State& state) {
  Loopback venue;
  if (!warm_up(state, venue)) return;
  Samples samples(kRoundTrips);
  for (auto _ : state) {
    const Parsed<OrderAck> ack = venue.create();
    if (!check(state, ack, "create")) break;
    const Clock::time_point start = Clock::now();
    const Parsed<OrderAck> cancelled = venue.cancel(ack.value);
    const Clock::time_point end = Clock::now();
    if (!check(state, cancelled, "cancel")) break;
    samples.add(state, start, end);
  }
  samples.report(state);
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("POST /v5/order/cancel, signed, of a resting order");
}
BENCHMARK(BM_SignedCancelRoundTrip)
    ->UseManualTime()
    ->Iterations(kRoundTrips)
    ->Unit(benchmark::kMicrosecond);

// Order entry over the /v5/trade WebSocket of the same venue: a blocking Beast client on one
// authenticated connection sends order.create (JSON built and parsed with nlohmann) and reads
// the answer. The engine's broker sends orders over REST; this says what the socket would save.
class TradeSocket {
 public:
  explicit TradeSocket(unsigned short port) : socket_(io_) {
    namespace beast = boost::beast;
    asio::ip::tcp::socket& tcp = beast::get_lowest_layer(socket_).socket();
    tcp.connect({asio::ip::make_address("127.0.0.1"), port});
    tcp.set_option(asio::ip::tcp::no_delay(true));
    socket_.handshake("127.0.0.1", "/v5/trade");
    const TimestampMs expires = wall_now() + 60'000;
    const nlohmann::json auth = {
        {"op", "auth"}, {"args", {kKeys.key, expires, sign_ws_auth(kKeys.secret, expires)}}};
    if (ask(auth).value("retCode", -1) != 0) throw std::runtime_error("/v5/trade auth refused");
  }

  // A resting buy, as Loopback::create(); the venue's orderId, "" when refused.
  std::string create() {
    const nlohmann::json order = {{"op", "order.create"},
                                  {"reqId", "r-" + std::to_string(++sequence_)},
                                  {"header", {{"X-BAPI-TIMESTAMP", std::to_string(wall_now())}}},
                                  {"args",
                                   {{{"category", "linear"},
                                     {"symbol", "BTCUSDT"},
                                     {"side", "Buy"},
                                     {"orderType", "Limit"},
                                     {"qty", "0.001"},
                                     {"price", "50"},
                                     {"timeInForce", "GTC"},
                                     {"orderLinkId", "bench-ws-" + std::to_string(sequence_)}}}}};
    const nlohmann::json answer = ask(order);
    if (answer.value("retCode", -1) != 0) return "";
    return answer["data"].value("orderId", "");
  }

  bool cancel(const std::string& order_id) {
    const nlohmann::json cancel = {
        {"op", "order.cancel"},
        {"reqId", "r-" + std::to_string(++sequence_)},
        {"header", {{"X-BAPI-TIMESTAMP", std::to_string(wall_now())}}},
        {"args", {{{"category", "linear"}, {"symbol", "BTCUSDT"}, {"orderId", order_id}}}}};
    return ask(cancel).value("retCode", -1) == 0;
  }

 private:
  nlohmann::json ask(const nlohmann::json& message) {
    socket_.write(asio::buffer(message.dump()));
    buffer_.clear();
    socket_.read(buffer_);
    return nlohmann::json::parse(boost::beast::buffers_to_string(buffer_.data()), nullptr, false);
  }

  asio::io_context io_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> socket_;
  boost::beast::flat_buffer buffer_;
  int sequence_ = 0;
};

void BM_TradeSocketOrderRoundTrip(benchmark::State& state) {
  Loopback venue;
  if (!warm_up(state, venue)) return;
  TradeSocket socket(venue.port());
  for (int i = 0; i < kWarmUp; ++i) {
    const std::string id = socket.create();
    if (id.empty() || !socket.cancel(id)) {
      state.SkipWithError("order.create / order.cancel over /v5/trade failed");
      return;
    }
  }
  Samples samples(kRoundTrips);
  for (auto _ : state) {
    const Clock::time_point start = Clock::now();
    const std::string id = socket.create();
    const Clock::time_point end = Clock::now();
    if (id.empty()) {
      state.SkipWithError("order.create over /v5/trade failed");
      break;
    }
    samples.add(state, start, end);
    if (!socket.cancel(id)) {
      state.SkipWithError("order.cancel over /v5/trade failed");
      break;
    }
  }
  samples.report(state);
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("order.create over /v5/trade, resting limit");
}
BENCHMARK(BM_TradeSocketOrderRoundTrip)
    ->UseManualTime()
    ->Iterations(kRoundTrips)
    ->Unit(benchmark::kMicrosecond);

// Anchor: the same client's unsigned GET /v5/market/time, answered by the server itself.
void BM_Anchor_UnsignedTimeRoundTrip(benchmark::State& state) {
  Loopback venue;
  if (!warm_up(state, venue)) return;
  Samples samples(kRoundTrips);
  for (auto _ : state) {
    const Clock::time_point start = Clock::now();
    const bool measured = venue.time_round_trip();
    const Clock::time_point end = Clock::now();
    if (!measured) {
      state.SkipWithError("GET /v5/market/time failed");
      break;
    }
    samples.add(state, start, end);
  }
  samples.report(state);
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("anchor: GET /v5/market/time, unsigned, no exchange");
}
BENCHMARK(BM_Anchor_UnsignedTimeRoundTrip)
    ->UseManualTime()
    ->Iterations(kRoundTrips)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace gauntlet::brokers::bybit
