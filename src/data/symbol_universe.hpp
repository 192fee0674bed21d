// File: data/symbol_universe.hpp
//
// SymbolUniverse: what the crypto engine watches (seed 001 §2.2): 20-40 USDT pairs ranked by
// 24h turnover. A refresh
//   1. keeps the candidates that can be traded: status Trading, quoted in USDT, not a
//      stablecoin against USDT, not a leveraged token (BTC3L, ETHUP, ...), at least
//      min_turnover of 24h turnover and listed for at least min_listing_age (unknown = allowed);
//   2. ranks them by priority: turnover x (1 + sentiment_weight x score), the score an external
//      sentiment in [-1, 1] per symbol (0 when none; seed 000 top_pairs' hook), so a favoured
//      symbol climbs and a shunned one sinks (ties by symbol);
//   3. keeps a stable core: a core member stays while it ranks within core_exit_rank, the
//      core is topped up to core_size from the best ranks; the rest of the universe is a
//      rotating tail of the next best ranks, up to `size`;
//   4. flags spikes: a symbol whose turnover exceeds spike_ratio times its average over the
//      previous refreshes (at least two) - candidates for the scheduler, in the universe or not.
// Turnover is a double: a day of BTCUSDT turnover outgrows Decimal's range.
//
// State: save_state() writes the universe, its core, the turnover history per symbol and the
// time of the last refresh as compact JSON (a turnover as the shortest text that reads back to
// the same double; "nan", "inf" or "-inf" when it is not finite), and restore_state() replaces
// them with ones saved before, so a restarted session ranks, keeps its core and flags spikes
// exactly as the uninterrupted one. The rules are not saved: they come from the config.
//
// Threading: single-threaded, on the engine loop.
#pragma once

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "core/symbol.hpp"
#include "core/time.hpp"

namespace gauntlet::data {

struct UniverseCandidate {
  Symbol symbol;
  double turnover_24h = 0;      // quote units
  TimestampMs launch_time = 0;  // 0 when unknown
  std::string status = "Trading";
  double score = 0;  // external sentiment in [-1, 1]; clamped
};

struct UniverseRules {
  int size = 30;
  int core_size = 10;
  int core_exit_rank = 20;  // a core member leaves the core only when ranked below this
  double min_turnover = 5e6;
  DurationMs min_listing_age = 30 * kDayMs;
  double spike_ratio = 3.0;
  int spike_window = 6;  // refreshes in the spike detector's average
  DurationMs refresh_interval = kHourMs;
  double sentiment_weight = 0.5;  // in [0, 1]: how far a score moves a symbol's priority
};

struct UniverseUpdate {
  std::vector<Symbol> symbols;  // the core by rank, then the tail by rank
  std::vector<Symbol> added;
  std::vector<Symbol> removed;
  std::vector<Symbol> spikes;
};

class SymbolUniverse {
 public:
  explicit SymbolUniverse(UniverseRules rules = {});

  // The seed's refresh_crypto_universe(): ranks `candidates` and returns what changed.
  UniverseUpdate refresh(const std::vector<UniverseCandidate>& candidates, TimestampMs now);

  // The seed's get_symbols(spot): the current universe, core first.
  const std::vector<Symbol>& symbols() const { return symbols_; }
  const std::vector<Symbol>& core() const { return core_; }
  // True when refresh_interval has passed since the last refresh (or there was none).
  bool due(TimestampMs now) const;

  // Returns the universe's state as compact JSON; the same state always gives the same bytes.
  std::string save_state() const;
  // Replaces the universe's state with one save_state() wrote; the rules are kept. Throws
  // StateError when the document does not parse or holds a bad symbol or turnover, and then
  // leaves the state as it was.
  void restore_state(const std::string& json);

  // A stablecoin or a leveraged token, which the universe never holds. `bases` are the other
  // base coins on offer (BTCUP is leveraged only when BTC is itself listed).
  static bool excluded(const Symbol& symbol, const std::vector<std::string>& bases);

 private:
  UniverseRules rules_;
  std::vector<Symbol> symbols_;
  std::vector<Symbol> core_;
  std::map<std::string, std::deque<double>> history_;  // turnover per refresh, per symbol
  TimestampMs last_refresh_ = -1;
};

}  // namespace gauntlet::data
