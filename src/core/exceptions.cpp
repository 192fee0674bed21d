#include "core/exceptions.hpp"

namespace gauntlet {
namespace {

std::string join_lines(const std::vector<std::string>& problems) {
  std::string text;
  for (const std::string& problem : problems) {
    if (!text.empty()) text += '\n';
    text += problem;
  }
  return text;
}

}  // namespace

ConfigError::ConfigError(std::vector<std::string> problems)
    : GauntletError(join_lines(problems)), problems_(std::move(problems)) {}

}  // namespace gauntlet
