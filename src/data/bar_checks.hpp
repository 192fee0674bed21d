// File: data/bar_checks.hpp
//
// Quality checks of bar series: missing intervals (gaps), duplicate and out-of-order open
// times, and bad rows (off the timeframe grid, high below low, open or close outside
// [low, high], non-positive prices, negative volume or turnover). Used by `gauntlet data
// check`, by the importers to reject bad rows with counts, and by the data_manager to plan a
// gap backfill.
//
// Threading: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/interfaces.hpp"
#include "core/time.hpp"
#include "data/bar_series.hpp"

namespace gauntlet::data {

// A half-open span of time [from, to).
struct TimeRange {
  TimestampMs from = 0;
  TimestampMs to = 0;
  friend bool operator==(const TimeRange&, const TimeRange&) = default;
};

// Why a single bar is bad, or nullopt when it is fine.
std::optional<std::string> bar_problem(const Bar& bar, Timeframe timeframe);

struct CheckReport {
  std::size_t bars = 0;
  std::size_t bad_rows = 0;
  std::size_t duplicates = 0;  // a bar with the open time of the previous one
  std::size_t out_of_order = 0;
  std::size_t gaps = 0;          // missing ranges inside the series
  std::size_t missing_bars = 0;  // bars those ranges would hold
  std::vector<TimeRange> gap_ranges;
  std::vector<std::string> examples;  // the first problems, for the report

  bool clean() const { return bad_rows == 0 && duplicates == 0 && out_of_order == 0 && gaps == 0; }
};

CheckReport check_bars(std::span<const Bar> bars, Timeframe timeframe,
                       std::size_t max_examples = 10);

// The ranges within [from, to) (aligned to the timeframe) that hold no bar of `bars` (sorted by
// open time), merged into maximal runs.
std::vector<TimeRange> missing_ranges(const BarSeries& bars, Timeframe timeframe, TimestampMs from,
                                      TimestampMs to);

}  // namespace gauntlet::data
