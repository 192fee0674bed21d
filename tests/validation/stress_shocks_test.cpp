#include "validation/stress_shocks.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/exceptions.hpp"
#include "learning/ml/strategy_generator.hpp"

namespace gauntlet::validation {
namespace {

BacktestSpec base_for(const std::string& params) {
  BacktestSpec base;
  base.candidates = {{"ema_cross", Asset::kSpot, params}};
  base.config.simulation_order_delay = 250;
  return base;
}

TEST(StressShocks, MoveEachParameterBothWaysThenSlippageAndLatency) {
  const std::vector<ShockSpec> shocks = shock_specs(base_for(R"({"fast":10,"slow":30})"));
  std::vector<std::string> names;
  for (const ShockSpec& s : shocks) names.push_back(s.name);
  EXPECT_NE(std::find(names.begin(), names.end(), "fast -20%"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "fast +20%"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "slow -20%"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "slow +20%"), names.end());
  ASSERT_GE(shocks.size(), 6u);
  for (const ShockSpec& s : shocks) {
    ASSERT_EQ(s.spec.candidates.size(), 1u) << s.name;
    const auto moved = learning::parse_params_json(s.spec.candidates[0].params_json);
    ASSERT_TRUE(moved.has_value()) << s.name;
    if (s.name == "fast -20%") {
      EXPECT_DOUBLE_EQ(moved->at("fast"), 8);
    }
    if (s.name == "slow +20%") {
      EXPECT_DOUBLE_EQ(moved->at("slow"), 36);
    }
    if (s.name.starts_with("fast")) {
      EXPECT_DOUBLE_EQ(moved->at("slow"), 30) << "one at a time";
    }
  }
  // Slippage three times the venue's (2 bps), latency four times the config's.
  EXPECT_EQ(shocks[shocks.size() - 2].name, "slippage x3");
  EXPECT_DOUBLE_EQ(*shocks[shocks.size() - 2].spec.slippage_bps, 6.0);
  EXPECT_FALSE(shocks[shocks.size() - 2].spec.candidates.empty());
  EXPECT_EQ(shocks.back().name, "latency x4");
  EXPECT_EQ(shocks.back().spec.config.simulation_order_delay, 1000);
  EXPECT_EQ(shocks.back().spec.candidates[0].params_json, R"({"fast":10,"slow":30})");
}

TEST(StressShocks, AnAlreadyShockedSlippageIsMultipliedAgain) {
  BacktestSpec base = base_for(R"({"fast":10,"slow":30})");
  base.slippage_bps = 5.0;
  const std::vector<ShockSpec> shocks = shock_specs(base);
  EXPECT_DOUBLE_EQ(*shocks[shocks.size() - 2].spec.slippage_bps, 15.0);
}

TEST(StressShocks, NeedExactlyOneCandidate) {
  BacktestSpec two = base_for(R"({"fast":10,"slow":30})");
  two.candidates.push_back(two.candidates.front());
  EXPECT_THROW(shock_specs(two), ArgumentError);
  EXPECT_THROW(shock_specs(BacktestSpec{}), ArgumentError);
}

}  // namespace
}  // namespace gauntlet::validation
