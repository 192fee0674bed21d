// File: strategies/strategy_scheduler.hpp
//
// StrategyScheduler: who gets the next trade (seed 001 §6.3). It maps an opportunity to one
// exploring candidate of its asset, respecting flags, quotas and fairness. It never generates
// signals nor places orders.
//
// Eligibility: a strategy is eligible for an opportunity when it trades on paper for the
// opportunity's asset (trades_on_paper: exploring, validating while the gauntlet judges it,
// promoted as the paper shadow of its live trading), is among the opportunity's candidate_ids
// (the strategies whose signals fired; empty means all of the asset's), carries no blocking
// flag (every flag but "boosted" and "demo" blocks: "paused", "broker_desync", ...) and
// ExplorationManager::can_trade() allows it at the opportunity's time (hourly cap and
// cooldown).
//
// Fairness, by config rotation (re-read at every call, so hot reloads apply):
//   round_robin             the eligible candidate served least recently; never served first,
//                           then the registry's order (created_at, then id).
//   round_robin_with_boost  smooth weighted round robin (nginx's): every eligible candidate
//                           gains its weight (boost_factor when flagged "boosted", else 1) in
//                           credit, the one with the most credit wins (ties as round_robin) and
//                           loses the eligible weights' total. Over any run where the same set
//                           is eligible, each candidate is served in proportion to its weight,
//                           within one pick; a candidate that is not eligible gains nothing, so
//                           its share moves to the others.
// Both are deterministic: the same calls give the same picks. Each returned id counts as
// served. The fairness state is dropped for strategies that stop exploring.
//
// State: save_state() writes the fairness state as compact JSON (per asset and strategy its
// credit and last serve, and the serve sequence; a credit as the shortest text that reads back
// to the same double), and restore_state() replaces it with one saved before, so a restarted
// paper session picks exactly as the uninterrupted one. Not saved: the config (it comes from
// the config), the registry (it lives in SQLite) and the exploration manager's trade times
// (ExplorationManager::save_state).
//
// Threading: single-threaded, on the engine loop with the registry and the exploration manager.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/interfaces.hpp"
#include "core/symbol.hpp"
#include "core/time.hpp"
#include "strategies/exploration_manager.hpp"
#include "strategies/strategy_registry.hpp"

namespace gauntlet::strategies {

// The flag of a strategy the gate promoted on the simulated market's evidence: it keeps trading
// on paper, and never qualifies for capital (enable_live refuses it).
inline constexpr std::string_view kDemoFlag = "demo";

// Whether a strategy in `state` trades on paper.
inline bool trades_on_paper(StrategyState state) {
  return state == StrategyState::kExploring || state == StrategyState::kValidating ||
         state == StrategyState::kPromoted;
}

// A trading opportunity as the runtime sees it once signals have been computed.
struct Opportunity {
  Asset asset = Asset::kSpot;
  Symbol symbol;
  TimestampMs time = 0;
  double signal_strength = 0.0;
  // The strategies whose signals fired; empty = every exploring candidate of the asset.
  std::vector<std::string> candidate_ids;
};

class StrategyScheduler {
 public:
  // `registry`, `exploration` and `config` must outlive this object.
  StrategyScheduler(StrategyRegistry& registry, ExplorationManager& exploration,
                    const config::Exploration& config);

  // Returns the candidate that gets the opportunity, or nullopt when none is eligible.
  std::optional<std::string> next_candidate(const Opportunity& opportunity);

  // Returns the fairness state as compact JSON; the same state always gives the same bytes.
  std::string save_state() const;
  // Replaces the fairness state with one save_state() wrote. Throws StateError when the
  // document does not parse or holds a bad value (an unknown asset, a credit that is not
  // finite, a last serve beyond the serve sequence), and then leaves the state as it was.
  void restore_state(const std::string& json);

 private:
  struct Rotation {
    double credit = 0.0;
    uint64_t last_served = 0;  // 0 = never; else the serve sequence number
  };

  StrategyRegistry& registry_;
  ExplorationManager& exploration_;
  const config::Exploration& config_;
  std::map<Asset, std::map<std::string, Rotation>> rotation_;  // by asset, then strategy id
  uint64_t serve_sequence_ = 0;
};

}  // namespace gauntlet::strategies
