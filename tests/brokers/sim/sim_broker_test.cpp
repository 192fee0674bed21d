// SimBroker, the paper exchange: fills, fees, slippage, latency, partial fills, protection,
// margin, liquidation and funding, each pinned with hand-computed numbers.
#include "brokers/sim/sim_broker.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "core/asio.hpp"
#include "core/exceptions.hpp"
#include "data/bar_import.hpp"
#include "support/shared_data.hpp"

// The passkeys can only be made by their owners; the tests stand in for them (this binary links
// neither orders module).
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

namespace gauntlet::brokers {
namespace {

using orders::OrderRouter;
using orders::SlTpManager;

constexpr TimestampMs kStart = 1'700'000'000'000 - 1'700'000'000'000 % (8 * kHourMs);
constexpr DurationMs k15m = 15 * kMinuteMs;

Decimal d(const char* text) {
  return Decimal::parse(text);
}

Bar bar(TimestampMs open_time, const char* open, const char* high, const char* low,
        const char* close, const char* volume = "1000") {
  return {open_time, d(open), d(high), d(low), d(close), d(volume), Decimal::zero()};
}

// Every event the broker publishes, in order.
struct Recorder {
  std::vector<OrderAccepted> accepted;
  std::vector<OrderRejected> rejected;
  std::vector<OrderFilled> filled;
  std::vector<OrderCancelled> cancelled;
  std::vector<OrderAmended> amended;
  std::vector<ProtectionSet> protection_set;
  std::vector<ProtectionRejected> protection_rejected;
  std::vector<ProtectionTriggered> triggered;
  std::vector<BrokerSnapshot> snapshots;
  std::vector<FundingApplied> funding;
  std::vector<Subscription> subscriptions;

  explicit Recorder(EventBus& bus) {
    subscriptions.push_back(
        bus.subscribe<OrderAccepted>([this](const auto& e) { accepted.push_back(e); }));
    subscriptions.push_back(
        bus.subscribe<OrderRejected>([this](const auto& e) { rejected.push_back(e); }));
    subscriptions.push_back(
        bus.subscribe<OrderFilled>([this](const auto& e) { filled.push_back(e); }));
    subscriptions.push_back(
        bus.subscribe<OrderCancelled>([this](const auto& e) { cancelled.push_back(e); }));
    subscriptions.push_back(
        bus.subscribe<OrderAmended>([this](const auto& e) { amended.push_back(e); }));
    subscriptions.push_back(
        bus.subscribe<ProtectionSet>([this](const auto& e) { protection_set.push_back(e); }));
    subscriptions.push_back(bus.subscribe<ProtectionRejected>(
        [this](const auto& e) { protection_rejected.push_back(e); }));
    subscriptions.push_back(
        bus.subscribe<ProtectionTriggered>([this](const auto& e) { triggered.push_back(e); }));
    subscriptions.push_back(
        bus.subscribe<BrokerSnapshot>([this](const auto& e) { snapshots.push_back(e); }));
    subscriptions.push_back(
        bus.subscribe<FundingApplied>([this](const auto& e) { funding.push_back(e); }));
  }
};

SimBrokerConfig config() {
  SimBrokerConfig c;
  c.fees[static_cast<std::size_t>(Asset::kSpot)] = {d("0.001"), d("0.001"), d("0"), d("0")};
  c.fees[static_cast<std::size_t>(Asset::kPerp)] = {d("0.0002"), d("0.00055"), d("0"), d("0")};
  c.fees[static_cast<std::size_t>(Asset::kOptions)] = {d("0"), d("0"), d("1"), d("2")};
  c.starting_balance = {d("1000"), d("1000"), d("1000"), d("1000")};
  return c;
}

struct Harness {
  asio::io_context loop;
  EventBus bus{loop};
  SimClock clock;
  Recorder events{bus};
  SimBroker broker;
  Symbol btc = Symbol::parse("BTCUSDT");

  explicit Harness(SimBrokerConfig c = config(), TimestampMs start = kStart)
      : clock(start), broker(bus, clock, std::move(c)) {}

  OrderRequest order(const char* id, OrderSide side, const char* quantity,
                     OrderType type = OrderType::kMarket, Asset asset = Asset::kSpot) {
    OrderRequest r;
    r.client_order_id = id;
    r.asset = asset;
    r.symbol = btc;
    r.side = side;
    r.type = type;
    r.quantity = d(quantity);
    r.created_at = clock.now_ms();
    return r;
  }
  void submit(const OrderRequest& r) {
    broker.submit(OrderRouter::key(), r);
    bus.drain();
  }
  void feed(Asset asset, const Bar& b) {
    clock.advance_to(std::max(clock.now_ms(), b.open_time));
    broker.on_bar(asset, btc, b);
    bus.drain();
  }
};

TEST(SimBroker, MarketOrderFillsAtTheNextOpenPlusSlippageAndPaysTheTakerFee) {
  Harness h;
  h.submit(h.order("m1", OrderSide::kBuy, "1"));
  ASSERT_EQ(h.events.accepted.size(), 1u);
  EXPECT_EQ(h.events.accepted[0].time, kStart + 250);  // SIMULATION_ORDER_DELAY
  EXPECT_TRUE(h.events.filled.empty());                // nothing until the next price

  h.feed(Asset::kSpot, bar(kStart, "100", "101", "99", "100.5"));
  ASSERT_EQ(h.events.filled.size(), 1u);
  const Fill& fill = h.events.filled[0].fill;
  // participation 1/1000: 2 bps + 50 bps x 0.001 = 2.05 bps -> 100 x 1.000205
  EXPECT_EQ(fill.price, d("100.0205"));
  EXPECT_EQ(fill.fee, d("0.1000205"));  // 0.1 % of 100.0205
  EXPECT_FALSE(fill.maker);
  EXPECT_EQ(fill.time, kStart + 250);
  EXPECT_EQ(h.events.filled[0].status, OrderStatus::kFilled);
  // cash 1000 - 100.0205 - 0.1000205; holdings marked at the close 100.5
  const Balance balance = h.broker.balance(Asset::kSpot);
  EXPECT_EQ(balance.available, d("899.8794795"));
  EXPECT_EQ(balance.equity, d("1000.3794795"));
  EXPECT_EQ(balance.realised_pnl, d("-0.1000205"));
}

TEST(SimBroker, LimitOrdersFillWhenPriceTradesThroughAsMakerOrAtAMarketableOpenAsTaker) {
  Harness h;
  auto limit = h.order("l1", OrderSide::kBuy, "1", OrderType::kLimit);
  limit.limit_price = d("95");
  h.submit(limit);
  h.feed(Asset::kSpot, bar(kStart, "100", "101", "95", "99"));  // touches 95, not through
  EXPECT_TRUE(h.events.filled.empty());
  h.feed(Asset::kSpot, bar(kStart + k15m, "99", "99", "94.5", "96"));  // through 95
  ASSERT_EQ(h.events.filled.size(), 1u);
  EXPECT_EQ(h.events.filled[0].fill.price, d("95"));
  EXPECT_TRUE(h.events.filled[0].fill.maker);
  EXPECT_EQ(h.events.filled[0].fill.fee, d("0.095"));

  auto marketable = h.order("l2", OrderSide::kBuy, "1", OrderType::kLimit);
  marketable.limit_price = d("97");
  h.submit(marketable);
  h.feed(Asset::kSpot, bar(kStart + 2 * k15m, "96", "96.5", "95.5", "96"));  // opens below 97
  ASSERT_EQ(h.events.filled.size(), 2u);
  EXPECT_EQ(h.events.filled[1].fill.price, d("96.01968"));  // 96 x 1.0002050
  EXPECT_FALSE(h.events.filled[1].fill.maker);
}

TEST(SimBroker, PartialFillsTakeAtMostTheParticipationCapOfEachBar) {
  Harness h;
  h.submit(h.order("p1", OrderSide::kBuy, "12"));
  for (int i = 0; i < 3; ++i) {
    h.feed(Asset::kSpot, bar(kStart + i * k15m, "10", "10", "10", "10", "50"));  // cap 5
  }
  ASSERT_EQ(h.events.filled.size(), 3u);
  EXPECT_EQ(h.events.filled[0].fill.quantity, d("5"));
  EXPECT_EQ(h.events.filled[0].status, OrderStatus::kPartiallyFilled);
  EXPECT_EQ(h.events.filled[0].leaves_quantity, d("7"));
  EXPECT_EQ(h.events.filled[1].fill.quantity, d("5"));
  EXPECT_EQ(h.events.filled[2].fill.quantity, d("2"));
  EXPECT_EQ(h.events.filled[2].status, OrderStatus::kFilled);
  EXPECT_EQ(h.events.filled[2].cumulative_quantity, d("12"));
  // participation 5/50 = 0.1: 2 + 5 = 7 bps over 10
  EXPECT_EQ(h.events.filled[0].fill.price, d("10.007"));
  EXPECT_EQ(h.broker.open_order_count(), 0u);
}

TEST(SimBroker, ImmediateOrdersMeetOneBarAndFillOrKillFillsWholeOrNothing) {
  Harness h;
  // Each bar trades 50, the cap is 5 an order. FOK 12: cancelled with nothing filled.
  OrderRequest fok = h.order("fok", OrderSide::kBuy, "12");
  fok.time_in_force = TimeInForce::kFillOrKill;
  h.submit(fok);
  h.feed(Asset::kSpot, bar(kStart, "10", "10", "10", "10", "50"));
  EXPECT_TRUE(h.events.filled.empty());
  ASSERT_EQ(h.events.cancelled.size(), 1u);
  EXPECT_EQ(h.events.cancelled[0].reason, "fill-or-kill: the bar fills 5 of 12");
  EXPECT_EQ(h.events.cancelled[0].filled_quantity, d("0"));
  // IOC 12: 5 now, the other 7 cancelled rather than left for the next bar.
  OrderRequest ioc = h.order("ioc", OrderSide::kBuy, "12");
  ioc.time_in_force = TimeInForce::kImmediateOrCancel;
  h.submit(ioc);
  h.feed(Asset::kSpot, bar(kStart + k15m, "10", "10", "10", "10", "50"));
  ASSERT_EQ(h.events.filled.size(), 1u);
  EXPECT_EQ(h.events.filled[0].fill.quantity, d("5"));
  ASSERT_EQ(h.events.cancelled.size(), 2u);
  EXPECT_EQ(h.events.cancelled[1].reason, "immediate-or-cancel: remainder");
  EXPECT_EQ(h.events.cancelled[1].filled_quantity, d("5"));
  // FOK 4 fits the cap: filled whole. An IOC limit the bar never reaches: cancelled.
  OrderRequest small = h.order("fok-4", OrderSide::kBuy, "4");
  small.time_in_force = TimeInForce::kFillOrKill;
  h.submit(small);
  OrderRequest low = h.order("ioc-low", OrderSide::kBuy, "1", OrderType::kLimit);
  low.limit_price = d("9");
  low.time_in_force = TimeInForce::kImmediateOrCancel;
  h.submit(low);
  h.feed(Asset::kSpot, bar(kStart + 2 * k15m, "10", "10", "10", "10", "50"));
  ASSERT_EQ(h.events.filled.size(), 2u);
  EXPECT_EQ(h.events.filled[1].fill.quantity, d("4"));
  EXPECT_EQ(h.events.filled[1].status, OrderStatus::kFilled);
  ASSERT_EQ(h.events.cancelled.size(), 3u);
  EXPECT_EQ(h.events.cancelled[2].client_order_id, "ioc-low");
  EXPECT_EQ(h.broker.open_order_count(), 0u);
}

TEST(SimBroker, ADuplicateClientOrderIdIsRefusedAndNeverFilledTwice) {
  Harness h;
  h.submit(h.order("dup", OrderSide::kBuy, "1"));
  h.submit(h.order("dup", OrderSide::kBuy, "1"));
  ASSERT_EQ(h.events.rejected.size(), 1u);
  EXPECT_EQ(h.events.rejected[0].failure.error_class, ErrorClass::kDuplicate);
  EXPECT_EQ(h.events.rejected[0].failure.code, 110072);
  h.feed(Asset::kSpot, bar(kStart, "100", "100", "100", "100"));
  EXPECT_EQ(h.events.filled.size(), 1u);
}

TEST(SimBroker, SpotCannotShortOrSpendCashItDoesNotHave) {
  Harness h;
  h.submit(h.order("s1", OrderSide::kSell, "1"));
  ASSERT_EQ(h.events.rejected.size(), 1u);
  EXPECT_EQ(h.events.rejected[0].failure.message, "spot cannot sell what it does not hold");
  h.submit(h.order("b1", OrderSide::kBuy, "20"));  // 20 x 100 > 1000 cash
  h.feed(Asset::kSpot, bar(kStart, "100", "100", "100", "100", "100000"));
  ASSERT_EQ(h.events.cancelled.size(), 1u);
  EXPECT_TRUE(h.events.cancelled[0].reason.starts_with("insufficient balance"))
      << h.events.cancelled[0].reason;
  EXPECT_TRUE(h.events.filled.empty());
  EXPECT_EQ(h.broker.balance(Asset::kSpot).available, d("1000"));
}

// Long 1 at 100.0205 with SL 98 and TP 103.
Harness& protected_long(Harness& h) {
  auto entry = h.order("e1", OrderSide::kBuy, "1");
  entry.stop_loss = d("98");
  entry.take_profit = d("103");
  h.submit(entry);
  h.feed(Asset::kSpot, bar(kStart, "100", "101", "99", "100"));
  return h;
}

TEST(SimBroker, ABarTouchingStopAndTargetClosesAtTheStopFirst) {
  Harness h;
  protected_long(h);
  ASSERT_EQ(h.events.protection_set.size(), 1u);
  h.feed(Asset::kSpot, bar(kStart + k15m, "100", "104", "97", "100"));
  ASSERT_EQ(h.events.triggered.size(), 1u);
  EXPECT_EQ(h.events.triggered[0].kind, ProtectionTriggered::Kind::kStopLoss);
  EXPECT_FALSE(h.broker.position(Asset::kSpot, h.btc).has_value());
  // The closing sell: 98 less 2 bps of slippage = 97.9804.
  ASSERT_EQ(h.events.filled.size(), 2u);
  EXPECT_EQ(h.events.filled[1].fill.price, d("97.9804"));
  EXPECT_EQ(h.events.filled[1].fill.client_order_id, h.events.triggered[0].closing_client_order_id);

  SimBrokerConfig target_first = config();
  target_first.stop_first = false;
  Harness g(target_first);
  protected_long(g);
  g.feed(Asset::kSpot, bar(kStart + k15m, "100", "104", "97", "100"));
  ASSERT_EQ(g.events.triggered.size(), 1u);
  EXPECT_EQ(g.events.triggered[0].kind, ProtectionTriggered::Kind::kTakeProfit);
}

TEST(SimBroker, AGapThroughTheStopFillsAtTheOpen) {
  Harness h;
  protected_long(h);
  h.feed(Asset::kSpot, bar(kStart + k15m, "96", "97", "95", "96"));
  ASSERT_EQ(h.events.triggered.size(), 1u);
  EXPECT_EQ(h.events.triggered[0].trigger_price, d("96"));
  EXPECT_EQ(h.events.filled[1].fill.price, d("95.9808"));  // 96 x (1 - 0.0002)
}

TEST(SimBroker, TheEntryBarItselfCanStopThePositionOut) {
  Harness h;
  auto entry = h.order("e1", OrderSide::kBuy, "1");
  entry.stop_loss = d("98");
  entry.take_profit = d("110");
  h.submit(entry);
  h.feed(Asset::kSpot, bar(kStart, "100", "101", "97.5", "99"));
  ASSERT_EQ(h.events.triggered.size(), 1u);
  EXPECT_EQ(h.events.triggered[0].kind, ProtectionTriggered::Kind::kStopLoss);
  EXPECT_FALSE(h.broker.position(Asset::kSpot, h.btc).has_value());
  // The stop is reached after the entry filled (its latency into the bar), not at the bar's open.
  ASSERT_EQ(h.events.filled.size(), 2u);
  EXPECT_GE(h.events.filled[1].fill.time, h.events.filled[0].fill.time);
  EXPECT_GE(h.events.triggered[0].time, h.events.filled[0].fill.time);
}

TEST(SimBroker, SetProtectionNeedsAPositionAndMovesTheLevels) {
  Harness h;
  ProtectionRequest request{"p1",   Asset::kSpot, h.btc,    OrderSide::kBuy,
                            d("1"), d("90"),      d("120"), TriggerPrice::kLast};
  h.broker.set_protection(SlTpManager::key(), request);
  h.bus.drain();
  ASSERT_EQ(h.events.protection_rejected.size(), 1u);
  protected_long(h);
  h.broker.set_protection(SlTpManager::key(), request);
  h.bus.drain();
  const auto position = h.broker.position(Asset::kSpot, h.btc);
  ASSERT_TRUE(position);
  EXPECT_EQ(position->stop_loss, d("90"));
  EXPECT_EQ(position->take_profit, d("120"));
  h.feed(Asset::kSpot, bar(kStart + k15m, "100", "104", "97", "100"));  // old levels: no longer
  EXPECT_TRUE(h.events.triggered.empty());
}

TEST(SimBroker, PerpetualsHoldMarginAndLiquidateBeyondTheMaintenanceLevel) {
  Harness h;
  auto entry = h.order("long", OrderSide::kBuy, "50", OrderType::kMarket, Asset::kPerp);
  entry.leverage = 5;
  h.submit(entry);
  h.feed(Asset::kPerp, bar(kStart, "100", "100", "100", "100", "1000000"));
  // 50 at 100.0205 (2 bps + 50 x 0.00005): notional 5001.025, margin 1000.205 > cash 1000
  ASSERT_EQ(h.events.cancelled.size(), 1u);
  EXPECT_TRUE(h.events.cancelled[0].reason.starts_with("insufficient margin"));

  entry.client_order_id = "long2";
  entry.quantity = d("40");
  h.submit(entry);
  h.feed(Asset::kPerp, bar(kStart + k15m, "100", "100", "100", "100", "1000000"));
  ASSERT_EQ(h.events.filled.size(), 1u);
  // participation 40 / 1,000,000: 2 + 50 x 0.00004 = 2.002 bps
  EXPECT_EQ(h.events.filled[0].fill.price, d("100.02002"));
  const auto position = h.broker.position(Asset::kPerp, h.btc);
  ASSERT_TRUE(position);
  // liquidation at entry x (1 - 1/5 + 0.005) = 100.02002 x 0.805 = 80.5161161
  EXPECT_EQ(position->liquidation_price, d("80.5161161"));
  // notional 4000.8008: fee 0.055 % = 2.20044044, margin / 5 = 800.16016 held; marked at the
  // close 100: unrealised -0.8008. available = 1000 - 2.20044044 - 0.8008 - 800.16016
  EXPECT_EQ(h.events.filled[0].fill.fee, d("2.20044044"));
  EXPECT_EQ(h.broker.balance(Asset::kPerp).available, d("196.83859956"));

  h.feed(Asset::kPerp, bar(kStart + 2 * k15m, "99", "99", "80", "85", "1000000"));
  ASSERT_EQ(h.events.triggered.size(), 1u);
  EXPECT_EQ(h.events.triggered[0].kind, ProtectionTriggered::Kind::kLiquidation);
  EXPECT_FALSE(h.broker.position(Asset::kPerp, h.btc).has_value());
  // loss (80.5161161 - 100.02002) x 40 = -780.156156; closing fee 0.055 % of 3220.644644 =
  // 1.771354554; equity = 997.79955956 - 780.156156 - 1.771354554
  EXPECT_EQ(h.broker.balance(Asset::kPerp).equity, d("215.872049006"));
}

TEST(SimBroker, FundingIsPaidEveryEightHoursFromHistoryOrTheDefaultRate) {
  Harness h;
  h.broker.load_funding(h.btc, {{kStart + 8 * kHourMs, 0.0005}});
  auto entry = h.order("long", OrderSide::kBuy, "1", OrderType::kMarket, Asset::kPerp);
  h.submit(entry);
  h.feed(Asset::kPerp, bar(kStart, "100", "100", "100", "100", "1000000"));
  const Decimal before = h.broker.balance(Asset::kPerp).equity;
  h.feed(Asset::kPerp, bar(kStart + 8 * kHourMs, "100", "100", "100", "100", "1000000"));
  ASSERT_EQ(h.events.funding.size(), 1u);
  EXPECT_EQ(h.events.funding[0].time, kStart + 8 * kHourMs);
  EXPECT_DOUBLE_EQ(h.events.funding[0].rate, 0.0005);
  EXPECT_EQ(h.events.funding[0].amount, d("-0.05"));  // a long pays 1 x 100 x 0.0005
  EXPECT_EQ(h.broker.balance(Asset::kPerp).equity, before - d("0.05"));
  h.feed(Asset::kPerp, bar(kStart + 24 * kHourMs, "100", "100", "100", "100", "1000000"));
  ASSERT_EQ(h.events.funding.size(), 3u);  // 16:00 and 00:00 at the latest known rate
  EXPECT_EQ(h.events.funding[2].amount, d("-0.05"));
}

// Binance's real XRPUSDT funding prints (freqtrade's 8h-funding_rate file), stamped a few ms
// after each 8-hour mark: 16:00 on 2021-11-19 paid 0.0001, 00:00 on 2021-11-20 paid 0.00013046.
TEST(SimBroker, FundingUsesTheRealFundingHistory) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  const auto rates = data::read_funding_rates(
      data / "crypto/binance_usdm_futures/XRP_USDT_USDT-8h-funding_rate.json.gz");
  ASSERT_GT(rates.size(), 80u);
  EXPECT_EQ(rates[0].first, 1637193600017);
  constexpr TimestampMs kMidnight = 1637366400000;  // 2021-11-20 00:00 UTC
  Harness h(config(), kMidnight - 8 * kHourMs - k15m);
  const Symbol xrp = Symbol::parse("XRPUSDT");
  h.broker.load_funding(xrp, rates);
  OrderRequest entry = h.order("x", OrderSide::kBuy, "100", OrderType::kMarket, Asset::kPerp);
  entry.symbol = xrp;
  h.submit(entry);
  h.broker.on_bar(Asset::kPerp, xrp,
                  bar(kMidnight - 8 * kHourMs - k15m, "1", "1", "1", "1", "1e9"));
  h.broker.on_bar(Asset::kPerp, xrp, bar(kMidnight, "1", "1", "1", "1", "1e9"));
  h.bus.drain();
  ASSERT_EQ(h.events.funding.size(), 2u);
  EXPECT_DOUBLE_EQ(h.events.funding[0].rate, 0.0001);
  EXPECT_EQ(h.events.funding[0].amount, d("-0.01"));  // 100 x 1 x 0.0001, paid by the long
  EXPECT_DOUBLE_EQ(h.events.funding[1].rate, 0.00013046);
  EXPECT_EQ(h.events.funding[1].amount, d("-0.013046"));
}

TEST(SimBroker, CancelAmendAndSnapshot) {
  Harness h;
  auto limit = h.order("l1", OrderSide::kBuy, "2", OrderType::kLimit);
  limit.limit_price = d("90");
  h.submit(limit);
  h.broker.amend(OrderRouter::key(), {"l1", Asset::kSpot, h.btc, d("3"), d("91"), std::nullopt});
  h.bus.drain();
  ASSERT_EQ(h.events.amended.size(), 1u);
  EXPECT_EQ(h.events.amended[0].quantity, d("3"));
  h.broker.request_snapshot(Asset::kSpot);
  h.bus.drain();
  ASSERT_EQ(h.events.snapshots.size(), 1u);
  ASSERT_EQ(h.events.snapshots[0].open_orders.size(), 1u);
  EXPECT_EQ(h.events.snapshots[0].open_orders[0].request.limit_price, d("91"));
  EXPECT_EQ(h.events.snapshots[0].balance.equity, d("1000"));

  h.broker.cancel(OrderRouter::key(), {"l1", Asset::kSpot, h.btc});
  h.broker.cancel(OrderRouter::key(), {"l1", Asset::kSpot, h.btc});
  h.bus.drain();
  ASSERT_EQ(h.events.cancelled.size(), 1u);
  ASSERT_EQ(h.events.rejected.size(), 1u);
  EXPECT_EQ(h.events.rejected[0].failure.code, 110001);
  EXPECT_EQ(h.broker.open_order_count(), 0u);
}

TEST(SimBroker, ItsStateSurvivesASaveAndRestore) {
  Harness h;
  protected_long(h);  // a protected position
  auto resting = h.order("rest", OrderSide::kBuy, "0.5", OrderType::kLimit);
  resting.limit_price = d("90");
  h.submit(resting);  // an open order
  const std::string saved = h.broker.save_state();

  Harness restored;
  restored.broker.restore_state(saved);
  EXPECT_EQ(restored.broker.save_state(), saved);
  EXPECT_EQ(restored.broker.balance(Asset::kSpot), h.broker.balance(Asset::kSpot));
  EXPECT_EQ(restored.broker.position(Asset::kSpot, h.btc), h.broker.position(Asset::kSpot, h.btc));
  EXPECT_EQ(restored.broker.open_order_count(), 1u);
  // It remembers the client ids it has seen, and goes on filling and protecting.
  restored.submit(restored.order("e1", OrderSide::kBuy, "1"));
  ASSERT_EQ(restored.events.rejected.size(), 1u);
  EXPECT_EQ(restored.events.rejected[0].failure.error_class, ErrorClass::kDuplicate);
  restored.feed(Asset::kSpot, bar(kStart + k15m, "100", "104", "89", "100"));
  ASSERT_EQ(restored.events.triggered.size(), 1u);  // the stop at 98
  EXPECT_EQ(restored.events.filled.size(), 2u);     // the stop's exit and the resting buy at 90

  EXPECT_THROW(restored.broker.restore_state("{\"wallets\": 3}"), StateError);
  EXPECT_THROW(restored.broker.restore_state("not json"), StateError);
}

TEST(SimBroker, OptionsPayTheMinimumAndPerContractFees) {
  Harness h;
  h.submit(h.order("o1", OrderSide::kBuy, "3", OrderType::kMarket, Asset::kOptions));
  h.feed(Asset::kOptions, bar(kStart, "10", "10", "10", "10", "0"));  // volume unknown: no cap
  ASSERT_EQ(h.events.filled.size(), 1u);
  // rate 0 -> the minimum 1, plus 2 per contract x 3
  EXPECT_EQ(h.events.filled[0].fill.fee, d("7"));
  EXPECT_EQ(h.events.filled[0].fill.price, d("10.002"));  // 2 bps, no participation known
}

// --- Instrument rules: ticks, steps and minimums -------------------------------------------------

// BTCUSDT on a tick of 0.01 and a step of 0.001, at least 0.002 and 5 USDT; `enabled` switches the
// rules off (a venue that has not listed them yet).
SimBrokerConfig with_rules(const bool* enabled = nullptr) {
  SimBrokerConfig c = config();
  c.instruments = [enabled](Asset asset, const Symbol& symbol) {
    data::InstrumentInfo info;
    if (enabled && !*enabled) return info;
    info.domain = asset;
    info.symbol = symbol;
    info.status = "Trading";
    info.tick_size = d("0.01");
    info.qty_step = d("0.001");
    info.min_qty = d("0.002");
    info.min_notional = d("5");
    return info;
  };
  return c;
}

TEST(SimBroker, FillPricesAfterSlippageGoOnTheTickAgainstTheTaker) {
  SimBrokerConfig c = with_rules();
  c.slippage_bps = 1.23;
  c.impact_bps = 0;
  Harness h(c);
  h.submit(h.order("b1", OrderSide::kBuy, "1"));
  h.feed(Asset::kSpot, bar(kStart, "100", "100", "100", "100"));
  ASSERT_EQ(h.events.filled.size(), 1u);
  // 100 x 1.000123 = 100.0123, a buy rounds up to 100.02
  EXPECT_EQ(h.events.filled[0].fill.price, d("100.02"));
  EXPECT_EQ(h.events.filled[0].fill.fee, d("0.10002"));
  h.submit(h.order("s1", OrderSide::kSell, "1"));
  h.feed(Asset::kSpot, bar(kStart + k15m, "100", "100", "100", "100"));
  ASSERT_EQ(h.events.filled.size(), 2u);
  // 100 x 0.999877 = 99.9877, a sell rounds down to 99.98
  EXPECT_EQ(h.events.filled[1].fill.price, d("99.98"));

  // A marketable limit: the rounded taker price, capped by the limit (on the tick).
  auto limit = h.order("l1", OrderSide::kBuy, "1", OrderType::kLimit);
  limit.limit_price = d("100.01");
  h.submit(limit);
  h.feed(Asset::kSpot, bar(kStart + 2 * k15m, "100", "100", "100", "100"));
  ASSERT_EQ(h.events.filled.size(), 3u);
  EXPECT_EQ(h.events.filled[2].fill.price, d("100.01"));

  // Without rules the same fill keeps the exact slipped price.
  SimBrokerConfig plain = config();
  plain.slippage_bps = 1.23;
  plain.impact_bps = 0;
  Harness g(plain);
  g.submit(g.order("b1", OrderSide::kBuy, "1"));
  g.feed(Asset::kSpot, bar(kStart, "100", "100", "100", "100"));
  ASSERT_EQ(g.events.filled.size(), 1u);
  EXPECT_EQ(g.events.filled[0].fill.price, d("100.0123"));
}

TEST(SimBroker, StopsTargetsAndStopOrdersFillOnTheTickAgainstTheTaker) {
  Harness h(with_rules());
  auto entry = h.order("e1", OrderSide::kBuy, "1");
  entry.stop_loss = d("98");
  entry.take_profit = d("103");
  h.submit(entry);
  h.feed(Asset::kSpot, bar(kStart, "100", "101", "99", "100"));
  ASSERT_EQ(h.events.filled.size(), 1u);
  // 100 x 1.000205 = 100.0205 -> 100.03
  EXPECT_EQ(h.events.filled[0].fill.price, d("100.03"));
  h.feed(Asset::kSpot, bar(kStart + k15m, "100", "100", "97", "99"));
  ASSERT_EQ(h.events.triggered.size(), 1u);
  EXPECT_EQ(h.events.triggered[0].trigger_price, d("98"));
  // The stop's market sell: 98 x 0.9998 = 97.9804 -> 97.98
  ASSERT_EQ(h.events.filled.size(), 2u);
  EXPECT_EQ(h.events.filled[1].fill.price, d("97.98"));

  // A buy stop at 101 reached by a bar opening at 100: 101 x 1.000205 = 101.020705 -> 101.03
  auto stop = h.order("st1", OrderSide::kBuy, "1", OrderType::kStopMarket);
  stop.trigger_price = d("101");
  h.submit(stop);
  h.feed(Asset::kSpot, bar(kStart + 2 * k15m, "100", "102", "100", "101"));
  ASSERT_EQ(h.events.filled.size(), 3u);
  EXPECT_EQ(h.events.filled[2].fill.price, d("101.03"));
}

TEST(SimBroker, ALiquidationFillsAtItsLevelOnTheTickAgainstTheHolder) {
  SimBrokerConfig c = with_rules();
  c.slippage_bps = 0;
  c.impact_bps = 0;
  Harness h(c);
  auto entry = h.order("long", OrderSide::kBuy, "4", OrderType::kMarket, Asset::kPerp);
  entry.leverage = 5;
  h.submit(entry);
  h.feed(Asset::kPerp, bar(kStart, "100.01", "100.01", "100.01", "100.01", "1000000"));
  const auto position = h.broker.position(Asset::kPerp, h.btc);
  ASSERT_TRUE(position);
  // 100.01 x (1 - 1/5 + 0.005) = 80.50805
  EXPECT_EQ(position->liquidation_price, d("80.50805"));
  h.feed(Asset::kPerp, bar(kStart + k15m, "99", "99", "80", "85", "1000000"));
  ASSERT_EQ(h.events.triggered.size(), 1u);
  EXPECT_EQ(h.events.triggered[0].kind, ProtectionTriggered::Kind::kLiquidation);
  ASSERT_EQ(h.events.filled.size(), 2u);
  EXPECT_EQ(h.events.filled[1].fill.price, d("80.5"));  // the closing sell rounds down
}

TEST(SimBroker, PartialFillsAreWholeStepsAndARemainderUnderAStepGoesWithTheLastPart) {
  bool rules_on = true;
  SimBrokerConfig c = with_rules(&rules_on);
  c.slippage_bps = 0;
  c.impact_bps = 0;
  Harness h(c);
  h.submit(h.order("p1", OrderSide::kBuy, "3"));
  // cap 10 % of 12.345 = 1.2345 -> 1.234 a bar; the last bar fills the 0.532 left
  for (int i = 0; i < 3; ++i) {
    h.feed(Asset::kSpot, bar(kStart + i * k15m, "100", "100", "100", "100", "12.345"));
  }
  ASSERT_EQ(h.events.filled.size(), 3u);
  EXPECT_EQ(h.events.filled[0].fill.quantity, d("1.234"));
  EXPECT_EQ(h.events.filled[1].fill.quantity, d("1.234"));
  EXPECT_EQ(h.events.filled[2].fill.quantity, d("0.532"));
  EXPECT_EQ(h.events.filled[2].status, OrderStatus::kFilled);
  // A bar whose cap is under one step fills nothing; the order waits.
  h.submit(h.order("p2", OrderSide::kBuy, "0.05"));
  h.feed(Asset::kSpot, bar(kStart + 3 * k15m, "100", "100", "100", "100", "0.005"));
  EXPECT_EQ(h.events.filled.size(), 3u);
  h.feed(Asset::kSpot, bar(kStart + 4 * k15m, "100", "100", "100", "100", "1"));
  ASSERT_EQ(h.events.filled.size(), 4u);
  EXPECT_EQ(h.events.filled[3].fill.quantity, d("0.05"));

  // A position off the step (opened before the venue listed its rules) still closes whole:
  // cap 1 leaves 0.0005 after a step-floored part, so the part takes it too.
  Harness g(c);
  rules_on = false;
  g.submit(g.order("b1", OrderSide::kBuy, "1.0005"));
  g.feed(Asset::kSpot, bar(kStart, "100", "100", "100", "100", "100"));
  ASSERT_EQ(g.events.filled.size(), 1u);
  rules_on = true;
  auto exit = g.order("x1", OrderSide::kSell, "1.0005");
  exit.reduce_only = true;
  g.submit(exit);
  EXPECT_TRUE(g.events.rejected.empty());
  g.feed(Asset::kSpot, bar(kStart + k15m, "100", "100", "100", "100", "10"));
  ASSERT_EQ(g.events.filled.size(), 2u);
  EXPECT_EQ(g.events.filled[1].fill.quantity, d("1.0005"));
  EXPECT_FALSE(g.broker.position(Asset::kSpot, g.btc).has_value());
}

TEST(SimBroker, OrdersBreakingTheInstrumentRulesAreRejectedWithTheReason) {
  Harness h(with_rules());
  const auto rejected = [&](const OrderRequest& r) {
    const std::size_t before = h.events.rejected.size();
    h.submit(r);
    if (h.events.rejected.size() == before) return std::pair{0, std::string("accepted")};
    return std::pair{h.events.rejected.back().failure.code,
                     h.events.rejected.back().failure.message};
  };
  EXPECT_EQ(rejected(h.order("q1", OrderSide::kBuy, "0.0015")),
            std::pair(170137, std::string("quantity 0.0015 is not a multiple of the quantity step "
                                          "0.001 of BTCUSDT")));
  EXPECT_EQ(rejected(h.order("q2", OrderSide::kBuy, "0.001")),
            std::pair(170136, std::string("quantity 0.001 is below the minimum quantity 0.002 of "
                                          "BTCUSDT")));
  auto off_tick = h.order("q3", OrderSide::kBuy, "1", OrderType::kLimit);
  off_tick.limit_price = d("100.005");
  EXPECT_EQ(
      rejected(off_tick),
      std::pair(170134, std::string("limit price 100.005 is not on the tick 0.01 of BTCUSDT")));
  auto small = h.order("q4", OrderSide::kBuy, "0.04", OrderType::kLimit);
  small.limit_price = d("100");
  EXPECT_EQ(rejected(small),
            std::pair(170140, std::string("order value 4 (quantity 0.04 x price 100) is below the "
                                          "minimum 5 of BTCUSDT")));
  // A market order's value is priced at the last close once a bar has been seen.
  EXPECT_EQ(rejected(h.order("q5", OrderSide::kBuy, "0.04")).second, "accepted");
  h.feed(Asset::kSpot, bar(kStart, "100", "100", "100", "100"));
  EXPECT_EQ(rejected(h.order("q6", OrderSide::kBuy, "0.04")).first, 170140);
  ASSERT_EQ(h.events.filled.size(), 1u);  // q5
  EXPECT_EQ(h.events.rejected.size(), 5u);

  // An amendment is held to the same rules.
  auto resting = h.order("r1", OrderSide::kBuy, "1", OrderType::kLimit);
  resting.limit_price = d("90");
  h.submit(resting);
  h.broker.amend(OrderRouter::key(),
                 {"r1", Asset::kSpot, h.btc, d("1.0001"), std::nullopt, std::nullopt});
  h.broker.amend(OrderRouter::key(),
                 {"r1", Asset::kSpot, h.btc, std::nullopt, d("90.001"), std::nullopt});
  h.bus.drain();
  ASSERT_EQ(h.events.rejected.size(), 7u);
  EXPECT_EQ(h.events.rejected[5].failure.code, 170137);
  EXPECT_EQ(h.events.rejected[6].failure.code, 170134);
  EXPECT_TRUE(h.events.amended.empty());
}

}  // namespace
}  // namespace gauntlet::brokers
