// The request budget (brokers/common/request_budget.hpp): the pure scheduler driven with a
// hand-moved clock (priority order under contention, per-endpoint rolling windows, updates from
// the rate-limit headers, 10006/429 blocks until the reset or a backoff, 403 blocking
// everything), and the awaitable on a real io_context.
#include "brokers/common/request_budget.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "brokers/bybit/loop_helpers.hpp"
#include "core/exceptions.hpp"

namespace gauntlet::brokers {
namespace {

using Ticket = RequestScheduler::Ticket;

constexpr TimestampMs kT0 = 1'700'000'000'000;
constexpr std::string_view kCreate = "/v5/order/create@linear";
constexpr std::string_view kCancel = "/v5/order/cancel@linear";
constexpr std::string_view kWallet = "/v5/account/wallet-balance";
constexpr std::string_view kKline = "/v5/market/kline";

// Bybit's limits with a small global window and no reserves, unless a test says otherwise;
// backoff without jitter so that the blocks are exact.
BudgetConfig config(int global_limit = 600, std::array<int, kPriorityCount> reserve = {}) {
  BudgetConfig c = bybit_budget_config();
  c.global_limit = global_limit;
  c.global_reserve = reserve;
  c.block_backoff.jitter = 0;
  return c;
}

std::vector<Ticket> enqueue(RequestScheduler& scheduler, int count, Priority priority,
                            std::string_view endpoint) {
  std::vector<Ticket> tickets;
  for (int i = 0; i < count; ++i) tickets.push_back(scheduler.enqueue(priority, endpoint));
  return tickets;
}

std::vector<Ticket> concat(std::initializer_list<std::vector<Ticket>> parts) {
  std::vector<Ticket> all;
  for (const auto& part : parts) all.insert(all.end(), part.begin(), part.end());
  return all;
}

TEST(RequestScheduler, HigherPrioritiesGoFirstUnderContentionFifoWithin) {
  RequestScheduler scheduler(config(3));
  const auto market = enqueue(scheduler, 5, Priority::kMarketData, kKline);
  const auto entry = enqueue(scheduler, 1, Priority::kEntry, kCreate);
  const auto cancels = enqueue(scheduler, 2, Priority::kCancel, kCancel);
  const auto exit = enqueue(scheduler, 1, Priority::kExit, kCreate);

  // Three global slots per 5 s: both cancels, then the exit; everything else waits.
  EXPECT_EQ(scheduler.grant(kT0), concat({cancels, exit}));
  EXPECT_EQ(scheduler.waiting(), 6u);
  EXPECT_TRUE(scheduler.grant(kT0 + 4'999).empty());
  EXPECT_EQ(scheduler.next_wakeup(kT0 + 4'999), kT0 + 5'000);
  // The window rolls: the entry, then market data in the order it came.
  EXPECT_EQ(scheduler.grant(kT0 + 5'000), concat({entry, {market[0], market[1]}}));
  EXPECT_EQ(scheduler.grant(kT0 + 10'000), (std::vector<Ticket>{market[2], market[3], market[4]}));
  EXPECT_EQ(scheduler.waiting(), 0u);
  EXPECT_EQ(scheduler.next_wakeup(kT0 + 10'000), std::nullopt);
}

TEST(RequestScheduler, AMarketDataStormNeverDelaysACancel) {
  // Market data may not use the last 2 of 10 global slots, entries the last 1.
  RequestScheduler scheduler(config(10, {0, 0, 0, 1, 2}));
  const auto market = enqueue(scheduler, 50, Priority::kMarketData, kKline);
  EXPECT_EQ(scheduler.grant(kT0).size(), 8u);
  EXPECT_EQ(scheduler.grant(kT0 + 100).size(), 0u);
  // A cancel that comes during the storm goes at once, and so does a second one; a third finds
  // the window full and goes first when it rolls, ahead of the 42 market-data requests.
  const Ticket cancel = scheduler.enqueue(Priority::kCancel, kCancel);
  EXPECT_EQ(scheduler.grant(kT0 + 200), std::vector<Ticket>{cancel});
  const Ticket entry = scheduler.enqueue(Priority::kEntry, kCreate);
  EXPECT_TRUE(scheduler.grant(kT0 + 300).empty());  // an entry may not take the last slot
  const Ticket second = scheduler.enqueue(Priority::kCancel, kCancel);
  EXPECT_EQ(scheduler.grant(kT0 + 300), std::vector<Ticket>{second});
  const Ticket third = scheduler.enqueue(Priority::kCancel, kCancel);
  EXPECT_TRUE(scheduler.grant(kT0 + 400).empty());
  // At t0 + 5000 the 8 market-data sends of t0 leave the window; the two cancels stay in it.
  // The third cancel goes first, then the entry; market data fills up to its 8 slots.
  const std::vector<Ticket> rolled = scheduler.grant(kT0 + 5'000);
  EXPECT_EQ(rolled,
            (std::vector<Ticket>{third, entry, market[8], market[9], market[10], market[11]}));
}

TEST(RequestScheduler, EachEndpointKeepsItsRollingWindow) {
  RequestScheduler scheduler(config());
  EXPECT_EQ(scheduler.limit(kCreate), 10);
  EXPECT_EQ(scheduler.limit("/v5/order/create@spot"), 20);
  EXPECT_EQ(scheduler.limit("/v5/order/amend@linear"), 10);  // shares the path's window
  EXPECT_EQ(scheduler.limit("/v5/execution/list@spot"), 50);
  EXPECT_EQ(scheduler.limit("/v5/position/trading-stop"), 10);

  // Five creates at t0 and five at t0 + 500: the window of 1 s is full until t0 + 1000.
  enqueue(scheduler, 5, Priority::kEntry, kCreate);
  EXPECT_EQ(scheduler.grant(kT0).size(), 5u);
  const auto later = enqueue(scheduler, 8, Priority::kEntry, kCreate);
  EXPECT_EQ(scheduler.grant(kT0 + 500).size(), 5u);
  EXPECT_EQ(scheduler.sent_in_window(kCreate, kT0 + 500), 10);
  EXPECT_EQ(scheduler.next_wakeup(kT0 + 500), kT0 + 1'000);
  EXPECT_TRUE(scheduler.grant(kT0 + 999).empty());
  // At t0 + 1000 the first five leave the window: three wait, three go.
  EXPECT_EQ(scheduler.grant(kT0 + 1'000), (std::vector<Ticket>{later[5], later[6], later[7]}));
}

TEST(RequestScheduler, AWaiterOnAFullEndpointHoldsBackNoOtherEndpoint) {
  RequestScheduler scheduler(config());
  // Spot creates have their own window of 20 beside linear's 10.
  enqueue(scheduler, 10, Priority::kEntry, kCreate);
  enqueue(scheduler, 20, Priority::kEntry, "/v5/order/create@spot");
  EXPECT_EQ(scheduler.grant(kT0).size(), 30u);
  // Both create windows are full: the entries wait, a lower-priority wallet read goes.
  const Ticket linear = scheduler.enqueue(Priority::kEntry, kCreate);
  const Ticket spot = scheduler.enqueue(Priority::kEntry, "/v5/order/create@spot");
  const Ticket wallet = scheduler.enqueue(Priority::kMarketData, kWallet);
  EXPECT_EQ(scheduler.grant(kT0 + 100), std::vector<Ticket>{wallet});
  EXPECT_EQ(scheduler.grant(kT0 + 1'000), (std::vector<Ticket>{linear, spot}));
}

TEST(RequestScheduler, TheRateLimitHeadersUpdateTheEndpoint) {
  RequestScheduler scheduler(config());
  // X-Bapi-Limit replaces the limit.
  scheduler.on_response(kCreate, {200, 0, 5, 4, kT0}, kT0);
  EXPECT_EQ(scheduler.limit(kCreate), 5);
  enqueue(scheduler, 7, Priority::kEntry, kCreate);
  EXPECT_EQ(scheduler.grant(kT0).size(), 5u);
  EXPECT_TRUE(scheduler.grant(kT0 + 999).empty());
  EXPECT_EQ(scheduler.grant(kT0 + 1'000).size(), 2u);

  // X-Bapi-Limit-Status with a reset ahead: at most that many more before the reset, even
  // though the local window has room.
  scheduler.on_response(kWallet, {200, 0, 50, 2, kT0 + 2'300}, kT0 + 2'000);
  enqueue(scheduler, 4, Priority::kMarketData, kWallet);
  EXPECT_EQ(scheduler.grant(kT0 + 2'000).size(), 2u);
  EXPECT_EQ(scheduler.next_wakeup(kT0 + 2'000), kT0 + 2'300);
  EXPECT_TRUE(scheduler.grant(kT0 + 2'299).empty());
  EXPECT_EQ(scheduler.grant(kT0 + 2'300).size(), 2u);
  // A reset timestamp of now (Bybit's "not exceeded") sets no cap.
  scheduler.on_response(kWallet, {200, 0, 50, 0, kT0 + 3'000}, kT0 + 3'000);
  enqueue(scheduler, 3, Priority::kMarketData, kWallet);
  EXPECT_EQ(scheduler.grant(kT0 + 3'000).size(), 3u);
}

TEST(RequestScheduler, A10006BlocksThatEndpointUntilTheReset) {
  RequestScheduler scheduler(config());
  scheduler.on_response(kWallet, {200, 10006, 50, 0, kT0 + 700}, kT0);
  EXPECT_EQ(scheduler.blocked_until(kWallet, kT0), kT0 + 700);
  EXPECT_EQ(scheduler.blocked_until(kCancel, kT0), std::nullopt);
  const Ticket wallet = scheduler.enqueue(Priority::kCancel, kWallet);
  const Ticket cancel = scheduler.enqueue(Priority::kCancel, kCancel);
  EXPECT_EQ(scheduler.grant(kT0 + 1), std::vector<Ticket>{cancel});
  EXPECT_EQ(scheduler.next_wakeup(kT0 + 1), kT0 + 700);
  EXPECT_TRUE(scheduler.grant(kT0 + 699).empty());
  EXPECT_EQ(scheduler.grant(kT0 + 700), std::vector<Ticket>{wallet});
  EXPECT_EQ(scheduler.blocked_until(kWallet, kT0 + 700), std::nullopt);
}

TEST(RequestScheduler, WithoutAResetTheBlockBacksOffAndASuccessResetsIt) {
  RequestScheduler scheduler(config());
  // 10006 without headers: 500 ms, then 1000 ms for the next consecutive one (no jitter).
  scheduler.on_response(kWallet, {200, 10006, {}, {}, {}}, kT0);
  EXPECT_EQ(scheduler.blocked_until(kWallet, kT0), kT0 + 500);
  scheduler.on_response(kWallet, {200, 10006, {}, {}, {}}, kT0 + 500);
  EXPECT_EQ(scheduler.blocked_until(kWallet, kT0 + 500), kT0 + 1'500);
  // A success starts the backoff over.
  scheduler.on_response(kWallet, {200, 0, {}, {}, {}}, kT0 + 1'600);
  scheduler.on_response(kWallet, {200, 10006, {}, {}, {}}, kT0 + 1'700);
  EXPECT_EQ(scheduler.blocked_until(kWallet, kT0 + 1'700), kT0 + 2'200);
  // A reset stamped in the past is no reset: the backoff decides.
  scheduler.on_response(kCreate, {200, 10006, 10, 0, kT0 - 5}, kT0);
  EXPECT_EQ(scheduler.blocked_until(kCreate, kT0), kT0 + 500);
  // HTTP 429 (system protection) blocks the endpoint the same way.
  scheduler.on_response(kCancel, {429, 0, {}, {}, {}}, kT0);
  EXPECT_EQ(scheduler.blocked_until(kCancel, kT0), kT0 + 500);
  EXPECT_EQ(scheduler.blocked_until(kKline, kT0), std::nullopt);
}

TEST(RequestScheduler, A403BlocksEverythingForTenMinutes) {
  RequestScheduler scheduler(config());
  scheduler.on_response(kKline, {403, 0, {}, {}, {}}, kT0);
  for (const std::string_view endpoint : {kKline, kCancel, kCreate, kWallet}) {
    EXPECT_EQ(scheduler.blocked_until(endpoint, kT0), kT0 + 10 * kMinuteMs) << endpoint;
  }
  const Ticket cancel = scheduler.enqueue(Priority::kCancel, kCancel);
  EXPECT_TRUE(scheduler.grant(kT0 + 10 * kMinuteMs - 1).empty());
  EXPECT_EQ(scheduler.next_wakeup(kT0 + 1), kT0 + 10 * kMinuteMs);
  EXPECT_EQ(scheduler.grant(kT0 + 10 * kMinuteMs), std::vector<Ticket>{cancel});
}

TEST(RequestScheduler, ACancelledWaiterLeavesTheQueue) {
  RequestScheduler scheduler(config(1));
  const Ticket first = scheduler.enqueue(Priority::kEntry, kCreate);
  EXPECT_EQ(scheduler.grant(kT0), std::vector<Ticket>{first});
  const Ticket gone = scheduler.enqueue(Priority::kCancel, kCancel);
  const Ticket kept = scheduler.enqueue(Priority::kEntry, kCreate);
  EXPECT_TRUE(scheduler.cancel(gone));
  EXPECT_FALSE(scheduler.cancel(gone));
  EXPECT_FALSE(scheduler.cancel(first));  // already granted
  EXPECT_EQ(scheduler.grant(kT0 + 5'000), std::vector<Ticket>{kept});
}

TEST(RequestScheduler, RefusesLimitsThatCannotWork) {
  BudgetConfig bad = bybit_budget_config();
  bad.global_reserve = {0, 0, 10, 5, 20};  // decreasing
  EXPECT_THROW(RequestScheduler{bad}, ConfigError);
  bad = bybit_budget_config();
  bad.endpoints.push_back({"/v5/x", 0, kSecondMs});
  EXPECT_THROW(RequestScheduler{bad}, ConfigError);
  bad = bybit_budget_config();
  bad.global_reserve = {0, 0, 0, 0, 600};
  EXPECT_THROW(RequestScheduler{bad}, ConfigError);
}

// ---- the awaitable on an io_context

TEST(RequestBudget, AcquireWaitsOnTheLoopAndServesTheCancelFirst) {
  asio::io_context loop;
  BudgetConfig c = config(2);
  c.global_window = 200;
  RequestBudget budget(loop, c);
  std::vector<std::string> order;
  int done = 0;
  const auto spawn = [&](Priority priority, std::string endpoint, std::string name) {
    asio::co_spawn(
        loop,
        [&, priority, endpoint, name]() -> asio::awaitable<void> {
          if (co_await budget.acquire(priority, endpoint)) order.push_back(name);
          ++done;
        },
        asio::detached);
  };
  // fmt::format, not "m" + std::to_string(i): GCC 12 at -O3 reports a false -Werror=restrict.
  for (int i = 0; i < 4; ++i)
    spawn(Priority::kMarketData, std::string(kKline), fmt::format("m{}", i));
  spawn(Priority::kCancel, std::string(kCancel), "cancel");
  ASSERT_TRUE(testing::run_until(
      loop, [&] { return done == 5; }, std::chrono::seconds(5)));
  // Two go at once; the cancel takes the first slot of the next window.
  EXPECT_EQ(order, (std::vector<std::string>{"m0", "m1", "cancel", "m2", "m3"}));
}

TEST(RequestBudget, AcquireGivesUpAfterMaxWaitAndLeavesTheQueue) {
  asio::io_context loop;
  RequestBudget budget(loop, config());
  budget.on_response(kWallet, {200, 10006, 50, 0, budget.now() + 60'000});
  const bool granted =
      testing::run_task(loop, budget.acquire(Priority::kCancel, std::string(kWallet), 50));
  EXPECT_FALSE(granted);
  EXPECT_EQ(budget.scheduler().waiting(), 0u);
  EXPECT_TRUE(testing::run_task(loop, budget.acquire(Priority::kCancel, std::string(kCancel), 50)));
}

}  // namespace
}  // namespace gauntlet::brokers
