#include "core/store/sqlite_store.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "core/check.hpp"

namespace gauntlet::store {

namespace {

constexpr std::size_t kMaxCachedStatements = 256;
constexpr std::size_t kMaxSqlInMessage = 120;
// The first lines of PRAGMA quick_check quoted when a database fails it.
constexpr std::size_t kMaxProblemsInMessage = 5;
// Every SQLite database file begins with this 16-byte string, within a 100-byte header.
constexpr std::string_view kSqliteMagic{"SQLite format 3\0", 16};
constexpr std::size_t kSqliteHeaderBytes = 100;

constexpr std::string_view kCreateMigrationsTable = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  component TEXT NOT NULL,
  version INTEGER NOT NULL,
  name TEXT NOT NULL,
  checksum TEXT NOT NULL,
  applied_at INTEGER NOT NULL,  -- milliseconds since the epoch, UTC
  PRIMARY KEY (component, version)
))sql";

constexpr std::string_view kRecordMigration = R"sql(
INSERT INTO schema_migrations (component, version, name, checksum, applied_at)
VALUES (?1, ?2, ?3, ?4, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)))sql";

// The SQL on one line, cut to kMaxSqlInMessage characters, for error messages.
std::string abbreviate(std::string_view sql) {
  std::string text;
  bool in_space = false;
  for (const char c : sql) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (space) {
      in_space = !text.empty();
      continue;
    }
    if (in_space) text.push_back(' ');
    in_space = false;
    text.push_back(c);
    if (text.size() > kMaxSqlInMessage) {
      text.resize(kMaxSqlInMessage);
      text += "...";
      break;
    }
  }
  return text;
}

int length_of(std::string_view sql) {
  if (sql.size() > static_cast<std::size_t>(INT_MAX)) {
    throw StateError(fmt::format("SQL of {} bytes is too long: {}", sql.size(), abbreviate(sql)));
  }
  return static_cast<int>(sql.size());
}

void bind(sqlite3_stmt* statement, std::string_view sql, std::span<const Value> params) {
  const int expected = sqlite3_bind_parameter_count(statement);
  if (static_cast<std::size_t>(expected) != params.size()) {
    throw StateError(fmt::format("\"{}\" takes {} parameters, got {}", abbreviate(sql), expected,
                                 params.size()));
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    const int index = static_cast<int>(i) + 1;
    const Value& param = params[i];
    int code = SQLITE_OK;
    if (const auto* integer = std::get_if<int64_t>(&param)) {
      code = sqlite3_bind_int64(statement, index, *integer);
    } else if (const auto* real = std::get_if<double>(&param)) {
      // SQLite would store NaN as NULL; refuse rather than lose the value silently.
      if (std::isnan(*real)) {
        throw StateError(fmt::format("parameter ?{} of \"{}\" is NaN", index, abbreviate(sql)));
      }
      code = sqlite3_bind_double(statement, index, *real);
    } else if (const auto* text = std::get_if<std::string>(&param)) {
      // SQLITE_STATIC: params outlive the statement's execution, and the bindings are cleared
      // before the statement goes back to the cache.
      code = sqlite3_bind_text64(statement, index, text->data(), text->size(), SQLITE_STATIC,
                                 SQLITE_UTF8);
    } else {
      code = sqlite3_bind_null(statement, index);
    }
    if (code != SQLITE_OK) {
      throw StateError(fmt::format("cannot bind parameter ?{} of \"{}\": {}", index,
                                   abbreviate(sql), sqlite3_errstr(code)));
    }
  }
}

void read_column(sqlite3_stmt* statement, int column, Value& value) {
  switch (sqlite3_column_type(statement, column)) {
    case SQLITE_INTEGER:
      value = static_cast<int64_t>(sqlite3_column_int64(statement, column));
      return;
    case SQLITE_FLOAT:
      value = sqlite3_column_double(statement, column);
      return;
    case SQLITE_TEXT:
    case SQLITE_BLOB: {
      // Pointer first, then size (SQLite's documented order).
      const void* bytes = sqlite3_column_type(statement, column) == SQLITE_TEXT
                              ? static_cast<const void*>(sqlite3_column_text(statement, column))
                              : sqlite3_column_blob(statement, column);
      const auto size = static_cast<std::size_t>(sqlite3_column_bytes(statement, column));
      auto* text = std::get_if<std::string>(&value);
      if (text == nullptr) text = &value.emplace<std::string>();
      text->assign(static_cast<const char*>(bytes), bytes == nullptr ? 0 : size);
      return;
    }
    default:
      value = std::monostate{};
      return;
  }
}

// The first bytes of `bytes` for a message: printable ASCII as is, anything else as \xNN.
std::string preview(std::string_view bytes) {
  std::string text;
  for (const char c : bytes.substr(0, kSqliteMagic.size())) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && c != '\\' && c != '"') {
      text.push_back(c);
    } else {
      text += fmt::format("\\x{:02x}", byte);
    }
  }
  return text;
}

// The size of `path`, or nothing when there is no such file.
std::optional<std::uintmax_t> size_of(const std::filesystem::path& path) {
  std::error_code error;
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  if (error) return std::nullopt;
  return size;
}

// The checks of the verifying modes that need only the files (SqliteStore::open()), made before
// SQLite opens anything. Returns whether the database file exists.
bool check_files(const std::filesystem::path& path, OpenMode mode) {
  const std::string name = path.string();
  const std::filesystem::path log = name + "-wal";
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(path, error);
  if (status.type() == std::filesystem::file_type::not_found) {
    if (const std::optional<std::uintmax_t> log_size = size_of(log)) {
      throw StateError(fmt::format(
          "cannot open store {}: the database file is missing but its write-ahead log {} ({} "
          "bytes) is present, so the database was moved or deleted without it; restore the "
          "database, or move the log away to start a new session",
          name, log.string(), *log_size));
    }
    if (mode == OpenMode::kVerifyExisting) {
      throw StateError(fmt::format("cannot open store {}: no such file", name));
    }
    return false;
  }
  if (error) throw StateError(fmt::format("cannot open store {}: {}", name, error.message()));
  if (!std::filesystem::is_regular_file(status)) {
    throw StateError(fmt::format("cannot open store {}: not a regular file", name));
  }
  const std::optional<std::uintmax_t> size = size_of(path);
  if (!size) throw StateError(fmt::format("cannot open store {}: cannot read its size", name));
  if (*size == 0) {
    const std::optional<std::uintmax_t> log_size = size_of(log);
    throw StateError(fmt::format(
        "cannot open store {}: the file is empty (0 bytes{}), so it holds no session although "
        "one was expected (this store writes a new database's header before its first commit); "
        "move it away to start a new session",
        name, log_size ? fmt::format(", beside a write-ahead log of {} bytes", *log_size) : ""));
  }
  std::string header(kSqliteHeaderBytes, '\0');
  std::ifstream in(path, std::ios::binary);
  in.read(header.data(), static_cast<std::streamsize>(header.size()));
  if (!in && !in.eof()) throw StateError(fmt::format("cannot open store {}: cannot read it", name));
  header.resize(static_cast<std::size_t>(in.gcount()));
  if (header.size() < kSqliteHeaderBytes || !header.starts_with(kSqliteMagic)) {
    throw StateError(fmt::format(
        "cannot open store {}: file is not a database ({} bytes beginning \"{}\", not an SQLite "
        "header)",
        name, *size, preview(header)));
  }
  return true;
}

}  // namespace

// A statement for one execution: the cached one for its SQL when free, otherwise a fresh one
// (cached when there is room). Resets it and clears its bindings when done.
class SqliteStore::Lease {
 public:
  Lease(SqliteStore& store, std::string_view sql) : store_(store) {
    const auto found = store.cache_.find(sql);
    if (found != store.cache_.end() && !found->second.in_use) {
      cached_ = &found->second;
    } else if (found == store.cache_.end() && make_room()) {
      StatementPtr fresh = store.prepare(sql);
      cached_ =
          &store.cache_.emplace(std::string(sql), CachedStatement{std::move(fresh)}).first->second;
    } else {
      own_ = store.prepare(sql);
    }
    if (cached_ != nullptr) cached_->in_use = true;
  }

  ~Lease() {
    sqlite3_stmt* used = get();
    sqlite3_reset(used);
    sqlite3_clear_bindings(used);
    if (cached_ != nullptr) cached_->in_use = false;
  }

  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  sqlite3_stmt* get() const { return cached_ != nullptr ? cached_->statement.get() : own_.get(); }

 private:
  // Evicts one idle statement when the cache is full; false when every one is in use.
  bool make_room() {
    auto& cache = store_.cache_;
    if (cache.size() < kMaxCachedStatements) return true;
    for (auto it = cache.begin(); it != cache.end(); ++it) {
      if (!it->second.in_use) {
        cache.erase(it);
        return true;
      }
    }
    return false;
  }

  SqliteStore& store_;
  CachedStatement* cached_ = nullptr;
  StatementPtr own_;
};

void SqliteStore::StatementDeleter::operator()(sqlite3_stmt* statement) const {
  sqlite3_finalize(statement);
}

std::unique_ptr<SqliteStore> SqliteStore::open(const std::filesystem::path& path, Options options) {
  const std::string name = path.string();
  const bool verify = options.mode != OpenMode::kOpenOrCreate;
  // A verifying open lets SQLite create the file only when the check found none: a file that
  // vanished after the check is an error, not a new database.
  const bool exists = verify && check_files(path, options.mode);
  const int create = verify && exists ? 0 : SQLITE_OPEN_CREATE;
  sqlite3* db = nullptr;
  const int code = sqlite3_open_v2(name.c_str(), &db,
                                   SQLITE_OPEN_READWRITE | create | SQLITE_OPEN_NOMUTEX, nullptr);
  if (code != SQLITE_OK) {
    const std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
    sqlite3_close_v2(db);
    throw StateError(fmt::format("cannot open store {}: {}", name, message));
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(db, name));
  if (verify && exists) store->verify_contents(options.busy_timeout);
  try {
    store->configure(options, /*in_memory=*/false);
  } catch (const StateError& error) {
    throw StateError(fmt::format("cannot open store {}: {}", name, error.what()));
  }
  return store;
}

std::unique_ptr<SqliteStore> SqliteStore::open_in_memory() {
  sqlite3* db = nullptr;
  const int code =
      sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (code != SQLITE_OK) {
    sqlite3_close_v2(db);
    throw StateError(fmt::format("cannot open an in-memory store: {}", sqlite3_errstr(code)));
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(db, ":memory:"));
  store->configure(Options{}, /*in_memory=*/true);
  return store;
}

SqliteStore::SqliteStore(sqlite3* db, std::string name) : db_(db), name_(std::move(name)) {}

SqliteStore::~SqliteStore() {
  cache_.clear();
  sqlite3_close_v2(db_);
}

void SqliteStore::configure(Options options, bool in_memory) {
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, static_cast<int>(options.busy_timeout.count()));
  if (!in_memory) {
    std::string mode;
    query("PRAGMA journal_mode = WAL", {}, [&](const Row& row) { mode = row.get_text(0); });
    if (mode != "wal") {
      throw StateError(fmt::format("cannot switch to WAL mode: journal_mode is {}", mode));
    }
  }
  execute_script(options.durability == Durability::kFull ? "PRAGMA synchronous = FULL"
                                                         : "PRAGMA synchronous = NORMAL");
  execute_script("PRAGMA foreign_keys = ON");
  execute_script(kCreateMigrationsTable);
}

void SqliteStore::verify_contents(std::chrono::milliseconds busy_timeout) {
  // Until the database passes, closing this connection must neither checkpoint the write-ahead
  // log into the file nor delete the log: a refused database stays as it was found.
  sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, static_cast<int>(busy_timeout.count()));
  // quick_check answers "ok", or rows of problems (one row may hold several lines, after a
  // "*** in database main ***" heading); on some damage it also fails after its rows.
  constexpr std::string_view kQuickCheck = "PRAGMA quick_check";
  sqlite3_stmt* raw = nullptr;
  int code = sqlite3_prepare_v2(db_, kQuickCheck.data(), length_of(kQuickCheck), &raw, nullptr);
  const StatementPtr statement(raw);
  std::vector<std::string> lines;
  if (code == SQLITE_OK) {
    while ((code = sqlite3_step(statement.get())) == SQLITE_ROW) {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement.get(), 0));
      std::string_view rest = text != nullptr ? text : "";
      while (!rest.empty()) {
        const std::size_t end = std::min(rest.find('\n'), rest.size());
        const std::string_view line = rest.substr(0, end);
        rest.remove_prefix(std::min(end + 1, rest.size()));
        if (!line.empty() && !line.starts_with("*** in database")) lines.emplace_back(line);
      }
    }
  }
  const bool completed = code == SQLITE_DONE;
  if (!completed) lines.emplace_back(sqlite3_errmsg(db_));
  if (!completed || lines.size() != 1 || lines.front() != "ok") {
    const std::size_t quoted = std::min(lines.size(), kMaxProblemsInMessage);
    std::string text = lines.empty() ? "no result" : "";
    for (std::size_t i = 0; i < quoted; ++i) text += (i == 0 ? "" : "; ") + lines[i];
    if (lines.size() > quoted) text += fmt::format("; and {} more", lines.size() - quoted);
    throw StateError(
        fmt::format("cannot open store {}: it fails PRAGMA quick_check: {}", name_, text));
  }
  sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, nullptr);
}

SqliteStore::StatementPtr SqliteStore::prepare(std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  const int code =
      sqlite3_prepare_v3(db_, sql.data(), length_of(sql), SQLITE_PREPARE_PERSISTENT, &raw, &tail);
  if (code != SQLITE_OK) throw_error(code, "cannot prepare", sql);
  StatementPtr statement(raw);
  if (!statement) throw StateError(fmt::format("no SQL statement in \"{}\"", abbreviate(sql)));
  ++prepared_statements_;

  // Whitespace and comments may follow the statement; another statement may not.
  const std::string_view rest(tail, static_cast<std::size_t>(sql.data() + sql.size() - tail));
  if (!rest.empty()) {
    sqlite3_stmt* extra = nullptr;
    const int extra_code =
        sqlite3_prepare_v2(db_, rest.data(), static_cast<int>(rest.size()), &extra, nullptr);
    sqlite3_finalize(extra);
    if (extra_code != SQLITE_OK || extra != nullptr) {
      throw StateError(
          fmt::format("\"{}\" holds more than one statement; execute() and query() "
                      "run one",
                      abbreviate(sql)));
    }
  }
  return statement;
}

int64_t SqliteStore::execute(std::string_view sql, std::span<const Value> params) {
  ensure_transaction_alive(sql);
  Lease lease(*this, sql);
  bind(lease.get(), sql, params);
  const int64_t changes_before = sqlite3_total_changes64(db_);
  int code = SQLITE_ROW;
  while (code == SQLITE_ROW) code = sqlite3_step(lease.get());
  if (code != SQLITE_DONE) throw_error(code, "cannot execute", sql);
  // sqlite3_changes64() keeps the count of the last INSERT, UPDATE or DELETE; a statement of
  // another kind (or one that changed nothing) leaves the total unchanged.
  return sqlite3_total_changes64(db_) != changes_before ? sqlite3_changes64(db_) : 0;
}

void SqliteStore::query(std::string_view sql, std::span<const Value> params,
                        const std::function<void(const Row&)>& on_row) {
  ensure_transaction_alive(sql);
  Lease lease(*this, sql);
  sqlite3_stmt* statement = lease.get();
  bind(statement, sql, params);
  const int columns = sqlite3_column_count(statement);
  std::vector<Value> values(static_cast<std::size_t>(columns));
  std::vector<std::string> names;
  std::vector<std::string_view> name_views;
  int code = SQLITE_OK;
  while ((code = sqlite3_step(statement)) == SQLITE_ROW) {
    if (names.empty() && columns > 0) {
      // Read after the first step: a step may re-prepare the statement after a schema change.
      for (int column = 0; column < columns; ++column) {
        const char* name = sqlite3_column_name(statement, column);
        names.emplace_back(name != nullptr ? name : "");
      }
      name_views.assign(names.begin(), names.end());
    }
    for (int column = 0; column < columns; ++column) {
      read_column(statement, column, values[static_cast<std::size_t>(column)]);
    }
    on_row(Row(values, name_views));
  }
  if (code != SQLITE_DONE) throw_error(code, "cannot query", sql);
}

void SqliteStore::transaction(const std::function<void()>& body) {
  const int depth = transaction_depth_;
  const std::string savepoint = fmt::format("gauntlet_savepoint_{}", depth);
  if (depth == 0) {
    execute("BEGIN IMMEDIATE");
  } else {
    execute("SAVEPOINT " + savepoint);
  }
  ++transaction_depth_;
  const std::size_t deferred_before = after_commit_.size();
  try {
    body();
  } catch (...) {
    --transaction_depth_;
    after_commit_.resize(deferred_before);  // what the undone work deferred goes with it
    // After some errors (I/O, disk full) SQLite has rolled the whole transaction back itself;
    // then there is nothing left to undo here.
    if (!sqlite3_get_autocommit(db_)) {
      const std::string undo = depth == 0 ? std::string("ROLLBACK")
                                          : fmt::format("ROLLBACK TO {0}; RELEASE {0}", savepoint);
      const int code = sqlite3_exec(db_, undo.c_str(), nullptr, nullptr, nullptr);
      // A connection that can neither commit nor roll back is in a state nothing here can
      // reason about; stop, and let the restart reconcile.
      GAUNTLET_CHECK(code == SQLITE_OK, "{} failed on store {}: {}", undo, name_,
                     sqlite3_errmsg(db_));
    }
    throw;
  }
  --transaction_depth_;
  if (sqlite3_get_autocommit(db_)) {
    throw StateError(fmt::format(
        "the transaction on store {} was rolled back by SQLite after an error; nothing of it "
        "was committed",
        name_));
  }
  if (depth > 0) {
    execute("RELEASE " + savepoint);
    return;
  }
  try {
    execute("COMMIT");
  } catch (const StateError&) {
    after_commit_.clear();
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  std::vector<std::function<void()>> actions;
  actions.swap(after_commit_);
  for (const auto& action : actions) action();
}

void SqliteStore::after_commit(std::function<void()> action) {
  if (transaction_depth_ == 0) {
    action();
    return;
  }
  after_commit_.push_back(std::move(action));
  if (deferred_hook_) deferred_hook_();
}

int64_t SqliteStore::last_insert_id() const {
  return sqlite3_last_insert_rowid(db_);
}

void SqliteStore::migrate(std::string_view component, std::span<const Migration> migrations) {
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1) {
      throw StateError(fmt::format(
          "migrations of {} must be numbered 1, 2, 3, ... in order; position {} holds version {}",
          component, i + 1, migrations[i].version));
    }
  }
  const std::string component_text(component);
  std::vector<int> applied;
  query(
      "SELECT version, name, checksum FROM schema_migrations WHERE component = ?1 "
      "ORDER BY version",
      {component_text}, [&](const Row& row) {
        const int64_t version = row.get_int(0);
        if (version < 1 || static_cast<std::size_t>(version) > migrations.size()) {
          throw StateError(fmt::format(
              "store {} holds version {} ({}) of {}, newer than the {} migrations this binary "
              "knows; refusing to run an old binary on a newer schema",
              name_, version, row.get_text(1), component, migrations.size()));
        }
        const Migration& known = migrations[static_cast<std::size_t>(version) - 1];
        const std::string recorded = row.get_text(2);
        const std::string expected = migration_checksum(known.sql);
        if (recorded != expected) {
          throw StateError(fmt::format(
              "migration {} of {} ({}) was edited after it was applied to store {}: checksum "
              "{} in the store, {} in this binary",
              version, component, known.name, name_, recorded, expected));
        }
        applied.push_back(static_cast<int>(version));
      });
  for (const Migration& migration : migrations) {
    if (std::find(applied.begin(), applied.end(), migration.version) == applied.end()) {
      apply_migration(component, migration);
    }
  }
}

void SqliteStore::apply_migration(std::string_view component, const Migration& migration) {
  const std::string component_text(component);
  transaction([&] {
    // Another connection may have applied it between our read and our write lock.
    bool already_applied = false;
    query("SELECT 1 FROM schema_migrations WHERE component = ?1 AND version = ?2",
          {component_text, int64_t{migration.version}},
          [&](const Row&) { already_applied = true; });
    if (already_applied) return;
    try {
      execute_script(migration.sql);
    } catch (const StateError& error) {
      throw StateError(fmt::format("migration {} of {} ({}) failed: {}", migration.version,
                                   component, migration.name, error.what()));
    }
    execute(kRecordMigration, {component_text, int64_t{migration.version},
                               std::string(migration.name), migration_checksum(migration.sql)});
  });
}

int SqliteStore::schema_version(std::string_view component) {
  int64_t version = 0;
  query("SELECT coalesce(max(version), 0) FROM schema_migrations WHERE component = ?1",
        {std::string(component)}, [&](const Row& row) { version = row.get_int(0); });
  return static_cast<int>(version);
}

std::string SqliteStore::integrity_check() {
  std::string result;
  query("PRAGMA integrity_check", {}, [&](const Row& row) {
    if (!result.empty()) result += '\n';
    result += row.get_text(0);
  });
  return result;
}

void SqliteStore::execute_script(std::string_view script) {
  ensure_transaction_alive(script);
  const char* cursor = script.data();
  const char* const end = script.data() + script.size();
  while (cursor < end) {
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    const std::string_view rest(cursor, static_cast<std::size_t>(end - cursor));
    const int code = sqlite3_prepare_v2(db_, rest.data(), length_of(rest), &raw, &tail);
    if (code != SQLITE_OK) throw_error(code, "cannot prepare", rest);
    const StatementPtr statement(raw);
    if (!statement) break;  // only whitespace and comments remain
    ++prepared_statements_;
    int step = SQLITE_ROW;
    while (step == SQLITE_ROW) step = sqlite3_step(statement.get());
    if (step != SQLITE_DONE) throw_error(step, "cannot execute", sqlite3_sql(statement.get()));
    cursor = tail;
  }
}

void SqliteStore::ensure_transaction_alive(std::string_view sql) const {
  if (transaction_depth_ > 0 && sqlite3_get_autocommit(db_)) {
    throw StateError(fmt::format(
        "cannot run \"{}\": the enclosing transaction on store {} was rolled back by SQLite "
        "after an error",
        abbreviate(sql), name_));
  }
}

void SqliteStore::throw_error(int code, std::string_view what, std::string_view sql) const {
  std::string message =
      fmt::format("{} \"{}\" on store {}: {}", what, abbreviate(sql), name_, sqlite3_errmsg(db_));
  if ((code & 0xff) == SQLITE_CONSTRAINT) throw ConstraintError(std::move(message));
  throw StateError(std::move(message));
}

}  // namespace gauntlet::store
