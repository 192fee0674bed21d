#include "strategies/exploration_manager.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "core/check.hpp"
#include "core/exceptions.hpp"

namespace gauntlet::strategies {

ExplorationManager::ExplorationManager(StrategyRegistry& registry,
                                       const config::Exploration& config, Generator generator)
    : registry_(registry), config_(config), generator_(std::move(generator)) {}

int ExplorationManager::ensure_active_candidates(Asset asset, TimestampMs now) {
  const int wanted = config_.active_candidates_per_asset;
  const int exploring =
      static_cast<int>(registry_.get_for(asset, StrategyState::kExploring).size());
  const int missing = wanted - exploring;
  if (missing <= 0) return 0;

  int activated = 0;
  for (const StrategyRecord& record : registry_.get_for(asset, StrategyState::kCandidate)) {
    if (activated == missing) break;
    if (registry_.set_state(record.id, StrategyState::kExploring, "activated for exploration",
                            now)) {
      ++activated;
    }
  }
  if (!generator_) return activated;
  for (int draws = 0; activated < missing && draws < missing * kMaxDrawsPerMissing; ++draws) {
    const std::optional<StrategyDescriptor> descriptor = generator_(asset);
    if (!descriptor) break;
    GAUNTLET_CHECK(descriptor->asset == asset,
                   "generator returned a {} descriptor ({}) when asked for {}",
                   to_string(descriptor->asset), descriptor->family, to_string(asset));
    const StrategyRecord record = registry_.create(*descriptor, now);
    if (record.state != StrategyState::kCandidate) continue;  // already known and past it
    if (registry_.set_state(record.id, StrategyState::kExploring, "generated for exploration",
                            now)) {
      ++activated;
    }
  }
  return activated;
}

Decision ExplorationManager::promote_candidate(const std::string& id, const std::string& reason,
                                               TimestampMs now) {
  const std::optional<StrategyRecord> record = registry_.get(id);
  if (record && record->state != StrategyState::kExploring) {
    // Only exploring -> validating is a promotion here, although the registry would also take
    // e.g. promoted -> retired; name what was found.
    return Decision::deny("illegal_transition: " + std::string(to_string(record->state)) + " -> " +
                          std::string(to_string(StrategyState::kValidating)));
  }
  return registry_.set_state(id, StrategyState::kValidating, reason, now);
}

Decision ExplorationManager::retire_candidate(const std::string& id, const std::string& reason,
                                              TimestampMs now) {
  Decision decision = registry_.set_state(id, StrategyState::kRetired, reason, now);
  if (decision) trade_times_.erase(id);
  return decision;
}

void ExplorationManager::record_trade(const std::string& id, TimestampMs time) {
  const std::optional<int64_t> trades =
      registry_.inc_counter(id, std::string(kTradesCounter), time);
  GAUNTLET_CHECK(trades.has_value(), "record_trade for unknown strategy {}", id);
  keep_time(id, time);
}

void ExplorationManager::restore_trade(const std::string& id, TimestampMs time) {
  GAUNTLET_CHECK(registry_.get(id).has_value(), "restore_trade for unknown strategy {}", id);
  keep_time(id, time);
}

void ExplorationManager::keep_time(const std::string& id, TimestampMs time) {
  std::deque<TimestampMs>& times = trade_times_[id];
  times.insert(std::upper_bound(times.begin(), times.end(), time), time);
  // The quotas look back at most one hour (cap) or one cooldown from the latest trade.
  const DurationMs horizon = std::max(kHourMs, config_.cooldown_after_trade);
  while (!times.empty() && times.front() <= times.back() - horizon) times.pop_front();
}

int ExplorationManager::trades_in_last_hour(const std::string& id, TimestampMs now) const {
  const auto found = trade_times_.find(id);
  if (found == trade_times_.end()) return 0;
  const std::deque<TimestampMs>& times = found->second;
  // Times in (now - 1 h, now].
  const auto first = std::upper_bound(times.begin(), times.end(), now - kHourMs);
  const auto last = std::upper_bound(times.begin(), times.end(), now);
  return static_cast<int>(std::distance(first, last));
}

ReviewAction ExplorationManager::review(const std::string& id, const ReviewInput& in,
                                        TimestampMs now) {
  const auto record = registry_.get(id);
  if (!record || record->state != StrategyState::kExploring) return ReviewAction::kNone;
  const auto counter = [&](std::string_view name) {
    const auto found = record->counters.find(std::string(name));
    return found == record->counters.end() ? int64_t{0} : found->second;
  };
  using Phase1 = ReviewInput::Phase1;
  const auto retire = [&](const std::string& reason) {
    return retire_candidate(id, reason, now) ? ReviewAction::kRetired : ReviewAction::kNone;
  };
  if (in.phase1 == Phase1::kFail)
    return retire(fmt::format("phase 1 failed: {}", in.phase1_reason));
  if (in.closed_trades >= config_.retire_after_trades &&
      in.profit_factor < config_.retire_below_profit_factor) {
    return retire(fmt::format("profit factor {:.2f} below {} after {} closed trades",
                              in.profit_factor, config_.retire_below_profit_factor,
                              in.closed_trades));
  }
  const int64_t attempts = counter(kValidationAttemptsCounter);
  if (attempts >= config_.max_validation_attempts) {
    return retire(fmt::format("the promotion gate refused it {} times (max_validation_attempts {})",
                              attempts, config_.max_validation_attempts));
  }
  if (in.phase1 != Phase1::kPass) return ReviewAction::kNone;
  // After any verdict, counted or not (a refusal for want of evidence), the next validation
  // waits for min_paper_trades more closed trades.
  const int64_t validated_at = counter(kValidatedAtTradesCounter);
  const int64_t since = in.closed_trades - validated_at;
  if (validated_at > 0 && since < config_.min_paper_trades) return ReviewAction::kNone;
  const Decision moved = promote_candidate(
      id,
      fmt::format("phase 1 passed: {}; profit factor {:.2f} after {} closed trades{}",
                  in.phase1_reason, in.profit_factor, in.closed_trades,
                  validated_at > 0
                      ? fmt::format(" ({} since the last validation; {} refusals)", since, attempts)
                      : ""),
      now);
  return moved ? ReviewAction::kValidate : ReviewAction::kNone;
}

bool ExplorationManager::monitor_promoted(const std::string& id, Decimal pnl, Decimal allocation,
                                          double max_drawdown, TimestampMs now) {
  const auto record = registry_.get(id);
  if (!record || record->state != StrategyState::kPromoted) return false;
  const auto counter = [&](std::string_view name) {
    const auto found = record->counters.find(std::string(name));
    return found == record->counters.end() ? int64_t{0} : found->second;
  };
  const int64_t total = counter(kPromotedPnlCounter) + pnl.raw();
  const int64_t peak = std::max(counter(kPromotedPeakCounter), total);
  registry_.inc_counter(id, std::string(kPromotedPnlCounter), pnl.raw(), now);
  registry_.inc_counter(id, std::string(kPromotedPeakCounter), peak - counter(kPromotedPeakCounter),
                        now);
  const Decimal drawdown = Decimal::from_raw(peak - total);
  const Decimal limit = allocation * Decimal::from_double(max_drawdown);
  if (!allocation.is_positive() || drawdown <= limit) return false;
  const Decision demoted = registry_.set_state(
      id, StrategyState::kExploring,
      fmt::format("demoted: drawdown {} since promotion exceeds max_drawdown {} x allocation {} "
                  "= {}",
                  drawdown.to_string(), max_drawdown, allocation.to_string(), limit.to_string()),
      now);
  if (demoted) {
    // A fresh record after the next promotion.
    registry_.inc_counter(id, std::string(kPromotedPnlCounter), -total, now);
    registry_.inc_counter(id, std::string(kPromotedPeakCounter), -peak, now);
  }
  return demoted.ok;
}

void ExplorationManager::record_validation(const std::string& id, int64_t closed_trades,
                                           TimestampMs now, bool counts_as_attempt) {
  const auto record = registry_.get(id);
  if (!record) return;
  if (counts_as_attempt) registry_.inc_counter(id, std::string(kValidationAttemptsCounter), now);
  const auto found = record->counters.find(std::string(kValidatedAtTradesCounter));
  const int64_t before = found == record->counters.end() ? 0 : found->second;
  registry_.inc_counter(id, std::string(kValidatedAtTradesCounter), closed_trades - before, now);
}

bool ExplorationManager::can_trade(const std::string& id, TimestampMs now) const {
  const auto found = trade_times_.find(id);
  if (found == trade_times_.end() || found->second.empty()) return true;
  if (now - found->second.back() < config_.cooldown_after_trade) return false;
  return trades_in_last_hour(id, now) < config_.max_trades_per_hour_per_candidate;
}

std::string ExplorationManager::save_state() const {
  nlohmann::json times = nlohmann::json::object();
  for (const auto& [id, recent] : trade_times_) times[id] = recent;
  return nlohmann::json{{"trade_times", std::move(times)}}.dump();
}

void ExplorationManager::restore_state(const std::string& text) {
  std::map<std::string, std::deque<TimestampMs>> trade_times;
  try {
    const nlohmann::json state = nlohmann::json::parse(text);
    const nlohmann::json& saved = state.at("trade_times");
    if (!saved.is_object()) {
      throw StateError("exploration state: the trade times are not an object, was " + saved.dump());
    }
    for (const auto& [id, times] : saved.items()) {
      std::deque<TimestampMs> restored = times.get<std::deque<TimestampMs>>();
      if (!std::is_sorted(restored.begin(), restored.end())) {
        throw StateError("exploration state: the trade times of " + id +
                         " are not in ascending order");
      }
      trade_times.emplace(id, std::move(restored));
    }
  } catch (const nlohmann::json::exception& error) {
    throw StateError(std::string("exploration state does not parse: ") + error.what());
  }
  trade_times_ = std::move(trade_times);
}

Decision ExplorationManager::boost(const std::string& id, bool on, TimestampMs now) {
  const std::string flag(kBoostedFlag);
  return on ? registry_.add_flag(id, flag, "boosted for exploration", now)
            : registry_.remove_flag(id, flag, "boost ended", now);
}

}  // namespace gauntlet::strategies
