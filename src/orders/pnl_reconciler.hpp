// File: orders/pnl_reconciler.hpp
//
// PnlReconciler: broker truth (seed 001 §4.3). It asks each broker for a snapshot (positions,
// open orders, balance, recent fills) and compares it with what the engine believes:
//   - every venue fill must be in the order journal; one that is not (missed while
//     disconnected or crashed) is handed to the router, which accounts for it like any fill;
//   - every engine position must be on the venue with the same side and quantity, and the
//     venue must hold no position the engine does not know;
//   - every order the journal believes open must be open on the venue (and vice versa).
// A divergence beyond the tolerance is `broker_desync`: entries for that asset are halted in
// the router, BrokerDesync is published, and they resume after the next clean reconciliation.
// A clean one publishes BalanceReconciled with the venue's balance and the realised P&L delta
// since the last one: the authoritative numbers.
//
// Threading: single-threaded, on the engine loop.
#pragma once

#include <array>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "brokers/common/broker.hpp"
#include "brokers/common/broker_events.hpp"
#include "core/event_bus.hpp"
#include "orders/order_router.hpp"

namespace gauntlet::orders {

struct BrokerDesync {
  Asset asset = Asset::kSpot;
  std::vector<std::string> problems;  // one line per divergence
  TimestampMs time = 0;
};

struct BalanceReconciled {
  Asset asset = Asset::kSpot;
  Balance balance;
  Decimal realised_pnl_delta;  // since the previous clean reconciliation
  std::size_t recovered_fills = 0;
  TimestampMs time = 0;
};

struct ReconcileTolerance {
  Decimal quantity = Decimal::parse("0.000000001");  // per position, in base units
};

class PnlReconciler {
 public:
  PnlReconciler(EventBus& bus, OrderRouter& router, ReconcileTolerance tolerance = {});

  void route(Asset asset, brokers::Broker& broker);

  // Asks the broker of `asset` for its truth; the comparison runs when the snapshot arrives.
  void pull_positions(Asset asset);
  void pull_fills(Asset asset);
  void reconcile(Asset asset);

  // The outcome of the last comparison for an asset: empty when clean.
  const std::vector<std::string>& last_problems(Asset asset) const;
  bool desynced(Asset asset) const { return !last_problems(asset).empty(); }

 private:
  void on_snapshot(const brokers::BrokerSnapshot& snapshot);
  bool journal_holds(const Fill& fill) const;

  EventBus& bus_;
  OrderRouter& router_;
  ReconcileTolerance tolerance_;
  std::map<Asset, brokers::Broker*> brokers_;
  std::array<std::vector<std::string>, 4> problems_;
  std::array<Decimal, 4> last_realised_{};
  std::array<bool, 4> seen_{};
  // Per asset, the execution ids of the last snapshot's fills that the journal holds: the
  // journal only grows, so only fills new to the venue's recent list are looked up.
  std::array<std::set<std::string>, 4> journaled_{};
  Subscription subscription_;
};

// Broker truth by strategy, from the venue's fills in the journal: per (asset, symbol) in time
// order, a round trip runs from flat to flat and belongs to the strategy of the order that
// opened it; its P&L is the fills' cash flows less their fees. Reconciles the closed trades'
// realized P&L (the validation gate compares them).
std::map<std::string, double> realized_pnl_from_fills(const OrderJournal& journal);

}  // namespace gauntlet::orders
