// Throughput of the event bus: publish + dispatch of small events through EventBus on an
// io_context, against the anchor of calling the same std::function handlers directly in a loop.
// The /N argument is the number of subscribers; items/s counts events (each reaching N handlers).
//   BM_EventBusPublishDispatch/N  publish a burst of events, then io_context::poll() dispatches
//   BM_EventBusPublishDrain/N     the same, dispatched with EventBus::drain() (no io_context)
//   BM_DirectStdFunctionCall/N    the anchor: each event handed to the N handlers directly
// The gap between the first and the last is the price of queuing and of deterministic order.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/asio.hpp"
#include "core/event_bus.hpp"

namespace gauntlet {
namespace {

constexpr int64_t kBurst = 1024;  // events published per iteration

struct PriceTicked {
  int64_t instrument = 0;
  int64_t price = 0;
  int64_t quantity = 0;
  int64_t time = 0;
};

std::function<void(const PriceTicked&)> make_handler(int64_t& sum) {
  return [&sum](const PriceTicked& event) { sum += event.price + event.quantity; };
}

// `count` subscribers that add to `sum`.
std::vector<Subscription> subscribe(EventBus& bus, int64_t count, int64_t& sum) {
  std::vector<Subscription> subscriptions;
  for (int64_t i = 0; i < count; ++i) {
    subscriptions.push_back(bus.subscribe<PriceTicked>(make_handler(sum)));
  }
  return subscriptions;
}

void BM_EventBusPublishDispatch(benchmark::State& state) {
  asio::io_context loop;
  EventBus bus(loop);
  int64_t sum = 0;
  const auto subscriptions = subscribe(bus, state.range(0), sum);
  for (auto _ : state) {
    for (int64_t i = 0; i < kBurst; ++i) bus.publish(PriceTicked{1, i, 2, i});
    loop.restart();
    loop.poll();
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * kBurst);
  state.SetLabel("compare BM_DirectStdFunctionCall/" + std::to_string(state.range(0)));
}
BENCHMARK(BM_EventBusPublishDispatch)->Arg(1)->Arg(4);

void BM_EventBusPublishDrain(benchmark::State& state) {
  asio::io_context loop;
  EventBus bus(loop);
  int64_t sum = 0;
  const auto subscriptions = subscribe(bus, state.range(0), sum);
  for (auto _ : state) {
    for (int64_t i = 0; i < kBurst; ++i) bus.publish(PriceTicked{1, i, 2, i});
    bus.drain();
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * kBurst);
  state.SetLabel("compare BM_DirectStdFunctionCall/" + std::to_string(state.range(0)));
}
BENCHMARK(BM_EventBusPublishDrain)->Arg(1)->Arg(4);

void BM_DirectStdFunctionCall(benchmark::State& state) {
  int64_t sum = 0;
  std::vector<std::function<void(const PriceTicked&)>> handlers;
  for (int64_t i = 0; i < state.range(0); ++i) handlers.push_back(make_handler(sum));
  for (auto _ : state) {
    for (int64_t i = 0; i < kBurst; ++i) {
      const PriceTicked event{1, i, 2, i};
      for (const auto& handler : handlers) handler(event);
    }
    benchmark::ClobberMemory();
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * kBurst);
  state.SetLabel("anchor");
}
BENCHMARK(BM_DirectStdFunctionCall)->Arg(1)->Arg(4);

}  // namespace
}  // namespace gauntlet
