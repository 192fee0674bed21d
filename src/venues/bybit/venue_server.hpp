// File: venues/bybit/venue_server.hpp
//
// VenueServer: a real Bybit V5 server on one port, the local Bybit users rehearse on
// (`gauntlet venue bybit`, docs/local-venues.md) and tests run the Bybit clients against. It
// speaks HTTP/1.1 (keep-alive) and WebSocket, serves the public market endpoints and topics in
// Bybit's exact shapes (docs: ../shared/reference/bybit-v5.md; samples:
// ../shared/data/fixtures/bybit/) from the data it is given (by a MarketDriver, or a test), and
// injects the faults a live venue shows: 5xx, rate limits, malformed bodies and frames, dropped
// and stalled connections, duplicate and out-of-order pushes. It listens on 127.0.0.1 and an
// ephemeral port unless VenueServerOptions say otherwise.
//
// REST (every response carries X-Bapi-Limit, X-Bapi-Limit-Status and
// X-Bapi-Limit-Reset-Timestamp; request bodies are read whatever the method):
//   GET /v5/market/kline        category (default linear), symbol, interval (1 3 5 15 30 60 240 D),
//                               start, end (ms, inclusive), limit (1..1000, default 200, larger
//                               values are clamped): the newest `limit` bars in [start, end],
//                               newest first, each [startTime, open, high, low, close, volume,
//                               turnover] as strings. A symbol with no klines, instrument or
//                               ticker is retCode 10001 "Not supported symbols"; a bad parameter
//                               is 10001 too; both with HTTP 200.
//   GET /v5/market/instruments-info category (spot|linear, required), symbol, limit (1..1000,
//                               default 500), cursor: linear pages with nextPageCursor ("" on
//                               the last page); spot returns every instrument in one page.
//   GET /v5/market/tickers      category (required), symbol (unknown: retCode 10001).
//   GET /v5/market/time         timeSecond, timeNano.
//   anything else               the PrivateApi's answer when one is set and answers it (below),
//                               else HTTP 404 with retCode 10017 "route not found".
// WebSocket on /v5/public/spot and /v5/public/linear: subscribe, unsubscribe and ping as
// Bybit answers them (spot acks say "subscribe" in ret_msg; spot pongs carry req_id only when
// the ping had one, linear pongs always). Accepted topics: kline.<interval>.<SYMBOL> (Bybit's
// intervals), tickers.<SYMBOL>, orderbook.<1|50|200|1000>.<SYMBOL>, publicTrade.<SYMBOL>. A
// subscribe with a malformed or already subscribed topic is acked with success false and the
// reason in ret_msg; its other topics are subscribed. A handshake on any other path goes to the
// PrivateApi's open_session() when one is set, else it is answered HTTP 404.
//
// The private API's seam (PrivateApi below): the server does no authentication and keeps no
// account; a PrivateApi set with set_private_api() answers the REST requests the public routes
// do not know and owns the WebSocket sessions of the other paths (/v5/private, /v5/trade). Its
// REST answers get the faults and the X-Bapi-Limit headers like any other (a header of the same
// name the answer sets wins); its sessions are reset by drop_connections() and silenced by
// stall() like the public ones, but duplicate and out-of-order pushes do not apply to them.
//
// Faults, as a client sees them:
//   fail_next_http(n, status)  the next n REST requests get HTTP `status` with an HTML body.
//   rate_limit_next_http(n)    the next n get HTTP 200, retCode 10006 "Too many visits!",
//                              X-Bapi-Limit-Status 0 and a reset timestamp `reset_after` ahead.
//   set_malformed_http(n)      the next n get HTTP 200 with a body that is not a usable envelope
//                              (truncated, wrong types, garbage, wrong structure, empty, null).
//   The three counters are consumed in that order of precedence, one per request.
//   drop_connections()         every open connection (REST and WS) is reset (TCP RST, no close
//                              frame); its subscriptions are gone when the call returns. The
//                              listener stays up, so reconnecting works at once.
//   stall(d)                   for d from now: REST requests and WS handshakes are read and never
//                              answered (the connection stays silent until the client closes it,
//                              drop_connections() or the destructor); established WS sessions
//                              send nothing (pushes, acks, pongs and malformed frames meant for
//                              them are discarded) and every message they receive is ignored
//                              (pings are still counted; WebSocket control-frame pings are
//                              still answered by Beast). After d everything works again.
//   set_duplicate_pushes(true) every push_kline/push_ticker/push_raw is sent twice in a row.
//   set_out_of_order(true)     pushes of a category are held one at a time and released in
//                              swapped pairs: A B C D go out as B A D C; turning it off releases
//                              a held push.
//   send_malformed(c, n)       n text frames that are not usable messages (truncated JSON, wrong
//                              types, garbage, wrong structure, not an object, empty) to every
//                              public WS client of c; those shaped like a push name the first
//                              topic (sorted) the client subscribed to. Garbage is valid UTF-8, so
//                              it reaches the client's parser rather than failing the WS layer.
// The same faults can be switched at run time over HTTP, on the venue's own port, when the
// options carry a control token: GET and POST /venue/faults with X-Venue-Token (the body's
// format is in internal/fault_control.hpp and docs/local-venues.md). Control requests meet no
// fault and are not counted by http_requests().
// Malformed bodies and frames never carry a usable bar, so a client that survives the faults
// loses nothing that REST history and the following pushes do not give back.
//
// Threading: every public method may be called from any thread except the server's own I/O
// thread (a market driver's thread, a test's thread). Methods that touch connections (push_*,
// drop_*, send_malformed, set_duplicate_pushes, set_out_of_order, set_private_api) return once
// the I/O thread has done the work, so a frame pushed before drop_connections() is queued before
// the drop. The PrivateApi and its sessions are called on the I/O thread only. The destructor
// resets every connection, stalled ones included (destroying every private session), and joins
// the I/O thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "brokers/bybit/public_parse.hpp"
#include "core/interfaces.hpp"
#include "core/time.hpp"

namespace gauntlet::venues::bybit {

// spot or linear: the `category` parameter and the public WebSocket path segment
// (brokers::bybit::to_string).
using brokers::bybit::Category;

// One HTTP header as received or to send.
using HttpHeader = std::pair<std::string, std::string>;

// A REST request as the server read it (the PrivateApi gets those the public routes do not
// serve).
struct RestRequest {
  std::string method;               // "GET", "POST", ...
  std::string path;                 // "/v5/order/create"
  std::string query;                // after the '?', still percent-encoded; "" when none
  std::vector<HttpHeader> headers;  // as received (X-BAPI-API-KEY, X-BAPI-SIGN, ...)
  std::string body;                 // as received; "" for a GET
};

// The PrivateApi's answer to a RestRequest.
struct RestResponse {
  unsigned status = 200;
  std::string body;                       // sent as application/json
  std::vector<HttpHeader> extra_headers;  // added to (or replacing) the server's headers
};

// Sends a text frame to the client of one private WebSocket session. Callable from any thread;
// it only queues the frame (the I/O thread writes it). Frames sent after the session closed,
// or while the server is stalled, are dropped.
using SendFrame = std::function<void(std::string frame)>;

// One private WebSocket session: it lives as long as the connection; the server destroys it on
// the I/O thread when the connection closes (by the client, drop_connections() or the
// server's destructor), after which its SendFrame drops everything.
class PrivateSession {
 public:
  virtual ~PrivateSession() = default;
  // A text message the client sent (auth, subscribe, ping, order.create ...).
  virtual void on_message(std::string_view text) = 0;
};

// The private half of the venue: what the public routes do not serve. Called on the server's
// I/O thread only, one call at a time; it must not block (a slow answer stalls every client).
class PrivateApi {
 public:
  virtual ~PrivateApi() = default;
  // Answers a REST request whose method and path the public routes do not serve; nullopt
  // leaves it to the server's 404 with retCode 10017. An exception becomes HTTP 500 with
  // retCode 10016.
  virtual std::optional<RestResponse> handle_rest(const RestRequest& request) = 0;
  // A WebSocket handshake on `path` (not /v5/public/spot or /v5/public/linear; `query` is
  // what follows the '?'): the session that will get the connection's messages, or nullptr to
  // refuse the handshake (HTTP 404). `send` reaches this connection's client.
  virtual std::unique_ptr<PrivateSession> open_session(std::string_view path,
                                                       std::string_view query, SendFrame send) = 0;
};

struct VenueServerOptions {
  // An IPv4 or IPv6 address literal ("127.0.0.1", "0.0.0.0", "::1").
  std::string host = "127.0.0.1";
  // 0: an ephemeral port, chosen by the system (port() says which).
  unsigned short port = 0;
  // Non-empty: the control route /venue/faults switches the faults below at run time for
  // requests carrying this token in X-Venue-Token (internal/fault_control.hpp has the format).
  std::string control_token;
};

namespace internal {
class Server;
}  // namespace internal

class VenueServer {
 public:
  // Listens on 127.0.0.1 with an ephemeral port.
  VenueServer();
  // Listens on options.host:options.port; throws GauntletError naming both when it cannot.
  // Runs its own io_context on its own thread.
  explicit VenueServer(const VenueServerOptions& options);
  // Resets every connection (stalled ones too) and joins the I/O thread.
  ~VenueServer();
  VenueServer(const VenueServer&) = delete;
  VenueServer& operator=(const VenueServer&) = delete;

  unsigned short port() const;
  // "http://<host>:<port>" ("http://[::1]:<port>" for an IPv6 host)
  std::string rest_url() const;
  // "ws://<host>:<port>/v5/public/spot" or ".../linear"
  std::string public_ws_url(Category category) const;

  // --- data ---
  // Replaces the history /v5/market/kline serves for (category, symbol, timeframe).
  void set_klines(Category category, const std::string& symbol, Timeframe timeframe,
                  std::vector<Bar> bars);
  // Adds one bar to that history, replacing a bar with the same open_time.
  void add_kline(Category category, const std::string& symbol, Timeframe timeframe, const Bar& bar);
  // An item of result.list of instruments-info (fixture shape, with a string "symbol"); an
  // instrument with the same symbol is replaced.
  void add_instrument(Category category, nlohmann::json instrument);
  // An item of result.list of /v5/market/tickers (fixture shape, with a string "symbol"); a
  // ticker with the same symbol is replaced.
  void set_ticker(Category category, nlohmann::json ticker);

  // --- pushes ---
  // Sends a kline.<interval>.<symbol> message in ws_kline.json's shape to every client
  // subscribed to that topic. timestamp and ts are end + 1 for a confirmed bar, else the wall
  // clock clamped into [start, end].
  void push_kline(Category category, const std::string& symbol, Timeframe timeframe, const Bar& bar,
                  bool confirm);
  // Sends a tickers.<symbol> snapshot (ws_ticker_linear.json's shape) of `ticker`, an item of
  // /v5/market/tickers, to every client subscribed to that topic; ts is `timestamp`.
  void push_ticker(Category category, const nlohmann::json& ticker, TimestampMs timestamp);
  // Sends `frame` as a text frame to every public WS client of the category, subscribed or not.
  void push_raw(Category category, std::string frame);

  // --- the private API (see the file comment) ---
  // Sets the handler of what the public routes do not serve; nullptr removes it (open private
  // sessions stay open). The server holds it until replaced or destroyed.
  void set_private_api(std::shared_ptr<PrivateApi> private_api);

  // --- faults (see the file comment for what a client sees) ---
  void fail_next_http(int count, int status = 503);
  void rate_limit_next_http(int count,
                            std::chrono::milliseconds reset_after = std::chrono::milliseconds(200));
  void drop_connections();
  void stall(std::chrono::milliseconds duration);
  void set_duplicate_pushes(bool enabled);
  void set_out_of_order(bool enabled);
  void send_malformed(Category category, int count);
  void set_malformed_http(int count);

  // --- observation ---
  // REST requests received, faulted and stalled ones included (WS handshakes excluded).
  int http_requests() const;
  // WebSocket handshakes completed since construction, private ones included.
  int ws_connections() const;
  // WebSocket connections open now, private ones included.
  int open_ws_connections() const;
  // {"op":"ping"} messages received on the public WebSockets, during a stall too.
  int pings_received() const;
  // Topics subscribed now over all clients of the category, sorted, without duplicates.
  std::vector<std::string> subscriptions(Category category) const;
  // Blocks until some client of the category is subscribed to `topic`; false on timeout.
  bool wait_for_subscription(Category category, const std::string& topic,
                             std::chrono::milliseconds timeout);
  // Blocks until ws_connections() >= count; false on timeout.
  bool wait_for_ws_connections(int count, std::chrono::milliseconds timeout);
  // Blocks until http_requests() >= count; false on timeout.
  bool wait_for_http_requests(int count, std::chrono::milliseconds timeout);

 private:
  std::string host_in_url_;
  std::unique_ptr<internal::Server> server_;
};

}  // namespace gauntlet::venues::bybit
