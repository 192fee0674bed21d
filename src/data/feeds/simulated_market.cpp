#include "data/feeds/simulated_market.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "core/check.hpp"
#include "core/exceptions.hpp"

namespace gauntlet::data {
namespace {

// ---- Portable math: only + - * /, sqrt, floor, frexp and ldexp, which IEEE-754 defines to the
// bit, so the generator does not depend on the platform's libm. ----

constexpr double kLn2High = 6.93147180369123816490e-01;  // upper bits of ln 2 (fdlibm)
constexpr double kLn2Low = 1.90821492927058770002e-10;   // ln 2 - kLn2High
constexpr double kInverseLn2 = 1.44269504088896338700e+00;
constexpr double kSqrtHalf = 0.70710678118654752440;
constexpr double kPi = 3.14159265358979323846;
constexpr double kMeanAbsNormal = 0.79788456080286535588;  // E|Z| = sqrt(2 / pi)
constexpr double kMinutesPerYear = 525'600.0;              // crypto trades 24/7
constexpr std::size_t kMinutesPerDay = 1440;
constexpr int kIntradayPeakMinute = 15 * 60;  // the US session overlap, UTC
constexpr double kMaxVolumeMultiple = 50;     // a bar's volume stays below 50 x base_volume
constexpr double kMaxJumpShare = 0.9;

constexpr double factorial(int n) {
  return n <= 1 ? 1.0 : n * factorial(n - 1);
}

// e^x for |x| <= 700, to within a few ulp.
double portable_exp(double x) {
  GAUNTLET_CHECK(x >= -700 && x <= 700, "exp argument out of range: {}", x);
  const double k = std::floor(x * kInverseLn2 + 0.5);
  const double r = (x - k * kLn2High) - k * kLn2Low;  // |r| <= 0.35
  double sum = 1.0 / factorial(13);
  for (int n = 12; n >= 0; --n) sum = sum * r + 1.0 / factorial(n);
  return std::ldexp(sum, static_cast<int>(k));
}

// ln x for finite x > 0, to within a few ulp.
double portable_log(double x) {
  GAUNTLET_CHECK(x > 0 && std::isfinite(x), "log argument out of range: {}", x);
  int exponent = 0;
  double mantissa = std::frexp(x, &exponent);  // x = mantissa * 2^exponent, mantissa in [0.5, 1)
  if (mantissa < kSqrtHalf) {
    mantissa *= 2;
    --exponent;
  }
  // ln m = 2 atanh(f) with f = (m - 1) / (m + 1), |f| <= 0.172.
  const double f = (mantissa - 1) / (mantissa + 1);
  const double f2 = f * f;
  double series = 1.0 / 25;
  for (int n = 11; n >= 0; --n) series = series * f2 + 1.0 / (2 * n + 1);
  const double e = exponent;
  return e * kLn2High + (e * kLn2Low + 2 * f * series);
}

// cos x for |x| <= pi (Taylor series; used only to build the intraday table).
double portable_cos(double x) {
  const double x2 = x * x;
  double sum = 0;
  for (int n = 22; n >= 0; --n) sum = sum * x2 + ((n % 2 == 0) ? 1.0 : -1.0) / factorial(2 * n);
  return sum;
}

// A uniform double in the open interval (0, 1).
double uniform_open(std::mt19937_64& random) {
  return (static_cast<double>(random() >> 11) + 0.5) * 0x1.0p-53;
}

// The polynomial with `coefficients` (highest degree first) at x, by Horner's rule.
template <std::size_t N>
double polynomial(const std::array<double, N>& coefficients, double x) {
  double sum = coefficients[0];
  for (std::size_t i = 1; i < N; ++i) sum = sum * x + coefficients[i];
  return sum;
}

// The standard normal quantile of p in (0, 1): Wichura's AS241 (PPND16), relative error 1e-16.
double normal_quantile(double p) {
  static constexpr std::array<double, 8> kCentralNumerator = {
      2509.0809287301226727, 33430.575583588128105, 67265.770927008700853, 45921.953931549871457,
      13731.693765509461125, 1971.5909503065514427, 133.14166789178437745, 3.387132872796366608};
  static constexpr std::array<double, 8> kCentralDenominator = {
      5226.495278852545925,  28729.085735721942674, 39307.89580009271061,  21213.794301586595867,
      5394.1960214247511077, 687.1870074920579083,  42.313330701600911252, 1.0};
  static constexpr std::array<double, 8> kNearNumerator = {
      7.7454501427834140764e-4, 0.0227238449892691845833, 0.24178072517745061177,
      1.27045825245236838258,   3.64784832476320460504,   5.7694972214606914055,
      4.6303378461565452959,    1.42343711074968357734};
  static constexpr std::array<double, 8> kNearDenominator = {
      1.05075007164441684324e-9, 5.475938084995344946e-4,
      0.0151986665636164571966,  0.14810397642748007459,
      0.68976733498510000455,    1.6763848301838038494,
      2.05319162663775882187,    1.0};
  static constexpr std::array<double, 8> kFarNumerator = {
      2.01033439929228813265e-7, 2.71155556874348757815e-5, 0.0012426609473880784386,
      0.026532189526576123093,   0.29656057182850489123,    1.7848265399172913358,
      5.4637849111641143699,     6.6579046435011037772};
  static constexpr std::array<double, 8> kFarDenominator = {
      2.04426310338993978564e-15, 1.4215117583164458887e-7,
      1.8463183175100546818e-5,   7.868691311456132591e-4,
      0.0148753612908506148525,   0.13692988092273580531,
      0.59983220655588793769,     1.0};

  const double q = p - 0.5;
  if (std::fabs(q) <= 0.425) {
    const double r = 0.180625 - q * q;
    return q * polynomial(kCentralNumerator, r) / polynomial(kCentralDenominator, r);
  }
  const double r = std::sqrt(-portable_log(q < 0 ? p : 1 - p));
  const double value =
      r <= 5 ? polynomial(kNearNumerator, r - 1.6) / polynomial(kNearDenominator, r - 1.6)
             : polynomial(kFarNumerator, r - 5) / polynomial(kFarDenominator, r - 5);
  return q < 0 ? -value : value;
}

double normal(std::mt19937_64& random) {
  return normal_quantile(uniform_open(random));
}

// A Poisson count of mean `mean` (small) by inversion; one uniform per draw.
int poisson(std::mt19937_64& random, double mean) {
  const double u = uniform_open(random);
  double probability = portable_exp(-mean);
  double cumulative = probability;
  int count = 0;
  while (u > cumulative && count < 64) {
    ++count;
    probability *= mean / count;
    cumulative += probability;
  }
  return count;
}

// The maximum of a Brownian bridge from `from` to `to` with variance `variance`, by inverting
// P(max >= m) = exp(-2 (m - from) (m - to) / variance) at the uniform u in (0, 1).
double bridge_high(double from, double to, double variance, double u) {
  const double half = (to - from) / 2;
  return (from + to) / 2 + std::sqrt(half * half - variance * portable_log(u) / 2);
}

double bridge_low(double from, double to, double variance, double u) {
  const double half = (to - from) / 2;
  return (from + to) / 2 - std::sqrt(half * half - variance * portable_log(u) / 2);
}

// ---- Seeds: one stream per market, symbol and listing. ----

uint64_t split_mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t fnv1a(std::string_view text, uint64_t hash = 0xcbf29ce484222325ULL) {
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

uint64_t stream_seed(uint64_t seed, uint64_t key) {
  return split_mix(seed ^ split_mix(key));
}

// ---- Configuration checks. ----

bool is_probability(double x) {
  return x >= 0 && x <= 1;
}  // false for NaN
bool is_fraction(double x) {
  return x >= 0 && x < 1;
}

// The stationary distribution of a 3-state chain: solves pi (P - I) = 0 with sum(pi) = 1.
// Returns false when it is not unique.
bool stationary_distribution(
    const std::array<std::array<double, kMarketRegimeCount>, kMarketRegimeCount>& transitions,
    std::array<double, kMarketRegimeCount>& result) {
  constexpr std::size_t n = kMarketRegimeCount;
  std::array<std::array<double, n + 1>, n> system{};
  for (std::size_t row = 0; row + 1 < n; ++row) {
    for (std::size_t col = 0; col < n; ++col) {
      system[row][col] = transitions[col][row] - (row == col ? 1.0 : 0.0);
    }
  }
  for (std::size_t col = 0; col < n; ++col) system[n - 1][col] = 1;
  system[n - 1][n] = 1;
  for (std::size_t col = 0; col < n; ++col) {
    std::size_t pivot = col;
    for (std::size_t row = col + 1; row < n; ++row) {
      if (std::fabs(system[row][col]) > std::fabs(system[pivot][col])) pivot = row;
    }
    if (std::fabs(system[pivot][col]) < 1e-14) return false;
    std::swap(system[col], system[pivot]);
    for (std::size_t row = 0; row < n; ++row) {
      if (row == col) continue;
      const double factor = system[row][col] / system[col][col];
      for (std::size_t k = col; k <= n; ++k) system[row][k] -= factor * system[col][k];
    }
  }
  double total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    result[i] = system[i][n] / system[i][i];
    if (!(result[i] > -1e-9)) return false;
    result[i] = std::max(result[i], 0.0);
    total += result[i];
  }
  for (double& p : result) p /= total;
  return true;
}

void check_config(const SimulatedMarketConfig& config,
                  std::array<double, kMarketRegimeCount>& stationary) {
  std::vector<std::string> problems;
  const auto problem = [&problems](std::string path, std::string_view what, auto value) {
    problems.push_back(fmt::format("{}: {} (got {})", path, what, value));
  };

  if (floor_to(config.start, kMinuteMs) != config.start) {
    problem("start", "must be aligned to the minute", format_iso8601(config.start));
  }
  if (config.symbols.empty()) problem("symbols", "must not be empty", 0);
  for (std::size_t i = 0; i < config.symbols.size(); ++i) {
    const SimulatedSymbol& symbol = config.symbols[i];
    const std::string path = fmt::format("symbols[{}]", i);
    if (symbol.symbol.empty()) problem(path + ".symbol", "must not be empty", "\"\"");
    for (std::size_t j = 0; j < i; ++j) {
      if (config.symbols[j].symbol == symbol.symbol) {
        problem(path + ".symbol", "is listed twice", symbol.symbol.canonical());
      }
    }
    if (!symbol.start_price.is_positive()) {
      problem(path + ".start_price", "must be positive", symbol.start_price);
    }
    if (!(symbol.annual_volatility > 0 && symbol.annual_volatility <= 20)) {
      problem(path + ".annual_volatility", "must be in (0, 20]", symbol.annual_volatility);
    }
    if (symbol.listings.empty()) problem(path + ".listings", "must not be empty", 0);
    for (std::size_t k = 0; k < symbol.listings.size(); ++k) {
      const SimulatedListing& listing = symbol.listings[k];
      const std::string at = fmt::format("{}.listings[{}]", path, k);
      for (std::size_t m = 0; m < k; ++m) {
        if (symbol.listings[m].domain == listing.domain) {
          problem(at + ".domain", "is listed twice", to_string(listing.domain));
        }
      }
      if (!listing.tick_size.is_positive()) {
        problem(at + ".tick_size", "must be positive", listing.tick_size);
      }
      if (!listing.qty_step.is_positive()) {
        problem(at + ".qty_step", "must be positive", listing.qty_step);
      }
      if (!(listing.base_volume >= 0 && listing.base_volume <= 1e8)) {
        problem(at + ".base_volume", "must be in [0, 1e8]", listing.base_volume);
      } else if (listing.base_volume * symbol.start_price.to_double() > 1e7) {
        problem(at + ".base_volume", "times start_price must be at most 1e7", listing.base_volume);
      }
      if (!(listing.basis_stddev >= 0 && listing.basis_stddev <= 0.1)) {
        problem(at + ".basis_stddev", "must be in [0, 0.1]", listing.basis_stddev);
      }
    }
  }

  if (!is_probability(config.correlation)) {
    problem("correlation", "must be in [0, 1]", config.correlation);
  }
  bool transitions_valid = true;
  for (std::size_t from = 0; from < kMarketRegimeCount; ++from) {
    const SimulatedRegime& regime = config.regimes[from];
    const std::string path = fmt::format("regimes[{}]", from);
    if (!(regime.volatility_multiplier > 0 && regime.volatility_multiplier <= 100)) {
      problem(path + ".volatility_multiplier", "must be in (0, 100]", regime.volatility_multiplier);
    }
    if (!(regime.jump_intensity_multiplier >= 0 && regime.jump_intensity_multiplier <= 1e3)) {
      problem(path + ".jump_intensity_multiplier", "must be in [0, 1000]",
              regime.jump_intensity_multiplier);
    }
    double total = 0;
    for (std::size_t to = 0; to < kMarketRegimeCount; ++to) {
      const double p = config.regime_transitions[from][to];
      if (!is_probability(p)) {
        problem(fmt::format("regime_transitions[{}][{}]", from, to), "must be in [0, 1]", p);
        transitions_valid = false;
      }
      total += p;
    }
    if (transitions_valid && std::fabs(total - 1) > 1e-9) {
      problem(fmt::format("regime_transitions[{}]", from), "must sum to 1", total);
      transitions_valid = false;
    }
  }
  if (transitions_valid && !stationary_distribution(config.regime_transitions, stationary)) {
    problem("regime_transitions", "must have a unique stationary distribution",
            "a reducible chain");
    transitions_valid = false;
  }
  if (!is_fraction(config.log_volatility_persistence)) {
    problem("log_volatility_persistence", "must be in [0, 1)", config.log_volatility_persistence);
  }
  if (!(config.log_volatility_stddev >= 0 && config.log_volatility_stddev <= 2)) {
    problem("log_volatility_stddev", "must be in [0, 2]", config.log_volatility_stddev);
  }
  if (!is_fraction(config.intraday_amplitude)) {
    problem("intraday_amplitude", "must be in [0, 1)", config.intraday_amplitude);
  }
  if (!(config.jump_intensity >= 0 && config.jump_intensity <= 1)) {
    problem("jump_intensity", "must be in [0, 1]", config.jump_intensity);
  }
  if (!(config.jump_size >= 0 && config.jump_size <= 100)) {
    problem("jump_size", "must be in [0, 100]", config.jump_size);
  }
  if (transitions_valid && std::isfinite(config.jump_intensity) &&
      std::isfinite(config.jump_size)) {
    double mean_intensity = 0;
    for (std::size_t r = 0; r < kMarketRegimeCount; ++r) {
      mean_intensity += stationary[r] * config.regimes[r].jump_intensity_multiplier;
    }
    const double share =
        config.jump_intensity * mean_intensity * config.jump_size * config.jump_size;
    if (!(share < kMaxJumpShare)) {
      problem("jump_intensity", "with jump_size gives a jump share of the variance of at least 0.9",
              share);
    }
  }
  if (!(config.volume_volatility_elasticity >= 0 && config.volume_volatility_elasticity <= 5)) {
    problem("volume_volatility_elasticity", "must be in [0, 5]",
            config.volume_volatility_elasticity);
  }
  if (!(config.volume_return_sensitivity >= 0 && config.volume_return_sensitivity <= 10)) {
    problem("volume_return_sensitivity", "must be in [0, 10]", config.volume_return_sensitivity);
  }
  if (!(config.volume_noise >= 0 && config.volume_noise <= 2)) {
    problem("volume_noise", "must be in [0, 2]", config.volume_noise);
  }
  if (!is_fraction(config.basis_persistence)) {
    problem("basis_persistence", "must be in [0, 1)", config.basis_persistence);
  }
  if (!problems.empty()) throw ConfigError(std::move(problems));
}

// `price` rounded to the tick grid, at least one tick.
Decimal price_on_grid(double price, Decimal tick_size) {
  return std::max(Decimal::from_double(price).round_to_step(tick_size), tick_size);
}

SimulatedListing spot(std::string_view tick_size, std::string_view qty_step, double base_volume) {
  return {Asset::kSpot, Decimal::parse(tick_size), Decimal::parse(qty_step), base_volume, 0.0};
}

SimulatedListing perp(std::string_view tick_size, std::string_view qty_step, double base_volume) {
  return {Asset::kPerp, Decimal::parse(tick_size), Decimal::parse(qty_step), base_volume, 0.0004};
}

}  // namespace

std::string_view to_string(MarketRegime regime) {
  switch (regime) {
    case MarketRegime::kCalm:
      return "calm";
    case MarketRegime::kNormal:
      return "normal";
    case MarketRegime::kTurbulent:
      return "turbulent";
  }
  return "unknown";
}

SimulatedMarketConfig SimulatedMarketConfig::default_crypto(uint64_t seed, TimestampMs start) {
  SimulatedMarketConfig config;
  config.seed = seed;
  config.start = start;
  const auto add = [&config](std::string_view symbol, std::string_view price, double volatility,
                             SimulatedListing spot_listing, SimulatedListing perp_listing) {
    config.symbols.push_back({Symbol::parse(symbol),
                              Decimal::parse(price),
                              volatility,
                              {std::move(spot_listing), std::move(perp_listing)}});
  };
  // symbol, price, annual volatility; spot and perp: tick, quantity step, mean 1m volume.
  add("BTCUSDT", "65000", 0.55, spot("0.01", "0.000001", 7), perp("0.1", "0.001", 40));
  add("ETHUSDT", "3200", 0.65, spot("0.01", "0.00001", 70), perp("0.01", "0.01", 500));
  add("SOLUSDT", "150", 0.85, spot("0.01", "0.001", 1'400), perp("0.01", "0.1", 7'000));
  add("XRPUSDT", "0.55", 0.75, spot("0.0001", "0.01", 100'000), perp("0.0001", "1", 700'000));
  add("DOGEUSDT", "0.15", 0.9, spot("0.00001", "0.1", 350'000), perp("0.00001", "1", 2'000'000));
  add("ADAUSDT", "0.45", 0.8, spot("0.0001", "0.01", 35'000), perp("0.0001", "1", 200'000));
  add("BNBUSDT", "580", 0.55, spot("0.1", "0.001", 30), perp("0.05", "0.01", 150));
  add("LTCUSDT", "80", 0.7, spot("0.01", "0.00001", 150), perp("0.01", "0.1", 1'000));
  add("LINKUSDT", "14", 0.85, spot("0.001", "0.01", 2'500), perp("0.001", "0.1", 15'000));
  add("AVAXUSDT", "30", 0.9, spot("0.01", "0.001", 1'000), perp("0.001", "0.1", 6'000));
  return config;
}

std::vector<InstrumentInfo> listed_instruments(const SimulatedMarketConfig& config) {
  std::vector<InstrumentInfo> instruments;
  for (const SimulatedSymbol& symbol : config.symbols) {
    for (const SimulatedListing& listing : symbol.listings) {
      InstrumentInfo info;
      info.domain = listing.domain;
      info.symbol = symbol.symbol;
      info.status = "Trading";
      info.tick_size = listing.tick_size;
      info.qty_step = listing.qty_step;
      info.min_qty = listing.qty_step;
      instruments.push_back(std::move(info));
    }
  }
  return instruments;
}

SimulatedMarket::SimulatedMarket(SimulatedMarketConfig config) : config_(std::move(config)) {
  check_config(config_, stationary_);
  market_random_.seed(split_mix(config_.seed));
  next_time_ = config_.start;

  double mean_square = 0;
  double mean_intensity = 0;
  for (std::size_t r = 0; r < kMarketRegimeCount; ++r) {
    const double multiplier = config_.regimes[r].volatility_multiplier;
    mean_square += stationary_[r] * multiplier * multiplier;
    mean_intensity += stationary_[r] * config_.regimes[r].jump_intensity_multiplier;
  }
  for (std::size_t r = 0; r < kMarketRegimeCount; ++r) {
    regime_scale_[r] = config_.regimes[r].volatility_multiplier / std::sqrt(mean_square);
  }
  jump_variance_share_ =
      config_.jump_intensity * mean_intensity * config_.jump_size * config_.jump_size;

  season_.resize(kMinutesPerDay);
  double season_square = 0;
  for (std::size_t minute = 0; minute < kMinutesPerDay; ++minute) {
    // The offset from the peak, in (-1/2, 1/2] of a day.
    const int offset =
        static_cast<int>((minute + kMinutesPerDay + kMinutesPerDay / 2 - kIntradayPeakMinute) %
                         kMinutesPerDay) -
        static_cast<int>(kMinutesPerDay / 2);
    const double angle = 2 * kPi * offset / static_cast<double>(kMinutesPerDay);
    season_[minute] = 1 + config_.intraday_amplitude * portable_cos(angle);
    season_square += season_[minute] * season_[minute];
  }
  const double season_norm = std::sqrt(season_square / kMinutesPerDay);
  for (double& q : season_) q /= season_norm;

  const double persistence = config_.log_volatility_persistence;
  log_volatility_innovation_ =
      config_.log_volatility_stddev * std::sqrt(1 - persistence * persistence);

  // The initial state: the regime and the log volatility from their stationary distributions.
  const double u = uniform_open(market_random_);
  std::size_t initial = kMarketRegimeCount - 1;
  double cumulative = 0;
  for (std::size_t r = 0; r < kMarketRegimeCount; ++r) {
    cumulative += stationary_[r];
    if (u <= cumulative) {
      initial = r;
      break;
    }
  }
  regime_ = static_cast<MarketRegime>(initial);
  log_volatility_ = config_.log_volatility_stddev * normal(market_random_);

  const double basis_innovation =
      std::sqrt(1 - config_.basis_persistence * config_.basis_persistence);
  for (const SimulatedSymbol& symbol : config_.symbols) {
    SymbolState state;
    state.log_price = portable_log(symbol.start_price.to_double());
    state.minute_volatility = symbol.annual_volatility / std::sqrt(kMinutesPerYear);
    state.diffusive_volatility = state.minute_volatility * std::sqrt(1 - jump_variance_share_);
    state.jump_stddev = config_.jump_size * state.minute_volatility;
    for (std::size_t r = 0; r < kMarketRegimeCount; ++r) {
      state.compensator[r] = config_.jump_intensity * config_.regimes[r].jump_intensity_multiplier *
                             (portable_exp(state.jump_stddev * state.jump_stddev / 2) - 1);
    }
    const uint64_t symbol_key = fnv1a(symbol.symbol.canonical());
    state.random.seed(stream_seed(config_.seed, symbol_key));
    state.first_listing = listings_.size();
    state.listing_count = symbol.listings.size();
    for (const SimulatedListing& listing : symbol.listings) {
      ListingState listing_state;
      listing_state.tick_size = listing.tick_size;
      listing_state.qty_step = listing.qty_step;
      listing_state.base_volume = listing.base_volume;
      listing_state.basis_innovation = listing.basis_stddev * basis_innovation;
      listing_state.random.seed(
          stream_seed(config_.seed, fnv1a(to_string(listing.domain), fnv1a("/", symbol_key))));
      listing_state.basis = listing.basis_stddev * normal(listing_state.random);
      listing_state.close =
          price_on_grid(portable_exp(state.log_price + listing_state.basis), listing.tick_size);
      listing_state.volume_ring.assign(kMinutesPerDay, Decimal::zero());
      listing_state.turnover_ring.assign(kMinutesPerDay, Decimal::zero());
      listings_.push_back(std::move(listing_state));

      BarClosed bar;
      bar.feed = FeedKind::kSimulated;
      bar.domain = listing.domain;
      bar.symbol = symbol.symbol;
      bar.timeframe = Timeframe::k1m;
      bars_.push_back(std::move(bar));
    }
    symbols_.push_back(std::move(state));
  }
}

const std::vector<BarClosed>& SimulatedMarket::next_minute() {
  if (quotes_.empty()) {
    for (const BarClosed& bar : bars_) {
      QuoteUpdated quote;
      quote.feed = FeedKind::kSimulated;
      quote.domain = bar.domain;
      quote.symbol = bar.symbol;
      quotes_.push_back(std::move(quote));
    }
  }
  step_market();
  for (SymbolState& symbol : symbols_) step_symbol(symbol);
  ++minutes_generated_;
  next_time_ += kMinuteMs;
  return bars_;
}

void SimulatedMarket::step_market() {
  if (minutes_generated_ > 0) {
    const auto& row = config_.regime_transitions[static_cast<std::size_t>(regime_)];
    const double u = uniform_open(market_random_);
    std::size_t next = kMarketRegimeCount - 1;
    double cumulative = 0;
    for (std::size_t r = 0; r < kMarketRegimeCount; ++r) {
      cumulative += row[r];
      if (u <= cumulative) {
        next = r;
        break;
      }
    }
    // Rounding can leave the last row sum a hair below u: stay in a state that has mass.
    while (row[next] == 0 && next > 0) --next;
    regime_ = static_cast<MarketRegime>(next);
    log_volatility_ = config_.log_volatility_persistence * log_volatility_ +
                      log_volatility_innovation_ * normal(market_random_);
  }
  common_shock_ = normal(market_random_);
  const double stddev = config_.log_volatility_stddev;
  const auto minute_of_day =
      static_cast<std::size_t>((next_time_ - floor_to(next_time_, kDayMs)) / kMinuteMs);
  volatility_multiplier_ = regime_scale_[static_cast<std::size_t>(regime_)] *
                           portable_exp(log_volatility_ - stddev * stddev) * season_[minute_of_day];
}

void SimulatedMarket::step_symbol(SymbolState& symbol) {
  const auto regime = static_cast<std::size_t>(regime_);
  std::mt19937_64& random = symbol.random;

  // The path of the log price through the minute: diffusion, then any jumps.
  const double volatility = volatility_multiplier_ * symbol.diffusive_volatility;
  const double variance = volatility * volatility;
  const double correlation = config_.correlation;
  const double shock =
      std::sqrt(correlation) * common_shock_ + std::sqrt(1 - correlation) * normal(random);
  const int jumps =
      poisson(random, config_.jump_intensity * config_.regimes[regime].jump_intensity_multiplier);
  double jump = 0;
  double jump_time = 0;
  double bridge_at_jump = 0;
  if (jumps > 0) {
    for (int i = 0; i < jumps; ++i) jump += symbol.jump_stddev * normal(random);
    jump_time = uniform_open(random);
    bridge_at_jump = normal(random);
  }
  const double u_high = uniform_open(random);
  const double u_low = uniform_open(random);
  const double u_high_after = jumps > 0 ? uniform_open(random) : 0;
  const double u_low_after = jumps > 0 ? uniform_open(random) : 0;
  const double from = symbol.log_price;
  const double to = from + volatility * shock - variance / 2 - symbol.compensator[regime] + jump;
  symbol.log_price = to;

  const double surprise = std::fabs(to - from) / symbol.minute_volatility;
  const double sensitivity = config_.volume_return_sensitivity;
  const double activity = std::min(
      portable_exp(config_.volume_volatility_elasticity * portable_log(volatility_multiplier_)) *
          (1 + sensitivity * surprise) / (1 + sensitivity * kMeanAbsNormal),
      kMaxVolumeMultiple);
  const double noise = config_.volume_noise;

  const TimestampMs open_time = next_time_;
  const Decimal four = Decimal::from_int(4);
  for (std::size_t i = symbol.first_listing; i < symbol.first_listing + symbol.listing_count; ++i) {
    ListingState& listing = listings_[i];
    const double basis_before = listing.basis;
    listing.basis = config_.basis_persistence * listing.basis +
                    listing.basis_innovation * normal(listing.random);
    const double start = from + basis_before;
    const double end = to + listing.basis;
    double high = 0;
    double low = 0;
    if (jumps == 0) {
      high = bridge_high(start, end, variance, u_high);
      low = bridge_low(start, end, variance, u_low);
    } else {
      const double drift = end - start - jump;
      const double before = start + jump_time * drift +
                            std::sqrt(jump_time * (1 - jump_time) * variance) * bridge_at_jump;
      const double after = before + jump;
      high = std::max(bridge_high(start, before, jump_time * variance, u_high),
                      bridge_high(after, end, (1 - jump_time) * variance, u_high_after));
      low = std::min(bridge_low(start, before, jump_time * variance, u_low),
                     bridge_low(after, end, (1 - jump_time) * variance, u_low_after));
    }

    Bar& bar = bars_[i].bar;
    bar.open_time = open_time;
    bar.open = listing.close;
    bar.close = price_on_grid(portable_exp(end), listing.tick_size);
    bar.high =
        std::max({price_on_grid(portable_exp(high), listing.tick_size), bar.open, bar.close});
    bar.low = std::min({price_on_grid(portable_exp(low), listing.tick_size), bar.open, bar.close});
    const double volume = listing.base_volume * activity *
                          portable_exp(noise * normal(listing.random) - noise * noise / 2);
    bar.volume = Decimal::from_double(volume, Rounding::kFloor)
                     .round_to_step(listing.qty_step, Rounding::kFloor);
    bar.turnover = bar.volume * ((bar.open + bar.high + bar.low + bar.close) / four);
    GAUNTLET_CHECK(bar.low.is_positive() && bar.low <= bar.open && bar.low <= bar.close &&
                       bar.high >= bar.open && bar.high >= bar.close && !bar.volume.is_negative(),
                   "invalid simulated bar: open {} high {} low {} close {} volume {}", bar.open,
                   bar.high, bar.low, bar.close, bar.volume);
    bars_[i].event_time = open_time + kMinuteMs;
    listing.close = bar.close;

    const std::size_t slot = minutes_generated_ % kMinutesPerDay;
    listing.volume_24h += bar.volume.raw() - listing.volume_ring[slot].raw();
    listing.turnover_24h += bar.turnover.raw() - listing.turnover_ring[slot].raw();
    listing.volume_ring[slot] = bar.volume;
    listing.turnover_ring[slot] = bar.turnover;

    QuoteUpdated& quote = quotes_[i];
    quote.event_time = open_time + kMinuteMs;
    quote.last_price = bar.close;
    quote.bid_price = bar.close;
    quote.ask_price = bar.close + listing.tick_size;
    quote.mark_price = quote.domain == Asset::kPerp ? bar.close : Decimal::zero();
    quote.volume_24h = saturated_sum(listing.volume_24h);
    quote.turnover_24h = saturated_sum(listing.turnover_24h);
  }
}

}  // namespace gauntlet::data
