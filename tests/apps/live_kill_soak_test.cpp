// The live kill soak, on perpetuals and on spot: `gauntlet run --venue bybit --base-url ...`
// trading the asset live on a local Bybit (in this process, so the venue keeps its state:
// orders, positions, protection, wallet) that replays real 1m bars (Binance's BTCUSDT spot of
// May 2021, the crash included, standing in for the perpetual too; re-dated into the recent
// past) on its own thread, while the engine is SIGKILLed at random moments and restarted on the
// same state. The venue trades on while the engine is down (its stops and take-profits fire
// there: a perpetual's position TP/SL, a spot holding's conditional sells). After every restart:
//   - every position the venue holds (spot: every coin above the minimum order) carries a stop
//     loss on the venue within 30 s;
// and at the end, the engine stopped cleanly:
//   - no order sent twice: every order the venue holds from the engine (an orderLinkId) is one
//     the engine journaled before sending, each orderLinkId once;
//   - no fill lost: every execution of the account is in the engine's journal and booked once
//     in its ledger (its fee entry, keyed by the venue's execId);
//   - books equal to the venue's: the journal's fills net to the venue's position (spot: to
//     the coin the wallet holds, a buy counting what it left after its fee in the coin, dust
//     write-offs not at all), and the ledger's total since the engine went live equals the
//     venue's wallet change, to the last decimal (spot: once the kill switch has sold the last
//     holding, since the ledger books a round trip when it closes).
//
// GAUNTLET_LIVE_SOAK_KILLS sets the number of kills (default 10; `make soak` runs 100),
// GAUNTLET_SOAK_SEED the seed of the kill times; GAUNTLET_SOAK_KEEP=DIR copies the state, the
// config and every run's log there at the end.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/store/sqlite_store.hpp"
#include "core/time.hpp"
#include "data/bar_import.hpp"
#include "data/bar_store.hpp"
#include "orders/order_journal.hpp"
#include "orders/pnl_ledger.hpp"
#include "support/command.hpp"
#include "support/promotion.hpp"
#include "support/shared_data.hpp"
#include "support/temp_dir.hpp"
#include "venues/bybit/exchange_fixture.hpp"
#include "venues/bybit/local_bybit.hpp"

namespace gauntlet {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

const brokers::bybit::ApiCredentials kKeys{"soak-key", "soak-secret"};
const Symbol kBtc = Symbol::parse("BTCUSDT");
constexpr int kDefaultKills = 10;
constexpr std::uint64_t kDefaultSeed = 20261207;
// The replay starts at 2021-05-11T00:00Z, six hours of history before it.
constexpr TimestampMs kReplayFrom = 1'620'691'200'000;
// Wall seconds a run lives before its kill: uniform in this range.
constexpr double kMinRunSeconds = 1.0;
constexpr double kMaxRunSeconds = 5.0;

long env_or(const char* name, long fallback) {
  const char* text = std::getenv(name);
  return text != nullptr && *text != '\0' ? std::strtol(text, nullptr, 10) : fallback;
}

TimestampMs wall_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Decimal decimal_of(const json& field) {
  return field.is_string() && !field.get<std::string>().empty()
             ? Decimal::parse(field.get<std::string>())
             : Decimal::zero();
}

// The first line of `file` containing `needle` printed within `limit`.
std::optional<std::string> wait_for_line(const fs::path& file, std::string_view needle,
                                         std::chrono::seconds limit) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (fs::exists(file)) {
      const std::string text = testing::read_file(file);
      const auto found = text.find(needle);
      if (found != std::string::npos) {
        const auto begin = text.rfind('\n', found);
        const auto end = text.find('\n', found);
        if (end != std::string::npos)
          return text.substr(begin == std::string::npos ? 0 : begin + 1,
                             end - (begin == std::string::npos ? 0 : begin + 1));
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return std::nullopt;
}

class LiveKillSoak : public ::testing::TestWithParam<Asset> {
 protected:
  static bool spot() { return GetParam() == Asset::kSpot; }
  static std::string category() { return spot() ? "spot" : "linear"; }
  static bool protection_order(const std::string& link) {
    return link.starts_with("gsl-") || link.starts_with("gtp-");
  }

  json venue_get(std::string_view path, venues::bybit::QueryParams query) {
    const venues::bybit::Reply reply = venue->exchange().handle(kKeys.key, "GET", path, query, {});
    EXPECT_EQ(reply.ret_code, 0) << reply.ret_msg;
    return reply.result;
  }
  Decimal min_order_quantity() const {
    for (const data::InstrumentInfo& info : venue->market().instruments()) {
      if (info.domain == Asset::kSpot && info.symbol == kBtc) return info.min_order_quantity();
    }
    return Decimal::zero();
  }
  Decimal coin(std::string_view name) {
    const json wallet = venue_get("/v5/account/wallet-balance", {{"accountType", "UNIFIED"}});
    for (const json& c : wallet["list"][0]["coin"]) {
      if (c["coin"] == name) return decimal_of(c["walletBalance"]);
    }
    return Decimal::zero();
  }
  // The open positions: linear from the venue's position list; spot, the BTC held above the
  // minimum order, its "stopLoss" the trigger of its open stop-loss order (0: none).
  json positions() {
    json open = json::array();
    if (!spot()) {
      const json result =
          venue_get("/v5/position/list", {{"category", "linear"}, {"settleCoin", "USDT"}});
      for (const json& p : result["list"]) {
        if (decimal_of(p["size"]).is_positive()) open.push_back(p);
      }
      return open;
    }
    // What the exits wrote off (the fee taken in the coin leaves dust) stays in the wallet and
    // adds up; it is no position.
    const Decimal held = coin("BTC") - written_off();
    if (held < min_order_quantity() || !held.is_positive()) return open;
    std::string stop = "0";
    const json stops =
        venue_get("/v5/order/realtime", {{"category", "spot"}, {"orderFilter", "StopOrder"}});
    for (const json& order : stops["list"]) {
      if (order["orderLinkId"].get<std::string>().starts_with("gsl-")) stop = order["triggerPrice"];
    }
    open.push_back(
        {{"symbol", "BTCUSDT"}, {"side", "Buy"}, {"size", held.to_string()}, {"stopLoss", stop}});
    return open;
  }
  Decimal usdt() { return coin("USDT"); }
  // The spot dust the engine's journal wrote off so far (read beside the running engine).
  Decimal written_off() {
    const fs::path db = state / "gauntlet.db";
    if (!fs::exists(db)) return Decimal::zero();
    store::SqliteOptions options;
    options.mode = store::OpenMode::kVerifyExisting;
    const std::unique_ptr<store::SqliteStore> store = store::SqliteStore::open(db, options);
    Decimal dust;
    store->query("SELECT quantity FROM fills WHERE execution_id LIKE 'dust:%'", {},
                 [&](const store::Row& row) { dust += Decimal::parse(row.get_text(0)); });
    return dust;
  }

  // Starts the engine on the state directory; returns its API URL.
  std::string start_engine() {
    log = dir.path() / fmt::format("engine-{}.log", ++runs);
    pid =
        testing::spawn_binary(GAUNTLET_BINARY,
                              {"run", "--config", config_file.string(), "--state", state.string(),
                               "--venue", "bybit", "--base-url", venue->base_url(), "--port", "0",
                               "--no-validate", "--quiet", "--search-space", search_space.string()},
                              log, log);
    const std::optional<std::string> login =
        wait_for_line(log, "gauntlet run: open http://", std::chrono::seconds(120));
    if (!login) return {};
    const std::size_t start = login->find("http://");
    return login->substr(start, login->find("/login") - start);
  }
  // GAUNTLET_SOAK_KEEP=DIR: the state, the config and every run's log, however the test ended.
  void TearDown() override {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      testing::wait_exit_code(pid);
      pid = -1;
    }
    if (const char* keep = std::getenv("GAUNTLET_SOAK_KEEP"); keep != nullptr) {
      fs::copy(dir.path(), keep,
               fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    }
  }
  void kill_engine(int signal) {
    ASSERT_GT(pid, 0);
    ASSERT_EQ(::kill(pid, signal), 0);
    const int code = testing::wait_exit_code(pid);
    pid = -1;
    if (signal == SIGTERM) {
      EXPECT_EQ(code, 0) << testing::read_file(log);
    } else {
      EXPECT_EQ(code, 128 + signal);
    }
  }

  testing::TempDir dir;
  fs::path state = dir.path() / "state";
  fs::path log = dir.path() / "engine.log";
  fs::path config_file;
  fs::path search_space;
  std::unique_ptr<venues::bybit::LocalBybit> venue;
  pid_t pid = -1;
  int runs = 0;
};

TEST_P(LiveKillSoak, NothingIsSentTwiceLostOrLeftUnprotectedAcrossSigkills) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  const Asset asset = GetParam();
  const std::string name(to_string(asset));
  const int kills = static_cast<int>(env_or("GAUNTLET_LIVE_SOAK_KILLS", kDefaultKills));
  const auto seed = static_cast<std::uint64_t>(env_or("GAUNTLET_SOAK_SEED", kDefaultSeed));
  std::mt19937_64 random(seed);
  std::cout << fmt::format("live kill soak on {}: {} kills, seed {}", name, kills, seed)
            << std::endl;

  // The market: a bar store holding the pair as a series of the asset.
  const fs::path file = data / "crypto/binance_spot/BTC_USDT-1m.json.gz";
  const data::ImportedBars imported = data::read_bar_file(file, data::guess_import(file));
  ASSERT_GT(imported.bars.size(), 40'000u);
  data::BarStore(dir.path() / "bars")
      .upsert_bars({"binance", asset, kBtc, Timeframe::k1m}, imported.bars);
  // Bars per wall second: 20, fewer for a long soak, so that the whole replay, re-dated to end
  // about now, lies within the 2 days a restarted engine backfills (its strategies' warm-up):
  // a real venue's bars are never older than the wall clock says.
  const double seconds = kills * (kMaxRunSeconds + 3.0) + 60.0;
  const double bars_per_second = std::min(20.0, 2600.0 / seconds);
  venues::bybit::MarketDriverOptions market;
  market.source = venues::bybit::MarketSource::kReplay;
  market.data_root = dir.path() / "bars";
  market.symbols = {kBtc};
  market.from = kReplayFrom;
  market.history = 6 * kHourMs;
  market.speed = bars_per_second * 60.0;
  market.rebase_to = floor_to(wall_now(), kMinuteMs) -
                     static_cast<DurationMs>(seconds * bars_per_second + 60) * kMinuteMs;
  venue = std::make_unique<venues::bybit::LocalBybit>(venues::bybit::VenueServerOptions{}, market,
                                                      testing::hand_figure_options());
  venue->exchange().add_account(kKeys, Decimal::from_int(10'000));
  const Decimal start_usdt = usdt();

  config_file =
      dir.write("live.yaml",
                "extends: " + (testing::project_source_dir() / "config" / "default.yaml").string() +
                    "\nenvironment: production\nrollout_stage: 2\n"
                    "timeframes: {primary: 5m, confirm: 1m}\n"
                    "universe: {size: 1, min_turnover: 0, min_listing_age: 0s}\n"
                    "risk: {perp: {min_sl_fraction: 0.0005}, spot: {min_sl_fraction: 0.0005}}\n"
                    "exploration: {active_candidates_per_asset: 12, cooldown_after_trade: 0s,\n"
                    "              max_trades_per_hour_per_candidate: 60}\n");
  // Candidates that trade often: short periods, stops of 1 to 1.5 ATR, take-profits at 1 R.
  search_space = dir.write("search.json", R"({
    "seed": 1,
    "defaults_first": false,
    "families": {
      "rsi_reversion": {"complexity": 1, "parameters": {
        "period": {"min": 6, "max": 8, "step": 2}, "oversold": {"min": 35, "max": 35, "step": 5},
        "overbought": {"min": 65, "max": 65, "step": 5},
        "stop_atr": {"min": 1, "max": 1.5, "step": 0.5},
        "reward_risk": {"min": 1, "max": 1, "step": 0.5}}},
      "bollinger_reversion": {"complexity": 2, "parameters": {
        "period": {"min": 10, "max": 15, "step": 5},
        "deviations": {"min": 1.5, "max": 1.5, "step": 0.25},
        "stop_atr": {"min": 1, "max": 1.5, "step": 0.5},
        "reward_risk": {"min": 1, "max": 1, "step": 0.5}}},
      "donchian_breakout": {"complexity": 2, "parameters": {
        "period": {"min": 10, "max": 15, "step": 5}, "stop_atr": {"min": 1, "max": 1.5, "step": 0.5},
        "reward_risk": {"min": 1, "max": 1, "step": 0.5}}}
    },
    "assets": {"ASSET": ["rsi_reversion", "bollinger_reversion", "donchian_breakout"]}
  })");
  {
    std::string text = testing::read_file(search_space);
    text.replace(text.find("ASSET"), 5, name);
    search_space = dir.write("search.json", text);
  }
  ::setenv("GAUNTLET_BYBIT_API_KEY", kKeys.key.c_str(), 1);
  ::setenv("GAUNTLET_BYBIT_API_SECRET", kKeys.secret.c_str(), 1);

  // A first run makes the session and its candidates; every strategy of the asset is promoted.
  ASSERT_FALSE(start_engine().empty()) << testing::read_file(log);
  kill_engine(SIGTERM);
  ASSERT_GT(testing::promote_exploring(state / "gauntlet.db", asset, config::Config{}.validation),
            0u);
  std::string api = start_engine();
  ASSERT_FALSE(api.empty()) << testing::read_file(log);
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  testing::CommandOutcome enabled;
  do {
    enabled = testing::run_command(
        GAUNTLET_BINARY, "live enable " + name + " --url " + api + " --state " + state.string());
    if (enabled.exit_code != 0) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  } while (enabled.exit_code != 0 && Clock::now() < deadline);
  ASSERT_EQ(enabled.exit_code, 0) << enabled.output;
  ASSERT_NE(enabled.output.find(name + " live: done"), std::string::npos) << enabled.output;

  venue->market().start();
  std::uniform_real_distribution<double> run_seconds(kMinRunSeconds, kMaxRunSeconds);
  std::uniform_real_distribution<double> down_seconds(0.0, 1.5);
  double slowest_protection = 0;
  int restarts_with_positions = 0;
  for (int kill = 0; kill < kills; ++kill) {
    std::this_thread::sleep_for(std::chrono::duration<double>(run_seconds(random)));
    kill_engine(SIGKILL);
    std::this_thread::sleep_for(std::chrono::duration<double>(down_seconds(random)));
    const auto restarted = Clock::now();
    api = start_engine();
    ASSERT_FALSE(api.empty()) << "restart " << kill + 1 << ": " << testing::read_file(log);
    // Every position on the venue carries a stop loss there.
    bool had_positions = false;
    bool protected_all = false;
    json open;
    while (!protected_all && Clock::now() < restarted + std::chrono::seconds(30)) {
      open = positions();
      had_positions = had_positions || !open.empty();
      protected_all = std::all_of(open.begin(), open.end(), [](const json& p) {
        return decimal_of(p["stopLoss"]).is_positive();
      });
      if (!protected_all) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_TRUE(protected_all) << "restart " << kill + 1 << ": " << open.dump() << "\n"
                               << testing::read_file(log);
    if (had_positions) {
      ++restarts_with_positions;
      slowest_protection = std::max(
          slowest_protection, std::chrono::duration<double>(Clock::now() - restarted).count());
    }
  }
  // Spot: the kill switch sells what is held (on the venue's next bars), so that every round
  // trip is closed and booked.
  if (spot()) {
    const std::string token = testing::read_file(state / "api_token");
    const testing::CommandOutcome killed = testing::run_command(
        "curl", fmt::format("-s -X POST -H 'Authorization: Bearer {}' {}/kill/spot",
                            token.substr(0, token.find_last_not_of(" \n") + 1), api));
    ASSERT_EQ(killed.exit_code, 0) << killed.output;
    const auto flat_by = Clock::now() + std::chrono::seconds(60);
    while (!positions().empty() && Clock::now() < flat_by)
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ASSERT_TRUE(positions().empty()) << positions().dump() << "\n" << testing::read_file(log);
  }
  // The last run settles: the market stops, the engine books what is left and stops cleanly.
  venue->market().stop();
  std::this_thread::sleep_for(std::chrono::seconds(3));
  kill_engine(SIGTERM);

  // What the venue did, from its own books.
  const json executions = venue_get("/v5/execution/list", {{"category", category()}});
  const json orders = venue_get("/v5/order/history", {{"category", category()}});
  const json open = positions();
  auto store = store::SqliteStore::open(state / "gauntlet.db");
  const orders::OrderJournal journal(*store);
  const orders::PnlLedger ledger(*store);

  // No order sent twice: each engine order on the venue journaled, its orderLinkId once.
  std::map<std::string, int> link_ids;
  std::size_t engine_orders = 0;
  std::size_t protection_orders = 0;
  for (const json& order : orders["list"]) {
    const std::string link = order["orderLinkId"];
    if (link.empty()) continue;    // the venue's own (a fired stop or take-profit)
    if (protection_order(link)) {  // spot protection: the broker's, journaled once it fills
      ++protection_orders;
      EXPECT_EQ(++link_ids[link], 1) << link;
      if (decimal_of(order["cumExecQty"]).is_positive()) {
        EXPECT_TRUE(journal.find(link).has_value()) << link << " filled but is not journaled";
      }
      continue;
    }
    ++engine_orders;
    EXPECT_EQ(++link_ids[link], 1) << link;
    EXPECT_TRUE(journal.find(link).has_value()) << link << " is not in the engine's journal";
  }
  // No fill lost: every execution journaled and its fee booked once.
  std::set<std::string> journaled;
  Decimal net_filled;
  for (const Fill& fill : journal.all_fills()) {
    if (fill.asset != asset) continue;
    if (fill.execution_id.starts_with("dust:")) continue;  // written off: the wallet keeps it
    journaled.insert(fill.execution_id);
    net_filled += fill.side == OrderSide::kBuy ? fill.held_quantity() : -fill.quantity;
  }
  std::set<std::string> booked;
  std::set<std::string> funded;
  for (const orders::LedgerEntry& entry : ledger.entries(asset)) {
    if (entry.kind == orders::LedgerKind::kFee) {
      EXPECT_TRUE(booked.insert(entry.ref).second) << entry.ref;
    }
    if (entry.kind == orders::LedgerKind::kFunding) funded.insert(entry.ref);
  }
  std::size_t venue_fills = 0;
  std::size_t fundings = 0;
  for (const json& execution : executions["list"]) {
    const std::string id = execution["execId"];
    if (execution["execType"] == "Funding") {  // booked as funding, by symbol and time
      ++fundings;
      EXPECT_TRUE(funded.contains(fmt::format("bybit:{}:{}", execution["symbol"].get<std::string>(),
                                              execution["execTime"].get<std::string>())))
          << "funding not booked: " << execution.dump();
      continue;
    }
    ++venue_fills;
    EXPECT_TRUE(journaled.contains(id)) << "fill lost: " << execution.dump();
    EXPECT_TRUE(booked.contains(id)) << "fill not booked: " << execution.dump();
  }
  EXPECT_EQ(journaled.size(), venue_fills);
  // Books: the journal's fills net to the venue's position, the ledger to its wallet.
  Decimal venue_position;
  for (const json& p : open) {
    venue_position += p["side"] == "Buy" ? decimal_of(p["size"]) : -decimal_of(p["size"]);
  }
  if (spot()) venue_position = coin("BTC");  // dust included: the fills say where it came from
  EXPECT_EQ(net_filled, venue_position);
  const std::optional<orders::LedgerBaseline> baseline = ledger.baseline(asset);
  ASSERT_TRUE(baseline.has_value());
  EXPECT_EQ(ledger.totals(asset).total() - baseline->ledger, usdt() - start_usdt);
  if (spot()) {
    EXPECT_GT(protection_orders, 0u);
    EXPECT_TRUE(venue_get("/v5/order/realtime",
                          {{"category", "spot"}, {"orderFilter", "StopOrder"}})["list"]
                    .empty())
        << "a protection order outlived its holding";
  }

  std::cout << fmt::format(
                   "live kill soak on {}: {} kills over {} bars; {} engine orders ({} protection "
                   "orders), {} fills and {} fundings on the venue; {} restarts found positions "
                   "open, all protected within {:.1f} s; wallet {} USDT",
                   name, kills, venue->market().bars_published(), engine_orders, protection_orders,
                   venue_fills, fundings, restarts_with_positions, slowest_protection,
                   (usdt() - start_usdt).to_string())
            << std::endl;
  EXPECT_GT(engine_orders, 0u);
}

INSTANTIATE_TEST_SUITE_P(Assets, LiveKillSoak, ::testing::Values(Asset::kPerp, Asset::kSpot),
                         [](const ::testing::TestParamInfo<Asset>& info) {
                           return std::string(to_string(info.param));
                         });

}  // namespace
}  // namespace gauntlet
