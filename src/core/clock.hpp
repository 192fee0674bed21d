// File: core/clock.hpp
//
// Clock: the engine's only source of "now" and of timers, so that a backtest, a replay and a
// live session run the same code. WallClock (core/wall_clock.hpp) reads the system clock and
// fires timers on the core event loop; SimClock, here, moves only when told to and fires its
// timers deterministically.
//
// Threading: a Clock is used from the core event loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>

#include "core/time.hpp"

namespace gauntlet {

class Clock {
 public:
  using TimerId = uint64_t;
  using Callback = std::function<void()>;

  virtual ~Clock() = default;

  // Milliseconds since the epoch, UTC.
  virtual TimestampMs now_ms() const = 0;
  // Runs `callback` once at `when` (at once, on the next turn, when `when` has passed).
  virtual TimerId schedule_at(TimestampMs when, Callback callback) = 0;
  // Returns true when the timer was pending and will not fire.
  virtual bool cancel(TimerId id) = 0;

  TimerId schedule_after(DurationMs delay, Callback callback) {
    return schedule_at(now_ms() + delay, std::move(callback));
  }
};

// A clock for backtests, replays and tests. Time moves only through advance_to(); due timers
// fire in order of due time, then of scheduling, each with now_ms() equal to its due time
// (never earlier than the time already reached). A timer scheduled by a callback fires in the
// same advance when it is due by then.
class SimClock final : public Clock {
 public:
  explicit SimClock(TimestampMs start = 0) : now_(start) {}

  TimestampMs now_ms() const override { return now_; }
  TimerId schedule_at(TimestampMs when, Callback callback) override;
  bool cancel(TimerId id) override;

  // Fires every timer due at or before `until`, then sets now to `until`. Moving backwards
  // breaks an invariant and aborts. Returns the number of timers fired.
  std::size_t advance_to(TimestampMs until);
  std::size_t advance(DurationMs delta) { return advance_to(now_ + delta); }
  // Advances to the next due timer and fires it (and any due at the same time); returns the
  // number fired, 0 when none is pending.
  std::size_t run_next();

  std::optional<TimestampMs> next_timer_time() const;
  std::size_t pending_timers() const { return timers_.size(); }

 private:
  using Key = std::pair<TimestampMs, TimerId>;

  TimestampMs now_;
  TimerId next_id_ = 1;
  std::map<Key, Callback> timers_;
  std::unordered_map<TimerId, TimestampMs> due_by_id_;
};

}  // namespace gauntlet
