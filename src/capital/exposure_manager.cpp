#include "capital/exposure_manager.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string_view>

#include "core/check.hpp"
#include "core/exceptions.hpp"

namespace gauntlet::capital {

namespace {

std::size_t index_of(Asset asset) {
  return static_cast<std::size_t>(asset);
}

void validate(const config::ExposureCaps& caps) {
  std::vector<std::string> problems;
  const auto is_fraction = [](double x) { return std::isfinite(x) && x >= 0.0 && x <= 1.0; };
  if (caps.max_concurrent_total < 1) {
    problems.push_back(
        fmt::format("exposure_caps.max_concurrent_total: must be at least 1 (got {})",
                    caps.max_concurrent_total));
  }
  if (caps.correlation_window_bars < 1) {
    problems.push_back(
        fmt::format("exposure_caps.correlation_window_bars: must be at least 1 (got {})",
                    caps.correlation_window_bars));
  }
  if (!is_fraction(caps.max_correlation)) {
    problems.push_back(
        fmt::format("exposure_caps.max_correlation: must be a fraction in [0, 1] (got {})",
                    caps.max_correlation));
  }
  for (const config::Cluster& cluster : caps.clusters) {
    if (cluster.max_concurrent < 1) {
      problems.push_back(
          fmt::format("exposure_caps.clusters.{}.max_concurrent: must be at least 1 (got {})",
                      cluster.name, cluster.max_concurrent));
    }
    if (!is_fraction(cluster.max_allocation_fraction)) {
      problems.push_back(
          fmt::format("exposure_caps.clusters.{}.max_allocation_fraction: must be a fraction in "
                      "[0, 1] (got {})",
                      cluster.name, cluster.max_allocation_fraction));
    }
  }
  if (!problems.empty()) throw ConfigError(std::move(problems));
}

// True when every value of the window is the same: the series has no variance.
bool is_constant(const std::deque<double>& values, std::size_t first) {
  const auto [low, high] =
      std::minmax_element(values.begin() + static_cast<std::ptrdiff_t>(first), values.end());
  return *low == *high;
}

}  // namespace

ExposureManager::ExposureManager(const config::ExposureCaps& caps,
                                 const std::array<Decimal, kAllAssets.size()>& allocations) {
  for (Asset asset : kAllAssets) set_allocation(asset, allocations[index_of(asset)]);
  set_caps(caps);
}

void ExposureManager::set_caps(const config::ExposureCaps& caps) {
  validate(caps);
  caps_ = caps;
  const auto window = static_cast<std::size_t>(caps_.correlation_window_bars);
  for (auto& [symbol, series] : returns_) {
    while (series.size() > window) series.pop_front();
  }
}

void ExposureManager::set_allocation(Asset asset, Decimal allocation) {
  GAUNTLET_CHECK(!allocation.is_negative(), "allocation of {} must not be negative, was {}",
                 to_string(asset), allocation);
  allocations_[index_of(asset)] = allocation;
}

void ExposureManager::on_position_opened(Asset asset, const Symbol& symbol, OrderSide side,
                                         Decimal notional) {
  GAUNTLET_CHECK(!symbol.empty(), "an open position needs a symbol ({} {})", to_string(asset),
                 notional);
  GAUNTLET_CHECK(!notional.is_negative(), "notional of {} {} must not be negative, was {}",
                 to_string(asset), symbol.canonical(), notional);
  positions_[Key{asset, symbol}] = OpenPosition{side, notional};
}

bool ExposureManager::on_position_closed(Asset asset, const Symbol& symbol) {
  return positions_.erase(Key{asset, symbol}) > 0;
}

void ExposureManager::record_return(const Symbol& symbol, double bar_return) {
  GAUNTLET_CHECK(!symbol.empty(), "a return needs a symbol (return {})", bar_return);
  GAUNTLET_CHECK(std::isfinite(bar_return), "return of {} must be finite, was {}",
                 symbol.canonical(), bar_return);
  std::deque<double>& series = returns_[symbol];
  series.push_back(bar_return);
  const auto window = static_cast<std::size_t>(caps_.correlation_window_bars);
  while (series.size() > window) series.pop_front();
}

std::size_t ExposureManager::required_samples() const {
  const int required = std::min(kMinCorrelationSamples, caps_.correlation_window_bars);
  return static_cast<std::size_t>(std::max(required, 2));
}

std::optional<double> ExposureManager::correlation(const Symbol& a, const Symbol& b) const {
  if (a == b) return 1.0;
  const auto found_a = returns_.find(a);
  const auto found_b = returns_.find(b);
  if (found_a == returns_.end() || found_b == returns_.end()) return std::nullopt;
  const std::deque<double>& xs = found_a->second;
  const std::deque<double>& ys = found_b->second;
  const std::size_t n = std::min(xs.size(), ys.size());
  if (n < required_samples()) return std::nullopt;

  // Aligned at the most recent return: the last n of each series.
  const std::size_t first_x = xs.size() - n;
  const std::size_t first_y = ys.size() - n;
  if (is_constant(xs, first_x) || is_constant(ys, first_y)) return std::nullopt;

  double mean_x = 0.0;
  double mean_y = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    mean_x += xs[first_x + i];
    mean_y += ys[first_y + i];
  }
  mean_x /= static_cast<double>(n);
  mean_y /= static_cast<double>(n);
  double covariance = 0.0;
  double variance_x = 0.0;
  double variance_y = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double dx = xs[first_x + i] - mean_x;
    const double dy = ys[first_y + i] - mean_y;
    covariance += dx * dy;
    variance_x += dx * dx;
    variance_y += dy * dy;
  }
  if (variance_x <= 0.0 || variance_y <= 0.0) return std::nullopt;
  const double r = covariance / std::sqrt(variance_x * variance_y);
  return std::clamp(r, -1.0, 1.0);
}

bool ExposureManager::in_cluster(const config::Cluster& cluster, const Symbol& symbol) const {
  return std::find(cluster.symbols.begin(), cluster.symbols.end(), symbol.canonical()) !=
         cluster.symbols.end();
}

Decision ExposureManager::can_open(Asset asset, const Symbol& symbol, OrderSide side,
                                   Decimal notional) const {
  GAUNTLET_CHECK(!symbol.empty(), "can_open needs a symbol ({} {})", to_string(asset), notional);
  GAUNTLET_CHECK(!notional.is_negative(), "notional of {} {} must not be negative, was {}",
                 to_string(asset), symbol.canonical(), notional);

  if (const auto found = positions_.find(Key{asset, symbol}); found != positions_.end()) {
    return Decision::deny(fmt::format("already_open: {} has an open {} {} position",
                                      symbol.canonical(), to_string(asset),
                                      to_string(found->second.side)));
  }

  const auto open_total = static_cast<int>(positions_.size());
  if (open_total >= caps_.max_concurrent_total) {
    return Decision::deny(
        fmt::format("max_concurrent_total: {} open of {}", open_total, caps_.max_concurrent_total));
  }

  for (const config::Cluster& cluster : caps_.clusters) {
    if (!in_cluster(cluster, symbol)) continue;
    int count = 0;
    Decimal held_in_asset;
    for (const auto& [key, position] : positions_) {
      if (!in_cluster(cluster, key.second)) continue;
      ++count;
      if (key.first == asset) held_in_asset += position.notional;
    }
    if (count >= cluster.max_concurrent) {
      return Decision::deny(fmt::format("cluster_concurrency: {} has {} of {}", cluster.name, count,
                                        cluster.max_concurrent));
    }
    const Decimal fraction = Decimal::from_double(cluster.max_allocation_fraction);
    const Decimal cap = allocation(asset).mul(fraction, Rounding::kFloor);
    const Decimal would_hold = held_in_asset + notional;
    if (would_hold > cap) {
      return Decision::deny(fmt::format(
          "cluster_allocation: {} would hold {} of cap {} ({} of the {} allocation {})",
          cluster.name, would_hold, cap, fraction, to_string(asset), allocation(asset)));
    }
  }

  // The open position whose correlation, signed by the sides, is the highest above the cap.
  const Key* worst_key = nullptr;
  double worst_signed = caps_.max_correlation;
  double worst_r = 0.0;
  for (const auto& [key, position] : positions_) {
    const std::optional<double> r = correlation(symbol, key.second);
    if (!r) continue;
    const double signed_r = position.side == side ? *r : -*r;
    if (signed_r > worst_signed) {
      worst_signed = signed_r;
      worst_r = *r;
      worst_key = &key;
    }
  }
  if (worst_key != nullptr) {
    const OpenPosition& open = positions_.at(*worst_key);
    return Decision::deny(
        fmt::format("correlation_cap: {} correlates {:.3f} with open {} ({} {}), "
                    "cap {:.3f}",
                    symbol.canonical(), worst_r, worst_key->second.canonical(),
                    to_string(worst_key->first), to_string(open.side), caps_.max_correlation));
  }
  return Decision::allow();
}

ExposureSnapshot ExposureManager::current_exposure() const {
  ExposureSnapshot snapshot;
  for (const config::Cluster& cluster : caps_.clusters) {
    snapshot.clusters.push_back(ClusterExposure{cluster.name, 0, cluster.max_concurrent, {}});
  }
  for (const auto& [key, position] : positions_) {
    const auto& [asset, symbol] = key;
    snapshot.gross_notional[index_of(asset)] += position.notional;
    snapshot.net_notional[index_of(asset)] +=
        position.side == OrderSide::kBuy ? position.notional : -position.notional;
    snapshot.positions.push_back(SymbolExposure{asset, symbol, position.side, position.notional});
    for (std::size_t i = 0; i < caps_.clusters.size(); ++i) {
      if (!in_cluster(caps_.clusters[i], symbol)) continue;
      ++snapshot.clusters[i].open_positions;
      snapshot.clusters[i].notional += position.notional;
    }
  }
  snapshot.open_positions = static_cast<int>(positions_.size());
  return snapshot;
}

}  // namespace gauntlet::capital
