#include "strategies/strategy_registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <initializer_list>
#include <utility>

#include "core/check.hpp"
#include "core/exceptions.hpp"
#include "core/logging.hpp"

namespace gauntlet::strategies {

namespace {

constexpr std::string_view kComponent = "strategy_registry";

constexpr std::array<store::Migration, 1> kMigrations = {{
    {1, "create strategies, strategy_flags, strategy_counters, strategy_transitions", R"sql(
CREATE TABLE strategies (
  id TEXT PRIMARY KEY,          -- <family>-<first 10 hex of params_hash>
  family TEXT NOT NULL,
  asset TEXT NOT NULL,          -- spot, perp, forex, options
  params_json TEXT NOT NULL,
  params_hash TEXT NOT NULL,    -- FNV-1a 64 of asset + family + params_json, 16 hex
  state TEXT NOT NULL,          -- candidate, exploring, validating, promoted, live, retired
  created_at INTEGER NOT NULL,  -- UTC ms
  updated_at INTEGER NOT NULL,  -- UTC ms
  reason TEXT NOT NULL          -- of the last state transition
);
CREATE INDEX strategies_by_asset ON strategies (asset, state);
CREATE TABLE strategy_flags (
  strategy_id TEXT NOT NULL REFERENCES strategies (id),
  flag TEXT NOT NULL,
  PRIMARY KEY (strategy_id, flag)
);
CREATE TABLE strategy_counters (
  strategy_id TEXT NOT NULL REFERENCES strategies (id),
  name TEXT NOT NULL,
  value INTEGER NOT NULL,
  PRIMARY KEY (strategy_id, name)
);
CREATE TABLE strategy_transitions (
  sequence INTEGER PRIMARY KEY, -- the order transitions happened in
  strategy_id TEXT NOT NULL REFERENCES strategies (id),
  kind TEXT NOT NULL,           -- created, state, flag_added, flag_removed
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  flag TEXT NOT NULL,           -- '' unless kind is flag_added or flag_removed
  reason TEXT NOT NULL,
  time INTEGER NOT NULL         -- UTC ms
);
CREATE INDEX strategy_transitions_by_strategy ON strategy_transitions (strategy_id, sequence))sql"},
}};

constexpr std::array<std::string_view, 6> kStateNames = {"candidate", "exploring", "validating",
                                                         "promoted",  "live",      "retired"};
constexpr std::array<std::string_view, 4> kKindNames = {"created", "state", "flag_added",
                                                        "flag_removed"};

// FNV-1a 64 over `parts`, in order, as one byte string.
uint64_t fnv1a64(std::initializer_list<std::string_view> parts) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (std::string_view part : parts) {
    for (char byte : part) {
      hash ^= static_cast<unsigned char>(byte);
      hash *= 0x100000001b3ULL;
    }
  }
  return hash;
}

std::string state_text(StrategyState state) {
  return std::string(to_string(state));
}

StrategyState parse_stored_state(const std::string& value, std::string_view where) {
  const std::optional<StrategyState> state = strategy_state_from_string(value);
  if (!state) {
    throw StateError(fmt::format("strategy_registry: {} holds unknown state \"{}\"", where, value));
  }
  return *state;
}

}  // namespace

std::string_view to_string(StrategyState state) {
  return kStateNames[static_cast<std::size_t>(state)];
}

std::optional<StrategyState> strategy_state_from_string(std::string_view text) {
  for (std::size_t i = 0; i < kStateNames.size(); ++i) {
    if (kStateNames[i] == text) return static_cast<StrategyState>(i);
  }
  return std::nullopt;
}

bool is_legal_transition(StrategyState from, StrategyState to) {
  using S = StrategyState;
  if (from == S::kRetired) return false;
  if (to == S::kRetired) return true;
  switch (from) {
    case S::kCandidate:
      return to == S::kExploring;
    case S::kExploring:
      return to == S::kValidating;
    case S::kValidating:
      return to == S::kPromoted || to == S::kExploring;
    case S::kPromoted:
      return to == S::kLive || to == S::kExploring;  // demoted: explores again
    case S::kLive:
      return to == S::kPromoted || to == S::kExploring;
    case S::kRetired:
      return false;
  }
  return false;
}

std::string_view to_string(TransitionKind kind) {
  return kKindNames[static_cast<std::size_t>(kind)];
}

std::optional<TransitionKind> transition_kind_from_string(std::string_view text) {
  for (std::size_t i = 0; i < kKindNames.size(); ++i) {
    if (kKindNames[i] == text) return static_cast<TransitionKind>(i);
  }
  return std::nullopt;
}

std::string params_hash(const StrategyDescriptor& descriptor) {
  return fmt::format(
      "{:016x}", fnv1a64({to_string(descriptor.asset), descriptor.family, descriptor.params_json}));
}

std::string strategy_id(const StrategyDescriptor& descriptor) {
  return fmt::format("{}-{}", descriptor.family, params_hash(descriptor).substr(0, 10));
}

StrategyRegistry::StrategyRegistry(store::Store& store) : store_(store) {
  store_.migrate(kComponent, kMigrations);
  load();
}

void StrategyRegistry::load() {
  std::map<std::string, StrategyRecord> loaded;
  store_.transaction([&] {
    store_.query(
        "SELECT id, family, asset, params_json, params_hash, state, created_at, updated_at, "
        "reason FROM strategies",
        {}, [&](const store::Row& row) {
          StrategyRecord record;
          record.id = row.get_text(0);
          record.family = row.get_text(1);
          const std::string asset = row.get_text(2);
          const std::optional<Asset> parsed = asset_from_string(asset);
          if (!parsed) {
            throw StateError(
                fmt::format("strategy_registry: strategies[{}].asset holds unknown asset \"{}\"",
                            record.id, asset));
          }
          record.asset = *parsed;
          record.params_json = row.get_text(3);
          record.params_hash = row.get_text(4);
          record.state =
              parse_stored_state(row.get_text(5), fmt::format("strategies[{}].state", record.id));
          record.created_at = row.get_int(6);
          record.updated_at = row.get_int(7);
          record.reason = row.get_text(8);
          std::string id = record.id;
          loaded.emplace(std::move(id), std::move(record));
        });
    store_.query("SELECT strategy_id, flag FROM strategy_flags", {}, [&](const store::Row& row) {
      const std::string id = row.get_text(0);
      const auto found = loaded.find(id);
      if (found == loaded.end()) {
        throw StateError(
            fmt::format("strategy_registry: strategy_flags names unknown strategy \"{}\"", id));
      }
      found->second.flags.insert(row.get_text(1));
    });
    store_.query("SELECT strategy_id, name, value FROM strategy_counters", {},
                 [&](const store::Row& row) {
                   const std::string id = row.get_text(0);
                   const auto found = loaded.find(id);
                   if (found == loaded.end()) {
                     throw StateError(fmt::format(
                         "strategy_registry: strategy_counters names unknown strategy \"{}\"", id));
                   }
                   found->second.counters[row.get_text(1)] = row.get_int(2);
                 });
  });
  records_ = std::move(loaded);
  module_logger(kComponent)->info("strategies loaded count={}", records_.size());
}

StrategyRecord StrategyRegistry::create(const StrategyDescriptor& descriptor, TimestampMs now) {
  GAUNTLET_CHECK(!descriptor.family.empty(), "a strategy needs a family (params {})",
                 descriptor.params_json);
  StrategyRecord record;
  record.id = strategy_id(descriptor);
  record.params_hash = params_hash(descriptor);

  const auto found = records_.find(record.id);
  if (found != records_.end()) {
    const StrategyRecord& existing = found->second;
    if (existing.params_hash != record.params_hash || existing.asset != descriptor.asset ||
        existing.family != descriptor.family || existing.params_json != descriptor.params_json) {
      throw StateError(fmt::format(
          "strategy_registry: id {} already names {} {} {} (hash {}), not {} {} {} (hash {})",
          record.id, to_string(existing.asset), existing.family, existing.params_json,
          existing.params_hash, to_string(descriptor.asset), descriptor.family,
          descriptor.params_json, record.params_hash));
    }
    return existing;
  }

  record.family = descriptor.family;
  record.asset = descriptor.asset;
  record.params_json = descriptor.params_json;
  record.state = StrategyState::kCandidate;
  record.created_at = now;
  record.updated_at = now;
  record.reason = "created";

  store_.transaction([&] {
    store_.execute(
        "INSERT INTO strategies (id, family, asset, params_json, params_hash, state, created_at, "
        "updated_at, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        {record.id, record.family, std::string(to_string(record.asset)), record.params_json,
         record.params_hash, state_text(record.state), record.created_at, record.updated_at,
         record.reason});
    record_transition(
        record.id, {TransitionKind::kCreated, record.state, record.state, "", record.reason, now});
  });
  records_.emplace(record.id, record);
  ++state_version_;
  module_logger(kComponent)
      ->info("strategy created id={} asset={} params={}", record.id, to_string(record.asset),
             record.params_json);
  return record;
}

Decision StrategyRegistry::promote(const std::string& id, const PromotionKey&,
                                   const std::string& reason, TimestampMs now) {
  return change_state(id, StrategyState::kPromoted, reason, now, /*gate=*/true);
}

Decision StrategyRegistry::set_state(const std::string& id, StrategyState state,
                                     const std::string& reason, TimestampMs now) {
  return change_state(id, state, reason, now, /*gate=*/false);
}

Decision StrategyRegistry::change_state(const std::string& id, StrategyState state,
                                        const std::string& reason, TimestampMs now, bool gate) {
  const auto found = records_.find(id);
  if (found == records_.end()) {
    return Decision::deny(fmt::format("unknown_strategy: {}", id));
  }
  StrategyRecord& record = found->second;
  const StrategyState from = record.state;
  if (from == StrategyState::kValidating && state == StrategyState::kPromoted && !gate) {
    return Decision::deny(
        "promotion_gate_only: validating -> promoted goes through the promotion gate");
  }
  if (!is_legal_transition(from, state)) {
    return Decision::deny(
        fmt::format("illegal_transition: {} -> {}", to_string(from), to_string(state)));
  }
  store_.transaction([&] {
    store_.execute("UPDATE strategies SET state = ?2, updated_at = ?3, reason = ?4 WHERE id = ?1",
                   {id, state_text(state), now, reason});
    record_transition(id, {TransitionKind::kState, from, state, "", reason, now});
  });
  record.state = state;
  record.updated_at = now;
  record.reason = reason;
  ++state_version_;
  module_logger(kComponent)
      ->info("strategy state id={} from={} to={} reason=\"{}\"", id, to_string(from),
             to_string(state), reason);
  return Decision::allow();
}

Decision StrategyRegistry::add_flag(const std::string& id, const std::string& flag,
                                    const std::string& reason, TimestampMs now) {
  return change_flag(id, flag, /*add=*/true, reason, now);
}

Decision StrategyRegistry::remove_flag(const std::string& id, const std::string& flag,
                                       const std::string& reason, TimestampMs now) {
  return change_flag(id, flag, /*add=*/false, reason, now);
}

Decision StrategyRegistry::change_flag(const std::string& id, const std::string& flag, bool add,
                                       const std::string& reason, TimestampMs now) {
  GAUNTLET_CHECK(!flag.empty(), "a flag needs a name (strategy {}, reason {})", id, reason);
  const auto found = records_.find(id);
  if (found == records_.end()) {
    return Decision::deny(fmt::format("unknown_strategy: {}", id));
  }
  StrategyRecord& record = found->second;
  if (record.flags.contains(flag) == add) return Decision::allow();  // already as asked
  store_.transaction([&] {
    store_.execute(add ? "INSERT INTO strategy_flags (strategy_id, flag) VALUES (?1, ?2)"
                       : "DELETE FROM strategy_flags WHERE strategy_id = ?1 AND flag = ?2",
                   {id, flag});
    store_.execute("UPDATE strategies SET updated_at = ?2 WHERE id = ?1", {id, now});
    record_transition(id, {add ? TransitionKind::kFlagAdded : TransitionKind::kFlagRemoved,
                           record.state, record.state, flag, reason, now});
  });
  if (add) {
    record.flags.insert(flag);
  } else {
    record.flags.erase(flag);
  }
  record.updated_at = now;
  module_logger(kComponent)
      ->info("strategy flag {} id={} flag={} reason=\"{}\"", add ? "added" : "removed", id, flag,
             reason);
  return Decision::allow();
}

std::optional<int64_t> StrategyRegistry::inc_counter(const std::string& id, const std::string& name,
                                                     int64_t delta, TimestampMs now) {
  GAUNTLET_CHECK(!name.empty(), "a counter needs a name (strategy {})", id);
  const auto found = records_.find(id);
  if (found == records_.end()) return std::nullopt;
  StrategyRecord& record = found->second;
  const auto counter = record.counters.find(name);
  const int64_t current = counter == record.counters.end() ? 0 : counter->second;
  int64_t next = 0;
  GAUNTLET_CHECK(!__builtin_add_overflow(current, delta, &next),
                 "counter {} of strategy {} would overflow: {} + {}", name, id, current, delta);
  store_.transaction([&] {
    store_.execute(
        "INSERT INTO strategy_counters (strategy_id, name, value) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (strategy_id, name) DO UPDATE SET value = excluded.value",
        {id, name, next});
    store_.execute("UPDATE strategies SET updated_at = ?2 WHERE id = ?1", {id, now});
  });
  record.counters[name] = next;
  record.updated_at = now;
  return next;
}

std::optional<StrategyRecord> StrategyRegistry::get(const std::string& id) const {
  const auto found = records_.find(id);
  if (found == records_.end()) return std::nullopt;
  return found->second;
}

std::vector<StrategyRecord> StrategyRegistry::get_for(
    Asset asset, std::optional<StrategyState> state,
    const std::vector<std::string>& with_flags) const {
  std::vector<StrategyRecord> matching;
  for (const auto& [id, record] : records_) {
    if (record.asset != asset) continue;
    if (state && record.state != *state) continue;
    const bool has_all = std::all_of(with_flags.begin(), with_flags.end(),
                                     [&](const auto& flag) { return record.flags.contains(flag); });
    if (has_all) matching.push_back(record);
  }
  std::sort(matching.begin(), matching.end(), [](const auto& a, const auto& b) {
    if (a.created_at != b.created_at) return a.created_at < b.created_at;
    return a.id < b.id;
  });
  return matching;
}

std::vector<Transition> StrategyRegistry::history(const std::string& id) const {
  std::vector<Transition> transitions;
  store_.query(
      "SELECT sequence, kind, from_state, to_state, flag, reason, time FROM strategy_transitions "
      "WHERE strategy_id = ?1 ORDER BY sequence",
      {id}, [&](const store::Row& row) {
        const std::string where = fmt::format("strategy_transitions[{}]", row.get_int(0));
        Transition transition;
        const std::string kind = row.get_text(1);
        const std::optional<TransitionKind> parsed = transition_kind_from_string(kind);
        if (!parsed) {
          throw StateError(
              fmt::format("strategy_registry: {} holds unknown kind \"{}\"", where, kind));
        }
        transition.kind = *parsed;
        transition.from = parse_stored_state(row.get_text(2), where + ".from_state");
        transition.to = parse_stored_state(row.get_text(3), where + ".to_state");
        transition.flag = row.get_text(4);
        transition.reason = row.get_text(5);
        transition.time = row.get_int(6);
        transitions.push_back(std::move(transition));
      });
  return transitions;
}

void StrategyRegistry::record_transition(const std::string& id, const Transition& transition) {
  store_.execute(
      "INSERT INTO strategy_transitions (strategy_id, kind, from_state, to_state, flag, reason, "
      "time) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
      {id, std::string(to_string(transition.kind)), state_text(transition.from),
       state_text(transition.to), transition.flag, transition.reason, transition.time});
}

}  // namespace gauntlet::strategies
