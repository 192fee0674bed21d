// File: strategies/strategy.hpp
//
// The rule-based strategy families (issue 6): signals only - a side, a strength and a
// preliminary stop loss / take profit - never orders; sizing and placing belong to the risk
// manager and the order router. A strategy sees a primary bar (15m) only after it closes, and
// its signal must then be confirmed by the next closed confirmation bar (5m): SignalConfirmer.
// Every family declares its parameter space, so the generator can search it.
//
// Families: ema_cross, sma_cross, rsi_reversion, bollinger_breakout, bollinger_reversion,
// donchian_breakout, adx_trend (an EMA cross that only trades with ADX >= threshold in the
// direction of the leading DI), regime_switch (market_regime picks trend following, mean
// reversion or standing aside).
//
// Stops and targets: stop = close -+ stop_atr x ATR(14), target = close +- reward_risk x the
// stop distance.
//
// Threading: one owner per strategy object.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/decimal.hpp"
#include "core/interfaces.hpp"
#include "indicators/bar_columns.hpp"

namespace gauntlet::strategies {

struct Signal {
  OrderSide side = OrderSide::kBuy;
  double strength = 0;  // 0..1
  Decimal stop_loss;
  Decimal take_profit;
  Decimal close;  // the primary bar's close the signal was made at
  std::string reason;
};

struct ParameterSpec {
  std::string name;
  double minimum = 0;
  double maximum = 0;
  double step = 1;
  double default_value = 0;
};

using Parameters = std::map<std::string, double>;

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual std::string_view family() const = 0;
  // A closed primary bar; a signal when the family's setup appears on it.
  virtual std::optional<Signal> on_primary_bar(const indicators::BarInput& bar) = 0;
};

struct FamilyInfo {
  std::string name;
  std::string description;
  std::vector<ParameterSpec> parameters;
};

// Every family with its parameter space, simple to complex.
const std::vector<FamilyInfo>& families();

// A strategy of `family`; a parameter left out takes its default. Throws ArgumentError for an
// unknown family or parameter, or a value outside its range.
std::unique_ptr<Strategy> make_strategy(std::string_view family, const Parameters& parameters);

// The 5m confirmation: a signal made at a primary close holds when the next closed
// confirmation bar closes on its side of that close (above for a buy, below for a sell);
// otherwise it is dropped. One pending signal at a time.
class SignalConfirmer {
 public:
  void propose(const Signal& signal) { pending_ = signal; }
  // A closed confirmation bar: the confirmed signal, or none (dropped or nothing pending).
  std::optional<Signal> on_confirmation_bar(const indicators::BarInput& bar);
  bool pending() const { return pending_.has_value(); }
  // The signal waiting for its confirmation bar, to persist it across a restart.
  const std::optional<Signal>& pending_signal() const { return pending_; }

 private:
  std::optional<Signal> pending_;
};

}  // namespace gauntlet::strategies
