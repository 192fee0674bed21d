// File: data/data_manager.hpp
//
// DataManager: the single owner of market data for one venue and domain (seed 001 §2.1, seed
// 000 data_manager.py). It owns the bars at rest (load_bars, upsert_bars, last_bar_time), plans
// gap backfills in venue-sized pages, keeps the last quote per symbol and a cache of recent
// closed bars fed by the event bus (get_last_quote, get_ohlc, on_tick), persists bars closed by
// the live feed, and resamples each symbol's closed base bars (1m unless set_base_timeframe
// names a coarser source, e.g. a replay of stored 5m bars) into the configured timeframes that
// are whole multiples of it, publishing them as BarClosed of the same feed (a bar closes only
// when its interval has ended; advance_to() closes intervals that time has passed when the
// source bars stopped coming).
//
// Feeds (replay, simulated market, live venue) publish on the bus; subscribe() forwards the
// wanted symbols and streams to the MarketDataSource attached, if any. fetch_klines_async (the
// Bybit REST backfill) arrives with the Bybit client.
//
// Threading: on the core loop thread, like the EventBus and Clock it uses.
#pragma once

#include <array>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/event_bus.hpp"
#include "data/bar_checks.hpp"
#include "data/bar_store.hpp"
#include "data/market_events.hpp"
#include "data/resampler.hpp"

namespace gauntlet::data {

enum class Stream { kBars, kQuotes };

// A producer of market-data events the DataManager can steer.
class MarketDataSource {
 public:
  virtual ~MarketDataSource() = default;
  virtual FeedKind kind() const = 0;
  // Starts (or widens) the streams of `symbols`; events then arrive on the bus.
  virtual void subscribe(const std::vector<Symbol>& symbols,
                         const std::vector<Stream>& streams) = 0;
};

// One REST request of a backfill: the bars with open time in [from, to), at most a page.
struct KlineRequest {
  Symbol symbol;
  Timeframe timeframe = Timeframe::k1m;
  TimestampMs from = 0;
  TimestampMs to = 0;
  std::size_t bars = 0;
  friend bool operator==(const KlineRequest&, const KlineRequest&) = default;
};

// The rules derived (data/instrument_rules.hpp) from the stored bars of `symbol` on `domain`:
// a sample of the first and the last stored day of its finest stored timeframe, `venue`'s series
// before another venue's; nullopt when none are stored.
std::optional<InstrumentInfo> derive_instrument_from(const BarStore& store, std::string_view venue,
                                                     Asset domain, const Symbol& symbol);

class DataManager {
 public:
  struct Options {
    std::size_t cached_bars = 2000;  // per symbol and timeframe
    std::vector<Timeframe> resample_to = {Timeframe::k5m, Timeframe::k15m};
    bool persist_live_bars = true;
  };

  DataManager(std::string venue, Asset domain, BarStore& store, EventBus& bus, const Clock& clock);
  DataManager(std::string venue, Asset domain, BarStore& store, EventBus& bus, const Clock& clock,
              Options options);

  const std::string& venue() const { return venue_; }
  Asset domain() const { return domain_; }
  SeriesKey key(const Symbol& symbol, Timeframe timeframe) const;

  BarSeries load_bars(const Symbol& symbol, Timeframe timeframe, TimestampMs from,
                      TimestampMs to) const;
  UpsertResult upsert_bars(const Symbol& symbol, Timeframe timeframe, std::span<const Bar> bars);
  std::optional<TimestampMs> last_bar_time(const Symbol& symbol, Timeframe timeframe) const;

  // The requests that fill every missing bar with open time in [from, to), each at most
  // `page_limit` bars (Bybit: 1000), oldest first.
  std::vector<KlineRequest> gap_backfill_plan(const Symbol& symbol, Timeframe timeframe,
                                              TimestampMs from, TimestampMs to,
                                              std::size_t page_limit = 1000) const;

  void attach_source(MarketDataSource* source);
  void subscribe(const std::vector<Symbol>& symbols, const std::vector<Stream>& streams);
  const std::vector<Symbol>& subscribed_symbols() const { return symbols_; }

  std::optional<QuoteUpdated> get_last_quote(const Symbol& symbol) const;
  // The last `lookback` closed bars, oldest first: the live cache, topped up from the store
  // (for a timeframe this manager resamples and the store lacks, resampled from stored 1m bars).
  BarSeries get_ohlc(const Symbol& symbol, Timeframe timeframe, std::size_t lookback) const;
  // Calls `callback` for every quote of this domain.
  Subscription on_tick(std::function<void(const QuoteUpdated&)> callback);

  // The venue's trading rules (tick size, qty step, min qty and notional), cached for sizing
  // and validation; set_instruments replaces the cache (refresh_instruments_async fills it;
  // the simulated market's listed_instruments() stand in for a venue's).
  void set_instruments(const std::vector<InstrumentInfo>& instruments);
  // The trading rules of `symbol`: the venue's (set_instruments); else, on forex, IDEALPRO's
  // conventions for its cash pairs; else rules derived from the symbol's stored bars (the first
  // and the last stored day of its finest stored timeframe, this venue's series first), once
  // (data/instrument_rules.hpp). nullopt when there are neither rules nor bars.
  std::optional<InstrumentInfo> get_instrument(const Symbol& symbol) const;
  // The venue's rules held (not counting the fallbacks).
  std::size_t instrument_count() const { return instruments_.size(); }

  // Closes resampled intervals that ended by `now` (a quiet market or an outage).
  void advance_to(TimestampMs now);

  // After a restart at `now`: gives the resamplers of every subscribed symbol the stored base
  // bars of the interval still forming, so the first resampled bars after the restart are
  // whole, exactly those an uninterrupted run closes.
  void resume_at(TimestampMs now);

  // The timeframe `symbol`'s bars arrive in and are resampled from (1m until set): the
  // configured targets that are coarser whole multiples of it are made from it, in the stream
  // and from the store; a target finer than it or not a multiple is not made.
  void set_base_timeframe(const Symbol& symbol, Timeframe base);
  Timeframe base_timeframe(const Symbol& symbol) const;

  // The feed the last event came from; nullopt before any.
  std::optional<FeedKind> feed_kind() const { return feed_; }

 private:
  static constexpr std::size_t kTimeframes = kAllTimeframes.size();

  // The bars get_ohlc last read from the store for one symbol and timeframe: [from, end) at
  // the store's generation. During a replay's first hours every evaluation tops up the same
  // short cache with the same older bars, so the read is done once.
  struct StoredWindow {
    bool valid = false;
    TimestampMs from = 0;
    TimestampMs end = 0;
    uint64_t generation = 0;
    BarSeries bars;
  };
  // Everything kept per symbol, found with one lookup per event; arrays by Timeframe.
  struct SymbolData {
    explicit SymbolData(Symbol s) : symbol(std::move(s)) {}
    Symbol symbol;
    std::optional<FeedKind> last_feed;
    Timeframe base = Timeframe::k1m;  // set_base_timeframe
    std::array<std::deque<Bar>, kTimeframes> recent;
    std::array<std::optional<Resampler>, kTimeframes> resamplers;  // by target timeframe
    std::array<StoredWindow, kTimeframes> stored;                  // get_ohlc's top-ups
  };

  SymbolData& data_of(const Symbol& symbol);
  // Whether `target` is made from `base` bars: a configured resample target that is a coarser
  // whole multiple of it.
  bool resamples(Timeframe base, Timeframe target) const;
  // The stored bars of [from, end), from the memo when the store has not changed since.
  const BarSeries& stored_window(SymbolData& data, Timeframe timeframe, TimestampMs from,
                                 TimestampMs end) const;
  BarSeries stored_or_resampled(const Symbol& symbol, Timeframe timeframe, TimestampMs from,
                                TimestampMs to) const;
  void on_bar_closed(const BarClosed& event);
  void on_quote(const QuoteUpdated& event);

  std::string venue_;
  Asset domain_;
  BarStore& store_;
  EventBus& bus_;
  const Clock& clock_;
  Options options_;
  MarketDataSource* source_ = nullptr;
  std::vector<Symbol> symbols_;
  std::map<std::string, QuoteUpdated, std::less<>> quotes_;
  std::map<std::string, InstrumentInfo, std::less<>> instruments_;
  // get_instrument's fallbacks derived from the store, by canonical symbol; and the store
  // generation at which a symbol had no bars (looked at again only after the store changes).
  mutable std::map<std::string, InstrumentInfo, std::less<>> derived_;
  mutable std::map<std::string, uint64_t, std::less<>> underived_;
  // By canonical symbol, in its order (advance_to publishes in it). Mutable: get_ohlc memoises.
  mutable std::map<std::string, SymbolData, std::less<>> data_;
  std::optional<FeedKind> feed_;
  Subscription bars_subscription_;
  Subscription quotes_subscription_;
};

}  // namespace gauntlet::data
