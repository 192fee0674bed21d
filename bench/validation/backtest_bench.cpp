// Backtest throughput through the whole engine (issue 7): an SMA(10)/SMA(30) cross on over
// 500,000 real one-minute bars (the Binance spot pairs of ../shared/data, each its own symbol),
// as `gauntlet backtest` runs it: the replay feed, the data_manager's 5m/15m resampling, the
// strategy on closed 15m bars with 5m confirmation, the risk manager, the order router with its
// journal, the paper venue (fees, slippage, latency, partial fills) and SQLite.
//
// The anchor, in the same run: a minimal hand-written C++ loop of the same strategy on the same
// bars (1m bars folded into 15m, SMA(10)/SMA(30) of the 15m closes, a cross enters or leaves a
// fixed-size long at the next bar's open, fees on both sides): the physical floor for this work.
// Counters: bars_per_second of each, and the engine's peak RSS (measured in a child process that
// runs one backtest) against the size of the bars as the engine holds them.
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/config_manager.hpp"
#include "data/bar_import.hpp"
#include "data/bar_store.hpp"
#include "validation/backtester.hpp"

namespace gauntlet::validation {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kWantedBars = 500'000;

fs::path shared_data() {
  if (const char* env = std::getenv("GAUNTLET_SHARED_DATA")) return env;
  for (fs::path dir = fs::current_path(); !dir.empty(); dir = dir.parent_path()) {
    if (fs::exists(dir / "../shared/data")) return dir / "../shared/data";
    if (dir == dir.parent_path()) break;
  }
  return {};
}

fs::path source_dir() {
  return fs::path(GAUNTLET_SOURCE_DIR);
}

struct Series {
  std::vector<double> open;
  std::vector<double> close;
  std::vector<TimestampMs> time;
};

struct Fixture {
  fs::path root;
  std::size_t bars = 0;
  std::vector<Series> series;
  config::Config config;

  Fixture() {
    const fs::path data = shared_data() / "crypto" / "binance_spot";
    if (!fs::exists(data)) {
      std::fprintf(stderr, "backtest bench: no shared data at %s\n", data.c_str());
      std::exit(1);
    }
    root = fs::temp_directory_path() / ("gauntlet-bench-backtest-" + std::to_string(::getpid()));
    fs::remove_all(root);
    data::BarStore store(root);
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(data)) {
      if (entry.path().filename().string().ends_with("-1m.json.gz")) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
      if (bars >= kWantedBars) break;
      const data::ImportGuess guess = data::guess_import(file);
      const data::ImportedBars imported = data::read_bar_file(file, guess);
      const data::SeriesKey key{guess.venue, Asset::kSpot, *guess.symbol, imported.timeframe};
      store.upsert_bars(key, imported.bars);
      bars += imported.bars.size();
      Series s;
      for (const Bar& b : imported.bars) {
        s.open.push_back(b.open.to_double());
        s.close.push_back(b.close.to_double());
        s.time.push_back(b.open_time);
      }
      series.push_back(std::move(s));
    }
    config = load_config((source_dir() / "config" / "default.yaml").string());
  }
  ~Fixture() { fs::remove_all(root); }

  BacktestSpec spec() const {
    BacktestSpec s;
    s.config = config;
    s.data_root = root;
    s.search_space = source_dir() / "config" / "ml_search.json";
    s.universe_size = static_cast<int>(series.size());
    s.min_turnover = 0;
    s.candidates = {{"sma_cross", Asset::kSpot, R"({"fast":10,"slow":30})"}};
    return s;
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void BM_EngineBacktest(benchmark::State& state) {
  Fixture& f = fixture();
  std::size_t trades = 0;
  for (auto _ : state) {
    const BacktestResult result = run(f.spec());
    trades = result.trades.size();
    benchmark::DoNotOptimize(trades);
  }
  state.counters["bars"] = static_cast<double>(f.bars);
  state.counters["trades"] = static_cast<double>(trades);
  state.counters["bars_per_second"] =
      benchmark::Counter(static_cast<double>(f.bars) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_EngineBacktest)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2);

// The floor: the same strategy by hand over the same bars.
void BM_HandLoop(benchmark::State& state) {
  Fixture& f = fixture();
  constexpr double kFee = 0.001;
  constexpr double kQuantity = 1.0;
  double total = 0;
  for (auto _ : state) {
    double pnl = 0;
    for (const Series& s : f.series) {
      double fast_sum = 0, slow_sum = 0;
      double ring[30] = {};
      std::size_t count = 0;
      double previous_diff = NAN;
      int position = 0, wanted = 0;
      double entry = 0;
      TimestampMs bucket = -1;
      double last_close = 0;
      for (std::size_t i = 0; i < s.close.size(); ++i) {
        if (wanted != position) {  // fill at this bar's open
          if (wanted == 1) {
            entry = s.open[i];
            pnl -= entry * kQuantity * kFee;
          } else {
            pnl += (s.open[i] - entry) * kQuantity - s.open[i] * kQuantity * kFee;
          }
          position = wanted;
        }
        const TimestampMs b = s.time[i] / (15 * kMinuteMs);
        if (bucket >= 0 && b != bucket) {  // a 15m bar closed at last_close
          const double c = last_close;
          slow_sum += c - ring[count % 30];
          fast_sum += c - (count >= 10 ? ring[(count - 10) % 30] : 0.0);
          ring[count % 30] = c;
          ++count;
          if (count >= 30) {
            const double diff = fast_sum / 10 - slow_sum / 30;
            if (!std::isnan(previous_diff)) {
              if (previous_diff <= 0 && diff > 0) wanted = 1;
              if (previous_diff >= 0 && diff < 0) wanted = 0;
            }
            previous_diff = diff;
          }
        }
        bucket = b;
        last_close = s.close[i];
      }
    }
    total += pnl;
    benchmark::DoNotOptimize(total);
  }
  state.counters["bars"] = static_cast<double>(f.bars);
  state.counters["bars_per_second"] =
      benchmark::Counter(static_cast<double>(f.bars) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_HandLoop)->Unit(benchmark::kMillisecond)->UseRealTime();

// Peak RSS of one engine backtest: `gauntlet backtest` on the same bars in a child process.
void BM_EnginePeakRss(benchmark::State& state) {
  Fixture& f = fixture();
  long peak_kb = 0;
  for (auto _ : state) {
    const pid_t child = ::fork();
    if (child == 0) {
      const std::string root = f.root.string();
      const std::string config = (source_dir() / "config" / "default.yaml").string();
      const std::string search = (source_dir() / "config" / "ml_search.json").string();
      const std::string universe = std::to_string(f.series.size());
      ::execl(GAUNTLET_BINARY, GAUNTLET_BINARY, "backtest", "--quiet", "--config", config.c_str(),
              "--search-space", search.c_str(), "--data-root", root.c_str(), "--universe-size",
              universe.c_str(), "--min-turnover", "0", "--strategy",
              R"(sma_cross:{"fast":10,"slow":30})", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    int status = 0;
    rusage usage{};
    ::wait4(child, &status, 0, &usage);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      state.SkipWithError("gauntlet backtest failed");
    peak_kb = usage.ru_maxrss;
  }
  const double bars_mb =
      static_cast<double>(f.bars) * data::BarSeries::kColumns * sizeof(int64_t) / 1e6;
  state.counters["peak_rss_mb"] = static_cast<double>(peak_kb) / 1e3;
  state.counters["bars_mb"] = bars_mb;
  state.counters["rss_over_bars"] = static_cast<double>(peak_kb) / 1e3 / bars_mb;
}
BENCHMARK(BM_EnginePeakRss)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

}  // namespace
}  // namespace gauntlet::validation
