// File: tests/core/store/crash_writer.cpp
//
// store_crash_writer <database>: the victim of the crash test. Opens the store with
// Durability::kFull, migrates the crash schema, then commits orders forever, continuing after
// the highest id in the store: one transaction inserts order n and its two fills, and once the
// commit has returned it writes "n\n" to stdout with write(2), unbuffered. It also writes
// "opening" before opening the store, "migrated <v>" once the schema is at version v, and
// "ready" before the first order. Any error goes to
// stderr with exit status 1; the test expects it to die only by SIGKILL.
//
// Threading: single-threaded.
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <span>
#include <string>
#include <string_view>

#include "core/store/sqlite_store.hpp"
#include "crash_schema.hpp"

namespace {

using gauntlet::store::Durability;
using gauntlet::store::Row;
using gauntlet::store::SqliteStore;

void write_line(std::string_view text) {
  std::string line(text);
  line += '\n';
  std::size_t written = 0;
  while (written < line.size()) {
    const ssize_t count = ::write(STDOUT_FILENO, line.data() + written, line.size() - written);
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) std::_Exit(3);  // the test is gone
    written += static_cast<std::size_t>(count);
  }
}

int run(const char* path) {
  using namespace gauntlet::store::test;
  write_line(kOpeningLine);
  const auto store = SqliteStore::open(path, {.durability = Durability::kFull});
  // One migration at a time, as successive binaries would, so the test can aim a kill at each.
  const std::span<const gauntlet::store::Migration> migrations(kCrashMigrations);
  for (std::size_t version = 1; version <= migrations.size(); ++version) {
    if (store->schema_version(kCrashComponent) < static_cast<int>(version)) {
      store->migrate(kCrashComponent, migrations.first(version));
    }
    write_line(migrated_line(static_cast<int>(version)));
  }
  int64_t next = 1;
  store->query("SELECT coalesce(max(id), 0) + 1 FROM orders", {},
               [&](const Row& row) { next = row.get_int(0); });
  write_line(kReadyLine);
  for (;; ++next) {
    const int64_t qty = 2 + next % 7;
    const int64_t price = 10'000 + next;
    store->transaction([&] {
      store->execute(
          "INSERT INTO orders (client_order_id, symbol, side, qty, price, created_at) "
          "VALUES (?1, 'BTCUSDT', ?2, ?3, ?4, ?5)",
          {"c-" + std::to_string(next), next % 2 == 0 ? "buy" : "sell", qty, price,
           int64_t{1'700'000'000'000} + next});
      const int64_t order_id = store->last_insert_id();
      if (order_id != next) {
        std::fprintf(stderr, "order got id %lld, expected %lld\n", static_cast<long long>(order_id),
                     static_cast<long long>(next));
        std::exit(1);
      }
      const int64_t first = qty / 2;
      store->execute("INSERT INTO fills (order_id, qty, price) VALUES (?1, ?2, ?3)",
                     {order_id, first, price});
      store->execute("INSERT INTO fills (order_id, qty, price) VALUES (?1, ?2, ?3)",
                     {order_id, qty - first, price});
    });
    write_line(std::to_string(next));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: store_crash_writer <database>\n");
    return 2;
  }
  try {
    return run(argv[1]);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "store_crash_writer: %s\n", error.what());
    return 1;
  }
}
