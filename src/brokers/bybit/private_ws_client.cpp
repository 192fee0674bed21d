#include "brokers/bybit/private_ws_client.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <string_view>
#include <utility>

#include "brokers/bybit/internal/ws_connection.hpp"
#include "core/asio.hpp"
#include "core/exceptions.hpp"
#include "core/logging.hpp"

namespace gauntlet::brokers::bybit {
namespace {

using internal::milliseconds;
using internal::SteadyClock;
using internal::WsConnection;

// Whether `topic` is one the parser reads: nullopt when not; else whether it is categorised
// ("order.linear") rather than all-in-one ("order").
std::optional<bool> categorised_topic(std::string_view topic) {
  std::string_view base = topic;
  bool categorised = false;
  if (const std::size_t dot = topic.rfind('.'); dot != std::string_view::npos) {
    const std::string_view last = topic.substr(dot + 1);
    if (last == "spot" || last == "linear" || last == "inverse" || last == "option") {
      base = topic.substr(0, dot);
      categorised = true;
    }
  }
  if (base == "order" || base == "execution" || base == "execution.fast" || base == "position") {
    return categorised;
  }
  if (base == "wallet" && !categorised) return false;
  return std::nullopt;
}

bool is_plain_key(std::string_view key) {
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

std::vector<std::string> config_problems(const PrivateWsConfig& config) {
  std::vector<std::string> problems;
  if (config.credentials.empty()) problems.emplace_back("credentials: key and secret are required");
  if (!is_plain_key(config.credentials.key)) {
    problems.emplace_back("credentials.key: must be letters, digits, '_' or '-'");
  }
  if (config.topics.empty()) problems.emplace_back("topics: must name at least one topic");
  std::optional<bool> style;
  for (const std::string& topic : config.topics) {
    const std::optional<bool> categorised = categorised_topic(topic);
    if (!categorised) {
      problems.push_back(fmt::format(
          "topics: must be order, execution, execution.fast, position or wallet, or their "
          ".spot/.linear/.inverse/.option forms (got \"{}\")",
          topic.substr(0, 100)));
    } else if (style && *style != *categorised) {
      problems.push_back(fmt::format(
          "topics: all-in-one and categorised topics cannot be mixed (got \"{}\")", topic));
    } else {
      style = categorised;
    }
  }
  internal::check_positive(problems, "ping_interval_ms", config.ping_interval_ms);
  internal::check_positive(problems, "pong_timeout_ms", config.pong_timeout_ms);
  internal::check_positive(problems, "auth_expiry_ms", config.auth_expiry_ms);
  internal::check_positive(problems, "connect_timeout_ms", config.connect_timeout_ms);
  internal::check_positive(problems, "auth_timeout_ms", config.auth_timeout_ms);
  internal::check_positive(problems, "retry.max_attempts", config.retry.max_attempts);
  internal::check_positive(problems, "retry.initial_delay", config.retry.initial_delay);
  internal::check_positive(problems, "max_frame_bytes",
                           static_cast<int64_t>(config.max_frame_bytes));
  if (config.retry.max_delay < config.retry.initial_delay) {
    problems.push_back(fmt::format("retry.max_delay: must be at least initial_delay {} (got {})",
                                   config.retry.initial_delay, config.retry.max_delay));
  }
  if (!(config.retry.multiplier >= 1.0)) {
    problems.push_back(
        fmt::format("retry.multiplier: must be at least 1 (got {})", config.retry.multiplier));
  }
  if (!(config.retry.jitter >= 0.0 && config.retry.jitter < 1.0)) {
    problems.push_back(
        fmt::format("retry.jitter: must be in [0, 1) (got {})", config.retry.jitter));
  }
  return problems;
}

TimestampMs wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A refusal of auth or subscribe: fatal, whatever the code (Bybit's WebSocket answers often
// carry none).
BrokerFailure refusal(int code, std::string message) {
  BrokerFailure failure;
  failure.code = code;
  failure.message = std::move(message);
  failure.error_class = ErrorClass::kFatal;
  return failure;
}

// Where a session stands; kLive is "connected".
enum class Phase { kConnecting, kAuthenticating, kSubscribing, kLive };

}  // namespace

struct PrivateWsClient::Impl : PrivateEventSink {
  Impl(asio::io_context& loop, PrivateWsConfig config_in, PrivateEventSink& sink)
      : loop(loop),
        config(std::move(config_in)),
        log(module_logger("bybit_private_ws")),
        sink(&sink),
        seeds(config.seed != 0 ? config.seed : std::random_device{}()),
        backoff(config.retry, seeds()),
        slot(
            loop,
            internal::WsTarget(config.url.empty() ? std::string(kDefaultPrivateWsUrl) : config.url),
            config.connect_timeout_ms, config.max_frame_bytes),
        malformed_warnings(config.warn_interval_ms) {
    if (std::vector<std::string> problems = config_problems(config); !problems.empty()) {
      throw ConfigError(std::move(problems));
    }
    for (const std::string& topic : config.topics) {
      topic_args += fmt::format("{}\"{}\"", topic_args.empty() ? "" : ",", topic);
    }
  }

  // PrivateEventSink: the parser's records, forwarded while not stopped.
  void on_order(const VenueOrder& order) override {
    if (!slot.stopped()) sink->on_order(order);
  }
  void on_execution(const Execution& execution) override {
    if (!slot.stopped()) sink->on_execution(execution);
  }
  void on_position(const VenuePosition& position) override {
    if (!slot.stopped()) sink->on_position(position);
  }
  void on_wallet(const WalletBalance& wallet) override {
    if (!slot.stopped()) sink->on_wallet(wallet);
  }

  bool is_connected() const {
    return phase == Phase::kLive && slot.current() != nullptr && slot.current()->alive();
  }

  // Keeps one session up until stopped or failed (fail() stops the slot): connect, serve, back
  // off, again.
  asio::awaitable<void> run(std::shared_ptr<Impl> keep_alive) {
    static_cast<void>(keep_alive);
    while (!slot.stopped()) {
      std::string reason = co_await internal::failure_of(connect_and_serve());
      const std::shared_ptr<WsConnection> ended = slot.release(reason);
      const bool was_live = phase == Phase::kLive;
      phase = Phase::kConnecting;
      // The first reason wins (a watchdog's over the read's abort).
      if (ended != nullptr) reason = ended->reason();
      if (slot.stopped()) break;
      if (reason.empty()) reason = "closed";
      if (was_live) {
        ++counters.disconnects;
        log->warn("connection lost url={} reason=\"{}\"", slot.target().name(), reason);
        if (SteadyClock::now() - live_since >= milliseconds(config.stable_after_ms)) {
          backoff = Backoff(config.retry, seeds());
        }
        if (state_handler) state_handler(false, reason);
        if (slot.stopped()) break;
      } else {
        ++counters.connect_failures;
        log->warn("connect failed url={} reason=\"{}\"", slot.target().name(), reason);
      }
      const std::optional<DurationMs> delay = backoff.next(transport_failure(reason));
      if (!delay) {
        fail(transport_failure(fmt::format("gave up after {} connection attempts, the last: {}",
                                           backoff.attempts(), reason)));
        break;
      }
      log->info("reconnecting url={} in_ms={} attempt={}", slot.target().name(), *delay,
                backoff.attempts());
      co_await slot.wait(*delay);
    }
  }

  asio::awaitable<void> connect_and_serve() {
    const std::shared_ptr<WsConnection> current = co_await slot.open();
    if (current == nullptr) co_return;
    current->start({config.ping_interval_ms, config.ping_interval_ms + config.pong_timeout_ms,
                    config.pong_timeout_ms, [this] {
                      ++counters.pings_sent;
                      return internal::ping_message(++request_counter);
                    }});
    authenticate(*current);
    co_await current->receive(
        [this](const WsConnection::Message& message) { on_message(message); });
  }

  void authenticate(WsConnection& connection) {
    phase = Phase::kAuthenticating;
    const TimestampMs expires = wall_clock_ms() + config.auth_expiry_ms;
    connection.send(fmt::format(R"({{"req_id":"auth-{}","op":"auth","args":["{}",{},"{}"]}})",
                                ++request_counter, config.credentials.key, expires,
                                sign_ws_auth(config.credentials.secret, expires)));
    connection.expect(config.auth_timeout_ms,
                      fmt::format("no answer to auth within {} ms", config.auth_timeout_ms));
  }

  void subscribe(WsConnection& connection) {
    phase = Phase::kSubscribing;
    subscribe_request = fmt::format("sub-{}", ++request_counter);
    connection.send(fmt::format(R"({{"req_id":"{}","op":"subscribe","args":[{}]}})",
                                subscribe_request, topic_args));
    connection.expect(config.auth_timeout_ms,
                      fmt::format("no answer to subscribe within {} ms", config.auth_timeout_ms));
  }

  void on_message(const WsConnection::Message& message) {
    if (slot.stopped()) return;
    ++counters.frames;
    if (message.binary) return on_malformed("binary frame");
    const PrivateParseResult result = parser.parse(message.text, *this);
    counters.records += result.records;
    if (result.kind == FrameKind::kMalformed) return on_malformed(result.reason);
    if (result.kind == FrameKind::kIgnored) ++counters.ignored;
    if (result.kind != FrameKind::kControl) return;
    ++counters.control;
    switch (result.control) {
      case PrivateControl::kPong:
        ++counters.pongs;
        slot.current()->pong();
        break;
      case PrivateControl::kAuth:
        on_auth(result);
        break;
      case PrivateControl::kSubscribe:
        on_subscribed(result);
        break;
      default:
        if (!result.success) {
          log->warn("request failed op={} req_id={} ret_msg=\"{}\"", result.operation,
                    result.request_id, result.message);
        }
    }
  }

  void on_auth(const PrivateParseResult& result) {
    if (phase != Phase::kAuthenticating) return;  // not an answer to this session's auth
    if (result.success) return subscribe(*slot.current());
    ++counters.auth_failures;
    const std::string message = fmt::format(
        "auth refused: {}", result.message.empty() ? "no reason given" : result.message);
    if (result.failure && result.failure->retryable()) {
      log->warn("{} ret_code={}; reconnecting", message, result.ret_code);
      return slot.current()->end(message);
    }
    fail(refusal(result.ret_code, message));
  }

  void on_subscribed(const PrivateParseResult& result) {
    if (phase != Phase::kSubscribing) return;
    if (!result.request_id.empty() && result.request_id != subscribe_request) return;
    if (!result.success) {
      ++counters.subscribe_failures;
      return fail(refusal(result.ret_code, fmt::format("subscribe to [{}] refused: {}", topic_args,
                                                       result.message)));
    }
    phase = Phase::kLive;
    slot.current()->met();
    live_since = SteadyClock::now();
    const bool reconnect = counters.connects > 0;
    ++counters.connects;
    if (reconnect) ++counters.reconnects;
    log->info("connected url={} reconnect={} topics=[{}]", slot.target().name(), reconnect,
              topic_args);
    if (state_handler) {
      state_handler(
          true, reconnect ? "re-authenticated and resubscribed" : "authenticated and subscribed");
    }
    if (reconnect && reconnected_handler && !slot.stopped()) reconnected_handler();
  }

  void on_malformed(std::string_view reason) {
    ++counters.malformed;
    const std::optional<uint64_t> suppressed = malformed_warnings.admit();
    if (!suppressed) return;
    log->warn("malformed frame url={} reason=\"{}\" suppressed={} total={}", slot.target().name(),
              reason, *suppressed, counters.malformed);
  }

  // Gives up for good: no reconnect follows.
  void fail(BrokerFailure failure) {
    log->error("giving up url={} code={} reason=\"{}\"", slot.target().name(), failure.code,
               failure.message);
    fatal = std::move(failure);
    if (slot.current() != nullptr) slot.current()->end(fatal->message);
    slot.stop();
    if (state_handler) state_handler(false, fatal->message);
  }

  asio::io_context& loop;
  const PrivateWsConfig config;
  std::shared_ptr<spdlog::logger> log;
  PrivateEventSink* sink;
  PrivateMessageParser parser;
  std::mt19937_64 seeds;  // of each Backoff's jitter
  Backoff backoff;
  internal::ConnectionSlot slot;
  Phase phase = Phase::kConnecting;
  SteadyClock::time_point live_since;
  std::string topic_args;  // "\"order\",\"execution\"..."
  std::string subscribe_request;
  uint64_t request_counter = 0;
  PrivateWsCounters counters;
  std::optional<BrokerFailure> fatal;
  StateHandler state_handler;
  ReconnectedHandler reconnected_handler;
  internal::WarningThrottle malformed_warnings;
};

PrivateWsClient::PrivateWsClient(asio::io_context& loop, PrivateWsConfig config,
                                 PrivateEventSink& sink)
    : impl_(std::make_shared<Impl>(loop, std::move(config), sink)) {}

PrivateWsClient::~PrivateWsClient() {
  stop();
}

void PrivateWsClient::on_state(StateHandler handler) {
  impl_->state_handler = std::move(handler);
}

void PrivateWsClient::on_reconnected(ReconnectedHandler handler) {
  impl_->reconnected_handler = std::move(handler);
}

void PrivateWsClient::start() {
  if (!impl_->slot.start()) return;
  asio::co_spawn(impl_->loop, impl_->run(impl_), asio::detached);
}

void PrivateWsClient::stop() {
  Impl& impl = *impl_;
  if (!impl.slot.stop()) return;
  impl.log->info("stopped url={}", impl.slot.target().name());
}

bool PrivateWsClient::connected() const {
  return impl_->is_connected();
}

const std::optional<BrokerFailure>& PrivateWsClient::fatal_failure() const {
  return impl_->fatal;
}

const PrivateWsCounters& PrivateWsClient::counters() const {
  return impl_->counters;
}

}  // namespace gauntlet::brokers::bybit
