#include "data/bar_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstring>

#include "core/exceptions.hpp"

namespace gauntlet::data {
namespace {

namespace fs = std::filesystem;

static_assert(std::endian::native == std::endian::little, "the .gbar format is little-endian");

constexpr std::array<char, 8> kMagic = {'G', 'B', 'A', 'R', '\r', '\n', '\x1a', '\n'};
constexpr uint32_t kFormatVersion = 1;

struct FileHeader {
  std::array<char, 8> magic;
  uint32_t version;
  uint32_t columns;
  uint64_t rows;
  int64_t timeframe_ms;
  int64_t day;
  uint64_t checksum;
  std::array<uint8_t, 16> reserved;
};
static_assert(sizeof(FileHeader) == 64);

constexpr std::size_t kRowBytes = BarSeries::kColumns * sizeof(int64_t);

// A 4-lane multiply-xor hash over the column words: catches bit rot and stray writes at memory
// speed, so every load can afford it.
class Checksum {
 public:
  void add(const int64_t* words, std::size_t count) {
    std::size_t i = 0;
    for (; i + 4 <= count; i += 4) {
      for (std::size_t lane = 0; lane < 4; ++lane) {
        lanes_[lane] = (lanes_[lane] ^ static_cast<uint64_t>(words[i + lane])) * kPrime;
      }
    }
    for (; i < count; ++i) lanes_[0] = (lanes_[0] ^ static_cast<uint64_t>(words[i])) * kPrime;
  }
  uint64_t value() const {
    uint64_t result = 0x9e3779b97f4a7c15ull;
    for (uint64_t lane : lanes_) result = (result ^ lane) * kPrime;
    return result ^ (result >> 29);
  }

 private:
  static constexpr uint64_t kPrime = 0x100000001b3ull;
  std::array<uint64_t, 4> lanes_ = {0xcbf29ce484222325ull, 0x84222325cbf29ce4ull,
                                    0x27d4eb2f165667c5ull, 0x165667c527d4eb2full};
};

uint64_t checksum_of(const BarSeries& series, std::size_t first, std::size_t count) {
  Checksum checksum;
  for (std::size_t c = 0; c < BarSeries::kColumns; ++c) {
    checksum.add(series.column(static_cast<BarSeries::Column>(c)).data() + first, count);
  }
  return checksum.value();
}

[[noreturn]] void fail_io(const std::string& what, const fs::path& path) {
  throw DataError(fmt::format("{} {}: {}", what, path.string(), std::strerror(errno)));
}

// An open file descriptor, closed on scope exit.
class File {
 public:
  File(const fs::path& path, int flags, mode_t mode = 0)
      : fd_(::open(path.c_str(), flags | O_CLOEXEC, mode)) {}
  ~File() {
    if (fd_ >= 0) ::close(fd_);
  }
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  int fd() const { return fd_; }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_;
};

std::string day_name(TimestampMs day) {
  return format_iso8601(day).substr(0, 10);
}

void check_header(const FileHeader& header, const fs::path& path, uint64_t rows) {
  if (header.magic != kMagic)
    throw DataError(fmt::format("{}: not a .gbar partition", path.string()));
  if (header.version != kFormatVersion || header.columns != BarSeries::kColumns) {
    throw DataError(fmt::format("{}: unsupported .gbar version {} with {} columns", path.string(),
                                header.version, header.columns));
  }
  if (header.rows != rows) {
    throw DataError(fmt::format("{}: header says {} bars but the file holds {}", path.string(),
                                header.rows, rows));
  }
}

// Rows in a partition file of `size` bytes; DataError when the size is impossible.
uint64_t rows_for_size(uint64_t size, const fs::path& path) {
  if (size < sizeof(FileHeader) || (size - sizeof(FileHeader)) % kRowBytes != 0) {
    throw DataError(fmt::format("{}: size {} is not a whole .gbar partition", path.string(), size));
  }
  return (size - sizeof(FileHeader)) / kRowBytes;
}

// Reads a partition of `rows` bars into rows [first, first + rows) of `series`, then checks
// the header, the checksum, the order of open times and that they fall on `day`.
void read_into(const fs::path& path, int fd, uint64_t rows, BarSeries& series, std::size_t first,
               int64_t timeframe_ms, TimestampMs day) {
  FileHeader header{};
  std::array<iovec, BarSeries::kColumns + 1> parts{};
  parts[0] = {&header, sizeof header};
  for (std::size_t c = 0; c < BarSeries::kColumns; ++c) {
    parts[c + 1] = {series.mutable_column(static_cast<BarSeries::Column>(c)) + first,
                    rows * sizeof(int64_t)};
  }
  const auto expected = static_cast<ssize_t>(sizeof header + rows * kRowBytes);
  const ssize_t got = ::preadv(fd, parts.data(), static_cast<int>(parts.size()), 0);
  if (got < 0) fail_io("cannot read", path);
  if (got != expected) {
    throw DataError(fmt::format("{}: read {} of {} bytes", path.string(), got, expected));
  }
  check_header(header, path, rows);
  if (header.timeframe_ms != timeframe_ms && timeframe_ms != 0) {
    throw DataError(fmt::format("{}: holds {} ms bars, expected {} ms", path.string(),
                                header.timeframe_ms, timeframe_ms));
  }
  if (header.day != day && day != INT64_MIN) {
    throw DataError(fmt::format("{}: holds day {}, expected {}", path.string(),
                                day_name(header.day), day_name(day)));
  }
  if (checksum_of(series, first, rows) != header.checksum) {
    throw DataError(fmt::format("{}: checksum mismatch, the partition is corrupt", path.string()));
  }
  // Bars were checked when written (upsert_bars) and the checksum vouches for the bytes, so
  // only the cheap order checks run here; `gauntlet data check` re-validates everything.
  const int64_t* times = series.column(BarSeries::kOpenTime).data() + first;
  if (rows > 0 && (times[0] < header.day || times[rows - 1] >= header.day + kDayMs)) {
    throw DataError(
        fmt::format("{}: bars fall outside day {}", path.string(), day_name(header.day)));
  }
  for (uint64_t i = 1; i < rows; ++i) {
    if (times[i] <= times[i - 1]) {
      throw DataError(fmt::format("{}: bar {} at {} is out of order", path.string(), i, times[i]));
    }
  }
}

void check_bar(const Bar& bar, const SeriesKey& key) {
  const char* problem = nullptr;
  if (floor_to(bar.open_time, key.timeframe) != bar.open_time) {
    problem = "open time is not aligned to the timeframe";
  } else if (!bar.low.is_positive()) {
    problem = "low is not positive";
  } else if (bar.low > bar.open || bar.low > bar.close || bar.high < bar.open ||
             bar.high < bar.close) {
    problem = "open or close outside [low, high]";
  } else if (bar.volume.is_negative() || bar.turnover.is_negative()) {
    problem = "negative volume or turnover";
  }
  if (problem != nullptr) {
    throw DataError(fmt::format("{}: bar at {} rejected: {} (o={} h={} l={} c={} v={})",
                                to_string(key), format_iso8601(bar.open_time), problem, bar.open,
                                bar.high, bar.low, bar.close, bar.volume));
  }
}

bool valid_venue(std::string_view venue) {
  return !venue.empty() && std::all_of(venue.begin(), venue.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::optional<TimestampMs> parse_day_file(const fs::path& file) {
  if (file.extension() != BarStore::kExtension) return std::nullopt;
  const std::string stem = file.stem().string();
  if (stem.size() != 10) return std::nullopt;
  try {
    return parse_iso8601(stem);
  } catch (const TimeError&) {
    return std::nullopt;
  }
}

}  // namespace

std::string to_string(const SeriesKey& key) {
  return fmt::format("{}/{}/{}/{}", key.venue, to_string(key.domain), key.symbol.canonical(),
                     to_string(key.timeframe));
}

BarStore::BarStore(fs::path root) : root_(std::move(root)) {}

fs::path BarStore::series_directory(const SeriesKey& key) const {
  if (!valid_venue(key.venue)) {
    throw DataError(
        fmt::format("invalid venue \"{}\": use lower-case letters, digits, '_' or '-'", key.venue));
  }
  if (key.symbol.empty()) throw DataError("a series needs a symbol");
  return root_ / key.venue / std::string(to_string(key.domain)) / key.symbol.canonical() /
         std::string(to_string(key.timeframe));
}

fs::path BarStore::partition_path(const SeriesKey& key, TimestampMs day) const {
  return series_directory(key) / (day_name(day) + std::string(kExtension));
}

std::vector<TimestampMs> BarStore::partition_days(const SeriesKey& key) const {
  std::vector<TimestampMs> days;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(series_directory(key), error)) {
    if (auto day = parse_day_file(entry.path())) days.push_back(*day);
  }
  std::sort(days.begin(), days.end());
  return days;
}

BarSeries BarStore::read_partition(const fs::path& path) {
  const File file(path, O_RDONLY);
  if (!file.ok()) fail_io("cannot open", path);
  struct stat status {};
  if (::fstat(file.fd(), &status) != 0) fail_io("cannot stat", path);
  const uint64_t rows = rows_for_size(static_cast<uint64_t>(status.st_size), path);
  BarSeries series;
  series.grow_uninitialized(rows);
  read_into(path, file.fd(), rows, series, 0, 0, INT64_MIN);
  return series;
}

BarSeries BarStore::load_bars(const SeriesKey& key, TimestampMs from, TimestampMs to) const {
  BarSeries result;
  if (from >= to) return result;
  const TimestampMs first_day = floor_to(from, kDayMs);
  const TimestampMs last_day = floor_to(to - 1, kDayMs);
  const fs::path directory = series_directory(key);
  const File directory_file(directory, O_RDONLY | O_DIRECTORY);
  if (!directory_file.ok()) return result;  // no such series

  std::vector<TimestampMs> days;
  for (TimestampMs day : partition_days(key)) {
    if (day >= first_day && day <= last_day) days.push_back(day);
  }
  // At most a day's worth of bars per partition; pages never written are never faulted in.
  const int64_t timeframe_ms = duration_ms(key.timeframe);
  result.reserve(days.size() * static_cast<std::size_t>(kDayMs / timeframe_ms));
  for (TimestampMs day : days) {
    const std::string name = day_name(day) + std::string(kExtension);
    const fs::path path = directory / name;
    if (day >= from && day + kDayMs <= to) {
      // The whole day is wanted: read it straight into place.
      const int fd = ::openat(directory_file.fd(), name.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) fail_io("cannot open", path);
      struct stat status {};
      const int stat_result = ::fstat(fd, &status);
      try {
        if (stat_result != 0) fail_io("cannot stat", path);
        const uint64_t rows = rows_for_size(static_cast<uint64_t>(status.st_size), path);
        const std::size_t first = result.grow_uninitialized(rows);
        read_into(path, fd, rows, result, first, timeframe_ms, day);
      } catch (...) {
        ::close(fd);
        throw;
      }
      ::close(fd);
      continue;
    }
    const BarSeries partial = read_partition(path);
    const auto times = partial.open_time();
    const auto begin = std::lower_bound(times.begin(), times.end(), from) - times.begin();
    const auto end = std::lower_bound(times.begin(), times.end(), to) - times.begin();
    for (auto i = begin; i < end; ++i) result.push_back(partial.bar(static_cast<std::size_t>(i)));
  }
  return result;
}

std::optional<TimestampMs> BarStore::last_bar_time(const SeriesKey& key) const {
  const auto days = partition_days(key);
  for (auto day = days.rbegin(); day != days.rend(); ++day) {
    const BarSeries bars = read_partition(partition_path(key, *day));
    if (!bars.empty()) return bars.open_time().back();
  }
  return std::nullopt;
}

std::optional<TimestampMs> BarStore::first_bar_time(const SeriesKey& key) const {
  for (TimestampMs day : partition_days(key)) {
    const BarSeries bars = read_partition(partition_path(key, day));
    if (!bars.empty()) return bars.open_time().front();
  }
  return std::nullopt;
}

std::size_t BarStore::count_bars(const SeriesKey& key) const {
  std::size_t count = 0;
  for (TimestampMs day : partition_days(key)) {
    const fs::path path = partition_path(key, day);
    count += rows_for_size(fs::file_size(path), path);
  }
  return count;
}

std::vector<SeriesKey> BarStore::list() const {
  std::vector<SeriesKey> keys;
  std::error_code error;
  auto directories = [&error](const fs::path& parent) {
    std::vector<fs::path> children;
    for (const auto& entry : fs::directory_iterator(parent, error)) {
      if (entry.is_directory(error)) children.push_back(entry.path());
    }
    std::sort(children.begin(), children.end());
    return children;
  };
  for (const fs::path& venue : directories(root_)) {
    if (!valid_venue(venue.filename().string())) continue;
    for (const fs::path& domain : directories(venue)) {
      const auto asset = asset_from_string(domain.filename().string());
      if (!asset) continue;
      for (const fs::path& symbol_dir : directories(domain)) {
        Symbol symbol;
        try {
          symbol = Symbol::parse(symbol_dir.filename().string());
        } catch (const SymbolError&) {
          continue;
        }
        if (symbol.canonical() != symbol_dir.filename().string()) continue;
        for (const fs::path& timeframe_dir : directories(symbol_dir)) {
          const auto timeframe = timeframe_from_string(timeframe_dir.filename().string());
          if (!timeframe) continue;
          keys.push_back({venue.filename().string(), *asset, symbol, *timeframe});
        }
      }
    }
  }
  return keys;
}

void BarStore::write_partition(const SeriesKey& key, TimestampMs day, const BarSeries& bars) const {
  static std::atomic<uint64_t> counter{0};
  const fs::path directory = series_directory(key);
  std::error_code error;
  fs::create_directories(directory, error);
  if (error) {
    throw DataError(fmt::format("cannot create {}: {}", directory.string(), error.message()));
  }
  const fs::path target = partition_path(key, day);
  const fs::path temporary =
      directory / fmt::format(".{}.tmp.{}.{}", target.filename().string(), ::getpid(), counter++);

  FileHeader header{};
  header.magic = kMagic;
  header.version = kFormatVersion;
  header.columns = BarSeries::kColumns;
  header.rows = bars.size();
  header.timeframe_ms = duration_ms(key.timeframe);
  header.day = day;
  header.checksum = checksum_of(bars, 0, bars.size());

  {
    const File file(temporary, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (!file.ok()) fail_io("cannot create", temporary);
    std::array<iovec, BarSeries::kColumns + 1> parts{};
    parts[0] = {&header, sizeof header};
    for (std::size_t c = 0; c < BarSeries::kColumns; ++c) {
      parts[c + 1] = {const_cast<int64_t*>(bars.column(static_cast<BarSeries::Column>(c)).data()),
                      bars.size() * sizeof(int64_t)};
    }
    const auto expected = static_cast<ssize_t>(sizeof header + bars.size() * kRowBytes);
    const ssize_t written = ::pwritev(file.fd(), parts.data(), static_cast<int>(parts.size()), 0);
    if (written != expected || ::fsync(file.fd()) != 0) {
      const int saved = errno;
      fs::remove(temporary, error);
      errno = saved;
      fail_io("cannot write", temporary);
    }
  }
  if (::rename(temporary.c_str(), target.c_str()) != 0) {
    const int saved = errno;
    fs::remove(temporary, error);
    errno = saved;
    fail_io("cannot rename into", target);
  }
  const File directory_file(directory, O_RDONLY | O_DIRECTORY);
  if (!directory_file.ok() || ::fsync(directory_file.fd()) != 0) fail_io("cannot flush", directory);
}

UpsertResult BarStore::upsert_bars(const SeriesKey& key, std::span<const Bar> bars) {
  UpsertResult result;
  for (const Bar& bar : bars) check_bar(bar, key);
  // Bumped before and after the writes (even a failed one), so a memo taken while they ran is
  // stale afterwards.
  struct Bump {
    std::atomic<uint64_t>& generation;
    explicit Bump(std::atomic<uint64_t>& g) : generation(g) { generation.fetch_add(1); }
    ~Bump() { generation.fetch_add(1); }
  } bump(generation_);
  // Sort by open time; among equal open times the later input is the newer and wins.
  std::vector<Bar> incoming(bars.begin(), bars.end());
  std::stable_sort(incoming.begin(), incoming.end(),
                   [](const Bar& a, const Bar& b) { return a.open_time < b.open_time; });
  std::vector<Bar> unique;
  unique.reserve(incoming.size());
  for (const Bar& bar : incoming) {
    if (!unique.empty() && unique.back().open_time == bar.open_time) {
      unique.back() = bar;
    } else {
      unique.push_back(bar);
    }
  }

  std::size_t begin = 0;
  while (begin < unique.size()) {
    const TimestampMs day = floor_to(unique[begin].open_time, kDayMs);
    std::size_t end = begin;
    while (end < unique.size() && unique[end].open_time < day + kDayMs) ++end;

    const fs::path path = partition_path(key, day);
    std::vector<Bar> stored;
    if (fs::exists(path)) stored = read_partition(path).to_bars();
    std::vector<Bar> merged;
    merged.reserve(stored.size() + (end - begin));
    std::size_t s = 0;
    bool changed = false;
    for (std::size_t n = begin; n < end; ++n) {
      while (s < stored.size() && stored[s].open_time < unique[n].open_time)
        merged.push_back(stored[s++]);
      if (s < stored.size() && stored[s].open_time == unique[n].open_time) {
        changed = changed || !(stored[s] == unique[n]);
        ++result.replaced;
        ++s;
      } else {
        changed = true;
        ++result.inserted;
      }
      merged.push_back(unique[n]);
    }
    while (s < stored.size()) merged.push_back(stored[s++]);
    if (changed) {
      write_partition(key, day, BarSeries::from_bars(merged));
      ++result.partitions;
    }
    begin = end;
  }
  return result;
}

}  // namespace gauntlet::data
