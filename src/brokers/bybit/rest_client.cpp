#include "brokers/bybit/rest_client.hpp"

// Beast only after core/asio.hpp (ARCHITECTURE.md, Known pitfalls).
// clang-format off
#include "core/asio.hpp"
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
// clang-format on

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <exception>
#include <limits>
#include <utility>

#include "brokers/bybit/net.hpp"
#include "core/exceptions.hpp"
#include "core/logging.hpp"

namespace gauntlet::brokers::bybit {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

constexpr std::string_view kKlinePath = "/v5/market/kline";
constexpr std::string_view kInstrumentsPath = "/v5/market/instruments-info";
constexpr std::string_view kTickersPath = "/v5/market/tickers";
constexpr std::string_view kTimePath = "/v5/market/time";

// More instrument pages than any category has: a cursor that never ends is a server bug.
constexpr int kMaxInstrumentPages = 200;

bool is_unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

// Percent-encodes a query value (RFC 3986 unreserved characters pass).
std::string encode(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (is_unreserved(c)) {
      out.push_back(c);
    } else {
      fmt::format_to(std::back_inserter(out), "%{:02X}", static_cast<unsigned char>(c));
    }
  }
  return out;
}

std::optional<int64_t> header_integer(const http::fields& fields, std::string_view name) {
  const auto found = fields.find(beast::string_view(name.data(), name.size()));
  if (found == fields.end()) return std::nullopt;
  const beast::string_view text = found->value();
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string_view clip(std::string_view text) {
  return text.substr(0, 200);
}

// One keep-alive connection, plain or TLS.
struct Connection {
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;

  beast::tcp_stream& tcp() {
    return secure.has_value() ? beast::get_lowest_layer(*secure) : *plain;
  }
  void close() {
    beast::error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp().socket().close(ignored);
  }
};

struct Reply {
  int status = 0;
  std::string body;
  RateLimitStatus rate_limit;
};

template <class Stream>
asio::awaitable<http::response<http::string_body>> exchange(
    Stream& stream, beast::flat_buffer& buffer, http::request<http::string_body>& request,
    std::size_t body_limit) {
  co_await http::async_write(stream, request, asio::use_awaitable);
  http::response_parser<http::string_body> parser;
  parser.body_limit(body_limit);
  co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
  co_return parser.release();
}

// True for the errors a reused keep-alive connection shows when the server closed it while it
// sat idle: the request never reached a live server, so sending it again is safe.
bool is_stale_connection(const boost::system::error_code& error) {
  return error == http::error::end_of_stream || error == asio::error::eof ||
         error == asio::error::connection_reset || error == asio::error::broken_pipe ||
         error == asio::error::connection_aborted || error == asio::ssl::error::stream_truncated;
}

}  // namespace

std::string_view to_string(HttpMethod method) {
  return method == HttpMethod::kPost ? "POST" : "GET";
}

Endpoint parse_endpoint(std::string_view url) {
  const auto problem = [&](std::string_view what) {
    return ConfigError({fmt::format("url: {} (got \"{}\")", what, url)});
  };
  Endpoint endpoint;
  std::string_view rest;
  if (url.starts_with("https://")) {
    endpoint.tls = true;
    rest = url.substr(8);
  } else if (url.starts_with("wss://")) {
    endpoint.tls = true;
    rest = url.substr(6);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("ws://")) {
    rest = url.substr(5);
  } else {
    throw problem("must start with http://, https://, ws:// or wss://");
  }
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  while (path.ends_with('/')) path.remove_suffix(1);
  if (path.find_first_of("?# ") != std::string_view::npos) {
    throw problem("must not carry a query, fragment or space");
  }
  const std::size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    const std::string_view port = authority.substr(colon + 1);
    int number = 0;
    const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (port.empty() || error != std::errc() || end != port.data() + port.size() || number <= 0 ||
        number > 65535) {
      throw problem("has a bad port");
    }
    endpoint.port.assign(port);
    authority = authority.substr(0, colon);
  } else {
    endpoint.port = endpoint.tls ? "443" : "80";
  }
  if (authority.empty() || authority.find_first_of("@ ") != std::string_view::npos) {
    throw problem("has no usable host");
  }
  endpoint.host.assign(authority);
  endpoint.path.assign(path);
  return endpoint;
}

struct RestClient::Impl : std::enable_shared_from_this<RestClient::Impl> {
  Impl(asio::io_context& loop, RestConfig config)
      : loop(loop),
        config(std::move(config)),
        endpoint(parse_endpoint(this->config.base_url)),
        log(module_logger("bybit_rest")) {
    if (this->config.request_timeout_ms <= 0) {
      throw ConfigError({fmt::format("request_timeout_ms: must be positive (got {})",
                                     this->config.request_timeout_ms)});
    }
    const bool default_port = endpoint.port == (endpoint.tls ? "443" : "80");
    host_header = default_port ? endpoint.host : endpoint.host + ":" + endpoint.port;
    if (endpoint.tls) {
      tls = std::make_unique<ssl::context>(ssl::context::tls_client);
      tls->set_default_verify_paths();
      tls->set_verify_mode(ssl::verify_peer);
    }
  }

  ~Impl() {
    for (auto& connection : idle) connection->close();
  }

  std::chrono::milliseconds timeout() const {
    return std::chrono::milliseconds(config.request_timeout_ms);
  }

  // Resolves and connects (and shakes hands over TLS) within the deadline already set on the
  // stream; the resolver has its own timer because Asio's has no timeout.
  asio::awaitable<std::unique_ptr<Connection>> connect() {
    auto executor = co_await asio::this_coro::executor;
    const tcp::resolver::results_type addresses = co_await resolve_async(endpoint, timeout());

    auto connection = std::make_unique<Connection>();
    if (tls != nullptr) {
      connection->secure.emplace(executor, *tls);
      set_tls_host(connection->secure->native_handle(), endpoint.host);
    } else {
      connection->plain.emplace(executor);
    }
    connection->tcp().expires_after(timeout());
    co_await connection->tcp().async_connect(addresses, asio::use_awaitable);
    if (connection->secure.has_value()) {
      co_await connection->secure->async_handshake(ssl::stream_base::client, asio::use_awaitable);
    }
    ++connections;
    co_return connection;
  }

  // One GET with the gate, a pooled connection, the deadline and the status translated.
  asio::awaitable<Reply> get(std::string_view path, std::string query) {
    HttpRequest request;
    request.path.assign(path);
    request.query = std::move(query);
    Reply reply = co_await send(std::move(request));
    if (reply.status != 200) throw status_error(path, reply);
    co_return reply;
  }

  // One request of any method with the gate, a pooled connection and the deadline; the answer
  // whatever its status.
  asio::awaitable<Reply> send(HttpRequest message) {
    const std::string_view path = message.path;
    const bool post = message.method == HttpMethod::kPost;
    if (gate) co_await gate(path);
    http::request<http::string_body> request(
        post ? http::verb::post : http::verb::get,
        message.query.empty() ? endpoint.path + message.path
                              : endpoint.path + message.path + "?" + message.query,
        11);
    request.set(http::field::host, host_header);
    request.set(http::field::user_agent, config.user_agent);
    request.set(http::field::accept, "application/json");
    for (const auto& [name, value] : message.headers) {
      request.set(beast::string_view(name.data(), name.size()),
                  beast::string_view(value.data(), value.size()));
    }
    request.keep_alive(true);
    if (post || !message.body.empty()) {
      request.body() = std::move(message.body);
      request.prepare_payload();
    }

    http::response<http::string_body> response;
    for (int attempt = 0;; ++attempt) {
      std::unique_ptr<Connection> connection;
      if (!idle.empty()) {
        connection = std::move(idle.back());
        idle.pop_back();
      }
      const bool reused = connection != nullptr;
      try {
        if (!reused) {
          connection = co_await connect();
        } else {
          connection->tcp().expires_after(timeout());
        }
        if (connection->secure.has_value()) {
          response = co_await exchange(*connection->secure, connection->buffer, request,
                                       config.max_body_bytes);
        } else {
          response = co_await exchange(*connection->plain, connection->buffer, request,
                                       config.max_body_bytes);
        }
      } catch (const boost::system::system_error& error) {
        if (connection != nullptr) connection->close();
        if (reused && attempt == 0 && is_stale_connection(error.code())) {
          // The server closed it while idle; the others likely went the same way.
          log->debug("reused connection was closed by the server, retrying path={}", path);
          for (auto& stale : idle) stale->close();
          idle.clear();
          continue;
        }
        const bool timed_out = error.code() == beast::error::timeout;
        const std::string_view verb = post ? "POST" : "GET";
        throw BrokerError(timed_out ? fmt::format("bybit {} {}: no answer within {} ms", verb, path,
                                                  config.request_timeout_ms)
                                    : fmt::format("bybit {} {}: {}", verb, path, error.what()),
                          kNetworkErrorCode, true);
      }
      if (response.keep_alive() && idle.size() < config.max_idle_connections) {
        connection->tcp().expires_never();
        idle.push_back(std::move(connection));
      } else {
        connection->close();
      }
      break;
    }

    Reply reply;
    reply.status = static_cast<int>(response.result_int());
    reply.rate_limit.limit = header_integer(response, "X-Bapi-Limit");
    reply.rate_limit.remaining = header_integer(response, "X-Bapi-Limit-Status");
    reply.rate_limit.reset_time = header_integer(response, "X-Bapi-Limit-Reset-Timestamp");
    reply.body = std::move(response.body());
    if (observer) observer(path, reply.status, reply.rate_limit);
    co_return reply;
  }

  BrokerError status_error(std::string_view path, const Reply& reply) const {
    const int status = reply.status;
    if (status == 403) {
      return BrokerError(fmt::format("bybit GET {}: HTTP 403 (IP rate limit or forbidden region; "
                                     "wait at least 10 minutes): {}",
                                     path, clip(reply.body)),
                         status, true);
    }
    const bool retryable = status == 429 || status >= 500;
    return BrokerError(fmt::format("bybit GET {}: HTTP {}: {}", path, status, clip(reply.body)),
                       status, retryable);
  }

  asio::io_context& loop;
  const RestConfig config;
  const Endpoint endpoint;
  std::shared_ptr<spdlog::logger> log;
  std::string host_header;
  std::unique_ptr<ssl::context> tls;
  std::vector<std::unique_ptr<Connection>> idle;
  std::size_t connections = 0;
  RequestGate gate;
  ResponseObserver observer;
};

RestClient::RestClient(asio::io_context& loop, RestConfig config)
    : impl_(std::make_shared<Impl>(loop, std::move(config))) {}

RestClient::~RestClient() = default;

void RestClient::set_request_gate(RequestGate gate) {
  impl_->gate = std::move(gate);
}

void RestClient::set_response_observer(ResponseObserver observer) {
  impl_->observer = std::move(observer);
}

std::size_t RestClient::connections_opened() const {
  return impl_->connections;
}

asio::awaitable<RestResponse<std::string>> RestClient::get_async(std::string path,
                                                                 std::string query) {
  const auto impl = impl_;
  Reply reply = co_await impl->get(path, std::move(query));
  check_envelope(reply.body);
  co_return RestResponse<std::string>{std::move(reply.body), reply.rate_limit};
}

asio::awaitable<HttpReply> RestClient::request_async(HttpRequest request) {
  const auto impl = impl_;
  Reply reply = co_await impl->send(std::move(request));
  co_return HttpReply{reply.status, reply.rate_limit, std::move(reply.body)};
}

asio::awaitable<RestResponse<std::vector<Bar>>> RestClient::get_klines_async(
    Category category, Symbol symbol, Timeframe timeframe, TimestampMs start, TimestampMs end,
    int limit) {
  const auto impl = impl_;
  if (limit < 1 || limit > kMaxKlineLimit) {
    throw BrokerError(
        fmt::format("bybit kline: limit must be in [1, {}], was {}", kMaxKlineLimit, limit), 10001,
        false);
  }
  const std::string query =
      fmt::format("category={}&symbol={}&interval={}&start={}&end={}&limit={}", to_string(category),
                  encode(symbol.canonical()), interval_of(timeframe), start, end, limit);
  Reply reply = co_await impl->get(kKlinePath, query);
  co_return RestResponse<std::vector<Bar>>{parse_kline_page(reply.body), reply.rate_limit};
}

asio::awaitable<std::vector<Bar>> RestClient::fetch_klines_async(Category category, Symbol symbol,
                                                                 Timeframe timeframe,
                                                                 TimestampMs from, TimestampMs to) {
  const auto impl = impl_;
  std::vector<Bar> bars;
  if (to <= from) co_return bars;
  // Pages arrive newest first; each is oldest-first inside.
  std::vector<std::vector<Bar>> pages;
  const DurationMs span = duration_ms(timeframe) * kMaxKlineLimit;
  const int64_t max_pages = (to - from) / span + 3;
  TimestampMs end = to - 1;
  for (int64_t page = 0;; ++page) {
    if (page >= max_pages) {
      throw DataError(fmt::format("bybit kline {} {}: no progress paging [{}, {}) after {} pages",
                                  symbol.canonical(), to_string(timeframe), from, to, page));
    }
    RestResponse<std::vector<Bar>> response =
        co_await get_klines_async(category, symbol, timeframe, from, end, kMaxKlineLimit);
    const std::size_t returned = response.value.size();
    std::vector<Bar>& got = response.value;
    std::erase_if(got, [&](const Bar& bar) { return bar.open_time < from || bar.open_time > end; });
    if (got.empty()) break;
    const TimestampMs oldest = got.front().open_time;
    pages.push_back(std::move(got));
    if (returned < static_cast<std::size_t>(kMaxKlineLimit) || oldest <= from) break;
    end = oldest - 1;
  }
  for (auto page = pages.rbegin(); page != pages.rend(); ++page) {
    bars.insert(bars.end(), page->begin(), page->end());
  }
  std::stable_sort(bars.begin(), bars.end(),
                   [](const Bar& a, const Bar& b) { return a.open_time < b.open_time; });
  bars.erase(std::unique(bars.begin(), bars.end(),
                         [](const Bar& a, const Bar& b) { return a.open_time == b.open_time; }),
             bars.end());
  co_return bars;
}

asio::awaitable<RestResponse<InstrumentsPage>> RestClient::get_instruments_page_async(
    Category category, std::string cursor, int limit) {
  const auto impl = impl_;
  std::string query = fmt::format("category={}", to_string(category));
  if (limit > 0) query += fmt::format("&limit={}", limit);
  if (!cursor.empty()) query += "&cursor=" + encode(cursor);
  Reply reply = co_await impl->get(kInstrumentsPath, std::move(query));
  co_return RestResponse<InstrumentsPage>{parse_instruments_page(reply.body, category),
                                          reply.rate_limit};
}

asio::awaitable<InstrumentsPage> RestClient::get_all_instruments_async(Category category) {
  const auto impl = impl_;
  InstrumentsPage all;
  std::string cursor;
  std::vector<std::string> seen;
  for (int page = 0;; ++page) {
    if (page >= kMaxInstrumentPages) {
      throw DataError(fmt::format("bybit instruments-info {}: more than {} pages",
                                  to_string(category), kMaxInstrumentPages));
    }
    RestResponse<InstrumentsPage> response =
        co_await get_instruments_page_async(category, cursor, 0);
    InstrumentsPage& got = response.value;
    all.instruments.insert(all.instruments.end(), std::make_move_iterator(got.instruments.begin()),
                           std::make_move_iterator(got.instruments.end()));
    all.skipped.insert(all.skipped.end(), std::make_move_iterator(got.skipped.begin()),
                       std::make_move_iterator(got.skipped.end()));
    if (got.next_page_cursor.empty()) break;
    if (std::find(seen.begin(), seen.end(), got.next_page_cursor) != seen.end()) {
      throw DataError(fmt::format("bybit instruments-info {}: cursor \"{}\" came back",
                                  to_string(category), clip(got.next_page_cursor)));
    }
    seen.push_back(got.next_page_cursor);
    cursor = std::move(got.next_page_cursor);
  }
  co_return all;
}

asio::awaitable<RestResponse<std::vector<data::QuoteUpdated>>> RestClient::get_tickers_async(
    Category category, std::optional<Symbol> symbol) {
  const auto impl = impl_;
  std::string query = fmt::format("category={}", to_string(category));
  if (symbol.has_value()) query += "&symbol=" + encode(symbol->canonical());
  Reply reply = co_await impl->get(kTickersPath, std::move(query));
  co_return RestResponse<std::vector<data::QuoteUpdated>>{parse_tickers(reply.body, category),
                                                          reply.rate_limit};
}

asio::awaitable<RestResponse<TimestampMs>> RestClient::get_server_time_async() {
  const auto impl = impl_;
  Reply reply = co_await impl->get(kTimePath, {});
  co_return RestResponse<TimestampMs>{parse_server_time(reply.body), reply.rate_limit};
}

}  // namespace gauntlet::brokers::bybit
