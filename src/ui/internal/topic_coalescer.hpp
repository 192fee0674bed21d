// File: ui/internal/topic_coalescer.hpp
//
// TopicCoalescer: the per-client rate limit of WebSocket pushes. A topic sends at most one
// message per interval (500 ms: 2 per second); a message that comes sooner waits as the topic's
// pending message, and a newer one replaces it (the latest wins), so a client always ends up
// with the latest state of every topic. Topics with nothing pending and nothing sent within the
// interval are forgotten, so per-message topics (one per trade) cost no memory.
//
// Time is passed in, so tests drive it without sleeping.
//
// Threading: not thread-safe; each WebSocket session owns one on the server's I/O thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gauntlet::ui::internal {

using SteadyTime = std::chrono::steady_clock::time_point;
// One frame's text, shared by every client it goes to.
using SharedText = std::shared_ptr<const std::string>;

class TopicCoalescer {
 public:
  explicit TopicCoalescer(std::chrono::milliseconds interval) : interval_(interval) {}

  struct Offer {
    bool send_now = false;
    SteadyTime due;  // when !send_now: when the pending message may go
  };

  // Offers `message` for `topic` at `now`: send_now when the topic's interval has passed (the
  // send is recorded), otherwise the message becomes the topic's pending one.
  Offer offer(std::string_view topic, SharedText message, SteadyTime now);
  // Appends to `due` the pending messages whose interval has passed at `now` (recording them as
  // sent) and returns when the next pending message falls due, std::nullopt when none is left.
  std::optional<SteadyTime> take_due(SteadyTime now, std::vector<SharedText>& due);

  // Topics remembered now (sent within the interval or pending).
  std::size_t topic_count() const { return topics_.size(); }

 private:
  struct Topic {
    SteadyTime last_sent;
    SharedText pending;
  };

  void forget_idle(SteadyTime now);

  std::chrono::milliseconds interval_;
  std::map<std::string, Topic, std::less<>> topics_;
  std::size_t next_sweep_size_ = 64;
};

}  // namespace gauntlet::ui::internal
