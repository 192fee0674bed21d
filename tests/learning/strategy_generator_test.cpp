#include "learning/ml/strategy_generator.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "core/config.hpp"
#include "core/exceptions.hpp"
#include "core/store/sqlite_store.hpp"
#include "strategies/exploration_manager.hpp"
#include "strategies/strategy.hpp"
#include "strategies/strategy_registry.hpp"
#include "support/shared_data.hpp"
#include "support/temp_dir.hpp"

namespace gauntlet::learning {
namespace {

using strategies::StrategyDescriptor;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::vector<std::string>& all_families_simple_to_complex() {
  static const std::vector<std::string> names = {
      "ema_cross",         "rsi_reversion", "bollinger_breakout", "bollinger_reversion",
      "donchian_breakout", "adx_trend",     "regime_switch"};
  return names;
}

StrategyGenerator shipped() {
  return StrategyGenerator::from_file(testing::project_source_dir() / "config" / "ml_search.json");
}

// ema_cross: fast 5..7 (3 points) x slow 25, 30 (2 points), the rest at their defaults; the
// default fast 9 lies off the grid. donchian_breakout: period 10, 15, 20 (3 points); its default
// 20 lies on the grid.
constexpr std::string_view kTiny = R"({
  "seed": 42,
  "families": {
    "donchian_breakout": {"complexity": 2, "parameters": {"period": {"min": 10, "max": 20, "step": 5}}},
    "ema_cross": {"complexity": 1, "parameters": {
      "fast": {"min": 5, "max": 7, "step": 1}, "slow": {"min": 25, "max": 30, "step": 5}}}
  },
  "assets": {"spot": ["donchian_breakout", "ema_cross"], "perp": ["ema_cross"]}
})";

std::vector<StrategyDescriptor> take(StrategyGenerator& generator, Asset asset, std::size_t n) {
  std::vector<StrategyDescriptor> out;
  for (std::size_t i = 0; i < n; ++i) {
    auto descriptor = generator.generate(asset);
    if (!descriptor) break;
    out.push_back(std::move(*descriptor));
  }
  return out;
}

std::vector<StrategyDescriptor> drain(StrategyGenerator& generator, Asset asset) {
  return take(generator, asset, 1'000'000);
}

std::vector<std::string> families_of(const std::vector<StrategyDescriptor>& descriptors) {
  std::vector<std::string> names;
  names.reserve(descriptors.size());
  for (const StrategyDescriptor& descriptor : descriptors) names.push_back(descriptor.family);
  return names;
}

const strategies::FamilyInfo& family_info(const std::string& name) {
  const auto& all = strategies::families();
  const auto found = std::find_if(all.begin(), all.end(),
                                  [&](const strategies::FamilyInfo& f) { return f.name == name; });
  EXPECT_NE(found, all.end()) << name;
  return *found;
}

strategies::Parameters defaults_of(const std::string& family) {
  strategies::Parameters parameters;
  for (const auto& spec : family_info(family).parameters) {
    parameters[spec.name] = spec.default_value;
  }
  return parameters;
}

// The problems of a config that must not load.
std::vector<std::string> problems_of(std::string_view text) {
  try {
    StrategyGenerator::from_json(text);
  } catch (const ConfigError& error) {
    return error.problems();
  }
  ADD_FAILURE() << "loaded without a ConfigError:\n" << text;
  return {};
}

// --- the shipped config -----------------------------------------------------------------------

TEST(StrategyGeneratorTest, ShippedConfigLoadsWithEveryRangeInsideItsFamily) {
  const StrategyGenerator generator = shipped();
  const SearchSpace& space = generator.search_space();
  EXPECT_TRUE(space.defaults_first);
  ASSERT_EQ(space.families.size(), strategies::families().size());
  int previous_complexity = 0;
  for (const FamilySearch& family : space.families) {
    EXPECT_GE(family.complexity, previous_complexity) << family.name;
    previous_complexity = family.complexity;
    const auto& info = family_info(family.name);
    ASSERT_EQ(family.parameters.size(), info.parameters.size()) << family.name;
    for (const ParameterRange& range : family.parameters) {
      const auto spec = std::find_if(info.parameters.begin(), info.parameters.end(),
                                     [&](const auto& p) { return p.name == range.name; });
      ASSERT_NE(spec, info.parameters.end()) << family.name << "." << range.name;
      EXPECT_GE(range.minimum, spec->minimum) << family.name << "." << range.name;
      EXPECT_LE(range.maximum, spec->maximum) << family.name << "." << range.name;
      EXPECT_LE(range.minimum, range.maximum) << family.name << "." << range.name;
      EXPECT_GE(range.points, 2u) << family.name << "." << range.name << " is not searched";
    }
    EXPECT_TRUE(family.default_on_grid) << family.name;
  }
  for (const Asset asset : {Asset::kSpot, Asset::kPerp, Asset::kForex}) {
    EXPECT_EQ(generator.enabled_families(asset), all_families_simple_to_complex())
        << to_string(asset);
    // 16x16x25 + 10x4x4x25 + 2 x 7x7x25 + 11x25 + 16x16x6x5x25 + 16x16x10x4x4x25.
    EXPECT_EQ(generator.space_size(asset), 1'229'125u) << to_string(asset);
  }
  EXPECT_THAT(generator.enabled_families(Asset::kOptions), IsEmpty());
  EXPECT_EQ(generator.space_size(Asset::kOptions), 0u);
}

TEST(StrategyGeneratorTest, EmitsEveryFamilysDefaultsFirstThenCyclesSimpleToComplex) {
  StrategyGenerator generator = shipped();
  const std::vector<StrategyDescriptor> first = take(generator, Asset::kSpot, 21);
  ASSERT_EQ(first.size(), 21u);
  for (std::size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(first[i].family, all_families_simple_to_complex()[i]);
    EXPECT_EQ(first[i].asset, Asset::kSpot);
    EXPECT_EQ(first[i].params_json, canonical_params_json(defaults_of(first[i].family)));
  }
  // Then round after round, one grid point of each family, simple to complex.
  const std::vector<StrategyDescriptor> rounds(first.begin() + 7, first.end());
  std::vector<std::string> expected = all_families_simple_to_complex();
  expected.insert(expected.end(), all_families_simple_to_complex().begin(),
                  all_families_simple_to_complex().end());
  EXPECT_EQ(families_of(rounds), expected);
  EXPECT_EQ(families_of(take(generator, Asset::kOptions, 1)), std::vector<std::string>{});
}

TEST(StrategyGeneratorTest, EveryDescriptorIsAcceptedByMakeStrategyAndLiesOnItsGrid) {
  StrategyGenerator generator = shipped();
  for (const Asset asset : {Asset::kSpot, Asset::kForex}) {
    for (const StrategyDescriptor& descriptor : take(generator, asset, 1500)) {
      SCOPED_TRACE(descriptor.family + " " + descriptor.params_json);
      const auto parameters = parse_params_json(descriptor.params_json);
      ASSERT_TRUE(parameters.has_value());
      EXPECT_NO_THROW(strategies::make_strategy(descriptor.family, *parameters));
      const auto& space = generator.search_space().families;
      const auto family = std::find_if(space.begin(), space.end(), [&](const FamilySearch& f) {
        return f.name == descriptor.family;
      });
      ASSERT_NE(family, space.end());
      ASSERT_EQ(parameters->size(), family->parameters.size());  // every parameter, explicitly
      for (const ParameterRange& range : family->parameters) {
        const double value = parameters->at(range.name);
        EXPECT_GE(value, range.minimum) << range.name;
        EXPECT_LE(value, range.maximum) << range.name;
        const double k = (value - range.minimum) / range.step;
        EXPECT_NEAR(k, std::round(k), 1e-9) << range.name;
      }
      if (parameters->contains("fast")) {
        EXPECT_LT(parameters->at("fast"), parameters->at("slow"));
      }
    }
  }
}

// --- canonical params_json --------------------------------------------------------------------

TEST(StrategyGeneratorTest, ParamsJsonIsCanonical) {
  EXPECT_EQ(
      canonical_params_json({{"slow", 30}, {"fast", 9}, {"stop_atr", 2}, {"reward_risk", 1.5}}),
      R"({"fast":9,"reward_risk":1.5,"slow":30,"stop_atr":2})");
  EXPECT_EQ(canonical_params_json({{"a", -0.0}, {"b", 0.25}, {"c", 1e6}, {"d", -2.75}}),
            R"({"a":0,"b":0.25,"c":1000000,"d":-2.75})");
  EXPECT_EQ(canonical_params_json({}), "{}");
  // The registry's own example reads the same.
  EXPECT_EQ(canonical_params_json(*parse_params_json(R"({ "slow": 21.0, "fast": 9 })")),
            R"({"fast":9,"slow":21})");
  EXPECT_FALSE(parse_params_json("[1]").has_value());
  EXPECT_FALSE(parse_params_json(R"({"fast":"9"})").has_value());
  EXPECT_FALSE(parse_params_json("{").has_value());

  StrategyGenerator generator = shipped();
  for (const StrategyDescriptor& descriptor : take(generator, Asset::kPerp, 300)) {
    EXPECT_EQ(canonical_params_json(*parse_params_json(descriptor.params_json)),
              descriptor.params_json);
    EXPECT_EQ(descriptor.params_json.find_first_of(" \n\t"), std::string::npos);
    EXPECT_EQ(descriptor.params_json.find(".0,"), std::string::npos) << descriptor.params_json;
    EXPECT_EQ(descriptor.params_json.find(".0}"), std::string::npos) << descriptor.params_json;
  }
}

// --- determinism ------------------------------------------------------------------------------

TEST(StrategyGeneratorTest, SameSeedGivesTheSameSequenceAndAnotherSeedAnother) {
  StrategyGenerator a = shipped();
  StrategyGenerator b = shipped();
  const auto sequence = take(a, Asset::kSpot, 400);
  EXPECT_EQ(take(b, Asset::kSpot, 400), sequence);

  std::string text =
      testing::read_file(testing::project_source_dir() / "config" / "ml_search.json");
  const auto seed = text.find("\"seed\": 6007");
  ASSERT_NE(seed, std::string::npos);
  text.replace(seed, 12, "\"seed\": 6008");
  StrategyGenerator reseeded = StrategyGenerator::from_json(text);
  const auto other = take(reseeded, Asset::kSpot, 400);
  // The defaults come first whatever the seed; the grid points after them differ.
  EXPECT_TRUE(std::equal(other.begin(), other.begin() + 7, sequence.begin()));
  int same = 0;
  for (std::size_t i = 7; i < other.size(); ++i) same += other[i] == sequence[i] ? 1 : 0;
  EXPECT_LT(same, 10);
}

TEST(StrategyGeneratorTest, AssetsAreIndependentOfEachOtherAndOfTheInterleaving) {
  StrategyGenerator alone = shipped();
  StrategyGenerator interleaved = shipped();
  const auto spot = take(alone, Asset::kSpot, 100);
  std::vector<StrategyDescriptor> spot_interleaved;
  std::vector<StrategyDescriptor> perp;
  for (int i = 0; i < 100; ++i) {
    spot_interleaved.push_back(*interleaved.generate(Asset::kSpot));
    perp.push_back(*interleaved.generate(Asset::kPerp));
  }
  EXPECT_EQ(spot_interleaved, spot);
  // Each asset has its own order of the same space.
  int same = 0;
  for (std::size_t i = 7; i < perp.size(); ++i) {
    same += perp[i].params_json == spot[i].params_json ? 1 : 0;
  }
  EXPECT_LT(same, 10);
}

TEST(StrategyGeneratorTest, SequenceIsTheSameOnEveryPlatform) {
  // Pinned: the order depends only on integer arithmetic (no std distribution), so this holds
  // for every compiler and standard library.
  StrategyGenerator generator = StrategyGenerator::from_json(kTiny);
  std::vector<std::string> got;
  for (const StrategyDescriptor& descriptor : drain(generator, Asset::kSpot)) {
    got.push_back(descriptor.family + " " + descriptor.params_json);
  }
  EXPECT_THAT(got, ElementsAre(R"(ema_cross {"fast":9,"reward_risk":1.5,"slow":30,"stop_atr":2})",
                               R"(donchian_breakout {"period":20,"reward_risk":1.5,"stop_atr":2})",
                               R"(ema_cross {"fast":7,"reward_risk":1.5,"slow":30,"stop_atr":2})",
                               // donchian_breakout's first grid point is its default: skipped.
                               R"(ema_cross {"fast":5,"reward_risk":1.5,"slow":30,"stop_atr":2})",
                               R"(donchian_breakout {"period":10,"reward_risk":1.5,"stop_atr":2})",
                               R"(ema_cross {"fast":6,"reward_risk":1.5,"slow":30,"stop_atr":2})",
                               R"(donchian_breakout {"period":15,"reward_risk":1.5,"stop_atr":2})",
                               R"(ema_cross {"fast":6,"reward_risk":1.5,"slow":25,"stop_atr":2})",
                               R"(ema_cross {"fast":5,"reward_risk":1.5,"slow":25,"stop_atr":2})",
                               R"(ema_cross {"fast":7,"reward_risk":1.5,"slow":25,"stop_atr":2})"));
}

TEST(StrategyGeneratorTest, SequenceOfALargeGridIsTheSameOnEveryPlatform) {
  // 1,024,000 grid points: the Feistel network runs on 20-bit halves.
  StrategyGenerator generator = StrategyGenerator::from_json(R"({
    "seed": 6007, "defaults_first": false,
    "families": {"regime_switch": {"complexity": 4, "parameters": {
      "fast": {"min": 5, "max": 20, "step": 1}, "slow": {"min": 25, "max": 100, "step": 5},
      "period": {"min": 6, "max": 24, "step": 2}, "oversold": {"min": 20, "max": 35, "step": 5},
      "overbought": {"min": 65, "max": 80, "step": 5},
      "stop_atr": {"min": 1, "max": 3, "step": 0.5},
      "reward_risk": {"min": 1, "max": 3, "step": 0.5}}}},
    "assets": {"perp": ["regime_switch"]}
  })");
  EXPECT_EQ(generator.space_size(Asset::kPerp), 1'024'000u);
  std::vector<std::string> got;
  for (const StrategyDescriptor& descriptor : take(generator, Asset::kPerp, 3)) {
    got.push_back(descriptor.params_json);
  }
  EXPECT_THAT(got, ElementsAre(R"({"fast":7,"overbought":70,"oversold":30,"period":18,)"
                               R"("reward_risk":2.5,"slow":75,"stop_atr":1})",
                               R"({"fast":20,"overbought":65,"oversold":30,"period":16,)"
                               R"("reward_risk":1,"slow":45,"stop_atr":1.5})",
                               R"({"fast":11,"overbought":75,"oversold":30,"period":6,)"
                               R"("reward_risk":3,"slow":55,"stop_atr":1})"));
}

// --- exhaustion -------------------------------------------------------------------------------

TEST(StrategyGeneratorTest, NeverRepeatsAndReturnsNulloptOnceTheSpaceIsExhausted) {
  StrategyGenerator generator = StrategyGenerator::from_json(kTiny);
  // ema_cross: 6 grid points + its off-grid default; donchian_breakout: 3 points, default among.
  EXPECT_EQ(generator.space_size(Asset::kSpot), 10u);
  EXPECT_EQ(generator.space_size(Asset::kPerp), 7u);
  EXPECT_EQ(generator.space_size(Asset::kForex), 0u);

  const auto all = drain(generator, Asset::kSpot);
  ASSERT_EQ(all.size(), 10u);
  std::set<std::string> distinct;
  for (const StrategyDescriptor& descriptor : all) {
    distinct.insert(descriptor.family + descriptor.params_json);
  }
  EXPECT_EQ(distinct.size(), 10u);
  std::set<std::string> expected;
  for (const int fast : {5, 6, 7}) {
    for (const int slow : {25, 30}) {
      expected.insert(fmt::format(
          R"(ema_cross{{"fast":{},"reward_risk":1.5,"slow":{},"stop_atr":2}})", fast, slow));
    }
  }
  expected.insert(R"(ema_cross{"fast":9,"reward_risk":1.5,"slow":30,"stop_atr":2})");
  for (const int period : {10, 15, 20}) {
    expected.insert(
        fmt::format(R"(donchian_breakout{{"period":{},"reward_risk":1.5,"stop_atr":2}})", period));
  }
  EXPECT_EQ(distinct, expected);
  EXPECT_EQ(generator.generate(Asset::kSpot), std::nullopt);
  EXPECT_EQ(generator.generate(Asset::kSpot), std::nullopt);
  EXPECT_EQ(generator.generate(Asset::kForex), std::nullopt);
  // Another asset is not affected.
  EXPECT_EQ(drain(generator, Asset::kPerp).size(), 7u);
}

TEST(StrategyGeneratorTest, WithoutDefaultsFirstOnlyTheGridIsSearched) {
  std::string text(kTiny);
  text.replace(text.find("\"seed\""), 0, "\"defaults_first\": false, ");
  StrategyGenerator generator = StrategyGenerator::from_json(text);
  EXPECT_FALSE(generator.search_space().defaults_first);
  EXPECT_EQ(generator.space_size(Asset::kSpot), 9u);
  const auto all = drain(generator, Asset::kSpot);
  EXPECT_EQ(all.size(), 9u);
  for (const StrategyDescriptor& descriptor : all) {
    EXPECT_THAT(descriptor.params_json, ::testing::Not(HasSubstr(R"("fast":9)")));
  }
}

// --- restart: mark_emitted --------------------------------------------------------------------

TEST(StrategyGeneratorTest, MarkEmittedSkipsAndARestartContinuesTheSequence) {
  StrategyGenerator before = shipped();
  const auto emitted = take(before, Asset::kSpot, 30);
  const auto next = take(before, Asset::kSpot, 30);

  StrategyGenerator after = shipped();
  for (std::size_t i = 0; i < emitted.size(); ++i) {
    StrategyDescriptor stored = emitted[i];
    // Whatever the registry's spacing, a marked descriptor matches.
    if (i % 2 == 0) stored.params_json = " " + stored.params_json + " ";
    after.mark_emitted(stored);
    EXPECT_TRUE(after.seen(emitted[i]));
  }
  EXPECT_EQ(take(after, Asset::kSpot, 30), next);

  // Marking ahead removes exactly that descriptor from what follows.
  StrategyGenerator skipping = shipped();
  skipping.mark_emitted(emitted[3]);
  skipping.mark_emitted(emitted[12]);
  std::vector<StrategyDescriptor> expected = emitted;
  expected.erase(expected.begin() + 12);
  expected.erase(expected.begin() + 3);
  expected.insert(expected.end(), next.begin(), next.begin() + 2);
  EXPECT_EQ(take(skipping, Asset::kSpot, 30), expected);
}

TEST(StrategyGeneratorTest, MarkingTheWholeSpaceLeavesNothing) {
  StrategyGenerator source = StrategyGenerator::from_json(kTiny);
  StrategyGenerator marked = StrategyGenerator::from_json(kTiny);
  for (const StrategyDescriptor& descriptor : drain(source, Asset::kSpot)) {
    marked.mark_emitted(descriptor);
  }
  EXPECT_EQ(marked.generate(Asset::kSpot), std::nullopt);
  EXPECT_EQ(take(marked, Asset::kPerp, 100).size(), 7u);  // marks are per asset
}

TEST(StrategyGeneratorTest, FeedsTheExplorationManagerAcrossARestart) {
  static_assert(
      std::is_same_v<StrategyGenerator::Generator, strategies::ExplorationManager::Generator>);
  const auto store = store::SqliteStore::open_in_memory();
  strategies::StrategyRegistry registry(*store);
  config::Exploration config;
  config.active_candidates_per_asset = 3;

  StrategyGenerator before = shipped();
  strategies::ExplorationManager manager(registry, config, before.to_generator());
  EXPECT_EQ(manager.ensure_active_candidates(Asset::kSpot, 1000), 3);
  for (const auto& record : registry.get_for(Asset::kSpot)) {
    EXPECT_TRUE(manager.retire_candidate(record.id, "test", 2000).ok);
  }
  EXPECT_EQ(manager.ensure_active_candidates(Asset::kSpot, 3000), 3);
  EXPECT_EQ(registry.size(), 6u);

  // The runtime re-creates the generator and seeds it from the registry.
  StrategyGenerator after = shipped();
  for (const auto& record : registry.get_for(Asset::kSpot)) {
    after.mark_emitted({record.family, record.asset, record.params_json});
  }
  EXPECT_EQ(take(after, Asset::kSpot, 20), take(before, Asset::kSpot, 20));
}

// --- malformed configs ------------------------------------------------------------------------

TEST(StrategyGeneratorTest, MalformedFamiliesNameTheKeyAndTheProblem) {
  EXPECT_THAT(problems_of(R"({"seed": 1, "assets": {}, "families": {
                "ema_crosss": {"complexity": 1}}})"),
              ElementsAre(HasSubstr("families.ema_crosss: unknown family (known: ema_cross,")));
  EXPECT_THAT(problems_of(R"({"seed": 1, "assets": {}, "families": {"ema_cross": {
                "complexity": 1, "parameters": {"fastt": {"min": 5, "max": 7, "step": 1}}}}})"),
              ElementsAre("families.ema_cross.parameters.fastt: unknown parameter of ema_cross "
                          "(known: fast, slow, stop_atr, reward_risk)"));
  EXPECT_THAT(problems_of(R"({"seed": 1, "assets": {}, "families": {"ema_cross": {
                "complexity": 1, "parameters": {"fast": {"min": 2, "max": 60, "step": 1}}}}})"),
              ElementsAre("families.ema_cross.parameters.fast.min: must lie in the family's "
                          "declared range [3, 50] (got 2)",
                          "families.ema_cross.parameters.fast.max: must lie in the family's "
                          "declared range [3, 50] (got 60)"));
  EXPECT_THAT(problems_of(R"({"seed": 1, "assets": {}, "families": {"ema_cross": {
                "complexity": 1, "parameters": {"fast": {"min": 20, "max": 10, "step": 1}}}}})"),
              ElementsAre("families.ema_cross.parameters.fast: min must be <= max (got min 20, "
                          "max 10)"));
  EXPECT_THAT(problems_of(R"({"seed": 1, "assets": {}, "families": {"ema_cross": {
                "complexity": 1, "parameters": {"fast": {"min": 5, "max": 10, "step": 0},
                                                "slow": {"min": 20, "max": 30, "step": -5}}}}})"),
              ElementsAre("families.ema_cross.parameters.fast.step: must be positive (got 0)",
                          "families.ema_cross.parameters.slow.step: must be positive (got -5)"));
  EXPECT_THAT(
      problems_of(R"({"seed": 1, "assets": {}, "families": {"ema_cross": {"complexity": 1,
          "parameters": {"stop_atr": {"min": 0.6, "max": 2, "step": 0.1}}}}})"),
      ElementsAre("families.ema_cross.parameters.stop_atr.step: must be a multiple of the "
                  "family's step 0.25 (got 0.1)",
                  "families.ema_cross.parameters.stop_atr.min: must lie on the family's grid "
                  "0.5 + k x 0.25 (got 0.6)"));
  EXPECT_THAT(
      problems_of(R"({"seed": 1, "assets": {}, "families": {"ema_cross": {"complexity": 1,
          "parameters": {"fast": {"min": 5, "max": 7, "stpe": 1}}}}})"),
      ElementsAre("families.ema_cross.parameters.fast.stpe: unknown key (expected min, max, step)",
                  "families.ema_cross.parameters.fast.step: required"));
  EXPECT_THAT(problems_of(R"({"seed": 1, "assets": {}, "families": {"ema_cross": {"complexity": 1,
          "parameters": {"fast": {"min": "5", "max": 7, "step": 1}}}}})"),
              ElementsAre(R"(families.ema_cross.parameters.fast.min: must be a number (got "5"))"));
  EXPECT_THAT(problems_of(R"({"seed": 1, "assets": {}, "families": {
                "ema_cross": {"complexity": 0}, "rsi_reversion": {}}})"),
              ElementsAre("families.ema_cross.complexity: must be a positive integer (got 0)",
                          "families.rsi_reversion.complexity: required"));
}

TEST(StrategyGeneratorTest, MalformedAssetsAndTopLevelNameTheKeyAndTheProblem) {
  constexpr std::string_view kFamilies =
      R"("families": {"ema_cross": {"complexity": 1}, "rsi_reversion": {"complexity": 1}})";
  const auto config = [&](std::string_view rest) {
    return fmt::format(R"({{"seed": 1, {}, {}}})", kFamilies, rest);
  };
  EXPECT_THAT(problems_of(config(R"("assets": {"crypto": ["ema_cross"]})")),
              ElementsAre("assets.crypto: unknown asset (known: spot, perp, forex, options)"));
  EXPECT_THAT(problems_of(config(
                  R"("assets": {"spot": ["ema_cross", "macd", "adx_trend", "ema_cross", 7]})")),
              ElementsAre(HasSubstr(R"(assets.spot[1]: unknown family (known: ema_cross,)"),
                          R"(assets.spot[2]: family has no entry in families (got "adx_trend"))",
                          R"(assets.spot[3]: duplicate family (got "ema_cross"))",
                          "assets.spot[4]: must be a family name (got 7)"));
  EXPECT_THAT(problems_of(config(R"("assets": {"spot": "ema_cross"})")),
              ElementsAre(R"(assets.spot: must be a list of family names (got "ema_cross"))"));
  EXPECT_THAT(problems_of(R"({"families": {}, "assets": {}, "sead": 3})"),
              ElementsAre("sead: unknown key (expected seed, defaults_first, families, assets)",
                          "seed: required"));
  EXPECT_THAT(problems_of(R"({"seed": -1, "defaults_first": 1, "families": [], "assets": {}})"),
              ElementsAre("seed: must be an integer in [0, 2^64) (got -1)",
                          "defaults_first: must be true or false (got 1)",
                          "families: must be an object keyed by family name (got a list)"));
  EXPECT_THAT(problems_of(R"({"seed": 1.5})"),
              ElementsAre("seed: must be an integer in [0, 2^64) (got 1.5)", "families: required",
                          "assets: required"));
  EXPECT_THAT(problems_of("[]"), ElementsAre("(root): must be an object (got a list)"));
}

TEST(StrategyGeneratorTest, SyntaxErrorsDuplicateKeysAndMissingFilesAreConfigErrors) {
  EXPECT_THAT(problems_of(R"({"seed": 1,})"), ElementsAre(HasSubstr("(text): invalid JSON: ")));
  EXPECT_THAT(
      problems_of(R"({"seed": 1, "assets": {"spot": [], "spot": []},
                "families": {"ema_cross": {"complexity": 1, "complexity": 2}}})"),
      ElementsAre("assets.spot: duplicate key", "families.ema_cross.complexity: duplicate key"));
  EXPECT_THAT(
      problems_of(R"({"seed": 1, "families": {}, "assets": {"_note": [{"a": 1, "a": 2}]}})"),
      ElementsAre("assets._note[0].a: duplicate key"));
  const testing::TempDir directory;
  const auto missing = directory.path() / "ml_search.json";
  try {
    StrategyGenerator::from_file(missing);
    ADD_FAILURE() << "a missing file loaded";
  } catch (const ConfigError& error) {
    EXPECT_THAT(error.problems(),
                ElementsAre(missing.string() + ": cannot open the search space file"));
  }
}

TEST(StrategyGeneratorTest, CommentsAreIgnoredAndAParameterLeftOutStaysAtItsDefault) {
  StrategyGenerator generator = StrategyGenerator::from_json(R"({
    "_comment": "top", "seed": 3,
    "families": {"_x": 1, "rsi_reversion": {"_why": "", "complexity": 1,
                  "parameters": {"_n": 0, "period": {"_s": 1, "min": 10, "max": 12, "step": 2}}}},
    "assets": {"_y": 2, "forex": ["rsi_reversion"]}
  })");
  EXPECT_EQ(generator.space_size(Asset::kForex), 3u);  // 10, 12 and the default 14
  for (const StrategyDescriptor& descriptor : drain(generator, Asset::kForex)) {
    EXPECT_THAT(descriptor.params_json, HasSubstr(R"("overbought":70,"oversold":30,"period":)"));
  }
}

}  // namespace
}  // namespace gauntlet::learning
