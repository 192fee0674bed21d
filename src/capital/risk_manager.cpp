#include "capital/risk_manager.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/check.hpp"
#include "core/exceptions.hpp"
#include "core/logging.hpp"

namespace gauntlet::capital {
namespace {

std::size_t index_of(Asset asset) {
  const auto index = static_cast<std::size_t>(asset);
  GAUNTLET_CHECK(index < kAllAssets.size(), "unknown asset index {}", index);
  return index;
}

// A config fraction or multiple as an exact Decimal (0.05 -> 0.05).
Decimal decimal_of(double value) {
  return Decimal::from_double(value);
}

void check_order_invariants(const OrderContext& order) {
  GAUNTLET_CHECK(!order.quantity.is_negative(), "order quantity must not be negative, was {}",
                 order.quantity);
  GAUNTLET_CHECK(!order.reference_price.is_negative(),
                 "order reference_price must not be negative, was {}", order.reference_price);
  GAUNTLET_CHECK(!order.limit_price || !order.limit_price->is_negative(),
                 "order limit_price must not be negative, was {}", *order.limit_price);
  GAUNTLET_CHECK(std::isfinite(order.atr) && order.atr >= 0,
                 "order atr must be finite and not negative, was {}", order.atr);
  GAUNTLET_CHECK(std::isfinite(order.leverage) && order.leverage > 0,
                 "order leverage must be finite and positive, was {}", order.leverage);
}

// The instrument minimums (zero fields are unknown and skipped).
Decision check_minimums(Decimal quantity, Decimal entry, const data::InstrumentInfo& instrument) {
  if (!quantity.is_positive()) {
    return Decision::deny(
        fmt::format("quantity_below_minimum: quantity {} is not positive", quantity));
  }
  if (instrument.min_qty.is_positive() && quantity < instrument.min_qty) {
    return Decision::deny(fmt::format("quantity_below_minimum: quantity {} < min_qty {}", quantity,
                                      instrument.min_qty));
  }
  if (instrument.min_notional.is_positive()) {
    const Decimal notional = quantity * entry;
    if (notional < instrument.min_notional) {
      return Decision::deny(
          fmt::format("notional_below_minimum: notional {} (quantity {} x price {}) < "
                      "min_notional {}",
                      notional, quantity, entry, instrument.min_notional));
    }
  }
  return Decision::allow();
}

// The stop-distance rules of an entry with a stop loss on the correct side.
Decision check_stop_distance(const OrderContext& order, Decimal entry,
                             const config::RiskLimits& limits) {
  const Decimal distance = (entry - order.stop_loss).abs();
  const Decimal min_fraction = decimal_of(limits.min_sl_fraction);
  const Decimal max_fraction = decimal_of(limits.max_sl_fraction);
  const Decimal min_distance = entry * min_fraction;
  const Decimal max_distance = entry * max_fraction;
  if (distance < min_distance) {
    return Decision::deny(
        fmt::format("sl_too_close: stop distance {} < min_sl_fraction {} x entry {} = {}", distance,
                    min_fraction, entry, min_distance));
  }
  if (distance > max_distance) {
    return Decision::deny(
        fmt::format("sl_too_far: stop distance {} > max_sl_fraction {} x entry {} = {}", distance,
                    max_fraction, entry, max_distance));
  }
  if (order.atr > 0) {
    const Decimal atr = decimal_of(order.atr);
    const Decimal min_atr = decimal_of(limits.min_sl_atr);
    const Decimal max_atr = decimal_of(limits.max_sl_atr);
    const Decimal min_atr_distance = atr * min_atr;
    const Decimal max_atr_distance = atr * max_atr;
    if (distance < min_atr_distance) {
      return Decision::deny(
          fmt::format("sl_too_close: stop distance {} < min_sl_atr {} x atr {} = {}", distance,
                      min_atr, atr, min_atr_distance));
    }
    if (distance > max_atr_distance) {
      return Decision::deny(
          fmt::format("sl_too_far: stop distance {} > max_sl_atr {} x atr {} = {}", distance,
                      max_atr, atr, max_atr_distance));
    }
  }
  return Decision::allow();
}

}  // namespace

RiskLimitsByAsset risk_limits_from(const config::Config& config) {
  return config.risk;
}

RiskManager::RiskManager(const RiskLimitsByAsset& limits) : limits_(limits) {}

void RiskManager::set_limits(Asset asset, const config::RiskLimits& limits) {
  limits_[index_of(asset)] = limits;
}

const config::RiskLimits& RiskManager::limits(Asset asset) const {
  return limits_[index_of(asset)];
}

const RiskManager::AssetLedger& RiskManager::ledger(Asset asset) const {
  return ledgers_[index_of(asset)];
}

RiskManager::AssetLedger& RiskManager::ledger(Asset asset) {
  return ledgers_[index_of(asset)];
}

const RiskManager::StrategyLedger* RiskManager::find_strategy(
    Asset asset, const std::string& strategy_id) const {
  const auto& strategies = ledger(asset).strategies;
  const auto found = strategies.find(strategy_id);
  return found == strategies.end() ? nullptr : &found->second;
}

// --- Ledger --------------------------------------------------------------------------------------

void RiskManager::record_equity(Asset asset, Decimal equity, TimestampMs now) {
  AssetLedger& book = ledger(asset);
  book.equity = equity;
  book.peak_equity = std::max(book.peak_equity, equity);
  const config::RiskLimits& l = limits(asset);
  if (drawdown(asset) < decimal_of(l.drawdown_throttle_start)) {
    book.drawdown_since.reset();
  } else if (!book.drawdown_since) {
    book.drawdown_since = now;
  } else if (const TimestampMs stalled_from = std::max(*book.drawdown_since, book.last_entry_at);
             l.drawdown_reset_after > 0 && book.open_positions == 0 &&
             now - stalled_from >= l.drawdown_reset_after) {
    module_logger("risk_manager")
        ->warn("drawdown reset asset={} no entry for {} drawdown={} peak={} restarts at equity={}",
               to_string(asset), format_duration(now - stalled_from), drawdown(asset),
               book.peak_equity, equity);
    book.peak_equity = equity;
    book.drawdown_since.reset();
  }
  const TimestampMs day = floor_to(now, kDayMs);
  if (!book.has_day || day > book.day) {
    book.has_day = true;
    book.day = day;
    book.day_start_equity = equity;
  }
}

void RiskManager::record_transfer(Asset asset, Decimal amount) {
  AssetLedger& book = ledger(asset);
  book.equity += amount;
  book.peak_equity = std::max(book.peak_equity + amount, book.equity);
  if (book.has_day) book.day_start_equity += amount;
}

void RiskManager::record_position_opened(Asset asset, const std::string& strategy_id,
                                         Decimal notional, TimestampMs opened_at,
                                         bool adds_to_position) {
  GAUNTLET_CHECK(!notional.is_negative(), "opened notional must not be negative, was {}", notional);
  AssetLedger& book = ledger(asset);
  if (!adds_to_position) ++book.open_positions;
  book.last_entry_at = std::max(book.last_entry_at, opened_at);
  book.strategies[strategy_id].committed_notional += notional;
}

void RiskManager::record_position_closed(Asset asset, const std::string& strategy_id,
                                         Decimal notional, Decimal realised_pnl,
                                         TimestampMs closed_at, bool closes_position) {
  GAUNTLET_CHECK(!notional.is_negative(), "closed notional must not be negative, was {}", notional);
  AssetLedger& book = ledger(asset);
  StrategyLedger& strategy = book.strategies[strategy_id];
  // The release is valued at the average entry price, the commitment at each fill's: they may
  // differ in the last decimals (a thousandth of a cent here is rounding, not a ledger fault).
  const Decimal rounding = Decimal::parse("0.00001");
  if (book.open_positions == 0 || strategy.committed_notional + rounding < notional) {
    module_logger("risk_manager")
        ->warn(
            "close exceeds the ledger asset={} strategy_id={} open_positions={} committed={} "
            "closed_notional={}",
            to_string(asset), strategy_id, book.open_positions, strategy.committed_notional,
            notional);
  }
  if (closes_position) book.open_positions = std::max(0, book.open_positions - 1);
  strategy.committed_notional = std::max(Decimal::zero(), strategy.committed_notional - notional);
  if (realised_pnl.is_negative()) {
    strategy.last_loss_at = std::max(strategy.last_loss_at.value_or(closed_at), closed_at);
  }
}

Decimal RiskManager::equity(Asset asset) const {
  return ledger(asset).equity;
}

Decimal RiskManager::peak_equity(Asset asset) const {
  return ledger(asset).peak_equity;
}

Decimal RiskManager::drawdown(Asset asset) const {
  const AssetLedger& book = ledger(asset);
  if (!book.peak_equity.is_positive()) return Decimal::zero();
  return (book.peak_equity - book.equity).div(book.peak_equity, Rounding::kCeil);
}

std::optional<Decimal> RiskManager::day_start_equity(Asset asset, TimestampMs now) const {
  const AssetLedger& book = ledger(asset);
  if (!book.has_day || book.day != floor_to(now, kDayMs)) return std::nullopt;
  return book.day_start_equity;
}

Decision RiskManager::daily_loss_halt(Asset asset, TimestampMs now) const {
  const std::optional<Decimal> day_start = day_start_equity(asset, now);
  if (!day_start) return Decision::allow();
  const Decimal loss = daily_loss(asset, now);
  const Decimal cap = decimal_of(limits(asset).daily_loss_cap);
  const Decimal cap_amount = day_start->mul(cap, Rounding::kFloor);
  if (loss < cap_amount) return Decision::allow();
  return Decision::deny(
      fmt::format("daily_loss_cap: loss today {} >= daily_loss_cap {} x day-start equity {} = {}",
                  loss, cap, *day_start, cap_amount));
}

Decision RiskManager::drawdown_halt(Asset asset) const {
  const Decimal current = drawdown(asset);
  const Decimal halt = decimal_of(limits(asset).drawdown_halt);
  if (current < halt) return Decision::allow();
  const AssetLedger& book = ledger(asset);
  return Decision::deny(
      fmt::format("drawdown_halt: drawdown {} from peak {} to equity {} >= drawdown_halt {}",
                  current, book.peak_equity, book.equity, halt));
}

Decimal RiskManager::daily_loss(Asset asset, TimestampMs now) const {
  const std::optional<Decimal> start = day_start_equity(asset, now);
  if (!start) return Decimal::zero();
  return std::max(Decimal::zero(), *start - ledger(asset).equity);
}

int RiskManager::open_positions(Asset asset) const {
  return ledger(asset).open_positions;
}

Decimal RiskManager::committed_notional(Asset asset, const std::string& strategy_id) const {
  const StrategyLedger* strategy = find_strategy(asset, strategy_id);
  return strategy == nullptr ? Decimal::zero() : strategy->committed_notional;
}

Decimal RiskManager::open_notional(Asset asset) const {
  Decimal total;
  for (const auto& [strategy_id, strategy] : ledger(asset).strategies) {
    total += strategy.committed_notional;
  }
  return total;
}

std::optional<TimestampMs> RiskManager::last_loss_at(Asset asset,
                                                     const std::string& strategy_id) const {
  const StrategyLedger* strategy = find_strategy(asset, strategy_id);
  return strategy == nullptr ? std::nullopt : strategy->last_loss_at;
}

Decimal RiskManager::effective_risk_fraction(Asset asset) const {
  const config::RiskLimits& band = limits(asset);
  const Decimal risk_fraction = decimal_of(band.risk_fraction);
  const Decimal start = decimal_of(band.drawdown_throttle_start);
  const Decimal halt = decimal_of(band.drawdown_halt);
  const Decimal current = drawdown(asset);
  if (current >= halt) return Decimal::zero();
  if (current <= start) return risk_fraction;
  // start < current < halt, so halt - start is positive.
  const Decimal remaining = (halt - current).div(halt - start, Rounding::kFloor);
  return risk_fraction.mul(remaining, Rounding::kFloor);
}

// --- Persistence ---------------------------------------------------------------------------------

namespace {

using nlohmann::json;

Decimal decimal_from(const json& value) {
  return Decimal::parse(value.get<std::string>());
}

}  // namespace

std::string RiskManager::save_state() const {
  json assets = json::object();
  for (const Asset asset : kAllAssets) {
    const AssetLedger& book = ledger(asset);
    json strategies = json::object();
    for (const auto& [strategy_id, strategy] : book.strategies) {
      strategies[strategy_id] = {
          {"committed_notional", strategy.committed_notional.to_string()},
          {"last_loss_at", strategy.last_loss_at ? json(*strategy.last_loss_at) : json(nullptr)}};
    }
    assets[std::string(to_string(asset))] = {
        {"equity", book.equity.to_string()},
        {"peak_equity", book.peak_equity.to_string()},
        {"has_day", book.has_day},
        {"day", book.day},
        {"day_start_equity", book.day_start_equity.to_string()},
        {"drawdown_since", book.drawdown_since ? json(*book.drawdown_since) : json(nullptr)},
        {"last_entry_at", book.last_entry_at},
        {"open_positions", book.open_positions},
        {"strategies", std::move(strategies)}};
  }
  return json{{"assets", std::move(assets)}}.dump();
}

void RiskManager::restore_state(const std::string& text) {
  std::array<AssetLedger, 4> ledgers{};
  try {
    const json state = json::parse(text);
    for (const Asset asset : kAllAssets) {
      const json& j = state.at("assets").at(std::string(to_string(asset)));
      AssetLedger& book = ledgers[index_of(asset)];
      book.equity = decimal_from(j.at("equity"));
      book.peak_equity = decimal_from(j.at("peak_equity"));
      book.has_day = j.at("has_day").get<bool>();
      book.day = j.at("day").get<TimestampMs>();
      book.day_start_equity = decimal_from(j.at("day_start_equity"));
      // Absent in a checkpoint written before the drawdown reset existed: no stall yet.
      if (const auto since = j.find("drawdown_since"); since != j.end() && !since->is_null())
        book.drawdown_since = since->get<TimestampMs>();
      book.last_entry_at = j.value("last_entry_at", TimestampMs{0});
      book.open_positions = j.at("open_positions").get<int>();
      if (book.open_positions < 0) {
        throw StateError(fmt::format("risk state: {} has {} open positions, must not be negative",
                                     to_string(asset), book.open_positions));
      }
      const json& strategies = j.at("strategies");
      if (!strategies.is_object()) {
        throw StateError(fmt::format("risk state: the strategies of {} are not an object, was {}",
                                     to_string(asset), strategies.dump()));
      }
      for (const auto& [strategy_id, saved] : strategies.items()) {
        StrategyLedger& strategy = book.strategies[strategy_id];
        strategy.committed_notional = decimal_from(saved.at("committed_notional"));
        if (strategy.committed_notional.is_negative()) {
          throw StateError(fmt::format(
              "risk state: strategy {} on {} has committed notional {}, must not be negative",
              strategy_id, to_string(asset), strategy.committed_notional));
        }
        if (!saved.at("last_loss_at").is_null()) {
          strategy.last_loss_at = saved.at("last_loss_at").get<TimestampMs>();
        }
      }
    }
  } catch (const json::exception& error) {
    throw StateError(std::string("risk state does not parse: ") + error.what());
  } catch (const DecimalError& error) {
    throw StateError(std::string("risk state has a bad number: ") + error.what());
  }
  ledgers_ = std::move(ledgers);
}

// --- Checks --------------------------------------------------------------------------------------

RiskManager::Sizing RiskManager::size_entry(const OrderContext& order,
                                            const data::InstrumentInfo& instrument,
                                            Decimal equity) const {
  const Decimal entry = entry_price(order);
  if (!order.stop_loss.is_positive()) {
    return {
        Decision::deny(fmt::format(
            "missing_protection: sizing needs a stop_loss > 0, got stop_loss {}", order.stop_loss)),
        {},
        {}};
  }
  if (!equity.is_positive()) {
    return {Decision::deny(fmt::format("no_equity: equity {} on {} is not positive", equity,
                                       to_string(order.asset))),
            {},
            {}};
  }
  if (entry == order.stop_loss) {
    return {Decision::deny(fmt::format("zero_stop_distance: entry {} equals stop_loss {}", entry,
                                       order.stop_loss)),
            {},
            {}};
  }
  const Decimal risk_fraction = effective_risk_fraction(order.asset);
  if (risk_fraction.is_zero()) {
    const Decimal halt = decimal_of(limits(order.asset).drawdown_halt);
    return {Decision::deny(fmt::format(
                "drawdown_halt: drawdown {} >= drawdown_halt {}, risk fraction throttled to 0",
                drawdown(order.asset), halt)),
            {},
            risk_fraction};
  }
  Decimal quantity =
      position_size(equity, risk_fraction, entry, order.stop_loss, instrument.qty_step);
  if (instrument.max_qty.is_positive() && quantity > instrument.max_qty) {
    quantity = instrument.qty_step.is_positive()
                   ? instrument.max_qty.round_to_step(instrument.qty_step, Rounding::kFloor)
                   : instrument.max_qty;
  }
  // The risk-based size is an upper bound: cut it to the room the per-strategy cap and the
  // leverage cap leave, so a tight stop gives a smaller position rather than a refusal.
  const config::RiskLimits& band = limits(order.asset);
  const Decimal strategy_room = equity.mul(decimal_of(band.per_strategy_cap), Rounding::kFloor) -
                                committed_notional(order.asset, order.strategy_id);
  const Decimal leverage_room =
      equity.mul(decimal_of(band.max_leverage), Rounding::kFloor) - open_notional(order.asset);
  const bool strategy_binds = strategy_room <= leverage_room;
  const Decimal room = strategy_binds ? strategy_room : leverage_room;
  if (!room.is_positive()) {
    return {Decision::deny(fmt::format("{}: no room left, {} of equity {} already committed",
                                       strategy_binds ? "per_strategy_cap" : "leverage_cap",
                                       strategy_binds
                                           ? committed_notional(order.asset, order.strategy_id)
                                           : open_notional(order.asset),
                                       equity)),
            {},
            risk_fraction};
  }
  Decimal capped = room.div(entry, Rounding::kFloor);
  if (instrument.qty_step.is_positive()) {
    capped = capped.round_to_step(instrument.qty_step, Rounding::kFloor);
  }
  if (capped < quantity) quantity = capped;
  return {std::nullopt, quantity, risk_fraction};
}

SizeResult RiskManager::compute_size(const OrderContext& order,
                                     const data::InstrumentInfo& instrument, Decimal equity) const {
  check_order_invariants(order);
  const Sizing sizing = size_entry(order, instrument, equity);
  if (sizing.refusal) return {*sizing.refusal, Decimal::zero(), sizing.risk_fraction};
  Decision minimums = check_minimums(sizing.quantity, entry_price(order), instrument);
  if (!minimums) return {std::move(minimums), Decimal::zero(), sizing.risk_fraction};
  return {Decision::allow(), sizing.quantity, sizing.risk_fraction};
}

Decision RiskManager::pretrade_check(const OrderContext& order,
                                     const data::InstrumentInfo& instrument,
                                     TimestampMs now) const {
  check_order_invariants(order);
  const Decimal entry = entry_price(order);
  if (order.reduce_only) {
    // Exits are never blocked by entry rules: only the venue's minimums apply.
    return check_minimums(order.quantity, entry, instrument);
  }

  const config::RiskLimits& band = limits(order.asset);
  const AssetLedger& book = ledger(order.asset);
  const std::string_view side = to_string(order.side);

  if (!can_open(order.asset, order.side)) {
    return Decision::deny(
        fmt::format("no_short: {} cannot open a short ({} entry)", to_string(order.asset), side));
  }

  // Protection: every entry carries a stop loss and a take profit, on the correct sides.
  if (!order.stop_loss.is_positive() || !order.take_profit.is_positive()) {
    return Decision::deny(fmt::format(
        "missing_protection: an entry needs stop_loss and take_profit > 0, got stop_loss {} and "
        "take_profit {}",
        order.stop_loss, order.take_profit));
  }
  const bool sides_ok =
      order.side == OrderSide::kBuy
          ? order.stop_loss < order.reference_price && order.reference_price < order.take_profit
          : order.take_profit < order.reference_price && order.reference_price < order.stop_loss;
  if (!sides_ok) {
    return Decision::deny(fmt::format(
        "stop_on_wrong_side: a {} needs {}, got stop_loss {}, reference {}, take_profit {}", side,
        order.side == OrderSide::kBuy ? "stop_loss < reference < take_profit"
                                      : "take_profit < reference < stop_loss",
        order.stop_loss, order.reference_price, order.take_profit));
  }
  if (Decision distance = check_stop_distance(order, entry, band); !distance) return distance;

  // Account state: equity, daily loss, drawdown, concurrency.
  if (!book.equity.is_positive()) {
    return Decision::deny(fmt::format("no_equity: no positive equity recorded for {}, got {}",
                                      to_string(order.asset), book.equity));
  }
  if (Decision loss = daily_loss_halt(order.asset, now); !loss) return loss;
  if (Decision halted = drawdown_halt(order.asset); !halted) return halted;
  if (book.open_positions >= band.max_open_positions) {
    return Decision::deny(fmt::format("max_open_positions: {} open on {} >= max_open_positions {}",
                                      book.open_positions, to_string(order.asset),
                                      band.max_open_positions));
  }

  // Caps on this order's notional.
  Decimal quantity = order.quantity;
  if (quantity.is_zero()) {
    const Sizing sizing = size_entry(order, instrument, book.equity);
    if (sizing.refusal) return *sizing.refusal;
    quantity = sizing.quantity;
  }
  const Decimal notional = quantity * entry;
  const Decimal committed = committed_notional(order.asset, order.strategy_id);
  const Decimal strategy_cap = decimal_of(band.per_strategy_cap);
  const Decimal strategy_limit = book.equity.mul(strategy_cap, Rounding::kFloor);
  if (committed + notional > strategy_limit) {
    return Decision::deny(fmt::format(
        "per_strategy_cap: strategy {} committed {} + order {} = {} > per_strategy_cap {} x "
        "equity {} = {}",
        order.strategy_id, committed, notional, committed + notional, strategy_cap, book.equity,
        strategy_limit));
  }
  if (order.leverage > band.max_leverage) {
    return Decision::deny(fmt::format("leverage_cap: leverage {} > max_leverage {}", order.leverage,
                                      band.max_leverage));
  }
  const Decimal max_leverage = decimal_of(band.max_leverage);
  const Decimal leverage_limit = book.equity.mul(max_leverage, Rounding::kFloor);
  const Decimal asset_notional = open_notional(order.asset);
  if (asset_notional + notional > leverage_limit) {
    return Decision::deny(fmt::format(
        "leverage_cap: open notional {} + order {} = {} > max_leverage {} x equity {} = {}",
        asset_notional, notional, asset_notional + notional, max_leverage, book.equity,
        leverage_limit));
  }

  // The strategy's cooldown after a losing close.
  const std::optional<TimestampMs> lost_at = last_loss_at(order.asset, order.strategy_id);
  if (cooldown_required(lost_at, now, band.cooldown_after_loss)) {
    return Decision::deny(fmt::format("cooldown: strategy {} lost at {}, cooling down until {}",
                                      order.strategy_id, format_iso8601(*lost_at),
                                      format_iso8601(*lost_at + band.cooldown_after_loss)));
  }

  return check_minimums(quantity, entry, instrument);
}

// --- Helpers -------------------------------------------------------------------------------------

Decimal entry_price(const OrderContext& order) {
  const bool limit_order = order.type == OrderType::kLimit || order.type == OrderType::kStopLimit;
  if (limit_order && order.limit_price) return *order.limit_price;
  return order.reference_price;
}

Decimal position_size(Decimal equity, Decimal risk_fraction, Decimal entry, Decimal stop_loss,
                      Decimal qty_step) {
  const Decimal distance = (entry - stop_loss).abs();
  if (!distance.is_positive() || !equity.is_positive() || !risk_fraction.is_positive()) {
    return Decimal::zero();
  }
  const Decimal at_risk = equity.mul(risk_fraction, Rounding::kFloor);
  const Decimal quantity = at_risk.div(distance, Rounding::kFloor);
  if (!qty_step.is_positive()) return quantity;
  return quantity.round_to_step(qty_step, Rounding::kFloor);
}

TpSl compute_tp_sl(OrderSide side, Decimal entry, double atr, double sl_atr_multiple,
                   double reward_risk_ratio, Decimal tick_size) {
  GAUNTLET_CHECK(entry.is_positive(), "entry must be positive, was {}", entry);
  GAUNTLET_CHECK(std::isfinite(atr) && atr >= 0, "atr must be finite and not negative, was {}",
                 atr);
  GAUNTLET_CHECK(std::isfinite(sl_atr_multiple) && sl_atr_multiple >= 0,
                 "sl_atr_multiple must be finite and not negative, was {}", sl_atr_multiple);
  GAUNTLET_CHECK(std::isfinite(reward_risk_ratio) && reward_risk_ratio >= 0,
                 "reward_risk_ratio must be finite and not negative, was {}", reward_risk_ratio);
  GAUNTLET_CHECK(!tick_size.is_negative(), "tick_size must not be negative, was {}", tick_size);
  const bool buy = side == OrderSide::kBuy;
  const auto to_tick = [&](Decimal price, Rounding rounding) {
    return tick_size.is_positive() ? price.round_to_step(tick_size, rounding) : price;
  };
  // Buy: the stop below rounds down (away), the target above rounds down (toward the entry).
  // Sell: the stop above rounds up (away), the target below rounds up (toward the entry).
  const Rounding rounding = buy ? Rounding::kFloor : Rounding::kCeil;
  const Decimal sl_distance = decimal_of(atr).mul(decimal_of(sl_atr_multiple), Rounding::kCeil);
  const Decimal stop_loss = to_tick(buy ? entry - sl_distance : entry + sl_distance, rounding);
  const Decimal tp_distance =
      (entry - stop_loss).abs().mul(decimal_of(reward_risk_ratio), Rounding::kFloor);
  const Decimal take_profit = to_tick(buy ? entry + tp_distance : entry - tp_distance, rounding);
  return {stop_loss, take_profit};
}

bool should_force_exit(TimestampMs opened_at, TimestampMs now, DurationMs max_holding_time) {
  return now - opened_at >= max_holding_time;
}

bool cooldown_required(std::optional<TimestampMs> last_loss_at, TimestampMs now,
                       DurationMs cooldown) {
  return last_loss_at.has_value() && now < *last_loss_at + cooldown;
}

}  // namespace gauntlet::capital
