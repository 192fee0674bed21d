// OrderTracker: Bybit's order and execution records, in the orders and duplicates a venue
// sends them, become each broker event exactly once (figures chosen by hand).
#include "brokers/bybit/order_tracker.hpp"

#include <gtest/gtest.h>

#include <variant>
#include <vector>

#include "core/asio.hpp"

namespace gauntlet::brokers::bybit {
namespace {

using Event = std::variant<OrderAccepted, OrderFilled, OrderCancelled, OrderRejected, OrderAmended,
                           ProtectionTriggered, FundingApplied>;

class OrderTrackerTest : public ::testing::Test {
 protected:
  OrderTrackerTest() : bus(loop), tracker(bus) {
    subscribe<OrderAccepted>();
    subscribe<OrderFilled>();
    subscribe<OrderCancelled>();
    subscribe<OrderRejected>();
    subscribe<OrderAmended>();
    subscribe<ProtectionTriggered>();
    subscribe<FundingApplied>();
  }

  template <class E>
  void subscribe() {
    subscriptions.push_back(bus.subscribe<E>([this](const E& e) { events.push_back(e); }));
  }

  std::vector<Event> take() {
    bus.drain();
    std::vector<Event> taken = std::move(events);
    events.clear();
    return taken;
  }

  static OrderRequest request(std::string id, std::string qty) {
    OrderRequest r;
    r.client_order_id = std::move(id);
    r.asset = Asset::kPerp;
    r.symbol = Symbol::parse("BTCUSDT");
    r.side = OrderSide::kBuy;
    r.type = OrderType::kLimit;
    r.quantity = Decimal::parse(qty);
    r.limit_price = Decimal::parse("30000");
    return r;
  }

  static Execution execution(std::string exec_id, std::string link, std::string qty,
                             std::string leaves) {
    Execution e;
    e.category = Category::kLinear;
    e.symbol = Symbol::parse("BTCUSDT");
    e.exec_id = std::move(exec_id);
    e.order_id = "venue-1";
    e.order_link_id = std::move(link);
    e.side = OrderSide::kBuy;
    e.exec_price = Decimal::parse("30000");
    e.exec_qty = Decimal::parse(qty);
    e.exec_value = e.exec_price * e.exec_qty;
    e.exec_fee = Decimal::parse("0.6");
    e.fee_currency = "USDT";
    e.exec_time = 1'700'000'000'000;
    e.leaves_qty = Decimal::parse(leaves);
    return e;
  }

  static VenueOrder order(std::string link, std::string status, OrderStatus mapped,
                          std::string cum) {
    VenueOrder o;
    o.category = Category::kLinear;
    o.symbol = Symbol::parse("BTCUSDT");
    o.order_id = "venue-1";
    o.order_link_id = std::move(link);
    o.qty = Decimal::parse("1");
    o.price = Decimal::parse("30000");
    o.order_status = std::move(status);
    o.status = mapped;
    o.cum_exec_qty = Decimal::parse(cum);
    o.cancel_type = "CancelByUser";
    o.updated_time = 1'700'000'000'500;
    return o;
  }

  asio::io_context loop;
  EventBus bus;
  OrderTracker tracker;
  std::vector<Subscription> subscriptions;
  std::vector<Event> events;
};

TEST_F(OrderTrackerTest, AnAckIsAcceptedOnce) {
  tracker.sent(request("g-1", "1"));
  tracker.acknowledged("g-1", "venue-1", 5);
  tracker.acknowledged("g-1", "venue-1", 6);
  tracker.on_order(order("g-1", "New", OrderStatus::kNew, "0"));
  const auto events = take();
  ASSERT_EQ(events.size(), 1u);
  const auto& accepted = std::get<OrderAccepted>(events[0]);
  EXPECT_EQ(accepted.venue_order_id, "venue-1");
  EXPECT_EQ(accepted.asset, Asset::kPerp);
  EXPECT_EQ(*tracker.order_id("g-1"), "venue-1");
}

TEST_F(OrderTrackerTest, PartialFillsSumAndADuplicateExecutionIsDropped) {
  tracker.sent(request("g-1", "1"));
  tracker.acknowledged("g-1", "venue-1", 5);
  take();
  tracker.on_execution(execution("e-1", "g-1", "0.4", "0.6"));
  tracker.on_execution(execution("e-1", "g-1", "0.4", "0.6"));  // the REST catch-up again
  tracker.on_execution(execution("e-2", "g-1", "0.6", "0"));
  const auto events = take();
  ASSERT_EQ(events.size(), 2u);
  const auto& first = std::get<OrderFilled>(events[0]);
  EXPECT_EQ(first.fill.quantity, Decimal::parse("0.4"));
  EXPECT_EQ(first.cumulative_quantity, Decimal::parse("0.4"));
  EXPECT_EQ(first.leaves_quantity, Decimal::parse("0.6"));
  EXPECT_EQ(first.status, OrderStatus::kPartiallyFilled);
  EXPECT_EQ(first.fill.fee, Decimal::parse("0.6"));
  const auto& second = std::get<OrderFilled>(events[1]);
  EXPECT_EQ(second.cumulative_quantity, Decimal::parse("1"));
  EXPECT_EQ(second.status, OrderStatus::kFilled);
  EXPECT_EQ(tracker.duplicate_executions(), 1u);
  EXPECT_EQ(tracker.last_execution_time(), 1'700'000'000'000);
}

TEST_F(OrderTrackerTest, ACancelWaitsForTheFillsItCounts) {
  tracker.sent(request("g-1", "1"));
  tracker.acknowledged("g-1", "venue-1", 5);
  take();
  // Bybit's order topic says Cancelled with 0.3 filled before the execution arrives.
  tracker.on_order(order("g-1", "Cancelled", OrderStatus::kCancelled, "0.3"));
  EXPECT_TRUE(take().empty());
  tracker.on_execution(execution("e-1", "g-1", "0.3", "0.7"));
  const auto events = take();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(std::get<OrderFilled>(events[0]).fill.quantity, Decimal::parse("0.3"));
  const auto& cancelled = std::get<OrderCancelled>(events[1]);
  EXPECT_EQ(cancelled.filled_quantity, Decimal::parse("0.3"));
  EXPECT_EQ(cancelled.reason, "CancelByUser");
  tracker.on_order(order("g-1", "Cancelled", OrderStatus::kCancelled, "0.3"));
  EXPECT_TRUE(take().empty()) << "a repeated close is not a second event";
}

TEST_F(OrderTrackerTest, ARejectionWithoutFillsIsRejectedAndWithFillsIsACancel) {
  tracker.sent(request("g-1", "1"));
  VenueOrder rejected = order("g-1", "Rejected", OrderStatus::kRejected, "0");
  rejected.reject_reason = "EC_InsufficientMargin";
  tracker.on_order(rejected);
  auto events = take();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_NE(std::get<OrderRejected>(events[0]).failure.message.find("EC_InsufficientMargin"),
            std::string::npos);

  tracker.sent(request("g-2", "1"));
  tracker.acknowledged("g-2", "venue-2", 5);
  take();
  Execution part = execution("e-9", "g-2", "0.5", "0.5");
  part.order_id = "venue-2";
  tracker.on_execution(part);
  VenueOrder half = order("g-2", "Rejected", OrderStatus::kRejected, "0.5");
  half.order_id = "venue-2";
  tracker.on_order(half);
  events = take();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(std::get<OrderCancelled>(events[1]).filled_quantity, Decimal::parse("0.5"));
}

TEST_F(OrderTrackerTest, AVenueStopLossIsAProtectionTriggerThenItsFill) {
  Execution stop = execution("e-5", "", "1", "0");
  stop.order_id = "tpsl-77";
  stop.side = OrderSide::kSell;
  stop.exec_price = Decimal::parse("29000");
  stop.create_type = "CreateByStopLoss";
  stop.stop_order_type = "StopLoss";
  tracker.on_execution(stop);
  const auto events = take();
  ASSERT_EQ(events.size(), 2u);
  const auto& triggered = std::get<ProtectionTriggered>(events[0]);
  EXPECT_EQ(triggered.kind, ProtectionTriggered::Kind::kStopLoss);
  EXPECT_EQ(triggered.closing_client_order_id, "bybit-tpsl-77");
  EXPECT_EQ(triggered.trigger_price, Decimal::parse("29000"));
  const auto& filled = std::get<OrderFilled>(events[1]);
  EXPECT_EQ(filled.fill.client_order_id, "bybit-tpsl-77");
  EXPECT_EQ(filled.fill.side, OrderSide::kSell);
  EXPECT_EQ(filled.status, OrderStatus::kFilled);
}

TEST_F(OrderTrackerTest, FundingIsItsOwnEventOnce) {
  Execution funding = execution("f-1", "", "0.01", "0");
  funding.order_id = "";
  funding.exec_type = ExecType::kFunding;
  funding.exec_type_name = "Funding";
  funding.exec_fee = Decimal::parse("0.0123");  // paid
  funding.fee_rate = Decimal::parse("0.0001");
  tracker.on_execution(funding);
  tracker.on_execution(funding);
  const auto events = take();
  ASSERT_EQ(events.size(), 1u);
  const auto& applied = std::get<FundingApplied>(events[0]);
  EXPECT_EQ(applied.amount, Decimal::parse("-0.0123"));
  EXPECT_DOUBLE_EQ(applied.rate, 0.0001);
}

TEST_F(OrderTrackerTest, ALostAckIsRecoveredFromTheOrderRecordAndAnAmendIsSeen) {
  tracker.sent(request("g-1", "1"));
  tracker.on_order(order("g-1", "New", OrderStatus::kNew, "0"));
  VenueOrder amended = order("g-1", "New", OrderStatus::kNew, "0");
  amended.qty = Decimal::parse("2");
  amended.price = Decimal::parse("29500");
  tracker.on_order(amended);
  const auto events = take();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(std::get<OrderAccepted>(events[0]).client_order_id, "g-1");
  const auto& change = std::get<OrderAmended>(events[1]);
  EXPECT_EQ(change.quantity, Decimal::parse("2"));
  EXPECT_EQ(*change.limit_price, Decimal::parse("29500"));
}

TEST_F(OrderTrackerTest, FastExecutionsWaitForTheFullRecord) {
  Execution fast = execution("e-1", "g-1", "1", "0");
  fast.fast = true;
  tracker.on_execution(fast);
  EXPECT_TRUE(take().empty());
  tracker.on_execution(execution("e-1", "g-1", "1", "0"));
  EXPECT_EQ(take().size(), 1u);
}

}  // namespace
}  // namespace gauntlet::brokers::bybit
