#include "capital/risk_manager.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "core/exceptions.hpp"
#include "core/time.hpp"

namespace gauntlet::capital {
namespace {

using namespace gauntlet::literals;

// 2024-03-01T10:00:00Z, a Friday morning.
const TimestampMs kT0 = parse_iso8601("2024-03-01T10:00:00Z");

RiskLimitsByAsset default_limits() {
  return {config::default_risk(Asset::kSpot), config::default_risk(Asset::kPerp),
          config::default_risk(Asset::kForex), config::default_risk(Asset::kOptions)};
}

// BTCUSDT spot: qty_step 0.001, min_qty 0.001, max_qty 100, min_notional 5.
data::InstrumentInfo btc() {
  data::InstrumentInfo info;
  info.domain = Asset::kSpot;
  info.symbol = Symbol::parse("BTCUSDT");
  info.status = "Trading";
  info.tick_size = "0.01"_d;
  info.qty_step = "0.001"_d;
  info.min_qty = "0.001"_d;
  info.max_qty = "100"_d;
  info.min_notional = "5"_d;
  return info;
}

// A spot buy that passes every default rule at equity 1000: entry 60000, stop 59400 (a 600
// distance = 1 % of the entry, inside [0.2 %, 5 %]), take profit 61200, quantity 0.003
// (notional 180 <= per_strategy_cap 0.25 x 1000 = 250 and <= max_leverage 1 x 1000).
OrderContext buy_entry() {
  OrderContext order;
  order.asset = Asset::kSpot;
  order.symbol = Symbol::parse("BTCUSDT");
  order.side = OrderSide::kBuy;
  order.type = OrderType::kMarket;
  order.quantity = "0.003"_d;
  order.reference_price = "60000"_d;
  order.stop_loss = "59400"_d;
  order.take_profit = "61200"_d;
  order.strategy_id = "trend";
  order.signal_id = "s1";
  order.created_at = kT0;
  return order;
}

// The mirror image: a spot sell at 60000 with stop 60600 and take profit 58800.
OrderContext sell_entry() {
  OrderContext order = buy_entry();
  order.side = OrderSide::kSell;
  order.stop_loss = "60600"_d;
  order.take_profit = "58800"_d;
  return order;
}

// An exit: reduce_only, no protection, quantity 0.003.
OrderContext exit_order() {
  OrderContext order = buy_entry();
  order.side = OrderSide::kSell;
  order.reduce_only = true;
  order.stop_loss = Decimal::zero();
  order.take_profit = Decimal::zero();
  return order;
}

// A manager with the default bands and spot equity 1000 recorded at kT0.
RiskManager funded_manager() {
  RiskManager manager(default_limits());
  manager.record_equity(Asset::kSpot, "1000"_d, kT0);
  return manager;
}

// Funded, with caps that never bind, to pin the risk formula alone.
RiskManager uncapped_manager() {
  RiskLimitsByAsset limits = default_limits();
  for (auto& band : limits) {
    band.per_strategy_cap = 10;
    band.max_leverage = 10;
  }
  RiskManager manager(limits);
  manager.record_equity(Asset::kSpot, "1000"_d, kT0);
  manager.record_equity(Asset::kOptions, "1000"_d, kT0);
  return manager;
}

// --- Asset bands
// ----------------------------------------------------------------------------------

TEST(RiskBands, DefaultBandsAreOrderedSpotLoosestOptionsTightest) {
  const RiskLimitsByAsset limits = default_limits();
  const auto& spot = limits[0];
  const auto& perp = limits[1];
  const auto& forex = limits[2];
  const auto& options = limits[3];
  // risk_fraction 0.01 > 0.0075 > 0.005 > 0.0025.
  EXPECT_GT(spot.risk_fraction, perp.risk_fraction);
  EXPECT_GT(perp.risk_fraction, forex.risk_fraction);
  EXPECT_GT(forex.risk_fraction, options.risk_fraction);
  // daily_loss_cap 0.05 > 0.04 > 0.03 > 0.02; max_open_positions 5 > 4 > 3 > 2.
  EXPECT_GT(spot.daily_loss_cap, perp.daily_loss_cap);
  EXPECT_GT(perp.daily_loss_cap, forex.daily_loss_cap);
  EXPECT_GT(forex.daily_loss_cap, options.daily_loss_cap);
  EXPECT_GT(spot.max_open_positions, perp.max_open_positions);
  EXPECT_GT(perp.max_open_positions, forex.max_open_positions);
  EXPECT_GT(forex.max_open_positions, options.max_open_positions);
  // Options also halt earliest and cap a strategy hardest.
  EXPECT_LT(options.drawdown_halt, spot.drawdown_halt);
  EXPECT_LT(options.drawdown_throttle_start, spot.drawdown_throttle_start);
  EXPECT_LT(options.per_strategy_cap, spot.per_strategy_cap);
}

TEST(RiskBands, LimitsFromConfigAreTheConfigsRiskSectionByAsset) {
  config::Config config;
  config.risk[1].risk_fraction = 0.004;
  const RiskLimitsByAsset limits = risk_limits_from(config);
  EXPECT_EQ(limits[0], config::default_risk(Asset::kSpot));
  EXPECT_EQ(limits[1].risk_fraction, 0.004);
  const RiskManager manager(limits);
  EXPECT_EQ(manager.limits(Asset::kPerp).risk_fraction, 0.004);
  EXPECT_EQ(manager.limits(Asset::kOptions), config::default_risk(Asset::kOptions));
}

// --- Helpers
// --------------------------------------------------------------------------------------

TEST(PositionSize, IsEquityAtRiskOverStopDistanceFlooredToStep) {
  // 1000 x 0.01 = 10 at risk; 10 / |60000 - 59400| = 10 / 600 = 0.016666... -> 0.016.
  EXPECT_EQ(position_size("1000"_d, "0.01"_d, "60000"_d, "59400"_d, "0.001"_d), "0.016"_d);
  // A sell's stop is above the entry: |60000 - 60600| = 600, same size.
  EXPECT_EQ(position_size("1000"_d, "0.01"_d, "60000"_d, "60600"_d, "0.001"_d), "0.016"_d);
  // Coarser and finer steps: 0.0166... -> 0.01 at step 0.01, 0.0166 at step 0.0001.
  EXPECT_EQ(position_size("1000"_d, "0.01"_d, "60000"_d, "59400"_d, "0.01"_d), "0.01"_d);
  EXPECT_EQ(position_size("1000"_d, "0.01"_d, "60000"_d, "59400"_d, "0.0001"_d), "0.0166"_d);
  // No step: floored at the 9th place, 0.016666666 (never 0.016666667).
  EXPECT_EQ(position_size("1000"_d, "0.01"_d, "60000"_d, "59400"_d, Decimal::zero()),
            "0.016666666"_d);
  // Whole lots: equity 10000, 2 %, EURUSD 1.1000 / 1.0950: 200 / 0.005 = 40000 units, step 1000.
  EXPECT_EQ(position_size("10000"_d, "0.02"_d, "1.1"_d, "1.095"_d, "1000"_d), "40000"_d);
  // 200 / 0.0045 = 44444.44... -> 44000 at step 1000.
  EXPECT_EQ(position_size("10000"_d, "0.02"_d, "1.1"_d, "1.0955"_d, "1000"_d), "44000"_d);
}

TEST(PositionSize, IsZeroWithoutStopDistanceEquityOrRisk) {
  EXPECT_EQ(position_size("1000"_d, "0.01"_d, "60000"_d, "60000"_d, "0.001"_d), Decimal::zero());
  EXPECT_EQ(position_size(Decimal::zero(), "0.01"_d, "60000"_d, "59400"_d, "0.001"_d),
            Decimal::zero());
  EXPECT_EQ(position_size("-50"_d, "0.01"_d, "60000"_d, "59400"_d, "0.001"_d), Decimal::zero());
  EXPECT_EQ(position_size("1000"_d, Decimal::zero(), "60000"_d, "59400"_d, "0.001"_d),
            Decimal::zero());
}

TEST(ComputeTpSl, BuyStopRoundsAwayFromEntryTargetTowardIt) {
  // Stop: 100.05 - 2 x 1.234 = 97.582 -> floor to 0.1 = 97.5 (away from the entry).
  // Rounded stop distance 100.05 - 97.5 = 2.55; target 100.05 + 1.5 x 2.55 = 103.875 -> 103.8
  // (toward the entry).
  EXPECT_EQ(compute_tp_sl(OrderSide::kBuy, "100.05"_d, 1.234, 2.0, 1.5, "0.1"_d),
            (TpSl{"97.5"_d, "103.8"_d}));
}

TEST(ComputeTpSl, SellStopRoundsAwayFromEntryTargetTowardIt) {
  // Stop: 100.05 + 2.468 = 102.518 -> ceil to 0.1 = 102.6; distance 2.55; target
  // 100.05 - 3.825 = 96.225 -> ceil = 96.3.
  EXPECT_EQ(compute_tp_sl(OrderSide::kSell, "100.05"_d, 1.234, 2.0, 1.5, "0.1"_d),
            (TpSl{"102.6"_d, "96.3"_d}));
}

TEST(ComputeTpSl, ExactOnTickAndWithoutTick) {
  // 60000 -/+ 2 x 300 = 59400; target 60000 + 2 x 600 = 61200: already on the 0.5 tick.
  EXPECT_EQ(compute_tp_sl(OrderSide::kBuy, "60000"_d, 300.0, 2.0, 2.0, "0.5"_d),
            (TpSl{"59400"_d, "61200"_d}));
  // No tick: stop 100.05 - 2.468 = 97.582, target 100.05 + 1.5 x 2.468 = 103.752.
  EXPECT_EQ(compute_tp_sl(OrderSide::kBuy, "100.05"_d, 1.234, 2.0, 1.5, Decimal::zero()),
            (TpSl{"97.582"_d, "103.752"_d}));
}

TEST(ComputeTpSl, NaNAtrIsABrokenInvariant) {
  EXPECT_DEATH(compute_tp_sl(OrderSide::kBuy, "100"_d, std::nan(""), 2.0, 1.5, "0.1"_d),
               "atr must be finite and not negative, was nan");
}

TEST(ShouldForceExit, AtOrPastTheMaximumHoldingTime) {
  const DurationMs two_days = 2 * kDayMs;
  EXPECT_FALSE(should_force_exit(kT0, kT0, two_days));
  EXPECT_FALSE(should_force_exit(kT0, kT0 + two_days - 1, two_days));
  EXPECT_TRUE(should_force_exit(kT0, kT0 + two_days, two_days));
  EXPECT_TRUE(should_force_exit(kT0, kT0 + 3 * kDayMs, two_days));
}

TEST(CooldownRequired, UntilLastLossPlusCooldown) {
  const DurationMs cooldown = 30 * kMinuteMs;
  EXPECT_FALSE(cooldown_required(std::nullopt, kT0, cooldown));
  EXPECT_TRUE(cooldown_required(kT0, kT0, cooldown));
  EXPECT_TRUE(cooldown_required(kT0, kT0 + cooldown - 1, cooldown));
  EXPECT_FALSE(cooldown_required(kT0, kT0 + cooldown, cooldown));
  EXPECT_FALSE(cooldown_required(kT0, kT0, 0));
}

TEST(EntryPrice, LimitPriceForLimitOrdersReferenceOtherwise) {
  OrderContext order = buy_entry();
  order.limit_price = "59700"_d;
  EXPECT_EQ(entry_price(order), "60000"_d);  // a market order ignores a stray limit price
  order.type = OrderType::kLimit;
  EXPECT_EQ(entry_price(order), "59700"_d);
  order.type = OrderType::kStopLimit;
  EXPECT_EQ(entry_price(order), "59700"_d);
  order.type = OrderType::kStopMarket;
  EXPECT_EQ(entry_price(order), "60000"_d);
  order.type = OrderType::kLimit;
  order.limit_price.reset();
  EXPECT_EQ(entry_price(order), "60000"_d);
}

// --- Ledger
// ---------------------------------------------------------------------------------------

TEST(RiskLedger, TracksPeakAndDrawdown) {
  RiskManager manager(default_limits());
  EXPECT_EQ(manager.drawdown(Asset::kSpot), Decimal::zero());  // nothing recorded
  manager.record_equity(Asset::kSpot, "1000"_d, kT0);
  manager.record_equity(Asset::kSpot, "900"_d, kT0 + kMinuteMs);
  EXPECT_EQ(manager.peak_equity(Asset::kSpot), "1000"_d);
  EXPECT_EQ(manager.equity(Asset::kSpot), "900"_d);
  EXPECT_EQ(manager.drawdown(Asset::kSpot), "0.1"_d);  // (1000 - 900) / 1000
  manager.record_equity(Asset::kSpot, "1100"_d, kT0 + 2 * kMinuteMs);
  EXPECT_EQ(manager.peak_equity(Asset::kSpot), "1100"_d);
  EXPECT_EQ(manager.drawdown(Asset::kSpot), Decimal::zero());
  // Rounded up: peak 3, equity 2 -> 1/3 = 0.333333334.
  manager.record_equity(Asset::kPerp, "3"_d, kT0);
  manager.record_equity(Asset::kPerp, "2"_d, kT0);
  EXPECT_EQ(manager.drawdown(Asset::kPerp), "0.333333334"_d);
  // Assets are independent.
  EXPECT_EQ(manager.equity(Asset::kForex), Decimal::zero());
}

TEST(RiskLedger, CountsPositionsAndCommittedNotionalPerStrategy) {
  RiskManager manager = funded_manager();
  manager.record_position_opened(Asset::kSpot, "trend", "100"_d, kT0);
  manager.record_position_opened(Asset::kSpot, "trend", "50"_d, kT0);
  manager.record_position_opened(Asset::kSpot, "revert", "30"_d, kT0);
  EXPECT_EQ(manager.open_positions(Asset::kSpot), 3);
  EXPECT_EQ(manager.committed_notional(Asset::kSpot, "trend"), "150"_d);
  EXPECT_EQ(manager.committed_notional(Asset::kSpot, "revert"), "30"_d);
  EXPECT_EQ(manager.committed_notional(Asset::kSpot, "unknown"), Decimal::zero());
  EXPECT_EQ(manager.open_notional(Asset::kSpot), "180"_d);
  manager.record_position_closed(Asset::kSpot, "trend", "100"_d, "12.5"_d, kT0 + kHourMs);
  EXPECT_EQ(manager.open_positions(Asset::kSpot), 2);
  EXPECT_EQ(manager.committed_notional(Asset::kSpot, "trend"), "50"_d);
  EXPECT_EQ(manager.last_loss_at(Asset::kSpot, "trend"), std::nullopt);  // a win
  manager.record_position_closed(Asset::kSpot, "revert", "30"_d, "-1"_d, kT0 + kHourMs);
  EXPECT_EQ(manager.last_loss_at(Asset::kSpot, "revert"), kT0 + kHourMs);
  EXPECT_EQ(manager.open_positions(Asset::kPerp), 0);
}

TEST(RiskLedger, ACloseItNeverSawOpenedClampsAtZero) {
  RiskManager manager = funded_manager();
  manager.record_position_closed(Asset::kSpot, "trend", "100"_d, "-5"_d, kT0);
  EXPECT_EQ(manager.open_positions(Asset::kSpot), 0);
  EXPECT_EQ(manager.committed_notional(Asset::kSpot, "trend"), Decimal::zero());
  EXPECT_EQ(manager.last_loss_at(Asset::kSpot, "trend"), kT0);  // the loss still counts
}

TEST(RiskLedger, DayStartEquityIsTheFirstRecordOfEachUtcDay) {
  RiskManager manager(default_limits());
  manager.record_equity(Asset::kSpot, "1000"_d, kT0);
  manager.record_equity(Asset::kSpot, "980"_d, kT0 + kHourMs);
  EXPECT_EQ(manager.day_start_equity(Asset::kSpot, kT0 + kHourMs), "1000"_d);
  EXPECT_EQ(manager.daily_loss(Asset::kSpot, kT0 + kHourMs), "20"_d);
  // A gain is no loss.
  manager.record_equity(Asset::kSpot, "1010"_d, kT0 + 2 * kHourMs);
  EXPECT_EQ(manager.daily_loss(Asset::kSpot, kT0 + 2 * kHourMs), Decimal::zero());
  // The next UTC day has no start equity until something is recorded in it.
  const TimestampMs midnight = parse_iso8601("2024-03-02T00:00:00Z");
  EXPECT_EQ(manager.day_start_equity(Asset::kSpot, midnight), std::nullopt);
  manager.record_equity(Asset::kSpot, "1005"_d, midnight + kSecondMs);
  EXPECT_EQ(manager.day_start_equity(Asset::kSpot, midnight + kSecondMs), "1005"_d);
}

// --- compute_size
// ---------------------------------------------------------------------------------

TEST(ComputeSize, SizesABuyFromEquityRiskAndStop) {
  const RiskManager manager = uncapped_manager();
  OrderContext order = buy_entry();
  order.quantity = Decimal::zero();
  // 1000 x 0.01 / 600 = 0.016666... -> 0.016 at qty_step 0.001.
  const SizeResult result = manager.compute_size(order, btc(), "1000"_d);
  EXPECT_TRUE(result.decision.ok) << result.decision.reason;
  EXPECT_EQ(result.quantity, "0.016"_d);
  EXPECT_EQ(result.risk_fraction_used, "0.01"_d);
}

TEST(ComputeSize, SizesASellTheSameWay) {
  const RiskManager manager = uncapped_manager();
  // |60000 - 60600| = 600: 0.016 again.
  EXPECT_EQ(manager.compute_size(sell_entry(), btc(), "1000"_d).quantity, "0.016"_d);
}

TEST(ComputeSize, UsesTheLimitPriceAsEntry) {
  const RiskManager manager = uncapped_manager();
  OrderContext order = buy_entry();
  order.type = OrderType::kLimit;
  order.limit_price = "59700"_d;
  // 10 / (59700 - 59400) = 10 / 300 = 0.0333... -> 0.033.
  EXPECT_EQ(manager.compute_size(order, btc(), "1000"_d).quantity, "0.033"_d);
}

TEST(ComputeSize, UsesTheEquityItIsGiven) {
  const RiskManager manager = uncapped_manager();  // the ledger says 1000
  // 2500 x 0.01 / 600 = 0.041666... -> 0.041.
  EXPECT_EQ(manager.compute_size(buy_entry(), btc(), "2500"_d).quantity, "0.041"_d);
}

TEST(ComputeSize, RoundsDownToTheInstrumentStep) {
  const RiskManager manager = uncapped_manager();
  data::InstrumentInfo info = btc();
  info.min_qty = Decimal::zero();
  info.qty_step = "0.01"_d;  // 0.0166... -> 0.01
  EXPECT_EQ(manager.compute_size(buy_entry(), info, "1000"_d).quantity, "0.01"_d);
  info.qty_step = "0.0001"_d;  // -> 0.0166
  EXPECT_EQ(manager.compute_size(buy_entry(), info, "1000"_d).quantity, "0.0166"_d);
  info.qty_step = "0.005"_d;  // -> 0.015
  EXPECT_EQ(manager.compute_size(buy_entry(), info, "1000"_d).quantity, "0.015"_d);
}

TEST(ComputeSize, CapsAtMaxQuantityOnTheStep) {
  const RiskManager manager = uncapped_manager();
  data::InstrumentInfo info = btc();
  info.max_qty = "0.01"_d;  // 0.016 -> 0.01
  EXPECT_EQ(manager.compute_size(buy_entry(), info, "1000"_d).quantity, "0.01"_d);
  info.max_qty = "0.0105"_d;  // off the step: 0.0105 -> 0.01
  EXPECT_EQ(manager.compute_size(buy_entry(), info, "1000"_d).quantity, "0.01"_d);
  info.max_qty = Decimal::zero();  // unknown: no cap
  EXPECT_EQ(manager.compute_size(buy_entry(), info, "1000"_d).quantity, "0.016"_d);
}

// The risk-based size is cut to the room the caps leave: with the default spot band
// (per_strategy_cap 0.25), 0.016 x 60000 = 960 exceeds 0.25 x 1000 = 250, so the size is
// 250 / 60000 = 0.004166... -> 0.004 at qty_step 0.001.
TEST(ComputeSize, IsCutToTheRoomThePerStrategyAndLeverageCapsLeave) {
  RiskManager manager = funded_manager();
  EXPECT_EQ(manager.compute_size(buy_entry(), btc(), "1000"_d).quantity, "0.004"_d);
  // 120 already committed by the strategy: room 130 -> 130 / 60000 = 0.00216 -> 0.002.
  manager.record_position_opened(Asset::kSpot, buy_entry().strategy_id, "120"_d, kT0);
  EXPECT_EQ(manager.compute_size(buy_entry(), btc(), "1000"_d).quantity, "0.002"_d);
  // Nothing left: refused with the cap that binds.
  manager.record_position_opened(Asset::kSpot, buy_entry().strategy_id, "130"_d, kT0);
  const SizeResult full = manager.compute_size(buy_entry(), btc(), "1000"_d);
  EXPECT_EQ(full.decision.code(), "per_strategy_cap") << full.decision.reason;
  EXPECT_EQ(full.quantity, Decimal::zero());
}

TEST(ComputeSize, RefusesBelowTheMinimumQuantity) {
  const RiskManager manager = uncapped_manager();
  data::InstrumentInfo info = btc();
  info.min_qty = "0.02"_d;
  const SizeResult result = manager.compute_size(buy_entry(), info, "1000"_d);
  EXPECT_FALSE(result.decision.ok);
  EXPECT_EQ(result.decision.reason, "quantity_below_minimum: quantity 0.016 < min_qty 0.02");
  EXPECT_EQ(result.decision.code(), "quantity_below_minimum");
  EXPECT_EQ(result.quantity, Decimal::zero());
  // Equity 50: 0.5 / 600 = 0.000833... -> 0 at step 0.001.
  EXPECT_EQ(manager.compute_size(buy_entry(), btc(), "50"_d).decision.reason,
            "quantity_below_minimum: quantity 0 is not positive");
}

TEST(ComputeSize, RefusesBelowTheMinimumNotional) {
  const RiskManager manager = uncapped_manager();
  data::InstrumentInfo info = btc();
  info.min_notional = "100"_d;
  // Equity 100: 1 / 600 = 0.001666... -> 0.001; notional 0.001 x 60000 = 60 < 100.
  const SizeResult result = manager.compute_size(buy_entry(), info, "100"_d);
  EXPECT_EQ(result.decision.reason,
            "notional_below_minimum: notional 60 (quantity 0.001 x price 60000) < min_notional "
            "100");
  EXPECT_EQ(result.quantity, Decimal::zero());
  // Exactly at the minimum passes: min_notional 60.
  info.min_notional = "60"_d;
  EXPECT_TRUE(manager.compute_size(buy_entry(), info, "100"_d).decision.ok);
}

TEST(ComputeSize, RefusesZeroStopDistanceMissingStopAndNoEquity) {
  const RiskManager manager = funded_manager();
  OrderContext order = buy_entry();
  order.stop_loss = "60000"_d;
  EXPECT_EQ(manager.compute_size(order, btc(), "1000"_d).decision.reason,
            "zero_stop_distance: entry 60000 equals stop_loss 60000");
  order.stop_loss = Decimal::zero();
  EXPECT_EQ(manager.compute_size(order, btc(), "1000"_d).decision.reason,
            "missing_protection: sizing needs a stop_loss > 0, got stop_loss 0");
  EXPECT_EQ(manager.compute_size(buy_entry(), btc(), Decimal::zero()).decision.reason,
            "no_equity: equity 0 on spot is not positive");
}

TEST(ComputeSize, DrawdownThrottleAtZeroMidAndFull) {
  // Spot: risk 1 %, throttle from 5 %, halt at 15 %; peak 1000 at kT0.
  const auto size_at = [](const char* equity) {
    RiskManager manager = uncapped_manager();
    const Decimal value = Decimal::parse(equity);
    manager.record_equity(Asset::kSpot, value, kT0 + kMinuteMs);
    return manager.compute_size(buy_entry(), btc(), value);
  };
  // No drawdown: 1 %, 1000 x 0.01 / 600 -> 0.016.
  SizeResult result = size_at("1000");
  EXPECT_EQ(result.risk_fraction_used, "0.01"_d);
  EXPECT_EQ(result.quantity, "0.016"_d);
  // Drawdown 5 % = throttle start: still 1 %; 950 x 0.01 / 600 = 0.015833 -> 0.015.
  result = size_at("950");
  EXPECT_EQ(result.risk_fraction_used, "0.01"_d);
  EXPECT_EQ(result.quantity, "0.015"_d);
  // Drawdown 10 %, halfway: 0.01 x (0.15 - 0.10) / (0.15 - 0.05) = 0.005;
  // 900 x 0.005 / 600 = 0.0075 -> 0.007.
  result = size_at("900");
  EXPECT_EQ(result.risk_fraction_used, "0.005"_d);
  EXPECT_EQ(result.quantity, "0.007"_d);
  // Drawdown 12.5 %: 0.01 x 0.025 / 0.1 = 0.0025; 875 x 0.0025 / 600 = 0.003645 -> 0.003.
  result = size_at("875");
  EXPECT_EQ(result.risk_fraction_used, "0.0025"_d);
  EXPECT_EQ(result.quantity, "0.003"_d);
  // Drawdown 15 % = halt: 0, refused.
  result = size_at("850");
  EXPECT_EQ(result.risk_fraction_used, Decimal::zero());
  EXPECT_EQ(result.quantity, Decimal::zero());
  EXPECT_EQ(result.decision.reason,
            "drawdown_halt: drawdown 0.15 >= drawdown_halt 0.15, risk fraction throttled to 0");
  // Beyond the halt: still 0.
  EXPECT_EQ(size_at("700").risk_fraction_used, Decimal::zero());
}

TEST(ComputeSize, OptionsThrottleUsesTheOptionsBand) {
  // Options: risk 0.25 %, throttle from 3 %, halt at 10 %. Drawdown 6.5 % (1000 -> 935):
  // 0.0025 x (0.10 - 0.065) / (0.10 - 0.03) = 0.0025 x 0.5 = 0.00125.
  RiskManager manager(default_limits());
  manager.record_equity(Asset::kOptions, "1000"_d, kT0);
  manager.record_equity(Asset::kOptions, "935"_d, kT0 + kMinuteMs);
  EXPECT_EQ(manager.effective_risk_fraction(Asset::kOptions), "0.00125"_d);
  OrderContext order = buy_entry();
  order.asset = Asset::kOptions;
  order.reference_price = "100"_d;
  order.stop_loss = "95"_d;
  order.take_profit = "110"_d;
  data::InstrumentInfo contract = btc();
  contract.qty_step = "1"_d;
  contract.min_qty = "1"_d;
  // 935 x 0.00125 = 1.16875 at risk over a 5 stop: 0.23375 -> 0 contracts: refused.
  EXPECT_EQ(manager.compute_size(order, contract, "935"_d).decision.reason,
            "quantity_below_minimum: quantity 0 is not positive");
  // Spot at the same time is unthrottled (nothing recorded there: no drawdown).
  EXPECT_EQ(manager.effective_risk_fraction(Asset::kSpot), "0.01"_d);
}

// --- pretrade_check
// -------------------------------------------------------------------------------

TEST(PretradeCheck, PassesAnEntryWithinEveryRule) {
  RiskManager manager = funded_manager();
  manager.record_equity(Asset::kPerp, "1000"_d, kT0);
  EXPECT_EQ(manager.pretrade_check(buy_entry(), btc(), kT0), Decision::allow());
  OrderContext short_perp = sell_entry();
  short_perp.asset = Asset::kPerp;
  EXPECT_EQ(manager.pretrade_check(short_perp, btc(), kT0), Decision::allow());
  // Spot holds no shorts: a sell entry there is refused before anything else.
  EXPECT_EQ(manager.pretrade_check(sell_entry(), btc(), kT0).reason,
            "no_short: spot cannot open a short (sell entry)");
  EXPECT_FALSE(RiskManager::can_open(Asset::kSpot, OrderSide::kSell));
  EXPECT_TRUE(RiskManager::can_open(Asset::kPerp, OrderSide::kSell));
}

TEST(PretradeCheck, MissingProtection) {
  const RiskManager manager = funded_manager();
  OrderContext order = buy_entry();
  order.stop_loss = Decimal::zero();
  const Decision decision = manager.pretrade_check(order, btc(), kT0);
  EXPECT_FALSE(decision.ok);
  EXPECT_EQ(decision.code(), "missing_protection");
  EXPECT_EQ(decision.reason,
            "missing_protection: an entry needs stop_loss and take_profit > 0, got stop_loss 0 "
            "and take_profit 61200");
  order = buy_entry();
  order.take_profit = Decimal::zero();
  EXPECT_EQ(manager.pretrade_check(order, btc(), kT0).reason,
            "missing_protection: an entry needs stop_loss and take_profit > 0, got stop_loss "
            "59400 and take_profit 0");
}

TEST(PretradeCheck, StopOnWrongSide) {
  RiskManager manager = funded_manager();
  manager.record_equity(Asset::kPerp, "1000"_d, kT0);
  OrderContext order = buy_entry();
  order.stop_loss = "60500"_d;  // above the reference of a buy
  EXPECT_EQ(manager.pretrade_check(order, btc(), kT0).reason,
            "stop_on_wrong_side: a buy needs stop_loss < reference < take_profit, got stop_loss "
            "60500, reference 60000, take_profit 61200");
  order = buy_entry();
  order.take_profit = "59900"_d;  // a buy's target below the reference
  EXPECT_EQ(manager.pretrade_check(order, btc(), kT0).code(), "stop_on_wrong_side");
  order = buy_entry();
  order.stop_loss = "60000"_d;  // equal to the reference is not below it
  EXPECT_EQ(manager.pretrade_check(order, btc(), kT0).code(), "stop_on_wrong_side");
  order = sell_entry();
  order.asset = Asset::kPerp;
  order.stop_loss = "59400"_d;  // a sell's stop below the reference
  EXPECT_EQ(manager.pretrade_check(order, btc(), kT0).reason,
            "stop_on_wrong_side: a sell needs take_profit < reference < stop_loss, got "
            "stop_loss 59400, reference 60000, take_profit 58800");
}

TEST(PretradeCheck, StopDistanceAsAFractionOfTheEntry) {
  const RiskManager manager = funded_manager();
  OrderContext order = buy_entry();
  // Spot bounds: [0.002, 0.05] x 60000 = [120, 3000].
  order.stop_loss = "59900"_d;  // distance 100 < 120
  EXPECT_EQ(manager.pretrade_check(order, btc(), kT0).reason,
            "sl_too_close: stop distance 100 < min_sl_fraction 0.002 x entry 60000 = 120");
  order.stop_loss = "59880"_d;  // distance 120: at the bound, allowed
  EXPECT_TRUE(manager.pretrade_check(order, btc(), kT0).ok);
  order.stop_loss = "56400"_d;  // distance 3600 > 3000
  EXPECT_EQ(manager.pretrade_check(order, btc(), kT0).reason,
            "sl_too_far: stop distance 3600 > max_sl_fraction 0.05 x entry 60000 = 3000");
  order.stop_loss = "57000"_d;  // distance 3000: at the bound, allowed
  EXPECT_TRUE(manager.pretrade_check(order, btc(), kT0).ok);
}

TEST(PretradeCheck, StopDistanceIsMeasuredFromTheLimitPrice) {
  const RiskManager manager = funded_manager();
  OrderContext order = buy_entry();
  order.type = OrderType::kLimit;
  order.limit_price = "59500"_d;
  // |59500 - 59400| = 100 < 0.002 x 59500 = 119 (from the reference it would be 600).
  EXPECT_EQ(manager.pretrade_check(order, btc(), kT0).reason,
            "sl_too_close: stop distance 100 < min_sl_fraction 0.002 x entry 59500 = 119");
}

TEST(PretradeCheck, StopDistanceInAtrMultiples) {
  const RiskManager manager = funded_manager();
  OrderContext order = buy_entry();  // distance 600; spot bounds [0.5, 5] ATR
  order.atr = 1500;                  // 0.5 x 1500 = 750 > 600
  EXPECT_EQ(manager.pretrade_check(order, btc(), kT0).reason,
            "sl_too_close: stop distance 600 < min_sl_atr 0.5 x atr 1500 = 750");
  order.atr = 100;  // 5 x 100 = 500 < 600
  EXPECT_EQ(manager.pretrade_check(order, btc(), kT0).reason,
            "sl_too_far: stop distance 600 > max_sl_atr 5 x atr 100 = 500");
  order.atr = 1200;  // 0.5 x 1200 = 600: at the bound, allowed
  EXPECT_TRUE(manager.pretrade_check(order, btc(), kT0).ok);
  order.atr = 120;  // 5 x 120 = 600: at the bound, allowed
  EXPECT_TRUE(manager.pretrade_check(order, btc(), kT0).ok);
  order.atr = 0;  // unknown: the ATR rule is skipped
  EXPECT_TRUE(manager.pretrade_check(order, btc(), kT0).ok);
}

TEST(PretradeCheck, NoEquityRecorded) {
  const RiskManager manager(default_limits());
  EXPECT_EQ(manager.pretrade_check(buy_entry(), btc(), kT0).reason,
            "no_equity: no positive equity recorded for spot, got 0");
}

TEST(PretradeCheck, DailyLossCap) {
  RiskManager manager = funded_manager();  // day start 1000
  // Spot cap 0.05 x 1000 = 50. Loss 49.99: allowed.
  manager.record_equity(Asset::kSpot, "950.01"_d, kT0 + kHourMs);
  EXPECT_TRUE(manager.pretrade_check(buy_entry(), btc(), kT0 + kHourMs).ok);
  // Loss 50: refused.
  manager.record_equity(Asset::kSpot, "950"_d, kT0 + kHourMs);
  EXPECT_EQ(manager.pretrade_check(buy_entry(), btc(), kT0 + kHourMs).reason,
            "daily_loss_cap: loss today 50 >= daily_loss_cap 0.05 x day-start equity 1000 = 50");
}

TEST(PretradeCheck, DailyLossResetsAtUtcMidnight) {
  RiskManager manager = funded_manager();  // 1000 at 2024-03-01T10:00Z
  manager.record_equity(Asset::kSpot, "940"_d, parse_iso8601("2024-03-01T20:00:00Z"));
  // Loss 60 >= 50 until the last millisecond of the day.
  EXPECT_EQ(
      manager.pretrade_check(buy_entry(), btc(), parse_iso8601("2024-03-01T23:59:59.999Z")).code(),
      "daily_loss_cap");
  // From midnight UTC the loss is zero, even before a new equity record.
  const TimestampMs midnight = parse_iso8601("2024-03-02T00:00:00Z");
  EXPECT_EQ(manager.daily_loss(Asset::kSpot, midnight), Decimal::zero());
  EXPECT_TRUE(manager.pretrade_check(buy_entry(), btc(), midnight).ok);
  // The first record of the new day is its start: 940, cap 0.05 x 940 = 47.
  manager.record_equity(Asset::kSpot, "940"_d, midnight + 5 * kSecondMs);
  manager.record_equity(Asset::kSpot, "900"_d, midnight + 8 * kHourMs);  // loss 40
  EXPECT_TRUE(manager.pretrade_check(buy_entry(), btc(), midnight + 8 * kHourMs).ok);
  manager.record_equity(Asset::kSpot, "893"_d, midnight + 9 * kHourMs);  // loss 47
  EXPECT_EQ(manager.pretrade_check(buy_entry(), btc(), midnight + 9 * kHourMs).reason,
            "daily_loss_cap: loss today 47 >= daily_loss_cap 0.05 x day-start equity 940 = 47");
}

TEST(PretradeCheck, DrawdownHalt) {
  RiskManager manager = funded_manager();  // peak 1000
  // A new day so that the daily cap does not fire first: day start 850.01.
  const TimestampMs next_day = parse_iso8601("2024-03-02T09:00:00Z");
  manager.record_equity(Asset::kSpot, "850.01"_d, next_day);
  // Drawdown 149.99 / 1000 = 0.14999 < 0.15: allowed (180 <= 0.25 x 850.01 = 212.5025).
  EXPECT_TRUE(manager.pretrade_check(buy_entry(), btc(), next_day).ok);
  // Later that day (a day without entries would restart the peak: drawdown_reset_after).
  const TimestampMs later = parse_iso8601("2024-03-02T21:00:00Z");
  manager.record_equity(Asset::kSpot, "850"_d, later);
  EXPECT_EQ(manager.pretrade_check(buy_entry(), btc(), later).reason,
            "drawdown_halt: drawdown 0.15 from peak 1000 to equity 850 >= drawdown_halt 0.15");
}

// Reallocations move money, not P&L: removing $200 of a $1,000 spot bucket (the API's
// reallocation steps) trips neither the daily loss cap (50) nor the drawdown halt (0.15), and
// a trading loss after it is measured from the reduced base.
TEST(PretradeCheck, ATransferIsNeitherALossNorAGain) {
  RiskManager manager = funded_manager();  // 1000: peak and day start
  manager.record_transfer(Asset::kSpot, "-200"_d);
  EXPECT_EQ(manager.equity(Asset::kSpot), "800"_d);
  EXPECT_EQ(manager.peak_equity(Asset::kSpot), "800"_d);
  EXPECT_EQ(manager.day_start_equity(Asset::kSpot, kT0 + kHourMs), "800"_d);
  manager.record_equity(Asset::kSpot, "800"_d, kT0 + kHourMs);  // the next mark agrees
  EXPECT_EQ(manager.drawdown(Asset::kSpot), Decimal::zero());
  EXPECT_EQ(manager.daily_loss(Asset::kSpot, kT0 + kHourMs), Decimal::zero());
  EXPECT_TRUE(manager.pretrade_check(buy_entry(), btc(), kT0 + kHourMs).ok);
  // A loss of 40 after it: 40 / 800 = 0.05 of drawdown, the cap 0.05 x 800 = 40 reached.
  manager.record_equity(Asset::kSpot, "760"_d, kT0 + 2 * kHourMs);
  EXPECT_EQ(manager.drawdown(Asset::kSpot), "0.05"_d);
  EXPECT_EQ(manager.pretrade_check(buy_entry(), btc(), kT0 + 2 * kHourMs).reason,
            "daily_loss_cap: loss today 40 >= daily_loss_cap 0.05 x day-start equity 800 = 40");
  // Money added back raises the base by as much: the loss stays 40.
  manager.record_transfer(Asset::kSpot, "100"_d);
  EXPECT_EQ(manager.equity(Asset::kSpot), "860"_d);
  EXPECT_EQ(manager.peak_equity(Asset::kSpot), "900"_d);
  EXPECT_EQ(manager.daily_loss(Asset::kSpot, kT0 + 2 * kHourMs), "40"_d);
}

// A stalled drawdown resets: a day (drawdown_reset_after) beyond drawdown_throttle_start (0.05)
// with no entry and no position open restarts the peak at the equity. That covers the halt and
// a throttle so deep that every entry sizes to nothing (0.1499 here: 0.1 % of the size). An
// entry, an open position or a recovery restarts the day; with the reset off only a recovery
// lifts the halt.
TEST(PretradeCheck, AStalledDrawdownRestartsThePeakAfterADay) {
  RiskManager manager = funded_manager();  // peak 1000 at kT0
  EXPECT_EQ(manager.limits(Asset::kSpot).drawdown_reset_after, kDayMs);
  const TimestampMs from = kT0 + kHourMs;
  manager.record_equity(Asset::kSpot, "850.1"_d, from);  // 0.1499: throttled, not halted
  EXPECT_TRUE(manager.drawdown_halt(Asset::kSpot).ok);
  manager.record_equity(Asset::kSpot, "850.1"_d, from + kDayMs - 1);
  EXPECT_EQ(manager.peak_equity(Asset::kSpot), "1000"_d);
  manager.record_equity(Asset::kSpot, "850.1"_d, from + kDayMs);
  EXPECT_EQ(manager.peak_equity(Asset::kSpot), "850.1"_d);
  EXPECT_EQ(manager.drawdown(Asset::kSpot), Decimal::zero());

  // The halt itself, saved and restored on the way: the day counts from the last entry.
  manager.record_position_opened(Asset::kSpot, "trend", "10"_d, from + 2 * kDayMs);
  manager.record_equity(Asset::kSpot, "700"_d, from + 2 * kDayMs);  // 0.177: halted
  manager.record_position_closed(Asset::kSpot, "trend", "10"_d, "-150.1"_d, from + 2 * kDayMs);
  EXPECT_EQ(manager.drawdown_halt(Asset::kSpot).code(), "drawdown_halt");
  RiskManager restored(default_limits());
  restored.restore_state(manager.save_state());
  restored.record_equity(Asset::kSpot, "700"_d, from + 3 * kDayMs - 1);
  EXPECT_EQ(restored.drawdown_halt(Asset::kSpot).code(), "drawdown_halt");
  restored.record_equity(Asset::kSpot, "700"_d, from + 3 * kDayMs);
  EXPECT_EQ(restored.peak_equity(Asset::kSpot), "700"_d);
  EXPECT_TRUE(restored.drawdown_halt(Asset::kSpot).ok);

  // Entries keep the throttle at work: a drawdown that still trades is not reset.
  RiskManager trading = funded_manager();
  for (int day = 0; day < 5; ++day) {
    const TimestampMs at = from + day * kDayMs;
    trading.record_position_opened(Asset::kSpot, "trend", "10"_d, at);
    trading.record_equity(Asset::kSpot, "900"_d, at);
    trading.record_position_closed(Asset::kSpot, "trend", "10"_d, "-1"_d, at + kHourMs);
  }
  trading.record_equity(Asset::kSpot, "900"_d, from + 4 * kDayMs + 2 * kHourMs);
  EXPECT_EQ(trading.peak_equity(Asset::kSpot), "1000"_d);
  // A position open all along: not stalled either.
  RiskManager holding = funded_manager();
  holding.record_position_opened(Asset::kSpot, "trend", "10"_d, kT0);
  holding.record_equity(Asset::kSpot, "800"_d, from);
  holding.record_equity(Asset::kSpot, "800"_d, from + 3 * kDayMs);
  EXPECT_EQ(holding.peak_equity(Asset::kSpot), "1000"_d);

  // Off: only a recovery lifts the halt.
  RiskLimitsByAsset limits = default_limits();
  limits[static_cast<std::size_t>(Asset::kSpot)].drawdown_reset_after = 0;
  RiskManager never(limits);
  never.record_equity(Asset::kSpot, "1000"_d, kT0);
  never.record_equity(Asset::kSpot, "800"_d, from);
  never.record_equity(Asset::kSpot, "800"_d, from + 30 * kDayMs);
  EXPECT_EQ(never.peak_equity(Asset::kSpot), "1000"_d);
  EXPECT_EQ(never.drawdown_halt(Asset::kSpot).code(), "drawdown_halt");
}

TEST(PretradeCheck, MaxOpenPositions) {
  RiskManager manager = funded_manager();
  for (int i = 0; i < 5; ++i) {
    manager.record_position_opened(Asset::kSpot, "other", "10"_d, kT0);
  }
  EXPECT_EQ(manager.pretrade_check(buy_entry(), btc(), kT0).reason,
            "max_open_positions: 5 open on spot >= max_open_positions 5");
  manager.record_position_closed(Asset::kSpot, "other", "10"_d, "1"_d, kT0 + kMinuteMs);
  EXPECT_TRUE(manager.pretrade_check(buy_entry(), btc(), kT0 + kMinuteMs).ok);
  // Other assets have their own count.
  EXPECT_EQ(manager.open_positions(Asset::kPerp), 0);
}

TEST(PretradeCheck, PerStrategyCap) {
  RiskManager manager = funded_manager();
  // Cap 0.25 x 1000 = 250. Committed 70 + order 180 = 250: allowed.
  manager.record_position_opened(Asset::kSpot, "trend", "70"_d, kT0);
  EXPECT_TRUE(manager.pretrade_check(buy_entry(), btc(), kT0).ok);
  // Committed 100 + 180 = 280 > 250: refused.
  manager.record_position_opened(Asset::kSpot, "trend", "30"_d, kT0);
  EXPECT_EQ(manager.pretrade_check(buy_entry(), btc(), kT0).reason,
            "per_strategy_cap: strategy trend committed 100 + order 180 = 280 > "
            "per_strategy_cap 0.25 x equity 1000 = 250");
  // Another strategy's commitment does not count against this one.
  OrderContext other = buy_entry();
  other.strategy_id = "revert";
  EXPECT_TRUE(manager.pretrade_check(other, btc(), kT0).ok);
}

TEST(PretradeCheck, LeverageCapOnTheRequestedLeverage) {
  RiskManager manager = funded_manager();
  OrderContext order = buy_entry();
  order.leverage = 2;  // spot max 1
  EXPECT_EQ(manager.pretrade_check(order, btc(), kT0).reason,
            "leverage_cap: leverage 2 > max_leverage 1");
  // Perp allows 3.
  manager.record_equity(Asset::kPerp, "1000"_d, kT0);
  order.asset = Asset::kPerp;
  order.leverage = 3;
  EXPECT_TRUE(manager.pretrade_check(order, btc(), kT0).ok);
  order.leverage = 3.5;
  EXPECT_EQ(manager.pretrade_check(order, btc(), kT0).reason,
            "leverage_cap: leverage 3.5 > max_leverage 3");
}

TEST(PretradeCheck, LeverageCapOnTheAssetsOpenNotional) {
  RiskManager manager = funded_manager();
  // Four strategies hold 250 + 250 + 250 + 200 = 950 on spot (4 positions < 5).
  manager.record_position_opened(Asset::kSpot, "a", "250"_d, kT0);
  manager.record_position_opened(Asset::kSpot, "b", "250"_d, kT0);
  manager.record_position_opened(Asset::kSpot, "c", "250"_d, kT0);
  manager.record_position_opened(Asset::kSpot, "d", "200"_d, kT0);
  // 950 + 180 = 1130 > 1 x 1000.
  EXPECT_EQ(manager.pretrade_check(buy_entry(), btc(), kT0).reason,
            "leverage_cap: open notional 950 + order 180 = 1130 > max_leverage 1 x equity 1000 "
            "= 1000");
  // 950 - 200 + 180 = 930: allowed.
  manager.record_position_closed(Asset::kSpot, "d", "200"_d, "3"_d, kT0);
  EXPECT_TRUE(manager.pretrade_check(buy_entry(), btc(), kT0).ok);
}

TEST(PretradeCheck, CooldownAfterALossExpires) {
  RiskManager manager = funded_manager();
  manager.record_position_opened(Asset::kSpot, "trend", "180"_d, kT0);
  const TimestampMs lost_at = parse_iso8601("2024-03-01T11:00:00Z");
  manager.record_position_closed(Asset::kSpot, "trend", "180"_d, "-6"_d, lost_at);
  // Spot cooldown 30 minutes: refused until 11:30:00.000.
  const Decision decision =
      manager.pretrade_check(buy_entry(), btc(), lost_at + 30 * kMinuteMs - 1);
  EXPECT_EQ(decision.reason,
            "cooldown: strategy trend lost at 2024-03-01T11:00:00.000Z, cooling down until "
            "2024-03-01T11:30:00.000Z");
  EXPECT_TRUE(manager.pretrade_check(buy_entry(), btc(), lost_at + 30 * kMinuteMs).ok);
  // Another strategy was never in cooldown.
  OrderContext other = buy_entry();
  other.strategy_id = "revert";
  EXPECT_TRUE(manager.pretrade_check(other, btc(), lost_at).ok);
}

TEST(PretradeCheck, AWinDoesNotStartACooldown) {
  RiskManager manager = funded_manager();
  manager.record_position_opened(Asset::kSpot, "trend", "180"_d, kT0);
  manager.record_position_closed(Asset::kSpot, "trend", "180"_d, "6"_d, kT0 + kMinuteMs);
  manager.record_position_opened(Asset::kSpot, "trend", "60"_d, kT0);
  manager.record_position_closed(Asset::kSpot, "trend", "60"_d, Decimal::zero(), kT0);
  EXPECT_TRUE(manager.pretrade_check(buy_entry(), btc(), kT0 + 2 * kMinuteMs).ok);
}

TEST(PretradeCheck, InstrumentMinimumsOnEntries) {
  const RiskManager manager = funded_manager();
  OrderContext order = buy_entry();
  order.quantity = "0.0005"_d;
  EXPECT_EQ(manager.pretrade_check(order, btc(), kT0).reason,
            "quantity_below_minimum: quantity 0.0005 < min_qty 0.001");
  data::InstrumentInfo info = btc();
  info.min_notional = "200"_d;  // 0.003 x 60000 = 180 < 200
  EXPECT_EQ(manager.pretrade_check(buy_entry(), info, kT0).reason,
            "notional_below_minimum: notional 180 (quantity 0.003 x price 60000) < min_notional "
            "200");
}

TEST(PretradeCheck, SizesAnOrderWithoutQuantity) {
  const RiskManager manager = funded_manager();
  OrderContext order = buy_entry();
  order.quantity = Decimal::zero();
  // Sized at 0.016 by risk (notional 960), cut to the per-strategy room 250 / 60000 -> 0.004:
  // allowed.
  EXPECT_TRUE(manager.pretrade_check(order, btc(), kT0).ok);
  // A wider stop sizes smaller: 10 / 3000 = 0.00333 -> 0.003, notional 180: allowed.
  order.stop_loss = "57000"_d;
  EXPECT_TRUE(manager.pretrade_check(order, btc(), kT0).ok);
  // Too small to size: equity 100, 1 / 3000 = 0.00033 -> 0.
  RiskManager small(default_limits());
  small.record_equity(Asset::kSpot, "100"_d, kT0);
  EXPECT_EQ(small.pretrade_check(order, btc(), kT0).reason,
            "quantity_below_minimum: quantity 0 is not positive");
}

TEST(PretradeCheck, ExitsSkipEveryEntryRule) {
  RiskManager manager(default_limits());  // no equity at all
  OrderContext order = exit_order();      // no stop, no target
  order.leverage = 10;
  EXPECT_TRUE(manager.pretrade_check(order, btc(), kT0).ok);
  // Deep drawdown, daily loss, full book and cooldown do not stop an exit either.
  manager.record_equity(Asset::kSpot, "1000"_d, kT0);
  manager.record_equity(Asset::kSpot, "500"_d, kT0 + kMinuteMs);
  for (int i = 0; i < 6; ++i) manager.record_position_opened(Asset::kSpot, "trend", "500"_d, kT0);
  manager.record_position_closed(Asset::kSpot, "trend", "500"_d, "-50"_d, kT0 + kMinuteMs);
  EXPECT_TRUE(manager.pretrade_check(order, btc(), kT0 + 2 * kMinuteMs).ok);
  // The same order as an entry is refused.
  OrderContext entry = buy_entry();
  EXPECT_EQ(manager.pretrade_check(entry, btc(), kT0 + 2 * kMinuteMs).code(), "daily_loss_cap");
}

TEST(PretradeCheck, ExitsStillRespectInstrumentMinimums) {
  const RiskManager manager = funded_manager();
  OrderContext order = exit_order();
  order.quantity = "0.0005"_d;
  EXPECT_EQ(manager.pretrade_check(order, btc(), kT0).reason,
            "quantity_below_minimum: quantity 0.0005 < min_qty 0.001");
  order.quantity = Decimal::zero();  // an exit is never sized
  EXPECT_EQ(manager.pretrade_check(order, btc(), kT0).reason,
            "quantity_below_minimum: quantity 0 is not positive");
  order.quantity = "0.001"_d;
  order.reference_price = "4000"_d;  // 0.001 x 4000 = 4 < 5
  EXPECT_EQ(manager.pretrade_check(order, btc(), kT0).reason,
            "notional_below_minimum: notional 4 (quantity 0.001 x price 4000) < min_notional 5");
}

TEST(PretradeCheck, ReportsOnlyTheFirstFailingRule) {
  RiskManager manager(default_limits());
  OrderContext order = buy_entry();
  order.stop_loss = Decimal::zero();
  order.leverage = 9;
  order.quantity = "0.0001"_d;
  // Missing protection, no equity, leverage and minimum all fail: protection is first.
  EXPECT_EQ(manager.pretrade_check(order, btc(), kT0).code(), "missing_protection");
  order.stop_loss = "59400"_d;
  EXPECT_EQ(manager.pretrade_check(order, btc(), kT0).code(), "no_equity");
  // Daily loss 150 and drawdown 0.15 at once: the daily cap comes first.
  manager.record_equity(Asset::kSpot, "1000"_d, kT0);
  manager.record_equity(Asset::kSpot, "850"_d, kT0 + kMinuteMs);
  EXPECT_EQ(manager.pretrade_check(order, btc(), kT0 + kMinuteMs).code(), "daily_loss_cap");
  // Fine account: leverage before the minimum.
  manager.record_equity(Asset::kSpot, "1000"_d, kT0 + 2 * kMinuteMs);
  EXPECT_EQ(manager.pretrade_check(order, btc(), kT0 + 2 * kMinuteMs).code(), "leverage_cap");
  order.leverage = 1;
  EXPECT_EQ(manager.pretrade_check(order, btc(), kT0 + 2 * kMinuteMs).code(),
            "quantity_below_minimum");
}

TEST(PretradeCheck, NegativeQuantityIsABrokenInvariant) {
  const RiskManager manager = funded_manager();
  OrderContext order = buy_entry();
  order.quantity = "-1"_d;
  EXPECT_DEATH(manager.pretrade_check(order, btc(), kT0),
               "order quantity must not be negative, was -1");
}

// --- Hot reload
// -----------------------------------------------------------------------------------

TEST(RiskManagerReload, NewLimitsApplyToTheNextCheckAndKeepTheLedger) {
  RiskManager manager = funded_manager();
  manager.record_position_opened(Asset::kSpot, "trend", "50"_d, kT0);
  config::RiskLimits tighter = config::default_risk(Asset::kSpot);
  tighter.risk_fraction = 0.02;
  tighter.max_open_positions = 1;
  tighter.per_strategy_cap = 10;  // so the risk formula alone sizes
  tighter.max_leverage = 10;
  manager.set_limits(Asset::kSpot, tighter);
  EXPECT_EQ(manager.limits(Asset::kSpot), tighter);
  EXPECT_EQ(manager.limits(Asset::kPerp), config::default_risk(Asset::kPerp));
  // 1000 x 0.02 / 600 = 0.0333... -> 0.033.
  const SizeResult result = manager.compute_size(buy_entry(), btc(), "1000"_d);
  EXPECT_EQ(result.risk_fraction_used, "0.02"_d);
  EXPECT_EQ(result.quantity, "0.033"_d);
  // The open position stays on the ledger and now fills the book.
  EXPECT_EQ(manager.pretrade_check(buy_entry(), btc(), kT0).reason,
            "max_open_positions: 1 open on spot >= max_open_positions 1");
  // Reloading the defaults back lifts it.
  manager.set_limits(Asset::kSpot, config::default_risk(Asset::kSpot));
  EXPECT_TRUE(manager.pretrade_check(buy_entry(), btc(), kT0).ok);
}

// --- Persistence
// ---------------------------------------------------------------------------------

// Spot: a peak of 1100.123456789, equity 1040.5 (drawdown past the throttle start), two
// strategies committed and one of them cooling down after a loss. Perp: a day-start equity from
// the day before kT0's day and an open position. Options: equity only.
RiskManager busy_manager() {
  RiskManager manager(default_limits());
  manager.record_equity(Asset::kSpot, "1000"_d, kT0);
  manager.record_equity(Asset::kSpot, "1100.123456789"_d, kT0 + kHourMs);
  manager.record_equity(Asset::kSpot, "1040.5"_d, kT0 + 2 * kHourMs);
  manager.record_position_opened(Asset::kSpot, "trend", "150.25"_d, kT0 + 2 * kHourMs);
  manager.record_position_opened(Asset::kSpot, "mean", "40"_d, kT0 + 2 * kHourMs);
  manager.record_position_closed(Asset::kSpot, "mean", "40"_d, "-3.5"_d, kT0 + 3 * kHourMs);
  manager.record_equity(Asset::kPerp, "500"_d, kT0 - kDayMs);
  manager.record_equity(Asset::kPerp, "480"_d, kT0 - kDayMs + kHourMs);
  manager.record_position_opened(Asset::kPerp, "carry", "100"_d, kT0 - kDayMs + kHourMs);
  manager.record_equity(Asset::kOptions, "1000"_d, kT0);
  return manager;
}

// Every figure and answer of the manager on a grid of assets, strategies, sizes and times.
std::vector<std::string> outcomes(const RiskManager& manager, TimestampMs from) {
  std::vector<std::string> out;
  const std::vector<TimestampMs> times = {from, from + 29 * kMinuteMs, from + 30 * kMinuteMs,
                                          from + kDayMs};
  for (const Asset asset : kAllAssets) {
    out.push_back(std::string(to_string(asset)) + " equity " + manager.equity(asset).to_string() +
                  " peak " + manager.peak_equity(asset).to_string() + " drawdown " +
                  manager.drawdown(asset).to_string() + " open " +
                  std::to_string(manager.open_positions(asset)) + " notional " +
                  manager.open_notional(asset).to_string() + " risk " +
                  manager.effective_risk_fraction(asset).to_string());
    for (const TimestampMs now : times) {
      const std::optional<Decimal> day_start = manager.day_start_equity(asset, now);
      out.push_back("day start " + (day_start ? day_start->to_string() : "none") + " loss " +
                    manager.daily_loss(asset, now).to_string());
    }
    for (const char* strategy : {"trend", "mean", "carry", "fresh"}) {
      const std::optional<TimestampMs> lost = manager.last_loss_at(asset, strategy);
      out.push_back(std::string(strategy) + " committed " +
                    manager.committed_notional(asset, strategy).to_string() + " lost " +
                    (lost ? std::to_string(*lost) : "never"));
      for (const Decimal quantity : {"0.003"_d, Decimal::zero()}) {
        OrderContext order = buy_entry();
        order.asset = asset;
        order.strategy_id = strategy;
        order.quantity = quantity;
        const SizeResult size = manager.compute_size(order, btc(), manager.equity(asset));
        out.push_back(size.decision.reason + " " + size.quantity.to_string() + " " +
                      size.risk_fraction_used.to_string());
        for (const TimestampMs now : times) {
          const Decision decision = manager.pretrade_check(order, btc(), now);
          out.push_back(std::string(decision.ok ? "ok" : "denied") + " " + decision.reason);
        }
      }
    }
  }
  return out;
}

TEST(RiskManagerState, ARestoredLedgerSavesTheSameBytesAndDecidesTheSame) {
  RiskManager original = busy_manager();
  const std::string saved = original.save_state();
  EXPECT_EQ(original.save_state(), saved) << "saving is deterministic";

  RiskManager restored(default_limits());
  restored.restore_state(saved);
  EXPECT_EQ(restored.save_state(), saved);
  // Decimals come back exactly.
  EXPECT_EQ(restored.peak_equity(Asset::kSpot), "1100.123456789"_d);
  EXPECT_EQ(restored.equity(Asset::kSpot), "1040.5"_d);
  EXPECT_EQ(restored.committed_notional(Asset::kSpot, "trend"), "150.25"_d);
  EXPECT_EQ(restored.last_loss_at(Asset::kSpot, "mean"), kT0 + 3 * kHourMs);
  EXPECT_EQ(restored.day_start_equity(Asset::kPerp, kT0 - kDayMs), "500"_d);

  const TimestampMs later = kT0 + 3 * kHourMs;
  const std::vector<std::string> expected = outcomes(original, later);
  EXPECT_EQ(outcomes(restored, later), expected);
  // The grid is not trivial: the throttle, the cooldown and a plain pass all show up.
  const auto shows = [&](std::string_view text) {
    return std::any_of(expected.begin(), expected.end(), [&](const std::string& line) {
      return line.find(text) != std::string::npos;
    });
  };
  EXPECT_TRUE(shows("cooldown: strategy mean"));
  EXPECT_TRUE(shows("risk 0.009"));
  EXPECT_TRUE(shows("ok "));

  // The same further calls keep them in step.
  for (RiskManager* manager : {&original, &restored}) {
    manager->record_equity(Asset::kSpot, "990.000000001"_d, kT0 + kDayMs + kHourMs);
    manager->record_position_closed(Asset::kSpot, "trend", "150.25"_d, "-20"_d,
                                    kT0 + kDayMs + kHourMs);
    manager->record_equity(Asset::kPerp, "510"_d, kT0 + kDayMs);
  }
  EXPECT_EQ(restored.save_state(), original.save_state());
  EXPECT_EQ(outcomes(restored, kT0 + kDayMs + kHourMs), outcomes(original, kT0 + kDayMs + kHourMs));
}

TEST(RiskManagerState, AFreshLedgerRoundTrips) {
  const RiskManager original(default_limits());
  RiskManager restored = busy_manager();
  restored.restore_state(original.save_state());
  EXPECT_EQ(restored.save_state(), original.save_state());
  EXPECT_EQ(restored.equity(Asset::kSpot), Decimal::zero());
  EXPECT_EQ(restored.open_positions(Asset::kPerp), 0);
  EXPECT_EQ(restored.last_loss_at(Asset::kSpot, "mean"), std::nullopt);
}

TEST(RiskManagerState, MalformedStateThrowsAndKeepsTheLedger) {
  RiskManager manager = busy_manager();
  const std::string saved = manager.save_state();
  const auto replaced = [&](const std::string& from, const std::string& to) {
    std::string text = saved;
    const std::size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return text.replace(at, from.size(), to);
  };
  const std::vector<std::string> malformed = {
      "",
      "not json",
      "[]",
      "{}",
      R"({"assets":{}})",
      saved.substr(0, saved.size() / 2),
      replaced(R"("equity":"1040.5")", R"("equity":"1040.5.1")"),
      replaced(R"("equity":"1040.5")", R"("equity":1040.5)"),
      replaced(R"("equity":"1040.5")", R"("equity":"0.0000000001")"),
      replaced(R"("open_positions":1)", R"("open_positions":-1)"),
      replaced(R"("committed_notional":"150.25")", R"("committed_notional":"-150.25")"),
      replaced(R"("has_day":true)", R"("has_day":"yes")"),
      replaced(R"("strategies":{})", R"("strategies":[])"),
  };
  for (const std::string& text : malformed) {
    EXPECT_THROW(manager.restore_state(text), StateError) << text;
    EXPECT_EQ(manager.save_state(), saved) << "a failed restore keeps the ledger: " << text;
  }
}

}  // namespace
}  // namespace gauntlet::capital
