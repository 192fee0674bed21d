// File: data/bar_import.hpp
//
// Reading bar files into Bars, for `gauntlet data import`, and writing Gauntlet's CSV, which
// every other command reads. Formats, detected from the content (gzip or plain):
//   freqtrade JSON     [[open_time_ms, open, high, low, close, volume], ...]
//   LEAN minute        ms since midnight of the date in the file name, then OHLCV (trade bars)
//                      or bid OHLC, bid size, ask OHLC, ask size (quote bars: the bid is read)
//   LEAN hour/daily    "yyyyMMdd HH:mm", then LEAN quote or trade columns
//   HistData ASCII     "yyyyMMdd HHmmss;open;high;low;close;volume", EST without DST (UTC-5)
//   CSV with a header  a time column (open_time_ms, timestamp, time, date, datetime or an
//                      unnamed first column; ms, seconds or ISO-8601) and open, high, low,
//                      close, volume[, turnover] by name, in any case (Gauntlet's own export,
//                      FXCM, backtesting.py, generic OHLCV)
// Symbol, timeframe, venue and domain come from the file name where it says them
// (freqtrade's BTC_USDT-1m.json.gz, LEAN's perp_btcusdt_minute_20221213_trade.csv.gz,
// DAT_ASCII_EURUSD_M1_201701.csv, gbpusd-m1-bid-2012.csv); the venue from a known venue name in
// the path (binance, bybit, fxcm, oanda, histdata, ibkr), else "local"; the domain is perp for
// futures files, forex for a pair of two fiat currencies (or gold/silver against one), else spot;
// a timeframe the name does not say is the most common spacing of the bars.
// LEAN day files (YYYYMMDD_trade.csv[.gz], YYYYMMDD_quote.csv[.gz]) name only their date; the
// folders of LEAN's layout, <securityType>/<market>/<resolution>/<symbol>/, name the rest (the
// CSV inside LEAN's zip, YYYYMMDD_<symbol>_<resolution>_trade.csv, names its symbol and
// resolution itself; the zip is refused):
//   symbol     the parent folder (btcusdt -> BTCUSDT);
//   timeframe  the resolution folder (minute, hour, daily; second and tick are refused); without
//              one, 1m when the rows are ms since midnight;
//   venue      the market folder when a LEAN security type (crypto, cryptofuture, forex, cfd)
//              sits above it, else a known venue in the path (binance_spot_long -> binance);
//   domain     crypto -> spot, cryptofuture -> perp, forex -> forex, else the symbol's default.
// Quote day files are read only for forex (the bid), as the LEAN minute names above.
//
// Prices and volumes are parsed exactly from their text and rounded half-even to 9 decimals.
// A missing turnover is volume x close. Bad rows (unparsable, NaN, high below low, open or close
// outside [low, high], non-positive prices, negative volume, off the timeframe grid) are
// rejected and counted by reason, never stored.
//
// Threading: pure functions.
#pragma once

#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/interfaces.hpp"
#include "core/symbol.hpp"
#include "core/time.hpp"
#include "data/bar_series.hpp"

namespace gauntlet::data {

enum class BarFileFormat { kFreqtradeJson, kLeanMinute, kLeanDated, kHistdataAscii, kHeaderCsv };
std::string_view to_string(BarFileFormat format);

// What a file's name and content say about it; empty optionals are for the caller to decide.
struct ImportGuess {
  BarFileFormat format = BarFileFormat::kHeaderCsv;
  std::optional<Symbol> symbol;
  std::optional<Timeframe> timeframe;
  std::string venue = "local";
  std::optional<Asset> domain;
  std::optional<TimestampMs> day;  // LEAN minute files: the UTC day of the ms-since-midnight column
  DurationMs utc_offset = 0;       // added to the file's times to get UTC (HistData: +5 h)
};

// Throws DataError when the file cannot be read, its format is unknown, or it holds something
// other than bars (funding rates, mark prices, option universes).
ImportGuess guess_import(const std::filesystem::path& path);

// The domain a symbol implies when nothing else tells: forex for two fiat currencies.
Asset default_domain(const Symbol& symbol);

struct ImportedBars {
  std::vector<Bar> bars;  // in file order
  std::size_t rows = 0;
  std::size_t rejected = 0;
  std::map<std::string, std::size_t> rejected_by_reason;
  std::vector<std::string> examples;  // the first rejected rows, for the report
  Timeframe timeframe = Timeframe::k1m;
};

// Reads the bars of `path` as `guess` says; `timeframe` overrides the guess and the inference.
ImportedBars read_bar_file(const std::filesystem::path& path, const ImportGuess& guess,
                           std::optional<Timeframe> timeframe = std::nullopt);

// A freqtrade funding-rate file (`*-8h-funding_rate.json[.gz]`, rows
// [funding_time_ms, rate, 0, 0, 0, 0]) as (funding time, rate) pairs in file order, for the
// simulator's perpetual funding. Throws DataError naming the row when one is malformed.
std::vector<std::pair<TimestampMs, double>> read_funding_rates(const std::filesystem::path& path);

// Gauntlet's CSV: a header `open_time_ms,open,high,low,close,volume`, then one bar per line.
void write_bar_csv(std::ostream& out, const BarSeries& bars);

// The whole content of a gzip-compressed or plain file; DataError when unreadable.
std::string read_maybe_gzip(const std::filesystem::path& path);

}  // namespace gauntlet::data
