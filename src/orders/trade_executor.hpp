// File: orders/trade_executor.hpp
//
// TradeExecutor (seed 000 trade_executor.py): what strategies and the runtime call to trade.
// It owns no order logic of its own: every order goes through the OrderRouter, the only placer.
//   - submit_trade_async refuses any trade without a stop loss and a take profit, sends the
//     entry through the router, and completes when the entry is filled, rejected, cancelled or
//     refused (or when `timeout` passes, with what is known by then);
//   - close_position_async closes one position with a reduce-only market order;
//   - disaster_flatten_all_async is the kill switch: for one asset, or all, it halts new
//     entries, cancels every open order and closes every position.
// The coroutines run on the engine loop (co_spawn them on the io_context of the EventBus).
//
// Threading: single-threaded, on the engine loop.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/asio.hpp"
#include "core/event_bus.hpp"
#include "core/orders.hpp"
#include "orders/order_router.hpp"

namespace gauntlet::orders {

// What a strategy proposes (signals only; the risk manager sizes it).
struct TradeSignal {
  Asset asset = Asset::kSpot;
  Symbol symbol;
  OrderSide side = OrderSide::kBuy;
  OrderType type = OrderType::kMarket;
  Decimal reference_price;
  std::optional<Decimal> limit_price;
  Decimal stop_loss;
  Decimal take_profit;
  std::string strategy_id;
  std::string signal_id;
  double atr = 0;
  double leverage = 1;
};

struct TradeOutcome {
  Decision decision;  // the router's refusal, or allow
  std::string client_order_id;
  OrderStatus status = OrderStatus::kPendingNew;
  Decimal filled_quantity;
  Decimal average_price;
  std::string reason;  // the venue's reason for a rejection or cancel
  bool timed_out = false;
};

class TradeExecutor {
 public:
  TradeExecutor(asio::io_context& loop, EventBus& bus, OrderRouter& router);
  ~TradeExecutor();

  asio::awaitable<TradeOutcome> submit_trade_async(TradeSignal signal,
                                                   DurationMs timeout = 60 * kSecondMs);
  asio::awaitable<TradeOutcome> close_position_async(Asset asset, Symbol symbol, std::string reason,
                                                     DurationMs timeout = 60 * kSecondMs);
  // The kill switch for `asset`, or for every asset when none.
  asio::awaitable<std::vector<TradeOutcome>> disaster_flatten_all_async(
      std::optional<Asset> asset, DurationMs timeout = 60 * kSecondMs);

 private:
  struct Pending;
  // Registers a sent order to wait for; none for a refusal.
  std::shared_ptr<Pending> track(const PlaceResult& placed, DurationMs timeout);
  asio::awaitable<TradeOutcome> await_outcome(PlaceResult placed, std::shared_ptr<Pending> pending);
  void settle(const std::string& client_order_id, OrderStatus status, const std::string& reason);

  asio::io_context& loop_;
  EventBus& bus_;
  OrderRouter& router_;
  std::map<std::string, std::shared_ptr<Pending>> pending_;
  std::vector<Subscription> subscriptions_;
};

}  // namespace gauntlet::orders
