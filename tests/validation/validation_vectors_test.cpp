// Checks validation/metrics against the test vectors of validation.md §17, written by the
// independent pure-Python reference tools/validation_ref.py into
// tests/validation/vectors/validation_vectors.json. Generated inputs are first regenerated
// here from the §17 LCG and compared bit for bit with the stored inputs and checksums; the
// metrics are then computed on the stored inputs and compared with the stored outputs.
//
// JSON conventions: null = undefined (std::nullopt here), "inf" = +infinity. Tolerance
// (§17): relative 1e-9, 1e-8 for anything that goes through Φ⁻¹, absolute 1e-12; integers
// exact. The triple_barrier section is checked against validation/triple_barrier (the §17
// LCG bars are regenerated here and must equal the stored bars bit for bit), purged_kfold and
// cpcv against validation/purged_cv (their generated t0/t1 are regenerated the same way; the
// second purged_kfold input set is rebuilt from the C++ close-mode (2, 2, 12) labels). For an
// undefined label the vectors hold null in t1/label/label_sign/exit_return; the C++ carries
// t1 = nullopt with label = label_sign = 0 there.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <fstream>
#include <iomanip>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/lcg.hpp"
#include "validation/metrics.hpp"
#include "validation/purged_cv.hpp"
#include "validation/triple_barrier.hpp"

namespace gauntlet::validation {
namespace {

using nlohmann::json;

constexpr double kRelative = 1e-9;
constexpr double kRelativePpf = 1e-8;
constexpr double kAbsolute = 1e-12;

const json& vectors() {
  static const json document = [] {
    std::ifstream in(GAUNTLET_VALIDATION_VECTORS);
    if (!in) throw std::runtime_error("cannot open " + std::string(GAUNTLET_VALIDATION_VECTORS));
    std::stringstream text;
    text << in.rdbuf();
    return json::parse(text.str());
  }();
  return document;
}

using testing::Lcg;

// A JSON value: null → nullopt, "inf"/"-inf"/"nan" → the non-finite double, else the number.
std::optional<double> value_of(const json& j) {
  if (j.is_null()) return std::nullopt;
  if (j.is_string()) {
    const auto text = j.get<std::string>();
    if (text == "inf") return std::numeric_limits<double>::infinity();
    if (text == "-inf") return -std::numeric_limits<double>::infinity();
    if (text == "nan") return std::numeric_limits<double>::quiet_NaN();
    throw std::runtime_error("unexpected string value " + text);
  }
  return j.get<double>();
}

std::vector<double> doubles(const json& j) {
  std::vector<double> out;
  out.reserve(j.size());
  for (const auto& v : j) out.push_back(v.get<double>());
  return out;
}

double plain_sum(const std::vector<double>& xs) {
  double sum = 0.0;
  for (const double x : xs) sum += x;
  return sum;
}

std::string precise(double x) {
  std::ostringstream text;
  text << std::setprecision(17) << x;
  return text.str();
}

void expect_value(std::optional<double> actual, const json& expected_json, double relative,
                  const std::string& what) {
  const std::optional<double> expected = value_of(expected_json);
  if (!expected.has_value() || std::isnan(*expected)) {
    EXPECT_FALSE(actual.has_value()) << what << ": expected undefined (null), got " << *actual;
    return;
  }
  ASSERT_TRUE(actual.has_value()) << what << ": expected " << *expected << ", got nullopt";
  if (std::isinf(*expected)) {
    EXPECT_EQ(*actual, *expected) << what;
    return;
  }
  const double tolerance = std::max(kAbsolute, relative * std::abs(*expected));
  EXPECT_LE(std::abs(*actual - *expected), tolerance)
      << what << ": C++ " << precise(*actual) << " vs reference " << precise(*expected);
}

void expect_value(double actual, const json& expected_json, double relative,
                  const std::string& what) {
  expect_value(std::optional<double>(actual), expected_json, relative, what);
}

// Regenerated inputs must equal the stored inputs and checksums bit for bit.
void expect_same_inputs(const std::vector<double>& regenerated, const json& stored,
                        const json& stored_checksum) {
  const std::vector<double> inputs = doubles(stored);
  ASSERT_EQ(regenerated.size(), inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    ASSERT_EQ(regenerated[i], inputs[i]) << "input " << i;
  }
  EXPECT_EQ(regenerated.size(), stored_checksum.at("count").get<std::size_t>());
  EXPECT_EQ(plain_sum(regenerated), stored_checksum.at("sum").get<double>());
  EXPECT_EQ(regenerated.front(), stored_checksum.at("first").get<double>());
  EXPECT_EQ(regenerated.back(), stored_checksum.at("last").get<double>());
}

// §17 return_metrics generator `lcg_crypto_15m`.
std::vector<double> crypto_returns(std::uint64_t seed, std::size_t n) {
  Lcg lcg(seed);
  std::vector<double> returns;
  returns.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double z = lcg.normal_ih();
    const double u = lcg.uniform();
    const double m = u < 0.02 ? 4.0 : 1.0;
    returns.push_back(0.00004 + 0.002 * z * m);
  }
  return returns;
}

// §17 pbo_cscv matrix, row-major: for t: for j: M[t][j] = mus[j] + 0.01·normal_ih().
std::vector<double> cscv_matrix(const json& generator) {
  Lcg lcg(generator.at("seed").get<std::uint64_t>());
  const auto rows = generator.at("T").get<std::size_t>();
  const auto columns = generator.at("N").get<std::size_t>();
  const std::vector<double> mus = doubles(generator.at("mus"));
  std::vector<double> matrix;
  matrix.reserve(rows * columns);
  for (std::size_t t = 0; t < rows; ++t) {
    for (std::size_t j = 0; j < columns; ++j) matrix.push_back(mus[j] + 0.01 * lcg.normal_ih());
  }
  return matrix;
}

std::vector<double> matrix_column(const std::vector<double>& matrix, std::size_t columns,
                                  std::size_t j) {
  std::vector<double> column;
  for (std::size_t i = j; i < matrix.size(); i += columns) column.push_back(matrix[i]);
  return column;
}

TEST(ValidationVectors, LcgCheckValues) {
  const json& section = vectors().at("lcg");
  const auto seed = section.at("seed").get<std::uint64_t>();
  Lcg states(seed);
  for (const auto& expected : section.at("states")) {
    EXPECT_EQ(states.next(), std::stoull(expected.get<std::string>()));
  }
  Lcg uniforms(seed);
  for (const auto& expected : section.at("uniforms")) {
    EXPECT_EQ(uniforms.uniform(), expected.get<double>());
  }
  Lcg normals(seed);
  for (const auto& expected : section.at("normal_ih")) {
    EXPECT_EQ(normals.normal_ih(), expected.get<double>());
  }
}

void check_return_case(const json& test_case) {
  const std::vector<double> returns = doubles(test_case.at("returns"));
  if (test_case.contains("generator")) {
    const json& generator = test_case.at("generator");
    expect_same_inputs(crypto_returns(generator.at("seed").get<std::uint64_t>(),
                                      generator.at("n").get<std::size_t>()),
                       test_case.at("returns"), generator.at("checksum"));
  }
  const json& expected = test_case.at("expected");
  const double periods = test_case.at("P").get<double>();
  EXPECT_EQ(returns.size(), expected.at("n").get<std::size_t>());
  expect_value(sharpe_per_period(returns), expected.at("sharpe_per_period"), kRelative,
               "sharpe_per_period");
  expect_value(sharpe_ratio(returns, periods), expected.at("sharpe"), kRelative, "sharpe");
  expect_value(sortino_ratio(returns, periods), expected.at("sortino"), kRelative, "sortino");
  expect_value(downside_deviation(returns), expected.at("downside_deviation"), kRelative,
               "downside_deviation");
  expect_value(max_drawdown(returns), expected.at("max_drawdown"), kRelative, "max_drawdown");
  expect_value(cagr(returns, periods), expected.at("cagr"), kRelative, "cagr");
  expect_value(calmar_ratio(returns, periods), expected.at("calmar"), kRelative, "calmar");
  // var_95 is in the vectors but has no C++ counterpart in metrics.hpp.
  expect_value(cvar_95(returns), expected.at("cvar_95"), kRelative, "cvar_95");
  expect_value(skewness(returns), expected.at("skew"), kRelative, "skew");
  expect_value(kurtosis(returns), expected.at("kurtosis"), kRelative, "kurtosis");
  expect_value(probabilistic_sharpe_ratio(returns, 0.0), expected.at("psr"), kRelative, "psr");
}

TEST(ValidationVectors, ReturnMetrics) {
  const json& cases = vectors().at("return_metrics").at("cases");
  ASSERT_FALSE(cases.empty());
  for (const auto& test_case : cases) {
    SCOPED_TRACE(test_case.at("name").get<std::string>());
    try {
      check_return_case(test_case);
    } catch (const std::exception& error) {
      ADD_FAILURE() << "threw: " << error.what();
    }
  }
}

TEST(ValidationVectors, TradeMetrics) {
  const json& cases = vectors().at("trade_metrics").at("cases");
  ASSERT_FALSE(cases.empty());
  for (const auto& test_case : cases) {
    SCOPED_TRACE(test_case.at("name").get<std::string>());
    const std::vector<double> pnl = doubles(test_case.at("pnl"));
    if (test_case.contains("generator")) {
      const json& generator = test_case.at("generator");
      Lcg lcg(generator.at("seed").get<std::uint64_t>());
      std::vector<double> regenerated;
      for (std::size_t i = 0; i < generator.at("n").get<std::size_t>(); ++i) {
        regenerated.push_back(12.0 + 40.0 * lcg.normal_ih());
      }
      expect_same_inputs(regenerated, test_case.at("pnl"), generator.at("checksum"));
    }
    const json& expected = test_case.at("expected");
    const TradeStatistics stats = trade_statistics(pnl);
    EXPECT_EQ(stats.n_trades, expected.at("n_trades").get<std::size_t>());
    expect_value(stats.profit_factor, expected.at("profit_factor"), kRelative, "profit_factor");
    expect_value(stats.win_rate, expected.at("win_rate"), kRelative, "win_rate");
    expect_value(stats.expectancy, expected.at("expectancy"), kRelative, "expectancy");
    expect_value(stats.average_win, expected.at("average_win"), kRelative, "average_win");
    expect_value(stats.average_loss, expected.at("average_loss"), kRelative, "average_loss");
    expect_value(stats.payoff, expected.at("payoff"), kRelative, "payoff");
  }
}

TEST(ValidationVectors, PboCscv) {
  const json& cases = vectors().at("pbo_cscv").at("cases");
  ASSERT_FALSE(cases.empty());
  for (const auto& test_case : cases) {
    SCOPED_TRACE(test_case.at("name").get<std::string>());
    const json& generator = test_case.at("generator");
    const std::vector<double> matrix = cscv_matrix(generator);
    const json& checksum = test_case.at("checksum");
    ASSERT_EQ(matrix.size(), checksum.at("count").get<std::size_t>());
    EXPECT_EQ(plain_sum(matrix), checksum.at("sum").get<double>());
    EXPECT_EQ(matrix.front(), checksum.at("first").get<double>());
    EXPECT_EQ(matrix.back(), checksum.at("last").get<double>());
    const auto trials = generator.at("N").get<std::size_t>();
    for (const auto& run : test_case.at("runs")) {
      const auto splits = run.at("S").get<std::size_t>();
      SCOPED_TRACE("S = " + std::to_string(splits));
      const std::optional<PboResult> result =
          probability_of_backtest_overfitting(matrix, trials, splits);
      ASSERT_TRUE(result.has_value());
      expect_value(result->pbo, run.at("pbo"), kRelative, "pbo");
      expect_value(result->probability_oos_loss, run.at("probability_oos_loss"), kRelative,
                   "probability_oos_loss");
      EXPECT_EQ(result->combinations, run.at("combinations").get<std::size_t>());
      EXPECT_EQ(result->rows_used, run.at("rows_used").get<std::size_t>());
      EXPECT_EQ(result->rows_dropped, run.at("rows_dropped").get<std::size_t>());
      ASSERT_EQ(result->logits.size(), result->combinations);
      if (run.contains("per_combination")) {
        const json& logits = run.at("per_combination").at("logit");
        ASSERT_EQ(result->logits.size(), logits.size());
        for (std::size_t c = 0; c < logits.size(); ++c) {
          expect_value(result->logits[c], logits[c], kRelative, "logit " + std::to_string(c));
        }
      }
      double sum = 0.0;
      for (const double logit : result->logits) sum += logit;
      const double abs_sum = run.at("logit_abs_sum").get<double>();
      EXPECT_NEAR(sum, run.at("logit_sum").get<double>(), kRelative * abs_sum) << "logit sum";
      expect_value(*std::min_element(result->logits.begin(), result->logits.end()),
                   run.at("logit_min"), kRelative, "logit min");
      expect_value(*std::max_element(result->logits.begin(), result->logits.end()),
                   run.at("logit_max"), kRelative, "logit max");
    }
  }
}

TEST(ValidationVectors, PsrDsrDirect) {
  const json& section = vectors().at("psr_dsr");
  for (const auto& set : section.at("direct")) {
    SCOPED_TRACE(set.at("name").get<std::string>());
    const double sharpe = set.at("sharpe").get<double>();
    const auto n = set.at("n").get<std::size_t>();
    const double skew = set.at("skew").get<double>();
    const double kurt = set.at("kurtosis").get<double>();
    expect_value(probabilistic_sharpe_ratio(sharpe, n, skew, kurt, set.at("sr_star").get<double>()),
                 set.at("psr"), kRelative, "psr");
    const auto trials = set.at("trials").get<std::size_t>();
    const double expected_max = expected_maximum_sharpe(trials);
    expect_value(expected_max, set.at("expected_max"), kRelativePpf, "expected_max");
    const double sr0 = std::sqrt(set.at("trial_sharpe_variance").get<double>()) * expected_max;
    expect_value(sr0, set.at("sr0"), kRelativePpf, "sr0");
    expect_value(probabilistic_sharpe_ratio(sharpe, n, skew, kurt, sr0), set.at("dsr"),
                 kRelativePpf, "dsr");
  }
  for (const auto& check : section.at("expected_max_checks")) {
    const auto trials = check.at("trials").get<std::size_t>();
    expect_value(expected_maximum_sharpe(trials), check.at("expected_max"), kRelativePpf,
                 "expected_max N = " + std::to_string(trials));
  }
}

TEST(ValidationVectors, DsrFromSkillMatrixTrials) {
  const json& skill = vectors().at("psr_dsr").at("skill");
  const json* generator = nullptr;
  for (const auto& test_case : vectors().at("pbo_cscv").at("cases")) {
    if (test_case.at("name") == "skill") generator = &test_case.at("generator");
  }
  ASSERT_NE(generator, nullptr);
  const std::vector<double> matrix = cscv_matrix(*generator);
  const auto trials = generator->at("N").get<std::size_t>();
  ASSERT_EQ(trials, skill.at("trials").get<std::size_t>());

  std::vector<double> sharpes;
  for (std::size_t j = 0; j < trials; ++j) {
    const std::optional<double> sharpe = sharpe_per_period(matrix_column(matrix, trials, j));
    ASSERT_TRUE(sharpe.has_value());
    expect_value(sharpe, skill.at("trial_sharpes")[j], kRelative,
                 "trial sharpe " + std::to_string(j));
    sharpes.push_back(*sharpe);
  }
  // ddof = 1 variance of the trial Sharpes, and the first argmax.
  const double mean = plain_sum(sharpes) / static_cast<double>(trials);
  double squares = 0.0;
  for (const double s : sharpes) squares += (s - mean) * (s - mean);
  expect_value(squares / static_cast<double>(trials - 1), skill.at("trial_sharpe_variance"),
               kRelative, "trial_sharpe_variance");
  const auto best = static_cast<std::size_t>(
      std::distance(sharpes.begin(), std::max_element(sharpes.begin(), sharpes.end())));
  EXPECT_EQ(best, skill.at("best_index").get<std::size_t>());

  const std::vector<double> selected = matrix_column(matrix, trials, best);
  const json& stats = skill.at("selected");
  EXPECT_EQ(selected.size(), stats.at("n").get<std::size_t>());
  expect_value(skewness(selected), stats.at("skew"), kRelative, "selected skew");
  expect_value(kurtosis(selected), stats.at("kurtosis"), kRelative, "selected kurtosis");
  expect_value(probabilistic_sharpe_ratio(selected, 0.0), stats.at("psr0"), kRelative,
               "selected psr0");
  expect_value(expected_maximum_sharpe(trials), skill.at("expected_max"), kRelativePpf,
               "expected_max");
  expect_value(
      deflated_sharpe_ratio(selected, trials, skill.at("trial_sharpe_variance").get<double>()),
      skill.at("dsr"), kRelativePpf, "dsr");
  expect_value(probabilistic_sharpe_ratio(selected, skill.at("sr0").get<double>()), skill.at("dsr"),
               kRelativePpf, "psr(sr0)");
}

TEST(ValidationVectors, NormPpfChecks) {
  const json& checks = vectors().at("norm_ppf_checks").at("checks");
  ASSERT_FALSE(checks.empty());
  for (const auto& check : checks) {
    const double p = check.at("p").get<double>();
    expect_value(normal_quantile(p), check.at("x"), kRelativePpf,
                 "normal_quantile(" + precise(p) + ")");
  }
}

// ---------------------------------------------------------------------------------------------
// triple_barrier (§13), purged_kfold (§14), cpcv (§15)

std::vector<std::size_t> indices(const json& j) {
  std::vector<std::size_t> out;
  out.reserve(j.size());
  for (const auto& v : j) out.push_back(v.get<std::size_t>());
  return out;
}

std::vector<std::int64_t> times(const json& j) {
  std::vector<std::int64_t> out;
  out.reserve(j.size());
  for (const auto& v : j) out.push_back(v.get<std::int64_t>());
  return out;
}

// null → nullopt, else the index.
std::optional<std::size_t> optional_index(const json& j) {
  if (j.is_null()) return std::nullopt;
  return j.get<std::size_t>();
}

std::string list_text(const std::vector<std::size_t>& xs) {
  std::ostringstream text;
  text << '[';
  for (std::size_t i = 0; i < xs.size(); ++i) text << (i == 0 ? "" : ", ") << xs[i];
  text << ']';
  return text.str();
}

// Integer index lists are compared exactly, element by element and in order.
void expect_indices(const std::vector<std::size_t>& actual, const json& expected_json,
                    const std::string& what) {
  const std::vector<std::size_t> expected = indices(expected_json);
  EXPECT_EQ(actual, expected) << what << ": C++ " << list_text(actual) << " vs reference "
                              << list_text(expected);
}

// Regenerated values must equal the stored ones bit for bit.
void expect_bitwise(const std::vector<double>& regenerated, const json& stored,
                    const std::string& what) {
  const std::vector<double> values = doubles(stored);
  ASSERT_EQ(regenerated.size(), values.size()) << what;
  for (std::size_t i = 0; i < values.size(); ++i) {
    ASSERT_EQ(regenerated[i], values[i])
        << what << " " << i << ": regenerated " << precise(regenerated[i]) << " vs stored "
        << precise(values[i]);
  }
}

// Bars that own their columns.
struct Bars {
  std::vector<double> open;
  std::vector<double> high;
  std::vector<double> low;
  std::vector<double> close;
  OhlcColumns columns() const { return {open, high, low, close}; }
};

Bars stored_bars(const json& test_case) {
  return {doubles(test_case.at("open")), doubles(test_case.at("high")),
          doubles(test_case.at("low")), doubles(test_case.at("close"))};
}

// §17 triple_barrier generator `lcg_bars`: per bar z = normal_ih(), then u1, then u2; open =
// previous close (c0 for bar 0), close = open·(1 + σ·z), high = max(open, close)·(1 + 0.5·σ·u1),
// low = min(open, close)·(1 − 0.5·σ·u2).
Bars lcg_bars(const json& generator) {
  Lcg lcg(generator.at("seed").get<std::uint64_t>());
  const auto n = generator.at("n").get<std::size_t>();
  const double sigma = generator.at("sigma").get<double>();
  Bars bars;
  double previous = generator.at("c0").get<double>();
  for (std::size_t i = 0; i < n; ++i) {
    const double z = lcg.normal_ih();
    const double u1 = lcg.uniform();
    const double u2 = lcg.uniform();
    const double open = previous;
    const double close = open * (1.0 + sigma * z);
    bars.open.push_back(open);
    bars.close.push_back(close);
    bars.high.push_back(std::max(open, close) * (1.0 + 0.5 * sigma * u1));
    bars.low.push_back(std::min(open, close) * (1.0 - 0.5 * sigma * u2));
    previous = close;
  }
  return bars;
}

BarrierSpec barrier_spec(const json& run) {
  BarrierSpec spec;
  spec.profit_taking = run.at("pt").get<double>();
  spec.stop_loss = run.at("sl").get<double>();
  spec.horizon = run.at("H").get<std::size_t>();
  const auto mode = run.at("mode").get<std::string>();
  if (mode == "close") {
    spec.mode = BarrierMode::kClose;
  } else if (mode == "ohlc") {
    spec.mode = BarrierMode::kOhlc;
  } else {
    throw std::runtime_error("unexpected mode " + mode);
  }
  const auto tie = run.at("tie_rule").get<std::string>();
  if (tie == "sl_first") {
    spec.tie = TieRule::kStopLossFirst;
  } else if (tie == "pt_first") {
    spec.tie = TieRule::kProfitTakingFirst;
  } else {
    throw std::runtime_error("unexpected tie_rule " + tie);
  }
  return spec;
}

std::string run_name(const json& run) {
  std::ostringstream text;
  text << "(pt, sl, H) = (" << run.at("pt").get<double>() << ", " << run.at("sl").get<double>()
       << ", " << run.at("H").get<std::size_t>() << "), " << run.at("mode").get<std::string>()
       << ", " << run.at("tie_rule").get<std::string>();
  return text.str();
}

// Compares each label with the reference event: t0, side, trgt, t1, label, label_sign,
// exit_return, truncated, and the touched barrier implied by the reference label.
void expect_labels(const std::vector<BarrierLabel>& labels, const json& expected_events) {
  ASSERT_EQ(labels.size(), expected_events.size());
  for (std::size_t e = 0; e < labels.size(); ++e) {
    const BarrierLabel& label = labels[e];
    const json& expected = expected_events[e];
    const std::string what = "event " + std::to_string(e) +
                             " (t0 = " + std::to_string(expected.at("t0").get<std::size_t>()) + ")";
    EXPECT_EQ(label.t0, expected.at("t0").get<std::size_t>()) << what << " t0";
    EXPECT_EQ(label.side, expected.at("side").get<int>()) << what << " side";
    expect_value(label.target, expected.at("trgt"), kRelative, what + " trgt");
    EXPECT_EQ(label.truncated, expected.at("truncated").get<bool>()) << what << " truncated";
    EXPECT_EQ(label.t1, optional_index(expected.at("t1"))) << what << " t1";
    // null label / label_sign: undefined, which the C++ marks with t1 = nullopt and 0.
    if (expected.at("label").is_null()) {
      EXPECT_FALSE(label.t1.has_value()) << what << ": undefined label, t1 = " << *label.t1;
      EXPECT_EQ(label.label, 0) << what << " label (undefined)";
      EXPECT_EQ(label.touched, BarrierTouch::kNone) << what << " touched (undefined)";
    } else {
      const int expected_label = expected.at("label").get<int>();
      EXPECT_EQ(label.label, expected_label) << what << " label";
      const BarrierTouch touch = expected_label > 0   ? BarrierTouch::kUpper
                                 : expected_label < 0 ? BarrierTouch::kLower
                                                      : BarrierTouch::kVertical;
      EXPECT_EQ(label.touched, touch) << what << " touched";
    }
    if (expected.at("label_sign").is_null()) {
      EXPECT_FALSE(label.t1.has_value()) << what << ": undefined label_sign, t1 = " << *label.t1;
      EXPECT_EQ(label.label_sign, 0) << what << " label_sign (undefined)";
    } else {
      EXPECT_EQ(label.label_sign, expected.at("label_sign").get<int>()) << what << " label_sign";
    }
    expect_value(label.exit_return, expected.at("exit_return"), kRelative, what + " exit_return");
  }
}

const json& triple_barrier_case(const std::string& name) {
  for (const auto& test_case : vectors().at("triple_barrier").at("cases")) {
    if (test_case.at("name") == name) return test_case;
  }
  throw std::runtime_error("no triple_barrier case " + name);
}

// The events of a run: the bars of its reference events with their sides.
std::vector<BarrierEvent> run_events(const json& expected_events) {
  std::vector<BarrierEvent> events;
  for (const auto& event : expected_events) {
    events.push_back({event.at("t0").get<std::size_t>(), event.at("side").get<int>()});
  }
  return events;
}

TEST(ValidationVectors, TripleBarrierLcgBars) {
  const json& test_case = triple_barrier_case("lcg_bars");
  const json& generator = test_case.at("generator");
  const Bars regenerated = lcg_bars(generator);
  expect_bitwise(regenerated.open, test_case.at("open"), "open");
  expect_bitwise(regenerated.high, test_case.at("high"), "high");
  expect_bitwise(regenerated.low, test_case.at("low"), "low");
  expect_same_inputs(regenerated.close, test_case.at("close"), generator.at("checksum_close"));
  const Bars bars = stored_bars(test_case);
  const std::size_t n = bars.close.size();

  // Rolling volatility, null → nullopt for i < W.
  const auto window = test_case.at("vol_window").get<std::size_t>();
  const std::vector<std::optional<double>> volatility = rolling_volatility(bars.close, window);
  const json& expected_volatility = test_case.at("vol");
  ASSERT_EQ(volatility.size(), expected_volatility.size());
  for (std::size_t i = 0; i < volatility.size(); ++i) {
    expect_value(volatility[i], expected_volatility[i], kRelative, "vol " + std::to_string(i));
  }

  // Events on every 7th bar from bar 20.
  std::vector<std::size_t> event_bars;
  for (std::size_t i = 20; i < n; i += 7) event_bars.push_back(i);
  expect_indices(event_bars, test_case.at("event_bars"), "event_bars");

  const json& runs = test_case.at("runs");
  ASSERT_EQ(runs.size(), 7U);
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const json& run = runs[r];
    SCOPED_TRACE("run " + std::to_string(r) + ": " + run_name(run));
    const json& expected_events = run.at("events");
    const std::vector<BarrierEvent> events = run_events(expected_events);
    ASSERT_EQ(events.size(), event_bars.size());
    for (std::size_t e = 0; e < events.size(); ++e) {
      EXPECT_EQ(events[e].bar, event_bars[e]) << "event " << e;
      // Runs 0-5 are all long; run 6 alternates long (even k) and short (odd k).
      EXPECT_EQ(events[e].side, r == 6 && e % 2 == 1 ? -1 : 1) << "event " << e << " side";
    }
    const BarrierSpec spec = barrier_spec(run);
    {
      SCOPED_TRACE("reference target: rolling_volatility window " + std::to_string(window));
      expect_labels(triple_barrier_labels(bars.columns(), events, window, spec), expected_events);
    }
    {
      SCOPED_TRACE("explicit targets: the stored vol");
      std::vector<std::optional<double>> targets;
      for (const BarrierEvent& event : events) {
        targets.push_back(value_of(expected_volatility.at(event.bar)));
      }
      expect_labels(triple_barrier_labels(bars.columns(), events, targets, spec), expected_events);
    }
  }
}

TEST(ValidationVectors, TripleBarrierHand) {
  const json& test_case = triple_barrier_case("hand");
  const Bars bars = stored_bars(test_case);
  const std::vector<double> trgt = doubles(test_case.at("trgt"));
  const std::vector<BarrierEvent> events = run_events(test_case.at("events"));
  std::vector<std::optional<double>> targets;
  for (const BarrierEvent& event : events) targets.push_back(trgt.at(event.bar));
  const json& runs = test_case.at("runs");
  ASSERT_EQ(runs.size(), 3U);
  for (const auto& run : runs) {
    SCOPED_TRACE(run_name(run));
    const json& expected_events = run.at("events");
    ASSERT_EQ(expected_events.size(), events.size());
    expect_labels(triple_barrier_labels(bars.columns(), events, targets, barrier_spec(run)),
                  expected_events);
  }
}

// A fold or CPCV test block against the reference [a, b), T0, T1 and embargo_start.
void expect_block(const TestBlock& block, std::size_t begin, std::size_t end, const json& t0,
                  const json& t1, const json& embargo_start, const std::string& what) {
  EXPECT_EQ(block.begin, begin) << what << " begin";
  EXPECT_EQ(block.end, end) << what << " end";
  EXPECT_EQ(block.span_start, t0.get<std::int64_t>()) << what << " T0";
  EXPECT_EQ(block.span_end, t1.get<std::int64_t>()) << what << " T1";
  EXPECT_EQ(block.embargo_start, optional_index(embargo_start)) << what << " embargo_start";
}

void check_purged_kfold_case(const json& test_case) {
  const std::vector<std::int64_t> t0 = times(test_case.at("t0"));
  const std::vector<std::int64_t> t1 = times(test_case.at("t1"));
  for (const auto& run : test_case.at("runs")) {
    const auto k = run.at("k").get<std::size_t>();
    const double pct = run.at("pct_embargo").get<double>();
    SCOPED_TRACE("k = " + std::to_string(k) + ", pct_embargo = " + precise(pct));
    const auto h = run.at("h").get<std::size_t>();
    EXPECT_EQ(embargo_samples(t0.size(), pct), h) << "embargo_samples";
    const std::vector<Fold> folds = purged_kfold(t0, t1, k, pct);
    const json& expected_folds = run.at("folds");
    ASSERT_EQ(folds.size(), expected_folds.size());
    for (std::size_t f = 0; f < folds.size(); ++f) {
      const Fold& fold = folds[f];
      const json& expected = expected_folds[f];
      const std::string what = "fold " + std::to_string(f);
      EXPECT_EQ(fold.index, f) << what << " index";
      expect_indices(fold.test, expected.at("test"), what + " test");
      expect_indices(fold.train, expected.at("train"), what + " train");
      expect_indices(fold.purged, expected.at("purged"), what + " purged");
      expect_indices(fold.embargoed, expected.at("embargoed"), what + " embargoed");
      EXPECT_EQ(fold.embargo, h) << what << " embargo h";
      const std::vector<std::size_t> test = indices(expected.at("test"));
      ASSERT_FALSE(test.empty()) << what;
      expect_block(fold.block, test.front(), test.back() + 1, expected.at("T0"), expected.at("T1"),
                   expected.at("embargo_start"), what + " block");
    }
  }
}

TEST(ValidationVectors, PurgedKfold) {
  const json& cases = vectors().at("purged_kfold").at("cases");
  ASSERT_EQ(cases.size(), 2U);

  // Input set 1: t0_i = 2i, t1_i = t0_i + 1 + floor(8·u_i), one uniform per i.
  const json& lcg_case = cases[0];
  ASSERT_EQ(lcg_case.at("name"), "lcg");
  {
    const json& generator = lcg_case.at("generator");
    Lcg lcg(generator.at("seed").get<std::uint64_t>());
    std::vector<std::int64_t> t0;
    std::vector<std::int64_t> t1;
    for (std::size_t i = 0; i < generator.at("n").get<std::size_t>(); ++i) {
      const double u = lcg.uniform();
      t0.push_back(static_cast<std::int64_t>(2 * i));
      t1.push_back(t0.back() + 1 + static_cast<std::int64_t>(std::floor(8.0 * u)));
    }
    EXPECT_EQ(t0, times(lcg_case.at("t0"))) << "regenerated t0";
    EXPECT_EQ(t1, times(lcg_case.at("t1"))) << "regenerated t1";
  }
  {
    SCOPED_TRACE("lcg");
    check_purged_kfold_case(lcg_case);
  }

  // Input set 2: the defined (t0, t1) of the C++ close-mode (2, 2, 12) labels on the LCG bars.
  const json& label_case = cases[1];
  ASSERT_EQ(label_case.at("name"), "triple_barrier_close_2_2_12");
  {
    const json& bars_case = triple_barrier_case("lcg_bars");
    const Bars bars = stored_bars(bars_case);
    const json& close_run = bars_case.at("runs").at(0);
    ASSERT_EQ(run_name(close_run), "(pt, sl, H) = (2, 2, 12), close, sl_first");
    const std::vector<BarrierLabel> labels = triple_barrier_labels(
        bars.columns(), run_events(close_run.at("events")),
        bars_case.at("vol_window").get<std::size_t>(), barrier_spec(close_run));
    const LabelSpans spans = defined_label_spans(labels);
    EXPECT_EQ(spans.t0, times(label_case.at("t0"))) << "t0 of the defined C++ labels";
    EXPECT_EQ(spans.t1, times(label_case.at("t1"))) << "t1 of the defined C++ labels";
    std::vector<std::size_t> defined;
    for (std::size_t e = 0; e < close_run.at("events").size(); ++e) {
      if (!close_run.at("events")[e].at("t1").is_null()) defined.push_back(e);
    }
    EXPECT_EQ(spans.label_index, defined) << "label_index";
  }
  {
    SCOPED_TRACE("triple_barrier_close_2_2_12");
    check_purged_kfold_case(label_case);
  }
}

TEST(ValidationVectors, Cpcv) {
  const json& cases = vectors().at("cpcv").at("cases");
  ASSERT_EQ(cases.size(), 1U);
  const json& test_case = cases[0];
  SCOPED_TRACE(test_case.at("name").get<std::string>());

  // t0_i = 3i, t1_i = t0_i + floor(10·u_i), one uniform per i.
  const json& generator = test_case.at("generator");
  Lcg lcg(generator.at("seed").get<std::uint64_t>());
  std::vector<std::int64_t> regenerated_t0;
  std::vector<std::int64_t> regenerated_t1;
  for (std::size_t i = 0; i < generator.at("n").get<std::size_t>(); ++i) {
    regenerated_t0.push_back(static_cast<std::int64_t>(3 * i));
    regenerated_t1.push_back(regenerated_t0.back() +
                             static_cast<std::int64_t>(std::floor(10.0 * lcg.uniform())));
  }
  const std::vector<std::int64_t> t0 = times(test_case.at("t0"));
  const std::vector<std::int64_t> t1 = times(test_case.at("t1"));
  EXPECT_EQ(regenerated_t0, t0) << "regenerated t0";
  EXPECT_EQ(regenerated_t1, t1) << "regenerated t1";

  const auto groups = test_case.at("N").get<std::size_t>();
  const auto test_groups = test_case.at("k").get<std::size_t>();
  const double pct = test_case.at("pct_embargo").get<double>();
  const Cpcv cpcv = combinatorial_purged_cv(t0, t1, groups, test_groups, pct);

  EXPECT_EQ(cpcv.embargo, test_case.at("h").get<std::size_t>()) << "embargo h";
  const json& expected_groups = test_case.at("groups");
  ASSERT_EQ(cpcv.group_offsets.size(), expected_groups.size() + 1);
  for (std::size_t g = 0; g < expected_groups.size(); ++g) {
    std::vector<std::size_t> members;
    for (std::size_t i = cpcv.group_offsets[g]; i < cpcv.group_offsets[g + 1]; ++i) {
      members.push_back(i);
    }
    expect_indices(members, expected_groups[g], "group " + std::to_string(g));
  }

  const json& expected_splits = test_case.at("splits");
  ASSERT_EQ(cpcv.splits.size(), expected_splits.size());
  for (std::size_t s = 0; s < cpcv.splits.size(); ++s) {
    const CpcvSplit& split = cpcv.splits[s];
    const json& expected = expected_splits[s];
    const std::string what = "split " + std::to_string(s);
    expect_indices(split.test_groups, expected.at("test_groups"), what + " test_groups");
    expect_indices(split.test, expected.at("test"), what + " test");
    expect_indices(split.train, expected.at("train"), what + " train");
    const json& expected_blocks = expected.at("blocks");
    ASSERT_EQ(split.blocks.size(), expected_blocks.size()) << what << " blocks";
    for (std::size_t b = 0; b < split.blocks.size(); ++b) {
      const json& block = expected_blocks[b];
      expect_block(split.blocks[b], block.at("start").get<std::size_t>(),
                   block.at("end").get<std::size_t>(), block.at("T0"), block.at("T1"),
                   block.at("embargo_start"), what + " block " + std::to_string(b));
    }
  }

  EXPECT_EQ(cpcv.paths, test_case.at("num_paths").get<std::size_t>()) << "paths";
  const json& expected_paths = test_case.at("paths");
  ASSERT_EQ(cpcv.path_split.size(), expected_paths.size());
  for (std::size_t p = 0; p < expected_paths.size(); ++p) {
    expect_indices(cpcv.path_split[p], expected_paths[p], "path " + std::to_string(p));
  }
}

}  // namespace
}  // namespace gauntlet::validation
