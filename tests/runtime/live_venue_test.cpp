// A live session on the local Bybit, in process (gauntlet run --venue bybit --base-url ...):
// the engine's Bybit broker connects with the account's keys, enable_live names what is
// missing until the venue has answered, then moves the asset to the venue. A position the
// venue holds and the engine never placed is adopted and protected on the venue
// (position/trading-stop); the protection fires on the venue while the engine is stopped, and
// the restarted engine recovers the closing fill, books the venue's P&L to the cent and
// reconciles clean. The kill switch on the live asset closes a position reduce-only on the
// venue. The truth is the venue's own books, read through its private REST.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <set>
#include <thread>

#include "core/store/sqlite_store.hpp"
#include "data/bar_import.hpp"
#include "data/bar_store.hpp"
#include "orders/entry_halts.hpp"
#include "orders/order_journal.hpp"
#include "orders/pnl_ledger.hpp"
#include "runtime/app_runtime.hpp"
#include "support/promotion.hpp"
#include "support/shared_data.hpp"
#include "support/temp_dir.hpp"
#include "venues/bybit/exchange_fixture.hpp"
#include "venues/bybit/local_bybit.hpp"

namespace gauntlet::runtime {
namespace {

using brokers::bybit::Category;
using nlohmann::json;
using venues::bybit::LocalBybit;

const brokers::bybit::ApiCredentials kKeys{"live-key", "live-secret"};
const Symbol kBtc = Symbol::parse("BTCUSDT");

TimestampMs wall_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

venues::bybit::MarketDriverOptions btc_market() {
  venues::bybit::MarketDriverOptions market;
  market.symbols = {kBtc};
  market.from = floor_to(wall_now(), kMinuteMs) - 30 * kMinuteMs;  // bars published by hand
  return market;
}

Decimal decimal_of(const json& field) {
  return field.is_string() && !field.get<std::string>().empty()
             ? Decimal::parse(field.get<std::string>())
             : Decimal::zero();
}

// Bybit's real BTCUSDT perpetual (or spot) 1m bars of 2022-12-13 00:00-12:00 UTC (shared data,
// LEAN trade bars) in a bar store at `root`, replayed by the local Bybit after a 2-hour history,
// re-dated so that its last bar closes ten minutes before now: the test publishes the 601
// bars as fast as the engine takes them and never shows it a bar from the future.
constexpr int kReplayedMinutes = 601;
venues::bybit::MarketDriverOptions replayed_btc(const std::filesystem::path& data,
                                                const std::filesystem::path& root,
                                                Asset asset = Asset::kPerp) {
  const std::filesystem::path file =
      data / fmt::format("crypto/lean_bybit/{}_btcusdt_minute_20221213_trade.csv.gz",
                         asset == Asset::kSpot ? "spot" : "perp");
  data::ImportedBars imported = data::read_bar_file(file, data::guess_import(file));
  // The perpetual's file holds 00:00-12:00 (721 bars), the spot's the whole day: the morning.
  EXPECT_GE(imported.bars.size(), 120u + kReplayedMinutes);
  imported.bars.resize(std::min<std::size_t>(imported.bars.size(), 120u + kReplayedMinutes));
  data::BarStore(root).upsert_bars({"bybit", asset, kBtc, Timeframe::k1m}, imported.bars);
  venues::bybit::MarketDriverOptions market;
  market.source = venues::bybit::MarketSource::kReplay;
  market.data_root = root;
  market.symbols = {kBtc};
  market.history = 2 * kHourMs;
  market.rebase_to = floor_to(wall_now(), kMinuteMs) - (kReplayedMinutes + 10) * kMinuteMs;
  return market;
}

class LiveVenueTest : public ::testing::Test {
 protected:
  LiveVenueTest() {
    start_venue(btc_market());
    config.environment = config::Environment::kProduction;
    config.rollout_stage = 2;
  }

  // A fresh local Bybit on `market`, the account holding 10,000 USDT.
  void start_venue(const venues::bybit::MarketDriverOptions& market) {
    venue_.reset();
    venue_ = std::make_unique<LocalBybit>(venues::bybit::VenueServerOptions{}, market,
                                          testing::hand_figure_options());
    venue_->exchange().add_account(kKeys, Decimal::from_int(10'000));
  }
  LocalBybit& venue() const { return *venue_; }

  RunOptions options() const {
    RunOptions o;
    o.feed = FeedMode::kLive;
    o.state_dir = dir.path() / "state";
    o.search_space = testing::project_source_dir() / "config" / "ml_search.json";
    o.quiet = true;
    o.universe_size = 1;
    o.min_turnover = 0;
    o.venue = "bybit";
    o.venue_base_url = venue().base_url();
    o.secrets.bybit_api_key = Secret(kKeys.key);
    o.secrets.bybit_api_secret = Secret(kKeys.secret);
    return o;
  }

  // The venue's private REST, as the account's owner reads it.
  json venue_get(std::string_view path, venues::bybit::QueryParams query) {
    const venues::bybit::Reply reply = venue().exchange().handle(kKeys.key, "GET", path, query, {});
    EXPECT_EQ(reply.ret_code, 0) << reply.ret_msg;
    return reply.result;
  }
  json btc_position() {
    const json list =
        venue_get("/v5/position/list", {{"category", "linear"}, {"symbol", "BTCUSDT"}})["list"];
    return list.empty() ? json::object() : list[0];
  }
  // An order placed by hand on the venue (not by the engine).
  void venue_market_order(std::string_view side, std::string_view qty) {
    const venues::bybit::Reply reply =
        venue().exchange().handle(kKeys.key, "POST", "/v5/order/create", {},
                                  {{"category", "linear"},
                                   {"symbol", "BTCUSDT"},
                                   {"side", side},
                                   {"orderType", "Market"},
                                   {"qty", qty}});
    ASSERT_EQ(reply.ret_code, 0) << reply.ret_msg;
  }
  // A linear bar of the venue's next minute, straight to its matching engine.
  void venue_bar(std::string_view open, std::string_view high, std::string_view low,
                 std::string_view close) {
    next_bar = std::max(next_bar, venue().market().next_open_time());
    venue().exchange().on_bar(Category::kLinear, kBtc,
                              testing::venue_bar(next_bar, open, high, low, close));
    next_bar += kMinuteMs;
  }

  // A first start makes the session and its candidates; `count` of its strategies of `asset`
  // are then promoted, as the promotion gate does.
  void first_start_promoting(std::size_t count, Asset asset = Asset::kPerp) {
    RunOptions first = options();
    first.run_for = 500;
    {
      AppRuntime runtime(config, first);
      ASSERT_EQ(runtime.run(), 0);
    }
    ASSERT_GT(testing::promote_exploring(dir.path() / "state" / "gauntlet.db", asset,
                                         config.validation, count),
              0u);
  }

  // The venue's last closing (sell) execution of the long position adopted at 100000, and
  // its P&L against that entry, less its fee (the adoption carries no fee: the venue charged
  // it before the engine knew the position).
  json last_sell_execution() {
    json sell;
    const json executions = venue_get("/v5/execution/list", {{"category", "linear"}});
    for (const json& e : executions["list"]) {
      if (e["side"] == "Sell") sell = e;
    }
    return sell;
  }
  static Decimal adopted_exit_pnl(const json& exit_fill) {
    return (decimal_of(exit_fill["execPrice"]) - Decimal::from_int(100'000)) *
               Decimal::parse("0.01") -
           decimal_of(exit_fill["execFee"]);
  }

  // A bar at `price` every 500 ms, `tries` at most, until neither the venue nor `engine` holds
  // a perpetual position; whether they got there. (A template: Engine is defined below.)
  template <class E>
  bool bars_until_flat(E& engine, std::string_view price, int tries = 40);

  // The account's USDT wallet balance on the venue.
  Decimal venue_usdt() {
    const json wallet = venue_get("/v5/account/wallet-balance", {{"accountType", "UNIFIED"}});
    for (const json& coin : wallet["list"][0]["coin"]) {
      if (coin["coin"] == "USDT") return decimal_of(coin["walletBalance"]);
    }
    return Decimal::zero();
  }

  testing::TempDir dir;
  std::unique_ptr<LocalBybit> venue_;
  config::Config config;
  TimestampMs next_bar = 0;
};

// The engine on its own thread; `on_engine` runs a call there, between two passes.
class Engine {
 public:
  Engine(const config::Config& config, RunOptions options)
      : runtime_(config, std::move(options)), thread_([this] { runtime_.run(); }) {
    while (!runtime_.running()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ~Engine() { stop(); }

  template <class F>
  auto on_engine(F call) -> decltype(call(std::declval<AppRuntime&>())) {
    using Result = decltype(call(std::declval<AppRuntime&>()));
    std::promise<Result> promise;
    std::future<Result> future = promise.get_future();
    auto result = std::make_shared<std::optional<Result>>();
    runtime_.post([&, result] { *result = call(runtime_); },
                  [&, result](std::exception_ptr error) {
                    if (error) {
                      promise.set_exception(error);
                    } else {
                      promise.set_value(std::move(**result));
                    }
                  });
    return future.get();
  }

  // Polls `done` on the engine thread every 100 ms for up to `limit`; its last value.
  bool wait_for(const std::function<bool(AppRuntime&)>& done,
                std::chrono::seconds limit = std::chrono::seconds(40)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (on_engine(done)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return on_engine(done);
  }

  void stop() {
    if (!thread_.joinable()) return;
    runtime_.request_stop();
    thread_.join();
  }

 private:
  AppRuntime runtime_;
  std::thread thread_;
};

std::optional<Position> engine_position(AppRuntime& runtime, Asset asset);

template <class E>
bool LiveVenueTest::bars_until_flat(E& engine, std::string_view price, int tries) {
  for (int i = 0; i < tries; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    venue_bar(price, price, price, price);
    if (engine.on_engine([&](AppRuntime& r) {
          return decimal_of(btc_position()["size"]) == Decimal::zero() &&
                 !engine_position(r, Asset::kPerp);
        }))
      return true;
  }
  return false;
}

bool desync_halted(AppRuntime& runtime, Asset asset) {
  for (const AssetPanel& panel : runtime.asset_panels()) {
    if (panel.asset == asset)
      return std::find(panel.halts.begin(), panel.halts.end(), "broker_desync") !=
             panel.halts.end();
  }
  return false;
}

std::optional<Position> engine_position(AppRuntime& runtime, Asset asset) {
  for (const PositionView& p : runtime.positions()) {
    if (p.position.asset == asset) return p.position;
  }
  return std::nullopt;
}

TEST_F(LiveVenueTest, AnAdoptedPositionIsProtectedOnTheVenueClosedThereAndBookedToTheCent) {
  ASSERT_NO_FATAL_FAILURE(first_start_promoting(1));
  // Someone buys 0.01 BTC perpetual on the account by hand; it fills at the next bar's open.
  venue_market_order("Buy", "0.01");
  venue_bar("100000", "100100", "99900", "100050");
  ASSERT_EQ(decimal_of(btc_position()["size"]), Decimal::parse("0.01"));
  ASSERT_EQ(decimal_of(btc_position()["avgPrice"]), Decimal::from_int(100'000));

  {
    Engine engine(config, options());
    // Spot has no promoted strategy; perpetuals go live once the venue has answered.
    EXPECT_EQ(engine.on_engine([](AppRuntime& r) { return r.enable_live(Asset::kSpot); }).code(),
              "no_promoted_strategy");
    std::set<std::string> refused;
    ASSERT_TRUE(engine.wait_for([&](AppRuntime& r) {
      const Decision d = r.enable_live(Asset::kPerp);
      if (!d.ok) refused.insert(d.reason);
      return d.ok;
    })) << fmt::format("{}", fmt::join(refused, ", "));
    for (const std::string& code : refused)
      EXPECT_TRUE(code.starts_with("broker_not_connected") || code.starts_with("not_reconciled"))
          << code;
    // The venue's position is adopted and protected on the venue at the widest stop (5 %).
    ASSERT_TRUE(engine.wait_for([&](AppRuntime& r) {
      return engine_position(r, Asset::kPerp).has_value() &&
             decimal_of(btc_position()["stopLoss"]) == Decimal::from_int(95'000);
    })) << btc_position().dump();
    // Entries resume after a clean reconciliation.
    ASSERT_TRUE(engine.wait_for([](AppRuntime& r) { return !desync_halted(r, Asset::kPerp); }));
  }

  // With the engine stopped, the market falls through the stop: the venue closes the position.
  venue_bar("100000", "100000", "93000", "94000");
  venue_bar("94000", "94100", "93900", "94000");
  ASSERT_EQ(decimal_of(btc_position()["size"]), Decimal::zero());
  // The venue's closing execution: what the engine must book.
  const json exit_fill = last_sell_execution();
  ASSERT_FALSE(exit_fill.is_null());
  const Decimal exit_pnl = adopted_exit_pnl(exit_fill);
  // Taker 0.00055 on the exit's notional.
  EXPECT_EQ(decimal_of(exit_fill["execFee"]),
            decimal_of(exit_fill["execValue"]) * Decimal::parse("0.00055"));

  {
    Engine engine(config, options());  // perpetuals still live: persisted
    ASSERT_TRUE(engine.wait_for([](AppRuntime& r) {
      return !engine_position(r, Asset::kPerp) && !r.closed_trades().empty() &&
             !desync_halted(r, Asset::kPerp);
    }));
    const std::vector<orders::ClosedTrade> trades =
        engine.on_engine([](AppRuntime& r) { return r.closed_trades(); });
    ASSERT_EQ(trades.size(), 1u);
    EXPECT_EQ(trades[0].realized_pnl, exit_pnl) << exit_fill.dump();
    // The venue's realised P&L since the engine's baseline (the first reconciliation on the
    // venue, the position open): the same figure, to the last decimal.
    EXPECT_EQ(engine.on_engine([](AppRuntime& r) { return r.venue_realised(Asset::kPerp); }),
              std::optional<Decimal>(exit_pnl));

    // Kill switch on a live asset: a new position from the venue is adopted, then closed
    // reduce-only on the venue.
    venue_market_order("Sell", "0.02");
    venue_bar("94000", "94100", "93900", "94000");
    ASSERT_TRUE(engine.wait_for([&](AppRuntime& r) {
      return engine_position(r, Asset::kPerp).has_value() &&
             decimal_of(btc_position()["stopLoss"]).is_positive();
    })) << btc_position().dump();
    EXPECT_TRUE(engine.on_engine([](AppRuntime& r) { return r.kill(Asset::kPerp); }).ok);
    // The reduce-only close reaches the venue and fills at its next bar.
    ASSERT_TRUE(bars_until_flat(engine, "94000")) << btc_position().dump();
    const json open = venue_get("/v5/order/realtime", {{"category", "linear"}});
    EXPECT_TRUE(open["list"].empty()) << open.dump();
    // The books still agree with the venue's: the next reconciliations stay clean.
    std::this_thread::sleep_for(std::chrono::seconds(11));
    EXPECT_TRUE(engine.wait_for([](AppRuntime& r) { return !desync_halted(r, Asset::kPerp); }));
  }
}

// A 10006 storm on the whole engine: the venue answers the next 30 REST requests with "Too
// many visits!" (X-Bapi-Limit-Status 0, the reset half a second ahead) just as the kill switch
// closes a live position. The reduce-only close waits out the storm in the request budget and
// still reaches the venue; the position is flat there and in the engine, and once the storm is
// over the reconciliations are clean (a 10006 is retried, never taken for a critical error). The
// order of requests inside such a storm (cancels first) is proven on the broker's REST client
// (PrivateRestLoopback.During10006StormCancelsStillGoFirst).
TEST_F(LiveVenueTest, DuringA10006StormTheKillSwitchStillFlattensTheVenue) {
  ASSERT_NO_FATAL_FAILURE(first_start_promoting(1));
  venue_market_order("Buy", "0.01");
  venue_bar("100000", "100100", "99900", "100050");
  Engine engine(config, options());
  ASSERT_TRUE(engine.wait_for([](AppRuntime& r) { return r.enable_live(Asset::kPerp).ok; }));
  ASSERT_TRUE(engine.wait_for([&](AppRuntime& r) {
    return engine_position(r, Asset::kPerp).has_value() &&
           decimal_of(btc_position()["stopLoss"]).is_positive() && !desync_halted(r, Asset::kPerp);
  })) << btc_position().dump();

  const int requests_before = venue().server().http_requests();
  venue().server().rate_limit_next_http(30, std::chrono::milliseconds(500));
  EXPECT_TRUE(engine.on_engine([](AppRuntime& r) { return r.kill(Asset::kPerp); }).ok);
  ASSERT_TRUE(bars_until_flat(engine, "100000", 60)) << btc_position().dump();
  // The storm was met: its 30 refusals, then the requests that went through.
  EXPECT_GT(venue().server().http_requests() - requests_before, 30);
  const json history = venue_get("/v5/order/history", {{"category", "linear"}});
  std::size_t closes = 0;
  for (const json& order : history["list"]) {
    closes += order["reduceOnly"] == true && !order["orderLinkId"].get<std::string>().empty();
  }
  EXPECT_EQ(closes, 1u) << history.dump();  // sent once, whatever the retries
  // Halted by the kill switch only: no critical error, and the books agree with the venue's.
  EXPECT_TRUE(engine.wait_for([](AppRuntime& r) { return !desync_halted(r, Asset::kPerp); }));
  const std::vector<std::string> halts = engine.on_engine([](AppRuntime& r) {
    for (const AssetPanel& panel : r.asset_panels()) {
      if (panel.asset == Asset::kPerp) return panel.halts;
    }
    return std::vector<std::string>{};
  });
  EXPECT_EQ(halts, std::vector<std::string>{"kill_switch"});
}

// The private stream goes silent (the venue stalls: pushes discarded) while the venue's stop
// closes a position: the engine, running, never hears the fill on the stream and recovers it
// through REST (the reconciliation's executions), books the venue's P&L and reconciles clean.
TEST_F(LiveVenueTest, AFillTheSilentStreamLostIsRecoveredThroughRest) {
  ASSERT_NO_FATAL_FAILURE(first_start_promoting(1));
  venue_market_order("Buy", "0.01");
  venue_bar("100000", "100100", "99900", "100050");
  Engine engine(config, options());
  ASSERT_TRUE(engine.wait_for([](AppRuntime& r) { return r.enable_live(Asset::kPerp).ok; }));
  ASSERT_TRUE(engine.wait_for([&](AppRuntime& r) {
    return engine_position(r, Asset::kPerp).has_value() &&
           decimal_of(btc_position()["stopLoss"]) == Decimal::from_int(95'000) &&
           !desync_halted(r, Asset::kPerp);
  })) << btc_position().dump();
  venue().server().stall(std::chrono::seconds(3));
  venue_bar("100000", "100000", "93000", "94000");  // the stop fires; its pushes are lost
  ASSERT_EQ(decimal_of(btc_position()["size"]), Decimal::zero());
  const json exit_fill = last_sell_execution();
  ASSERT_FALSE(exit_fill.is_null());
  const Decimal exit_pnl = adopted_exit_pnl(exit_fill);
  ASSERT_TRUE(engine.wait_for(
      [](AppRuntime& r) {
        return !engine_position(r, Asset::kPerp) && !r.closed_trades().empty() &&
               !desync_halted(r, Asset::kPerp);
      },
      std::chrono::seconds(60)));
  const std::vector<orders::ClosedTrade> trades =
      engine.on_engine([](AppRuntime& r) { return r.closed_trades(); });
  ASSERT_EQ(trades.size(), 1u);
  EXPECT_EQ(trades[0].realized_pnl, exit_pnl) << exit_fill.dump();
  EXPECT_EQ(trades[0].exit_reason, "stop_loss");
}

// The session's own strategies trade a replayed real market on the venue: their entries fill
// there, protection is set there (position/trading-stop) and fires there while the engine is
// stopped, the restarted engine books what the venue did, trades on, and the kill switch
// flattens it. The engine's ledger then equals the venue's wallet to the last decimal.
TEST_F(LiveVenueTest, StrategiesTradeAReplayedMarketOnTheVenueAndBookItsWalletToTheCent) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  start_venue(replayed_btc(data, dir.path() / "bars"));
  config.timeframes = {Timeframe::k5m, Timeframe::k1m};  // 120 signal bars in 10 hours
  config.universe.min_listing_age = 0;  // the replay's first bar is the listing, 12 hours ago
  // A quiet morning: 5m stops of 2 ATR are often nearer than the default 0.2 % of the price.
  config.risk[static_cast<std::size_t>(Asset::kPerp)].min_sl_fraction = 0.0005;
  const Decimal start_usdt = venue_usdt();
  ASSERT_NO_FATAL_FAILURE(first_start_promoting(SIZE_MAX));
  const auto publish = [&] {
    if (!venue().market().publish_next_minute()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return true;
  };
  const auto engine_orders = [&] {
    std::size_t count = 0;
    const json history = venue_get("/v5/order/history", {{"category", "linear"}});
    for (const json& order : history["list"]) {
      if (!order["orderLinkId"].get<std::string>().empty()) ++count;
    }
    return count;
  };

  std::atomic<int> signals{0};
  RunOptions counted = options();
  counted.on_signal = [&](const SignalRecord&) { ++signals; };
  {
    Engine engine(config, counted);
    ASSERT_TRUE(engine.wait_for([](AppRuntime& r) { return r.enable_live(Asset::kPerp).ok; }));
    ASSERT_TRUE(engine.wait_for([](AppRuntime& r) { return !desync_halted(r, Asset::kPerp); }));
    // Bars until one of the engine's own entries is open on the venue and protected there.
    bool protected_entry = false;
    while (!protected_entry && publish()) {
      const json position = btc_position();
      protected_entry = decimal_of(position["size"]).is_positive() &&
                        decimal_of(position["stopLoss"]).is_positive();
    }
    ASSERT_TRUE(protected_entry) << "no entry in " << venue().market().bars_published() << " bars";
    EXPECT_GE(engine_orders(), 1u);
  }
  // The engine is down: the market moves until the venue's protection closes the position.
  const std::size_t trades_before = [&] {
    auto store = store::SqliteStore::open(dir.path() / "state" / "gauntlet.db");
    return orders::OrderJournal(*store).closed_trades().size();
  }();
  while (decimal_of(btc_position()["size"]).is_positive() && publish()) {
  }
  ASSERT_EQ(decimal_of(btc_position()["size"]), Decimal::zero()) << "the replay ended first";

  {
    Engine engine(config, options());
    ASSERT_TRUE(engine.wait_for([&](AppRuntime& r) {
      return r.closed_trades().size() > trades_before && !desync_halted(r, Asset::kPerp);
    }));
    const orders::ClosedTrade closed =
        engine.on_engine([](AppRuntime& r) { return r.closed_trades().back(); });
    EXPECT_TRUE(closed.exit_reason == "stop_loss" || closed.exit_reason == "take_profit")
        << closed.exit_reason;
    // The strategies trade on through the rest of the replay but its last 20 minutes.
    while (venue().market().bars_published() + 20 < kReplayedMinutes && publish()) {
    }
    // The kill switch flattens what is open on the venue: the close fills at a next bar.
    EXPECT_TRUE(engine.on_engine([](AppRuntime& r) { return r.kill(Asset::kPerp); }).ok);
    bool flat = false;
    while (!flat && publish()) {
      flat = engine.on_engine([&](AppRuntime& r) {
        return decimal_of(btc_position()["size"]) == Decimal::zero() &&
               !engine_position(r, Asset::kPerp);
      });
    }
    ASSERT_TRUE(flat) << btc_position().dump();
  }
  // The books: the ledger's perpetual entries since the engine went live against the venue's
  // wallet, and the closed trades' P&L with the funding against the same figure.
  auto store = store::SqliteStore::open(dir.path() / "state" / "gauntlet.db");
  const orders::PnlLedger ledger(*store);
  const std::optional<orders::LedgerBaseline> baseline = ledger.baseline(Asset::kPerp);
  ASSERT_TRUE(baseline.has_value());
  const Decimal wallet_change = venue_usdt() - start_usdt;
  EXPECT_EQ(ledger.totals(Asset::kPerp).total() - baseline->ledger, wallet_change);
  const std::vector<orders::ClosedTrade> trades = orders::OrderJournal(*store).closed_trades();
  Decimal traded;
  for (const orders::ClosedTrade& trade : trades) traded += trade.realized_pnl;
  EXPECT_EQ(traded + ledger.totals(Asset::kPerp).funding, wallet_change)
      << trades.size() << " trades";
  const std::size_t orders_sent = engine_orders();
  fmt::print(
      "replayed {} bars: {} strategy signals, {} engine orders on the venue, {} closed trades, "
      "wallet {}\n",
      venue().market().bars_published(), signals.load(), orders_sent, trades.size(),
      wallet_change.to_string());
}

// The same on spot, where Bybit takes a buy's fee in the coin bought and protection is a pair
// of conditional sells on the venue: the session's strategies trade the real spot bars of that
// morning on the venue until one round trip has closed there, the kill switch sells what is
// left, and the books equal the USDT wallet's change to the last decimal while the wallet's
// BTC is dust at most; no protection order outlives its holding.
TEST_F(LiveVenueTest, SpotStrategiesPayTheirFeesInTheCoinAndBookTheWalletToTheCent) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  start_venue(replayed_btc(data, dir.path() / "bars", Asset::kSpot));
  config.timeframes = {Timeframe::k5m, Timeframe::k1m};
  config.universe.min_listing_age = 0;
  config.risk[static_cast<std::size_t>(Asset::kSpot)].min_sl_fraction = 0.0005;
  const Decimal start_usdt = venue_usdt();
  ASSERT_NO_FATAL_FAILURE(first_start_promoting(SIZE_MAX, Asset::kSpot));
  const auto publish = [&] {
    if (!venue().market().publish_next_minute()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return true;
  };
  {
    Engine engine(config, options());
    ASSERT_TRUE(engine.wait_for([](AppRuntime& r) { return r.enable_live(Asset::kSpot).ok; }));
    ASSERT_TRUE(engine.wait_for([](AppRuntime& r) { return !desync_halted(r, Asset::kSpot); }));
    // Bars until the engine has sold on the venue (or the replay's last 20 minutes).
    const auto engine_sells = [&] {
      std::size_t count = 0;
      const json executions = venue_get("/v5/execution/list", {{"category", "spot"}});
      for (const json& e : executions["list"]) {
        count += e["side"] == "Sell" && !e["orderLinkId"].get<std::string>().empty();
      }
      return count;
    };
    while (engine_sells() == 0 && venue().market().bars_published() + 20 < kReplayedMinutes &&
           publish()) {
    }
    ASSERT_GT(engine_sells(), 0u) << "no spot exit in " << venue().market().bars_published()
                                  << " bars";
    ASSERT_TRUE(engine.wait_for([](AppRuntime& r) {
      return !r.closed_trades().empty() && !desync_halted(r, Asset::kSpot);
    }));
    EXPECT_TRUE(engine.on_engine([](AppRuntime& r) { return r.kill(Asset::kSpot); }).ok);
    bool flat = false;
    while (!flat && publish()) {
      flat = engine.on_engine([](AppRuntime& r) { return !engine_position(r, Asset::kSpot); });
    }
    ASSERT_TRUE(flat);
    // The holding's protection orders go with it.
    const auto standing = [&] {
      return venue_get("/v5/order/realtime", {{"category", "spot"}, {"orderFilter", "StopOrder"}})
          .at("list");
    };
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!standing().empty() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_TRUE(standing().empty()) << standing().dump();
  }
  // Every holding was protected on the venue: a stop loss and a take profit order per entry
  // (more when a position grew), none of them an order of the router's journal.
  std::size_t stops = 0;
  std::size_t targets = 0;
  const json spot_orders = venue_get("/v5/order/history", {{"category", "spot"}, {"limit", "50"}});
  for (const json& order : spot_orders["list"]) {
    const std::string link = order["orderLinkId"];
    stops += link.starts_with("gsl-");
    targets += link.starts_with("gtp-");
  }
  EXPECT_GE(stops, 1u);
  EXPECT_EQ(stops, targets);
  auto store = store::SqliteStore::open(dir.path() / "state" / "gauntlet.db");
  const orders::OrderJournal journal(*store);
  // Every venue buy paid its fee in BTC, and the journal holds it as such.
  std::size_t coin_fees = 0;
  for (const Fill& fill : journal.all_fills()) {
    if (fill.side == OrderSide::kBuy && !fill.execution_id.starts_with("adopted:")) {
      EXPECT_TRUE(fill.base_fee.is_positive()) << fill.execution_id;
      ++coin_fees;
    }
  }
  EXPECT_GE(coin_fees, 1u);
  // What the wallet still holds of BTC is dust the venue would not sell.
  const json btc = [&] {
    const json wallet =
        venue_get("/v5/account/wallet-balance", {{"accountType", "UNIFIED"}, {"coin", "BTC"}});
    for (const json& coin : wallet["list"][0]["coin"]) {
      if (coin["coin"] == "BTC") return coin;
    }
    return json::object();
  }();
  Decimal min_order;
  for (const data::InstrumentInfo& info : venue().market().instruments()) {
    if (info.domain == Asset::kSpot && info.symbol == kBtc) min_order = info.min_order_quantity();
  }
  ASSERT_TRUE(min_order.is_positive());
  EXPECT_LT(decimal_of(btc["walletBalance"]), min_order) << btc.dump();
  // The books against the USDT wallet: the ledger since going live, and the closed trades.
  const orders::PnlLedger ledger(*store);
  const std::optional<orders::LedgerBaseline> baseline = ledger.baseline(Asset::kSpot);
  ASSERT_TRUE(baseline.has_value());
  const Decimal wallet_change = venue_usdt() - start_usdt;
  EXPECT_EQ(ledger.totals(Asset::kSpot).total() - baseline->ledger, wallet_change);
  const std::vector<orders::ClosedTrade> trades = journal.closed_trades();
  Decimal traded;
  for (const orders::ClosedTrade& trade : trades) traded += trade.realized_pnl;
  EXPECT_EQ(traded, wallet_change) << trades.size() << " trades";
  // One sell order per round trip: the strategy's exit, the venue's stop or take profit, or
  // the kill switch's close, never two of them.
  std::set<std::string> sell_orders;
  const json executions = venue_get("/v5/execution/list", {{"category", "spot"}});
  for (const json& e : executions["list"]) {
    if (e["side"] == "Sell") sell_orders.insert(e["orderLinkId"].get<std::string>());
  }
  EXPECT_EQ(sell_orders.size(), trades.size());
  std::size_t dust = 0;
  for (const Fill& fill : journal.all_fills()) dust += fill.execution_id.starts_with("dust:");
  fmt::print(
      "spot: {} bars, {} closed trades, {} buys paying in BTC, {} dust write-offs, "
      "wallet {} USDT, {} BTC left\n",
      venue().market().bars_published(), trades.size(), coin_fees, dust, wallet_change.to_string(),
      btc.value("walletBalance", std::string("0")));
}

}  // namespace
}  // namespace gauntlet::runtime
