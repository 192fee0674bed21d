// File: brokers/bybit/public_ws_client.hpp
//
// PublicWsClient: one connection to Bybit's public WebSocket stream of one category
// (wss://stream.bybit.com/v5/public/spot or /linear; ws:// for tests) over Boost.Beast. It
// owns the connection's life: subscribe and unsubscribe in batches of at most 10 topics with
// req_ids, the JSON heartbeat ({"req_id":..,"op":"ping"} every ping_interval_ms), a watchdog
// that drops a connection silent for stale_timeout_ms (no frame of any kind: data, ack or pong),
// reconnection with exponential backoff and full jitter, and resubscription of every topic
// after a reconnect. Frames go through a PublicMessageParser; its events go to the listener,
// which the data_manager implements to publish them on the EventBus. Policy stays with the
// owner: after every (re)connection the listener's on_connected(reconnect) tells it to run its
// REST gap backfill.
//
// Duplicate and out-of-order klines are dropped by the parser (see PublicMessageParser), whose
// state this client keeps for its whole life, across reconnects, so a bar closed before a
// reconnect is not closed again when Bybit repeats it. Ticker snapshots are forgotten on
// reconnect (reset_snapshots) so deltas wait for the fresh snapshot.
//
// Bad frames are never fatal: they are counted (counters().malformed) and logged at warn with
// the parser's reason, at most once per warn_interval_ms (with the number suppressed). A failed
// subscription (success:false) is logged at warn and counted. A frame larger than
// max_frame_bytes ends the connection (and a reconnect follows).
//
// Threading: the client, its listener calls and its timers all run on the io_context thread
// (the core loop); call every method from that thread (other threads asio::post to it). The
// listener is called only from inside the loop, never from a method of this class, and never
// after stop() has returned; it must outlive that. The io_context must outlive the client.
// Destroying the client stops it. Asio stays out of this header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "brokers/bybit/public_parse.hpp"
#include "core/time.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace gauntlet::brokers::bybit {

struct PublicWsConfig {
  Category category = Category::kSpot;
  // Empty: default_public_ws_url(category).
  std::string url;
  DurationMs ping_interval_ms = 20'000;
  // A connection without any frame for this long is dead; must exceed ping_interval_ms.
  DurationMs stale_timeout_ms = 30'000;
  // Resolve, TCP connect, TLS and WebSocket handshakes together.
  DurationMs connect_timeout_ms = 10'000;
  // Reconnect delays: uniform in [0, min(reconnect_max_ms, reconnect_base_ms * 2^attempt)].
  DurationMs reconnect_base_ms = 1'000;
  DurationMs reconnect_max_ms = 60'000;
  // A connection that lived this long resets the backoff (Bybit allows 500 connections / 5 min).
  DurationMs stable_after_ms = 60'000;
  uint64_t seed = 0;  // of the jitter; 0 draws one from std::random_device
  std::size_t max_topics_per_request = 10;
  std::size_t max_frame_bytes = 4u << 20;
  DurationMs warn_interval_ms = 10'000;
};

// "wss://stream.bybit.com/v5/public/spot" or ".../linear".
std::string default_public_ws_url(Category category);

// Exponential backoff with full jitter (AWS architecture blog): the n-th delay (n from 0) is
// uniform in [0, min(max, base * 2^n)].
class ReconnectBackoff {
 public:
  ReconnectBackoff(DurationMs base, DurationMs max, uint64_t seed);

  // The delay before the next attempt; counts the attempt.
  DurationMs next();
  void reset() { attempts_ = 0; }
  int attempts() const { return attempts_; }
  // The upper bound of the next delay.
  DurationMs ceiling() const;

 private:
  DurationMs base_;
  DurationMs max_;
  int attempts_ = 0;
  std::mt19937_64 random_;
};

struct PublicWsCounters {
  uint64_t frames = 0;     // text and binary frames received
  uint64_t events = 0;     // events handed to the listener
  uint64_t malformed = 0;  // frames the parser rejected, binary frames
  uint64_t stale = 0;      // duplicate or out-of-order kline pushes dropped
  uint64_t ignored = 0;    // pushes of topics the parser does not translate
  uint64_t control = 0;    // acks, pongs and other op responses
  uint64_t subscribe_failures = 0;
  uint64_t pings_sent = 0;
  uint64_t connects = 0;          // connections established, the first included
  uint64_t reconnects = 0;        // connections established after the first
  uint64_t connect_failures = 0;  // attempts that did not reach a WebSocket session
  uint64_t disconnects = 0;       // established connections lost (stale, closed, error)
};

class PublicWsListener : public MarketEventSink {
 public:
  // After every connection is established and its subscriptions are sent; reconnect is false
  // for the first. The owner backfills the gap over REST here.
  virtual void on_connected(bool reconnect) = 0;
  // When an established connection is lost; a reconnect follows (unless stopped).
  virtual void on_disconnected(std::string_view reason) { static_cast<void>(reason); }
};

class PublicWsClient {
 public:
  // Throws ConfigError for an unusable config (URL, intervals).
  PublicWsClient(boost::asio::io_context& loop, PublicWsConfig config, PublicWsListener& listener);
  ~PublicWsClient();
  PublicWsClient(const PublicWsClient&) = delete;
  PublicWsClient& operator=(const PublicWsClient&) = delete;

  // Starts connecting (on the loop); keeps the connection up until stop(). Idempotent.
  void start();
  // Drops the connection and every timer; no listener call happens after it returns. A stopped
  // client cannot be started again.
  void stop();

  // Adds topics ("kline.15.BTCUSDT", "tickers.BTCUSDT"; see kline_topic, ticker_topic) to the
  // subscription set and, when connected, subscribes them now; otherwise on connection. Topics
  // already subscribed are skipped. Throws ConfigError for a topic with characters outside
  // [A-Za-z0-9._-].
  void subscribe(const std::vector<std::string>& topics);
  // Removes topics from the set and unsubscribes them when connected.
  void unsubscribe(const std::vector<std::string>& topics);

  // The subscription set, in the order topics were added.
  const std::vector<std::string>& topics() const;
  // True while a WebSocket session is established.
  bool connected() const;
  const PublicWsCounters& counters() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace gauntlet::brokers::bybit
