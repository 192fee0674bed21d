// File: orders/order_router.hpp
//
// OrderRouter: the only placer, canceller and amender of orders (seed 001 §4.1, §14). Every
// order goes through one pipeline and fails fast with the first refusal:
//   0. entries halted for the asset (broker_desync) -> `entries_halted`
//   1. a deterministic client order id from (strategy, signal); an id already journaled is
//      `duplicate_intent` (the same signal never becomes a second order);
//   2. risk_manager: compute_size when the quantity is zero, then pretrade_check;
//   3. budget_manager.can_afford;
//   4. exposure_manager.can_open (entries only);
//   5. the intent is written to the journal and committed, the budget reserved, and only then
//      the order is sent to the broker routed for its asset (never blocking);
//   6. on fills: the journal, the engine's position, risk/exposure/budget ledgers, and
//      sl_tp_manager.attach() for entries; on close: P&L into the budget bucket.
// A refusal is a Decision and an OrderDenied event, never an exception. The router holds the
// RouterKey (brokers/common/broker.hpp): nothing else can place an order.
//
// Threading: single-threaded, on the engine loop.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "brokers/common/broker.hpp"
#include "brokers/common/broker_events.hpp"
#include "capital/budget_manager.hpp"
#include "capital/exposure_manager.hpp"
#include "capital/risk_manager.hpp"
#include "core/clock.hpp"
#include "core/event_bus.hpp"
#include "core/orders.hpp"
#include "core/store/store.hpp"
#include "data/market_events.hpp"
#include "orders/order_journal.hpp"
#include "orders/sl_tp_manager.hpp"

namespace gauntlet::orders {

// The router sent an order to its broker.
struct OrderSubmitted {
  OrderRequest request;
  std::string venue;
  TimestampMs time = 0;
};

// The router refused an order; `decision.reason` says which check and why.
struct OrderDenied {
  OrderContext order;
  std::string client_order_id;
  Decision decision;
  TimestampMs time = 0;
};

// A position closed; realised_pnl is after every fee of its orders. `trade` is the round trip
// as journaled (closed_trades), in the same commit as the closing fill.
struct PositionClosed {
  Asset asset = Asset::kSpot;
  Symbol symbol;
  std::string strategy_id;
  OrderSide side = OrderSide::kBuy;
  Decimal realised_pnl;
  TimestampMs time = 0;
  ClosedTrade trade;
};

struct PlaceResult {
  Decision decision;
  std::string client_order_id;
};

class OrderRouter {
 public:
  // The instrument rules (steps, minimums) of a symbol; zero fields mean unknown.
  using InstrumentLookup = std::function<data::InstrumentInfo(Asset, const Symbol&)>;

  OrderRouter(EventBus& bus, const Clock& clock, store::Store& store, capital::RiskManager& risk,
              capital::BudgetManager& budget, capital::ExposureManager& exposure,
              InstrumentLookup instruments);

  // The broker that trades `asset` (and protects its positions).
  void route(Asset asset, brokers::Broker& broker);

  PlaceResult place_order(const OrderContext& order);
  Decision cancel_order(const std::string& client_order_id);
  Decision amend_order(const std::string& client_order_id, std::optional<Decimal> quantity,
                       std::optional<Decimal> limit_price);
  // A reduce-only market exit of `quantity` (the whole position when zero).
  PlaceResult close_position(Asset asset, const Symbol& symbol, const std::string& reason);

  // broker_desync (pnl_reconciler) stops new entries for an asset until cleared; exits go on.
  void halt_entries(Asset asset, std::string reason);
  void resume_entries(Asset asset);
  std::optional<std::string> entries_halted(Asset asset) const;

  // After a restart: rebuilds the positions from the journal's fills, puts them back on the
  // risk and exposure ledgers, remembers their protection (re-attached where the venue needs
  // it), and resends every intent that may never have reached the venue (pending_new) with its
  // same client order id, which a venue that has it refuses as a duplicate. Then a
  // pnl_reconciler pass recovers the fills the engine missed.
  void recover();

  // A fill the router missed (found by pnl_reconciler in the venue's recent fills): accounted
  // for exactly like a live one; a fill already journaled changes nothing.
  void recover_fill(std::string_view venue, const Fill& fill);

  // The engine's positions, from the fills it has seen.
  std::vector<Position> positions() const;
  std::optional<Position> position(Asset asset, const Symbol& symbol) const;
  const OrderJournal& journal() const { return journal_; }
  SlTpManager& sl_tp() { return sl_tp_; }

 private:
  struct OpenPosition {
    Position position;
    // Every fill's cash flow since it opened: + sells, - buys, - fees. Once the position is
    // flat this is its realised P&L exactly, with no average-price rounding.
    Decimal cash_flow;
    Decimal applied;  // the part of it already passed to the budget
    std::vector<std::string> entry_ids;
    // For the closed trade: entry and exit volumes and notionals, fees, the last exit's cause.
    Decimal entered;
    Decimal entry_notional;
    Decimal exited;
    Decimal exit_notional;
    Decimal fees;
    std::string exit_reason;
  };
  using Key = std::pair<Asset, std::string>;

  PlaceResult deny(const OrderContext& order, const std::string& id, Decision decision);
  PlaceResult send(const OrderContext& order, const std::string& id, Decimal quantity);
  void on_accepted(const brokers::OrderAccepted& event);
  void on_rejected(const brokers::OrderRejected& event);
  void on_filled(const brokers::OrderFilled& event);
  void on_cancelled(const brokers::OrderCancelled& event);
  void on_protection_triggered(const brokers::ProtectionTriggered& event);
  // Applies a fill to the engine's position; `replay` (recovery) changes the position only,
  // since the ledgers already hold what the journal says.
  void apply_fill(const OrderRequest& request, const Fill& fill, bool replay = false);

  EventBus& bus_;
  const Clock& clock_;
  store::Store& store_;
  OrderJournal journal_;
  capital::RiskManager& risk_;
  capital::BudgetManager& budget_;
  capital::ExposureManager& exposure_;
  InstrumentLookup instruments_;
  SlTpManager sl_tp_;
  std::map<Asset, brokers::Broker*> brokers_;
  std::map<Asset, std::string> halted_;
  std::map<Key, OpenPosition> positions_;
  // Why the venue is about to close a position: its stop, target or liquidation fired.
  std::map<Key, std::string> venue_exit_reasons_;
  std::vector<Subscription> subscriptions_;
  uint64_t exits_ = 0;
};

}  // namespace gauntlet::orders
