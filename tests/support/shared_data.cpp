#include "support/shared_data.hpp"

#include <zlib.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace gauntlet::testing {

std::optional<std::filesystem::path> find_shared_data() {
  if (const char* configured = std::getenv("GAUNTLET_SHARED_DATA"); configured && *configured) {
    if (std::filesystem::is_directory(configured)) return std::filesystem::path(configured);
    return std::nullopt;
  }
  const std::filesystem::path beside =
      std::filesystem::path(GAUNTLET_SOURCE_DIR) / ".." / "shared" / "data";
  if (std::filesystem::is_directory(beside)) return std::filesystem::canonical(beside);
  return std::nullopt;
}

bool shared_data_required() {
  const char* required = std::getenv("GAUNTLET_REQUIRE_SHARED_DATA");
  return required != nullptr && std::string(required) == "1";
}

std::string shared_data_missing_message() {
  return "shared market data not found: set GAUNTLET_SHARED_DATA to the data directory or place "
         "it at ../shared/data beside the checkout";
}

std::string read_file(const std::filesystem::path& path) {
  gzFile file = gzopen(path.c_str(), "rb");  // reads plain files as they are
  if (file == nullptr) throw std::runtime_error("cannot open " + path.string());
  std::string content;
  char buffer[1 << 16];
  int got = 0;
  while ((got = gzread(file, buffer, sizeof buffer)) > 0) content.append(buffer, got);
  gzclose(file);
  if (got < 0) throw std::runtime_error("cannot read " + path.string());
  return content;
}

std::vector<std::string> read_lines(const std::filesystem::path& path) {
  std::istringstream stream(read_file(path));
  std::vector<std::string> lines;
  for (std::string line; std::getline(stream, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  }
  return lines;
}

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> cells;
  std::size_t start = 0;
  while (true) {
    const auto comma = line.find(',', start);
    cells.push_back(line.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return cells;
}

}  // namespace gauntlet::testing
