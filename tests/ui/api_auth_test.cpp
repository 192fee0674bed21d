// ApiAuth without sockets: the token file (created 0600, reused, permissions repaired, bad
// content replaced), bearer and cookie identification, the CSRF and Origin checks, public_read,
// the login's cookies and the bounded session table.
#include "ui/api_auth.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/temp_dir.hpp"
#include "ui/router.hpp"
#include "ui/test_client.hpp"

namespace gauntlet::ui {
namespace {

using testing::ui::auth_options;

using testing::TempDir;

unsigned mode_of(const std::filesystem::path& path) {
  struct stat status {};
  EXPECT_EQ(::stat(path.c_str(), &status), 0);
  return status.st_mode & 0777;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool is_hex64(const std::string& text) {
  return text.size() == 64 && text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// The cookie value set by a Set-Cookie header of `response` for `name`.
std::string set_cookie_value(const HttpResponse& response, std::string_view name) {
  for (const auto& [header, value] : response.headers) {
    if (header != "Set-Cookie") continue;
    const std::string prefix = std::string(name) + "=";
    if (value.rfind(prefix, 0) == 0)
      return value.substr(prefix.size(), value.find(';') - prefix.size());
  }
  return {};
}

HttpRequest login_request(const std::string& token) {
  HttpRequest request;
  request.method = "GET";
  request.path = "/login";
  request.query["token"] = token;
  return request;
}

TEST(ApiAuthToken, CreatedWith0600AndReusedAcrossInstances) {
  TempDir dir;
  const std::filesystem::path state = dir.path() / "state" / "nested";  // created on demand
  std::string first;
  {
    ApiAuth auth(auth_options(state));
    first = auth.token();
    EXPECT_TRUE(is_hex64(first)) << first;
    EXPECT_EQ(auth.token_path(), state / "api_token");
    EXPECT_EQ(read_text(auth.token_path()), first);
    EXPECT_EQ(mode_of(auth.token_path()), 0600u);
  }
  ApiAuth again(auth_options(state));
  EXPECT_EQ(again.token(), first);
  EXPECT_FALSE(std::filesystem::exists(state / "api_token.tmp"));

  TempDir other;
  EXPECT_NE(ApiAuth(auth_options(other.path())).token(), first);
}

TEST(ApiAuthToken, LoosePermissionsAreTightenedAndTheTokenKept) {
  TempDir dir;
  const std::string token(64, 'a');
  const std::filesystem::path file = dir.write("api_token", token + "\n");
  ASSERT_EQ(::chmod(file.c_str(), 0644), 0);
  ApiAuth auth(auth_options(dir.path()));
  EXPECT_EQ(auth.token(), token);
  EXPECT_EQ(mode_of(file), 0600u);
}

TEST(ApiAuthToken, ContentThatIsNoTokenIsReplaced) {
  for (const std::string& content :
       std::vector<std::string>{"", "short", std::string(64, 'G'), std::string(65, 'a')}) {
    TempDir dir;
    const std::filesystem::path file = dir.write("api_token", content);
    ApiAuth auth(auth_options(dir.path()));
    EXPECT_TRUE(is_hex64(auth.token())) << content;
    EXPECT_EQ(read_text(file), auth.token());
    EXPECT_EQ(mode_of(file), 0600u);
  }
}

TEST(ApiAuthToken, ADirectoryInItsPlaceIsAnError) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "api_token");
  EXPECT_THROW(ApiAuth(auth_options(dir.path())), StateError);
}

TEST(ApiAuth, IdentifiesBearerAndCookie) {
  TempDir dir;
  ApiAuth auth(auth_options(dir.path()));
  HttpRequest request;
  request.method = "GET";
  EXPECT_EQ(auth.identify(request), AuthMethod::kNone);

  request.headers["authorization"] = "Bearer " + auth.token();
  EXPECT_EQ(auth.identify(request), AuthMethod::kBearer);
  request.headers["authorization"] = "bearer   " + auth.token() + "  ";
  EXPECT_EQ(auth.identify(request), AuthMethod::kBearer);
  request.headers["authorization"] = "Bearer " + auth.token().substr(1) + "0";
  EXPECT_EQ(auth.identify(request), AuthMethod::kNone);
  request.headers["authorization"] = "Basic " + auth.token();
  EXPECT_EQ(auth.identify(request), AuthMethod::kNone);
  request.headers["authorization"] = "Bearer";
  EXPECT_EQ(auth.identify(request), AuthMethod::kNone);

  const HttpResponse login = auth.login(login_request(auth.token()));
  const std::string session = set_cookie_value(login, ApiAuth::kSessionCookie);
  request.headers.erase("authorization");
  request.headers["cookie"] = "gauntlet_session=" + session;
  EXPECT_EQ(auth.identify(request), AuthMethod::kCookie);
  request.headers["cookie"] = "gauntlet_session=" + session + "x";
  EXPECT_EQ(auth.identify(request), AuthMethod::kNone);
  // A wrong bearer token is not rescued by a valid cookie.
  request.headers["cookie"] = "gauntlet_session=" + session;
  request.headers["authorization"] = "Bearer wrong";
  EXPECT_EQ(auth.identify(request), AuthMethod::kNone);
}

TEST(ApiAuth, LoginSetsTheTwoCookies) {
  TempDir dir;
  ApiAuth auth(auth_options(dir.path()));
  const HttpResponse login = auth.login(login_request(auth.token()));
  EXPECT_EQ(login.status, 303);
  std::vector<std::string> cookies;
  std::string location;
  for (const auto& [name, value] : login.headers) {
    if (name == "Set-Cookie") cookies.push_back(value);
    if (name == "Location") location = value;
  }
  EXPECT_EQ(location, "/");
  ASSERT_EQ(cookies.size(), 2u);
  EXPECT_EQ(cookies[0].rfind("gauntlet_session=", 0), 0u);
  EXPECT_NE(cookies[0].find("; HttpOnly"), std::string::npos);
  EXPECT_NE(cookies[0].find("; SameSite=Strict"), std::string::npos);
  EXPECT_NE(cookies[0].find("; Path=/"), std::string::npos);
  EXPECT_EQ(cookies[1].rfind("gauntlet_csrf=", 0), 0u);
  EXPECT_EQ(cookies[1].find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookies[1].find("; SameSite=Strict"), std::string::npos);
  EXPECT_TRUE(is_hex64(set_cookie_value(login, ApiAuth::kSessionCookie)));
  EXPECT_TRUE(is_hex64(set_cookie_value(login, ApiAuth::kCsrfCookie)));
  EXPECT_NE(set_cookie_value(login, ApiAuth::kSessionCookie),
            set_cookie_value(login, ApiAuth::kCsrfCookie));

  EXPECT_EQ(auth.login(login_request("nope")).status, 401);
  HttpRequest no_token;
  EXPECT_EQ(auth.login(no_token).status, 401);
  EXPECT_EQ(auth.session_count(), 1u);
}

TEST(ApiAuth, SessionsAreBoundedOldestEvicted) {
  TempDir dir;
  ApiAuthOptions options = auth_options(dir.path());
  options.max_sessions = 3;
  ApiAuth auth(options);
  std::vector<std::string> sessions;
  sessions.reserve(5);
  for (int i = 0; i < 5; ++i) {
    sessions.push_back(
        set_cookie_value(auth.login(login_request(auth.token())), ApiAuth::kSessionCookie));
  }
  EXPECT_EQ(auth.session_count(), 3u);
  HttpRequest request;
  for (int i = 0; i < 5; ++i) {
    request.headers["cookie"] = "gauntlet_session=" + sessions[static_cast<std::size_t>(i)];
    EXPECT_EQ(auth.identify(request), i < 2 ? AuthMethod::kNone : AuthMethod::kCookie) << i;
  }
}

TEST(ApiAuth, AuthorizesByAccessCsrfAndOrigin) {
  TempDir dir;
  ApiAuthOptions options = auth_options(dir.path());
  options.extra_origins = {"https://proxy.example"};
  ApiAuth auth(options);
  const HttpResponse login = auth.login(login_request(auth.token()));
  const std::string session = set_cookie_value(login, ApiAuth::kSessionCookie);
  const std::string csrf = set_cookie_value(login, ApiAuth::kCsrfCookie);

  HttpRequest request;
  request.method = "GET";
  request.headers["host"] = "127.0.0.1:8080";
  EXPECT_FALSE(auth.authorize(request, Access::kPublic).has_value());
  std::optional<HttpResponse> refusal = auth.authorize(request, Access::kRead);
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->status, 401);
  EXPECT_EQ(nlohmann::json::parse(refusal->body)["error"], "unauthorized");

  request.headers["cookie"] = "gauntlet_session=" + session + "; gauntlet_csrf=" + csrf;
  request.auth = auth.identify(request);
  EXPECT_FALSE(auth.authorize(request, Access::kRead).has_value());

  request.method = "POST";
  refusal = auth.authorize(request, Access::kAction);
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->status, 403);
  EXPECT_EQ(nlohmann::json::parse(refusal->body)["error"], "csrf");

  request.headers["x-csrf-token"] = csrf;
  EXPECT_FALSE(auth.authorize(request, Access::kAction).has_value());
  request.headers["origin"] = "http://127.0.0.1:8080";
  EXPECT_FALSE(auth.authorize(request, Access::kAction).has_value());
  request.headers["origin"] = "https://proxy.example";
  EXPECT_FALSE(auth.authorize(request, Access::kAction).has_value());
  request.headers["origin"] = "http://evil.example";
  EXPECT_EQ(auth.authorize(request, Access::kAction)->status, 403);
  request.headers["origin"] = "null";
  EXPECT_EQ(auth.authorize(request, Access::kAction)->status, 403);
  request.headers.erase("origin");
  request.headers["x-csrf-token"] = csrf.substr(1) + "0";
  EXPECT_EQ(auth.authorize(request, Access::kAction)->status, 403);

  // Bearer calls need no CSRF token and no Origin check.
  HttpRequest bearer;
  bearer.method = "POST";
  bearer.headers["authorization"] = "Bearer " + auth.token();
  bearer.headers["origin"] = "http://evil.example";
  bearer.auth = auth.identify(bearer);
  EXPECT_FALSE(auth.authorize(bearer, Access::kAction).has_value());
}

TEST(ApiAuth, PublicReadOpensReadsOnly) {
  TempDir dir;
  ApiAuth auth(auth_options(dir.path(), true));
  HttpRequest request;
  request.method = "GET";
  EXPECT_FALSE(auth.authorize(request, Access::kRead).has_value());
  EXPECT_FALSE(auth.authorize_websocket(request).has_value());
  request.method = "POST";
  EXPECT_EQ(auth.authorize(request, Access::kAction)->status, 401);
  request.headers["origin"] = "http://evil.example";
  request.headers["host"] = "127.0.0.1:1";
  request.method = "GET";
  EXPECT_EQ(auth.authorize_websocket(request)->status, 403);

  const nlohmann::json session = nlohmann::json::parse(auth.session(request).body);
  EXPECT_EQ(session,
            (nlohmann::json{{"authenticated", false}, {"method", "none"}, {"public_read", true}}));
}

TEST(ApiAuth, ALoopbackServerAnswersOnlyLoopbackHosts) {
  TempDir dir;
  ApiAuthOptions options = auth_options(dir.path(), true);
  options.loopback_hosts_only = true;
  options.extra_hosts = {"gauntlet.lan"};
  const ApiAuth auth(options);
  HttpRequest request;
  request.method = "GET";
  for (const char* host :
       {"127.0.0.1:8080", "localhost:8080", "[::1]:8080", "LOCALHOST", "gauntlet.lan:8080"}) {
    request.headers["host"] = host;
    EXPECT_FALSE(auth.authorize(request, Access::kRead).has_value()) << host;
  }
  // A DNS-rebinding page: its own name resolved to 127.0.0.1.
  request.headers["host"] = "attacker.example:8080";
  const std::optional<HttpResponse> refused = auth.authorize(request, Access::kRead);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 403);
  EXPECT_NE(refused->body.find("\"host\""), std::string::npos);
  EXPECT_EQ(auth.authorize_websocket(request)->status, 403);
  EXPECT_FALSE(auth.authorize(request, Access::kPublic).has_value()) << "public routes stay open";
  // Bound elsewhere (loopback_hosts_only off): any Host.
  const ApiAuth open(auth_options(dir.path(), true));
  EXPECT_FALSE(open.authorize(request, Access::kRead).has_value());
}

TEST(ApiAuth, AddsLoginAndSessionRoutes) {
  TempDir dir;
  ApiAuth auth(auth_options(dir.path()));
  Router router;
  auth.add_routes(router);
  const std::vector<RouteInfo> routes = router.routes();
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].pattern, "/login");
  EXPECT_EQ(routes[0].access, Access::kPublic);
  EXPECT_EQ(routes[1].pattern, "/session");
  EXPECT_EQ(routes[1].access, Access::kPublic);
}

TEST(ApiAuth, RandomHexAndConstantTimeEqual) {
  EXPECT_EQ(random_hex(32).size(), 64u);
  EXPECT_NE(random_hex(16), random_hex(16));
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
  EXPECT_TRUE(constant_time_equal("", ""));
}

}  // namespace
}  // namespace gauntlet::ui
