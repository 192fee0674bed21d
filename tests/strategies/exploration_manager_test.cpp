#include "strategies/exploration_manager.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/exceptions.hpp"
#include "core/store/sqlite_store.hpp"
#include "core/time.hpp"
#include "validation/promotion_gate.hpp"

namespace gauntlet::strategies {
namespace {

using store::SqliteStore;
using S = StrategyState;

StrategyDescriptor ema(int fast, Asset asset = Asset::kSpot) {
  return {"ema_cross", asset, R"({"fast":)" + std::to_string(fast) + R"(,"slow":50})"};
}

std::vector<std::string> ids(const std::vector<StrategyRecord>& records) {
  std::vector<std::string> out;
  for (const StrategyRecord& record : records) out.push_back(record.id);
  return out;
}

class ExplorationManagerTest : public ::testing::Test {
 protected:
  ExplorationManagerTest() {
    config_.active_candidates_per_asset = 3;
    config_.max_trades_per_hour_per_candidate = 3;
    config_.cooldown_after_trade = 10 * kMinuteMs;
  }

  // A generator handing out ema_cross descriptors with fast = 1, 2, 3, ... per call.
  ExplorationManager::Generator counting_generator() {
    return [this](Asset asset) -> std::optional<StrategyDescriptor> {
      ++draws_;
      return ema(++next_fast_, asset);
    };
  }

  std::unique_ptr<SqliteStore> store_ = SqliteStore::open_in_memory();
  StrategyRegistry registry_{*store_};
  config::Exploration config_;
  int next_fast_ = 0;
  int draws_ = 0;
  ExplorationManager manager_{registry_, config_, counting_generator()};
};

// --- Backfill ---------------------------------------------------------------------------------

TEST_F(ExplorationManagerTest, FillsToTheConfiguredCountAndIsIdempotent) {
  EXPECT_EQ(manager_.ensure_active_candidates(Asset::kSpot, 1000), 3);
  const std::vector<StrategyRecord> exploring = registry_.get_for(Asset::kSpot, S::kExploring);
  ASSERT_EQ(exploring.size(), 3u);
  // Same created_at: the registry orders them by id.
  std::vector<std::string> expected = {strategy_id(ema(1)), strategy_id(ema(2)),
                                       strategy_id(ema(3))};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(ids(exploring), expected);
  EXPECT_EQ(draws_, 3);
  // Again: nothing to do, the generator is not asked.
  EXPECT_EQ(manager_.ensure_active_candidates(Asset::kSpot, 2000), 0);
  EXPECT_EQ(registry_.get_for(Asset::kSpot, S::kExploring).size(), 3u);
  EXPECT_EQ(draws_, 3);
  // Other assets are apart.
  EXPECT_TRUE(registry_.get_for(Asset::kPerp).empty());
  // The activation is a recorded transition.
  const std::vector<Transition> history = registry_.history(strategy_id(ema(1)));
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[1].from, S::kCandidate);
  EXPECT_EQ(history[1].to, S::kExploring);
  EXPECT_EQ(history[1].time, 1000);
}

TEST_F(ExplorationManagerTest, ActivatesRegisteredCandidatesBeforeGenerating) {
  registry_.create(ema(100), 10);
  registry_.create(ema(101), 20);
  registry_.create(ema(102, Asset::kPerp), 30);
  EXPECT_EQ(manager_.ensure_active_candidates(Asset::kSpot, 1000), 3);
  EXPECT_EQ(draws_, 1);
  EXPECT_EQ(ids(registry_.get_for(Asset::kSpot, S::kExploring)),
            (std::vector<std::string>{strategy_id(ema(100)), strategy_id(ema(101)),
                                      strategy_id(ema(1))}));
  EXPECT_EQ(registry_.get(strategy_id(ema(102, Asset::kPerp)))->state, S::kCandidate);
}

TEST_F(ExplorationManagerTest, BackfillsAfterPromotionAndRetirement) {
  manager_.ensure_active_candidates(Asset::kSpot, 1000);
  const std::string first = strategy_id(ema(1));
  const std::string second = strategy_id(ema(2));
  EXPECT_TRUE(manager_.promote_candidate(first, "100 paper trades", 2000));
  EXPECT_TRUE(manager_.retire_candidate(second, "drawdown 12%", 2000));
  EXPECT_EQ(manager_.ensure_active_candidates(Asset::kSpot, 3000), 2);
  EXPECT_EQ(registry_.get_for(Asset::kSpot, S::kExploring).size(), 3u);
  EXPECT_EQ(registry_.get(first)->state, S::kValidating);
  EXPECT_EQ(registry_.get(second)->state, S::kRetired);
}

TEST_F(ExplorationManagerTest, SkipsKnownDescriptorsAndStopsWhenTheGeneratorRunsDry) {
  registry_.create(ema(7), 10);
  EXPECT_TRUE(registry_.set_state(strategy_id(ema(7)), S::kExploring, "", 10));
  EXPECT_TRUE(registry_.set_state(strategy_id(ema(7)), S::kRetired, "", 10));
  // A generator that repeats a retired descriptor forever: bounded draws, nothing activated.
  int repeats = 0;
  ExplorationManager repeating(registry_, config_, [&](Asset) -> std::optional<StrategyDescriptor> {
    ++repeats;
    return ema(7);
  });
  EXPECT_EQ(repeating.ensure_active_candidates(Asset::kSpot, 1000), 0);
  EXPECT_EQ(repeats, 3 * ExplorationManager::kMaxDrawsPerMissing);
  EXPECT_EQ(registry_.get(strategy_id(ema(7)))->state, S::kRetired);

  // A generator with two descriptors, then none.
  int offered = 0;
  ExplorationManager short_supply(registry_, config_,
                                  [&](Asset asset) -> std::optional<StrategyDescriptor> {
                                    if (offered == 2) return std::nullopt;
                                    return ema(200 + offered++, asset);
                                  });
  EXPECT_EQ(short_supply.ensure_active_candidates(Asset::kSpot, 2000), 2);
  EXPECT_EQ(short_supply.ensure_active_candidates(Asset::kSpot, 3000), 0);
  EXPECT_EQ(registry_.get_for(Asset::kSpot, S::kExploring).size(), 2u);

  // Without a generator only registered candidates are activated.
  registry_.create(ema(300), 4000);
  ExplorationManager no_generator(registry_, config_, nullptr);
  EXPECT_EQ(no_generator.ensure_active_candidates(Asset::kSpot, 5000), 1);
  EXPECT_EQ(registry_.get_for(Asset::kSpot, S::kExploring).size(), 3u);
}

TEST_F(ExplorationManagerTest, FollowsAHotReloadOfTheCount) {
  manager_.ensure_active_candidates(Asset::kSpot, 1000);
  config_.active_candidates_per_asset = 5;
  EXPECT_EQ(manager_.ensure_active_candidates(Asset::kSpot, 2000), 2);
  config_.active_candidates_per_asset = 2;  // never shrinks by itself
  EXPECT_EQ(manager_.ensure_active_candidates(Asset::kSpot, 3000), 0);
  EXPECT_EQ(registry_.get_for(Asset::kSpot, S::kExploring).size(), 5u);
}

TEST_F(ExplorationManagerTest, GeneratorForAnotherAssetAborts) {
  ExplorationManager wrong(registry_, config_, [](Asset) -> std::optional<StrategyDescriptor> {
    return ema(1, Asset::kPerp);
  });
  EXPECT_DEATH(wrong.ensure_active_candidates(Asset::kSpot, 1000), "generator returned a perp");
}

// --- Promotion and retirement -----------------------------------------------------------------

TEST_F(ExplorationManagerTest, PromotionAndRetirementGoThroughTheRegistry) {
  manager_.ensure_active_candidates(Asset::kSpot, 1000);
  const std::string id = strategy_id(ema(1));
  EXPECT_EQ(manager_.promote_candidate(id, "min_paper_trades reached", 2000), Decision::allow());
  // Promoting again: it is validating now.
  EXPECT_EQ(manager_.promote_candidate(id, "again", 2500),
            Decision::deny("illegal_transition: validating -> validating"));
  EXPECT_EQ(manager_.retire_candidate(id, "failed validation", 3000), Decision::allow());
  EXPECT_EQ(manager_.retire_candidate(id, "again", 3500),
            Decision::deny("illegal_transition: retired -> retired"));
  EXPECT_EQ(manager_.promote_candidate("nope", "x", 4000).code(), "unknown_strategy");
  EXPECT_EQ(manager_.retire_candidate("nope", "x", 4000).code(), "unknown_strategy");

  const std::vector<Transition> history = registry_.history(id);
  ASSERT_EQ(history.size(), 4u);
  EXPECT_EQ(history[2].kind, TransitionKind::kState);
  EXPECT_EQ(history[2].from, S::kExploring);
  EXPECT_EQ(history[2].to, S::kValidating);
  EXPECT_EQ(history[2].reason, "min_paper_trades reached");
  EXPECT_EQ(history[2].time, 2000);
  EXPECT_EQ(history[3].from, S::kValidating);
  EXPECT_EQ(history[3].to, S::kRetired);
  EXPECT_EQ(history[3].reason, "failed validation");
  EXPECT_EQ(history[3].time, 3000);
  EXPECT_EQ(registry_.get(id)->reason, "failed validation");
}

TEST_F(ExplorationManagerTest, OnlyExploringCandidatesArePromoted) {
  registry_.create(ema(50), 10);
  EXPECT_EQ(manager_.promote_candidate(strategy_id(ema(50)), "too early", 20),
            Decision::deny("illegal_transition: candidate -> validating"));
  EXPECT_EQ(registry_.get(strategy_id(ema(50)))->state, S::kCandidate);
  EXPECT_EQ(manager_.retire_candidate(strategy_id(ema(50)), "never explored", 30),
            Decision::allow());
}

// --- Quotas -----------------------------------------------------------------------------------

TEST_F(ExplorationManagerTest, CooldownEndsExactlyAfterItsDuration) {
  manager_.ensure_active_candidates(Asset::kSpot, 0);
  const std::string id = strategy_id(ema(1));
  const TimestampMs t0 = 10 * kHourMs;
  EXPECT_TRUE(manager_.can_trade(id, t0));
  manager_.record_trade(id, t0);
  EXPECT_EQ(registry_.get(id)->counters.at("trades"), 1);
  EXPECT_FALSE(manager_.can_trade(id, t0));
  EXPECT_FALSE(manager_.can_trade(id, t0 + 10 * kMinuteMs - 1));
  EXPECT_TRUE(manager_.can_trade(id, t0 + 10 * kMinuteMs));
  // Others are not affected.
  EXPECT_TRUE(manager_.can_trade(strategy_id(ema(2)), t0));
}

TEST_F(ExplorationManagerTest, HourlyCapCountsTheLastHourExactly) {
  manager_.ensure_active_candidates(Asset::kSpot, 0);
  const std::string id = strategy_id(ema(1));
  const TimestampMs t0 = 10 * kHourMs;
  manager_.record_trade(id, t0);
  manager_.record_trade(id, t0 + 10 * kMinuteMs);
  manager_.record_trade(id, t0 + 20 * kMinuteMs);
  EXPECT_EQ(registry_.get(id)->counters.at("trades"), 3);
  EXPECT_EQ(manager_.trades_in_last_hour(id, t0 + 30 * kMinuteMs), 3);
  // Out of cooldown, but three trades in (now - 1 h, now].
  EXPECT_FALSE(manager_.can_trade(id, t0 + 30 * kMinuteMs));
  EXPECT_FALSE(manager_.can_trade(id, t0 + kHourMs - 1));
  // At t0 + 1 h the first trade leaves the window.
  EXPECT_EQ(manager_.trades_in_last_hour(id, t0 + kHourMs), 2);
  EXPECT_TRUE(manager_.can_trade(id, t0 + kHourMs));
  // A cap of 4 lets it trade at once (after the cooldown).
  config_.max_trades_per_hour_per_candidate = 4;
  EXPECT_TRUE(manager_.can_trade(id, t0 + 30 * kMinuteMs));
}

TEST_F(ExplorationManagerTest, RestoredTradesAreNotCountedAgain) {
  manager_.ensure_active_candidates(Asset::kSpot, 0);
  const std::string id = strategy_id(ema(1));
  manager_.record_trade(id, 1000);
  ExplorationManager restarted(registry_, config_, nullptr);
  EXPECT_TRUE(restarted.can_trade(id, 2000));
  restarted.restore_trade(id, 1000);
  EXPECT_FALSE(restarted.can_trade(id, 2000));
  EXPECT_TRUE(restarted.can_trade(id, 1000 + 10 * kMinuteMs));
  EXPECT_EQ(registry_.get(id)->counters.at("trades"), 1);
  // Out of order times are kept sorted: the latest decides the cooldown.
  restarted.restore_trade(id, 500);
  EXPECT_EQ(restarted.trades_in_last_hour(id, 2000), 2);
  EXPECT_FALSE(restarted.can_trade(id, 1000 + 10 * kMinuteMs - 1));
}

TEST_F(ExplorationManagerTest, RecordingATradeOfAnUnknownStrategyAborts) {
  EXPECT_DEATH(manager_.record_trade("nope", 1000), "record_trade for unknown strategy nope");
}

// --- Persistence ------------------------------------------------------------------------------

TEST_F(ExplorationManagerTest, RestoredTradeTimesSaveTheSameBytesAndGateTheSame) {
  manager_.ensure_active_candidates(Asset::kSpot, 0);
  const std::vector<std::string> explorers = {strategy_id(ema(1)), strategy_id(ema(2)),
                                              strategy_id(ema(3))};
  const TimestampMs t0 = 10 * kHourMs;
  // One at its hourly cap, one cooling down, one with a trade restored out of order; the third
  // explorer never traded.
  manager_.record_trade(explorers[0], t0);
  manager_.record_trade(explorers[0], t0 + 12 * kMinuteMs);
  manager_.record_trade(explorers[0], t0 + 25 * kMinuteMs);
  manager_.record_trade(explorers[1], t0 + 30 * kMinuteMs);
  manager_.restore_trade(explorers[1], t0 - 5 * kMinuteMs);
  const std::string saved = manager_.save_state();
  EXPECT_EQ(manager_.save_state(), saved) << "saving is deterministic";

  ExplorationManager restored(registry_, config_, counting_generator());
  restored.restore_state(saved);
  EXPECT_EQ(restored.save_state(), saved);
  std::vector<std::string> everyone = explorers;
  everyone.push_back("unknown-0000000000");
  const auto gates = [&](const ExplorationManager& manager, TimestampMs from) {
    std::vector<std::string> out;
    for (const std::string& id : everyone) {
      for (TimestampMs now = from; now <= from + 2 * kHourMs; now += kMinuteMs) {
        out.push_back(std::to_string(manager.can_trade(id, now)) + " " +
                      std::to_string(manager.trades_in_last_hour(id, now)));
      }
    }
    return out;
  };
  const std::vector<std::string> expected = gates(manager_, t0 - kMinuteMs);
  EXPECT_EQ(gates(restored, t0 - kMinuteMs), expected);
  EXPECT_FALSE(restored.can_trade(explorers[0], t0 + 40 * kMinuteMs));  // the cap
  EXPECT_FALSE(restored.can_trade(explorers[1], t0 + 35 * kMinuteMs));  // the cooldown
  EXPECT_EQ(restored.trades_in_last_hour(explorers[1], t0 + 30 * kMinuteMs), 2);

  // The same further trades keep them in step.
  for (ExplorationManager* manager : {&manager_, &restored}) {
    manager->restore_trade(explorers[2], t0 + 50 * kMinuteMs);
    manager->restore_trade(explorers[0], t0 + 3 * kHourMs);
  }
  EXPECT_EQ(restored.save_state(), manager_.save_state());
  EXPECT_EQ(gates(restored, t0 + kHourMs), gates(manager_, t0 + kHourMs));

  // An empty state clears the times.
  restored.restore_state(ExplorationManager(registry_, config_, nullptr).save_state());
  EXPECT_TRUE(restored.can_trade(explorers[0], t0 + 3 * kHourMs));
}

TEST_F(ExplorationManagerTest, MalformedStateThrowsAndKeepsTheTimes) {
  manager_.ensure_active_candidates(Asset::kSpot, 0);
  manager_.record_trade(strategy_id(ema(1)), 1000);
  const std::string saved = manager_.save_state();
  for (const std::string text : {
           "",
           "not json",
           "[]",
           "{}",
           R"({"trade_times":[[1000]]})",
           R"({"trade_times":{"a":1000}})",
           R"({"trade_times":{"a":["1000"]}})",
           R"({"trade_times":{"a":[2000,1000]}})",
           R"({"trade_times":{"a":[1000])",
       }) {
    EXPECT_THROW(manager_.restore_state(text), StateError) << text;
    EXPECT_EQ(manager_.save_state(), saved) << "a failed restore keeps the times: " << text;
  }
}

// --- Boost ------------------------------------------------------------------------------------

TEST_F(ExplorationManagerTest, BoostSetsAndClearsTheRegistryFlag) {
  manager_.ensure_active_candidates(Asset::kSpot, 0);
  const std::string id = strategy_id(ema(2));
  EXPECT_TRUE(manager_.boost(id, true, 100));
  EXPECT_TRUE(registry_.get(id)->flags.contains("boosted"));
  EXPECT_EQ(ids(registry_.get_for(Asset::kSpot, S::kExploring, {"boosted"})),
            std::vector<std::string>{id});
  EXPECT_TRUE(manager_.boost(id, false, 200));
  EXPECT_TRUE(registry_.get(id)->flags.empty());
  EXPECT_EQ(manager_.boost("nope", true, 300).code(), "unknown_strategy");
  const std::vector<Transition> history = registry_.history(id);
  ASSERT_EQ(history.size(), 4u);
  EXPECT_EQ(history[2].kind, TransitionKind::kFlagAdded);
  EXPECT_EQ(history[2].flag, "boosted");
  EXPECT_EQ(history[3].kind, TransitionKind::kFlagRemoved);
  EXPECT_EQ(history[3].time, 200);
}

// --- Review and monitoring ----------------------------------------------------------------------

ReviewInput reviewed(int64_t closed, double profit_factor, ReviewInput::Phase1 phase1) {
  ReviewInput in;
  in.closed_trades = closed;
  in.profit_factor = profit_factor;
  in.phase1 = phase1;
  in.phase1_reason = "ok";
  return in;
}

TEST_F(ExplorationManagerTest, ReviewValidatesOnPhaseOneAndRetiresByTheRules) {
  manager_.ensure_active_candidates(Asset::kSpot, 1000);
  const std::vector<std::string> id = ids(registry_.get_for(Asset::kSpot, S::kExploring));
  using P = ReviewInput::Phase1;
  EXPECT_EQ(manager_.review(id[0], reviewed(40, 1.2, P::kPending), 2000), ReviewAction::kNone);
  EXPECT_EQ(manager_.review(id[0], reviewed(100, 1.2, P::kPass), 2001), ReviewAction::kValidate);
  EXPECT_EQ(registry_.get(id[0])->state, S::kValidating);
  EXPECT_EQ(manager_.review(id[1], reviewed(30, 0.5, P::kPending), 2002), ReviewAction::kRetired);
  EXPECT_EQ(manager_.review(id[2], reviewed(12, 2.0, P::kFail), 2003), ReviewAction::kRetired);
  EXPECT_NE(registry_.get(id[2])->reason.find("phase 1 failed"), std::string::npos);

  // Refused by the gate: it explores again, is validated again only after min_paper_trades more
  // closed trades, and is retired after max_validation_attempts refusals.
  config_.max_validation_attempts = 2;
  manager_.record_validation(id[0], 60, 2003, /*counts_as_attempt=*/false);  // too early
  EXPECT_EQ(registry_.get(id[0])->counters.count("validation_attempts"), 0u);
  ASSERT_TRUE(registry_.set_state(id[0], S::kExploring, "too early", 2003));
  EXPECT_EQ(manager_.review(id[0], reviewed(159, 1.2, P::kPass), 2003), ReviewAction::kNone)
      << "the next validation waits for 100 more trades, as after a counted refusal";
  EXPECT_EQ(manager_.review(id[0], reviewed(160, 1.2, P::kPass), 2003), ReviewAction::kValidate);
  manager_.record_validation(id[0], 100, 2004);
  ASSERT_TRUE(registry_.set_state(id[0], S::kExploring, "refused", 2005));
  EXPECT_EQ(manager_.review(id[0], reviewed(150, 1.2, P::kPass), 2006), ReviewAction::kNone);
  EXPECT_EQ(manager_.review(id[0], reviewed(200, 1.2, P::kPass), 2007), ReviewAction::kValidate);
  manager_.record_validation(id[0], 200, 2008);
  ASSERT_TRUE(registry_.set_state(id[0], S::kExploring, "refused", 2009));
  EXPECT_EQ(manager_.review(id[0], reviewed(201, 1.2, P::kPass), 2010), ReviewAction::kRetired);
  EXPECT_NE(registry_.get(id[0])->reason.find("refused it 2 times"), std::string::npos)
      << registry_.get(id[0])->reason;
}

TEST_F(ExplorationManagerTest, APromotedStrategyIsDemotedByADrawdownBeyondTheGate) {
  manager_.ensure_active_candidates(Asset::kSpot, 1000);
  const std::string id = registry_.get_for(Asset::kSpot, S::kExploring).front().id;
  ASSERT_TRUE(manager_.promote_candidate(id, "validating", 1001));
  validation::GateDecision passed;
  passed.passed = true;
  ASSERT_TRUE(
      validation::PromotionGate(config::ValidationGate{}).apply(registry_, id, passed, 1002));
  const Decimal allocation = Decimal::parse("250");
  // +20, then -30: a drawdown of 30 from the peak of 20, within 15 % of 250 = 37.5.
  EXPECT_FALSE(manager_.monitor_promoted(id, Decimal::parse("20"), allocation, 0.15, 1003));
  EXPECT_FALSE(manager_.monitor_promoted(id, Decimal::parse("-30"), allocation, 0.15, 1004));
  EXPECT_EQ(registry_.get(id)->state, S::kPromoted);
  // -8 more: 38 from the peak, beyond 37.5: demoted with the figures.
  EXPECT_TRUE(manager_.monitor_promoted(id, Decimal::parse("-8"), allocation, 0.15, 1005));
  EXPECT_EQ(registry_.get(id)->state, S::kExploring);
  EXPECT_EQ(
      registry_.get(id)->reason,
      "demoted: drawdown 38 since promotion exceeds max_drawdown 0.15 x allocation 250 = 37.5");
}

}  // namespace
}  // namespace gauntlet::strategies
