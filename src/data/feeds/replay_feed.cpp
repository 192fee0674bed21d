#include "data/feeds/replay_feed.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/exceptions.hpp"
#include "data/market_events.hpp"

namespace gauntlet::data {
void ReplayFeed::add_to_window(Track& track, const Bar& bar) {
  track.volume_24h += bar.volume.raw();
  track.turnover_24h += bar.turnover.raw();
  track.window.push_back({bar.open_time, bar.volume.raw(), bar.turnover.raw()});
  while (track.window.front().open_time + kDayMs <= bar.open_time) {
    track.volume_24h -= track.window.front().volume;
    track.turnover_24h -= track.window.front().turnover;
    track.window.pop_front();
  }
}

void ReplayFeed::refill(Track& track) const {
  const TimestampMs warm_from = std::min(options_.warm_from.value_or(options_.from), options_.from);
  while (track.next >= track.bars.size() && track.next_day < track.days.size()) {
    const TimestampMs day = track.days[track.next_day++];
    track.bars =
        store_.load_bars(track.key, std::max(day, warm_from), std::min(day + kDayMs, options_.to));
    track.next = 0;
  }
}

ReplayFeed::ReplayFeed(const BarStore& store, EventBus& bus, Clock& clock,
                       std::vector<SeriesKey> series, Options options)
    : store_(store), bus_(bus), clock_(clock), options_(options) {
  if (!(options_.speed > 0.0) || !std::isfinite(options_.speed)) {
    throw DataError(fmt::format("replay speed must be positive, was {}", options_.speed));
  }
  for (SeriesKey& key : series) tracks_.push_back(Track{std::move(key), {}, 0, {}, 0, {}, 0, 0});
}

ReplayFeed::~ReplayFeed() {
  stop();
}

void ReplayFeed::start() {
  const TimestampMs warm_from = std::min(options_.warm_from.value_or(options_.from), options_.from);
  for (Track& track : tracks_) {
    for (const TimestampMs day : store_.partition_days(track.key)) {
      if (day + kDayMs > warm_from && day < options_.to) track.days.push_back(day);
    }
    refill(track);
    // The warm-up bars only fill the trailing-day window.
    while (track.next < track.bars.size() && track.bars.open_time()[track.next] < options_.from) {
      add_to_window(track, track.bars.bar(track.next));
      ++track.next;
      refill(track);
    }
  }
  clock_start_ = clock_.now_ms();
  schedule_next();
}

void ReplayFeed::stop() {
  if (scheduled_) clock_.cancel(timer_);
  scheduled_ = false;
}

std::optional<TimestampMs> ReplayFeed::next_close() const {
  std::optional<TimestampMs> earliest;
  for (const Track& track : tracks_) {
    if (track.next >= track.bars.size()) continue;
    const TimestampMs close = track.bars.open_time()[track.next] + duration_ms(track.key.timeframe);
    if (!earliest || close < *earliest) earliest = close;
  }
  return earliest;
}

TimestampMs ReplayFeed::clock_time(TimestampMs market_time) const {
  return clock_start_ +
         static_cast<TimestampMs>(std::llround((market_time - options_.from) / options_.speed));
}

void ReplayFeed::schedule_next() {
  scheduled_ = false;
  const auto close = next_close();
  if (!close) {
    finished_ = true;
    return;
  }
  scheduled_ = true;
  timer_ = clock_.schedule_at(clock_time(*close), [this, close_time = *close] {
    scheduled_ = false;
    publish_due(close_time);
    schedule_next();
  });
}

void ReplayFeed::publish_due(TimestampMs close_time) {
  for (Track& track : tracks_) {
    const DurationMs step = duration_ms(track.key.timeframe);
    while (track.next < track.bars.size() &&
           track.bars.open_time()[track.next] + step == close_time) {
      const Bar bar = track.bars.bar(track.next);
      add_to_window(track, bar);
      ++track.next;
      ++published_;
      refill(track);
      bus_.publish(BarClosed{FeedKind::kReplay, track.key.domain, track.key.symbol,
                             track.key.timeframe, bar, close_time});
      if (options_.publish_quotes) {
        QuoteUpdated quote;
        quote.feed = FeedKind::kReplay;
        quote.domain = track.key.domain;
        quote.symbol = track.key.symbol;
        quote.event_time = close_time;
        quote.last_price = quote.bid_price = quote.ask_price = bar.close;
        quote.volume_24h = saturated_sum(track.volume_24h);
        quote.turnover_24h = saturated_sum(track.turnover_24h);
        bus_.publish(std::move(quote));
      }
    }
  }
}

}  // namespace gauntlet::data
