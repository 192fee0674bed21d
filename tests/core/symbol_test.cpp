#include "core/symbol.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "core/exceptions.hpp"
#include "support/shared_data.hpp"

namespace gauntlet {
namespace {

TEST(Symbol, CanonicalisesTheVenueSpellings) {
  struct Case {
    const char* text;
    const char* canonical;
    const char* base;
    const char* quote;
  };
  const Case cases[] = {
      {"BTC/USDT", "BTCUSDT", "BTC", "USDT"},
      {"btc-usdt", "BTCUSDT", "BTC", "USDT"},
      {"BTCUSDT", "BTCUSDT", "BTC", "USDT"},
      {"BTC_USDT", "BTCUSDT", "BTC", "USDT"},
      {"BTC/USDT:USDT", "BTCUSDT", "BTC", "USDT"},
      {"EUR.USD", "EURUSD", "EUR", "USD"},
      {"EUR/USD", "EURUSD", "EUR", "USD"},
      {"EURUSD", "EURUSD", "EUR", "USD"},
      {"usdjpy", "USDJPY", "USD", "JPY"},
      {"ETHBTC", "ETHBTC", "ETH", "BTC"},
      {"USDCUSDT", "USDCUSDT", "USDC", "USDT"},
      {"1000PEPEUSDT", "1000PEPEUSDT", "1000PEPE", "USDT"},
      {"BTCUSDC", "BTCUSDC", "BTC", "USDC"},
      {"FDUSD/USDT", "FDUSDUSDT", "FDUSD", "USDT"},
      {"BTCFDUSD", "BTCFDUSD", "BTC", "FDUSD"},
      {"XAU.USD", "XAUUSD", "XAU", "USD"},
  };
  for (const Case& c : cases) {
    const Symbol symbol = Symbol::parse(c.text);
    EXPECT_EQ(symbol.canonical(), c.canonical) << c.text;
    EXPECT_EQ(symbol.base(), c.base) << c.text;
    EXPECT_EQ(symbol.quote(), c.quote) << c.text;
    EXPECT_EQ(Symbol::parse(symbol.canonical()), symbol) << c.text;
  }
  EXPECT_EQ(canonicalize_symbol("eth/usdt"), "ETHUSDT");
}

TEST(Symbol, DefaultSymbolIsEmptyAndParsedOnesAreNot) {
  EXPECT_TRUE(Symbol().empty());
  EXPECT_EQ(Symbol().canonical(), "");
  EXPECT_FALSE(Symbol::parse("BTCUSDT").empty());
}

TEST(Symbol, FormatsForEachVenueStyle) {
  const Symbol symbol = Symbol::parse("eur/usd");
  EXPECT_EQ(symbol.format(SymbolStyle::kCanonical), "EURUSD");
  EXPECT_EQ(symbol.format(SymbolStyle::kSlash), "EUR/USD");
  EXPECT_EQ(symbol.format(SymbolStyle::kDot), "EUR.USD");
  EXPECT_EQ(symbol.format(SymbolStyle::kDash), "EUR-USD");
}

TEST(Symbol, RejectsGarbageWithAClearError) {
  struct Case {
    const char* text;
    const char* problem;
  };
  const Case cases[] = {
      {"", "empty"},
      {"BTC/", "empty quote"},
      {"/USDT", "empty base"},
      {"BTC//USDT", "more than one separator"},
      {"BTC/USDT/ETH", "more than one separator"},
      {"BTC USDT", "contains ' '"},
      {"BTC/US$", "contains '$'"},
      {"BTC\xC3\xA9USDT", "contains"},
      {"HELLO", "no known quote currency"},
      {"USDT", "no known quote currency"},
      {"BTC/XYZ", "unknown quote currency XYZ"},
      {"USDT/USDT", "same currency"},
      {"XFD/USD", "ambiguous"},
      {"BTC/USDT:USDC", "settle currency differs"},
      {"BTCUSDT:USDT", "only allowed after BASE/QUOTE"},
      {"ABCDEFGHIJKLMNOPQRSTUVWXYZ/USDT", "longer than"},
  };
  for (const Case& c : cases) {
    try {
      Symbol::parse(c.text);
      ADD_FAILURE() << "accepted \"" << c.text << '"';
    } catch (const SymbolError& error) {
      EXPECT_NE(std::string(error.what()).find(c.problem), std::string::npos)
          << c.text << " -> " << error.what();
    }
  }
}

// Bybit's instruments-info names each symbol's baseCoin and quoteCoin: our split must agree.
TEST(Symbol, SplitsBybitInstrumentsLikeTheVenue) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  int checked = 0;
  for (const char* file :
       {"http_get_instruments_spot.json", "http_get_instruments_linear.json",
        "http_get_instruments_inverse.json", "http_get_instruments_spot_xstocks.json"}) {
    const auto json = nlohmann::json::parse(testing::read_file(data / "fixtures" / "bybit" / file));
    for (const auto& instrument : json["result"]["list"]) {
      const Symbol symbol = Symbol::parse(instrument["symbol"].get<std::string>());
      EXPECT_EQ(symbol.base(), instrument["baseCoin"].get<std::string>());
      EXPECT_EQ(symbol.quote(), instrument["quoteCoin"].get<std::string>());
      EXPECT_EQ(Symbol::from_parts(instrument["baseCoin"].get<std::string>(),
                                   instrument["quoteCoin"].get<std::string>()),
                symbol);
      ++checked;
    }
  }
  EXPECT_GE(checked, 6);
}

// freqtrade names its files BASE_QUOTE-<tf>.json.gz.
TEST(Symbol, CanonicalisesFreqtradePairNames) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(data / "crypto" / "binance_spot")) {
    const std::string name = entry.path().filename().string();
    const std::string pair = name.substr(0, name.find('-'));
    const Symbol symbol = Symbol::parse(pair);
    EXPECT_EQ(symbol.quote(), "USDT") << name;
    EXPECT_EQ(symbol.canonical(), pair.substr(0, pair.find('_')) + "USDT") << name;
    ++checked;
  }
  EXPECT_EQ(checked, 40);
}

}  // namespace
}  // namespace gauntlet
