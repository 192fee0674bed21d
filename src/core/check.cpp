#include "core/check.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>

#include "core/logging.hpp"

namespace gauntlet::detail {

void check_failed(const char* file, int line, const char* condition, const std::string& message) {
  module_logger("check")->critical("invariant broken: {} ({}) at {}:{}", message, condition, file,
                                   line);
  spdlog::apply_all([](const std::shared_ptr<spdlog::logger>& logger) { logger->flush(); });
  std::fflush(stderr);
  std::abort();
}

}  // namespace gauntlet::detail
