// File: indicators/indicator_catalog.hpp
//
// Indicators by name, for the CLI (`gauntlet ta`), the feature pipeline and configuration. A
// column name is an output name followed by the parameters, joined by `_`, exactly as in
// TA-Lib's reference files: `sma_30`, `rsi_14`, `bb_upper_20_2`, `stoch_k_14_3_3`, `obv`.
// Trailing parameters may be left out and take their defaults (`rsi` is `rsi_14`).
//
// An IndicatorSet compiles a list of column names once (outputs of one indicator with the same
// parameters share one computation) and computes them in batch over a series or streaming one
// bar at a time, with identical results.
//
// Not thread-safe; one owner per IndicatorSet.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "indicators/bar_columns.hpp"

namespace gauntlet::indicators {

struct ParameterInfo {
  std::string_view name;
  double default_value;
  double minimum;
  double maximum;
  bool integer;
};

struct IndicatorInfo {
  std::string_view key;          // e.g. "bb"
  std::string_view description;  // one line, with the TA-Lib call where there is one
  std::vector<ParameterInfo> parameters;
  std::vector<std::string_view> outputs;  // the column prefixes, e.g. "bb_upper"
  bool talib;                             // false for the three indicators TA-Lib lacks
};

// Every indicator, in a stable order.
const std::vector<IndicatorInfo>& indicator_catalog();

// A parsed column name.
struct ColumnRequest {
  const IndicatorInfo* indicator = nullptr;
  std::size_t output = 0;          // index into indicator->outputs
  std::vector<double> parameters;  // all of them, defaults filled in
  std::string name;                // as requested
  std::string canonical_name;      // with every parameter, e.g. "rsi_14" for "rsi"
};

// Parses a column name; throws ArgumentError naming the problem (unknown indicator, a parameter
// that is not a number, out of range or not an integer, too many parameters).
ColumnRequest parse_column(std::string_view name);

// The bar index of the first defined value of a column (its TA-Lib lookback).
int column_lookback(const ColumnRequest& column);

class IndicatorSet {
 public:
  // Parses every name (throws ArgumentError on the first bad one).
  explicit IndicatorSet(const std::vector<std::string>& column_names);
  ~IndicatorSet();
  IndicatorSet(IndicatorSet&&) noexcept;
  IndicatorSet& operator=(IndicatorSet&&) noexcept;

  const std::vector<ColumnRequest>& columns() const { return columns_; }

  // Batch: outputs[c] receives column c for every bar; each span has bars.size() values.
  // Does not touch the streaming state.
  void compute(const BarColumns& bars, std::span<const std::span<double>> outputs) const;

  // Streaming: feeds one closed bar and writes the columns' values for it into `row`
  // (row.size() == columns().size()), NaN where not yet defined.
  void update(const BarInput& bar, std::span<double> row);

  // Forgets every bar fed to update().
  void reset();

  // One indicator with one set of parameters (defined in the .cpp).
  struct Instance;

 private:
  std::vector<ColumnRequest> columns_;
  std::vector<std::unique_ptr<Instance>> instances_;
};

}  // namespace gauntlet::indicators
