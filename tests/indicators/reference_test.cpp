// TA-Lib's own outputs on real bars (../shared/data/reference, see its README): every
// reference column is recomputed through the catalog, batch and streaming, and must match to
// 1e-9 (|ours - TA-Lib| <= 1e-9 * max(1, |TA-Lib|)), be empty exactly where TA-Lib is empty,
// and streaming must equal batch bit for bit.
#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "indicators/indicator_catalog.hpp"
#include "support/shared_data.hpp"

namespace gauntlet::indicators {
namespace {

struct ReferenceFile {
  std::vector<std::string> header;
  std::vector<std::vector<double>> columns;  // NaN for an empty cell
};

double parse_cell(const std::string& cell) {
  if (cell.empty()) return std::nan("");
  double value = 0;
  const auto result = std::from_chars(cell.data(), cell.data() + cell.size(), value);
  EXPECT_EQ(result.ec, std::errc()) << cell;
  return value;
}

ReferenceFile load(const std::filesystem::path& path) {
  const auto lines = testing::read_lines(path);
  ReferenceFile file;
  file.header = testing::split_csv_line(lines.at(0));
  file.columns.resize(file.header.size());
  for (std::size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    const auto cells = testing::split_csv_line(lines[i]);
    EXPECT_EQ(cells.size(), file.header.size()) << "line " << i;
    for (std::size_t c = 0; c < file.header.size(); ++c) {
      file.columns[c].push_back(parse_cell(c < cells.size() ? cells[c] : ""));
    }
  }
  return file;
}

std::size_t column_index(const ReferenceFile& file, const std::string& name) {
  for (std::size_t c = 0; c < file.header.size(); ++c) {
    if (file.header[c] == name) return c;
  }
  ADD_FAILURE() << "no column " << name;
  return 0;
}

class ReferenceTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ReferenceTest, EveryColumnMatchesTaLibAndStreamingEqualsBatch) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  const ReferenceFile file = load(data / "reference" / GetParam());
  ASSERT_GT(file.columns.at(0).size(), 1000u);
  const std::size_t size = file.columns[0].size();

  BarColumns bars;
  bars.open = file.columns[column_index(file, "open")];
  bars.high = file.columns[column_index(file, "high")];
  bars.low = file.columns[column_index(file, "low")];
  bars.close = file.columns[column_index(file, "close")];
  bars.volume = file.columns[column_index(file, "volume")];

  std::vector<std::string> names(file.header.begin() + 6, file.header.end());
  ASSERT_EQ(names.size(), 19u) << "the README lists 19 indicator outputs";
  IndicatorSet set(names);

  std::vector<std::vector<double>> batch(names.size(), std::vector<double>(size));
  std::vector<std::span<double>> spans(batch.begin(), batch.end());
  set.compute(bars, spans);

  for (std::size_t c = 0; c < names.size(); ++c) {
    const auto& reference = file.columns[6 + c];
    double worst = 0;
    int mismatches = 0;
    for (std::size_t i = 0; i < size; ++i) {
      const double ours = batch[c][i];
      if (std::isnan(reference[i]) || std::isnan(ours)) {
        if (std::isnan(reference[i]) != std::isnan(ours) && mismatches++ < 3) {
          ADD_FAILURE() << names[c] << " row " << i << ": TA-Lib "
                        << (std::isnan(reference[i]) ? "empty" : "has a value") << ", ours "
                        << ours;
        }
        continue;
      }
      const double error = std::abs(ours - reference[i]) / std::max(1.0, std::abs(reference[i]));
      worst = std::max(worst, error);
      if (error > 1e-9 && mismatches++ < 3) {
        ADD_FAILURE() << names[c] << " row " << i << ": ours " << ours << ", TA-Lib "
                      << reference[i] << ", relative error " << error;
      }
    }
    EXPECT_EQ(mismatches, 0) << names[c];
    EXPECT_EQ(
        column_lookback(set.columns()[c]),
        std::find_if(reference.begin(), reference.end(), [](double v) { return !std::isnan(v); }) -
            reference.begin())
        << names[c];
    std::printf("  %-16s max error %.2e\n", names[c].c_str(), worst);
  }

  // Streaming, one bar at a time, gives the same bits.
  std::vector<double> row(names.size());
  for (std::size_t i = 0; i < size; ++i) {
    set.update(bars.at(i), row);
    for (std::size_t c = 0; c < names.size(); ++c) {
      ASSERT_EQ(std::memcmp(&row[c], &batch[c][i], sizeof(double)), 0)
          << names[c] << " row " << i << ": streaming " << row[c] << ", batch " << batch[c][i];
    }
  }
}

INSTANTIATE_TEST_SUITE_P(TaLib, ReferenceTest,
                         ::testing::Values("talib_BTC_USDT-5m.csv.gz", "talib_ETH_USDT-5m.csv.gz",
                                           "talib_EURUSD.csv.gz"),
                         [](const auto& info) {
                           std::string name = info.param;
                           name = name.substr(6, name.find('.') - 6);
                           for (char& ch : name) {
                             if (ch == '-') ch = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace gauntlet::indicators
