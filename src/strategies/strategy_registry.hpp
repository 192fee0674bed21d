// File: strategies/strategy_registry.hpp
//
// StrategyRegistry: the only owner of the strategies' states, flags and counters (seed 001
// §6.1). It holds no trading or validation logic: exploration_manager, strategy_scheduler and
// the runtime decide, the registry records and answers.
//
// Identity: a StrategyDescriptor (family, asset, params_json) names a strategy. Its
// params_hash is FNV-1a 64 of the bytes to_string(asset) + family + params_json (concatenated
// without separators) as 16 lower-case hex digits, and its id is "<family>-<first 10 hex
// digits of params_hash>", e.g. "ema_cross-3f2a9c01be". create() is idempotent: the same
// descriptor again returns the existing record, whatever its state now.
//
// Lifecycle (StrategyState, stored by its lower-case name):
//   candidate -> exploring -> validating -> promoted -> live
//   validating -> promoted    only through promote(), whose key only validation::PromotionGate
//                             can make: nothing is promoted except through the gate
//   validating -> exploring   (failed validation goes back to exploring)
//   live -> promoted          (live trading disabled)
//   promoted, live -> exploring  (demoted: a monitored breach after promotion)
//   any state but retired -> retired   (retired is terminal)
// set_state() answers with a Decision whose reason is "<code>: <figures>":
//   unknown_strategy     no strategy has the id
//   illegal_transition   "illegal_transition: <from> -> <to>" for any other move, staying in
//                        the same state included
//   promotion_gate_only  set_state(validating -> promoted)
//
// Flags are free-form names ("broker_desync", "paused", "blocked"); the registry attaches no
// meaning to them (the scheduler decides which ones block). Counters are named int64 values
// starting at 0 ("trades", "losses", ...).
//
// History: every change of state and every flag added or removed is one Transition with its
// time and reason, in the order it happened:
//   kind        from        to          flag
//   created     candidate   candidate   ""       create() (reason "created")
//   state       old state   new state   ""       set_state()
//   flag_added  state       state       name     add_flag() (the state at that time, twice)
//   flag_removed state      state       name     remove_flag()
// A flag change is thus a transition of the flag set that leaves the state where it is.
// Counter increments are not history (they would drown it); they move updated_at only.
// StrategyRecord::reason is the reason of the last state transition (creation included).
//
// Persistence: every change is written through to the Store (component "strategy_registry",
// tables strategies, strategy_flags, strategy_counters and strategy_transitions) in one
// transaction before the memory changes, so everything survives a restart. The constructor
// loads strategies, flags and counters; history() reads the transitions from the store on
// demand (they are never needed on the hot path). The registry must be the only writer of its
// tables. A change made inside an enclosing Store::transaction() that later rolls back leaves
// the memory ahead of the store until the next construction, so callers do not nest it in one.
//
// Broken invariants of the caller (an empty family, flag or counter name, a counter that
// would overflow int64) abort through GAUNTLET_CHECK; a store failure throws StateError, a
// stored row that does not parse (unknown asset, state or kind) throws StateError naming it,
// and two different descriptors with the same id (a 40-bit hash prefix collision) throw
// StateError from create().
//
// Threading: single-threaded. A StrategyRegistry lives on the engine loop with its Store and is
// called only from it; it has no locks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/interfaces.hpp"
#include "core/orders.hpp"
#include "core/store/store.hpp"
#include "core/time.hpp"

namespace gauntlet::validation {
class PromotionGate;
}  // namespace gauntlet::validation

namespace gauntlet::strategies {

enum class StrategyState { kCandidate, kExploring, kValidating, kPromoted, kLive, kRetired };

// "candidate", "exploring", "validating", "promoted", "live", "retired".
std::string_view to_string(StrategyState state);
std::optional<StrategyState> strategy_state_from_string(std::string_view text);
// Returns whether the lifecycle allows moving from `from` to `to` (see the file comment).
bool is_legal_transition(StrategyState from, StrategyState to);

// What a history entry records; see the file comment.
enum class TransitionKind { kCreated, kState, kFlagAdded, kFlagRemoved };

// "created", "state", "flag_added", "flag_removed".
std::string_view to_string(TransitionKind kind);
std::optional<TransitionKind> transition_kind_from_string(std::string_view text);

// What names a strategy: its family (e.g. "ema_cross"), its asset domain and its parameters
// as JSON text (hashed byte for byte, so the generator emits it canonically).
struct StrategyDescriptor {
  std::string family;
  Asset asset = Asset::kSpot;
  std::string params_json;

  friend bool operator==(const StrategyDescriptor&, const StrategyDescriptor&) = default;
};

struct StrategyRecord {
  std::string id;
  std::string family;
  Asset asset = Asset::kSpot;
  std::string params_json;
  std::string params_hash;  // 16 hex digits
  StrategyState state = StrategyState::kCandidate;
  std::set<std::string> flags;
  std::map<std::string, int64_t> counters;  // a name never incremented reads as absent (0)
  TimestampMs created_at = 0;
  TimestampMs updated_at = 0;
  std::string reason;  // of the last state transition

  friend bool operator==(const StrategyRecord&, const StrategyRecord&) = default;
};

// One history entry; for a flag change from == to and `flag` names the flag.
struct Transition {
  TransitionKind kind = TransitionKind::kState;
  StrategyState from = StrategyState::kCandidate;
  StrategyState to = StrategyState::kCandidate;
  std::string flag;
  std::string reason;
  TimestampMs time = 0;

  friend bool operator==(const Transition&, const Transition&) = default;
};

// Returns the 16-hex FNV-1a 64 hash that identifies `descriptor`'s parameters.
std::string params_hash(const StrategyDescriptor& descriptor);
// Returns "<family>-<first 10 hex digits of params_hash>".
std::string strategy_id(const StrategyDescriptor& descriptor);

// Only the promotion gate can make one (the passkey pattern): validating -> promoted goes through
// validation::PromotionGate and nothing else (seed 001 §6.1, "only validation/* decides
// promotion").
class PromotionKey {
  friend class validation::PromotionGate;
  PromotionKey() = default;
};

class StrategyRegistry {
 public:
  // Applies the component's migrations to `store` (which must outlive this object), then loads
  // the stored strategies with their flags and counters.
  explicit StrategyRegistry(store::Store& store);

  // Registers the strategy `descriptor` names in state candidate at `now` and records a
  // "created" transition. Returns the existing record, changing nothing, when the descriptor
  // is already registered.
  StrategyRecord create(const StrategyDescriptor& descriptor, TimestampMs now);

  // Moves the strategy to `state` (see the file comment for the legal moves and the codes).
  // validating -> promoted is denied with promotion_gate_only: promote() does it.
  [[nodiscard]] Decision set_state(const std::string& id, StrategyState state,
                                   const std::string& reason, TimestampMs now);

  // validating -> promoted, for the promotion gate only (it alone can make the key).
  [[nodiscard]] Decision promote(const std::string& id, const PromotionKey& key,
                                 const std::string& reason, TimestampMs now);

  // Adds `flag` to the strategy. Denies with unknown_strategy; allows without recording
  // anything when the flag is already set.
  Decision add_flag(const std::string& id, const std::string& flag, const std::string& reason,
                    TimestampMs now);
  // Removes `flag` from the strategy. Denies with unknown_strategy; allows without recording
  // anything when the flag is not set.
  Decision remove_flag(const std::string& id, const std::string& flag, const std::string& reason,
                       TimestampMs now);

  // Adds `delta` (which may be negative) to the counter `name` and returns its new value;
  // nullopt, changing nothing, when no strategy has the id.
  std::optional<int64_t> inc_counter(const std::string& id, const std::string& name, int64_t delta,
                                     TimestampMs now);
  std::optional<int64_t> inc_counter(const std::string& id, const std::string& name,
                                     TimestampMs now) {
    return inc_counter(id, name, 1, now);
  }

  std::optional<StrategyRecord> get(const std::string& id) const;

  // Changes whenever a strategy is created or changes state (not on flags or counters): a
  // caller that keeps a list of the strategies in a state compares it to know when to read
  // the list again.
  uint64_t state_version() const { return state_version_; }

  // Returns the strategies of `asset`, restricted to `state` when given and to those carrying
  // every flag of `with_flags`, sorted by created_at, then id.
  std::vector<StrategyRecord> get_for(Asset asset, std::optional<StrategyState> state = {},
                                      const std::vector<std::string>& with_flags = {}) const;

  // Returns the strategy's transitions in the order they happened; empty for an unknown id.
  std::vector<Transition> history(const std::string& id) const;

  // The number of registered strategies, all states.
  std::size_t size() const { return records_.size(); }

 private:
  Decision change_state(const std::string& id, StrategyState state, const std::string& reason,
                        TimestampMs now, bool gate);
  Decision change_flag(const std::string& id, const std::string& flag, bool add,
                       const std::string& reason, TimestampMs now);
  void load();
  void record_transition(const std::string& id, const Transition& transition);

  store::Store& store_;
  std::map<std::string, StrategyRecord> records_;  // by id
  uint64_t state_version_ = 0;
};

}  // namespace gauntlet::strategies
