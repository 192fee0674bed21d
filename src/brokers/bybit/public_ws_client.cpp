#include "brokers/bybit/public_ws_client.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>
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

// Bybit caps the characters of one request's args at 21,000; stay below.
constexpr std::size_t kMaxArgsCharacters = 20'000;

bool is_valid_topic(std::string_view topic) {
  if (topic.empty() || topic.size() > 200) return false;
  return std::all_of(topic.begin(), topic.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

}  // namespace

std::string default_public_ws_url(Category category) {
  return fmt::format("wss://stream.bybit.com/v5/public/{}", to_string(category));
}

ReconnectBackoff::ReconnectBackoff(DurationMs base, DurationMs max, uint64_t seed)
    : base_(std::max<DurationMs>(base, 1)),
      max_(std::max<DurationMs>(max, 1)),
      random_(seed != 0 ? seed : std::random_device{}()) {}

DurationMs ReconnectBackoff::ceiling() const {
  DurationMs ceiling = base_;
  for (int i = 0; i < attempts_ && ceiling < max_; ++i) ceiling *= 2;
  return std::min(ceiling, max_);
}

DurationMs ReconnectBackoff::next() {
  const DurationMs upper = ceiling();
  ++attempts_;
  return std::uniform_int_distribution<DurationMs>(0, upper)(random_);
}

struct PublicWsClient::Impl : MarketEventSink {
  Impl(asio::io_context& loop, PublicWsConfig config_in, PublicWsListener& listener)
      : loop(loop),
        config(std::move(config_in)),
        log(module_logger("bybit_ws")),
        listener(&listener),
        parser(config.category),
        backoff(config.reconnect_base_ms, config.reconnect_max_ms, config.seed),
        slot(loop,
             internal::WsTarget(config.url.empty() ? default_public_ws_url(config.category)
                                                   : config.url),
             config.connect_timeout_ms, config.max_frame_bytes),
        malformed_warnings(config.warn_interval_ms) {
    std::vector<std::string> problems;
    internal::check_positive(problems, "ping_interval_ms", config.ping_interval_ms);
    internal::check_positive(problems, "stale_timeout_ms", config.stale_timeout_ms);
    internal::check_positive(problems, "connect_timeout_ms", config.connect_timeout_ms);
    internal::check_positive(problems, "reconnect_base_ms", config.reconnect_base_ms);
    internal::check_positive(problems, "reconnect_max_ms", config.reconnect_max_ms);
    if (config.stale_timeout_ms <= config.ping_interval_ms) {
      problems.push_back(fmt::format("stale_timeout_ms: must exceed ping_interval_ms {} (got {})",
                                     config.ping_interval_ms, config.stale_timeout_ms));
    }
    if (config.max_topics_per_request == 0) {
      problems.push_back("max_topics_per_request: must be positive (got 0)");
    }
    if (!problems.empty()) throw ConfigError(std::move(problems));
  }

  // MarketEventSink: the parser's events, forwarded while not stopped.
  void on_bar_closed(const data::BarClosed& event) override {
    if (!slot.stopped()) listener->on_bar_closed(event);
  }
  void on_bar_updated(const data::BarUpdated& event) override {
    if (!slot.stopped()) listener->on_bar_updated(event);
  }
  void on_quote_updated(const data::QuoteUpdated& event) override {
    if (!slot.stopped()) listener->on_quote_updated(event);
  }

  bool is_connected() const {
    const WsConnection* current = slot.current();
    return current != nullptr && current->alive() && current->established();
  }

  // Keeps one connection up until stopped: connect, serve, back off, again.
  asio::awaitable<void> run(std::shared_ptr<Impl> keep_alive) {
    static_cast<void>(keep_alive);
    while (!slot.stopped()) {
      std::string reason = co_await internal::failure_of(connect_and_serve());
      const std::shared_ptr<WsConnection> ended = slot.release(reason);
      bool was_established = false;
      if (ended != nullptr) {
        was_established = ended->established();
        reason = ended->reason();  // the first reason wins (a watchdog's over the read's abort)
        if (was_established &&
            SteadyClock::now() - ended->established_at() >= milliseconds(config.stable_after_ms)) {
          backoff.reset();
        }
      }
      if (slot.stopped()) break;
      if (reason.empty()) reason = "closed";
      if (was_established) {
        ++counters.disconnects;
        log->warn("connection lost category={} reason=\"{}\"", to_string(config.category), reason);
        listener->on_disconnected(reason);
        if (slot.stopped()) break;
      } else {
        ++counters.connect_failures;
        log->warn("connect failed category={} url={} reason=\"{}\"", to_string(config.category),
                  slot.target().name(), reason);
      }
      const DurationMs delay = backoff.next();
      log->info("reconnecting category={} in_ms={} attempt={}", to_string(config.category), delay,
                backoff.attempts());
      co_await slot.wait(delay);
    }
  }

  asio::awaitable<void> connect_and_serve() {
    const std::shared_ptr<WsConnection> current = co_await slot.open();
    if (current == nullptr) co_return;

    const bool reconnect = counters.connects > 0;
    ++counters.connects;
    if (reconnect) {
      ++counters.reconnects;
      parser.reset_snapshots();
    }
    pending.clear();
    log->info("connected category={} url={} reconnect={} topics={}", to_string(config.category),
              slot.target().name(), reconnect, topics.size());
    send_requests("subscribe", topics);
    current->start({config.ping_interval_ms, config.stale_timeout_ms, 0, [this] {
                      ++counters.pings_sent;
                      return internal::ping_message(++request_counter);
                    }});
    listener->on_connected(reconnect);
    co_await current->receive([this](const WsConnection::Message& message) {
      ++counters.frames;
      if (message.binary) {
        ++counters.malformed;
        warn_malformed("binary frame");
      } else {
        handle(message.text);
      }
    });
  }

  void handle(std::string_view frame) {
    const ParseResult result = parser.parse(frame, *this);
    counters.events += result.events;
    counters.stale += result.stale;
    switch (result.kind) {
      case FrameKind::kData:
        break;
      case FrameKind::kIgnored:
        ++counters.ignored;
        break;
      case FrameKind::kControl:
        ++counters.control;
        on_control(result);
        break;
      case FrameKind::kMalformed:
        ++counters.malformed;
        warn_malformed(result.reason);
        break;
    }
  }

  void on_control(const ParseResult& result) {
    if (result.control == ControlKind::kPong) return;
    std::string topics_of_request;
    if (!result.request_id.empty()) {
      if (const auto found = pending.find(std::string(result.request_id)); found != pending.end()) {
        topics_of_request = std::move(found->second);
        pending.erase(found);
      }
    }
    if (result.success) return;
    if (result.control == ControlKind::kSubscribe) ++counters.subscribe_failures;
    log->warn("request failed category={} op={} req_id={} topics=[{}] ret_msg=\"{}\"",
              to_string(config.category), result.operation, result.request_id, topics_of_request,
              result.message);
  }

  void warn_malformed(std::string_view reason) {
    const std::optional<uint64_t> suppressed = malformed_warnings.admit();
    if (!suppressed) return;
    log->warn("malformed frame category={} reason=\"{}\" suppressed={} total={}",
              to_string(config.category), reason, *suppressed, counters.malformed);
  }

  // Sends `op` for the topics in batches within Bybit's limits, when connected.
  void send_requests(std::string_view op, const std::vector<std::string>& names) {
    if (!is_connected() || names.empty()) return;
    std::size_t index = 0;
    while (index < names.size()) {
      std::string args;
      std::string listed;
      std::size_t count = 0;
      while (index < names.size() && count < config.max_topics_per_request &&
             (count == 0 || args.size() + names[index].size() + 3 <= kMaxArgsCharacters)) {
        if (count != 0) {
          args += ',';
          listed += ',';
        }
        args += '"';
        args += names[index];
        args += '"';
        listed += names[index];
        ++count;
        ++index;
      }
      const std::string request_id =
          fmt::format("{}-{}", op == "subscribe" ? "sub" : "unsub", ++request_counter);
      slot.current()->send(
          fmt::format(R"({{"req_id":"{}","op":"{}","args":[{}]}})", request_id, op, args));
      pending[request_id] = std::move(listed);
    }
  }

  asio::io_context& loop;
  const PublicWsConfig config;
  std::shared_ptr<spdlog::logger> log;
  PublicWsListener* listener;
  PublicMessageParser parser;
  ReconnectBackoff backoff;
  internal::ConnectionSlot slot;
  std::vector<std::string> topics;
  std::unordered_map<std::string, std::string> pending;  // req_id -> topics, until acked
  uint64_t request_counter = 0;
  PublicWsCounters counters;
  internal::WarningThrottle malformed_warnings;
};

PublicWsClient::PublicWsClient(asio::io_context& loop, PublicWsConfig config,
                               PublicWsListener& listener)
    : impl_(std::make_shared<Impl>(loop, std::move(config), listener)) {}

PublicWsClient::~PublicWsClient() {
  stop();
}

void PublicWsClient::start() {
  if (!impl_->slot.start()) return;
  asio::co_spawn(impl_->loop, impl_->run(impl_), asio::detached);
}

void PublicWsClient::stop() {
  Impl& impl = *impl_;
  if (!impl.slot.stop()) return;
  impl.log->info("stopped category={}", to_string(impl.config.category));
}

void PublicWsClient::subscribe(const std::vector<std::string>& topics) {
  Impl& impl = *impl_;
  std::vector<std::string> added;
  for (const std::string& topic : topics) {
    if (!is_valid_topic(topic)) {
      throw ConfigError({fmt::format("topic: must be letters, digits, '.', '_' or '-' (got \"{}\")",
                                     topic.substr(0, 200))});
    }
  }
  for (const std::string& topic : topics) {
    if (std::find(impl.topics.begin(), impl.topics.end(), topic) != impl.topics.end()) continue;
    if (std::find(added.begin(), added.end(), topic) != added.end()) continue;
    added.push_back(topic);
  }
  impl.topics.insert(impl.topics.end(), added.begin(), added.end());
  impl.send_requests("subscribe", added);
}

void PublicWsClient::unsubscribe(const std::vector<std::string>& topics) {
  Impl& impl = *impl_;
  std::vector<std::string> removed;
  for (const std::string& topic : topics) {
    const auto found = std::find(impl.topics.begin(), impl.topics.end(), topic);
    if (found == impl.topics.end()) continue;
    impl.topics.erase(found);
    removed.push_back(topic);
  }
  impl.send_requests("unsubscribe", removed);
}

const std::vector<std::string>& PublicWsClient::topics() const {
  return impl_->topics;
}

bool PublicWsClient::connected() const {
  return impl_->is_connected();
}

const PublicWsCounters& PublicWsClient::counters() const {
  return impl_->counters;
}

}  // namespace gauntlet::brokers::bybit
