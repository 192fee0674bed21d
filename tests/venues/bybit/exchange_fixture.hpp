// File: tests/venues/bybit/exchange_fixture.hpp
//
// What the tests of the local Bybit and of the clients that trade on it share: bars that fill
// whole, and the venue's options under which their figures are derived by hand (no slippage,
// no impact, whole fills; perpetuals taker 0.00055 / maker 0.0002, spot 0.001 both).
#pragma once

#include <string_view>

#include "core/decimal.hpp"
#include "core/interfaces.hpp"
#include "venues/bybit/exchange.hpp"

namespace gauntlet::testing {

// A closed 1m bar with a volume of a million, so no order in these tests fills partially.
inline Bar venue_bar(TimestampMs open_time, Decimal open, Decimal high, Decimal low,
                     Decimal close) {
  Bar bar;
  bar.open_time = open_time;
  bar.open = open;
  bar.high = high;
  bar.low = low;
  bar.close = close;
  bar.volume = Decimal::from_int(1'000'000);
  return bar;
}

inline Bar venue_bar(TimestampMs open_time, double open, double high, double low, double close) {
  return venue_bar(open_time, Decimal::from_double(open), Decimal::from_double(high),
                   Decimal::from_double(low), Decimal::from_double(close));
}

inline Bar venue_bar(TimestampMs open_time, std::string_view open, std::string_view high,
                     std::string_view low, std::string_view close) {
  return venue_bar(open_time, Decimal::parse(open), Decimal::parse(high), Decimal::parse(low),
                   Decimal::parse(close));
}

inline venues::bybit::ExchangeOptions hand_figure_options() {
  venues::bybit::ExchangeOptions options;
  options.slippage_bps = 0;
  options.impact_bps = 0;
  options.max_participation = 1.0;
  options.fees[static_cast<std::size_t>(Asset::kPerp)] = {
      Decimal::parse("0.0002"), Decimal::parse("0.00055"), {}, {}};
  options.fees[static_cast<std::size_t>(Asset::kSpot)] = {
      Decimal::parse("0.001"), Decimal::parse("0.001"), {}, {}};
  return options;
}

}  // namespace gauntlet::testing
