// File: brokers/bybit/private_ws_client.hpp
//
// PrivateWsClient: one connection to Bybit's private WebSocket stream (wss://stream.bybit.com/
// v5/private; ws:// for the local venue) over Boost.Beast, and its life (bybit-v5.md §8):
//   1. connect (resolve, TCP, TLS and WebSocket handshakes within connect_timeout_ms);
//   2. authenticate: {"op":"auth","args":[api_key, expires, signature]}, expires = now +
//      auth_expiry_ms, signature = sign_ws_auth(secret, expires) (brokers/bybit/signing.hpp);
//   3. subscribe to the topics (order, execution, position, wallet by default);
//   4. ping every ping_interval_ms ({"req_id":..,"op":"ping"}; Bybit answers with its private
//      pong {"op":"pong",...}); a ping without pong for pong_timeout_ms, or no frame at all for
//      ping_interval_ms + pong_timeout_ms, is a dead connection;
//   5. on any drop: reconnect after Backoff's delay (brokers/common/broker_errors.hpp: jitter, a
//      cap), authenticate and subscribe again. The connection counts as connected only once
//      authenticated and subscribed (auth_timeout_ms for each answer).
// Frames go through a PrivateMessageParser; its records go to the PrivateEventSink. Policy stays
// with the owner: on_reconnected() fires after every re-auth and resubscription that follows a
// drop, and the owner reconciles over REST then (open orders, positions, executions), since
// pushes of the gap are lost.
//
// Fatal, never retried: an auth refusal (success false, or retCode 10003/10004 and any other
// retCode Bybit does not call retryable; a local clock behind Bybit's by more than
// auth_expiry_ms is refused too), a refused subscription, or retry.max_attempts consecutive
// failed connections. The client then stops, fatal_failure() says why and on_state reports it.
//
// Bad frames are never fatal: counted (counters().malformed), dropped and logged at warn at most
// once per warn_interval_ms. A frame larger than max_frame_bytes ends the connection (and a
// reconnect follows). Secrets are never logged.
//
// Threading: the client, its sink and handler calls and its timers all run on the io_context
// thread (the core loop); call every method from that thread (other threads asio::post to it).
// The sink and handlers are called only from inside the loop, never from a method of this class
// and never after stop() has returned; they must outlive that. The io_context must outlive the
// client. Destroying the client stops it. Asio stays out of this header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "brokers/bybit/private_parse.hpp"
#include "brokers/bybit/signing.hpp"
#include "brokers/common/broker_errors.hpp"
#include "core/time.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace gauntlet::brokers::bybit {

inline constexpr std::string_view kDefaultPrivateWsUrl = "wss://stream.bybit.com/v5/private";

struct PrivateWsConfig {
  // Empty: kDefaultPrivateWsUrl.
  std::string url;
  ApiCredentials credentials;
  // All-in-one (order, execution, execution.fast, position, wallet) or categorised
  // (order.linear, execution.spot ...) forms; Bybit refuses a request that mixes the two.
  std::vector<std::string> topics = {"order", "execution", "position", "wallet"};
  DurationMs ping_interval_ms = 20'000;
  // A ping without its pong for this long ends the connection.
  DurationMs pong_timeout_ms = 10'000;
  // The auth request's expires is now + this (Bybit wants it in the future).
  DurationMs auth_expiry_ms = 5'000;
  // Resolve, TCP connect, TLS and WebSocket handshakes together.
  DurationMs connect_timeout_ms = 10'000;
  // The wait for the answer to auth, then for the answer to subscribe.
  DurationMs auth_timeout_ms = 10'000;
  // Reconnect delays (initial_delay * multiplier^n, capped at max_delay, times a jitter factor).
  // max_attempts counts the connections in a row that failed or did not stay up for
  // stable_after_ms; when they are used up the client gives up (fatal). Unlimited by default.
  RetryPolicy retry = {std::numeric_limits<int>::max(), 1'000, 2.0, 60'000, 0.5};
  // A session that stayed connected this long resets the backoff (Bybit allows 500 connections
  // per 5 minutes and IP).
  DurationMs stable_after_ms = 60'000;
  uint64_t seed = 0;  // of the jitter; 0 draws one from std::random_device
  std::size_t max_frame_bytes = 4u << 20;
  DurationMs warn_interval_ms = 10'000;
};

struct PrivateWsCounters {
  uint64_t frames = 0;     // text and binary frames received
  uint64_t records = 0;    // records handed to the sink
  uint64_t malformed = 0;  // frames the parser rejected, binary frames: dropped
  uint64_t ignored = 0;    // frames of nothing the engine trades (inverse, option)
  uint64_t control = 0;    // auth and subscribe answers, pongs and other op responses
  uint64_t pings_sent = 0;
  uint64_t pongs = 0;
  uint64_t connects = 0;          // sessions authenticated and subscribed, the first included
  uint64_t reconnects = 0;        // such sessions after the first
  uint64_t connect_failures = 0;  // attempts that ended before being connected
  uint64_t disconnects = 0;       // connected sessions lost (dead, closed, error)
  uint64_t auth_failures = 0;     // auth requests refused
  uint64_t subscribe_failures = 0;
};

class PrivateWsClient {
 public:
  // Called when the client becomes connected (authenticated and subscribed) or stops being
  // so, with why; also once when it fails fatally, connected or not.
  using StateHandler = std::function<void(bool connected, std::string reason)>;
  // Called after each re-auth and resubscription that followed a drop (after on_state's true):
  // the owner reconciles over REST here.
  using ReconnectedHandler = std::function<void()>;

  // Throws ConfigError for an unusable config (URL, credentials, topics, intervals, retry).
  PrivateWsClient(boost::asio::io_context& loop, PrivateWsConfig config, PrivateEventSink& sink);
  ~PrivateWsClient();
  PrivateWsClient(const PrivateWsClient&) = delete;
  PrivateWsClient& operator=(const PrivateWsClient&) = delete;

  // Set before start().
  void on_state(StateHandler handler);
  void on_reconnected(ReconnectedHandler handler);

  // Starts connecting (on the loop); keeps the session up until stop() or a fatal failure.
  // Idempotent.
  void start();
  // Drops the connection and every timer; no sink or handler call happens after it returns. A
  // stopped client cannot be started again.
  void stop();

  // True while authenticated and subscribed.
  bool connected() const;
  // Why the client gave up, when it did: an auth or subscription refusal (kFatal) or the
  // attempts used up (kRetryable, code -1).
  const std::optional<BrokerFailure>& fatal_failure() const;
  const PrivateWsCounters& counters() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace gauntlet::brokers::bybit
