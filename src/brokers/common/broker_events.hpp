// File: brokers/common/broker_events.hpp
//
// The events a Broker publishes on the EventBus, past tense and immutable (STYLE.md). Every
// venue publishes the same events, so the router, sl_tp_manager and pnl_reconciler never know
// which venue they talk to.
//
// Threading: plain value types.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "brokers/common/broker_errors.hpp"
#include "core/decimal.hpp"
#include "core/interfaces.hpp"
#include "core/orders.hpp"
#include "core/symbol.hpp"
#include "core/time.hpp"

namespace gauntlet::brokers {

// The venue has the order (Bybit: create returned retCode 0; IBKR: Submitted/PreSubmitted).
struct OrderAccepted {
  std::string venue;
  std::string client_order_id;
  std::string venue_order_id;
  Asset asset = Asset::kSpot;
  Symbol symbol;
  TimestampMs time = 0;
};

// The venue refused a submit, cancel or amend of this order.
struct OrderRejected {
  std::string venue;
  std::string client_order_id;
  Asset asset = Asset::kSpot;
  Symbol symbol;
  BrokerFailure failure;
  TimestampMs time = 0;
};

// One execution of an order; `status` is kPartiallyFilled or kFilled.
struct OrderFilled {
  std::string venue;
  Fill fill;
  Decimal cumulative_quantity;
  Decimal leaves_quantity;
  OrderStatus status = OrderStatus::kFilled;
};

// The order is closed without (further) fills: cancelled by request, expired (IOC/FOK), or
// cancelled by the venue.
struct OrderCancelled {
  std::string venue;
  std::string client_order_id;
  Asset asset = Asset::kSpot;
  Symbol symbol;
  Decimal filled_quantity;
  std::string reason;
  TimestampMs time = 0;
};

struct OrderAmended {
  std::string venue;
  std::string client_order_id;
  Asset asset = Asset::kSpot;
  Symbol symbol;
  Decimal quantity;
  std::optional<Decimal> limit_price;
  std::optional<Decimal> trigger_price;
  TimestampMs time = 0;
};

struct ProtectionSet {
  std::string venue;
  std::string protection_id;
  Asset asset = Asset::kSpot;
  Symbol symbol;
  Decimal stop_loss;
  Decimal take_profit;
  TriggerPrice trigger = TriggerPrice::kLast;
  TimestampMs time = 0;
};

struct ProtectionRejected {
  std::string venue;
  std::string protection_id;
  Asset asset = Asset::kSpot;
  Symbol symbol;
  BrokerFailure failure;
  TimestampMs time = 0;
};

// A server-side stop loss or take profit fired; the closing fill follows as OrderFilled with
// `closing_client_order_id`.
struct ProtectionTriggered {
  enum class Kind { kStopLoss, kTakeProfit, kLiquidation };
  std::string venue;
  Asset asset = Asset::kSpot;
  Symbol symbol;
  Kind kind = Kind::kStopLoss;
  Decimal trigger_price;
  std::string closing_client_order_id;
  TimestampMs time = 0;
};

// An order still open on the venue, for reconciliation.
struct OpenOrder {
  OrderRequest request;
  std::string venue_order_id;
  OrderStatus status = OrderStatus::kNew;
  Decimal filled_quantity;
};

// The venue's truth for one asset at `time`.
struct BrokerSnapshot {
  std::string venue;
  Asset asset = Asset::kSpot;
  std::vector<Position> positions;
  std::vector<OpenOrder> open_orders;
  Balance balance;
  std::vector<Fill> recent_fills;  // newest last; dedupe on execution_id
  TimestampMs time = 0;
};

struct BrokerConnectionChanged {
  std::string venue;
  bool connected = false;
  std::string reason;
  TimestampMs time = 0;
};

// Funding paid or received on a perpetual position (positive = received).
struct FundingApplied {
  std::string venue;
  Asset asset = Asset::kPerp;
  Symbol symbol;
  double rate = 0;
  Decimal amount;
  TimestampMs time = 0;
};

}  // namespace gauntlet::brokers
