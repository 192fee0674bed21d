// AppRuntime in process: the live toggles' preconditions in the order they are checked, the
// status of a simulated session, and a session that resumes from its state directory.
#include "runtime/app_runtime.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/exceptions.hpp"
#include "fakes/fake_bybit.hpp"
#include "support/shared_data.hpp"
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

// auto with Bybit reachable (a fake Bybit on 127.0.0.1): the live public feed, the universe
// from the venue's tickers, only its pairs streamed; unreachable: the simulated market, with
// the reason.
TEST(AppRuntime, AutoTakesTheLiveFeedWhenBybitAnswersAndSaysWhyWhenNot) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  using testing::fakes::FakeBybit;
  FakeBybit fake;
  const auto spot = nlohmann::json::parse(
      testing::read_file(data / "fixtures" / "bybit" / "http_get_instruments_spot.json"));
  std::vector<std::string> listed;
  for (const auto& item : spot["result"]["list"]) {
    fake.add_instrument(testing::fakes::Category::kSpot, item);
    listed.push_back(item["symbol"].get<std::string>());
    fake.set_ticker(testing::fakes::Category::kSpot, {{"symbol", listed.back()},
                                                      {"lastPrice", "100"},
                                                      {"volume24h", "1000000"},
                                                      {"turnover24h", "100000000"}});
  }
  testing::TempDir dir;
  RunOptions options = simulated(dir);
  options.feed = FeedMode::kAuto;
  options.bybit_rest_url = fake.rest_url();
  options.bybit_ws_url = fake.public_ws_url(testing::fakes::Category::kSpot);
  options.run_for = 3 * kSecondMs;
  {
    AppRuntime runtime(config::Config{}, options);
    // The session runs on its own thread; the fake is watched from this one while it does.
    std::thread session([&] { EXPECT_EQ(runtime.run(), 0); });
    std::vector<std::string> topics;
    for (int i = 0; i < 100 && topics.size() < 2 * listed.size(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
      topics = fake.subscriptions(testing::fakes::Category::kSpot);
    }
    session.join();
    for (const std::string& symbol : listed) {
      EXPECT_NE(std::find(topics.begin(), topics.end(), "kline.1." + symbol), topics.end())
          << symbol;
    }
    const RuntimeStatus status = runtime.status();
    EXPECT_EQ(status.feed, "live");
    EXPECT_NE(status.feed_note.find("LIVE BYBIT SPOT PUBLIC FEED"), std::string::npos);
    EXPECT_EQ(status.symbols, listed.size());
    EXPECT_EQ(status.candidates.at("exploring"), 4);  // spot only
  }

  testing::TempDir offline_dir;
  RunOptions offline = simulated(offline_dir);
  offline.feed = FeedMode::kAuto;
  offline.bybit_rest_url = "http://127.0.0.1:1";  // nothing listens there
  offline.run_for = 500;
  AppRuntime runtime(config::Config{}, offline);
  EXPECT_EQ(runtime.run(), 0);
  EXPECT_EQ(runtime.status().feed, "simulated");
  EXPECT_NE(runtime.status().feed_reason.find("no live feed (http://127.0.0.1:1 unreachable"),
            std::string::npos)
      << runtime.status().feed_reason;
  EXPECT_EQ(runtime.status().feed_note.rfind("SIMULATED MARKET", 0), 0u);
}

}  // namespace
}  // namespace gauntlet::runtime
