// `gauntlet validate` end to end over real bars (three Binance pairs): a validating candidate of
// a paper session, whose phase 1 passed, goes through backtests of itself, its family and its
// shocks, walk-forward, stress tests, PBO, DSR and the gate; the decision lists every reason,
// goes back to the registry (a failed gate: exploring again, with the reasons), the trial log
// records the family, and the HTML report renders. The command line prints the same.
#include "validation/validation_manager.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config_manager.hpp"
#include "core/store/sqlite_store.hpp"
#include "core/time.hpp"
#include "orders/order_journal.hpp"
#include "strategies/strategy_registry.hpp"
#include "support/command.hpp"
#include "support/shared_data.hpp"
#include "support/temp_dir.hpp"
#include "validation/trial_log.hpp"

namespace gauntlet::validation {
namespace {

namespace fs = std::filesystem;

const strategies::StrategyDescriptor kCandidate{"ema_cross", Asset::kSpot,
                                                R"({"fast":9,"slow":21})"};

fs::path import_pairs(const fs::path& data, const fs::path& dir) {
  const testing::ImportedStore imported =
      testing::import_binance_spot(GAUNTLET_BINARY, data, dir, {"BTC", "ETH", "XRP"});
  EXPECT_EQ(imported.outcome.exit_code, 0) << imported.outcome.output;
  return imported.store;
}

// A paper session in which the candidate explored, closed 100 protected paper trades (phase 1)
// and moved to validating.
void make_session(const fs::path& state) {
  fs::create_directories(state);
  auto store = store::SqliteStore::open(state / "gauntlet.db");
  strategies::StrategyRegistry registry(*store);
  orders::OrderJournal journal(*store);
  const std::string id = registry.create(kCandidate, 1000).id;
  ASSERT_TRUE(registry.set_state(id, strategies::StrategyState::kExploring, "explore", 1001));
  config::Exploration exploration;
  OnlineValidator online(registry, journal, exploration);
  ASSERT_TRUE(online.start(id, 2000));
  for (int i = 0; i < 100; ++i) {
    orders::ClosedTrade t;
    t.strategy_id = id;
    t.symbol = Symbol::parse("BTCUSDT");
    t.entry_time = 3000 + i * 1000;
    t.exit_time = t.entry_time + 500;
    t.entry_price = Decimal::parse("100");
    t.exit_price = Decimal::parse("101");
    t.quantity = Decimal::parse("0.1");
    t.stop_loss = Decimal::parse("99");
    t.take_profit = Decimal::parse("101");
    t.realized_pnl = Decimal::parse("0.1");
    journal.record_closed_trade(t);
  }
  ASSERT_EQ(online.done(id), OnlineOutcome::kPass);
  ASSERT_TRUE(registry.set_state(id, strategies::StrategyState::kValidating, "phase 1", 9000));
}

TEST(Validate, RunsTheGauntletAppliesTheDecisionAndWritesTheReport) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  testing::TempDir dir;
  const fs::path store = import_pairs(data, dir.path());
  const fs::path session = dir.path() / "session";
  make_session(session);

  ValidateSpec spec;
  spec.config = load_config((testing::project_source_dir() / "config" / "default.yaml").string());
  spec.data_root = store;
  spec.from = parse_iso8601("2021-04-21");
  spec.to = parse_iso8601("2021-05-01");
  spec.session_state = session;
  spec.strategy_id = strategies::strategy_id(kCandidate);
  spec.search_space = testing::project_source_dir() / "config" / "ml_search.json";
  spec.reports_dir = dir.path() / "reports";
  spec.family_size = 3;
  spec.stress_paths = 300;
  spec.threads = 2;
  std::vector<std::string> stages;
  spec.progress = [&](std::string_view stage, double) {
    if (stages.empty() || stages.back() != stage) stages.emplace_back(stage);
  };
  const ValidationOutcome out = validate(spec);

  EXPECT_EQ(stages, (std::vector<std::string>{"backtests", "walk-forward", "stress", "report"}));
  EXPECT_TRUE(out.registered);
  EXPECT_EQ(out.online.outcome, OnlineOutcome::kPass);
  ASSERT_EQ(out.family.size(), 3u);
  EXPECT_EQ(out.family.front(), spec.strategy_id);
  EXPECT_GE(out.shocks.size(), 4u) << "each parameter ±20 %, slippage, latency";
  EXPECT_GT(out.metrics.trades.n_trades, 0u);
  EXPECT_EQ(out.walkforward.folds.size(), 5u);
  EXPECT_TRUE(out.trade_stress.has_value());
  EXPECT_FALSE(out.regimes.empty());
  EXPECT_TRUE(out.pbo.has_value());
  EXPECT_EQ(out.trials, 3u);
  // Broker truth: the engine's P&L is the venue's fills', to the cent.
  EXPECT_NEAR(out.broker_pnl, out.metrics.total_pnl, 1e-6);
  EXPECT_EQ(*out.input.reconciliation_error < 1e-6, true);

  // Ten days of bars are short of the evidence: the gate fails and says why.
  EXPECT_FALSE(out.decision.passed);
  const auto has_reason = [&](const std::string& start) {
    return std::any_of(out.decision.reasons.begin(), out.decision.reasons.end(),
                       [&](const std::string& r) { return r.starts_with(start); });
  };
  EXPECT_TRUE(has_reason("min_history_days: 10 days < 180"));
  EXPECT_TRUE(has_reason("sharpe: INSUFFICIENT"));
  EXPECT_FALSE(has_reason("online_validation"));
  EXPECT_EQ(out.decision.criteria.size(), 11u);

  // Applied: back to exploring, the reasons recorded; the trial log holds the family.
  ASSERT_TRUE(out.applied.has_value());
  EXPECT_TRUE(out.applied->ok);
  EXPECT_EQ(out.state_before, "validating");
  EXPECT_EQ(out.state_after, "exploring");
  {
    auto state = store::SqliteStore::open(session / "gauntlet.db");
    strategies::StrategyRegistry registry(*state);
    EXPECT_NE(registry.get(spec.strategy_id)->reason.find("promotion gate failed: min_trades"),
              std::string::npos);
    TrialLog trials(*state);
    EXPECT_EQ(trials.size(), 3u);
  }

  // The report: JSON with every criterion, HTML with the charts.
  ASSERT_TRUE(fs::exists(out.report.html));
  const nlohmann::json report = nlohmann::json::parse(testing::read_file(out.report.json));
  EXPECT_EQ(report.at("passed"), false);
  EXPECT_EQ(report.at("gate").size(), 11u);
  EXPECT_EQ(report.at("reasons").size(), out.decision.reasons.size());
  const std::string html = testing::read_file(out.report.html);
  for (const GateCriterionResult& c : out.decision.criteria)
    EXPECT_NE(html.find(c.name), std::string::npos) << c.name;
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("fold 5"), std::string::npos);

  // The command line: same decision, exit code 4, and `gauntlet report` reads it back.
  const std::string args = fmt::format(
      "validate --config {} --state {} --data-root {} --from 2021-04-21 --to 2021-05-01 "
      "--strategy-id {} --search-space {} --reports {} --family-size 2 --no-shocks "
      "--stress-paths 100 --quiet",
      (testing::project_source_dir() / "config" / "default.yaml").string(), session.string(),
      store.string(), spec.strategy_id, spec.search_space.string(),
      (dir.path() / "cli-reports").string());
  const testing::CommandOutcome cli = testing::run_command(GAUNTLET_BINARY, args);
  EXPECT_EQ(cli.exit_code, 4) << cli.output;
  EXPECT_NE(cli.output.find("DECISION: FAIL"), std::string::npos) << cli.output;
  EXPECT_NE(cli.output.find("min_history_days"), std::string::npos);
  EXPECT_NE(cli.output.find("registry: unchanged (exploring"), std::string::npos) << cli.output;
  const testing::CommandOutcome shown = testing::run_command(
      GAUNTLET_BINARY, fmt::format("report --reports {} --strategy-id {}",
                                   (dir.path() / "cli-reports").string(), spec.strategy_id));
  EXPECT_EQ(shown.exit_code, 0) << shown.output;
  EXPECT_NE(shown.output.find(spec.strategy_id + ": FAIL"), std::string::npos) << shown.output;
  const testing::CommandOutcome listed = testing::run_command(
      GAUNTLET_BINARY,
      fmt::format("report --reports {} --list", (dir.path() / "cli-reports").string()));
  EXPECT_NE(listed.output.find(spec.strategy_id), std::string::npos) << listed.output;
}

TEST(Validate, NamesAnUnknownStrategy) {
  testing::TempDir dir;
  ValidateSpec spec;
  spec.session_state = dir.path() / "session";
  spec.strategy_id = "ema_cross-0000000000";
  EXPECT_THROW(
      {
        try {
          validate(spec);
        } catch (const ArgumentError& e) {
          EXPECT_NE(std::string(e.what()).find("no strategy ema_cross-0000000000 in the session"),
                    std::string::npos);
          throw;
        }
      },
      ArgumentError);
}

}  // namespace
}  // namespace gauntlet::validation
