// End to end: `gauntlet run --feed replay` over 30 days of real 1m bars (three Binance pairs,
// resampled to 5m/15m on the fly), at full speed. Trades happen across several candidates,
// every trade carries its stop loss and take profit, the caps hold, the budget is the trades'
// exact sum, the registry recorded the lifecycle; two runs give byte-identical trade logs, and a
// run killed with SIGKILL halfway and restarted finishes with the same trade log.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "capital/budget_manager.hpp"
#include "core/config.hpp"
#include "core/decimal.hpp"
#include "core/store/sqlite_store.hpp"
#include "orders/order_journal.hpp"
#include "strategies/strategy_registry.hpp"
#include "support/command.hpp"
#include "support/shared_data.hpp"
#include "support/temp_dir.hpp"

namespace gauntlet {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPairs[] = {"BTC", "ETH", "XRP"};

// Runs the gauntlet binary with `arguments` (split on spaces), output to `log`; returns the
// child's pid without waiting.
pid_t spawn(const std::vector<std::string>& arguments, const fs::path& log) {
  return testing::spawn_binary(GAUNTLET_BINARY, arguments, log, log);
}

int wait_for(pid_t pid) {
  return testing::wait_exit_code(pid);
}

int run(const std::vector<std::string>& arguments, const fs::path& log) {
  return wait_for(spawn(arguments, log));
}

// The defaults, with candidates retired sooner, so that a month shows a whole lifecycle.
fs::path write_config(const fs::path& dir) {
  const fs::path path = dir / "replay.yaml";
  std::ofstream(path) << "extends: "
                      << (testing::project_source_dir() / "config" / "default.yaml").string()
                      << "\nexploration:\n  retire_after_trades: 20\n"
                         "  retire_below_profit_factor: 1.0\n";
  return path;
}

std::vector<std::string> replay_arguments(const fs::path& store, const fs::path& state,
                                          const fs::path& trades) {
  const fs::path source = testing::project_source_dir();
  return {"run", "--feed", "replay", "--config", (store.parent_path() / "replay.yaml").string(),
          "--search-space", (source / "config" / "ml_search.json").string(), "--data-root",
          store.string(), "--state", state.string(), "--trade-log", trades.string(),
          // The automatic gauntlet's trial log (the DSR's N) is written by its worker, outside
          // the engine's transactions: a run killed mid-validation may count a trial twice, so
          // the kill test compares paper trading alone (the pipeline has its own test).
          "--no-validate", "--quiet"};
}

struct Row {
  std::string strategy;
  std::string symbol;
  std::string side;
  TimestampMs entry_time = 0;
  TimestampMs exit_time = 0;
  Decimal entry;
  Decimal exit;
  Decimal quantity;
  Decimal stop_loss;
  Decimal take_profit;
  Decimal fees;
  Decimal pnl;
  std::string reason;
};

std::vector<Row> read_trades(const fs::path& path) {
  const std::vector<std::string> lines = testing::read_lines(path);
  EXPECT_FALSE(lines.empty());
  EXPECT_EQ(lines[0],
            "strategy_id,asset,symbol,side,entry_time_ms,exit_time_ms,entry_price,exit_price,qty,"
            "stop_loss,take_profit,fees,realized_pnl,exit_reason");
  std::vector<Row> rows;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::vector<std::string> c = testing::split_csv_line(lines[i]);
    EXPECT_EQ(c.size(), 14u) << lines[i];
    if (c.size() != 14) continue;
    rows.push_back({c[0], c[2], c[3], std::stoll(c[4]), std::stoll(c[5]), Decimal::parse(c[6]),
                    Decimal::parse(c[7]), Decimal::parse(c[8]), Decimal::parse(c[9]),
                    Decimal::parse(c[10]), Decimal::parse(c[11]), Decimal::parse(c[12]), c[13]});
  }
  return rows;
}

std::string read_or_empty(const fs::path& path) {
  std::error_code error;
  return fs::exists(path, error) ? testing::read_file(path) : std::string();
}

std::size_t count_lines(const fs::path& path) {
  std::error_code error;
  if (!fs::exists(path, error)) return 0;
  return testing::read_lines(path).size();
}

TEST(RunReplay, ThirtyDaysAreDeterministicSurviveSigkillAndHoldEveryRule) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  testing::TempDir dir;
  const fs::path files = dir.path() / "files";
  fs::create_directories(files);
  for (const char* pair : kPairs) {
    const std::string name = fmt::format("{}_USDT-1m.json.gz", pair);
    fs::create_symlink(data / "crypto/binance_spot" / name, files / name);
  }
  const fs::path store = dir.path() / "store";
  write_config(dir.path());
  ASSERT_EQ(run({"data", "import", files.string(), "--data-root", store.string()},
                dir.path() / "import.log"),
            0)
      << testing::read_file(dir.path() / "import.log");

  // The uninterrupted run, and a second one: byte-identical trade logs.
  const fs::path first = dir.path() / "first.csv";
  ASSERT_EQ(run(replay_arguments(store, dir.path() / "state-first", first), dir.path() / "a.log"),
            0)
      << testing::read_file(dir.path() / "a.log");
  const fs::path second = dir.path() / "second.csv";
  ASSERT_EQ(run(replay_arguments(store, dir.path() / "state-second", second), dir.path() / "b.log"),
            0);
  const std::string trade_log = testing::read_file(first);
  EXPECT_EQ(testing::read_file(second), trade_log);

  const std::vector<Row> rows = read_trades(first);
  ASSERT_GE(rows.size(), 60u);

  // Several candidates traded.
  std::set<std::string> strategies;
  for (const Row& r : rows) strategies.insert(r.strategy);
  EXPECT_GE(strategies.size(), 3u);

  // Every trade had its protection on the right sides, and ended by it or by its time limit.
  const config::RiskLimits spot_limits = config::default_risk(Asset::kSpot);
  for (const Row& r : rows) {
    ASSERT_TRUE(r.stop_loss.is_positive() && r.take_profit.is_positive()) << r.strategy;
    EXPECT_EQ(r.side, "buy") << "spot trades are longs";
    EXPECT_LT(r.stop_loss, r.take_profit);
    EXPECT_TRUE(r.reason == "stop_loss" || r.reason == "take_profit" ||
                r.reason == "max_holding_time")
        << r.reason;
    if (r.reason == "max_holding_time") {
      EXPECT_GE(r.exit_time - r.entry_time, spot_limits.max_holding_time);
    }
    EXPECT_LT(r.entry_time, r.exit_time);
  }

  // Caps: one position per symbol at a time, at most max_open_positions at once, and the
  // close order of the log.
  const config::RiskLimits spot = config::default_risk(Asset::kSpot);
  std::vector<std::pair<TimestampMs, int>> changes;
  std::map<std::string, TimestampMs> busy_until;
  for (const Row& r : rows) {
    changes.emplace_back(r.entry_time, +1);
    changes.emplace_back(r.exit_time, -1);
  }
  std::sort(changes.begin(), changes.end());
  int open = 0;
  int most = 0;
  for (const auto& [time, delta] : changes) {
    open += delta;
    most = std::max(most, open);
  }
  EXPECT_LE(most, spot.max_open_positions);
  std::map<std::string, std::vector<const Row*>> by_symbol;
  for (const Row& r : rows) by_symbol[r.symbol].push_back(&r);
  for (auto& [symbol, trades] : by_symbol) {
    std::sort(trades.begin(), trades.end(),
              [](const Row* a, const Row* b) { return a->entry_time < b->entry_time; });
    for (std::size_t i = 1; i < trades.size(); ++i)
      EXPECT_GE(trades[i]->entry_time, trades[i - 1]->exit_time) << symbol;
  }
  for (std::size_t i = 1; i < rows.size(); ++i) EXPECT_GE(rows[i].exit_time, rows[i - 1].exit_time);

  {
    // The state: the budget is the allocation plus every closed trade's P&L, less the fees of
    // the entries still open; the registry recorded every candidate's lifecycle.
    auto state = store::SqliteStore::open(dir.path() / "state-first" / "gauntlet.db");
    orders::OrderJournal journal(*state);
    const std::vector<orders::ClosedTrade> closed = journal.closed_trades();
    ASSERT_EQ(closed.size(), rows.size());
    Decimal realized;
    Decimal closed_fees;
    for (const orders::ClosedTrade& t : closed) {
      realized = realized + t.realized_pnl;
      closed_fees = closed_fees + t.fees;
    }
    Decimal all_fees;
    for (const Fill& fill : journal.all_fills()) all_fees = all_fees + fill.fee;
    capital::BudgetManager budget(*state, config::default_budgets());
    const Decimal allocation = config::default_budgets().allocation[0];
    EXPECT_EQ(budget.get_alloc(Asset::kSpot), allocation + realized - (all_fees - closed_fees));
    EXPECT_GE(budget.available(Asset::kSpot), Decimal::zero());

    strategies::StrategyRegistry registry(*state);
    const auto all = registry.get_for(Asset::kSpot);
    EXPECT_GE(all.size(), 4u);
    int left_exploring = 0;
    for (const strategies::StrategyRecord& record : all) {
      const auto history = registry.history(record.id);
      ASSERT_GE(history.size(), 2u) << record.id;
      EXPECT_EQ(history[0].kind, strategies::TransitionKind::kCreated);
      EXPECT_EQ(history[1].to, strategies::StrategyState::kExploring);
      if (record.state != strategies::StrategyState::kExploring) ++left_exploring;
    }
    EXPECT_GE(left_exploring, 1) << "a candidate was retired or promoted and replaced";
    for (const std::string& id : strategies) EXPECT_TRUE(registry.get(id)) << id;
  }

  // The dry-run diff of the session against the same bars: every order would fill on live.
  const fs::path diff_log = dir.path() / "diff.json";
  ASSERT_EQ(run({"diff", "--state", (dir.path() / "state-first").string(), "--prices",
                 store.string(), "--config",
                 (testing::project_source_dir() / "config" / "default.yaml").string(), "--json"},
                diff_log),
            0)
      << testing::read_file(diff_log);
  const std::string diff = testing::read_file(diff_log);
  const std::string totals = diff.substr(diff.rfind("\"totals\""));
  EXPECT_NE(totals.find("\"would_reject\": 0"), std::string::npos) << totals;
  EXPECT_NE(totals.find("\"unknown\": 0"), std::string::npos) << totals;

  // Killed halfway (SIGKILL, no chance to clean up), then the same command again.
  const fs::path killed = dir.path() / "killed.csv";
  const fs::path killed_state = dir.path() / "state-killed";
  const pid_t pid =
      spawn(replay_arguments(store, killed_state, killed), dir.path() / "killed-1.log");
  const std::size_t half = rows.size() / 2 + 1;
  bool alive = true;
  while (count_lines(killed) < half + 1) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      alive = false;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(alive) << "the run ended before it could be killed";
  ::kill(pid, SIGKILL);
  EXPECT_EQ(wait_for(pid), 128 + SIGKILL);
  EXPECT_LT(count_lines(killed), rows.size() + 1) << "killed before the end";
  ASSERT_EQ(run(replay_arguments(store, killed_state, killed), dir.path() / "killed-2.log"), 0)
      << testing::read_file(dir.path() / "killed-2.log");
  EXPECT_EQ(testing::read_file(killed), trade_log);
}

// `gauntlet run` with no network: the simulated market, announced; SIGTERM stops it gracefully
// (exit 0, state committed), and the same command resumes the session.
TEST(RunSimulated, StartsOfflineStopsOnSigtermAndResumes) {
  testing::TempDir dir;
  const fs::path source = testing::project_source_dir();
  const std::vector<std::string> arguments = {
      "run", "--config", (source / "config" / "default.yaml").string(), "--search-space",
      (source / "config" / "ml_search.json").string(), "--state", (dir.path() / "state").string(),
      "--speed", "6000", "--status-interval", "1s",
      // No venue there, whatever the machine's network.
      "--bybit-url", "http://127.0.0.1:1"};
  const fs::path first_log = dir.path() / "first.log";
  const pid_t pid = spawn(arguments, first_log);
  // Running: the status lines come.
  for (int i = 0; i < 600 && read_or_empty(first_log).find("[simulated ") == std::string::npos;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));
  ::kill(pid, SIGTERM);
  EXPECT_EQ(wait_for(pid), 0);
  const std::string first = testing::read_file(first_log);
  EXPECT_NE(first.find("gauntlet run: no live feed (http://127.0.0.1:1 unreachable"),
            std::string::npos)
      << first;
  EXPECT_NE(first.find("SIMULATED MARKET"), std::string::npos) << first;
  EXPECT_NE(first.find("[simulated "), std::string::npos) << first;
  EXPECT_NE(first.find("gauntlet run: stopped;"), std::string::npos) << first;

  std::vector<std::string> again = arguments;
  again.push_back("--run-for");
  again.push_back("1s");
  const fs::path second_log = dir.path() / "second.log";
  EXPECT_EQ(run(again, second_log), 0);
  const std::string second = testing::read_file(second_log);
  EXPECT_NE(second.find("(resumed)"), std::string::npos) << second;
}

}  // namespace
}  // namespace gauntlet
