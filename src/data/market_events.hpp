// File: data/market_events.hpp
//
// The market-data events every feed publishes on the event bus, and the reference data the
// engine caches about instruments. A historical replay, the simulated market and the live
// Bybit feed produce exactly these types, so nothing downstream can tell them apart except
// through the explicit `feed` field (shown to the user as a banner).
//
// Identity: a market is (domain, symbol): the same canonical BTCUSDT exists as spot and as a
// perpetual. The venue follows from the domain (spot, perp: Bybit; forex, options: IBKR).
//
// Threading: plain immutable value structs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/decimal.hpp"
#include "core/interfaces.hpp"
#include "core/symbol.hpp"
#include "core/time.hpp"

namespace gauntlet::data {

enum class FeedKind {
  kReplay,     // historical bars from the store on a SimClock
  kSimulated,  // the seeded simulated market, the offline default
  kLive,       // the venue's live public feed
};

std::string_view to_string(FeedKind feed);
std::optional<FeedKind> feed_kind_from_string(std::string_view text);

// A bar whose interval has ended: final, never revised by the feed afterwards (a later
// correction arrives as another BarClosed with the same open time, and upserts).
struct BarClosed {
  FeedKind feed = FeedKind::kLive;
  Asset domain = Asset::kSpot;
  Symbol symbol;
  Timeframe timeframe = Timeframe::k1m;
  Bar bar;
  TimestampMs event_time = 0;  // when the feed produced it (venue time, or the SimClock's)
};

// The bar still forming: the latest values of the current interval.
struct BarUpdated {
  FeedKind feed = FeedKind::kLive;
  Asset domain = Asset::kSpot;
  Symbol symbol;
  Timeframe timeframe = Timeframe::k1m;
  Bar bar;
  TimestampMs event_time = 0;
};

// Top of book and 24h statistics (Bybit tickers). A field the feed does not provide is zero
// (mark_price on spot, sizes on some replays).
struct QuoteUpdated {
  FeedKind feed = FeedKind::kLive;
  Asset domain = Asset::kSpot;
  Symbol symbol;
  TimestampMs event_time = 0;
  Decimal last_price;
  Decimal bid_price;
  Decimal bid_size;
  Decimal ask_price;
  Decimal ask_size;
  Decimal mark_price;
  Decimal volume_24h;    // base units
  Decimal turnover_24h;  // quote units
};

// A 24h volume or turnover summed in raw Decimal units (a day of BTC turnover outgrows
// Decimal's range), as the quote carries it: saturated at Decimal::max(), like the venue
// parser's.
Decimal saturated_sum(__int128 raw_sum);

// Trading rules of an instrument (Bybit instruments-info), cached for sizing and validation.
struct InstrumentInfo {
  Asset domain = Asset::kSpot;
  Symbol symbol;
  std::string status;  // "Trading" when open
  Decimal tick_size;
  Decimal qty_step;
  Decimal min_qty;
  Decimal max_qty;
  Decimal min_notional;
  TimestampMs launch_time = 0;  // listing age for the symbol universe; 0 when unknown

  // The smallest quantity an order may carry: the larger of min_qty and qty_step (zero when
  // neither is known). A spot holding below it is dust: the venue will not sell it.
  Decimal min_order_quantity() const { return min_qty > qty_step ? min_qty : qty_step; }
};

}  // namespace gauntlet::data
