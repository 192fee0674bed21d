#include "venues/bybit/internal/rest_routes.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <map>
#include <optional>

#include "venues/bybit/internal/wire.hpp"

namespace gauntlet::venues::bybit::internal {

namespace {

constexpr int kLimitPerWindow = 600;
constexpr std::size_t kDefaultKlineLimit = 200;
constexpr std::size_t kDefaultInstrumentLimit = 500;
constexpr std::size_t kMaxLimit = 1000;
constexpr std::string_view kCursorPrefix = "page-";

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded decoding: "%3D" -> "=", "+" -> " "; a bad escape stays.
std::string percent_decode(std::string_view text) {
  std::string decoded;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      decoded += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 &&
               hex_digit(text[i + 2]) >= 0) {
      decoded += static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
      i += 2;
    } else {
      decoded += text[i];
    }
  }
  return decoded;
}

std::optional<std::string> param(const Query& query, std::string_view name) {
  const auto found = query.find(name);
  if (found == query.end()) return std::nullopt;
  return found->second;
}

std::optional<int64_t> parse_int(std::string_view text) {
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<Category> category_from(std::string_view text) {
  return brokers::bybit::category_from_string(text);
}

RestReply ok_reply(nlohmann::ordered_json result) {
  RestReply reply;
  reply.body = envelope(kRetCodeOk, "OK", std::move(result));
  return reply;
}

RestReply error_reply(int ret_code, std::string_view message, unsigned status = 200) {
  RestReply reply;
  reply.status = status;
  reply.body = envelope(ret_code, message, nlohmann::ordered_json::object());
  return reply;
}

// `limit` between 1 and kMaxLimit (larger values clamped), `fallback` when absent.
std::optional<std::size_t> limit_from(const Query& query, std::size_t fallback) {
  const std::optional<std::string> text = param(query, "limit");
  if (!text) return fallback;
  const std::optional<int64_t> limit = parse_int(*text);
  if (!limit || *limit < 1) return std::nullopt;
  return static_cast<std::size_t>(std::min<int64_t>(*limit, kMaxLimit));
}

RestReply answer_kline(const ServerState& state, const Query& query) {
  const std::optional<Category> category =
      category_from(param(query, "category").value_or(std::string(to_string(Category::kLinear))));
  if (!category) return error_reply(kRetCodeParameterError, "Illegal category");
  const std::optional<std::string> symbol = param(query, "symbol");
  if (!symbol || symbol->empty()) {
    return error_reply(kRetCodeParameterError, "params error: symbol is required");
  }
  const std::optional<Timeframe> timeframe =
      timeframe_from_bybit_interval(param(query, "interval").value_or(""));
  if (!timeframe) return error_reply(kRetCodeParameterError, "Invalid period!");
  TimestampMs start = std::numeric_limits<TimestampMs>::min();
  TimestampMs end = std::numeric_limits<TimestampMs>::max();
  if (const std::optional<std::string> text = param(query, "start")) {
    const std::optional<int64_t> value = parse_int(*text);
    if (!value) return error_reply(kRetCodeParameterError, "params error: start is invalid");
    start = *value;
  }
  if (const std::optional<std::string> text = param(query, "end")) {
    const std::optional<int64_t> value = parse_int(*text);
    if (!value) return error_reply(kRetCodeParameterError, "params error: end is invalid");
    end = *value;
  }
  const std::optional<std::size_t> limit = limit_from(query, kDefaultKlineLimit);
  if (!limit) return error_reply(kRetCodeParameterError, "params error: limit is invalid");
  if (!state.knows_symbol(*category, *symbol)) {
    return error_reply(kRetCodeParameterError, "Not supported symbols");
  }

  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const Bar& bar : state.klines(*category, *symbol, *timeframe, start, end, *limit)) {
    list.push_back(kline_row(bar));
  }
  nlohmann::ordered_json result;
  result["category"] = to_string(*category);
  result["symbol"] = *symbol;
  result["list"] = std::move(list);
  return ok_reply(std::move(result));
}

RestReply answer_instruments(const ServerState& state, const Query& query) {
  const std::optional<Category> category = category_from(param(query, "category").value_or(""));
  if (!category) return error_reply(kRetCodeParameterError, "Illegal category");
  const std::optional<std::string> symbol = param(query, "symbol");
  const std::optional<std::size_t> limit = limit_from(query, kDefaultInstrumentLimit);
  if (!limit) return error_reply(kRetCodeParameterError, "params error: limit is invalid");
  std::size_t offset = 0;
  if (const std::optional<std::string> cursor = param(query, "cursor");
      cursor && !cursor->empty()) {
    const std::optional<int64_t> value = cursor->starts_with(kCursorPrefix)
                                             ? parse_int(cursor->substr(kCursorPrefix.size()))
                                             : std::nullopt;
    if (!value || *value < 0) return error_reply(kRetCodeParameterError, "Invalid cursor");
    offset = static_cast<std::size_t>(*value);
  }

  std::vector<nlohmann::json> matching;
  for (nlohmann::json& instrument : state.instruments(*category)) {
    if (!symbol || instrument["symbol"] == *symbol) matching.push_back(std::move(instrument));
  }
  // Linear pages; spot answers everything at once, as Bybit does.
  const std::size_t page_size = *category == Category::kLinear ? *limit : matching.size();
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (std::size_t i = offset; i < matching.size() && i < offset + page_size; ++i) {
    list.push_back(nlohmann::ordered_json(matching[i]));
  }
  const std::size_t next = offset + page_size;
  nlohmann::ordered_json result;
  result["category"] = to_string(*category);
  result["list"] = std::move(list);
  result["nextPageCursor"] =
      next < matching.size() ? std::string(kCursorPrefix) + std::to_string(next) : "";
  return ok_reply(std::move(result));
}

RestReply answer_tickers(const ServerState& state, const Query& query) {
  const std::optional<Category> category = category_from(param(query, "category").value_or(""));
  if (!category) return error_reply(kRetCodeParameterError, "Illegal category");
  const std::optional<std::string> symbol = param(query, "symbol");
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const nlohmann::json& ticker : state.tickers(*category)) {
    if (!symbol || ticker["symbol"] == *symbol) list.push_back(nlohmann::ordered_json(ticker));
  }
  if (symbol && list.empty()) return error_reply(kRetCodeParameterError, "Not supported symbols");
  nlohmann::ordered_json result;
  result["category"] = to_string(*category);
  result["list"] = std::move(list);
  return ok_reply(std::move(result));
}

RestReply answer_time() {
  const TimestampMs now = now_ms();
  nlohmann::ordered_json result;
  result["timeSecond"] = std::to_string(now / kSecondMs);
  result["timeNano"] = std::to_string(now) + "000000";
  return ok_reply(std::move(result));
}

// The PrivateApi's answer; nullopt when it has none for the request.
std::optional<RestReply> answer_privately(PrivateApi& private_api, const RestRequest& request) {
  std::optional<RestResponse> response;
  try {
    response = private_api.handle_rest(request);
  } catch (const std::exception& error) {
    return error_reply(kRetCodeServerError, std::string("Internal server error: ") + error.what(),
                       500);
  }
  if (!response) return std::nullopt;
  RestReply reply;
  reply.status = response->status;
  reply.body = std::move(response->body);
  reply.headers = std::move(response->extra_headers);
  return reply;
}

RestReply route(const ServerState& state, const RestRequest& request, PrivateApi* private_api) {
  const std::string_view path = request.path;
  if (request.method == "GET") {
    const Query query = parse_query(request.query);
    if (path == "/v5/market/kline") return answer_kline(state, query);
    if (path == "/v5/market/instruments-info") return answer_instruments(state, query);
    if (path == "/v5/market/tickers") return answer_tickers(state, query);
    if (path == "/v5/market/time") return answer_time();
  }
  if (private_api) {
    if (std::optional<RestReply> reply = answer_privately(*private_api, request)) return *reply;
  }
  return error_reply(kRetCodeRouteNotFound, "route not found", 404);
}

bool has_header(const RestReply& reply, std::string_view name) {
  return std::any_of(reply.headers.begin(), reply.headers.end(), [&](const HttpHeader& header) {
    return header.first.size() == name.size() &&
           std::equal(name.begin(), name.end(), header.first.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) ==
                    std::tolower(static_cast<unsigned char>(b));
           });
  });
}

// Adds the three rate-limit headers, except those the reply already has (a PrivateApi's).
void add_limit_headers(RestReply& reply, int remaining, TimestampMs reset_at) {
  const std::pair<std::string, std::string> limits[] = {
      {"X-Bapi-Limit", std::to_string(kLimitPerWindow)},
      {"X-Bapi-Limit-Status", std::to_string(remaining)},
      {"X-Bapi-Limit-Reset-Timestamp", std::to_string(reset_at)}};
  for (const auto& [name, value] : limits) {
    if (!has_header(reply, name)) reply.headers.emplace_back(name, value);
  }
}

}  // namespace

Query parse_query(std::string_view query) {
  Query params;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t equals = pair.find('=');
    const std::string name = percent_decode(pair.substr(0, equals));
    params[name] = equals == std::string_view::npos ? "" : percent_decode(pair.substr(equals + 1));
  }
  return params;
}

RestReply answer_rest_request(ServerState& state, const RestRequest& request,
                              PrivateApi* private_api) {
  const RestFault fault = state.take_rest_fault();
  RestReply reply;
  switch (fault.kind) {
    case RestFault::Kind::kStall:
      reply.never_answer = true;
      return reply;
    case RestFault::Kind::kHttpStatus:
      reply.status = static_cast<unsigned>(fault.http_status);
      reply.content_type = "text/html";
      reply.body = html_error_body(fault.http_status);
      add_limit_headers(reply, kLimitPerWindow - 1, now_ms());
      return reply;
    case RestFault::Kind::kRateLimit:
      reply = error_reply(kRetCodeRateLimited, "Too many visits!");
      add_limit_headers(reply, 0, now_ms() + fault.reset_after);
      return reply;
    case RestFault::Kind::kMalformed:
      reply.body = malformed_rest_body(fault.malformed_variant);
      add_limit_headers(reply, kLimitPerWindow - 1, now_ms());
      return reply;
    case RestFault::Kind::kNone:
      break;
  }
  reply = route(state, request, private_api);
  add_limit_headers(reply, kLimitPerWindow - 1, now_ms());
  return reply;
}

}  // namespace gauntlet::venues::bybit::internal
