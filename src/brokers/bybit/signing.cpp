// File: brokers/bybit/signing.cpp
#include "brokers/bybit/signing.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cctype>

#include "core/check.hpp"

namespace gauntlet::brokers::bybit {
namespace {

constexpr std::string_view kHex = "0123456789abcdef";

bool unreserved(unsigned char c) {
  return std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~';
}

}  // namespace

std::string hmac_sha256_hex(std::string_view secret, std::string_view message) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  const unsigned char* result = HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
                                     reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), digest.data(), &length);
  GAUNTLET_CHECK(result != nullptr && length == 32, "HMAC-SHA256 failed");
  std::string hex(2 * length, '0');
  for (unsigned int i = 0; i < length; ++i) {
    hex[2 * i] = kHex[digest[i] >> 4];
    hex[2 * i + 1] = kHex[digest[i] & 0x0f];
  }
  return hex;
}

std::string rest_sign_text(TimestampMs timestamp, std::string_view api_key, DurationMs recv_window,
                           std::string_view payload) {
  std::string text = std::to_string(timestamp);
  text += api_key;
  text += std::to_string(recv_window);
  text += payload;
  return text;
}

std::string sign_rest(const ApiCredentials& credentials, TimestampMs timestamp,
                      DurationMs recv_window, std::string_view payload) {
  return hmac_sha256_hex(credentials.secret,
                         rest_sign_text(timestamp, credentials.key, recv_window, payload));
}

std::string sign_ws_auth(std::string_view secret, TimestampMs expires) {
  return hmac_sha256_hex(secret, "GET/realtime" + std::to_string(expires));
}

std::string encode_query(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string query;
  for (const auto& [key, value] : params) {
    if (!query.empty()) query += '&';
    query += key;
    query += '=';
    for (const char ch : value) {
      const auto c = static_cast<unsigned char>(ch);
      if (unreserved(c)) {
        query += ch;
      } else {
        query += '%';
        query += static_cast<char>(std::toupper(kHex[c >> 4]));
        query += static_cast<char>(std::toupper(kHex[c & 0x0f]));
      }
    }
  }
  return query;
}

bool signature_equal(std::string_view expected, std::string_view given) {
  if (expected.size() != given.size()) return false;
  unsigned char difference = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    difference |= static_cast<unsigned char>(std::tolower(static_cast<unsigned char>(expected[i])) ^
                                             std::tolower(static_cast<unsigned char>(given[i])));
  }
  return difference == 0;
}

bool timestamp_accepted(TimestampMs server_time, TimestampMs timestamp, DurationMs recv_window) {
  return server_time - recv_window <= timestamp && timestamp < server_time + kMaxClockAhead;
}

}  // namespace gauntlet::brokers::bybit
