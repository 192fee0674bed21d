// File: ui/api_server.hpp
//
// ApiServer: the control-plane API of a session (seed 001 §9.1, docs/api.md): a running
// AppRuntime, or a StoredSession (gauntlet serve), over the
// HttpServer transport: JSON REST routes, the WebSocket push of status, quotes, trades and
// equity, the dashboard's static files and /openapi.json. The UI reads; the core decides: every
// action calls one AppRuntime API (which calls its owner: the registry for flags, the
// budget_manager for allocations, trade_executor's kill switch, the live toggle) and answers
// with that decision.
//
// Reads never wait for the engine: on the engine thread, after each committed batch of steps
// (at most every refresh_interval, and always at the end), refresh() takes a snapshot of what
// the routes show and pushes what changed to the WebSocket clients; the handlers answer from
// the latest snapshot, and never touch the runtime themselves (its store and owners belong to
// the engine thread). Trades and equity marks are appended incrementally, so a long session's
// history is read once; a strategy's transitions are read again only when it changed. Actions
// run on the engine thread (AppRuntime::post) and answer once their change is committed,
// awaited for at most action_timeout (503 busy); once the session no longer runs they answer
// 503 not_running.
//
// Threading: construct, start() and stop() on the engine thread; handlers run on the server's
// I/O thread; the snapshot is shared behind a mutex.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "runtime/control.hpp"
#include "ui/api_auth.hpp"
#include "ui/http_server.hpp"
#include "ui/router.hpp"

namespace gauntlet::ui {

struct ApiServerOptions {
  std::filesystem::path state_dir;  // the session's state directory (api_token lives there)
  std::string bind_address = "127.0.0.1";
  unsigned short port = 0;  // 0: ephemeral
  bool public_read = false;
  std::filesystem::path web_root;  // the dashboard's built files; empty: none
  std::filesystem::path reports_dir = "logs/validation";  // validation reports by strategy id
  std::chrono::milliseconds refresh_interval{250};
  std::chrono::milliseconds push_interval{
      500};  // per WebSocket topic and client (ui.quote_push_interval)
  std::chrono::milliseconds action_timeout{10'000};
  std::size_t max_page_size = 1000;
};

// The OpenAPI 3 document of the API (src/ui/openapi.json, compiled in).
const nlohmann::json& openapi_document();

class ApiServer {
 public:
  ApiServer(runtime::ControlSource& runtime, ApiServerOptions options);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Takes the first snapshot, hooks refresh() to the runtime's commits and starts listening.
  void start();
  void stop();

  unsigned short port() const { return server_->port(); }
  std::string url() const { return server_->url(); }
  // The URL that logs a browser in (it carries the token: print it once, never log it).
  std::string login_url() const;
  const Router& router() const { return router_; }
  const ApiAuth& auth() const { return *auth_; }
  HttpServerCounters counters() const { return server_->counters(); }

  // Engine thread: a new snapshot and the WebSocket pushes of what changed, unless the last
  // one is younger than refresh_interval (`force` takes it anyway).
  void refresh(bool force);

 private:
  struct Snapshot;

  void add_routes();
  std::shared_ptr<const Snapshot> snapshot() const;
  // Runs `task` on the engine thread and waits for its JSON answer (HttpError 503 when the
  // session no longer runs or the engine does not answer within action_timeout).
  nlohmann::json on_engine(std::function<nlohmann::json()> task) const;
  // A strategy's transitions as the routes show them; engine thread (refresh).
  nlohmann::json history_json(const std::string& id) const;
  nlohmann::json trades_page(const HttpRequest& request) const;
  nlohmann::json equity(const HttpRequest& request) const;
  // GET /epochs: each epoch's statistics (bankroll_manager's epoch_statistics) over the
  // snapshot's equity marks and closed trades.
  nlohmann::json epochs() const;
  HttpResponse validation(const std::string& id, bool html) const;

  runtime::ControlSource& runtime_;
  ApiServerOptions options_;
  Router router_;
  std::unique_ptr<ApiAuth> auth_;
  std::unique_ptr<HttpServer> server_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Snapshot> snapshot_;
  std::chrono::steady_clock::time_point last_refresh_{};
  bool started_ = false;
};

}  // namespace gauntlet::ui
