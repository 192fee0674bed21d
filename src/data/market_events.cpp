#include "data/market_events.hpp"

#include <array>

namespace gauntlet::data {
namespace {

constexpr std::array<std::string_view, 3> kFeedNames = {"replay", "simulated", "live"};

}  // namespace

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
