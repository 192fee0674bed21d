// File: runtime/live_toggles.hpp
//
// LiveToggles: which assets a session trades, and which of them trade with capital (seed 001
// §5, §12; seed 000's FX/Options toggles). It decides from the config and the runtime state and
// acts through the owners: the router's halt set for entries, runtime_state for the persisted
// live toggles, the registry for the strategies that qualify.
//   - The switches: exchange_profile (spot, perp or both), forex_enabled and options_enabled.
//     An asset they switch off gets the router's `disabled` halt at every start: no new
//     entries, while its open positions are still reconciled, protected and closable.
//   - enable_live(asset) is refused, naming the first reason, unless: the asset is switched
//     on; ENVIRONMENT is production; ROLLOUT_STAGE admits the asset (1 spot, 2 + perp, 3 +
//     forex and options); the asset has a strategy promoted on real evidence (not flagged
//     demo); and the venue is ready (LiveReadiness, in its order).
//   - trades(asset, record): on a live asset only strategies promoted on real evidence trade.
//
// Threading: single-threaded, on the engine loop.
#pragma once

#include "core/config.hpp"
#include "core/interfaces.hpp"
#include "core/orders.hpp"
#include "core/runtime_state.hpp"
#include "orders/order_router.hpp"
#include "strategies/strategy_registry.hpp"

namespace gauntlet::runtime {

// What the runtime knows of the live venue for an asset, checked in this order.
struct LiveReadiness {
  bool venue = false;      // the session has a live venue (gauntlet run --venue)
  bool keys = false;       // its API key and secret are set
  bool trades = false;     // the venue trades the asset
  bool connected = false;  // its broker is connected
  bool answered = false;   // it answered a reconciliation of the asset in the last minute
};

class LiveToggles {
 public:
  // Every argument must outlive this object.
  LiveToggles(const config::Config& config, RuntimeState& state,
              const strategies::StrategyRegistry& registry, orders::OrderRouter& router);

  // Sets the router's `disabled` halt on every asset the config switches off (and lifts it
  // from those it switches on). Called at start.
  void apply_switches();
  // Whether new entries of `asset` are switched on.
  bool enabled(Asset asset) const;

  // Whether `asset` may go live now (nothing is changed): the first reason it may not.
  Decision check_live(Asset asset, const LiveReadiness& venue) const;
  // check_live, then the live toggle on (persisted).
  Decision enable_live(Asset asset, const LiveReadiness& venue);
  Decision disable_live(Asset asset);
  bool live(Asset asset) const;
  // Going live, waiting for the asset's paper book to be flat (persisted).
  void set_pending(Asset asset, bool pending);
  bool pending(Asset asset) const;
  // Whether `record`'s entries may trade `asset`: always on paper; on a live asset only when it
  // was promoted on real evidence.
  bool trades(Asset asset, const strategies::StrategyRecord& record) const;

 private:
  const config::Config& config_;
  RuntimeState& state_;
  const strategies::StrategyRegistry& registry_;
  orders::OrderRouter& router_;
};

}  // namespace gauntlet::runtime
