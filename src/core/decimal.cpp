#include "core/decimal.hpp"

#include <fmt/format.h>

#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <ostream>

#include "core/exceptions.hpp"

namespace gauntlet {
namespace {

using Int128 = __int128;
using Uint128 = unsigned __int128;

constexpr Int128 kInt64Max = INT64_MAX;
constexpr Int128 kInt64Min = INT64_MIN;

constexpr int kMaxPow10 = 38;  // 10^38 < 2^127

constexpr Uint128 pow10(int exponent) {
  Uint128 result = 1;
  for (int i = 0; i < exponent; ++i) result *= 10;
  return result;
}

constexpr auto kPow10 = [] {
  std::array<Uint128, kMaxPow10 + 1> table{};
  for (int i = 0; i <= kMaxPow10; ++i) table[i] = pow10(i);
  return table;
}();

Uint128 magnitude(Int128 value) {
  return value < 0 ? -static_cast<Uint128>(value) : value;
}

// num / den rounded as asked; den != 0. |num| and |den| must be below 2^126 so that twice a
// remainder cannot overflow.
Int128 round_div(Int128 num, Int128 den, Rounding rounding, bool* inexact = nullptr) {
  Int128 quotient = num / den;
  const Int128 remainder = num % den;
  if (remainder == 0) return quotient;
  if (inexact != nullptr) *inexact = true;
  const bool negative = (num < 0) != (den < 0);
  const Int128 away = negative ? quotient - 1 : quotient + 1;
  switch (rounding) {
    case Rounding::kTowardZero:
      return quotient;
    case Rounding::kFloor:
      return negative ? away : quotient;
    case Rounding::kCeil:
      return negative ? quotient : away;
    case Rounding::kHalfUp:
    case Rounding::kHalfEven: {
      const Uint128 twice = magnitude(remainder) * 2;
      const Uint128 divisor = magnitude(den);
      if (twice > divisor) return away;
      if (twice < divisor) return quotient;
      if (rounding == Rounding::kHalfUp) return away;
      return (quotient % 2 == 0) ? quotient : away;
    }
  }
  return quotient;
}

int64_t checked_narrow(Int128 value, const char* operation, Decimal left, Decimal right) {
  if (value > kInt64Max || value < kInt64Min) {
    throw DecimalError(
        fmt::format("decimal overflow: {} {} {} is outside the range", left, operation, right));
  }
  return static_cast<int64_t>(value);
}

[[noreturn]] void throw_parse(std::string_view text, std::string_view problem) {
  throw DecimalError(fmt::format("invalid decimal \"{}\": {}", text, problem));
}

// The parser behind both parse() overloads. With `exact`, a value that needs rounding throws.
Decimal parse_decimal(std::string_view text, Rounding rounding, bool exact) {
  std::size_t position = 0;
  const std::size_t size = text.size();
  if (size == 0) throw_parse(text, "empty string");
  bool negative = false;
  if (text[0] == '+' || text[0] == '-') {
    negative = text[0] == '-';
    ++position;
  }

  // Up to kKeep significant digits are kept in `mantissa`; later non-zero digits only set
  // `sticky`, which is enough to round correctly.
  constexpr int kKeep = 36;
  constexpr int kNarrow = 19;  // digits that fit a uint64_t, the common case
  uint64_t narrow = 0;
  Uint128 mantissa = 0;
  int kept = 0;
  bool sticky = false;
  int64_t exponent = 0;  // of the last kept digit
  int digits = 0;
  bool seen_point = false;
  for (; position < size; ++position) {
    const char c = text[position];
    if (c >= '0' && c <= '9') {
      ++digits;
      if (kept < kKeep) {
        if (kept != 0 || c != '0') {
          if (kept < kNarrow) {
            narrow = narrow * 10 + static_cast<unsigned>(c - '0');
          } else {
            if (kept == kNarrow) mantissa = narrow;
            mantissa = mantissa * 10 + static_cast<unsigned>(c - '0');
          }
          ++kept;
        }
        if (seen_point) --exponent;
      } else {
        if (c != '0') sticky = true;
        if (!seen_point) ++exponent;
      }
    } else if (c == '.' && !seen_point) {
      seen_point = true;
    } else {
      break;
    }
  }
  if (kept <= kNarrow) mantissa = narrow;
  if (digits == 0) {
    if (position < size && text[position] != 'e' && text[position] != 'E') {
      throw_parse(
          text, fmt::format("unexpected character '{}' at position {}", text[position], position));
    }
    throw_parse(text, "no digits");
  }

  if (position < size) {
    if (text[position] != 'e' && text[position] != 'E') {
      throw_parse(
          text, fmt::format("unexpected character '{}' at position {}", text[position], position));
    }
    ++position;
    bool exponent_negative = false;
    if (position < size && (text[position] == '+' || text[position] == '-')) {
      exponent_negative = text[position] == '-';
      ++position;
    }
    int64_t written = 0;
    int exponent_digits = 0;
    for (; position < size && text[position] >= '0' && text[position] <= '9'; ++position) {
      if (written < 100'000) written = written * 10 + (text[position] - '0');
      ++exponent_digits;
    }
    if (exponent_digits == 0) throw_parse(text, "exponent has no digits");
    if (position < size) {
      throw_parse(
          text, fmt::format("unexpected character '{}' at position {}", text[position], position));
    }
    exponent += exponent_negative ? -written : written;
  }

  // value = mantissa * 10^exponent (+ sticky); raw = value * 10^9.
  const int64_t shift = exponent + Decimal::kScale;
  Int128 raw = 0;
  bool inexact = false;
  if (mantissa == 0) {
    raw = 0;  // sticky cannot be set without a kept non-zero digit
  } else if (shift >= 0) {
    if (shift > 19) throw_parse(text, "outside the decimal range");
    const Uint128 scaled = mantissa * kPow10[shift];
    if (mantissa > static_cast<Uint128>(kInt64Max) + 1 ||
        scaled > static_cast<Uint128>(kInt64Max) + 1) {
      throw_parse(text, "outside the decimal range");
    }
    raw = static_cast<Int128>(scaled);
    inexact = sticky;
    if (sticky) {
      // Dropped digits lie below the last kept one, itself above the 9th decimal place.
      if (rounding == Rounding::kCeil && !negative) raw += 1;
      if (rounding == Rounding::kFloor && negative) raw += 1;
    }
  } else if (-shift + 1 <= kMaxPow10) {
    // One extra digit carries `sticky`, so a dropped tail breaks ties correctly.
    const Int128 num = static_cast<Int128>(mantissa * 10 + (sticky ? 1 : 0));
    raw = round_div(negative ? -num : num, static_cast<Int128>(kPow10[-shift + 1]), rounding,
                    &inexact);
    if (negative) raw = -raw;
  } else {
    inexact = true;  // below half a unit of the 9th place
    if ((rounding == Rounding::kCeil && !negative) || (rounding == Rounding::kFloor && negative)) {
      raw = 1;
    }
  }
  if (exact && inexact) throw_parse(text, "more than 9 decimal places");
  if (negative) raw = -raw;
  if (raw > kInt64Max || raw < kInt64Min) throw_parse(text, "outside the decimal range");
  return Decimal::from_raw(static_cast<int64_t>(raw));
}

// The decimal text of `raw` units with exactly `places` decimals (the dropped low digits of
// the fraction must be zero), written backwards into a stack buffer.
std::string format_raw(int64_t raw, int places) {
  char buffer[32];
  char* end = buffer + sizeof buffer;
  char* cursor = end;
  const bool negative = raw < 0;
  uint64_t units = negative ? -static_cast<uint64_t>(raw) : static_cast<uint64_t>(raw);
  uint64_t fraction = units % Decimal::kOne;
  uint64_t whole = units / Decimal::kOne;
  if (places > 0) {
    for (int i = places; i < Decimal::kScale; ++i) fraction /= 10;
    for (int i = 0; i < places; ++i) {
      *--cursor = static_cast<char>('0' + fraction % 10);
      fraction /= 10;
    }
    *--cursor = '.';
  }
  do {
    *--cursor = static_cast<char>('0' + whole % 10);
    whole /= 10;
  } while (whole != 0);
  if (negative) *--cursor = '-';
  return std::string(cursor, end);
}

}  // namespace

Decimal Decimal::from_int(int64_t units) {
  const Int128 raw = static_cast<Int128>(units) * kOne;
  if (raw > kInt64Max || raw < kInt64Min) {
    throw DecimalError(fmt::format("decimal overflow: integer {} is outside the range", units));
  }
  return Decimal(static_cast<int64_t>(raw));
}

Decimal Decimal::parse(std::string_view text) {
  return parse_decimal(text, Rounding::kHalfEven, /*exact=*/true);
}

Decimal Decimal::parse(std::string_view text, Rounding rounding) {
  return parse_decimal(text, rounding, /*exact=*/false);
}

Decimal Decimal::from_double(double value, Rounding rounding) {
  if (!std::isfinite(value)) {
    throw DecimalError(fmt::format("cannot convert {} to a decimal", value));
  }
  if (value == 0) return Decimal(0);
  // value = significand * 2^exponent exactly.
  const uint64_t bits = std::bit_cast<uint64_t>(value);
  const bool negative = (bits >> 63) != 0;
  const int biased = static_cast<int>((bits >> 52) & 0x7ff);
  uint64_t significand = bits & ((uint64_t{1} << 52) - 1);
  int exponent = 0;
  if (biased == 0) {
    exponent = -1074;  // subnormal
  } else {
    significand |= uint64_t{1} << 52;
    exponent = biased - 1075;
  }
  const Int128 scaled = static_cast<Int128>(significand) * kOne;  // < 2^83
  Int128 raw = 0;
  if (exponent >= 0) {
    if (exponent > 40) {
      throw DecimalError(fmt::format("cannot convert {} to a decimal: outside the range", value));
    }
    raw = scaled << exponent;
  } else if (exponent > -120) {
    const Int128 divisor = static_cast<Int128>(1) << -exponent;
    raw = round_div(negative ? -scaled : scaled, divisor, rounding);
    if (negative) raw = -raw;
  } else {
    // Far below half a unit of the 9th place.
    const bool up =
        (rounding == Rounding::kCeil && !negative) || (rounding == Rounding::kFloor && negative);
    raw = up ? 1 : 0;
  }
  if (negative) raw = -raw;
  if (raw > kInt64Max || raw < kInt64Min) {
    throw DecimalError(fmt::format("cannot convert {} to a decimal: outside the range", value));
  }
  return Decimal(static_cast<int64_t>(raw));
}

double Decimal::to_double() const noexcept {
  // Below 2^53 the raw count converts exactly and one division rounds correctly.
  constexpr int64_t kExact = int64_t{1} << 53;
  if (raw_ > -kExact && raw_ < kExact) {
    return static_cast<double>(raw_) / static_cast<double>(kOne);
  }
  // Otherwise whole units and the 9-digit fraction convert exactly apart.
  const int64_t whole = raw_ / kOne;
  const int64_t fraction = raw_ % kOne;
  return static_cast<double>(whole) + static_cast<double>(fraction) / static_cast<double>(kOne);
}

std::string Decimal::to_string() const {
  int places = kScale;
  int64_t rest = raw_ % kOne;
  while (places > 0 && rest % 10 == 0) {
    rest /= 10;
    --places;
  }
  return format_raw(raw_, places);
}

std::string Decimal::to_string(int places, Rounding rounding) const {
  return format_raw(round_to_places(places, rounding).raw_, places);
}

Decimal Decimal::operator+(Decimal other) const {
  int64_t result = 0;
  if (__builtin_add_overflow(raw_, other.raw_, &result)) {
    throw DecimalError(fmt::format("decimal overflow: {} + {} is outside the range", *this, other));
  }
  return Decimal(result);
}

Decimal Decimal::operator-(Decimal other) const {
  int64_t result = 0;
  if (__builtin_sub_overflow(raw_, other.raw_, &result)) {
    throw DecimalError(fmt::format("decimal overflow: {} - {} is outside the range", *this, other));
  }
  return Decimal(result);
}

Decimal Decimal::operator-() const {
  if (raw_ == INT64_MIN) {
    throw DecimalError(fmt::format("decimal overflow: -({}) is outside the range", *this));
  }
  return Decimal(-raw_);
}

Decimal Decimal::abs() const {
  return raw_ < 0 ? -*this : *this;
}

Decimal Decimal::mul(Decimal other, Rounding rounding) const {
  const Int128 product = static_cast<Int128>(raw_) * other.raw_;  // |product| <= 2^126
  return Decimal(checked_narrow(round_div(product, kOne, rounding), "*", *this, other));
}

Decimal Decimal::div(Decimal other, Rounding rounding) const {
  if (other.raw_ == 0) throw DecimalError(fmt::format("decimal division by zero: {} / 0", *this));
  const Int128 numerator = static_cast<Int128>(raw_) * kOne;  // |numerator| < 2^93
  return Decimal(checked_narrow(round_div(numerator, other.raw_, rounding), "/", *this, other));
}

Decimal Decimal::round_to_step(Decimal step, Rounding rounding) const {
  if (step.raw_ <= 0) {
    throw DecimalError(fmt::format("rounding step must be positive, was {}", step));
  }
  const Int128 steps = round_div(raw_, step.raw_, rounding);
  return Decimal(checked_narrow(steps * step.raw_, "rounded to step", *this, step));
}

Decimal Decimal::round_to_places(int places, Rounding rounding) const {
  if (places < 0 || places > kScale) {
    throw DecimalError(fmt::format("decimal places must be in [0, 9], was {}", places));
  }
  return round_to_step(Decimal(static_cast<int64_t>(kPow10[kScale - places])), rounding);
}

bool Decimal::is_multiple_of(Decimal step) const {
  if (step.raw_ <= 0) {
    throw DecimalError(fmt::format("step must be positive, was {}", step));
  }
  return raw_ % step.raw_ == 0;
}

std::ostream& operator<<(std::ostream& out, Decimal value) {
  return out << value.to_string();
}

}  // namespace gauntlet
