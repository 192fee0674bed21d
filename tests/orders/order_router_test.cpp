// The order router's pipeline against the paper exchange: sizing, every refusal with its
// reason, the journal before the send, idempotent ids, protection at the entry, on the position
// or emulated, and P&L that reconciles with the fills.
#include "orders/order_router.hpp"

#include <gtest/gtest.h>

#include "router_harness.hpp"

namespace gauntlet::orders {
namespace {

using namespace testing;

struct Harness : Venue {
  std::unique_ptr<store::SqliteStore> store_ = store::SqliteStore::open_in_memory();
  Engine engine{*this, *store_};
  capital::RiskManager& risk = engine.risk;
  capital::BudgetManager& budget = engine.budget;
  capital::ExposureManager& exposure = engine.exposure;
  OrderRouter& router = engine.router;
  Collected<OrderDenied> denied_events{bus};
  Collected<PositionClosed> closed_events{bus};
  Collected<brokers::ProtectionSet> protection_events{bus};
  std::vector<OrderDenied>& denied = denied_events.events;
  std::vector<PositionClosed>& closed = closed_events.events;
  std::vector<brokers::ProtectionSet>& protection_set = protection_events.events;

  explicit Harness(brokers::SimBrokerConfig c = sim_config()) : Venue(std::move(c)) {}
  OrderContext entry(const char* signal) const { return Engine::entry(btc, signal); }
};

TEST(OrderRouter, SizesJournalsSendsFillsProtectsAndClosesWithReconciledPnl) {
  Harness h;
  const PlaceResult placed = h.router.place_order(h.entry("sig-1"));
  ASSERT_TRUE(placed.decision.ok) << placed.decision.reason;
  // The intent is journaled before the broker answers.
  auto entry = h.router.journal().find(placed.client_order_id);
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->status, OrderStatus::kPendingNew);
  EXPECT_EQ(entry->request.quantity, d("0.5"));           // 250 x 0.01 / (100 - 95)
  EXPECT_EQ(h.budget.available(Asset::kSpot), d("200"));  // 0.5 x 100 reserved
  h.bus.drain();
  EXPECT_EQ(h.router.journal().find(placed.client_order_id)->status, OrderStatus::kNew);

  h.feed(bar(kStart, "100", "101", "99", "100"));
  entry = h.router.journal().find(placed.client_order_id);
  EXPECT_EQ(entry->status, OrderStatus::kFilled);
  const auto position = h.router.position(Asset::kSpot, h.btc);
  ASSERT_TRUE(position);
  EXPECT_EQ(position->quantity, d("0.5"));
  ASSERT_EQ(h.protection_set.size(), 1u);  // attached with the entry by the venue
  EXPECT_EQ(h.protection_set[0].stop_loss, d("95"));
  const Protection* protection = h.router.sl_tp().protection(Asset::kSpot, h.btc);
  ASSERT_NE(protection, nullptr);
  EXPECT_EQ(protection->mode, ProtectionMode::kAtEntry);
  EXPECT_EQ(h.exposure.current_exposure().open_positions, 1);

  h.feed(bar(kStart + k15m, "99", "99.5", "94", "96"));  // the stop
  ASSERT_EQ(h.closed.size(), 1u);
  EXPECT_FALSE(h.router.position(Asset::kSpot, h.btc));
  EXPECT_EQ(h.router.sl_tp().protection(Asset::kSpot, h.btc), nullptr);
  EXPECT_EQ(h.exposure.current_exposure().open_positions, 0);

  // Independent recomputation from the journal's fills: sells minus buys minus fees.
  Decimal cash_flow;
  for (const Fill& fill : h.router.journal().all_fills()) {
    const Decimal value = fill.quantity * fill.price;
    cash_flow = cash_flow + (fill.side == OrderSide::kSell ? value : -value) - fill.fee;
  }
  EXPECT_EQ(h.router.journal().all_fills().size(), 2u);
  EXPECT_EQ(h.closed[0].realised_pnl, cash_flow);
  EXPECT_EQ(h.budget.get_alloc(Asset::kSpot), d("250") + cash_flow);
  EXPECT_EQ(h.budget.available(Asset::kSpot), h.budget.get_alloc(Asset::kSpot));
  // The broker's books agree to the cent.
  EXPECT_EQ(h.broker.balance(Asset::kSpot).equity, d("1000") + cash_flow);

  // The round trip is journaled with the closing fill, for the trade log.
  const std::vector<Fill> fills = h.router.journal().all_fills();
  const std::vector<ClosedTrade> trades = h.router.journal().closed_trades();
  ASSERT_EQ(trades.size(), 1u);
  const ClosedTrade& trade = trades[0];
  EXPECT_EQ(trade, h.closed[0].trade);
  EXPECT_EQ(trade.sequence, 1);
  EXPECT_EQ(trade.strategy_id, "trend-1");
  EXPECT_EQ(trade.side, OrderSide::kBuy);
  EXPECT_EQ(trade.entry_time, fills[0].time);
  EXPECT_EQ(trade.exit_time, fills[1].time);
  EXPECT_EQ(trade.entry_price, fills[0].price);
  EXPECT_EQ(trade.exit_price, fills[1].price);
  EXPECT_EQ(trade.quantity, d("0.5"));
  EXPECT_EQ(trade.stop_loss, d("95"));
  EXPECT_EQ(trade.take_profit, d("110"));
  EXPECT_EQ(trade.fees, fills[0].fee + fills[1].fee);
  EXPECT_EQ(trade.realized_pnl, cash_flow);
  EXPECT_EQ(trade.exit_reason, "stop_loss");
  EXPECT_TRUE(h.router.journal().closed_trades(1).empty());
}

// An entry filled in three parts (a bar's volume caps each fill at 10 % of it) is one position
// for the risk ledger, and the stop that closes it in one fill leaves none open: counted by
// fill, the ledger kept two positions that did not exist, and after a few such trades
// max_open_positions refused every entry for good (found by the two-year end-to-end run).
TEST(OrderRouter, PartialFillsOpenOnePositionForTheRiskLedger) {
  Harness h;
  const PlaceResult placed = h.router.place_order(h.entry("sig-1"));
  ASSERT_TRUE(placed.decision.ok) << placed.decision.reason;
  EXPECT_EQ(h.router.journal().find(placed.client_order_id)->request.quantity, d("0.5"));
  h.bus.drain();
  // Volume 2: at most 0.2 a bar; 0.2 + 0.2 + 0.1.
  Bar thin = bar(kStart, "100", "101", "99", "100");
  thin.volume = d("2");
  for (int i = 0; i < 3; ++i) {
    thin.open_time = kStart + i * k15m;
    h.feed(thin);
  }
  EXPECT_EQ(h.router.journal().fills(placed.client_order_id).size(), 3u);
  ASSERT_TRUE(h.router.position(Asset::kSpot, h.btc));
  EXPECT_EQ(h.router.position(Asset::kSpot, h.btc)->quantity, d("0.5"));
  EXPECT_EQ(h.risk.open_positions(Asset::kSpot), 1);
  h.feed(bar(kStart + 3 * k15m, "99", "99.5", "94", "96"));  // the stop, one fill
  ASSERT_EQ(h.closed.size(), 1u);
  EXPECT_EQ(h.risk.open_positions(Asset::kSpot), 0);
  EXPECT_EQ(h.risk.committed_notional(Asset::kSpot, "trend-1"), Decimal::zero());
}

TEST(OrderRouter, AClosedTradeKeepsTheExitOrdersReasonAndSurvivesARestart) {
  Harness h;
  ASSERT_TRUE(h.router.place_order(h.entry("sig-1")).decision.ok);
  h.bus.drain();
  h.feed(bar(kStart, "100", "101", "99", "100"));
  ASSERT_TRUE(h.router.close_position(Asset::kSpot, h.btc, "shutdown").decision.ok);
  h.bus.drain();
  h.feed(bar(kStart + k15m, "102", "103", "101", "102"));
  ASSERT_EQ(h.closed.size(), 1u);
  EXPECT_EQ(h.closed[0].trade.exit_reason, "shutdown");
  EXPECT_EQ(h.closed[0].trade.exit_price, h.router.journal().all_fills().at(1).price);
  // The exit reason is journaled with the order, and the trade with its fill.
  Engine rebuilt{h, *h.store_};
  rebuilt.router.recover();
  ASSERT_EQ(rebuilt.router.journal().closed_trades().size(), 1u);
  EXPECT_EQ(rebuilt.router.journal().closed_trades()[0], h.closed[0].trade);
}

TEST(OrderRouter, RefusesWithTheFirstFailingCheckAndSendsNothing) {
  Harness h;
  OrderContext naked = h.entry("naked");
  naked.stop_loss = Decimal::zero();
  PlaceResult result = h.router.place_order(naked);
  EXPECT_EQ(result.decision.code(), "missing_protection") << result.decision.reason;
  EXPECT_FALSE(h.router.journal().find(result.client_order_id));

  h.router.halt_entries(Asset::kSpot, HaltReason::kBrokerDesync, "balance off by 3.20");
  result = h.router.place_order(h.entry("halted"));
  EXPECT_EQ(result.decision.reason, "entries_halted: broker_desync: balance off by 3.20");
  EXPECT_TRUE(h.router.lift_halt(Asset::kSpot, HaltReason::kBrokerDesync));

  config::RiskLimits loose = config::default_risk(Asset::kSpot);
  loose.per_strategy_cap = 10;
  loose.max_leverage = 10;
  h.risk.set_limits(Asset::kSpot, loose);
  OrderContext large = h.entry("large");
  large.quantity = d("3");  // 300 > the 250 bucket
  result = h.router.place_order(large);
  EXPECT_EQ(result.decision.code(), "budget_exceeded") << result.decision.reason;

  ASSERT_TRUE(h.router.place_order(h.entry("first")).decision.ok);
  h.bus.drain();
  h.feed(bar(kStart, "100", "101", "99", "100"));
  result = h.router.place_order(h.entry("second"));
  EXPECT_EQ(result.decision.code(), "already_open") << result.decision.reason;

  h.bus.drain();
  ASSERT_EQ(h.denied.size(), 4u);
  EXPECT_EQ(h.denied[0].decision.code(), "missing_protection");
  EXPECT_EQ(h.denied[3].decision.code(), "already_open");
  EXPECT_EQ(h.broker.open_order_count(), 0u);
  EXPECT_EQ(h.router.journal().all_fills().size(), 1u);
}

// After a restart the venue's stop exit of a position can be heard before the entry's own
// fill (they come by different paths): the exit waits, unjournaled, until the entry opens the
// position, then closes it; the round trip is one closed trade.
TEST(OrderRouter, AnExitHeardBeforeItsEntrysFillWaitsForIt) {
  Harness h;
  const PlaceResult placed = h.router.place_order(h.entry("sig-h"));
  ASSERT_TRUE(placed.decision.ok) << placed.decision.reason;
  h.bus.drain();
  const Decimal quantity = h.router.journal().find(placed.client_order_id)->request.quantity;
  brokers::OrderFilled exit;
  exit.venue = std::string(h.broker.venue());
  exit.fill = {"x-stop",
               "venue-stop-1",
               "v-9",
               Asset::kSpot,
               h.btc,
               OrderSide::kSell,
               quantity,
               d("101"),
               d("0.05"),
               false,
               kStart + 2 * kMinuteMs,
               Decimal::zero()};
  exit.cumulative_quantity = quantity;
  exit.status = OrderStatus::kFilled;
  h.bus.publish(exit);
  h.bus.drain();
  EXPECT_TRUE(h.router.journal().all_fills().empty());
  EXPECT_TRUE(h.closed.empty());
  h.feed(bar(kStart, "100", "100.5", "99.5", "100"));  // the entry fills at the open
  ASSERT_EQ(h.closed.size(), 1u);
  EXPECT_FALSE(h.router.position(Asset::kSpot, h.btc));
  EXPECT_EQ(h.router.journal().all_fills().size(), 2u);
  EXPECT_EQ(h.closed[0].trade.exit_price, d("101"));
  EXPECT_EQ(h.closed[0].trade.entry_price,
            h.router.journal().fills(placed.client_order_id).at(0).price);
}

TEST(OrderRouter, TheSameSignalNeverBecomesASecondOrder) {
  Harness h;
  const PlaceResult first = h.router.place_order(h.entry("sig-7"));
  ASSERT_TRUE(first.decision.ok);
  const PlaceResult again = h.router.place_order(h.entry("sig-7"));
  EXPECT_EQ(again.decision.code(), "duplicate_intent");
  EXPECT_EQ(again.client_order_id, first.client_order_id);
  h.bus.drain();
  h.feed(bar(kStart, "100", "101", "99", "100"));
  EXPECT_EQ(h.router.journal().all_fills().size(), 1u);
}

TEST(OrderRouter, ProtectsOnThePositionWhenTheVenueCannotAtTheEntry) {
  brokers::SimBrokerConfig c = sim_config();
  c.protection_at_entry = false;
  Harness h(c);
  ASSERT_TRUE(h.router.place_order(h.entry("p")).decision.ok);
  h.bus.drain();
  h.feed(bar(kStart, "100", "101", "99", "100"));
  h.bus.drain();
  const Protection* protection = h.router.sl_tp().protection(Asset::kSpot, h.btc);
  ASSERT_NE(protection, nullptr);
  EXPECT_EQ(protection->mode, ProtectionMode::kOnPosition);
  EXPECT_TRUE(protection->confirmed);
  ASSERT_EQ(h.protection_set.size(), 1u);
  EXPECT_EQ(h.broker.position(Asset::kSpot, h.btc)->take_profit, d("110"));
  h.feed(bar(kStart + k15m, "101", "111", "100", "110"));  // the target
  ASSERT_EQ(h.closed.size(), 1u);
  EXPECT_GT(h.closed[0].realised_pnl, Decimal::zero());
}

TEST(OrderRouter, EmulatesProtectionWhenTheVenueHasNone) {
  brokers::SimBrokerConfig c = sim_config();
  c.protection_at_entry = false;
  c.protection_on_position = false;
  Harness h(c);
  ASSERT_TRUE(h.router.place_order(h.entry("e")).decision.ok);
  h.bus.drain();
  h.feed(bar(kStart, "100", "101", "99", "100"));
  const Protection* protection = h.router.sl_tp().protection(Asset::kSpot, h.btc);
  ASSERT_NE(protection, nullptr);
  EXPECT_EQ(protection->mode, ProtectionMode::kEmulated);
  EXPECT_TRUE(h.protection_set.empty());
  // The engine sees the stop traded and exits with a reduce-only market order.
  h.router.sl_tp().on_price(Asset::kSpot, h.btc, d("94.9"), kStart + k15m);
  h.bus.drain();
  h.feed(bar(kStart + k15m, "94.9", "95", "94", "94.5"));
  ASSERT_EQ(h.closed.size(), 1u);
  EXPECT_FALSE(h.router.position(Asset::kSpot, h.btc));
  EXPECT_FALSE(h.broker.position(Asset::kSpot, h.btc));
}

}  // namespace
}  // namespace gauntlet::orders
