// File: apps/gauntlet/main.cpp
//
// The composition root: the one `gauntlet` binary and its subcommands (CLI11). It is the only
// place that constructs concrete brokers and wires owners together; it holds no business rule.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <string>

#include "core/exceptions.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Gauntlet: every strategy runs the gauntlet before it touches money.", "gauntlet"};
  app.set_version_flag("--version", std::string("gauntlet ") + GAUNTLET_VERSION);
  app.require_subcommand(0, 1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }
  if (app.get_subcommands().empty()) {
    fmt::print("{}", app.help());
  }
  return 0;
}
