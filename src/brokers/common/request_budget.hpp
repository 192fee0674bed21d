// File: brokers/common/request_budget.hpp
//
// The request budget: the one mechanism every request to a venue's REST API waits on, so that
// the venue's rate limits are kept and, when they bind, the most urgent request goes first.
// Priorities, most urgent first: cancel > protection > exit > entry > market data.
//
// What it keeps (Bybit's figures by default, bybit-v5.md §7):
//   - per endpoint, a rolling window of requests: order/create 10/s linear and 20/s spot,
//     order/amend 10/s, order/cancel 10/s linear and 20/s spot, order/realtime, order/history,
//     execution/list, position/list and account/wallet-balance 50/s, position/trading-stop
//     10/s. An endpoint is named by its path ("/v5/order/create"), optionally with "@category"
//     ("/v5/order/create@spot"); a name with a category that has no limit of its own shares the
//     window of its path. An endpoint without a configured limit is bounded only by the global
//     window;
//   - a global window for the IP: 600 requests per 5 s;
//   - what every response says: X-Bapi-Limit replaces the endpoint's limit, X-Bapi-Limit-Status
//     with a reset timestamp still ahead caps the requests the endpoint may send until then;
//   - blocks: retCode 10006 or HTTP 429 stops the endpoint, HTTP 403 (Bybit's IP ban) stops
//     everything, until the reset timestamp the response gave, else for a Backoff delay that
//     grows with each consecutive block (403: at least 10 minutes) and resets on a success.
// Who goes first: waiting requests are granted in priority order, first come first served
// within a priority. A waiter whose own endpoint is full or blocked does not hold back requests
// to other endpoints; the global window does, and each priority leaves a reserve of it to the
// ones above (market data may not use the last 20% of it, entries the last 10%), so a storm of
// market-data requests never delays a cancel. A granted request counts as sent.
//
// Two layers: RequestScheduler is the pure core (no I/O, the time passed in by the caller), which
// the unit tests drive without sleeping; RequestBudget puts it on the engine's io_context with
// an awaitable acquire().
//
// Threading: both belong to the thread of the io_context they serve; neither is thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "brokers/common/broker_errors.hpp"
#include "core/asio.hpp"
#include "core/time.hpp"

namespace gauntlet::brokers {

// Most urgent first; the order of the values is the order of service.
enum class Priority { kCancel, kProtection, kExit, kEntry, kMarketData };
inline constexpr std::size_t kPriorityCount = 5;

std::string_view to_string(Priority priority);

// A rolling window: at most `limit` requests within any `window` ms.
struct EndpointLimit {
  std::string endpoint;  // "/v5/order/create" or "/v5/order/create@spot"
  int limit = 1;
  DurationMs window = kSecondMs;
};

struct BudgetConfig {
  std::vector<EndpointLimit> endpoints;
  int global_limit = 600;
  DurationMs global_window = 5 * kSecondMs;
  // Slots of the global window each priority leaves to the ones above it; must not decrease
  // from kCancel to kMarketData and must stay below global_limit.
  std::array<int, kPriorityCount> global_reserve = {0, 0, 0, 60, 120};
  // The block after a 10006, 429 or 403 that gave no usable reset timestamp (403 waits at least
  // 10 minutes whatever this says: http_failure's retry_after).
  RetryPolicy block_backoff = {std::numeric_limits<int>::max(), 500, 2.0, 60 * kSecondMs, 0.2};
  uint64_t block_backoff_seed = 1;
};

// Bybit V5's limits (bybit-v5.md §7) and the global IP limit.
BudgetConfig bybit_budget_config();

// What a response said, for the budget: the HTTP status, the venue's business code and the
// rate-limit headers. reset_time must be on the budget's clock (a client that measured the
// venue's clock offset converts it).
struct BudgetResponse {
  int http_status = 200;
  int ret_code = 0;
  std::optional<int64_t> limit;           // X-Bapi-Limit
  std::optional<int64_t> remaining;       // X-Bapi-Limit-Status
  std::optional<TimestampMs> reset_time;  // X-Bapi-Limit-Reset-Timestamp
};

// The pure core. Every call takes `now` (ms); time never moves backwards between calls.
class RequestScheduler {
 public:
  using Ticket = uint64_t;

  // Throws ConfigError naming the problem for limits or windows that are not positive, or
  // reserves that decrease or leave no room.
  explicit RequestScheduler(BudgetConfig config = bybit_budget_config());

  // Queues a request; grant() says when it may go.
  Ticket enqueue(Priority priority, std::string_view endpoint);
  // Grants every waiting request the limits allow at `now`, most urgent first; returns their
  // tickets in the order granted. Each counts as sent at `now`.
  std::vector<Ticket> grant(TimestampMs now);
  // Forgets a waiting request; false when it is not waiting (granted or unknown).
  bool cancel(Ticket ticket);
  // Feeds a response of `endpoint` received at `now`.
  void on_response(std::string_view endpoint, const BudgetResponse& response, TimestampMs now);

  // The earliest time at which grant() may hand out more (after grant(now): a time after now);
  // nullopt when none waits.
  std::optional<TimestampMs> next_wakeup(TimestampMs now) const;

  std::size_t waiting() const;
  // Until when the endpoint (or, for a 403, everything) is blocked; nullopt when it is not at
  // `now`.
  std::optional<TimestampMs> blocked_until(std::string_view endpoint, TimestampMs now) const;
  // The endpoint's limit and the requests it sent within its window before `now`.
  int limit(std::string_view endpoint) const;
  int sent_in_window(std::string_view endpoint, TimestampMs now) const;
  int global_sent_in_window(TimestampMs now) const;

 private:
  struct Window {
    int limit = std::numeric_limits<int>::max();
    DurationMs window = kSecondMs;
    std::deque<TimestampMs> sent;  // grant times, oldest first

    int count(TimestampMs now) const;
    // When the count drops below `allowed` (now when it already is).
    TimestampMs free_at(TimestampMs now, int allowed) const;
    void prune(TimestampMs now);
  };
  struct EndpointState {
    Window window;
    // From X-Bapi-Limit-Status with a reset still ahead: at most `hint_remaining` more sends
    // until `hint_until`.
    std::optional<int64_t> hint_remaining;
    TimestampMs hint_until = 0;
    TimestampMs blocked_until = 0;
    std::optional<Backoff> backoff;  // while blocks follow one another
  };
  struct Waiter {
    Ticket ticket = 0;
    std::string endpoint;  // the state's key
  };

  // The state's key of an endpoint name: the name when it has a limit of its own, else its
  // path.
  std::string key_of(std::string_view endpoint) const;
  EndpointState& state(const std::string& key);
  const EndpointState* find(std::string_view endpoint) const;
  // When a waiter of `priority` on `state` could go, `now` when it can go at once.
  TimestampMs ready_at(Priority priority, const EndpointState& state, TimestampMs now) const;
  int global_allowed(Priority priority) const;
  // The end of a block after `failure`, by the backoff of consecutive blocks.
  TimestampMs block_until(std::optional<Backoff>& backoff, const BrokerFailure& failure,
                          TimestampMs now);

  BudgetConfig config_;
  std::map<std::string, EndpointLimit, std::less<>> limits_;
  std::map<std::string, EndpointState, std::less<>> states_;
  Window global_;
  TimestampMs global_blocked_until_ = 0;
  std::optional<Backoff> global_backoff_;
  std::array<std::deque<Waiter>, kPriorityCount> queues_;
  Ticket next_ticket_ = 1;
  uint64_t backoff_seeds_ = 0;
};

// The scheduler on an io_context.
class RequestBudget {
 public:
  // Wall-clock milliseconds; the default reads the system clock.
  using NowFunction = std::function<TimestampMs()>;
  static constexpr DurationMs kWaitForever = std::numeric_limits<DurationMs>::max();

  RequestBudget(asio::io_context& loop, BudgetConfig config = bybit_budget_config(),
                NowFunction now = {});
  ~RequestBudget();
  RequestBudget(const RequestBudget&) = delete;
  RequestBudget& operator=(const RequestBudget&) = delete;

  // Waits until a request of `priority` to `endpoint` may go; true then (it counts as sent),
  // false when `max_wait` ms passed first (it does not count). A coroutine destroyed while it
  // waits leaves the queue.
  asio::awaitable<bool> acquire(Priority priority, std::string endpoint,
                                DurationMs max_wait = kWaitForever);
  // Feeds a response; may unblock or block waiters.
  void on_response(std::string_view endpoint, const BudgetResponse& response);

  TimestampMs now() const;
  const RequestScheduler& scheduler() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace gauntlet::brokers
