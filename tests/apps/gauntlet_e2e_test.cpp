// The gauntlet end to end, with no manual command: `gauntlet run --feed replay` over two years of
// real Binance spot bars (BTC, ETH and SUI, LEAN's own day-file layout, imported by `gauntlet
// data import`), with the default config. Candidates explore on paper, reach the paper-trade
// threshold, are validated by the session itself (backtests of the bars seen so far, walk-
// forward, stress tests, the gate), and the registry's history shows each decision with the
// gate's reasons, the feed its evidence came from and the report it wrote.
//
// Slow: under ASan the replay of 3.1 million 1m bars and its validations take well over half an
// hour, so the test is built only with -DGAUNTLET_SLOW_TESTS=ON (not by make test). Each
// validation backtests a family of two without the shocks (`--validation-family 2
// --no-validation-shocks`); the gate is the default. Exploration retires a candidate below a
// profit factor of 0.5 after 30 trades instead of 0.7: with 0.7 every candidate of those two
// years was retired before its 100th paper trade (the README's report), so none reached the
// gate. `make e2e` builds and runs it in the release
// preset (about ten times faster than under ASan).
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "core/store/sqlite_store.hpp"
#include "strategies/strategy_registry.hpp"
#include "support/command.hpp"
#include "support/shared_data.hpp"
#include "support/temp_dir.hpp"

namespace gauntlet {
namespace {

namespace fs = std::filesystem;
using strategies::StrategyState;
using strategies::TransitionKind;

int run(const std::vector<std::string>& arguments, const fs::path& log) {
  return testing::wait_exit_code(testing::spawn_binary(GAUNTLET_BINARY, arguments, log, log));
}

TEST(GauntletEndToEnd, TwoYearsOfRealBarsMoveCandidatesThroughTheGauntletUnattended) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  testing::TempDir dir;
  const fs::path source = testing::project_source_dir();
  const fs::path store = dir.path() / "store";
  for (const char* pair : {"btcusdt", "ethusdt", "suiusdt"}) {
    ASSERT_EQ(run({"data", "import", (data / "crypto/binance_spot_long" / pair).string(),
                   "--data-root", store.string()},
                  dir.path() / "import.log"),
              0)
        << testing::read_file(dir.path() / "import.log");
  }

  const fs::path state = dir.path() / "state";
  const fs::path log = dir.path() / "run.log";
  const fs::path config = dir.path() / "e2e.yaml";
  std::ofstream(config) << "extends: " << (source / "config" / "default.yaml").string()
                        << "\nexploration:\n  retire_below_profit_factor: 0.5\n";
  ASSERT_EQ(run({"run", "--feed", "replay", "--config", config.string(), "--search-space",
                 (source / "config" / "ml_search.json").string(), "--data-root", store.string(),
                 "--state", state.string(), "--validation-family", "2", "--no-validation-shocks",
                 "--quiet"},
                log),
            0)
      << testing::read_file(log);

  auto db = store::SqliteStore::open(state / "gauntlet.db");
  const strategies::StrategyRegistry registry(*db);
  std::map<std::string, int> decided;  // "promoted" / "refused" / "retired"
  int validated = 0;
  for (const strategies::StrategyRecord& record : registry.get_for(Asset::kSpot)) {
    const std::vector<strategies::Transition> history = registry.history(record.id);
    ASSERT_FALSE(history.empty());
    EXPECT_EQ(history.front().kind, TransitionKind::kCreated);
    for (std::size_t i = 0; i < history.size(); ++i) {
      const strategies::Transition& t = history[i];
      if (t.kind != TransitionKind::kState) continue;
      // Every move is one the gauntlet allows, and every verdict carries its evidence.
      if (t.to == StrategyState::kValidating) {
        EXPECT_EQ(t.from, StrategyState::kExploring) << record.id;
        EXPECT_NE(t.reason.find("phase 1 passed"), std::string::npos) << t.reason;
        ++validated;
      }
      if (t.from == StrategyState::kValidating) {
        EXPECT_NE(t.reason.find("evidence: replayed real bars"), std::string::npos) << t.reason;
        EXPECT_NE(t.reason.find("report "), std::string::npos) << t.reason;
        if (t.to == StrategyState::kPromoted) {
          EXPECT_NE(t.reason.find("promotion gate passed"), std::string::npos) << t.reason;
          ++decided["promoted"];
        } else {
          EXPECT_EQ(t.to, StrategyState::kExploring);
          EXPECT_NE(t.reason.find("promotion gate failed: "), std::string::npos) << t.reason;
          ++decided["refused"];
        }
      }
      if (t.to == StrategyState::kRetired) ++decided["retired"];
    }
  }
  // The automatic gauntlet ran: candidates went candidate -> exploring -> validating, and the
  // gate decided on every one of them before the replay ended.
  EXPECT_GE(validated, 1);
  EXPECT_EQ(decided["promoted"] + decided["refused"], validated);
  EXPECT_TRUE(registry.get_for(Asset::kSpot, StrategyState::kValidating).empty());
  EXPECT_GE(decided["retired"], 1) << "weak candidates are retired and replaced";
  std::cout << fmt::format("two years: {} validations, {} promoted, {} refused, {} retired\n",
                           validated, decided["promoted"], decided["refused"], decided["retired"]);
  EXPECT_TRUE(fs::exists(state / "reports"));
}

}  // namespace
}  // namespace gauntlet
