// File: runtime/internal/runtime_impl.hpp
//
// The inside of AppRuntime (runtime/app_runtime.hpp): the engine's state and the declarations
// of everything the runtime does with it, shared by the files that implement it, one job each:
//   app_runtime.cpp          the lifecycle: start, the main loop's steps and batches, the
//                            housekeeping, the control plane's tasks and the commit
//                            callback, config reload and SIGHUP, the status line, stop.
//   market_feeds.cpp         the feeds (replay, simulated, live) and the symbol universe.
//   signal_flow.cpp          from bars to trades: the strategies evaluated on the closed primary
//                            bars, the 5m confirmation, the scheduler's choice sent through
//                            trade_executor; time exits and the protection invariant.
//   candidate_lifecycle.cpp  closed trades to the registry's counters, the rewards and the trade
//                            log; exploration_manager's review; the engine side of the automatic
//                            gauntlet (submitting candidates, applying the verdicts).
//   checkpoint.cpp           the checkpoint of the in-memory ledgers a restart resumes from.
//   control_reads.cpp        the control plane's reads and actions (ControlSource), the
//                            status.
// The runtime coordinates the owners: the signals are the strategies', the sizing the risk
// manager's, the orders the order router's (through trade_executor), the lifecycle rule
// exploration_manager's, the verdicts the promotion gate's.
// Not a public header: only the app_runtime target's sources include it.
//
// Threading: one thread, the engine loop. Only control_mutex (with control_tasks and
// control_closed), stop_requested and reload_requested are touched from other threads.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "brokers/bybit/bybit_broker.hpp"
#include "brokers/bybit/hosts.hpp"
#include "brokers/bybit/rest_client.hpp"
#include "brokers/sim/sim_broker.hpp"
#include "capital/bankroll_manager.hpp"
#include "capital/budget_manager.hpp"
#include "capital/exposure_manager.hpp"
#include "capital/risk_manager.hpp"
#include "capital/session_manager.hpp"
#include "core/asio.hpp"
#include "core/clock.hpp"
#include "core/config_manager.hpp"
#include "core/event_bus.hpp"
#include "core/logging.hpp"
#include "core/runtime_state.hpp"
#include "core/state_lock.hpp"
#include "core/store/sqlite_store.hpp"
#include "core/time.hpp"
#include "core/wall_clock.hpp"
#include "data/bar_store.hpp"
#include "data/data_manager.hpp"
#include "data/feeds/bybit_live_feed.hpp"
#include "data/feeds/replay_feed.hpp"
#include "data/feeds/simulated_feed.hpp"
#include "data/symbol_universe.hpp"
#include "learning/ml/strategy_generator.hpp"
#include "orders/order_router.hpp"
#include "orders/pnl_reconciler.hpp"
#include "orders/trade_executor.hpp"
#include "runtime/app_runtime.hpp"
#include "runtime/candidate_validator.hpp"
#include "runtime/control.hpp"
#include "runtime/live_toggles.hpp"
#include "runtime/trade_log.hpp"
#include "strategies/exploration_manager.hpp"
#include "strategies/strategy.hpp"
#include "strategies/strategy_registry.hpp"
#include "strategies/strategy_scheduler.hpp"
#include "validation/online_validator.hpp"

namespace gauntlet::runtime::internal {

// The runtime's log ("app_runtime"), one logger for every file of the runtime.
inline spdlog::logger& log() {
  static auto logger = module_logger("app_runtime");
  return *logger;
}

// Marks the state directory of a backtest, which is never resumed.
inline constexpr std::string_view kBacktestKey = "runtime.backtest";
// The market history a simulated session generates at start, for the strategies' warm-up.
inline constexpr DurationMs kSimulatedHistory = 2 * kDayMs;
// Market time between two passes of the housekeeping (tick).
inline constexpr DurationMs kHousekeepingInterval = 15 * kMinuteMs;
// Market time between reconciliations of a replay or simulated session (the paper venue is in
// process: nothing can diverge between two checkpoints but the venue's own model).
inline constexpr DurationMs kReconcileInterval = kHourMs;
// Wall time between reconciliations of a session on a live feed.
inline constexpr auto kLiveReconcileInterval = std::chrono::seconds(10);
// Market time between checkpoints: the steps in between commit together.
inline constexpr DurationMs kCheckpointInterval = kHourMs;

// Registry counters the runtime keeps per strategy.
inline constexpr std::string_view kClosedCounter = "closed_trades";
inline constexpr std::string_view kWinsCounter = "wins";
inline constexpr std::string_view kLossesCounter = "losses";
inline constexpr std::string_view kProfitCounter = "gross_profit_nano";  // Decimal raw units
inline constexpr std::string_view kLossCounter = "gross_loss_nano";
inline constexpr std::string_view kDesyncFlag = "broker_desync";
// The API's sentiment scores (AppRuntime::set_sentiment), a JSON object symbol -> score.
inline constexpr std::string_view kSentimentKey = "universe.sentiment";
// Market time between a candidate qualifying and its verdict being applied in a replay, which
// holds there until the verdict has arrived: replays decide alike, whatever the wall clock.
inline constexpr DurationMs kVerdictDelay = kHourMs;

// Returns "YYYY-MM-DDTHH:MM", the minute of `t`, for the logs and the banner.
inline std::string iso_minute(TimestampMs t) {
  return format_iso8601(t).substr(0, 16);
}

// The series a replay publishes: per (domain, symbol) the finest timeframe, of the venue that
// holds the most series of that domain. Defined in market_feeds.cpp.
std::vector<data::SeriesKey> replay_series(const data::BarStore& store);

}  // namespace gauntlet::runtime::internal

namespace gauntlet::runtime {

// Per-asset market state: the data manager of the asset's venue, the symbols it can trade and
// the universe watched.
struct AssetMarket {
  Asset asset = Asset::kSpot;
  std::unique_ptr<data::DataManager> manager;
  std::vector<Symbol> symbols;  // everything the feed offers for the asset
  data::SymbolUniverse universe;
  std::set<std::string> watched;  // the universe's symbols (canonical)
};

// The confirmations waiting for the next closed 5m bar of a symbol.
struct Pending {
  TimestampMs primary_close = 0;
  std::vector<std::pair<std::string, strategies::SignalConfirmer>> signals;
};

struct AppRuntime::Impl {
  config::Config config;
  RunOptions options;

  asio::io_context loop;
  EventBus bus{loop};
  SimClock sim_clock{0};
  std::unique_ptr<WallClock> wall_clock;  // the live feed's
  Clock* clock = &sim_clock;
  std::optional<StateLock> state_lock;  // before store: released after the database closes
  std::unique_ptr<store::SqliteStore> store;
  std::unique_ptr<RuntimeState> runtime_state;
  std::unique_ptr<data::BarStore> bars;
  std::map<Asset, AssetMarket> markets;
  std::unique_ptr<data::ReplayFeed> replay;
  std::unique_ptr<data::SimulatedFeed> simulated;
  std::unique_ptr<brokers::bybit::RestClient> rest;
  // The live feeds, spot's first (and linear's beside it), each on its asset's data manager;
  // live_feed is spot's.
  std::vector<std::unique_ptr<data::BybitLiveFeed>> live_feeds;
  data::BybitLiveFeed* live_feed = nullptr;
  std::map<Asset, std::vector<data::QuoteUpdated>> live_tickers;  // the first universes' turnover
  std::string fallback_reason;
  // The timeframe each (domain, symbol) replays or streams (its finest); looked up per bar.
  std::map<std::pair<Asset, std::string>, Timeframe, AssetSymbolLess> base_timeframe;
  std::string feed_name;
  std::string feed_note;
  std::optional<TimestampMs> replay_from;
  std::optional<TimestampMs> replay_to;

  std::unique_ptr<brokers::SimBroker> broker;
  // The venue live assets trade on (RunOptions::venue), and when it last answered a snapshot
  // of each asset (steady clock): enable_live wants one in the last minute.
  std::unique_ptr<brokers::bybit::BybitBroker> live_broker;
  std::map<Asset, std::chrono::steady_clock::time_point> live_answered;
  std::set<Asset> live_routed;        // the assets whose orders go to live_broker
  std::set<Asset> universe_fetching;  // live: the universes whose venue data is being read
  std::unique_ptr<capital::RiskManager> risk;
  std::unique_ptr<capital::BudgetManager> budget;
  std::unique_ptr<capital::ExposureManager> exposure;
  std::unique_ptr<capital::SessionManager> sessions;
  std::unique_ptr<capital::BankrollManager> bankroll;
  std::unique_ptr<orders::OrderRouter> router;
  std::unique_ptr<orders::PnlReconciler> reconciler;
  std::unique_ptr<orders::TradeExecutor> executor;
  std::unique_ptr<strategies::StrategyRegistry> registry;
  std::unique_ptr<learning::StrategyGenerator> generator;
  std::unique_ptr<strategies::ExplorationManager> exploration;
  std::unique_ptr<strategies::StrategyScheduler> scheduler;
  std::unique_ptr<validation::OnlineValidator> online;
  std::unique_ptr<TradeLog> trade_log;
  std::unique_ptr<LiveToggles> toggles;
  std::unique_ptr<CandidateValidator> validator;  // the automatic gauntlet, when plugged in
  // Validations in flight by strategy id: the market time their verdict is applied at (a
  // replay waits there for it, so two replays decide alike), and the verdicts that arrived.
  std::map<std::string, TimestampMs> verdict_due;
  std::map<std::string, ValidationVerdict> verdicts;
  // Hot reload (RunOptions::config_file): the file's manager, the version in effect, a reload
  // asked for by SIGHUP, and when the file was last polled.
  std::unique_ptr<ConfigManager> config_manager;
  std::string config_version;
  std::atomic<bool> reload_requested{false};
  std::chrono::steady_clock::time_point next_config_poll{};
  std::optional<asio::signal_set> hangup;
  Evidence evidence = Evidence::kReplay;
  bool replay_finished = false;
  std::vector<Subscription> subscriptions;

  std::map<std::string, Pending> pending;             // by "<domain>/<symbol>"
  std::map<std::string, Decimal> last_primary_close;  // by symbol, for the returns
  // Parsed parameters by strategy id (a strategy's parameters never change).
  // With each one's warm-up (warmup_bars), read at every primary bar.
  struct PreparedParameters {
    strategies::Parameters values;
    std::size_t warmup = 0;
  };
  std::map<std::string, std::optional<PreparedParameters>> parameters_by_id;
  // The exploring strategies of each asset, read again only when a strategy is created or
  // changes state (the registry's state_version): on_primary runs at every primary bar.
  struct ExploringList {
    uint64_t version = UINT64_MAX;
    std::vector<strategies::StrategyRecord> records;
  };
  std::map<Asset, ExploringList> exploring_lists;
  // The primary bars the strategies were last evaluated on, by "<domain>/<symbol>", as
  // indicator inputs. The next bar extends it instead of the window being read and converted
  // again; anything else (a gap, a correction, a longer warm-up, the start) reads it again
  // from the data_manager, so it always holds what get_ohlc would return.
  struct PrimaryWindow {
    std::deque<indicators::BarInput> inputs;
    TimestampMs last_open = 0;
  };
  std::map<std::string, PrimaryWindow> primary_windows;
  TimestampMs cursor = 0;  // close time of the last committed step
  TimestampMs next_housekeeping = 0;
  TimestampMs next_reconcile = 0;
  std::chrono::steady_clock::time_point next_live_reconcile{};
  uint64_t steps = 0;
  bool started = false;
  bool stopped = false;
  // The control plane's tasks (post) and its commit callback (on_committed).
  std::mutex control_mutex;
  struct ControlTask {
    std::function<void()> run;
    std::function<void(std::exception_ptr)> done;
  };
  std::deque<ControlTask> control_tasks;
  bool control_closed = false;
  std::function<void(bool)> on_committed;
  std::atomic<bool> stop_requested{false};
  std::optional<asio::signal_set> signals;
  std::vector<data::BarClosed> simulated_backlog;  // simulated 1m bars not yet stored
  std::string saved_risk;  // the checkpoint's risk ledger, restored after the recovery

  Impl(config::Config c, RunOptions o) : config(std::move(c)), options(std::move(o)) {}

  // --- lifecycle (app_runtime.cpp) -------------------------------------------------------------

  // Creates the state directory, takes its lock (one engine per directory) and opens the
  // session database (refusing an empty, foreign or corrupt one) and the runtime state.
  void open_state();

  // The feed the session runs on: the option, or for auto the one a stored session began on,
  // else live when Bybit answers. Throws ArgumentError when the state directory holds a
  // session of another feed, a backtest (which cannot be resumed), or a session a backtest
  // would start on. Records the mode (and a backtest's mark).
  FeedMode resolve_feed();

  // Constructs the owners in dependency order: the paper venue, capital, the order router,
  // broker truth, trade_executor, the registry, generator, exploration, scheduler, phase 1,
  // the live toggles and the trade log.
  void build_engine();
  // Each asset's instrument rules, from its data manager (zero fields: unknown).
  orders::OrderRouter::InstrumentLookup instrument_rules();

  // Registers the given candidates (once: create() is idempotent) and makes room to explore
  // all of them at once.
  void register_candidates(TimestampMs now);

  // Subscribes the runtime's handlers to the bus: bars, live quotes (emulated protection),
  // submitted entries (exploration quotas), closed positions, broker desyncs and clean
  // reconciliations (the registry's broker_desync flag), critical venue errors (an alert).
  void subscribe();

  // Runs everything the loop and the bus have until both are quiet.
  void settle();

  // One market step: the clock to `time` (the feed publishes what closes then), everything it
  // causes and the housekeeping due. Steps run inside a batch's transaction (run_batch).
  void step(TimestampMs time);

  // The steps up to the end of the current checkpoint interval (or the first step whose time is
  // after `due`, or a stop), then the checkpoint, in one transaction: a kill loses the whole
  // batch or nothing, and a restart replays it exactly. Returns false when there was no step
  // to run (the replay has ended, or the simulated market is not due yet).
  bool run_batch(TimestampMs due);

  // Live: the feed's events arrive on the loop for live_loop_interval, then the housekeeping
  // due, the protection check and (every few seconds) a reconciliation. With the paper venue in
  // process, each such pass is one transaction that also holds the venue's state and the
  // checkpoint (the router's own commits nest in it): a kill loses the pass or nothing, and the
  // venue and the journal never disagree after a restart.
  void run_live_for(std::chrono::milliseconds duration);  // live_loop_interval

  // The market time of the next step: the replay's next bar close or the simulated market's
  // next minute; nullopt on the live feed.
  std::optional<TimestampMs> next_step() const;

  // The housekeeping (AppRuntime::tick): time exits, universe refresh, candidate backfill and
  // phase 1 starts, account halts, the reconciliation due, the session's open trades and
  // equity, the bankroll's minimum.
  void tick(TimestampMs now);

  // Runs the control plane's queued tasks, each in its own transaction with the bus drained,
  // then its `done` with the failure, if any.
  void run_control_tasks();

  // Re-reads the config file when it changed (polled once a second) or SIGHUP asked; applies
  // the reloadable sections to their owners. Returns the reload's result.
  ReloadResult reload_config();

  // SIGHUP asks for a reload (the next poll does it), as many times as it comes.
  void arm_hangup();

  // Reloads the config when SIGHUP asked or the file changed (polled once a second).
  void poll_config();

  // After each committed batch (false) and once at stop (true): the config poll and the
  // verdicts that arrived (not final), the control plane's tasks, the on_committed callback.
  void committed(bool final);

  // Prints the status line on stdout, unless quiet.
  void print_status();

  // --- the live venue (live_venue.cpp) -------------------------------------------------------

  // The live broker of RunOptions::venue (none without a venue or keys), started; the assets
  // persisted live routed to it. Called at the end of build_engine, before the recovery.
  void build_live_venue();
  // The hosts of the public feed and of the venue (live_venue.cpp).
  brokers::bybit::BybitHosts venue_hosts() const;
  // Whether the asset's orders go to the live broker.
  bool routed_live(Asset asset) const;
  // Routes the asset to the live broker (router, protection, reconciliation), entries halted
  // (broker_desync) until the first clean reconciliation with the venue.
  void route_live(Asset asset);
  // What LiveToggles checks going live on: the venue's state for the asset.
  LiveReadiness live_readiness(Asset asset) const;
  // Moves the asset to the live broker when its paper book is flat; otherwise halts its
  // entries (going_live), cancels its paper orders and closes its paper positions, and
  // advance_going_live() moves it once they are gone.
  Decision go_live(Asset asset);
  void advance_going_live();
  // After a restart: the paper book of an asset still going live is flattened again.
  void resume_going_live();
  // Cancels the asset's open orders and closes its positions (reduce-only) where they are.
  void flatten_paper(Asset asset);
  Decision go_paper(Asset asset);
  // Asks the live venue for a snapshot of each crypto asset still on paper (enable_live's
  // "answered a reconciliation" precondition).
  void check_live_venue();

  // --- the checkpoint (checkpoint.cpp) ---------------------------------------------------------

  // Writes the checkpoint of every in-memory ledger (cursor, paper venue, risk, exploration,
  // scheduler, universes, pending confirmations) to the runtime state, in the open
  // transaction.
  void save_checkpoint();

  // Whether the session's checkpoint is kept current outside the steps too: a resumable
  // session that has stepped or resumed (cursor set) and has not stopped (stop_all saves the
  // last one).
  bool keeps_checkpoint() const { return options.checkpoints && cursor > 0 && !stopped; }

  // Restores the checkpoint save_checkpoint() wrote (the risk ledger into saved_risk, restored
  // after the recovery); false when there is none. Throws StateError on a damaged one.
  bool load_checkpoint();

  // --- feeds and universe (market_feeds.cpp) ---------------------------------------------------

  // Whether Bybit's public REST API answers (GET /v5/market/time), within a few seconds.
  bool bybit_reachable(std::string& why);

  // Opens the replay's bar store: the data root itself when it holds one, otherwise its bar
  // files imported once into <state>/replay-bars (again when the root changed).
  void open_replay_data();

  // The asset's market, created on first use with the universe rules of RunOptions and a
  // data manager on `venue`.
  AssetMarket& market(Asset asset, const std::string& venue);

  // The replay feed's markets and window [from, to); a resumed replay must be the same
  // replay (data root and window), else ArgumentError.
  void setup_replay();

  // The simulated market's bar store under the state directory and its banner.
  void setup_simulated();

  // Runs `body` (an awaitable) on the loop until it completes; rethrows its failure.
  template <class T>
  T await_on_loop(asio::awaitable<T> body) {
    std::optional<T> result;
    std::exception_ptr failure;
    asio::co_spawn(loop, std::move(body), [&](std::exception_ptr error, T value) {
      failure = error;
      if (!error) result = std::move(value);
    });
    loop.restart();
    while (!result && !failure) {
      loop.run_one();
      loop.restart();
    }
    if (failure) std::rethrow_exception(failure);
    return std::move(*result);
  }

  // The live paper session: Bybit spot's public feed on the wall clock, paper fills.
  void setup_live();

  // Creates the simulated feed (two days of history before now, or the resumed session's
  // start) and its markets.
  void start_simulated(bool resumed);

  // Stores the simulated bars published so far in the bar store, once 60 per simulated symbol
  // are waiting (or `force`).
  void flush_simulated_bars(bool force);

  // The system clock in epoch milliseconds (the simulated market's anchor).
  static TimestampMs wall_now_ms();

  // Ranks the asset's symbols by 24h turnover (symbol_universe) and sets what is watched: the
  // universe, its spikes and (watch_all_symbols) every symbol; forex and options watch every
  // symbol. Live: subscribes the feed to what is watched.
  void refresh_universe(AssetMarket& m, TimestampMs now);
  // Live: reads the venue's instruments and tickers again (listings, status, listing times,
  // turnover), then refreshes the asset's universe with them; one read per asset at a time.
  void fetch_universe(Asset asset);
  asio::awaitable<void> fetch_universe_async(Asset asset);
  // The sentiment scores by canonical symbol: universe.sentiment_file's, read again at each
  // refresh (bad lines logged and skipped), overridden by the API's (set_sentiment).
  std::map<std::string, double> read_sentiment() const;

  // --- from bars to trades (signal_flow.cpp) ---------------------------------------------------

  // "<domain>/<symbol>": the key of pending, primary_windows.
  static std::string market_key(Asset asset, const Symbol& symbol);

  // A closed bar: the paper venue and emulated protection see the base timeframe's bars, the
  // correlation windows the primary's; a watched symbol's primary bar is evaluated, its
  // confirmation bar confirms.
  void on_bar(const data::BarClosed& e);

  // The exposure manager's correlation windows: one return per closed primary bar and symbol
  // (from its first market, spot before perp: the windows are by symbol). A pure function of
  // the bars, so a restart rebuilds it from them (rebuild_returns).
  void record_return(Asset domain, const Symbol& symbol, Decimal close);

  // Refills the correlation windows from the stored primary bars (after a restart).
  void rebuild_returns();

  // Evaluates every strategy trading on paper on the asset on the window of closed primary
  // bars (a fresh instance each time) and keeps its signals waiting for the confirmation bar.
  void on_primary(AssetMarket& m, const data::BarClosed& e);

  // The fault-injected window (RunOptions::lookahead_fault_bars): the last `longest` bars up to
  // lookahead_fault_bars bars PAST the one that closed, resampled from the stored base bars,
  // whatever the clock says. Only the lookahead check's test sets it.
  data::BarSeries leaky_window(const AssetMarket& m, const data::BarClosed& e,
                               std::size_t longest) const;

  // The confirmation bar of the signals waiting on the symbol: the confirmed ones go to the
  // scheduler, whose choice trade_executor sends, unless the symbol has a position or an entry
  // on its way.
  void on_confirm(AssetMarket& m, const data::BarClosed& e);

  // Whether an entry order (has_open_exit: a reduce-only exit) of the symbol is open in the
  // journal.
  bool has_open_entry(Asset asset, const Symbol& symbol) const;

  bool has_open_exit(Asset asset, const Symbol& symbol) const;

  // Time-based exits (risk_manager's should_force_exit): a position held for its asset's
  // max_holding_time is closed with a market exit, unless one is already on its way.
  void exit_expired_positions(TimestampMs now);

  // The protection invariant (sl_tp_manager.enforce): a position bare for protection_grace is
  // flattened.
  void enforce_protection(TimestampMs now);

  // An asset's equity marked to market: its allocation (realised, as the ledger booked it) plus
  // the open positions' P&L at the last quotes. The risk ledger's daily loss and drawdown read it.
  Decimal marked_equity(Asset asset) const;

  // --- candidates (candidate_lifecycle.cpp) ----------------------------------------------------

  // A closed trade: the trade log, the session's record, the registry's counters, the reward
  // (reward_system), the promoted strategy's drawdown watch and the lifecycle review.
  void on_closed(const orders::ClosedTrade& trade);

  // The lifecycle rule after a closed trade is exploration_manager's; a candidate it moves to
  // validating goes to the automatic gauntlet with the bars the session has seen so far.
  void review(const std::string& id, int64_t closed, TimestampMs now);

  // The first bar time the session's evidence starts at (the validation window's start).
  TimestampMs evidence_from() const;

  // `qualified`: the market time it moved to validating; its validation sees the bars up to it.
  void submit_validation(const std::string& id, int64_t closed, TimestampMs qualified);

  // Strategies left validating by a session stopped before their verdict are validated again,
  // on the same bars (up to the time they qualified).
  void resubmit_validating();

  // The earliest market time a verdict that has not arrived is due at: a replay holds there.
  std::optional<TimestampMs> verdict_hold();

  // Takes the verdicts the validator has finished into `verdicts`.
  void collect_verdicts();

  // The gate's verdicts, applied on the engine thread to its registry: promoted (flagged demo
  // on the simulated market's evidence), or back to exploring with the reasons; every verdict
  // says which feed its evidence came from and where its report is.
  // A replay applies each verdict at its due market time (deterministic); the other feeds as
  // soon as it arrives. `all`: every verdict that arrived (the end of a replay).
  void apply_verdicts(TimestampMs now, bool all = false);

  // A replay that reached its end waits for the validations it started (a signal stops the
  // wait: what is not decided then is validated again on the next start), then applies them.
  void wait_for_validations();

  // The session's record of its open paper trades (what gauntlet serve shows and a resumed
  // session lists): every open position, recorded once it opened, with its protection.
  static std::string paper_trade_id(Asset asset, const Symbol& symbol, TimestampMs opened_at);

  void record_paper_trades();

  // Each asset's paper equity: its budget allocation.
  std::map<Asset, Decimal> asset_equities() const;

  // The paper session's equity: the pool plus every allocation.
  Decimal total_equity() const;

  // --- the control plane's reads (control_reads.cpp) -------------------------------------------

  // The status line's figures: feed, market time, equity and positions per asset, the
  // session's record, the config version.
  RuntimeStatus status() const;
};

}  // namespace gauntlet::runtime
