#include "strategies/strategy_scheduler.hpp"

#include <algorithm>
#include <set>

namespace gauntlet::strategies {

namespace {

bool has_blocking_flag(const StrategyRecord& record) {
  return std::any_of(record.flags.begin(), record.flags.end(),
                     [](const std::string& flag) { return flag != kBoostedFlag; });
}

}  // namespace

StrategyScheduler::StrategyScheduler(StrategyRegistry& registry, ExplorationManager& exploration,
                                     const config::Exploration& config)
    : registry_(registry), exploration_(exploration), config_(config) {}

std::optional<std::string> StrategyScheduler::next_candidate(const Opportunity& opportunity) {
  // In the registry's order: created_at, then id.
  const std::vector<StrategyRecord> exploring =
      registry_.get_for(opportunity.asset, StrategyState::kExploring);

  // Forget the rotation of strategies that no longer explore.
  std::map<std::string, Rotation>& rotation = rotation_[opportunity.asset];
  std::set<std::string> exploring_ids;
  for (const StrategyRecord& record : exploring) exploring_ids.insert(record.id);
  std::erase_if(rotation, [&](const auto& entry) { return !exploring_ids.contains(entry.first); });

  const std::set<std::string> fired(opportunity.candidate_ids.begin(),
                                    opportunity.candidate_ids.end());
  std::vector<const StrategyRecord*> eligible;
  for (const StrategyRecord& record : exploring) {
    if (!fired.empty() && !fired.contains(record.id)) continue;
    if (has_blocking_flag(record)) continue;
    if (!exploration_.can_trade(record.id, opportunity.time)) continue;
    eligible.push_back(&record);
  }
  if (eligible.empty()) return std::nullopt;

  const bool weighted = config_.rotation == config::Rotation::kRoundRobinWithBoost;
  double total_weight = 0.0;
  if (weighted) {
    for (const StrategyRecord* record : eligible) {
      const double weight =
          record->flags.contains(std::string(kBoostedFlag)) ? config_.boost_factor : 1.0;
      rotation[record->id].credit += weight;
      total_weight += weight;
    }
  }
  // The most credit (weighted only), then the least recently served, then registry order.
  const StrategyRecord* chosen = nullptr;
  const Rotation* best = nullptr;
  for (const StrategyRecord* record : eligible) {
    const Rotation& candidate = rotation[record->id];
    const bool better = best == nullptr || (weighted && candidate.credit > best->credit) ||
                        ((!weighted || candidate.credit == best->credit) &&
                         candidate.last_served < best->last_served);
    if (better) {
      chosen = record;
      best = &candidate;
    }
  }
  Rotation& served = rotation[chosen->id];
  if (weighted) served.credit -= total_weight;
  served.last_served = ++serve_sequence_;
  return chosen->id;
}

}  // namespace gauntlet::strategies
