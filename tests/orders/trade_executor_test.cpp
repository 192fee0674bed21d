// The trade executor: trades without SL/TP are refused before the router; a trade completes
// when its entry fills; the kill switch halts entries, cancels open orders and closes positions.
#include "orders/trade_executor.hpp"

#include <gtest/gtest.h>

#include "router_harness.hpp"

namespace gauntlet::orders {
namespace {

using namespace testing;

TradeSignal signal(const Symbol& symbol, const char* id) {
  TradeSignal s;
  s.asset = Asset::kSpot;
  s.symbol = symbol;
  s.side = OrderSide::kBuy;
  s.reference_price = d("100");
  s.stop_loss = d("95");
  s.take_profit = d("110");
  s.strategy_id = "trend-1";
  s.signal_id = id;
  return s;
}

// Runs what is ready on the loop; restart() first, since a loop that ran out of work stays
// stopped.
void pump(asio::io_context& loop) {
  loop.restart();
  loop.poll();
}

// Starts `task` on the loop and returns where its result lands.
template <class T>
std::shared_ptr<std::optional<T>> start(asio::io_context& loop, asio::awaitable<T> task) {
  auto result = std::make_shared<std::optional<T>>();
  asio::co_spawn(loop, std::move(task), [result](std::exception_ptr error, T value) {
    if (error) std::rethrow_exception(error);
    *result = std::move(value);
  });
  pump(loop);
  return result;
}

TEST(TradeExecutor, RefusesATradeWithoutStopLossOrTakeProfit) {
  Venue venue;
  auto store = store::SqliteStore::open_in_memory();
  Engine engine(venue, *store);
  TradeExecutor executor(venue.loop, venue.bus, engine.router);
  TradeSignal naked = signal(venue.btc, "n");
  naked.take_profit = Decimal::zero();
  const auto outcome = start(venue.loop, executor.submit_trade_async(naked));
  ASSERT_TRUE(*outcome);
  EXPECT_EQ((*outcome)->decision.code(), "missing_protection");
  EXPECT_TRUE(engine.router.journal().open_orders().empty()) << "nothing reached the router";
}

TEST(TradeExecutor, CompletesWhenTheEntryFills) {
  Venue venue;
  auto store = store::SqliteStore::open_in_memory();
  Engine engine(venue, *store);
  TradeExecutor executor(venue.loop, venue.bus, engine.router);
  const auto outcome = start(venue.loop, executor.submit_trade_async(signal(venue.btc, "s")));
  EXPECT_FALSE(*outcome) << "waiting for the fill";
  venue.feed(bar(kStart, "100", "101", "99", "100"));
  pump(venue.loop);
  ASSERT_TRUE(*outcome);
  const TradeOutcome& done = **outcome;
  EXPECT_TRUE(done.decision.ok);
  EXPECT_EQ(done.status, OrderStatus::kFilled);
  EXPECT_EQ(done.filled_quantity, d("0.5"));
  EXPECT_EQ(done.average_price, engine.router.journal().all_fills()[0].price);
  EXPECT_FALSE(done.timed_out);
}

TEST(TradeExecutor, TheKillSwitchHaltsCancelsAndCloses) {
  Venue venue;
  auto store = store::SqliteStore::open_in_memory();
  Engine engine(venue, *store);
  TradeExecutor executor(venue.loop, venue.bus, engine.router);
  start(venue.loop, executor.submit_trade_async(signal(venue.btc, "long")));
  venue.feed(bar(kStart, "100", "101", "99", "100"));
  pump(venue.loop);
  ASSERT_TRUE(engine.router.position(Asset::kSpot, venue.btc));
  // A resting limit order on another symbol, to be cancelled.
  OrderContext resting = Engine::entry(Symbol::parse("XRPUSDT"), "rest");
  resting.type = OrderType::kLimit;
  resting.limit_price = d("90");
  resting.reference_price = d("90");
  resting.stop_loss = d("86");
  resting.take_profit = d("99");
  resting.strategy_id = "reversion-2";  // trend-1 is at its per-strategy cap
  const PlaceResult rest = engine.router.place_order(resting);
  ASSERT_TRUE(rest.decision.ok) << rest.decision.reason;
  venue.bus.drain();

  const auto outcomes = start(venue.loop, executor.disaster_flatten_all_async(Asset::kSpot));
  pump(venue.loop);
  venue.feed(bar(kStart + k15m, "100", "100", "99", "99.5"));
  pump(venue.loop);
  ASSERT_TRUE(*outcomes);
  ASSERT_EQ((*outcomes)->size(), 1u);
  EXPECT_EQ((**outcomes)[0].status, OrderStatus::kFilled);
  EXPECT_FALSE(engine.router.position(Asset::kSpot, venue.btc));
  EXPECT_TRUE(engine.router.journal().open_orders().empty());
  EXPECT_EQ(venue.broker.open_order_count(), 0u);
  EXPECT_EQ(engine.router.entries_halted(Asset::kSpot), "kill_switch: flatten all");
  EXPECT_EQ(engine.router.place_order(Engine::entry(venue.btc, "after")).decision.code(),
            "entries_halted");
}

}  // namespace
}  // namespace gauntlet::orders
