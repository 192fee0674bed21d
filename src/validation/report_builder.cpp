#include "validation/report_builder.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>
#include <string_view>
#include <utility>

#include "core/exceptions.hpp"
#include "core/text.hpp"

namespace gauntlet::validation {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kDash = "\u2014";  // an undefined value
constexpr std::array<std::string_view, 12> kMonthNames = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// ---- Calendar (proleptic Gregorian, UTC) -----------------------------------------------------

struct Civil {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
  int hour = 0, minute = 0, second = 0;
};

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = floor_div(y, 400);
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Civil civil_from_ms(TimestampMs time) {
  const int64_t days = floor_div(time, kDayMs);
  const int64_t in_day = time - days * kDayMs;
  const int64_t z = days + 719468;
  const int64_t era = floor_div(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  Civil civil;
  civil.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  civil.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  civil.year = static_cast<int>(yoe + era * 400 + (civil.month <= 2 ? 1 : 0));
  civil.hour = static_cast<int>(in_day / kHourMs);
  civil.minute = static_cast<int>(in_day % kHourMs / kMinuteMs);
  civil.second = static_cast<int>(in_day % kMinuteMs / kSecondMs);
  return civil;
}

TimestampMs month_start_ms(int64_t month_index) {  // month_index = year * 12 + (month - 1)
  const int64_t year = floor_div(month_index, 12);
  const int month = static_cast<int>(month_index - year * 12) + 1;
  return days_from_civil(year, month, 1) * kDayMs;
}

int64_t month_index_of(TimestampMs time) {
  const Civil civil = civil_from_ms(time);
  return int64_t{civil.year} * 12 + (civil.month - 1);
}

// "2025-01-31"
std::string format_date(TimestampMs time) {
  const Civil c = civil_from_ms(time);
  return fmt::format("{:04}-{:02}-{:02}", c.year, c.month, c.day);
}

// "2025-01-31 12:05"
std::string format_minute(TimestampMs time) {
  const Civil c = civil_from_ms(time);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}", c.year, c.month, c.day, c.hour, c.minute);
}

// "2025-01-31 12:05:09"
std::string format_second(TimestampMs time) {
  const Civil c = civil_from_ms(time);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", c.year, c.month, c.day, c.hour,
                     c.minute, c.second);
}

// "3d 4h", "5h 20m", "45s"
std::string format_held(DurationMs duration) {
  if (duration < 0) return std::string(kDash);
  const int64_t days = duration / kDayMs;
  const int64_t hours = duration % kDayMs / kHourMs;
  const int64_t minutes = duration % kHourMs / kMinuteMs;
  if (days > 0) return fmt::format("{}d {}h", days, hours);
  if (hours > 0) return fmt::format("{}h {}m", hours, minutes);
  if (minutes > 0) return fmt::format("{}m", minutes);
  return fmt::format("{}s", duration / kSecondMs);
}

// ---- Text and numbers --------------------------------------------------------------------------

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string or_dash(std::string_view text) {
  return text.empty() ? std::string(kDash) : escape(text);
}

// The text of a non-finite value, or "" for a finite one.
std::string non_finite(double value) {
  if (std::isnan(value)) return std::string(kDash);
  if (std::isinf(value)) return value > 0 ? "\u221e" : "-\u221e";
  return "";
}

// `value` with `decimals` decimals and thousands separators; trailing zeros beyond
// `min_decimals` removed.
std::string grouped(double value, int decimals, int min_decimals) {
  if (!std::isfinite(value)) return non_finite(value);
  std::string text = fmt::format("{:.{}f}", std::fabs(value), decimals);
  const std::size_t point = text.find('.');
  std::string integer = text.substr(0, point);
  std::string fraction = point == std::string::npos ? "" : text.substr(point + 1);
  while (static_cast<int>(fraction.size()) > min_decimals && !fraction.empty() &&
         fraction.back() == '0') {
    fraction.pop_back();
  }
  std::string out;
  const bool negative =
      std::signbit(value) && (integer.find_first_not_of('0') != std::string::npos ||
                              fraction.find_first_not_of('0') != std::string::npos);
  if (negative) out += '-';
  for (std::size_t i = 0; i < integer.size(); ++i) {
    if (i > 0 && (integer.size() - i) % 3 == 0) out += ',';
    out += integer[i];
  }
  if (!fraction.empty()) out += '.' + fraction;
  return out;
}

std::string money(double value) {
  return grouped(value, 2, 2);
}

std::string signed_money(double value) {
  std::string text = money(value);
  // "+" + text, not text.insert(): GCC 12 at -O3 warns (-Wrestrict) on insert at 0.
  if (std::isfinite(value) && value > 0 && text != "0.00") return "+" + text;
  return text;
}

std::string percent(double fraction) {
  if (!std::isfinite(fraction)) return non_finite(fraction);
  return grouped(fraction * 100.0, 2, 2) + "%";
}

std::string signed_percent(double fraction) {
  std::string text = percent(fraction);
  if (std::isfinite(fraction) && fraction > 0 && text != "0.00%") return "+" + text;
  return text;
}

std::string price(double value) {
  if (!std::isfinite(value)) return non_finite(value);
  const double magnitude = std::fabs(value);
  if (magnitude >= 1000) return grouped(value, 2, 2);
  if (magnitude >= 1) return grouped(value, 4, 2);
  if (magnitude >= 0.01) return grouped(value, 6, 2);
  return grouped(value, 10, 2);
}

std::string quantity(double value) {
  return grouped(value, 8, 0);
}

// A value in its unit: "%" fractions, "x" multiples, "" plain, anything else appended.
std::string with_unit(std::optional<double> value, std::string_view unit) {
  if (!value) return std::string(kDash);
  if (!std::isfinite(*value)) return non_finite(*value);
  if (unit == "%") return percent(*value);
  if (unit == "x") return grouped(*value, 2, 2) + "x";
  if (unit.empty()) {
    if (*value == std::trunc(*value) && std::fabs(*value) < 1e15) return grouped(*value, 0, 0);
    return grouped(*value, 2, 2);
  }
  return grouped(*value, 2, 2) + " " + escape(unit);
}

// The CSS class of a signed value: "pos", "neg" or "".
std::string_view sign_class(std::optional<double> value) {
  if (!value || std::isnan(*value) || *value == 0) return "";
  return *value > 0 ? "pos" : "neg";
}

// Whether a named quantity is a gain or loss, coloured green or red by its sign (returns, P&L);
// other quantities (drawdowns, ratios, rates) are coloured only when negative.
bool is_gain_or_loss(std::string_view name) {
  const std::string lower = to_lower(name);
  for (const std::string_view word : {"return", "cagr", "pnl", "p&l", "expectancy", "net profit"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}

std::string_view value_class(std::string_view name, std::optional<double> value) {
  if (is_gain_or_loss(name)) return sign_class(value);
  return value && *value < 0 ? "neg" : "";
}

// A gate value or threshold: integers when both of the row are integers, else 2 to 4 decimals.
std::string gate_number(std::optional<double> value, bool integers) {
  if (!value) return std::string(kDash);
  if (!std::isfinite(*value)) return non_finite(*value);
  return integers ? grouped(*value, 0, 0) : grouped(*value, 4, 2);
}

bool is_integer(std::optional<double> value) {
  return !value || !std::isfinite(*value) ||
         (*value == std::trunc(*value) && std::fabs(*value) < 1e15);
}

// ">=" as "≥" and so on; anything else as given.
std::string comparison_text(std::string_view comparison) {
  if (comparison == ">=") return "\u2265";
  if (comparison == "<=") return "\u2264";
  if (comparison == "==") return "=";
  if (comparison == "!=") return "\u2260";
  return or_dash(comparison);
}

// ---- Series ------------------------------------------------------------------------------------

void require_valid(std::span<const EquityPoint> equity) {
  for (std::size_t i = 0; i < equity.size(); ++i) {
    if (!std::isfinite(equity[i].equity)) {
      throw ArgumentError(fmt::format("equity[{}] must be finite, was {}", i, equity[i].equity));
    }
    if (i > 0 && equity[i].time < equity[i - 1].time) {
      throw ArgumentError(fmt::format("equity[{}] at {} is before equity[{}] at {}", i,
                                      equity[i].time, i - 1, equity[i - 1].time));
    }
  }
}

// The indices to draw of a series of `n` values: all when n <= max_points, otherwise the first,
// the last and each bucket's minimum and maximum, ascending.
std::vector<std::size_t> downsample(std::span<const double> values, std::size_t max_points) {
  const std::size_t n = values.size();
  std::vector<std::size_t> kept;
  if (n <= max_points) {
    kept.resize(n);
    for (std::size_t i = 0; i < n; ++i) kept[i] = i;
    return kept;
  }
  const std::size_t buckets = (max_points - 2) / 2;
  kept.reserve(max_points);
  kept.push_back(0);
  for (std::size_t b = 0; b < buckets; ++b) {
    const std::size_t from = 1 + b * (n - 2) / buckets;
    const std::size_t to = 1 + (b + 1) * (n - 2) / buckets;
    if (from >= to) continue;
    std::size_t low = from, high = from;
    for (std::size_t i = from; i < to; ++i) {
      if (values[i] < values[low]) low = i;
      if (values[i] > values[high]) high = i;
    }
    kept.push_back(std::min(low, high));
    if (low != high) kept.push_back(std::max(low, high));
  }
  kept.push_back(n - 1);
  return kept;
}

// ---- Chart scaffolding -------------------------------------------------------------------------

constexpr double kChartWidth = 1000;
constexpr double kPlotLeft = 78;
constexpr double kPlotRight = kChartWidth - 24;
constexpr double kEquityHeight = 300;
constexpr double kDrawdownHeight = 170;
constexpr double kPlotTop = 16;
constexpr double kAxisBand = 26;  // below the plot, for the time labels

// The colours the rendering test looks for; the equity line colour is used nowhere else.
constexpr std::string_view kEquityLineColour = "#2563eb";
constexpr std::string_view kDrawdownColour = "#dc2626";

struct Axis {
  double low = 0, high = 1, step = 1;
};

// A value axis with "nice" ticks (1, 2, 5 × 10^k) covering [low, high].
Axis nice_axis(double low, double high, int target_ticks) {
  if (!(high > low)) {
    const double pad = std::max(std::fabs(low) * 0.01, 1e-6);
    low -= pad;
    high += pad;
  }
  const double raw = (high - low) / target_ticks;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double normal = raw / magnitude;
  const double factor = normal < 1.5 ? 1 : normal < 3 ? 2 : normal < 7 ? 5 : 10;
  Axis axis;
  axis.step = factor * magnitude;
  axis.low = std::floor(low / axis.step + 1e-9) * axis.step;
  axis.high = std::ceil(high / axis.step - 1e-9) * axis.step;
  if (!(axis.high > axis.low)) axis.high = axis.low + axis.step;
  return axis;
}

int decimals_for_step(double step) {
  if (step >= 1) return 0;
  return std::min(8, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
}

struct TimeTick {
  TimestampMs time;
  std::string label;
};

std::vector<TimeTick> time_ticks(TimestampMs from, TimestampMs to) {
  std::vector<TimeTick> ticks;
  const double span = static_cast<double>(to - from);
  constexpr double kMaxTicks = 8;
  constexpr std::array<DurationMs, 15> kFixed = {
      kMinuteMs,      2 * kMinuteMs, 5 * kMinuteMs, 10 * kMinuteMs, 15 * kMinuteMs,
      30 * kMinuteMs, kHourMs,       2 * kHourMs,   3 * kHourMs,    6 * kHourMs,
      12 * kHourMs,   kDayMs,        2 * kDayMs,    7 * kDayMs,     14 * kDayMs};
  for (const DurationMs step : kFixed) {
    if (span / static_cast<double>(step) > kMaxTicks) continue;
    // Weeks start on Monday (1970-01-05 was one); the rest align to the epoch.
    const DurationMs offset = step >= 7 * kDayMs ? 4 * kDayMs : 0;
    for (TimestampMs t = ceil_to(from - offset, step) + offset; t <= to; t += step) {
      const Civil c = civil_from_ms(t);
      std::string label;
      if (step < kDayMs && (c.hour != 0 || c.minute != 0)) {
        label = fmt::format("{:02}:{:02}", c.hour, c.minute);
      } else {
        label = fmt::format("{} {:02}", kMonthNames[static_cast<std::size_t>(c.month - 1)], c.day);
      }
      ticks.push_back({t, std::move(label)});
    }
    return ticks;
  }
  constexpr std::array<int64_t, 8> kMonths = {1, 2, 3, 6, 12, 24, 60, 120};
  constexpr double kMonthMs = 30.436875 * static_cast<double>(kDayMs);
  for (const int64_t months : kMonths) {
    if (span / (static_cast<double>(months) * kMonthMs) > kMaxTicks && months != kMonths.back()) {
      continue;
    }
    int64_t index = month_index_of(from);
    if (month_start_ms(index) < from) ++index;
    while (floor_div(index, months) * months != index) ++index;
    for (; month_start_ms(index) <= to; index += months) {
      const int64_t year = floor_div(index, 12);
      const auto month = static_cast<std::size_t>(index - year * 12);
      ticks.push_back(
          {month_start_ms(index), months >= 12 ? fmt::format("{}", year)
                                               : fmt::format("{} {}", kMonthNames[month], year)});
    }
    return ticks;
  }
  return ticks;
}

struct Frame {
  TimestampMs from = 0, to = 1;
  Axis axis;
  double height = 0;
  double x(TimestampMs time) const {
    return kPlotLeft + static_cast<double>(time - from) / static_cast<double>(to - from) *
                           (kPlotRight - kPlotLeft);
  }
  double bottom() const { return height - kAxisBand; }
  double y(double value) const {
    return kPlotTop + (axis.high - value) / (axis.high - axis.low) * (bottom() - kPlotTop);
  }
};

// Grid, axes and tick labels of a chart; `value_label` formats a value tick.
template <typename Label>
void draw_frame(std::string& out, const Frame& frame, Label value_label) {
  const auto o = std::back_inserter(out);
  fmt::format_to(o,
                 R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="#ffffff"/>)",
                 kPlotLeft, kPlotTop, kPlotRight - kPlotLeft, frame.bottom() - kPlotTop);
  // At most a few dozen ticks, and none for an axis that overflowed (values near ±DBL_MAX).
  const double ticks = (frame.axis.high - frame.axis.low) / frame.axis.step;
  const int steps = std::isfinite(ticks) && ticks <= 50 ? static_cast<int>(std::lround(ticks)) : -1;
  for (int i = 0; i <= steps; ++i) {
    const double value = frame.axis.low + i * frame.axis.step;
    const double y = frame.y(value);
    fmt::format_to(o,
                   R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#e8ebf0"/>)"
                   R"(<text x="{:.1f}" y="{:.1f}" class="yl">{}</text>)",
                   kPlotLeft, y, kPlotRight, y, kPlotLeft - 8, y + 4, value_label(value));
  }
  for (const TimeTick& tick : time_ticks(frame.from, frame.to)) {
    const double x = frame.x(tick.time);
    fmt::format_to(o,
                   R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#f0f2f5"/>)"
                   R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#9ca3af"/>)"
                   R"(<text x="{:.1f}" y="{:.1f}" class="xl">{}</text>)",
                   x, kPlotTop, x, frame.bottom(), x, frame.bottom(), x, frame.bottom() + 4, x,
                   frame.bottom() + 17, escape(tick.label));
  }
  fmt::format_to(o,
                 R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#9ca3af"/>)"
                 R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#9ca3af"/>)",
                 kPlotLeft, kPlotTop, kPlotLeft, frame.bottom(), kPlotLeft, frame.bottom(),
                 kPlotRight, frame.bottom());
}

// ---- Sections ----------------------------------------------------------------------------------

constexpr std::string_view kStyle = R"CSS(
:root{--bg:#f3f5f8;--card:#fff;--ink:#111827;--ink2:#374151;--muted:#6b7280;--line:#e5e7eb;
--soft:#f9fafb;--pass:#15803d;--pass-bg:#ecfdf3;--fail:#dc2626;--fail-bg:#fef2f2;--warn:#b45309}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,
"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif;font-variant-numeric:tabular-nums}
.page{max-width:1240px;margin:0 auto;padding:24px 20px 40px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;
box-shadow:0 1px 2px rgba(16,24,40,.04);padding:18px 20px;margin:0 0 18px}
h1{font-size:26px;line-height:1.2;margin:2px 0 12px;word-break:break-word;letter-spacing:-.01em}
h2{font-size:15px;margin:0 0 12px;color:var(--ink);letter-spacing:.01em}
h2 .sub{font-weight:400;color:var(--muted);font-size:13px;margin-left:8px}
.eyebrow{font-size:11px;font-weight:600;letter-spacing:.08em;text-transform:uppercase;color:var(--muted)}
.head{display:grid;grid-template-columns:minmax(0,1fr) 340px;gap:24px;align-items:start}
.meta{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:8px 20px;margin:0}
.meta div{min-width:0}
.meta .wide{grid-column:span 2}
.meta dt,.params .label{font-size:11px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted)}
.meta dd{margin:1px 0 0;color:var(--ink2);word-break:break-word}
.params{margin-top:12px}
.chips{display:flex;flex-wrap:wrap;gap:6px;margin-top:4px}
.chip{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:2px 8px;
font:12px/1.6 ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;color:var(--ink2);
word-break:break-all}
.chip b{font-weight:600;color:var(--ink)}
pre.raw{margin:4px 0 0;white-space:pre-wrap;word-break:break-all;background:var(--soft);
border:1px solid var(--line);border-radius:6px;padding:6px 8px;font:12px/1.5 ui-monospace,Menlo,Consolas,monospace}
.verdict{border-radius:10px;padding:16px 18px;border:1px solid}
.verdict.pass{background:var(--pass-bg);border-color:#bbf7d0}
.verdict.fail{background:var(--fail-bg);border-color:#fecaca}
.badge{display:inline-block;color:#fff;font-weight:800;font-size:34px;letter-spacing:.08em;
padding:6px 22px;border-radius:8px;line-height:1.1}
.pass .badge{background:var(--pass)}
.fail .badge{background:var(--fail)}
.verdict .score{margin:10px 0 6px;font-weight:600;color:var(--ink2)}
.reasons{margin:0;padding-left:18px;color:var(--ink2)}
.reasons li{margin:3px 0;word-break:break-word}
.metrics{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:12px}
.metric{background:var(--soft);border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.metric .name{font-size:12px;color:var(--muted);white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.metric .value{font-size:22px;font-weight:650;margin-top:2px;white-space:nowrap}
.pos,.summary b.pos,.chart-title b.pos{color:#15803d}
.neg,.summary b.neg,.chart-title b.neg{color:#b91c1c}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:13px}
th{font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);font-weight:600;
text-align:left;padding:7px 10px;border-bottom:1px solid var(--line);background:var(--soft);white-space:nowrap}
td{padding:6px 10px;border-bottom:1px solid #f0f1f3;vertical-align:middle}
tbody tr:hover td{background:#fafbfc}
td.num,th.num{text-align:right;white-space:nowrap}
td.c,th.c{text-align:center}
td.note{color:var(--ink2);font-size:12px}
tr.failed td{background:#fff8f8}
.pill{display:inline-block;font-size:11px;font-weight:700;letter-spacing:.04em;border-radius:999px;padding:1px 9px}
.pill.ok{background:#dcfce7;color:#166534}.pill.ko{background:#fee2e2;color:#991b1b}
.side{display:inline-block;font-size:11px;font-weight:600;border-radius:4px;padding:0 6px;
background:#eef2f7;color:var(--ink2)}
.side.long{background:#e7f6ec;color:#166534}.side.short{background:#fdecec;color:#991b1b}
.trades td{padding:4px 8px;font-size:12px}.trades th{padding:6px 8px}
.omitted td{text-align:center;color:var(--muted);font-style:italic;background:var(--soft)}
.chart{display:block;width:100%;height:auto}
.chart .yl{font-size:11px;fill:#6b7280;text-anchor:end}
.chart .xl{font-size:11px;fill:#6b7280;text-anchor:middle}
.chart .ann{font-size:11px;fill:#374151}
.chart .ann.dd{fill:#b91c1c}
.chart-title{display:flex;flex-wrap:wrap;gap:4px 18px;align-items:baseline;margin:0 0 6px;font-size:13px;color:var(--ink2)}
.chart-title b{color:var(--ink);font-size:14px}
.legend{display:inline-block;width:14px;height:3px;border-radius:2px;vertical-align:middle;margin-right:6px}
.empty{border:1px dashed #d1d5db;border-radius:8px;padding:28px;text-align:center;color:var(--muted);
background:var(--soft)}
.heat td{text-align:right;font-size:12px;padding:6px 8px;border:2px solid #fff;border-radius:4px;white-space:nowrap}
.heat th{text-align:right;padding:6px 8px}
.heat td.year{text-align:left;font-weight:600;background:none}
.heat td.total{font-weight:700;border-left:6px solid #fff}
.heat td.none{color:#d1d5db;text-align:center}
.summary{display:flex;flex-wrap:wrap;gap:6px 22px;margin:0 0 10px;color:var(--ink2);font-size:13px}
.summary b{color:var(--ink)}
.foot{color:var(--muted);font-size:12px;text-align:center;margin-top:8px}
@media (max-width:860px){.head{grid-template-columns:1fr}.page{padding:12px 8px}.meta .wide{grid-column:auto}}
@media print{
@page{size:A4 landscape;margin:10mm}
body{background:#fff;font-size:11px}
.page{max-width:none;padding:0}
.card{box-shadow:none;border-color:#d1d5db;break-inside:avoid;page-break-inside:avoid}
.card.long{break-inside:auto;page-break-inside:auto}
.table-wrap{overflow:visible}
thead{display:table-header-group}
tr{break-inside:avoid}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
)CSS";

void render_header(std::string& out, const ValidationReport& report) {
  const auto o = std::back_inserter(out);
  std::size_t passed = 0;
  for (const GateCriterion& criterion : report.gate) passed += criterion.passed ? 1 : 0;
  out +=
      R"(<header class="card head"><div><div class="eyebrow">Gauntlet · strategy validation report</div>)";
  fmt::format_to(o, R"(<h1 id="strategy-id">{}</h1><dl class="meta">)",
                 or_dash(report.strategy_id));
  const auto meta = [&](std::string_view name, const std::string& html) {
    fmt::format_to(o, "<div><dt>{}</dt><dd>{}</dd></div>", name, html);
  };
  meta("Family", or_dash(report.family));
  meta("Asset", or_dash(report.asset));
  meta("Generated", format_second(report.generated_at) + " UTC");
  fmt::format_to(o, R"(<div class="wide"><dt>Data</dt><dd>{}</dd></div>)",
                 or_dash(report.data_description));
  if (!report.equity.empty()) {
    meta("Equity curve", fmt::format("{} → {} · {} points", format_date(report.equity.front().time),
                                     format_date(report.equity.back().time),
                                     grouped(static_cast<double>(report.equity.size()), 0, 0)));
  }
  out += "</dl>";

  out += R"(<div class="params"><div class="label">Parameters</div>)";
  const nlohmann::json parameters =
      nlohmann::json::parse(report.parameters_json, nullptr, /*allow_exceptions=*/false);
  if (report.parameters_json.empty()) {
    fmt::format_to(o, R"(<div class="meta"><dd>{}</dd></div>)", kDash);
  } else if (parameters.is_object() && !parameters.empty()) {
    out += R"(<div class="chips">)";
    for (const auto& [key, value] : parameters.items()) {
      const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
      fmt::format_to(o, R"(<span class="chip"><b>{}</b> {}</span>)", escape(key), escape(text));
    }
    out += "</div>";
  } else {
    const std::string text =
        parameters.is_discarded() ? report.parameters_json : parameters.dump(2);
    fmt::format_to(o, R"(<pre class="raw">{}</pre>)", escape(text));
  }
  out += "</div></div>";

  fmt::format_to(o, R"(<div class="verdict {}" id="verdict"><div class="badge">{}</div>)",
                 report.passed ? "pass" : "fail", report.passed ? "PASS" : "FAIL");
  if (!report.gate.empty()) {
    fmt::format_to(o, R"(<div class="score">{} of {} gate criteria passed</div>)", passed,
                   report.gate.size());
  } else {
    out += R"(<div class="score">No gate criteria</div>)";
  }
  if (!report.reasons.empty()) {
    out += R"(<ul class="reasons">)";
    for (const std::string& reason : report.reasons)
      fmt::format_to(o, "<li>{}</li>", escape(reason));
    out += "</ul>";
  } else if (report.passed) {
    out += R"(<ul class="reasons"><li>Every gate criterion passed.</li></ul>)";
  }
  out += "</div></header>";
}

void render_metrics(std::string& out, const ValidationReport& report) {
  const auto o = std::back_inserter(out);
  out += R"(<section class="card" id="metrics"><h2>Headline metrics</h2>)";
  if (report.metrics.empty()) {
    out += R"(<div class="empty">No metrics</div></section>)";
    return;
  }
  out += R"(<div class="metrics">)";
  for (const MetricRow& metric : report.metrics) {
    fmt::format_to(o,
                   R"(<div class="metric"><div class="name" title="{0}">{0}</div>)"
                   R"(<div class="value {1}">{2}</div></div>)",
                   escape(metric.name), value_class(metric.name, metric.value),
                   with_unit(metric.value, metric.unit));
  }
  out += "</div></section>";
}

void render_gate(std::string& out, const ValidationReport& report) {
  const auto o = std::back_inserter(out);
  std::size_t passed = 0;
  for (const GateCriterion& criterion : report.gate) passed += criterion.passed ? 1 : 0;
  fmt::format_to(
      o, R"(<section class="card" id="gate"><h2>Gate<span class="sub">{} of {} passed</span></h2>)",
      passed, report.gate.size());
  if (report.gate.empty()) {
    out += R"(<div class="empty">No gate criteria</div></section>)";
    return;
  }
  out +=
      R"(<div class="table-wrap"><table><thead><tr><th>Criterion</th>)"
      R"(<th class="num" style="width:110px">Value</th><th class="c" style="width:60px">Test</th>)"
      R"(<th class="num" style="width:110px">Threshold</th><th class="c" style="width:110px">Result</th>)"
      R"(<th style="width:36%">Note</th></tr></thead><tbody>)";
  for (const GateCriterion& criterion : report.gate) {
    const bool integers = is_integer(criterion.value) && is_integer(criterion.threshold);
    fmt::format_to(o,
                   R"(<tr class="{}"><td>{}</td><td class="num">{}</td><td class="c">{}</td>)"
                   R"(<td class="num">{}</td><td class="c"><span class="pill {}">{}</span></td>)"
                   R"(<td class="note">{}</td></tr>)",
                   criterion.passed ? "" : "failed", escape(criterion.name),
                   gate_number(criterion.value, integers), comparison_text(criterion.comparison),
                   gate_number(criterion.threshold, integers), criterion.passed ? "ok" : "ko",
                   criterion.passed ? "✓ PASS" : "✗ FAIL", escape(criterion.note));
  }
  out += "</tbody></table></div></section>";
}

void render_charts(std::string& out, const ValidationReport& report,
                   const std::vector<double>& drawdown) {
  const auto o = std::back_inserter(out);
  out += R"(<section class="card" id="charts"><h2>Equity and drawdown</h2>)";
  const std::vector<EquityPoint>& equity = report.equity;
  if (equity.empty()) {
    out += R"(<div class="empty" id="no-equity">No equity data</div></section>)";
    return;
  }
  const double start = equity.front().equity;
  const double end = equity.back().equity;
  std::size_t trough = 0;
  for (std::size_t i = 1; i < drawdown.size(); ++i) {
    if (drawdown[i] > drawdown[trough]) trough = i;
  }
  std::size_t peak = 0;
  for (std::size_t i = 1; i <= trough; ++i) {
    if (equity[i].equity >= equity[peak].equity) peak = i;
  }
  const double max_dd = drawdown[trough];

  fmt::format_to(
      o,
      R"(<div class="chart-title"><span><span class="legend" style="background:{}"></span>)"
      R"(<b>Equity</b></span><span>start <b>{}</b></span><span>end <b>{}</b></span>)"
      R"(<span>return <b class="{}">{}</b></span><span>max drawdown <b class="{}">{}</b></span></div>)",
      kEquityLineColour, money(start), money(end), start > 0 ? sign_class(end / start - 1) : "",
      start > 0 ? signed_percent(end / start - 1) : std::string(kDash), max_dd > 0 ? "neg" : "",
      max_dd > 0 ? percent(-max_dd) : percent(0));

  TimestampMs from = equity.front().time;
  TimestampMs to = equity.back().time;
  if (to <= from) {
    from -= kDayMs / 2;
    to += kDayMs / 2;
  }
  std::vector<double> values(equity.size());
  for (std::size_t i = 0; i < equity.size(); ++i) values[i] = equity[i].equity;
  const auto [low_it, high_it] = std::minmax_element(values.begin(), values.end());

  // The equity chart.
  Frame frame;
  frame.from = from;
  frame.to = to;
  frame.height = kEquityHeight;
  frame.axis = nice_axis(*low_it, *high_it, 5);
  const int value_decimals = decimals_for_step(frame.axis.step);
  fmt::format_to(
      o,
      R"(<svg id="equity-chart" class="chart" viewBox="0 0 {} {}" role="img" )"
      R"(aria-label="Equity curve" xmlns="http://www.w3.org/2000/svg">)"
      R"(<defs><linearGradient id="eq-fill" x1="0" y1="0" x2="0" y2="1">)"
      R"(<stop offset="0" stop-color="#3b82f6" stop-opacity="0.20"/>)"
      R"(<stop offset="1" stop-color="#3b82f6" stop-opacity="0.02"/></linearGradient></defs>)",
      kChartWidth, kEquityHeight);
  draw_frame(out, frame, [&](double v) { return grouped(v, value_decimals, value_decimals); });
  if (max_dd > 0 && trough > peak) {
    const double x1 = frame.x(equity[peak].time);
    const double x2 = frame.x(equity[trough].time);
    fmt::format_to(
        o,
        R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="#fee2e2" fill-opacity="0.55"/>)",
        x1, kPlotTop, std::max(x2 - x1, 1.0), frame.bottom() - kPlotTop);
    const bool right = x1 < (kPlotLeft + kPlotRight) / 2;
    fmt::format_to(
        o, R"(<text x="{:.1f}" y="{:.1f}" class="ann dd" text-anchor="{}">max drawdown {}</text>)",
        right ? x1 + 4 : x2 - 4, kPlotTop + 13, right ? "start" : "end", percent(-max_dd));
  }
  if (start >= frame.axis.low && start <= frame.axis.high) {
    fmt::format_to(
        o,
        R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#9ca3af" stroke-dasharray="4 4"/>)",
        kPlotLeft, frame.y(start), kPlotRight, frame.y(start));
  }
  const std::vector<std::size_t> kept = downsample(values, kMaxChartPoints);
  std::string points;
  points.reserve(kept.size() * 14);
  for (const std::size_t i : kept) {
    fmt::format_to(std::back_inserter(points), "{:.1f},{:.1f} ", frame.x(equity[i].time),
                   frame.y(values[i]));
  }
  if (!points.empty()) points.pop_back();
  const double first_x = frame.x(equity[kept.front()].time);
  const double last_x = frame.x(equity[kept.back()].time);
  fmt::format_to(o, R"svg(<path d="M{:.1f},{:.1f} L{} L{:.1f},{:.1f} Z" fill="url(#eq-fill)"/>)svg",
                 first_x, frame.bottom(), points, last_x, frame.bottom());
  fmt::format_to(
      o,
      R"(<polyline id="equity-line" points="{}" fill="none" stroke="{}" stroke-width="1.8" )"
      R"(stroke-linejoin="round" stroke-linecap="round"/>)",
      points, kEquityLineColour);
  fmt::format_to(
      o, R"(<circle cx="{:.1f}" cy="{:.1f}" r="3.5" fill="{}" stroke="#fff" stroke-width="1.5"/>)",
      last_x, frame.y(end), kEquityLineColour);
  out += "</svg>";

  // The drawdown chart, on the same time axis.
  Frame dd_frame;
  dd_frame.from = from;
  dd_frame.to = to;
  dd_frame.height = kDrawdownHeight;
  dd_frame.axis = nice_axis(-std::max(max_dd, 0.01), 0, 4);
  dd_frame.axis.high = 0;
  fmt::format_to(
      o,
      R"(<div class="chart-title" style="margin-top:10px"><span><span class="legend" )"
      R"(style="background:{}"></span><b>Drawdown</b></span><span>below the running peak</span></div>)",
      kDrawdownColour);
  fmt::format_to(o,
                 R"(<svg id="drawdown-chart" class="chart" viewBox="0 0 {} {}" role="img" )"
                 R"(aria-label="Drawdown" xmlns="http://www.w3.org/2000/svg">)",
                 kChartWidth, kDrawdownHeight);
  const int dd_decimals = std::max(0, decimals_for_step(dd_frame.axis.step * 100));
  draw_frame(out, dd_frame,
             [&](double v) { return grouped(v * 100, dd_decimals, dd_decimals) + "%"; });
  std::vector<double> negated(drawdown.size());
  for (std::size_t i = 0; i < drawdown.size(); ++i) negated[i] = -drawdown[i];
  const std::vector<std::size_t> dd_kept = downsample(negated, kMaxChartPoints);
  std::string dd_points;
  dd_points.reserve(dd_kept.size() * 14);
  for (const std::size_t i : dd_kept) {
    fmt::format_to(std::back_inserter(dd_points), "{:.1f},{:.1f} ", dd_frame.x(equity[i].time),
                   dd_frame.y(negated[i]));
  }
  if (!dd_points.empty()) dd_points.pop_back();
  const double zero = dd_frame.y(0);
  fmt::format_to(
      o,
      R"(<path id="drawdown-area" d="M{:.1f},{:.1f} L{} L{:.1f},{:.1f} Z" fill="{}" fill-opacity="0.22" )"
      R"(stroke="none"/><polyline points="{}" fill="none" stroke="{}" stroke-width="1.2" stroke-linejoin="round"/>)",
      dd_frame.x(equity[dd_kept.front()].time), zero, dd_points,
      dd_frame.x(equity[dd_kept.back()].time), zero, kDrawdownColour, dd_points, kDrawdownColour);
  if (max_dd > 0) {
    const double x = dd_frame.x(equity[trough].time);
    const bool right = x < (kPlotLeft + kPlotRight) * 0.75;
    fmt::format_to(o,
                   R"(<circle cx="{:.1f}" cy="{:.1f}" r="3" fill="{}"/>)"
                   R"(<text x="{:.1f}" y="{:.1f}" class="ann dd" text-anchor="{}">{} on {}</text>)",
                   x, dd_frame.y(-max_dd), kDrawdownColour, right ? x + 7 : x - 7,
                   dd_frame.y(-max_dd) + 4, right ? "start" : "end", percent(-max_dd),
                   format_date(equity[trough].time));
  }
  out += "</svg></section>";
}

// The background of a heat-map cell: green for gains, red for losses, deeper with |value|.
std::string heat_style(double value, double scale) {
  if (!std::isfinite(value) || value == 0) return "background:#f3f4f6";
  const double t = std::min(1.0, std::fabs(value) / scale);
  const double alpha = 0.08 + 0.77 * t;
  const char* rgb = value > 0 ? "22,163,74" : "220,38,38";
  return fmt::format("background:rgba({},{:.2f});color:{}", rgb, alpha,
                     alpha > 0.55 ? "#fff" : "#111827");
}

void render_monthly(std::string& out, const std::vector<MonthlyReturn>& months) {
  const auto o = std::back_inserter(out);
  out +=
      R"(<section class="card" id="monthly"><h2>Monthly returns<span class="sub">compounded, UTC months</span></h2>)";
  if (months.empty()) {
    out += R"(<div class="empty">No equity data</div></section>)";
    return;
  }
  double month_scale = 0.01;
  for (const MonthlyReturn& m : months) {
    if (std::isfinite(m.value)) month_scale = std::max(month_scale, std::fabs(m.value));
  }
  struct Year {
    int year;
    std::array<std::optional<double>, 12> months;
    double total;
  };
  std::vector<Year> years;
  for (const MonthlyReturn& m : months) {
    if (years.empty() || years.back().year != m.year) years.push_back({m.year, {}, 1.0});
    years.back().months[static_cast<std::size_t>(m.month - 1)] = m.value;
    years.back().total *= 1.0 + m.value;
  }
  double year_scale = 0.01;
  for (Year& y : years) {
    y.total -= 1.0;
    if (std::isfinite(y.total)) year_scale = std::max(year_scale, std::fabs(y.total));
  }
  out +=
      R"(<div class="table-wrap"><table class="heat"><thead><tr><th style="text-align:left">Year</th>)";
  for (const std::string_view name : kMonthNames) fmt::format_to(o, "<th>{}</th>", name);
  out += "<th>Year</th></tr></thead><tbody>";
  for (const Year& y : years) {
    fmt::format_to(o, R"(<tr><td class="year">{}</td>)", y.year);
    for (const std::optional<double>& value : y.months) {
      if (!value) {
        fmt::format_to(o, R"(<td class="none">{}</td>)", "·");
      } else {
        fmt::format_to(o, R"(<td style="{}">{}</td>)", heat_style(*value, month_scale),
                       signed_percent(*value));
      }
    }
    fmt::format_to(o, R"(<td class="total" style="{}">{}</td></tr>)",
                   heat_style(y.total, year_scale), signed_percent(y.total));
  }
  out += "</tbody></table></div></section>";
}

// A box (p25..p75), whiskers (p5..p95) and median on a shared scale [low, high].
std::string box_plot(const StressRow& row, double low, double high) {
  constexpr double kWidth = 240, kHeight = 26, kPad = 6;
  const auto x = [&](double v) {
    if (!std::isfinite(v)) return v > 0 ? kWidth - kPad : kPad;
    return kPad + (v - low) / (high - low) * (kWidth - 2 * kPad);
  };
  std::string svg = fmt::format(
      R"(<svg class="box" width="{}" height="{}" viewBox="0 0 {} {}" xmlns="http://www.w3.org/2000/svg">)",
      kWidth, kHeight, kWidth, kHeight);
  const auto o = std::back_inserter(svg);
  if (low < 0 && high > 0) {
    fmt::format_to(
        o,
        R"(<line x1="{0:.1f}" y1="2" x2="{0:.1f}" y2="{1}" stroke="#9ca3af" stroke-dasharray="2 2"/>)",
        x(0), kHeight - 2);
  }
  fmt::format_to(
      o,
      R"(<line x1="{:.1f}" y1="13" x2="{:.1f}" y2="13" stroke="#64748b" stroke-width="1.2"/>)"
      R"(<line x1="{:.1f}" y1="8" x2="{:.1f}" y2="18" stroke="#64748b" stroke-width="1.2"/>)"
      R"(<line x1="{:.1f}" y1="8" x2="{:.1f}" y2="18" stroke="#64748b" stroke-width="1.2"/>)"
      R"(<rect x="{:.1f}" y="6" width="{:.1f}" height="14" rx="2" fill="#e0e7ff" stroke="#6366f1"/>)"
      R"(<line x1="{:.1f}" y1="5" x2="{:.1f}" y2="21" stroke="#312e81" stroke-width="2"/>)",
      x(row.p5), x(row.p95), x(row.p5), x(row.p5), x(row.p95), x(row.p95), x(row.p25),
      std::max(x(row.p75) - x(row.p25), 1.0), x(row.p50), x(row.p50));
  svg += "</svg>";
  return svg;
}

void render_stress(std::string& out, const ValidationReport& report) {
  const auto o = std::back_inserter(out);
  out +=
      R"(<section class="card" id="stress"><h2>Stress tests<span class="sub">percentiles over the samples; box p25–p75, whiskers p5–p95, bar median</span></h2>)";
  if (report.stress.empty()) {
    out += R"(<div class="empty">No stress tests</div></section>)";
    return;
  }
  out +=
      R"(<div class="table-wrap"><table><thead><tr><th>Scenario</th><th class="num">Samples</th>)"
      R"(<th class="num">P5</th><th class="num">P25</th><th class="num">Median</th>)"
      R"(<th class="num">P75</th><th class="num">P95</th><th>Distribution</th></tr></thead><tbody>)";
  for (const StressRow& row : report.stress) {
    // One scale for every row in the same unit, so the boxes compare.
    double low = std::numeric_limits<double>::infinity();
    double high = -low;
    for (const StressRow& other : report.stress) {
      if (other.unit != row.unit) continue;
      for (const double v : {other.p5, other.p25, other.p50, other.p75, other.p95}) {
        if (std::isfinite(v)) {
          low = std::min(low, v);
          high = std::max(high, v);
        }
      }
    }
    if (!(low <= high)) {
      low = 0;
      high = 1;
    }
    if (row.unit == "%" && low > 0) low = 0;
    if (row.unit == "%" && high < 0) high = 0;
    if (!(high > low)) {
      low -= 0.5;
      high += 0.5;
    }
    const double pad = (high - low) * 0.04;
    fmt::format_to(
        o,
        R"(<tr><td>{}</td><td class="num">{}</td><td class="num {}">{}</td>)"
        R"(<td class="num {}">{}</td><td class="num {}"><b>{}</b></td><td class="num {}">{}</td>)"
        R"(<td class="num {}">{}</td><td>{}</td></tr>)",
        escape(row.name), grouped(static_cast<double>(row.samples), 0, 0),
        value_class(row.name, row.p5), with_unit(row.p5, row.unit), value_class(row.name, row.p25),
        with_unit(row.p25, row.unit), value_class(row.name, row.p50), with_unit(row.p50, row.unit),
        value_class(row.name, row.p75), with_unit(row.p75, row.unit),
        value_class(row.name, row.p95), with_unit(row.p95, row.unit),
        box_plot(row, low - pad, high + pad));
  }
  out += "</tbody></table></div></section>";
}

void render_folds(std::string& out, const ValidationReport& report) {
  const auto o = std::back_inserter(out);
  fmt::format_to(
      o,
      R"(<section class="card" id="folds"><h2>Walk-forward<span class="sub">{} folds, out-of-sample test windows</span></h2>)",
      report.folds.size());
  if (report.folds.empty()) {
    out += R"(<div class="empty">No walk-forward folds</div></section>)";
    return;
  }
  out +=
      R"(<div class="table-wrap"><table><thead><tr><th>Fold</th><th>Test window (UTC)</th>)"
      R"(<th class="num">Train samples</th><th class="num">Test samples</th><th class="num">Trades</th>)"
      R"(<th class="num">Sharpe</th><th class="num">Profit factor</th><th class="num">Max drawdown</th>)"
      R"(<th class="num">Return</th></tr></thead><tbody>)";
  for (const FoldRow& fold : report.folds) {
    fmt::format_to(
        o,
        R"(<tr><td>{}</td><td>{} → {}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td>)"
        R"(<td class="num {}">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num {}">{}</td></tr>)",
        escape(fold.name), format_minute(fold.test_from), format_minute(fold.test_to),
        grouped(static_cast<double>(fold.train_samples), 0, 0),
        grouped(static_cast<double>(fold.test_samples), 0, 0),
        grouped(static_cast<double>(fold.trades), 0, 0), sign_class(fold.sharpe),
        fold.sharpe ? grouped(*fold.sharpe, 2, 2) : std::string(kDash),
        fold.profit_factor ? with_unit(fold.profit_factor, "x") : std::string(kDash),
        fold.max_drawdown ? percent(*fold.max_drawdown) : std::string(kDash),
        sign_class(fold.total_return),
        fold.total_return ? signed_percent(*fold.total_return) : std::string(kDash));
  }
  out += "</tbody></table></div></section>";
}

void render_trade(std::string& out, std::size_t number, const TradeRow& trade) {
  const std::string side = to_lower(trade.side);
  const std::string_view side_class = side == "long" || side == "buy"     ? "long"
                                      : side == "short" || side == "sell" ? "short"
                                                                          : "";
  const auto level = [](double value) { return value == 0 ? std::string(kDash) : price(value); };
  fmt::format_to(std::back_inserter(out),
                 R"(<tr><td class="num">{}</td><td>{}</td><td><span class="side {}">{}</span></td>)"
                 R"(<td class="num">{}</td><td class="num">{}</td><td class="num">{}</td>)"
                 R"(<td class="num">{}</td><td class="num">{}</td><td class="num">{}</td>)"
                 R"(<td class="num">{}</td><td class="num">{}</td><td class="num">{}</td>)"
                 R"(<td class="num {}"><b>{}</b></td><td>{}</td></tr>)",
                 number, or_dash(trade.symbol), side_class, or_dash(trade.side),
                 format_minute(trade.entry_time), format_minute(trade.exit_time),
                 format_held(trade.exit_time - trade.entry_time), quantity(trade.quantity),
                 price(trade.entry_price), price(trade.exit_price), level(trade.stop_loss),
                 level(trade.take_profit), money(trade.fees), sign_class(trade.pnl),
                 signed_money(trade.pnl), or_dash(trade.exit_reason));
}

void render_trades(std::string& out, const ValidationReport& report) {
  const auto o = std::back_inserter(out);
  const std::vector<TradeRow>& trades = report.trades;
  fmt::format_to(
      o,
      R"(<section class="card long" id="trades"><h2>Trades<span class="sub">{} closed</span></h2>)",
      trades.size());
  if (trades.empty()) {
    out += R"(<div class="empty">No trades</div></section>)";
    return;
  }
  std::size_t winners = 0;
  double net = 0, fees = 0, gains = 0, losses = 0;
  for (const TradeRow& trade : trades) {
    winners += trade.pnl > 0 ? 1 : 0;
    net += trade.pnl;
    fees += trade.fees;
    if (trade.pnl > 0) gains += trade.pnl;
    if (trade.pnl < 0) losses -= trade.pnl;
  }
  const double win_rate = static_cast<double>(winners) / static_cast<double>(trades.size());
  fmt::format_to(
      o,
      R"(<div class="summary"><span>trades <b>{}</b></span><span>winners <b>{}</b> ({})</span>)"
      R"(<span>net P&amp;L <b class="{}">{}</b></span><span>fees <b>{}</b></span>)"
      R"(<span>profit factor <b>{}</b></span></div>)",
      trades.size(), winners, percent(win_rate), sign_class(net), signed_money(net), money(fees),
      losses > 0 ? grouped(gains / losses, 2, 2) + "x"
                 : (gains > 0 ? std::string("\u221e") : std::string(kDash)));
  out +=
      R"(<div class="table-wrap"><table class="trades"><thead><tr><th class="num">#</th><th>Symbol</th>)"
      R"(<th>Side</th><th class="num">Entry (UTC)</th><th class="num">Exit (UTC)</th><th class="num">Held</th>)"
      R"(<th class="num">Qty</th><th class="num">Entry px</th><th class="num">Exit px</th>)"
      R"(<th class="num">Stop</th><th class="num">Target</th><th class="num">Fees</th>)"
      R"(<th class="num">P&amp;L</th><th>Exit reason</th></tr></thead><tbody>)";
  if (trades.size() <= kMaxTradesShown) {
    for (std::size_t i = 0; i < trades.size(); ++i) render_trade(out, i + 1, trades[i]);
  } else {
    for (std::size_t i = 0; i < kTradesShownAtEachEnd; ++i) render_trade(out, i + 1, trades[i]);
    const std::size_t omitted = trades.size() - 2 * kTradesShownAtEachEnd;
    fmt::format_to(
        o,
        R"(<tr class="omitted" id="trades-omitted"><td colspan="14">… {} trades omitted )"
        R"((#{}–#{}); the JSON report holds all {} …</td></tr>)",
        omitted, kTradesShownAtEachEnd + 1, kTradesShownAtEachEnd + omitted, trades.size());
    for (std::size_t i = trades.size() - kTradesShownAtEachEnd; i < trades.size(); ++i) {
      render_trade(out, i + 1, trades[i]);
    }
  }
  out += "</tbody></table></div></section>";
}

// ---- JSON --------------------------------------------------------------------------------------

nlohmann::json number(double value) {
  if (std::isnan(value)) return nullptr;
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return value;
}

nlohmann::json number(std::optional<double> value) {
  return value ? number(*value) : nlohmann::json(nullptr);
}

void put_time(nlohmann::json& object, const std::string& key, TimestampMs time) {
  object[key] = format_iso8601(time);
  object[key + "_ms"] = time;
}

// ---- Files -------------------------------------------------------------------------------------

void write_atomically(const fs::path& target, std::string_view content) {
  static std::atomic<unsigned> counter{0};
  const fs::path temporary =
      target.parent_path() /
      fmt::format(".{}.{}.{}.tmp", target.filename().string(), ::getpid(), counter.fetch_add(1));
  const auto fail = [&](std::string_view what) {
    const std::string reason = std::strerror(errno);
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw StateError(fmt::format("cannot {} {}: {}", what, target.string(), reason));
  };
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) fail("create a temporary file for");
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t written = ::write(fd, content.data() + done, content.size() - done);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      const int saved = errno;
      ::close(fd);
      errno = saved;
      fail("write");
    }
    done += static_cast<std::size_t>(written);
  }
  if (::fsync(fd) != 0) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    fail("flush");
  }
  if (::close(fd) != 0) fail("close");
  if (::rename(temporary.c_str(), target.c_str()) != 0) fail("rename into");
}

}  // namespace

// ---- Public functions --------------------------------------------------------------------------

std::vector<MonthlyReturn> monthly_returns(std::span<const EquityPoint> equity) {
  require_valid(equity);
  std::vector<MonthlyReturn> months;
  if (equity.empty()) return months;
  double base = equity.front().equity;
  const auto close = [&](int64_t index, double last) {
    const int64_t year = floor_div(index, 12);
    const double value = base > 0 ? last / base - 1.0 : -1.0;
    months.push_back({static_cast<int>(year), static_cast<int>(index - year * 12) + 1, value});
    base = last;
  };
  int64_t current = month_index_of(equity.front().time);
  for (std::size_t i = 1; i < equity.size(); ++i) {
    const int64_t index = month_index_of(equity[i].time);
    if (index != current) {
      close(current, equity[i - 1].equity);
      current = index;
    }
  }
  close(current, equity.back().equity);
  return months;
}

std::vector<double> drawdown_series(std::span<const EquityPoint> equity) {
  for (std::size_t i = 0; i < equity.size(); ++i) {
    if (!std::isfinite(equity[i].equity)) {
      throw ArgumentError(fmt::format("equity[{}] must be finite, was {}", i, equity[i].equity));
    }
  }
  std::vector<double> drawdown(equity.size());
  double peak = -std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < equity.size(); ++i) {
    peak = std::max(peak, equity[i].equity);
    drawdown[i] = peak > 0 ? std::clamp(1.0 - equity[i].equity / peak, 0.0, 1.0) : 1.0;
  }
  return drawdown;
}

nlohmann::json to_json(const ValidationReport& report) {
  using nlohmann::json;
  json out = json::object();
  out["schema"] = "gauntlet.validation_report.v1";
  out["strategy_id"] = report.strategy_id;
  out["family"] = report.family;
  out["asset"] = report.asset;
  out["parameters_json"] = report.parameters_json;
  json parameters = json::parse(report.parameters_json, nullptr, /*allow_exceptions=*/false);
  out["parameters"] = parameters.is_discarded() ? json(nullptr) : std::move(parameters);
  out["data_description"] = report.data_description;
  put_time(out, "generated_at", report.generated_at);
  out["passed"] = report.passed;
  out["verdict"] = report.passed ? "PASS" : "FAIL";
  out["reasons"] = report.reasons;

  json metrics = json::array();
  for (const MetricRow& metric : report.metrics) {
    metrics.push_back(
        {{"name", metric.name}, {"value", number(metric.value)}, {"unit", metric.unit}});
  }
  out["metrics"] = std::move(metrics);

  json gate = json::array();
  for (const GateCriterion& c : report.gate) {
    gate.push_back({{"name", c.name},
                    {"value", number(c.value)},
                    {"comparison", c.comparison},
                    {"threshold", number(c.threshold)},
                    {"passed", c.passed},
                    {"note", c.note}});
  }
  out["gate"] = std::move(gate);

  const std::vector<double> drawdown = drawdown_series(report.equity);
  json equity = json::object();
  equity["points"] = report.equity.size();
  json times = json::array();
  json values = json::array();
  for (const EquityPoint& point : report.equity) {
    times.push_back(point.time);
    values.push_back(number(point.equity));
  }
  if (report.equity.empty()) {
    equity["from"] = nullptr;
    equity["from_ms"] = nullptr;
    equity["to"] = nullptr;
    equity["to_ms"] = nullptr;
    equity["start"] = nullptr;
    equity["end"] = nullptr;
    equity["max_drawdown"] = nullptr;
  } else {
    put_time(equity, "from", report.equity.front().time);
    put_time(equity, "to", report.equity.back().time);
    equity["start"] = number(report.equity.front().equity);
    equity["end"] = number(report.equity.back().equity);
    equity["max_drawdown"] = number(*std::max_element(drawdown.begin(), drawdown.end()));
  }
  equity["time_ms"] = std::move(times);
  equity["equity"] = std::move(values);
  out["equity"] = std::move(equity);

  json months = json::array();
  for (const MonthlyReturn& m : monthly_returns(report.equity)) {
    months.push_back({{"year", m.year}, {"month", m.month}, {"value", number(m.value)}});
  }
  out["monthly_returns"] = std::move(months);

  json trades = json::array();
  for (const TradeRow& t : report.trades) {
    json row = {{"symbol", t.symbol},
                {"side", t.side},
                {"quantity", number(t.quantity)},
                {"entry_price", number(t.entry_price)},
                {"exit_price", number(t.exit_price)},
                {"stop_loss", number(t.stop_loss)},
                {"take_profit", number(t.take_profit)},
                {"fees", number(t.fees)},
                {"pnl", number(t.pnl)},
                {"exit_reason", t.exit_reason}};
    put_time(row, "entry_time", t.entry_time);
    put_time(row, "exit_time", t.exit_time);
    trades.push_back(std::move(row));
  }
  out["trades"] = std::move(trades);

  json stress = json::array();
  for (const StressRow& s : report.stress) {
    stress.push_back({{"name", s.name},
                      {"samples", s.samples},
                      {"p5", number(s.p5)},
                      {"p25", number(s.p25)},
                      {"p50", number(s.p50)},
                      {"p75", number(s.p75)},
                      {"p95", number(s.p95)},
                      {"unit", s.unit}});
  }
  out["stress"] = std::move(stress);

  json folds = json::array();
  for (const FoldRow& f : report.folds) {
    json row = {{"name", f.name},
                {"train_samples", f.train_samples},
                {"test_samples", f.test_samples},
                {"trades", f.trades},
                {"sharpe", number(f.sharpe)},
                {"profit_factor", number(f.profit_factor)},
                {"max_drawdown", number(f.max_drawdown)},
                {"total_return", number(f.total_return)}};
    put_time(row, "test_from", f.test_from);
    put_time(row, "test_to", f.test_to);
    folds.push_back(std::move(row));
  }
  out["folds"] = std::move(folds);
  return out;
}

std::string render_html(const ValidationReport& report) {
  require_valid(report.equity);
  const std::vector<double> drawdown = drawdown_series(report.equity);
  const std::vector<MonthlyReturn> months = monthly_returns(report.equity);

  std::string out;
  out.reserve(64 * 1024 + report.trades.size() * 700);
  const auto o = std::back_inserter(out);
  fmt::format_to(o,
                 "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                 "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                 "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                 "style-src 'unsafe-inline'; img-src data:\">"
                 "<title>{} — {} — Gauntlet validation</title><style>",
                 or_dash(report.strategy_id), report.passed ? "PASS" : "FAIL");
  out += kStyle;
  out += "</style></head><body><main class=\"page\">";
  render_header(out, report);
  render_metrics(out, report);
  render_gate(out, report);
  render_charts(out, report, drawdown);
  render_monthly(out, months);
  render_stress(out, report);
  render_folds(out, report);
  render_trades(out, report);
  fmt::format_to(o,
                 R"(<div class="foot">Gauntlet validation report · {} · generated {} UTC · )"
                 R"(self-contained file, no external resources</div>)",
                 or_dash(report.strategy_id), format_second(report.generated_at));
  out += "</main></body></html>\n";
  return out;
}

ReportPaths build_report(const ValidationReport& report, const std::filesystem::path& dir) {
  // Render both before touching the disk, so a bad input writes nothing.
  const std::string json_text =
      to_json(report).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  const std::string html = render_html(report);
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) {
    throw StateError(
        fmt::format("cannot create the report directory {}: {}", dir.string(), error.message()));
  }
  ReportPaths paths{dir / "report.json", dir / "report.html"};
  write_atomically(paths.json, json_text);
  write_atomically(paths.html, html);
  return paths;
}

}  // namespace gauntlet::validation
