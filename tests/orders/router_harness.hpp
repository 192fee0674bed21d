// A venue (event bus, simulated clock, SimBroker) and an engine on it (store, risk, budget,
// exposure, order router), for the orders tests. An engine can be destroyed and rebuilt on the
// same store and venue, as after a crash.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "brokers/sim/sim_broker.hpp"
#include "core/asio.hpp"
#include "core/store/sqlite_store.hpp"
#include "orders/order_router.hpp"
#include "orders/pnl_reconciler.hpp"

namespace gauntlet::orders::testing {

inline constexpr TimestampMs kStart = 1'699'999'200'000;  // a multiple of 8 h
inline constexpr DurationMs k15m = 15 * kMinuteMs;

inline Decimal d(const char* text) {
  return Decimal::parse(text);
}

inline Bar bar(TimestampMs open_time, const char* open, const char* high, const char* low,
               const char* close) {
  return {open_time, d(open), d(high), d(low), d(close), d("1000"), Decimal::zero()};
}

inline brokers::SimBrokerConfig sim_config() {
  brokers::SimBrokerConfig c;
  c.fees = brokers::venue_fees(config::default_fee_model());
  c.starting_balance = {d("1000"), d("1000"), d("1000"), d("1000")};
  return c;
}

struct Venue {
  asio::io_context loop;
  EventBus bus{loop};
  SimClock clock{kStart};
  brokers::SimBroker broker;
  Symbol btc = Symbol::parse("BTCUSDT");

  explicit Venue(brokers::SimBrokerConfig c = sim_config()) : broker(bus, clock, std::move(c)) {}

  void feed(const Bar& b) {
    clock.advance_to(std::max(clock.now_ms(), b.open_time));
    broker.on_bar(Asset::kSpot, btc, b);
    bus.drain();
  }
};

struct Engine {
  store::Store& store;
  capital::RiskManager risk{capital::RiskLimitsByAsset{
      config::default_risk(Asset::kSpot), config::default_risk(Asset::kPerp),
      config::default_risk(Asset::kForex), config::default_risk(Asset::kOptions)}};
  capital::BudgetManager budget;
  capital::ExposureManager exposure{config::default_exposure_caps(),
                                    {d("250"), d("250"), d("250"), d("250")}};
  OrderRouter router;
  // The P&L ledger, the only booker of P&L into the budget, and broker truth. The paper venue
  // charges the default fee model's Bybit rates under the venue name "sim".
  PnlReconciler reconciler;

  // `instruments`: the rules the router sizes with and writes dust off by; none by default.
  Engine(Venue& venue, store::Store& s, OrderRouter::InstrumentLookup instruments = {})
      : store(s),
        budget(s, config::default_budgets()),
        router(
            venue.bus, venue.clock, s, risk, budget, exposure,
            instruments ? std::move(instruments)
                        : [](Asset, const Symbol&) { return data::InstrumentInfo{}; }),
        reconciler(venue.bus, router, budget, s, sim_fee_model()) {
    router.route(Asset::kSpot, venue.broker);
    reconciler.route(Asset::kSpot, venue.broker);
  }

  static config::FeeModel sim_fee_model() {
    config::FeeModel model;
    const auto fees = brokers::venue_fees(config::default_fee_model());
    for (Asset asset : kAllAssets)
      model.venues["sim"][asset] = fees[static_cast<std::size_t>(asset)];
    return model;
  }

  // A long entry at about 100 with a 5 % stop: risk 1 % of 250 = 2.5, over 5 = 0.5 units.
  static OrderContext entry(const Symbol& symbol, const char* signal) {
    OrderContext o;
    o.asset = Asset::kSpot;
    o.symbol = symbol;
    o.side = OrderSide::kBuy;
    o.type = OrderType::kMarket;
    o.reference_price = d("100");
    o.stop_loss = d("95");
    o.take_profit = d("110");
    o.strategy_id = "trend-1";
    o.signal_id = signal;
    return o;
  }
};

// Collects every event of type T published on a bus.
template <class T>
struct Collected {
  std::vector<T> events;
  Subscription subscription;
  explicit Collected(EventBus& bus)
      : subscription(bus.subscribe<T>([this](const T& e) { events.push_back(e); })) {}
};

}  // namespace gauntlet::orders::testing
