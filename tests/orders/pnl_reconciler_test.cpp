// Broker truth: a clean reconciliation publishes the venue's balance and P&L delta; a fill
// missed across a crash is recovered from the venue's snapshot; a position the engine does not
// know halts entries (broker_desync) until the venue and the engine agree again.
#include "orders/pnl_reconciler.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "router_harness.hpp"
#include "support/temp_dir.hpp"

namespace gauntlet::orders {
namespace {

using namespace testing;

TEST(PnlReconciler, ACleanReconciliationPublishesTheVenueBalance) {
  Venue venue;
  auto store = store::SqliteStore::open_in_memory();
  Engine engine(venue, *store);
  PnlReconciler& reconciler = engine.reconciler;
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
  PnlReconciler& reconciler = engine.reconciler;
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

TEST(PnlReconciler, AVenuePositionTheJournalLacksIsAdoptedProtectedAndBooked) {
  Venue venue;
  auto lost = store::SqliteStore::open_in_memory();
  {
    Engine engine(venue, *lost);
    ASSERT_TRUE(engine.router.place_order(Engine::entry(venue.btc, "x")).decision.ok);
    venue.bus.drain();
  }
  venue.feed(bar(kStart, "100", "101", "99", "100"));
  const Decimal entry_price = venue.broker.position(Asset::kSpot, venue.btc)->average_price;
  auto fresh = store::SqliteStore::open_in_memory();  // the journal is gone
  Engine engine(venue, *fresh);
  PnlReconciler& reconciler = engine.reconciler;
  Collected<BrokerDesync> desyncs(venue.bus);
  Collected<PositionAdopted> adopted(venue.bus);
  reconciler.reconcile(Asset::kSpot);
  venue.bus.drain();
  // Adopted, not only flagged: journaled, shown, and protected at the levels the venue's
  // position carries (95 / 110, set with the lost entry).
  ASSERT_EQ(adopted.events.size(), 1u);
  EXPECT_TRUE(desyncs.events.empty());
  const auto position = engine.router.position(Asset::kSpot, venue.btc);
  ASSERT_TRUE(position);
  EXPECT_EQ(position->quantity, d("0.5"));
  EXPECT_EQ(position->average_price, entry_price);
  const Protection* protection = engine.router.sl_tp().protection(Asset::kSpot, venue.btc);
  ASSERT_NE(protection, nullptr);
  EXPECT_EQ(protection->stop_loss, d("95"));
  EXPECT_EQ(protection->take_profit, d("110"));
  EXPECT_EQ(engine.router.journal().open_orders().size(), 0u);
  EXPECT_FALSE(engine.router.entries_halted(Asset::kSpot));

  venue.feed(bar(kStart + k15m, "99", "99", "94", "95"));  // the venue's stop closes it
  reconciler.reconcile(Asset::kSpot);
  venue.bus.drain();
  EXPECT_TRUE(desyncs.events.empty()) << desyncs.events.front().problems.front();
  EXPECT_FALSE(engine.router.position(Asset::kSpot, venue.btc));
  // The ledger booked the adopted round trip exactly as the venue's wallet did: since the
  // baseline (the first reconciliation, which also recovered the lost entry's fill and its
  // fee), the stop's loss and the closing fee.
  const Decimal venue_since = *reconciler.venue_realised_since_baseline(Asset::kSpot);
  EXPECT_LT(venue_since, Decimal::zero());
  const auto baseline = reconciler.ledger().baseline(Asset::kSpot);
  ASSERT_TRUE(baseline);
  EXPECT_EQ(reconciler.ledger().totals(Asset::kSpot).total() - baseline->ledger, venue_since);
}

// Bybit takes a spot buy's fee in the coin bought. Figures by hand, with no slippage: 0.5 BTC
// bought at 100 pays 0.0005 BTC (0.1 %, worth 0.05), so 0.4995 is held and the cash pays 50.
// The exit a venue's 0.001 step allows sells 0.499 at 108 for 53.892 less 0.053892 of fee;
// the 0.0005 left is dust (below the 0.001 minimum): written off, the position closed. The
// wallet's USDT moved by -50 + 53.892 - 0.053892 = 3.838108, and so did every book.
TEST(PnlReconciler, ASpotFeePaidInTheCoinShrinksTheHoldingAndTheDustLeftIsWrittenOff) {
  brokers::SimBrokerConfig bybit_like = sim_config();
  bybit_like.spot_fee_in_base = true;
  bybit_like.slippage_bps = 0;
  bybit_like.impact_bps = 0;
  Venue venue(bybit_like);
  auto store = store::SqliteStore::open_in_memory();
  data::InstrumentInfo rules;
  rules.qty_step = d("0.001");
  rules.min_qty = d("0.001");
  Engine engine(venue, *store, [&](Asset, const Symbol&) { return rules; });
  Collected<BrokerDesync> desyncs(venue.bus);

  ASSERT_TRUE(engine.router.place_order(Engine::entry(venue.btc, "a")).decision.ok);
  venue.bus.drain();
  venue.feed(bar(kStart, "100", "101", "99", "100"));
  const Fill bought = engine.router.journal().all_fills().at(0);
  EXPECT_EQ(bought.quantity, d("0.5"));
  EXPECT_EQ(bought.base_fee, d("0.0005"));
  EXPECT_EQ(bought.fee, d("0.05"));
  ASSERT_TRUE(engine.router.position(Asset::kSpot, venue.btc));
  EXPECT_EQ(engine.router.position(Asset::kSpot, venue.btc)->quantity, d("0.4995"));
  EXPECT_EQ(venue.broker.position(Asset::kSpot, venue.btc)->quantity, d("0.4995"));
  engine.reconciler.reconcile(Asset::kSpot);
  venue.bus.drain();
  EXPECT_TRUE(desyncs.events.empty()) << desyncs.events.front().problems.front();

  OrderContext exit;
  exit.asset = Asset::kSpot;
  exit.symbol = venue.btc;
  exit.side = OrderSide::kSell;
  exit.type = OrderType::kMarket;
  exit.reduce_only = true;
  exit.quantity = d("0.499");  // the held 0.4995 floored to the venue's step
  exit.reference_price = d("108");
  exit.strategy_id = "trend-1";
  exit.signal_id = "exit";
  exit.exit_reason = "signal";
  ASSERT_TRUE(engine.router.place_order(exit).decision.ok);
  venue.bus.drain();
  venue.feed(bar(kStart + k15m, "108", "108.5", "107.5", "108"));

  EXPECT_FALSE(engine.router.position(Asset::kSpot, venue.btc));
  EXPECT_EQ(venue.broker.position(Asset::kSpot, venue.btc)->quantity, d("0.0005"));  // dust
  const std::vector<Fill> fills = engine.router.journal().all_fills();
  ASSERT_EQ(fills.size(), 3u);
  EXPECT_EQ(fills[2].execution_id, "dust:" + fills[1].execution_id);
  EXPECT_EQ(fills[2].quantity, d("0.0005"));
  EXPECT_EQ(fills[2].price, Decimal::zero());
  const ClosedTrade trade = engine.router.journal().closed_trades().at(0);
  EXPECT_EQ(trade.realized_pnl, d("3.838108"));
  EXPECT_EQ(trade.fees, d("0.103892"));   // 0.05 in coin + 0.053892 in USDT
  EXPECT_EQ(trade.exit_price, d("108"));  // the dust is not an exit at zero
  EXPECT_EQ(engine.reconciler.ledger().totals(Asset::kSpot).total(), d("3.838108"));
  EXPECT_NEAR(realized_pnl_from_fills(engine.router.journal()).at("trend-1"), 3.838108, 1e-9);
  // The venue still holds the dust: not a position to adopt, and no desync.
  Collected<PositionAdopted> adopted(venue.bus);
  engine.reconciler.reconcile(Asset::kSpot);
  venue.bus.drain();
  EXPECT_TRUE(adopted.events.empty());
  EXPECT_TRUE(desyncs.events.empty()) << desyncs.events.front().problems.front();

  // More round trips leave more dust: once the wallet's dust is a whole minimum order it is
  // still what the exits wrote off, not a position to adopt. While a position is open, the
  // wallet holds it and the dust, which is no difference either.
  TimestampMs time = kStart + 2 * k15m;
  for (int trip = 0; venue.broker.position(Asset::kSpot, venue.btc)->quantity < rules.min_qty;
       ++trip) {
    ASSERT_LT(trip, 4);
    const std::string signal = "b" + std::to_string(trip);
    OrderContext entry = Engine::entry(venue.btc, signal.c_str());
    entry.strategy_id = "dust-" + std::to_string(trip);  // no cooldown after a loss
    const PlaceResult placed = engine.router.place_order(entry);
    ASSERT_TRUE(placed.decision.ok) << placed.decision.reason;
    venue.bus.drain();
    venue.feed(bar(time, "108", "108.5", "107.5", "108"));
    time += k15m;
    ASSERT_TRUE(engine.router.position(Asset::kSpot, venue.btc));
    engine.reconciler.reconcile(Asset::kSpot);
    venue.bus.drain();
    EXPECT_TRUE(desyncs.events.empty()) << desyncs.events.front().problems.front();
    exit.signal_id = "exit-b" + std::to_string(trip);
    exit.strategy_id = entry.strategy_id;
    exit.quantity = engine.router.position(Asset::kSpot, venue.btc)
                        ->quantity.round_to_step(rules.qty_step, Rounding::kFloor);
    ASSERT_TRUE(engine.router.place_order(exit).decision.ok);
    venue.bus.drain();
    venue.feed(bar(time, "108", "108.5", "107.5", "108"));
    time += k15m;
    ASSERT_FALSE(engine.router.position(Asset::kSpot, venue.btc));
  }
  engine.reconciler.reconcile(Asset::kSpot);
  venue.bus.drain();
  EXPECT_TRUE(adopted.events.empty()) << "the written-off dust was adopted";
  EXPECT_TRUE(desyncs.events.empty()) << desyncs.events.front().problems.front();

  // A restart rebuilds the same books from the journal, the dust fills included.
  Engine restarted(venue, *store, [&](Asset, const Symbol&) { return rules; });
  restarted.router.recover();
  EXPECT_FALSE(restarted.router.position(Asset::kSpot, venue.btc));
  restarted.reconciler.reconcile(Asset::kSpot);
  venue.bus.drain();
  EXPECT_TRUE(adopted.events.empty()) << "the restarted engine adopted the dust";
}

// The race of a live venue: the venue's books are read for a snapshot, then a fill the stream
// pushed is booked, then the snapshot is reconciled. The position it lacks is not a difference
// (adopting or flagging it would be wrong: the fill explains it), so that symbol waits for the
// next reconciliation. The same stale snapshot when no request is outstanding is a difference.
TEST(PnlReconciler, AFillBookedAfterTheSnapshotWasRequestedIsNotTakenForADifference) {
  Venue venue;
  auto store = store::SqliteStore::open_in_memory();
  Engine engine(venue, *store);
  // The venue as the reconciler sees it: snapshot requests are recorded, the test answers.
  struct Answered final : brokers::Broker {
    int requests = 0;
    std::string_view venue() const override { return "sim"; }
    brokers::BrokerCapabilities capabilities(Asset) const override { return {}; }
    bool connected() const override { return true; }
    void submit(brokers::RouterKey, const OrderRequest&) override {}
    void cancel(brokers::RouterKey, const brokers::CancelRequest&) override {}
    void amend(brokers::RouterKey, const brokers::AmendRequest&) override {}
    void set_protection(brokers::ProtectionKey, const brokers::ProtectionRequest&) override {}
    void request_snapshot(Asset) override { ++requests; }
  } answered;
  engine.reconciler.route(Asset::kSpot, answered);
  Collected<BrokerDesync> desyncs(venue.bus);
  Collected<PositionAdopted> adopted(venue.bus);
  brokers::BrokerSnapshot before_the_fill;  // what the venue's books said when read: flat
  before_the_fill.venue = "sim";
  before_the_fill.asset = Asset::kSpot;
  before_the_fill.time = kStart;

  engine.reconciler.reconcile(Asset::kSpot);  // the books are read now...
  ASSERT_EQ(answered.requests, 1);
  ASSERT_TRUE(engine.router.place_order(Engine::entry(venue.btc, "a")).decision.ok);
  venue.bus.drain();
  venue.feed(bar(kStart, "100", "101", "99", "100"));  // ...the fill is booked...
  ASSERT_TRUE(engine.router.position(Asset::kSpot, venue.btc));
  venue.bus.publish(before_the_fill);  // ...and the snapshot read before it arrives
  venue.bus.drain();
  EXPECT_TRUE(desyncs.events.empty()) << desyncs.events.front().problems.front();
  EXPECT_TRUE(adopted.events.empty());

  venue.bus.publish(before_the_fill);  // no request outstanding: a real difference
  venue.bus.drain();
  ASSERT_EQ(desyncs.events.size(), 1u);
  EXPECT_EQ(desyncs.events[0].problems.at(0).substr(0, 37),
            "BTCUSDT: engine holds buy 0.5, venue ");
}

// A lying venue, 1: it charges ten times the fees the engine's FEE_MODEL says (and reports
// them truthfully). The ledger books what the venue says, so the budget follows the venue; the
// fee check sees the drift (0.9 on a 0.1 round trip of model fees, tolerance 0.001 x 250) and
// halts spot entries, and only spot's.
TEST(PnlReconciler, AVenueChargingOtherFeesThanTheModelEndsInDesyncForItsAssetOnly) {
  brokers::SimBrokerConfig lying = sim_config();
  lying.fees[0].maker = d("0.01");
  lying.fees[0].taker = d("0.01");
  Venue venue(lying);
  brokers::SimBroker perp_venue(venue.bus, venue.clock, sim_config());
  auto store = store::SqliteStore::open_in_memory();
  Engine engine(venue, *store);
  engine.router.route(Asset::kPerp, perp_venue);
  engine.reconciler.route(Asset::kPerp, perp_venue);
  Collected<BrokerDesync> desyncs(venue.bus);

  ASSERT_TRUE(engine.router.place_order(Engine::entry(venue.btc, "a")).decision.ok);
  venue.bus.drain();
  venue.feed(bar(kStart, "100", "101", "99", "100"));
  venue.feed(bar(kStart + k15m, "101", "111", "100", "110"));  // the take profit
  ASSERT_FALSE(engine.router.position(Asset::kSpot, venue.btc));
  // The bucket moved by the venue's figures: the round trip's cash flow, fees at 1 %.
  const Decimal cash_flow = engine.router.journal().closed_trades().back().realized_pnl;
  EXPECT_EQ(engine.budget.get_alloc(Asset::kSpot), d("250") + cash_flow);
  EXPECT_EQ(engine.reconciler.ledger().totals(Asset::kSpot).total(), cash_flow);

  engine.reconciler.reconcile(Asset::kSpot);
  engine.reconciler.reconcile(Asset::kPerp);
  venue.bus.drain();
  ASSERT_EQ(desyncs.events.size(), 1u);
  EXPECT_EQ(desyncs.events[0].asset, Asset::kSpot);
  ASSERT_EQ(desyncs.events[0].problems.size(), 1u);
  EXPECT_TRUE(desyncs.events[0].problems[0].starts_with("fees: the venue charged"))
      << desyncs.events[0].problems[0];
  const PlaceResult spot = engine.router.place_order(Engine::entry(venue.btc, "b"));
  EXPECT_EQ(spot.decision.code(), "entries_halted");
  EXPECT_NE(spot.decision.reason.find("broker_desync: fees"), std::string::npos);
  OrderContext perp = Engine::entry(venue.btc, "c");
  perp.asset = Asset::kPerp;
  EXPECT_TRUE(engine.router.place_order(perp).decision.ok) << "perp is not halted";
}

// A lying venue, 2: its wallet moves by an amount it never reported (an unreported funding
// charge, a fee charged but not on the fill). The balance check catches it.
TEST(PnlReconciler, AnUnreportedChargeOnTheVenueBalanceEndsInDesync) {
  Venue venue;
  auto store = store::SqliteStore::open_in_memory();
  Engine engine(venue, *store);
  Collected<BrokerDesync> desyncs(venue.bus);
  engine.reconciler.reconcile(Asset::kSpot);  // the baseline: nothing booked, nothing realised
  venue.bus.drain();
  ASSERT_TRUE(desyncs.events.empty());

  nlohmann::json state = nlohmann::json::parse(venue.broker.save_state());
  const Decimal realised = Decimal::parse(state["wallets"][0]["realised"].get<std::string>());
  state["wallets"][0]["realised"] = (realised - d("1.50")).to_string();
  venue.broker.restore_state(state.dump());
  engine.reconciler.reconcile(Asset::kSpot);
  venue.bus.drain();
  ASSERT_EQ(desyncs.events.size(), 1u);
  EXPECT_EQ(desyncs.events[0].problems[0],
            "balance: the venue's realised P&L is -1.5, the ledger expects 0 (off by -1.5, "
            "tolerance 0.25)");
  EXPECT_TRUE(engine.router.entries_halted(Asset::kSpot));
}

// Halts cannot lift themselves: a clean reconciliation lifts broker_desync only; a kill stays
// until an operator resumes, and the set survives a restart.
TEST(PnlReconciler, AKillFollowedByACleanReconcileStaysKilled) {
  const gauntlet::testing::TempDir dir;
  Venue venue;
  auto store = store::SqliteStore::open(dir.path() / "state.db");
  {
    Engine engine(venue, *store);
    engine.router.halt_entries(Asset::kSpot, HaltReason::kKillSwitch, "operator");
    engine.router.halt_entries(Asset::kSpot, HaltReason::kBrokerDesync, "stale");
    engine.reconciler.reconcile(Asset::kSpot);
    venue.bus.drain();
    EXPECT_FALSE(engine.reconciler.desynced(Asset::kSpot));
    ASSERT_EQ(engine.router.halts(Asset::kSpot).size(), 1u);
    EXPECT_EQ(engine.router.halts(Asset::kSpot)[0].reason, HaltReason::kKillSwitch);
    engine.router.halt_entries(Asset::kSpot, HaltReason::kShutdown, "stopping");
  }
  Engine restarted(venue, *store);  // the kill is persisted; the shutdown is not
  ASSERT_EQ(restarted.router.halts(Asset::kSpot).size(), 1u);
  EXPECT_EQ(*restarted.router.entries_halted(Asset::kSpot), "kill_switch: operator");
  restarted.reconciler.reconcile(Asset::kSpot);
  venue.bus.drain();
  EXPECT_EQ(restarted.router.place_order(Engine::entry(venue.btc, "k")).decision.code(),
            "entries_halted");
  EXPECT_TRUE(restarted.router.lift_halt(Asset::kSpot, HaltReason::kKillSwitch));
  EXPECT_TRUE(restarted.router.place_order(Engine::entry(venue.btc, "k")).decision.ok);
}

// A rejection with a code the config lists in CRITICAL_ERROR_CODES halts the asset and alerts.
TEST(PnlReconciler, ACriticalVenueCodeHaltsTheAssetAndAlerts) {
  Venue venue;
  auto store = store::SqliteStore::open_in_memory();
  Engine engine(venue, *store);
  engine.router.set_critical_codes({{"sim", {10003}}});
  Collected<CriticalVenueError> alerts(venue.bus);
  const PlaceResult placed = engine.router.place_order(Engine::entry(venue.btc, "r"));
  ASSERT_TRUE(placed.decision.ok);
  brokers::OrderRejected rejected;
  rejected.venue = "sim";
  rejected.client_order_id = placed.client_order_id;
  rejected.asset = Asset::kSpot;
  rejected.symbol = venue.btc;
  rejected.failure = {10003, "API key is invalid", brokers::ErrorClass::kRejected, false, 0};
  venue.bus.publish(rejected);
  venue.bus.drain();
  ASSERT_EQ(alerts.events.size(), 1u);
  EXPECT_EQ(alerts.events[0].code, 10003);
  EXPECT_EQ(*engine.router.entries_halted(Asset::kSpot),
            "critical_error: sim code 10003: API key is invalid");
  engine.reconciler.reconcile(Asset::kSpot);  // a clean reconcile does not lift it
  venue.bus.drain();
  EXPECT_TRUE(engine.router.entries_halted(Asset::kSpot));
}

// A venue that loses the first submit of every order (a dropped request): nothing answers it.
class LossyVenue final : public brokers::Broker {
 public:
  explicit LossyVenue(brokers::SimBroker& inner) : inner_(inner) {}
  std::string_view venue() const override { return inner_.venue(); }
  brokers::BrokerCapabilities capabilities(Asset asset) const override {
    return inner_.capabilities(asset);
  }
  bool connected() const override { return true; }
  void submit(brokers::RouterKey key, const OrderRequest& request) override {
    if (lost_.insert(request.client_order_id).second) return;  // the first one vanishes
    inner_.submit(key, request);
  }
  void cancel(brokers::RouterKey key, const brokers::CancelRequest& request) override {
    inner_.cancel(key, request);
  }
  void amend(brokers::RouterKey key, const brokers::AmendRequest& request) override {
    inner_.amend(key, request);
  }
  void set_protection(brokers::ProtectionKey key, const brokers::ProtectionRequest& r) override {
    inner_.set_protection(key, r);
  }
  void request_snapshot(Asset asset) override { inner_.request_snapshot(asset); }

 private:
  brokers::SimBroker& inner_;
  std::set<std::string> lost_;
};

// An order with no venue answer is looked up once its answer is overdue: the venue does not
// have it, so it is sent again under the same client id, accepted and filled - once.
TEST(PnlReconciler, AnOrderTheVenueNeverAnsweredIsResentOnceOverdue) {
  Venue venue;
  LossyVenue lossy(venue.broker);
  auto store = store::SqliteStore::open_in_memory();
  Engine engine(venue, *store);
  engine.router.route(Asset::kSpot, lossy);
  const PlaceResult placed = engine.router.place_order(Engine::entry(venue.btc, "lost"));
  ASSERT_TRUE(placed.decision.ok);
  venue.bus.drain();
  EXPECT_EQ(engine.router.journal().find(placed.client_order_id)->status, OrderStatus::kPendingNew);
  engine.reconciler.reconcile(Asset::kSpot);  // not overdue yet (ack_timeout 10 s): nothing
  venue.bus.drain();
  EXPECT_EQ(engine.router.journal().find(placed.client_order_id)->status, OrderStatus::kPendingNew);
  venue.clock.advance_to(kStart + 11 * kSecondMs);
  engine.reconciler.reconcile(Asset::kSpot);  // overdue, not on the venue: resent
  venue.bus.drain();
  venue.feed(bar(kStart + k15m, "100", "101", "99", "100"));
  EXPECT_EQ(engine.router.journal().find(placed.client_order_id)->status, OrderStatus::kFilled);
  EXPECT_EQ(engine.router.journal().all_fills().size(), 1u);
  EXPECT_EQ(venue.broker.position(Asset::kSpot, venue.btc)->quantity, d("0.5"));
  EXPECT_FALSE(engine.reconciler.desynced(Asset::kSpot));
}

}  // namespace
}  // namespace gauntlet::orders
