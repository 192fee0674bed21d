// File: venues/bybit/internal/fault_control.hpp
//
// The local Bybit's control route: the faults of venue_server.hpp, switched at run time by
// whoever holds the venue's control token (`gauntlet venue bybit` prints it), over HTTP on the
// venue's own port:
//   GET  /venue/faults  the faults still pending and the switches, as JSON (the body of a
//                       POST's answer too)
//   POST /venue/faults  a JSON object of what to inject now; every key is optional:
//     {"http_errors":      {"count": 3, "status": 503},   the next 3 REST requests get HTTP 503
//      "rate_limit":       {"count": 30, "reset_ms": 500}, the next 30 get retCode 10006
//      "malformed_http":   2,                              the next 2 get an unusable body
//      "stall_ms":         5000,                           nothing answers for 5 s
//      "drop_connections": true,                           every connection reset (after this
//                                                          answer is written)
//      "duplicate_pushes": true,                           public pushes sent twice
//      "out_of_order":     false,                          public pushes swapped in pairs
//      "malformed_frames": {"category": "linear", "count": 3}}  frames no client can use
//   The whole body is checked before anything is applied: an unknown key or a bad value is
//   HTTP 400 naming it, and nothing changes. A count of 0 clears that fault, stall_ms 0 ends a
//   stall.
// Every request carries the token in X-Venue-Token: without it, or with another, HTTP 401.
// Control requests meet no fault, are answered during a stall and are not counted as REST
// requests (VenueServer::http_requests()).
//
// Threading: pure functions; the server calls them on its I/O thread.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "venues/bybit/internal/server_state.hpp"

namespace gauntlet::venues::bybit::internal {

inline constexpr std::string_view kControlPrefix = "/venue/";
inline constexpr std::string_view kFaultsPath = "/venue/faults";
inline constexpr std::string_view kControlTokenHeader = "X-Venue-Token";

// What a POST /venue/faults asks for; an unset member leaves that fault as it is.
struct FaultCommand {
  std::optional<std::pair<int, int>> http_errors;        // count, HTTP status
  std::optional<std::pair<int, DurationMs>> rate_limit;  // count, reset after (ms)
  std::optional<int> malformed_http;
  std::optional<DurationMs> stall_ms;
  bool drop_connections = false;
  std::optional<bool> duplicate_pushes;
  std::optional<bool> out_of_order;
  std::optional<std::pair<Category, int>> malformed_frames;
};

// The command of a POST body, or the reason it is refused (naming the key).
std::variant<FaultCommand, std::string> parse_fault_command(std::string_view body);

// The answer of GET /venue/faults.
struct FaultSwitches {
  bool duplicate_pushes = false;
  bool out_of_order = false;
};
nlohmann::json fault_status(const PendingFaults& pending, const FaultSwitches& switches,
                            int http_requests, int open_ws_connections);

// Compares the token in constant time (a wrong guess learns nothing from the timing).
bool control_token_matches(std::string_view expected, std::string_view given);

}  // namespace gauntlet::venues::bybit::internal
