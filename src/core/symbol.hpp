// File: core/symbol.hpp
//
// Symbol: a traded pair in Gauntlet's canonical form, base then quote, upper case, no
// separator: "BTCUSDT", "EURUSD", "1000PEPEUSDT". Adapters accept the venues' spellings and
// map them here:
//   "BTC/USDT", "btc-usdt", "BTC_USDT", "BTCUSDT", "BTC/USDT:USDT" (ccxt perp)  -> BTCUSDT
//   "EUR.USD" (IBKR), "EUR/USD", "eurusd"                                      -> EURUSD
// The quote is always one of known_quote_currencies(); without a separator the longest known
// quote that ends the text is taken ("USDCUSDT" is USDC/USDT). Because canonical strings are
// split the same way, parse(symbol.canonical()) always gives back the same base and quote.
// Anything else throws SymbolError naming the text and the problem.
//
// Threading: a plain value type.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>

namespace gauntlet {

enum class SymbolStyle {
  kCanonical,  // BTCUSDT
  kSlash,      // BTC/USDT
  kDot,        // EUR.USD (IBKR local symbol)
  kDash,       // BTC-USDT
};

class Symbol {
 public:
  // The empty symbol: names nothing (empty() is true); parse() never returns it. It exists so
  // that records holding a Symbol can be default-constructed and filled in.
  Symbol() = default;

  static Symbol parse(std::string_view text);
  // From an already separated base and quote, e.g. Bybit's baseCoin and quoteCoin.
  static Symbol from_parts(std::string_view base, std::string_view quote);

  const std::string& canonical() const noexcept { return canonical_; }
  std::string_view base() const noexcept {
    return std::string_view(canonical_).substr(0, base_size_);
  }
  std::string_view quote() const noexcept {
    return std::string_view(canonical_).substr(base_size_);
  }
  std::string format(SymbolStyle style) const;
  bool empty() const noexcept { return canonical_.empty(); }

  friend bool operator==(const Symbol& a, const Symbol& b) { return a.canonical_ == b.canonical_; }
  friend auto operator<=>(const Symbol& a, const Symbol& b) {
    return a.canonical_ <=> b.canonical_;
  }

 private:
  Symbol(std::string canonical, std::size_t base_size)
      : canonical_(std::move(canonical)), base_size_(base_size) {}

  std::string canonical_;
  std::size_t base_size_ = 0;
};

// The canonical string of `text`; throws SymbolError.
std::string canonicalize_symbol(std::string_view text);

// Quote currencies Gauntlet can split on, longest first.
std::span<const std::string_view> known_quote_currencies();

std::ostream& operator<<(std::ostream& out, const Symbol& symbol);

}  // namespace gauntlet

template <>
struct std::hash<gauntlet::Symbol> {
  std::size_t operator()(const gauntlet::Symbol& symbol) const noexcept {
    return std::hash<std::string>{}(symbol.canonical());
  }
};
