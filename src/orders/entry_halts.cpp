#include "orders/entry_halts.hpp"

#include <fmt/format.h>

#include "core/exceptions.hpp"

namespace gauntlet::orders {
namespace {

constexpr store::Migration kMigrations[] = {
    {1, "entry halts",
     "CREATE TABLE entry_halts ("
     "  asset TEXT NOT NULL,"
     "  reason TEXT NOT NULL,"
     "  detail TEXT NOT NULL,"
     "  since INTEGER NOT NULL,"
     "  PRIMARY KEY (asset, reason))"},
};

std::size_t index(Asset asset) {
  return static_cast<std::size_t>(asset);
}

}  // namespace

std::string_view to_string(HaltReason reason) {
  switch (reason) {
    case HaltReason::kKillSwitch:
      return "kill_switch";
    case HaltReason::kCriticalError:
      return "critical_error";
    case HaltReason::kBrokerDesync:
      return "broker_desync";
    case HaltReason::kDailyLoss:
      return "daily_loss";
    case HaltReason::kDrawdown:
      return "drawdown";
    case HaltReason::kShutdown:
      return "shutdown";
    case HaltReason::kDisabled:
      return "disabled";
    case HaltReason::kGoingLive:
      return "going_live";
  }
  return "kill_switch";
}

std::optional<HaltReason> halt_reason_from_string(std::string_view text) {
  for (HaltReason reason : kAllHaltReasons)
    if (to_string(reason) == text) return reason;
  return std::nullopt;
}

EntryHalts::EntryHalts(store::Store& store) : store_(store) {
  store_.migrate("entry_halts", kMigrations);
  store_.query("SELECT asset, reason, detail, since FROM entry_halts", {},
               [&](const store::Row& row) {
                 const auto asset = asset_from_string(row.get_text(0));
                 const auto reason = halt_reason_from_string(row.get_text(1));
                 if (!asset || !reason) {
                   throw StateError(fmt::format("entry_halts: unknown asset or reason ({}, {})",
                                                row.get_text(0), row.get_text(1)));
                 }
                 halts_[index(*asset)][*reason] = {*reason, row.get_text(2), row.get_int(3)};
               });
}

bool EntryHalts::add(Asset asset, HaltReason reason, std::string detail, TimestampMs now) {
  auto& halts = halts_[index(asset)];
  const auto found = halts.find(reason);
  const bool added = found == halts.end();
  if (!added && found->second.detail == detail) return false;
  const TimestampMs since = added ? now : found->second.since;
  if (persisted(reason)) {
    store_.execute(
        "INSERT INTO entry_halts (asset, reason, detail, since) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (asset, reason) DO UPDATE SET detail = excluded.detail",
        {std::string(to_string(asset)), std::string(to_string(reason)), detail, since});
  }
  halts[reason] = {reason, std::move(detail), since};
  return added;
}

bool EntryHalts::remove(Asset asset, HaltReason reason) {
  if (halts_[index(asset)].erase(reason) == 0) return false;
  if (persisted(reason)) {
    store_.execute("DELETE FROM entry_halts WHERE asset = ?1 AND reason = ?2",
                   {std::string(to_string(asset)), std::string(to_string(reason))});
  }
  return true;
}

bool EntryHalts::holds(Asset asset, HaltReason reason) const {
  return halts_[index(asset)].contains(reason);
}

std::vector<Halt> EntryHalts::of(Asset asset) const {
  std::vector<Halt> out;
  for (const auto& [reason, halt] : halts_[index(asset)]) out.push_back(halt);
  return out;
}

std::optional<std::string> EntryHalts::summary(Asset asset) const {
  const auto& halts = halts_[index(asset)];
  if (halts.empty()) return std::nullopt;
  std::string text;
  for (const auto& [reason, halt] : halts) {
    if (!text.empty()) text += "; ";
    text += to_string(reason);
    if (!halt.detail.empty()) text += ": " + halt.detail;
  }
  return text;
}

}  // namespace gauntlet::orders
