// The symbol universe: filters, turnover ranking, a stable core with hysteresis, a rotating
// tail, and spikes against each symbol's own recent turnover.
#include "data/symbol_universe.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/exceptions.hpp"

namespace gauntlet::data {
namespace {

constexpr TimestampMs kNow = 1'700'000'000'000;

UniverseCandidate candidate(const char* symbol, double turnover, TimestampMs launch = 0,
                            const char* status = "Trading") {
  return {Symbol::parse(symbol), turnover, launch, status};
}

std::vector<std::string> names(const std::vector<Symbol>& symbols) {
  std::vector<std::string> result;
  for (const Symbol& s : symbols) result.push_back(s.canonical());
  return result;
}

TEST(SymbolUniverse, FiltersThenRanksByTurnover) {
  UniverseRules rules;
  rules.size = 4;
  rules.core_size = 2;
  rules.core_exit_rank = 3;
  rules.min_turnover = 1e6;
  SymbolUniverse universe(rules);
  const auto update = universe.refresh(
      {candidate("BTCUSDT", 9e9), candidate("ETHUSDT", 5e9), candidate("USDCUSDT", 8e9),
       candidate("BTC3LUSDT", 7e7), candidate("ETHUPUSDT", 6e7), candidate("SOLUSDT", 3e9),
       candidate("DOGEUSDT", 2e9), candidate("XRPUSDT", 1e9), candidate("TINYUSDT", 5e5),
       candidate("NEWUSDT", 4e9, kNow - 2 * kDayMs), candidate("HALTUSDT", 6e9, 0, "Settling"),
       candidate("ETHBTC", 9e9)},
      kNow);
  // Stablecoin, leveraged tokens, too small, too new, not trading, not USDT: all out.
  EXPECT_EQ(names(update.symbols),
            (std::vector<std::string>{"BTCUSDT", "ETHUSDT", "SOLUSDT", "DOGEUSDT"}));
  EXPECT_EQ(names(universe.core()), (std::vector<std::string>{"BTCUSDT", "ETHUSDT"}));
  EXPECT_EQ(update.added.size(), 4u);
  EXPECT_TRUE(update.removed.empty());
  // JUPUSDT ends in UP but JU is not listed: not a leveraged token.
  EXPECT_FALSE(SymbolUniverse::excluded(Symbol::parse("JUPUSDT"), {"BTC", "ETH"}));
  EXPECT_TRUE(SymbolUniverse::excluded(Symbol::parse("BTCDOWNUSDT"), {"BTC"}));
}

// The sentiment hook: priority = turnover x (1 + weight x score), the score clamped to [-1, 1].
// With weight 0.5: BTC 9e9 x (1 - 0.5) = 4.5e9; ETH 5e9 x 1 = 5e9; SOL 3e9 x (1 + 0.5 x 1) =
// 4.5e9 (a score of 7 counts as 1), tied with BTC and ranked after it by name; DOGE 2e9 x 1.5 =
// 3e9. The minimum turnover looks at the turnover alone: TINY stays out whatever its score.
TEST(SymbolUniverse, SentimentRaisesOrLowersAPairsPriority) {
  UniverseRules rules;
  rules.size = 3;
  rules.core_size = 3;
  rules.core_exit_rank = 3;
  rules.min_turnover = 1e6;
  rules.sentiment_weight = 0.5;
  SymbolUniverse universe(rules);
  auto scored = [](const char* symbol, double turnover, double score) {
    UniverseCandidate c = candidate(symbol, turnover);
    c.score = score;
    return c;
  };
  const auto update = universe.refresh(
      {scored("BTCUSDT", 9e9, -1), scored("ETHUSDT", 5e9, 0), scored("SOLUSDT", 3e9, 7),
       scored("DOGEUSDT", 2e9, 1), scored("TINYUSDT", 5e5, 1)},
      kNow);
  EXPECT_EQ(names(update.symbols), (std::vector<std::string>{"ETHUSDT", "BTCUSDT", "SOLUSDT"}));
  // Without sentiment, turnover alone.
  rules.sentiment_weight = 0;
  SymbolUniverse plain(rules);
  EXPECT_EQ(names(plain
                      .refresh({scored("BTCUSDT", 9e9, -1), scored("ETHUSDT", 5e9, 0),
                                scored("SOLUSDT", 3e9, 7), scored("DOGEUSDT", 2e9, 1)},
                               kNow)
                      .symbols),
            (std::vector<std::string>{"BTCUSDT", "ETHUSDT", "SOLUSDT"}));
}

TEST(SymbolUniverse, TheCoreIsStableAndTheTailRotates) {
  UniverseRules rules;
  rules.size = 3;
  rules.core_size = 1;
  rules.core_exit_rank = 2;
  rules.min_turnover = 0;
  SymbolUniverse universe(rules);
  universe.refresh({candidate("BTCUSDT", 10), candidate("ETHUSDT", 9), candidate("SOLUSDT", 8),
                    candidate("XRPUSDT", 7)},
                   kNow);
  EXPECT_EQ(names(universe.core()), std::vector<std::string>{"BTCUSDT"});
  // BTC drops to rank 2: still within core_exit_rank, it stays in the core.
  auto update = universe.refresh({candidate("BTCUSDT", 9), candidate("ETHUSDT", 10),
                                  candidate("SOLUSDT", 6), candidate("XRPUSDT", 8)},
                                 kNow + kHourMs);
  EXPECT_EQ(names(universe.core()), std::vector<std::string>{"BTCUSDT"});
  EXPECT_EQ(names(update.symbols),
            (std::vector<std::string>{"BTCUSDT", "ETHUSDT", "XRPUSDT"}));  // the tail rotated
  EXPECT_EQ(names(update.added), std::vector<std::string>{"XRPUSDT"});
  EXPECT_EQ(names(update.removed), std::vector<std::string>{"SOLUSDT"});
  // Rank 3: beyond core_exit_rank, the core takes the new leader.
  universe.refresh({candidate("BTCUSDT", 7), candidate("ETHUSDT", 10), candidate("SOLUSDT", 9),
                    candidate("XRPUSDT", 8)},
                   kNow + 2 * kHourMs);
  EXPECT_EQ(names(universe.core()), std::vector<std::string>{"ETHUSDT"});
}

TEST(SymbolUniverse, SpikesAreTurnoverJumpsAgainstTheSymbolsOwnAverage) {
  UniverseRules rules;
  rules.min_turnover = 0;
  rules.spike_ratio = 3.0;
  SymbolUniverse universe(rules);
  universe.refresh({candidate("BTCUSDT", 100), candidate("PEPEUSDT", 10)}, kNow);
  EXPECT_TRUE(
      universe.refresh({candidate("BTCUSDT", 110), candidate("PEPEUSDT", 12)}, kNow + kHourMs)
          .spikes.empty())
      << "two refreshes are needed before a spike";
  // PEPE: 40 > 3 x mean(10, 12) = 33; BTC 120 is not > 3 x 105.
  const auto update =
      universe.refresh({candidate("BTCUSDT", 120), candidate("PEPEUSDT", 40)}, kNow + 2 * kHourMs);
  EXPECT_EQ(names(update.spikes), std::vector<std::string>{"PEPEUSDT"});
}

TEST(SymbolUniverse, RefreshesWhenItsIntervalHasPassed) {
  SymbolUniverse universe;
  EXPECT_TRUE(universe.due(kNow));
  universe.refresh({}, kNow);
  EXPECT_TRUE(universe.symbols().empty());
  EXPECT_FALSE(universe.due(kNow + kHourMs - 1));
  EXPECT_TRUE(universe.due(kNow + kHourMs));
}

// --- Persistence ------------------------------------------------------------------------------

UniverseRules small_rules() {
  UniverseRules rules;
  rules.size = 3;
  rules.core_size = 1;
  rules.core_exit_rank = 2;
  rules.min_turnover = 0;
  rules.spike_ratio = 3.0;
  rules.spike_window = 4;
  return rules;
}

// Turnovers that are not round numbers, per refresh, and NaN and infinities as a broken feed
// might send them: the history keeps them all.
std::map<std::string, std::vector<double>> turnover_series() {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  return {{"BTCUSDT", {1e10 / 3, 1e10 / 7, 0.1 + 0.2}},
          {"ETHUSDT", {2.5e9 + 0.1, 1e10 / 3 + 1, 1e9 / 3}},
          {"SOLUSDT", {1e9 / 7, 3e9 / 11, 1e9 / 13}},
          {"PEPEUSDT", {1e7 / 3, 1e7 / 9, 1e7 / 7}},
          {"DUSTUSDT", {std::numeric_limits<double>::denorm_min(), 0.0, -0.0}},
          {"NANUSDT", {nan, nan, 1.5}},
          {"INFUSDT", {inf, -inf, 1e308}}};
}

std::vector<UniverseCandidate> candidates_at(std::size_t refresh) {
  std::vector<UniverseCandidate> candidates;
  for (const auto& [name, turnovers] : turnover_series()) {
    candidates.push_back(candidate(name.c_str(), turnovers[refresh]));
  }
  return candidates;
}

TEST(SymbolUniverseState, ARestoredUniverseSavesTheSameBytesAndRefreshesTheSame) {
  SymbolUniverse original(small_rules());
  for (std::size_t i = 0; i < 3; ++i) {
    original.refresh(candidates_at(i), kNow + static_cast<TimestampMs>(i) * kHourMs);
  }
  const std::string saved = original.save_state();
  EXPECT_EQ(original.save_state(), saved) << "saving is deterministic";

  SymbolUniverse restored(small_rules());
  restored.restore_state(saved);
  EXPECT_EQ(restored.save_state(), saved);
  EXPECT_EQ(names(restored.symbols()), names(original.symbols()));
  EXPECT_EQ(names(restored.core()), names(original.core()));
  EXPECT_FALSE(restored.due(kNow + 3 * kHourMs - 1));
  EXPECT_TRUE(restored.due(kNow + 3 * kHourMs));

  // Every turnover is saved bit for bit; those JSON cannot hold as numbers are named.
  const nlohmann::json document = nlohmann::json::parse(saved);
  for (const auto& [name, turnovers] : turnover_series()) {
    const nlohmann::json& history = document.at("history").at(name);
    ASSERT_EQ(history.size(), turnovers.size()) << name;
    for (std::size_t i = 0; i < turnovers.size(); ++i) {
      if (std::isnan(turnovers[i])) {
        EXPECT_EQ(history[i], "nan");
      } else if (std::isinf(turnovers[i])) {
        EXPECT_EQ(history[i], turnovers[i] > 0 ? "inf" : "-inf");
      } else {
        EXPECT_EQ(std::bit_cast<uint64_t>(history[i].get<double>()),
                  std::bit_cast<uint64_t>(turnovers[i]))
            << name << " " << i;
      }
    }
  }

  // The next refresh: PEPE spikes against its own history, which a universe that starts
  // afresh does not have.
  std::vector<UniverseCandidate> next = candidates_at(2);
  for (UniverseCandidate& c : next) {
    if (c.symbol.canonical() == "PEPEUSDT") c.turnover_24h = 1e8;  // > 3 x its average
  }
  const UniverseUpdate expected = original.refresh(next, kNow + 3 * kHourMs);
  const UniverseUpdate update = restored.refresh(next, kNow + 3 * kHourMs);
  EXPECT_EQ(names(update.symbols), names(expected.symbols));
  EXPECT_EQ(names(update.added), names(expected.added));
  EXPECT_EQ(names(update.removed), names(expected.removed));
  EXPECT_EQ(names(update.spikes), names(expected.spikes));
  EXPECT_EQ(names(expected.spikes), std::vector<std::string>{"PEPEUSDT"});
  EXPECT_EQ(restored.save_state(), original.save_state());
  EXPECT_TRUE(SymbolUniverse(small_rules()).refresh(next, kNow + 3 * kHourMs).spikes.empty());
}

TEST(SymbolUniverseState, AFreshUniverseRoundTrips) {
  const SymbolUniverse fresh(small_rules());
  SymbolUniverse restored(small_rules());
  restored.refresh(candidates_at(0), kNow);
  restored.restore_state(fresh.save_state());
  EXPECT_EQ(restored.save_state(), fresh.save_state());
  EXPECT_TRUE(restored.symbols().empty());
  EXPECT_TRUE(restored.due(kNow));
}

TEST(SymbolUniverseState, MalformedStateThrowsAndKeepsTheUniverse) {
  SymbolUniverse universe(small_rules());
  universe.refresh(candidates_at(0), kNow);
  const std::string saved = universe.save_state();
  const std::string valid_rest = R"("core":[],"history":{},"last_refresh":1})";
  const std::vector<std::string> malformed = {
      "",
      "not json",
      "[]",
      "{}",
      saved.substr(0, saved.size() - 1),
      R"({"symbols":["BTC"],)" + valid_rest,
      R"({"symbols":"BTCUSDT",)" + valid_rest,
      R"({"symbols":[7],)" + valid_rest,
      R"({"symbols":[],"core":[],"history":[],"last_refresh":1})",
      R"({"symbols":[],"core":[],"history":{"BTCUSDT":1.5},"last_refresh":1})",
      R"({"symbols":[],"core":[],"history":{"BTCUSDT":["lots"]},"last_refresh":1})",
      R"({"symbols":[],"core":[],"history":{"BTCUSDT":[null]},"last_refresh":1})",
      R"({"symbols":[],"core":[],"history":{},"last_refresh":"now"})",
  };
  for (const std::string& text : malformed) {
    EXPECT_THROW(universe.restore_state(text), StateError) << text;
    EXPECT_EQ(universe.save_state(), saved) << "a failed restore keeps the universe: " << text;
  }
}

}  // namespace
}  // namespace gauntlet::data
