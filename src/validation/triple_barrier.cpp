#include "validation/triple_barrier.hpp"

#include <fmt/format.h>

#include <cmath>

#include "core/exceptions.hpp"

namespace gauntlet::validation {
namespace {

void require_prices(std::span<const double> prices, const char* what) {
  for (std::size_t i = 0; i < prices.size(); ++i) {
    if (!std::isfinite(prices[i]) || prices[i] <= 0) {
      throw ArgumentError(
          fmt::format("{}[{}] must be a finite positive price, was {}", what, i, prices[i]));
    }
  }
}

void require_columns(const OhlcColumns& bars, BarrierMode mode) {
  require_prices(bars.close, "close");
  if (mode == BarrierMode::kClose) return;
  const std::size_t n = bars.close.size();
  const std::span<const double> columns[] = {bars.open, bars.high, bars.low};
  const char* names[] = {"open", "high", "low"};
  for (std::size_t c = 0; c < 3; ++c) {
    if (columns[c].size() != n) {
      throw ArgumentError(fmt::format("OHLC mode needs {} of the length of close ({}), was {}",
                                      names[c], n, columns[c].size()));
    }
    require_prices(columns[c], names[c]);
  }
}

void require_spec(const BarrierSpec& spec) {
  if (!std::isfinite(spec.profit_taking) || spec.profit_taking < 0) {
    throw ArgumentError(
        fmt::format("profit_taking must be finite and non-negative, was {}", spec.profit_taking));
  }
  if (!std::isfinite(spec.stop_loss) || spec.stop_loss < 0) {
    throw ArgumentError(
        fmt::format("stop_loss must be finite and non-negative, was {}", spec.stop_loss));
  }
  if (spec.horizon == 0) throw ArgumentError("horizon must be at least 1 bar, was 0");
}

void require_event(const BarrierEvent& event, std::size_t index, std::size_t bars) {
  if (event.bar >= bars) {
    throw ArgumentError(fmt::format("events[{}].bar must be below the bar count {}, was {}", index,
                                    bars, event.bar));
  }
  if (event.side != 1 && event.side != -1) {
    throw ArgumentError(fmt::format("events[{}].side must be +1 or -1, was {}", index, event.side));
  }
}

void require_target(std::optional<double> target, std::size_t index) {
  if (target && (!std::isfinite(*target) || *target < 0)) {
    throw ArgumentError(
        fmt::format("targets[{}] must be finite and non-negative, was {}", index, *target));
  }
}

// The barrier an intrabar touch resolves to; both at once go by `tie`.
BarrierTouch resolve(bool upper, bool lower, TieRule tie) {
  if (upper && lower) {
    return tie == TieRule::kStopLossFirst ? BarrierTouch::kLower : BarrierTouch::kUpper;
  }
  return upper ? BarrierTouch::kUpper : BarrierTouch::kLower;
}

int sign_of(double value) {
  return (value > 0) - (value < 0);
}

// Labels one validated event (§13).
BarrierLabel label_event(const OhlcColumns& bars, const BarrierEvent& event,
                         std::optional<double> target, const BarrierSpec& spec) {
  BarrierLabel out;
  out.t0 = event.bar;
  out.side = event.side;
  out.target = target;
  const std::size_t last = bars.close.size() - 1;
  // t_v = min(i0 + H, last bar); truncated when i0 + H runs past the last bar.
  out.truncated = spec.horizon > last - event.bar;
  const std::size_t vertical = out.truncated ? last : event.bar + spec.horizon;
  if (!target) return out;

  const double entry = bars.close[event.bar];
  const double side = event.side;
  const auto ret = [&](double price) { return side * (price / entry - 1.0); };
  const bool upper_enabled = spec.profit_taking > 0;
  const bool lower_enabled = spec.stop_loss > 0;
  const double upper = spec.profit_taking * *target;
  const double lower = -(spec.stop_loss * *target);
  const auto touch = [&](std::size_t bar, BarrierTouch barrier, double exit_return) {
    out.t1 = bar;
    out.touched = barrier;
    out.label = barrier == BarrierTouch::kUpper ? 1 : -1;
    out.label_sign = out.label;
    out.exit_return = exit_return;
  };

  for (std::size_t j = event.bar + 1; j <= vertical; ++j) {
    if (spec.mode == BarrierMode::kClose) {
      const double r = ret(bars.close[j]);
      if (upper_enabled && r >= upper) {
        touch(j, BarrierTouch::kUpper, r);
        return out;
      }
      if (lower_enabled && r <= lower) {
        touch(j, BarrierTouch::kLower, r);
        return out;
      }
      continue;
    }
    // Gap rule: an open already beyond a barrier fills at the open.
    const double r_open = ret(bars.open[j]);
    if ((upper_enabled && r_open >= upper) || (lower_enabled && r_open <= lower)) {
      touch(j, upper_enabled && r_open >= upper ? BarrierTouch::kUpper : BarrierTouch::kLower,
            r_open);
      out.gap = true;
      return out;
    }
    // Intrabar: the favourable extreme against the upper barrier, the adverse one against the
    // lower; a touch exits at exactly the barrier.
    const double favourable = event.side > 0 ? bars.high[j] : bars.low[j];
    const double adverse = event.side > 0 ? bars.low[j] : bars.high[j];
    const bool up = upper_enabled && ret(favourable) >= upper;
    const bool down = lower_enabled && ret(adverse) <= lower;
    if (up || down) {
      const BarrierTouch barrier = resolve(up, down, spec.tie);
      touch(j, barrier, barrier == BarrierTouch::kUpper ? upper : lower);
      return out;
    }
  }
  // No horizontal touch: the vertical barrier, unless the end of data cut the horizon short.
  if (out.truncated) return out;
  const double r = ret(bars.close[vertical]);
  out.t1 = vertical;
  out.touched = BarrierTouch::kVertical;
  out.label = 0;
  out.label_sign = sign_of(r);
  out.exit_return = r;
  return out;
}

}  // namespace

std::vector<std::optional<double>> rolling_volatility(std::span<const double> close,
                                                      std::size_t window) {
  if (window < 2) {
    throw ArgumentError(fmt::format("volatility window must be at least 2, was {}", window));
  }
  require_prices(close, "close");
  const std::size_t n = close.size();
  std::vector<std::optional<double>> out(n);
  std::vector<double> returns(n, 0.0);  // returns[j] = close[j] / close[j − 1] − 1, j >= 1
  for (std::size_t j = 1; j < n; ++j) returns[j] = close[j] / close[j - 1] - 1.0;
  for (std::size_t i = window; i < n; ++i) {
    const std::span<const double> last =
        std::span<const double>(returns).subspan(i + 1 - window, window);
    double sum = 0;
    for (const double r : last) sum += r;
    const double mean = sum / static_cast<double>(window);
    double squares = 0;
    for (const double r : last) squares += (r - mean) * (r - mean);
    out[i] = std::sqrt(squares / static_cast<double>(window - 1));
  }
  return out;
}

std::vector<BarrierLabel> triple_barrier_labels(const OhlcColumns& bars,
                                                std::span<const BarrierEvent> events,
                                                std::span<const std::optional<double>> targets,
                                                const BarrierSpec& spec) {
  require_spec(spec);
  if (targets.size() != events.size()) {
    throw ArgumentError(fmt::format("targets must hold one value per event ({}), held {}",
                                    events.size(), targets.size()));
  }
  require_columns(bars, spec.mode);
  for (std::size_t e = 0; e < events.size(); ++e) {
    require_event(events[e], e, bars.close.size());
    require_target(targets[e], e);
  }
  std::vector<BarrierLabel> labels;
  labels.reserve(events.size());
  for (std::size_t e = 0; e < events.size(); ++e) {
    labels.push_back(label_event(bars, events[e], targets[e], spec));
  }
  return labels;
}

std::vector<BarrierLabel> triple_barrier_labels(const OhlcColumns& bars,
                                                std::span<const BarrierEvent> events,
                                                std::size_t volatility_window,
                                                const BarrierSpec& spec) {
  const std::vector<std::optional<double>> volatility =
      rolling_volatility(bars.close, volatility_window);
  std::vector<std::optional<double>> targets(events.size());
  for (std::size_t e = 0; e < events.size(); ++e) {
    require_event(events[e], e, bars.close.size());
    targets[e] = volatility[events[e].bar];
  }
  return triple_barrier_labels(bars, events, targets, spec);
}

LabelSpans defined_label_spans(std::span<const BarrierLabel> labels) {
  LabelSpans spans;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (!labels[i].t1) continue;
    spans.t0.push_back(static_cast<std::int64_t>(labels[i].t0));
    spans.t1.push_back(static_cast<std::int64_t>(*labels[i].t1));
    spans.label_index.push_back(i);
  }
  return spans;
}

}  // namespace gauntlet::validation
