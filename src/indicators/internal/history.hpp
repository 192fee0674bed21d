// File: indicators/internal/history.hpp
//
// The window access shared by every indicator kernel. A kernel reads bar columns through
// pointers to the newest value and indexes backwards (`close[-1]` is the previous close). In a
// batch run those pointers point into the caller's contiguous input arrays; in a streaming
// object they point into mirrored rings that keep the same number of values contiguous. The
// kernel cannot tell the difference, which is what makes batch and streaming bit-identical.
//
// Not thread-safe; one owner per object.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace gauntlet::indicators::internal {

// The bar columns a kernel reads, as a bit mask (a kernel declares `kInputs`).
enum InputColumn : unsigned {
  kOpen = 1u << 0,
  kHigh = 1u << 1,
  kLow = 1u << 2,
  kClose = 1u << 3,
  kVolume = 1u << 4,
};

// Pointers to the newest value of each column; `p[-k]` is the value k bars back. Only the
// columns in the kernel's kInputs are valid, and only for k below the kernel's declared depth
// and below the number of bars seen.
struct BarPointers {
  const double* open = nullptr;
  const double* high = nullptr;
  const double* low = nullptr;
  const double* close = nullptr;
  const double* volume = nullptr;
};

// A ring of the last `depth` values that always exposes them as one contiguous run ending at
// newest(): every value is written twice, at slot i and slot i + depth.
class MirroredRing {
 public:
  MirroredRing() = default;
  explicit MirroredRing(std::size_t depth)
      : depth_(std::max<std::size_t>(depth, 1)), values_(2 * depth_, 0.0) {}

  void push(double value) {
    values_[slot_] = value;
    values_[slot_ + depth_] = value;
    newest_ = slot_ + depth_;
    if (++slot_ == depth_) slot_ = 0;
  }

  // The newest value pushed; newest()[-k] is valid for k < min(depth, values pushed). Held as
  // an index, so a copied ring points into its own storage.
  const double* newest() const { return values_.data() + newest_; }
  std::size_t depth() const { return depth_; }

 private:
  std::size_t depth_ = 0;  // 0: a ring nobody pushes to, which allocates nothing
  std::vector<double> values_;
  std::size_t slot_ = 0;
  std::size_t newest_ = 0;
};

// The highest (or, with Lowest, the lowest) of the last `period` values of a series read through
// a newest-pointer. Tracks the extreme and its age and rescans the window only when the extreme
// leaves it, as TA-Lib does: O(1) amortised on market data, exact (no rounding involved).
template <bool Lowest>
class RollingExtreme {
 public:
  explicit RollingExtreme(int period) : period_(period) {}

  // `newest` points at the new value; `available` is how many values newest[-k] may read.
  double update(const double* newest, int available) {
    const double x = newest[0];
    ++age_;
    if (better_or_equal(x, value_)) {
      value_ = x;
      age_ = 0;
    } else if (age_ >= period_) {
      rescan(newest, std::min(available, period_));
    }
    return value_;
  }

  double value() const { return value_; }
  // Bars since the extreme was the newest value (0 = it is the newest bar).
  int age() const { return age_; }

 private:
  static bool better_or_equal(double a, double b) { return Lowest ? a <= b : a >= b; }
  static bool better(double a, double b) { return Lowest ? a < b : a > b; }

  void rescan(const double* newest, int count) {
    value_ = newest[0];
    age_ = 0;
    for (int k = 1; k < count; ++k) {
      if (better(newest[-k], value_)) {
        value_ = newest[-k];
        age_ = k;
      }
    }
  }

  int period_;
  double value_ = Lowest ? 1.0 / 0.0 : -1.0 / 0.0;
  int age_ = 0;
};

// Sum of `count` contiguous values in a fixed order (four interleaved partial sums, combined
// pairwise), so that batch and streaming, which both call it, round identically.
inline double window_sum(const double* first, int count) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int i = 0;
  for (; i + 4 <= count; i += 4) {
    s0 += first[i];
    s1 += first[i + 1];
    s2 += first[i + 2];
    s3 += first[i + 3];
  }
  for (; i < count; ++i) s0 += first[i];
  return (s0 + s1) + (s2 + s3);
}

// Sum of |x - center| over `count` contiguous values in eight lanes, combined in a fixed order
// (short dependency chains; batch and streaming round identically).
inline double window_abs_deviation_sum(const double* first, int count, double center) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
  int i = 0;
  for (; i + 8 <= count; i += 8) {
    s0 += std::abs(first[i] - center);
    s1 += std::abs(first[i + 1] - center);
    s2 += std::abs(first[i + 2] - center);
    s3 += std::abs(first[i + 3] - center);
    s4 += std::abs(first[i + 4] - center);
    s5 += std::abs(first[i + 5] - center);
    s6 += std::abs(first[i + 6] - center);
    s7 += std::abs(first[i + 7] - center);
  }
  if (i + 4 <= count) {
    s0 += std::abs(first[i] - center);
    s1 += std::abs(first[i + 1] - center);
    s2 += std::abs(first[i + 2] - center);
    s3 += std::abs(first[i + 3] - center);
    i += 4;
  }
  if (i < count) s4 += std::abs(first[i] - center);
  if (i + 1 < count) s5 += std::abs(first[i + 1] - center);
  if (i + 2 < count) s6 += std::abs(first[i + 2] - center);
  return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
}

// Sum of (x - center)^2 over `count` contiguous values, in the same fixed order.
inline double window_squared_deviation_sum(const double* first, int count, double center) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int i = 0;
  for (; i + 4 <= count; i += 4) {
    const double d0 = first[i] - center, d1 = first[i + 1] - center;
    const double d2 = first[i + 2] - center, d3 = first[i + 3] - center;
    s0 += d0 * d0;
    s1 += d1 * d1;
    s2 += d2 * d2;
    s3 += d3 * d3;
  }
  for (; i < count; ++i) {
    const double d = first[i] - center;
    s0 += d * d;
  }
  return (s0 + s1) + (s2 + s3);
}

// The highest (Lowest: the lowest) of the last `period` values, O(1) per value and without
// data-dependent branches (van Herk / Gil-Werman): the series is cut into blocks of `period`
// values; a window is the tail of the previous block and the head of the current one, so its
// extreme is max(suffix extreme of the previous block, prefix extreme of the current block).
// The suffix extremes of a block are computed once, when it completes, from the window itself.
// Exact, so it gives the same value as any other way of taking the extreme.
template <bool Lowest>
class SlidingExtreme {
 public:
  explicit SlidingExtreme(int period)
      : period_(period),
        suffix_(static_cast<std::size_t>(period < 1 ? 1 : period),
                Lowest ? 1.0 / 0.0 : -1.0 / 0.0) {}

  // `newest` points at the new value; newest[-k] must be valid for k < period when a block
  // completes (it is: a block completes after `period` values).
  double update(const double* newest) {
    const double x = newest[0];
    prefix_ = position_ == 0 ? x : pick(prefix_, x);
    if (position_ == period_ - 1) {  // the block is complete: its suffix extremes, for later
      double extreme = x;
      suffix_[period_ - 1] = extreme;
      for (int j = period_ - 2; j >= 0; --j) {
        extreme = pick(extreme, newest[j - (period_ - 1)]);
        suffix_[j] = extreme;
      }
      position_ = 0;
      return prefix_;
    }
    // Before the first block completes the suffixes are +-infinity, so this is the prefix.
    return pick(suffix_[++position_], prefix_);
  }

 private:
  static double pick(double a, double b) { return Lowest ? (b < a ? b : a) : (b > a ? b : a); }

  int period_;
  std::vector<double> suffix_;
  double prefix_ = 0;
  int position_ = 0;
};

// The highest high and lowest low of the last `period` bars.
class RollingRange {
 public:
  explicit RollingRange(int period) : highest_(period), lowest_(period) {}

  void update(const double* high, const double* low) {
    high_ = highest_.update(high);
    low_ = lowest_.update(low);
  }
  double high() const { return high_; }
  double low() const { return low_; }

 private:
  SlidingExtreme<false> highest_;
  SlidingExtreme<true> lowest_;
  double high_ = 0;
  double low_ = 0;
};

}  // namespace gauntlet::indicators::internal
