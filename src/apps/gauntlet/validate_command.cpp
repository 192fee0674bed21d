// File: apps/gauntlet/validate_command.cpp
//
// `gauntlet validate`: one candidate through the whole gauntlet (validation/validation_manager):
// phase 1 in its paper session, backtests of it, its family and its shocks in parallel,
// walk-forward, stress tests, PBO and DSR, the promotion gate's decision with every reason
// (applied to the session's registry when the candidate is validating) and the HTML report.
// Exit code 0 when the gate passes, 4 when it fails.
//
// `gauntlet report`: the summary of a report already built (logs/validation/<id>/report.json),
// or --list of every report with its verdict.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "apps/gauntlet/commands.hpp"
#include "apps/gauntlet/terminal.hpp"
#include "core/exceptions.hpp"
#include "core/time.hpp"
#include "validation/validation_manager.hpp"

namespace gauntlet::apps {
namespace {

constexpr int kExitGateFailed = 4;

struct ValidateOptions {
  std::string config_file = "config/default.yaml";
  std::string state;
  std::string data_root;
  std::string from;
  std::string to;
  std::string strategy_id;
  std::string strategy;
  std::string asset = "spot";
  std::string search_space = "config/ml_search.json";
  std::string reports = "logs/validation";
  std::size_t family_size = 8;
  bool no_shocks = false;
  std::size_t stress_paths = 2000;
  uint64_t seed = 1;
  std::size_t threads = 0;
  bool no_apply = false;
  bool quiet = false;
};

std::string value_text(const std::optional<double>& value) {
  if (!value) return "-";
  if (std::isinf(*value)) return *value > 0 ? "inf" : "-inf";
  return fmt::format("{:.4g}", *value);
}

int validate(const ValidateOptions& o) {
  const std::optional<config::Config> config = load_config_or_report(o.config_file);
  if (!config) return kExitInvalidConfig;
  validation::ValidateSpec spec;
  spec.config = *config;
  spec.session_state = o.state.empty() ? config->state_dir : o.state;
  spec.data_root = o.data_root.empty() ? config->historical_data_path : o.data_root;
  if (!o.from.empty()) spec.from = parse_iso8601(o.from);
  if (!o.to.empty()) spec.to = parse_iso8601(o.to);
  if (o.strategy_id.empty() == o.strategy.empty())
    throw ArgumentError("give the candidate with --strategy-id ID or --strategy FAMILY:{json}");
  spec.strategy_id = o.strategy_id;
  if (!o.strategy.empty()) spec.descriptor = parse_strategy_options({o.strategy}, o.asset).front();
  spec.search_space = o.search_space;
  spec.reports_dir = o.reports;
  if (o.family_size < 1) throw ArgumentError("--family-size must be at least 1");
  spec.family_size = o.family_size;
  spec.shocks = !o.no_shocks;
  spec.stress_paths = o.stress_paths;
  spec.seed = o.seed;
  spec.threads = o.threads;
  spec.apply = !o.no_apply;

  std::unique_ptr<ProgressBar> bar;
  std::string current;
  spec.progress = [&](std::string_view stage, double fraction) {
    if (stage != current) {
      if (bar) bar->finish();
      current = std::string(stage);
      bar = std::make_unique<ProgressBar>(fmt::format("{:<12}", current), !o.quiet);
    }
    bar->update(fraction);
  };
  const validation::ValidationOutcome out = validation::validate(spec);
  if (bar) bar->finish();

  fmt::print("candidate {} ({} {} {}), {} in the session {}\n", out.strategy_id,
             out.descriptor.family, to_string(out.descriptor.asset), out.descriptor.params_json,
             out.state_before, spec.session_state.string());
  fmt::print("family of {}: {}; {} trials in the trial log\n", out.family.size(),
             fmt::join(out.family, ", "), out.trials);
  fmt::print("phase 1: {} ({})\n", validation::to_string(out.online.outcome), out.online.reason);
  std::vector<std::vector<std::string>> rows;
  for (const validation::GateCriterionResult& c : out.decision.criteria) {
    rows.push_back({c.name, value_text(c.value), c.comparison, value_text(c.threshold),
                    std::string(validation::to_string(c.verdict)), c.note});
  }
  fmt::print("{}",
             format_table({"criterion", "value", "test", "threshold", "verdict", "note"}, rows));
  if (!out.walkforward.folds.empty()) {
    fmt::print(
        "walk-forward: {} of {} folds positive, mean fold Sharpe {}, {} CPCV paths "
        "(median Sharpe {}), the candidate chosen in {:.0f}% of the splits\n",
        out.walkforward.positive_folds, out.walkforward.folds.size(),
        format_number(out.walkforward.mean_fold_sharpe), out.walkforward.paths.size(),
        format_number(out.walkforward.median_path_sharpe),
        out.walkforward.candidate_selected * 100);
  }
  fmt::print("DECISION: {}{}\n", out.decision.passed ? "PASS" : "FAIL",
             out.decision.passed ? "" : fmt::format(" ({} reasons)", out.decision.reasons.size()));
  for (const std::string& reason : out.decision.reasons) fmt::print("  - {}\n", reason);
  if (out.applied) {
    fmt::print("registry: {} -> {}{}\n", out.state_before, out.state_after,
               out.applied->ok ? "" : " (" + out.applied->reason + ")");
  } else {
    fmt::print("registry: unchanged ({}; only a validating candidate moves)\n", out.state_after);
  }
  fmt::print("report: {}\n        {}\n", out.report.html.string(), out.report.json.string());
  return out.decision.passed ? kExitOk : kExitGateFailed;
}

struct ReportOptions {
  std::string strategy_id;
  std::string reports = "logs/validation";
  bool list = false;
};

nlohmann::json read_report(const std::filesystem::path& path) {
  std::ifstream file(path);
  if (!file)
    throw DataError(fmt::format("{}: no report (run gauntlet validate first)", path.string()));
  const nlohmann::json j = nlohmann::json::parse(file, nullptr, false);
  if (j.is_discarded()) throw DataError(fmt::format("{}: not JSON", path.string()));
  return j;
}

std::string json_value(const nlohmann::json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number()) return format_number(v.get<double>(), 4);
  return v.dump();
}

int report(const ReportOptions& o) {
  const std::filesystem::path root = o.reports;
  if (o.list) {
    std::vector<std::vector<std::string>> rows;
    if (std::filesystem::exists(root)) {
      std::vector<std::filesystem::path> dirs;
      for (const auto& entry : std::filesystem::directory_iterator(root)) {
        if (std::filesystem::exists(entry.path() / "report.json")) dirs.push_back(entry.path());
      }
      std::sort(dirs.begin(), dirs.end());
      for (const auto& dir : dirs) {
        const nlohmann::json j = read_report(dir / "report.json");
        rows.push_back({dir.filename().string(), j.value("passed", false) ? "PASS" : "FAIL",
                        std::to_string(j.value("reasons", nlohmann::json::array()).size()),
                        (dir / "report.html").string()});
      }
    }
    fmt::print("{}", format_table({"strategy", "verdict", "reasons", "report"}, rows));
    return kExitOk;
  }
  if (o.strategy_id.empty()) throw ArgumentError("give --strategy-id ID, or --list");
  const std::filesystem::path dir = root / o.strategy_id;
  const nlohmann::json j = read_report(dir / "report.json");
  fmt::print("{}: {}\n", o.strategy_id, j.value("passed", false) ? "PASS" : "FAIL");
  std::vector<std::vector<std::string>> rows;
  for (const nlohmann::json& c : j.value("gate", nlohmann::json::array())) {
    rows.push_back({c.value("name", ""), json_value(c.value("value", nlohmann::json())),
                    c.value("comparison", ""), json_value(c.value("threshold", nlohmann::json())),
                    c.value("passed", false) ? "pass" : "fail", c.value("note", "")});
  }
  fmt::print("{}",
             format_table({"criterion", "value", "test", "threshold", "verdict", "note"}, rows));
  for (const nlohmann::json& reason : j.value("reasons", nlohmann::json::array()))
    fmt::print("  - {}\n", reason.get<std::string>());
  fmt::print("report: {}\n", (dir / "report.html").string());
  return kExitOk;
}

}  // namespace

void add_validate_commands(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<ValidateOptions>();
  CLI::App* command = app.add_subcommand(
      "validate",
      "Run a candidate through the gauntlet: backtests, walk-forward, stress tests, "
      "the promotion gate and its report");
  command->add_option("--config", options->config_file, "Configuration file")
      ->capture_default_str();
  command->add_option("--state", options->state,
                      "The paper session's state directory (registry, journal, trial log); "
                      "default: the config's state_dir");
  command->add_option("--data-root", options->data_root,
                      "Historical bars for the backtests (default: historical_data_path)");
  command->add_option("--from", options->from, "First bar, ISO-8601 (inclusive)");
  command->add_option("--to", options->to, "End, ISO-8601 (exclusive)");
  command->add_option("--strategy-id", options->strategy_id, "A strategy of the session");
  command->add_option("--strategy", options->strategy,
                      "Or a strategy by FAMILY or FAMILY:{\"param\":value,...}");
  command->add_option("--asset", options->asset, "The asset of --strategy")->capture_default_str();
  command
      ->add_option("--search-space", options->search_space,
                   "The generator's search space (tops up the family)")
      ->capture_default_str();
  command->add_option("--reports", options->reports, "Where reports go")->capture_default_str();
  command
      ->add_option("--family-size", options->family_size,
                   "Candidates in the family for PBO and CPCV (the candidate included)")
      ->capture_default_str();
  command->add_flag("--no-shocks", options->no_shocks,
                    "Skip the parameter, slippage and latency shocks");
  command->add_option("--stress-paths", options->stress_paths, "Resampling paths")
      ->capture_default_str();
  command->add_option("--seed", options->seed, "Resampling seed")->capture_default_str();
  command->add_option("--threads", options->threads, "Worker threads (0: one per core)")
      ->capture_default_str();
  command->add_flag("--no-apply", options->no_apply,
                    "Do not apply the decision to the session's registry");
  command->add_flag("--quiet", options->quiet, "No progress bars");
  command->callback([options, &exit_code] { exit_code = validate(*options); });

  auto report_options = std::make_shared<ReportOptions>();
  CLI::App* report_command =
      app.add_subcommand("report", "Show a validation report's gate decision, or list them");
  report_command->add_option("--strategy-id", report_options->strategy_id, "The strategy");
  report_command->add_option("--reports", report_options->reports, "Where reports are")
      ->capture_default_str();
  report_command->add_flag("--list", report_options->list, "Every report with its verdict");
  report_command->callback([report_options, &exit_code] { exit_code = report(*report_options); });
}

}  // namespace gauntlet::apps
