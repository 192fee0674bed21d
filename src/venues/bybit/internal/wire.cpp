#include "venues/bybit/internal/wire.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <utility>
#include <vector>

namespace gauntlet::venues::bybit::internal {

namespace {

struct IntervalName {
  Timeframe timeframe;
  std::string_view interval;
};

constexpr std::array<IntervalName, 8> kIntervals = {{
    {Timeframe::k1m, "1"},
    {Timeframe::k3m, "3"},
    {Timeframe::k5m, "5"},
    {Timeframe::k15m, "15"},
    {Timeframe::k30m, "30"},
    {Timeframe::k1h, "60"},
    {Timeframe::k4h, "240"},
    {Timeframe::k1d, "D"},
}};

// Every kline interval Bybit accepts in a topic, including those Gauntlet has no Timeframe for.
constexpr std::array<std::string_view, 13> kBybitKlineIntervals = {
    "1", "3", "5", "15", "30", "60", "120", "240", "360", "720", "D", "W", "M"};

constexpr std::array<std::string_view, 4> kOrderbookDepths = {"1", "50", "200", "1000"};

template <std::size_t N>
bool is_one_of(std::string_view text, const std::array<std::string_view, N>& choices) {
  return std::find(choices.begin(), choices.end(), text) != choices.end();
}

bool is_symbol(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  });
}

// Splits "a.b.c" at every '.'.
std::vector<std::string_view> split_topic(std::string_view topic) {
  std::vector<std::string_view> parts;
  std::size_t begin = 0;
  while (true) {
    const std::size_t dot = topic.find('.', begin);
    parts.push_back(topic.substr(begin, dot - begin));
    if (dot == std::string_view::npos) return parts;
    begin = dot + 1;
  }
}

std::string replace_topic(std::string_view pattern, std::string_view topic) {
  std::string text(pattern);
  const std::size_t at = text.find("{topic}");
  if (at != std::string::npos) text.replace(at, 7, topic);
  return text;
}

}  // namespace

TimestampMs now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string_view bybit_interval(Timeframe timeframe) {
  for (const IntervalName& name : kIntervals) {
    if (name.timeframe == timeframe) return name.interval;
  }
  return "?";
}

std::optional<Timeframe> timeframe_from_bybit_interval(std::string_view interval) {
  for (const IntervalName& name : kIntervals) {
    if (name.interval == interval) return name.timeframe;
  }
  return std::nullopt;
}

std::string kline_topic(Timeframe timeframe, std::string_view symbol) {
  std::string topic = "kline.";
  topic += bybit_interval(timeframe);
  topic += '.';
  topic += symbol;
  return topic;
}

bool is_valid_public_topic(std::string_view topic) {
  const std::vector<std::string_view> parts = split_topic(topic);
  if (parts.size() == 3 && parts[0] == "kline") {
    return is_one_of(parts[1], kBybitKlineIntervals) && is_symbol(parts[2]);
  }
  if (parts.size() == 3 && parts[0] == "orderbook") {
    return is_one_of(parts[1], kOrderbookDepths) && is_symbol(parts[2]);
  }
  if (parts.size() == 2 && (parts[0] == "tickers" || parts[0] == "publicTrade")) {
    return is_symbol(parts[1]);
  }
  return false;
}

std::string envelope(int ret_code, std::string_view ret_msg, nlohmann::ordered_json result) {
  nlohmann::ordered_json body;
  body["retCode"] = ret_code;
  body["retMsg"] = ret_msg;
  body["result"] = std::move(result);
  body["retExtInfo"] = nlohmann::ordered_json::object();
  body["time"] = now_ms();
  return body.dump();
}

nlohmann::ordered_json kline_row(const Bar& bar) {
  return nlohmann::ordered_json::array({std::to_string(bar.open_time), bar.open.to_string(),
                                        bar.high.to_string(), bar.low.to_string(),
                                        bar.close.to_string(), bar.volume.to_string(),
                                        bar.turnover.to_string()});
}

std::string kline_frame(Timeframe timeframe, std::string_view symbol, const Bar& bar,
                        bool confirm) {
  const TimestampMs start = bar.open_time;
  const TimestampMs end = start + duration_ms(timeframe) - 1;
  const TimestampMs timestamp = confirm ? end + 1 : std::clamp(now_ms(), start, end);

  nlohmann::ordered_json item;
  item["start"] = start;
  item["end"] = end;
  item["interval"] = bybit_interval(timeframe);
  item["open"] = bar.open.to_string();
  item["close"] = bar.close.to_string();
  item["high"] = bar.high.to_string();
  item["low"] = bar.low.to_string();
  item["volume"] = bar.volume.to_string();
  item["turnover"] = bar.turnover.to_string();
  item["confirm"] = confirm;
  item["timestamp"] = timestamp;

  nlohmann::ordered_json frame;
  frame["topic"] = kline_topic(timeframe, symbol);
  frame["data"] = nlohmann::ordered_json::array({std::move(item)});
  frame["ts"] = timestamp;
  frame["type"] = "snapshot";
  return frame.dump();
}

std::string ticker_topic(std::string_view symbol) {
  return "tickers." + std::string(symbol);
}

std::string ticker_frame(const nlohmann::json& ticker, TimestampMs timestamp) {
  nlohmann::ordered_json frame;
  frame["topic"] = ticker_topic(ticker.at("symbol").get<std::string>());
  frame["type"] = "snapshot";
  frame["data"] = nlohmann::ordered_json(ticker);
  frame["ts"] = timestamp;
  return frame.dump();
}

std::string html_error_body(int status) {
  return "<html>\r\n<head><title>" + std::to_string(status) +
         "</title></head>\r\n<body>\r\n<center><h1>" + std::to_string(status) +
         "</h1></center>\r\n</body>\r\n</html>\r\n";
}

std::string malformed_rest_body(int variant) {
  static constexpr std::array<std::string_view, 6> kBodies = {
      // truncated
      R"({"retCode":0,"retMsg":"OK","result":{"category":"linear","symbol":"BTCUSDT","list":[["1670608800000","17071","170)",
      // wrong types everywhere
      R"({"retCode":"0","retMsg":0,"result":{"category":1,"symbol":null,"list":[[1670608800000,17071,17073,17027,17055.5,268.611,4577000.7],["x"],"row",null]},"retExtInfo":[],"time":"now"})",
      // garbage
      "<html>\x01\x02\x03 }{ not json ][ \x7f",
      // wrong structure: retCode 0 but no result object
      R"({"retCode":0,"retMsg":"OK","result":"none","retExtInfo":{},"time":1672025956592})",
      // empty
      "",
      // JSON, but not an object
      "null",
  };
  return std::string(kBodies[static_cast<std::size_t>(variant) % kBodies.size()]);
}

std::string malformed_ws_frame(int variant, std::string_view topic) {
  static constexpr std::array<std::string_view, 7> kFrames = {
      // truncated
      R"({"topic":"{topic}","data":[{"start":1672324800000,"end":16723250)",
      // wrong types everywhere
      R"({"topic":"{topic}","data":[{"start":"soon","end":null,"interval":5,"open":16649.5,"close":true,"high":[],"low":{},"volume":"lots","turnover":-1,"confirm":"yes","timestamp":"now"}],"ts":"now","type":7})",
      // garbage (valid UTF-8, so the WebSocket layer passes it on)
      "\x01\x02\x03 }{ garbage ][ \x7f",
      // wrong structure: data is neither a list nor an object
      R"({"topic":"{topic}","data":"none","ts":1672324988882,"type":"snapshot"})",
      // junk data items
      R"({"topic":"{topic}","data":[null,42,"x",[]],"ts":1672324988882,"type":"snapshot"})",
      // JSON, but not an object
      R"([1,2,3])",
      // empty
      "",
  };
  return replace_topic(kFrames[static_cast<std::size_t>(variant) % kFrames.size()], topic);
}

}  // namespace gauntlet::venues::bybit::internal
