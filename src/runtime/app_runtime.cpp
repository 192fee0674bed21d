#include "runtime/app_runtime.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

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
#include "core/exceptions.hpp"
#include "core/logging.hpp"
#include "core/runtime_state.hpp"
#include "core/state_lock.hpp"
#include "core/store/sqlite_store.hpp"
#include "core/wall_clock.hpp"
#include "data/bar_import.hpp"
#include "data/bar_store.hpp"
#include "data/data_manager.hpp"
#include "data/feeds/bybit_live_feed.hpp"
#include "data/feeds/replay_feed.hpp"
#include "data/feeds/simulated_feed.hpp"
#include "data/resampler.hpp"
#include "data/symbol_universe.hpp"
#include "learning/ml/strategy_generator.hpp"
#include "learning/reward_system.hpp"
#include "orders/order_router.hpp"
#include "orders/pnl_reconciler.hpp"
#include "orders/trade_executor.hpp"
#include "runtime/live_toggles.hpp"
#include "runtime/trade_log.hpp"
#include "strategies/exploration_manager.hpp"
#include "strategies/strategy.hpp"
#include "strategies/strategy_registry.hpp"
#include "strategies/strategy_scheduler.hpp"
#include "validation/online_validator.hpp"
#include "validation/promotion_gate.hpp"

namespace gauntlet::runtime {
namespace {

using nlohmann::json;
using strategies::StrategyState;

auto& log() {
  static auto logger = module_logger("app_runtime");
  return *logger;
}

constexpr std::string_view kBacktestKey = "runtime.backtest";
constexpr DurationMs kSimulatedHistory = 2 * kDayMs;
constexpr DurationMs kHousekeepingInterval = 15 * kMinuteMs;
// Market time between reconciliations of a replay or simulated session (the paper venue is in
// process: nothing can diverge between two checkpoints but the venue's own model).
constexpr DurationMs kReconcileInterval = kHourMs;
// Wall time between reconciliations of a session on a live feed.
constexpr auto kLiveReconcileInterval = std::chrono::seconds(10);
// Market time between checkpoints: the steps in between commit together.
constexpr DurationMs kCheckpointInterval = kHourMs;

// Registry counters the runtime keeps per strategy.
constexpr std::string_view kClosedCounter = "closed_trades";
constexpr std::string_view kWinsCounter = "wins";
constexpr std::string_view kLossesCounter = "losses";
constexpr std::string_view kProfitCounter = "gross_profit_nano";  // Decimal raw units
constexpr std::string_view kLossCounter = "gross_loss_nano";
constexpr std::string_view kDesyncFlag = "broker_desync";
// Market time between a candidate qualifying and its verdict being applied in a replay, which
// holds there until the verdict has arrived: replays decide alike, whatever the wall clock.
constexpr DurationMs kVerdictDelay = kHourMs;

std::string iso_minute(TimestampMs t) {
  return format_iso8601(t).substr(0, 16);
}

}  // namespace

std::size_t warmup_bars(const strategies::Parameters& parameters) {
  double longest = 14;
  for (const char* name : {"fast", "slow", "period", "adx_period"}) {
    const auto found = parameters.find(name);
    if (found != parameters.end()) longest = std::max(longest, found->second);
  }
  return std::clamp<std::size_t>(static_cast<std::size_t>(longest) * 3 + 30, 60, 650);
}

namespace {

indicators::BarInput input_of(const Bar& bar) {
  return {bar.open.to_double(), bar.high.to_double(), bar.low.to_double(), bar.close.to_double(),
          bar.volume.to_double()};
}

json signal_json(const strategies::Signal& s) {
  return {{"side", std::string(to_string(s.side))}, {"strength", s.strength},
          {"stop_loss", s.stop_loss.to_string()},   {"take_profit", s.take_profit.to_string()},
          {"close", s.close.to_string()},           {"reason", s.reason}};
}

strategies::Signal signal_from(const json& j) {
  strategies::Signal s;
  const auto side = order_side_from_string(j.at("side").get<std::string>());
  if (!side) throw StateError("checkpoint: a pending signal has an unknown side");
  s.side = *side;
  s.strength = j.at("strength").get<double>();
  s.stop_loss = Decimal::parse(j.at("stop_loss").get<std::string>());
  s.take_profit = Decimal::parse(j.at("take_profit").get<std::string>());
  s.close = Decimal::parse(j.at("close").get<std::string>());
  s.reason = j.at("reason").get<std::string>();
  return s;
}

// The series a replay publishes: per (domain, symbol) the finest timeframe, of the venue that
// holds the most series of that domain.
std::vector<data::SeriesKey> replay_series(const data::BarStore& store) {
  std::map<Asset, std::map<std::string, int>> venues;
  const std::vector<data::SeriesKey> all = store.list();
  for (const data::SeriesKey& key : all) ++venues[key.domain][key.venue];
  std::map<std::pair<Asset, std::string>, data::SeriesKey> finest;
  for (const data::SeriesKey& key : all) {
    const auto& counts = venues[key.domain];
    const auto best =
        std::max_element(counts.begin(), counts.end(),
                         [](const auto& a, const auto& b) { return a.second < b.second; });
    if (key.venue != best->first) continue;
    auto [it, inserted] = finest.try_emplace({key.domain, key.symbol.canonical()}, key);
    if (!inserted && duration_ms(key.timeframe) < duration_ms(it->second.timeframe))
      it->second = key;
  }
  std::vector<data::SeriesKey> result;
  for (auto& [id, key] : finest) result.push_back(key);
  return result;
}

bool holds_bar_store(const std::filesystem::path& root) {
  if (!std::filesystem::is_directory(root)) return false;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.is_regular_file() && entry.path().extension() == data::BarStore::kExtension)
      return true;
  }
  return false;
}

// Imports every bar file under `root` into `store`; files that hold something else (funding,
// mark prices, option chains) are skipped. Returns the number of bars stored.
std::size_t import_bar_files(const std::filesystem::path& root, data::BarStore& store) {
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_regular_file(root)) {
    files.push_back(root);
  } else {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root))
      if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::size_t stored = 0;
  for (const std::filesystem::path& file : files) {
    data::ImportGuess guess;
    try {
      guess = data::guess_import(file);
    } catch (const DataError& error) {
      log().info("replay import skips {}: {}", file.string(), error.what());
      continue;
    }
    if (!guess.symbol) {
      log().info("replay import skips {}: no symbol in its name", file.string());
      continue;
    }
    const data::ImportedBars bars = data::read_bar_file(file, guess);
    const Asset domain = guess.domain.value_or(data::default_domain(*guess.symbol));
    const data::SeriesKey key{guess.venue, domain, *guess.symbol, bars.timeframe};
    store.upsert_bars(key, bars.bars);
    stored += bars.bars.size();
    log().info("replay import {} -> {} bars={} rejected={}", file.filename().string(),
               data::to_string(key), bars.bars.size(), bars.rejected);
  }
  return stored;
}

}  // namespace

std::string_view to_string(FeedMode mode) {
  switch (mode) {
    case FeedMode::kAuto:
      return "auto";
    case FeedMode::kLive:
      return "live";
    case FeedMode::kSimulated:
      return "simulated";
    case FeedMode::kReplay:
      return "replay";
  }
  return "auto";
}

std::optional<FeedMode> feed_mode_from_string(std::string_view text) {
  for (FeedMode mode : {FeedMode::kAuto, FeedMode::kLive, FeedMode::kSimulated, FeedMode::kReplay})
    if (to_string(mode) == text) return mode;
  return std::nullopt;
}

std::string RuntimeStatus::line() const {
  std::string text = fmt::format("[{} {}]", feed, market_time > 0 ? iso_minute(market_time) : "-");
  for (const AssetStatus& a : assets) {
    text += fmt::format(" {} equity {} ({} open, {} trades, pnl {})", to_string(a.asset),
                        a.equity.round_to_step(Decimal::parse("0.01")).to_string(),
                        a.open_positions, a.closed_trades,
                        a.realized_pnl.round_to_step(Decimal::parse("0.01")).to_string());
  }
  text += fmt::format(" | symbols {} | candidates", symbols);
  for (const auto& [state, count] : candidates) text += fmt::format(" {} {}", state, count);
  if (!feed_note.empty()) text += " | " + feed_note;
  return text;
}

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
  std::unique_ptr<data::BybitLiveFeed> live_feed;
  std::vector<data::QuoteUpdated> live_tickers;  // the first universe's turnover
  std::string fallback_reason;
  // The timeframe each (domain, symbol) replays or streams (its finest); looked up per bar.
  std::map<std::pair<Asset, std::string>, Timeframe, AssetSymbolLess> base_timeframe;
  std::string feed_name;
  std::string feed_note;
  std::optional<TimestampMs> replay_from;
  std::optional<TimestampMs> replay_to;

  std::unique_ptr<brokers::SimBroker> broker;
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

  static std::string market_key(Asset asset, const Symbol& symbol) {
    std::string key(to_string(asset));  // "<domain>/<symbol>", on every bar: no formatting
    key += '/';
    key += symbol.canonical();
    return key;
  }

  // --- start -------------------------------------------------------------------------------

  void open_state() {
    std::filesystem::create_directories(options.state_dir);
    // One engine per state directory: a second one is refused, naming the first.
    state_lock = StateLock::acquire(options.state_dir,
                                    options.checkpoints ? "gauntlet run" : "gauntlet backtest");
    store::SqliteOptions store_options;
    // A session's commits survive a power loss (FULL); a backtest, never resumed, needs only
    // to survive a crash of its process (NORMAL).
    store_options.durability =
        options.checkpoints ? store::Durability::kFull : store::Durability::kNormal;
    // An empty, foreign or corrupt gauntlet.db is refused, never replaced by a fresh session.
    store_options.mode = store::OpenMode::kVerifyOrCreate;
    store = store::SqliteStore::open(options.state_dir / "gauntlet.db", store_options);
    runtime_state = std::make_unique<RuntimeState>(*store, *clock);
  }

  FeedMode resolve_feed() {
    const std::optional<std::string> stored = runtime_state->get(kModeKey);
    FeedMode mode = options.feed;
    if (mode == FeedMode::kAuto) {
      if (stored) {
        mode = *feed_mode_from_string(*stored);  // a session resumes on the feed it began on
      } else {
        std::string why;
        mode = bybit_reachable(why) ? FeedMode::kLive : FeedMode::kSimulated;
        if (mode == FeedMode::kSimulated) fallback_reason = "no live feed (" + why + ")";
      }
    }
    if (stored && *stored != to_string(mode)) {
      throw ArgumentError(fmt::format(
          "the state directory {} holds a {} session; start a {} session in another directory",
          options.state_dir.string(), *stored, to_string(mode)));
    }
    runtime_state->set(kModeKey, to_string(mode));
    // A backtest keeps no hourly checkpoint: its state cannot be resumed, by anyone.
    const bool backtest = runtime_state->get(kBacktestKey).has_value();
    if (backtest && options.checkpoints) {
      throw ArgumentError(fmt::format(
          "the state directory {} holds a backtest, which cannot be resumed; use a fresh --state",
          options.state_dir.string()));
    }
    if (!options.checkpoints) {
      if (stored) {
        throw ArgumentError(fmt::format("a backtest starts from nothing: {} holds a session",
                                        options.state_dir.string()));
      }
      runtime_state->set(kBacktestKey, "1");
    }
    return mode;
  }

  // Whether Bybit's public REST API answers (GET /v5/market/time), within a few seconds.
  bool bybit_reachable(std::string& why) {
    brokers::bybit::RestConfig config;
    config.base_url = options.bybit_rest_url;
    config.request_timeout_ms = 4 * kSecondMs;
    brokers::bybit::RestClient client(loop, config);
    bool done = false;
    bool ok = false;
    asio::co_spawn(loop, client.get_server_time_async(),
                   [&](std::exception_ptr error, const auto&) {
                     done = true;
                     ok = !error;
                     if (!error) return;
                     try {
                       std::rethrow_exception(error);
                     } catch (const std::exception& e) {
                       why = fmt::format("{} unreachable: {}", options.bybit_rest_url, e.what());
                     }
                   });
    loop.restart();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(6);
    while (!done && std::chrono::steady_clock::now() < deadline) {
      loop.run_for(std::chrono::milliseconds(50));
      loop.restart();
    }
    if (!done) why = fmt::format("{} did not answer", options.bybit_rest_url);
    return ok;
  }

  void open_replay_data() {
    if (options.data_root.empty()) throw ArgumentError("--feed replay needs --data-root DIR");
    if (!std::filesystem::exists(options.data_root))
      throw ArgumentError(fmt::format("--data-root {} does not exist", options.data_root.string()));
    if (holds_bar_store(options.data_root)) {
      bars = std::make_unique<data::BarStore>(options.data_root);
      return;
    }
    const std::filesystem::path imported = options.state_dir / "replay-bars";
    bars = std::make_unique<data::BarStore>(imported);
    const std::optional<std::string> source = runtime_state->get("replay.imported_from");
    const std::string root = std::filesystem::absolute(options.data_root).lexically_normal();
    if (source && *source == root && !bars->list().empty()) return;
    std::filesystem::remove_all(imported);
    bars = std::make_unique<data::BarStore>(imported);
    const std::size_t count = import_bar_files(options.data_root, *bars);
    if (count == 0)
      throw ArgumentError(
          fmt::format("--data-root {} holds no bar files", options.data_root.string()));
    runtime_state->set("replay.imported_from", root);
  }

  AssetMarket& market(Asset asset, const std::string& venue) {
    auto found = markets.find(asset);
    if (found != markets.end()) return found->second;
    AssetMarket& m = markets[asset];
    m.asset = asset;
    data::UniverseRules rules;
    rules.size = options.universe_size;
    rules.core_size = std::max(1, options.universe_size / 3);
    rules.core_exit_rank = std::max(rules.core_size, options.universe_size * 2 / 3);
    rules.min_turnover = options.min_turnover;
    m.universe = data::SymbolUniverse(rules);
    m.manager = std::make_unique<data::DataManager>(venue, asset, *bars, bus, *clock);
    return m;
  }

  void setup_replay() {
    open_replay_data();
    const std::vector<data::SeriesKey> series = replay_series(*bars);
    if (series.empty()) throw ArgumentError("the replay data holds no bars");
    TimestampMs first = INT64_MAX;
    TimestampMs last = INT64_MIN;
    for (const data::SeriesKey& key : series) {
      AssetMarket& m = market(key.domain, key.venue);
      m.symbols.push_back(key.symbol);
      base_timeframe[{key.domain, key.symbol.canonical()}] = key.timeframe;
      first = std::min(first, *bars->first_bar_time(key));
      last = std::max(last, *bars->last_bar_time(key) + duration_ms(key.timeframe));
    }
    const TimestampMs from = floor_to(options.from.value_or(first), kMinuteMs);
    const TimestampMs to = options.to.value_or(last);
    if (to <= from) throw ArgumentError("--to must come after --from and the first bar");
    // A resumed replay must be the same replay.
    const std::string identity = fmt::format("{}|{}|{}", options.data_root.string(), from, to);
    const std::optional<std::string> stored = runtime_state->get("replay.identity");
    if (stored && *stored != identity) {
      throw ArgumentError(fmt::format(
          "the state directory {} holds a replay of other data or another window ({}); use a "
          "fresh --state directory",
          options.state_dir.string(), *stored));
    }
    runtime_state->set("replay.identity", identity);
    replay_from = from;
    replay_to = to;
    feed_name = "replay";
    feed_note = fmt::format("REPLAY of {} ({} series, {} to {})", options.data_root.string(),
                            series.size(), iso_minute(from), iso_minute(to));
  }

  void setup_simulated() {
    bars = std::make_unique<data::BarStore>(options.state_dir / "simulated-bars");
    feed_name = "simulated";
    feed_note = fmt::format("SIMULATED MARKET (seed {}, {}x)", options.seed, options.speed);
  }

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
  void setup_live() {
    wall_clock = std::make_unique<WallClock>(loop);
    clock = wall_clock.get();
    runtime_state = std::make_unique<RuntimeState>(*store, *clock);
    bars = std::make_unique<data::BarStore>(options.state_dir / "live-bars");
    brokers::bybit::RestConfig rest_config;
    rest_config.base_url = options.bybit_rest_url;
    rest = std::make_unique<brokers::bybit::RestClient>(loop, rest_config);
    AssetMarket& m = market(Asset::kSpot, "bybit");
    const brokers::bybit::InstrumentsPage instruments =
        await_on_loop(rest->get_all_instruments_async(brokers::bybit::Category::kSpot));
    m.manager->set_instruments(instruments.instruments);
    for (const data::InstrumentInfo& info : instruments.instruments) {
      if (info.status == "Trading") m.symbols.push_back(info.symbol);
    }
    live_tickers = await_on_loop(rest->get_tickers_async(brokers::bybit::Category::kSpot)).value;
    brokers::bybit::PublicWsConfig ws;
    ws.category = brokers::bybit::Category::kSpot;
    ws.url = options.bybit_ws_url;
    data::BybitLiveFeed::Options feed_options;
    feed_options.initial_lookback = 2 * kDayMs;  // the strategies' warm-up
    live_feed = std::make_unique<data::BybitLiveFeed>(loop, *m.manager, *rest, ws, bus, *clock,
                                                      feed_options);
    m.manager->attach_source(live_feed.get());
    feed_name = "live";
    feed_note =
        fmt::format("LIVE BYBIT SPOT PUBLIC FEED ({} pairs listed), paper fills", m.symbols.size());
  }

  void build_engine() {
    // Each asset's instrument rules (data_manager): the router sizes and the paper venue fills
    // on them.
    const auto instruments = [this](Asset asset, const Symbol& symbol) {
      const auto found = markets.find(asset);
      if (found == markets.end()) return data::InstrumentInfo{};
      return found->second.manager->get_instrument(symbol).value_or(data::InstrumentInfo{});
    };
    brokers::SimBrokerConfig sim;
    sim.venue = "paper";
    sim.instruments = instruments;
    sim.fees = brokers::venue_fees(config.fee_model);
    sim.order_delay = config.simulation_order_delay;
    if (options.slippage_bps) sim.slippage_bps = *options.slippage_bps;
    for (Asset asset : kAllAssets) {
      sim.starting_balance[static_cast<std::size_t>(asset)] =
          config.budgets.allocation[static_cast<std::size_t>(asset)];
    }
    broker = std::make_unique<brokers::SimBroker>(bus, *clock, sim);
    risk = std::make_unique<capital::RiskManager>(capital::risk_limits_from(config));
    budget = std::make_unique<capital::BudgetManager>(*store, config.budgets);
    std::array<Decimal, kAllAssets.size()> allocations{};
    for (Asset asset : kAllAssets)
      allocations[static_cast<std::size_t>(asset)] = budget->get_alloc(asset);
    exposure = std::make_unique<capital::ExposureManager>(config.exposure_caps, allocations);
    sessions = std::make_unique<capital::SessionManager>(*store, config.paper);
    bankroll = std::make_unique<capital::BankrollManager>(*store, *sessions, config.paper,
                                                          budget.get(), config.budgets);
    router = std::make_unique<orders::OrderRouter>(bus, *clock, *store, *risk, *budget,
                                                   *exposure, instruments);
    for (Asset asset : kAllAssets) router->route(asset, *broker);
    router->set_critical_codes(config.critical_error_codes);
    router->set_equity_source([this](Asset asset) { return marked_equity(asset); });
    orders::ReconcileTolerance tolerance;
    tolerance.allocation_fraction = config.validation.reconciliation_tolerance;
    tolerance.ack_timeout = config.order_ack_timeout;
    // The paper venue charges what FEE_MODEL says the production venue of each asset charges.
    config::FeeModel paper_fees;
    for (Asset asset : kAllAssets)
      paper_fees.venues[sim.venue][asset] = sim.fees[static_cast<std::size_t>(asset)];
    reconciler = std::make_unique<orders::PnlReconciler>(bus, *router, *budget, *store,
                                                         std::move(paper_fees), tolerance);
    for (Asset asset : kAllAssets) reconciler->route(asset, *broker);
    executor = std::make_unique<orders::TradeExecutor>(loop, bus, *router);
    registry = std::make_unique<strategies::StrategyRegistry>(*store);
    generator = std::make_unique<learning::StrategyGenerator>(
        learning::StrategyGenerator::from_file(options.search_space));
    for (Asset asset : kAllAssets)
      for (const strategies::StrategyRecord& record : registry->get_for(asset))
        generator->mark_emitted({record.family, record.asset, record.params_json});
    // Given candidates (a backtest): they alone are explored, the generator adds none.
    strategies::ExplorationManager::Generator generate = generator->to_generator();
    if (!options.candidates.empty()) {
      generate = [](Asset) { return std::optional<strategies::StrategyDescriptor>(); };
    }
    exploration =
        std::make_unique<strategies::ExplorationManager>(*registry, config.exploration, generate);
    scheduler = std::make_unique<strategies::StrategyScheduler>(*registry, *exploration,
                                                                config.exploration);
    online = std::make_unique<validation::OnlineValidator>(*registry, router->journal(),
                                                           config.exploration);
    toggles = std::make_unique<LiveToggles>(config, *runtime_state, *registry, *router);
    trade_log = std::make_unique<TradeLog>(
        options.trade_log.empty() ? options.state_dir / "trades.csv" : options.trade_log);
  }

  // Registers the given candidates (once: create() is idempotent) and makes room to explore
  // all of them at once.
  void register_candidates(TimestampMs now) {
    if (options.candidates.empty()) return;
    std::map<Asset, int> per_asset;
    for (const strategies::StrategyDescriptor& d : options.candidates) {
      registry->create(d, now);
      ++per_asset[d.asset];
    }
    for (const auto& [asset, count] : per_asset) {
      config.exploration.active_candidates_per_asset =
          std::max(config.exploration.active_candidates_per_asset, count);
    }
  }

  void subscribe() {
    subscriptions.push_back(
        bus.subscribe<data::BarClosed>([this](const data::BarClosed& e) { on_bar(e); }));
    if (live_feed) {  // live quotes move emulated protection between bars
      subscriptions.push_back(
          bus.subscribe<data::QuoteUpdated>([this](const data::QuoteUpdated& e) {
            if (e.last_price.is_positive())
              router->sl_tp().on_price(e.domain, e.symbol, e.last_price, e.event_time);
          }));
    }
    subscriptions.push_back(
        bus.subscribe<orders::OrderSubmitted>([this](const orders::OrderSubmitted& e) {
          if (!e.request.reduce_only && !e.request.strategy_id.empty())
            exploration->record_trade(e.request.strategy_id, e.time);
        }));
    subscriptions.push_back(bus.subscribe<orders::PositionClosed>(
        [this](const orders::PositionClosed& e) { on_closed(e.trade); }));
    // broker_desync: the registry flags the asset's strategies until a clean reconciliation.
    subscriptions.push_back(
        bus.subscribe<orders::BrokerDesync>([this](const orders::BrokerDesync& e) {
          const std::string reason = e.problems.empty() ? "broker_desync" : e.problems.front();
          for (const strategies::StrategyRecord& r : registry->get_for(e.asset)) {
            if (r.state != StrategyState::kRetired && !r.flags.contains(std::string(kDesyncFlag)))
              registry->add_flag(r.id, std::string(kDesyncFlag), reason, e.time);
          }
        }));
    subscriptions.push_back(
        bus.subscribe<orders::BalanceReconciled>([this](const orders::BalanceReconciled& e) {
          for (const strategies::StrategyRecord& r : registry->get_for(e.asset)) {
            if (r.flags.contains(std::string(kDesyncFlag)))
              registry->remove_flag(r.id, std::string(kDesyncFlag), "clean reconciliation", e.time);
          }
        }));
    subscriptions.push_back(
        bus.subscribe<orders::CriticalVenueError>([](const orders::CriticalVenueError& e) {
          log().error("ALERT critical venue error asset={} venue={} code={} order={}: {}",
                      to_string(e.asset), e.venue, e.code, e.client_order_id, e.message);
        }));
  }

  // --- checkpoint ---------------------------------------------------------------------------

  void save_checkpoint() {
    json j;
    j["cursor"] = cursor;
    j["steps"] = steps;
    j["next_housekeeping"] = next_housekeeping;
    j["next_reconcile"] = next_reconcile;
    j["sim_broker"] = broker->save_state();
    j["risk"] = risk->save_state();
    j["exploration"] = exploration->save_state();
    j["scheduler"] = scheduler->save_state();
    json universes = json::object();
    for (const auto& [asset, m] : markets)
      universes[std::string(to_string(asset))] = m.universe.save_state();
    j["universe"] = universes;
    json watched = json::object();
    for (const auto& [asset, m] : markets)
      watched[std::string(to_string(asset))] =
          std::vector<std::string>(m.watched.begin(), m.watched.end());
    j["watched"] = watched;
    json waiting = json::array();
    for (const auto& [key, p] : pending) {
      json signals = json::array();
      for (const auto& [id, confirmer] : p.signals) {
        if (confirmer.pending_signal())
          signals.push_back({{"id", id}, {"signal", signal_json(*confirmer.pending_signal())}});
      }
      waiting.push_back(
          {{"market", key}, {"primary_close", p.primary_close}, {"signals", signals}});
    }
    j["pending"] = waiting;
    if (simulated) j["simulated_start"] = simulated->market().config().start;
    runtime_state->set(kCheckpointKey, j.dump());
  }

  // Whether the session's checkpoint is kept current outside the steps too: a resumable
  // session that has stepped or resumed (cursor set) and has not stopped (stop_all saves the
  // last one).
  bool keeps_checkpoint() const { return options.checkpoints && cursor > 0 && !stopped; }

  bool load_checkpoint() {
    const std::optional<std::string> text = runtime_state->get(kCheckpointKey);
    if (!text) return false;
    const json j = json::parse(*text, nullptr, false);
    if (j.is_discarded()) throw StateError("runtime checkpoint: not JSON");
    try {
      cursor = j.at("cursor").get<TimestampMs>();
      steps = j.at("steps").get<uint64_t>();
      next_housekeeping = j.at("next_housekeeping").get<TimestampMs>();
      next_reconcile = j.at("next_reconcile").get<TimestampMs>();
      broker->restore_state(j.at("sim_broker").get<std::string>());
      // Restored after router->recover(), which puts the open positions back on the risk
      // ledger: the checkpoint's ledger already counts them.
      saved_risk = j.at("risk").get<std::string>();
      exploration->restore_state(j.at("exploration").get<std::string>());
      scheduler->restore_state(j.at("scheduler").get<std::string>());
      for (auto& [asset, m] : markets) {
        const std::string name(to_string(asset));
        if (j.at("universe").contains(name)) {
          m.universe.restore_state(j.at("universe").at(name).get<std::string>());
        }
        if (j.at("watched").contains(name)) {
          const auto symbols = j.at("watched").at(name).get<std::vector<std::string>>();
          m.watched = std::set<std::string>(symbols.begin(), symbols.end());
        }
      }
      for (const json& p : j.at("pending")) {
        Pending& entry = pending[p.at("market").get<std::string>()];
        entry.primary_close = p.at("primary_close").get<TimestampMs>();
        for (const json& s : p.at("signals")) {
          strategies::SignalConfirmer confirmer;
          confirmer.propose(signal_from(s.at("signal")));
          entry.signals.emplace_back(s.at("id").get<std::string>(), std::move(confirmer));
        }
      }
    } catch (const json::exception& error) {
      throw StateError(fmt::format("runtime checkpoint: {}", error.what()));
    }
    return true;
  }

  // --- steps --------------------------------------------------------------------------------

  // The protection invariant (sl_tp_manager.enforce): a position bare for protection_grace is
  // flattened.
  void enforce_protection(TimestampMs now) {
    if (router->positions().empty()) return;
    if (!router->sl_tp().enforce(router->positions(), now, config.protection_grace).empty())
      settle();
  }

  // Runs everything the loop and the bus have until both are quiet.
  void settle() {
    for (int round = 0; round < 1000; ++round) {
      const std::size_t dispatched = bus.drain();
      loop.restart();
      const std::size_t ran = loop.poll();
      if (dispatched == 0 && ran == 0) return;
    }
    log().warn("the engine did not settle after 1000 rounds");
  }

  // One market step: the clock to `time` (the feed publishes what closes then), everything it
  // causes and the housekeeping due. Steps run inside a batch's transaction (run_batch).
  void step(TimestampMs time) {
    sim_clock.advance_to(time);
    settle();
    if (replay && !verdict_due.empty()) apply_verdicts(time);
    enforce_protection(time);
    if (time >= next_housekeeping) {
      tick(time);
      settle();
      next_housekeeping = floor_to(time, kHousekeepingInterval) + kHousekeepingInterval;
    }
    cursor = time;
    ++steps;
  }

  // The steps up to the end of the current checkpoint interval (or the first step whose time is
  // after `due`, or a stop), then the checkpoint, in one transaction: a kill loses the whole
  // batch or nothing, and a restart replays it exactly. Returns false when there was no step
  // to run (the replay has ended, or the simulated market is not due yet).
  bool run_batch(TimestampMs due) {
    if (replay && !verdict_due.empty()) {
      // A replay does not step past a verdict that has not arrived yet.
      if (const std::optional<TimestampMs> hold = verdict_hold()) due = std::min(due, *hold - 1);
    }
    std::optional<TimestampMs> next = next_step();
    if (!next || *next > due) return false;
    const TimestampMs batch_end = floor_to(*next, kCheckpointInterval) + kCheckpointInterval;
    store->transaction([&] {
      while (next && *next <= due && *next <= batch_end) {
        step(*next);
        if (stop_requested) break;
        next = next_step();
      }
      flush_simulated_bars(false);
      if (options.checkpoints) save_checkpoint();
    });
    if (options.on_progress) options.on_progress(cursor);
    return true;
  }

  // Live: the feed's events arrive on the loop for live_loop_interval, then the housekeeping
  // due, the protection check and (every few seconds) a reconciliation. With the paper venue in
  // process, each such pass is one transaction that also holds the venue's state and the
  // checkpoint (the router's own commits nest in it): a kill loses the pass or nothing, and the
  // venue and the journal never disagree after a restart.
  void run_live_for(std::chrono::milliseconds duration) {  // live_loop_interval
    store->transaction([&] {
      loop.restart();
      loop.run_for(duration);
      settle();
      const TimestampMs now = clock->now_ms();
      if (now >= next_housekeeping) {
        tick(now);
        settle();
        next_housekeeping = floor_to(now, kHousekeepingInterval) + kHousekeepingInterval;
      }
      enforce_protection(now);
      if (std::chrono::steady_clock::now() >= next_live_reconcile) {
        for (auto& [asset, m] : markets) reconciler->reconcile(asset);
        settle();
        next_live_reconcile = std::chrono::steady_clock::now() + kLiveReconcileInterval;
      }
      if (now >= cursor + kMinuteMs) {
        cursor = floor_to(now, kMinuteMs);
        ++steps;
      }
      save_checkpoint();
    });
  }

  std::optional<TimestampMs> next_step() const {
    if (replay) return replay->next_close();
    if (simulated) return simulated->market().next_time() + kMinuteMs;
    return std::nullopt;
  }

  void tick(TimestampMs now) {
    exit_expired_positions(now);
    for (auto& [asset, m] : markets) {
      if (m.universe.due(now)) refresh_universe(m, now);
      if (!toggles->enabled(asset)) continue;  // switched off: no new candidates, no entries
      exploration->ensure_active_candidates(asset, now);
      // Phase 1 of validation starts when a candidate starts exploring.
      for (const strategies::StrategyRecord& r :
           registry->get_for(asset, StrategyState::kExploring)) {
        if (!r.counters.contains(std::string(validation::OnlineValidator::kSinceCounter)))
          online->start(r.id, now);
      }
    }
    for (const auto& [asset, m] : markets) router->refresh_account_halts(asset, now);
    if (now >= next_reconcile) {
      for (auto& [asset, m] : markets) reconciler->reconcile(asset);
      next_reconcile = floor_to(now, kReconcileInterval) + kReconcileInterval;
    }
    if (sessions->has_session()) {
      record_paper_trades();
      const Decimal equity = total_equity();
      if (equity != sessions->current().equity)
        sessions->record_equity(equity, now, asset_equities());
      bankroll->ensure_min_equity(now);
    }
  }

  // An asset's equity marked to market: its allocation (realised, as the ledger booked it) plus
  // the open positions' P&L at the last quotes. The risk ledger's daily loss and drawdown read it.
  Decimal marked_equity(Asset asset) const {
    Decimal equity = budget->get_alloc(asset);
    const auto m = markets.find(asset);
    if (m == markets.end()) return equity;
    for (const Position& p : router->positions()) {
      if (p.asset != asset) continue;
      const auto quote = m->second.manager->get_last_quote(p.symbol);
      if (!quote || !quote->last_price.is_positive()) continue;
      const Decimal move = quote->last_price - p.average_price;
      equity = equity + (p.side == OrderSide::kBuy ? move * p.quantity : -(move * p.quantity));
    }
    return equity;
  }

  // The session's record of its open paper trades (what gauntlet serve shows and a resumed
  // session lists): every open position, recorded once it opened, with its protection.
  static std::string paper_trade_id(Asset asset, const Symbol& symbol, TimestampMs opened_at) {
    return fmt::format("{}/{}@{}", to_string(asset), symbol.canonical(), opened_at);
  }

  void record_paper_trades() {
    std::set<std::string> open;
    for (const capital::PaperTrade& t : sessions->open_trades()) open.insert(t.trade_id);
    for (const Position& p : router->positions()) {
      capital::PaperTrade trade;
      trade.trade_id = paper_trade_id(p.asset, p.symbol, p.opened_at);
      if (open.contains(trade.trade_id)) continue;
      trade.strategy_id = p.strategy_id;
      trade.asset = p.asset;
      trade.symbol = p.symbol;
      trade.side = p.side;
      trade.quantity = p.quantity;
      trade.entry_price = p.average_price;
      trade.stop_loss = p.stop_loss;
      trade.take_profit = p.take_profit;
      trade.opened_at = p.opened_at;
      sessions->record_open_trade(trade);
    }
  }

  // Each asset's paper equity: its budget allocation.
  std::map<Asset, Decimal> asset_equities() const {
    std::map<Asset, Decimal> equities;
    for (Asset asset : kAllAssets) equities[asset] = budget->get_alloc(asset);
    return equities;
  }

  Decimal total_equity() const {
    Decimal total = budget->pool();
    for (Asset asset : kAllAssets) total = total + budget->get_alloc(asset);
    return total;
  }

  void refresh_universe(AssetMarket& m, TimestampMs now) {
    std::vector<data::UniverseCandidate> candidates;
    std::map<std::string, double> tickers;
    for (const data::QuoteUpdated& t : live_tickers)
      tickers[t.symbol.canonical()] = t.turnover_24h.to_double();
    for (const Symbol& symbol : m.symbols) {
      const auto quote = m.manager->get_last_quote(symbol);
      const auto ticker = tickers.find(symbol.canonical());
      if (quote) {
        candidates.push_back({symbol, quote->turnover_24h.to_double(), 0, "Trading"});
      } else if (ticker != tickers.end()) {
        candidates.push_back({symbol, ticker->second, 0, "Trading"});
      }
    }
    if (m.asset == Asset::kForex || m.asset == Asset::kOptions) {
      // The crypto universe's filters (USDT, turnover) do not apply: every symbol is watched.
      for (const Symbol& s : m.symbols) m.watched.insert(s.canonical());
      return;
    }
    const data::UniverseUpdate update = m.universe.refresh(candidates, now);
    m.watched.clear();
    for (const Symbol& s : m.universe.symbols()) m.watched.insert(s.canonical());
    if (options.watch_all_symbols) {
      for (const Symbol& s : m.symbols) m.watched.insert(s.canonical());
    }
    // A turnover spike is an opportunity: the symbol is watched (its signals reach the
    // scheduler) until the next refresh, in the universe or not.
    for (const Symbol& s : update.spikes) m.watched.insert(s.canonical());
    if (live_feed) {
      // Live: stream only what is watched (Bybit lists hundreds of pairs).
      std::vector<Symbol> wanted;
      for (const std::string& name : m.watched) {
        wanted.push_back(Symbol::parse(name));
        base_timeframe[{m.asset, wanted.back().canonical()}] = Timeframe::k1m;
      }
      m.manager->subscribe(wanted, {data::Stream::kBars, data::Stream::kQuotes});
    }
    if (!update.added.empty() || !update.removed.empty() || !update.spikes.empty()) {
      log().info("universe {} at {}: {} symbols, +{} -{}, {} spiking", to_string(m.asset),
                 iso_minute(now), m.universe.symbols().size(), update.added.size(),
                 update.removed.size(), update.spikes.size());
    }
  }

  // --- market events ------------------------------------------------------------------------

  void on_bar(const data::BarClosed& e) {
    const auto base =
        base_timeframe.find(std::pair<Asset, std::string_view>{e.domain, e.symbol.canonical()});
    if (base != base_timeframe.end() && e.timeframe == base->second) {
      broker->on_bar(e.domain, e.symbol, e.bar);
      // Emulated protection watches the same bars the paper venue fills on.
      router->sl_tp().on_range(e.domain, e.symbol, e.bar.low, e.bar.high, e.event_time);
      if (simulated) simulated_backlog.push_back(e);
    }
    if (e.timeframe == config.timeframes.primary) record_return(e.domain, e.symbol, e.bar.close);
    const auto m = markets.find(e.domain);
    if (m == markets.end() || !m->second.watched.contains(e.symbol.canonical())) return;
    if (e.timeframe == config.timeframes.primary) on_primary(m->second, e);
    if (e.timeframe == config.timeframes.confirm) on_confirm(m->second, e);
  }

  // The exposure manager's correlation windows: one return per closed primary bar and symbol
  // (from its first market, spot before perp: the windows are by symbol). A pure function of
  // the bars, so a restart rebuilds it from them (rebuild_returns).
  void record_return(Asset domain, const Symbol& symbol, Decimal close) {
    for (const auto& [asset, m] : markets) {
      if (std::find(m.symbols.begin(), m.symbols.end(), symbol) == m.symbols.end()) continue;
      if (asset != domain) return;
      break;
    }
    const auto [previous, inserted] = last_primary_close.try_emplace(symbol.canonical(), close);
    if (inserted) return;
    if (previous->second.is_positive()) {
      exposure->record_return(symbol, close.to_double() / previous->second.to_double() - 1.0);
    }
    previous->second = close;
  }

  void rebuild_returns() {
    const std::size_t window =
        static_cast<std::size_t>(config.exposure_caps.correlation_window_bars);
    for (auto& [asset, m] : markets) {
      for (const Symbol& symbol : m.symbols) {
        const data::BarSeries bars =
            m.manager->get_ohlc(symbol, config.timeframes.primary, window + 1);
        for (std::size_t i = 0; i < bars.size(); ++i)
          record_return(asset, symbol, bars.bar(i).close);
      }
    }
  }

  // Time-based exits (risk_manager's should_force_exit): a position held for its asset's
  // max_holding_time is closed with a market exit, unless one is already on its way.
  void exit_expired_positions(TimestampMs now) {
    for (const Position& p : router->positions()) {
      if (!capital::should_force_exit(p.opened_at, now, risk->limits(p.asset).max_holding_time))
        continue;
      if (has_open_exit(p.asset, p.symbol)) continue;
      log().info("max_holding_time: closing {} {} opened {}", to_string(p.asset),
                 p.symbol.canonical(), iso_minute(p.opened_at));
      asio::co_spawn(loop, executor->close_position_async(p.asset, p.symbol, "max_holding_time"),
                     asio::detached);
    }
  }

  bool has_open_exit(Asset asset, const Symbol& symbol) const {
    for (const orders::JournalEntry& entry : router->journal().open_orders()) {
      if (entry.request.asset == asset && entry.request.symbol == symbol &&
          entry.request.reduce_only)
        return true;
    }
    return false;
  }

  void on_primary(AssetMarket& m, const data::BarClosed& e) {
    if (!toggles->enabled(m.asset)) return;  // no signals for an asset switched off
    ExploringList& list = exploring_lists[m.asset];
    if (list.version != registry->state_version()) {
      list.records = registry->get_for(m.asset);
      std::erase_if(list.records, [](const strategies::StrategyRecord& r) {
        return !strategies::trades_on_paper(r.state);
      });
      list.version = registry->state_version();
    }
    const std::vector<strategies::StrategyRecord>& exploring = list.records;
    if (exploring.empty()) return;
    std::size_t longest = 0;
    std::vector<std::pair<const strategies::StrategyRecord*, const PreparedParameters*>> candidates;
    for (const strategies::StrategyRecord& record : exploring) {
      auto cached = parameters_by_id.find(record.id);
      if (cached == parameters_by_id.end()) {
        std::optional<PreparedParameters> prepared;
        if (auto parsed = learning::parse_params_json(record.params_json)) {
          const std::size_t warmup = warmup_bars(*parsed);
          prepared = PreparedParameters{std::move(*parsed), warmup};
        }
        cached = parameters_by_id.emplace(record.id, std::move(prepared)).first;
      }
      if (!cached->second) {
        log().warn("strategy {} has unreadable parameters {}", record.id, record.params_json);
        continue;
      }
      longest = std::max(longest, cached->second->warmup);
      candidates.emplace_back(&record, &*cached->second);
    }
    const std::string key = market_key(m.asset, e.symbol);
    PrimaryWindow& window = primary_windows[key];
    const DurationMs step = duration_ms(e.timeframe);
    if (options.lookahead_fault_bars == 0 && !window.inputs.empty() &&
        window.inputs.size() >= longest && e.bar.open_time == window.last_open + step) {
      window.inputs.push_back(input_of(e.bar));
      window.last_open = e.bar.open_time;
      while (window.inputs.size() > longest) window.inputs.pop_front();
    } else {
      window.inputs.clear();
      const data::BarSeries bars = options.lookahead_fault_bars > 0
                                       ? leaky_window(m, e, longest)
                                       : m.manager->get_ohlc(e.symbol, e.timeframe, longest);
      if (bars.empty()) return;
      if (options.lookahead_fault_bars == 0) {
        if (bars.bar(bars.size() - 1).open_time != e.bar.open_time) return;
        window.last_open = e.bar.open_time;
      }
      for (std::size_t i = 0; i < bars.size(); ++i) window.inputs.push_back(input_of(bars.bar(i)));
    }
    const std::deque<indicators::BarInput>& inputs = window.inputs;
    Pending fresh;
    fresh.primary_close = e.event_time;
    for (const auto& [record, parameters] : candidates) {
      const std::size_t need = parameters->warmup;
      if (inputs.size() < need) continue;
      std::unique_ptr<strategies::Strategy> strategy =
          strategies::make_strategy(record->family, parameters->values);
      std::optional<strategies::Signal> signal;
      for (std::size_t i = inputs.size() - need; i < inputs.size(); ++i)
        signal = strategy->on_primary_bar(inputs[i]);
      // A short the asset cannot hold (spot) is no opportunity: the risk manager would refuse it.
      if (!signal || !capital::RiskManager::can_open(m.asset, signal->side)) continue;
      if (options.on_signal) {
        options.on_signal({record->id, m.asset, e.symbol, e.event_time, signal->side,
                           signal->strength, signal->stop_loss, signal->take_profit});
      }
      strategies::SignalConfirmer confirmer;
      confirmer.propose(*signal);
      fresh.signals.emplace_back(record->id, std::move(confirmer));
    }
    if (fresh.signals.empty()) {
      pending.erase(key);
    } else {
      pending[key] = std::move(fresh);
    }
  }

  // The fault-injected window (RunOptions::lookahead_fault_bars): the last `longest` bars up to
  // lookahead_fault_bars bars PAST the one that closed, resampled from the stored base bars,
  // whatever the clock says. Only the lookahead check's test sets it.
  data::BarSeries leaky_window(const AssetMarket& m, const data::BarClosed& e,
                               std::size_t longest) const {
    const DurationMs step = duration_ms(e.timeframe);
    const TimestampMs end = e.bar.open_time + (options.lookahead_fault_bars + 1) * step;
    const TimestampMs begin = end - static_cast<DurationMs>(longest + 1) * step;
    const Timeframe base = base_timeframe.at({m.asset, e.symbol.canonical()});
    const data::BarSeries source = m.manager->load_bars(e.symbol, base, begin, end);
    const data::BarSeries resampled =
        base == e.timeframe ? source : data::resample(source, base, e.timeframe, end);
    std::vector<Bar> bars;
    for (std::size_t i = 0; i < resampled.size(); ++i) bars.push_back(resampled.bar(i));
    if (bars.size() > longest)
      bars.erase(bars.begin(), bars.end() - static_cast<std::ptrdiff_t>(longest));
    return data::BarSeries::from_bars(bars);
  }

  void on_confirm(AssetMarket& m, const data::BarClosed& e) {
    const std::string key = market_key(m.asset, e.symbol);
    const auto found = pending.find(key);
    if (found == pending.end() || e.bar.open_time < found->second.primary_close) return;
    Pending waiting = std::move(found->second);
    pending.erase(found);
    std::vector<std::string> ids;
    std::map<std::string, strategies::Signal> confirmed;
    double strength = 0;
    for (auto& [id, confirmer] : waiting.signals) {
      const auto signal = confirmer.on_confirmation_bar(input_of(e.bar));
      if (!signal) continue;
      ids.push_back(id);
      strength = std::max(strength, signal->strength);
      confirmed.emplace(id, *signal);
    }
    if (ids.empty()) return;
    if (router->position(m.asset, e.symbol) || has_open_entry(m.asset, e.symbol)) return;
    // The exposure caps scale with the asset's allocation as it is now (its P&L compounds).
    exposure->set_allocation(m.asset, budget->get_alloc(m.asset));
    strategies::Opportunity opportunity;
    opportunity.asset = m.asset;
    opportunity.symbol = e.symbol;
    opportunity.time = e.event_time;
    opportunity.signal_strength = strength;
    opportunity.candidate_ids = ids;
    const std::optional<std::string> chosen = scheduler->next_candidate(opportunity);
    if (!chosen) return;
    const strategies::Signal& signal = confirmed.at(*chosen);
    orders::TradeSignal trade;
    trade.asset = m.asset;
    trade.symbol = e.symbol;
    trade.side = signal.side;
    trade.reference_price = e.bar.close;
    trade.stop_loss = signal.stop_loss;
    trade.take_profit = signal.take_profit;
    trade.strategy_id = *chosen;
    trade.signal_id = fmt::format("{}@{}", e.symbol.canonical(), waiting.primary_close);
    asio::co_spawn(loop, executor->submit_trade_async(std::move(trade)),
                   [](std::exception_ptr error, const orders::TradeOutcome& outcome) {
                     if (error) {
                       try {
                         std::rethrow_exception(error);
                       } catch (const std::exception& e) {
                         log().error("trade failed: {}", e.what());
                       }
                       return;
                     }
                     if (!outcome.decision.ok)
                       log().debug("trade refused: {}", outcome.decision.reason);
                   });
  }

  bool has_open_entry(Asset asset, const Symbol& symbol) const {
    for (const orders::JournalEntry& entry : router->journal().open_orders()) {
      if (entry.request.asset == asset && entry.request.symbol == symbol &&
          !entry.request.reduce_only)
        return true;
    }
    return false;
  }

  void on_closed(const orders::ClosedTrade& trade) {
    trade_log->append(trade);
    if (sessions->has_session()) {
      sessions->record_closed_trade(paper_trade_id(trade.asset, trade.symbol, trade.entry_time),
                                    trade.exit_price, trade.realized_pnl, trade.exit_time);
    }
    const TimestampMs now = trade.exit_time;
    const std::string& id = trade.strategy_id;
    if (id.empty() || !registry->get(id)) return;
    const int64_t closed = registry->inc_counter(id, std::string(kClosedCounter), now).value_or(0);
    if (trade.realized_pnl > Decimal::zero()) {
      registry->inc_counter(id, std::string(kWinsCounter), now);
      registry->inc_counter(id, std::string(kProfitCounter), trade.realized_pnl.raw(), now);
    } else {
      registry->inc_counter(id, std::string(kLossesCounter), now);
      registry->inc_counter(id, std::string(kLossCounter), -trade.realized_pnl.raw(), now);
    }
    if (sessions->has_session() && trade.stop_loss != Decimal::zero() &&
        trade.stop_loss != trade.entry_price) {
      learning::ClosedTrade reward;
      reward.side = trade.side;
      reward.entry_price = trade.entry_price;
      reward.initial_stop_loss = trade.stop_loss;
      reward.quantity = trade.quantity;
      reward.realised_pnl = trade.realized_pnl;
      reward.opened_at = trade.entry_time;
      reward.closed_at = trade.exit_time;
      reward.exit = trade.exit_reason == "take_profit" ? learning::ExitReason::kTakeProfit
                    : trade.exit_reason == "stop_loss" ? learning::ExitReason::kStopLoss
                                                       : learning::ExitReason::kOther;
      sessions->add_reward(learning::trade_points(reward), trade.asset);
      sessions->record_equity(total_equity(), now, asset_equities());
    }
    // A promoted strategy keeps trading on paper; a drawdown beyond the gate's demotes it.
    exploration->monitor_promoted(id, trade.realized_pnl, budget->get_alloc(trade.asset),
                                  config.validation.max_drawdown, now);
    review(id, closed, now);
  }

  // The lifecycle rule after a closed trade is exploration_manager's; a candidate it moves to
  // validating goes to the automatic gauntlet with the bars the session has seen so far.
  void review(const std::string& id, int64_t closed, TimestampMs now) {
    if (!options.lifecycle) return;
    const auto record = registry->get(id);
    if (!record || record->state != StrategyState::kExploring) return;
    const auto counter = [&](std::string_view name) {
      const auto found = record->counters.find(std::string(name));
      return found == record->counters.end() ? int64_t{0} : found->second;
    };
    const double profit = static_cast<double>(counter(kProfitCounter));
    const double loss = static_cast<double>(counter(kLossCounter));
    strategies::ReviewInput in;
    in.closed_trades = closed;
    in.profit_factor = loss > 0 ? profit / loss : (profit > 0 ? 1e9 : 0);
    const validation::OnlineStatus phase1 = online->status(id);
    in.phase1 = phase1.outcome == validation::OnlineOutcome::kPass
                    ? strategies::ReviewInput::Phase1::kPass
                : phase1.outcome == validation::OnlineOutcome::kFail
                    ? strategies::ReviewInput::Phase1::kFail
                    : strategies::ReviewInput::Phase1::kPending;
    in.phase1_reason = phase1.reason;
    if (exploration->review(id, in, now) == strategies::ReviewAction::kValidate)
      submit_validation(id, closed, now);
  }

  // The first bar time the session's evidence starts at (the validation window's start).
  TimestampMs evidence_from() const {
    if (replay_from) return *replay_from;
    if (simulated) return simulated->market().config().start;
    return 0;  // live: every stored bar
  }

  // `qualified`: the market time it moved to validating; its validation sees the bars up to it.
  void submit_validation(const std::string& id, int64_t closed, TimestampMs qualified) {
    if (!validator) return;  // no automatic gauntlet: it waits for gauntlet validate
    if (validator->submit({id, evidence_from(), qualified, closed})) {
      verdict_due[id] = qualified + kVerdictDelay;
      log().info("{} qualified with {} closed trades: validating on the {} bars up to {}", id,
                 closed, to_string(evidence), iso_minute(qualified));
    }
  }

  // Strategies left validating by a session stopped before their verdict are validated again,
  // on the same bars (up to the time they qualified).
  void resubmit_validating() {
    if (!validator) return;
    for (Asset asset : kAllAssets) {
      for (const strategies::StrategyRecord& r :
           registry->get_for(asset, StrategyState::kValidating)) {
        const auto closed = r.counters.find(std::string(kClosedCounter));
        TimestampMs qualified = r.updated_at;
        for (const strategies::Transition& t : registry->history(r.id)) {
          if (t.kind == strategies::TransitionKind::kState && t.to == StrategyState::kValidating)
            qualified = t.time;
        }
        submit_validation(r.id, closed == r.counters.end() ? 0 : closed->second, qualified);
      }
    }
  }

  // The earliest market time a verdict that has not arrived is due at: a replay holds there.
  std::optional<TimestampMs> verdict_hold() {
    collect_verdicts();
    std::optional<TimestampMs> hold;
    for (const auto& [id, due] : verdict_due) {
      if (!verdicts.contains(id) && (!hold || due < *hold)) hold = due;
    }
    return hold;
  }

  void collect_verdicts() {
    if (!validator) return;
    for (ValidationVerdict& v : validator->take()) verdicts[v.strategy_id] = std::move(v);
  }

  // The gate's verdicts, applied on the engine thread to its registry: promoted (flagged demo
  // on the simulated market's evidence), or back to exploring with the reasons; every verdict
  // says which feed its evidence came from and where its report is.
  // A replay applies each verdict at its due market time (deterministic); the other feeds as
  // soon as it arrives. `all`: every verdict that arrived (the end of a replay).
  void apply_verdicts(TimestampMs now, bool all = false) {
    if (!validator) return;
    collect_verdicts();
    std::vector<ValidationVerdict> ready;
    for (auto it = verdicts.begin(); it != verdicts.end();) {
      const auto due = verdict_due.find(it->first);
      if (!all && replay && due != verdict_due.end() && due->second > now) {
        ++it;
        continue;
      }
      ready.push_back(std::move(it->second));
      if (due != verdict_due.end()) verdict_due.erase(due);
      it = verdicts.erase(it);
    }
    for (const ValidationVerdict& v : ready) {
      const auto record = registry->get(v.strategy_id);
      if (!record || record->state != StrategyState::kValidating) continue;
      const auto closed = record->counters.find(std::string(kClosedCounter));
      exploration->record_validation(v.strategy_id,
                                     closed == record->counters.end() ? 0 : closed->second, now);
      const std::string evidence_note =
          fmt::format("evidence: {} bars {} to {}{}", to_string(v.evidence), iso_minute(v.from),
                      iso_minute(v.to), v.report.empty() ? "" : "; report " + v.report.string());
      validation::GateDecision decision;
      decision.passed = v.passed && v.error.empty();
      decision.reasons = v.reasons;
      if (!v.error.empty()) decision.reasons = {"validation could not run: " + v.error};
      const validation::PromotionGate gate(config.validation);
      const Decision applied = gate.apply(*registry, v.strategy_id, decision, now, evidence_note);
      if (!applied) {
        log().warn("verdict on {} not applied: {}", v.strategy_id, applied.reason);
        continue;
      }
      if (decision.passed && v.evidence == Evidence::kSimulatedDemo) {
        registry->add_flag(v.strategy_id, std::string(strategies::kDemoFlag),
                           "promoted on the simulated market: demo only, never live", now);
      }
      log().warn("validation of {}: {} ({:.1f} s; {})", v.strategy_id,
                 decision.passed ? "PROMOTED" : "refused", v.seconds, evidence_note);
    }
  }

  // --- simulated market ---------------------------------------------------------------------

  void flush_simulated_bars(bool force) {
    if (!simulated || simulated_backlog.empty()) return;
    if (!force && simulated_backlog.size() < 60 * simulated->market().config().symbols.size())
      return;
    std::map<std::string, std::pair<data::SeriesKey, std::vector<Bar>>> by_series;
    for (const data::BarClosed& e : simulated_backlog) {
      const data::SeriesKey key{"simulated", e.domain, e.symbol, e.timeframe};
      auto& slot = by_series[data::to_string(key)];
      slot.first = key;
      slot.second.push_back(e.bar);
    }
    for (auto& [name, series] : by_series) bars->upsert_bars(series.first, series.second);
    simulated_backlog.clear();
  }

  void start_simulated(bool resumed) {
    const TimestampMs now = floor_to(wall_now_ms(), kMinuteMs);
    TimestampMs start = now - kSimulatedHistory;
    if (resumed) {
      const json j = json::parse(*runtime_state->get(kCheckpointKey));
      start = j.value("simulated_start", start);
    }
    data::SimulatedMarketConfig market =
        data::SimulatedMarketConfig::default_crypto(options.seed, start);
    simulated = std::make_unique<data::SimulatedFeed>(market, bus, sim_clock);
    for (const data::SimulatedSymbol& s : market.symbols) {
      for (const data::SimulatedListing& listing : s.listings) {
        AssetMarket& m = this->market(listing.domain, "simulated");
        m.symbols.push_back(s.symbol);
        base_timeframe[{listing.domain, s.symbol.canonical()}] = Timeframe::k1m;
      }
    }
    for (auto& [asset, m] : markets) m.manager->set_instruments(data::listed_instruments(market));
  }

  static TimestampMs wall_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  // --- status -------------------------------------------------------------------------------

  RuntimeStatus status() const {
    RuntimeStatus s;
    s.feed = feed_name;
    s.feed_note = feed_note;
    s.feed_reason = fallback_reason;
    s.market_time = cursor;
    s.steps = steps;
    std::map<Asset, AssetStatus> by_asset;
    for (const auto& [asset, m] : markets) {
      AssetStatus& a = by_asset[asset];
      a.asset = asset;
      a.equity = budget->get_alloc(asset);
      s.symbols += m.watched.size();
    }
    for (const Position& p : router->positions()) {
      ++by_asset[p.asset].open_positions;
      ++s.open_positions;
    }
    add_record(s, by_asset, router->journal().closed_trades(), *registry, reconciler->ledger());
    s.config_version = config_version;
    s.stopping = stop_requested;
    return s;
  }

  void run_control_tasks() {
    std::deque<ControlTask> tasks;
    {
      const std::lock_guard lock(control_mutex);
      tasks.swap(control_tasks);
    }
    for (ControlTask& task : tasks) {
      std::exception_ptr failure;
      try {
        store->transaction([&] {
          task.run();
          settle();
          // What the task made the paper venue do (the kill switch's cancels and exits, which
          // the venue acknowledges at once) commits with the venue's state, as a step does:
          // a kill after the answer cannot leave the journal and the venue apart.
          if (keeps_checkpoint()) save_checkpoint();
        });
      } catch (const std::exception& error) {
        log().error("control-plane task failed: {}", error.what());
        failure = std::current_exception();
      }
      if (task.done) task.done(failure);
    }
  }

  // A replay that reached its end waits for the validations it started (a signal stops the
  // wait: what is not decided then is validated again on the next start), then applies them.
  void wait_for_validations() {
    if (!validator->idle() && !options.quiet)
      std::cout << "gauntlet run: the replay has ended; waiting for the validations in progress"
                << std::endl;
    bool interrupted = false;
    if (options.handle_signals) {
      signals.emplace(loop, SIGINT, SIGTERM);
      signals->async_wait([&](const std::error_code& error, int) {
        if (!error) interrupted = true;
      });
    }
    while (!validator->idle() && !interrupted) {
      loop.restart();
      loop.run_for(std::chrono::milliseconds(100));
    }
    if (signals) signals->cancel();
    store->transaction([&] { apply_verdicts(cursor, /*all=*/!interrupted); });
  }

  // Re-reads the config file when it changed (polled once a second) or SIGHUP asked; applies
  // the reloadable sections to their owners. Returns the reload's result.
  ReloadResult reload_config() {
    ReloadResult result = config_manager->reload();
    if (!result.applied) return result;
    const std::shared_ptr<const config::Config> fresh = config_manager->snapshot();
    for (Asset asset : kAllAssets) risk->set_limits(asset, fresh->risk_for(asset));
    config.risk = fresh->risk;
    // The exploration manager and the scheduler hold the section by reference.
    config.exploration = fresh->exploration;
    config.exposure_caps = fresh->exposure_caps;
    exposure->set_caps(config.exposure_caps);
    config_version = result.version;
    log().warn("config reloaded: {} (risk, exploration, exposure_caps){}", config_version,
               result.needs_restart.empty()
                   ? ""
                   : fmt::format("; needs a restart: {}", fmt::join(result.needs_restart, ", ")));
    return result;
  }

  // SIGHUP asks for a reload (the next poll does it), as many times as it comes.
  void arm_hangup() {
    hangup->async_wait([this](const std::error_code& error, int) {
      if (error) return;
      log().warn("SIGHUP received: reloading the config");
      reload_requested = true;
      arm_hangup();
    });
  }

  void poll_config() {
    if (!config_manager) return;
    const auto now = std::chrono::steady_clock::now();
    if (!reload_requested && now < next_config_poll) return;
    next_config_poll = now + std::chrono::seconds(1);
    if (reload_requested.exchange(false) || config_manager->source_changed()) reload_config();
  }

  void committed(bool final) {
    if (!final) poll_config();
    if (validator && !final) store->transaction([&] { apply_verdicts(cursor); });
    run_control_tasks();
    if (on_committed) on_committed(final);
  }

  void print_status() {
    if (options.quiet) return;
    std::cout << status().line() << std::endl;
  }
};

AppRuntime::AppRuntime(config::Config config, RunOptions options)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(options))) {}

AppRuntime::~AppRuntime() {
  const std::lock_guard lock(impl_->control_mutex);
  impl_->control_closed = true;
  impl_->control_tasks.clear();
}

void AppRuntime::start_all() {
  Impl& s = *impl_;
  if (s.started) return;
  s.open_state();
  const FeedMode mode = s.resolve_feed();
  if (mode == FeedMode::kReplay) {
    s.setup_replay();
  } else if (mode == FeedMode::kLive) {
    s.setup_live();
  } else {
    s.setup_simulated();
  }
  const bool resumed_state = s.runtime_state->get(kCheckpointKey).has_value();
  if (mode == FeedMode::kSimulated) s.start_simulated(resumed_state);
  if (!s.options.config_file.empty()) {
    s.config_manager = std::make_unique<ConfigManager>(s.options.config_file);
    s.config_version = s.config_manager->version();
  } else {
    s.config_version = fmt::format("v1-{}", config_hash(s.config));
  }
  s.build_engine();
  s.evidence = mode == FeedMode::kReplay ? Evidence::kReplay
               : mode == FeedMode::kLive ? Evidence::kLive
                                         : Evidence::kSimulatedDemo;
  if (s.options.lifecycle && s.options.make_validator) {
    s.validator =
        s.options.make_validator({s.config, s.options.state_dir, s.bars->root(), s.evidence});
  }
  s.register_candidates(s.replay_from.value_or(s.sim_clock.now_ms()));
  s.subscribe();
  // The session: resumed where it stopped, or a new one.
  const bool resumed = s.load_checkpoint();
  const TimestampMs start = resumed                     ? s.cursor
                            : mode == FeedMode::kReplay ? *s.replay_from
                            : mode == FeedMode::kLive   ? s.clock->now_ms()
                                                        : s.simulated->market().config().start;
  if (!s.live_feed) s.sim_clock.advance_to(start);
  if (!s.sessions->resume_session()) s.sessions->start_session(start);
  s.trade_log->open(s.router->journal().closed_trades());
  s.router->recover();  // the halt set (a kill switch included) is the router's, persisted
  s.toggles->apply_switches();
  if (resumed) s.risk->restore_state(s.saved_risk);
  if (mode == FeedMode::kLive) {
    for (auto& [asset, m] : s.markets) s.refresh_universe(m, s.clock->now_ms());
  } else {
    for (auto& [asset, m] : s.markets) {
      m.manager->subscribe(m.symbols, {data::Stream::kBars, data::Stream::kQuotes});
    }
  }
  if (mode == FeedMode::kReplay) {
    std::vector<data::SeriesKey> series = replay_series(*s.bars);
    data::ReplayFeed::Options replay;
    replay.from = resumed ? s.cursor : *s.replay_from;
    replay.to = *s.replay_to;
    replay.warm_from = std::max(*s.replay_from, replay.from - kDayMs);
    s.replay =
        std::make_unique<data::ReplayFeed>(*s.bars, s.bus, s.sim_clock, std::move(series), replay);
  } else if (s.simulated) {
    s.simulated->skip_to(resumed ? s.cursor : floor_to(Impl::wall_now_ms(), kMinuteMs) - kMinuteMs,
                         [&](const std::vector<data::BarClosed>& minute) {
                           if (!resumed)
                             s.simulated_backlog.insert(s.simulated_backlog.end(), minute.begin(),
                                                        minute.end());
                         });
    s.flush_simulated_bars(true);
    if (!resumed) s.sim_clock.advance_to(s.simulated->market().next_time());
  }
  if (resumed && !s.live_feed) {
    for (auto& [asset, m] : s.markets) m.manager->resume_at(s.cursor);
    s.rebuild_returns();
  }
  s.store->transaction([&] {
    for (auto& [asset, m] : s.markets) s.reconciler->reconcile(asset);
    s.settle();
    // The recovery's resends, acknowledged by the venue, commit with the venue's state.
    if (s.keeps_checkpoint()) s.save_checkpoint();
  });
  s.resubmit_validating();
  if (s.replay) s.replay->start();
  if (s.simulated) s.simulated->start();
  if (s.live_feed) s.live_feed->start();
  s.runtime_state->set(kFeedNoteKey, s.feed_note);  // what gauntlet serve shows
  log().warn("paper session {} on the {} feed: {}{}", s.sessions->current().session_id, s.feed_name,
             s.fallback_reason.empty() ? "" : s.fallback_reason + ": ", s.feed_note);
  if (!s.options.quiet) {
    std::cout << "gauntlet run: " << (s.fallback_reason.empty() ? "" : s.fallback_reason + ": ")
              << s.feed_note << (resumed ? " (resumed)" : "") << std::endl;
  }
  s.started = true;
}

int AppRuntime::run() {
  Impl& s = *impl_;
  start_all();
  if (s.options.handle_signals && s.config_manager) {
    s.hangup.emplace(s.loop, SIGHUP);
    s.arm_hangup();
  }
  if (s.options.handle_signals) {
    s.signals.emplace(s.loop, SIGINT, SIGTERM);
    s.signals->async_wait([&s](const std::error_code& error, int signal) {
      if (error) return;
      log().warn("signal {} received: stopping after the current step", signal);
      s.stop_requested = true;
    });
  }
  const auto wall_start = std::chrono::steady_clock::now();
  auto next_status = wall_start;
  const auto elapsed = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 wall_start)
        .count();
  };
  // Simulated pacing: market time = anchor + speed x wall time since the anchor.
  const TimestampMs market_anchor = s.clock->now_ms();
  bool end_of_data = false;
  while (!s.stop_requested) {
    if (s.options.run_for && elapsed() >= *s.options.run_for) break;
    TimestampMs due = INT64_MAX;
    if (s.simulated) {
      due = market_anchor +
            static_cast<TimestampMs>(static_cast<double>(elapsed()) * s.options.speed);
    } else if (s.replay && s.options.replay_speed) {
      due = market_anchor +
            static_cast<TimestampMs>(static_cast<double>(elapsed()) * *s.options.replay_speed);
    }
    if (s.live_feed) {
      s.run_live_for(std::chrono::milliseconds(s.config.live_loop_interval));
    } else if (!s.run_batch(due)) {
      if (s.replay && s.replay->finished()) {  // the end of the data
        end_of_data = true;
        s.replay_finished = true;
        break;
      }
      s.loop.restart();
      s.loop.run_for(std::chrono::milliseconds(20));  // signals, timers; the market is not due
      s.committed(false);
      continue;
    }
    s.committed(false);
    if (std::chrono::steady_clock::now() >= next_status) {
      s.print_status();
      next_status =
          std::chrono::steady_clock::now() + std::chrono::milliseconds(s.options.status_interval);
    }
  }
  stop_all();
  if (end_of_data && s.options.serve_after_end) {
    if (!s.options.quiet)
      std::cout << "gauntlet run: the replay has ended; serving the session until Ctrl-C"
                << std::endl;
    serve_until_stopped();
  }
  return 0;
}

void AppRuntime::stop_all() {
  Impl& s = *impl_;
  if (!s.started || s.stopped) return;
  s.stopped = true;
  s.stop_requested = true;
  if (s.validator && s.replay_finished) s.wait_for_validations();
  for (Asset asset : kAllAssets)
    s.router->halt_entries(asset, orders::HaltReason::kShutdown, "the session is stopping");
  s.store->transaction([&] {
    s.settle();
    // The venue's last word: a backtest's gate and the final status read these figures.
    for (auto& [asset, m] : s.markets) s.reconciler->reconcile(asset);
    s.settle();
    if (s.sessions->has_session()) s.record_paper_trades();
    s.flush_simulated_bars(true);
    s.save_checkpoint();
  });
  if (s.replay) s.replay->stop();
  if (s.simulated) s.simulated->stop();
  if (s.live_feed) s.live_feed->stop();
  if (s.signals) s.signals->cancel();
  if (s.hangup) s.hangup->cancel();
  s.committed(true);
  const RuntimeStatus final_status = s.status();
  log().warn(
      "paper session stopped at {}: {} closed trades, {} positions left open with their "
      "protection",
      iso_minute(s.cursor), final_status.closed_trades, final_status.open_positions);
  if (!s.options.quiet) {
    std::cout << final_status.line() << std::endl;
    std::cout << "gauntlet run: stopped; " << final_status.open_positions
              << " open positions keep their stop loss and take profit; trade log "
              << s.trade_log->path().string() << std::endl;
  }
}

void AppRuntime::tick(TimestampMs now) {
  impl_->tick(now);
}

void AppRuntime::request_stop() {
  impl_->stop_requested = true;
}

Decision AppRuntime::enable_live(Asset asset) {
  Impl& s = *impl_;
  if (!running()) return Decision::deny("not_running: the session has ended");
  // The paper venue is not a live broker: no live broker is connected for any asset yet.
  return s.toggles->enable_live(asset, /*broker_connected=*/false);
}

Decision AppRuntime::disable_live(Asset asset) {
  Impl& s = *impl_;
  if (!s.toggles) return Decision::deny("not_running: the session has not started");
  return s.toggles->disable_live(asset);
}

RuntimeStatus AppRuntime::status() const {
  return impl_->status();
}

double paper_venue_slippage_bps() {
  return brokers::SimBrokerConfig{}.slippage_bps;
}

std::vector<orders::ClosedTrade> AppRuntime::closed_trades(int64_t after_sequence) const {
  return impl_->router->journal().closed_trades(after_sequence);
}

bool AppRuntime::post(std::function<void()> task, std::function<void(std::exception_ptr)> done) {
  Impl& s = *impl_;
  const std::lock_guard lock(s.control_mutex);
  if (s.control_closed) return false;
  s.control_tasks.push_back({std::move(task), std::move(done)});
  return true;
}

void AppRuntime::on_committed(std::function<void(bool final)> callback) {
  impl_->on_committed = std::move(callback);
}

void AppRuntime::serve_until_stopped() {
  Impl& s = *impl_;
  s.stop_requested = false;
  s.signals.emplace(s.loop, SIGINT, SIGTERM);
  s.signals->async_wait([&s](const std::error_code& error, int) {
    if (!error) s.stop_requested = true;
  });
  while (!s.stop_requested) {
    s.loop.restart();
    s.loop.run_for(std::chrono::milliseconds(20));
    s.run_control_tasks();
  }
  s.signals->cancel();
}

bool AppRuntime::running() const {
  return impl_->started && !impl_->stopped;
}

std::vector<AssetPanel> AppRuntime::asset_panels() const {
  const Impl& s = *impl_;
  std::map<Asset, int> open;
  for (const Position& p : s.router->positions()) ++open[p.asset];
  return build_asset_panels(*s.budget, *s.runtime_state, s.sessions.get(),
                            s.router->journal().closed_trades(), open, s.router->entry_halts(),
                            s.reconciler->ledger());
}

std::vector<PositionView> AppRuntime::positions() const {
  const Impl& s = *impl_;
  std::vector<PositionView> out;
  for (const Position& p : s.router->positions()) {
    PositionView view{p, Decimal::zero(), Decimal::zero()};
    const auto m = s.markets.find(p.asset);
    if (m != s.markets.end()) {
      if (const auto quote = m->second.manager->get_last_quote(p.symbol)) {
        view.mark_price = quote->last_price;
        const Decimal move = p.side == OrderSide::kBuy ? view.mark_price - p.average_price
                                                       : p.average_price - view.mark_price;
        view.unrealized_pnl = move * p.quantity;
      }
    }
    out.push_back(std::move(view));
  }
  return out;
}

std::vector<orders::JournalEntry> AppRuntime::open_orders() const {
  return impl_->router->journal().open_orders();
}

std::vector<QuoteView> AppRuntime::quotes() const {
  const Impl& s = *impl_;
  std::vector<QuoteView> out;
  for (const auto& [asset, m] : s.markets) {
    for (const Symbol& symbol : m.symbols) {
      if (!m.watched.contains(symbol.canonical())) continue;
      if (const auto quote = m.manager->get_last_quote(symbol))
        out.push_back({asset, symbol, quote->last_price, quote->event_time});
    }
  }
  return out;
}

std::vector<EquityMark> equity_marks_from(const std::vector<capital::EquityPoint>& history,
                                          TimestampMs after) {
  std::vector<EquityMark> out;
  std::array<Decimal, 4> carried{};  // the marks before `after` set the starting values
  for (const capital::EquityPoint& point : history) {
    for (const auto& [asset, equity] : point.assets)
      carried[static_cast<std::size_t>(asset)] = equity;
    if (point.time <= after) continue;
    EquityMark mark;
    mark.time = point.time;
    mark.total = point.equity;
    mark.assets = carried;
    if (!out.empty() && out.back().time == mark.time) {
      out.back() = mark;
    } else {
      out.push_back(mark);
    }
  }
  return out;
}

std::vector<EquityMark> AppRuntime::equity_marks(TimestampMs after) const {
  const Impl& s = *impl_;
  if (!s.sessions->has_session()) return {};
  return equity_marks_from(s.sessions->equity_history(), after);
}

std::optional<Precision> AppRuntime::precision(Asset asset, const Symbol& symbol) const {
  const auto m = impl_->markets.find(asset);
  if (m == impl_->markets.end()) return std::nullopt;
  const std::optional<data::InstrumentInfo> rules = m->second.manager->get_instrument(symbol);
  return rules ? precision_of(*rules) : std::nullopt;
}

std::vector<strategies::Transition> AppRuntime::strategy_history(const std::string& id) const {
  return impl_->registry->history(id);
}

Decision AppRuntime::kill(std::optional<Asset> asset) {
  Impl& s = *impl_;
  if (!running()) return Decision::deny("not_running: the session has ended");
  for (Asset a : kAllAssets) {
    if (!asset || *asset == a)
      s.router->halt_entries(a, orders::HaltReason::kKillSwitch, "engaged by the operator");
  }
  asio::co_spawn(s.loop, s.executor->disaster_flatten_all_async(asset), asio::detached);
  log().warn("kill switch engaged for {}", asset ? std::string(to_string(*asset)) : "every asset");
  return Decision::allow();
}

Decision AppRuntime::resume(Asset asset) {
  Impl& s = *impl_;
  if (!running()) return Decision::deny("not_running: the session has ended");
  // An operator's resume lifts what only an operator may: the kill switch and a critical venue
  // error. broker_desync waits for a clean reconciliation; daily loss and drawdown for the risk
  // manager's rules.
  const bool killed = s.router->lift_halt(asset, orders::HaltReason::kKillSwitch);
  const bool critical = s.router->lift_halt(asset, orders::HaltReason::kCriticalError);
  if (!killed && !critical) {
    return Decision::deny(fmt::format("not_halted: {} has no kill switch or critical error to lift",
                                      to_string(asset)));
  }
  return Decision::allow();
}

Decision AppRuntime::set_flag(const std::string& id, const std::string& flag, bool on) {
  Impl& s = *impl_;
  if (!running()) return Decision::deny("not_running: the session has ended");
  const TimestampMs now = s.clock->now_ms();
  return on ? s.registry->add_flag(id, flag, "set from the control plane", now)
            : s.registry->remove_flag(id, flag, "cleared from the control plane", now);
}

Decision AppRuntime::reload_config() {
  Impl& s = *impl_;
  if (!running()) return Decision::deny("not_running: the session has ended");
  if (!s.config_manager)
    return Decision::deny("no_config_file: the session was not started from a config file");
  const ReloadResult result = s.reload_config();
  if (!result.problems.empty()) {
    return Decision::deny(fmt::format("invalid_config: {} (version {} stays)",
                                      fmt::join(result.problems, "; "), result.version));
  }
  Decision applied = Decision::allow();
  applied.reason = result.version;
  if (!result.needs_restart.empty())
    applied.reason += fmt::format("; needs a restart: {}", fmt::join(result.needs_restart, ", "));
  return applied;
}

Decision AppRuntime::change_allocation(Asset asset, bool add) {
  Impl& s = *impl_;
  if (!running()) return Decision::deny("not_running: the session has ended");
  return add ? s.budget->add_step(asset) : s.budget->remove_step(asset);
}

std::vector<strategies::StrategyRecord> AppRuntime::strategies() const {
  std::vector<strategies::StrategyRecord> all;
  for (Asset asset : kAllAssets) {
    for (strategies::StrategyRecord& r : impl_->registry->get_for(asset))
      all.push_back(std::move(r));
  }
  return all;
}

std::optional<Decimal> AppRuntime::venue_realised(Asset asset) const {
  return impl_->reconciler->venue_realised_since_baseline(asset);
}

std::filesystem::path AppRuntime::bar_root() const {
  return impl_->bars->root();
}

std::optional<std::pair<TimestampMs, TimestampMs>> AppRuntime::replay_window() const {
  if (!impl_->replay_from) return std::nullopt;
  return std::make_pair(*impl_->replay_from, *impl_->replay_to);
}

}  // namespace gauntlet::runtime
