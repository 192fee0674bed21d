// The promotion gate: every criterion with its value and threshold, the minimum evidence of
// validation.md §12 (INSUFFICIENT, values not compared), undefined values failing, +inf
// passing only with the evidence, and the registry's promotion reachable only through it. The
// trial log behind the Deflated Sharpe Ratio: one trial per strategy, its variance.
#include "validation/promotion_gate.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <string>

#include "core/store/sqlite_store.hpp"
#include "support/temp_dir.hpp"
#include "validation/trial_log.hpp"

namespace gauntlet::validation {
namespace {

// A candidate that clears every default threshold with room to spare.
GateInput strong() {
  GateInput in;
  in.online_trades = 120;
  in.online_passed = true;
  in.trades = 150;
  in.history_days = 200;
  in.returns = 200 * 96;
  in.profit_factor = 1.8;
  in.sharpe = 2.6;
  in.max_drawdown = 0.08;
  in.cvar_95 = 0.004;
  in.reconciliation_error = 0.0;
  in.deflated_sharpe = 0.97;
  in.trials = 40;
  in.pbo = 0.2;
  in.family_size = 12;
  return in;
}

const GateCriterionResult& criterion(const GateDecision& d, const std::string& name) {
  const auto found = std::find_if(d.criteria.begin(), d.criteria.end(),
                                  [&](const GateCriterionResult& c) { return c.name == name; });
  EXPECT_NE(found, d.criteria.end()) << name;
  return *found;
}

TEST(PromotionGate, PassesAStrongCandidateAndListsEveryCriterion) {
  const GateDecision d = decide(strong(), config::ValidationGate{});
  EXPECT_TRUE(d.passed);
  EXPECT_TRUE(d.reasons.empty());
  for (const char* name : {"min_trades", "min_history_days", "min_tail_observations",
                           "online_validation", "profit_factor", "sharpe", "max_drawdown",
                           "cvar_95", "deflated_sharpe", "pbo", "reconciliation"}) {
    EXPECT_EQ(criterion(d, name).verdict, Verdict::kPass) << name;
  }
  EXPECT_EQ(criterion(d, "profit_factor").threshold, 1.5);
  EXPECT_EQ(criterion(d, "profit_factor").comparison, ">=");
  EXPECT_EQ(criterion(d, "max_drawdown").threshold, 0.15);
  EXPECT_EQ(criterion(d, "max_drawdown").comparison, "<=");
  EXPECT_EQ(criterion(d, "sharpe").threshold, 2.0);
}

TEST(PromotionGate, EveryFailingCriterionGivesItsReasonWithValueAndThreshold) {
  GateInput in = strong();
  in.profit_factor = 1.2;
  in.sharpe = 1.5;
  in.max_drawdown = 0.2;
  in.cvar_95 = 0.02;
  in.deflated_sharpe = 0.6;
  in.pbo = 0.7;
  in.reconciliation_error = 0.01;
  const GateDecision d = decide(in, config::ValidationGate{});
  EXPECT_FALSE(d.passed);
  ASSERT_EQ(d.reasons.size(), 7u);
  EXPECT_EQ(d.reasons[0], "profit_factor: 1.2 < 1.5");
  EXPECT_EQ(d.reasons[1], "sharpe: 1.5 < 2");
  EXPECT_EQ(d.reasons[2], "max_drawdown: 0.2 > 0.15");
  EXPECT_EQ(d.reasons[3], "cvar_95: 0.02 > 0.01");
  EXPECT_EQ(d.reasons[4], "deflated_sharpe: 0.6 < 0.95");
  EXPECT_EQ(d.reasons[5], "pbo: 0.7 > 0.5");
  EXPECT_NE(d.reasons[6].find("reconciliation: engine and broker P&L differ"), std::string::npos);
  EXPECT_FALSE(d.short_of_evidence_only());
}

TEST(PromotionGate, ShortEvidenceMakesTheMetricsInsufficientWithoutComparingThem) {
  GateInput in = strong();
  in.trades = 40;
  in.profit_factor = std::numeric_limits<double>::infinity();  // no losing trade yet
  const GateDecision d = decide(in, config::ValidationGate{});
  EXPECT_FALSE(d.passed);
  EXPECT_EQ(criterion(d, "min_trades").verdict, Verdict::kFail);
  for (const char* name :
       {"profit_factor", "sharpe", "max_drawdown", "cvar_95", "deflated_sharpe", "pbo"}) {
    const GateCriterionResult& c = criterion(d, name);
    EXPECT_EQ(c.verdict, Verdict::kInsufficient) << name;
    EXPECT_EQ(c.note, "40 closed trades < 100") << name;
  }
  EXPECT_EQ(criterion(d, "profit_factor").value, std::numeric_limits<double>::infinity());
  EXPECT_NE(std::find(d.reasons.begin(), d.reasons.end(),
                      "profit_factor: INSUFFICIENT: 40 closed trades < 100"),
            d.reasons.end());

  // History and the CVaR tail (n·α >= 20, so n >= 400).
  in = strong();
  in.history_days = 30;
  in.returns = 300;
  const GateDecision short_history = decide(in, config::ValidationGate{});
  EXPECT_EQ(criterion(short_history, "sharpe").note, "30.0 days of history < 180");
  EXPECT_EQ(criterion(short_history, "cvar_95").note,
            "30.0 days of history < 180, 15.0 returns in the CVaR tail < 20");
  EXPECT_EQ(criterion(short_history, "min_tail_observations").verdict, Verdict::kFail);

  // Refused for want of evidence only: too early, not bad (it does not count as an attempt);
  // with a criterion the evidence does not excuse (the broker's truth), it is a refusal.
  EXPECT_TRUE(d.short_of_evidence_only());
  EXPECT_TRUE(short_history.short_of_evidence_only());
  in.reconciliation_error = 0.01;
  EXPECT_FALSE(decide(in, config::ValidationGate{}).short_of_evidence_only());
  EXPECT_FALSE(decide(strong(), config::ValidationGate{}).short_of_evidence_only());
}

TEST(PromotionGate, UndefinedValuesFailAndInfinityPassesWithTheEvidence) {
  GateInput in = strong();
  in.sharpe.reset();
  in.pbo.reset();
  in.family_size = 1;
  in.profit_factor = std::numeric_limits<double>::infinity();
  const GateDecision d = decide(in, config::ValidationGate{});
  EXPECT_EQ(criterion(d, "profit_factor").verdict, Verdict::kPass);
  EXPECT_EQ(criterion(d, "sharpe").verdict, Verdict::kFail);
  EXPECT_NE(criterion(d, "sharpe").note.find("degenerate return series"), std::string::npos);
  EXPECT_NE(criterion(d, "pbo").note.find("a family of 1 candidates"), std::string::npos);
  EXPECT_FALSE(d.passed);
}

TEST(PromotionGate, OnlinePhaseAndBrokerTruthAreCriteria) {
  GateInput in = strong();
  in.online_passed = false;
  in.online_trades = 60;
  in.broker_desync = true;
  const GateDecision d = decide(in, config::ValidationGate{});
  EXPECT_FALSE(d.passed);
  EXPECT_NE(criterion(d, "online_validation").note.find("60 closed paper trades"),
            std::string::npos);
  EXPECT_NE(criterion(d, "reconciliation").note.find("broker_desync"), std::string::npos);
}

TEST(PromotionGate, ThresholdsComeFromTheConfig) {
  config::ValidationGate loose;
  loose.min_profit_factor = 1.1;
  loose.min_trades = 30;
  GateInput in = strong();
  in.profit_factor = 1.2;
  in.trades = 35;
  EXPECT_TRUE(decide(in, loose).passed);
  EXPECT_FALSE(decide(in, config::ValidationGate{}).passed);
}

TEST(PromotionGate, IsTheOnlyWayToPromoteAValidatingStrategy) {
  testing::TempDir dir;
  auto store = store::SqliteStore::open(dir.path() / "g.db");
  strategies::StrategyRegistry registry(*store);
  const std::string id = registry.create({"ema_cross", Asset::kSpot, "{}"}, 1000).id;
  ASSERT_TRUE(registry.set_state(id, strategies::StrategyState::kExploring, "explore", 1001));
  const PromotionGate gate{config::ValidationGate{}};

  // Not validating yet: the gate refuses to act.
  GateDecision passed;
  passed.passed = true;
  EXPECT_FALSE(gate.apply(registry, id, passed, 1002));
  ASSERT_TRUE(registry.set_state(id, strategies::StrategyState::kValidating, "phase 1", 1003));
  EXPECT_EQ(
      registry.set_state(id, strategies::StrategyState::kPromoted, "skip the gate", 1004).reason,
      "promotion_gate_only: validating -> promoted goes through the promotion gate");

  // A failing decision sends it back to exploring with the reasons.
  const GateDecision failed = gate.decide(GateInput{});
  ASSERT_FALSE(failed.passed);
  ASSERT_TRUE(gate.apply(registry, id, failed, 1005));
  EXPECT_EQ(registry.get(id)->state, strategies::StrategyState::kExploring);
  EXPECT_NE(registry.get(id)->reason.find("promotion gate failed: min_trades"), std::string::npos);

  ASSERT_TRUE(registry.set_state(id, strategies::StrategyState::kValidating, "again", 1006));
  ASSERT_TRUE(gate.apply(registry, id, gate.decide(strong()), 1007));
  EXPECT_EQ(registry.get(id)->state, strategies::StrategyState::kPromoted);
}

TEST(TrialLog, CountsEveryStrategyOnceAndGivesTheSharpeVariance) {
  testing::TempDir dir;
  auto store = store::SqliteStore::open(dir.path() / "t.db");
  {
    TrialLog log(*store);
    EXPECT_EQ(log.trial_count(), 1u) << "at least one trial: the candidate itself";
    EXPECT_FALSE(log.sharpe_variance().has_value());
    log.record({"a", "ema_cross", Asset::kSpot, "{}", "w1", 10, 100, 0.01});
    log.record({"b", "ema_cross", Asset::kSpot, "{\"fast\":5}", "w1", 11, 100, 0.03});
    log.record({"c", "rsi_reversion", Asset::kSpot, "{}", "w1", 12, 100, std::nullopt});
    log.record({"a", "ema_cross", Asset::kSpot, "{}", "w2", 13, 200, 0.02});  // re-evaluated
  }
  TrialLog reopened(*store);
  const std::vector<Trial> trials = reopened.trials();
  ASSERT_EQ(trials.size(), 3u);
  EXPECT_EQ(trials[0].strategy_id, "a");
  EXPECT_EQ(trials[0].window, "w2");
  EXPECT_EQ(trials[0].returns, 200u);
  EXPECT_EQ(trials[2].sharpe_per_period, std::nullopt);
  EXPECT_EQ(reopened.trial_count(), 3u);
  // Defined Sharpes 0.02 and 0.03: mean 0.025, ddof 1 variance 2 · 0.005² = 5e-5.
  ASSERT_TRUE(reopened.sharpe_variance().has_value());
  EXPECT_NEAR(*reopened.sharpe_variance(), 5e-5, 1e-18);
}

}  // namespace
}  // namespace gauntlet::validation
