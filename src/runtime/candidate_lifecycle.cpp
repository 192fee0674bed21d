// File: runtime/candidate_lifecycle.cpp
//
// The candidates' lifecycle as the engine carries it out (internal/runtime_impl.hpp): each
// closed trade goes to the trade log, the session, the registry's counters and the reward
// (reward_system); exploration_manager's review decides what follows; a candidate it moves to
// validating is submitted to the automatic gauntlet (a CandidateValidator, on its own thread)
// and the gate's verdict applied here when it arrives (a replay at a fixed market time after
// it qualified, holding there until it has). Also the session's record of its open paper trades
// and its equity.
//
// Threading: the engine thread; the validator's work runs on its own thread and returns
// through take().
#include <fmt/format.h>

#include <iostream>
#include <set>

#include "learning/reward_system.hpp"
#include "runtime/internal/runtime_impl.hpp"
#include "validation/promotion_gate.hpp"

namespace gauntlet::runtime {

using internal::iso_minute;
using internal::kClosedCounter;
using internal::kLossCounter;
using internal::kLossesCounter;
using internal::kProfitCounter;
using internal::kVerdictDelay;
using internal::kWinsCounter;
using internal::log;
using strategies::StrategyState;

void AppRuntime::Impl::on_closed(const orders::ClosedTrade& trade) {
  trade_log->append(trade);
  if (sessions->has_session()) {
    sessions->record_closed_trade(paper_trade_id(trade.asset, trade.symbol, trade.entry_time),
                                  trade.exit_price, trade.realized_pnl, trade.exit_time);
  }
  const TimestampMs now = trade.exit_time;
  const std::string& id = trade.strategy_id;
  if (id.empty() || !registry->get(id)) return;
  const int64_t closed = registry->inc_counter(id, std::string(kClosedCounter), now).value_or(0);
  if (trade.realized_pnl > Decimal::zero()) {
    registry->inc_counter(id, std::string(kWinsCounter), now);
    registry->inc_counter(id, std::string(kProfitCounter), trade.realized_pnl.raw(), now);
  } else {
    registry->inc_counter(id, std::string(kLossesCounter), now);
    registry->inc_counter(id, std::string(kLossCounter), -trade.realized_pnl.raw(), now);
  }
  if (sessions->has_session() && trade.stop_loss != Decimal::zero() &&
      trade.stop_loss != trade.entry_price) {
    learning::ClosedTrade reward;
    reward.side = trade.side;
    reward.entry_price = trade.entry_price;
    reward.initial_stop_loss = trade.stop_loss;
    reward.quantity = trade.quantity;
    reward.realised_pnl = trade.realized_pnl;
    reward.opened_at = trade.entry_time;
    reward.closed_at = trade.exit_time;
    reward.exit = trade.exit_reason == "take_profit" ? learning::ExitReason::kTakeProfit
                  : trade.exit_reason == "stop_loss" ? learning::ExitReason::kStopLoss
                                                     : learning::ExitReason::kOther;
    sessions->add_reward(learning::trade_points(reward), trade.asset);
    sessions->record_equity(total_equity(), now, asset_equities());
  }
  // A promoted strategy keeps trading on paper; a drawdown beyond the gate's demotes it.
  exploration->monitor_promoted(id, trade.realized_pnl, budget->get_alloc(trade.asset),
                                config.validation.max_drawdown, now);
  review(id, closed, now);
}

void AppRuntime::Impl::review(const std::string& id, int64_t closed, TimestampMs now) {
  if (!options.lifecycle) return;
  const auto record = registry->get(id);
  if (!record || record->state != StrategyState::kExploring) return;
  const auto counter = [&](std::string_view name) {
    const auto found = record->counters.find(std::string(name));
    return found == record->counters.end() ? int64_t{0} : found->second;
  };
  const double profit = static_cast<double>(counter(kProfitCounter));
  const double loss = static_cast<double>(counter(kLossCounter));
  strategies::ReviewInput in;
  in.closed_trades = closed;
  in.profit_factor = loss > 0 ? profit / loss : (profit > 0 ? 1e9 : 0);
  const validation::OnlineStatus phase1 = online->status(id);
  in.phase1 = phase1.outcome == validation::OnlineOutcome::kPass
                  ? strategies::ReviewInput::Phase1::kPass
              : phase1.outcome == validation::OnlineOutcome::kFail
                  ? strategies::ReviewInput::Phase1::kFail
                  : strategies::ReviewInput::Phase1::kPending;
  in.phase1_reason = phase1.reason;
  if (exploration->review(id, in, now) == strategies::ReviewAction::kValidate)
    submit_validation(id, closed, now);
}

TimestampMs AppRuntime::Impl::evidence_from() const {
  if (replay_from) return *replay_from;
  if (simulated) return simulated->market().config().start;
  return 0;  // live: every stored bar
}

void AppRuntime::Impl::submit_validation(const std::string& id, int64_t closed,
                                         TimestampMs qualified) {
  if (!validator) return;  // no automatic gauntlet: it waits for gauntlet validate
  if (validator->submit({id, evidence_from(), qualified, closed})) {
    verdict_due[id] = qualified + kVerdictDelay;
    log().info("{} qualified with {} closed trades: validating on the {} bars up to {}", id, closed,
               to_string(evidence), iso_minute(qualified));
  }
}

void AppRuntime::Impl::resubmit_validating() {
  if (!validator) return;
  for (Asset asset : kAllAssets) {
    for (const strategies::StrategyRecord& r :
         registry->get_for(asset, StrategyState::kValidating)) {
      const auto closed = r.counters.find(std::string(kClosedCounter));
      TimestampMs qualified = r.updated_at;
      for (const strategies::Transition& t : registry->history(r.id)) {
        if (t.kind == strategies::TransitionKind::kState && t.to == StrategyState::kValidating)
          qualified = t.time;
      }
      submit_validation(r.id, closed == r.counters.end() ? 0 : closed->second, qualified);
    }
  }
}

std::optional<TimestampMs> AppRuntime::Impl::verdict_hold() {
  collect_verdicts();
  std::optional<TimestampMs> hold;
  for (const auto& [id, due] : verdict_due) {
    if (!verdicts.contains(id) && (!hold || due < *hold)) hold = due;
  }
  return hold;
}

void AppRuntime::Impl::collect_verdicts() {
  if (!validator) return;
  for (ValidationVerdict& v : validator->take()) verdicts[v.strategy_id] = std::move(v);
}

void AppRuntime::Impl::apply_verdicts(TimestampMs now, bool all) {
  if (!validator) return;
  collect_verdicts();
  std::vector<ValidationVerdict> ready;
  for (auto it = verdicts.begin(); it != verdicts.end();) {
    const auto due = verdict_due.find(it->first);
    if (!all && replay && due != verdict_due.end() && due->second > now) {
      ++it;
      continue;
    }
    ready.push_back(std::move(it->second));
    if (due != verdict_due.end()) verdict_due.erase(due);
    it = verdicts.erase(it);
  }
  for (const ValidationVerdict& v : ready) {
    const auto record = registry->get(v.strategy_id);
    if (!record || record->state != StrategyState::kValidating) continue;
    const auto closed = record->counters.find(std::string(kClosedCounter));
    exploration->record_validation(v.strategy_id,
                                   closed == record->counters.end() ? 0 : closed->second, now,
                                   /*counts_as_attempt=*/!v.short_of_evidence);
    const std::string evidence_note =
        fmt::format("evidence: {} bars {} to {}{}", to_string(v.evidence), iso_minute(v.from),
                    iso_minute(v.to), v.report.empty() ? "" : "; report " + v.report.string());
    validation::GateDecision decision;
    decision.passed = v.passed && v.error.empty();
    decision.reasons = v.reasons;
    if (!v.error.empty()) decision.reasons = {"validation could not run: " + v.error};
    const validation::PromotionGate gate(config.validation);
    const Decision applied = gate.apply(*registry, v.strategy_id, decision, now, evidence_note);
    if (!applied) {
      log().warn("verdict on {} not applied: {}", v.strategy_id, applied.reason);
      continue;
    }
    if (decision.passed && v.evidence == Evidence::kSimulatedDemo) {
      registry->add_flag(v.strategy_id, std::string(strategies::kDemoFlag),
                         "promoted on the simulated market: demo only, never live", now);
    }
    log().warn("validation of {}: {} ({:.1f} s; {})", v.strategy_id,
               decision.passed ? "PROMOTED" : "refused", v.seconds, evidence_note);
  }
}

void AppRuntime::Impl::wait_for_validations() {
  if (!validator->idle() && !options.quiet)
    std::cout << "gauntlet run: the replay has ended; waiting for the validations in progress"
              << std::endl;
  bool interrupted = false;
  if (options.handle_signals) {
    signals.emplace(loop, SIGINT, SIGTERM);
    signals->async_wait([&](const std::error_code& error, int) {
      if (!error) interrupted = true;
    });
  }
  while (!validator->idle() && !interrupted) {
    loop.restart();
    loop.run_for(std::chrono::milliseconds(100));
  }
  if (signals) signals->cancel();
  store->transaction([&] { apply_verdicts(cursor, /*all=*/!interrupted); });
}

std::string AppRuntime::Impl::paper_trade_id(Asset asset, const Symbol& symbol,
                                             TimestampMs opened_at) {
  return fmt::format("{}/{}@{}", to_string(asset), symbol.canonical(), opened_at);
}

void AppRuntime::Impl::record_paper_trades() {
  std::set<std::string> open;
  for (const capital::PaperTrade& t : sessions->open_trades()) open.insert(t.trade_id);
  for (const Position& p : router->positions()) {
    capital::PaperTrade trade;
    trade.trade_id = paper_trade_id(p.asset, p.symbol, p.opened_at);
    if (open.contains(trade.trade_id)) continue;
    trade.strategy_id = p.strategy_id;
    trade.asset = p.asset;
    trade.symbol = p.symbol;
    trade.side = p.side;
    trade.quantity = p.quantity;
    trade.entry_price = p.average_price;
    trade.stop_loss = p.stop_loss;
    trade.take_profit = p.take_profit;
    trade.opened_at = p.opened_at;
    sessions->record_open_trade(trade);
  }
}

std::map<Asset, Decimal> AppRuntime::Impl::asset_equities() const {
  std::map<Asset, Decimal> equities;
  for (Asset asset : kAllAssets) equities[asset] = budget->get_alloc(asset);
  return equities;
}

Decimal AppRuntime::Impl::total_equity() const {
  Decimal total = budget->pool();
  for (Asset asset : kAllAssets) total = total + budget->get_alloc(asset);
  return total;
}

}  // namespace gauntlet::runtime
