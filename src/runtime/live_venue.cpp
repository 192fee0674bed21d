// File: runtime/live_venue.cpp
//
// The session's live venue (runtime/app_runtime.hpp, "Live"): the Bybit broker beside the paper
// venue, which assets it trades, and the moves between paper and live. The rules of going live
// are LiveToggles'; this file gathers what they are checked on and routes the asset.
#include <fmt/format.h>

#include "brokers/bybit/hosts.hpp"
#include "core/exceptions.hpp"
#include "orders/order_journal.hpp"
#include "runtime/internal/runtime_impl.hpp"

namespace gauntlet::runtime {

using internal::log;

namespace {

// How recent the live venue's last answer for an asset must be for enable_live.
constexpr auto kAnswerFreshness = std::chrono::minutes(1);

bool bybit_trades(Asset asset) {
  return asset == Asset::kSpot || asset == Asset::kPerp;
}

}  // namespace

brokers::bybit::BybitHosts AppRuntime::Impl::venue_hosts() const {
  if (!options.venue_base_url.empty())
    return brokers::bybit::bybit_hosts_at(options.venue_base_url);
  return brokers::bybit::bybit_hosts(to_string(config.bybit.environment));
}

bool AppRuntime::Impl::routed_live(Asset asset) const {
  return live_routed.contains(asset);
}

void AppRuntime::Impl::build_live_venue() {
  const auto refuse_persisted_live = [this](std::string_view why) {
    for (Asset asset : kAllAssets) {
      if (!toggles->live(asset)) continue;
      throw ArgumentError(fmt::format(
          "the state directory {} trades {} live on its venue, and {}: start it with the venue "
          "and its keys (gauntlet run --venue bybit), then disable live to go back to paper",
          options.state_dir.string(), to_string(asset), why));
    }
  };
  if (options.venue.empty()) {
    refuse_persisted_live("this session has no --venue");
    return;
  }
  if (options.venue != "bybit")
    throw ArgumentError(fmt::format("--venue {}: the live venue is bybit", options.venue));
  const Secrets& secrets = options.secrets;
  if (secrets.bybit_api_key.empty() || secrets.bybit_api_secret.empty()) {
    refuse_persisted_live("GAUNTLET_BYBIT_API_KEY / _SECRET are not set");
    log().warn("no Bybit API key and secret: the venue's public feed only, every asset on paper");
    return;
  }
  const brokers::bybit::BybitHosts hosts = venue_hosts();
  const brokers::bybit::ApiCredentials credentials{secrets.bybit_api_key.reveal(),
                                                   secrets.bybit_api_secret.reveal()};
  brokers::bybit::BybitBrokerConfig broker_config;
  broker_config.rest.rest.base_url = hosts.private_rest;
  broker_config.rest.credentials = credentials;
  broker_config.rest.recv_window = config.bybit.recv_window;
  if (const auto codes = config.critical_error_codes.find("bybit");
      codes != config.critical_error_codes.end()) {
    broker_config.rest.critical_codes.assign(codes->second.begin(), codes->second.end());
  }
  broker_config.ws.url = hosts.private_ws;
  broker_config.ws.credentials = credentials;
  broker_config.instruments = instrument_rules();
  broker_config.perp_leverage = config.risk_for(Asset::kPerp).max_leverage;
  const orders::OrderJournal& journal = router->journal();
  broker_config.fills_since = journal.last_fill_time(brokers::bybit::kVenue);
  for (const orders::JournalEntry& entry : journal.open_orders()) {
    if (entry.venue == brokers::bybit::kVenue)
      broker_config.unresolved_orders[entry.request.asset].insert(entry.request.client_order_id);
  }
  live_broker =
      std::make_unique<brokers::bybit::BybitBroker>(bus, loop, *clock, std::move(broker_config));
  // A new order to the venue waits for the commit of its intent: the live loop's turn ends at
  // once so that the commit, and the order, follow within milliseconds.
  store->on_deferred([this] { loop.stop(); });
  subscriptions.push_back(
      bus.subscribe<brokers::BrokerSnapshot>([this](const brokers::BrokerSnapshot& snapshot) {
        if (snapshot.venue == live_broker->venue())
          live_answered[snapshot.asset] = std::chrono::steady_clock::now();
      }));
  live_broker->start();
  log().warn("live venue: Bybit {} at {} (private {})",
             options.venue_base_url.empty() ? to_string(config.bybit.environment) : "local",
             hosts.private_rest, hosts.private_ws);
  for (Asset asset : kAllAssets) {
    if (toggles->live(asset)) route_live(asset);
  }
}

void AppRuntime::Impl::resume_going_live() {
  if (!live_broker) return;
  for (Asset asset : kAllAssets) {
    if (toggles->pending(asset) && !routed_live(asset)) flatten_paper(asset);
  }
}

void AppRuntime::Impl::route_live(Asset asset) {
  router->route(asset, *live_broker);
  reconciler->route(asset, *live_broker);
  live_routed.insert(asset);
  exploring_lists.erase(asset);  // only strategies promoted on real bars trade it now
  router->halt_entries(asset, orders::HaltReason::kBrokerDesync,
                       fmt::format("going live on {}: entries wait for the first clean "
                                   "reconciliation with the venue",
                                   live_broker->venue()));
  log().warn("{} is live: its orders go to {}", to_string(asset), live_broker->venue());
}

void AppRuntime::Impl::check_live_venue() {
  if (!live_broker || !live_broker->connected()) return;
  for (Asset asset : kAllAssets) {
    if (bybit_trades(asset) && !routed_live(asset)) live_broker->request_snapshot(asset);
  }
}

namespace {

// The asset's open positions and orders in the engine's books, as a phrase ("" when none).
std::string open_book(const orders::OrderRouter& router, Asset asset) {
  std::size_t positions = 0;
  for (const Position& p : router.positions()) positions += p.asset == asset ? 1 : 0;
  std::size_t orders = 0;
  for (const orders::JournalEntry& e : router.journal().open_orders())
    orders += e.request.asset == asset ? 1 : 0;
  if (positions == 0 && orders == 0) return {};
  return fmt::format("{} position{} and {} open order{}", positions, positions == 1 ? "" : "s",
                     orders, orders == 1 ? "" : "s");
}

}  // namespace

LiveReadiness AppRuntime::Impl::live_readiness(Asset asset) const {
  LiveReadiness venue;
  venue.venue = !options.venue.empty();
  venue.keys = live_broker != nullptr;
  venue.trades = bybit_trades(asset);
  venue.connected = live_broker && live_broker->connected();
  const auto answered = live_answered.find(asset);
  venue.answered = answered != live_answered.end() &&
                   std::chrono::steady_clock::now() - answered->second < kAnswerFreshness;
  return venue;
}

void AppRuntime::Impl::flatten_paper(Asset asset) {
  for (const orders::JournalEntry& e : router->journal().open_orders()) {
    if (e.request.asset == asset) router->cancel_order(e.request.client_order_id);
  }
  for (const Position& p : router->positions()) {
    if (p.asset != asset) continue;
    asio::co_spawn(loop, executor->close_position_async(p.asset, p.symbol, "going_live"),
                   asio::detached);
  }
}

Decision AppRuntime::Impl::go_live(Asset asset) {
  if (routed_live(asset) && toggles->live(asset)) return Decision::allow();
  const LiveReadiness venue = live_readiness(asset);
  Decision decision = toggles->check_live(asset, venue);
  if (!decision.ok) return decision;
  const std::string book = open_book(*router, asset);
  if (book.empty()) {
    toggles->enable_live(asset, venue);
    route_live(asset);
    reconciler->reconcile(asset);
    return decision;
  }
  // The paper book is flattened first (no new paper entries meanwhile); the asset moves once
  // it is flat (advance_going_live).
  toggles->set_pending(asset, true);
  router->halt_entries(asset, orders::HaltReason::kGoingLive,
                       fmt::format("going live on {}: the paper book ({}) is being flattened first",
                                   options.venue, book));
  flatten_paper(asset);
  return {true, fmt::format("pending: {} goes live on {} once its paper book is flat ({}: its "
                            "orders are cancelled and its positions closed on paper)",
                            to_string(asset), options.venue, book)};
}

void AppRuntime::Impl::advance_going_live() {
  for (Asset asset : kAllAssets) {
    if (!toggles->pending(asset) || routed_live(asset) || !live_broker) continue;
    if (!open_book(*router, asset).empty()) continue;
    if (!toggles->enable_live(asset, live_readiness(asset)).ok) continue;  // the next pass
    toggles->set_pending(asset, false);
    router->lift_halt(asset, orders::HaltReason::kGoingLive);
    route_live(asset);
    reconciler->reconcile(asset);
  }
}

Decision AppRuntime::Impl::go_paper(Asset asset) {
  if (routed_live(asset)) {
    const std::string book = open_book(*router, asset);
    if (!book.empty()) {
      return Decision::deny(
          fmt::format("live_positions_open: {} holds {} on {}; close them first (the kill "
                      "switch cancels and closes them on the venue)",
                      to_string(asset), book, live_broker->venue()));
    }
    router->route(asset, *broker);
    reconciler->route(asset, *broker);
    live_routed.erase(asset);
    exploring_lists.erase(asset);
    log().warn("{} is back on paper", to_string(asset));
  }
  router->lift_halt(asset, orders::HaltReason::kGoingLive);
  return toggles->disable_live(asset);
}

}  // namespace gauntlet::runtime
