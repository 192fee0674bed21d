#include "data/feeds/simulated_feed.hpp"

#include <algorithm>

namespace gauntlet::data {

SimulatedFeed::SimulatedFeed(SimulatedMarketConfig config, EventBus& bus, Clock& clock)
    : market_(std::move(config)), bus_(bus), clock_(clock) {}

SimulatedFeed::~SimulatedFeed() {
  stop();
}

void SimulatedFeed::subscribe(const std::vector<Symbol>& symbols,
                              const std::vector<Stream>& streams) {
  if (!filtered_) {
    filtered_ = true;  // from the first call on, only what was asked for
    bars_ = quotes_ = false;
  }
  for (const Symbol& symbol : symbols) symbols_.insert(symbol.canonical());
  for (Stream stream : streams) (stream == Stream::kBars ? bars_ : quotes_) = true;
}

bool SimulatedFeed::wanted(const Symbol& symbol) const {
  return !filtered_ || symbols_.count(symbol.canonical()) != 0;
}

void SimulatedFeed::skip_to(TimestampMs time,
                            const std::function<void(const std::vector<BarClosed>&)>& on_bars) {
  while (market_.next_time() < time) {
    const std::vector<BarClosed>& bars = market_.next_minute();
    if (on_bars) on_bars(bars);
  }
}

void SimulatedFeed::start() {
  if (!timer_) schedule_next();
}

void SimulatedFeed::stop() {
  if (timer_) clock_.cancel(*timer_);
  timer_.reset();
}

void SimulatedFeed::schedule_next() {
  // The bars of the minute starting at next_time() close a minute later.
  timer_ = clock_.schedule_at(market_.next_time() + kMinuteMs, [this] {
    timer_.reset();
    publish_minute();
    schedule_next();
  });
}

void SimulatedFeed::publish_minute() {
  const std::vector<BarClosed>& bars = market_.next_minute();
  const std::vector<QuoteUpdated>& quotes = market_.quotes();
  for (std::size_t i = 0; i < bars.size(); ++i) {
    if (!wanted(bars[i].symbol)) continue;
    if (bars_) bus_.publish(bars[i]);
    if (quotes_ && i < quotes.size()) bus_.publish(quotes[i]);
  }
  ++minutes_;
}

}  // namespace gauntlet::data
