#include "core/time.hpp"

#include <fmt/format.h>

#include <chrono>

#include "core/exceptions.hpp"

namespace gauntlet {
namespace {

[[noreturn]] void fail(std::string_view text, std::string_view problem) {
  throw TimeError(fmt::format("invalid ISO-8601 time \"{}\": {}", text, problem));
}

// Reads exactly `count` digits at `position`, advancing it.
int read_digits(std::string_view text, std::size_t& position, int count, const char* field) {
  int value = 0;
  for (int i = 0; i < count; ++i, ++position) {
    if (position >= text.size() || text[position] < '0' || text[position] > '9') {
      fail(text, fmt::format("expected {} digits for the {}", count, field));
    }
    value = value * 10 + (text[position] - '0');
  }
  return value;
}

void expect(std::string_view text, std::size_t& position, char c) {
  if (position >= text.size() || text[position] != c) {
    fail(text, fmt::format("expected '{}' at position {}", c, position));
  }
  ++position;
}

int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

struct TimeframeName {
  Timeframe timeframe;
  std::string_view name;
  DurationMs duration;
};

constexpr std::array<TimeframeName, 8> kTimeframeNames = {{
    {Timeframe::k1m, "1m", kMinuteMs},
    {Timeframe::k3m, "3m", 3 * kMinuteMs},
    {Timeframe::k5m, "5m", 5 * kMinuteMs},
    {Timeframe::k15m, "15m", 15 * kMinuteMs},
    {Timeframe::k30m, "30m", 30 * kMinuteMs},
    {Timeframe::k1h, "1h", kHourMs},
    {Timeframe::k4h, "4h", 4 * kHourMs},
    {Timeframe::k1d, "1d", kDayMs},
}};

}  // namespace

TimestampMs parse_iso8601(std::string_view text) {
  using namespace std::chrono;
  std::size_t position = 0;
  const int year_value = read_digits(text, position, 4, "year");
  expect(text, position, '-');
  const int month_value = read_digits(text, position, 2, "month");
  expect(text, position, '-');
  const int day_value = read_digits(text, position, 2, "day");
  const year_month_day date{year{year_value}, month{static_cast<unsigned>(month_value)},
                            day{static_cast<unsigned>(day_value)}};
  if (!date.ok()) fail(text, "no such date");
  int64_t millis = sys_days{date}.time_since_epoch().count() * kDayMs;
  if (position == text.size()) return millis;

  const char separator = text[position];
  if (separator != 'T' && separator != 't' && separator != ' ') {
    fail(text, fmt::format("expected 'T' or ' ' at position {}", position));
  }
  ++position;
  const int hour_value = read_digits(text, position, 2, "hour");
  expect(text, position, ':');
  const int minute_value = read_digits(text, position, 2, "minute");
  int second_value = 0;
  int fraction_ms = 0;
  if (position < text.size() && text[position] == ':') {
    ++position;
    second_value = read_digits(text, position, 2, "second");
    if (position < text.size() && (text[position] == '.' || text[position] == ',')) {
      ++position;
      int digits = 0;
      for (; position < text.size() && text[position] >= '0' && text[position] <= '9';
           ++position, ++digits) {
        if (digits < 3) fraction_ms = fraction_ms * 10 + (text[position] - '0');
      }
      if (digits == 0 || digits > 9) fail(text, "the fraction needs 1 to 9 digits");
      for (int i = digits; i < 3; ++i) fraction_ms *= 10;
    }
  }
  if (hour_value > 23) fail(text, "hour above 23");
  if (minute_value > 59) fail(text, "minute above 59");
  if (second_value > 59) fail(text, "second above 59 (leap seconds are not accepted)");
  millis +=
      hour_value * kHourMs + minute_value * kMinuteMs + second_value * kSecondMs + fraction_ms;

  if (position == text.size()) return millis;
  const char zone = text[position];
  if (zone == 'Z' || zone == 'z') {
    ++position;
  } else if (zone == '+' || zone == '-') {
    ++position;
    const int offset_hours = read_digits(text, position, 2, "zone hours");
    if (position < text.size() && text[position] == ':') ++position;
    const int offset_minutes = read_digits(text, position, 2, "zone minutes");
    if (offset_hours > 23 || offset_minutes > 59) fail(text, "zone offset out of range");
    const int64_t offset = offset_hours * kHourMs + offset_minutes * kMinuteMs;
    millis += zone == '+' ? -offset : offset;
  } else {
    fail(text, fmt::format("unexpected '{}' at position {}", zone, position));
  }
  if (position != text.size()) fail(text, fmt::format("trailing text at position {}", position));
  return millis;
}

std::string format_iso8601(TimestampMs time) {
  using namespace std::chrono;
  const int64_t days_since_epoch = floor_div(time, kDayMs);
  const int64_t in_day = time - days_since_epoch * kDayMs;
  const year_month_day date{sys_days{days{days_since_epoch}}};
  const int year_value = static_cast<int>(date.year());
  if (year_value < 0 || year_value > 9999) {
    throw TimeError(fmt::format("time {} ms is outside years 0000-9999", time));
  }
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", year_value,
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     in_day / kHourMs, in_day % kHourMs / kMinuteMs, in_day % kMinuteMs / kSecondMs,
                     in_day % kSecondMs);
}

DurationMs parse_duration(std::string_view text) {
  std::size_t position = 0;
  int64_t value = 0;
  for (; position < text.size() && text[position] >= '0' && text[position] <= '9'; ++position) {
    if (value > (INT64_MAX / 10) - 10) {
      throw TimeError(fmt::format("invalid duration \"{}\": too large", text));
    }
    value = value * 10 + (text[position] - '0');
  }
  if (position == 0) {
    throw TimeError(fmt::format("invalid duration \"{}\": expected a number then a unit", text));
  }
  const std::string_view unit = text.substr(position);
  int64_t scale = 0;
  if (unit == "ms") {
    scale = 1;
  } else if (unit == "s") {
    scale = kSecondMs;
  } else if (unit == "m") {
    scale = kMinuteMs;
  } else if (unit == "h") {
    scale = kHourMs;
  } else if (unit == "d") {
    scale = kDayMs;
  } else {
    throw TimeError(
        fmt::format("invalid duration \"{}\": the unit must be one of ms, s, m, h, d", text));
  }
  if (value > INT64_MAX / scale)
    throw TimeError(fmt::format("invalid duration \"{}\": too large", text));
  return value * scale;
}

std::string format_duration(DurationMs duration) {
  struct Unit {
    DurationMs scale;
    const char* name;
  };
  constexpr std::array<Unit, 4> kUnits = {
      {{kDayMs, "d"}, {kHourMs, "h"}, {kMinuteMs, "m"}, {kSecondMs, "s"}}};
  if (duration != 0) {
    for (const Unit& unit : kUnits) {
      if (duration % unit.scale == 0) return fmt::format("{}{}", duration / unit.scale, unit.name);
    }
  }
  return fmt::format("{}ms", duration);
}

TimestampMs floor_to(TimestampMs time, DurationMs step) {
  if (step <= 0) throw TimeError(fmt::format("alignment step must be positive, was {}", step));
  return floor_div(time, step) * step;
}

TimestampMs ceil_to(TimestampMs time, DurationMs step) {
  const TimestampMs floored = floor_to(time, step);
  return floored == time ? time : floored + step;
}

std::optional<Timeframe> timeframe_from_string(std::string_view text) {
  for (const TimeframeName& entry : kTimeframeNames) {
    if (entry.name == text) return entry.timeframe;
  }
  return std::nullopt;
}

Timeframe parse_timeframe(std::string_view text) {
  if (auto timeframe = timeframe_from_string(text)) return *timeframe;
  throw TimeError(fmt::format(
      "invalid timeframe \"{}\": expected one of 1m, 3m, 5m, 15m, 30m, 1h, 4h, 1d", text));
}

std::string_view to_string(Timeframe timeframe) {
  return kTimeframeNames[static_cast<std::size_t>(timeframe)].name;
}

DurationMs duration_ms(Timeframe timeframe) {
  return kTimeframeNames[static_cast<std::size_t>(timeframe)].duration;
}

}  // namespace gauntlet
