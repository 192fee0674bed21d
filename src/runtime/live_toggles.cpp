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

Decision LiveToggles::enable_live(Asset asset, bool broker_connected) {
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
  const bool real = std::any_of(promoted.begin(), promoted.end(), [](const auto& r) {
    return !r.flags.contains(std::string(strategies::kDemoFlag));
  });
  if (!real) {
    return Decision::deny(
        fmt::format("no_promoted_strategy: no {} strategy has passed validation on real bars{}",
                    to_string(asset),
                    promoted.empty() ? "" : " (only demo promotions on the simulated market)"));
  }
  if (!broker_connected) {
    return Decision::deny(
        fmt::format("broker_not_connected: no live broker is connected for {}", to_string(asset)));
  }
  state_.set_bool(live_key(asset), true);
  return Decision::allow();
}

Decision LiveToggles::disable_live(Asset asset) {
  state_.set_bool(live_key(asset), false);
  return Decision::allow();
}

bool LiveToggles::live(Asset asset) const {
  return state_.get_bool(live_key(asset), false);
}

}  // namespace gauntlet::runtime
