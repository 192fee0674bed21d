#include "validation/validation_manager.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <map>
#include <mutex>
#include <set>

#include "core/exceptions.hpp"
#include "core/parallel.hpp"
#include "core/store/sqlite_store.hpp"
#include "data/bar_store.hpp"
#include "data/resampler.hpp"
#include "indicators/technical_indicators.hpp"
#include "learning/ml/strategy_generator.hpp"
#include "orders/order_journal.hpp"
#include "strategies/strategy.hpp"
#include "validation/backtester.hpp"
#include "validation/metrics.hpp"
#include "validation/stress_shocks.hpp"
#include "validation/trial_log.hpp"

namespace gauntlet::validation {
namespace {

struct Run {
  std::string name;  // the family member's id, or the shock's name
  BacktestSpec spec;
  bool shock = false;
  BacktestResult result;
};

double allocation(const config::Config& config, Asset asset) {
  return config.budgets.allocation[static_cast<std::size_t>(asset)].to_double();
}

// The family: the candidate, the session's other strategies of its family and asset, then the
// generator's, up to `size`.
std::vector<strategies::StrategyDescriptor> family_of(
    const strategies::StrategyDescriptor& candidate,
    const std::vector<strategies::StrategyRecord>& registered,
    const std::filesystem::path& search_space, std::size_t size) {
  std::vector<strategies::StrategyDescriptor> family = {candidate};
  std::set<std::string> ids = {strategies::strategy_id(candidate)};
  const auto add = [&](const strategies::StrategyDescriptor& d) {
    if (family.size() >= size || d.family != candidate.family || d.asset != candidate.asset) return;
    if (ids.insert(strategies::strategy_id(d)).second) family.push_back(d);
  };
  for (const strategies::StrategyRecord& r : registered) add({r.family, r.asset, r.params_json});
  if (family.size() < size) {
    learning::StrategyGenerator generator = learning::StrategyGenerator::from_file(search_space);
    for (int draws = 0; draws < 2000 && family.size() < size; ++draws) {
      const auto next = generator.generate(candidate.asset);
      if (!next) break;
      add(*next);
    }
  }
  return family;
}

// The market regime at each trade's entry: market_regime over the symbol's closed primary bars.
std::vector<std::string> regimes_at_entry(const std::vector<orders::ClosedTrade>& trades,
                                          const data::BarStore& store, Timeframe primary,
                                          TimestampMs from, TimestampMs to) {
  std::map<std::string, std::pair<std::vector<TimestampMs>, std::vector<double>>> by_symbol;
  const DurationMs step = duration_ms(primary);
  for (const data::SeriesKey& key : store.list()) {
    const std::string name = key.symbol.canonical();
    bool traded = false;
    for (const orders::ClosedTrade& t : trades) traded |= t.symbol == key.symbol;
    if (!traded || by_symbol.contains(name)) continue;
    if (duration_ms(key.timeframe) > step) continue;
    const data::BarSeries source = store.load_bars(key, from - 5 * kDayMs, to);
    const data::BarSeries bars =
        key.timeframe == primary ? source : data::resample(source, key.timeframe, primary, to);
    if (bars.empty()) continue;
    std::vector<double> open, high, low, close, volume;
    std::vector<TimestampMs> closes;
    for (std::size_t i = 0; i < bars.size(); ++i) {
      const Bar b = bars.bar(i);
      open.push_back(b.open.to_double());
      high.push_back(b.high.to_double());
      low.push_back(b.low.to_double());
      close.push_back(b.close.to_double());
      volume.push_back(b.volume.to_double());
      closes.push_back(b.open_time + step);
    }
    std::vector<double> regime(bars.size());
    indicators::market_regime({open, high, low, close, volume}, {}, regime);
    by_symbol[name] = {std::move(closes), std::move(regime)};
  }
  std::vector<std::string> out;
  for (const orders::ClosedTrade& t : trades) {
    std::string label = "unknown";
    const auto found = by_symbol.find(t.symbol.canonical());
    if (found != by_symbol.end()) {
      const auto& [closes, regime] = found->second;
      const auto after = std::upper_bound(closes.begin(), closes.end(), t.entry_time);
      if (after != closes.begin()) {
        const double r = regime[static_cast<std::size_t>(after - closes.begin()) - 1];
        if (!std::isnan(r)) {
          const auto value = static_cast<indicators::Regime>(static_cast<int>(r));
          label = value == indicators::Regime::kRange            ? "range"
                  : value == indicators::Regime::kHighVolatility ? "high_vol"
                                                                 : "trend";
        }
      }
    }
    out.push_back(label);
  }
  return out;
}

StrategySeries series_of(const std::string& id, const BacktestResult& result) {
  StrategySeries s;
  s.id = id;
  const auto found = result.by_strategy.find(id);
  if (found == result.by_strategy.end()) {
    s.equity = {{result.from, 0}};
    return s;
  }
  s.trades = found->second.trades;
  s.equity = found->second.equity;
  s.returns = found->second.returns;
  return s;
}

Percentiles scaled(Percentiles p, double factor) {
  p.p5 *= factor;
  p.p25 *= factor;
  p.p50 *= factor;
  p.p75 *= factor;
  p.p95 *= factor;
  p.mean *= factor;
  return p;
}

StressRow stress_row(std::string name, const Percentiles& p, std::string unit) {
  return {std::move(name), p.samples, p.p5, p.p25, p.p50, p.p75, p.p95, std::move(unit)};
}

ValidationReport report_of(const ValidationOutcome& o, const ValidateSpec& spec,
                           const BacktestResult& main) {
  ValidationReport r;
  r.strategy_id = o.strategy_id;
  r.family = o.descriptor.family;
  r.asset = std::string(to_string(o.descriptor.asset));
  r.parameters_json = o.descriptor.params_json;
  r.data_description =
      fmt::format("backtest of {} from {} to {}; {} family members, {} trials in the trial log",
                  spec.data_root.string(), format_iso8601(main.from).substr(0, 16),
                  format_iso8601(main.to).substr(0, 16), o.family.size(), o.trials);
  r.generated_at = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  r.passed = o.decision.passed;
  r.reasons = o.decision.reasons;
  const PerformanceMetrics& m = o.metrics;
  r.metrics = {{"Total return", m.total_return, "%"},
               {"CAGR", m.cagr, "%"},
               {"Sharpe", m.sharpe, ""},
               {"Sortino", m.sortino, ""},
               {"Max drawdown", m.max_drawdown, "%"},
               {"Calmar", m.calmar, ""},
               {"Win rate", m.trades.win_rate, "%"},
               {"Profit factor", m.trades.profit_factor, "x"},
               {"Trades", static_cast<double>(m.trades.n_trades), ""},
               {"CVaR 95", m.cvar_95, "%"},
               {"Deflated Sharpe", o.dsr, ""},
               {"PBO", o.pbo, "%"},
               {"Expectancy", m.trades.expectancy, ""},
               {"Exposure", m.exposure, "%"},
               {"Turnover", m.turnover, "x"},
               {"Sharpe (daily)", m.daily_sharpe, ""}};
  for (const GateCriterionResult& c : o.decision.criteria) {
    r.gate.push_back({c.name, c.value, c.comparison, c.threshold, c.verdict == Verdict::kPass,
                      c.verdict == Verdict::kInsufficient ? "INSUFFICIENT: " + c.note : c.note});
  }
  const auto found = main.by_strategy.find(o.strategy_id);
  if (found != main.by_strategy.end()) {
    r.equity = found->second.equity;
    for (const orders::ClosedTrade& t : found->second.trades) {
      r.trades.push_back({t.symbol.canonical(), std::string(to_string(t.side)), t.entry_time,
                          t.exit_time, t.quantity.to_double(), t.entry_price.to_double(),
                          t.exit_price.to_double(), t.stop_loss.to_double(),
                          t.take_profit.to_double(), t.fees.to_double(), t.realized_pnl.to_double(),
                          t.exit_reason});
    }
  }
  const double start = m.starting_equity > 0 ? m.starting_equity : 1.0;
  if (o.trade_stress) {
    const TradeStress& s = *o.trade_stress;
    r.stress.push_back(stress_row("Reordering: max drawdown", s.reorder_max_drawdown, "%"));
    r.stress.push_back(
        stress_row("Bootstrap: total return", scaled(s.bootstrap_total_pnl, 1.0 / start), "%"));
    r.stress.push_back(stress_row("Bootstrap: profit factor", s.bootstrap_profit_factor, "x"));
    r.stress.push_back(stress_row("Bootstrap: max drawdown", s.bootstrap_max_drawdown, "%"));
    r.stress.push_back(stress_row("Bootstrap: win rate", s.bootstrap_win_rate, "%"));
  }
  if (o.return_stress) {
    r.stress.push_back(stress_row("Block bootstrap: Sharpe", o.return_stress->sharpe, ""));
    r.stress.push_back(
        stress_row("Block bootstrap: max drawdown", o.return_stress->max_drawdown, "%"));
  }
  for (const ShockResult& shock : o.shocks) {
    const double value = shock.metrics.total_return;
    r.stress.push_back({fmt::format("Shock {}: total return", shock.name), 1, value, value, value,
                        value, value, "%"});
  }
  for (const RegimeSlice& slice : o.regimes) {
    const double pnl = slice.total_pnl / start;
    r.stress.push_back(
        {fmt::format("Regime {} ({} trades): return", slice.regime, slice.stats.n_trades),
         slice.stats.n_trades, pnl, pnl, pnl, pnl, pnl, "%"});
  }
  for (const FoldResult& f : o.walkforward.folds) {
    r.folds.push_back({fmt::format("fold {}", f.index + 1), f.test_from, f.test_to, f.train_samples,
                       f.test_samples, f.test.n_trades, f.sharpe, f.test.profit_factor,
                       f.max_drawdown, f.total_return});
  }
  for (const CpcvPath& p : o.walkforward.paths) {
    r.folds.push_back({fmt::format("CPCV path {}", p.index + 1), main.from, main.to, 0, 0, 0,
                       p.sharpe, std::nullopt, std::nullopt, p.total_return});
  }
  return r;
}

}  // namespace

ValidationOutcome validate(const ValidateSpec& spec) {
  const auto progress = [&](std::string_view stage, double fraction) {
    if (spec.progress) spec.progress(stage, fraction);
  };
  ValidationOutcome out;
  std::filesystem::create_directories(spec.session_state);
  store::SqliteOptions open_options;
  open_options.mode = store::OpenMode::kVerifyOrCreate;  // a corrupt session is refused
  auto store = store::SqliteStore::open(spec.session_state / "gauntlet.db", open_options);
  strategies::StrategyRegistry registry(*store);
  const orders::OrderJournal journal(*store);
  TrialLog trial_log(*store);

  // The candidate.
  std::optional<strategies::StrategyRecord> record;
  if (!spec.strategy_id.empty()) {
    record = registry.get(spec.strategy_id);
    if (!record) {
      throw ArgumentError(fmt::format("no strategy {} in the session {}", spec.strategy_id,
                                      spec.session_state.string()));
    }
    out.descriptor = {record->family, record->asset, record->params_json};
  } else if (spec.descriptor) {
    out.descriptor = *spec.descriptor;
    record = registry.get(strategies::strategy_id(out.descriptor));
  } else {
    throw ArgumentError("validate needs a strategy id or a descriptor");
  }
  out.strategy_id = strategies::strategy_id(out.descriptor);
  out.registered = record.has_value();
  out.state_before = record ? std::string(strategies::to_string(record->state)) : "unregistered";
  const OnlineValidator online(registry, journal, spec.config.exploration);
  out.online = online.status(out.strategy_id);

  // The backtests: the family, then the shocks.
  std::vector<strategies::StrategyRecord> registered;
  for (Asset asset : kAllAssets) {
    for (strategies::StrategyRecord& r : registry.get_for(asset)) registered.push_back(r);
  }
  const std::vector<strategies::StrategyDescriptor> family = family_of(
      out.descriptor, registered, spec.search_space, std::max<std::size_t>(1, spec.family_size));
  std::vector<Run> runs;
  const auto base = [&](const strategies::StrategyDescriptor& d) {
    BacktestSpec b;
    b.config = spec.config;
    b.data_root = spec.data_root;
    b.from = spec.from;
    b.to = spec.to;
    b.candidates = {d};
    b.search_space = spec.search_space;
    b.universe_size = spec.universe_size;
    b.min_turnover = spec.min_turnover;
    b.handle_signals = spec.handle_signals;
    return b;
  };
  for (const strategies::StrategyDescriptor& d : family) {
    out.family.push_back(strategies::strategy_id(d));
    runs.push_back({out.family.back(), base(d), false, {}});
  }
  // The shocks are stress_tests' (§8.4); they run here beside the family, on every core.
  const std::vector<ShockSpec> shocks =
      spec.shocks ? shock_specs(base(out.descriptor)) : std::vector<ShockSpec>{};
  for (const ShockSpec& shock : shocks) runs.push_back({shock.name, shock.spec, true, {}});
  {
    std::atomic<std::size_t> done{0};
    std::mutex mutex;
    progress("backtests", 0.0);
    parallel_for(runs.size(), spec.threads, [&](std::size_t i) {
      runs[i].result = run(runs[i].spec);
      const double fraction = static_cast<double>(++done) / static_cast<double>(runs.size());
      std::lock_guard lock(mutex);
      progress("backtests", fraction);
    });
  }
  const BacktestResult& main = runs.front().result;
  const std::string window =
      fmt::format("{}..{} {}", format_iso8601(main.from).substr(0, 16),
                  format_iso8601(main.to).substr(0, 16), spec.data_root.filename().string());
  const TimestampMs now = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  std::vector<StrategySeries> members;
  for (std::size_t i = 0; i < family.size(); ++i) {
    members.push_back(series_of(out.family[i], runs[i].result));
    const auto found = runs[i].result.by_strategy.find(out.family[i]);
    const PerformanceMetrics& m =
        found == runs[i].result.by_strategy.end() ? runs[i].result.metrics : found->second.metrics;
    trial_log.record({out.family[i], family[i].family, family[i].asset, family[i].params_json,
                      window, now, m.periods, m.sharpe_per_period});
  }
  const auto candidate_result = main.by_strategy.find(out.strategy_id);
  if (candidate_result == main.by_strategy.end())
    throw StateError(fmt::format("the backtest of {} produced no result", out.strategy_id));
  out.metrics = candidate_result->second.metrics;
  out.broker_pnl = candidate_result->second.broker_pnl;
  out.engine_pnl = candidate_result->second.engine_pnl;
  for (std::size_t i = 0; i < shocks.size(); ++i)
    out.shocks.push_back(shock_result(shocks[i], runs[family.size() + i].result));

  // Walk-forward, stress, PBO, DSR.
  progress("walk-forward", 0.0);
  WalkforwardOptions wf;
  wf.periods_per_year = out.metrics.periods_per_year;
  wf.threads = spec.threads;
  if (members.front().trades.size() >= wf.folds)
    out.walkforward = walk_forward(members.front(), members, wf);
  progress("stress", 0.0);
  std::vector<double> pnl;
  for (const orders::ClosedTrade& t : members.front().trades)
    pnl.push_back(t.realized_pnl.to_double());
  ResamplingOptions resampling;
  resampling.paths = spec.stress_paths;
  resampling.seed = spec.seed;
  resampling.threads = spec.threads;
  const double start = allocation(spec.config, out.descriptor.asset);
  if (!pnl.empty()) {
    out.trade_stress = stress_trades(pnl, start, resampling);
    const data::BarStore bars(main.bar_root);
    const std::vector<std::string> regimes = regimes_at_entry(
        members.front().trades, bars, spec.config.timeframes.primary, main.from, main.to);
    out.regimes = slice_by_regime(pnl, regimes);
  }
  if (members.front().returns.size() >= 2) {
    out.return_stress =
        stress_returns(members.front().returns, out.metrics.periods_per_year, 16, resampling);
  }
  std::vector<double> matrix;
  const std::size_t periods = members.front().returns.size();
  for (std::size_t t = 0; t < periods; ++t) {
    for (const StrategySeries& m : members) matrix.push_back(m.returns[t]);
  }
  std::size_t splits = 16;
  while (splits > 2 && periods / splits < 4) splits -= 2;
  if (members.size() >= 2 && periods >= splits * 2) {
    const auto pbo = probability_of_backtest_overfitting(matrix, members.size(), splits);
    if (pbo) out.pbo = pbo->pbo;
  }
  out.trials = trial_log.trial_count();
  const std::optional<double> variance = trial_log.sharpe_variance();
  if (out.trials == 1 || variance) {
    out.dsr = deflated_sharpe_ratio(members.front().returns, out.trials, variance.value_or(0.0));
  }

  // The gate.
  GateInput& in = out.input;
  in.online_trades = out.online.closed_trades;
  in.online_passed = out.online.outcome == OnlineOutcome::kPass;
  in.trades = out.metrics.trades.n_trades;
  in.history_days = static_cast<double>(main.to - main.from) / static_cast<double>(kDayMs);
  in.returns = out.metrics.periods;
  in.profit_factor = out.metrics.trades.profit_factor;
  in.sharpe = out.metrics.sharpe;
  in.max_drawdown = out.metrics.max_drawdown;
  in.cvar_95 = out.metrics.cvar_95;
  in.reconciliation_error = std::abs(out.engine_pnl - out.broker_pnl) / start;
  in.broker_desync = record && record->flags.contains("broker_desync");
  in.deflated_sharpe = out.dsr;
  in.trials = out.trials;
  in.pbo = out.pbo;
  in.family_size = members.size();
  const PromotionGate gate(spec.config.validation);
  out.decision = gate.decide(in);
  if (spec.apply && record && record->state == strategies::StrategyState::kValidating) {
    out.applied = gate.apply(registry, out.strategy_id, out.decision, now);
  }
  const auto after = registry.get(out.strategy_id);
  out.state_after = after ? std::string(strategies::to_string(after->state)) : "unregistered";

  progress("report", 0.0);
  out.report = build_report(report_of(out, spec, main), spec.reports_dir / out.strategy_id);
  progress("report", 1.0);
  return out;
}

}  // namespace gauntlet::validation
