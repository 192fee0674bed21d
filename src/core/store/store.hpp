// File: core/store/store.hpp
//
// Store: the engine's persistent state behind an interface small enough for a second backend
// (PostgreSQL through libpqxx) to implement later. SQL goes in with parameters bound to
// ?1..?n, rows come out as Values; every logical change runs in one transaction; each
// component owns a versioned list of schema migrations. SqliteStore (core/store/sqlite_store.hpp)
// is the first backend.
//
// Errors: every failure of the database (bad SQL, I/O, a busy lock that outlasted the timeout,
// a corrupt file) throws StateError naming the SQL; a constraint violation (UNIQUE, FOREIGN KEY,
// NOT NULL, CHECK) throws store::ConstraintError, a StateError, so the caller decides whether a
// duplicate is a bug or an expected outcome.
//
// Threading: a Store is used from one thread at a time (the core event loop); another thread
// opens its own Store on the same database. Row and Value are plain value types.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "core/exceptions.hpp"

namespace gauntlet::store {

// A parameter or a column value: NULL, a 64-bit integer, a double or text (a BLOB column reads
// as text holding its bytes). Money and quantities go in as Decimal::raw() integers or as
// Decimal::to_string() text, never as double.
using Value = std::variant<std::monostate, int64_t, double, std::string>;

// The NULL Value, for parameter lists: {kNull, int64_t{3}}.
inline constexpr std::monostate kNull{};

// The name of the type a Value holds: "NULL", "integer", "real" or "text".
std::string_view type_name(const Value& value);

// A constraint violation (core/exceptions.hpp), named here where stores throw it.
using gauntlet::ConstraintError;

// One row of a query result, valid only during the callback that receives it. The getters
// throw StateError naming the column (index and name) and the type found when the column
// holds another type or the index is out of range; get_double() also reads an integer.
class Row {
 public:
  explicit Row(std::span<const Value> values, std::span<const std::string_view> names = {})
      : values_(values), names_(names) {}

  std::size_t size() const { return values_.size(); }
  bool is_null(std::size_t column) const;
  int64_t get_int(std::size_t column) const;
  double get_double(std::size_t column) const;
  std::string get_text(std::size_t column) const;
  const Value& get(std::size_t column) const;

 private:
  [[noreturn]] void throw_mismatch(std::size_t column, std::string_view wanted) const;
  std::string describe(std::size_t column) const;

  std::span<const Value> values_;
  std::span<const std::string_view> names_;
};

// One step of a component's schema. `sql` may hold several statements separated by ';'.
struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

// The checksum recorded for a migration's SQL (FNV-1a 64 of the exact bytes, as 16 hex
// digits); a migration whose text changes after it was applied is refused.
std::string migration_checksum(std::string_view sql);

enum class Durability {
  kFull,    // a commit that returned survives a power loss (SQLite synchronous=FULL)
  kNormal,  // a commit that returned survives a process crash, not a power loss; for backtests
};

class Store {
 public:
  virtual ~Store() = default;

  // Runs one statement with `params` bound to ?1..?n (their count must match) and returns the
  // number of rows it inserted, updated or deleted (0 for any other statement). Rows the
  // statement returns are discarded.
  virtual int64_t execute(std::string_view sql, std::span<const Value> params) = 0;
  int64_t execute(std::string_view sql, std::initializer_list<Value> params = {}) {
    return execute(sql, std::span<const Value>(params.begin(), params.size()));
  }

  // Runs one statement with `params` bound to ?1..?n and calls `on_row` for each row, in order.
  // An exception thrown by `on_row` stops the query and propagates.
  virtual void query(std::string_view sql, std::span<const Value> params,
                     const std::function<void(const Row&)>& on_row) = 0;
  void query(std::string_view sql, std::initializer_list<Value> params,
             const std::function<void(const Row&)>& on_row) {
    query(sql, std::span<const Value>(params.begin(), params.size()), on_row);
  }

  // Runs `body` in one transaction that takes the write lock at once (BEGIN IMMEDIATE): commits
  // when `body` returns, rolls back and rethrows when it throws. A nested call joins the
  // enclosing transaction through a savepoint, so a nested body that throws undoes only its own
  // work. Returns only after the commit is durable as the store's Durability promises.
  virtual void transaction(const std::function<void()>& body) = 0;

  // Runs `action` once everything written so far is durable: at once outside a transaction,
  // otherwise right after the outermost transaction commits, in the order given; dropped when
  // the transaction (or the nested one it was given in) rolls back. For what must not leave the
  // process before the state that explains it is committed: an order to a real venue after its
  // intent.
  virtual void after_commit(std::function<void()> action) = 0;

  // The rowid of the last row inserted through this store.
  virtual int64_t last_insert_id() const = 0;

  // Applies the migrations of `component` that are not applied yet, in version order, each in
  // its own transaction, and records (component, version, name, checksum, applied_at) in the
  // table schema_migrations. Throws StateError, applying nothing, when the versions are not
  // 1, 2, 3, ... in order, when the store holds a version of the component newer than any in
  // `migrations` (an old binary on a newer schema), or when an applied migration's checksum
  // differs from its SQL (edited history). A migration whose SQL fails leaves the version where
  // it was and throws.
  virtual void migrate(std::string_view component, std::span<const Migration> migrations) = 0;
  void migrate(std::string_view component, std::initializer_list<Migration> migrations) {
    migrate(component, std::span<const Migration>(migrations.begin(), migrations.size()));
  }

  // The highest applied migration version of `component`; 0 when none is applied.
  virtual int schema_version(std::string_view component) = 0;

  // The result of the backend's integrity check: "ok" when the store is healthy, otherwise one
  // problem per line.
  virtual std::string integrity_check() = 0;
};

}  // namespace gauntlet::store
