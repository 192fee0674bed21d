#include "orders/diff_engine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <tuple>
#include <utility>

#include "core/check.hpp"
#include "core/exceptions.hpp"

namespace gauntlet::orders {
namespace {

bool is_buy(OrderSide side) {
  return side == OrderSide::kBuy;
}

// make_client_order_id's form: "gt-" and 16 hex digits. Any other id was made by the venue.
bool made_by_router(std::string_view client_order_id) {
  return client_order_id.size() == 19 && client_order_id.starts_with("gt-");
}

// A buy at `price` is marketable against `limit` when it is at or below it (a sell: above).
bool marketable(OrderSide side, Decimal price, Decimal limit) {
  return is_buy(side) ? price <= limit : price >= limit;
}

// Marks `diff` as a live fill at `price`, as a maker or a taker.
void set_fill(OrderDiff& diff, Decimal price, bool maker) {
  diff.verdict = LiveVerdict::kWouldFill;
  diff.live_price = price;
  diff.live_maker = maker;
}

void set_reject(OrderDiff& diff, LiveRejection rejection, std::string reason) {
  diff.verdict = LiveVerdict::kWouldReject;
  diff.rejection = rejection;
  diff.reason = std::move(reason);
}

void set_unknown(OrderDiff& diff, TimestampMs time) {
  diff.verdict = LiveVerdict::kUnknown;
  diff.reason = fmt::format("no_live_price: none for {} {} at {}", diff.symbol.canonical(),
                            to_string(diff.side), format_iso8601(time));
}

// The differences of an order both paper and live filled.
void set_differences(OrderDiff& diff) {
  diff.compared = true;
  const bool buy = is_buy(diff.side);
  diff.fee_difference = diff.live_fee - diff.paper_fee;
  const Decimal move = (diff.live_price - diff.paper_price) * diff.live_quantity;
  diff.price_impact = buy ? -move : move;
  diff.pnl_impact = diff.price_impact - diff.fee_difference;
  const Decimal bps = ((diff.live_price - diff.paper_price) * Decimal::from_int(10000))
                          .div(diff.paper_price, Rounding::kHalfEven);
  diff.price_difference_bps = (buy ? bps : -bps).to_double();
}

std::string time_text(TimestampMs time) {
  return time == 0 ? "-" : format_iso8601(time);
}

std::string decimal_text(Decimal value, bool present) {
  return present ? value.to_string() : "-";
}

}  // namespace

std::string_view to_string(LiveVerdict verdict) {
  switch (verdict) {
    case LiveVerdict::kWouldFill:
      return "would_fill";
    case LiveVerdict::kWouldRest:
      return "would_rest";
    case LiveVerdict::kWouldReject:
      return "would_reject";
    case LiveVerdict::kUnknown:
      return "unknown";
  }
  return "unknown";
}

std::string_view to_string(LiveRejection rejection) {
  switch (rejection) {
    case LiveRejection::kNone:
      return "none";
    case LiveRejection::kNotTrading:
      return "not_trading";
    case LiveRejection::kBelowMinQuantity:
      return "below_min_quantity";
    case LiveRejection::kAboveMaxQuantity:
      return "above_max_quantity";
    case LiveRejection::kPriceOffTick:
      return "price_off_tick";
    case LiveRejection::kBelowMinNotional:
      return "below_min_notional";
  }
  return "none";
}

LivePriceLookup bar_price_lookup(const data::BarStore& store, std::string venue,
                                 Timeframe timeframe, double half_spread_bps, int max_bars) {
  GAUNTLET_CHECK(std::isfinite(half_spread_bps) && half_spread_bps >= 0.0,
                 "half_spread_bps must be finite and non-negative, was {}", half_spread_bps);
  GAUNTLET_CHECK(max_bars >= 1, "max_bars must be at least 1, was {}", max_bars);
  const Decimal spread = Decimal::from_double(half_spread_bps / 10000.0);
  return [&store, venue = std::move(venue), timeframe, spread, max_bars](
             Asset asset, const Symbol& symbol, OrderSide side,
             TimestampMs time) -> std::optional<Decimal> {
    const data::SeriesKey key{venue, asset, symbol, timeframe};
    // Exactly max_bars bar opens lie in [time, time + max_bars x timeframe).
    const data::BarSeries bars =
        store.load_bars(key, time, time + max_bars * duration_ms(timeframe));
    if (bars.empty()) return std::nullopt;
    const Decimal open = bars.front().open;
    const Decimal half_spread = open * spread;
    return is_buy(side) ? open + half_spread : open - half_spread;
  };
}

DiffEngine::DiffEngine(const OrderJournal& journal, LivePriceLookup live_prices,
                       std::array<config::FeeRates, 4> live_fees, InstrumentLookup instruments)
    : journal_(journal),
      live_prices_(std::move(live_prices)),
      live_fees_(live_fees),
      instruments_(std::move(instruments)) {
  GAUNTLET_CHECK(static_cast<bool>(live_prices_), "DiffEngine needs a live price lookup");
  GAUNTLET_CHECK(static_cast<bool>(instruments_), "DiffEngine needs an instrument lookup");
}

Decimal DiffEngine::live_fee(Asset asset, Decimal quantity, Decimal price, bool maker) const {
  const config::FeeRates& rates = live_fees_[static_cast<std::size_t>(asset)];
  const Decimal rate_fee = quantity * price * (maker ? rates.maker : rates.taker);
  return std::max(rate_fee, rates.minimum_per_order) + rates.per_contract * quantity;
}

void DiffEngine::judge(OrderDiff& diff, const OrderRequest& request,
                       const std::vector<Fill>& fills) const {
  const bool paper_filled = !fills.empty();
  diff.live_quantity = paper_filled ? diff.paper_quantity : diff.requested_quantity;

  if (diff.venue_generated) {
    // A close at the trigger level the venue fired: paper models that price already.
    set_fill(diff, diff.paper_price, false);
    diff.note = "venue_exit: live fills at the paper trigger price";
  } else {
    const data::InstrumentInfo info = instruments_(request.asset, request.symbol);
    const Decimal wanted = diff.live_quantity;
    if (info.qty_step.is_positive()) {
      diff.live_quantity = wanted.round_to_step(info.qty_step, Rounding::kFloor);
    }
    if (diff.live_quantity != wanted) {
      diff.quantity_rounded = true;
      diff.note = fmt::format("quantity_rounded: {} -> {} (qty_step {})", wanted,
                              diff.live_quantity, info.qty_step);
    }
    const std::optional<Decimal> limit =
        request.type == OrderType::kLimit || request.type == OrderType::kStopLimit
            ? request.limit_price
            : std::nullopt;
    const std::optional<Decimal> trigger =
        request.type == OrderType::kStopMarket || request.type == OrderType::kStopLimit
            ? request.trigger_price
            : std::nullopt;
    GAUNTLET_CHECK(
        limit || (request.type != OrderType::kLimit && request.type != OrderType::kStopLimit),
        "order {} of type {} has no limit price", request.client_order_id, to_string(request.type));
    GAUNTLET_CHECK(trigger || (request.type != OrderType::kStopMarket &&
                               request.type != OrderType::kStopLimit),
                   "order {} of type {} has no trigger price", request.client_order_id,
                   to_string(request.type));

    if (!info.status.empty() && info.status != "Trading") {
      return set_reject(
          diff, LiveRejection::kNotTrading,
          fmt::format("not_trading: {} is {}", request.symbol.canonical(), info.status));
    }
    if (!diff.live_quantity.is_positive() ||
        (info.min_qty.is_positive() && diff.live_quantity < info.min_qty)) {
      return set_reject(diff, LiveRejection::kBelowMinQuantity,
                        fmt::format("below_min_quantity: {} < min_qty {} (qty_step {})",
                                    diff.live_quantity, info.min_qty, info.qty_step));
    }
    if (info.max_qty.is_positive() && diff.live_quantity > info.max_qty) {
      return set_reject(
          diff, LiveRejection::kAboveMaxQuantity,
          fmt::format("above_max_quantity: {} > max_qty {}", diff.live_quantity, info.max_qty));
    }
    if (info.tick_size.is_positive()) {
      for (const auto& [what, price] : {std::pair{"limit", limit}, std::pair{"trigger", trigger}}) {
        if (price && !price->is_multiple_of(info.tick_size)) {
          return set_reject(diff, LiveRejection::kPriceOffTick,
                            fmt::format("price_off_tick: {} {} is not a multiple of tick_size {}",
                                        what, *price, info.tick_size));
        }
      }
    }
    const auto below_min_notional = [&](Decimal price) {
      const Decimal notional = diff.live_quantity * price;
      if (!info.min_notional.is_positive() || notional >= info.min_notional) return false;
      set_reject(diff, LiveRejection::kBelowMinNotional,
                 fmt::format("below_min_notional: {} x {} = {} < min_notional {}",
                             diff.live_quantity, price, notional, info.min_notional));
      return true;
    };
    // A resting order is checked at its own price when it is sent.
    if (limit && below_min_notional(*limit)) return;
    if (!limit && trigger && below_min_notional(*trigger)) return;

    const bool buy = is_buy(request.side);
    if (request.type == OrderType::kMarket) {
      const std::optional<Decimal> price =
          live_prices_(request.asset, request.symbol, request.side, diff.sent_at);
      if (!price) return set_unknown(diff, diff.sent_at);
      if (below_min_notional(*price)) return;
      set_fill(diff, *price, false);
    } else if (request.type == OrderType::kLimit) {
      // Marketable on arrival: a taker at the live price; otherwise it rests, and fills at its
      // limit as a maker when paper saw the price trade through it.
      const std::optional<Decimal> price =
          live_prices_(request.asset, request.symbol, request.side, diff.sent_at);
      if (!price) return set_unknown(diff, diff.sent_at);
      if (marketable(request.side, *price, *limit)) {
        set_fill(diff, *price, false);
      } else if (paper_filled) {
        set_fill(diff, *limit, true);
      } else {
        diff.verdict = LiveVerdict::kWouldRest;
      }
    } else {
      // Stops: paper's first fill is when the trigger was reached; live fills from the next
      // price then, never better than the trigger (stop market), or as a limit (stop limit).
      if (!paper_filled) {
        diff.verdict = LiveVerdict::kWouldRest;
        return;
      }
      const std::optional<Decimal> price =
          live_prices_(request.asset, request.symbol, request.side, diff.paper_time);
      if (!price) return set_unknown(diff, diff.paper_time);
      if (request.type == OrderType::kStopMarket) {
        set_fill(diff, buy ? std::max(*price, *trigger) : std::min(*price, *trigger), false);
      } else if (marketable(request.side, *price, *limit)) {
        set_fill(diff, *price, false);
      } else {
        set_fill(diff, *limit, true);
      }
    }
  }

  if (diff.verdict != LiveVerdict::kWouldFill) return;
  diff.live_fee = live_fee(request.asset, diff.live_quantity, diff.live_price, diff.live_maker);
  if (paper_filled) set_differences(diff);
}

DiffReport DiffEngine::compare(Asset asset, TimestampMs since) const {
  DiffReport report;
  report.asset = asset;
  report.since = since;

  // The asset's fills by order, in fill order, and the orders that may still be working.
  const std::vector<Fill> all_fills = journal_.all_fills();
  std::map<std::string, std::vector<Fill>> fills_by_order;
  for (const Fill& fill : all_fills) {
    if (fill.asset == asset) fills_by_order[fill.client_order_id].push_back(fill);
  }
  std::map<std::string, JournalEntry> entries;
  for (JournalEntry& entry : journal_.orders(asset, since)) {
    entries.emplace(entry.request.client_order_id, std::move(entry));
  }
  for (const auto& [id, fills] : fills_by_order) {
    if (!entries.contains(id) && !journal_.find(id)) {
      throw StateError(fmt::format("journal: fill {} of an order not journaled ({})",
                                   fills.front().execution_id, id));
    }
  }

  const std::vector<Fill> no_fills;
  for (const auto& [id, entry] : entries) {
    const OrderRequest& request = entry.request;
    if (request.created_at < since) continue;
    OrderDiff diff;
    diff.client_order_id = id;
    diff.strategy_id = request.strategy_id;
    diff.symbol = request.symbol;
    diff.side = request.side;
    diff.type = request.type;
    diff.reduce_only = request.reduce_only;
    diff.venue_generated = !made_by_router(id);
    diff.sent_at = request.created_at;
    diff.requested_quantity = request.quantity;
    diff.paper_status = entry.status;
    diff.paper_reason = entry.reason;
    const auto found = fills_by_order.find(id);
    const std::vector<Fill>& fills = found == fills_by_order.end() ? no_fills : found->second;
    Decimal notional;
    for (const Fill& fill : fills) {
      diff.paper_quantity += fill.quantity;
      diff.paper_fee += fill.fee;
      notional += fill.quantity * fill.price;
    }
    if (!fills.empty()) {
      diff.paper_price = notional / diff.paper_quantity;
      diff.paper_time = fills.front().time;
    }
    judge(diff, request, fills);
    report.orders.push_back(std::move(diff));
  }
  std::sort(report.orders.begin(), report.orders.end(), [](const OrderDiff& a, const OrderDiff& b) {
    return std::tie(a.sent_at, a.client_order_id) < std::tie(b.sent_at, b.client_order_id);
  });

  DiffTotals& totals = report.totals;
  std::map<std::string, const OrderDiff*> by_id;
  for (const OrderDiff& diff : report.orders) {
    by_id[diff.client_order_id] = &diff;
    ++totals.orders;
    switch (diff.verdict) {
      case LiveVerdict::kWouldFill:
        ++totals.would_fill;
        if (diff.paper_quantity.is_zero()) ++totals.live_only;
        break;
      case LiveVerdict::kWouldRest:
        ++totals.would_rest;
        break;
      case LiveVerdict::kWouldReject:
        ++totals.would_reject;
        ++totals.rejections[diff.rejection];
        break;
      case LiveVerdict::kUnknown:
        ++totals.unknown;
        break;
    }
    if (diff.quantity_rounded) ++totals.quantity_rounded;
    if (diff.compared) {
      ++totals.compared;
      totals.fee_difference += diff.fee_difference;
      totals.price_impact += diff.price_impact;
      totals.pnl_impact += diff.pnl_impact;
    }
  }

  // Round trips: a symbol's paper fills from an entry until the position is flat. Exits of a
  // position opened before `since` are not a round trip.
  struct Open {
    RoundTripDiff trip;
    Decimal position;  // signed: + long
  };
  std::map<std::string, Open> open;
  for (const Fill& fill : all_fills) {
    const auto found = by_id.find(fill.client_order_id);
    if (fill.asset != asset || found == by_id.end()) continue;
    const OrderDiff& diff = *found->second;
    auto it = open.find(fill.symbol.canonical());
    if (it == open.end()) {
      if (diff.reduce_only) continue;
      Open fresh;
      fresh.trip.symbol = fill.symbol;
      fresh.trip.side = fill.side;
      fresh.trip.opened_at = fill.time;
      fresh.trip.complete = true;
      it = open.emplace(fill.symbol.canonical(), std::move(fresh)).first;
    }
    Open& state = it->second;
    RoundTripDiff& trip = state.trip;
    const Decimal value = fill.quantity * fill.price;
    state.position += is_buy(fill.side) ? fill.quantity : -fill.quantity;
    trip.paper_pnl += (is_buy(fill.side) ? -value : value) - fill.quote_fee();
    if (std::find(trip.client_order_ids.begin(), trip.client_order_ids.end(),
                  fill.client_order_id) == trip.client_order_ids.end()) {
      trip.client_order_ids.push_back(fill.client_order_id);
      trip.pnl_impact += diff.pnl_impact;
      trip.complete = trip.complete && diff.compared && !diff.quantity_rounded;
    }
    const bool flat =
        is_buy(trip.side) ? !state.position.is_positive() : !state.position.is_negative();
    if (flat) {
      trip.closed_at = fill.time;
      report.round_trips.push_back(std::move(trip));
      open.erase(it);
    }
  }
  return report;
}

nlohmann::json to_json(const DiffReport& report) {
  using nlohmann::json;
  json orders = json::array();
  for (const OrderDiff& d : report.orders) {
    orders.push_back({
        {"client_order_id", d.client_order_id},
        {"strategy_id", d.strategy_id},
        {"symbol", d.symbol.canonical()},
        {"side", to_string(d.side)},
        {"type", to_string(d.type)},
        {"reduce_only", d.reduce_only},
        {"venue_generated", d.venue_generated},
        {"sent_at", d.sent_at},
        {"requested_quantity", d.requested_quantity.to_string()},
        {"paper",
         {{"status", to_string(d.paper_status)},
          {"reason", d.paper_reason},
          {"quantity", d.paper_quantity.to_string()},
          {"price", d.paper_price.to_string()},
          {"fee", d.paper_fee.to_string()},
          {"time", d.paper_time}}},
        {"live",
         {{"verdict", to_string(d.verdict)},
          {"rejection", to_string(d.rejection)},
          {"reason", d.reason},
          {"quantity_rounded", d.quantity_rounded},
          {"note", d.note},
          {"quantity", d.live_quantity.to_string()},
          {"price", d.live_price.to_string()},
          {"fee", d.live_fee.to_string()},
          {"maker", d.live_maker}}},
        {"compared", d.compared},
        {"price_difference_bps", d.price_difference_bps},
        {"fee_difference", d.fee_difference.to_string()},
        {"price_impact", d.price_impact.to_string()},
        {"pnl_impact", d.pnl_impact.to_string()},
    });
  }
  json trips = json::array();
  for (const RoundTripDiff& t : report.round_trips) {
    trips.push_back({{"symbol", t.symbol.canonical()},
                     {"side", to_string(t.side)},
                     {"opened_at", t.opened_at},
                     {"closed_at", t.closed_at},
                     {"client_order_ids", t.client_order_ids},
                     {"paper_pnl", t.paper_pnl.to_string()},
                     {"pnl_impact", t.pnl_impact.to_string()},
                     {"complete", t.complete}});
  }
  const DiffTotals& s = report.totals;
  json rejections = json::object();
  for (const auto& [rejection, count] : s.rejections) {
    rejections[std::string(to_string(rejection))] = count;
  }
  return {{"asset", to_string(report.asset)},
          {"since", report.since},
          {"orders", std::move(orders)},
          {"round_trips", std::move(trips)},
          {"totals",
           {{"orders", s.orders},
            {"would_fill", s.would_fill},
            {"would_rest", s.would_rest},
            {"would_reject", s.would_reject},
            {"unknown", s.unknown},
            {"compared", s.compared},
            {"live_only", s.live_only},
            {"quantity_rounded", s.quantity_rounded},
            {"rejections", std::move(rejections)},
            {"fee_difference", s.fee_difference.to_string()},
            {"price_impact", s.price_impact.to_string()},
            {"pnl_impact", s.pnl_impact.to_string()}}}};
}

std::string to_text(const DiffReport& report) {
  std::string out = fmt::format("paper vs live, {} orders sent since {}\n", to_string(report.asset),
                                format_iso8601(report.since));
  constexpr std::string_view kRow =
      "{:<24}  {:<10} {:<4} {:<11} {:>12} {:>12} {:>11}  {:<12} {:>12} {:>11} {:>8} {:>12}";
  out += fmt::format(kRow, "sent", "symbol", "side", "type", "quantity", "paper price", "paper fee",
                     "live", "live price", "live fee", "bps", "P&L impact");
  out += "  reason\n";
  for (const OrderDiff& d : report.orders) {
    const bool filled = d.verdict == LiveVerdict::kWouldFill;
    const bool paper = d.paper_quantity.is_positive();
    std::string why = d.reason;
    if (!d.note.empty()) why += (why.empty() ? "" : "; ") + d.note;
    if (!paper)
      why += fmt::format("{}paper {}", why.empty() ? "" : "; ", to_string(d.paper_status));
    out += fmt::format(
        kRow, time_text(d.sent_at), d.symbol.canonical(), to_string(d.side), to_string(d.type),
        (paper ? d.paper_quantity : d.requested_quantity).to_string(),
        decimal_text(d.paper_price, paper), decimal_text(d.paper_fee, paper), to_string(d.verdict),
        decimal_text(d.live_price, filled), decimal_text(d.live_fee, filled),
        d.compared ? fmt::format("{:.2f}", d.price_difference_bps) : "-",
        decimal_text(d.pnl_impact, d.compared));
    out += why.empty() ? "\n" : "  " + why + "\n";
  }
  const DiffTotals& s = report.totals;
  std::string rejections;
  for (const auto& [rejection, count] : s.rejections) {
    rejections +=
        fmt::format("{}{} {}", rejections.empty() ? " (" : ", ", to_string(rejection), count);
  }
  if (!rejections.empty()) rejections += ")";
  out += fmt::format(
      "orders {}: would_fill {}, would_rest {}, would_reject {}{}, unknown {}; compared {}, "
      "live only {}, quantity rounded {}\n",
      s.orders, s.would_fill, s.would_rest, s.would_reject, rejections, s.unknown, s.compared,
      s.live_only, s.quantity_rounded);
  out += fmt::format(
      "fee difference {}, price impact {}, P&L impact {} (quote currency; P&L impact > 0: live "
      "better)\n",
      s.fee_difference, s.price_impact, s.pnl_impact);
  if (!report.round_trips.empty()) {
    out += fmt::format("round trips {}:\n", report.round_trips.size());
    for (const RoundTripDiff& t : report.round_trips) {
      out += fmt::format("  {:<10} {:<4} {} -> {}  {} orders  paper P&L {}  P&L impact {}{}\n",
                         t.symbol.canonical(), to_string(t.side), format_iso8601(t.opened_at),
                         format_iso8601(t.closed_at), t.client_order_ids.size(), t.paper_pnl,
                         t.pnl_impact, t.complete ? "" : "  (incomplete)");
    }
  }
  return out;
}

}  // namespace gauntlet::orders
