// Tests of validation/report_builder: monthly returns and drawdowns worked out by hand, the JSON
// (null / "inf" handling, every gate criterion, ISO and ms times), HTML escaping of hostile
// input, empty reports, the trade-table truncation, downsampling, atomic writes, and a rendering
// of a realistic report by headless Chromium whose screenshot is decoded here (PNG + zlib) and
// checked for a verdict badge and an equity line, and whose DOM must hold the charts and every
// gate criterion. The screenshot and the page are copied to GAUNTLET_REPORT_ARTIFACT_DIR.
#include "validation/report_builder.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "core/exceptions.hpp"
#include "support/lcg.hpp"
#include "support/temp_dir.hpp"

extern char** environ;

namespace gauntlet::validation {
namespace {

namespace fs = std::filesystem;

constexpr double kInf = std::numeric_limits<double>::infinity();

EquityPoint at(const char* iso, double equity) {
  return {parse_iso8601(iso), equity};
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + needle.size())) {
    ++count;
  }
  return count;
}

using testing::Lcg;

TradeRow trade(std::size_t i, TimestampMs entry, double pnl) {
  TradeRow row;
  row.symbol = i % 3 == 0 ? "BTCUSDT" : i % 3 == 1 ? "ETHUSDT" : "SOLUSDT";
  row.side = i % 2 == 0 ? "long" : "short";
  row.entry_time = entry;
  row.exit_time = entry + static_cast<TimestampMs>(2 + i % 17) * kHourMs + 15 * kMinuteMs;
  row.entry_price = i % 3 == 0   ? 94250.5 + 37.0 * static_cast<double>(i % 11)
                    : i % 3 == 1 ? 3312.25 + 3.5 * static_cast<double>(i % 7)
                                 : 187.432 + 0.25 * static_cast<double>(i % 5);
  row.quantity = 200.0 / row.entry_price;
  const double move = pnl / row.quantity;
  row.exit_price = row.entry_price + (row.side == "long" ? move : -move);
  const double risk = row.entry_price * 0.012;
  row.stop_loss = row.side == "long" ? row.entry_price - risk : row.entry_price + risk;
  row.take_profit = row.side == "long" ? row.entry_price + 2 * risk : row.entry_price - 2 * risk;
  row.fees = 0.22 + 0.01 * static_cast<double>(i % 4);
  row.pnl = pnl;
  row.exit_reason = pnl > 2 ? "take_profit" : pnl < -2 ? "stop_loss" : "signal_exit";
  return row;
}

// Three months of an hourly equity curve with a drawdown in February, 120 trades, 8 gate
// criteria (three failing), stress rows and 5 walk-forward folds.
ValidationReport realistic_report() {
  ValidationReport report;
  report.strategy_id = "ema_cross_btc_7f3a";
  report.family = "ema_crossover";
  report.asset = "crypto";
  report.parameters_json =
      R"({"fast": 12, "slow": 48, "atr_stop": 1.8, "take_profit_r": 2.0, "timeframe": "15m", "confirm_5m": true})";
  report.data_description =
      "replay of 3 series (BTCUSDT, ETHUSDT, SOLUSDT 15m), 2025-01-01 to 2025-03-31";
  report.generated_at = parse_iso8601("2025-04-01T06:30:12Z");
  const TimestampMs from = parse_iso8601("2025-01-01T00:00:00Z");
  const TimestampMs to = parse_iso8601("2025-03-31T23:00:00Z");
  const TimestampMs dd_from = parse_iso8601("2025-02-06T00:00:00Z");
  const TimestampMs dd_to = parse_iso8601("2025-02-19T00:00:00Z");
  Lcg lcg(20250401);
  double equity = 10'000;
  report.equity.push_back({from, equity});
  for (TimestampMs t = from + kHourMs; t <= to; t += kHourMs) {
    const double drift = t >= dd_from && t < dd_to ? -0.00042 : 0.00019;
    equity *= 1.0 + drift + 0.0021 * lcg.normal_ih();
    report.equity.push_back({t, equity});
  }

  double gains = 0, losses = 0;
  std::size_t winners = 0;
  for (std::size_t i = 0; i < 120; ++i) {
    const TimestampMs entry = from + static_cast<TimestampMs>(i) * 17 * kHourMs + 30 * kMinuteMs;
    const bool win = lcg.uniform() < 0.54;
    const double size = win ? 2 + 10 * lcg.uniform() : 1 + 8 * lcg.uniform();
    const double pnl = std::round((win ? size : -size) * 100) / 100;
    report.trades.push_back(trade(i, entry, pnl));
    (pnl > 0 ? gains : losses) += std::fabs(pnl);
    winners += pnl > 0 ? 1 : 0;
  }

  // Headline metrics and gate consistent with the curve and the trades.
  const double total_return = report.equity.back().equity / report.equity.front().equity - 1;
  const std::vector<double> drawdown = drawdown_series(report.equity);
  const double max_dd = *std::max_element(drawdown.begin(), drawdown.end());
  const double cagr = std::pow(1 + total_return, 365.0 / 90.0) - 1;
  const double profit_factor = gains / losses;
  const double win_rate = static_cast<double>(winners) / 120.0;
  report.metrics = {{"Total return", total_return, "%"},
                    {"CAGR", cagr, "%"},
                    {"Sharpe", 0.84, ""},
                    {"Sortino", kInf, ""},
                    {"Max drawdown", max_dd, "%"},
                    {"Calmar", cagr / max_dd, ""},
                    {"Win rate", win_rate, "%"},
                    {"Profit factor", profit_factor, "x"},
                    {"Trades", 120, ""},
                    {"Deflated Sharpe", 0.62, ""},
                    {"PBO", std::nullopt, ""},
                    {"Exposure", 0.378, "%"}};
  report.gate = {{"min_trades", 120, ">=", 100, true, ""},
                 {"sharpe", 0.84, ">=", 1.0, false, ""},
                 {"deflated_sharpe", 0.62, ">=", 0.95, false, ""},
                 {"max_drawdown", max_dd, "<=", 0.20, max_dd <= 0.20, ""},
                 {"profit_factor", profit_factor, ">=", 1.3, profit_factor >= 1.3, ""},
                 {"pbo", std::nullopt, "<=", 0.5, false, "INSUFFICIENT: 5 folds < 8"},
                 {"cvar_95", 0.0213, "<=", 0.03, true, "daily returns"},
                 {"walk_forward_positive_folds", 0.8, ">=", 0.6, true, "4 of 5 folds positive"}};
  report.passed = true;
  for (const GateCriterion& criterion : report.gate) {
    if (criterion.passed) continue;
    report.passed = false;
    report.reasons.push_back(
        criterion.value ? fmt::format("{} {:.2f} fails {} {:.2f}", criterion.name, *criterion.value,
                                      criterion.comparison, *criterion.threshold)
                        : fmt::format("{} undefined: {}", criterion.name, criterion.note));
  }
  report.stress = {
      {"Monte-Carlo reorder: max drawdown", 10'000, 0.061, 0.078, 0.094, 0.117, 0.162, "%"},
      {"Bootstrap: total return", 10'000, -0.041, 0.052, 0.121, 0.188, 0.279, "%"},
      {"Block bootstrap: total return", 10'000, -0.067, 0.031, 0.109, 0.176, 0.301, "%"},
      {"Fees x2: total return", 1, 0.097, 0.097, 0.097, 0.097, 0.097, "%"},
      {"Bootstrap: Sharpe", 10'000, -0.31, 0.38, 0.86, 1.29, 1.98, ""},
      {"Slippage +5 bps: profit factor", 10'000, 0.92, 1.18, 1.33, 1.49, 1.77, "x"}};
  const std::array<const char*, 6> edges = {"2025-01-16", "2025-01-31", "2025-02-15",
                                            "2025-03-02", "2025-03-17", "2025-03-31T23:00"};
  const std::array<double, 5> sharpe = {1.42, 0.95, -0.71, 1.12, 1.63};
  const std::array<double, 5> returns = {0.041, 0.022, -0.038, 0.031, 0.047};
  for (std::size_t f = 0; f < 5; ++f) {
    report.folds.push_back({"fold " + std::to_string(f + 1), parse_iso8601(edges[f]),
                            parse_iso8601(edges[f + 1]), 1440 + 360 * f, 360, 18 + 3 * f % 7,
                            sharpe[f], f == 2 ? 0.71 : 1.2 + 0.1 * static_cast<double>(f),
                            f == 2 ? 0.089 : 0.03 + 0.004 * static_cast<double>(f), returns[f]});
  }
  return report;
}

// ---- monthly_returns / drawdown_series ----------------------------------------------------------

TEST(MonthlyReturns, HandWorkedAcrossAYearBoundary) {
  // Dec 2024: 100 -> 110 = +10 %. Jan 2025: 110 -> (99, 104.5) = -5 %. February has no point.
  // Mar 2025: 104.5 -> 125.4 = +20 %. The first month's base is the first point of the curve.
  const std::vector<EquityPoint> equity = {
      at("2024-12-15T00:00:00Z", 100),   at("2024-12-20T00:00:00Z", 130),
      at("2024-12-31T23:59:59Z", 110),   at("2025-01-01T00:00:00Z", 99),
      at("2025-01-31T12:00:00Z", 104.5), at("2025-03-01T00:00:00Z", 120),
      at("2025-03-31T00:00:00Z", 125.4)};
  const std::vector<MonthlyReturn> months = monthly_returns(equity);
  ASSERT_EQ(months.size(), 3U);
  EXPECT_EQ(months[0].year, 2024);
  EXPECT_EQ(months[0].month, 12);
  EXPECT_NEAR(months[0].value, 0.10, 1e-12);
  EXPECT_EQ(months[1].year, 2025);
  EXPECT_EQ(months[1].month, 1);
  EXPECT_NEAR(months[1].value, -0.05, 1e-12);
  EXPECT_EQ(months[2].year, 2025);
  EXPECT_EQ(months[2].month, 3);
  EXPECT_NEAR(months[2].value, 0.20, 1e-12);
  // Compounded, the months give the whole curve's return.
  double compounded = 1;
  for (const MonthlyReturn& m : months) compounded *= 1 + m.value;
  EXPECT_NEAR(compounded - 1, 125.4 / 100 - 1, 1e-12);
}

TEST(MonthlyReturns, EdgeCases) {
  EXPECT_TRUE(monthly_returns({}).empty());
  const std::vector<EquityPoint> one = {at("2025-05-05", 50)};
  const std::vector<MonthlyReturn> months = monthly_returns(one);
  ASSERT_EQ(months.size(), 1U);
  EXPECT_EQ(months[0].month, 5);
  EXPECT_EQ(months[0].value, 0.0);
  // A month that starts ruined is -1.
  const std::vector<EquityPoint> ruined = {at("2025-01-10", 100), at("2025-01-20", 0),
                                           at("2025-02-10", 5)};
  const std::vector<MonthlyReturn> after = monthly_returns(ruined);
  ASSERT_EQ(after.size(), 2U);
  EXPECT_EQ(after[0].value, -1.0);
  EXPECT_EQ(after[1].value, -1.0);
  const std::vector<EquityPoint> backwards = {at("2025-01-10", 100), at("2025-01-09", 101)};
  EXPECT_THROW(monthly_returns(backwards), ArgumentError);
  const std::vector<EquityPoint> nan = {at("2025-01-10", std::nan(""))};
  EXPECT_THROW(monthly_returns(nan), ArgumentError);
}

TEST(DrawdownSeries, FractionBelowTheRunningPeak) {
  std::vector<EquityPoint> equity;
  const std::array<double, 7> values = {100, 120, 90, 120, 130, 65, -13};
  for (std::size_t i = 0; i < values.size(); ++i) {
    equity.push_back({static_cast<TimestampMs>(i) * kHourMs, values[i]});
  }
  const std::vector<double> drawdown = drawdown_series(equity);
  const std::array<double, 7> expected = {0, 0, 0.25, 0, 0, 0.5, 1.0};  // the last one clamped
  ASSERT_EQ(drawdown.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_NEAR(drawdown[i], expected[i], 1e-12) << i;
  }
  EXPECT_TRUE(drawdown_series({}).empty());
  const std::vector<EquityPoint> negative = {{0, -5}, {1, -3}};
  EXPECT_EQ(drawdown_series(negative), (std::vector<double>{1.0, 1.0}));
  const std::vector<EquityPoint> infinite = {{0, kInf}};
  EXPECT_THROW(drawdown_series(infinite), ArgumentError);
}

// ---- JSON ---------------------------------------------------------------------------------------

TEST(ReportJson, NullInfinityTimesAndEveryCriterion) {
  ValidationReport report = realistic_report();
  report.trades[0].pnl = std::nan("");
  report.trades[1].fees = -kInf;
  report.gate[1].threshold = -kInf;
  const nlohmann::json json = to_json(report);

  EXPECT_EQ(json["strategy_id"], "ema_cross_btc_7f3a");
  EXPECT_EQ(json["verdict"], "FAIL");
  EXPECT_EQ(json["passed"], false);
  EXPECT_EQ(json["reasons"].size(), 3U);
  EXPECT_EQ(json["generated_at"], "2025-04-01T06:30:12.000Z");
  EXPECT_EQ(json["generated_at_ms"], parse_iso8601("2025-04-01T06:30:12Z"));
  EXPECT_EQ(json["parameters"]["slow"], 48);

  // Headline metrics: nullopt -> null, +inf -> "inf".
  const nlohmann::json& metrics = json["metrics"];
  ASSERT_EQ(metrics.size(), report.metrics.size());
  EXPECT_EQ(metrics[3]["name"], "Sortino");
  EXPECT_EQ(metrics[3]["value"], "inf");
  EXPECT_EQ(metrics[10]["name"], "PBO");
  EXPECT_TRUE(metrics[10]["value"].is_null());
  EXPECT_DOUBLE_EQ(metrics[0]["value"].get<double>(), report.metrics[0].value.value());

  // Every gate criterion, in order, with its fields.
  const nlohmann::json& gate = json["gate"];
  ASSERT_EQ(gate.size(), report.gate.size());
  for (std::size_t i = 0; i < report.gate.size(); ++i) {
    EXPECT_EQ(gate[i]["name"], report.gate[i].name);
    EXPECT_EQ(gate[i]["passed"], report.gate[i].passed);
    EXPECT_EQ(gate[i]["comparison"], report.gate[i].comparison);
    EXPECT_EQ(gate[i]["note"], report.gate[i].note);
  }
  EXPECT_EQ(gate[1]["threshold"], "-inf");
  EXPECT_TRUE(gate[5]["value"].is_null());
  EXPECT_EQ(gate[5]["note"], "INSUFFICIENT: 5 folds < 8");

  // Trades: NaN -> null, -inf -> "-inf", both time spellings.
  const nlohmann::json& trades = json["trades"];
  ASSERT_EQ(trades.size(), 120U);
  EXPECT_TRUE(trades[0]["pnl"].is_null());
  EXPECT_EQ(trades[1]["fees"], "-inf");
  EXPECT_EQ(trades[0]["entry_time"], "2025-01-01T00:30:00.000Z");
  EXPECT_EQ(trades[0]["entry_time_ms"], parse_iso8601("2025-01-01T00:30:00Z"));
  EXPECT_TRUE(trades[0].contains("exit_time"));
  EXPECT_TRUE(trades[0].contains("exit_time_ms"));

  EXPECT_EQ(json["equity"]["points"], report.equity.size());
  EXPECT_EQ(json["equity"]["from"], "2025-01-01T00:00:00.000Z");
  EXPECT_EQ(json["equity"]["time_ms"].size(), report.equity.size());
  EXPECT_GT(json["equity"]["max_drawdown"].get<double>(), 0.03);
  EXPECT_EQ(json["monthly_returns"].size(), 3U);
  EXPECT_EQ(json["stress"].size(), report.stress.size());
  ASSERT_EQ(json["folds"].size(), 5U);
  EXPECT_EQ(json["folds"][0]["test_from"], "2025-01-16T00:00:00.000Z");
  EXPECT_EQ(json["folds"][0]["test_from_ms"], parse_iso8601("2025-01-16"));

  const std::string text = json.dump();
  EXPECT_EQ(text.find("NaN"), std::string::npos);
  EXPECT_EQ(text.find("nan"), std::string::npos);
  EXPECT_TRUE(nlohmann::json::accept(text));
}

// ---- HTML ---------------------------------------------------------------------------------------

TEST(ReportHtml, EscapesHostileText) {
  ValidationReport report = realistic_report();
  report.strategy_id = "<script>alert(1)</script>";
  report.family = R"(fam"ily' & <b>)";
  report.parameters_json = R"({"x": "<img src=x onerror=alert(2)>", "<k>": 1})";
  report.reasons = {"<iframe>"};
  report.gate[0].name = "<svg onload=alert(3)>";
  report.trades[0].symbol = "</td><script>";
  const std::string html = render_html(report);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("<iframe"), std::string::npos);
  EXPECT_EQ(html.find("<svg onload"), std::string::npos);
  EXPECT_EQ(html.find("<b>)"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("fam&quot;ily&#39; &amp; &lt;b&gt;"), std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x onerror=alert(2)&gt;"), std::string::npos);
  EXPECT_NE(html.find("&lt;svg onload=alert(3)&gt;"), std::string::npos);
  // Self-contained: no external reference of any kind.
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("src="), html.find("src=x"));
}

TEST(ReportHtml, SectionsInOrder) {
  const std::string html = render_html(realistic_report());
  const std::array<const char*, 9> ids = {
      R"(id="verdict")",      R"(id="metrics")",        R"(id="gate")",
      R"(id="equity-chart")", R"(id="drawdown-chart")", R"(id="monthly")",
      R"(id="stress")",       R"(id="folds")",          R"(id="trades")"};
  std::size_t last = 0;
  for (const char* id : ids) {
    const std::size_t at = html.find(id);
    ASSERT_NE(at, std::string::npos) << id;
    EXPECT_GT(at, last) << id;
    last = at;
  }
  EXPECT_NE(html.find(">FAIL<"), std::string::npos);
  EXPECT_NE(html.find("5 of 8 gate criteria passed"), std::string::npos);
  EXPECT_NE(html.find("INSUFFICIENT: 5 folds &lt; 8"), std::string::npos);
  const ValidationReport report = realistic_report();
  // A "%" metric as a percentage with 2 decimals, an "x" metric as a multiple.
  EXPECT_NE(html.find(fmt::format(">{:.2f}%<", report.metrics[0].value.value() * 100)),
            std::string::npos);
  EXPECT_NE(html.find(fmt::format(">{:.2f}x<", report.metrics[7].value.value())),
            std::string::npos);
  EXPECT_NE(html.find(">∞<"), std::string::npos);             // the infinite Sortino
  EXPECT_EQ(count_of(html, "<tr><td class=\"num\">"), 120U);  // every trade row
}

TEST(ReportHtml, EquityPolylineIsDownsampledKeepingExtremes) {
  ValidationReport report;
  report.strategy_id = "long_curve";
  const std::size_t n = 100'000;
  for (std::size_t i = 0; i < n; ++i) {
    double equity = 1000 + std::sin(static_cast<double>(i) / 500.0) * 50;
    if (i == 61'234) equity = 400;  // a one-point crash must stay visible
    report.equity.push_back({static_cast<TimestampMs>(i) * kMinuteMs, equity});
  }
  const std::string html = render_html(report);
  const std::string marker = R"(id="equity-line" points=")";
  const std::size_t begin = html.find(marker);
  ASSERT_NE(begin, std::string::npos);
  const std::size_t end = html.find('"', begin + marker.size());
  const std::string points = html.substr(begin + marker.size(), end - begin - marker.size());
  const std::size_t count = count_of(points, " ") + 1;
  EXPECT_LE(count, kMaxChartPoints);
  EXPECT_GT(count, kMaxChartPoints / 2);
  // The crash is the lowest point, drawn at the bottom of the plot: find the largest y.
  double lowest = 0;
  std::istringstream in(points);
  std::string pair;
  while (in >> pair) lowest = std::max(lowest, std::stod(pair.substr(pair.find(',') + 1)));
  EXPECT_GT(lowest, 200.0);  // near the bottom of the 300-high chart
  EXPECT_NE(html.find("max drawdown -61.90%"), std::string::npos);  // 400 after a 1,050 peak
}

TEST(ReportHtml, SurvivesDegenerateInputs) {
  const auto render = [](std::vector<EquityPoint> equity) {
    ValidationReport report = realistic_report();
    report.equity = std::move(equity);
    report.trades[0].pnl = std::nan("");
    report.trades[1].entry_price = kInf;
    report.stress[0].p95 = kInf;
    report.stress[1].p5 = -kInf;
    report.folds[0].sharpe = std::nullopt;
    report.metrics[0].value = -kInf;
    return render_html(report);
  };
  const std::string one = render({at("2025-01-01", 1000)});
  EXPECT_NE(one.find("id=\"equity-line\""), std::string::npos);
  const std::string flat = render({at("2025-01-01", 1000), at("2025-01-02", 1000)});
  EXPECT_NE(flat.find("id=\"equity-line\""), std::string::npos);
  const std::string same_time = render({at("2025-01-01", 1000), at("2025-01-01", 900)});
  EXPECT_NE(same_time.find("max drawdown -10.00%"), std::string::npos);
  const std::string huge = render({at("2025-01-01", -1e300), at("2025-02-01", 1e300)});
  EXPECT_NE(huge.find("</html>"), std::string::npos);
  const std::string ruined =
      render({at("2025-01-01", 1000), at("2025-01-05", 0), at("2025-02-01", -50)});
  EXPECT_NE(ruined.find("-100.00%"), std::string::npos);
}

TEST(ReportHtml, TruncatesMoreThan500Trades) {
  ValidationReport report = realistic_report();
  report.trades.clear();
  for (std::size_t i = 0; i < 620; ++i) {
    TradeRow row =
        trade(i, parse_iso8601("2025-01-01") + static_cast<TimestampMs>(i) * kHourMs, 1.5);
    row.symbol = fmt::format("T{:04d}", i + 1);
    report.trades.push_back(row);
  }
  const std::string html = render_html(report);
  EXPECT_NE(html.find("120 trades omitted"), std::string::npos);
  EXPECT_NE(html.find(">T0001<"), std::string::npos);
  EXPECT_NE(html.find(">T0250<"), std::string::npos);
  EXPECT_EQ(html.find(">T0251<"), std::string::npos);
  EXPECT_EQ(html.find(">T0370<"), std::string::npos);
  EXPECT_NE(html.find(">T0371<"), std::string::npos);
  EXPECT_NE(html.find(">T0620<"), std::string::npos);
  EXPECT_EQ(count_of(html, "<tr><td class=\"num\">"), 500U);
  EXPECT_EQ(to_json(report)["trades"].size(), 620U);  // the JSON keeps every trade
}

// ---- build_report
// ---------------------------------------------------------------------------------

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(BuildReport, EmptyReport) {
  const testing::TempDir temp;
  const ValidationReport report;
  const ReportPaths paths = build_report(report, temp.path() / "empty");
  ASSERT_TRUE(fs::exists(paths.json));
  ASSERT_TRUE(fs::exists(paths.html));
  const std::string html = read_text(paths.html);
  EXPECT_NE(html.find("No equity data"), std::string::npos);
  EXPECT_NE(html.find("No trades"), std::string::npos);
  EXPECT_NE(html.find("No walk-forward folds"), std::string::npos);
  EXPECT_NE(html.find("No gate criteria"), std::string::npos);
  EXPECT_NE(html.find(">FAIL<"), std::string::npos);
  EXPECT_EQ(html.find("<polyline"), std::string::npos);
  EXPECT_NE(html.find("</html>"), std::string::npos);
  const nlohmann::json json = nlohmann::json::parse(read_text(paths.json));
  EXPECT_EQ(json["equity"]["points"], 0);
  EXPECT_TRUE(json["equity"]["max_drawdown"].is_null());
  EXPECT_TRUE(json["trades"].empty());
  EXPECT_TRUE(json["parameters"].is_null());
}

TEST(BuildReport, WritesAtomicallyAndLeavesNoTemporaryFile) {
  const testing::TempDir temp;
  const fs::path dir = temp.path() / "logs" / "validation" / "ema_cross_btc_7f3a";
  ValidationReport report = realistic_report();
  ReportPaths paths = build_report(report, dir);
  EXPECT_EQ(paths.json, dir / "report.json");
  EXPECT_EQ(paths.html, dir / "report.html");
  EXPECT_EQ(names_in(dir), (std::vector<std::string>{"report.html", "report.json"}));
  EXPECT_EQ(nlohmann::json::parse(read_text(paths.json))["gate"].size(), 8U);

  // Rewriting replaces both files in place.
  report.passed = true;
  report.reasons.clear();
  paths = build_report(report, dir);
  EXPECT_EQ(names_in(dir), (std::vector<std::string>{"report.html", "report.json"}));
  EXPECT_EQ(nlohmann::json::parse(read_text(paths.json))["verdict"], "PASS");
  EXPECT_NE(read_text(paths.html).find(">PASS<"), std::string::npos);

  // A bad curve throws before anything is written.
  report.equity.push_back({report.equity.front().time - 1, 1});
  const fs::path other = temp.path() / "other";
  EXPECT_THROW(build_report(report, other), ArgumentError);
  EXPECT_FALSE(fs::exists(other));

  // An unwritable target throws StateError and leaves no temporary file behind.
  const fs::path blocked = temp.path() / "blocked";
  fs::create_directories(blocked / "report.json");  // a directory where the file should go
  report.equity.pop_back();
  EXPECT_THROW(build_report(report, blocked), StateError);
  EXPECT_EQ(names_in(blocked), (std::vector<std::string>{"report.json"}));
}

// ---- Rendering in headless Chromium
// ------------------------------------------------------------------

std::optional<fs::path> find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return std::nullopt;
  std::istringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    const fs::path candidate = fs::path(dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0 && !fs::is_directory(candidate)) return candidate;
  }
  return std::nullopt;
}

struct ProcessRun {
  bool timed_out = false;
  int exit_code = -1;
};

// Runs `argv` with stdout and stderr to files, killing its process group after `timeout`.
ProcessRun run_with_timeout(const std::vector<std::string>& argv, const fs::path& out,
                            const fs::path& err, std::chrono::seconds timeout) {
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  pid_t pid = -1;
  const int spawned = ::posix_spawn(&pid, args[0], &actions, &attributes, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  ProcessRun run;
  if (spawned != 0) return run;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (true) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno == EINTR) continue;
    if (done < 0) return run;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      run.timed_out = true;
      return run;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

struct Image {
  uint32_t width = 0, height = 0;
  std::vector<uint8_t> rgb;  // width * height * 3
  std::array<uint8_t, 3> at(uint32_t x, uint32_t y) const {
    const std::size_t i = (std::size_t{y} * width + x) * 3;
    return {rgb[i], rgb[i + 1], rgb[i + 2]};
  }
};

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// Decodes an 8-bit, non-interlaced RGB or RGBA PNG; returns an error text or "".
std::string decode_png(const std::string& file, Image& image) {
  static constexpr std::array<uint8_t, 8> kSignature = {0x89, 'P',  'N',  'G',
                                                        '\r', '\n', 0x1a, '\n'};
  const auto* data = reinterpret_cast<const uint8_t*>(file.data());
  if (file.size() < 33 || !std::equal(kSignature.begin(), kSignature.end(), data)) {
    return "not a PNG signature";
  }
  std::string idat;
  int channels = 0;
  bool ihdr = false;
  for (std::size_t at = 8; at + 12 <= file.size();) {
    const uint32_t length = be32(data + at);
    const std::string type = file.substr(at + 4, 4);
    if (at + 12 + length > file.size()) return "truncated chunk " + type;
    const uint8_t* body = data + at + 8;
    if (type == "IHDR") {
      image.width = be32(body);
      image.height = be32(body + 4);
      const int depth = body[8], colour = body[9], interlace = body[12];
      if (depth != 8) return "bit depth " + std::to_string(depth);
      if (colour != 2 && colour != 6) return "colour type " + std::to_string(colour);
      if (interlace != 0) return "interlaced";
      channels = colour == 6 ? 4 : 3;
      ihdr = true;
    } else if (type == "IDAT") {
      idat.append(reinterpret_cast<const char*>(body), length);
    } else if (type == "IEND") {
      break;
    }
    at += 12 + length;
  }
  if (!ihdr) return "no IHDR";
  const std::size_t stride = std::size_t{image.width} * channels;
  std::vector<uint8_t> raw((stride + 1) * image.height);
  z_stream stream{};
  if (inflateInit(&stream) != Z_OK) return "inflateInit";
  stream.next_in = reinterpret_cast<Bytef*>(idat.data());
  stream.avail_in = static_cast<uInt>(idat.size());
  stream.next_out = raw.data();
  stream.avail_out = static_cast<uInt>(raw.size());
  const int inflated = inflate(&stream, Z_FINISH);
  const uLong produced = stream.total_out;
  inflateEnd(&stream);
  if (inflated != Z_STREAM_END || produced != raw.size()) return "bad IDAT stream";

  std::vector<uint8_t> pixels(stride * image.height);
  std::vector<uint8_t> zero(stride, 0);
  for (uint32_t y = 0; y < image.height; ++y) {
    const uint8_t filter = raw[y * (stride + 1)];
    const uint8_t* in = &raw[y * (stride + 1) + 1];
    uint8_t* row = &pixels[y * stride];
    const uint8_t* up = y == 0 ? zero.data() : &pixels[(y - 1) * stride];
    for (std::size_t i = 0; i < stride; ++i) {
      const int a = i >= static_cast<std::size_t>(channels) ? row[i - channels] : 0;
      const int b = up[i];
      const int c = i >= static_cast<std::size_t>(channels) ? up[i - channels] : 0;
      int predictor = 0;
      switch (filter) {
        case 0:
          predictor = 0;
          break;
        case 1:
          predictor = a;
          break;
        case 2:
          predictor = b;
          break;
        case 3:
          predictor = (a + b) / 2;
          break;
        case 4: {
          const int p = a + b - c;
          const int pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
          predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default:
          return "filter type " + std::to_string(filter);
      }
      row[i] = static_cast<uint8_t>(in[i] + predictor);
    }
  }
  image.rgb.resize(std::size_t{image.width} * image.height * 3);
  for (std::size_t p = 0; p < std::size_t{image.width} * image.height; ++p) {
    for (int k = 0; k < 3; ++k) image.rgb[p * 3 + k] = pixels[p * channels + k];
  }
  return "";
}

bool near_colour(std::array<uint8_t, 3> pixel, std::array<int, 3> colour, int tolerance = 3) {
  for (int k = 0; k < 3; ++k) {
    if (std::abs(pixel[k] - colour[k]) > tolerance) return false;
  }
  return true;
}

struct Box {
  std::size_t count = 0;
  uint32_t left = UINT32_MAX, top = UINT32_MAX, right = 0, bottom = 0;
};

Box find_colour(const Image& image, std::array<int, 3> colour, uint32_t from_y, uint32_t to_y,
                int tolerance = 3) {
  Box box;
  for (uint32_t y = from_y; y < std::min(to_y, image.height); ++y) {
    for (uint32_t x = 0; x < image.width; ++x) {
      if (!near_colour(image.at(x, y), colour, tolerance)) continue;
      ++box.count;
      box.left = std::min(box.left, x);
      box.right = std::max(box.right, x);
      box.top = std::min(box.top, y);
      box.bottom = std::max(box.bottom, y);
    }
  }
  return box;
}

TEST(ReportRendering, HeadlessChromiumScreenshotAndDom) {
  const std::optional<fs::path> chromium = find_on_path("chromium");
  if (!chromium) {
    const char* allow = std::getenv("GAUNTLET_ALLOW_NO_CHROMIUM");
    if (allow != nullptr && std::string(allow) == "1") {
      GTEST_SKIP() << "chromium is not on PATH (GAUNTLET_ALLOW_NO_CHROMIUM=1)";
    }
    FAIL() << "chromium is not on PATH: install Debian's chromium package, or set "
              "GAUNTLET_ALLOW_NO_CHROMIUM=1 to skip this rendering test";
  }
  const testing::TempDir temp;
  const ValidationReport report = realistic_report();
  const ReportPaths paths = build_report(report, temp.path() / "logs" / "validation" / "ema");
  const fs::path screenshot = temp.path() / "screenshot.png";
  const std::string url = "file://" + fs::absolute(paths.html).string();
  const std::vector<std::string> common = {chromium->string(),
                                           "--headless",
                                           "--no-sandbox",
                                           "--disable-gpu",
                                           "--no-first-run",
                                           "--disable-background-networking",
                                           "--disable-dev-shm-usage",
                                           "--hide-scrollbars",
                                           "--user-data-dir=" + (temp.path() / "profile").string()};

  std::vector<std::string> shoot = common;
  shoot.insert(shoot.end(),
               {"--window-size=1280,2400", "--screenshot=" + screenshot.string(), url});
  const ProcessRun shot = run_with_timeout(shoot, temp.path() / "shot.out",
                                           temp.path() / "shot.err", std::chrono::seconds(60));
  ASSERT_FALSE(shot.timed_out) << "chromium took more than 60 s";
  ASSERT_EQ(shot.exit_code, 0) << read_text(temp.path() / "shot.err");
  ASSERT_TRUE(fs::exists(screenshot)) << read_text(temp.path() / "shot.err");

  // Keep the screenshot and the page for humans.
  const fs::path artifacts = GAUNTLET_REPORT_ARTIFACT_DIR;
  std::error_code ignored;
  fs::copy_file(screenshot, artifacts / "report_screenshot.png",
                fs::copy_options::overwrite_existing, ignored);
  fs::copy_file(paths.html, artifacts / "report_sample.html", fs::copy_options::overwrite_existing,
                ignored);
  std::cout << "report screenshot: " << (artifacts / "report_screenshot.png").string() << "\n"
            << "report page: " << (artifacts / "report_sample.html").string() << std::endl;

  Image image;
  const std::string error = decode_png(read_text(screenshot), image);
  ASSERT_EQ(error, "");
  EXPECT_EQ(image.width, 1280U);
  EXPECT_EQ(image.height, 2400U);

  // Not blank: antialiased text and charts give many distinct colours.
  std::unordered_set<uint32_t> colours;
  for (std::size_t p = 0; p + 2 < image.rgb.size(); p += 3) {
    colours.insert((uint32_t{image.rgb[p]} << 16) | (uint32_t{image.rgb[p + 1]} << 8) |
                   image.rgb[p + 2]);
  }
  EXPECT_GT(colours.size(), 300U);

  // The FAIL badge (#dc2626) in the top area.
  const Box badge = find_colour(image, {0xdc, 0x26, 0x26}, 0, 500);
  EXPECT_GT(badge.count, 2000U) << "no FAIL badge colour in the top 500 rows";

  // The equity line (#2563eb) below the header, spanning most of the chart width.
  const Box line = find_colour(image, {0x25, 0x63, 0xeb}, 0, image.height);
  EXPECT_GT(line.count, 800U);
  EXPECT_GT(line.top, badge.bottom);
  EXPECT_GT(line.right - line.left, 900U);
  EXPECT_GT(line.bottom - line.top, 60U);
  // Inside the chart area: the plot's white background and grid around the line.
  const Box white = find_colour(image, {0xff, 0xff, 0xff}, line.top, line.bottom, 0);
  EXPECT_GT(white.count, 100'000U);

  // The DOM holds both charts and every gate criterion.
  std::vector<std::string> dump = common;
  dump.insert(dump.end(), {"--dump-dom", url});
  const ProcessRun dom = run_with_timeout(dump, temp.path() / "dom.html", temp.path() / "dom.err",
                                          std::chrono::seconds(60));
  ASSERT_FALSE(dom.timed_out) << "chromium took more than 60 s";
  ASSERT_EQ(dom.exit_code, 0) << read_text(temp.path() / "dom.err");
  const std::string text = read_text(temp.path() / "dom.html");
  EXPECT_NE(text.find("<svg id=\"equity-chart\""), std::string::npos);
  EXPECT_NE(text.find("<svg id=\"drawdown-chart\""), std::string::npos);
  EXPECT_NE(text.find("<polyline id=\"equity-line\""), std::string::npos);
  EXPECT_NE(text.find("id=\"drawdown-area\""), std::string::npos);
  EXPECT_NE(text.find("ema_cross_btc_7f3a"), std::string::npos);
  for (const GateCriterion& criterion : report.gate) {
    EXPECT_NE(text.find(">" + criterion.name + "<"), std::string::npos) << criterion.name;
  }
}

}  // namespace
}  // namespace gauntlet::validation
