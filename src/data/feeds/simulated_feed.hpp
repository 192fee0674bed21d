// File: data/feeds/simulated_feed.hpp
//
// SimulatedFeed: the simulated market (data/feeds/simulated_market.hpp) run on the engine's
// Clock and published on the event bus, the offline default when no venue is reachable. At
// the close of every minute it publishes each market's BarClosed, then its QuoteUpdated, with
// feed = FeedKind::kSimulated: the same events, in the same order, as the replay and the live
// feed, so nothing downstream can tell them apart except through that flag.
//
// Until the first subscribe() every market's bars and quotes are published; from then on only
// the subscribed symbols and streams, each call widening the set. The generator still steps every
// market, so the prices do not depend on what is watched.
//
// Threading: on the core loop thread, like the Clock and the EventBus it uses.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/event_bus.hpp"
#include "data/data_manager.hpp"
#include "data/feeds/simulated_market.hpp"

namespace gauntlet::data {

class SimulatedFeed final : public MarketDataSource {
 public:
  // The market starts at config.start; the first bars close a minute later on `clock`.
  SimulatedFeed(SimulatedMarketConfig config, EventBus& bus, Clock& clock);
  ~SimulatedFeed() override;
  SimulatedFeed(const SimulatedFeed&) = delete;
  SimulatedFeed& operator=(const SimulatedFeed&) = delete;

  FeedKind kind() const override { return FeedKind::kSimulated; }
  void subscribe(const std::vector<Symbol>& symbols, const std::vector<Stream>& streams) override;

  // Steps the market, publishing nothing, until its next minute opens at or after `time`;
  // each skipped minute's bars go to `on_bars` when given. Before start(): a warm-up history,
  // or a resumed session catching up with the minute it stopped at (the same seed and start
  // give the same prices).
  void skip_to(TimestampMs time,
               const std::function<void(const std::vector<BarClosed>&)>& on_bars = {});

  // Schedules the minute closes on the clock until stop().
  void start();
  void stop();
  std::size_t minutes_published() const { return minutes_; }
  const SimulatedMarket& market() const { return market_; }

 private:
  void schedule_next();
  void publish_minute();
  bool wanted(const Symbol& symbol) const;

  SimulatedMarket market_;
  EventBus& bus_;
  Clock& clock_;
  std::set<std::string> symbols_;
  bool filtered_ = false;
  bool bars_ = true;
  bool quotes_ = true;
  std::optional<Clock::TimerId> timer_;
  std::size_t minutes_ = 0;
};

}  // namespace gauntlet::data
