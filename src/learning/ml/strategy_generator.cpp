#include "learning/ml/strategy_generator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include "core/check.hpp"
#include "core/config_problems.hpp"
#include "core/exceptions.hpp"

namespace gauntlet::learning {
namespace {

using nlohmann::json;
using strategies::FamilyInfo;
using strategies::Parameters;
using strategies::ParameterSpec;
using strategies::StrategyDescriptor;

// --- numbers ----------------------------------------------------------------------------------

// The canonical text of a parameter value (see canonical_params_json).
std::string canonical_number(double value) {
  GAUNTLET_CHECK(std::isfinite(value), "parameter value must be finite, was {}", value);
  if (value == 0) return "0";  // -0 too
  // The shortest fixed notation that reads back to the same double; integral values have no
  // decimal point. Any finite double fits in 400 characters this way.
  std::array<char, 400> buffer{};
  const auto printed =
      std::to_chars(buffer.data(), buffer.data() + buffer.size(), value, std::chars_format::fixed);
  GAUNTLET_CHECK(printed.ec == std::errc{}, "cannot print parameter value {}", value);
  return {buffer.data(), printed.ptr};
}

// Returns k when value = origin + k x step, up to rounding noise; nullopt off the grid or below
// the origin.
std::optional<std::uint64_t> grid_index(double value, double origin, double step) {
  const double k = (value - origin) / step;
  const double nearest = std::round(k);
  if (nearest < 0 || std::abs(k - nearest) > 1e-9 * std::max(1.0, std::abs(k))) {
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(nearest);
}

// The k-th grid value of the range, rounded to 12 significant digits so that binary noise
// (0.1 + 2 x 0.1) does not reach the canonical text, and kept within the range.
double grid_value(const ParameterRange& range, std::uint64_t k) {
  const double raw = range.minimum + static_cast<double>(k) * range.step;
  std::array<char, 64> buffer{};
  const auto printed = std::to_chars(buffer.data(), buffer.data() + buffer.size(), raw,
                                     std::chars_format::general, 12);
  double value = raw;
  if (printed.ec == std::errc{}) std::from_chars(buffer.data(), printed.ptr, value);
  return std::clamp(value, range.minimum, range.maximum);
}

// --- the permutation of a family's grid -------------------------------------------------------

// The splitmix64 finaliser: a bijective mix of 64 bits.
std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t fnv1a64(std::string_view text) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char byte : text) {
    hash ^= static_cast<unsigned char>(byte);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

// A keyed pseudo-random permutation of [0, size): a balanced 4-round Feistel network over the
// smallest even bit width that covers size (at most 4 x size values), with cycle walking to
// stay inside [0, size). Integer arithmetic only, so it is the same everywhere.
class Permutation {
 public:
  Permutation(std::uint64_t size, std::uint64_t key) : size_(size), key_(key) {
    while (half_bits_ < 32 && (std::uint64_t{1} << (2 * half_bits_)) < size) ++half_bits_;
    mask_ = (std::uint64_t{1} << half_bits_) - 1;
  }

  std::uint64_t operator()(std::uint64_t index) const {
    GAUNTLET_CHECK(index < size_, "permutation index {} outside [0, {})", index, size_);
    std::uint64_t x = encrypt(index);
    while (x >= size_) x = encrypt(x);  // the cycle through `index` returns below size
    return x;
  }

 private:
  std::uint64_t encrypt(std::uint64_t x) const {
    std::uint64_t left = x >> half_bits_;
    std::uint64_t right = x & mask_;
    for (std::uint64_t round = 1; round <= 4; ++round) {
      const std::uint64_t next = left ^ (mix64(key_ ^ mix64(round) ^ right) & mask_);
      left = right;
      right = next;
    }
    return (left << half_bits_) | right;
  }

  std::uint64_t size_;
  std::uint64_t key_;
  int half_bits_ = 1;
  std::uint64_t mask_ = 1;
};

// The permutation key of one family's grid for one asset.
std::uint64_t permutation_key(std::uint64_t seed, Asset asset, std::string_view family) {
  return mix64(seed ^ mix64(fnv1a64(to_string(asset)) ^ mix64(fnv1a64(family))));
}

// --- descriptors ------------------------------------------------------------------------------

Parameters default_parameters(const FamilySearch& family) {
  Parameters parameters;
  for (const ParameterRange& range : family.parameters) {
    parameters[range.name] = range.default_value;
  }
  return parameters;
}

// The grid point number `index` of the family: mixed radix over its parameters in name order.
Parameters grid_point(const FamilySearch& family, std::uint64_t index) {
  Parameters parameters;
  for (const ParameterRange& range : family.parameters) {
    parameters[range.name] = grid_value(range, index % range.points);
    index /= range.points;
  }
  return parameters;
}

// What the seen sets hold.
std::string seen_key(std::string_view family, std::string_view params_json) {
  std::string key(family);
  key += '\n';
  key += params_json;
  return key;
}

// --- parsing the file -------------------------------------------------------------------------

using Problems = config::ConfigProblems;

std::string join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}

// A value as the problems show it: scalars as JSON, containers by their kind.
std::string got(const json& value) {
  if (value.is_object()) return "an object";
  if (value.is_array()) return "a list";
  return value.dump();
}

// Keys starting with '_' are comments, at any level.
bool is_comment(std::string_view key) {
  return key.starts_with('_');
}

std::string family_names() {
  std::string names;
  for (const FamilyInfo& info : strategies::families()) {
    if (!names.empty()) names += ", ";
    names += info.name;
  }
  return names;
}

// Parses with nlohmann, recording every key that repeats within its object (nlohmann keeps the
// last one silently).
json parse_json(std::string_view text, std::string_view source, Problems& problems) {
  struct Frame {
    std::string path;
    bool object = false;
    std::set<std::string> keys;
    std::string key;
    std::size_t index = 0;
  };
  std::vector<Frame> stack;
  std::vector<std::string> duplicates;
  const auto child_path = [&stack]() -> std::string {
    if (stack.empty()) return "";
    Frame& parent = stack.back();
    if (parent.object) return join(parent.path, parent.key);
    return fmt::format("{}[{}]", parent.path, parent.index++);
  };
  const json::parser_callback_t callback = [&](int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start: {
        std::string path = child_path();
        stack.push_back({std::move(path), event == json::parse_event_t::object_start, {}, {}, 0});
        break;
      }
      case json::parse_event_t::key: {
        Frame& frame = stack.back();
        frame.key = parsed.get<std::string>();
        if (!frame.keys.insert(frame.key).second) {
          duplicates.push_back(join(frame.path, frame.key));
        }
        break;
      }
      case json::parse_event_t::value:
        if (!stack.empty() && !stack.back().object) ++stack.back().index;
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        stack.pop_back();
        break;
    }
    return true;
  };
  try {
    json root = json::parse(text.begin(), text.end(), callback);
    for (const std::string& path : duplicates) problems.add(path, "duplicate key");
    return root;
  } catch (const json::exception& error) {
    problems.add(std::string(source), fmt::format("invalid JSON: {}", error.what()));
    return {};
  }
}

std::optional<double> number_field(const json& object, std::string_view key,
                                   const std::string& path, Problems& problems) {
  const auto found = object.find(key);
  if (found == object.end()) {
    problems.add(join(path, key), "required");
    return std::nullopt;
  }
  if (!found->is_number()) {
    problems.add(join(path, key), "must be a number", got(*found));
    return std::nullopt;
  }
  return found->get<double>();
}

// One configured parameter range; nullopt (with problems) when it is malformed.
std::optional<ParameterRange> parse_range(const std::string& path, const ParameterSpec& spec,
                                          const json& value, Problems& problems) {
  if (!value.is_object()) {
    problems.add(path, "must be an object {min, max, step}", got(value));
    return std::nullopt;
  }
  for (const auto& [key, unused] : value.items()) {
    if (!is_comment(key) && key != "min" && key != "max" && key != "step") {
      problems.add(join(path, key), "unknown key (expected min, max, step)");
    }
  }
  const auto minimum = number_field(value, "min", path, problems);
  const auto maximum = number_field(value, "max", path, problems);
  const auto step = number_field(value, "step", path, problems);
  if (!minimum || !maximum || !step) return std::nullopt;

  bool valid = true;
  const auto fail = [&](std::string_view key, const std::string& problem, double found) {
    problems.add(join(path, key), problem, canonical_number(found));
    valid = false;
  };
  if (*step <= 0) {
    fail("step", "must be positive", *step);
  } else if (const auto k = grid_index(*step, 0, spec.step); !k || *k < 1) {
    fail("step", fmt::format("must be a multiple of the family's step {}", spec.step), *step);
  }
  if (*minimum > *maximum) {
    problems.add(
        path, "min must be <= max",
        fmt::format("min {}, max {}", canonical_number(*minimum), canonical_number(*maximum)));
    valid = false;
  }
  if (*minimum < spec.minimum || *minimum > spec.maximum) {
    fail(
        "min",
        fmt::format("must lie in the family's declared range [{}, {}]", spec.minimum, spec.maximum),
        *minimum);
  } else if (!grid_index(*minimum, spec.minimum, spec.step)) {
    fail("min", fmt::format("must lie on the family's grid {} + k x {}", spec.minimum, spec.step),
         *minimum);
  }
  if (*maximum < spec.minimum || *maximum > spec.maximum) {
    fail(
        "max",
        fmt::format("must lie in the family's declared range [{}, {}]", spec.minimum, spec.maximum),
        *maximum);
  }
  if (!valid) return std::nullopt;

  ParameterRange range;
  range.name = spec.name;
  range.minimum = *minimum;
  range.maximum = *maximum;
  range.step = *step;
  range.points = static_cast<std::uint64_t>(std::floor((*maximum - *minimum) / *step + 1e-9)) + 1;
  range.default_value = spec.default_value;
  return range;
}

// Returns whether the family's defaults are one of its grid points (as canonical text).
bool defaults_on_grid(const FamilySearch& family) {
  for (const ParameterRange& range : family.parameters) {
    const auto k = grid_index(range.default_value, range.minimum, range.step);
    if (!k || *k >= range.points ||
        canonical_number(grid_value(range, *k)) != canonical_number(range.default_value)) {
      return false;
    }
  }
  return true;
}

// One entry of "families"; nullopt (with problems) when it is malformed.
std::optional<FamilySearch> parse_family(const std::string& path, const FamilyInfo& info,
                                         const json& value, Problems& problems) {
  if (!value.is_object()) {
    problems.add(path, "must be an object {complexity, parameters}", got(value));
    return std::nullopt;
  }
  bool valid = true;
  for (const auto& [key, unused] : value.items()) {
    if (!is_comment(key) && key != "complexity" && key != "parameters") {
      problems.add(join(path, key), "unknown key (expected complexity, parameters)");
      valid = false;
    }
  }
  FamilySearch family;
  family.name = info.name;
  const auto complexity = value.find("complexity");
  if (complexity == value.end()) {
    problems.add(join(path, "complexity"), "required");
    valid = false;
  } else if (!complexity->is_number_integer() || complexity->get<std::int64_t>() < 1 ||
             complexity->get<std::int64_t>() > std::numeric_limits<int>::max()) {
    problems.add(join(path, "complexity"), "must be a positive integer", got(*complexity));
    valid = false;
  } else {
    family.complexity = complexity->get<int>();
  }

  std::map<std::string, ParameterRange> configured;
  const auto parameters = value.find("parameters");
  if (parameters != value.end() && !parameters->is_object()) {
    problems.add(join(path, "parameters"), "must be an object of parameter ranges",
                 got(*parameters));
    valid = false;
  } else if (parameters != value.end()) {
    std::string known;
    for (const ParameterSpec& spec : info.parameters) {
      known += known.empty() ? spec.name : ", " + spec.name;
    }
    for (const auto& item : parameters->items()) {
      const std::string& name = item.key();
      if (is_comment(name)) continue;
      const std::string range_path = join(join(path, "parameters"), name);
      const auto spec = std::find_if(info.parameters.begin(), info.parameters.end(),
                                     [&name](const ParameterSpec& p) { return p.name == name; });
      if (spec == info.parameters.end()) {
        problems.add(range_path,
                     fmt::format("unknown parameter of {} (known: {})", info.name, known));
        valid = false;
        continue;
      }
      auto range = parse_range(range_path, *spec, item.value(), problems);
      if (!range) {
        valid = false;
        continue;
      }
      configured.emplace(name, std::move(*range));
    }
  }
  if (!valid) return std::nullopt;

  // Every parameter of the family, sorted by name; those left out stay at their default.
  for (const ParameterSpec& spec : info.parameters) {
    if (const auto found = configured.find(spec.name); found != configured.end()) {
      family.parameters.push_back(found->second);
    } else {
      family.parameters.push_back(
          {spec.name, spec.default_value, spec.default_value, spec.step, 1, spec.default_value});
    }
  }
  std::sort(family.parameters.begin(), family.parameters.end(),
            [](const ParameterRange& a, const ParameterRange& b) { return a.name < b.name; });
  family.grid_points = 1;
  for (const ParameterRange& range : family.parameters) {
    if (family.grid_points > std::numeric_limits<std::uint64_t>::max() / range.points) {
      problems.add(join(path, "parameters"), "too many grid points (more than 2^64)");
      return std::nullopt;
    }
    family.grid_points *= range.points;
  }
  family.default_on_grid = defaults_on_grid(family);
  return family;
}

// The index of `name` in strategies::families(), or nullopt.
std::optional<std::size_t> declared_index(std::string_view name) {
  const auto& declared = strategies::families();
  for (std::size_t i = 0; i < declared.size(); ++i) {
    if (declared[i].name == name) return i;
  }
  return std::nullopt;
}

void parse_families(const json& families, SearchSpace& space, Problems& problems) {
  if (!families.is_object()) {
    problems.add("families", "must be an object keyed by family name", got(families));
    return;
  }
  std::vector<std::pair<std::size_t, FamilySearch>> parsed;  // with their declared index
  for (const auto& [name, value] : families.items()) {
    if (is_comment(name)) continue;
    const std::string path = join("families", name);
    const auto index = declared_index(name);
    if (!index) {
      problems.add(path, fmt::format("unknown family (known: {})", family_names()));
      continue;
    }
    auto family = parse_family(path, strategies::families()[*index], value, problems);
    if (family) parsed.emplace_back(*index, std::move(*family));
  }
  // Simple to complex: by complexity, then in the declared order.
  std::sort(parsed.begin(), parsed.end(), [](const auto& a, const auto& b) {
    return std::pair(a.second.complexity, a.first) < std::pair(b.second.complexity, b.first);
  });
  for (auto& entry : parsed) space.families.push_back(std::move(entry.second));
}

void parse_assets(const json& assets, const json& families, SearchSpace& space,
                  Problems& problems) {
  if (!assets.is_object()) {
    problems.add("assets", "must be an object keyed by asset", got(assets));
    return;
  }
  for (const auto& [name, list] : assets.items()) {
    if (is_comment(name)) continue;
    const std::string path = join("assets", name);
    const auto asset = asset_from_string(name);
    if (!asset) {
      problems.add(path, "unknown asset (known: spot, perp, forex, options)");
      continue;
    }
    if (!list.is_array()) {
      problems.add(path, "must be a list of family names", got(list));
      continue;
    }
    std::vector<std::size_t> enabled;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string item_path = fmt::format("{}[{}]", path, i);
      const json& item = list[i];
      if (!item.is_string()) {
        problems.add(item_path, "must be a family name", got(item));
        continue;
      }
      const std::string family = item.get<std::string>();
      const auto found =
          std::find_if(space.families.begin(), space.families.end(),
                       [&family](const FamilySearch& f) { return f.name == family; });
      if (found == space.families.end()) {
        if (!declared_index(family)) {
          problems.add(item_path, fmt::format("unknown family (known: {})", family_names()),
                       item.dump());
        } else if (!families.is_object() || !families.contains(family)) {
          problems.add(item_path, "family has no entry in families", item.dump());
        }  // else its entry in families is malformed, which is reported there
        continue;
      }
      const auto index = static_cast<std::size_t>(found - space.families.begin());
      if (std::find(enabled.begin(), enabled.end(), index) != enabled.end()) {
        problems.add(item_path, "duplicate family", item.dump());
        continue;
      }
      enabled.push_back(index);
    }
    std::sort(enabled.begin(), enabled.end());  // families are sorted simple to complex
    space.enabled[*asset] = std::move(enabled);
  }
}

SearchSpace parse_space(const json& root, Problems& problems) {
  SearchSpace space;
  if (!root.is_object()) {
    problems.add("(root)", "must be an object", got(root));
    return space;
  }
  for (const auto& [key, unused] : root.items()) {
    if (!is_comment(key) && key != "seed" && key != "defaults_first" && key != "families" &&
        key != "assets") {
      problems.add(key, "unknown key (expected seed, defaults_first, families, assets)");
    }
  }
  if (const auto seed = root.find("seed"); seed == root.end()) {
    problems.add("seed", "required");
  } else if (!seed->is_number_unsigned()) {  // nlohmann reads every integer >= 0 as unsigned
    problems.add("seed", "must be an integer in [0, 2^64)", got(*seed));
  } else {
    space.seed = seed->get<std::uint64_t>();
  }
  if (const auto first = root.find("defaults_first"); first != root.end()) {
    if (!first->is_boolean()) {
      problems.add("defaults_first", "must be true or false", got(*first));
    } else {
      space.defaults_first = first->get<bool>();
    }
  }
  const auto families = root.find("families");
  if (families == root.end()) {
    problems.add("families", "required");
  } else {
    parse_families(*families, space, problems);
  }
  if (const auto assets = root.find("assets"); assets == root.end()) {
    problems.add("assets", "required");
  } else {
    parse_assets(*assets, families == root.end() ? json() : *families, space, problems);
  }
  return space;
}

}  // namespace

std::string canonical_params_json(const Parameters& parameters) {
  std::string text = "{";
  for (const auto& [name, value] : parameters) {
    if (text.size() > 1) text += ',';
    text += json(name).dump();
    text += ':';
    text += canonical_number(value);
  }
  text += '}';
  return text;
}

std::optional<Parameters> parse_params_json(std::string_view text) {
  const json parsed = json::parse(text.begin(), text.end(), nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return std::nullopt;
  Parameters parameters;
  for (const auto& [name, value] : parsed.items()) {
    if (!value.is_number()) return std::nullopt;
    parameters[name] = value.get<double>();
  }
  return parameters;
}

namespace {

// The seen-set key of a descriptor from outside: its params_json canonicalised when it parses.
std::string outside_key(const StrategyDescriptor& descriptor) {
  if (const auto parameters = parse_params_json(descriptor.params_json)) {
    return seen_key(descriptor.family, canonical_params_json(*parameters));
  }
  return seen_key(descriptor.family, descriptor.params_json);
}

}  // namespace

StrategyGenerator StrategyGenerator::from_file(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw ConfigError({fmt::format("{}: cannot open the search space file", path.string())});
  }
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) {
    throw ConfigError({fmt::format("{}: cannot read the search space file", path.string())});
  }
  return from_json(text.str(), path.string());
}

StrategyGenerator StrategyGenerator::from_json(std::string_view text, std::string_view source) {
  Problems problems;
  const json root = parse_json(text, source, problems);
  if (!problems.empty()) throw ConfigError(std::move(problems.list()));
  SearchSpace space = parse_space(root, problems);
  if (!problems.empty()) throw ConfigError(std::move(problems.list()));
  return StrategyGenerator(std::move(space));
}

std::optional<StrategyDescriptor> StrategyGenerator::advance(Asset asset, Cursor& cursor) const {
  const auto enabled = space_.enabled.find(asset);
  if (cursor.exhausted || enabled == space_.enabled.end() || enabled->second.empty()) {
    cursor.exhausted = true;
    return std::nullopt;
  }
  const std::vector<std::size_t>& indices = enabled->second;
  const auto describe = [asset](const FamilySearch& family, const Parameters& parameters) {
    return StrategyDescriptor{family.name, asset, canonical_params_json(parameters)};
  };
  if (space_.defaults_first && cursor.next_default < indices.size()) {
    const FamilySearch& family = space_.families[indices[cursor.next_default++]];
    return describe(family, default_parameters(family));
  }
  while (true) {
    if (cursor.next_family == indices.size()) {
      cursor.next_family = 0;
      ++cursor.round;
    }
    if (cursor.next_family == 0) {
      const bool any_left = std::any_of(indices.begin(), indices.end(), [&](std::size_t i) {
        return space_.families[i].grid_points > cursor.round;
      });
      if (!any_left) {
        cursor.exhausted = true;
        return std::nullopt;
      }
    }
    const FamilySearch& family = space_.families[indices[cursor.next_family++]];
    if (family.grid_points <= cursor.round) continue;
    const Permutation order(family.grid_points, permutation_key(space_.seed, asset, family.name));
    return describe(family, grid_point(family, order(cursor.round)));
  }
}

std::optional<StrategyDescriptor> StrategyGenerator::generate(Asset asset) {
  AssetState& state = states_[asset];
  while (auto candidate = advance(asset, state.cursor)) {
    if (state.seen.insert(seen_key(candidate->family, candidate->params_json)).second) {
      return candidate;
    }
  }
  return std::nullopt;
}

void StrategyGenerator::mark_emitted(const StrategyDescriptor& descriptor) {
  states_[descriptor.asset].seen.insert(outside_key(descriptor));
}

bool StrategyGenerator::seen(const StrategyDescriptor& descriptor) const {
  const auto state = states_.find(descriptor.asset);
  return state != states_.end() && state->second.seen.contains(outside_key(descriptor));
}

std::size_t StrategyGenerator::space_size(Asset asset) const {
  const auto enabled = space_.enabled.find(asset);
  if (enabled == space_.enabled.end()) return 0;
  std::uint64_t size = 0;
  for (const std::size_t index : enabled->second) {
    const FamilySearch& family = space_.families[index];
    size += family.grid_points;
    if (space_.defaults_first && !family.default_on_grid) ++size;
  }
  return static_cast<std::size_t>(size);
}

std::vector<std::string> StrategyGenerator::enabled_families(Asset asset) const {
  std::vector<std::string> names;
  const auto enabled = space_.enabled.find(asset);
  if (enabled == space_.enabled.end()) return names;
  for (const std::size_t index : enabled->second) names.push_back(space_.families[index].name);
  return names;
}

}  // namespace gauntlet::learning
