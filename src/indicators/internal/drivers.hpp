// File: indicators/internal/drivers.hpp
//
// The two ways to run a kernel (kernels.hpp): run_batch over a series' arrays, and Streaming,
// one closed bar at a time over mirrored rings. Both hand the kernel the same BarPointers view,
// so the arithmetic, and therefore every output double, is the same.
//
// Not thread-safe; one owner per object.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <span>
#include <string>

#include "core/exceptions.hpp"
#include "indicators/bar_columns.hpp"
#include "indicators/internal/history.hpp"
#include "indicators/internal/kernels.hpp"

namespace gauntlet::indicators::internal {

// Throws ArgumentError unless every column in `inputs` has `size` values.
void require_columns(const BarColumns& bars, unsigned inputs, std::size_t size);
// Throws ArgumentError unless `output` is empty or has `size` values.
void require_output(std::span<double> output, std::size_t size);

// Runs `kernel` over every bar of `bars`, writing output j of bar i to outputs[j][i]. An empty
// output span is skipped.
template <class Kernel>
void run_batch(Kernel kernel, const BarColumns& bars,
               std::array<std::span<double>, Kernel::kOutputs> outputs) {
  std::size_t size = 0;
  for (const auto& output : outputs) size = output.size() > size ? output.size() : size;
  require_columns(bars, Kernel::kInputs, size);
  for (const auto& output : outputs) require_output(output, size);
  BarPointers p;
  for (std::size_t i = 0; i < size; ++i) {
    if constexpr ((Kernel::kInputs & kOpen) != 0) p.open = bars.open.data() + i;
    if constexpr ((Kernel::kInputs & kHigh) != 0) p.high = bars.high.data() + i;
    if constexpr ((Kernel::kInputs & kLow) != 0) p.low = bars.low.data() + i;
    if constexpr ((Kernel::kInputs & kClose) != 0) p.close = bars.close.data() + i;
    if constexpr ((Kernel::kInputs & kVolume) != 0) p.volume = bars.volume.data() + i;
    const auto values = kernel.step(p);
    for (std::size_t j = 0; j < Kernel::kOutputs; ++j) {
      if (!outputs[j].empty()) outputs[j][i] = values[j];
    }
  }
}

// A kernel fed one closed bar at a time. Keeps the kernel's declared depth of each column it
// reads in a MirroredRing; update() is O(1) plus the kernel's own work.
template <class Kernel>
class Streaming {
 public:
  using Output = std::array<double, Kernel::kOutputs>;

  explicit Streaming(Kernel kernel) : kernel_(std::move(kernel)) {
    const auto depth = static_cast<std::size_t>(kernel_.depth());
    if constexpr ((Kernel::kInputs & kOpen) != 0) open_ = MirroredRing(depth);
    if constexpr ((Kernel::kInputs & kHigh) != 0) high_ = MirroredRing(depth);
    if constexpr ((Kernel::kInputs & kLow) != 0) low_ = MirroredRing(depth);
    if constexpr ((Kernel::kInputs & kClose) != 0) close_ = MirroredRing(depth);
    if constexpr ((Kernel::kInputs & kVolume) != 0) volume_ = MirroredRing(depth);
    value_.fill(kNaN);
    lookback_ = kernel_.lookback();
  }

  const Output& update(const BarInput& bar) {
    BarPointers p;
    if constexpr ((Kernel::kInputs & kOpen) != 0) p.open = push(open_, bar.open);
    if constexpr ((Kernel::kInputs & kHigh) != 0) p.high = push(high_, bar.high);
    if constexpr ((Kernel::kInputs & kLow) != 0) p.low = push(low_, bar.low);
    if constexpr ((Kernel::kInputs & kClose) != 0) p.close = push(close_, bar.close);
    if constexpr ((Kernel::kInputs & kVolume) != 0) p.volume = push(volume_, bar.volume);
    value_ = kernel_.step(p);
    ++bars_;
    return value_;
  }

  // The outputs after the last update (NaN before the first and while warming up).
  const Output& value() const { return value_; }
  // True once the first output is defined, which happens after lookback() + 1 bars.
  bool ready() const { return bars_ > lookback_; }
  int lookback() const { return lookback_; }
  long bars() const { return bars_; }

 private:
  static const double* push(MirroredRing& ring, double value) {
    ring.push(value);
    return ring.newest();
  }

  Kernel kernel_;
  MirroredRing open_, high_, low_, close_, volume_;
  Output value_;
  int lookback_ = 0;
  long bars_ = 0;
};

}  // namespace gauntlet::indicators::internal
