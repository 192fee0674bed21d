// File: brokers/bybit/json_fields.hpp
//
// Internal to brokers/bybit: the JSON reading both Bybit parsers share (public_parse.cpp and
// private_parse.cpp), so that a price, a symbol or a retCode envelope reads the same whichever
// stream it came from. Not an API: include it from the parsers' .cpp files only.
//
//   - read_decimal(): Bybit's decimal strings into Decimal without throwing, in three modes
//     (exact, rounded past the 9th place, saturating); the fast path is inline because the
//     public WebSocket parser runs it on every price of every push.
//   - engine_symbol(): the engine Symbol of a Bybit instrument name, or none when the engine
//     cannot name it the same way (dated futures, USDC "BTCPERP" contracts, option names).
//   - read_envelope(): the V5 envelope {"retCode":..,"retMsg":..,"result":..} of a REST body,
//     without throwing; each parser turns its outcome into its own error form.
//
// Threading: pure functions.
#pragma once

#include <simdjson.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/decimal.hpp"
#include "core/symbol.hpp"

namespace gauntlet::brokers::bybit::internal {

// At most this much of a bad value is echoed in a reason, so garbage cannot flood the log.
inline constexpr std::size_t kEchoLimit = 40;

inline std::string_view clip(std::string_view text) {
  return text.substr(0, kEchoLimit);
}

enum class Number {
  kPrice,    // exact; a value Decimal cannot hold exactly is invalid
  kAmount,   // volume, turnover: rounds past 9 places, saturates at Decimal::max()
  kRounded,  // averages, fees, P&L, balances: rounds past 9 places; out of range is invalid
};

inline constexpr std::array<int64_t, 10> kPow10 = {
    1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000};

// Reads the plain form Bybit sends, "[-]digits[.digits]" with at most 10 integer digits and 9
// fraction digits, into raw 1e-9 units. Returns false for anything else (the caller falls back
// to Decimal::parse, which knows exponents, rounding and the exact range).
inline bool parse_plain_decimal(std::string_view text, int64_t* raw) noexcept {
  const char* p = text.data();
  const char* const end = p + text.size();
  bool negative = false;
  if (p != end && *p == '-') {
    negative = true;
    ++p;
  }
  uint64_t whole = 0;
  int whole_digits = 0;
  for (; p != end && static_cast<unsigned>(*p - '0') < 10; ++p) {
    if (++whole_digits > 10) return false;
    whole = whole * 10 + static_cast<unsigned>(*p - '0');
  }
  uint64_t fraction = 0;
  int fraction_digits = 0;
  if (p != end && *p == '.') {
    ++p;
    for (; p != end && static_cast<unsigned>(*p - '0') < 10; ++p) {
      if (++fraction_digits > 9) return false;
      fraction = fraction * 10 + static_cast<unsigned>(*p - '0');
    }
  }
  if (p != end || whole_digits + fraction_digits == 0) return false;
  const uint64_t units =
      whole * static_cast<uint64_t>(Decimal::kOne) + fraction * kPow10[9 - fraction_digits];
  if (whole > 9'223'372'036ULL || units > static_cast<uint64_t>(INT64_MAX)) return false;
  *raw = negative ? -static_cast<int64_t>(units) : static_cast<int64_t>(units);
  return true;
}

// The slow path of read_decimal: exponents, digits past the 9th place, out-of-range values.
[[gnu::cold, gnu::noinline]] bool read_unusual_decimal(std::string_view text, Number number,
                                                       Decimal* out) noexcept;

// Reads a decimal string without throwing; false when it is not one (or, except for kAmount,
// when it lies outside Decimal's range).
inline bool read_decimal(std::string_view text, Number number, Decimal* out) noexcept {
  int64_t raw = 0;
  if (parse_plain_decimal(text, &raw)) [[likely]] {
    *out = Decimal::from_raw(raw);
    return true;
  }
  return read_unusual_decimal(text, number, out);
}

// The engine symbol of a Bybit spot or perpetual name, or nullopt when the engine cannot name
// it the same way (the canonical form must be the Bybit name, so topics and REST agree).
// `quote_coin` helps split names whose quote is ambiguous; empty when unknown.
std::optional<Symbol> engine_symbol(std::string_view name, std::string_view quote_coin = {});

// A REST body read as a V5 envelope. `problem` is empty when the body is one: then `root` is
// its object (living in the parser given to read_envelope), `ret_code` its retCode and
// `ret_message` its retMsg ("" when absent). Otherwise `problem` says why, echoing the start of
// the body.
struct Envelope {
  simdjson::dom::element root;
  int64_t ret_code = 0;
  std::string_view ret_message;
  std::string problem;

  // retCode clamped into an int (BrokerFailure and BrokerError take one).
  int ret_code_int() const;
};

Envelope read_envelope(simdjson::dom::parser& parser, std::string_view body);

}  // namespace gauntlet::brokers::bybit::internal
