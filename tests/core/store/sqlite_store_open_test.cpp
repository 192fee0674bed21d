// File: tests/core/store/sqlite_store_open_test.cpp
//
// The verifying open modes of SqliteStore (OpenMode::kVerifyOrCreate, kVerifyExisting): a
// missing database is a new one or an error, an empty, foreign or corrupt file is refused with
// a message naming it and its problem, a write-ahead log without its database is refused, and a
// refused file is left byte for byte as it was found.
//
// Threading: single-threaded.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/exceptions.hpp"
#include "core/store/sqlite_store.hpp"
#include "support/lcg.hpp"
#include "support/temp_dir.hpp"

namespace gauntlet::store {
namespace {

using gauntlet::testing::Lcg;
using gauntlet::testing::TempDir;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr SqliteOptions kVerifyOrCreate{.mode = OpenMode::kVerifyOrCreate};
constexpr SqliteOptions kVerifyExisting{.mode = OpenMode::kVerifyExisting};
constexpr int kRows = 3000;
constexpr std::size_t kPageBytes = 4096;  // SQLite's default page size

std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

std::string refusal_of(const std::filesystem::path& path, const SqliteOptions& options) {
  try {
    SqliteStore::open(path, options);
  } catch (const StateError& error) {
    return error.what();
  }
  ADD_FAILURE() << path << " was opened";
  return "";
}

int64_t count_rows(Store& store) {
  int64_t count = -1;
  store.query("SELECT count(*) FROM trades", {}, [&](const Row& row) { count = row.get_int(0); });
  return count;
}

// Inserts rows first..last-1 into trades (created when missing), ~100 bytes each.
void insert_trades(Store& store, int first, int last) {
  store.execute("CREATE TABLE IF NOT EXISTS trades (id INTEGER PRIMARY KEY, note TEXT NOT NULL)");
  store.transaction([&] {
    for (int id = first; id < last; ++id) {
      store.execute("INSERT INTO trades (id, note) VALUES (?1, ?2)",
                    {int64_t{id}, "trade " + std::to_string(id) + " " + std::string(90, 'x')});
    }
  });
}

// A closed database of kRows trades, all in the main file (closing checkpoints the log).
void write_trades_database(const std::filesystem::path& path) {
  const auto store = SqliteStore::open(path);
  insert_trades(*store, 0, kRows);
}

// Overwrites page `page` (1-based) of the file with pseudo-random bytes.
void overwrite_page(const std::filesystem::path& path, std::size_t page) {
  std::string garbage(kPageBytes, '\0');
  Lcg random(page);
  for (char& byte : garbage) byte = static_cast<char>(random.next() >> 56);
  std::fstream file(path, std::ios::binary | std::ios::in | std::ios::out);
  file.seekp(static_cast<std::streamoff>((page - 1) * kPageBytes));
  file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
}

TEST(SqliteStoreOpen, FreshDirectoryCreatesTheDatabase) {
  const TempDir directory;
  const auto path = directory.path() / "gauntlet.db";
  {
    const auto store = SqliteStore::open(path, kVerifyOrCreate);
    insert_trades(*store, 0, 10);
  }
  EXPECT_TRUE(std::filesystem::exists(path));
  const auto store = SqliteStore::open(path, kVerifyExisting);
  EXPECT_EQ(count_rows(*store), 10);
}

TEST(SqliteStoreOpen, ExistingGoodDatabaseOpensAndKeepsItsData) {
  const TempDir directory;
  const auto path = directory.path() / "gauntlet.db";
  write_trades_database(path);
  for (const SqliteOptions& options : {kVerifyOrCreate, kVerifyExisting}) {
    const auto store = SqliteStore::open(path, options);
    EXPECT_EQ(count_rows(*store), kRows);
    EXPECT_EQ(store->integrity_check(), "ok");
  }
}

TEST(SqliteStoreOpen, DatabaseWithUncheckpointedLogOpensWithEveryCommit) {
  // What a killed engine leaves: commits in gauntlet.db-wal, not yet in gauntlet.db.
  const TempDir live;
  const TempDir copy;
  const auto store = SqliteStore::open(live.path() / "gauntlet.db");
  insert_trades(*store, 0, 100);
  ASSERT_GT(std::filesystem::file_size(live.path() / "gauntlet.db-wal"), 0U);
  std::filesystem::copy_file(live.path() / "gauntlet.db", copy.path() / "gauntlet.db");
  std::filesystem::copy_file(live.path() / "gauntlet.db-wal", copy.path() / "gauntlet.db-wal");
  const auto reopened = SqliteStore::open(copy.path() / "gauntlet.db", kVerifyExisting);
  EXPECT_EQ(count_rows(*reopened), 100);
}

TEST(SqliteStoreOpen, MissingDatabaseIsRefusedWhenItMustExist) {
  const TempDir directory;
  const auto path = directory.path() / "gauntlet.db";
  EXPECT_EQ(refusal_of(path, kVerifyExisting),
            "cannot open store " + path.string() + ": no such file");
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(SqliteStoreOpen, EmptyFileIsRefusedAndLeftEmpty) {
  const TempDir directory;
  const auto path = directory.write("gauntlet.db", "");
  for (const SqliteOptions& options : {kVerifyOrCreate, kVerifyExisting}) {
    EXPECT_EQ(refusal_of(path, options),
              "cannot open store " + path.string() +
                  ": the file is empty (0 bytes), so it holds no session although one was "
                  "expected (this store writes a new database's header before its first "
                  "commit); move it away to start a new session");
  }
  EXPECT_EQ(std::filesystem::file_size(path), 0U);
  EXPECT_FALSE(std::filesystem::exists(path.string() + "-wal"));

  directory.write("gauntlet.db-wal", std::string(32, 'w'));
  EXPECT_THAT(refusal_of(path, kVerifyOrCreate),
              HasSubstr("the file is empty (0 bytes, beside a write-ahead log of 32 bytes)"));
  EXPECT_EQ(std::filesystem::file_size(path), 0U);
  EXPECT_EQ(read_bytes(path.string() + "-wal"), std::string(32, 'w'));
}

TEST(SqliteStoreOpen, GarbageFileIsRefusedAsNotADatabase) {
  const TempDir directory;
  std::string garbage = "#!/bin/sh\n\x01\x02";
  garbage.resize(3 * kPageBytes, 'g');
  const auto path = directory.write("gauntlet.db", garbage);
  for (const SqliteOptions& options : {kVerifyOrCreate, kVerifyExisting}) {
    EXPECT_EQ(
        refusal_of(path, options),
        "cannot open store " + path.string() +
            ": file is not a database (12288 bytes beginning \"#!/bin/sh\\x0a\\x01\\x02gggg\", "
            "not an SQLite header)");
  }
  EXPECT_TRUE(read_bytes(path) == garbage) << path << " changed";
  EXPECT_FALSE(std::filesystem::exists(path.string() + "-wal"));
}

TEST(SqliteStoreOpen, FileShorterThanTheHeaderIsRefusedAsNotADatabase) {
  const TempDir directory;
  const std::string truncated("SQLite format 3\0\x10\x00", 18);
  const auto path = directory.write("gauntlet.db", truncated);
  EXPECT_THAT(refusal_of(path, kVerifyOrCreate),
              HasSubstr(": file is not a database (18 bytes beginning \"SQLite format 3\\x00\""));
  EXPECT_TRUE(read_bytes(path) == truncated) << path << " changed";
}

TEST(SqliteStoreOpen, DatabaseWithAGarbagePageIsRefusedByQuickCheck) {
  const TempDir directory;
  const auto path = directory.path() / "gauntlet.db";
  write_trades_database(path);
  const std::size_t pages = std::filesystem::file_size(path) / kPageBytes;
  ASSERT_GT(pages, 50U);
  overwrite_page(path, pages / 2);
  const std::string corrupt = read_bytes(path);

  const std::string message = refusal_of(path, kVerifyOrCreate);
  EXPECT_THAT(message,
              StartsWith("cannot open store " + path.string() + ": it fails PRAGMA quick_check: "));
  // SQLite's own lines: the damaged page, then the error quick_check stopped on.
  EXPECT_THAT(message, HasSubstr("Page " + std::to_string(pages / 2) +
                                 ": btreeInitPage() returns error code 11"));
  EXPECT_THAT(message, EndsWith("; database disk image is malformed"));
  EXPECT_EQ(refusal_of(path, kVerifyExisting), message);
  EXPECT_TRUE(read_bytes(path) == corrupt) << path << " changed";
}

TEST(SqliteStoreOpen, RefusedDatabaseKeepsItsLogUncheckpointed) {
  // A corrupt database with commits still in its write-ahead log: closing the refused
  // connection must not checkpoint the log into the file, nor delete it.
  const TempDir live;
  const TempDir copy;
  const auto database = copy.path() / "gauntlet.db";
  const auto log = copy.path() / "gauntlet.db-wal";
  write_trades_database(live.path() / "gauntlet.db");
  {
    const auto store = SqliteStore::open(live.path() / "gauntlet.db");
    insert_trades(*store, kRows, kRows + 50);
    std::filesystem::copy_file(live.path() / "gauntlet.db", database);
    std::filesystem::copy_file(live.path() / "gauntlet.db-wal", log);
  }
  overwrite_page(database, std::filesystem::file_size(database) / kPageBytes / 2);
  const std::string database_bytes = read_bytes(database);
  const std::string log_bytes = read_bytes(log);
  ASSERT_FALSE(log_bytes.empty());

  EXPECT_THAT(refusal_of(database, kVerifyExisting), HasSubstr(": it fails PRAGMA quick_check: "));
  EXPECT_TRUE(read_bytes(database) == database_bytes) << database << " changed";
  EXPECT_TRUE(read_bytes(log) == log_bytes) << log << " changed";
}

TEST(SqliteStoreOpen, LogWithoutItsDatabaseIsRefused) {
  const TempDir live;
  const TempDir moved;
  const auto store = SqliteStore::open(live.path() / "gauntlet.db");
  insert_trades(*store, 0, 10);
  const auto log = moved.path() / "gauntlet.db-wal";
  std::filesystem::copy_file(live.path() / "gauntlet.db-wal", log);
  const std::string log_bytes = read_bytes(log);
  const auto path = moved.path() / "gauntlet.db";
  for (const SqliteOptions& options : {kVerifyOrCreate, kVerifyExisting}) {
    EXPECT_EQ(refusal_of(path, options),
              "cannot open store " + path.string() +
                  ": the database file is missing but its write-ahead log " + log.string() + " (" +
                  std::to_string(log_bytes.size()) +
                  " bytes) is present, so the database was moved or deleted without it; restore "
                  "the database, or move the log away to start a new session");
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_TRUE(read_bytes(log) == log_bytes) << log << " changed";
}

TEST(SqliteStoreOpen, UnverifiedOpenKeepsSqlitesOwnBehaviour) {
  const TempDir directory;
  const auto path = directory.write("gauntlet.db", "");
  const auto store = SqliteStore::open(path);  // OpenMode::kOpenOrCreate: an empty database
  EXPECT_EQ(store->integrity_check(), "ok");
}

}  // namespace
}  // namespace gauntlet::store
