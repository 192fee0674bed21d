// File: apps/gauntlet/run_command.cpp
//
// `gauntlet run`: the main job, a paper-trading session (runtime/app_runtime.hpp). The feed is
// the live Bybit public feed when it is available, otherwise the simulated market (announced on
// the first line and in every status line); `--feed replay --data-root DIR` replays history as
// fast as possible and exits at the end of the data. SIGINT / SIGTERM stop it gracefully. All
// state lives in SQLite under --state (default: the config's state_dir), so running the same
// command again resumes the session where it stopped.
#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "apps/gauntlet/commands.hpp"
#include "core/config_manager.hpp"
#include "core/decimal.hpp"
#include "core/exceptions.hpp"
#include "core/time.hpp"
#include "runtime/app_runtime.hpp"
#include "runtime/stored_session.hpp"
#include "runtime/validation_pipeline.hpp"
#include "ui/api_server.hpp"

namespace gauntlet::apps {
namespace {

// The control-plane options of `run --port` and `serve` (docs/api.md).
struct ApiCommandOptions {
  int port = -1;  // -1: no control plane
  std::string bind;
  bool public_read = false;
  std::string web_root;
  std::string reports;  // default: <state>/reports, where the automatic gauntlet writes
};

void add_api_options(CLI::App* command, ApiCommandOptions& o, const std::string& port_help) {
  command->add_option("--port", o.port, port_help);
  command->add_option("--bind", o.bind, "Address the API binds to (default: ui.bind_address)");
  command->add_flag("--public-read", o.public_read,
                    "Reads need no token (ui.public_read); actions still do");
  command->add_option("--web-root", o.web_root,
                      "The dashboard's built files (default: the build's web/)");
  command->add_option("--reports", o.reports,
                      "Validation reports directory (default: STATE/reports, where the session's "
                      "automatic validation writes them)");
}

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
  std::optional<int> universe_size;  // unset: the config's universe section
  std::optional<double> min_turnover;
  std::string run_for;
  std::string status_interval = "5s";
  std::string bybit_url = "https://api.bybit.com";
  std::string bybit_ws_url;
  std::string venue;
  std::string base_url;
  bool quiet = false;
  double replay_speed = 0;  // 0: as fast as possible
  bool no_validate = false;
  std::size_t validation_threads = 0;
  std::size_t validation_family = 8;
  bool validation_shocks = true;
  std::vector<std::string> paper_fees;  // ASSET=RATE
  ApiCommandOptions api;
};

// The dashboard's built files: <dir of the binary>/../web (what `make` builds), if there.
std::filesystem::path default_web_root() {
  std::error_code error;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return {};
  const std::filesystem::path web = exe.parent_path().parent_path() / "web";
  return std::filesystem::exists(web / "index.html") ? web : std::filesystem::path{};
}

ui::ApiServerOptions api_server_options(const ApiCommandOptions& o, const config::Config& config,
                                        const std::filesystem::path& state_dir) {
  if (o.port > 65535) throw ArgumentError("--port must be within 0..65535");
  ui::ApiServerOptions api;
  api.state_dir = state_dir;
  api.bind_address = o.bind.empty() ? config.ui.bind_address : o.bind;
  api.port = static_cast<unsigned short>(std::max(o.port, 0));
  api.public_read = o.public_read || config.ui.public_read;
  api.web_root = o.web_root.empty() ? default_web_root() : std::filesystem::path(o.web_root);
  api.reports_dir = o.reports.empty() ? state_dir / "reports" : std::filesystem::path(o.reports);
  api.push_interval = std::chrono::milliseconds(config.ui.quote_push_interval);
  return api;
}

void print_login(std::string_view command, const ui::ApiServer& api,
                 const ui::ApiServerOptions& options) {
  std::cout << "gauntlet " << command << ": control plane at " << api.url()
            << (options.web_root.empty() ? " (no dashboard files: API only)" : "") << "\ngauntlet "
            << command << ": open " << api.login_url() << " to log in" << std::endl;
}

struct ServeCommandOptions {
  std::string config_file = "config/default.yaml";
  std::string state;
  ApiCommandOptions api;
};

int serve(const ServeCommandOptions& o) {
  std::optional<config::Config> loaded = load_config_or_report(o.config_file);
  if (!loaded) return kExitInvalidConfig;
  const std::filesystem::path state = o.state.empty() ? loaded->state_dir : o.state;
  ApiCommandOptions api_cli = o.api;
  if (api_cli.port < 0) api_cli.port = loaded->ui.port;
  const ui::ApiServerOptions api_options = api_server_options(api_cli, *loaded, state);
  runtime::StoredSession session(std::move(*loaded), state);
  ui::ApiServer api(session, api_options);
  api.start();
  print_login("serve", api, api_options);
  std::cout << "gauntlet serve: " << state.string()
            << " (read-only, read again every second) until Ctrl-C" << std::endl;
  session.serve_until_stopped();
  api.stop();
  return 0;
}

int run(const RunCommandOptions& o) {
  Secrets secrets;
  std::optional<config::Config> loaded = load_config_or_report(o.config_file, &secrets);
  if (!loaded) return kExitInvalidConfig;
  config::Config config = std::move(*loaded);
  runtime::RunOptions options;
  const auto mode = runtime::feed_mode_from_string(o.feed);
  if (!mode)
    throw ArgumentError(fmt::format("--feed {}: use auto, live, simulated or replay", o.feed));
  options.feed = *mode;
  options.config_file = o.config_file;  // hot reload: file changes, SIGHUP, POST /config/reload
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
  if (o.universe_size && (*o.universe_size < 1 || *o.universe_size > 200))
    throw ArgumentError("--universe-size must be within 1..200");
  options.universe_size = o.universe_size;
  options.min_turnover = o.min_turnover;
  if (!o.run_for.empty()) options.run_for = parse_duration(o.run_for);
  options.status_interval = parse_duration(o.status_interval);
  options.quiet = o.quiet;
  options.bybit_rest_url = o.bybit_url;
  options.bybit_ws_url = o.bybit_ws_url;
  if (!o.venue.empty() && o.venue != "bybit")
    throw ArgumentError(fmt::format("--venue {}: the live venue is bybit", o.venue));
  if (!o.base_url.empty() && o.venue.empty())
    throw ArgumentError("--base-url is the venue's: it goes with --venue bybit");
  if (!o.base_url.empty() && !o.base_url.starts_with("http://") &&
      !o.base_url.starts_with("https://")) {
    throw ArgumentError(
        fmt::format("--base-url {}: must start with http:// or https://", o.base_url));
  }
  options.venue = o.venue;
  options.venue_base_url = o.base_url;
  options.secrets = std::move(secrets);
  if (o.replay_speed < 0) throw ArgumentError("--replay-speed must be positive");
  if (o.replay_speed > 0) options.replay_speed = o.replay_speed;
  for (const std::string& fee : o.paper_fees) {
    const std::size_t equals = fee.find('=');
    const std::optional<Asset> asset =
        equals == std::string::npos ? std::nullopt : asset_from_string(fee.substr(0, equals));
    std::optional<Decimal> rate;
    if (asset) {
      try {
        rate = Decimal::parse(fee.substr(equals + 1));
      } catch (const DecimalError&) {
      }
    }
    if (!rate || rate->is_negative() || *rate >= Decimal::one()) {
      throw ArgumentError(fmt::format(
          "--paper-fee must be ASSET=RATE with ASSET spot, perp, forex or options and RATE a "
          "fraction in [0, 1), e.g. spot=0.002 (got {})",
          fee));
    }
    options.paper_fee_rates[*asset] = *rate;
  }
  options.serve_after_end = o.api.port >= 0;
  if (!o.no_validate) {
    runtime::ValidationPipelineOptions pipeline;
    pipeline.search_space = o.search_space;
    pipeline.family_size = std::max<std::size_t>(1, o.validation_family);
    pipeline.shocks = o.validation_shocks;
    pipeline.threads = o.validation_threads;
    pipeline.universe_size = o.universe_size.value_or(config.universe.size);
    pipeline.min_turnover = o.min_turnover.value_or(config.universe.min_turnover);
    options.make_validator = [pipeline](const runtime::ValidatorContext& context) {
      return std::make_unique<runtime::ValidationPipeline>(context, pipeline);
    };
  }
  const ui::ApiServerOptions api_options = api_server_options(o.api, config, options.state_dir);
  runtime::AppRuntime runtime(std::move(config), std::move(options));
  std::unique_ptr<ui::ApiServer> api;
  if (o.api.port >= 0) {
    runtime.start_all();
    api = std::make_unique<ui::ApiServer>(runtime, api_options);
    api->start();
    print_login("run", *api, api_options);
  }
  const int code = runtime.run();
  if (api) api->stop();
  return code;
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
  command->add_option("--venue", options->venue,
                      "bybit: a live session whose assets go live on Bybit (enable_live), on "
                      "Bybit's public feed; keys from GAUNTLET_BYBIT_API_KEY / _SECRET");
  command->add_option("--base-url", options->base_url,
                      "With --venue: every Bybit endpoint at this URL instead of the "
                      "bybit.environment hosts, e.g. http://127.0.0.1:9100 (gauntlet venue bybit)");
  command->add_flag("--quiet", options->quiet, "No status lines");
  command->add_option("--replay-speed", options->replay_speed,
                      "Replay: market seconds per wall second (default: as fast as possible)");
  command->add_flag("--no-validate", options->no_validate,
                    "Candidates that qualify wait in validating for `gauntlet validate` instead "
                    "of being validated by the session");
  command->add_option("--validation-threads", options->validation_threads,
                      "Workers per automatic validation (default: one per core)");
  command
      ->add_option("--validation-family", options->validation_family,
                   "Family members backtested per automatic validation (the candidate "
                   "included)")
      ->capture_default_str();
  command->add_flag("!--no-validation-shocks", options->validation_shocks,
                    "Automatic validation without the parameter, slippage and latency shocks");
  command->add_option("--paper-fee", options->paper_fees,
                      "ASSET=RATE: the paper venue charges RATE (maker and taker) on ASSET "
                      "instead of the fee model's, to rehearse a venue whose fees differ: the "
                      "reconciler flags broker_desync and halts that asset (repeatable)");
  add_api_options(command, options->api,
                  "Serve the control-plane API and the dashboard on this port (0: any free "
                  "port); a finished replay is then served until Ctrl-C");
  command->callback([options, &exit_code] { exit_code = run(*options); });
}

void add_serve_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<ServeCommandOptions>();
  CLI::App* command = app.add_subcommand(
      "serve",
      "Serve the control-plane API and the dashboard over a session's state directory, "
      "running or finished, read-only");
  command->add_option("--config", options->config_file, "Configuration file")
      ->capture_default_str();
  command->add_option("--state", options->state,
                      "State directory (default: the config's state_dir)");
  add_api_options(command, options->api, "Port (default: ui.port; 0: any free port)");
  command->callback([options, &exit_code] { exit_code = serve(*options); });
}

}  // namespace gauntlet::apps
