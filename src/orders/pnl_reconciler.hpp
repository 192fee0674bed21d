// File: orders/pnl_reconciler.hpp
//
// PnlReconciler: broker truth (seed 001 §4.3, golden rule 6), the one source of P&L and balances.
//
// The ledger. Every fill the router journals reaches it in the fill's own transaction
// (OrderRouter::on_fill_recorded), every funding print the venue reports (FundingApplied) in
// one of its own: it books the venue's figures as ledger entries (pnl_ledger.hpp: realised P&L
// at average cost, fees, rebates, funding) and is the only caller of
// budget_manager.apply_pnl (its PnlKey), so the buckets move with what the venue says, not with
// the engine's model. Each fee is also compared with what FEE_MODEL says it should have been.
//
// The reconciliation. It asks each broker for a snapshot (positions, open orders, balance,
// recent fills) and compares it with what the engine believes:
//   - every venue fill must be in the order journal; one that is not (missed while
//     disconnected or crashed) is handed to the router, which accounts for it like any fill;
//   - every engine position must be on the venue with the same side and quantity, and the
//     venue must hold no position the engine does not know;
//   - every order the journal believes open must be open on the venue (and vice versa); one
//     sent without an answer for ack_timeout is looked up: listed open, it is accepted; filled,
//     its fills were recovered in step 1; absent, it never arrived and the router resends it
//     under the same client id (then gives it up);
//   - the venue's realised P&L must be what the ledger expects: the venue's figure at the first
//     reconciliation plus everything booked since (a venue that charged fees or funding it never
//     reported diverges here), within `tolerance` x the asset's allocation;
//   - the fees the venue reported must be what the fee model expects, within the same bound.
// After the comparison the venue's positions go to sl_tp_manager.sync(): protection the venue
// lost (a restart, a reconnect) is set again, protection it holds is confirmed.
// Any divergence is `broker_desync`: the router's halt set gets broker_desync for that asset
// (and only that asset), BrokerDesync is published (the runtime flags the asset's strategies),
// and only the next clean reconciliation lifts that reason - never another one, like a kill.
// A clean one publishes BalanceReconciled with the venue's balance and the realised P&L delta
// since the last one.
//
// Threading: single-threaded, on the engine loop.
#pragma once

#include <array>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "brokers/common/broker.hpp"
#include "brokers/common/broker_events.hpp"
#include "capital/budget_manager.hpp"
#include "core/config.hpp"
#include "core/event_bus.hpp"
#include "core/store/store.hpp"
#include "orders/order_router.hpp"
#include "orders/pnl_ledger.hpp"

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
  // Money: the share of the asset's allocation the venue's realised P&L and fees may differ
  // from the ledger's (validation.reconciliation_tolerance); never below `minimum`.
  double allocation_fraction = 0.001;
  Decimal minimum = Decimal::parse("0.01");
  // An order sent this long ago with no answer is looked up in the snapshot (order_ack_timeout).
  DurationMs ack_timeout = 10 * kSecondMs;
};

class PnlReconciler {
 public:
  // Books into `budget` and keeps its ledger in `store`; hooks itself to the router's fills.
  // `fees` is FEE_MODEL, looked up by the venue each broker names.
  PnlReconciler(EventBus& bus, OrderRouter& router, capital::BudgetManager& budget,
                store::Store& store, config::FeeModel fees = {}, ReconcileTolerance tolerance = {});

  void route(Asset asset, brokers::Broker& broker);
  void set_tolerance(ReconcileTolerance tolerance) { tolerance_ = tolerance; }

  // Asks the broker of `asset` for its truth; the comparison runs when the snapshot arrives.
  void pull_positions(Asset asset);
  void pull_fills(Asset asset);
  void reconcile(Asset asset);

  // The outcome of the last comparison for an asset: empty when clean.
  const std::vector<std::string>& last_problems(Asset asset) const;
  bool desynced(Asset asset) const { return !last_problems(asset).empty(); }

  // The ledger: the authoritative realised P&L per asset and its entries.
  const PnlLedger& ledger() const { return ledger_; }
  // The venue's balance at the last snapshot of `asset`, if one arrived.
  std::optional<Balance> last_balance(Asset asset) const;
  // The venue's realised P&L since the ledger's baseline (the first reconciliation): the
  // venue-side figure the validation gate compares the engine's trades with.
  std::optional<Decimal> venue_realised_since_baseline(Asset asset) const;

 private:
  // The reconciler's own view of a position, from the fills: enough to split a fill's P&L.
  struct Book {
    OrderSide side = OrderSide::kBuy;
    Decimal quantity;
    Decimal average_price;
    Decimal gross;   // the round trip's sells - buys, fees excluded
    Decimal booked;  // the realised entries booked for it so far
    std::string strategy_id;
    // The fees paid in the coin, at their fills' prices: booked as fees, and already in `gross`
    // (the coin they took was never sold), so the final realised entry adds them back.
    Decimal coin_fees;
  };
  using BookKey = std::pair<Asset, std::string>;

  void on_snapshot(const brokers::BrokerSnapshot& snapshot);
  void on_funding(const brokers::FundingApplied& funding);
  // Books a journaled fill (the router's hook); `replay` rebuilds the book only.
  void book_fill(const OrderRequest& request, const Fill& fill, bool replay);
  void book(LedgerEntry entry);
  Decimal expected_fee(const OrderRequest& request, const Fill& fill) const;
  Decimal money_tolerance(Asset asset) const;
  // The spot dust written off for `symbol` so far (the journal's dust fills).
  Decimal written_off(Asset asset, const Symbol& symbol) const;
  std::string_view venue_of(Asset asset) const;

  EventBus& bus_;
  OrderRouter& router_;
  capital::BudgetManager& budget_;
  store::Store& store_;
  config::FeeModel fees_;
  ReconcileTolerance tolerance_;
  PnlLedger ledger_;
  std::map<BookKey, Book> books_;
  std::array<std::optional<Balance>, 4> balances_{};
  std::map<Asset, brokers::Broker*> brokers_;
  std::array<std::vector<std::string>, 4> problems_;
  std::array<Decimal, 4> last_realised_{};
  std::array<bool, 4> seen_{};
  // Per asset, the execution ids of the last snapshot's fills that the journal holds: the
  // journal only grows, so only fills new to the venue's recent list are looked up.
  std::array<std::set<std::string>, 4> journaled_{};
  // The fills booked since the oldest snapshot request still unanswered (per asset, the
  // sequence at each request, oldest first): a symbol with a fill booked after its snapshot was
  // requested that the snapshot does not list has changed since the venue's books were read
  // (a stream push raced the reads), so its position is compared at the next reconciliation
  // rather than taken for a difference (an adoption would count that fill twice).
  struct BookedFill {
    uint64_t sequence = 0;
    Asset asset = Asset::kSpot;
    std::string symbol;
    std::string execution_id;
  };
  std::deque<BookedFill> booked_fills_;
  // Spot: the dust the router wrote off, per symbol, which the wallet keeps.
  std::map<BookKey, Decimal> written_off_;
  uint64_t fill_sequence_ = 0;
  std::array<std::deque<uint64_t>, 4> requested_at_{};
  std::vector<Subscription> subscriptions_;
};

// Broker truth by strategy, from the venue's fills in the journal: per (asset, symbol) in time
// order, a round trip runs from flat to flat and belongs to the strategy of the order that
// opened it; its P&L is the fills' cash flows less their fees. Reconciles the closed trades'
// realized P&L (the validation gate compares them).
std::map<std::string, double> realized_pnl_from_fills(const OrderJournal& journal);

}  // namespace gauntlet::orders
