// Phase 1 of validation: the count starts when the check starts, only closed trades of the
// candidate opened since then count, a trade without SL/TP fails the check, and 100 protected
// trades pass it. The check reads; it changes no state.
#include "validation/online_validator.hpp"

#include <gtest/gtest.h>

#include "core/store/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace gauntlet::validation {
namespace {

using strategies::StrategyState;

class OnlineValidatorTest : public ::testing::Test {
 protected:
  OnlineValidatorTest()
      : store_(store::SqliteStore::open(dir_.path() / "o.db")),
        registry_(*store_),
        journal_(*store_),
        validator_(registry_, journal_, config_) {
    id_ = registry_.create({"ema_cross", Asset::kSpot, "{}"}, 1000).id;
  }

  void close_trade(const std::string& id, TimestampMs entry, bool protect = true) {
    orders::ClosedTrade t;
    t.strategy_id = id;
    t.symbol = Symbol::parse("BTCUSDT");
    t.entry_time = entry;
    t.exit_time = entry + 60'000;
    t.entry_price = Decimal::parse("100");
    t.exit_price = Decimal::parse("101");
    t.quantity = Decimal::parse("1");
    if (protect) {
      t.stop_loss = Decimal::parse("99");
      t.take_profit = Decimal::parse("101");
    }
    t.realized_pnl = Decimal::parse("1");
    journal_.record_closed_trade(t);
  }

  testing::TempDir dir_;
  std::unique_ptr<store::SqliteStore> store_;
  strategies::StrategyRegistry registry_;
  orders::OrderJournal journal_;
  config::Exploration config_;
  OnlineValidator validator_;
  std::string id_;
};

TEST_F(OnlineValidatorTest, StartsOnlyForAnExploringCandidate) {
  EXPECT_EQ(validator_.start(id_, 2000).reason, "not_exploring: " + id_ + " is candidate");
  EXPECT_EQ(validator_.start("nope", 2000).reason, "unknown_strategy: nope");
  EXPECT_FALSE(validator_.status(id_).started);
  EXPECT_EQ(validator_.done(id_), OnlineOutcome::kPending);
  ASSERT_TRUE(registry_.set_state(id_, StrategyState::kExploring, "explore", 1500));
  ASSERT_TRUE(validator_.start(id_, 2000));
  EXPECT_TRUE(validator_.status(id_).started);
  EXPECT_EQ(validator_.status(id_).since, 2000);
}

TEST_F(OnlineValidatorTest, PassesAtOneHundredProtectedTradesSinceTheStart) {
  ASSERT_TRUE(registry_.set_state(id_, StrategyState::kExploring, "explore", 1500));
  close_trade(id_, 1800);  // before the start: does not count
  ASSERT_TRUE(validator_.start(id_, 2000));
  close_trade("someone-else", 5000);
  for (int i = 0; i < 99; ++i) close_trade(id_, 3000 + i * 100'000);
  OnlineStatus s = validator_.status(id_);
  EXPECT_EQ(s.closed_trades, 99u);
  EXPECT_EQ(s.required, 100u);
  EXPECT_EQ(s.outcome, OnlineOutcome::kPending);
  EXPECT_EQ(s.reason, "99 of 100 closed paper trades");
  close_trade(id_, 90'000'000);
  s = validator_.status(id_);
  EXPECT_EQ(s.outcome, OnlineOutcome::kPass);
  EXPECT_EQ(s.reason, "100 closed paper trades, every one with SL/TP");
  EXPECT_EQ(registry_.get(id_)->state, StrategyState::kExploring) << "the check reads only";

  // A restart of the check (after a failed gate) needs a fresh hundred.
  ASSERT_TRUE(validator_.start(id_, 100'000'000));
  EXPECT_EQ(validator_.status(id_).closed_trades, 0u);
  EXPECT_EQ(validator_.done(id_), OnlineOutcome::kPending);
}

TEST_F(OnlineValidatorTest, ATradeWithoutStopLossOrTakeProfitFailsTheCheck) {
  ASSERT_TRUE(registry_.set_state(id_, StrategyState::kExploring, "explore", 1500));
  ASSERT_TRUE(validator_.start(id_, 2000));
  close_trade(id_, 3000);
  close_trade(id_, 4000, /*protect=*/false);
  const OnlineStatus s = validator_.status(id_);
  EXPECT_EQ(s.outcome, OnlineOutcome::kFail);
  EXPECT_EQ(s.unprotected_trades, 1u);
  EXPECT_EQ(s.reason, "1 of 2 closed paper trades had no stop loss or take profit");
}

}  // namespace
}  // namespace gauntlet::validation
