#include "brokers/sim/sim_broker.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/exceptions.hpp"

namespace gauntlet::brokers {
namespace {

constexpr DurationMs kFundingInterval = 8 * kHourMs;
// The fills a snapshot reports (for the reconciler, which runs hourly): those of the last day,
// at most kRecentFills, like a venue's recent-executions endpoint.
constexpr std::size_t kRecentFills = 1000;
constexpr DurationMs kRecentFillsWindow = kDayMs;

// Spot and options buy with cash; perpetuals and forex trade on margin.
bool on_margin(Asset asset) {
  return asset == Asset::kPerp || asset == Asset::kForex;
}

double sign(OrderSide side) {
  return side == OrderSide::kBuy ? 1.0 : -1.0;
}

Decimal min(Decimal a, Decimal b) {
  return a < b ? a : b;
}
Decimal max(Decimal a, Decimal b) {
  return a > b ? a : b;
}

std::size_t index(Asset asset) {
  return static_cast<std::size_t>(asset);
}

// `price` on the tick grid against the taker: a buy rounds up, a sell down, to one tick at least.
Decimal against_taker(Decimal price, OrderSide side, Decimal tick) {
  if (!tick.is_positive()) return price;
  const Decimal on_tick =
      price.round_to_step(tick, side == OrderSide::kBuy ? Rounding::kCeil : Rounding::kFloor);
  return max(on_tick, tick);
}

// Bybit's spot codes for orders that break the instrument's rules.
constexpr int kPriceOffTick = 170134;
constexpr int kQuantityBelowMinimum = 170136;
constexpr int kQuantityOffStep = 170137;
constexpr int kValueBelowMinimum = 170140;

}  // namespace

std::array<config::FeeRates, 4> venue_fees(const config::FeeModel& model) {
  std::array<config::FeeRates, 4> fees{};
  const auto rates = [&](const char* venue, Asset asset) {
    const auto by_venue = model.venues.find(venue);
    if (by_venue == model.venues.end()) return config::FeeRates{};
    const auto by_asset = by_venue->second.find(asset);
    return by_asset == by_venue->second.end() ? config::FeeRates{} : by_asset->second;
  };
  fees[index(Asset::kSpot)] = rates("bybit", Asset::kSpot);
  fees[index(Asset::kPerp)] = rates("bybit", Asset::kPerp);
  fees[index(Asset::kForex)] = rates("ibkr", Asset::kForex);
  fees[index(Asset::kOptions)] = rates("ibkr", Asset::kOptions);
  return fees;
}

SimBroker::SimBroker(EventBus& bus, const Clock& clock, SimBrokerConfig config)
    : bus_(bus), clock_(clock), config_(std::move(config)) {
  for (Asset asset : kAllAssets)
    wallets_[index(asset)].cash = config_.starting_balance[index(asset)];
  if (config_.unified_margin) wallets_[index(Asset::kPerp)] = Wallet{};
}

SimBroker::Wallet& SimBroker::wallet(Asset asset) {
  return wallets_[index(config_.unified_margin && asset == Asset::kPerp ? Asset::kSpot : asset)];
}

const SimBroker::Wallet& SimBroker::wallet(Asset asset) const {
  return wallets_[index(config_.unified_margin && asset == Asset::kPerp ? Asset::kSpot : asset)];
}

Decimal SimBroker::spendable_cash(Asset asset) const {
  Decimal spendable = wallet(asset).cash;
  if (!config_.unified_margin || asset != Asset::kSpot) return spendable;
  for (const auto& [key, book] : books_) {
    if (key.first != Asset::kPerp || !book.position) continue;
    spendable = spendable - book.margin + min(unrealised(book), Decimal::zero());
  }
  return spendable;
}

Decimal SimBroker::cash(Asset asset) const {
  return wallet(asset).cash;
}

Decimal SimBroker::margin(Asset asset, const Symbol& symbol) const {
  const auto found = books_.find(std::pair<Asset, std::string_view>{asset, symbol.canonical()});
  return found == books_.end() || !found->second.position ? Decimal::zero() : found->second.margin;
}

std::vector<Position> SimBroker::positions(Asset asset) const {
  std::vector<Position> open;
  for (const auto& [key, book] : books_) {
    if (key.first != asset || !book.position) continue;
    open.push_back(*book.position);
    open.back().unrealised_pnl = unrealised(book);
  }
  return open;
}

Decimal SimBroker::last_price(Asset asset, const Symbol& symbol) const {
  const auto found = books_.find(std::pair<Asset, std::string_view>{asset, symbol.canonical()});
  return found == books_.end() ? Decimal::zero() : found->second.last_close;
}

BrokerCapabilities SimBroker::capabilities(Asset asset) const {
  BrokerCapabilities capabilities;
  capabilities.position_tp_sl = config_.protection_on_position;
  capabilities.entry_tp_sl = config_.protection_at_entry;
  capabilities.reduce_only = on_margin(asset);
  capabilities.mark_price_triggers = false;  // bars carry last prices only
  capabilities.partial_fills = true;
  capabilities.amend = true;
  return capabilities;
}

std::string SimBroker::next_venue_id() {
  return fmt::format("{}-{}", config_.order_id_prefix, ++sequence_);
}

void SimBroker::reject(const OrderRequest& request, int code, std::string message,
                       ErrorClass error_class, TimestampMs time) {
  BrokerFailure failure;
  failure.code = code;
  failure.message = std::move(message);
  failure.error_class = error_class;
  bus_.publish(OrderRejected{config_.venue, request.client_order_id, request.asset, request.symbol,
                             std::move(failure), time});
}

void SimBroker::submit(RouterKey, const OrderRequest& request) {
  const TimestampMs now = clock_.now_ms();
  if (!seen_client_ids_.insert(request.client_order_id).second) {
    reject(request, 110072, "duplicate client order id " + request.client_order_id,
           ErrorClass::kDuplicate, now);
    return;
  }
  std::string problem;
  if (request.client_order_id.empty() || request.client_order_id.size() > 36) {
    problem = "client order id must have 1 to 36 characters";
  } else if (request.quantity <= Decimal::zero()) {
    problem = "quantity must be positive, was " + request.quantity.to_string();
  } else if ((request.type == OrderType::kLimit || request.type == OrderType::kStopLimit) &&
             (!request.limit_price || *request.limit_price <= Decimal::zero())) {
    problem = "a limit order needs a positive limit price";
  } else if ((request.type == OrderType::kStopMarket || request.type == OrderType::kStopLimit) &&
             (!request.trigger_price || *request.trigger_price <= Decimal::zero())) {
    problem = "a stop order needs a positive trigger price";
  } else if (request.asset == Asset::kSpot && request.side == OrderSide::kSell &&
             !request.reduce_only) {
    const auto held = position(request.asset, request.symbol);
    if (!held || held->quantity < request.quantity)
      problem = "spot cannot sell what it does not hold";
  } else if (request.leverage < 1 || request.leverage > 100) {
    problem = fmt::format("leverage must be between 1 and 100, was {}", request.leverage);
  }
  if (!problem.empty()) {
    reject(request, 10001, problem, ErrorClass::kRejected, now);
    return;
  }
  const auto book =
      books_.find(std::pair<Asset, std::string_view>{request.asset, request.symbol.canonical()});
  const Decimal last_close = book == books_.end() ? Decimal::zero() : book->second.last_close;
  if (const auto broken = breaks_rules(request, rules(request.asset, request.symbol), last_close)) {
    reject(request, broken->first, broken->second, ErrorClass::kRejected, now);
    return;
  }
  WorkingOrder order;
  order.request = request;
  order.venue_order_id = next_venue_id();
  order.submitted_at = now;
  order.active_at = now + config_.order_delay;
  order.accepted = true;
  order.trigger_rises = request.trigger_price && last_close.is_positive()
                            ? *request.trigger_price > last_close
                            : request.side == OrderSide::kBuy;
  bus_.publish(OrderAccepted{config_.venue, request.client_order_id, order.venue_order_id,
                             request.asset, request.symbol, order.active_at});
  orders_.push_back(std::move(order));
}

void SimBroker::cancel(RouterKey, const CancelRequest& request) {
  const auto found = std::find_if(orders_.begin(), orders_.end(), [&](const WorkingOrder& o) {
    return o.request.client_order_id == request.client_order_id;
  });
  if (found == orders_.end()) {
    OrderRequest unknown;
    unknown.client_order_id = request.client_order_id;
    unknown.asset = request.asset;
    unknown.symbol = request.symbol;
    reject(unknown, 110001, "order does not exist or is closed", ErrorClass::kRejected,
           clock_.now_ms());
    return;
  }
  bus_.publish(OrderCancelled{config_.venue, found->request.client_order_id, found->request.asset,
                              found->request.symbol, found->filled, "cancelled by request",
                              clock_.now_ms()});
  orders_.erase(found);
}

void SimBroker::amend(RouterKey, const AmendRequest& request) {
  const auto found = std::find_if(orders_.begin(), orders_.end(), [&](const WorkingOrder& o) {
    return o.request.client_order_id == request.client_order_id;
  });
  OrderRequest target;
  target.client_order_id = request.client_order_id;
  target.asset = request.asset;
  target.symbol = request.symbol;
  if (found == orders_.end()) {
    reject(target, 110001, "order does not exist or is closed", ErrorClass::kRejected,
           clock_.now_ms());
    return;
  }
  if (request.quantity && *request.quantity <= found->filled) {
    reject(target, 10001,
           fmt::format("amended quantity {} must exceed the filled {}",
                       request.quantity->to_string(), found->filled.to_string()),
           ErrorClass::kRejected, clock_.now_ms());
    return;
  }
  OrderRequest amended = found->request;
  if (request.quantity) amended.quantity = *request.quantity;
  if (request.limit_price) amended.limit_price = request.limit_price;
  if (request.trigger_price) amended.trigger_price = request.trigger_price;
  if (const auto broken =
          breaks_rules(amended, rules(amended.asset, amended.symbol), Decimal::zero())) {
    reject(target, broken->first, broken->second, ErrorClass::kRejected, clock_.now_ms());
    return;
  }
  found->request = std::move(amended);
  bus_.publish(OrderAmended{config_.venue, found->request.client_order_id, found->request.asset,
                            found->request.symbol, found->request.quantity,
                            found->request.limit_price, found->request.trigger_price,
                            clock_.now_ms()});
}

void SimBroker::set_protection(ProtectionKey, const ProtectionRequest& request) {
  if (!config_.protection_on_position) {
    BrokerFailure failure;
    failure.code = 10017;
    failure.message = "this venue has no position protection";
    failure.error_class = ErrorClass::kFatal;
    bus_.publish(ProtectionRejected{config_.venue, request.protection_id, request.asset,
                                    request.symbol, std::move(failure), clock_.now_ms()});
    return;
  }
  const auto book =
      books_.find(std::pair<Asset, std::string_view>{request.asset, request.symbol.canonical()});
  if (book == books_.end() || !book->second.position) {
    BrokerFailure failure;
    failure.code = 10001;
    failure.message = "no open position on " + request.symbol.canonical();
    failure.error_class = ErrorClass::kRejected;
    bus_.publish(ProtectionRejected{config_.venue, request.protection_id, request.asset,
                                    request.symbol, std::move(failure), clock_.now_ms()});
    return;
  }
  Position& position = *book->second.position;
  position.stop_loss = request.stop_loss;
  position.take_profit = request.take_profit;
  position.trigger = request.trigger;
  book->second.protection_id = request.protection_id;
  bus_.publish(ProtectionSet{config_.venue, request.protection_id, request.asset, request.symbol,
                             request.stop_loss, request.take_profit, request.trigger,
                             clock_.now_ms()});
}

void SimBroker::load_funding(const Symbol& symbol,
                             std::vector<std::pair<TimestampMs, double>> rates) {
  std::sort(rates.begin(), rates.end());
  funding_[symbol.canonical()] = std::move(rates);
}

double SimBroker::funding_rate(const Symbol& symbol, TimestampMs time) const {
  const auto found = funding_.find(symbol.canonical());
  if (found == funding_.end() || found->second.empty()) return config_.default_funding_rate;
  // The print for this funding time (venues stamp it a few ms late), else the latest before.
  constexpr DurationMs kSlack = kMinuteMs;
  const auto& rates = found->second;
  auto it = std::lower_bound(rates.begin(), rates.end(), std::make_pair(time - kSlack, -1e300));
  if (it != rates.end() && it->first <= time + kSlack) return it->second;
  if (it == rates.begin()) return config_.default_funding_rate;
  return std::prev(it)->second;
}

Decimal SimBroker::fee(Asset asset, Decimal notional, Decimal quantity, bool maker) const {
  const config::FeeRates& rates = config_.fees[index(asset)];
  const Decimal rate_fee = notional * (maker ? rates.maker : rates.taker);
  return max(rate_fee, rates.minimum_per_order) + rates.per_contract * quantity;
}

Decimal SimBroker::slipped(Decimal price, OrderSide side, double participation,
                           Decimal tick) const {
  const double bps = config_.slippage_bps + config_.impact_bps * participation;
  const double factor = 1.0 + sign(side) * bps / 10000.0;
  return against_taker(Decimal::from_double(price.to_double() * factor), side, tick);
}

data::InstrumentInfo SimBroker::rules(Asset asset, const Symbol& symbol) const {
  return config_.instruments ? config_.instruments(asset, symbol) : data::InstrumentInfo{};
}

std::optional<std::pair<int, std::string>> SimBroker::breaks_rules(
    const OrderRequest& request, const data::InstrumentInfo& rules, Decimal reference) const {
  const Decimal tick = rules.tick_size;
  for (const auto& [name, price] :
       {std::pair{"limit", request.limit_price}, std::pair{"trigger", request.trigger_price}}) {
    if (tick.is_positive() && price && !price->is_multiple_of(tick)) {
      return std::pair{kPriceOffTick, fmt::format("{} price {} is not on the tick {} of {}", name,
                                                  *price, tick, request.symbol.canonical())};
    }
  }
  if (request.reduce_only) return std::nullopt;  // a position closes whole, whatever its size
  const Decimal quantity = request.quantity;
  if (rules.qty_step.is_positive() && !quantity.is_multiple_of(rules.qty_step)) {
    return std::pair{kQuantityOffStep,
                     fmt::format("quantity {} is not a multiple of the quantity step {} of {}",
                                 quantity, rules.qty_step, request.symbol.canonical())};
  }
  if (rules.min_qty.is_positive() && quantity < rules.min_qty) {
    return std::pair{kQuantityBelowMinimum,
                     fmt::format("quantity {} is below the minimum quantity {} of {}", quantity,
                                 rules.min_qty, request.symbol.canonical())};
  }
  const Decimal price = request.limit_price.value_or(reference);
  if (rules.min_notional.is_positive() && price.is_positive() &&
      quantity * price < rules.min_notional) {
    return std::pair{kValueBelowMinimum,
                     fmt::format("order value {} (quantity {} x price {}) is below the minimum {} "
                                 "of {}",
                                 quantity * price, quantity, price, rules.min_notional,
                                 request.symbol.canonical())};
  }
  return std::nullopt;
}

Decimal SimBroker::unrealised(const Book& book) const {
  if (!book.position) return Decimal::zero();
  const Position& p = *book.position;
  const Decimal move = book.last_close - p.average_price;
  return p.side == OrderSide::kBuy ? move * p.quantity : -(move * p.quantity);
}

Balance SimBroker::balance(Asset asset) const {
  const Wallet& wallet = this->wallet(asset);
  Balance balance;
  balance.asset = asset;
  balance.realised_pnl = wallet.realised_pnl;
  Decimal holdings, open_pnl, margin;
  for (const auto& [key, book] : books_) {
    if (key.first != asset || !book.position) continue;
    if (on_margin(asset)) {
      open_pnl = open_pnl + unrealised(book);
      margin = margin + book.margin;
    } else {
      holdings = holdings + book.position->quantity * book.last_close;
    }
  }
  balance.equity = wallet.cash + holdings + open_pnl;
  balance.available = on_margin(asset) ? wallet.cash + open_pnl - margin : wallet.cash;
  return balance;
}

std::optional<Position> SimBroker::position(Asset asset, const Symbol& symbol) const {
  const auto found = books_.find(std::pair<Asset, std::string_view>{asset, symbol.canonical()});
  if (found == books_.end() || !found->second.position) return std::nullopt;
  Position position = *found->second.position;
  position.unrealised_pnl = unrealised(found->second);
  return position;
}

std::size_t SimBroker::open_order_count() const {
  return orders_.size();
}

std::optional<TimestampMs> SimBroker::last_bar_time(Asset asset, const Symbol& symbol) const {
  const auto found = books_.find(std::pair<Asset, std::string_view>{asset, symbol.canonical()});
  if (found == books_.end() || found->second.last_bar_time < 0) return std::nullopt;
  return found->second.last_bar_time;
}

void SimBroker::request_snapshot(Asset asset) {
  BrokerSnapshot snapshot;
  snapshot.venue = config_.venue;
  snapshot.asset = asset;
  snapshot.time = clock_.now_ms();
  for (const auto& [key, book] : books_) {
    if (key.first != asset || !book.position) continue;
    Position position = *book.position;
    position.unrealised_pnl = unrealised(book);
    snapshot.positions.push_back(std::move(position));
  }
  for (const WorkingOrder& order : orders_) {
    if (order.request.asset != asset) continue;
    snapshot.open_orders.push_back(
        {order.request, order.venue_order_id,
         order.filled > Decimal::zero() ? OrderStatus::kPartiallyFilled : OrderStatus::kNew,
         order.filled});
  }
  snapshot.balance = balance(asset);
  for (const Fill& fill : recent_fills_) {
    if (fill.asset == asset) snapshot.recent_fills.push_back(fill);
  }
  bus_.publish(std::move(snapshot));
}

void SimBroker::on_bar(Asset asset, const Symbol& symbol, const Bar& bar) {
  auto found = books_.find(std::pair<Asset, std::string_view>{asset, symbol.canonical()});
  if (found == books_.end()) found = books_.try_emplace({asset, symbol.canonical()}).first;
  Book& book = found->second;
  if (bar.open_time <= book.last_bar_time) return;  // a bar seen before: nothing new
  if (book.last_bar_time >= 0 && on_margin(asset)) apply_funding(asset, symbol, bar, book);
  // Positions held into this bar: their protection and liquidation first.
  check_protection(asset, symbol, bar, book, book.last_bar_time);
  if (asset == Asset::kPerp) check_liquidation(asset, symbol, bar, book);
  process_orders(asset, symbol, bar, book);
  // Positions opened in this bar: the rest of the bar may already reach their levels.
  if (book.position && book.position->opened_at >= bar.open_time) {
    check_protection(asset, symbol, bar, book, bar.open_time);
  }
  book.last_close = bar.close;
  book.last_bar_time = bar.open_time;
}

void SimBroker::process_orders(Asset asset, const Symbol& symbol, const Bar& bar, Book& book) {
  if (orders_.empty()) return;
  const bool volume_known = bar.volume > Decimal::zero();
  const Decimal cap = volume_known
                          ? Decimal::from_double(bar.volume.to_double() * config_.max_participation)
                          : Decimal::max();
  std::optional<data::InstrumentInfo> instrument;  // looked up for the first order of the symbol
  for (auto it = orders_.begin(); it != orders_.end();) {
    WorkingOrder& order = *it;
    const OrderRequest& request = order.request;
    if (request.asset != asset || request.symbol != symbol || order.submitted_at > bar.open_time) {
      ++it;
      continue;
    }
    if (!instrument) instrument = rules(asset, symbol);
    const Decimal tick = instrument->tick_size;
    const Decimal step = instrument->qty_step;
    Decimal remaining = request.quantity - order.filled;
    if (request.reduce_only) {
      const bool closes = book.position && book.position->side != request.side;
      if (!closes) {
        bus_.publish(OrderCancelled{config_.venue, request.client_order_id, asset, symbol,
                                    order.filled, "reduce-only order with nothing to reduce",
                                    std::max(bar.open_time, order.active_at)});
        it = orders_.erase(it);
        continue;
      }
      remaining = min(remaining, book.position->quantity);
    }
    Decimal quantity = min(remaining, cap);
    if (step.is_positive() && quantity < remaining) {
      // Whole steps only; a remainder under one step goes with this part.
      quantity = quantity.round_to_step(step, Rounding::kFloor);
      if (quantity.is_positive() && remaining - quantity < step) quantity = remaining;
    }
    const double participation = volume_known ? quantity.to_double() / bar.volume.to_double() : 0.0;
    const bool buy = request.side == OrderSide::kBuy;
    std::optional<Decimal> price;
    bool maker = false;
    OrderType type = request.type;
    if (type == OrderType::kStopMarket || type == OrderType::kStopLimit) {
      const Decimal trigger = *request.trigger_price;
      const bool rises = order.trigger_rises;
      if (!order.triggered) order.triggered = rises ? bar.high >= trigger : bar.low <= trigger;
      if (order.triggered && type == OrderType::kStopMarket) {
        price = slipped(rises ? max(bar.open, trigger) : min(bar.open, trigger), request.side,
                        participation, tick);
      }
      if (order.triggered) type = type == OrderType::kStopMarket ? type : OrderType::kLimit;
    }
    if (type == OrderType::kMarket) {
      price = slipped(bar.open, request.side, participation, tick);
    } else if (type == OrderType::kLimit) {
      const Decimal limit = *request.limit_price;
      if (buy ? bar.open <= limit : bar.open >= limit) {  // marketable on arrival: taker
        const Decimal at = slipped(bar.open, request.side, participation, tick);
        price = buy ? min(at, limit) : max(at, limit);
      } else if (buy ? bar.low < limit : bar.high > limit) {  // traded through: maker at limit
        price = limit;
        maker = true;
      }
    }
    const TimestampMs time = std::max(bar.open_time, order.active_at);
    // IOC and FOK market and limit orders meet one bar: FOK fills whole there or not at all,
    // IOC keeps what it fills and the rest is cancelled.
    const bool immediate =
        request.time_in_force != TimeInForce::kGoodTillCancel &&
        (request.type == OrderType::kMarket || request.type == OrderType::kLimit);
    if (immediate && request.time_in_force == TimeInForce::kFillOrKill &&
        (!price || quantity < remaining)) {
      bus_.publish(OrderCancelled{
          config_.venue, request.client_order_id, asset, symbol, order.filled,
          price ? fmt::format("fill-or-kill: the bar fills {} of {}", quantity, remaining)
                : "fill-or-kill: the price was not reached",
          time});
      it = orders_.erase(it);
      continue;
    }
    if (!price || quantity <= Decimal::zero()) {
      if (immediate) {
        bus_.publish(OrderCancelled{config_.venue, request.client_order_id, asset, symbol,
                                    order.filled, "immediate-or-cancel: the price was not reached",
                                    time});
        it = orders_.erase(it);
        continue;
      }
      ++it;
      continue;
    }
    if (!fill(order, book, quantity, *price, maker, time)) {
      it = orders_.erase(it);
      continue;
    }
    if (order.filled >= request.quantity || (request.reduce_only && !book.position) || immediate) {
      if (order.filled < request.quantity) {
        bus_.publish(OrderCancelled{
            config_.venue, request.client_order_id, asset, symbol, order.filled,
            immediate ? "immediate-or-cancel: remainder" : "reduce-only remainder: position closed",
            time});
      }
      it = orders_.erase(it);
    } else {
      ++it;
    }
  }
}

bool SimBroker::fill(WorkingOrder& order, Book& book, Decimal quantity, Decimal price, bool maker,
                     TimestampMs time) {
  const OrderRequest& request = order.request;
  const Asset asset = request.asset;
  Wallet& wallet = this->wallet(asset);
  const Decimal notional = quantity * price;
  Decimal charged = fee(asset, notional, quantity, maker);
  const bool opens = !book.position || book.position->side == request.side;
  // Bybit takes a spot buy's fee in the coin bought: the holding is smaller, the cash pays none.
  const config::FeeRates& rates = config_.fees[index(asset)];
  const Decimal base_fee = config_.spot_fee_in_base && asset == Asset::kSpot &&
                                   request.side == OrderSide::kBuy &&
                                   rates.minimum_per_order.is_zero() && rates.per_contract.is_zero()
                               ? quantity * (maker ? rates.maker : rates.taker)
                               : Decimal::zero();
  if (!base_fee.is_zero()) charged = base_fee.mul(price, Rounding::kHalfEven);

  const auto refuse = [&](const std::string& why) {
    bus_.publish(OrderCancelled{config_.venue, request.client_order_id, asset, request.symbol,
                                order.filled, why, time});
    return false;
  };

  if (opens) {
    if (on_margin(asset)) {
      const Decimal margin = Decimal::from_double(notional.to_double() / request.leverage);
      const Decimal available = balance(asset).available;
      if (margin + charged > available) {
        return refuse(fmt::format("insufficient margin: needs {} + fee {}, available {}",
                                  margin.to_string(), charged.to_string(), available.to_string()));
      }
      book.margin = book.margin + margin;
      wallet.cash = wallet.cash - charged;
    } else {
      const Decimal cash_fee = base_fee.is_zero() ? charged : Decimal::zero();
      if (notional + cash_fee > spendable_cash(asset)) {
        return refuse(fmt::format("insufficient balance: needs {} + fee {}, cash {}",
                                  notional.to_string(), cash_fee.to_string(),
                                  spendable_cash(asset).to_string()));
      }
      wallet.cash = wallet.cash - notional - cash_fee;
    }
    wallet.realised_pnl = wallet.realised_pnl - charged;
    if (!book.position) {
      Position position;
      position.asset = asset;
      position.symbol = request.symbol;
      position.side = request.side;
      position.quantity = quantity - base_fee;
      position.average_price = price;
      position.leverage = on_margin(asset) ? request.leverage : 1.0;
      position.strategy_id = request.strategy_id;
      position.opened_at = time;
      book.position = position;
    } else {
      Position& position = *book.position;
      const Decimal total = position.quantity + quantity;
      position.average_price = (position.average_price * position.quantity + notional) / total;
      position.quantity = total - base_fee;
    }
    Position& position = *book.position;
    if (asset == Asset::kPerp) {
      const double offset = 1.0 / position.leverage - config_.maintenance_margin;
      position.liquidation_price = Decimal::from_double(position.average_price.to_double() *
                                                        (1.0 - sign(position.side) * offset));
    }
    if (config_.protection_at_entry &&
        (request.stop_loss > Decimal::zero() || request.take_profit > Decimal::zero())) {
      position.stop_loss = request.stop_loss;
      position.take_profit = request.take_profit;
      position.trigger = request.trigger;
      book.protection_id = request.client_order_id;
      bus_.publish(ProtectionSet{config_.venue, request.client_order_id, asset, request.symbol,
                                 request.stop_loss, request.take_profit, request.trigger, time});
    }
  } else {
    Position& position = *book.position;
    const Decimal closed = min(quantity, position.quantity);
    const Decimal closing_fee =
        closed == quantity ? charged : fee(asset, closed * price, closed, maker);
    const Decimal move = price - position.average_price;
    const Decimal pnl = position.side == OrderSide::kBuy ? move * closed : -(move * closed);
    if (on_margin(asset)) {
      const Decimal released = book.margin * closed / position.quantity;
      book.margin = book.margin - released;
      wallet.cash = wallet.cash + pnl - closing_fee;
    } else {
      wallet.cash = wallet.cash + closed * price - closing_fee;
    }
    wallet.realised_pnl = wallet.realised_pnl + pnl - closing_fee;
    position.quantity = position.quantity - closed;
    if (position.quantity <= Decimal::zero()) {
      book.position.reset();
      book.margin = Decimal::zero();
      book.protection_id.clear();
    }
    if (quantity > closed && !request.reduce_only) {
      // A flip: the closing part is one fill, the rest opens the other side.
      order.filled = order.filled + closed;
      publish_fill(order, closed, price, closing_fee, maker, time);
      return fill(order, book, quantity - closed, price, maker, time);
    }
    quantity = closed;
    charged = closing_fee;
  }
  order.filled = order.filled + quantity;
  publish_fill(order, quantity, price, charged, maker, time, base_fee);
  return true;
}

void SimBroker::publish_fill(const WorkingOrder& order, Decimal quantity, Decimal price,
                             Decimal charged, bool maker, TimestampMs time, Decimal base_fee) {
  const OrderRequest& request = order.request;
  Fill fill{fmt::format("{}-{}", order.venue_order_id, ++sequence_),
            request.client_order_id,
            order.venue_order_id,
            request.asset,
            request.symbol,
            request.side,
            quantity,
            price,
            charged,
            maker,
            time,
            base_fee};
  recent_fills_.push_back(fill);
  while (recent_fills_.size() > kRecentFills ||
         recent_fills_.front().time < time - kRecentFillsWindow)
    recent_fills_.pop_front();
  const bool done = order.filled >= request.quantity;
  bus_.publish(OrderFilled{config_.venue, std::move(fill), order.filled,
                           done ? Decimal::zero() : request.quantity - order.filled,
                           done ? OrderStatus::kFilled : OrderStatus::kPartiallyFilled});
}

void SimBroker::check_protection(Asset asset, const Symbol& symbol, const Bar& bar, Book& book,
                                 TimestampMs) {
  if (!book.position) return;
  const Position& position = *book.position;
  const Decimal stop = position.stop_loss;
  const Decimal target = position.take_profit;
  if (stop <= Decimal::zero() && target <= Decimal::zero()) return;
  const bool long_side = position.side == OrderSide::kBuy;
  const bool entered_this_bar = position.opened_at >= bar.open_time;
  const auto beyond = [&](Decimal price, Decimal level, bool below) {
    return level > Decimal::zero() && (below ? price <= level : price >= level);
  };
  // A bar that opens beyond a level fills there at the open (not for an entry at that open).
  if (!entered_this_bar) {
    if (beyond(bar.open, stop, long_side)) {
      close_position(asset, symbol, book, bar.open, ProtectionTriggered::Kind::kStopLoss,
                     bar.open_time);
      return;
    }
    if (beyond(bar.open, target, !long_side)) {
      close_position(asset, symbol, book, bar.open, ProtectionTriggered::Kind::kTakeProfit,
                     bar.open_time);
      return;
    }
  }
  const bool stop_hit = beyond(long_side ? bar.low : bar.high, stop, long_side);
  const bool target_hit = beyond(long_side ? bar.high : bar.low, target, !long_side);
  if (stop_hit && (!target_hit || config_.stop_first)) {
    close_position(asset, symbol, book, stop, ProtectionTriggered::Kind::kStopLoss, bar.open_time);
  } else if (target_hit) {
    close_position(asset, symbol, book, target, ProtectionTriggered::Kind::kTakeProfit,
                   bar.open_time);
  }
}

void SimBroker::check_liquidation(Asset asset, const Symbol& symbol, const Bar& bar, Book& book) {
  if (!book.position || book.position->liquidation_price <= Decimal::zero()) return;
  const Position& position = *book.position;
  const bool long_side = position.side == OrderSide::kBuy;
  const Decimal level = position.liquidation_price;
  if (long_side ? bar.low <= level : bar.high >= level) {
    const Decimal price = long_side ? min(bar.open, level) : max(bar.open, level);
    close_position(asset, symbol, book, price, ProtectionTriggered::Kind::kLiquidation,
                   bar.open_time);
  }
}

void SimBroker::close_position(Asset asset, const Symbol& symbol, Book& book, Decimal price,
                               ProtectionTriggered::Kind kind, TimestampMs time) {
  const Position position = *book.position;
  // A level reached in the bar the position was opened in is reached after the entry's fill.
  time = std::max(time, position.opened_at);
  WorkingOrder closing;
  closing.request.client_order_id = fmt::format("sim-close-{}", ++sequence_);
  closing.request.asset = asset;
  closing.request.symbol = symbol;
  closing.request.side = opposite(position.side);
  closing.request.type = OrderType::kMarket;
  closing.request.quantity = position.quantity;
  closing.request.reduce_only = true;
  closing.request.strategy_id = position.strategy_id;
  closing.venue_order_id = next_venue_id();
  closing.submitted_at = time;
  closing.active_at = time;
  // A triggered market order (a liquidation fills at its level), on the tick against the taker.
  const Decimal tick = rules(asset, symbol).tick_size;
  const Decimal fill_price = kind == ProtectionTriggered::Kind::kLiquidation
                                 ? against_taker(price, closing.request.side, tick)
                                 : slipped(price, closing.request.side, 0.0, tick);
  bus_.publish(ProtectionTriggered{config_.venue, asset, symbol, kind, price,
                                   closing.request.client_order_id, time});
  fill(closing, book, position.quantity, fill_price, false, time);
}

void SimBroker::apply_funding(Asset asset, const Symbol& symbol, const Bar& bar, Book& book) {
  if (asset != Asset::kPerp || !book.position) return;
  // Every funding time in (previous bar, this bar].
  TimestampMs next = (book.last_bar_time / kFundingInterval + 1) * kFundingInterval;
  for (; next <= bar.open_time && book.position; next += kFundingInterval) {
    const double rate = funding_rate(symbol, next);
    const Position& position = *book.position;
    const Decimal value = position.quantity * book.last_close;
    // Longs pay a positive rate, shorts receive it.
    const Decimal amount = Decimal::from_double(-sign(position.side) * rate * value.to_double());
    Wallet& wallet = this->wallet(asset);
    wallet.cash = wallet.cash + amount;
    wallet.realised_pnl = wallet.realised_pnl + amount;
    bus_.publish(FundingApplied{config_.venue, asset, symbol, rate, amount, next});
  }
}

namespace {

using nlohmann::json;

json decimal_json(Decimal value) {
  return value.to_string();
}
Decimal decimal_from(const json& value) {
  return Decimal::parse(value.get<std::string>());
}
json optional_json(const std::optional<Decimal>& value) {
  return value ? json(value->to_string()) : json(nullptr);
}
std::optional<Decimal> optional_from(const json& value) {
  if (value.is_null()) return std::nullopt;
  return decimal_from(value);
}

template <typename T>
T enum_from(std::optional<T> value, const std::string& text) {
  if (!value) throw StateError("sim venue state: unknown value '" + text + "'");
  return *value;
}

json request_json(const OrderRequest& r) {
  return {{"id", r.client_order_id},
          {"asset", to_string(r.asset)},
          {"symbol", r.symbol.canonical()},
          {"side", to_string(r.side)},
          {"type", to_string(r.type)},
          {"quantity", decimal_json(r.quantity)},
          {"limit", optional_json(r.limit_price)},
          {"trigger_price", optional_json(r.trigger_price)},
          {"tif", to_string(r.time_in_force)},
          {"reduce_only", r.reduce_only},
          {"leverage", r.leverage},
          {"stop_loss", decimal_json(r.stop_loss)},
          {"take_profit", decimal_json(r.take_profit)},
          {"trigger", to_string(r.trigger)},
          {"strategy", r.strategy_id},
          {"created_at", r.created_at}};
}

OrderRequest request_from(const json& j) {
  OrderRequest r;
  r.client_order_id = j.at("id").get<std::string>();
  r.asset = enum_from(asset_from_string(j.at("asset").get<std::string>()), "asset");
  r.symbol = Symbol::parse(j.at("symbol").get<std::string>());
  r.side = enum_from(order_side_from_string(j.at("side").get<std::string>()), "side");
  r.type = enum_from(order_type_from_string(j.at("type").get<std::string>()), "type");
  r.quantity = decimal_from(j.at("quantity"));
  r.limit_price = optional_from(j.at("limit"));
  r.trigger_price = optional_from(j.at("trigger_price"));
  r.time_in_force =
      enum_from(time_in_force_from_string(j.at("tif").get<std::string>()), "time in force");
  r.reduce_only = j.at("reduce_only").get<bool>();
  r.leverage = j.at("leverage").get<double>();
  r.stop_loss = decimal_from(j.at("stop_loss"));
  r.take_profit = decimal_from(j.at("take_profit"));
  r.trigger =
      j.at("trigger").get<std::string>() == "mark" ? TriggerPrice::kMark : TriggerPrice::kLast;
  r.strategy_id = j.at("strategy").get<std::string>();
  r.created_at = j.at("created_at").get<TimestampMs>();
  return r;
}

json position_json(const Position& p) {
  return {{"asset", to_string(p.asset)},
          {"symbol", p.symbol.canonical()},
          {"side", to_string(p.side)},
          {"quantity", decimal_json(p.quantity)},
          {"average_price", decimal_json(p.average_price)},
          {"stop_loss", decimal_json(p.stop_loss)},
          {"take_profit", decimal_json(p.take_profit)},
          {"trigger", to_string(p.trigger)},
          {"leverage", p.leverage},
          {"liquidation_price", decimal_json(p.liquidation_price)},
          {"strategy", p.strategy_id},
          {"opened_at", p.opened_at}};
}

Position position_from(const json& j) {
  Position p;
  p.asset = enum_from(asset_from_string(j.at("asset").get<std::string>()), "asset");
  p.symbol = Symbol::parse(j.at("symbol").get<std::string>());
  p.side = enum_from(order_side_from_string(j.at("side").get<std::string>()), "side");
  p.quantity = decimal_from(j.at("quantity"));
  p.average_price = decimal_from(j.at("average_price"));
  p.stop_loss = decimal_from(j.at("stop_loss"));
  p.take_profit = decimal_from(j.at("take_profit"));
  p.trigger =
      j.at("trigger").get<std::string>() == "mark" ? TriggerPrice::kMark : TriggerPrice::kLast;
  p.leverage = j.at("leverage").get<double>();
  p.liquidation_price = decimal_from(j.at("liquidation_price"));
  p.strategy_id = j.at("strategy").get<std::string>();
  p.opened_at = j.at("opened_at").get<TimestampMs>();
  return p;
}

json fill_json(const Fill& f) {
  return {{"execution", f.execution_id},
          {"id", f.client_order_id},
          {"venue_id", f.venue_order_id},
          {"asset", to_string(f.asset)},
          {"symbol", f.symbol.canonical()},
          {"side", to_string(f.side)},
          {"quantity", decimal_json(f.quantity)},
          {"price", decimal_json(f.price)},
          {"fee", decimal_json(f.fee)},
          {"maker", f.maker},
          {"time", f.time},
          {"base_fee", decimal_json(f.base_fee)}};
}

Fill fill_from(const json& j) {
  Fill f;
  f.execution_id = j.at("execution").get<std::string>();
  f.client_order_id = j.at("id").get<std::string>();
  f.venue_order_id = j.at("venue_id").get<std::string>();
  f.asset = enum_from(asset_from_string(j.at("asset").get<std::string>()), "asset");
  f.symbol = Symbol::parse(j.at("symbol").get<std::string>());
  f.side = enum_from(order_side_from_string(j.at("side").get<std::string>()), "side");
  f.quantity = decimal_from(j.at("quantity"));
  f.price = decimal_from(j.at("price"));
  f.fee = decimal_from(j.at("fee"));
  f.maker = j.at("maker").get<bool>();
  f.time = j.at("time").get<TimestampMs>();
  if (j.contains("base_fee")) f.base_fee = decimal_from(j.at("base_fee"));
  return f;
}

}  // namespace

std::string SimBroker::save_state() const {
  json state;
  json wallets = json::array();
  for (const Wallet& wallet : wallets_) {
    wallets.push_back(
        {{"cash", decimal_json(wallet.cash)}, {"realised", decimal_json(wallet.realised_pnl)}});
  }
  state["wallets"] = wallets;
  json books = json::array();
  for (const auto& [key, book] : books_) {
    books.push_back({{"asset", to_string(key.first)},
                     {"symbol", key.second},
                     {"position", book.position ? position_json(*book.position) : json(nullptr)},
                     {"margin", decimal_json(book.margin)},
                     {"last_close", decimal_json(book.last_close)},
                     {"last_bar_time", book.last_bar_time},
                     {"protection_id", book.protection_id}});
  }
  state["books"] = books;
  json orders = json::array();
  for (const WorkingOrder& order : orders_) {
    orders.push_back({{"request", request_json(order.request)},
                      {"venue_id", order.venue_order_id},
                      {"submitted_at", order.submitted_at},
                      {"active_at", order.active_at},
                      {"filled", decimal_json(order.filled)},
                      {"accepted", order.accepted},
                      {"triggered", order.triggered},
                      {"trigger_rises", order.trigger_rises}});
  }
  state["orders"] = orders;
  state["seen"] = seen_client_ids_;
  json fills = json::array();
  for (const Fill& fill : recent_fills_) fills.push_back(fill_json(fill));
  state["fills"] = fills;
  state["sequence"] = sequence_;
  return state.dump();
}

void SimBroker::restore_state(const std::string& text) {
  try {
    const json state = json::parse(text);
    std::array<Wallet, 4> wallets{};
    for (std::size_t i = 0; i < wallets.size(); ++i) {
      wallets[i].cash = decimal_from(state.at("wallets").at(i).at("cash"));
      wallets[i].realised_pnl = decimal_from(state.at("wallets").at(i).at("realised"));
    }
    std::map<BookKey, Book, AssetSymbolLess> books;
    for (const json& j : state.at("books")) {
      Book book;
      if (!j.at("position").is_null()) book.position = position_from(j.at("position"));
      book.margin = decimal_from(j.at("margin"));
      book.last_close = decimal_from(j.at("last_close"));
      book.last_bar_time = j.at("last_bar_time").get<TimestampMs>();
      book.protection_id = j.at("protection_id").get<std::string>();
      const Asset asset = enum_from(asset_from_string(j.at("asset").get<std::string>()), "asset");
      books[{asset, j.at("symbol").get<std::string>()}] = std::move(book);
    }
    std::deque<WorkingOrder> orders;
    for (const json& j : state.at("orders")) {
      WorkingOrder order;
      order.request = request_from(j.at("request"));
      order.venue_order_id = j.at("venue_id").get<std::string>();
      order.submitted_at = j.at("submitted_at").get<TimestampMs>();
      order.active_at = j.at("active_at").get<TimestampMs>();
      order.filled = decimal_from(j.at("filled"));
      order.accepted = j.at("accepted").get<bool>();
      order.triggered = j.at("triggered").get<bool>();
      order.trigger_rises = j.contains("trigger_rises") ? j.at("trigger_rises").get<bool>()
                                                        : order.request.side == OrderSide::kBuy;
      orders.push_back(std::move(order));
    }
    std::deque<Fill> fills;
    for (const json& j : state.at("fills")) fills.push_back(fill_from(j));
    wallets_ = wallets;
    books_ = std::move(books);
    orders_ = std::move(orders);
    seen_client_ids_ = state.at("seen").get<std::set<std::string>>();
    recent_fills_ = std::move(fills);
    sequence_ = state.at("sequence").get<uint64_t>();
  } catch (const nlohmann::json::exception& error) {
    throw StateError(std::string("sim venue state does not parse: ") + error.what());
  } catch (const DecimalError& error) {
    throw StateError(std::string("sim venue state has a bad number: ") + error.what());
  }
}

}  // namespace gauntlet::brokers
