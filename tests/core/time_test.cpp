#include "core/time.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/exceptions.hpp"
#include "support/shared_data.hpp"

namespace gauntlet {
namespace {

constexpr TimestampMs k2024March1 = 1'709'251'200'000;  // 2024-03-01T00:00:00Z

TEST(Time, ParsesIso8601Forms) {
  EXPECT_EQ(parse_iso8601("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_iso8601("2024-03-01"), k2024March1);
  EXPECT_EQ(parse_iso8601("2024-03-01T00:00"), k2024March1);
  EXPECT_EQ(parse_iso8601("2024-03-01 12:30:05"), k2024March1 + 45'005'000);
  EXPECT_EQ(parse_iso8601("2024-03-01t12:30:05.1z"), k2024March1 + 45'005'100);
  EXPECT_EQ(parse_iso8601("2024-03-01T12:30:05.123456789Z"), k2024March1 + 45'005'123);
  EXPECT_EQ(parse_iso8601("2024-03-01T02:00:00+02:00"), k2024March1);
  EXPECT_EQ(parse_iso8601("2024-02-29T19:00:00-0500"), k2024March1);
  EXPECT_EQ(parse_iso8601("1969-12-31T23:59:59.999Z"), -1);
  EXPECT_EQ(parse_iso8601("2000-02-29"), 951'782'400'000);
}

TEST(Time, RejectsMalformedIso8601) {
  for (const char* text :
       {"", "2024", "2024-3-01", "2024-02-30", "2023-02-29", "2024-13-01", "2024-03-01T24:00",
        "2024-03-01T12:60", "2024-03-01T23:59:60Z", "2024-03-01T12", "2024-03-01T12:00:00.",
        "2024-03-01T12:00:00.1234567890", "2024-03-01T12:00Zjunk", "2024-03-01T12:00+25:00",
        "2024-03-01X12:00", "2024/03/01"}) {
    EXPECT_THROW(parse_iso8601(text), TimeError) << text;
  }
}

TEST(Time, FormatsIso8601WithMilliseconds) {
  EXPECT_EQ(format_iso8601(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_iso8601(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_iso8601(k2024March1 + 45'005'123), "2024-03-01T12:30:05.123Z");
  EXPECT_THROW(format_iso8601(300'000'000'000'000), TimeError);
  for (TimestampMs t = -5'000'000'000'000; t < 5'000'000'000'000; t += 7'777'777'777) {
    ASSERT_EQ(parse_iso8601(format_iso8601(t)), t);
  }
}

TEST(Time, AlignsToTimeframes) {
  const TimestampMs t = k2024March1 + 45'005'123;  // 12:30:05.123
  EXPECT_EQ(floor_to(t, Timeframe::k15m), k2024March1 + 45'000'000);
  EXPECT_EQ(ceil_to(t, Timeframe::k15m), k2024March1 + 45'900'000);
  EXPECT_EQ(floor_to(t, Timeframe::k4h), k2024March1 + 12 * kHourMs);
  EXPECT_EQ(floor_to(t, Timeframe::k1d), k2024March1);
  EXPECT_EQ(ceil_to(k2024March1, Timeframe::k1d), k2024March1);
  EXPECT_EQ(floor_to(-1, Timeframe::k1m), -kMinuteMs);
  EXPECT_EQ(ceil_to(-1, Timeframe::k1m), 0);
  EXPECT_THROW(floor_to(t, DurationMs{0}), TimeError);
}

TEST(Time, ParsesAndFormatsTimeframes) {
  for (Timeframe timeframe : kAllTimeframes) {
    EXPECT_EQ(parse_timeframe(to_string(timeframe)), timeframe);
  }
  EXPECT_EQ(duration_ms(Timeframe::k15m), 900'000);
  EXPECT_EQ(duration_ms(Timeframe::k1d), 86'400'000);
  EXPECT_FALSE(timeframe_from_string("2m"));
  EXPECT_FALSE(timeframe_from_string("15"));
  EXPECT_FALSE(timeframe_from_string("1D"));
  try {
    parse_timeframe("2h");
    ADD_FAILURE();
  } catch (const TimeError& error) {
    EXPECT_STREQ(error.what(),
                 "invalid timeframe \"2h\": expected one of 1m, 3m, 5m, 15m, 30m, 1h, 4h, 1d");
  }
}

TEST(Time, ParsesDurationsWithUnits) {
  EXPECT_EQ(parse_duration("250ms"), 250);
  EXPECT_EQ(parse_duration("1s"), 1000);
  EXPECT_EQ(parse_duration("15m"), 900'000);
  EXPECT_EQ(parse_duration("4h"), 14'400'000);
  EXPECT_EQ(parse_duration("2d"), 172'800'000);
  EXPECT_EQ(parse_duration("0s"), 0);
  for (const char* text : {"", "5", "s", "1.5s", "-1s", "1 s", "1w", "99999999999999999999d"}) {
    EXPECT_THROW(parse_duration(text), TimeError) << text;
  }
  EXPECT_EQ(format_duration(900'000), "15m");
  EXPECT_EQ(format_duration(1500), "1500ms");
  EXPECT_EQ(format_duration(0), "0ms");
  EXPECT_EQ(format_duration(2 * kDayMs), "2d");
}

// FXCM's M1 bars carry "2012-02-01 00:00:00+00:00" timestamps: every one must parse, format
// back, and land on a minute boundary, in increasing order.
TEST(Time, ParsesEveryTimestampOfRealFxcmBars) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  const auto lines =
      testing::read_lines(data / "forex" / "fxcm_gbpusd_m1" / "gbpusd-m1-bid-2012.csv.gz");
  ASSERT_GT(lines.size(), 1000u);
  TimestampMs previous = INT64_MIN;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    const std::string stamp = lines[i].substr(0, lines[i].find(','));
    const TimestampMs time = parse_iso8601(stamp);
    ASSERT_EQ(floor_to(time, Timeframe::k1m), time) << stamp;
    ASSERT_GT(time, previous) << stamp;
    ASSERT_EQ(format_iso8601(time).substr(0, 19), stamp.substr(0, 10) + "T" + stamp.substr(11, 8));
    previous = time;
  }
  EXPECT_EQ(format_iso8601(parse_iso8601(lines[1].substr(0, 25))), "2012-02-01T00:00:00.000Z");
}

}  // namespace
}  // namespace gauntlet
