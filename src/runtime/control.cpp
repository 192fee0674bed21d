#include "runtime/control.hpp"

#include "capital/budget_manager.hpp"
#include "core/runtime_state.hpp"
#include "data/instrument_rules.hpp"

namespace gauntlet::runtime {

std::optional<Precision> precision_of(const data::InstrumentInfo& rules) {
  if (!rules.tick_size.is_positive() || !rules.qty_step.is_positive()) return std::nullopt;
  return Precision{data::decimal_places(rules.tick_size), data::decimal_places(rules.qty_step)};
}

std::vector<AssetPanel> build_asset_panels(const capital::BudgetManager& budget,
                                           const RuntimeState& state,
                                           const capital::SessionManager* sessions,
                                           const std::vector<orders::ClosedTrade>& closed,
                                           const std::map<Asset, int>& open_positions,
                                           const orders::EntryHalts& halts,
                                           const orders::PnlLedger& ledger) {
  std::map<Asset, AssetPanel> panels;
  for (Asset asset : kAllAssets) {
    AssetPanel& a = panels[asset];
    a.asset = asset;
    a.allocation = budget.get_alloc(asset);
    a.balance = a.allocation;
    a.reserved = budget.reserved(asset);
    a.available = budget.available(asset);
    a.live = state.get_bool(live_key(asset), false);
    a.killed = halts.holds(asset, orders::HaltReason::kKillSwitch);
    a.halted = halts.summary(asset).value_or("");
    for (const orders::Halt& h : halts.of(asset)) a.halts.emplace_back(orders::to_string(h.reason));
    a.realized_pnl = ledger.totals(asset).total();
    const auto open = open_positions.find(asset);
    if (open != open_positions.end()) a.open_positions = open->second;
  }
  if (sessions != nullptr && sessions->has_session()) {
    for (const auto& [asset, points] : sessions->asset_rewards())
      panels[asset].reward_points = points;
  }
  for (const orders::ClosedTrade& t : closed) ++panels[t.asset].closed_trades;
  std::vector<AssetPanel> out;
  for (auto& [asset, panel] : panels) out.push_back(panel);
  return out;
}

void add_record(RuntimeStatus& status, std::map<Asset, AssetStatus>& by_asset,
                const std::vector<orders::ClosedTrade>& closed,
                const strategies::StrategyRegistry& registry, const orders::PnlLedger& ledger) {
  for (const orders::ClosedTrade& t : closed) {
    AssetStatus& a = by_asset[t.asset];
    a.asset = t.asset;
    ++a.closed_trades;
    ++status.closed_trades;
  }
  for (auto& [asset, a] : by_asset) a.realized_pnl = ledger.totals(asset).total();
  for (auto& [asset, a] : by_asset) status.assets.push_back(a);
  for (Asset asset : kAllAssets) {
    for (const strategies::StrategyRecord& r : registry.get_for(asset))
      ++status.candidates[std::string(strategies::to_string(r.state))];
  }
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

}  // namespace gauntlet::runtime
