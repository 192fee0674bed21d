// File: validation/triple_barrier.hpp
//
// Owns triple-barrier labelling exactly as defined in ../shared/reference/validation.md §13:
// the rolling volatility target, the two horizontal barriers in return space (profit taking at
// +pt·σ, stop loss at −sl·σ), the vertical barrier H bars ahead, close mode (AFML) and OHLC
// mode (gap rule, intrabar extremes, same-bar tie rule), and the end-of-data rules. The label
// end times t1 feed the purged cross-validation of validation/purged_cv.hpp (§14, §15).
//
// Conventions (validation.md §13): bars are indexed 0..n−1 in time order; the entry price of an
// event at bar i0 is close[i0]; the side-adjusted return at price p is side·(p / close[i0] − 1).
// Touches are inclusive (ret >= pt·σ, ret <= −sl·σ); pt = 0 or sl = 0 disables that barrier.
// Where the reference says "undefined" (a label cut short by the end of data, or an event
// without a target) the result carries t1 = std::nullopt. Non-finite or non-positive prices,
// events outside the series, sides other than ±1 and invalid specs throw ArgumentError.
//
// Threading: pure functions over caller-owned data; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace gauntlet::validation {

// How the horizontal barriers are tested at each bar (§13).
enum class BarrierMode {
  kClose,  // AFML: test the side-adjusted return of the close; exit at the close.
  kOhlc,   // Intrabar: gap rule on the open, then the high/low extremes; exit at the barrier.
};

// Which barrier wins when both lie inside one bar's high–low range (OHLC mode). A single
// return beyond both barriers (a close in close mode, an open under the gap rule; possible only
// with a zero target) counts as the upper barrier, as tools/validation_ref.py tests it first.
enum class TieRule {
  kStopLossFirst,      // The default: label −1, exit at −sl·σ (conservative).
  kProfitTakingFirst,  // Sensitivity analysis only: label +1, exit at +pt·σ.
};

// The barrier that ended an event's label.
enum class BarrierTouch {
  kNone,      // Undefined label: no touch before the end of data, or no target.
  kUpper,     // Profit taking, label +1.
  kLower,     // Stop loss, label −1.
  kVertical,  // The horizon t0 + H, label 0.
};

// The barriers of a labelling run. profit_taking (pt) and stop_loss (sl) are multiples of the
// event's target σ; 0 disables that barrier. horizon is H in bars (>= 1).
struct BarrierSpec {
  double profit_taking = 0;
  double stop_loss = 0;
  std::size_t horizon = 0;
  BarrierMode mode = BarrierMode::kClose;
  TieRule tie = TieRule::kStopLossFirst;
};

// The bars as columns of equal length. Close mode reads only `close`; the other columns may be
// left empty there. OHLC mode reads all four.
struct OhlcColumns {
  std::span<const double> open;
  std::span<const double> high;
  std::span<const double> low;
  std::span<const double> close;
};

// An event: a position of `side` (+1 long, −1 short) entered at the close of bar `bar`.
struct BarrierEvent {
  std::size_t bar = 0;
  int side = 1;
};

// The label of one event.
struct BarrierLabel {
  std::size_t t0 = 0;             // The event bar i0.
  std::optional<std::size_t> t1;  // The touch bar; nullopt when the label is undefined.
  int side = 1;                   // The event's side.
  int label = 0;                  // +1 upper, −1 lower, 0 vertical (and 0 when undefined).
  int label_sign = 0;             // Vertical: sign(ret at t_v), the AFML getBins bin (−1/0/+1).
                                  // Upper/lower: equal to label. Undefined: 0.
  std::optional<double> exit_return;  // Side-adjusted return at the exit; nullopt if undefined.
  std::optional<double> target;       // σ used for the barriers; nullopt when none was given.
  bool truncated = false;             // t0 + H ran past the last bar (set whether or not touched).
  bool gap = false;                   // OHLC mode: filled at the open of t1 by the gap rule.
  BarrierTouch touched = BarrierTouch::kNone;
};

// The (t0, t1) spans of the defined labels, as the inputs of purged_kfold and
// combinatorial_purged_cv, with the position of each in the label vector.
struct LabelSpans {
  std::vector<std::int64_t> t0;
  std::vector<std::int64_t> t1;
  std::vector<std::size_t> label_index;
};

// Returns σ_i = sd (ddof = 1) of the last `window` simple close-to-close returns ending at bar
// i, r_j = close[j] / close[j − 1] − 1 (§13), for every bar; nullopt for i < window, where
// fewer than `window` returns exist. Throws ArgumentError for window < 2 or a non-finite or
// non-positive close.
std::vector<std::optional<double>> rolling_volatility(std::span<const double> close,
                                                      std::size_t window);

// Labels each event (§13). targets[e] is the σ of events[e] (estimated with data up to and
// including its bar); a nullopt target gives an undefined label (t1 = nullopt). Throws
// ArgumentError when targets.size() != events.size(), a target is negative or non-finite, an
// event lies outside the series or has a side other than ±1, pt or sl is negative or
// non-finite, the horizon is 0, or a column the mode reads is missing, of another length, or
// holds a non-finite or non-positive price.
std::vector<BarrierLabel> triple_barrier_labels(const OhlcColumns& bars,
                                                std::span<const BarrierEvent> events,
                                                std::span<const std::optional<double>> targets,
                                                const BarrierSpec& spec);

// Labels each event with the reference target σ = rolling_volatility(close, window)[bar]
// (§13); events before bar `window` have no target and get undefined labels.
std::vector<BarrierLabel> triple_barrier_labels(const OhlcColumns& bars,
                                                std::span<const BarrierEvent> events,
                                                std::size_t volatility_window,
                                                const BarrierSpec& spec);

// Returns the (t0, t1) bar spans of the labels with a defined t1, in label order, dropping the
// undefined ones (§17 purged_kfold input set 2).
LabelSpans defined_label_spans(std::span<const BarrierLabel> labels);

}  // namespace gauntlet::validation
