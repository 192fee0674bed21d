// File: validation/stress_shocks.hpp
//
// The shocks of stress_tests (seed 001 §8.4): the candidate's backtest rerun with each of its
// parameters moved by ±20 % (to the family's step, inside its range; illegal combinations are
// left out), with three times the paper venue's slippage, and with four times the order
// latency. stress_tests owns which shocks exist and how a shocked run is read; the caller runs
// the backtests (validation_manager runs them beside the family's, on every core).
//
// Threading: pure functions.
#pragma once

#include <string>
#include <vector>

#include "validation/backtester.hpp"
#include "validation/performance.hpp"

namespace gauntlet::validation {

inline constexpr double kParameterShock = 0.20;  // each parameter moved by ± this share
inline constexpr double kSlippageShock = 3.0;    // times the venue's slippage
inline constexpr double kLatencyShock = 4.0;     // times the order latency

struct ShockSpec {
  std::string name;  // "fast -20%", "slippage x3", "latency x4"
  BacktestSpec spec;
};

struct ShockResult {
  std::string name;
  PerformanceMetrics metrics;
};

// The shocked backtests of `base`, whose candidates hold exactly the candidate. Throws
// ArgumentError when they do not.
std::vector<ShockSpec> shock_specs(const BacktestSpec& base);

// What a shocked run shows: its candidate's metrics (the run's own when it traded nothing).
ShockResult shock_result(const ShockSpec& shock, const BacktestResult& result);

}  // namespace gauntlet::validation
