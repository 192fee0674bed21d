// File: core/wall_clock.hpp
//
// WallClock: the Clock of live and paper sessions. now_ms() reads std::chrono::system_clock
// (milliseconds since the epoch, UTC); timers fire on the core io_context, through an
// asio::steady_timer.
//
// Timers follow the same rules as SimClock's, enforced here rather than left to the OS: they
// fire in order of due time, then of scheduling, because the clock keeps them in one ordered
// table and arms a single steady_timer for the earliest. A timer fires on a loop turn after
// schedule_at() returns, never inside it, and never before now_ms() has reached its due time
// (a past due time counts as now). Due times are wall-clock times: the clock re-reads the system
// clock at least once a second while a timer is pending, so a step of the system clock (NTP)
// delays a timer by at most that much. A timer scheduled by a callback fires on a later turn,
// so a callback that reschedules itself at once cannot starve the loop.
//
// cancel() guarantees the callback does not run; destroying the WallClock cancels every timer
// (an Asio completion already queued finds the clock gone and does nothing).
//
// Threading: like every Clock, used on the thread that runs the io_context only. The io_context
// must outlive the WallClock. Asio stays out of this header: see core/asio.hpp.
#pragma once

#include <cstddef>
#include <memory>

#include "core/clock.hpp"
#include "core/time.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace gauntlet {

class WallClock final : public Clock {
 public:
  explicit WallClock(boost::asio::io_context& loop);
  ~WallClock() override;
  WallClock(const WallClock&) = delete;
  WallClock& operator=(const WallClock&) = delete;

  TimestampMs now_ms() const override;
  TimerId schedule_at(TimestampMs when, Callback callback) override;
  bool cancel(TimerId id) override;

  std::size_t pending_timers() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace gauntlet
