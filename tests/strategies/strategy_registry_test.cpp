#include "strategies/strategy_registry.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/store/sqlite_store.hpp"
#include "support/temp_dir.hpp"
#include "validation/promotion_gate.hpp"

namespace gauntlet::strategies {
namespace {

using store::SqliteStore;
using S = StrategyState;

// validating -> promoted: only through the promotion gate, with a decision that passed.
Decision promote_through_gate(StrategyRegistry& registry, const std::string& id, TimestampMs now) {
  validation::GateDecision passed;
  passed.passed = true;
  return validation::PromotionGate(config::ValidationGate{}).apply(registry, id, passed, now);
}

StrategyDescriptor ema(Asset asset = Asset::kSpot, std::string params = R"({"fast":9,"slow":21})") {
  return {"ema_cross", asset, std::move(params)};
}

std::vector<std::string> ids(const std::vector<StrategyRecord>& records) {
  std::vector<std::string> out;
  for (const StrategyRecord& record : records) out.push_back(record.id);
  return out;
}

class StrategyRegistryTest : public ::testing::Test {
 protected:
  std::unique_ptr<SqliteStore> store_ = SqliteStore::open_in_memory();
  StrategyRegistry registry_{*store_};
};

// --- Names ------------------------------------------------------------------------------------

TEST(StrategyStateTest, NamesRoundTrip) {
  const std::vector<std::string> names = {"candidate", "exploring", "validating",
                                          "promoted",  "live",      "retired"};
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto state = static_cast<StrategyState>(i);
    EXPECT_EQ(to_string(state), names[i]);
    EXPECT_EQ(strategy_state_from_string(names[i]), state);
  }
  EXPECT_EQ(strategy_state_from_string("Live"), std::nullopt);
  EXPECT_EQ(strategy_state_from_string(""), std::nullopt);
  EXPECT_EQ(to_string(TransitionKind::kFlagAdded), "flag_added");
  EXPECT_EQ(transition_kind_from_string("flag_removed"), TransitionKind::kFlagRemoved);
  EXPECT_EQ(transition_kind_from_string("flag"), std::nullopt);
}

// --- Identity ---------------------------------------------------------------------------------

TEST(StrategyIdTest, IsFamilyAndFnv1aOfAssetFamilyParams) {
  // The hash runs over the concatenated bytes asset + family + params_json, so the same bytes
  // split differently hash the same ("spot" + "a" + "" and "spot" + "" + "a").
  EXPECT_EQ(params_hash({"a", Asset::kSpot, ""}), params_hash({"", Asset::kSpot, "a"}));
  const StrategyDescriptor descriptor = ema();
  const std::string hash = params_hash(descriptor);
  EXPECT_EQ(hash.size(), 16u);
  EXPECT_EQ(hash.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(strategy_id(descriptor), "ema_cross-" + hash.substr(0, 10));
  // Deterministic and sensitive to each part.
  EXPECT_EQ(strategy_id(ema()), strategy_id(ema()));
  EXPECT_NE(strategy_id(ema(Asset::kPerp)), strategy_id(ema()));
  EXPECT_NE(strategy_id(ema(Asset::kSpot, R"({"fast":9,"slow":22})")), strategy_id(ema()));
}

TEST(StrategyIdTest, PinsTheHashOfAKnownDescriptor) {
  // FNV-1a 64 of "spotema_cross{}" computed independently (Python:
  // h=0xcbf29ce484222325; for b in data: h=((h^b)*0x100000001b3)&(2**64-1)).
  EXPECT_EQ(params_hash({"ema_cross", Asset::kSpot, "{}"}), "de28ef95c363af9d");
  EXPECT_EQ(strategy_id({"ema_cross", Asset::kSpot, "{}"}), "ema_cross-de28ef95c3");
}

TEST_F(StrategyRegistryTest, CreateStartsAsCandidate) {
  EXPECT_EQ(store_->schema_version("strategy_registry"), 1);
  const StrategyRecord record = registry_.create(ema(), 1000);
  EXPECT_EQ(record.id, strategy_id(ema()));
  EXPECT_EQ(record.family, "ema_cross");
  EXPECT_EQ(record.asset, Asset::kSpot);
  EXPECT_EQ(record.params_json, R"({"fast":9,"slow":21})");
  EXPECT_EQ(record.params_hash, params_hash(ema()));
  EXPECT_EQ(record.state, S::kCandidate);
  EXPECT_TRUE(record.flags.empty());
  EXPECT_TRUE(record.counters.empty());
  EXPECT_EQ(record.created_at, 1000);
  EXPECT_EQ(record.updated_at, 1000);
  EXPECT_EQ(record.reason, "created");
  EXPECT_EQ(registry_.get(record.id), record);
  EXPECT_EQ(registry_.get("ema_cross-0000000000"), std::nullopt);
}

TEST_F(StrategyRegistryTest, CreateIsIdempotent) {
  const StrategyRecord first = registry_.create(ema(), 1000);
  ASSERT_TRUE(registry_.set_state(first.id, S::kExploring, "rotation", 2000));
  const StrategyRecord again = registry_.create(ema(), 3000);
  EXPECT_EQ(again.id, first.id);
  EXPECT_EQ(again.state, S::kExploring);  // the existing record, not a fresh candidate
  EXPECT_EQ(again.created_at, 1000);
  EXPECT_EQ(registry_.size(), 1u);
  EXPECT_EQ(registry_.history(first.id).size(), 2u);  // created + exploring, nothing more
}

// --- Lifecycle --------------------------------------------------------------------------------

TEST_F(StrategyRegistryTest, WalksTheWholeLegalLifecycle) {
  const std::string id = registry_.create(ema(), 1000).id;
  EXPECT_TRUE(registry_.set_state(id, S::kExploring, "picked for exploration", 1001));
  EXPECT_TRUE(registry_.set_state(id, S::kValidating, "40 trades, pf 1.4", 1002));
  EXPECT_TRUE(registry_.set_state(id, S::kExploring, "validation failed: dd 12%", 1003));
  EXPECT_TRUE(registry_.set_state(id, S::kValidating, "second try", 1004));
  EXPECT_EQ(registry_.set_state(id, S::kPromoted, "validation passed", 1005),
            Decision::deny(
                "promotion_gate_only: validating -> promoted goes through the promotion gate"));
  EXPECT_TRUE(promote_through_gate(registry_, id, 1005));
  EXPECT_TRUE(registry_.set_state(id, S::kLive, "enable_live", 1006));
  EXPECT_TRUE(registry_.set_state(id, S::kPromoted, "disable_live", 1007));
  EXPECT_TRUE(registry_.set_state(id, S::kLive, "enable_live again", 1008));
  EXPECT_TRUE(registry_.set_state(id, S::kRetired, "decayed", 1009));

  const StrategyRecord record = *registry_.get(id);
  EXPECT_EQ(record.state, S::kRetired);
  EXPECT_EQ(record.reason, "decayed");
  EXPECT_EQ(record.updated_at, 1009);
  EXPECT_EQ(record.created_at, 1000);
}

TEST_F(StrategyRegistryTest, EveryNonRetiredStateCanRetire) {
  for (int i = 0; i < 5; ++i) {
    const auto target = static_cast<StrategyState>(i);
    const std::string id =
        registry_.create(ema(Asset::kSpot, "{\"n\":" + std::to_string(i) + "}"), 1000).id;
    // Walk to `target` along the main line.
    for (int step = 1; step <= i; ++step) {
      const auto next = static_cast<StrategyState>(step);
      ASSERT_TRUE(next == S::kPromoted ? promote_through_gate(registry_, id, 1000 + step)
                                       : registry_.set_state(id, next, "walk", 1000 + step));
    }
    ASSERT_EQ(registry_.get(id)->state, target);
    EXPECT_TRUE(registry_.set_state(id, S::kRetired, "done", 2000)) << to_string(target);
  }
}

TEST_F(StrategyRegistryTest, LegalTransitionTableIsExactlyTheSeeds) {
  int legal = 0;
  for (int from = 0; from < 6; ++from) {
    for (int to = 0; to < 6; ++to) {
      if (is_legal_transition(static_cast<S>(from), static_cast<S>(to))) ++legal;
    }
  }
  // 4 forward + validating->exploring + live->promoted + 2 demotions (promoted, live ->
  // exploring) + 5 retirements.
  EXPECT_EQ(legal, 13);
}

TEST_F(StrategyRegistryTest, DeniesIllegalTransitionsWithExactReasons) {
  const std::string id = registry_.create(ema(), 1000).id;
  EXPECT_EQ(registry_.set_state(id, S::kLive, "skip ahead", 1001),
            Decision::deny("illegal_transition: candidate -> live"));
  EXPECT_EQ(registry_.set_state(id, S::kValidating, "skip", 1001),
            Decision::deny("illegal_transition: candidate -> validating"));
  EXPECT_EQ(registry_.set_state(id, S::kCandidate, "same", 1001),
            Decision::deny("illegal_transition: candidate -> candidate"));
  ASSERT_TRUE(registry_.set_state(id, S::kExploring, "go", 1002));
  EXPECT_EQ(registry_.set_state(id, S::kPromoted, "skip validation", 1003),
            Decision::deny("illegal_transition: exploring -> promoted"));
  EXPECT_EQ(registry_.set_state(id, S::kCandidate, "back", 1003),
            Decision::deny("illegal_transition: exploring -> candidate"));
  ASSERT_TRUE(registry_.set_state(id, S::kValidating, "go", 1004));
  ASSERT_TRUE(promote_through_gate(registry_, id, 1005));
  EXPECT_EQ(registry_.set_state(id, S::kCandidate, "back", 1006),
            Decision::deny("illegal_transition: promoted -> candidate"));
  ASSERT_TRUE(registry_.set_state(id, S::kRetired, "end", 1007));
  EXPECT_EQ(registry_.set_state(id, S::kExploring, "revive", 1008),
            Decision::deny("illegal_transition: retired -> exploring"));
  EXPECT_EQ(registry_.set_state(id, S::kRetired, "again", 1008),
            Decision::deny("illegal_transition: retired -> retired"));

  const Decision denied = registry_.set_state(id, S::kLive, "x", 1009);
  EXPECT_EQ(denied.code(), "illegal_transition");
  // Denials change nothing and record nothing.
  const StrategyRecord record = *registry_.get(id);
  EXPECT_EQ(record.state, S::kRetired);
  EXPECT_EQ(record.reason, "end");
  EXPECT_EQ(record.updated_at, 1007);
  EXPECT_EQ(registry_.history(id).size(), 5u);
}

TEST_F(StrategyRegistryTest, UnknownIdIsDenied) {
  EXPECT_EQ(registry_.set_state("nope-0123456789", S::kExploring, "x", 1),
            Decision::deny("unknown_strategy: nope-0123456789"));
  EXPECT_EQ(registry_.add_flag("nope", "paused", "x", 1), Decision::deny("unknown_strategy: nope"));
  EXPECT_EQ(registry_.remove_flag("nope", "paused", "x", 1),
            Decision::deny("unknown_strategy: nope"));
  EXPECT_EQ(registry_.inc_counter("nope", "trades", 1), std::nullopt);
  EXPECT_TRUE(registry_.history("nope").empty());
}

// --- Flags and counters -----------------------------------------------------------------------

TEST_F(StrategyRegistryTest, FlagsAddAndRemoveIdempotently) {
  const std::string id = registry_.create(ema(), 1000).id;
  EXPECT_TRUE(registry_.add_flag(id, "paused", "operator pause", 1100));
  EXPECT_TRUE(registry_.add_flag(id, "broker_desync", "reconciler mismatch", 1200));
  EXPECT_TRUE(registry_.add_flag(id, "paused", "again", 1300));  // already set: no change
  EXPECT_EQ(registry_.get(id)->flags, (std::set<std::string>{"broker_desync", "paused"}));
  EXPECT_EQ(registry_.get(id)->updated_at, 1200);

  EXPECT_TRUE(registry_.remove_flag(id, "paused", "operator resume", 1400));
  EXPECT_TRUE(registry_.remove_flag(id, "blocked", "not set", 1500));  // not set: no change
  EXPECT_EQ(registry_.get(id)->flags, (std::set<std::string>{"broker_desync"}));
  EXPECT_EQ(registry_.get(id)->updated_at, 1400);
  EXPECT_EQ(registry_.get(id)->reason, "created");  // flags do not touch the state's reason
  EXPECT_EQ(registry_.history(id).size(), 4u);      // created + 2 added + 1 removed
}

TEST_F(StrategyRegistryTest, CountersIncrementAndReturnTheNewValue) {
  const std::string id = registry_.create(ema(), 1000).id;
  EXPECT_EQ(registry_.inc_counter(id, "trades", 1001), 1);
  EXPECT_EQ(registry_.inc_counter(id, "trades", 1002), 2);
  EXPECT_EQ(registry_.inc_counter(id, "trades", 5, 1003), 7);
  EXPECT_EQ(registry_.inc_counter(id, "losses", 1004), 1);
  EXPECT_EQ(registry_.inc_counter(id, "trades", -2, 1005), 5);
  const StrategyRecord record = *registry_.get(id);
  EXPECT_EQ(record.counters, (std::map<std::string, int64_t>{{"losses", 1}, {"trades", 5}}));
  EXPECT_EQ(record.updated_at, 1005);
  EXPECT_EQ(registry_.history(id).size(), 1u);  // counters are not history
}

// --- get_for ----------------------------------------------------------------------------------

TEST_F(StrategyRegistryTest, GetForFiltersByAssetStateAndFlagsInCreationOrder) {
  const std::string late = registry_.create(ema(Asset::kSpot, "{\"n\":1}"), 3000).id;
  const std::string early = registry_.create(ema(Asset::kSpot, "{\"n\":2}"), 1000).id;
  const std::string tie_b = registry_.create({"rsi_revert", Asset::kSpot, "{}"}, 2000).id;
  const std::string tie_a = registry_.create({"bb_break", Asset::kSpot, "{}"}, 2000).id;
  const std::string perp = registry_.create(ema(Asset::kPerp), 500).id;

  EXPECT_EQ(ids(registry_.get_for(Asset::kSpot)),
            (std::vector<std::string>{early, tie_a, tie_b, late}));
  EXPECT_EQ(ids(registry_.get_for(Asset::kPerp)), (std::vector<std::string>{perp}));
  EXPECT_TRUE(registry_.get_for(Asset::kForex).empty());

  ASSERT_TRUE(registry_.set_state(late, S::kExploring, "go", 4000));
  ASSERT_TRUE(registry_.set_state(tie_b, S::kExploring, "go", 4000));
  EXPECT_EQ(ids(registry_.get_for(Asset::kSpot, S::kExploring)),
            (std::vector<std::string>{tie_b, late}));
  EXPECT_EQ(ids(registry_.get_for(Asset::kSpot, S::kCandidate)),
            (std::vector<std::string>{early, tie_a}));
  EXPECT_TRUE(registry_.get_for(Asset::kPerp, S::kExploring).empty());

  ASSERT_TRUE(registry_.add_flag(late, "paused", "x", 5000));
  ASSERT_TRUE(registry_.add_flag(late, "blocked", "x", 5000));
  ASSERT_TRUE(registry_.add_flag(tie_b, "paused", "x", 5000));
  ASSERT_TRUE(registry_.add_flag(early, "paused", "x", 5000));
  EXPECT_EQ(ids(registry_.get_for(Asset::kSpot, std::nullopt, {"paused"})),
            (std::vector<std::string>{early, tie_b, late}));
  EXPECT_EQ(ids(registry_.get_for(Asset::kSpot, S::kExploring, {"paused"})),
            (std::vector<std::string>{tie_b, late}));
  EXPECT_EQ(ids(registry_.get_for(Asset::kSpot, std::nullopt, {"paused", "blocked"})),
            (std::vector<std::string>{late}));
  EXPECT_TRUE(registry_.get_for(Asset::kSpot, std::nullopt, {"broker_desync"}).empty());
}

// --- History ----------------------------------------------------------------------------------

TEST_F(StrategyRegistryTest, HistoryRecordsEveryChangeWithTimeAndReason) {
  const std::string id = registry_.create(ema(), 1000).id;
  ASSERT_TRUE(registry_.set_state(id, S::kExploring, "rotation slot", 1100));
  ASSERT_TRUE(registry_.add_flag(id, "paused", "operator pause", 1200));
  ASSERT_FALSE(registry_.set_state(id, S::kLive, "denied", 1250));
  ASSERT_TRUE(registry_.remove_flag(id, "paused", "operator resume", 1300));
  ASSERT_TRUE(registry_.set_state(id, S::kValidating, "40 trades", 1400));
  ASSERT_TRUE(registry_.set_state(id, S::kExploring, "validation failed", 1500));
  ASSERT_TRUE(registry_.set_state(id, S::kRetired, "no edge", 1600));

  const std::vector<Transition> expected = {
      {TransitionKind::kCreated, S::kCandidate, S::kCandidate, "", "created", 1000},
      {TransitionKind::kState, S::kCandidate, S::kExploring, "", "rotation slot", 1100},
      {TransitionKind::kFlagAdded, S::kExploring, S::kExploring, "paused", "operator pause", 1200},
      {TransitionKind::kFlagRemoved, S::kExploring, S::kExploring, "paused", "operator resume",
       1300},
      {TransitionKind::kState, S::kExploring, S::kValidating, "", "40 trades", 1400},
      {TransitionKind::kState, S::kValidating, S::kExploring, "", "validation failed", 1500},
      {TransitionKind::kState, S::kExploring, S::kRetired, "", "no edge", 1600},
  };
  EXPECT_EQ(registry_.history(id), expected);
}

TEST_F(StrategyRegistryTest, HistoryIsPerStrategy) {
  const std::string a = registry_.create(ema(), 1000).id;
  const std::string b = registry_.create(ema(Asset::kPerp), 1001).id;
  ASSERT_TRUE(registry_.set_state(a, S::kExploring, "a", 1002));
  ASSERT_TRUE(registry_.add_flag(b, "blocked", "b", 1003));
  ASSERT_EQ(registry_.history(a).size(), 2u);
  ASSERT_EQ(registry_.history(b).size(), 2u);
  EXPECT_EQ(registry_.history(a)[1].reason, "a");
  EXPECT_EQ(registry_.history(b)[1].flag, "blocked");
}

// --- Persistence ------------------------------------------------------------------------------

TEST(StrategyRegistryPersistenceTest, EverythingSurvivesReopeningTheFile) {
  gauntlet::testing::TempDir dir;
  const auto path = dir.path() / "state.sqlite";
  StrategyRecord before;
  std::vector<Transition> history_before;
  std::string other;
  {
    auto store = SqliteStore::open(path);
    StrategyRegistry registry(*store);
    const std::string id = registry.create(ema(), 1000).id;
    other = registry.create({"donchian", Asset::kPerp, R"({"n":20})"}, 1001).id;
    ASSERT_TRUE(registry.set_state(id, S::kExploring, "rotation", 1100));
    ASSERT_TRUE(registry.set_state(id, S::kValidating, "enough trades", 1200));
    ASSERT_TRUE(registry.add_flag(id, "broker_desync", "mismatch", 1300));
    ASSERT_TRUE(registry.add_flag(id, "paused", "operator", 1400));
    ASSERT_TRUE(registry.remove_flag(id, "paused", "operator", 1500));
    ASSERT_EQ(registry.inc_counter(id, "trades", 41, 1600), 41);
    ASSERT_EQ(registry.inc_counter(id, "losses", 1700), 1);
    before = *registry.get(id);
    history_before = registry.history(id);
  }
  auto store = SqliteStore::open(path);
  StrategyRegistry registry(*store);
  EXPECT_EQ(registry.size(), 2u);
  EXPECT_EQ(registry.get(before.id), before);
  EXPECT_EQ(registry.history(before.id), history_before);
  EXPECT_EQ(history_before.size(), 6u);
  EXPECT_EQ(registry.get(other)->state, S::kCandidate);

  // The reopened registry carries on: counters continue, create stays idempotent, the lifecycle
  // resumes from the stored state.
  EXPECT_EQ(registry.inc_counter(before.id, "trades", 1800), 42);
  EXPECT_EQ(registry.create(ema(), 9999).created_at, 1000);
  EXPECT_EQ(registry.set_state(before.id, S::kLive, "x", 1900),
            Decision::deny("illegal_transition: validating -> live"));
  EXPECT_TRUE(promote_through_gate(registry, before.id, 1900));
  EXPECT_EQ(registry.history(before.id).size(), 7u);
}

}  // namespace
}  // namespace gauntlet::strategies
