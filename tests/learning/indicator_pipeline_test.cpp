// The feature pipeline: streaming one bar at a time gives byte-identical rows to the batch
// build, on real bars; derived features follow their definitions; bad specs are refused.
#include "learning/features/indicator_pipeline.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "core/exceptions.hpp"
#include "data/bar_import.hpp"
#include "support/shared_data.hpp"

namespace gauntlet::learning {
namespace {

data::BarSeries load(const std::filesystem::path& path) {
  const auto imported = data::read_bar_file(path, data::guess_import(path));
  return data::BarSeries::from_bars(imported.bars);
}

class PipelineOnRealData : public ::testing::TestWithParam<const char*> {};

TEST_P(PipelineOnRealData, StreamingRowsAreByteIdenticalToTheBatchFrame) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  const data::BarSeries bars = load(data / GetParam());
  ASSERT_GT(bars.size(), 1000u);
  const FeatureFrame frame = build_features(bars);
  ASSERT_EQ(frame.rows(), bars.size());
  ASSERT_EQ(frame.names.size(),
            FeatureSpec::defaults().indicators.size() + FeatureSpec::defaults().derived.size());

  FeaturePipeline pipeline;
  ASSERT_EQ(pipeline.names(), frame.names);
  std::size_t defined = 0;
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const auto row = pipeline.update(bars.bar(i));
    for (std::size_t c = 0; c < frame.names.size(); ++c) {
      ASSERT_EQ(std::memcmp(&row[c], &frame.columns[c][i], sizeof(double)), 0)
          << frame.names[c] << " row " << i << ": streaming " << row[c] << ", batch "
          << frame.columns[c][i];
      defined += std::isnan(row[c]) ? 0 : 1;
    }
  }
  // Everything is warmed up well before the end: the last row has no NaN.
  for (std::size_t c = 0; c < frame.names.size(); ++c) {
    EXPECT_FALSE(std::isnan(frame.columns[c].back())) << frame.names[c];
  }
  EXPECT_GT(defined, bars.size() * frame.names.size() * 9 / 10);

  // After reset() the pipeline starts over and gives the same rows again.
  pipeline.reset();
  for (std::size_t i = 0; i < 300; ++i) {
    const auto row = pipeline.update(bars.bar(i));
    for (std::size_t c = 0; c < frame.names.size(); ++c) {
      ASSERT_EQ(std::memcmp(&row[c], &frame.columns[c][i], sizeof(double)), 0) << frame.names[c];
    }
  }
}

INSTANTIATE_TEST_SUITE_P(SharedData, PipelineOnRealData,
                         ::testing::Values("crypto/binance_spot/BTC_USDT-5m.json.gz",
                                           "crypto/binance_spot/DOGE_USDT-1m.json.gz",
                                           "forex/backtesting_py/EURUSD.csv.gz"));

TEST(Pipeline, ColumnsAreNanUntilWarmedUpAndDerivedFeaturesFollowTheirDefinitions) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  const data::BarSeries bars = load(data / "crypto/binance_spot/ETH_USDT-5m.json.gz");
  const FeatureFrame frame = build_features(bars);
  const auto close = bars.to_doubles(data::BarSeries::kClose);

  const auto sma200 = frame.column("sma_200");
  EXPECT_TRUE(std::isnan(sma200[198]));
  EXPECT_FALSE(std::isnan(sma200[199]));
  EXPECT_TRUE(std::isnan(frame.column("log_return")[0]));
  EXPECT_TRUE(std::isnan(frame.column("close_to_sma_200")[198]));

  for (std::size_t i : {300u, 1234u, 5000u}) {
    EXPECT_DOUBLE_EQ(frame.column("log_return")[i], std::log(close[i] / close[i - 1]));
    EXPECT_DOUBLE_EQ(frame.column("close_to_ema_30")[i],
                     close[i] / frame.column("ema_30")[i] - 1.0);
    EXPECT_DOUBLE_EQ(frame.column("ema_spread_9_30")[i],
                     frame.column("ema_9")[i] / frame.column("ema_30")[i] - 1.0);
    EXPECT_DOUBLE_EQ(frame.column("atr_percent_14")[i], frame.column("atr_14")[i] / close[i]);
    const double upper = frame.column("bb_upper_20_2")[i];
    const double lower = frame.column("bb_lower_20_2")[i];
    EXPECT_DOUBLE_EQ(frame.column("bb_percent_b_20_2")[i], (close[i] - lower) / (upper - lower));
    EXPECT_DOUBLE_EQ(frame.column("bb_width_20_2")[i],
                     (upper - lower) / frame.column("bb_middle_20_2")[i]);
    const double a = frame.column("fib_0_50")[i], b = frame.column("fib_1000_50")[i];
    const double position = frame.column("fib_position_50")[i];
    EXPECT_DOUBLE_EQ(position, (close[i] - std::min(a, b)) / std::abs(a - b));
    EXPECT_GE(position, 0.0);
    EXPECT_LE(position, 1.0);
  }
  EXPECT_THROW(frame.column("no_such_feature"), ArgumentError);
}

TEST(Pipeline, RefusesUnknownFeaturesAndDerivedFeaturesWithoutTheirInputs) {
  FeatureSpec spec;
  spec.indicators = {"rsi_14", "ema_9"};
  spec.derived = {"close_to_ema_30"};
  try {
    FeaturePipeline pipeline(spec);
    FAIL() << "accepted a derived feature without its input";
  } catch (const ArgumentError& error) {
    EXPECT_NE(std::string(error.what())
                  .find("'close_to_ema_30' needs the indicator column "
                        "'ema_30'"),
              std::string::npos)
        << error.what();
  }
  spec.derived = {"momentum_3"};
  EXPECT_THROW(FeaturePipeline{spec}, ArgumentError);
  spec.derived = {};
  spec.indicators = {"rsi_14", "nonsense_3"};
  EXPECT_THROW(FeaturePipeline{spec}, ArgumentError);

  // A requested column in short form satisfies a derived feature's canonical input.
  spec.indicators = {"atr"};
  spec.derived = {"atr_percent_14", "log_return"};
  FeaturePipeline pipeline(spec);
  EXPECT_EQ(pipeline.names(), (std::vector<std::string>{"atr", "atr_percent_14", "log_return"}));
}

}  // namespace
}  // namespace gauntlet::learning
