#include "core/config_manager.hpp"

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "core/config_problems.hpp"
#include "core/exceptions.hpp"
#include "core/logging.hpp"
#include "core/symbol.hpp"

namespace gauntlet {
namespace {

using config::Config;
using YAML::Node;
namespace fs = std::filesystem;

constexpr int kMaxExtendsDepth = 8;

// --- problems and paths -----------------------------------------------------------------------

using Problems = config::ConfigProblems;

std::string join_path(std::string_view parent, std::string_view key) {
  return parent.empty() ? std::string(key) : fmt::format("{}.{}", parent, key);
}

// How a node is shown after "got".
std::string describe(const Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return node.Scalar().empty() ? "an empty string" : node.Scalar();
    case YAML::NodeType::Sequence:
      return node.size() == 0 ? "an empty list" : "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "nothing";
  }
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// Reads one YAML mapping: hands out children, remembers which keys are known, and reports
// unknown and duplicate keys when finished.
class MapReader {
 public:
  MapReader(const Node& node, std::string path, Problems& problems)
      : node_(node), path_(std::move(path)), problems_(problems) {
    if (!node_.IsDefined() || node_.IsNull()) return;
    if (!node_.IsMap()) {
      problems_.add(path_.empty() ? "(top level)" : path_, "must be a mapping", describe(node_));
      return;
    }
    valid_ = true;
    std::set<std::string> seen;
    for (const auto& entry : node_) {
      const std::string key = entry.first.Scalar();
      if (!seen.insert(key).second) problems_.add(join_path(path_, key), "duplicate key");
    }
  }

  MapReader(const MapReader&) = delete;
  MapReader& operator=(const MapReader&) = delete;

  // The child under `key` (undefined when absent); marks the key as known.
  Node child(std::string_view key) {
    known_.emplace_back(key);
    if (!valid_) return Node(YAML::NodeType::Undefined);
    return node_[std::string(key)];
  }
  std::string path(std::string_view key) const { return join_path(path_, key); }
  const std::string& path() const { return path_; }
  Problems& problems() { return problems_; }
  bool valid() const { return valid_; }

  // Keys of a mapping whose keys are data (cluster names, venues); all become known.
  std::vector<std::string> keys() {
    std::vector<std::string> result;
    if (!valid_) return result;
    for (const auto& entry : node_) {
      result.push_back(entry.first.Scalar());
      known_.push_back(result.back());
    }
    return result;
  }

  void finish() {
    if (!valid_) return;
    for (const auto& entry : node_) {
      const std::string key = entry.first.Scalar();
      if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
      if (looks_like_secret_key(key)) continue;  // reported by the secret scan
      std::string best;
      std::size_t best_distance = 3;
      for (const std::string& candidate : known_) {
        const std::size_t distance = edit_distance(key, candidate);
        if (distance < best_distance) {
          best_distance = distance;
          best = candidate;
        }
      }
      problems_.add(
          join_path(path_, key),
          best.empty() ? "unknown key" : fmt::format("unknown key (did you mean {}?)", best));
    }
  }

 private:
  const Node node_;
  std::string path_;
  Problems& problems_;
  bool valid_ = false;
  std::vector<std::string> known_;
};

// --- scalar readers: each leaves `out` unchanged when the key is absent or invalid ------------

std::optional<std::string> scalar_at(const Node& node, const std::string& path, Problems& problems,
                                     std::string_view expected) {
  if (!node.IsDefined()) return std::nullopt;
  if (!node.IsScalar()) {
    problems.add(path, fmt::format("must be {}", expected), describe(node));
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<std::string> scalar(MapReader& reader, std::string_view key,
                                  std::string_view expected) {
  return scalar_at(reader.child(key), reader.path(key), reader.problems(), expected);
}

void read_bool(MapReader& reader, std::string_view key, bool& out) {
  const auto text = scalar(reader, key, "true or false");
  if (!text) return;
  if (*text == "true" || *text == "1") {
    out = true;
  } else if (*text == "false" || *text == "0") {
    out = false;
  } else {
    reader.problems().add(reader.path(key), "must be true or false", *text);
  }
}

template <typename Int>
std::optional<Int> parse_integer(const std::string& text) {
  Int value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

template <typename Int>
void check_integer(const std::string& path, const std::string& text, Problems& problems, Int min,
                   Int max, Int& out) {
  const auto value = parse_integer<Int>(text);
  if (!value) {
    problems.add(path, "must be an integer", text);
  } else if (*value < min || *value > max) {
    problems.add(path, fmt::format("must be in [{}, {}]", min, max), text);
  } else {
    out = *value;
  }
}

void read_int(MapReader& reader, std::string_view key, int& out, int min, int max) {
  if (const auto text = scalar(reader, key, "an integer")) {
    check_integer(reader.path(key), *text, reader.problems(), min, max, out);
  }
}

// An interval of doubles, open or closed at each end.
struct Range {
  double low;
  double high;
  bool low_open = false;
  bool high_open = false;

  bool contains(double value) const {
    return (low_open ? value > low : value >= low) && (high_open ? value < high : value <= high);
  }
  std::string describe() const {
    return fmt::format("{}{}, {}{}", low_open ? '(' : '[', low, high, high_open ? ')' : ']');
  }
};

constexpr Range kFraction{0, 1, true, false};  // (0, 1]

void read_number(MapReader& reader, std::string_view key, double& out, Range range) {
  const auto text = scalar(reader, key, "a number");
  if (!text) return;
  double value = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc() || end != text->data() + text->size() || !std::isfinite(value)) {
    reader.problems().add(reader.path(key), "must be a number", *text);
  } else if (!range.contains(value)) {
    reader.problems().add(reader.path(key), fmt::format("must be in {}", range.describe()), *text);
  } else {
    out = value;
  }
}

void read_decimal(MapReader& reader, std::string_view key, Decimal& out, Decimal min, Decimal max,
                  bool min_open = false) {
  const auto text = scalar(reader, key, "a decimal number");
  if (!text) return;
  try {
    const Decimal value = Decimal::parse(*text);
    if ((min_open ? value <= min : value < min) || value > max) {
      reader.problems().add(reader.path(key),
                            fmt::format("must be in {}{}, {}]", min_open ? '(' : '[', min, max),
                            *text);
      return;
    }
    out = value;
  } catch (const DecimalError&) {
    reader.problems().add(reader.path(key),
                          "must be a decimal number with at most 9 decimal places", *text);
  }
}

void read_duration(MapReader& reader, std::string_view key, DurationMs& out, DurationMs min,
                   DurationMs max) {
  const auto text = scalar(reader, key, "a duration such as 250ms, 5s, 15m, 4h or 1d");
  if (!text) return;
  try {
    const DurationMs value = parse_duration(*text);
    if (value < min || value > max) {
      reader.problems().add(
          reader.path(key),
          fmt::format("must be between {} and {}", format_duration(min), format_duration(max)),
          *text);
      return;
    }
    out = value;
  } catch (const TimeError&) {
    reader.problems().add(reader.path(key), "must be a duration with a unit: ms, s, m, h or d",
                          *text);
  }
}

void read_string(MapReader& reader, std::string_view key, std::string& out, bool allow_empty) {
  const auto text = scalar(reader, key, "a string");
  if (!text) return;
  if (text->empty() && !allow_empty) {
    reader.problems().add(reader.path(key), "must not be empty", "an empty string");
    return;
  }
  out = *text;
}

template <typename Enum>
void read_choice(MapReader& reader, std::string_view key, Enum& out,
                 std::initializer_list<std::pair<std::string_view, Enum>> choices) {
  std::string names;
  for (const auto& [name, value] : choices)
    names += (names.empty() ? "" : ", ") + std::string(name);
  const auto text = scalar(reader, key, "one of " + names);
  if (!text) return;
  for (const auto& [name, value] : choices) {
    if (name == *text) {
      out = value;
      return;
    }
  }
  reader.problems().add(reader.path(key), "must be one of " + names, *text);
}

void read_timeframe(MapReader& reader, std::string_view key, Timeframe& out) {
  const auto text = scalar(reader, key, "a timeframe");
  if (!text) return;
  if (auto timeframe = timeframe_from_string(*text)) {
    out = *timeframe;
  } else {
    reader.problems().add(reader.path(key), "must be one of 1m, 3m, 5m, 15m, 30m, 1h, 4h, 1d",
                          *text);
  }
}

// --- sections ---------------------------------------------------------------------------------

// Reads the mapping under `name` into `out` with `parse`, which finishes the reader.
template <typename Section, typename Parse>
void read_section(MapReader& parent, std::string_view name, Section& out, Parse parse) {
  MapReader section(parent.child(name), parent.path(name), parent.problems());
  parse(section, out);
}

void parse_timeframes(MapReader& reader, config::Timeframes& timeframes) {
  read_timeframe(reader, "primary", timeframes.primary);
  read_timeframe(reader, "confirm", timeframes.confirm);
  reader.finish();
}

void parse_risk(MapReader& reader, config::RiskLimits& risk) {
  read_number(reader, "risk_fraction", risk.risk_fraction, {0, 0.05, true, false});
  read_number(reader, "min_sl_fraction", risk.min_sl_fraction, {0, 0.5, true, true});
  read_number(reader, "max_sl_fraction", risk.max_sl_fraction, {0, 0.5, true, false});
  read_number(reader, "min_sl_atr", risk.min_sl_atr, {0, 20, true, false});
  read_number(reader, "max_sl_atr", risk.max_sl_atr, {0, 50, true, false});
  read_number(reader, "daily_loss_cap", risk.daily_loss_cap, {0, 0.5, true, false});
  read_number(reader, "per_strategy_cap", risk.per_strategy_cap, kFraction);
  read_number(reader, "max_leverage", risk.max_leverage, {1, 100});
  read_number(reader, "drawdown_throttle_start", risk.drawdown_throttle_start, {0, 1, true, true});
  read_number(reader, "drawdown_halt", risk.drawdown_halt, kFraction);
  read_int(reader, "max_open_positions", risk.max_open_positions, 1, 100);
  read_duration(reader, "max_holding_time", risk.max_holding_time, kMinuteMs, 365 * kDayMs);
  read_duration(reader, "cooldown_after_loss", risk.cooldown_after_loss, 0, 7 * kDayMs);
  read_duration(reader, "drawdown_reset_after", risk.drawdown_reset_after, 0, 365 * kDayMs);
  reader.finish();
  Problems& problems = reader.problems();
  if (risk.min_sl_fraction >= risk.max_sl_fraction) {
    problems.add(reader.path("min_sl_fraction"),
                 fmt::format("must be below max_sl_fraction {}", risk.max_sl_fraction),
                 fmt::format("{}", risk.min_sl_fraction));
  }
  if (risk.min_sl_atr >= risk.max_sl_atr) {
    problems.add(reader.path("min_sl_atr"),
                 fmt::format("must be below max_sl_atr {}", risk.max_sl_atr),
                 fmt::format("{}", risk.min_sl_atr));
  }
  if (risk.drawdown_throttle_start >= risk.drawdown_halt) {
    problems.add(reader.path("drawdown_throttle_start"),
                 fmt::format("must be below drawdown_halt {}", risk.drawdown_halt),
                 fmt::format("{}", risk.drawdown_throttle_start));
  }
}

void parse_all_risk(MapReader& reader, std::array<config::RiskLimits, 4>& risk) {
  for (Asset asset : kAllAssets) {
    read_section(reader, to_string(asset), risk[static_cast<std::size_t>(asset)], parse_risk);
  }
  reader.finish();
}

void parse_symbols(const Node& node, const std::string& path, Problems& problems,
                   std::vector<std::string>& out) {
  if (!node.IsDefined()) return;
  if (!node.IsSequence()) {
    problems.add(path, "must be a list of symbols", describe(node));
    return;
  }
  out.clear();
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string item_path = fmt::format("{}[{}]", path, i);
    const auto text = scalar_at(node[i], item_path, problems, "a symbol");
    if (!text) continue;
    try {
      out.push_back(canonicalize_symbol(*text));
    } catch (const SymbolError& error) {
      const std::string_view message = error.what();
      const std::size_t colon = message.find("\": ");
      problems.add(
          item_path,
          fmt::format("not a symbol: {}",
                      colon == std::string_view::npos ? message : message.substr(colon + 3)),
          *text);
    }
  }
}

void parse_exposure(MapReader& reader, config::ExposureCaps& caps) {
  if (Node clusters_node = reader.child("clusters"); clusters_node.IsDefined()) {
    MapReader clusters(clusters_node, reader.path("clusters"), reader.problems());
    std::vector<config::Cluster> parsed;
    for (const std::string& name : clusters.keys()) {
      MapReader cluster_reader(clusters.child(name), clusters.path(name), reader.problems());
      config::Cluster cluster;
      cluster.name = name;
      parse_symbols(cluster_reader.child("symbols"), cluster_reader.path("symbols"),
                    reader.problems(), cluster.symbols);
      read_int(cluster_reader, "max_concurrent", cluster.max_concurrent, 1, 100);
      read_number(cluster_reader, "max_allocation_fraction", cluster.max_allocation_fraction,
                  kFraction);
      cluster_reader.finish();
      parsed.push_back(std::move(cluster));
    }
    if (clusters.valid()) caps.clusters = std::move(parsed);
  }
  read_number(reader, "max_correlation", caps.max_correlation, kFraction);
  read_int(reader, "correlation_window_bars", caps.correlation_window_bars, 10, 10'000);
  read_int(reader, "max_concurrent_total", caps.max_concurrent_total, 1, 1000);
  reader.finish();

  std::map<std::string, std::string> owner;
  for (const config::Cluster& cluster : caps.clusters) {
    for (std::size_t i = 0; i < cluster.symbols.size(); ++i) {
      const auto [where, inserted] = owner.emplace(cluster.symbols[i], cluster.name);
      if (!inserted) {
        reader.problems().add(
            fmt::format("{}.clusters.{}.symbols[{}]", reader.path(), cluster.name, i),
            fmt::format("already in cluster {}", where->second), cluster.symbols[i]);
      }
    }
  }
}

void parse_exploration(MapReader& reader, config::Exploration& exploration) {
  read_int(reader, "active_candidates_per_asset", exploration.active_candidates_per_asset, 1, 100);
  read_choice(reader, "rotation", exploration.rotation,
              {{"round_robin_with_boost", config::Rotation::kRoundRobinWithBoost},
               {"round_robin", config::Rotation::kRoundRobin}});
  read_number(reader, "boost_factor", exploration.boost_factor, {1, 100});
  read_int(reader, "max_trades_per_hour_per_candidate",
           exploration.max_trades_per_hour_per_candidate, 1, 60);
  read_duration(reader, "cooldown_after_trade", exploration.cooldown_after_trade, 0, kDayMs);
  read_int(reader, "min_paper_trades", exploration.min_paper_trades, 100, 100'000);
  read_int(reader, "retire_after_trades", exploration.retire_after_trades, 5, 100'000);
  read_number(reader, "retire_below_profit_factor", exploration.retire_below_profit_factor,
              {0, 10});
  read_int(reader, "max_validation_attempts", exploration.max_validation_attempts, 1, 100);
  reader.finish();
}

void parse_validation(MapReader& reader, config::ValidationGate& gate) {
  read_number(reader, "min_profit_factor", gate.min_profit_factor, {0, 100});
  read_number(reader, "min_sharpe", gate.min_sharpe, {-10, 100});
  read_number(reader, "max_drawdown", gate.max_drawdown, {0, 1});
  read_number(reader, "max_cvar_95", gate.max_cvar_95, {0, 1});
  read_number(reader, "reconciliation_tolerance", gate.reconciliation_tolerance, {0, 1});
  read_number(reader, "min_dsr", gate.min_dsr, {0, 1});
  read_number(reader, "max_pbo", gate.max_pbo, {0, 1});
  read_int(reader, "min_trades", gate.min_trades, 100, 1'000'000);
  read_int(reader, "min_history_days", gate.min_history_days, 1, 36'500);
  read_int(reader, "min_tail_observations", gate.min_tail_observations, 1, 100'000);
  reader.finish();
}

// Which assets each venue trades.
const std::map<std::string, std::vector<Asset>>& venue_assets() {
  static const std::map<std::string, std::vector<Asset>> kVenues = {
      {"bybit", {Asset::kSpot, Asset::kPerp}}, {"ibkr", {Asset::kForex, Asset::kOptions}}};
  return kVenues;
}

bool known_venue(MapReader& reader, const std::string& venue) {
  if (venue_assets().count(venue) != 0) return true;
  reader.problems().add(reader.path(venue), "unknown venue (expected bybit or ibkr)");
  return false;
}

void parse_fees(MapReader& reader, config::FeeModel& model) {
  using namespace gauntlet::literals;
  for (const std::string& venue : reader.keys()) {
    if (!known_venue(reader, venue)) continue;
    MapReader venue_reader(reader.child(venue), reader.path(venue), reader.problems());
    for (const std::string& asset_name : venue_reader.keys()) {
      const auto asset = asset_from_string(asset_name);
      const auto& traded = venue_assets().at(venue);
      if (!asset || std::find(traded.begin(), traded.end(), *asset) == traded.end()) {
        reader.problems().add(venue_reader.path(asset_name),
                              fmt::format("{} does not trade this asset", venue));
        continue;
      }
      MapReader rates_reader(venue_reader.child(asset_name), venue_reader.path(asset_name),
                             reader.problems());
      config::FeeRates& rates = model.venues[venue][*asset];
      read_decimal(rates_reader, "maker", rates.maker, "-0.01"_d, "0.05"_d);
      read_decimal(rates_reader, "taker", rates.taker, "0"_d, "0.05"_d);
      read_decimal(rates_reader, "minimum_per_order", rates.minimum_per_order, "0"_d, "1000"_d);
      read_decimal(rates_reader, "per_contract", rates.per_contract, "0"_d, "1000"_d);
      rates_reader.finish();
    }
  }
  reader.finish();
}

void parse_critical_codes(MapReader& reader, std::map<std::string, std::set<int>>& codes) {
  for (const std::string& venue : reader.keys()) {
    if (!known_venue(reader, venue)) continue;
    const Node list = reader.child(venue);
    const std::string path = reader.path(venue);
    if (!list.IsSequence()) {
      reader.problems().add(path, "must be a list of error codes", describe(list));
      continue;
    }
    std::set<int> parsed;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string item_path = fmt::format("{}[{}]", path, i);
      if (const auto text = scalar_at(list[i], item_path, reader.problems(), "an error code")) {
        int code = -1;
        check_integer(item_path, *text, reader.problems(), 0, 10'000'000, code);
        if (code >= 0) parsed.insert(code);
      }
    }
    codes[venue] = std::move(parsed);
  }
  reader.finish();
}

void parse_budgets(MapReader& reader, config::Budgets& budgets) {
  using namespace gauntlet::literals;
  if (Node allocation_node = reader.child("allocation"); allocation_node.IsDefined()) {
    MapReader allocation(allocation_node, reader.path("allocation"), reader.problems());
    for (Asset asset : kAllAssets) {
      read_decimal(allocation, to_string(asset),
                   budgets.allocation[static_cast<std::size_t>(asset)], "0"_d, "1000000000"_d);
    }
    allocation.finish();
  }
  read_decimal(reader, "reallocation_step", budgets.reallocation_step, "0"_d, "1000000"_d, true);
  reader.finish();
}

void parse_paper(MapReader& reader, config::PaperBankroll& paper) {
  using namespace gauntlet::literals;
  read_decimal(reader, "starting_equity", paper.starting_equity, "0"_d, "1000000000"_d, true);
  read_decimal(reader, "top_up_threshold", paper.top_up_threshold, "0"_d, "1000000000"_d);
  read_decimal(reader, "top_up_amount", paper.top_up_amount, "0"_d, "1000000000"_d, true);
  reader.finish();
  if (paper.top_up_threshold >= paper.starting_equity) {
    reader.problems().add(reader.path("top_up_threshold"),
                          fmt::format("must be below starting_equity {}", paper.starting_equity),
                          paper.top_up_threshold.to_string());
  }
}

void parse_ui(MapReader& reader, config::UiConfig& ui) {
  if (const auto text = scalar(reader, "bind_address", "an IP address")) {
    unsigned char buffer[16];
    if (inet_pton(AF_INET, text->c_str(), buffer) == 1 ||
        inet_pton(AF_INET6, text->c_str(), buffer) == 1) {
      ui.bind_address = *text;
    } else {
      reader.problems().add(reader.path("bind_address"), "must be an IPv4 or IPv6 address", *text);
    }
  }
  read_int(reader, "port", ui.port, 0, 65535);
  read_bool(reader, "public_read", ui.public_read);
  read_duration(reader, "quote_push_interval", ui.quote_push_interval, 100, kMinuteMs);
  reader.finish();
}

void parse_telegram(MapReader& reader, config::TelegramConfig& telegram) {
  read_bool(reader, "enabled", telegram.enabled);
  if (const Node ids = reader.child("allowed_chat_ids"); ids.IsDefined()) {
    const std::string path = reader.path("allowed_chat_ids");
    if (!ids.IsSequence()) {
      reader.problems().add(path, "must be a list of chat ids", describe(ids));
    } else {
      telegram.allowed_chat_ids.clear();
      for (std::size_t i = 0; i < ids.size(); ++i) {
        const std::string item_path = fmt::format("{}[{}]", path, i);
        if (const auto text = scalar_at(ids[i], item_path, reader.problems(), "a chat id")) {
          if (const auto id = parse_integer<int64_t>(*text)) {
            telegram.allowed_chat_ids.push_back(*id);
          } else {
            reader.problems().add(item_path, "must be an integer chat id", *text);
          }
        }
      }
    }
  }
  reader.finish();
}

void parse_bybit(MapReader& reader, config::BybitConfig& bybit) {
  read_choice(reader, "environment", bybit.environment,
              {{"mainnet", config::BybitEnvironment::kMainnet},
               {"testnet", config::BybitEnvironment::kTestnet},
               {"demo", config::BybitEnvironment::kDemo}});
  read_duration(reader, "recv_window", bybit.recv_window, 100, kMinuteMs);
  reader.finish();
}

void parse_universe(MapReader& reader, config::UniverseConfig& universe) {
  read_int(reader, "size", universe.size, 1, 200);
  read_number(reader, "min_turnover", universe.min_turnover, {0, 1e15, false, false});
  read_duration(reader, "min_listing_age", universe.min_listing_age, 0, 3650 * kDayMs);
  read_number(reader, "spike_ratio", universe.spike_ratio, {1, 1000, true, false});
  read_int(reader, "spike_window", universe.spike_window, 2, 1000);
  read_duration(reader, "refresh_interval", universe.refresh_interval, kMinuteMs, 7 * kDayMs);
  read_string(reader, "sentiment_file", universe.sentiment_file, true);
  read_number(reader, "sentiment_weight", universe.sentiment_weight, {0, 1, false, false});
  reader.finish();
}

// Every key anywhere in the tree that looks like a secret is a problem: secrets live in the
// environment or the secrets file only.
void scan_for_secrets(const Node& node, const std::string& path, Problems& problems) {
  if (node.IsMap()) {
    for (const auto& entry : node) {
      const std::string key = entry.first.Scalar();
      const std::string child_path = join_path(path, key);
      if (looks_like_secret_key(key)) {
        problems.add(child_path,
                     "secrets are not read from config files; set GAUNTLET_BYBIT_API_KEY, "
                     "GAUNTLET_BYBIT_API_SECRET or GAUNTLET_TELEGRAM_BOT_TOKEN in the environment "
                     "or in secrets_file");
      } else {
        scan_for_secrets(entry.second, child_path, problems);
      }
    }
  } else if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i) {
      scan_for_secrets(node[i], fmt::format("{}[{}]", path, i), problems);
    }
  }
}

Config parse_root(const Node& root, Problems& problems) {
  Config config;
  scan_for_secrets(root, "", problems);
  MapReader reader(root, "", problems);
  reader.child("extends");  // resolved by the loader
  read_choice(reader, "environment", config.environment,
              {{"simulation", config::Environment::kSimulation},
               {"production", config::Environment::kProduction}});
  read_int(reader, "rollout_stage", config.rollout_stage, 0, 3);
  read_choice(reader, "exchange_profile", config.exchange_profile,
              {{"spot", config::ExchangeProfile::kSpot},
               {"perp", config::ExchangeProfile::kPerp},
               {"spot+perp", config::ExchangeProfile::kSpotPerp}});
  read_bool(reader, "forex_enabled", config.forex_enabled);
  read_bool(reader, "options_enabled", config.options_enabled);
  read_string(reader, "historical_data_path", config.historical_data_path, false);
  read_string(reader, "state_dir", config.state_dir, false);
  read_string(reader, "secrets_file", config.secrets_file, true);
  read_duration(reader, "live_loop_interval", config.live_loop_interval, 10, kHourMs);
  read_duration(reader, "simulation_order_delay", config.simulation_order_delay, 0, kMinuteMs);
  read_duration(reader, "protection_grace", config.protection_grace, 0, kHourMs);
  read_duration(reader, "order_ack_timeout", config.order_ack_timeout, kSecondMs, kHourMs);
  read_section(reader, "timeframes", config.timeframes, parse_timeframes);
  read_section(reader, "risk", config.risk, parse_all_risk);
  read_section(reader, "exposure_caps", config.exposure_caps, parse_exposure);
  read_section(reader, "exploration", config.exploration, parse_exploration);
  read_section(reader, "validation", config.validation, parse_validation);
  read_section(reader, "fee_model", config.fee_model, parse_fees);
  read_section(reader, "critical_error_codes", config.critical_error_codes, parse_critical_codes);
  read_section(reader, "budgets", config.budgets, parse_budgets);
  read_section(reader, "paper", config.paper, parse_paper);
  read_section(reader, "ui", config.ui, parse_ui);
  read_section(reader, "telegram", config.telegram, parse_telegram);
  read_section(reader, "bybit", config.bybit, parse_bybit);
  read_section(reader, "universe", config.universe, parse_universe);
  reader.finish();

  if (config.environment == config::Environment::kSimulation && config.rollout_stage != 0) {
    problems.add("rollout_stage", "must be 0 when environment is simulation",
                 std::to_string(config.rollout_stage));
  }
  const DurationMs primary = duration_ms(config.timeframes.primary);
  const DurationMs confirm = duration_ms(config.timeframes.confirm);
  if (confirm >= primary || primary % confirm != 0) {
    problems.add("timeframes.confirm",
                 fmt::format("must be shorter than timeframes.primary ({}) and divide it",
                             to_string(config.timeframes.primary)),
                 to_string(config.timeframes.confirm));
  }
  if (config.telegram.enabled && config.telegram.allowed_chat_ids.empty()) {
    problems.add("telegram.allowed_chat_ids",
                 "must list at least one chat id when telegram.enabled is true", "an empty list");
  }
  return config;
}

// Checks that need the secrets.
void check_secrets(const Config& config, const Secrets& secrets, Problems& problems) {
  if (config.telegram.enabled && secrets.telegram_bot_token.empty()) {
    problems.add("telegram.enabled",
                 "needs GAUNTLET_TELEGRAM_BOT_TOKEN in the environment or in secrets_file", "true");
  }
  if (config.environment == config::Environment::kProduction && config.rollout_stage >= 1 &&
      (secrets.bybit_api_key.empty() || secrets.bybit_api_secret.empty())) {
    problems.add("rollout_stage",
                 "live trading on Bybit needs GAUNTLET_BYBIT_API_KEY and GAUNTLET_BYBIT_API_SECRET "
                 "in the environment or in secrets_file",
                 std::to_string(config.rollout_stage));
  }
}

// --- files and `extends` ----------------------------------------------------------------------

Node merge(const Node& base, const Node& override) {
  if (!base.IsMap() || !override.IsMap()) return YAML::Clone(override);
  Node result = YAML::Clone(base);
  for (const auto& entry : override) {
    const std::string key = entry.first.Scalar();
    if (result[key].IsMap() && entry.second.IsMap()) {
      result[key] = merge(result[key], entry.second);
    } else {
      result[key] = YAML::Clone(entry.second);
    }
  }
  return result;
}

Node parse_yaml(std::string_view text, const std::string& name, Problems& problems) {
  try {
    Node root = YAML::Load(std::string(text));
    if (root.IsNull()) return Node(YAML::NodeType::Map);
    return root;
  } catch (const YAML::Exception& error) {
    problems.add(fmt::format("{}:{}:{}", name, error.mark.line + 1, error.mark.column + 1),
                 fmt::format("YAML syntax error: {}", error.msg));
    return Node(YAML::NodeType::Map);
  }
}

std::optional<std::string> read_text(const fs::path& path, Problems& problems) {
  std::ifstream in(path, std::ios::binary);
  if (!in || fs::is_directory(path)) {
    problems.add(path.string(), "cannot read the file");
    return std::nullopt;
  }
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// Applies `extends:` chains; `chain` holds the files on the way, to detect cycles.
Node resolve_extends(Node root, const fs::path& directory, std::vector<fs::path>& chain,
                     Problems& problems) {
  if (!root.IsMap() || !root["extends"].IsDefined()) return root;
  const Node extends = root["extends"];
  if (!extends.IsScalar() || extends.Scalar().empty()) {
    problems.add("extends", "must be the path of another config file", describe(extends));
    return root;
  }
  const fs::path base_path = fs::weakly_canonical(directory / extends.Scalar());
  if (std::find(chain.begin(), chain.end(), base_path) != chain.end()) {
    std::string cycle;
    for (const fs::path& file : chain) cycle += file.filename().string() + " -> ";
    problems.add("extends", "forms a cycle: " + cycle + base_path.filename().string(),
                 extends.Scalar());
    return root;
  }
  if (chain.size() >= kMaxExtendsDepth) {
    problems.add("extends", fmt::format("nests deeper than {} files", kMaxExtendsDepth),
                 extends.Scalar());
    return root;
  }
  const auto text = read_text(base_path, problems);
  if (!text) return root;
  chain.push_back(base_path);
  Node base = resolve_extends(parse_yaml(*text, base_path.string(), problems),
                              base_path.parent_path(), chain, problems);
  chain.pop_back();
  base.remove("extends");
  return merge(base, root);
}

std::optional<fs::path> repository_root(const fs::path& directory) {
  std::error_code error;
  for (fs::path current = fs::weakly_canonical(directory, error); !current.empty();
       current = current.parent_path()) {
    if (fs::exists(current / ".git", error)) return current;
    if (current == current.parent_path()) break;
  }
  return std::nullopt;
}

fs::path expand_home(const std::string& path, const EnvironmentLookup& environment) {
  if (path.starts_with("~/")) {
    if (const auto home = environment("HOME")) return fs::path(*home) / path.substr(2);
  }
  return path;
}

Config parse_with(std::string_view yaml, const std::string& name, const fs::path& directory,
                  std::vector<fs::path> chain, const EnvironmentLookup& environment,
                  Secrets* secrets_out) {
  Problems problems;
  Node root = parse_yaml(yaml, name, problems);
  if (problems.empty()) root = resolve_extends(root, directory, chain, problems);
  if (!problems.empty()) throw ConfigError(std::move(problems.list()));
  Config config = parse_root(root, problems);
  fs::path secrets_file;
  if (!config.secrets_file.empty()) {
    secrets_file = expand_home(config.secrets_file, environment);
    if (secrets_file.is_relative()) secrets_file = directory / secrets_file;
  }
  Secrets secrets =
      load_secrets(environment, secrets_file, repository_root(directory), problems.list());
  check_secrets(config, secrets, problems);
  if (!problems.empty()) throw ConfigError(std::move(problems.list()));
  if (secrets_out != nullptr) *secrets_out = std::move(secrets);
  return config;
}

Config load_file(const fs::path& path, const EnvironmentLookup& environment, Secrets* secrets_out) {
  Problems problems;
  const auto text = read_text(path, problems);
  if (!text) throw ConfigError(std::move(problems.list()));
  const fs::path absolute = fs::weakly_canonical(path);
  return parse_with(*text, path.string(), absolute.parent_path(), {absolute}, environment,
                    secrets_out);
}

}  // namespace

Config load_config(const fs::path& path, const EnvironmentLookup& environment, Secrets* secrets) {
  return load_file(path, environment, secrets);
}

Config parse_config(std::string_view yaml, const fs::path& base_directory,
                    const EnvironmentLookup& environment, Secrets* secrets) {
  return parse_with(yaml, "(text)", base_directory, {}, environment, secrets);
}

std::string config_hash(const Config& config) {
  uint64_t hash = 14695981039346656037ull;  // FNV-1a 64
  for (const unsigned char c : config::to_json(config).dump()) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return fmt::format("{:016x}", hash).substr(0, 8);
}

ConfigManager::ConfigManager(fs::path path) : ConfigManager(std::move(path), Options{}) {}

ConfigManager::ConfigManager(fs::path path, Options options)
    : source_(std::move(path)), options_(std::move(options)) {
  config_ = std::make_shared<const Config>(load_file(source_, options_.environment, &secrets_));
  stamp_ = stamp();
  module_logger("config_manager")
      ->info("config loaded path={} version={}", source_.string(), version());
}

std::shared_ptr<const Config> ConfigManager::snapshot() const {
  const std::lock_guard lock(mutex_);
  return config_;
}

nlohmann::json ConfigManager::get(std::string_view section) const {
  nlohmann::json all = config::to_json(*snapshot());
  const auto found = all.find(std::string(section));
  if (found == all.end()) {
    throw ConfigError({fmt::format("{}: unknown config section", section)});
  }
  return *found;
}

std::vector<Asset> ConfigManager::get_assets() const {
  const auto config = snapshot();
  std::vector<Asset> assets;
  for (Asset asset : kAllAssets)
    if (!config::asset_disabled_reason(*config, asset)) assets.push_back(asset);
  return assets;
}

config::RiskLimits ConfigManager::get_risk(Asset asset) const {
  return snapshot()->risk_for(asset);
}

std::string ConfigManager::version() const {
  const std::lock_guard lock(mutex_);
  return fmt::format("v{}-{}", generation_, config_hash(*config_));
}

ConfigManager::FileStamp ConfigManager::stamp() const {
  std::error_code error;
  FileStamp result;
  result.modified = fs::last_write_time(source_, error);
  result.size = fs::file_size(source_, error);
  return result;
}

bool ConfigManager::source_changed() const {
  const FileStamp current = stamp();
  const std::lock_guard lock(mutex_);
  return !(current == stamp_);
}

ReloadResult ConfigManager::reload() {
  ReloadResult result;
  const auto log = module_logger("config_manager");
  Config fresh;
  try {
    fresh = load_file(source_, options_.environment, nullptr);
  } catch (const ConfigError& error) {
    result.problems = error.problems();
    result.version = version();
    log->warn("config reload rejected path={} problems={} version={}", source_.string(),
              result.problems.size(), result.version);
    for (const std::string& problem : result.problems) log->warn("config problem: {}", problem);
    return result;
  }

  std::vector<std::function<void(const Config&)>> listeners;
  std::shared_ptr<const Config> applied;
  {
    const std::lock_guard lock(mutex_);
    Config next = *config_;
    next.risk = fresh.risk;
    next.exploration = fresh.exploration;
    next.exposure_caps = fresh.exposure_caps;
    const nlohmann::json before = config::to_json(*config_);
    const nlohmann::json after = config::to_json(fresh);
    for (const auto& [section, value] : after.items()) {
      const bool reloadable =
          std::find(config::kReloadableSections.begin(), config::kReloadableSections.end(),
                    section) != config::kReloadableSections.end();
      if (!reloadable && before.at(section) != value) {
        result.needs_restart.push_back(
            fmt::format("{}: changed in the file; takes effect after a restart", section));
      }
    }
    if (!(next == *config_)) {
      config_ = std::make_shared<const Config>(std::move(next));
      ++generation_;
      result.applied = true;
      applied = config_;
      listeners = listeners_;
    }
    stamp_ = stamp();
    result.version = fmt::format("v{}-{}", generation_, config_hash(*config_));
  }
  if (result.applied) {
    log->info("config reloaded path={} version={}", source_.string(), result.version);
    for (const auto& listener : listeners) listener(*applied);
  }
  for (const std::string& note : result.needs_restart) log->warn("config reload ignored {}", note);
  return result;
}

void ConfigManager::on_reload(std::function<void(const Config&)> callback) {
  const std::lock_guard lock(mutex_);
  listeners_.push_back(std::move(callback));
}

}  // namespace gauntlet
