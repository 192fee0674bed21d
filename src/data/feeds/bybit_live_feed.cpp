#include "data/feeds/bybit_live_feed.hpp"

#include <algorithm>
#include <map>

#include "core/exceptions.hpp"
#include "core/logging.hpp"

namespace gauntlet::data {

namespace bybit = brokers::bybit;

struct BybitLiveFeed::State : public bybit::PublicWsListener,
                              public std::enable_shared_from_this<State> {
  State(asio::io_context& loop, DataManager& manager, bybit::RestClient& rest, EventBus& bus,
        const Clock& clock, Options options)
      : loop(loop), manager(manager), rest(rest), bus(bus), clock(clock), options(options) {}

  asio::io_context& loop;
  DataManager& manager;
  bybit::RestClient& rest;
  EventBus& bus;
  const Clock& clock;
  Options options;
  std::unique_ptr<bybit::PublicWsClient> ws;
  std::vector<Symbol> symbols;
  std::map<std::string, TimestampMs> last_published;  // open time of the last BarClosed, per symbol
  Counters counters;
  bool stopped = false;
  bool connected = false;
  bool backfilling = false;
  bool backfill_again = false;
  std::unique_ptr<asio::steady_timer> poll_timer;

  void publish_closed(const BarClosed& event) {
    auto& last = last_published[event.symbol.canonical()];
    if (last != 0 && event.bar.open_time <= last) return;  // already published, or older
    last = event.bar.open_time;
    ++counters.published_closed;
    bus.publish(event);
  }

  // --- PublicWsListener: pushes of the WebSocket, on the loop ---
  // A close that follows the last published bar goes out at once. Any other (a gap left by a
  // lost or reordered push, or before the first backfill) is stored, and the backfill that
  // fetches the missing bars publishes them all in order.
  void on_bar_closed(const BarClosed& event) override {
    if (event.timeframe != options.bar_timeframe) return;
    const auto last = last_published.find(event.symbol.canonical());
    const bool continuous = last != last_published.end() && last->second != 0 &&
                            event.bar.open_time == last->second + duration_ms(event.timeframe);
    if (continuous) {
      publish_closed(event);
      return;
    }
    if (last != last_published.end() && event.bar.open_time <= last->second) return;
    try {
      manager.upsert_bars(event.symbol, event.timeframe, std::span<const Bar>(&event.bar, 1));
    } catch (const DataError& error) {
      module_logger("data_manager")
          ->warn("live bar rejected symbol={} error={}", event.symbol.canonical(), error.what());
      return;
    }
    request_backfill();
  }
  void on_bar_updated(const BarUpdated& event) override { bus.publish(event); }
  void on_quote_updated(const QuoteUpdated& event) override { bus.publish(event); }
  void on_connected(bool) override {
    connected = true;
    if (poll_timer) poll_timer->cancel();
    request_backfill();
  }
  void on_disconnected(std::string_view reason) override {
    connected = false;
    module_logger("data_manager")->warn("bybit public feed disconnected reason={}", reason);
    schedule_poll();
  }

  // Runs one backfill at a time; a request during one runs again after it.
  void request_backfill() {
    if (stopped) return;
    if (backfilling) {
      backfill_again = true;
      return;
    }
    backfilling = true;
    asio::co_spawn(loop, backfill_all(shared_from_this()), asio::detached);
  }

  static asio::awaitable<void> backfill_all(std::shared_ptr<State> self) {
    do {
      self->backfill_again = false;
      ++self->counters.backfills;
      const std::vector<Symbol> symbols = self->symbols;
      for (const Symbol& symbol : symbols) {
        if (self->stopped) break;
        try {
          co_await self->backfill_symbol(symbol);
        } catch (const GauntletError& error) {
          ++self->counters.failures;
          module_logger("data_manager")
              ->warn("bybit backfill failed symbol={} error={}", symbol.canonical(), error.what());
        }
      }
    } while (self->backfill_again && !self->stopped);
    self->backfilling = false;
  }

  // Fetches every bar missing in the lookback window (the gap plan asks only for holes), then
  // publishes the stored bars newer than the last published one, oldest first.
  asio::awaitable<void> backfill_symbol(const Symbol& symbol) {
    const Timeframe timeframe = options.bar_timeframe;
    const DurationMs step = duration_ms(timeframe);
    const TimestampMs now = clock.now_ms();
    const TimestampMs from = floor_to(now - options.initial_lookback, step);
    const BackfillResult result = co_await fetch_klines_async(
        manager, rest, clock, symbol, timeframe, from, now, options.backfill);
    counters.backfilled_bars += result.bars;
    const auto last = last_published.find(symbol.canonical());
    const TimestampMs after = last == last_published.end() ? from - step : last->second;
    const BarSeries stored =
        manager.load_bars(symbol, timeframe, after + step, floor_to(clock.now_ms(), step));
    for (std::size_t i = 0; i < stored.size(); ++i) {
      const Bar bar = stored.bar(i);
      publish_closed(BarClosed{FeedKind::kLive, manager.domain(), symbol, timeframe, bar,
                               bar.open_time + step});
    }
  }

  void schedule_poll() {
    if (stopped || connected) return;
    if (!poll_timer) poll_timer = std::make_unique<asio::steady_timer>(loop);
    poll_timer->expires_after(std::chrono::milliseconds(options.poll_interval));
    poll_timer->async_wait([weak = weak_from_this()](const boost::system::error_code& error) {
      const auto self = weak.lock();
      if (error || self == nullptr || self->stopped || self->connected) return;
      ++self->counters.polls;
      self->request_backfill();
      self->schedule_poll();
    });
  }
};

BybitLiveFeed::BybitLiveFeed(asio::io_context& loop, DataManager& manager, bybit::RestClient& rest,
                             bybit::PublicWsConfig ws_config, EventBus& bus, const Clock& clock,
                             Options options)
    : state_(std::make_shared<State>(loop, manager, rest, bus, clock, options)) {
  const auto category = bybit::category_of(manager.domain());
  if (!category)
    throw DataError(fmt::format("Bybit has no {} market", to_string(manager.domain())));
  ws_config.category = *category;
  state_->ws = std::make_unique<bybit::PublicWsClient>(loop, std::move(ws_config), *state_);
}

BybitLiveFeed::~BybitLiveFeed() {
  stop();
}

void BybitLiveFeed::subscribe(const std::vector<Symbol>& symbols,
                              const std::vector<Stream>& streams) {
  std::vector<std::string> topics;
  for (const Symbol& symbol : symbols) {
    if (std::find(state_->symbols.begin(), state_->symbols.end(), symbol) ==
        state_->symbols.end()) {
      state_->symbols.push_back(symbol);
    }
    for (Stream stream : streams) {
      topics.push_back(stream == Stream::kBars
                           ? bybit::kline_topic(symbol, state_->options.bar_timeframe)
                           : bybit::ticker_topic(symbol));
    }
  }
  state_->ws->subscribe(topics);
  if (state_->connected) state_->request_backfill();
}

void BybitLiveFeed::start() {
  state_->ws->start();
  state_->schedule_poll();  // until the first connection, REST keeps the bars coming
}

void BybitLiveFeed::stop() {
  state_->stopped = true;
  if (state_->poll_timer) state_->poll_timer->cancel();
  state_->ws->stop();
}

const BybitLiveFeed::Counters& BybitLiveFeed::counters() const {
  return state_->counters;
}
const bybit::PublicWsCounters& BybitLiveFeed::ws_counters() const {
  return state_->ws->counters();
}
bool BybitLiveFeed::connected() const {
  return state_->connected;
}

}  // namespace gauntlet::data
