// MarketDriver feeding a VenueServer on 127.0.0.1, read back with the engine's own Bybit client
// (brokers::bybit::RestClient): the simulated market's bars for the seed, a replay's stored bars
// in order, the kline history on every timeframe, the tickers, the instruments in Bybit's
// shape, the pushes, the listeners and the pace.
#include "venues/bybit/market_driver.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

// Asio only through core/asio.hpp, which puts <utility> first; Beast after it.
// clang-format off
#include "core/asio.hpp"
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
// clang-format on

#include "brokers/bybit/loop_helpers.hpp"
#include "brokers/bybit/rest_client.hpp"
#include "core/exceptions.hpp"
#include "data/bar_series.hpp"
#include "data/bar_store.hpp"
#include "data/feeds/simulated_market.hpp"
#include "data/instrument_rules.hpp"
#include "data/resampler.hpp"
#include "support/shared_data.hpp"
#include "support/temp_dir.hpp"

namespace gauntlet::venues::bybit {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::run_task;

constexpr TimestampMs kFrom = 1'709'251'200'000;  // 2024-03-01T00:00Z
constexpr DurationMs kHistory = 2 * kHourMs;
constexpr int kHistoryBars = static_cast<int>(kHistory / kMinuteMs);

// One bar a listener got.
struct Heard {
  Category category = Category::kSpot;
  std::string symbol;
  Bar bar;
  friend bool operator==(const Heard&, const Heard&) = default;
};

// The engine's REST client on its own loop, against `venue`.
struct Client {
  explicit Client(const VenueServer& venue)
      : rest(loop, {venue.rest_url(), 5'000, 4, 32u << 20, "gauntlet-test"}) {}

  std::vector<Bar> klines(Category category, const std::string& symbol, Timeframe timeframe,
                          TimestampMs from, TimestampMs to) {
    return run_task(loop,
                    rest.fetch_klines_async(category, Symbol::parse(symbol), timeframe, from, to));
  }
  data::QuoteUpdated ticker(Category category, const std::string& symbol) {
    const auto quotes =
        run_task(loop, rest.get_tickers_async(category, Symbol::parse(symbol))).value;
    EXPECT_EQ(quotes.size(), 1u);
    return quotes.empty() ? data::QuoteUpdated{} : quotes.front();
  }
  json raw(const std::string& path, const std::string& query) {
    return json::parse(run_task(loop, rest.get_async(path, query)).value);
  }

  asio::io_context loop;
  brokers::bybit::RestClient rest;
};

// The reference: SimulatedMarket itself, the full default universe (the venue serves a subset,
// whose bars must not depend on it), `minutes` minutes from kFrom - kHistory.
struct Reference {
  Reference(uint64_t seed, int minutes)
      : market(data::SimulatedMarketConfig::default_crypto(seed, kFrom - kHistory)) {
    for (int minute = 0; minute < minutes; ++minute) {
      for (const data::BarClosed& closed : market.next_minute()) {
        const Category category =
            closed.domain == Asset::kSpot ? Category::kSpot : Category::kLinear;
        bars[{category, closed.symbol.canonical()}].push_back(closed.bar);
      }
      for (const data::QuoteUpdated& quote : market.quotes()) {
        const Category category =
            quote.domain == Asset::kSpot ? Category::kSpot : Category::kLinear;
        quotes[{category, quote.symbol.canonical()}] = quote;
      }
    }
  }

  data::SimulatedMarket market;
  std::map<std::pair<Category, std::string>, std::vector<Bar>> bars;
  std::map<std::pair<Category, std::string>, data::QuoteUpdated> quotes;
};

MarketDriverOptions simulated_options(std::vector<std::string> symbols) {
  MarketDriverOptions options;
  options.seed = 7;
  options.from = kFrom;
  options.history = kHistory;
  for (const std::string& symbol : symbols) options.symbols.push_back(Symbol::parse(symbol));
  return options;
}

std::vector<Bar> slice(const std::vector<Bar>& bars, std::size_t begin, std::size_t end) {
  return std::vector<Bar>(bars.begin() + static_cast<std::ptrdiff_t>(begin),
                          bars.begin() + static_cast<std::ptrdiff_t>(end));
}

TEST(MarketDriver, SimulatedBarsAreTheSimulatedMarketsForTheSeed) {
  VenueServer venue;
  MarketDriver driver(venue, simulated_options({"ETHUSDT", "BTCUSDT"}));
  std::vector<Heard> heard;
  driver.add_bar_listener([&](Category category, const Symbol& symbol, const Bar& bar) {
    heard.push_back({category, symbol.canonical(), bar});
  });
  EXPECT_EQ(driver.next_open_time(), kFrom);
  constexpr int kLive = 30;
  for (int i = 0; i < kLive; ++i) ASSERT_TRUE(driver.publish_next_minute());
  EXPECT_EQ(driver.next_open_time(), kFrom + kLive * kMinuteMs);
  EXPECT_EQ(driver.bars_published(), 4u * kLive);
  EXPECT_FALSE(driver.finished());

  const Reference reference(7, kHistoryBars + kLive);
  // Each listener call is one live bar, once: every series' bars of the live minutes, in order.
  std::vector<Heard> expected;
  for (int i = 0; i < kLive; ++i) {
    for (const std::string symbol : {"ETHUSDT", "BTCUSDT"}) {  // the order asked for
      for (const Category category : {Category::kSpot, Category::kLinear}) {
        expected.push_back(
            {category, symbol, reference.bars.at({category, symbol})[kHistoryBars + i]});
      }
    }
  }
  EXPECT_EQ(heard, expected);

  Client client(venue);
  for (const auto& [key, bars] : reference.bars) {
    const auto& [category, symbol] = key;
    if (symbol != "BTCUSDT" && symbol != "ETHUSDT") continue;
    // History and live bars, on 1m and resampled.
    const TimestampMs end = kFrom + kLive * kMinuteMs;
    EXPECT_EQ(client.klines(category, symbol, Timeframe::k1m, kFrom - kHistory, end), bars)
        << symbol;
    const data::BarSeries series = data::BarSeries::from_bars(bars);
    for (const Timeframe timeframe : {Timeframe::k5m, Timeframe::k15m, Timeframe::k1h}) {
      EXPECT_EQ(client.klines(category, symbol, timeframe, kFrom - kHistory, end),
                data::resample(series, Timeframe::k1m, timeframe).to_bars())
          << symbol << " " << to_string(timeframe);
    }
    // The ticker: the simulated market's own quote after the same minute.
    const data::QuoteUpdated expected_quote = reference.quotes.at(key);
    const data::QuoteUpdated quote = client.ticker(category, symbol);
    EXPECT_EQ(quote.last_price, bars.back().close);
    EXPECT_EQ(quote.last_price, expected_quote.last_price);
    EXPECT_EQ(quote.bid_price, expected_quote.bid_price);
    EXPECT_EQ(quote.ask_price, expected_quote.ask_price);
    EXPECT_EQ(quote.mark_price, expected_quote.mark_price);
    EXPECT_EQ(quote.volume_24h, expected_quote.volume_24h);
    EXPECT_EQ(quote.turnover_24h, expected_quote.turnover_24h);
    EXPECT_TRUE(quote.bid_size.is_positive());
  }
  // Symbols not asked for are not served.
  EXPECT_EQ(client.raw("/v5/market/tickers", "category=spot")["result"]["list"].size(), 2u);
}

TEST(MarketDriver, TickersCoverTheLastDay) {
  VenueServer venue;
  MarketDriverOptions options = simulated_options({"SOLUSDT"});
  options.history = kDayMs + kHourMs;
  MarketDriver driver(venue, options);
  ASSERT_TRUE(driver.publish_next_minute());

  data::SimulatedMarketConfig config =
      data::SimulatedMarketConfig::default_crypto(7, kFrom - options.history);
  data::SimulatedMarket market(config);
  std::vector<Bar> perp;
  data::QuoteUpdated last_quote;
  for (int minute = 0; minute <= kDayMs / kMinuteMs + 60; ++minute) {
    for (const data::BarClosed& closed : market.next_minute()) {
      if (closed.symbol.canonical() == "SOLUSDT" && closed.domain == Asset::kPerp) {
        perp.push_back(closed.bar);
      }
    }
    for (const data::QuoteUpdated& quote : market.quotes()) {
      if (quote.symbol.canonical() == "SOLUSDT" && quote.domain == Asset::kPerp) last_quote = quote;
    }
  }
  const std::vector<Bar> day = slice(perp, perp.size() - 1440, perp.size());
  Decimal high = day.front().high;
  Decimal low = day.front().low;
  for (const Bar& bar : day) {
    high = std::max(high, bar.high);
    low = std::min(low, bar.low);
  }
  Client client(venue);
  const json ticker =
      client.raw("/v5/market/tickers", "category=linear&symbol=SOLUSDT")["result"]["list"][0];
  EXPECT_EQ(ticker["lastPrice"], perp.back().close.to_string());
  EXPECT_EQ(ticker["markPrice"], perp.back().close.to_string());
  EXPECT_EQ(ticker["prevPrice24h"], day.front().open.to_string());
  EXPECT_EQ(ticker["highPrice24h"], high.to_string());
  EXPECT_EQ(ticker["lowPrice24h"], low.to_string());
  EXPECT_EQ(ticker["volume24h"], last_quote.volume_24h.to_string());
  EXPECT_EQ(ticker["turnover24h"], last_quote.turnover_24h.to_string());
  EXPECT_EQ(ticker["prevPrice1h"], perp[perp.size() - 60].open.to_string());
  EXPECT_EQ(ticker["nextFundingTime"], std::to_string(kFrom + 8 * kHourMs));
  EXPECT_EQ(ticker["fundingRate"], "0.0001");
}

TEST(MarketDriver, PublishesInstrumentsInBybitsShapeWithTheListingsRules) {
  VenueServer venue;
  MarketDriver driver(venue, simulated_options({"BTCUSDT", "DOGEUSDT"}));
  Client client(venue);
  const data::SimulatedMarketConfig config = data::SimulatedMarketConfig::default_crypto(7, 0);
  const std::vector<data::InstrumentInfo> listed = data::listed_instruments(config);
  for (const Category category : {Category::kSpot, Category::kLinear}) {
    const brokers::bybit::InstrumentsPage page =
        run_task(client.loop, client.rest.get_all_instruments_async(category));
    ASSERT_EQ(page.instruments.size(), 2u);
    EXPECT_TRUE(page.skipped.empty());
    for (const data::InstrumentInfo& info : page.instruments) {
      const auto same = std::find_if(listed.begin(), listed.end(), [&](const auto& l) {
        return l.symbol == info.symbol && l.domain == info.domain;
      });
      ASSERT_NE(same, listed.end()) << info.symbol;
      EXPECT_EQ(info.tick_size, same->tick_size) << info.symbol;
      EXPECT_EQ(info.qty_step, same->qty_step) << info.symbol;
      EXPECT_EQ(info.min_qty, same->qty_step) << info.symbol;
      EXPECT_GT(info.max_qty, info.min_qty) << info.symbol;
      EXPECT_EQ(info.status, "Trading");
      EXPECT_TRUE(info.min_notional.is_positive());
    }
  }
  EXPECT_EQ(driver.instruments().size(), 4u);

  // Every key of Bybit's own samples, with the same JSON types.
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  for (const auto& [category, file] : {std::pair{"spot", "http_get_instruments_spot.json"},
                                       std::pair{"linear", "http_get_instruments_linear.json"}}) {
    const json sample = json::parse(testing::read_file(data / "fixtures" / "bybit" / file));
    const json& theirs = sample["result"]["list"][0];
    const json ours = client.raw("/v5/market/instruments-info",
                                 std::string("category=") + category + "&symbol=BTCUSDT");
    ASSERT_EQ(ours["result"]["list"].size(), 1u) << category;
    const json& mine = ours["result"]["list"][0];
    for (const auto& [key, value] : theirs.items()) {
      ASSERT_TRUE(mine.contains(key)) << category << " " << key;
      EXPECT_EQ(mine[key].type(), value.type()) << category << " " << key;
      if (!value.is_object()) continue;
      for (const auto& [inner, inner_value] : value.items()) {
        ASSERT_TRUE(mine[key].contains(inner)) << category << " " << key << "." << inner;
        EXPECT_EQ(mine[key][inner].type(), inner_value.type()) << key << "." << inner;
      }
    }
  }
}

// Bars of a stored series: `count` minutes from `start`, prices moving with `seed`.
std::vector<Bar> stored_bars(TimestampMs start, int count, int seed, int skip_every = 0) {
  std::vector<Bar> bars;
  for (int i = 0; i < count; ++i) {
    if (skip_every > 0 && i % skip_every == skip_every - 1) continue;  // a gap
    const Decimal open = Decimal::from_int(100 + (i * seed) % 17) + Decimal::parse("0.25");
    bars.push_back({start + i * kMinuteMs, open, open + Decimal::one(), open - Decimal::one(),
                    open + Decimal::parse("0.5"), Decimal::parse("1.5"),
                    (open + Decimal::parse("0.5")) * Decimal::parse("1.5")});
  }
  return bars;
}

TEST(MarketDriver, ReplayYieldsTheStoredBarsInOrder) {
  const testing::TempDir dir;
  data::BarStore store(dir.path());
  const TimestampMs start = kFrom - kHourMs;  // across midnight
  const std::vector<Bar> btc_spot = stored_bars(start, 200, 3);
  const std::vector<Bar> eth_perp = stored_bars(start + 30 * kMinuteMs, 150, 5, 7);
  store.upsert_bars({"bybit", Asset::kSpot, Symbol::parse("BTCUSDT"), Timeframe::k1m}, btc_spot);
  store.upsert_bars({"bybit", Asset::kPerp, Symbol::parse("ETHUSDT"), Timeframe::k1m}, eth_perp);
  // Another venue's copy of a series bybit has, and a forex series: not served.
  store.upsert_bars({"binance", Asset::kSpot, Symbol::parse("BTCUSDT"), Timeframe::k1m},
                    stored_bars(start, 200, 11));
  store.upsert_bars({"fxcm", Asset::kForex, Symbol::parse("EURUSD"), Timeframe::k1m},
                    stored_bars(start, 50, 2));

  VenueServer venue;
  MarketDriverOptions options;
  options.source = MarketSource::kReplay;
  options.data_root = dir.path();
  options.history = 20 * kMinuteMs;
  MarketDriver driver(venue, options);
  EXPECT_EQ(driver.next_open_time(), start + 20 * kMinuteMs);  // first stored bar + history
  std::vector<Heard> heard;
  driver.add_bar_listener([&](Category category, const Symbol& symbol, const Bar& bar) {
    heard.push_back({category, symbol.canonical(), bar});
  });
  while (driver.publish_next_minute()) {
  }
  EXPECT_TRUE(driver.finished());
  EXPECT_FALSE(driver.publish_next_minute());

  // Minute by minute, spot before linear; gaps skipped.
  std::vector<Heard> expected;
  for (TimestampMs t = start + 20 * kMinuteMs; t < start + 200 * kMinuteMs; t += kMinuteMs) {
    for (const Bar& bar : btc_spot) {
      if (bar.open_time == t) expected.push_back({Category::kSpot, "BTCUSDT", bar});
    }
    for (const Bar& bar : eth_perp) {
      if (bar.open_time == t) expected.push_back({Category::kLinear, "ETHUSDT", bar});
    }
  }
  EXPECT_EQ(heard, expected);
  EXPECT_EQ(driver.bars_published(), expected.size());
  EXPECT_EQ(driver.next_open_time(), start + 200 * kMinuteMs);

  Client client(venue);
  EXPECT_EQ(client.klines(Category::kSpot, "BTCUSDT", Timeframe::k1m, 0, kFrom * 2), btc_spot);
  EXPECT_EQ(client.klines(Category::kLinear, "ETHUSDT", Timeframe::k1m, 0, kFrom * 2), eth_perp);
  EXPECT_EQ(client.klines(Category::kSpot, "BTCUSDT", Timeframe::k15m, 0, kFrom * 2),
            data::resample(data::BarSeries::from_bars(btc_spot), Timeframe::k1m, Timeframe::k15m)
                .to_bars());
  EXPECT_EQ(client.ticker(Category::kSpot, "BTCUSDT").last_price, btc_spot.back().close);
  EXPECT_EQ(client.ticker(Category::kLinear, "ETHUSDT").last_price, eth_perp.back().close);
  EXPECT_EQ(client.raw("/v5/market/tickers", "category=linear")["result"]["list"].size(), 1u);
  // Tick and step derived from the stored bars.
  ASSERT_EQ(driver.instruments().size(), 2u);
  const data::InstrumentInfo derived =
      data::derive_instrument(Asset::kSpot, Symbol::parse("BTCUSDT"), btc_spot);
  EXPECT_EQ(driver.instruments()[0].symbol, Symbol::parse("BTCUSDT"));
  EXPECT_EQ(driver.instruments()[0].tick_size, derived.tick_size);
  EXPECT_EQ(driver.instruments()[0].qty_step, derived.qty_step);

  // --from and --symbols.
  VenueServer other;
  options.symbols = {Symbol::parse("ETHUSDT")};
  options.from = kFrom;
  MarketDriver from(other, options);
  std::vector<Bar> replayed;
  from.add_bar_listener([&](Category, const Symbol&, const Bar& bar) { replayed.push_back(bar); });
  while (from.publish_next_minute()) {
  }
  std::vector<Bar> after;
  for (const Bar& bar : eth_perp) {
    if (bar.open_time >= kFrom) after.push_back(bar);
  }
  EXPECT_EQ(replayed, after);
  options.symbols = {Symbol::parse("XRPUSDT")};
  EXPECT_THROW(MarketDriver(other, options), ArgumentError);
}

// Re-dated: the same bars, history included, shifted by the whole minutes that put the first
// published bar at rebase_to; the series' launch time moves with them. A simulated market is
// not re-dated.
TEST(MarketDriver, ARebasedReplayShiftsEveryBarByTheSameMinutes) {
  const testing::TempDir dir;
  data::BarStore store(dir.path());
  const TimestampMs start = kFrom - kHourMs;
  const std::vector<Bar> eth_perp = stored_bars(start, 150, 5, 7);
  store.upsert_bars({"bybit", Asset::kPerp, Symbol::parse("ETHUSDT"), Timeframe::k1m}, eth_perp);
  const TimestampMs rebase = kFrom + 40 * kDayMs + 17 * kMinuteMs + 42 * kSecondMs;
  const DurationMs shift = (kFrom + 40 * kDayMs + 17 * kMinuteMs) - (start + 20 * kMinuteMs);

  VenueServer venue;
  MarketDriverOptions options;
  options.source = MarketSource::kReplay;
  options.data_root = dir.path();
  options.history = 20 * kMinuteMs;
  options.rebase_to = rebase;
  MarketDriver driver(venue, options);
  // The first stored minute after the history is a gap (i = 20): the next bar is a minute on.
  EXPECT_EQ(driver.next_open_time(), start + 21 * kMinuteMs + shift);
  std::vector<Bar> heard;
  driver.add_bar_listener([&](Category, const Symbol&, const Bar& bar) { heard.push_back(bar); });
  while (driver.publish_next_minute()) {
  }
  std::vector<Bar> shifted;
  std::vector<Bar> published;
  for (Bar bar : eth_perp) {
    bar.open_time += shift;
    shifted.push_back(bar);
    if (bar.open_time >= start + 20 * kMinuteMs + shift) published.push_back(bar);
  }
  EXPECT_EQ(heard, published);
  Client client(venue);
  EXPECT_EQ(client.klines(Category::kLinear, "ETHUSDT", Timeframe::k1m, 0, kFrom * 2), shifted);
  EXPECT_EQ(client.raw("/v5/market/instruments-info",
                       "category=linear")["result"]["list"][0]["launchTime"],
            std::to_string(start + shift));

  VenueServer other;
  MarketDriverOptions simulated = simulated_options({"BTCUSDT"});
  simulated.rebase_to = rebase;
  EXPECT_THROW(MarketDriver(other, simulated), ArgumentError);
}

TEST(MarketDriver, RefusesBadOptions) {
  VenueServer venue;
  MarketDriverOptions options = simulated_options({"BTCUSDT"});
  options.speed = 0;
  EXPECT_THROW(MarketDriver(venue, options), ArgumentError);
  options.speed = 1;
  options.history = 90 * kSecondMs;
  EXPECT_THROW(MarketDriver(venue, options), ArgumentError);
  options.history = kHourMs;
  options.symbols = {Symbol::parse("PEPEUSDT")};
  try {
    MarketDriver driver(venue, options);
    ADD_FAILURE() << "PEPEUSDT is not simulated";
  } catch (const ArgumentError& error) {
    EXPECT_NE(std::string(error.what()).find("PEPEUSDT"), std::string::npos) << error.what();
  }
  const testing::TempDir empty;
  MarketDriverOptions replay;
  replay.source = MarketSource::kReplay;
  replay.data_root = empty.path();
  EXPECT_THROW(MarketDriver(venue, replay), DataError);
  EXPECT_EQ(market_source_from_string("replay"), MarketSource::kReplay);
  EXPECT_EQ(market_source_from_string("live"), std::nullopt);
}

// A blocking WebSocket client of the venue's public stream.
class Subscriber {
 public:
  Subscriber(unsigned short port, Category category) : ws_(io_) {
    namespace beast = boost::beast;
    beast::get_lowest_layer(ws_).expires_after(5s);
    beast::get_lowest_layer(ws_).connect(
        asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), port));
    ws_.handshake("127.0.0.1", "/v5/public/" + std::string(to_string(category)));
  }

  json read() {
    boost::beast::get_lowest_layer(ws_).expires_after(5s);
    boost::beast::flat_buffer buffer;
    ws_.read(buffer);
    return json::parse(boost::beast::buffers_to_string(buffer.data()));
  }

  void subscribe(const std::vector<std::string>& topics) {
    ws_.write(asio::buffer(json({{"op", "subscribe"}, {"args", topics}}).dump()));
    EXPECT_EQ(read()["success"], true);
  }

 private:
  asio::io_context io_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
};

TEST(MarketDriver, PushesClosedAndFormingKlinesAndTickersToSubscribers) {
  VenueServer venue;
  MarketDriverOptions options = simulated_options({"BTCUSDT"});
  options.from = kFrom + 4 * kMinuteMs;  // the next bar closes a 5m bar
  MarketDriver driver(venue, options);
  Subscriber linear(venue.port(), Category::kLinear);
  linear.subscribe({"kline.1.BTCUSDT", "kline.5.BTCUSDT", "kline.15.BTCUSDT", "tickers.BTCUSDT"});
  std::vector<Bar> heard;
  driver.add_bar_listener([&](Category category, const Symbol&, const Bar& bar) {
    if (category == Category::kLinear) heard.push_back(bar);
  });
  ASSERT_TRUE(driver.publish_next_minute());
  ASSERT_EQ(heard.size(), 1u);

  std::map<std::string, json> frames;
  for (int i = 0; i < 4; ++i) {
    const json frame = linear.read();
    frames[frame["topic"].get<std::string>()] = frame;
  }
  const json& minute = frames.at("kline.1.BTCUSDT")["data"][0];
  EXPECT_EQ(minute["start"], heard[0].open_time);
  EXPECT_EQ(minute["close"], heard[0].close.to_string());
  EXPECT_EQ(minute["confirm"], true);
  const json& five = frames.at("kline.5.BTCUSDT")["data"][0];
  EXPECT_EQ(five["start"], kFrom);
  EXPECT_EQ(five["confirm"], true);
  EXPECT_EQ(five["close"], heard[0].close.to_string());
  const json& fifteen = frames.at("kline.15.BTCUSDT")["data"][0];
  EXPECT_EQ(fifteen["start"], kFrom);
  EXPECT_EQ(fifteen["confirm"], false);
  const json& ticker = frames.at("tickers.BTCUSDT");
  EXPECT_EQ(ticker["type"], "snapshot");
  EXPECT_EQ(ticker["ts"], heard[0].open_time + kMinuteMs);
  EXPECT_EQ(ticker["data"]["lastPrice"], heard[0].close.to_string());
}

TEST(MarketDriver, StartPublishesAtTheSpeedUntilStopped) {
  VenueServer venue;
  MarketDriverOptions options = simulated_options({"BTCUSDT"});
  options.speed = 3'000;  // a bar every 20 ms
  MarketDriver driver(venue, options);
  std::atomic<int> heard = 0;
  driver.add_bar_listener([&](Category, const Symbol&, const Bar&) { ++heard; });
  const auto started = std::chrono::steady_clock::now();
  driver.start();
  while (driver.bars_published() < 20 && std::chrono::steady_clock::now() - started < 10s) {
    std::this_thread::sleep_for(5ms);
  }
  const auto elapsed = std::chrono::steady_clock::now() - started;
  driver.stop();
  const std::size_t published = driver.bars_published();
  ASSERT_GE(published, 20u);
  EXPECT_GE(elapsed, 180ms);  // 10 minutes of 2 series at 20 ms a minute
  EXPECT_EQ(heard.load(), static_cast<int>(published));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(driver.bars_published(), published);  // stopped
  driver.stop();                                  // idempotent
}

}  // namespace
}  // namespace gauntlet::venues::bybit
