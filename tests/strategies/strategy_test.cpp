// The rule-based families: parameter spaces, signals with protective levels on the right
// sides, no lookahead (a prefix of the bars gives the same signals), and 5m confirmation.
#include "strategies/strategy.hpp"

#include <gtest/gtest.h>

#include <map>

#include "core/exceptions.hpp"
#include "data/bar_import.hpp"
#include "data/resampler.hpp"
#include "support/shared_data.hpp"

namespace gauntlet::strategies {
namespace {

using indicators::BarInput;

BarInput input(const Bar& bar) {
  return {bar.open.to_double(), bar.high.to_double(), bar.low.to_double(), bar.close.to_double(),
          bar.volume.to_double()};
}

TEST(Strategies, EveryFamilyDeclaresItsParameterSpace) {
  ASSERT_EQ(families().size(), 8u);
  for (const FamilyInfo& family : families()) {
    EXPECT_FALSE(family.parameters.empty()) << family.name;
    for (const ParameterSpec& p : family.parameters) {
      EXPECT_LE(p.minimum, p.default_value) << family.name << " " << p.name;
      EXPECT_LE(p.default_value, p.maximum) << family.name << " " << p.name;
    }
    EXPECT_EQ(make_strategy(family.name, {})->family(), family.name);
  }
  EXPECT_THROW(make_strategy("astrology", {}), ArgumentError);
  EXPECT_THROW(make_strategy("ema_cross", {{"fast", 1}}), ArgumentError);
  EXPECT_THROW(make_strategy("ema_cross", {{"colour", 3}}), ArgumentError);
}

TEST(Strategies, AnEmaCrossAfterAFallBuysWithItsStopBelowAndTargetAbove) {
  auto strategy = make_strategy("ema_cross", {{"fast", 3}, {"slow", 10}});
  std::optional<Signal> first;
  double price = 200;
  for (int i = 0; i < 80 && !first; ++i) {
    price += i < 40 ? -1.0 : 2.0;  // down, then up
    auto s = strategy->on_primary_bar({price, price + 0.5, price - 0.5, price, 10});
    if (s && i >= 40) first = s;
  }
  ASSERT_TRUE(first);
  EXPECT_EQ(first->side, OrderSide::kBuy);
  EXPECT_LT(first->stop_loss, first->close);
  EXPECT_GT(first->take_profit, first->close);
  // Target 1.5 stop distances away.
  const double stop = (first->close - first->stop_loss).to_double();
  const double target = (first->take_profit - first->close).to_double();
  EXPECT_NEAR(target, 1.5 * stop, 1e-6);
}

TEST(Strategies, OnRealBarsEveryFamilySignalsSanelyAndSeesNoFuture) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  const auto path = data / "crypto/binance_spot/BTC_USDT-5m.json.gz";
  const std::vector<Bar> five = data::read_bar_file(path, data::guess_import(path)).bars;
  const std::vector<Bar> bars =
      data::resample(data::BarSeries::from_bars(five), Timeframe::k5m, Timeframe::k15m).to_bars();
  ASSERT_GT(bars.size(), 2500u);
  for (const FamilyInfo& family : families()) {
    SCOPED_TRACE(family.name);
    std::map<std::size_t, Signal> full;
    auto strategy = make_strategy(family.name, {});
    for (std::size_t i = 0; i < bars.size(); ++i) {
      if (auto s = strategy->on_primary_bar(input(bars[i]))) full[i] = *s;
    }
    EXPECT_GE(full.size(), 3u);
    for (const auto& [i, s] : full) {
      const bool buy = s.side == OrderSide::kBuy;
      EXPECT_TRUE(buy ? s.stop_loss < s.close && s.close < s.take_profit
                      : s.take_profit < s.close && s.close < s.stop_loss)
          << "bar " << i;
      EXPECT_GE(s.strength, 0.0);
      EXPECT_LE(s.strength, 1.0);
    }
    // No lookahead: cut the data at a signal and the signals up to it are the same.
    const std::size_t cut = bars.size() / 2;
    auto truncated = make_strategy(family.name, {});
    for (std::size_t i = 0; i < cut; ++i) {
      const auto s = truncated->on_primary_bar(input(bars[i]));
      const auto expected = full.find(i);
      ASSERT_EQ(s.has_value(), expected != full.end()) << "bar " << i;
      if (s) {
        EXPECT_EQ(s->stop_loss, expected->second.stop_loss);
      }
    }
  }
}

TEST(SignalConfirmer, TheNextFiveMinuteCloseMustAgree) {
  Signal buy;
  buy.side = OrderSide::kBuy;
  buy.close = Decimal::parse("100");
  SignalConfirmer confirmer;
  confirmer.propose(buy);
  EXPECT_TRUE(confirmer.pending());
  EXPECT_TRUE(confirmer.on_confirmation_bar({100, 101, 99.8, 100.5, 5}));
  EXPECT_FALSE(confirmer.pending());
  confirmer.propose(buy);
  EXPECT_FALSE(confirmer.on_confirmation_bar({100, 100.2, 99, 99.5, 5})) << "dropped";
  EXPECT_FALSE(confirmer.on_confirmation_bar({100, 102, 100, 101, 5})) << "nothing pending";
  Signal sell = buy;
  sell.side = OrderSide::kSell;
  confirmer.propose(sell);
  EXPECT_TRUE(confirmer.on_confirmation_bar({100, 100, 98, 99, 5}));
}

}  // namespace
}  // namespace gauntlet::strategies
