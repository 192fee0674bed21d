// Indicators over 1,000,000 real bars (the Binance 1m files of ../shared/data, concatenated),
// batch and streaming, each beside the figure TA-Lib 0.4 gives on this machine class (ns per
// bar, from issue 4). Every benchmark reports ns_per_bar, the TA-Lib anchor and their ratio;
// a ratio at or below 1 is at least as fast as TA-Lib.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "data/bar_import.hpp"
#include "indicators/technical_indicators.hpp"
#include "learning/features/indicator_pipeline.hpp"

namespace gauntlet::indicators {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kBars = 1'000'000;

// TA-Lib 0.4 batch functions over 1,000,000 bars on this machine class, ns per bar.
constexpr double kTaLibSma = 1.7, kTaLibEma = 2.5, kTaLibRsi = 7.3, kTaLibAtr = 7.2,
                 kTaLibAdx = 13.4, kTaLibCci = 31.9, kTaLibBbands = 7.1, kTaLibStoch = 14.1,
                 kTaLibWillr = 10.1, kTaLibObv = 5.4, kTaLibMfi = 10.9, kTaLibAllBatch = 111,
                 kTaLibAllStreaming = 246, kRequiredStreaming = 150;

struct Series {
  std::vector<double> open, high, low, close, volume;
  BarColumns columns() const { return {open, high, low, close, volume}; }
  std::string error;
};

fs::path shared_data() {
  if (const char* env = std::getenv("GAUNTLET_SHARED_DATA")) return env;
  return fs::path(GAUNTLET_SOURCE_DIR) / ".." / "shared" / "data";
}

// The 1m bars of every Binance spot file, one after the other, until kBars.
const Series& bars() {
  static const Series series = [] {
    Series s;
    const fs::path dir = shared_data() / "crypto" / "binance_spot";
    std::vector<fs::path> files;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (entry.path().filename().string().find("-1m.json") != std::string::npos)
        files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) {
      s.error = "no 1m files under " + dir.string() + " (set GAUNTLET_SHARED_DATA)";
      return s;
    }
    while (s.close.size() < kBars) {
      for (const auto& file : files) {
        for (const Bar& bar : data::read_bar_file(file, data::guess_import(file)).bars) {
          if (s.close.size() == kBars) break;
          s.open.push_back(bar.open.to_double());
          s.high.push_back(bar.high.to_double());
          s.low.push_back(bar.low.to_double());
          s.close.push_back(bar.close.to_double());
          s.volume.push_back(bar.volume.to_double());
        }
      }
    }
    return s;
  }();
  return series;
}

// Runs `body` once per iteration over all bars and reports ns per bar against `anchor`.
template <typename Body>
void run(benchmark::State& state, double anchor, Body body) {
  const Series& s = bars();
  if (!s.error.empty()) {
    state.SkipWithError(s.error.c_str());
    return;
  }
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    body(s);
    benchmark::ClobberMemory();
  }
  const double elapsed =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
  const double per_bar = elapsed / (static_cast<double>(state.iterations()) * kBars);
  state.counters["ns_per_bar"] = per_bar;
  state.counters["talib_ns_per_bar"] = anchor;
  state.counters["ratio"] = per_bar / anchor;
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBars));
}

struct Outputs {
  std::vector<std::vector<double>> columns;
  explicit Outputs(std::size_t count) : columns(count, std::vector<double>(kBars)) {}
  std::span<double> operator[](std::size_t i) { return columns[i]; }
};

void BM_BatchSma30(benchmark::State& state) {
  Outputs out(1);
  run(state, kTaLibSma, [&](const Series& s) { sma(s.close, 30, out[0]); });
}
void BM_BatchEma30(benchmark::State& state) {
  Outputs out(1);
  run(state, kTaLibEma, [&](const Series& s) { ema(s.close, 30, out[0]); });
}
void BM_BatchRsi14(benchmark::State& state) {
  Outputs out(1);
  run(state, kTaLibRsi, [&](const Series& s) { rsi(s.close, 14, out[0]); });
}
void BM_BatchAtr14(benchmark::State& state) {
  Outputs out(1);
  run(state, kTaLibAtr, [&](const Series& s) { atr(s.columns(), 14, out[0]); });
}
void BM_BatchAdx14(benchmark::State& state) {
  Outputs out(1);
  run(state, kTaLibAdx, [&](const Series& s) { adx(s.columns(), 14, out[0]); });
}
void BM_BatchCci20(benchmark::State& state) {
  Outputs out(1);
  run(state, kTaLibCci, [&](const Series& s) { cci(s.columns(), 20, out[0]); });
}
void BM_BatchBbands20(benchmark::State& state) {
  Outputs out(3);
  run(state, kTaLibBbands,
      [&](const Series& s) { bollinger_bands(s.close, 20, 2.0, 2.0, out[0], out[1], out[2]); });
}
void BM_BatchStoch14_3_3(benchmark::State& state) {
  Outputs out(2);
  run(state, kTaLibStoch,
      [&](const Series& s) { stochastic_oscillator(s.columns(), 14, 3, 3, out[0], out[1]); });
}
void BM_BatchWillr14(benchmark::State& state) {
  Outputs out(1);
  run(state, kTaLibWillr, [&](const Series& s) { williams_r(s.columns(), 14, out[0]); });
}
void BM_BatchObv(benchmark::State& state) {
  Outputs out(1);
  run(state, kTaLibObv, [&](const Series& s) { obv(s.close, s.volume, out[0]); });
}
void BM_BatchMfi14(benchmark::State& state) {
  Outputs out(1);
  run(state, kTaLibMfi, [&](const Series& s) { mfi(s.columns(), 14, out[0]); });
}

// The eleven TA-Lib functions of the issue, one after the other over the same bars.
void BM_BatchAllEleven(benchmark::State& state) {
  Outputs out(15);
  run(state, kTaLibAllBatch, [&](const Series& s) {
    const BarColumns bars = s.columns();
    sma(s.close, 30, out[0]);
    ema(s.close, 30, out[1]);
    rsi(s.close, 14, out[2]);
    atr(bars, 14, out[3]);
    adx(bars, 14, out[4]);
    cci(bars, 20, out[5]);
    bollinger_bands(s.close, 20, 2.0, 2.0, out[6], out[7], out[8]);
    stochastic_oscillator(bars, 14, 3, 3, out[9], out[10]);
    williams_r(bars, 14, out[11]);
    obv(s.close, s.volume, out[12]);
    mfi(bars, 14, out[13]);
  });
}

// The same eleven as streaming objects, all updated with each bar in turn.
void BM_StreamingAllEleven(benchmark::State& state) {
  double sink = 0;
  run(state, kTaLibAllStreaming, [&](const Series& s) {
    Sma sma30(30);
    Ema ema30(30);
    Rsi rsi14(14);
    Atr atr14(14);
    Adx adx14(14);
    Cci cci20(20);
    BollingerBands bb20(20, 2.0, 2.0);
    StochasticOscillator stoch(14, 3, 3);
    WilliamsR willr14(14);
    Obv obv_;
    Mfi mfi14(14);
    for (std::size_t i = 0; i < kBars; ++i) {
      const BarInput bar{s.open[i], s.high[i], s.low[i], s.close[i], s.volume[i]};
      double x = sma30.update(bar.close) + ema30.update(bar.close) + rsi14.update(bar.close) +
                 atr14.update(bar) + adx14.update(bar).adx + cci20.update(bar) +
                 bb20.update(bar).upper + stoch.update(bar).k + willr14.update(bar) +
                 obv_.update(bar) + mfi14.update(bar);
      sink += x;
    }
  });
  benchmark::DoNotOptimize(sink);
  state.counters["required_ns_per_bar"] = kRequiredStreaming;
}

// Five runs each, reported as mean, median and spread: the host's memory bandwidth varies from
// run to run, and the outputs of 1,000,000 bars do not fit in cache.
void measured(benchmark::internal::Benchmark* b) {
  b->Unit(benchmark::kMillisecond)->Repetitions(5)->ReportAggregatesOnly(true);
}

// The default feature spec (28 indicator columns, 8 derived), batch and streaming; the anchor
// of both is the batch build, so the streaming ratio is the price of one bar at a time.
double g_features_batch_ns = 0;

void BM_FeaturesBatch(benchmark::State& state) {
  std::vector<int64_t> times(kBars);
  for (std::size_t i = 0; i < kBars; ++i) times[i] = static_cast<int64_t>(i) * 60000;
  run(state, 1.0, [&](const Series& s) {
    benchmark::DoNotOptimize(learning::build_features(times, s.columns()));
  });
  g_features_batch_ns = state.counters["ns_per_bar"];
  state.counters.erase("talib_ns_per_bar");
  state.counters.erase("ratio");
}

void BM_FeaturesStreaming(benchmark::State& state) {
  double sink = 0;
  run(state, g_features_batch_ns > 0 ? g_features_batch_ns : 1.0, [&](const Series& s) {
    learning::FeaturePipeline pipeline;
    for (std::size_t i = 0; i < kBars; ++i) {
      sink += pipeline.update(BarInput{s.open[i], s.high[i], s.low[i], s.close[i], s.volume[i]})[0];
    }
  });
  benchmark::DoNotOptimize(sink);
  state.counters["batch_ns_per_bar"] = state.counters["talib_ns_per_bar"];
  state.counters.erase("talib_ns_per_bar");
}

BENCHMARK(BM_BatchSma30)->Apply(measured);
BENCHMARK(BM_BatchEma30)->Apply(measured);
BENCHMARK(BM_BatchRsi14)->Apply(measured);
BENCHMARK(BM_BatchAtr14)->Apply(measured);
BENCHMARK(BM_BatchAdx14)->Apply(measured);
BENCHMARK(BM_BatchCci20)->Apply(measured);
BENCHMARK(BM_BatchBbands20)->Apply(measured);
BENCHMARK(BM_BatchStoch14_3_3)->Apply(measured);
BENCHMARK(BM_BatchWillr14)->Apply(measured);
BENCHMARK(BM_BatchObv)->Apply(measured);
BENCHMARK(BM_BatchMfi14)->Apply(measured);
BENCHMARK(BM_BatchAllEleven)->Apply(measured);
BENCHMARK(BM_StreamingAllEleven)->Apply(measured);
BENCHMARK(BM_FeaturesBatch)->Unit(benchmark::kMillisecond)->Iterations(2);
BENCHMARK(BM_FeaturesStreaming)->Unit(benchmark::kMillisecond)->Iterations(2);

}  // namespace
}  // namespace gauntlet::indicators
