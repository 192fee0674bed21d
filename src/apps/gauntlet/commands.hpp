// File: apps/gauntlet/commands.hpp
//
// The subcommands of the `gauntlet` binary. Each add_* registers its subcommands on the app
// and sets `exit_code` when one of them runs.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/secrets.hpp"
#include "strategies/strategy_registry.hpp"

namespace gauntlet::apps {

// Exit codes shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitInvalidConfig = 2;

// `gauntlet config check FILE` and `gauntlet config show FILE`.
void add_config_commands(CLI::App& app, int& exit_code);

// `gauntlet data import|check|resample|list|export`.
void add_data_commands(CLI::App& app, int& exit_code);

// `gauntlet ta --input FILE --columns NAME,... --out FILE` and `gauntlet ta --list`.
void add_ta_command(CLI::App& app, int& exit_code);

// `gauntlet run [--feed auto|live|simulated|replay] ...`: the paper-trading session.
void add_run_command(CLI::App& app, int& exit_code);

// `gauntlet serve --state DIR --port N`: the control plane over a stored session, read-only.
void add_serve_command(CLI::App& app, int& exit_code);

// `gauntlet diff --state DIR --prices DIR`: what live would have done with the session's orders.
void add_diff_command(CLI::App& app, int& exit_code);

// `gauntlet stats --returns FILE | --trades FILE | --pbo FILE`: validation statistics as JSON.
void add_stats_command(CLI::App& app, int& exit_code);

// `gauntlet backtest --data-root DIR [--strategy ...] [--check-lookahead]`.
void add_backtest_command(CLI::App& app, int& exit_code);

// `gauntlet validate --strategy-id ID | --strategy ...` and `gauntlet report`.
void add_validate_commands(CLI::App& app, int& exit_code);

// `gauntlet venue bybit [--port N] ...`: a local venue on loopback (docs/local-venues.md).
void add_venue_commands(CLI::App& app, int& exit_code);
void add_live_command(CLI::App& app, int& exit_code);

// The options that choose what a session or a backtest trades: --search-space (the strategy
// generator's), --universe-size and --min-turnover (the crypto universe).
void add_candidate_options(CLI::App* command, std::string& search_space,
                           std::optional<int>& universe_size, std::optional<double>& min_turnover);

// The config in `file` (and its secrets into `secrets` when given); nullopt after printing
// every problem to stderr.
std::optional<config::Config> load_config_or_report(const std::string& file,
                                                    Secrets* secrets = nullptr);

// --strategy values (FAMILY or FAMILY:{json}) as descriptors of `asset`, checked against the
// families; throws ArgumentError naming the bad value.
std::vector<strategies::StrategyDescriptor> parse_strategy_options(
    const std::vector<std::string>& values, const std::string& asset);

}  // namespace gauntlet::apps
