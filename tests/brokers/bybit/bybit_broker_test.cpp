// BybitBroker against the local Bybit on loopback (VenueServer + ExchangeApi + Exchange): the
// engine's orders go out signed, come back as the engine's broker events with the figures the
// bars imply (derived by hand: zero slippage, taker 0.00055, maker 0.0002), protection is set
// and triggered on the venue, snapshots carry the venue's books, and fills made while the
// private WebSocket was down arrive through the REST catch-up.
#include "brokers/bybit/bybit_broker.hpp"

#include <gtest/gtest.h>

#include <set>
#include <variant>
#include <vector>

#include "brokers/bybit/loop_helpers.hpp"
#include "core/asio.hpp"
#include "core/wall_clock.hpp"
#include "venues/bybit/exchange.hpp"
#include "venues/bybit/exchange_fixture.hpp"
#include "venues/bybit/private_api.hpp"
#include "venues/bybit/venue_server.hpp"

// The passkeys can only be made by their owners; the test stands in for them (this binary
// links neither orders module).
namespace gauntlet::orders {
class OrderRouter {
 public:
  static brokers::RouterKey key() { return {}; }
};
class SlTpManager {
 public:
  static brokers::ProtectionKey key() { return {}; }
};
}  // namespace gauntlet::orders

namespace gauntlet::brokers::bybit {
namespace {

using orders::OrderRouter;
using orders::SlTpManager;
using testing::run_until;
using venues::bybit::Exchange;
using venues::bybit::ExchangeApi;
using venues::bybit::ExchangeOptions;
using venues::bybit::VenueServer;

const ApiCredentials kKeys{"broker-key", "broker-secret"};
const Symbol kBtc = Symbol::parse("BTCUSDT");

using Event =
    std::variant<OrderAccepted, OrderRejected, OrderFilled, OrderCancelled, ProtectionSet,
                 ProtectionRejected, ProtectionTriggered, BrokerSnapshot, BrokerConnectionChanged>;

class BybitBrokerTest : public ::testing::Test {
 protected:
  BybitBrokerTest()
      : exchange(testing::hand_figure_options()),
        api(ExchangeApi::create(exchange)),
        bus(loop),
        clock(loop) {
    exchange.add_account(kKeys, Decimal::from_int(10'000));
    server.set_private_api(api);
    // An hour after the funding time before last: recent (the broker reads a day of
    // executions) and no funding time in the minutes the test trades.
    start = floor_to(clock.now_ms() - 2 * kHourMs, 8 * kHourMs) + kHourMs;
    feed(start, 100, 100, 100, 100);
    exchange.on_bar(Category::kSpot, kBtc, testing::venue_bar(start, 100, 100, 100, 100));
    BybitBrokerConfig config;
    config.rest.rest.base_url = server.rest_url();
    config.rest.credentials = kKeys;
    config.ws.url = server.rest_url().replace(0, 4, "ws") + "/v5/private";
    config.ws.credentials = kKeys;
    config.ws.retry = {std::numeric_limits<int>::max(), 50, 2.0, 200, 0.1};
    config.perp_leverage = 10;
    base_config = config;
    broker = std::make_unique<BybitBroker>(bus, loop, clock, config);
    record<OrderAccepted>();
    record<OrderRejected>();
    record<OrderFilled>();
    record<OrderCancelled>();
    record<ProtectionSet>();
    record<ProtectionRejected>();
    record<ProtectionTriggered>();
    record<BrokerSnapshot>();
    record<BrokerConnectionChanged>();
    broker->start();
    EXPECT_TRUE(run_until(loop, [&] { return broker->connected(); }));
  }
  ~BybitBrokerTest() override {
    broker->stop();
    server.set_private_api(nullptr);
    server.drop_connections();
  }

  template <class E>
  void record() {
    subscriptions.push_back(bus.subscribe<E>([this](const E& e) { events.push_back(e); }));
  }
  template <class E>
  std::vector<E> all() const {
    std::vector<E> found;
    for (const Event& e : events) {
      if (const E* event = std::get_if<E>(&e)) found.push_back(*event);
    }
    return found;
  }
  template <class E>
  bool wait_for(std::size_t count) {
    return run_until(loop, [&] { return all<E>().size() >= count; });
  }
  void feed(TimestampMs open_time, double open, double high, double low, double close) {
    exchange.on_bar(Category::kLinear, kBtc, testing::venue_bar(open_time, open, high, low, close));
  }
  static OrderRequest market(std::string id, OrderSide side, std::string qty,
                             Asset asset = Asset::kPerp) {
    OrderRequest r;
    r.client_order_id = std::move(id);
    r.asset = asset;
    r.symbol = kBtc;
    r.side = side;
    r.type = OrderType::kMarket;
    r.quantity = Decimal::parse(qty);
    r.time_in_force = TimeInForce::kImmediateOrCancel;
    return r;
  }

  VenueServer server;
  Exchange exchange;
  std::shared_ptr<ExchangeApi> api;
  asio::io_context loop;
  EventBus bus;
  WallClock clock;
  BybitBrokerConfig base_config;
  std::unique_ptr<BybitBroker> broker;
  std::vector<Subscription> subscriptions;
  std::vector<Event> events;
  TimestampMs start = 0;
};

TEST_F(BybitBrokerTest, AMarketEntryIsAcceptedThenFilledAtTheNextOpen) {
  broker->submit(OrderRouter::key(), market("g-1", OrderSide::kBuy, "1"));
  ASSERT_TRUE(wait_for<OrderAccepted>(1));
  EXPECT_EQ(all<OrderAccepted>()[0].client_order_id, "g-1");
  EXPECT_FALSE(all<OrderAccepted>()[0].venue_order_id.empty());
  feed(start + kMinuteMs, 101, 102, 100.5, 101.5);
  ASSERT_TRUE(wait_for<OrderFilled>(1));
  const OrderFilled filled = all<OrderFilled>()[0];
  EXPECT_EQ(filled.fill.client_order_id, "g-1");
  EXPECT_EQ(filled.fill.price, Decimal::parse("101"));
  EXPECT_EQ(filled.fill.quantity, Decimal::parse("1"));
  EXPECT_EQ(filled.fill.fee, Decimal::parse("0.05555"));  // 101 x 0.00055
  EXPECT_EQ(filled.status, OrderStatus::kFilled);
  EXPECT_TRUE(all<OrderRejected>().empty());
}

TEST_F(BybitBrokerTest, ProtectionIsSetOnTheVenueAndTriggersThere) {
  broker->submit(OrderRouter::key(), market("g-1", OrderSide::kBuy, "1"));
  ASSERT_TRUE(wait_for<OrderAccepted>(1));
  feed(start + kMinuteMs, 101, 102, 100.5, 101.5);
  ASSERT_TRUE(wait_for<OrderFilled>(1));
  ProtectionRequest stop;
  stop.protection_id = "p-1";
  stop.asset = Asset::kPerp;
  stop.symbol = kBtc;
  stop.position_side = OrderSide::kBuy;
  stop.quantity = Decimal::parse("1");
  stop.stop_loss = Decimal::parse("100");
  stop.trigger = TriggerPrice::kMark;
  broker->set_protection(SlTpManager::key(), stop);
  ASSERT_TRUE(wait_for<ProtectionSet>(1));
  EXPECT_EQ(all<ProtectionSet>()[0].stop_loss, Decimal::parse("100"));
  // The engine could be stopped now: the venue holds the stop. The next bar reaches it.
  feed(start + 2 * kMinuteMs, 101, 101, 99.5, 100.2);
  ASSERT_TRUE(wait_for<OrderFilled>(2));
  ASSERT_EQ(all<ProtectionTriggered>().size(), 1u);
  const ProtectionTriggered triggered = all<ProtectionTriggered>()[0];
  EXPECT_EQ(triggered.kind, ProtectionTriggered::Kind::kStopLoss);
  const OrderFilled exit = all<OrderFilled>()[1];
  EXPECT_EQ(exit.fill.client_order_id, triggered.closing_client_order_id);
  EXPECT_EQ(exit.fill.side, OrderSide::kSell);
  EXPECT_EQ(exit.fill.price, Decimal::parse("100"));
  EXPECT_EQ(exit.fill.fee, Decimal::parse("0.055"));  // 100 x 0.00055

  // The venue's books after the round trip: flat, wallet 10000 - 0.05555 - 1 - 0.055.
  broker->request_snapshot(Asset::kPerp);
  ASSERT_TRUE(wait_for<BrokerSnapshot>(1));
  const BrokerSnapshot snapshot = all<BrokerSnapshot>()[0];
  EXPECT_TRUE(snapshot.positions.empty());
  EXPECT_TRUE(snapshot.open_orders.empty());
  EXPECT_EQ(snapshot.balance.equity, Decimal::parse("9998.88945"));
  EXPECT_EQ(snapshot.recent_fills.size(), 2u);
}

TEST_F(BybitBrokerTest, TheSameClientIdTwiceIsOneOrder) {
  broker->submit(OrderRouter::key(), market("dup-1", OrderSide::kBuy, "1"));
  ASSERT_TRUE(wait_for<OrderAccepted>(1));
  broker->submit(OrderRouter::key(), market("dup-1", OrderSide::kBuy, "1"));
  testing::run_for(loop, std::chrono::milliseconds(300));
  EXPECT_EQ(all<OrderAccepted>().size(), 1u);
  EXPECT_TRUE(all<OrderRejected>().empty()) << "a duplicate is reconciled, not rejected";
  feed(start + kMinuteMs, 101, 102, 100.5, 101.5);
  ASSERT_TRUE(wait_for<OrderFilled>(1));
  testing::run_for(loop, std::chrono::milliseconds(200));
  EXPECT_EQ(all<OrderFilled>().size(), 1u);
  EXPECT_EQ(all<OrderFilled>()[0].fill.quantity, Decimal::parse("1"));
}

TEST_F(BybitBrokerTest, FillsMadeWhileTheStreamWasDownArriveThroughTheCatchUp) {
  broker->submit(OrderRouter::key(), market("g-1", OrderSide::kBuy, "1"));
  ASSERT_TRUE(wait_for<OrderAccepted>(1));
  // The private stream drops; the fill happens before the client is back.
  server.set_private_api(nullptr);
  server.drop_connections();
  ASSERT_TRUE(run_until(loop, [&] { return !broker->connected(); }));
  feed(start + kMinuteMs, 101, 102, 100.5, 101.5);
  testing::run_for(loop, std::chrono::milliseconds(200));
  EXPECT_TRUE(all<OrderFilled>().empty());
  server.set_private_api(api);
  ASSERT_TRUE(wait_for<OrderFilled>(1));
  EXPECT_GE(broker->catch_ups(), 1u);
  EXPECT_EQ(all<OrderFilled>()[0].fill.price, Decimal::parse("101"));
  EXPECT_EQ(all<OrderFilled>()[0].fill.fee, Decimal::parse("0.05555"));
}

// A restarted broker (a new instance on the same account) reads executions a day back by
// default; from the journal's last fill (fills_since) it finds older ones, and an order the
// journal holds as in flight (unresolved_orders) is looked up by its orderLinkId, however old.
// Here the default window is cut to a minute so that "old" is a few minutes.
TEST_F(BybitBrokerTest, ARestartFindsOldFillsFromTheJournalsLastFillAndItsOrdersInFlight) {
  broker->submit(OrderRouter::key(), market("g-1", OrderSide::kBuy, "1"));
  ASSERT_TRUE(wait_for<OrderAccepted>(1));
  feed(start + kMinuteMs, 101, 102, 100.5, 101.5);
  ASSERT_TRUE(wait_for<OrderFilled>(1));
  const TimestampMs entry_time = all<OrderFilled>()[0].fill.time;
  broker->submit(OrderRouter::key(), market("g-2", OrderSide::kSell, "1"));
  ASSERT_TRUE(wait_for<OrderAccepted>(2));
  broker->stop();
  feed(start + 2 * kMinuteMs, 102, 102, 101, 101.5);  // g-2 fills while no engine listens
  const auto snapshot_of = [&](BybitBrokerConfig config) {
    config.snapshot_fills = kMinuteMs;
    events.clear();
    auto restarted = std::make_unique<BybitBroker>(bus, loop, clock, config);
    restarted->request_snapshot(Asset::kPerp);
    EXPECT_TRUE(wait_for<BrokerSnapshot>(1));
    const BrokerSnapshot snapshot = all<BrokerSnapshot>().at(0);
    std::vector<std::string> ids;
    for (const Fill& fill : snapshot.recent_fills) ids.push_back(fill.client_order_id);
    return ids;
  };
  EXPECT_TRUE(snapshot_of(base_config).empty());
  BybitBrokerConfig from_journal = base_config;
  from_journal.fills_since = entry_time;
  EXPECT_EQ(snapshot_of(from_journal), (std::vector<std::string>{"g-1", "g-2"}));
  BybitBrokerConfig in_flight = base_config;
  in_flight.unresolved_orders[Asset::kPerp] = {"g-2"};
  EXPECT_EQ(snapshot_of(in_flight), (std::vector<std::string>{"g-2"}));
}

TEST_F(BybitBrokerTest, ACancelledLimitOrderAndARefusedOrder) {
  OrderRequest limit = market("l-1", OrderSide::kBuy, "1");
  limit.type = OrderType::kLimit;
  limit.limit_price = Decimal::parse("90");
  limit.time_in_force = TimeInForce::kGoodTillCancel;
  broker->submit(OrderRouter::key(), limit);
  ASSERT_TRUE(wait_for<OrderAccepted>(1));
  broker->cancel(OrderRouter::key(), {"l-1", Asset::kPerp, kBtc});
  ASSERT_TRUE(wait_for<OrderCancelled>(1));
  EXPECT_EQ(all<OrderCancelled>()[0].client_order_id, "l-1");
  EXPECT_EQ(all<OrderCancelled>()[0].filled_quantity, Decimal::zero());

  broker->submit(OrderRouter::key(), market("big-1", OrderSide::kBuy, "1000000"));
  ASSERT_TRUE(wait_for<OrderRejected>(1));
  const OrderRejected rejected = all<OrderRejected>()[0];
  EXPECT_EQ(rejected.client_order_id, "big-1");
  EXPECT_EQ(rejected.failure.code, 110007);
  EXPECT_EQ(rejected.failure.error_class, ErrorClass::kRejected);
}

TEST_F(BybitBrokerTest, ASpotBuyPaysItsFeeInTheCoinAndASellSellsWhatIsHeld) {
  broker->submit(OrderRouter::key(), market("s-1", OrderSide::kBuy, "0.5", Asset::kSpot));
  ASSERT_TRUE(wait_for<OrderAccepted>(1));
  exchange.on_bar(Category::kSpot, kBtc, testing::venue_bar(start + kMinuteMs, 100, 101, 99, 100));
  ASSERT_TRUE(wait_for<OrderFilled>(1));
  // Bybit takes a spot buy's fee in the coin bought: 0.5 x 0.001 = 0.0005 BTC, worth 0.05.
  const Fill bought = all<OrderFilled>()[0].fill;
  EXPECT_EQ(bought.base_fee, Decimal::parse("0.0005"));
  EXPECT_EQ(bought.fee, Decimal::parse("0.05"));
  EXPECT_EQ(bought.held_quantity(), Decimal::parse("0.4995"));
  broker->request_snapshot(Asset::kSpot);
  ASSERT_TRUE(wait_for<BrokerSnapshot>(1));
  const BrokerSnapshot snapshot = all<BrokerSnapshot>()[0];
  ASSERT_EQ(snapshot.positions.size(), 1u);
  EXPECT_EQ(snapshot.positions[0].symbol, kBtc);
  EXPECT_EQ(snapshot.positions[0].quantity, Decimal::parse("0.4995"));
  EXPECT_TRUE(broker->capabilities(Asset::kSpot).position_tp_sl);
  EXPECT_FALSE(broker->capabilities(Asset::kSpot).mark_price_triggers);
  EXPECT_TRUE(broker->capabilities(Asset::kPerp).mark_price_triggers);

  // A sell of the 0.5 bought sells the 0.4995 held, its fee in USDT: 49.95 x 0.001.
  broker->submit(OrderRouter::key(), market("s-2", OrderSide::kSell, "0.5", Asset::kSpot));
  ASSERT_TRUE(wait_for<OrderAccepted>(2));
  exchange.on_bar(Category::kSpot, kBtc,
                  testing::venue_bar(start + 2 * kMinuteMs, 100, 101, 99, 100));
  ASSERT_TRUE(wait_for<OrderFilled>(2));
  const Fill sold = all<OrderFilled>()[1].fill;
  EXPECT_EQ(sold.quantity, Decimal::parse("0.4995"));
  EXPECT_EQ(sold.fee, Decimal::parse("0.04995"));
  EXPECT_EQ(sold.base_fee, Decimal::zero());
  broker->request_snapshot(Asset::kSpot);
  ASSERT_TRUE(wait_for<BrokerSnapshot>(2));
  EXPECT_TRUE(all<BrokerSnapshot>()[1].positions.empty());
}

// Spot protection is two conditional sells on the venue (orderFilter=StopOrder) for what the
// wallet holds: the stop fires there (the engine could be down), the engine hears
// ProtectionTriggered and the fill, and the take profit left standing is cancelled once the
// wallet shows the coin sold. A snapshot reports the levels on the holding, the orders apart.
TEST_F(BybitBrokerTest, ASpotHoldingIsProtectedByTwoConditionalSellsOnTheVenue) {
  broker->submit(OrderRouter::key(), market("s-1", OrderSide::kBuy, "0.5", Asset::kSpot));
  ASSERT_TRUE(wait_for<OrderAccepted>(1));
  exchange.on_bar(Category::kSpot, kBtc, testing::venue_bar(start + kMinuteMs, 100, 101, 99, 100));
  ASSERT_TRUE(wait_for<OrderFilled>(1));
  ProtectionRequest protection;
  protection.protection_id = "s-1-1";
  protection.asset = Asset::kSpot;
  protection.symbol = kBtc;
  protection.position_side = OrderSide::kBuy;
  protection.quantity = Decimal::parse("0.4995");  // the router's: what the wallet holds
  protection.stop_loss = Decimal::parse("95");
  protection.take_profit = Decimal::parse("110");
  const auto stop_orders = [&] {
    return exchange
        .handle(kKeys.key, "GET", "/v5/order/realtime",
                {{"category", "spot"}, {"orderFilter", "StopOrder"}}, nlohmann::json::object())
        .result.at("list");
  };
  broker->set_protection(SlTpManager::key(), protection);
  ASSERT_TRUE(wait_for<ProtectionSet>(1)) << all<ProtectionRejected>().size();
  EXPECT_EQ(all<ProtectionSet>()[0].stop_loss, Decimal::parse("95"));
  EXPECT_EQ(all<ProtectionSet>()[0].take_profit, Decimal::parse("110"));
  const nlohmann::json placed = stop_orders();
  ASSERT_EQ(placed.size(), 2u) << placed.dump();
  std::set<std::string> triggers;
  for (const nlohmann::json& order : placed) {
    EXPECT_EQ(order.at("side"), "Sell");
    EXPECT_EQ(order.at("qty"), "0.4995");
    EXPECT_EQ(order.at("orderStatus"), "Untriggered");
    const std::string link = order.at("orderLinkId");
    triggers.insert(link.substr(0, 4) + order.at("triggerPrice").get<std::string>());
  }
  EXPECT_EQ(triggers, (std::set<std::string>{"gsl-95", "gtp-110"}));

  broker->request_snapshot(Asset::kSpot);
  ASSERT_TRUE(wait_for<BrokerSnapshot>(1));
  const BrokerSnapshot snapshot = all<BrokerSnapshot>()[0];
  ASSERT_EQ(snapshot.positions.size(), 1u);
  EXPECT_EQ(snapshot.positions[0].stop_loss, Decimal::parse("95"));
  EXPECT_EQ(snapshot.positions[0].take_profit, Decimal::parse("110"));
  EXPECT_TRUE(snapshot.open_orders.empty()) << "protection orders are not the router's";

  // A bar falling through 95: the stop sells on the venue, at the trigger (the open is above).
  exchange.on_bar(Category::kSpot, kBtc,
                  testing::venue_bar(start + 2 * kMinuteMs, 100, 100, 94, 94.5));
  ASSERT_TRUE(wait_for<OrderFilled>(2));
  ASSERT_EQ(all<ProtectionTriggered>().size(), 1u);
  const ProtectionTriggered triggered = all<ProtectionTriggered>()[0];
  EXPECT_EQ(triggered.kind, ProtectionTriggered::Kind::kStopLoss);
  EXPECT_EQ(triggered.asset, Asset::kSpot);
  const Fill sold = all<OrderFilled>()[1].fill;
  EXPECT_EQ(sold.client_order_id, triggered.closing_client_order_id);
  EXPECT_TRUE(sold.client_order_id.starts_with("gsl-")) << sold.client_order_id;
  EXPECT_EQ(sold.side, OrderSide::kSell);
  EXPECT_EQ(sold.quantity, Decimal::parse("0.4995"));
  EXPECT_EQ(sold.price, Decimal::parse("95"));
  // The take profit goes with the coin; the broker's own orders made no router event.
  EXPECT_TRUE(run_until(loop, [&] { return stop_orders().empty(); }));
  EXPECT_EQ(all<OrderAccepted>().size(), 1u);
  EXPECT_TRUE(all<OrderCancelled>().empty());
  EXPECT_TRUE(all<OrderRejected>().empty());
}

}  // namespace
}  // namespace gauntlet::brokers::bybit
