#include "data/resampler.hpp"

#include <algorithm>

#include "core/exceptions.hpp"
#include "data/market_events.hpp"

namespace gauntlet::data {

Resampler::Resampler(Timeframe from, Timeframe to)
    : from_ms_(duration_ms(from)), to_ms_(duration_ms(to)) {
  if (to_ms_ < from_ms_ || to_ms_ % from_ms_ != 0) {
    throw DataError(
        fmt::format("cannot resample {} into {}: the target must be a multiple of the source",
                    to_string(from), to_string(to)));
  }
}

Bar Resampler::aggregate() const {
  Bar bar = sources_.front();
  bar.open_time = bucket_;
  // Volumes of a cheap coin outgrow Decimal's range once summed (BTT trades billions of units a
  // minute): summed wide and saturated, as the feeds' 24h sums are.
  __int128 volume = bar.volume.raw();
  __int128 turnover = bar.turnover.raw();
  for (std::size_t i = 1; i < sources_.size(); ++i) {
    const Bar& next = sources_[i];
    bar.high = std::max(bar.high, next.high);
    bar.low = std::min(bar.low, next.low);
    bar.close = next.close;
    volume += next.volume.raw();
    turnover += next.turnover.raw();
  }
  bar.volume = saturated_sum(volume);
  bar.turnover = saturated_sum(turnover);
  return bar;
}

bool Resampler::add(const Bar& source, const OnClosed& on_closed) {
  if (floor_to(source.open_time, from_ms_) != source.open_time) return false;
  const TimestampMs bucket = floor_to(source.open_time, to_ms_);
  if (bucket < closed_before_) return false;
  if (bucket_ != INT64_MIN && bucket > bucket_) advance_to(bucket, on_closed);
  if (bucket_ == INT64_MIN || bucket != bucket_) {
    bucket_ = bucket;
    sources_.clear();
  }
  const auto at =
      std::lower_bound(sources_.begin(), sources_.end(), source.open_time,
                       [](const Bar& bar, TimestampMs time) { return bar.open_time < time; });
  if (at != sources_.end() && at->open_time == source.open_time) {
    *at = source;
  } else {
    sources_.insert(at, source);
  }
  if (source.open_time + from_ms_ >= bucket_ + to_ms_) advance_to(bucket_ + to_ms_, on_closed);
  return true;
}

void Resampler::advance_to(TimestampMs now, const OnClosed& on_closed) {
  if (bucket_ == INT64_MIN || now < bucket_ + to_ms_) return;
  if (!sources_.empty()) on_closed(aggregate());
  closed_before_ = bucket_ + to_ms_;
  bucket_ = INT64_MIN;
  sources_.clear();
}

std::optional<Bar> Resampler::partial() const {
  if (bucket_ == INT64_MIN || sources_.empty()) return std::nullopt;
  return aggregate();
}

BarSeries resample(const BarSeries& source, Timeframe from, Timeframe to,
                   std::optional<TimestampMs> as_of) {
  BarSeries result;
  Resampler resampler(from, to);
  const auto on_closed = [&result](const Bar& bar) { result.push_back(bar); };
  for (std::size_t i = 0; i < source.size(); ++i) resampler.add(source.bar(i), on_closed);
  if (!source.empty()) {
    resampler.advance_to(as_of.value_or(source.open_time().back() + duration_ms(from)), on_closed);
  }
  return result;
}

}  // namespace gauntlet::data
