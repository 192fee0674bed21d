// Loading a warm year of 1-minute bars (525,600 bars in 366 day partitions) for one symbol,
// against the anchor the issue names: plainly reading the same number of bytes from the page
// cache (one file of that size, read with pread into a buffer). Both report bytes/s; the
// issue requires the load to reach at least a quarter of the anchor.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <vector>

#include "core/time.hpp"
#include "data/bar_store.hpp"

namespace gauntlet::data {
namespace {

namespace fs = std::filesystem;

constexpr TimestampMs kYearStart = 1'704'067'200'000;  // 2024-01-01T00:00:00Z, a leap year
constexpr TimestampMs kYearEnd = kYearStart + 366 * kDayMs;

struct Fixture {
  fs::path root;
  SeriesKey key{"bybit", Asset::kPerp, Symbol::parse("BTCUSDT"), Timeframe::k1m};
  fs::path flat_file;
  std::size_t bytes = 0;

  Fixture() {
    root = fs::temp_directory_path() / ("gauntlet-bench-bars-" + std::to_string(::getpid()));
    fs::remove_all(root);
    BarStore store(root);
    // A seeded multiplicative random walk on a 0.1 tick: realistic values, deterministic.
    std::mt19937_64 random(7);
    std::uniform_real_distribution<double> step(-1.0, 1.0);
    const Decimal tick = Decimal::parse("0.1");
    double price = 42000.0;
    std::vector<Bar> day;
    for (TimestampMs t = kYearStart; t < kYearEnd; t += kMinuteMs) {
      const double open = price;
      price *= 1.0 + 0.0008 * step(random);
      const double high = std::max(open, price) * (1.0 + 0.0004 * (step(random) + 1.0));
      const double low = std::min(open, price) * (1.0 - 0.0004 * (step(random) + 1.0));
      auto on_tick = [&tick](double value, Rounding rounding) {
        return Decimal::from_double(value).round_to_step(tick, rounding);
      };
      const Decimal volume =
          Decimal::from_double(50.0 * (step(random) + 1.0)).round_to_step(Decimal::parse("0.001"));
      const Decimal close = on_tick(price, Rounding::kHalfEven);
      day.push_back({t, on_tick(open, Rounding::kHalfEven), on_tick(high, Rounding::kCeil),
                     on_tick(low, Rounding::kFloor), close, volume, volume * close});
      price = close.to_double();
      if (day.size() == 1440) {
        store.upsert_bars(key, day);
        day.clear();
      }
    }
    bytes = store.count_bars(key) * BarSeries::kColumns * sizeof(int64_t);
    flat_file = root / "flat.bin";
    std::ofstream out(flat_file, std::ios::binary);
    const std::vector<char> chunk(1 << 20, 'x');
    for (std::size_t written = 0; written < bytes; written += chunk.size()) {
      out.write(chunk.data(),
                static_cast<std::streamsize>(std::min(chunk.size(), bytes - written)));
    }
  }
  ~Fixture() { fs::remove_all(root); }
};

Fixture& fixture() {
  static Fixture instance;
  return instance;
}

void BM_LoadYearOf1mBars(benchmark::State& state) {
  Fixture& f = fixture();
  const BarStore store(f.root);
  store.load_bars(f.key, kYearStart, kYearEnd);  // warm the page cache
  std::size_t bars = 0;
  for (auto _ : state) {
    BarSeries series = store.load_bars(f.key, kYearStart, kYearEnd);
    bars = series.size();
    benchmark::DoNotOptimize(series.column(BarSeries::kClose).data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * f.bytes));
  state.counters["bars"] = static_cast<double>(bars);
  state.SetLabel("compare BM_ReadSameBytesFromPageCache");
}

void BM_ReadSameBytesFromPageCache(benchmark::State& state) {
  Fixture& f = fixture();
  const int fd = ::open(f.flat_file.c_str(), O_RDONLY | O_CLOEXEC);
  auto buffer = std::make_unique_for_overwrite<char[]>(f.bytes);
  auto read_all = [&] {
    std::size_t done = 0;
    while (done < f.bytes) {
      const ssize_t got =
          ::pread(fd, buffer.get() + done, f.bytes - done, static_cast<off_t>(done));
      if (got <= 0) break;
      done += static_cast<std::size_t>(got);
    }
    return done;
  };
  read_all();  // warm
  for (auto _ : state) {
    benchmark::DoNotOptimize(read_all());
    benchmark::ClobberMemory();
  }
  ::close(fd);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * f.bytes));
  state.SetLabel("anchor");
}

BENCHMARK(BM_LoadYearOf1mBars)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReadSameBytesFromPageCache)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gauntlet::data
