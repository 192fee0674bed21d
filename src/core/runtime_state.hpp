// File: core/runtime_state.hpp
//
// RuntimeState: the engine's mutable runtime state, kept apart from config (config holds the
// constants an operator edits in YAML; this holds what changes while the engine runs): live
// toggles per asset ("live.spot"), the feed a session began on, cursors and checkpoints (the
// kill switch is the order router's halt set). Each entry is a text value under a text
// key, persisted in the store (table runtime_state, component "runtime_state") with the time
// of its last change, so it survives a restart.
//
// Reads go to the store every time, with no cache, so a value another connection wrote (an API
// server toggling a flag) is seen at once. Each set() and erase() is one transaction; called
// inside an enclosing Store::transaction() it joins that one.
//
// Threading: the threading of the Store it is given (one thread, the core event loop).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/store/store.hpp"

namespace gauntlet {

class RuntimeState {
 public:
  // Applies the component's migrations to `store`; both must outlive this object.
  RuntimeState(store::Store& store, const Clock& clock);

  // The value under `key`; nullopt when none is set.
  std::optional<std::string> get(std::string_view key) const;
  // Sets `key` to `value`, stamped with the clock's now.
  void set(std::string_view key, std::string_view value);

  // The boolean under `key` ("true" or "false"), `fallback` when none is set. Throws
  // StateError naming the key and the value when the value is not a boolean.
  bool get_bool(std::string_view key, bool fallback) const;
  void set_bool(std::string_view key, bool value);

  // Removes `key`; returns true when it was set.
  bool erase(std::string_view key);

  // Every (key, value) whose key starts with `prefix`, ordered by key; "" lists all.
  std::vector<std::pair<std::string, std::string>> list(std::string_view prefix) const;

  // The time of the last change of `key`; nullopt when none is set.
  std::optional<TimestampMs> updated_at(std::string_view key) const;

 private:
  store::Store& store_;
  const Clock& clock_;
};

}  // namespace gauntlet
