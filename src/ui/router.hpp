// File: ui/router.hpp
//
// Router: the table of the control-plane API's routes, (method, pattern) -> handler + access.
// A pattern is a path whose segments are literals or `{name}` captures, e.g.
// `/strategy/{id}/flag/{flag}`; a capture matches one non-empty segment and is handed to the
// handler percent-decoded in HttpRequest::params. When several patterns match a path the most
// specific wins: at the first segment where they differ, a literal beats a capture.
//
// match() answers one of: a route (its handler, access and params), 404 not_found (no pattern
// matches the path), 405 method_not_allowed (patterns match but none for this method; the
// response carries `Allow`), 400 bad_request (a path segment with a bad %-escape). It checks no
// authentication: HttpServer asks ApiAuth about the route's access first, then call_handler().
//
// Threading: add() every route before the server starts; afterwards the router is read-only
// and match()/routes() are safe from any thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ui/http_message.hpp"

namespace gauntlet::ui {

using Handler = std::function<HttpResponse(const HttpRequest& request)>;

// One registered route, as an OpenAPI document lists it.
struct RouteInfo {
  std::string method;   // "GET"
  std::string pattern;  // "/strategy/{id}"
  Access access = Access::kRead;
};

// What the router found for a request.
struct RouteMatch {
  std::shared_ptr<const Handler> handler;  // set when the route was found
  Access access = Access::kPublic;
  std::string pattern;
  std::map<std::string, std::string> params;
  // The 404/405/400 answer when no route was found.
  std::optional<HttpResponse> refusal;

  bool found() const { return handler != nullptr; }
};

class Router {
 public:
  // Registers `handler` for `method` (an upper-case HTTP token such as "GET") on `pattern`.
  // Throws ArgumentError for a malformed method or pattern (not starting with '/', a capture
  // that is not a whole segment, a repeated capture name, '%', '?' or '#' in a literal) and for
  // a method registered twice on the same pattern (capture names aside).
  void add(std::string_view method, std::string_view pattern, Handler handler, Access access);

  // Every route, in registration order.
  std::vector<RouteInfo> routes() const;

  // The route for `method` on `path` (the raw path, without the query).
  RouteMatch match(std::string_view method, std::string_view path) const;

 private:
  struct Segment {
    bool capture = false;
    std::string text;  // the literal, or the capture's name
  };
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<Segment> segments;
    Access access = Access::kPublic;
    std::shared_ptr<const Handler> handler;
  };

  std::vector<Route> routes_;
};

// Runs `handler` on `request` and returns its response. An HttpError becomes its status and
// error shape; any other exception becomes 500 internal_error (logged, its text not sent);
// a response with a status outside 200..599 or a header with CR/LF becomes 500 too.
HttpResponse call_handler(const Handler& handler, const HttpRequest& request);

}  // namespace gauntlet::ui
