// File: validation/backtester.hpp
//
// Owns the event-driven backtest (seed 001 §8.2): run(spec) -> trades, metrics. A backtest is
// not a second engine: it is the paper session's AppRuntime on a SimClock and the replay feed
// over historical bars, on a fresh state - the same strategies, signal confirmation, scheduler,
// risk manager, order router and paper venue (sim_broker's fees, slippage, latency and partial
// fills), so it gives the same trades as `gauntlet run --feed replay` over the same period.
// Bars reach a strategy only once they have closed (the data_manager publishes a bar when its
// interval has ended), and the 5m confirmation uses the next closed 5m bar.
//
// check_lookahead proves the "closed bars only" rule for the strategies actually run: it
// reruns the engine on the data truncated at each signal's time (no bar closing later exists)
// and flags every signal that changes or vanishes.
//
// Threading: run() drives one AppRuntime on the calling thread; check_lookahead() runs its
// truncated replays on worker threads, each with its own engine and state.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/time.hpp"
#include "orders/order_journal.hpp"
#include "runtime/app_runtime.hpp"
#include "strategies/strategy_registry.hpp"
#include "validation/performance.hpp"

namespace gauntlet::validation {

struct BacktestSpec {
  config::Config config;
  std::filesystem::path data_root;  // a bar store, or bar files `gauntlet data import` reads
  std::optional<TimestampMs> from;  // first bar open time; default the data's first
  std::optional<TimestampMs> to;    // last bar open time, exclusive; default the data's end
  // The candidates to run. Empty: the strategy generator's, exactly as a paper session.
  std::vector<strategies::StrategyDescriptor> candidates;
  // Where the session's state goes; empty: a temporary directory, removed with the result.
  std::filesystem::path state_dir;
  std::filesystem::path trade_log;  // default <state_dir>/trades.csv
  std::filesystem::path search_space = "config/ml_search.json";
  int universe_size = 30;
  double min_turnover = 5e6;
  // The period of the equity curve and of the per-period returns.
  DurationMs period = 15 * kMinuteMs;
  // Called with the share of the replay done, 0..1, after each committed hour of market.
  std::function<void(double)> progress;
  // Shocks (stress tests): the paper venue's slippage in bps (default the venue model's), and
  // the order latency is the config's simulation_order_delay.
  std::optional<double> slippage_bps;
  // Whether the backtest stops on SIGINT/SIGTERM (RunOptions::handle_signals): not when it runs
  // inside a session's automatic validation.
  bool handle_signals = true;
  // Test-only fault injection, passed to RunOptions::lookahead_fault_bars.
  int lookahead_fault_bars = 0;
};

// One strategy's share of a backtest.
struct StrategyResult {
  strategies::StrategyRecord record;
  std::vector<orders::ClosedTrade> trades;
  PerformanceMetrics metrics;
  std::vector<EquityPoint> equity;
  std::vector<double> returns;
  // Broker truth, as the gate's reconciliation criterion reads it: the venue's own realised P&L
  // on the strategy's asset (the paper venue's wallet, reported by its last snapshot) when the
  // strategy traded that asset alone in the run, as every validation backtest does; otherwise
  // the attribution of the venue's fills to their strategies (orders::realized_pnl_from_fills).
  double broker_pnl = 0;
  // The engine's P&L of the strategy: the pnl_reconciler's ledger (realised after fees, rebates
  // and funding, open positions' entry fees included).
  double engine_pnl = 0;
};

struct BacktestResult {
  TimestampMs from = 0;
  TimestampMs to = 0;
  std::vector<orders::ClosedTrade> trades;  // in close order
  std::vector<runtime::SignalRecord> signals;
  std::vector<strategies::StrategyRecord> strategies;
  // The whole book: every trade, on the starting equity of the assets traded.
  PerformanceMetrics metrics;
  std::vector<EquityPoint> equity;
  std::vector<double> returns;
  std::map<std::string, StrategyResult> by_strategy;  // by strategy id
  std::filesystem::path state_dir;
  std::filesystem::path trade_log;
  std::filesystem::path bar_root;  // the bars replayed (valid while the result lives)

  // Keeps a temporary state directory alive as long as the result (and its copies).
  std::shared_ptr<const void> scratch;
};

// Runs the backtest; throws ArgumentError for bad data or options (as `gauntlet run` does).
BacktestResult run(const BacktestSpec& spec);

struct LookaheadOptions {
  // At most this many signal times are rechecked, evenly spread over the run; 0 = all.
  std::size_t max_times = 200;
  std::size_t threads = 0;  // 0: one per core
  std::function<void(std::size_t done, std::size_t total)> progress;
};

struct LookaheadFinding {
  runtime::SignalRecord original;
  std::optional<runtime::SignalRecord> truncated;  // nullopt: it vanished
  std::string change;                              // "vanished", "side", "stop_loss", ...
};

struct LookaheadReport {
  std::size_t signals = 0;          // signals of the full run
  std::size_t signal_times = 0;     // distinct signal times
  std::size_t checked_times = 0;    // times rerun on truncated data
  std::size_t checked_signals = 0;  // signals at those times
  std::vector<LookaheadFinding> findings;
  bool clean() const { return findings.empty(); }
};

// Reruns the engine with the data truncated at each signal time of `full` (a result of run()
// with the same spec) and compares the signals made at that time.
LookaheadReport check_lookahead(const BacktestSpec& spec, const BacktestResult& full,
                                const LookaheadOptions& options = {});

}  // namespace gauntlet::validation
