#include "core/symbol.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <ostream>

#include "core/exceptions.hpp"

namespace gauntlet {
namespace {

// Longest first, so that a suffix match prefers USDT over USD.
constexpr std::array<std::string_view, 34> kQuotes = {
    "FDUSD", "USDT", "USDC", "BUSD", "TUSD", "USDE", "DAI", "USD", "EUR", "GBP", "JPY", "CHF",
    "AUD",   "CAD",  "NZD",  "SEK",  "NOK",  "DKK",  "SGD", "HKD", "MXN", "ZAR", "TRY", "PLN",
    "CNH",   "HUF",  "CZK",  "ILS",  "BRL",  "BTC",  "ETH", "BNB", "SOL", "KRW"};

constexpr std::size_t kMaxBase = 24;

[[noreturn]] void fail(std::string_view text, std::string_view problem) {
  throw SymbolError(fmt::format("invalid symbol \"{}\": {}", text, problem));
}

bool is_known_quote(std::string_view quote) {
  return std::find(kQuotes.begin(), kQuotes.end(), quote) != kQuotes.end();
}

// Upper-cases `part` and checks it is 1..kMaxBase ASCII letters and digits.
std::string normalise_part(std::string_view text, std::string_view part, const char* what) {
  if (part.empty()) fail(text, fmt::format("empty {}", what));
  if (part.size() > kMaxBase)
    fail(text, fmt::format("{} longer than {} characters", what, kMaxBase));
  std::string upper(part);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!ok) fail(text, fmt::format("{} contains '{}'", what, c));
  }
  return upper;
}

// The longest known quote ending `joined` that leaves a non-empty base, or npos.
std::size_t split_point(std::string_view joined) {
  for (std::string_view quote : kQuotes) {
    if (joined.size() > quote.size() && joined.ends_with(quote)) {
      return joined.size() - quote.size();
    }
  }
  return std::string_view::npos;
}

}  // namespace

std::span<const std::string_view> known_quote_currencies() {
  return kQuotes;
}

Symbol Symbol::from_parts(std::string_view base, std::string_view quote) {
  const std::string text = fmt::format("{}/{}", base, quote);
  std::string upper_base = normalise_part(text, base, "base");
  const std::string upper_quote = normalise_part(text, quote, "quote");
  if (!is_known_quote(upper_quote))
    fail(text, fmt::format("unknown quote currency {}", upper_quote));
  if (upper_base == upper_quote) fail(text, "base and quote are the same currency");
  std::string canonical = upper_base + upper_quote;
  // The canonical string must split back the same way, or the symbol would change meaning.
  if (split_point(canonical) != upper_base.size()) {
    fail(text, fmt::format("ambiguous: {} would split as {}/{}", canonical,
                           canonical.substr(0, split_point(canonical)),
                           canonical.substr(split_point(canonical))));
  }
  const std::size_t base_size = upper_base.size();
  return Symbol(std::move(canonical), base_size);
}

Symbol Symbol::parse(std::string_view text) {
  if (text.empty()) fail(text, "empty");
  std::string_view body = text;
  // ccxt's perpetual notation BASE/QUOTE:SETTLE; the settle currency must be the quote.
  if (const std::size_t colon = body.find(':'); colon != std::string_view::npos) {
    const std::string_view settle = body.substr(colon + 1);
    body = body.substr(0, colon);
    const std::size_t slash = body.find('/');
    if (slash == std::string_view::npos) fail(text, "':' is only allowed after BASE/QUOTE");
    if (normalise_part(text, settle, "settle currency") !=
        normalise_part(text, body.substr(slash + 1), "quote")) {
      fail(text, "settle currency differs from the quote");
    }
  }
  const std::size_t separator = body.find_first_of("/-_.");
  if (separator != std::string_view::npos) {
    if (body.find_first_of("/-_.", separator + 1) != std::string_view::npos) {
      fail(text, "more than one separator");
    }
    return from_parts(body.substr(0, separator), body.substr(separator + 1));
  }
  const std::string joined = normalise_part(text, body, "symbol");
  const std::size_t split = split_point(joined);
  if (split == std::string_view::npos) fail(text, "no known quote currency at the end");
  return Symbol(joined, split);
}

std::string Symbol::format(SymbolStyle style) const {
  switch (style) {
    case SymbolStyle::kCanonical:
      return canonical_;
    case SymbolStyle::kSlash:
      return fmt::format("{}/{}", base(), quote());
    case SymbolStyle::kDot:
      return fmt::format("{}.{}", base(), quote());
    case SymbolStyle::kDash:
      return fmt::format("{}-{}", base(), quote());
  }
  return canonical_;
}

std::string canonicalize_symbol(std::string_view text) {
  return Symbol::parse(text).canonical();
}

std::ostream& operator<<(std::ostream& out, const Symbol& symbol) {
  return out << symbol.canonical();
}

}  // namespace gauntlet
