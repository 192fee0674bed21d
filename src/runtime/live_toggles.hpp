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
//     demo); and a live broker for the asset is connected.
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

  // `broker_connected`: a live broker for the asset is connected.
  Decision enable_live(Asset asset, bool broker_connected);
  Decision disable_live(Asset asset);
  bool live(Asset asset) const;

 private:
  const config::Config& config_;
  RuntimeState& state_;
  const strategies::StrategyRegistry& registry_;
  orders::OrderRouter& router_;
};

}  // namespace gauntlet::runtime
