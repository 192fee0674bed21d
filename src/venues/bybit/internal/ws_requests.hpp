// File: venues/bybit/internal/ws_requests.hpp
//
// answer_ws_message(): VenueServer's handling of one message a public WebSocket client sends
// (subscribe, unsubscribe, ping), without the network: what to change in the session's
// subscriptions and the reply in Bybit's shape (ws_subscription_ack.json,
// ws_subscription_failure.json, the pongs of the V5 docs).
//
// Threading: a pure function.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "venues/bybit/venue_server.hpp"

namespace gauntlet::venues::bybit::internal {

struct WsAnswer {
  bool is_ping = false;
  std::vector<std::string> subscribe;    // topics the session gains
  std::vector<std::string> unsubscribe;  // topics the session loses
  std::optional<std::string> reply;
};

// `subscribed` is what the session is subscribed to before this message.
WsAnswer answer_ws_message(Category category, std::string_view text,
                           const std::set<std::string>& subscribed, std::string_view conn_id);

}  // namespace gauntlet::venues::bybit::internal
