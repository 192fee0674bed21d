#include "core/clock.hpp"

#include <algorithm>

#include "core/check.hpp"

namespace gauntlet {

Clock::TimerId SimClock::schedule_at(TimestampMs when, Callback callback) {
  const TimerId id = next_id_++;
  const TimestampMs due = std::max(when, now_);
  timers_.emplace(Key{due, id}, std::move(callback));
  due_by_id_.emplace(id, due);
  return id;
}

bool SimClock::cancel(TimerId id) {
  const auto found = due_by_id_.find(id);
  if (found == due_by_id_.end()) return false;
  timers_.erase(Key{found->second, id});
  due_by_id_.erase(found);
  return true;
}

std::size_t SimClock::advance_to(TimestampMs until) {
  GAUNTLET_CHECK(until >= now_, "SimClock cannot move backwards from {} to {}", now_, until);
  std::size_t fired = 0;
  while (!timers_.empty() && timers_.begin()->first.first <= until) {
    auto node = timers_.extract(timers_.begin());
    due_by_id_.erase(node.key().second);
    now_ = node.key().first;
    node.mapped()();
    ++fired;
  }
  now_ = until;
  return fired;
}

std::size_t SimClock::run_next() {
  if (timers_.empty()) return 0;
  return advance_to(timers_.begin()->first.first);
}

std::optional<TimestampMs> SimClock::next_timer_time() const {
  if (timers_.empty()) return std::nullopt;
  return timers_.begin()->first.first;
}

}  // namespace gauntlet
