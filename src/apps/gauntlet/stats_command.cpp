// File: apps/gauntlet/stats_command.cpp
//
// `gauntlet stats`: the validation statistics (validation/metrics.hpp) of a returns file, a
// per-trade P&L file or a returns matrix, printed as one JSON object. An undefined value prints
// as null and an unbounded one as the string "inf" (the reference vectors' encoding).
#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "apps/gauntlet/commands.hpp"
#include "core/exceptions.hpp"
#include "core/text.hpp"
#include "validation/metrics.hpp"

namespace gauntlet::apps {
namespace {

struct StatsOptions {
  std::string returns;
  std::string trades;
  std::string pbo;
  double periods_per_year = 35040;  // crypto 15-minute bars (validation.md §0)
  std::size_t trials = 0;
  std::optional<double> trial_sharpe_variance;
  std::size_t splits = 16;
};

// One row of numbers per data line; an optional header on line 1 (its first cell does not
// start like a number). Blank lines are skipped. Every row must have `expected_columns` cells
// (0: as many as the first row).
struct Table {
  std::vector<double> values;  // row-major
  std::size_t columns = 0;
  std::size_t rows = 0;
};

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> cells;
  while (true) {
    const auto comma = line.find(',');
    cells.push_back(trim(line.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    line.remove_prefix(comma + 1);
  }
  return cells;
}

bool starts_like_number(std::string_view cell) {
  if (cell.empty()) return false;
  const char first = cell.front();
  return std::isdigit(static_cast<unsigned char>(first)) != 0 || first == '-' || first == '+' ||
         first == '.';
}

Table read_table(const std::string& path, std::size_t expected_columns) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw DataError(fmt::format("{}: cannot open", path));
  Table table;
  table.columns = expected_columns;
  std::string line;
  std::size_t line_number = 0;
  while (std::getline(file, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (trim(line).empty()) continue;
    auto cells = split(line);
    if (line_number == 1 && !starts_like_number(cells.front())) continue;  // header
    if (table.columns == 0) table.columns = cells.size();
    if (cells.size() != table.columns) {
      throw DataError(fmt::format("{} line {}: expected {} value{} separated by commas, found {}",
                                  path, line_number, table.columns, table.columns == 1 ? "" : "s",
                                  cells.size()));
    }
    for (std::string_view cell : cells) {
      if (!cell.empty() && cell.front() == '+') cell.remove_prefix(1);
      double value = 0;
      const char* end = cell.data() + cell.size();
      const auto result = std::from_chars(cell.data(), end, value);
      if (cell.empty() || result.ec != std::errc() || result.ptr != end || !std::isfinite(value)) {
        throw DataError(
            fmt::format("{} line {}: not a finite number: '{}'", path, line_number, cell));
      }
      table.values.push_back(value);
    }
    ++table.rows;
  }
  if (file.bad()) throw DataError(fmt::format("{}: read error", path));
  if (table.rows == 0) throw DataError(fmt::format("{}: no data lines", path));
  return table;
}

// A JSON number in its shortest round-trip form.
std::string number(double value) {
  if (std::isinf(value)) return value > 0 ? "\"inf\"" : "\"-inf\"";
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

std::string number(const std::optional<double>& value) {
  return value ? number(*value) : std::string("null");
}

// Prints {"key": value, ...} with one field per line.
void print_object(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string text = "{\n";
  for (std::size_t i = 0; i < fields.size(); ++i) {
    text += fmt::format("  \"{}\": {}{}\n", fields[i].first, fields[i].second,
                        i + 1 < fields.size() ? "," : "");
  }
  text += "}\n";
  std::fwrite(text.data(), 1, text.size(), stdout);
}

int run_returns(const StatsOptions& options) {
  if (!std::isfinite(options.periods_per_year) || options.periods_per_year <= 0) {
    throw ArgumentError(
        fmt::format("--periods-per-year must be positive, was {}", options.periods_per_year));
  }
  if ((options.trials > 0) != options.trial_sharpe_variance.has_value()) {
    throw ArgumentError("--trials and --trial-sharpe-variance go together");
  }
  const Table table = read_table(options.returns, 1);
  const std::span<const double> returns = table.values;
  const double periods = options.periods_per_year;
  std::vector<std::pair<std::string, std::string>> fields = {
      {"n", std::to_string(returns.size())},
      {"periods_per_year", number(periods)},
      {"sharpe", number(validation::sharpe_ratio(returns, periods))},
      {"sharpe_per_period", number(validation::sharpe_per_period(returns))},
      {"sortino", number(validation::sortino_ratio(returns, periods))},
      {"max_drawdown", number(validation::max_drawdown(returns))},
      {"cvar_95", number(validation::cvar_95(returns))},
      {"cagr", number(validation::cagr(returns, periods))},
      {"calmar", number(validation::calmar_ratio(returns, periods))},
      {"skew", number(validation::skewness(returns))},
      {"kurtosis", number(validation::kurtosis(returns))},
      {"psr", number(validation::probabilistic_sharpe_ratio(returns))},
  };
  if (options.trials > 0) {
    const double variance = *options.trial_sharpe_variance;
    if (!std::isfinite(variance) || variance < 0) {
      throw ArgumentError(
          fmt::format("--trial-sharpe-variance must be finite and >= 0, was {}", variance));
    }
    fields.emplace_back("trials", std::to_string(options.trials));
    fields.emplace_back("trial_sharpe_variance", number(variance));
    fields.emplace_back(
        "expected_max_sharpe",
        number(std::sqrt(variance) * validation::expected_maximum_sharpe(options.trials)));
    fields.emplace_back(
        "dsr", number(validation::deflated_sharpe_ratio(returns, options.trials, variance)));
  }
  print_object(fields);
  return kExitOk;
}

int run_trades(const StatsOptions& options) {
  const Table table = read_table(options.trades, 1);
  const auto statistics = validation::trade_statistics(table.values);
  print_object({
      {"n_trades", std::to_string(statistics.n_trades)},
      {"profit_factor", number(statistics.profit_factor)},
      {"win_rate", number(statistics.win_rate)},
      {"expectancy", number(statistics.expectancy)},
      {"average_win", number(statistics.average_win)},
      {"average_loss", number(statistics.average_loss)},
      {"payoff", number(statistics.payoff)},
  });
  return kExitOk;
}

int run_pbo(const StatsOptions& options) {
  const Table table = read_table(options.pbo, 0);
  const auto result =
      validation::probability_of_backtest_overfitting(table.values, table.columns, options.splits);
  if (!result) {
    throw ArgumentError(fmt::format("{}: PBO needs at least 2 trial columns, found {}", options.pbo,
                                    table.columns));
  }
  print_object({
      {"pbo", number(result->pbo)},
      {"probability_oos_loss", number(result->probability_oos_loss)},
      {"combinations", std::to_string(result->combinations)},
      {"splits", std::to_string(options.splits)},
      {"trials", std::to_string(table.columns)},
      {"rows_used", std::to_string(result->rows_used)},
      {"rows_dropped", std::to_string(result->rows_dropped)},
  });
  return kExitOk;
}

int run_stats(const StatsOptions& options) {
  const int inputs = !options.returns.empty() + !options.trades.empty() + !options.pbo.empty();
  if (inputs != 1) {
    throw ArgumentError("gauntlet stats needs exactly one of --returns, --trades or --pbo");
  }
  if (!options.returns.empty()) return run_returns(options);
  if (!options.trades.empty()) return run_trades(options);
  return run_pbo(options);
}

}  // namespace

void add_stats_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<StatsOptions>();
  CLI::App* stats = app.add_subcommand(
      "stats", "Validation statistics (Sharpe, Sortino, drawdown, CVaR, PSR/DSR, trades, PBO)");
  stats->add_option("--returns", options->returns,
                    "Simple per-period returns, one per line (optional header)");
  stats->add_option("--trades", options->trades,
                    "Per-trade net P&L, one per line (optional header)");
  stats->add_option("--pbo", options->pbo,
                    "Returns matrix CSV: rows = periods, one column per trial (optional header)");
  stats
      ->add_option("--periods-per-year", options->periods_per_year,
                   "Annualisation factor P (35040 crypto 15m, 24960 FX 15m, 365, 252)")
      ->capture_default_str();
  stats->add_option("--trials", options->trials, "Number of trials run, for the DSR");
  stats->add_option("--trial-sharpe-variance", options->trial_sharpe_variance,
                    "Variance (ddof 1) of the trials' PER-PERIOD Sharpe ratios, for the DSR");
  stats->add_option("--splits", options->splits, "CSCV splits S for --pbo (even)")
      ->capture_default_str();
  stats->callback([options, &exit_code] { exit_code = run_stats(*options); });
}

}  // namespace gauntlet::apps
