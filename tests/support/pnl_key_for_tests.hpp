// The test-only maker of capital::PnlKey (budget_manager.hpp): tests and benchmarks book P&L
// into a BudgetManager directly; under src/ only orders::PnlReconciler can.
#pragma once

#include "capital/budget_manager.hpp"

namespace gauntlet::capital {

struct PnlKeyForTests {
  static PnlKey make() { return {}; }
};

}  // namespace gauntlet::capital
