// File: data/bar_store.hpp
//
// BarStore: bars at rest. One file per day and series:
//   <root>/<venue>/<domain>/<SYMBOL>/<timeframe>/YYYY-MM-DD.gbar
// e.g. data/bybit/perp/BTCUSDT/1m/2024-03-01.gbar. A partition holds the bars whose open time
// falls on that UTC day, sorted by open time, one bar per open time.
//
// File format (little-endian), chosen for load speed: a 64-byte header, then seven columns of
// int64 (open time in ms, then the raw Decimal values of open, high, low, close, volume,
// turnover: units of 1e-9). Loading reads each column straight into BarSeries' columns
// (preadv), with no parsing and no second copy. The header holds a magic, the format version,
// the row count, the timeframe, the day and a checksum of the columns, verified on every load;
// a file that fails any check throws DataError naming it.
//
// Writes are atomic: a partition is written to a temporary file in the same directory, flushed
// (fsync), renamed over the old one and the directory flushed, so a crash leaves the old
// partition or the new one, never a torn file. upsert_bars() merges by open time: a bar for an
// open time already stored replaces the stored one.
//
// Threading: loads may run concurrently with each other; writes to one series need a single
// writer (the data_manager) at a time.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/interfaces.hpp"
#include "core/symbol.hpp"
#include "core/time.hpp"
#include "data/bar_series.hpp"

namespace gauntlet::data {

// Which series: venue ("bybit", "binance", "fxcm", ...), domain, symbol and timeframe.
struct SeriesKey {
  std::string venue;
  Asset domain = Asset::kSpot;
  Symbol symbol;
  Timeframe timeframe = Timeframe::k1m;

  friend bool operator==(const SeriesKey&, const SeriesKey&) = default;
};

std::string to_string(const SeriesKey& key);  // "bybit/perp/BTCUSDT/1m"

struct UpsertResult {
  std::size_t inserted = 0;    // bars at open times not stored before
  std::size_t replaced = 0;    // bars that replaced a stored bar with the same open time
  std::size_t partitions = 0;  // day files written
};

class BarStore {
 public:
  static constexpr std::string_view kExtension = ".gbar";

  explicit BarStore(std::filesystem::path root);

  const std::filesystem::path& root() const { return root_; }

  // Inserts or replaces `bars` (any order, any days) by open time. Every bar must be aligned
  // to the key's timeframe, have low <= open, close <= high, positive prices and non-negative
  // volume and turnover; otherwise DataError names the first bad bar and nothing is written.
  UpsertResult upsert_bars(const SeriesKey& key, std::span<const Bar> bars);

  // The bars with open time in [from, to), oldest first, as one contiguous columnar series.
  BarSeries load_bars(const SeriesKey& key, TimestampMs from, TimestampMs to) const;

  // Open time of the newest / oldest stored bar; nullopt for an empty series.
  std::optional<TimestampMs> last_bar_time(const SeriesKey& key) const;
  std::optional<TimestampMs> first_bar_time(const SeriesKey& key) const;

  // Every series in the store, sorted by path.
  std::vector<SeriesKey> list() const;
  // The UTC days (midnight ms) that have a partition, ascending.
  std::vector<TimestampMs> partition_days(const SeriesKey& key) const;
  // Bars stored in the series (reads the headers only).
  std::size_t count_bars(const SeriesKey& key) const;

  std::filesystem::path series_directory(const SeriesKey& key) const;
  std::filesystem::path partition_path(const SeriesKey& key, TimestampMs day) const;

  // Reads and checks one partition file (format, checksum, order, alignment).
  static BarSeries read_partition(const std::filesystem::path& path);

  // Changes whenever this instance writes bars (not when another instance or process writes
  // to the same root): readers that memoise what they loaded compare it.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  void write_partition(const SeriesKey& key, TimestampMs day, const BarSeries& bars) const;

  std::filesystem::path root_;
  std::atomic<uint64_t> generation_{0};
};

}  // namespace gauntlet::data
