// File: core/orders.hpp
//
// The order vocabulary shared by capital, orders and brokers (seed 001 §3, §4; seed 000
// exchange.py / trade_executor.py): the Decision every check returns, the OrderContext a caller
// asks the order router for, the OrderRequest the router sends to a broker, and the Fill,
// Position and Balance that come back. Money, prices and quantities are Decimal; a quantity
// is always positive and the side carries the direction.
//
// Threading: plain value types.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/decimal.hpp"
#include "core/interfaces.hpp"
#include "core/symbol.hpp"
#include "core/time.hpp"

namespace gauntlet {

// The outcome of a business check (risk, budget, exposure, the router's pipeline): ok, or a
// refusal with its reason. The reason starts with a stable code (`daily_loss_cap`,
// `budget_exceeded`, ...) followed by ": " and the figures, so callers can both count and read
// it. Never an exception (STYLE.md).
struct Decision {
  bool ok = true;
  std::string reason;

  static Decision allow() { return {}; }
  static Decision deny(std::string reason) { return {false, std::move(reason)}; }
  // The stable code: the reason up to the first ':'.
  std::string_view code() const;
  explicit operator bool() const { return ok; }
  friend bool operator==(const Decision&, const Decision&) = default;
};

// Which price a venue watches to trigger a stop or take-profit.
enum class TriggerPrice { kLast, kMark };

// An order's life, as the router records it. kPendingNew: the intent is persisted and maybe
// sent, no answer yet. Terminal: kFilled, kCancelled, kRejected.
enum class OrderStatus { kPendingNew, kNew, kPartiallyFilled, kFilled, kCancelled, kRejected };

std::string_view to_string(TriggerPrice trigger);
std::string_view to_string(OrderStatus status);
std::optional<OrderStatus> order_status_from_string(std::string_view text);
bool is_terminal(OrderStatus status);

// What a caller (trade_executor) asks the order router for. `quantity` zero means "size it":
// the risk manager computes it from equity, risk fraction and the stop distance. Every entry
// carries a stop loss and a take profit; `reduce_only` marks exits.
struct OrderContext {
  Asset asset = Asset::kSpot;
  Symbol symbol;
  OrderSide side = OrderSide::kBuy;
  OrderType type = OrderType::kMarket;
  Decimal quantity;                      // base units; zero = let risk_manager size it
  std::optional<Decimal> limit_price;    // kLimit / kStopLimit
  std::optional<Decimal> trigger_price;  // kStopMarket / kStopLimit
  Decimal reference_price;               // the expected entry (last price for a market order)
  Decimal stop_loss;                     // zero = none (only exits may omit it)
  Decimal take_profit;                   // zero = none (only exits may omit it)
  TimeInForce time_in_force = TimeInForce::kGoodTillCancel;
  bool reduce_only = false;
  std::string strategy_id;
  std::string signal_id;    // the strategy's id for this signal; with strategy_id it makes the
                            // client order id deterministic
  double atr = 0;           // ATR at signal time, for stop distances in ATR multiples (0 = unknown)
  double leverage = 1;      // requested leverage (perpetuals)
  std::string exit_reason;  // an exit's cause ("stop_loss", "shutdown", ...); empty for entries
  TimestampMs created_at = 0;

  friend bool operator==(const OrderContext&, const OrderContext&) = default;
};

// What the router sends to a broker: a sized order with its idempotent client order id.
struct OrderRequest {
  std::string client_order_id;  // <= 36 chars of [A-Za-z0-9_-] (Bybit's orderLinkId rule)
  Asset asset = Asset::kSpot;
  Symbol symbol;
  OrderSide side = OrderSide::kBuy;
  OrderType type = OrderType::kMarket;
  Decimal quantity;
  std::optional<Decimal> limit_price;
  std::optional<Decimal> trigger_price;
  TimeInForce time_in_force = TimeInForce::kGoodTillCancel;
  bool reduce_only = false;
  double leverage = 1;
  // Protection sent with the entry, for venues that attach it at the fill (Bybit create with
  // takeProfit/stopLoss, IBKR bracket children); zero = none. Otherwise sl_tp_manager attaches
  // it after the fill.
  Decimal stop_loss;
  Decimal take_profit;
  TriggerPrice trigger = TriggerPrice::kLast;
  std::string strategy_id;
  std::string exit_reason;  // an exit's cause, journaled for the trade log; empty for entries
  TimestampMs created_at = 0;

  friend bool operator==(const OrderRequest&, const OrderRequest&) = default;
};

// One execution. `execution_id` is unique per venue (dedupe on it); `fee` is every fee of the
// fill in the quote currency, positive when paid. `base_fee` is the part of it the venue took in
// the base coin, in base units (Bybit charges a spot buy's fee in the coin bought); `fee` then
// counts it at the fill's price (base_fee_value()). Such a fee is paid with coin, not cash: the
// holding grows by held_quantity(), and the quote balance pays only quote_fee().
struct Fill {
  std::string execution_id;
  std::string client_order_id;
  std::string venue_order_id;
  Asset asset = Asset::kSpot;
  Symbol symbol;
  OrderSide side = OrderSide::kBuy;
  Decimal quantity;
  Decimal price;
  Decimal fee;
  bool maker = false;
  TimestampMs time = 0;
  Decimal base_fee;

  // The base fee counted in the quote currency: base_fee * price, rounded half-even.
  Decimal base_fee_value() const;
  // What the quote balance pays in fees: fee - base_fee_value().
  Decimal quote_fee() const { return fee - base_fee_value(); }
  // The coin the fill moves into (a buy) or out of (a sell) the holding: the quantity, less a
  // base fee on a buy, plus it on a sell.
  Decimal held_quantity() const;

  friend bool operator==(const Fill&, const Fill&) = default;
};

// An open position as the venue (or the simulator) reports it. Spot holdings are positions of
// side kBuy. stop_loss / take_profit are zero when not set on the venue.
struct Position {
  Asset asset = Asset::kSpot;
  Symbol symbol;
  OrderSide side = OrderSide::kBuy;
  Decimal quantity;
  Decimal average_price;
  Decimal stop_loss;
  Decimal take_profit;
  TriggerPrice trigger = TriggerPrice::kLast;
  double leverage = 1;
  Decimal liquidation_price;  // zero when none (spot, unlevered)
  Decimal unrealised_pnl;
  std::string strategy_id;  // the engine's attribution; empty for a venue snapshot
  TimestampMs opened_at = 0;

  friend bool operator==(const Position&, const Position&) = default;
};

// A wallet balance in USD: equity includes unrealised P&L, available is what new orders may use.
struct Balance {
  Asset asset = Asset::kSpot;
  Decimal equity;
  Decimal available;
  Decimal realised_pnl;

  friend bool operator==(const Balance&, const Balance&) = default;
};

}  // namespace gauntlet
