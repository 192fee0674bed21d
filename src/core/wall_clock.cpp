#include "core/wall_clock.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>

#include "core/asio.hpp"
#include "core/check.hpp"

namespace gauntlet {
namespace {

// The longest single wait: past it the clock re-reads the system clock (see the header).
constexpr std::chrono::seconds kMaxWait{1};

TimestampMs system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

// The timer table and the steady_timer, shared with the completion handler of the wait in
// flight (as a weak_ptr), so that a completion arriving after the WallClock is gone does
// nothing.
struct WallClock::State : std::enable_shared_from_this<WallClock::State> {
  using Key = std::pair<TimestampMs, TimerId>;  // due time, then scheduling order

  explicit State(asio::io_context& loop) : timer(loop) {}

  // Arms the steady_timer for the earliest due timer, unless it already is; cancels the wait
  // when no timer is left.
  void arm() {
    if (closed) return;
    if (timers.empty()) {
      if (armed_for.has_value()) {
        ++generation;
        armed_for.reset();
        timer.cancel();
      }
      return;
    }
    const TimestampMs due = timers.begin()->first.first;
    if (armed_for == due) return;
    ++generation;
    armed_for = due;
    const auto until_due = std::chrono::system_clock::time_point(std::chrono::milliseconds(due)) -
                           std::chrono::system_clock::now();
    const auto wait = std::clamp<std::chrono::steady_clock::duration>(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(until_due),
        std::chrono::steady_clock::duration::zero(), kMaxWait);
    timer.expires_after(wait);  // cancels the wait in flight, whose completion is now stale
    timer.async_wait(
        [weak = weak_from_this(), armed = generation](const boost::system::error_code&) {
          const auto state = weak.lock();
          if (state == nullptr || state->generation != armed) return;
          state->armed_for.reset();
          state->fire_due();
        });
  }

  // Fires, in order, the timers due now that were scheduled before this turn, then re-arms.
  void fire_due() {
    const TimestampMs now = system_now_ms();
    const TimerId last_scheduled = next_id - 1;
    try {
      while (!closed && !timers.empty()) {
        const auto first = timers.begin();
        if (first->first.first > now || first->first.second > last_scheduled) break;
        auto node = timers.extract(first);
        due_by_id.erase(node.key().second);
        node.mapped()();
      }
    } catch (...) {
      arm();
      throw;
    }
    arm();
  }

  asio::steady_timer timer;
  std::map<Key, Callback> timers;
  std::unordered_map<TimerId, TimestampMs> due_by_id;
  TimerId next_id = 1;
  uint64_t generation = 0;               // of the wait in flight; older completions are stale
  std::optional<TimestampMs> armed_for;  // the due time the wait in flight is for
  bool closed = false;
};

WallClock::WallClock(asio::io_context& loop) : state_(std::make_shared<State>(loop)) {}

WallClock::~WallClock() {
  // A callback running now (this clock destroyed from inside one) keeps the state alive until
  // it returns; `closed` stops the firing loop.
  state_->closed = true;
  ++state_->generation;
  state_->timers.clear();
  state_->due_by_id.clear();
  state_->timer.cancel();
}

TimestampMs WallClock::now_ms() const {
  return system_now_ms();
}

Clock::TimerId WallClock::schedule_at(TimestampMs when, Callback callback) {
  GAUNTLET_CHECK(callback != nullptr, "WallClock::schedule_at({}) was given an empty callback",
                 when);
  State& state = *state_;
  const TimerId id = state.next_id++;
  const TimestampMs due = std::max(when, now_ms());
  state.timers.emplace(State::Key{due, id}, std::move(callback));
  state.due_by_id.emplace(id, due);
  if (state.timers.begin()->first.second == id) state.arm();  // a new earliest timer
  return id;
}

bool WallClock::cancel(TimerId id) {
  State& state = *state_;
  const auto found = state.due_by_id.find(id);
  if (found == state.due_by_id.end()) return false;
  const State::Key key{found->second, id};
  const bool was_earliest = state.timers.begin()->first == key;
  state.timers.erase(key);
  state.due_by_id.erase(found);
  if (was_earliest) state.arm();
  return true;
}

std::size_t WallClock::pending_timers() const {
  return state_->timers.size();
}

}  // namespace gauntlet
