// File: learning/ml/strategy_generator.hpp
//
// StrategyGenerator: the rule-based candidate generator (seed 001 §7.3). It emits parameterized
// strategy descriptors per asset, simple to complex, over the search space of
// config/ml_search.json; the exploration_manager registers them as candidates. It never trades
// and never touches the registry: the runtime marks what the registry already holds.
//
// The search space (see config/ml_search.json for the format): per family a complexity rank
// and, per parameter, a grid minimum + k x step <= maximum that lies inside the family's
// declared ParameterSpec (minimum and maximum within the family's, on the family's grid, step a
// multiple of the family's step). A parameter the file leaves out stays at its default. Per
// asset, the families it enables. Every descriptor carries every parameter of its family as
// canonical JSON (canonical_params_json), so equal parameters give equal registry ids.
//
// The order. For each asset there is one fixed candidate sequence S(asset), a function of the
// parsed file alone (seed included):
//   1. when defaults_first, each enabled family's default parameters, simple to complex;
//   2. rounds r = 0, 1, 2, ...: in each, every enabled family with more than r grid points,
//      simple to complex, offers its grid point number pi_f(r), where pi_f is a pseudo-random
//      permutation of the family's grid indices keyed by (seed, asset name, family name);
//      the index maps to one value per parameter by mixed radix over the parameters in name
//      order. pi_f is a 4-round Feistel network over 64-bit integers with cycle walking, so it
//      is exact, unbiased and the same on every platform (no std distribution is involved).
// "Simple to complex" means by complexity rank, then by the order of strategies::families().
// S(asset) holds every point of the asset's space (space_size() of them); with defaults_first a
// family's default appears twice when it lies on its grid, and the second one is skipped.
//
// generate(asset) walks S(asset) from the asset's cursor and returns the first descriptor not
// yet seen for that asset; seen are the descriptors it emitted and those given to
// mark_emitted(). It returns nullopt once S(asset) is exhausted (then always), so it never emits
// a descriptor twice and every call does at most a bounded walk: the work of all calls together
// is at most |S(asset)| steps.
//
// Determinism: the outputs for an asset are S(asset) with the seen descriptors removed, read in
// order. Precisely: with the same file, the same sequence of generate() and mark_emitted()
// calls gives the same outputs on every platform; assets are independent of one another; and
// marking a descriptor only removes it from what follows (marking one that the cursor has
// passed changes nothing). Hence the restart contract: a generator re-created after a crash,
// given mark_emitted() for every descriptor the registry holds before its first generate(),
// continues exactly where the old one stopped, as long as the file did not change: everything
// the old one passed is seen again, so the new cursor skips to the same place. An output that
// never reached the registry is emitted again. Descriptors the registry holds from elsewhere are
// skipped where S reaches them. A different seed gives a different order of the same space.
//
// Threading: single-threaded; one owner, on the engine loop with the exploration manager.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/interfaces.hpp"
#include "strategies/strategy.hpp"
#include "strategies/strategy_registry.hpp"

namespace gauntlet::learning {

// One parameter's search grid: minimum + k x step for k = 0 .. points - 1 (all <= maximum).
struct ParameterRange {
  std::string name;
  double minimum = 0;
  double maximum = 0;
  double step = 1;
  std::uint64_t points = 1;
  double default_value = 0;  // the family's default, which need not lie on the grid
};

// One family's search space.
struct FamilySearch {
  std::string name;
  int complexity = 1;                      // 1 = simplest
  std::vector<ParameterRange> parameters;  // every parameter of the family, sorted by name
  std::uint64_t grid_points = 1;           // the product of the parameters' points
  bool default_on_grid = false;            // whether the default parameters are a grid point
};

// The parsed config/ml_search.json.
struct SearchSpace {
  std::uint64_t seed = 0;
  bool defaults_first = true;
  std::vector<FamilySearch> families;  // simple to complex
  // Per asset, the indices into `families` it enables, simple to complex; absent = none.
  std::map<Asset, std::vector<std::size_t>> enabled;
};

// Returns `parameters` as canonical JSON: keys in byte order, no whitespace, integral values
// as integers ("9", not "9.0"), others in the shortest fixed notation that reads back to the
// same double ("1.5", "0.25"), -0 as 0. Non-finite values are a broken invariant.
std::string canonical_params_json(const strategies::Parameters& parameters);
// Parses a flat JSON object of numbers; nullopt for anything else.
std::optional<strategies::Parameters> parse_params_json(std::string_view text);

class StrategyGenerator {
 public:
  // Supplies a new descriptor for the asset, or nullopt; the type of
  // strategies::ExplorationManager::Generator.
  using Generator = std::function<std::optional<strategies::StrategyDescriptor>(Asset)>;

  // Reads and parses the file. Throws ConfigError when it cannot be read, is not JSON, or is
  // malformed; each problem is "key.path: problem (got value)".
  static StrategyGenerator from_file(const std::filesystem::path& path);
  // Parses JSON text; `source` names it in syntax errors. Throws ConfigError as from_file().
  static StrategyGenerator from_json(std::string_view text, std::string_view source = "(text)");

  // Returns the asset's next descriptor in simple-to-complex order (see the file comment), or
  // nullopt when its space is exhausted. Every descriptor is accepted by make_strategy().
  std::optional<strategies::StrategyDescriptor> generate(Asset asset);

  // Records `descriptor` as seen for its asset, so that generate() never returns it. Its
  // params_json is canonicalised first when it parses (parse_params_json), so the registry's
  // records match whatever their spacing.
  void mark_emitted(const strategies::StrategyDescriptor& descriptor);
  // Returns whether `descriptor` was emitted or marked.
  bool seen(const strategies::StrategyDescriptor& descriptor) const;

  // The number of distinct descriptors S(asset) holds: per enabled family its grid points,
  // plus one for a default off the grid when defaults_first.
  std::size_t space_size(Asset asset) const;

  const SearchSpace& search_space() const { return space_; }
  // The names of the families `asset` enables, simple to complex.
  std::vector<std::string> enabled_families(Asset asset) const;

  // generate() as an ExplorationManager::Generator. It refers to this object, which must
  // outlive it (and must not be moved while it is in use).
  Generator to_generator() {
    return [this](Asset asset) { return generate(asset); };
  }

 private:
  explicit StrategyGenerator(SearchSpace space) : space_(std::move(space)) {}

  // Where an asset's walk over S(asset) stands.
  struct Cursor {
    std::size_t next_default = 0;  // phase 1: index into the asset's enabled families
    std::uint64_t round = 0;       // phase 2: the round and the index of the next family in it
    std::size_t next_family = 0;
    bool exhausted = false;
  };
  struct AssetState {
    Cursor cursor;
    std::unordered_set<std::string> seen;  // family + '\n' + canonical params_json
  };

  // The next element of S(asset) after the cursor (moving it), or nullopt at the end.
  std::optional<strategies::StrategyDescriptor> advance(Asset asset, Cursor& cursor) const;

  SearchSpace space_;
  std::map<Asset, AssetState> states_;
};

}  // namespace gauntlet::learning
