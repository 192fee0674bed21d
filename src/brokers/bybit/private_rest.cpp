#include "brokers/bybit/private_rest.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <set>
#include <unordered_set>
#include <utility>

#include "brokers/bybit/json_fields.hpp"
#include "core/exceptions.hpp"
#include "core/logging.hpp"

namespace gauntlet::brokers::bybit {
namespace {

constexpr std::string_view kTimePath = "/v5/market/time";
constexpr int kTimestampRejected = 10002;
constexpr int kRateLimited = 10006;
constexpr int kParamError = 10001;
constexpr int kNotModified = 34040;
constexpr int kLeverageNotModified = 110043;
// Bybit keeps two years of executions; a window of 7 days at most per request.
constexpr DurationMs kExecutionWindow = 7 * kDayMs;
constexpr DurationMs kExecutionRetention = 730 * kDayMs;
// After a failed clock measurement, the next one waits this long (unless a 10002 asks).
constexpr DurationMs kSyncRetryDelay = kSecondMs;

using Params = std::vector<std::pair<std::string, std::string>>;

// Which failures a call may be sent again after.
enum class Repeat {
  kAlways,           // safe to repeat: GET, create with an orderLinkId, absolute-state POSTs
  kUnprocessedOnly,  // only after refusals that prove the venue did not process it
};

struct Call {
  HttpMethod method = HttpMethod::kGet;
  std::string path;
  std::string endpoint;  // the budget's name
  Params params;         // GET
  std::string cursor;    // GET, sent last, as Bybit gave it
  std::string body;      // POST
  Priority priority = Priority::kMarketData;
  Repeat repeat = Repeat::kAlways;
};

std::string endpoint_of(std::string_view path, Category category) {
  return fmt::format("{}@{}", path, to_string(category));
}

// A JSON object in the order the fields are added. Values are strings (escaped) or raw JSON.
class JsonBody {
 public:
  JsonBody& text(std::string_view key, std::string_view value) {
    open(key);
    quote(value);
    return *this;
  }
  JsonBody& raw(std::string_view key, std::string_view value) {
    open(key);
    out_ += value;
    return *this;
  }
  std::string str() const { return out_.empty() ? std::string("{}") : out_ + "}"; }

 private:
  void open(std::string_view key) {
    out_ += out_.empty() ? "{" : ",";
    quote(key);
    out_ += ':';
  }
  void quote(std::string_view text) {
    out_ += '"';
    for (const char c : text) {
      switch (c) {
        case '"':
          out_ += "\\\"";
          break;
        case '\\':
          out_ += "\\\\";
          break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            fmt::format_to(std::back_inserter(out_), "\\u{:04x}", static_cast<unsigned>(c));
          } else {
            out_ += c;
          }
      }
    }
    out_ += '"';
  }

  std::string out_;
};

bool is_url_safe(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~' || c == '%';
}

// A cursor as Bybit gave it: already percent-encoded ("page_args%3D..."), so '%' passes; any
// other unsafe character is encoded.
std::string encode_cursor(std::string_view cursor) {
  std::string out;
  for (const char c : cursor) {
    if (is_url_safe(c)) {
      out += c;
    } else {
      fmt::format_to(std::back_inserter(out), "%{:02X}", static_cast<unsigned char>(c));
    }
  }
  return out;
}

std::string side_name(OrderSide side) {
  return side == OrderSide::kBuy ? "Buy" : "Sell";
}

template <class T>
Parsed<T> failed(BrokerFailure failure) {
  Parsed<T> out;
  out.status = ParseStatus::kVenueError;
  out.reason = failure.message;
  out.failure = std::move(failure);
  return out;
}

template <class T>
Parsed<T> malformed(std::string reason) {
  Parsed<T> out;
  out.status = ParseStatus::kMalformed;
  out.reason = std::move(reason);
  return out;
}

template <class T>
Parsed<T> ok(T value) {
  Parsed<T> out;
  out.status = ParseStatus::kOk;
  out.value = std::move(value);
  return out;
}

// A body whose result carries nothing the engine reads (set-leverage, trading-stop): `quiet`
// retCodes mean the state was already so.
Parsed<Applied> parse_applied(std::string_view body, std::string_view what,
                              std::initializer_list<int> quiet) {
  simdjson::dom::parser parser;
  const internal::Envelope envelope = internal::read_envelope(parser, body);
  if (!envelope.problem.empty()) {
    return malformed<Applied>(fmt::format("bybit {}: {}", what, envelope.problem));
  }
  const int code = envelope.ret_code_int();
  if (code == 0) return ok(Applied{true});
  if (std::find(quiet.begin(), quiet.end(), code) != quiet.end()) return ok(Applied{false});
  BrokerFailure failure = bybit_failure(code, std::string(envelope.ret_message));
  Parsed<Applied> out = failed<Applied>(std::move(failure));
  out.reason = fmt::format("bybit {}: retCode {}: {}", what, code, envelope.ret_message);
  return out;
}

// The retCode of a body, when it is a V5 envelope.
std::optional<int> ret_code_of(std::string_view body) {
  simdjson::dom::parser parser;
  const internal::Envelope envelope = internal::read_envelope(parser, body);
  if (!envelope.problem.empty()) return std::nullopt;
  return envelope.ret_code_int();
}

// The failure of a non-200 answer: Bybit's retCode when a 4xx other than 403/429 carries one,
// the HTTP status otherwise.
BrokerFailure status_failure(const Call& call, int status, std::string_view body) {
  const std::string where = fmt::format("bybit {} {}", to_string(call.method), call.path);
  if (status != 403 && status != 429 && status < 500) {
    simdjson::dom::parser parser;
    const internal::Envelope envelope = internal::read_envelope(parser, body);
    if (envelope.problem.empty() && envelope.ret_code != 0) {
      return bybit_failure(envelope.ret_code_int(),
                           fmt::format("{}: HTTP {}, retCode {}: {}", where, status,
                                       envelope.ret_code, envelope.ret_message));
    }
  }
  return http_failure(status, fmt::format("{}: HTTP {}: {}", where, status, internal::clip(body)));
}

bool proves_unprocessed(const BrokerFailure& failure) {
  return failure.code == kRateLimited || failure.code == kTimestampRejected || failure.code == 429;
}

}  // namespace

struct PrivateRestClient::Impl : std::enable_shared_from_this<PrivateRestClient::Impl> {
  // One attempt's outcome: a failure, or a 200 answer's body for the parser.
  struct Attempt {
    std::optional<BrokerFailure> failure;
    bool budget_refused = false;
    std::string body;
    DurationMs reset_in = 0;  // the rate-limit reset still ahead, ms
  };

  Impl(asio::io_context& loop, PrivateRestConfig config, std::shared_ptr<RequestBudget> budget)
      : loop(loop),
        config(std::move(config)),
        budget(std::move(budget)),
        rest(loop, this->config.rest),
        log(module_logger("bybit_private_rest")) {
    std::vector<std::string> problems;
    if (this->config.credentials.empty()) {
      problems.push_back("credentials: the API key and secret must not be empty");
    }
    if (this->config.recv_window <= 0) {
      problems.push_back(
          fmt::format("recv_window: must be positive (got {})", this->config.recv_window));
    }
    if (this->config.max_pages <= 0) {
      problems.push_back(
          fmt::format("max_pages: must be positive (got {})", this->config.max_pages));
    }
    if (this->budget == nullptr) problems.push_back("budget: a RequestBudget is required");
    if (!problems.empty()) throw ConfigError(problems);
  }

  TimestampMs local_now() const {
    if (config.local_clock) return config.local_clock();
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  TimestampMs venue_now() const { return local_now() + offset; }

  BrokerFailure mark(BrokerFailure failure) const {
    failure.critical = std::find(config.critical_codes.begin(), config.critical_codes.end(),
                                 failure.code) != config.critical_codes.end();
    return failure;
  }

  // Feeds an answer to the budget, its reset time moved onto the budget's clock; returns how
  // far ahead the reset lies.
  DurationMs feed_budget(std::string_view endpoint, const HttpReply& reply) {
    BudgetResponse response;
    response.http_status = reply.status;
    response.ret_code = ret_code_of(reply.body).value_or(0);
    response.limit = reply.rate_limit.limit;
    response.remaining = reply.rate_limit.remaining;
    DurationMs reset_in = 0;
    if (reply.rate_limit.reset_time.has_value()) {
      reset_in = *reply.rate_limit.reset_time - venue_now();
      response.reset_time = budget->now() + reset_in;
    }
    budget->on_response(endpoint, response);
    return std::max<DurationMs>(reset_in, 0);
  }

  asio::awaitable<void> sleep(DurationMs delay) {
    asio::steady_timer timer(loop);
    timer.expires_after(std::chrono::milliseconds(delay));
    boost::system::error_code ignored;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }

  // ---- the venue's clock

  asio::awaitable<bool> sync(Priority priority) {
    if (syncing) {
      // One measurement at a time: wait for the one in flight.
      auto waiter = std::make_shared<asio::steady_timer>(loop);
      waiter->expires_at(asio::steady_timer::time_point::max());
      sync_waiters.push_back(waiter);
      boost::system::error_code ignored;
      co_await waiter->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      co_return last_sync_ok;
    }
    syncing = true;
    bool measured = false;
    const std::string endpoint(kTimePath);
    if (co_await budget->acquire(priority, endpoint, config.budget_wait)) {
      HttpRequest request;
      request.path = std::string(kTimePath);
      const TimestampMs sent = local_now();
      try {
        const HttpReply reply = co_await rest.request_async(std::move(request));
        const TimestampMs received = local_now();
        feed_budget(endpoint, reply);
        if (reply.status == 200) {
          const TimestampMs server = parse_server_time(reply.body);
          offset = server - (sent + received) / 2;
          measured = true;
          ++syncs;
          log->debug("clock offset measured offset_ms={} round_trip_ms={}", offset,
                     received - sent);
        } else {
          log->warn("clock offset not measured: HTTP {}", reply.status);
        }
      } catch (const std::exception& error) {
        log->warn("clock offset not measured: {}", error.what());
      }
    }
    next_sync = local_now() + (measured ? config.time_sync_interval : kSyncRetryDelay);
    last_sync_ok = measured;
    syncing = false;
    for (const auto& waiter : sync_waiters) waiter->cancel();
    sync_waiters.clear();
    co_return measured;
  }

  asio::awaitable<void> ensure_synced(Priority priority) {
    if (syncs == 0 || local_now() >= next_sync) co_await sync(priority);
  }

  // ---- one request

  asio::awaitable<Attempt> send_once(const Call& call) {
    Attempt attempt;
    if (!co_await budget->acquire(call.priority, call.endpoint, config.budget_wait)) {
      attempt.budget_refused = true;
      BrokerFailure failure = bybit_failure(
          kRateLimited, fmt::format("bybit {} {}: request budget: not granted within {} ms",
                                    to_string(call.method), call.path, config.budget_wait));
      attempt.failure = mark(std::move(failure));
      co_return attempt;
    }
    const bool post = call.method == HttpMethod::kPost;
    HttpRequest request;
    request.method = call.method;
    request.path = call.path;
    if (post) {
      request.body = call.body;
    } else {
      request.query = encode_query(call.params);
      if (!call.cursor.empty()) {
        request.query +=
            (request.query.empty() ? "cursor=" : "&cursor=") + encode_cursor(call.cursor);
      }
    }
    const TimestampMs timestamp = venue_now();
    const std::string& payload = post ? request.body : request.query;
    request.headers = {
        {"X-BAPI-API-KEY", config.credentials.key},
        {"X-BAPI-TIMESTAMP", std::to_string(timestamp)},
        {"X-BAPI-RECV-WINDOW", std::to_string(config.recv_window)},
        {"X-BAPI-SIGN", sign_rest(config.credentials, timestamp, config.recv_window, payload)},
        {"X-BAPI-SIGN-TYPE", "2"},
    };
    if (post) request.headers.emplace_back("Content-Type", "application/json");
    HttpReply reply;
    try {
      reply = co_await rest.request_async(std::move(request));
    } catch (const std::exception& error) {
      attempt.failure = mark(transport_failure(error.what()));
      co_return attempt;
    }
    attempt.reset_in = feed_budget(call.endpoint, reply);
    if (reply.status != 200) {
      BrokerFailure failure = status_failure(call, reply.status, reply.body);
      if (failure.code == 429)
        failure.retry_after = std::max(failure.retry_after, attempt.reset_in);
      attempt.failure = mark(std::move(failure));
      co_return attempt;
    }
    attempt.body = std::move(reply.body);
    co_return attempt;
  }

  // One call: the budget, signing, the answer parsed, the retries.
  template <class T, class Parse>
  asio::awaitable<Parsed<T>> perform(Call call, Parse parse) {
    RetryPolicy policy = config.retry;
    if (call.priority <= Priority::kExit)
      policy.max_attempts = std::max(policy.max_attempts, config.urgent_max_attempts);
    Backoff backoff(policy, config.retry_seed + backoffs++);
    bool resynced = false;
    bool repeated = false;
    for (;;) {
      co_await ensure_synced(call.priority);
      Attempt attempt = co_await send_once(call);
      BrokerFailure failure;
      if (attempt.failure.has_value()) {
        failure = std::move(*attempt.failure);
      } else {
        Parsed<T> parsed = parse(attempt.body);
        if (parsed.status != ParseStatus::kVenueError) co_return parsed;
        failure = mark(std::move(parsed.failure));
        failure.message = std::move(parsed.reason);
        if (failure.code == kRateLimited) {
          failure.retry_after = std::max(failure.retry_after, attempt.reset_in);
        }
        if (failure.error_class == ErrorClass::kDuplicate && repeated) {
          failure.message += " (a repeat after an unanswered attempt: the first one placed it)";
        }
      }
      if (attempt.budget_refused) co_return failed<T>(std::move(failure));
      if (failure.code == kTimestampRejected) {
        // Once: a second refusal after a fresh measurement is not a clock the client can fix.
        if (resynced) co_return failed<T>(std::move(failure));
        resynced = true;
        log->info("timestamp refused (10002): measuring the clock offset again path={}", call.path);
        co_await sync(call.priority);
        repeated = true;
        continue;
      }
      const bool may_repeat = call.repeat == Repeat::kAlways || proves_unprocessed(failure);
      const std::optional<DurationMs> delay =
          may_repeat ? backoff.next(failure) : std::optional<DurationMs>();
      if (!delay.has_value() || *delay > config.max_retry_delay) {
        co_return failed<T>(std::move(failure));
      }
      log->info("retrying path={} code={} attempt={} delay_ms={}", call.path, failure.code,
                backoff.attempts(), *delay);
      co_await sleep(*delay);
      repeated = true;
    }
  }

  // Every page of a listing, merged.
  template <class T, class Parse>
  asio::awaitable<Parsed<Page<T>>> all_pages(Call base, Parse parse) {
    Page<T> all;
    std::set<std::string> seen;
    std::string cursor;
    for (int page = 0;; ++page) {
      if (page >= config.max_pages) {
        co_return malformed<Page<T>>(
            fmt::format("bybit {}: more than {} pages", base.path, config.max_pages));
      }
      Call call = base;
      call.cursor = cursor;
      Parsed<Page<T>> got = co_await perform<Page<T>>(std::move(call), parse);
      if (!got.ok()) co_return got;
      all.items.insert(all.items.end(), std::make_move_iterator(got.value.items.begin()),
                       std::make_move_iterator(got.value.items.end()));
      all.skipped.insert(all.skipped.end(), std::make_move_iterator(got.value.skipped.begin()),
                         std::make_move_iterator(got.value.skipped.end()));
      if (got.value.next_page_cursor.empty()) break;
      if (!seen.insert(got.value.next_page_cursor).second) {
        co_return malformed<Page<T>>(fmt::format("bybit {}: cursor \"{}\" came back", base.path,
                                                 internal::clip(got.value.next_page_cursor)));
      }
      cursor = std::move(got.value.next_page_cursor);
    }
    co_return ok(std::move(all));
  }

  Call get(std::string_view path, std::string endpoint, Params params, Priority priority) const {
    Call call;
    call.method = HttpMethod::kGet;
    call.path.assign(path);
    call.endpoint = std::move(endpoint);
    call.params = std::move(params);
    call.priority = priority;
    return call;
  }

  Call post(std::string_view path, std::string endpoint, std::string body, Priority priority,
            Repeat repeat) const {
    Call call;
    call.method = HttpMethod::kPost;
    call.path.assign(path);
    call.endpoint = std::move(endpoint);
    call.body = std::move(body);
    call.priority = priority;
    call.repeat = repeat;
    return call;
  }

  asio::io_context& loop;
  const PrivateRestConfig config;
  std::shared_ptr<RequestBudget> budget;
  RestClient rest;
  std::shared_ptr<spdlog::logger> log;
  DurationMs offset = 0;
  std::size_t syncs = 0;
  TimestampMs next_sync = 0;
  bool syncing = false;
  bool last_sync_ok = false;
  std::vector<std::shared_ptr<asio::steady_timer>> sync_waiters;
  uint64_t backoffs = 0;
};

PrivateRestClient::PrivateRestClient(asio::io_context& loop, PrivateRestConfig config,
                                     std::shared_ptr<RequestBudget> budget)
    : impl_(std::make_shared<Impl>(loop, std::move(config), std::move(budget))) {}

PrivateRestClient::~PrivateRestClient() = default;

// ---- orders

asio::awaitable<Parsed<OrderAck>> PrivateRestClient::create_order(CreateOrderRequest order,
                                                                  Priority priority) {
  const auto impl = impl_;
  const bool stop =
      order.order_type == OrderType::kStopMarket || order.order_type == OrderType::kStopLimit;
  const bool market =
      order.order_type == OrderType::kMarket || order.order_type == OrderType::kStopMarket;
  if (stop && !order.trigger_price.has_value()) {
    co_return failed<OrderAck>(bybit_failure(
        kParamError, "bybit order/create: a stop order needs trigger_price (not sent)"));
  }
  if (!market && !order.price.has_value()) {
    co_return failed<OrderAck>(
        bybit_failure(kParamError, "bybit order/create: a Limit order needs a price (not sent)"));
  }
  JsonBody body;
  body.text("category", to_string(order.category))
      .text("symbol", order.symbol.canonical())
      .text("side", side_name(order.side))
      .text("orderType", market ? "Market" : "Limit")
      .text("qty", order.qty.to_string());
  if (!market) body.text("price", order.price->to_string());
  if (!order.time_in_force.empty()) body.text("timeInForce", order.time_in_force);
  if (!order.order_link_id.empty()) body.text("orderLinkId", order.order_link_id);
  if (order.position_idx.has_value()) body.raw("positionIdx", std::to_string(*order.position_idx));
  if (order.reduce_only) body.raw("reduceOnly", "true");
  if (order.take_profit.has_value()) body.text("takeProfit", order.take_profit->to_string());
  if (order.stop_loss.has_value()) body.text("stopLoss", order.stop_loss->to_string());
  if (!order.tp_trigger_by.empty()) body.text("tpTriggerBy", order.tp_trigger_by);
  if (!order.sl_trigger_by.empty()) body.text("slTriggerBy", order.sl_trigger_by);
  if (order.trigger_price.has_value()) {
    body.text("triggerPrice", order.trigger_price->to_string());
    if (order.trigger_direction != 0) {
      body.raw("triggerDirection", std::to_string(order.trigger_direction));
    }
  }
  if (!order.market_unit.empty()) body.text("marketUnit", order.market_unit);
  if (!order.order_filter.empty()) body.text("orderFilter", order.order_filter);
  // With an orderLinkId a repeat cannot place a second order: Bybit answers 110072/170141.
  const Repeat repeat = order.order_link_id.empty() ? Repeat::kUnprocessedOnly : Repeat::kAlways;
  co_return co_await impl->perform<OrderAck>(
      impl->post("/v5/order/create", endpoint_of("/v5/order/create", order.category), body.str(),
                 priority, repeat),
      [](std::string_view text) { return parse_order_ack(text); });
}

asio::awaitable<Parsed<OrderAck>> PrivateRestClient::amend_order(AmendOrderRequest amend,
                                                                 Priority priority) {
  const auto impl = impl_;
  JsonBody body;
  body.text("category", to_string(amend.category)).text("symbol", amend.symbol.canonical());
  if (!amend.order_id.empty()) {
    body.text("orderId", amend.order_id);
  } else {
    body.text("orderLinkId", amend.order_link_id);
  }
  if (amend.qty.has_value()) body.text("qty", amend.qty->to_string());
  if (amend.price.has_value()) body.text("price", amend.price->to_string());
  if (amend.trigger_price.has_value()) body.text("triggerPrice", amend.trigger_price->to_string());
  if (amend.take_profit.has_value()) body.text("takeProfit", amend.take_profit->to_string());
  if (amend.stop_loss.has_value()) body.text("stopLoss", amend.stop_loss->to_string());
  co_return co_await impl->perform<OrderAck>(
      impl->post("/v5/order/amend", endpoint_of("/v5/order/amend", amend.category), body.str(),
                 priority, Repeat::kAlways),
      [](std::string_view text) { return parse_order_ack(text); });
}

asio::awaitable<Parsed<OrderAck>> PrivateRestClient::cancel_order(CancelOrderRequest cancel,
                                                                  Priority priority) {
  const auto impl = impl_;
  JsonBody body;
  body.text("category", to_string(cancel.category)).text("symbol", cancel.symbol.canonical());
  if (!cancel.order_id.empty()) {
    body.text("orderId", cancel.order_id);
  } else {
    body.text("orderLinkId", cancel.order_link_id);
  }
  if (!cancel.order_filter.empty()) body.text("orderFilter", cancel.order_filter);
  co_return co_await impl->perform<OrderAck>(
      impl->post("/v5/order/cancel", endpoint_of("/v5/order/cancel", cancel.category), body.str(),
                 priority, Repeat::kAlways),
      [](std::string_view text) { return parse_order_ack(text); });
}

asio::awaitable<Parsed<std::vector<OrderAck>>> PrivateRestClient::cancel_all(
    Category category, std::optional<Symbol> symbol, Priority priority) {
  const auto impl = impl_;
  JsonBody body;
  body.text("category", to_string(category));
  if (symbol.has_value()) {
    body.text("symbol", symbol->canonical());
  } else if (category == Category::kLinear) {
    body.text("settleCoin", "USDT");
  }
  co_return co_await impl->perform<std::vector<OrderAck>>(
      impl->post("/v5/order/cancel-all", endpoint_of("/v5/order/cancel-all", category), body.str(),
                 priority, Repeat::kAlways),
      [](std::string_view text) { return parse_cancel_all(text); });
}

asio::awaitable<Parsed<Page<VenueOrder>>> PrivateRestClient::open_orders(
    Category category, std::optional<Symbol> symbol, Priority priority) {
  const auto impl = impl_;
  Params params = {{"category", std::string(to_string(category))}};
  if (symbol.has_value()) {
    params.emplace_back("symbol", symbol->canonical());
  } else if (category == Category::kLinear) {
    params.emplace_back("settleCoin", "USDT");
  }
  params.emplace_back("openOnly", "0");
  params.emplace_back("limit", "50");
  co_return co_await impl->all_pages<VenueOrder>(
      impl->get("/v5/order/realtime", endpoint_of("/v5/order/realtime", category),
                std::move(params), priority),
      [category](std::string_view text) { return parse_order_list(text, category); });
}

asio::awaitable<Parsed<Page<VenueOrder>>> PrivateRestClient::spot_stop_orders(Priority priority) {
  const auto impl = impl_;
  Params params = {
      {"category", "spot"}, {"openOnly", "0"}, {"orderFilter", "StopOrder"}, {"limit", "50"}};
  co_return co_await impl->all_pages<VenueOrder>(
      impl->get("/v5/order/realtime", endpoint_of("/v5/order/realtime", Category::kSpot),
                std::move(params), priority),
      [](std::string_view text) { return parse_order_list(text, Category::kSpot); });
}

asio::awaitable<Parsed<std::optional<VenueOrder>>> PrivateRestClient::order_by_link_id(
    Category category, Symbol symbol, std::string order_link_id, Priority priority) {
  const auto impl = impl_;
  Params params = {{"category", std::string(to_string(category))},
                   {"symbol", symbol.canonical()},
                   {"orderLinkId", order_link_id}};
  Parsed<Page<VenueOrder>> page = co_await impl->perform<Page<VenueOrder>>(
      impl->get("/v5/order/realtime", endpoint_of("/v5/order/realtime", category),
                std::move(params), priority),
      [category](std::string_view text) { return parse_order_list(text, category); });
  Parsed<std::optional<VenueOrder>> out;
  out.status = page.status;
  out.failure = std::move(page.failure);
  out.reason = std::move(page.reason);
  if (page.ok()) {
    for (VenueOrder& order : page.value.items) {
      if (order.order_link_id == order_link_id) {
        out.value = std::move(order);
        break;
      }
    }
  }
  co_return out;
}

asio::awaitable<Parsed<Page<VenueOrder>>> PrivateRestClient::order_history(
    Category category, std::optional<Symbol> symbol, Priority priority) {
  const auto impl = impl_;
  Params params = {{"category", std::string(to_string(category))}};
  if (symbol.has_value()) {
    params.emplace_back("symbol", symbol->canonical());
  } else if (category == Category::kLinear) {
    params.emplace_back("settleCoin", "USDT");
  }
  params.emplace_back("limit", "50");
  co_return co_await impl->all_pages<VenueOrder>(
      impl->get("/v5/order/history", endpoint_of("/v5/order/history", category), std::move(params),
                priority),
      [category](std::string_view text) { return parse_order_list(text, category); });
}

// ---- executions, positions, account

asio::awaitable<Parsed<Page<Execution>>> PrivateRestClient::executions_of_order(
    Category category, std::string order_link_id, Priority priority) {
  const auto impl = impl_;
  Params params = {{"category", std::string(to_string(category))},
                   {"orderLinkId", std::move(order_link_id)},
                   {"limit", "100"}};
  Parsed<Page<Execution>> all = co_await impl->all_pages<Execution>(
      impl->get("/v5/execution/list", endpoint_of("/v5/execution/list", category),
                std::move(params), priority),
      [category](std::string_view text) { return parse_execution_list(text, category); });
  // Bybit lists newest first.
  if (all.ok()) std::reverse(all.value.items.begin(), all.value.items.end());
  co_return all;
}

asio::awaitable<Parsed<Page<Execution>>> PrivateRestClient::executions_since(
    Category category, TimestampMs since, Priority priority, std::optional<Symbol> symbol) {
  const auto impl = impl_;
  co_await impl->ensure_synced(priority);
  const TimestampMs until = impl->venue_now();
  since = std::max(since, until - kExecutionRetention);
  Page<Execution> all;
  for (TimestampMs start = since; start <= until; start += kExecutionWindow + 1) {
    const TimestampMs end = std::min(start + kExecutionWindow, until);
    Params params = {{"category", std::string(to_string(category))}};
    if (symbol.has_value()) params.emplace_back("symbol", symbol->canonical());
    params.emplace_back("startTime", std::to_string(start));
    params.emplace_back("endTime", std::to_string(end));
    params.emplace_back("limit", "100");
    Parsed<Page<Execution>> window = co_await impl->all_pages<Execution>(
        impl->get("/v5/execution/list", endpoint_of("/v5/execution/list", category),
                  std::move(params), priority),
        [category](std::string_view text) { return parse_execution_list(text, category); });
    if (!window.ok()) co_return window;
    // Bybit lists newest first: reversed, the windows follow one another oldest first.
    all.items.insert(all.items.end(), std::make_move_iterator(window.value.items.rbegin()),
                     std::make_move_iterator(window.value.items.rend()));
    all.skipped.insert(all.skipped.end(), std::make_move_iterator(window.value.skipped.begin()),
                       std::make_move_iterator(window.value.skipped.end()));
  }
  std::unordered_set<std::string> seen;
  std::erase_if(all.items, [&](const Execution& execution) {
    return execution.exec_time < since || !seen.insert(execution.exec_id).second;
  });
  std::stable_sort(all.items.begin(), all.items.end(), [](const Execution& a, const Execution& b) {
    return a.exec_time < b.exec_time;
  });
  co_return ok(std::move(all));
}

asio::awaitable<Parsed<Page<VenuePosition>>> PrivateRestClient::positions(Priority priority) {
  const auto impl = impl_;
  Params params = {{"category", "linear"}, {"settleCoin", "USDT"}, {"limit", "200"}};
  co_return co_await impl->all_pages<VenuePosition>(
      impl->get("/v5/position/list", endpoint_of("/v5/position/list", Category::kLinear),
                std::move(params), priority),
      [](std::string_view text) { return parse_position_list(text, Category::kLinear); });
}

asio::awaitable<Parsed<Applied>> PrivateRestClient::set_leverage(Symbol symbol, Decimal leverage,
                                                                 Priority priority) {
  const auto impl = impl_;
  JsonBody body;
  body.text("category", "linear")
      .text("symbol", symbol.canonical())
      .text("buyLeverage", leverage.to_string())
      .text("sellLeverage", leverage.to_string());
  co_return co_await impl->perform<Applied>(
      impl->post("/v5/position/set-leverage",
                 endpoint_of("/v5/position/set-leverage", Category::kLinear), body.str(), priority,
                 Repeat::kAlways),
      [](std::string_view text) {
        return parse_applied(text, "position/set-leverage", {kLeverageNotModified});
      });
}

asio::awaitable<Parsed<Applied>> PrivateRestClient::trading_stop(TradingStopRequest stop,
                                                                 Priority priority) {
  const auto impl = impl_;
  JsonBody body;
  body.text("category", "linear")
      .text("symbol", stop.symbol.canonical())
      .text("tpslMode", "Full")
      .raw("positionIdx", std::to_string(stop.position_idx));
  if (stop.take_profit.has_value()) body.text("takeProfit", stop.take_profit->to_string());
  if (stop.stop_loss.has_value()) body.text("stopLoss", stop.stop_loss->to_string());
  if (!stop.tp_trigger_by.empty()) body.text("tpTriggerBy", stop.tp_trigger_by);
  if (!stop.sl_trigger_by.empty()) body.text("slTriggerBy", stop.sl_trigger_by);
  co_return co_await impl->perform<Applied>(
      impl->post("/v5/position/trading-stop",
                 endpoint_of("/v5/position/trading-stop", Category::kLinear), body.str(), priority,
                 Repeat::kAlways),
      [](std::string_view text) {
        return parse_applied(text, "position/trading-stop", {kNotModified});
      });
}

asio::awaitable<Parsed<WalletBalance>> PrivateRestClient::wallet_balance(Priority priority) {
  const auto impl = impl_;
  Params params = {{"accountType", "UNIFIED"}};
  Parsed<std::vector<WalletBalance>> wallets = co_await impl->perform<std::vector<WalletBalance>>(
      impl->get("/v5/account/wallet-balance", "/v5/account/wallet-balance", std::move(params),
                priority),
      [](std::string_view text) { return parse_wallet_balance(text); });
  if (!wallets.ok()) {
    Parsed<WalletBalance> out;
    out.status = wallets.status;
    out.failure = std::move(wallets.failure);
    out.reason = std::move(wallets.reason);
    co_return out;
  }
  for (WalletBalance& wallet : wallets.value) {
    if (wallet.account_type == "UNIFIED" || wallet.account_type.empty()) {
      co_return ok(std::move(wallet));
    }
  }
  co_return malformed<WalletBalance>("bybit account/wallet-balance: no UNIFIED account listed");
}

asio::awaitable<Parsed<FeeRate>> PrivateRestClient::fee_rate(Category category, Symbol symbol,
                                                             Priority priority) {
  const auto impl = impl_;
  Params params = {{"category", std::string(to_string(category))}, {"symbol", symbol.canonical()}};
  Parsed<Page<FeeRate>> rates = co_await impl->perform<Page<FeeRate>>(
      impl->get("/v5/account/fee-rate", endpoint_of("/v5/account/fee-rate", category),
                std::move(params), priority),
      [](std::string_view text) { return parse_fee_rates(text); });
  if (!rates.ok()) {
    Parsed<FeeRate> out;
    out.status = rates.status;
    out.failure = std::move(rates.failure);
    out.reason = std::move(rates.reason);
    co_return out;
  }
  for (FeeRate& rate : rates.value.items) {
    if (rate.symbol == symbol) co_return ok(std::move(rate));
  }
  co_return malformed<FeeRate>(
      fmt::format("bybit account/fee-rate: no rate listed for {}", symbol.canonical()));
}

// ---- the venue's clock

asio::awaitable<bool> PrivateRestClient::sync_clock(Priority priority) {
  const auto impl = impl_;
  co_return co_await impl->sync(priority);
}

DurationMs PrivateRestClient::clock_offset() const {
  return impl_->offset;
}

std::size_t PrivateRestClient::clock_syncs() const {
  return impl_->syncs;
}

}  // namespace gauntlet::brokers::bybit
