#include "data/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace gauntlet::data {

TokenBucket::TokenBucket(RateLimit limit, TimestampMs now)
    : limit_(limit), tokens_(limit.burst), updated_(now) {}

void TokenBucket::refill(TimestampMs now) {
  if (now > updated_) {
    tokens_ = std::min(limit_.burst, tokens_ + (now - updated_) * limit_.per_second / 1000.0);
    updated_ = now;
  }
}

double TokenBucket::tokens(TimestampMs now) const {
  TokenBucket copy = *this;
  copy.refill(now);
  return now < blocked_until_ ? 0.0 : copy.tokens_;
}

bool TokenBucket::try_acquire(TimestampMs now) {
  refill(now);
  if (now < blocked_until_ || tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

TimestampMs TokenBucket::next_available(TimestampMs now) const {
  TokenBucket copy = *this;
  copy.refill(now);
  TimestampMs at = std::max(now, blocked_until_);
  if (copy.tokens_ < 1.0) {
    const auto wait =
        static_cast<DurationMs>(std::ceil((1.0 - copy.tokens_) * 1000.0 / limit_.per_second));
    at = std::max(at, now + wait);
  }
  return at;
}

void TokenBucket::apply_venue_status(int remaining, TimestampMs reset_at, TimestampMs now) {
  refill(now);
  if (remaining <= 0) {
    block_until(reset_at);
    tokens_ = 0.0;
    return;
  }
  tokens_ = std::min(tokens_, static_cast<double>(remaining));
}

void TokenBucket::block_until(TimestampMs until) {
  blocked_until_ = std::max(blocked_until_, until);
}

RateLimiter::RateLimiter(const Clock& clock, RateLimit fallback)
    : clock_(clock), fallback_(fallback) {}

void RateLimiter::configure(const std::string& endpoint, RateLimit limit) {
  limits_[endpoint] = limit;
  buckets_.erase(endpoint);
}

TokenBucket& RateLimiter::bucket(const std::string& endpoint) {
  auto found = buckets_.find(endpoint);
  if (found == buckets_.end()) {
    const auto limit = limits_.find(endpoint);
    found = buckets_
                .emplace(endpoint, TokenBucket(limit == limits_.end() ? fallback_ : limit->second,
                                               clock_.now_ms()))
                .first;
  }
  return found->second;
}

bool RateLimiter::try_acquire(const std::string& endpoint) {
  return bucket(endpoint).try_acquire(clock_.now_ms());
}

TimestampMs RateLimiter::next_available(const std::string& endpoint) {
  return bucket(endpoint).next_available(clock_.now_ms());
}

void RateLimiter::on_response(const std::string& endpoint, int remaining, TimestampMs reset_at) {
  bucket(endpoint).apply_venue_status(remaining, reset_at, clock_.now_ms());
}

void RateLimiter::on_rate_limited(const std::string& endpoint, std::optional<TimestampMs> reset_at,
                                  DurationMs penalty) {
  const TimestampMs now = clock_.now_ms();
  bucket(endpoint).apply_venue_status(0, reset_at && *reset_at > now ? *reset_at : now + penalty,
                                      now);
}

}  // namespace gauntlet::data
