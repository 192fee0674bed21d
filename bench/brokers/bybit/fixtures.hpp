// File: bench/brokers/bybit/fixtures.hpp
//
// The Bybit fixtures the benchmarks parse, from the shared data ($GAUNTLET_SHARED_DATA, else
// /work/shared/data, ../shared/data or ../../shared/data), minified as Bybit sends them. A
// missing or malformed fixture ends the benchmark with the path named (exit 1).
#pragma once

#include <simdjson.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

namespace gauntlet::brokers::bybit::bench {

inline std::filesystem::path shared_data() {
  if (const char* env = std::getenv("GAUNTLET_SHARED_DATA"); env != nullptr && *env != '\0') {
    return env;
  }
  for (const char* candidate : {"/work/shared/data", "../shared/data", "../../shared/data"}) {
    if (std::filesystem::exists(candidate)) return candidate;
  }
  return "/work/shared/data";
}

inline std::string minified_fixture(const std::string& name) {
  const std::filesystem::path path = shared_data() / "fixtures" / "bybit" / name;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "cannot read " << path << " (set GAUNTLET_SHARED_DATA)\n";
    std::exit(1);
  }
  std::stringstream content;
  content << in.rdbuf();
  const std::string text = content.str();
  std::string out(text.size(), '\0');
  std::size_t size = 0;
  if (simdjson::minify(text.data(), text.size(), out.data(), size) != simdjson::SUCCESS) {
    std::cerr << "cannot minify " << path << "\n";
    std::exit(1);
  }
  out.resize(size);
  return out;
}

}  // namespace gauntlet::brokers::bybit::bench
