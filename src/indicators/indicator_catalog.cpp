#include "indicators/indicator_catalog.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <functional>
#include <map>

#include "core/exceptions.hpp"
#include "indicators/internal/drivers.hpp"
#include "indicators/internal/kernels.hpp"

namespace gauntlet::indicators {

// One indicator with one set of parameters, serving every requested column of its outputs.
struct IndicatorSet::Instance {
  virtual ~Instance() = default;
  virtual std::size_t output_count() const = 0;
  virtual int lookback(std::size_t output) const = 0;
  virtual void compute(const BarColumns& bars,
                       std::span<const std::span<double>> outputs) const = 0;
  virtual void update(const BarInput& bar, std::span<double> row) = 0;
  virtual void reset() = 0;

  std::string key;
  std::vector<double> parameters;
  std::vector<std::vector<std::size_t>> columns_of_output;  // requested columns per output
};

namespace {

using internal::kNaN;

template <class Kernel>
class KernelInstance final : public IndicatorSet::Instance {
 public:
  explicit KernelInstance(Kernel prototype) : prototype_(prototype), stream_(prototype) {
    columns_of_output.resize(Kernel::kOutputs);
  }

  std::size_t output_count() const override { return Kernel::kOutputs; }

  int lookback(std::size_t output) const override {
    if constexpr (std::is_same_v<Kernel, internal::AdxKernel>) {
      if (output > 0) return prototype_.di_lookback();
    }
    return prototype_.lookback();
  }

  void compute(const BarColumns& bars, std::span<const std::span<double>> outputs) const override {
    std::array<std::span<double>, Kernel::kOutputs> spans;
    for (std::size_t j = 0; j < Kernel::kOutputs; ++j) {
      if (!columns_of_output[j].empty()) spans[j] = outputs[columns_of_output[j].front()];
    }
    internal::run_batch(prototype_, bars, spans);
    for (std::size_t j = 0; j < Kernel::kOutputs; ++j) {
      for (std::size_t k = 1; k < columns_of_output[j].size(); ++k) {
        const auto& target = outputs[columns_of_output[j][k]];
        std::copy(spans[j].begin(), spans[j].end(), target.begin());
      }
    }
  }

  void update(const BarInput& bar, std::span<double> row) override {
    const auto& values = stream_.update(bar);
    for (std::size_t j = 0; j < Kernel::kOutputs; ++j) {
      for (std::size_t column : columns_of_output[j]) row[column] = values[j];
    }
  }

  void reset() override { stream_ = internal::Streaming<Kernel>(prototype_); }

 private:
  Kernel prototype_;
  internal::Streaming<Kernel> stream_;
};

using Factory = std::function<std::unique_ptr<IndicatorSet::Instance>(const std::vector<double>&)>;

template <class Kernel>
std::unique_ptr<IndicatorSet::Instance> make(Kernel kernel) {
  return std::make_unique<KernelInstance<Kernel>>(std::move(kernel));
}

int as_int(double value) {
  return static_cast<int>(value);
}

constexpr double kMaxPeriod = 100000;

ParameterInfo period(std::string_view name, double default_value, double minimum) {
  return {name, default_value, minimum, kMaxPeriod, true};
}

struct Entry {
  IndicatorInfo info;
  Factory factory;
};

const std::vector<Entry>& entries() {
  static const std::vector<Entry> table = [] {
    std::vector<Entry> t;
    t.push_back({{"sma",
                  "simple moving average of the close (TA_SMA)",
                  {period("period", 30, 1)},
                  {"sma"},
                  true},
                 [](const auto& p) { return make(internal::SmaKernel(as_int(p[0]))); }});
    t.push_back({{"ema",
                  "exponential moving average of the close, SMA-seeded (TA_EMA)",
                  {period("period", 30, 1)},
                  {"ema"},
                  true},
                 [](const auto& p) { return make(internal::EmaKernel(as_int(p[0]))); }});
    t.push_back({{"rsi",
                  "relative strength index, Wilder (TA_RSI)",
                  {period("period", 14, 2)},
                  {"rsi"},
                  true},
                 [](const auto& p) { return make(internal::RsiKernel(as_int(p[0]))); }});
    t.push_back({{"stoch",
                  "slow stochastic %K and %D, SMA smoothing (TA_STOCH)",
                  {period("fast_k", 14, 1), period("slow_k", 3, 1), period("slow_d", 3, 1)},
                  {"stoch_k", "stoch_d"},
                  true},
                 [](const auto& p) {
                   return make(
                       internal::StochasticKernel(as_int(p[0]), as_int(p[1]), as_int(p[2])));
                 }});
    t.push_back(
        {{"willr", "Williams %R, -100..0 (TA_WILLR)", {period("period", 14, 2)}, {"willr"}, true},
         [](const auto& p) { return make(internal::WilliamsRKernel(as_int(p[0]))); }});
    t.push_back(
        {{"obv", "on-balance volume, starting at the first volume (TA_OBV)", {}, {"obv"}, true},
         [](const auto&) { return make(internal::ObvKernel()); }});
    t.push_back(
        {{"atr", "average true range, Wilder (TA_ATR)", {period("period", 14, 1)}, {"atr"}, true},
         [](const auto& p) { return make(internal::AtrKernel(as_int(p[0]))); }});
    t.push_back({{"adx",
                  "average directional index with +DI and -DI, Wilder (TA_ADX, TA_PLUS_DI, "
                  "TA_MINUS_DI)",
                  {period("period", 14, 2)},
                  {"adx", "plus_di", "minus_di"},
                  true},
                 [](const auto& p) { return make(internal::AdxKernel(as_int(p[0]))); }});
    t.push_back(
        {{"cci", "commodity channel index (TA_CCI)", {period("period", 20, 2)}, {"cci"}, true},
         [](const auto& p) { return make(internal::CciKernel(as_int(p[0]))); }});
    t.push_back(
        {{"bb",
          "Bollinger bands, SMA middle, population deviation (TA_BBANDS)",
          {period("period", 20, 2), {"deviations", 2.0, -3e37, 3e37, false}},
          {"bb_upper", "bb_middle", "bb_lower"},
          true},
         [](const auto& p) { return make(internal::BollingerKernel(as_int(p[0]), p[1], p[1])); }});
    t.push_back({{"mfi", "money flow index (TA_MFI)", {period("period", 14, 2)}, {"mfi"}, true},
                 [](const auto& p) { return make(internal::MfiKernel(as_int(p[0]))); }});
    t.push_back({{"entropy_volatility",
                  "normalised Shannon entropy of the binned log returns over a window, 0..1",
                  {period("window", 20, 2), {"bins", 10, 2, 1000, true}},
                  {"entropy_volatility"},
                  false},
                 [](const auto& p) {
                   return make(internal::EntropyVolatilityKernel(as_int(p[0]), as_int(p[1])));
                 }});
    t.push_back({{"fib",
                  "Fibonacci retracement levels 0..100 % of the swing over a lookback, and the "
                  "swing direction (+1 up, -1 down)",
                  {period("lookback", 50, 2)},
                  {"fib_0", "fib_236", "fib_382", "fib_500", "fib_618", "fib_786", "fib_1000",
                   "fib_direction"},
                  false},
                 [](const auto& p) { return make(internal::FibonacciKernel(as_int(p[0]))); }});
    t.push_back({{"market_regime",
                  "regime from ADX, ATR% rank and Bollinger width rank with hysteresis: "
                  "1 trend up, -1 trend down, 0 range, 2 high volatility",
                  {period("adx_period", 14, 2), period("atr_period", 14, 1),
                   period("bollinger_period", 20, 2), period("rank_window", 100, 2)},
                  {"market_regime"},
                  false},
                 [](const auto& p) {
                   internal::MarketRegimeParams params;
                   params.adx_period = as_int(p[0]);
                   params.atr_period = as_int(p[1]);
                   params.bollinger_period = as_int(p[2]);
                   params.rank_window = as_int(p[3]);
                   return make(internal::MarketRegimeKernel(params));
                 }});
    return t;
  }();
  return table;
}

}  // namespace

const std::vector<IndicatorInfo>& indicator_catalog() {
  static const std::vector<IndicatorInfo> infos = [] {
    std::vector<IndicatorInfo> result;
    for (const Entry& entry : entries()) result.push_back(entry.info);
    return result;
  }();
  return infos;
}

namespace {

// The factory of a catalog entry (infos and entries share their order).
const Entry& entry_for(const IndicatorInfo* info) {
  const auto index = static_cast<std::size_t>(info - indicator_catalog().data());
  if (index >= entries().size()) throw ArgumentError("indicator not in the catalog");
  return entries()[index];
}

std::string format_parameter(const ParameterInfo& info, double value) {
  if (info.integer) return std::to_string(as_int(value));
  return fmt::format("{}", value);
}

// Splits "20_2" into {"20", "2"}.
std::vector<std::string_view> split_parameters(std::string_view text) {
  std::vector<std::string_view> parts;
  while (true) {
    const auto at = text.find('_');
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) break;
    text.remove_prefix(at + 1);
  }
  return parts;
}

bool parse_number(std::string_view text, double& value) {
  if (text.empty()) return false;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  return result.ec == std::errc() && result.ptr == text.data() + text.size() &&
         std::isfinite(value);
}

}  // namespace

ColumnRequest parse_column(std::string_view name) {
  // The longest output prefix that the name starts with, followed by its end or by `_`.
  const Entry* best = nullptr;
  std::size_t best_output = 0;
  std::size_t best_length = 0;
  for (const Entry& entry : entries()) {
    for (std::size_t o = 0; o < entry.info.outputs.size(); ++o) {
      const std::string_view prefix = entry.info.outputs[o];
      if (name.substr(0, prefix.size()) != prefix) continue;
      if (name.size() > prefix.size() && name[prefix.size()] != '_') continue;
      // A prefix followed by a non-number is a different column (fib_0 vs fib_0x): skip it.
      if (name.size() > prefix.size()) {
        double ignored;
        const auto first = split_parameters(name.substr(prefix.size() + 1)).front();
        if (!parse_number(first, ignored)) continue;
      }
      if (prefix.size() > best_length) {
        best = &entry;
        best_output = o;
        best_length = prefix.size();
      }
    }
  }
  if (best == nullptr) {
    throw ArgumentError(
        fmt::format("unknown indicator column '{}' (`gauntlet ta --list` shows the names)", name));
  }
  const IndicatorInfo& info = best->info;
  ColumnRequest request;
  request.indicator = &indicator_catalog()[static_cast<std::size_t>(best - entries().data())];
  request.output = best_output;
  request.name = std::string(name);
  std::vector<std::string_view> given;
  if (name.size() > best_length) given = split_parameters(name.substr(best_length + 1));
  if (given.size() > info.parameters.size()) {
    throw ArgumentError(fmt::format("column '{}': {} takes {} parameter(s), got {}", name,
                                    info.outputs[best_output], info.parameters.size(),
                                    given.size()));
  }
  request.canonical_name = std::string(info.outputs[best_output]);
  for (std::size_t i = 0; i < info.parameters.size(); ++i) {
    const ParameterInfo& parameter = info.parameters[i];
    double value = parameter.default_value;
    if (i < given.size() && !parse_number(given[i], value)) {
      throw ArgumentError(fmt::format("column '{}': parameter {} ({}) is not a number: '{}'", name,
                                      i + 1, parameter.name, given[i]));
    }
    if (parameter.integer && value != std::floor(value)) {
      throw ArgumentError(fmt::format("column '{}': parameter {} ({}) must be an integer, was {}",
                                      name, i + 1, parameter.name, given[i]));
    }
    if (value < parameter.minimum || value > parameter.maximum) {
      throw ArgumentError(
          fmt::format("column '{}': parameter {} ({}) must be between {} and {}, "
                      "was {}",
                      name, i + 1, parameter.name, parameter.minimum, parameter.maximum, value));
    }
    request.parameters.push_back(value);
    request.canonical_name.push_back('_');
    request.canonical_name.append(format_parameter(parameter, value));
  }
  return request;
}

int column_lookback(const ColumnRequest& column) {
  const auto instance = entry_for(column.indicator).factory(column.parameters);
  return instance->lookback(column.output);
}

IndicatorSet::IndicatorSet(const std::vector<std::string>& column_names) {
  std::map<std::string, std::size_t> instance_of;  // key + parameters -> instances_ index
  for (const std::string& name : column_names) {
    ColumnRequest column = parse_column(name);
    std::string identity(column.indicator->key);
    for (double p : column.parameters) identity += fmt::format("_{}", p);
    auto found = instance_of.find(identity);
    if (found == instance_of.end()) {
      instances_.push_back(entry_for(column.indicator).factory(column.parameters));
      found = instance_of.emplace(identity, instances_.size() - 1).first;
    }
    instances_[found->second]->columns_of_output[column.output].push_back(columns_.size());
    columns_.push_back(std::move(column));
  }
}

IndicatorSet::~IndicatorSet() = default;
IndicatorSet::IndicatorSet(IndicatorSet&&) noexcept = default;
IndicatorSet& IndicatorSet::operator=(IndicatorSet&&) noexcept = default;

void IndicatorSet::compute(const BarColumns& bars,
                           std::span<const std::span<double>> outputs) const {
  if (outputs.size() != columns_.size()) {
    throw ArgumentError(fmt::format("{} output columns given for {} requested columns",
                                    outputs.size(), columns_.size()));
  }
  for (const auto& output : outputs) internal::require_output(output, bars.size());
  for (const auto& instance : instances_) instance->compute(bars, outputs);
}

void IndicatorSet::update(const BarInput& bar, std::span<double> row) {
  if (row.size() != columns_.size()) {
    throw ArgumentError(fmt::format("a row of {} values given for {} requested columns", row.size(),
                                    columns_.size()));
  }
  for (const auto& instance : instances_) instance->update(bar, row);
}

void IndicatorSet::reset() {
  for (const auto& instance : instances_) instance->reset();
}

}  // namespace gauntlet::indicators
