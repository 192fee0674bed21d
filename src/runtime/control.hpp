// File: runtime/control.hpp
//
// What the control plane (ui/api_server, seed 001 §9.1) reads from a session and the actions it
// triggers, as plain values. The runtime fills them on its engine thread from the owners: the
// budget_manager (allocations), the session_manager (equity marks, reward points), the order
// router and its journal (positions, orders, trades), the data_manager (quotes), the strategy
// registry (strategies, flags, history). The UI only shows them; it decides nothing.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/decimal.hpp"
#include "core/interfaces.hpp"
#include "core/orders.hpp"
#include "core/symbol.hpp"
#include "core/time.hpp"

namespace gauntlet::runtime {

// One asset's panel: its money, its toggles and its record.
struct AssetPanel {
  Asset asset = Asset::kSpot;
  Decimal balance;     // the asset's paper equity: its budget allocation
  Decimal allocation;  // the same figure, as the budget_manager holds it
  Decimal reserved;    // committed to open orders and positions
  Decimal available;
  double reward_points = 0;  // the reward_system's points of the asset's closed trades
  bool live = false;         // the live toggle (runtime_state live.<asset>)
  bool killed = false;       // the kill switch is engaged (until resumed)
  std::string halted;        // why new entries are refused (kill switch, desync, shutdown); or ""
  int open_positions = 0;
  int64_t closed_trades = 0;
  Decimal realized_pnl;
};

// An open position marked at the last quote.
struct PositionView {
  Position position;
  Decimal mark_price;  // zero when no quote has arrived
  Decimal unrealized_pnl;
};

struct QuoteView {
  Asset asset = Asset::kSpot;
  Symbol symbol;
  Decimal price;
  TimestampMs time = 0;
};

// One equity mark of the paper session: each asset's equity and the total (the pool included).
struct EquityMark {
  TimestampMs time = 0;
  std::array<Decimal, 4> assets{};  // by Asset
  Decimal total;
};

}  // namespace gauntlet::runtime
