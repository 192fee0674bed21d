// Router and the HTTP message helpers without sockets: patterns, captures, specificity,
// 404/405/400, handler errors, query strings, percent-decoding, cookies.
#include "ui/router.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace gauntlet::ui {
namespace {

Handler answer(std::string text) {
  return [text](const HttpRequest& request) {
    nlohmann::json body = {{"route", text}, {"params", request.params}};
    return json_response(body);
  };
}

nlohmann::json body_of(const Router& router, std::string_view method, std::string_view path) {
  const RouteMatch match = router.match(method, path);
  if (!match.found()) return nlohmann::json::parse(match.refusal->body);
  HttpRequest request;
  request.method = std::string(method);
  request.path = std::string(path);
  request.params = match.params;
  return nlohmann::json::parse(call_handler(*match.handler, request).body);
}

TEST(Router, MatchesLiteralsAndDecodesCaptures) {
  Router router;
  router.add("GET", "/status", answer("status"), Access::kRead);
  router.add("POST", "/strategy/{id}/flag/{flag}", answer("flag"), Access::kAction);

  const RouteMatch status = router.match("GET", "/status");
  ASSERT_TRUE(status.found());
  EXPECT_EQ(status.access, Access::kRead);
  EXPECT_TRUE(status.params.empty());

  const RouteMatch flag = router.match("POST", "/strategy/a%2Fb%20c/flag/x+y");
  ASSERT_TRUE(flag.found());
  EXPECT_EQ(flag.access, Access::kAction);
  EXPECT_EQ(flag.pattern, "/strategy/{id}/flag/{flag}");
  EXPECT_EQ(flag.params.at("id"), "a/b c");  // %2F stays inside the segment
  EXPECT_EQ(flag.params.at("flag"), "x+y");  // '+' is a space only in queries
}

TEST(Router, LiteralBeatsCaptureWhateverTheOrder) {
  Router router;
  router.add("GET", "/strategy/{id}", answer("one"), Access::kRead);
  router.add("GET", "/strategy/list", answer("list"), Access::kRead);
  router.add("GET", "/{a}/x", answer("capture-first"), Access::kRead);
  EXPECT_THROW(router.add("GET", "/strategy/{b}", answer("same shape"), Access::kRead),
               ArgumentError);
  EXPECT_EQ(body_of(router, "GET", "/strategy/list")["route"], "list");
  EXPECT_EQ(body_of(router, "GET", "/strategy/s1")["route"], "one");
  EXPECT_EQ(body_of(router, "GET", "/strategy/x")["route"], "one");
  EXPECT_EQ(body_of(router, "GET", "/other/x")["route"], "capture-first");
}

TEST(Router, UnknownPathIs404AndOtherMethodIs405WithAllow) {
  Router router;
  router.add("POST", "/kill/{asset}", answer("kill"), Access::kAction);
  router.add("DELETE", "/kill/{asset}", answer("unkill"), Access::kAction);

  const RouteMatch unknown = router.match("GET", "/nothing");
  ASSERT_FALSE(unknown.found());
  EXPECT_EQ(unknown.refusal->status, 404);
  EXPECT_EQ(nlohmann::json::parse(unknown.refusal->body)["error"], "not_found");

  const RouteMatch wrong = router.match("GET", "/kill/spot");
  ASSERT_FALSE(wrong.found());
  EXPECT_EQ(wrong.refusal->status, 405);
  EXPECT_EQ(nlohmann::json::parse(wrong.refusal->body)["error"], "method_not_allowed");
  ASSERT_EQ(wrong.refusal->headers.size(), 1u);
  EXPECT_EQ(wrong.refusal->headers[0].first, "Allow");
  EXPECT_EQ(wrong.refusal->headers[0].second, "DELETE, POST");

  // A capture never matches an empty segment, and trailing slashes are other paths.
  EXPECT_EQ(router.match("POST", "/kill/").refusal->status, 404);
  EXPECT_EQ(router.match("POST", "/kill/spot/").refusal->status, 404);
  EXPECT_EQ(router.match("POST", "//kill/spot").refusal->status, 404);
}

TEST(Router, BadEscapeOrTargetIs400) {
  Router router;
  router.add("GET", "/strategy/{id}", answer("one"), Access::kRead);
  for (const char* path : {"/strategy/%zz", "/strategy/%4", "/strategy/%", "*", ""}) {
    const RouteMatch match = router.match("GET", path);
    ASSERT_FALSE(match.found()) << path;
    EXPECT_EQ(match.refusal->status, 400) << path;
    EXPECT_EQ(nlohmann::json::parse(match.refusal->body)["error"], "bad_request");
  }
}

TEST(Router, RootPatternMatchesOnlyRoot) {
  Router router;
  router.add("GET", "/", answer("root"), Access::kPublic);
  EXPECT_TRUE(router.match("GET", "/").found());
  EXPECT_FALSE(router.match("GET", "/x").found());
}

TEST(Router, RejectsMalformedAndDuplicateRoutes) {
  Router router;
  router.add("GET", "/a/{id}", answer("a"), Access::kRead);
  EXPECT_THROW(router.add("GET", "/a/{id}", answer("again"), Access::kRead), ArgumentError);
  EXPECT_THROW(router.add("get", "/b", answer("b"), Access::kRead), ArgumentError);
  EXPECT_THROW(router.add("", "/b", answer("b"), Access::kRead), ArgumentError);
  EXPECT_THROW(router.add("GET", "b", answer("b"), Access::kRead), ArgumentError);
  EXPECT_THROW(router.add("GET", "/b/{x}/{x}", answer("b"), Access::kRead), ArgumentError);
  EXPECT_THROW(router.add("GET", "/b/x{y}", answer("b"), Access::kRead), ArgumentError);
  EXPECT_THROW(router.add("GET", "/b/{}", answer("b"), Access::kRead), ArgumentError);
  EXPECT_THROW(router.add("GET", "/b/%41", answer("b"), Access::kRead), ArgumentError);
  EXPECT_THROW(router.add("GET", "/b", Handler(), Access::kRead), ArgumentError);
  router.add("POST", "/a/{id}", answer("post"), Access::kAction);  // another method is fine
}

TEST(Router, ListsEveryRouteInOrder) {
  Router router;
  router.add("GET", "/status", answer("s"), Access::kRead);
  router.add("POST", "/kill", answer("k"), Access::kAction);
  router.add("GET", "/", answer("r"), Access::kPublic);
  const std::vector<RouteInfo> routes = router.routes();
  ASSERT_EQ(routes.size(), 3u);
  EXPECT_EQ(routes[0].method, "GET");
  EXPECT_EQ(routes[0].pattern, "/status");
  EXPECT_EQ(routes[0].access, Access::kRead);
  EXPECT_EQ(routes[1].method, "POST");
  EXPECT_EQ(routes[1].access, Access::kAction);
  EXPECT_EQ(routes[2].access, Access::kPublic);
  EXPECT_EQ(to_string(routes[1].access), "action");
}

TEST(CallHandler, TurnsErrorsIntoTheErrorShape) {
  HttpRequest request;
  const HttpResponse typed = call_handler(
      [](const HttpRequest&) -> HttpResponse {
        throw HttpError(404, "not_found", "unknown asset: foo");
      },
      request);
  EXPECT_EQ(typed.status, 404);
  EXPECT_EQ(nlohmann::json::parse(typed.body),
            (nlohmann::json{{"error", "not_found"}, {"message", "unknown asset: foo"}}));

  const HttpResponse thrown = call_handler(
      [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("secret detail"); },
      request);
  EXPECT_EQ(thrown.status, 500);
  EXPECT_EQ(nlohmann::json::parse(thrown.body)["error"], "internal_error");
  EXPECT_EQ(thrown.body.find("secret detail"), std::string::npos);

  const HttpResponse weird =
      call_handler([](const HttpRequest&) -> HttpResponse { throw 42; }, request);
  EXPECT_EQ(weird.status, 500);

  const HttpResponse bad_status = call_handler(
      [](const HttpRequest&) {
        HttpResponse response;
        response.status = 1000;
        return response;
      },
      request);
  EXPECT_EQ(bad_status.status, 500);

  const HttpResponse injected = call_handler(
      [](const HttpRequest&) {
        HttpResponse response;
        response.headers.emplace_back("X-Evil", "a\r\nSet-Cookie: x=1");
        return response;
      },
      request);
  EXPECT_EQ(injected.status, 500);

  const HttpResponse status_of_error = call_handler(
      [](const HttpRequest&) -> HttpResponse { throw HttpError(200, "odd", "not an error"); },
      request);
  EXPECT_EQ(status_of_error.status, 500);
}

TEST(HttpMessage, ParsesQueryStrings) {
  const auto query = parse_query("a=1&b=x+y&c=%41%2b&d&=e&&a=2&e%20f=%E2%82%AC");
  ASSERT_TRUE(query.has_value());
  EXPECT_EQ(query->at("a"), "2");  // the last value wins
  EXPECT_EQ(query->at("b"), "x y");
  EXPECT_EQ(query->at("c"), "A+");
  EXPECT_EQ(query->at("d"), "");
  EXPECT_EQ(query->at("e f"), "\xE2\x82\xAC");
  EXPECT_EQ(query->count(""), 0u);
  EXPECT_EQ(query->size(), 5u);

  EXPECT_FALSE(parse_query("a=%zz").has_value());
  EXPECT_FALSE(parse_query("a=%4").has_value());
  EXPECT_FALSE(parse_query("%=1").has_value());
  EXPECT_TRUE(parse_query("")->empty());
}

TEST(HttpMessage, PercentCodingRoundTrips) {
  EXPECT_EQ(percent_decode("a+b%20c", false), "a+b c");
  EXPECT_EQ(percent_decode("a+b%20c", true), "a b c");
  EXPECT_EQ(percent_decode("%00", false), std::string(1, '\0'));
  EXPECT_FALSE(percent_decode("%g0", false).has_value());
  EXPECT_FALSE(percent_decode("abc%", false).has_value());
  const std::string raw = "a b/c?d=e&f+\xff~";
  EXPECT_EQ(percent_decode(percent_encode(raw), true), raw);
  EXPECT_EQ(percent_encode("a b"), "a%20b");
}

TEST(HttpMessage, FindsCookies) {
  const std::string header = "a=1; gauntlet_session=abc ;gauntlet_csrf=\"def\"; empty=";
  EXPECT_EQ(find_cookie(header, "a"), "1");
  EXPECT_EQ(find_cookie(header, "gauntlet_session"), "abc");
  EXPECT_EQ(find_cookie(header, "gauntlet_csrf"), "def");
  EXPECT_EQ(find_cookie(header, "empty"), "");
  EXPECT_FALSE(find_cookie(header, "gauntlet").has_value());
  EXPECT_FALSE(find_cookie("", "a").has_value());

  HttpRequest request;
  request.headers["cookie"] = header;
  EXPECT_EQ(request.cookie("a"), "1");
}

TEST(HttpMessage, JsonHelpers) {
  const HttpResponse error = error_response(409, "refused", "budget exhausted");
  EXPECT_EQ(error.status, 409);
  EXPECT_EQ(error.content_type, "application/json");
  EXPECT_EQ(nlohmann::json::parse(error.body),
            (nlohmann::json{{"error", "refused"}, {"message", "budget exhausted"}}));

  // Invalid UTF-8 is replaced, not thrown.
  const HttpResponse replaced = json_response(nlohmann::json{{"x", std::string("\xff")}});
  EXPECT_EQ(replaced.status, 200);

  HttpRequest request;
  request.body = "{\"a\": 1}";
  EXPECT_EQ(parse_json_body(request)["a"], 1);
  request.body = "{\"a\": ";
  try {
    parse_json_body(request);
    FAIL() << "expected HttpError";
  } catch (const HttpError& error) {
    EXPECT_EQ(error.status(), 400);
    EXPECT_EQ(error.code(), "bad_request");
  }
}

}  // namespace
}  // namespace gauntlet::ui
