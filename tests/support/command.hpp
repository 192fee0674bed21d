// File: tests/support/command.hpp
//
// Runs a shell command for tests of the `gauntlet` binary and collects what it printed.
#pragma once

#include <string>

namespace gauntlet::testing {

struct CommandOutcome {
  int exit_code = -1;  // -1 when the command did not exit normally
  std::string output;  // stdout and stderr together
};

// Runs `binary arguments 2>&1` through the shell and waits for it.
CommandOutcome run_command(const std::string& binary, const std::string& arguments);

}  // namespace gauntlet::testing
