// Tests of validation/purged_cv against validation.md §14 and §15: numpy.array_split sizing, the
// embargo length, purged k-fold, walk-forward and combinatorial purged CV on small inputs whose
// folds are worked out by hand in the comments, every edge case of the reference (closed
// intervals at the span ends, embargo clipped at the end of data, no embargo after the last
// fold, n < k, empty training sets, bad t0/t1), and properties that characterise the splits
// completely on the §17 LCG generators and on a sweep of random inputs.
#include "validation/purged_cv.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <numeric>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "core/exceptions.hpp"
#include "support/lcg.hpp"

namespace gauntlet::validation {
namespace {

using Indices = std::vector<std::size_t>;
using Times = std::vector<std::int64_t>;

Indices range(std::size_t begin, std::size_t end) {
  Indices out(end - begin);
  std::iota(out.begin(), out.end(), begin);
  return out;
}

Indices join(const Indices& a, const Indices& b) {
  Indices out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// t0_i = i and t1_i = i + span for i < n.
void linear_spans(std::size_t n, std::int64_t span, Times& t0, Times& t1) {
  t0.clear();
  t1.clear();
  for (std::size_t i = 0; i < n; ++i) {
    t0.push_back(static_cast<std::int64_t>(i));
    t1.push_back(static_cast<std::int64_t>(i) + span);
  }
}

// ---- Sizing and embargo length ---------------------------------------------------------------

TEST(SplitOffsets, FollowsNumpyArraySplit) {
  // numpy.array_split(range(10), 3) → sizes 4, 3, 3.
  EXPECT_EQ(split_offsets(10, 3), (Indices{0, 4, 7, 10}));
  EXPECT_EQ(split_offsets(12, 4), (Indices{0, 3, 6, 9, 12}));
  // 11 = 2·5 + 1: the first part gets the extra sample.
  EXPECT_EQ(split_offsets(11, 5), (Indices{0, 3, 5, 7, 9, 11}));
  // array_split allows empty trailing parts.
  EXPECT_EQ(split_offsets(3, 5), (Indices{0, 1, 2, 3, 3, 3}));
  EXPECT_EQ(split_offsets(0, 2), (Indices{0, 0, 0}));
  EXPECT_THROW(split_offsets(5, 0), ArgumentError);
}

TEST(EmbargoSamples, FloorWithEpsilon) {
  EXPECT_EQ(embargo_samples(40, 0.05), 2u);
  EXPECT_EQ(embargo_samples(10, 0.1), 1u);
  EXPECT_EQ(embargo_samples(12, 0.1), 1u);  // 1.2
  EXPECT_EQ(embargo_samples(7, 0.1), 0u);   // 0.7
  EXPECT_EQ(embargo_samples(10, 0.0), 0u);
  EXPECT_EQ(embargo_samples(0, 0.5), 0u);
  EXPECT_EQ(embargo_samples(10, 1.0), 10u);
  // 0.29 · 100 = 28.999999999999996 in doubles; the 1e-9 makes it 29.
  EXPECT_EQ(embargo_samples(100, 0.29), 29u);
  EXPECT_THROW(embargo_samples(10, -0.01), ArgumentError);
  EXPECT_THROW(embargo_samples(10, 1.5), ArgumentError);
  EXPECT_THROW(embargo_samples(10, std::numeric_limits<double>::quiet_NaN()), ArgumentError);
}

// ---- Purged k-fold: hand cases ---------------------------------------------------------------

TEST(PurgedKFold, PointLabelsNeedNoPurge) {
  // t0 = t1 = i, n = 10, k = 3 → folds [0,4), [4,7), [7,10); no label spans a fold boundary,
  // pct = 0: training is the complement of each fold.
  Times t0, t1;
  linear_spans(10, 0, t0, t1);
  const auto folds = purged_kfold(t0, t1, 3, 0.0);
  ASSERT_EQ(folds.size(), 3u);
  EXPECT_EQ(folds[0].test, range(0, 4));
  EXPECT_EQ(folds[0].train, range(4, 10));
  EXPECT_EQ(folds[1].test, range(4, 7));
  EXPECT_EQ(folds[1].train, join(range(0, 4), range(7, 10)));
  EXPECT_EQ(folds[2].test, range(7, 10));
  EXPECT_EQ(folds[2].train, range(0, 7));
  for (std::size_t f = 0; f < 3; ++f) {
    EXPECT_EQ(folds[f].index, f);
    EXPECT_TRUE(folds[f].purged.empty());
    EXPECT_TRUE(folds[f].embargoed.empty());
    EXPECT_EQ(folds[f].embargo, 0u);
  }
  // The first later sample with t0 > T1 opens the (empty) embargo; the last fold has none.
  EXPECT_EQ(folds[0].block.embargo_start, std::optional<std::size_t>(4));
  EXPECT_EQ(folds[1].block.embargo_start, std::optional<std::size_t>(7));
  EXPECT_FALSE(folds[2].block.embargo_start.has_value());
}

TEST(PurgedKFold, OverlappingLabelsArePurgedAndEmbargoed) {
  // t0_i = i, t1_i = i + 2, n = 10, k = 3 (folds [0,4), [4,7), [7,10)), pct = 0.1 → h = 1.
  // Fold 0: T0 = 0, T1 = t1_3 = 5. Purge t0_j <= 5: j = 4, 5. m = 6 (t0 = 6 > 5): embargo {6}.
  //   Train {7, 8, 9}.
  // Fold 1: T0 = 4, T1 = t1_6 = 8. Before: t1_j = j + 2 >= 4 → j = 2, 3. After: t0_j <= 8 →
  //   j = 7, 8. m = 9: embargo {9}. Train {0, 1}.
  // Fold 2: T0 = 7, T1 = 11. Before: j + 2 >= 7 → j = 5, 6. No later data: no embargo.
  //   Train {0, ..., 4}.
  Times t0, t1;
  linear_spans(10, 2, t0, t1);
  const auto folds = purged_kfold(t0, t1, 3, 0.1);
  ASSERT_EQ(folds.size(), 3u);
  EXPECT_EQ(folds[0].block.span_start, 0);
  EXPECT_EQ(folds[0].block.span_end, 5);
  EXPECT_EQ(folds[0].purged, (Indices{4, 5}));
  EXPECT_EQ(folds[0].embargoed, (Indices{6}));
  EXPECT_EQ(folds[0].train, (Indices{7, 8, 9}));
  EXPECT_EQ(folds[0].embargo, 1u);
  EXPECT_EQ(folds[1].block.span_start, 4);
  EXPECT_EQ(folds[1].block.span_end, 8);
  EXPECT_EQ(folds[1].purged, (Indices{2, 3, 7, 8}));
  EXPECT_EQ(folds[1].embargoed, (Indices{9}));
  EXPECT_EQ(folds[1].train, (Indices{0, 1}));
  EXPECT_EQ(folds[2].purged, (Indices{5, 6}));
  EXPECT_TRUE(folds[2].embargoed.empty());
  EXPECT_FALSE(folds[2].block.embargo_start.has_value());
  EXPECT_EQ(folds[2].train, range(0, 5));
}

TEST(PurgedKFold, MillisecondTimestampsGiveTheSameFolds) {
  // The previous case with t0_i = base + i·60,000 ms and t1_i = t0_i + 120,000 ms.
  const std::int64_t base = 1'700'000'000'000;
  Times t0, t1;
  for (std::int64_t i = 0; i < 10; ++i) {
    t0.push_back(base + i * 60'000);
    t1.push_back(base + i * 60'000 + 120'000);
  }
  const auto folds = purged_kfold(t0, t1, 3, 0.1);
  EXPECT_EQ(folds[0].train, (Indices{7, 8, 9}));
  EXPECT_EQ(folds[1].train, (Indices{0, 1}));
  EXPECT_EQ(folds[2].train, range(0, 5));
  EXPECT_EQ(folds[1].block.span_end, base + 8 * 60'000);
}

TEST(PurgedKFold, ClosedIntervalsPurgeTouchingEndpoints) {
  // t0 = 0, 2, 4, 6, 8, 10 and t1 = t0 + 2; k = 3 → folds [0,2), [2,4), [4,6).
  // Fold 1: T0 = 4, T1 = t1_3 = 8. Sample 1 ends at 4 = T0 and sample 4 starts at 8 = T1: both
  // purged (AFML Snippet 7.3 would keep them). Samples 0 (ends 2) and 5 (starts 10) stay.
  // Fold 0: T1 = 4: sample 2 starts at 4 → purged; sample 3 starts at 6 → kept.
  // Fold 2: T0 = 8: sample 3 ends at 8 → purged; sample 2 ends at 6 → kept.
  const Times t0 = {0, 2, 4, 6, 8, 10};
  const Times t1 = {2, 4, 6, 8, 10, 12};
  const auto folds = purged_kfold(t0, t1, 3, 0.0);
  EXPECT_EQ(folds[0].purged, (Indices{2}));
  EXPECT_EQ(folds[0].train, (Indices{3, 4, 5}));
  EXPECT_EQ(folds[1].purged, (Indices{1, 4}));
  EXPECT_EQ(folds[1].train, (Indices{0, 5}));
  EXPECT_EQ(folds[2].purged, (Indices{3}));
  EXPECT_EQ(folds[2].train, (Indices{0, 1, 2}));
}

TEST(PurgedKFold, EmbargoIsClippedAtTheEndAndAbsentAfterTheLastFold) {
  // t0 = t1 = i, n = 10, k = 5 (folds of 2), pct = 0.3 → h = 3.
  // Fold 0 [0,2): m = 2 → embargo {2, 3, 4}, train {5..9}.
  // Fold 1 [2,4): m = 4 → embargo {4, 5, 6}, train {0, 1, 7, 8, 9}.
  // Fold 3 [6,8): m = 8 → {8, 9, 10} clipped to {8, 9}, train {0..5}.
  // Fold 4 [8,10): no later data, no embargo, train {0..7}.
  Times t0, t1;
  linear_spans(10, 0, t0, t1);
  const auto folds = purged_kfold(t0, t1, 5, 0.3);
  EXPECT_EQ(folds[0].embargoed, (Indices{2, 3, 4}));
  EXPECT_EQ(folds[0].train, range(5, 10));
  EXPECT_EQ(folds[1].embargoed, (Indices{4, 5, 6}));
  EXPECT_EQ(folds[1].train, (Indices{0, 1, 7, 8, 9}));
  EXPECT_EQ(folds[3].embargoed, (Indices{8, 9}));
  EXPECT_EQ(folds[3].train, range(0, 6));
  EXPECT_TRUE(folds[4].embargoed.empty());
  EXPECT_EQ(folds[4].train, range(0, 8));
}

TEST(PurgedKFold, EqualStartTimesAreAllowed) {
  // t0 = t1 = {0, 0, 1, 1}, k = 2: fold 0 spans [0, 0], fold 1 [1, 1]; no overlap across folds.
  const Times t = {0, 0, 1, 1};
  const auto folds = purged_kfold(t, t, 2, 0.0);
  EXPECT_EQ(folds[0].train, (Indices{2, 3}));
  EXPECT_EQ(folds[1].train, (Indices{0, 1}));
}

TEST(PurgedKFold, RejectsBadArguments) {
  Times t0, t1;
  linear_spans(10, 1, t0, t1);
  EXPECT_THROW(purged_kfold(t0, t1, 0, 0.0), ArgumentError);
  EXPECT_THROW(purged_kfold(t0, t1, 1, 0.0), ArgumentError);
  EXPECT_THROW(purged_kfold(t0, t1, 11, 0.0), ArgumentError);  // n < k
  EXPECT_THROW(purged_kfold(Times{}, Times{}, 2, 0.0), ArgumentError);
  EXPECT_THROW(purged_kfold(t0, t1, 2, -0.1), ArgumentError);
  EXPECT_THROW(purged_kfold(t0, t1, 2, 1.1), ArgumentError);
  EXPECT_THROW(purged_kfold(t0, Times(t1.begin(), t1.end() - 1), 2, 0.0), ArgumentError);
  Times early = t1;
  early[4] = t0[4] - 1;  // t1 < t0
  EXPECT_THROW(purged_kfold(t0, early, 2, 0.0), ArgumentError);
  Times decreasing = t0;
  decreasing[5] = 3;  // t0 = ..., 4, 3, 6, ...
  EXPECT_THROW(purged_kfold(decreasing, t1, 2, 0.0), ArgumentError);
  // Every label runs to 10: fold 0 (T1 = 10) purges all of fold 1, an empty training set.
  EXPECT_THROW(purged_kfold(Times{0, 1, 2, 3}, Times{10, 10, 10, 10}, 2, 0.0), ArgumentError);
  // An embargo that swallows the rest: fold 0 of 4 point labels with h = 2 leaves nothing.
  EXPECT_THROW(purged_kfold(Times{0, 1, 2, 3}, Times{0, 1, 2, 3}, 2, 0.5), ArgumentError);
}

// ---- Walk-forward ----------------------------------------------------------------------------

TEST(WalkForward, TrainsOnlyOnPurgedEarlierSamples) {
  // t0_i = i, t1_i = i + 2, n = 10, k = 3. Fold 0 has no earlier data and is left out.
  // Fold 1 [4,7), T0 = 4: earlier j with t1_j = j + 2 >= 4 are purged (2, 3) → train {0, 1}.
  // Fold 2 [7,10), T0 = 7: j = 5, 6 purged → train {0, ..., 4}.
  Times t0, t1;
  linear_spans(10, 2, t0, t1);
  const auto folds = walk_forward_folds(t0, t1, 3);
  ASSERT_EQ(folds.size(), 2u);
  EXPECT_EQ(folds[0].index, 1u);
  EXPECT_EQ(folds[0].test, range(4, 7));
  EXPECT_EQ(folds[0].train, (Indices{0, 1}));
  EXPECT_EQ(folds[0].purged, (Indices{2, 3}));
  EXPECT_TRUE(folds[0].embargoed.empty());
  EXPECT_EQ(folds[1].index, 2u);
  EXPECT_EQ(folds[1].test, range(7, 10));
  EXPECT_EQ(folds[1].train, range(0, 5));
  EXPECT_EQ(folds[1].purged, (Indices{5, 6}));
  EXPECT_EQ(folds[1].block.span_start, 7);
  EXPECT_EQ(folds[1].block.span_end, 11);
}

TEST(WalkForward, RejectsBadArgumentsAndEmptyTraining) {
  Times t0, t1;
  linear_spans(5, 0, t0, t1);
  EXPECT_THROW(walk_forward_folds(t0, t1, 1), ArgumentError);
  EXPECT_THROW(walk_forward_folds(t0, t1, 6), ArgumentError);
  // Fold 1 starts at T0 = 2 and every earlier label ends at 5: nothing left to train on.
  EXPECT_THROW(walk_forward_folds(Times{0, 1, 2, 3}, Times{5, 5, 5, 5}, 2), ArgumentError);
  EXPECT_THROW(walk_forward_folds(Times{0, 2, 1, 3}, Times{0, 2, 1, 3}, 2), ArgumentError);
}

// ---- CPCV: hand cases ------------------------------------------------------------------------

TEST(Cpcv, ThreeGroupsTwoTestGroups) {
  // t0 = t1 = i, n = 6, N = 3 (groups {0,1}, {2,3}, {4,5}), k = 2, pct = 0.
  // Splits in lexicographic order: (0,1) train {4,5}; (0,2) train {2,3}; (1,2) train {0,1}.
  // φ = C(2,1) = 2. Group 0 is tested in splits 0, 1; group 1 in 0, 2; group 2 in 1, 2.
  Times t0, t1;
  linear_spans(6, 0, t0, t1);
  const Cpcv cpcv = combinatorial_purged_cv(t0, t1, 3, 2, 0.0);
  EXPECT_EQ(cpcv.group_offsets, (Indices{0, 2, 4, 6}));
  ASSERT_EQ(cpcv.splits.size(), 3u);
  EXPECT_EQ(cpcv.splits[0].test_groups, (Indices{0, 1}));
  EXPECT_EQ(cpcv.splits[0].test, range(0, 4));
  EXPECT_EQ(cpcv.splits[0].train, (Indices{4, 5}));
  ASSERT_EQ(cpcv.splits[0].blocks.size(), 1u);  // adjacent groups merged
  EXPECT_EQ(cpcv.splits[1].test_groups, (Indices{0, 2}));
  EXPECT_EQ(cpcv.splits[1].test, (Indices{0, 1, 4, 5}));
  EXPECT_EQ(cpcv.splits[1].train, (Indices{2, 3}));
  EXPECT_EQ(cpcv.splits[1].blocks.size(), 2u);
  EXPECT_EQ(cpcv.splits[2].test_groups, (Indices{1, 2}));
  EXPECT_EQ(cpcv.splits[2].train, (Indices{0, 1}));
  EXPECT_EQ(cpcv.paths, 2u);
  EXPECT_EQ(cpcv.path_split, (std::vector<Indices>{{0, 0, 1}, {1, 2, 2}}));
}

TEST(Cpcv, FourGroupsWithPurgeAndEmbargo) {
  // t0_i = i, t1_i = i + 1, n = 12, N = 4 (groups of 3: G0 0-2, G1 3-5, G2 6-8, G3 9-11),
  // k = 2, pct = 0.1 → h = floor(1.2) = 1. A block [a, b) purges j ∉ test with j <= T1 and
  // j + 1 >= T0, then embargoes m = the first j >= b with j > T1.
  // 0 (G0,G1): block [0,6), T1 = 6: purge {6}, m = 7: embargo {7}. Train {8..11}.
  // 1 (G0,G2): [0,3) T1 = 3: purge {3}, embargo {4}; [6,9) T0 = 6, T1 = 9: purge {5, 9},
  //    embargo {10}. Train {11}.
  // 2 (G0,G3): [0,3): purge {3}, embargo {4}; [9,12) T0 = 9: purge {8}, no later data.
  //    Train {5, 6, 7}.
  // 3 (G1,G2): [3,9) T0 = 3, T1 = 9: purge {2, 9}, embargo {10}. Train {0, 1, 11}.
  // 4 (G1,G3): [3,6) T0 = 3, T1 = 6: purge {2, 6}, embargo {7}; [9,12): purge {8}.
  //    Train {0, 1}.
  // 5 (G2,G3): [6,12) T0 = 6: purge {5}. Train {0..4}.
  // φ = C(3,1) = 3: G0 in splits 0,1,2; G1 in 0,3,4; G2 in 1,3,5; G3 in 2,4,5.
  Times t0, t1;
  linear_spans(12, 1, t0, t1);
  const Cpcv cpcv = combinatorial_purged_cv(t0, t1, 4, 2, 0.1);
  EXPECT_EQ(cpcv.embargo, 1u);
  ASSERT_EQ(cpcv.splits.size(), 6u);
  const std::vector<Indices> groups = {{0, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 3}};
  const std::vector<Indices> train = {{8, 9, 10, 11}, {11},   {5, 6, 7},
                                      {0, 1, 11},     {0, 1}, {0, 1, 2, 3, 4}};
  const std::vector<Indices> purged = {{6}, {3, 5, 9}, {3, 8}, {2, 9}, {2, 6, 8}, {5}};
  const std::vector<Indices> embargoed = {{7}, {4, 10}, {4}, {10}, {7}, {}};
  for (std::size_t s = 0; s < 6; ++s) {
    SCOPED_TRACE(s);
    EXPECT_EQ(cpcv.splits[s].test_groups, groups[s]);
    EXPECT_EQ(cpcv.splits[s].train, train[s]);
    EXPECT_EQ(cpcv.splits[s].purged, purged[s]);
    EXPECT_EQ(cpcv.splits[s].embargoed, embargoed[s]);
  }
  const auto& blocks = cpcv.splits[1].blocks;
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].begin, 0u);
  EXPECT_EQ(blocks[0].end, 3u);
  EXPECT_EQ(blocks[0].span_end, 3);
  EXPECT_EQ(blocks[0].embargo_start, std::optional<std::size_t>(4));
  EXPECT_EQ(blocks[1].begin, 6u);
  EXPECT_EQ(blocks[1].end, 9u);
  EXPECT_EQ(blocks[1].span_start, 6);
  EXPECT_EQ(blocks[1].span_end, 9);
  EXPECT_EQ(blocks[1].embargo_start, std::optional<std::size_t>(10));
  EXPECT_EQ(cpcv.paths, 3u);
  EXPECT_EQ(cpcv.path_split, (std::vector<Indices>{{0, 0, 1, 2}, {1, 3, 3, 4}, {2, 4, 5, 5}}));
}

TEST(Cpcv, EmbargoRunningIntoALaterTestBlockLeavesTestIntact) {
  // t0 = t1 = i, n = 10, N = 5 (groups of 2), k = 2, pct = 0.3 → h = 3. Split 1 tests G0 and G2
  // ({0, 1, 4, 5}): block [0,2) embargoes samples 2, 3, 4, but 4 is a test sample and stays
  // one; block [4,6) embargoes 6, 7, 8. Train {9}.
  Times t0, t1;
  linear_spans(10, 0, t0, t1);
  const Cpcv cpcv = combinatorial_purged_cv(t0, t1, 5, 2, 0.3);
  ASSERT_EQ(cpcv.splits.size(), 10u);
  const CpcvSplit& split = cpcv.splits[1];
  EXPECT_EQ(split.test_groups, (Indices{0, 2}));
  EXPECT_EQ(split.test, (Indices{0, 1, 4, 5}));
  EXPECT_EQ(split.embargoed, (Indices{2, 3, 6, 7, 8}));
  EXPECT_EQ(split.train, (Indices{9}));
  EXPECT_EQ(cpcv.paths, 4u);
}

TEST(Cpcv, SingleTestGroupIsPurgedKFold) {
  // k = 1: C(N, 1) = N splits, one path, and each split equals the purged k-fold fold.
  Times t0, t1;
  linear_spans(17, 2, t0, t1);
  const Cpcv cpcv = combinatorial_purged_cv(t0, t1, 4, 1, 0.1);
  const auto folds = purged_kfold(t0, t1, 4, 0.1);
  ASSERT_EQ(cpcv.splits.size(), 4u);
  EXPECT_EQ(cpcv.paths, 1u);
  EXPECT_EQ(cpcv.path_split, (std::vector<Indices>{{0, 1, 2, 3}}));
  for (std::size_t s = 0; s < 4; ++s) {
    EXPECT_EQ(cpcv.splits[s].test, folds[s].test);
    EXPECT_EQ(cpcv.splits[s].train, folds[s].train);
    EXPECT_EQ(cpcv.splits[s].purged, folds[s].purged);
    EXPECT_EQ(cpcv.splits[s].embargoed, folds[s].embargoed);
  }
}

TEST(Cpcv, RejectsBadArguments) {
  Times t0, t1;
  linear_spans(10, 0, t0, t1);
  EXPECT_THROW(combinatorial_purged_cv(t0, t1, 1, 1, 0.0), ArgumentError);
  EXPECT_THROW(combinatorial_purged_cv(t0, t1, 4, 0, 0.0), ArgumentError);
  EXPECT_THROW(combinatorial_purged_cv(t0, t1, 4, 4, 0.0), ArgumentError);
  EXPECT_THROW(combinatorial_purged_cv(t0, t1, 11, 2, 0.0), ArgumentError);  // n < N
  EXPECT_THROW(combinatorial_purged_cv(t0, t1, 4, 2, -0.5), ArgumentError);
  EXPECT_THROW(combinatorial_purged_cv(Times{0, 1}, Times{0}, 2, 1, 0.0), ArgumentError);
  EXPECT_THROW(combinatorial_purged_cv(Times{0, 1, 2}, Times{0, 0, 2}, 2, 1, 0.0), ArgumentError);
  // All labels overlap each other: the purge empties every training set.
  EXPECT_THROW(combinatorial_purged_cv(Times{0, 1, 2, 3}, Times{9, 9, 9, 9}, 2, 1, 0.0),
               ArgumentError);
  // C(40, 20) ≈ 1.4e11 splits exceed kMaxCpcvSplits.
  Times many0, many1;
  linear_spans(40, 0, many0, many1);
  EXPECT_THROW(combinatorial_purged_cv(many0, many1, 40, 20, 0.0), ArgumentError);
}

TEST(Cpcv, ThreadsDoNotChangeTheSplits) {
  Times t0, t1;
  linear_spans(997, 7, t0, t1);
  const Cpcv serial = combinatorial_purged_cv(t0, t1, 9, 3, 0.02, 1);
  const Cpcv parallel = combinatorial_purged_cv(t0, t1, 9, 3, 0.02, 3);
  ASSERT_EQ(parallel.splits.size(), serial.splits.size());
  EXPECT_EQ(parallel.path_split, serial.path_split);
  for (std::size_t s = 0; s < serial.splits.size(); ++s) {
    EXPECT_EQ(parallel.splits[s].test_groups, serial.splits[s].test_groups);
    EXPECT_EQ(parallel.splits[s].train, serial.splits[s].train);
    EXPECT_EQ(parallel.splits[s].purged, serial.splits[s].purged);
    EXPECT_EQ(parallel.splits[s].embargoed, serial.splits[s].embargoed);
  }
  // The empty training set is reported for the same (first) split whatever the thread count.
  const Times all0{0, 1, 2, 3}, all1{9, 9, 9, 9};
  std::string serial_error, parallel_error;
  try {
    combinatorial_purged_cv(all0, all1, 4, 2, 0.0, 1);
  } catch (const ArgumentError& error) {
    serial_error = error.what();
  }
  try {
    combinatorial_purged_cv(all0, all1, 4, 2, 0.0, 4);
  } catch (const ArgumentError& error) {
    parallel_error = error.what();
  }
  EXPECT_NE(serial_error.find("split 0"), std::string::npos) << serial_error;
  EXPECT_EQ(parallel_error, serial_error);
}

// ---- Properties ------------------------------------------------------------------------------

using testing::Lcg;

// Checks that `train` is exactly the samples outside `test` that no block purges or embargoes,
// and that `purged` and `embargoed` are the rest, every list ascending.
template <typename Split>
void expect_characterised(const Times& t0, const Times& t1, const Split& split,
                          const std::vector<TestBlock>& blocks, std::size_t embargo) {
  const std::size_t n = t0.size();
  for (const Indices* list : {&split.test, &split.train, &split.purged, &split.embargoed}) {
    EXPECT_TRUE(std::is_sorted(list->begin(), list->end()));
  }
  const std::set<std::size_t> test(split.test.begin(), split.test.end());
  const std::set<std::size_t> train(split.train.begin(), split.train.end());
  const std::set<std::size_t> purged(split.purged.begin(), split.purged.end());
  const std::set<std::size_t> embargoed(split.embargoed.begin(), split.embargoed.end());
  EXPECT_EQ(test.size() + train.size() + purged.size() + embargoed.size(), n);
  std::size_t block_samples = 0;
  for (std::size_t b = 0; b < blocks.size(); ++b) {
    const TestBlock& block = blocks[b];
    block_samples += block.end - block.begin;
    for (std::size_t j = block.begin; j < block.end; ++j) EXPECT_TRUE(test.contains(j)) << j;
    EXPECT_EQ(block.span_start, t0[block.begin]);
    EXPECT_EQ(block.span_end, *std::max_element(t1.begin() + block.begin, t1.begin() + block.end));
    // Blocks are maximal: a non-test sample separates consecutive blocks.
    if (b > 0) {
      EXPECT_LT(blocks[b - 1].end, block.begin);
    }
    std::size_t m = block.end;
    while (m < n && t0[m] <= block.span_end) ++m;
    EXPECT_EQ(block.embargo_start, m < n ? std::optional<std::size_t>(m) : std::nullopt);
  }
  EXPECT_EQ(block_samples, test.size());
  for (std::size_t j = 0; j < n; ++j) {
    if (test.contains(j)) continue;
    bool overlaps = false;
    bool in_embargo = false;
    for (const TestBlock& block : blocks) {
      overlaps |= t0[j] <= block.span_end && t1[j] >= block.span_start;
      if (block.embargo_start)
        in_embargo |= j >= *block.embargo_start && j < *block.embargo_start + embargo;
    }
    EXPECT_EQ(purged.contains(j), overlaps) << j;
    EXPECT_EQ(embargoed.contains(j), !overlaps && in_embargo) << j;
    EXPECT_EQ(train.contains(j), !overlaps && !in_embargo) << j;
  }
}

void expect_valid_kfold(const Times& t0, const Times& t1, std::size_t k, double pct) {
  const auto folds = purged_kfold(t0, t1, k, pct);
  const std::size_t n = t0.size();
  const Indices offsets = split_offsets(n, k);
  ASSERT_EQ(folds.size(), k);
  std::vector<int> tested(n, 0);
  for (std::size_t f = 0; f < k; ++f) {
    SCOPED_TRACE(::testing::Message() << "fold " << f);
    EXPECT_EQ(folds[f].test, range(offsets[f], offsets[f + 1]));
    for (const std::size_t j : folds[f].test) ++tested[j];
    EXPECT_FALSE(folds[f].train.empty());
    EXPECT_EQ(folds[f].embargo, embargo_samples(n, pct));
    expect_characterised(t0, t1, folds[f], {folds[f].block}, folds[f].embargo);
    // No training label interval meets the test span.
    for (const std::size_t j : folds[f].train) {
      EXPECT_TRUE(t1[j] < folds[f].block.span_start || t0[j] > folds[f].block.span_end) << j;
    }
  }
  // Every sample is in exactly one test fold.
  for (std::size_t j = 0; j < n; ++j) EXPECT_EQ(tested[j], 1) << j;

  const auto walk = walk_forward_folds(t0, t1, k);
  ASSERT_EQ(walk.size(), k - 1);
  for (std::size_t f = 1; f < k; ++f) {
    const Fold& fold = walk[f - 1];
    EXPECT_EQ(fold.index, f);
    EXPECT_EQ(fold.test, folds[f].test);
    EXPECT_EQ(join(fold.train, fold.purged).size(), offsets[f]);
    for (const std::size_t j : fold.train) {
      EXPECT_LT(j, offsets[f]);
      EXPECT_LT(t1[j], fold.block.span_start) << j;
    }
    for (const std::size_t j : fold.purged) EXPECT_GE(t1[j], fold.block.span_start) << j;
    EXPECT_TRUE(fold.embargoed.empty());
  }
}

std::size_t binomial(std::size_t n, std::size_t k) {
  std::size_t result = 1;
  for (std::size_t i = 0; i < k; ++i) result = result * (n - i) / (i + 1);
  return result;
}

void expect_valid_cpcv(const Times& t0, const Times& t1, std::size_t groups,
                       std::size_t test_groups, double pct) {
  const Cpcv cpcv = combinatorial_purged_cv(t0, t1, groups, test_groups, pct);
  const std::size_t n = t0.size();
  EXPECT_EQ(cpcv.group_offsets, split_offsets(n, groups));
  EXPECT_EQ(cpcv.embargo, embargo_samples(n, pct));
  ASSERT_EQ(cpcv.splits.size(), binomial(groups, test_groups));
  const std::size_t phi = binomial(groups - 1, test_groups - 1);
  EXPECT_EQ(cpcv.paths, phi);
  EXPECT_EQ(phi * groups, test_groups * cpcv.splits.size());  // φ = k·C(N,k)/N
  std::vector<Indices> splits_with(groups);
  for (std::size_t s = 0; s < cpcv.splits.size(); ++s) {
    SCOPED_TRACE(::testing::Message() << "split " << s);
    const CpcvSplit& split = cpcv.splits[s];
    ASSERT_EQ(split.test_groups.size(), test_groups);
    EXPECT_TRUE(std::adjacent_find(split.test_groups.begin(), split.test_groups.end(),
                                   std::greater_equal<>()) == split.test_groups.end());
    if (s > 0) {
      EXPECT_TRUE(std::lexicographical_compare(cpcv.splits[s - 1].test_groups.begin(),
                                               cpcv.splits[s - 1].test_groups.end(),
                                               split.test_groups.begin(), split.test_groups.end()));
    }
    Indices test;
    for (const std::size_t g : split.test_groups) {
      test = join(test, range(cpcv.group_offsets[g], cpcv.group_offsets[g + 1]));
      splits_with[g].push_back(s);
    }
    EXPECT_EQ(split.test, test);
    EXPECT_FALSE(split.train.empty());
    expect_characterised(t0, t1, split, split.blocks, cpcv.embargo);
    for (const std::size_t j : split.train) {
      for (const TestBlock& block : split.blocks) {
        EXPECT_TRUE(t1[j] < block.span_start || t0[j] > block.span_end) << j;
      }
    }
  }
  // Every group is tested in exactly φ splits; path p takes the p-th of them.
  ASSERT_EQ(cpcv.path_split.size(), phi);
  for (std::size_t g = 0; g < groups; ++g) {
    ASSERT_EQ(splits_with[g].size(), phi) << g;
    for (std::size_t p = 0; p < phi; ++p) {
      ASSERT_EQ(cpcv.path_split[p].size(), groups);
      EXPECT_EQ(cpcv.path_split[p][g], splits_with[g][p]) << p << " " << g;
    }
  }
}

TEST(PurgedCvProperties, Section17PurgedKFoldGenerator) {
  // §17 purged_kfold: seed 99, n = 40, t0_i = 2i, t1_i = t0_i + 1 + floor(8·u_i).
  Lcg lcg(99);
  Times t0, t1;
  for (std::int64_t i = 0; i < 40; ++i) {
    t0.push_back(2 * i);
    t1.push_back(2 * i + 1 + static_cast<std::int64_t>(std::floor(8 * lcg.uniform())));
  }
  for (const auto& [k, pct] : {std::pair{5u, 0.05}, std::pair{4u, 0.0}, std::pair{3u, 0.1}}) {
    SCOPED_TRACE(::testing::Message() << "k " << k << " pct " << pct);
    expect_valid_kfold(t0, t1, k, pct);
  }
  EXPECT_EQ(purged_kfold(t0, t1, 5, 0.05)[0].embargo, 2u);
}

TEST(PurgedCvProperties, Section17CpcvGenerator) {
  // §17 cpcv: seed 123, n = 30, t0_i = 3i, t1_i = t0_i + floor(10·u_i), N = 6, k = 2, pct 0.05.
  Lcg lcg(123);
  Times t0, t1;
  for (std::int64_t i = 0; i < 30; ++i) {
    t0.push_back(3 * i);
    t1.push_back(3 * i + static_cast<std::int64_t>(std::floor(10 * lcg.uniform())));
  }
  expect_valid_cpcv(t0, t1, 6, 2, 0.05);
  const Cpcv cpcv = combinatorial_purged_cv(t0, t1, 6, 2, 0.05);
  EXPECT_EQ(cpcv.splits.size(), 15u);
  EXPECT_EQ(cpcv.paths, 5u);
  EXPECT_EQ(cpcv.embargo, 1u);  // floor(1.5)
}

TEST(PurgedCvProperties, RandomSweep) {
  // Random label spans (repeated start times included) over many n, k, N and embargo sizes,
  // sized so that no training set comes out empty.
  Lcg lcg(2024);
  for (int trial = 0; trial < 60; ++trial) {
    const std::size_t n = 30 + static_cast<std::size_t>(lcg.uniform() * 50);
    Times t0, t1;
    std::int64_t time = 0;
    for (std::size_t i = 0; i < n; ++i) {
      time += static_cast<std::int64_t>(lcg.uniform() * 3);  // steps of 0, 1 or 2
      t0.push_back(time);
      t1.push_back(time + static_cast<std::int64_t>(lcg.uniform() * 4));
    }
    const std::size_t k = 3 + static_cast<std::size_t>(lcg.uniform() * 4);
    const double pct = 0.03 * static_cast<double>(trial % 3);
    SCOPED_TRACE(::testing::Message() << "trial " << trial << " n " << n << " k " << k);
    expect_valid_kfold(t0, t1, k, pct);
    const std::size_t groups = 3 + static_cast<std::size_t>(lcg.uniform() * 4);
    const std::size_t test_groups = 1 + static_cast<std::size_t>(lcg.uniform() * 2);
    expect_valid_cpcv(t0, t1, groups, test_groups, pct);
  }
}

}  // namespace
}  // namespace gauntlet::validation
