// File: validation/walkforward.hpp
//
// Owns the walk-forward evaluation (seed 001 §8.3): run(spec, data) -> metrics, purged k-fold
// with embargo driven by label end times, and combinatorial purged CV (validation.md §14, §15;
// the split arithmetic is validation/purged_cv.hpp).
//
// Purged k-fold on the candidate: the samples are its trades, each labelled from its entry
// (t0) to its exit (t1). Each fold's test trades give out-of-sample trade statistics, and the
// per-period returns of the test span [T0, T1] give its Sharpe, drawdown and return; the
// training trades, purged of every trade whose life overlaps the test span and embargoed after
// it, give the in-sample profit factor the test is compared with.
//
// CPCV across the candidate family: the samples are the periods of the family's common equity
// curves, each labelled to the exit of the candidate's position open in it (a position that
// spans a split boundary would leak otherwise). In every split the family member with the best
// in-sample Sharpe (on the purged, embargoed training periods) is selected and its returns on
// the test groups are kept; the φ backtest paths stitch those out-of-sample returns together
// (path p takes group g from the p-th split testing g). Their Sharpe ratios are the
// distribution of what selecting from this family delivers out of sample.
//
// Threading: the splits are evaluated on `threads` workers; the results do not depend on it.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "orders/order_journal.hpp"
#include "validation/metrics.hpp"
#include "validation/performance.hpp"

namespace gauntlet::validation {

// One strategy's evaluation over a window, as a backtest gives it.
struct StrategySeries {
  std::string id;
  std::vector<orders::ClosedTrade> trades;
  std::vector<EquityPoint> equity;  // one point per period, the window's start first
  std::vector<double> returns;      // equity.size() - 1 per-period returns
};

struct WalkforwardOptions {
  std::size_t folds = 5;
  double embargo = 0.01;  // share of the samples embargoed after each test fold
  std::size_t cpcv_groups = 6;
  std::size_t cpcv_test_groups = 2;
  double periods_per_year = 35040;
  std::size_t threads = 0;  // 0: one per core
};

struct FoldResult {
  std::size_t index = 0;
  TimestampMs test_from = 0;
  TimestampMs test_to = 0;
  std::size_t train_samples = 0;
  std::size_t test_samples = 0;
  std::size_t purged = 0;
  std::size_t embargoed = 0;
  TradeStatistics test;
  std::optional<double> train_profit_factor;
  std::optional<double> sharpe;  // annualised, the test span's per-period returns
  double max_drawdown = 0;
  double total_return = 0;
};

struct CpcvPath {
  std::size_t index = 0;
  std::optional<double> sharpe;  // annualised
  double total_return = 0;
  std::vector<std::string> selected;  // the member chosen for each group
};

struct WalkforwardResult {
  std::vector<FoldResult> folds;
  std::size_t positive_folds = 0;          // folds with a positive total return
  std::optional<double> mean_fold_sharpe;  // over the folds whose Sharpe is defined
  std::optional<double> worst_fold_sharpe;
  std::vector<CpcvPath> paths;  // empty with a family of one
  std::size_t cpcv_splits = 0;
  std::string cpcv_note;  // why there are no paths, when there are none
  std::optional<double> median_path_sharpe;
  // The share of the splits in which the candidate itself was the in-sample choice.
  double candidate_selected = 0;
};

// Purged k-fold of the candidate's trades and CPCV of the family (candidate included, every
// member on the same periods). Throws ArgumentError when the candidate has fewer trades than
// folds or the family's curves differ in length.
WalkforwardResult walk_forward(const StrategySeries& candidate,
                               std::span<const StrategySeries> family,
                               const WalkforwardOptions& options = {});

}  // namespace gauntlet::validation
