#include "orders/pnl_ledger.hpp"

#include <fmt/format.h>

#include "core/exceptions.hpp"

namespace gauntlet::orders {
namespace {

constexpr store::Migration kMigrations[] = {
    {1, "ledger and baselines",
     "CREATE TABLE pnl_ledger ("
     "  sequence INTEGER PRIMARY KEY AUTOINCREMENT,"
     "  asset TEXT NOT NULL,"
     "  symbol TEXT NOT NULL,"
     "  kind TEXT NOT NULL,"
     "  amount TEXT NOT NULL,"
     "  expected TEXT NOT NULL,"
     "  time INTEGER NOT NULL,"
     "  ref TEXT NOT NULL,"
     "  strategy_id TEXT NOT NULL,"
     "  UNIQUE (kind, ref));"
     "CREATE INDEX pnl_ledger_by_asset ON pnl_ledger(asset, sequence);"
     "CREATE TABLE pnl_baselines ("
     "  asset TEXT PRIMARY KEY,"
     "  venue TEXT NOT NULL,"
     "  ledger TEXT NOT NULL,"
     "  time INTEGER NOT NULL)"},
    {2, "the venue each baseline was taken on",
     "ALTER TABLE pnl_baselines ADD COLUMN broker TEXT NOT NULL DEFAULT ''"},
};

std::size_t index(Asset asset) {
  return static_cast<std::size_t>(asset);
}

LedgerEntry entry_of(const store::Row& row) {
  LedgerEntry e;
  e.sequence = row.get_int(0);
  const auto asset = asset_from_string(row.get_text(1));
  const auto kind = ledger_kind_from_string(row.get_text(3));
  if (!asset || !kind) {
    throw StateError(fmt::format("pnl_ledger: entry {} has an unknown asset or kind ({}, {})",
                                 e.sequence, row.get_text(1), row.get_text(3)));
  }
  e.asset = *asset;
  e.symbol = Symbol::parse(row.get_text(2));
  e.kind = *kind;
  e.amount = Decimal::parse(row.get_text(4));
  e.expected = Decimal::parse(row.get_text(5));
  e.time = row.get_int(6);
  e.ref = row.get_text(7);
  e.strategy_id = row.get_text(8);
  return e;
}

constexpr std::string_view kColumns =
    "sequence, asset, symbol, kind, amount, expected, time, ref, strategy_id";

}  // namespace

std::string_view to_string(LedgerKind kind) {
  switch (kind) {
    case LedgerKind::kRealised:
      return "realised";
    case LedgerKind::kFee:
      return "fee";
    case LedgerKind::kRebate:
      return "rebate";
    case LedgerKind::kFunding:
      return "funding";
  }
  return "realised";
}

std::optional<LedgerKind> ledger_kind_from_string(std::string_view text) {
  for (LedgerKind kind :
       {LedgerKind::kRealised, LedgerKind::kFee, LedgerKind::kRebate, LedgerKind::kFunding}) {
    if (to_string(kind) == text) return kind;
  }
  return std::nullopt;
}

PnlLedger::PnlLedger(store::Store& store) : store_(store) {
  store_.migrate("pnl_ledger", kMigrations);
  store_.query(fmt::format("SELECT {} FROM pnl_ledger ORDER BY sequence", kColumns), {},
               [&](const store::Row& row) { add_to_totals(entry_of(row)); });
}

void PnlLedger::add_to_totals(const LedgerEntry& e) {
  LedgerTotals& t = totals_[index(e.asset)];
  ++t.entries;
  switch (e.kind) {
    case LedgerKind::kRealised:
      t.realised = t.realised + e.amount;
      break;
    case LedgerKind::kFee:
      t.fees = t.fees + e.amount;
      t.expected_fees = t.expected_fees + e.expected;
      break;
    case LedgerKind::kRebate:
      t.rebates = t.rebates + e.amount;
      t.expected_fees = t.expected_fees + e.expected;
      break;
    case LedgerKind::kFunding:
      t.funding = t.funding + e.amount;
      break;
  }
}

bool PnlLedger::append(LedgerEntry e) {
  const int64_t inserted = store_.execute(
      "INSERT INTO pnl_ledger (asset, symbol, kind, amount, expected, time, ref, strategy_id) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (kind, ref) DO NOTHING",
      {std::string(to_string(e.asset)), e.symbol.canonical(), std::string(to_string(e.kind)),
       e.amount.to_string(), e.expected.to_string(), e.time, e.ref, e.strategy_id});
  if (inserted == 0) return false;
  e.sequence = store_.last_insert_id();
  add_to_totals(e);
  return true;
}

std::vector<LedgerEntry> PnlLedger::entries(Asset asset, int64_t after_sequence,
                                            std::size_t limit) const {
  std::vector<LedgerEntry> out;
  const int64_t capped =
      limit > static_cast<std::size_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(limit);
  store_.query(fmt::format("SELECT {} FROM pnl_ledger WHERE asset = ?1 AND sequence > ?2 "
                           "ORDER BY sequence LIMIT ?3",
                           kColumns),
               {std::string(to_string(asset)), after_sequence, capped},
               [&](const store::Row& row) { out.push_back(entry_of(row)); });
  return out;
}

Decimal PnlLedger::strategy_total(std::string_view strategy_id) const {
  Decimal total;
  store_.query("SELECT amount FROM pnl_ledger WHERE strategy_id = ?1", {std::string(strategy_id)},
               [&](const store::Row& row) { total = total + Decimal::parse(row.get_text(0)); });
  return total;
}

std::optional<LedgerBaseline> PnlLedger::baseline(Asset asset) const {
  std::optional<LedgerBaseline> found;
  store_.query("SELECT venue, ledger, time, broker FROM pnl_baselines WHERE asset = ?1",
               {std::string(to_string(asset))}, [&](const store::Row& row) {
                 found = LedgerBaseline{Decimal::parse(row.get_text(0)),
                                        Decimal::parse(row.get_text(1)), row.get_int(2),
                                        row.get_text(3)};
               });
  return found;
}

void PnlLedger::set_baseline(Asset asset, const LedgerBaseline& baseline) {
  store_.execute(
      "INSERT INTO pnl_baselines (asset, venue, ledger, time, broker) VALUES (?1, ?2, ?3, ?4, ?5) "
      "ON CONFLICT (asset) DO UPDATE SET venue = excluded.venue, ledger = excluded.ledger, "
      "time = excluded.time, broker = excluded.broker",
      {std::string(to_string(asset)), baseline.venue.to_string(), baseline.ledger.to_string(),
       baseline.time, baseline.broker});
}

}  // namespace gauntlet::orders
