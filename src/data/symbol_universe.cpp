#include "data/symbol_universe.hpp"

#include <algorithm>
#include <array>
#include <numeric>
#include <set>
#include <string_view>

#include "core/check.hpp"

namespace gauntlet::data {
namespace {

constexpr std::array<std::string_view, 12> kStablecoins = {
    "USDT", "USDC", "BUSD", "TUSD", "DAI", "FDUSD", "USDP", "USDD", "PYUSD", "USDE", "UST", "USTC"};
constexpr std::array<std::string_view, 8> kLeveragedSuffixes = {"2L", "2S", "3L",   "3S",
                                                                "5L", "5S", "BULL", "BEAR"};

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() > suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
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

UniverseUpdate SymbolUniverse::refresh(const std::vector<UniverseCandidate>& candidates,
                                       TimestampMs now) {
  std::vector<std::string> bases;
  for (const UniverseCandidate& c : candidates) bases.emplace_back(c.symbol.base());

  // 1-2. Eligible candidates, ranked by turnover.
  std::vector<const UniverseCandidate*> ranked;
  for (const UniverseCandidate& c : candidates) {
    const bool listed_long_enough =
        c.launch_time == 0 || now - c.launch_time >= rules_.min_listing_age;
    if (c.status == "Trading" && c.symbol.quote() == "USDT" && !excluded(c.symbol, bases) &&
        c.turnover_24h >= rules_.min_turnover && listed_long_enough) {
      ranked.push_back(&c);
    }
  }
  std::sort(ranked.begin(), ranked.end(), [](const auto* a, const auto* b) {
    if (a->turnover_24h != b->turnover_24h) return a->turnover_24h > b->turnover_24h;
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
