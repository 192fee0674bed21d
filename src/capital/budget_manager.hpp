// File: capital/budget_manager.hpp
//
// BudgetManager: the owner of the per-asset virtual sub-wallets (seed 001 §3.1). Each Asset has
// one bucket, and spot, perpetuals, forex and options never draw on each other's bucket: the
// separation Bybit's unified account does not enforce is enforced here, in software.
//
// A bucket holds
//   allocation  the bucket's equity in USD: starts at Budgets.allocation[asset], grows and
//               shrinks with apply_pnl() (profits compound inside the bucket) and moves by
//               whole reallocation steps (+$100 / -$100) to and from the unallocated pool;
//   reserved    the USD committed by open orders and positions, one reservation per order id,
//               released when the order or its position closes;
//   available   allocation - reserved, never below zero (a bucket whose losses ate into its
//               reserved margin has nothing available until positions close).
//
// can_afford() answers the order router (after risk_manager.pretrade_check, before
// exposure_manager.can_open) with a Decision whose reason is "<code>: <figures>":
//   wrong_wallet            the order's asset is not the bucket asked about
//   asset_disabled          the bucket's allocation is zero
//   unsized_order           the order's quantity is zero (size it first: risk_manager)
//   unpriced_order          no limit, trigger or reference price to value the order at
//   budget_exceeded         the order needs more than the bucket has available
// add_step() and remove_step() answer with pool_exhausted and would_go_below_reserved; reserve()
// with budget_exceeded.
//
// The money an order needs (required_funds): notional = quantity x price, where price is the
// limit price, else the trigger price, else the reference price, rounded up to 1e-9. Perpetuals
// and forex are margin products (Bybit linear contracts, IBKR FX margin), so they need
// notional / leverage, rounded up; spot needs the full notional (cash), and options the full
// premium (quantity x premium price: the buyer pays it up front), whatever order.leverage says.
// An exit (reduce_only) needs nothing: it releases budget, so it is never refused for budget,
// not even on a disabled bucket (open positions are still managed when an asset is switched
// off), but it still has to come from the right wallet.
//
// Persistence: every change is written through to the Store (component "budget_manager",
// tables budget_buckets, budget_reservations and budget_pool; amounts as exact Decimal text)
// in one transaction, so the state survives a restart. The constructor loads the stored state;
// the configured allocation and pool are only the starting values of a fresh store (a bucket
// that has compounded is not reset by a restart). The BudgetManager must be the only writer of
// its tables: it keeps the state in memory and reads the store only at construction.
// A change made inside an enclosing Store::transaction() that later rolls back leaves the memory
// ahead of the store until the next construction, so callers do not nest it in one.
//
// Broken invariants of the caller (a negative amount or price, a leverage below 1 or NaN on a
// margin order, an empty order id) abort through GAUNTLET_CHECK; a store failure throws
// StateError, a stored amount that is not a Decimal throws StateError naming the row.
//
// Threading: single-threaded. A BudgetManager lives on the engine loop with its Store and is
// called only from it; it has no locks.
#pragma once

#include <array>
#include <cstddef>
#include <map>
#include <string>
#include <utility>

#include "core/config.hpp"
#include "core/decimal.hpp"
#include "core/interfaces.hpp"
#include "core/orders.hpp"
#include "core/store/store.hpp"

namespace gauntlet::orders {
class PnlReconciler;
}  // namespace gauntlet::orders

namespace gauntlet::capital {

class BankrollManager;

// Only BankrollManager can make one: a paper top-up is the only money that enters the buckets
// from outside the venue's P&L.
class DepositKey {
  friend class BankrollManager;
  DepositKey() = default;
};

// Only orders::PnlReconciler can make one: it alone books realised P&L, fees, rebates and
// funding into the buckets, from the venue's fills (golden rule 6). PnlKeyForTests is defined
// by tests and benchmarks only, never under src/.
class PnlKey {
  friend class orders::PnlReconciler;
  friend struct PnlKeyForTests;
  PnlKey() = default;
};

class BudgetManager {
 public:
  // Applies the component's migrations to `store` (which must outlive this object), then loads
  // the stored buckets, reservations and pool. An asset without a stored bucket starts at
  // budgets.allocation[asset]; a store without a pool starts it at `initial_pool`. Throws
  // ConfigError when an allocation or the pool is negative or the reallocation step is not
  // positive.
  BudgetManager(store::Store& store, const config::Budgets& budgets,
                Decimal initial_pool = Decimal::zero());

  // The bucket's allocation (its equity) in USD.
  Decimal get_alloc(Asset asset) const;
  // The USD reserved by the bucket's open orders and positions.
  Decimal reserved(Asset asset) const;
  // allocation - reserved, floored at zero.
  Decimal available(Asset asset) const;
  // The unallocated USD that add_step() draws on and remove_step() returns to.
  Decimal pool() const { return pool_; }
  // The reallocation step (Budgets.reallocation_step).
  Decimal step() const { return step_; }
  // The amount reserved under `order_id` in the bucket; zero when none.
  Decimal reservation(Asset asset, const std::string& order_id) const;

  // Returns the USD the order needs from its bucket (see the file comment); zero for an exit.
  // Aborts on a negative quantity or price, or a margin order whose leverage is below 1 or NaN.
  static Decimal required_funds(const OrderContext& order);

  // Returns whether the bucket of `asset` can fund `order`; the reason's codes are listed in
  // the file comment, checked in this order: wrong_wallet, (an exit is allowed here),
  // asset_disabled, unsized_order, unpriced_order, budget_exceeded.
  Decision can_afford(Asset asset, const OrderContext& order) const;

  // Reserves `amount` (>= 0) of the bucket under `order_id`. Idempotent by id: reserving an id
  // that is already reserved sets its amount (the same amount again changes nothing; another
  // amount resizes it, e.g. after a partial fill). Refuses with budget_exceeded, changing
  // nothing, when the increase over the id's current amount exceeds available().
  [[nodiscard]] Decision reserve(Asset asset, const std::string& order_id, Decimal amount);
  // Releases the reservation under `order_id`. Idempotent: returns false, changing nothing,
  // when the id holds no reservation in the bucket.
  bool release(Asset asset, const std::string& order_id);

  // Adds a closed trade's realised P&L (after fees) to the bucket's allocation: profits
  // compound inside the bucket. The allocation never goes below zero: a loss larger than the
  // allocation clamps it at zero (the venue's loss beyond it is the reconciler's business),
  // which disables the bucket until funds are reallocated to it.
  void apply_pnl(PnlKey, Asset asset, Decimal realised_pnl);

  // Adds `amount` (> 0) to the bucket's allocation: its share of a paper top-up (the
  // bankroll_manager's epochs), so the top-up funds trades.
  void deposit(DepositKey, Asset asset, Decimal amount);

  // Moves one step from the pool into the bucket. Refuses with pool_exhausted when the pool
  // holds less than one step.
  Decision add_step(Asset asset);
  // Moves one step from the bucket back to the pool. Refuses with would_go_below_reserved when
  // allocation - step would fall below reserved (which includes going below zero).
  Decision remove_step(Asset asset);

 private:
  struct Bucket {
    Decimal allocation;
    Decimal reserved;                             // the sum of reservations
    std::map<std::string, Decimal> reservations;  // by order id
  };

  Bucket& bucket(Asset asset) { return buckets_[static_cast<std::size_t>(asset)]; }
  const Bucket& bucket(Asset asset) const { return buckets_[static_cast<std::size_t>(asset)]; }
  void load(const config::Budgets& budgets, Decimal initial_pool);
  void move_step(Asset asset, Decimal delta);
  void write_allocation(Asset asset);
  void write_pool();

  store::Store& store_;
  Decimal step_;
  Decimal pool_;
  std::array<Bucket, kAllAssets.size()> buckets_;
};

}  // namespace gauntlet::capital
