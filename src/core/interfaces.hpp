// File: core/interfaces.hpp
//
// The shared vocabulary of the seed's core/interfaces.py (v1.01): the asset domains, order
// enums, the paper SessionState record and the Bar. Every enum has a stable lower-case name
// (used in config, the store and the API) with to_string() and a *_from_string() that returns
// nullopt for an unknown name, so callers choose how to report it.
//
// Threading: plain value types.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/decimal.hpp"
#include "core/time.hpp"

namespace gauntlet {

// The four trading domains; each has its own budget, risk band and live toggle.
enum class Asset { kSpot, kPerp, kForex, kOptions };
inline constexpr std::array<Asset, 4> kAllAssets = {Asset::kSpot, Asset::kPerp, Asset::kForex,
                                                    Asset::kOptions};

// Orders (asset, canonical symbol) pairs, std::pair<Asset, std::string>, and finds them by
// std::pair<Asset, std::string_view> too: a per-bar lookup copies no string.
struct AssetSymbolLess {
  using is_transparent = void;
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    if (a.first != b.first) return a.first < b.first;
    return std::string_view(a.second) < std::string_view(b.second);
  }
};

enum class OrderSide { kBuy, kSell };

enum class OrderType { kMarket, kLimit, kStopMarket, kStopLimit };

enum class TimeInForce {
  kGoodTillCancel,     // "gtc"
  kImmediateOrCancel,  // "ioc"
  kFillOrKill,         // "fok"
  kPostOnly,           // "post_only"
};

std::string_view to_string(Asset asset);
std::string_view to_string(OrderSide side);
std::string_view to_string(OrderType type);
std::string_view to_string(TimeInForce time_in_force);

std::optional<Asset> asset_from_string(std::string_view text);
std::optional<OrderSide> order_side_from_string(std::string_view text);
std::optional<OrderType> order_type_from_string(std::string_view text);
std::optional<TimeInForce> time_in_force_from_string(std::string_view text);

inline OrderSide opposite(OrderSide side) {
  return side == OrderSide::kBuy ? OrderSide::kSell : OrderSide::kBuy;
}

// A paper session (seed 001 §5.1): starts with the configured bankroll ($1,000), reward points
// reset to zero; an epoch is a stretch between two bankroll top-ups (§5.2).
struct SessionState {
  std::string session_id;
  TimestampMs started_at = 0;
  Decimal starting_equity;
  Decimal equity;
  int64_t epoch = 0;
  double reward_points = 0.0;
  bool active = false;

  friend bool operator==(const SessionState&, const SessionState&) = default;
};

// One OHLCV bar. open_time is the start of the interval (UTC ms); volume is in base units and
// turnover in quote units (Bybit's "turnover").
struct Bar {
  TimestampMs open_time = 0;
  Decimal open;
  Decimal high;
  Decimal low;
  Decimal close;
  Decimal volume;
  Decimal turnover;

  friend bool operator==(const Bar&, const Bar&) = default;
};

}  // namespace gauntlet
