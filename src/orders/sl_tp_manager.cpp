#include "orders/sl_tp_manager.hpp"

#include <fmt/format.h>

#include "core/check.hpp"
#include "core/logging.hpp"

namespace gauntlet::orders {
namespace {

auto& log() {
  static auto logger = module_logger("sl_tp_manager");
  return *logger;
}

}  // namespace

SlTpManager::SlTpManager(EventBus& bus, ExitRequest exit) : bus_(bus), exit_(std::move(exit)) {
  subscriptions_.push_back(bus_.subscribe<brokers::ProtectionSet>([this](const auto& event) {
    const auto found = protections_.find({event.asset, event.symbol.canonical()});
    if (found != protections_.end()) {
      found->second.confirmed = true;
      // The levels as the venue holds them (on its tick): what sync() compares with later.
      if (event.stop_loss.is_positive()) found->second.stop_loss = event.stop_loss;
      if (event.take_profit.is_positive()) found->second.take_profit = event.take_profit;
    } else {
      // Protection set with the entry can be acknowledged before the entry's fill reaches
      // attach(): remembered for it.
      confirmed_ids_.insert(event.protection_id);
    }
  }));
  subscriptions_.push_back(bus_.subscribe<brokers::ProtectionRejected>([this](const auto& event) {
    const auto found = protections_.find({event.asset, event.symbol.canonical()});
    if (found == protections_.end()) return;
    // The venue refused: protect it in the engine rather than leave it bare, and say so.
    found->second.mode = ProtectionMode::kEmulated;
    found->second.confirmed = true;
    log().warn("protection refused by the venue, emulating it asset={} symbol={} reason={}",
               to_string(event.asset), event.symbol.canonical(), event.failure.message);
    bus_.publish(ProtectionMissing{
        event.asset, event.symbol,
        "venue refused protection (" + event.failure.message + "); emulated in the engine",
        event.time});
  }));
}

void SlTpManager::route(Asset asset, brokers::Broker& broker) {
  brokers_[asset] = &broker;
}

ProtectionMode SlTpManager::mode_for(Asset asset) const {
  const auto found = brokers_.find(asset);
  if (found == brokers_.end()) return ProtectionMode::kEmulated;
  const brokers::BrokerCapabilities capabilities = found->second->capabilities(asset);
  if (capabilities.entry_tp_sl) return ProtectionMode::kAtEntry;
  if (capabilities.position_tp_sl) return ProtectionMode::kOnPosition;
  return ProtectionMode::kEmulated;
}

void SlTpManager::attach(const OrderRequest& entry, Decimal position_quantity, TimestampMs now) {
  GAUNTLET_CHECK(entry.stop_loss > Decimal::zero() && entry.take_profit > Decimal::zero(),
                 "entry {} reached attach() without stop loss and take profit",
                 entry.client_order_id);
  Protection& protection = protections_[{entry.asset, entry.symbol.canonical()}];
  const bool fresh = protection.quantity == Decimal::zero();
  protection.asset = entry.asset;
  protection.symbol = entry.symbol;
  protection.position_side = entry.side;
  protection.quantity = position_quantity;
  protection.stop_loss = entry.stop_loss;
  protection.take_profit = entry.take_profit;
  protection.trigger = entry.trigger;
  protection.mode = mode_for(entry.asset);
  if (fresh) protection.protection_id = entry.client_order_id;
  if (protection.mode == ProtectionMode::kAtEntry) {  // the venue sets it at the fill
    if (confirmed_ids_.erase(entry.client_order_id) > 0) protection.confirmed = true;
    return;
  }
  place(protection, now);
}

void SlTpManager::place(Protection& protection, TimestampMs) {
  if (protection.mode == ProtectionMode::kEmulated) {
    protection.confirmed = true;
    return;
  }
  protection.confirmed = false;
  brokers::ProtectionRequest request;
  request.protection_id = fmt::format("{}-{}", protection.protection_id, ++sequence_);
  request.asset = protection.asset;
  request.symbol = protection.symbol;
  request.position_side = protection.position_side;
  request.quantity = protection.quantity;
  request.stop_loss = protection.stop_loss;
  request.take_profit = protection.take_profit;
  request.trigger = protection.trigger;
  brokers_.at(protection.asset)->set_protection(brokers::ProtectionKey{}, request);
}

void SlTpManager::detach(Asset asset, const Symbol& symbol) {
  protections_.erase({asset, symbol.canonical()});
  unprotected_since_.erase({asset, symbol.canonical()});
}

void SlTpManager::sync(const std::vector<Position>& positions, TimestampMs now) {
  for (const Position& position : positions) {
    const Key key{position.asset, position.symbol.canonical()};
    auto found = protections_.find(key);
    const bool on_venue =
        position.stop_loss > Decimal::zero() && position.take_profit > Decimal::zero();
    if (found == protections_.end()) {
      if (on_venue) {  // protected on the venue; adopt the venue's levels
        Protection adopted;
        adopted.asset = position.asset;
        adopted.symbol = position.symbol;
        adopted.position_side = position.side;
        adopted.quantity = position.quantity;
        adopted.stop_loss = position.stop_loss;
        adopted.take_profit = position.take_profit;
        adopted.trigger = position.trigger;
        adopted.mode = mode_for(position.asset) == ProtectionMode::kEmulated
                           ? ProtectionMode::kEmulated
                           : ProtectionMode::kOnPosition;
        adopted.confirmed = true;
        adopted.protection_id = "adopted-" + position.symbol.canonical();
        protections_.emplace(key, std::move(adopted));
        continue;
      }
      log().error("unprotected position asset={} symbol={} quantity={}", to_string(position.asset),
                  position.symbol.canonical(), position.quantity.to_string());
      bus_.publish(ProtectionMissing{position.asset, position.symbol,
                                     "open position with no known stop loss or take profit", now});
      continue;
    }
    Protection& protection = found->second;
    protection.quantity = position.quantity;
    protection.position_side = position.side;
    if (protection.mode == ProtectionMode::kEmulated) continue;
    const bool matches = position.stop_loss == protection.stop_loss &&
                         position.take_profit == protection.take_profit;
    if (matches) {
      protection.confirmed = true;  // the venue holds it (e.g. after a restart)
    } else {                        // lost on the venue (restart, reconnect): set it again
      if (protection.mode == ProtectionMode::kAtEntry)
        protection.mode = ProtectionMode::kOnPosition;
      if (mode_for(position.asset) == ProtectionMode::kEmulated) {
        protection.mode = ProtectionMode::kEmulated;
      }
      place(protection, now);
    }
  }
}

void SlTpManager::on_price(Asset asset, const Symbol& symbol, Decimal price, TimestampMs time) {
  const auto found = protections_.find({asset, symbol.canonical()});
  if (found == protections_.end() || found->second.mode != ProtectionMode::kEmulated) return;
  Protection& protection = found->second;
  if (protection.exit_requested_at) return;  // one exit per trigger; enforce() retries it
  const bool long_side = protection.position_side == OrderSide::kBuy;
  const bool stop = long_side ? price <= protection.stop_loss : price >= protection.stop_loss;
  const bool target = long_side ? price >= protection.take_profit : price <= protection.take_profit;
  if (!stop && !target) return;
  protection.exit_requested_at = time;
  const Protection fired = protection;  // the exit may detach it
  bus_.publish(EmulatedProtectionTriggered{asset, symbol, stop, price, time});
  exit_(asset, symbol, fired.position_side, fired.quantity, stop ? "stop_loss" : "take_profit");
}

void SlTpManager::on_range(Asset asset, const Symbol& symbol, Decimal low, Decimal high,
                           TimestampMs time) {
  const auto found = protections_.find({asset, symbol.canonical()});
  if (found == protections_.end() || found->second.mode != ProtectionMode::kEmulated) return;
  const bool long_side = found->second.position_side == OrderSide::kBuy;
  on_price(asset, symbol, long_side ? low : high, time);
  on_price(asset, symbol, long_side ? high : low, time);
}

std::vector<Position> SlTpManager::enforce(const std::vector<Position>& positions, TimestampMs now,
                                           DurationMs grace) {
  std::vector<Position> flattened;
  std::map<Key, TimestampMs> still_bare;
  for (const Position& position : positions) {
    const Key key{position.asset, position.symbol.canonical()};
    const auto found = protections_.find(key);
    std::string problem;
    TimestampMs since = now;
    if (found == protections_.end()) {
      problem = "no stop loss or take profit is known";
    } else if (found->second.exit_requested_at) {
      problem = "its emulated exit has not completed";
      since = *found->second.exit_requested_at;
    } else if (!found->second.confirmed && found->second.mode != ProtectionMode::kEmulated) {
      problem = "the venue has not confirmed its stop loss and take profit";
    } else {
      continue;  // protected
    }
    const auto seen = unprotected_since_.find(key);
    if (seen != unprotected_since_.end()) since = std::min(since, seen->second);
    if (now - since < grace) {
      still_bare[key] = since;
      continue;
    }
    log().error("position unprotected past the grace time asset={} symbol={} problem={}",
                to_string(position.asset), position.symbol.canonical(), problem);
    bus_.publish(ProtectionMissing{
        position.asset, position.symbol,
        fmt::format("unprotected for {} ms ({}); flattening", now - since, problem), now});
    if (found != protections_.end()) found->second.exit_requested_at = now;
    still_bare[key] = now;  // the next flatten, if this one does not complete, after `grace`
    exit_(position.asset, position.symbol, position.side, position.quantity, "protection_missing");
    flattened.push_back(position);
  }
  unprotected_since_ = std::move(still_bare);
  return flattened;
}

const Protection* SlTpManager::protection(Asset asset, const Symbol& symbol) const {
  const auto found = protections_.find({asset, symbol.canonical()});
  return found == protections_.end() ? nullptr : &found->second;
}

}  // namespace gauntlet::orders
