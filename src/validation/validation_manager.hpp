// File: validation/validation_manager.hpp
//
// Owns the validation of one candidate end to end (`gauntlet validate`): it runs the gauntlet's
// stages and hands the evidence to the promotion gate; each stage belongs to its module.
//   1. phase 1 (online_validator): the candidate's closed paper trades in its session;
//   2. backtests (backtester) over historical bars, in parallel: the candidate, its family (the
//      session's other strategies of the same family and asset, topped up from the strategy
//      generator's search space), and the candidate under shocks: each parameter ±20 %, three
//      times the slippage, four times the order latency;
//   3. every family member goes into the trial log (trial_log): the DSR's N and V;
//   4. walk-forward (walkforward): purged k-fold of the candidate's trades, CPCV of the family;
//   5. stress tests (stress_tests): Monte-Carlo reordering and bootstrap of the trades, block
//      bootstrap of the returns, the trades by market regime at entry;
//   6. PBO by CSCV across the family's returns, the DSR, broker-truth reconciliation;
//   7. the gate's decision (promotion_gate), applied to the session's registry when the
//      candidate is validating there: promoted, or back to exploring with every reason;
//   8. the report (report_builder) under <reports_dir>/<strategy_id>/.
//
// Threading: validate() blocks; the backtests and resamplings run on `threads` workers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config.hpp"
#include "core/time.hpp"
#include "strategies/strategy_registry.hpp"
#include "validation/online_validator.hpp"
#include "validation/performance.hpp"
#include "validation/promotion_gate.hpp"
#include "validation/report_builder.hpp"
#include "validation/stress_shocks.hpp"
#include "validation/stress_tests.hpp"
#include "validation/walkforward.hpp"

namespace gauntlet::validation {

struct ValidateSpec {
  config::Config config;
  std::filesystem::path data_root;
  std::optional<TimestampMs> from;
  std::optional<TimestampMs> to;
  // The paper session whose registry and journal hold the candidate; the trial log lives there.
  std::filesystem::path session_state;
  // The candidate: a strategy of the session, or a descriptor (registered there or not).
  std::string strategy_id;
  std::optional<strategies::StrategyDescriptor> descriptor;
  std::filesystem::path search_space = "config/ml_search.json";
  std::filesystem::path reports_dir = "logs/validation";
  std::size_t family_size = 8;  // the candidate included
  bool shocks = true;           // parameter, slippage and latency shocks
  std::size_t stress_paths = 2000;
  uint64_t seed = 1;
  std::size_t threads = 0;     // 0: one per core
  bool apply = true;           // apply the decision to a validating candidate's registry state
  bool handle_signals = true;  // the backtests stop on SIGINT (not inside a running session)
  int universe_size = 30;
  double min_turnover = 5e6;
  // Called as stages progress: the stage's name and the share of it done.
  std::function<void(std::string_view stage, double fraction)> progress;
};

struct ValidationOutcome {
  std::string strategy_id;
  strategies::StrategyDescriptor descriptor;
  bool registered = false;  // in the session's registry
  std::string state_before;
  std::string state_after;
  OnlineStatus online;
  PerformanceMetrics metrics;
  std::vector<std::string> family;  // ids, the candidate first
  WalkforwardResult walkforward;
  std::optional<TradeStress> trade_stress;
  std::optional<ReturnStress> return_stress;
  std::vector<RegimeSlice> regimes;
  std::vector<ShockResult> shocks;
  std::optional<double> pbo;
  std::optional<double> dsr;
  std::size_t trials = 0;
  double broker_pnl = 0;  // the venue's realised P&L (StrategyResult::broker_pnl)
  double engine_pnl = 0;  // the ledger's (StrategyResult::engine_pnl)
  GateInput input;
  GateDecision decision;
  std::optional<Decision> applied;
  ReportPaths report;
};

ValidationOutcome validate(const ValidateSpec& spec);

}  // namespace gauntlet::validation
