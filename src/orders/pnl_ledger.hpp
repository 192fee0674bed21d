// File: orders/pnl_ledger.hpp
//
// PnlLedger: the pnl_reconciler's book of money (seed 001 §4.3, golden rule 6), persisted in the
// store (component "pnl_ledger"). Every amount that changes an asset's balance at the venue is
// one entry, of one kind, keyed by the venue's own reference so that a replayed fill or funding
// print is booked once:
//   realised   the trading P&L of a fill that reduced a position (average cost; the fill that
//              makes it flat books what the round trip's fills leave, exactly)
//   fee        a fill's fee (negative amount)
//   rebate     a fill's negative fee, i.e. a maker rebate (positive amount)
//   funding    a perpetual's funding payment (either sign)
// Fee and rebate entries also carry what the engine's FEE_MODEL expected for that fill, so the
// reconciler can tell a venue that charges other fees than the engine assumes.
//
// It also keeps, per asset, the baseline of the comparison with the venue: the venue's realised
// P&L and the ledger's total at the first reconciliation. From then on the venue's realised P&L
// must equal baseline.venue + (ledger total - baseline.ledger). A baseline belongs to the venue
// it was taken on (`broker`, empty in sessions older than the column): an asset that moves to
// another venue (paper to live) is compared from a new one.
//
// The totals are what every P&L the engine shows is read from (status, API, dashboard,
// reports). gauntlet serve reads them from a stored session through the same class.
//
// Threading: single-threaded, on the engine loop, like its Store.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/decimal.hpp"
#include "core/interfaces.hpp"
#include "core/store/store.hpp"
#include "core/symbol.hpp"
#include "core/time.hpp"

namespace gauntlet::orders {

enum class LedgerKind { kRealised, kFee, kRebate, kFunding };
std::string_view to_string(LedgerKind kind);
std::optional<LedgerKind> ledger_kind_from_string(std::string_view text);

struct LedgerEntry {
  int64_t sequence = 0;  // the order of booking, from 1; set by append()
  Asset asset = Asset::kSpot;
  Symbol symbol;
  LedgerKind kind = LedgerKind::kRealised;
  Decimal amount;    // + credits the asset's balance, - debits it
  Decimal expected;  // fee/rebate: the fee model's amount; otherwise equal to amount
  TimestampMs time = 0;
  std::string ref;  // the venue's execution id, or "<venue>:<symbol>:<time>" for funding
  std::string strategy_id;

  friend bool operator==(const LedgerEntry&, const LedgerEntry&) = default;
};

struct LedgerTotals {
  Decimal realised;
  Decimal fees;  // the sum of fee entries (<= 0)
  Decimal rebates;
  Decimal funding;
  Decimal expected_fees;  // what the fee model expected of the fee and rebate entries
  int64_t entries = 0;

  // Everything booked: the asset's realised P&L after fees, rebates and funding.
  Decimal total() const { return realised + fees + rebates + funding; }
  // The fees the venue charged beyond (+) or below (-) the fee model's.
  Decimal fee_drift() const { return expected_fees - (fees + rebates); }
};

// The venue's realised P&L and the ledger's total when the asset was first reconciled.
struct LedgerBaseline {
  Decimal venue;
  Decimal ledger;
  TimestampMs time = 0;
  std::string broker;  // the venue's name ("paper", "bybit")
};

class PnlLedger {
 public:
  // Applies the component's migrations and loads the totals.
  explicit PnlLedger(store::Store& store);

  // Books `entry`; returns false, changing nothing, when an entry of its kind and ref exists.
  bool append(LedgerEntry entry);
  LedgerTotals totals(Asset asset) const { return totals_[static_cast<std::size_t>(asset)]; }
  // The entries of `asset` after `after_sequence`, oldest first, at most `limit`.
  std::vector<LedgerEntry> entries(Asset asset, int64_t after_sequence = 0,
                                   std::size_t limit = SIZE_MAX) const;
  // The total of `strategy_id`'s entries (realised, fees, rebates, funding) on every asset.
  Decimal strategy_total(std::string_view strategy_id) const;

  std::optional<LedgerBaseline> baseline(Asset asset) const;
  void set_baseline(Asset asset, const LedgerBaseline& baseline);

 private:
  void add_to_totals(const LedgerEntry& entry);

  store::Store& store_;
  std::array<LedgerTotals, kAllAssets.size()> totals_{};
};

}  // namespace gauntlet::orders
