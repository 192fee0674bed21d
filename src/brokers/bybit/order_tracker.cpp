// File: brokers/bybit/order_tracker.cpp
#include "brokers/bybit/order_tracker.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace gauntlet::brokers::bybit {
namespace {

// execIds remembered for deduplication: far more than a catch-up window replays.
constexpr std::size_t kRememberedExecutions = 100'000;

std::optional<ProtectionTriggered::Kind> venue_exit_kind(const Execution& execution) {
  const std::string_view stop = execution.stop_order_type;
  const std::string_view created = execution.create_type;
  if (execution.exec_type == ExecType::kBustTrade || execution.exec_type == ExecType::kAdlTrade ||
      created == "CreateByLiq" || created == "CreateByAdl")
    return ProtectionTriggered::Kind::kLiquidation;
  if (stop == "TakeProfit" || stop == "PartialTakeProfit" || created == "CreateByTakeProfit" ||
      created == "CreateByPartialTakeProfit")
    return ProtectionTriggered::Kind::kTakeProfit;
  if (stop == "StopLoss" || stop == "PartialStopLoss" || stop == "TrailingStop" ||
      created == "CreateByStopLoss" || created == "CreateByPartialStopLoss" ||
      created == "CreateByTrailingStop")
    return ProtectionTriggered::Kind::kStopLoss;
  return std::nullopt;
}

}  // namespace

std::string venue_client_id(std::string_view order_id) {
  return fmt::format("bybit-{}", order_id);
}

std::optional<ProtectionTriggered::Kind> spot_protection_kind(std::string_view order_link_id) {
  if (order_link_id.starts_with(kSpotStopLossPrefix)) return ProtectionTriggered::Kind::kStopLoss;
  if (order_link_id.starts_with(kSpotTakeProfitPrefix))
    return ProtectionTriggered::Kind::kTakeProfit;
  return std::nullopt;
}

OrderTracker::OrderTracker(EventBus& bus) : bus_(bus) {}

OrderTracker::Tracked& OrderTracker::track(const std::string& client_id) {
  Tracked& order = orders_[client_id];
  order.client_id = client_id;
  return order;
}

bool OrderTracker::knows(const std::string& client_order_id) const {
  return orders_.contains(client_order_id);
}

std::optional<std::string> OrderTracker::order_id(const std::string& client_order_id) const {
  const auto found = orders_.find(client_order_id);
  if (found == orders_.end() || found->second.order_id.empty()) return std::nullopt;
  return found->second.order_id;
}

void OrderTracker::sent(const OrderRequest& request) {
  Tracked& order = track(request.client_order_id);
  order.asset = request.asset;
  order.symbol = request.symbol;
  order.quantity = request.quantity;
  order.price = request.limit_price;
  order.trigger = request.trigger_price;
}

void OrderTracker::acknowledged(const std::string& client_order_id, const std::string& order_id,
                                TimestampMs time) {
  Tracked& order = track(client_order_id);
  if (!order_id.empty()) {
    order.order_id = order_id;
    by_order_id_[order_id] = client_order_id;
  }
  if (order.accepted) return;
  order.accepted = true;
  bus_.publish(OrderAccepted{std::string(kVenue), client_order_id, order.order_id, order.asset,
                             order.symbol, time});
}

void OrderTracker::remember_execution(const std::string& exec_id) {
  executions_.insert(exec_id);
  execution_order_.push_back(exec_id);
  while (execution_order_.size() > kRememberedExecutions) {
    executions_.erase(execution_order_.front());
    execution_order_.pop_front();
  }
}

void OrderTracker::on_execution(const Execution& execution) {
  if (execution.fast) return;  // the full record with the same execId carries the fee
  if (executions_.contains(execution.exec_id)) {
    ++duplicates_;
    return;
  }
  if (execution.exec_type == ExecType::kFunding) {
    Mapped<FundingApplied> funding = to_funding(execution);
    if (!funding) {
      ++unusable_;
      return;
    }
    remember_execution(execution.exec_id);
    last_execution_time_ = std::max(last_execution_time_, execution.exec_time);
    bus_.publish(std::move(*funding.value));
    return;
  }
  if (!is_fill(execution.exec_type)) return;  // settlement, delivery: not a position change
  Mapped<Fill> mapped = to_fill(execution);
  if (!mapped) {
    ++unusable_;
    return;
  }
  remember_execution(execution.exec_id);
  last_execution_time_ = std::max(last_execution_time_, execution.exec_time);
  Fill fill = std::move(*mapped.value);

  const std::string client_id = client_id_of(execution);
  Tracked& order = track(client_id);
  if (order.order_id.empty() && !execution.order_id.empty()) {
    order.order_id = execution.order_id;
    by_order_id_[execution.order_id] = client_id;
  }
  order.asset = fill.asset;
  order.symbol = fill.symbol;
  if (!order.protection_told) {
    const auto kind = execution.order_link_id.empty()
                          ? venue_exit_kind(execution)
                          : spot_protection_kind(execution.order_link_id);
    if (kind) {
      order.protection_told = true;
      bus_.publish(ProtectionTriggered{std::string(kVenue), fill.asset, fill.symbol, *kind,
                                       execution.exec_price, client_id, execution.exec_time});
    }
  }
  order.cumulative = order.cumulative + fill.quantity;
  const bool done = !execution.leaves_qty.is_positive();
  fill.client_order_id = client_id;
  bus_.publish(OrderFilled{std::string(kVenue), std::move(fill), order.cumulative,
                           execution.leaves_qty,
                           done ? OrderStatus::kFilled : OrderStatus::kPartiallyFilled});
  if (done) order.closed = true;
  if (order.pending_close && order.cumulative >= order.pending_close->cum_exec_qty) {
    const VenueOrder record = *order.pending_close;
    order.pending_close.reset();
    publish_close(order, record);
  }
}

std::string OrderTracker::client_id_of(const Execution& execution) const {
  if (!execution.order_link_id.empty()) return execution.order_link_id;
  const auto known = by_order_id_.find(execution.order_id);
  return known != by_order_id_.end() ? known->second : venue_client_id(execution.order_id);
}

void OrderTracker::on_order(const VenueOrder& record) {
  const std::string client_id =
      !record.order_link_id.empty() ? record.order_link_id : venue_client_id(record.order_id);
  Tracked& order = track(client_id);
  order.asset = domain_of(record.category);
  order.symbol = record.symbol;
  if (order.order_id.empty()) {
    order.order_id = record.order_id;
    by_order_id_[record.order_id] = client_id;
  }
  if (order.closed) return;
  if (spot_protection_kind(record.order_link_id)) return;  // the broker's, not the router's
  const bool engine_order = !record.order_link_id.empty();
  const bool open =
      record.status == OrderStatus::kNew || record.status == OrderStatus::kPartiallyFilled;
  if (engine_order && !order.accepted &&
      (open || record.status == OrderStatus::kFilled || record.cum_exec_qty.is_positive())) {
    acknowledged(client_id, record.order_id, record.created_time);
  }
  if (open && order.accepted) {
    const std::optional<Decimal> price =
        record.price.is_positive() ? std::optional<Decimal>(record.price) : std::nullopt;
    const std::optional<Decimal> trigger = record.trigger_price.is_positive()
                                               ? std::optional<Decimal>(record.trigger_price)
                                               : std::nullopt;
    const bool changed = (order.quantity.is_positive() && record.qty != order.quantity) ||
                         (order.price && price && *price != *order.price) ||
                         (order.trigger && trigger && *trigger != *order.trigger);
    order.quantity = record.qty;
    order.price = price;
    order.trigger = trigger;
    if (changed) {
      bus_.publish(OrderAmended{std::string(kVenue), client_id, order.asset, order.symbol,
                                record.qty, price, trigger, record.updated_time});
    }
    return;
  }
  if (record.status == OrderStatus::kCancelled || record.status == OrderStatus::kRejected) {
    if (order.cumulative < record.cum_exec_qty) {
      order.pending_close = record;  // its fills are still on their way
      return;
    }
    publish_close(order, record);
  }
}

void OrderTracker::publish_close(Tracked& order, const VenueOrder& record) {
  if (order.closed) return;
  order.closed = true;
  const std::string reason =
      !record.reject_reason.empty() && record.reject_reason != "EC_NoError"
          ? record.reject_reason
          : (record.cancel_type.empty() ? record.order_status : record.cancel_type);
  if (record.status == OrderStatus::kRejected && !record.cum_exec_qty.is_positive()) {
    BrokerFailure failure;
    failure.message = fmt::format("{} rejected the order: {}", kVenue, reason);
    failure.error_class = ErrorClass::kRejected;
    bus_.publish(OrderRejected{std::string(kVenue), order.client_id, order.asset, order.symbol,
                               std::move(failure), record.updated_time});
    return;
  }
  bus_.publish(OrderCancelled{std::string(kVenue), order.client_id, order.asset, order.symbol,
                              record.cum_exec_qty, reason, record.updated_time});
}

}  // namespace gauntlet::brokers::bybit
