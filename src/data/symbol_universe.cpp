#include "data/symbol_universe.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>
#include <string_view>

#include "core/check.hpp"
#include "core/exceptions.hpp"

namespace gauntlet::data {
namespace {

constexpr std::array<std::string_view, 12> kStablecoins = {
    "USDT", "USDC", "BUSD", "TUSD", "DAI", "FDUSD", "USDP", "USDD", "PYUSD", "USDE", "UST", "USTC"};
constexpr std::array<std::string_view, 8> kLeveragedSuffixes = {"2L", "2S", "3L",   "3S",
                                                                "5L", "5S", "BULL", "BEAR"};

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() > suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

using nlohmann::json;

// A turnover as JSON: a number (nlohmann writes the shortest text that reads back to the same
// double), or a string for what JSON numbers cannot hold.
json turnover_json(double turnover) {
  if (std::isnan(turnover)) return "nan";
  if (std::isinf(turnover)) return turnover > 0 ? "inf" : "-inf";
  return turnover;
}

double turnover_from(const json& value) {
  if (value.is_number()) return value.get<double>();
  const std::string text = value.get<std::string>();
  if (text == "nan") return std::numeric_limits<double>::quiet_NaN();
  if (text == "inf") return std::numeric_limits<double>::infinity();
  if (text == "-inf") return -std::numeric_limits<double>::infinity();
  throw StateError("universe state: turnover must be a number, 'nan', 'inf' or '-inf', was '" +
                   text + "'");
}

json symbols_json(const std::vector<Symbol>& symbols) {
  json names = json::array();
  for (const Symbol& symbol : symbols) names.push_back(symbol.canonical());
  return names;
}

std::vector<Symbol> symbols_from(const json& names) {
  if (!names.is_array()) {
    throw StateError("universe state: a symbol list is not an array, was " + names.dump());
  }
  std::vector<Symbol> symbols;
  for (const json& name : names) symbols.push_back(Symbol::parse(name.get<std::string>()));
  return symbols;
}

}  // namespace

SymbolUniverse::SymbolUniverse(UniverseRules rules) : rules_(rules) {
  GAUNTLET_CHECK(rules_.size > 0 && rules_.core_size >= 0 && rules_.core_size <= rules_.size,
                 "universe rules need 0 <= core_size <= size, got core {} size {}",
                 rules_.core_size, rules_.size);
  GAUNTLET_CHECK(rules_.core_exit_rank >= rules_.core_size,
                 "core_exit_rank {} must be at least core_size {}", rules_.core_exit_rank,
                 rules_.core_size);
}

bool SymbolUniverse::excluded(const Symbol& symbol, const std::vector<std::string>& bases) {
  const std::string_view base = symbol.base();
  for (std::string_view stable : kStablecoins) {
    if (base == stable) return true;
  }
  for (std::string_view suffix : kLeveragedSuffixes) {
    if (ends_with(base, suffix)) return true;
  }
  for (std::string_view suffix : {std::string_view("UP"), std::string_view("DOWN")}) {
    if (!ends_with(base, suffix)) continue;
    const std::string_view underlying = base.substr(0, base.size() - suffix.size());
    if (std::find(bases.begin(), bases.end(), underlying) != bases.end()) return true;
  }
  return false;
}

bool SymbolUniverse::due(TimestampMs now) const {
  return last_refresh_ < 0 || now - last_refresh_ >= rules_.refresh_interval;
}

std::string SymbolUniverse::save_state() const {
  json history = json::object();
  for (const auto& [name, turnovers] : history_) {
    json values = json::array();
    for (const double turnover : turnovers) values.push_back(turnover_json(turnover));
    history[name] = std::move(values);
  }
  return json{{"symbols", symbols_json(symbols_)},
              {"core", symbols_json(core_)},
              {"history", std::move(history)},
              {"last_refresh", last_refresh_}}
      .dump();
}

void SymbolUniverse::restore_state(const std::string& text) {
  std::vector<Symbol> symbols;
  std::vector<Symbol> core;
  std::map<std::string, std::deque<double>> history;
  TimestampMs last_refresh = -1;
  try {
    const json state = json::parse(text);
    symbols = symbols_from(state.at("symbols"));
    core = symbols_from(state.at("core"));
    const json& saved = state.at("history");
    if (!saved.is_object()) {
      throw StateError("universe state: the history is not an object, was " + saved.dump());
    }
    for (const auto& [name, values] : saved.items()) {
      if (!values.is_array()) {
        throw StateError("universe state: the history of " + name + " is not an array, was " +
                         values.dump());
      }
      std::deque<double>& turnovers = history[name];
      for (const json& value : values) turnovers.push_back(turnover_from(value));
    }
    last_refresh = state.at("last_refresh").get<TimestampMs>();
  } catch (const json::exception& error) {
    throw StateError(std::string("universe state does not parse: ") + error.what());
  } catch (const SymbolError& error) {
    throw StateError(std::string("universe state has a bad symbol: ") + error.what());
  }
  symbols_ = std::move(symbols);
  core_ = std::move(core);
  history_ = std::move(history);
  last_refresh_ = last_refresh;
}

UniverseUpdate SymbolUniverse::refresh(const std::vector<UniverseCandidate>& candidates,
                                       TimestampMs now) {
  std::vector<std::string> bases;
  for (const UniverseCandidate& c : candidates) bases.emplace_back(c.symbol.base());

  // 1-2. Eligible candidates, ranked by priority.
  const auto priority = [&](const UniverseCandidate* c) {
    return c->turnover_24h * (1 + rules_.sentiment_weight * std::clamp(c->score, -1.0, 1.0));
  };
  std::vector<const UniverseCandidate*> ranked;
  for (const UniverseCandidate& c : candidates) {
    const bool listed_long_enough =
        c.launch_time == 0 || now - c.launch_time >= rules_.min_listing_age;
    if (c.status == "Trading" && c.symbol.quote() == "USDT" && !excluded(c.symbol, bases) &&
        c.turnover_24h >= rules_.min_turnover && listed_long_enough) {
      ranked.push_back(&c);
    }
  }
  std::sort(ranked.begin(), ranked.end(), [&](const auto* a, const auto* b) {
    const double pa = priority(a);
    const double pb = priority(b);
    if (pa != pb) return pa > pb;
    return a->symbol.canonical() < b->symbol.canonical();
  });
  std::map<std::string, int> rank;
  for (std::size_t i = 0; i < ranked.size(); ++i) {
    rank[ranked[i]->symbol.canonical()] = static_cast<int>(i) + 1;
  }

  // 3. The core keeps its members within core_exit_rank, then fills up from the top.
  std::vector<Symbol> core;
  for (const Symbol& member : core_) {
    const auto found = rank.find(member.canonical());
    if (found != rank.end() && found->second <= rules_.core_exit_rank) core.push_back(member);
  }
  for (const auto* c : ranked) {
    if (static_cast<int>(core.size()) >= rules_.core_size) break;
    if (std::find(core.begin(), core.end(), c->symbol) == core.end()) core.push_back(c->symbol);
  }
  std::sort(core.begin(), core.end(), [&](const Symbol& a, const Symbol& b) {
    return rank[a.canonical()] < rank[b.canonical()];
  });
  std::vector<Symbol> symbols = core;
  for (const auto* c : ranked) {
    if (static_cast<int>(symbols.size()) >= rules_.size) break;
    if (std::find(core.begin(), core.end(), c->symbol) == core.end()) symbols.push_back(c->symbol);
  }

  // 4. Spikes against each symbol's own recent turnover.
  UniverseUpdate update;
  for (const UniverseCandidate& c : candidates) {
    std::deque<double>& past = history_[c.symbol.canonical()];
    if (past.size() >= 2 && rank.contains(c.symbol.canonical())) {
      const double average = std::accumulate(past.begin(), past.end(), 0.0) / past.size();
      if (average > 0 && c.turnover_24h > rules_.spike_ratio * average) {
        update.spikes.push_back(c.symbol);
      }
    }
    past.push_back(c.turnover_24h);
    while (static_cast<int>(past.size()) > rules_.spike_window) past.pop_front();
  }

  const std::set<std::string> before = [&] {
    std::set<std::string> names;
    for (const Symbol& s : symbols_) names.insert(s.canonical());
    return names;
  }();
  std::set<std::string> after;
  for (const Symbol& s : symbols) {
    after.insert(s.canonical());
    if (!before.contains(s.canonical())) update.added.push_back(s);
  }
  for (const Symbol& s : symbols_) {
    if (!after.contains(s.canonical())) update.removed.push_back(s);
  }
  symbols_ = symbols;
  core_ = core;
  last_refresh_ = now;
  update.symbols = symbols_;
  return update;
}

}  // namespace gauntlet::data
