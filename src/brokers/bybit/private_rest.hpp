// File: brokers/bybit/private_rest.hpp
//
// PrivateRestClient: Bybit V5's private REST endpoints (bybit-v5.md §5-§7) as coroutines on the
// engine's io_context: orders (create, amend, cancel, cancel-all, open orders, one order by
// orderLinkId, history), executions, positions, leverage, position TP/SL, the unified wallet and
// fee rates. It signs, sends through RestClient::request_async, parses through
// private_parse.hpp and translates failures; the policy it applies is the one it is given:
// every request waits on the shared RequestBudget with the priority the caller names, and
// retries follow RetryPolicy through the one Backoff.
//
// Signing (§2): X-BAPI-API-KEY, X-BAPI-TIMESTAMP, X-BAPI-RECV-WINDOW, X-BAPI-SIGN (and
// X-BAPI-SIGN-TYPE 2); POST bodies go as Content-Type application/json. The query string or
// body signed is the one sent, byte for byte. The timestamp is the local clock plus the offset
// of Bybit's clock measured with GET /v5/market/time (half the round trip taken off), measured
// before the first request, again when `time_sync_interval` has passed, and at once on a
// retCode 10002, after which the request is signed anew and sent once more.
//
// Retries: a retryable failure (transport, HTTP 5xx/429/403, retCode 10006, 10016, 110079) is
// sent again after Backoff's delay, while attempts remain (`retry.max_attempts`, or
// `urgent_max_attempts` for cancels, protection and exits) and the delay stays within
// `max_retry_delay`, for the calls that are safe to repeat: every GET; create when it carries an
// orderLinkId (Bybit refuses a second order with it: a retry that meets 110072 or 170141
// reports kDuplicate, and the order the first attempt placed is the one that stands); cancel,
// cancel-all, amend, set-leverage and trading-stop, which set an absolute state (a repeat finds
// it set: 110001 / 34040 / 110043). A create without an orderLinkId is repeated only after
// refusals that prove it was not processed (10006, 429, 10002).
//
// Results: Parsed<T> (private_parse.hpp). kOk with the value; kVenueError with a BrokerFailure
// for any failure, not only a retCode: an HTTP status (http_failure, or bybit_failure of the
// body's retCode for a 4xx that carries one), a transport failure (code -1), the request budget
// not granting within `budget_wait` (code 10006, retryable, "request budget"); kMalformed for a
// 200 answer that cannot be read (not retried). Nothing here throws on what the venue answers.
// Listings merge every page (cursor) into one Page whose next_page_cursor is "".
//
// Threading: the io_context's thread only. The client must outlive its calls in flight; the
// RequestBudget is shared with every other client of the venue. GCC 12 destroys a braced
// aggregate temporary passed to a coroutine inside co_await twice: name the request first
// (`CancelOrderRequest cancel{...}; co_await client.cancel_order(std::move(cancel));`).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "brokers/bybit/private_parse.hpp"
#include "brokers/bybit/rest_client.hpp"
#include "brokers/bybit/signing.hpp"
#include "brokers/common/broker_errors.hpp"
#include "brokers/common/request_budget.hpp"
#include "core/asio.hpp"
#include "core/decimal.hpp"
#include "core/symbol.hpp"
#include "core/time.hpp"

namespace gauntlet::brokers::bybit {

struct PrivateRestConfig {
  RestConfig rest;  // base_url, request timeout, connection pool
  ApiCredentials credentials;
  DurationMs recv_window = kDefaultRecvWindow;
  DurationMs time_sync_interval = 10 * kMinuteMs;
  RetryPolicy retry;
  // The attempts of the calls that protect money (priorities kCancel, kProtection, kExit): a
  // cancel, a stop or a close keeps trying through a rate-limit storm long after an entry or a
  // read would have given up (with `retry`'s delays, 30 attempts are some four minutes).
  int urgent_max_attempts = 30;
  uint64_t retry_seed = 1;
  // A retry that would wait longer than this is not made: the failure is returned.
  DurationMs max_retry_delay = 30 * kSecondMs;
  // The longest wait for the request budget before a request is given up.
  DurationMs budget_wait = 60 * kSecondMs;
  // The most pages one listing reads (a cursor that never ends is malformed).
  int max_pages = 100;
  // CRITICAL_ERROR_CODES: failures with these codes are marked critical.
  std::vector<int> critical_codes;
  // The local wall clock in ms; the system clock when empty.
  std::function<TimestampMs()> local_clock;
};

// POST /v5/order/create. Optional fields are sent only when set.
struct CreateOrderRequest {
  Category category = Category::kLinear;
  Symbol symbol;
  OrderSide side = OrderSide::kBuy;
  OrderType order_type = OrderType::kLimit;  // kMarket or kLimit; triggers via trigger_price
  Decimal qty;
  std::optional<Decimal> price;  // Limit
  std::string time_in_force;     // GTC, IOC, FOK, PostOnly; "" leaves Bybit's default
  std::string order_link_id;     // the client order id; makes the create safe to repeat
  std::optional<Decimal> take_profit;
  std::optional<Decimal> stop_loss;
  std::string tp_trigger_by;  // LastPrice, MarkPrice, IndexPrice; "" leaves the default
  std::string sl_trigger_by;
  std::optional<Decimal> trigger_price;
  int trigger_direction = 0;  // 1 rises to, 2 falls to; 0 not sent
  bool reduce_only = false;   // linear only
  std::optional<int> position_idx;
  std::string market_unit;   // spot market orders: baseCoin or quoteCoin; "" leaves the default
  std::string order_filter;  // spot: Order, tpslOrder or StopOrder; "" leaves the default (Order)
};

// POST /v5/order/amend: the order by order_id, else by order_link_id.
struct AmendOrderRequest {
  Category category = Category::kLinear;
  Symbol symbol;
  std::string order_id;
  std::string order_link_id;
  std::optional<Decimal> qty;
  std::optional<Decimal> price;
  std::optional<Decimal> trigger_price;
  std::optional<Decimal> take_profit;  // zero removes it
  std::optional<Decimal> stop_loss;    // zero removes it
};

// POST /v5/order/cancel: the order by order_id, else by order_link_id.
struct CancelOrderRequest {
  Category category = Category::kLinear;
  Symbol symbol;
  std::string order_id;
  std::string order_link_id;
  std::string order_filter;  // spot: the order's filter (StopOrder ...); "" leaves the default
};

// POST /v5/position/trading-stop (linear, tpslMode Full).
struct TradingStopRequest {
  Symbol symbol;
  std::optional<Decimal> take_profit;  // zero cancels it
  std::optional<Decimal> stop_loss;    // zero cancels it
  std::string tp_trigger_by;           // "" leaves it
  std::string sl_trigger_by;
  int position_idx = 0;
};

// The outcome of a call that sets a state: changed false when it was already so (Bybit's 34040
// for trading-stop, 110043 for set-leverage), which is a success.
struct Applied {
  bool changed = true;
};

class PrivateRestClient {
 public:
  // Throws ConfigError for a bad base URL, timeout or empty credentials.
  PrivateRestClient(asio::io_context& loop, PrivateRestConfig config,
                    std::shared_ptr<RequestBudget> budget);
  ~PrivateRestClient();
  PrivateRestClient(const PrivateRestClient&) = delete;
  PrivateRestClient& operator=(const PrivateRestClient&) = delete;

  // ---- orders
  asio::awaitable<Parsed<OrderAck>> create_order(CreateOrderRequest order, Priority priority);
  asio::awaitable<Parsed<OrderAck>> amend_order(AmendOrderRequest amend, Priority priority);
  asio::awaitable<Parsed<OrderAck>> cancel_order(CancelOrderRequest cancel,
                                                 Priority priority = Priority::kCancel);
  // Every open order of the category (of `symbol`, or of every USDT contract for linear).
  asio::awaitable<Parsed<std::vector<OrderAck>>> cancel_all(Category category,
                                                            std::optional<Symbol> symbol,
                                                            Priority priority = Priority::kCancel);
  // Every open order, all pages, newest first as Bybit lists them.
  asio::awaitable<Parsed<Page<VenueOrder>>> open_orders(Category category,
                                                        std::optional<Symbol> symbol,
                                                        Priority priority);
  // The open spot conditional orders (orderFilter=StopOrder), every symbol, every page.
  asio::awaitable<Parsed<Page<VenueOrder>>> spot_stop_orders(Priority priority);
  // The order with this orderLinkId, open or recently closed (/v5/order/realtime); nullopt when
  // Bybit knows none.
  asio::awaitable<Parsed<std::optional<VenueOrder>>> order_by_link_id(Category category,
                                                                      Symbol symbol,
                                                                      std::string order_link_id,
                                                                      Priority priority);
  // Closed and open orders of Bybit's history window (the last 7 days), all pages, newest first.
  asio::awaitable<Parsed<Page<VenueOrder>>> order_history(Category category,
                                                          std::optional<Symbol> symbol,
                                                          Priority priority);

  // ---- executions, positions, account
  // Every execution with execTime >= since (ms), oldest first, each execId once; read in
  // windows of at most 7 days up to Bybit's now, all pages of each.
  asio::awaitable<Parsed<Page<Execution>>> executions_since(Category category, TimestampMs since,
                                                            Priority priority,
                                                            std::optional<Symbol> symbol = {});
  // Every execution of the order whose orderLinkId is `order_link_id` (Bybit's default window,
  // the last 7 days), oldest first: what an order the engine sent before a crash became.
  asio::awaitable<Parsed<Page<Execution>>> executions_of_order(Category category,
                                                               std::string order_link_id,
                                                               Priority priority);
  // Every linear USDT position (settleCoin=USDT), all pages.
  asio::awaitable<Parsed<Page<VenuePosition>>> positions(Priority priority);
  // Buy and sell leverage of a linear symbol.
  asio::awaitable<Parsed<Applied>> set_leverage(Symbol symbol, Decimal leverage, Priority priority);
  asio::awaitable<Parsed<Applied>> trading_stop(TradingStopRequest stop, Priority priority);
  // The UNIFIED account's wallet.
  asio::awaitable<Parsed<WalletBalance>> wallet_balance(Priority priority);
  asio::awaitable<Parsed<FeeRate>> fee_rate(Category category, Symbol symbol, Priority priority);

  // ---- the venue's clock
  // Measures the offset now (GET /v5/market/time through the budget); false when it could not.
  asio::awaitable<bool> sync_clock(Priority priority);
  // Bybit's clock minus the local one, as last measured (0 before the first measurement).
  DurationMs clock_offset() const;
  // Measurements made so far.
  std::size_t clock_syncs() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace gauntlet::brokers::bybit
