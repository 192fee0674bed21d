// Crash safety of the order path: a child process trades real BTC 5m bars and is killed with
// SIGKILL at a chosen commit of the engine's store - before or after it - which lands after an
// intent is persisted, around an acknowledgement, between a fill and its protection. The parent
// then restarts the engine on the same files, recovers and reconciles, and checks that no order
// was sent twice, no fill was lost, every open position is protected, the books reconcile to
// the last decimal, and that the session trades on.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "data/bar_import.hpp"
#include "orders/pnl_reconciler.hpp"
#include "router_harness.hpp"
#include "support/shared_data.hpp"
#include "support/temp_dir.hpp"

namespace gauntlet::orders {
namespace {

namespace fs = std::filesystem;
using namespace testing;

// A Store that dies with SIGKILL at its n-th outermost transaction, before or after the commit.
class KillingStore final : public store::Store {
 public:
  KillingStore(store::Store& inner, int kill_at, bool after_commit)
      : inner_(inner), kill_at_(kill_at), after_commit_(after_commit) {}

  int64_t execute(std::string_view sql, std::span<const store::Value> params) override {
    return inner_.execute(sql, params);
  }
  void query(std::string_view sql, std::span<const store::Value> params,
             const std::function<void(const store::Row&)>& on_row) override {
    inner_.query(sql, params, on_row);
  }
  void transaction(const std::function<void()>& body) override {
    if (depth_ > 0) {
      inner_.transaction(body);
      return;
    }
    const bool last = ++count_ == kill_at_;
    ++depth_;
    inner_.transaction([&] {
      body();
      if (last && !after_commit_) ::raise(SIGKILL);  // written, not committed
    });
    --depth_;
    if (last && after_commit_) ::raise(SIGKILL);  // committed
  }
  void after_commit(std::function<void()> action) override {
    inner_.after_commit(std::move(action));
  }
  int64_t last_insert_id() const override { return inner_.last_insert_id(); }
  void migrate(std::string_view component, std::span<const store::Migration> migrations) override {
    inner_.migrate(component, migrations);
  }
  int schema_version(std::string_view component) override {
    return inner_.schema_version(component);
  }
  std::string integrity_check() override { return inner_.integrity_check(); }

 private:
  store::Store& inner_;
  int kill_at_;
  bool after_commit_;
  int depth_ = 0;
  int count_ = 0;
};

// The paper venue, durable like a real one: its whole state is committed after every call.
class DurableVenue final : public brokers::Broker {
 public:
  DurableVenue(EventBus& bus, const Clock& clock, const fs::path& path)
      : store_(store::SqliteStore::open(path)), sim_(bus, clock, sim_config()) {
    store_->migrate("venue", {{1, "state",
                               "CREATE TABLE venue_state (id INTEGER PRIMARY KEY, state TEXT "
                               "NOT NULL)"}});
    store_->query("SELECT state FROM venue_state WHERE id = 1", {},
                  [&](const store::Row& row) { sim_.restore_state(row.get_text(0)); });
  }
  std::string_view venue() const override { return sim_.venue(); }
  brokers::BrokerCapabilities capabilities(Asset asset) const override {
    return sim_.capabilities(asset);
  }
  bool connected() const override { return true; }
  void submit(brokers::RouterKey key, const OrderRequest& request) override {
    sim_.submit(key, request);
    save();
  }
  void cancel(brokers::RouterKey key, const brokers::CancelRequest& request) override {
    sim_.cancel(key, request);
    save();
  }
  void amend(brokers::RouterKey key, const brokers::AmendRequest& request) override {
    sim_.amend(key, request);
    save();
  }
  void set_protection(brokers::ProtectionKey key,
                      const brokers::ProtectionRequest& request) override {
    sim_.set_protection(key, request);
    save();
  }
  void request_snapshot(Asset asset) override { sim_.request_snapshot(asset); }
  void on_bar(const Symbol& symbol, const Bar& bar) {
    sim_.on_bar(Asset::kSpot, symbol, bar);
    save();
  }
  brokers::SimBroker& sim() { return sim_; }

 private:
  void save() {
    store_->execute("INSERT OR REPLACE INTO venue_state (id, state) VALUES (1, ?1)",
                    {sim_.save_state()});
  }
  std::unique_ptr<store::SqliteStore> store_;
  brokers::SimBroker sim_;
};

// One engine process: the venue, the engine on its store, and the trading script.
struct Session {
  asio::io_context loop;
  EventBus bus{loop};
  SimClock clock;
  DurableVenue venue;
  std::unique_ptr<store::SqliteStore> file;
  std::unique_ptr<KillingStore> killing;
  store::Store& store;
  capital::RiskManager risk{capital::RiskLimitsByAsset{
      config::default_risk(Asset::kSpot), config::default_risk(Asset::kPerp),
      config::default_risk(Asset::kForex), config::default_risk(Asset::kOptions)}};
  capital::BudgetManager budget;
  capital::ExposureManager exposure{config::default_exposure_caps(),
                                    {d("250"), d("250"), d("250"), d("250")}};
  OrderRouter router;
  PnlReconciler reconciler{bus, router, budget, store, Engine::sim_fee_model()};
  Symbol btc = Symbol::parse("BTCUSDT");

  static store::Store& pick(std::unique_ptr<store::SqliteStore>& file,
                            std::unique_ptr<KillingStore>& killing) {
    return killing ? static_cast<store::Store&>(*killing) : *file;
  }

  Session(const fs::path& dir, TimestampMs now, int kill_at = 0, bool after_commit = false)
      : clock(now),
        venue(bus, clock, dir / "venue.db"),
        file(store::SqliteStore::open(dir / "state.db")),
        killing(kill_at > 0 ? std::make_unique<KillingStore>(*file, kill_at, after_commit)
                            : nullptr),
        store(pick(file, killing)),
        budget(store, config::default_budgets()),
        router(bus, clock, store, risk, budget, exposure,
               [](Asset, const Symbol&) { return data::InstrumentInfo{}; }) {
    router.route(Asset::kSpot, venue);
    reconciler.route(Asset::kSpot, venue);
  }

  // Trades bars [from, to): an entry every 12 bars when flat, an exit every 36 when not.
  void trade(const std::vector<Bar>& bars, std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to && i < bars.size(); ++i) {
      const Bar& b = bars[i];
      clock.advance_to(std::max(clock.now_ms(), b.open_time));
      venue.on_bar(btc, b);
      bus.drain();
      const auto position = router.position(Asset::kSpot, btc);
      if (!position && i % 12 == 0) {
        OrderContext entry = Engine::entry(btc, "");
        entry.reference_price = b.close;
        entry.stop_loss = (b.close * d("0.97")).round_to_places(2);
        entry.take_profit = (b.close * d("1.03")).round_to_places(2);
        entry.signal_id = "btc@" + std::to_string(b.open_time);
        router.place_order(entry);
      } else if (position && i % 36 == 0) {
        router.close_position(Asset::kSpot, btc, "rotation");
      }
      bus.drain();
    }
  }
};

std::size_t first_bar_after(const std::vector<Bar>& bars, std::optional<TimestampMs> time) {
  if (!time) return 0;
  std::size_t i = 0;
  while (i < bars.size() && bars[i].open_time <= *time) ++i;
  return i;
}

TEST(OrderCrash, SigkillAtAnyCommitLosesNothingAndSendsNothingTwice) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  const auto path = data / "crypto/binance_spot/BTC_USDT-5m.json.gz";
  const std::vector<Bar> bars = data::read_bar_file(path, data::guess_import(path)).bars;
  ASSERT_GT(bars.size(), 600u);

  int killed = 0;
  for (int round = 0; round < 16; ++round) {
    const int kill_at = 2 + round * 5;  // spread over intents, acks, fills and exits
    const bool after_commit = round % 2 == 1;
    SCOPED_TRACE("kill at commit " + std::to_string(kill_at) +
                 (after_commit ? " after" : " before") + " it");
    const gauntlet::testing::TempDir dir;
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      {
        Session session(dir.path(), bars[0].open_time, kill_at, after_commit);
        session.trade(bars, 0, 400);
      }
      ::_exit(0);  // the kill point was never reached
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    const bool was_killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    ASSERT_TRUE(was_killed || (WIFEXITED(status) && WEXITSTATUS(status) == 0)) << status;
    killed += was_killed ? 1 : 0;

    // Restart on the same files.
    Session session(dir.path(), bars[0].open_time);
    const std::size_t resume =
        first_bar_after(bars, session.venue.sim().last_bar_time(Asset::kSpot, session.btc));
    if (resume > 0) session.clock.advance_to(bars[resume - 1].open_time);
    session.router.recover();
    session.bus.drain();
    session.reconciler.reconcile(Asset::kSpot);
    session.bus.drain();
    EXPECT_FALSE(session.reconciler.desynced(Asset::kSpot))
        << session.reconciler.last_problems(Asset::kSpot).front();

    // No order filled beyond its quantity: nothing was sent twice.
    std::map<std::string, Decimal> filled;
    for (const Fill& fill : session.router.journal().all_fills()) {
      filled[fill.client_order_id] = filled[fill.client_order_id] + fill.quantity;
    }
    for (const auto& [id, quantity] : filled) {
      const auto entry = session.router.journal().find(id);
      ASSERT_TRUE(entry) << id;
      EXPECT_LE(quantity, entry->request.quantity) << id;
    }
    // Every open position is protected on the venue.
    if (const auto held = session.venue.sim().position(Asset::kSpot, session.btc)) {
      EXPECT_GT(held->stop_loss, Decimal::zero());
      EXPECT_GT(held->take_profit, Decimal::zero());
      ASSERT_TRUE(session.router.position(Asset::kSpot, session.btc));
      EXPECT_EQ(session.router.position(Asset::kSpot, session.btc)->quantity, held->quantity);
    }

    // The session trades on, then flattens; the books reconcile to the last decimal.
    session.trade(bars, resume, resume + 60);
    for (const JournalEntry& open : session.router.journal().open_orders()) {
      session.router.cancel_order(open.request.client_order_id);
    }
    session.bus.drain();
    session.router.close_position(Asset::kSpot, session.btc, "end");
    session.bus.drain();
    Bar last = bars[std::min(resume + 60, bars.size() - 1)];
    last.open_time = session.clock.now_ms() + 5 * kMinuteMs;
    session.clock.advance_to(last.open_time);
    session.venue.on_bar(session.btc, last);
    session.bus.drain();
    session.reconciler.reconcile(Asset::kSpot);
    session.bus.drain();
    EXPECT_FALSE(session.reconciler.desynced(Asset::kSpot));
    Decimal cash_flow;
    for (const Fill& fill : session.router.journal().all_fills()) {
      const Decimal value = fill.quantity * fill.price;
      cash_flow = cash_flow + (fill.side == OrderSide::kSell ? value : -value) - fill.fee;
    }
    EXPECT_GE(session.router.journal().all_fills().size(), 4u);
    EXPECT_FALSE(session.venue.sim().position(Asset::kSpot, session.btc));
    EXPECT_EQ(session.budget.get_alloc(Asset::kSpot), d("250") + cash_flow);
    EXPECT_EQ(session.budget.reserved(Asset::kSpot), Decimal::zero());
    EXPECT_EQ(session.venue.sim().balance(Asset::kSpot).equity, d("1000") + cash_flow);
  }
  EXPECT_GE(killed, 12) << "most rounds must actually die";
}

}  // namespace
}  // namespace gauntlet::orders
