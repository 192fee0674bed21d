#include "validation/walkforward.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <thread>

#include "core/exceptions.hpp"
#include "core/parallel.hpp"
#include "validation/purged_cv.hpp"

namespace gauntlet::validation {
namespace {

double compounded(std::span<const double> returns) {
  double growth = 1.0;
  for (double r : returns) growth *= 1.0 + r;
  return growth - 1.0;
}

std::optional<double> median(std::vector<double> values) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

std::vector<FoldResult> trade_folds(const StrategySeries& candidate,
                                    const WalkforwardOptions& options) {
  std::vector<const orders::ClosedTrade*> trades;
  for (const orders::ClosedTrade& t : candidate.trades) trades.push_back(&t);
  std::stable_sort(trades.begin(), trades.end(),
                   [](const auto* a, const auto* b) { return a->entry_time < b->entry_time; });
  if (trades.size() < options.folds) {
    throw ArgumentError(
        fmt::format("walk-forward: {} trades cannot fill {} folds", trades.size(), options.folds));
  }
  std::vector<int64_t> t0;
  std::vector<int64_t> t1;
  for (const auto* t : trades) {
    t0.push_back(t->entry_time);
    t1.push_back(std::max(t->exit_time, t->entry_time));
  }
  const DurationMs period = candidate.equity.size() >= 2
                                ? candidate.equity[1].time - candidate.equity[0].time
                                : 15 * kMinuteMs;
  std::vector<FoldResult> out;
  for (const Fold& fold : purged_kfold(t0, t1, options.folds, options.embargo)) {
    FoldResult r;
    r.index = fold.index;
    r.test_from = fold.block.span_start;
    r.test_to = fold.block.span_end;
    r.test_samples = fold.test.size();
    r.train_samples = fold.train.size();
    r.purged = fold.purged.size();
    r.embargoed = fold.embargoed.size();
    std::vector<double> test_pnl;
    for (std::size_t i : fold.test) test_pnl.push_back(trades[i]->realized_pnl.to_double());
    std::vector<double> train_pnl;
    for (std::size_t i : fold.train) train_pnl.push_back(trades[i]->realized_pnl.to_double());
    r.test = trade_statistics(test_pnl);
    r.train_profit_factor = trade_statistics(train_pnl).profit_factor;
    // The periods that overlap the test span.
    std::vector<double> span;
    for (std::size_t i = 0; i + 1 < candidate.equity.size() && i < candidate.returns.size(); ++i) {
      const TimestampMs end = candidate.equity[i + 1].time;
      if (end > r.test_from && end - period < r.test_to) span.push_back(candidate.returns[i]);
    }
    r.sharpe = sharpe_ratio(span, options.periods_per_year);
    r.max_drawdown = max_drawdown(span);
    r.total_return = compounded(span);
    out.push_back(r);
  }
  return out;
}

// CPCV across the family (see the file comment), into result.paths and the fields after it.
void cpcv_of_family(const StrategySeries& candidate, std::span<const StrategySeries> family,
                    const WalkforwardOptions& options, WalkforwardResult& result) {
  if (family.size() < 2) return;

  const std::size_t n = candidate.returns.size();
  for (const StrategySeries& member : family) {
    if (member.returns.size() != n) {
      throw ArgumentError(fmt::format(
          "walk-forward: {} has {} returns, the candidate {}: the family must share the periods",
          member.id, member.returns.size(), n));
    }
  }
  if (n < options.cpcv_groups * 2) return;
  // Each period's label runs to the exit of the candidate's trade open in it (a flat period's
  // label is the period itself): purging drops the training periods whose position was still
  // open when a test group began.
  std::vector<int64_t> t0(n);
  std::vector<int64_t> t1(n);
  for (std::size_t i = 0; i < n; ++i) t0[i] = t1[i] = static_cast<int64_t>(i);
  const TimestampMs first = candidate.equity.front().time;
  const DurationMs period =
      candidate.equity.size() >= 2 ? candidate.equity[1].time - candidate.equity[0].time : 1;
  const auto index_of = [&](TimestampMs time) {
    return std::clamp<int64_t>((time - first + period - 1) / period - 1, 0,
                               static_cast<int64_t>(n) - 1);
  };
  for (const orders::ClosedTrade& t : candidate.trades) {
    const int64_t exit = index_of(t.exit_time);
    for (int64_t i = index_of(t.entry_time); i <= exit; ++i)
      t1[static_cast<std::size_t>(i)] = std::max(t1[static_cast<std::size_t>(i)], exit);
  }
  Cpcv cpcv;
  try {
    cpcv = combinatorial_purged_cv(t0, t1, options.cpcv_groups, options.cpcv_test_groups,
                                   options.embargo, options.threads);
  } catch (const ArgumentError& error) {
    result.cpcv_note = error.what();  // e.g. a holding so long that a split has no training
    return;
  }
  result.cpcv_splits = cpcv.splits.size();
  // The in-sample choice of every split: the member with the best per-period Sharpe over the
  // split's training periods. The returns are laid out period-major (all members of a period
  // side by side), so one pass over the training indices serves every member; each member's
  // sums run in index order, exactly as sharpe_per_period computes them.
  const std::size_t members = family.size();
  std::vector<double> by_period(n * members);
  constexpr std::size_t kBlock = 4096;  // periods per task
  parallel_for((n + kBlock - 1) / kBlock, options.threads, [&](std::size_t block) {
    const std::size_t end = std::min(n, (block + 1) * kBlock);
    for (std::size_t m = 0; m < members; ++m) {
      for (std::size_t i = block * kBlock; i < end; ++i) {
        const double r = family[m].returns[i];
        if (!std::isfinite(r)) {
          throw ArgumentError(
              fmt::format("walk-forward: {} returns[{}] is not finite ({})", family[m].id, i, r));
        }
        by_period[i * members + m] = r;
      }
    }
  });
  std::vector<std::size_t> chosen(cpcv.splits.size(), 0);
  parallel_for(cpcv.splits.size(), options.threads, [&](std::size_t s) {
    const std::vector<std::size_t>& train = cpcv.splits[s].train;
    if (train.size() < 2) return;
    std::vector<double> mean(members, 0.0);
    std::vector<double> squares(members, 0.0);
    for (const std::size_t i : train) {
      const double* row = &by_period[i * members];
      for (std::size_t m = 0; m < members; ++m) mean[m] += row[m];
    }
    for (std::size_t m = 0; m < members; ++m) mean[m] /= static_cast<double>(train.size());
    for (const std::size_t i : train) {
      const double* row = &by_period[i * members];
      for (std::size_t m = 0; m < members; ++m)
        squares[m] += (row[m] - mean[m]) * (row[m] - mean[m]);
    }
    std::optional<double> best;
    for (std::size_t m = 0; m < members; ++m) {
      const double sd = std::sqrt(squares[m] / static_cast<double>(train.size() - 1));
      if (sd < kZeroVariance) continue;
      const double sharpe = mean[m] / sd;
      if (!best || sharpe > *best) {
        best = sharpe;
        chosen[s] = m;
      }
    }
  });
  std::size_t candidate_chosen = 0;
  for (std::size_t m : chosen) {
    if (family[m].id == candidate.id) ++candidate_chosen;
  }
  result.candidate_selected =
      static_cast<double>(candidate_chosen) / static_cast<double>(chosen.size());
  result.paths.resize(cpcv.paths);
  parallel_for(cpcv.paths, options.threads, [&](std::size_t p) {
    CpcvPath& path = result.paths[p];
    path.index = p;
    std::vector<double> series;
    series.reserve(n);
    for (std::size_t g = 0; g + 1 < cpcv.group_offsets.size(); ++g) {
      const StrategySeries& member = family[chosen[cpcv.path_split[p][g]]];
      path.selected.push_back(member.id);
      series.insert(
          series.end(), member.returns.begin() + static_cast<std::ptrdiff_t>(cpcv.group_offsets[g]),
          member.returns.begin() + static_cast<std::ptrdiff_t>(cpcv.group_offsets[g + 1]));
    }
    path.sharpe = sharpe_ratio(series, options.periods_per_year);
    path.total_return = compounded(series);
  });
  std::vector<double> path_sharpes;
  for (const CpcvPath& path : result.paths) {
    if (path.sharpe) path_sharpes.push_back(*path.sharpe);
  }
  result.median_path_sharpe = median(path_sharpes);
}

}  // namespace

WalkforwardResult walk_forward(const StrategySeries& candidate,
                               std::span<const StrategySeries> family,
                               const WalkforwardOptions& options) {
  WalkforwardResult result;
  // The candidate's folds run beside the family's CPCV (on another core when there is one).
  std::exception_ptr folds_failure;
  {
    const bool beside = options.threads != 1 && family.size() >= 2;
    std::jthread folds_worker;
    const auto compute_folds = [&] {
      try {
        result.folds = trade_folds(candidate, options);
      } catch (...) {
        folds_failure = std::current_exception();
      }
    };
    if (beside) {
      folds_worker = std::jthread(compute_folds);
    } else {
      compute_folds();
    }
    cpcv_of_family(candidate, family, options, result);  // joins the folds on the way out
  }
  if (folds_failure) std::rethrow_exception(folds_failure);
  std::vector<double> sharpes;
  for (const FoldResult& f : result.folds) {
    if (f.total_return > 0) ++result.positive_folds;
    if (f.sharpe) sharpes.push_back(*f.sharpe);
  }
  if (!sharpes.empty()) {
    double sum = 0;
    for (double s : sharpes) sum += s;
    result.mean_fold_sharpe = sum / static_cast<double>(sharpes.size());
    result.worst_fold_sharpe = *std::min_element(sharpes.begin(), sharpes.end());
  }
  return result;
}

}  // namespace gauntlet::validation
