// HttpServer on 127.0.0.1 with dummy routes, through real sockets (tests/ui/test_client.hpp):
// routing, parameters and queries, 404/405, bearer and cookie authentication with CSRF and
// Origin checks, public_read, the token file across restarts, static files and traversal, the
// 413/431 limits, slow clients, the connection limit, handler exceptions, and the WebSocket:
// refused upgrades, broadcasts, coalescing, slow consumers.
#include "ui/http_server.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.hpp"
#include "ui/test_client.hpp"

namespace gauntlet::ui {
namespace {

using testing::ui::auth_options;

using namespace std::chrono_literals;
using testing::TempDir;
using testing::ui::Headers;
using testing::ui::RawClient;
using testing::ui::Reply;
using testing::ui::WsClient;

// Polls `condition` every 5 ms for at most `timeout`.
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// The value of cookie `name` among the Set-Cookie headers of `reply`.
std::string cookie_value(const Reply& reply, std::string_view name) {
  for (const std::string& value : reply.all("set-cookie")) {
    const std::string prefix = std::string(name) + "=";
    if (value.rfind(prefix, 0) == 0)
      return value.substr(prefix.size(), value.find(';') - prefix.size());
  }
  return {};
}

std::string set_cookie_line(const Reply& reply, std::string_view name) {
  for (const std::string& value : reply.all("set-cookie")) {
    if (value.rfind(std::string(name) + "=", 0) == 0) return value;
  }
  return {};
}

// A server with dummy routes over a temporary state directory and static root.
class HttpServerLoopback : public ::testing::Test {
 protected:
  HttpServerLoopback() {
    dir_.write("www/index.html", "<!doctype html><title>gauntlet</title>");
    dir_.write("www/app.js", "console.log('ui')");
    dir_.write("www/style.css", "body{}");
    dir_.write("www/data.json", "{\"a\":1}");
    dir_.write("www/logo.svg", "<svg/>");
    dir_.write("www/logo.png", std::string("\x89PNG\r\n\x1a\n", 8));
    dir_.write("www/app.js.map", "{}");
    dir_.write("secret.txt", "outside the root");
  }

  ~HttpServerLoopback() override { stop(); }

  void start(HttpServerOptions options = {}, bool public_read = false) {
    auth_ = std::make_unique<ApiAuth>(auth_options(dir_.path() / "state", public_read));
    router_ = std::make_unique<Router>();
    add_dummy_routes(*router_);
    auth_->add_routes(*router_);
    if (options.static_root.empty()) options.static_root = dir_.path() / "www";
    server_ = std::make_unique<HttpServer>(options, *router_, *auth_);
    server_->start();
  }

  void stop() {
    if (server_) server_->stop();
    server_.reset();
  }

  static void add_dummy_routes(Router& router) {
    router.add(
        "GET", "/echo/{first}/{second}",
        [](const HttpRequest& request) {
          return json_response({{"method", request.method},
                                {"path", request.path},
                                {"params", request.params},
                                {"query", request.query},
                                {"auth", to_string(request.auth)}});
        },
        Access::kRead);
    router.add(
        "GET", "/status",
        [](const HttpRequest&) {
          return json_response({{"running", true}});
        },
        Access::kRead);
    router.add(
        "POST", "/kill/{asset}",
        [](const HttpRequest& request) {
          return json_response(
              {{"ok", true}, {"reason", ""}, {"asset", request.params.at("asset")}});
        },
        Access::kAction);
    router.add(
        "DELETE", "/kill/{asset}",
        [](const HttpRequest&) {
          return json_response({{"ok", true}, {"reason", ""}});
        },
        Access::kAction);
    router.add(
        "POST", "/json",
        [](const HttpRequest& request) {
          const nlohmann::json body = parse_json_body(request);
          return json_response({{"received", body}});
        },
        Access::kAction);
    router.add(
        "GET", "/throw",
        [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("boom"); },
        Access::kPublic);
    router.add(
        "GET", "/asset/{name}",
        [](const HttpRequest& request) -> HttpResponse {
          throw HttpError(404, "not_found", "unknown asset: " + request.params.at("name"));
        },
        Access::kPublic);
    router.add(
        "GET", "/public",
        [](const HttpRequest&) {
          return json_response({{"public", true}});
        },
        Access::kPublic);
  }

  Headers bearer() const { return {{"Authorization", "Bearer " + auth_->token()}}; }
  std::string origin() const { return "http://127.0.0.1:" + std::to_string(port()); }
  unsigned short port() const { return server_->port(); }

  Reply get(std::string_view target, const Headers& headers = {}) const {
    return testing::ui::request(port(), "GET", target, headers);
  }
  Reply post(std::string_view target, const Headers& headers = {},
             std::string_view body = {}) const {
    return testing::ui::request(port(), "POST", target, headers, body);
  }

  // Logs in and returns {session, csrf}.
  std::pair<std::string, std::string> login() const {
    const Reply reply = get("/login?token=" + auth_->token());
    EXPECT_EQ(reply.status, 303);
    return {cookie_value(reply, "gauntlet_session"), cookie_value(reply, "gauntlet_csrf")};
  }

  bool connections_drain() const {
    return eventually([&] { return server_->counters().open_connections == 0; });
  }

  TempDir dir_;
  std::unique_ptr<ApiAuth> auth_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerLoopback, RoutesWithParamsAndQuery) {
  start();
  const Reply reply = get("/echo/a%20b/c%2Fd?x=1&y=two+words&z=%E2%82%AC&flag", bearer());
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.header("content-type"), "application/json");
  EXPECT_EQ(reply.header("cache-control"), "no-store");
  EXPECT_EQ(reply.header("x-content-type-options"), "nosniff");
  const nlohmann::json body = reply.json();
  EXPECT_EQ(body["method"], "GET");
  EXPECT_EQ(body["path"], "/echo/a%20b/c%2Fd");
  EXPECT_EQ(body["params"], (nlohmann::json{{"first", "a b"}, {"second", "c/d"}}));
  EXPECT_EQ(body["query"],
            (nlohmann::json{{"x", "1"}, {"y", "two words"}, {"z", "\xE2\x82\xAC"}, {"flag", ""}}));
  EXPECT_EQ(body["auth"], "bearer");
}

TEST_F(HttpServerLoopback, UnknownPathIs404AndWrongMethodIs405) {
  start();
  const Reply unknown = get("/api/nothing", bearer());
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.error(), "not_found");
  EXPECT_EQ(unknown.header("content-type"), "application/json");

  const Reply wrong = get("/kill/spot", bearer());
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.error(), "method_not_allowed");
  EXPECT_EQ(wrong.header("allow"), "DELETE, POST");

  const Reply bad = get("/echo/%zz/x", bearer());
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.error(), "bad_request");
  const Reply bad_query = get("/echo/a/b?x=%g1", bearer());
  EXPECT_EQ(bad_query.status, 400);
  EXPECT_EQ(bad_query.error(), "bad_request");
}

TEST_F(HttpServerLoopback, BearerAuthentication) {
  start();
  const Reply anonymous = get("/status");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.error(), "unauthorized");
  EXPECT_EQ(anonymous.header("www-authenticate"), "Bearer");
  EXPECT_EQ(get("/status", {{"Authorization", "Bearer 0000"}}).status, 401);
  EXPECT_EQ(get("/status", bearer()).status, 200);
  // Bearer actions need no CSRF token, whatever the Origin.
  Headers headers = bearer();
  headers.emplace_back("Origin", "http://evil.example");
  EXPECT_EQ(post("/kill/spot", headers).status, 200);
  EXPECT_EQ(post("/kill/spot").status, 401);
  // Public routes need nothing.
  EXPECT_EQ(get("/public").status, 200);
  const nlohmann::json session = get("/session", bearer()).json();
  EXPECT_EQ(session, (nlohmann::json{
                         {"authenticated", true}, {"method", "bearer"}, {"public_read", false}}));
}

TEST_F(HttpServerLoopback, LoginSetsCookiesAndCookieCallsNeedCsrf) {
  start();
  EXPECT_EQ(get("/login?token=wrong").status, 401);
  EXPECT_EQ(get("/login").status, 401);

  const Reply login = get("/login?token=" + auth_->token());
  ASSERT_EQ(login.status, 303);
  EXPECT_EQ(login.header("location"), "/");
  const std::string session_line = set_cookie_line(login, "gauntlet_session");
  const std::string csrf_line = set_cookie_line(login, "gauntlet_csrf");
  EXPECT_NE(session_line.find("HttpOnly"), std::string::npos) << session_line;
  EXPECT_NE(session_line.find("SameSite=Strict"), std::string::npos) << session_line;
  EXPECT_NE(session_line.find("Path=/"), std::string::npos) << session_line;
  EXPECT_EQ(csrf_line.find("HttpOnly"), std::string::npos) << csrf_line;
  EXPECT_NE(csrf_line.find("SameSite=Strict"), std::string::npos) << csrf_line;
  const std::string session = cookie_value(login, "gauntlet_session");
  const std::string csrf = cookie_value(login, "gauntlet_csrf");
  ASSERT_EQ(session.size(), 64u);
  ASSERT_EQ(csrf.size(), 64u);

  const std::string cookies = "gauntlet_session=" + session + "; gauntlet_csrf=" + csrf;
  // Reads work with the cookie alone.
  EXPECT_EQ(get("/status", {{"Cookie", cookies}}).status, 200);
  EXPECT_EQ(get("/session", {{"Cookie", cookies}}).json()["method"], "cookie");

  // Changes need the CSRF header.
  const Reply without = post("/kill/spot", {{"Cookie", cookies}});
  EXPECT_EQ(without.status, 403);
  EXPECT_EQ(without.error(), "csrf");
  EXPECT_EQ(post("/kill/spot", {{"Cookie", cookies}, {"X-CSRF-Token", "nope"}}).status, 403);
  const Reply with = post("/kill/spot", {{"Cookie", cookies}, {"X-CSRF-Token", csrf}});
  EXPECT_EQ(with.status, 200) << with.body;
  EXPECT_EQ(with.json()["asset"], "spot");
  EXPECT_EQ(testing::ui::request(port(), "DELETE", "/kill/spot",
                                 {{"Cookie", cookies}, {"X-CSRF-Token", csrf}})
                .status,
            200);
  EXPECT_EQ(testing::ui::request(port(), "DELETE", "/kill/spot", {{"Cookie", cookies}}).status,
            403);

  // And, when an Origin comes, it must be the server's own.
  EXPECT_EQ(post("/kill/spot", {{"Cookie", cookies}, {"X-CSRF-Token", csrf}, {"Origin", origin()}})
                .status,
            200);
  const Reply foreign =
      post("/kill/spot",
           {{"Cookie", cookies}, {"X-CSRF-Token", csrf}, {"Origin", "http://evil.example:1234"}});
  EXPECT_EQ(foreign.status, 403);
  EXPECT_EQ(foreign.error(), "csrf");

  // An unknown session is no session.
  EXPECT_EQ(get("/status", {{"Cookie", "gauntlet_session=" + csrf}}).status, 401);
}

TEST_F(HttpServerLoopback, PublicReadOpensReadsNotActions) {
  start({}, true);
  EXPECT_EQ(get("/status").status, 200);
  EXPECT_EQ(get("/echo/a/b").json()["auth"], "none");
  EXPECT_EQ(post("/kill/spot").status, 401);
  EXPECT_EQ(get("/session").json(),
            (nlohmann::json{{"authenticated", false}, {"method", "none"}, {"public_read", true}}));
}

TEST_F(HttpServerLoopback, TokenFileIsCreated0600AndReusedAcrossRestarts) {
  start();
  const std::filesystem::path file = dir_.path() / "state" / "api_token";
  struct stat status {};
  ASSERT_EQ(::stat(file.c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777, 0600u);
  const std::string token = auth_->token();
  stop();

  start();
  EXPECT_EQ(auth_->token(), token);
  EXPECT_EQ(get("/status", {{"Authorization", "Bearer " + token}}).status, 200);
  EXPECT_EQ(get("/login?token=" + token).status, 303);
}

TEST_F(HttpServerLoopback, ServesStaticFilesAndRefusesTraversal) {
  start();
  const Reply index = get("/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(index.body, "<!doctype html><title>gauntlet</title>");
  EXPECT_EQ(index.header("x-frame-options"), "DENY");

  const std::vector<std::pair<std::string, std::string>> files = {
      {"/app.js", "text/javascript; charset=utf-8"},
      {"/style.css", "text/css; charset=utf-8"},
      {"/data.json", "application/json"},
      {"/logo.svg", "image/svg+xml"},
      {"/logo.png", "image/png"},
      {"/app.js.map", "application/json"}};
  for (const auto& [path, type] : files) {
    const Reply reply = get(path);
    EXPECT_EQ(reply.status, 200) << path;
    EXPECT_EQ(reply.header("content-type"), type) << path;
  }
  EXPECT_EQ(get("/logo.png").body.size(), 8u);

  for (const char* path : {"/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt",
                           "//etc/passwd", "/%2Fetc%2Fpasswd", "/..", "/missing.js",
                           "/state/api_token", "/../state/api_token", "/app.js%00"}) {
    const Reply reply = get(path);
    EXPECT_EQ(reply.status, 404) << path;
    EXPECT_EQ(reply.body.find("outside the root"), std::string::npos) << path;
  }
  // Only GET serves files.
  EXPECT_EQ(post("/app.js").status, 404);
}

TEST_F(HttpServerLoopback, OversizedBodyIs413) {
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  start(options);
  Headers headers = bearer();
  headers.emplace_back("Content-Type", "application/json");
  const Reply small = post("/json", headers, "{\"a\":1}");
  EXPECT_EQ(small.status, 200) << small.body;
  EXPECT_EQ(small.json()["received"]["a"], 1);

  const Reply large = post("/json", headers, "\"" + std::string(4096, 'x') + "\"");
  EXPECT_EQ(large.status, 413);
  EXPECT_EQ(large.error(), "body_too_large");

  // A Content-Length announcing too much is refused before the body is read.
  RawClient client(port());
  ASSERT_TRUE(client.write("POST /json HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n"));
  const std::optional<Reply> refused = client.read_reply();
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 413);
  EXPECT_TRUE(client.wait_closed(2s));
}

TEST_F(HttpServerLoopback, DefaultBodyLimitIs64KiB) {
  start();
  const Reply large = post("/json", bearer(), std::string(65u << 10, ' '));
  EXPECT_EQ(large.status, 413);
  const Reply fits = post("/json", bearer(), std::string(60u << 10, ' ') + "1");
  EXPECT_EQ(fits.status, 200);
}

TEST_F(HttpServerLoopback, OversizedHeadersAre431) {
  start();
  Headers headers = bearer();
  headers.emplace_back("X-Big", std::string(10u << 10, 'h'));
  const Reply reply = get("/status", headers);
  EXPECT_EQ(reply.status, 431);
  EXPECT_EQ(reply.error(), "headers_too_large");

  Headers many = bearer();
  for (int i = 0; i < 1000; ++i) many.emplace_back("X-H" + std::to_string(i), "v");
  EXPECT_EQ(get("/status", many).status, 431);
  EXPECT_EQ(get("/status", bearer()).status, 200);
  EXPECT_GE(server_->counters().client_errors, 2u);
}

TEST_F(HttpServerLoopback, BadJsonBodyIs400) {
  start();
  const Reply reply = post("/json", bearer(), "{\"a\": [1, 2");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.error(), "bad_request");
}

TEST_F(HttpServerLoopback, SlowClientIsClosedAfterTheReadTimeout) {
  HttpServerOptions options;
  options.read_timeout = 300ms;
  start(options);
  RawClient slow(port());
  ASSERT_TRUE(slow.connected());
  const auto started = std::chrono::steady_clock::now();
  // A byte every 50 ms: the connection stays active, the request never completes.
  const std::string request = "GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
  bool closed = false;
  for (std::size_t i = 0; i < 200 && !closed; ++i) {
    slow.write(std::string_view(&request[i % request.size()], 1));
    closed = slow.wait_closed(50ms);
  }
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(closed);
  EXPECT_GE(elapsed, 250ms);
  EXPECT_LT(elapsed, 3s);
  // The socket closes before the server's handler counts the timeout.
  EXPECT_TRUE(eventually([&] { return server_->counters().connections_timed_out == 1; }));

  // An idle keep-alive connection goes the same way, silently.
  RawClient idle(port());
  ASSERT_TRUE(idle.send("GET", "/public"));
  ASSERT_TRUE(idle.read_reply().has_value());
  EXPECT_TRUE(idle.wait_closed(2s));
  EXPECT_TRUE(connections_drain());
}

TEST_F(HttpServerLoopback, KeepAliveServesSeveralRequestsOnOneConnection) {
  start();
  RawClient client(port());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client.send("GET", "/status", bearer()));
    const std::optional<Reply> reply = client.read_reply();
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(reply->status, 200);
  }
  // Pipelined requests are answered in order.
  ASSERT_TRUE(client.write(
      "GET /public HTTP/1.1\r\nHost: x\r\n\r\nGET /nothing HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(client.read_reply()->status, 200);
  EXPECT_EQ(client.read_reply()->status, 404);
  // Connection: close is honoured.
  ASSERT_TRUE(client.send("GET", "/public", {{"Connection", "close"}}));
  const std::optional<Reply> last = client.read_reply();
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->header("connection"), "close");
  EXPECT_TRUE(client.wait_closed(2s));
}

TEST_F(HttpServerLoopback, ExcessConnectionsAreClosed) {
  HttpServerOptions options;
  options.max_connections = 2;
  start(options);
  auto first = std::make_unique<RawClient>(port());
  RawClient second(port());
  for (RawClient* client : {first.get(), &second}) {
    ASSERT_TRUE(client->send("GET", "/public"));
    ASSERT_EQ(client->read_reply()->status, 200);
  }
  RawClient third(port());
  EXPECT_TRUE(third.wait_closed(2s));
  EXPECT_EQ(server_->counters().connections_refused, 1u);

  first.reset();
  ASSERT_TRUE(eventually([&] { return server_->counters().open_connections == 1; }));
  EXPECT_EQ(get("/public").status, 200);
  ASSERT_TRUE(second.send("GET", "/public"));
  EXPECT_EQ(second.read_reply()->status, 200);
}

TEST_F(HttpServerLoopback, HandlerExceptionIs500AndTheServerGoesOn) {
  start();
  RawClient client(port());
  ASSERT_TRUE(client.send("GET", "/throw"));
  const std::optional<Reply> thrown = client.read_reply();
  ASSERT_TRUE(thrown.has_value());
  EXPECT_EQ(thrown->status, 500);
  EXPECT_EQ(thrown->error(), "internal_error");
  EXPECT_EQ(thrown->body.find("boom"), std::string::npos);
  // The same connection still serves.
  ASSERT_TRUE(client.send("GET", "/asset/foo"));
  const std::optional<Reply> typed = client.read_reply();
  ASSERT_TRUE(typed.has_value());
  EXPECT_EQ(typed->status, 404);
  EXPECT_EQ(typed->json(),
            (nlohmann::json{{"error", "not_found"}, {"message", "unknown asset: foo"}}));
  EXPECT_EQ(get("/public").status, 200);

  const HttpServerCounters counters = server_->counters();
  EXPECT_EQ(counters.server_errors, 1u);
  EXPECT_EQ(counters.client_errors, 1u);
  EXPECT_EQ(counters.requests, 3u);
}

TEST_F(HttpServerLoopback, StopClosesEveryConnection) {
  start();
  RawClient idle(port());
  ASSERT_TRUE(idle.send("GET", "/public"));
  ASSERT_TRUE(idle.read_reply().has_value());
  WsClient ws(port(), bearer());
  ASSERT_EQ(ws.handshake_status(), 101);
  ASSERT_TRUE(eventually([&] { return server_->counters().ws_clients == 1; }));
  const unsigned short old_port = port();
  stop();
  EXPECT_TRUE(idle.wait_closed(2s));
  EXPECT_TRUE(ws.wait_closed(2s));
  EXPECT_FALSE(RawClient(old_port, 500ms).connected());
}

// --- WebSocket ---

TEST_F(HttpServerLoopback, WebSocketRefusesUnauthenticatedAndForeignOrigins) {
  start();
  WsClient anonymous(port());
  EXPECT_EQ(anonymous.handshake_status(), 401);
  EXPECT_FALSE(anonymous.open());

  Headers foreign = bearer();
  foreign.emplace_back("Origin", "http://evil.example");
  WsClient hijack(port(), foreign);
  EXPECT_EQ(hijack.handshake_status(), 403);

  Headers wrong = {{"Authorization", "Bearer nope"}};
  EXPECT_EQ(WsClient(port(), wrong).handshake_status(), 401);

  const auto [session, csrf] = login();
  WsClient with_cookie(port(), {{"Cookie", "gauntlet_session=" + session}, {"Origin", origin()}});
  EXPECT_EQ(with_cookie.handshake_status(), 101);
  EXPECT_TRUE(with_cookie.open());

  WsClient with_bearer(port(), bearer());
  EXPECT_EQ(with_bearer.handshake_status(), 101);

  // Not an upgrade.
  EXPECT_EQ(get("/ws", bearer()).status, 400);
}

TEST_F(HttpServerLoopback, WebSocketOpenWithPublicRead) {
  start({}, true);
  WsClient client(port(), {{"Origin", origin()}});
  EXPECT_EQ(client.handshake_status(), 101);
}

TEST_F(HttpServerLoopback, BroadcastReachesEveryClient) {
  start();
  WsClient first(port(), bearer());
  WsClient second(port(), bearer());
  ASSERT_EQ(first.handshake_status(), 101);
  ASSERT_EQ(second.handshake_status(), 101);
  ASSERT_TRUE(eventually([&] { return server_->counters().ws_clients == 2; }));

  const std::string status = R"({"type":"status","data":{"running":true}})";
  const std::string trade = R"({"type":"trade","data":{"sequence":1}})";
  server_->broadcast("status", status);
  server_->broadcast("trade.1", trade);
  for (WsClient* client : {&first, &second}) {
    EXPECT_EQ(client->read(2s), status);
    EXPECT_EQ(client->read(2s), trade);
  }
  // Frames from clients are ignored; the server keeps pushing.
  EXPECT_TRUE(eventually([&] { return server_->counters().ws_messages_sent >= 4; }));
}

TEST_F(HttpServerLoopback, BroadcastIsCoalescedPerTopicLatestWins) {
  start();
  WsClient client(port(), bearer());
  ASSERT_EQ(client.handshake_status(), 101);
  ASSERT_TRUE(eventually([&] { return server_->counters().ws_clients == 1; }));

  for (int i = 0; i < 100; ++i) {
    server_->broadcast("quotes", nlohmann::json{{"type", "quotes"}, {"seq", i}}.dump());
  }
  server_->broadcast("status", R"({"type":"status","seq":0})");
  std::vector<std::string> frames = client.read_for(1500ms);
  std::vector<int> quotes;
  int statuses = 0;
  for (const std::string& frame : frames) {
    const nlohmann::json value = nlohmann::json::parse(frame);
    if (value["type"] == "quotes") quotes.push_back(value["seq"].get<int>());
    if (value["type"] == "status") ++statuses;
  }
  EXPECT_EQ(statuses, 1);  // another topic is not held back by the burst
  ASSERT_FALSE(quotes.empty());
  EXPECT_LE(quotes.size(), 3u);
  EXPECT_EQ(quotes.back(), 99);  // the latest state always arrives

  // The next burst waits for the interval again and still ends on its latest message.
  for (int i = 100; i < 150; ++i) {
    server_->broadcast("quotes", nlohmann::json{{"type", "quotes"}, {"seq", i}}.dump());
  }
  frames = client.read_for(1200ms);
  ASSERT_FALSE(frames.empty());
  EXPECT_LE(frames.size(), 3u);
  EXPECT_EQ(nlohmann::json::parse(frames.back())["seq"], 149);
}

TEST_F(HttpServerLoopback, SlowConsumerIsDroppedWithoutBlockingOthers) {
  start();
  WsClient good(port(), bearer());
  WsClient slow(port(), bearer());  // never reads until the end
  ASSERT_EQ(good.handshake_status(), 101);
  ASSERT_EQ(slow.handshake_status(), 101);
  ASSERT_TRUE(eventually([&] { return server_->counters().ws_clients == 2; }));

  // Distinct topics escape coalescing; large frames fill the slow client's socket buffers and
  // then its queue. The good client reads every batch before the next one comes.
  const std::string payload(256u << 10, 'x');
  int topic = 0;
  for (int batch = 0; batch < 60 && server_->counters().ws_clients_dropped == 0; ++batch) {
    for (int i = 0; i < 16; ++i, ++topic) {
      server_->broadcast("trade." + std::to_string(topic),
                         nlohmann::json{{"seq", topic}, {"pad", payload}}.dump());
    }
    for (int i = 0; i < 16; ++i) {
      const std::optional<std::string> frame = good.read(5s);
      ASSERT_TRUE(frame.has_value()) << "batch " << batch;
    }
  }
  ASSERT_TRUE(eventually([&] { return server_->counters().ws_clients_dropped == 1; }));
  EXPECT_TRUE(eventually([&] { return server_->counters().ws_clients == 1; }));
  EXPECT_TRUE(slow.wait_closed(5s));

  server_->broadcast("status", R"({"type":"status"})");
  EXPECT_EQ(good.read(2s), R"({"type":"status"})");
  EXPECT_TRUE(good.open());
}

TEST_F(HttpServerLoopback, CountersCountRequestsAndErrors) {
  start();
  EXPECT_EQ(get("/public").status, 200);
  EXPECT_EQ(get("/status").status, 401);
  EXPECT_EQ(get("/throw").status, 500);
  const HttpServerCounters counters = server_->counters();
  EXPECT_EQ(counters.requests, 3u);
  EXPECT_EQ(counters.client_errors, 1u);
  EXPECT_EQ(counters.server_errors, 1u);
  EXPECT_EQ(counters.connections_accepted, 3u);
  EXPECT_TRUE(connections_drain());
}

TEST(HttpServer, RoutesListTheRegisteredTable) {
  TempDir dir;
  ApiAuth auth(auth_options(dir.path()));
  Router router;
  auth.add_routes(router);
  router.add(
      "GET", "/status", [](const HttpRequest&) { return json_response({}); }, Access::kRead);
  std::vector<std::string> listed;
  for (const RouteInfo& route : router.routes()) {
    listed.push_back(route.method + " " + route.pattern + " " +
                     std::string(to_string(route.access)));
  }
  EXPECT_EQ(listed, (std::vector<std::string>{"GET /login public", "GET /session public",
                                              "GET /status read"}));
}

TEST(HttpServer, ReportsWhenItCannotListen) {
  TempDir dir;
  ApiAuth auth(auth_options(dir.path()));
  Router router;
  HttpServer first({}, router, auth);
  first.start();
  HttpServerOptions taken;
  taken.port = first.port();
  HttpServer second(taken, router, auth);
  EXPECT_THROW(second.start(), GauntletError);
  HttpServerOptions bad;
  bad.bind_address = "not an address";
  HttpServer third(bad, router, auth);
  EXPECT_THROW(third.start(), GauntletError);
  EXPECT_THROW(first.start(), GauntletError);  // twice
  EXPECT_EQ(first.url(), "http://127.0.0.1:" + std::to_string(first.port()));
}

}  // namespace
}  // namespace gauntlet::ui
