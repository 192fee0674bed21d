// File: validation/online_validator.hpp
//
// Owns the phase-1 online check (seed 001 §8.1): a candidate must close at least
// min_paper_trades (>= 100) paper trades on the live or replayed feed, every one with its stop
// loss and take profit attached (SL/TP enforced), before the promotion gate looks at it.
//   start(id)   begins (or restarts, after a failed gate) the count at `now`: only trades that
//               open at or after it count. Recorded in the registry (counter online_since).
//   status(id)  the count so far, the trades without protection, what is missing.
//   done(id)    pending, pass or fail. A trade closed without a stop loss or a take profit
//               fails the check at once.
// The check reads the order journal's closed trades and never changes a state itself: the
// runtime moves a passing candidate to validating (exploration_manager.promote_candidate) and
// a failing one out, and only the promotion gate can promote (strategy_registry's PromotionKey).
//
// Threading: the registry's and the journal's (the engine loop).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "core/interfaces.hpp"
#include "core/time.hpp"
#include "orders/order_journal.hpp"
#include "strategies/strategy_registry.hpp"

namespace gauntlet::validation {

enum class OnlineOutcome { kPending, kPass, kFail };
std::string_view to_string(OnlineOutcome outcome);

struct OnlineStatus {
  std::string id;
  bool started = false;
  TimestampMs since = 0;
  std::size_t closed_trades = 0;       // closed trades that opened at or after `since`
  std::size_t unprotected_trades = 0;  // of those, without a stop loss or a take profit
  std::size_t required = 0;            // min_paper_trades
  OnlineOutcome outcome = OnlineOutcome::kPending;
  std::string reason;  // what the outcome rests on
};

class OnlineValidator {
 public:
  // The registry counter that holds the start time of the check.
  static constexpr std::string_view kSinceCounter = "online_since";

  OnlineValidator(strategies::StrategyRegistry& registry, const orders::OrderJournal& journal,
                  const config::Exploration& config);

  // Starts (or restarts) the check of an exploring strategy at `now`. Denies with
  // unknown_strategy, or not_exploring.
  Decision start(const std::string& id, TimestampMs now);
  OnlineStatus status(const std::string& id) const;
  OnlineOutcome done(const std::string& id) const { return status(id).outcome; }

 private:
  strategies::StrategyRegistry& registry_;
  const orders::OrderJournal& journal_;
  const config::Exploration& config_;
};

}  // namespace gauntlet::validation
