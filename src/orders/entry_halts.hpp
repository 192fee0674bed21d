// File: orders/entry_halts.hpp
//
// EntryHalts: why new entries of an asset are refused, as a set of reasons per asset, kept by
// the order router (step 0 of its pipeline) and persisted in the store (component
// "entry_halts", table entry_halts) so that a restart refuses exactly what the stopped engine
// refused. Each reason is lifted only by what may lift it:
//   kill_switch     an operator's explicit, authenticated resume (never a reconcile);
//   critical_error  the same resume: a venue code listed in CRITICAL_ERROR_CODES halted it;
//   broker_desync   a clean reconciliation (pnl_reconciler), and only this reason;
//   daily_loss      the risk manager, at the next UTC day (its daily loss cap);
//   drawdown        the risk manager, once the drawdown is back under the halt;
//   shutdown        the process's own stop; never persisted (a restart starts without it);
//   disabled        the config switches the asset off (exchange_profile, forex_enabled,
//                   options_enabled); never persisted: each start sets it from the config.
// Exits are never halted: open positions stay closable and protected whatever the set holds.
//
// Threading: single-threaded, on the engine loop, like the Store it writes to. A read-only
// reader (gauntlet serve) constructs one on its own connection and only reads.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/interfaces.hpp"
#include "core/store/store.hpp"
#include "core/time.hpp"

namespace gauntlet::orders {

enum class HaltReason {
  kKillSwitch,
  kCriticalError,
  kBrokerDesync,
  kDailyLoss,
  kDrawdown,
  kShutdown,
  kDisabled,
  kGoingLive  // the asset's paper book is being flattened before it moves to its live venue
};

inline constexpr std::array<HaltReason, 8> kAllHaltReasons = {
    HaltReason::kKillSwitch, HaltReason::kCriticalError, HaltReason::kBrokerDesync,
    HaltReason::kDailyLoss,  HaltReason::kDrawdown,      HaltReason::kShutdown,
    HaltReason::kDisabled,   HaltReason::kGoingLive};

// Whether the reason is kept in the store (the process-local ones are set again at start).
inline bool persisted(HaltReason reason) {
  return reason != HaltReason::kShutdown && reason != HaltReason::kDisabled;
}

// "kill_switch", "critical_error", "broker_desync", "daily_loss", "drawdown", "shutdown",
// "disabled", "going_live".
std::string_view to_string(HaltReason reason);
std::optional<HaltReason> halt_reason_from_string(std::string_view text);

struct Halt {
  HaltReason reason = HaltReason::kKillSwitch;
  std::string detail;  // the figures or the problem, for the operator
  TimestampMs since = 0;

  friend bool operator==(const Halt&, const Halt&) = default;
};

class EntryHalts {
 public:
  // Applies the component's migration and loads the stored halts.
  explicit EntryHalts(store::Store& store);

  // Adds (or updates the detail of) `reason` on `asset`; returns true when it was not set.
  // Written through to the store when persisted(reason).
  bool add(Asset asset, HaltReason reason, std::string detail, TimestampMs now);
  // Removes `reason` from `asset`; returns true when it was set.
  bool remove(Asset asset, HaltReason reason);
  bool holds(Asset asset, HaltReason reason) const;
  // The halts of `asset`, in kAllHaltReasons order.
  std::vector<Halt> of(Asset asset) const;
  // "kill_switch: flatten all; broker_desync: BTCUSDT ..." or nullopt when entries are open.
  std::optional<std::string> summary(Asset asset) const;

 private:
  store::Store& store_;
  std::array<std::map<HaltReason, Halt>, kAllAssets.size()> halts_;
};

}  // namespace gauntlet::orders
