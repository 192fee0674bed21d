// The reward system's formulas, pinned with hand-computed numbers.
#include "learning/reward_system.hpp"

#include <gtest/gtest.h>

namespace gauntlet::learning {
namespace {

// Long 0.5 at 100 with the stop at 95: R = 5 x 0.5 = 2.5.
ClosedTrade trade(const char* pnl, ExitReason exit, DurationMs held = 6 * kHourMs) {
  ClosedTrade t;
  t.side = OrderSide::kBuy;
  t.entry_price = Decimal::parse("100");
  t.initial_stop_loss = Decimal::parse("95");
  t.quantity = Decimal::parse("0.5");
  t.realised_pnl = Decimal::parse(pnl);
  t.opened_at = 0;
  t.closed_at = held;
  t.exit = exit;
  return t;
}

TEST(RewardSystem, RMultipleIsNetPnlOverTheInitialRisk) {
  EXPECT_DOUBLE_EQ(r_multiple(trade("5", ExitReason::kTakeProfit)), 2.0);
  EXPECT_DOUBLE_EQ(r_multiple(trade("-2.6", ExitReason::kStopLoss)), -1.04);  // fees beyond 1R
  ClosedTrade short_trade = trade("2.5", ExitReason::kTakeProfit);
  short_trade.side = OrderSide::kSell;
  short_trade.initial_stop_loss = Decimal::parse("105");  // same distance above
  EXPECT_DOUBLE_EQ(r_multiple(short_trade), 1.0);
}

TEST(RewardSystem, TradePointsScaleRClampAndRewardAPlanThatResolved) {
  // 2R to the target: 10 x 2 + 1 = 21.
  EXPECT_DOUBLE_EQ(trade_points(trade("5", ExitReason::kTakeProfit)), 21.0);
  // The stop, 1.04R lost with fees: 10 x -1.04 + 0 = -10.4.
  EXPECT_DOUBLE_EQ(trade_points(trade("-2.6", ExitReason::kStopLoss)), -10.4);
  // A time exit at 0.75 / 2.5 = +0.3R: 10 x 0.3 - 1 = 2.
  EXPECT_DOUBLE_EQ(trade_points(trade("0.75", ExitReason::kOther)), 2.0);
  // Clamped: 8R counts as 3R (31 with the bonus), -4R as -2R (-20).
  EXPECT_DOUBLE_EQ(trade_points(trade("20", ExitReason::kTakeProfit)), 31.0);
  EXPECT_DOUBLE_EQ(trade_points(trade("-10", ExitReason::kStopLoss)), -20.0);
  // Rounded to one decimal: 0.1234R -> 1.234 - 1 = 0.234 -> 0.2.
  EXPECT_DOUBLE_EQ(trade_points(trade("0.3085", ExitReason::kOther)), 0.2);
}

TEST(RewardSystem, RlRewardIsLossAverseTimeAwareAndClipped) {
  // +2R held 6 h of 48: 2 - 0.1 x 0.125 = 1.9875.
  EXPECT_DOUBLE_EQ(rl_reward(trade("5", ExitReason::kTakeProfit)), 1.9875);
  // -1.04R: 1.5 x -1.04 - 0.0125 = -1.5725.
  EXPECT_DOUBLE_EQ(rl_reward(trade("-2.6", ExitReason::kStopLoss)), -1.5725);
  // Held beyond the maximum: the time share caps at 1: 2 - 0.1 = 1.9.
  EXPECT_DOUBLE_EQ(rl_reward(trade("5", ExitReason::kTakeProfit, 5 * kDayMs)), 1.9);
  // Clipped at +-5: 10R -> 5; -6R x 1.5 = -9 -> -5.
  EXPECT_DOUBLE_EQ(rl_reward(trade("25", ExitReason::kTakeProfit)), 5.0);
  EXPECT_DOUBLE_EQ(rl_reward(trade("-15", ExitReason::kStopLoss)), -5.0);
  RewardParams neutral;
  neutral.loss_aversion = 1.0;
  neutral.time_weight = 0.0;
  EXPECT_DOUBLE_EQ(rl_reward(trade("-2.5", ExitReason::kStopLoss), neutral), -1.0);
}

}  // namespace
}  // namespace gauntlet::learning
