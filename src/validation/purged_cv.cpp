#include "validation/purged_cv.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "core/exceptions.hpp"
#include "core/parallel.hpp"

namespace gauntlet::validation {
namespace {

// What a sample is within one split. A purge overrides an embargo; neither touches a test
// sample, so the outcome does not depend on the order in which blocks are applied.
enum class Role : unsigned char { kTrain, kTest, kPurged, kEmbargoed };

void require_spans(std::span<const std::int64_t> t0, std::span<const std::int64_t> t1) {
  if (t0.size() != t1.size()) {
    throw ArgumentError(
        fmt::format("t0 and t1 must have the same length, were {} and {}", t0.size(), t1.size()));
  }
  for (std::size_t i = 0; i < t0.size(); ++i) {
    if (t1[i] < t0[i]) {
      throw ArgumentError(
          fmt::format("t1[{}] must not precede t0[{}], was {} < {}", i, i, t1[i], t0[i]));
    }
    if (i > 0 && t0[i] < t0[i - 1]) {
      throw ArgumentError(fmt::format("t0 must be non-decreasing, t0[{}] = {} < t0[{}] = {}", i,
                                      t0[i], i - 1, t0[i - 1]));
    }
  }
}

void require_folds(std::size_t n, std::size_t k) {
  if (k < 2) throw ArgumentError(fmt::format("k must be at least 2, was {}", k));
  if (n < k) throw ArgumentError(fmt::format("n = {} samples is fewer than k = {} folds", n, k));
}

// Marks the purge and the embargo of the test block [a, b) (§14 steps 2-4) and returns the
// block with its span.
TestBlock apply_block(std::span<const std::int64_t> t0, std::span<const std::int64_t> t1,
                      std::size_t a, std::size_t b, std::size_t embargo, std::vector<Role>& roles) {
  TestBlock block;
  block.begin = a;
  block.end = b;
  block.span_start = t0[a];
  block.span_end = *std::max_element(t1.begin() + static_cast<std::ptrdiff_t>(a),
                                     t1.begin() + static_cast<std::ptrdiff_t>(b));
  const std::size_t n = t0.size();
  for (std::size_t j = 0; j < n; ++j) {
    if (roles[j] == Role::kTest) continue;
    if (t0[j] <= block.span_end && t1[j] >= block.span_start) roles[j] = Role::kPurged;
  }
  std::size_t m = b;
  while (m < n && t0[m] <= block.span_end) ++m;
  if (m == n) return block;
  block.embargo_start = m;
  for (std::size_t j = m; j < n && j - m < embargo; ++j) {
    if (roles[j] == Role::kTrain) roles[j] = Role::kEmbargoed;
  }
  return block;
}

// Fills the index lists of a split from its roles.
template <typename Split>
void collect(const std::vector<Role>& roles, Split& split) {
  // Counted first, so each list is allocated once at its size (no regrowth and copies).
  std::array<std::size_t, 4> counts{};
  for (const Role role : roles) ++counts[static_cast<std::size_t>(role)];
  split.train.reserve(counts[static_cast<std::size_t>(Role::kTrain)]);
  split.test.reserve(counts[static_cast<std::size_t>(Role::kTest)]);
  split.purged.reserve(counts[static_cast<std::size_t>(Role::kPurged)]);
  split.embargoed.reserve(counts[static_cast<std::size_t>(Role::kEmbargoed)]);
  for (std::size_t j = 0; j < roles.size(); ++j) {
    switch (roles[j]) {
      case Role::kTrain:
        split.train.push_back(j);
        break;
      case Role::kTest:
        split.test.push_back(j);
        break;
      case Role::kPurged:
        split.purged.push_back(j);
        break;
      case Role::kEmbargoed:
        split.embargoed.push_back(j);
        break;
    }
  }
}

// C(n, k), or kMaxCpcvSplits + 1 when it exceeds kMaxCpcvSplits.
std::size_t capped_binomial(std::size_t n, std::size_t k) {
  k = std::min(k, n - k);
  std::size_t result = 1;
  for (std::size_t i = 0; i < k; ++i) {
    // result·(n − i) / (i + 1) stays exact: it is C(n, i + 1).
    result = result * (n - i) / (i + 1);
    if (result > kMaxCpcvSplits) return kMaxCpcvSplits + 1;
  }
  return result;
}

}  // namespace

std::vector<std::size_t> split_offsets(std::size_t n, std::size_t parts) {
  if (parts == 0) throw ArgumentError("split_offsets needs at least one part, was 0");
  std::vector<std::size_t> offsets(parts + 1, 0);
  const std::size_t base = n / parts;
  const std::size_t extra = n % parts;
  for (std::size_t i = 0; i < parts; ++i) offsets[i + 1] = offsets[i] + base + (i < extra ? 1 : 0);
  return offsets;
}

std::size_t embargo_samples(std::size_t n, double pct_embargo) {
  if (!(pct_embargo >= 0 && pct_embargo <= 1)) {
    throw ArgumentError(fmt::format("pct_embargo must lie in [0, 1], was {}", pct_embargo));
  }
  return static_cast<std::size_t>(std::floor(pct_embargo * static_cast<double>(n) + 1e-9));
}

std::vector<Fold> purged_kfold(std::span<const std::int64_t> t0, std::span<const std::int64_t> t1,
                               std::size_t k, double pct_embargo) {
  require_spans(t0, t1);
  const std::size_t n = t0.size();
  require_folds(n, k);
  const std::size_t embargo = embargo_samples(n, pct_embargo);
  const std::vector<std::size_t> offsets = split_offsets(n, k);
  std::vector<Fold> folds(k);
  for (std::size_t f = 0; f < k; ++f) {
    std::vector<Role> roles(n, Role::kTrain);
    std::fill(roles.begin() + static_cast<std::ptrdiff_t>(offsets[f]),
              roles.begin() + static_cast<std::ptrdiff_t>(offsets[f + 1]), Role::kTest);
    folds[f].block = apply_block(t0, t1, offsets[f], offsets[f + 1], embargo, roles);
    folds[f].index = f;
    folds[f].embargo = embargo;
    collect(roles, folds[f]);
    if (folds[f].train.empty()) {
      throw ArgumentError(fmt::format(
          "purged k-fold (k = {}, pct_embargo = {}) leaves fold {} (samples {}..{}) with an "
          "empty training set",
          k, pct_embargo, f, offsets[f], offsets[f + 1] - 1));
    }
  }
  return folds;
}

std::vector<Fold> walk_forward_folds(std::span<const std::int64_t> t0,
                                     std::span<const std::int64_t> t1, std::size_t k) {
  require_spans(t0, t1);
  const std::size_t n = t0.size();
  require_folds(n, k);
  const std::vector<std::size_t> offsets = split_offsets(n, k);
  std::vector<Fold> folds;
  folds.reserve(k - 1);
  for (std::size_t f = 1; f < k; ++f) {
    const std::size_t a = offsets[f];
    const std::size_t b = offsets[f + 1];
    // Only samples j < a may train; later ones are neither train nor reported as removed.
    std::vector<Role> roles(b, Role::kTrain);
    std::fill(roles.begin() + static_cast<std::ptrdiff_t>(a), roles.end(), Role::kTest);
    Fold fold;
    fold.block = apply_block(t0.first(b), t1.first(b), a, b, 0, roles);
    fold.index = f;
    collect(roles, fold);
    if (fold.train.empty()) {
      throw ArgumentError(fmt::format(
          "walk-forward (k = {}) leaves fold {} (samples {}..{}) with an empty training set", k, f,
          a, b - 1));
    }
    folds.push_back(std::move(fold));
  }
  return folds;
}

Cpcv combinatorial_purged_cv(std::span<const std::int64_t> t0, std::span<const std::int64_t> t1,
                             std::size_t groups, std::size_t test_groups, double pct_embargo,
                             std::size_t threads) {
  require_spans(t0, t1);
  const std::size_t n = t0.size();
  if (groups < 2) throw ArgumentError(fmt::format("groups must be at least 2, was {}", groups));
  if (test_groups == 0 || test_groups >= groups) {
    throw ArgumentError(fmt::format("test_groups must lie in [1, groups − 1] = [1, {}], was {}",
                                    groups - 1, test_groups));
  }
  if (n < groups) {
    throw ArgumentError(fmt::format("n = {} samples is fewer than {} groups", n, groups));
  }
  const std::size_t split_count = capped_binomial(groups, test_groups);
  if (split_count > kMaxCpcvSplits) {
    throw ArgumentError(fmt::format("C({}, {}) splits exceed the limit of {}", groups, test_groups,
                                    kMaxCpcvSplits));
  }
  const std::size_t embargo = embargo_samples(n, pct_embargo);

  Cpcv cpcv;
  cpcv.group_offsets = split_offsets(n, groups);
  cpcv.embargo = embargo;
  cpcv.paths = capped_binomial(groups - 1, test_groups - 1);
  cpcv.path_split.assign(cpcv.paths, std::vector<std::size_t>(groups, 0));
  // The test groups of every split in lexicographic order, and the paths they feed.
  std::vector<std::vector<std::size_t>> combinations;
  combinations.reserve(split_count);
  std::vector<std::size_t> filled(groups, 0);  // paths that already have a split for group g
  std::vector<std::size_t> combination(test_groups);
  for (std::size_t i = 0; i < test_groups; ++i) combination[i] = i;
  while (true) {
    for (const std::size_t g : combination) cpcv.path_split[filled[g]++][g] = combinations.size();
    combinations.push_back(combination);
    std::size_t i = test_groups;
    while (i > 0 && combination[i - 1] == groups - test_groups + (i - 1)) --i;
    if (i == 0) break;
    ++combination[i - 1];
    for (std::size_t j = i; j < test_groups; ++j) combination[j] = combination[j - 1] + 1;
  }

  cpcv.splits.resize(combinations.size());
  parallel_for(combinations.size(), threads, [&](std::size_t index) {
    const std::vector<std::size_t>& tests = combinations[index];
    std::vector<Role> roles(n, Role::kTrain);
    for (const std::size_t g : tests) {
      std::fill(roles.begin() + static_cast<std::ptrdiff_t>(cpcv.group_offsets[g]),
                roles.begin() + static_cast<std::ptrdiff_t>(cpcv.group_offsets[g + 1]),
                Role::kTest);
    }
    // Merge runs of adjacent test groups into blocks, then purge and embargo each block.
    CpcvSplit& split = cpcv.splits[index];
    split.test_groups = tests;
    for (std::size_t i = 0; i < test_groups;) {
      std::size_t j = i;
      while (j + 1 < test_groups && tests[j + 1] == tests[j] + 1) ++j;
      split.blocks.push_back(apply_block(t0, t1, cpcv.group_offsets[tests[i]],
                                         cpcv.group_offsets[tests[j] + 1], embargo, roles));
      i = j + 1;
    }
    collect(roles, split);
  });
  for (std::size_t index = 0; index < cpcv.splits.size(); ++index) {
    if (cpcv.splits[index].train.empty()) {
      throw ArgumentError(fmt::format(
          "CPCV (N = {}, k = {}, pct_embargo = {}) leaves split {} (test groups {}) with an "
          "empty training set",
          groups, test_groups, pct_embargo, index, fmt::join(combinations[index], ",")));
    }
  }
  return cpcv;
}

}  // namespace gauntlet::validation
