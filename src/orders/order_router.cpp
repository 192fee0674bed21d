#include "orders/order_router.hpp"

#include <fmt/format.h>

#include "core/check.hpp"
#include "core/logging.hpp"

namespace gauntlet::orders {
namespace {

auto& log() {
  static auto logger = module_logger("order_router");
  return *logger;
}

Decimal notional_of(const OrderContext& order) {
  return order.quantity * capital::entry_price(order);
}

}  // namespace

OrderRouter::OrderRouter(EventBus& bus, const Clock& clock, store::Store& store,
                         capital::RiskManager& risk, capital::BudgetManager& budget,
                         capital::ExposureManager& exposure, InstrumentLookup instruments)
    : bus_(bus),
      clock_(clock),
      store_(store),
      journal_(store),
      risk_(risk),
      budget_(budget),
      exposure_(exposure),
      instruments_(std::move(instruments)),
      sl_tp_(bus, [this](Asset asset, const Symbol& symbol, OrderSide, Decimal,
                         const std::string& reason) { close_position(asset, symbol, reason); }),
      halts_(store) {
  subscriptions_.push_back(bus_.subscribe<brokers::OrderAccepted>(
      [this](const brokers::OrderAccepted& event) { on_accepted(event); }));
  subscriptions_.push_back(bus_.subscribe<brokers::OrderRejected>(
      [this](const brokers::OrderRejected& event) { on_rejected(event); }));
  subscriptions_.push_back(bus_.subscribe<brokers::OrderFilled>(
      [this](const brokers::OrderFilled& event) { on_filled(event); }));
  subscriptions_.push_back(bus_.subscribe<brokers::OrderCancelled>(
      [this](const brokers::OrderCancelled& event) { on_cancelled(event); }));
  subscriptions_.push_back(bus_.subscribe<brokers::ProtectionTriggered>(
      [this](const brokers::ProtectionTriggered& event) { on_protection_triggered(event); }));
}

void OrderRouter::on_protection_triggered(const brokers::ProtectionTriggered& event) {
  using Kind = brokers::ProtectionTriggered::Kind;
  const auto routed = brokers_.find(event.asset);
  if (routed == brokers_.end() || routed->second->venue() != event.venue) return;
  venue_exit_reasons_[{event.asset, event.symbol.canonical()}] =
      event.kind == Kind::kStopLoss     ? "stop_loss"
      : event.kind == Kind::kTakeProfit ? "take_profit"
                                        : "liquidation";
}

void OrderRouter::route(Asset asset, brokers::Broker& broker) {
  brokers_[asset] = &broker;
  sl_tp_.route(asset, broker);
}

PlaceResult OrderRouter::deny(const OrderContext& order, const std::string& id, Decision decision) {
  log().info("order denied strategy={} symbol={} reason={}", order.strategy_id,
             order.symbol.canonical(), decision.reason);
  bus_.publish(OrderDenied{order, id, decision, clock_.now_ms()});
  return {std::move(decision), id};
}

PlaceResult OrderRouter::place_order(const OrderContext& requested) {
  const TimestampMs now = clock_.now_ms();
  const std::string id = make_client_order_id(requested.strategy_id, requested.signal_id);
  OrderContext order = requested;
  if (!brokers_.contains(order.asset)) {
    return deny(
        order, id,
        Decision::deny(fmt::format("no_broker: nothing trades {}", to_string(order.asset))));
  }
  if (!order.reduce_only) {
    refresh_account_halts(order.asset, now);
    if (const auto halted = entries_halted(order.asset)) {
      return deny(order, id, Decision::deny("entries_halted: " + *halted));
    }
  }
  if (journal_.find(id)) {
    return deny(order, id,
                Decision::deny(fmt::format("duplicate_intent: {} was already sent as {}",
                                           order.signal_id, id)));
  }
  const data::InstrumentInfo instrument = instruments_(order.asset, order.symbol);
  if (order.reduce_only) {
    risk_.record_equity(
        order.asset, equity_source_ ? equity_source_(order.asset) : budget_.get_alloc(order.asset),
        now);
  }
  if (order.quantity == Decimal::zero()) {
    const capital::SizeResult size =
        risk_.compute_size(order, instrument, budget_.get_alloc(order.asset));
    if (!size.decision) return deny(order, id, size.decision);
    order.quantity = size.quantity;
  }
  if (Decision risk = risk_.pretrade_check(order, instrument, now); !risk) {
    return deny(order, id, std::move(risk));
  }
  if (Decision budget = budget_.can_afford(order.asset, order); !budget) {
    return deny(order, id, std::move(budget));
  }
  if (!order.reduce_only) {
    if (Decision exposure =
            exposure_.can_open(order.asset, order.symbol, order.side, notional_of(order));
        !exposure) {
      return deny(order, id, std::move(exposure));
    }
  }
  return send(order, id, order.quantity);
}

PlaceResult OrderRouter::send(const OrderContext& order, const std::string& id, Decimal quantity) {
  brokers::Broker& broker = *brokers_.at(order.asset);
  OrderRequest request;
  request.client_order_id = id;
  request.asset = order.asset;
  request.symbol = order.symbol;
  request.side = order.side;
  request.type = order.type;
  request.quantity = quantity;
  request.limit_price = order.limit_price;
  request.trigger_price = order.trigger_price;
  request.time_in_force = order.time_in_force;
  request.reduce_only = order.reduce_only;
  request.leverage = order.leverage;
  request.stop_loss = order.stop_loss;
  request.take_profit = order.take_profit;
  request.strategy_id = order.strategy_id;
  request.exit_reason = order.exit_reason;
  request.created_at = clock_.now_ms();
  const brokers::BrokerCapabilities capabilities = broker.capabilities(order.asset);
  if (capabilities.mark_price_triggers && order.asset == Asset::kPerp) {
    request.trigger = TriggerPrice::kMark;
  }
  // The intent and its budget reservation are durable, in one commit, before anything leaves
  // the process.
  std::optional<Decision> refused;
  store_.transaction([&] {
    if (!journal_.record_intent(request, broker.venue())) {
      refused = Decision::deny("duplicate_intent: " + id + " is already journaled");
      return;
    }
    if (order.reduce_only) return;
    OrderContext sized = order;
    sized.quantity = quantity;
    Decision reserved =
        budget_.reserve(order.asset, id, capital::BudgetManager::required_funds(sized));
    if (!reserved) {
      journal_.update(id, OrderStatus::kRejected, request.created_at, {}, reserved.reason);
      refused = std::move(reserved);
    }
  });
  if (refused) return deny(order, id, std::move(*refused));
  if (broker.remote()) {
    // Inside a longer transaction (the live loop's turn) the intent is not durable yet.
    store_.after_commit([&broker, request] { broker.submit(brokers::RouterKey{}, request); });
  } else {
    broker.submit(brokers::RouterKey{}, request);
  }
  bus_.publish(OrderSubmitted{request, std::string(broker.venue()), request.created_at});
  return {Decision::allow(), id};
}

PlaceResult OrderRouter::close_position(Asset asset, const Symbol& symbol,
                                        const std::string& reason) {
  const auto found = positions_.find({asset, symbol.canonical()});
  OrderContext exit;
  exit.asset = asset;
  exit.symbol = symbol;
  exit.type = OrderType::kMarket;
  exit.reduce_only = true;
  if (found == positions_.end()) {
    return deny(exit, "", Decision::deny("no_position: nothing open on " + symbol.canonical()));
  }
  const Position& position = found->second.position;
  exit.side = opposite(position.side);
  exit.quantity = position.quantity;
  exit.strategy_id = position.strategy_id;
  exit.reference_price = position.average_price;
  exit.exit_reason = reason;
  // The first exit number this position has not used: a restart cannot reuse a journaled id.
  const std::string base =
      fmt::format("exit:{}:{}:{}", symbol.canonical(), reason,
                  found->second.entry_ids.empty() ? "" : found->second.entry_ids[0]);
  for (uint64_t n = 1;; ++n) {
    exit.signal_id = fmt::format("{}:{}", base, n);
    if (!journal_.find(make_client_order_id(exit.strategy_id, exit.signal_id))) break;
  }
  return place_order(exit);
}

Decision OrderRouter::cancel_order(const std::string& client_order_id) {
  const auto entry = journal_.find(client_order_id);
  if (!entry) return Decision::deny("unknown_order: " + client_order_id);
  if (is_terminal(entry->status)) {
    return Decision::deny(
        fmt::format("order_closed: {} is {}", client_order_id, to_string(entry->status)));
  }
  brokers_.at(entry->request.asset)
      ->cancel(brokers::RouterKey{},
               {client_order_id, entry->request.asset, entry->request.symbol});
  return Decision::allow();
}

Decision OrderRouter::amend_order(const std::string& client_order_id,
                                  std::optional<Decimal> quantity,
                                  std::optional<Decimal> limit_price) {
  const auto entry = journal_.find(client_order_id);
  if (!entry) return Decision::deny("unknown_order: " + client_order_id);
  if (is_terminal(entry->status)) {
    return Decision::deny(
        fmt::format("order_closed: {} is {}", client_order_id, to_string(entry->status)));
  }
  brokers::AmendRequest request;
  request.client_order_id = client_order_id;
  request.asset = entry->request.asset;
  request.symbol = entry->request.symbol;
  request.quantity = quantity;
  request.limit_price = limit_price;
  brokers_.at(entry->request.asset)->amend(brokers::RouterKey{}, request);
  return Decision::allow();
}

void OrderRouter::halt_entries(Asset asset, HaltReason reason, std::string detail) {
  if (halts_.add(asset, reason, detail, clock_.now_ms())) {
    log().warn("entries halted asset={} reason={} detail={}", to_string(asset), to_string(reason),
               detail);
  }
}

bool OrderRouter::lift_halt(Asset asset, HaltReason reason) {
  const bool lifted = halts_.remove(asset, reason);
  if (lifted) log().warn("halt lifted asset={} reason={}", to_string(asset), to_string(reason));
  return lifted;
}

void OrderRouter::refresh_account_halts(Asset asset, TimestampMs now) {
  risk_.record_equity(asset, equity_source_ ? equity_source_(asset) : budget_.get_alloc(asset),
                      now);
  const auto apply = [&](HaltReason reason, const Decision& rule) {
    if (!rule) {
      halt_entries(asset, reason, rule.reason);
    } else {
      lift_halt(asset, reason);
    }
  };
  apply(HaltReason::kDailyLoss, risk_.daily_loss_halt(asset, now));
  apply(HaltReason::kDrawdown, risk_.drawdown_halt(asset));
}

std::vector<Position> OrderRouter::positions() const {
  std::vector<Position> result;
  for (const auto& [key, open] : positions_) result.push_back(open.position);
  return result;
}

std::optional<Position> OrderRouter::position(Asset asset, const Symbol& symbol) const {
  const auto found = positions_.find({asset, symbol.canonical()});
  if (found == positions_.end()) return std::nullopt;
  return found->second.position;
}

void OrderRouter::on_accepted(const brokers::OrderAccepted& event) {
  const auto entry = journal_.find(event.client_order_id);
  if (!entry || entry->status != OrderStatus::kPendingNew) return;
  journal_.update(event.client_order_id, OrderStatus::kNew, event.time, event.venue_order_id);
}

void OrderRouter::on_rejected(const brokers::OrderRejected& event) {
  const auto entry = journal_.find(event.client_order_id);
  if (!entry || is_terminal(entry->status)) return;
  if (event.failure.error_class == brokers::ErrorClass::kDuplicate) {
    // The venue has this order already (a resend after a crash): it stays open in the journal
    // and reconciliation finds out what became of it.
    return;
  }
  journal_.update(event.client_order_id, OrderStatus::kRejected, event.time, {},
                  event.failure.message);
  budget_.release(event.asset, event.client_order_id);
  const auto codes = critical_codes_.find(event.venue);
  const bool listed = codes != critical_codes_.end() && codes->second.contains(event.failure.code);
  if (listed || event.failure.critical) {
    halt_entries(
        event.asset, HaltReason::kCriticalError,
        fmt::format("{} code {}: {}", event.venue, event.failure.code, event.failure.message));
    bus_.publish(CriticalVenueError{event.asset, event.venue, event.failure.code,
                                    event.failure.message, event.client_order_id, event.time});
  }
}

void OrderRouter::on_cancelled(const brokers::OrderCancelled& event) {
  const auto entry = journal_.find(event.client_order_id);
  if (!entry || is_terminal(entry->status)) return;
  journal_.update(event.client_order_id, OrderStatus::kCancelled, event.time, {}, event.reason);
  const auto open = positions_.find({event.asset, event.symbol.canonical()});
  const bool backs_a_position =
      open != positions_.end() &&
      std::find(open->second.entry_ids.begin(), open->second.entry_ids.end(),
                event.client_order_id) != open->second.entry_ids.end();
  if (!backs_a_position) budget_.release(event.asset, event.client_order_id);
}

void OrderRouter::recover() {
  const TimestampMs now = clock_.now_ms();
  positions_.clear();
  for (const Fill& fill : journal_.all_fills()) {
    if (const auto entry = journal_.find(fill.client_order_id)) {
      apply_fill(entry->request, fill, /*replay=*/true);
    }
  }
  for (auto& [key, open] : positions_) {
    const Position& p = open.position;
    const Decimal notional = p.quantity * p.average_price;
    risk_.record_position_opened(p.asset, p.strategy_id, notional, p.opened_at);
    exposure_.on_position_opened(p.asset, p.symbol, p.side, notional);
    if (open.entry_ids.empty()) continue;
    const auto entry = journal_.find(open.entry_ids.back());
    if (entry && entry->request.stop_loss > Decimal::zero() &&
        entry->request.take_profit > Decimal::zero() && brokers_.contains(p.asset)) {
      sl_tp_.attach(entry->request, p.quantity, now);
    }
  }
  for (const JournalEntry& entry : journal_.open_orders()) {
    if (entry.status != OrderStatus::kPendingNew) continue;
    const auto broker = brokers_.find(entry.request.asset);
    if (broker == brokers_.end()) continue;
    log().warn("resending an intent that may not have reached the venue id={}",
               entry.request.client_order_id);
    broker->second->submit(brokers::RouterKey{}, entry.request);
  }
  log().info("recovered positions={} open_orders={}", positions_.size(),
             journal_.open_orders().size());
}

void OrderRouter::adopt_position(std::string_view venue, const Position& position) {
  const TimestampMs now = clock_.now_ms();
  if (positions_.contains({position.asset, position.symbol.canonical()})) return;
  if (!position.average_price.is_positive()) {
    // No price to book it at nor to set its stop from: the reconciler reports it instead.
    log().error("cannot adopt a venue position without a price asset={} symbol={} quantity={}",
                to_string(position.asset), position.symbol.canonical(),
                position.quantity.to_string());
    return;
  }
  OrderRequest request;
  request.client_order_id = make_client_order_id(
      "adopted",
      fmt::format("{}:{}:{}", to_string(position.asset), position.symbol.canonical(), now));
  request.asset = position.asset;
  request.symbol = position.symbol;
  request.side = position.side;
  request.type = OrderType::kMarket;
  request.quantity = position.quantity;
  request.strategy_id = position.strategy_id;
  request.created_at = now;
  request.trigger = position.trigger;
  if (position.stop_loss.is_positive() && position.take_profit.is_positive()) {
    request.stop_loss = position.stop_loss;
    request.take_profit = position.take_profit;
  } else {
    const Decimal distance =
        position.average_price * Decimal::from_double(risk_.limits(position.asset).max_sl_fraction);
    const bool long_side = position.side == OrderSide::kBuy;
    request.stop_loss =
        long_side ? position.average_price - distance : position.average_price + distance;
    request.take_profit = long_side ? position.average_price + distance + distance
                                    : position.average_price - distance - distance;
  }
  Fill fill;
  fill.execution_id = std::string(kAdoptedFillPrefix) + request.client_order_id;
  fill.client_order_id = request.client_order_id;
  fill.asset = position.asset;
  fill.symbol = position.symbol;
  fill.side = position.side;
  fill.quantity = position.quantity;
  fill.price = position.average_price;
  fill.time = now;
  store_.transaction([&] {
    if (!journal_.record_intent(request, venue)) return;
    journal_.update(request.client_order_id, OrderStatus::kNew, now, {}, "adopted from the venue");
    if (!journal_.record_fill(fill, OrderStatus::kFilled)) return;
    apply_fill(request, fill);
    if (fill_hook_) fill_hook_(request, fill);
  });
  log().warn("adopted a venue position asset={} symbol={} side={} quantity={} price={}",
             to_string(position.asset), position.symbol.canonical(), to_string(position.side),
             position.quantity.to_string(), position.average_price.to_string());
  if (const auto adopted = this->position(position.asset, position.symbol))
    bus_.publish(PositionAdopted{*adopted, std::string(venue), request.client_order_id, now});
}

void OrderRouter::confirm_accepted(const std::string& client_order_id,
                                   const std::string& venue_order_id, TimestampMs now) {
  const auto entry = journal_.find(client_order_id);
  if (!entry || entry->status != OrderStatus::kPendingNew) return;
  log().warn("the venue has an order whose answer was lost id={}", client_order_id);
  journal_.update(client_order_id, OrderStatus::kNew, now, venue_order_id);
}

bool OrderRouter::resend_unanswered(const std::string& client_order_id, TimestampMs now) {
  const auto entry = journal_.find(client_order_id);
  if (!entry || entry->status != OrderStatus::kPendingNew) return false;
  const auto broker = brokers_.find(entry->request.asset);
  int& sent = resends_[client_order_id];
  if (broker == brokers_.end() || sent >= kMaxResends) {
    log().error("giving up an order the venue never answered id={} resends={}", client_order_id,
                sent);
    store_.transaction([&] {
      journal_.update(client_order_id, OrderStatus::kRejected, now, {},
                      fmt::format("no venue answer after {} resends", sent));
      budget_.release(entry->request.asset, client_order_id);
    });
    resends_.erase(client_order_id);
    return false;
  }
  ++sent;
  log().warn("resending an order the venue never answered id={} attempt={}", client_order_id, sent);
  broker->second->submit(brokers::RouterKey{}, entry->request);
  return true;
}

void OrderRouter::recover_fill(std::string_view venue, const Fill& fill) {
  const auto entry = journal_.find(fill.client_order_id);
  const Decimal before = entry ? entry->filled_quantity : Decimal::zero();
  const Decimal cumulative = before + fill.quantity;
  const Decimal total = entry ? entry->request.quantity : cumulative;
  brokers::OrderFilled event;
  event.venue = std::string(venue);
  event.fill = fill;
  event.cumulative_quantity = cumulative;
  event.leaves_quantity = total > cumulative ? total - cumulative : Decimal::zero();
  event.status = event.leaves_quantity > Decimal::zero() ? OrderStatus::kPartiallyFilled
                                                         : OrderStatus::kFilled;
  on_filled(event);
}

void OrderRouter::on_filled(const brokers::OrderFilled& event) {
  const Fill& fill = event.fill;
  // A venue the asset is not routed to (a live venue's account while the asset trades on
  // paper) trades outside the engine's books: its reconciliation adopts what matters once the
  // asset goes there.
  const auto routed = brokers_.find(fill.asset);
  if (routed == brokers_.end() || routed->second->venue() != event.venue) {
    log().info("fill from {} ignored: {} is not routed there (order {})", event.venue,
               to_string(fill.asset), fill.client_order_id);
    return;
  }
  const Key key{fill.asset, fill.symbol.canonical()};
  auto entry = journal_.find(fill.client_order_id);
  if (exit_before_its_entry(fill, entry)) {
    std::vector<brokers::OrderFilled>& held = held_exits_[key];
    if (std::none_of(held.begin(), held.end(), [&](const brokers::OrderFilled& e) {
          return e.fill.execution_id == fill.execution_id;
        })) {
      log().warn(
          "an exit fill came before its entry's: held until the entry fills id={} "
          "execution={}",
          fill.client_order_id, fill.execution_id);
      held.push_back(event);
    }
    return;
  }
  if (!entry) {
    // An order the venue generated (a triggered stop, a liquidation): journal it as an exit
    // so its fill has an order, then account for it like any other.
    const auto open = positions_.find({fill.asset, fill.symbol.canonical()});
    OrderRequest generated;
    generated.client_order_id = fill.client_order_id;
    generated.asset = fill.asset;
    generated.symbol = fill.symbol;
    generated.side = fill.side;
    generated.type = OrderType::kMarket;
    generated.quantity = event.cumulative_quantity + event.leaves_quantity;
    generated.reduce_only = true;
    generated.strategy_id = open == positions_.end() ? "" : open->second.position.strategy_id;
    const auto cause = venue_exit_reasons_.find({fill.asset, fill.symbol.canonical()});
    generated.exit_reason = cause == venue_exit_reasons_.end() ? "venue_close" : cause->second;
    generated.created_at = fill.time;
    journal_.record_intent(generated, event.venue);
    entry = journal_.find(fill.client_order_id);
  }
  // The fill and everything it changes in the ledgers commit together: a crash leaves either
  // all of it or none of it, and a replay of a recorded fill changes nothing.
  store_.transaction([&] {
    if (!journal_.record_fill(fill, event.status)) return;
    apply_fill(entry->request, fill);
    if (fill_hook_) fill_hook_(entry->request, fill);
    write_off_dust(entry->request, fill, event.status);
  });
  // The entry the held exits waited for has filled: they close (or reduce) it now.
  const auto held = held_exits_.find(key);
  if (held != held_exits_.end() && positions_.contains(key)) {
    const std::vector<brokers::OrderFilled> exits = std::move(held->second);
    held_exits_.erase(held);
    for (const brokers::OrderFilled& exit : exits) on_filled(exit);
  }
}

bool OrderRouter::exit_before_its_entry(const Fill& fill,
                                        const std::optional<JournalEntry>& order) const {
  if (order && !order->request.reduce_only) return false;  // an entry
  if (journal_.has_fill(fill.execution_id)) return false;  // heard again: recorded once
  const auto open = positions_.find({fill.asset, fill.symbol.canonical()});
  if (open != positions_.end() && open->second.position.side != fill.side) return false;
  for (const JournalEntry& pending : journal_.open_orders()) {
    const OrderRequest& r = pending.request;
    if (r.asset == fill.asset && r.symbol == fill.symbol && !r.reduce_only && r.side != fill.side)
      return true;
  }
  return false;
}

void OrderRouter::write_off_dust(const OrderRequest& request, const Fill& fill,
                                 OrderStatus status) {
  if (fill.asset != Asset::kSpot || !request.reduce_only) return;
  const auto open = positions_.find({fill.asset, fill.symbol.canonical()});
  if (open == positions_.end()) return;
  const Decimal left = open->second.position.quantity;
  if (left >= instruments_(fill.asset, fill.symbol).min_order_quantity()) return;
  log().info("{} {} left after the exit {}: dust the venue will not sell, written off",
             left.to_string(), fill.symbol.base(), fill.client_order_id);
  Fill dust;
  dust.execution_id = std::string(kDustFillPrefix) + fill.execution_id;
  dust.client_order_id = fill.client_order_id;
  dust.venue_order_id = fill.venue_order_id;
  dust.asset = fill.asset;
  dust.symbol = fill.symbol;
  dust.side = fill.side;
  dust.quantity = left;
  dust.time = fill.time;
  if (!journal_.record_fill(dust, status)) return;
  apply_fill(request, dust);
  if (fill_hook_) fill_hook_(request, dust);
}

void OrderRouter::apply_fill(const OrderRequest& request, const Fill& fill, bool replay) {
  const Key key{fill.asset, fill.symbol.canonical()};
  auto found = positions_.find(key);
  const Decimal notional = fill.quantity * fill.price;
  // A fee paid in the base coin leaves the cash alone: the holding is smaller instead.
  const Decimal flow = (fill.side == OrderSide::kSell ? notional : -notional) - fill.quote_fee();
  const bool dust = fill.execution_id.starts_with(kDustFillPrefix);
  if (found == positions_.end() || found->second.position.side == fill.side) {
    if (request.reduce_only) {
      log().warn("reduce-only fill with no position to reduce id={}", fill.client_order_id);
      return;
    }
    const bool adds_to_position = found != positions_.end();
    if (found == positions_.end()) {
      OpenPosition open;
      open.position.asset = fill.asset;
      open.position.symbol = fill.symbol;
      open.position.side = fill.side;
      open.position.average_price = fill.price;
      open.position.strategy_id = request.strategy_id;
      open.position.opened_at = fill.time;
      found = positions_.emplace(key, std::move(open)).first;
    } else {
      Position& p = found->second.position;
      p.average_price = (p.average_price * p.quantity + notional) / (p.quantity + fill.quantity);
    }
    OpenPosition& open = found->second;
    open.entered = open.entered + fill.quantity;
    open.entry_notional = open.entry_notional + notional;
    open.fees = open.fees + fill.fee;
    open.position.quantity = open.position.quantity + fill.held_quantity();
    open.position.stop_loss = request.stop_loss;
    open.position.take_profit = request.take_profit;
    open.cash_flow = open.cash_flow + flow;
    if (std::find(open.entry_ids.begin(), open.entry_ids.end(), request.client_order_id) ==
        open.entry_ids.end()) {
      open.entry_ids.push_back(request.client_order_id);
    }
    if (replay) return;
    risk_.record_position_opened(fill.asset, request.strategy_id, notional, fill.time,
                                 adds_to_position);
    exposure_.on_position_opened(fill.asset, fill.symbol, fill.side,
                                 open.position.quantity * open.position.average_price);
    sl_tp_.attach(request, open.position.quantity, fill.time);
    return;
  }
  // A fill against the position: it reduces or closes it.
  OpenPosition& open = found->second;
  Position& p = open.position;
  const Decimal reduced = fill.held_quantity();
  const Decimal closed = reduced < p.quantity ? reduced : p.quantity;
  const Decimal move = fill.price - p.average_price;
  const Decimal pnl = (p.side == OrderSide::kBuy ? move * closed : -(move * closed)) - fill.fee;
  open.cash_flow = open.cash_flow + flow;
  if (!dust) {  // the exit's volume and price are what the venue traded
    open.exited = open.exited + fill.quantity;
    open.exit_notional = open.exit_notional + notional;
  }
  open.fees = open.fees + fill.fee;
  if (!request.exit_reason.empty()) open.exit_reason = request.exit_reason;
  p.quantity = p.quantity - closed;
  if (replay) {
    if (p.quantity <= Decimal::zero()) positions_.erase(found);
    return;
  }
  // The risk ledger's cooldown needs only the sign: the partial's P&L at the average price, or
  // the whole round trip's cash flow on the final fill.
  risk_.record_position_closed(fill.asset, p.strategy_id, closed * p.average_price,
                               p.quantity > Decimal::zero() ? pnl : open.cash_flow, fill.time,
                               /*closes_position=*/p.quantity <= Decimal::zero());
  if (p.quantity > Decimal::zero()) {
    exposure_.on_position_opened(fill.asset, fill.symbol, p.side, p.quantity * p.average_price);
    return;
  }
  exposure_.on_position_closed(fill.asset, fill.symbol);
  sl_tp_.detach(fill.asset, fill.symbol);
  for (const std::string& id : open.entry_ids) budget_.release(fill.asset, id);
  venue_exit_reasons_.erase(key);
  ClosedTrade trade;
  trade.strategy_id = p.strategy_id;
  trade.asset = fill.asset;
  trade.symbol = fill.symbol;
  trade.side = p.side;
  trade.entry_time = p.opened_at;
  trade.exit_time = fill.time;
  trade.entry_price = open.entry_notional / open.entered;
  trade.exit_price = open.exited.is_positive() ? open.exit_notional / open.exited : Decimal::zero();
  trade.quantity = open.entered;
  trade.stop_loss = p.stop_loss;
  trade.take_profit = p.take_profit;
  trade.fees = open.fees;
  trade.realized_pnl = open.cash_flow;
  trade.exit_reason = open.exit_reason.empty() ? "exit" : open.exit_reason;
  trade.sequence = journal_.record_closed_trade(trade);
  bus_.publish(PositionClosed{fill.asset, fill.symbol, p.strategy_id, p.side, open.cash_flow,
                              fill.time, std::move(trade)});
  positions_.erase(found);
}

}  // namespace gauntlet::orders
