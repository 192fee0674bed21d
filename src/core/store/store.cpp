#include "core/store/store.hpp"

#include <fmt/format.h>

namespace gauntlet::store {

std::string_view type_name(const Value& value) {
  switch (value.index()) {
    case 0:
      return "NULL";
    case 1:
      return "integer";
    case 2:
      return "real";
    default:
      return "text";
  }
}

std::string migration_checksum(std::string_view sql) {
  uint64_t hash = 14695981039346656037ULL;  // FNV-1a 64 offset basis
  for (const char c : sql) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;  // FNV-1a 64 prime
  }
  return fmt::format("{:016x}", hash);
}

bool Row::is_null(std::size_t column) const {
  return std::holds_alternative<std::monostate>(get(column));
}

int64_t Row::get_int(std::size_t column) const {
  if (const auto* value = std::get_if<int64_t>(&get(column))) return *value;
  throw_mismatch(column, "integer");
}

double Row::get_double(std::size_t column) const {
  const Value& value = get(column);
  if (const auto* real = std::get_if<double>(&value)) return *real;
  if (const auto* integer = std::get_if<int64_t>(&value)) return static_cast<double>(*integer);
  throw_mismatch(column, "real");
}

std::string Row::get_text(std::size_t column) const {
  if (const auto* value = std::get_if<std::string>(&get(column))) return *value;
  throw_mismatch(column, "text");
}

const Value& Row::get(std::size_t column) const {
  if (column >= values_.size()) {
    throw StateError(
        fmt::format("column {} is out of range: the row has {} columns", column, values_.size()));
  }
  return values_[column];
}

void Row::throw_mismatch(std::size_t column, std::string_view wanted) const {
  throw StateError(
      fmt::format("{} is {}, not {}", describe(column), type_name(values_[column]), wanted));
}

std::string Row::describe(std::size_t column) const {
  if (column < names_.size()) return fmt::format("column {} ({})", column, names_[column]);
  return fmt::format("column {}", column);
}

}  // namespace gauntlet::store
