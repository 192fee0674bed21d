#include "core/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdlib>
#include <mutex>
#include <string>

namespace gauntlet {
namespace {

spdlog::sink_ptr shared_sink() {
  static const spdlog::sink_ptr sink = [] {
    auto stderr_sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    stderr_sink->set_formatter(std::make_unique<spdlog::pattern_formatter>(
        "%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %n %v", spdlog::pattern_time_type::utc));
    return stderr_sink;
  }();
  return sink;
}

spdlog::level::level_enum configured_level() {
  const char* text = std::getenv("GAUNTLET_LOG_LEVEL");
  if (text == nullptr) return spdlog::level::info;
  return spdlog::level::from_str(text);
}

}  // namespace

std::shared_ptr<spdlog::logger> module_logger(std::string_view module) {
  static std::mutex mutex;
  const std::lock_guard lock(mutex);
  const std::string name(module);
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = std::make_shared<spdlog::logger>(name, shared_sink());
  logger->set_level(configured_level());
  logger->flush_on(spdlog::level::warn);
  spdlog::register_logger(logger);
  return logger;
}

}  // namespace gauntlet
