// File: orders/sl_tp_manager.hpp
//
// SlTpManager: the owner of stop loss / take profit protection (seed 001 §4.2). Every position
// the engine opens is protected, one of three ways, chosen from the broker's capabilities:
//   - at the entry: the venue attaches the levels when the entry fills (entry_tp_sl: Bybit
//     create with takeProfit/stopLoss); attach() then only waits for ProtectionSet;
//   - on the position: after the fill, set_protection() on the venue (position_tp_sl: Bybit
//     trading-stop); its passkey makes this module the only one that can;
//   - emulated: the engine watches the last price (on_price) and, when a level is crossed, asks
//     the order router for a reduce-only market exit through the `exit` callback.
// sync(positions) re-attaches after a restart or reconnect (the pnl_reconciler calls it with the
// venue's positions at every reconciliation): a position whose levels are known (from attach or
// from the journal) but missing on the venue gets them again (the levels a ProtectionSet
// reports, on the venue's tick, replace the ones asked for, so that a level the venue rounded
// is not taken for a lost one); a position with no known levels
// raises the alarm (ProtectionMissing) - a position without protection is never silent.
// enforce() makes protection an invariant, on a timer: an open position that has had no
// confirmed protection (the venue's acknowledgement, or emulation) for the grace time, or
// whose emulated exit has not completed in that time, raises ProtectionMissing and is
// flattened through the exit callback.
//
// Threading: single-threaded, on the engine loop.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "brokers/common/broker.hpp"
#include "brokers/common/broker_events.hpp"
#include "core/event_bus.hpp"
#include "core/orders.hpp"

namespace gauntlet::orders {

// How a position is protected.
enum class ProtectionMode { kAtEntry, kOnPosition, kEmulated };

// The alarm: a position is open and nothing protects it.
struct ProtectionMissing {
  Asset asset = Asset::kSpot;
  Symbol symbol;
  std::string reason;
  TimestampMs time = 0;
};

// An emulated level was crossed; the router is asked to exit.
struct EmulatedProtectionTriggered {
  Asset asset = Asset::kSpot;
  Symbol symbol;
  bool stop_loss = true;
  Decimal price;
  TimestampMs time = 0;
};

struct Protection {
  Asset asset = Asset::kSpot;
  Symbol symbol;
  OrderSide position_side = OrderSide::kBuy;
  Decimal quantity;
  Decimal stop_loss;
  Decimal take_profit;
  TriggerPrice trigger = TriggerPrice::kLast;
  ProtectionMode mode = ProtectionMode::kEmulated;
  bool confirmed = false;  // the venue acknowledged it (always true when emulated)
  std::string protection_id;
  std::optional<TimestampMs> exit_requested_at;  // an emulated level fired; the exit is on its way
};

class SlTpManager {
 public:
  // `exit` closes a position with a reduce-only market order (the router's close path).
  using ExitRequest = std::function<void(Asset, const Symbol&, OrderSide position_side,
                                         Decimal quantity, const std::string& reason)>;

  SlTpManager(EventBus& bus, ExitRequest exit);

  void route(Asset asset, brokers::Broker& broker);

  // The mode attach() will use for `asset` with its broker.
  ProtectionMode mode_for(Asset asset) const;

  // Protects the position that `entry` opened or grew to `position_quantity`.
  void attach(const OrderRequest& entry, Decimal position_quantity, TimestampMs now);
  // The position is closed: forget its protection.
  void detach(Asset asset, const Symbol& symbol);

  // After a restart or reconnect: makes every open position protected again, or raises
  // ProtectionMissing for one whose levels are unknown.
  void sync(const std::vector<Position>& positions, TimestampMs now);

  // The last traded price of a symbol, for emulated protection.
  void on_price(Asset asset, const Symbol& symbol, Decimal price, TimestampMs time);
  // A closed bar's range, for emulated protection on bar feeds: the adverse extreme is checked
  // first (a bar that touches both levels stops out, as the paper venue reads it).
  void on_range(Asset asset, const Symbol& symbol, Decimal low, Decimal high, TimestampMs time);

  // The invariant (see the file comment). Returns the positions it flattened.
  std::vector<Position> enforce(const std::vector<Position>& positions, TimestampMs now,
                                DurationMs grace);

  const Protection* protection(Asset asset, const Symbol& symbol) const;
  std::size_t protected_count() const { return protections_.size(); }

 private:
  using Key = std::pair<Asset, std::string>;
  void place(Protection& protection, TimestampMs now);

  EventBus& bus_;
  ExitRequest exit_;
  std::map<Asset, brokers::Broker*> brokers_;
  std::map<Key, Protection> protections_;
  std::map<Key, TimestampMs> unprotected_since_;  // positions enforce() found bare
  std::set<std::string> confirmed_ids_;           // ProtectionSet before its entry's attach()
  std::vector<Subscription> subscriptions_;
  uint64_t sequence_ = 0;
};

}  // namespace gauntlet::orders
