#include "core/wall_clock.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/asio.hpp"

namespace gauntlet {
namespace {

using namespace std::chrono_literals;

// Upper bound on how late a timer may fire on a loaded CI machine.
constexpr DurationMs kTolerance = 500;

struct Fired {
  std::string name;
  TimestampMs due;
  TimestampMs at;
};

TEST(WallClock, NowIsTheSystemClockInUtcMilliseconds) {
  asio::io_context loop;
  const WallClock clock(loop);
  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const TimestampMs now = clock.now_ms();
  const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
  EXPECT_GT(now, parse_iso8601("2024-01-01"));
}

TEST(WallClock, TimersFireInDueOrderAtPlausibleTimes) {
  asio::io_context loop;
  WallClock clock(loop);
  std::vector<Fired> fired;
  const TimestampMs start = clock.now_ms();
  const auto add = [&](const std::string& name, DurationMs delay) {
    const TimestampMs due = start + delay;
    clock.schedule_at(due, [&, name, due] { fired.push_back({name, due, clock.now_ms()}); });
  };
  add("c", 50);
  add("a", 10);
  add("b", 30);
  EXPECT_EQ(clock.pending_timers(), 3u);
  loop.run_for(5s);

  ASSERT_EQ(fired.size(), 3u);
  EXPECT_EQ(fired[0].name, "a");
  EXPECT_EQ(fired[1].name, "b");
  EXPECT_EQ(fired[2].name, "c");
  for (const Fired& timer : fired) {
    EXPECT_GE(timer.at, timer.due) << timer.name << " fired early";
    EXPECT_LT(timer.at, timer.due + kTolerance) << timer.name << " fired late";
  }
  EXPECT_EQ(clock.pending_timers(), 0u);
}

TEST(WallClock, ScheduleAfterIsRelativeToNow) {
  asio::io_context loop;
  WallClock clock(loop);
  const TimestampMs start = clock.now_ms();
  TimestampMs fired_at = 0;
  clock.schedule_after(20, [&] { fired_at = clock.now_ms(); });
  loop.run_for(5s);
  EXPECT_GE(fired_at, start + 20);
  EXPECT_LT(fired_at, start + 20 + kTolerance);
}

TEST(WallClock, CancelledTimerDoesNotFire) {
  asio::io_context loop;
  WallClock clock(loop);
  std::vector<std::string> fired;
  const auto first = clock.schedule_after(10, [&] { fired.push_back("first"); });
  const auto second = clock.schedule_after(20, [&] { fired.push_back("second"); });
  const auto third = clock.schedule_after(30, [&] { fired.push_back("third"); });
  EXPECT_TRUE(clock.cancel(first));  // the earliest: the clock re-arms for the next
  EXPECT_TRUE(clock.cancel(third));
  EXPECT_FALSE(clock.cancel(first));
  EXPECT_FALSE(clock.cancel(12345));
  loop.run_for(5s);
  EXPECT_EQ(fired, std::vector<std::string>{"second"});
  EXPECT_FALSE(clock.cancel(second));  // already fired
}

TEST(WallClock, CancellingEveryTimerLetsTheLoopFinish) {
  asio::io_context loop;
  WallClock clock(loop);
  bool fired = false;
  const auto id = clock.schedule_after(60'000, [&] { fired = true; });
  EXPECT_TRUE(clock.cancel(id));
  const auto start = std::chrono::steady_clock::now();
  loop.run_for(5s);  // returns as soon as no work is left
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_FALSE(fired);
}

TEST(WallClock, TimerCancelledByAnEarlierCallbackOfTheSameTurnDoesNotFire) {
  asio::io_context loop;
  WallClock clock(loop);
  std::vector<std::string> fired;
  const TimestampMs due = clock.now_ms() + 20;
  Clock::TimerId victim = 0;
  clock.schedule_at(due, [&] {
    fired.push_back("killer");
    EXPECT_TRUE(clock.cancel(victim));
  });
  victim = clock.schedule_at(due, [&] { fired.push_back("victim"); });
  clock.schedule_at(due, [&] { fired.push_back("bystander"); });
  loop.run_for(5s);
  EXPECT_EQ(fired, (std::vector<std::string>{"killer", "bystander"}));
}

TEST(WallClock, PastDueTimerFiresOnTheNextTurnNotInline) {
  asio::io_context loop;
  WallClock clock(loop);
  bool fired = false;
  const TimestampMs now = clock.now_ms();
  clock.schedule_at(now - 1'000, [&] { fired = true; });
  EXPECT_FALSE(fired);
  EXPECT_EQ(clock.pending_timers(), 1u);
  const auto start = std::chrono::steady_clock::now();
  loop.run_for(5s);
  EXPECT_TRUE(fired);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(kTolerance));
}

TEST(WallClock, TimersWithTheSameDueTimeFireInSchedulingOrder) {
  asio::io_context loop;
  WallClock clock(loop);
  std::vector<int> fired;
  const TimestampMs due = clock.now_ms() + 20;
  for (int i = 0; i < 20; ++i) clock.schedule_at(due, [&fired, i] { fired.push_back(i); });
  // Past-due timers count as due now: they fire in scheduling order too, before the others.
  for (int i = 100; i < 105; ++i) clock.schedule_at(0, [&fired, i] { fired.push_back(i); });
  loop.run_for(5s);
  std::vector<int> expected = {100, 101, 102, 103, 104};
  for (int i = 0; i < 20; ++i) expected.push_back(i);
  EXPECT_EQ(fired, expected);
}

TEST(WallClock, TimerScheduledByACallbackFiresOnALaterTurn) {
  asio::io_context loop;
  WallClock clock(loop);
  std::vector<std::string> fired;
  clock.schedule_after(10, [&] {
    fired.push_back("outer");
    clock.schedule_after(0, [&] { fired.push_back("inner"); });
  });
  while (fired.empty() && loop.run_one_for(5s) > 0) {
  }
  EXPECT_EQ(fired, std::vector<std::string>{"outer"});  // not in the same handler
  loop.run_for(5s);
  EXPECT_EQ(fired, (std::vector<std::string>{"outer", "inner"}));
}

TEST(WallClock, DestructionWithPendingTimersIsClean) {
  asio::io_context loop;
  bool fired = false;
  {
    WallClock clock(loop);
    auto owned = std::make_shared<int>(7);  // ASan sees it if a dead callback ever runs
    clock.schedule_after(20, [&fired, owned] { fired = *owned == 7; });
    clock.schedule_after(30, [&fired, owned] { fired = *owned == 7; });
  }
  loop.run_for(200ms);
  EXPECT_FALSE(fired);
}

TEST(WallClock, DestructionAfterTheWaitCompletedButBeforeItsHandlerRanIsClean) {
  asio::io_context loop;
  bool fired = false;
  {
    WallClock clock(loop);
    clock.schedule_after(5, [&] { fired = true; });
    std::this_thread::sleep_for(50ms);  // the wait is over; its completion is not yet run
  }
  loop.run_for(200ms);
  EXPECT_FALSE(fired);
}

TEST(WallClock, ClockDestroyedByOneOfItsCallbacksFiresNothingMore) {
  asio::io_context loop;
  auto clock = std::make_unique<WallClock>(loop);
  std::vector<std::string> fired;
  const TimestampMs due = clock->now_ms() + 10;
  clock->schedule_at(due, [&] {
    fired.push_back("first");
    clock.reset();
  });
  clock->schedule_at(due, [&] { fired.push_back("second"); });
  loop.run_for(1s);
  EXPECT_EQ(fired, std::vector<std::string>{"first"});
}

}  // namespace
}  // namespace gauntlet
