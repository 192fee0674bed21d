// PrivateRestClient against the local Bybit on 127.0.0.1 (VenueServer + ExchangeApi over an
// Exchange fed with bars): every call end to end with the figures derived by hand from the bars
// (slippage and impact are zero, so a market order fills at the next bar's open), pagination,
// the clock offset resynchronised after a 10002, a 10006 storm during which cancels still go
// first, 5xx retried, a lost answer to a create never making a second order, malformed bodies
// and a wrong secret reported. The ExchangeApi checks every signature, so each success also
// proves that the signed query or body is the one sent.
#include "brokers/bybit/private_rest.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "brokers/bybit/loop_helpers.hpp"
#include "venues/bybit/exchange.hpp"
#include "venues/bybit/exchange_fixture.hpp"
#include "venues/bybit/private_api.hpp"
#include "venues/bybit/venue_server.hpp"

namespace gauntlet::brokers::bybit {
namespace {

using namespace std::chrono_literals;
using testing::run_task;
using venues::bybit::Exchange;
using venues::bybit::ExchangeApi;
using venues::bybit::ExchangeOptions;
using venues::bybit::VenueServer;

const ApiCredentials kKeys{"key-a", "secret-a"};
const Symbol kBtc = Symbol::parse("BTCUSDT");

TimestampMs wall_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// An hour after the funding time 6 to 14 hours ago: recent (within Bybit's execution windows of
// the wall clock) and far from the next funding time, so no funding execution joins the fills.
TimestampMs start_time() {
  const TimestampMs eight_hours = 8 * kHourMs;
  const TimestampMs boundary = (wall_now() - 6 * kHourMs) / eight_hours * eight_hours;
  return boundary + kHourMs;
}

// The ExchangeApi behind a recorder: the private requests that reached it, in order, and an
// answer it can lose after the exchange processed the request (as a dropped response would).
class RecordingApi final : public venues::bybit::PrivateApi {
 public:
  explicit RecordingApi(std::shared_ptr<ExchangeApi> api) : api_(std::move(api)) {}

  std::optional<venues::bybit::RestResponse> handle_rest(
      const venues::bybit::RestRequest& request) override {
    std::optional<venues::bybit::RestResponse> response = api_->handle_rest(request);
    std::lock_guard lock(mutex_);
    if (response.has_value()) {
      paths_.push_back(request.path);
      last_ = request;
      if (lose_answers_ > 0) {
        --lose_answers_;
        return venues::bybit::RestResponse{503, "<html>503 Service Unavailable</html>", {}};
      }
    }
    return response;
  }
  std::unique_ptr<venues::bybit::PrivateSession> open_session(
      std::string_view path, std::string_view query, venues::bybit::SendFrame send) override {
    return api_->open_session(path, query, std::move(send));
  }

  void lose_next_answers(int count) {
    std::lock_guard lock(mutex_);
    lose_answers_ = count;
  }
  std::vector<std::string> paths() const {
    std::lock_guard lock(mutex_);
    return paths_;
  }
  int count(std::string_view path) const {
    std::lock_guard lock(mutex_);
    return static_cast<int>(std::count(paths_.begin(), paths_.end(), path));
  }
  venues::bybit::RestRequest last() const {
    std::lock_guard lock(mutex_);
    return last_;
  }

 private:
  std::shared_ptr<ExchangeApi> api_;
  mutable std::mutex mutex_;
  std::vector<std::string> paths_;
  venues::bybit::RestRequest last_;
  int lose_answers_ = 0;
};

std::optional<std::string> header(const venues::bybit::RestRequest& request,
                                  std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(),
                   [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      return value;
    }
  }
  return std::nullopt;
}

class PrivateRestLoopback : public ::testing::Test {
 protected:
  PrivateRestLoopback() : exchange(testing::hand_figure_options()), start(start_time()) {
    exchange.add_account(kKeys, Decimal::from_int(10'000));
    api = ExchangeApi::create(exchange);
    recorder = std::make_shared<RecordingApi>(api);
    server.set_private_api(recorder);
    exchange.on_bar(Category::kLinear, kBtc, testing::venue_bar(start, "100", "100", "100", "100"));
  }

  PrivateRestConfig config(ApiCredentials credentials = kKeys) {
    PrivateRestConfig c;
    c.rest.base_url = server.rest_url();
    c.rest.request_timeout_ms = 2'000;
    c.credentials = std::move(credentials);
    c.retry.initial_delay = 20;
    c.retry.max_delay = 200;
    c.retry.jitter = 0;
    c.local_clock = [this] { return wall_now() + skew.load(); };
    return c;
  }

  // A client on its own budget (Bybit's limits unless told), its clock offset measured.
  std::unique_ptr<PrivateRestClient> client(BudgetConfig limits = bybit_budget_config(),
                                            ApiCredentials credentials = kKeys) {
    budgets.push_back(std::make_shared<RequestBudget>(loop, std::move(limits)));
    auto made =
        std::make_unique<PrivateRestClient>(loop, config(std::move(credentials)), budgets.back());
    EXPECT_TRUE(run_task(loop, made->sync_clock(Priority::kMarketData)));
    return made;
  }

  template <class T>
  Parsed<T> run(asio::awaitable<Parsed<T>> task) {
    return run_task(loop, std::move(task));
  }

  CreateOrderRequest market(std::string link, OrderSide side, std::string_view qty) {
    CreateOrderRequest order;
    order.symbol = kBtc;
    order.side = side;
    order.order_type = OrderType::kMarket;
    order.qty = Decimal::parse(qty);
    order.order_link_id = std::move(link);
    return order;
  }
  CreateOrderRequest limit(std::string link, std::string_view price, std::string_view qty) {
    CreateOrderRequest order;
    order.symbol = kBtc;
    order.side = OrderSide::kBuy;
    order.order_type = OrderType::kLimit;
    order.price = Decimal::parse(price);
    order.qty = Decimal::parse(qty);
    order.time_in_force = "GTC";
    order.order_link_id = std::move(link);
    return order;
  }

  asio::io_context loop;
  Exchange exchange;
  VenueServer server;
  std::shared_ptr<ExchangeApi> api;
  std::shared_ptr<RecordingApi> recorder;
  std::vector<std::shared_ptr<RequestBudget>> budgets;
  std::atomic<int64_t> skew{0};
  const TimestampMs start;
};

TEST_F(PrivateRestLoopback, AMarketBuyFillsAndEveryReadShowsItsFigures) {
  auto rest = client();
  const Parsed<OrderAck> ack =
      run(rest->create_order(market("g-1", OrderSide::kBuy, "1"), Priority::kEntry));
  ASSERT_TRUE(ack.ok()) << ack.reason;
  EXPECT_EQ(ack.value.order_link_id, "g-1");
  EXPECT_FALSE(ack.value.order_id.empty());
  // The POST went signed, as JSON, with the recv window.
  const venues::bybit::RestRequest sent = recorder->last();
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(header(sent, "Content-Type"), "application/json");
  EXPECT_EQ(header(sent, "X-BAPI-RECV-WINDOW"), "5000");
  EXPECT_EQ(header(sent, "X-BAPI-API-KEY"), "key-a");
  EXPECT_EQ(sent.body,
            R"({"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Market",)"
            R"("qty":"1","orderLinkId":"g-1"})");

  exchange.on_bar(Category::kLinear, kBtc,
                  testing::venue_bar(start + kMinuteMs, "101", "102", "100", "101.5"));

  // Filled at the next open 101; taker fee 101 x 0.00055 = 0.05555.
  const Parsed<std::optional<VenueOrder>> order =
      run(rest->order_by_link_id(Category::kLinear, kBtc, "g-1", Priority::kProtection));
  ASSERT_TRUE(order.ok()) << order.reason;
  ASSERT_TRUE(order.value.has_value());
  EXPECT_EQ(order.value->order_id, ack.value.order_id);
  EXPECT_EQ(order.value->status, OrderStatus::kFilled);
  EXPECT_EQ(order.value->cum_exec_qty, Decimal::parse("1"));
  EXPECT_EQ(order.value->avg_price, Decimal::parse("101"));
  EXPECT_EQ(order.value->leaves_qty, Decimal::zero());

  const Parsed<Page<Execution>> fills =
      run(rest->executions_since(Category::kLinear, start - kDayMs, Priority::kMarketData));
  ASSERT_TRUE(fills.ok()) << fills.reason;
  ASSERT_EQ(fills.value.items.size(), 1u);
  const Execution& fill = fills.value.items[0];
  EXPECT_EQ(fill.order_link_id, "g-1");
  EXPECT_EQ(fill.exec_type, ExecType::kTrade);
  EXPECT_EQ(fill.side, OrderSide::kBuy);
  EXPECT_EQ(fill.exec_price, Decimal::parse("101"));
  EXPECT_EQ(fill.exec_qty, Decimal::parse("1"));
  EXPECT_EQ(fill.exec_value, Decimal::parse("101"));
  EXPECT_EQ(fill.exec_fee, Decimal::parse("0.05555"));
  EXPECT_EQ(fill.fee_rate, Decimal::parse("0.00055"));
  EXPECT_FALSE(fill.is_maker);
  EXPECT_GE(fill.exec_time, start + kMinuteMs);
  EXPECT_LE(fill.exec_time, start + 2 * kMinuteMs);
  // Nothing after the fill.
  const Parsed<Page<Execution>> none = run(
      rest->executions_since(Category::kLinear, fill.exec_time + 1, Priority::kMarketData, kBtc));
  ASSERT_TRUE(none.ok()) << none.reason;
  EXPECT_TRUE(none.value.items.empty());

  // Position 1 @ 101 marked at the close 101.5: +0.5; fee booked as realised -0.05555.
  const Parsed<Page<VenuePosition>> positions = run(rest->positions(Priority::kProtection));
  ASSERT_TRUE(positions.ok()) << positions.reason;
  ASSERT_EQ(positions.value.items.size(), 1u);
  const VenuePosition& held = positions.value.items[0];
  EXPECT_EQ(held.symbol, kBtc);
  EXPECT_EQ(held.side, OrderSide::kBuy);
  EXPECT_EQ(held.size, Decimal::parse("1"));
  EXPECT_EQ(held.avg_price, Decimal::parse("101"));
  EXPECT_EQ(held.unrealised_pnl, Decimal::parse("0.5"));
  EXPECT_EQ(held.cum_realised_pnl, Decimal::parse("-0.05555"));
  EXPECT_EQ(held.leverage, Decimal::parse("10"));

  // Wallet 10000 - 0.05555 = 9999.94445; equity + 0.5 = 10000.44445; available less the margin
  // 101 / 10 = 10.1: 9989.84445.
  const Parsed<WalletBalance> wallet = run(rest->wallet_balance(Priority::kMarketData));
  ASSERT_TRUE(wallet.ok()) << wallet.reason;
  EXPECT_EQ(wallet.value.account_type, "UNIFIED");
  EXPECT_EQ(wallet.value.total_wallet_balance, Decimal::parse("9999.94445"));
  EXPECT_EQ(wallet.value.total_equity, Decimal::parse("10000.44445"));
  EXPECT_EQ(wallet.value.total_available_balance, Decimal::parse("9989.84445"));
  EXPECT_EQ(wallet.value.total_perp_upl, Decimal::parse("0.5"));
  ASSERT_NE(wallet.value.find_coin("USDT"), nullptr);
  EXPECT_EQ(wallet.value.find_coin("USDT")->wallet_balance, Decimal::parse("9999.94445"));

  const Parsed<FeeRate> fee = run(rest->fee_rate(Category::kLinear, kBtc, Priority::kMarketData));
  ASSERT_TRUE(fee.ok()) << fee.reason;
  EXPECT_EQ(fee.value.taker_fee_rate, Decimal::parse("0.00055"));
  EXPECT_EQ(fee.value.maker_fee_rate, Decimal::parse("0.0002"));

  // Leverage and the position's TP/SL; a repeat of the same values is "not modified", a success.
  const Parsed<Applied> leverage =
      run(rest->set_leverage(kBtc, Decimal::from_int(5), Priority::kEntry));
  ASSERT_TRUE(leverage.ok()) << leverage.reason;
  EXPECT_TRUE(leverage.value.changed);
  const Parsed<Applied> same_leverage =
      run(rest->set_leverage(kBtc, Decimal::from_int(5), Priority::kEntry));
  ASSERT_TRUE(same_leverage.ok()) << same_leverage.reason;
  EXPECT_FALSE(same_leverage.value.changed);

  TradingStopRequest stop;
  stop.symbol = kBtc;
  stop.stop_loss = Decimal::parse("95");
  stop.take_profit = Decimal::parse("120");
  const Parsed<Applied> protect = run(rest->trading_stop(stop, Priority::kProtection));
  ASSERT_TRUE(protect.ok()) << protect.reason;
  EXPECT_TRUE(protect.value.changed);
  const Parsed<Applied> again = run(rest->trading_stop(stop, Priority::kProtection));
  ASSERT_TRUE(again.ok()) << again.reason;
  EXPECT_FALSE(again.value.changed);
  const Parsed<Page<VenuePosition>> protected_position =
      run(rest->positions(Priority::kProtection));
  ASSERT_TRUE(protected_position.ok()) << protected_position.reason;
  ASSERT_EQ(protected_position.value.items.size(), 1u);
  EXPECT_EQ(protected_position.value.items[0].stop_loss, Decimal::parse("95"));
  EXPECT_EQ(protected_position.value.items[0].take_profit, Decimal::parse("120"));
}

TEST_F(PrivateRestLoopback, ALimitOrderIsListedAmendedCancelledAndKeptInHistory) {
  auto rest = client();
  ASSERT_TRUE(run(rest->create_order(limit("g-2", "90", "0.5"), Priority::kEntry)).ok());
  Parsed<Page<VenueOrder>> open =
      run(rest->open_orders(Category::kLinear, std::nullopt, Priority::kMarketData));
  ASSERT_TRUE(open.ok()) << open.reason;
  ASSERT_EQ(open.value.items.size(), 1u);
  EXPECT_EQ(open.value.items[0].order_link_id, "g-2");
  EXPECT_EQ(open.value.items[0].status, OrderStatus::kNew);
  EXPECT_EQ(open.value.items[0].price, Decimal::parse("90"));
  EXPECT_EQ(open.value.items[0].qty, Decimal::parse("0.5"));

  AmendOrderRequest amend;
  amend.symbol = kBtc;
  amend.order_link_id = "g-2";
  amend.price = Decimal::parse("91");
  amend.qty = Decimal::parse("0.4");
  const Parsed<OrderAck> amended = run(rest->amend_order(amend, Priority::kEntry));
  ASSERT_TRUE(amended.ok()) << amended.reason;
  EXPECT_EQ(amended.value.order_link_id, "g-2");
  open = run(rest->open_orders(Category::kLinear, kBtc, Priority::kMarketData));
  ASSERT_TRUE(open.ok()) << open.reason;
  ASSERT_EQ(open.value.items.size(), 1u);
  EXPECT_EQ(open.value.items[0].price, Decimal::parse("91"));
  EXPECT_EQ(open.value.items[0].qty, Decimal::parse("0.4"));

  const Parsed<OrderAck> cancelled =
      run(rest->cancel_order({Category::kLinear, kBtc, "", "g-2", ""}));
  ASSERT_TRUE(cancelled.ok()) << cancelled.reason;
  EXPECT_EQ(cancelled.value.order_id, open.value.items[0].order_id);
  open = run(rest->open_orders(Category::kLinear, std::nullopt, Priority::kMarketData));
  ASSERT_TRUE(open.ok()) << open.reason;
  EXPECT_TRUE(open.value.items.empty());
  // Closed orders are still found by orderLinkId, and in the history.
  const Parsed<std::optional<VenueOrder>> closed =
      run(rest->order_by_link_id(Category::kLinear, kBtc, "g-2", Priority::kExit));
  ASSERT_TRUE(closed.ok()) << closed.reason;
  ASSERT_TRUE(closed.value.has_value());
  EXPECT_EQ(closed.value->status, OrderStatus::kCancelled);
  const Parsed<std::optional<VenueOrder>> unknown =
      run(rest->order_by_link_id(Category::kLinear, kBtc, "never-sent", Priority::kExit));
  ASSERT_TRUE(unknown.ok()) << unknown.reason;
  EXPECT_FALSE(unknown.value.has_value());
  const Parsed<Page<VenueOrder>> history =
      run(rest->order_history(Category::kLinear, kBtc, Priority::kMarketData));
  ASSERT_TRUE(history.ok()) << history.reason;
  ASSERT_EQ(history.value.items.size(), 1u);
  EXPECT_EQ(history.value.items[0].order_link_id, "g-2");
  EXPECT_EQ(history.value.items[0].status, OrderStatus::kCancelled);

  // A second cancel finds nothing to cancel: Bybit's 110001, a refusal, sent once.
  const int before = recorder->count("/v5/order/cancel");
  const Parsed<OrderAck> twice = run(rest->cancel_order({Category::kLinear, kBtc, "", "g-2", ""}));
  ASSERT_EQ(twice.status, ParseStatus::kVenueError);
  EXPECT_EQ(twice.failure.code, 110001);
  EXPECT_EQ(twice.failure.error_class, ErrorClass::kRejected);
  EXPECT_EQ(recorder->count("/v5/order/cancel"), before + 1);

  // cancel-all takes every open order of the symbol.
  ASSERT_TRUE(run(rest->create_order(limit("g-3", "80", "0.1"), Priority::kEntry)).ok());
  ASSERT_TRUE(run(rest->create_order(limit("g-4", "85", "0.1"), Priority::kEntry)).ok());
  const Parsed<std::vector<OrderAck>> all = run(rest->cancel_all(Category::kLinear, kBtc));
  ASSERT_TRUE(all.ok()) << all.reason;
  std::set<std::string> links;
  for (const OrderAck& cancelled_ack : all.value) links.insert(cancelled_ack.order_link_id);
  EXPECT_EQ(links, (std::set<std::string>{"g-3", "g-4"}));
  open = run(rest->open_orders(Category::kLinear, std::nullopt, Priority::kMarketData));
  ASSERT_TRUE(open.ok()) << open.reason;
  EXPECT_TRUE(open.value.items.empty());
}

TEST_F(PrivateRestLoopback, ListingsReadEveryPageAndExecutionsEveryWindowOldestFirst) {
  BudgetConfig roomy = bybit_budget_config();
  roomy.endpoints.push_back({"/v5/order/create@linear", 1'000, kSecondMs});
  auto rest = client(roomy);
  // 110 marketable limit buys of 0.001 at 200: three pages of open orders (50 a page).
  std::set<std::string> links;
  for (int i = 0; i < 110; ++i) {
    const std::string link = "p-" + std::to_string(i);
    const Parsed<OrderAck> ack =
        run(rest->create_order(limit(link, "200", "0.001"), Priority::kEntry));
    ASSERT_TRUE(ack.ok()) << i << ": " << ack.reason;
    links.insert(link);
  }
  const int realtime_before = recorder->count("/v5/order/realtime");
  const Parsed<Page<VenueOrder>> open =
      run(rest->open_orders(Category::kLinear, kBtc, Priority::kMarketData));
  ASSERT_TRUE(open.ok()) << open.reason;
  EXPECT_EQ(open.value.items.size(), 110u);
  EXPECT_EQ(recorder->count("/v5/order/realtime") - realtime_before, 3);

  // The next bar fills them all at its open 101: 110 executions, two pages of 100.
  exchange.on_bar(Category::kLinear, kBtc,
                  testing::venue_bar(start + kMinuteMs, "101", "102", "100", "101.5"));
  // Twenty days back: windows of 7 days (two empty ones, then the fills' with two pages).
  const int list_before = recorder->count("/v5/execution/list");
  const Parsed<Page<Execution>> fills = run(
      rest->executions_since(Category::kLinear, wall_now() - 20 * kDayMs, Priority::kMarketData));
  ASSERT_TRUE(fills.ok()) << fills.reason;
  EXPECT_EQ(recorder->count("/v5/execution/list") - list_before, 4);
  ASSERT_EQ(fills.value.items.size(), 110u);
  std::set<std::string> filled;
  std::set<std::string> ids;
  for (std::size_t i = 0; i < fills.value.items.size(); ++i) {
    const Execution& fill = fills.value.items[i];
    filled.insert(fill.order_link_id);
    ids.insert(fill.exec_id);
    EXPECT_EQ(fill.exec_price, Decimal::parse("101"));
    if (i > 0) {
      EXPECT_LE(fills.value.items[i - 1].exec_time, fill.exec_time);
    }
  }
  EXPECT_EQ(filled, links);
  EXPECT_EQ(ids.size(), 110u);
}

TEST_F(PrivateRestLoopback, AClockStepIsCaughtBy10002AndTheOffsetMeasuredAgain) {
  auto rest = client();
  EXPECT_EQ(rest->clock_syncs(), 1u);
  EXPECT_LT(std::abs(rest->clock_offset()), 1'000);

  // The local clock jumps 30 s ahead: the next request is refused (10002), the offset measured
  // again, the request signed anew and accepted.
  skew = 30'000;
  const uint64_t refused = api->refused_requests();
  const Parsed<WalletBalance> ahead = run(rest->wallet_balance(Priority::kMarketData));
  ASSERT_TRUE(ahead.ok()) << ahead.reason;
  EXPECT_EQ(api->refused_requests(), refused + 1);
  EXPECT_EQ(rest->clock_syncs(), 2u);
  EXPECT_NEAR(static_cast<double>(rest->clock_offset()), -30'000.0, 1'000.0);

  // And 20 s behind.
  skew = -20'000;
  const Parsed<OrderAck> created =
      run(rest->create_order(limit("skewed", "90", "0.1"), Priority::kEntry));
  ASSERT_TRUE(created.ok()) << created.reason;
  EXPECT_EQ(api->refused_requests(), refused + 2);
  EXPECT_EQ(rest->clock_syncs(), 3u);
  EXPECT_NEAR(static_cast<double>(rest->clock_offset()), 20'000.0, 1'000.0);
  // Two creates reached the exchange; the refused one created nothing.
  EXPECT_EQ(recorder->count("/v5/order/create"), 2);
  const Parsed<Page<VenueOrder>> open =
      run(rest->open_orders(Category::kLinear, kBtc, Priority::kMarketData));
  ASSERT_TRUE(open.ok()) << open.reason;
  ASSERT_EQ(open.value.items.size(), 1u);
  EXPECT_EQ(open.value.items[0].order_link_id, "skewed");
}

TEST_F(PrivateRestLoopback, A10002ThatAFreshMeasurementCannotFixIsReportedAfterOneRetry) {
  auto rest = client();
  // The venue's authentication clock runs a minute ahead of its /v5/market/time.
  auto skewed = ExchangeApi::create(exchange, [] { return wall_now() + kMinuteMs; });
  server.set_private_api(skewed);
  const int requests = server.http_requests();
  const Parsed<WalletBalance> wallet = run(rest->wallet_balance(Priority::kMarketData));
  ASSERT_EQ(wallet.status, ParseStatus::kVenueError);
  EXPECT_EQ(wallet.failure.code, 10002);
  EXPECT_EQ(skewed->refused_requests(), 2u);
  EXPECT_EQ(rest->clock_syncs(), 2u);
  EXPECT_EQ(server.http_requests() - requests, 3);  // refused, time, refused
}

TEST_F(PrivateRestLoopback, During10006StormCancelsStillGoFirst) {
  auto setup = client();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        run(setup->create_order(limit("c-" + std::to_string(i), "90", "0.1"), Priority::kEntry))
            .ok());
  }
  // A fresh client on a budget of 3 requests per 500 ms for the IP, one slot used by its clock
  // measurement: two wallet reads go at once and meet the storm (10006, the reset 300 ms
  // ahead), which blocks the wallet endpoint; they retry after it. When the window rolls, the
  // three cancels take its slots ahead of the waiting wallet reads.
  BudgetConfig tight = bybit_budget_config();
  tight.global_limit = 3;
  tight.global_window = 500;
  tight.global_reserve = {};
  auto rest = client(tight);
  server.rate_limit_next_http(2, 300ms);
  const int before_requests = server.http_requests();
  const std::vector<std::string> before = recorder->paths();
  std::vector<std::string> finished;
  int wallets_ok = 0;
  int cancels_ok = 0;
  for (int i = 0; i < 6; ++i) {
    asio::co_spawn(
        loop,
        [&]() -> asio::awaitable<void> {
          const Parsed<WalletBalance> wallet = co_await rest->wallet_balance(Priority::kMarketData);
          if (wallet.ok()) ++wallets_ok;
          finished.push_back("wallet");
        },
        asio::detached);
  }
  for (int i = 0; i < 3; ++i) {
    asio::co_spawn(
        loop,
        [&, i]() -> asio::awaitable<void> {
          // A named request: GCC 12 frees a braced temporary inside co_await twice.
          CancelOrderRequest request{Category::kLinear, kBtc, "", "c-" + std::to_string(i), ""};
          const Parsed<OrderAck> cancel = co_await rest->cancel_order(std::move(request));
          if (cancel.ok()) ++cancels_ok;
          finished.push_back("cancel");
        },
        asio::detached);
  }
  ASSERT_TRUE(testing::run_until(
      loop, [&] { return finished.size() == 9; }, 20s));
  EXPECT_EQ(wallets_ok, 6);
  EXPECT_EQ(cancels_ok, 3);
  // 6 wallet reads, 2 of them twice, and 3 cancels.
  EXPECT_EQ(server.http_requests() - before_requests, 11);
  // The three cancels were the first requests the exchange answered after the storm, and
  // finished before any wallet read.
  const std::vector<std::string> after = recorder->paths();
  ASSERT_EQ(after.size(), before.size() + 9);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(after[before.size() + i], "/v5/order/cancel") << i;
  EXPECT_EQ(std::vector<std::string>(finished.begin(), finished.begin() + 3),
            (std::vector<std::string>{"cancel", "cancel", "cancel"}));
}

TEST_F(PrivateRestLoopback, ServerErrorsAreRetriedUpToTheAttemptLimit) {
  auto rest = client();
  int requests = server.http_requests();
  server.fail_next_http(2, 503);
  const Parsed<WalletBalance> wallet = run(rest->wallet_balance(Priority::kMarketData));
  ASSERT_TRUE(wallet.ok()) << wallet.reason;
  EXPECT_EQ(server.http_requests() - requests, 3);

  // HTTP 429 blocks the endpoint in the budget and is retried after it.
  requests = server.http_requests();
  server.fail_next_http(1, 429);
  ASSERT_TRUE(run(rest->wallet_balance(Priority::kMarketData)).ok());
  EXPECT_EQ(server.http_requests() - requests, 2);

  // A create with an orderLinkId is retried after a 502 and placed once.
  server.fail_next_http(1, 502);
  ASSERT_TRUE(run(rest->create_order(limit("r-1", "90", "0.1"), Priority::kEntry)).ok());
  EXPECT_EQ(recorder->count("/v5/order/create"), 1);

  // Five attempts (RetryPolicy's default) and no more.
  requests = server.http_requests();
  server.fail_next_http(9, 500);
  const Parsed<WalletBalance> failed = run(rest->wallet_balance(Priority::kMarketData));
  ASSERT_EQ(failed.status, ParseStatus::kVenueError);
  EXPECT_EQ(failed.failure.code, 500);
  EXPECT_TRUE(failed.failure.retryable());
  EXPECT_EQ(server.http_requests() - requests, 5);
  server.fail_next_http(0);
}

TEST_F(PrivateRestLoopback, ALostAnswerToACreateNeverMakesASecondOrder) {
  auto rest = client();
  // The exchange places the order but the answer is lost (503): the retry meets 110072.
  recorder->lose_next_answers(1);
  const Parsed<OrderAck> created =
      run(rest->create_order(limit("dup-1", "90", "0.1"), Priority::kEntry));
  ASSERT_EQ(created.status, ParseStatus::kVenueError);
  EXPECT_EQ(created.failure.code, 110072);
  EXPECT_EQ(created.failure.error_class, ErrorClass::kDuplicate);
  EXPECT_EQ(recorder->count("/v5/order/create"), 2);
  const Parsed<Page<VenueOrder>> open =
      run(rest->open_orders(Category::kLinear, kBtc, Priority::kMarketData));
  ASSERT_TRUE(open.ok()) << open.reason;
  ASSERT_EQ(open.value.items.size(), 1u);
  EXPECT_EQ(open.value.items[0].order_link_id, "dup-1");

  // Without an orderLinkId a create is not repeated after an answer that may hide an order.
  CreateOrderRequest anonymous = limit("", "90", "0.1");
  const int requests = server.http_requests();
  server.fail_next_http(1, 503);
  const Parsed<OrderAck> unknown = run(rest->create_order(anonymous, Priority::kEntry));
  ASSERT_EQ(unknown.status, ParseStatus::kVenueError);
  EXPECT_EQ(unknown.failure.code, 503);
  EXPECT_EQ(server.http_requests() - requests, 1);
}

TEST_F(PrivateRestLoopback, MalformedBodiesAreReportedNotRetried) {
  auto rest = client();
  for (int variant = 0; variant < 6; ++variant) {
    const int requests = server.http_requests();
    server.set_malformed_http(1);
    const Parsed<WalletBalance> wallet = run(rest->wallet_balance(Priority::kMarketData));
    EXPECT_EQ(wallet.status, ParseStatus::kMalformed) << variant << ": " << wallet.reason;
    EXPECT_FALSE(wallet.reason.empty());
    EXPECT_EQ(server.http_requests() - requests, 1) << variant;
  }
  EXPECT_TRUE(run(rest->wallet_balance(Priority::kMarketData)).ok());
}

TEST_F(PrivateRestLoopback, AWrongSecretIsAFatal10004SentOnce) {
  auto rest = client(bybit_budget_config(), {"key-a", "not-the-secret"});
  const int requests = server.http_requests();
  const Parsed<WalletBalance> wallet = run(rest->wallet_balance(Priority::kMarketData));
  ASSERT_EQ(wallet.status, ParseStatus::kVenueError);
  EXPECT_EQ(wallet.failure.code, 10004);
  EXPECT_EQ(wallet.failure.error_class, ErrorClass::kFatal);
  EXPECT_EQ(server.http_requests() - requests, 1);
  const Parsed<OrderAck> order =
      run(rest->create_order(limit("x-1", "90", "0.1"), Priority::kEntry));
  EXPECT_EQ(order.failure.code, 10004);
  EXPECT_EQ(recorder->count("/v5/order/create"), 1);
  const venues::bybit::Reply orders = exchange.handle(
      kKeys.key, "GET", "/v5/order/realtime", {{"category", "linear"}, {"symbol", "BTCUSDT"}}, {});
  EXPECT_TRUE(orders.result.at("list").empty());
}

}  // namespace
}  // namespace gauntlet::brokers::bybit
