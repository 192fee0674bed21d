// File: capital/bankroll_manager.hpp
//
// BankrollManager: the only owner of paper top-ups (seed 001 §5.2). When the paper session's
// equity has fallen to the threshold or below ($10), ensure_min_equity() adds the top-up amount
// ($1,000) to it and starts the next epoch; record_epoch() logs each epoch (number, start,
// equity before and after, reason), so that the session's results can be read per epoch. It
// changes the equity only through SessionManager::top_up(), which takes a TopUpKey that only
// this class can create: nothing else mutates paper equity.
//
// Epochs: epoch 0 is the stretch from the session's start to its first top-up and is not
// logged; top-up n starts epoch n and logs it. Epochs belong to the session they were logged
// in; epochs() lists the current session's, session_epochs() the same with epoch 0 first.
//
// Per-epoch statistics (epoch_statistics): each epoch's results kept apart from the others', so
// that a bankroll lost and topped up does not hide in, or flatter, the session's totals. Epoch
// e runs from its start to the next epoch's start (several top-ups at one instant leave the
// earlier epochs empty); it counts the trades that closed in it (exit time in its interval;
// wins are a positive realised P&L, fees included as the journal books it) and measures its
// equity from the bankroll it started with (its top-up's equity after; the session's starting
// equity for epoch 0) over the equity samples in its interval, to the equity its successor's
// top-up found (equity before): ending, peak and lowest equity, and the largest fall from a
// running peak as a fraction of that peak. A sample at the instant of a top-up that shows the
// equity the top-up found is the ending epoch's (the mark recorded just before it).
//
// Persistence: the epoch log lives in the Store (component "bankroll_manager", table
// bankroll_epochs; money as exact Decimal text). The store must be the one the SessionManager
// writes to: a top-up and the log of its epoch commit in one transaction, so a crash leaves
// both or neither. When that transaction fails, the SessionManager reloads the session from the
// store (resume_session()), so its memory does not run ahead of the store; do not nest
// ensure_min_equity() in an enclosing Store::transaction() that may roll back.
//
// Errors: an operation without a current session, or logging an epoch that is not the session's
// current one, aborts through GAUNTLET_CHECK; a store failure throws StateError (logging an
// epoch number twice throws ConstraintError); a stored amount that is not a Decimal throws
// StateError naming the row.
//
// Threading: single-threaded, on the engine loop with the SessionManager and the Store.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "capital/budget_manager.hpp"
#include "capital/session_manager.hpp"
#include "core/config.hpp"
#include "core/decimal.hpp"
#include "core/store/store.hpp"
#include "core/time.hpp"

namespace gauntlet::capital {

// One logged epoch of a paper session.
struct Epoch {
  std::string session_id;
  int64_t number = 0;
  TimestampMs started_at = 0;
  Decimal equity_before;
  Decimal equity_after;
  std::string reason;

  friend bool operator==(const Epoch&, const Epoch&) = default;
};

// An observation of the session's equity (its equity history or the marks a reader keeps).
struct EquitySample {
  TimestampMs time = 0;
  Decimal equity;
};

// A closed trade as the epoch statistics count it.
struct TradeOutcome {
  TimestampMs exit_time = 0;
  Decimal realized_pnl;  // after fees
  Decimal fees;
};

// One epoch's results (the header comment says how each is measured).
struct EpochStatistics {
  Epoch epoch;
  std::optional<TimestampMs> ended_at;  // the next epoch's start; nullopt for the current one
  Decimal starting_equity;
  Decimal ending_equity;
  Decimal peak_equity;
  Decimal lowest_equity;
  double max_drawdown = 0.0;  // a fraction of the running peak, in [0, 1] unless leveraged
  int64_t trades = 0;
  int64_t wins = 0;
  Decimal realized_pnl;
  Decimal fees;

  friend bool operator==(const EpochStatistics&, const EpochStatistics&) = default;
};

// The statistics of `epochs` (ordered by number, as session_epochs() lists them) over the
// session's equity samples and closed trades, each in time order; samples and trades before the
// first epoch's start are not the session's and are ignored. Pure.
std::vector<EpochStatistics> epoch_statistics(std::span<const Epoch> epochs,
                                              std::span<const EquitySample> equity,
                                              std::span<const TradeOutcome> trades);

class BankrollManager {
 public:
  // Applies the component's migrations to `store` (the SessionManager's store; both must
  // outlive this object). Throws ConfigError when bankroll.top_up_amount is not positive or
  // bankroll.top_up_threshold is negative.
  // With `budget`, each top-up also reaches the buckets that fund trades: it is split across
  // the assets in proportion to `budgets.allocation` (the last funded asset takes the
  // rounding), in the top-up's transaction.
  BankrollManager(store::Store& store, SessionManager& sessions,
                  const config::PaperBankroll& bankroll, BudgetManager* budget = nullptr,
                  const config::Budgets& budgets = config::default_budgets());

  // Tops the current session up while its equity is at or below the threshold: each top-up adds
  // top_up_amount, increments the epoch and logs it with record_epoch(), all in one transaction.
  // One top-up is enough unless the equity had fallen below threshold - top_up_amount (a
  // leveraged loss beyond the account); then each further top-up is its own epoch. Returns the
  // last epoch started, or nullopt, changing nothing, when the equity is above the threshold.
  std::optional<Epoch> ensure_min_equity(TimestampMs now);

  // Logs epoch `number` of the current session, which must be the session's current epoch, and
  // returns the record.
  Epoch record_epoch(int64_t number, TimestampMs started_at, Decimal equity_before,
                     Decimal equity_after, std::string reason);

  // The current session's logged epochs, by number; aborts when there is no session.
  std::vector<Epoch> epochs() const;
  // The logged epochs of any session, by number; empty for an unknown id.
  std::vector<Epoch> epochs(const std::string& session_id) const;
  // The current session's epochs with epoch 0 first (the session's start: equity before 0,
  // after the starting equity, reason "session start"); empty when there is no session.
  std::vector<Epoch> session_epochs() const;

  Decimal threshold() const { return threshold_; }
  Decimal top_up_amount() const { return top_up_amount_; }

 private:
  // Splits one top-up across the buckets (the constructor comment).
  void fund_buckets(Decimal amount);

  store::Store& store_;
  SessionManager& sessions_;
  Decimal threshold_;
  Decimal top_up_amount_;
  BudgetManager* budget_;
  std::array<Decimal, 4> shares_{};  // budgets.allocation, the split's weights
};

}  // namespace gauntlet::capital
