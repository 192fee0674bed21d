#include "validation/trial_log.hpp"

#include <algorithm>

namespace gauntlet::validation {
namespace {

constexpr store::Migration kMigrations[] = {
    {1, "validation trials",
     "CREATE TABLE validation_trials ("
     "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
     "  strategy_id TEXT NOT NULL UNIQUE,"
     "  family TEXT NOT NULL,"
     "  asset TEXT NOT NULL,"
     "  params_json TEXT NOT NULL,"
     "  data_window TEXT NOT NULL,"
     "  evaluated_at INTEGER NOT NULL,"
     "  returns INTEGER NOT NULL,"
     "  sharpe_per_period REAL)"},
};

}  // namespace

TrialLog::TrialLog(store::Store& store) : store_(store) {
  store_.migrate("validation_trials", kMigrations);
}

void TrialLog::record(const Trial& trial) {
  const store::Value sharpe =
      trial.sharpe_per_period ? store::Value(*trial.sharpe_per_period) : store::Value(store::kNull);
  store_.transaction([&] {
    // Replacing in place keeps the first-recorded order (seq).
    const int64_t changed = store_.execute(
        "UPDATE validation_trials SET family = ?2, asset = ?3, params_json = ?4, data_window = ?5,"
        " evaluated_at = ?6, returns = ?7, sharpe_per_period = ?8 WHERE strategy_id = ?1",
        {trial.strategy_id, trial.family, std::string(to_string(trial.asset)), trial.params_json,
         trial.window, trial.evaluated_at, static_cast<int64_t>(trial.returns), sharpe});
    if (changed == 0) {
      store_.execute(
          "INSERT INTO validation_trials (strategy_id, family, asset, params_json, data_window,"
          " evaluated_at, returns, sharpe_per_period) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
          {trial.strategy_id, trial.family, std::string(to_string(trial.asset)), trial.params_json,
           trial.window, trial.evaluated_at, static_cast<int64_t>(trial.returns), sharpe});
    }
  });
}

std::vector<Trial> TrialLog::trials() const {
  std::vector<Trial> out;
  store_.query(
      "SELECT strategy_id, family, asset, params_json, data_window, evaluated_at, returns,"
      " sharpe_per_period FROM validation_trials ORDER BY seq",
      {}, [&](const store::Row& row) {
        Trial t;
        t.strategy_id = row.get_text(0);
        t.family = row.get_text(1);
        t.asset = asset_from_string(row.get_text(2)).value_or(Asset::kSpot);
        t.params_json = row.get_text(3);
        t.window = row.get_text(4);
        t.evaluated_at = row.get_int(5);
        t.returns = static_cast<std::size_t>(row.get_int(6));
        if (!row.is_null(7)) t.sharpe_per_period = row.get_double(7);
        out.push_back(std::move(t));
      });
  return out;
}

std::size_t TrialLog::size() const {
  return trials().size();
}

std::size_t TrialLog::trial_count() const {
  return std::max<std::size_t>(1, size());
}

std::optional<double> TrialLog::sharpe_variance() const {
  std::vector<double> sharpes;
  for (const Trial& t : trials()) {
    if (t.sharpe_per_period) sharpes.push_back(*t.sharpe_per_period);
  }
  if (sharpes.size() < 2) return std::nullopt;
  double mean = 0;
  for (double s : sharpes) mean += s;
  mean /= static_cast<double>(sharpes.size());
  double sum = 0;
  for (double s : sharpes) sum += (s - mean) * (s - mean);
  return sum / static_cast<double>(sharpes.size() - 1);
}

}  // namespace gauntlet::validation
