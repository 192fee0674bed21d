// File: brokers/bybit/bybit_broker.cpp
#include "brokers/bybit/bybit_broker.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

#include "core/logging.hpp"

namespace gauntlet::brokers::bybit {
namespace {

Category category_for(Asset asset) {
  return category_of(asset).value_or(Category::kLinear);
}

Priority order_priority(const OrderRequest& request) {
  return request.reduce_only || !request.exit_reason.empty() ? Priority::kExit : Priority::kEntry;
}

std::string_view trigger_by(TriggerPrice trigger) {
  return trigger == TriggerPrice::kMark ? "MarkPrice" : "LastPrice";
}

std::string_view time_in_force(TimeInForce tif) {
  switch (tif) {
    case TimeInForce::kGoodTillCancel:
      return "GTC";
    case TimeInForce::kImmediateOrCancel:
      return "IOC";
    case TimeInForce::kFillOrKill:
      return "FOK";
    case TimeInForce::kPostOnly:
      return "PostOnly";
  }
  return "GTC";
}

// What a failed call says: the venue's failure, or for an answer that could not be read a
// retryable failure (the request's fate is unknown: the caller reads the order back).
template <class T>
BrokerFailure failure_of(const Parsed<T>& parsed) {
  if (parsed.status == ParseStatus::kVenueError) return parsed.failure;
  return transport_failure("unreadable answer: " + parsed.reason);
}

std::shared_ptr<spdlog::logger> logger() {
  static const std::shared_ptr<spdlog::logger> log = module_logger("bybit_broker");
  return log;
}

// A trigger level onto the instrument's tick (unchanged without one, or for no level).
Decimal on_tick(const data::InstrumentInfo& rules, Decimal level) {
  return rules.tick_size.is_positive() && level.is_positive() ? level.round_to_step(rules.tick_size)
                                                              : level;
}

BrokerFailure config_failure(std::string message) {
  BrokerFailure failure;
  failure.code = 10001;
  failure.message = std::move(message);
  failure.error_class = ErrorClass::kRejected;
  return failure;
}

}  // namespace

BybitBroker::BybitBroker(EventBus& bus, asio::io_context& loop, const Clock& clock,
                         BybitBrokerConfig config)
    : bus_(bus),
      loop_(loop),
      clock_(clock),
      config_(std::move(config)),
      budget_(std::make_shared<RequestBudget>(loop, bybit_budget_config())),
      rest_(loop, config_.rest, budget_),
      tracker_(bus),
      ws_(loop, config_.ws, *this) {
  ws_.on_state([this](bool connected, std::string reason) {
    bus_.publish(BrokerConnectionChanged{std::string(kVenue), connected, std::move(reason),
                                         clock_.now_ms()});
  });
  ws_.on_reconnected([this] { spawn(catch_up()); });
  // A spot holding sold whole (by one of its protection orders, or by the engine's exit): the
  // protection orders left go with it.
  subscriptions_.push_back(bus_.subscribe<ProtectionTriggered>([this](const auto& event) {
    if (event.venue == kVenue && event.asset == Asset::kSpot) on_spot_sold(event.symbol);
  }));
  subscriptions_.push_back(bus_.subscribe<OrderFilled>([this](const OrderFilled& event) {
    if (event.venue != kVenue || event.status != OrderStatus::kFilled) return;
    if (spot_exits_.erase(event.fill.client_order_id) > 0) on_spot_sold(event.fill.symbol);
  }));
}

BybitBroker::~BybitBroker() {
  *alive_ = false;
  ws_.stop();
}

void BybitBroker::spawn(asio::awaitable<void> work) {
  asio::co_spawn(loop_, std::move(work), [](std::exception_ptr error) {
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      logger()->error("request failed: {}", e.what());
    }
  });
}

void BybitBroker::start() {
  started_at_ = clock_.now_ms();
  ws_.start();
  spawn([](BybitBroker* self, std::shared_ptr<bool> alive) -> asio::awaitable<void> {
    co_await self->rest_.sync_clock(Priority::kProtection);
    if (!*alive) co_return;
    // One-way position mode only: a hedge-mode position (positionIdx 1 or 2) is refused.
    const Parsed<Page<VenuePosition>> positions = co_await self->rest_.positions(Priority::kExit);
    if (!*alive || !positions) co_return;
    for (const VenuePosition& position : positions.value.items) {
      if (position.position_idx != 0) {
        logger()->error("the account is in hedge mode ({}); Gauntlet trades one-way",
                        position.symbol.canonical());
        self->bus_.publish(BrokerConnectionChanged{
            std::string(kVenue), false,
            "the account is in hedge mode (positionIdx 1/2): switch it to one-way",
            self->clock_.now_ms()});
        co_return;
      }
    }
  }(this, alive_));
}

void BybitBroker::stop() {
  ws_.stop();
}

bool BybitBroker::connected() const {
  return ws_.connected();
}

BrokerCapabilities BybitBroker::capabilities(Asset asset) const {
  BrokerCapabilities capabilities;
  const bool linear = asset == Asset::kPerp;
  capabilities.position_tp_sl = true;  // linear: trading-stop; spot: conditional sells
  capabilities.entry_tp_sl = linear;
  capabilities.reduce_only = linear;
  capabilities.mark_price_triggers = linear;
  capabilities.partial_fills = true;
  capabilities.amend = true;
  return capabilities;
}

OrderRequest BybitBroker::on_venue_grid(const OrderRequest& request) const {
  OrderRequest grid = request;
  const data::InstrumentInfo rules = config_.instruments
                                         ? config_.instruments(request.asset, request.symbol)
                                         : data::InstrumentInfo{};
  if (rules.qty_step.is_positive())
    grid.quantity = request.quantity.round_to_step(rules.qty_step, Rounding::kFloor);
  if (request.asset == Asset::kSpot && request.side == OrderSide::kSell) {
    // Bybit charges a spot buy's fee in the coin bought: sell no more than the wallet holds.
    const auto held = coins_.find(std::string(request.symbol.base()));
    if (held != coins_.end() && held->second < grid.quantity) {
      grid.quantity = rules.qty_step.is_positive()
                          ? held->second.round_to_step(rules.qty_step, Rounding::kFloor)
                          : held->second;
    }
  }
  const Decimal tick = rules.tick_size;
  if (tick.is_positive()) {
    const Rounding limit_side =
        request.side == OrderSide::kBuy ? Rounding::kFloor : Rounding::kCeil;
    if (grid.limit_price) grid.limit_price = grid.limit_price->round_to_step(tick, limit_side);
    if (grid.trigger_price) grid.trigger_price = grid.trigger_price->round_to_step(tick);
    if (grid.stop_loss.is_positive()) grid.stop_loss = grid.stop_loss.round_to_step(tick);
    if (grid.take_profit.is_positive()) grid.take_profit = grid.take_profit.round_to_step(tick);
  }
  return grid;
}

void BybitBroker::reject(const std::string& client_order_id, Asset asset, const Symbol& symbol,
                         BrokerFailure failure) {
  bus_.publish(OrderRejected{std::string(kVenue), client_order_id, asset, symbol,
                             std::move(failure), clock_.now_ms()});
}

void BybitBroker::submit(RouterKey, const OrderRequest& request) {
  if (!category_of(request.asset)) {
    reject(request.client_order_id, request.asset, request.symbol,
           config_failure("Bybit trades spot and perpetuals only"));
    return;
  }
  const OrderRequest grid = on_venue_grid(request);
  if (!grid.quantity.is_positive()) {
    reject(request.client_order_id, request.asset, request.symbol,
           config_failure(fmt::format("quantity {} is below one step of {}", request.quantity,
                                      request.symbol.canonical())));
    return;
  }
  categories_used_.insert(category_for(request.asset));
  if (request.asset == Asset::kSpot && request.reduce_only)
    spot_exits_.insert(grid.client_order_id);
  tracker_.sent(grid);
  spawn(send_order(grid));
}

asio::awaitable<void> BybitBroker::send_order(OrderRequest request) {
  const std::shared_ptr<bool> alive = alive_;
  const Category category = category_for(request.asset);
  const bool linear = category == Category::kLinear;
  // Leverage matters to what opens a position; a close must not wait on it.
  if (linear && !request.reduce_only && !leverage_set_.contains(request.symbol.canonical())) {
    const double leverage = request.leverage > 1 ? request.leverage : config_.perp_leverage;
    const Parsed<Applied> set = co_await rest_.set_leverage(
        request.symbol, Decimal::from_double(leverage), order_priority(request));
    if (!*alive) co_return;
    if (set) leverage_set_.insert(request.symbol.canonical());
  }
  CreateOrderRequest order;
  order.category = category;
  order.symbol = request.symbol;
  order.side = request.side;
  const bool stop = request.type == OrderType::kStopMarket || request.type == OrderType::kStopLimit;
  order.order_type = request.type == OrderType::kLimit || request.type == OrderType::kStopLimit
                         ? OrderType::kLimit
                         : OrderType::kMarket;
  order.qty = request.quantity;
  if (order.order_type == OrderType::kLimit) order.price = request.limit_price;
  order.time_in_force = std::string(time_in_force(request.time_in_force));
  order.order_link_id = request.client_order_id;
  if (stop && request.trigger_price) {
    order.trigger_price = request.trigger_price;
    order.trigger_direction = request.side == OrderSide::kBuy ? 1 : 2;  // a stop: rises / falls
  }
  if (linear) {
    order.reduce_only = request.reduce_only;
    order.position_idx = 0;
    if (!request.reduce_only && request.take_profit.is_positive()) {
      order.take_profit = request.take_profit;
      order.tp_trigger_by = std::string(trigger_by(request.trigger));
    }
    if (!request.reduce_only && request.stop_loss.is_positive()) {
      order.stop_loss = request.stop_loss;
      order.sl_trigger_by = std::string(trigger_by(request.trigger));
    }
  } else if (order.order_type == OrderType::kMarket) {
    order.market_unit = "baseCoin";
  }
  const Parsed<OrderAck> ack = co_await rest_.create_order(order, order_priority(request));
  if (!*alive) co_return;
  if (ack) {
    tracker_.acknowledged(request.client_order_id, ack.value.order_id, clock_.now_ms());
    co_return;
  }
  const BrokerFailure failure = failure_of(ack);
  if (failure.error_class == ErrorClass::kDuplicate || ack.status == ParseStatus::kMalformed) {
    // The venue has this orderLinkId (or its answer was lost): track its order, never send it
    // again.
    co_await read_back(category, request.symbol, request.client_order_id);
    co_return;
  }
  reject(request.client_order_id, request.asset, request.symbol, failure);
}

asio::awaitable<void> BybitBroker::read_back(Category category, Symbol symbol,
                                             std::string client_order_id) {
  const std::shared_ptr<bool> alive = alive_;
  const Parsed<std::optional<VenueOrder>> record =
      co_await rest_.order_by_link_id(category, symbol, client_order_id, Priority::kExit);
  if (!*alive) co_return;
  if (record && record.value) tracker_.on_order(*record.value);
}

void BybitBroker::cancel(RouterKey, const CancelRequest& request) {
  spawn(send_cancel(request));
}

asio::awaitable<void> BybitBroker::send_cancel(CancelRequest request) {
  const std::shared_ptr<bool> alive = alive_;
  const Category category = category_for(request.asset);
  CancelOrderRequest cancel;
  cancel.category = category;
  cancel.symbol = request.symbol;
  cancel.order_link_id = request.client_order_id;
  const Parsed<OrderAck> ack = co_await rest_.cancel_order(cancel, Priority::kCancel);
  if (!*alive) co_return;
  if (!ack) {
    // Not open (110001, 170213), or refused: the order's record says which; the router hears
    // a rejection of the cancel either way.
    reject(request.client_order_id, request.asset, request.symbol, failure_of(ack));
  }
  co_await read_back(category, request.symbol, request.client_order_id);
}

void BybitBroker::amend(RouterKey, const AmendRequest& request) {
  spawn(send_amend(request));
}

asio::awaitable<void> BybitBroker::send_amend(AmendRequest request) {
  const std::shared_ptr<bool> alive = alive_;
  const Category category = category_for(request.asset);
  AmendOrderRequest amend;
  amend.category = category;
  amend.symbol = request.symbol;
  amend.order_link_id = request.client_order_id;
  amend.qty = request.quantity;
  amend.price = request.limit_price;
  amend.trigger_price = request.trigger_price;
  const Parsed<OrderAck> ack = co_await rest_.amend_order(amend, order_priority({}));
  if (!*alive) co_return;
  if (!ack) {
    reject(request.client_order_id, request.asset, request.symbol, failure_of(ack));
    co_return;
  }
  co_await read_back(category, request.symbol, request.client_order_id);
}

void BybitBroker::set_protection(ProtectionKey, const ProtectionRequest& request) {
  if (request.asset == Asset::kSpot) return spawn(send_spot_protection(request));
  if (request.asset != Asset::kPerp) {
    BrokerFailure failure = config_failure("Bybit trades spot and perpetuals only");
    failure.error_class = ErrorClass::kFatal;
    bus_.publish(ProtectionRejected{std::string(kVenue), request.protection_id, request.asset,
                                    request.symbol, std::move(failure), clock_.now_ms()});
    return;
  }
  spawn(send_protection(request));
}

std::string BybitBroker::protection_link(std::string_view prefix) {
  if (protection_salt_.empty()) {
    std::random_device entropy;
    protection_salt_ = fmt::format("{:08x}", entropy());
  }
  return fmt::format("{}{}-{:x}", prefix, protection_salt_, ++protection_sequence_);
}

Decimal BybitBroker::min_order_quantity(const Symbol& symbol) const {
  return config_.instruments ? config_.instruments(Asset::kSpot, symbol).min_order_quantity()
                             : Decimal::zero();
}

asio::awaitable<void> BybitBroker::send_spot_protection(ProtectionRequest request) {
  const std::shared_ptr<bool> alive = alive_;
  categories_used_.insert(Category::kSpot);
  const data::InstrumentInfo rules = config_.instruments
                                         ? config_.instruments(Asset::kSpot, request.symbol)
                                         : data::InstrumentInfo{};
  // The holding as the wallet has it (a buy's fee is taken in the coin), on the step.
  Decimal quantity = request.quantity;
  const auto held = coins_.find(std::string(request.symbol.base()));
  if (held != coins_.end() && held->second < quantity) quantity = held->second;
  if (rules.qty_step.is_positive())
    quantity = quantity.round_to_step(rules.qty_step, Rounding::kFloor);
  const Decimal stop_loss = on_tick(rules, request.stop_loss);
  const Decimal take_profit = on_tick(rules, request.take_profit);
  const auto refuse = [&](BrokerFailure failure) {
    bus_.publish(ProtectionRejected{std::string(kVenue), request.protection_id, request.asset,
                                    request.symbol, std::move(failure), clock_.now_ms()});
  };
  if (request.position_side != OrderSide::kBuy || !quantity.is_positive() ||
      !stop_loss.is_positive() || !take_profit.is_positive()) {
    refuse(config_failure(fmt::format(
        "spot protection needs a holding of at least one step and both levels ({} {} {}, "
        "stop {} target {})",
        to_string(request.position_side), quantity, request.symbol.canonical(), stop_loss,
        take_profit)));
    co_return;
  }
  SpotProtection next{protection_link(kSpotStopLossPrefix), protection_link(kSpotTakeProfitPrefix),
                      stop_loss, take_profit, protection_sequence_};
  placing_.insert(next.stop_link);
  placing_.insert(next.target_link);
  // A sell stop falls to its trigger (direction 2), a take profit rises to it (1).
  std::optional<BrokerFailure> failure =
      co_await place_spot_trigger(request.symbol, quantity, stop_loss, 2, next.stop_link);
  if (!*alive) co_return;
  if (!failure) {
    failure =
        co_await place_spot_trigger(request.symbol, quantity, take_profit, 1, next.target_link);
    if (!*alive) co_return;
  }
  placing_.erase(next.stop_link);
  placing_.erase(next.target_link);
  const std::string key = request.symbol.canonical();
  const auto current = spot_protection_.find(key);
  if (failure || (current != spot_protection_.end() && current->second.sequence > next.sequence)) {
    // Refused (the pair is withdrawn whole), or overtaken by a later set_protection.
    std::vector<std::string> withdrawn{next.stop_link, next.target_link};  // named: GCC 12
    co_await cancel_spot_orders(request.symbol, std::move(withdrawn));
    if (failure) refuse(*failure);
    co_return;
  }
  std::vector<std::string> previous;
  if (current != spot_protection_.end()) {
    previous = {current->second.stop_link, current->second.target_link};
  }
  spot_protection_[key] = next;
  logger()->info("spot protection set symbol={} quantity={} stop={} target={} orders={},{}", key,
                 quantity, stop_loss, take_profit, next.stop_link, next.target_link);
  bus_.publish(ProtectionSet{std::string(kVenue), request.protection_id, request.asset,
                             request.symbol, stop_loss, take_profit, request.trigger,
                             clock_.now_ms()});
  if (!previous.empty()) co_await cancel_spot_orders(request.symbol, std::move(previous));
}

asio::awaitable<std::optional<BrokerFailure>> BybitBroker::place_spot_trigger(
    Symbol symbol, Decimal quantity, Decimal trigger, int direction, std::string link_id) {
  CreateOrderRequest order;
  order.category = Category::kSpot;
  order.symbol = symbol;
  order.side = OrderSide::kSell;
  order.order_type = OrderType::kMarket;
  order.qty = quantity;
  order.trigger_price = trigger;
  order.trigger_direction = direction;
  order.order_link_id = link_id;
  order.market_unit = "baseCoin";
  order.order_filter = "StopOrder";
  const Parsed<OrderAck> ack = co_await rest_.create_order(order, Priority::kProtection);
  if (ack) co_return std::nullopt;
  BrokerFailure failure = failure_of(ack);
  // The orderLinkId is the venue's already: an earlier attempt placed it.
  if (failure.error_class == ErrorClass::kDuplicate) co_return std::nullopt;
  co_return failure;
}

asio::awaitable<void> BybitBroker::cancel_spot_orders(Symbol symbol,
                                                      std::vector<std::string> link_ids) {
  const std::shared_ptr<bool> alive = alive_;
  for (const std::string& link_id : link_ids) {
    CancelOrderRequest cancel;
    cancel.category = Category::kSpot;
    cancel.symbol = symbol;
    cancel.order_link_id = link_id;
    cancel.order_filter = "StopOrder";
    const Parsed<OrderAck> ack = co_await rest_.cancel_order(cancel, Priority::kCancel);
    if (!*alive) co_return;
    if (!ack) {
      logger()->info("spot protection order {} of {} not cancelled (gone already?): {}", link_id,
                     symbol.canonical(), failure_of(ack).message);
    }
  }
}

void BybitBroker::drop_protection_of_sold_coins(const std::map<std::string, Decimal>& coins) {
  std::vector<Symbol> sold;
  for (const auto& [key, protection] : spot_protection_) {
    const Symbol symbol = Symbol::parse(key);
    const auto held = coins.find(std::string(symbol.base()));
    // A coin not in this push is unknown: its protection stays.
    if (held != coins.end() &&
        (!held->second.is_positive() || held->second < min_order_quantity(symbol)))
      sold.push_back(symbol);
  }
  for (const Symbol& symbol : sold) on_spot_sold(symbol);
}

void BybitBroker::settle_spot_protection(const std::vector<VenueOrder>& stop_orders,
                                         std::vector<Position>& holdings) {
  std::map<std::string, std::vector<const VenueOrder*>> listed;  // protection orders by symbol
  for (const VenueOrder& order : stop_orders) {
    if (spot_protection_kind(order.order_link_id) && !placing_.contains(order.order_link_id))
      listed[order.symbol.canonical()].push_back(&order);
  }
  const auto newest = [](const std::vector<const VenueOrder*>& orders,
                         ProtectionTriggered::Kind kind) -> const VenueOrder* {
    const VenueOrder* found = nullptr;
    for (const VenueOrder* order : orders) {
      if (spot_protection_kind(order->order_link_id) != kind) continue;
      if (found == nullptr || order->created_time > found->created_time) found = order;
    }
    return found;
  };
  for (Position& holding : holdings) {
    // Dust is no holding: the venue will not sell it, its protection goes.
    if (holding.quantity < min_order_quantity(holding.symbol)) continue;
    const std::string key = holding.symbol.canonical();
    const auto orders = listed.find(key);
    if (orders == listed.end()) continue;
    auto current = spot_protection_.find(key);
    if (current == spot_protection_.end()) {  // after a restart: take over the newest pair
      const VenueOrder* stop = newest(orders->second, ProtectionTriggered::Kind::kStopLoss);
      const VenueOrder* target = newest(orders->second, ProtectionTriggered::Kind::kTakeProfit);
      if (stop != nullptr && target != nullptr) {
        current = spot_protection_
                      .emplace(key, SpotProtection{stop->order_link_id, target->order_link_id,
                                                   stop->trigger_price, target->trigger_price, 0})
                      .first;
      }
    }
    std::vector<std::string> stale;
    bool stop_listed = false;
    bool target_listed = false;
    for (const VenueOrder* order : orders->second) {
      const bool ours = current != spot_protection_.end() &&
                        (order->order_link_id == current->second.stop_link ||
                         order->order_link_id == current->second.target_link);
      if (!ours) stale.push_back(order->order_link_id);
      if (ours && order->order_link_id == current->second.stop_link) stop_listed = true;
      if (ours && order->order_link_id == current->second.target_link) target_listed = true;
    }
    if (stop_listed && target_listed) {
      holding.stop_loss = current->second.stop_loss;
      holding.take_profit = current->second.take_profit;
    }
    if (!stale.empty()) spawn(cancel_spot_orders(holding.symbol, std::move(stale)));
    listed.erase(orders);
  }
  // What is left protects no holding: its coin is gone.
  for (const auto& [key, orders] : listed) {
    std::vector<std::string> links;
    for (const VenueOrder* order : orders) links.push_back(order->order_link_id);
    logger()->info("{} protection orders of {} protect no holding: cancelled", links.size(), key);
    const auto current = spot_protection_.find(key);
    if (current != spot_protection_.end() &&
        std::find(links.begin(), links.end(), current->second.stop_link) != links.end())
      spot_protection_.erase(current);
    spawn(cancel_spot_orders(Symbol::parse(key), std::move(links)));
  }
}

asio::awaitable<void> BybitBroker::send_protection(ProtectionRequest request) {
  const std::shared_ptr<bool> alive = alive_;
  TradingStopRequest stop;
  stop.symbol = request.symbol;
  const data::InstrumentInfo rules = config_.instruments
                                         ? config_.instruments(request.asset, request.symbol)
                                         : data::InstrumentInfo{};
  stop.stop_loss = on_tick(rules, request.stop_loss);
  stop.take_profit = on_tick(rules, request.take_profit);
  stop.sl_trigger_by = std::string(trigger_by(request.trigger));
  stop.tp_trigger_by = stop.sl_trigger_by;
  const Parsed<Applied> applied = co_await rest_.trading_stop(stop, Priority::kProtection);
  if (!*alive) co_return;
  if (applied) {
    bus_.publish(ProtectionSet{std::string(kVenue), request.protection_id, request.asset,
                               request.symbol, *stop.stop_loss, *stop.take_profit, request.trigger,
                               clock_.now_ms()});
    co_return;
  }
  bus_.publish(ProtectionRejected{std::string(kVenue), request.protection_id, request.asset,
                                  request.symbol, failure_of(applied), clock_.now_ms()});
}

void BybitBroker::request_snapshot(Asset asset) {
  spawn(take_snapshot(asset));
}

asio::awaitable<void> BybitBroker::take_snapshot(Asset asset) {
  const std::shared_ptr<bool> alive = alive_;
  const std::optional<Category> category = category_of(asset);
  if (!category) co_return;
  // The venue's own time: the last execution seen (or booked before this start), else now (a
  // replaying venue's clock may lag the wall clock).
  const TimestampMs latest = std::max(tracker_.last_execution_time(), config_.fills_since);
  const TimestampMs since = (latest > 0 ? latest : clock_.now_ms()) - config_.snapshot_fills;
  const std::optional<Symbol>
      every_symbol;  // named: GCC 12 frees a braced coroutine argument twice
  // The books are read between two reads of the executions; a fill in between would leave the
  // positions and the executions of different moments (the engine could adopt a position
  // already closed), so the reading starts again, at most kSnapshotAttempts times.
  constexpr int kSnapshotAttempts = 3;
  BrokerSnapshot snapshot;
  std::optional<Parsed<WalletBalance>> wallet;
  std::vector<Execution> found;
  std::vector<VenueOrder> protection;  // spot: the protection orders listed
  bool consistent = false;
  for (int attempt = 0; attempt < kSnapshotAttempts && !consistent; ++attempt) {
    const Parsed<Page<Execution>> before =
        co_await rest_.executions_since(*category, since, Priority::kExit);
    if (!*alive || !before) co_return;
    wallet = co_await rest_.wallet_balance(Priority::kExit);
    if (!*alive) co_return;
    if (!*wallet) {
      logger()->warn("snapshot of {}: the wallet could not be read: {}", to_string(asset),
                     wallet->reason);
      co_return;
    }
    snapshot = BrokerSnapshot{};
    snapshot.venue = std::string(kVenue);
    snapshot.asset = asset;
    if (*category == Category::kLinear) {
      const Parsed<Page<VenuePosition>> positions = co_await rest_.positions(Priority::kExit);
      if (!*alive || !positions) co_return;
      for (const VenuePosition& venue_position : positions.value.items) {
        if (std::optional<Position> position = to_position(venue_position))
          snapshot.positions.push_back(std::move(*position));
      }
    } else {
      for (const CoinBalance& coin : wallet->value.coins) {
        if (coin.coin == "USDT" || !coin.wallet_balance.is_positive()) continue;
        Position holding;
        holding.asset = Asset::kSpot;
        holding.symbol = Symbol::from_parts(coin.coin, "USDT");
        holding.side = OrderSide::kBuy;
        holding.quantity = coin.wallet_balance;
        // Bybit's wallet keeps no cost basis: a holding is worth its current value, the
        // price an adoption books it at and sets its protection from.
        if (coin.usd_value && coin.usd_value->is_positive())
          holding.average_price = coin.usd_value->div(coin.wallet_balance, Rounding::kHalfEven);
        snapshot.positions.push_back(std::move(holding));
      }
    }
    const Parsed<Page<VenueOrder>> open =
        co_await rest_.open_orders(*category, every_symbol, Priority::kExit);
    if (!*alive || !open) co_return;
    protection.clear();
    if (*category == Category::kSpot) {
      const Parsed<Page<VenueOrder>> stops = co_await rest_.spot_stop_orders(Priority::kExit);
      if (!*alive || !stops) co_return;
      protection = stops.value.items;
    }
    for (const VenueOrder& order : open.value.items) {
      if (!spot_protection_kind(order.order_link_id)) {
        snapshot.open_orders.push_back(to_open_order(order));
      } else if (std::none_of(protection.begin(), protection.end(),
                              [&](const VenueOrder& o) { return o.order_id == order.order_id; })) {
        protection.push_back(order);  // listed by default too (a unified account lists all)
      }
    }
    const Parsed<Page<Execution>> after =
        co_await rest_.executions_since(*category, since, Priority::kExit);
    if (!*alive || !after) co_return;
    std::set<std::string> seen;
    for (const Execution& execution : before.value.items) seen.insert(execution.exec_id);
    consistent = std::all_of(after.value.items.begin(), after.value.items.end(),
                             [&](const Execution& e) { return seen.contains(e.exec_id); });
    found = before.value.items;
    if (consistent) {
      for (const VenueOrder& order : open.value.items) tracker_.on_order(order);
    }
  }
  if (!consistent) {
    logger()->warn(
        "snapshot of {}: the venue filled orders while its books were read, {} times; "
        "the next snapshot reads them again",
        to_string(asset), kSnapshotAttempts);
    co_return;
  }
  // The orders in flight at the last stop: their executions by orderLinkId, whenever they were.
  const std::set<std::string> unresolved = config_.unresolved_orders[asset];
  for (const std::string& link_id : unresolved) {
    const Parsed<Page<Execution>> of_order =
        co_await rest_.executions_of_order(*category, link_id, Priority::kExit);
    if (!*alive) co_return;
    if (!of_order) continue;  // asked again at the next snapshot
    found.insert(found.end(), of_order.value.items.begin(), of_order.value.items.end());
    config_.unresolved_orders[asset].erase(link_id);
  }
  std::stable_sort(found.begin(), found.end(), [](const Execution& a, const Execution& b) {
    return a.exec_time < b.exec_time;
  });
  std::set<std::string> listed;
  for (const Execution& execution : found) {
    if (!listed.insert(execution.exec_id).second) continue;
    tracker_.on_execution(execution);
    if (Mapped<Fill> fill = to_fill(execution)) {
      fill.value->client_order_id = tracker_.client_id_of(execution);
      snapshot.recent_fills.push_back(*fill.value);
    }
  }
  if (Mapped<Balance> balance = to_balance(wallet->value, asset)) snapshot.balance = *balance.value;
  if (asset == Asset::kSpot) settle_spot_protection(protection, snapshot.positions);
  snapshot.time = clock_.now_ms();
  bus_.publish(std::move(snapshot));
}

asio::awaitable<void> BybitBroker::catch_up() {
  const std::shared_ptr<bool> alive = alive_;
  ++catch_ups_;
  const TimestampMs latest = std::max(tracker_.last_execution_time(), config_.fills_since);
  const TimestampMs since =
      latest > 0 ? latest - config_.catch_up_overlap : started_at_ - config_.snapshot_fills;
  const std::optional<Symbol>
      every_symbol;  // named: GCC 12 frees a braced coroutine argument twice
  const std::set<Category> categories = categories_used_;
  for (const Category category : categories) {
    const Parsed<Page<VenueOrder>> open =
        co_await rest_.open_orders(category, every_symbol, Priority::kExit);
    if (!*alive) co_return;
    if (open) {
      for (const VenueOrder& order : open.value.items) tracker_.on_order(order);
    }
    const Parsed<Page<Execution>> executions =
        co_await rest_.executions_since(category, since, Priority::kExit);
    if (!*alive) co_return;
    if (executions) {
      for (const Execution& execution : executions.value.items) tracker_.on_execution(execution);
    }
    // Orders closed while the stream was down: their final records.
    const Parsed<Page<VenueOrder>> history =
        co_await rest_.order_history(category, every_symbol, Priority::kExit);
    if (!*alive) co_return;
    if (history) {
      for (const VenueOrder& order : history.value.items) {
        if (!order.order_link_id.empty() && tracker_.knows(order.order_link_id))
          tracker_.on_order(order);
      }
    }
  }
}

void BybitBroker::on_order(const VenueOrder& order) {
  tracker_.on_order(order);
}

void BybitBroker::on_execution(const Execution& execution) {
  tracker_.on_execution(execution);
}

void BybitBroker::on_position(const VenuePosition&) {
  // Positions are read over REST for snapshots; the tracker needs only orders and fills.
}

void BybitBroker::on_wallet(const WalletBalance& wallet) {
  std::map<std::string, Decimal> pushed;
  for (const CoinBalance& coin : wallet.coins) {
    coins_[coin.coin] = coin.wallet_balance;
    pushed[coin.coin] = coin.wallet_balance;
  }
  drop_protection_of_sold_coins(pushed);
}

void BybitBroker::on_spot_sold(const Symbol& symbol) {
  const auto found = spot_protection_.find(symbol.canonical());
  if (found == spot_protection_.end()) return;
  logger()->info("{} sold: its protection orders are cancelled", symbol.canonical());
  std::vector<std::string> links{found->second.stop_link, found->second.target_link};
  spot_protection_.erase(found);
  spawn(cancel_spot_orders(symbol, std::move(links)));
}

}  // namespace gauntlet::brokers::bybit
