// File: venues/bybit/internal/rest_routes.hpp
//
// answer_rest_request(): VenueServer's REST side without the network: one request in, the
// reply out, after the pending faults of ServerState had their turn. The public endpoints and
// what they answer are listed in venues/bybit/venue_server.hpp; every other method and path
// goes to the PrivateApi when there is one.
//
// Threading: safe from any thread (ServerState locks); the server calls it on its I/O thread,
// the only thread a PrivateApi is called on.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "venues/bybit/internal/server_state.hpp"
#include "venues/bybit/venue_server.hpp"

namespace gauntlet::venues::bybit::internal {

struct RestReply {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Stalled: the request gets no answer at all.
  bool never_answer = false;
  // X-Bapi-Limit, X-Bapi-Limit-Status, X-Bapi-Limit-Reset-Timestamp on every reply, and the
  // PrivateApi's extra headers.
  std::vector<HttpHeader> headers;
};

// Counts the request, applies the fault it meets, else answers it from the market data or, for
// a method and path the public routes do not serve, from `private_api` (null: none, 404).
RestReply answer_rest_request(ServerState& state, const RestRequest& request,
                              PrivateApi* private_api);

// A query string's parameters, form-decoded ("%3D" -> "=", "+" -> " "; a bad escape stays); a
// key without '=' has an empty value.
using Query = std::map<std::string, std::string, std::less<>>;
Query parse_query(std::string_view query);

}  // namespace gauntlet::venues::bybit::internal
