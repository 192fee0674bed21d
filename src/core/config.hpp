// File: core/config.hpp
//
// The typed configuration of Gauntlet: one struct per section of the YAML files under config/
// (seed 000 config.py keys, lower-cased: ENVIRONMENT -> environment, RISK -> risk, ...). Every
// field has the seed's default here; config/default.yaml spells the same values out and a test
// keeps the two equal. ConfigManager (core/config_manager.hpp) parses and validates files into
// these structs; secrets are never part of them (core/secrets.hpp).
//
// Threading: plain values. A Config is immutable once built; reloads build a new one.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/decimal.hpp"
#include "core/interfaces.hpp"
#include "core/time.hpp"

namespace gauntlet::config {

enum class Environment { kSimulation, kProduction };
enum class ExchangeProfile { kSpot, kPerp, kSpotPerp };
enum class Rotation { kRoundRobinWithBoost, kRoundRobin };
// Which Bybit a live session trades on: its hosts (brokers/bybit/hosts.hpp).
enum class BybitEnvironment { kMainnet, kTestnet, kDemo };

// TIMEFRAMES: 15m bars drive signals, 5m bars confirm entries.
struct Timeframes {
  Timeframe primary = Timeframe::k15m;
  Timeframe confirm = Timeframe::k5m;
  friend bool operator==(const Timeframes&, const Timeframes&) = default;
};

// RISK, per asset (reloadable). Fractions are of the asset's allocation (equity), not percent.
struct RiskLimits {
  double risk_fraction = 0.01;     // equity at risk per trade, sized by SL distance
  double min_sl_fraction = 0.002;  // SL distance bounds as a fraction of the entry price
  double max_sl_fraction = 0.05;
  double min_sl_atr = 0.5;  // SL distance bounds in ATR multiples
  double max_sl_atr = 5.0;
  double daily_loss_cap = 0.05;    // loss in a UTC day that stops new entries
  double per_strategy_cap = 0.25;  // share of the allocation one strategy may commit
  double max_leverage = 1.0;
  double drawdown_throttle_start = 0.05;  // drawdown from peak where risk_fraction starts to shrink
  double drawdown_halt = 0.15;            // drawdown from peak where new entries stop
  // After this long in drawdown (beyond drawdown_throttle_start) with no entry and no position
  // open, the peak restarts at the equity then (a halt lifts, the throttle starts from full
  // size again); 0: only a recovery does.
  DurationMs drawdown_reset_after = kDayMs;
  int max_open_positions = 5;
  DurationMs max_holding_time = 2 * kDayMs;         // time-based exit (should_force_exit)
  DurationMs cooldown_after_loss = 30 * kMinuteMs;  // cooldown_required after a losing trade
  friend bool operator==(const RiskLimits&, const RiskLimits&) = default;
};

// The seed's defaults per asset: spot loosest, options tightest.
RiskLimits default_risk(Asset asset);

// EXPOSURE_CAPS (reloadable): symbol clusters with concurrency and allocation caps, and a cap
// on the rolling return correlation between open positions.
struct Cluster {
  std::string name;
  std::vector<std::string> symbols;  // canonical
  int max_concurrent = 2;
  double max_allocation_fraction = 0.30;
  friend bool operator==(const Cluster&, const Cluster&) = default;
};

struct ExposureCaps {
  std::vector<Cluster> clusters;
  double max_correlation = 0.80;
  int correlation_window_bars = 96;  // 24 h of 15m bars
  int max_concurrent_total = 8;
  friend bool operator==(const ExposureCaps&, const ExposureCaps&) = default;
};

ExposureCaps default_exposure_caps();

// EXPLORATION (reloadable): how many candidates explore per asset and how they rotate.
struct Exploration {
  int active_candidates_per_asset = 4;
  Rotation rotation = Rotation::kRoundRobinWithBoost;
  double boost_factor = 2.0;  // weight of a boosted candidate in the rotation
  int max_trades_per_hour_per_candidate = 4;
  DurationMs cooldown_after_trade = 15 * kMinuteMs;
  int min_paper_trades = 100;  // online validation needs at least this many closed trades
  // A candidate whose closed trades reach retire_after_trades with a profit factor below
  // retire_below_profit_factor is retired, and the generator backfills its slot.
  int retire_after_trades = 30;
  double retire_below_profit_factor = 0.7;
  // A candidate the promotion gate refused this many times is retired; before that it explores
  // again and is validated again after min_paper_trades more closed trades.
  int max_validation_attempts = 3;
  friend bool operator==(const Exploration&, const Exploration&) = default;
};

// The promotion gate's criteria (seed 001 §8.5; validation.md §12 for the minimum evidence).
struct ValidationGate {
  double min_profit_factor = 1.5;
  double min_sharpe = 2.0;     // annualised
  double max_drawdown = 0.15;  // fraction of equity
  double max_cvar_95 = 0.01;   // per-period CVaR 95, a loss fraction (15m: 1 % of equity)
  double reconciliation_tolerance = 0.001;  // |engine P&L - broker truth| / allocation
  double min_dsr = 0.95;                    // Deflated Sharpe Ratio over the trial log
  double max_pbo = 0.5;                     // Probability of Backtest Overfitting across the family
  int min_trades = 100;                     // closed trades (N_min)
  int min_history_days = 180;               // 6 months of bars
  int min_tail_observations = 20;           // n·α of CVaR 95 (n >= 400)
  friend bool operator==(const ValidationGate&, const ValidationGate&) = default;
};

// FEE_MODEL: rates as fractions of notional, plus per-order minimum and per-contract charges
// in the quote currency (IBKR style).
struct FeeRates {
  Decimal maker;
  Decimal taker;
  Decimal minimum_per_order;
  Decimal per_contract;
  friend bool operator==(const FeeRates&, const FeeRates&) = default;
};

struct FeeModel {
  std::map<std::string, std::map<Asset, FeeRates>> venues;  // venue -> asset -> rates
  friend bool operator==(const FeeModel&, const FeeModel&) = default;
};

FeeModel default_fee_model();

// Per-asset virtual sub-wallets (budget_manager) and their reallocation step.
struct Budgets {
  std::array<Decimal, 4> allocation;  // by Asset
  Decimal reallocation_step;
  friend bool operator==(const Budgets&, const Budgets&) = default;
};

Budgets default_budgets();

// Paper sessions (session_manager / bankroll_manager).
struct PaperBankroll {
  Decimal starting_equity = Decimal::from_int(1000);
  Decimal top_up_threshold = Decimal::from_int(10);
  Decimal top_up_amount = Decimal::from_int(1000);
  friend bool operator==(const PaperBankroll&, const PaperBankroll&) = default;
};

struct UiConfig {
  std::string bind_address = "127.0.0.1";
  int port = 8080;
  bool public_read = false;
  DurationMs quote_push_interval = 500;
  friend bool operator==(const UiConfig&, const UiConfig&) = default;
};

// universe: the crypto symbol universe's rules (data/symbol_universe.hpp): how many pairs are
// watched, what a pair needs to be, how often it is refreshed, and the sentiment hook: a file
// of scores in [-1, 1] per symbol, read again at each refresh, that raises or lowers a pair's
// priority by up to sentiment_weight of its turnover.
struct UniverseConfig {
  int size = 30;
  double min_turnover = 5e6;  // USD of 24h turnover
  DurationMs min_listing_age = 30 * kDayMs;
  double spike_ratio = 3.0;
  int spike_window = 6;
  DurationMs refresh_interval = kHourMs;
  std::string sentiment_file;  // "" none; relative paths from the working directory
  double sentiment_weight = 0.5;
  friend bool operator==(const UniverseConfig&, const UniverseConfig&) = default;
};

// bybit: the venue of `gauntlet run --venue bybit` (crypto spot and perpetuals).
struct BybitConfig {
  BybitEnvironment environment = BybitEnvironment::kMainnet;
  DurationMs recv_window = 5 * kSecondMs;  // how long a signed request stays valid
  friend bool operator==(const BybitConfig&, const BybitConfig&) = default;
};

struct TelegramConfig {
  bool enabled = false;
  std::vector<int64_t> allowed_chat_ids;
  friend bool operator==(const TelegramConfig&, const TelegramConfig&) = default;
};

std::map<std::string, std::set<int>> default_critical_error_codes();

struct Config {
  Environment environment = Environment::kSimulation;
  int rollout_stage = 0;  // 0 paper only; 1 live spot; 2 + perp; 3 + forex and options
  ExchangeProfile exchange_profile = ExchangeProfile::kSpotPerp;
  bool forex_enabled = false;
  bool options_enabled = false;
  std::string historical_data_path = "data";
  std::string state_dir = "state";
  std::string secrets_file;  // optional KEY=VALUE file outside the repository
  DurationMs live_loop_interval = kSecondMs;
  DurationMs simulation_order_delay = 250;
  // How long an open position may go without confirmed protection (at the venue or emulated)
  // before ProtectionMissing is raised and the position is flattened.
  DurationMs protection_grace = 30 * kSecondMs;
  // How long an order may go without the venue's answer before reconciliation asks the venue
  // about it (found: accepted; filled: recovered; never arrived: resent, then given up).
  DurationMs order_ack_timeout = 10 * kSecondMs;
  Timeframes timeframes;
  std::array<RiskLimits, 4> risk = {default_risk(Asset::kSpot), default_risk(Asset::kPerp),
                                    default_risk(Asset::kForex), default_risk(Asset::kOptions)};
  ExposureCaps exposure_caps = default_exposure_caps();
  Exploration exploration;
  ValidationGate validation;
  FeeModel fee_model = default_fee_model();
  // venue -> error codes that halt the asset and alert (auth, permissions, lost connectivity)
  std::map<std::string, std::set<int>> critical_error_codes = default_critical_error_codes();
  Budgets budgets = default_budgets();
  PaperBankroll paper;
  UiConfig ui;
  TelegramConfig telegram;
  BybitConfig bybit;
  UniverseConfig universe;

  const RiskLimits& risk_for(Asset asset) const { return risk[static_cast<std::size_t>(asset)]; }
  friend bool operator==(const Config&, const Config&) = default;
};

// The sections ConfigManager::reload() may change on a running engine.
inline constexpr std::array<std::string_view, 3> kReloadableSections = {"risk", "exploration",
                                                                        "exposure_caps"};

// Why `asset` takes no new entries under `config`: "exchange_profile is spot" (perpetuals),
// "exchange_profile is perp" (spot), "forex_enabled is off", "options_enabled is off"; nullopt
// when it trades. Open positions of a disabled asset are still reconciled, protected and
// closable.
std::optional<std::string> asset_disabled_reason(const Config& config, Asset asset);

std::string_view to_string(Environment environment);
std::string_view to_string(ExchangeProfile profile);
std::string_view to_string(Rotation rotation);
std::string_view to_string(BybitEnvironment environment);

// The normalised form of a config: every section and field, defaults included, as JSON
// (the seed's get(section) and `gauntlet config show`).
nlohmann::json to_json(const Config& config);

}  // namespace gauntlet::config
