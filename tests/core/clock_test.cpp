#include "core/clock.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gauntlet {
namespace {

TEST(SimClock, FiresTimersInDueTimeThenSchedulingOrder) {
  SimClock clock(1000);
  std::vector<std::string> fired;
  clock.schedule_at(3000, [&] { fired.push_back("c@" + std::to_string(clock.now_ms())); });
  clock.schedule_at(2000, [&] { fired.push_back("a@" + std::to_string(clock.now_ms())); });
  clock.schedule_at(2000, [&] { fired.push_back("b@" + std::to_string(clock.now_ms())); });
  EXPECT_EQ(clock.next_timer_time(), 2000);
  EXPECT_EQ(clock.advance_to(2500), 2u);
  EXPECT_EQ(clock.now_ms(), 2500);
  EXPECT_EQ(clock.advance(1000), 1u);
  EXPECT_EQ(fired, (std::vector<std::string>{"a@2000", "b@2000", "c@3000"}));
  EXPECT_EQ(clock.now_ms(), 3500);
}

TEST(SimClock, CancelledTimersDoNotFire) {
  SimClock clock;
  int fired = 0;
  const auto id = clock.schedule_after(10, [&] { ++fired; });
  clock.schedule_after(20, [&] { ++fired; });
  EXPECT_TRUE(clock.cancel(id));
  EXPECT_FALSE(clock.cancel(id));
  EXPECT_EQ(clock.pending_timers(), 1u);
  clock.advance(100);
  EXPECT_EQ(fired, 1);
}

TEST(SimClock, TimersScheduledByCallbacksFireInTheSameAdvance) {
  SimClock clock;
  std::vector<TimestampMs> ticks;
  std::function<void()> tick = [&] {
    ticks.push_back(clock.now_ms());
    if (ticks.size() < 5) clock.schedule_after(15, tick);
  };
  clock.schedule_after(15, tick);
  EXPECT_EQ(clock.advance_to(60), 4u);
  EXPECT_EQ(ticks, (std::vector<TimestampMs>{15, 30, 45, 60}));
  EXPECT_EQ(clock.run_next(), 1u);
  EXPECT_EQ(clock.now_ms(), 75);
  EXPECT_EQ(clock.run_next(), 0u);
}

TEST(SimClock, PastDueTimersFireWithoutMovingTimeBackwards) {
  SimClock clock(500);
  TimestampMs seen = 0;
  clock.schedule_at(100, [&] { seen = clock.now_ms(); });
  clock.advance(0);
  EXPECT_EQ(seen, 500);
}

TEST(SimClockDeathTest, MovingBackwardsAborts) {
  SimClock clock(500);
  EXPECT_DEATH(clock.advance_to(499), "SimClock cannot move backwards from 500 to 499");
}

}  // namespace
}  // namespace gauntlet
