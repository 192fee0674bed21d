#include "strategies/strategy_scheduler.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/exceptions.hpp"
#include "core/store/sqlite_store.hpp"
#include "core/time.hpp"
#include "strategies/exploration_manager.hpp"
#include "strategies/strategy_registry.hpp"

namespace gauntlet::strategies {
namespace {

using store::SqliteStore;
using S = StrategyState;

constexpr TimestampMs kStart = 100 * kDayMs;

class StrategySchedulerTest : public ::testing::Test {
 protected:
  StrategySchedulerTest() {
    config_.active_candidates_per_asset = 4;
    config_.rotation = config::Rotation::kRoundRobinWithBoost;
    config_.boost_factor = 2.0;
    config_.max_trades_per_hour_per_candidate = 4;
    config_.cooldown_after_trade = 15 * kMinuteMs;
    // Four exploring spot candidates a, b, c, d, in this registry order (created_at).
    for (int i = 0; i < 4; ++i) {
      const StrategyDescriptor descriptor{"rsi_reversion", Asset::kSpot,
                                          R"({"period":)" + std::to_string(10 + i) + "}"};
      const StrategyRecord record = registry_.create(descriptor, 10 + i);
      EXPECT_TRUE(registry_.set_state(record.id, S::kExploring, "test", 10 + i));
      ids_.push_back(record.id);
    }
  }

  Opportunity opportunity(TimestampMs time, std::vector<std::string> fired = {}) const {
    return {Asset::kSpot, Symbol::parse("BTCUSDT"), time, 0.8, std::move(fired)};
  }

  // Runs `count` opportunities (all at `time`: nobody trades, so no quota interferes) and
  // returns the picks per id.
  std::map<std::string, int> run(int count, TimestampMs time = kStart) {
    std::map<std::string, int> picks;
    for (int i = 0; i < count; ++i) {
      const std::optional<std::string> id = scheduler_.next_candidate(opportunity(time));
      if (id) ++picks[*id];
    }
    return picks;
  }

  std::unique_ptr<SqliteStore> store_ = SqliteStore::open_in_memory();
  StrategyRegistry registry_{*store_};
  config::Exploration config_;
  ExplorationManager exploration_{registry_, config_, nullptr};
  StrategyScheduler scheduler_{registry_, exploration_, config_};
  std::vector<std::string> ids_;
};

// --- Eligibility ------------------------------------------------------------------------------

TEST_F(StrategySchedulerTest, NobodyEligibleGivesNone) {
  Opportunity perp = opportunity(kStart);
  perp.asset = Asset::kPerp;
  EXPECT_EQ(scheduler_.next_candidate(perp), std::nullopt);
  EXPECT_EQ(scheduler_.next_candidate(opportunity(kStart, {"unknown-0000000000"})), std::nullopt);
  for (const std::string& id : ids_) {
    EXPECT_TRUE(registry_.add_flag(id, "paused", "operator", kStart));
  }
  EXPECT_EQ(scheduler_.next_candidate(opportunity(kStart)), std::nullopt);
}

TEST_F(StrategySchedulerTest, OnlyCandidatesWhoseSignalFiredAreServed) {
  std::map<std::string, int> picks;
  for (int i = 0; i < 100; ++i) {
    ++picks[*scheduler_.next_candidate(opportunity(kStart, {ids_[1], ids_[3], "nobody"}))];
  }
  EXPECT_EQ(picks, (std::map<std::string, int>{{ids_[1], 50}, {ids_[3], 50}}));
}

TEST_F(StrategySchedulerTest, BlockingFlagsRejectButBoostedDoesNot) {
  EXPECT_TRUE(registry_.add_flag(ids_[0], "broker_desync", "reconciler", kStart));
  EXPECT_TRUE(registry_.add_flag(ids_[1], "paused", "operator", kStart));
  EXPECT_TRUE(exploration_.boost(ids_[2], true, kStart));
  std::map<std::string, int> picks = run(300);
  EXPECT_EQ(picks.count(ids_[0]), 0u);
  EXPECT_EQ(picks.count(ids_[1]), 0u);
  EXPECT_EQ(picks[ids_[2]], 200);  // weight 2 of 3
  EXPECT_EQ(picks[ids_[3]], 100);
  // Only the blocked candidate fired: nobody.
  EXPECT_EQ(scheduler_.next_candidate(opportunity(kStart, {ids_[1]})), std::nullopt);
  // Cleared, it is served again.
  EXPECT_TRUE(registry_.remove_flag(ids_[1], "paused", "operator", kStart));
  EXPECT_EQ(scheduler_.next_candidate(opportunity(kStart, {ids_[1]})), ids_[1]);
}

// Exploring, validating and promoted strategies trade on paper; retired ones do not.
TEST_F(StrategySchedulerTest, OnlyStrategiesThatTradeOnPaperAreServed) {
  EXPECT_TRUE(exploration_.promote_candidate(ids_[0], "validating", kStart));
  EXPECT_TRUE(exploration_.retire_candidate(ids_[1], "retired", kStart));
  EXPECT_EQ(run(99), (std::map<std::string, int>{{ids_[0], 33}, {ids_[2], 33}, {ids_[3], 33}}));
  EXPECT_EQ(scheduler_.next_candidate(opportunity(kStart, {ids_[1]})), std::nullopt);
}

TEST_F(StrategySchedulerTest, CooldownAndHourlyCapRejectAtExactTimes) {
  exploration_.record_trade(ids_[0], kStart);
  const auto fired_a = [&](TimestampMs time) {
    return scheduler_.next_candidate(opportunity(time, {ids_[0]}));
  };
  EXPECT_EQ(fired_a(kStart + 15 * kMinuteMs - 1), std::nullopt);
  EXPECT_EQ(fired_a(kStart + 15 * kMinuteMs), ids_[0]);
  exploration_.record_trade(ids_[0], kStart + 15 * kMinuteMs);
  exploration_.record_trade(ids_[0], kStart + 30 * kMinuteMs);
  exploration_.record_trade(ids_[0], kStart + 45 * kMinuteMs);
  // Four trades in the last hour: capped even after the cooldown, until the first leaves.
  EXPECT_EQ(fired_a(kStart + kHourMs - 1), std::nullopt);
  EXPECT_EQ(fired_a(kStart + kHourMs), ids_[0]);
  EXPECT_EQ(registry_.get(ids_[0])->counters.at("trades"), 4);
}

// --- Fairness ---------------------------------------------------------------------------------

TEST_F(StrategySchedulerTest, RoundRobinServesInRegistryOrder) {
  config_.rotation = config::Rotation::kRoundRobin;
  std::vector<std::string> picks;
  for (int i = 0; i < 8; ++i) picks.push_back(*scheduler_.next_candidate(opportunity(kStart)));
  EXPECT_EQ(picks, (std::vector<std::string>{ids_[0], ids_[1], ids_[2], ids_[3], ids_[0], ids_[1],
                                             ids_[2], ids_[3]}));
  // Least recently served first: a..d were served at sequence 5..8, so when c and b fire, b
  // (6) comes before c (7).
  EXPECT_EQ(scheduler_.next_candidate(opportunity(kStart, {ids_[2], ids_[1]})), ids_[1]);
  EXPECT_EQ(scheduler_.next_candidate(opportunity(kStart, {ids_[2], ids_[1]})), ids_[2]);
  // Now a (5) and d (8) have waited longest, a first.
  EXPECT_EQ(scheduler_.next_candidate(opportunity(kStart)), ids_[0]);
  EXPECT_EQ(scheduler_.next_candidate(opportunity(kStart)), ids_[3]);
}

TEST_F(StrategySchedulerTest, EqualCandidatesShareEqually) {
  for (const config::Rotation rotation :
       {config::Rotation::kRoundRobin, config::Rotation::kRoundRobinWithBoost}) {
    config_.rotation = rotation;
    const std::map<std::string, int> picks = run(10'000);
    ASSERT_EQ(picks.size(), 4u);
    for (const auto& [id, count] : picks) EXPECT_NEAR(count, 2'500, 1) << id;
  }
}

TEST_F(StrategySchedulerTest, BoostedCandidateGetsBoostFactorTimesTheShare) {
  EXPECT_TRUE(exploration_.boost(ids_[1], true, kStart));
  std::map<std::string, int> picks = run(10'000);
  EXPECT_NEAR(picks[ids_[1]], 4'000, 100);  // 2/5 +- 1 %
  for (const std::size_t other : {0u, 2u, 3u}) EXPECT_NEAR(picks[ids_[other]], 2'000, 100);
  // Smooth: in every window of five picks the boosted one is served twice.
  std::vector<std::string> sequence;
  for (int i = 0; i < 50; ++i) sequence.push_back(*scheduler_.next_candidate(opportunity(kStart)));
  for (std::size_t window = 0; window + 5 <= sequence.size(); window += 5) {
    int boosted = 0;
    for (std::size_t i = window; i < window + 5; ++i) boosted += sequence[i] == ids_[1] ? 1 : 0;
    EXPECT_EQ(boosted, 2) << "window at " << window;
  }
  // Plain round robin ignores the boost.
  config_.rotation = config::Rotation::kRoundRobin;
  for (const auto& [id, count] : run(10'000)) EXPECT_NEAR(count, 2'500, 1) << id;
  // A boost factor of 3 gives 3/6.
  config_.rotation = config::Rotation::kRoundRobinWithBoost;
  config_.boost_factor = 3.0;
  picks = run(12'000);
  EXPECT_NEAR(picks[ids_[1]], 6'000, 120);
}

TEST_F(StrategySchedulerTest, CoolingCandidatesAreSkippedAndTheirShareMoves) {
  exploration_.record_trade(ids_[0], kStart);
  // During a's cooldown the three others share everything.
  std::map<std::string, int> picks = run(9'000, kStart + kMinuteMs);
  EXPECT_EQ(picks.count(ids_[0]), 0u);
  for (const std::size_t other : {1u, 2u, 3u}) EXPECT_NEAR(picks[ids_[other]], 3'000, 1);
  // After it, a is back for its quarter.
  picks = run(10'000, kStart + 15 * kMinuteMs);
  for (const auto& [id, count] : picks) EXPECT_NEAR(count, 2'500, 1) << id;
}

TEST_F(StrategySchedulerTest, TradingEveryPickKeepsQuotasAndFairness) {
  // An opportunity every minute for ten hours; every pick trades. With four candidates, a
  // 15 min cooldown and a cap of 4 per hour, each can take every fourth minute at most once
  // per 15 min: exactly what a fair rotation gives them.
  std::map<std::string, std::vector<TimestampMs>> trades;
  int served = 0;
  for (TimestampMs time = kStart; time < kStart + 10 * kHourMs; time += kMinuteMs) {
    const std::optional<std::string> id = scheduler_.next_candidate(opportunity(time));
    if (!id) continue;
    ++served;
    std::vector<TimestampMs>& times = trades[*id];
    if (!times.empty()) {
      EXPECT_GE(time - times.back(), 15 * kMinuteMs) << *id;
    }
    int in_last_hour = 0;
    for (const TimestampMs previous : times) in_last_hour += previous > time - kHourMs ? 1 : 0;
    EXPECT_LT(in_last_hour, 4) << *id;
    times.push_back(time);
    exploration_.record_trade(*id, time);
  }
  // 4 candidates x 4 per hour x 10 hours.
  EXPECT_EQ(served, 160);
  ASSERT_EQ(trades.size(), 4u);
  for (const auto& [id, times] : trades) {
    EXPECT_EQ(times.size(), 40u) << id;
    EXPECT_EQ(registry_.get(id)->counters.at("trades"), 40);
  }
}

TEST_F(StrategySchedulerTest, PicksAreDeterministic) {
  EXPECT_TRUE(exploration_.boost(ids_[3], true, kStart));
  std::vector<std::string> first;
  for (int i = 0; i < 200; ++i) {
    first.push_back(*scheduler_.next_candidate(opportunity(
        kStart, i % 3 == 0 ? std::vector{ids_[0], ids_[3]} : std::vector<std::string>{})));
  }
  StrategyScheduler again(registry_, exploration_, config_);
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(again.next_candidate(opportunity(
                  kStart, i % 3 == 0 ? std::vector{ids_[0], ids_[3]} : std::vector<std::string>{})),
              first[static_cast<std::size_t>(i)]);
  }
}

// --- Persistence ------------------------------------------------------------------------------

TEST_F(StrategySchedulerTest, ARestoredRotationSavesTheSameBytesAndPicksTheSame) {
  // A boost of 1.3 gives credits that are not small integers: ties depend on every bit.
  config_.boost_factor = 1.3;
  EXPECT_TRUE(exploration_.boost(ids_[1], true, kStart));
  const std::vector<std::vector<std::string>> fired = {
      {}, {ids_[0], ids_[2]}, {ids_[1]}, {ids_[3], ids_[1]}, {}, {ids_[2], ids_[3], ids_[0]}};
  const auto opportunity_at = [&](int i) {
    return opportunity(kStart + i * kMinuteMs, fired[static_cast<std::size_t>(i) % fired.size()]);
  };
  for (int i = 0; i < 37; ++i) scheduler_.next_candidate(opportunity_at(i));
  Opportunity perp = opportunity(kStart);
  perp.asset = Asset::kPerp;
  EXPECT_EQ(scheduler_.next_candidate(perp), std::nullopt);
  const std::string saved = scheduler_.save_state();
  EXPECT_EQ(scheduler_.save_state(), saved) << "saving is deterministic";

  StrategyScheduler restored(registry_, exploration_, config_);
  restored.restore_state(saved);
  EXPECT_EQ(restored.save_state(), saved);

  // The next 200 picks, with trades that start cooldowns and caps, are the same; a scheduler
  // that starts afresh picks differently.
  StrategyScheduler fresh(registry_, exploration_, config_);
  int differences = 0;
  for (int i = 37; i < 237; ++i) {
    const std::optional<std::string> pick = scheduler_.next_candidate(opportunity_at(i));
    EXPECT_EQ(restored.next_candidate(opportunity_at(i)), pick) << "pick " << i;
    if (fresh.next_candidate(opportunity_at(i)) != pick) ++differences;
    if (pick && i % 7 == 0) exploration_.record_trade(*pick, kStart + i * kMinuteMs);
  }
  EXPECT_GT(differences, 0);
  EXPECT_EQ(restored.save_state(), scheduler_.save_state());
}

TEST_F(StrategySchedulerTest, CreditsRoundTripBitExactly) {
  const std::vector<double> credits = {0.1 + 0.2, -0.0, std::numeric_limits<double>::denorm_min(),
                                       -std::numeric_limits<double>::max()};
  nlohmann::json document;
  for (std::size_t i = 0; i < ids_.size(); ++i) {
    document["rotation"]["spot"][ids_[i]] = {{"credit", credits[i]}, {"last_served", i + 1}};
  }
  document["serve_sequence"] = 4;
  const std::string text = document.dump();
  EXPECT_NE(text.find("0.30000000000000004"), std::string::npos) << text;

  scheduler_.restore_state(text);
  EXPECT_EQ(scheduler_.save_state(), text);
  const nlohmann::json saved = nlohmann::json::parse(scheduler_.save_state());
  for (std::size_t i = 0; i < ids_.size(); ++i) {
    const double credit = saved.at("rotation").at("spot").at(ids_[i]).at("credit").get<double>();
    EXPECT_EQ(std::bit_cast<uint64_t>(credit), std::bit_cast<uint64_t>(credits[i])) << i;
  }
  // The most credit wins: 0.30000000000000004 + 1 beats the others' credit + 1.
  EXPECT_EQ(scheduler_.next_candidate(opportunity(kStart)), ids_[0]);
}

TEST_F(StrategySchedulerTest, MalformedStateThrowsAndKeepsTheRotation) {
  run(5);
  const std::string saved = scheduler_.save_state();
  const std::string a = ids_[0];
  const std::vector<std::string> malformed = {
      "",
      "not json",
      "[]",
      "{}",
      R"({"rotation":{}})",
      R"({"rotation":{},"serve_sequence":-1})",
      R"({"rotation":{},"serve_sequence":"4"})",
      R"({"rotation":[],"serve_sequence":4})",
      R"({"rotation":{"moon":{}},"serve_sequence":4})",
      R"({"rotation":{"spot":[]},"serve_sequence":4})",
      R"({"rotation":{"spot":{")" + a + R"(":{"credit":"1.5","last_served":1}}},)" +
          R"("serve_sequence":4})",
      R"({"rotation":{"spot":{")" + a + R"(":{"credit":null,"last_served":1}}},)" +
          R"("serve_sequence":4})",
      R"({"rotation":{"spot":{")" + a + R"(":{"credit":1.5}}},"serve_sequence":4})",
      R"({"rotation":{"spot":{")" + a + R"(":{"credit":1.5,"last_served":1.5}}},)" +
          R"("serve_sequence":4})",
      R"({"rotation":{"spot":{")" + a + R"(":{"credit":1.5,"last_served":5}}},)" +
          R"("serve_sequence":4})",
  };
  for (const std::string& text : malformed) {
    EXPECT_THROW(scheduler_.restore_state(text), StateError) << text;
    EXPECT_EQ(scheduler_.save_state(), saved) << "a failed restore keeps the rotation: " << text;
  }
}

}  // namespace
}  // namespace gauntlet::strategies
