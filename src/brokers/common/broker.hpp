// File: brokers/common/broker.hpp
//
// The Broker interface every venue implements: the simulator (brokers/sim), Bybit V5 and IBKR.
// Designed against the real venues (../shared/reference/bybit-v5.md, ibkr.md):
//   - mutating calls never block: submit() queues the order and returns; the acknowledgement,
//     fills, rejection or cancel arrive later as events on the EventBus (broker_events.hpp);
//   - every order carries the router's idempotent client order id (Bybit orderLinkId, IBKR
//     orderRef); a venue that reports a duplicate id has the order already, which is not an
//     error to retry but a state to reconcile (broker_errors.hpp: kDuplicate);
//   - capabilities() says what the venue does server-side, so sl_tp_manager knows whether to
//     attach TP/SL on the position (Bybit linear trading-stop), as a bracket (IBKR OCA
//     children), or to emulate them in the engine;
//   - request_snapshot() asks for positions, open orders, balances and recent fills, the
//     truth that pnl_reconciler reconciles against.
// The golden rules hold by construction (STYLE.md's passkeys): submit/cancel/amend take a
// RouterKey that only orders::OrderRouter can create, and set_protection takes a ProtectionKey
// that only orders::SlTpManager can create; CMake lets only those modules (and the composition
// roots) link a concrete broker. The one other holder of both keys is the local venue's
// exchange (venues::bybit::Exchange): it runs the simulator as the matching engine of a
// separate venue process, for its own clients' orders, never for the engine's.
//
// Threading: every call happens on the engine loop; a venue client does its I/O
// asynchronously and publishes its events on that loop.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/decimal.hpp"
#include "core/interfaces.hpp"
#include "core/orders.hpp"
#include "core/symbol.hpp"

namespace gauntlet::orders {
class OrderRouter;
class SlTpManager;
}  // namespace gauntlet::orders

namespace gauntlet::venues::bybit {
class Exchange;
}  // namespace gauntlet::venues::bybit

namespace gauntlet::brokers {

// Only OrderRouter can make one: it is the only placer, canceller and amender of orders.
class RouterKey {
  friend class orders::OrderRouter;
  friend class venues::bybit::Exchange;
  RouterKey() = default;
};

// Only SlTpManager can make one: it alone sets server-side stop loss / take profit.
class ProtectionKey {
  friend class orders::SlTpManager;
  friend class venues::bybit::Exchange;
  ProtectionKey() = default;
};

// What a venue does server-side for one asset domain.
struct BrokerCapabilities {
  bool position_tp_sl = false;       // TP/SL attached to an open position (Bybit trading-stop)
  bool entry_tp_sl = false;          // TP/SL sent with the entry order (Bybit create)
  bool brackets = false;             // parent + one-cancels-other children (IBKR)
  bool reduce_only = false;          // reduce-only exits (derivatives)
  bool mark_price_triggers = false;  // stops triggered by the mark price (perpetuals)
  bool partial_fills = true;
  bool amend = true;  // amend in place; otherwise cancel and replace
  friend bool operator==(const BrokerCapabilities&, const BrokerCapabilities&) = default;
};

struct CancelRequest {
  std::string client_order_id;
  Asset asset = Asset::kSpot;
  Symbol symbol;
};

// Changes an open order; an empty field stays as it is.
struct AmendRequest {
  std::string client_order_id;
  Asset asset = Asset::kSpot;
  Symbol symbol;
  std::optional<Decimal> quantity;
  std::optional<Decimal> limit_price;
  std::optional<Decimal> trigger_price;
};

// Server-side protection of an open position: both levels at once (zero removes a level).
// `protection_id` is idempotent: the same id twice sets the same protection once.
struct ProtectionRequest {
  std::string protection_id;
  Asset asset = Asset::kSpot;
  Symbol symbol;
  OrderSide position_side = OrderSide::kBuy;
  Decimal quantity;
  Decimal stop_loss;
  Decimal take_profit;
  TriggerPrice trigger = TriggerPrice::kLast;
};

class Broker {
 public:
  virtual ~Broker() = default;

  // "sim", "bybit", "ibkr": the key of FEE_MODEL and CRITICAL_ERROR_CODES.
  virtual std::string_view venue() const = 0;
  virtual BrokerCapabilities capabilities(Asset asset) const = 0;
  virtual bool connected() const = 0;
  // True when orders leave the process for a real venue (a network peer that keeps them
  // whatever happens to the engine): the router then sends a new order only once its intent
  // is committed, so a crash can never leave on the venue an order the journal lost.
  virtual bool remote() const { return false; }

  // Queues an order. OrderAccepted then OrderFilled events, or OrderRejected, follow.
  virtual void submit(RouterKey, const OrderRequest& request) = 0;
  // Queues a cancel. OrderCancelled follows, or OrderRejected when the order is not open.
  virtual void cancel(RouterKey, const CancelRequest& request) = 0;
  // Queues an amend. OrderAmended follows, or OrderRejected.
  virtual void amend(RouterKey, const AmendRequest& request) = 0;
  // Sets (or with zero levels removes) server-side protection. ProtectionSet or
  // ProtectionRejected follows; when a level triggers, ProtectionTriggered and the closing
  // OrderFilled follow.
  virtual void set_protection(ProtectionKey, const ProtectionRequest& request) = 0;

  // Asks for the venue's truth for one asset; BrokerSnapshot follows.
  virtual void request_snapshot(Asset asset) = 0;
};

}  // namespace gauntlet::brokers
