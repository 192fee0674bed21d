#include "data/data_manager.hpp"

#include <algorithm>

#include "core/exceptions.hpp"
#include "core/logging.hpp"
#include "data/instrument_rules.hpp"

namespace gauntlet::data {

std::optional<InstrumentInfo> derive_instrument_from(const BarStore& store, std::string_view venue,
                                                     Asset domain, const Symbol& symbol) {
  std::optional<SeriesKey> best;
  const auto better = [&](const SeriesKey& key) {
    if (!best) return true;
    const bool ours = key.venue == venue;
    if (ours != (best->venue == venue)) return ours;
    return key.timeframe < best->timeframe;
  };
  for (const SeriesKey& key : store.list()) {
    if (key.domain == domain && key.symbol == symbol && better(key)) best = key;
  }
  if (!best) return std::nullopt;
  const std::vector<TimestampMs> days = store.partition_days(*best);
  if (days.empty()) return std::nullopt;
  std::vector<Bar> sample = store.load_bars(*best, days.front(), days.front() + kDayMs).to_bars();
  if (days.back() != days.front()) {
    const BarSeries last = store.load_bars(*best, days.back(), days.back() + kDayMs);
    for (std::size_t i = 0; i < last.size(); ++i) sample.push_back(last.bar(i));
  }
  if (sample.empty()) return std::nullopt;
  return derive_instrument(domain, symbol, sample);
}

DataManager::DataManager(std::string venue, Asset domain, BarStore& store, EventBus& bus,
                         const Clock& clock)
    : DataManager(std::move(venue), domain, store, bus, clock, Options{}) {}

DataManager::DataManager(std::string venue, Asset domain, BarStore& store, EventBus& bus,
                         const Clock& clock, Options options)
    : venue_(std::move(venue)),
      domain_(domain),
      store_(store),
      bus_(bus),
      clock_(clock),
      options_(std::move(options)) {
  bars_subscription_ =
      bus_.subscribe<BarClosed>([this](const BarClosed& event) { on_bar_closed(event); });
  quotes_subscription_ =
      bus_.subscribe<QuoteUpdated>([this](const QuoteUpdated& event) { on_quote(event); });
}

SeriesKey DataManager::key(const Symbol& symbol, Timeframe timeframe) const {
  return SeriesKey{venue_, domain_, symbol, timeframe};
}

BarSeries DataManager::load_bars(const Symbol& symbol, Timeframe timeframe, TimestampMs from,
                                 TimestampMs to) const {
  return store_.load_bars(key(symbol, timeframe), from, to);
}

UpsertResult DataManager::upsert_bars(const Symbol& symbol, Timeframe timeframe,
                                      std::span<const Bar> bars) {
  return store_.upsert_bars(key(symbol, timeframe), bars);
}

std::optional<TimestampMs> DataManager::last_bar_time(const Symbol& symbol,
                                                      Timeframe timeframe) const {
  return store_.last_bar_time(key(symbol, timeframe));
}

std::vector<KlineRequest> DataManager::gap_backfill_plan(const Symbol& symbol, Timeframe timeframe,
                                                         TimestampMs from, TimestampMs to,
                                                         std::size_t page_limit) const {
  std::vector<KlineRequest> plan;
  if (page_limit == 0 || from >= to) return plan;
  const DurationMs step = duration_ms(timeframe);
  const BarSeries stored = load_bars(symbol, timeframe, floor_to(from, step), ceil_to(to, step));
  for (const TimeRange& range : missing_ranges(stored, timeframe, from, to)) {
    for (TimestampMs start = range.from; start < range.to;) {
      const TimestampMs end =
          std::min(range.to, start + static_cast<DurationMs>(page_limit) * step);
      plan.push_back(
          {symbol, timeframe, start, end, static_cast<std::size_t>((end - start) / step)});
      start = end;
    }
  }
  return plan;
}

void DataManager::attach_source(MarketDataSource* source) {
  source_ = source;
  if (source_ != nullptr && !symbols_.empty())
    source_->subscribe(symbols_, {Stream::kBars, Stream::kQuotes});
}

void DataManager::subscribe(const std::vector<Symbol>& symbols,
                            const std::vector<Stream>& streams) {
  for (const Symbol& symbol : symbols) {
    if (std::find(symbols_.begin(), symbols_.end(), symbol) == symbols_.end())
      symbols_.push_back(symbol);
  }
  if (source_ != nullptr) source_->subscribe(symbols, streams);
}

std::optional<QuoteUpdated> DataManager::get_last_quote(const Symbol& symbol) const {
  const auto found = quotes_.find(symbol.canonical());
  if (found == quotes_.end()) return std::nullopt;
  return found->second;
}

BarSeries DataManager::get_ohlc(const Symbol& symbol, Timeframe timeframe,
                                std::size_t lookback) const {
  std::vector<Bar> bars;
  const auto found = data_.find(symbol.canonical());
  if (found != data_.end()) {
    // The newest `lookback` of the cache only (it holds up to cached_bars).
    const auto& cached = found->second.recent[static_cast<std::size_t>(timeframe)];
    const std::size_t take = std::min(lookback, cached.size());
    bars.reserve(lookback);
    bars.assign(cached.end() - static_cast<std::ptrdiff_t>(take), cached.end());
  }
  if (bars.size() < lookback) {
    // Top up from the store with the bars before the oldest cached one.
    const DurationMs step = duration_ms(timeframe);
    const TimestampMs end = bars.empty() ? floor_to(clock_.now_ms(), step) : bars.front().open_time;
    const std::size_t wanted = lookback - bars.size();
    const TimestampMs from = end - static_cast<DurationMs>(wanted) * step * 4;
    BarSeries loaded;
    const BarSeries& stored = found != data_.end()
                                  ? stored_window(found->second, timeframe, from, end)
                                  : (loaded = stored_or_resampled(symbol, timeframe, from, end));
    const std::span<const int64_t> times = stored.open_time();
    const std::size_t first = static_cast<std::size_t>(
        std::lower_bound(times.begin(), times.end(), from) - times.begin());
    const std::size_t take = std::min(wanted, stored.size() - first);
    std::vector<Bar> older;
    older.reserve(take);
    for (std::size_t i = stored.size() - take; i < stored.size(); ++i)
      older.push_back(stored.bar(i));
    bars.insert(bars.begin(), older.begin(), older.end());
  }
  if (bars.size() > lookback)
    bars.erase(bars.begin(), bars.end() - static_cast<std::ptrdiff_t>(lookback));
  return BarSeries::from_bars(bars);
}

const BarSeries& DataManager::stored_window(SymbolData& data, Timeframe timeframe, TimestampMs from,
                                            TimestampMs end) const {
  StoredWindow& memo = data.stored[static_cast<std::size_t>(timeframe)];
  const uint64_t generation = store_.generation();
  if (memo.valid && memo.end == end && memo.from <= from && memo.generation == generation) {
    return memo.bars;
  }
  memo.bars = stored_or_resampled(data.symbol, timeframe, from, end);
  memo.from = from;
  memo.end = end;
  memo.generation = generation;
  memo.valid = true;
  return memo.bars;
}

DataManager::SymbolData& DataManager::data_of(const Symbol& symbol) {
  const auto found = data_.find(symbol.canonical());
  if (found != data_.end()) return found->second;
  return data_.emplace(symbol.canonical(), SymbolData(symbol)).first->second;
}

bool DataManager::resamples(Timeframe base, Timeframe target) const {
  const DurationMs from = duration_ms(base);
  const DurationMs to = duration_ms(target);
  return to > from && to % from == 0 &&
         std::find(options_.resample_to.begin(), options_.resample_to.end(), target) !=
             options_.resample_to.end();
}

void DataManager::set_base_timeframe(const Symbol& symbol, Timeframe base) {
  SymbolData& data = data_of(symbol);
  if (data.base == base) return;
  data.base = base;
  data.resamplers = {};
  for (StoredWindow& memo : data.stored) memo.valid = false;
}

Timeframe DataManager::base_timeframe(const Symbol& symbol) const {
  const auto found = data_.find(symbol.canonical());
  return found == data_.end() ? Timeframe::k1m : found->second.base;
}

BarSeries DataManager::stored_or_resampled(const Symbol& symbol, Timeframe timeframe,
                                           TimestampMs from, TimestampMs to) const {
  const Timeframe base = base_timeframe(symbol);
  if (!resamples(base, timeframe) || store_.last_bar_time(key(symbol, timeframe))) {
    return load_bars(symbol, timeframe, from, to);
  }
  // A timeframe this manager makes from the base bars: made the same way from the stored ones.
  const DurationMs step = duration_ms(timeframe);
  const TimestampMs start = floor_to(from, step);
  return resample(load_bars(symbol, base, start, to), base, timeframe, to);
}

void DataManager::resume_at(TimestampMs now) {
  for (const Symbol& symbol : symbols_) {
    const Timeframe base = base_timeframe(symbol);
    for (Timeframe target : options_.resample_to) {
      if (!resamples(base, target)) continue;
      const TimestampMs start = floor_to(now, duration_ms(target));
      const BarSeries sources = load_bars(symbol, base, start, now);
      if (sources.empty()) continue;
      std::optional<Resampler>& resampler =
          data_of(symbol).resamplers[static_cast<std::size_t>(target)];
      if (!resampler) resampler.emplace(base, target);
      for (std::size_t i = 0; i < sources.size(); ++i) {
        resampler->add(sources.bar(i), [](const Bar&) {});  // a forming interval: nothing closes
      }
    }
  }
}

void DataManager::set_instruments(const std::vector<InstrumentInfo>& instruments) {
  instruments_.clear();
  for (const InstrumentInfo& instrument : instruments) {
    if (instrument.domain == domain_)
      instruments_.insert_or_assign(instrument.symbol.canonical(), instrument);
  }
}

std::optional<InstrumentInfo> DataManager::get_instrument(const Symbol& symbol) const {
  const std::string& name = symbol.canonical();
  if (const auto found = instruments_.find(name); found != instruments_.end()) return found->second;
  if (domain_ == Asset::kForex) {
    if (std::optional<InstrumentInfo> pair = idealpro_instrument(symbol)) return pair;
  }
  if (const auto found = derived_.find(name); found != derived_.end()) return found->second;
  const uint64_t generation = store_.generation();
  if (const auto none = underived_.find(name);
      none != underived_.end() && none->second == generation) {
    return std::nullopt;
  }
  std::optional<InstrumentInfo> derived = derive_instrument_from(store_, venue_, domain_, symbol);
  if (!derived) {
    underived_.insert_or_assign(name, generation);
    return std::nullopt;
  }
  underived_.erase(name);
  module_logger("data_manager")
      ->info("instrument rules derived from the bars venue={} domain={} symbol={} tick={} step={}",
             venue_, to_string(domain_), name, derived->tick_size, derived->qty_step);
  return derived_.insert_or_assign(name, std::move(*derived)).first->second;
}

Subscription DataManager::on_tick(std::function<void(const QuoteUpdated&)> callback) {
  return bus_.subscribe<QuoteUpdated>(
      [this, callback = std::move(callback)](const QuoteUpdated& quote) {
        if (quote.domain == domain_) callback(quote);
      });
}

void DataManager::advance_to(TimestampMs now) {
  for (auto& [name, data] : data_) {
    const FeedKind kind = data.last_feed.value_or(FeedKind::kLive);
    for (std::size_t t = 0; t < kTimeframes; ++t) {
      if (!data.resamplers[t]) continue;
      const Timeframe timeframe = kAllTimeframes[t];
      data.resamplers[t]->advance_to(now, [&](const Bar& bar) {
        bus_.publish(BarClosed{kind, domain_, data.symbol, timeframe, bar,
                               bar.open_time + duration_ms(timeframe)});
      });
    }
  }
}

void DataManager::on_bar_closed(const BarClosed& event) {
  if (event.domain != domain_) return;
  feed_ = event.feed;
  SymbolData& data = data_of(event.symbol);
  data.last_feed = event.feed;
  std::deque<Bar>& cache = data.recent[static_cast<std::size_t>(event.timeframe)];
  if (cache.empty() || cache.back().open_time < event.bar.open_time) {
    cache.push_back(event.bar);
  } else {
    // A correction or a late bar: keep the cache ordered with one bar per open time.
    auto at =
        std::lower_bound(cache.begin(), cache.end(), event.bar.open_time,
                         [](const Bar& bar, TimestampMs time) { return bar.open_time < time; });
    if (at != cache.end() && at->open_time == event.bar.open_time) {
      *at = event.bar;
    } else {
      cache.insert(at, event.bar);
    }
  }
  while (cache.size() > options_.cached_bars) cache.pop_front();

  if (event.feed == FeedKind::kLive && options_.persist_live_bars) {
    try {
      store_.upsert_bars(key(event.symbol, event.timeframe), std::span<const Bar>(&event.bar, 1));
    } catch (const DataError& error) {
      module_logger("data_manager")
          ->warn("live bar not stored symbol={} error={}", event.symbol.canonical(), error.what());
    }
  }

  if (event.timeframe != data.base) return;
  for (Timeframe target : options_.resample_to) {
    if (!resamples(data.base, target)) continue;
    std::optional<Resampler>& resampler = data.resamplers[static_cast<std::size_t>(target)];
    if (!resampler) resampler.emplace(data.base, target);
    // One pointer captured: the callback fits std::function's small buffer (no allocation).
    const struct {
      DataManager* self;
      const BarClosed* source;
      Timeframe target;
    } context{this, &event, target};
    resampler->add(event.bar, [c = &context](const Bar& bar) {
      c->self->bus_.publish(BarClosed{c->source->feed, c->self->domain_, c->source->symbol,
                                      c->target, bar, bar.open_time + duration_ms(c->target)});
    });
  }
}

void DataManager::on_quote(const QuoteUpdated& event) {
  if (event.domain != domain_) return;
  feed_ = event.feed;
  quotes_.insert_or_assign(event.symbol.canonical(), event);
}

}  // namespace gauntlet::data
