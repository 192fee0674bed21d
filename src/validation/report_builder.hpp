// File: validation/report_builder.hpp
//
// Owns the validation report of one strategy: a JSON document and a self-contained HTML page
// (inline CSS and inline SVG charts drawn here; no script, font, image or network fetch) written
// under a directory the caller chooses, by convention logs/validation/{strategy_id}/. The page
// holds, in order: the header and PASS/FAIL verdict with every reason, the headline metrics, the
// gate table, the equity and drawdown charts on one time axis, the monthly-returns heat map, the
// stress-test percentiles, the walk-forward folds and the trades.
//
// Conventions: times are TimestampMs (UTC). Returns, drawdowns and every value whose unit is
// "%" are fractions (0.1234 is shown as 12.34%); "x" is a multiple (1.5 is shown as 1.50x).
// Money (equity, fees, P&L) is in the quote currency, shown with 2 decimals. std::nullopt means
// "undefined" (shown as an em dash, written as JSON null); ±infinity is shown as ±∞ and written
// as the JSON strings "inf" / "-inf"; no NaN ever reaches the JSON. Every user-supplied string
// (ids, parameters, names, notes) is HTML-escaped. The equity polyline is downsampled to at most
// kMaxChartPoints points, keeping each bucket's minimum and maximum so drawdowns stay visible.
//
// Threading: pure functions over caller-owned data; build_report writes only its two files
// (through uniquely named temporary files) and is safe from any thread. Two concurrent calls on
// one directory each leave complete files, but the JSON may come from one and the HTML from the
// other.
#pragma once

#include <cstddef>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "validation/metrics.hpp"

namespace gauntlet::validation {

// The most points an SVG polyline of the report holds.
inline constexpr std::size_t kMaxChartPoints = 2000;
// Above this many trades the HTML table shows the first and last kTradesShownAtEachEnd only.
inline constexpr std::size_t kMaxTradesShown = 500;
inline constexpr std::size_t kTradesShownAtEachEnd = 250;

struct TradeRow {
  std::string symbol;
  std::string side;  // "long" / "short" (or "buy" / "sell"), shown as given
  TimestampMs entry_time = 0;
  TimestampMs exit_time = 0;
  double quantity = 0;
  double entry_price = 0;
  double exit_price = 0;
  double stop_loss = 0;
  double take_profit = 0;
  double fees = 0;
  double pnl = 0;  // realised, net of fees
  std::string exit_reason;
};

struct GateCriterion {
  std::string name;
  std::optional<double> value;  // nullopt: undefined (too few samples, zero variance, ...)
  std::string comparison;       // ">=", "<=", ... shown as given
  std::optional<double> threshold;
  bool passed = false;
  std::string note;  // e.g. "INSUFFICIENT: 40 trades < 100"
};

struct StressRow {
  std::string name;
  std::size_t samples = 0;
  double p5 = 0, p25 = 0, p50 = 0, p75 = 0, p95 = 0;
  std::string unit;  // "%" (fractions), "x", "" or a free unit shown after the number
};

struct FoldRow {
  std::string name;
  TimestampMs test_from = 0, test_to = 0;
  std::size_t train_samples = 0, test_samples = 0;
  std::size_t trades = 0;
  std::optional<double> sharpe, profit_factor, max_drawdown,
      total_return;  // fractions for the last two
};

// One headline metric; unit "" (plain number), "%" (a fraction) or "x" (a multiple).
struct MetricRow {
  std::string name;
  std::optional<double> value;
  std::string unit;
};

struct ValidationReport {
  std::string strategy_id, family, asset, parameters_json;
  std::string data_description;  // e.g. "replay of 3 series, 2025-01-01 to 2025-01-31"
  TimestampMs generated_at = 0;
  bool passed = false;
  std::vector<std::string> reasons;  // the gate's decision and every failing reason
  std::vector<MetricRow> metrics;
  std::vector<GateCriterion> gate;
  std::vector<EquityPoint> equity;  // mark-to-market equity curve, time ascending
  std::vector<TradeRow> trades;
  std::vector<StressRow> stress;
  std::vector<FoldRow> folds;
};

struct ReportPaths {
  std::filesystem::path json;
  std::filesystem::path html;
};

// Writes <dir>/report.json and <dir>/report.html, creating `dir`. Each file is written to a
// temporary file in `dir` and renamed over the target, so a reader never sees half a report.
// Throws ArgumentError for an equity curve that is not finite or not time-ascending, StateError
// when a file cannot be written (no temporary file is left behind).
ReportPaths build_report(const ValidationReport& report, const std::filesystem::path& dir);

// The compounded return of one calendar month (UTC).
struct MonthlyReturn {
  int year = 0;
  int month = 0;  // 1..12
  double value = 0;
};

// The return of every calendar month that holds an equity point, in time order: the month's
// last equity over the previous month's last equity (the first point of the curve for the first
// month), minus 1. Months without points are absent. A month that starts at equity <= 0 (ruin)
// has value -1. Throws ArgumentError for a non-finite equity or a time before its predecessor.
std::vector<MonthlyReturn> monthly_returns(std::span<const EquityPoint> equity);

// For every point, the fraction below the running peak of the curve (point included), in
// [0, 1]: 1 - equity / peak, clamped; 1 while the peak is not positive. Throws ArgumentError for
// a non-finite equity.
std::vector<double> drawdown_series(std::span<const EquityPoint> equity);

// The JSON report: every field of `report`, times as ISO-8601 UTC strings next to their
// milliseconds ("entry_time" and "entry_time_ms"), the equity curve as columns, the monthly
// returns and the maximum drawdown. nullopt and NaN become null, ±infinity "inf" / "-inf".
// Throws ArgumentError for an equity curve that is not finite or not time-ascending.
nlohmann::json to_json(const ValidationReport& report);

// The HTML page build_report writes (UTF-8, one self-contained document). Throws ArgumentError
// like to_json.
std::string render_html(const ValidationReport& report);

}  // namespace gauntlet::validation
