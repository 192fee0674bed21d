// File: runtime/app_runtime.cpp
//
// AppRuntime's lifecycle (runtime/app_runtime.hpp): start_all() boots the session (state,
// feed, owners, the checkpoint it resumes from, the recovery and first reconciliation), run()
// drives the main loop (batches of steps on replay and simulated feeds, passes on the live
// feed, the housekeeping, the control plane's tasks after each commit, config reload on a file
// change or SIGHUP) and stop_all() shuts it down gracefully. The engine's state and the other
// jobs are in internal/runtime_impl.hpp: the feeds (market_feeds.cpp), bars to trades
// (signal_flow.cpp), the candidates' lifecycle (candidate_lifecycle.cpp), the checkpoint
// (checkpoint.cpp), the control plane's reads and actions (control_reads.cpp).
//
// Threading: the engine thread, except post() and request_stop(), safe from any thread.
#include "runtime/app_runtime.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <iostream>

#include "core/exceptions.hpp"
#include "runtime/internal/runtime_impl.hpp"

namespace gauntlet::runtime {

using internal::iso_minute;
using internal::kBacktestKey;
using internal::kCheckpointInterval;
using internal::kDesyncFlag;
using internal::kHousekeepingInterval;
using internal::kLiveReconcileInterval;
using internal::kReconcileInterval;
using internal::log;
using internal::replay_series;
using strategies::StrategyState;

double paper_venue_slippage_bps() {
  return brokers::SimBrokerConfig{}.slippage_bps;
}

// --- boot ----------------------------------------------------------------------------------------

void AppRuntime::Impl::open_state() {
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

FeedMode AppRuntime::Impl::resolve_feed() {
  const std::optional<std::string> stored = runtime_state->get(kModeKey);
  FeedMode mode = options.feed;
  if (!options.venue.empty()) {  // a live venue trades on its own live feed
    if (mode != FeedMode::kAuto && mode != FeedMode::kLive) {
      throw ArgumentError(fmt::format(
          "--venue {} trades on the venue's live feed: --feed must be live or auto (was {})",
          options.venue, to_string(mode)));
    }
    mode = FeedMode::kLive;
  }
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

void AppRuntime::Impl::build_engine() {
  // Each asset's instrument rules (data_manager): the router sizes and the venues fill on them.
  const orders::OrderRouter::InstrumentLookup instruments = instrument_rules();
  brokers::SimBrokerConfig sim;
  sim.venue = "paper";
  sim.instruments = instruments;
  sim.fees = brokers::venue_fees(config.fee_model);
  sim.order_delay = config.simulation_order_delay;
  if (options.slippage_bps) sim.slippage_bps = *options.slippage_bps;
  for (const auto& [asset, rate] : options.paper_fee_rates) {
    config::FeeRates& rates = sim.fees[static_cast<std::size_t>(asset)];
    log().warn("the paper venue charges {} fills {} (maker and taker), not the fee model's {} / {}",
               to_string(asset), rate, rates.maker, rates.taker);
    rates.maker = rate;
    rates.taker = rate;
  }
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
  router = std::make_unique<orders::OrderRouter>(bus, *clock, *store, *risk, *budget, *exposure,
                                                 instruments);
  for (Asset asset : kAllAssets) router->route(asset, *broker);
  router->set_critical_codes(config.critical_error_codes);
  router->set_equity_source([this](Asset asset) { return marked_equity(asset); });
  orders::ReconcileTolerance tolerance;
  tolerance.allocation_fraction = config.validation.reconciliation_tolerance;
  tolerance.ack_timeout = config.order_ack_timeout;
  // The engine's model of the paper venue's fees: what FEE_MODEL says the production venue of
  // each asset charges (what the paper venue charges too, unless --paper-fee rehearses a venue
  // that charges otherwise).
  config::FeeModel paper_fees;
  const std::array<config::FeeRates, 4> modelled = brokers::venue_fees(config.fee_model);
  for (Asset asset : kAllAssets)
    paper_fees.venues[sim.venue][asset] = modelled[static_cast<std::size_t>(asset)];
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
  scheduler =
      std::make_unique<strategies::StrategyScheduler>(*registry, *exploration, config.exploration);
  online = std::make_unique<validation::OnlineValidator>(*registry, router->journal(),
                                                         config.exploration);
  toggles = std::make_unique<LiveToggles>(config, *runtime_state, *registry, *router);
  trade_log = std::make_unique<TradeLog>(
      options.trade_log.empty() ? options.state_dir / "trades.csv" : options.trade_log);
  build_live_venue();
}

orders::OrderRouter::InstrumentLookup AppRuntime::Impl::instrument_rules() {
  return [this](Asset asset, const Symbol& symbol) {
    const auto found = markets.find(asset);
    if (found == markets.end()) return data::InstrumentInfo{};
    return found->second.manager->get_instrument(symbol).value_or(data::InstrumentInfo{});
  };
}

void AppRuntime::Impl::register_candidates(TimestampMs now) {
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

void AppRuntime::Impl::subscribe() {
  subscriptions.push_back(
      bus.subscribe<data::BarClosed>([this](const data::BarClosed& e) { on_bar(e); }));
  if (live_feed) {  // live quotes move emulated protection between bars
    subscriptions.push_back(bus.subscribe<data::QuoteUpdated>([this](const data::QuoteUpdated& e) {
      if (e.last_price.is_positive())
        router->sl_tp().on_price(e.domain, e.symbol, e.last_price, clock->now_ms());
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

// --- the main loop -------------------------------------------------------------------------------

void AppRuntime::Impl::settle() {
  for (int round = 0; round < 1000; ++round) {
    const std::size_t dispatched = bus.drain();
    loop.restart();
    const std::size_t ran = loop.poll();
    if (dispatched == 0 && ran == 0) return;
  }
  log().warn("the engine did not settle after 1000 rounds");
}

void AppRuntime::Impl::step(TimestampMs time) {
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

bool AppRuntime::Impl::run_batch(TimestampMs due) {
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

void AppRuntime::Impl::run_live_for(std::chrono::milliseconds duration) {
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
    advance_going_live();
    if (std::chrono::steady_clock::now() >= next_live_reconcile) {
      for (auto& [asset, m] : markets) reconciler->reconcile(asset);
      check_live_venue();
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

std::optional<TimestampMs> AppRuntime::Impl::next_step() const {
  if (replay) return replay->next_close();
  if (simulated) return simulated->market().next_time() + kMinuteMs;
  return std::nullopt;
}

void AppRuntime::Impl::tick(TimestampMs now) {
  exit_expired_positions(now);
  for (auto& [asset, m] : markets) {
    if (m.universe.due(now)) {
      if (live_feed) {
        fetch_universe(asset);  // fresh listings and turnover from the venue first
      } else {
        refresh_universe(m, now);
      }
    }
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

// --- after each commit: the control plane, the config, the status line ---------------------------

void AppRuntime::Impl::run_control_tasks() {
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
        // the venue acknowledges at once) commits with the venue's state, as a step does: a
        // kill after the answer cannot leave the journal and the venue apart.
        if (keeps_checkpoint()) save_checkpoint();
      });
    } catch (const std::exception& error) {
      log().error("control-plane task failed: {}", error.what());
      failure = std::current_exception();
    }
    if (task.done) task.done(failure);
  }
}

ReloadResult AppRuntime::Impl::reload_config() {
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

void AppRuntime::Impl::arm_hangup() {
  hangup->async_wait([this](const std::error_code& error, int) {
    if (error) return;
    log().warn("SIGHUP received: reloading the config");
    reload_requested = true;
    arm_hangup();
  });
}

void AppRuntime::Impl::poll_config() {
  if (!config_manager) return;
  const auto now = std::chrono::steady_clock::now();
  if (!reload_requested && now < next_config_poll) return;
  next_config_poll = now + std::chrono::seconds(1);
  if (reload_requested.exchange(false) || config_manager->source_changed()) reload_config();
}

void AppRuntime::Impl::committed(bool final) {
  if (!final) poll_config();
  if (validator && !final) store->transaction([&] { apply_verdicts(cursor); });
  run_control_tasks();
  if (on_committed) on_committed(final);
}

void AppRuntime::Impl::print_status() {
  if (options.quiet) return;
  std::cout << status().line() << std::endl;
}

// --- AppRuntime ----------------------------------------------------------------------------------

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
    s.check_live_venue();
    s.resume_going_live();
    s.settle();
    // The recovery's resends, acknowledged by the venue, commit with the venue's state.
    if (s.keeps_checkpoint()) s.save_checkpoint();
  });
  s.resubmit_validating();
  if (s.replay) s.replay->start();
  if (s.simulated) s.simulated->start();
  for (const auto& feed : s.live_feeds) feed->start();
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
  for (const auto& feed : s.live_feeds) feed->stop();
  if (s.live_broker) s.live_broker->stop();
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

}  // namespace gauntlet::runtime
