// File: core/store/sqlite_store.hpp
//
// SqliteStore: the Store on one SQLite connection. A file store runs in WAL mode (readers do not
// block the writer, a crash loses no commit that returned) with foreign keys enforced and a busy
// timeout for the moments another connection holds the write lock. Prepared statements are
// cached by SQL text, so executing the same SQL again does not prepare it again; a statement
// already in use (a query whose callback runs the same SQL) gets a fresh one. Migrations run
// inside a transaction, where PRAGMA foreign_keys has no effect.
//
// Threading: one SqliteStore is used from one thread, the core event loop. Another thread (an
// API server, a report writer) opens its own SqliteStore on the same file; SQLite and WAL
// serialise the writers and let readers run beside them. The connection is opened without
// SQLite's internal mutex, so sharing one SqliteStore across threads is a data race.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/store/store.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace gauntlet::store {

// What SqliteStore::open() accepts at its path. The verifying modes are for the database of a
// state directory, where a session that vanished or rotted must stop the engine with a message
// rather than be replaced, silently, by a new empty one.
enum class OpenMode {
  // SQLite's own behaviour: opens the file, or creates it when missing, without looking at it.
  kOpenOrCreate,
  // A missing file is a new session and is created; a present one is verified first (below).
  kVerifyOrCreate,
  // The file must exist (a reader of a stored session) and is verified first.
  kVerifyExisting,
};

// Declared outside SqliteStore so that it can be a default argument of SqliteStore::open().
struct SqliteOptions {
  Durability durability = Durability::kFull;
  // How long a statement waits for another connection's lock before it fails.
  std::chrono::milliseconds busy_timeout{5000};
  OpenMode mode = OpenMode::kOpenOrCreate;
};

class SqliteStore final : public Store {
 public:
  using Options = SqliteOptions;

  // Opens the database at `path`, creating the file (not its directory) when missing and the
  // mode allows it. Throws StateError naming the path and SQLite's message when it cannot be
  // opened or put in WAL mode.
  //
  // The verifying modes refuse, with a StateError naming the file and what is wrong with it,
  // before anything is written to the database:
  // - no file, but its write-ahead log `path`-wal is there: the database was moved or deleted
  //   without its log, and a new database beside that log would replay it;
  // - no file at all (kVerifyExisting only; kVerifyOrCreate creates a new database);
  // - an empty (0-byte) file: this store writes the header of a new database before its first
  //   commit, so an empty file holds no session (a `touch`, a failed copy, or a process killed
  //   in the instant it created the file) where the caller expects one;
  // - a file that does not begin with SQLite's header ("file is not a database");
  // - a database failing PRAGMA quick_check (the message quotes SQLite's first lines), or one
  //   SQLite cannot read at all ("database disk image is malformed").
  // A refused file is left exactly as found: nothing is deleted, truncated, replaced or
  // checkpointed into it, and its write-ahead log is kept. quick_check reads every page, so it
  // takes time in proportion to the file's size; it takes no write lock, so it runs beside
  // other connections.
  static std::unique_ptr<SqliteStore> open(const std::filesystem::path& path, Options options = {});
  // A private database in memory, gone when the store is destroyed; for tests.
  static std::unique_ptr<SqliteStore> open_in_memory();

  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  using Store::execute;
  using Store::migrate;
  using Store::query;

  int64_t execute(std::string_view sql, std::span<const Value> params) override;
  void query(std::string_view sql, std::span<const Value> params,
             const std::function<void(const Row&)>& on_row) override;
  void transaction(const std::function<void()>& body) override;
  void after_commit(std::function<void()> action) override;
  // Called each time an action is deferred inside a transaction, so that the owner of the
  // outermost transaction can commit it soon (the live loop ends its turn early).
  void on_deferred(std::function<void()> hook) { deferred_hook_ = std::move(hook); }
  int64_t last_insert_id() const override;
  void migrate(std::string_view component, std::span<const Migration> migrations) override;
  int schema_version(std::string_view component) override;
  std::string integrity_check() override;

  // The number of statements prepared since the store was opened; tests read it to see the
  // statement cache at work.
  int64_t prepared_statements() const { return prepared_statements_; }

 private:
  struct StatementDeleter {
    void operator()(sqlite3_stmt* statement) const;
  };
  using StatementPtr = std::unique_ptr<sqlite3_stmt, StatementDeleter>;
  struct CachedStatement {
    StatementPtr statement;
    bool in_use = false;  // leased to a running execute() or query()
  };

  // Heterogeneous lookup, so that a cache hit does not copy the SQL text.
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>{}(text);
    }
  };

  // A statement taken out of the cache for one execution; returns it (reset) when done.
  class Lease;

  SqliteStore(sqlite3* db, std::string name);

  void configure(Options options, bool in_memory);
  // The check of the verifying modes that needs SQLite, PRAGMA quick_check (see open()), run
  // before anything is written; throws StateError.
  void verify_contents(std::chrono::milliseconds busy_timeout);
  StatementPtr prepare(std::string_view sql);
  // Runs every statement of `script` in order, without caching them.
  void execute_script(std::string_view script);
  void apply_migration(std::string_view component, const Migration& migration);
  // Throws when a transaction this store opened was rolled back by SQLite itself after an
  // error (I/O, disk full): the statements that follow would otherwise run outside it.
  void ensure_transaction_alive(std::string_view sql) const;
  [[noreturn]] void throw_error(int code, std::string_view what, std::string_view sql) const;

  sqlite3* db_;
  std::string name_;  // the path, for messages
  std::unordered_map<std::string, CachedStatement, TextHash, std::equal_to<>> cache_;
  int transaction_depth_ = 0;
  std::vector<std::function<void()>> after_commit_;  // deferred until the outermost commit
  std::function<void()> deferred_hook_;
  int64_t prepared_statements_ = 0;
};

}  // namespace gauntlet::store
