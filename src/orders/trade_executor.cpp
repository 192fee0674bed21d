#include "orders/trade_executor.hpp"

#include <chrono>

#include "core/logging.hpp"

namespace gauntlet::orders {
namespace {

auto& log() {
  static auto logger = module_logger("trade_executor");
  return *logger;
}

}  // namespace

// A trade waiting for its outcome: the timer is cancelled when the outcome arrives.
struct TradeExecutor::Pending {
  explicit Pending(asio::io_context& loop) : timer(loop) {}
  asio::steady_timer timer;
  bool settled = false;
  OrderStatus status = OrderStatus::kPendingNew;
  Decimal filled;
  Decimal notional;
  std::string reason;
};

TradeExecutor::TradeExecutor(asio::io_context& loop, EventBus& bus, OrderRouter& router)
    : loop_(loop), bus_(bus), router_(router) {
  subscriptions_.push_back(bus_.subscribe<brokers::OrderFilled>([this](const auto& event) {
    const auto found = pending_.find(event.fill.client_order_id);
    if (found == pending_.end()) return;
    Pending& pending = *found->second;
    pending.filled = pending.filled + event.fill.quantity;
    pending.notional = pending.notional + event.fill.quantity * event.fill.price;
    if (event.status == OrderStatus::kFilled) settle(event.fill.client_order_id, event.status, "");
  }));
  subscriptions_.push_back(bus_.subscribe<brokers::OrderRejected>([this](const auto& event) {
    if (event.failure.error_class == brokers::ErrorClass::kDuplicate) return;
    settle(event.client_order_id, OrderStatus::kRejected, event.failure.message);
  }));
  subscriptions_.push_back(bus_.subscribe<brokers::OrderCancelled>([this](const auto& event) {
    settle(event.client_order_id, OrderStatus::kCancelled, event.reason);
  }));
}

TradeExecutor::~TradeExecutor() {
  for (auto& [id, pending] : pending_) pending->timer.cancel();
}

void TradeExecutor::settle(const std::string& client_order_id, OrderStatus status,
                           const std::string& reason) {
  const auto found = pending_.find(client_order_id);
  if (found == pending_.end() || found->second->settled) return;
  found->second->settled = true;
  found->second->status = status;
  found->second->reason = reason;
  found->second->timer.cancel();
}

std::shared_ptr<TradeExecutor::Pending> TradeExecutor::track(const PlaceResult& placed,
                                                             DurationMs timeout) {
  if (!placed.decision) return nullptr;
  auto pending = std::make_shared<Pending>(loop_);
  pending->timer.expires_after(std::chrono::milliseconds(timeout));
  pending_[placed.client_order_id] = pending;
  return pending;
}

asio::awaitable<TradeOutcome> TradeExecutor::await_outcome(PlaceResult placed,
                                                           std::shared_ptr<Pending> pending) {
  TradeOutcome outcome;
  outcome.decision = placed.decision;
  outcome.client_order_id = placed.client_order_id;
  if (!placed.decision || !pending) {
    outcome.reason = placed.decision.reason;
    co_return outcome;
  }
  boost::system::error_code ignored;  // operation_aborted when the outcome arrives first
  co_await pending->timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  pending_.erase(placed.client_order_id);
  outcome.timed_out = !pending->settled;
  outcome.status = pending->settled ? pending->status : OrderStatus::kNew;
  outcome.filled_quantity = pending->filled;
  if (pending->filled > Decimal::zero()) {
    outcome.average_price = pending->notional / pending->filled;
    if (outcome.timed_out) outcome.status = OrderStatus::kPartiallyFilled;
  }
  outcome.reason = pending->reason;
  co_return outcome;
}

asio::awaitable<TradeOutcome> TradeExecutor::submit_trade_async(TradeSignal signal,
                                                                DurationMs timeout) {
  if (signal.stop_loss <= Decimal::zero() || signal.take_profit <= Decimal::zero()) {
    TradeOutcome refused;
    refused.decision = Decision::deny(
        "missing_protection: every trade needs a stop loss and a take profit, got stop_loss " +
        signal.stop_loss.to_string() + " take_profit " + signal.take_profit.to_string());
    refused.reason = refused.decision.reason;
    co_return refused;
  }
  OrderContext order;
  order.asset = signal.asset;
  order.symbol = signal.symbol;
  order.side = signal.side;
  order.type = signal.type;
  order.reference_price = signal.reference_price;
  order.limit_price = signal.limit_price;
  order.stop_loss = signal.stop_loss;
  order.take_profit = signal.take_profit;
  order.strategy_id = signal.strategy_id;
  order.signal_id = signal.signal_id;
  order.atr = signal.atr;
  order.leverage = signal.leverage;
  PlaceResult placed = router_.place_order(order);
  auto pending = track(placed, timeout);  // before any event can be dispatched
  co_return co_await await_outcome(std::move(placed), std::move(pending));
}

asio::awaitable<TradeOutcome> TradeExecutor::close_position_async(Asset asset, Symbol symbol,
                                                                  std::string reason,
                                                                  DurationMs timeout) {
  PlaceResult placed = router_.close_position(asset, symbol, reason);
  auto pending = track(placed, timeout);
  co_return co_await await_outcome(std::move(placed), std::move(pending));
}

asio::awaitable<std::vector<TradeOutcome>> TradeExecutor::disaster_flatten_all_async(
    std::optional<Asset> asset, DurationMs timeout) {
  std::vector<TradeOutcome> outcomes;
  for (Asset each : kAllAssets) {
    if (asset && *asset != each) continue;
    router_.halt_entries(each, HaltReason::kKillSwitch, "flatten all");
  }
  for (const JournalEntry& entry : router_.journal().open_orders()) {
    if (asset && entry.request.asset != *asset) continue;
    const Decision cancelled = router_.cancel_order(entry.request.client_order_id);
    if (!cancelled) log().warn("kill switch could not cancel {}", cancelled.reason);
  }
  // Every exit is sent and tracked before the first wait, so no outcome can slip by.
  std::vector<std::pair<PlaceResult, std::shared_ptr<Pending>>> exits;
  for (const Position& position : router_.positions()) {
    if (asset && position.asset != *asset) continue;
    PlaceResult placed = router_.close_position(position.asset, position.symbol, "kill_switch");
    auto pending = track(placed, timeout);
    exits.emplace_back(std::move(placed), std::move(pending));
  }
  for (auto& [placed, pending] : exits) {
    outcomes.push_back(co_await await_outcome(std::move(placed), std::move(pending)));
  }
  log().warn("kill switch done asset={} exits={}", asset ? to_string(*asset) : "all",
             outcomes.size());
  co_return outcomes;
}

}  // namespace gauntlet::orders
