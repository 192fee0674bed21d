#include "core/store/sqlite_store.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/exceptions.hpp"
#include "support/temp_dir.hpp"

namespace gauntlet::store {
namespace {

using gauntlet::testing::TempDir;
using ::testing::HasSubstr;

int64_t count_rows(Store& store, const std::string& table) {
  int64_t count = -1;
  store.query("SELECT count(*) FROM " + table, {}, [&](const Row& row) { count = row.get_int(0); });
  return count;
}

std::vector<std::vector<Value>> select_all(Store& store, std::string_view sql) {
  std::vector<std::vector<Value>> rows;
  store.query(sql, {}, [&](const Row& row) {
    std::vector<Value> values;
    for (std::size_t i = 0; i < row.size(); ++i) values.push_back(row.get(i));
    rows.push_back(std::move(values));
  });
  return rows;
}

template <typename Error, typename Call>
std::string message_of(Call&& call) {
  try {
    call();
  } catch (const Error& error) {
    return error.what();
  }
  ADD_FAILURE() << "nothing thrown";
  return "";
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<SqliteStore> store_ = SqliteStore::open_in_memory();
};

TEST_F(SqliteStoreTest, RoundTripsEveryValueType) {
  store_->execute("CREATE TABLE t (v)");  // no declared type: values keep their own
  const std::string with_nul("a\0b", 3);
  const std::vector<Value> values = {
      kNull,
      int64_t{0},
      std::numeric_limits<int64_t>::max(),
      std::numeric_limits<int64_t>::min(),
      0.1,
      -1.5e300,
      std::string(),
      std::string("h\xc3\xa9llo"),
      with_nul,
  };
  for (const Value& value : values) {
    EXPECT_EQ(store_->execute("INSERT INTO t (v) VALUES (?1)", std::span<const Value>(&value, 1)),
              1);
  }
  const auto rows = select_all(*store_, "SELECT v FROM t ORDER BY rowid");
  ASSERT_EQ(rows.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(rows[i][0], values[i]) << "value " << i << " (" << type_name(values[i]) << ")";
  }
}

TEST_F(SqliteStoreTest, BindsParametersByNumber) {
  store_->execute("CREATE TABLE t (a INTEGER, b TEXT, c REAL, d)");
  store_->execute("INSERT INTO t (d, c, b, a) VALUES (?4, ?3, ?2, ?1)",
                  {int64_t{7}, "seven", 7.5, kNull});
  store_->query("SELECT a, b, c, d FROM t WHERE a = ?1 AND b = ?2", {7, "seven"},
                [](const Row& row) {
                  EXPECT_EQ(row.size(), 4u);
                  EXPECT_EQ(row.get_int(0), 7);
                  EXPECT_EQ(row.get_text(1), "seven");
                  EXPECT_EQ(row.get_double(2), 7.5);
                  EXPECT_TRUE(row.is_null(3));
                  EXPECT_FALSE(row.is_null(0));
                });
}

TEST_F(SqliteStoreTest, ExecuteReturnsTheRowsChanged) {
  EXPECT_EQ(store_->execute("CREATE TABLE t (a INTEGER)"), 0);
  EXPECT_EQ(store_->execute("INSERT INTO t (a) VALUES (1), (2), (3)"), 3);
  EXPECT_EQ(store_->execute("UPDATE t SET a = a + 10 WHERE a >= ?1", {2}), 2);
  EXPECT_EQ(store_->execute("UPDATE t SET a = 0 WHERE a > 100"), 0);
  EXPECT_EQ(store_->execute("SELECT * FROM t"), 0);
  EXPECT_EQ(store_->execute("CREATE INDEX t_a ON t (a)"), 0);
  EXPECT_EQ(store_->execute("DELETE FROM t"), 3);
}

TEST_F(SqliteStoreTest, GetterOfTheWrongTypeNamesTheColumnAndTheTypeFound) {
  store_->query("SELECT 'abc' AS symbol, NULL AS price, 42 AS qty, 2.5 AS fee", {},
                [](const Row& row) {
                  EXPECT_EQ(message_of<StateError>([&] { row.get_int(0); }),
                            "column 0 (symbol) is text, not integer");
                  EXPECT_EQ(message_of<StateError>([&] { row.get_text(1); }),
                            "column 1 (price) is NULL, not text");
                  EXPECT_EQ(message_of<StateError>([&] { row.get_text(2); }),
                            "column 2 (qty) is integer, not text");
                  EXPECT_EQ(message_of<StateError>([&] { row.get_int(3); }),
                            "column 3 (fee) is real, not integer");
                  EXPECT_EQ(message_of<StateError>([&] { row.get_int(4); }),
                            "column 4 is out of range: the row has 4 columns");
                  EXPECT_EQ(row.get_double(2), 42.0);  // an integer reads as a double
                });
}

TEST_F(SqliteStoreTest, WrongNumberOfParametersIsRefused) {
  store_->execute("CREATE TABLE t (a, b)");
  EXPECT_THAT(
      message_of<StateError>([&] { store_->execute("INSERT INTO t VALUES (?1, ?2)", {1}); }),
      HasSubstr("takes 2 parameters, got 1"));
}

TEST_F(SqliteStoreTest, NanParameterIsRefused) {
  store_->execute("CREATE TABLE t (a)");
  EXPECT_THAT(
      message_of<StateError>([&] { store_->execute("INSERT INTO t VALUES (?1)", {std::nan("")}); }),
      HasSubstr("parameter ?1 of \"INSERT INTO t VALUES (?1)\" is NaN"));
}

TEST_F(SqliteStoreTest, SqlErrorNamesTheSqlAndSqlitesMessage) {
  const std::string message =
      message_of<StateError>([&] { store_->execute("INSERT INTO missing\n  VALUES (1)"); });
  EXPECT_THAT(message, HasSubstr("\"INSERT INTO missing VALUES (1)\""));
  EXPECT_THAT(message, HasSubstr("no such table: missing"));
}

TEST_F(SqliteStoreTest, LongSqlIsAbbreviatedInMessages) {
  const std::string sql = "SELECT " + std::string(500, 'x') + " FROM nowhere";
  const std::string message = message_of<StateError>([&] { store_->execute(sql); });
  EXPECT_THAT(message, HasSubstr("xxx...\""));
  EXPECT_LT(message.size(), 300u);
}

TEST_F(SqliteStoreTest, ConstraintViolationThrowsConstraintError) {
  store_->execute("CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL)");
  store_->execute("CREATE TABLE child (parent_id INTEGER REFERENCES parent (id))");
  store_->execute("INSERT INTO parent (id, name) VALUES (1, 'a')");
  EXPECT_THAT(message_of<ConstraintError>(
                  [&] { store_->execute("INSERT INTO parent (id, name) VALUES (2, 'a')"); }),
              HasSubstr("UNIQUE constraint failed: parent.name"));
  EXPECT_THAT(
      message_of<ConstraintError>([&] { store_->execute("INSERT INTO parent (id) VALUES (3)"); }),
      HasSubstr("NOT NULL constraint failed"));
  // Foreign keys are enforced.
  EXPECT_THAT(message_of<ConstraintError>(
                  [&] { store_->execute("INSERT INTO child (parent_id) VALUES (9)"); }),
              HasSubstr("FOREIGN KEY constraint failed"));
  EXPECT_THROW(store_->execute("INSERT INTO parent (id, name) VALUES (1, 'b')"), StateError);
}

TEST_F(SqliteStoreTest, MoreThanOneStatementIsRefused) {
  EXPECT_THAT(
      message_of<StateError>([&] { store_->execute("CREATE TABLE a (x); CREATE TABLE b (x)"); }),
      HasSubstr("holds more than one statement"));
  EXPECT_EQ(count_rows(*store_, "sqlite_schema WHERE name IN ('a', 'b')"), 0);
  store_->execute("CREATE TABLE c (x); -- a trailing comment is fine\n");
}

TEST_F(SqliteStoreTest, LastInsertIdIsTheRowidOfTheLastInsert) {
  store_->execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a)");
  store_->execute("INSERT INTO t (a) VALUES (1)");
  EXPECT_EQ(store_->last_insert_id(), 1);
  store_->execute("INSERT INTO t (id, a) VALUES (41, 1)");
  store_->execute("INSERT INTO t (a) VALUES (1)");
  EXPECT_EQ(store_->last_insert_id(), 42);
}

TEST_F(SqliteStoreTest, TransactionCommitsWhenTheBodyReturns) {
  store_->execute("CREATE TABLE t (a)");
  store_->transaction([&] {
    store_->execute("INSERT INTO t VALUES (1)");
    store_->execute("INSERT INTO t VALUES (2)");
  });
  EXPECT_EQ(count_rows(*store_, "t"), 2);
}

TEST_F(SqliteStoreTest, TransactionRollsBackAndRethrowsWhenTheBodyThrows) {
  struct BodyFailed : std::runtime_error {
    using std::runtime_error::runtime_error;
  };
  store_->execute("CREATE TABLE t (a)");
  EXPECT_THROW(store_->transaction([&] {
    store_->execute("INSERT INTO t VALUES (1)");
    throw BodyFailed("no");
  }),
               BodyFailed);
  EXPECT_EQ(count_rows(*store_, "t"), 0);
  // The store is usable afterwards.
  store_->transaction([&] { store_->execute("INSERT INTO t VALUES (2)"); });
  EXPECT_EQ(count_rows(*store_, "t"), 1);
}

TEST_F(SqliteStoreTest, FailingStatementRollsBackTheWholeTransaction) {
  store_->execute("CREATE TABLE t (a UNIQUE)");
  EXPECT_THROW(store_->transaction([&] {
    store_->execute("INSERT INTO t VALUES (1)");
    store_->execute("INSERT INTO t VALUES (1)");
  }),
               ConstraintError);
  EXPECT_EQ(count_rows(*store_, "t"), 0);
}

TEST_F(SqliteStoreTest, NestedTransactionThatThrowsUndoesOnlyItsOwnWork) {
  store_->execute("CREATE TABLE t (a)");
  store_->transaction([&] {
    store_->execute("INSERT INTO t VALUES ('outer before')");
    try {
      store_->transaction([&] {
        store_->execute("INSERT INTO t VALUES ('inner')");
        throw StateError("inner fails");
      });
      ADD_FAILURE() << "the inner transaction did not rethrow";
    } catch (const StateError&) {
    }
    store_->transaction([&] { store_->execute("INSERT INTO t VALUES ('second inner')"); });
    store_->execute("INSERT INTO t VALUES ('outer after')");
  });
  const auto rows = select_all(*store_, "SELECT a FROM t ORDER BY rowid");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0][0], Value("outer before"));
  EXPECT_EQ(rows[1][0], Value("second inner"));
  EXPECT_EQ(rows[2][0], Value("outer after"));
}

TEST_F(SqliteStoreTest, OuterRollbackUndoesCommittedInnerWork) {
  store_->execute("CREATE TABLE t (a)");
  EXPECT_THROW(store_->transaction([&] {
    store_->transaction(
        [&] { store_->transaction([&] { store_->execute("INSERT INTO t VALUES (1)"); }); });
    throw StateError("outer fails");
  }),
               StateError);
  EXPECT_EQ(count_rows(*store_, "t"), 0);
}

TEST_F(SqliteStoreTest, ExceptionFromTheRowCallbackStopsTheQuery) {
  store_->execute("CREATE TABLE t (a)");
  store_->execute("INSERT INTO t VALUES (1), (2), (3)");
  int seen = 0;
  EXPECT_THROW(store_->query("SELECT a FROM t", {},
                             [&](const Row&) {
                               ++seen;
                               throw StateError("stop");
                             }),
               StateError);
  EXPECT_EQ(seen, 1);
  EXPECT_EQ(count_rows(*store_, "t"), 3);  // the same statement runs again from the start
}

TEST_F(SqliteStoreTest, StatementCacheReusesPreparedStatements) {
  store_->execute("CREATE TABLE t (a INTEGER)");
  const int64_t before = store_->prepared_statements();
  for (int64_t i = 0; i < 1000; ++i) store_->execute("INSERT INTO t (a) VALUES (?1)", {i});
  EXPECT_EQ(store_->prepared_statements() - before, 1);
  EXPECT_EQ(count_rows(*store_, "t"), 1000);
}

TEST_F(SqliteStoreTest, SameSqlRunsInsideItsOwnRowCallback) {
  store_->execute("CREATE TABLE t (a INTEGER)");
  store_->execute("INSERT INTO t VALUES (1), (2), (3)");
  const std::string sql = "SELECT a FROM t WHERE a >= ?1 ORDER BY a";
  std::vector<int64_t> outer;
  int64_t inner_rows = 0;
  store_->query(sql, {1}, [&](const Row& row) {
    outer.push_back(row.get_int(0));
    store_->query(sql, {row.get_int(0)}, [&](const Row&) { ++inner_rows; });
  });
  EXPECT_EQ(outer, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(inner_rows, 3 + 2 + 1);
}

// after_commit: at once outside a transaction; inside one, after the outermost commit (the
// rows it explains are on disk, read here by a second connection) in the order given; dropped
// with the nested transaction or the transaction that rolls back.
TEST(SqliteStore, AfterCommitRunsOnceTheOutermostTransactionIsDurable) {
  const TempDir dir;
  auto store = SqliteStore::open(dir.path() / "s.db");
  store->execute("CREATE TABLE t (a)");
  auto reader = SqliteStore::open(dir.path() / "s.db");
  std::vector<std::string> ran;
  int deferred = 0;
  store->on_deferred([&] { ++deferred; });
  store->after_commit([&] { ran.push_back("outside"); });
  EXPECT_EQ(ran, std::vector<std::string>{"outside"});
  EXPECT_EQ(deferred, 0);
  store->transaction([&] {
    store->execute("INSERT INTO t VALUES ('intent')");
    store->transaction([&] {
      store->after_commit(
          [&] { ran.push_back(fmt::format("first, {} row", count_rows(*reader, "t"))); });
    });
    try {
      store->transaction([&] {
        store->after_commit([&] { ran.push_back("undone"); });
        throw StateError("the nested work fails");
      });
    } catch (const StateError&) {
    }
    store->after_commit([&] { ran.push_back("second"); });
    EXPECT_EQ(ran.size(), 1u);  // nothing before the commit
  });
  EXPECT_EQ(ran, (std::vector<std::string>{"outside", "first, 1 row", "second"}));
  EXPECT_EQ(deferred, 3);
  EXPECT_THROW(store->transaction([&] {
    store->after_commit([&] { ran.push_back("rolled back"); });
    throw StateError("no");
  }),
               StateError);
  store->transaction([] {});
  EXPECT_EQ(ran.size(), 3u);
}

TEST_F(SqliteStoreTest, TransactionRunsInsideARowCallback) {
  store_->execute("CREATE TABLE source (a INTEGER)");
  store_->execute("CREATE TABLE copy (a INTEGER)");
  store_->execute("INSERT INTO source VALUES (1), (2), (3)");
  store_->query("SELECT a FROM source ORDER BY a", {}, [&](const Row& row) {
    store_->transaction(
        [&] { store_->execute("INSERT INTO copy VALUES (?1)", {row.get_int(0) * 10}); });
  });
  EXPECT_EQ(select_all(*store_, "SELECT a FROM copy ORDER BY a"),
            (std::vector<std::vector<Value>>{{int64_t{10}}, {int64_t{20}}, {int64_t{30}}}));
}

// --- migrations ---

constexpr Migration kFirst{1, "create accounts",
                           "CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
                           "INSERT INTO accounts (name) VALUES ('main');"};
constexpr Migration kSecond{2, "add balance",
                            "ALTER TABLE accounts ADD COLUMN balance INTEGER NOT NULL DEFAULT 0"};

TEST_F(SqliteStoreTest, MigrationsApplyOnceAndInOrder) {
  EXPECT_EQ(store_->schema_version("accounts"), 0);
  store_->migrate("accounts", {kFirst, kSecond});  // the second needs the first's table
  EXPECT_EQ(store_->schema_version("accounts"), 2);
  store_->migrate("accounts", {kFirst, kSecond});
  EXPECT_EQ(count_rows(*store_, "accounts"), 1);  // the first's insert ran once

  const auto rows =
      select_all(*store_,
                 "SELECT component, version, name, checksum, applied_at > 1600000000000 FROM "
                 "schema_migrations ORDER BY version");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (std::vector<Value>{"accounts", int64_t{1}, "create accounts",
                                         migration_checksum(kFirst.sql), int64_t{1}}));
  EXPECT_EQ(rows[1], (std::vector<Value>{"accounts", int64_t{2}, "add balance",
                                         migration_checksum(kSecond.sql), int64_t{1}}));
}

TEST_F(SqliteStoreTest, MigrationsApplyOnlyWhatIsNew) {
  store_->migrate("accounts", {kFirst});
  EXPECT_EQ(store_->schema_version("accounts"), 1);
  store_->migrate("accounts", {kFirst, kSecond});
  EXPECT_EQ(store_->schema_version("accounts"), 2);
  EXPECT_EQ(count_rows(*store_, "accounts"), 1);
}

TEST_F(SqliteStoreTest, ComponentsHaveTheirOwnVersions) {
  store_->migrate("accounts", {kFirst, kSecond});
  store_->migrate("journal", {{1, "create journal", "CREATE TABLE journal (line TEXT)"}});
  EXPECT_EQ(store_->schema_version("accounts"), 2);
  EXPECT_EQ(store_->schema_version("journal"), 1);
  EXPECT_EQ(store_->schema_version("nothing"), 0);
}

TEST_F(SqliteStoreTest, NewerSchemaInTheStoreIsRefused) {
  store_->migrate("accounts", {kFirst, kSecond});
  EXPECT_THAT(message_of<StateError>([&] { store_->migrate("accounts", {kFirst}); }),
              HasSubstr("holds version 2 (add balance) of accounts, newer than the 1 migrations "
                        "this binary knows"));
}

TEST_F(SqliteStoreTest, EditedMigrationIsRefused) {
  store_->migrate("accounts", {kFirst});
  const Migration edited{1, "create accounts",
                         "CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT);"};
  const std::string message = message_of<StateError>([&] {
    store_->migrate("accounts", {edited, kSecond});
  });
  EXPECT_THAT(message, HasSubstr("migration 1 of accounts (create accounts) was edited"));
  EXPECT_THAT(message, HasSubstr(migration_checksum(kFirst.sql)));
  EXPECT_EQ(store_->schema_version("accounts"), 1);  // nothing applied
}

TEST_F(SqliteStoreTest, MigrationsOutOfOrderAreRefused) {
  const Migration third{3, "third", "CREATE TABLE c (x)"};
  const Migration first_again{1, "again", "CREATE TABLE d (x)"};
  EXPECT_THAT(message_of<StateError>([&] {
                store_->migrate("x", {kFirst, third});
              }),
              HasSubstr("position 2 holds version 3"));
  EXPECT_THAT(message_of<StateError>([&] { store_->migrate("x", {kSecond}); }),
              HasSubstr("position 1 holds version 2"));
  EXPECT_THAT(message_of<StateError>([&] {
                store_->migrate("x", {kFirst, first_again});
              }),
              HasSubstr("position 2 holds version 1"));
  EXPECT_EQ(store_->schema_version("x"), 0);
  EXPECT_EQ(count_rows(*store_, "sqlite_schema WHERE name = 'accounts'"), 0);
}

TEST_F(SqliteStoreTest, FailingMigrationLeavesTheVersionUnchanged) {
  const Migration broken{2, "broken", "CREATE TABLE extra (x);\nINSERT INTO nowhere VALUES (1);"};
  store_->migrate("accounts", {kFirst});
  const std::string message = message_of<StateError>([&] {
    store_->migrate("accounts", {kFirst, broken});
  });
  EXPECT_THAT(message, HasSubstr("migration 2 of accounts (broken) failed"));
  EXPECT_THAT(message, HasSubstr("no such table: nowhere"));
  EXPECT_EQ(store_->schema_version("accounts"), 1);
  EXPECT_EQ(count_rows(*store_, "sqlite_schema WHERE name = 'extra'"), 0);  // rolled back
  store_->migrate("accounts", {kFirst, kSecond});                           // the fixed one applies
  EXPECT_EQ(store_->schema_version("accounts"), 2);
}

TEST(MigrationChecksum, IsFnv1aOfTheExactText) {
  EXPECT_EQ(migration_checksum(""), "cbf29ce484222325");
  EXPECT_EQ(migration_checksum("a"), "af63dc4c8601ec8c");
  EXPECT_NE(migration_checksum("CREATE TABLE a (x)"), migration_checksum("CREATE TABLE a  (x)"));
}

// --- file stores ---

TEST(SqliteFileStore, RunsInWalModeWithForeignKeysAndTheChosenDurability) {
  const TempDir directory;
  auto read_pragma = [](Store& store, std::string_view pragma) {
    std::string value;
    store.query(pragma, {}, [&](const Row& row) {
      value = row.is_null(0)
                  ? "NULL"
                  : (std::holds_alternative<int64_t>(row.get(0)) ? std::to_string(row.get_int(0))
                                                                 : row.get_text(0));
    });
    return value;
  };
  const auto full = SqliteStore::open(directory.path() / "full.db");
  EXPECT_EQ(read_pragma(*full, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(read_pragma(*full, "PRAGMA foreign_keys"), "1");
  EXPECT_EQ(read_pragma(*full, "PRAGMA synchronous"), "2");  // FULL
  EXPECT_EQ(read_pragma(*full, "PRAGMA busy_timeout"), "5000");
  const auto normal = SqliteStore::open(
      directory.path() / "normal.db",
      {.durability = Durability::kNormal, .busy_timeout = std::chrono::milliseconds(50)});
  EXPECT_EQ(read_pragma(*normal, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(read_pragma(*normal, "PRAGMA synchronous"), "1");  // NORMAL
  EXPECT_EQ(read_pragma(*normal, "PRAGMA busy_timeout"), "50");
}

TEST(SqliteFileStore, PersistsAcrossReopen) {
  const TempDir directory;
  const auto path = directory.path() / "state.db";
  {
    const auto store = SqliteStore::open(path);
    store->migrate("accounts", {kFirst, kSecond});
    store->transaction([&] { store->execute("UPDATE accounts SET balance = ?1", {int64_t{125}}); });
  }
  const auto store = SqliteStore::open(path);
  EXPECT_EQ(store->schema_version("accounts"), 2);
  store->migrate("accounts", {kFirst, kSecond});  // nothing re-applied
  EXPECT_EQ(count_rows(*store, "accounts"), 1);
  EXPECT_EQ(select_all(*store, "SELECT name, balance FROM accounts"),
            (std::vector<std::vector<Value>>{{"main", int64_t{125}}}));
  EXPECT_EQ(store->integrity_check(), "ok");
}

TEST(SqliteFileStore, OpenFailureNamesThePath) {
  const TempDir directory;
  const auto path = directory.path() / "missing-directory" / "state.db";
  const std::string message = message_of<StateError>([&] { SqliteStore::open(path); });
  EXPECT_THAT(message, HasSubstr("cannot open store " + path.string()));
  EXPECT_THAT(message, HasSubstr("unable to open database file"));
}

TEST(SqliteFileStore, AnotherConnectionSeesCommitsAndWaitsForTheWriteLock) {
  const TempDir directory;
  const auto path = directory.path() / "shared.db";
  const auto writer = SqliteStore::open(path);
  const auto other = SqliteStore::open(path, {.busy_timeout = std::chrono::milliseconds(20)});
  writer->execute("CREATE TABLE t (a)");
  writer->transaction([&] { writer->execute("INSERT INTO t VALUES (1)"); });
  EXPECT_EQ(count_rows(*other, "t"), 1);

  writer->transaction([&] {
    writer->execute("INSERT INTO t VALUES (2)");
    EXPECT_EQ(count_rows(*other, "t"), 1);  // readers see the last commit, not blocked
    EXPECT_THAT(message_of<StateError>([&] {
                  other->transaction([&] { other->execute("INSERT INTO t VALUES (3)"); });
                }),
                HasSubstr("database is locked"));
  });
  EXPECT_EQ(count_rows(*other, "t"), 2);
  other->transaction([&] { other->execute("INSERT INTO t VALUES (3)"); });
  EXPECT_EQ(count_rows(*writer, "t"), 3);
}

}  // namespace
}  // namespace gauntlet::store
