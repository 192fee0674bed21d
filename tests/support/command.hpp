// File: tests/support/command.hpp
//
// Runs a shell command for tests of the `gauntlet` binary and collects what it printed.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace gauntlet::testing {

struct CommandOutcome {
  int exit_code = -1;  // -1 when the command did not exit normally
  std::string output;  // stdout and stderr together
};

// Runs `binary arguments 2>&1` through the shell and waits for it.
CommandOutcome run_command(const std::string& binary, const std::string& arguments);

// Imports the 1m bars of the Binance spot `pairs` ("BTC", ...) of the shared data into the bar
// store <dir>/store with `binary data import` (through symlinks in <dir>/files).
struct ImportedStore {
  std::filesystem::path store;
  CommandOutcome outcome;
};
ImportedStore import_binance_spot(const std::string& binary, const std::filesystem::path& data,
                                  const std::filesystem::path& dir,
                                  const std::vector<std::string>& pairs);

}  // namespace gauntlet::testing
