#include "data/instrument_rules.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string_view>
#include <vector>

#include "core/exceptions.hpp"

namespace gauntlet::data {
namespace {

// 10^0 .. 10^9.
constexpr std::array<int64_t, Decimal::kScale + 1> kPow10 = [] {
  std::array<int64_t, Decimal::kScale + 1> powers{};
  powers[0] = 1;
  for (std::size_t i = 1; i < powers.size(); ++i) powers[i] = powers[i - 1] * 10;
  return powers;
}();

// 10^-places as a Decimal, places in [0, 9].
Decimal unit_at(int places) {
  return Decimal::from_raw(kPow10[static_cast<std::size_t>(Decimal::kScale - places)]);
}

// The decimal places of the Decimal with this raw value.
int places_of(int64_t raw) {
  int places = Decimal::kScale;
  while (places > 0 && raw % kPow10[static_cast<std::size_t>(Decimal::kScale - places + 1)] == 0)
    --places;
  return places;
}

// The exponent e with 10^e <= value < 10^(e+1), for a positive value.
int magnitude(Decimal value) {
  int digits = 0;
  for (int64_t raw = value.raw(); raw > 0; raw /= 10) ++digits;
  return digits - 1 - Decimal::kScale;
}

// The raw value of the shortest decimal that reads back as the same double as `value`: a number
// a program printed from a double with 17 significant digits (10075848.8000000007) loses its
// float noise (10075848.8).
int64_t without_float_noise(Decimal value) {
  std::array<char, 64> buffer{};
  const auto [end, error] =
      std::to_chars(buffer.data(), buffer.data() + buffer.size(), value.to_double());
  if (error != std::errc()) return value.raw();
  try {
    return Decimal::parse(std::string_view(buffer.data(), end), Rounding::kHalfEven).raw();
  } catch (const DecimalError&) {
    return value.raw();
  }
}

// The share of a sample's values that must lie on its grid; the rest are outliers.
constexpr double kGridShare = 0.99;

// The grid of positive raw values: the greatest common divisor of those written with at most
// d decimals, d the fewest places that kGridShare of the values need. Zero for no values.
Decimal grid_of(std::span<const int64_t> raws) {
  if (raws.empty()) return Decimal::zero();
  std::array<std::size_t, Decimal::kScale + 1> by_places{};
  for (const int64_t raw : raws) ++by_places[static_cast<std::size_t>(places_of(raw))];
  const auto wanted =
      static_cast<std::size_t>(std::ceil(kGridShare * static_cast<double>(raws.size())));
  std::size_t places = 0;
  for (std::size_t covered = by_places[0]; covered < wanted; covered += by_places[places]) ++places;
  int64_t grid = 0;
  for (const int64_t raw : raws) {
    if (static_cast<std::size_t>(places_of(raw)) <= places) grid = std::gcd(grid, raw);
  }
  return Decimal::from_raw(grid);
}

// IDEALPRO's cash pairs of the G10 majors, in market order (base before quote: EUR, GBP, AUD,
// NZD, USD, CAD, CHF, JPY). A pip is the 4th decimal, the 2nd for a JPY-quoted pair; orders are
// in half pips.
constexpr std::array<std::string_view, 28> kIdealProPairs = {
    "EURGBP", "EURAUD", "EURNZD", "EURUSD", "EURCAD", "EURCHF", "EURJPY",
    "GBPAUD", "GBPNZD", "GBPUSD", "GBPCAD", "GBPCHF", "GBPJPY",  //
    "AUDNZD", "AUDUSD", "AUDCAD", "AUDCHF", "AUDJPY",            //
    "NZDUSD", "NZDCAD", "NZDCHF", "NZDJPY",                      //
    "USDCAD", "USDCHF", "USDJPY",                                //
    "CADCHF", "CADJPY",                                          //
    "CHFJPY"};
constexpr std::string_view kHalfPip = "0.00005";
constexpr std::string_view kHalfPipJpy = "0.005";

}  // namespace

int decimal_places(Decimal value) {
  return places_of(value.raw());
}

std::optional<InstrumentInfo> idealpro_instrument(const Symbol& symbol) {
  const auto found =
      std::find(kIdealProPairs.begin(), kIdealProPairs.end(), std::string_view(symbol.canonical()));
  if (found == kIdealProPairs.end()) return std::nullopt;
  InstrumentInfo info;
  info.domain = Asset::kForex;
  info.symbol = symbol;
  info.status = "Trading";
  info.tick_size = Decimal::parse(symbol.quote() == "JPY" ? kHalfPipJpy : kHalfPip);
  info.qty_step = Decimal::one();
  info.min_qty = Decimal::one();
  return info;
}

InstrumentInfo derive_instrument(Asset domain, const Symbol& symbol, std::span<const Bar> sample) {
  std::vector<int64_t> prices;
  std::vector<int64_t> volumes;
  prices.reserve(sample.size() * 4);
  volumes.reserve(sample.size());
  Decimal lowest = Decimal::max();
  for (const Bar& bar : sample) {
    for (const Decimal price : {bar.open, bar.high, bar.low, bar.close}) {
      if (!price.is_positive()) continue;
      prices.push_back(without_float_noise(price));
      lowest = std::min(lowest, price);
    }
    if (bar.volume.is_positive()) volumes.push_back(without_float_noise(bar.volume));
  }
  const Decimal finest = unit_at(kMaxDerivedPlaces);
  Decimal tick = std::max(grid_of(prices), finest);
  if (!prices.empty()) {
    // At least 4 significant digits of the lowest price: a sample of round prices must not make
    // a coarse grid.
    const Decimal coarsest = unit_at(std::clamp(3 - magnitude(lowest), 0, kMaxDerivedPlaces));
    if (tick > coarsest) tick = coarsest;
  }
  const Decimal step = std::clamp(grid_of(volumes), finest, Decimal::one());
  InstrumentInfo info;
  info.domain = domain;
  info.symbol = symbol;
  info.status = "Trading";
  info.tick_size = tick;
  info.qty_step = step;
  info.min_qty = step;
  return info;
}

}  // namespace gauntlet::data
