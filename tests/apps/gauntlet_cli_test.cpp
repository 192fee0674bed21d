// Runs the real `gauntlet` binary as a user would.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include "core/interfaces.hpp"
#include "fakes/fake_bybit.hpp"
#include "support/shared_data.hpp"
#include "support/temp_dir.hpp"

namespace gauntlet {
namespace {

struct Outcome {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

Outcome run(const std::string& arguments) {
  const std::string command = std::string(GAUNTLET_BINARY) + " " + arguments + " 2>&1";
  Outcome outcome;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return outcome;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) outcome.output += buffer.data();
  const int status = ::pclose(pipe);
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return outcome;
}

TEST(GauntletCli, PrintsVersionAndHelp) {
  const Outcome version = run("--version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_TRUE(version.output.starts_with("gauntlet 0.")) << version.output;
  const Outcome help = run("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("config"), std::string::npos);
}

TEST(GauntletCli, ConfigCheckAcceptsTheShippedConfigs) {
  for (const char* name : {"default.yaml", "paper.yaml"}) {
    const Outcome outcome =
        run("config check " + (testing::project_source_dir() / "config" / name).string());
    EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
    EXPECT_NE(outcome.output.find("is valid (version v1-"), std::string::npos) << outcome.output;
  }
}

TEST(GauntletCli, ConfigCheckPrintsAllThreeMistakesAndExitsTwo) {
  const testing::TempDir dir;
  const auto file = dir.write("three.yaml",
                              "environment: staging\n"
                              "risk:\n  spot:\n    risk_fraction: 0.5\n"
                              "exploration:\n  rotaton: round_robin\n");
  const Outcome outcome = run("config check " + file.string());
  EXPECT_EQ(outcome.exit_code, 2);
  EXPECT_NE(outcome.output.find("3 problems:"), std::string::npos) << outcome.output;
  EXPECT_NE(
      outcome.output.find("  environment: must be one of simulation, production (got staging)"),
      std::string::npos);
  EXPECT_NE(outcome.output.find("  risk.spot.risk_fraction: must be in (0, 0.05] (got 0.5)"),
            std::string::npos);
  EXPECT_NE(outcome.output.find("  exploration.rotaton: unknown key (did you mean rotation?)"),
            std::string::npos);
}

TEST(GauntletCli, ConfigShowPrintsTheNormalisedConfig) {
  const Outcome outcome =
      run("config show " + (testing::project_source_dir() / "config" / "paper.yaml").string());
  EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_NE(outcome.output.find("\"forex_enabled\": true"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("\"primary\": \"15m\""), std::string::npos);
}

TEST(GauntletCli, DataCommandsImportCheckResampleExportAndReimport) {
  const auto data = testing::find_shared_data();
  if (!data) {
    if (testing::shared_data_required()) FAIL() << testing::shared_data_missing_message();
    GTEST_SKIP() << testing::shared_data_missing_message();
  }
  const testing::TempDir dir;
  const std::string root = " --data-root " + (dir.path() / "bars").string();
  Outcome outcome =
      run("data import " + (*data / "crypto/binance_spot/BTC_USDT-1m.json.gz").string() + " " +
          (*data / "crypto/binance_spot/BTC_USDT-5m.json.gz").string() + root);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_NE(outcome.output.find("42915 bars into binance/spot/BTCUSDT/1m"), std::string::npos)
      << outcome.output;

  outcome = run("data check --symbol BTC/USDT --timeframe 1m" + root);
  EXPECT_EQ(outcome.exit_code, 1);  // the 2021-04-25 outage
  EXPECT_NE(outcome.output.find("1 gaps (284 missing 1m bars)"), std::string::npos)
      << outcome.output;
  EXPECT_NE(outcome.output.find("gap 2021-04-25T04:01:00.000Z .. 2021-04-25T08:45:00.000Z"),
            std::string::npos);

  outcome = run("data resample --symbol btc-usdt --from-tf 1m --to-tf 15m" + root);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_NE(outcome.output.find("into 2862 15m bars"), std::string::npos) << outcome.output;

  const std::string csv = (dir.path() / "btc15.csv").string();
  outcome =
      run("data export --symbol BTCUSDT --timeframe 15m --from 2021-05-01 --to 2021-05-02 --out " +
          csv + root);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_NE(outcome.output.find("exported 96 bars"), std::string::npos) << outcome.output;

  // The export is the format every command reads: import it back under another venue.
  outcome = run("data import " + csv + " --symbol BTCUSDT --venue roundtrip --domain spot" + root);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_NE(outcome.output.find("96 bars into roundtrip/spot/BTCUSDT/15m"), std::string::npos)
      << outcome.output;

  // Two venues now hold BTCUSDT: naming it needs --venue.
  outcome = run("data export --symbol BTCUSDT --timeframe 15m --out " + csv + root);
  EXPECT_NE(outcome.exit_code, 0);
  EXPECT_NE(outcome.output.find("pass --venue and --domain"), std::string::npos) << outcome.output;

  outcome = run("data list" + root);
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_NE(outcome.output.find("4 series"), std::string::npos) << outcome.output;
}

TEST(GauntletCli, DataFetchBackfillsFromBybitAndResumes) {
  testing::fakes::FakeBybit fake;
  std::vector<Bar> bars;
  const TimestampMs start = 1'700'000'000'000 / kMinuteMs * kMinuteMs;
  for (int i = 0; i < 2500; ++i) {
    const Decimal price = Decimal::from_int(100 + i % 7);
    bars.push_back({start + i * kMinuteMs, price, price + Decimal::one(), price - Decimal::one(),
                    price, Decimal::one(), price});
  }
  fake.set_klines(testing::fakes::Category::kSpot, "BTCUSDT", Timeframe::k1m, bars);
  fake.fail_next_http(1, 502);
  const testing::TempDir dir;
  const std::string command = "data fetch --symbol BTC/USDT --timeframe 1m --from " +
                              format_iso8601(start) + " --to " +
                              format_iso8601(start + 2500 * kMinuteMs) + " --base-url " +
                              fake.rest_url() + " --data-root " + (dir.path() / "bars").string();
  Outcome outcome = run(command);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_NE(outcome.output.find("[3/3] 2500 bars stored"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("fetched 2500 bars in 3 requests (1 retries)"), std::string::npos)
      << outcome.output;
  outcome = run(command);  // resumes: nothing is missing any more
  EXPECT_NE(outcome.output.find("fetched 0 bars in 0 requests"), std::string::npos)
      << outcome.output;
}

TEST(GauntletCli, BadUsageFailsWithoutCrashing) {
  EXPECT_NE(run("config check").exit_code, 0);
  EXPECT_NE(run("no-such-command").exit_code, 0);
  EXPECT_EQ(run("config check /nonexistent.yaml").exit_code, 2);
}

}  // namespace
}  // namespace gauntlet
