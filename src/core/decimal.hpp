// File: core/decimal.hpp
//
// Decimal: the fixed-point type of every price, quantity and amount of money in Gauntlet.
// A value is an int64_t count of 1e-9 units (9 decimal places), so the range is
// [-9223372036.854775808, 9223372036.854775807] and every value has an exact decimal string.
//
// Arithmetic: + and - are exact and throw DecimalError on overflow. * and / compute the exact
// result with 128-bit intermediates and round it to 9 places, half-even by default; mul() and
// div() take an explicit Rounding (floor/ceil for sizing to a step). Division by zero and a
// result outside the range throw DecimalError.
//
// Strings (parse): an optional sign, digits with an optional '.', and an optional exponent
// ("1e-3", "2.5E+2"); at least one digit ("5.", ".5" are accepted; ".", "", " 1", "1,0",
// "0x1", "nan", "inf" are not). parse(text) is exact: it throws when the value has non-zero
// digits past the 9th decimal place or lies outside the range. parse(text, rounding) rounds
// such digits instead. to_string() prints the shortest exact form ("12.5", "-0.000000001",
// "0"), which parse() reads back to the same value.
//
// Doubles are accepted only at the API edge: from_double(x) rounds the exact binary value of x
// to 9 places (half-even by default), so from_double(0.1) is 0.1 and from_double(1e-10) is 0.
// NaN, infinities and values outside the range throw DecimalError. to_double() is for
// indicators, features and statistics only.
//
// Threading: a plain value type.
#pragma once

#include <fmt/format.h>

#include <compare>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>

namespace gauntlet {

enum class Rounding {
  kHalfEven,    // to nearest, ties to even (banker's rounding); the default
  kHalfUp,      // to nearest, ties away from zero
  kFloor,       // towards negative infinity
  kCeil,        // towards positive infinity
  kTowardZero,  // truncation
};

class Decimal {
 public:
  static constexpr int kScale = 9;
  static constexpr int64_t kOne = 1'000'000'000;

  constexpr Decimal() = default;

  // The value raw * 1e-9.
  static constexpr Decimal from_raw(int64_t raw) noexcept { return Decimal(raw); }
  // The integer value units; throws DecimalError when outside the range.
  static Decimal from_int(int64_t units);
  static Decimal parse(std::string_view text);
  static Decimal parse(std::string_view text, Rounding rounding);
  static Decimal from_double(double value, Rounding rounding = Rounding::kHalfEven);

  static constexpr Decimal zero() noexcept { return Decimal(0); }
  static constexpr Decimal one() noexcept { return Decimal(kOne); }
  static constexpr Decimal max() noexcept { return Decimal(INT64_MAX); }
  static constexpr Decimal min() noexcept { return Decimal(INT64_MIN); }

  constexpr int64_t raw() const noexcept { return raw_; }
  double to_double() const noexcept;
  // The shortest exact decimal string.
  std::string to_string() const;
  // Exactly `places` (0..9) decimals, rounded as given.
  std::string to_string(int places, Rounding rounding = Rounding::kHalfEven) const;

  constexpr bool is_zero() const noexcept { return raw_ == 0; }
  constexpr bool is_negative() const noexcept { return raw_ < 0; }
  constexpr bool is_positive() const noexcept { return raw_ > 0; }
  constexpr int sign() const noexcept { return (raw_ > 0) - (raw_ < 0); }

  Decimal operator+(Decimal other) const;
  Decimal operator-(Decimal other) const;
  Decimal operator-() const;
  Decimal operator*(Decimal other) const { return mul(other, Rounding::kHalfEven); }
  Decimal operator/(Decimal other) const { return div(other, Rounding::kHalfEven); }
  Decimal& operator+=(Decimal other) { return *this = *this + other; }
  Decimal& operator-=(Decimal other) { return *this = *this - other; }
  Decimal& operator*=(Decimal other) { return *this = *this * other; }
  Decimal& operator/=(Decimal other) { return *this = *this / other; }

  Decimal mul(Decimal other, Rounding rounding) const;
  Decimal div(Decimal other, Rounding rounding) const;
  Decimal abs() const;

  // The multiple of `step` (> 0) nearest to this value under `rounding`: kFloor for a
  // quantity that must not exceed what was sized, kCeil for a minimum.
  Decimal round_to_step(Decimal step, Rounding rounding = Rounding::kHalfEven) const;
  // This value rounded to `places` (0..9) decimal places.
  Decimal round_to_places(int places, Rounding rounding = Rounding::kHalfEven) const;
  // True when this value is an exact multiple of `step` (> 0).
  bool is_multiple_of(Decimal step) const;

  friend constexpr auto operator<=>(Decimal, Decimal) = default;

 private:
  constexpr explicit Decimal(int64_t raw) noexcept : raw_(raw) {}

  int64_t raw_ = 0;
};

std::ostream& operator<<(std::ostream& out, Decimal value);

namespace literals {
// "0.001"_d; throws DecimalError on an inexact or malformed literal.
inline Decimal operator""_d(const char* text, std::size_t size) {
  return Decimal::parse(std::string_view(text, size));
}
}  // namespace literals

}  // namespace gauntlet

template <>
struct std::hash<gauntlet::Decimal> {
  std::size_t operator()(gauntlet::Decimal value) const noexcept {
    return std::hash<int64_t>{}(value.raw());
  }
};

template <>
struct fmt::formatter<gauntlet::Decimal> : fmt::formatter<std::string_view> {
  auto format(gauntlet::Decimal value, fmt::format_context& context) const {
    return fmt::formatter<std::string_view>::format(value.to_string(), context);
  }
};
