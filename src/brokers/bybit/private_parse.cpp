#include "brokers/bybit/private_parse.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <utility>

#include "brokers/bybit/json_fields.hpp"
#include "core/exceptions.hpp"

namespace gauntlet::brokers::bybit {
namespace {

namespace dom = simdjson::dom;

using internal::clip;
using internal::engine_symbol;
using internal::Number;
using internal::read_decimal;

enum class Need { kOptional, kRequired };
enum class Sign { kAny, kNonNegative };

// Reads the fields of one JSON object without throwing. The first problem is kept in
// `problem`; every read after it returns a default, so a reader runs straight through and
// checks ok() once.
class Fields {
 public:
  Fields(dom::object object, std::string* problem) : object_(object), problem_(problem) {}

  bool ok() const { return problem_->empty(); }

  template <class... Args>
  void fail(fmt::format_string<Args...> format, Args&&... args) {
    if (ok()) *problem_ = fmt::format(format, std::forward<Args>(args)...);
  }

  // The field's value; nullopt when absent or null.
  std::optional<dom::element> find(std::string_view key) const {
    dom::element value;
    if (object_[key].get(value) != simdjson::SUCCESS || value.is_null()) return std::nullopt;
    return value;
  }

  bool has(std::string_view key) const { return find(key).has_value(); }

  // A string field; "" when absent or null. kRequired: absent, null or "" is a problem.
  std::string_view text(std::string_view key, Need need = Need::kOptional) {
    if (!ok()) return {};
    const auto value = find(key);
    std::string_view text;
    if (value.has_value() && value->get_string().get(text) != simdjson::SUCCESS) {
      fail("{} is not a string", key);
      return {};
    }
    if (need == Need::kRequired && text.empty()) fail("{} is missing or empty", key);
    return text;
  }

  // A decimal string field; zero when absent, null or "" (kRequired: a problem).
  Decimal decimal(std::string_view key, Number number, Sign sign, Need need = Need::kOptional) {
    return optional_decimal(key, number, sign, need).value_or(Decimal());
  }

  // A decimal string field; nullopt when absent or null, zero when "".
  std::optional<Decimal> optional_decimal(std::string_view key, Number number, Sign sign,
                                          Need need = Need::kOptional) {
    if (!ok()) return std::nullopt;
    const auto value = find(key);
    if (!value.has_value()) {
      if (need == Need::kRequired) fail("{} is missing", key);
      return std::nullopt;
    }
    std::string_view text;
    if (value->get_string().get(text) != simdjson::SUCCESS) {
      fail("{} is not a string", key);
      return std::nullopt;
    }
    if (text.empty()) {
      if (need == Need::kRequired) fail("{} is empty", key);
      return Decimal();
    }
    Decimal parsed;
    if (!read_decimal(text, number, &parsed)) {
      fail("{} \"{}\" is not a decimal{}", key, clip(text),
           number == Number::kPrice ? " of at most 9 places within range" : " within range");
      return std::nullopt;
    }
    if (sign == Sign::kNonNegative && parsed.is_negative()) {
      fail("{} is negative ({})", key, parsed);
      return std::nullopt;
    }
    return parsed;
  }

  // A quantity or an order price: exact, not negative.
  Decimal quantity(std::string_view key, Need need = Need::kOptional) {
    return decimal(key, Number::kPrice, Sign::kNonNegative, need);
  }
  // An average, a value, a mark price: rounded past 9 places, not negative.
  Decimal figure(std::string_view key) {
    return decimal(key, Number::kRounded, Sign::kNonNegative);
  }
  // A fee, a rate, P&L, a balance: rounded past 9 places, any sign.
  Decimal amount(std::string_view key, Need need = Need::kOptional) {
    return decimal(key, Number::kRounded, Sign::kAny, need);
  }

  // A JSON integer field; nullopt when absent or null.
  std::optional<int64_t> integer(std::string_view key, Need need = Need::kOptional) {
    if (!ok()) return std::nullopt;
    const auto value = find(key);
    if (!value.has_value()) {
      if (need == Need::kRequired) fail("{} is missing", key);
      return std::nullopt;
    }
    int64_t parsed = 0;
    if (value->get_int64().get(parsed) != simdjson::SUCCESS) {
      fail("{} is not an integer", key);
      return std::nullopt;
    }
    return parsed;
  }

  // A JSON boolean field; `fallback` when absent or null.
  bool flag(std::string_view key, bool fallback = false) {
    if (!ok()) return fallback;
    const auto value = find(key);
    if (!value.has_value()) return fallback;
    bool parsed = false;
    if (value->get_bool().get(parsed) != simdjson::SUCCESS) {
      fail("{} is not a boolean", key);
      return fallback;
    }
    return parsed;
  }

  // Milliseconds sent as a string of digits ("1700000000000"); 0 when absent, null or "".
  TimestampMs millis(std::string_view key, Need need = Need::kOptional) {
    const std::string_view text = this->text(key, need);
    if (!ok() || text.empty()) return 0;
    TimestampMs parsed = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (error != std::errc() || end != text.data() + text.size() || parsed < 0) {
      fail("{} \"{}\" is not a non-negative integer", key, clip(text));
      return 0;
    }
    return parsed;
  }

  // The side of an order or execution: Buy or Sell.
  OrderSide side(std::string_view key = "side") {
    const std::string_view text = this->text(key, Need::kRequired);
    if (text == "Sell") return OrderSide::kSell;
    if (ok() && text != "Buy") fail("{} \"{}\" is neither Buy nor Sell", key, clip(text));
    return OrderSide::kBuy;
  }

  // positionIdx: 0 one-way, 1 or 2 hedge mode.
  int position_idx() {
    const std::optional<int64_t> index = integer("positionIdx");
    if (index.has_value() && (*index < 0 || *index > 2)) {
      fail("positionIdx {} is not 0, 1 or 2", *index);
      return 0;
    }
    return static_cast<int>(index.value_or(0));
  }

 private:
  dom::object object_;
  std::string* problem_;
};

// ---- Category and symbol of an item

enum class ItemFate { kRead, kSkipped, kBad };

// "item 3 (BTCUSDT)", or "item 3" when the item's name is unknown.
std::string locate(std::size_t index, std::string_view name, std::string_view noun = "item") {
  return name.empty() ? fmt::format("{} {}", noun, index)
                      : fmt::format("{} {} ({})", noun, index, name);
}

int clamp_to_int(int64_t value) {
  return static_cast<int>(
      std::clamp<int64_t>(value, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
}

// Reads `category` and `symbol` of an item. `expected`: the category of the request or of a
// categorised topic; an item's own category must match it (an item without one takes it).
// Without `expected` the item must carry its category. kSkipped (with `why`) for inverse and
// option items and symbols the engine cannot name; kBad leaves the problem in `fields`.
ItemFate read_head(Fields& fields, std::optional<Category> expected, Category* category,
                   Symbol* symbol, std::string* name, std::string* why) {
  const std::string_view text = fields.text("category");
  const std::string_view symbol_text = fields.text("symbol", Need::kRequired);
  if (!fields.ok()) return ItemFate::kBad;
  name->assign(clip(symbol_text));
  bool foreign = false;
  if (text.empty()) {
    if (!expected.has_value()) {
      fields.fail("category is missing");
      return ItemFate::kBad;
    }
    *category = *expected;
  } else if (const auto known = category_from_string(text)) {
    *category = *known;
  } else if (text == "inverse" || text == "option") {
    foreign = true;
  } else {
    fields.fail("category \"{}\" is unknown", clip(text));
    return ItemFate::kBad;
  }
  if (expected.has_value() && (foreign || *category != *expected)) {
    fields.fail("category \"{}\" does not match {}", clip(text), to_string(*expected));
    return ItemFate::kBad;
  }
  if (foreign) {
    *why = fmt::format("{}: category {} is not traded", *name, text);
    return ItemFate::kSkipped;
  }
  const auto engine = engine_symbol(symbol_text);
  if (!engine.has_value()) {
    *why = fmt::format("{}: not a symbol the engine can name", *name);
    return ItemFate::kSkipped;
  }
  *symbol = *engine;
  return ItemFate::kRead;
}

// ---- Items

void read_order(Fields& f, VenueOrder* order) {
  order->order_id.assign(f.text("orderId", Need::kRequired));
  order->order_link_id.assign(f.text("orderLinkId"));
  order->side = f.side();
  const std::string_view type = f.text("orderType", Need::kRequired);
  if (type == "Market") {
    order->order_type = OrderType::kMarket;
  } else if (type == "Limit") {
    order->order_type = OrderType::kLimit;
  } else if (f.ok()) {
    f.fail("orderType \"{}\" is neither Market nor Limit", clip(type));
  }
  order->price = f.quantity("price");
  order->qty = f.quantity("qty", Need::kRequired);
  order->time_in_force.assign(f.text("timeInForce"));
  const std::string_view status = f.text("orderStatus", Need::kRequired);
  if (f.ok()) {
    if (const auto mapped = order_status_from_bybit(status)) {
      order->status = *mapped;
      order->order_status.assign(status);
    } else {
      f.fail("orderStatus \"{}\" is unknown", clip(status));
    }
  }
  order->cum_exec_qty = f.quantity("cumExecQty");
  order->cum_exec_value = f.figure("cumExecValue");
  order->cum_exec_fee = f.amount("cumExecFee");
  order->avg_price = f.figure("avgPrice");
  order->leaves_qty = f.quantity("leavesQty");
  order->trigger_price = f.quantity("triggerPrice");
  order->take_profit = f.quantity("takeProfit");
  order->stop_loss = f.quantity("stopLoss");
  order->tp_trigger_by.assign(f.text("tpTriggerBy"));
  order->sl_trigger_by.assign(f.text("slTriggerBy"));
  order->trigger_by.assign(f.text("triggerBy"));
  order->stop_order_type.assign(f.text("stopOrderType"));
  order->order_filter.assign(f.text("orderFilter"));
  order->tpsl_mode.assign(f.text("tpslMode"));
  order->position_idx = f.position_idx();
  order->reduce_only = f.flag("reduceOnly");
  order->close_on_trigger = f.flag("closeOnTrigger");
  order->reject_reason.assign(f.text("rejectReason"));
  order->cancel_type.assign(f.text("cancelType"));
  order->fee_currency.assign(f.text("feeCurrency"));
  order->created_time = f.millis("createdTime", Need::kRequired);
  order->updated_time = f.millis("updatedTime", Need::kRequired);
}

void read_execution(Fields& f, bool fast, Execution* execution) {
  execution->exec_id.assign(f.text("execId", Need::kRequired));
  execution->order_id.assign(f.text("orderId"));
  execution->order_link_id.assign(f.text("orderLinkId"));
  execution->side = f.side();
  execution->exec_price = f.quantity("execPrice", Need::kRequired);
  execution->exec_qty = f.quantity("execQty", Need::kRequired);
  const std::string_view type = f.text("execType", fast ? Need::kOptional : Need::kRequired);
  execution->exec_type_name.assign(type.empty() ? std::string_view("Trade") : type);
  execution->exec_type = exec_type_from_string(execution->exec_type_name);
  execution->exec_value = f.figure("execValue");
  execution->exec_fee = f.amount("execFee", fast ? Need::kOptional : Need::kRequired);
  execution->fee_rate = f.amount("feeRate");
  execution->fee_currency.assign(f.text("feeCurrency"));
  execution->is_maker = f.flag("isMaker");
  execution->exec_time = f.millis("execTime", Need::kRequired);
  execution->closed_size = f.quantity("closedSize");
  execution->order_price = f.quantity("orderPrice");
  execution->order_qty = f.quantity("orderQty");
  execution->leaves_qty = f.quantity("leavesQty");
  execution->seq = f.integer("seq").value_or(0);
  execution->exec_pnl = f.optional_decimal("execPnl", Number::kRounded, Sign::kAny);
  execution->stop_order_type.assign(f.text("stopOrderType"));
  execution->create_type.assign(f.text("createType"));
  execution->fast = fast;
}

void read_position(Fields& f, VenuePosition* position) {
  position->position_idx = f.position_idx();
  const std::string_view side = f.text("side");
  if (side == "Buy") {
    position->side = OrderSide::kBuy;
  } else if (side == "Sell") {
    position->side = OrderSide::kSell;
  } else if (!side.empty() && side != "None" && f.ok()) {
    f.fail("side \"{}\" is neither Buy, Sell nor flat", clip(side));
  }
  position->size = f.quantity("size", Need::kRequired);
  // REST sends avgPrice; the `position` topic sends entryPrice (and maybe an empty avgPrice).
  position->avg_price = f.figure("avgPrice");
  if (f.text("avgPrice").empty()) position->avg_price = f.figure("entryPrice");
  position->mark_price = f.figure("markPrice");
  position->leverage = f.figure("leverage");
  position->liq_price = f.figure("liqPrice");
  position->take_profit = f.quantity("takeProfit");
  position->stop_loss = f.quantity("stopLoss");
  position->tp_trigger_by.assign(f.text("tpTriggerBy"));
  position->sl_trigger_by.assign(f.text("slTriggerBy"));
  position->tpsl_mode.assign(f.text("tpslMode"));
  position->trailing_stop = f.quantity("trailingStop");
  position->unrealised_pnl = f.amount("unrealisedPnl");
  position->cur_realised_pnl = f.amount("curRealisedPnl");
  position->cum_realised_pnl = f.amount("cumRealisedPnl");
  position->position_status.assign(f.text("positionStatus"));
  position->created_time = f.millis("createdTime");
  position->updated_time = f.millis("updatedTime");
  position->open_time = f.integer("openTime");
  if (position->open_time.has_value() && *position->open_time < 0) {
    f.fail("openTime is negative ({})", *position->open_time);
  }
  position->seq = f.integer("seq");
  if (f.ok() && !position->side.has_value() && position->size.is_positive()) {
    f.fail("size {} without a side", position->size);
  }
}

void read_coin(Fields& f, CoinBalance* coin) {
  coin->coin.assign(f.text("coin", Need::kRequired));
  coin->equity = f.amount("equity");
  coin->wallet_balance = f.amount("walletBalance");
  coin->usd_value = f.optional_decimal("usdValue", Number::kRounded, Sign::kAny);
  coin->locked = f.optional_decimal("locked", Number::kRounded, Sign::kNonNegative);
  coin->unrealised_pnl = f.optional_decimal("unrealisedPnl", Number::kRounded, Sign::kAny);
  coin->cum_realised_pnl = f.optional_decimal("cumRealisedPnl", Number::kRounded, Sign::kAny);
  coin->borrow_amount = f.figure("borrowAmount");
  coin->spot_borrow = f.figure("spotBorrow");
  coin->total_order_im = f.figure("totalOrderIM");
  coin->total_position_im = f.figure("totalPositionIM");
  coin->total_position_mm = f.figure("totalPositionMM");
  coin->accrued_interest = f.figure("accruedInterest");
}

void read_wallet(Fields& f, dom::object object, WalletBalance* wallet, std::string* problem) {
  wallet->account_type.assign(f.text("accountType"));
  wallet->total_equity = f.amount("totalEquity");
  wallet->total_wallet_balance = f.amount("totalWalletBalance");
  wallet->total_margin_balance = f.amount("totalMarginBalance");
  wallet->total_available_balance = f.amount("totalAvailableBalance");
  // REST spells it totalPerpUPL, the `wallet` topic totalPerpUpl.
  wallet->total_perp_upl =
      f.amount(f.has("totalPerpUPL") ? std::string_view("totalPerpUPL") : "totalPerpUpl");
  wallet->total_initial_margin = f.figure("totalInitialMargin");
  wallet->total_maintenance_margin = f.figure("totalMaintenanceMargin");
  if (!f.ok()) return;
  dom::array coins;
  if (object["coin"].get_array().get(coins) != simdjson::SUCCESS) {
    f.fail("coin is missing or not an array");
    return;
  }
  wallet->coins.reserve(coins.size());
  std::size_t index = 0;
  for (const dom::element element : coins) {
    dom::object coin_object;
    if (element.get_object().get(coin_object) != simdjson::SUCCESS) {
      f.fail("coin {} is not an object", index);
      return;
    }
    std::string coin_problem;
    Fields coin_fields(coin_object, &coin_problem);
    CoinBalance coin;
    read_coin(coin_fields, &coin);
    if (!coin_fields.ok()) {
      *problem = fmt::format("{}: {}", locate(index, clip(coin.coin), "coin"), coin_problem);
      return;
    }
    wallet->coins.push_back(std::move(coin));
    ++index;
  }
}

void read_ack(Fields& f, OrderAck* ack) {
  ack->order_id.assign(f.text("orderId", Need::kRequired));
  ack->order_link_id.assign(f.text("orderLinkId"));
}

// ---- REST bodies

// The envelope of a REST body: the `result` object, or the outcome to return instead.
template <class T>
std::optional<dom::object> open_result(dom::parser& parser, std::string_view body,
                                       std::string_view what, Parsed<T>* out) {
  const internal::Envelope envelope = internal::read_envelope(parser, body);
  if (!envelope.problem.empty()) {
    out->status = ParseStatus::kMalformed;
    out->reason = fmt::format("bybit {}: {}", what, envelope.problem);
    return std::nullopt;
  }
  if (envelope.ret_code != 0) {
    out->status = ParseStatus::kVenueError;
    out->failure = bybit_failure(envelope.ret_code_int(), std::string(envelope.ret_message));
    out->reason =
        fmt::format("bybit {}: retCode {}: {}", what, envelope.ret_code, envelope.ret_message);
    return std::nullopt;
  }
  dom::object result;
  if (envelope.root["result"].get_object().get(result) != simdjson::SUCCESS) {
    out->status = ParseStatus::kMalformed;
    out->reason = fmt::format("bybit {}: result is missing or not an object", what);
    return std::nullopt;
  }
  return result;
}

template <class T>
Parsed<T> malformed(std::string reason) {
  Parsed<T> out;
  out.status = ParseStatus::kMalformed;
  out.reason = std::move(reason);
  return out;
}

// A list endpoint: result.category (when the request had one), result.nextPageCursor,
// result.list. `read` fills one item from its Fields.
template <class T, class Read>
Parsed<Page<T>> parse_page(std::string_view body, std::string_view what,
                           std::optional<Category> category, Read read) {
  Parsed<Page<T>> out;
  dom::parser parser;
  const auto result = open_result(parser, body, what, &out);
  if (!result.has_value()) return out;
  std::string problem;
  Fields fields(*result, &problem);
  if (category.has_value()) {
    const std::string_view listed = fields.text("category");
    if (fields.ok() && !listed.empty() && listed != to_string(*category)) {
      fields.fail("result.category \"{}\" is not the requested {}", clip(listed),
                  to_string(*category));
    }
  }
  out.value.next_page_cursor.assign(fields.text("nextPageCursor"));
  if (!fields.ok()) return malformed<Page<T>>(fmt::format("bybit {}: {}", what, problem));
  dom::array list;
  if ((*result)["list"].get_array().get(list) != simdjson::SUCCESS) {
    return malformed<Page<T>>(
        fmt::format("bybit {}: result.list is missing or not an array", what));
  }
  out.value.items.reserve(list.size());
  std::size_t index = 0;
  for (const dom::element element : list) {
    dom::object object;
    if (element.get_object().get(object) != simdjson::SUCCESS) {
      return malformed<Page<T>>(fmt::format("bybit {} item {}: not an object", what, index));
    }
    std::string item_problem;
    Fields item(object, &item_problem);
    T value;
    std::string name;
    std::string why;
    const ItemFate fate = read(item, object, category, &value, &name, &why);
    if (fate == ItemFate::kBad || !item.ok()) {
      return malformed<Page<T>>(
          fmt::format("bybit {} {}: {}", what, locate(index, name), item_problem));
    }
    if (fate == ItemFate::kSkipped) {
      out.value.skipped.push_back(std::move(why));
    } else {
      out.value.items.push_back(std::move(value));
    }
    ++index;
  }
  out.status = ParseStatus::kOk;
  return out;
}

}  // namespace

// ---- Names

std::string_view to_string(ExecType type) {
  switch (type) {
    case ExecType::kTrade:
      return "Trade";
    case ExecType::kAdlTrade:
      return "AdlTrade";
    case ExecType::kBustTrade:
      return "BustTrade";
    case ExecType::kFunding:
      return "Funding";
    case ExecType::kSettle:
      return "Settle";
    case ExecType::kDelivery:
      return "Delivery";
    case ExecType::kBlockTrade:
      return "BlockTrade";
    case ExecType::kMovePosition:
      return "MovePosition";
    case ExecType::kOther:
      break;
  }
  return "Other";
}

ExecType exec_type_from_string(std::string_view text) {
  constexpr std::array<ExecType, 8> kKnown = {
      ExecType::kTrade,  ExecType::kAdlTrade, ExecType::kBustTrade,  ExecType::kFunding,
      ExecType::kSettle, ExecType::kDelivery, ExecType::kBlockTrade, ExecType::kMovePosition};
  for (const ExecType type : kKnown) {
    if (to_string(type) == text) return type;
  }
  return ExecType::kOther;
}

bool is_fill(ExecType type) {
  return type == ExecType::kTrade || type == ExecType::kAdlTrade || type == ExecType::kBustTrade ||
         type == ExecType::kBlockTrade || type == ExecType::kMovePosition;
}

std::optional<OrderStatus> order_status_from_bybit(std::string_view text) {
  if (text == "New" || text == "Untriggered" || text == "Triggered") return OrderStatus::kNew;
  if (text == "PartiallyFilled") return OrderStatus::kPartiallyFilled;
  if (text == "Filled") return OrderStatus::kFilled;
  if (text == "Cancelled" || text == "PartiallyFilledCanceled" || text == "Deactivated") {
    return OrderStatus::kCancelled;
  }
  if (text == "Rejected") return OrderStatus::kRejected;
  return std::nullopt;
}

bool is_open_on_venue(std::string_view order_status) {
  return order_status == "New" || order_status == "PartiallyFilled" ||
         order_status == "Untriggered";
}

std::string_view to_string(ParseStatus status) {
  switch (status) {
    case ParseStatus::kOk:
      return "ok";
    case ParseStatus::kVenueError:
      return "venue_error";
    case ParseStatus::kMalformed:
      break;
  }
  return "malformed";
}

std::string_view to_string(PrivateControl control) {
  switch (control) {
    case PrivateControl::kNone:
      return "none";
    case PrivateControl::kAuth:
      return "auth";
    case PrivateControl::kPong:
      return "pong";
    case PrivateControl::kSubscribe:
      return "subscribe";
    case PrivateControl::kUnsubscribe:
      return "unsubscribe";
    case PrivateControl::kOrderResponse:
      return "order_response";
    case PrivateControl::kOther:
      break;
  }
  return "other";
}

const CoinBalance* WalletBalance::find_coin(std::string_view coin) const {
  for (const CoinBalance& balance : coins) {
    if (balance.coin == coin) return &balance;
  }
  return nullptr;
}

// ---- REST bodies

Parsed<Page<VenueOrder>> parse_order_list(std::string_view body, Category category) {
  return parse_page<VenueOrder>(body, "order list", category,
                                [](Fields& f, dom::object, std::optional<Category> expected,
                                   VenueOrder* order, std::string* name, std::string* why) {
                                  const ItemFate fate = read_head(f, expected, &order->category,
                                                                  &order->symbol, name, why);
                                  if (fate == ItemFate::kRead) read_order(f, order);
                                  return fate;
                                });
}

Parsed<Page<Execution>> parse_execution_list(std::string_view body, Category category) {
  return parse_page<Execution>(body, "execution list", category,
                               [](Fields& f, dom::object, std::optional<Category> expected,
                                  Execution* execution, std::string* name, std::string* why) {
                                 const ItemFate fate = read_head(f, expected, &execution->category,
                                                                 &execution->symbol, name, why);
                                 if (fate == ItemFate::kRead) read_execution(f, false, execution);
                                 return fate;
                               });
}

Parsed<Page<VenuePosition>> parse_position_list(std::string_view body, Category category) {
  return parse_page<VenuePosition>(
      body, "position list", category,
      [](Fields& f, dom::object, std::optional<Category> expected, VenuePosition* position,
         std::string* name, std::string* why) {
        const ItemFate fate =
            read_head(f, expected, &position->category, &position->symbol, name, why);
        if (fate == ItemFate::kRead) read_position(f, position);
        return fate;
      });
}

Parsed<std::vector<WalletBalance>> parse_wallet_balance(std::string_view body) {
  Parsed<Page<WalletBalance>> page =
      parse_page<WalletBalance>(body, "wallet-balance", std::nullopt,
                                [](Fields& f, dom::object object, std::optional<Category>,
                                   WalletBalance* wallet, std::string* name, std::string*) {
                                  std::string problem;
                                  read_wallet(f, object, wallet, &problem);
                                  name->assign(clip(wallet->account_type));
                                  if (!problem.empty()) f.fail("{}", problem);
                                  return f.ok() ? ItemFate::kRead : ItemFate::kBad;
                                });
  Parsed<std::vector<WalletBalance>> out;
  out.status = page.status;
  out.value = std::move(page.value.items);
  out.failure = std::move(page.failure);
  out.reason = std::move(page.reason);
  return out;
}

Parsed<Page<FeeRate>> parse_fee_rates(std::string_view body) {
  return parse_page<FeeRate>(body, "fee-rate", std::nullopt,
                             [](Fields& f, dom::object, std::optional<Category>, FeeRate* rate,
                                std::string* name, std::string* why) {
                               const std::string_view symbol = f.text("symbol");
                               name->assign(clip(symbol));
                               rate->taker_fee_rate = f.amount("takerFeeRate", Need::kRequired);
                               rate->maker_fee_rate = f.amount("makerFeeRate", Need::kRequired);
                               if (!f.ok()) return ItemFate::kBad;
                               const auto engine = engine_symbol(symbol);
                               if (!engine.has_value()) {
                                 *why = fmt::format("{}: not a symbol the engine can name",
                                                    symbol.empty() ? "\"\"" : *name);
                                 return ItemFate::kSkipped;
                               }
                               rate->symbol = *engine;
                               return ItemFate::kRead;
                             });
}

Parsed<OrderAck> parse_order_ack(std::string_view body) {
  constexpr std::string_view kWhat = "order ack";
  Parsed<OrderAck> out;
  dom::parser parser;
  const auto result = open_result(parser, body, kWhat, &out);
  if (!result.has_value()) return out;
  std::string problem;
  Fields fields(*result, &problem);
  read_ack(fields, &out.value);
  if (!fields.ok()) return malformed<OrderAck>(fmt::format("bybit {}: {}", kWhat, problem));
  out.status = ParseStatus::kOk;
  return out;
}

Parsed<std::vector<OrderAck>> parse_cancel_all(std::string_view body) {
  Parsed<Page<OrderAck>> page =
      parse_page<OrderAck>(body, "cancel-all", std::nullopt,
                           [](Fields& f, dom::object, std::optional<Category>, OrderAck* ack,
                              std::string* name, std::string*) {
                             read_ack(f, ack);
                             name->assign(clip(ack->order_link_id));
                             return f.ok() ? ItemFate::kRead : ItemFate::kBad;
                           });
  Parsed<std::vector<OrderAck>> out;
  out.status = page.status;
  out.value = std::move(page.value.items);
  out.failure = std::move(page.failure);
  out.reason = std::move(page.reason);
  return out;
}

// ---- PrivateMessageParser

struct PrivateMessageParser::Impl {
  enum class TopicKind { kOrder, kExecution, kExecutionFast, kPosition, kWallet };

  PrivateParseResult parse(std::string_view frame, PrivateEventSink& sink);
  PrivateParseResult parse_data(dom::object root, std::string_view topic, PrivateEventSink& sink);
  PrivateParseResult parse_control(dom::object root);

  PrivateParseResult malformed(std::string reason) const {
    PrivateParseResult result;
    result.kind = FrameKind::kMalformed;
    result.reason = std::move(reason);
    return result;
  }

  void clear() {
    orders.clear();
    executions.clear();
    positions.clear();
    wallets.clear();
  }

  dom::parser parser;
  // The records of the frame being read, handed to the sink only once all are read.
  std::vector<VenueOrder> orders;
  std::vector<Execution> executions;
  std::vector<VenuePosition> positions;
  std::vector<WalletBalance> wallets;
};

PrivateMessageParser::PrivateMessageParser() : impl_(std::make_unique<Impl>()) {}

PrivateMessageParser::~PrivateMessageParser() = default;

PrivateParseResult PrivateMessageParser::parse(std::string_view frame, PrivateEventSink& sink) {
  impl_->clear();
  return impl_->parse(frame, sink);
}

PrivateParseResult PrivateMessageParser::Impl::parse(std::string_view frame,
                                                     PrivateEventSink& sink) {
  if (frame.empty()) return malformed("empty frame");
  dom::element root;
  if (const auto error = parser.parse(frame.data(), frame.size()).get(root);
      error != simdjson::SUCCESS) {
    return malformed(fmt::format("not JSON ({})", simdjson::error_message(error)));
  }
  dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) return malformed("not a JSON object");
  dom::element topic;
  if (object["topic"].get(topic) == simdjson::SUCCESS) {
    std::string_view name;
    if (topic.get_string().get(name) != simdjson::SUCCESS || name.empty()) {
      return malformed("topic is not a non-empty string");
    }
    return parse_data(object, name, sink);
  }
  for (const char* key : {"op", "success", "retCode", "ret_msg", "retMsg"}) {
    dom::element unused;
    if (object[key].get(unused) == simdjson::SUCCESS) return parse_control(object);
  }
  return malformed("neither a topic nor an op");
}

PrivateParseResult PrivateMessageParser::Impl::parse_data(dom::object root, std::string_view topic,
                                                          PrivateEventSink& sink) {
  const std::string shown(clip(topic));
  const auto bad = [&](std::string_view problem) {
    return malformed(fmt::format("{}: {}", shown, problem));
  };

  // The topic: a base, then an optional category ("execution.fast.linear").
  std::string_view base = topic;
  std::string_view topic_category;
  if (const std::size_t dot = topic.rfind('.'); dot != std::string_view::npos) {
    const std::string_view last = topic.substr(dot + 1);
    if (last == "spot" || last == "linear" || last == "inverse" || last == "option") {
      base = topic.substr(0, dot);
      topic_category = last;
    }
  }
  TopicKind kind = TopicKind::kOrder;
  if (base == "order") {
    kind = TopicKind::kOrder;
  } else if (base == "execution") {
    kind = TopicKind::kExecution;
  } else if (base == "execution.fast") {
    kind = TopicKind::kExecutionFast;
  } else if (base == "position") {
    kind = TopicKind::kPosition;
  } else if (base == "wallet" && topic_category.empty()) {
    kind = TopicKind::kWallet;
  } else {
    return malformed(fmt::format("unknown topic \"{}\"", shown));
  }

  PrivateParseResult result;
  result.topic = shown;
  if (topic_category == "inverse" || topic_category == "option") {
    result.kind = FrameKind::kIgnored;
    result.reason = fmt::format("{}: category {} is not traded", shown, topic_category);
    return result;
  }
  const std::optional<Category> expected = category_from_string(topic_category);

  std::string problem;
  Fields envelope(root, &problem);
  result.creation_time = envelope.integer("creationTime").value_or(0);
  if (envelope.ok() && result.creation_time < 0) envelope.fail("creationTime is negative");
  result.id.assign(envelope.text("id"));
  if (!envelope.ok()) return bad(problem);
  dom::element data;
  if (root["data"].get(data) != simdjson::SUCCESS) return bad("no data");
  dom::array items;
  if (data.get_array().get(items) != simdjson::SUCCESS) return bad("data is not an array");

  std::size_t index = 0;
  std::string first_skip;
  for (const dom::element element : items) {
    dom::object object;
    if (element.get_object().get(object) != simdjson::SUCCESS) {
      return bad(fmt::format("item {} is not an object", index));
    }
    std::string item_problem;
    Fields item(object, &item_problem);
    std::string name;
    std::string why;
    ItemFate fate = ItemFate::kRead;
    switch (kind) {
      case TopicKind::kOrder: {
        VenueOrder order;
        fate = read_head(item, expected, &order.category, &order.symbol, &name, &why);
        if (fate == ItemFate::kRead) read_order(item, &order);
        if (fate == ItemFate::kRead && item.ok()) orders.push_back(std::move(order));
        break;
      }
      case TopicKind::kExecution:
      case TopicKind::kExecutionFast: {
        Execution execution;
        fate = read_head(item, expected, &execution.category, &execution.symbol, &name, &why);
        if (fate == ItemFate::kRead) {
          read_execution(item, kind == TopicKind::kExecutionFast, &execution);
        }
        if (fate == ItemFate::kRead && item.ok()) executions.push_back(std::move(execution));
        break;
      }
      case TopicKind::kPosition: {
        VenuePosition position;
        fate = read_head(item, expected, &position.category, &position.symbol, &name, &why);
        if (fate == ItemFate::kRead) read_position(item, &position);
        if (fate == ItemFate::kRead && item.ok()) positions.push_back(std::move(position));
        break;
      }
      case TopicKind::kWallet: {
        WalletBalance wallet;
        std::string coin_problem;
        read_wallet(item, object, &wallet, &coin_problem);
        name.assign(clip(wallet.account_type));
        if (!coin_problem.empty()) item.fail("{}", coin_problem);
        if (item.ok()) wallets.push_back(std::move(wallet));
        break;
      }
    }
    if (fate == ItemFate::kBad || !item.ok()) {
      return bad(fmt::format("{}: {}", locate(index, name), item_problem));
    }
    if (fate == ItemFate::kSkipped) {
      if (result.skipped++ == 0) first_skip = std::move(why);
    }
    ++index;
  }

  const std::size_t records = orders.size() + executions.size() + positions.size() + wallets.size();
  if (result.skipped > 0) {
    result.reason =
        fmt::format("{}: {} item(s) left out, the first: {}", shown, result.skipped, first_skip);
  }
  if (records == 0 && result.skipped > 0) {
    result.kind = FrameKind::kIgnored;
    return result;
  }
  result.kind = FrameKind::kData;
  for (const VenueOrder& order : orders) sink.on_order(order);
  for (const Execution& execution : executions) sink.on_execution(execution);
  for (const VenuePosition& position : positions) sink.on_position(position);
  for (const WalletBalance& wallet : wallets) sink.on_wallet(wallet);
  result.records = records;
  return result;
}

PrivateParseResult PrivateMessageParser::Impl::parse_control(dom::object root) {
  std::string problem;
  Fields fields(root, &problem);
  PrivateParseResult result;
  result.kind = FrameKind::kControl;
  result.operation.assign(fields.text("op"));
  // Bybit writes these two ways: ret_msg/req_id/conn_id (subscribe, pong) and
  // retMsg/reqId/connId (auth, the trade stream).
  const auto either = [&](std::string_view snake, std::string_view camel) {
    return std::string(fields.has(snake) ? fields.text(snake) : fields.text(camel));
  };
  result.message = either("ret_msg", "retMsg");
  result.request_id = either("req_id", "reqId");
  result.connection_id = either("conn_id", "connId");
  const std::optional<int64_t> ret_code = fields.integer("retCode");
  const bool has_success = fields.has("success");
  const bool success = fields.flag("success", true);
  if (!fields.ok()) return malformed(fmt::format("control frame: {}", problem));

  result.ret_code = clamp_to_int(ret_code.value_or(0));
  result.success = (has_success ? success : true) && result.ret_code == 0;
  if (result.ret_code != 0) result.failure = bybit_failure(result.ret_code, result.message);

  const std::string_view op = result.operation;
  if (op == "auth") {
    result.control = PrivateControl::kAuth;
  } else if (op == "pong" || result.message == "pong") {
    result.control = PrivateControl::kPong;
  } else if (op == "subscribe") {
    result.control = PrivateControl::kSubscribe;
  } else if (op == "unsubscribe") {
    result.control = PrivateControl::kUnsubscribe;
  } else if (op.starts_with("order.")) {
    result.control = PrivateControl::kOrderResponse;
    if (result.ret_code == 0) {
      dom::object data;
      if (root["data"].get_object().get(data) != simdjson::SUCCESS) {
        return malformed(fmt::format("{}: data is missing or not an object", clip(op)));
      }
      Fields ack_fields(data, &problem);
      OrderAck ack;
      read_ack(ack_fields, &ack);
      if (!ack_fields.ok()) return malformed(fmt::format("{}: {}", clip(op), problem));
      result.ack = std::move(ack);
    }
  } else {
    result.control = PrivateControl::kOther;
  }
  return result;
}

// ---- Into the engine's vocabulary

namespace {

template <class T>
Mapped<T> refuse(std::string reason) {
  Mapped<T> out;
  out.reason = std::move(reason);
  return out;
}

}  // namespace

Mapped<Fill> to_fill(const Execution& execution) {
  const std::string_view id = clip(execution.exec_id);
  if (execution.fast) {
    return refuse<Fill>(fmt::format(
        "execution {}: execution.fast carries no fee; the `execution` record of the same execId "
        "is the fill",
        id));
  }
  if (!is_fill(execution.exec_type)) {
    return refuse<Fill>(
        fmt::format("execution {}: execType {} is not a fill", id, execution.exec_type_name));
  }
  if (!execution.exec_qty.is_positive()) {
    return refuse<Fill>(fmt::format("execution {}: execQty is zero", id));
  }
  Fill fill;
  fill.execution_id = execution.exec_id;
  fill.client_order_id = execution.order_link_id;
  fill.venue_order_id = execution.order_id;
  fill.asset = domain_of(execution.category);
  fill.symbol = execution.symbol;
  fill.side = execution.side;
  fill.quantity = execution.exec_qty;
  fill.price = execution.exec_price;
  fill.maker = execution.is_maker;
  fill.time = execution.exec_time;
  const std::string_view currency = execution.fee_currency;
  if (currency.empty() || currency == execution.symbol.quote()) {
    fill.fee = execution.exec_fee;
  } else if (currency == execution.symbol.base()) {
    try {
      fill.base_fee = execution.exec_fee;
      fill.fee = fill.base_fee_value();
    } catch (const GauntletError& error) {
      return refuse<Fill>(fmt::format("execution {}: fee {} {} at {}: {}", id, execution.exec_fee,
                                      currency, execution.exec_price, error.what()));
    }
  } else {
    return refuse<Fill>(fmt::format("execution {}: fee currency {} is neither {} nor {}", id,
                                    clip(currency), execution.symbol.base(),
                                    execution.symbol.quote()));
  }
  return Mapped<Fill>{std::move(fill), {}};
}

Mapped<FundingApplied> to_funding(const Execution& execution) {
  const std::string_view id = clip(execution.exec_id);
  if (execution.exec_type != ExecType::kFunding) {
    return refuse<FundingApplied>(
        fmt::format("execution {}: execType {} is not funding", id, execution.exec_type_name));
  }
  if (execution.category != Category::kLinear) {
    return refuse<FundingApplied>(fmt::format("execution {}: funding on spot", id));
  }
  if (execution.exec_fee == Decimal::min()) {
    return refuse<FundingApplied>(fmt::format("execution {}: execFee out of range", id));
  }
  FundingApplied funding;
  funding.venue = std::string(kVenue);
  funding.asset = Asset::kPerp;
  funding.symbol = execution.symbol;
  funding.rate = execution.fee_rate.to_double();
  funding.amount = -execution.exec_fee;
  funding.time = execution.exec_time;
  return Mapped<FundingApplied>{std::move(funding), {}};
}

std::optional<Position> to_position(const VenuePosition& position) {
  if (!position.side.has_value() || !position.size.is_positive()) return std::nullopt;
  Position out;
  out.asset = domain_of(position.category);
  out.symbol = position.symbol;
  out.side = *position.side;
  out.quantity = position.size;
  out.average_price = position.avg_price;
  out.stop_loss = position.stop_loss;
  out.take_profit = position.take_profit;
  out.trigger = position.sl_trigger_by == "MarkPrice" ? TriggerPrice::kMark : TriggerPrice::kLast;
  out.leverage = position.leverage.is_positive() ? position.leverage.to_double() : 1.0;
  out.liquidation_price = position.liq_price;
  out.unrealised_pnl = position.unrealised_pnl;
  out.opened_at = position.open_time.value_or(0);
  return out;
}

Mapped<Balance> to_balance(const WalletBalance& wallet, Asset asset, std::string_view settle_coin) {
  if (asset != Asset::kSpot && asset != Asset::kPerp) {
    return refuse<Balance>(fmt::format("a Bybit wallet holds no {} balance", to_string(asset)));
  }
  Balance balance;
  balance.asset = asset;
  balance.equity = wallet.total_equity;
  balance.available = wallet.total_available_balance.is_negative() ? Decimal::zero()
                                                                   : wallet.total_available_balance;
  if (asset == Asset::kPerp) {
    const CoinBalance* coin = wallet.find_coin(settle_coin);
    if (coin == nullptr) {
      return refuse<Balance>(fmt::format("the wallet lists no {}", clip(settle_coin)));
    }
    if (!coin->cum_realised_pnl.has_value()) {
      return refuse<Balance>(
          fmt::format("{} carries no cumRealisedPnl (a `wallet` push): read GET wallet-balance",
                      clip(settle_coin)));
    }
    balance.realised_pnl = *coin->cum_realised_pnl;
  }
  return Mapped<Balance>{std::move(balance), {}};
}

OpenOrder to_open_order(const VenueOrder& order) {
  OpenOrder open;
  OrderRequest& request = open.request;
  request.client_order_id = order.order_link_id;
  request.asset = domain_of(order.category);
  request.symbol = order.symbol;
  request.side = order.side;
  const bool conditional = order.trigger_price.is_positive();
  if (order.order_type == OrderType::kLimit) {
    request.type = conditional ? OrderType::kStopLimit : OrderType::kLimit;
    if (order.price.is_positive()) request.limit_price = order.price;
  } else {
    request.type = conditional ? OrderType::kStopMarket : OrderType::kMarket;
  }
  if (conditional) request.trigger_price = order.trigger_price;
  request.quantity = order.qty;
  if (order.time_in_force == "IOC") {
    request.time_in_force = TimeInForce::kImmediateOrCancel;
  } else if (order.time_in_force == "FOK") {
    request.time_in_force = TimeInForce::kFillOrKill;
  } else if (order.time_in_force == "PostOnly" || order.time_in_force == "RPI") {
    request.time_in_force = TimeInForce::kPostOnly;
  } else {
    request.time_in_force = TimeInForce::kGoodTillCancel;
  }
  request.reduce_only = order.reduce_only;
  request.stop_loss = order.stop_loss;
  request.take_profit = order.take_profit;
  request.trigger = order.sl_trigger_by == "MarkPrice" || order.tp_trigger_by == "MarkPrice"
                        ? TriggerPrice::kMark
                        : TriggerPrice::kLast;
  request.created_at = order.created_time;
  open.venue_order_id = order.order_id;
  open.status = order.status;
  open.filled_quantity = order.cum_exec_qty;
  return open;
}

}  // namespace gauntlet::brokers::bybit
