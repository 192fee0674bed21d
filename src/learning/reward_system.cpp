#include "learning/reward_system.hpp"

#include <algorithm>
#include <cmath>

#include "core/check.hpp"

namespace gauntlet::learning {

double r_multiple(const ClosedTrade& trade) {
  const Decimal distance = trade.entry_price > trade.initial_stop_loss
                               ? trade.entry_price - trade.initial_stop_loss
                               : trade.initial_stop_loss - trade.entry_price;
  const double risk = (distance * trade.quantity).to_double();
  GAUNTLET_CHECK(risk > 0, "a closed trade needs a positive initial risk, was {}", risk);
  return trade.realised_pnl.to_double() / risk;
}

double trade_points(const ClosedTrade& trade) {
  const double bonus = trade.exit == ExitReason::kTakeProfit ? 1.0
                       : trade.exit == ExitReason::kStopLoss ? 0.0
                                                             : -1.0;
  const double points = 10.0 * std::clamp(r_multiple(trade), -2.0, 3.0) + bonus;
  return std::round(points * 10.0) / 10.0;
}

double rl_reward(const ClosedTrade& trade, const RewardParams& params) {
  const double r = r_multiple(trade);
  const double utility = r >= 0 ? r : params.loss_aversion * r;
  const double held =
      static_cast<double>(std::max<DurationMs>(0, trade.closed_at - trade.opened_at));
  const double share = params.max_holding_time > 0
                           ? std::min(1.0, held / static_cast<double>(params.max_holding_time))
                           : 0.0;
  return std::clamp(utility - params.time_weight * share, -params.clip, params.clip);
}

}  // namespace gauntlet::learning
