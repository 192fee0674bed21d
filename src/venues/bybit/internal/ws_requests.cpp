#include "venues/bybit/internal/ws_requests.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "venues/bybit/internal/wire.hpp"

namespace gauntlet::venues::bybit::internal {

namespace {

// {"success":..,"ret_msg":..,"conn_id":..,["req_id":..,]"op":..}
std::string reply_frame(bool success, std::string_view ret_msg, std::string_view conn_id,
                        const std::optional<nlohmann::json>& req_id, std::string_view op) {
  nlohmann::ordered_json reply;
  reply["success"] = success;
  reply["ret_msg"] = ret_msg;
  reply["conn_id"] = conn_id;
  if (req_id) reply["req_id"] = nlohmann::ordered_json(*req_id);
  reply["op"] = op;
  return reply.dump();
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string joined;
  for (const std::string& item : items) {
    if (!joined.empty()) joined += separator;
    joined += item;
  }
  return joined;
}

WsAnswer answer_subscribe(Category category, const nlohmann::json& args,
                          const std::set<std::string>& subscribed, std::string_view conn_id,
                          const std::optional<nlohmann::json>& req_id) {
  WsAnswer answer;
  if (!args.is_array() || args.empty()) {
    answer.reply =
        reply_frame(false, "args must be a non-empty list of topics", conn_id, req_id, "subscribe");
    return answer;
  }
  std::vector<std::string> invalid;
  std::vector<std::string> problems;
  for (const nlohmann::json& arg : args) {
    const std::string topic = arg.is_string() ? arg.get<std::string>() : arg.dump();
    if (!arg.is_string() || !is_valid_public_topic(topic)) {
      invalid.push_back(topic);
    } else if (subscribed.contains(topic) ||
               std::find(answer.subscribe.begin(), answer.subscribe.end(), topic) !=
                   answer.subscribe.end()) {
      problems.push_back("error:already subscribed,topic:" + topic);
    } else {
      answer.subscribe.push_back(topic);
    }
  }
  if (!invalid.empty()) problems.insert(problems.begin(), "Invalid topic: " + join(invalid, ","));
  const bool success = problems.empty();
  const std::string ret_msg =
      success ? (category == Category::kSpot ? "subscribe" : "") : join(problems, "; ");
  answer.reply = reply_frame(success, ret_msg, conn_id, req_id, "subscribe");
  return answer;
}

WsAnswer answer_unsubscribe(Category category, const nlohmann::json& args,
                            const std::set<std::string>& subscribed, std::string_view conn_id,
                            const std::optional<nlohmann::json>& req_id) {
  WsAnswer answer;
  if (args.is_array()) {
    for (const nlohmann::json& arg : args) {
      if (arg.is_string() && subscribed.contains(arg.get<std::string>())) {
        answer.unsubscribe.push_back(arg.get<std::string>());
      }
    }
  }
  answer.reply = reply_frame(true, category == Category::kSpot ? "unsubscribe" : "", conn_id,
                             req_id, "unsubscribe");
  return answer;
}

}  // namespace

WsAnswer answer_ws_message(Category category, std::string_view text,
                           const std::set<std::string>& subscribed, std::string_view conn_id) {
  WsAnswer answer;
  const nlohmann::json message = nlohmann::json::parse(text, nullptr, false);
  if (message.is_discarded() || !message.is_object() || !message.contains("op") ||
      !message["op"].is_string()) {
    answer.reply = reply_frame(false, "Invalid request: not a JSON object with an op", conn_id,
                               std::nullopt, "");
    return answer;
  }
  const std::string op = message["op"].get<std::string>();
  std::optional<nlohmann::json> req_id;
  if (message.contains("req_id")) req_id = message["req_id"];
  const nlohmann::json args = message.contains("args") ? message["args"] : nlohmann::json();

  if (op == "ping") {
    answer.is_ping = true;
    // Linear pongs always carry req_id ("" when the ping had none); spot pongs only echo one.
    if (!req_id && category == Category::kLinear) req_id = "";
    answer.reply = reply_frame(true, "pong", conn_id, req_id, "ping");
    return answer;
  }
  if (op == "subscribe") return answer_subscribe(category, args, subscribed, conn_id, req_id);
  if (op == "unsubscribe") return answer_unsubscribe(category, args, subscribed, conn_id, req_id);
  answer.reply = reply_frame(false, "Unrecognized op: " + op, conn_id, req_id, op);
  return answer;
}

}  // namespace gauntlet::venues::bybit::internal
