// File: core/config_problems.hpp
//
// ConfigProblems: what a configuration reader collects before it gives up, one line per problem
// as "<key path>: <problem> (got <value>)", so that a ConfigError lists every problem of a file
// at once. Shared by the YAML config manager and the readers of the other config files
// (config/ml_search.json).
//
// Threading: a plain value; one reader at a time.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <vector>

namespace gauntlet::config {

class ConfigProblems {
 public:
  void add(const std::string& path, std::string_view problem, std::string_view got) {
    list_.push_back(fmt::format("{}: {} (got {})", path, problem, got));
  }
  void add(const std::string& path, std::string_view problem) {
    list_.push_back(fmt::format("{}: {}", path, problem));
  }
  bool empty() const { return list_.empty(); }
  std::vector<std::string>& list() { return list_; }

 private:
  std::vector<std::string> list_;
};

}  // namespace gauntlet::config
