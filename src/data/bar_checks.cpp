#include "data/bar_checks.hpp"

#include <fmt/format.h>

namespace gauntlet::data {

std::optional<std::string> bar_problem(const Bar& bar, Timeframe timeframe) {
  if (floor_to(bar.open_time, timeframe) != bar.open_time)
    return "open time off the timeframe grid";
  if (!bar.low.is_positive()) return "non-positive price";
  if (bar.high < bar.low) return "high below low";
  if (bar.open < bar.low || bar.open > bar.high || bar.close < bar.low || bar.close > bar.high) {
    return "open or close outside [low, high]";
  }
  if (bar.volume.is_negative()) return "negative volume";
  if (bar.turnover.is_negative()) return "negative turnover";
  return std::nullopt;
}

CheckReport check_bars(std::span<const Bar> bars, Timeframe timeframe, std::size_t max_examples) {
  CheckReport report;
  report.bars = bars.size();
  const DurationMs step = duration_ms(timeframe);
  auto note = [&](const Bar& bar, std::string_view problem) {
    if (report.examples.size() < max_examples) {
      report.examples.push_back(fmt::format("{}: {}", format_iso8601(bar.open_time), problem));
    }
  };
  std::optional<TimestampMs> last;
  for (const Bar& bar : bars) {
    if (auto problem = bar_problem(bar, timeframe)) {
      ++report.bad_rows;
      note(bar, *problem);
    }
    if (last) {
      if (bar.open_time == *last) {
        ++report.duplicates;
        note(bar, "duplicate open time");
      } else if (bar.open_time < *last) {
        ++report.out_of_order;
        note(bar, "out of order");
        continue;
      } else if (bar.open_time - *last > step) {
        const TimestampMs gap_from = ceil_to(*last + step, step);
        const TimestampMs gap_to = floor_to(bar.open_time, step);
        if (gap_to > gap_from) {
          ++report.gaps;
          report.missing_bars += static_cast<std::size_t>((gap_to - gap_from) / step);
          report.gap_ranges.push_back({gap_from, gap_to});
        }
      }
    }
    last = bar.open_time;
  }
  return report;
}

std::vector<TimeRange> missing_ranges(const BarSeries& bars, Timeframe timeframe, TimestampMs from,
                                      TimestampMs to) {
  const DurationMs step = duration_ms(timeframe);
  std::vector<TimeRange> ranges;
  TimestampMs expected = ceil_to(from, step);
  const TimestampMs end = ceil_to(to, step);
  auto add = [&ranges](TimestampMs a, TimestampMs b) {
    if (b <= a) return;
    if (!ranges.empty() && ranges.back().to == a) {
      ranges.back().to = b;
    } else {
      ranges.push_back({a, b});
    }
  };
  for (const int64_t time : bars.open_time()) {
    if (time < expected) continue;
    if (time >= end) break;
    add(expected, time);
    expected = time + step;
  }
  add(expected, end);
  return ranges;
}

}  // namespace gauntlet::data
