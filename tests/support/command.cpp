#include "support/command.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <cstdlib>

namespace gauntlet::testing {

pid_t spawn_binary(const std::string& binary, const std::vector<std::string>& arguments,
                   const std::filesystem::path& out, const std::filesystem::path& err) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a test that was killed
    const int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err_fd =
        err == out ? out_fd : ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    std::vector<std::string> copy = arguments;
    std::string path = binary;
    std::vector<char*> argv{path.data()};
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::setenv("GAUNTLET_LOG_LEVEL", "warn", 1);
    ::execv(path.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

int wait_exit_code(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

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
