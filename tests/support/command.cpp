#include "support/command.hpp"

#include <sys/wait.h>

#include <array>
#include <cstdio>

namespace gauntlet::testing {

CommandOutcome run_command(const std::string& binary, const std::string& arguments) {
  const std::string command = binary + " " + arguments + " 2>&1";
  CommandOutcome outcome;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return outcome;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) outcome.output += buffer.data();
  const int status = ::pclose(pipe);
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return outcome;
}

ImportedStore import_binance_spot(const std::string& binary, const std::filesystem::path& data,
                                  const std::filesystem::path& dir,
                                  const std::vector<std::string>& pairs) {
  const std::filesystem::path files = dir / "files";
  std::filesystem::create_directories(files);
  for (const std::string& pair : pairs) {
    const std::string name = pair + "_USDT-1m.json.gz";
    std::filesystem::create_symlink(data / "crypto/binance_spot" / name, files / name);
  }
  ImportedStore imported;
  imported.store = dir / "store";
  imported.outcome = run_command(
      binary, "data import " + files.string() + " --data-root " + imported.store.string());
  return imported;
}

}  // namespace gauntlet::testing
