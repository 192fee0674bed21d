// File: apps/gauntlet/backtest_command.cpp
//
// `gauntlet backtest`: the event-driven backtest (validation/backtester.hpp) over historical
// bars on a fresh state: the same candidates and config as `gauntlet run --feed replay`, or the
// strategies given with --strategy. Prints a progress bar, a summary table per strategy and the
// whole book; --trade-log writes the trade log in `gauntlet run`'s format, --json the metrics.
// --check-lookahead reruns the engine on data truncated at the signal times and fails (exit 1)
// when a signal depends on a bar that had not closed.
#include <fmt/format.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "apps/gauntlet/commands.hpp"
#include "apps/gauntlet/terminal.hpp"
#include "core/exceptions.hpp"
#include "core/time.hpp"
#include "validation/backtester.hpp"

namespace gauntlet::apps {
namespace {

struct BacktestOptions {
  std::string config_file = "config/default.yaml";
  std::string data_root;
  std::string from;
  std::string to;
  std::string trade_log;
  std::string state;
  std::string search_space = "config/ml_search.json";
  std::vector<std::string> strategies;
  std::string asset = "spot";
  std::optional<int> universe_size;  // unset: the config's universe section
  std::optional<double> min_turnover;
  bool check_lookahead = false;
  std::size_t lookahead_times = 200;
  std::string json;
  bool quiet = false;
};

std::vector<std::string> summary_row(const std::string& name,
                                     const validation::PerformanceMetrics& m) {
  return {name,
          std::to_string(m.trades.n_trades),
          format_number(m.trades.profit_factor),
          format_percent(m.trades.win_rate, 1),
          format_number(m.total_pnl),
          format_percent(m.total_return),
          format_number(m.sharpe),
          format_number(m.sortino),
          format_percent(m.max_drawdown),
          format_percent(m.cvar_95, 3),
          format_percent(m.exposure, 1)};
}

nlohmann::json signal_json(const runtime::SignalRecord& s) {
  return {{"strategy_id", s.strategy_id},
          {"asset", std::string(to_string(s.asset))},
          {"symbol", s.symbol.canonical()},
          {"time", format_iso8601(s.time)},
          {"side", std::string(to_string(s.side))},
          {"stop_loss", s.stop_loss.to_string()},
          {"take_profit", s.take_profit.to_string()},
          {"strength", s.strength}};
}

int backtest(const BacktestOptions& o) {
  const std::optional<config::Config> config = load_config_or_report(o.config_file);
  if (!config) return kExitInvalidConfig;
  validation::BacktestSpec spec;
  spec.config = *config;
  spec.data_root = o.data_root.empty() ? config->historical_data_path : o.data_root;
  if (!o.from.empty()) spec.from = parse_iso8601(o.from);
  if (!o.to.empty()) spec.to = parse_iso8601(o.to);
  spec.trade_log = o.trade_log;
  spec.state_dir = o.state;
  spec.search_space = o.search_space;
  spec.universe_size = o.universe_size.value_or(config->universe.size);
  spec.min_turnover = o.min_turnover.value_or(config->universe.min_turnover);
  spec.candidates = parse_strategy_options(o.strategies, o.asset);

  fmt::print("gauntlet backtest: {} ({})\n", spec.data_root.string(),
             spec.candidates.empty() ? "the generator's candidates, as gauntlet run"
                                     : fmt::format("{} strategies", spec.candidates.size()));
  ProgressBar bar("backtest", !o.quiet);
  spec.progress = [&bar](double fraction) { bar.update(fraction); };
  const validation::BacktestResult result = validation::run(spec);
  bar.finish(fmt::format("{} trades", result.trades.size()));

  const std::vector<std::string> header = {"strategy", "trades", "PF",      "win",
                                           "P&L",      "return", "Sharpe",  "Sortino",
                                           "MaxDD",    "CVaR95", "exposure"};
  std::vector<std::vector<std::string>> rows;
  for (const auto& [id, s] : result.by_strategy) rows.push_back(summary_row(id, s.metrics));
  rows.push_back(summary_row("book", result.metrics));
  fmt::print("{} to {}, {} periods of 15m\n{}", format_iso8601(result.from),
             format_iso8601(result.to), result.metrics.periods, format_table(header, rows));
  fmt::print("trade log: {}\n", result.trade_log.string());

  nlohmann::json out = {{"from", format_iso8601(result.from)},
                        {"to", format_iso8601(result.to)},
                        {"trade_log", result.trade_log.string()},
                        {"metrics", validation::to_json(result.metrics)}};
  nlohmann::json strategies = nlohmann::json::object();
  for (const auto& [id, s] : result.by_strategy) {
    strategies[id] = {{"family", s.record.family},
                      {"asset", std::string(to_string(s.record.asset))},
                      {"params", s.record.params_json},
                      {"state", std::string(strategies::to_string(s.record.state))},
                      {"metrics", validation::to_json(s.metrics)}};
  }
  out["strategies"] = strategies;

  int exit_code = kExitOk;
  if (o.check_lookahead) {
    validation::LookaheadOptions lookahead;
    lookahead.max_times = o.lookahead_times;
    ProgressBar check("lookahead", !o.quiet);
    lookahead.progress = [&check](std::size_t done, std::size_t total) {
      check.update(static_cast<double>(done) / static_cast<double>(total),
                   fmt::format("{}/{}", done, total));
    };
    const validation::LookaheadReport report = validation::check_lookahead(spec, result, lookahead);
    check.finish();
    fmt::print(
        "lookahead check: {} signals at {} times; {} signals at {} times rerun on data "
        "truncated at the signal time: {}\n",
        report.signals, report.signal_times, report.checked_signals, report.checked_times,
        report.clean() ? "no signal changed" : fmt::format("{} CHANGED", report.findings.size()));
    nlohmann::json findings = nlohmann::json::array();
    for (const validation::LookaheadFinding& f : report.findings) {
      fmt::print("  LOOKAHEAD {} {} {} at {}: {}\n", f.original.strategy_id,
                 f.original.symbol.canonical(), to_string(f.original.side),
                 format_iso8601(f.original.time), f.change);
      findings.push_back({{"original", signal_json(f.original)},
                          {"truncated", f.truncated ? signal_json(*f.truncated) : nullptr},
                          {"change", f.change}});
    }
    out["lookahead"] = {{"signals", report.signals},
                        {"signal_times", report.signal_times},
                        {"checked_times", report.checked_times},
                        {"checked_signals", report.checked_signals},
                        {"findings", findings}};
    if (!report.clean()) exit_code = kExitFailure;
  }
  if (!o.json.empty()) {
    std::ofstream file(o.json);
    if (!file) throw DataError(fmt::format("--json {}: cannot write", o.json));
    file << out.dump(2) << "\n";
  }
  return exit_code;
}

}  // namespace

void add_backtest_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<BacktestOptions>();
  CLI::App* command = app.add_subcommand(
      "backtest", "Backtest over historical bars: the paper engine on a replay, on a fresh state");
  command->add_option("--config", options->config_file, "Configuration file")
      ->capture_default_str();
  command->add_option("--data-root", options->data_root,
                      "A bar store root or a directory of bar files "
                      "(default: the config's historical_data_path)");
  command->add_option("--from", options->from, "First bar, ISO-8601 (inclusive)");
  command->add_option("--to", options->to, "End, ISO-8601 (exclusive)");
  command->add_option("--trade-log", options->trade_log,
                      "Closed trades as CSV, gauntlet run's format (default: STATE/trades.csv)");
  command->add_option("--state", options->state,
                      "A fresh directory for the backtest's state (default: a temporary one)");
  add_candidate_options(command, options->search_space, options->universe_size,
                        options->min_turnover);
  command->add_option("--strategy", options->strategies,
                      "Backtest this strategy instead of the generator's candidates: FAMILY or "
                      "FAMILY:{\"param\":value,...} (repeatable)");
  command->add_option("--asset", options->asset, "The asset of --strategy")->capture_default_str();
  command->add_flag("--check-lookahead", options->check_lookahead,
                    "Rerun on data truncated at each signal time; exit 1 if a signal changes");
  command
      ->add_option("--lookahead-times", options->lookahead_times,
                   "Signal times rechecked, evenly spread (0: all)")
      ->capture_default_str();
  command->add_option("--json", options->json, "Write the metrics as JSON to this file");
  command->add_flag("--quiet", options->quiet, "No progress bars");
  command->callback([options, &exit_code] { exit_code = backtest(*options); });
}

}  // namespace gauntlet::apps
