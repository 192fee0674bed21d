// File: venues/bybit/internal/server_state.hpp
//
// ServerState: what VenueServer's callers (a market driver, a test) and its I/O thread share:
// the market data it serves, the pending REST faults, the stall window and the counters tests
// assert on. Connections and pushes are not here; they live on the I/O thread
// (venue_server.cpp).
//
// Threading: every method locks one mutex, so any thread may call any method; the wait_for_*
// methods block the caller until the I/O thread records what they wait for.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/interfaces.hpp"
#include "core/time.hpp"
#include "venues/bybit/venue_server.hpp"

namespace gauntlet::venues::bybit::internal {

inline constexpr std::size_t kCategoryCount = 2;

inline std::size_t index_of(Category category) {
  return static_cast<std::size_t>(category);
}

// What the next REST request meets. Decided, and its counter consumed, under the state lock.
struct RestFault {
  enum class Kind { kNone, kStall, kHttpStatus, kRateLimit, kMalformed };
  Kind kind = Kind::kNone;
  int http_status = 200;       // kHttpStatus
  DurationMs reset_after = 0;  // kRateLimit
  int malformed_variant = 0;   // kMalformed: which malformed body, cycling over the variants
};

// The REST faults still pending, for the control route's answer.
struct PendingFaults {
  int http_errors = 0;
  int http_error_status = 503;
  int rate_limits = 0;
  DurationMs rate_limit_reset_ms = 0;
  int malformed_http = 0;
  DurationMs stall_left_ms = 0;
};

class ServerState {
 public:
  // --- data ---
  void set_klines(Category category, const std::string& symbol, Timeframe timeframe,
                  std::vector<Bar> bars);
  void add_kline(Category category, const std::string& symbol, Timeframe timeframe, const Bar& bar);
  // The newest `limit` bars with open_time in [start, end], newest first.
  std::vector<Bar> klines(Category category, const std::string& symbol, Timeframe timeframe,
                          TimestampMs start, TimestampMs end, std::size_t limit) const;
  // True when the symbol has klines of any timeframe, an instrument or a ticker.
  bool knows_symbol(Category category, const std::string& symbol) const;
  void add_instrument(Category category, nlohmann::json instrument);
  std::vector<nlohmann::json> instruments(Category category) const;
  void set_ticker(Category category, nlohmann::json ticker);
  std::vector<nlohmann::json> tickers(Category category) const;

  // --- faults ---
  void fail_next_http(int count, int status);
  void rate_limit_next_http(int count, DurationMs reset_after);
  void set_malformed_http(int count);
  void stall_for(std::chrono::milliseconds duration);
  bool stalled() const;
  // Counts one REST request and returns the fault it meets, consuming that fault's counter.
  RestFault take_rest_fault();
  PendingFaults pending_faults() const;

  // --- observation ---
  void record_ws_opened();
  void record_ws_closed();
  void record_ping();
  void add_subscription(Category category, const std::string& topic);
  void remove_subscription(Category category, const std::string& topic);
  int http_requests() const;
  int ws_connections() const;
  int open_ws_connections() const;
  int pings_received() const;
  std::vector<std::string> subscriptions(Category category) const;
  bool wait_for_subscription(Category category, const std::string& topic,
                             std::chrono::milliseconds timeout);
  bool wait_for_ws_connections(int count, std::chrono::milliseconds timeout);
  bool wait_for_http_requests(int count, std::chrono::milliseconds timeout);

 private:
  using KlineKey = std::tuple<Category, std::string, Timeframe>;

  template <class Ready>
  bool wait_until(std::chrono::milliseconds timeout, Ready ready) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, ready);
  }

  mutable std::mutex mutex_;
  std::condition_variable changed_;

  std::map<KlineKey, std::map<TimestampMs, Bar>> klines_;
  std::vector<nlohmann::json> instruments_[kCategoryCount];
  std::vector<nlohmann::json> tickers_[kCategoryCount];

  int fail_remaining_ = 0;
  int fail_status_ = 503;
  int rate_limit_remaining_ = 0;
  DurationMs rate_limit_reset_after_ = 0;
  int malformed_remaining_ = 0;
  int next_malformed_variant_ = 0;
  std::chrono::steady_clock::time_point stall_until_{};

  int http_requests_ = 0;
  int ws_connections_ = 0;
  int open_ws_connections_ = 0;
  int pings_received_ = 0;
  std::map<std::string, int> subscriptions_[kCategoryCount];  // topic -> subscribed clients
};

}  // namespace gauntlet::venues::bybit::internal
