// File: orders/diff_engine.hpp
//
// DiffEngine: the dry-run diff of seed 001 §5.3, "what live would have done vs paper", for
// audits. compare(asset, since) reads the order journal (const: it never places, cancels or
// touches an order) and replays each paper order against a model of the live venue:
//   - the venue's rules (InstrumentInfo): status, quantity step (live rounds the quantity down
//     and says so), minimum and maximum quantity, tick grid of limit prices, minimum notional;
//   - the price live would have got, from a LivePriceLookup (bar_price_lookup: the open of the
//     next bar in the bar store, plus a half-spread against us);
//   - the live venue's FEE_MODEL rates: taker for market and marketable orders, maker for
//     resting limits, at least the minimum per order, plus the per-contract charge.
// Each order gets a verdict (would_fill, would_rest, would_reject with its reason, unknown) and
// its differences against paper: price in bps (positive = live worse for us), fee (live minus
// paper) and P&L impact in the quote currency (positive = live better for us):
//   price_impact = (live_price - paper_price) x quantity x (buy ? -1 : +1)
//   pnl_impact   = price_impact - (live_fee - paper_fee)
// where quantity is the live quantity (the paper filled quantity, rounded down to the step).
// The totals sum the orders that both paper and live filled; round trips group an asset's
// fills from an entry until the position is flat again.
//
// Which orders: every order of the asset whose intent was journaled at or after `since`
// (request.created_at), whatever its paper status: filled, still working, or rejected or
// cancelled without a fill (what live would have done with it is judged all the same).
//
// Orders the venue generated (a triggered stop loss, take profit or liquidation: a client id
// that make_client_order_id did not make) are closes at the trigger level that paper already
// models: live is taken to fill at the paper price, the venue's rules do not apply, and only
// the fee is recomputed at the live rates.
//
// Threading: single-threaded, on the thread that owns the journal's Store. bar_price_lookup
// reads the BarStore, which may be loaded concurrently.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "core/decimal.hpp"
#include "core/interfaces.hpp"
#include "core/orders.hpp"
#include "core/symbol.hpp"
#include "core/time.hpp"
#include "data/bar_store.hpp"
#include "data/market_events.hpp"
#include "orders/order_journal.hpp"

namespace gauntlet::orders {

// What the live venue would have done with one order.
enum class LiveVerdict {
  kWouldFill,    // filled, at live_price
  kWouldRest,    // a limit or stop order that live, like paper, leaves working
  kWouldReject,  // refused by the venue's rules; `rejection` says which
  kUnknown,      // no live price for it
};

// Why the live venue would refuse an order. The names are stable codes.
enum class LiveRejection {
  kNone,
  kNotTrading,        // "not_trading": the instrument's status is not Trading
  kBelowMinQuantity,  // "below_min_quantity": after rounding down to the quantity step
  kAboveMaxQuantity,  // "above_max_quantity"
  kPriceOffTick,      // "price_off_tick": a limit price not on the tick grid
  kBelowMinNotional,  // "below_min_notional": quantity x price below the minimum order value
};

std::string_view to_string(LiveVerdict verdict);
std::string_view to_string(LiveRejection rejection);

// The price a live venue would have filled a taker order of `side` at, sent at `time`;
// nullopt when it cannot say (no data).
using LivePriceLookup = std::function<std::optional<Decimal>(Asset asset, const Symbol& symbol,
                                                             OrderSide side, TimestampMs time)>;

// The live venue's rules for a symbol; zero fields mean no rule (as OrderRouter's lookup).
using InstrumentLookup = std::function<data::InstrumentInfo(Asset, const Symbol&)>;

// A LivePriceLookup over bars at rest: the open of the first bar of (venue, asset, symbol,
// timeframe) whose open time is at or after `time` (a market order sent at t fills at the next
// traded price, as SimBroker fills it), looking at most `max_bars` bar opens ahead (a gap in
// the data gives nullopt, not a stale price). A buy pays `half_spread_bps` above the open, a
// sell gets as much below it. `store` must outlive the lookup.
LivePriceLookup bar_price_lookup(const data::BarStore& store, std::string venue,
                                 Timeframe timeframe, double half_spread_bps = 0.0,
                                 int max_bars = 1);

// One order, paper against live.
struct OrderDiff {
  std::string client_order_id;
  std::string strategy_id;
  Symbol symbol;
  OrderSide side = OrderSide::kBuy;
  OrderType type = OrderType::kMarket;
  bool reduce_only = false;
  bool venue_generated = false;  // a stop, target or liquidation the venue triggered
  TimestampMs sent_at = 0;       // the intent's created_at
  Decimal requested_quantity;

  // Paper: what the simulated venue did. Price is volume-weighted over the fills, zero when
  // none; fee is the sum of the fills' fees.
  OrderStatus paper_status = OrderStatus::kPendingNew;
  std::string paper_reason;
  Decimal paper_quantity;
  Decimal paper_price;
  Decimal paper_fee;
  TimestampMs paper_time = 0;  // the first fill; zero when none

  // Live: what the venue would have done.
  LiveVerdict verdict = LiveVerdict::kUnknown;
  LiveRejection rejection = LiveRejection::kNone;
  std::string reason;  // "code: figures" for a rejection or unknown; otherwise empty
  bool quantity_rounded = false;
  std::string note;  // how the live figures were made when not plainly (rounding, venue exit)
  Decimal live_quantity;
  Decimal live_price;  // zero unless it would fill
  Decimal live_fee;
  bool live_maker = false;

  // Differences, set when both paper and live filled (otherwise zero).
  bool compared = false;
  double price_difference_bps = 0.0;  // positive = live worse for us
  Decimal fee_difference;             // live fee - paper fee
  Decimal price_impact;               // positive = live better for us
  Decimal pnl_impact;                 // price_impact - fee_difference
};

// Fills of one symbol from an entry until the position is flat.
struct RoundTripDiff {
  Symbol symbol;
  OrderSide side = OrderSide::kBuy;  // the entry's side
  TimestampMs opened_at = 0;
  TimestampMs closed_at = 0;
  std::vector<std::string> client_order_ids;
  Decimal paper_pnl;      // the paper fills' cash flow: sells - buys - fees
  Decimal pnl_impact;     // the sum of its orders' pnl_impact
  bool complete = false;  // every order would fill on live at the paper quantity
};

struct DiffTotals {
  int orders = 0;
  int would_fill = 0;
  int would_rest = 0;
  int would_reject = 0;
  int unknown = 0;
  int compared = 0;          // filled on both: the orders the sums below cover
  int live_only = 0;         // would fill on live, not filled on paper
  int quantity_rounded = 0;  // live would round the quantity down to the step
  std::map<LiveRejection, int> rejections;
  Decimal fee_difference;
  Decimal price_impact;
  Decimal pnl_impact;
};

struct DiffReport {
  Asset asset = Asset::kSpot;
  TimestampMs since = 0;
  std::vector<OrderDiff> orders;  // by sent_at, then client order id
  std::vector<RoundTripDiff> round_trips;
  DiffTotals totals;
};

class DiffEngine {
 public:
  // `live_fees`: the live venue's FEE_MODEL rates by Asset. `journal` must outlive the engine.
  DiffEngine(const OrderJournal& journal, LivePriceLookup live_prices,
             std::array<config::FeeRates, 4> live_fees, InstrumentLookup instruments);

  // The diff of every order of `asset` journaled at or after `since`.
  DiffReport compare(Asset asset, TimestampMs since) const;

 private:
  void judge(OrderDiff& diff, const OrderRequest& request, const std::vector<Fill>& fills) const;
  Decimal live_fee(Asset asset, Decimal quantity, Decimal price, bool maker) const;

  const OrderJournal& journal_;
  LivePriceLookup live_prices_;
  std::array<config::FeeRates, 4> live_fees_;
  InstrumentLookup instruments_;
};

nlohmann::json to_json(const DiffReport& report);
// A compact table for a terminal: one line per order, then the totals and the round trips.
std::string to_text(const DiffReport& report);

}  // namespace gauntlet::orders
