// sl_tp_manager.sync after a restart: protection the venue still holds is adopted, protection
// the venue lost is set again, and a position nobody can protect raises the alarm.
#include "orders/sl_tp_manager.hpp"

#include <gtest/gtest.h>

#include "router_harness.hpp"
#include "support/temp_dir.hpp"

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

// A venue that says it protects positions and then never answers: the position is bare. Within
// protection_grace nothing happens; past it, ProtectionMissing is raised and the position is
// flattened through the router, and nothing is left open.
class SilentProtectionVenue final : public brokers::Broker {
 public:
  explicit SilentProtectionVenue(brokers::SimBroker& inner) : inner_(inner) {}
  std::string_view venue() const override { return inner_.venue(); }
  brokers::BrokerCapabilities capabilities(Asset asset) const override {
    brokers::BrokerCapabilities c = inner_.capabilities(asset);
    c.entry_tp_sl = false;
    c.position_tp_sl = true;
    return c;
  }
  bool connected() const override { return true; }
  void submit(brokers::RouterKey key, const OrderRequest& request) override {
    OrderRequest bare = request;  // the venue drops the levels of the entry
    bare.stop_loss = Decimal::zero();
    bare.take_profit = Decimal::zero();
    inner_.submit(key, bare);
  }
  void cancel(brokers::RouterKey key, const brokers::CancelRequest& request) override {
    inner_.cancel(key, request);
  }
  void amend(brokers::RouterKey key, const brokers::AmendRequest& request) override {
    inner_.amend(key, request);
  }
  void set_protection(brokers::ProtectionKey, const brokers::ProtectionRequest&) override {
    ++ignored;  // no ProtectionSet, no ProtectionRejected: nothing ever comes back
  }
  void request_snapshot(Asset asset) override { inner_.request_snapshot(asset); }
  int ignored = 0;

 private:
  brokers::SimBroker& inner_;
};

TEST(SlTpManager, APositionTheVenueNeverProtectsIsFlattenedAfterTheGraceTime) {
  brokers::SimBrokerConfig config = sim_config();
  config.protection_at_entry = false;
  Venue venue(config);
  SilentProtectionVenue silent(venue.broker);
  auto store = store::SqliteStore::open_in_memory();
  Engine engine(venue, *store);
  engine.router.route(Asset::kSpot, silent);
  Collected<ProtectionMissing> alarms(venue.bus);
  Collected<PositionClosed> closed(venue.bus);
  ASSERT_TRUE(engine.router.place_order(Engine::entry(venue.btc, "bare")).decision.ok);
  venue.bus.drain();
  venue.feed(bar(kStart, "100", "101", "99", "100"));
  ASSERT_TRUE(engine.router.position(Asset::kSpot, venue.btc));
  EXPECT_EQ(silent.ignored, 1);
  const DurationMs grace = 30 * kSecondMs;
  const TimestampMs opened = venue.clock.now_ms();
  EXPECT_TRUE(engine.router.sl_tp().enforce(engine.router.positions(), opened, grace).empty());
  EXPECT_TRUE(
      engine.router.sl_tp().enforce(engine.router.positions(), opened + grace - 1, grace).empty());
  venue.bus.drain();
  EXPECT_TRUE(alarms.events.empty());
  const auto flattened =
      engine.router.sl_tp().enforce(engine.router.positions(), opened + grace, grace);
  ASSERT_EQ(flattened.size(), 1u);
  venue.bus.drain();
  ASSERT_EQ(alarms.events.size(), 1u);
  EXPECT_NE(alarms.events[0].reason.find("flattening"), std::string::npos);
  venue.feed(bar(kStart + k15m, "100", "100.5", "99.5", "100"));  // the exit fills
  EXPECT_FALSE(engine.router.position(Asset::kSpot, venue.btc));
  ASSERT_EQ(closed.events.size(), 1u);
  EXPECT_EQ(closed.events[0].trade.exit_reason, "protection_missing");
}

// A venue that refuses protection: the engine emulates it at once (announced), and the bars the
// venue fills on drive the emulated stop: the position is closed when price crosses it.
TEST(SlTpManager, AVenueThatRefusesProtectionIsEmulatedAndTheStopCloses) {
  brokers::SimBrokerConfig config = sim_config();
  config.protection_at_entry = false;
  config.protection_on_position = false;  // set_protection is refused with code 10017
  Venue venue(config);
  auto store = store::SqliteStore::open_in_memory();
  Engine engine(venue, *store);
  Collected<ProtectionMissing> alarms(venue.bus);
  Collected<PositionClosed> closed(venue.bus);
  ASSERT_TRUE(engine.router.place_order(Engine::entry(venue.btc, "refused")).decision.ok);
  venue.bus.drain();
  venue.feed(bar(kStart, "100", "101", "99", "100"));
  venue.bus.drain();
  const Protection* protection = engine.router.sl_tp().protection(Asset::kSpot, venue.btc);
  ASSERT_NE(protection, nullptr);
  EXPECT_EQ(protection->mode, ProtectionMode::kEmulated);
  EXPECT_TRUE(engine.router.sl_tp()
                  .enforce(engine.router.positions(), kStart + kHourMs, 30 * kSecondMs)
                  .empty())
      << "emulated protection is protection";
  const Bar crash = bar(kStart + k15m, "99", "99", "94", "95");
  venue.feed(crash);
  engine.router.sl_tp().on_range(Asset::kSpot, venue.btc, crash.low, crash.high, kStart + 2 * k15m);
  venue.bus.drain();
  venue.feed(bar(kStart + 2 * k15m, "95", "96", "94", "95"));  // the exit fills at the open
  EXPECT_FALSE(engine.router.position(Asset::kSpot, venue.btc));
  ASSERT_EQ(closed.events.size(), 1u);
  EXPECT_EQ(closed.events[0].trade.exit_reason, "stop_loss");
}

// Exit ids survive a restart: the router numbers a position's exits from the journal, so a
// restarted engine never reuses one (a reused id would be refused as a duplicate intent and the
// position could not be closed).
TEST(SlTpManager, ExitIdsDoNotCollideAfterARestart) {
  const gauntlet::testing::TempDir dir;
  brokers::SimBrokerConfig config = sim_config();
  config.protection_at_entry = false;
  config.protection_on_position = false;
  Venue venue(config);
  auto store = store::SqliteStore::open(dir.path() / "state.db");
  std::string first_exit;
  {
    Engine engine(venue, *store);
    ASSERT_TRUE(engine.router.place_order(Engine::entry(venue.btc, "e")).decision.ok);
    venue.bus.drain();
    venue.feed(bar(kStart, "100", "101", "99", "100"));
    const PlaceResult exit = engine.router.close_position(Asset::kSpot, venue.btc, "manual");
    ASSERT_TRUE(exit.decision.ok);
    first_exit = exit.client_order_id;
    venue.bus.drain();
    engine.router.cancel_order(first_exit);  // the exit is cancelled before it fills
    venue.bus.drain();
  }
  Engine restarted(venue, *store);
  restarted.router.recover();
  const PlaceResult again = restarted.router.close_position(Asset::kSpot, venue.btc, "manual");
  ASSERT_TRUE(again.decision.ok) << again.decision.reason;
  EXPECT_NE(again.client_order_id, first_exit);
}

}  // namespace
}  // namespace gauntlet::orders
