// File: brokers/common/broker_errors.hpp
//
// Error normalisation and retries for every broker (one policy, not one per adapter). A venue's
// own code (Bybit retCode, an HTTP status, an IBKR error code) becomes a BrokerFailure with an
// ErrorClass that tells the caller what to do:
//   kRetryable  transient (rate limit, server busy, clock skew, lost connection): send the same
//               request again, with the same client order id, after Backoff's delay;
//   kDuplicate  the venue already has this client order id: never resend, reconcile;
//   kNoChange   the venue is already in the requested state (Bybit 34040): a success;
//   kRejected   a business refusal for this request (balance, size, price): final;
//   kFatal      credentials, permissions, configuration: stop trading the asset.
// A code listed in CRITICAL_ERROR_CODES (config) is also `critical`: halt the asset and alert,
// whatever its class.
//
// Threading: plain functions and value types; a Backoff belongs to one request.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>

#include "core/time.hpp"

namespace gauntlet::brokers {

enum class ErrorClass { kRetryable, kDuplicate, kNoChange, kRejected, kFatal };

std::string_view to_string(ErrorClass error_class);

struct BrokerFailure {
  int code = 0;  // the venue's code; HTTP statuses as they are; -1 for a transport failure
  std::string message;
  ErrorClass error_class = ErrorClass::kRejected;
  bool critical = false;
  DurationMs retry_after = 0;  // the venue's own wait (rate-limit reset), 0 when it gave none

  bool retryable() const { return error_class == ErrorClass::kRetryable; }
  friend bool operator==(const BrokerFailure&, const BrokerFailure&) = default;
};

// Bybit V5 retCode (bybit-v5.md §7). Unknown codes are kRejected: resending an order whose
// fate is unknown risks a duplicate, so the caller reconciles instead.
BrokerFailure bybit_failure(int ret_code, std::string message,
                            std::span<const int> critical_codes = {});
// An HTTP status without a business code (403 IP ban, 429, 5xx are retryable).
BrokerFailure http_failure(int status, std::string message);
// A transport failure (timeout, reset, DNS): retryable, code -1.
BrokerFailure transport_failure(std::string message);
// IBKR ERR_MSG codes (ibkr.md §6).
BrokerFailure ibkr_failure(int error_code, std::string message,
                           std::span<const int> critical_codes = {});

// Exponential backoff with jitter: attempt n waits initial * multiplier^(n-1), capped, times a
// random factor in [1 - jitter, 1 + jitter]; a venue's retry_after wins when longer.
struct RetryPolicy {
  int max_attempts = 5;  // including the first
  DurationMs initial_delay = 200;
  double multiplier = 2.0;
  DurationMs max_delay = 10 * kSecondMs;
  double jitter = 0.2;
};

class Backoff {
 public:
  explicit Backoff(RetryPolicy policy = {}, uint64_t seed = 1);

  // The delay before the next attempt after `failure`, or none when the failure is not
  // retryable or the attempts are used up. Counts the attempt.
  std::optional<DurationMs> next(const BrokerFailure& failure);
  int attempts() const { return attempts_; }

 private:
  RetryPolicy policy_;
  std::mt19937_64 random_;
  int attempts_ = 1;  // the first attempt has been made when next() is first called
};

}  // namespace gauntlet::brokers
