// Tests of validation/triple_barrier against validation.md §13: the rolling volatility target,
// close and OHLC modes on small series whose labels are worked out by hand in the comments
// (every return is p / p0 − 1 with p0 the event's close), every edge case of the reference
// (inclusive touches, disabled barriers, gap rule, same-bar tie rule, vertical barrier and
// label_sign, end of data, truncated flag, missing targets, bad arguments), the 14-bar hand
// series of §17, and properties of the labels on the §17 LCG bars.
#include "validation/triple_barrier.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "core/exceptions.hpp"
#include "support/lcg.hpp"

namespace gauntlet::validation {
namespace {

constexpr double kTolerance = 1e-12;

// A bar series that owns its columns.
struct Bars {
  std::vector<double> open;
  std::vector<double> high;
  std::vector<double> low;
  std::vector<double> close;

  // Bars from (open, high, low, close) rows.
  static Bars from_rows(const std::vector<std::vector<double>>& rows) {
    Bars bars;
    for (const auto& row : rows) {
      bars.open.push_back(row[0]);
      bars.high.push_back(row[1]);
      bars.low.push_back(row[2]);
      bars.close.push_back(row[3]);
    }
    return bars;
  }
  // Close-only bars (close mode).
  static Bars from_closes(std::vector<double> closes) {
    Bars bars;
    bars.close = std::move(closes);
    return bars;
  }
  OhlcColumns columns() const { return {open, high, low, close}; }
};

BarrierSpec spec(double pt, double sl, std::size_t horizon, BarrierMode mode = BarrierMode::kClose,
                 TieRule tie = TieRule::kStopLossFirst) {
  return {pt, sl, horizon, mode, tie};
}

// Labels one event with a constant target.
BarrierLabel label_one(const Bars& bars, BarrierEvent event, double target,
                       const BarrierSpec& barrier_spec) {
  const std::vector<BarrierEvent> events = {event};
  const std::vector<std::optional<double>> targets = {target};
  const auto labels = triple_barrier_labels(bars.columns(), events, targets, barrier_spec);
  EXPECT_EQ(labels.size(), 1u);
  return labels.at(0);
}

void expect_touch(const BarrierLabel& label, std::size_t t1, int value, BarrierTouch touched,
                  double exit_return, bool truncated = false, bool gap = false) {
  ASSERT_TRUE(label.t1.has_value());
  EXPECT_EQ(*label.t1, t1);
  EXPECT_EQ(label.label, value);
  EXPECT_EQ(label.touched, touched);
  ASSERT_TRUE(label.exit_return.has_value());
  EXPECT_NEAR(*label.exit_return, exit_return, kTolerance);
  EXPECT_EQ(label.truncated, truncated);
  EXPECT_EQ(label.gap, gap);
  if (touched != BarrierTouch::kVertical) {
    EXPECT_EQ(label.label_sign, value);
  }
}

void expect_vertical(const BarrierLabel& label, std::size_t t1, int label_sign,
                     double exit_return) {
  expect_touch(label, t1, 0, BarrierTouch::kVertical, exit_return);
  EXPECT_EQ(label.label_sign, label_sign);
}

void expect_undefined(const BarrierLabel& label, bool truncated) {
  EXPECT_FALSE(label.t1.has_value());
  EXPECT_FALSE(label.exit_return.has_value());
  EXPECT_EQ(label.touched, BarrierTouch::kNone);
  EXPECT_EQ(label.label, 0);
  EXPECT_EQ(label.label_sign, 0);
  EXPECT_EQ(label.truncated, truncated);
}

// ---- rolling_volatility ----------------------------------------------------------------------

TEST(RollingVolatility, TwoReturnWindowHandValues) {
  // Returns r1 = 101/100 − 1 = 0.01, r2 = 99/101 − 1 = −0.0198019802, r3 = 102/99 − 1 =
  // 0.0303030303, r4 = 0. With W = 2 the sd of {a, b} is |a − b| / √2:
  //   σ2 = 0.0298019802 / √2 = 0.0210731823, σ3 = 0.0501050105 / √2 = 0.0354295927,
  //   σ4 = 0.0303030303 / √2 = 0.0214274782; σ0, σ1 undefined (fewer than 2 returns).
  const std::vector<double> close = {100, 101, 99, 102, 102};
  const auto vol = rolling_volatility(close, 2);
  ASSERT_EQ(vol.size(), 5u);
  EXPECT_FALSE(vol[0].has_value());
  EXPECT_FALSE(vol[1].has_value());
  ASSERT_TRUE(vol[2] && vol[3] && vol[4]);
  EXPECT_NEAR(*vol[2], 0.0210731823, 1e-10);
  EXPECT_NEAR(*vol[3], 0.0354295927, 1e-10);
  EXPECT_NEAR(*vol[4], 0.0214274782, 1e-10);
}

TEST(RollingVolatility, ThreeReturnWindowOfPlusMinusTenPercent) {
  // Returns 0.1, −0.1, 0 (100 → 110 → 99 → 99): mean 0, sd = sqrt((0.01 + 0.01 + 0) / 2) = 0.1.
  // Then 99 → 108.9 adds 0.1: {−0.1, 0, 0.1}, again mean 0 and sd 0.1.
  const std::vector<double> close = {100, 110, 99, 99, 108.9};
  const auto vol = rolling_volatility(close, 3);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_FALSE(vol[i].has_value()) << i;
  ASSERT_TRUE(vol[3] && vol[4]);
  EXPECT_NEAR(*vol[3], 0.1, kTolerance);
  EXPECT_NEAR(*vol[4], 0.1, kTolerance);
}

TEST(RollingVolatility, ConstantSeriesHasZeroVolatility) {
  const std::vector<double> close(6, 50.0);
  const auto vol = rolling_volatility(close, 3);
  for (std::size_t i = 3; i < 6; ++i) {
    ASSERT_TRUE(vol[i].has_value());
    EXPECT_EQ(*vol[i], 0.0);
  }
}

TEST(RollingVolatility, ShortAndEmptySeriesAreUndefined) {
  EXPECT_TRUE(rolling_volatility(std::vector<double>{}, 2).empty());
  // 3 closes give only 2 returns: W = 3 is never reached.
  const auto vol = rolling_volatility(std::vector<double>{1, 2, 3}, 3);
  ASSERT_EQ(vol.size(), 3u);
  for (const auto& v : vol) EXPECT_FALSE(v.has_value());
}

TEST(RollingVolatility, RejectsBadArguments) {
  const std::vector<double> close = {100, 101, 102};
  EXPECT_THROW(rolling_volatility(close, 0), ArgumentError);
  EXPECT_THROW(rolling_volatility(close, 1), ArgumentError);  // ddof = 1 needs two returns
  EXPECT_THROW(rolling_volatility(std::vector<double>{100, 0, 101}, 2), ArgumentError);
  EXPECT_THROW(rolling_volatility(std::vector<double>{100, -1, 101}, 2), ArgumentError);
  EXPECT_THROW(
      rolling_volatility(std::vector<double>{100, std::numeric_limits<double>::quiet_NaN()}, 2),
      ArgumentError);
}

// ---- Close mode ------------------------------------------------------------------------------

TEST(TripleBarrierClose, UpperTouchLongAndLowerTouchShort) {
  // σ = 0.01, pt = sl = 1: barriers at ±0.01. Long from 100: bar 1 +0.005, bar 2 +0.012 → +1 at
  // bar 2, exit 0.012. Short: the same returns negated → −1 at bar 2, exit −0.012.
  const Bars bars = Bars::from_closes({100, 100.5, 101.2, 99, 100, 100, 100});
  expect_touch(label_one(bars, {0, 1}, 0.01, spec(1, 1, 4)), 2, 1, BarrierTouch::kUpper, 0.012);
  expect_touch(label_one(bars, {0, -1}, 0.01, spec(1, 1, 4)), 2, -1, BarrierTouch::kLower, -0.012);
  // Long from 101.2 (bar 2): bar 3 is 99 / 101.2 − 1 = −0.0217391304 → −1 at bar 3.
  expect_touch(label_one(bars, {2, 1}, 0.01, spec(1, 1, 4)), 3, -1, BarrierTouch::kLower,
               99.0 / 101.2 - 1.0);
}

TEST(TripleBarrierClose, VerticalBarrierCarriesSignOfReturnAtHorizon) {
  // Long from 100, H = 4: returns −0.005, +0.004, +0.006, +0.002, all inside ±0.01 → vertical
  // at bar 4, label 0, label_sign = sign(+0.002) = +1, exit 0.002. Bar 5 (−2 %) lies past the
  // horizon and is never looked at. A short gets label_sign −1 and exit −0.002.
  const Bars bars = Bars::from_closes({100, 99.5, 100.4, 100.6, 100.2, 98});
  const BarrierLabel long_label = label_one(bars, {0, 1}, 0.01, spec(1, 1, 4));
  expect_vertical(long_label, 4, 1, 0.002);
  EXPECT_EQ(long_label.t0, 0u);
  EXPECT_EQ(long_label.side, 1);
  ASSERT_TRUE(long_label.target.has_value());
  EXPECT_EQ(*long_label.target, 0.01);
  expect_vertical(label_one(bars, {0, -1}, 0.01, spec(1, 1, 4)), 4, -1, -0.002);
  // H = 5 reaches the last bar exactly (0 + 5 = 5 = last): not truncated, bar 5 at −0.02
  // touches the lower barrier.
  expect_touch(label_one(bars, {0, 1}, 0.01, spec(1, 1, 5)), 5, -1, BarrierTouch::kLower, -0.02);
}

TEST(TripleBarrierClose, FlatReturnAtHorizonHasLabelSignZero) {
  // 100 → 100.5 → 100: the return at t_v = 2 is exactly 0.
  const Bars bars = Bars::from_closes({100, 100.5, 100});
  expect_vertical(label_one(bars, {0, 1}, 0.01, spec(1, 1, 2)), 2, 0, 0.0);
}

TEST(TripleBarrierClose, ZeroMultiplierDisablesThatBarrier) {
  // Long from 100: bar 1 +0.05, bar 2 −0.05, then flat.
  const Bars bars = Bars::from_closes({100, 105, 95, 100, 100});
  // pt = 0: the +5 % is no touch; the −5 % hits the lower barrier at bar 2.
  expect_touch(label_one(bars, {0, 1}, 0.01, spec(0, 1, 4)), 2, -1, BarrierTouch::kLower, -0.05);
  // sl = 0: the upper barrier at bar 1.
  expect_touch(label_one(bars, {0, 1}, 0.01, spec(1, 0, 4)), 1, 1, BarrierTouch::kUpper, 0.05);
  // Both 0: only the vertical barrier, at bar 4 with return 0.
  expect_vertical(label_one(bars, {0, 1}, 0.01, spec(0, 0, 4)), 4, 0, 0.0);
}

TEST(TripleBarrierClose, TouchesAreInclusive) {
  // Exact binary values: 72 / 64 − 1 = 0.125 = 1 · 0.125 and 56 / 64 − 1 = −0.125.
  expect_touch(label_one(Bars::from_closes({64, 72}), {0, 1}, 0.125, spec(1, 1, 1)), 1, 1,
               BarrierTouch::kUpper, 0.125);
  expect_touch(label_one(Bars::from_closes({64, 56}), {0, 1}, 0.125, spec(1, 1, 1)), 1, -1,
               BarrierTouch::kLower, -0.125);
  // pt = 2 with σ = 0.0625: the barrier 2 · 0.0625 = 0.125 is again met exactly.
  expect_touch(label_one(Bars::from_closes({64, 72}), {0, 1}, 0.0625, spec(2, 2, 1)), 1, 1,
               BarrierTouch::kUpper, 0.125);
  // Just short of it: 71.99 / 64 − 1 = 0.12484375 < 0.125 → vertical with a positive return.
  expect_vertical(label_one(Bars::from_closes({64, 71.99}), {0, 1}, 0.125, spec(1, 1, 1)), 1, 1,
                  71.99 / 64 - 1);
}

TEST(TripleBarrierClose, EndOfData) {
  // 5 bars (last = 4), H = 4.
  const Bars flat = Bars::from_closes({100, 100.2, 100.3, 100.1, 100.4});
  // Event at 2: 2 + 4 = 6 > 4, bars 3 and 4 (−0.0020, +0.0010) touch nothing → undefined,
  // truncated.
  expect_undefined(label_one(flat, {2, 1}, 0.01, spec(1, 1, 4)), true);
  // Event at 1 with H = 3: 1 + 3 = 4 = last → an ordinary vertical barrier, not truncated;
  // 100.4 / 100.2 − 1 > 0.
  expect_vertical(label_one(flat, {1, 1}, 0.01, spec(1, 1, 3)), 4, 1, 100.4 / 100.2 - 1);
  // An event on the last bar has nothing to scan: undefined.
  expect_undefined(label_one(flat, {4, 1}, 0.01, spec(1, 1, 4)), true);
  // A touch before the end of data is kept, flagged truncated: from 100 at bar 2, bar 3 at
  // 101.5 is +0.015.
  const Bars touch = Bars::from_closes({100, 100, 100, 101.5, 100});
  expect_touch(label_one(touch, {2, 1}, 0.01, spec(1, 1, 4)), 3, 1, BarrierTouch::kUpper, 0.015,
               true);
}

TEST(TripleBarrierClose, MissingTargetGivesUndefinedLabel) {
  const Bars bars = Bars::from_closes({100, 105, 95, 100, 100, 100});
  const std::vector<BarrierEvent> events = {{0, 1}, {3, 1}};
  const std::vector<std::optional<double>> targets = {std::nullopt, std::nullopt};
  const auto labels = triple_barrier_labels(bars.columns(), events, targets, spec(1, 1, 4));
  ASSERT_EQ(labels.size(), 2u);
  expect_undefined(labels[0], false);  // 0 + 4 <= 5
  expect_undefined(labels[1], true);   // 3 + 4 > 5
  EXPECT_FALSE(labels[0].target.has_value());
}

TEST(TripleBarrierClose, ZeroTargetPutsBothBarriersAtZero) {
  // σ = 0: the barriers sit at 0. A flat close meets both; like tools/validation_ref.py the
  // upper barrier is tested first in close mode.
  const Bars bars = Bars::from_closes({100, 100, 99});
  expect_touch(label_one(bars, {0, 1}, 0.0, spec(1, 1, 2)), 1, 1, BarrierTouch::kUpper, 0.0);
  expect_touch(label_one(bars, {0, 1}, 0.0, spec(0, 1, 2)), 1, -1, BarrierTouch::kLower, 0.0);
}

TEST(TripleBarrierClose, RollingVolatilityOverloadUsesTargetOfEventBar) {
  const std::vector<double> close = {100, 101, 100.5, 102, 101, 103, 102.5, 104, 103, 105};
  const Bars bars = Bars::from_closes(close);
  const std::vector<BarrierEvent> events = {{1, 1}, {3, 1}, {5, -1}};
  const auto labels = triple_barrier_labels(bars.columns(), events, std::size_t{3}, spec(1, 1, 3));
  const auto vol = rolling_volatility(close, 3);
  ASSERT_EQ(labels.size(), 3u);
  // Bar 1 precedes the first volatility (bar 3): undefined, not truncated (1 + 3 <= 9).
  expect_undefined(labels[0], false);
  for (std::size_t e = 1; e < 3; ++e) {
    ASSERT_TRUE(labels[e].target.has_value());
    EXPECT_EQ(*labels[e].target, *vol[events[e].bar]);
    const BarrierLabel direct = label_one(bars, events[e], *vol[events[e].bar], spec(1, 1, 3));
    EXPECT_EQ(labels[e].t1, direct.t1);
    EXPECT_EQ(labels[e].label, direct.label);
    EXPECT_EQ(labels[e].exit_return, direct.exit_return);
  }
}

// ---- OHLC mode -------------------------------------------------------------------------------

// Bar 0: the entry at 100; bar 1: the bar under test; bar 2: a quiet bar.
Bars entry_and(std::vector<double> test_bar) {
  return Bars::from_rows({{100, 100, 100, 100}, std::move(test_bar), {100, 100.1, 99.9, 100}});
}

TEST(TripleBarrierOhlc, IntrabarTouchExitsAtTheBarrier) {
  const BarrierSpec ohlc = spec(1, 1, 2, BarrierMode::kOhlc);
  // Open +0.002, high +0.013 ≥ 0.01, low −0.002: +1 at bar 1, exit exactly +0.01.
  const Bars up = entry_and({100.2, 101.3, 99.8, 100.5});
  expect_touch(label_one(up, {0, 1}, 0.01, ohlc), 1, 1, BarrierTouch::kUpper, 0.01);
  // Close mode on the same bars sees only +0.005 and 0: vertical at bar 2 with return 0.
  expect_vertical(label_one(up, {0, 1}, 0.01, spec(1, 1, 2)), 2, 0, 0.0);
  // Low −0.011: −1, exit exactly −0.01.
  expect_touch(label_one(entry_and({100.0, 100.4, 98.9, 99.5}), {0, 1}, 0.01, ohlc), 1, -1,
               BarrierTouch::kLower, -0.01);
}

TEST(TripleBarrierOhlc, SameBarTouchFollowsTieRule) {
  // High +0.015 and low −0.015 in one bar: both barriers.
  const Bars both = entry_and({100, 101.5, 98.5, 100});
  expect_touch(label_one(both, {0, 1}, 0.01, spec(1, 1, 2, BarrierMode::kOhlc)), 1, -1,
               BarrierTouch::kLower, -0.01);
  expect_touch(
      label_one(both, {0, 1}, 0.01, spec(1, 1, 2, BarrierMode::kOhlc, TieRule::kProfitTakingFirst)),
      1, 1, BarrierTouch::kUpper, 0.01);
  // With the stop disabled only the upper barrier counts, whatever the tie rule.
  expect_touch(label_one(both, {0, 1}, 0.01, spec(1, 0, 2, BarrierMode::kOhlc)), 1, 1,
               BarrierTouch::kUpper, 0.01);
}

TEST(TripleBarrierOhlc, GapRuleFillsAtTheOpen) {
  const BarrierSpec ohlc = spec(1, 1, 2, BarrierMode::kOhlc);
  // Open 102 is +0.02, beyond the upper barrier: +1 filled at the open, exit +0.02.
  expect_touch(label_one(entry_and({102, 102.5, 101.8, 102.2}), {0, 1}, 0.01, ohlc), 1, 1,
               BarrierTouch::kUpper, 0.02, false, true);
  // Open 98 (−0.02) decides before the range: the high of 101.5 would also touch the upper
  // barrier (a tie), but the gap fills the stop at the open, exit −0.02.
  expect_touch(label_one(entry_and({98, 101.5, 97.5, 99}), {0, 1}, 0.01,
                         spec(1, 1, 2, BarrierMode::kOhlc, TieRule::kProfitTakingFirst)),
               1, -1, BarrierTouch::kLower, -0.02, false, true);
  // A gap through a disabled barrier is no touch: pt = 0, open +0.02, low +0.018 → nothing at
  // bar 1; bar 2 (open 100, high +0.001, low −0.001) neither → vertical at 2, return 0.
  expect_vertical(label_one(entry_and({102, 102.5, 101.8, 102.2}), {0, 1}, 0.01,
                            spec(0, 1, 2, BarrierMode::kOhlc)),
                  2, 0, 0.0);
}

TEST(TripleBarrierOhlc, ShortUsesLowAsFavourableAndHighAsAdverse) {
  const BarrierSpec ohlc = spec(1, 1, 2, BarrierMode::kOhlc);
  // Short from 100: low 98.8 is −(0.988 − 1) = +0.012 → +1, exit +0.01; high 100.5 is −0.005.
  expect_touch(label_one(entry_and({100, 100.5, 98.8, 99}), {0, -1}, 0.01, ohlc), 1, 1,
               BarrierTouch::kUpper, 0.01);
  // High 101.2 is −0.012 → −1, exit −0.01; low 99.9 is +0.001.
  expect_touch(label_one(entry_and({100, 101.2, 99.9, 100.8}), {0, -1}, 0.01, ohlc), 1, -1,
               BarrierTouch::kLower, -0.01);
  // Open 101.5 is −0.015 for a short: the gap fills the stop at the open.
  expect_touch(label_one(entry_and({101.5, 101.6, 101.0, 101.2}), {0, -1}, 0.01, ohlc), 1, -1,
               BarrierTouch::kLower, -0.015, false, true);
}

TEST(TripleBarrierOhlc, InclusiveTouchAndVerticalExitAtClose) {
  // High 72 from 64 is exactly +0.125 = pt·σ: a touch.
  const Bars exact = Bars::from_rows({{64, 64, 64, 64}, {64, 72, 63, 65}});
  expect_touch(label_one(exact, {0, 1}, 0.125, spec(1, 1, 1, BarrierMode::kOhlc)), 1, 1,
               BarrierTouch::kUpper, 0.125);
  // No touch: the vertical exit is at the close of t_v, 100.05 / 100 − 1 = +0.0005.
  const Bars quiet = Bars::from_rows(
      {{100, 100, 100, 100}, {100, 100.3, 99.7, 100.1}, {100.1, 100.4, 99.8, 100.05}});
  expect_vertical(label_one(quiet, {0, 1}, 0.01, spec(1, 1, 2, BarrierMode::kOhlc)), 2, 1, 0.0005);
}

// The §17 `hand` series: 14 OHLC bars, σ = 0.01, pt = sl = 1, H = 4.
Bars hand_bars() {
  return Bars::from_rows({
      {100.0, 100.5, 99.5, 100.0},   // 0  event long
      {100.0, 100.6, 99.6, 100.2},   // 1
      {100.2, 101.5, 98.8, 100.1},   // 2  spans both barriers of event 0
      {100.1, 100.4, 99.8, 100.3},   // 3  event long
      {100.3, 100.5, 100.0, 100.2},  // 4
      {101.6, 101.8, 101.4, 101.7},  // 5  gap up; event long
      {101.7, 102.0, 101.2, 101.5},  // 6
      {100.2, 100.5, 99.9, 100.0},   // 7  gap down; event short
      {100.0, 100.4, 99.5, 99.8},    // 8
      {99.8, 100.2, 99.4, 99.9},     // 9
      {99.9, 100.3, 99.6, 100.1},    // 10 event long
      {100.1, 100.5, 99.7, 100.2},   // 11 event long
      {100.2, 100.6, 99.9, 100.5},   // 12
      {100.5, 101.3, 100.4, 101.2},  // 13 event long (last bar)
  });
}

std::vector<BarrierLabel> hand_labels(BarrierMode mode, TieRule tie) {
  const Bars bars = hand_bars();
  const std::vector<BarrierEvent> events = {{0, 1},  {3, 1},  {5, 1}, {7, -1},
                                            {10, 1}, {11, 1}, {13, 1}};
  const std::vector<std::optional<double>> targets(events.size(), 0.01);
  return triple_barrier_labels(bars.columns(), events, targets, spec(1, 1, 4, mode, tie));
}

TEST(TripleBarrierHandSeries, CloseMode) {
  const auto labels = hand_labels(BarrierMode::kClose, TieRule::kStopLossFirst);
  ASSERT_EQ(labels.size(), 7u);
  // Event 0 (p0 100): closes 100.2, 100.1, 100.3, 100.2 stay inside ±1 % → vertical at 4, +0.002.
  expect_vertical(labels[0], 4, 1, 0.002);
  // Event 3 (p0 100.3): bar 4 −0.0010, bar 5 101.7 / 100.3 − 1 = +0.0139581256 → +1 at 5.
  expect_touch(labels[1], 5, 1, BarrierTouch::kUpper, 101.7 / 100.3 - 1);
  // Event 5 (p0 101.7): bar 6 −0.0019666, bar 7 100 / 101.7 − 1 = −0.0167158309 → −1 at 7.
  expect_touch(labels[2], 7, -1, BarrierTouch::kLower, 100.0 / 101.7 - 1);
  // Short event 7 (p0 100): −(p/100 − 1) at bars 8..11 is +0.002, +0.001, −0.001, −0.002 →
  // vertical at 11 with label_sign −1.
  expect_vertical(labels[3], 11, -1, -0.002);
  // Event 10 (p0 100.1), 10 + 4 = 14 > 13: bar 13 at 101.2 / 100.1 − 1 = +0.010989 → +1 at 13,
  // truncated.
  expect_touch(labels[4], 13, 1, BarrierTouch::kUpper, 101.2 / 100.1 - 1, true);
  // Event 11 (p0 100.2): bars 12, 13 give +0.0030, +0.00998 (< 0.01) → undefined, truncated.
  expect_undefined(labels[5], true);
  // Event 13 on the last bar: undefined.
  expect_undefined(labels[6], true);
}

TEST(TripleBarrierHandSeries, OhlcModeBothTieRules) {
  for (const TieRule tie : {TieRule::kStopLossFirst, TieRule::kProfitTakingFirst}) {
    SCOPED_TRACE(tie == TieRule::kStopLossFirst ? "sl_first" : "pt_first");
    const auto labels = hand_labels(BarrierMode::kOhlc, tie);
    ASSERT_EQ(labels.size(), 7u);
    // Event 0: bar 1 (high +0.006, low −0.004) nothing; bar 2 open +0.002, high +0.015 and
    // low −0.012 → both barriers in one bar → the tie rule.
    if (tie == TieRule::kStopLossFirst) {
      expect_touch(labels[0], 2, -1, BarrierTouch::kLower, -0.01);
    } else {
      expect_touch(labels[0], 2, 1, BarrierTouch::kUpper, 0.01);
    }
    // Event 3 (p0 100.3): bar 4 high +0.0020, low −0.0030; bar 5 opens at 101.6, +0.0129611 →
    // gap fill at the open.
    expect_touch(labels[1], 5, 1, BarrierTouch::kUpper, 101.6 / 100.3 - 1, false, true);
    // Event 5 (p0 101.7): bar 6 high +0.0029, low −0.0049; bar 7 opens at 100.2, −0.0147493 →
    // gap fill of the stop.
    expect_touch(labels[2], 7, -1, BarrierTouch::kLower, 100.2 / 101.7 - 1, false, true);
    // Short event 7 (p0 100): lows 99.5, 99.4, 99.6, 99.7 give at most +0.006, highs 100.4,
    // 100.2, 100.3, 100.5 at worst −0.005 → vertical at 11, close 100.2 → −0.002.
    expect_vertical(labels[3], 11, -1, -0.002);
    // Event 10 (p0 100.1): highs 100.5, 100.6 stay below +0.01; bar 13 high 101.3 is +0.011988
    // → +1 at 13, exit +0.01, truncated.
    expect_touch(labels[4], 13, 1, BarrierTouch::kUpper, 0.01, true);
    // Event 11 (p0 100.2): bar 13 high 101.3 is +0.010978 → +1 at 13 (close mode missed it).
    expect_touch(labels[5], 13, 1, BarrierTouch::kUpper, 0.01, true);
    expect_undefined(labels[6], true);
  }
}

// ---- Argument checks -------------------------------------------------------------------------

TEST(TripleBarrierArguments, RejectsBadInputs) {
  const Bars bars = Bars::from_closes({100, 101, 102});
  const std::vector<BarrierEvent> one = {{0, 1}};
  const std::vector<std::optional<double>> target = {0.01};
  const auto run = [&](const Bars& b, const std::vector<BarrierEvent>& events,
                       const std::vector<std::optional<double>>& targets, const BarrierSpec& s) {
    return triple_barrier_labels(b.columns(), events, targets, s);
  };
  EXPECT_THROW(run(bars, one, target, spec(1, 1, 0)), ArgumentError);   // H = 0
  EXPECT_THROW(run(bars, one, target, spec(-1, 1, 2)), ArgumentError);  // pt < 0
  EXPECT_THROW(run(bars, one, target, spec(1, std::numeric_limits<double>::infinity(), 2)),
               ArgumentError);
  EXPECT_THROW(run(bars, {{3, 1}}, target, spec(1, 1, 2)), ArgumentError);  // outside
  EXPECT_THROW(run(bars, {{0, 0}}, target, spec(1, 1, 2)), ArgumentError);  // side 0
  EXPECT_THROW(run(bars, {{0, 2}}, target, spec(1, 1, 2)), ArgumentError);  // side 2
  EXPECT_THROW(run(bars, one, {}, spec(1, 1, 2)), ArgumentError);           // size mismatch
  EXPECT_THROW(run(bars, one, {-0.01}, spec(1, 1, 2)), ArgumentError);      // σ < 0
  EXPECT_THROW(run(bars, one, {std::numeric_limits<double>::quiet_NaN()}, spec(1, 1, 2)),
               ArgumentError);
  EXPECT_THROW(run(Bars::from_closes({100, 0, 102}), one, target, spec(1, 1, 2)), ArgumentError);
  // OHLC mode needs all four columns of one length.
  EXPECT_THROW(run(bars, one, target, spec(1, 1, 2, BarrierMode::kOhlc)), ArgumentError);
  Bars ragged = Bars::from_rows({{100, 101, 99, 100}, {100, 101, 99, 100}});
  ragged.low.pop_back();
  EXPECT_THROW(run(ragged, one, target, spec(1, 1, 1, BarrierMode::kOhlc)), ArgumentError);
  // No events: no labels, even with no bars.
  EXPECT_TRUE(run(Bars{}, {}, {}, spec(1, 1, 2)).empty());
}

// ---- Properties on the §17 LCG bars ----------------------------------------------------------

using testing::Lcg;

// §17 triple_barrier `lcg_bars`: seed 4242, 300 bars, c0 = 100, σ = 0.004.
Bars lcg_bars() {
  Lcg lcg(4242);
  Bars bars;
  double previous = 100.0;
  for (int i = 0; i < 300; ++i) {
    const double z = lcg.normal_ih();
    const double u1 = lcg.uniform();
    const double u2 = lcg.uniform();
    const double open = previous;
    const double close = open * (1.0 + 0.004 * z);
    bars.open.push_back(open);
    bars.close.push_back(close);
    bars.high.push_back(std::max(open, close) * (1.0 + 0.5 * 0.004 * u1));
    bars.low.push_back(std::min(open, close) * (1.0 - 0.5 * 0.004 * u2));
    previous = close;
  }
  return bars;
}

TEST(TripleBarrierProperties, LcgBarsSatisfyTheDefinition) {
  const Bars bars = lcg_bars();
  const std::size_t last = bars.close.size() - 1;
  std::vector<BarrierEvent> events;
  for (std::size_t bar = 20, k = 0; bar < bars.close.size(); bar += 7, ++k) {
    events.push_back({bar, k % 2 == 0 ? 1 : -1});
  }
  const auto vol = rolling_volatility(bars.close, 20);
  struct Run {
    double pt, sl;
    std::size_t horizon;
  };
  for (const Run run : {Run{2, 2, 12}, Run{1, 3, 24}, Run{2, 0, 12}, Run{1.5, 1.5, 10}}) {
    SCOPED_TRACE(::testing::Message()
                 << "pt " << run.pt << " sl " << run.sl << " H " << run.horizon);
    const auto close = triple_barrier_labels(bars.columns(), events, std::size_t{20},
                                             spec(run.pt, run.sl, run.horizon));
    const auto ohlc = triple_barrier_labels(bars.columns(), events, std::size_t{20},
                                            spec(run.pt, run.sl, run.horizon, BarrierMode::kOhlc));
    int touches = 0;
    for (std::size_t e = 0; e < events.size(); ++e) {
      const BarrierLabel& c = close[e];
      const std::size_t i0 = events[e].bar;
      const double sigma = *vol[i0];
      const double upper = run.pt * sigma;
      const double lower = -run.sl * sigma;
      const auto ret = [&](double price) { return events[e].side * (price / bars.close[i0] - 1); };
      EXPECT_EQ(c.truncated, i0 + run.horizon > last);
      ASSERT_TRUE(c.target.has_value());
      EXPECT_EQ(*c.target, sigma);
      // Before t1 (through the last bar when undefined) every close is strictly inside.
      const std::size_t scanned_end = c.t1 ? *c.t1 : last + 1;
      for (std::size_t j = i0 + 1; j < scanned_end; ++j) {
        if (run.pt > 0) {
          EXPECT_LT(ret(bars.close[j]), upper) << e << " " << j;
        }
        if (run.sl > 0) {
          EXPECT_GT(ret(bars.close[j]), lower) << e << " " << j;
        }
      }
      if (!c.t1) {
        EXPECT_TRUE(c.truncated);
        EXPECT_EQ(c.touched, BarrierTouch::kNone);
      } else {
        EXPECT_GT(*c.t1, i0);
        EXPECT_LE(*c.t1, i0 + run.horizon);
        EXPECT_EQ(*c.exit_return, ret(bars.close[*c.t1]));
        if (c.label == 1) {
          EXPECT_GE(*c.exit_return, upper);
        }
        if (c.label == -1) {
          EXPECT_LE(*c.exit_return, lower);
        }
        if (c.label != 0) ++touches;
        if (c.touched == BarrierTouch::kVertical) {
          EXPECT_EQ(*c.t1, i0 + run.horizon);
        }
      }
      if (run.sl == 0) {
        EXPECT_NE(c.label, -1);
      }
      // OHLC sees every close inside the bar's range (and opens are previous closes), so it
      // never touches later than close mode, and is defined whenever close mode is.
      const BarrierLabel& o = ohlc[e];
      if (c.t1) {
        ASSERT_TRUE(o.t1.has_value()) << e;
        EXPECT_LE(*o.t1, *c.t1) << e;
      }
      if (o.t1 && o.touched != BarrierTouch::kVertical && !o.gap) {
        EXPECT_EQ(*o.exit_return, o.label == 1 ? upper : lower);
      }
    }
    EXPECT_GT(touches, 0);
  }
}

TEST(TripleBarrierProperties, DefinedLabelSpansDropUndefinedLabels) {
  const Bars bars = Bars::from_closes({100, 100.2, 100.3, 100.1, 100.4});
  const std::vector<BarrierEvent> events = {{0, 1}, {2, 1}, {1, 1}};
  const std::vector<std::optional<double>> targets(3, 0.01);
  const auto labels = triple_barrier_labels(bars.columns(), events, targets, spec(1, 1, 3));
  // Event 0: vertical at 3; event 2: 2 + 3 > 4 with no touch → undefined; event 1: vertical at 4.
  const LabelSpans spans = defined_label_spans(labels);
  EXPECT_EQ(spans.t0, (std::vector<std::int64_t>{0, 1}));
  EXPECT_EQ(spans.t1, (std::vector<std::int64_t>{3, 4}));
  EXPECT_EQ(spans.label_index, (std::vector<std::size_t>{0, 2}));
}

}  // namespace
}  // namespace gauntlet::validation
