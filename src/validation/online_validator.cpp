#include "validation/online_validator.hpp"

#include <fmt/format.h>

namespace gauntlet::validation {

std::string_view to_string(OnlineOutcome outcome) {
  switch (outcome) {
    case OnlineOutcome::kPending:
      return "pending";
    case OnlineOutcome::kPass:
      return "pass";
    case OnlineOutcome::kFail:
      return "fail";
  }
  return "pending";
}

OnlineValidator::OnlineValidator(strategies::StrategyRegistry& registry,
                                 const orders::OrderJournal& journal,
                                 const config::Exploration& config)
    : registry_(registry), journal_(journal), config_(config) {}

Decision OnlineValidator::start(const std::string& id, TimestampMs now) {
  const auto record = registry_.get(id);
  if (!record) return Decision::deny(fmt::format("unknown_strategy: {}", id));
  if (record->state != strategies::StrategyState::kExploring) {
    return Decision::deny(
        fmt::format("not_exploring: {} is {}", id, strategies::to_string(record->state)));
  }
  const auto found = record->counters.find(std::string(kSinceCounter));
  const int64_t before = found == record->counters.end() ? 0 : found->second;
  registry_.inc_counter(id, std::string(kSinceCounter), now - before, now);
  return Decision::allow();
}

OnlineStatus OnlineValidator::status(const std::string& id) const {
  OnlineStatus s;
  s.id = id;
  s.required = static_cast<std::size_t>(config_.min_paper_trades);
  const auto record = registry_.get(id);
  if (!record) {
    s.reason = "not registered in the session";
    return s;
  }
  const auto found = record->counters.find(std::string(kSinceCounter));
  if (found == record->counters.end()) {
    s.reason = "the online check has not started";
    return s;
  }
  s.started = true;
  s.since = found->second;
  for (const orders::ClosedTrade& t : journal_.closed_trades()) {
    if (t.strategy_id != id || t.entry_time < s.since) continue;
    ++s.closed_trades;
    if (!t.stop_loss.is_positive() || !t.take_profit.is_positive()) ++s.unprotected_trades;
  }
  if (s.unprotected_trades > 0) {
    s.outcome = OnlineOutcome::kFail;
    s.reason = fmt::format("{} of {} closed paper trades had no stop loss or take profit",
                           s.unprotected_trades, s.closed_trades);
  } else if (s.closed_trades >= s.required) {
    s.outcome = OnlineOutcome::kPass;
    s.reason = fmt::format("{} closed paper trades, every one with SL/TP", s.closed_trades);
  } else {
    s.reason = fmt::format("{} of {} closed paper trades", s.closed_trades, s.required);
  }
  return s;
}

}  // namespace gauntlet::validation
