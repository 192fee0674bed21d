// File: apps/gauntlet/command_support.cpp
//
// What several subcommands share: loading the config with every problem reported, and reading
// --strategy options.
#include <fmt/format.h>

#include "apps/gauntlet/commands.hpp"
#include "core/config_manager.hpp"
#include "core/exceptions.hpp"
#include "learning/ml/strategy_generator.hpp"
#include "strategies/strategy.hpp"

namespace gauntlet::apps {

std::optional<config::Config> load_config_or_report(const std::string& file, Secrets* secrets) {
  try {
    return load_config(file, process_environment(), secrets);
  } catch (const ConfigError& error) {
    fmt::print(stderr, "{}: {} problem{}:\n", file, error.problems().size(),
               error.problems().size() == 1 ? "" : "s");
    for (const std::string& problem : error.problems()) fmt::print(stderr, "  {}\n", problem);
    return std::nullopt;
  }
}

void add_candidate_options(CLI::App* command, std::string& search_space,
                           std::optional<int>& universe_size, std::optional<double>& min_turnover) {
  command->add_option("--search-space", search_space, "The strategy generator's search space")
      ->capture_default_str();
  command->add_option("--universe-size", universe_size,
                      "Crypto pairs watched (default: the config's universe.size)");
  command->add_option("--min-turnover", min_turnover,
                      "USD of 24h turnover a pair needs to be watched (default: the config's "
                      "universe.min_turnover)");
}

std::vector<strategies::StrategyDescriptor> parse_strategy_options(
    const std::vector<std::string>& values, const std::string& asset_name) {
  std::vector<strategies::StrategyDescriptor> out;
  if (values.empty()) return out;
  const std::optional<Asset> asset = asset_from_string(asset_name);
  if (!asset)
    throw ArgumentError(fmt::format("--asset {}: use spot, perp, forex or options", asset_name));
  for (const std::string& value : values) {
    const auto colon = value.find(':');
    const std::string family = value.substr(0, colon);
    const std::string text = colon == std::string::npos ? "{}" : value.substr(colon + 1);
    const std::optional<strategies::Parameters> parameters = learning::parse_params_json(text);
    if (!parameters) {
      throw ArgumentError(
          fmt::format("--strategy {}: the parameters must be a JSON object of numbers, e.g. "
                      "ema_cross:{{\"fast\":9,\"slow\":21}}",
                      value));
    }
    try {
      strategies::make_strategy(family, *parameters);
    } catch (const ArgumentError& error) {
      throw ArgumentError(fmt::format("--strategy {}: {}", value, error.what()));
    }
    out.push_back({family, *asset, learning::canonical_params_json(*parameters)});
  }
  return out;
}

}  // namespace gauntlet::apps
