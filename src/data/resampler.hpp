// File: data/resampler.hpp
//
// Resampling closed bars of a finer timeframe into a coarser one (1m -> 3m ... 1d): open of the
// first bar, highest high, lowest low, close of the last, volume and turnover summed. Target
// bars are aligned to the epoch like every Timeframe (1d at midnight UTC). A target bar is
// emitted closed only when its interval has ended: when a source bar at or past its end
// arrives, when the last source bar of the interval arrives, or when advance_to() passes the
// end (a quiet market or an outage leaves an interval with fewer source bars; it still closes).
//
// One definition: resample() over a series feeds the streaming Resampler, so batch and live
// aggregation cannot drift apart.
//
// Threading: a Resampler belongs to one thread; resample() is a pure function.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "core/interfaces.hpp"
#include "core/time.hpp"
#include "data/bar_series.hpp"

namespace gauntlet::data {

class Resampler {
 public:
  using OnClosed = std::function<void(const Bar&)>;

  // `to` must be a whole multiple of `from` (else DataError).
  Resampler(Timeframe from, Timeframe to);

  // Adds a closed source bar and calls `on_closed` for each target bar it completes (the
  // previous interval when this bar starts a later one, and this bar's own interval when it is
  // the last source bar of it). A bar for an open time already added to the forming interval
  // replaces it (a venue correction). Returns false, ignoring the bar, when it belongs to an
  // interval already closed or is not aligned to the source timeframe.
  bool add(const Bar& source, const OnClosed& on_closed);

  // Closes the forming interval when `now` has reached its end.
  void advance_to(TimestampMs now, const OnClosed& on_closed);

  // The interval still forming, aggregated so far; nullopt when none.
  std::optional<Bar> partial() const;

 private:
  Bar aggregate() const;

  DurationMs from_ms_;
  DurationMs to_ms_;
  TimestampMs bucket_ = INT64_MIN;         // open time of the forming interval
  TimestampMs closed_before_ = INT64_MIN;  // intervals before this are closed
  std::vector<Bar> sources_;               // source bars of the forming interval, by open time
};

// The target bars of `source` (closed bars of timeframe `from`, oldest first) whose interval
// has ended by `as_of`; by default the end of the last source bar, so a trailing partial
// interval is left out.
BarSeries resample(const BarSeries& source, Timeframe from, Timeframe to,
                   std::optional<TimestampMs> as_of = std::nullopt);

}  // namespace gauntlet::data
