// File: capital/exposure_manager.hpp
//
// ExposureManager: the owner of portfolio exposure (seed 001 §3.3): aggregate notional, symbol
// clusters, correlation caps and concurrency limits across every asset. It does no size math
// and places no orders: the order router asks can_open() after budget_manager.can_afford(), and
// the callers feed it the open positions (on_position_opened / on_position_closed, from fills
// and from pnl_reconciler's broker truth), each asset's allocation (set_allocation, from
// budget_manager) and one return per symbol per closed bar (record_return).
//
// can_open() answers with a Decision whose reason is "<code>: <figures>", checked in order:
//   already_open          the symbol already has an open position in that asset
//   max_concurrent_total  the open positions of every asset together reach max_concurrent_total
//   cluster_concurrency   a cluster holding the symbol already has max_concurrent positions
//   cluster_allocation    the cluster's notional in that asset would exceed its
//                         max_allocation_fraction of the asset's allocation
//   correlation_cap       the symbol's returns correlate above max_correlation with an open
//                         position held in the same direction
//
// Rules and the choices behind them:
// - A position is one (asset, symbol); the same symbol in two assets (BTCUSDT spot and perp) is
//   two positions and both count in the symbol's clusters and in the total.
// - Cluster concurrency counts the cluster's positions in every asset. The cluster allocation
//   cap is per asset: the notional the cluster holds in the asset of the new position, plus the
//   new notional, against max_allocation_fraction x that asset's allocation. It compares
//   notional (the exposure), not margin, so a leveraged perpetual is capped by what it moves.
//   A symbol in no cluster is subject only to the total and correlation caps.
// - Correlation: Pearson's r of the two symbols' per-bar returns over their common recent window:
//   each symbol keeps its last correlation_window_bars returns, and the two series are aligned
//   at their most recent return (the caller records one return per symbol per closed bar).
//   Fewer than min(kMinCorrelationSamples, correlation_window_bars) aligned returns, or a series
//   without variance, make r unknown, and an unknown r never refuses. A symbol's correlation with
//   itself is 1 (the same symbol in another asset), known without data.
// - Only exposure in the same direction is concentrated: a long beside a highly correlated long
//   (or a short beside a short) is refused, while a long beside a correlated short is a hedge
//   and allowed. The direction is that of the exposure, so r is signed by the sides: for
//   opposite sides the test is -r > max_correlation (a long beside a short of a strongly
//   anti-correlated symbol is the same bet twice and is refused; a long beside an
//   anti-correlated long is a hedge). Ties at the cap are allowed (the cap is inclusive).
//
// Broken invariants of the caller (an empty symbol, a negative notional or allocation, a NaN or
// infinite return) abort through GAUNTLET_CHECK.
//
// Threading: single-threaded. An ExposureManager lives on the engine loop and is called only
// from it; it has no locks.
#pragma once

#include <array>
#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/config.hpp"
#include "core/decimal.hpp"
#include "core/interfaces.hpp"
#include "core/orders.hpp"
#include "core/symbol.hpp"

namespace gauntlet::capital {

// One open position as the exposure manager sees it.
struct SymbolExposure {
  Asset asset = Asset::kSpot;
  Symbol symbol;
  OrderSide side = OrderSide::kBuy;
  Decimal notional;  // USD, >= 0
  friend bool operator==(const SymbolExposure&, const SymbolExposure&) = default;
};

// One cluster's open positions over every asset.
struct ClusterExposure {
  std::string name;
  int open_positions = 0;
  int max_concurrent = 0;
  Decimal notional;  // the sum over its open positions, every asset
  friend bool operator==(const ClusterExposure&, const ClusterExposure&) = default;
};

// What current_exposure() returns: the seed's current_exposure() dict as a value.
struct ExposureSnapshot {
  std::array<Decimal, kAllAssets.size()> gross_notional{};  // by Asset: sum of notionals
  std::array<Decimal, kAllAssets.size()> net_notional{};    // by Asset: longs minus shorts
  std::vector<ClusterExposure> clusters;  // every configured cluster, in config order
  std::vector<SymbolExposure> positions;  // ordered by asset, then symbol
  int open_positions = 0;

  Decimal gross(Asset asset) const { return gross_notional[static_cast<std::size_t>(asset)]; }
  Decimal net(Asset asset) const { return net_notional[static_cast<std::size_t>(asset)]; }
  friend bool operator==(const ExposureSnapshot&, const ExposureSnapshot&) = default;
};

class ExposureManager {
 public:
  // Correlation needs at least this many aligned returns (or the whole window, when shorter).
  static constexpr int kMinCorrelationSamples = 20;

  // `allocations` by Asset (USD); zero until set_allocation() says otherwise.
  explicit ExposureManager(const config::ExposureCaps& caps,
                           const std::array<Decimal, kAllAssets.size()>& allocations = {});

  // Replaces the caps (hot reload of EXPOSURE_CAPS). Open positions are kept; return windows
  // longer than the new correlation_window_bars are trimmed to it.
  void set_caps(const config::ExposureCaps& caps);
  const config::ExposureCaps& caps() const { return caps_; }

  // Sets the asset's allocation (>= 0), the base of the cluster allocation caps.
  void set_allocation(Asset asset, Decimal allocation);
  Decimal allocation(Asset asset) const { return allocations_[static_cast<std::size_t>(asset)]; }

  // Records an open position, or updates the side and notional of the one already open on the
  // same (asset, symbol): a venue reports one net position per symbol.
  void on_position_opened(Asset asset, const Symbol& symbol, OrderSide side, Decimal notional);
  // Forgets the position; returns false, changing nothing, when none is open.
  bool on_position_closed(Asset asset, const Symbol& symbol);

  // Appends one bar's return (finite) of `symbol`, dropping the oldest beyond the window.
  void record_return(const Symbol& symbol, double bar_return);
  // Pearson's r of the two symbols' returns over their common recent window; nullopt when it
  // is unknown (too few aligned returns, or a series without variance). 1 for a == b.
  std::optional<double> correlation(const Symbol& a, const Symbol& b) const;

  // Returns whether a new position may open; codes and their order in the file comment.
  Decision can_open(Asset asset, const Symbol& symbol, OrderSide side, Decimal notional) const;

  ExposureSnapshot current_exposure() const;

 private:
  struct OpenPosition {
    OrderSide side = OrderSide::kBuy;
    Decimal notional;
  };
  using Key = std::pair<Asset, Symbol>;

  bool in_cluster(const config::Cluster& cluster, const Symbol& symbol) const;
  std::size_t required_samples() const;

  config::ExposureCaps caps_;
  std::array<Decimal, kAllAssets.size()> allocations_{};
  std::map<Key, OpenPosition> positions_;
  std::map<Symbol, std::deque<double>> returns_;
};

}  // namespace gauntlet::capital
