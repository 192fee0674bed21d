// File: data/feeds/bybit_live_feed.hpp
//
// BybitLiveFeed: the live public feed of one Bybit category (spot or linear) for the
// data_manager. WebSocket first: kline and tickers pushes become BarClosed / BarUpdated /
// QuoteUpdated on the event bus, feed = FeedKind::kLive (the data_manager stores the closed
// bars). No closed bar is lost:
//   - after every (re)connect the feed backfills over REST, per subscribed symbol, every bar
//     missing from the store in the last `initial_lookback`;
//   - while the WebSocket is down it polls REST every `poll_interval` (the REST fallback, paced
//     by the rate limiter installed on the client);
//   - a pushed close that does not directly follow the last published bar (a push lost, or
//     reordered, or the first after a reconnect) is stored and triggers the backfill, which
//     fetches the holes of the lookback window and publishes every stored bar newer than the
//     last published one in order: downstream sees every closed bar the venue has, once and in
//     time order.
//
// Threading: on the core loop thread. The DataManager, RestClient, EventBus and Clock must
// outlive the feed; coroutines in flight hold the feed's shared state, so stop() and
// destruction are safe at any time.
#pragma once

#include <memory>
#include <vector>

#include "brokers/bybit/public_ws_client.hpp"
#include "brokers/bybit/rest_client.hpp"
#include "data/backfill.hpp"
#include "data/data_manager.hpp"

namespace gauntlet::data {

class BybitLiveFeed final : public MarketDataSource {
 public:
  struct Options {
    Timeframe bar_timeframe = Timeframe::k1m;  // the kline topic subscribed; others are resampled
    DurationMs initial_lookback = kDayMs;      // the window each backfill checks for holes
    DurationMs poll_interval = 5 * kSecondMs;  // REST fallback while the WebSocket is down
    BackfillOptions backfill;
  };

  struct Counters {
    std::size_t backfills = 0;
    std::size_t backfilled_bars = 0;
    std::size_t polls = 0;
    std::size_t published_closed = 0;
    std::size_t failures = 0;
  };

  BybitLiveFeed(asio::io_context& loop, DataManager& manager, brokers::bybit::RestClient& rest,
                brokers::bybit::PublicWsConfig ws_config, EventBus& bus, const Clock& clock,
                Options options);
  ~BybitLiveFeed() override;
  BybitLiveFeed(const BybitLiveFeed&) = delete;
  BybitLiveFeed& operator=(const BybitLiveFeed&) = delete;

  FeedKind kind() const override { return FeedKind::kLive; }
  void subscribe(const std::vector<Symbol>& symbols, const std::vector<Stream>& streams) override;

  void start();
  void stop();
  const Counters& counters() const;
  const brokers::bybit::PublicWsCounters& ws_counters() const;
  bool connected() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace gauntlet::data
