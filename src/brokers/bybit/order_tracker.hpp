// File: brokers/bybit/order_tracker.hpp
//
// OrderTracker: the one place where Bybit's order and execution records (from the private
// WebSocket or a REST catch-up, in any order, any number of times) become the engine's broker
// events (broker_events.hpp), each exactly once:
//   - an execution of a fill type -> OrderFilled, deduplicated on execId; cumulative quantity
//     summed per order, leaves and status from the record; execution.fast records are skipped
//     (their fee is unknown: the full record follows);
//   - a Funding execution -> FundingApplied, once per execId;
//   - an execution of an order the venue created (no orderLinkId): a TP/SL or liquidation of a
//     position -> ProtectionTriggered (once per order) then OrderFilled under the client id
//     "bybit-<orderId>"; an order placed outside the engine fills under that id too, without a
//     ProtectionTriggered;
//   - an execution of a spot protection order (its orderLinkId says so, above): likewise
//     ProtectionTriggered then OrderFilled under its orderLinkId; its order records make no
//     event (the router never placed it, the broker tracks it);
//   - an order record: OrderAccepted when the engine's order is seen open before its REST ack
//     (an ack lost to a timeout), OrderAmended when quantity, price or trigger changed,
//     OrderCancelled when closed without being filled whole (Cancelled, Deactivated,
//     PartiallyFilledCanceled, or Rejected after some fills), OrderRejected when rejected with
//     nothing filled. A close is held back until the executions it counts have arrived, so a
//     fill never follows its order's cancel.
//
// Threading: single-threaded, on the engine loop; events go through the EventBus.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "brokers/bybit/private_parse.hpp"
#include "brokers/common/broker_events.hpp"
#include "core/event_bus.hpp"
#include "core/orders.hpp"

namespace gauntlet::brokers::bybit {

// The client order id under which the engine sees an order it did not place.
std::string venue_client_id(std::string_view order_id);

// Spot protection orders (conditional sells the broker places for a holding's stop loss and
// take profit, orderFilter=StopOrder): their orderLinkIds start with these, so that any record
// of one, before or after a restart, says what it is.
inline constexpr std::string_view kSpotStopLossPrefix = "gsl-";
inline constexpr std::string_view kSpotTakeProfitPrefix = "gtp-";
// The kind of a spot protection order from its orderLinkId; nullopt for any other order.
std::optional<ProtectionTriggered::Kind> spot_protection_kind(std::string_view order_link_id);

class OrderTracker {
 public:
  explicit OrderTracker(EventBus& bus);

  // The engine sent `request` (before any answer).
  void sent(const OrderRequest& request);
  // The venue acknowledged the create: OrderAccepted, unless the order was seen already.
  void acknowledged(const std::string& client_order_id, const std::string& order_id,
                    TimestampMs time);

  void on_order(const VenueOrder& order);
  void on_execution(const Execution& execution);

  // The latest execTime seen (0 before the first): where a REST catch-up starts.
  TimestampMs last_execution_time() const { return last_execution_time_; }
  // The engine's client id of an execution's order: its orderLinkId, or for an order the venue
  // made (a triggered stop, a liquidation, one placed by hand) the id the tracker gave it.
  std::string client_id_of(const Execution& execution) const;
  // Whether the tracker knows the order (sent by the engine, or seen on the venue).
  bool knows(const std::string& client_order_id) const;
  // The venue's id of an order, once known.
  std::optional<std::string> order_id(const std::string& client_order_id) const;

  // Records that could not become events (a fill whose fee currency is unknown ...).
  uint64_t unusable_records() const { return unusable_; }
  uint64_t duplicate_executions() const { return duplicates_; }

 private:
  struct Tracked {
    std::string client_id;
    std::string order_id;
    Asset asset = Asset::kSpot;
    Symbol symbol;
    Decimal quantity;
    std::optional<Decimal> price;
    std::optional<Decimal> trigger;
    Decimal cumulative;  // from the executions seen
    bool accepted = false;
    bool closed = false;           // OrderCancelled / OrderRejected / filled whole published
    bool protection_told = false;  // ProtectionTriggered published (venue-created orders)
    std::optional<VenueOrder> pending_close;  // a close waiting for its executions
  };

  Tracked& track(const std::string& client_id);
  void publish_close(Tracked& order, const VenueOrder& record);
  void remember_execution(const std::string& exec_id);

  EventBus& bus_;
  std::map<std::string, Tracked> orders_;           // by client id
  std::map<std::string, std::string> by_order_id_;  // venue id -> client id
  std::set<std::string> executions_;                // execIds seen (bounded)
  std::deque<std::string> execution_order_;
  TimestampMs last_execution_time_ = 0;
  uint64_t unusable_ = 0;
  uint64_t duplicates_ = 0;
};

}  // namespace gauntlet::brokers::bybit
