// File: tests/fakes/fake_bybit.hpp
//
// FakeBybit: a real Bybit V5 public server on 127.0.0.1 for tests of the Bybit clients. It
// speaks HTTP/1.1 (keep-alive) and WebSocket on one ephemeral port, serves the public market
// endpoints and topics in Bybit's exact shapes (docs: ../shared/reference/bybit-v5.md; samples:
// ../shared/data/fixtures/bybit/) from the data a test gives it, and injects the faults a live
// venue shows: 5xx, rate limits, malformed bodies and frames, dropped and stalled connections,
// duplicate and out-of-order pushes.
//
// REST (GET only; every response carries X-Bapi-Limit, X-Bapi-Limit-Status and
// X-Bapi-Limit-Reset-Timestamp):
//   /v5/market/kline            category (default linear), symbol, interval (1 3 5 15 30 60 240 D),
//                               start, end (ms, inclusive), limit (1..1000, default 200, larger
//                               values are clamped): the newest `limit` bars in [start, end],
//                               newest first, each [startTime, open, high, low, close, volume,
//                               turnover] as strings. A symbol with no klines, instrument or
//                               ticker is retCode 10001 "Not supported symbols"; a bad parameter
//                               is 10001 too; both with HTTP 200.
//   /v5/market/instruments-info category (spot|linear, required), symbol, limit (1..1000,
//                               default 500), cursor: linear pages with nextPageCursor ("" on
//                               the last page); spot returns every instrument in one page.
//   /v5/market/tickers          category (required), symbol (unknown: retCode 10001).
//   /v5/market/time             timeSecond, timeNano.
//   anything else               HTTP 404 with retCode 10017 "route not found".
// WebSocket on /v5/public/spot and /v5/public/linear: subscribe, unsubscribe and ping as
// Bybit answers them (spot acks say "subscribe" in ret_msg; spot pongs carry req_id only when
// the ping had one, linear pongs always). Accepted topics: kline.<interval>.<SYMBOL> (Bybit's
// intervals), tickers.<SYMBOL>, orderbook.<1|50|200|1000>.<SYMBOL>, publicTrade.<SYMBOL>. A
// subscribe with a malformed or already subscribed topic is acked with success false and the
// reason in ret_msg; its other topics are subscribed.
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
//   set_duplicate_pushes(true) every push_kline/push_raw is sent twice in a row.
//   set_out_of_order(true)     pushes of a category are held one at a time and released in
//                              swapped pairs: A B C D go out as B A D C; turning it off releases
//                              a held push.
//   send_malformed(c, n)       n text frames that are not usable messages (truncated JSON, wrong
//                              types, garbage, wrong structure, not an object, empty) to every
//                              WS client of c; those shaped like a push name the first topic
//                              (sorted) the client subscribed to. Garbage is valid UTF-8, so it
//                              reaches the client's parser rather than failing the WS layer.
// Malformed bodies and frames never carry a usable bar, so a client that survives the faults
// loses nothing that REST history and the following pushes do not give back.
//
// Threading: every public method may be called from any thread except the fake's own I/O thread
// (tests call them from the test thread). Methods that touch connections (push_*, drop_*,
// send_malformed, set_duplicate_pushes, set_out_of_order) return once the I/O thread has done
// the work, so a frame pushed before drop_connections() is queued before the drop. The
// destructor resets every connection, stalled ones included, and joins the I/O thread.
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/interfaces.hpp"
#include "core/time.hpp"

namespace gauntlet::testing::fakes {

enum class Category { kSpot, kLinear };

// "spot", "linear": the `category` parameter and the WebSocket path segment.
std::string_view to_string(Category category);

namespace internal {
class Server;
}  // namespace internal

class FakeBybit {
 public:
  // Listens on 127.0.0.1 with an ephemeral port and runs its own io_context on its own thread.
  FakeBybit();
  // Resets every connection (stalled ones too) and joins the I/O thread.
  ~FakeBybit();
  FakeBybit(const FakeBybit&) = delete;
  FakeBybit& operator=(const FakeBybit&) = delete;

  unsigned short port() const;
  // "http://127.0.0.1:<port>"
  std::string rest_url() const;
  // "ws://127.0.0.1:<port>/v5/public/spot" or ".../linear"
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
  // Sends `frame` as a text frame to every WS client of the category, subscribed or not.
  void push_raw(Category category, std::string frame);

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
  // WebSocket handshakes completed since construction.
  int ws_connections() const;
  // WebSocket connections open now.
  int open_ws_connections() const;
  // {"op":"ping"} messages received, during a stall too.
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
  std::unique_ptr<internal::Server> server_;
};

}  // namespace gauntlet::testing::fakes
