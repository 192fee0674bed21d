// File: tests/support/command.hpp
//
// Runs a shell command for tests of the `gauntlet` binary and collects what it printed.
#pragma once

#include <sys/types.h>

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

// Forks `binary arguments...` with stdout to `out` and stderr to `err` (one file when they are
// the same path) and GAUNTLET_LOG_LEVEL=warn; the child dies with the thread that forked it
// (PR_SET_PDEATHSIG). Returns its pid without waiting.
pid_t spawn_binary(const std::string& binary, const std::vector<std::string>& arguments,
                   const std::filesystem::path& out, const std::filesystem::path& err);
// Waits for `pid`: its exit code, or 128 + the signal that ended it.
int wait_exit_code(pid_t pid);

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
