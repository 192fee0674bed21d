// File: brokers/bybit/internal/ws_connection.hpp
//
// What Bybit's two stream clients (PublicWsClient, PrivateWsClient) do the same way with one
// WebSocket connection, over Boost.Beast, plain (ws://) or TLS (wss://, SNI and host-name
// verification): opening it within a deadline (resolve, TCP, TLS and WebSocket handshakes),
// reading whole messages, a queue of outgoing text messages and its writer, the JSON heartbeat
// and its watchdogs, and closing once with the first reason given. What the messages mean,
// reconnection and backoff stay with the clients.
//
// Watchdogs (started by start()): the connection ends when no frame of any kind came for
// Heartbeat::silence_timeout_ms, when a ping stays without pong() for Heartbeat::pong_timeout_ms
// (when set), or when a deadline set with expect() passes before met().
//
// Included only by the clients' .cpp files (Asio's coroutine types appear here; Beast stays in
// ws_connection.cpp).
//
// Threading: one io_context thread. A connection's coroutines keep it alive; end() makes each of
// them return.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "brokers/bybit/rest_client.hpp"
#include "core/asio.hpp"
#include "core/time.hpp"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace gauntlet::brokers::bybit::internal {

using SteadyClock = std::chrono::steady_clock;

inline std::chrono::milliseconds milliseconds(DurationMs value) {
  return std::chrono::milliseconds(value);
}

// Where a stream client connects, read once from its URL.
class WsTarget {
 public:
  // Throws ConfigError for a URL that is not ws[s]://host[:port][/path].
  explicit WsTarget(std::string_view url);

  const Endpoint& endpoint() const { return endpoint_; }
  // The Host header: the host, with ":port" when the port is not the scheme's default.
  const std::string& host_header() const { return host_header_; }
  // The request target: the URL's path, "/" when it has none.
  const std::string& path() const { return path_; }
  // host_header() + path(), for logs.
  std::string name() const { return host_header_ + path_; }
  // The TLS client context of a wss:// target (verifies the peer); nullptr for ws://.
  const std::shared_ptr<asio::ssl::context>& tls() const { return tls_; }

 private:
  Endpoint endpoint_;
  std::string host_header_;
  std::string path_;
  std::shared_ptr<asio::ssl::context> tls_;
};

// One WebSocket connection, from opening to its end.
class WsConnection : public std::enable_shared_from_this<WsConnection> {
 public:
  struct Heartbeat {
    DurationMs ping_interval_ms = 20'000;
    DurationMs silence_timeout_ms = 30'000;  // no frame for this long ends the connection
    DurationMs pong_timeout_ms = 0;          // a ping without pong() for this long, too; 0: off
    std::function<std::string()> ping;       // the next ping message (a JSON op with a req_id)
  };

  // One message received: its bytes (valid until the next read) and whether it was binary.
  struct Message {
    std::string_view text;
    bool binary = false;
  };

  // A connection to `target`, not open yet.
  static std::shared_ptr<WsConnection> create(const asio::any_io_executor& executor,
                                              const WsTarget& target, DurationMs connect_timeout_ms,
                                              std::size_t max_frame_bytes);
  virtual ~WsConnection() = default;
  WsConnection(const WsConnection&) = delete;
  WsConnection& operator=(const WsConnection&) = delete;

  // Resolves, connects and completes the TLS and WebSocket handshakes within the connect
  // timeout. True when established; false when end() came first. Throws
  // boost::system::system_error (beast::error::timeout for the deadline) or BrokerError.
  asio::awaitable<bool> open();
  // Starts the writer and the heartbeat of an established connection.
  void start(Heartbeat heartbeat);
  // Hands each message to `handle` until the connection ends (returns) or fails (throws
  // boost::system::system_error). Nothing is handed over once end() has been called.
  asio::awaitable<void> receive(const std::function<void(const Message&)>& handle);

  // Queues a text message; the writer sends the queue in order.
  void send(std::string message);
  // A pong came: the ping it answers is no longer awaited.
  void pong() { pong_due_.reset(); }
  // Ends the connection with `failure` unless met() is called within `timeout`; replaces an
  // earlier expectation.
  void expect(DurationMs timeout, std::string failure);
  void met() { deadline_.reset(); }
  // Closes the connection once, keeping the first reason; every coroutine of it then returns.
  void end(std::string reason);

  bool alive() const { return alive_; }
  bool established() const { return established_; }
  // Why it ended; "" while alive.
  const std::string& reason() const { return reason_; }
  SteadyClock::time_point established_at() const { return established_at_; }

 protected:
  explicit WsConnection(const asio::any_io_executor& executor);

  virtual asio::awaitable<void> handshake() = 0;
  virtual asio::awaitable<Message> read_message() = 0;
  virtual asio::awaitable<void> write_message(const std::string& message) = 0;
  virtual void close_socket() = 0;

 private:
  struct Deadline {
    SteadyClock::time_point when;
    std::string failure;
  };

  asio::awaitable<void> write_loop(std::shared_ptr<WsConnection> self);
  asio::awaitable<void> heartbeat_loop(std::shared_ptr<WsConnection> self);

  asio::steady_timer wake_;  // the writer waits on it while the outbox is empty
  asio::steady_timer heartbeat_timer_;
  std::deque<std::string> outbox_;
  Heartbeat heartbeat_;
  std::optional<SteadyClock::time_point> pong_due_;
  std::optional<Deadline> deadline_;
  bool alive_ = true;
  bool established_ = false;
  std::string reason_;
  SteadyClock::time_point last_frame_ = SteadyClock::now();
  SteadyClock::time_point established_at_ = SteadyClock::now();
};

// The JSON heartbeat both streams accept: {"req_id":"ping-<id>","op":"ping"}.
std::string ping_message(uint64_t id);

// Adds "<name>: must be positive (got <value>)" to `problems` when value <= 0.
void check_positive(std::vector<std::string>& problems, std::string_view name, int64_t value);

// Runs `task`; "" when it returns, what went wrong when it throws.
asio::awaitable<std::string> failure_of(asio::awaitable<void> task);

// The one connection a reconnecting stream client holds at a time, with the client's start and
// stop: stop() ends the connection whatever it is doing (resolving, handshaking, serving) and
// cuts short the wait before the next attempt. A stopped slot stays stopped.
class ConnectionSlot {
 public:
  ConnectionSlot(asio::io_context& loop, WsTarget target, DurationMs connect_timeout_ms,
                 std::size_t max_frame_bytes);

  // True the first time it is called before stop(): the client then spawns its run loop.
  bool start();
  // Ends the connection and the wait; false when already stopped.
  bool stop();
  bool stopped() const { return stopped_; }

  // Puts a new connection in the slot and opens it (WsConnection::open); nullptr when stop()
  // came first.
  asio::awaitable<std::shared_ptr<WsConnection>> open();
  // The connection in the slot; nullptr between connections.
  WsConnection* current() const { return connection_.get(); }
  // Takes the connection out, ending it with `reason` unless it ended already.
  std::shared_ptr<WsConnection> release(std::string reason);
  // Waits `delay` before the next attempt; stop() cuts it short.
  asio::awaitable<void> wait(DurationMs delay);

  const WsTarget& target() const { return target_; }

 private:
  asio::io_context& loop_;
  const WsTarget target_;
  const DurationMs connect_timeout_ms_;
  const std::size_t max_frame_bytes_;
  asio::steady_timer backoff_timer_;
  std::shared_ptr<WsConnection> connection_;
  bool started_ = false;
  bool stopped_ = false;
};

// Lets one warning through per interval and counts those held back.
class WarningThrottle {
 public:
  explicit WarningThrottle(DurationMs interval) : interval_(interval) {}

  // The number of warnings held back since the last one let through, when this one may be
  // logged; nullopt when it is held back.
  std::optional<uint64_t> admit();

 private:
  DurationMs interval_;
  bool warned_ = false;
  SteadyClock::time_point last_;
  uint64_t suppressed_ = 0;
};

}  // namespace gauntlet::brokers::bybit::internal
