#include "strategies/strategy_scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "core/exceptions.hpp"

namespace gauntlet::strategies {

namespace {

bool has_blocking_flag(const StrategyRecord& record) {
  return std::any_of(record.flags.begin(), record.flags.end(), [](const std::string& flag) {
    return flag != kBoostedFlag && flag != kDemoFlag;
  });
}

// A counter of the saved state: a JSON integer >= 0.
uint64_t counter_from(const nlohmann::json& value, const std::string& what) {
  if (!value.is_number_unsigned()) {
    throw StateError("scheduler state: " + what + " must be an integer >= 0, was " + value.dump());
  }
  return value.get<uint64_t>();
}

}  // namespace

StrategyScheduler::StrategyScheduler(StrategyRegistry& registry, ExplorationManager& exploration,
                                     const config::Exploration& config)
    : registry_(registry), exploration_(exploration), config_(config) {}

std::optional<std::string> StrategyScheduler::next_candidate(const Opportunity& opportunity) {
  // In the registry's order: created_at, then id. Validating and promoted strategies keep
  // trading on paper (promoted ones as the shadow of their live trading).
  std::vector<StrategyRecord> exploring = registry_.get_for(opportunity.asset);
  std::erase_if(exploring, [](const StrategyRecord& r) { return !trades_on_paper(r.state); });

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

std::string StrategyScheduler::save_state() const {
  nlohmann::json rotation = nlohmann::json::object();
  for (const auto& [asset, strategies] : rotation_) {
    nlohmann::json entries = nlohmann::json::object();
    for (const auto& [id, entry] : strategies) {
      // nlohmann writes a double as the shortest text that reads back to it: exact.
      entries[id] = {{"credit", entry.credit}, {"last_served", entry.last_served}};
    }
    rotation[std::string(to_string(asset))] = std::move(entries);
  }
  return nlohmann::json{{"rotation", std::move(rotation)}, {"serve_sequence", serve_sequence_}}
      .dump();
}

void StrategyScheduler::restore_state(const std::string& text) {
  std::map<Asset, std::map<std::string, Rotation>> rotation;
  uint64_t serve_sequence = 0;
  try {
    const nlohmann::json state = nlohmann::json::parse(text);
    serve_sequence = counter_from(state.at("serve_sequence"), "the serve sequence");
    const nlohmann::json& saved = state.at("rotation");
    if (!saved.is_object()) {
      throw StateError("scheduler state: the rotation is not an object, was " + saved.dump());
    }
    for (const auto& [asset_name, entries] : saved.items()) {
      const std::optional<Asset> asset = asset_from_string(asset_name);
      if (!asset) throw StateError("scheduler state: unknown asset '" + asset_name + "'");
      if (!entries.is_object()) {
        throw StateError("scheduler state: the rotation of " + asset_name +
                         " is not an object, was " + entries.dump());
      }
      std::map<std::string, Rotation>& strategies = rotation[*asset];
      for (const auto& [id, entry] : entries.items()) {
        const nlohmann::json& credit = entry.at("credit");
        if (!credit.is_number()) {
          throw StateError("scheduler state: the credit of " + id + " is not a number, was " +
                           credit.dump());
        }
        Rotation& restored = strategies[id];
        restored.credit = credit.get<double>();
        restored.last_served = counter_from(entry.at("last_served"), "the last serve of " + id);
        if (!std::isfinite(restored.credit) || restored.last_served > serve_sequence) {
          throw StateError("scheduler state: bad rotation of " + id + ": " + entry.dump() +
                           " with serve sequence " + std::to_string(serve_sequence));
        }
      }
    }
  } catch (const nlohmann::json::exception& error) {
    throw StateError(std::string("scheduler state does not parse: ") + error.what());
  }
  rotation_ = std::move(rotation);
  serve_sequence_ = serve_sequence;
}

}  // namespace gauntlet::strategies
