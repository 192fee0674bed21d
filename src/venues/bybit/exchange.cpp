// File: venues/bybit/exchange.cpp
#include "venues/bybit/exchange.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <deque>

#include "core/asio.hpp"
#include "core/clock.hpp"
#include "core/event_bus.hpp"
#include "core/exceptions.hpp"

namespace gauntlet::venues::bybit {
namespace {

using nlohmann::json;

// Bybit's codes (bybit-v5.md §7).
constexpr int kParamError = 10001;
constexpr int kRouteNotFound = 10017;
constexpr int kOrderNotFound = 110001;
constexpr int kDuplicateLinkId = 110072;
constexpr int kSpotDuplicateLinkId = 170141;
constexpr int kSpotOrderNotFound = 170213;
constexpr int kNotModified = 34040;
constexpr int kInsufficientBalance = 110007;
constexpr int kSpotInsufficientBalance = 170131;
constexpr int kLeverageNotModified = 110043;

// Execution and order lists keep this many per account, like Bybit's recent windows.
constexpr std::size_t kMaxRecords = 20'000;

std::string str(Decimal value) {
  return value.to_string();
}

Asset asset_of(Category category) {
  return brokers::bybit::domain_of(category);
}

std::string_view side_name(OrderSide side) {
  return side == OrderSide::kBuy ? "Buy" : "Sell";
}

// A JSON field as Bybit clients send it: a string, or (some clients) a number or a bool.
std::optional<std::string> text_field(const json& body, const char* name) {
  const auto found = body.find(name);
  if (found == body.end() || found->is_null()) return std::nullopt;
  if (found->is_string()) return found->get<std::string>();
  if (found->is_number_integer()) return std::to_string(found->get<int64_t>());
  if (found->is_number()) return fmt::format("{}", found->get<double>());
  if (found->is_boolean()) return found->get<bool>() ? "true" : "false";
  return std::nullopt;
}

bool bool_field(const json& body, const char* name) {
  const auto value = text_field(body, name);
  return value && (*value == "true" || *value == "1");
}

// A price or quantity field: nullopt when absent or empty; throws DecimalError when bad.
std::optional<Decimal> decimal_field(const json& body, const char* name) {
  const auto value = text_field(body, name);
  if (!value || value->empty()) return std::nullopt;
  return Decimal::parse(*value);
}

std::optional<int64_t> integer(std::string_view text) {
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<std::string> query_value(const QueryParams& query, std::string_view name) {
  const auto found = query.find(name);
  if (found == query.end() || found->second.empty()) return std::nullopt;
  return found->second;
}

std::string_view bybit_status(OrderStatus status) {
  switch (status) {
    case OrderStatus::kPendingNew:
    case OrderStatus::kNew:
      return "New";
    case OrderStatus::kPartiallyFilled:
      return "PartiallyFilled";
    case OrderStatus::kFilled:
      return "Filled";
    case OrderStatus::kCancelled:
      return "Cancelled";
    case OrderStatus::kRejected:
      return "Rejected";
  }
  return "New";
}

// The venue's cursor: the offset of the next page, as text.
std::size_t cursor_offset(const QueryParams& query) {
  const auto cursor = query_value(query, "cursor");
  if (!cursor) return 0;
  const auto value = integer(*cursor);
  return value && *value > 0 ? static_cast<std::size_t>(*value) : 0;
}

int page_limit(const QueryParams& query, int fallback, int maximum) {
  const auto limit = query_value(query, "limit");
  if (!limit) return fallback;
  const auto value = integer(*limit);
  if (!value || *value < 1) return fallback;
  return static_cast<int>(std::min<int64_t>(*value, maximum));
}

}  // namespace

namespace internal {

// One order as Bybit reports it.
struct OrderRecord {
  std::string order_id;
  std::string link_id;    // as the client gave it ("" when it gave none)
  std::string engine_id;  // the simulator's client id: link_id, or one the venue made
  Category category = Category::kLinear;
  Symbol symbol;
  OrderSide side = OrderSide::kBuy;
  std::string order_type = "Market";
  Decimal price;
  Decimal qty;
  std::string time_in_force = "GTC";
  OrderStatus status = OrderStatus::kNew;
  std::string status_text = "New";
  Decimal cum_qty;
  Decimal cum_value;
  Decimal cum_fee;
  Decimal trigger_price;
  Decimal take_profit;
  Decimal stop_loss;
  std::string tp_trigger_by = "LastPrice";
  std::string sl_trigger_by = "LastPrice";
  std::string stop_order_type;
  std::string order_filter = "Order";
  std::string cancel_type = "UNKNOWN";
  std::string reject_reason = "EC_NoError";
  std::string create_type = "CreateByUser";
  bool reduce_only = false;
  bool close_on_trigger = false;
  Decimal last_price_on_created;
  TimestampMs created = 0;
  TimestampMs updated = 0;

  bool open() const {
    return status == OrderStatus::kNew || status == OrderStatus::kPartiallyFilled ||
           status == OrderStatus::kPendingNew;
  }
  Decimal leaves() const { return open() ? qty - cum_qty : Decimal::zero(); }
};

}  // namespace internal

using internal::OrderRecord;

// One API key's account: its simulator (the matching engine) and Bybit's records.
struct Exchange::Account {
  Account(const brokers::bybit::ApiCredentials& keys, SimClock& clock,
          brokers::SimBrokerConfig config)
      : credentials(keys), bus(loop), broker(bus, clock, std::move(config)) {}

  brokers::bybit::ApiCredentials credentials;
  asio::io_context loop;  // never run: the exchange drains the bus itself
  EventBus bus;
  brokers::SimBroker broker;
  std::vector<Subscription> subscriptions;

  std::map<std::string, OrderRecord> orders;                 // by orderId
  std::map<std::string, std::string> by_engine_id;           // simulator client id -> orderId
  std::deque<std::string> order_sequence;                    // orderIds, oldest first
  std::deque<json> executions;                               // oldest first, Bybit's item shape
  std::map<std::string, double> leverage;                    // linear symbol -> leverage
  std::map<std::string, Decimal> realised;                   // linear symbol -> cumRealisedPnl
  std::map<std::pair<Asset, std::string>, Decimal> net;      // signed position per symbol
  std::map<std::pair<Asset, std::string>, Decimal> average;  // its average entry price
  std::vector<StreamMessage> outbox;                         // what the last drain produced
  std::map<std::string, Decimal> current_realised;           // linear symbol -> curRealisedPnl
  std::set<std::pair<Asset, std::string>> touched;           // positions to push after a drain
  uint64_t generated_ids = 0;
  uint64_t execution_seq = 0;
  // A rejection the simulator published for the order being created (engine id -> failure).
  std::map<std::string, brokers::BrokerFailure> rejections;
};

namespace {

json order_json(const OrderRecord& o, bool stream) {
  const Decimal leaves = o.leaves();
  const Decimal reference = o.price.is_positive() ? o.price : o.last_price_on_created;
  json item = {
      {"orderId", o.order_id},
      {"orderLinkId", o.link_id},
      {"blockTradeId", ""},
      {"symbol", o.symbol.canonical()},
      {"price", str(o.price)},
      {"qty", str(o.qty)},
      {"side", side_name(o.side)},
      {"isLeverage", ""},
      {"positionIdx", 0},
      {"orderStatus", o.status_text},
      {"cancelType", o.cancel_type},
      {"rejectReason", o.reject_reason},
      {"avgPrice", o.cum_qty.is_positive() ? str(o.cum_value / o.cum_qty) : "0"},
      {"leavesQty", str(leaves)},
      {"leavesValue", str(leaves * reference)},
      {"cumExecQty", str(o.cum_qty)},
      {"cumExecValue", str(o.cum_value)},
      {"cumExecFee", str(o.cum_fee)},
      {"timeInForce", o.time_in_force},
      {"orderType", o.order_type},
      {"stopOrderType", o.stop_order_type},
      {"orderIv", ""},
      {"triggerPrice", str(o.trigger_price)},
      {"takeProfit", str(o.take_profit)},
      {"stopLoss", str(o.stop_loss)},
      {"tpTriggerBy", o.tp_trigger_by},
      {"slTriggerBy", o.sl_trigger_by},
      {"triggerDirection", 0},
      {"triggerBy", o.trigger_price.is_positive() ? "LastPrice" : ""},
      {"lastPriceOnCreated", str(o.last_price_on_created)},
      {"reduceOnly", o.reduce_only},
      {"closeOnTrigger", o.close_on_trigger},
      {"smpType", "None"},
      {"smpGroup", 0},
      {"smpOrderId", ""},
      {"tpslMode", o.take_profit.is_positive() || o.stop_loss.is_positive() ? "Full" : ""},
      {"tpLimitPrice", "0"},
      {"slLimitPrice", "0"},
      {"placeType", ""},
      {"createType", o.create_type},
      {"createdTime", std::to_string(o.created)},
      {"updatedTime", std::to_string(o.updated)},
  };
  if (o.category == Category::kSpot) item["orderFilter"] = o.order_filter;
  if (stream) {
    item["category"] = std::string(brokers::bybit::to_string(o.category));
    item["feeCurrency"] = o.category == Category::kSpot && o.side == OrderSide::kBuy
                              ? std::string(o.symbol.base())
                              : std::string("USDT");
    item["closedPnl"] = "0";
  }
  return item;
}

}  // namespace

Exchange::Exchange(ExchangeOptions options) : options_(std::move(options)) {}

Exchange::~Exchange() = default;

void Exchange::add_account(const brokers::bybit::ApiCredentials& credentials, Decimal usdt) {
  std::lock_guard lock(mutex_);
  if (accounts_.contains(credentials.key)) return;
  brokers::SimBrokerConfig config;
  config.venue = "bybit";
  config.fees = options_.fees;
  config.order_delay = 0;
  config.slippage_bps = options_.slippage_bps;
  config.impact_bps = options_.impact_bps;
  config.max_participation = options_.max_participation;
  config.maintenance_margin = options_.maintenance_margin;
  config.default_funding_rate = options_.default_funding_rate;
  config.starting_balance[static_cast<std::size_t>(Asset::kSpot)] = usdt;
  config.protection_at_entry = true;
  config.protection_on_position = true;
  config.instruments = options_.instruments;
  config.unified_margin = true;
  config.spot_fee_in_base = true;
  config.order_id_prefix =
      credentials.key.substr(0, std::min<std::size_t>(8, credentials.key.size()));
  auto account = std::make_unique<Account>(credentials, clock_, std::move(config));
  Account& a = *account;
  const auto on_order = [&a](const std::string& engine_id) -> OrderRecord* {
    const auto id = a.by_engine_id.find(engine_id);
    if (id == a.by_engine_id.end()) return nullptr;
    return &a.orders.at(id->second);
  };
  a.subscriptions.push_back(
      a.bus.subscribe<brokers::OrderRejected>([&a](const brokers::OrderRejected& event) {
        a.rejections[event.client_order_id] = event.failure;
      }));
  a.subscriptions.push_back(a.bus.subscribe<brokers::OrderCancelled>(
      [&a, on_order](const brokers::OrderCancelled& event) {
        OrderRecord* order = on_order(event.client_order_id);
        if (order == nullptr || !order->open()) return;
        order->status = OrderStatus::kCancelled;
        order->status_text = order->category == Category::kSpot && order->cum_qty.is_positive()
                                 ? "PartiallyFilledCanceled"
                                 : "Cancelled";
        if (event.reason == "cancelled by request") {
          order->cancel_type = "CancelByUser";
        } else if (event.reason.starts_with("insufficient")) {
          order->cancel_type = "CancelByBalanceNotEnough";  // not a Bybit name; says why
          order->reject_reason = "EC_InsufficientBalance";
        } else if (event.reason.starts_with("reduce-only")) {
          order->cancel_type = "CancelByReduceOnly";
        } else if (event.reason.starts_with("fill-or-kill")) {
          order->cancel_type = "CancelBySystem";
          order->reject_reason = "EC_CancelForNoFullFill";
        } else if (event.reason.starts_with("immediate-or-cancel")) {
          order->cancel_type = "CancelBySystem";
          order->reject_reason = "EC_NoImmediateQtyToFill";
        } else {
          order->cancel_type = "CancelBySystem";
        }
        order->updated = event.time;
        a.outbox.push_back({"order", json::array({order_json(*order, true)}), event.time});
      }));
  a.subscriptions.push_back(
      a.bus.subscribe<brokers::OrderAmended>([&a, on_order](const brokers::OrderAmended& event) {
        OrderRecord* order = on_order(event.client_order_id);
        if (order == nullptr) return;
        order->qty = event.quantity;
        if (event.limit_price) order->price = *event.limit_price;
        if (event.trigger_price) order->trigger_price = *event.trigger_price;
        order->updated = event.time;
        a.outbox.push_back({"order", json::array({order_json(*order, true)}), event.time});
      }));
  a.subscriptions.push_back(a.bus.subscribe<brokers::ProtectionTriggered>(
      [&a](const brokers::ProtectionTriggered& event) {
        // The simulator closes the position with its own market order: record it as Bybit's
        // venue-created TP/SL order, so its fill has an order to belong to.
        OrderRecord order;
        order.order_id = event.closing_client_order_id;
        order.engine_id = event.closing_client_order_id;
        order.category = brokers::bybit::category_of(event.asset).value_or(Category::kLinear);
        order.symbol = event.symbol;
        const auto held = a.net.find({event.asset, event.symbol.canonical()});
        const Decimal net = held == a.net.end() ? Decimal::zero() : held->second;
        order.side = net.is_negative() ? OrderSide::kBuy : OrderSide::kSell;
        order.qty = net.is_negative() ? -net : net;
        order.order_type = "Market";
        order.time_in_force = "IOC";
        order.trigger_price = event.trigger_price;
        order.reduce_only = true;
        order.close_on_trigger = true;
        switch (event.kind) {
          case brokers::ProtectionTriggered::Kind::kStopLoss:
            order.stop_order_type = "StopLoss";
            order.create_type = "CreateByStopLoss";
            break;
          case brokers::ProtectionTriggered::Kind::kTakeProfit:
            order.stop_order_type = "TakeProfit";
            order.create_type = "CreateByTakeProfit";
            break;
          case brokers::ProtectionTriggered::Kind::kLiquidation:
            order.create_type = "CreateByLiq";
            break;
        }
        order.created = order.updated = event.time;
        a.by_engine_id[order.engine_id] = order.order_id;
        a.order_sequence.push_back(order.order_id);
        a.orders[order.order_id] = std::move(order);
      }));
  a.subscriptions.push_back(
      a.bus.subscribe<brokers::OrderFilled>([&a, on_order](const brokers::OrderFilled& event) {
        OrderRecord* order = on_order(event.fill.client_order_id);
        if (order == nullptr) return;
        const Fill& fill = event.fill;
        const Decimal value = fill.quantity * fill.price;
        // A spot buy's fee is in the coin bought (feeCurrency, execFee and cumExecFee in it).
        const bool fee_in_coin = !fill.base_fee.is_zero();
        const Decimal fee = fee_in_coin ? fill.base_fee : fill.fee;
        order->cum_qty = event.cumulative_quantity;
        order->cum_value = order->cum_value + value;
        order->cum_fee = order->cum_fee + fee;
        order->status = event.status;
        order->status_text = bybit_status(event.status);
        order->updated = fill.time;
        Decimal& net = a.net[{fill.asset, fill.symbol.canonical()}];
        Decimal& average = a.average[{fill.asset, fill.symbol.canonical()}];
        const Decimal moved = fill.held_quantity();
        const Decimal signed_qty = fill.side == OrderSide::kBuy ? moved : -moved;
        const Decimal held = net.is_negative() ? -net : net;
        Decimal closed;
        Decimal pnl;  // of the closing part, before fees (Bybit's execPnl)
        if (!net.is_zero() && net.is_negative() != signed_qty.is_negative()) {
          closed = held < moved ? held : moved;
          const Decimal move = (fill.price - average) * closed;
          pnl = net.is_negative() ? -move : move;
          if (moved > held) average = fill.price;  // flipped: the rest opened
        } else {
          average = (average * held + fill.price * fill.quantity) / (held + fill.quantity);
        }
        net = net + signed_qty;
        if (net.is_zero()) average = Decimal::zero();
        const Decimal rate = !value.is_positive() ? Decimal::zero()
                             : fee_in_coin        ? fill.base_fee / fill.quantity
                                                  : fill.fee / value;
        json execution = {
            {"symbol", fill.symbol.canonical()},
            {"orderId", order->order_id},
            {"orderLinkId", order->link_id},
            {"side", side_name(fill.side)},
            {"orderPrice", str(order->price)},
            {"orderQty", str(order->qty)},
            {"leavesQty", str(event.leaves_quantity)},
            {"createType", order->create_type},
            {"orderType", order->order_type},
            {"stopOrderType", order->stop_order_type},
            {"execFee", str(fee)},
            {"execId", fill.execution_id},
            {"execPrice", str(fill.price)},
            {"execQty", str(fill.quantity)},
            {"execType", "Trade"},
            {"execValue", str(value)},
            {"execTime", std::to_string(fill.time)},
            {"feeCurrency", fee_in_coin ? std::string(fill.symbol.base()) : std::string("USDT")},
            {"isMaker", fill.maker},
            {"feeRate", str(rate)},
            {"tradeIv", ""},
            {"markIv", ""},
            {"markPrice", str(fill.price)},
            {"indexPrice", ""},
            {"underlyingPrice", ""},
            {"blockTradeId", ""},
            {"closedSize", str(closed)},
            {"seq", ++a.execution_seq},
            {"category", std::string(brokers::bybit::to_string(order->category))},
            {"execPnl", str(pnl)},
            {"isLeverage", "0"},
            {"marketUnit", ""},
        };
        a.executions.push_back(execution);
        while (a.executions.size() > kMaxRecords) a.executions.pop_front();
        a.outbox.push_back({"execution", json::array({execution}), fill.time});
        a.outbox.push_back({"order", json::array({order_json(*order, true)}), fill.time});
        a.touched.insert({fill.asset, fill.symbol.canonical()});
      }));
  a.subscriptions.push_back(
      a.bus.subscribe<brokers::FundingApplied>([&a](const brokers::FundingApplied& event) {
        const auto held = a.net.find({event.asset, event.symbol.canonical()});
        const Decimal net = held == a.net.end() ? Decimal::zero() : held->second;
        const Decimal size = net.is_negative() ? -net : net;
        // Bybit's funding execution: execFee is what the position paid (negative: received).
        json execution = {
            {"symbol", event.symbol.canonical()},
            {"orderId", ""},
            {"orderLinkId", ""},
            {"side", net.is_negative() ? "Sell" : "Buy"},
            {"orderPrice", "0"},
            {"orderQty", "0"},
            {"leavesQty", "0"},
            {"createType", ""},
            {"orderType", "UNKNOWN"},
            {"stopOrderType", "UNKNOWN"},
            {"execFee", str(-event.amount)},
            {"execId", fmt::format("funding-{}-{}", event.symbol.canonical(), event.time)},
            {"execPrice", "0"},
            {"execQty", str(size)},
            {"execType", "Funding"},
            {"execValue", "0"},
            {"execTime", std::to_string(event.time)},
            {"feeCurrency", "USDT"},
            {"isMaker", false},
            {"feeRate", fmt::format("{}", event.rate)},
            {"tradeIv", ""},
            {"markIv", ""},
            {"markPrice", ""},
            {"indexPrice", ""},
            {"underlyingPrice", ""},
            {"blockTradeId", ""},
            {"closedSize", "0"},
            {"seq", ++a.execution_seq},
            {"category", "linear"},
        };
        a.executions.push_back(execution);
        while (a.executions.size() > kMaxRecords) a.executions.pop_front();
        a.outbox.push_back({"execution", json::array({execution}), event.time});
        a.touched.insert({event.asset, event.symbol.canonical()});
      }));
  // A new account knows the market as it is: the last bar of every symbol traded here.
  for (const auto& [key, bar] : last_bar_) {
    a.broker.on_bar(key.first, Symbol::parse(key.second), bar);
    a.bus.drain();
  }
  accounts_.emplace(credentials.key, std::move(account));
}

std::optional<std::string> Exchange::secret_of(std::string_view api_key) const {
  std::lock_guard lock(mutex_);
  const Account* account = find(api_key);
  if (account == nullptr) return std::nullopt;
  return account->credentials.secret;
}

std::vector<std::string> Exchange::api_keys() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> keys;
  for (const auto& [key, account] : accounts_) keys.push_back(key);
  return keys;
}

Exchange::Account* Exchange::find(std::string_view api_key) {
  const auto found = accounts_.find(api_key);
  return found == accounts_.end() ? nullptr : found->second.get();
}

const Exchange::Account* Exchange::find(std::string_view api_key) const {
  const auto found = accounts_.find(api_key);
  return found == accounts_.end() ? nullptr : found->second.get();
}

TimestampMs Exchange::now() const {
  std::lock_guard lock(mutex_);
  return market_time_;
}

uint64_t Exchange::listen(std::string_view api_key, Listener listener) {
  std::lock_guard lock(mutex_);
  const uint64_t id = next_listener_++;
  listeners_[id] = ListenerEntry{std::string(api_key), std::move(listener)};
  return id;
}

void Exchange::unlisten(uint64_t id) {
  std::lock_guard lock(mutex_);
  listeners_.erase(id);
}

void Exchange::publish(Account& account, StreamMessage message) {
  for (const auto& [id, entry] : listeners_) {
    if (entry.api_key == account.credentials.key) entry.listener(message);
  }
}

json Exchange::position_json(const Account& account, const Symbol& symbol, bool stream) const {
  const std::optional<Position> position = account.broker.position(Asset::kPerp, symbol);
  const auto leverage = account.leverage.find(symbol.canonical());
  const double lever = position ? position->leverage
                                : (leverage == account.leverage.end() ? options_.default_leverage
                                                                      : leverage->second);
  const auto realised = account.realised.find(symbol.canonical());
  const Decimal cum = realised == account.realised.end() ? Decimal::zero() : realised->second;
  const auto current = account.current_realised.find(symbol.canonical());
  const Decimal cur = current == account.current_realised.end() ? Decimal::zero() : current->second;
  const Decimal mark = account.broker.last_price(Asset::kPerp, symbol);
  const Decimal size = position ? position->quantity : Decimal::zero();
  const Decimal im = account.broker.margin(Asset::kPerp, symbol);
  json item = {
      {"positionIdx", 0},
      {"riskId", 1},
      {"riskLimitValue", "2000000"},
      {"symbol", symbol.canonical()},
      {"side", position ? std::string(side_name(position->side)) : std::string()},
      {"size", str(size)},
      {"avgPrice", position ? str(position->average_price) : "0"},
      {"positionValue", position ? str(position->average_price * size) : "0"},
      {"tradeMode", 0},
      {"autoAddMargin", 0},
      {"positionStatus", "Normal"},
      {"leverage", fmt::format("{}", lever)},
      {"markPrice", str(mark)},
      {"liqPrice", position ? str(position->liquidation_price) : ""},
      {"bustPrice", ""},
      {"positionIM", str(im)},
      {"positionMM", str(Decimal::from_double(mark.to_double() * size.to_double() *
                                              options_.maintenance_margin))},
      {"positionBalance", str(im)},
      {"takeProfit", position ? str(position->take_profit) : "0"},
      {"stopLoss", position ? str(position->stop_loss) : "0"},
      {"trailingStop", "0"},
      {"tpslMode", "Full"},
      {"tpTriggerBy",
       position && position->trigger == TriggerPrice::kMark ? "MarkPrice" : "LastPrice"},
      {"slTriggerBy",
       position && position->trigger == TriggerPrice::kMark ? "MarkPrice" : "LastPrice"},
      {"sessionAvgPrice", ""},
      {"unrealisedPnl", position ? str(position->unrealised_pnl) : "0"},
      {"curRealisedPnl", str(cur)},
      {"cumRealisedPnl", str(cum)},
      {"adlRankIndicator", position ? 2 : 0},
      {"isReduceOnly", false},
      {"createdTime", std::to_string(position ? position->opened_at : 0)},
      {"updatedTime", std::to_string(market_time_)},
      {"seq", static_cast<int64_t>(account.execution_seq)},
  };
  if (stream) {
    item["category"] = "linear";
    item["entryPrice"] = item["avgPrice"];
  }
  return item;
}

json Exchange::wallet_json(const Account& account, const std::set<std::string>& coins) const {
  const brokers::SimBroker& broker = account.broker;
  Decimal upl;
  Decimal initial_margin;
  Decimal maintenance;
  for (const Position& position : broker.positions(Asset::kPerp)) {
    upl = upl + position.unrealised_pnl;
    initial_margin = initial_margin + broker.margin(Asset::kPerp, position.symbol);
    maintenance = maintenance + Decimal::from_double(
                                    broker.last_price(Asset::kPerp, position.symbol).to_double() *
                                    position.quantity.to_double() * options_.maintenance_margin);
  }
  const Decimal cash = broker.cash(Asset::kSpot);
  const Decimal realised = broker.balance(Asset::kSpot).realised_pnl;
  const Decimal usdt_equity = cash + upl;
  json list = json::array();
  const auto wanted = [&](std::string_view coin) {
    return coins.empty() || coins.contains(std::string(coin));
  };
  if (wanted("USDT")) {
    list.push_back({{"coin", "USDT"},
                    {"equity", str(usdt_equity)},
                    {"usdValue", str(usdt_equity)},
                    {"walletBalance", str(cash)},
                    {"free", ""},
                    {"locked", "0"},
                    {"spotHedgingQty", "0"},
                    {"borrowAmount", "0"},
                    {"availableToWithdraw", ""},
                    {"accruedInterest", "0"},
                    {"totalOrderIM", "0"},
                    {"totalPositionIM", str(initial_margin)},
                    {"totalPositionMM", str(maintenance)},
                    {"unrealisedPnl", str(upl)},
                    {"cumRealisedPnl", str(realised)},
                    {"bonus", "0"},
                    {"marginCollateral", true},
                    {"collateralSwitch", true},
                    {"spotBorrow", "0"}});
  }
  Decimal holdings_value;
  for (const Position& holding : broker.positions(Asset::kSpot)) {
    const Decimal value = holding.quantity * broker.last_price(Asset::kSpot, holding.symbol);
    holdings_value = holdings_value + value;
    const std::string coin(holding.symbol.base());
    if (!wanted(coin)) continue;
    list.push_back({{"coin", coin},
                    {"equity", str(holding.quantity)},
                    {"usdValue", str(value)},
                    {"walletBalance", str(holding.quantity)},
                    {"free", ""},
                    {"locked", "0"},
                    {"spotHedgingQty", "0"},
                    {"borrowAmount", "0"},
                    {"availableToWithdraw", ""},
                    {"accruedInterest", "0"},
                    {"totalOrderIM", "0"},
                    {"totalPositionIM", "0"},
                    {"totalPositionMM", "0"},
                    {"unrealisedPnl", "0"},
                    {"cumRealisedPnl", "0"},
                    {"bonus", "0"},
                    {"marginCollateral", true},
                    {"collateralSwitch", true},
                    {"spotBorrow", "0"}});
  }
  const Decimal wallet_total = cash + holdings_value;
  const Decimal equity = wallet_total + upl;
  const Decimal available = cash - initial_margin + (upl.is_negative() ? upl : Decimal::zero());
  const auto rate = [](Decimal part, Decimal whole) {
    return whole.is_positive() ? fmt::format("{:.4f}", part.to_double() / whole.to_double())
                               : std::string("0");
  };
  return {{"accountType", "UNIFIED"},
          {"accountLTV", "0"},
          {"accountIMRate", rate(initial_margin, equity)},
          {"accountMMRate", rate(maintenance, equity)},
          {"totalEquity", str(equity)},
          {"totalWalletBalance", str(wallet_total)},
          {"totalMarginBalance", str(equity)},
          {"totalAvailableBalance", str(available)},
          {"totalPerpUPL", str(upl)},
          {"totalInitialMargin", str(initial_margin)},
          {"totalMaintenanceMargin", str(maintenance)},
          {"coin", list}};
}

namespace {

// The `wallet` topic's item from the REST one, in the shape Bybit pushes
// (fixtures/bybit/ws_account_wallet.json): no accountType, totalPerpUpl spelt so, and coins
// without usdValue, locked, unrealisedPnl and cumRealisedPnl but with availableToWithdraw.
json wallet_push(json item) {
  item.erase("accountType");
  item["totalPerpUpl"] = item.at("totalPerpUPL");
  item.erase("totalPerpUPL");
  for (json& coin : item.at("coin")) {
    const Decimal wallet = Decimal::parse(coin.at("walletBalance").get<std::string>());
    const Decimal held = Decimal::parse(coin.at("totalPositionIM").get<std::string>());
    coin["availableToWithdraw"] = str(wallet - held);
    coin["availableToBorrow"] = "";
    for (const char* field : {"usdValue", "locked", "unrealisedPnl", "cumRealisedPnl", "free",
                              "bonus", "marginCollateral", "collateralSwitch", "spotHedgingQty"})
      coin.erase(field);
  }
  return item;
}

}  // namespace

void Exchange::drain(Account& account) {
  account.bus.drain();
  std::vector<StreamMessage> messages = std::move(account.outbox);
  account.outbox.clear();
  bool funds_moved = false;
  for (const StreamMessage& message : messages) funds_moved |= message.topic == "execution";
  json positions = json::array();
  for (const auto& [asset, symbol] : account.touched) {
    if (asset == Asset::kPerp)
      positions.push_back(position_json(account, Symbol::parse(symbol), true));
  }
  account.touched.clear();
  if (!positions.empty()) messages.push_back({"position", std::move(positions), market_time_});
  if (funds_moved) {
    messages.push_back(
        {"wallet", json::array({wallet_push(wallet_json(account, {}))}), market_time_});
  }
  for (StreamMessage& message : messages) publish(account, std::move(message));
}

void Exchange::on_bar(Category category, const Symbol& symbol, const Bar& bar) {
  std::lock_guard lock(mutex_);
  const TimestampMs close = bar.open_time + kMinuteMs;
  if (close > clock_.now_ms()) clock_.advance_to(close);
  market_time_ = std::max(market_time_, close);
  const Asset asset = asset_of(category);
  last_bar_[{asset, symbol.canonical()}] = bar;
  for (auto& [key, account] : accounts_) {
    Account& a = *account;
    const Decimal before = a.broker.balance(asset).realised_pnl;
    const auto held = a.net.find({asset, symbol.canonical()});
    const bool was_flat = held == a.net.end() || held->second.is_zero();
    a.broker.on_bar(asset, symbol, bar);
    a.bus.drain();
    if (asset == Asset::kPerp) {
      const Decimal delta = a.broker.balance(asset).realised_pnl - before;
      if (was_flat) a.current_realised[symbol.canonical()] = Decimal::zero();
      a.realised[symbol.canonical()] = a.realised[symbol.canonical()] + delta;
      a.current_realised[symbol.canonical()] = a.current_realised[symbol.canonical()] + delta;
    }
    // IOC and FOK orders meet one bar in the simulator (its time-in-force rule).
    drain(a);
  }
}

Reply Exchange::handle(std::string_view api_key, std::string_view method, std::string_view path,
                       const QueryParams& query, const json& body) {
  std::lock_guard lock(mutex_);
  Account* account = find(api_key);
  if (account == nullptr) return Reply::error(10003, "API key is invalid.");
  const bool get = method == "GET";
  const bool post = method == "POST";
  try {
    if (post && path == "/v5/order/create") return create_order(*account, body);
    if (post && path == "/v5/order/amend") return amend_order(*account, body);
    if (post && path == "/v5/order/cancel") return cancel_order(*account, body);
    if (post && path == "/v5/order/cancel-all") return cancel_all(*account, body);
    if (get && path == "/v5/order/realtime") return orders(*account, query, false);
    if (get && path == "/v5/order/history") return orders(*account, query, true);
    if (get && path == "/v5/execution/list") return executions(*account, query);
    if (get && path == "/v5/position/list") return positions(*account, query);
    if (post && path == "/v5/position/set-leverage") return set_leverage(*account, body);
    if (post && path == "/v5/position/trading-stop") return trading_stop(*account, body);
    if (post && path == "/v5/position/switch-mode") return switch_mode(*account, body);
    if (get && path == "/v5/account/wallet-balance") return wallet_balance(*account, query);
    if (get && path == "/v5/account/fee-rate") return fee_rate(*account, query);
    if (get && path == "/v5/account/info") return account_info(*account);
    if (get && path == "/v5/user/query-api") return api_info(*account);
  } catch (const DecimalError& error) {
    return Reply::error(kParamError, std::string("params error: ") + error.what());
  } catch (const SymbolError& error) {
    return Reply::error(kParamError, std::string("params error: ") + error.what());
  }
  Reply reply = Reply::error(kRouteNotFound, "route not found");
  reply.http_status = 404;
  return reply;
}

namespace {

std::optional<Category> category_param(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  return brokers::bybit::category_from_string(*text);
}

Reply category_error(const std::optional<std::string>& text) {
  if (!text) return Reply::error(kParamError, "params error: category is required");
  return Reply::error(kParamError, "params error: category " + *text +
                                       " is not served by the local venue (spot and linear are)");
}

bool valid_link_id(std::string_view id) {
  if (id.size() > 36) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
  });
}

}  // namespace

OrderRecord* Exchange::find_order(Account& account, const json& body) {
  if (const auto id = text_field(body, "orderId"); id && !id->empty()) {
    const auto found = account.orders.find(*id);
    return found == account.orders.end() ? nullptr : &found->second;
  }
  if (const auto link = text_field(body, "orderLinkId"); link && !link->empty()) {
    const auto found = account.by_engine_id.find(*link);
    if (found == account.by_engine_id.end()) return nullptr;
    OrderRecord& order = account.orders.at(found->second);
    return order.link_id == *link ? &order : nullptr;
  }
  return nullptr;
}

Reply Exchange::create_order(Account& account, const json& body) {
  const auto category_text = text_field(body, "category");
  const auto category = category_param(category_text);
  if (!category) return category_error(category_text);
  const bool spot = *category == Category::kSpot;
  const Asset asset = asset_of(*category);
  const auto symbol_text = text_field(body, "symbol");
  if (!symbol_text || symbol_text->empty())
    return Reply::error(kParamError, "params error: symbol is required");
  const Symbol symbol = Symbol::parse(*symbol_text);
  const Decimal last = account.broker.last_price(asset, symbol);
  if (!last.is_positive()) {
    return Reply::error(spot ? 170121 : kParamError,
                        "params error: symbol " + *symbol_text + " is not traded here");
  }
  const auto side_text = text_field(body, "side");
  if (!side_text || (*side_text != "Buy" && *side_text != "Sell"))
    return Reply::error(kParamError, "params error: side must be Buy or Sell");
  const OrderSide side = *side_text == "Buy" ? OrderSide::kBuy : OrderSide::kSell;
  const auto type_text = text_field(body, "orderType");
  if (!type_text || (*type_text != "Market" && *type_text != "Limit"))
    return Reply::error(kParamError, "params error: orderType must be Market or Limit");
  const bool market = *type_text == "Market";
  const auto qty = decimal_field(body, "qty");
  if (!qty || !qty->is_positive())
    return Reply::error(kParamError, "params error: qty must be a positive number");
  const auto price = decimal_field(body, "price");
  if (!market && (!price || !price->is_positive()))
    return Reply::error(kParamError, "params error: a Limit order needs a positive price");
  std::string tif = text_field(body, "timeInForce").value_or("GTC");
  if (market) tif = "IOC";
  if (tif != "GTC" && tif != "IOC" && tif != "FOK" && tif != "PostOnly")
    return Reply::error(kParamError, "params error: timeInForce " + tif + " is not supported");
  const std::string link_id = text_field(body, "orderLinkId").value_or("");
  if (!valid_link_id(link_id)) {
    return Reply::error(kParamError,
                        "params error: orderLinkId has at most 36 characters of [A-Za-z0-9_-]");
  }
  if (!link_id.empty() && account.by_engine_id.contains(link_id)) {
    return spot ? Reply::error(kSpotDuplicateLinkId, "Duplicate clientOrderId.")
                : Reply::error(kDuplicateLinkId, "OrderLinkedID is duplicate");
  }
  const std::string order_filter = text_field(body, "orderFilter").value_or("Order");
  const auto trigger = decimal_field(body, "triggerPrice");
  if (trigger && trigger->is_negative())
    return Reply::error(kParamError, "params error: triggerPrice must not be negative");
  const bool reduce_only = !spot && bool_field(body, "reduceOnly");
  const Decimal take_profit = decimal_field(body, "takeProfit").value_or(Decimal::zero());
  const Decimal stop_loss = decimal_field(body, "stopLoss").value_or(Decimal::zero());
  if (reduce_only && (take_profit.is_positive() || stop_loss.is_positive()))
    return Reply::error(kParamError, "params error: TP/SL is not allowed with reduceOnly");

  OrderRecord order;
  order.category = *category;
  order.symbol = symbol;
  order.side = side;
  order.order_type = *type_text;
  order.price = market ? Decimal::zero() : *price;
  order.qty = *qty;
  order.time_in_force = tif;
  order.link_id = link_id;
  order.engine_id = link_id.empty() ? fmt::format("venue-{}", ++account.generated_ids) : link_id;
  order.order_id =
      fmt::format("{}-{}", account.credentials.key.substr(0, 6), ++account.generated_ids);
  order.reduce_only = reduce_only;
  order.close_on_trigger = bool_field(body, "closeOnTrigger");
  order.take_profit = take_profit;
  order.stop_loss = stop_loss;
  order.tp_trigger_by = text_field(body, "tpTriggerBy").value_or("LastPrice");
  order.sl_trigger_by = text_field(body, "slTriggerBy").value_or("LastPrice");
  order.order_filter = spot ? order_filter : "Order";
  order.last_price_on_created = last;
  order.created = order.updated = market_time_;
  if (trigger && trigger->is_positive()) {
    order.trigger_price = *trigger;
    order.stop_order_type = spot && order_filter == "tpslOrder" ? "tpslOrder" : "Stop";
    order.status_text = "Untriggered";  // a conditional order waits for its trigger
  }

  // Spot market buys are in the quote coin unless marketUnit says the base coin.
  Decimal base_qty = *qty;
  const data::InstrumentInfo rules =
      options_.instruments ? options_.instruments(asset, symbol) : data::InstrumentInfo{};
  if (spot && market && side == OrderSide::kBuy &&
      text_field(body, "marketUnit").value_or("quoteCoin") != "baseCoin") {
    const Decimal reference = order.trigger_price.is_positive() ? order.trigger_price : last;
    base_qty = *qty / reference;
    if (rules.qty_step.is_positive())
      base_qty = base_qty.round_to_step(rules.qty_step, Rounding::kFloor);
    if (!base_qty.is_positive())
      return Reply::error(170136, "Order quantity below the minimum: " + qty->to_string() +
                                      " USDT buys less than one step");
    order.qty = base_qty;
  }

  // Bybit checks the funds at create.
  const Decimal reference = order.price.is_positive() ? order.price : last;
  if (spot && side == OrderSide::kSell) {
    // The coin an open sell order holds is locked: only the rest can be sold again. A
    // tpslOrder holds its coin from the start, a StopOrder only once triggered (Bybit's rule).
    const auto held = account.broker.position(asset, symbol);
    Decimal free = held ? held->quantity : Decimal::zero();
    for (const auto& [id, open] : account.orders) {
      if (open.category == Category::kSpot && open.symbol == symbol &&
          open.side == OrderSide::kSell && open.order_filter != "StopOrder")
        free = free - open.leaves();
    }
    if (free < base_qty) return Reply::error(kSpotInsufficientBalance, "Insufficient balance.");
  } else if (!reduce_only) {
    const Balance balance = account.broker.balance(asset);
    const double lever = spot ? 1.0
                              : (account.leverage.contains(symbol.canonical())
                                     ? account.leverage.at(symbol.canonical())
                                     : options_.default_leverage);
    const Decimal needed =
        Decimal::from_double(base_qty.to_double() * reference.to_double() / lever);
    if (needed > balance.available) {
      return spot ? Reply::error(kSpotInsufficientBalance, "Insufficient balance.")
                  : Reply::error(kInsufficientBalance, "ab not enough for new order");
    }
  }

  OrderRequest request;
  request.client_order_id = order.engine_id;
  request.asset = asset;
  request.symbol = symbol;
  request.side = side;
  const bool triggered = order.trigger_price.is_positive();
  request.type = market ? (triggered ? OrderType::kStopMarket : OrderType::kMarket)
                        : (triggered ? OrderType::kStopLimit : OrderType::kLimit);
  request.quantity = base_qty;
  if (!market) request.limit_price = order.price;
  if (triggered) request.trigger_price = order.trigger_price;
  request.time_in_force = tif == "IOC"   ? TimeInForce::kImmediateOrCancel
                          : tif == "FOK" ? TimeInForce::kFillOrKill
                                         : TimeInForce::kGoodTillCancel;
  request.reduce_only = reduce_only;
  request.leverage = spot ? 1.0
                          : (account.leverage.contains(symbol.canonical())
                                 ? account.leverage.at(symbol.canonical())
                                 : options_.default_leverage);
  request.stop_loss = stop_loss;
  request.take_profit = take_profit;
  request.trigger = order.sl_trigger_by == "MarkPrice" ? TriggerPrice::kMark : TriggerPrice::kLast;
  request.created_at = market_time_;

  // A PostOnly order that would take is cancelled at once, as Bybit does.
  const bool takes =
      !market && (side == OrderSide::kBuy ? order.price >= last : order.price <= last);
  const bool post_only_takes = tif == "PostOnly" && takes;

  account.by_engine_id[order.engine_id] = order.order_id;
  account.order_sequence.push_back(order.order_id);
  OrderRecord& stored = account.orders[order.order_id] = std::move(order);
  while (account.order_sequence.size() > kMaxRecords) {
    const auto oldest = account.orders.find(account.order_sequence.front());
    if (oldest != account.orders.end() && oldest->second.open()) break;
    if (oldest != account.orders.end()) {
      account.by_engine_id.erase(oldest->second.engine_id);
      account.orders.erase(oldest);
    }
    account.order_sequence.pop_front();
  }
  if (post_only_takes) {
    stored.status = OrderStatus::kCancelled;
    stored.status_text = "Cancelled";
    stored.cancel_type = "CancelByUser";
    stored.reject_reason = "EC_PostOnlyWillTakeLiquidity";
    publish(account, {"order", json::array({order_json(stored, true)}), market_time_});
    return Reply::ok({{"orderId", stored.order_id}, {"orderLinkId", stored.link_id}});
  }
  account.broker.submit(brokers::RouterKey{}, request);
  account.bus.drain();
  if (const auto rejected = account.rejections.find(request.client_order_id);
      rejected != account.rejections.end()) {
    const brokers::BrokerFailure failure = rejected->second;
    account.rejections.erase(rejected);
    account.by_engine_id.erase(stored.engine_id);
    account.order_sequence.pop_back();
    const std::string order_id = stored.order_id;
    account.orders.erase(order_id);
    int code = failure.code;
    if (!spot && code >= 170000 && code < 180000) code = code == 170140 ? 110094 : kParamError;
    if (spot && code == kParamError && failure.message.starts_with("spot cannot sell"))
      code = kSpotInsufficientBalance;
    return Reply::error(code, failure.message);
  }
  publish(account, {"order", json::array({order_json(stored, true)}), market_time_});
  drain(account);
  return Reply::ok({{"orderId", stored.order_id}, {"orderLinkId", stored.link_id}});
}

std::optional<Reply> Exchange::find_open_order(Account& account, const json& body,
                                               std::string_view action, OrderRecord*& order) {
  const auto category_text = text_field(body, "category");
  const auto category = category_param(category_text);
  if (!category) return category_error(category_text);
  order = find_order(account, body);
  if (order != nullptr && order->open() && order->category == *category) return std::nullopt;
  if (*category == Category::kSpot)
    return Reply::error(kSpotOrderNotFound, "Order does not exist.");
  return Reply::error(kOrderNotFound, fmt::format("order not exists or too late to {}", action));
}

Reply Exchange::amend_order(Account& account, const json& body) {
  OrderRecord* order = nullptr;
  if (std::optional<Reply> refused = find_open_order(account, body, "replace", order))
    return *refused;
  if (body.contains("takeProfit") || body.contains("stopLoss")) {
    return Reply::error(kParamError,
                        "params error: the local venue amends qty, price and triggerPrice; set "
                        "TP/SL of a position with /v5/position/trading-stop");
  }
  brokers::AmendRequest request;
  request.client_order_id = order->engine_id;
  request.asset = asset_of(order->category);
  request.symbol = order->symbol;
  request.quantity = decimal_field(body, "qty");
  request.limit_price = decimal_field(body, "price");
  request.trigger_price = decimal_field(body, "triggerPrice");
  if (!request.quantity && !request.limit_price && !request.trigger_price)
    return Reply::error(kNotModified, "order not modified");
  account.broker.amend(brokers::RouterKey{}, request);
  account.bus.drain();
  if (const auto rejected = account.rejections.find(request.client_order_id);
      rejected != account.rejections.end()) {
    const brokers::BrokerFailure failure = rejected->second;
    account.rejections.erase(rejected);
    return Reply::error(failure.code == 110001 ? kOrderNotFound : kParamError, failure.message);
  }
  drain(account);
  return Reply::ok({{"orderId", order->order_id}, {"orderLinkId", order->link_id}});
}

Reply Exchange::cancel_order(Account& account, const json& body) {
  OrderRecord* order = nullptr;
  if (std::optional<Reply> refused = find_open_order(account, body, "cancel", order))
    return *refused;
  account.broker.cancel(brokers::RouterKey{},
                        {order->engine_id, asset_of(order->category), order->symbol});
  drain(account);
  return Reply::ok({{"orderId", order->order_id}, {"orderLinkId", order->link_id}});
}

Reply Exchange::cancel_all(Account& account, const json& body) {
  const auto category_text = text_field(body, "category");
  const auto category = category_param(category_text);
  if (!category) return category_error(category_text);
  const auto symbol = text_field(body, "symbol");
  const auto base = text_field(body, "baseCoin");
  json list = json::array();
  std::vector<OrderRecord*> targets;
  for (auto& [id, order] : account.orders) {
    if (!order.open() || order.category != *category) continue;
    if (symbol && !symbol->empty() && order.symbol.canonical() != *symbol) continue;
    if (base && !base->empty() && order.symbol.base() != *base) continue;
    targets.push_back(&order);
  }
  for (OrderRecord* order : targets) {
    account.broker.cancel(brokers::RouterKey{},
                          {order->engine_id, asset_of(order->category), order->symbol});
    list.push_back({{"orderId", order->order_id}, {"orderLinkId", order->link_id}});
  }
  drain(account);
  return Reply::ok({{"list", list}, {"success", "1"}});
}

Reply Exchange::orders(Account& account, const QueryParams& query, bool history) {
  const auto category_text = query_value(query, "category");
  const auto category = category_param(category_text);
  if (!category) return category_error(category_text);
  const auto symbol = query_value(query, "symbol");
  const auto base = query_value(query, "baseCoin");
  const auto order_id = query_value(query, "orderId");
  const auto link_id = query_value(query, "orderLinkId");
  const auto filter = query_value(query, "orderFilter");
  const auto status = query_value(query, "orderStatus");
  const bool by_id = order_id || link_id;
  const bool open_only = query_value(query, "openOnly").value_or("0") == "0";
  const int limit = page_limit(query, 20, 50);
  const std::size_t offset = cursor_offset(query);
  std::vector<const OrderRecord*> matching;
  for (auto it = account.order_sequence.rbegin(); it != account.order_sequence.rend(); ++it) {
    const auto found = account.orders.find(*it);
    if (found == account.orders.end()) continue;
    const OrderRecord& order = found->second;
    if (order.category != *category) continue;
    if (symbol && order.symbol.canonical() != *symbol) continue;
    if (base && order.symbol.base() != *base) continue;
    if (order_id && order.order_id != *order_id) continue;
    if (link_id && order.link_id != *link_id) continue;
    if (filter && order.category == Category::kSpot && order.order_filter != *filter) continue;
    if (status && order.status_text != *status) continue;
    if (!by_id && !history && open_only != order.open()) continue;
    matching.push_back(&order);
  }
  json list = json::array();
  for (std::size_t i = offset; i < matching.size() && list.size() < static_cast<std::size_t>(limit);
       ++i)
    list.push_back(order_json(*matching[i], false));
  const std::size_t next = offset + list.size();
  return Reply::ok({{"category", std::string(brokers::bybit::to_string(*category))},
                    {"nextPageCursor", next < matching.size() ? std::to_string(next) : ""},
                    {"list", list}});
}

Reply Exchange::executions(Account& account, const QueryParams& query) {
  const auto category_text = query_value(query, "category");
  const auto category = category_param(category_text);
  if (!category) return category_error(category_text);
  const std::string category_name(brokers::bybit::to_string(*category));
  const auto symbol = query_value(query, "symbol");
  const auto order_id = query_value(query, "orderId");
  const auto link_id = query_value(query, "orderLinkId");
  const auto exec_type = query_value(query, "execType");
  const auto start = query_value(query, "startTime");
  const auto end = query_value(query, "endTime");
  const auto start_time = start ? integer(*start) : std::nullopt;
  const auto end_time = end ? integer(*end) : std::nullopt;
  if ((start && !start_time) || (end && !end_time))
    return Reply::error(kParamError, "params error: startTime and endTime are ms timestamps");
  const int limit = page_limit(query, 50, 100);
  const std::size_t offset = cursor_offset(query);
  std::vector<const json*> matching;
  for (auto it = account.executions.rbegin(); it != account.executions.rend(); ++it) {
    const json& e = *it;
    if (e.at("category") != category_name) continue;
    if (symbol && e.at("symbol") != *symbol) continue;
    if (order_id && e.at("orderId") != *order_id) continue;
    if (link_id && e.at("orderLinkId") != *link_id) continue;
    if (exec_type && e.at("execType") != *exec_type) continue;
    const int64_t time = integer(e.at("execTime").get<std::string>()).value_or(0);
    if (start_time && time < *start_time) continue;
    if (end_time && time > *end_time) continue;
    matching.push_back(&e);
  }
  json list = json::array();
  for (std::size_t i = offset; i < matching.size() && list.size() < static_cast<std::size_t>(limit);
       ++i) {
    json item = *matching[i];
    for (const char* stream_only : {"category", "execPnl", "isLeverage", "marketUnit"})
      item.erase(stream_only);
    list.push_back(std::move(item));
  }
  const std::size_t next = offset + list.size();
  return Reply::ok({{"category", category_name},
                    {"nextPageCursor", next < matching.size() ? std::to_string(next) : ""},
                    {"list", list}});
}

Reply Exchange::positions(Account& account, const QueryParams& query) {
  const auto category_text = query_value(query, "category");
  const auto category = category_param(category_text);
  if (category == Category::kSpot)
    return Reply::error(kParamError, "params error: category only support linear");
  if (!category) return category_error(category_text);
  const auto symbol = query_value(query, "symbol");
  const auto settle = query_value(query, "settleCoin");
  if (!symbol && !settle)
    return Reply::error(kParamError, "params error: symbol or settleCoin is required");
  json list = json::array();
  if (symbol) {
    list.push_back(position_json(account, Symbol::parse(*symbol), false));
  } else if (*settle == "USDT") {
    for (const Position& position : account.broker.positions(Asset::kPerp))
      list.push_back(position_json(account, position.symbol, false));
  }
  return Reply::ok({{"category", "linear"}, {"nextPageCursor", ""}, {"list", list}});
}

Reply Exchange::set_leverage(Account& account, const json& body) {
  if (text_field(body, "category").value_or("") != "linear")
    return Reply::error(kParamError, "params error: category only support linear");
  const auto symbol = text_field(body, "symbol");
  const auto buy = decimal_field(body, "buyLeverage");
  const auto sell = decimal_field(body, "sellLeverage");
  if (!symbol || !buy || !sell)
    return Reply::error(kParamError,
                        "params error: symbol, buyLeverage and sellLeverage are required");
  if (*buy != *sell)
    return Reply::error(kParamError,
                        "params error: buyLeverage must equal sellLeverage in one-way mode");
  const double leverage = buy->to_double();
  if (leverage < 1 || leverage > options_.max_leverage) {
    return Reply::error(kParamError, fmt::format("params error: leverage must be in [1, {}]",
                                                 options_.max_leverage));
  }
  const auto current = account.leverage.find(*symbol);
  const double before =
      current == account.leverage.end() ? options_.default_leverage : current->second;
  if (before == leverage) return Reply::error(kLeverageNotModified, "leverage not modified");
  account.leverage[*symbol] = leverage;
  return Reply::ok(json::object());
}

Reply Exchange::trading_stop(Account& account, const json& body) {
  if (text_field(body, "category").value_or("") != "linear")
    return Reply::error(kParamError, "params error: category only support linear");
  const auto symbol_text = text_field(body, "symbol");
  if (!symbol_text) return Reply::error(kParamError, "params error: symbol is required");
  const Symbol symbol = Symbol::parse(*symbol_text);
  const std::string mode = text_field(body, "tpslMode").value_or("Full");
  if (mode != "Full")
    return Reply::error(kParamError, "params error: the local venue supports tpslMode Full only");
  const auto position = account.broker.position(Asset::kPerp, symbol);
  if (!position) return Reply::error(kParamError, "can not set tp/sl/ts for zero position");
  const auto take_profit = decimal_field(body, "takeProfit");
  const auto stop_loss = decimal_field(body, "stopLoss");
  const std::string trigger_by =
      text_field(body, "slTriggerBy").value_or(text_field(body, "tpTriggerBy").value_or(""));
  brokers::ProtectionRequest request;
  request.protection_id = fmt::format("ts-{}", ++account.generated_ids);
  request.asset = Asset::kPerp;
  request.symbol = symbol;
  request.position_side = position->side;
  request.quantity = position->quantity;
  request.take_profit = take_profit.value_or(position->take_profit);
  request.stop_loss = stop_loss.value_or(position->stop_loss);
  request.trigger = trigger_by.empty()          ? position->trigger
                    : trigger_by == "MarkPrice" ? TriggerPrice::kMark
                                                : TriggerPrice::kLast;
  if (request.take_profit == position->take_profit && request.stop_loss == position->stop_loss &&
      request.trigger == position->trigger)
    return Reply::error(kNotModified, "not modified");
  const bool long_side = position->side == OrderSide::kBuy;
  const Decimal mark = account.broker.last_price(Asset::kPerp, symbol);
  if (request.stop_loss.is_positive() &&
      (long_side ? request.stop_loss >= mark : request.stop_loss <= mark)) {
    return Reply::error(kParamError, fmt::format("StopLoss:{} set for {} position should be {} "
                                                 "than base_price:{}",
                                                 request.stop_loss, long_side ? "Buy" : "Sell",
                                                 long_side ? "lower" : "higher", mark));
  }
  if (request.take_profit.is_positive() &&
      (long_side ? request.take_profit <= mark : request.take_profit >= mark)) {
    return Reply::error(kParamError, fmt::format("TakeProfit:{} set for {} position should be {} "
                                                 "than base_price:{}",
                                                 request.take_profit, long_side ? "Buy" : "Sell",
                                                 long_side ? "higher" : "lower", mark));
  }
  account.broker.set_protection(brokers::ProtectionKey{}, request);
  account.touched.insert({Asset::kPerp, symbol.canonical()});
  drain(account);
  return Reply::ok(json::object());
}

Reply Exchange::switch_mode(Account&, const json& body) {
  const auto mode = text_field(body, "mode");
  if (mode == "0") return Reply::error(110025, "Position mode is not modified");
  return Reply::error(kParamError, "params error: the local venue runs one-way mode (mode 0) only");
}

Reply Exchange::wallet_balance(Account& account, const QueryParams& query) {
  if (query_value(query, "accountType").value_or("") != "UNIFIED")
    return Reply::error(kParamError, "params error: accountType only support UNIFIED");
  std::set<std::string> coins;
  if (const auto coin = query_value(query, "coin")) {
    std::string_view rest = *coin;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      coins.insert(std::string(rest.substr(0, comma)));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  return Reply::ok({{"list", json::array({wallet_json(account, coins)})}});
}

Reply Exchange::fee_rate(Account& account, const QueryParams& query) {
  const auto category_text = query_value(query, "category");
  const auto category = category_param(category_text);
  if (!category) return category_error(category_text);
  const Asset asset = asset_of(*category);
  const config::FeeRates& rates = options_.fees[static_cast<std::size_t>(asset)];
  const auto symbol = query_value(query, "symbol");
  std::set<std::string> symbols;
  if (symbol) {
    symbols.insert(*symbol);
  } else {
    for (const auto& [key, seen] : last_bar_) {
      if (key.first == asset) symbols.insert(key.second);
    }
  }
  json list = json::array();
  for (const std::string& name : symbols) {
    list.push_back({{"symbol", name},
                    {"takerFeeRate", str(rates.taker)},
                    {"makerFeeRate", str(rates.maker)},
                    {"baseCoin", ""}});
  }
  (void)account;
  return Reply::ok({{"list", list}});
}

Reply Exchange::account_info(Account&) {
  return Reply::ok({{"marginMode", "REGULAR_MARGIN"},
                    {"updatedTime", std::to_string(market_time_)},
                    {"unifiedMarginStatus", 6},
                    {"dcpStatus", "OFF"},
                    {"timeWindow", 10},
                    {"smpGroup", 0},
                    {"isMasterTrader", false},
                    {"spotHedgingStatus", "OFF"}});
}

Reply Exchange::api_info(Account& account) {
  return Reply::ok({{"id", "1"},
                    {"note", "gauntlet local venue"},
                    {"apiKey", account.credentials.key},
                    {"readOnly", 0},
                    {"secret", ""},
                    {"permissions",
                     {{"ContractTrade", json::array({"Order", "Position"})},
                      {"Spot", json::array({"SpotTrade"})},
                      {"Wallet", json::array()},
                      {"Options", json::array()},
                      {"Derivatives", json::array({"DerivativesTrade"})},
                      {"Exchange", json::array()}}},
                    {"ips", json::array({"*"})},
                    {"type", 1},
                    {"deadlineDay", -1},
                    {"expiredAt", ""},
                    {"createdAt", ""},
                    {"unified", 0},
                    {"uta", 1},
                    {"userID", 1},
                    {"inviterID", 0},
                    {"vipLevel", "No VIP"},
                    {"mktMakerLevel", "0"},
                    {"affiliateID", 0},
                    {"rsaPublicKey", ""},
                    {"isMaster", true},
                    {"parentUid", "0"},
                    {"kycLevel", "LEVEL_DEFAULT"},
                    {"kycRegion", ""}});
}

}  // namespace gauntlet::venues::bybit
