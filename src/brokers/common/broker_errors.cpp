#include "brokers/common/broker_errors.hpp"

#include <algorithm>
#include <cmath>

namespace gauntlet::brokers {
namespace {

bool listed(std::span<const int> codes, int code) {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

BrokerFailure make(int code, std::string message, ErrorClass error_class,
                   std::span<const int> critical_codes) {
  BrokerFailure failure;
  failure.code = code;
  failure.message = std::move(message);
  failure.error_class = error_class;
  failure.critical = listed(critical_codes, code);
  return failure;
}

}  // namespace

std::string_view to_string(ErrorClass error_class) {
  switch (error_class) {
    case ErrorClass::kRetryable:
      return "retryable";
    case ErrorClass::kDuplicate:
      return "duplicate";
    case ErrorClass::kNoChange:
      return "no_change";
    case ErrorClass::kRejected:
      return "rejected";
    case ErrorClass::kFatal:
      return "fatal";
  }
  return "unknown";
}

BrokerFailure bybit_failure(int ret_code, std::string message,
                            std::span<const int> critical_codes) {
  ErrorClass error_class = ErrorClass::kRejected;
  switch (ret_code) {
    case 10002:   // timestamp outside recv_window: re-sync the clock and retry
    case 10006:   // rate limit exceeded
    case 10016:   // server error / restarting
    case 110079:  // order being processed, retry later
      error_class = ErrorClass::kRetryable;
      break;
    case 110072:  // duplicate orderLinkId (derivatives)
    case 170141:  // duplicate clientOrderId (spot)
      error_class = ErrorClass::kDuplicate;
      break;
    case 34040:  // TP/SL not modified: already set
      error_class = ErrorClass::kNoChange;
      break;
    case 10003:  // invalid API key / wrong environment
    case 10004:  // signature error
    case 10005:  // permission denied
    case 10010:  // IP not whitelisted
    case 10017:  // route not found
      error_class = ErrorClass::kFatal;
      break;
    default:  // 110001 no such order, 1100xx balance/size/price, 1701xx spot refusals, unknown
      error_class = ErrorClass::kRejected;
  }
  return make(ret_code, std::move(message), error_class, critical_codes);
}

BrokerFailure http_failure(int status, std::string message) {
  const bool retryable = status == 403 || status == 429 || status >= 500 || status == 408;
  const ErrorClass error_class =
      retryable ? ErrorClass::kRetryable
                : (status == 401 || status == 404 ? ErrorClass::kFatal : ErrorClass::kRejected);
  BrokerFailure failure = make(status, std::move(message), error_class, {});
  if (status == 403) failure.retry_after = 10 * kMinuteMs;  // Bybit's IP ban: wait >= 10 min
  return failure;
}

BrokerFailure transport_failure(std::string message) {
  return make(-1, std::move(message), ErrorClass::kRetryable, {});
}

BrokerFailure ibkr_failure(int error_code, std::string message,
                           std::span<const int> critical_codes) {
  ErrorClass error_class = ErrorClass::kRejected;
  switch (error_code) {
    case 100:   // pacing violation
    case 502:   // cannot connect to TWS
    case 504:   // not connected
    case 1100:  // connectivity between IB and TWS lost
    case 2110:  // connectivity between TWS and server broken
      error_class = ErrorClass::kRetryable;
      break;
    case 103:  // duplicate order id
      error_class = ErrorClass::kDuplicate;
      break;
    case 326:  // client id already in use
      error_class = ErrorClass::kFatal;
      break;
    default:  // 110 tick, 201 rejected, 202 cancelled, ...
      error_class = ErrorClass::kRejected;
  }
  return make(error_code, std::move(message), error_class, critical_codes);
}

Backoff::Backoff(RetryPolicy policy, uint64_t seed) : policy_(policy), random_(seed) {}

std::optional<DurationMs> Backoff::next(const BrokerFailure& failure) {
  if (!failure.retryable() || attempts_ >= policy_.max_attempts) return std::nullopt;
  const double base = static_cast<double>(policy_.initial_delay) *
                      std::pow(policy_.multiplier, static_cast<double>(attempts_ - 1));
  const double capped = std::min(base, static_cast<double>(policy_.max_delay));
  std::uniform_real_distribution<double> factor(1.0 - policy_.jitter, 1.0 + policy_.jitter);
  const auto delay = static_cast<DurationMs>(std::llround(capped * factor(random_)));
  ++attempts_;
  return std::max(delay, failure.retry_after);
}

}  // namespace gauntlet::brokers
