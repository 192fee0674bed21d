// File: runtime/app_runtime.hpp
//
// AppRuntime: the lifecycle orchestrator (seed 001 §1.1). It boots the engine of a paper
// session - state store, market data, the paper venue, capital, orders, strategies and their
// exploration - runs its main loop and shuts it down gracefully. It coordinates; it never does
// strategy maths (strategies/), sizing (risk_manager), order placement (order_router, through
// trade_executor) or SL/TP (sl_tp_manager).
//
// Feeds (FeedMode):
//   replay     historical bars from a data root, as fast as possible, exiting at the end of the
//              data. The root is a bar store (gauntlet data import) or a directory of bar files
//              in any format `gauntlet data import` reads, imported once into the state
//              directory. Each symbol replays its finest timeframe; the data_manager resamples
//              1m bars into 5m and 15m on the fly.
//   simulated  the seeded simulated market (data/feeds/simulated_market.hpp): two days of
//              history generated at start for the strategies' warm-up, then one market minute
//              every 60 / speed wall seconds. The offline default.
//   live       Bybit's spot public feed (WebSocket klines and tickers, REST backfill of two days
//              for the warm-up) on the wall clock, the universe ranked by the venue's 24h
//              turnover and only its pairs streamed; orders fill on the paper venue at the live
//              bars. Each pass of live_loop_interval is one transaction with the paper
//              venue's state and the checkpoint; the housekeeping runs every 15 minutes and a
//              reconciliation every 10 seconds.
//   auto       live when Bybit's REST API answers within seconds, otherwise simulated, announced
//              loudly with the reason. A state directory resumes on the feed it began on.
//
// Replay and simulated: one step = one market minute: the clock moves to the next bar close, the
// feed publishes, the data_manager resamples, the paper venue fills and triggers what the bars
// reach, the strategies that see a closed 15m bar propose signals, a closed 5m bar confirms them,
// the scheduler picks the candidate that trades, trade_executor sends it through the order router,
// closed trades go to the journal, the registry, the session and the trade log. With the paper
// venue in process, a step is one SQLite transaction that also holds the venue's state and a
// checkpoint of every in-memory ledger (risk, exploration quotas, scheduler fairness, universe,
// pending confirmations): a kill at any point loses the whole step or nothing, and a restart
// resumes at the step after the last committed one, giving the same trades as an uninterrupted run.
//
// Strategies are evaluated on a window of the last warm-up bars (a fresh instance each time), so
// a signal is a pure function of the closed bars: identical after a restart, whatever the
// instance's history.
//
// Lifecycle per candidate (exploration_manager.review decides, the runtime carries it out):
// exploring (ensure_active_candidates keeps exploration.active_candidates_per_asset per asset,
// backfilled by the strategy generator) -> validating once phase 1 passed on min_paper_trades
// closed trades: the session hands it to the automatic gauntlet (RunOptions::make_validator,
// runtime/validation_pipeline) with the bars it has seen so far, keeps trading it on paper
// meanwhile, and applies the gate's verdict when it arrives: promoted (flagged demo on the
// simulated market's evidence), or back to exploring with the gate's reasons, retired after
// max_validation_attempts refusals; retired also on a failed phase 1 or a profit factor under
// the floor. Promoted strategies keep trading on paper. A replay that reaches its end waits for
// its validations; a session stopped before a verdict validates the strategy again on restart.
//
// Live (runtime/live_venue.cpp): a session started with a venue (RunOptions::venue, gauntlet run
// --venue bybit) holds a live broker beside the paper venue. Every asset starts on paper;
// enable_live(asset) moves it to the live broker (router, protection and reconciliation), and
// the choice is persisted: a restart routes it there before recovering its orders. It is refused,
// naming the first reason, unless the asset is switched on, ENVIRONMENT is production,
// ROLLOUT_STAGE admits the asset (1 spot, 2 + perp, 3 + forex and options), the asset has a
// strategy promoted on real bars, the venue's keys are set, the venue trades the asset, its
// broker is connected, it answered a reconciliation in the last minute, and the asset holds no
// paper position or open paper order. On a live asset only strategies promoted on real bars
// trade (exploring candidates wait for an asset still on paper), and entries wait for the first
// clean reconciliation with the venue (broker_desync until then), which adopts and protects
// what the venue holds that the engine does not know. disable_live moves a flat asset back to
// paper. The kill switch on a live asset cancels its orders and closes its positions
// reduce-only on the venue, then halts it.
//
// Threading: one thread, the engine loop. request_stop() may be called from a signal handler
// installed by the caller; run() installs its own SIGINT/SIGTERM handling through asio.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "core/decimal.hpp"
#include "core/interfaces.hpp"
#include "core/orders.hpp"
#include "core/secrets.hpp"
#include "core/time.hpp"
#include "orders/order_journal.hpp"
#include "runtime/candidate_validator.hpp"
#include "runtime/control.hpp"
#include "strategies/strategy.hpp"
#include "strategies/strategy_registry.hpp"

namespace gauntlet::runtime {

enum class FeedMode { kAuto, kLive, kSimulated, kReplay };
std::string_view to_string(FeedMode mode);
std::optional<FeedMode> feed_mode_from_string(std::string_view text);

// A signal a strategy proposed at the close of a primary bar, before its 5m confirmation.
struct SignalRecord {
  std::string strategy_id;
  Asset asset = Asset::kSpot;
  Symbol symbol;
  TimestampMs time = 0;  // the primary bar's close
  OrderSide side = OrderSide::kBuy;
  double strength = 0;
  Decimal stop_loss;
  Decimal take_profit;

  friend bool operator==(const SignalRecord&, const SignalRecord&) = default;
};

// The primary bars a strategy is evaluated on (its warm-up): three times its longest lookback
// plus 30, within [60, 650].
std::size_t warmup_bars(const strategies::Parameters& parameters);

// The paper venue's fixed slippage per taker fill in bps when RunOptions::slippage_bps is not
// set (the venue model's default; stress tests scale it).
double paper_venue_slippage_bps();

struct RunOptions {
  FeedMode feed = FeedMode::kAuto;
  // The config file the session was started from: when set, a change to it (polled each
  // second), SIGHUP or reload_config() re-reads it and applies the reloadable sections (risk,
  // exploration, exposure_caps) to the running engine under a new version tag.
  std::filesystem::path config_file;
  std::filesystem::path state_dir = "state";
  std::filesystem::path data_root;  // replay: a bar store root or bar files
  std::optional<TimestampMs> from;  // replay: first bar open time (inclusive)
  std::optional<TimestampMs> to;    // replay: last bar open time (exclusive)
  std::filesystem::path trade_log;  // default <state_dir>/trades.csv
  std::filesystem::path search_space = "config/ml_search.json";
  double speed = 60;  // simulated: market seconds per wall second
  uint64_t seed = 1;  // simulated: the market's seed
  // Crypto pairs watched (20-40 in production) and the USD of 24h turnover a pair needs;
  // unset, the config's universe.size and universe.min_turnover.
  std::optional<int> universe_size;
  std::optional<double> min_turnover;
  DurationMs status_interval = 5 * kSecondMs;  // wall time between status lines
  std::optional<DurationMs> run_for;           // wall time after which the session stops (demos)
  std::string bybit_rest_url = "https://api.bybit.com";
  std::string bybit_ws_url;  // empty: Bybit's spot public WebSocket
  // The venue the session's live assets trade on: empty, none (every order on the paper
  // venue); "bybit", Bybit V5 for spot and perpetuals (gauntlet run --venue bybit), on the live
  // feed of the same Bybit: config bybit.environment's hosts, or every endpoint at
  // venue_base_url when it is set (a local Bybit, gauntlet venue bybit).
  std::string venue;
  std::string venue_base_url;
  Secrets secrets;     // the venue's API key and secret (core/secrets.hpp)
  bool quiet = false;  // no status lines on stdout
  // Replay: market seconds per wall second; unset, as fast as possible.
  std::optional<double> replay_speed;
  // When a replay reaches the end of its data, keep the finished session open for the control
  // plane until SIGINT/SIGTERM or request_stop() (gauntlet run --port).
  bool serve_after_end = false;

  // Backtests (validation/backtester). The candidates to run instead of the generator's: each is
  // registered and explored, the generator adds none. Empty: the generator's, as in a session.
  std::vector<strategies::StrategyDescriptor> candidates;
  // Whether candidates move on as in a paper session (validating after min_paper_trades, retired
  // under the profit-factor floor). A backtest of given candidates keeps them exploring.
  bool lifecycle = true;
  // Builds the automatic gauntlet (runtime/validation_pipeline) once the session knows its
  // bars: candidates that qualify are validated on a worker thread and the verdicts applied
  // here. Unset: they wait in validating for `gauntlet validate`.
  std::function<std::unique_ptr<CandidateValidator>(const ValidatorContext&)> make_validator;
  // Whether each committed hour also commits a checkpoint of the in-memory ledgers, so that a
  // killed session resumes exactly. A backtest (fresh state, never resumed) goes without: its
  // state directory is marked and refused for resuming.
  bool checkpoints = true;
  // Whether run() stops on SIGINT/SIGTERM. The backtests of the automatic gauntlet, which run on
  // a worker thread of a running session, leave the signals to the session.
  bool handle_signals = true;
  // Every symbol the feed offers is watched, whatever the universe (the lookahead check).
  bool watch_all_symbols = false;
  // Called with every signal a strategy proposes, in the order they are made.
  std::function<void(const SignalRecord&)> on_signal;
  // Called after each committed batch of steps with the market time reached (progress bars).
  std::function<void(TimestampMs)> on_progress;
  // The paper venue's fixed slippage per taker fill in bps (default: the venue model's 2);
  // the stress tests' slippage shock raises it.
  std::optional<double> slippage_bps;
  // The paper venue's maker and taker fee rate on an asset, instead of FEE_MODEL's: a rehearsal
  // of a venue that charges otherwise than the engine's model. The engine keeps its model; the
  // reconciler sees the venue's fees drift from it, flags broker_desync and halts the asset.
  std::map<Asset, Decimal> paper_fee_rates;
  // FAULT INJECTION for the lookahead check's own test, never set otherwise (no command-line
  // flag): strategies are evaluated on a window that runs this many primary bars past the bar
  // that just closed, read from the bar data ahead of the clock: a deliberately leaky setup.
  int lookahead_fault_bars = 0;
};

class AppRuntime final : public ControlSource {
 public:
  AppRuntime(config::Config config, RunOptions options);
  ~AppRuntime();
  AppRuntime(const AppRuntime&) = delete;
  AppRuntime& operator=(const AppRuntime&) = delete;

  // Opens the state directory, resumes the session stored there (or starts one), recovers the
  // orders and positions, reconciles with the paper venue and starts the feed.
  void start_all();
  // Runs the main loop until the replay ends, run_for passes or a stop is requested (SIGINT,
  // SIGTERM, request_stop()), then stop_all(). Returns the process exit code (0).
  int run();
  // Graceful shutdown: no new entries, the step in progress finished and committed, positions
  // left open with their protection, the final status printed.
  void stop_all();
  // One pass of the housekeeping the main loop schedules at market time `now`: the universe
  // refresh, candidate backfill, reconciliation, bankroll and equity marks.
  void tick(TimestampMs now);

  void request_stop();

  Decision enable_live(Asset asset) override;
  Decision disable_live(Asset asset) override;

  RuntimeStatus status() const override;

  // The session's closed trades after `after_sequence`, in close order (the journal's).
  std::vector<orders::ClosedTrade> closed_trades(int64_t after_sequence = 0) const override;
  // Every registered strategy with its state and counters.
  std::vector<strategies::StrategyRecord> strategies() const override;
  // The venue's realised P&L on `asset` since the engine first reconciled it (its last
  // snapshot): the figure broker truth is judged by. nullopt before a snapshot arrived.
  std::optional<Decimal> venue_realised(Asset asset) const;
  // The root of the bar store the session reads (replay: the data root or its import).
  std::filesystem::path bar_root() const;
  // The replay's window [from, to); nullopt for the other feeds.
  std::optional<std::pair<TimestampMs, TimestampMs>> replay_window() const;

  // --- The control plane (ui/api_server) --------------------------------------------------
  // Queues `task` for the engine thread, which runs it between two committed batches of steps,
  // while it waits for the market, and after the session ended while serve_until_stopped()
  // runs. Each task runs in a store transaction, with the bus drained inside it (so an action's
  // orders are journaled and sent); `done` runs after the commit (nullptr), or after the
  // rollback with the task's failure, so an answer built on it never reports what a crash could
  // still undo. Safe from any thread; false, the task dropped, once the runtime is being
  // destroyed.
  bool post(std::function<void()> task, std::function<void(std::exception_ptr)> done = {}) override;
  // Called on the engine thread after each committed batch of steps (false) and once when the
  // session stops (true). Set it on the engine thread; an empty function removes it.
  void on_committed(std::function<void(bool final)> callback) override;
  // After run(): keeps running posted tasks until SIGINT, SIGTERM or request_stop(), so that a
  // finished session stays open for inspection (gauntlet run --port).
  void serve_until_stopped();
  // Started and not stopped.
  bool running() const override;

  // Engine-thread reads: what the control plane shows.
  std::vector<AssetPanel> asset_panels() const override;
  std::vector<PositionView> positions() const override;
  std::vector<orders::JournalEntry> open_orders() const override;
  std::vector<QuoteView> quotes() const override;
  // The paper session's equity marks after `after` (exclusive), each asset's equity carried
  // forward from the last mark that recorded it.
  std::vector<EquityMark> equity_marks(TimestampMs after) const override;
  std::vector<strategies::Transition> strategy_history(const std::string& id) const override;
  std::vector<capital::Epoch> epochs() const override;
  std::optional<Precision> precision(Asset asset, const Symbol& symbol) const override;

  // Engine-thread actions, each through its owner; refused with not_running once stopped.
  // The kill switch (trade_executor): halts entries, cancels the orders and closes the
  // positions of `asset`, or of every asset; the halt survives a restart (runtime_state).
  Decision kill(std::optional<Asset> asset) override;
  // Lifts a kill switch's halt on new entries.
  Decision resume(Asset asset) override;
  // Sets or clears a flag of a strategy (strategy_registry).
  Decision set_flag(const std::string& id, const std::string& flag, bool on) override;
  // Moves one budget step between the pool and the asset (budget_manager).
  Decision change_allocation(Asset asset, bool add) override;
  // Re-reads the config file (RunOptions::config_file) and applies its reloadable sections;
  // refused, naming every problem, when the file is invalid (the running config stays).
  Decision reload_config() override;
  // Sets the API's sentiment scores (persisted) and refreshes the crypto universes with them;
  // refused, naming it, for a symbol that does not parse or a score outside [-1, 1].
  Decision set_sentiment(const std::map<std::string, double>& scores) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gauntlet::runtime
