// Hundreds of orders through risk -> budget -> exposure -> router -> sim_broker on a month of real
// BTC and ETH 5m bars: every position is protected from the moment it exists, no budget or cap
// is ever exceeded, and at the end fees and P&L reconcile to the cent with an independent
// recomputation from the journal's fills, with the broker's books and with the reconciler.
#include <gtest/gtest.h>

#include <map>

#include "data/bar_import.hpp"
#include "indicators/technical_indicators.hpp"
#include "orders/pnl_reconciler.hpp"
#include "router_harness.hpp"
#include "support/shared_data.hpp"

namespace gauntlet::orders {
namespace {

using namespace testing;

struct Series {
  Symbol symbol;
  std::vector<Bar> bars;
  indicators::Atr atr{14};
  std::size_t next = 0;
};

TEST(OrderFlowOnRealBars, HundredsOfOrdersStayProtectedWithinCapsAndReconcileToTheCent) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  std::vector<Series> series(2);
  series[0].symbol = Symbol::parse("BTCUSDT");
  series[1].symbol = Symbol::parse("ETHUSDT");
  for (Series& s : series) {
    const auto path =
        data / "crypto/binance_spot" / (std::string(s.symbol.base()) + "_USDT-5m.json.gz");
    s.bars = data::read_bar_file(path, data::guess_import(path)).bars;
    ASSERT_GT(s.bars.size(), 8000u);
  }
  const TimestampMs start = std::min(series[0].bars[0].open_time, series[1].bars[0].open_time);

  asio::io_context loop;
  EventBus bus{loop};
  SimClock clock{start};
  brokers::SimBroker broker(bus, clock, sim_config());
  auto store = store::SqliteStore::open_in_memory();
  capital::RiskManager risk{capital::RiskLimitsByAsset{
      config::default_risk(Asset::kSpot), config::default_risk(Asset::kPerp),
      config::default_risk(Asset::kForex), config::default_risk(Asset::kOptions)}};
  capital::BudgetManager budget{*store, config::default_budgets()};
  const Decimal allocation = budget.get_alloc(Asset::kSpot);
  capital::ExposureManager exposure{config::default_exposure_caps(),
                                    {allocation, allocation, allocation, allocation}};
  OrderRouter router(bus, clock, *store, risk, budget, exposure,
                     [](Asset, const Symbol&) { return data::InstrumentInfo{}; });
  router.route(Asset::kSpot, broker);
  PnlReconciler reconciler(bus, router, budget, *store, Engine::sim_fee_model());
  reconciler.route(Asset::kSpot, broker);
  Collected<OrderDenied> denied(bus);
  Collected<PositionClosed> closed(bus);
  Collected<BrokerDesync> desyncs(bus);

  std::map<std::string, int> denials;
  int attempts = 0, steps = 0;
  const config::RiskLimits limits = config::default_risk(Asset::kSpot);
  while (true) {
    // The next bar time across both series.
    TimestampMs now = INT64_MAX;
    for (const Series& s : series) {
      if (s.next < s.bars.size()) now = std::min(now, s.bars[s.next].open_time);
    }
    if (now == INT64_MAX) break;
    clock.advance_to(std::max(clock.now_ms(), now));
    for (Series& s : series) {
      if (s.next >= s.bars.size() || s.bars[s.next].open_time != now) continue;
      const Bar& b = s.bars[s.next++];
      broker.on_bar(Asset::kSpot, s.symbol, b);
      bus.drain();
      const double atr = s.atr.update({b.open.to_double(), b.high.to_double(), b.low.to_double(),
                                       b.close.to_double(), b.volume.to_double()});
      const auto position = router.position(Asset::kSpot, s.symbol);
      if (position &&
          capital::should_force_exit(position->opened_at, now, 12 * kHourMs)) {  // time exit
        router.close_position(Asset::kSpot, s.symbol, "max_holding_time");
      } else if (!position && !std::isnan(atr) && s.next % 24 == 0) {
        const capital::TpSl levels =
            capital::compute_tp_sl(OrderSide::kBuy, b.close, atr, 2.0, 1.5, Decimal::parse("0.01"));
        OrderContext entry;
        entry.asset = Asset::kSpot;
        entry.symbol = s.symbol;
        entry.side = OrderSide::kBuy;
        entry.reference_price = b.close;
        entry.stop_loss = levels.stop_loss;
        entry.take_profit = levels.take_profit;
        entry.atr = atr;
        entry.strategy_id = "atr-breakout-" + std::string(s.symbol.base());
        entry.signal_id = s.symbol.canonical() + "@" + std::to_string(now);
        ++attempts;
        const PlaceResult result = router.place_order(entry);
        if (!result.decision) ++denials[std::string(result.decision.code())];
      }
      bus.drain();
    }
    ++steps;
    // Invariants after every step.
    for (const Series& s : series) {
      if (const auto held = broker.position(Asset::kSpot, s.symbol)) {
        ASSERT_GT(held->stop_loss, Decimal::zero()) << s.symbol.canonical() << " at " << now;
        ASSERT_GT(held->take_profit, Decimal::zero()) << s.symbol.canonical() << " at " << now;
      }
    }
    ASSERT_LE(budget.reserved(Asset::kSpot), budget.get_alloc(Asset::kSpot)) << "at " << now;
    const capital::ExposureSnapshot exposed = exposure.current_exposure();
    ASSERT_LE(exposed.open_positions, config::default_exposure_caps().max_concurrent_total);
    for (const auto& cluster : exposed.clusters) {
      ASSERT_LE(cluster.open_positions, cluster.max_concurrent) << cluster.name;
    }
    ASSERT_LE(exposed.gross(Asset::kSpot).to_double(),
              limits.max_leverage * budget.get_alloc(Asset::kSpot).to_double() * 1.0001);
  }
  // Flatten what is left and let the exits fill on a last bar of each series.
  for (Series& s : series) router.close_position(Asset::kSpot, s.symbol, "end_of_test");
  bus.drain();
  const TimestampMs last = clock.now_ms() + 5 * kMinuteMs;
  clock.advance_to(last);
  for (Series& s : series) {
    Bar final_bar = s.bars.back();
    final_bar.open_time = last;
    broker.on_bar(Asset::kSpot, s.symbol, final_bar);
  }
  bus.drain();

  const auto fills = router.journal().all_fills();
  std::printf("  %d steps, %d entry attempts, %zu fills, %zu closed trades, denials:", steps,
              attempts, fills.size(), closed.events.size());
  for (const auto& [code, count] : denials) std::printf(" %s=%d", code.c_str(), count);
  std::printf("\n");
  EXPECT_GE(fills.size(), 200u) << "hundreds of orders";
  EXPECT_TRUE(router.positions().empty());
  EXPECT_FALSE(broker.position(Asset::kSpot, series[0].symbol));
  EXPECT_FALSE(broker.position(Asset::kSpot, series[1].symbol));

  // Independent recomputation from the fills alone: every sell adds, every buy spends, every
  // fee costs, in exact decimals.
  Decimal cash_flow, fees;
  for (const Fill& fill : fills) {
    const Decimal value = fill.quantity * fill.price;
    cash_flow = cash_flow + (fill.side == OrderSide::kSell ? value : -value) - fill.fee;
    fees = fees + fill.fee;
  }
  Decimal realised;
  for (const PositionClosed& trade : closed.events) realised = realised + trade.realised_pnl;
  EXPECT_EQ(realised, cash_flow) << "closed trades sum to the fills";
  EXPECT_EQ(budget.get_alloc(Asset::kSpot), allocation + cash_flow) << "the bucket compounded";
  EXPECT_EQ(budget.reserved(Asset::kSpot), Decimal::zero());
  EXPECT_EQ(broker.balance(Asset::kSpot).equity, d("1000") + cash_flow) << "the venue agrees";
  // The venue books realised P&L from average prices, rounding each product to 1e-9: it agrees
  // to the cent.
  const Decimal venue_gap = broker.balance(Asset::kSpot).realised_pnl - cash_flow;
  EXPECT_LT(venue_gap < Decimal::zero() ? -venue_gap : venue_gap, d("0.01"));
  EXPECT_GT(fees, Decimal::zero());
  reconciler.reconcile(Asset::kSpot);
  bus.drain();
  EXPECT_FALSE(reconciler.desynced(Asset::kSpot));
  EXPECT_TRUE(desyncs.events.empty());
}

}  // namespace
}  // namespace gauntlet::orders
