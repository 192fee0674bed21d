// File: indicators/bar_columns.hpp
//
// The inputs of the indicators: one bar as five doubles (streaming), or a contiguous series
// as five column spans of equal length (batch). Indicators work in double (ARCHITECTURE.md:
// doubles for indicators, features and statistics); callers convert fixed-point bars once.
//
// Plain values; no threading concerns.
#pragma once

#include <cstddef>
#include <span>

namespace gauntlet::indicators {

// One closed bar.
struct BarInput {
  double open = 0;
  double high = 0;
  double low = 0;
  double close = 0;
  double volume = 0;
};

// A series of bars as columns. A column an indicator does not read may be left empty; the
// columns it reads must all have the same length.
struct BarColumns {
  std::span<const double> open;
  std::span<const double> high;
  std::span<const double> low;
  std::span<const double> close;
  std::span<const double> volume;

  // The length of the longest column.
  std::size_t size() const;
  BarInput at(std::size_t i) const;
};

}  // namespace gauntlet::indicators
