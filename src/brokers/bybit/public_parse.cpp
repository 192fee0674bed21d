#include "brokers/bybit/public_parse.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <functional>
#include <iterator>
#include <limits>
#include <new>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "brokers/bybit/json_fields.hpp"
#include "core/decimal.hpp"
#include "core/exceptions.hpp"

namespace gauntlet::brokers::bybit {
namespace {

namespace od = simdjson::ondemand;
namespace dom = simdjson::dom;

// Indexed by Timeframe (k1m .. k1d).
constexpr std::array<std::string_view, 8> kIntervals = {"1",  "3",  "5",   "15",
                                                        "30", "60", "240", "D"};

constexpr std::array<std::string_view, 2> kCategoryNames = {"spot", "linear"};

constexpr std::string_view kKlinePrefix = "kline.";
constexpr std::string_view kTickerPrefix = "tickers.";

using internal::clip;
using internal::engine_symbol;
using internal::kEchoLimit;
using internal::Number;
using internal::read_decimal;

// Topics are echoed in every reason; a real one is short, a garbage one is cut.
std::string_view clip_topic(std::string_view topic) {
  return topic.substr(0, 2 * kEchoLimit);
}

// ---- On-demand helpers

// The first '"' or '\\' in [p, limit), else limit. Eight bytes at a time (the frame sits in a
// buffer the parser owns, so whole words up to `limit` are readable); the hot path runs it on
// every key and every string value.
inline const char* find_quote_or_backslash(const char* p, const char* limit) noexcept {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighs = 0x8080808080808080ULL;
  while (limit - p >= 8) {
    uint64_t word = 0;
    std::memcpy(&word, p, sizeof word);
    const uint64_t quotes = word ^ (kOnes * '"');
    const uint64_t slashes = word ^ (kOnes * '\\');
    // A byte of x is zero -> its high bit in (x - 1s) & ~x; the lowest hit is exact.
    const uint64_t hits =
        ((quotes - kOnes) & ~quotes & kHighs) | ((slashes - kOnes) & ~slashes & kHighs);
    if (hits != 0) return p + (std::countr_zero(hits) >> 3);
    p += 8;
  }
  while (p != limit && *p != '"' && *p != '\\') ++p;
  return p;
}

// The characters of a JSON string value, read in place without unescaping. False when the value
// is not a string or holds an escape (no field this parser reads legitimately has one).
inline bool string_token(od::value& value, const char* buffer_end, std::string_view* out) noexcept {
  const char* const begin = value.raw_json_token().data();
  if (*begin != '"') return false;
  const char* const end = find_quote_or_backslash(begin + 1, buffer_end);
  if (end == buffer_end || *end != '"') return false;
  *out = std::string_view(begin + 1, static_cast<std::size_t>(end - begin - 1));
  return true;
}

// A field's key, read in place. It is compared against names without being measured first
// (measuring every key of every push costs more than the comparisons).
struct Key {
  const char* raw;  // just after the opening quote
  const char* buffer_end;

  char first() const noexcept { return raw[0]; }
  // The key as written, for messages (a key with an escape stops at the backslash).
  std::string_view text() const noexcept {
    return std::string_view(
        raw, static_cast<std::size_t>(find_quote_or_backslash(raw, buffer_end) - raw));
  }
};

// key == name: the name's bytes and then the closing quote, a fixed-size compare the compiler
// inlines. Reading past a short key stays inside the padded buffer.
template <std::size_t N>
inline bool is(Key key, const char (&name)[N]) noexcept {
  return std::memcmp(key.raw, name, N - 1) == 0 && key.raw[N - 1] == '"';
}

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept {
    return std::hash<std::string_view>{}(text);
  }
};

// ---- Tickers

enum TickerField : unsigned {
  kLastPrice,
  kBidPrice,
  kBidSize,
  kAskPrice,
  kAskSize,
  kMarkPrice,
  kVolume24h,
  kTurnover24h,
  kTickerFieldCount,
};

struct TickerKey {
  std::string_view key;
  TickerField field;
  Number number;
};

constexpr std::array<TickerKey, kTickerFieldCount> kTickerKeys = {{
    {"lastPrice", kLastPrice, Number::kPrice},
    {"bid1Price", kBidPrice, Number::kPrice},
    {"bid1Size", kBidSize, Number::kPrice},
    {"ask1Price", kAskPrice, Number::kPrice},
    {"ask1Size", kAskSize, Number::kPrice},
    {"markPrice", kMarkPrice, Number::kPrice},
    {"volume24h", kVolume24h, Number::kAmount},
    {"turnover24h", kTurnover24h, Number::kAmount},
}};

// The ticker field a key names, or kTickerFieldCount.
TickerField ticker_field_of(Key key) noexcept {
  switch (key.first()) {
    case 'l':
      if (is(key, "lastPrice")) return kLastPrice;
      break;
    case 'b':
      if (is(key, "bid1Price")) return kBidPrice;
      if (is(key, "bid1Size")) return kBidSize;
      break;
    case 'a':
      if (is(key, "ask1Price")) return kAskPrice;
      if (is(key, "ask1Size")) return kAskSize;
      break;
    case 'm':
      if (is(key, "markPrice")) return kMarkPrice;
      break;
    case 'v':
      if (is(key, "volume24h")) return kVolume24h;
      break;
    case 't':
      if (is(key, "turnover24h")) return kTurnover24h;
      break;
    default:
      break;
  }
  return kTickerFieldCount;
}

Decimal* quote_field(data::QuoteUpdated& quote, TickerField field) {
  switch (field) {
    case kLastPrice:
      return &quote.last_price;
    case kBidPrice:
      return &quote.bid_price;
    case kBidSize:
      return &quote.bid_size;
    case kAskPrice:
      return &quote.ask_price;
    case kAskSize:
      return &quote.ask_size;
    case kMarkPrice:
      return &quote.mark_price;
    case kVolume24h:
      return &quote.volume_24h;
    case kTurnover24h:
      return &quote.turnover_24h;
    case kTickerFieldCount:
      break;
  }
  return nullptr;
}

// ---- Klines

enum KlineField : unsigned {
  kStart = 1u << 0,
  kOpen = 1u << 1,
  kHigh = 1u << 2,
  kLow = 1u << 3,
  kClose = 1u << 4,
  kVolume = 1u << 5,
  kTurnover = 1u << 6,
  kConfirm = 1u << 7,
};
constexpr unsigned kKlineRequired =
    kStart | kOpen | kHigh | kLow | kClose | kVolume | kTurnover | kConfirm;

// The problem with a bar's values, or nullptr when they are consistent.
const char* bar_problem(const Bar& bar) {
  if (!bar.open.is_positive() || !bar.high.is_positive() || !bar.low.is_positive() ||
      !bar.close.is_positive()) {
    return "a price is not positive";
  }
  if (bar.high < bar.low) return "high is below low";
  if (bar.open < bar.low || bar.open > bar.high) return "open is outside [low, high]";
  if (bar.close < bar.low || bar.close > bar.high) return "close is outside [low, high]";
  if (bar.volume.is_negative()) return "volume is negative";
  if (bar.turnover.is_negative()) return "turnover is negative";
  return nullptr;
}

}  // namespace

// ---- Names

std::string_view to_string(Category category) {
  return kCategoryNames[static_cast<std::size_t>(category)];
}

std::optional<Category> category_from_string(std::string_view text) {
  for (std::size_t i = 0; i < kCategoryNames.size(); ++i) {
    if (kCategoryNames[i] == text) return static_cast<Category>(i);
  }
  return std::nullopt;
}

Asset domain_of(Category category) {
  return category == Category::kSpot ? Asset::kSpot : Asset::kPerp;
}

std::optional<Category> category_of(Asset domain) {
  if (domain == Asset::kSpot) return Category::kSpot;
  if (domain == Asset::kPerp) return Category::kLinear;
  return std::nullopt;
}

std::optional<Timeframe> timeframe_from_interval(std::string_view interval) {
  for (std::size_t i = 0; i < kIntervals.size(); ++i) {
    if (kIntervals[i] == interval) return static_cast<Timeframe>(i);
  }
  return std::nullopt;
}

std::string_view interval_of(Timeframe timeframe) {
  return kIntervals[static_cast<std::size_t>(timeframe)];
}

std::string kline_topic(const Symbol& symbol, Timeframe timeframe) {
  return fmt::format("kline.{}.{}", interval_of(timeframe), symbol.canonical());
}

std::string ticker_topic(const Symbol& symbol) {
  return fmt::format("tickers.{}", symbol.canonical());
}

// ---- PublicMessageParser

struct PublicMessageParser::Impl {
  enum class TopicKind { kKline, kTicker, kInvalid };

  // What the parser keeps per topic: the events it emits, pre-filled so that emitting copies
  // no symbol, the kline guard and the merged ticker state.
  struct TopicState {
    TopicKind kind = TopicKind::kInvalid;
    std::string error;  // kInvalid: why the topic cannot be translated
    std::string_view symbol_text;
    std::string_view interval;
    Timeframe timeframe = Timeframe::k1m;
    data::BarClosed closed;
    data::BarUpdated updated;
    TimestampMs last_closed = std::numeric_limits<TimestampMs>::min();
    TimestampMs last_seen = std::numeric_limits<TimestampMs>::min();
    data::QuoteUpdated quote;
    bool have_snapshot = false;
  };

  struct StagedBar {
    Bar bar;
    TimestampMs event_time = -1;  // -1: take the frame's ts
    bool confirm = false;
  };

  struct StagedTicker {
    unsigned present = 0;  // bit per TickerField
    std::array<Decimal, kTickerFieldCount> values{};
  };

  explicit Impl(Category category) : category(category), domain(domain_of(category)) {
    staged_bars.reserve(8);
  }

  ParseResult parse(std::string_view frame, MarketEventSink& sink);

  // Copies the frame into the padded buffer simdjson reads.
  void load(std::string_view frame) {
    const std::size_t needed = frame.size() + simdjson::SIMDJSON_PADDING;
    if (buffer.size() < needed) buffer.resize(std::max(needed, 2 * buffer.size()));
    std::memcpy(buffer.data(), frame.data(), frame.size());
    std::memset(buffer.data() + frame.size(), 0, simdjson::SIMDJSON_PADDING);
  }

  TopicState* find_topic(std::string_view topic);
  bool read_envelope_field(Key key, od::value& value);
  bool read_kline_data(od::value& value);
  bool read_ticker_data(od::value& value);
  ParseResult finish_control();

  template <class... Args>
  [[gnu::cold, gnu::noinline]] bool fail(fmt::format_string<Args...> format, Args&&... args) {
    reason.clear();
    if (!topic.empty()) fmt::format_to(std::back_inserter(reason), "{}: ", clip_topic(topic));
    fmt::format_to(std::back_inserter(reason), format, std::forward<Args>(args)...);
    return false;
  }
  ParseResult malformed() {
    ParseResult result;
    result.kind = FrameKind::kMalformed;
    result.reason = reason;
    return result;
  }

  const Category category;
  const Asset domain;
  od::parser parser;
  std::vector<char> buffer;
  std::unordered_map<std::string, TopicState, StringHash, std::equal_to<>> topics;

  // Per frame.
  const char* buffer_end = nullptr;
  std::string reason;
  std::string_view topic;
  TopicState* state = nullptr;
  bool topics_full = false;  // the topic was not translated because kMaxTopics are kept
  bool data_seen = false;
  bool data_deferred = false;  // `data` came before `topic`: read it in a second pass
  std::string_view type;
  std::optional<TimestampMs> ts;
  bool has_control = false;
  std::optional<bool> success;
  std::string operation;
  std::string request_id;
  std::string message;
  std::vector<StagedBar> staged_bars;
  StagedTicker staged_ticker;
};

PublicMessageParser::Impl::TopicState* PublicMessageParser::Impl::find_topic(
    std::string_view name) {
  if (const auto found = topics.find(name); found != topics.end()) return &found->second;
  const bool kline = name.starts_with(kKlinePrefix);
  if (!kline && !name.starts_with(kTickerPrefix)) return nullptr;  // not translated here
  if (topics.size() >= PublicMessageParser::kMaxTopics) {
    topics_full = true;
    return nullptr;
  }

  auto [inserted, unused] = topics.emplace(std::string(name), TopicState{});
  TopicState& fresh = inserted->second;
  const std::string_view key = inserted->first;  // stable for the node's life
  if (kline) {
    const std::string_view rest = key.substr(kKlinePrefix.size());
    const std::size_t dot = rest.find('.');
    const std::string_view interval = rest.substr(0, dot);
    fresh.symbol_text = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
    const auto timeframe = timeframe_from_interval(interval);
    if (!timeframe.has_value()) {
      fresh.error = fmt::format("unknown kline interval \"{}\"", clip(interval));
      return &fresh;
    }
    fresh.kind = TopicKind::kKline;
    fresh.timeframe = *timeframe;
    fresh.interval = interval_of(*timeframe);
  } else {
    fresh.symbol_text = key.substr(kTickerPrefix.size());
    fresh.kind = TopicKind::kTicker;
  }
  try {
    const Symbol symbol = Symbol::parse(fresh.symbol_text);
    fresh.closed = data::BarClosed{data::FeedKind::kLive, domain, symbol, fresh.timeframe, {}, 0};
    fresh.updated = data::BarUpdated{data::FeedKind::kLive, domain, symbol, fresh.timeframe, {}, 0};
    fresh.quote.feed = data::FeedKind::kLive;
    fresh.quote.domain = domain;
    fresh.quote.symbol = symbol;
  } catch (const GauntletError& error) {
    fresh.kind = TopicKind::kInvalid;
    fresh.error =
        fmt::format("symbol \"{}\" is not usable: {}", clip(fresh.symbol_text), error.what());
  }
  return &fresh;
}

bool PublicMessageParser::Impl::read_kline_data(od::value& value) {
  od::array items;
  if (value.get_array().get(items) != simdjson::SUCCESS) return fail("data is not an array");
  for (auto item_result : items) {
    od::object item;
    if (item_result.get_object().get(item) != simdjson::SUCCESS) {
      return fail("a data element is not an object");
    }
    StagedBar staged;
    unsigned present = 0;
    for (auto field_result : item) {
      od::field field;
      if (std::move(field_result).get(field) != simdjson::SUCCESS) {
        return fail("broken JSON in data");
      }
      const Key key{field.key().raw(), buffer_end};
      od::value& field_value = field.value();
      Decimal* target = nullptr;
      Number number = Number::kPrice;
      unsigned bit = 0;
      switch (key.first()) {
        case 's':
          if (is(key, "start")) {
            int64_t start = 0;
            if (field_value.get_int64().get(start) != simdjson::SUCCESS) {
              return fail("start is not an integer");
            }
            staged.bar.open_time = start;
            present |= kStart;
          }
          break;
        case 'i':
          if (is(key, "interval")) {
            std::string_view interval;
            if (!string_token(field_value, buffer_end, &interval)) {
              return fail("interval is not a string");
            }
            if (interval != state->interval) {
              return fail("interval \"{}\" does not match the topic", clip(interval));
            }
          }
          break;
        case 'o':
          if (is(key, "open")) {
            target = &staged.bar.open;
            bit = kOpen;
          }
          break;
        case 'h':
          if (is(key, "high")) {
            target = &staged.bar.high;
            bit = kHigh;
          }
          break;
        case 'l':
          if (is(key, "low")) {
            target = &staged.bar.low;
            bit = kLow;
          }
          break;
        case 'c':
          if (is(key, "close")) {
            target = &staged.bar.close;
            bit = kClose;
          } else if (is(key, "confirm")) {
            bool confirm = false;
            if (field_value.get_bool().get(confirm) != simdjson::SUCCESS) {
              return fail("confirm is not a boolean");
            }
            staged.confirm = confirm;
            present |= kConfirm;
          }
          break;
        case 'v':
          if (is(key, "volume")) {
            target = &staged.bar.volume;
            bit = kVolume;
            number = Number::kAmount;
          }
          break;
        case 't':
          if (is(key, "turnover")) {
            target = &staged.bar.turnover;
            bit = kTurnover;
            number = Number::kAmount;
          } else if (is(key, "timestamp")) {
            int64_t timestamp = 0;
            if (field_value.get_int64().get(timestamp) != simdjson::SUCCESS || timestamp < 0) {
              return fail("timestamp is not a non-negative integer");
            }
            staged.event_time = timestamp;
          }
          break;
        default:
          break;
      }
      if (target != nullptr) {
        std::string_view text;
        if (!string_token(field_value, buffer_end, &text)) {
          return fail("{} is not a string", key.text());
        }
        if (!read_decimal(text, number, target)) {
          return fail("{} \"{}\" is not a decimal", key.text(), clip(text));
        }
        present |= bit;
      }
    }
    if ((present & kKlineRequired) != kKlineRequired) {
      for (const auto& [bit, name] :
           std::array<std::pair<unsigned, const char*>, 8>{{{kStart, "start"},
                                                            {kOpen, "open"},
                                                            {kHigh, "high"},
                                                            {kLow, "low"},
                                                            {kClose, "close"},
                                                            {kVolume, "volume"},
                                                            {kTurnover, "turnover"},
                                                            {kConfirm, "confirm"}}}) {
        if ((present & bit) == 0) return fail("kline lacks {}", name);
      }
    }
    if (staged.bar.open_time < 0 ||
        floor_to(staged.bar.open_time, state->timeframe) != staged.bar.open_time) {
      return fail("start {} is not a {} boundary", staged.bar.open_time,
                  to_string(state->timeframe));
    }
    if (const char* problem = bar_problem(staged.bar)) {
      return fail("{} (open {} high {} low {} close {} volume {} turnover {})", problem,
                  staged.bar.open, staged.bar.high, staged.bar.low, staged.bar.close,
                  staged.bar.volume, staged.bar.turnover);
    }
    staged_bars.push_back(staged);
  }
  if (staged_bars.empty()) return fail("data holds no kline");
  return true;
}

bool PublicMessageParser::Impl::read_ticker_data(od::value& value) {
  od::object object;
  if (value.get_object().get(object) != simdjson::SUCCESS) return fail("data is not an object");
  for (auto field_result : object) {
    od::field field;
    if (std::move(field_result).get(field) != simdjson::SUCCESS) return fail("broken JSON in data");
    const Key key{field.key().raw(), buffer_end};
    od::value& field_value = field.value();
    if (is(key, "symbol")) {
      std::string_view symbol;
      if (!string_token(field_value, buffer_end, &symbol)) return fail("symbol is not a string");
      if (symbol != state->symbol_text) {
        return fail("symbol \"{}\" does not match the topic", clip(symbol));
      }
      continue;
    }
    const TickerField known = ticker_field_of(key);
    if (known == kTickerFieldCount) continue;
    std::string_view text;
    if (!string_token(field_value, buffer_end, &text)) {
      return fail("{} is not a string", key.text());
    }
    Decimal parsed;
    if (!text.empty()) {  // "" means not provided: zero
      if (!read_decimal(text, kTickerKeys[known].number, &parsed)) {
        return fail("{} \"{}\" is not a decimal", key.text(), clip(text));
      }
      if (parsed.is_negative()) return fail("{} is negative ({})", key.text(), parsed);
    }
    staged_ticker.values[known] = parsed;
    staged_ticker.present |= 1u << known;
  }
  return true;
}

bool PublicMessageParser::Impl::read_envelope_field(Key key, od::value& value) {
  if (is(key, "topic")) {
    if (!topic.empty()) return true;  // the first one counts
    std::string_view name;
    if (!string_token(value, buffer_end, &name) || name.empty()) {
      return fail("topic is not a string");
    }
    topic = name;
    state = find_topic(name);
    return true;
  }
  if (is(key, "data")) {
    data_seen = true;
    if (topic.empty()) {
      data_deferred = true;
      return true;
    }
    if (state == nullptr || state->kind == TopicKind::kInvalid) return true;
    return state->kind == TopicKind::kKline ? read_kline_data(value) : read_ticker_data(value);
  }
  if (is(key, "type")) {
    if (!string_token(value, buffer_end, &type)) return fail("type is not a string");
    return true;
  }
  if (is(key, "ts")) {
    int64_t stamp = 0;
    if (value.get_int64().get(stamp) != simdjson::SUCCESS || stamp < 0) {
      return fail("ts is not a non-negative integer");
    }
    ts = stamp;
    return true;
  }
  // Control frames: rare, so their strings are unescaped and copied.
  if (is(key, "op") || is(key, "req_id") || is(key, "ret_msg")) {
    std::string_view text;
    if (value.get_string().get(text) != simdjson::SUCCESS) {
      return fail("{} is not a string", key.text());
    }
    std::string& target = is(key, "op") ? operation : is(key, "req_id") ? request_id : message;
    target.assign(text);
    has_control = true;
    return true;
  }
  if (is(key, "success")) {
    bool flag = false;
    if (value.get_bool().get(flag) != simdjson::SUCCESS) return fail("success is not a boolean");
    success = flag;
    has_control = true;
    return true;
  }
  return true;
}

ParseResult PublicMessageParser::Impl::finish_control() {
  ParseResult result;
  result.kind = FrameKind::kControl;
  result.operation = operation;
  result.request_id = request_id;
  result.message = message;
  result.success = success.value_or(true);
  if (operation == "pong" || message == "pong") {
    result.control = ControlKind::kPong;
  } else if (operation == "subscribe") {
    result.control = ControlKind::kSubscribe;
  } else if (operation == "unsubscribe") {
    result.control = ControlKind::kUnsubscribe;
  } else {
    result.control = ControlKind::kOther;
  }
  return result;
}

ParseResult PublicMessageParser::Impl::parse(std::string_view frame, MarketEventSink& sink) {
  reason.clear();
  topic = {};
  state = nullptr;
  topics_full = false;
  data_seen = false;
  data_deferred = false;
  type = {};
  ts.reset();
  has_control = false;
  success.reset();
  operation.clear();
  request_id.clear();
  message.clear();
  staged_bars.clear();
  staged_ticker = StagedTicker{};

  if (frame.empty()) {
    fail("empty frame");
    return malformed();
  }
  load(frame);
  buffer_end = buffer.data() + buffer.size();

  od::document document;
  if (const auto error = parser.iterate(buffer.data(), frame.size(), buffer.size()).get(document);
      error != simdjson::SUCCESS) {
    fail("not JSON ({})", simdjson::error_message(error));
    return malformed();
  }
  od::object root;
  if (document.get_object().get(root) != simdjson::SUCCESS) {
    fail("not a JSON object");
    return malformed();
  }
  for (auto field_result : root) {
    od::field field;
    if (const auto error = std::move(field_result).get(field); error != simdjson::SUCCESS) {
      fail("broken JSON ({})", simdjson::error_message(error));
      return malformed();
    }
    if (!read_envelope_field(Key{field.key().raw(), buffer_end}, field.value())) return malformed();
  }
  if (document.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    fail("trailing characters after the JSON object");
    return malformed();
  }

  if (data_deferred && state != nullptr && state->kind != TopicKind::kInvalid) {
    document.rewind();
    od::object again;
    if (document.get_object().get(again) != simdjson::SUCCESS) {
      fail("not a JSON object");
      return malformed();
    }
    for (auto field_result : again) {
      od::field field;
      if (std::move(field_result).get(field) != simdjson::SUCCESS) {
        fail("broken JSON");
        return malformed();
      }
      if (!is(Key{field.key().raw(), buffer_end}, "data")) continue;
      const bool ok = state->kind == TopicKind::kKline ? read_kline_data(field.value())
                                                       : read_ticker_data(field.value());
      if (!ok) return malformed();
      break;
    }
  }

  if (topic.empty()) {
    if (has_control) return finish_control();
    fail("neither a topic nor an op");
    return malformed();
  }
  if (state == nullptr) {
    if (topics_full) {
      fail("more than {} topics on one connection", PublicMessageParser::kMaxTopics);
      return malformed();
    }
    reason.assign(clip_topic(topic));
    ParseResult result;
    result.kind = FrameKind::kIgnored;
    result.reason = reason;
    return result;
  }
  if (state->kind == TopicKind::kInvalid) {
    fail("{}", state->error);
    return malformed();
  }
  if (!data_seen) {
    fail("no data");
    return malformed();
  }

  ParseResult result;
  result.kind = FrameKind::kData;
  if (state->kind == TopicKind::kKline) {
    for (const StagedBar& staged : staged_bars) {
      if (staged.event_time < 0 && !ts.has_value()) {
        fail("neither timestamp nor ts");
        return malformed();
      }
    }
    for (const StagedBar& staged : staged_bars) {
      const TimestampMs open_time = staged.bar.open_time;
      const TimestampMs event_time = staged.event_time >= 0 ? staged.event_time : *ts;
      if (staged.confirm) {
        if (open_time <= state->last_closed) {
          ++result.stale;
          continue;
        }
        state->last_closed = open_time;
        state->last_seen = std::max(state->last_seen, open_time);
        state->closed.bar = staged.bar;
        state->closed.event_time = event_time;
        sink.on_bar_closed(state->closed);
      } else {
        if (open_time <= state->last_closed || open_time < state->last_seen) {
          ++result.stale;
          continue;
        }
        state->last_seen = open_time;
        state->updated.bar = staged.bar;
        state->updated.event_time = event_time;
        sink.on_bar_updated(state->updated);
      }
      ++result.events;
    }
    return result;
  }

  // Ticker.
  if (!ts.has_value()) {
    fail("no ts");
    return malformed();
  }
  const bool snapshot = type.empty() || type == "snapshot";
  if (!snapshot && type != "delta") {
    fail("unknown type \"{}\"", clip(type));
    return malformed();
  }
  if (!snapshot && !state->have_snapshot) {
    fail("delta before any snapshot");
    return malformed();
  }
  for (unsigned field = 0; field < kTickerFieldCount; ++field) {
    const bool present = (staged_ticker.present & (1u << field)) != 0;
    if (present || snapshot) {
      *quote_field(state->quote, static_cast<TickerField>(field)) =
          present ? staged_ticker.values[field] : Decimal::zero();
    }
  }
  state->have_snapshot = true;
  state->quote.event_time = *ts;
  sink.on_quote_updated(state->quote);
  result.events = 1;
  return result;
}

PublicMessageParser::PublicMessageParser(Category category)
    : impl_(std::make_unique<Impl>(category)) {}

PublicMessageParser::~PublicMessageParser() = default;

ParseResult PublicMessageParser::parse(std::string_view frame, MarketEventSink& sink) {
  return impl_->parse(frame, sink);
}

void PublicMessageParser::reset_snapshots() {
  for (auto& [name, state] : impl_->topics) state.have_snapshot = false;
}

Category PublicMessageParser::category() const {
  return impl_->category;
}

Asset PublicMessageParser::domain() const {
  return impl_->domain;
}

// ---- REST bodies

namespace {

// The body's root object after the envelope check; the DOM lives in `parser`.
dom::element parse_envelope(dom::parser& parser, std::string_view body, std::string_view what) {
  const internal::Envelope envelope = internal::read_envelope(parser, body);
  if (!envelope.problem.empty())
    throw DataError(fmt::format("bybit {}: {}", what, envelope.problem));
  if (envelope.ret_code != 0) {
    const int code = envelope.ret_code_int();
    throw BrokerError(
        fmt::format("bybit {}: retCode {}: {}", what, envelope.ret_code, envelope.ret_message),
        code, is_retryable_ret_code(code));
  }
  return envelope.root;
}

// Names the place of a problem in a REST body: "instruments-info BTCUSDT".
class Where {
 public:
  Where(std::string_view what, std::string_view item) : what_(what), item_(item) {}

  [[noreturn]] void fail(std::string_view problem) const {
    if (item_.empty()) throw DataError(fmt::format("bybit {}: {}", what_, problem));
    throw DataError(fmt::format("bybit {} {}: {}", what_, item_, problem));
  }

  template <class Object>
  std::optional<std::string_view> optional_string(Object object, std::string_view key) const {
    dom::element value;
    if (object[key].get(value) != simdjson::SUCCESS || value.is_null()) return std::nullopt;
    std::string_view text;
    if (value.get_string().get(text) != simdjson::SUCCESS) {
      fail(fmt::format("{} is not a string", key));
    }
    return text;
  }

  std::string_view string(dom::element object, std::string_view key) const {
    const auto text = optional_string(object, key);
    if (!text.has_value()) fail(fmt::format("{} is missing", key));
    return *text;
  }

  Decimal decimal(std::string_view key, std::string_view text, Number number) const {
    Decimal value;
    if (!read_decimal(text, number, &value)) {
      fail(fmt::format("{} \"{}\" is not a decimal", key, clip(text)));
    }
    if (value.is_negative()) fail(fmt::format("{} is negative ({})", key, value));
    return value;
  }

  // A decimal string field; `fallback` when absent or "" (no fallback: required).
  template <class Object>
  Decimal decimal_field(Object object, std::string_view key, Number number,
                        std::optional<Decimal> fallback = std::nullopt) const {
    const auto text = optional_string(object, key);
    if (!text.has_value() || text->empty()) {
      if (!fallback.has_value()) fail(fmt::format("{} is missing", key));
      return *fallback;
    }
    return decimal(key, *text, number);
  }

  int64_t integer(std::string_view key, std::string_view text) const {
    int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
      fail(fmt::format("{} \"{}\" is not an integer", key, clip(text)));
    }
    return value;
  }

  dom::object object(dom::element parent, std::string_view key) const {
    dom::object value;
    if (parent[key].get_object().get(value) != simdjson::SUCCESS) {
      fail(fmt::format("{} is missing or not an object", key));
    }
    return value;
  }

 private:
  std::string_view what_;
  std::string_view item_;
};

dom::array result_list(dom::element root, std::string_view what) {
  dom::array list;
  if (root["result"]["list"].get_array().get(list) != simdjson::SUCCESS) {
    Where(what, "").fail("result.list is missing or not an array");
  }
  return list;
}

}  // namespace

bool is_retryable_ret_code(int ret_code) {
  return ret_code == 10002 || ret_code == 10006 || ret_code == 10016;
}

void check_envelope(std::string_view body) {
  dom::parser parser;
  parse_envelope(parser, body, "response");
}

std::vector<Bar> parse_kline_page(std::string_view body) {
  constexpr std::string_view kWhat = "kline";
  dom::parser parser;
  const dom::element root = parse_envelope(parser, body, kWhat);
  const dom::array list = result_list(root, kWhat);
  std::vector<Bar> bars;
  bars.reserve(list.size());
  std::size_t row = 0;
  for (const dom::element candle : list) {
    const std::string item = fmt::format("row {}", row++);
    const Where where(kWhat, item);
    dom::array cells;
    if (candle.get_array().get(cells) != simdjson::SUCCESS || cells.size() < 7) {
      where.fail("not an array of 7 strings");
    }
    std::array<std::string_view, 7> text;
    std::size_t index = 0;
    for (const dom::element cell : cells) {
      if (index == text.size()) break;
      if (cell.get_string().get(text[index]) != simdjson::SUCCESS) {
        where.fail(fmt::format("element {} is not a string", index));
      }
      ++index;
    }
    Bar bar;
    bar.open_time = where.integer("startTime", text[0]);
    bar.open = where.decimal("open", text[1], Number::kPrice);
    bar.high = where.decimal("high", text[2], Number::kPrice);
    bar.low = where.decimal("low", text[3], Number::kPrice);
    bar.close = where.decimal("close", text[4], Number::kPrice);
    bar.volume = where.decimal("volume", text[5], Number::kAmount);
    bar.turnover = where.decimal("turnover", text[6], Number::kAmount);
    if (bar.open_time < 0) where.fail("startTime is negative");
    if (const char* problem = bar_problem(bar)) where.fail(problem);
    bars.push_back(bar);
  }
  std::stable_sort(bars.begin(), bars.end(),
                   [](const Bar& a, const Bar& b) { return a.open_time < b.open_time; });
  bars.erase(std::unique(bars.begin(), bars.end(),
                         [](const Bar& a, const Bar& b) { return a.open_time == b.open_time; }),
             bars.end());
  return bars;
}

InstrumentsPage parse_instruments_page(std::string_view body, Category category) {
  constexpr std::string_view kWhat = "instruments-info";
  dom::parser parser;
  const dom::element root = parse_envelope(parser, body, kWhat);
  InstrumentsPage page;
  dom::element result;
  if (root["result"].get(result) != simdjson::SUCCESS || !result.is_object()) {
    Where(kWhat, "").fail("result is missing or not an object");
  }
  if (const auto cursor = Where(kWhat, "").optional_string(result, "nextPageCursor")) {
    page.next_page_cursor.assign(*cursor);
  }
  const dom::array list = result_list(root, kWhat);
  page.instruments.reserve(list.size());
  for (const dom::element item : list) {
    const std::string_view name = Where(kWhat, "").string(item, "symbol");
    const Where where(kWhat, name);
    if (category == Category::kLinear) {
      const auto contract = where.optional_string(item, "contractType");
      if (contract.has_value() && *contract != "LinearPerpetual") {
        page.skipped.push_back(fmt::format("{}: contract type {}", name, *contract));
        continue;
      }
    }
    const std::string_view quote = where.optional_string(item, "quoteCoin").value_or("");
    const auto symbol = engine_symbol(name, quote);
    if (!symbol.has_value()) {
      page.skipped.push_back(fmt::format("{}: not a symbol the engine can name", name));
      continue;
    }
    data::InstrumentInfo info;
    info.domain = domain_of(category);
    info.symbol = *symbol;
    info.status.assign(where.string(item, "status"));
    const dom::object price_filter = where.object(item, "priceFilter");
    const dom::object lot_size = where.object(item, "lotSizeFilter");
    info.tick_size = where.decimal_field(price_filter, "tickSize", Number::kPrice);
    if (category == Category::kSpot) {
      info.qty_step = where.decimal_field(lot_size, "basePrecision", Number::kPrice);
      info.min_qty = where.decimal_field(lot_size, "minOrderQty", Number::kPrice, info.qty_step);
      info.min_notional = where.decimal_field(lot_size, "minOrderAmt", Number::kAmount, Decimal());
    } else {
      info.qty_step = where.decimal_field(lot_size, "qtyStep", Number::kPrice);
      info.min_qty = where.decimal_field(lot_size, "minOrderQty", Number::kPrice);
      info.min_notional =
          where.decimal_field(lot_size, "minNotionalValue", Number::kAmount, Decimal());
    }
    info.max_qty = where.decimal_field(lot_size, "maxOrderQty", Number::kAmount);
    if (!info.tick_size.is_positive()) where.fail("tickSize is not positive");
    if (!info.qty_step.is_positive()) where.fail("the quantity step is not positive");
    if (info.max_qty < info.min_qty) where.fail("maxOrderQty is below minOrderQty");
    if (const auto launch = where.optional_string(item, "launchTime");
        launch.has_value() && !launch->empty()) {
      info.launch_time = where.integer("launchTime", *launch);
      if (info.launch_time < 0) where.fail("launchTime is negative");
    }
    page.instruments.push_back(std::move(info));
  }
  return page;
}

std::vector<data::QuoteUpdated> parse_tickers(std::string_view body, Category category) {
  constexpr std::string_view kWhat = "tickers";
  dom::parser parser;
  const dom::element root = parse_envelope(parser, body, kWhat);
  int64_t time = 0;
  if (root["time"].get_int64().get(time) != simdjson::SUCCESS) time = 0;
  const dom::array list = result_list(root, kWhat);
  std::vector<data::QuoteUpdated> quotes;
  quotes.reserve(list.size());
  for (const dom::element item : list) {
    const std::string_view name = Where(kWhat, "").string(item, "symbol");
    const auto symbol = engine_symbol(name, "");
    if (!symbol.has_value()) continue;  // dated futures, options-style names
    const Where where(kWhat, name);
    data::QuoteUpdated quote;
    quote.feed = data::FeedKind::kLive;
    quote.domain = domain_of(category);
    quote.symbol = *symbol;
    quote.event_time = time;
    for (const TickerKey& known : kTickerKeys) {
      *quote_field(quote, known.field) =
          where.decimal_field(item, known.key, known.number, Decimal());
    }
    quotes.push_back(std::move(quote));
  }
  return quotes;
}

TimestampMs parse_server_time(std::string_view body) {
  constexpr std::string_view kWhat = "time";
  dom::parser parser;
  const dom::element root = parse_envelope(parser, body, kWhat);
  const Where where(kWhat, "");
  dom::element result;
  if (root["result"].get(result) != simdjson::SUCCESS || !result.is_object()) {
    where.fail("result is missing or not an object");
  }
  if (const auto nanos = where.optional_string(result, "timeNano"); nanos && !nanos->empty()) {
    const int64_t value = where.integer("timeNano", *nanos);
    if (value < 0) where.fail("timeNano is negative");
    return value / 1'000'000;
  }
  if (const auto seconds = where.optional_string(result, "timeSecond");
      seconds && !seconds->empty()) {
    const int64_t value = where.integer("timeSecond", *seconds);
    if (value < 0 || value > std::numeric_limits<int64_t>::max() / 1000) {
      where.fail("timeSecond is out of range");
    }
    return value * 1000;
  }
  where.fail("neither timeNano nor timeSecond");
}

}  // namespace gauntlet::brokers::bybit
