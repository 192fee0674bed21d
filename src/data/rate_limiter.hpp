// File: data/rate_limiter.hpp
//
// Rate-limit safety for venue endpoints (seed 001 §2.1): a token bucket per endpoint
// ("bybit:/v5/market/kline"), refilled continuously at the configured rate up to its burst.
// The venue's own view wins whenever it is stricter: Bybit answers every call with
// X-Bapi-Limit (quota), X-Bapi-Limit-Status (remaining) and X-Bapi-Limit-Reset-Timestamp, and
// on_response() caps the tokens at what remains and, at zero, blocks until the reset; a
// rate-limit error (retCode 10006, HTTP 429/403) blocks the endpoint until the reset it names
// (or a configured penalty). Time comes from the Clock, so backtests and tests are exact.
//
// Threading: used on the core loop thread only.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/time.hpp"

namespace gauntlet::data {

struct RateLimit {
  double per_second = 10.0;
  double burst = 10.0;
};

class TokenBucket {
 public:
  TokenBucket(RateLimit limit, TimestampMs now);

  // Takes a token when one is available at `now`.
  bool try_acquire(TimestampMs now);
  // The earliest time a token is available (`now` when one is).
  TimestampMs next_available(TimestampMs now) const;
  // The venue says `remaining` calls are left until `reset_at`.
  void apply_venue_status(int remaining, TimestampMs reset_at, TimestampMs now);
  // No call before `until`.
  void block_until(TimestampMs until);
  double tokens(TimestampMs now) const;

 private:
  void refill(TimestampMs now);

  RateLimit limit_;
  double tokens_;
  TimestampMs updated_;
  TimestampMs blocked_until_ = INT64_MIN;
};

class RateLimiter {
 public:
  explicit RateLimiter(const Clock& clock, RateLimit fallback = {});

  // Sets the limit of one endpoint; unconfigured endpoints use the fallback.
  void configure(const std::string& endpoint, RateLimit limit);
  bool try_acquire(const std::string& endpoint);
  TimestampMs next_available(const std::string& endpoint);
  // The venue's limit headers of a response (Bybit: X-Bapi-Limit-Status and -Reset-Timestamp).
  void on_response(const std::string& endpoint, int remaining, TimestampMs reset_at);
  // A rate-limit error: nothing until `reset_at`, or `penalty` from now when the venue named no
  // reset.
  void on_rate_limited(const std::string& endpoint, std::optional<TimestampMs> reset_at,
                       DurationMs penalty = kSecondMs);

 private:
  TokenBucket& bucket(const std::string& endpoint);

  const Clock& clock_;
  RateLimit fallback_;
  std::map<std::string, RateLimit, std::less<>> limits_;
  std::map<std::string, TokenBucket, std::less<>> buckets_;
};

}  // namespace gauntlet::data
