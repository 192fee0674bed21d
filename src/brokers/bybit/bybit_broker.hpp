// File: brokers/bybit/bybit_broker.hpp
//
// BybitBroker: the Broker (brokers/common/broker.hpp) for Bybit V5 spot and USDT perpetuals
// (linear), over the signed private REST client (private_rest.hpp), the private WebSocket
// (private_ws_client.hpp) and the order tracker (order_tracker.hpp), which turns every order
// and execution record into the engine's broker events exactly once, whichever path brought it.
//   submit   the order leaves with orderLinkId = the router's client id, its quantity floored
//            to the instrument's step and its prices onto the tick (a limit never worse than
//            asked: buys down, sells up); linear: reduce-only exits, TP/SL with the entry on the
//            trigger price the engine asked (mark or last), the symbol's leverage set once
//            before its first order (risk.perp.leverage, or the order's); spot: market orders
//            in the base coin (marketUnit=baseCoin), sells capped at the coin the wallet holds
//            (Bybit charges a spot buy's fee in the coin bought). A refusal is OrderRejected
//            with the normalised failure; a duplicate orderLinkId means the venue has the
//            order: it is looked up and tracked, never sent twice.
//   cancel / amend   by orderLinkId; the order's record is read back so the outcome reaches
//            the engine even while the WebSocket is down.
//   set_protection   linear: position/trading-stop, on the mark price when asked (34040, not
//            modified, is a success). Spot: two conditional market sells of the holding
//            (orderFilter=StopOrder): a stop loss that triggers when the last price falls to
//            its level and a take profit when it rises to its level, orderLinkIds "gsl-..." and
//            "gtp-..." (order_tracker.hpp). StopOrders hold no coin until they trigger, so both
//            stand for the whole holding and the engine's own exit needs no cancel first
//            (tpslOrders lock the coin: two of them cannot both cover it). The new pair is
//            placed before the old pair is cancelled (no moment without a stop). When the
//            wallet no longer holds the coin (one of the pair fired, the engine sold, a hand
//            sold) the pair is cancelled; a fired one reaches the engine as ProtectionTriggered
//            and a fill, as a linear position's venue stop does.
//   request_snapshot  wallet, positions (spot: the coins held, with the stop loss and take
//            profit of their protection orders), open orders (protection orders apart) and the
//            last day's executions, as one BrokerSnapshot; missed executions reach the tracker.
//            Protection orders left for a coin no longer held are cancelled; after a restart
//            the broker takes over the ones it finds.
// After every reconnect of the private WebSocket the broker catches up over REST: open orders
// and the executions since the last one seen, so no fill is lost to a drop.
//
// Threading: every call on the engine loop; the clients run their I/O as coroutines on it and
// events are published there. The broker must outlive the loop's run (coroutines in flight
// refer to it).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "brokers/bybit/order_tracker.hpp"
#include "brokers/bybit/private_parse.hpp"
#include "brokers/bybit/private_rest.hpp"
#include "brokers/bybit/private_ws_client.hpp"
#include "brokers/common/broker.hpp"
#include "brokers/common/request_budget.hpp"
#include "core/clock.hpp"
#include "core/event_bus.hpp"
#include "data/market_events.hpp"

namespace gauntlet::brokers::bybit {

// The trading rules of an instrument (tick, qty step, minimums); a zero field is not enforced.
using BybitInstruments = std::function<data::InstrumentInfo(Asset, const Symbol&)>;

struct BybitBrokerConfig {
  PrivateRestConfig rest;  // base URL, credentials, CRITICAL_ERROR_CODES
  PrivateWsConfig ws;      // the private WebSocket URL and credentials
  BybitInstruments instruments;
  double perp_leverage = 1;                 // risk.perp.leverage, for orders that name none
  DurationMs snapshot_fills = kDayMs;       // the executions a snapshot reports
  DurationMs catch_up_overlap = kMinuteMs;  // a catch-up rereads this much before the last fill
  // The execTime of the last fill the engine booked from this venue before this start (its
  // journal's; 0: none). Snapshots and catch-ups read the executions from there until the
  // broker has seen one itself, so a fill the venue made while the engine was down, however
  // long, is found (within Bybit's execution history).
  TimestampMs fills_since = 0;
  // The client ids of the orders the engine's journal holds as possibly open on this venue
  // (sent before this start, not known to be done), by asset. Each snapshot of the asset reads
  // their executions by orderLinkId until one read succeeds: a fill of an order in flight at a
  // crash is found however long ago it happened.
  std::map<Asset, std::set<std::string>> unresolved_orders;
};

class BybitBroker final : public Broker, private PrivateEventSink {
 public:
  BybitBroker(EventBus& bus, asio::io_context& loop, const Clock& clock, BybitBrokerConfig config);
  ~BybitBroker() override;
  BybitBroker(const BybitBroker&) = delete;
  BybitBroker& operator=(const BybitBroker&) = delete;

  // Connects the private WebSocket and measures the venue's clock; stop() disconnects.
  void start();
  void stop();

  std::string_view venue() const override { return kVenue; }
  bool remote() const override { return true; }
  BrokerCapabilities capabilities(Asset asset) const override;
  bool connected() const override;

  void submit(RouterKey, const OrderRequest& request) override;
  void cancel(RouterKey, const CancelRequest& request) override;
  void amend(RouterKey, const AmendRequest& request) override;
  void set_protection(ProtectionKey, const ProtectionRequest& request) override;
  void request_snapshot(Asset asset) override;

  const OrderTracker& tracker() const { return tracker_; }
  // REST catch-ups run after reconnects.
  uint64_t catch_ups() const { return catch_ups_; }

 private:
  void on_order(const VenueOrder& order) override;
  void on_execution(const Execution& execution) override;
  void on_position(const VenuePosition& position) override;
  void on_wallet(const WalletBalance& wallet) override;

  asio::awaitable<void> send_order(OrderRequest request);
  asio::awaitable<void> send_cancel(CancelRequest request);
  asio::awaitable<void> send_amend(AmendRequest request);
  asio::awaitable<void> send_protection(ProtectionRequest request);
  asio::awaitable<void> send_spot_protection(ProtectionRequest request);
  // One spot protection order: nullopt when the venue has it.
  asio::awaitable<std::optional<BrokerFailure>> place_spot_trigger(Symbol symbol, Decimal quantity,
                                                                   Decimal trigger, int direction,
                                                                   std::string link_id);
  // Cancels these spot protection orders of `symbol` (one already gone is no error).
  asio::awaitable<void> cancel_spot_orders(Symbol symbol, std::vector<std::string> link_ids);
  // Cancels the protection of every spot symbol whose coin the wallet holds less than an order
  // of (`coins`: the wallet's balances as read).
  void drop_protection_of_sold_coins(const std::map<std::string, Decimal>& coins);
  // The holding of `symbol` was sold whole: its protection orders are cancelled.
  void on_spot_sold(const Symbol& symbol);
  // The spot protection orders a snapshot listed: taken over, reported on `holdings`, or
  // cancelled when their coin is gone.
  void settle_spot_protection(const std::vector<VenueOrder>& stop_orders,
                              std::vector<Position>& holdings);
  std::string protection_link(std::string_view prefix);
  Decimal min_order_quantity(const Symbol& symbol) const;
  asio::awaitable<void> take_snapshot(Asset asset);
  asio::awaitable<void> catch_up();
  // Reads the order back and hands its record to the tracker.
  asio::awaitable<void> read_back(Category category, Symbol symbol, std::string client_order_id);
  void reject(const std::string& client_order_id, Asset asset, const Symbol& symbol,
              BrokerFailure failure);
  OrderRequest on_venue_grid(const OrderRequest& request) const;
  void spawn(asio::awaitable<void> work);

  EventBus& bus_;
  asio::io_context& loop_;
  const Clock& clock_;
  BybitBrokerConfig config_;
  std::shared_ptr<RequestBudget> budget_;
  PrivateRestClient rest_;
  OrderTracker tracker_;
  PrivateWsClient ws_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::set<std::string> leverage_set_;    // linear symbols whose leverage is set
  std::map<std::string, Decimal> coins_;  // the wallet's coins, from its pushes
  std::set<Category> categories_used_;    // what a catch-up reads
  // The spot protection orders standing for each symbol's holding.
  struct SpotProtection {
    std::string stop_link;
    std::string target_link;
    Decimal stop_loss;
    Decimal take_profit;
    uint64_t sequence = 0;  // of the set_protection that placed them; a later one wins
  };
  std::map<std::string, SpotProtection> spot_protection_;  // by symbol
  std::set<std::string> placing_;                          // protection links being placed
  std::set<std::string> spot_exits_;  // the engine's spot exits sent, until filled whole
  std::vector<Subscription> subscriptions_;
  uint64_t protection_sequence_ = 0;
  std::string protection_salt_;  // makes this run's protection orderLinkIds its own
  uint64_t catch_ups_ = 0;
  TimestampMs started_at_ = 0;
};

}  // namespace gauntlet::brokers::bybit
