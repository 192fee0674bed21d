#include "capital/exposure_manager.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <optional>
#include <vector>

#include "core/config.hpp"
#include "core/exceptions.hpp"

namespace gauntlet::capital {
namespace {

using namespace gauntlet::literals;

const Symbol kBtc = Symbol::parse("BTCUSDT");
const Symbol kEth = Symbol::parse("ETHUSDT");
const Symbol kSol = Symbol::parse("SOLUSDT");
const Symbol kXrp = Symbol::parse("XRPUSDT");
const Symbol kDoge = Symbol::parse("DOGEUSDT");
const Symbol kLink = Symbol::parse("LINKUSDT");
const Symbol kEur = Symbol::parse("EURUSD");

constexpr OrderSide kBuy = OrderSide::kBuy;
constexpr OrderSide kSell = OrderSide::kSell;

// $1000 in spot, perp and forex, $0 in options.
const std::array<Decimal, 4> kAllocations = {Decimal::from_int(1000), Decimal::from_int(1000),
                                             Decimal::from_int(1000), Decimal::zero()};

// The i-th return of a series that is not constant: (7i mod 11 - 5) / 1000.
double base_return(int i) {
  return ((i * 7) % 11 - 5) * 0.001;
}

// Caps without clusters, so that only the total and correlation caps apply.
config::ExposureCaps correlation_only_caps() {
  config::ExposureCaps caps = config::default_exposure_caps();
  caps.clusters.clear();
  return caps;
}

// --- already_open and the total cap -----------------------------------------------------------

TEST(ExposureManagerTest, AnEmptyBookAllowsAnything) {
  ExposureManager exposure(config::default_exposure_caps(), kAllocations);
  EXPECT_TRUE(exposure.can_open(Asset::kSpot, kBtc, kBuy, "100"_d).ok);
  EXPECT_TRUE(exposure.can_open(Asset::kForex, kEur, kSell, "300"_d).ok);
}

TEST(ExposureManagerTest, RefusesASecondPositionOnTheSameSymbolAndAsset) {
  ExposureManager exposure(config::default_exposure_caps(), kAllocations);
  exposure.on_position_opened(Asset::kSpot, kBtc, kBuy, "100"_d);
  const Decision refused = exposure.can_open(Asset::kSpot, kBtc, kBuy, "50"_d);
  EXPECT_EQ(refused.code(), "already_open");
  EXPECT_EQ(refused.reason, "already_open: BTCUSDT has an open spot buy position");
  EXPECT_EQ(exposure.can_open(Asset::kSpot, kBtc, kSell, "50"_d).reason,
            "already_open: BTCUSDT has an open spot buy position");
}

TEST(ExposureManagerTest, TheSameSymbolInAnotherAssetIsAnotherPosition) {
  ExposureManager exposure(config::default_exposure_caps(), kAllocations);
  exposure.on_position_opened(Asset::kSpot, kBtc, kBuy, "100"_d);
  // Short the perpetual against the spot holding: a hedge, allowed.
  EXPECT_TRUE(exposure.can_open(Asset::kPerp, kBtc, kSell, "100"_d).ok);
  // Long the perpetual too: the same bet twice (a symbol correlates 1 with itself).
  EXPECT_EQ(exposure.can_open(Asset::kPerp, kBtc, kBuy, "100"_d).reason,
            "correlation_cap: BTCUSDT correlates 1.000 with open BTCUSDT (spot buy), cap 0.800");
}

TEST(ExposureManagerTest, MaxConcurrentTotalCountsEveryAsset) {
  config::ExposureCaps caps = correlation_only_caps();
  caps.max_concurrent_total = 3;
  ExposureManager exposure(caps, kAllocations);
  exposure.on_position_opened(Asset::kSpot, kXrp, kBuy, "10"_d);
  exposure.on_position_opened(Asset::kPerp, kDoge, kSell, "10"_d);
  EXPECT_TRUE(exposure.can_open(Asset::kForex, kEur, kBuy, "10"_d).ok);
  exposure.on_position_opened(Asset::kForex, kEur, kBuy, "10"_d);

  const Decision refused = exposure.can_open(Asset::kSpot, kLink, kBuy, "10"_d);
  EXPECT_EQ(refused.code(), "max_concurrent_total");
  EXPECT_EQ(refused.reason, "max_concurrent_total: 3 open of 3");

  EXPECT_TRUE(exposure.on_position_closed(Asset::kPerp, kDoge));
  EXPECT_TRUE(exposure.can_open(Asset::kSpot, kLink, kBuy, "10"_d).ok);
  EXPECT_FALSE(exposure.on_position_closed(Asset::kPerp, kDoge));
}

// --- Clusters ---------------------------------------------------------------------------------

TEST(ExposureManagerTest, ClusterConcurrencyCountsEveryAsset) {
  // btc_and_l1s allows 2 concurrent positions.
  ExposureManager exposure(config::default_exposure_caps(), kAllocations);
  exposure.on_position_opened(Asset::kSpot, kBtc, kBuy, "100"_d);
  exposure.on_position_opened(Asset::kPerp, kEth, kSell, "100"_d);

  const Decision refused = exposure.can_open(Asset::kSpot, kSol, kBuy, "10"_d);
  EXPECT_EQ(refused.code(), "cluster_concurrency");
  EXPECT_EQ(refused.reason, "cluster_concurrency: btc_and_l1s has 2 of 2");
  EXPECT_EQ(exposure.can_open(Asset::kPerp, kSol, kSell, "10"_d).reason,
            "cluster_concurrency: btc_and_l1s has 2 of 2");
  // A symbol outside the cluster, and a symbol of another cluster, are not affected.
  EXPECT_TRUE(exposure.can_open(Asset::kSpot, kXrp, kBuy, "10"_d).ok);
  EXPECT_TRUE(exposure.can_open(Asset::kForex, kEur, kBuy, "10"_d).ok);

  exposure.on_position_closed(Asset::kPerp, kEth);
  EXPECT_TRUE(exposure.can_open(Asset::kSpot, kSol, kBuy, "10"_d).ok);
}

TEST(ExposureManagerTest, ClusterAllocationIsAFractionOfTheAssetsAllocation) {
  // btc_and_l1s may hold 0.30 x 1000 = 300 of notional in one asset.
  ExposureManager exposure(config::default_exposure_caps(), kAllocations);
  exposure.on_position_opened(Asset::kSpot, kBtc, kBuy, "200"_d);

  const Decision refused = exposure.can_open(Asset::kSpot, kEth, kSell, "150"_d);
  EXPECT_EQ(refused.code(), "cluster_allocation");
  EXPECT_EQ(refused.reason,
            "cluster_allocation: btc_and_l1s would hold 350 of cap 300 (0.3 of the spot "
            "allocation 1000)");
  // 200 + 100 = 300: at the cap is allowed.
  EXPECT_TRUE(exposure.can_open(Asset::kSpot, kEth, kSell, "100"_d).ok);
  EXPECT_FALSE(exposure.can_open(Asset::kSpot, kEth, kSell, "100.000000001"_d).ok);
  // The perp bucket's share of the cluster is separate: 0 + 150 <= 300.
  EXPECT_TRUE(exposure.can_open(Asset::kPerp, kEth, kSell, "150"_d).ok);
  // A symbol in no cluster has no allocation cap.
  EXPECT_TRUE(exposure.can_open(Asset::kSpot, kXrp, kBuy, "900"_d).ok);
}

TEST(ExposureManagerTest, ClusterAllocationFollowsTheAllocation) {
  ExposureManager exposure(config::default_exposure_caps(), kAllocations);
  exposure.on_position_opened(Asset::kSpot, kBtc, kBuy, "100"_d);
  EXPECT_TRUE(exposure.can_open(Asset::kSpot, kEth, kSell, "150"_d).ok);

  exposure.set_allocation(Asset::kSpot, "500"_d);  // cap 150
  EXPECT_EQ(exposure.allocation(Asset::kSpot), "500"_d);
  EXPECT_EQ(exposure.can_open(Asset::kSpot, kEth, kSell, "100"_d).reason,
            "cluster_allocation: btc_and_l1s would hold 200 of cap 150 (0.3 of the spot "
            "allocation 500)");
  EXPECT_TRUE(exposure.can_open(Asset::kSpot, kEth, kSell, "50"_d).ok);

  // Options have no allocation: every clustered position is over a cap of 0.
  EXPECT_EQ(exposure.can_open(Asset::kOptions, kEur, kBuy, "1"_d).reason,
            "cluster_allocation: usd_majors would hold 1 of cap 0 (0.3 of the options "
            "allocation 0)");
}

TEST(ExposureManagerTest, ClusterAllocationUsesTheConfiguredFraction) {
  config::ExposureCaps caps = config::default_exposure_caps();
  caps.clusters[1].max_allocation_fraction = 0.125;  // usd_majors: 0.125 x 1000 = 125
  caps.clusters[1].max_concurrent = 3;
  ExposureManager exposure(caps, kAllocations);
  exposure.on_position_opened(Asset::kForex, Symbol::parse("GBPUSD"), kBuy, "100"_d);
  EXPECT_EQ(exposure.can_open(Asset::kForex, kEur, kSell, "26"_d).reason,
            "cluster_allocation: usd_majors would hold 126 of cap 125 (0.125 of the forex "
            "allocation 1000)");
  EXPECT_TRUE(exposure.can_open(Asset::kForex, kEur, kSell, "25"_d).ok);
}

// --- Correlation ------------------------------------------------------------------------------

TEST(ExposureManagerTest, PearsonOfConstructedSeries) {
  ExposureManager exposure(correlation_only_caps(), kAllocations);
  for (int i = 0; i < 30; ++i) {
    exposure.record_return(kBtc, base_return(i));
    exposure.record_return(kEth, 2 * base_return(i) + 0.0005);  // perfectly correlated
    exposure.record_return(kXrp, -base_return(i));              // perfectly anti-correlated
    exposure.record_return(kDoge, 0.001);                       // no variance
  }
  ASSERT_TRUE(exposure.correlation(kBtc, kEth).has_value());
  EXPECT_NEAR(*exposure.correlation(kBtc, kEth), 1.0, 1e-12);
  EXPECT_NEAR(*exposure.correlation(kEth, kBtc), 1.0, 1e-12);
  ASSERT_TRUE(exposure.correlation(kBtc, kXrp).has_value());
  EXPECT_NEAR(*exposure.correlation(kBtc, kXrp), -1.0, 1e-12);
  EXPECT_EQ(exposure.correlation(kBtc, kDoge), std::nullopt);
  EXPECT_EQ(exposure.correlation(kBtc, kLink), std::nullopt);  // no returns at all
  EXPECT_EQ(exposure.correlation(kLink, kLink), 1.0);          // itself, without data
}

TEST(ExposureManagerTest, PearsonOfAHandComputedSeries) {
  // x alternates +1, -1 over 20 bars; y equals x except at bars 0 and 1, where it is flipped
  // (y keeps mean 0). Sum x*y = 18 - 2 = 16, sum x^2 = sum y^2 = 20: r = 16 / 20 = 0.8.
  ExposureManager exposure(correlation_only_caps(), kAllocations);
  for (int i = 0; i < 20; ++i) {
    const double x = i % 2 == 0 ? 1.0 : -1.0;
    exposure.record_return(kBtc, x);
    exposure.record_return(kEth, i < 2 ? -x : x);
  }
  ASSERT_TRUE(exposure.correlation(kBtc, kEth).has_value());
  EXPECT_DOUBLE_EQ(*exposure.correlation(kBtc, kEth), 0.8);

  // r = 0.8 is at the default cap 0.8: allowed (the cap is inclusive).
  exposure.on_position_opened(Asset::kSpot, kBtc, kBuy, "100"_d);
  EXPECT_TRUE(exposure.can_open(Asset::kSpot, kEth, kBuy, "100"_d).ok);

  config::ExposureCaps tighter = correlation_only_caps();
  tighter.max_correlation = 0.7;
  exposure.set_caps(tighter);
  EXPECT_EQ(exposure.can_open(Asset::kSpot, kEth, kBuy, "100"_d).reason,
            "correlation_cap: ETHUSDT correlates 0.800 with open BTCUSDT (spot buy), cap 0.700");
}

TEST(ExposureManagerTest, TooFewAlignedReturnsAreUnknownAndAllowed) {
  ExposureManager exposure(correlation_only_caps(), kAllocations);
  for (int i = 0; i < 30; ++i) exposure.record_return(kBtc, base_return(i));
  // 19 returns of ETH: 19 aligned pairs, one short of 20.
  for (int i = 11; i < 30; ++i) exposure.record_return(kEth, base_return(i));
  EXPECT_EQ(exposure.correlation(kBtc, kEth), std::nullopt);
  exposure.on_position_opened(Asset::kSpot, kBtc, kBuy, "100"_d);
  EXPECT_TRUE(exposure.can_open(Asset::kPerp, kEth, kBuy, "100"_d).ok);

  // The 20th return makes it known (and perfectly correlated: the series align at the end).
  exposure.record_return(kBtc, base_return(30));
  exposure.record_return(kEth, base_return(30));
  ASSERT_TRUE(exposure.correlation(kBtc, kEth).has_value());
  EXPECT_NEAR(*exposure.correlation(kBtc, kEth), 1.0, 1e-12);
  EXPECT_EQ(exposure.can_open(Asset::kPerp, kEth, kBuy, "100"_d).code(), "correlation_cap");
}

TEST(ExposureManagerTest, SeriesAlignAtTheirMostRecentReturn) {
  // BTC has 40 returns, ETH the last 25 of them: aligned at the end they are identical (r = 1).
  // Aligned at the start (BTC's first 25 against ETH's 25) they would not be.
  ExposureManager exposure(correlation_only_caps(), kAllocations);
  for (int i = 0; i < 40; ++i) exposure.record_return(kBtc, base_return(i));
  for (int i = 15; i < 40; ++i) exposure.record_return(kEth, base_return(i));
  ASSERT_TRUE(exposure.correlation(kBtc, kEth).has_value());
  EXPECT_NEAR(*exposure.correlation(kBtc, kEth), 1.0, 1e-12);
}

TEST(ExposureManagerTest, TheWindowDropsOldReturns) {
  // Window 20: the first 20 bars move together, the last 20 opposite; only the last count.
  config::ExposureCaps caps = correlation_only_caps();
  caps.correlation_window_bars = 20;
  ExposureManager exposure(caps, kAllocations);
  for (int i = 0; i < 40; ++i) {
    exposure.record_return(kBtc, base_return(i));
    exposure.record_return(kEth, i < 20 ? base_return(i) : -base_return(i));
  }
  ASSERT_TRUE(exposure.correlation(kBtc, kEth).has_value());
  EXPECT_NEAR(*exposure.correlation(kBtc, kEth), -1.0, 1e-12);
}

TEST(ExposureManagerTest, ShrinkingTheWindowTrimsTheSeries) {
  // 30 bars: the first 20 move together, the last 10 opposite. Over all 30, r is in (-1, 1);
  // with the window cut to 10 only the opposite bars remain (10 >= min(20, 10) samples).
  ExposureManager exposure(correlation_only_caps(), kAllocations);
  for (int i = 0; i < 30; ++i) {
    exposure.record_return(kBtc, base_return(i));
    exposure.record_return(kEth, i < 20 ? base_return(i) : -base_return(i));
  }
  const std::optional<double> before = exposure.correlation(kBtc, kEth);
  ASSERT_TRUE(before.has_value());
  EXPECT_GT(*before, -0.99);
  EXPECT_LT(*before, 0.99);

  config::ExposureCaps caps = correlation_only_caps();
  caps.correlation_window_bars = 10;
  exposure.set_caps(caps);
  ASSERT_TRUE(exposure.correlation(kBtc, kEth).has_value());
  EXPECT_NEAR(*exposure.correlation(kBtc, kEth), -1.0, 1e-12);
}

class CorrelationCapTest : public ::testing::Test {
 protected:
  CorrelationCapTest() {
    for (int i = 0; i < 30; ++i) {
      exposure_.record_return(kBtc, base_return(i));
      exposure_.record_return(kEth, 2 * base_return(i) + 0.0005);  // r = +1 with BTC
      exposure_.record_return(kXrp, -base_return(i));              // r = -1 with BTC
    }
    for (int i = 0; i < 19; ++i) exposure_.record_return(kDoge, base_return(i));  // too short
    exposure_.on_position_opened(Asset::kSpot, kBtc, kBuy, "100"_d);
  }

  ExposureManager exposure_{correlation_only_caps(), kAllocations};
};

TEST_F(CorrelationCapTest, ACorrelatedPositionInTheSameDirectionIsRefused) {
  const Decision refused = exposure_.can_open(Asset::kSpot, kEth, kBuy, "100"_d);
  EXPECT_EQ(refused.code(), "correlation_cap");
  EXPECT_EQ(refused.reason,
            "correlation_cap: ETHUSDT correlates 1.000 with open BTCUSDT (spot buy), cap 0.800");
  // The cap applies across assets too.
  EXPECT_EQ(exposure_.can_open(Asset::kPerp, kEth, kBuy, "100"_d).code(), "correlation_cap");
}

TEST_F(CorrelationCapTest, ACorrelatedPositionInTheOtherDirectionIsAHedge) {
  EXPECT_TRUE(exposure_.can_open(Asset::kSpot, kEth, kSell, "100"_d).ok);
}

TEST_F(CorrelationCapTest, AnAntiCorrelatedPositionInTheSameDirectionIsAHedge) {
  EXPECT_TRUE(exposure_.can_open(Asset::kSpot, kXrp, kBuy, "100"_d).ok);
}

TEST_F(CorrelationCapTest, ShortingAnAntiCorrelatedSymbolIsTheSameBetTwice) {
  EXPECT_EQ(exposure_.can_open(Asset::kSpot, kXrp, kSell, "100"_d).reason,
            "correlation_cap: XRPUSDT correlates -1.000 with open BTCUSDT (spot buy), cap 0.800");
}

TEST_F(CorrelationCapTest, AnUnknownCorrelationIsAllowed) {
  EXPECT_TRUE(exposure_.can_open(Asset::kSpot, kDoge, kBuy, "100"_d).ok);
  EXPECT_TRUE(exposure_.can_open(Asset::kSpot, kLink, kBuy, "100"_d).ok);  // no returns
}

TEST_F(CorrelationCapTest, ClosingTheCorrelatedPositionLiftsTheCap) {
  ASSERT_TRUE(exposure_.on_position_closed(Asset::kSpot, kBtc));
  EXPECT_TRUE(exposure_.can_open(Asset::kSpot, kEth, kBuy, "100"_d).ok);
}

TEST_F(CorrelationCapTest, TheMostCorrelatedOpenPositionIsNamed) {
  // LINK: r with ETH about 0.9 (ETH's series with every 5th return zeroed) and open long;
  // BTC: r = 1 with ETH and open long. The refusal names BTC, the highest.
  config::ExposureCaps caps = correlation_only_caps();
  ExposureManager exposure(caps, kAllocations);
  for (int i = 0; i < 30; ++i) {
    exposure.record_return(kBtc, base_return(i));
    exposure.record_return(kEth, base_return(i));
    exposure.record_return(kLink, i % 5 == 0 ? 0.0 : base_return(i));
  }
  const std::optional<double> link = exposure.correlation(kEth, kLink);
  ASSERT_TRUE(link.has_value());
  EXPECT_GT(*link, 0.8);
  EXPECT_LT(*link, 1.0);
  exposure.on_position_opened(Asset::kSpot, kLink, kBuy, "10"_d);
  exposure.on_position_opened(Asset::kPerp, kBtc, kBuy, "10"_d);
  EXPECT_EQ(exposure.can_open(Asset::kSpot, kEth, kBuy, "10"_d).reason,
            "correlation_cap: ETHUSDT correlates 1.000 with open BTCUSDT (perp buy), cap 0.800");
}

TEST(ExposureManagerTest, ANonFiniteReturnAborts) {
  ExposureManager exposure(correlation_only_caps(), kAllocations);
  EXPECT_DEATH(exposure.record_return(kBtc, std::numeric_limits<double>::quiet_NaN()),
               "return of BTCUSDT must be finite");
}

TEST(ExposureManagerTest, InvalidCapsAreAConfigError) {
  config::ExposureCaps caps = config::default_exposure_caps();
  caps.max_concurrent_total = 0;
  caps.clusters[0].max_allocation_fraction = 1.5;
  try {
    ExposureManager exposure(caps, kAllocations);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& error) {
    ASSERT_EQ(error.problems().size(), 2u);
    EXPECT_EQ(error.problems()[0],
              "exposure_caps.max_concurrent_total: must be at least 1 (got 0)");
    EXPECT_EQ(error.problems()[1],
              "exposure_caps.clusters.btc_and_l1s.max_allocation_fraction: must be a fraction in "
              "[0, 1] (got 1.5)");
  }
}

// --- current_exposure -------------------------------------------------------------------------

TEST(ExposureManagerTest, CurrentExposureSumsByAssetClusterAndSymbol) {
  ExposureManager exposure(config::default_exposure_caps(), kAllocations);
  ExposureSnapshot empty = exposure.current_exposure();
  EXPECT_EQ(empty.open_positions, 0);
  EXPECT_TRUE(empty.positions.empty());
  ASSERT_EQ(empty.clusters.size(), 2u);
  EXPECT_EQ(empty.clusters[0], (ClusterExposure{"btc_and_l1s", 0, 2, "0"_d}));
  EXPECT_EQ(empty.clusters[1], (ClusterExposure{"usd_majors", 0, 2, "0"_d}));

  exposure.on_position_opened(Asset::kForex, kEur, kSell, "1000"_d);
  exposure.on_position_opened(Asset::kPerp, kXrp, kBuy, "50"_d);
  exposure.on_position_opened(Asset::kPerp, kEth, kSell, "150"_d);
  exposure.on_position_opened(Asset::kSpot, kBtc, kBuy, "200"_d);

  const ExposureSnapshot snapshot = exposure.current_exposure();
  EXPECT_EQ(snapshot.open_positions, 4);
  EXPECT_EQ(snapshot.gross(Asset::kSpot), "200"_d);
  EXPECT_EQ(snapshot.gross(Asset::kPerp), "200"_d);  // 50 + 150
  EXPECT_EQ(snapshot.gross(Asset::kForex), "1000"_d);
  EXPECT_EQ(snapshot.gross(Asset::kOptions), "0"_d);
  EXPECT_EQ(snapshot.net(Asset::kSpot), "200"_d);
  EXPECT_EQ(snapshot.net(Asset::kPerp), "-100"_d);  // 50 - 150
  EXPECT_EQ(snapshot.net(Asset::kForex), "-1000"_d);

  ASSERT_EQ(snapshot.clusters.size(), 2u);
  EXPECT_EQ(snapshot.clusters[0], (ClusterExposure{"btc_and_l1s", 2, 2, "350"_d}));  // BTC + ETH
  EXPECT_EQ(snapshot.clusters[1], (ClusterExposure{"usd_majors", 1, 2, "1000"_d}));

  // Ordered by asset (spot, perp, forex, options), then symbol.
  const std::vector<SymbolExposure> expected = {
      {Asset::kSpot, kBtc, kBuy, "200"_d},
      {Asset::kPerp, kEth, kSell, "150"_d},
      {Asset::kPerp, kXrp, kBuy, "50"_d},
      {Asset::kForex, kEur, kSell, "1000"_d},
  };
  EXPECT_EQ(snapshot.positions, expected);
}

TEST(ExposureManagerTest, ReopeningUpdatesAndClosingForgets) {
  ExposureManager exposure(config::default_exposure_caps(), kAllocations);
  exposure.on_position_opened(Asset::kSpot, kBtc, kBuy, "200"_d);
  exposure.on_position_opened(Asset::kSpot, kBtc, kBuy, "250"_d);  // scaled in: the venue's net
  ExposureSnapshot snapshot = exposure.current_exposure();
  ASSERT_EQ(snapshot.positions.size(), 1u);
  EXPECT_EQ(snapshot.positions[0], (SymbolExposure{Asset::kSpot, kBtc, kBuy, "250"_d}));
  EXPECT_EQ(snapshot.clusters[0].notional, "250"_d);

  exposure.on_position_opened(Asset::kSpot, kBtc, kSell, "40"_d);  // flipped
  snapshot = exposure.current_exposure();
  EXPECT_EQ(snapshot.net(Asset::kSpot), "-40"_d);

  EXPECT_TRUE(exposure.on_position_closed(Asset::kSpot, kBtc));
  snapshot = exposure.current_exposure();
  EXPECT_EQ(snapshot.open_positions, 0);
  EXPECT_EQ(snapshot.gross(Asset::kSpot), "0"_d);
  EXPECT_EQ(snapshot.clusters[0], (ClusterExposure{"btc_and_l1s", 0, 2, "0"_d}));
  EXPECT_FALSE(exposure.on_position_closed(Asset::kSpot, kBtc));
}

}  // namespace
}  // namespace gauntlet::capital
