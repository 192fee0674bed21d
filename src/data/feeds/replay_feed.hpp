// File: data/feeds/replay_feed.hpp
//
// ReplayFeed: historical bars from the store, published on the event bus as the live feed
// would publish them. Each bar is a BarClosed at its close time (open time + timeframe), with
// a QuoteUpdated from its close (last = bid = ask = close; 24h volume and turnover summed over
// the trailing day, saturated at Decimal::max() like the venue parser's), feed =
// FeedKind::kReplay. Bars of several series come out in the order of
// their close times, series in the given order on ties, so a strategy sees a bar only after it
// closed, and a 15m bar together with the 5m bar that closes with it.
//
// Memory: each series streams one stored day partition at a time (plus its trailing day of
// volumes), so a replay of years of 1m bars holds about a day of them per series.
//
// Speed: market time maps to clock time as clock_start + (t - from) / speed. With a SimClock
// started at `from` and speed 1 they coincide and the replay runs as fast as the clock is
// advanced; with a WallClock, speed 60 replays an hour a minute.
//
// Threading: on the core loop thread, like the Clock and the EventBus it uses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "core/clock.hpp"
#include "core/event_bus.hpp"
#include "data/bar_series.hpp"
#include "data/bar_store.hpp"

namespace gauntlet::data {

class ReplayFeed {
 public:
  struct Options {
    TimestampMs from = 0;  // bars with open time in [from, to)
    TimestampMs to = 0;
    double speed = 1.0;  // market milliseconds per clock millisecond
    bool publish_quotes = true;
    // Bars with open time in [warm_from, from) are not published but count in the first
    // quotes' trailing 24h volumes: a replay resumed at `from` publishes the same quotes as one
    // that started earlier. Defaults to `from`.
    std::optional<TimestampMs> warm_from;
  };

  ReplayFeed(const BarStore& store, EventBus& bus, Clock& clock, std::vector<SeriesKey> series,
             Options options);
  ~ReplayFeed();
  ReplayFeed(const ReplayFeed&) = delete;
  ReplayFeed& operator=(const ReplayFeed&) = delete;

  // Opens the series (their first partitions) and schedules the first close on the clock.
  void start();
  // Cancels what is scheduled; published events stay published.
  void stop();
  bool finished() const { return finished_; }
  std::size_t bars_published() const { return published_; }
  // Close time of the next bar to publish; nullopt when finished.
  std::optional<TimestampMs> next_close() const;

 private:
  // One trailing-day entry of a track: a bar's open time, volume and turnover (raw units).
  struct WindowBar {
    TimestampMs open_time = 0;
    int64_t volume = 0;
    int64_t turnover = 0;
  };
  struct Track {
    SeriesKey key;
    std::vector<TimestampMs> days;  // the stored day partitions still to load, ascending
    std::size_t next_day = 0;       // index in days of the next partition to load
    BarSeries bars;                 // the loaded partition
    std::size_t next = 0;           // index in bars of the next bar to publish
    std::deque<WindowBar> window;   // the trailing 24h, for the quote's volumes
    __int128 volume_24h = 0;        // raw Decimal units: a day of BTC turnover outgrows Decimal
    __int128 turnover_24h = 0;
  };

  // Loads partitions until the track has a bar to publish or none is left.
  void refill(Track& track) const;
  static void add_to_window(Track& track, const Bar& bar);
  void schedule_next();
  void publish_due(TimestampMs close_time);
  TimestampMs clock_time(TimestampMs market_time) const;

  const BarStore& store_;
  EventBus& bus_;
  Clock& clock_;
  Options options_;
  std::vector<Track> tracks_;
  TimestampMs clock_start_ = 0;
  Clock::TimerId timer_ = 0;
  bool scheduled_ = false;
  bool finished_ = false;
  std::size_t published_ = 0;
};

}  // namespace gauntlet::data
