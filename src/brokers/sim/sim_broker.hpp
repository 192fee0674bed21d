// File: brokers/sim/sim_broker.hpp
//
// SimBroker: the paper exchange that backtests and paper sessions share (one fill model, no
// second implementation anywhere). It implements the Broker interface like a venue would and
// publishes the same events, driven by closed bars (on_bar) and the clock:
//   - latency: an order is live SIMULATION_ORDER_DELAY after submit; OrderAccepted carries
//     that time;
//   - market orders fill at the next price: the open of the first bar that starts at or after
//     the submit time, plus slippage = fixed bps + impact bps x participation (fill / bar
//     volume), always against the taker, then onto the instrument's tick against the taker too
//     (a buy rounds up, a sell down);
//   - limit orders fill when price trades through the limit (a buy needs low < limit): at the
//     limit as maker, or at the open as taker when the bar opens through it;
//   - stop orders trigger when the bar reaches the trigger from the side price was on at submit
//     (a sell stop below the last close when it falls to it, a sell take-profit above when it
//     rises to it; without a last close a buy rises and a sell falls) and fill at the worse of
//     trigger and open, plus slippage, on the tick against the taker;
//   - partial fills: one bar fills at most max_participation of its volume per order, floored to
//     the instrument's quantity step (a remainder under one step goes with the last part); the
//     rest waits for the next bar;
//   - time in force: IOC and FOK market and limit orders meet one bar only (the first at or
//     after their submit time): IOC keeps what that bar fills and the rest is cancelled
//     ("immediate-or-cancel: ..."); FOK fills its whole quantity in that bar or is cancelled
//     with nothing filled ("fill-or-kill: ..."), as Bybit's EC_CancelForNoFullFill;
//   - instrument rules (config.instruments): an order off the quantity step (170137), under the
//     minimum quantity (170136) or notional (170140), or with a limit or trigger price off the
//     tick (170134) is rejected, Bybit's codes; reduce-only orders are held to the tick only, so
//     a whole position always closes exactly. Without rules nothing is rounded;
//   - fees from FEE_MODEL: maker or taker rate on the notional, at least minimum_per_order,
//     plus per_contract per unit;
//   - protection: stop loss / take profit on a position, set with the entry (entry_tp_sl) or on
//     the position (set_protection); checked on every bar after the entry, the entry bar
//     included; when one bar touches both, the stop wins (stop_first, configurable) - the
//     conservative reading of a bar whose path is unknown. A bar that opens beyond a level
//     fills at the open. Triggered exits and liquidations fill on the tick against the taker;
//   - spot: cash buys holdings, no shorting, no leverage;
//   - perpetuals: leverage up to the order's, initial margin = notional / leverage from the
//     wallet, maintenance margin rate, liquidation at entry x (1 -+ 1/leverage +- maintenance),
//     funding every 8 h (00:00, 08:00, 16:00 UTC) from a funding history when one is loaded,
//     else a default rate; longs pay a positive rate;
//   - one net position per (asset, symbol), as Bybit's one-way mode;
//   - idempotency: a client order id seen before is refused as kDuplicate, never filled twice.
//
// Threading: single-threaded, on the engine loop; events go through the EventBus.
#pragma once

#include <array>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "brokers/common/broker.hpp"
#include "brokers/common/broker_events.hpp"
#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/event_bus.hpp"
#include "data/market_events.hpp"

namespace gauntlet::brokers {

// The trading rules of an instrument, as the venue lists them (tick size, quantity step,
// minimums; a zero field is unknown and not enforced).
using InstrumentLookup = std::function<data::InstrumentInfo(Asset, const Symbol&)>;

struct SimBrokerConfig {
  std::string venue = "sim";
  std::array<config::FeeRates, 4> fees{};     // by Asset
  DurationMs order_delay = 250;               // SIMULATION_ORDER_DELAY
  double slippage_bps = 2.0;                  // fixed cost of every taker fill
  double impact_bps = 50.0;                   // extra bps per unit of participation (fill / volume)
  double max_participation = 0.10;            // share of a bar's volume one order may take
  bool stop_first = true;                     // a bar touching stop and target: the stop wins
  double maintenance_margin = 0.005;          // perpetuals
  double default_funding_rate = 0.0001;       // per 8 h when no history is loaded
  std::array<Decimal, 4> starting_balance{};  // USD per asset wallet
  // Which server-side protection the simulated venue offers, to exercise every path of
  // sl_tp_manager: TP/SL with the entry (Bybit create), on the position (trading-stop), or none.
  bool protection_at_entry = true;
  bool protection_on_position = true;
  // The instruments' rules the fills respect; unset, nothing is rounded or refused for them.
  InstrumentLookup instruments;
  // Spot and perpetuals draw on one cash wallet, the spot one (Bybit's unified trading account,
  // as the local venue runs it): spot buys cannot spend the perpetuals' margin, and the
  // perpetual wallet's starting balance is not used.
  bool unified_margin = false;
  // Spot buys pay their fee in the coin bought (Bybit's rule; the local venue's): the holding
  // is the quantity less the fee, the cash pays none (Fill::base_fee). Only for a fee model of
  // rates alone (no minimum, no per-contract part); otherwise the fee is in the quote.
  bool spot_fee_in_base = false;
  // The prefix of the venue's order ids ("sim-1", "sim-2", ...).
  std::string order_id_prefix = "sim";
};

// The FEE_MODEL rates of the venue each asset trades on in production (Bybit for spot and
// perpetuals, IBKR for forex and options), for a simulator that charges what the venue would.
std::array<config::FeeRates, 4> venue_fees(const config::FeeModel& model);

class SimBroker final : public Broker {
 public:
  SimBroker(EventBus& bus, const Clock& clock, SimBrokerConfig config);

  std::string_view venue() const override { return config_.venue; }
  BrokerCapabilities capabilities(Asset asset) const override;
  bool connected() const override { return true; }

  void submit(RouterKey, const OrderRequest& request) override;
  void cancel(RouterKey, const CancelRequest& request) override;
  void amend(RouterKey, const AmendRequest& request) override;
  void set_protection(ProtectionKey, const ProtectionRequest& request) override;
  void request_snapshot(Asset asset) override;

  // A closed bar of `symbol`: activates, fills and triggers what it reaches, applies funding
  // at the 8-hourly boundaries it crosses, and marks positions to its close.
  void on_bar(Asset asset, const Symbol& symbol, const Bar& bar);

  // Funding history of a perpetual: (funding time, rate), any order.
  void load_funding(const Symbol& symbol, std::vector<std::pair<TimestampMs, double>> rates);

  // The whole state of the simulated venue (wallets, positions with their protection, open
  // orders, the client ids it has seen, recent fills) as JSON, and back: a paper venue that
  // survives a restart, as a real one does. Restoring replaces the current state; a document
  // that does not parse throws StateError.
  std::string save_state() const;
  void restore_state(const std::string& json);

  // The simulator's own books, for tests, the paper session's status line and the local
  // venues' account views.
  Balance balance(Asset asset) const;
  // The wallet's cash (with unified_margin, spot and perpetuals report the one wallet).
  Decimal cash(Asset asset) const;
  // The initial margin a perpetual position holds; zero for spot and when flat.
  Decimal margin(Asset asset, const Symbol& symbol) const;
  // Every open position of the asset, marked to the last close.
  std::vector<Position> positions(Asset asset) const;
  // The last close seen for a symbol; zero before its first bar.
  Decimal last_price(Asset asset, const Symbol& symbol) const;
  std::optional<Position> position(Asset asset, const Symbol& symbol) const;
  std::size_t open_order_count() const;
  // The open time of the last bar seen for a symbol, if any.
  std::optional<TimestampMs> last_bar_time(Asset asset, const Symbol& symbol) const;

 private:
  struct WorkingOrder {
    OrderRequest request;
    std::string venue_order_id;
    TimestampMs submitted_at = 0;
    TimestampMs active_at = 0;
    Decimal filled;
    bool accepted = false;
    bool triggered = false;  // stop orders, once the trigger is reached
    // Stop orders: whether price must rise to the trigger (else fall to it). Decided at submit
    // from the last close, as Bybit does for conditional orders; a buy rises and a sell falls
    // when no price is known yet.
    bool trigger_rises = false;
  };
  struct Book {  // one (asset, symbol)
    std::optional<Position> position;
    Decimal margin;  // perpetuals: initial margin held for the position
    Decimal last_close;
    TimestampMs last_bar_time = -1;
    std::string protection_id;
  };
  struct Wallet {
    Decimal cash;
    Decimal realised_pnl;
  };
  using BookKey = std::pair<Asset, std::string>;

  void process_orders(Asset asset, const Symbol& symbol, const Bar& bar, Book& book);
  // Fills `quantity` of `order` at `price`; returns false (and rejects) when the wallet cannot
  // pay for it.
  bool fill(WorkingOrder& order, Book& book, Decimal quantity, Decimal price, bool maker,
            TimestampMs time);
  void publish_fill(const WorkingOrder& order, Decimal quantity, Decimal price, Decimal charged,
                    bool maker, TimestampMs time, Decimal base_fee = Decimal::zero());
  void check_protection(Asset asset, const Symbol& symbol, const Bar& bar, Book& book,
                        TimestampMs from_time);
  void check_liquidation(Asset asset, const Symbol& symbol, const Bar& bar, Book& book);
  void apply_funding(Asset asset, const Symbol& symbol, const Bar& bar, Book& book);
  // Closes the whole position at `price` with a venue-generated order (protection, liquidation).
  void close_position(Asset asset, const Symbol& symbol, Book& book, Decimal price,
                      ProtectionTriggered::Kind kind, TimestampMs time);
  void reject(const OrderRequest& request, int code, std::string message, ErrorClass error_class,
              TimestampMs time);
  Decimal fee(Asset asset, Decimal notional, Decimal quantity, bool maker) const;
  // `price` plus slippage against `side`, then on `tick` (when positive) against it too.
  Decimal slipped(Decimal price, OrderSide side, double participation, Decimal tick) const;
  data::InstrumentInfo rules(Asset asset, const Symbol& symbol) const;
  // Why `request` breaks `rules` (code and message), checked at submit and amend; `reference`
  // prices a market order's notional (zero: unknown).
  std::optional<std::pair<int, std::string>> breaks_rules(const OrderRequest& request,
                                                          const data::InstrumentInfo& rules,
                                                          Decimal reference) const;
  Decimal unrealised(const Book& book) const;
  Wallet& wallet(Asset asset);
  const Wallet& wallet(Asset asset) const;
  // What a cash buy may spend: the cash, less (a unified spot wallet) the perpetuals' margin
  // and open losses.
  Decimal spendable_cash(Asset asset) const;
  double funding_rate(const Symbol& symbol, TimestampMs time) const;
  std::string next_venue_id();

  EventBus& bus_;
  const Clock& clock_;
  SimBrokerConfig config_;
  std::array<Wallet, 4> wallets_;
  std::map<BookKey, Book, AssetSymbolLess> books_;
  std::deque<WorkingOrder> orders_;        // open orders in submit order
  std::set<std::string> seen_client_ids_;  // idempotency
  std::map<std::string, std::vector<std::pair<TimestampMs, double>>> funding_;
  std::deque<Fill> recent_fills_;  // the last day's (at most kRecentFills), for snapshots
  uint64_t sequence_ = 0;
};

}  // namespace gauntlet::brokers
