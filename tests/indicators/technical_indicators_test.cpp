#include "indicators/technical_indicators.hpp"

#include <gtest/gtest.h>

namespace gauntlet::indicators {
namespace {

TEST(Sma, AveragesTheLastPeriodValues) {
  const std::vector<double> values = {1, 2, 3, 4, 5};
  std::vector<double> out(values.size());
  sma(values, 3, out);
  EXPECT_TRUE(std::isnan(out[1]));
  EXPECT_DOUBLE_EQ(out[2], 2.0);
  EXPECT_DOUBLE_EQ(out[4], 4.0);
}

}  // namespace
}  // namespace gauntlet::indicators
