// File: core/time.hpp
//
// Time in Gauntlet is an int64_t count of milliseconds since 1970-01-01T00:00:00Z (UTC),
// everywhere. This file owns the conversions to and from ISO-8601 text, durations written with
// a unit ("250ms", "15m"), alignment to bar boundaries, and the bar Timeframes the engine uses.
//
// ISO-8601 accepted by parse_iso8601 (years 0000-9999):
//   2024-03-01                       midnight UTC
//   2024-03-01T12:30 / 12:30:05      'T', 't' or one space between date and time
//   2024-03-01T12:30:05.123456       1-9 fraction digits, truncated to the millisecond
//   ...Z | ...+02:00 | ...-0500       zone; no zone means UTC
// Leap seconds (":60"), out-of-range fields and anything else throw TimeError.
// format_iso8601 always writes "2024-03-01T12:30:05.123Z".
//
// Threading: pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gauntlet {

using TimestampMs = int64_t;
using DurationMs = int64_t;

inline constexpr DurationMs kSecondMs = 1'000;
inline constexpr DurationMs kMinuteMs = 60 * kSecondMs;
inline constexpr DurationMs kHourMs = 60 * kMinuteMs;
inline constexpr DurationMs kDayMs = 24 * kHourMs;

TimestampMs parse_iso8601(std::string_view text);
std::string format_iso8601(TimestampMs time);

// "250ms", "1s", "15m", "4h", "1d" (a non-negative integer and a unit); throws TimeError.
DurationMs parse_duration(std::string_view text);
// The shortest exact spelling: 900000 -> "15m", 1500 -> "1500ms".
std::string format_duration(DurationMs duration);

// The largest multiple of `step` (> 0) at or before `time`; correct for negative times.
TimestampMs floor_to(TimestampMs time, DurationMs step);
// The smallest multiple of `step` (> 0) at or after `time`.
TimestampMs ceil_to(TimestampMs time, DurationMs step);

enum class Timeframe { k1m, k3m, k5m, k15m, k30m, k1h, k4h, k1d };

inline constexpr std::array<Timeframe, 8> kAllTimeframes = {
    Timeframe::k1m,  Timeframe::k3m, Timeframe::k5m, Timeframe::k15m,
    Timeframe::k30m, Timeframe::k1h, Timeframe::k4h, Timeframe::k1d};

// "1m", "3m", "5m", "15m", "30m", "1h", "4h", "1d"; nullopt for anything else.
std::optional<Timeframe> timeframe_from_string(std::string_view text);
// Like timeframe_from_string but throws TimeError naming the accepted spellings.
Timeframe parse_timeframe(std::string_view text);
std::string_view to_string(Timeframe timeframe);
DurationMs duration_ms(Timeframe timeframe);

// Bar boundaries: every timeframe is aligned to the epoch (4h bars open at 00, 04, ... UTC and
// 1d bars at midnight UTC, as on Bybit).
inline TimestampMs floor_to(TimestampMs time, Timeframe timeframe) {
  return floor_to(time, duration_ms(timeframe));
}
inline TimestampMs ceil_to(TimestampMs time, Timeframe timeframe) {
  return ceil_to(time, duration_ms(timeframe));
}

}  // namespace gauntlet
