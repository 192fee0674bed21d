// File: bench/brokers/bybit/public_parse_bench.cpp
//
// PublicMessageParser on real Bybit pushes: the exact shapes of the shared fixtures
// (fixtures/bybit/ws_kline.json, ws_ticker_linear.json), minified as they arrive on the wire,
// turned into engine events (BarUpdated, QuoteUpdated) on one core. A ticker delta is the
// snapshot cut to the fields a real delta carries. The figure to beat: 2,000,000 messages/s
// (the issue's bar). The anchor: simdjson on-demand walking every field of the same message
// without converting anything (and the published 4.65 M/s on 122-byte trade messages).
//
// Data: $GAUNTLET_SHARED_DATA, else /work/shared/data, else ../shared/data.
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "brokers/bybit/public_parse.hpp"
#include "fixtures.hpp"

namespace gauntlet::brokers::bybit {
namespace {

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

struct Messages {
  std::string kline = bench::minified_fixture("ws_kline.json");
  std::string snapshot = bench::minified_fixture("ws_ticker_linear.json");
  // A delta as Bybit sends them between snapshots: the top of book and what moved.
  std::string delta =
      R"({"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT","tickDirection":)"
      R"("ZeroPlusTick","lastPrice":"17216.50","turnover24h":"1570384845.5965","volume24h":)"
      R"("91705.376","bid1Price":"17216.00","bid1Size":"75.102","ask1Price":"17216.50",)"
      R"("ask1Size":"12.390"},"cs":24987956060,"ts":1673272861786})";
};

const Messages& messages() {
  static const Messages instance;
  return instance;
}

class CountingSink final : public MarketEventSink {
 public:
  void on_bar_closed(const data::BarClosed& event) override { consume(event.bar.close); }
  void on_bar_updated(const data::BarUpdated& event) override { consume(event.bar.close); }
  void on_quote_updated(const data::QuoteUpdated& event) override { consume(event.last_price); }
  int64_t total = 0;

 private:
  void consume(Decimal value) { total += value.raw(); }
};

void run(benchmark::State& state, PublicMessageParser& parser,
         const std::vector<std::string>& frames) {
  CountingSink sink;
  std::size_t bytes = 0;
  std::size_t next = 0;
  for (auto _ : state) {
    const std::string& frame = frames[next];
    next = next + 1 == frames.size() ? 0 : next + 1;
    const ParseResult result = parser.parse(frame, sink);
    if (result.kind != FrameKind::kData || result.events != 1) {
      state.SkipWithError("frame did not parse into one event");
      break;
    }
    bytes += frame.size();
  }
  benchmark::DoNotOptimize(sink.total);
  state.SetLabel("bar: 2.0 M msgs/s");
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["msgs_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_Kline(benchmark::State& state) {
  PublicMessageParser parser(Category::kLinear);
  run(state, parser, {messages().kline});
}
BENCHMARK(BM_Kline);

void BM_TickerSnapshot(benchmark::State& state) {
  PublicMessageParser parser(Category::kLinear);
  run(state, parser, {messages().snapshot});
}
BENCHMARK(BM_TickerSnapshot);

void BM_TickerDelta(benchmark::State& state) {
  PublicMessageParser parser(Category::kLinear);
  CountingSink sink;
  parser.parse(messages().snapshot, sink);
  run(state, parser, {messages().delta});
}
BENCHMARK(BM_TickerDelta);

// One linear connection with 4 symbols: every 100 ms a ticker delta per symbol, a kline push
// per symbol and interval (1m, 5m, 15m) about every 1-2 s, and the odd snapshot.
void BM_Mix(benchmark::State& state) {
  const Messages& m = messages();
  std::vector<std::string> frames;
  const std::vector<std::string> symbols = {"BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"};
  PublicMessageParser parser(Category::kLinear);
  CountingSink sink;
  for (const std::string& symbol : symbols) {
    parser.parse(replace(replace(m.snapshot, "BTCUSDT", symbol), "BTCUSDT", symbol), sink);
  }
  for (int round = 0; round < 20; ++round) {
    for (const std::string& symbol : symbols) {
      frames.push_back(replace(replace(m.delta, "BTCUSDT", symbol), "BTCUSDT", symbol));
      if (round % 4 == 0) {
        frames.push_back(replace(m.kline, "kline.5.BTCUSDT", "kline.5." + symbol));
        frames.push_back(replace(replace(m.kline, "kline.5.BTCUSDT", "kline.1." + symbol),
                                 R"("interval":"5")", R"("interval":"1")"));
      }
      if (round % 10 == 0) {
        frames.push_back(replace(replace(m.snapshot, "BTCUSDT", symbol), "BTCUSDT", symbol));
      }
    }
  }
  run(state, parser, frames);
}
BENCHMARK(BM_Mix);

// Anchor: simdjson on-demand alone, touching every field of the kline push (keys and raw
// values), converting nothing and emitting nothing.
void BM_Anchor_SimdjsonWalkKline(benchmark::State& state) {
  const std::string& frame = messages().kline;
  simdjson::padded_string padded(frame);
  simdjson::ondemand::parser parser;
  std::size_t touched = 0;
  for (auto _ : state) {
    simdjson::ondemand::document document = parser.iterate(padded);
    for (auto field : document.get_object()) {
      touched += field.key().raw()[0];
      simdjson::ondemand::value value = field.value();
      if (value.type() == simdjson::ondemand::json_type::array) {
        for (auto item : value.get_array()) {
          for (auto inner : item.get_object()) {
            touched += inner.key().raw()[0];
            touched += inner.value().raw_json_token().value_unsafe().size();
          }
        }
      } else {
        touched += value.raw_json_token().size();
      }
    }
  }
  benchmark::DoNotOptimize(touched);
  state.SetLabel("anchor: simdjson walk, no conversion");
  state.SetItemsProcessed(state.iterations());
  state.counters["msgs_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Anchor_SimdjsonWalkKline);

}  // namespace
}  // namespace gauntlet::brokers::bybit
