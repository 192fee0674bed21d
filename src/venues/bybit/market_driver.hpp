// File: venues/bybit/market_driver.hpp
//
// MarketDriver: the market of the local Bybit. It produces closed 1-minute bars for spot and
// linear symbols from one of two sources and publishes each to a VenueServer as Bybit would:
//   simulated  the seeded simulated market (data/feeds/simulated_market.hpp), its universe of
//              SimulatedMarketConfig::default_crypto(seed, ...) restricted to the symbols asked
//              for; every symbol trades spot and linear, on the listing's tick and qty step;
//   replay     the stored 1m bars (data/bar_store.hpp) of <data_root>/<venue>/{spot,perp}/
//              <SYMBOL>/1m/: spot bars serve spot, perp bars linear; of several venues holding a
//              series the "bybit" one, else the first by name. Tick and qty step are derived
//              from the series' first stored day (data/instrument_rules.hpp). A replay may be
//              re-dated (MarketDriverOptions::rebase_to): the same bars, shifted in time.
// The bar with open time t is the market's minute t: a replay skips minutes no series has. A
// minute's bars are published series by series: simulated, symbol by symbol in the order asked
// for (spot, then linear); replay, the spot series then the linear ones, by symbol.
//
// At construction the driver publishes every instrument (instruments-info in Bybit's exact
// shape: tick and qty step as above, the minimum quantity one step, minimum notional 1 USDT on
// spot and 5 on linear, maximum quantities worth about 2 M / 10 M USDT at the first price) and
// the history window, the bars of [from - history, from): /v5/market/kline serves them on every
// timeframe (1m, and 3m ... 1d resampled with data/resampler.hpp) and /v5/market/tickers the
// state after the last of them. History bars are not pushed and reach no listener.
//
// Then each publish_next_minute(), for each series with a bar at that minute:
//   - the bar joins the 1m kline history, and every coarser bar it completes joins its own;
//   - kline pushes to the subscribers: the 1m bar and the completed coarser bars with confirm
//     true, the coarser bars still forming with confirm false;
//   - the ticker: lastPrice the close, bid1Price = lastPrice and ask1Price one tick above (the
//     engine's simulated quotes), sizes a tenth of the bar's volume (at least one step),
//     prevPrice24h / highPrice24h / lowPrice24h / volume24h / turnover24h over the bars of the
//     last 24 h (volume and turnover saturating like QuoteUpdated's), markPrice and indexPrice
//     = lastPrice on linear with a funding rate of 0.0001 every 8 h; set for REST and pushed
//     as a tickers.<SYMBOL> snapshot;
//   - every bar listener, with the category, the symbol and the 1m bar (the private side
//     matches its orders there).
// start() calls it on the driver's own thread at `speed` bars per wall-clock minute: speed 1 is
// real time, 60 a bar a second. A simulated market without `from`, and a replay re-dated to the
// current minute, start there, so at speed 1 each bar is published when its minute ends on the
// wall clock.
//
// Threading: publish_next_minute(), add_bar_listener() and the observers lock one mutex, so any
// thread may call them; listeners are called on the publishing thread (the driver's, after
// start()) with that mutex held: they must not call back into the driver. The VenueServer must
// outlive the driver; the destructor stops the thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "core/interfaces.hpp"
#include "core/symbol.hpp"
#include "core/time.hpp"
#include "data/market_events.hpp"
#include "venues/bybit/venue_server.hpp"

namespace gauntlet::venues::bybit {

enum class MarketSource { kSimulated, kReplay };

// "simulated", "replay"
std::string_view to_string(MarketSource source);
std::optional<MarketSource> market_source_from_string(std::string_view text);

struct MarketDriverOptions {
  MarketSource source = MarketSource::kSimulated;
  // The symbols served; empty: every symbol of the source (the simulated universe, or every
  // stored 1m spot and perp series).
  std::vector<Symbol> symbols;
  // Simulated: the seed of the market.
  uint64_t seed = 1;
  // Replay: the bar store's root.
  std::filesystem::path data_root;
  // Open time of the first bar published after the history (aligned down to the minute);
  // unset: simulated, the current minute; replay, the first stored bar + history.
  std::optional<TimestampMs> from;
  // Replay: re-dates the market so that the first bar published after the history opens at
  // this minute (aligned down): every stored bar, the history's too, is published shifted by
  // the same whole number of minutes, and the instruments' launch times with them. Unset: the
  // stored times. Set to the current minute, start() publishes each bar as its minute ends on
  // the wall clock at speed 1 (a replay that looks live); set in the past, a session can run
  // the replay faster than real time and never see a bar from the future.
  std::optional<TimestampMs> rebase_to;
  // How much market time before `from` the history window holds.
  DurationMs history = kDayMs;
  // Bars per wall-clock minute after start(); positive.
  double speed = 1;
};

// Called with every bar published after the history window.
using BarListener = std::function<void(Category category, const Symbol& symbol, const Bar& bar)>;

class MarketDriver {
 public:
  // Reads the source and publishes the instruments and the history window to `server`.
  // Throws ArgumentError for an option out of range or a symbol the source lacks (naming it),
  // DataError when a replay finds no bars.
  MarketDriver(VenueServer& server, MarketDriverOptions options);
  // Stops the driver's thread.
  ~MarketDriver();
  MarketDriver(const MarketDriver&) = delete;
  MarketDriver& operator=(const MarketDriver&) = delete;

  void add_bar_listener(BarListener listener);

  // The latest bar of each series (before start(): the last of the history window), for a
  // listener that needs the market's state before the first bar it hears (the private side's
  // last prices). Series without a bar are left out.
  struct SeriesBar {
    Category category = Category::kSpot;
    Symbol symbol;
    Bar bar;
  };
  std::vector<SeriesBar> last_bars() const;

  // Publishes the next minute's bars now (see the file comment); false, publishing nothing,
  // when a replay has no bar left.
  bool publish_next_minute();

  // Starts the thread that publishes at `speed` bars per wall-clock minute, until stop(), the
  // destructor or the end of a replay. Called at most once.
  void start();
  // Stops and joins that thread; idempotent.
  void stop();

  // The instruments published, spot then linear, each in the order of the symbols.
  const std::vector<data::InstrumentInfo>& instruments() const { return instruments_; }
  // Open time of the next minute to publish (after the last bar of a finished replay).
  TimestampMs next_open_time() const;
  // True once a replay has published its last bar.
  bool finished() const;
  // Bars published after the history window, over every series.
  std::size_t bars_published() const;

 private:
  struct Series;
  class Source;

  void publish_history();
  void publish(Series& series, const Bar& bar, const std::vector<std::string>& subscribed);
  void run();

  VenueServer& server_;
  MarketDriverOptions options_;
  std::unique_ptr<Source> source_;
  std::vector<std::unique_ptr<Series>> series_;
  std::vector<data::InstrumentInfo> instruments_;
  std::vector<BarListener> listeners_;
  bool align_to_wall_clock_ = false;

  mutable std::mutex mutex_;
  std::size_t bars_published_ = 0;
  TimestampMs next_open_time_ = 0;
  bool finished_ = false;

  std::mutex thread_mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace gauntlet::venues::bybit
