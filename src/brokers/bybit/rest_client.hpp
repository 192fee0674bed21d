// File: brokers/bybit/rest_client.hpp
//
// RestClient: Bybit V5 public market REST over Boost.Beast (HTTP/1.1, https with TLS or plain
// http for tests) on the core io_context, as C++20 coroutines. It sends, parses (through
// public_parse.hpp) and translates errors; it decides no policy. Rate budgets and retries with
// backoff belong to the data_manager, which gets what it needs to apply them: every response's
// rate-limit headers, a gate awaited before every request (its token bucket), and errors that
// say whether they are worth repeating. request_async() is the transport alone, for the private
// client (private_rest.hpp): any method, path, query, body and headers in, the HTTP status, the
// rate-limit headers and the body out.
//
// Errors: every call but request_async() throws BrokerError on failure, with
//   code = the HTTP status for 403, 429, 5xx and other non-200 answers (403: IP rate limit or
//          forbidden region, wait >= 10 min; 429: system protection), all retryable but 4xx
//          other than 403/429;
//   code = retCode for a Bybit business error (retryable: 10002, 10006, 10016);
//   code = kNetworkErrorCode for a connection, TLS or timeout failure (retryable);
// and DataError for a 200 answer whose body cannot be read.
//
// Connections: kept alive and reused (a pool of idle connections, one per request in flight);
// a reused connection the server closed meanwhile is replaced once, transparently. Each request
// has one deadline (RestConfig::request_timeout_ms) covering resolve, connect, TLS handshake,
// write and read: a stalled server costs at most that long. https verifies the server
// certificate against the system store and the host name, with SNI.
//
// Threading: everything runs on the io_context thread; call the coroutines from coroutines on
// that loop (co_spawn). Requests may be in flight concurrently. The RestClient must outlive
// every call in flight. This header includes core/asio.hpp for asio::awaitable; Beast stays in
// the .cpp. Only the data_manager, the private client (and tests) should include it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "brokers/bybit/public_parse.hpp"
#include "core/asio.hpp"
#include "core/interfaces.hpp"
#include "core/symbol.hpp"
#include "core/time.hpp"
#include "data/market_events.hpp"

namespace gauntlet::brokers::bybit {

// BrokerError::code() of a failure below HTTP: resolve, connect, TLS, reset, timeout.
inline constexpr int kNetworkErrorCode = -1;

// The most bars Bybit returns per kline request.
inline constexpr int kMaxKlineLimit = 1000;

struct RestConfig {
  // "https://api.bybit.com" in production; "http://127.0.0.1:PORT" against a fake.
  std::string base_url = "https://api.bybit.com";
  DurationMs request_timeout_ms = 10'000;
  std::size_t max_idle_connections = 4;
  std::size_t max_body_bytes = 32u << 20;
  std::string user_agent = "gauntlet";
};

// The X-Bapi-Limit* headers of a response; nullopt for a header it lacks.
struct RateLimitStatus {
  std::optional<int64_t> limit;           // X-Bapi-Limit: requests per window
  std::optional<int64_t> remaining;       // X-Bapi-Limit-Status: requests left in the window
  std::optional<TimestampMs> reset_time;  // X-Bapi-Limit-Reset-Timestamp (ms)

  friend bool operator==(const RateLimitStatus&, const RateLimitStatus&) = default;
};

template <class T>
struct RestResponse {
  T value;
  RateLimitStatus rate_limit;
};

enum class HttpMethod { kGet, kPost };

std::string_view to_string(HttpMethod method);

// One request of any endpoint, for the clients that build their own (the private client signs
// the query or body it puts here, and they are sent byte for byte).
struct HttpRequest {
  HttpMethod method = HttpMethod::kGet;
  std::string path;   // "/v5/order/create"
  std::string query;  // already encoded, without the '?'; "" for none
  std::string body;   // sent as is (POST); "" for none
  std::vector<std::pair<std::string, std::string>> headers;  // added to Host, User-Agent, Accept
};

// The answer to an HttpRequest, whatever its status.
struct HttpReply {
  int status = 0;
  RateLimitStatus rate_limit;
  std::string body;
};

// A base URL split for connecting: "http[s]://host[:port][/prefix]" or "ws[s]://...".
struct Endpoint {
  bool tls = false;
  std::string host;
  std::string port;  // "443" / "80" when the URL names none
  std::string path;  // "" or "/prefix" without a trailing '/'
};

// Throws ConfigError naming the URL and the problem.
Endpoint parse_endpoint(std::string_view url);

class RestClient {
 public:
  // Awaited before every HTTP request with the request's path ("/v5/market/kline"): the
  // data_manager's token bucket. It may delay, or throw to refuse the request.
  using RequestGate = std::function<asio::awaitable<void>(std::string_view path)>;
  // Called after every HTTP answer (errors included) with the path, the HTTP status and the
  // rate-limit headers.
  using ResponseObserver =
      std::function<void(std::string_view path, int http_status, const RateLimitStatus& limits)>;

  RestClient(asio::io_context& loop, RestConfig config);
  ~RestClient();
  RestClient(const RestClient&) = delete;
  RestClient& operator=(const RestClient&) = delete;

  void set_request_gate(RequestGate gate);
  void set_response_observer(ResponseObserver observer);

  // GET /v5/market/kline: the bars with open time in [start, end] (both inclusive, ms), at most
  // `limit` (1..1000) of them, the newest ones when there are more; oldest first.
  asio::awaitable<RestResponse<std::vector<Bar>>> get_klines_async(Category category, Symbol symbol,
                                                                   Timeframe timeframe,
                                                                   TimestampMs start,
                                                                   TimestampMs end,
                                                                   int limit = kMaxKlineLimit);

  // Every bar with open time in [from, to) (ms), oldest first, without duplicates, paging
  // backwards from `to` with as many requests as it takes (Bybit answers the newest `limit`
  // bars of a range). The bar still forming is included when `to` lies past its open time:
  // pass to = floor_to(now, timeframe) for closed bars only. Throws DataError if the server
  // stops making progress.
  asio::awaitable<std::vector<Bar>> fetch_klines_async(Category category, Symbol symbol,
                                                       Timeframe timeframe, TimestampMs from,
                                                       TimestampMs to);

  // GET /v5/market/instruments-info: one page (cursor "" for the first; limit 0 for Bybit's
  // default).
  asio::awaitable<RestResponse<InstrumentsPage>> get_instruments_page_async(Category category,
                                                                            std::string cursor = {},
                                                                            int limit = 0);
  // Every page, merged (next_page_cursor is empty). Throws DataError on a cursor loop.
  asio::awaitable<InstrumentsPage> get_all_instruments_async(Category category);

  // GET /v5/market/tickers: every instrument of the category, or one.
  asio::awaitable<RestResponse<std::vector<data::QuoteUpdated>>> get_tickers_async(
      Category category, std::optional<Symbol> symbol = std::nullopt);

  // GET /v5/market/time: the server's clock in ms.
  asio::awaitable<RestResponse<TimestampMs>> get_server_time_async();

  // GET base_url + path + "?" + query (query already encoded); the body after the envelope
  // check. For endpoints without a typed call.
  asio::awaitable<RestResponse<std::string>> get_async(std::string path, std::string query);

  // Sends `request` (the gate first, then a pooled connection within the deadline) and returns
  // the answer whatever its HTTP status and body: the caller judges both. Throws BrokerError
  // with kNetworkErrorCode (retryable) for a failure below HTTP only.
  asio::awaitable<HttpReply> request_async(HttpRequest request);

  // Connections opened so far (reuse keeps it low); for tests and diagnostics.
  std::size_t connections_opened() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace gauntlet::brokers::bybit
