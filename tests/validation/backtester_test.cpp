// The backtester over real bars (three Binance pairs, 1m): `gauntlet backtest` gives the same
// trade log, byte for byte, as `gauntlet run --feed replay` over the same period; the library's
// metrics agree with its trades and equity curve; the lookahead check passes the engine's
// strategies and catches a setup that feeds strategies the next bar.
#include "validation/backtester.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <string>
#include <vector>

#include "core/config_manager.hpp"
#include "core/exceptions.hpp"
#include "core/time.hpp"
#include "runtime/app_runtime.hpp"
#include "support/command.hpp"
#include "support/shared_data.hpp"
#include "support/temp_dir.hpp"

namespace gauntlet::validation {
namespace {

namespace fs = std::filesystem;

// A bar store of the three pairs' 1m bars, imported by the gauntlet binary.
fs::path import_pairs(const fs::path& data, const fs::path& dir) {
  const testing::ImportedStore imported =
      testing::import_binance_spot(GAUNTLET_BINARY, data, dir, {"BTC", "ETH", "XRP"});
  EXPECT_EQ(imported.outcome.exit_code, 0) << imported.outcome.output;
  return imported.store;
}

std::string config_file() {
  return (testing::project_source_dir() / "config" / "default.yaml").string();
}

std::string search_space() {
  return (testing::project_source_dir() / "config" / "ml_search.json").string();
}

BacktestSpec spec_for(const fs::path& store, const std::string& from, const std::string& to) {
  BacktestSpec spec;
  spec.config = load_config(config_file());
  spec.data_root = store;
  spec.from = parse_iso8601(from);
  spec.to = parse_iso8601(to);
  spec.search_space = search_space();
  return spec;
}

// The store's first day, to pick windows inside the data.
std::string first_day(const fs::path& store) {
  const data::BarStore bars(store);
  TimestampMs first = INT64_MAX;
  for (const data::SeriesKey& key : bars.list()) first = std::min(first, *bars.first_bar_time(key));
  return format_iso8601(floor_to(first, kDayMs) + kDayMs).substr(0, 10);
}

std::string day_after(const std::string& day, int days) {
  return format_iso8601(parse_iso8601(day) + days * kDayMs).substr(0, 10);
}

TEST(Backtester, GivesTheSameTradesAsThePaperReplayByteForByte) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  testing::TempDir dir;
  const fs::path store = import_pairs(data, dir.path());
  const std::string from = first_day(store);
  const std::string to = day_after(from, 14);
  const std::string common =
      fmt::format("--config {} --search-space {} --data-root {} --from {} --to {}", config_file(),
                  search_space(), store.string(), from, to);

  const fs::path paper = dir.path() / "paper.csv";
  const testing::CommandOutcome run = testing::run_command(
      GAUNTLET_BINARY, fmt::format("run --feed replay {} --state {} --trade-log {} --quiet", common,
                                   (dir.path() / "paper-state").string(), paper.string()));
  ASSERT_EQ(run.exit_code, 0) << run.output;

  const fs::path backtest = dir.path() / "backtest.csv";
  const fs::path json = dir.path() / "backtest.json";
  const testing::CommandOutcome tested =
      testing::run_command(GAUNTLET_BINARY, fmt::format("backtest {} --trade-log {} --json {}",
                                                        common, backtest.string(), json.string()));
  ASSERT_EQ(tested.exit_code, 0) << tested.output;

  const std::string paper_log = testing::read_file(paper);
  EXPECT_EQ(testing::read_file(backtest), paper_log);
  const std::size_t trades = testing::read_lines(paper).size() - 1;
  EXPECT_GE(trades, 20u) << "two weeks of three pairs trade";

  // The terminal summary and the JSON say the same.
  EXPECT_NE(tested.output.find("backtest"), std::string::npos);
  EXPECT_NE(tested.output.find("book"), std::string::npos) << tested.output;
  const nlohmann::json out = nlohmann::json::parse(testing::read_file(json));
  EXPECT_EQ(out.at("metrics").at("n_trades").get<std::size_t>(), trades);
  std::size_t per_strategy = 0;
  for (const auto& [id, s] : out.at("strategies").items())
    per_strategy += s.at("metrics").at("n_trades").get<std::size_t>();
  EXPECT_EQ(per_strategy, trades);
}

TEST(Backtester, MetricsAgreeWithTheTradesAndTheEquityCurve) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  testing::TempDir dir;
  const fs::path store = import_pairs(data, dir.path());
  const std::string from = first_day(store);
  BacktestSpec spec = spec_for(store, from, day_after(from, 10));
  spec.candidates = {{"ema_cross", Asset::kSpot, R"({"fast":9,"slow":21})"},
                     {"rsi_reversion", Asset::kSpot, "{}"}};
  std::vector<double> progress;
  spec.progress = [&progress](double f) { progress.push_back(f); };
  const BacktestResult result = run(spec);

  ASSERT_EQ(result.strategies.size(), 2u) << "only the given candidates run";
  ASSERT_FALSE(result.trades.empty());
  ASSERT_FALSE(progress.empty());
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
  EXPECT_DOUBLE_EQ(progress.back(), 1.0);

  double pnl = 0;
  for (const orders::ClosedTrade& t : result.trades) pnl += t.realized_pnl.to_double();
  EXPECT_EQ(result.metrics.trades.n_trades, result.trades.size());
  EXPECT_NEAR(result.metrics.total_pnl, pnl, 1e-9);
  // Every trade closed before the end: the curve ends at the start plus their P&L.
  EXPECT_NEAR(result.equity.back().equity, result.metrics.starting_equity + pnl, 1e-6);
  EXPECT_EQ(result.equity.size(), result.metrics.periods + 1);
  EXPECT_EQ(result.metrics.periods,
            static_cast<std::size_t>((result.to - result.from) / (15 * kMinuteMs)));
  EXPECT_GT(result.metrics.exposure, 0.0);
  EXPECT_LE(result.metrics.exposure, 1.0);
  EXPECT_GT(result.metrics.turnover, 0.0);
  EXPECT_TRUE(result.metrics.sharpe.has_value());
  EXPECT_GE(result.metrics.max_drawdown, 0.0);

  std::size_t split = 0;
  for (const auto& [id, s] : result.by_strategy) {
    split += s.trades.size();
    EXPECT_EQ(s.record.state, strategies::StrategyState::kExploring) << "no lifecycle";
    for (const orders::ClosedTrade& t : s.trades) EXPECT_EQ(t.strategy_id, id);
  }
  EXPECT_EQ(split, result.trades.size());

  // Deterministic: the same spec, the same trades and signals, in a state directory of its own.
  spec.progress = nullptr;
  spec.state_dir = dir.path() / "backtest-state";
  const BacktestResult again = run(spec);
  EXPECT_EQ(again.trades, result.trades);
  EXPECT_EQ(again.signals, result.signals);

  // A backtest keeps no hourly checkpoint: its state is neither reused nor resumed.
  EXPECT_THROW(run(spec), ArgumentError);
  runtime::RunOptions resume;
  resume.feed = runtime::FeedMode::kReplay;
  resume.state_dir = spec.state_dir;
  resume.data_root = store;
  resume.quiet = true;
  runtime::AppRuntime session(spec.config, resume);
  try {
    session.start_all();
    ADD_FAILURE() << "a backtest's state was resumed";
  } catch (const ArgumentError& error) {
    EXPECT_NE(std::string(error.what()).find("holds a backtest, which cannot be resumed"),
              std::string::npos)
        << error.what();
  }
}

TEST(Backtester, LookaheadCheckPassesTheEngineAndCatchesAStrategyFedTheNextBar) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  testing::TempDir dir;
  const fs::path store = import_pairs(data, dir.path());
  const std::string from = day_after(first_day(store), 7);
  BacktestSpec spec = spec_for(store, from, day_after(from, 3));
  spec.candidates = {{"ema_cross", Asset::kSpot, R"({"fast":5,"slow":13})"},
                     {"bollinger_reversion", Asset::kSpot, "{}"}};
  LookaheadOptions options;
  options.max_times = 12;
  options.threads = 2;

  const BacktestResult honest = run(spec);
  ASSERT_GE(honest.signals.size(), 4u);
  const LookaheadReport clean = check_lookahead(spec, honest, options);
  EXPECT_EQ(clean.checked_times, std::min<std::size_t>(12, clean.signal_times));
  EXPECT_GT(clean.checked_signals, 0u);
  EXPECT_TRUE(clean.clean()) << clean.findings.size()
                             << " findings, first: " << clean.findings.front().original.strategy_id
                             << " " << clean.findings.front().change;

  spec.lookahead_fault_bars = 1;  // every window ends one 15m bar in the future
  const BacktestResult leaky = run(spec);
  ASSERT_GE(leaky.signals.size(), 4u);
  const LookaheadReport caught = check_lookahead(spec, leaky, options);
  EXPECT_FALSE(caught.clean());
  // Most of the leaky signals do not survive the truncation.
  EXPECT_GE(caught.findings.size() * 2, caught.checked_signals)
      << caught.findings.size() << " of " << caught.checked_signals;

  // The command line: the engine's strategies pass, exit code 0, and the figures are printed.
  const testing::CommandOutcome cli = testing::run_command(
      GAUNTLET_BINARY,
      fmt::format("backtest --config {} --search-space {} --data-root {} --from {} --to {} "
                  "--strategy 'ema_cross:{{\"fast\":5,\"slow\":13}}' --check-lookahead "
                  "--lookahead-times 4 --quiet",
                  config_file(), search_space(), store.string(), from, day_after(from, 3)));
  EXPECT_EQ(cli.exit_code, 0) << cli.output;
  EXPECT_NE(cli.output.find("at 4 times rerun on data truncated at the signal time: no signal "
                            "changed"),
            std::string::npos)
      << cli.output;
}

}  // namespace
}  // namespace gauntlet::validation
