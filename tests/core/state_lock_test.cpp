// File: tests/core/state_lock_test.cpp
//
// StateLock: one holder per state directory, within a process and across processes; released
// on destruction and by the kernel when the holder is killed. Other processes are forked
// children that report through a pipe; they leave with _exit, so that nothing of the parent's
// (its temp directories, GoogleTest) runs in them.
//
// Threading: single-threaded; children are processes.
#include "core/state_lock.hpp"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>

#include "core/exceptions.hpp"
#include "support/temp_dir.hpp"

namespace gauntlet {
namespace {

using gauntlet::testing::TempDir;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;

constexpr int kReadTimeoutMs = 20'000;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string refusal_of(const std::filesystem::path& directory, std::string_view command) {
  try {
    StateLock::acquire(directory, command);
  } catch (const StateError& error) {
    return error.what();
  }
  ADD_FAILURE() << "the lock on " << directory << " was granted";
  return "";
}

// "state directory DIR is in use by COMMAND (pid PID, since <ISO time>); stop it first ..."
std::string in_use_prefix(const std::filesystem::path& directory, std::string_view command,
                          pid_t pid) {
  return "state directory " + directory.string() + " is in use by " + std::string(command) +
         " (pid " + std::to_string(pid) + ", since ";
}

constexpr const char* kSinceAndAdvice =
    "since [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z\\); stop it first or "
    "use another state directory$";

// A forked child running `body`, which writes to the pipe the parent reads with read_line().
// Killed and reaped on destruction if still running.
class Child {
 public:
  explicit Child(const std::function<void(int write_fd)>& body) {
    std::array<int, 2> fds{};
    if (::pipe2(fds.data(), O_CLOEXEC) != 0)
      throw std::system_error(errno, std::generic_category());
    pid_ = ::fork();
    if (pid_ < 0) throw std::system_error(errno, std::generic_category(), "fork");
    if (pid_ == 0) {
      ::close(fds[0]);
      try {
        body(fds[1]);
      } catch (...) {
        ::_exit(2);
      }
      ::_exit(0);
    }
    ::close(fds[1]);
    read_fd_ = fds[0];
  }

  ~Child() {
    if (pid_ > 0) kill_and_wait();
    ::close(read_fd_);
  }

  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }

  // One line the child wrote, without its '\n'; what came before EOF or the timeout otherwise.
  std::string read_line() {
    std::string line;
    char c = 0;
    while (true) {
      pollfd ready{read_fd_, POLLIN, 0};
      if (::poll(&ready, 1, kReadTimeoutMs) <= 0) break;
      if (::read(read_fd_, &c, 1) != 1 || c == '\n') break;
      line.push_back(c);
    }
    return line;
  }

  // SIGKILLs the child and waits until the kernel has reaped it (and released its files).
  void kill_and_wait() {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  // Waits for the child to leave by itself; returns its exit code (-1 when killed).
  int wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
  int read_fd_ = -1;
};

void write_line(int fd, const std::string& text) {
  const std::string line = text + "\n";
  [[maybe_unused]] const ssize_t written = ::write(fd, line.data(), line.size());
}

TEST(StateLock, RecordsItsHolderInTheLockFileAndEmptiesItOnRelease) {
  const TempDir directory;
  {
    const StateLock lock = StateLock::acquire(directory.path(), "gauntlet run");
    EXPECT_THAT(
        read_file(directory.path() / "LOCK"),
        ContainsRegex("^pid=" + std::to_string(::getpid()) +
                      "\ncommand=gauntlet run\nsince=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z\n$"));
  }
  EXPECT_TRUE(std::filesystem::exists(directory.path() / "LOCK"));  // never deleted
  EXPECT_EQ(read_file(directory.path() / "LOCK"), "");
}

TEST(StateLock, SecondLockInTheSameProcessIsRefusedNamingTheHolder) {
  const TempDir directory;
  const StateLock lock = StateLock::acquire(directory.path(), "gauntlet run");
  const std::string message = refusal_of(directory.path(), "gauntlet run");
  EXPECT_THAT(message, HasSubstr(in_use_prefix(directory.path(), "gauntlet run", ::getpid())));
  EXPECT_THAT(message, ContainsRegex(kSinceAndAdvice));
  // The refusal leaves the holder's record alone.
  EXPECT_THAT(read_file(directory.path() / "LOCK"),
              HasSubstr("pid=" + std::to_string(::getpid()) + "\n"));
}

TEST(StateLock, LockHeldByThisProcessIsRefusedToAnotherNamingThisPid) {
  const TempDir directory;
  const StateLock lock = StateLock::acquire(directory.path(), "gauntlet run");
  Child child([&](int fd) {
    try {
      StateLock::acquire(directory.path(), "gauntlet backtest");
      write_line(fd, "granted");
    } catch (const StateError& error) {
      write_line(fd, error.what());
    }
  });
  const std::string message = child.read_line();
  EXPECT_EQ(child.wait(), 0);
  EXPECT_THAT(message, HasSubstr(in_use_prefix(directory.path(), "gauntlet run", ::getpid())));
  EXPECT_THAT(message, ContainsRegex(kSinceAndAdvice));
}

TEST(StateLock, IsReleasedOnDestruction) {
  const TempDir directory;
  { const StateLock first = StateLock::acquire(directory.path(), "gauntlet run"); }
  const StateLock second = StateLock::acquire(directory.path(), "gauntlet run");
  EXPECT_THAT(read_file(directory.path() / "LOCK"),
              HasSubstr("pid=" + std::to_string(::getpid()) + "\n"));
}

TEST(StateLock, MovedLockIsHeldUntilItsLastOwnerGoes) {
  const TempDir directory;
  const TempDir elsewhere;
  std::optional<StateLock> owner;
  {
    StateLock lock = StateLock::acquire(directory.path(), "gauntlet run");
    owner.emplace(std::move(lock));
  }  // the moved-from lock goes: nothing is released
  EXPECT_THAT(refusal_of(directory.path(), "gauntlet run"), HasSubstr("is in use by gauntlet run"));

  StateLock other = StateLock::acquire(elsewhere.path(), "gauntlet run");
  other = std::move(*owner);  // releases elsewhere, takes directory over
  owner.reset();
  EXPECT_THAT(refusal_of(directory.path(), "gauntlet run"), HasSubstr("is in use by gauntlet run"));
  { const StateLock free_again = StateLock::acquire(elsewhere.path(), "gauntlet run"); }

  { const StateLock last = std::move(other); }
  const StateLock again = StateLock::acquire(directory.path(), "gauntlet run");
}

TEST(StateLock, IsReleasedWhenItsHolderIsKilled) {
  const TempDir directory;
  Child holder([&](int fd) {
    const StateLock lock = StateLock::acquire(directory.path(), "gauntlet run");
    write_line(fd, "locked");
    while (true) ::pause();
  });
  ASSERT_EQ(holder.read_line(), "locked");
  const std::string message = refusal_of(directory.path(), "gauntlet run");
  EXPECT_THAT(message, HasSubstr(in_use_prefix(directory.path(), "gauntlet run", holder.pid())));
  EXPECT_THAT(message, ContainsRegex(kSinceAndAdvice));

  holder.kill_and_wait();  // SIGKILL: no destructor runs, the record stays behind
  EXPECT_THAT(read_file(directory.path() / "LOCK"), HasSubstr("command=gauntlet run\n"));
  const StateLock lock = StateLock::acquire(directory.path(), "gauntlet backtest");
  EXPECT_THAT(read_file(directory.path() / "LOCK"),
              HasSubstr("pid=" + std::to_string(::getpid()) + "\ncommand=gauntlet backtest\n"));
}

TEST(StateLock, DirectoriesAreLockedApart) {
  const TempDir first;
  const TempDir second;
  const StateLock a = StateLock::acquire(first.path(), "gauntlet run");
  const StateLock b = StateLock::acquire(second.path(), "gauntlet run");
  EXPECT_THAT(refusal_of(second.path(), "gauntlet run"), HasSubstr(second.path().string()));
}

TEST(StateLock, MissingDirectoryIsAnErrorNamingTheLockFile) {
  const TempDir directory;
  const std::filesystem::path missing = directory.path() / "missing";
  EXPECT_EQ(refusal_of(missing, "gauntlet run"),
            "cannot open the lock file " + (missing / "LOCK").string() + " of state directory " +
                missing.string() + ": No such file or directory");
  EXPECT_FALSE(std::filesystem::exists(missing));
}

}  // namespace
}  // namespace gauntlet
