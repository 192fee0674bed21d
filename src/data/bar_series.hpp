// File: data/bar_series.hpp
//
// BarSeries: bars of one symbol and timeframe in contiguous columns, oldest first: open times
// (ms UTC) and the raw int64 values of the Decimal open, high, low, close, volume and turnover
// (Decimal::raw(), units of 1e-9). The store loads partitions straight into these columns; the
// indicators read them as spans. Columns are allocated without zero-filling, so a load touches
// each byte once.
//
// Threading: a plain value; concurrent reads are safe, writes need one owner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/decimal.hpp"
#include "core/interfaces.hpp"

namespace gauntlet::data {

class BarSeries {
 public:
  enum Column : std::size_t { kOpenTime, kOpen, kHigh, kLow, kClose, kVolume, kTurnover };
  static constexpr std::size_t kColumns = 7;

  BarSeries() = default;
  BarSeries(BarSeries&&) noexcept = default;
  BarSeries& operator=(BarSeries&&) noexcept = default;
  BarSeries(const BarSeries& other);
  BarSeries& operator=(const BarSeries& other);

  static BarSeries from_bars(std::span<const Bar> bars);

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  std::span<const int64_t> column(Column column) const { return {columns_[column].get(), size_}; }
  std::span<const int64_t> open_time() const { return column(kOpenTime); }
  Bar bar(std::size_t index) const;
  Bar front() const { return bar(0); }
  Bar back() const { return bar(size_ - 1); }
  std::vector<Bar> to_bars() const;
  // A price or volume column as doubles, for indicators and statistics.
  std::vector<double> to_doubles(Column column) const;

  // Appends one bar, growing the columns geometrically.
  void push_back(const Bar& bar);
  // Makes room for `count` bars in total without changing size().
  void reserve(std::size_t count);
  // Grows size() by `count` and returns the index of the first new row, whose values are
  // unspecified until written through mutable_column().
  std::size_t grow_uninitialized(std::size_t count);
  int64_t* mutable_column(Column column) { return columns_[column].get(); }

  friend bool operator==(const BarSeries& a, const BarSeries& b);

 private:
  // One column's memory: small columns from the heap; large ones mapped directly and backed
  // by transparent huge pages where the kernel allows, so that loading a year of bars costs a
  // few page faults instead of thousands.
  class ColumnMemory {
   public:
    ColumnMemory() = default;
    explicit ColumnMemory(std::size_t count);
    ~ColumnMemory();
    ColumnMemory(ColumnMemory&& other) noexcept;
    ColumnMemory& operator=(ColumnMemory&& other) noexcept;
    int64_t* get() const { return data_; }
    int64_t& operator[](std::size_t index) const { return data_[index]; }

   private:
    void release();
    int64_t* data_ = nullptr;
    void* mapping_ = nullptr;  // non-null when mapped
    std::size_t mapping_bytes_ = 0;
  };

  ColumnMemory columns_[kColumns];
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace gauntlet::data
