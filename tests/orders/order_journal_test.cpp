// The order journal: intents before sending, idempotent ids and fills, open orders after a
// reopen of the SQLite file.
#include "orders/order_journal.hpp"

#include <gtest/gtest.h>

#include <set>

#include "core/store/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace gauntlet::orders {
namespace {

OrderRequest request(const std::string& id) {
  OrderRequest r;
  r.client_order_id = id;
  r.asset = Asset::kPerp;
  r.symbol = Symbol::parse("ETHUSDT");
  r.side = OrderSide::kSell;
  r.type = OrderType::kLimit;
  r.quantity = Decimal::parse("0.25");
  r.limit_price = Decimal::parse("2500.5");
  r.time_in_force = TimeInForce::kPostOnly;
  r.leverage = 3;
  r.stop_loss = Decimal::parse("2600");
  r.take_profit = Decimal::parse("2300");
  r.trigger = TriggerPrice::kMark;
  r.strategy_id = "ema_cross-7";
  r.created_at = 1000;
  return r;
}

Fill fill(const std::string& execution, const std::string& id, const char* quantity) {
  Fill f;
  f.execution_id = execution;
  f.client_order_id = id;
  f.venue_order_id = "v-1";
  f.asset = Asset::kPerp;
  f.symbol = Symbol::parse("ETHUSDT");
  f.side = OrderSide::kSell;
  f.quantity = Decimal::parse(quantity);
  f.price = Decimal::parse("2500.5");
  f.fee = Decimal::parse("0.125025");
  f.maker = true;
  f.time = 2000;
  return f;
}

TEST(ClientOrderId, IsDeterministicShortAndDistinct) {
  const std::string id = make_client_order_id("ema_cross-7", "BTCUSDT@1700000000000");
  EXPECT_EQ(id, make_client_order_id("ema_cross-7", "BTCUSDT@1700000000000"));
  EXPECT_EQ(id.size(), 19u);
  EXPECT_TRUE(id.starts_with("gt-"));
  for (char c : id) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-') << id;
  // The separator keeps ("ab", "c") and ("a", "bc") apart.
  EXPECT_NE(make_client_order_id("ab", "c"), make_client_order_id("a", "bc"));
  std::set<std::string> ids;
  for (int i = 0; i < 10000; ++i) ids.insert(make_client_order_id("s", std::to_string(i)));
  EXPECT_EQ(ids.size(), 10000u);
}

TEST(OrderJournal, RecordsAnIntentOnceAndSurvivesAReopen) {
  const testing::TempDir dir;
  const auto path = dir.path() / "state.db";
  {
    auto store = store::SqliteStore::open(path);
    OrderJournal journal(*store);
    EXPECT_TRUE(journal.record_intent(request("gt-1"), "sim"));
    EXPECT_FALSE(journal.record_intent(request("gt-1"), "sim")) << "a second intent is refused";
    journal.update("gt-1", OrderStatus::kNew, 1250, "v-1");
    EXPECT_TRUE(journal.record_fill(fill("x-1", "gt-1", "0.1"), OrderStatus::kPartiallyFilled));
    EXPECT_FALSE(journal.record_fill(fill("x-1", "gt-1", "0.1"), OrderStatus::kPartiallyFilled))
        << "a replayed execution is counted once";
  }
  auto store = store::SqliteStore::open(path);
  OrderJournal journal(*store);
  const auto entry = journal.find("gt-1");
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->request, request("gt-1"));
  EXPECT_EQ(entry->status, OrderStatus::kPartiallyFilled);
  EXPECT_EQ(entry->venue, "sim");
  EXPECT_EQ(entry->venue_order_id, "v-1");
  EXPECT_EQ(entry->filled_quantity, Decimal::parse("0.1"));
  EXPECT_EQ(entry->updated_at, 2000);
  ASSERT_EQ(journal.open_orders().size(), 1u);
  ASSERT_EQ(journal.fills("gt-1").size(), 1u);
  EXPECT_EQ(journal.fills("gt-1")[0], fill("x-1", "gt-1", "0.1"));

  EXPECT_TRUE(journal.record_fill(fill("x-2", "gt-1", "0.15"), OrderStatus::kFilled));
  EXPECT_EQ(journal.find("gt-1")->filled_quantity, Decimal::parse("0.25"));
  EXPECT_TRUE(journal.open_orders().empty());
  EXPECT_EQ(journal.all_fills().size(), 2u);

  EXPECT_TRUE(journal.record_intent(request("gt-2"), "sim"));
  journal.update("gt-2", OrderStatus::kRejected, 3000, "", "budget_exceeded: needs 5");
  EXPECT_EQ(journal.find("gt-2")->reason, "budget_exceeded: needs 5");
  EXPECT_FALSE(journal.find("gt-3"));
}

}  // namespace
}  // namespace gauntlet::orders
