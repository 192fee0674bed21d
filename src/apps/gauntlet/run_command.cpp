// File: apps/gauntlet/run_command.cpp
//
// `gauntlet run`: the main job, a paper-trading session (runtime/app_runtime.hpp). The feed is
// the live Bybit public feed when it is available, otherwise the simulated market (announced on
// the first line and in every status line); `--feed replay --data-root DIR` replays history as
// fast as possible and exits at the end of the data. SIGINT / SIGTERM stop it gracefully. All
// state lives in SQLite under --state (default: the config's state_dir), so running the same
// command again resumes the session where it stopped.
#include <fmt/format.h>

#include <memory>
#include <string>

#include "apps/gauntlet/commands.hpp"
#include "core/config_manager.hpp"
#include "core/exceptions.hpp"
#include "core/time.hpp"
#include "runtime/app_runtime.hpp"

namespace gauntlet::apps {
namespace {

struct RunCommandOptions {
  std::string config_file = "config/default.yaml";
  std::string feed = "auto";
  std::string state;
  std::string data_root;
  std::string from;
  std::string to;
  std::string trade_log;
  std::string search_space = "config/ml_search.json";
  double speed = 60;
  uint64_t seed = 1;
  int universe_size = 30;
  double min_turnover = 5e6;
  std::string run_for;
  std::string status_interval = "5s";
  std::string bybit_url = "https://api.bybit.com";
  std::string bybit_ws_url;
  bool quiet = false;
};

int run(const RunCommandOptions& o) {
  std::optional<config::Config> loaded = load_config_or_report(o.config_file);
  if (!loaded) return kExitInvalidConfig;
  config::Config config = std::move(*loaded);
  runtime::RunOptions options;
  const auto mode = runtime::feed_mode_from_string(o.feed);
  if (!mode)
    throw ArgumentError(fmt::format("--feed {}: use auto, live, simulated or replay", o.feed));
  options.feed = *mode;
  options.state_dir = o.state.empty() ? config.state_dir : o.state;
  options.data_root = o.data_root.empty() && options.feed == runtime::FeedMode::kReplay
                          ? config.historical_data_path
                          : o.data_root;
  if (!o.from.empty()) options.from = parse_iso8601(o.from);
  if (!o.to.empty()) options.to = parse_iso8601(o.to);
  options.trade_log = o.trade_log;
  options.search_space = o.search_space;
  if (!(o.speed > 0)) throw ArgumentError("--speed must be positive");
  options.speed = o.speed;
  options.seed = o.seed;
  if (o.universe_size < 1 || o.universe_size > 200)
    throw ArgumentError("--universe-size must be within 1..200");
  options.universe_size = o.universe_size;
  options.min_turnover = o.min_turnover;
  if (!o.run_for.empty()) options.run_for = parse_duration(o.run_for);
  options.status_interval = parse_duration(o.status_interval);
  options.quiet = o.quiet;
  options.bybit_rest_url = o.bybit_url;
  options.bybit_ws_url = o.bybit_ws_url;
  runtime::AppRuntime runtime(std::move(config), std::move(options));
  return runtime.run();
}

}  // namespace

void add_run_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<RunCommandOptions>();
  CLI::App* command = app.add_subcommand(
      "run", "Run the paper-trading session (live feed, simulated market or a replay)");
  command->add_option("--config", options->config_file, "Configuration file")
      ->capture_default_str();
  command->add_option("--feed", options->feed, "auto | live | simulated | replay")
      ->capture_default_str();
  command->add_option("--state", options->state,
                      "State directory (SQLite, trade log); default: the config's state_dir");
  command->add_option("--data-root", options->data_root,
                      "Replay: a bar store root or a directory of bar files "
                      "(default: the config's historical_data_path)");
  command->add_option("--from", options->from, "Replay: first bar, ISO-8601 (inclusive)");
  command->add_option("--to", options->to, "Replay: end, ISO-8601 (exclusive)");
  command->add_option("--trade-log", options->trade_log,
                      "Closed trades as CSV (default: STATE/trades.csv)");
  add_candidate_options(command, options->search_space, options->universe_size,
                        options->min_turnover);
  command->add_option("--speed", options->speed, "Simulated market: market seconds per wall second")
      ->capture_default_str();
  command->add_option("--seed", options->seed, "Simulated market: seed")->capture_default_str();
  command->add_option("--run-for", options->run_for,
                      "Stop after this wall time (30s, 5m, ...); default: until stopped");
  command
      ->add_option("--status-interval", options->status_interval, "Wall time between status lines")
      ->capture_default_str();
  command->add_option("--bybit-url", options->bybit_url, "Live: Bybit's REST base URL")
      ->capture_default_str();
  command->add_option("--bybit-ws-url", options->bybit_ws_url,
                      "Live: Bybit's spot public WebSocket URL (default: Bybit's)");
  command->add_flag("--quiet", options->quiet, "No status lines");
  command->callback([options, &exit_code] { exit_code = run(*options); });
}

}  // namespace gauntlet::apps
