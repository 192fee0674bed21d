// File: tests/support/promotion.hpp
//
// Promotes a session's exploring strategies as the promotion gate does (to validating, then the
// gate's apply with a passed decision), for the tests that need strategies allowed on a live
// asset without running the validation. Header-only: the test binary links
// strategy_registry and promotion_gate.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>

#include "core/config.hpp"
#include "core/store/sqlite_store.hpp"
#include "strategies/strategy_registry.hpp"
#include "validation/promotion_gate.hpp"

namespace gauntlet::testing {

// Promotes up to `limit` exploring strategies of `asset` in the state database `db`; returns
// how many were promoted (a refused step is a test failure).
inline std::size_t promote_exploring(const std::filesystem::path& db, Asset asset,
                                     const config::ValidationGate& gate,
                                     std::size_t limit = SIZE_MAX) {
  auto store = store::SqliteStore::open(db);
  strategies::StrategyRegistry registry(*store);
  std::size_t promoted = 0;
  for (const strategies::StrategyRecord& record :
       registry.get_for(asset, strategies::StrategyState::kExploring)) {
    if (promoted == limit) break;
    EXPECT_TRUE(
        registry.set_state(record.id, strategies::StrategyState::kValidating, "test", 1).ok);
    validation::GateDecision passed;
    passed.passed = true;
    EXPECT_TRUE(validation::PromotionGate(gate).apply(registry, record.id, passed, 2).ok)
        << record.id;
    ++promoted;
  }
  return promoted;
}

}  // namespace gauntlet::testing
