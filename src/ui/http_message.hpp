// File: ui/http_message.hpp
//
// The values the control-plane HTTP server hands to route handlers and gets back from them,
// free of Beast: HttpRequest (method, path, decoded query and path parameters, headers, body,
// how the caller was authenticated), HttpResponse (status, content type, body, extra headers),
// HttpError (what a handler throws to answer 4xx with the API's error shape), and the text
// helpers behind them: percent-decoding, query strings, cookies, JSON bodies.
//
// Errors on the wire are always `{"error": "<code>", "message": "<what was wrong>"}` with
// Content-Type application/json (docs/api.md, Conventions).
//
// Threading: plain values and pure functions.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/exceptions.hpp"

namespace gauntlet::ui {

// Who may call a route: anyone, an authenticated reader (or anyone with public_read), an
// authenticated caller that passes the CSRF check when it came with a cookie.
enum class Access { kPublic, kRead, kAction };

// How the server authenticated a request: not at all, the session cookie, the bearer token.
enum class AuthMethod { kNone, kCookie, kBearer };

// "public", "read", "action".
std::string_view to_string(Access access);
// "none", "cookie", "bearer" (the `method` field of GET /session).
std::string_view to_string(AuthMethod method);

struct HttpRequest {
  std::string method;  // "GET", "POST", ... as received
  std::string target;  // the raw request target, query included
  std::string path;    // the raw path of the target, without the query
  // Query parameters, percent-decoded with '+' as a space; a repeated name keeps its last value,
  // a name without '=' has the value "".
  std::map<std::string, std::string> query;
  // The route's {name} segments, percent-decoded.
  std::map<std::string, std::string> params;
  // Header names in lower case; repeated headers joined with ", ".
  std::map<std::string, std::string> headers;
  std::string body;
  AuthMethod auth = AuthMethod::kNone;

  // The value of the header `lower_case_name`, "" when absent.
  std::string_view header(std::string_view lower_case_name) const;
  // The query parameter `name`, std::nullopt when absent.
  std::optional<std::string> query_value(std::string_view name) const;
  // The cookie `name` from the Cookie header, std::nullopt when absent.
  std::optional<std::string> cookie(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Extra headers, in order; a name may repeat (Set-Cookie).
  std::vector<std::pair<std::string, std::string>> headers;
};

// Thrown by a handler to answer with `status` (4xx, or 5xx) and the error shape. Anything else
// a handler throws answers 500 internal_error.
class HttpError : public GauntletError {
 public:
  HttpError(int status, std::string code, const std::string& message)
      : GauntletError(message), status_(status), code_(std::move(code)) {}
  int status() const noexcept { return status_; }
  const std::string& code() const noexcept { return code_; }

 private:
  int status_;
  std::string code_;
};

// `value` serialized as the body, Content-Type application/json. Strings that are not valid
// UTF-8 are written with U+FFFD replacements instead of throwing.
HttpResponse json_response(const nlohmann::json& value, int status = 200);
// {"error": code, "message": message} with `status`.
HttpResponse error_response(int status, std::string_view code, std::string_view message);
// The request body parsed as JSON; HttpError 400 bad_request when it is not JSON.
nlohmann::json parse_json_body(const HttpRequest& request);

// `text` with %XX escapes decoded (and '+' as a space when `plus_as_space`); std::nullopt when
// a '%' is not followed by two hex digits.
std::optional<std::string> percent_decode(std::string_view text, bool plus_as_space);
// `text` with every byte outside RFC 3986's unreserved set %-escaped.
std::string percent_encode(std::string_view text);
// The query string `text` (without the '?') as a map, see HttpRequest::query; std::nullopt when
// a name or value has a bad escape.
std::optional<std::map<std::string, std::string>> parse_query(std::string_view text);
// The value of cookie `name` in a Cookie header value ("a=1; b=2"), std::nullopt when absent.
std::optional<std::string> find_cookie(std::string_view cookie_header, std::string_view name);

}  // namespace gauntlet::ui
