#include "venues/bybit/market_driver.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <deque>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>

#include "core/check.hpp"
#include "core/decimal.hpp"
#include "core/exceptions.hpp"
#include "data/bar_store.hpp"
#include "data/feeds/simulated_market.hpp"
#include "data/instrument_rules.hpp"
#include "data/resampler.hpp"
#include "venues/bybit/internal/wire.hpp"

namespace gauntlet::venues::bybit {

namespace {

constexpr std::array<std::string_view, 2> kSourceNames = {"simulated", "replay"};

// The coarser timeframes the server serves, resampled from the 1m bars.
constexpr std::array<Timeframe, 7> kCoarserTimeframes = {
    Timeframe::k3m, Timeframe::k5m, Timeframe::k15m, Timeframe::k30m,
    Timeframe::k1h, Timeframe::k4h, Timeframe::k1d};

constexpr DurationMs kFundingIntervalMs = 8 * kHourMs;
constexpr std::string_view kFundingRate = "0.0001";
constexpr std::string_view kPreferredVenue = "bybit";
// What the default maximum order quantities are worth at the first price, in quote units.
constexpr double kSpotMaxOrderWorth = 2e6;
constexpr double kLinearMaxOrderWorth = 1e7;
constexpr std::string_view kSpotMinOrderAmount = "1";
constexpr std::string_view kLinearMinNotional = "5";

TimestampMs wall_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The largest multiple of `step` worth about `worth` at `price`, capped at 10^9 and at least
// `minimum`.
Decimal max_quantity(double worth, Decimal price, Decimal step, Decimal minimum) {
  const double quantity = price.is_positive() ? std::min(worth / price.to_double(), 1e9) : 1e9;
  const Decimal rounded =
      Decimal::from_double(quantity, Rounding::kFloor).round_to_step(step, Rounding::kFloor);
  return std::max(rounded, minimum);
}

// The instruments-info item of `info` in Bybit's shape (http_get_instruments_{spot,linear}
// .json), priced around `price`.
nlohmann::ordered_json instrument_item(Category category, const data::InstrumentInfo& info,
                                       Decimal price, TimestampMs launch_time) {
  const std::string tick = info.tick_size.to_string();
  const Decimal min_qty = std::max(info.min_qty, info.qty_step);
  nlohmann::ordered_json item;
  item["symbol"] = info.symbol.canonical();
  if (category == Category::kSpot) {
    const Decimal max_qty = info.max_qty.is_positive()
                                ? info.max_qty
                                : max_quantity(kSpotMaxOrderWorth, price, info.qty_step, min_qty);
    item["baseCoin"] = info.symbol.base();
    item["quoteCoin"] = info.symbol.quote();
    item["innovation"] = "0";
    item["status"] = info.status.empty() ? "Trading" : info.status;
    item["marginTrading"] = "utaOnly";
    item["lotSizeFilter"] = {
        {"basePrecision", info.qty_step.to_string()},
        {"quotePrecision", "0.00000001"},
        {"minOrderQty", min_qty.to_string()},
        {"maxOrderQty", max_qty.to_string()},
        {"minOrderAmt", info.min_notional.is_positive() ? info.min_notional.to_string()
                                                        : std::string(kSpotMinOrderAmount)},
        {"maxOrderAmt", fmt::format("{:.0f}", kSpotMaxOrderWorth)},
    };
    item["priceFilter"] = {{"tickSize", tick}};
    return item;
  }
  const Decimal max_qty = info.max_qty.is_positive()
                              ? info.max_qty
                              : max_quantity(kLinearMaxOrderWorth, price, info.qty_step, min_qty);
  const Decimal market_max = std::max(max_qty.div(Decimal::from_int(2), Rounding::kFloor)
                                          .round_to_step(info.qty_step, Rounding::kFloor),
                                      min_qty);
  // Bybit's price band: about 2e7 ticks (BTCUSDT: 0.10 .. 1999999.80), within Decimal's range.
  const Decimal max_price = info.tick_size < Decimal::from_int(400)
                                ? info.tick_size * Decimal::from_int(20'000'000) - info.tick_size
                                : Decimal::from_int(8'000'000'000);
  item["contractType"] = "LinearPerpetual";
  item["status"] = info.status.empty() ? "Trading" : info.status;
  item["baseCoin"] = info.symbol.base();
  item["quoteCoin"] = info.symbol.quote();
  item["launchTime"] = std::to_string(launch_time);
  item["deliveryTime"] = "0";
  item["deliveryFeeRate"] = "";
  item["priceScale"] = std::to_string(data::decimal_places(info.tick_size));
  item["leverageFilter"] = {
      {"minLeverage", "1"}, {"maxLeverage", "100.00"}, {"leverageStep", "0.01"}};
  item["priceFilter"] = {
      {"minPrice", tick}, {"maxPrice", max_price.to_string()}, {"tickSize", tick}};
  item["lotSizeFilter"] = {
      {"maxOrderQty", max_qty.to_string()},
      {"minOrderQty", min_qty.to_string()},
      {"qtyStep", info.qty_step.to_string()},
      {"postOnlyMaxOrderQty", max_qty.to_string()},
      {"maxMktOrderQty", market_max.to_string()},
      {"minNotionalValue", info.min_notional.is_positive() ? info.min_notional.to_string()
                                                           : std::string(kLinearMinNotional)},
  };
  item["unifiedMarginTrade"] = true;
  item["fundingInterval"] = kFundingIntervalMs / kMinuteMs;
  item["settleCoin"] = info.symbol.quote();
  item["copyTrading"] = "none";
  item["upperFundingRate"] = "0.00375";
  item["lowerFundingRate"] = "-0.00375";
  return item;
}

// (last - previous) / previous with 6 decimals, as Bybit writes price24hPcnt; "0" when there is
// no previous price.
std::string change_fraction(Decimal last, Decimal previous) {
  if (!previous.is_positive()) return "0";
  return (last - previous).div(previous, Rounding::kHalfEven).round_to_places(6).to_string();
}

}  // namespace

std::string_view to_string(MarketSource source) {
  return kSourceNames[static_cast<std::size_t>(source)];
}

std::optional<MarketSource> market_source_from_string(std::string_view text) {
  for (std::size_t i = 0; i < kSourceNames.size(); ++i) {
    if (kSourceNames[i] == text) return static_cast<MarketSource>(i);
  }
  return std::nullopt;
}

// One served market: a symbol in one category, with what it takes to publish its bars.
struct MarketDriver::Series {
  Category category = Category::kSpot;
  Symbol symbol;
  data::InstrumentInfo instrument;
  Decimal first_price;  // the open of the series' first bar, to size the instrument's limits
  TimestampMs launch_time = 0;  // the open time of its first bar
  std::vector<std::pair<Timeframe, data::Resampler>> resamplers;
  std::deque<Bar> last_day;  // the bars of the last 24 h, oldest first
  __int128 volume_24h = 0;   // raw Decimal units of last_day's volumes and turnovers
  __int128 turnover_24h = 0;

  Series(Category category, Symbol symbol) : category(category), symbol(std::move(symbol)) {
    for (const Timeframe timeframe : kCoarserTimeframes) {
      resamplers.emplace_back(timeframe, data::Resampler(Timeframe::k1m, timeframe));
    }
  }

  // Adds a 1m bar to the 24 h window and the resamplers; `on_closed` gets every coarser bar
  // the bar completes.
  void absorb(const Bar& bar, const std::function<void(Timeframe, const Bar&)>& on_closed) {
    last_day.push_back(bar);
    volume_24h += bar.volume.raw();
    turnover_24h += bar.turnover.raw();
    while (last_day.front().open_time <= bar.open_time - kDayMs) {
      volume_24h -= last_day.front().volume.raw();
      turnover_24h -= last_day.front().turnover.raw();
      last_day.pop_front();
    }
    for (auto& [timeframe, resampler] : resamplers) {
      resampler.add(
          bar, [&, timeframe = timeframe](const Bar& closed) { on_closed(timeframe, closed); });
    }
  }

  // The /v5/market/tickers item after the last absorbed bar.
  nlohmann::json ticker() const {
    const Bar& last = last_day.back();
    Decimal high = last.high;
    Decimal low = last.low;
    Decimal open_1h = last.open;
    for (const Bar& bar : last_day) {
      high = std::max(high, bar.high);
      low = std::min(low, bar.low);
    }
    for (auto bar = last_day.rbegin();
         bar != last_day.rend() && bar->open_time > last.open_time - kHourMs; ++bar) {
      open_1h = bar->open;
    }
    const Decimal step = instrument.qty_step;
    const Decimal size = std::max(last.volume.div(Decimal::from_int(10), Rounding::kFloor)
                                      .round_to_step(step, Rounding::kFloor),
                                  step);
    const std::string price = last.close.to_string();
    const Decimal previous = last_day.front().open;
    nlohmann::json item;
    item["symbol"] = symbol.canonical();
    item["lastPrice"] = price;
    item["bid1Price"] = price;
    item["bid1Size"] = size.to_string();
    item["ask1Price"] = (last.close + instrument.tick_size).to_string();
    item["ask1Size"] = size.to_string();
    item["prevPrice24h"] = previous.to_string();
    item["price24hPcnt"] = change_fraction(last.close, previous);
    item["highPrice24h"] = high.to_string();
    item["lowPrice24h"] = low.to_string();
    item["turnover24h"] = data::saturated_sum(turnover_24h).to_string();
    item["volume24h"] = data::saturated_sum(volume_24h).to_string();
    if (category == Category::kSpot) {
      item["usdIndexPrice"] = price;
      return item;
    }
    const TimestampMs close_time = last.open_time + kMinuteMs;
    item["indexPrice"] = price;
    item["markPrice"] = price;
    item["prevPrice1h"] = open_1h.to_string();
    item["openInterest"] = "0";
    item["openInterestValue"] = "0";
    item["fundingRate"] = kFundingRate;
    item["nextFundingTime"] =
        std::to_string(floor_to(close_time, kFundingIntervalMs) + kFundingIntervalMs);
    item["fundingIntervalHour"] = std::to_string(kFundingIntervalMs / kHourMs);
    item["predictedDeliveryPrice"] = "";
    item["basisRate"] = "";
    item["deliveryFeeRate"] = "";
    item["deliveryTime"] = "0";
    item["basis"] = "";
    return item;
  }
};

// Where the bars come from: the simulated market, or the bar store. Series are numbered as
// the driver's series_.
class MarketDriver::Source {
 public:
  struct MinuteBar {
    std::size_t series = 0;
    Bar bar;
  };

  // The simulated market of `options`, starting at `start`; fills `series`.
  static std::unique_ptr<Source> simulated(const MarketDriverOptions& options, TimestampMs start,
                                           std::vector<std::unique_ptr<Series>>& series) {
    data::SimulatedMarketConfig config =
        data::SimulatedMarketConfig::default_crypto(options.seed, start);
    if (!options.symbols.empty()) {
      std::vector<data::SimulatedSymbol> chosen;
      for (const Symbol& symbol : options.symbols) {
        const auto found =
            std::find_if(config.symbols.begin(), config.symbols.end(),
                         [&](const data::SimulatedSymbol& s) { return s.symbol == symbol; });
        if (found == config.symbols.end()) {
          std::string known;
          for (const data::SimulatedSymbol& s : config.symbols) {
            known += (known.empty() ? "" : ", ") + s.symbol.canonical();
          }
          throw ArgumentError(fmt::format("symbol {} is not in the simulated market, which has {}",
                                          symbol.canonical(), known));
        }
        if (std::none_of(chosen.begin(), chosen.end(),
                         [&](const data::SimulatedSymbol& s) { return s.symbol == symbol; })) {
          chosen.push_back(*found);
        }
      }
      config.symbols = std::move(chosen);
    }
    const std::vector<data::InstrumentInfo> instruments = data::listed_instruments(config);
    for (const data::InstrumentInfo& info : instruments) {
      const std::optional<Category> category = brokers::bybit::category_of(info.domain);
      GAUNTLET_CHECK(category.has_value(), "a simulated listing of {} is neither spot nor perp",
                     info.symbol.canonical());
      auto& added = series.emplace_back(std::make_unique<Series>(*category, info.symbol));
      added->instrument = info;
      added->launch_time = start;
      for (const data::SimulatedSymbol& simulated : config.symbols) {
        if (simulated.symbol == info.symbol) added->first_price = simulated.start_price;
      }
    }
    auto source = std::unique_ptr<Source>(new Source);
    source->market_.emplace(std::move(config));
    return source;
  }

  // The stored bars of `options` from `from` (nullopt: the first stored bar + history), with
  // their history before it; fills `series` and says where the live bars start.
  static std::unique_ptr<Source> replay(const MarketDriverOptions& options,
                                        std::vector<std::unique_ptr<Series>>& series,
                                        TimestampMs& from) {
    auto source = std::unique_ptr<Source>(new Source);
    source->store_.emplace(options.data_root);
    const data::BarStore& store = *source->store_;
    // (category, symbol) -> the series' key, of the preferred venue.
    std::map<std::pair<Category, std::string>, data::SeriesKey> chosen;
    for (const data::SeriesKey& key : store.list()) {
      const std::optional<Category> category = brokers::bybit::category_of(key.domain);
      if (!category || key.timeframe != Timeframe::k1m) continue;
      if (!options.symbols.empty() && std::find(options.symbols.begin(), options.symbols.end(),
                                                key.symbol) == options.symbols.end()) {
        continue;
      }
      const auto slot = std::make_pair(*category, key.symbol.canonical());
      const auto existing = chosen.find(slot);
      if (existing == chosen.end() ||
          (existing->second.venue != kPreferredVenue && key.venue == kPreferredVenue)) {
        chosen[slot] = key;
      }
    }
    for (const Symbol& symbol : options.symbols) {
      if (!chosen.contains({Category::kSpot, symbol.canonical()}) &&
          !chosen.contains({Category::kLinear, symbol.canonical()})) {
        throw ArgumentError(fmt::format("symbol {} has no stored 1m spot or perp bars under {}",
                                        symbol.canonical(), options.data_root.string()));
      }
    }
    if (chosen.empty()) {
      throw DataError(fmt::format(
          "no stored 1m spot or perp bars under {} (import some with `gauntlet data import`)",
          options.data_root.string()));
    }
    // Spot first, then linear; symbols sorted within each (the map's order).
    TimestampMs first = std::numeric_limits<TimestampMs>::max();
    TimestampMs last = std::numeric_limits<TimestampMs>::min();
    for (const auto& [slot, key] : chosen) {
      const std::optional<TimestampMs> first_time = store.first_bar_time(key);
      const std::optional<TimestampMs> last_time = store.last_bar_time(key);
      if (!first_time || !last_time) continue;  // a series directory without bars
      Stored stored;
      stored.key = key;
      stored.next_load = *first_time;
      stored.end = *last_time + kMinuteMs;
      first = std::min(first, stored.next_load);
      last = std::max(last, stored.end - kMinuteMs);
      const data::BarSeries sample =
          store.load_bars(key, stored.next_load, stored.next_load + kDayMs);
      const std::vector<Bar> bars = sample.to_bars();
      auto& added = series.emplace_back(std::make_unique<Series>(slot.first, key.symbol));
      added->instrument = data::derive_instrument(key.domain, key.symbol, bars);
      added->launch_time = stored.next_load;
      if (!bars.empty()) added->first_price = bars.front().open;
      source->stored_.push_back(std::move(stored));
    }
    if (series.empty()) {
      throw DataError(
          fmt::format("no stored 1m spot or perp bars under {}", options.data_root.string()));
    }
    if (!options.from) from = floor_to(std::min(first + options.history, last), kMinuteMs);
    if (options.rebase_to) {
      source->shift_ = floor_to(*options.rebase_to, kMinuteMs) - from;
      from += source->shift_;
      for (auto& added : series) added->launch_time += source->shift_;
    }
    return source;
  }

  // The bars of every series with open time in [from, to), series by series, each oldest first.
  std::vector<std::vector<Bar>> history(TimestampMs from, TimestampMs to, std::size_t series) {
    std::vector<std::vector<Bar>> bars(series);
    if (market_) {
      GAUNTLET_CHECK(market_->next_time() == from, "the simulated market starts at {}, not {}",
                     market_->next_time(), from);
      while (market_->next_time() < to) {
        const std::vector<data::BarClosed>& minute = market_->next_minute();
        for (std::size_t i = 0; i < minute.size(); ++i) bars[i].push_back(minute[i].bar);
      }
      return bars;
    }
    for (std::size_t i = 0; i < stored_.size(); ++i) {
      bars[i] = store_->load_bars(stored_[i].key, from - shift_, to - shift_).to_bars();
      for (Bar& bar : bars[i]) bar.open_time += shift_;
      stored_[i].next_load = std::max(stored_[i].next_load, to - shift_);
    }
    return bars;
  }

  // The open time of the next minute with a bar; nullopt at the end of a replay.
  std::optional<TimestampMs> next_open_time() {
    if (market_) return market_->next_time();
    std::optional<TimestampMs> next;
    for (Stored& stored : stored_) {
      fill(stored);
      if (!stored.pending.empty()) {
        next = std::min(next.value_or(std::numeric_limits<TimestampMs>::max()),
                        stored.pending.front().open_time);
      }
    }
    return next;
  }

  // The bars of the next minute with any; empty at the end of a replay.
  std::vector<MinuteBar> next_minute() {
    std::vector<MinuteBar> bars;
    if (market_) {
      const std::vector<data::BarClosed>& minute = market_->next_minute();
      for (std::size_t i = 0; i < minute.size(); ++i) bars.push_back({i, minute[i].bar});
      return bars;
    }
    const std::optional<TimestampMs> time = next_open_time();
    if (!time) return bars;
    for (std::size_t i = 0; i < stored_.size(); ++i) {
      std::deque<Bar>& pending = stored_[i].pending;
      if (!pending.empty() && pending.front().open_time == *time) {
        bars.push_back({i, pending.front()});
        pending.pop_front();
      }
    }
    return bars;
  }

 private:
  // A stored series being replayed: the bars loaded (re-dated) and not yet published, and what
  // is left (in stored time).
  struct Stored {
    data::SeriesKey key;
    std::deque<Bar> pending;
    TimestampMs next_load = 0;  // stored bars before this were loaded
    TimestampMs end = 0;        // after the last stored bar
  };

  Source() = default;

  // Loads the next stored day(s) of `stored` until it has a pending bar or none is left.
  void fill(Stored& stored) {
    while (stored.pending.empty() && stored.next_load < stored.end) {
      const TimestampMs to = std::min(floor_to(stored.next_load, kDayMs) + kDayMs, stored.end);
      for (Bar bar : store_->load_bars(stored.key, stored.next_load, to).to_bars()) {
        bar.open_time += shift_;
        stored.pending.push_back(bar);
      }
      stored.next_load = to;
    }
  }

  std::optional<data::SimulatedMarket> market_;
  std::optional<data::BarStore> store_;
  std::vector<Stored> stored_;
  DurationMs shift_ = 0;  // a replay's re-dating: published time = stored time + shift_
};

MarketDriver::MarketDriver(VenueServer& server, MarketDriverOptions options)
    : server_(server), options_(std::move(options)) {
  if (!(options_.speed > 0) || !std::isfinite(options_.speed)) {
    throw ArgumentError(fmt::format("speed must be positive, was {}", options_.speed));
  }
  if (options_.history < 0 || options_.history % kMinuteMs != 0) {
    throw ArgumentError(fmt::format(
        "history must be a non-negative whole number of minutes, was {} ms", options_.history));
  }
  const TimestampMs wall_minute = floor_to(wall_now_ms(), kMinuteMs);
  TimestampMs from = floor_to(options_.from.value_or(wall_minute), kMinuteMs);
  if (options_.source == MarketSource::kSimulated) {
    if (options_.rebase_to) throw ArgumentError("only a replay can be re-dated (rebase_to)");
    align_to_wall_clock_ = !options_.from.has_value();
    source_ = Source::simulated(options_, from - options_.history, series_);
  } else {
    if (options_.data_root.empty()) throw ArgumentError("a replay needs a data root");
    source_ = Source::replay(options_, series_, from);
    align_to_wall_clock_ =
        options_.rebase_to && floor_to(*options_.rebase_to, kMinuteMs) == wall_minute;
  }
  options_.from = from;
  publish_history();
}

MarketDriver::~MarketDriver() {
  stop();
}

void MarketDriver::publish_history() {
  const TimestampMs from = *options_.from;
  const std::vector<std::vector<Bar>> history =
      source_->history(from - options_.history, from, series_.size());
  for (const Category category : {Category::kSpot, Category::kLinear}) {
    for (std::size_t i = 0; i < series_.size(); ++i) {
      const Series& series = *series_[i];
      if (series.category != category) continue;
      server_.add_instrument(category, instrument_item(category, series.instrument,
                                                       series.first_price, series.launch_time));
      instruments_.push_back(series.instrument);
    }
  }
  for (std::size_t i = 0; i < series_.size(); ++i) {
    Series& series = *series_[i];
    std::map<Timeframe, std::vector<Bar>> closed;
    for (const Bar& bar : history[i]) {
      series.absorb(bar, [&](Timeframe timeframe, const Bar& coarser) {
        closed[timeframe].push_back(coarser);
      });
    }
    const std::string& symbol = series.symbol.canonical();
    server_.set_klines(series.category, symbol, Timeframe::k1m, history[i]);
    for (const Timeframe timeframe : kCoarserTimeframes) {
      server_.set_klines(series.category, symbol, timeframe, std::move(closed[timeframe]));
    }
    if (!series.last_day.empty()) server_.set_ticker(series.category, series.ticker());
  }
  const std::optional<TimestampMs> next = source_->next_open_time();
  next_open_time_ = next.value_or(from);
  finished_ = !next.has_value();
}

void MarketDriver::add_bar_listener(BarListener listener) {
  std::lock_guard lock(mutex_);
  listeners_.push_back(std::move(listener));
}

std::vector<MarketDriver::SeriesBar> MarketDriver::last_bars() const {
  std::lock_guard lock(mutex_);
  std::vector<SeriesBar> bars;
  for (const auto& series : series_) {
    if (!series->last_day.empty())
      bars.push_back({series->category, series->symbol, series->last_day.back()});
  }
  return bars;
}

bool MarketDriver::publish_next_minute() {
  std::lock_guard lock(mutex_);
  if (finished_) return false;
  const std::vector<Source::MinuteBar> bars = source_->next_minute();
  if (bars.empty()) {
    finished_ = true;
    return false;
  }
  const std::vector<std::string> subscribed[] = {server_.subscriptions(Category::kSpot),
                                                 server_.subscriptions(Category::kLinear)};
  for (const Source::MinuteBar& minute : bars) {
    Series& series = *series_[minute.series];
    publish(series, minute.bar, subscribed[static_cast<std::size_t>(series.category)]);
  }
  bars_published_ += bars.size();
  const std::optional<TimestampMs> next = source_->next_open_time();
  next_open_time_ = next.value_or(bars.front().bar.open_time + kMinuteMs);
  finished_ = !next.has_value();
  return true;
}

void MarketDriver::publish(Series& series, const Bar& bar,
                           const std::vector<std::string>& subscribed) {
  const Category category = series.category;
  const std::string& symbol = series.symbol.canonical();
  const auto wanted = [&](const std::string& topic) {
    return std::binary_search(subscribed.begin(), subscribed.end(), topic);
  };
  std::set<Timeframe> completed;
  server_.add_kline(category, symbol, Timeframe::k1m, bar);
  series.absorb(bar, [&](Timeframe timeframe, const Bar& closed) {
    server_.add_kline(category, symbol, timeframe, closed);
    completed.insert(timeframe);
    if (wanted(internal::kline_topic(timeframe, symbol))) {
      server_.push_kline(category, symbol, timeframe, closed, true);
    }
  });
  if (wanted(internal::kline_topic(Timeframe::k1m, symbol))) {
    server_.push_kline(category, symbol, Timeframe::k1m, bar, true);
  }
  for (const auto& [timeframe, resampler] : series.resamplers) {
    if (completed.contains(timeframe) || !wanted(internal::kline_topic(timeframe, symbol))) {
      continue;
    }
    if (const std::optional<Bar> forming = resampler.partial()) {
      server_.push_kline(category, symbol, timeframe, *forming, false);
    }
  }
  const nlohmann::json ticker = series.ticker();
  server_.set_ticker(category, ticker);
  if (wanted(internal::ticker_topic(symbol))) {
    server_.push_ticker(category, ticker, bar.open_time + kMinuteMs);
  }
  for (const BarListener& listener : listeners_) listener(category, series.symbol, bar);
}

void MarketDriver::start() {
  std::lock_guard lock(thread_mutex_);
  GAUNTLET_CHECK(!thread_.joinable() && !stopping_, "a MarketDriver starts once");
  thread_ = std::thread([this] { run(); });
}

void MarketDriver::stop() {
  {
    std::lock_guard lock(thread_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void MarketDriver::run() {
  using Clock = std::chrono::steady_clock;
  const std::chrono::duration<double, std::milli> interval(kMinuteMs / options_.speed);
  Clock::time_point anchor = Clock::now();
  if (align_to_wall_clock_) {
    // The market's minute `next` started (wall - next) / speed of driver time ago.
    const std::chrono::duration<double, std::milli> behind(
        static_cast<double>(wall_now_ms() - next_open_time()) / options_.speed);
    anchor -= std::chrono::duration_cast<Clock::duration>(behind);
  }
  for (uint64_t count = 1;; ++count) {
    const Clock::time_point deadline =
        anchor + std::chrono::duration_cast<Clock::duration>(interval * static_cast<double>(count));
    {
      std::unique_lock lock(thread_mutex_);
      if (wake_.wait_until(lock, deadline, [this] { return stopping_; })) return;
    }
    if (!publish_next_minute()) return;
  }
}

TimestampMs MarketDriver::next_open_time() const {
  std::lock_guard lock(mutex_);
  return next_open_time_;
}

bool MarketDriver::finished() const {
  std::lock_guard lock(mutex_);
  return finished_;
}

std::size_t MarketDriver::bars_published() const {
  std::lock_guard lock(mutex_);
  return bars_published_;
}

}  // namespace gauntlet::venues::bybit
