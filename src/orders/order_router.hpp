// File: orders/order_router.hpp
//
// OrderRouter: the only placer, canceller and amender of orders (seed 001 §4.1, §14). Every
// order goes through one pipeline and fails fast with the first refusal:
//   0. entries halted for the asset -> `entries_halted` with every reason of its halt set
//      (entry_halts.hpp: kill switch, critical venue error, broker_desync, daily loss,
//      drawdown, shutdown); the risk manager's daily loss and drawdown halts are refreshed
//      here first, at the asset's mark-to-market equity (set_equity_source);
//   1. a deterministic client order id from (strategy, signal); an id already journaled is
//      `duplicate_intent` (the same signal never becomes a second order);
//   2. risk_manager: compute_size when the quantity is zero, then pretrade_check;
//   3. budget_manager.can_afford;
//   4. exposure_manager.can_open (entries only);
//   5. the intent is written to the journal and committed, the budget reserved, and only then
//      the order is sent to the broker routed for its asset (never blocking);
//   6. on fills: the journal, the engine's position, the risk and exposure ledgers and the
//      budget reservations, sl_tp_manager.attach() for entries, and the fill hook (the
//      pnl_reconciler's ledger, which alone books P&L into the budget), all in the fill's
//      transaction; on close: the closed trade in the journal.
// Fills and protection triggers from a venue the asset is not routed to (a live venue's account
// while the asset still trades on paper) are not the engine's and are ignored.
// A rejection whose venue code is one of CRITICAL_ERROR_CODES (set_critical_codes) halts the
// asset's entries and publishes CriticalVenueError, the operator's alert.
// A refusal is a Decision and an OrderDenied event, never an exception. The router holds the
// RouterKey (brokers/common/broker.hpp): nothing else can place an order.
//
// Threading: single-threaded, on the engine loop.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
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
#include "orders/entry_halts.hpp"
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

// A venue refused an order with one of its CRITICAL_ERROR_CODES: the asset's entries are
// halted (critical_error) until an operator resumes it.
struct CriticalVenueError {
  Asset asset = Asset::kSpot;
  std::string venue;
  int code = 0;
  std::string message;
  std::string client_order_id;
  TimestampMs time = 0;
};

// The execution id prefix of an adoption's synthetic fill (no fee: the venue charged it before).
inline constexpr std::string_view kAdoptedFillPrefix = "adopted:";

// The execution id prefix of a dust write-off: what a spot exit leaves below the instrument's
// minimum order quantity (a fee paid in the coin makes the holding a fraction off the step),
// closed at price zero, since the venue will not sell it; it stays in the venue's wallet.
inline constexpr std::string_view kDustFillPrefix = "dust:";

// A position the venue holds and the journal lacked (an order placed by hand, a journal lost):
// the router adopted it.
struct PositionAdopted {
  Position position;  // as the engine now holds it, with the protection it gave it
  std::string venue;
  std::string client_order_id;  // the adoption's journal entry
  TimestampMs time = 0;
};

struct PlaceResult {
  Decision decision;
  std::string client_order_id;
};

class OrderRouter {
 public:
  // The instrument rules (steps, minimums) of a symbol; zero fields mean unknown.
  using InstrumentLookup = std::function<data::InstrumentInfo(Asset, const Symbol&)>;
  // Called inside the transaction that journals a new fill (never for a replayed one), with the
  // order it belongs to: the pnl_reconciler's ledger.
  using FillHook = std::function<void(const OrderRequest&, const Fill&)>;
  // An asset's equity for the risk ledger (daily loss, drawdown, sizing): mark-to-market.
  using EquitySource = std::function<Decimal(Asset)>;

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

  // The fill hook (one; the pnl_reconciler sets it).
  void on_fill_recorded(FillHook hook) { fill_hook_ = std::move(hook); }
  // Where the risk ledger's equity comes from; the budget allocation when unset.
  void set_equity_source(EquitySource source) { equity_source_ = std::move(source); }
  // CRITICAL_ERROR_CODES by venue name.
  void set_critical_codes(std::map<std::string, std::set<int>> codes) {
    critical_codes_ = std::move(codes);
  }

  // Adds a reason to the asset's halt set (entry_halts.hpp); exits go on whatever it holds.
  void halt_entries(Asset asset, HaltReason reason, std::string detail);
  // Lifts one reason; returns whether it was set. The others stay.
  bool lift_halt(Asset asset, HaltReason reason);
  std::vector<Halt> halts(Asset asset) const { return halts_.of(asset); }
  const EntryHalts& entry_halts() const { return halts_; }
  // Every reason the asset's entries are halted for, or nullopt when they are not.
  std::optional<std::string> entries_halted(Asset asset) const { return halts_.summary(asset); }
  // Records the asset's equity on the risk ledger and sets or lifts its daily_loss and drawdown
  // halts from the risk manager's rules, at `now`.
  void refresh_account_halts(Asset asset, TimestampMs now);

  // After a restart: rebuilds the positions from the journal's fills, puts them back on the
  // risk and exposure ledgers, remembers their protection (re-attached where the venue needs
  // it), and resends every intent that may never have reached the venue (pending_new) with its
  // same client order id, which a venue that has it refuses as a duplicate. Then a
  // pnl_reconciler pass recovers the fills the engine missed.
  void recover();

  // An order still pending_new (sent, never answered) that the venue lists as open: the answer
  // that was lost, applied as if it had arrived.
  void confirm_accepted(const std::string& client_order_id, const std::string& venue_order_id,
                        TimestampMs now);
  // An order still pending_new that the venue neither lists nor filled: it never arrived. It is
  // sent again under the same client id (a venue that has it refuses the duplicate), at most
  // kMaxResends times; then it is given up (rejected, its budget released). Returns whether it
  // was resent.
  static constexpr int kMaxResends = 3;
  bool resend_unanswered(const std::string& client_order_id, TimestampMs now);

  // A fill the router missed (found by pnl_reconciler in the venue's recent fills): accounted
  // for exactly like a live one; a fill already journaled changes nothing.
  void recover_fill(std::string_view venue, const Fill& fill);

  // Adopts a position the venue holds and the engine does not know (pnl_reconciler finds it):
  // it is journaled as a filled entry at the venue's average price with no fee (the venue
  // charged it before the engine knew; the ledger's baseline holds it), shown like any
  // position, closable, and protected at the venue's levels when it has them, otherwise at the
  // asset's widest stop (max_sl_fraction) and a target twice as far. Publishes PositionAdopted.
  void adopt_position(std::string_view venue, const Position& position);

  // The engine's positions, from the fills it has seen.
  std::vector<Position> positions() const;
  std::optional<Position> position(Asset asset, const Symbol& symbol) const;
  const OrderJournal& journal() const { return journal_; }
  // The instrument rules the router sizes and checks orders with (zero fields: unknown).
  data::InstrumentInfo instrument(Asset asset, const Symbol& symbol) const {
    return instruments_(asset, symbol);
  }
  SlTpManager& sl_tp() { return sl_tp_; }

 private:
  struct OpenPosition {
    Position position;
    // Every fill's cash flow since it opened: + sells, - buys, - fees. Once the position is
    // flat this is its realised P&L exactly, with no average-price rounding.
    Decimal cash_flow;
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
  // An exit's fill heard before the fill of the entry it closes (the venue's stop fired while
  // the entry's own fill is still on its way: after a restart, through another path): true
  // when nothing can be reduced yet and the journal still has that entry open.
  bool exit_before_its_entry(const Fill& fill, const std::optional<JournalEntry>& order) const;
  void on_cancelled(const brokers::OrderCancelled& event);
  void on_protection_triggered(const brokers::ProtectionTriggered& event);
  // Applies a fill to the engine's position; `replay` (recovery) changes the position only,
  // since the ledgers already hold what the journal says.
  void apply_fill(const OrderRequest& request, const Fill& fill, bool replay = false);
  // After a spot exit's fill: a remainder below the instrument's minimum order quantity is
  // journaled and booked as a dust fill (kDustFillPrefix) that closes the position.
  void write_off_dust(const OrderRequest& request, const Fill& fill, OrderStatus status);

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
  EntryHalts halts_;
  std::map<std::string, int> resends_;  // by client order id, since this process started
  FillHook fill_hook_;
  EquitySource equity_source_;
  std::map<std::string, std::set<int>> critical_codes_;
  std::map<Key, OpenPosition> positions_;
  // Why the venue is about to close a position: its stop, target or liquidation fired.
  std::map<Key, std::string> venue_exit_reasons_;
  // Exit fills held until their entry's fill opens the position (not journaled meanwhile: a
  // crash leaves them on the venue, where the next start reads them again).
  std::map<Key, std::vector<brokers::OrderFilled>> held_exits_;
  std::vector<Subscription> subscriptions_;
};

}  // namespace gauntlet::orders
