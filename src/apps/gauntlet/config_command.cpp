#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "apps/gauntlet/commands.hpp"
#include "core/config_manager.hpp"
#include "core/exceptions.hpp"

namespace gauntlet::apps {
namespace {

std::string joined_assets(const ConfigManager& manager) {
  std::string names;
  for (Asset asset : manager.get_assets()) {
    names += (names.empty() ? "" : ", ") + std::string(to_string(asset));
  }
  return names.empty() ? "none" : names;
}

int check(const std::string& file) {
  try {
    const ConfigManager manager(file);
    const auto config = manager.snapshot();
    fmt::print("ok: {} is valid (version {}, environment {}, trading {})\n", file,
               manager.version(), config::to_string(config->environment), joined_assets(manager));
    return kExitOk;
  } catch (const ConfigError& error) {
    const auto& problems = error.problems();
    fmt::print(stderr, "{}: {} problem{}:\n", file, problems.size(),
               problems.size() == 1 ? "" : "s");
    for (const std::string& problem : problems) fmt::print(stderr, "  {}\n", problem);
    return kExitInvalidConfig;
  }
}

int show(const std::string& file) {
  try {
    const ConfigManager manager(file);
    nlohmann::json document = config::to_json(*manager.snapshot());
    document["version"] = manager.version();
    fmt::print("{}\n", document.dump(2));
    return kExitOk;
  } catch (const ConfigError& error) {
    for (const std::string& problem : error.problems()) fmt::print(stderr, "{}\n", problem);
    return kExitInvalidConfig;
  }
}

}  // namespace

void add_config_commands(CLI::App& app, int& exit_code) {
  CLI::App* config = app.add_subcommand("config", "Check and inspect configuration files");
  config->require_subcommand(1);

  CLI::App* check_command = config->add_subcommand(
      "check",
      "Validate FILE and print every problem as 'path: problem (got value)'; exit 2 if invalid");
  auto check_file = std::make_shared<std::string>();
  check_command->add_option("FILE", *check_file, "YAML config file")->required();
  check_command->callback([check_file, &exit_code] { exit_code = check(*check_file); });

  CLI::App* show_command = config->add_subcommand(
      "show", "Print the normalised config of FILE (defaults included) as JSON");
  auto show_file = std::make_shared<std::string>();
  show_command->add_option("FILE", *show_file, "YAML config file")->required();
  show_command->callback([show_file, &exit_code] { exit_code = show(*show_file); });
}

}  // namespace gauntlet::apps
