// File: learning/reward_system.hpp
//
// The reward system (seed 000 reward_system.py): a human KPI per closed trade (trade_points)
// and the reward reinforcement learning optimises (rl_reward). Both are measured in R, the
// trade's initial risk: R = |entry - initial stop loss| x quantity, the money the trade was
// sized to lose. The P&L is after every fee, so both are fee-aware.
//
//   r = realised_pnl / R                                   (the trade's net R multiple)
//
//   trade_points = round1( 10 x clamp(r, -2, 3) + exit bonus )
//     exit bonus: +1 take profit reached, 0 stop loss hit, -1 any other exit (time, kill
//     switch, manual): a trade that resolved on its own plan scores above one that did not.
//
//   rl_reward = clamp( u(r) - time_weight x held / max_holding_time, -clip, clip )
//     u(r) = r for r >= 0, loss_aversion x r for r < 0 (losses weigh more than gains),
//     held / max_holding_time capped at 1 (capital tied up costs a little).
//
// Pure functions; no state, no threading concerns.
#pragma once

#include <string_view>

#include "core/decimal.hpp"
#include "core/interfaces.hpp"
#include "core/time.hpp"

namespace gauntlet::learning {

enum class ExitReason { kTakeProfit, kStopLoss, kOther };

struct ClosedTrade {
  OrderSide side = OrderSide::kBuy;
  Decimal entry_price;
  Decimal initial_stop_loss;
  Decimal quantity;
  Decimal realised_pnl;  // after every fee
  TimestampMs opened_at = 0;
  TimestampMs closed_at = 0;
  ExitReason exit = ExitReason::kOther;
};

struct RewardParams {
  double loss_aversion = 1.5;
  double time_weight = 0.1;
  DurationMs max_holding_time = 2 * kDayMs;
  double clip = 5.0;
};

// The trade's net R multiple; aborts (GAUNTLET_CHECK) when the initial risk is not positive,
// since every trade carries a stop loss.
double r_multiple(const ClosedTrade& trade);

double trade_points(const ClosedTrade& trade);
double rl_reward(const ClosedTrade& trade, const RewardParams& params = {});

}  // namespace gauntlet::learning
