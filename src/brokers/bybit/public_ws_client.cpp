#include "brokers/bybit/public_ws_client.hpp"

// Beast only after core/asio.hpp (ARCHITECTURE.md, Known pitfalls).
// clang-format off
#include "core/asio.hpp"
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
// clang-format on

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <exception>
#include <optional>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "brokers/bybit/net.hpp"
#include "brokers/bybit/rest_client.hpp"
#include "core/exceptions.hpp"
#include "core/logging.hpp"

namespace gauntlet::brokers::bybit {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using PlainWs = websocket::stream<beast::tcp_stream>;
using SecureWs = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

// Bybit caps the characters of one request's args at 21,000; stay below.
constexpr std::size_t kMaxArgsCharacters = 20'000;

bool is_valid_topic(std::string_view topic) {
  if (topic.empty() || topic.size() > 200) return false;
  return std::all_of(topic.begin(), topic.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

std::chrono::milliseconds ms(DurationMs value) {
  return std::chrono::milliseconds(value);
}

// One WebSocket connection: its outbox and the timers of its writer and heartbeat. end() closes
// it once, with the first reason given; everything waiting on it then returns.
struct SessionBase {
  explicit SessionBase(const asio::any_io_executor& executor)
      : wake(executor), heartbeat(executor) {}
  virtual ~SessionBase() = default;
  SessionBase(const SessionBase&) = delete;
  SessionBase& operator=(const SessionBase&) = delete;

  virtual void close_socket() = 0;

  void end(std::string why) {
    if (!alive) return;
    alive = false;
    reason = std::move(why);
    wake.cancel();
    heartbeat.cancel();
    close_socket();
  }

  void send(std::string message) {
    outbox.push_back(std::move(message));
    wake.cancel();
  }

  asio::steady_timer wake;  // the writer waits on it while the outbox is empty
  asio::steady_timer heartbeat;
  std::deque<std::string> outbox;
  bool alive = true;
  bool established = false;
  std::string reason;
  SteadyClock::time_point last_frame = SteadyClock::now();
  SteadyClock::time_point established_at = SteadyClock::now();
};

template <class Ws>
struct Session final : SessionBase {
  template <class... Args>
  explicit Session(const asio::any_io_executor& executor, Args&&... args)
      : SessionBase(executor), ws(std::forward<Args>(args)...) {}

  void close_socket() override {
    beast::error_code ignored;
    beast::get_lowest_layer(ws).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws).socket().close(ignored);
  }

  Ws ws;
};

std::string describe(const boost::system::system_error& error) {
  if (error.code() == beast::error::timeout) return "timed out";
  return error.code().message();
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

struct PublicWsClient::Impl : std::enable_shared_from_this<PublicWsClient::Impl>, MarketEventSink {
  Impl(asio::io_context& loop, PublicWsConfig config_in, PublicWsListener& listener)
      : loop(loop),
        config(std::move(config_in)),
        endpoint(parse_endpoint(config.url.empty() ? default_public_ws_url(config.category)
                                                   : config.url)),
        log(module_logger("bybit_ws")),
        listener(&listener),
        parser(config.category),
        backoff(config.reconnect_base_ms, config.reconnect_max_ms, config.seed),
        backoff_timer(loop) {
    std::vector<std::string> problems;
    const auto positive = [&](const char* name, DurationMs value) {
      if (value <= 0) problems.push_back(fmt::format("{}: must be positive (got {})", name, value));
    };
    positive("ping_interval_ms", config.ping_interval_ms);
    positive("stale_timeout_ms", config.stale_timeout_ms);
    positive("connect_timeout_ms", config.connect_timeout_ms);
    positive("reconnect_base_ms", config.reconnect_base_ms);
    positive("reconnect_max_ms", config.reconnect_max_ms);
    if (config.stale_timeout_ms <= config.ping_interval_ms) {
      problems.push_back(fmt::format("stale_timeout_ms: must exceed ping_interval_ms {} (got {})",
                                     config.ping_interval_ms, config.stale_timeout_ms));
    }
    if (config.max_topics_per_request == 0) {
      problems.push_back("max_topics_per_request: must be positive (got 0)");
    }
    if (!problems.empty()) throw ConfigError(std::move(problems));
    const bool default_port = endpoint.port == (endpoint.tls ? "443" : "80");
    host_header = default_port ? endpoint.host : endpoint.host + ":" + endpoint.port;
    target = endpoint.path.empty() ? "/" : endpoint.path;
    if (endpoint.tls) {
      tls = std::make_unique<ssl::context>(ssl::context::tls_client);
      tls->set_default_verify_paths();
      tls->set_verify_mode(ssl::verify_peer);
    }
  }

  // MarketEventSink: the parser's events, forwarded while not stopped.
  void on_bar_closed(const data::BarClosed& event) override {
    if (!stopped) listener->on_bar_closed(event);
  }
  void on_bar_updated(const data::BarUpdated& event) override {
    if (!stopped) listener->on_bar_updated(event);
  }
  void on_quote_updated(const data::QuoteUpdated& event) override {
    if (!stopped) listener->on_quote_updated(event);
  }

  bool is_connected() const { return session != nullptr && session->alive && session->established; }

  // Keeps one connection up until stopped: connect, serve, back off, again.
  asio::awaitable<void> run(std::shared_ptr<Impl> keep_alive) {
    static_cast<void>(keep_alive);
    while (!stopped) {
      std::string reason;
      try {
        co_await connect_and_serve();
      } catch (const boost::system::system_error& error) {
        reason = describe(error);
      } catch (const std::exception& error) {
        reason = error.what();
      }
      const std::shared_ptr<SessionBase> ended = std::move(session);
      session.reset();
      bool was_established = false;
      if (ended != nullptr) {
        was_established = ended->established;
        ended->end(reason);
        reason = ended->reason;  // the first reason wins (a watchdog's over the read's abort)
        if (was_established &&
            SteadyClock::now() - ended->established_at >= ms(config.stable_after_ms)) {
          backoff.reset();
        }
      }
      if (stopped) break;
      if (reason.empty()) reason = "closed";
      if (was_established) {
        ++counters.disconnects;
        log->warn("connection lost category={} reason=\"{}\"", to_string(config.category), reason);
        listener->on_disconnected(reason);
        if (stopped) break;
      } else {
        ++counters.connect_failures;
        log->warn("connect failed category={} url={}{} reason=\"{}\"", to_string(config.category),
                  host_header, target, reason);
      }
      const DurationMs delay = backoff.next();
      log->info("reconnecting category={} in_ms={} attempt={}", to_string(config.category), delay,
                backoff.attempts());
      backoff_timer.expires_after(ms(delay));
      try {
        co_await backoff_timer.async_wait(asio::use_awaitable);
      } catch (const boost::system::system_error&) {
        // stop() cancelled the wait
      }
    }
  }

  asio::awaitable<void> connect_and_serve() {
    auto executor = co_await asio::this_coro::executor;
    tcp::resolver::results_type addresses;
    try {
      addresses = co_await resolve_async(endpoint, ms(config.connect_timeout_ms));
    } catch (const boost::system::system_error& error) {
      if (error.code() == beast::error::timeout) {
        throw BrokerError(fmt::format("resolving {} timed out", endpoint.host), kNetworkErrorCode,
                          true);
      }
      throw;
    }
    if (stopped) co_return;
    if (tls != nullptr) {
      co_await serve(std::make_shared<Session<SecureWs>>(executor, executor, *tls), addresses);
    } else {
      co_await serve(std::make_shared<Session<PlainWs>>(executor, executor), addresses);
    }
  }

  template <class Ws>
  asio::awaitable<void> serve(std::shared_ptr<Session<Ws>> current,
                              tcp::resolver::results_type addresses) {
    session = current;  // stop() can close it from here on
    auto& layer = beast::get_lowest_layer(current->ws);
    layer.expires_after(ms(config.connect_timeout_ms));
    co_await layer.async_connect(addresses, asio::use_awaitable);
    if constexpr (std::is_same_v<Ws, SecureWs>) {
      set_tls_host(current->ws.next_layer().native_handle(), endpoint.host);
      co_await current->ws.next_layer().async_handshake(ssl::stream_base::client,
                                                        asio::use_awaitable);
    }
    layer.expires_never();  // the WebSocket stream keeps its own timeouts
    current->ws.set_option(websocket::stream_base::timeout{ms(config.connect_timeout_ms),
                                                           websocket::stream_base::none(), false});
    current->ws.set_option(websocket::stream_base::decorator([](websocket::request_type& request) {
      request.set(http::field::user_agent, "gauntlet");
    }));
    current->ws.read_message_max(config.max_frame_bytes);
    co_await current->ws.async_handshake(host_header, target, asio::use_awaitable);
    if (!current->alive || stopped) co_return;

    current->established = true;
    current->established_at = SteadyClock::now();
    current->last_frame = current->established_at;
    const bool reconnect = counters.connects > 0;
    ++counters.connects;
    if (reconnect) {
      ++counters.reconnects;
      parser.reset_snapshots();
    }
    pending.clear();
    log->info("connected category={} url={}{} reconnect={} topics={}", to_string(config.category),
              host_header, target, reconnect, topics.size());
    send_requests("subscribe", topics);
    auto executor = co_await asio::this_coro::executor;
    asio::co_spawn(executor, write_loop(shared_from_this(), current), asio::detached);
    asio::co_spawn(executor, heartbeat_loop(shared_from_this(), current), asio::detached);
    listener->on_connected(reconnect);

    beast::flat_buffer buffer;
    while (current->alive && !stopped) {
      co_await current->ws.async_read(buffer, asio::use_awaitable);
      current->last_frame = SteadyClock::now();
      ++counters.frames;
      if (current->ws.got_text()) {
        const auto data = buffer.cdata();
        handle(std::string_view(static_cast<const char*>(data.data()), data.size()));
      } else {
        ++counters.malformed;
        warn_malformed("binary frame");
      }
      buffer.consume(buffer.size());
    }
  }

  template <class Ws>
  asio::awaitable<void> write_loop(std::shared_ptr<Impl> keep_alive,
                                   std::shared_ptr<Session<Ws>> current) {
    static_cast<void>(keep_alive);
    while (current->alive) {
      if (current->outbox.empty()) {
        current->wake.expires_at(SteadyClock::time_point::max());
        try {
          co_await current->wake.async_wait(asio::use_awaitable);
        } catch (const boost::system::system_error&) {
          // send() or end() woke us
        }
        continue;
      }
      const std::string message = std::move(current->outbox.front());
      current->outbox.pop_front();
      try {
        current->ws.text(true);
        co_await current->ws.async_write(asio::buffer(message), asio::use_awaitable);
      } catch (const boost::system::system_error& error) {
        current->end(fmt::format("write failed: {}", describe(error)));
      }
    }
  }

  // Sends the JSON ping every ping_interval_ms and ends a session silent for stale_timeout_ms.
  asio::awaitable<void> heartbeat_loop(std::shared_ptr<Impl> keep_alive,
                                       std::shared_ptr<SessionBase> current) {
    static_cast<void>(keep_alive);
    auto next_ping = SteadyClock::now() + ms(config.ping_interval_ms);
    while (current->alive && !stopped) {
      current->heartbeat.expires_at(
          std::min(next_ping, current->last_frame + ms(config.stale_timeout_ms)));
      try {
        co_await current->heartbeat.async_wait(asio::use_awaitable);
      } catch (const boost::system::system_error&) {
        // end() cancelled it
      }
      if (!current->alive || stopped) break;
      const auto now = SteadyClock::now();
      if (now >= current->last_frame + ms(config.stale_timeout_ms)) {
        current->end(fmt::format("no frame for {} ms", config.stale_timeout_ms));
        break;
      }
      if (now >= next_ping) {
        current->send(fmt::format(R"({{"req_id":"ping-{}","op":"ping"}})", ++request_counter));
        ++counters.pings_sent;
        next_ping = now + ms(config.ping_interval_ms);
      }
    }
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
    const auto now = SteadyClock::now();
    if (warned_once && now - last_warning < ms(config.warn_interval_ms)) {
      ++suppressed_warnings;
      return;
    }
    log->warn("malformed frame category={} reason=\"{}\" suppressed={} total={}",
              to_string(config.category), reason, suppressed_warnings, counters.malformed);
    warned_once = true;
    last_warning = now;
    suppressed_warnings = 0;
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
      session->send(
          fmt::format(R"({{"req_id":"{}","op":"{}","args":[{}]}})", request_id, op, args));
      pending[request_id] = std::move(listed);
    }
  }

  asio::io_context& loop;
  const PublicWsConfig config;
  const Endpoint endpoint;
  std::shared_ptr<spdlog::logger> log;
  PublicWsListener* listener;
  PublicMessageParser parser;
  ReconnectBackoff backoff;
  asio::steady_timer backoff_timer;
  std::unique_ptr<ssl::context> tls;
  std::string host_header;
  std::string target;
  std::shared_ptr<SessionBase> session;
  std::vector<std::string> topics;
  std::unordered_map<std::string, std::string> pending;  // req_id -> topics, until acked
  uint64_t request_counter = 0;
  PublicWsCounters counters;
  bool started = false;
  bool stopped = false;
  bool warned_once = false;
  SteadyClock::time_point last_warning;
  uint64_t suppressed_warnings = 0;
};

PublicWsClient::PublicWsClient(asio::io_context& loop, PublicWsConfig config,
                               PublicWsListener& listener)
    : impl_(std::make_shared<Impl>(loop, std::move(config), listener)) {}

PublicWsClient::~PublicWsClient() {
  stop();
}

void PublicWsClient::start() {
  if (impl_->started || impl_->stopped) return;
  impl_->started = true;
  asio::co_spawn(impl_->loop, impl_->run(impl_), asio::detached);
}

void PublicWsClient::stop() {
  Impl& impl = *impl_;
  if (impl.stopped) return;
  impl.stopped = true;
  if (impl.session != nullptr) impl.session->end("stopped");
  impl.backoff_timer.cancel();
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
