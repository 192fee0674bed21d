#include "validation/promotion_gate.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

namespace gauntlet::validation {
namespace {

std::string shown(std::optional<double> value) {
  if (!value) return "undefined";
  if (std::isinf(*value)) return *value > 0 ? "inf" : "-inf";
  return fmt::format("{:.4g}", *value);
}

}  // namespace

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass:
      return "pass";
    case Verdict::kFail:
      return "fail";
    case Verdict::kInsufficient:
      return "insufficient";
  }
  return "fail";
}

bool GateDecision::short_of_evidence_only() const {
  if (passed) return false;
  bool short_of_evidence = false;
  for (const GateCriterionResult& c : criteria) {
    if (c.verdict == Verdict::kPass) continue;
    const bool evidence = c.name.starts_with("min_");
    if (!evidence && c.verdict != Verdict::kInsufficient) return false;
    short_of_evidence = true;
  }
  return short_of_evidence;
}

GateDecision decide(const GateInput& in, const config::ValidationGate& t) {
  GateDecision d;
  const auto add = [&](GateCriterionResult c) {
    if (c.verdict != Verdict::kPass) {
      d.reasons.push_back(c.verdict == Verdict::kInsufficient
                              ? fmt::format("{}: INSUFFICIENT: {}", c.name, c.note)
                              : fmt::format("{}: {}", c.name, c.note));
    }
    d.criteria.push_back(std::move(c));
  };
  const auto evidence = [&](std::string name, double value, double minimum, std::string what) {
    GateCriterionResult c{std::move(name), value, ">=", minimum, Verdict::kPass, {}};
    if (value < minimum) {
      c.verdict = Verdict::kFail;
      c.note = fmt::format("{} {} < {}", value, what, minimum);
    }
    return c;
  };

  // The minimum evidence (validation.md §12).
  const double tail = static_cast<double>(in.returns) * 0.05;
  std::vector<std::string> short_of;
  if (in.trades < static_cast<std::size_t>(t.min_trades))
    short_of.push_back(fmt::format("{} closed trades < {}", in.trades, t.min_trades));
  if (in.history_days < t.min_history_days)
    short_of.push_back(
        fmt::format("{:.1f} days of history < {}", in.history_days, t.min_history_days));
  const bool tail_short = tail < t.min_tail_observations;
  add(evidence("min_trades", static_cast<double>(in.trades), t.min_trades, "closed trades"));
  add(evidence("min_history_days", std::floor(in.history_days * 10) / 10, t.min_history_days,
               "days"));
  add(evidence("min_tail_observations", tail, t.min_tail_observations, "returns in the 5 % tail"));
  const std::string insufficient = fmt::format("{}", fmt::join(short_of, ", "));

  {
    GateCriterionResult c{
        "online_validation", static_cast<double>(in.online_trades), ">=", 100, Verdict::kPass, {}};
    if (!in.online_passed) {
      c.verdict = Verdict::kFail;
      c.note =
          fmt::format("the phase-1 paper check has not passed ({} closed paper trades with SL/TP)",
                      in.online_trades);
    }
    add(std::move(c));
  }

  // A metric criterion: INSUFFICIENT without the evidence, a fail when undefined.
  const auto metric = [&](std::string name, std::optional<double> value, bool at_least,
                          double threshold, bool needs_tail, std::string undefined_note) {
    GateCriterionResult c{
        std::move(name), value, at_least ? ">=" : "<=", threshold, Verdict::kPass, {}};
    std::string missing = insufficient;
    if (needs_tail && tail_short) {
      missing += fmt::format("{}{:.1f} returns in the CVaR tail < {}", missing.empty() ? "" : ", ",
                             tail, t.min_tail_observations);
    }
    if (!missing.empty()) {
      c.verdict = Verdict::kInsufficient;
      c.note = missing;
    } else if (!value) {
      c.verdict = Verdict::kFail;
      c.note = std::move(undefined_note);
    } else if (at_least ? !(*value >= threshold) : !(*value <= threshold)) {
      c.verdict = Verdict::kFail;
      c.note = fmt::format("{} {} {}", shown(value), at_least ? "<" : ">", threshold);
    }
    add(std::move(c));
  };
  metric("profit_factor", in.profit_factor, true, t.min_profit_factor, false,
         "undefined (no trades, or only scratch trades)");
  metric("sharpe", in.sharpe, true, t.min_sharpe, false,
         "undefined: degenerate return series (zero variance or fewer than 2 returns)");
  metric("max_drawdown", in.max_drawdown, false, t.max_drawdown, false, "undefined");
  metric("cvar_95", in.cvar_95, false, t.max_cvar_95, true, "undefined (no returns)");
  metric("deflated_sharpe", in.deflated_sharpe, true, t.min_dsr, false,
         fmt::format("undefined over {} trials (needs a defined Sharpe, and a Sharpe variance "
                     "across two or more trials)",
                     in.trials));
  metric(
      "pbo", in.pbo, false, t.max_pbo, false,
      fmt::format("undefined: a family of {} candidates (CSCV needs at least 2)", in.family_size));

  {
    GateCriterionResult c{"reconciliation",           in.reconciliation_error, "<=",
                          t.reconciliation_tolerance, Verdict::kPass,          {}};
    if (in.broker_desync) {
      c.verdict = Verdict::kFail;
      c.note = "broker_desync: the engine and the venue disagree on the asset";
    } else if (!in.reconciliation_error) {
      c.verdict = Verdict::kFail;
      c.note = "no broker truth to reconcile with";
    } else if (*in.reconciliation_error > t.reconciliation_tolerance) {
      c.verdict = Verdict::kFail;
      c.note = fmt::format("engine and broker P&L differ by {:.4g} of the allocation > {}",
                           *in.reconciliation_error, t.reconciliation_tolerance);
    }
    add(std::move(c));
  }
  d.passed = d.reasons.empty();
  return d;
}

Decision PromotionGate::apply(strategies::StrategyRegistry& registry, const std::string& id,
                              const GateDecision& decision, TimestampMs now,
                              const std::string& note) const {
  const std::string suffix = note.empty() ? "" : " (" + note + ")";
  const auto record = registry.get(id);
  if (!record) return Decision::deny(fmt::format("unknown_strategy: {}", id));
  if (record->state != strategies::StrategyState::kValidating) {
    return Decision::deny(fmt::format("illegal_transition: {} is {}, not validating", id,
                                      strategies::to_string(record->state)));
  }
  if (decision.passed) {
    return registry.promote(id, strategies::PromotionKey(),
                            "promotion gate passed: every criterion" + suffix, now);
  }
  return registry.set_state(
      id, strategies::StrategyState::kExploring,
      fmt::format("promotion gate failed: {}{}", fmt::join(decision.reasons, "; "), suffix), now);
}

}  // namespace gauntlet::validation
