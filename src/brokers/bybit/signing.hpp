// File: brokers/bybit/signing.hpp
//
// Bybit V5 request authentication (../shared/reference/bybit-v5.md §2, §8), one implementation
// for both ends: the private REST and WebSocket clients sign with it, and the local venue
// (venues/bybit) verifies with it.
//   REST:  X-BAPI-SIGN = hex(HMAC-SHA256(secret, timestamp + api_key + recv_window + payload)),
//          payload = the exact query string sent after '?' (GET) or the exact body bytes (POST);
//          the venue accepts server_time - recv_window <= timestamp < server_time + 1000,
//          otherwise retCode 10002.
//   WS:    {"op":"auth","args":[api_key, expires, hex(HMAC-SHA256(secret, "GET/realtime" +
//          expires))]}, expires in ms and in the future.
// Signatures are lowercase hex (64 characters); comparisons take constant time.
//
// Threading: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/time.hpp"

namespace gauntlet::brokers::bybit {

// Bybit's default and the value the clients send.
inline constexpr DurationMs kDefaultRecvWindow = 5'000;
// How far ahead of the server's clock a request's timestamp may be.
inline constexpr DurationMs kMaxClockAhead = 1'000;

struct ApiCredentials {
  std::string key;
  std::string secret;

  bool empty() const { return key.empty() || secret.empty(); }
};

// Lowercase hex of HMAC-SHA256(secret, message).
std::string hmac_sha256_hex(std::string_view secret, std::string_view message);

// The REST string to sign: timestamp + api_key + recv_window + payload, no separators.
std::string rest_sign_text(TimestampMs timestamp, std::string_view api_key, DurationMs recv_window,
                           std::string_view payload);
// X-BAPI-SIGN of a request whose query string (GET) or body (POST) is `payload`.
std::string sign_rest(const ApiCredentials& credentials, TimestampMs timestamp,
                      DurationMs recv_window, std::string_view payload);
// The signature of the private WebSocket's auth op.
std::string sign_ws_auth(std::string_view secret, TimestampMs expires);

// `params` as a query string, in the order given: key=value joined by '&', values
// percent-encoded except RFC 3986's unreserved characters. The client signs and sends exactly
// this string.
std::string encode_query(const std::vector<std::pair<std::string, std::string>>& params);

// Whether two hex signatures are equal, ignoring case, in time independent of where they
// differ.
bool signature_equal(std::string_view expected, std::string_view given);

// Bybit's acceptance window for a signed request's timestamp.
bool timestamp_accepted(TimestampMs server_time, TimestampMs timestamp, DurationMs recv_window);

}  // namespace gauntlet::brokers::bybit
