// sl_tp_manager.sync after a restart: protection the venue still holds is adopted, protection
// the venue lost is set again, and a position nobody can protect raises the alarm.
#include "orders/sl_tp_manager.hpp"

#include <gtest/gtest.h>

#include "router_harness.hpp"

namespace gauntlet::orders {
namespace {

using namespace testing;

Position position(const Symbol& symbol, const char* stop, const char* target) {
  Position p;
  p.asset = Asset::kSpot;
  p.symbol = symbol;
  p.side = OrderSide::kBuy;
  p.quantity = d("0.5");
  p.average_price = d("100");
  p.stop_loss = d(stop);
  p.take_profit = d(target);
  return p;
}

OrderRequest entry(const Symbol& symbol) {
  OrderRequest r;
  r.client_order_id = "gt-entry";
  r.asset = Asset::kSpot;
  r.symbol = symbol;
  r.side = OrderSide::kBuy;
  r.quantity = d("0.5");
  r.stop_loss = d("95");
  r.take_profit = d("110");
  return r;
}

TEST(SlTpManager, SyncAdoptsVenueProtectionAndAlarmsOnANakedPosition) {
  Venue venue;
  std::vector<std::string> exits;
  SlTpManager manager(venue.bus,
                      [&](Asset, const Symbol& s, OrderSide, Decimal, const std::string& why) {
                        exits.push_back(s.canonical() + " " + why);
                      });
  manager.route(Asset::kSpot, venue.broker);
  Collected<ProtectionMissing> alarms(venue.bus);
  const Symbol eth = Symbol::parse("ETHUSDT");
  manager.sync({position(venue.btc, "95", "110"), position(eth, "0", "0")}, kStart);
  venue.bus.drain();
  const Protection* adopted = manager.protection(Asset::kSpot, venue.btc);
  ASSERT_NE(adopted, nullptr);
  EXPECT_EQ(adopted->stop_loss, d("95"));
  EXPECT_TRUE(adopted->confirmed);
  ASSERT_EQ(alarms.events.size(), 1u);
  EXPECT_EQ(alarms.events[0].symbol, eth);
  EXPECT_EQ(manager.protection(Asset::kSpot, eth), nullptr);
}

TEST(SlTpManager, AVenueRefusalFallsBackToEmulation) {
  brokers::SimBrokerConfig config = sim_config();
  config.protection_at_entry = false;  // the venue protects positions, not entries
  Venue venue(config);
  SlTpManager manager(venue.bus,
                      [](Asset, const Symbol&, OrderSide, Decimal, const std::string&) {});
  manager.route(Asset::kSpot, venue.broker);
  Collected<ProtectionMissing> alarms(venue.bus);
  manager.attach(entry(venue.btc), d("0.5"), kStart);  // the venue has no such position
  venue.bus.drain();
  EXPECT_EQ(manager.protection(Asset::kSpot, venue.btc)->mode, ProtectionMode::kEmulated);
  ASSERT_EQ(alarms.events.size(), 1u) << "the fallback is announced";
}

TEST(SlTpManager, SyncSetsAgainWhatTheVenueLost) {
  brokers::SimBrokerConfig config = sim_config();
  config.protection_at_entry = false;
  Venue venue(config);
  auto store = store::SqliteStore::open_in_memory();
  Engine engine(venue, *store);  // its router opens the position and protects it on the venue
  ASSERT_TRUE(engine.router.place_order(Engine::entry(venue.btc, "s")).decision.ok);
  venue.bus.drain();
  venue.feed(bar(kStart, "100", "101", "99", "100"));
  venue.bus.drain();
  ASSERT_EQ(venue.broker.position(Asset::kSpot, venue.btc)->stop_loss, d("95"));
  Collected<brokers::ProtectionSet> set(venue.bus);
  // A snapshot after a reconnect in which the venue no longer shows the levels: sync sets them
  // again; a snapshot that matches changes nothing.
  Position lost = *venue.broker.position(Asset::kSpot, venue.btc);
  lost.stop_loss = Decimal::zero();
  lost.take_profit = Decimal::zero();
  engine.router.sl_tp().sync({lost}, kStart + k15m);
  venue.bus.drain();
  ASSERT_EQ(set.events.size(), 1u);
  EXPECT_EQ(set.events[0].stop_loss, d("95"));
  EXPECT_EQ(set.events[0].take_profit, d("110"));
  engine.router.sl_tp().sync({*venue.broker.position(Asset::kSpot, venue.btc)}, kStart + k15m);
  venue.bus.drain();
  EXPECT_EQ(set.events.size(), 1u);
}

TEST(SlTpManager, EmulatedLevelsExitOnceThroughTheCallback) {
  brokers::SimBrokerConfig config = sim_config();
  config.protection_at_entry = false;
  config.protection_on_position = false;
  Venue venue(config);
  std::vector<std::string> exits;
  SlTpManager manager(venue.bus,
                      [&](Asset, const Symbol& s, OrderSide, Decimal q, const std::string& why) {
                        exits.push_back(s.canonical() + " " + q.to_string() + " " + why);
                      });
  manager.route(Asset::kSpot, venue.broker);
  manager.attach(entry(venue.btc), d("0.5"), kStart);
  EXPECT_EQ(manager.mode_for(Asset::kSpot), ProtectionMode::kEmulated);
  manager.on_price(Asset::kSpot, venue.btc, d("100"), kStart + 1);
  EXPECT_TRUE(exits.empty());
  manager.on_price(Asset::kSpot, venue.btc, d("110"), kStart + 2);
  manager.on_price(Asset::kSpot, venue.btc, d("111"), kStart + 3);
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[0], "BTCUSDT 0.5 take_profit");
}

}  // namespace
}  // namespace gauntlet::orders
