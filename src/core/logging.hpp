// File: core/logging.hpp
//
// One spdlog logger per owner module ("order_router", "config_manager", ...), all writing to
// the same sinks. Messages carry structured key=value fields:
//   log->info("order submitted client_order_id={} qty={}", id, qty);
// Secrets are never passed to a logger (core/secret.hpp prints as "***").
// The level comes from GAUNTLET_LOG_LEVEL (trace, debug, info, warn, error, critical, off),
// default info.
//
// Threading: module_logger() and the loggers it returns are thread-safe.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string_view>

namespace gauntlet {

// Returns the logger of the named module, creating it on first use.
std::shared_ptr<spdlog::logger> module_logger(std::string_view module);

}  // namespace gauntlet
