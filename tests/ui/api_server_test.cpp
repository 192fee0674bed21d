// The control-plane API over a real session: AppRuntime replaying real bars on its own thread,
// the ApiServer on loopback, requests through real sockets. Checks the routes against the
// OpenAPI document, the reads of a finished session, the actions of a running one (each through
// its owner), the WebSocket push, and the authentication of every route.
#include "ui/api_server.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "core/config_manager.hpp"
#include "core/decimal.hpp"
#include "runtime/app_runtime.hpp"
#include "runtime/stored_session.hpp"
#include "support/lcg.hpp"
#include "ui/api_session.hpp"

namespace gauntlet::ui {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::ui::Headers;
using testing::ui::Reply;
using testing::ui::request;
using testing::ui::Session;
using testing::ui::WsClient;

// Every route of `router` is in the OpenAPI document and every documented operation is served.
void expect_documented(const Router& router) {
  const json& doc = openapi_document();
  ASSERT_EQ(doc.at("openapi").get<std::string>().substr(0, 2), "3.");
  std::set<std::pair<std::string, std::string>> routes;
  for (const RouteInfo& r : router.routes()) {
    std::string method = r.method;
    std::transform(method.begin(), method.end(), method.begin(), ::tolower);
    routes.insert({r.pattern, method});
    EXPECT_TRUE(doc["paths"].contains(r.pattern)) << r.pattern << " is not in openapi.json";
    if (doc["paths"].contains(r.pattern)) {
      EXPECT_TRUE(doc["paths"][r.pattern].contains(method))
          << r.method << " " << r.pattern << " is not in openapi.json";
    }
  }
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, operation] : item.items()) {
      if (path == "/ws") continue;  // the WebSocket upgrade is the server's, not a route
      EXPECT_TRUE(routes.contains({path, method}))
          << method << " " << path << " is documented but not served";
      EXPECT_TRUE(operation.contains("responses")) << method << " " << path;
    }
  }
  EXPECT_GE(routes.size(), 23u);
}

// The decimals a decimal string is written with.
int places(const json& text) {
  const std::string value = text.get<std::string>();
  const std::size_t dot = value.find('.');
  return dot == std::string::npos ? 0 : static_cast<int>(value.size() - dot - 1);
}

// The replayed Binance pairs' grids (price decimals, quantity decimals), counted by hand (a
// Python pass over the shared JSON) in the sessions' windows, days 2 to 5 of each file (April
// 2021): BTC/USDT prices have at most 2 decimals and volumes 6, ETH/USDT 2 and 5, XRP/USDT 5 and
// 1 (its volumes gained a second decimal only later in the file: a 0.1 lot then).
const std::map<std::string, std::pair<int, int>>& replayed_grids() {
  static const std::map<std::string, std::pair<int, int>> grids = {
      {"BTCUSDT", {2, 6}}, {"ETHUSDT", {2, 5}}, {"XRPUSDT", {5, 1}}};
  return grids;
}

// Every trade at its instrument's precision: the decimals named, the quantity (floored to the
// step) and the prices (each trade's entry and exit are single fills on the tick) sent with
// exactly those decimals, not up to nine.
void expect_instrument_precision(const json& trades) {
  ASSERT_FALSE(trades.empty());
  for (const json& t : trades) {
    const auto grid = replayed_grids().find(t["symbol"].get<std::string>());
    ASSERT_NE(grid, replayed_grids().end()) << t.dump();
    const auto [price, quantity] = grid->second;
    EXPECT_EQ(t["price_decimals"], price) << t.dump();
    EXPECT_EQ(t["quantity_decimals"], quantity) << t.dump();
    EXPECT_EQ(places(t["quantity"]), quantity) << t.dump();
    EXPECT_EQ(places(t["entry_price"]), price) << t.dump();
    EXPECT_EQ(places(t["exit_price"]), price) << t.dump();
  }
}

// The sessions replay a few days of the shared bars (RealBarsTest::window).
class ApiServerTest : public testing::ui::RealBarsTest {};

TEST_F(ApiServerTest, AFinishedReplayIsServedReadOnlyAndMatchesTheOpenApiDocument) {
  const fs::path reports = dir_->path() / "reports";
  Session session(window("finished", 4), dir_->path() / "state-finished", std::nullopt, reports);
  expect_documented(session.router());
  // The served document is the compiled-in one.
  EXPECT_EQ(request(session.port(), "GET", "/openapi.json").json(), openapi_document());
  const json status = session.wait_status([](const json& s) { return !s["running"].get<bool>(); });
  EXPECT_EQ(status["feed"], "replay");
  EXPECT_TRUE(status["simulated"].get<bool>());
  EXPECT_FALSE(status["running"].get<bool>());
  EXPECT_GT(status["market_time"].get<int64_t>(), 0);

  // Assets: all four, money as decimal strings.
  const json assets = session.get("/assets").json();
  ASSERT_EQ(assets.size(), 4u);
  EXPECT_EQ(assets[0]["asset"], "spot");
  EXPECT_TRUE(assets[0]["balance"].is_string());
  EXPECT_FALSE(assets[0]["killed"].get<bool>());

  // Trades: paged newest first, filtered, and bad parameters are 400 naming them.
  const json all = session.get("/trades?page_size=1000").json();
  const std::size_t total = all["total"].get<std::size_t>();
  ASSERT_GT(total, 2u) << "the quick candidates trade within four days";
  EXPECT_EQ(all["trades"].size(), total);
  EXPECT_GT(all["trades"][0]["sequence"].get<int64_t>(),
            all["trades"][1]["sequence"].get<int64_t>());
  const json page2 = session.get("/trades?page=2&page_size=1").json();
  EXPECT_EQ(page2["trades"][0]["sequence"], all["trades"][1]["sequence"]);
  const std::string strategy = all["trades"][0]["strategy_id"];
  const json by_strategy = session.get("/trades?page_size=1000&strategy=" + strategy).json();
  for (const json& t : by_strategy["trades"]) EXPECT_EQ(t["strategy_id"], strategy);
  EXPECT_EQ(session.get("/trades?asset=perp").json()["total"], 0);
  const int64_t exit0 = all["trades"][0]["exit_time"];
  EXPECT_EQ(session.get(fmt::format("/trades?from={}", exit0)).json()["trades"][0]["exit_time"],
            exit0);
  EXPECT_EQ(session.get("/trades?page_size=0").status, 400);
  EXPECT_EQ(session.get("/trades?page=x").error(), "bad_request");
  EXPECT_EQ(session.get("/trades?asset=moon").status, 400);

  // Prices and quantities at the instrument's precision, in the trades and the quotes.
  expect_instrument_precision(all["trades"]);
  const json quotes = session.get("/quotes").json();
  ASSERT_FALSE(quotes.empty());
  for (const json& q : quotes) {
    const auto grid = replayed_grids().find(q["symbol"].get<std::string>());
    ASSERT_NE(grid, replayed_grids().end()) << q.dump();
    EXPECT_EQ(q["price_decimals"], grid->second.first) << q.dump();
    EXPECT_EQ(q["quantity_decimals"], grid->second.second) << q.dump();
    EXPECT_EQ(places(q["price"]), grid->second.first) << q.dump();
  }

  // Equity: a paper series per asset and a total, the same length.
  const json equity = session.get("/equity?mode=paper").json();
  EXPECT_EQ(equity["mode"], "paper");
  ASSERT_GT(equity["series"]["total"].size(), 1u);
  EXPECT_EQ(equity["series"]["spot"].size(), equity["series"]["total"].size());
  EXPECT_TRUE(session.get("/equity?mode=live").json()["series"]["total"].empty());
  EXPECT_EQ(session.get("/equity?mode=moon").status, 400);

  // Epochs: no top-up in four days, so one epoch from the session's start holding every trade;
  // its trades, wins, P&L and fees are the sums of the trades above, its ending equity the last
  // point of the total series, its peak and low the extremes of that series.
  const json epochs = session.get("/epochs").json()["epochs"];
  ASSERT_EQ(epochs.size(), 1u) << epochs.dump();
  const json& epoch = epochs[0];
  EXPECT_EQ(epoch["number"], 0);
  EXPECT_EQ(epoch["reason"], "session start");
  EXPECT_TRUE(epoch["ended_at"].is_null());
  EXPECT_EQ(epoch["starting_equity"], "1000");
  EXPECT_EQ(epoch["trades"].get<std::size_t>(), total);
  Decimal pnl;
  Decimal fees;
  int64_t wins = 0;
  for (const json& t : all["trades"]) {
    const Decimal trade_pnl = Decimal::parse(t["realized_pnl"].get<std::string>());
    pnl += trade_pnl;
    fees += Decimal::parse(t["fees"].get<std::string>());
    wins += trade_pnl.is_positive() ? 1 : 0;
  }
  EXPECT_EQ(Decimal::parse(epoch["realized_pnl"].get<std::string>()), pnl);
  EXPECT_EQ(Decimal::parse(epoch["fees"].get<std::string>()), fees);
  EXPECT_EQ(epoch["wins"], wins);
  const json& curve = equity["series"]["total"];
  Decimal peak = Decimal::parse("1000");
  Decimal low = peak;
  for (const json& point : curve) {
    const Decimal value = Decimal::parse(point["value"].get<std::string>());
    peak = std::max(peak, value);
    low = std::min(low, value);
  }
  EXPECT_EQ(epoch["ending_equity"], curve.back()["value"]);
  EXPECT_EQ(Decimal::parse(epoch["peak_equity"].get<std::string>()), peak);
  EXPECT_EQ(Decimal::parse(epoch["lowest_equity"].get<std::string>()), low);

  // Strategies: the two candidates, one with its history; unknown ids are 404.
  const json strategies = session.get("/strategies").json();
  ASSERT_EQ(strategies.size(), 2u);
  const std::string id = strategies[0]["id"];
  const json detail = session.get("/strategy/" + id).json();
  EXPECT_EQ(detail["id"], id);
  ASSERT_FALSE(detail["history"].empty());
  EXPECT_EQ(detail["history"][0]["kind"], "created");
  EXPECT_EQ(session.get("/strategy/nope").status, 404);

  // Validation: 404 until a report exists, then the report and its HTML.
  EXPECT_EQ(session.get("/validation/" + id).status, 404);
  fs::create_directories(reports / id);
  std::ofstream(reports / id / "report.json") << R"({"decision": {"pass": false}})";
  std::ofstream(reports / id / "report.html") << "<html>report</html>";
  const Reply report = session.get("/validation/" + id);
  ASSERT_EQ(report.status, 200) << report.body;
  EXPECT_EQ(report.json()["report"]["decision"]["pass"], false);
  const Reply html = session.get("/validation/" + id + "/report.html");
  EXPECT_EQ(html.status, 200);
  EXPECT_NE(html.header("content-type").find("text/html"), std::string::npos);

  // Actions on a finished session are refused with the reason.
  const Reply kill = session.call("POST", "/kill/spot");
  EXPECT_EQ(kill.status, 409);
  EXPECT_NE(kill.json()["message"].get<std::string>().find("not_running"), std::string::npos);

  // Authentication: every read and action without the token is 401; the document is public.
  EXPECT_EQ(request(session.port(), "GET", "/status").status, 401);
  EXPECT_EQ(request(session.port(), "GET", "/trades").status, 401);
  EXPECT_EQ(request(session.port(), "POST", "/kill").status, 401);
  EXPECT_EQ(request(session.port(), "GET", "/openapi.json").status, 200);
  EXPECT_EQ(session.get("/assets/nope").status, 404);
}

// Thousands of malformed, hostile or nonsensical calls on the real routes of a session (with
// the token, so they reach the handlers): every answer is a 2xx or a 4xx with the error shape,
// never a 5xx, and the server still answers afterwards (ASan watches for leaks and overflows).
TEST_F(ApiServerTest, HostileCallsOnTheRealRoutesGetA4xxNeverA5xx) {
  Session session(window("fuzz", 2), dir_->path() / "state-fuzz", std::nullopt,
                  dir_->path() / "reports-fuzz");
  session.wait_status([](const json& s) { return !s["running"].get<bool>(); });
  testing::Lcg random(20261122);
  const auto pick = [&](const std::vector<std::string>& options) {
    return options[random.next() % options.size()];
  };
  const std::vector<std::string> methods = {"GET", "POST", "DELETE", "PUT", "PATCH", "HEAD"};
  const std::vector<std::string> routes = {"/status",
                                           "/assets",
                                           "/positions",
                                           "/orders",
                                           "/quotes",
                                           "/strategies",
                                           "/trades",
                                           "/equity",
                                           "/strategy/{x}",
                                           "/validation/{x}",
                                           "/validation/{x}/report.html",
                                           "/live/{x}/enable",
                                           "/live/{x}/disable",
                                           "/kill/{x}",
                                           "/kill",
                                           "/resume/{x}",
                                           "/strategy/{x}/flag/{x}",
                                           "/alloc/{x}/add/100",
                                           "/alloc/{x}/remove/100",
                                           "/alloc/{x}/add/{x}",
                                           "/{x}",
                                           "/{x}/{x}/{x}",
                                           "/openapi.json",
                                           "/session",
                                           "/login"};
  const std::vector<std::string> segments = {"spot",
                                             "perp",
                                             "moon",
                                             "",
                                             "%00",
                                             "%zz",
                                             "%2e%2e",
                                             "..",
                                             "%2F",
                                             "\xe2\x82\xac",
                                             std::string(300, 'a'),
                                             "-1",
                                             "0",
                                             "99999999999999999999",
                                             "ema_cross-0123456789",
                                             "a b",
                                             "%25%25",
                                             "null",
                                             "{x}",
                                             "%C0%AF"};
  const std::vector<std::string> queries = {"",
                                            "?page=0",
                                            "?page=-1",
                                            "?page=1e9",
                                            "?page_size=1001",
                                            "?page_size=abc",
                                            "?from=99999999999999999999",
                                            "?to=-5&from=10",
                                            "?asset=perp&strategy=%00",
                                            "?mode=live",
                                            "?mode=%ff",
                                            "?asset=spot&asset=moon",
                                            "?page=2&page_size=1&page=3",
                                            "?%zz=1",
                                            "?token=bad",
                                            "?page_size=" + std::string(50, '9')};
  int answered = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string path = pick(routes);
    for (std::size_t at = path.find("{x}"); at != std::string::npos; at = path.find("{x}"))
      path.replace(at, 3, pick(segments));
    const std::string method = pick(methods);
    std::string body;
    if (random.next() % 3 == 0)
      body = pick({"{", "[1,2", "{\"a\":", std::string(1000, 'x'), "null"});
    const Reply reply =
        request(session.port(), method, path + pick(queries), session.bearer(), body);
    if (reply.status == 0) continue;  // a request line the server refuses to parse: closed
    ++answered;
    ASSERT_LT(reply.status, 500) << method << " " << path << " -> " << reply.body;
    if (reply.status >= 400 && method != "HEAD") {
      EXPECT_FALSE(reply.error().empty()) << method << " " << path << " -> " << reply.body;
    }
  }
  EXPECT_GT(answered, 1500);
  EXPECT_EQ(session.get("/status").status, 200);
}

TEST_F(ApiServerTest, ARunningSessionTakesActionsThroughTheirOwners) {
  // An hour of market a wall second: the session runs while the actions are made.
  Session session(window("running", 3), dir_->path() / "state-running", 3600.0,
                  dir_->path() / "no-reports");
  session.wait_status([](const json& s) { return s["steps"].get<int64_t>() > 0; });
  ASSERT_TRUE(session.get("/status").json()["running"].get<bool>());

  // A WebSocket client (bearer) gets the status pushes.
  WsClient ws(session.port(), session.bearer());
  ASSERT_TRUE(ws.open()) << ws.handshake_status();
  const std::optional<std::string> pushed = ws.read(std::chrono::seconds(5));
  ASSERT_TRUE(pushed.has_value());
  EXPECT_TRUE(json::parse(*pushed).contains("type"));

  // The budget_manager moves one step; the panel shows it.
  const auto allocation = [&] {
    return std::stod(session.get("/assets").json()[0]["allocation"].get<std::string>());
  };
  const double before = allocation();
  const Reply refused = session.call("POST", "/alloc/spot/add/100");  // the pool starts empty
  EXPECT_EQ(refused.status, 409);
  EXPECT_NE(refused.json()["message"].get<std::string>().find("pool_exhausted"), std::string::npos);
  const Reply remove = session.call("POST", "/alloc/spot/remove/100");
  ASSERT_EQ(remove.status, 200) << remove.body;
  EXPECT_TRUE(remove.json()["ok"].get<bool>());
  session.wait_status([&](const json&) { return allocation() == before - 100; });
  EXPECT_DOUBLE_EQ(allocation(), before - 100);
  // Moving $100 out is not a loss: a few steps later (each refreshes the account halts) spot is
  // halted neither by the daily loss cap nor by the drawdown halt, which 40 % of its bucket
  // would trip both (5 % and 15 %) if the risk ledger read the step as a loss.
  const int64_t steps = session.get("/status").json()["steps"];
  session.wait_status([&](const json& s) { return s["steps"].get<int64_t>() > steps + 2; });
  const std::string halts = session.get("/assets").json()[0]["halts"].dump();
  EXPECT_EQ(halts.find("daily_loss"), std::string::npos) << halts;
  EXPECT_EQ(halts.find("drawdown"), std::string::npos) << halts;
  ASSERT_EQ(session.call("POST", "/alloc/spot/add/100").status, 200);
  EXPECT_EQ(session.call("POST", "/alloc/moon/add/100").status, 404);

  // The registry sets and clears a flag, with history.
  const std::string id = session.get("/strategies").json()[0]["id"];
  ASSERT_EQ(session.call("POST", "/strategy/" + id + "/flag/watch").status, 200);
  const json flagged = session.get("/strategy/" + id).json();
  EXPECT_NE(std::find(flagged["flags"].begin(), flagged["flags"].end(), "watch"),
            flagged["flags"].end());
  EXPECT_EQ(flagged["history"].back()["kind"], "flag_added");
  ASSERT_EQ(session.call("DELETE", "/strategy/" + id + "/flag/watch").status, 200);
  EXPECT_EQ(session.call("POST", "/strategy/" + id + "/flag/bad%20flag").status, 400);
  EXPECT_EQ(session.call("POST", "/strategy/nope/flag/watch").status, 404);
  EXPECT_EQ(session.call("DELETE", "/strategy/nope/flag/watch").status, 404);

  // The live toggle is refused with the core's first reason (a paper session).
  const Reply live = session.call("POST", "/live/spot/enable");
  EXPECT_EQ(live.status, 409);
  EXPECT_NE(live.json()["message"].get<std::string>().find("environment"), std::string::npos);
  EXPECT_EQ(session.call("POST", "/live/spot/disable").status, 200);

  // The sentiment hook's scores: a number per symbol in [-1, 1], else refused with why.
  const auto sentiment = [&](std::string_view body) {
    Headers headers = session.bearer();
    headers.emplace_back("Content-Type", "application/json");
    return request(session.port(), "PUT", "/universe/sentiment", headers, body);
  };
  EXPECT_EQ(sentiment(R"({"BTCUSDT": 0.5, "ETH/USDT": -1})").status, 200);
  const Reply out_of_range = sentiment(R"({"BTCUSDT": 1.5})");
  EXPECT_EQ(out_of_range.status, 409);
  EXPECT_NE(out_of_range.json()["message"].get<std::string>().find("bad_score"), std::string::npos);
  EXPECT_EQ(sentiment(R"({"BTCUSDT": "high"})").status, 400);
  EXPECT_EQ(sentiment("[1]").status, 400);

  // The kill switch halts the asset (and survives as a halt) until resumed.
  ASSERT_EQ(session.call("POST", "/kill/spot").status, 200);
  session.wait_status(
      [&](const json&) { return session.get("/assets").json()[0]["killed"].get<bool>(); });
  EXPECT_TRUE(session.get("/assets").json()[0]["killed"].get<bool>());
  ASSERT_EQ(session.call("POST", "/resume/spot").status, 200);
  session.wait_status(
      [&](const json&) { return !session.get("/assets").json()[0]["killed"].get<bool>(); });
  EXPECT_FALSE(session.get("/assets").json()[0]["killed"].get<bool>());

  // Cookies: login, reads with the cookie, actions need the CSRF header.
  const Reply login = request(session.port(), "GET",
                              "/login?token=" + std::string(session.bearer()[0].second.substr(7)));
  ASSERT_EQ(login.status, 303);
  std::string cookie, csrf;
  for (const std::string& set : login.all("set-cookie")) {
    const std::string pair = set.substr(0, set.find(';'));
    cookie += (cookie.empty() ? "" : "; ") + pair;
    if (pair.rfind("gauntlet_csrf=", 0) == 0) csrf = pair.substr(14);
  }
  EXPECT_EQ(request(session.port(), "GET", "/status", {{"Cookie", cookie}}).status, 200);
  EXPECT_EQ(request(session.port(), "POST", "/alloc/spot/remove/100", {{"Cookie", cookie}}).status,
            403);
  EXPECT_EQ(request(session.port(), "POST", "/alloc/spot/remove/100",
                    {{"Cookie", cookie}, {"X-CSRF-Token", csrf}})
                .status,
            200);
}

TEST_F(ApiServerTest, ServeShowsAStoredSessionReadOnly) {
  // A replay run to its end without the API, as `gauntlet run` would leave it.
  const fs::path state = dir_->path() / "state-stored";
  {
    config::Config config =
        load_config((testing::project_source_dir() / "config" / "default.yaml").string());
    runtime::RunOptions options;
    options.feed = runtime::FeedMode::kReplay;
    options.state_dir = state;
    options.data_root = window("stored", 4);
    options.search_space = testing::project_source_dir() / "config" / "ml_search.json";
    options.quiet = true;
    options.min_turnover = 0;
    options.universe_size = 3;
    options.candidates = {{"sma_cross", Asset::kSpot, R"({"fast":5,"slow":10})"}};
    options.lifecycle = false;
    runtime::AppRuntime runtime(std::move(config), std::move(options));
    runtime.run();
  }
  const auto stored_trades = [&] {
    return runtime::StoredSession(
               load_config((testing::project_source_dir() / "config" / "default.yaml").string()),
               state)
        .closed_trades(0)
        .size();
  };
  const std::size_t trades = stored_trades();
  ASSERT_GT(trades, 0u);

  // gauntlet serve: the stored session behind the same API, on its own thread.
  runtime::StoredSession session(
      load_config((testing::project_source_dir() / "config" / "default.yaml").string()), state);
  ApiServerOptions options;
  options.state_dir = state;
  ApiServer api(session, options);
  api.start();
  std::thread serving([&] { session.serve_until_stopped(std::chrono::milliseconds(100)); });
  const Headers bearer = {{"Authorization", "Bearer " + api.auth().token()}};
  const json status = request(api.port(), "GET", "/status", bearer).json();
  EXPECT_FALSE(status["running"].get<bool>());
  EXPECT_NE(status["feed_note"].get<std::string>().find("stored"), std::string::npos);
  EXPECT_NE(status["feed_note"].get<std::string>().find("REPLAY"), std::string::npos);
  EXPECT_EQ(status["closed_trades"].get<std::size_t>(), trades);
  EXPECT_GT(status["market_time"].get<int64_t>(), 0);
  EXPECT_EQ(request(api.port(), "GET", "/trades", bearer).json()["total"].get<std::size_t>(),
            trades);
  // The stored session has no venue: the precision comes from the session's own bars.
  expect_instrument_precision(
      request(api.port(), "GET", "/trades?page_size=1000", bearer).json()["trades"]);
  EXPECT_GT(request(api.port(), "GET", "/equity", bearer).json()["series"]["total"].size(), 1u);
  const json strategies = request(api.port(), "GET", "/strategies", bearer).json();
  ASSERT_EQ(strategies.size(), 1u);
  const std::string id = strategies[0]["id"];
  EXPECT_FALSE(request(api.port(), "GET", "/strategy/" + id, bearer).json()["history"].empty());
  EXPECT_EQ(request(api.port(), "GET", "/assets", bearer).json().size(), 4u);
  // Actions: the stored session never acts.
  const Reply kill = request(api.port(), "POST", "/kill/spot", bearer);
  EXPECT_EQ(kill.status, 409);
  EXPECT_NE(kill.json()["message"].get<std::string>().find("not_running"), std::string::npos);
  EXPECT_EQ(request(api.port(), "POST", "/strategy/" + id + "/flag/x", bearer).status, 409);
  EXPECT_EQ(request(api.port(), "GET", "/status").status, 401);
  session.request_stop();
  serving.join();
  api.stop();
  EXPECT_EQ(stored_trades(), trades) << "serving changed nothing";
}

}  // namespace
}  // namespace gauntlet::ui
