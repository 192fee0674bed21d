// File: venues/bybit/private_api.hpp
//
// ExchangeApi: the local Bybit's private API on the wire, the VenueServer's PrivateApi over an
// Exchange. It authenticates every request exactly as Bybit does (brokers/bybit/signing.hpp):
//   REST  X-BAPI-API-KEY, X-BAPI-TIMESTAMP, X-BAPI-SIGN (and X-BAPI-RECV-WINDOW, default
//         5000) on every private path; a missing header is HTTP 401 with retCode 10003; an
//         unknown key 10003, a wrong signature 10004, a timestamp outside
//         [server - recv_window, server + 1000) 10002 with Bybit's message; then each
//         key's requests per endpoint (and category) are held to Bybit's per-second limits
//         (bybit-v5.md §7: order/create 10/s linear, 20/s spot ...; the table the engine's
//         request budget uses): over the limit is retCode 10006 "Too many visits", and every
//         answer carries that endpoint's X-Bapi-Limit, X-Bapi-Limit-Status and
//         X-Bapi-Limit-Reset-Timestamp; then the Exchange answers in Bybit's envelope
//         {retCode, retMsg, result, retExtInfo, time}.
//   WS    /v5/private: {"op":"auth","args":[key, expires, signature]} (expires in the future,
//         signature over "GET/realtime" + expires), then subscribe to order, execution,
//         position, wallet (or their .spot/.linear forms); ping answered with Bybit's private
//         pong. Every message before a successful auth but ping is refused; a frame that is not
//         a JSON object with an op is answered with success false and counted.
//   WS    /v5/trade: the same auth, then order entry: {"op": "order.create" | "order.amend" |
//         "order.cancel", "reqId": optional (at most 36 characters, unique per connection, else
//         20006), "header": {"X-BAPI-TIMESTAMP", "X-BAPI-RECV-WINDOW"} (10002 outside the
//         window, as REST), "args": [one order in the REST body's shape]}; held to the same
//         per-second limits as REST and answered {reqId, retCode, retMsg, op, data (the REST
//         result), retExtInfo, header (X-Bapi-Limit*, Traceid, Timenow), connId}.
// Server time is the wall clock (what /v5/market/time says); the market's own time stamps
// orders and fills (Exchange::now).
//
// Threading: handle_rest and open_session run on the server's I/O thread; the sessions'
// stream frames are queued from whichever thread the Exchange publishes on.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/time.hpp"
#include "venues/bybit/exchange.hpp"
#include "venues/bybit/venue_server.hpp"

namespace gauntlet::venues::bybit {

// A query string's parameters, form-decoded as the public routes decode them.
QueryParams decode_query(std::string_view query);

class ExchangeApi final : public PrivateApi, public std::enable_shared_from_this<ExchangeApi> {
 public:
  using WallClock = std::function<TimestampMs()>;

  // `exchange` must outlive this API and its sessions (a session keeps the API alive, hence
  // the factory). `now` defaults to the system clock.
  static std::shared_ptr<ExchangeApi> create(Exchange& exchange, WallClock now = {});

  std::optional<RestResponse> handle_rest(const RestRequest& request) override;
  // Off: no per-endpoint limit is enforced and the headers say the whole quota is left.
  void enforce_rate_limits(bool enabled) { enforce_limits_ = enabled; }
  std::unique_ptr<PrivateSession> open_session(std::string_view path, std::string_view query,
                                               SendFrame send) override;

  // Private frames that were not usable messages, and requests refused for authentication.
  uint64_t malformed_frames() const { return malformed_frames_.load(); }
  uint64_t refused_requests() const { return refused_requests_.load(); }

 private:
  class Session;
  ExchangeApi(Exchange& exchange, WallClock now);
  TimestampMs now() const;

  // Stamps the limit headers of `endpoint` for `key` on `response`; false (and a 10006 body)
  // when the key is over the endpoint's limit.
  bool within_limit(const std::string& key, const std::string& endpoint, bool get, TimestampMs now,
                    RestResponse& response);

  Exchange& exchange_;
  WallClock clock_;
  std::atomic<bool> enforce_limits_{true};
  // Per key and endpoint: the times of the requests in the last second (I/O thread only).
  std::map<std::pair<std::string, std::string>, std::deque<TimestampMs>> recent_;
  std::atomic<uint64_t> malformed_frames_{0};
  std::atomic<uint64_t> refused_requests_{0};
  std::atomic<uint64_t> connections_{0};
};

}  // namespace gauntlet::venues::bybit
