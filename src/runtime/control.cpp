#include "runtime/control.hpp"

#include "capital/budget_manager.hpp"
#include "core/runtime_state.hpp"

namespace gauntlet::runtime {

std::vector<AssetPanel> build_asset_panels(const capital::BudgetManager& budget,
                                           const RuntimeState& state,
                                           const capital::SessionManager* sessions,
                                           const std::vector<orders::ClosedTrade>& closed,
                                           const std::map<Asset, int>& open_positions,
                                           const std::function<std::string(Asset)>& halted) {
  std::map<Asset, AssetPanel> panels;
  for (Asset asset : kAllAssets) {
    AssetPanel& a = panels[asset];
    a.asset = asset;
    a.allocation = budget.get_alloc(asset);
    a.balance = a.allocation;
    a.reserved = budget.reserved(asset);
    a.available = budget.available(asset);
    a.live = state.get_bool(live_key(asset), false);
    a.killed = state.get_bool(kill_key(asset), false);
    a.halted = halted(asset);
    const auto open = open_positions.find(asset);
    if (open != open_positions.end()) a.open_positions = open->second;
  }
  if (sessions != nullptr && sessions->has_session()) {
    for (const auto& [asset, points] : sessions->asset_rewards())
      panels[asset].reward_points = points;
  }
  for (const orders::ClosedTrade& t : closed) {
    AssetPanel& a = panels[t.asset];
    ++a.closed_trades;
    a.realized_pnl = a.realized_pnl + t.realized_pnl;
  }
  std::vector<AssetPanel> out;
  for (auto& [asset, panel] : panels) out.push_back(panel);
  return out;
}

void add_record(RuntimeStatus& status, std::map<Asset, AssetStatus>& by_asset,
                const std::vector<orders::ClosedTrade>& closed,
                const strategies::StrategyRegistry& registry) {
  for (const orders::ClosedTrade& t : closed) {
    AssetStatus& a = by_asset[t.asset];
    a.asset = t.asset;
    ++a.closed_trades;
    a.realized_pnl = a.realized_pnl + t.realized_pnl;
    ++status.closed_trades;
  }
  for (auto& [asset, a] : by_asset) status.assets.push_back(a);
  for (Asset asset : kAllAssets) {
    for (const strategies::StrategyRecord& r : registry.get_for(asset))
      ++status.candidates[std::string(strategies::to_string(r.state))];
  }
}

}  // namespace gauntlet::runtime
