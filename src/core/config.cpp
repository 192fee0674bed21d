#include "core/config.hpp"

#include <nlohmann/json.hpp>

namespace gauntlet::config {

RiskLimits default_risk(Asset asset) {
  RiskLimits limits;
  switch (asset) {
    case Asset::kSpot:
      return limits;
    case Asset::kPerp:
      limits.risk_fraction = 0.0075;
      limits.max_leverage = 3.0;
      limits.daily_loss_cap = 0.04;
      limits.max_open_positions = 4;
      return limits;
    case Asset::kForex:
      limits.risk_fraction = 0.005;
      limits.min_sl_fraction = 0.0005;
      limits.max_sl_fraction = 0.02;
      limits.max_leverage = 5.0;
      limits.daily_loss_cap = 0.03;
      limits.max_open_positions = 3;
      return limits;
    case Asset::kOptions:
      limits.risk_fraction = 0.0025;
      limits.max_leverage = 1.0;
      limits.daily_loss_cap = 0.02;
      limits.per_strategy_cap = 0.10;
      limits.max_open_positions = 2;
      limits.drawdown_throttle_start = 0.03;
      limits.drawdown_halt = 0.10;
      return limits;
  }
  return limits;
}

ExposureCaps default_exposure_caps() {
  ExposureCaps caps;
  caps.clusters = {
      {"btc_and_l1s", {"BTCUSDT", "ETHUSDT", "SOLUSDT", "AVAXUSDT", "ADAUSDT", "DOTUSDT"}, 2, 0.30},
      {"usd_majors", {"EURUSD", "GBPUSD", "AUDUSD", "USDJPY", "USDCHF", "USDCAD"}, 2, 0.30},
  };
  return caps;
}

FeeModel default_fee_model() {
  using namespace gauntlet::literals;
  FeeModel model;
  // Bybit V5 base tier: spot 0.1 % both sides; USDT perpetuals 0.02 % maker, 0.055 % taker.
  model.venues["bybit"][Asset::kSpot] = {"0.001"_d, "0.001"_d, Decimal::zero(), Decimal::zero()};
  model.venues["bybit"][Asset::kPerp] = {"0.0002"_d, "0.00055"_d, Decimal::zero(), Decimal::zero()};
  // IBKR: conservative estimates to replace with the account's real rates: FX 0.2 bp of
  // value with a USD 2 minimum per order; FX options USD 2 per contract.
  model.venues["ibkr"][Asset::kForex] = {"0.00002"_d, "0.00002"_d, "2"_d, Decimal::zero()};
  model.venues["ibkr"][Asset::kOptions] = {Decimal::zero(), Decimal::zero(), Decimal::zero(),
                                           "2"_d};
  return model;
}

Budgets default_budgets() {
  using namespace gauntlet::literals;
  return Budgets{{"250"_d, "250"_d, "250"_d, "250"_d}, "100"_d};
}

std::optional<std::string> asset_disabled_reason(const Config& config, Asset asset) {
  switch (asset) {
    case Asset::kSpot:
      if (config.exchange_profile == ExchangeProfile::kPerp) return "exchange_profile is perp";
      return std::nullopt;
    case Asset::kPerp:
      if (config.exchange_profile == ExchangeProfile::kSpot) return "exchange_profile is spot";
      return std::nullopt;
    case Asset::kForex:
      if (!config.forex_enabled) return "forex_enabled is off";
      return std::nullopt;
    case Asset::kOptions:
      if (!config.options_enabled) return "options_enabled is off";
      return std::nullopt;
  }
  return std::nullopt;
}

std::map<std::string, std::set<int>> default_critical_error_codes() {
  return {
      // invalid key, signature error, permission denied, IP not whitelisted
      {"bybit", {10003, 10004, 10005, 10010}},
      // clientId in use, cannot connect, not connected, IB link lost, TWS-server link broken
      {"ibkr", {326, 502, 504, 1100, 2110}},
  };
}

std::string_view to_string(Environment environment) {
  return environment == Environment::kSimulation ? "simulation" : "production";
}

std::string_view to_string(BybitEnvironment environment) {
  switch (environment) {
    case BybitEnvironment::kMainnet:
      return "mainnet";
    case BybitEnvironment::kTestnet:
      return "testnet";
    case BybitEnvironment::kDemo:
      return "demo";
  }
  return "mainnet";
}

std::string_view to_string(ExchangeProfile profile) {
  switch (profile) {
    case ExchangeProfile::kSpot:
      return "spot";
    case ExchangeProfile::kPerp:
      return "perp";
    case ExchangeProfile::kSpotPerp:
      return "spot+perp";
  }
  return "spot+perp";
}

std::string_view to_string(Rotation rotation) {
  return rotation == Rotation::kRoundRobin ? "round_robin" : "round_robin_with_boost";
}

namespace {

nlohmann::json risk_json(const RiskLimits& risk) {
  return {
      {"risk_fraction", risk.risk_fraction},
      {"min_sl_fraction", risk.min_sl_fraction},
      {"max_sl_fraction", risk.max_sl_fraction},
      {"min_sl_atr", risk.min_sl_atr},
      {"max_sl_atr", risk.max_sl_atr},
      {"daily_loss_cap", risk.daily_loss_cap},
      {"per_strategy_cap", risk.per_strategy_cap},
      {"max_leverage", risk.max_leverage},
      {"drawdown_throttle_start", risk.drawdown_throttle_start},
      {"drawdown_halt", risk.drawdown_halt},
      {"max_open_positions", risk.max_open_positions},
      {"max_holding_time", format_duration(risk.max_holding_time)},
      {"cooldown_after_loss", format_duration(risk.cooldown_after_loss)},
  };
}

}  // namespace

nlohmann::json to_json(const Config& config) {
  nlohmann::json risk = nlohmann::json::object();
  for (Asset asset : kAllAssets)
    risk[std::string(to_string(asset))] = risk_json(config.risk_for(asset));

  nlohmann::json clusters = nlohmann::json::object();
  for (const Cluster& cluster : config.exposure_caps.clusters) {
    clusters[cluster.name] = {{"symbols", cluster.symbols},
                              {"max_concurrent", cluster.max_concurrent},
                              {"max_allocation_fraction", cluster.max_allocation_fraction}};
  }

  nlohmann::json fees = nlohmann::json::object();
  for (const auto& [venue, assets] : config.fee_model.venues) {
    for (const auto& [asset, rates] : assets) {
      fees[venue][std::string(to_string(asset))] = {
          {"maker", rates.maker.to_string()},
          {"taker", rates.taker.to_string()},
          {"minimum_per_order", rates.minimum_per_order.to_string()},
          {"per_contract", rates.per_contract.to_string()}};
    }
  }

  nlohmann::json budgets = {{"reallocation_step", config.budgets.reallocation_step.to_string()}};
  for (Asset asset : kAllAssets) {
    budgets["allocation"][std::string(to_string(asset))] =
        config.budgets.allocation[static_cast<std::size_t>(asset)].to_string();
  }

  return {
      {"environment", to_string(config.environment)},
      {"rollout_stage", config.rollout_stage},
      {"exchange_profile", to_string(config.exchange_profile)},
      {"forex_enabled", config.forex_enabled},
      {"options_enabled", config.options_enabled},
      {"historical_data_path", config.historical_data_path},
      {"state_dir", config.state_dir},
      {"secrets_file", config.secrets_file},
      {"live_loop_interval", format_duration(config.live_loop_interval)},
      {"simulation_order_delay", format_duration(config.simulation_order_delay)},
      {"protection_grace", format_duration(config.protection_grace)},
      {"order_ack_timeout", format_duration(config.order_ack_timeout)},
      {"timeframes",
       {{"primary", to_string(config.timeframes.primary)},
        {"confirm", to_string(config.timeframes.confirm)}}},
      {"risk", risk},
      {"exposure_caps",
       {{"clusters", clusters},
        {"max_correlation", config.exposure_caps.max_correlation},
        {"correlation_window_bars", config.exposure_caps.correlation_window_bars},
        {"max_concurrent_total", config.exposure_caps.max_concurrent_total}}},
      {"exploration",
       {{"active_candidates_per_asset", config.exploration.active_candidates_per_asset},
        {"rotation", to_string(config.exploration.rotation)},
        {"boost_factor", config.exploration.boost_factor},
        {"max_trades_per_hour_per_candidate", config.exploration.max_trades_per_hour_per_candidate},
        {"cooldown_after_trade", format_duration(config.exploration.cooldown_after_trade)},
        {"min_paper_trades", config.exploration.min_paper_trades},
        {"retire_after_trades", config.exploration.retire_after_trades},
        {"retire_below_profit_factor", config.exploration.retire_below_profit_factor},
        {"max_validation_attempts", config.exploration.max_validation_attempts}}},
      {"validation",
       {{"min_profit_factor", config.validation.min_profit_factor},
        {"min_sharpe", config.validation.min_sharpe},
        {"max_drawdown", config.validation.max_drawdown},
        {"max_cvar_95", config.validation.max_cvar_95},
        {"reconciliation_tolerance", config.validation.reconciliation_tolerance},
        {"min_dsr", config.validation.min_dsr},
        {"max_pbo", config.validation.max_pbo},
        {"min_trades", config.validation.min_trades},
        {"min_history_days", config.validation.min_history_days},
        {"min_tail_observations", config.validation.min_tail_observations}}},
      {"fee_model", fees},
      {"critical_error_codes", config.critical_error_codes},
      {"budgets", budgets},
      {"paper",
       {{"starting_equity", config.paper.starting_equity.to_string()},
        {"top_up_threshold", config.paper.top_up_threshold.to_string()},
        {"top_up_amount", config.paper.top_up_amount.to_string()}}},
      {"ui",
       {{"bind_address", config.ui.bind_address},
        {"port", config.ui.port},
        {"public_read", config.ui.public_read},
        {"quote_push_interval", format_duration(config.ui.quote_push_interval)}}},
      {"telegram",
       {{"enabled", config.telegram.enabled},
        {"allowed_chat_ids", config.telegram.allowed_chat_ids}}},
      {"bybit",
       {{"environment", to_string(config.bybit.environment)},
        {"recv_window", format_duration(config.bybit.recv_window)}}},
      {"universe",
       {{"size", config.universe.size},
        {"min_turnover", config.universe.min_turnover},
        {"min_listing_age", format_duration(config.universe.min_listing_age)},
        {"spike_ratio", config.universe.spike_ratio},
        {"spike_window", config.universe.spike_window},
        {"refresh_interval", format_duration(config.universe.refresh_interval)},
        {"sentiment_file", config.universe.sentiment_file},
        {"sentiment_weight", config.universe.sentiment_weight}}},
  };
}

}  // namespace gauntlet::config
