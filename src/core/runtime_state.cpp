#include "core/runtime_state.hpp"

#include <fmt/format.h>

#include <array>

#include "core/exceptions.hpp"

namespace gauntlet {

namespace {

constexpr std::string_view kComponent = "runtime_state";

constexpr std::array<store::Migration, 1> kMigrations = {{
    {1, "create runtime_state", R"sql(
CREATE TABLE runtime_state (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL  -- milliseconds since the epoch, UTC
))sql"},
}};

constexpr std::string_view kTrue = "true";
constexpr std::string_view kFalse = "false";

// The smallest string greater than every string that starts with `prefix` (byte order), or
// nullopt when there is none (an empty prefix, or one of only 0xff bytes).
std::optional<std::string> prefix_upper_bound(std::string_view prefix) {
  std::string bound(prefix);
  while (!bound.empty() && static_cast<unsigned char>(bound.back()) == 0xff) bound.pop_back();
  if (bound.empty()) return std::nullopt;
  bound.back() = static_cast<char>(static_cast<unsigned char>(bound.back()) + 1);
  return bound;
}

}  // namespace

RuntimeState::RuntimeState(store::Store& store, const Clock& clock) : store_(store), clock_(clock) {
  store_.migrate(kComponent, kMigrations);
}

std::optional<std::string> RuntimeState::get(std::string_view key) const {
  std::optional<std::string> value;
  store_.query("SELECT value FROM runtime_state WHERE key = ?1", {std::string(key)},
               [&](const store::Row& row) { value = row.get_text(0); });
  return value;
}

void RuntimeState::set(std::string_view key, std::string_view value) {
  store_.transaction([&] {
    store_.execute(
        "INSERT INTO runtime_state (key, value, updated_at) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        {std::string(key), std::string(value), int64_t{clock_.now_ms()}});
  });
}

bool RuntimeState::get_bool(std::string_view key, bool fallback) const {
  const std::optional<std::string> value = get(key);
  if (!value) return fallback;
  if (*value == kTrue) return true;
  if (*value == kFalse) return false;
  throw StateError(
      fmt::format("runtime state {} holds \"{}\", not a boolean (true or false)", key, *value));
}

void RuntimeState::set_bool(std::string_view key, bool value) {
  set(key, value ? kTrue : kFalse);
}

bool RuntimeState::erase(std::string_view key) {
  int64_t erased = 0;
  store_.transaction([&] {
    erased = store_.execute("DELETE FROM runtime_state WHERE key = ?1", {std::string(key)});
  });
  return erased > 0;
}

std::vector<std::pair<std::string, std::string>> RuntimeState::list(std::string_view prefix) const {
  std::vector<std::pair<std::string, std::string>> entries;
  const auto on_row = [&](const store::Row& row) {
    entries.emplace_back(row.get_text(0), row.get_text(1));
  };
  if (const std::optional<std::string> upper = prefix_upper_bound(prefix)) {
    store_.query("SELECT key, value FROM runtime_state WHERE key >= ?1 AND key < ?2 ORDER BY key",
                 {std::string(prefix), *upper}, on_row);
  } else {
    store_.query("SELECT key, value FROM runtime_state WHERE key >= ?1 ORDER BY key",
                 {std::string(prefix)}, on_row);
  }
  return entries;
}

std::optional<TimestampMs> RuntimeState::updated_at(std::string_view key) const {
  std::optional<TimestampMs> time;
  store_.query("SELECT updated_at FROM runtime_state WHERE key = ?1", {std::string(key)},
               [&](const store::Row& row) { time = row.get_int(0); });
  return time;
}

}  // namespace gauntlet
