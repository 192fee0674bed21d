// The symbol universe: filters, turnover ranking, a stable core with hysteresis, a rotating
// tail, and spikes against each symbol's own recent turnover.
#include "data/symbol_universe.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace gauntlet::data
