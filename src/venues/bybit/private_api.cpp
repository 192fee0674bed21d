// File: venues/bybit/private_api.cpp
#include "venues/bybit/private_api.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "brokers/bybit/signing.hpp"
#include "brokers/common/request_budget.hpp"
#include "venues/bybit/internal/rest_routes.hpp"

namespace gauntlet::venues::bybit {
namespace {

using nlohmann::json;
namespace signing = brokers::bybit;

constexpr std::string_view kPrivatePrefixes[] = {"/v5/order/",   "/v5/position/", "/v5/execution/",
                                                 "/v5/account/", "/v5/user/",     "/v5/asset/"};

std::optional<std::string> header(const RestRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        }))
      return value;
  }
  return std::nullopt;
}

std::optional<int64_t> integer(std::string_view text) {
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

RestResponse envelope(int ret_code, std::string_view message, json result, TimestampMs time,
                      unsigned status = 200) {
  json body = {{"retCode", ret_code},
               {"retMsg", message},
               {"result", std::move(result)},
               {"retExtInfo", json::object()},
               {"time", time}};
  return RestResponse{status, body.dump(), {}};
}

// The topics a private session may subscribe to, and the category a categorised one keeps.
struct Topic {
  std::string base;                 // order, execution, position, wallet
  std::optional<std::string> only;  // "spot" / "linear" for order.spot ...
};

std::optional<Topic> parse_topic(std::string_view name) {
  static const std::set<std::string, std::less<>> kBases = {"order", "execution", "position",
                                                            "wallet", "execution.fast"};
  if (kBases.contains(name)) return Topic{std::string(name), std::nullopt};
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const std::string_view base = name.substr(0, dot);
  const std::string_view category = name.substr(dot + 1);
  if (base == "wallet" || !kBases.contains(base)) return std::nullopt;
  if (category != "spot" && category != "linear") return std::nullopt;
  return Topic{std::string(base), std::string(category)};
}

// Bybit's per-second limit of an endpoint ("path@category" first, then the path); 10 for a
// POST and 50 for a GET Bybit lists no figure for here.
int endpoint_limit(const std::string& endpoint, bool get) {
  static const brokers::BudgetConfig kLimits = brokers::bybit_budget_config();
  const std::string path = endpoint.substr(0, endpoint.find('@'));
  int found = get ? 50 : 10;
  for (const brokers::EndpointLimit& limit : kLimits.endpoints) {
    if (limit.endpoint == endpoint) return limit.limit;
    if (limit.endpoint == path) found = limit.limit;
  }
  return found;
}

}  // namespace

QueryParams decode_query(std::string_view query) {
  return internal::parse_query(query);
}

// One /v5/private connection (the account's streams), or one /v5/trade connection (order
// entry: order.create, order.amend, order.cancel).
class ExchangeApi::Session final : public PrivateSession {
 public:
  Session(std::shared_ptr<ExchangeApi> api, SendFrame send, std::string connection_id, bool trade)
      : owner_(std::move(api)),
        api_(*owner_),
        send_(std::move(send)),
        connection_id_(std::move(connection_id)),
        trade_(trade) {}

  ~Session() override {
    if (listener_ != 0) api_.exchange_.unlisten(listener_);
  }

  void on_message(std::string_view text) override {
    json message = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!message.is_object() || !message.contains("op") || !message.at("op").is_string()) {
      ++api_.malformed_frames_;
      reply({{"success", false}, {"ret_msg", "Invalid message: not a JSON object with an op"}});
      return;
    }
    const std::string op = message.at("op").get<std::string>();
    const json request_id = message.contains("req_id") ? message.at("req_id") : json();
    if (trade_ && op != "ping" && op != "auth") return trade(op, message);
    if (op == "ping") {
      json pong = {{"op", "pong"},
                   {"args", json::array({std::to_string(api_.now())})},
                   {"conn_id", connection_id_}};
      pong["req_id"] = request_id.is_null() ? json("") : request_id;
      send_(pong.dump());
      return;
    }
    if (op == "auth") return authenticate(message, request_id);
    if (api_key_.empty()) {
      reply({{"success", false}, {"ret_msg", "Request not authorized"}, {"op", op}}, request_id);
      return;
    }
    if (op == "subscribe") return subscribe(message, request_id);
    if (op == "unsubscribe") return unsubscribe(message, request_id);
    reply({{"success", false}, {"ret_msg", "Invalid op: " + op}, {"op", op}}, request_id);
  }

 private:
  void reply(json body, const json& request_id = json()) {
    body["conn_id"] = connection_id_;
    if (!request_id.is_null()) body["req_id"] = request_id;
    send_(body.dump());
  }

  // Bybit answers auth in two spellings (its documentation: success/ret_msg/conn_id; captured
  // frames: retCode/retMsg/connId): the venue sends both, so clients of either kind read it.
  void authenticate(const json& message, const json& request_id) {
    const json args = message.value("args", json::array());
    const auto answer = [&](int code, std::string_view why) {
      reply({{"success", code == 0},
             {"ret_msg", why},
             {"retCode", code},
             {"retMsg", why},
             {"op", "auth"},
             {"connId", connection_id_}},
            request_id);
    };
    const auto refuse = [&](int code, std::string_view why) {
      ++api_.refused_requests_;
      answer(code, why);
    };
    if (!args.is_array() || args.size() != 3 || !args[0].is_string() || !args[2].is_string() ||
        !(args[1].is_number_integer() || args[1].is_string())) {
      return refuse(10001, "Params Error: args are [api_key, expires, signature]");
    }
    const std::string key = args[0].get<std::string>();
    const std::optional<int64_t> expires =
        args[1].is_string() ? integer(args[1].get<std::string>()) : args[1].get<int64_t>();
    if (!expires) return refuse(10001, "Params Error: expires is a ms timestamp");
    const std::optional<std::string> secret = api_.exchange_.secret_of(key);
    if (!secret) return refuse(10003, "Invalid apikey");
    if (*expires <= api_.now()) return refuse(10002, "Request expired");
    if (!signing::signature_equal(signing::sign_ws_auth(*secret, *expires),
                                  args[2].get<std::string>())) {
      return refuse(10004, "Invalid sign");
    }
    api_key_ = key;
    answer(0, "");
  }

  // An order.create / order.amend / order.cancel on /v5/trade, answered as Bybit does:
  // {reqId, retCode, retMsg, op, data (the REST result), retExtInfo, header (the rate limit,
  // Traceid, Timenow), connId}. The request's header carries X-BAPI-TIMESTAMP (and
  // X-BAPI-RECV-WINDOW) instead of a signature: the connection's auth stands for it.
  void trade(const std::string& op, const json& message) {
    const TimestampMs now = api_.now();
    json answer = {{"op", op}, {"data", json::object()}, {"retExtInfo", json::object()}};
    json request_id;
    if (message.contains("reqId")) request_id = message.at("reqId");
    const auto send = [&](int code, std::string_view why,
                          const std::vector<HttpHeader>& limits = {}) {
      if (!request_id.is_null()) answer["reqId"] = request_id;
      answer["retCode"] = code;
      answer["retMsg"] = why;
      json header = json::object();
      for (const auto& [name, value] : limits) header[name] = value;
      header["Traceid"] = fmt::format("{}-{}", connection_id_, ++sequence_);
      header["Timenow"] = std::to_string(now);
      answer["header"] = std::move(header);
      answer["connId"] = connection_id_;
      send_(answer.dump());
    };
    static const std::map<std::string, std::string, std::less<>> kPaths = {
        {"order.create", "/v5/order/create"},
        {"order.amend", "/v5/order/amend"},
        {"order.cancel", "/v5/order/cancel"}};
    const auto path = kPaths.find(op);
    if (path == kPaths.end()) {
      ++api_.malformed_frames_;
      return send(10001, "Invalid op: " + op + " (order.create, order.amend, order.cancel)");
    }
    if (api_key_.empty()) return send(10003, "Request not authorized");
    if (!request_id.is_null()) {
      if (!request_id.is_string() || request_id.get<std::string>().size() > 36)
        return send(10001, "Params Error: reqId is a string of at most 36 characters");
      if (!request_ids_.insert(request_id.get<std::string>()).second)
        return send(20006, "Duplicate reqId");
    }
    const json header = message.value("header", json());
    const auto field = [&](std::string_view name) -> std::optional<int64_t> {
      if (!header.is_object() || !header.contains(name)) return std::nullopt;
      const json& value = header.at(name);
      if (value.is_number_integer()) return value.get<int64_t>();
      return value.is_string() ? integer(value.get<std::string>()) : std::nullopt;
    };
    const std::optional<int64_t> timestamp = field("X-BAPI-TIMESTAMP");
    const bool has_window = header.is_object() && header.contains("X-BAPI-RECV-WINDOW");
    const std::optional<int64_t> window = has_window
                                              ? field("X-BAPI-RECV-WINDOW")
                                              : std::optional<int64_t>(signing::kDefaultRecvWindow);
    if (!timestamp || !window || *window <= 0)
      return send(10001, "Params Error: header needs X-BAPI-TIMESTAMP (and X-BAPI-RECV-WINDOW)");
    if (!signing::timestamp_accepted(now, *timestamp, *window)) {
      return send(10002, fmt::format("invalid request, please check your server timestamp or "
                                     "recv_window param. req_timestamp[{}],server_timestamp[{}],"
                                     "recv_window[{}]",
                                     *timestamp, now, *window));
    }
    const json args = message.value("args", json());
    if (!args.is_array() || args.size() != 1 || !args[0].is_object())
      return send(10001, "Params Error: args holds one order");
    const json& order = args[0];
    const std::string category = order.contains("category") && order.at("category").is_string()
                                     ? order.at("category").get<std::string>()
                                     : std::string();
    const std::string endpoint = category.empty() ? path->second : path->second + "@" + category;
    RestResponse limited;
    if (!api_.within_limit(api_key_, endpoint, false, now, limited)) {
      return send(10006, "Too many visits. Exceeded the API Rate Limit.", limited.extra_headers);
    }
    const Reply reply = api_.exchange_.handle(api_key_, "POST", path->second, {}, order);
    answer["data"] = reply.result;
    send(reply.ret_code, reply.ret_msg, limited.extra_headers);
  }

  void subscribe(const json& message, const json& request_id) {
    const json args = message.value("args", json::array());
    std::vector<std::string> invalid;
    if (args.is_array()) {
      for (const json& arg : args) {
        const std::optional<Topic> topic =
            arg.is_string() ? parse_topic(arg.get<std::string>()) : std::nullopt;
        if (!topic) {
          invalid.push_back(arg.is_string() ? arg.get<std::string>() : arg.dump());
          continue;
        }
        std::lock_guard lock(topics_mutex_);
        topics_.insert(arg.get<std::string>());
      }
    }
    if (!args.is_array() || args.empty()) invalid.push_back("args must be a list of topics");
    // Listening takes the Exchange's mutex, which push() holds when it takes topics_mutex_:
    // never call it with topics_mutex_ held.
    if (listener_ == 0 && invalid.size() < args.size()) {
      listener_ = api_.exchange_.listen(api_key_, [this](const StreamMessage& m) { push(m); });
    }
    if (!invalid.empty()) {
      std::string names;
      for (const std::string& name : invalid) names += (names.empty() ? "" : ",") + name;
      reply({{"success", false}, {"ret_msg", "Invalid topic: " + names}, {"op", "subscribe"}},
            request_id);
      return;
    }
    reply({{"success", true}, {"ret_msg", ""}, {"op", "subscribe"}}, request_id);
  }

  void unsubscribe(const json& message, const json& request_id) {
    const json args = message.value("args", json::array());
    if (args.is_array()) {
      for (const json& arg : args) {
        if (!arg.is_string()) continue;
        std::lock_guard lock(topics_mutex_);
        topics_.erase(arg.get<std::string>());
      }
    }
    reply({{"success", true}, {"ret_msg", ""}, {"op", "unsubscribe"}}, request_id);
  }

  // A stream message of the account, to every subscribed form of its topic. Called by the
  // Exchange (any thread, its mutex held); send_ only queues.
  void push(const StreamMessage& message) {
    const std::string topics[] = {message.topic, message.topic + ".spot", message.topic + ".linear",
                                  "execution.fast"};
    std::lock_guard lock(topics_mutex_);
    for (const std::string& topic : topics) {
      if (!topics_.contains(topic)) continue;
      if (topic == "execution.fast" && message.topic != "execution") continue;
      json data = json::array();
      const auto dot = topic.rfind('.');
      const bool categorised = topic != "execution.fast" && dot != std::string::npos;
      for (const json& item : message.data) {
        if (categorised && item.value("category", "") != topic.substr(dot + 1)) continue;
        if (topic == "execution.fast") {
          data.push_back({{"category", item.value("category", "")},
                          {"symbol", item.at("symbol")},
                          {"execId", item.at("execId")},
                          {"execPrice", item.at("execPrice")},
                          {"execQty", item.at("execQty")},
                          {"orderId", item.at("orderId")},
                          {"isMaker", item.at("isMaker")},
                          {"orderLinkId", item.at("orderLinkId")},
                          {"side", item.at("side")},
                          {"execTime", item.at("execTime")},
                          {"seq", item.at("seq")}});
        } else {
          data.push_back(item);
        }
      }
      if (data.empty()) continue;
      const json frame = {{"id", fmt::format("{}-{}", connection_id_, ++sequence_)},
                          {"topic", topic},
                          {"creationTime", message.creation_time},
                          {"data", std::move(data)}};
      send_(frame.dump());
    }
  }

  std::shared_ptr<ExchangeApi> owner_;
  ExchangeApi& api_;
  SendFrame send_;
  std::string connection_id_;
  bool trade_ = false;
  std::set<std::string> request_ids_;  // trade: the reqIds seen on this connection
  std::string api_key_;
  // Written on the I/O thread, read by push() on the publishing thread (the Exchange's mutex
  // held, then this one).
  std::mutex topics_mutex_;
  std::set<std::string> topics_;
  uint64_t listener_ = 0;
  uint64_t sequence_ = 0;
};

std::shared_ptr<ExchangeApi> ExchangeApi::create(Exchange& exchange, WallClock now) {
  return std::shared_ptr<ExchangeApi>(new ExchangeApi(exchange, std::move(now)));
}

ExchangeApi::ExchangeApi(Exchange& exchange, WallClock now)
    : exchange_(exchange), clock_(std::move(now)) {}

TimestampMs ExchangeApi::now() const {
  if (clock_) return clock_();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<RestResponse> ExchangeApi::handle_rest(const RestRequest& request) {
  const bool private_path =
      std::any_of(std::begin(kPrivatePrefixes), std::end(kPrivatePrefixes),
                  [&](std::string_view prefix) { return request.path.starts_with(prefix); });
  if (!private_path) return std::nullopt;
  const TimestampMs server_time = now();
  const auto key = header(request, "X-BAPI-API-KEY");
  const auto timestamp_text = header(request, "X-BAPI-TIMESTAMP");
  const auto signature = header(request, "X-BAPI-SIGN");
  if (!key || !timestamp_text || !signature) {
    ++refused_requests_;
    return envelope(10003, "Missing X-BAPI-API-KEY, X-BAPI-TIMESTAMP or X-BAPI-SIGN header",
                    json::object(), server_time, 401);
  }
  const auto timestamp = integer(*timestamp_text);
  const auto recv_text = header(request, "X-BAPI-RECV-WINDOW");
  const auto recv_window =
      recv_text ? integer(*recv_text) : std::optional<int64_t>(signing::kDefaultRecvWindow);
  if (!timestamp || !recv_window || *recv_window <= 0) {
    ++refused_requests_;
    return envelope(10001, "params error: X-BAPI-TIMESTAMP and X-BAPI-RECV-WINDOW are integers",
                    json::object(), server_time);
  }
  const std::optional<std::string> secret = exchange_.secret_of(*key);
  if (!secret) {
    ++refused_requests_;
    return envelope(10003, "API key is invalid.", json::object(), server_time);
  }
  if (!signing::timestamp_accepted(server_time, *timestamp, *recv_window)) {
    ++refused_requests_;
    return envelope(10002,
                    fmt::format("invalid request, please check your server timestamp or "
                                "recv_window param. req_timestamp[{}],server_timestamp[{}],"
                                "recv_window[{}]",
                                *timestamp, server_time, *recv_window),
                    json::object(), server_time);
  }
  const bool get = request.method == "GET";
  const std::string_view payload = get ? std::string_view(request.query) : request.body;
  const std::string expected =
      signing::sign_rest({*key, *secret}, *timestamp, *recv_window, payload);
  if (!signing::signature_equal(expected, *signature)) {
    ++refused_requests_;
    return envelope(10004,
                    "error sign! origin_string[" +
                        signing::rest_sign_text(*timestamp, *key, *recv_window, payload) + "]",
                    json::object(), server_time);
  }
  json body = json::object();
  if (!get && !request.body.empty()) {
    body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (!body.is_object()) {
      return envelope(10001, "params error: the body is not a JSON object", json::object(),
                      server_time);
    }
  }
  const QueryParams query = decode_query(request.query);
  std::string category;
  if (const auto found = query.find("category"); found != query.end()) category = found->second;
  if (body.is_object() && body.contains("category") && body.at("category").is_string())
    category = body.at("category").get<std::string>();
  const std::string endpoint = category.empty() ? request.path : request.path + "@" + category;
  RestResponse limited;
  if (!within_limit(*key, endpoint, get, server_time, limited)) return limited;
  const Reply reply = exchange_.handle(*key, request.method, request.path, query, body);
  RestResponse response = envelope(reply.ret_code, reply.ret_msg, reply.result, server_time,
                                   static_cast<unsigned>(reply.http_status));
  response.extra_headers = std::move(limited.extra_headers);
  return response;
}

bool ExchangeApi::within_limit(const std::string& key, const std::string& endpoint, bool get,
                               TimestampMs now, RestResponse& response) {
  const int limit = endpoint_limit(endpoint, get);
  if (!enforce_limits_) {  // no window: the headers say the whole quota is left
    response.extra_headers = {{"X-Bapi-Limit", std::to_string(limit)},
                              {"X-Bapi-Limit-Status", std::to_string(limit)},
                              {"X-Bapi-Limit-Reset-Timestamp", std::to_string(now)}};
    return true;
  }
  std::deque<TimestampMs>& sent = recent_[{key, endpoint}];
  while (!sent.empty() && sent.front() <= now - kSecondMs) sent.pop_front();
  const bool over = static_cast<int>(sent.size()) >= limit;
  const TimestampMs reset = sent.empty() ? now : sent.front() + kSecondMs;
  if (!over) sent.push_back(now);
  const int remaining = std::max(0, limit - static_cast<int>(sent.size()));
  response.extra_headers = {{"X-Bapi-Limit", std::to_string(limit)},
                            {"X-Bapi-Limit-Status", std::to_string(over ? 0 : remaining)},
                            {"X-Bapi-Limit-Reset-Timestamp", std::to_string(over ? reset : now)}};
  if (!over) return true;
  RestResponse refusal =
      envelope(10006, "Too many visits. Exceeded the API Rate Limit.", json::object(), now);
  refusal.extra_headers = std::move(response.extra_headers);
  response = std::move(refusal);
  return false;
}

std::unique_ptr<PrivateSession> ExchangeApi::open_session(std::string_view path,
                                                          std::string_view /*query*/,
                                                          SendFrame send) {
  if (path != "/v5/private" && path != "/v5/trade") return nullptr;
  const bool trade = path == "/v5/trade";
  return std::make_unique<Session>(
      shared_from_this(), std::move(send),
      fmt::format("gauntlet-{}-{}", trade ? "trade" : "private", ++connections_), trade);
}

}  // namespace gauntlet::venues::bybit
