// File: tests/core/store/crash_schema.hpp
//
// The schema store_crash_writer migrates and the crash test checks: orders, each with exactly
// two fills whose quantities add up to the order's. Three migrations, so that a kill can land
// between two of them.
//
// Threading: constants.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "core/store/store.hpp"

namespace gauntlet::store::test {

inline constexpr std::string_view kCrashComponent = "crash_orders";

inline constexpr std::array<store::Migration, 3> kCrashMigrations = {{
    {1, "create orders", R"sql(
CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  client_order_id TEXT NOT NULL UNIQUE,
  symbol TEXT NOT NULL,
  side TEXT NOT NULL,
  qty INTEGER NOT NULL,
  price INTEGER NOT NULL,
  created_at INTEGER NOT NULL
))sql"},
    {2, "create fills", R"sql(
CREATE TABLE fills (
  id INTEGER PRIMARY KEY,
  order_id INTEGER NOT NULL REFERENCES orders (id),
  qty INTEGER NOT NULL,
  price INTEGER NOT NULL
))sql"},
    {3, "index fills by order", "CREATE INDEX fills_by_order ON fills (order_id)"},
}};

// Lines store_crash_writer writes besides the id of each committed order.
inline constexpr std::string_view kOpeningLine = "opening";  // before it opens the store
inline constexpr std::string_view kReadyLine = "ready";      // before its first order
// Once the schema is at `version`.
inline std::string migrated_line(int version) {
  return "migrated " + std::to_string(version);
}

}  // namespace gauntlet::store::test
