// File: capital/risk_manager.hpp
//
// RiskManager: the owner of per-trade risk (seed 001 §3.2). It owns the sizing constraints
// (equity at risk over the stop distance, floored to the venue's quantity step), the stop
// distance validation, the daily loss caps, the per-strategy caps, the leverage caps, the
// drawdown throttling of risk_fraction and the per-asset risk bands (config::RiskLimits, spot
// loosest, options tightest). Nothing else in Gauntlet does per-trade risk math (golden rule).
//
// It keeps a per-asset risk ledger fed by its callers: equity (its peak for the drawdown, and
// its value at the start of the UTC day for the daily loss cap), the open positions per asset,
// the notional each strategy has committed, and each strategy's last losing close (cooldown).
// It never fetches prices and never places orders: the order router asks pretrade_check() and
// compute_size(), and acts on the answers.
//
// Figures: every comparison is done in Decimal. The limits are doubles in the config; they are
// converted with Decimal::from_double (0.05 becomes exactly 0.05), so a check at a limit is
// exact. A refusal is a Decision whose reason is "<code>: <figures>" (codes listed at
// pretrade_check); a broken invariant of the caller (a negative quantity or price, a NaN ATR)
// aborts through GAUNTLET_CHECK.
//
// State: save_state() writes the ledger as compact JSON (per asset: equity, peak, day and
// day-start equity, open positions, and per strategy its committed notional and last loss;
// every Decimal as its exact string), and restore_state() replaces the ledger with one saved
// before, so a restarted paper session sizes and refuses exactly as the uninterrupted one.
// The limits are not saved: they come from the config.
//
// Threading: single-threaded. A RiskManager lives on the engine loop and is called only from
// it; it has no locks.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "core/config.hpp"
#include "core/decimal.hpp"
#include "core/interfaces.hpp"
#include "core/orders.hpp"
#include "core/time.hpp"
#include "data/market_events.hpp"

namespace gauntlet::capital {

// The risk limits of every asset, indexed by static_cast<std::size_t>(Asset).
using RiskLimitsByAsset = std::array<config::RiskLimits, 4>;

// Returns the risk limits of every asset in `config` (its RISK section).
RiskLimitsByAsset risk_limits_from(const config::Config& config);

// The outcome of compute_size(). When decision.ok is false, quantity is zero and the reason
// says why; risk_fraction_used is the (possibly throttled) fraction of equity put at risk.
struct SizeResult {
  Decision decision;
  Decimal quantity;
  Decimal risk_fraction_used;
};

class RiskManager {
 public:
  explicit RiskManager(const RiskLimitsByAsset& limits);

  // Replaces the limits of one asset (hot reload of the RISK section). The ledger is kept: the
  // new limits apply from the next check on.
  void set_limits(Asset asset, const config::RiskLimits& limits);
  const config::RiskLimits& limits(Asset asset) const;

  // --- The ledger, fed by the callers ---------------------------------------------------------

  // Records the asset's equity at `now`. The peak only rises (drawdown is measured from it),
  // except when the drawdown has stalled the asset: in drawdown beyond drawdown_throttle_start
  // for drawdown_reset_after (when set) with no entry since and no position open, the peak
  // restarts at this equity, a halt lifts and the throttle starts from full size. A drawdown
  // that stops entries (the halt, or a throttle that sizes every entry below the instrument's
  // minimum) cannot be traded back, so without the reset a paper account stays stalled for good.
  // The first equity recorded at or after a UTC midnight becomes that day's start equity, the
  // base of the daily loss cap.
  void record_equity(Asset asset, Decimal equity, TimestampMs now);
  // Records money moved into (amount > 0) or out of (amount < 0) the asset's account that is
  // neither a profit nor a loss (a reallocation step): the equity, its peak and the day's start
  // equity all move by `amount`, so the drawdown and the daily loss measure trading only.
  void record_transfer(Asset asset, Decimal amount);
  // Records a filled entry: `notional` (quote units, >= 0) more committed by the strategy, and
  // one more open position on the asset unless the fill adds to a position already open (a
  // partial fill, a second entry): positions are counted, not fills.
  void record_position_opened(Asset asset, const std::string& strategy_id, Decimal notional,
                              TimestampMs opened_at, bool adds_to_position = false);
  // Records an exit fill: `notional` (the value recorded when it opened) released from the
  // strategy, and one fewer open position when the fill closes the position (`closes_position`;
  // a partial exit leaves it open); counts never go below zero (a close the ledger never saw
  // opened is logged and ignored). A negative `realised_pnl` starts the strategy's cooldown at
  // `closed_at`.
  void record_position_closed(Asset asset, const std::string& strategy_id, Decimal notional,
                              Decimal realised_pnl, TimestampMs closed_at,
                              bool closes_position = true);

  // The last recorded equity of the asset (zero before the first record).
  Decimal equity(Asset asset) const;
  // The highest equity recorded for the asset.
  Decimal peak_equity(Asset asset) const;
  // The drawdown from the peak as a fraction, (peak - equity) / peak rounded up to 9 places;
  // zero before the first positive equity.
  Decimal drawdown(Asset asset) const;
  // The equity at the start of the UTC day that contains `now`, or nullopt when no equity was
  // recorded yet on that day.
  std::optional<Decimal> day_start_equity(Asset asset, TimestampMs now) const;
  // The loss since the start of the UTC day that contains `now` (day-start equity minus the
  // current equity, never negative); zero when no equity was recorded yet on that day, so the
  // loss resets at every UTC midnight.
  Decimal daily_loss(Asset asset, TimestampMs now) const;
  int open_positions(Asset asset) const;
  // The notional the strategy has committed on the asset (open entries, quote units).
  Decimal committed_notional(Asset asset, const std::string& strategy_id) const;
  // The notional every strategy together has committed on the asset.
  Decimal open_notional(Asset asset) const;
  // When the strategy last closed a position at a loss on the asset.
  std::optional<TimestampMs> last_loss_at(Asset asset, const std::string& strategy_id) const;
  // The risk fraction sizing uses now on the asset, after drawdown throttling:
  //   risk_fraction                                              when drawdown <= throttle_start
  //   0                                                          when drawdown >= drawdown_halt
  //   risk_fraction * (halt - drawdown) / (halt - throttle_start) in between (linear),
  // rounded down to 9 places. Example (spot: 1 %, start 5 %, halt 15 %): drawdown 10 % gives
  // 0.5 %.
  Decimal effective_risk_fraction(Asset asset) const;

  // The account rules that halt every new entry of an asset, as the order router's halt set
  // shows them: daily_loss_cap (the day's loss reached the cap; lifts at the next UTC day) and
  // drawdown_halt (the drawdown from the peak reached the halt; lifts when the equity recovers,
  // e.g. after a top-up). Each is allow() when it does not halt; pretrade_check refuses with
  // the same reasons.
  Decision daily_loss_halt(Asset asset, TimestampMs now) const;
  Decision drawdown_halt(Asset asset) const;

  // --- Persistence -----------------------------------------------------------------------------

  // Returns the ledger as compact JSON; the same ledger always gives the same bytes.
  std::string save_state() const;
  // Replaces the ledger with one save_state() wrote; the limits are kept. Throws StateError
  // when the document does not parse or holds a bad value, and then leaves the ledger as it
  // was.
  void restore_state(const std::string& json);

  // --- The checks ------------------------------------------------------------------------------

  // Decides whether `order` may be sent, at `now`. Fails fast: the reason is the FIRST rule
  // that fails, in this order ("<code>: <figures>"):
  //   no_short               a sell entry where the asset cannot be shorted (spot)
  //   missing_protection     an entry (not reduce_only) needs stop_loss > 0 and take_profit > 0
  //   stop_on_wrong_side     buy: stop_loss < reference_price < take_profit;
  //                          sell: take_profit < reference_price < stop_loss
  //   sl_too_close/_far      |entry - stop_loss| outside [min, max]_sl_fraction x entry, then,
  //                          when order.atr > 0, outside [min, max]_sl_atr x atr
  //   no_equity              no positive equity recorded for the asset
  //   daily_loss_cap         daily_loss >= daily_loss_cap x day-start equity
  //   drawdown_halt          drawdown >= drawdown_halt
  //   max_open_positions     open positions on the asset >= max_open_positions
  //   per_strategy_cap       committed notional + this notional > per_strategy_cap x equity
  //   leverage_cap           order.leverage > max_leverage, or the asset's open notional (all
  //                          strategies) + this notional > max_leverage x equity
  //   cooldown               the strategy closed at a loss less than cooldown_after_loss ago
  //   zero_stop_distance     (only when sizing here) the entry equals the stop loss
  //   quantity_below_minimum quantity not positive, or below instrument.min_qty
  //   notional_below_minimum quantity x entry below instrument.min_notional
  // The entry price is entry_price(order); notional is quantity x entry. An order with quantity
  // zero ("size it") is checked with the quantity compute_size() gives at the recorded equity.
  // Exits (reduce_only) skip every entry rule and are checked against the instrument minimums
  // only. Instrument fields that are zero are unknown and not enforced.
  // Whether an entry on `side` can open a position on `asset`: spot holds no shorts (a sell
  // entry would sell what the account does not hold).
  static bool can_open(Asset asset, OrderSide side) {
    return asset != Asset::kSpot || side == OrderSide::kBuy;
  }

  Decision pretrade_check(const OrderContext& order, const data::InstrumentInfo& instrument,
                          TimestampMs now) const;

  // Sizes an entry: quantity = equity x effective_risk_fraction / |entry - stop_loss|, each
  // step rounded down, floored to instrument.qty_step and capped at instrument.max_qty.
  // Example: equity 1000, risk 1 %, entry 60000, stop 59400: 10 / 600 = 0.016666... -> 0.016 at
  // qty_step 0.001. That risk-based size is then cut to the room the per-strategy cap
  // (per_strategy_cap x equity - the strategy's committed notional) and the leverage cap
  // (max_leverage x equity - the asset's open notional) leave, divided by the entry and floored
  // to the step: a tight stop gives a smaller position, not a refusal. Refuses (quantity zero)
  // with missing_protection (no stop loss), no_equity (equity <= 0), zero_stop_distance,
  // drawdown_halt (the throttle reached zero), per_strategy_cap / leverage_cap (no room left),
  // quantity_below_minimum or notional_below_minimum. The drawdown is the ledger's, not derived
  // from `equity`.
  SizeResult compute_size(const OrderContext& order, const data::InstrumentInfo& instrument,
                          Decimal equity) const;

 private:
  struct StrategyLedger {
    Decimal committed_notional;
    std::optional<TimestampMs> last_loss_at;
  };
  struct AssetLedger {
    Decimal equity;
    Decimal peak_equity;
    bool has_day = false;
    TimestampMs day = 0;  // the UTC midnight of day_start_equity
    Decimal day_start_equity;
    std::optional<TimestampMs> drawdown_since;  // since beyond drawdown_throttle_start
    TimestampMs last_entry_at = 0;              // the last filled entry (record_position_opened)
    int open_positions = 0;
    std::map<std::string, StrategyLedger, std::less<>> strategies;
  };
  // A sized quantity before the instrument minimums, or the refusal that prevents sizing.
  struct Sizing {
    std::optional<Decision> refusal;
    Decimal quantity;
    Decimal risk_fraction;
  };

  Sizing size_entry(const OrderContext& order, const data::InstrumentInfo& instrument,
                    Decimal equity) const;
  const AssetLedger& ledger(Asset asset) const;
  AssetLedger& ledger(Asset asset);
  const StrategyLedger* find_strategy(Asset asset, const std::string& strategy_id) const;

  RiskLimitsByAsset limits_;
  std::array<AssetLedger, 4> ledgers_;
};

// --- Seed 000 risk_management.py helpers ---------------------------------------------------------

// The price an order is expected to fill at: limit_price for kLimit and kStopLimit orders that
// carry one, otherwise reference_price.
Decimal entry_price(const OrderContext& order);

// The pure sizing formula: equity x risk_fraction / |entry - stop_loss|, each step rounded
// down, then floored to a multiple of qty_step (no step rounding when qty_step is zero).
// Returns zero when the stop distance, equity or risk_fraction is not positive.
Decimal position_size(Decimal equity, Decimal risk_fraction, Decimal entry, Decimal stop_loss,
                      Decimal qty_step);

struct TpSl {
  Decimal stop_loss;
  Decimal take_profit;
  friend bool operator==(const TpSl&, const TpSl&) = default;
};

// Stop loss and take profit from the ATR. The stop sits sl_atr_multiple x atr from the entry
// (below it for a buy, above for a sell) and is rounded to tick_size AWAY from the entry, so it
// is never tighter than asked and a size computed from it never risks more than intended. The
// take profit sits reward_risk_ratio x the rounded stop distance on the other side and is
// rounded to tick_size TOWARD the entry, so the target is never further than asked (the
// realised reward:risk is at most one tick below the ratio). No rounding when tick_size is
// zero. atr, sl_atr_multiple and reward_risk_ratio must be finite and >= 0, entry positive.
// Example: buy at 100.05, atr 1.234, multiple 2, ratio 1.5, tick 0.1: stop 100.05 - 2.468 =
// 97.582 -> 97.5; take profit 100.05 + 1.5 x 2.55 = 103.875 -> 103.8.
TpSl compute_tp_sl(OrderSide side, Decimal entry, double atr, double sl_atr_multiple,
                   double reward_risk_ratio, Decimal tick_size);

// True when a position opened at `opened_at` has been held for max_holding_time or longer.
bool should_force_exit(TimestampMs opened_at, TimestampMs now, DurationMs max_holding_time);

// True while a strategy whose last loss was at `last_loss_at` must still wait: now is before
// last_loss_at + cooldown. False without a loss, and from last_loss_at + cooldown on.
bool cooldown_required(std::optional<TimestampMs> last_loss_at, TimestampMs now,
                       DurationMs cooldown);

}  // namespace gauntlet::capital
