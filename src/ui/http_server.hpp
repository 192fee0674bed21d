// File: ui/http_server.hpp
//
// HttpServer: the transport of the control-plane API (docs/api.md) on Boost.Beast: HTTP/1.1
// with keep-alive, a WebSocket push channel at GET /ws, and the static files of the web UI. It
// holds no business logic: the routes and their handlers come from a Router, the decisions on
// who may call what from ApiAuth.
//
// A request goes, in order:
//   1. read within read_timeout for the whole request (slow clients are closed), headers up to
//      max_header_bytes (431 headers_too_large), body up to max_body_bytes (413
//      body_too_large); a malformed request is 400 bad_request; these close the connection;
//   2. GET /ws with an upgrade: ApiAuth::authorize_websocket(), then the WebSocket session;
//   3. a route of the Router: ApiAuth::identify() fills HttpRequest::auth, authorize() checks
//      the route's access (401/403), then the handler (exceptions become 500, see call_handler);
//   4. otherwise GET of a file under static_root (`/` is index.html; traversal is 404), else
//      the router's 404/405.
// Every response carries X-Content-Type-Options: nosniff and X-Frame-Options: DENY; API
// responses carry Cache-Control: no-store.
//
// Connections beyond max_connections are closed as soon as they are accepted. stop() closes
// every connection, HTTP and WebSocket, and joins the I/O thread.
//
// WebSocket: broadcast(topic, text) sends a text frame to every client, coalesced per client
// and topic to one message per ws_topic_interval (the latest wins, see
// internal/topic_coalescer.hpp). A client whose outgoing queue exceeds ws_queue_limit messages
// is disconnected (it reconnects and reloads). Frames from clients are read and discarded
// (at most ws_max_incoming_bytes each); ping/pong is Beast's, with a ping after half of
// ws_idle_timeout of silence and a close after the whole of it.
//
// Threading: one I/O thread of the server's own runs every connection and every handler, so
// handlers must not block for long. start(), stop(), port(), broadcast() and counters() are safe
// from any thread but the I/O thread (stop() must not be called from a handler). The Router and
// ApiAuth must outlive the server, and the router must not change after start().
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "ui/api_auth.hpp"
#include "ui/router.hpp"

namespace gauntlet::ui {

struct HttpServerOptions {
  std::string bind_address = "127.0.0.1";
  // 0: an ephemeral port, see HttpServer::port().
  unsigned short port = 0;
  std::size_t max_body_bytes = 64u << 10;   // larger: 413 body_too_large
  std::size_t max_header_bytes = 8u << 10;  // larger: 431 headers_too_large
  // For a whole request, from its first byte (or the end of the previous response) to its last.
  std::chrono::milliseconds read_timeout{10'000};
  // For a whole response.
  std::chrono::milliseconds write_timeout{10'000};
  std::size_t max_connections = 64;
  bool keep_alive = true;
  // The web UI's files; empty: no static files (every non-API path is 404).
  std::filesystem::path static_root;
  std::size_t max_static_file_bytes = 16u << 20;
  std::size_t ws_queue_limit = 64;
  std::chrono::milliseconds ws_topic_interval{500};
  std::size_t ws_max_incoming_bytes = 4u << 10;
  std::chrono::milliseconds ws_idle_timeout{60'000};
};

// What the server has done since start(), for the API's own status.
struct HttpServerCounters {
  std::uint64_t requests = 0;       // HTTP responses written, errors included
  std::uint64_t client_errors = 0;  // of which 4xx
  std::uint64_t server_errors = 0;  // of which 5xx
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_refused = 0;  // closed at once: max_connections reached
  std::uint64_t connections_timed_out = 0;
  std::uint64_t open_connections = 0;  // now, HTTP and WebSocket
  std::uint64_t ws_clients = 0;        // now
  std::uint64_t ws_messages_sent = 0;
  std::uint64_t ws_clients_dropped = 0;  // disconnected for not keeping up
};

namespace internal {
class ServerCore;
}  // namespace internal

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, const Router& router, const ApiAuth& auth);
  // stop().
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts the I/O thread. Throws GauntletError when the address cannot be
  // bound or start() was called before.
  void start();
  // Closes the listener and every connection and joins the I/O thread; idempotent.
  void stop();

  // The bound port (after start()).
  unsigned short port() const;
  // "http://<bind_address>:<port>".
  std::string url() const;

  // Sends `text` (a JSON document) on `topic` to every WebSocket client; see the file comment.
  // Returns at once; does nothing when the server is not running.
  void broadcast(std::string_view topic, std::string text);

  HttpServerCounters counters() const;

 private:
  std::unique_ptr<internal::ServerCore> core_;
};

}  // namespace gauntlet::ui
