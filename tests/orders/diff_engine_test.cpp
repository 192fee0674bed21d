// The dry-run diff against a real journal: market round trips placed through the order router
// on the paper exchange (no slippage, so every paper price is a bar open), then compared with
// live prices equal to paper, 10 bps worse, live venue rules, a `since` cut, and live prices
// from bars at rest.
#include "orders/diff_engine.hpp"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "router_harness.hpp"
#include "support/temp_dir.hpp"

namespace gauntlet::orders {
namespace {

using namespace testing;

constexpr TimestampMs kT0 = kStart;

TimestampMs at(int bar_index) {
  return kT0 + bar_index * k15m;
}

// Bar opens, by bar index: the paper fills of the session below happen at these prices.
const std::map<TimestampMs, Decimal>& opens() {
  static const std::map<TimestampMs, Decimal> by_time = {{at(0), d("100")}, {at(1), d("102")},
                                                         {at(2), d("104")}, {at(3), d("106")},
                                                         {at(4), d("100")}, {at(5), d("101")}};
  return by_time;
}

Bar bar_at(int bar_index) {
  const Decimal open = opens().at(at(bar_index));
  return {at(bar_index), open, open + d("1"), open - d("1"), open, d("1000"), Decimal::zero()};
}

brokers::SimBrokerConfig without_slippage() {
  brokers::SimBrokerConfig c = sim_config();
  c.slippage_bps = 0;
  c.impact_bps = 0;
  return c;
}

std::array<config::FeeRates, 4> live_fees() {
  return brokers::venue_fees(config::default_fee_model());
}

data::InstrumentInfo no_rules(Asset, const Symbol&) {
  return {};
}

// Paper's own prices: the open of the bar each order was sent at.
std::optional<Decimal> paper_prices(Asset, const Symbol&, OrderSide, TimestampMs time) {
  const auto found = opens().find(time);
  if (found == opens().end()) return std::nullopt;
  return found->second;
}

// 10 bps worse than paper: buys pay 0.1 % more, sells get 0.1 % less.
std::optional<Decimal> ten_bps_worse(Asset asset, const Symbol& symbol, OrderSide side,
                                     TimestampMs time) {
  const std::optional<Decimal> price = paper_prices(asset, symbol, side, time);
  if (!price) return std::nullopt;
  return *price * (side == OrderSide::kBuy ? d("1.001") : d("0.999"));
}

// Three market round trips on BTCUSDT, each order sent at a bar open and filled by that bar:
//   A: buy 0.5 at 100 (bar 0), sell at 102 (bar 1)
//   B: buy 0.455 at 104 (bar 2), sell at 106 (bar 3)
//   C: buy 0.05 at 100 (bar 4), sell at 101 (bar 5)
// Fees are Bybit spot's 0.1 % taker on both paper and live.
struct Session : Venue {
  std::unique_ptr<store::SqliteStore> store_ = store::SqliteStore::open_in_memory();
  Engine engine{*this, *store_};
  std::vector<std::string> ids;  // in send order

  Session() : Venue(without_slippage()) {
    enter_at(0, "a", "0.5");
    exit_at(1);
    enter_at(2, "b", "0.455");
    exit_at(3);
    enter_at(4, "c", "0.05");
    exit_at(5);
  }

  const OrderJournal& journal() const { return engine.router.journal(); }

  void enter_at(int bar_index, const char* signal, const char* quantity) {
    clock.advance_to(at(bar_index));
    OrderContext o = Engine::entry(btc, signal);
    o.quantity = d(quantity);
    o.reference_price = opens().at(at(bar_index));
    o.stop_loss = o.reference_price * d("0.96");
    o.take_profit = o.reference_price * d("1.1");
    send(bar_index, engine.router.place_order(o));
  }

  void exit_at(int bar_index) {
    clock.advance_to(at(bar_index));
    send(bar_index, engine.router.close_position(Asset::kSpot, btc, "test"));
  }

  void send(int bar_index, const PlaceResult& placed) {
    ASSERT_TRUE(placed.decision.ok) << placed.decision.reason;
    ids.push_back(placed.client_order_id);
    bus.drain();
    feed(bar_at(bar_index));
    ASSERT_EQ(journal().find(placed.client_order_id)->status, OrderStatus::kFilled);
  }
};

TEST(DiffEngine, LivePricesAndFeesEqualToPaperGiveNoDifference) {
  Session s;
  const DiffEngine engine(s.journal(), paper_prices, live_fees(), no_rules);
  const DiffReport report = engine.compare(Asset::kSpot, 0);

  ASSERT_EQ(report.orders.size(), 6u);
  const std::vector<Decimal> quantities = {d("0.5"),   d("0.5"),  d("0.455"),
                                           d("0.455"), d("0.05"), d("0.05")};
  for (std::size_t i = 0; i < report.orders.size(); ++i) {
    const OrderDiff& o = report.orders[i];
    SCOPED_TRACE(o.client_order_id);
    EXPECT_EQ(o.client_order_id, s.ids[i]);
    EXPECT_EQ(o.side, i % 2 == 0 ? OrderSide::kBuy : OrderSide::kSell);
    EXPECT_EQ(o.reduce_only, i % 2 == 1);
    EXPECT_FALSE(o.venue_generated);
    EXPECT_EQ(o.sent_at, at(static_cast<int>(i)));
    EXPECT_EQ(o.paper_status, OrderStatus::kFilled);
    EXPECT_EQ(o.paper_quantity, quantities[i]);
    EXPECT_EQ(o.paper_price, opens().at(at(static_cast<int>(i))));
    EXPECT_EQ(o.paper_fee, quantities[i] * o.paper_price * d("0.001"));
    EXPECT_EQ(o.verdict, LiveVerdict::kWouldFill);
    EXPECT_EQ(o.rejection, LiveRejection::kNone);
    EXPECT_TRUE(o.compared);
    EXPECT_EQ(o.live_quantity, o.paper_quantity);
    EXPECT_EQ(o.live_price, o.paper_price);
    EXPECT_EQ(o.live_fee, o.paper_fee);
    EXPECT_FALSE(o.live_maker);
    EXPECT_EQ(o.price_difference_bps, 0.0);
    EXPECT_EQ(o.fee_difference, Decimal::zero());
    EXPECT_EQ(o.price_impact, Decimal::zero());
    EXPECT_EQ(o.pnl_impact, Decimal::zero());
  }
  const DiffTotals& t = report.totals;
  EXPECT_EQ(t.orders, 6);
  EXPECT_EQ(t.would_fill, 6);
  EXPECT_EQ(t.compared, 6);
  EXPECT_EQ(t.would_reject + t.would_rest + t.unknown + t.live_only + t.quantity_rounded, 0);
  EXPECT_TRUE(t.rejections.empty());
  EXPECT_EQ(t.fee_difference, Decimal::zero());
  EXPECT_EQ(t.price_impact, Decimal::zero());
  EXPECT_EQ(t.pnl_impact, Decimal::zero());

  // Round trips: paper P&L is sells - buys - fees, by hand.
  ASSERT_EQ(report.round_trips.size(), 3u);
  const std::vector<Decimal> pnl = {d("0.899"), d("0.81445"), d("0.03995")};
  for (std::size_t i = 0; i < 3; ++i) {
    const RoundTripDiff& trip = report.round_trips[i];
    EXPECT_EQ(trip.symbol, s.btc);
    EXPECT_EQ(trip.side, OrderSide::kBuy);
    EXPECT_EQ(trip.client_order_ids, (std::vector<std::string>{s.ids[2 * i], s.ids[2 * i + 1]}));
    EXPECT_EQ(trip.paper_pnl, pnl[i]);
    EXPECT_EQ(trip.pnl_impact, Decimal::zero());
    EXPECT_TRUE(trip.complete);
  }
  // The paper P&L agrees with what the router booked.
  EXPECT_EQ(s.engine.budget.get_alloc(Asset::kSpot),
            d("250") + d("0.899") + d("0.81445") + d("0.03995"));
}

TEST(DiffEngine, TenBasisPointsWorseCostsExactlyWhatHandArithmeticSays) {
  Session s;
  const DiffEngine engine(s.journal(), ten_bps_worse, live_fees(), no_rules);
  const DiffReport report = engine.compare(Asset::kSpot, 0);
  ASSERT_EQ(report.orders.size(), 6u);

  struct Expected {
    const char* live_price;
    const char* live_fee;
    const char* fee_difference;
    const char* price_impact;
    const char* pnl_impact;
  };
  // price impact = (live - paper) x qty x (buy ? -1 : +1); pnl = price impact - fee difference.
  const std::vector<Expected> expected = {
      {"100.1", "0.05005", "0.00005", "-0.05", "-0.05005"},                 // buy 0.5 @ 100
      {"101.898", "0.050949", "-0.000051", "-0.051", "-0.050949"},          // sell 0.5 @ 102
      {"104.104", "0.04736732", "0.00004732", "-0.04732", "-0.04736732"},   // buy 0.455
      {"105.894", "0.04818177", "-0.00004823", "-0.04823", "-0.04818177"},  // sell 0.455
      {"100.1", "0.005005", "0.000005", "-0.005", "-0.005005"},             // buy 0.05
      {"100.899", "0.00504495", "-0.00000505", "-0.00505", "-0.00504495"},  // sell 0.05
  };
  for (std::size_t i = 0; i < 6; ++i) {
    const OrderDiff& o = report.orders[i];
    SCOPED_TRACE(i);
    EXPECT_EQ(o.verdict, LiveVerdict::kWouldFill);
    EXPECT_EQ(o.live_price, d(expected[i].live_price));
    EXPECT_EQ(o.live_fee, d(expected[i].live_fee));
    EXPECT_EQ(o.fee_difference, d(expected[i].fee_difference));
    EXPECT_EQ(o.price_impact, d(expected[i].price_impact));
    EXPECT_EQ(o.pnl_impact, d(expected[i].pnl_impact));
    EXPECT_EQ(o.price_difference_bps, 10.0);  // positive: live worse for us
  }
  const DiffTotals& t = report.totals;
  EXPECT_EQ(t.compared, 6);
  EXPECT_EQ(t.fee_difference, d("-0.00000196"));
  EXPECT_EQ(t.price_impact, d("-0.2066"));
  EXPECT_EQ(t.pnl_impact, d("-0.20659804"));
  ASSERT_EQ(report.round_trips.size(), 3u);
  EXPECT_EQ(report.round_trips[0].pnl_impact, d("-0.100999"));
  EXPECT_EQ(report.round_trips[1].pnl_impact, d("-0.09554909"));
  EXPECT_EQ(report.round_trips[2].pnl_impact, d("-0.01004995"));
}

TEST(DiffEngine, VenueRulesRejectBelowMinNotionalAndOffTickAndRoundTheQuantityDown) {
  Session s;
  // A limit buy off the live tick grid, left working on paper (the bar never reaches it).
  s.clock.advance_to(at(6));
  OrderContext limit = Engine::entry(s.btc, "d");
  limit.type = OrderType::kLimit;
  limit.quantity = d("0.1");
  limit.limit_price = d("90.005");
  limit.reference_price = d("90.005");
  limit.stop_loss = d("87");
  limit.take_profit = d("100");
  const PlaceResult placed = s.engine.router.place_order(limit);
  ASSERT_TRUE(placed.decision.ok) << placed.decision.reason;
  s.bus.drain();

  const auto rules = [&](Asset, const Symbol& symbol) {
    data::InstrumentInfo info;
    info.symbol = symbol;
    info.status = "Trading";
    info.tick_size = d("0.01");
    info.qty_step = d("0.01");
    info.min_qty = d("0.01");
    info.min_notional = d("10");
    return info;
  };
  const DiffEngine engine(s.journal(), paper_prices, live_fees(), rules);
  const DiffReport report = engine.compare(Asset::kSpot, 0);
  ASSERT_EQ(report.orders.size(), 7u);

  // A: nothing to say.
  EXPECT_EQ(report.orders[0].verdict, LiveVerdict::kWouldFill);
  EXPECT_EQ(report.orders[0].pnl_impact, Decimal::zero());
  // B: live rounds 0.455 down to 0.45 and says so; the fee is the smaller quantity's.
  for (int i : {2, 3}) {
    const OrderDiff& b = report.orders[i];
    EXPECT_EQ(b.verdict, LiveVerdict::kWouldFill);
    EXPECT_TRUE(b.quantity_rounded);
    EXPECT_EQ(b.note, "quantity_rounded: 0.455 -> 0.45 (qty_step 0.01)");
    EXPECT_EQ(b.live_quantity, d("0.45"));
    EXPECT_EQ(b.price_impact, Decimal::zero());
  }
  EXPECT_EQ(report.orders[2].live_fee, d("0.0468"));          // 0.45 x 104 x 0.001
  EXPECT_EQ(report.orders[2].fee_difference, d("-0.00052"));  // - 0.04732
  EXPECT_EQ(report.orders[3].live_fee, d("0.0477"));          // 0.45 x 106 x 0.001
  EXPECT_EQ(report.orders[3].pnl_impact, d("0.00053"));       // 0.04823 - 0.0477
  // C: 0.05 x 100 is below the 10 minimum order value, entry and exit alike.
  const OrderDiff& c_entry = report.orders[4];
  EXPECT_EQ(c_entry.verdict, LiveVerdict::kWouldReject);
  EXPECT_EQ(c_entry.rejection, LiveRejection::kBelowMinNotional);
  EXPECT_EQ(c_entry.reason, "below_min_notional: 0.05 x 100 = 5 < min_notional 10");
  EXPECT_FALSE(c_entry.compared);
  EXPECT_EQ(c_entry.live_fee, Decimal::zero());
  EXPECT_EQ(c_entry.pnl_impact, Decimal::zero());
  EXPECT_EQ(report.orders[5].reason, "below_min_notional: 0.05 x 101 = 5.05 < min_notional 10");
  // D: still working on paper; live refuses its price.
  const OrderDiff& d_limit = report.orders[6];
  EXPECT_EQ(d_limit.client_order_id, placed.client_order_id);
  EXPECT_EQ(d_limit.paper_status, OrderStatus::kNew);
  EXPECT_EQ(d_limit.paper_quantity, Decimal::zero());
  EXPECT_EQ(d_limit.verdict, LiveVerdict::kWouldReject);
  EXPECT_EQ(d_limit.rejection, LiveRejection::kPriceOffTick);
  EXPECT_EQ(d_limit.reason, "price_off_tick: limit 90.005 is not a multiple of tick_size 0.01");

  const DiffTotals& t = report.totals;
  EXPECT_EQ(t.orders, 7);
  EXPECT_EQ(t.would_fill, 4);
  EXPECT_EQ(t.would_reject, 3);
  EXPECT_EQ(t.compared, 4);
  EXPECT_EQ(t.quantity_rounded, 2);
  EXPECT_EQ(t.rejections, (std::map<LiveRejection, int>{{LiveRejection::kBelowMinNotional, 2},
                                                        {LiveRejection::kPriceOffTick, 1}}));
  EXPECT_EQ(t.fee_difference, d("-0.00105"));
  EXPECT_EQ(t.price_impact, Decimal::zero());
  EXPECT_EQ(t.pnl_impact, d("0.00105"));
  ASSERT_EQ(report.round_trips.size(), 3u);
  EXPECT_TRUE(report.round_trips[0].complete);
  EXPECT_FALSE(report.round_trips[1].complete);  // rounded
  EXPECT_FALSE(report.round_trips[2].complete);  // rejected
}

TEST(DiffEngine, ALimitThatPaperFilledAsMakerFillsAtItsLimitAndAWorkingOneRests) {
  Session s;
  // Bar 6 opens at 100 and trades down to 99: a buy limit at 99.5 fills there as a maker.
  s.clock.advance_to(at(6));
  OrderContext entry = Engine::entry(s.btc, "maker");
  entry.type = OrderType::kLimit;
  entry.quantity = d("0.1");
  entry.limit_price = d("99.5");
  entry.reference_price = d("99.5");
  entry.stop_loss = d("96");
  entry.take_profit = d("110");
  const PlaceResult maker = s.engine.router.place_order(entry);
  ASSERT_TRUE(maker.decision.ok) << maker.decision.reason;
  s.bus.drain();
  s.feed(bar(at(6), "100", "101", "99", "100"));
  // A reduce-only sell limit at 120 the market never reaches: still working on paper.
  s.clock.advance_to(at(7));
  OrderContext exit = entry;
  exit.side = OrderSide::kSell;
  exit.reduce_only = true;
  exit.limit_price = d("120");
  exit.reference_price = d("120");
  exit.stop_loss = Decimal::zero();
  exit.take_profit = Decimal::zero();
  exit.signal_id = "working";
  const PlaceResult working = s.engine.router.place_order(exit);
  ASSERT_TRUE(working.decision.ok) << working.decision.reason;
  s.bus.drain();

  // Live: 0.02 % maker, 0.1 % taker, at least 0.01 per order; the market at 100 off the bars.
  std::array<config::FeeRates, 4> fees{};
  fees[static_cast<std::size_t>(Asset::kSpot)] = {d("0.0002"), d("0.001"), d("0.01"), d("0")};
  const auto prices = [](Asset asset, const Symbol& symbol, OrderSide side, TimestampMs time) {
    return paper_prices(asset, symbol, side, time).value_or(d("100"));
  };
  const DiffReport report =
      DiffEngine(s.journal(), prices, fees, no_rules).compare(Asset::kSpot, at(6));
  ASSERT_EQ(report.orders.size(), 2u);
  const OrderDiff& filled = report.orders[0];
  EXPECT_EQ(filled.client_order_id, maker.client_order_id);
  EXPECT_EQ(filled.paper_price, d("99.5"));
  EXPECT_EQ(filled.paper_fee, d("0.00995"));  // the simulator's 0.1 %
  EXPECT_EQ(filled.verdict, LiveVerdict::kWouldFill);
  EXPECT_TRUE(filled.live_maker);
  EXPECT_EQ(filled.live_price, d("99.5"));
  EXPECT_EQ(filled.live_fee, d("0.01"));  // 0.1 x 99.5 x 0.0002 = 0.00199, below the minimum
  EXPECT_EQ(filled.pnl_impact, d("-0.00005"));
  const OrderDiff& rests = report.orders[1];
  EXPECT_EQ(rests.client_order_id, working.client_order_id);
  EXPECT_EQ(rests.paper_status, OrderStatus::kNew);
  EXPECT_EQ(rests.verdict, LiveVerdict::kWouldRest);
  EXPECT_EQ(rests.live_price, Decimal::zero());
  EXPECT_EQ(rests.live_fee, Decimal::zero());
  EXPECT_FALSE(rests.compared);
  EXPECT_EQ(report.totals.would_rest, 1);
  EXPECT_EQ(report.totals.compared, 1);
  EXPECT_EQ(report.totals.pnl_impact, d("-0.00005"));
  EXPECT_TRUE(report.round_trips.empty());  // still open

  // Cancelled on paper without a fill: still in the report, with its paper status.
  ASSERT_TRUE(s.engine.router.cancel_order(working.client_order_id).ok);
  s.bus.drain();
  const DiffReport after =
      DiffEngine(s.journal(), prices, fees, no_rules).compare(Asset::kSpot, at(6));
  ASSERT_EQ(after.orders.size(), 2u);
  EXPECT_EQ(after.orders[1].paper_status, OrderStatus::kCancelled);
  EXPECT_EQ(after.orders[1].verdict, LiveVerdict::kWouldRest);
}

TEST(DiffEngine, OtherVenueRulesRejectAndAMissingPriceIsUnknown) {
  Session s;
  const auto rules_with = [](const data::InstrumentInfo& info) {
    return [info](Asset, const Symbol&) { return info; };
  };
  data::InstrumentInfo halted;
  halted.status = "PreLaunch";
  data::InstrumentInfo coarse;
  coarse.qty_step = d("1");  // every quantity of the session rounds down to 0
  data::InstrumentInfo small_max;
  small_max.max_qty = d("0.1");

  DiffReport report = DiffEngine(s.journal(), paper_prices, live_fees(), rules_with(halted))
                          .compare(Asset::kSpot, 0);
  EXPECT_EQ(report.orders[0].reason, "not_trading: BTCUSDT is PreLaunch");
  EXPECT_EQ(report.totals.rejections.at(LiveRejection::kNotTrading), 6);

  report = DiffEngine(s.journal(), paper_prices, live_fees(), rules_with(coarse))
               .compare(Asset::kSpot, 0);
  EXPECT_EQ(report.orders[0].rejection, LiveRejection::kBelowMinQuantity);
  EXPECT_EQ(report.orders[0].reason, "below_min_quantity: 0 < min_qty 0 (qty_step 1)");
  EXPECT_EQ(report.orders[0].note, "quantity_rounded: 0.5 -> 0 (qty_step 1)");

  report = DiffEngine(s.journal(), paper_prices, live_fees(), rules_with(small_max))
               .compare(Asset::kSpot, 0);
  EXPECT_EQ(report.orders[0].reason, "above_max_quantity: 0.5 > max_qty 0.1");
  EXPECT_EQ(report.orders[4].verdict, LiveVerdict::kWouldFill);  // 0.05 is within

  const auto nothing = [](Asset, const Symbol&, OrderSide, TimestampMs) {
    return std::optional<Decimal>();
  };
  report = DiffEngine(s.journal(), nothing, live_fees(), no_rules).compare(Asset::kSpot, 0);
  EXPECT_EQ(report.totals.unknown, 6);
  EXPECT_EQ(report.totals.compared, 0);
  EXPECT_EQ(report.orders[0].reason,
            "no_live_price: none for BTCUSDT buy at 2023-11-14T22:00:00.000Z");
  EXPECT_FALSE(report.round_trips[0].complete);

  // Another asset has no orders.
  report = DiffEngine(s.journal(), paper_prices, live_fees(), no_rules).compare(Asset::kPerp, 0);
  EXPECT_TRUE(report.orders.empty());
  EXPECT_TRUE(report.round_trips.empty());
}

TEST(DiffEngine, SinceKeepsTheOrdersSentAtOrAfterIt) {
  Session s;
  const DiffEngine engine(s.journal(), ten_bps_worse, live_fees(), no_rules);

  DiffReport report = engine.compare(Asset::kSpot, at(2));
  EXPECT_EQ(report.since, at(2));
  ASSERT_EQ(report.orders.size(), 4u);
  EXPECT_EQ(report.orders[0].client_order_id, s.ids[2]);
  ASSERT_EQ(report.round_trips.size(), 2u);
  EXPECT_EQ(report.totals.pnl_impact, d("-0.10559904"));  // B and C of the 10 bps case

  // From just after B's entry: B's exit closes a position opened before `since`, which makes
  // no round trip, but the order is still compared.
  report = engine.compare(Asset::kSpot, at(2) + 1);
  ASSERT_EQ(report.orders.size(), 3u);
  EXPECT_EQ(report.orders[0].client_order_id, s.ids[3]);
  EXPECT_EQ(report.orders[0].pnl_impact, d("-0.04818177"));
  ASSERT_EQ(report.round_trips.size(), 1u);
  EXPECT_EQ(report.round_trips[0].client_order_ids, (std::vector<std::string>{s.ids[4], s.ids[5]}));

  EXPECT_TRUE(engine.compare(Asset::kSpot, at(6)).orders.empty());
}

TEST(DiffEngine, AStopTheVenueTriggeredFillsAtThePaperPriceWithLiveFees) {
  Venue venue(without_slippage());
  auto store = store::SqliteStore::open_in_memory();
  Engine engine(venue, *store);
  const PlaceResult placed = engine.router.place_order(Engine::entry(venue.btc, "stopped"));
  ASSERT_TRUE(placed.decision.ok) << placed.decision.reason;
  venue.bus.drain();
  venue.feed(bar(at(0), "100", "101", "99", "100"));
  venue.feed(bar(at(1), "99", "99.5", "94", "96"));  // through the 95 stop

  std::array<config::FeeRates, 4> fees = live_fees();
  fees[static_cast<std::size_t>(Asset::kSpot)].taker = d("0.002");
  const DiffEngine diff(engine.router.journal(), ten_bps_worse, fees, no_rules);
  const DiffReport report = diff.compare(Asset::kSpot, 0);
  ASSERT_EQ(report.orders.size(), 2u);
  const OrderDiff& stop = report.orders[1];
  EXPECT_TRUE(stop.venue_generated);
  EXPECT_EQ(stop.verdict, LiveVerdict::kWouldFill);
  EXPECT_EQ(stop.note, "venue_exit: live fills at the paper trigger price");
  EXPECT_EQ(stop.paper_price, d("95"));
  EXPECT_EQ(stop.live_price, d("95"));
  EXPECT_EQ(stop.live_fee, d("0.095"));      // 0.5 x 95 x 0.002
  EXPECT_EQ(stop.pnl_impact, d("-0.0475"));  // - (0.095 - 0.0475)
  ASSERT_EQ(report.round_trips.size(), 1u);
  EXPECT_EQ(report.round_trips[0].paper_pnl, d("-2.5975"));  // -50 + 47.5 - 0.05 - 0.0475
}

TEST(DiffEngine, BarPriceLookupTakesTheNextBarsOpenPlusTheHalfSpread) {
  gauntlet::testing::TempDir dir;
  data::BarStore bars(dir.path());
  const data::SeriesKey key{"bybit", Asset::kSpot, Symbol::parse("BTCUSDT"), Timeframe::k15m};
  std::vector<Bar> series;
  series.reserve(7);
  for (int i = 0; i < 6; ++i) series.push_back(bar_at(i));
  series.push_back(bar(at(8), "107", "108", "106", "107"));  // after a gap of two bars
  bars.upsert_bars(key, series);
  const Symbol btc = Symbol::parse("BTCUSDT");

  const LivePriceLookup plain = bar_price_lookup(bars, "bybit", Timeframe::k15m);
  EXPECT_EQ(plain(Asset::kSpot, btc, OrderSide::kBuy, at(0)), d("100"));      // at an open
  EXPECT_EQ(plain(Asset::kSpot, btc, OrderSide::kBuy, at(0) + 1), d("102"));  // the next one
  EXPECT_EQ(plain(Asset::kSpot, btc, OrderSide::kSell, at(1) - 1), d("102"));
  EXPECT_EQ(plain(Asset::kSpot, btc, OrderSide::kBuy, at(5) + 1), std::nullopt);  // the gap
  EXPECT_EQ(plain(Asset::kPerp, btc, OrderSide::kBuy, at(0)), std::nullopt);      // no such series
  const LivePriceLookup patient = bar_price_lookup(bars, "bybit", Timeframe::k15m, 0.0, 3);
  EXPECT_EQ(patient(Asset::kSpot, btc, OrderSide::kBuy, at(5) + 1), d("107"));

  const LivePriceLookup spread = bar_price_lookup(bars, "bybit", Timeframe::k15m, 5.0);
  EXPECT_EQ(spread(Asset::kSpot, btc, OrderSide::kBuy, at(0) + 1), d("102.051"));
  EXPECT_EQ(spread(Asset::kSpot, btc, OrderSide::kSell, at(0) + 1), d("101.949"));

  // Over the session: the bars paper filled on give paper's prices; a 10 bps half-spread gives
  // the 10 bps case exactly.
  Session s;
  DiffReport report =
      DiffEngine(s.journal(), plain, live_fees(), no_rules).compare(Asset::kSpot, 0);
  EXPECT_EQ(report.totals.compared, 6);
  EXPECT_EQ(report.totals.pnl_impact, Decimal::zero());
  report = DiffEngine(s.journal(), bar_price_lookup(bars, "bybit", Timeframe::k15m, 10.0),
                      live_fees(), no_rules)
               .compare(Asset::kSpot, 0);
  EXPECT_EQ(report.totals.pnl_impact, d("-0.20659804"));
}

TEST(DiffEngine, JsonAndTextCarryTheTotals) {
  Session s;
  const auto rules = [](Asset, const Symbol&) {
    data::InstrumentInfo info;
    info.min_notional = d("10");
    return info;
  };
  const DiffReport report =
      DiffEngine(s.journal(), ten_bps_worse, live_fees(), rules).compare(Asset::kSpot, 0);

  const nlohmann::json json = to_json(report);
  EXPECT_EQ(json["asset"], "spot");
  EXPECT_EQ(json["since"], 0);
  ASSERT_EQ(json["orders"].size(), 6u);
  EXPECT_EQ(json["orders"][0]["client_order_id"], s.ids[0]);
  EXPECT_EQ(json["orders"][0]["live"]["price"], "100.1");
  EXPECT_EQ(json["orders"][0]["pnl_impact"], "-0.05005");
  EXPECT_EQ(json["orders"][4]["live"]["verdict"], "would_reject");
  EXPECT_EQ(json["orders"][4]["live"]["rejection"], "below_min_notional");
  const nlohmann::json& totals = json["totals"];
  EXPECT_EQ(totals["orders"], 6);
  EXPECT_EQ(totals["would_fill"], 4);
  EXPECT_EQ(totals["would_reject"], 2);
  EXPECT_EQ(totals["unknown"], 0);
  EXPECT_EQ(totals["rejections"], (nlohmann::json{{"below_min_notional", 2}}));
  // A and B of the 10 bps case.
  EXPECT_EQ(totals["fee_difference"], "-0.00000191");
  EXPECT_EQ(totals["price_impact"], "-0.19655");
  EXPECT_EQ(totals["pnl_impact"], "-0.19654809");
  EXPECT_EQ(json["round_trips"].size(), 3u);
  EXPECT_EQ(json["round_trips"][0]["paper_pnl"], "0.899");

  const std::string text = to_text(report);
  EXPECT_NE(text.find("paper vs live, spot orders sent since 1970-01-01T00:00:00.000Z"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("orders 6: would_fill 4, would_rest 0, would_reject 2 "
                      "(below_min_notional 2), unknown 0; compared 4, live only 0, quantity "
                      "rounded 0"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("fee difference -0.00000191, price impact -0.19655, P&L impact "
                      "-0.19654809"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("below_min_notional: 0.05 x 100.1 = 5.005 < min_notional 10"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("round trips 3:"), std::string::npos) << text;
  EXPECT_NE(text.find("(incomplete)"), std::string::npos) << text;
}

}  // namespace
}  // namespace gauntlet::orders
