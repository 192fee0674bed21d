// File: validation/purged_cv.hpp
//
// Owns the cross-validation splits for labels that span time, exactly as defined in
// ../shared/reference/validation.md: purged k-fold with embargo and its walk-forward variant
// (§14), and combinatorial purged CV with its backtest paths (§15).
//
// Conventions (validation.md §14): samples i = 0..n−1 in time order, each with a start t0_i and
// a label end t1_i >= t0_i (bar indices or timestamps, e.g. Unix milliseconds), t0
// non-decreasing. Folds and groups are contiguous and sized as numpy.array_split sizes them
// (the first n mod k get one extra sample). A test span [T0, T1] = [t0_a, max t1 over the
// block] purges every other sample j with t0_j <= T1 and t1_j >= T0 (closed intervals); the
// embargo then drops the h = floor(pct_embargo·n + 1e-9) samples m..m+h−1, where m is the
// first sample after the block with t0_m > T1 (none when no such sample exists). Every index
// list is ascending. Bad arguments, n below the fold or group count and an empty training set
// throw ArgumentError.
//
// Threading: pure functions over caller-owned data; safe from any thread. CPCV builds its
// splits in parallel when asked to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace gauntlet::validation {

// The largest number of CPCV splits C(N, k) accepted.
inline constexpr std::size_t kMaxCpcvSplits = 1'000'000;

// A contiguous test block [begin, end) and its test span [T0, T1] (§14 step 2).
struct TestBlock {
  std::size_t begin = 0;                     // The first sample a.
  std::size_t end = 0;                       // One past the last sample, b.
  std::int64_t span_start = 0;               // T0 = t0_a.
  std::int64_t span_end = 0;                 // T1 = max t1 over [a, b).
  std::optional<std::size_t> embargo_start;  // m, the first j >= b with t0_j > T1; nullopt if
                                             // none (or, walk-forward, not considered).
};

// One train/test split of purged k-fold or walk-forward CV.
struct Fold {
  std::size_t index = 0;               // The fold number, 0..k−1.
  std::vector<std::size_t> test;       // The contiguous samples of the fold.
  std::vector<std::size_t> train;      // The samples left for training.
  std::vector<std::size_t> purged;     // Non-test samples removed by the purge.
  std::vector<std::size_t> embargoed;  // Samples removed by the embargo (and not purged).
  std::size_t embargo = 0;             // h, the embargo length in samples (0 walk-forward).
  TestBlock block;                     // The fold as a test block.
};

// One split of combinatorial purged CV.
struct CpcvSplit {
  std::vector<std::size_t> test_groups;  // The k test groups, ascending.
  std::vector<std::size_t> test;         // The samples of the test groups.
  std::vector<std::size_t> train;        // The samples left for training.
  std::vector<std::size_t> purged;       // Non-test samples removed by any block's purge.
  std::vector<std::size_t> embargoed;    // Non-test samples removed by any block's embargo only.
  std::vector<TestBlock> blocks;         // The merged runs of adjacent test groups, in order.
};

// Combinatorial purged CV (§15): the C(N, k) splits in lexicographic order of their test
// groups and the φ = C(N−1, k−1) backtest paths.
struct Cpcv {
  std::vector<std::size_t> group_offsets;  // N + 1 offsets: group g is [offsets[g], offsets[g+1]).
  std::size_t embargo = 0;                 // h, the embargo length in samples.
  std::vector<CpcvSplit> splits;
  std::size_t paths = 0;  // φ
  // path_split[p][g]: the index of the split whose prediction path p takes for group g, the
  // p-th split (in enumeration order) that has g in its test set.
  std::vector<std::vector<std::size_t>> path_split;
};

// Returns the parts + 1 offsets of numpy.array_split(range(n), parts): part i is
// [offsets[i], offsets[i+1]); the first n mod parts parts hold one extra sample. Throws
// ArgumentError for parts = 0.
std::vector<std::size_t> split_offsets(std::size_t n, std::size_t parts);

// Returns the embargo length h = floor(pct_embargo·n + 1e-9) in samples (§14). Throws
// ArgumentError unless 0 <= pct_embargo <= 1.
std::size_t embargo_samples(std::size_t n, double pct_embargo);

// Returns the k folds of purged k-fold CV with embargo (§14), in time order. Throws
// ArgumentError when t0 and t1 differ in length, some t1_i < t0_i, t0 decreases, k < 2,
// n < k, pct_embargo is outside [0, 1], or a fold's training set is empty.
std::vector<Fold> purged_kfold(std::span<const std::int64_t> t0, std::span<const std::int64_t> t1,
                               std::size_t k, double pct_embargo);

// Returns the walk-forward variant of purged k-fold (§14): the same k contiguous folds, each
// trained only on the samples before it (j < a) that survive the same purge; no embargo is
// needed. Fold 0, which has no earlier sample, is left out, so the result holds folds 1..k−1.
// Throws ArgumentError as purged_kfold does, including when a returned fold's training set is
// empty.
std::vector<Fold> walk_forward_folds(std::span<const std::int64_t> t0,
                                     std::span<const std::int64_t> t1, std::size_t k);

// Returns combinatorial purged CV (§15) with `groups` (N) contiguous groups and `test_groups`
// (k) test groups per split. Adjacent test groups merge into one block; each block gets the
// purge and embargo of §14, and the training set is what no block removes. An embargo that
// runs into a later test block leaves those samples in the test set. Throws ArgumentError for
// bad t0/t1 (as purged_kfold), groups < 2, test_groups = 0 or >= groups, n < groups, more than
// kMaxCpcvSplits splits, pct_embargo outside [0, 1], or an empty training set. The splits are
// built on up to `threads` workers (0: one per core); the result does not depend on it.
Cpcv combinatorial_purged_cv(std::span<const std::int64_t> t0, std::span<const std::int64_t> t1,
                             std::size_t groups, std::size_t test_groups, double pct_embargo,
                             std::size_t threads = 1);

}  // namespace gauntlet::validation
