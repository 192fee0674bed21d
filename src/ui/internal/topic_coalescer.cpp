#include "ui/internal/topic_coalescer.hpp"

#include <algorithm>
#include <utility>

namespace gauntlet::ui::internal {

TopicCoalescer::Offer TopicCoalescer::offer(std::string_view topic, SharedText message,
                                            SteadyTime now) {
  auto found = topics_.find(topic);
  if (found == topics_.end()) {
    if (topics_.size() >= next_sweep_size_) {
      forget_idle(now);
      next_sweep_size_ = std::max<std::size_t>(64, 2 * topics_.size());
    }
    topics_.emplace(std::string(topic), Topic{now, nullptr});
    return {true, now};
  }
  Topic& state = found->second;
  const SteadyTime due = state.last_sent + interval_;
  if (now >= due) {
    // A pending message older than `message` is superseded by it.
    state.pending = nullptr;
    state.last_sent = now;
    return {true, now};
  }
  state.pending = std::move(message);
  return {false, due};
}

std::optional<SteadyTime> TopicCoalescer::take_due(SteadyTime now, std::vector<SharedText>& due) {
  std::optional<SteadyTime> next;
  for (auto it = topics_.begin(); it != topics_.end();) {
    Topic& state = it->second;
    const SteadyTime topic_due = state.last_sent + interval_;
    if (state.pending && now >= topic_due) {
      due.push_back(std::move(state.pending));
      state.pending = nullptr;
      state.last_sent = now;
    } else if (!state.pending && now >= topic_due) {
      it = topics_.erase(it);
      continue;
    }
    if (state.pending && (!next || topic_due < *next)) next = topic_due;
    ++it;
  }
  return next;
}

void TopicCoalescer::forget_idle(SteadyTime now) {
  std::erase_if(topics_, [&](const auto& entry) {
    return !entry.second.pending && now >= entry.second.last_sent + interval_;
  });
}

}  // namespace gauntlet::ui::internal
