#include "core/state_lock.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include "core/exceptions.hpp"
#include "core/time.hpp"

namespace gauntlet {
namespace {

constexpr const char* kLockFileName = "LOCK";
constexpr std::size_t kMaxRecordBytes = 4096;
// A holder writes its record just after it locks; a refused caller that reads an empty or
// partial record in between tries again this many times before it gives up on naming it.
constexpr int kRecordReadAttempts = 20;
constexpr auto kRecordReadPause = std::chrono::milliseconds(5);

std::string system_message(int error) {
  return std::generic_category().message(error);
}

struct Holder {
  std::string pid;
  std::string command;
  std::string since;
};

// The record a holder writes: one key=value a line.
std::string format_record(std::string_view command, TimestampMs since) {
  std::string one_line(command);
  std::replace(one_line.begin(), one_line.end(), '\n', ' ');
  std::replace(one_line.begin(), one_line.end(), '\r', ' ');
  return fmt::format("pid={}\ncommand={}\nsince={}\n", ::getpid(), one_line, format_iso8601(since));
}

std::optional<Holder> parse_record(std::string_view text) {
  Holder holder;
  bool complete = false;  // the last line ends with '\n': the record is whole
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    if (end == std::string_view::npos) break;
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(end + 1);
    const std::size_t equals = line.find('=');
    if (equals == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, equals);
    const std::string value(line.substr(equals + 1));
    if (key == "pid") holder.pid = value;
    if (key == "command") holder.command = value;
    if (key == "since") holder.since = value;
    complete = key == "since";
  }
  const bool numeric_pid =
      !holder.pid.empty() && std::all_of(holder.pid.begin(), holder.pid.end(),
                                         [](char c) { return c >= '0' && c <= '9'; });
  if (!complete || !numeric_pid) return std::nullopt;
  return holder;
}

std::string read_record(int fd) {
  std::string text(kMaxRecordBytes, '\0');
  std::size_t size = 0;
  while (size < text.size()) {
    const ssize_t got =
        ::pread(fd, text.data() + size, text.size() - size, static_cast<off_t>(size));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    size += static_cast<std::size_t>(got);
  }
  text.resize(size);
  return text;
}

// "gauntlet run (pid 12345, since 2026-12-07T03:10:00.000Z)", from the holder's record.
std::string describe_holder(int fd) {
  for (int attempt = 0; attempt < kRecordReadAttempts; ++attempt) {
    if (const std::optional<Holder> holder = parse_record(read_record(fd))) {
      return fmt::format("{} (pid {}, since {})",
                         holder->command.empty() ? "a process" : holder->command, holder->pid,
                         holder->since);
    }
    std::this_thread::sleep_for(kRecordReadPause);
  }
  return "another process (its LOCK file names no holder)";
}

void write_record(int fd, const std::string& record, const std::filesystem::path& file) {
  if (::ftruncate(fd, 0) != 0) {
    throw StateError(fmt::format("cannot write {}: {}", file.string(), system_message(errno)));
  }
  std::size_t written = 0;
  while (written < record.size()) {
    const ssize_t put =
        ::pwrite(fd, record.data() + written, record.size() - written, static_cast<off_t>(written));
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) {
      throw StateError(fmt::format("cannot write {}: {}", file.string(),
                                   put < 0 ? system_message(errno) : "nothing written"));
    }
    written += static_cast<std::size_t>(put);
  }
}

}  // namespace

StateLock StateLock::acquire(const std::filesystem::path& directory, std::string_view command) {
  const std::filesystem::path file = directory / kLockFileName;
  int fd = -1;
  do {
    fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    throw StateError(fmt::format("cannot open the lock file {} of state directory {}: {}",
                                 file.string(), directory.string(), system_message(errno)));
  }
  StateLock lock(fd);  // closes the file on every exit below
  int code = 0;
  do {
    code = ::flock(fd, LOCK_EX | LOCK_NB);
  } while (code != 0 && errno == EINTR);
  if (code != 0) {
    if (errno == EWOULDBLOCK) {
      const std::string holder = describe_holder(fd);
      ::close(std::exchange(lock.fd_, -1));  // never empty the holder's record
      throw StateError(fmt::format(
          "state directory {} is in use by {}; stop it first or use another state directory",
          directory.string(), holder));
    }
    throw StateError(fmt::format("cannot lock {}: {}", file.string(), system_message(errno)));
  }
  const auto now =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  write_record(fd, format_record(command, now.time_since_epoch().count()), file);
  return lock;
}

StateLock::~StateLock() {
  release();
}

StateLock::StateLock(StateLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

StateLock& StateLock::operator=(StateLock&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void StateLock::release() noexcept {
  if (fd_ < 0) return;
  // Still holding the lock: an unlocked LOCK file is left empty after a clean exit.
  [[maybe_unused]] const int ignored = ::ftruncate(fd_, 0);
  ::close(std::exchange(fd_, -1));  // closing the only descriptor releases the flock
}

}  // namespace gauntlet
