#include "core/config_manager.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <map>
#include <sstream>
#include <thread>

#include "core/exceptions.hpp"
#include "support/temp_dir.hpp"

namespace gauntlet {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

EnvironmentLookup fake_environment(std::map<std::string, std::string> variables = {}) {
  return [variables](const std::string& name) -> std::optional<std::string> {
    const auto found = variables.find(name);
    if (found == variables.end()) return std::nullopt;
    return found->second;
  };
}

// The problems a YAML text produces, or an empty list when it is valid.
std::vector<std::string> problems_of(std::string_view yaml,
                                     const fs::path& directory = fs::temp_directory_path(),
                                     const EnvironmentLookup& environment = fake_environment()) {
  try {
    parse_config(yaml, directory, environment);
    return {};
  } catch (const ConfigError& error) {
    return error.problems();
  }
}

fs::path config_dir() {
  return testing::project_source_dir() / "config";
}

TEST(ConfigManager, DefaultYamlSpellsOutExactlyTheCodeDefaults) {
  const config::Config loaded = load_config(config_dir() / "default.yaml", fake_environment());
  EXPECT_EQ(config::to_json(loaded).dump(2), config::to_json(config::Config{}).dump(2));
  EXPECT_TRUE(loaded == config::Config{});
}

TEST(ConfigManager, PaperYamlExtendsTheDefaults) {
  const config::Config paper = load_config(config_dir() / "paper.yaml", fake_environment());
  EXPECT_TRUE(paper.forex_enabled);
  EXPECT_EQ(paper.state_dir, "state/paper");
  EXPECT_EQ(paper.risk_for(Asset::kOptions), config::default_risk(Asset::kOptions));
  EXPECT_EQ(paper.timeframes.primary, Timeframe::k15m);
}

TEST(ConfigManager, ReportsEveryProblemWithPathAndValue) {
  const auto problems = problems_of(R"(
environment: staging
risk:
  spot:
    risk_fraction: 0.5
exploration:
  rotaton: round_robin
)");
  EXPECT_EQ(problems, (std::vector<std::string>{
                          "environment: must be one of simulation, production (got staging)",
                          "risk.spot.risk_fraction: must be in (0, 0.05] (got 0.5)",
                          "exploration.rotaton: unknown key (did you mean rotation?)",
                      }));
}

TEST(ConfigManager, ChecksTypesRangesAndCrossFieldRules) {
  struct Case {
    const char* yaml;
    const char* problem;
  };
  const Case cases[] = {
      {"rollout_stage: two", "rollout_stage: must be an integer (got two)"},
      {"rollout_stage: 4", "rollout_stage: must be in [0, 3] (got 4)"},
      {"rollout_stage: 1", "rollout_stage: must be 0 when environment is simulation (got 1)"},
      {"forex_enabled: maybe", "forex_enabled: must be true or false (got maybe)"},
      {"live_loop_interval: 1",
       "live_loop_interval: must be a duration with a unit: ms, s, m, h or d (got 1)"},
      {"live_loop_interval: 2h", "live_loop_interval: must be between 10ms and 1h (got 2h)"},
      {"state_dir: ''", "state_dir: must not be empty (got an empty string)"},
      {"timeframes: {primary: 7m}",
       "timeframes.primary: must be one of 1m, 3m, 5m, 15m, 30m, 1h, 4h, 1d (got 7m)"},
      {"timeframes: {confirm: 1h}",
       "timeframes.confirm: must be shorter than timeframes.primary (15m) and divide it (got 1h)"},
      {"timeframes: 15m", "timeframes: must be a mapping (got 15m)"},
      {"risk: {spot: {min_sl_fraction: 0.06}}",
       "risk.spot.min_sl_fraction: must be below max_sl_fraction 0.05 (got 0.06)"},
      {"risk: {perp: {max_leverage: [3]}}",
       "risk.perp.max_leverage: must be a number (got a list)"},
      {"risk: {perp: {max_leverage: nan}}", "risk.perp.max_leverage: must be a number (got nan)"},
      {"risk: {crypto: {}}", "risk.crypto: unknown key"},
      {"exploration: {min_paper_trades: 50}",
       "exploration.min_paper_trades: must be in [100, 100000] (got 50)"},
      {"exposure_caps: {clusters: {a: {symbols: [NOTASYMBOL]}}}",
       "exposure_caps.clusters.a.symbols[0]: not a symbol: no known quote currency at the end (got "
       "NOTASYMBOL)"},
      {"fee_model: {bybit: {spot: {taker: 0.1}}}",
       "fee_model.bybit.spot.taker: must be in [0, 0.05] (got 0.1)"},
      {"fee_model: {ibkr: {spot: {}}}", "fee_model.ibkr.spot: ibkr does not trade this asset"},
      {"critical_error_codes: {bybit: [10003, x]}",
       "critical_error_codes.bybit[1]: must be an integer (got x)"},
      {"budgets: {reallocation_step: '0'}",
       "budgets.reallocation_step: must be in (0, 1000000] (got 0)"},
      {"budgets: {allocation: {spot: '-1'}}",
       "budgets.allocation.spot: must be in [0, 1000000000] (got -1)"},
      {"paper: {top_up_threshold: '2000'}",
       "paper.top_up_threshold: must be below starting_equity 1000 (got 2000)"},
      {"ui: {port: -1}", "ui.port: must be in [0, 65535] (got -1)"},
      {"ui: {bind_address: '::1', quote_push_interval: 10ms}",
       "ui.quote_push_interval: must be between 100ms and 1m (got 10ms)"},
      {"telegram: {allowed_chat_ids: [12, abc]}",
       "telegram.allowed_chat_ids[1]: must be an integer chat id (got abc)"},
      {"bybit: {environment: live}",
       "bybit.environment: must be one of mainnet, testnet, demo (got live)"},
      {"bybit: {recv_window: 10m}", "bybit.recv_window: must be between 100ms and 1m (got 10m)"},
      {"universe: {size: 0}", "universe.size: must be in [1, 200] (got 0)"},
      {"universe: {sentiment_weight: 2}", "universe.sentiment_weight: must be in [0, 1] (got 2)"},
      {"universe: {spike_ratio: 1}", "universe.spike_ratio: must be in (1, 1000] (got 1)"},
      {"risk:\n  spot: {}\n  spot: {}", "risk.spot: duplicate key"},
      {"- a\n- b", "(top level): must be a mapping (got a list)"},
      {"extends: missing.yaml", "cannot read the file"},
  };
  for (const Case& c : cases) {
    const auto problems = problems_of(c.yaml);
    bool found = false;
    for (const auto& problem : problems)
      found = found || problem.find(c.problem) != std::string::npos;
    EXPECT_TRUE(found) << c.yaml << "\n  expected: " << c.problem
                       << "\n  got: " << (problems.empty() ? "(valid)" : problems.front());
  }
}

TEST(ConfigManager, ReportsYamlSyntaxErrorsWithLineAndColumn) {
  const auto problems = problems_of("risk: [1,\n");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("(text):2:1: YAML syntax error"), std::string::npos) << problems[0];
}

TEST(ConfigManager, RejectsSecretsInYamlWithoutEchoingThem) {
  const auto problems =
      problems_of("bybit:\n  api_key: hunter2-key\ntelegram:\n  bot_token: 123:abc\n");
  ASSERT_GE(problems.size(), 2u);
  std::string all;
  for (const auto& problem : problems) all += problem + "\n";
  EXPECT_NE(all.find("bybit.api_key: secrets are not read from config files"), std::string::npos);
  EXPECT_NE(all.find("telegram.bot_token: secrets are not read from config files"),
            std::string::npos);
  EXPECT_EQ(all.find("hunter2"), std::string::npos);
  EXPECT_EQ(all.find("123:abc"), std::string::npos);
}

TEST(ConfigManager, ReadsSecretsFromTheEnvironmentAndNeverPrintsThem) {
  Secrets secrets;
  parse_config("telegram: {enabled: true, allowed_chat_ids: [-100123]}", fs::temp_directory_path(),
               fake_environment({{"GAUNTLET_TELEGRAM_BOT_TOKEN", "123:secret-token"}}), &secrets);
  EXPECT_EQ(secrets.telegram_bot_token.reveal(), "123:secret-token");
  EXPECT_EQ(fmt::format("{}", secrets.telegram_bot_token), "***");
  EXPECT_EQ(fmt::format("{}", secrets.bybit_api_key), "<unset>");
  std::ostringstream stream;
  stream << secrets.telegram_bot_token;
  EXPECT_EQ(stream.str(), "***");

  EXPECT_EQ(problems_of("environment: production\nrollout_stage: 1"),
            (std::vector<std::string>{
                "rollout_stage: live trading on Bybit needs GAUNTLET_BYBIT_API_KEY and "
                "GAUNTLET_BYBIT_API_SECRET in the environment or in secrets_file (got 1)"}));
}

TEST(ConfigManager, ReadsASecretsFileOnlyOutsideTheRepositoryAndPrivate) {
  const TempDir outside;
  const fs::path file = outside.write("secrets.env",
                                      "# bybit\nGAUNTLET_BYBIT_API_KEY=file-key\n"
                                      "GAUNTLET_BYBIT_API_SECRET = \"file-secret\"\n");
  ::chmod(file.c_str(), 0600);
  const std::string yaml = "secrets_file: " + file.string() + "\n";
  Secrets secrets;
  parse_config(yaml, outside.path(), fake_environment({{"GAUNTLET_BYBIT_API_KEY", "env-key"}}),
               &secrets);
  EXPECT_EQ(secrets.bybit_api_key.reveal(), "env-key");  // the environment wins
  EXPECT_EQ(secrets.bybit_api_secret.reveal(), "file-secret");

  ::chmod(file.c_str(), 0644);
  auto problems = problems_of(yaml, outside.path());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("readable by group or others (mode 0644); chmod 600 it"),
            std::string::npos);

  const TempDir repository;
  fs::create_directories(repository.path() / ".git");
  const fs::path inside = repository.write("config/secrets.env", "GAUNTLET_BYBIT_API_KEY=x\n");
  ::chmod(inside.c_str(), 0600);
  problems = problems_of("secrets_file: secrets.env", repository.path() / "config");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("must lie outside the repository"), std::string::npos) << problems[0];

  const fs::path broken = outside.write("broken.env", "GAUNTLET_NOPE=1\njust text\n");
  ::chmod(broken.c_str(), 0600);
  problems = problems_of("secrets_file: " + broken.string(), outside.path());
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_NE(problems[0].find("line 1 names unknown secret GAUNTLET_NOPE"), std::string::npos);
  EXPECT_NE(problems[1].find("line 2 is not NAME=VALUE"), std::string::npos);
  EXPECT_EQ(problems_of("secrets_file: /nonexistent/secrets.env").at(0),
            "secrets_file: file does not exist (got /nonexistent/secrets.env)");
}

TEST(ConfigManager, ExtendsMergesMapsAndDetectsCycles) {
  const TempDir dir;
  dir.write("base.yaml",
            "risk: {spot: {risk_fraction: 0.02, max_leverage: 2}}\nforex_enabled: true\n");
  const fs::path child =
      dir.write("child.yaml", "extends: base.yaml\nrisk: {spot: {max_leverage: 1.5}}\n");
  const config::Config config = load_config(child, fake_environment());
  EXPECT_EQ(config.risk_for(Asset::kSpot).risk_fraction, 0.02);
  EXPECT_EQ(config.risk_for(Asset::kSpot).max_leverage, 1.5);
  EXPECT_TRUE(config.forex_enabled);

  dir.write("a.yaml", "extends: b.yaml\n");
  const fs::path b = dir.write("b.yaml", "extends: a.yaml\n");
  try {
    load_config(b, fake_environment());
    ADD_FAILURE() << "cycle accepted";
  } catch (const ConfigError& error) {
    EXPECT_EQ(error.problems().at(0),
              "extends: forms a cycle: b.yaml -> a.yaml -> b.yaml (got b.yaml)");
  }
}

TEST(ConfigManager, GettersFollowTheConfig) {
  const TempDir dir;
  const fs::path file = dir.write("c.yaml", "exchange_profile: perp\noptions_enabled: true\n");
  const ConfigManager manager(file, {fake_environment()});
  EXPECT_EQ(manager.get_assets(), (std::vector<Asset>{Asset::kPerp, Asset::kOptions}));
  EXPECT_EQ(manager.get_risk(Asset::kPerp).max_leverage, 3.0);
  EXPECT_EQ(manager.get("timeframes")["primary"], "15m");
  EXPECT_EQ(manager.get("paper")["starting_equity"], "1000");
  EXPECT_THROW(manager.get("nope"), ConfigError);
  EXPECT_TRUE(manager.version().starts_with("v1-")) << manager.version();
}

TEST(ConfigManager, HotReloadAppliesReloadableSectionsOnly) {
  const TempDir dir;
  const fs::path file = dir.write("live.yaml", "risk: {spot: {risk_fraction: 0.01}}\n");
  ConfigManager manager(file, {fake_environment()});
  const auto before = manager.snapshot();
  const std::string first_version = manager.version();
  int notified = 0;
  manager.on_reload([&](const config::Config& config) {
    ++notified;
    EXPECT_EQ(config.risk_for(Asset::kSpot).risk_fraction, 0.02);
  });

  // A reloadable change plus one that needs a restart.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  dir.write("live.yaml", "risk: {spot: {risk_fraction: 0.02}}\nforex_enabled: true\n");
  EXPECT_TRUE(manager.source_changed());
  ReloadResult result = manager.reload();
  EXPECT_TRUE(result.applied);
  EXPECT_TRUE(result.problems.empty());
  EXPECT_EQ(result.needs_restart,
            (std::vector<std::string>{
                "forex_enabled: changed in the file; takes effect after a restart"}));
  EXPECT_TRUE(result.version.starts_with("v2-")) << result.version;
  EXPECT_NE(result.version, first_version);
  EXPECT_EQ(manager.get_risk(Asset::kSpot).risk_fraction, 0.02);
  EXPECT_FALSE(manager.snapshot()->forex_enabled);
  EXPECT_EQ(before->risk_for(Asset::kSpot).risk_fraction, 0.01);  // old snapshots stay intact
  EXPECT_EQ(notified, 1);
  EXPECT_FALSE(manager.source_changed());

  // An invalid file is rejected and the running config stays.
  dir.write("live.yaml", "risk: {spot: {risk_fraction: 0.9}}\n");
  result = manager.reload();
  EXPECT_FALSE(result.applied);
  EXPECT_EQ(result.problems,
            (std::vector<std::string>{"risk.spot.risk_fraction: must be in (0, 0.05] (got 0.9)"}));
  EXPECT_EQ(result.version, manager.version());
  EXPECT_EQ(manager.get_risk(Asset::kSpot).risk_fraction, 0.02);

  // Reloading an unchanged file changes nothing.
  dir.write("live.yaml", "risk: {spot: {risk_fraction: 0.02}}\n");
  result = manager.reload();
  EXPECT_FALSE(result.applied);
  EXPECT_TRUE(result.version.starts_with("v2-"));
  EXPECT_EQ(notified, 1);
}

TEST(ConfigManager, ConstructorThrowsWithEveryProblem) {
  const TempDir dir;
  const fs::path file = dir.write("bad.yaml", "ui: {port: x}\nexploration: {boost_factor: 0}\n");
  try {
    ConfigManager manager(file, {fake_environment()});
    ADD_FAILURE();
  } catch (const ConfigError& error) {
    EXPECT_EQ(error.problems().size(), 2u);
    EXPECT_EQ(std::string(error.what()),
              "exploration.boost_factor: must be in [1, 100] (got 0)\nui.port: must be an integer "
              "(got x)");
  }
}

}  // namespace
}  // namespace gauntlet
