// AppRuntime in process: the live toggles' preconditions in the order they are checked, the
// status of a simulated session, a session that resumes from its state directory, and every
// switch live in a running session: a hot reload of the risk section sizes the next order,
// time-based exits close positions, a paper top-up reaches the budget and stays, the stored
// session shows the open positions.
#include "runtime/app_runtime.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "capital/bankroll_manager.hpp"
#include "capital/budget_manager.hpp"
#include "core/config_manager.hpp"
#include "core/exceptions.hpp"
#include "core/store/sqlite_store.hpp"
#include "data/bar_import.hpp"
#include "data/bar_store.hpp"
#include "orders/entry_halts.hpp"
#include "orders/order_journal.hpp"
#include "runtime/stored_session.hpp"
#include "support/shared_data.hpp"
#include "support/temp_dir.hpp"
#include "venues/bybit/venue_server.hpp"

namespace gauntlet::runtime {
namespace {

RunOptions simulated(const testing::TempDir& dir) {
  RunOptions options;
  options.feed = FeedMode::kSimulated;
  options.state_dir = dir.path() / "state";
  options.search_space = testing::project_source_dir() / "config" / "ml_search.json";
  options.speed = 60'000;  // a market hour per wall second and more
  options.quiet = true;
  return options;
}

TEST(AppRuntime, EnableLiveNamesTheFirstPreconditionThatFails) {
  testing::TempDir dir;
  config::Config config;
  {
    AppRuntime runtime(config, simulated(dir));
    runtime.start_all();
    Decision decision = runtime.enable_live(Asset::kSpot);
    EXPECT_FALSE(decision.ok);
    EXPECT_EQ(decision.code(), "environment");
    EXPECT_TRUE(runtime.disable_live(Asset::kSpot).ok);
    runtime.stop_all();
  }
  config.environment = config::Environment::kProduction;
  config.rollout_stage = 1;
  {
    AppRuntime runtime(config, simulated(dir));
    runtime.start_all();
    EXPECT_EQ(runtime.enable_live(Asset::kPerp).code(), "rollout_stage");  // perp needs stage 2
    EXPECT_EQ(runtime.enable_live(Asset::kSpot).code(), "no_promoted_strategy");
    runtime.stop_all();
  }
}

TEST(AppRuntime, ASimulatedSessionTradesReportsItsStatusAndResumes) {
  testing::TempDir dir;
  RunOptions options = simulated(dir);
  options.run_for = 4 * kSecondMs;
  RuntimeStatus first;
  {
    AppRuntime runtime(config::Config{}, options);
    EXPECT_EQ(runtime.run(), 0);
    first = runtime.status();
  }
  EXPECT_EQ(first.feed, "simulated");
  EXPECT_NE(first.feed_note.find("SIMULATED MARKET"), std::string::npos);
  EXPECT_GT(first.steps, 0u);
  EXPECT_GT(first.closed_trades, 0) << first.line();
  EXPECT_GT(first.symbols, 0u);
  EXPECT_EQ(first.candidates["exploring"], 8);  // four per crypto asset
  EXPECT_NE(first.line().find("[simulated "), std::string::npos);
  EXPECT_NE(first.line().find("candidates exploring"), std::string::npos);

  options.run_for = 1 * kSecondMs;
  AppRuntime resumed(config::Config{}, options);
  resumed.start_all();
  const RuntimeStatus again = resumed.status();
  EXPECT_EQ(again.market_time, first.market_time);  // where it stopped
  EXPECT_EQ(again.steps, first.steps);
  EXPECT_EQ(again.closed_trades, first.closed_trades);
  EXPECT_EQ(resumed.run(), 0);
  EXPECT_GT(resumed.status().market_time, first.market_time);
}

TEST(AppRuntime, AStateDirectoryServesOneFeed) {
  testing::TempDir dir;
  {
    AppRuntime runtime(config::Config{}, simulated(dir));
    runtime.start_all();
    runtime.stop_all();
  }
  RunOptions replay = simulated(dir);
  replay.feed = FeedMode::kReplay;
  replay.data_root = dir.path();
  AppRuntime runtime(config::Config{}, replay);
  try {
    runtime.start_all();
    FAIL() << "a replay in a simulated session's state directory";
  } catch (const ArgumentError& error) {
    EXPECT_NE(std::string(error.what()).find("holds a simulated session"), std::string::npos)
        << error.what();
  }
}

// auto with Bybit reachable (the local Bybit on 127.0.0.1): the live public feed, the universe
// from the venue's tickers, only its pairs streamed; unreachable: the simulated market, with
// the reason.
TEST(AppRuntime, AutoTakesTheLiveFeedWhenBybitAnswersAndSaysWhyWhenNot) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  venues::bybit::VenueServer venue;
  const auto spot = nlohmann::json::parse(
      testing::read_file(data / "fixtures" / "bybit" / "http_get_instruments_spot.json"));
  std::vector<std::string> listed;
  for (const auto& item : spot["result"]["list"]) {
    venue.add_instrument(brokers::bybit::Category::kSpot, item);
    listed.push_back(item["symbol"].get<std::string>());
    venue.set_ticker(brokers::bybit::Category::kSpot, {{"symbol", listed.back()},
                                                       {"lastPrice", "100"},
                                                       {"volume24h", "1000000"},
                                                       {"turnover24h", "100000000"}});
  }
  testing::TempDir dir;
  RunOptions options = simulated(dir);
  options.feed = FeedMode::kAuto;
  options.bybit_rest_url = venue.rest_url();
  options.bybit_ws_url = venue.public_ws_url(brokers::bybit::Category::kSpot);
  options.run_for = 3 * kSecondMs;
  {
    AppRuntime runtime(config::Config{}, options);
    // The session runs on its own thread; the venue is watched from this one while it does.
    std::thread session([&] { EXPECT_EQ(runtime.run(), 0); });
    std::vector<std::string> topics;
    for (int i = 0; i < 100 && topics.size() < 2 * listed.size(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
      topics = venue.subscriptions(brokers::bybit::Category::kSpot);
    }
    session.join();
    for (const std::string& symbol : listed) {
      EXPECT_NE(std::find(topics.begin(), topics.end(), "kline.1." + symbol), topics.end())
          << symbol;
    }
    const RuntimeStatus status = runtime.status();
    EXPECT_EQ(status.feed, "live");
    EXPECT_NE(status.feed_note.find("LIVE BYBIT SPOT PUBLIC FEED"), std::string::npos);
    EXPECT_EQ(status.symbols, listed.size());
    EXPECT_EQ(status.candidates.at("exploring"), 4);  // spot only
  }

  testing::TempDir offline_dir;
  RunOptions offline = simulated(offline_dir);
  offline.feed = FeedMode::kAuto;
  offline.bybit_rest_url = "http://127.0.0.1:1";  // nothing listens there
  offline.run_for = 500;
  AppRuntime runtime(config::Config{}, offline);
  EXPECT_EQ(runtime.run(), 0);
  EXPECT_EQ(runtime.status().feed, "simulated");
  EXPECT_NE(runtime.status().feed_reason.find("no live feed (http://127.0.0.1:1 unreachable"),
            std::string::npos)
      << runtime.status().feed_reason;
  EXPECT_EQ(runtime.status().feed_note.rfind("SIMULATED MARKET", 0), 0u);
}

// The live universe from the venue's own data: spot ranked by turnover moved by the sentiment
// file (ETH's 90 M with a score of 1 and weight 0.5 ranks as 135 M, above BTC's 100 M); linear
// BTC listed a day ago (launchTime) is too new for min_listing_age (30 d), so ETH is watched.
// Universe size 1: the watched pair is the only one streamed.
TEST(AppRuntime, TheLiveUniverseTakesListingTimesFromTheVenueAndSentimentFromItsFile) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  venues::bybit::VenueServer venue;
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const std::map<std::string, std::string> turnover = {{"BTCUSDT", "100000000"},
                                                       {"ETHUSDT", "90000000"}};
  for (const auto category : {brokers::bybit::Category::kSpot, brokers::bybit::Category::kLinear}) {
    const bool spot = category == brokers::bybit::Category::kSpot;
    auto listed = nlohmann::json::parse(testing::read_file(
        data / "fixtures" / "bybit" /
        (spot ? "http_get_instruments_spot.json" : "http_get_instruments_linear.json")));
    for (auto& item : listed["result"]["list"]) {
      const std::string symbol = item["symbol"].get<std::string>();
      if (!spot && symbol == "BTCUSDT") item["launchTime"] = std::to_string(now - kDayMs);
      venue.add_instrument(category, item);
      venue.set_ticker(category, {{"symbol", symbol},
                                  {"lastPrice", "100"},
                                  {"volume24h", "1000000"},
                                  {"turnover24h", turnover.at(symbol)}});
    }
  }
  testing::TempDir dir;
  const std::filesystem::path sentiment =
      dir.write("sentiment.csv", "# symbol,score\nETHUSDT,1\nbad line\n");
  config::Config config;
  config.universe.size = 1;
  config.universe.min_turnover = 0;
  config.universe.sentiment_file = sentiment.string();
  RunOptions options = simulated(dir);
  options.feed = FeedMode::kLive;
  options.bybit_rest_url = venue.rest_url();
  options.bybit_ws_url = venue.public_ws_url(brokers::bybit::Category::kSpot);
  options.run_for = 5 * kSecondMs;
  AppRuntime runtime(config, options);
  std::thread session([&] { EXPECT_EQ(runtime.run(), 0); });
  std::vector<std::string> spot_topics;
  std::vector<std::string> linear_topics;
  for (int i = 0; i < 100 && (spot_topics.empty() || linear_topics.empty()); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    spot_topics = venue.subscriptions(brokers::bybit::Category::kSpot);
    linear_topics = venue.subscriptions(brokers::bybit::Category::kLinear);
  }
  const auto has = [](const std::vector<std::string>& topics, const std::string& topic) {
    return std::find(topics.begin(), topics.end(), topic) != topics.end();
  };
  // The API's scores win over the file's for the symbols they name: BTC at 1 ranks as 150 M,
  // above ETH's 135 M, and the universes are refreshed at once. A score out of range is refused.
  std::promise<std::pair<Decision, Decision>> answers;
  runtime.post([&] {
    answers.set_value(
        {runtime.set_sentiment({{"BTCUSDT", 2}}), runtime.set_sentiment({{"BTC/USDT", 1}})});
  });
  const auto [refused, accepted] = answers.get_future().get();
  EXPECT_EQ(refused.code(), "bad_score") << refused.reason;
  EXPECT_TRUE(accepted.ok) << accepted.reason;
  std::vector<std::string> after;
  for (int i = 0; i < 100 && !has(after, "kline.1.BTCUSDT"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    after = venue.subscriptions(brokers::bybit::Category::kSpot);
  }
  session.join();
  EXPECT_TRUE(has(spot_topics, "kline.1.ETHUSDT"))
      << fmt::format("{}", fmt::join(spot_topics, " "));
  EXPECT_FALSE(has(spot_topics, "kline.1.BTCUSDT"));
  EXPECT_TRUE(has(after, "kline.1.BTCUSDT")) << fmt::format("{}", fmt::join(after, " "));
  EXPECT_TRUE(has(linear_topics, "kline.1.ETHUSDT"))
      << fmt::format("{}", fmt::join(linear_topics, " "));
  EXPECT_FALSE(has(linear_topics, "kline.1.BTCUSDT"));
  EXPECT_NE(runtime.status().feed_note.find("SPOT + LINEAR"), std::string::npos)
      << runtime.status().feed_note;
}

namespace fs = std::filesystem;

// Writes a config file that extends the defaults with `yaml`; returns its path.
fs::path write_config(const fs::path& path, const std::string& yaml) {
  std::ofstream(path) << "extends: "
                      << (testing::project_source_dir() / "config" / "default.yaml").string()
                      << "\n"
                      << yaml;
  return path;
}

// A replay of the bar files in `files` (imported by the session itself) with `config`.
RunOptions replay_of(const testing::TempDir& dir, const fs::path& files, const fs::path& config) {
  RunOptions options;
  options.feed = FeedMode::kReplay;
  options.state_dir = dir.path() / "state";
  options.data_root = files;
  options.config_file = config;
  options.search_space = testing::project_source_dir() / "config" / "ml_search.json";
  options.quiet = true;
  return options;
}

// A replay of three real Binance pairs (30 days of 1m bars, freqtrade's files, imported by the
// session itself) with a config file of `yaml` beside it.
RunOptions real_replay(const testing::TempDir& dir, const fs::path& data, const std::string& yaml) {
  const fs::path files = dir.path() / "files";
  fs::create_directories(files);
  for (const char* pair : {"BTC", "ETH", "XRP"}) {
    const std::string name = std::string(pair) + "_USDT-1m.json.gz";
    fs::create_symlink(data / "crypto/binance_spot" / name, files / name);
  }
  RunOptions options = replay_of(dir, files, write_config(dir.path() / "session.yaml", yaml));
  options.min_turnover = 0;
  options.universe_size = 3;
  return options;
}

struct Entry {
  TimestampMs time = 0;
  double risked = 0;  // quantity x |fill price - stop loss|: what the entry puts at risk
};

// Every filled entry of the session's journal with what it risked.
std::vector<Entry> entries_of(const fs::path& state) {
  auto store = store::SqliteStore::open(state / "gauntlet.db");
  const orders::OrderJournal journal(*store);
  std::vector<Entry> out;
  for (const orders::JournalEntry& e : journal.orders(Asset::kSpot, 0)) {
    if (e.request.reduce_only || e.filled_quantity == Decimal::zero()) continue;
    const std::vector<Fill> fills = journal.fills(e.request.client_order_id);
    const double price = fills.front().price.to_double();
    out.push_back({e.request.created_at, e.filled_quantity.to_double() *
                                             std::abs(price - e.request.stop_loss.to_double())});
  }
  return out;
}

// The file of a running session changes risk.spot.risk_fraction from 1 % to 0.2 %: the session
// notices (it polls its file each second), the status shows the new version, and every entry
// after it risks 0.2 % of the bucket (within the fill's slippage), where entries before it
// risked more. per_strategy_cap and max_leverage are wide, so the risk fraction alone sizes.
TEST(AppRuntime, AHotReloadOfTheRiskSectionSizesTheNextOrderAndShowsTheNewVersion) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  testing::TempDir dir;
  const std::string loose = "    per_strategy_cap: 1.0\n    max_leverage: 5.0\n";
  RunOptions options = real_replay(dir, data, "risk:\n  spot:\n    risk_fraction: 0.01\n" + loose);
  options.lifecycle = false;
  options.candidates = {{"sma_cross", Asset::kSpot, R"({"fast":5,"slow":10})"},
                        {"ema_cross", Asset::kSpot, R"({"fast":5,"slow":13})"}};
  std::string version_before;
  std::optional<TimestampMs> changed_at;
  std::optional<TimestampMs> rewritten_at;
  AppRuntime* session = nullptr;
  options.on_progress = [&](TimestampMs cursor) {
    const RuntimeStatus status = session->status();
    if (version_before.empty()) version_before = status.config_version;
    if (!rewritten_at && cursor >= session->replay_window()->first + 10 * kDayMs) {
      write_config(options.config_file, "risk:\n  spot:\n    risk_fraction: 0.002\n" + loose);
      rewritten_at = cursor;
    }
    if (rewritten_at && !changed_at && status.config_version != version_before) changed_at = cursor;
    // The replay waits for the poll (once a wall second) once the file changed.
    if (rewritten_at && !changed_at) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  };
  AppRuntime runtime(load_config(options.config_file), options);
  session = &runtime;
  ASSERT_EQ(runtime.run(), 0);
  ASSERT_TRUE(changed_at) << "the reload was never applied";
  EXPECT_NE(runtime.status().config_version, version_before);
  const std::vector<Entry> entries = entries_of(options.state_dir);
  int before = 0, after = 0, large_before = 0;
  for (const Entry& e : entries) {
    if (e.time < *rewritten_at) {
      ++before;
      if (e.risked > 0.004 * 250) ++large_before;
    } else if (e.time > *changed_at) {
      ++after;
      EXPECT_LE(e.risked, 0.002 * 260 * 1.1) << "an entry sized after the reload at " << e.time;
      // Below only when the drawdown throttle shrinks the fraction, or the fill slipped.
      EXPECT_GE(e.risked, 0.002 * 240 * 0.5) << "an entry sized after the reload at " << e.time;
    }
  }
  EXPECT_GE(before, 3);
  EXPECT_GE(large_before, 1) << "the 1 % risk fraction sized the entries before the reload";
  EXPECT_GE(after, 3);
}

// A replay of stored 5m bars only (freqtrade's 5m file, no 1m): the 15m signal bars are made
// from the 5m ones and the candidate trades (before the data manager learnt a base other than
// 1m, such a replay made no signal at all).
TEST(AppRuntime, AReplayOfFiveMinuteBarsTrades) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  testing::TempDir dir;
  const fs::path files = dir.path() / "files";
  fs::create_directories(files);
  fs::create_symlink(data / "crypto/binance_spot/BTC_USDT-5m.json.gz",
                     files / "BTC_USDT-5m.json.gz");
  RunOptions options = replay_of(dir, files, write_config(dir.path() / "five.yaml", ""));
  options.min_turnover = 0;
  options.universe_size = 1;
  options.lifecycle = false;
  options.to = parse_iso8601("2021-05-05T00:00:00Z");
  options.candidates = {{"sma_cross", Asset::kSpot, R"({"fast":5,"slow":10})"}};
  AppRuntime runtime(load_config(options.config_file), options);
  ASSERT_EQ(runtime.run(), 0);
  const std::vector<orders::ClosedTrade> trades = runtime.closed_trades();
  ASSERT_GE(trades.size(), 3u) << "a 5/10 SMA cross on 15m bars trades within two weeks";
  for (const orders::ClosedTrade& t : trades) EXPECT_EQ(t.symbol.canonical(), "BTCUSDT");
}

// A lying venue in a running session: the paper venue charges spot fills 0.5 % (--paper-fee
// spot=0.005) while the engine's FEE_MODEL says Bybit's 0.1 %; perp's venue tells the truth.
// The reconciler sees the spot fees drift from the model: broker_desync on the spot strategies
// and spot entries halted, perp untouched. Perp is killed mid-run; the clean reconciliations
// that follow (hourly in a replay) never lift the kill.
TEST(AppRuntime, ALyingVenueDesyncsItsAssetOnlyAndAKillSurvivesCleanReconciles) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  testing::TempDir dir;
  const fs::path store_root = dir.path() / "store";
  {
    data::BarStore store(store_root);
    for (const auto& [name, domain] : {std::pair{"BTC_USDT-1m.json.gz", Asset::kSpot},
                                       std::pair{"ETH_USDT-1m.json.gz", Asset::kPerp}}) {
      const fs::path file = data / "crypto/binance_spot" / name;
      data::ImportGuess guess = data::guess_import(file);
      guess.domain = domain;
      const data::ImportedBars bars = data::read_bar_file(file, guess);
      store.upsert_bars({guess.venue, domain, *guess.symbol, bars.timeframe}, bars.bars);
    }
  }
  RunOptions options = replay_of(dir, store_root, write_config(dir.path() / "lying.yaml", ""));
  options.min_turnover = 0;
  options.universe_size = 1;
  options.lifecycle = false;
  options.to = parse_iso8601("2021-04-27T00:00:00Z");
  options.candidates = {{"sma_cross", Asset::kSpot, R"({"fast":5,"slow":10})"},
                        {"sma_cross", Asset::kPerp, R"({"fast":5,"slow":10})"}};
  options.paper_fee_rates[Asset::kSpot] = Decimal::parse("0.005");
  const TimestampMs kill_at = parse_iso8601("2021-04-23T00:00:00Z");
  AppRuntime* session = nullptr;
  bool kill_posted = false;
  Decision killed = Decision::deny("not yet");
  options.on_progress = [&](TimestampMs cursor) {
    if (kill_posted || cursor < kill_at) return;
    kill_posted = true;
    session->post([&] { killed = session->kill(Asset::kPerp); });
  };
  const config::Config config = load_config(options.config_file);
  {
    AppRuntime runtime(config, options);
    session = &runtime;
    ASSERT_EQ(runtime.run(), 0);
  }
  ASSERT_TRUE(killed.ok) << killed.reason;

  auto store = store::SqliteStore::open(options.state_dir / "gauntlet.db");
  const orders::EntryHalts halts(*store);
  EXPECT_TRUE(halts.holds(Asset::kSpot, orders::HaltReason::kBrokerDesync));
  EXPECT_FALSE(halts.holds(Asset::kPerp, orders::HaltReason::kBrokerDesync));
  EXPECT_TRUE(halts.holds(Asset::kPerp, orders::HaltReason::kKillSwitch))
      << "a clean reconciliation lifts broker_desync only, never a kill";
  EXPECT_FALSE(halts.holds(Asset::kSpot, orders::HaltReason::kKillSwitch));
  const std::optional<std::string> why = halts.summary(Asset::kSpot);
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("fees: the venue charged"), std::string::npos) << *why;
  const strategies::StrategyRegistry registry(*store);
  for (const strategies::StrategyRecord& r : registry.get_for(Asset::kSpot))
    EXPECT_TRUE(r.flags.contains("broker_desync")) << r.id;
  for (const strategies::StrategyRecord& r : registry.get_for(Asset::kPerp))
    EXPECT_FALSE(r.flags.contains("broker_desync")) << r.id;
  // Both assets traded: the perp side had fills to reconcile, and they agreed.
  const orders::OrderJournal journal(*store);
  EXPECT_FALSE(journal.orders(Asset::kPerp, 0).empty());
  EXPECT_FALSE(journal.orders(Asset::kSpot, 0).empty());
}

// max_holding_time closes a position that outlives it with a market exit of that reason.
TEST(AppRuntime, ATimeBasedExitClosesAPositionHeldTooLong) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  testing::TempDir dir;
  // Wide stop and target (the ATR multiples of the families are the config's): positions last.
  RunOptions options = real_replay(dir, data, "risk:\n  spot:\n    max_holding_time: 45m\n");
  options.lifecycle = false;
  options.to = parse_iso8601("2021-05-01T00:00:00Z");
  options.candidates = {{"sma_cross", Asset::kSpot, R"({"fast":5,"slow":10})"}};
  AppRuntime runtime(load_config(options.config_file), options);
  ASSERT_EQ(runtime.run(), 0);
  int timed_out = 0;
  for (const orders::ClosedTrade& t : runtime.closed_trades()) {
    if (t.exit_reason == "max_holding_time") {
      ++timed_out;
      EXPECT_GE(t.exit_time - t.entry_time, 45 * kMinuteMs);
      EXPECT_LE(t.exit_time - t.entry_time, 45 * kMinuteMs + 16 * kMinuteMs)
          << "closed at the first housekeeping after the limit";
    } else {
      EXPECT_LT(t.exit_time - t.entry_time, 45 * kMinuteMs + 16 * kMinuteMs);
    }
  }
  EXPECT_GE(timed_out, 1);
}

// A top-up in a running session reaches the buckets that fund trades and is not undone by the
// next mark; the stored session (gauntlet serve) lists the open positions the running one had.
TEST(AppRuntime, ATopUpReachesTheBudgetAndTheStoredSessionShowsOpenPositions) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  testing::TempDir dir;
  // A threshold just under the start: the first losing fees trigger a top-up of 100.
  RunOptions options =
      real_replay(dir, data, "paper:\n  top_up_threshold: 999.9\n  top_up_amount: 100\n");
  options.lifecycle = false;
  options.to = parse_iso8601("2021-04-28T00:00:00Z");
  options.candidates = {{"sma_cross", Asset::kSpot, R"({"fast":5,"slow":10})"},
                        {"ema_cross", Asset::kSpot, R"({"fast":5,"slow":13})"}};
  const config::Config config = load_config(options.config_file);
  std::vector<PositionView> open;
  {
    AppRuntime runtime(config, options);
    ASSERT_EQ(runtime.run(), 0);
    const std::vector<EquityMark> marks = runtime.equity_marks(0);
    ASSERT_FALSE(marks.empty());
    open = runtime.positions();
  }
  auto store = store::SqliteStore::open(options.state_dir / "gauntlet.db");
  capital::SessionManager sessions(*store, config.paper);
  ASSERT_TRUE(sessions.resume_session());
  ASSERT_GE(sessions.current().epoch, 1) << "the session was topped up";
  const capital::BudgetManager budget(*store, config.budgets);
  Decimal buckets = budget.pool();
  for (Asset asset : kAllAssets) buckets = buckets + budget.get_alloc(asset);
  // Every bucket got its quarter of each top-up; the last mark equals the buckets' sum, so the
  // next tick did not undo the top-up.
  EXPECT_GT(budget.get_alloc(Asset::kPerp), Decimal::parse("250"));
  EXPECT_EQ(sessions.current().equity, buckets);
  EXPECT_GT(buckets, Decimal::parse("1000"));

  StoredSession stored(config, options.state_dir);
  // The epochs, apart: epoch 0 from the start, then one per top-up of 100 exactly; their
  // statistics count every closed trade once.
  const std::vector<capital::Epoch> epochs = stored.epochs();
  ASSERT_EQ(static_cast<int64_t>(epochs.size()), sessions.current().epoch + 1);
  EXPECT_EQ(epochs[0].number, 0);
  EXPECT_EQ(epochs[0].equity_after, Decimal::parse("1000"));
  for (std::size_t i = 1; i < epochs.size(); ++i) {
    EXPECT_EQ(epochs[i].number, static_cast<int64_t>(i));
    EXPECT_EQ(epochs[i].equity_after, epochs[i].equity_before + Decimal::parse("100"));
    EXPECT_LE(epochs[i].equity_before, Decimal::parse("999.9"));
  }
  std::vector<capital::TradeOutcome> outcomes;
  for (const orders::ClosedTrade& t : stored.closed_trades(0))
    outcomes.push_back({t.exit_time, t.realized_pnl, t.fees});
  std::sort(outcomes.begin(), outcomes.end(),
            [](const auto& a, const auto& b) { return a.exit_time < b.exit_time; });
  int64_t counted = 0;
  for (const capital::EpochStatistics& e : capital::epoch_statistics(epochs, {}, outcomes))
    counted += e.trades;
  EXPECT_EQ(counted, static_cast<int64_t>(outcomes.size()));
  const std::vector<PositionView> shown = stored.positions();
  ASSERT_FALSE(open.empty()) << "the replay ends with positions open";
  ASSERT_EQ(shown.size(), open.size());
  for (std::size_t i = 0; i < shown.size(); ++i) {
    EXPECT_EQ(shown[i].position.symbol, open[i].position.symbol);
    EXPECT_EQ(shown[i].position.quantity, open[i].position.quantity);
    EXPECT_EQ(shown[i].position.stop_loss, open[i].position.stop_loss);
  }
}

// forex_enabled off at boot: a forex position opened while forex was on is still reconciled,
// protected and closed by its levels after a restart with forex off; no new forex entry is
// made; the asset panel says why.
TEST(AppRuntime, ForexOffAtBootStillManagesTheOpenForexPosition) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  testing::TempDir dir;
  const fs::path files = dir.path() / "files";
  fs::create_directories(files);
  for (const char* month : {"201701", "201702"}) {
    const std::string name = fmt::format("DAT_ASCII_EURUSD_M1_{}.csv.gz", month);
    fs::create_symlink(data / "forex/histdata_eurusd_m1" / name, files / name);
  }
  const auto options_with = [&](bool forex) {
    RunOptions options =
        replay_of(dir, files,
                  write_config(dir.path() / (forex ? "on.yaml" : "off.yaml"),
                               fmt::format("forex_enabled: {}\n", forex ? "true" : "false")));
    options.lifecycle = false;
    options.candidates = {{"sma_cross", Asset::kForex, R"({"fast":5,"slow":10})"}};
    return options;
  };

  // Forex on: trade until a forex position is open, then stop gracefully (its checkpoint).
  RunOptions on = options_with(true);
  Position held;
  TimestampMs stopped_at = 0;
  {
    AppRuntime* session = nullptr;
    on.on_progress = [&](TimestampMs cursor) {
      for (const PositionView& p : session->positions()) {
        if (p.position.asset == Asset::kForex && stopped_at == 0) {
          held = p.position;
          stopped_at = cursor;
          session->request_stop();
        }
      }
    };
    AppRuntime runtime(load_config(on.config_file), on);
    session = &runtime;
    ASSERT_EQ(runtime.run(), 0);
    ASSERT_NE(stopped_at, 0) << "no forex position ever opened: forex never traded";
  }

  // Forex off: the position is still there, protected and reconciled; entries are halted.
  RunOptions off = options_with(false);
  AppRuntime runtime(load_config(off.config_file), off);
  runtime.start_all();
  const std::vector<PositionView> positions = runtime.positions();
  ASSERT_EQ(positions.size(), 1u);
  EXPECT_EQ(positions[0].position.symbol, held.symbol);
  EXPECT_EQ(positions[0].position.quantity, held.quantity);
  bool panel_says_why = false;
  for (const AssetPanel& panel : runtime.asset_panels()) {
    if (panel.asset != Asset::kForex) continue;
    panel_says_why = panel.halted.find("disabled: forex_enabled is off") != std::string::npos;
  }
  EXPECT_TRUE(panel_says_why);
  ASSERT_EQ(runtime.run(), 0);
  // It closed by its levels (or its time), and nothing new opened on forex after the restart.
  const std::vector<orders::ClosedTrade> closed = runtime.closed_trades();
  const auto last_forex = std::find_if(closed.rbegin(), closed.rend(),
                                       [](const auto& t) { return t.asset == Asset::kForex; });
  ASSERT_NE(last_forex, closed.rend());
  EXPECT_EQ(last_forex->entry_time, held.opened_at);
  EXPECT_GT(last_forex->exit_time, stopped_at);
  for (const orders::ClosedTrade& t : closed) {
    if (t.asset == Asset::kForex) {
      EXPECT_LE(t.entry_time, stopped_at) << "a new forex entry";
    }
  }
  EXPECT_TRUE(runtime.positions().empty());
  EXPECT_EQ(runtime.status().assets.empty(), false);
}

// One engine per state directory: a second one on the same state is refused, naming the first.
TEST(AppRuntime, ASecondEngineOnTheSameStateIsRefused) {
  testing::TempDir dir;
  AppRuntime first(config::Config{}, simulated(dir));
  first.start_all();
  AppRuntime second(config::Config{}, simulated(dir));
  try {
    second.start_all();
    FAIL() << "a second engine started on the same state directory";
  } catch (const StateError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("is in use by gauntlet run (pid " + std::to_string(::getpid())),
              std::string::npos)
        << message;
  }
  first.stop_all();
}

// A corrupt or empty gauntlet.db is refused with the reason, and left as it was: never replaced
// by a fresh session.
TEST(AppRuntime, AnEmptyOrCorruptDatabaseIsRefusedAndKept) {
  testing::TempDir dir;
  const fs::path state = dir.path() / "state";
  fs::create_directories(state);
  std::ofstream(state / "gauntlet.db") << "this is not a database, but somebody's session";
  const auto size = fs::file_size(state / "gauntlet.db");
  {
    AppRuntime runtime(config::Config{}, simulated(dir));
    try {
      runtime.start_all();
      FAIL() << "a corrupt database was opened";
    } catch (const StateError& error) {
      EXPECT_NE(std::string(error.what()).find("file is not a database"), std::string::npos)
          << error.what();
    }
  }
  EXPECT_EQ(fs::file_size(state / "gauntlet.db"), size);
  std::ofstream(state / "gauntlet.db", std::ios::trunc).close();
  AppRuntime runtime(config::Config{}, simulated(dir));
  try {
    runtime.start_all();
    FAIL() << "an empty database was opened";
  } catch (const StateError& error) {
    EXPECT_NE(std::string(error.what()).find("the file is empty"), std::string::npos)
        << error.what();
  }
  EXPECT_EQ(fs::file_size(state / "gauntlet.db"), 0u);
}

}  // namespace
}  // namespace gauntlet::runtime
