#include "core/interfaces.hpp"

namespace gauntlet {
namespace {

constexpr std::array<std::string_view, 4> kAssetNames = {"spot", "perp", "forex", "options"};
constexpr std::array<std::string_view, 2> kSideNames = {"buy", "sell"};
constexpr std::array<std::string_view, 4> kTypeNames = {"market", "limit", "stop_market",
                                                        "stop_limit"};
constexpr std::array<std::string_view, 4> kTimeInForceNames = {"gtc", "ioc", "fok", "post_only"};

template <typename Enum, std::size_t N>
std::optional<Enum> lookup(const std::array<std::string_view, N>& names, std::string_view text) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == text) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(Asset asset) {
  return kAssetNames[static_cast<std::size_t>(asset)];
}
std::string_view to_string(OrderSide side) {
  return kSideNames[static_cast<std::size_t>(side)];
}
std::string_view to_string(OrderType type) {
  return kTypeNames[static_cast<std::size_t>(type)];
}
std::string_view to_string(TimeInForce time_in_force) {
  return kTimeInForceNames[static_cast<std::size_t>(time_in_force)];
}

std::optional<Asset> asset_from_string(std::string_view text) {
  return lookup<Asset>(kAssetNames, text);
}
std::optional<OrderSide> order_side_from_string(std::string_view text) {
  return lookup<OrderSide>(kSideNames, text);
}
std::optional<OrderType> order_type_from_string(std::string_view text) {
  return lookup<OrderType>(kTypeNames, text);
}
std::optional<TimeInForce> time_in_force_from_string(std::string_view text) {
  return lookup<TimeInForce>(kTimeInForceNames, text);
}

}  // namespace gauntlet
