#include "core/decimal.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "core/exceptions.hpp"

namespace gauntlet {
namespace {

using namespace gauntlet::literals;
using Int128 = __int128;

constexpr Int128 kOne = Decimal::kOne;

Int128 abs128(Int128 value) {
  return value < 0 ? -value : value;
}

TEST(Decimal, ParsesPlainDecimals) {
  struct Case {
    const char* text;
    int64_t raw;
  };
  const Case cases[] = {
      {"0", 0},
      {"-0", 0},
      {"+7", 7'000'000'000},
      {"0.000000001", 1},
      {"-0.000000001", -1},
      {"-12.5", -12'500'000'000},
      {"12.50000000000000", 12'500'000'000},  // zeros past the 9th place are exact
      {"00012.3", 12'300'000'000},
      {"5.", 5'000'000'000},
      {".5", 500'000'000},
      {"9223372036.854775807", INT64_MAX},
      {"-9223372036.854775808", INT64_MIN},
      {"1e-3", 1'000'000},
      {"1E-3", 1'000'000},
      {"2.5e+2", 250'000'000'000},
      {"12345e-9", 12'345},
      {"0.00012e4", 1'200'000'000},
      {"0e999999999", 0},
      {"100000000000000000000000000000e-20", 1'000'000'000'000'000'000},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Decimal::parse(c.text).raw(), c.raw) << c.text;
  }
}

TEST(Decimal, RejectsMalformedTextNamingTheProblem) {
  struct Case {
    const char* text;
    const char* problem;
  };
  const Case cases[] = {
      {"", "empty"},
      {".", "no digits"},
      {"-", "no digits"},
      {"e5", "no digits"},
      {" 1", "unexpected character ' '"},
      {"1 ", "unexpected character ' '"},
      {"1,5", "unexpected character ','"},
      {"1.2.3", "unexpected character '.'"},
      {"0x10", "unexpected character 'x'"},
      {"nan", "unexpected character 'n'"},
      {"inf", "unexpected character 'i'"},
      {"1e", "exponent has no digits"},
      {"1e+", "exponent has no digits"},
      {"1e3x", "unexpected character 'x'"},
      {"0.0000000001", "more than 9 decimal places"},
      {"1e-10", "more than 9 decimal places"},
      {"9223372036.854775808", "outside the decimal range"},
      {"1e10", "outside the decimal range"},
      {"1e99999999999", "outside the decimal range"},
  };
  for (const Case& c : cases) {
    try {
      Decimal::parse(c.text);
      ADD_FAILURE() << "accepted \"" << c.text << '"';
    } catch (const DecimalError& error) {
      EXPECT_NE(std::string(error.what()).find(c.problem), std::string::npos)
          << c.text << " -> " << error.what();
    }
  }
}

TEST(Decimal, ParseWithRoundingRoundsExcessDigits) {
  EXPECT_EQ(Decimal::parse("0.0000000015", Rounding::kHalfEven).raw(), 2);
  EXPECT_EQ(Decimal::parse("0.0000000025", Rounding::kHalfEven).raw(), 2);
  EXPECT_EQ(
      Decimal::parse("0.00000000250000000000000000000000000000001", Rounding::kHalfEven).raw(), 3);
  EXPECT_EQ(Decimal::parse("0.0000000025", Rounding::kHalfUp).raw(), 3);
  EXPECT_EQ(Decimal::parse("-0.0000000025", Rounding::kHalfUp).raw(), -3);
  EXPECT_EQ(Decimal::parse("0.0000000019", Rounding::kFloor).raw(), 1);
  EXPECT_EQ(Decimal::parse("-0.0000000011", Rounding::kFloor).raw(), -2);
  EXPECT_EQ(Decimal::parse("0.0000000011", Rounding::kCeil).raw(), 2);
  EXPECT_EQ(Decimal::parse("1e-50", Rounding::kCeil).raw(), 1);
  EXPECT_EQ(Decimal::parse("-1e-50", Rounding::kFloor).raw(), -1);
  EXPECT_EQ(Decimal::parse("1e-50", Rounding::kHalfEven).raw(), 0);
  EXPECT_EQ(Decimal::parse("-0.0000000019", Rounding::kTowardZero).raw(), -1);
}

TEST(Decimal, FormatsShortestExactString) {
  EXPECT_EQ(Decimal::parse("12.5").to_string(), "12.5");
  EXPECT_EQ(Decimal::parse("-12.5").to_string(), "-12.5");
  EXPECT_EQ(Decimal::parse("-0.5").to_string(), "-0.5");
  EXPECT_EQ(Decimal::parse("0.000000001").to_string(), "0.000000001");
  EXPECT_EQ(Decimal::parse("100").to_string(), "100");
  EXPECT_EQ(Decimal::zero().to_string(), "0");
  EXPECT_EQ(Decimal::min().to_string(), "-9223372036.854775808");
  EXPECT_EQ(Decimal::max().to_string(), "9223372036.854775807");
  EXPECT_EQ(Decimal::parse("2.345").to_string(2), "2.34");
  EXPECT_EQ(Decimal::parse("2.355").to_string(2), "2.36");
  EXPECT_EQ(Decimal::parse("2.345").to_string(2, Rounding::kHalfUp), "2.35");
  EXPECT_EQ(Decimal::parse("-1.5").to_string(0), "-2");
  EXPECT_EQ(Decimal::parse("7").to_string(3), "7.000");
  EXPECT_EQ(fmt::format("{}", "0.25"_d), "0.25");
}

TEST(Decimal, AddsAndSubtractsExactlyAndThrowsOnOverflow) {
  EXPECT_EQ("0.1"_d + "0.2"_d, "0.3"_d);
  EXPECT_EQ("0.1"_d - "0.3"_d, "-0.2"_d);
  EXPECT_THROW(Decimal::max() + Decimal::from_raw(1), DecimalError);
  EXPECT_THROW(Decimal::min() - Decimal::from_raw(1), DecimalError);
  EXPECT_THROW(-Decimal::min(), DecimalError);
  EXPECT_EQ(-"3.5"_d, "-3.5"_d);
  EXPECT_EQ("-3.5"_d.abs(), "3.5"_d);
}

TEST(Decimal, MultipliesAndDividesWithExplicitRounding) {
  EXPECT_EQ("1.5"_d * "2"_d, "3"_d);
  EXPECT_EQ("0.000000001"_d * "0.5"_d, Decimal::zero());  // 0.5 units, tie to even 0
  EXPECT_EQ("0.000000003"_d * "0.5"_d, "0.000000002"_d);  // 1.5 units, tie to even 2
  EXPECT_EQ("0.000000003"_d.mul("0.5"_d, Rounding::kFloor), "0.000000001"_d);
  EXPECT_EQ("-0.000000003"_d.mul("0.5"_d, Rounding::kFloor), "-0.000000002"_d);
  EXPECT_EQ("1"_d / "3"_d, "0.333333333"_d);
  EXPECT_EQ("2"_d / "3"_d, "0.666666667"_d);
  EXPECT_EQ("2"_d.div("3"_d, Rounding::kFloor), "0.666666666"_d);
  EXPECT_EQ("-2"_d.div("3"_d, Rounding::kCeil), "-0.666666666"_d);
  EXPECT_EQ("-2"_d.div("3"_d, Rounding::kTowardZero), "-0.666666666"_d);
  EXPECT_EQ("1000"_d / "0.001"_d, "1000000"_d);
  EXPECT_THROW("1"_d / Decimal::zero(), DecimalError);
  EXPECT_THROW(Decimal::max() * "2"_d, DecimalError);
  EXPECT_THROW(Decimal::min() * Decimal::min(), DecimalError);
  EXPECT_THROW("9000000000"_d / "0.5"_d, DecimalError);
  try {
    "1"_d / Decimal::zero();
  } catch (const DecimalError& error) {
    EXPECT_STREQ(error.what(), "decimal division by zero: 1 / 0");
  }
}

TEST(Decimal, RoundsToStepForSizing) {
  EXPECT_EQ("0.123456"_d.round_to_step("0.001"_d, Rounding::kFloor), "0.123"_d);
  EXPECT_EQ("0.123456"_d.round_to_step("0.001"_d, Rounding::kCeil), "0.124"_d);
  EXPECT_EQ("-0.123456"_d.round_to_step("0.001"_d, Rounding::kFloor), "-0.124"_d);
  EXPECT_EQ("27.25"_d.round_to_step("0.5"_d), "27"_d);  // tie: 54.5 steps -> 54
  EXPECT_EQ("27.75"_d.round_to_step("0.5"_d), "28"_d);  // tie: 55.5 steps -> 56
  EXPECT_EQ("105"_d.round_to_step("10"_d, Rounding::kHalfUp), "110"_d);
  EXPECT_EQ("2.345"_d.round_to_places(2), "2.34"_d);
  EXPECT_TRUE("0.015"_d.is_multiple_of("0.005"_d));
  EXPECT_FALSE("0.016"_d.is_multiple_of("0.005"_d));
  EXPECT_THROW("1"_d.round_to_step(Decimal::zero()), DecimalError);
  EXPECT_THROW("1"_d.round_to_step("-0.1"_d), DecimalError);
  EXPECT_THROW("1"_d.round_to_places(10), DecimalError);
}

TEST(Decimal, ComparesByValue) {
  EXPECT_LT("-1"_d, "0.5"_d);
  EXPECT_GT("0.000000002"_d, "0.000000001"_d);
  EXPECT_EQ("1.50"_d, "1.5"_d);
  EXPECT_EQ(std::hash<Decimal>{}("1.50"_d), std::hash<Decimal>{}("1.5"_d));
}

TEST(Decimal, ConvertsDoublesFromTheirExactBinaryValue) {
  EXPECT_EQ(Decimal::from_double(0.1), "0.1"_d);
  EXPECT_EQ(Decimal::from_double(-1234.5678), "-1234.5678"_d);
  EXPECT_EQ(Decimal::from_double(1e-10), Decimal::zero());
  EXPECT_EQ(Decimal::from_double(1e-10, Rounding::kCeil), "0.000000001"_d);
  EXPECT_EQ(Decimal::from_double(-1e-300, Rounding::kFloor), "-0.000000001"_d);
  EXPECT_EQ(Decimal::from_double(5e-324), Decimal::zero());
  // 1/1024 = 0.0009765625 exactly: 976562.5 units, a true tie.
  EXPECT_EQ(Decimal::from_double(1.0 / 1024).raw(), 976'562);
  EXPECT_EQ(Decimal::from_double(1.0 / 1024, Rounding::kHalfUp).raw(), 976'563);
  EXPECT_EQ(Decimal::from_double(3.0 / 1024).raw(), 2'929'688);  // 2929687.5 -> even
  EXPECT_EQ(Decimal::from_double(9'000'000'000.0), "9000000000"_d);
  EXPECT_THROW(Decimal::from_double(std::numeric_limits<double>::quiet_NaN()), DecimalError);
  EXPECT_THROW(Decimal::from_double(std::numeric_limits<double>::infinity()), DecimalError);
  EXPECT_THROW(Decimal::from_double(1e10), DecimalError);
  EXPECT_THROW(Decimal::from_double(-1e300), DecimalError);
  EXPECT_DOUBLE_EQ("1234.5678"_d.to_double(), 1234.5678);
  EXPECT_EQ(Decimal::max().to_double(), 9223372036.854775807);
}

TEST(Decimal, FromIntChecksRange) {
  EXPECT_EQ(Decimal::from_int(-42), "-42"_d);
  EXPECT_EQ(Decimal::from_int(9'223'372'036), "9223372036"_d);
  EXPECT_THROW(Decimal::from_int(9'223'372'037), DecimalError);
}

// --- property tests: a million random values each ------------------------------------------

constexpr int kRandomValues = 1'000'000;

// Raw values spread over the whole range, small values and round prices.
int64_t random_raw(std::mt19937_64& random) {
  switch (random() % 4) {
    case 0:
      return static_cast<int64_t>(random());
    case 1:
      return static_cast<int64_t>(random() % 2'000'000'000) - 1'000'000'000;
    case 2:
      return (static_cast<int64_t>(random() % 200'000'001) - 100'000'000) * 1000;
    default: {
      const int64_t units = static_cast<int64_t>(random() % 2'000'001) - 1'000'000;
      return units * static_cast<int64_t>(std::pow(10, random() % 7));
    }
  }
}

TEST(DecimalProperty, FormatThenParseRoundTripsAMillionValues) {
  std::mt19937_64 random(20261122);
  for (int i = 0; i < kRandomValues; ++i) {
    const Decimal value = Decimal::from_raw(random_raw(random));
    const std::string text = value.to_string();
    ASSERT_EQ(Decimal::parse(text), value) << text;
  }
}

// The same value spelled with leading zeros, trailing zeros and a moved exponent.
TEST(DecimalProperty, EquivalentSpellingsParseToTheSameValue) {
  std::mt19937_64 random(7);
  for (int i = 0; i < kRandomValues; ++i) {
    const int64_t raw = random_raw(random);
    const uint64_t magnitude = raw < 0 ? -static_cast<uint64_t>(raw) : static_cast<uint64_t>(raw);
    const std::string sign = raw < 0 ? "-" : (random() % 2 ? "+" : "");
    const std::string digits = std::to_string(magnitude);
    const int extra_zeros = static_cast<int>(random() % 5);
    std::string text;
    switch (random() % 3) {
      case 0:  // integer digits with a negative exponent
        text =
            sign + digits + std::string(extra_zeros, '0') + "e-" + std::to_string(9 + extra_zeros);
        break;
      case 1: {  // point placed anywhere, exponent compensating
        const int point = static_cast<int>(random() % (digits.size() + 1));
        const int exponent = static_cast<int>(digits.size()) - point - 9;
        text = sign + std::string(extra_zeros, '0') + digits.substr(0, point) + "." +
               digits.substr(point) + std::string(extra_zeros, '0') + "E" +
               std::to_string(exponent);
        break;
      }
      default:  // plain with padding zeros on both sides
        text = sign + std::string(extra_zeros, '0') + Decimal::from_raw(raw).abs().to_string(9) +
               std::string(extra_zeros, '0');
        if (raw == INT64_MIN) text = "-9223372036.854775808";
        break;
    }
    ASSERT_EQ(Decimal::parse(text).raw(), raw) << text;
  }
}

TEST(DecimalProperty, AddAndSubtractMatchExact128BitReference) {
  std::mt19937_64 random(11);
  for (int i = 0; i < kRandomValues; ++i) {
    const Decimal a = Decimal::from_raw(random_raw(random));
    const Decimal b = Decimal::from_raw(random_raw(random));
    const Int128 sum = static_cast<Int128>(a.raw()) + b.raw();
    const Int128 difference = static_cast<Int128>(a.raw()) - b.raw();
    if (sum > INT64_MAX || sum < INT64_MIN) {
      ASSERT_THROW(a + b, DecimalError);
    } else {
      ASSERT_EQ(static_cast<Int128>((a + b).raw()), sum);
    }
    if (difference > INT64_MAX || difference < INT64_MIN) {
      ASSERT_THROW(a - b, DecimalError);
    } else {
      ASSERT_EQ(static_cast<Int128>((a - b).raw()), difference);
    }
  }
}

// r is the correctly rounded quotient of exact / divisor (divisor > 0) when:
//   half-even: |2(exact - r*divisor)| <= divisor, and on equality r is even;
//   floor:     r*divisor <= exact < (r+1)*divisor;  ceil: (r-1)*divisor < exact <= r*divisor.
void expect_rounded(Int128 exact, Int128 divisor, Int128 r, Rounding rounding) {
  const Int128 error = exact - r * divisor;
  switch (rounding) {
    case Rounding::kHalfEven:
      ASSERT_LE(abs128(2 * error), divisor);
      if (abs128(2 * error) == divisor) {
        ASSERT_EQ(r % 2, 0);
      }
      break;
    case Rounding::kFloor:
      ASSERT_TRUE(error >= 0 && error < divisor);
      break;
    case Rounding::kCeil:
      ASSERT_TRUE(error <= 0 && -error < divisor);
      break;
    default:
      FAIL();
  }
}

TEST(DecimalProperty, MultiplyIsCorrectlyRoundedAgainstExactProduct) {
  std::mt19937_64 random(13);
  const Rounding modes[] = {Rounding::kHalfEven, Rounding::kFloor, Rounding::kCeil};
  int checked = 0;
  for (int i = 0; i < kRandomValues; ++i) {
    const Decimal a = Decimal::from_raw(random_raw(random) >> (random() % 40));
    const Decimal b = Decimal::from_raw(random_raw(random) >> (random() % 40));
    const Rounding rounding = modes[i % 3];
    const Int128 exact = static_cast<Int128>(a.raw()) * b.raw();  // value * 1e18
    const Int128 nearest = exact / kOne;
    if (nearest > INT64_MAX - 1 || nearest < INT64_MIN + 1) {
      ASSERT_THROW(a.mul(b, rounding), DecimalError);
      continue;
    }
    expect_rounded(exact, kOne, a.mul(b, rounding).raw(), rounding);
    ++checked;
  }
  EXPECT_GT(checked, kRandomValues / 2);
}

TEST(DecimalProperty, DivideIsCorrectlyRoundedAgainstExactQuotient) {
  std::mt19937_64 random(17);
  const Rounding modes[] = {Rounding::kHalfEven, Rounding::kFloor, Rounding::kCeil};
  int checked = 0;
  for (int i = 0; i < kRandomValues; ++i) {
    const Decimal a = Decimal::from_raw(random_raw(random) >> (random() % 40));
    Decimal b = Decimal::from_raw(random_raw(random) >> (random() % 60));
    if (b.is_zero()) {
      ASSERT_THROW(a / b, DecimalError);
      continue;
    }
    const Rounding rounding = modes[i % 3];
    // a/b = (a.raw * 1e9 / b.raw) units; normalise to a positive divisor.
    Int128 exact = static_cast<Int128>(a.raw()) * kOne;
    Int128 divisor = b.raw();
    if (divisor < 0) {
      exact = -exact;
      divisor = -divisor;
    }
    const Int128 nearest = exact / divisor;
    if (nearest > INT64_MAX - 1 || nearest < INT64_MIN + 1) {
      ASSERT_THROW(a.div(b, rounding), DecimalError);
      continue;
    }
    expect_rounded(exact, divisor, a.div(b, rounding).raw(), rounding);
    ++checked;
  }
  EXPECT_GT(checked, kRandomValues / 2);
}

TEST(DecimalProperty, RoundToStepGivesTheNearestMultiple) {
  std::mt19937_64 random(19);
  const Rounding modes[] = {Rounding::kHalfEven, Rounding::kFloor, Rounding::kCeil};
  for (int i = 0; i < kRandomValues; ++i) {
    const Decimal value = Decimal::from_raw(random_raw(random) >> 8);
    const Decimal step = Decimal::from_raw(static_cast<int64_t>(std::pow(10, random() % 12)) *
                                           static_cast<int64_t>(1 + random() % 5));
    const Rounding rounding = modes[i % 3];
    const Decimal rounded = value.round_to_step(step, rounding);
    ASSERT_TRUE(rounded.is_multiple_of(step));
    expect_rounded(value.raw(), step.raw(), rounded.raw() / step.raw(), rounding);
  }
}

TEST(DecimalProperty, FromDoubleMatchesParsingTheShortestDoubleString) {
  // For doubles with at most 9 decimals, the exact binary value rounds to the decimal that
  // printed the double.
  std::mt19937_64 random(23);
  for (int i = 0; i < kRandomValues; ++i) {
    const int64_t raw =
        static_cast<int64_t>(random() % 2'000'000'000'000'000) - 1'000'000'000'000'000;
    const Decimal expected = Decimal::from_raw(raw / 1000 * 1000);  // <= 15 significant digits
    const double value = std::stod(expected.to_string());
    ASSERT_EQ(Decimal::from_double(value), expected) << expected;
  }
}

}  // namespace
}  // namespace gauntlet
