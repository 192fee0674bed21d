// File: validation/promotion_gate.hpp
//
// Owns the final promotion criteria (seed 001 §8.5): decide(metrics) -> pass|fail, reasons.
// Every criterion must pass:
//   online_validation        the phase-1 paper check (online_validator) passed
//   profit_factor            >= min_profit_factor
//   sharpe                   >= min_sharpe (annualised, per-period returns)
//   max_drawdown             <= max_drawdown
//   cvar_95                  <= max_cvar_95 (per-period, as a positive loss)
//   reconciliation           |engine P&L - broker truth| / allocation <= reconciliation_tolerance,
//                            and no broker_desync on the asset
//   deflated_sharpe          DSR >= min_dsr, with N and V from the trial log (validation.md §10)
//   pbo                      PBO by CSCV across the candidate family <= max_pbo (§11)
// and the minimum evidence of validation.md §12 (min_trades closed trades, min_history_days of
// bars, min_tail_observations returns in the CVaR tail). When the evidence is short, the metric
// criteria are INSUFFICIENT: their values are shown but not compared, and the gate fails.
// An undefined value (a degenerate series, a family too small for PBO) never passes; +inf
// passes only with the evidence met (validation.md §0).
//
// Threading: pure.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "core/interfaces.hpp"
#include "core/time.hpp"
#include "strategies/strategy_registry.hpp"

namespace gauntlet::validation {

enum class Verdict { kPass, kFail, kInsufficient };
std::string_view to_string(Verdict verdict);

struct GateCriterionResult {
  std::string name;
  std::optional<double> value;
  std::string comparison;  // ">=", "<=", "="
  double threshold = 0;
  Verdict verdict = Verdict::kFail;
  std::string note;  // why it failed or is insufficient; empty when it passed
};

// What the gate reads.
struct GateInput {
  // Phase 1 (online_validator): closed paper trades with SL/TP, and whether the check passed.
  std::size_t online_trades = 0;
  bool online_passed = false;
  // Evidence.
  std::size_t trades = 0;
  double history_days = 0;
  std::size_t returns = 0;
  // Metrics.
  std::optional<double> profit_factor;
  std::optional<double> sharpe;
  std::optional<double> max_drawdown;
  std::optional<double> cvar_95;
  std::optional<double> reconciliation_error;  // |engine − broker| / allocation
  bool broker_desync = false;
  std::optional<double> deflated_sharpe;
  std::size_t trials = 0;  // the DSR's N, for the note
  std::optional<double> pbo;
  std::size_t family_size = 0;  // PBO's N, for the note
};

struct GateDecision {
  bool passed = false;
  std::vector<std::string> reasons;  // one per criterion that did not pass
  std::vector<GateCriterionResult> criteria;

  // Failed for want of evidence only: every criterion that did not pass is a minimum of
  // evidence (min_trades, min_history_days, min_tail_observations) or INSUFFICIENT. Such a
  // refusal says the candidate came too early, not that it is bad.
  bool short_of_evidence_only() const;
};

GateDecision decide(const GateInput& input, const config::ValidationGate& thresholds);

// The gate as the registry knows it: the only holder of the registry's PromotionKey.
class PromotionGate {
 public:
  explicit PromotionGate(config::ValidationGate thresholds) : thresholds_(thresholds) {}

  GateDecision decide(const GateInput& input) const {
    return validation::decide(input, thresholds_);
  }

  // Applies `decision` to the validating strategy `id`: promoted when it passed; otherwise back
  // to exploring, where a fresh phase-1 check starts, with every reason recorded. Denies with the
  // registry's codes (unknown_strategy, illegal_transition: the strategy must be validating).
  // `note` (the evidence, the report) is appended to the transition's reason.
  Decision apply(strategies::StrategyRegistry& registry, const std::string& id,
                 const GateDecision& decision, TimestampMs now, const std::string& note = {}) const;

 private:
  config::ValidationGate thresholds_;
};

}  // namespace gauntlet::validation
