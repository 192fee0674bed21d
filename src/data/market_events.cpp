#include "data/market_events.hpp"

#include <array>
#include <cstdint>

namespace gauntlet::data {
namespace {

constexpr std::array<std::string_view, 3> kFeedNames = {"replay", "simulated", "live"};

}  // namespace

Decimal saturated_sum(__int128 raw_sum) {
  return raw_sum > INT64_MAX ? Decimal::max() : Decimal::from_raw(static_cast<int64_t>(raw_sum));
}

std::string_view to_string(FeedKind feed) {
  return kFeedNames[static_cast<std::size_t>(feed)];
}

std::optional<FeedKind> feed_kind_from_string(std::string_view text) {
  for (std::size_t i = 0; i < kFeedNames.size(); ++i) {
    if (kFeedNames[i] == text) return static_cast<FeedKind>(i);
  }
  return std::nullopt;
}

}  // namespace gauntlet::data
