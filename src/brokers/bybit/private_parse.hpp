// File: brokers/bybit/private_parse.hpp
//
// Owns the translation of Bybit V5 private account data: the REST bodies of the trade,
// position and account endpoints (bybit-v5.md §5, §6) through pure functions, and the frames of
// the private WebSocket /v5/private (§8: auth, pong, subscribe acks and the topics order,
// execution, execution.fast, position, wallet) through PrivateMessageParser. Records keep
// Bybit's terms (VenueOrder, Execution, VenuePosition, WalletBalance) with engine types for
// what the engine reads; the to_*() functions translate them into the engine's vocabulary
// (Fill, FundingApplied, Position, Balance, OpenOrder). No I/O, no Asio, no policy: the private
// clients feed bytes in, the owners (router, reconciler) decide.
//
// Categories: spot and linear are read (domain_of: kSpot, kPerp); items of inverse and option
// are skipped and counted, never malformed, since one account can hold them.
//
// Numbers: Bybit sends them as JSON strings, read exactly into Decimal. Quantities and order
// prices (qty, price, execQty, execPrice, size, trigger/TP/SL ...) must be exact: digits past
// the 9th place are malformed. Derived figures (averages, values, fees, fee rates, P&L,
// balances, mark and liquidation prices, leverage) round half-even past the 9th place. A value
// outside Decimal's range (about +-9.2e9) is malformed everywhere. An absent field, JSON null
// and "" read as zero (Bybit's "not set"); a number where Bybit sends a string is malformed.
// Quantities, prices, values and margins must not be negative; fees, fee rates, P&L and
// balances may be.
//
// Errors: nothing here throws on input. A REST body gives a Parsed<T>: kOk with the value,
// kVenueError with bybit_failure(retCode, retMsg) when retCode != 0, or kMalformed with a
// reason naming the endpoint, the item and the field. A frame gives a PrivateParseResult.
//
// Threading: the free functions are pure. A PrivateMessageParser belongs to one connection and
// is used from one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "brokers/bybit/public_parse.hpp"
#include "brokers/common/broker_errors.hpp"
#include "brokers/common/broker_events.hpp"
#include "core/decimal.hpp"
#include "core/interfaces.hpp"
#include "core/orders.hpp"
#include "core/symbol.hpp"
#include "core/time.hpp"

namespace gauntlet::brokers::bybit {

// The venue name of Bybit in engine events (FEE_MODEL and CRITICAL_ERROR_CODES key).
inline constexpr std::string_view kVenue = "bybit";

// ---- Records, in Bybit's terms

// An order as /v5/order/realtime, /v5/order/history and the `order` topic report it.
struct VenueOrder {
  Category category = Category::kLinear;
  Symbol symbol;
  std::string order_id;
  std::string order_link_id;  // the engine's client order id; "" for orders placed elsewhere
  OrderSide side = OrderSide::kBuy;
  OrderType order_type = OrderType::kLimit;  // Bybit's orderType: kMarket or kLimit only
  Decimal price;                             // zero for market orders
  Decimal qty;                // spot market buys: in the quote coin unless marketUnit=baseCoin
  std::string time_in_force;  // GTC, IOC, FOK, PostOnly, RPI
  OrderStatus status = OrderStatus::kNew;
  std::string order_status;  // Bybit's own: New, PartiallyFilled, Untriggered, Triggered ...
  Decimal cum_exec_qty;
  Decimal cum_exec_value;
  Decimal cum_exec_fee;  // negative for a maker rebate
  Decimal avg_price;
  Decimal leaves_qty;
  Decimal trigger_price;      // zero: not a conditional order
  Decimal take_profit;        // zero: none
  Decimal stop_loss;          // zero: none
  std::string tp_trigger_by;  // LastPrice, MarkPrice, IndexPrice or ""
  std::string sl_trigger_by;
  std::string trigger_by;       // of triggerPrice
  std::string stop_order_type;  // TakeProfit, StopLoss, Stop, tpslOrder ..., "" or UNKNOWN
  std::string order_filter;     // spot only: Order, tpslOrder, StopOrder; "" when absent
  std::string tpsl_mode;        // Full, Partial or ""
  int position_idx = 0;
  bool reduce_only = false;
  bool close_on_trigger = false;
  std::string reject_reason;  // EC_NoError, "" or a reason
  std::string cancel_type;    // CancelByUser, UNKNOWN, "" ...
  std::string fee_currency;   // the `order` topic only; "" elsewhere
  TimestampMs created_time = 0;
  TimestampMs updated_time = 0;

  friend bool operator==(const VenueOrder&, const VenueOrder&) = default;
};

// Bybit's execType. kOther keeps a type this parser does not know (see Execution::exec_type_name).
enum class ExecType {
  kTrade,
  kAdlTrade,   // auto-deleveraging closed (part of) the position
  kBustTrade,  // liquidation
  kFunding,    // a funding print: execFee is the funding paid (negative: received)
  kSettle,
  kDelivery,
  kBlockTrade,
  kMovePosition,
  kOther,
};

std::string_view to_string(ExecType type);
// Bybit's name -> ExecType; an unknown name is kOther.
ExecType exec_type_from_string(std::string_view text);
// True for the types that change a position at a price like a fill: Trade, AdlTrade,
// BustTrade, BlockTrade, MovePosition.
bool is_fill(ExecType type);

// One execution, as /v5/execution/list, `execution` and `execution.fast` report it.
struct Execution {
  Category category = Category::kLinear;
  Symbol symbol;
  std::string exec_id;   // unique per venue: dedupe on it
  std::string order_id;  // "" for funding
  std::string order_link_id;
  OrderSide side = OrderSide::kBuy;
  Decimal exec_price;
  Decimal exec_qty;
  Decimal exec_value;
  Decimal exec_fee;          // in fee_currency; negative for a rebate or funding received
  Decimal fee_rate;          // funding: the funding rate
  std::string fee_currency;  // "" when Bybit leaves it out (the WebSocket `execution` topic)
  ExecType exec_type = ExecType::kTrade;
  std::string exec_type_name;  // Bybit's own name; "Trade" for execution.fast
  bool is_maker = false;
  TimestampMs exec_time = 0;
  Decimal closed_size;  // the part of exec_qty that closed a position (linear)
  Decimal order_price;
  Decimal order_qty;
  Decimal leaves_qty;
  int64_t seq = 0;
  std::optional<Decimal> exec_pnl;  // the `execution` topic only
  // The order's stopOrderType (StopLoss, TakeProfit ... of a venue-triggered exit; "" or
  // UNKNOWN otherwise) and createType (CreateByUser, CreateByStopLoss, CreateByTakeProfit,
  // CreateByLiq ...), when Bybit sends them.
  std::string stop_order_type;
  std::string create_type;
  // From `execution.fast`: price, quantity, side and ids only. exec_value, exec_fee, fee_rate
  // and fee_currency are unknown (zero, empty); the full record follows on `execution` with
  // the same exec_id.
  bool fast = false;

  friend bool operator==(const Execution&, const Execution&) = default;
};

// A position as /v5/position/list and the `position` topic report it. Spot has none.
struct VenuePosition {
  Category category = Category::kLinear;
  Symbol symbol;
  int position_idx = 0;           // 0 one-way, 1 hedge buy side, 2 hedge sell side
  std::optional<OrderSide> side;  // nullopt when flat (Bybit's "" or "None")
  Decimal size;                   // always >= 0; the side carries the direction
  Decimal avg_price;              // REST avgPrice; the `position` topic sends entryPrice instead
  Decimal mark_price;
  Decimal leverage;
  Decimal liq_price;  // zero when none
  Decimal take_profit;
  Decimal stop_loss;
  std::string tp_trigger_by;  // "" when absent
  std::string sl_trigger_by;
  std::string tpsl_mode;
  Decimal trailing_stop;
  Decimal unrealised_pnl;
  Decimal cur_realised_pnl;
  Decimal cum_realised_pnl;
  std::string position_status;   // Normal, Liq, Adl
  TimestampMs created_time = 0;  // the position record's creation, not the current opening
  TimestampMs updated_time = 0;
  std::optional<TimestampMs> open_time;  // openTime, when Bybit sends it
  std::optional<int64_t> seq;

  friend bool operator==(const VenuePosition&, const VenuePosition&) = default;
};

// One coin of a wallet. The optional fields are absent from the `wallet` topic's pushes.
struct CoinBalance {
  std::string coin;
  Decimal equity;
  Decimal wallet_balance;
  std::optional<Decimal> usd_value;  // negative for a borrowed coin
  std::optional<Decimal> locked;
  std::optional<Decimal> unrealised_pnl;
  std::optional<Decimal> cum_realised_pnl;
  Decimal borrow_amount;
  Decimal spot_borrow;
  Decimal total_order_im;
  Decimal total_position_im;
  Decimal total_position_mm;
  Decimal accrued_interest;

  friend bool operator==(const CoinBalance&, const CoinBalance&) = default;
};

// One account of /v5/account/wallet-balance or of the `wallet` topic. Total* are in USD.
struct WalletBalance {
  std::string account_type;  // UNIFIED; "" when absent (the `wallet` topic may leave it out)
  Decimal total_equity;
  Decimal total_wallet_balance;
  Decimal total_margin_balance;
  Decimal total_available_balance;
  Decimal total_perp_upl;  // totalPerpUPL (REST) or totalPerpUpl (the `wallet` topic)
  Decimal total_initial_margin;
  Decimal total_maintenance_margin;
  std::vector<CoinBalance> coins;

  const CoinBalance* find_coin(std::string_view coin) const;
  friend bool operator==(const WalletBalance&, const WalletBalance&) = default;
};

// /v5/account/fee-rate.
struct FeeRate {
  Symbol symbol;
  Decimal taker_fee_rate;
  Decimal maker_fee_rate;

  friend bool operator==(const FeeRate&, const FeeRate&) = default;
};

// The result of create, amend and cancel (and each element of cancel-all): acceptance only;
// the order's fate comes on the `order` topic or from /v5/order/realtime.
struct OrderAck {
  std::string order_id;
  std::string order_link_id;

  friend bool operator==(const OrderAck&, const OrderAck&) = default;
};

// ---- Bybit's order status

// New, Untriggered, Triggered -> kNew (open or about to be: a triggered conditional order
// becomes New under the same orderId); PartiallyFilled -> kPartiallyFilled; Filled -> kFilled;
// Cancelled, PartiallyFilledCanceled (spot), Deactivated -> kCancelled; Rejected -> kRejected.
// nullopt for any other name. A Rejected or Cancelled order may hold fills (cum_exec_qty > 0).
std::optional<OrderStatus> order_status_from_bybit(std::string_view text);
// True for Bybit's open statuses: New, PartiallyFilled, Untriggered.
bool is_open_on_venue(std::string_view order_status);

// ---- REST bodies

enum class ParseStatus {
  kOk,          // `value` holds the body's content
  kVenueError,  // retCode != 0: `failure` is bybit_failure(retCode, retMsg)
  kMalformed,   // the body cannot be read: `reason` says why
};

std::string_view to_string(ParseStatus status);

// The outcome of reading one REST body.
template <class T>
struct Parsed {
  ParseStatus status = ParseStatus::kMalformed;
  T value{};              // kOk only
  BrokerFailure failure;  // kVenueError only
  std::string reason;     // kVenueError, kMalformed: what went wrong, for logs

  bool ok() const { return status == ParseStatus::kOk; }
  explicit operator bool() const { return ok(); }
};

// A page of a cursor-paginated list.
template <class T>
struct Page {
  std::vector<T> items;
  std::string next_page_cursor;  // "" on the last page
  // "SYMBOL: reason" for each item the engine cannot name (dated futures, USDC contracts):
  // left out, not malformed.
  std::vector<std::string> skipped;
};

// GET /v5/order/realtime and /v5/order/history for `category` (the request's: the items carry
// none; a result.category that differs is malformed).
Parsed<Page<VenueOrder>> parse_order_list(std::string_view body, Category category);
// GET /v5/execution/list.
Parsed<Page<Execution>> parse_execution_list(std::string_view body, Category category);
// GET /v5/position/list (linear).
Parsed<Page<VenuePosition>> parse_position_list(std::string_view body, Category category);
// GET /v5/account/wallet-balance: one WalletBalance per account listed.
Parsed<std::vector<WalletBalance>> parse_wallet_balance(std::string_view body);
// GET /v5/account/fee-rate (items without a symbol the engine can name are skipped).
Parsed<Page<FeeRate>> parse_fee_rates(std::string_view body);
// POST /v5/order/create, /v5/order/amend, /v5/order/cancel.
Parsed<OrderAck> parse_order_ack(std::string_view body);
// POST /v5/order/cancel-all: one ack per cancelled order.
Parsed<std::vector<OrderAck>> parse_cancel_all(std::string_view body);

// ---- The private WebSocket

// Receives the records of parsed frames, in the frame's order. The references are valid only
// during the call. A sink must not call back into the parser that calls it.
class PrivateEventSink {
 public:
  virtual ~PrivateEventSink() = default;
  virtual void on_order(const VenueOrder& order) = 0;
  virtual void on_execution(const Execution& execution) = 0;
  virtual void on_position(const VenuePosition& position) = 0;
  virtual void on_wallet(const WalletBalance& wallet) = 0;
};

enum class PrivateControl {
  kNone,
  kAuth,       // op "auth": success or failure
  kPong,       // op "pong" (private shape) or ret_msg "pong" to op "ping"
  kSubscribe,  // subscribe ack or failure
  kUnsubscribe,
  kOrderResponse,  // op "order.create|amend|cancel" (the /v5/trade stream)
  kOther,
};

std::string_view to_string(PrivateControl control);

// The outcome of one frame.
struct PrivateParseResult {
  FrameKind kind = FrameKind::kMalformed;
  std::string topic;              // data frames: the topic as sent ("order", "execution.linear")
  std::string id;                 // data frames: the envelope's `id` ("" when absent)
  TimestampMs creation_time = 0;  // data frames: `creationTime` (0 when absent)
  std::size_t records = 0;        // records handed to the sink
  std::size_t skipped = 0;        // items left out: inverse/option category, unnamed symbol
  std::string reason;             // kMalformed: the problem; kIgnored, or skipped > 0: why
  PrivateControl control = PrivateControl::kNone;
  bool success = true;  // kControl: `success` and retCode == 0 (true when both absent)
  int ret_code = 0;     // kControl: retCode (0 when absent)
  std::optional<BrokerFailure> failure;  // kControl with retCode != 0: bybit_failure
  std::string operation;                 // kControl: `op`
  std::string request_id;                // kControl: req_id / reqId
  std::string message;                   // kControl: ret_msg / retMsg
  std::string connection_id;             // kControl: conn_id / connId
  std::optional<OrderAck> ack;           // kOrderResponse with retCode 0
};

// Turns the text frames of one private WebSocket connection into records.
//
// Topics: order, execution, execution.fast, position, wallet, and their categorised forms
// (order.linear, execution.spot, execution.fast.linear ...). A categorised topic of inverse
// or option is kIgnored; in an all-in-one topic each item's `category` decides, and items of
// inverse or option are skipped (a frame of nothing but those is kIgnored). An item whose
// symbol the engine cannot name is skipped too. Any other topic is malformed.
//
// A frame is validated completely before anything goes to the sink: a malformed frame hands
// over nothing. parse() never throws: bad JSON, ill-typed or missing fields, unknown statuses,
// sides or categories, negative quantities, out-of-range numbers all give kMalformed with a
// reason naming the topic, the item and the field.
class PrivateMessageParser {
 public:
  PrivateMessageParser();
  ~PrivateMessageParser();
  PrivateMessageParser(const PrivateMessageParser&) = delete;
  PrivateMessageParser& operator=(const PrivateMessageParser&) = delete;

  PrivateParseResult parse(std::string_view frame, PrivateEventSink& sink);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---- Into the engine's vocabulary

// The outcome of a translation: a value, or why there is none.
template <class T>
struct Mapped {
  std::optional<T> value;
  std::string reason;  // when value is empty

  explicit operator bool() const { return value.has_value(); }
};

// The Fill of a fill-like execution (is_fill). Fill::fee is in the quote currency, positive
// when paid: a spot buy's fee charged in the base coin is also Fill::base_fee, and counts in
// Fill::fee at exec_price (rounded half-even). No fill for: other exec types (funding: to_funding),
// execution.fast records (their fee is unknown: wait for the `execution` record of the same
// exec_id), a fee currency that is neither the base nor the quote (nor empty, read as the quote).
Mapped<Fill> to_fill(const Execution& execution);

// The FundingApplied of a Funding execution (amount = -execFee: positive when received,
// rate = feeRate, time = execTime); none for other types or a spot execution.
Mapped<FundingApplied> to_funding(const Execution& execution);

// The engine Position of a venue position; nullopt when flat (no side or zero size).
// trigger = kMark when slTriggerBy is MarkPrice; opened_at = openTime when sent, else 0.
std::optional<Position> to_position(const VenuePosition& position);

// The Balance of `asset` from a unified wallet: equity = totalEquity, available =
// totalAvailableBalance (floored at zero), realised_pnl = cumRealisedPnl of `settle_coin` for
// kPerp, zero for kSpot (Bybit books no realised P&L for spot trades). The unified account is
// one wallet for spot and linear: both assets read the same totals. None for forex and
// options, or when the settle coin or its cumRealisedPnl is missing (the `wallet` topic leaves
// it out: read GET wallet-balance).
Mapped<Balance> to_balance(const WalletBalance& wallet, Asset asset,
                           std::string_view settle_coin = "USDT");

// The OpenOrder of a venue order: the OrderRequest rebuilt from it (client_order_id =
// orderLinkId; type kStopMarket/kStopLimit when triggerPrice is set; limit_price for limit
// orders; time in force GTC/IOC/FOK/PostOnly, RPI as post-only; trigger kMark when
// slTriggerBy or tpTriggerBy is MarkPrice; created_at = createdTime), venue_order_id, the
// mapped status and filled_quantity = cumExecQty.
OpenOrder to_open_order(const VenueOrder& order);

}  // namespace gauntlet::brokers::bybit
