#include "data/bar_series.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <new>
#include <tuple>
#include <utility>
#include <vector>

namespace gauntlet::data {
namespace {

constexpr std::size_t kMapThreshold = std::size_t{1} << 20;  // bytes
constexpr std::size_t kHugePage = std::size_t{2} << 20;

}  // namespace

// Released column mappings kept for reuse, like malloc keeps freed memory below its trim
// threshold: a later load of a similar size (the next walk-forward fold, the next symbol)
// reuses them instead of faulting in pages the kernel must zero again.
class MappingCache {
 public:
  static MappingCache& instance() {
    static MappingCache cache;
    return cache;
  }

  // A cached mapping of at least `bytes` (the smallest that fits), or {nullptr, 0}.
  std::pair<void*, std::size_t> take(std::size_t bytes) {
    const std::lock_guard lock(mutex_);
    auto best = entries_.end();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->second >= bytes && (best == entries_.end() || it->second < best->second)) best = it;
    }
    if (best == entries_.end()) return {nullptr, 0};
    const auto entry = *best;
    entries_.erase(best);
    cached_bytes_ -= entry.second;
    return entry;
  }

  // Keeps the mapping when it fits the budget, else unmaps it.
  void give(void* mapping, std::size_t bytes) {
    {
      const std::lock_guard lock(mutex_);
      if (entries_.size() < kMaxEntries && cached_bytes_ + bytes <= kMaxBytes) {
        entries_.emplace_back(mapping, bytes);
        cached_bytes_ += bytes;
        return;
      }
    }
    ::munmap(mapping, bytes);
  }

 private:
  static constexpr std::size_t kMaxEntries = 32;
  static constexpr std::size_t kMaxBytes = std::size_t{512} << 20;

  std::mutex mutex_;
  std::vector<std::pair<void*, std::size_t>> entries_;
  std::size_t cached_bytes_ = 0;
};

BarSeries::ColumnMemory::ColumnMemory(std::size_t count) {
  const std::size_t bytes = count * sizeof(int64_t);
  if (bytes < kMapThreshold) {
    data_ = new int64_t[count];  // default-initialised: not zero-filled
    return;
  }
  // Over-map by a huge page so the column can start on a 2 MiB boundary.
  const std::size_t wanted = bytes + kHugePage;
  std::tie(mapping_, mapping_bytes_) = MappingCache::instance().take(wanted);
  if (mapping_ == nullptr) {
    mapping_bytes_ = wanted;
    mapping_ =
        ::mmap(nullptr, mapping_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapping_ == MAP_FAILED) {
      mapping_ = nullptr;
      throw std::bad_alloc();
    }
  }
  const auto address = reinterpret_cast<std::uintptr_t>(mapping_);
  const std::uintptr_t aligned = (address + kHugePage - 1) & ~(kHugePage - 1);
  ::madvise(reinterpret_cast<void*>(aligned), bytes, MADV_HUGEPAGE);  // advisory only
  data_ = reinterpret_cast<int64_t*>(aligned);
}

BarSeries::ColumnMemory::~ColumnMemory() {
  release();
}

BarSeries::ColumnMemory::ColumnMemory(ColumnMemory&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      mapping_(std::exchange(other.mapping_, nullptr)),
      mapping_bytes_(std::exchange(other.mapping_bytes_, 0)) {}

BarSeries::ColumnMemory& BarSeries::ColumnMemory::operator=(ColumnMemory&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    mapping_ = std::exchange(other.mapping_, nullptr);
    mapping_bytes_ = std::exchange(other.mapping_bytes_, 0);
  }
  return *this;
}

void BarSeries::ColumnMemory::release() {
  if (mapping_ != nullptr) {
    MappingCache::instance().give(mapping_, mapping_bytes_);
  } else {
    delete[] data_;
  }
  data_ = nullptr;
  mapping_ = nullptr;
  mapping_bytes_ = 0;
}

BarSeries::BarSeries(const BarSeries& other) {
  *this = other;
}

BarSeries& BarSeries::operator=(const BarSeries& other) {
  if (this == &other) return *this;
  size_ = 0;
  reserve(other.size_);
  for (std::size_t c = 0; c < kColumns; ++c) {
    if (other.size_ > 0) {
      std::memcpy(columns_[c].get(), other.columns_[c].get(), other.size_ * sizeof(int64_t));
    }
  }
  size_ = other.size_;
  return *this;
}

BarSeries BarSeries::from_bars(std::span<const Bar> bars) {
  BarSeries series;
  series.reserve(bars.size());
  for (const Bar& bar : bars) series.push_back(bar);
  return series;
}

Bar BarSeries::bar(std::size_t index) const {
  return Bar{columns_[kOpenTime][index],
             Decimal::from_raw(columns_[kOpen][index]),
             Decimal::from_raw(columns_[kHigh][index]),
             Decimal::from_raw(columns_[kLow][index]),
             Decimal::from_raw(columns_[kClose][index]),
             Decimal::from_raw(columns_[kVolume][index]),
             Decimal::from_raw(columns_[kTurnover][index])};
}

std::vector<Bar> BarSeries::to_bars() const {
  std::vector<Bar> bars;
  bars.reserve(size_);
  for (std::size_t i = 0; i < size_; ++i) bars.push_back(bar(i));
  return bars;
}

std::vector<double> BarSeries::to_doubles(Column column) const {
  std::vector<double> values(size_);
  const int64_t* raw = columns_[column].get();
  for (std::size_t i = 0; i < size_; ++i) values[i] = Decimal::from_raw(raw[i]).to_double();
  return values;
}

void BarSeries::push_back(const Bar& bar) {
  if (size_ == capacity_) reserve(std::max<std::size_t>(16, capacity_ * 2));
  columns_[kOpenTime][size_] = bar.open_time;
  columns_[kOpen][size_] = bar.open.raw();
  columns_[kHigh][size_] = bar.high.raw();
  columns_[kLow][size_] = bar.low.raw();
  columns_[kClose][size_] = bar.close.raw();
  columns_[kVolume][size_] = bar.volume.raw();
  columns_[kTurnover][size_] = bar.turnover.raw();
  ++size_;
}

void BarSeries::reserve(std::size_t count) {
  if (count <= capacity_) return;
  for (auto& column : columns_) {
    ColumnMemory grown(count);
    if (size_ > 0) std::memcpy(grown.get(), column.get(), size_ * sizeof(int64_t));
    column = std::move(grown);
  }
  capacity_ = count;
}

std::size_t BarSeries::grow_uninitialized(std::size_t count) {
  if (size_ + count > capacity_) reserve(std::max(size_ + count, capacity_ * 2));
  const std::size_t first = size_;
  size_ += count;
  return first;
}

bool operator==(const BarSeries& a, const BarSeries& b) {
  if (a.size_ != b.size_) return false;
  for (std::size_t c = 0; c < BarSeries::kColumns; ++c) {
    if (a.size_ > 0 &&
        std::memcmp(a.columns_[c].get(), b.columns_[c].get(), a.size_ * sizeof(int64_t)) != 0) {
      return false;
    }
  }
  return true;
}

}  // namespace gauntlet::data
