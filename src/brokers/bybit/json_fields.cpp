#include "brokers/bybit/json_fields.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <new>

#include "core/exceptions.hpp"

namespace gauntlet::brokers::bybit::internal {
namespace {

namespace dom = simdjson::dom;

// True for "digits[.digits]" (no sign, no exponent): a number too large for Decimal, not junk.
bool is_plain_unsigned(std::string_view text) {
  bool digit = false;
  bool point = false;
  for (const char c : text) {
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if (c == '.' && !point) {
      point = true;
    } else {
      return false;
    }
  }
  return digit;
}

}  // namespace

bool read_unusual_decimal(std::string_view text, Number number, Decimal* out) noexcept {
  try {
    *out =
        number == Number::kPrice ? Decimal::parse(text) : Decimal::parse(text, Rounding::kHalfEven);
    return true;
  } catch (const GauntletError&) {
  } catch (const std::bad_alloc&) {
    return false;
  }
  if (number == Number::kAmount && is_plain_unsigned(text)) {
    *out = Decimal::max();
    return true;
  }
  return false;
}

std::optional<Symbol> engine_symbol(std::string_view name, std::string_view quote_coin) {
  try {
    const Symbol symbol =
        quote_coin.empty() || !name.ends_with(quote_coin) || name.size() == quote_coin.size()
            ? Symbol::parse(name)
            : Symbol::from_parts(name.substr(0, name.size() - quote_coin.size()), quote_coin);
    if (symbol.canonical() != name) return std::nullopt;
    return symbol;
  } catch (const GauntletError&) {
    return std::nullopt;
  }
}

int Envelope::ret_code_int() const {
  return static_cast<int>(std::clamp<int64_t>(ret_code, std::numeric_limits<int>::min(),
                                              std::numeric_limits<int>::max()));
}

Envelope read_envelope(dom::parser& parser, std::string_view body) {
  Envelope envelope;
  if (const auto error = parser.parse(body.data(), body.size()).get(envelope.root);
      error != simdjson::SUCCESS) {
    envelope.problem =
        fmt::format("body is not JSON ({}): {}", simdjson::error_message(error), clip(body));
    return envelope;
  }
  if (!envelope.root.is_object() ||
      envelope.root["retCode"].get_int64().get(envelope.ret_code) != simdjson::SUCCESS) {
    envelope.problem =
        fmt::format("body is not a V5 envelope (no integer retCode): {}", clip(body));
    return envelope;
  }
  if (envelope.root["retMsg"].get_string().get(envelope.ret_message) != simdjson::SUCCESS) {
    envelope.ret_message = "";
  }
  return envelope;
}

}  // namespace gauntlet::brokers::bybit::internal
