#include "brokers/bybit/public_parse.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "core/exceptions.hpp"
#include "support/shared_data.hpp"

namespace gauntlet::brokers::bybit {
namespace {

using literals::operator""_d;

std::string fixture(const std::filesystem::path& root, const std::string& name) {
  return testing::read_file(root / "fixtures" / "bybit" / name);
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

class RecordingSink final : public MarketEventSink {
 public:
  void on_bar_closed(const data::BarClosed& event) override { closed.push_back(event); }
  void on_bar_updated(const data::BarUpdated& event) override { updated.push_back(event); }
  void on_quote_updated(const data::QuoteUpdated& event) override { quotes.push_back(event); }
  std::size_t total() const { return closed.size() + updated.size() + quotes.size(); }

  std::vector<data::BarClosed> closed;
  std::vector<data::BarUpdated> updated;
  std::vector<data::QuoteUpdated> quotes;
};

// A minified kline push of BTCUSDT 1m with the given open time, confirm flag and prices.
std::string kline(TimestampMs start, bool confirm, const std::string& close = "100.5",
                  const std::string& symbol = "BTCUSDT") {
  return "{\"topic\":\"kline.1." + symbol + "\",\"data\":[{\"start\":" + std::to_string(start) +
         ",\"end\":" + std::to_string(start + 59'999) +
         ",\"interval\":\"1\",\"open\":\"100\",\"close\":\"" + close +
         "\",\"high\":\"101\",\"low\":\"99\",\"volume\":\"2\",\"turnover\":\"201\",\"confirm\":" +
         (confirm ? "true" : "false") + ",\"timestamp\":" + std::to_string(start + 30'000) +
         "}],\"ts\":" + std::to_string(start + 30'001) + ",\"type\":\"snapshot\"}";
}

constexpr TimestampMs kMinute = 60'000;
constexpr TimestampMs kT0 = 1'700'000'040'000;  // a minute boundary

// ---- Names

TEST(BybitNames, CategoriesMapToDomains) {
  EXPECT_EQ(to_string(Category::kSpot), "spot");
  EXPECT_EQ(to_string(Category::kLinear), "linear");
  EXPECT_EQ(category_from_string("linear"), Category::kLinear);
  EXPECT_EQ(category_from_string("inverse"), std::nullopt);
  EXPECT_EQ(domain_of(Category::kSpot), Asset::kSpot);
  EXPECT_EQ(domain_of(Category::kLinear), Asset::kPerp);
  EXPECT_EQ(category_of(Asset::kPerp), Category::kLinear);
  EXPECT_EQ(category_of(Asset::kForex), std::nullopt);
}

TEST(BybitNames, IntervalsMapToTimeframesBothWays) {
  const std::vector<std::pair<std::string, Timeframe>> expected = {
      {"1", Timeframe::k1m},   {"3", Timeframe::k3m},   {"5", Timeframe::k5m},
      {"15", Timeframe::k15m}, {"30", Timeframe::k30m}, {"60", Timeframe::k1h},
      {"240", Timeframe::k4h}, {"D", Timeframe::k1d}};
  for (const auto& [interval, timeframe] : expected) {
    EXPECT_EQ(timeframe_from_interval(interval), timeframe) << interval;
    EXPECT_EQ(interval_of(timeframe), interval);
  }
  for (const char* unknown : {"120", "360", "720", "W", "M", "", "1m", "d"}) {
    EXPECT_EQ(timeframe_from_interval(unknown), std::nullopt) << unknown;
  }
  EXPECT_EQ(kline_topic(Symbol::parse("BTCUSDT"), Timeframe::k15m), "kline.15.BTCUSDT");
  EXPECT_EQ(kline_topic(Symbol::parse("ETH/USDT"), Timeframe::k1d), "kline.D.ETHUSDT");
  EXPECT_EQ(ticker_topic(Symbol::parse("BTCUSDT")), "tickers.BTCUSDT");
}

// ---- Klines

TEST(BybitPublicParser, KlineFixtureBecomesBarUpdated) {
  GAUNTLET_SHARED_DATA_OR_SKIP(root);
  PublicMessageParser parser(Category::kLinear);
  RecordingSink sink;
  const ParseResult result = parser.parse(fixture(root, "ws_kline.json"), sink);
  ASSERT_EQ(result.kind, FrameKind::kData) << result.reason;
  EXPECT_EQ(result.events, 1u);
  EXPECT_EQ(result.stale, 0u);
  ASSERT_EQ(sink.updated.size(), 1u);
  EXPECT_TRUE(sink.closed.empty());
  const data::BarUpdated& event = sink.updated[0];
  EXPECT_EQ(event.feed, data::FeedKind::kLive);
  EXPECT_EQ(event.domain, Asset::kPerp);
  EXPECT_EQ(event.symbol, Symbol::parse("BTCUSDT"));
  EXPECT_EQ(event.timeframe, Timeframe::k5m);
  EXPECT_EQ(event.event_time, 1672324988882);
  const Bar expected{1672324800000, "16649.5"_d, "16677"_d,     "16608"_d,
                     "16677"_d,     "2.081"_d,   "34666.4005"_d};
  EXPECT_EQ(event.bar, expected);
}

TEST(BybitPublicParser, SpotParserLabelsSpot) {
  GAUNTLET_SHARED_DATA_OR_SKIP(root);
  PublicMessageParser parser(Category::kSpot);
  RecordingSink sink;
  ASSERT_EQ(parser.parse(fixture(root, "ws_kline.json"), sink).kind, FrameKind::kData);
  ASSERT_EQ(sink.updated.size(), 1u);
  EXPECT_EQ(sink.updated[0].domain, Asset::kSpot);
  EXPECT_EQ(parser.domain(), Asset::kSpot);
  EXPECT_EQ(parser.category(), Category::kSpot);
}

TEST(BybitPublicParser, ConfirmedKlineBecomesBarClosed) {
  GAUNTLET_SHARED_DATA_OR_SKIP(root);
  const std::string confirmed =
      replace_all(fixture(root, "ws_kline.json"), "\"confirm\": false", "\"confirm\": true");
  PublicMessageParser parser(Category::kLinear);
  RecordingSink sink;
  const ParseResult result = parser.parse(confirmed, sink);
  ASSERT_EQ(result.kind, FrameKind::kData) << result.reason;
  ASSERT_EQ(sink.closed.size(), 1u);
  EXPECT_TRUE(sink.updated.empty());
  EXPECT_EQ(sink.closed[0].bar.open_time, 1672324800000);
  EXPECT_EQ(sink.closed[0].bar.close, "16677"_d);
  EXPECT_EQ(sink.closed[0].timeframe, Timeframe::k5m);
}

TEST(BybitPublicParser, EveryIntervalOfTheTopicIsRecognised) {
  PublicMessageParser parser(Category::kLinear);
  RecordingSink sink;
  for (const Timeframe timeframe : kAllTimeframes) {
    const TimestampMs start = floor_to(kT0, timeframe);
    std::string frame = replace_all(kline(start, true), "kline.1.",
                                    "kline." + std::string(interval_of(timeframe)) + ".");
    frame = replace_all(frame, "\"interval\":\"1\"",
                        "\"interval\":\"" + std::string(interval_of(timeframe)) + "\"");
    const ParseResult result = parser.parse(frame, sink);
    ASSERT_EQ(result.kind, FrameKind::kData) << to_string(timeframe) << ": " << result.reason;
    ASSERT_FALSE(sink.closed.empty());
    EXPECT_EQ(sink.closed.back().timeframe, timeframe);
  }
  EXPECT_EQ(sink.closed.size(), kAllTimeframes.size());
}

TEST(BybitPublicParser, SeveralKlinesInOnePushComeOutInOrder) {
  const std::string frame =
      R"({"topic":"kline.1.ETHUSDT","data":[)"
      R"({"start":1700000040000,"interval":"1","open":"10","close":"11","high":"12","low":"9",)"
      R"("volume":"1","turnover":"10","confirm":true,"timestamp":1700000100000},)"
      R"({"start":1700000100000,"interval":"1","open":"11","close":"11","high":"11","low":"11",)"
      R"("volume":"0","turnover":"0","confirm":false,"timestamp":1700000100001}],)"
      R"("ts":1700000100002,"type":"snapshot"})";
  PublicMessageParser parser(Category::kSpot);
  RecordingSink sink;
  const ParseResult result = parser.parse(frame, sink);
  ASSERT_EQ(result.kind, FrameKind::kData) << result.reason;
  EXPECT_EQ(result.events, 2u);
  ASSERT_EQ(sink.closed.size(), 1u);
  ASSERT_EQ(sink.updated.size(), 1u);
  EXPECT_EQ(sink.closed[0].bar.open_time, 1700000040000);
  EXPECT_EQ(sink.updated[0].bar.open_time, 1700000100000);
  EXPECT_EQ(sink.updated[0].event_time, 1700000100001);
}

TEST(BybitPublicParser, KlineWithoutTimestampTakesTheFrameTs) {
  std::string frame = kline(kT0, false);
  frame = replace_all(frame, ",\"timestamp\":" + std::to_string(kT0 + 30'000), "");
  PublicMessageParser parser(Category::kLinear);
  RecordingSink sink;
  ASSERT_EQ(parser.parse(frame, sink).kind, FrameKind::kData);
  ASSERT_EQ(sink.updated.size(), 1u);
  EXPECT_EQ(sink.updated[0].event_time, kT0 + 30'001);
}

TEST(BybitPublicParser, DataBeforeTopicIsStillRead) {
  const std::string frame =
      R"({"ts":1700000070000,"data":[{"start":1700000040000,"interval":"1","open":"10",)"
      R"("close":"11","high":"12","low":"9","volume":"1","turnover":"10","confirm":false}],)"
      R"("type":"snapshot","topic":"kline.1.BTCUSDT"})";
  PublicMessageParser parser(Category::kLinear);
  RecordingSink sink;
  const ParseResult result = parser.parse(frame, sink);
  ASSERT_EQ(result.kind, FrameKind::kData) << result.reason;
  ASSERT_EQ(sink.updated.size(), 1u);
  EXPECT_EQ(sink.updated[0].bar.high, "12"_d);
  EXPECT_EQ(sink.updated[0].event_time, 1700000070000);
}

// ---- The duplicate / out-of-order guard

TEST(BybitKlineGuard, ADuplicateCloseIsDroppedNotEmittedTwice) {
  PublicMessageParser parser(Category::kLinear);
  RecordingSink sink;
  EXPECT_EQ(parser.parse(kline(kT0, true), sink).events, 1u);
  const ParseResult again = parser.parse(kline(kT0, true), sink);
  EXPECT_EQ(again.kind, FrameKind::kData);
  EXPECT_EQ(again.events, 0u);
  EXPECT_EQ(again.stale, 1u);
  EXPECT_EQ(sink.closed.size(), 1u);
}

TEST(BybitKlineGuard, AnOlderCloseAfterANewerOneIsDropped) {
  PublicMessageParser parser(Category::kLinear);
  RecordingSink sink;
  parser.parse(kline(kT0 + 2 * kMinute, true), sink);
  const ParseResult older = parser.parse(kline(kT0 + kMinute, true), sink);
  EXPECT_EQ(older.stale, 1u);
  ASSERT_EQ(sink.closed.size(), 1u);
  EXPECT_EQ(sink.closed[0].bar.open_time, kT0 + 2 * kMinute);
  // The next bar still closes.
  EXPECT_EQ(parser.parse(kline(kT0 + 3 * kMinute, true), sink).events, 1u);
  EXPECT_EQ(sink.closed.size(), 2u);
}

TEST(BybitKlineGuard, UpdatesOfAClosedOrOlderBarAreDropped) {
  PublicMessageParser parser(Category::kLinear);
  RecordingSink sink;
  parser.parse(kline(kT0, false, "100.1"), sink);
  parser.parse(kline(kT0, false, "100.2"), sink);  // the same bar forming: kept
  parser.parse(kline(kT0, true, "100.3"), sink);
  EXPECT_EQ(parser.parse(kline(kT0, false, "100.4"), sink).stale, 1u);  // after its close
  parser.parse(kline(kT0 + 2 * kMinute, false), sink);
  EXPECT_EQ(parser.parse(kline(kT0 + kMinute, false), sink).stale, 1u);  // older than seen
  ASSERT_EQ(sink.updated.size(), 3u);
  EXPECT_EQ(sink.updated[1].bar.close, "100.2"_d);
  EXPECT_EQ(sink.updated[2].bar.open_time, kT0 + 2 * kMinute);
  // The late close of the bar before the newest update is still the first close of it.
  EXPECT_EQ(parser.parse(kline(kT0 + kMinute, true), sink).events, 1u);
  ASSERT_EQ(sink.closed.size(), 2u);
}

TEST(BybitKlineGuard, IsPerTopicAndSurvivesReconnect) {
  PublicMessageParser parser(Category::kLinear);
  RecordingSink sink;
  parser.parse(kline(kT0, true), sink);
  EXPECT_EQ(parser.parse(kline(kT0, true, "100.5", "ETHUSDT"), sink).events, 1u);
  parser.reset_snapshots();  // what the client does on reconnect
  EXPECT_EQ(parser.parse(kline(kT0, true), sink).stale, 1u);
  EXPECT_EQ(sink.closed.size(), 2u);
}

// ---- Tickers

TEST(BybitPublicParser, LinearTickerSnapshotFixtureBecomesQuote) {
  GAUNTLET_SHARED_DATA_OR_SKIP(root);
  PublicMessageParser parser(Category::kLinear);
  RecordingSink sink;
  const ParseResult result = parser.parse(fixture(root, "ws_ticker_linear.json"), sink);
  ASSERT_EQ(result.kind, FrameKind::kData) << result.reason;
  ASSERT_EQ(sink.quotes.size(), 1u);
  const data::QuoteUpdated& quote = sink.quotes[0];
  EXPECT_EQ(quote.domain, Asset::kPerp);
  EXPECT_EQ(quote.symbol, Symbol::parse("BTCUSDT"));
  EXPECT_EQ(quote.event_time, 1673272861686);
  EXPECT_EQ(quote.last_price, "17216"_d);
  EXPECT_EQ(quote.bid_price, "17215.5"_d);
  EXPECT_EQ(quote.bid_size, "84.489"_d);
  EXPECT_EQ(quote.ask_price, "17216"_d);
  EXPECT_EQ(quote.ask_size, "83.02"_d);
  EXPECT_EQ(quote.mark_price, "17217.33"_d);
  EXPECT_EQ(quote.volume_24h, "91705.276"_d);
  EXPECT_EQ(quote.turnover_24h, "1570383121.943499"_d);
}

TEST(BybitPublicParser, LinearTickerDeltaMergesIntoTheSnapshot) {
  GAUNTLET_SHARED_DATA_OR_SKIP(root);
  PublicMessageParser parser(Category::kLinear);
  RecordingSink sink;
  ASSERT_EQ(parser.parse(fixture(root, "ws_ticker_linear.json"), sink).kind, FrameKind::kData);
  const std::string delta =
      R"({"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT",)"
      R"("bid1Price":"17215.00","bid1Size":"1.5","markPrice":"17218"},)"
      R"("cs":24987956060,"ts":1673272861786})";
  const ParseResult result = parser.parse(delta, sink);
  ASSERT_EQ(result.kind, FrameKind::kData) << result.reason;
  ASSERT_EQ(sink.quotes.size(), 2u);
  const data::QuoteUpdated& merged = sink.quotes[1];
  EXPECT_EQ(merged.event_time, 1673272861786);
  EXPECT_EQ(merged.bid_price, "17215"_d);
  EXPECT_EQ(merged.bid_size, "1.5"_d);
  EXPECT_EQ(merged.mark_price, "17218"_d);
  // Absent fields are unchanged.
  EXPECT_EQ(merged.last_price, "17216"_d);
  EXPECT_EQ(merged.ask_price, "17216"_d);
  EXPECT_EQ(merged.ask_size, "83.02"_d);
  EXPECT_EQ(merged.volume_24h, "91705.276"_d);
  EXPECT_EQ(merged.turnover_24h, "1570383121.943499"_d);

  // A second delta builds on the merged state.
  const std::string second =
      R"({"topic":"tickers.BTCUSDT","type":"delta","data":{"lastPrice":"17217"},)"
      R"("cs":24987956061,"ts":1673272861886})";
  ASSERT_EQ(parser.parse(second, sink).kind, FrameKind::kData);
  EXPECT_EQ(sink.quotes[2].last_price, "17217"_d);
  EXPECT_EQ(sink.quotes[2].bid_size, "1.5"_d);
}

TEST(BybitPublicParser, ADeltaBeforeAnySnapshotIsMalformed) {
  GAUNTLET_SHARED_DATA_OR_SKIP(root);
  const std::string delta =
      R"({"topic":"tickers.BTCUSDT","type":"delta","data":{"bid1Price":"1"},"ts":1})";
  PublicMessageParser parser(Category::kLinear);
  RecordingSink sink;
  ParseResult result = parser.parse(delta, sink);
  EXPECT_EQ(result.kind, FrameKind::kMalformed);
  EXPECT_NE(result.reason.find("delta before any snapshot"), std::string_view::npos)
      << result.reason;
  ASSERT_EQ(parser.parse(fixture(root, "ws_ticker_linear.json"), sink).kind, FrameKind::kData);
  EXPECT_EQ(parser.parse(delta, sink).kind, FrameKind::kData);
  // After a reconnect the old snapshot no longer counts: deltas wait for the fresh one.
  parser.reset_snapshots();
  EXPECT_EQ(parser.parse(delta, sink).kind, FrameKind::kMalformed);
  EXPECT_EQ(sink.quotes.size(), 2u);
}

TEST(BybitPublicParser, AMalformedDeltaChangesNoState) {
  GAUNTLET_SHARED_DATA_OR_SKIP(root);
  PublicMessageParser parser(Category::kLinear);
  RecordingSink sink;
  ASSERT_EQ(parser.parse(fixture(root, "ws_ticker_linear.json"), sink).kind, FrameKind::kData);
  const std::string bad =
      R"({"topic":"tickers.BTCUSDT","type":"delta","data":{"bid1Price":"1","ask1Price":"-2"},)"
      R"("ts":1673272861786})";
  EXPECT_EQ(parser.parse(bad, sink).kind, FrameKind::kMalformed);
  const std::string good =
      R"({"topic":"tickers.BTCUSDT","type":"delta","data":{"lastPrice":"17300"},"ts":1673272861886})";
  ASSERT_EQ(parser.parse(good, sink).kind, FrameKind::kData);
  ASSERT_EQ(sink.quotes.size(), 2u);
  EXPECT_EQ(sink.quotes[1].bid_price, "17215.5"_d);  // not 1
  EXPECT_EQ(sink.quotes[1].ask_price, "17216"_d);
}

TEST(BybitPublicParser, SpotTickerIsASnapshotWithoutBook) {
  // The shape of a spot tickers push (Bybit docs, websocket/public/ticker.mdx).
  const std::string spot =
      R"({"topic":"tickers.BTCUSDT","ts":1673853746003,"type":"snapshot","cs":2588407389,)"
      R"("data":{"symbol":"BTCUSDT","lastPrice":"21109.77","highPrice24h":"21426.99",)"
      R"("lowPrice24h":"20575","prevPrice24h":"20704.93","volume24h":"6780.866843",)"
      R"("turnover24h":"141946527.22907118","price24hPcnt":"0.0196",)"
      R"("usdIndexPrice":"21120.2400136"}})";
  PublicMessageParser parser(Category::kSpot);
  RecordingSink sink;
  const ParseResult result = parser.parse(spot, sink);
  ASSERT_EQ(result.kind, FrameKind::kData) << result.reason;
  ASSERT_EQ(sink.quotes.size(), 1u);
  const data::QuoteUpdated& quote = sink.quotes[0];
  EXPECT_EQ(quote.domain, Asset::kSpot);
  EXPECT_EQ(quote.last_price, "21109.77"_d);
  EXPECT_EQ(quote.volume_24h, "6780.866843"_d);
  EXPECT_EQ(quote.turnover_24h, "141946527.22907118"_d);
  EXPECT_EQ(quote.bid_price, Decimal());
  EXPECT_EQ(quote.mark_price, Decimal());
  // The next snapshot replaces everything, fields it lacks included.
  const std::string next = R"({"topic":"tickers.BTCUSDT","ts":1673853747003,"type":"snapshot",)"
                           R"("data":{"symbol":"BTCUSDT","lastPrice":"21110"}})";
  ASSERT_EQ(parser.parse(next, sink).kind, FrameKind::kData);
  EXPECT_EQ(sink.quotes[1].last_price, "21110"_d);
  EXPECT_EQ(sink.quotes[1].volume_24h, Decimal());
}

TEST(BybitPublicParser, HugeVolumeAndTurnoverSaturateInsteadOfDroppingTheQuote) {
  const std::string frame =
      R"({"topic":"tickers.BTCUSDT","ts":1,"type":"snapshot","data":{"lastPrice":"97000.5",)"
      R"("volume24h":"123456789012345678901234.5","turnover24h":"15703831219.4334567891"}})";
  PublicMessageParser parser(Category::kLinear);
  RecordingSink sink;
  const ParseResult result = parser.parse(frame, sink);
  ASSERT_EQ(result.kind, FrameKind::kData) << result.reason;
  ASSERT_EQ(sink.quotes.size(), 1u);
  EXPECT_EQ(sink.quotes[0].last_price, "97000.5"_d);
  EXPECT_EQ(sink.quotes[0].volume_24h, Decimal::max());
  EXPECT_EQ(sink.quotes[0].turnover_24h, Decimal::max());
}

TEST(BybitPublicParser, OptionTickerOnALinearConnectionIsMalformed) {
  GAUNTLET_SHARED_DATA_OR_SKIP(root);
  PublicMessageParser parser(Category::kLinear);
  RecordingSink sink;
  const ParseResult result = parser.parse(fixture(root, "ws_ticker_option.json"), sink);
  EXPECT_EQ(result.kind, FrameKind::kMalformed);
  EXPECT_NE(result.reason.find("BTC-6JAN23-17500-C"), std::string_view::npos) << result.reason;
  EXPECT_EQ(sink.total(), 0u);
}

// ---- Control frames and other topics

TEST(BybitPublicParser, SubscriptionAckAndFailureAreControl) {
  GAUNTLET_SHARED_DATA_OR_SKIP(root);
  PublicMessageParser parser(Category::kSpot);
  RecordingSink sink;
  const ParseResult ack = parser.parse(fixture(root, "ws_subscription_ack.json"), sink);
  EXPECT_EQ(ack.kind, FrameKind::kControl);
  EXPECT_EQ(ack.control, ControlKind::kSubscribe);
  EXPECT_TRUE(ack.success);
  EXPECT_EQ(ack.request_id, "sub-orderbook-1");
  EXPECT_EQ(ack.operation, "subscribe");

  const ParseResult failure = parser.parse(fixture(root, "ws_subscription_failure.json"), sink);
  EXPECT_EQ(failure.kind, FrameKind::kControl);
  EXPECT_EQ(failure.control, ControlKind::kSubscribe);
  EXPECT_FALSE(failure.success);
  EXPECT_EQ(failure.message, "Invalid topic: invalid.topic.BTCUSDT");
  EXPECT_EQ(failure.request_id, "");
  EXPECT_EQ(sink.total(), 0u);
}

TEST(BybitPublicParser, EveryPongShapeIsAPong) {
  PublicMessageParser parser(Category::kLinear);
  RecordingSink sink;
  for (
      const char* pong :
      {R"({"success":true,"ret_msg":"pong","conn_id":"0970e817-426e-429a","op":"ping"})",
       R"({"success":true,"ret_msg":"pong","conn_id":"465772b1","req_id":"7","op":"ping"})",
       R"({"req_id":"test","op":"pong","args":["1675418560633"],"conn_id":"cfcb4ocsvfriu23r3er0"})"}) {
    const ParseResult result = parser.parse(pong, sink);
    EXPECT_EQ(result.kind, FrameKind::kControl) << pong;
    EXPECT_EQ(result.control, ControlKind::kPong) << pong;
  }
  const ParseResult unsubscribed = parser.parse(
      R"({"success":true,"ret_msg":"","conn_id":"x","req_id":"u-1","op":"unsubscribe"})", sink);
  EXPECT_EQ(unsubscribed.control, ControlKind::kUnsubscribe);
  const ParseResult auth = parser.parse(
      R"({"op":"auth","success":false,"retCode":10003,"retMsg":"Invalid apikey"})", sink);
  EXPECT_EQ(auth.kind, FrameKind::kControl);
  EXPECT_EQ(auth.control, ControlKind::kOther);
  EXPECT_FALSE(auth.success);
}

TEST(BybitPublicParser, OtherTopicsAreIgnoredNotMalformed) {
  GAUNTLET_SHARED_DATA_OR_SKIP(root);
  PublicMessageParser parser(Category::kLinear);
  RecordingSink sink;
  for (const char* name :
       {"ws_orderbook_snapshot.json", "ws_orderbook_delta.json", "ws_public_trade.json"}) {
    const ParseResult result = parser.parse(fixture(root, name), sink);
    EXPECT_EQ(result.kind, FrameKind::kIgnored) << name << ": " << result.reason;
  }
  EXPECT_EQ(sink.total(), 0u);
}

// ---- Malformed input

struct MalformedCase {
  const char* name;
  std::string frame;
  const char* reason_part;
};

TEST(BybitPublicParser, MalformedFramesAreReportedWithAReasonAndEmitNothing) {
  const std::string good = kline(kT0, false);
  const auto with = [&](const std::string& from, const std::string& to) {
    const std::string changed = replace_all(good, from, to);
    EXPECT_NE(changed, good) << from;
    return changed;
  };
  const std::vector<MalformedCase> cases = {
      {"empty", "", "empty"},
      {"whitespace", "   ", "JSON"},
      {"garbage", "\x01\xff\xfe garbage \x80", "JSON"},
      {"not an object", "[1,2,3]", "not a JSON object"},
      {"a string", "\"kline\"", "not a JSON object"},
      {"truncated", good.substr(0, good.size() / 2), ""},
      {"trailing", good + "x", ""},
      {"no topic nor op", R"({"data":[],"ts":1})", "neither a topic nor an op"},
      {"topic not a string", R"({"topic":5,"data":[]})", "topic is not a string"},
      {"no data", R"({"topic":"kline.1.BTCUSDT","ts":1})", "no data"},
      {"data not array", R"({"topic":"kline.1.BTCUSDT","data":{},"ts":1})", "not an array"},
      {"empty data", R"({"topic":"kline.1.BTCUSDT","data":[],"ts":1})", "no kline"},
      {"element not object", R"({"topic":"kline.1.BTCUSDT","data":[1],"ts":1})", "not an object"},
      {"open as number", with("\"open\":\"100\"", "\"open\":100"), "open is not a string"},
      {"confirm as string", with("\"confirm\":false", "\"confirm\":\"false\""),
       "confirm is not a boolean"},
      {"start as string", with("\"start\":" + std::to_string(kT0), "\"start\":\"1\""),
       "start is not an integer"},
      {"start fraction", with("\"start\":" + std::to_string(kT0), "\"start\":1.5"),
       "start is not an integer"},
      {"no open", with("\"open\":\"100\",", ""), "lacks open"},
      {"no high", with("\"high\":\"101\",", ""), "lacks high"},
      {"no low", with("\"low\":\"99\",", ""), "lacks low"},
      {"no close", with("\"close\":\"100.5\",", ""), "lacks close"},
      {"no volume", with("\"volume\":\"2\",", ""), "lacks volume"},
      {"no turnover", with("\"turnover\":\"201\",", ""), "lacks turnover"},
      {"no confirm", with(",\"confirm\":false", ""), "lacks confirm"},
      {"no start", with("\"start\":" + std::to_string(kT0) + ",", ""), "lacks start"},
      {"unknown interval", with("kline.1.", "kline.120."), "unknown kline interval"},
      {"interval mismatch", with("\"interval\":\"1\"", "\"interval\":\"5\""),
       "does not match the topic"},
      {"bad symbol", with("BTCUSDT", "BTC"), "symbol"},
      {"negative price", with("\"low\":\"99\"", "\"low\":\"-99\""), "not positive"},
      {"zero price", with("\"open\":\"100\"", "\"open\":\"0\""), "not positive"},
      {"nan", with("\"high\":\"101\"", "\"high\":\"NaN\""), "not a decimal"},
      {"inf", with("\"high\":\"101\"", "\"high\":\"inf\""), "not a decimal"},
      {"empty price", with("\"high\":\"101\"", "\"high\":\"\""), "not a decimal"},
      {"high below low", with("\"high\":\"101\"", "\"high\":\"98\""), "high is below low"},
      {"close above high", with("\"close\":\"100.5\"", "\"close\":\"102\""), "close is outside"},
      {"huge price", with("\"high\":\"101\"", "\"high\":\"99999999999999999999\""),
       "not a decimal"},
      {"huge exponent", with("\"high\":\"101\"", "\"high\":\"1e30\""), "not a decimal"},
      {"too many places", with("\"high\":\"101\"", "\"high\":\"101.0000000001\""), "not a decimal"},
      {"negative volume", with("\"volume\":\"2\"", "\"volume\":\"-2\""), "volume is negative"},
      {"huge start", with("\"start\":" + std::to_string(kT0), "\"start\":99999999999999999999"),
       "start is not an integer"},
      {"start not aligned", with("\"start\":" + std::to_string(kT0), "\"start\":1700000040001"),
       "boundary"},
      {"escaped number", with("\"open\":\"100\"", "\"open\":\"1\\u00300\""),
       "open is not a string"},
      {"no timestamp nor ts",
       R"({"topic":"kline.1.BTCUSDT","data":[{"start":1700000040000,"open":"1","close":"1",)"
       R"("high":"1","low":"1","volume":"1","turnover":"1","confirm":true}]})",
       "neither timestamp nor ts"},
      {"ticker data not object", R"({"topic":"tickers.BTCUSDT","data":[],"ts":1})",
       "not an object"},
      {"ticker no ts", R"({"topic":"tickers.BTCUSDT","type":"snapshot","data":{}})", "no ts"},
      {"ticker unknown type", R"({"topic":"tickers.BTCUSDT","type":"x","data":{},"ts":1})",
       "unknown type"},
      {"ticker symbol mismatch",
       R"({"topic":"tickers.BTCUSDT","type":"snapshot","data":{"symbol":"ETHUSDT"},"ts":1})",
       "does not match"},
      {"ticker price number",
       R"({"topic":"tickers.BTCUSDT","type":"snapshot","data":{"lastPrice":1},"ts":1})",
       "lastPrice is not a string"},
      {"ticker negative",
       R"({"topic":"tickers.BTCUSDT","type":"snapshot","data":{"bid1Size":"-1"},"ts":1})",
       "negative"},
      {"ts not integer", R"({"topic":"tickers.BTCUSDT","data":{},"ts":"1"})",
       "ts is not a non-negative integer"},
      {"op not string", R"({"op":1})", "op is not a string"},
      {"success not bool", R"({"op":"ping","success":"yes"})", "success is not a boolean"},
  };
  for (const MalformedCase& c : cases) {
    PublicMessageParser parser(Category::kLinear);
    RecordingSink sink;
    const ParseResult result = parser.parse(c.frame, sink);
    EXPECT_EQ(result.kind, FrameKind::kMalformed) << c.name << ": " << c.frame;
    EXPECT_FALSE(result.reason.empty()) << c.name;
    EXPECT_NE(result.reason.find(c.reason_part), std::string_view::npos)
        << c.name << ": reason was \"" << result.reason << "\"";
    EXPECT_EQ(sink.total(), 0u) << c.name;
  }
}

TEST(BybitPublicParser, ReasonsNameTheTopicAndClipBadValues) {
  PublicMessageParser parser(Category::kLinear);
  RecordingSink sink;
  const std::string long_junk(5000, '7');
  const ParseResult result = parser.parse(
      replace_all(kline(kT0, false), "\"open\":\"100\"", "\"open\":\"x" + long_junk + "\""), sink);
  ASSERT_EQ(result.kind, FrameKind::kMalformed);
  EXPECT_EQ(result.reason.substr(0, 16), "kline.1.BTCUSDT:");
  EXPECT_LT(result.reason.size(), 200u);
}

TEST(BybitPublicParser, EveryPrefixOfEveryFixtureIsHandledWithoutThrowing) {
  GAUNTLET_SHARED_DATA_OR_SKIP(root);
  PublicMessageParser parser(Category::kLinear);
  RecordingSink sink;
  for (const char* name : {"ws_kline.json", "ws_ticker_linear.json", "ws_subscription_ack.json"}) {
    const std::string text = fixture(root, name);
    // Every prefix that stops before the closing brace is incomplete.
    for (std::size_t size = 0; size < text.find_last_of('}'); ++size) {
      const std::string_view prefix(text.data(), size);
      const std::size_t before = sink.total();
      EXPECT_EQ(parser.parse(prefix, sink).kind, FrameKind::kMalformed) << name << " " << size;
      EXPECT_EQ(sink.total(), before);
    }
  }
}

TEST(BybitPublicParser, RandomBytesAndMutationsNeverThrow) {
  GAUNTLET_SHARED_DATA_OR_SKIP(root);
  std::vector<std::string> seeds = {fixture(root, "ws_kline.json"),
                                    fixture(root, "ws_ticker_linear.json"),
                                    fixture(root, "ws_subscription_ack.json"), kline(kT0, true)};
  std::mt19937_64 random(20240601);
  PublicMessageParser parser(Category::kLinear);
  RecordingSink sink;
  std::size_t counts[4] = {0, 0, 0, 0};
  for (int round = 0; round < 20'000; ++round) {
    std::string frame = seeds[random() % seeds.size()];
    const int edits = 1 + static_cast<int>(random() % 4);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = random() % frame.size();
      switch (random() % 3) {
        case 0:
          frame[at] = static_cast<char>(random() % 256);
          break;
        case 1:
          frame.erase(at, 1 + random() % 8);
          break;
        default:
          frame.insert(at, 1, "{}[]\",:0-.e9"[random() % 12]);
          break;
      }
      if (frame.empty()) frame.push_back('x');
    }
    const ParseResult result = parser.parse(frame, sink);
    ++counts[static_cast<int>(result.kind)];
    if (result.kind == FrameKind::kMalformed) {
      EXPECT_FALSE(result.reason.empty());
    }
  }
  std::string random_bytes;
  for (int round = 0; round < 2'000; ++round) {
    random_bytes.resize(random() % 300);
    for (char& c : random_bytes) c = static_cast<char>(random() % 256);
    const ParseResult result = parser.parse(random_bytes, sink);
    if (result.kind == FrameKind::kMalformed) {
      EXPECT_FALSE(result.reason.empty());
    }
  }
  EXPECT_GT(counts[static_cast<int>(FrameKind::kMalformed)], 10'000u);
}

// ---- REST bodies

TEST(BybitRest, EnvelopeErrorsBecomeBrokerErrorsWithCodeAndRetryable) {
  const auto error_of = [](const std::string& body) {
    try {
      check_envelope(body);
    } catch (const BrokerError& error) {
      return std::make_pair(error.code(), error.retryable());
    }
    return std::make_pair(0, false);
  };
  EXPECT_EQ(error_of(R"({"retCode":10006,"retMsg":"Too many visits!","result":{}})"),
            std::make_pair(10006, true));
  EXPECT_EQ(error_of(R"({"retCode":10016,"retMsg":"Server error","result":{}})"),
            std::make_pair(10016, true));
  EXPECT_EQ(error_of(R"({"retCode":10002,"retMsg":"recv_window","result":{}})"),
            std::make_pair(10002, true));
  EXPECT_EQ(error_of(R"({"retCode":10001,"retMsg":"params error","result":{}})"),
            std::make_pair(10001, false));
  EXPECT_NO_THROW(check_envelope(R"({"retCode":0,"retMsg":"OK","result":{}})"));
  EXPECT_TRUE(is_retryable_ret_code(10006));
  EXPECT_FALSE(is_retryable_ret_code(10003));
  try {
    check_envelope(R"({"retCode":10006,"retMsg":"Too many visits!"})");
    FAIL();
  } catch (const BrokerError& error) {
    EXPECT_NE(std::string(error.what()).find("Too many visits!"), std::string::npos);
  }
  EXPECT_THROW(check_envelope("<html>502 Bad Gateway</html>"), DataError);
  EXPECT_THROW(check_envelope(R"({"retCode":"0"})"), DataError);
  EXPECT_THROW(check_envelope("[]"), DataError);
  EXPECT_THROW(check_envelope(""), DataError);
}

TEST(BybitRest, KlinePageFixture) {
  GAUNTLET_SHARED_DATA_OR_SKIP(root);
  const std::vector<Bar> bars = parse_kline_page(fixture(root, "http_get_klines_linear.json"));
  ASSERT_EQ(bars.size(), 1u);
  const Bar expected{1709891679000, "27450"_d,  "27460"_d,  "27440"_d,
                     "27455"_d,     "123.45"_d, "3390000"_d};
  EXPECT_EQ(bars[0], expected);
}

TEST(BybitRest, KlinePageIsNormalisedOldestFirstWithoutDuplicates) {
  const std::string body =
      R"({"retCode":0,"retMsg":"OK","result":{"symbol":"BTCUSDT","category":"linear","list":[)"
      R"(["1670608800000","17071","17073","17027","17055.5","268.611","4577000.7"],)"
      R"(["1670605200000","17071.5","17071.5","17061","17071","4.177","71291.3"],)"
      R"(["1670605200000","17071.5","17071.5","17061","17071","4.177","71291.3"],)"
      R"(["1670601600000","17000","17080","16990","17071.5","10","170000"]]},"time":1})";
  const std::vector<Bar> bars = parse_kline_page(body);
  ASSERT_EQ(bars.size(), 3u);
  EXPECT_EQ(bars[0].open_time, 1670601600000);
  EXPECT_EQ(bars[1].open_time, 1670605200000);
  EXPECT_EQ(bars[2].open_time, 1670608800000);
  EXPECT_EQ(bars[2].close, "17055.5"_d);
  EXPECT_TRUE(parse_kline_page(R"({"retCode":0,"result":{"list":[]}})").empty());
}

TEST(BybitRest, BadKlineRowsAreDataErrorsNamingTheRow) {
  const auto page = [](const std::string& rows) {
    return R"({"retCode":0,"retMsg":"OK","result":{"list":[)" + rows + "]}}";
  };
  const char* bad_rows[] = {
      R"(["1","1","1","1","1","1"])",       R"(["x","1","1","1","1","1","1"])",
      R"(["1","1","0.5","1","1","1","1"])", R"(["1","-1","1","1","1","1","1"])",
      R"(["1","1","1","1","1","1",7])",     R"({"start":"1"})",
  };
  for (const char* row : bad_rows) {
    try {
      parse_kline_page(page(std::string(R"(["2","1","1","1","1","1","1"],)") + row));
      ADD_FAILURE() << row;
    } catch (const DataError& error) {
      EXPECT_NE(std::string(error.what()).find("row 1"), std::string::npos) << error.what();
    }
  }
  EXPECT_THROW(parse_kline_page(R"({"retCode":0,"result":{}})"), DataError);
  EXPECT_THROW(parse_kline_page(R"({"retCode":10001,"retMsg":"bad","result":{}})"), BrokerError);
}

TEST(BybitRest, SpotInstrumentsFixture) {
  GAUNTLET_SHARED_DATA_OR_SKIP(root);
  const InstrumentsPage page =
      parse_instruments_page(fixture(root, "http_get_instruments_spot.json"), Category::kSpot);
  EXPECT_EQ(page.next_page_cursor, "");
  EXPECT_TRUE(page.skipped.empty());
  ASSERT_EQ(page.instruments.size(), 2u);
  const data::InstrumentInfo& btc = page.instruments[0];
  EXPECT_EQ(btc.domain, Asset::kSpot);
  EXPECT_EQ(btc.symbol, Symbol::parse("BTCUSDT"));
  EXPECT_EQ(btc.status, "Trading");
  EXPECT_EQ(btc.tick_size, "0.1"_d);
  EXPECT_EQ(btc.qty_step, "0.0001"_d);
  EXPECT_EQ(btc.min_qty, "0.001"_d);
  EXPECT_EQ(btc.max_qty, "100"_d);
  EXPECT_EQ(btc.min_notional, "10"_d);
  EXPECT_EQ(btc.launch_time, 0);
  EXPECT_EQ(page.instruments[1].symbol, Symbol::parse("ETHUSDT"));
  EXPECT_EQ(page.instruments[1].qty_step, "0.00001"_d);

  const InstrumentsPage xstocks = parse_instruments_page(
      fixture(root, "http_get_instruments_spot_xstocks.json"), Category::kSpot);
  ASSERT_EQ(xstocks.instruments.size(), 1u);
  EXPECT_EQ(xstocks.instruments[0].symbol.canonical(), "AAPLUSDT");
  EXPECT_EQ(xstocks.instruments[0].tick_size, "0.01"_d);
}

TEST(BybitRest, LinearInstrumentsFixture) {
  GAUNTLET_SHARED_DATA_OR_SKIP(root);
  const InstrumentsPage page =
      parse_instruments_page(fixture(root, "http_get_instruments_linear.json"), Category::kLinear);
  EXPECT_EQ(page.next_page_cursor, "");  // null in the fixture
  ASSERT_EQ(page.instruments.size(), 2u);
  const data::InstrumentInfo& btc = page.instruments[0];
  EXPECT_EQ(btc.domain, Asset::kPerp);
  EXPECT_EQ(btc.symbol, Symbol::parse("BTCUSDT"));
  EXPECT_EQ(btc.tick_size, "0.5"_d);
  EXPECT_EQ(btc.qty_step, "0.001"_d);
  EXPECT_EQ(btc.min_qty, "0.001"_d);
  EXPECT_EQ(btc.max_qty, "100"_d);
  EXPECT_EQ(btc.min_notional, "5"_d);
  EXPECT_EQ(btc.launch_time, 1699990000000);
  EXPECT_EQ(page.instruments[1].tick_size, "0.05"_d);

  const InstrumentsPage stock = parse_instruments_page(
      fixture(root, "http_get_instruments_linear_symbol_type.json"), Category::kLinear);
  ASSERT_EQ(stock.instruments.size(), 1u);
  EXPECT_EQ(stock.instruments[0].symbol.canonical(), "TSLAUSDT");
  EXPECT_EQ(stock.instruments[0].launch_time, 0);
  EXPECT_EQ(stock.instruments[0].min_notional, "1"_d);
}

TEST(BybitRest, InstrumentsTheEngineCannotNameAreSkippedWithAReason) {
  const std::string body =
      R"({"retCode":0,"retMsg":"OK","result":{"category":"linear","nextPageCursor":"abc%3D",)"
      R"("list":[{"symbol":"BTCUSDT-26DEC25","contractType":"LinearFutures","status":"Trading",)"
      R"("baseCoin":"BTC","quoteCoin":"USDT","priceFilter":{"tickSize":"0.1"},)"
      R"("lotSizeFilter":{"qtyStep":"0.001","minOrderQty":"0.001","maxOrderQty":"100"}},)"
      R"({"symbol":"BTCPERP","contractType":"LinearPerpetual","status":"Trading",)"
      R"("baseCoin":"BTC","quoteCoin":"USDC","priceFilter":{"tickSize":"0.1"},)"
      R"("lotSizeFilter":{"qtyStep":"0.001","minOrderQty":"0.001","maxOrderQty":"100"}},)"
      R"({"symbol":"1000PEPEUSDT","contractType":"LinearPerpetual","status":"PreLaunch",)"
      R"("baseCoin":"1000PEPE","quoteCoin":"USDT","launchTime":"1683532800000",)"
      R"("priceFilter":{"tickSize":"0.0000001"},"lotSizeFilter":{"qtyStep":"100",)"
      R"("minOrderQty":"100","maxOrderQty":"99999999999999","minNotionalValue":"5"}}]}})";
  const InstrumentsPage page = parse_instruments_page(body, Category::kLinear);
  EXPECT_EQ(page.next_page_cursor, "abc%3D");
  ASSERT_EQ(page.skipped.size(), 2u);
  EXPECT_NE(page.skipped[0].find("BTCUSDT-26DEC25"), std::string::npos);
  EXPECT_NE(page.skipped[1].find("BTCPERP"), std::string::npos);
  ASSERT_EQ(page.instruments.size(), 1u);
  EXPECT_EQ(page.instruments[0].symbol.canonical(), "1000PEPEUSDT");
  EXPECT_EQ(page.instruments[0].status, "PreLaunch");
  EXPECT_EQ(page.instruments[0].tick_size, "0.0000001"_d);
  EXPECT_EQ(page.instruments[0].max_qty, Decimal::max());  // saturated
  EXPECT_EQ(page.instruments[0].launch_time, 1683532800000);
}

TEST(BybitRest, BadInstrumentFiltersAreDataErrors) {
  const auto body = [](const std::string& lot) {
    return R"({"retCode":0,"result":{"list":[{"symbol":"BTCUSDT","status":"Trading",)"
           R"("quoteCoin":"USDT","priceFilter":{"tickSize":"0.1"},"lotSizeFilter":)" +
           lot + "}]}}";
  };
  EXPECT_THROW(
      parse_instruments_page(body(R"({"minOrderQty":"1","maxOrderQty":"2"})"), Category::kLinear),
      DataError);  // no qtyStep
  EXPECT_THROW(
      parse_instruments_page(body(R"({"qtyStep":"0","minOrderQty":"1","maxOrderQty":"2"})"),
                             Category::kLinear),
      DataError);
  EXPECT_THROW(
      parse_instruments_page(body(R"({"qtyStep":"1","minOrderQty":"3","maxOrderQty":"2"})"),
                             Category::kLinear),
      DataError);
  EXPECT_THROW(parse_instruments_page(body(R"("x")"), Category::kSpot), DataError);
}

TEST(BybitRest, TickersBecomeQuotesWith24hStatistics) {
  // The shapes of GET /v5/market/tickers (Bybit docs, market/tickers.mdx).
  const std::string spot =
      R"({"retCode":0,"retMsg":"OK","result":{"category":"spot","list":[{"symbol":"BTCUSDT",)"
      R"("bid1Price":"20517.96","bid1Size":"2","ask1Price":"20527.77","ask1Size":"1.862172",)"
      R"("lastPrice":"20533.13","prevPrice24h":"20393.48","price24hPcnt":"0.0068",)"
      R"("highPrice24h":"21128.12","lowPrice24h":"20318.89","turnover24h":"243765620.65899866",)"
      R"("volume24h":"11801.27771","usdIndexPrice":"20784.12009279"}]},"retExtInfo":{},)"
      R"("time":1673859087947})";
  const std::vector<data::QuoteUpdated> quotes = parse_tickers(spot, Category::kSpot);
  ASSERT_EQ(quotes.size(), 1u);
  EXPECT_EQ(quotes[0].domain, Asset::kSpot);
  EXPECT_EQ(quotes[0].symbol.canonical(), "BTCUSDT");
  EXPECT_EQ(quotes[0].event_time, 1673859087947);
  EXPECT_EQ(quotes[0].bid_price, "20517.96"_d);
  EXPECT_EQ(quotes[0].ask_size, "1.862172"_d);
  EXPECT_EQ(quotes[0].last_price, "20533.13"_d);
  EXPECT_EQ(quotes[0].turnover_24h, "243765620.65899866"_d);
  EXPECT_EQ(quotes[0].volume_24h, "11801.27771"_d);
  EXPECT_EQ(quotes[0].mark_price, Decimal());

  const std::string linear =
      R"({"retCode":0,"retMsg":"OK","result":{"category":"linear","list":[)"
      R"({"symbol":"BTCUSDT","lastPrice":"17216.00","markPrice":"17217.33","bid1Price":"",)"
      R"("bid1Size":"","ask1Price":"17216.00","ask1Size":"83.020","volume24h":"91705.276",)"
      R"("turnover24h":"1570383121.943499"},)"
      R"({"symbol":"BTCUSDT-26DEC25","lastPrice":"17300","markPrice":"17300"}]},"time":5})";
  const std::vector<data::QuoteUpdated> perps = parse_tickers(linear, Category::kLinear);
  ASSERT_EQ(perps.size(), 1u);
  EXPECT_EQ(perps[0].domain, Asset::kPerp);
  EXPECT_EQ(perps[0].mark_price, "17217.33"_d);
  EXPECT_EQ(perps[0].bid_price, Decimal());
  EXPECT_THROW(parse_tickers(R"({"retCode":0,"result":{"list":[{"symbol":"BTCUSDT",)"
                             R"("lastPrice":"abc"}]}})",
                             Category::kSpot),
               DataError);
}

TEST(BybitRest, ServerTime) {
  EXPECT_EQ(parse_server_time(R"({"retCode":0,"retMsg":"OK","result":{"timeSecond":"1688639403",)"
                              R"("timeNano":"1688639403423213947"},"retExtInfo":{},)"
                              R"("time":1688639403423})"),
            1688639403423);
  EXPECT_EQ(parse_server_time(R"({"retCode":0,"result":{"timeSecond":"1688639403"}})"),
            1688639403000);
  EXPECT_THROW(parse_server_time(R"({"retCode":0,"result":{}})"), DataError);
  EXPECT_THROW(parse_server_time(R"({"retCode":0,"result":{"timeNano":"12x"}})"), DataError);
}

}  // namespace
}  // namespace gauntlet::brokers::bybit
