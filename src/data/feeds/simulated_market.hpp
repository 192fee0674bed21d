// File: data/feeds/simulated_market.hpp
//
// SimulatedMarket: the seeded generator of realistic 1-minute bars for many symbols, the
// offline default feed when no venue is reachable. It emits the same BarClosed and QuoteUpdated
// events as the replay and the live feed, with feed = FeedKind::kSimulated, so nothing
// downstream can tell them apart except through that flag.
//
// The model, per minute t (market draws are shared by every symbol s; defaults in the config):
//   regime     r_t: a Markov chain over calm / normal / turbulent with per-minute transition
//              probabilities, started from its stationary distribution;
//   log-vol    h_t = phi * h_{t-1} + eta * e_t, a market-wide AR(1) with stationary deviation
//              sd; its multiplier exp(h_t - sd^2) has E[.^2] = 1 (volatility clustering);
//   season     q(minute of day) = 1 + a * cos(2 pi (minute - 15:00 UTC) / 1 day), normalised
//              so the mean of q^2 over a day is 1;
//   m_t        = g[r_t] * exp(h_t - sd^2) * q, g the regime multipliers normalised so that
//              the stationary mean of g^2 is 1;
//   return     x_s <- x_s + m_t sigma_s (sqrt(rho) Z_t + sqrt(1 - rho) z_s) - m_t^2 sigma_s^2 / 2
//              + J - compensator, with Z_t common, z_s idiosyncratic, J the sum of
//              Poisson(lambda * jump multiplier[r_t]) normal jumps of deviation
//              jump_size * v_s at a uniform time in the minute;
//   intrabar   high and low are drawn from the Brownian-bridge extreme distribution between the
//              open, the jump and the close, so a jump shows as a large intrabar move, never a
//              gap: the open of a bar is always the close of the previous one;
//   volume     base * m_t^elasticity * (1 + k |r| / v_s) / (1 + k sqrt(2 / pi))
//              * exp(n w - n^2 / 2), the product before the noise capped at 50, rounded down
//              to the quantity step; turnover is the volume times (open + high + low + close) / 4.
// Here v_s is the symbol's per-minute volatility annual_volatility / sqrt(525600) and sigma_s
// the diffusive part of it, chosen so that the long-run variance of the returns, jumps
// included, is exactly v_s^2: the configured annual volatility is the realised one in the long
// run. A symbol may be listed in several domains (spot and perp of the same coin): its
// listings follow the one price path, each with its own tick grid, volume and a small
// mean-reverting log basis (0 for the reference listing).
//
// Determinism: the output is a pure function of the config. Random numbers come from
// std::mt19937_64 (fully specified by the standard) through this file's own uniform, normal
// (AS241) and Poisson transforms, and exp, log and cos are computed here from + - * / sqrt,
// frexp and ldexp, so the bars are the same bit for bit with any conforming compiler and
// library on IEEE-754 doubles (without FMA contraction, which -std=c++20 leaves off). Each
// symbol and listing draws from its own stream, so adding a symbol to the universe leaves the
// bars of the others unchanged.
//
// Threading: not thread-safe; one SimulatedMarket is driven from one thread (the feed's).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

#include "core/decimal.hpp"
#include "core/interfaces.hpp"
#include "core/symbol.hpp"
#include "core/time.hpp"
#include "data/market_events.hpp"

namespace gauntlet::data {

// The market-wide volatility regime.
enum class MarketRegime { kCalm, kNormal, kTurbulent };
inline constexpr std::size_t kMarketRegimeCount = 3;

std::string_view to_string(MarketRegime regime);

// One market of a simulated symbol: the symbol as traded in one domain.
struct SimulatedListing {
  Asset domain = Asset::kSpot;
  Decimal tick_size;       // prices are rounded to this grid
  Decimal qty_step;        // volumes are rounded down to this grid
  double base_volume = 0;  // about the mean volume of a 1m bar, in base units
  // Stationary standard deviation of the log basis against the symbol's price path (a
  // perpetual's premium); 0 for the listing that is the reference price.
  double basis_stddev = 0;
};

// One simulated price path (a coin) and the markets that trade it.
struct SimulatedSymbol {
  Symbol symbol;
  Decimal start_price;           // the open of the first bar, before rounding to each tick
  double annual_volatility = 0;  // long-run volatility of the log returns, jumps included
  std::vector<SimulatedListing> listings;
};

struct SimulatedRegime {
  double volatility_multiplier = 1;      // relative; normalised over the stationary mix
  double jump_intensity_multiplier = 1;  // scales jump_intensity in this regime
};

struct SimulatedMarketConfig {
  uint64_t seed = 0;
  TimestampMs start = 0;  // open time of the first bar, aligned to the minute
  std::vector<SimulatedSymbol> symbols;

  // Correlation of the diffusive 1m log returns of two different symbols (one-factor model),
  // in [0, 1]. Jumps are idiosyncratic, so the correlation of the total returns is lower by
  // the jump share of the variance.
  double correlation = 0.6;

  // Indexed by MarketRegime.
  std::array<SimulatedRegime, kMarketRegimeCount> regimes = {{
      {0.6, 0.5},  // calm
      {1.0, 1.0},  // normal
      {2.2, 4.0},  // turbulent
  }};
  // regime_transitions[from][to]: the probability per minute; each row sums to 1 and the chain
  // must have a unique stationary distribution. The default holds calm for 8 h, normal for
  // 12 h and turbulent for 1.5 h on average.
  std::array<std::array<double, kMarketRegimeCount>, kMarketRegimeCount> regime_transitions = {{
      {1 - 1.0 / 480, 0.9 / 480, 0.1 / 480},
      {0.6 / 720, 1 - 1.0 / 720, 0.4 / 720},
      {0.2 / 90, 0.8 / 90, 1 - 1.0 / 90},
  }};

  // The market-wide AR(1) log-volatility factor: its coefficient per minute, in [0, 1), and
  // stationary standard deviation (0 turns it off).
  double log_volatility_persistence = 0.995;
  double log_volatility_stddev = 0.25;

  // Intraday seasonality of volatility (and so volume), peaking at 15:00 UTC; in [0, 1).
  double intraday_amplitude = 0.2;

  // Expected jumps per symbol per minute at jump_intensity_multiplier 1 (one a day), and the
  // standard deviation of a jump's log return in units of the symbol's per-minute volatility.
  // The jumps' share of the long-run variance must stay below 0.9.
  double jump_intensity = 1.0 / 1440;
  double jump_size = 10;

  double volume_volatility_elasticity = 0.5;  // volume ~ m_t^elasticity
  double volume_return_sensitivity = 0.8;     // volume ~ 1 + k |return| / per-minute volatility
  double volume_noise = 0.4;                  // standard deviation of the log-normal noise

  // AR(1) coefficient per minute of every listing's log basis, in [0, 1).
  double basis_persistence = 0.98;

  // A universe like Bybit's majors, spot and linear perpetual: BTC, ETH, SOL, XRP, DOGE, ADA,
  // BNB, LTC, LINK, AVAX with realistic prices, ticks, quantity steps and volatilities.
  static SimulatedMarketConfig default_crypto(uint64_t seed, TimestampMs start);
};

// The trading rules of every listing of `config`, as the simulated venue lists them: its tick
// and quantity step, a minimum quantity of one step, no minimum notional; status "Trading".
std::vector<InstrumentInfo> listed_instruments(const SimulatedMarketConfig& config);

class SimulatedMarket {
 public:
  // Throws ConfigError listing every problem of the config.
  explicit SimulatedMarket(SimulatedMarketConfig config);

  // Generates the 1m bar of every listing for the minute opening at next_time() and advances
  // one minute. The bars are in config order: symbols, then each symbol's listings. The
  // vector is reused: the next call overwrites it.
  const std::vector<BarClosed>& next_minute();

  // The quotes of the minute last generated, one per bar in the same order, as a replay
  // derives them from bars: last = bid = close, ask = close + one tick, sizes zero (not
  // provided), mark = close on perpetuals and zero elsewhere, and 24h volume and turnover
  // summed over the bars generated in the last 24 h, saturating at Decimal::max() (a day of
  // BTC perpetual turnover can exceed Decimal's range). Empty before the first minute.
  const std::vector<QuoteUpdated>& quotes() const { return quotes_; }

  TimestampMs next_time() const { return next_time_; }
  // The regime of the minute last generated (before the first: of the first).
  MarketRegime regime() const { return regime_; }
  // m_t of the minute last generated: the diffusive volatility relative to the long-run one.
  double volatility_multiplier() const { return volatility_multiplier_; }
  // The long-run share of the jumps in the variance of the returns.
  double jump_variance_share() const { return jump_variance_share_; }
  // The stationary probabilities of the regimes.
  const std::array<double, kMarketRegimeCount>& regime_probabilities() const { return stationary_; }
  const SimulatedMarketConfig& config() const { return config_; }

 private:
  struct ListingState {
    Decimal tick_size;
    Decimal qty_step;
    double base_volume = 0;
    double basis_innovation = 0;  // standard deviation of the basis step
    double basis = 0;
    Decimal close;
    std::mt19937_64 random;
    std::vector<Decimal> volume_ring;  // one slot per minute of the last day
    std::vector<Decimal> turnover_ring;
    __int128 volume_24h = 0;  // raw Decimal counts: a day of BTC perp turnover exceeds Decimal
    __int128 turnover_24h = 0;
  };
  struct SymbolState {
    double log_price = 0;
    double minute_volatility = 0;     // v_s
    double diffusive_volatility = 0;  // sigma_s
    double jump_stddev = 0;
    std::array<double, kMarketRegimeCount> compensator{};  // expected e^J - 1 per minute
    std::mt19937_64 random;
    std::size_t first_listing = 0;
    std::size_t listing_count = 0;
  };

  void step_market();
  void step_symbol(SymbolState& symbol);

  SimulatedMarketConfig config_;
  std::mt19937_64 market_random_;
  std::array<double, kMarketRegimeCount> stationary_{};
  std::array<double, kMarketRegimeCount> regime_scale_{};  // g
  std::vector<double> season_;                             // q per minute of the day
  double jump_variance_share_ = 0;
  double log_volatility_innovation_ = 0;  // eta

  TimestampMs next_time_ = 0;
  uint64_t minutes_generated_ = 0;
  MarketRegime regime_ = MarketRegime::kNormal;
  double log_volatility_ = 0;  // h
  double common_shock_ = 0;    // Z_t
  double volatility_multiplier_ = 1;

  std::vector<SymbolState> symbols_;
  std::vector<ListingState> listings_;
  std::vector<BarClosed> bars_;
  std::vector<QuoteUpdated> quotes_;
};

}  // namespace gauntlet::data
