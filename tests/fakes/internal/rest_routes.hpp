// File: tests/fakes/internal/rest_routes.hpp
//
// answer_rest_request(): FakeBybit's REST side without the network: one request line in, the
// reply out, after the pending faults of ServerState had their turn. The endpoints and what
// they answer are listed in fakes/fake_bybit.hpp.
//
// Threading: safe from any thread (ServerState locks).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fakes/internal/server_state.hpp"

namespace gauntlet::testing::fakes::internal {

struct RestReply {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Stalled: the request gets no answer at all.
  bool never_answer = false;
  // X-Bapi-Limit, X-Bapi-Limit-Status, X-Bapi-Limit-Reset-Timestamp, on every reply.
  std::vector<std::pair<std::string, std::string>> headers;
};

// Counts the request, applies the fault it meets, else answers it from the market data.
// `target` is the request target: path and query ("/v5/market/kline?category=linear&...").
RestReply answer_rest_request(ServerState& state, std::string_view method, std::string_view target);

}  // namespace gauntlet::testing::fakes::internal
