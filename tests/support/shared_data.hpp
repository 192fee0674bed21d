// File: tests/support/shared_data.hpp
//
// Finds the real market data of ../shared/data for tests: $GAUNTLET_SHARED_DATA if set, else
// <source>/../shared/data. When it is absent a test skips with a clear message, unless
// GAUNTLET_REQUIRE_SHARED_DATA=1 (as .ci/run sets), where it fails instead.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace gauntlet::testing {

std::optional<std::filesystem::path> find_shared_data();
bool shared_data_required();
std::string shared_data_missing_message();

// Every line of a gzip-compressed (or plain) text file; throws std::runtime_error in tests.
std::vector<std::string> read_lines(const std::filesystem::path& path);
std::string read_file(const std::filesystem::path& path);

// The cells of one CSV line split at every comma (no quoting: the data files have none).
std::vector<std::string> split_csv_line(const std::string& line);

}  // namespace gauntlet::testing

// Declares `const std::filesystem::path var` pointing at the shared data root, or skips/fails.
#define GAUNTLET_SHARED_DATA_OR_SKIP(var)                               \
  const auto var##_found = ::gauntlet::testing::find_shared_data();     \
  if (!var##_found) {                                                   \
    if (::gauntlet::testing::shared_data_required()) {                  \
      FAIL() << ::gauntlet::testing::shared_data_missing_message();     \
    }                                                                   \
    GTEST_SKIP() << ::gauntlet::testing::shared_data_missing_message(); \
  }                                                                     \
  const std::filesystem::path var = *var##_found
