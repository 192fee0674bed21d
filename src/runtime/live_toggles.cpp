#include "runtime/live_toggles.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "runtime/control.hpp"
#include "strategies/strategy_scheduler.hpp"

namespace gauntlet::runtime {

LiveToggles::LiveToggles(const config::Config& config, RuntimeState& state,
                         const strategies::StrategyRegistry& registry, orders::OrderRouter& router)
    : config_(config), state_(state), registry_(registry), router_(router) {}

void LiveToggles::apply_switches() {
  for (Asset asset : kAllAssets) {
    if (const auto reason = config::asset_disabled_reason(config_, asset)) {
      router_.halt_entries(asset, orders::HaltReason::kDisabled, *reason);
    } else {
      router_.lift_halt(asset, orders::HaltReason::kDisabled);
    }
  }
}

bool LiveToggles::enabled(Asset asset) const {
  return !config::asset_disabled_reason(config_, asset).has_value();
}

namespace {

bool promoted_on_real_bars(const strategies::StrategyRecord& record) {
  return record.state == strategies::StrategyState::kPromoted &&
         !record.flags.contains(std::string(strategies::kDemoFlag));
}

}  // namespace

Decision LiveToggles::enable_live(Asset asset, const LiveReadiness& venue) {
  Decision decision = check_live(asset, venue);
  if (decision.ok) state_.set_bool(live_key(asset), true);
  return decision;
}

Decision LiveToggles::check_live(Asset asset, const LiveReadiness& venue) const {
  if (const auto reason = config::asset_disabled_reason(config_, asset)) {
    return Decision::deny(
        fmt::format("asset_disabled: {} does not trade ({})", to_string(asset), *reason));
  }
  const int stage_needed = asset == Asset::kSpot ? 1 : asset == Asset::kPerp ? 2 : 3;
  if (config_.environment != config::Environment::kProduction) {
    return Decision::deny(
        "environment: live trading needs ENVIRONMENT=production (this is simulation)");
  }
  if (config_.rollout_stage < stage_needed) {
    return Decision::deny(fmt::format("rollout_stage: {} needs ROLLOUT_STAGE >= {} (it is {})",
                                      to_string(asset), stage_needed, config_.rollout_stage));
  }
  const std::vector<strategies::StrategyRecord> promoted =
      registry_.get_for(asset, strategies::StrategyState::kPromoted);
  const bool real = std::any_of(promoted.begin(), promoted.end(), promoted_on_real_bars);
  if (!real) {
    return Decision::deny(
        fmt::format("no_promoted_strategy: no {} strategy has passed validation on real bars{}",
                    to_string(asset),
                    promoted.empty() ? "" : " (only demo promotions on the simulated market)"));
  }
  if (!venue.venue) {
    return Decision::deny(
        "no_venue: this session has no live venue (start it with gauntlet run --venue bybit)");
  }
  if (!venue.keys) {
    return Decision::deny(
        "no_keys: GAUNTLET_BYBIT_API_KEY and GAUNTLET_BYBIT_API_SECRET are not both set (the "
        "environment or secrets_file)");
  }
  if (!venue.trades) {
    return Decision::deny(
        fmt::format("venue_asset: the live venue does not trade {}", to_string(asset)));
  }
  if (!venue.connected) {
    return Decision::deny(
        fmt::format("broker_not_connected: no live broker is connected for {}", to_string(asset)));
  }
  if (!venue.answered) {
    return Decision::deny(fmt::format(
        "not_reconciled: the live venue has not answered a reconciliation of {} in the last "
        "minute",
        to_string(asset)));
  }
  return Decision::allow();
}

Decision LiveToggles::disable_live(Asset asset) {
  state_.set_bool(live_key(asset), false);
  set_pending(asset, false);
  return Decision::allow();
}

void LiveToggles::set_pending(Asset asset, bool pending) {
  state_.set_bool(live_key(asset) + ".pending", pending);
}

bool LiveToggles::pending(Asset asset) const {
  return state_.get_bool(live_key(asset) + ".pending", false);
}

bool LiveToggles::live(Asset asset) const {
  return state_.get_bool(live_key(asset), false);
}

bool LiveToggles::trades(Asset asset, const strategies::StrategyRecord& record) const {
  return !live(asset) || promoted_on_real_bars(record);
}

}  // namespace gauntlet::runtime
