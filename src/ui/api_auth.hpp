// File: ui/api_auth.hpp
//
// ApiAuth: the control-plane API's authentication (docs/api.md, Authentication). It owns
//   - the API token: 32 random bytes as 64 hex digits in DIR/api_token, created with mode 0600
//     on first start and reused afterwards (a file with looser permissions is chmod-ed to 0600
//     and logged; one whose content is not a token is replaced);
//   - the browser sessions: GET /login?token=T with the right token creates one and answers
//     303 to / with `gauntlet_session` (HttpOnly; SameSite=Strict) and `gauntlet_csrf`
//     (SameSite=Strict, readable by the page). Sessions live in memory only, at most
//     max_sessions of them: a new one evicts the oldest;
//   - the decision for each request: `Authorization: Bearer T` (no CSRF needed), else the
//     session cookie, else nothing; reads need one of them unless public_read; cookie calls that
//     change state (POST, DELETE, any action route) need `X-CSRF-Token` equal to the session's
//     CSRF cookie and, when an `Origin` is sent, the server's own origin (http://<Host>).
// Secrets are compared in constant time (CRYPTO_memcmp) and never logged.
//
// Errors: 401 unauthorized (no or wrong credentials), 403 csrf (missing or wrong CSRF token,
// foreign Origin), in the API's error shape. The constructor throws StateError when the token
// file cannot be read or written.
//
// Threading: every method is safe from any thread (sessions behind a mutex).
#pragma once

#include <cstddef>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ui/http_message.hpp"

namespace gauntlet::ui {

class Router;

struct ApiAuthOptions {
  // The session's state directory; the token lives in state_dir/api_token.
  std::filesystem::path state_dir;
  // ui.public_read: read routes and the WebSocket need no authentication.
  bool public_read = false;
  std::size_t max_sessions = 64;
  // Origins accepted besides the server's own (e.g. "https://gauntlet.example" behind a proxy).
  std::vector<std::string> extra_origins;
  // When set (a server bound to a loopback address), authenticated and public_read routes
  // answer only requests whose Host names a loopback address (127.0.0.1, localhost, [::1]) or
  // one of extra_hosts: a page of another site whose name is re-bound to 127.0.0.1 (DNS
  // rebinding) gets 403 host instead of the session's data.
  bool loopback_hosts_only = false;
  std::vector<std::string> extra_hosts;
};

class ApiAuth {
 public:
  static constexpr std::string_view kSessionCookie = "gauntlet_session";
  static constexpr std::string_view kCsrfCookie = "gauntlet_csrf";
  static constexpr std::string_view kTokenFileName = "api_token";

  // Loads or creates the token file (see the file comment).
  explicit ApiAuth(ApiAuthOptions options);

  // The API token (a secret: print it once in the login URL, never log it).
  const std::string& token() const { return token_; }
  const std::filesystem::path& token_path() const { return token_path_; }
  bool public_read() const { return options_.public_read; }

  // How `request` authenticates: a right bearer token, else a live session cookie, else none.
  // A wrong bearer token is none, even with a valid cookie.
  AuthMethod identify(const HttpRequest& request) const;
  // std::nullopt when `request`, whose `auth` identify() has filled, may call a route of
  // `access`; otherwise the 401 or 403 answer.
  std::optional<HttpResponse> authorize(const HttpRequest& request, Access access) const;
  // The same for the WebSocket upgrade: authenticated like a read, and an Origin, when sent,
  // must be the server's own (403 csrf otherwise).
  std::optional<HttpResponse> authorize_websocket(const HttpRequest& request) const;

  // Registers GET /login and GET /session (both public) on `router`; their handlers call this
  // ApiAuth, which must outlive the router.
  void add_routes(Router& router);
  // GET /login?token=T: 303 to / with the two cookies, or 401.
  HttpResponse login(const HttpRequest& request);
  // GET /session: {"authenticated", "method", "public_read"}.
  HttpResponse session(const HttpRequest& request) const;

  std::size_t session_count() const;

 private:
  struct Session {
    std::string id;
    std::string csrf;
  };

  void load_or_create_token();
  // The CSRF value of the session named by the request's cookie, std::nullopt when none.
  std::optional<std::string> session_csrf(const HttpRequest& request) const;
  bool origin_allowed(const HttpRequest& request) const;
  bool host_allowed(const HttpRequest& request) const;

  ApiAuthOptions options_;
  std::filesystem::path token_path_;
  std::string token_;
  mutable std::mutex mutex_;
  std::deque<Session> sessions_;  // oldest first
};

// `bytes` random bytes (OpenSSL RAND_bytes) as 2 * bytes lower-case hex digits. Throws
// GauntletError when the generator fails.
std::string random_hex(std::size_t bytes);
// Whether `a` and `b` are equal, in time that depends only on their lengths.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace gauntlet::ui
