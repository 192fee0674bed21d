// File: strategies/exploration_manager.hpp
//
// ExplorationManager: candidate rotation (seed 001 §6.2). It owns how many strategies explore
// per asset, their trade quotas (max_trades_per_hour_per_candidate, cooldown_after_trade) and
// the continuous backfill of new candidates, so that exploration never stops. It decides; the
// StrategyRegistry records every state change and flag, so the registry's history shows each
// activation, promotion, retirement and boost. It never places orders.
//
// Backfill: ensure_active_candidates(asset) tops the asset's exploring strategies up to
// active_candidates_per_asset, first from the asset's registered candidates (oldest first:
// created_at, then id), then from the Generator, which supplies new descriptors (the
// strategy_generator in production). A descriptor the registry already knows in another state
// than candidate is skipped (create() is idempotent), and the generator is asked at most
// kMaxDrawsPerMissing times per missing slot, so a generator that repeats itself cannot loop.
// It never shrinks: when the configured count drops, the surplus leaves through promotion or
// retirement.
//
// Quotas: record_trade() counts a trade (registry counter "trades") and keeps its time in
// memory; can_trade() refuses while the strategy holds max_trades_per_hour_per_candidate
// trades in the last hour, the window (now - 1 h, now], or while now - last trade <
// cooldown_after_trade. restore_trade() keeps a time without counting the trade again, for a
// runtime that rebuilds the quotas from its journal.
//
// State: save_state() writes the recent trade times per strategy as compact JSON, and
// restore_state() replaces them with ones saved before, so a restarted paper session applies
// the same quotas as the uninterrupted one. Not saved: the config (it comes from the config)
// and the registry's states, flags and counters (they live in SQLite).
//
// Review (the lifecycle rule, seed 001 §6.2): after each closed paper trade of an exploring
// strategy, review() decides, in this order:
//   retire    phase 1 failed; or retire_after_trades closed trades with a profit factor below
//             retire_below_profit_factor; or max_validation_attempts refusals by the gate;
//   validate  phase 1 passed, and min_paper_trades closed trades since the last validation (or
//             ever): the strategy moves to validating and the runtime hands it to the gauntlet;
//   nothing   otherwise.
// Counters it reads: kValidationAttemptsCounter, kValidatedAtTradesCounter (written by
// record_validation()).
//
// Boost: boost(id, true) sets the registry flag "boosted" (kBoostedFlag), which the scheduler's
// round_robin_with_boost rotation weighs with boost_factor; it is the only flag that does not
// block a candidate.
//
// The config is held by reference: a hot reload of the exploration section applies at the next
// call. A generator descriptor for another asset is a broken invariant (GAUNTLET_CHECK).
//
// Threading: single-threaded, on the engine loop with its StrategyRegistry.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "core/interfaces.hpp"
#include "core/orders.hpp"
#include "core/time.hpp"
#include "strategies/strategy_registry.hpp"

namespace gauntlet::strategies {

// The registry flag of a boosted candidate; every other flag blocks scheduling.
inline constexpr std::string_view kBoostedFlag = "boosted";
// The registry counter record_trade() increments.
inline constexpr std::string_view kTradesCounter = "trades";
// How often the promotion gate has judged the strategy, and its closed trades the last time.
inline constexpr std::string_view kValidationAttemptsCounter = "validation_attempts";
inline constexpr std::string_view kValidatedAtTradesCounter = "validated_at_trades";
// A promoted strategy's realised P&L since its promotion and that P&L's peak (Decimal raw).
inline constexpr std::string_view kPromotedPnlCounter = "promoted_pnl_nano";
inline constexpr std::string_view kPromotedPeakCounter = "promoted_peak_nano";

// What review() is told about a strategy after a closed trade.
struct ReviewInput {
  int64_t closed_trades = 0;
  double profit_factor = 0;
  enum class Phase1 { kPending, kPass, kFail } phase1 = Phase1::kPending;
  std::string phase1_reason;
};
enum class ReviewAction { kNone, kValidate, kRetired };

class ExplorationManager {
 public:
  // Supplies a new candidate descriptor for the asset, or nullopt when it has none to offer.
  using Generator = std::function<std::optional<StrategyDescriptor>(Asset)>;

  // How many times the generator is asked per missing slot before ensure_active_candidates()
  // gives up for this call.
  static constexpr int kMaxDrawsPerMissing = 8;

  // `registry` and `config` must outlive this object.
  ExplorationManager(StrategyRegistry& registry, const config::Exploration& config,
                     Generator generator);

  // Moves registered candidates, then generated ones, to exploring until the asset has
  // active_candidates_per_asset exploring strategies. Returns how many it moved to exploring
  // (0 when the asset is already full or nothing is available).
  int ensure_active_candidates(Asset asset, TimestampMs now);

  // Moves an exploring strategy to validating. Denies with the registry's codes
  // (unknown_strategy, illegal_transition).
  Decision promote_candidate(const std::string& id, const std::string& reason, TimestampMs now);
  // Retires the strategy from any state but retired. Denies with the registry's codes.
  Decision retire_candidate(const std::string& id, const std::string& reason, TimestampMs now);

  // The lifecycle rule (see the file comment); applies the state change it decides.
  ReviewAction review(const std::string& id, const ReviewInput& input, TimestampMs now);
  // Watches a promoted strategy after each of its closed trades: `pnl` is that trade's realised
  // P&L and `allocation` the asset's. It keeps the strategy's P&L since promotion and its peak
  // (counters kPromotedPnlCounter, kPromotedPeakCounter); a drawdown from that peak beyond
  // `max_drawdown` x allocation demotes it to exploring, with the figures. Returns whether it
  // demoted. (The paper-vs-live comparison joins this once a live broker trades.)
  bool monitor_promoted(const std::string& id, Decimal pnl, Decimal allocation, double max_drawdown,
                        TimestampMs now);

  // Counts one judgement of the gate on a validating strategy, taken at `closed_trades` (the
  // next waits for min_paper_trades more); a refusal for want of evidence only
  // (`counts_as_attempt` false: the data did not yet span the gate's history) is not one of
  // the max_validation_attempts.
  void record_validation(const std::string& id, int64_t closed_trades, TimestampMs now,
                         bool counts_as_attempt = true);

  // Counts a trade of the strategy at `time` (counter "trades") and keeps the time for the
  // quotas. The strategy must exist (GAUNTLET_CHECK).
  void record_trade(const std::string& id, TimestampMs time);
  // Keeps a trade time for the quotas without counting it: recovery after a restart.
  void restore_trade(const std::string& id, TimestampMs time);

  // Returns whether the strategy may trade at `now` under the hourly cap and the cooldown.
  bool can_trade(const std::string& id, TimestampMs now) const;
  // The number of trades of the strategy in (now - 1 h, now].
  int trades_in_last_hour(const std::string& id, TimestampMs now) const;

  // Returns the recent trade times as compact JSON; the same times always give the same bytes.
  std::string save_state() const;
  // Replaces the recent trade times with ones save_state() wrote. Throws StateError when the
  // document does not parse or a strategy's times are not in ascending order, and then leaves
  // the times as they were.
  void restore_state(const std::string& json);

  // Sets (on) or clears (off) the strategy's "boosted" flag. Denies with unknown_strategy.
  Decision boost(const std::string& id, bool on, TimestampMs now);

  const config::Exploration& config() const { return config_; }

 private:
  void keep_time(const std::string& id, TimestampMs time);

  StrategyRegistry& registry_;
  const config::Exploration& config_;
  Generator generator_;
  // Per strategy, its recent trade times in ascending order (pruned to what the quotas need).
  std::map<std::string, std::deque<TimestampMs>> trade_times_;
};

}  // namespace gauntlet::strategies
