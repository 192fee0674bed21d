#include "strategies/strategy.hpp"

#include <fmt/format.h>

#include <cmath>
#include <functional>

#include "core/exceptions.hpp"
#include "indicators/technical_indicators.hpp"

namespace gauntlet::strategies {
namespace {

using indicators::BarInput;

// Protective levels around a close: the stop stop_atr ATRs away, the target reward_risk stop
// distances the other way.
Signal make_signal(OrderSide side, const BarInput& bar, double atr, double stop_atr,
                   double reward_risk, double strength, std::string reason) {
  const double distance = stop_atr * atr;
  const double direction = side == OrderSide::kBuy ? 1.0 : -1.0;
  Signal signal;
  signal.side = side;
  signal.strength = std::clamp(strength, 0.0, 1.0);
  signal.close = Decimal::from_double(bar.close);
  signal.stop_loss = Decimal::from_double(bar.close - direction * distance);
  signal.take_profit = Decimal::from_double(bar.close + direction * reward_risk * distance);
  signal.reason = std::move(reason);
  return signal;
}

// What every family shares: ATR for the stops and the stop/target parameters.
class Base : public Strategy {
 public:
  explicit Base(const Parameters& p)
      : stop_atr_(p.at("stop_atr")), reward_risk_(p.at("reward_risk")) {}

 protected:
  // Updates the ATR with the bar; false until it is defined (and for a flat market).
  bool track(const BarInput& bar) {
    atr_ = atr14_.update(bar);
    return !std::isnan(atr_) && atr_ > 0;
  }
  std::optional<Signal> signal(OrderSide side, const BarInput& bar, double strength,
                               std::string reason) const {
    return make_signal(side, bar, atr_, stop_atr_, reward_risk_, strength, std::move(reason));
  }

 private:
  indicators::Atr atr14_{14};
  double atr_ = 0;
  double stop_atr_;
  double reward_risk_;
};

// A cross of a over b between the previous bar and this one: +1 up, -1 down, 0 none.
int cross(double previous_a, double previous_b, double a, double b) {
  if (std::isnan(previous_a) || std::isnan(previous_b) || std::isnan(a) || std::isnan(b)) return 0;
  if (previous_a <= previous_b && a > b) return 1;
  if (previous_a >= previous_b && a < b) return -1;
  return 0;
}

// A fast moving average crossing a slow one, on EMAs (ema_cross) or SMAs (sma_cross: the
// textbook cross of backtrader's and freqtrade's first examples).
template <class Average>
class MovingAverageCross : public Base {
 public:
  MovingAverageCross(const Parameters& p, std::string_view family, std::string_view kind)
      : Base(p),
        fast_(static_cast<int>(p.at("fast"))),
        slow_(static_cast<int>(p.at("slow"))),
        family_(family),
        above_(fmt::format("fast {} crossed above slow", kind)),
        below_(fmt::format("fast {} crossed below slow", kind)) {}
  std::string_view family() const override { return family_; }
  std::optional<Signal> on_primary_bar(const BarInput& bar) override {
    const bool ready = track(bar);
    const double fast = fast_.update(bar.close), slow = slow_.update(bar.close);
    const int direction = cross(previous_fast_, previous_slow_, fast, slow);
    previous_fast_ = fast;
    previous_slow_ = slow;
    if (!ready || direction == 0) return std::nullopt;
    const double strength = std::min(1.0, std::abs(fast - slow) / slow * 100.0);
    return signal(direction > 0 ? OrderSide::kBuy : OrderSide::kSell, bar, strength,
                  direction > 0 ? above_ : below_);
  }

 private:
  Average fast_, slow_;
  double previous_fast_ = std::nan(""), previous_slow_ = std::nan("");
  std::string_view family_;
  std::string above_, below_;
};

class EmaCross : public MovingAverageCross<indicators::Ema> {
 public:
  explicit EmaCross(const Parameters& p) : MovingAverageCross(p, "ema_cross", "EMA") {}
};

class SmaCross : public MovingAverageCross<indicators::Sma> {
 public:
  explicit SmaCross(const Parameters& p) : MovingAverageCross(p, "sma_cross", "SMA") {}
};

class AdxTrend : public EmaCross {
 public:
  explicit AdxTrend(const Parameters& p)
      : EmaCross(p), adx_(static_cast<int>(p.at("adx_period"))), threshold_(p.at("adx_min")) {}
  std::string_view family() const override { return "adx_trend"; }
  std::optional<Signal> on_primary_bar(const BarInput& bar) override {
    const indicators::AdxValue adx = adx_.update(bar);
    auto candidate = EmaCross::on_primary_bar(bar);
    if (!candidate || std::isnan(adx.adx) || adx.adx < threshold_) return std::nullopt;
    const bool with_trend = candidate->side == OrderSide::kBuy ? adx.plus_di > adx.minus_di
                                                               : adx.minus_di > adx.plus_di;
    if (!with_trend) return std::nullopt;
    candidate->strength = std::min(1.0, adx.adx / 50.0);
    candidate->reason += fmt::format(", ADX {:.1f}", adx.adx);
    return candidate;
  }

 private:
  indicators::Adx adx_;
  double threshold_;
};

class RsiReversion : public Base {
 public:
  explicit RsiReversion(const Parameters& p)
      : Base(p),
        rsi_(static_cast<int>(p.at("period"))),
        oversold_(p.at("oversold")),
        overbought_(p.at("overbought")) {}
  std::string_view family() const override { return "rsi_reversion"; }
  std::optional<Signal> on_primary_bar(const BarInput& bar) override {
    const bool ready = track(bar);
    const double rsi = rsi_.update(bar.close);
    const double previous = previous_;
    previous_ = rsi;
    if (!ready || std::isnan(previous) || std::isnan(rsi)) return std::nullopt;
    if (previous < oversold_ && rsi >= oversold_) {
      return signal(OrderSide::kBuy, bar, (oversold_ - previous) / oversold_ + 0.5,
                    "RSI rose back above oversold");
    }
    if (previous > overbought_ && rsi <= overbought_) {
      return signal(OrderSide::kSell, bar, (previous - overbought_) / (100 - overbought_) + 0.5,
                    "RSI fell back below overbought");
    }
    return std::nullopt;
  }

 private:
  indicators::Rsi rsi_;
  double oversold_, overbought_;
  double previous_ = std::nan("");
};

class Bollinger : public Base {
 public:
  Bollinger(const Parameters& p, bool breakout)
      : Base(p),
        bands_(static_cast<int>(p.at("period")), p.at("deviations"), p.at("deviations")),
        breakout_(breakout) {}
  std::string_view family() const override {
    return breakout_ ? "bollinger_breakout" : "bollinger_reversion";
  }
  std::optional<Signal> on_primary_bar(const BarInput& bar) override {
    const bool ready = track(bar);
    const indicators::BollingerValue band = bands_.update(bar.close);
    const double previous_close = previous_close_;
    const indicators::BollingerValue previous = previous_;
    previous_close_ = bar.close;
    previous_ = band;
    if (!ready || std::isnan(previous.upper) || std::isnan(band.upper)) return std::nullopt;
    const int up = cross(previous_close, previous.upper, bar.close, band.upper);
    const int down = cross(previous_close, previous.lower, bar.close, band.lower);
    const double width = (band.upper - band.lower) / band.middle;
    const double strength = std::min(1.0, width * 20.0);
    if (breakout_) {
      if (up > 0) return signal(OrderSide::kBuy, bar, strength, "close broke above the upper band");
      if (down < 0)
        return signal(OrderSide::kSell, bar, strength, "close broke below the lower band");
    } else {
      if (down > 0)
        return signal(OrderSide::kBuy, bar, strength, "close came back above the lower band");
      if (up < 0)
        return signal(OrderSide::kSell, bar, strength, "close came back below the upper band");
    }
    return std::nullopt;
  }

 private:
  indicators::BollingerBands bands_;
  bool breakout_;
  double previous_close_ = std::nan("");
  indicators::BollingerValue previous_{std::nan(""), std::nan(""), std::nan("")};
};

class DonchianBreakout : public Base {
 public:
  explicit DonchianBreakout(const Parameters& p)
      : Base(p), channel_(static_cast<int>(p.at("period"))) {}
  std::string_view family() const override { return "donchian_breakout"; }
  std::optional<Signal> on_primary_bar(const BarInput& bar) override {
    const bool ready = track(bar);
    // The channel of the bars before this one: fib levels 0 and 100 are its high and low.
    const indicators::FibonacciValue before = last_;
    last_ = channel_.update(bar);
    if (!ready || std::isnan(before.levels[0])) return std::nullopt;
    const double high = std::max(before.levels[0], before.levels[6]);
    const double low = std::min(before.levels[0], before.levels[6]);
    if (bar.close > high) return signal(OrderSide::kBuy, bar, 0.7, "close above the channel high");
    if (bar.close < low) return signal(OrderSide::kSell, bar, 0.7, "close below the channel low");
    return std::nullopt;
  }

 private:
  indicators::FibonacciRetracement channel_;
  indicators::FibonacciValue last_{{std::nan(""), std::nan(""), std::nan(""), std::nan(""),
                                    std::nan(""), std::nan(""), std::nan("")},
                                   std::nan("")};
};

class RegimeSwitch : public Strategy {
 public:
  explicit RegimeSwitch(const Parameters& p)
      : trend_(p), reversion_(p), regime_(indicators::MarketRegimeParams{}) {}
  std::string_view family() const override { return "regime_switch"; }
  std::optional<Signal> on_primary_bar(const BarInput& bar) override {
    regime_.update(bar);
    auto trend = trend_.on_primary_bar(bar);
    auto reversion = reversion_.on_primary_bar(bar);
    const auto regime = regime_.regime();
    if (!regime) return std::nullopt;
    switch (*regime) {
      case indicators::Regime::kTrendUp:
        return trend && trend->side == OrderSide::kBuy ? trend : std::nullopt;
      case indicators::Regime::kTrendDown:
        return trend && trend->side == OrderSide::kSell ? trend : std::nullopt;
      case indicators::Regime::kRange:
        return reversion;
      case indicators::Regime::kHighVolatility:
        return std::nullopt;  // stand aside
    }
    return std::nullopt;
  }

 private:
  EmaCross trend_;
  RsiReversion reversion_;
  indicators::MarketRegime regime_;
};

ParameterSpec spec(std::string name, double minimum, double maximum, double step, double value) {
  return {std::move(name), minimum, maximum, step, value};
}

struct Family {
  FamilyInfo info;
  std::function<std::unique_ptr<Strategy>(const Parameters&)> make;
};

const std::vector<Family>& registry() {
  static const std::vector<Family> table = [] {
    const std::vector<ParameterSpec> protect = {spec("stop_atr", 0.5, 5, 0.25, 2),
                                                spec("reward_risk", 0.5, 5, 0.25, 1.5)};
    const auto with = [&](std::vector<ParameterSpec> own) {
      own.insert(own.end(), protect.begin(), protect.end());
      return own;
    };
    std::vector<Family> t;
    t.push_back({{"ema_cross", "fast EMA crossing the slow EMA",
                  with({spec("fast", 3, 50, 1, 9), spec("slow", 10, 200, 1, 30)})},
                 [](const Parameters& p) { return std::make_unique<EmaCross>(p); }});
    t.push_back({{"sma_cross", "fast SMA crossing the slow SMA",
                  with({spec("fast", 3, 50, 1, 10), spec("slow", 10, 200, 1, 30)})},
                 [](const Parameters& p) { return std::make_unique<SmaCross>(p); }});
    t.push_back({{"rsi_reversion", "RSI leaving oversold / overbought",
                  with({spec("period", 2, 50, 1, 14), spec("oversold", 5, 45, 1, 30),
                        spec("overbought", 55, 95, 1, 70)})},
                 [](const Parameters& p) { return std::make_unique<RsiReversion>(p); }});
    t.push_back({{"bollinger_breakout", "close breaking out of the Bollinger bands",
                  with({spec("period", 5, 100, 1, 20), spec("deviations", 1, 4, 0.25, 2)})},
                 [](const Parameters& p) { return std::make_unique<Bollinger>(p, true); }});
    t.push_back({{"bollinger_reversion", "close coming back inside the Bollinger bands",
                  with({spec("period", 5, 100, 1, 20), spec("deviations", 1, 4, 0.25, 2)})},
                 [](const Parameters& p) { return std::make_unique<Bollinger>(p, false); }});
    t.push_back({{"donchian_breakout", "close beyond the previous n bars' high or low",
                  with({spec("period", 5, 200, 1, 20)})},
                 [](const Parameters& p) { return std::make_unique<DonchianBreakout>(p); }});
    t.push_back({{"adx_trend", "EMA cross taken only with ADX above a threshold, with the DIs",
                  with({spec("fast", 3, 50, 1, 9), spec("slow", 10, 200, 1, 30),
                        spec("adx_period", 5, 50, 1, 14), spec("adx_min", 10, 50, 1, 25)})},
                 [](const Parameters& p) { return std::make_unique<AdxTrend>(p); }});
    t.push_back({{"regime_switch",
                  "market_regime picks: EMA cross with the trend, RSI reversion in a range, "
                  "nothing in high volatility",
                  with({spec("fast", 3, 50, 1, 9), spec("slow", 10, 200, 1, 30),
                        spec("period", 2, 50, 1, 14), spec("oversold", 5, 45, 1, 30),
                        spec("overbought", 55, 95, 1, 70)})},
                 [](const Parameters& p) { return std::make_unique<RegimeSwitch>(p); }});
    return t;
  }();
  return table;
}

}  // namespace

const std::vector<FamilyInfo>& families() {
  static const std::vector<FamilyInfo> infos = [] {
    std::vector<FamilyInfo> result;
    for (const Family& family : registry()) result.push_back(family.info);
    return result;
  }();
  return infos;
}

std::unique_ptr<Strategy> make_strategy(std::string_view name, const Parameters& given) {
  for (const Family& family : registry()) {
    if (family.info.name != name) continue;
    Parameters resolved;
    for (const ParameterSpec& p : family.info.parameters) resolved[p.name] = p.default_value;
    for (const auto& [key, value] : given) {
      const auto spec = std::find_if(family.info.parameters.begin(), family.info.parameters.end(),
                                     [&](const ParameterSpec& p) { return p.name == key; });
      if (spec == family.info.parameters.end()) {
        throw ArgumentError(fmt::format("strategy {}: unknown parameter '{}'", name, key));
      }
      if (!(value >= spec->minimum && value <= spec->maximum)) {
        throw ArgumentError(fmt::format("strategy {}: {} must be between {} and {}, was {}", name,
                                        key, spec->minimum, spec->maximum, value));
      }
      resolved[key] = value;
    }
    return family.make(resolved);
  }
  throw ArgumentError(fmt::format("unknown strategy family '{}'", name));
}

std::optional<Signal> SignalConfirmer::on_confirmation_bar(const indicators::BarInput& bar) {
  if (!pending_) return std::nullopt;
  Signal signal = *pending_;
  pending_.reset();
  const double close = signal.close.to_double();
  const bool holds = signal.side == OrderSide::kBuy ? bar.close > close : bar.close < close;
  if (!holds) return std::nullopt;
  return signal;
}

}  // namespace gauntlet::strategies
