// File: tests/core/store/crash_test.cpp
//
// The crash test of the store: store_crash_writer commits orders in a loop and is killed with
// SIGKILL at random points, some very early (while it opens the store and migrates). After
// each kill the store is reopened and must pass PRAGMA integrity_check, hold every order whose
// commit returned (the ids the writer reported), hold no torn transaction (every order has both
// of its fills) and have no holes. The random seed is printed with every failure; set
// GAUNTLET_CRASH_SEED to replay one.
//
// Threading: the test is single-threaded; the writer is a child process.
#include <fcntl.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "core/store/sqlite_store.hpp"
#include "crash_schema.hpp"
#include "support/temp_dir.hpp"

extern char** environ;

namespace gauntlet::store {
namespace {

using gauntlet::testing::TempDir;
using Clock = std::chrono::steady_clock;

constexpr const char* kWriter = GAUNTLET_STORE_CRASH_WRITER;
constexpr auto kMarkerTimeout = std::chrono::seconds(20);

// store_crash_writer running on `database`, its stdout a pipe this object reads. Killed and
// reaped on destruction if still running.
class Writer {
 public:
  explicit Writer(const std::filesystem::path& database) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category());
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    const std::string database_text = database.string();
    char* const argv[] = {const_cast<char*>(kWriter), const_cast<char*>(database_text.c_str()),
                          nullptr};
    const int error = ::posix_spawn(&pid_, kWriter, &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    read_fd_ = fds[0];
    if (error != 0) {
      pid_ = -1;
      throw std::system_error(error, std::generic_category(), "posix_spawn");
    }
  }

  ~Writer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(read_fd_);
  }

  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Reads what the writer writes until `deadline`.
  void read_until(Clock::time_point deadline) {
    while (!eof_) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return;
      read_some(static_cast<int>(left.count()));
    }
  }

  // Reads until the writer has written `line` (true) or until `timeout` passes (false).
  bool read_until_line(std::string_view line, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!has_line(line)) {
      if (eof_ || Clock::now() >= deadline) return false;
      read_until(std::min(deadline, Clock::now() + std::chrono::milliseconds(1)));
    }
    return true;
  }

  // Kills the writer with SIGKILL, reaps it and reads the rest of the pipe. Returns the wait
  // status.
  int kill_and_reap() {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    while (!eof_) read_some(-1);
    return status;
  }

  // Reads until the writer has reported `count` commits (true) or until `timeout` passes.
  bool read_until_reports(std::size_t count, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (reported_ids().size() < count) {
      if (eof_ || Clock::now() >= deadline) return false;
      read_until(std::min(deadline, Clock::now() + std::chrono::milliseconds(1)));
    }
    return true;
  }

  bool has_line(std::string_view line) const {
    for (const std::string& seen : lines_) {
      if (seen == line) return true;
    }
    return false;
  }

  // The ids of the orders whose commit returned, in the order reported.
  std::vector<int64_t> reported_ids() const {
    std::vector<int64_t> ids;
    for (const std::string& line : lines_) {
      if (!line.empty() && line.find_first_not_of("0123456789") == std::string::npos) {
        ids.push_back(std::stoll(line));
      }
    }
    return ids;
  }

  // Whatever followed the last newline; empty unless a line was torn.
  const std::string& partial_line() const { return partial_; }

 private:
  void read_some(int timeout_ms) {
    pollfd poll_fd{read_fd_, POLLIN, 0};
    const int ready = ::poll(&poll_fd, 1, timeout_ms);
    if (ready <= 0) return;
    char buffer[4096];
    const ssize_t count = ::read(read_fd_, buffer, sizeof buffer);
    if (count < 0 && errno == EINTR) return;
    if (count <= 0) {
      eof_ = true;
      return;
    }
    for (ssize_t i = 0; i < count; ++i) {
      if (buffer[i] == '\n') {
        lines_.push_back(std::move(partial_));
        partial_.clear();
      } else {
        partial_.push_back(buffer[i]);
      }
    }
  }

  pid_t pid_ = -1;
  int read_fd_ = -1;
  bool eof_ = false;
  std::vector<std::string> lines_;
  std::string partial_;
};

std::string describe_status(int status) {
  if (WIFSIGNALED(status)) return fmt::format("killed by signal {}", WTERMSIG(status));
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  return fmt::format("wait status {}", status);
}

uint32_t choose_seed() {
  if (const char* text = std::getenv("GAUNTLET_CRASH_SEED")) {
    return static_cast<uint32_t>(std::strtoul(text, nullptr, 10));
  }
  return std::random_device{}();
}

int64_t query_int(Store& store, std::string_view sql) {
  std::optional<int64_t> value;
  store.query(sql, {}, [&](const Row& row) { value = row.get_int(0); });
  if (!value) throw StateError(fmt::format("no row from {}", sql));
  return *value;
}

bool has_table(Store& store, std::string_view table) {
  return query_int(store, fmt::format("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND "
                                      "name = '{}'",
                                      table)) == 1;
}

// Reopens the store after a kill and checks it against what the writer reported; `max_id` is
// the highest order id before the writer ran and becomes the highest after; `version` receives
// the schema version found.
void verify_after_kill(const std::filesystem::path& database, const std::vector<int64_t>& reported,
                       int64_t& max_id, int& version) {
  const auto store = SqliteStore::open(database);
  ASSERT_EQ(store->integrity_check(), "ok");
  int64_t foreign_key_problems = 0;
  store->query("PRAGMA foreign_key_check", {}, [&](const Row&) { ++foreign_key_problems; });
  ASSERT_EQ(foreign_key_problems, 0);

  version = store->schema_version(test::kCrashComponent);
  ASSERT_GE(version, 0);
  ASSERT_LE(version, static_cast<int>(test::kCrashMigrations.size()));
  // Each migration is whole or absent.
  ASSERT_EQ(has_table(*store, "orders"), version >= 1) << "schema version " << version;
  ASSERT_EQ(has_table(*store, "fills"), version >= 2) << "schema version " << version;
  if (version < 2) {
    ASSERT_TRUE(reported.empty()) << "orders reported before the schema was complete";
    ASSERT_EQ(max_id, 0) << "the schema went back from a version that held orders";
    return;
  }

  const int64_t count = query_int(*store, "SELECT count(*) FROM orders");
  const int64_t highest = query_int(*store, "SELECT coalesce(max(id), 0) FROM orders");
  ASSERT_EQ(query_int(*store, "SELECT coalesce(min(id), 1) FROM orders"), 1);
  ASSERT_EQ(count, highest) << "order ids have holes";
  ASSERT_GE(highest, max_id) << "orders committed by an earlier writer are gone";

  // The writer continues after the highest id it found, so it reports max_id + 1, + 2, ...
  for (std::size_t i = 0; i < reported.size(); ++i) {
    ASSERT_EQ(reported[i], max_id + 1 + static_cast<int64_t>(i)) << "report " << i;
  }
  const int64_t last_reported = reported.empty() ? max_id : reported.back();
  ASSERT_GE(highest, last_reported) << "an order whose commit returned is missing";
  // At most one commit can have returned without being reported (killed before the write).
  ASSERT_LE(highest, last_reported + 1) << "more orders than the writer committed";

  // Atomicity: every order has exactly its two fills, with its quantity and price.
  ASSERT_EQ(query_int(*store, "SELECT count(*) FROM fills"), 2 * highest)
      << "fills without their order or orders without their fills: a torn transaction";
  ASSERT_EQ(query_int(*store, R"sql(
SELECT count(*) FROM orders o
WHERE (SELECT count(*) FROM fills f WHERE f.order_id = o.id) <> 2
   OR (SELECT sum(f.qty) FROM fills f WHERE f.order_id = o.id) <> o.qty
   OR (SELECT count(*) FROM fills f WHERE f.order_id = o.id AND f.price <> o.price) <> 0
   OR o.client_order_id <> 'c-' || o.id)sql"),
            0)
      << "orders whose fills do not match them";
  max_id = highest;
}

// The line the writer writes once its schema is at `version`; 0 is "opening", before it opens.
std::string line_at_version(int version) {
  return version == 0 ? std::string(test::kOpeningLine) : test::migrated_line(version);
}

// " v0:2 v3:4": how many kills found each schema version.
std::string summarize(const std::map<int, int>& kills_by_version) {
  std::string text;
  for (const auto& [version, kills] : kills_by_version) {
    text += fmt::format(" v{}:{}", version, kills);
  }
  return text;
}

// When the writer is killed.
enum class KillPoint {
  kWhileOpening,     // 20 us-10 ms after it starts a step of open (recovery) or migration
  kAfterSpawn,       // 0-80 ms after the spawn
  kWhileCommitting,  // 0-80 ms after it is ready: in the commit loop
  kAfterProgress,    // once it has committed kProgressCommits orders (the last cycle)
};

// The writer must reach this many commits in one run, within kMarkerTimeout.
constexpr std::size_t kProgressCommits = 50;

// A delay for a kill aimed at a step of open or migration: log-uniform from 20 us to 10 ms, as a
// step takes from a fraction of a millisecond to several (each is a synced commit), depending
// on the machine and its load.
std::chrono::microseconds step_delay(std::mt19937& random) {
  std::uniform_real_distribution<double> exponent(std::log(20.0), std::log(10'000.0));
  return std::chrono::microseconds(static_cast<int64_t>(std::exp(exponent(random))));
}

TEST(StoreCrash, KilledWriterLosesNoReturnedCommitAndTearsNone) {
  constexpr int kCycles = 24;
  const uint32_t seed = choose_seed();
  SCOPED_TRACE(fmt::format("seed {} (replay with GAUNTLET_CRASH_SEED={})", seed, seed));
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> delay_ms(0, 80);
  const int migrations = static_cast<int>(test::kCrashMigrations.size());

  const TempDir directory;
  const std::filesystem::path database = directory.path() / "orders.db";
  int64_t max_id = 0;
  int version = 0;
  std::map<int, int> versions_at_early_kill;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    // Cycle 0 kills the writer while it opens and migrates the fresh store.
    const KillPoint point = cycle == kCycles - 1 ? KillPoint::kAfterProgress
                            : cycle % 4 == 0     ? KillPoint::kWhileOpening
                            : cycle % 4 == 2     ? KillPoint::kWhileCommitting
                                                 : KillPoint::kAfterSpawn;
    SCOPED_TRACE(fmt::format("cycle {}, kill point {}", cycle, static_cast<int>(point)));
    Writer writer(database);
    switch (point) {
      case KillPoint::kWhileOpening: {
        // Aim at the next migration while the schema is incomplete, else at the open.
        const int after = version < migrations ? version : 0;
        ASSERT_TRUE(writer.read_until_line(line_at_version(after), kMarkerTimeout));
        std::this_thread::sleep_for(step_delay(random));
        break;
      }
      case KillPoint::kAfterSpawn:
        writer.read_until(Clock::now() + std::chrono::milliseconds(delay_ms(random)));
        break;
      case KillPoint::kWhileCommitting:
        ASSERT_TRUE(writer.read_until_line(test::kReadyLine, kMarkerTimeout));
        writer.read_until(Clock::now() + std::chrono::milliseconds(delay_ms(random)));
        break;
      case KillPoint::kAfterProgress:
        ASSERT_TRUE(writer.read_until_reports(kProgressCommits, kMarkerTimeout))
            << "the writer made too little progress: " << writer.reported_ids().size()
            << " commits";
        break;
    }
    const int status = writer.kill_and_reap();
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the writer died on its own: " << describe_status(status);
    ASSERT_EQ(writer.partial_line(), "") << "a torn report line";

    ASSERT_NO_FATAL_FAILURE(verify_after_kill(database, writer.reported_ids(), max_id, version));
    if (point == KillPoint::kWhileOpening) ++versions_at_early_kill[version];
  }
  fmt::print("seed {}: {} orders committed over {} kills; schema version after early kills:{}\n",
             seed, max_id, kCycles, summarize(versions_at_early_kill));
  EXPECT_GE(max_id, static_cast<int64_t>(kProgressCommits));
}

// A writer killed while it migrates a fresh store leaves each migration whole or absent, and
// the next writer completes the schema.
TEST(StoreCrash, KillDuringFirstMigrationsLeavesWholeMigrations) {
  const int migrations = static_cast<int>(test::kCrashMigrations.size());
  const int runs = 3 * migrations;
  const uint32_t seed = choose_seed();
  SCOPED_TRACE(fmt::format("seed {} (replay with GAUNTLET_CRASH_SEED={})", seed, seed));
  std::mt19937 random(seed);
  std::map<int, int> versions_at_kill;
  for (int run = 0; run < runs; ++run) {
    const int after = run % migrations;  // aim at migration after + 1
    SCOPED_TRACE(fmt::format("run {}, killed after version {}", run, after));
    const TempDir directory;
    const std::filesystem::path database = directory.path() / "orders.db";
    {
      Writer writer(database);
      ASSERT_TRUE(writer.read_until_line(line_at_version(after), kMarkerTimeout));
      std::this_thread::sleep_for(step_delay(random));
      const int status = writer.kill_and_reap();
      ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
          << "the writer died on its own: " << describe_status(status);
      int64_t max_id = 0;
      int version = 0;
      ASSERT_NO_FATAL_FAILURE(verify_after_kill(database, writer.reported_ids(), max_id, version));
      ASSERT_GE(version, after);
      ++versions_at_kill[version];
    }
    Writer next(database);
    ASSERT_TRUE(next.read_until_line(test::kReadyLine, kMarkerTimeout));
    next.kill_and_reap();
    const auto store = SqliteStore::open(database);
    EXPECT_EQ(store->schema_version(test::kCrashComponent), migrations);
  }
  fmt::print("seed {}: schema version after the kill:{}\n", seed, summarize(versions_at_kill));
}

}  // namespace
}  // namespace gauntlet::store
