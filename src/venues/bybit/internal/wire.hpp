// File: venues/bybit/internal/wire.hpp
//
// Bybit V5's public wire shapes as VenueServer writes them: interval names, the REST envelope,
// kline rows, the kline and ticker pushes, the malformed bodies and frames of the fault
// injection. JSON is written with nlohmann::ordered_json so keys come in Bybit's order
// (ws_kline.json, ws_ticker_linear.json, http_get_klines_linear.json).
//
// Threading: pure functions (now_ms() reads the wall clock).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/interfaces.hpp"
#include "core/time.hpp"

namespace gauntlet::venues::bybit::internal {

inline constexpr int kRetCodeOk = 0;
inline constexpr int kRetCodeParameterError = 10001;
inline constexpr int kRetCodeRateLimited = 10006;
inline constexpr int kRetCodeServerError = 10016;
inline constexpr int kRetCodeRouteNotFound = 10017;

// The wall clock in ms since the epoch.
TimestampMs now_ms();

// Bybit's interval of a timeframe: "1", "3", "5", "15", "30", "60", "240", "D".
std::string_view bybit_interval(Timeframe timeframe);
// The timeframe of one of those intervals; nullopt for any other text.
std::optional<Timeframe> timeframe_from_bybit_interval(std::string_view interval);

// "kline.<interval>.<symbol>"
std::string kline_topic(Timeframe timeframe, std::string_view symbol);
// True for kline.<interval>.<SYMBOL> (any interval Bybit has), tickers.<SYMBOL>,
// orderbook.<1|50|200|1000>.<SYMBOL> and publicTrade.<SYMBOL>, SYMBOL being [A-Z0-9]+.
bool is_valid_public_topic(std::string_view topic);

// {"retCode":..,"retMsg":..,"result":..,"retExtInfo":{},"time":<now>}
std::string envelope(int ret_code, std::string_view ret_msg, nlohmann::ordered_json result);
// [startTime, open, high, low, close, volume, turnover], all strings.
nlohmann::ordered_json kline_row(const Bar& bar);
// The kline push of ws_kline.json for one bar.
std::string kline_frame(Timeframe timeframe, std::string_view symbol, const Bar& bar, bool confirm);
// "tickers.<symbol>"
std::string ticker_topic(std::string_view symbol);
// The tickers push of ws_ticker_linear.json, type snapshot, for `ticker` (an item of
// /v5/market/tickers with a string "symbol"), with ts `timestamp`.
std::string ticker_frame(const nlohmann::json& ticker, TimestampMs timestamp);

// An HTML error page like a load balancer's, for an injected HTTP status.
std::string html_error_body(int status);
// The `variant`-th malformed REST body (cycling): truncated JSON, wrong types, garbage, wrong
// structure, empty, null.
std::string malformed_rest_body(int variant);
// The `variant`-th malformed WS frame (cycling) naming `topic`: truncated JSON, wrong types,
// garbage, wrong structure, junk data items, not an object, empty.
std::string malformed_ws_frame(int variant, std::string_view topic);

}  // namespace gauntlet::venues::bybit::internal
