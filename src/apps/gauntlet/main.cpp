// File: apps/gauntlet/main.cpp
//
// The composition root: the one `gauntlet` binary and its subcommands (CLI11). It is the only
// place that constructs concrete brokers and wires owners together; it holds no business rule.
// Exit codes: 0 success, 1 failure, 2 invalid configuration, CLI11's codes for bad usage.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <string>

#include "apps/gauntlet/commands.hpp"
#include "core/exceptions.hpp"

int main(int argc, char** argv) {
  using namespace gauntlet::apps;
  CLI::App app{"Gauntlet: every strategy runs the gauntlet before it touches money.", "gauntlet"};
  app.set_version_flag("--version", std::string("gauntlet ") + GAUNTLET_VERSION);
  app.require_subcommand(0, 1);
  int exit_code = kExitOk;
  add_config_commands(app, exit_code);
  add_data_commands(app, exit_code);
  add_ta_command(app, exit_code);
  add_run_command(app, exit_code);
  add_serve_command(app, exit_code);
  add_diff_command(app, exit_code);
  add_stats_command(app, exit_code);
  add_backtest_command(app, exit_code);
  add_validate_commands(app, exit_code);
  add_venue_commands(app, exit_code);
  add_live_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  } catch (const gauntlet::GauntletError& error) {
    fmt::print(stderr, "gauntlet: {}\n", error.what());
    return kExitFailure;
  }
  if (app.get_subcommands().empty()) fmt::print("{}", app.help());
  return exit_code;
}
