// File: core/check.hpp
//
// GAUNTLET_CHECK(condition, format, args...) guards invariants: a NaN price, a negative
// quantity, an illegal state transition. When the condition is false it logs the message with
// file and line at critical level, flushes every logger and aborts; the restart reconciles.
// It is always on (release builds too): a trading engine that goes on with a broken invariant
// is worse than one that stops.
//
// Threading: safe from any thread.
#pragma once

#include <fmt/format.h>

#include <string>

namespace gauntlet::detail {

[[noreturn]] void check_failed(const char* file, int line, const char* condition,
                               const std::string& message);

}  // namespace gauntlet::detail

#define GAUNTLET_CHECK(condition, ...)                                 \
  do {                                                                 \
    if (!(condition)) [[unlikely]] {                                   \
      ::gauntlet::detail::check_failed(__FILE__, __LINE__, #condition, \
                                       ::fmt::format(__VA_ARGS__));    \
    }                                                                  \
  } while (false)
