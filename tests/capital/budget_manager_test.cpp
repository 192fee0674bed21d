#include "capital/budget_manager.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "core/config.hpp"
#include "core/exceptions.hpp"
#include "core/store/sqlite_store.hpp"
#include "support/pnl_key_for_tests.hpp"
#include "support/temp_dir.hpp"

namespace gauntlet::capital {
namespace {

using namespace gauntlet::literals;
using store::SqliteStore;

// A sized order valued at `price` (the reference price of a market order).
OrderContext order(Asset asset, const char* symbol, Decimal quantity, Decimal price,
                   double leverage = 1) {
  OrderContext context;
  context.asset = asset;
  context.symbol = Symbol::parse(symbol);
  context.side = OrderSide::kBuy;
  context.quantity = quantity;
  context.reference_price = price;
  context.leverage = leverage;
  return context;
}

// The seed's defaults: $250 in each of the four buckets, $100 steps.
class BudgetManagerTest : public ::testing::Test {
 protected:
  std::unique_ptr<SqliteStore> store_ = SqliteStore::open_in_memory();
  BudgetManager budgets_{*store_, config::default_budgets()};
};

// --- Initial state ----------------------------------------------------------------------------

TEST_F(BudgetManagerTest, FreshStoreStartsFromConfig) {
  EXPECT_EQ(store_->schema_version("budget_manager"), 1);
  for (Asset asset : kAllAssets) {
    EXPECT_EQ(budgets_.get_alloc(asset), "250"_d) << to_string(asset);
    EXPECT_EQ(budgets_.reserved(asset), "0"_d) << to_string(asset);
    EXPECT_EQ(budgets_.available(asset), "250"_d) << to_string(asset);
  }
  EXPECT_EQ(budgets_.pool(), "0"_d);
  EXPECT_EQ(budgets_.step(), "100"_d);
}

TEST_F(BudgetManagerTest, StoresAmountsAsExactText) {
  budgets_.apply_pnl(PnlKeyForTests::make(), Asset::kPerp, "0.000000001"_d);
  std::string stored;
  store_->query("SELECT allocation FROM budget_buckets WHERE asset = 'perp'", {},
                [&](const store::Row& row) { stored = row.get_text(0); });
  EXPECT_EQ(stored, "250.000000001");
}

TEST(BudgetManagerConfigTest, RejectsNegativeAllocationAndNonPositiveStep) {
  auto store = SqliteStore::open_in_memory();
  config::Budgets budgets = config::default_budgets();
  budgets.allocation[static_cast<std::size_t>(Asset::kForex)] = "-1"_d;
  budgets.reallocation_step = "0"_d;
  try {
    BudgetManager manager(*store, budgets);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& error) {
    ASSERT_EQ(error.problems().size(), 2u);
    EXPECT_EQ(error.problems()[0], "budgets.allocation.forex: must not be negative (got -1)");
    EXPECT_EQ(error.problems()[1], "budgets.reallocation_step: must be positive (got 0)");
  }
  EXPECT_THROW(BudgetManager(*store, config::default_budgets(), "-100"_d), ConfigError);
}

// --- can_afford: what an order needs ----------------------------------------------------------

TEST_F(BudgetManagerTest, SpotNeedsTheFullNotional) {
  // 0.002 BTC at 60000 = 120 <= 250.
  const OrderContext fits = order(Asset::kSpot, "BTCUSDT", "0.002"_d, "60000"_d);
  EXPECT_EQ(BudgetManager::required_funds(fits), "120"_d);
  EXPECT_TRUE(budgets_.can_afford(Asset::kSpot, fits).ok);

  // 0.005 BTC at 60000 = 300 > 250.
  const Decision refused =
      budgets_.can_afford(Asset::kSpot, order(Asset::kSpot, "BTCUSDT", "0.005"_d, "60000"_d));
  EXPECT_FALSE(refused.ok);
  EXPECT_EQ(refused.code(), "budget_exceeded");
  EXPECT_EQ(refused.reason, "budget_exceeded: needs 300, available 250 of allocation 250");
}

TEST_F(BudgetManagerTest, AnOrderNeedingExactlyTheAvailableAmountFits) {
  // 0.005 x 50000 = 250, exactly the available amount; at 50000.01 it is 250.00005.
  EXPECT_TRUE(
      budgets_.can_afford(Asset::kSpot, order(Asset::kSpot, "BTCUSDT", "0.005"_d, "50000"_d)).ok);
  EXPECT_FALSE(
      budgets_.can_afford(Asset::kSpot, order(Asset::kSpot, "BTCUSDT", "0.005"_d, "50000.01"_d))
          .ok);
}

TEST_F(BudgetManagerTest, PerpetualsNeedNotionalOverLeverage) {
  // 0.01 BTC at 60000 = 600 notional; at 5x it needs 120, at 2x 300 (> 250).
  const OrderContext five_x = order(Asset::kPerp, "BTCUSDT", "0.01"_d, "60000"_d, 5);
  EXPECT_EQ(BudgetManager::required_funds(five_x), "120"_d);
  EXPECT_TRUE(budgets_.can_afford(Asset::kPerp, five_x).ok);

  const Decision two_x =
      budgets_.can_afford(Asset::kPerp, order(Asset::kPerp, "BTCUSDT", "0.01"_d, "60000"_d, 2));
  EXPECT_EQ(two_x.reason, "budget_exceeded: needs 300, available 250 of allocation 250");
}

TEST_F(BudgetManagerTest, MarginIsRoundedUp) {
  // 100 / 3 = 33.333333333..., rounded up to 33.333333334 so the bucket is never over-committed.
  EXPECT_EQ(BudgetManager::required_funds(order(Asset::kPerp, "BTCUSDT", "1"_d, "100"_d, 3)),
            "33.333333334"_d);
  // 0.000000001 x 0.5 = 0.0000000005, rounded up to 0.000000001.
  EXPECT_EQ(BudgetManager::required_funds(order(Asset::kSpot, "BTCUSDT", "0.000000001"_d, "0.5"_d)),
            "0.000000001"_d);
  // A fractional leverage: 600 / 2.5 = 240.
  EXPECT_EQ(BudgetManager::required_funds(order(Asset::kPerp, "BTCUSDT", "0.01"_d, "60000"_d, 2.5)),
            "240"_d);
}

TEST_F(BudgetManagerTest, ForexUsesItsLeverage) {
  // 10000 EUR at 1.1 = 11000 USD notional; at 50x it needs 220, unlevered all 11000.
  const OrderContext margin = order(Asset::kForex, "EURUSD", "10000"_d, "1.1"_d, 50);
  EXPECT_EQ(BudgetManager::required_funds(margin), "220"_d);
  EXPECT_TRUE(budgets_.can_afford(Asset::kForex, margin).ok);
  EXPECT_EQ(
      budgets_.can_afford(Asset::kForex, order(Asset::kForex, "EURUSD", "10000"_d, "1.1"_d)).reason,
      "budget_exceeded: needs 11000, available 250 of allocation 250");
}

TEST_F(BudgetManagerTest, SpotAndOptionsIgnoreLeverage) {
  // Spot is cash: 0.005 x 60000 = 300 even when the context says 5x.
  EXPECT_EQ(BudgetManager::required_funds(order(Asset::kSpot, "BTCUSDT", "0.005"_d, "60000"_d, 5)),
            "300"_d);
  // Options pay the full premium: 2 contracts at a premium of 150 = 300, whatever the leverage.
  const OrderContext option = order(Asset::kOptions, "EURUSD", "2"_d, "150"_d, 10);
  EXPECT_EQ(BudgetManager::required_funds(option), "300"_d);
  EXPECT_EQ(budgets_.can_afford(Asset::kOptions, option).reason,
            "budget_exceeded: needs 300, available 250 of allocation 250");
}

TEST_F(BudgetManagerTest, ValuesAtTheLimitThenTriggerThenReferencePrice) {
  OrderContext limit = order(Asset::kSpot, "BTCUSDT", "0.005"_d, "60000"_d);
  limit.type = OrderType::kLimit;
  limit.limit_price = "50000"_d;  // 0.005 x 50000 = 250, not 0.005 x 60000 = 300
  limit.trigger_price = "70000"_d;
  EXPECT_EQ(BudgetManager::required_funds(limit), "250"_d);
  EXPECT_TRUE(budgets_.can_afford(Asset::kSpot, limit).ok);

  OrderContext stop = order(Asset::kSpot, "BTCUSDT", "0.005"_d, "40000"_d);
  stop.type = OrderType::kStopMarket;
  stop.trigger_price = "70000"_d;  // 0.005 x 70000 = 350
  EXPECT_EQ(BudgetManager::required_funds(stop), "350"_d);
  EXPECT_EQ(budgets_.can_afford(Asset::kSpot, stop).reason,
            "budget_exceeded: needs 350, available 250 of allocation 250");
}

TEST_F(BudgetManagerTest, RefusesUnsizedAndUnpricedOrders) {
  const Decision unsized =
      budgets_.can_afford(Asset::kSpot, order(Asset::kSpot, "BTCUSDT", "0"_d, "60000"_d));
  EXPECT_EQ(unsized.reason,
            "unsized_order: BTCUSDT quantity is 0; size the order before the budget check");
  const Decision unpriced =
      budgets_.can_afford(Asset::kSpot, order(Asset::kSpot, "BTCUSDT", "0.001"_d, "0"_d));
  EXPECT_EQ(unpriced.reason,
            "unpriced_order: BTCUSDT has no limit, trigger or reference price to value it at");
}

TEST_F(BudgetManagerTest, AnOverflowingNotionalIsRefusedNotThrown) {
  const Decision huge = budgets_.can_afford(
      Asset::kSpot, order(Asset::kSpot, "BTCUSDT", "1000000000"_d, "1000000000"_d));
  EXPECT_EQ(huge.reason,
            "budget_exceeded: needs more than 9223372036.854775807, available 250 of allocation "
            "250");
}

// --- Wallet separation ------------------------------------------------------------------------

TEST_F(BudgetManagerTest, SpotAndPerpetualBucketsNeverFundEachOther) {
  // A tiny spot order that either bucket could fund is still refused from the perp bucket.
  const OrderContext spot = order(Asset::kSpot, "BTCUSDT", "0.001"_d, "60000"_d);
  EXPECT_TRUE(budgets_.can_afford(Asset::kSpot, spot).ok);
  const Decision spot_from_perp = budgets_.can_afford(Asset::kPerp, spot);
  EXPECT_FALSE(spot_from_perp.ok);
  EXPECT_EQ(spot_from_perp.reason,
            "wrong_wallet: a spot order for BTCUSDT cannot draw on the perp bucket");

  const OrderContext perp = order(Asset::kPerp, "ETHUSDT", "0.01"_d, "3000"_d, 3);
  EXPECT_TRUE(budgets_.can_afford(Asset::kPerp, perp).ok);
  EXPECT_EQ(budgets_.can_afford(Asset::kSpot, perp).reason,
            "wrong_wallet: a perp order for ETHUSDT cannot draw on the spot bucket");
}

TEST_F(BudgetManagerTest, ReservationsAndProfitsStayInTheirBucket) {
  ASSERT_TRUE(budgets_.reserve(Asset::kSpot, "s1", "200"_d).ok);
  budgets_.apply_pnl(PnlKeyForTests::make(), Asset::kPerp, "50"_d);
  EXPECT_EQ(budgets_.available(Asset::kSpot), "50"_d);
  EXPECT_EQ(budgets_.available(Asset::kPerp), "300"_d);
  EXPECT_EQ(budgets_.get_alloc(Asset::kSpot), "250"_d);
  // A 0.004 BTC spot order (240) no longer fits the spot bucket, though perp has 300.
  EXPECT_EQ(budgets_.can_afford(Asset::kSpot, order(Asset::kSpot, "BTCUSDT", "0.004"_d, "60000"_d))
                .reason,
            "budget_exceeded: needs 240, available 50 of allocation 250");
  // The same id in another bucket is another reservation.
  EXPECT_FALSE(budgets_.release(Asset::kPerp, "s1"));
  EXPECT_EQ(budgets_.reserved(Asset::kSpot), "200"_d);
}

// --- Disabled buckets and exits ---------------------------------------------------------------

TEST(BudgetManagerDisabledTest, ZeroAllocationDisablesTheBucketButNotExits) {
  auto store = SqliteStore::open_in_memory();
  config::Budgets config = config::default_budgets();
  config.allocation[static_cast<std::size_t>(Asset::kOptions)] = "0"_d;
  BudgetManager budgets(*store, config);

  const Decision refused =
      budgets.can_afford(Asset::kOptions, order(Asset::kOptions, "EURUSD", "1"_d, "10"_d));
  EXPECT_EQ(refused.code(), "asset_disabled");
  EXPECT_EQ(refused.reason, "asset_disabled: the options bucket has allocation 0");

  // An exit releases budget: allowed on a disabled bucket, and needs nothing.
  OrderContext exit = order(Asset::kOptions, "EURUSD", "1"_d, "10"_d);
  exit.reduce_only = true;
  EXPECT_EQ(BudgetManager::required_funds(exit), "0"_d);
  EXPECT_TRUE(budgets.can_afford(Asset::kOptions, exit).ok);
  // ... but never from another wallet.
  EXPECT_EQ(budgets.can_afford(Asset::kForex, exit).reason,
            "wrong_wallet: a options order for EURUSD cannot draw on the forex bucket");
}

TEST_F(BudgetManagerTest, AnExitLargerThanTheBucketIsAllowed) {
  OrderContext exit = order(Asset::kSpot, "BTCUSDT", "1"_d, "60000"_d);
  exit.side = OrderSide::kSell;
  exit.reduce_only = true;
  EXPECT_TRUE(budgets_.can_afford(Asset::kSpot, exit).ok);
}

// --- Reservations -----------------------------------------------------------------------------

TEST_F(BudgetManagerTest, ReserveIsIdempotentById) {
  ASSERT_TRUE(budgets_.reserve(Asset::kSpot, "o1", "100"_d).ok);
  EXPECT_EQ(budgets_.reserved(Asset::kSpot), "100"_d);
  EXPECT_EQ(budgets_.available(Asset::kSpot), "150"_d);

  // The same reservation again changes nothing.
  ASSERT_TRUE(budgets_.reserve(Asset::kSpot, "o1", "100"_d).ok);
  EXPECT_EQ(budgets_.reserved(Asset::kSpot), "100"_d);
  EXPECT_EQ(budgets_.reservation(Asset::kSpot, "o1"), "100"_d);

  // Another amount under the same id resizes it: 150, not 250.
  ASSERT_TRUE(budgets_.reserve(Asset::kSpot, "o1", "150"_d).ok);
  EXPECT_EQ(budgets_.reserved(Asset::kSpot), "150"_d);
  EXPECT_EQ(budgets_.available(Asset::kSpot), "100"_d);
  ASSERT_TRUE(budgets_.reserve(Asset::kSpot, "o1", "40"_d).ok);  // a partial cancel shrinks it
  EXPECT_EQ(budgets_.reserved(Asset::kSpot), "40"_d);
  EXPECT_EQ(budgets_.available(Asset::kSpot), "210"_d);
}

TEST_F(BudgetManagerTest, ReservationsReduceWhatNewOrdersCanUse) {
  ASSERT_TRUE(budgets_.reserve(Asset::kSpot, "o1", "150"_d).ok);
  // 0.002 x 60000 = 120 > 100 available.
  EXPECT_EQ(budgets_.can_afford(Asset::kSpot, order(Asset::kSpot, "BTCUSDT", "0.002"_d, "60000"_d))
                .reason,
            "budget_exceeded: needs 120, available 100 of allocation 250");

  const Decision second = budgets_.reserve(Asset::kSpot, "o2", "120"_d);
  EXPECT_EQ(second.reason,
            "budget_exceeded: needs 120, available 100 of allocation 250 (order o2)");
  EXPECT_EQ(budgets_.reservation(Asset::kSpot, "o2"), "0"_d);
  EXPECT_EQ(budgets_.reserved(Asset::kSpot), "150"_d);

  // Growing o1 from 150 to 260 needs 110 more, with 100 available.
  EXPECT_EQ(budgets_.reserve(Asset::kSpot, "o1", "260"_d).reason,
            "budget_exceeded: needs 110, available 100 of allocation 250 (order o1)");
  EXPECT_EQ(budgets_.reservation(Asset::kSpot, "o1"), "150"_d);
  // Growing it to exactly the allocation fits.
  EXPECT_TRUE(budgets_.reserve(Asset::kSpot, "o1", "250"_d).ok);
  EXPECT_EQ(budgets_.available(Asset::kSpot), "0"_d);
}

TEST_F(BudgetManagerTest, ReleaseIsIdempotent) {
  ASSERT_TRUE(budgets_.reserve(Asset::kPerp, "o1", "100"_d).ok);
  ASSERT_TRUE(budgets_.reserve(Asset::kPerp, "o2", "50"_d).ok);
  EXPECT_EQ(budgets_.reserved(Asset::kPerp), "150"_d);

  EXPECT_TRUE(budgets_.release(Asset::kPerp, "o1"));
  EXPECT_EQ(budgets_.reserved(Asset::kPerp), "50"_d);
  EXPECT_EQ(budgets_.available(Asset::kPerp), "200"_d);
  EXPECT_FALSE(budgets_.release(Asset::kPerp, "o1"));
  EXPECT_EQ(budgets_.reserved(Asset::kPerp), "50"_d);
  EXPECT_FALSE(budgets_.release(Asset::kPerp, "never-reserved"));

  EXPECT_TRUE(budgets_.release(Asset::kPerp, "o2"));
  EXPECT_EQ(budgets_.reserved(Asset::kPerp), "0"_d);
  EXPECT_EQ(budgets_.available(Asset::kPerp), "250"_d);
}

TEST_F(BudgetManagerTest, ANegativeReservationAborts) {
  EXPECT_DEATH((void)budgets_.reserve(Asset::kSpot, "o1", "-1"_d),
               "reservation o1 must not be negative, was -1");
  EXPECT_DEATH((void)budgets_.reserve(Asset::kSpot, "", "1"_d), "a reservation needs an order id");
}

TEST_F(BudgetManagerTest, ALeverageBelowOneOnAMarginOrderAborts) {
  EXPECT_DEATH(
      (void)BudgetManager::required_funds(order(Asset::kPerp, "BTCUSDT", "1"_d, "100"_d, 0.5)),
      "leverage of a perp order must be at least 1, was 0.5");
}

// --- P&L compounding --------------------------------------------------------------------------

TEST_F(BudgetManagerTest, ProfitsAndLossesCompoundInTheBucket) {
  budgets_.apply_pnl(PnlKeyForTests::make(), Asset::kSpot, "25.5"_d);
  EXPECT_EQ(budgets_.get_alloc(Asset::kSpot), "275.5"_d);
  budgets_.apply_pnl(PnlKeyForTests::make(), Asset::kSpot, "24.5"_d);
  EXPECT_EQ(budgets_.get_alloc(Asset::kSpot), "300"_d);
  // The grown bucket funds what the starting one could not: 0.005 x 60000 = 300.
  EXPECT_TRUE(
      budgets_.can_afford(Asset::kSpot, order(Asset::kSpot, "BTCUSDT", "0.005"_d, "60000"_d)).ok);

  budgets_.apply_pnl(PnlKeyForTests::make(), Asset::kSpot, "-100.25"_d);
  EXPECT_EQ(budgets_.get_alloc(Asset::kSpot), "199.75"_d);
  EXPECT_EQ(budgets_.available(Asset::kSpot), "199.75"_d);
  for (Asset other : {Asset::kPerp, Asset::kForex, Asset::kOptions}) {
    EXPECT_EQ(budgets_.get_alloc(other), "250"_d);
  }
}

TEST_F(BudgetManagerTest, AllocationIsClampedAtZeroAndTheBucketDisabled) {
  budgets_.apply_pnl(PnlKeyForTests::make(), Asset::kPerp, "-1000"_d);
  EXPECT_EQ(budgets_.get_alloc(Asset::kPerp), "0"_d);
  EXPECT_EQ(budgets_.available(Asset::kPerp), "0"_d);
  EXPECT_EQ(budgets_.can_afford(Asset::kPerp, order(Asset::kPerp, "BTCUSDT", "0.001"_d, "100"_d, 2))
                .reason,
            "asset_disabled: the perp bucket has allocation 0");
  // A later profit grows it from zero, not from -750.
  budgets_.apply_pnl(PnlKeyForTests::make(), Asset::kPerp, "10"_d);
  EXPECT_EQ(budgets_.get_alloc(Asset::kPerp), "10"_d);
}

TEST_F(BudgetManagerTest, AvailableIsFlooredAtZeroWhenLossesEatReservedMargin) {
  ASSERT_TRUE(budgets_.reserve(Asset::kSpot, "o1", "200"_d).ok);
  budgets_.apply_pnl(PnlKeyForTests::make(), Asset::kSpot,
                     "-100"_d);  // allocation 150 < reserved 200
  EXPECT_EQ(budgets_.get_alloc(Asset::kSpot), "150"_d);
  EXPECT_EQ(budgets_.reserved(Asset::kSpot), "200"_d);
  EXPECT_EQ(budgets_.available(Asset::kSpot), "0"_d);
  EXPECT_EQ(
      budgets_.can_afford(Asset::kSpot, order(Asset::kSpot, "BTCUSDT", "0.001"_d, "1"_d)).reason,
      "budget_exceeded: needs 0.001, available 0 of allocation 150");
  EXPECT_TRUE(budgets_.release(Asset::kSpot, "o1"));
  EXPECT_EQ(budgets_.available(Asset::kSpot), "150"_d);
}

// --- Reallocation steps -----------------------------------------------------------------------

TEST_F(BudgetManagerTest, AddStepNeedsAPool) {
  const Decision refused = budgets_.add_step(Asset::kSpot);
  EXPECT_EQ(refused.reason, "pool_exhausted: pool holds 0, step is 100");
  EXPECT_EQ(budgets_.get_alloc(Asset::kSpot), "250"_d);
}

TEST(BudgetManagerStepTest, StepsMoveOneHundredBothWays) {
  auto store = SqliteStore::open_in_memory();
  BudgetManager budgets(*store, config::default_budgets(), "250"_d);
  EXPECT_EQ(budgets.pool(), "250"_d);

  ASSERT_TRUE(budgets.add_step(Asset::kSpot).ok);
  EXPECT_EQ(budgets.get_alloc(Asset::kSpot), "350"_d);
  EXPECT_EQ(budgets.pool(), "150"_d);
  ASSERT_TRUE(budgets.add_step(Asset::kPerp).ok);
  EXPECT_EQ(budgets.get_alloc(Asset::kPerp), "350"_d);
  EXPECT_EQ(budgets.pool(), "50"_d);
  // 50 left: less than one step.
  EXPECT_EQ(budgets.add_step(Asset::kSpot).reason, "pool_exhausted: pool holds 50, step is 100");
  EXPECT_EQ(budgets.get_alloc(Asset::kSpot), "350"_d);

  ASSERT_TRUE(budgets.remove_step(Asset::kSpot).ok);
  EXPECT_EQ(budgets.get_alloc(Asset::kSpot), "250"_d);
  EXPECT_EQ(budgets.pool(), "150"_d);
  ASSERT_TRUE(budgets.remove_step(Asset::kForex).ok);
  EXPECT_EQ(budgets.get_alloc(Asset::kForex), "150"_d);
  EXPECT_EQ(budgets.pool(), "250"_d);
  ASSERT_TRUE(budgets.add_step(Asset::kSpot).ok);
  EXPECT_EQ(budgets.get_alloc(Asset::kSpot), "350"_d);
  EXPECT_EQ(budgets.pool(), "150"_d);
}

TEST_F(BudgetManagerTest, RemoveStepNeverGoesBelowReserved) {
  ASSERT_TRUE(budgets_.reserve(Asset::kPerp, "o1", "200"_d).ok);
  const Decision refused = budgets_.remove_step(Asset::kPerp);
  EXPECT_EQ(refused.code(), "would_go_below_reserved");
  EXPECT_EQ(refused.reason,
            "would_go_below_reserved: allocation 250 minus step 100 leaves 150, below reserved "
            "200");
  EXPECT_EQ(budgets_.get_alloc(Asset::kPerp), "250"_d);
  EXPECT_EQ(budgets_.pool(), "0"_d);

  // With 150 reserved, 250 - 100 = 150 is exactly enough.
  ASSERT_TRUE(budgets_.reserve(Asset::kPerp, "o1", "150"_d).ok);
  ASSERT_TRUE(budgets_.remove_step(Asset::kPerp).ok);
  EXPECT_EQ(budgets_.get_alloc(Asset::kPerp), "150"_d);
  EXPECT_EQ(budgets_.available(Asset::kPerp), "0"_d);
  EXPECT_EQ(budgets_.pool(), "100"_d);
}

TEST_F(BudgetManagerTest, RemoveStepNeverGoesBelowZero) {
  budgets_.apply_pnl(PnlKeyForTests::make(), Asset::kOptions, "-200"_d);  // allocation 50
  EXPECT_EQ(budgets_.remove_step(Asset::kOptions).reason,
            "would_go_below_reserved: allocation 50 minus step 100 leaves -50, below reserved 0");
  budgets_.apply_pnl(PnlKeyForTests::make(), Asset::kOptions,
                     "50"_d);  // allocation 100: one whole step leaves 0
  ASSERT_TRUE(budgets_.remove_step(Asset::kOptions).ok);
  EXPECT_EQ(budgets_.get_alloc(Asset::kOptions), "0"_d);
  EXPECT_EQ(budgets_.pool(), "100"_d);
  EXPECT_EQ(
      budgets_.can_afford(Asset::kOptions, order(Asset::kOptions, "EURUSD", "1"_d, "1"_d)).code(),
      "asset_disabled");
}

// --- Persistence ------------------------------------------------------------------------------

TEST(BudgetManagerPersistenceTest, StateSurvivesAReopenOfTheFile) {
  testing::TempDir dir;
  const auto path = dir.path() / "state.db";
  {
    auto store = SqliteStore::open(path);
    BudgetManager budgets(*store, config::default_budgets(), "300"_d);
    budgets.apply_pnl(PnlKeyForTests::make(), Asset::kSpot, "12.345678901"_d);  // 262.345678901
    ASSERT_TRUE(budgets.add_step(Asset::kPerp).ok);      // perp 350, pool 200
    ASSERT_TRUE(budgets.remove_step(Asset::kForex).ok);  // forex 150, pool 300
    ASSERT_TRUE(budgets.reserve(Asset::kSpot, "o1", "100.5"_d).ok);
    ASSERT_TRUE(budgets.reserve(Asset::kPerp, "o2", "70"_d).ok);
    ASSERT_TRUE(budgets.reserve(Asset::kPerp, "o3", "30"_d).ok);
    EXPECT_TRUE(budgets.release(Asset::kPerp, "o3"));
  }
  {
    // Another configuration and pool: the stored state wins over both.
    auto store = SqliteStore::open(path);
    config::Budgets other = config::default_budgets();
    other.allocation = {"999"_d, "999"_d, "999"_d, "999"_d};
    BudgetManager budgets(*store, other, "5000"_d);
    EXPECT_EQ(budgets.get_alloc(Asset::kSpot), "262.345678901"_d);
    EXPECT_EQ(budgets.get_alloc(Asset::kPerp), "350"_d);
    EXPECT_EQ(budgets.get_alloc(Asset::kForex), "150"_d);
    EXPECT_EQ(budgets.get_alloc(Asset::kOptions), "250"_d);
    EXPECT_EQ(budgets.pool(), "300"_d);
    EXPECT_EQ(budgets.reserved(Asset::kSpot), "100.5"_d);
    EXPECT_EQ(budgets.available(Asset::kSpot), "161.845678901"_d);
    EXPECT_EQ(budgets.reservation(Asset::kPerp, "o2"), "70"_d);
    EXPECT_EQ(budgets.reservation(Asset::kPerp, "o3"), "0"_d);
    EXPECT_EQ(budgets.reserved(Asset::kPerp), "70"_d);
    EXPECT_EQ(store->schema_version("budget_manager"), 1);

    // Re-reserving a restored id is idempotent, and a release persists too.
    ASSERT_TRUE(budgets.reserve(Asset::kSpot, "o1", "100.5"_d).ok);
    EXPECT_EQ(budgets.reserved(Asset::kSpot), "100.5"_d);
    EXPECT_TRUE(budgets.release(Asset::kSpot, "o1"));
  }
  {
    auto store = SqliteStore::open(path);
    BudgetManager budgets(*store, config::default_budgets());
    EXPECT_EQ(budgets.reserved(Asset::kSpot), "0"_d);
    EXPECT_FALSE(budgets.release(Asset::kSpot, "o1"));
    EXPECT_EQ(budgets.reserved(Asset::kPerp), "70"_d);
  }
}

TEST(BudgetManagerPersistenceTest, ACorruptStoredAmountIsAStateError) {
  auto store = SqliteStore::open_in_memory();
  { BudgetManager budgets(*store, config::default_budgets()); }
  store->execute("UPDATE budget_buckets SET allocation = 'abc' WHERE asset = 'forex'");
  try {
    BudgetManager budgets(*store, config::default_budgets());
    FAIL() << "expected StateError";
  } catch (const StateError& error) {
    EXPECT_NE(std::string(error.what()).find("budget_buckets[forex].allocation holds \"abc\""),
              std::string::npos)
        << error.what();
  }
}

TEST(BudgetManagerPersistenceTest, AnUnknownStoredAssetIsAStateError) {
  auto store = SqliteStore::open_in_memory();
  { BudgetManager budgets(*store, config::default_budgets()); }
  store->execute("INSERT INTO budget_buckets (asset, allocation) VALUES ('bonds', '1')");
  EXPECT_THROW(BudgetManager(*store, config::default_budgets()), StateError);
}

}  // namespace
}  // namespace gauntlet::capital
