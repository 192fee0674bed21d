// Error normalisation and the retry backoff shared by every broker.
#include "brokers/common/broker_errors.hpp"

#include <gtest/gtest.h>

#include <type_traits>
#include <vector>

#include "brokers/common/broker.hpp"

namespace gauntlet::brokers {
namespace {

// The golden rules by construction: outside OrderRouter no RouterKey can be made, so nothing
// else can call submit/cancel/amend; outside SlTpManager no ProtectionKey.
static_assert(!std::is_default_constructible_v<RouterKey>);
static_assert(!std::is_default_constructible_v<ProtectionKey>);

TEST(BrokerErrors, BybitCodesMapToWhatTheCallerMustDo) {
  const std::vector<int> critical = {10003, 10004, 10005, 10010};
  EXPECT_EQ(bybit_failure(10006, "Too many visits").error_class, ErrorClass::kRetryable);
  EXPECT_EQ(bybit_failure(10002, "recv_window").error_class, ErrorClass::kRetryable);
  EXPECT_EQ(bybit_failure(110079, "processing").error_class, ErrorClass::kRetryable);
  EXPECT_EQ(bybit_failure(110072, "duplicate").error_class, ErrorClass::kDuplicate);
  EXPECT_EQ(bybit_failure(170141, "duplicate").error_class, ErrorClass::kDuplicate);
  EXPECT_EQ(bybit_failure(34040, "not modified").error_class, ErrorClass::kNoChange);
  EXPECT_EQ(bybit_failure(110007, "balance").error_class, ErrorClass::kRejected);
  EXPECT_EQ(bybit_failure(123456, "never seen").error_class, ErrorClass::kRejected);
  const BrokerFailure key = bybit_failure(10003, "invalid api key", critical);
  EXPECT_EQ(key.error_class, ErrorClass::kFatal);
  EXPECT_TRUE(key.critical);
  EXPECT_FALSE(bybit_failure(10006, "", critical).critical);
  EXPECT_EQ(key.message, "invalid api key");
}

TEST(BrokerErrors, HttpTransportAndIbkrCodes) {
  EXPECT_TRUE(http_failure(429, "").retryable());
  EXPECT_TRUE(http_failure(503, "").retryable());
  EXPECT_EQ(http_failure(403, "ip ban").retry_after, 10 * kMinuteMs);
  EXPECT_EQ(http_failure(401, "").error_class, ErrorClass::kFatal);
  EXPECT_EQ(http_failure(400, "").error_class, ErrorClass::kRejected);
  EXPECT_TRUE(transport_failure("reset").retryable());
  EXPECT_EQ(transport_failure("reset").code, -1);
  const std::vector<int> critical = {326, 502, 504, 1100, 2110};
  EXPECT_EQ(ibkr_failure(103, "duplicate order id").error_class, ErrorClass::kDuplicate);
  EXPECT_EQ(ibkr_failure(201, "rejected").error_class, ErrorClass::kRejected);
  const BrokerFailure lost = ibkr_failure(1100, "connectivity lost", critical);
  EXPECT_TRUE(lost.retryable());
  EXPECT_TRUE(lost.critical);
  EXPECT_EQ(ibkr_failure(326, "client id in use", critical).error_class, ErrorClass::kFatal);
}

TEST(Backoff, GrowsExponentiallyWithJitterCapsAndStops) {
  RetryPolicy policy;
  policy.max_attempts = 5;
  policy.initial_delay = 200;
  policy.multiplier = 2;
  policy.max_delay = 1000;
  policy.jitter = 0.2;
  Backoff backoff(policy, 7);
  const BrokerFailure busy = bybit_failure(10016, "server error");
  const double bases[] = {200, 400, 800, 1000};  // the fourth is capped
  for (double base : bases) {
    const auto delay = backoff.next(busy);
    ASSERT_TRUE(delay);
    EXPECT_GE(*delay, base * 0.8);
    EXPECT_LE(*delay, base * 1.2);
  }
  EXPECT_FALSE(backoff.next(busy)) << "five attempts in all";
  EXPECT_EQ(backoff.attempts(), 5);

  Backoff other(policy, 7);
  EXPECT_FALSE(other.next(bybit_failure(110007, "balance"))) << "a refusal is not retried";
  BrokerFailure limited = bybit_failure(10006, "rate limit");
  limited.retry_after = 5000;
  EXPECT_EQ(other.next(limited), 5000) << "the venue's reset time wins when longer";
  // Same seed, same delays: deterministic in backtests.
  Backoff a(policy, 42), b(policy, 42);
  EXPECT_EQ(a.next(busy), b.next(busy));
}

}  // namespace
}  // namespace gauntlet::brokers
