// File: validation/trial_log.hpp
//
// Owns the trial log: every candidate ever evaluated by a backtest of the validation pipeline,
// with the per-period Sharpe ratio it reached, kept in the state store (table
// validation_trials). The Deflated Sharpe Ratio deflates a candidate's Sharpe by the number of
// trials and the variance of their Sharpe ratios (validation.md §10): both come from here, so
// the deflation counts every candidate the search ever tried, not only those still registered.
//
// A strategy counts once: re-evaluating it (another window, a rerun) replaces its row.
//
// Threading: the Store's (one thread at a time).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/interfaces.hpp"
#include "core/store/store.hpp"
#include "core/time.hpp"

namespace gauntlet::validation {

struct Trial {
  std::string strategy_id;
  std::string family;
  Asset asset = Asset::kSpot;
  std::string params_json;
  std::string window;  // the data the trial was evaluated on, e.g. "2021-04-21..2021-05-20"
  TimestampMs evaluated_at = 0;
  std::size_t returns = 0;                  // per-period returns evaluated
  std::optional<double> sharpe_per_period;  // undefined for a degenerate series

  friend bool operator==(const Trial&, const Trial&) = default;
};

class TrialLog {
 public:
  // Applies the component's migrations to `store`, which must outlive this object.
  explicit TrialLog(store::Store& store);

  // Records the trial, replacing an earlier one of the same strategy.
  void record(const Trial& trial);

  // Every trial, in the order they were first recorded.
  std::vector<Trial> trials() const;
  std::size_t size() const;

  // The number of trials N of the DSR: the strategies evaluated, at least 1.
  std::size_t trial_count() const;
  // The ddof = 1 variance of the defined per-period Sharpe ratios; nullopt with fewer than two.
  std::optional<double> sharpe_variance() const;

 private:
  store::Store& store_;
};

}  // namespace gauntlet::validation
