// Broker truth: a clean reconciliation publishes the venue's balance and P&L delta; a fill
// missed across a crash is recovered from the venue's snapshot; a position the engine does not
// know halts entries (broker_desync) until the venue and the engine agree again.
#include "orders/pnl_reconciler.hpp"

#include <gtest/gtest.h>

#include "router_harness.hpp"
#include "support/temp_dir.hpp"

namespace gauntlet::orders {
namespace {

using namespace testing;

TEST(PnlReconciler, ACleanReconciliationPublishesTheVenueBalance) {
  Venue venue;
  auto store = store::SqliteStore::open_in_memory();
  Engine engine(venue, *store);
  PnlReconciler reconciler(venue.bus, engine.router);
  reconciler.route(Asset::kSpot, venue.broker);
  Collected<BalanceReconciled> balances(venue.bus);

  ASSERT_TRUE(engine.router.place_order(Engine::entry(venue.btc, "a")).decision.ok);
  venue.bus.drain();
  venue.feed(bar(kStart, "100", "101", "99", "100"));
  reconciler.reconcile(Asset::kSpot);
  venue.bus.drain();
  ASSERT_EQ(balances.events.size(), 1u);
  EXPECT_FALSE(reconciler.desynced(Asset::kSpot));
  EXPECT_EQ(balances.events[0].balance, venue.broker.balance(Asset::kSpot));
  // The only realised P&L so far is the entry fee.
  EXPECT_EQ(balances.events[0].realised_pnl_delta, -engine.router.journal().all_fills()[0].fee);

  venue.feed(bar(kStart + k15m, "101", "111", "100", "110"));  // the take profit
  reconciler.reconcile(Asset::kSpot);
  venue.bus.drain();
  ASSERT_EQ(balances.events.size(), 2u);
  EXPECT_GT(balances.events[1].realised_pnl_delta, Decimal::zero());
  EXPECT_EQ(balances.events[1].recovered_fills, 0u);
}

TEST(PnlReconciler, RecoversAFillMissedWhileTheEngineWasDown) {
  const gauntlet::testing::TempDir dir;
  Venue venue;
  auto store = store::SqliteStore::open(dir.path() / "state.db");
  std::string id;
  {
    Engine engine(venue, *store);
    const PlaceResult placed = engine.router.place_order(Engine::entry(venue.btc, "crash"));
    ASSERT_TRUE(placed.decision.ok);
    id = placed.client_order_id;
    venue.bus.drain();
  }                                                    // the engine dies before the fill
  venue.feed(bar(kStart, "100", "101", "99", "100"));  // the venue fills; nobody listens

  Engine engine(venue, *store);  // restart on the same journal
  EXPECT_EQ(engine.router.journal().find(id)->status, OrderStatus::kNew);
  EXPECT_FALSE(engine.router.position(Asset::kSpot, venue.btc));
  PnlReconciler reconciler(venue.bus, engine.router);
  reconciler.route(Asset::kSpot, venue.broker);
  Collected<BalanceReconciled> balances(venue.bus);
  reconciler.reconcile(Asset::kSpot);
  venue.bus.drain();
  ASSERT_EQ(balances.events.size(), 1u);
  EXPECT_EQ(balances.events[0].recovered_fills, 1u);
  EXPECT_FALSE(reconciler.desynced(Asset::kSpot));
  EXPECT_EQ(engine.router.journal().find(id)->status, OrderStatus::kFilled);
  const auto position = engine.router.position(Asset::kSpot, venue.btc);
  ASSERT_TRUE(position);
  EXPECT_EQ(position->quantity, d("0.5"));
  // Reconciling again recovers nothing twice.
  reconciler.reconcile(Asset::kSpot);
  venue.bus.drain();
  EXPECT_EQ(balances.events.back().recovered_fills, 0u);
  EXPECT_EQ(engine.router.journal().all_fills().size(), 1u);
}

TEST(PnlReconciler, AnUnknownVenuePositionHaltsEntriesUntilTheyAgree) {
  Venue venue;
  auto lost = store::SqliteStore::open_in_memory();
  {
    Engine engine(venue, *lost);
    ASSERT_TRUE(engine.router.place_order(Engine::entry(venue.btc, "x")).decision.ok);
    venue.bus.drain();
  }
  venue.feed(bar(kStart, "100", "101", "99", "100"));
  auto fresh = store::SqliteStore::open_in_memory();  // the journal is gone
  Engine engine(venue, *fresh);
  PnlReconciler reconciler(venue.bus, engine.router);
  reconciler.route(Asset::kSpot, venue.broker);
  Collected<BrokerDesync> desyncs(venue.bus);
  reconciler.reconcile(Asset::kSpot);
  venue.bus.drain();
  ASSERT_EQ(desyncs.events.size(), 1u);
  ASSERT_EQ(desyncs.events[0].problems.size(), 1u);
  EXPECT_EQ(desyncs.events[0].problems[0], "BTCUSDT: venue holds buy 0.5 the engine does not know");
  const PlaceResult refused = engine.router.place_order(Engine::entry(venue.btc, "y"));
  EXPECT_EQ(refused.decision.code(), "entries_halted");
  EXPECT_NE(refused.decision.reason.find("broker_desync"), std::string::npos);

  venue.feed(bar(kStart + k15m, "99", "99", "94", "95"));  // the venue's stop closes it
  reconciler.reconcile(Asset::kSpot);
  venue.bus.drain();
  EXPECT_FALSE(reconciler.desynced(Asset::kSpot));
  EXPECT_FALSE(engine.router.entries_halted(Asset::kSpot));
  EXPECT_TRUE(engine.router.place_order(Engine::entry(venue.btc, "z")).decision.ok);
}

}  // namespace
}  // namespace gauntlet::orders
