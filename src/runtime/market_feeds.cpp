// File: runtime/market_feeds.cpp
//
// The runtime's feeds and universe (internal/runtime_impl.hpp): the replay of a bar store or of
// bar files imported into the state directory, the seeded simulated market and the bars it
// publishes, Bybit's live public feed, the per-asset markets (a data_manager per venue) and the
// refresh of the symbol universe that decides which symbols are watched.
//
// Threading: the engine thread.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/exceptions.hpp"
#include "core/text.hpp"
#include "data/bar_import.hpp"
#include "runtime/internal/runtime_impl.hpp"

namespace gauntlet::runtime {
namespace internal {

// The series a replay publishes: per (domain, symbol) the finest timeframe, of the venue that
// holds the most series of that domain.
std::vector<data::SeriesKey> replay_series(const data::BarStore& store) {
  std::map<Asset, std::map<std::string, int>> venues;
  const std::vector<data::SeriesKey> all = store.list();
  for (const data::SeriesKey& key : all) ++venues[key.domain][key.venue];
  std::map<std::pair<Asset, std::string>, data::SeriesKey> finest;
  for (const data::SeriesKey& key : all) {
    const auto& counts = venues[key.domain];
    const auto best =
        std::max_element(counts.begin(), counts.end(),
                         [](const auto& a, const auto& b) { return a.second < b.second; });
    if (key.venue != best->first) continue;
    auto [it, inserted] = finest.try_emplace({key.domain, key.symbol.canonical()}, key);
    if (!inserted && duration_ms(key.timeframe) < duration_ms(it->second.timeframe))
      it->second = key;
  }
  std::vector<data::SeriesKey> result;
  for (auto& [id, key] : finest) result.push_back(key);
  return result;
}

}  // namespace internal

namespace {

using internal::log;

bool holds_bar_store(const std::filesystem::path& root) {
  if (!std::filesystem::is_directory(root)) return false;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.is_regular_file() && entry.path().extension() == data::BarStore::kExtension)
      return true;
  }
  return false;
}

// `root` itself when it is a file, else every file below it, sorted. (Two returns rather than
// one vector filled on two paths: GCC 12 at -O2 mistakes the latter for a free of a non-heap
// pointer, -Werror=free-nonheap-object, which stopped `make tsan`.)
std::vector<std::filesystem::path> files_under(const std::filesystem::path& root) {
  if (std::filesystem::is_regular_file(root)) return {root};
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root))
    if (entry.is_regular_file()) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

// Imports every bar file under `root` into `store`; files that hold something else (funding,
// mark prices, option chains) are skipped. Returns the number of bars stored.
std::size_t import_bar_files(const std::filesystem::path& root, data::BarStore& store) {
  const std::vector<std::filesystem::path> files = files_under(root);
  std::size_t stored = 0;
  for (const std::filesystem::path& file : files) {
    data::ImportGuess guess;
    try {
      guess = data::guess_import(file);
    } catch (const DataError& error) {
      log().info("replay import skips {}: {}", file.string(), error.what());
      continue;
    }
    if (!guess.symbol) {
      log().info("replay import skips {}: no symbol in its name", file.string());
      continue;
    }
    const data::ImportedBars bars = data::read_bar_file(file, guess);
    const Asset domain = guess.domain.value_or(data::default_domain(*guess.symbol));
    const data::SeriesKey key{guess.venue, domain, *guess.symbol, bars.timeframe};
    store.upsert_bars(key, bars.bars);
    stored += bars.bars.size();
    log().info("replay import {} -> {} bars={} rejected={}", file.filename().string(),
               data::to_string(key), bars.bars.size(), bars.rejected);
  }
  return stored;
}

}  // namespace

using internal::iso_minute;
using internal::kSimulatedHistory;
using internal::replay_series;
using nlohmann::json;

std::string_view to_string(FeedMode mode) {
  switch (mode) {
    case FeedMode::kAuto:
      return "auto";
    case FeedMode::kLive:
      return "live";
    case FeedMode::kSimulated:
      return "simulated";
    case FeedMode::kReplay:
      return "replay";
  }
  return "auto";
}

std::optional<FeedMode> feed_mode_from_string(std::string_view text) {
  for (FeedMode mode : {FeedMode::kAuto, FeedMode::kLive, FeedMode::kSimulated, FeedMode::kReplay})
    if (to_string(mode) == text) return mode;
  return std::nullopt;
}

bool AppRuntime::Impl::bybit_reachable(std::string& why) {
  brokers::bybit::RestConfig config;
  config.base_url = options.bybit_rest_url;
  config.request_timeout_ms = 4 * kSecondMs;
  brokers::bybit::RestClient client(loop, config);
  bool done = false;
  bool ok = false;
  asio::co_spawn(loop, client.get_server_time_async(), [&](std::exception_ptr error, const auto&) {
    done = true;
    ok = !error;
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      why = fmt::format("{} unreachable: {}", options.bybit_rest_url, e.what());
    }
  });
  loop.restart();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(6);
  while (!done && std::chrono::steady_clock::now() < deadline) {
    loop.run_for(std::chrono::milliseconds(50));
    loop.restart();
  }
  if (!done) why = fmt::format("{} did not answer", options.bybit_rest_url);
  return ok;
}

void AppRuntime::Impl::open_replay_data() {
  if (options.data_root.empty()) throw ArgumentError("--feed replay needs --data-root DIR");
  if (!std::filesystem::exists(options.data_root))
    throw ArgumentError(fmt::format("--data-root {} does not exist", options.data_root.string()));
  if (holds_bar_store(options.data_root)) {
    bars = std::make_unique<data::BarStore>(options.data_root);
    return;
  }
  const std::filesystem::path imported = options.state_dir / "replay-bars";
  bars = std::make_unique<data::BarStore>(imported);
  const std::optional<std::string> source = runtime_state->get("replay.imported_from");
  const std::string root = std::filesystem::absolute(options.data_root).lexically_normal();
  if (source && *source == root && !bars->list().empty()) return;
  std::filesystem::remove_all(imported);
  bars = std::make_unique<data::BarStore>(imported);
  const std::size_t count = import_bar_files(options.data_root, *bars);
  if (count == 0)
    throw ArgumentError(
        fmt::format("--data-root {} holds no bar files", options.data_root.string()));
  runtime_state->set("replay.imported_from", root);
}

AssetMarket& AppRuntime::Impl::market(Asset asset, const std::string& venue) {
  auto found = markets.find(asset);
  if (found != markets.end()) return found->second;
  AssetMarket& m = markets[asset];
  m.asset = asset;
  const config::UniverseConfig& u = config.universe;
  data::UniverseRules rules;
  rules.size = options.universe_size.value_or(u.size);
  rules.core_size = std::max(1, rules.size / 3);
  rules.core_exit_rank = std::max(rules.core_size, rules.size * 2 / 3);
  rules.min_turnover = options.min_turnover.value_or(u.min_turnover);
  rules.min_listing_age = u.min_listing_age;
  rules.spike_ratio = u.spike_ratio;
  rules.spike_window = u.spike_window;
  rules.refresh_interval = u.refresh_interval;
  rules.sentiment_weight = u.sentiment_weight;
  m.universe = data::SymbolUniverse(rules);
  m.manager = std::make_unique<data::DataManager>(venue, asset, *bars, bus, *clock);
  return m;
}

void AppRuntime::Impl::setup_replay() {
  open_replay_data();
  const std::vector<data::SeriesKey> series = replay_series(*bars);
  if (series.empty()) throw ArgumentError("the replay data holds no bars");
  TimestampMs first = INT64_MAX;
  TimestampMs last = INT64_MIN;
  for (const data::SeriesKey& key : series) {
    AssetMarket& m = market(key.domain, key.venue);
    m.symbols.push_back(key.symbol);
    base_timeframe[{key.domain, key.symbol.canonical()}] = key.timeframe;
    // Stored 5m bars (no 1m) are replayed as 5m and resampled from 5m.
    m.manager->set_base_timeframe(key.symbol, key.timeframe);
    first = std::min(first, *bars->first_bar_time(key));
    last = std::max(last, *bars->last_bar_time(key) + duration_ms(key.timeframe));
  }
  const TimestampMs from = floor_to(options.from.value_or(first), kMinuteMs);
  const TimestampMs to = options.to.value_or(last);
  if (to <= from) throw ArgumentError("--to must come after --from and the first bar");
  // A resumed replay must be the same replay.
  const std::string identity = fmt::format("{}|{}|{}", options.data_root.string(), from, to);
  const std::optional<std::string> stored = runtime_state->get("replay.identity");
  if (stored && *stored != identity) {
    throw ArgumentError(fmt::format(
        "the state directory {} holds a replay of other data or another window ({}); use a "
        "fresh --state directory",
        options.state_dir.string(), *stored));
  }
  runtime_state->set("replay.identity", identity);
  replay_from = from;
  replay_to = to;
  feed_name = "replay";
  feed_note = fmt::format("REPLAY of {} ({} series, {} to {})", options.data_root.string(),
                          series.size(), iso_minute(from), iso_minute(to));
}

void AppRuntime::Impl::setup_simulated() {
  bars = std::make_unique<data::BarStore>(options.state_dir / "simulated-bars");
  feed_name = "simulated";
  feed_note = fmt::format("SIMULATED MARKET (seed {}, {}x)", options.seed, options.speed);
}

void AppRuntime::Impl::setup_live() {
  wall_clock = std::make_unique<WallClock>(loop);
  clock = wall_clock.get();
  runtime_state = std::make_unique<RuntimeState>(*store, *clock);
  bars = std::make_unique<data::BarStore>(options.state_dir / "live-bars");
  // The public feed of the session's venue (its environment's hosts or its base URL), else the
  // URLs given (--bybit-url, --bybit-ws-url: spot; linear beside it).
  std::string rest_url = options.bybit_rest_url;
  std::string spot_ws = options.bybit_ws_url;
  std::string linear_ws;
  if (!options.venue.empty()) {
    const brokers::bybit::BybitHosts hosts = venue_hosts();
    rest_url = hosts.public_rest;
    spot_ws = hosts.public_ws_base + "/spot";
    linear_ws = hosts.public_ws_base + "/linear";
  } else if (spot_ws.ends_with("/spot")) {
    linear_ws = spot_ws.substr(0, spot_ws.size() - 4) + "linear";
  }
  brokers::bybit::RestConfig rest_config;
  rest_config.base_url = rest_url;
  rest = std::make_unique<brokers::bybit::RestClient>(loop, rest_config);
  data::BybitLiveFeed::Options feed_options;
  feed_options.initial_lookback = 2 * kDayMs;  // the strategies' warm-up
  std::vector<std::string> listed;
  for (const Asset asset : {Asset::kSpot, Asset::kPerp}) {
    // Perpetuals stream beside spot when the exchange profile trades them.
    if (asset == Asset::kPerp && config::asset_disabled_reason(config, asset)) continue;
    const brokers::bybit::Category category =
        asset == Asset::kSpot ? brokers::bybit::Category::kSpot : brokers::bybit::Category::kLinear;
    const brokers::bybit::InstrumentsPage instruments =
        await_on_loop(rest->get_all_instruments_async(category));
    if (asset == Asset::kPerp && instruments.instruments.empty()) continue;  // none listed
    AssetMarket& m = market(asset, "bybit");
    m.manager->set_instruments(instruments.instruments);
    for (const data::InstrumentInfo& info : instruments.instruments) {
      if (info.status == "Trading") m.symbols.push_back(info.symbol);
    }
    live_tickers[asset] = await_on_loop(rest->get_tickers_async(category)).value;
    brokers::bybit::PublicWsConfig ws;
    ws.category = category;
    ws.url = asset == Asset::kSpot ? spot_ws : linear_ws;
    auto feed = std::make_unique<data::BybitLiveFeed>(loop, *m.manager, *rest, ws, bus, *clock,
                                                      feed_options);
    m.manager->attach_source(feed.get());
    live_feeds.push_back(std::move(feed));
    listed.push_back(fmt::format("{} {}", m.symbols.size(),
                                 asset == Asset::kSpot ? "spot pairs" : "perpetuals"));
  }
  live_feed = live_feeds.front().get();
  feed_name = "live";
  feed_note =
      fmt::format("LIVE BYBIT {} PUBLIC FEED ({} listed), {}",
                  live_feeds.size() == 1 ? "SPOT" : "SPOT + LINEAR", fmt::join(listed, ", "),
                  options.venue.empty() ? std::string("paper fills")
                                        : "paper fills, live assets on " + options.venue);
}

void AppRuntime::Impl::start_simulated(bool resumed) {
  const TimestampMs now = floor_to(wall_now_ms(), kMinuteMs);
  TimestampMs start = now - kSimulatedHistory;
  if (resumed) {
    const json j = json::parse(*runtime_state->get(kCheckpointKey));
    start = j.value("simulated_start", start);
  }
  data::SimulatedMarketConfig market =
      data::SimulatedMarketConfig::default_crypto(options.seed, start);
  simulated = std::make_unique<data::SimulatedFeed>(market, bus, sim_clock);
  for (const data::SimulatedSymbol& s : market.symbols) {
    for (const data::SimulatedListing& listing : s.listings) {
      AssetMarket& m = this->market(listing.domain, "simulated");
      m.symbols.push_back(s.symbol);
      base_timeframe[{listing.domain, s.symbol.canonical()}] = Timeframe::k1m;
    }
  }
  for (auto& [asset, m] : markets) m.manager->set_instruments(data::listed_instruments(market));
}

void AppRuntime::Impl::flush_simulated_bars(bool force) {
  if (!simulated || simulated_backlog.empty()) return;
  if (!force && simulated_backlog.size() < 60 * simulated->market().config().symbols.size()) return;
  std::map<std::string, std::pair<data::SeriesKey, std::vector<Bar>>> by_series;
  for (const data::BarClosed& e : simulated_backlog) {
    const data::SeriesKey key{"simulated", e.domain, e.symbol, e.timeframe};
    auto& slot = by_series[data::to_string(key)];
    slot.first = key;
    slot.second.push_back(e.bar);
  }
  for (auto& [name, series] : by_series) bars->upsert_bars(series.first, series.second);
  simulated_backlog.clear();
}

TimestampMs AppRuntime::Impl::wall_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void AppRuntime::Impl::refresh_universe(AssetMarket& m, TimestampMs now) {
  std::vector<data::UniverseCandidate> candidates;
  std::map<std::string, double> tickers;
  for (const data::QuoteUpdated& t : live_tickers[m.asset])
    tickers[t.symbol.canonical()] = t.turnover_24h.to_double();
  const std::map<std::string, double> scores = read_sentiment();
  for (const Symbol& symbol : m.symbols) {
    // Turnover from the streamed quote, else the venue's tickers; listing time and status from
    // the venue's instruments (unknown: allowed, trading).
    data::UniverseCandidate candidate;
    candidate.symbol = symbol;
    if (const auto quote = m.manager->get_last_quote(symbol)) {
      candidate.turnover_24h = quote->turnover_24h.to_double();
    } else if (const auto ticker = tickers.find(symbol.canonical()); ticker != tickers.end()) {
      candidate.turnover_24h = ticker->second;
    } else {
      continue;
    }
    if (const auto info = m.manager->get_instrument(symbol)) {
      candidate.launch_time = info->launch_time;
      if (!info->status.empty()) candidate.status = info->status;
    }
    if (const auto score = scores.find(symbol.canonical()); score != scores.end())
      candidate.score = score->second;
    candidates.push_back(std::move(candidate));
  }
  if (m.asset == Asset::kForex || m.asset == Asset::kOptions) {
    // The crypto universe's filters (USDT, turnover) do not apply: every symbol is watched.
    for (const Symbol& s : m.symbols) m.watched.insert(s.canonical());
    return;
  }
  const data::UniverseUpdate update = m.universe.refresh(candidates, now);
  m.watched.clear();
  for (const Symbol& s : m.universe.symbols()) m.watched.insert(s.canonical());
  if (options.watch_all_symbols) {
    for (const Symbol& s : m.symbols) m.watched.insert(s.canonical());
  }
  // A turnover spike is an opportunity: the symbol is watched (its signals reach the
  // scheduler) until the next refresh, in the universe or not.
  for (const Symbol& s : update.spikes) m.watched.insert(s.canonical());
  if (live_feed) {
    // Live: stream only what is watched (Bybit lists hundreds of pairs).
    std::vector<Symbol> wanted;
    for (const std::string& name : m.watched) {
      wanted.push_back(Symbol::parse(name));
      base_timeframe[{m.asset, wanted.back().canonical()}] = Timeframe::k1m;
    }
    m.manager->subscribe(wanted, {data::Stream::kBars, data::Stream::kQuotes});
  }
  if (!update.added.empty() || !update.removed.empty() || !update.spikes.empty()) {
    log().info("universe {} at {}: {} symbols, +{} -{}, {} spiking", to_string(m.asset),
               iso_minute(now), m.universe.symbols().size(), update.added.size(),
               update.removed.size(), update.spikes.size());
  }
}

std::map<std::string, double> AppRuntime::Impl::read_sentiment() const {
  std::map<std::string, double> scores;
  // The API's scores, set last, win over the file's.
  std::map<std::string, double> from_api;
  if (const auto stored = runtime_state->get(std::string(internal::kSentimentKey))) {
    const json parsed = json::parse(*stored);
    for (const auto& [name, score] : parsed.items()) from_api[name] = score;
  }
  const auto with_api = [&] {
    for (const auto& [name, score] : from_api) scores[name] = score;
    return scores;
  };
  const std::string& file = config.universe.sentiment_file;
  if (file.empty()) return with_api();
  std::ifstream in(file);
  if (!in) {
    log().warn("universe.sentiment_file {}: cannot be read; its scores are left out", file);
    return with_api();
  }
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string_view text = trim(line);
    if (text.empty() || text.front() == '#') continue;
    const std::size_t comma = text.find(',');
    double score = 0;
    std::optional<Symbol> symbol;
    if (comma != std::string_view::npos) {
      try {
        symbol = Symbol::parse(trim(text.substr(0, comma)));
      } catch (const SymbolError&) {
      }
      const std::string_view value = trim(text.substr(comma + 1));
      const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), score);
      if (error != std::errc() || end != value.data() + value.size() || !std::isfinite(score) ||
          score < -1 || score > 1) {
        symbol.reset();
      }
    }
    if (!symbol) {
      log().warn("universe.sentiment_file {}:{}: not SYMBOL,SCORE with a score in [-1, 1]: {}",
                 file, number, line);
      continue;
    }
    scores[symbol->canonical()] = score;
  }
  return with_api();
}

void AppRuntime::Impl::fetch_universe(Asset asset) {
  if (!rest || !universe_fetching.insert(asset).second) return;
  asio::co_spawn(loop, fetch_universe_async(asset), [this, asset](std::exception_ptr error) {
    universe_fetching.erase(asset);
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      // The universe stays as it is; the next housekeeping tries again.
      log().warn("universe {}: the venue's tickers and instruments could not be read: {}",
                 to_string(asset), e.what());
    }
  });
}

asio::awaitable<void> AppRuntime::Impl::fetch_universe_async(Asset asset) {
  const brokers::bybit::Category category =
      asset == Asset::kSpot ? brokers::bybit::Category::kSpot : brokers::bybit::Category::kLinear;
  brokers::bybit::InstrumentsPage instruments = co_await rest->get_all_instruments_async(category);
  auto tickers = co_await rest->get_tickers_async(category);
  AssetMarket& m = markets.at(asset);
  m.manager->set_instruments(instruments.instruments);
  m.symbols.clear();
  for (const data::InstrumentInfo& info : instruments.instruments) {
    if (info.status == "Trading") m.symbols.push_back(info.symbol);
  }
  live_tickers[asset] = std::move(tickers.value);
  refresh_universe(m, clock->now_ms());
}

}  // namespace gauntlet::runtime
