#include "venues/bybit/internal/fault_control.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <initializer_list>

namespace gauntlet::venues::bybit::internal {

namespace {

using nlohmann::json;

constexpr int kMaxCount = 1'000'000;
constexpr DurationMs kMaxDurationMs = 24 * kHourMs;

// A whole number in [low, high] at `key`, or the reason it is not.
std::variant<int64_t, std::string> whole(const json& value, std::string_view key, int64_t low,
                                         int64_t high) {
  if (!value.is_number_integer()) return fmt::format("{} must be a whole number", key);
  const int64_t number = value.get<int64_t>();
  if (number < low || number > high) {
    return fmt::format("{} must be within {}..{}, was {}", key, low, high, number);
  }
  return number;
}

// Reads the members of an object at `key` into `fields` ({name, low, high} -> value); every
// member must be known; `required` members must be present.
struct Field {
  std::string_view name;
  int64_t low;
  int64_t high;
  bool required;
  int64_t value;
};

std::optional<std::string> read_fields(const json& object, std::string_view key,
                                       std::initializer_list<Field*> fields) {
  if (!object.is_object()) return fmt::format("{} must be an object", key);
  for (const auto& [name, value] : object.items()) {
    Field* field = nullptr;
    for (Field* candidate : fields) {
      if (candidate->name == name) field = candidate;
    }
    if (field == nullptr) return fmt::format("{}.{} is not a known field", key, name);
    auto number = whole(value, fmt::format("{}.{}", key, name), field->low, field->high);
    if (const std::string* error = std::get_if<std::string>(&number)) return *error;
    field->value = std::get<int64_t>(number);
  }
  for (const Field* field : fields) {
    if (field->required && !object.contains(field->name)) {
      return fmt::format("{}.{} is required", key, field->name);
    }
  }
  return std::nullopt;
}

}  // namespace

std::variant<FaultCommand, std::string> parse_fault_command(std::string_view body) {
  const json request = json::parse(body, nullptr, false);
  if (request.is_discarded() || !request.is_object()) {
    return std::string("the body must be a JSON object of faults");
  }
  FaultCommand command;
  for (const auto& [key, value] : request.items()) {
    if (key == "http_errors") {
      Field count{"count", 0, kMaxCount, true, 0};
      Field status{"status", 100, 599, false, 503};
      if (auto error = read_fields(value, key, {&count, &status})) return *error;
      command.http_errors = {static_cast<int>(count.value), static_cast<int>(status.value)};
    } else if (key == "rate_limit") {
      Field count{"count", 0, kMaxCount, true, 0};
      Field reset{"reset_ms", 0, kMaxDurationMs, false, 200};
      if (auto error = read_fields(value, key, {&count, &reset})) return *error;
      command.rate_limit = {static_cast<int>(count.value), reset.value};
    } else if (key == "malformed_http") {
      auto count = whole(value, key, 0, kMaxCount);
      if (const std::string* error = std::get_if<std::string>(&count)) return *error;
      command.malformed_http = static_cast<int>(std::get<int64_t>(count));
    } else if (key == "stall_ms") {
      auto stall = whole(value, key, 0, kMaxDurationMs);
      if (const std::string* error = std::get_if<std::string>(&stall)) return *error;
      command.stall_ms = std::get<int64_t>(stall);
    } else if (key == "drop_connections" || key == "duplicate_pushes" || key == "out_of_order") {
      if (!value.is_boolean()) return fmt::format("{} must be true or false", key);
      if (key == "drop_connections") command.drop_connections = value.get<bool>();
      if (key == "duplicate_pushes") command.duplicate_pushes = value.get<bool>();
      if (key == "out_of_order") command.out_of_order = value.get<bool>();
    } else if (key == "malformed_frames") {
      if (!value.is_object()) return std::string("malformed_frames must be an object");
      const auto category_field = value.find("category");
      if (category_field == value.end() || !category_field->is_string()) {
        return std::string("malformed_frames.category must be spot or linear");
      }
      const std::optional<Category> category =
          brokers::bybit::category_from_string(category_field->get<std::string>());
      if (!category) {
        return std::string("malformed_frames.category must be spot or linear");
      }
      json rest = value;
      rest.erase("category");
      Field count{"count", 0, kMaxCount, true, 0};
      if (auto error = read_fields(rest, key, {&count})) return *error;
      command.malformed_frames = {*category, static_cast<int>(count.value)};
    } else {
      return fmt::format(
          "{} is not a fault (http_errors, rate_limit, malformed_http, stall_ms, "
          "drop_connections, duplicate_pushes, out_of_order, malformed_frames)",
          key);
    }
  }
  return command;
}

nlohmann::json fault_status(const PendingFaults& pending, const FaultSwitches& switches,
                            int http_requests, int open_ws_connections) {
  return {
      {"http_errors", {{"count", pending.http_errors}, {"status", pending.http_error_status}}},
      {"rate_limit", {{"count", pending.rate_limits}, {"reset_ms", pending.rate_limit_reset_ms}}},
      {"malformed_http", pending.malformed_http},
      {"stall_ms", pending.stall_left_ms},
      {"duplicate_pushes", switches.duplicate_pushes},
      {"out_of_order", switches.out_of_order},
      {"http_requests", http_requests},
      {"open_ws_connections", open_ws_connections},
  };
}

bool control_token_matches(std::string_view expected, std::string_view given) {
  if (expected.empty()) return false;
  unsigned difference = expected.size() == given.size() ? 0u : 1u;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    difference |= static_cast<unsigned char>(expected[i]) ^
                  static_cast<unsigned char>(i < given.size() ? given[i] : 0);
  }
  return difference == 0;
}

}  // namespace gauntlet::venues::bybit::internal
