#include "capital/budget_manager.hpp"

#include <fmt/format.h>

#include <cmath>
#include <optional>
#include <string_view>
#include <vector>

#include "core/check.hpp"
#include "core/exceptions.hpp"
#include "core/logging.hpp"

namespace gauntlet::capital {

namespace {

constexpr std::string_view kComponent = "budget_manager";

constexpr std::array<store::Migration, 1> kMigrations = {{
    {1, "create budget_buckets, budget_reservations, budget_pool", R"sql(
CREATE TABLE budget_buckets (
  asset TEXT PRIMARY KEY,      -- spot, perp, forex, options
  allocation TEXT NOT NULL     -- USD, exact Decimal text
);
CREATE TABLE budget_reservations (
  asset TEXT NOT NULL,
  order_id TEXT NOT NULL,
  amount TEXT NOT NULL,        -- USD, exact Decimal text
  PRIMARY KEY (asset, order_id)
);
CREATE TABLE budget_pool (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  amount TEXT NOT NULL         -- unallocated USD, exact Decimal text
))sql"},
}};

std::size_t index_of(Asset asset) {
  return static_cast<std::size_t>(asset);
}

std::string asset_text(Asset asset) {
  return std::string(to_string(asset));
}

// Reads a stored amount; a value that is not an exact Decimal is a corrupt store.
Decimal parse_stored(const std::string& text, std::string_view where) {
  try {
    return Decimal::parse(text);
  } catch (const DecimalError& error) {
    throw StateError(fmt::format("budget_manager: {} holds \"{}\", not a decimal: {}", where, text,
                                 error.what()));
  }
}

Asset parse_stored_asset(const std::string& text, std::string_view table) {
  const std::optional<Asset> asset = asset_from_string(text);
  if (!asset)
    throw StateError(fmt::format("budget_manager: {} holds unknown asset \"{}\"", table, text));
  return *asset;
}

// True for the products bought on margin, whose orders need notional / leverage.
bool is_margin_product(Asset asset) {
  return asset == Asset::kPerp || asset == Asset::kForex;
}

// The price an order is valued at: its limit, else its trigger, else its reference price.
Decimal valuation_price(const OrderContext& order) {
  if (order.limit_price) return *order.limit_price;
  if (order.trigger_price) return *order.trigger_price;
  return order.reference_price;
}

}  // namespace

BudgetManager::BudgetManager(store::Store& store, const config::Budgets& budgets,
                             Decimal initial_pool)
    : store_(store), step_(budgets.reallocation_step) {
  std::vector<std::string> problems;
  for (Asset asset : kAllAssets) {
    const Decimal allocation = budgets.allocation[index_of(asset)];
    if (allocation.is_negative()) {
      problems.push_back(fmt::format("budgets.allocation.{}: must not be negative (got {})",
                                     to_string(asset), allocation));
    }
  }
  if (!step_.is_positive()) {
    problems.push_back(fmt::format("budgets.reallocation_step: must be positive (got {})", step_));
  }
  if (initial_pool.is_negative()) {
    problems.push_back(fmt::format("budget pool: must not be negative (got {})", initial_pool));
  }
  if (!problems.empty()) throw ConfigError(std::move(problems));

  store_.migrate(kComponent, kMigrations);
  load(budgets, initial_pool);
}

void BudgetManager::load(const config::Budgets& budgets, Decimal initial_pool) {
  std::array<std::optional<Decimal>, kAllAssets.size()> stored;
  std::optional<Decimal> stored_pool;
  std::array<Bucket, kAllAssets.size()> loaded;

  store_.transaction([&] {
    store_.query("SELECT asset, allocation FROM budget_buckets", {}, [&](const store::Row& row) {
      const Asset asset = parse_stored_asset(row.get_text(0), "budget_buckets");
      stored[index_of(asset)] = parse_stored(
          row.get_text(1), fmt::format("budget_buckets[{}].allocation", to_string(asset)));
    });
    store_.query(
        "SELECT asset, order_id, amount FROM budget_reservations", {}, [&](const store::Row& row) {
          const Asset asset = parse_stored_asset(row.get_text(0), "budget_reservations");
          const std::string order_id = row.get_text(1);
          const Decimal amount = parse_stored(
              row.get_text(2),
              fmt::format("budget_reservations[{}, {}].amount", to_string(asset), order_id));
          Bucket& bucket = loaded[index_of(asset)];
          bucket.reservations[order_id] = amount;
          bucket.reserved += amount;
        });
    store_.query("SELECT amount FROM budget_pool WHERE id = 1", {}, [&](const store::Row& row) {
      stored_pool = parse_stored(row.get_text(0), "budget_pool.amount");
    });

    for (Asset asset : kAllAssets) {
      if (stored[index_of(asset)]) continue;
      const Decimal allocation = budgets.allocation[index_of(asset)];
      store_.execute("INSERT INTO budget_buckets (asset, allocation) VALUES (?1, ?2)",
                     {asset_text(asset), allocation.to_string()});
      stored[index_of(asset)] = allocation;
    }
    if (!stored_pool) {
      store_.execute("INSERT INTO budget_pool (id, amount) VALUES (1, ?1)",
                     {initial_pool.to_string()});
      stored_pool = initial_pool;
    }
  });

  for (Asset asset : kAllAssets) {
    loaded[index_of(asset)].allocation = *stored[index_of(asset)];
  }
  buckets_ = std::move(loaded);
  pool_ = *stored_pool;
  module_logger(kComponent)
      ->info("budgets loaded spot={} perp={} forex={} options={} pool={} step={}",
             get_alloc(Asset::kSpot), get_alloc(Asset::kPerp), get_alloc(Asset::kForex),
             get_alloc(Asset::kOptions), pool_, step_);
}

Decimal BudgetManager::get_alloc(Asset asset) const {
  return bucket(asset).allocation;
}

Decimal BudgetManager::reserved(Asset asset) const {
  return bucket(asset).reserved;
}

Decimal BudgetManager::available(Asset asset) const {
  const Bucket& b = bucket(asset);
  const Decimal free = b.allocation - b.reserved;
  return free.is_negative() ? Decimal::zero() : free;
}

Decimal BudgetManager::reservation(Asset asset, const std::string& order_id) const {
  const Bucket& b = bucket(asset);
  const auto found = b.reservations.find(order_id);
  return found == b.reservations.end() ? Decimal::zero() : found->second;
}

Decimal BudgetManager::required_funds(const OrderContext& order) {
  GAUNTLET_CHECK(!order.quantity.is_negative(), "order quantity must not be negative, was {}",
                 order.quantity);
  const Decimal price = valuation_price(order);
  GAUNTLET_CHECK(!price.is_negative(), "order price must not be negative, was {}", price);
  if (order.reduce_only) return Decimal::zero();

  const Decimal notional = order.quantity.mul(price, Rounding::kCeil);
  if (!is_margin_product(order.asset)) return notional;
  GAUNTLET_CHECK(std::isfinite(order.leverage) && order.leverage >= 1.0,
                 "leverage of a {} order must be at least 1, was {}", to_string(order.asset),
                 order.leverage);
  const Decimal leverage = Decimal::from_double(order.leverage, Rounding::kFloor);
  return notional.div(leverage, Rounding::kCeil);
}

Decision BudgetManager::can_afford(Asset asset, const OrderContext& order) const {
  if (order.asset != asset) {
    return Decision::deny(
        fmt::format("wrong_wallet: a {} order for {} cannot draw on the {} bucket",
                    to_string(order.asset), order.symbol.canonical(), to_string(asset)));
  }
  if (order.reduce_only) return Decision::allow();

  const Bucket& b = bucket(asset);
  if (b.allocation.is_zero()) {
    return Decision::deny(
        fmt::format("asset_disabled: the {} bucket has allocation 0", to_string(asset)));
  }
  GAUNTLET_CHECK(!order.quantity.is_negative(), "order quantity must not be negative, was {}",
                 order.quantity);
  if (order.quantity.is_zero()) {
    return Decision::deny(
        fmt::format("unsized_order: {} quantity is 0; size the order before the budget check",
                    order.symbol.canonical()));
  }
  if (valuation_price(order).is_zero()) {
    return Decision::deny(
        fmt::format("unpriced_order: {} has no limit, trigger or reference price to value it at",
                    order.symbol.canonical()));
  }

  Decimal required;
  try {
    required = required_funds(order);
  } catch (const DecimalError&) {  // quantity x price beyond the Decimal range
    return Decision::deny(
        fmt::format("budget_exceeded: needs more than {}, available {} of "
                    "allocation {}",
                    Decimal::max(), available(asset), b.allocation));
  }
  if (required > available(asset)) {
    return Decision::deny(fmt::format("budget_exceeded: needs {}, available {} of allocation {}",
                                      required, available(asset), b.allocation));
  }
  return Decision::allow();
}

Decision BudgetManager::reserve(Asset asset, const std::string& order_id, Decimal amount) {
  GAUNTLET_CHECK(!order_id.empty(), "a reservation needs an order id (amount {})", amount);
  GAUNTLET_CHECK(!amount.is_negative(), "reservation {} must not be negative, was {}", order_id,
                 amount);
  Bucket& b = bucket(asset);
  const auto found = b.reservations.find(order_id);
  const bool exists = found != b.reservations.end();
  const Decimal current = exists ? found->second : Decimal::zero();
  if (exists && current == amount) return Decision::allow();

  const Decimal increase = amount - current;
  if (increase > available(asset)) {
    return Decision::deny(
        fmt::format("budget_exceeded: needs {}, available {} of allocation {} (order {})", increase,
                    available(asset), b.allocation, order_id));
  }
  store_.transaction([&] {
    store_.execute(
        "INSERT INTO budget_reservations (asset, order_id, amount) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (asset, order_id) DO UPDATE SET amount = excluded.amount",
        {asset_text(asset), order_id, amount.to_string()});
  });
  b.reservations[order_id] = amount;
  b.reserved += increase;
  return Decision::allow();
}

bool BudgetManager::release(Asset asset, const std::string& order_id) {
  Bucket& b = bucket(asset);
  const auto found = b.reservations.find(order_id);
  if (found == b.reservations.end()) return false;
  store_.transaction([&] {
    store_.execute("DELETE FROM budget_reservations WHERE asset = ?1 AND order_id = ?2",
                   {asset_text(asset), order_id});
  });
  b.reserved -= found->second;
  b.reservations.erase(found);
  return true;
}

void BudgetManager::deposit(DepositKey, Asset asset, Decimal amount) {
  GAUNTLET_CHECK(amount.is_positive(), "a deposit must be positive, was {}", amount);
  Bucket& b = bucket(asset);
  const Decimal previous = b.allocation;
  b.allocation = b.allocation + amount;
  try {
    store_.transaction([&] { write_allocation(asset); });
  } catch (...) {
    b.allocation = previous;
    throw;
  }
}

void BudgetManager::apply_pnl(PnlKey, Asset asset, Decimal realised_pnl) {
  Bucket& b = bucket(asset);
  Decimal next = b.allocation + realised_pnl;
  if (next.is_negative()) {
    module_logger(kComponent)
        ->warn("allocation clamped at zero asset={} allocation={} realised_pnl={}",
               to_string(asset), b.allocation, realised_pnl);
    next = Decimal::zero();
  }
  const Decimal previous = b.allocation;
  b.allocation = next;
  try {
    store_.transaction([&] { write_allocation(asset); });
  } catch (...) {
    b.allocation = previous;
    throw;
  }
}

Decision BudgetManager::add_step(Asset asset) {
  if (pool_ < step_) {
    return Decision::deny(fmt::format("pool_exhausted: pool holds {}, step is {}", pool_, step_));
  }
  move_step(asset, step_);
  return Decision::allow();
}

Decision BudgetManager::remove_step(Asset asset) {
  Bucket& b = bucket(asset);
  const Decimal after = b.allocation - step_;
  if (after < b.reserved) {
    return Decision::deny(fmt::format(
        "would_go_below_reserved: allocation {} minus step {} leaves {}, below reserved {}",
        b.allocation, step_, after, b.reserved));
  }
  move_step(asset, -step_);
  return Decision::allow();
}

// Moves `delta` from the pool into the bucket (negative: back), in memory only once the store
// has it.
void BudgetManager::move_step(Asset asset, Decimal delta) {
  Bucket& b = bucket(asset);
  const Decimal previous_allocation = b.allocation;
  const Decimal previous_pool = pool_;
  b.allocation += delta;
  pool_ -= delta;
  try {
    store_.transaction([&] {
      write_allocation(asset);
      write_pool();
    });
  } catch (...) {
    b.allocation = previous_allocation;
    pool_ = previous_pool;
    throw;
  }
  module_logger(kComponent)
      ->info("reallocated asset={} step={} allocation={} pool={}", to_string(asset), delta,
             b.allocation, pool_);
}

void BudgetManager::write_allocation(Asset asset) {
  store_.execute("UPDATE budget_buckets SET allocation = ?2 WHERE asset = ?1",
                 {asset_text(asset), bucket(asset).allocation.to_string()});
}

void BudgetManager::write_pool() {
  store_.execute("UPDATE budget_pool SET amount = ?1 WHERE id = 1", {pool_.to_string()});
}

}  // namespace gauntlet::capital
