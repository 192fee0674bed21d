// File: tests/support/temp_dir.hpp
//
// TempDir: a fresh directory under the system temp dir, removed with everything in it when the
// object goes away. project_source_dir() is the checkout the tests were built from.
#pragma once

#include <filesystem>
#include <string_view>

namespace gauntlet::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Writes `content` to path()/name and returns the full path.
  std::filesystem::path write(std::string_view name, std::string_view content) const;

 private:
  std::filesystem::path path_;
};

std::filesystem::path project_source_dir();

}  // namespace gauntlet::testing
