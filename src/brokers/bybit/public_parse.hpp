// File: brokers/bybit/public_parse.hpp
//
// Owns the translation of Bybit V5 public market data into engine types: WebSocket pushes
// (kline, tickers, control frames) through the stateful PublicMessageParser, the hot path, and
// REST bodies (kline pages, instruments-info, tickers, server time, the retCode envelope)
// through pure functions. No I/O, no Asio: the clients in rest_client.hpp and
// public_ws_client.hpp feed it bytes.
//
// Categories: spot maps to Asset::kSpot and linear (USDT perpetuals) to Asset::kPerp; the
// canonical engine symbol of a Bybit spot or perpetual instrument is its Bybit name ("BTCUSDT").
//
// Numbers: Bybit sends prices and quantities as JSON strings; they are read exactly into
// Decimal (9 places). A price or size outside Decimal's range or with non-zero digits past the
// 9th place makes the message malformed. Volume and turnover are amounts that can outgrow
// Decimal (a day of BTCUSDT perpetual turnover exceeds 9.2e9 USDT): beyond the range they
// saturate at Decimal::max() and past 9 places they round half-even, so a quote or a bar is
// never lost to its statistics.
//
// Threading: the free functions are pure. A PublicMessageParser belongs to one connection and
// is used from one thread at a time (the io_context thread of its client).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/interfaces.hpp"
#include "core/symbol.hpp"
#include "core/time.hpp"
#include "data/market_events.hpp"

namespace gauntlet::brokers::bybit {

// A Bybit product category; only the two the engine trades.
enum class Category { kSpot, kLinear };

// "spot", "linear": the value of Bybit's `category` parameter.
std::string_view to_string(Category category);
std::optional<Category> category_from_string(std::string_view text);
// spot -> Asset::kSpot, linear -> Asset::kPerp.
Asset domain_of(Category category);
// The inverse of domain_of; nullopt for forex and options.
std::optional<Category> category_of(Asset domain);

// Bybit's kline intervals: "1","3","5","15","30","60","240","D" <-> 1m, 3m, 5m, 15m, 30m, 1h,
// 4h, 1d. Any other interval (Bybit also has 120, 360, 720, W, M) is nullopt.
std::optional<Timeframe> timeframe_from_interval(std::string_view interval);
std::string_view interval_of(Timeframe timeframe);

// Public WebSocket topics: "kline.5.BTCUSDT", "tickers.BTCUSDT".
std::string kline_topic(const Symbol& symbol, Timeframe timeframe);
std::string ticker_topic(const Symbol& symbol);

// Receives the events of parsed pushes. The references are valid only during the call (the
// parser reuses the objects); copy what you keep. A sink must not call back into the parser
// that calls it, and should not throw (an exception would leave parse() with the rest of the
// frame's events undelivered).
class MarketEventSink {
 public:
  virtual ~MarketEventSink() = default;
  virtual void on_bar_closed(const data::BarClosed& event) = 0;
  virtual void on_bar_updated(const data::BarUpdated& event) = 0;
  virtual void on_quote_updated(const data::QuoteUpdated& event) = 0;
};

enum class FrameKind {
  kData,       // a kline or ticker push: its events went to the sink (none when all were stale)
  kControl,    // a response to an op: subscribe/unsubscribe ack or failure, pong, auth ...
  kIgnored,    // a well-formed push of a topic this parser does not translate (orderbook ...)
  kMalformed,  // anything else; nothing went to the sink
};

enum class ControlKind { kNone, kPong, kSubscribe, kUnsubscribe, kOther };

// The outcome of one frame. The string_views point into the parser and stay valid until its
// next parse().
struct ParseResult {
  FrameKind kind = FrameKind::kMalformed;
  std::size_t events = 0;   // events handed to the sink
  std::size_t stale = 0;    // kline pushes dropped as duplicate or out of order (see below)
  std::string_view reason;  // kMalformed: what was wrong; kIgnored: the topic
  ControlKind control = ControlKind::kNone;
  bool success = true;          // kControl: the frame's `success` (true when absent)
  std::string_view operation;   // kControl: `op`
  std::string_view request_id;  // kControl: `req_id` (empty when absent)
  std::string_view message;     // kControl: `ret_msg`
};

// Turns the text frames of one public WebSocket connection of one category into engine events.
//
// kline.{interval}.{symbol}: every element of `data` becomes a BarUpdated (confirm=false) or a
// BarClosed (confirm=true) with event_time = the element's `timestamp` (else the frame's `ts`).
// tickers.{symbol}: a QuoteUpdated with event_time = `ts`. A `snapshot` replaces the symbol's
// state (fields it lacks become zero); a `delta` (linear) changes only the fields it carries and
// the parser emits the merged state. A delta before any snapshot is malformed.
//
// Duplicate and out-of-order klines are dropped here, per topic (symbol, timeframe), because
// the parser is the one place that sees every push of the connection in order and keeps its
// state across reconnects: a BarClosed is emitted only for an open time later than the last
// BarClosed of that topic, and a BarUpdated only for an open time later than the last BarClosed
// and not earlier than the latest open time seen. Dropped pushes count in ParseResult::stale.
// A correction of a closed bar therefore never comes from this stream; REST backfill upserts.
//
// A frame is validated completely before anything goes to the sink, so a malformed frame emits
// nothing and changes no state. parse() never throws: bad JSON, missing or ill-typed fields,
// an unknown interval, an unparseable symbol, negative or out-of-range prices, high below low
// or open/close outside [low, high], a non-aligned open time: all return kMalformed with a
// reason naming the topic and the problem. Once warm (a topic seen once, the largest frame seen
// once), parsing allocates nothing.
class PublicMessageParser {
 public:
  // The most topics whose state a parser keeps; pushes of further topics are malformed.
  static constexpr std::size_t kMaxTopics = 4096;

  explicit PublicMessageParser(Category category);
  ~PublicMessageParser();
  PublicMessageParser(const PublicMessageParser&) = delete;
  PublicMessageParser& operator=(const PublicMessageParser&) = delete;

  ParseResult parse(std::string_view frame, MarketEventSink& sink);

  // Forgets every ticker snapshot, so that deltas wait for the fresh snapshot a new
  // subscription brings. Call it when the connection is re-established. The kline guard is
  // kept on purpose: a bar closed before the reconnect must not close again.
  void reset_snapshots();

  Category category() const;
  Asset domain() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---- REST bodies (GET /v5/market/...). Not the hot path; every function first checks the
// envelope like check_envelope().

// True for the retCodes worth repeating: 10002 (timestamp outside recv_window, after a clock
// re-sync), 10006 (rate limit), 10016 (server error or restart).
bool is_retryable_ret_code(int ret_code);

// Throws BrokerError(code = retCode, retryable per is_retryable_ret_code) when retCode != 0,
// and DataError when the body is not a V5 envelope (not JSON, no integer retCode).
void check_envelope(std::string_view body);

// A /v5/market/kline body as bars, oldest first, one per open time (Bybit lists newest first;
// the newest may still be forming). Throws DataError naming the row and field of a bad candle.
std::vector<Bar> parse_kline_page(std::string_view body);

struct InstrumentsPage {
  std::vector<data::InstrumentInfo> instruments;
  std::string next_page_cursor;  // empty on the last page
  // "SYMBOL: reason" for every listed instrument that is not a spot pair or a perpetual the
  // engine can name (dated futures, USDC "BTCPERP" contracts, unknown quote currencies).
  std::vector<std::string> skipped;
};

// A /v5/market/instruments-info body. tick_size = priceFilter.tickSize; spot: qty_step =
// lotSizeFilter.basePrecision, min_qty = minOrderQty (basePrecision when absent), max_qty =
// maxOrderQty, min_notional = minOrderAmt; linear: qty_step = qtyStep, min_qty = minOrderQty,
// max_qty = maxOrderQty, min_notional = minNotionalValue; launch_time = launchTime (0 when
// absent). Throws DataError for a malformed instrument of a kind the engine trades.
InstrumentsPage parse_instruments_page(std::string_view body, Category category);

// A /v5/market/tickers body: one QuoteUpdated per instrument the engine can name (others are
// left out), event_time = the envelope's `time`, 24h volume and turnover included.
std::vector<data::QuoteUpdated> parse_tickers(std::string_view body, Category category);

// A /v5/market/time body: the server time in ms (from timeNano, else timeSecond).
TimestampMs parse_server_time(std::string_view body);

}  // namespace gauntlet::brokers::bybit
