// File: orders/order_journal.hpp
//
// OrderJournal: the order router's durable record (SQLite through the Store). An order's intent
// is written, and committed, before the order is sent; every acknowledgement, fill, cancel and
// rejection updates it. After a crash the journal says which orders may be on the venue
// (pending_new and open ones, to reconcile) and which fills were already counted (fills are
// keyed by the venue's execution id, so a replayed fill is recorded once).
//
// Client order ids are deterministic: the same strategy and signal always give the same id, so
// a resend after a crash is recognised by the venue (duplicate orderLinkId) and by the journal,
// and is never a second order.
//
// Threading: single-threaded, on the engine loop, like the Store it writes to.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/orders.hpp"
#include "core/store/store.hpp"

namespace gauntlet::orders {

// "gt-" and 16 hex digits of a 64-bit FNV-1a hash of strategy and signal: 19 characters of
// [a-z0-9-], within every venue's client id rules (Bybit: <= 36 of [A-Za-z0-9_-]).
std::string make_client_order_id(std::string_view strategy_id, std::string_view signal_id);

struct JournalEntry {
  OrderRequest request;
  OrderStatus status = OrderStatus::kPendingNew;
  std::string venue;
  std::string venue_order_id;
  Decimal filled_quantity;
  std::string reason;  // why it was rejected or cancelled
  TimestampMs updated_at = 0;
};

// One round trip, from the first entry fill to the fill that made the position flat: what the
// trade log shows. Prices are volume-weighted over the entry and the exit fills; fees are every
// fill's; realized_pnl is the fills' cash flow (after fees), exactly.
struct ClosedTrade {
  int64_t sequence = 0;  // close order, from 1
  std::string strategy_id;
  Asset asset = Asset::kSpot;
  Symbol symbol;
  OrderSide side = OrderSide::kBuy;
  TimestampMs entry_time = 0;
  TimestampMs exit_time = 0;
  Decimal entry_price;
  Decimal exit_price;
  Decimal quantity;  // every entry fill's quantity
  Decimal stop_loss;
  Decimal take_profit;
  Decimal fees;
  Decimal realized_pnl;
  std::string exit_reason;  // stop_loss, take_profit, liquidation, or the exit order's reason

  friend bool operator==(const ClosedTrade&, const ClosedTrade&) = default;
};

class OrderJournal {
 public:
  explicit OrderJournal(store::Store& store);

  // Records a new intent as pending_new; returns false (and changes nothing) when the client
  // order id is already journaled: the order was sent before and must not be sent again.
  bool record_intent(const OrderRequest& request, std::string_view venue);

  void update(std::string_view client_order_id, OrderStatus status, TimestampMs time,
              std::string_view venue_order_id = {}, std::string_view reason = {});

  // Records a fill and adds it to the order's filled quantity; returns false when this
  // execution id was recorded before (a replay), changing nothing.
  bool record_fill(const Fill& fill, OrderStatus status_after);

  std::optional<JournalEntry> find(std::string_view client_order_id) const;
  // Orders that may still be live on a venue: pending_new, new, partially_filled.
  std::vector<JournalEntry> open_orders() const;
  // Every order of `asset` whose intent was recorded at or after `since`, whatever its status,
  // by created_at then client order id.
  std::vector<JournalEntry> orders(Asset asset, TimestampMs since) const;
  std::vector<Fill> fills(std::string_view client_order_id) const;
  std::vector<Fill> all_fills() const;
  // Whether the fill with this venue execution id is recorded.
  bool has_fill(std::string_view execution_id) const;
  // The time of the latest fill of an order sent to (or made by) `venue`; 0 when none: where a
  // restarted broker reads the venue's executions from, so that none made meanwhile is missed.
  TimestampMs last_fill_time(std::string_view venue) const;

  // Appends a closed trade (the router does it in the transaction of the closing fill) and
  // returns its sequence number.
  int64_t record_closed_trade(const ClosedTrade& trade);
  // The closed trades after `after_sequence`, in close order.
  std::vector<ClosedTrade> closed_trades(int64_t after_sequence = 0) const;

 private:
  store::Store& store_;
};

}  // namespace gauntlet::orders
