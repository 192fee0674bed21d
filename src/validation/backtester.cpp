#include "validation/backtester.hpp"

#include <fmt/format.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <set>

#include "core/exceptions.hpp"
#include "core/parallel.hpp"
#include "core/store/sqlite_store.hpp"
#include "data/bar_store.hpp"
#include "learning/ml/strategy_generator.hpp"
#include "orders/pnl_ledger.hpp"
#include "orders/pnl_reconciler.hpp"

namespace gauntlet::validation {
namespace {

// A temporary directory removed with its last owner.
class ScratchDir {
 public:
  explicit ScratchDir(std::string_view prefix) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / fmt::format("{}-XXXXXX", prefix)).string();
    if (!mkdtemp(pattern.data()))
      throw StateError(fmt::format("cannot create a temporary directory {}", pattern));
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

double allocation(const config::Config& config, Asset asset) {
  return config.budgets.allocation[static_cast<std::size_t>(asset)].to_double();
}

runtime::RunOptions replay_options(const BacktestSpec& spec) {
  runtime::RunOptions options;
  options.feed = runtime::FeedMode::kReplay;
  options.data_root = spec.data_root;
  options.from = spec.from;
  options.to = spec.to;
  options.search_space = spec.search_space;
  options.universe_size = spec.universe_size;
  options.min_turnover = spec.min_turnover;
  options.quiet = true;
  options.candidates = spec.candidates;
  options.lifecycle = spec.candidates.empty();
  options.lookahead_fault_bars = spec.lookahead_fault_bars;
  options.slippage_bps = spec.slippage_bps;
  options.checkpoints = false;  // a backtest starts afresh and is never resumed
  options.handle_signals = spec.handle_signals;
  return options;
}

}  // namespace

BacktestResult run(const BacktestSpec& spec) {
  BacktestResult result;
  std::shared_ptr<ScratchDir> scratch;
  runtime::RunOptions options = replay_options(spec);
  if (spec.state_dir.empty()) {
    scratch = std::make_shared<ScratchDir>("gauntlet-backtest");
    options.state_dir = scratch->path();
    result.scratch = scratch;
  } else {
    if (std::filesystem::exists(spec.state_dir / "gauntlet.db")) {
      throw ArgumentError(fmt::format(
          "the backtest state directory {} is not fresh (it holds gauntlet.db); a backtest "
          "starts from nothing",
          spec.state_dir.string()));
    }
    options.state_dir = spec.state_dir;
  }
  options.trade_log = spec.trade_log;
  options.on_signal = [&result](const runtime::SignalRecord& s) { result.signals.push_back(s); };

  if (spec.progress) {
    // Called from run_batch, after start_all() has set the window.
    options.on_progress = [&result, progress = spec.progress](TimestampMs now) {
      const double span = static_cast<double>(std::max<TimestampMs>(1, result.to - result.from));
      progress(std::clamp(static_cast<double>(now - result.from) / span, 0.0, 1.0));
    };
  }
  runtime::AppRuntime engine(spec.config, options);
  engine.start_all();
  const auto window = engine.replay_window();
  result.from = window->first;
  result.to = window->second;
  engine.run();
  std::map<Asset, std::optional<double>> venue_realised;
  for (Asset asset : kAllAssets) {
    const std::optional<Decimal> venue = engine.venue_realised(asset);
    venue_realised[asset] = venue ? std::optional<double>(venue->to_double()) : std::nullopt;
  }
  result.trades = engine.closed_trades();
  result.strategies = engine.strategies();
  result.bar_root = engine.bar_root();
  result.state_dir = options.state_dir;
  result.trade_log =
      options.trade_log.empty() ? options.state_dir / "trades.csv" : options.trade_log;

  std::map<std::string, double> truth;
  std::map<std::string, double> ledger;
  {
    auto store = store::SqliteStore::open(options.state_dir / "gauntlet.db");
    truth = orders::realized_pnl_from_fills(orders::OrderJournal(*store));
    const orders::PnlLedger pnl(*store);
    for (const strategies::StrategyRecord& record : result.strategies)
      ledger[record.id] = pnl.strategy_total(record.id).to_double();
  }
  std::map<Asset, int> strategies_on;
  for (const strategies::StrategyRecord& record : result.strategies) ++strategies_on[record.asset];
  const data::BarStore bars(result.bar_root);
  const PriceHistory prices = PriceHistory::load(bars, result.trades, result.from, result.to);
  std::set<Asset> assets;
  for (const strategies::StrategyRecord& r : result.strategies) assets.insert(r.asset);
  for (const orders::ClosedTrade& t : result.trades) assets.insert(t.asset);
  if (assets.empty()) assets.insert(Asset::kSpot);
  double book = 0;
  for (Asset asset : assets) book += allocation(spec.config, asset);
  result.metrics = evaluate(result.trades, prices, *assets.begin(), result.from, result.to,
                            spec.period, book, &result.equity, &result.returns);
  for (const strategies::StrategyRecord& record : result.strategies) {
    StrategyResult& s = result.by_strategy[record.id];
    s.record = record;
    for (const orders::ClosedTrade& t : result.trades) {
      if (t.strategy_id == record.id) s.trades.push_back(t);
    }
    s.metrics = evaluate(s.trades, prices, record.asset, result.from, result.to, spec.period,
                         allocation(spec.config, record.asset), &s.equity, &s.returns);
    const auto found = truth.find(record.id);
    s.broker_pnl = found == truth.end() ? 0.0 : found->second;
    if (strategies_on[record.asset] == 1 && venue_realised[record.asset])
      s.broker_pnl = *venue_realised[record.asset];
    s.engine_pnl = ledger[record.id];
  }
  return result;
}

namespace {

// The primary bars the longest-warming strategy of `records` needs, as time.
DurationMs lookback_span(const std::vector<strategies::StrategyRecord>& records,
                         Timeframe primary) {
  std::size_t longest = 60;
  for (const strategies::StrategyRecord& r : records) {
    if (const auto parameters = learning::parse_params_json(r.params_json))
      longest = std::max(longest, runtime::warmup_bars(*parameters));
  }
  return static_cast<DurationMs>(longest + 2) * duration_ms(primary) + kDayMs;
}

std::string compare(const runtime::SignalRecord& a, const runtime::SignalRecord& b) {
  if (a.side != b.side) return "side";
  if (a.stop_loss != b.stop_loss) return "stop_loss";
  if (a.take_profit != b.take_profit) return "take_profit";
  if (a.strength != b.strength) return "strength";
  return {};
}

// The signals the engine makes at `time` when no bar closing after `time` exists.
std::vector<runtime::SignalRecord> truncated_signals(
    const BacktestSpec& spec, const data::BarStore& source,
    const std::vector<data::SeriesKey>& series,
    const std::vector<strategies::StrategyDescriptor>& candidates, TimestampMs time,
    DurationMs lookback, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  {
    data::BarStore truncated(dir / "bars");
    for (const data::SeriesKey& key : series) {
      const DurationMs step = duration_ms(key.timeframe);
      // Bars that have closed by `time`: open time <= time - step.
      const data::BarSeries bars = source.load_bars(key, time - lookback, time - step + 1);
      if (bars.empty()) continue;
      std::vector<Bar> copy;
      copy.reserve(bars.size());
      for (std::size_t i = 0; i < bars.size(); ++i) copy.push_back(bars.bar(i));
      truncated.upsert_bars(key, copy);
    }
  }
  const DurationMs primary = duration_ms(spec.config.timeframes.primary);
  BacktestSpec rerun = spec;
  rerun.candidates = candidates;
  runtime::RunOptions options = replay_options(rerun);
  options.data_root = dir / "bars";
  options.state_dir = dir / "state";
  options.from = time - primary;
  options.to = time;
  options.lifecycle = false;
  options.watch_all_symbols = true;
  std::vector<runtime::SignalRecord> signals;
  options.on_signal = [&signals, time](const runtime::SignalRecord& s) {
    if (s.time == time) signals.push_back(s);
  };
  {
    runtime::AppRuntime engine(spec.config, options);
    engine.run();
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return signals;
}

}  // namespace

LookaheadReport check_lookahead(const BacktestSpec& spec, const BacktestResult& full,
                                const LookaheadOptions& options) {
  LookaheadReport report;
  report.signals = full.signals.size();
  std::map<TimestampMs, std::vector<const runtime::SignalRecord*>> by_time;
  for (const runtime::SignalRecord& s : full.signals) by_time[s.time].push_back(&s);
  report.signal_times = by_time.size();
  std::vector<TimestampMs> times;
  for (const auto& [time, signals] : by_time) times.push_back(time);
  if (options.max_times > 0 && times.size() > options.max_times) {
    std::vector<TimestampMs> spread;
    for (std::size_t i = 0; i < options.max_times; ++i)
      spread.push_back(times[i * times.size() / options.max_times]);
    times = std::move(spread);
  }
  report.checked_times = times.size();
  for (TimestampMs t : times) report.checked_signals += by_time[t].size();
  if (times.empty()) return report;

  const data::BarStore source(full.bar_root);
  const std::vector<data::SeriesKey> series = source.list();
  const DurationMs lookback = lookback_span(full.strategies, spec.config.timeframes.primary);
  std::map<std::string, strategies::StrategyDescriptor> descriptor_by_id;
  for (const strategies::StrategyRecord& r : full.strategies)
    descriptor_by_id[r.id] = {r.family, r.asset, r.params_json};
  ScratchDir scratch("gauntlet-lookahead");

  std::vector<std::vector<LookaheadFinding>> findings(times.size());
  std::atomic<std::size_t> done{0};
  std::mutex progress_mutex;
  parallel_for(times.size(), options.threads, [&](std::size_t i) {
    const TimestampMs t = times[i];
    std::vector<strategies::StrategyDescriptor> candidates;
    std::set<std::string> ids;
    for (const runtime::SignalRecord* s : by_time[t]) {
      if (ids.insert(s->strategy_id).second)
        candidates.push_back(descriptor_by_id.at(s->strategy_id));
    }
    const std::vector<runtime::SignalRecord> rerun = truncated_signals(
        spec, source, series, candidates, t, lookback, scratch.path() / std::to_string(i));
    for (const runtime::SignalRecord* original : by_time[t]) {
      const auto same = std::find_if(rerun.begin(), rerun.end(), [&](const auto& s) {
        return s.strategy_id == original->strategy_id && s.asset == original->asset &&
               s.symbol == original->symbol;
      });
      if (same == rerun.end()) {
        findings[i].push_back({*original, std::nullopt, "vanished"});
      } else if (std::string change = compare(*original, *same); !change.empty()) {
        findings[i].push_back({*original, *same, change});
      }
    }
    const std::size_t finished = ++done;
    if (options.progress) {
      std::lock_guard lock(progress_mutex);
      options.progress(finished, times.size());
    }
  });
  for (auto& f : findings) {
    for (LookaheadFinding& finding : f) report.findings.push_back(std::move(finding));
  }
  return report;
}

}  // namespace gauntlet::validation
