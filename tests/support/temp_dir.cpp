#include "support/temp_dir.hpp"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <random>
#include <string>

namespace gauntlet::testing {

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  std::random_device entropy;
  path_ = std::filesystem::temp_directory_path() /
          ("gauntlet-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
           std::to_string(entropy()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::filesystem::path TempDir::write(std::string_view name, std::string_view content) const {
  const std::filesystem::path file = path_ / name;
  std::filesystem::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << content;
  return file;
}

std::filesystem::path project_source_dir() {
  return GAUNTLET_SOURCE_DIR;
}

}  // namespace gauntlet::testing
