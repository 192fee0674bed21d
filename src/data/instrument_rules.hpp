// File: data/instrument_rules.hpp
//
// The trading rules (InstrumentInfo) of instruments whose venue described none: the symbols a
// paper session replays or simulates, and forex pairs before an IBKR contract lookup. A venue's
// own rules (Bybit instruments-info) always win; DataManager::get_instrument falls back to these:
//   - forex: IDEALPRO's conventions for its cash pairs of the G10 majors (idealpro_instrument):
//     prices in half pips, 0.00005 (0.005 for a JPY-quoted pair, whose pip is the 2nd decimal),
//     quantities in whole units of the base currency, no minimum beyond one unit (IBKR routes an
//     order under IdealPro's USD 25,000 to its odd-lot venue rather than refusing it);
//   - anything else: rules derived from a sample of the series' own bars (derive_instrument):
//     the tick is the grid of the sample's prices, the step the grid of its positive volumes (a
//     bar's volume is a sum of trades, each a whole number of steps). Each value is first read
//     as the shortest decimal of its double (a file printed from doubles with 17 significant
//     digits has 10075848.8000000007 for 10075848.8); a grid is then the greatest common
//     divisor of the values written with at most d decimals, d the fewest places 99 % of the
//     values need (the rest are outliers): 0.01 for prices with 2 decimals, 0.5 for a
//     perpetual quoted in halves. Bounds: both at least 10^-8 (the finest tick and lot of a
//     crypto venue); the tick at most a thousandth of the lowest sampled price's power of ten
//     (4 significant digits at least, so a sparse sample of round prices cannot make a coarse
//     grid); the step at most 1 unit, and 10^-8 when no bar has a volume. The minimum quantity
//     is one step, the minimum notional unknown (0).
// The decimals of a tick or step (decimal_places) are also what the UI formats prices and
// quantities with.
//
// Threading: pure functions.
#pragma once

#include <optional>
#include <span>

#include "core/decimal.hpp"
#include "core/interfaces.hpp"
#include "core/symbol.hpp"
#include "data/market_events.hpp"

namespace gauntlet::data {

// The most decimal places a derived tick or step has.
inline constexpr int kMaxDerivedPlaces = 8;

// The decimal places `value` needs to be written exactly: 0 for 42, 2 for 0.05, 5 for 0.00005.
int decimal_places(Decimal value);

// IDEALPRO's rules for a cash pair of two G10 currencies in market order (EURUSD, USDJPY,
// EURGBP ...), as domain forex; nullopt for any other symbol.
std::optional<InstrumentInfo> idealpro_instrument(const Symbol& symbol);

// Rules derived from `sample`, bars of the instrument's series, as the header says; the sample
// should hold a few hundred bars or more (a stored day of 1m bars). Status is "Trading".
InstrumentInfo derive_instrument(Asset domain, const Symbol& symbol, std::span<const Bar> sample);

}  // namespace gauntlet::data
