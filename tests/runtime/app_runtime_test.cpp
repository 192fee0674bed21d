// AppRuntime in process: the live toggles' preconditions in the order they are checked, the
// status of a simulated session, and a session that resumes from its state directory.
#include "runtime/app_runtime.hpp"

#include <gtest/gtest.h>

#include "core/exceptions.hpp"
#include "support/temp_dir.hpp"

namespace gauntlet::runtime {
namespace {

RunOptions simulated(const testing::TempDir& dir) {
  RunOptions options;
  options.feed = FeedMode::kSimulated;
  options.state_dir = dir.path() / "state";
  options.search_space = testing::project_source_dir() / "config" / "ml_search.json";
  options.speed = 60'000;  // a market hour per wall second and more
  options.quiet = true;
  return options;
}

TEST(AppRuntime, EnableLiveNamesTheFirstPreconditionThatFails) {
  testing::TempDir dir;
  config::Config config;
  {
    AppRuntime runtime(config, simulated(dir));
    runtime.start_all();
    Decision decision = runtime.enable_live(Asset::kSpot);
    EXPECT_FALSE(decision.ok);
    EXPECT_EQ(decision.code(), "environment");
    EXPECT_TRUE(runtime.disable_live(Asset::kSpot).ok);
    runtime.stop_all();
  }
  config.environment = config::Environment::kProduction;
  config.rollout_stage = 1;
  {
    AppRuntime runtime(config, simulated(dir));
    runtime.start_all();
    EXPECT_EQ(runtime.enable_live(Asset::kPerp).code(), "rollout_stage");  // perp needs stage 2
    EXPECT_EQ(runtime.enable_live(Asset::kSpot).code(), "no_promoted_strategy");
    runtime.stop_all();
  }
}

TEST(AppRuntime, ASimulatedSessionTradesReportsItsStatusAndResumes) {
  testing::TempDir dir;
  RunOptions options = simulated(dir);
  options.run_for = 4 * kSecondMs;
  RuntimeStatus first;
  {
    AppRuntime runtime(config::Config{}, options);
    EXPECT_EQ(runtime.run(), 0);
    first = runtime.status();
  }
  EXPECT_EQ(first.feed, "simulated");
  EXPECT_NE(first.feed_note.find("SIMULATED MARKET"), std::string::npos);
  EXPECT_GT(first.steps, 0u);
  EXPECT_GT(first.closed_trades, 0) << first.line();
  EXPECT_GT(first.symbols, 0u);
  EXPECT_EQ(first.candidates["exploring"], 8);  // four per crypto asset
  EXPECT_NE(first.line().find("[simulated "), std::string::npos);
  EXPECT_NE(first.line().find("candidates exploring"), std::string::npos);

  options.run_for = 1 * kSecondMs;
  AppRuntime resumed(config::Config{}, options);
  resumed.start_all();
  const RuntimeStatus again = resumed.status();
  EXPECT_EQ(again.market_time, first.market_time);  // where it stopped
  EXPECT_EQ(again.steps, first.steps);
  EXPECT_EQ(again.closed_trades, first.closed_trades);
  EXPECT_EQ(resumed.run(), 0);
  EXPECT_GT(resumed.status().market_time, first.market_time);
}

TEST(AppRuntime, AStateDirectoryServesOneFeed) {
  testing::TempDir dir;
  {
    AppRuntime runtime(config::Config{}, simulated(dir));
    runtime.start_all();
    runtime.stop_all();
  }
  RunOptions replay = simulated(dir);
  replay.feed = FeedMode::kReplay;
  replay.data_root = dir.path();
  AppRuntime runtime(config::Config{}, replay);
  try {
    runtime.start_all();
    FAIL() << "a replay in a simulated session's state directory";
  } catch (const ArgumentError& error) {
    EXPECT_NE(std::string(error.what()).find("holds a simulated session"), std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace gauntlet::runtime
