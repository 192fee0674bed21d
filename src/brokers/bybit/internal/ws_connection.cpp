#include "brokers/bybit/internal/ws_connection.hpp"

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
#include <exception>
#include <type_traits>
#include <utility>

#include "brokers/bybit/net.hpp"
#include "core/exceptions.hpp"

namespace gauntlet::brokers::bybit::internal {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using PlainWs = websocket::stream<beast::tcp_stream>;
using SecureWs = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

std::string describe(const boost::system::system_error& error) {
  if (error.code() == beast::error::timeout) return "timed out";
  return error.code().message();
}

template <class Ws>
class Connection final : public WsConnection {
 public:
  template <class... StreamArgs>
  Connection(const asio::any_io_executor& executor, const WsTarget& target,
             DurationMs connect_timeout_ms, std::size_t max_frame_bytes, StreamArgs&&... args)
      : WsConnection(executor),
        target_(target),
        connect_timeout_(milliseconds(connect_timeout_ms)),
        max_frame_bytes_(max_frame_bytes),
        ws_(std::forward<StreamArgs>(args)...) {}

 private:
  asio::awaitable<void> handshake() override {
    tcp::resolver::results_type addresses;
    try {
      addresses = co_await resolve_async(target_.endpoint(), connect_timeout_);
    } catch (const boost::system::system_error& error) {
      if (error.code() == beast::error::timeout) {
        throw BrokerError(fmt::format("resolving {} timed out", target_.endpoint().host),
                          kNetworkErrorCode, true);
      }
      throw;
    }
    if (!alive()) co_return;
    auto& layer = beast::get_lowest_layer(ws_);
    layer.expires_after(connect_timeout_);
    co_await layer.async_connect(addresses, asio::use_awaitable);
    if constexpr (std::is_same_v<Ws, SecureWs>) {
      set_tls_host(ws_.next_layer().native_handle(), target_.endpoint().host);
      co_await ws_.next_layer().async_handshake(ssl::stream_base::client, asio::use_awaitable);
    }
    layer.expires_never();  // the WebSocket stream keeps its own timeouts
    ws_.set_option(
        websocket::stream_base::timeout{connect_timeout_, websocket::stream_base::none(), false});
    ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& request) {
      request.set(http::field::user_agent, "gauntlet");
    }));
    ws_.read_message_max(max_frame_bytes_);
    co_await ws_.async_handshake(target_.host_header(), target_.path(), asio::use_awaitable);
  }

  asio::awaitable<Message> read_message() override {
    buffer_.consume(buffer_.size());
    co_await ws_.async_read(buffer_, asio::use_awaitable);
    const auto data = buffer_.cdata();
    co_return Message{std::string_view(static_cast<const char*>(data.data()), data.size()),
                      !ws_.got_text()};
  }

  asio::awaitable<void> write_message(const std::string& message) override {
    ws_.text(true);
    co_await ws_.async_write(asio::buffer(message), asio::use_awaitable);
  }

  void close_socket() override {
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

  const WsTarget target_;  // holds the TLS context ws_ uses
  const std::chrono::milliseconds connect_timeout_;
  const std::size_t max_frame_bytes_;
  Ws ws_;
  beast::flat_buffer buffer_;
};

}  // namespace

WsTarget::WsTarget(std::string_view url) : endpoint_(parse_endpoint(url)) {
  const bool default_port = endpoint_.port == (endpoint_.tls ? "443" : "80");
  host_header_ = default_port ? endpoint_.host : endpoint_.host + ":" + endpoint_.port;
  path_ = endpoint_.path.empty() ? "/" : endpoint_.path;
  if (endpoint_.tls) {
    tls_ = std::make_shared<ssl::context>(ssl::context::tls_client);
    tls_->set_default_verify_paths();
    tls_->set_verify_mode(ssl::verify_peer);
  }
}

std::shared_ptr<WsConnection> WsConnection::create(const asio::any_io_executor& executor,
                                                   const WsTarget& target,
                                                   DurationMs connect_timeout_ms,
                                                   std::size_t max_frame_bytes) {
  if (target.tls() != nullptr) {
    return std::make_shared<Connection<SecureWs>>(executor, target, connect_timeout_ms,
                                                  max_frame_bytes, executor, *target.tls());
  }
  return std::make_shared<Connection<PlainWs>>(executor, target, connect_timeout_ms,
                                               max_frame_bytes, executor);
}

WsConnection::WsConnection(const asio::any_io_executor& executor)
    : wake_(executor), heartbeat_timer_(executor) {}

asio::awaitable<bool> WsConnection::open() {
  co_await handshake();
  if (!alive_) co_return false;
  established_ = true;
  established_at_ = SteadyClock::now();
  last_frame_ = established_at_;
  co_return true;
}

void WsConnection::start(Heartbeat heartbeat) {
  heartbeat_ = std::move(heartbeat);
  auto executor = wake_.get_executor();
  asio::co_spawn(executor, write_loop(shared_from_this()), asio::detached);
  asio::co_spawn(executor, heartbeat_loop(shared_from_this()), asio::detached);
}

asio::awaitable<void> WsConnection::receive(const std::function<void(const Message&)>& handle) {
  while (alive_) {
    const Message message = co_await read_message();
    if (!alive_) break;
    last_frame_ = SteadyClock::now();
    handle(message);
  }
}

void WsConnection::send(std::string message) {
  outbox_.push_back(std::move(message));
  wake_.cancel();
}

void WsConnection::expect(DurationMs timeout, std::string failure) {
  deadline_ = Deadline{SteadyClock::now() + milliseconds(timeout), std::move(failure)};
  heartbeat_timer_.cancel();  // the heartbeat re-arms for the nearer deadline
}

void WsConnection::end(std::string reason) {
  if (!alive_) return;
  alive_ = false;
  reason_ = std::move(reason);
  heartbeat_.ping = nullptr;  // may hold its client
  wake_.cancel();
  heartbeat_timer_.cancel();
  close_socket();
}

asio::awaitable<void> WsConnection::write_loop(std::shared_ptr<WsConnection> self) {
  static_cast<void>(self);
  while (alive_) {
    if (outbox_.empty()) {
      wake_.expires_at(SteadyClock::time_point::max());
      try {
        co_await wake_.async_wait(asio::use_awaitable);
      } catch (const boost::system::system_error&) {
        // send() or end() woke us
      }
      continue;
    }
    const std::string message = std::move(outbox_.front());
    outbox_.pop_front();
    try {
      co_await write_message(message);
    } catch (const boost::system::system_error& error) {
      end(fmt::format("write failed: {}", describe(error)));
    }
  }
}

// Sends a ping every ping_interval_ms and ends the connection when a watchdog fires.
asio::awaitable<void> WsConnection::heartbeat_loop(std::shared_ptr<WsConnection> self) {
  static_cast<void>(self);
  const auto silence = milliseconds(heartbeat_.silence_timeout_ms);
  auto next_ping = SteadyClock::now() + milliseconds(heartbeat_.ping_interval_ms);
  while (alive_) {
    auto wake_at = std::min(next_ping, last_frame_ + silence);
    if (pong_due_) wake_at = std::min(wake_at, *pong_due_);
    if (deadline_) wake_at = std::min(wake_at, deadline_->when);
    heartbeat_timer_.expires_at(wake_at);
    try {
      co_await heartbeat_timer_.async_wait(asio::use_awaitable);
    } catch (const boost::system::system_error&) {
      // end() or expect() cancelled it
    }
    if (!alive_) break;
    const auto now = SteadyClock::now();
    if (pong_due_ && now >= *pong_due_) {
      end(fmt::format("no pong within {} ms", heartbeat_.pong_timeout_ms));
    } else if (now >= last_frame_ + silence) {
      end(fmt::format("no frame for {} ms", heartbeat_.silence_timeout_ms));
    } else if (deadline_ && now >= deadline_->when) {
      end(deadline_->failure);
    } else if (now >= next_ping) {
      send(heartbeat_.ping());
      if (heartbeat_.pong_timeout_ms > 0 && !pong_due_) {
        pong_due_ = now + milliseconds(heartbeat_.pong_timeout_ms);
      }
      next_ping = now + milliseconds(heartbeat_.ping_interval_ms);
    }
  }
}

std::string ping_message(uint64_t id) {
  return fmt::format(R"({{"req_id":"ping-{}","op":"ping"}})", id);
}

void check_positive(std::vector<std::string>& problems, std::string_view name, int64_t value) {
  if (value <= 0) problems.push_back(fmt::format("{}: must be positive (got {})", name, value));
}

asio::awaitable<std::string> failure_of(asio::awaitable<void> task) {
  try {
    co_await std::move(task);
  } catch (const boost::system::system_error& error) {
    co_return describe(error);
  } catch (const std::exception& error) {
    co_return std::string(error.what());
  }
  co_return std::string();
}

ConnectionSlot::ConnectionSlot(asio::io_context& loop, WsTarget target,
                               DurationMs connect_timeout_ms, std::size_t max_frame_bytes)
    : loop_(loop),
      target_(std::move(target)),
      connect_timeout_ms_(connect_timeout_ms),
      max_frame_bytes_(max_frame_bytes),
      backoff_timer_(loop) {}

bool ConnectionSlot::start() {
  if (started_ || stopped_) return false;
  started_ = true;
  return true;
}

bool ConnectionSlot::stop() {
  if (stopped_) return false;
  stopped_ = true;
  if (connection_ != nullptr) connection_->end("stopped");
  backoff_timer_.cancel();
  return true;
}

asio::awaitable<std::shared_ptr<WsConnection>> ConnectionSlot::open() {
  if (stopped_) co_return nullptr;
  auto connection =
      WsConnection::create(loop_.get_executor(), target_, connect_timeout_ms_, max_frame_bytes_);
  connection_ = connection;  // stop() can end it from here on
  if (!co_await connection->open() || stopped_) co_return nullptr;
  co_return connection;
}

std::shared_ptr<WsConnection> ConnectionSlot::release(std::string reason) {
  std::shared_ptr<WsConnection> connection = std::move(connection_);
  connection_.reset();
  if (connection != nullptr) connection->end(std::move(reason));
  return connection;
}

asio::awaitable<void> ConnectionSlot::wait(DurationMs delay) {
  backoff_timer_.expires_after(milliseconds(delay));
  try {
    co_await backoff_timer_.async_wait(asio::use_awaitable);
  } catch (const boost::system::system_error&) {
    // stop() cancelled it
  }
}

std::optional<uint64_t> WarningThrottle::admit() {
  const auto now = SteadyClock::now();
  if (warned_ && now - last_ < milliseconds(interval_)) {
    ++suppressed_;
    return std::nullopt;
  }
  warned_ = true;
  last_ = now;
  const uint64_t held_back = suppressed_;
  suppressed_ = 0;
  return held_back;
}

}  // namespace gauntlet::brokers::bybit::internal
