// Decimal arithmetic and parsing, each beside its double anchor (the same operation on double,
// and std::from_chars for parsing), so one run gives the ratio of fixed-point to floating point.
#include <benchmark/benchmark.h>

#include <charconv>
#include <random>
#include <string>
#include <vector>

#include "core/decimal.hpp"

namespace gauntlet {
namespace {

constexpr std::size_t kValues = 4096;  // a power of two: index with a mask

// Prices and quantities like those on the wire: 1-6 integer digits, 0-8 decimals.
std::vector<std::string> price_strings() {
  std::mt19937_64 random(42);
  std::vector<std::string> values;
  for (std::size_t i = 0; i < kValues; ++i) {
    // Between 1 and 100000, so quotients stay in range and nothing divides by zero.
    const int64_t raw = static_cast<int64_t>(random() % 99'999'000'000'000) + 1'000'000'000;
    const int places = static_cast<int>(random() % 9);
    values.push_back(Decimal::from_raw(raw).to_string(places));
  }
  return values;
}

std::vector<Decimal> decimals() {
  std::vector<Decimal> values;
  for (const std::string& text : price_strings()) values.push_back(Decimal::parse(text));
  return values;
}

std::vector<double> doubles() {
  std::vector<double> values;
  for (const Decimal& value : decimals()) values.push_back(value.to_double());
  return values;
}

template <typename T, typename Operation>
void run_binary(benchmark::State& state, const std::vector<T>& values, Operation operation) {
  std::size_t i = 0;
  for (auto _ : state) {
    T result = operation(values[i & (kValues - 1)], values[(i + 1) & (kValues - 1)]);
    benchmark::DoNotOptimize(result);
    ++i;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void BM_DecimalAdd(benchmark::State& state) {
  run_binary(state, decimals(), [](Decimal a, Decimal b) { return a + b; });
}
void BM_DoubleAdd(benchmark::State& state) {
  run_binary(state, doubles(), [](double a, double b) { return a + b; });
}
void BM_DecimalMul(benchmark::State& state) {
  // Keep products in range: quantities below 100 times prices below 100000.
  auto values = decimals();
  for (std::size_t i = 0; i < values.size(); i += 2)
    values[i] = values[i].div(Decimal::from_int(1000), Rounding::kFloor);
  run_binary(state, values, [](Decimal a, Decimal b) { return a * b; });
}
void BM_DoubleMul(benchmark::State& state) {
  run_binary(state, doubles(), [](double a, double b) { return a * b; });
}
void BM_DecimalDiv(benchmark::State& state) {
  run_binary(state, decimals(), [](Decimal a, Decimal b) { return a / b; });
}
void BM_DoubleDiv(benchmark::State& state) {
  run_binary(state, doubles(), [](double a, double b) { return a / b; });
}

void BM_DecimalParse(benchmark::State& state) {
  const auto values = price_strings();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(Decimal::parse(values[i++ & (kValues - 1)]));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void BM_DoubleFromChars(benchmark::State& state) {
  const auto values = price_strings();
  std::size_t i = 0;
  for (auto _ : state) {
    const std::string& text = values[i++ & (kValues - 1)];
    double value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    benchmark::DoNotOptimize(value);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void BM_DecimalFormat(benchmark::State& state) {
  const auto values = decimals();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(values[i++ & (kValues - 1)].to_string());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void BM_DoubleToChars(benchmark::State& state) {
  const auto values = doubles();
  std::size_t i = 0;
  char buffer[32];
  for (auto _ : state) {
    auto result = std::to_chars(buffer, buffer + sizeof buffer, values[i++ & (kValues - 1)]);
    benchmark::DoNotOptimize(std::string(buffer, result.ptr));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

BENCHMARK(BM_DecimalAdd);
BENCHMARK(BM_DoubleAdd);
BENCHMARK(BM_DecimalMul);
BENCHMARK(BM_DoubleMul);
BENCHMARK(BM_DecimalDiv);
BENCHMARK(BM_DoubleDiv);
BENCHMARK(BM_DecimalParse);
BENCHMARK(BM_DoubleFromChars);
BENCHMARK(BM_DecimalFormat);
BENCHMARK(BM_DoubleToChars);

}  // namespace
}  // namespace gauntlet
