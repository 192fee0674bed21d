// Proves that PublicMessageParser allocates nothing per message once warm (the counting global
// allocation functions of support/counting_allocator replace this binary's, so it is its own
// executable).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "brokers/bybit/public_parse.hpp"
#include "support/counting_allocator.hpp"

namespace gauntlet::brokers::bybit {
namespace {

class CountingSink final : public MarketEventSink {
 public:
  void on_bar_closed(const data::BarClosed&) override { ++events; }
  void on_bar_updated(const data::BarUpdated&) override { ++events; }
  void on_quote_updated(const data::QuoteUpdated&) override { ++events; }
  std::size_t events = 0;
};

std::string kline(const std::string& symbol, int64_t start, bool confirm) {
  return "{\"topic\":\"kline.1." + symbol + "\",\"data\":[{\"start\":" + std::to_string(start) +
         ",\"interval\":\"1\",\"open\":\"100\",\"close\":\"100.5\",\"high\":\"101\",\"low\":\"99\","
         "\"volume\":\"2\",\"turnover\":\"201\",\"confirm\":" +
         (confirm ? "true" : "false") + ",\"timestamp\":" + std::to_string(start + 1) +
         "}],\"ts\":" + std::to_string(start + 2) + ",\"type\":\"snapshot\"}";
}

TEST(BybitPublicParserAllocations, SteadyStateParsingAllocatesNothing) {
  const std::string snapshot =
      R"({"topic":"tickers.BTCUSDT","type":"snapshot","data":{"symbol":"BTCUSDT",)"
      R"("lastPrice":"17216.00","bid1Price":"17215.50","bid1Size":"84.489","ask1Price":"17216.00",)"
      R"("ask1Size":"83.020","markPrice":"17217.33","volume24h":"91705.276",)"
      R"("turnover24h":"1570383121.943499"},"cs":24987956059,"ts":1673272861686})";
  const std::string delta =
      R"({"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT",)"
      R"("bid1Price":"17215.00","bid1Size":"1.5"},"cs":24987956060,"ts":1673272861786})";
  const std::string pong = R"({"success":true,"ret_msg":"pong","conn_id":"abc","op":"ping"})";
  std::vector<std::string> klines;
  for (int i = 0; i < 64; ++i) {
    klines.push_back(kline("ETHUSDT", 1'700'000'040'000 + i * 60'000, i % 2 == 1));
  }

  PublicMessageParser parser(Category::kLinear);
  CountingSink sink;
  // Warm-up: every topic seen once, the largest frame seen once.
  parser.parse(snapshot, sink);
  parser.parse(klines[0], sink);
  parser.parse(pong, sink);

  const std::size_t before = testing::allocation_count();
  std::size_t data_frames = 0;
  for (int round = 0; round < 1000; ++round) {
    const std::string& kline_frame = klines[static_cast<std::size_t>(round % 64)];
    for (const std::string* frame : {&delta, &kline_frame, &snapshot}) {
      data_frames += parser.parse(*frame, sink).kind == FrameKind::kData ? 1 : 0;
    }
  }
  const std::size_t allocations = testing::allocation_count() - before;
  EXPECT_EQ(allocations, 0u);
  EXPECT_EQ(data_frames, 3000u);
  EXPECT_GT(sink.events, 2000u);
}

}  // namespace
}  // namespace gauntlet::brokers::bybit
