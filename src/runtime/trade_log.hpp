// File: runtime/trade_log.hpp
//
// TradeLog: the session's closed trades as CSV, one row per round trip in close order, with the
// header
//   strategy_id,asset,symbol,side,entry_time_ms,exit_time_ms,entry_price,exit_price,qty,
//   stop_loss,take_profit,fees,realized_pnl,exit_reason
// Money and quantities are the journal's exact decimals, times are epoch milliseconds, side is
// buy (a long) or sell (a short).
//
// The journal (orders::OrderJournal::closed_trades, written in the commit of each closing fill)
// is the source of truth; the file is a view of it: open() rewrites the file from the journal
// (atomically: a temporary file renamed over it), so after a crash or kill the file holds
// exactly the trades the journal holds, and append() adds each new one (flushed, not synced:
// the next open() repairs whatever a crash cut).
//
// Threading: single-threaded, on the engine loop.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "orders/order_journal.hpp"

namespace gauntlet::runtime {

class TradeLog {
 public:
  static constexpr std::string_view kHeader =
      "strategy_id,asset,symbol,side,entry_time_ms,exit_time_ms,entry_price,exit_price,qty,"
      "stop_loss,take_profit,fees,realized_pnl,exit_reason";

  explicit TradeLog(std::filesystem::path path);

  // Rewrites the file with `trades` (the journal's, in close order) and keeps it open.
  void open(const std::vector<orders::ClosedTrade>& trades);
  void append(const orders::ClosedTrade& trade);
  const std::filesystem::path& path() const { return path_; }

  // One CSV row, without the line break.
  static std::string row(const orders::ClosedTrade& trade);

 private:
  std::filesystem::path path_;
  std::ofstream out_;
};

}  // namespace gauntlet::runtime
