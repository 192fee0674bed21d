#include "validation/stress_shocks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/exceptions.hpp"
#include "learning/ml/strategy_generator.hpp"
#include "runtime/app_runtime.hpp"
#include "strategies/strategy.hpp"
#include "strategies/strategy_registry.hpp"

namespace gauntlet::validation {
namespace {

// The candidate's parameters each moved by ±kParameterShock.
std::vector<std::pair<std::string, strategies::StrategyDescriptor>> parameter_shocks(
    const strategies::StrategyDescriptor& candidate) {
  std::vector<std::pair<std::string, strategies::StrategyDescriptor>> out;
  const auto parameters = learning::parse_params_json(candidate.params_json);
  if (!parameters) return out;
  for (const strategies::FamilyInfo& info : strategies::families()) {
    if (info.name != candidate.family) continue;
    for (const strategies::ParameterSpec& p : info.parameters) {
      const auto found = parameters->find(p.name);
      const double value = found == parameters->end() ? p.default_value : found->second;
      for (const double factor : {1 - kParameterShock, 1 + kParameterShock}) {
        double shocked = value * factor;
        if (p.step > 0) shocked = p.minimum + std::round((shocked - p.minimum) / p.step) * p.step;
        shocked = std::clamp(shocked, p.minimum, p.maximum);
        if (shocked == value) continue;
        strategies::Parameters moved = *parameters;
        moved[p.name] = shocked;
        try {
          strategies::make_strategy(candidate.family, moved);  // a legal combination only
        } catch (const ArgumentError&) {
          continue;
        }
        out.emplace_back(fmt::format("{} {:+.0f}%", p.name, (factor - 1) * 100),
                         strategies::StrategyDescriptor{candidate.family, candidate.asset,
                                                        learning::canonical_params_json(moved)});
      }
    }
  }
  return out;
}

}  // namespace

std::vector<ShockSpec> shock_specs(const BacktestSpec& base) {
  if (base.candidates.size() != 1) {
    throw ArgumentError(fmt::format(
        "shock_specs: the base backtest must hold one candidate, not {}", base.candidates.size()));
  }
  std::vector<ShockSpec> shocks;
  for (auto& [name, descriptor] : parameter_shocks(base.candidates.front())) {
    ShockSpec shock{name, base};
    shock.spec.candidates = {descriptor};
    shocks.push_back(std::move(shock));
  }
  ShockSpec slippage{fmt::format("slippage x{:g}", kSlippageShock), base};
  slippage.spec.slippage_bps =
      base.slippage_bps.value_or(runtime::paper_venue_slippage_bps()) * kSlippageShock;
  shocks.push_back(std::move(slippage));
  ShockSpec latency{fmt::format("latency x{:g}", kLatencyShock), base};
  latency.spec.config.simulation_order_delay = static_cast<DurationMs>(
      std::llround(static_cast<double>(base.config.simulation_order_delay) * kLatencyShock));
  shocks.push_back(std::move(latency));
  return shocks;
}

ShockResult shock_result(const ShockSpec& shock, const BacktestResult& result) {
  const std::string id = strategies::strategy_id(shock.spec.candidates.front());
  const auto found = result.by_strategy.find(id);
  return {shock.name, found == result.by_strategy.end() ? result.metrics : found->second.metrics};
}

}  // namespace gauntlet::validation
