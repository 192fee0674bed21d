#include "core/event_bus.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/asio.hpp"
#include "support/counting_allocator.hpp"

namespace gauntlet {
namespace {

struct PriceTicked {
  int64_t sequence = 0;
  int64_t price = 0;
};

struct OrderFilled {
  int64_t sequence = 0;
  int64_t quantity = 0;
};

struct BalanceUpdated {
  std::string asset;
};

struct SubmitOrder {
  int64_t quantity = 0;
};

struct CancelOrder {
  int64_t order_id = 0;
};

using Log = std::vector<std::string>;

TEST(EventBus, PublishQueuesAndNeverDispatchesInline) {
  asio::io_context loop;
  EventBus bus(loop);
  int calls = 0;
  const auto subscription = bus.subscribe<PriceTicked>([&](const PriceTicked&) { ++calls; });
  bus.publish(PriceTicked{1, 100});
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(bus.pending(), 1u);
  loop.run();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(bus.pending(), 0u);
}

TEST(EventBus, DispatchesEventsOfAllTypesInGlobalPublishOrder) {
  asio::io_context loop;
  EventBus bus(loop);
  Log log;
  const auto prices = bus.subscribe<PriceTicked>(
      [&](const PriceTicked& event) { log.push_back("price" + std::to_string(event.sequence)); });
  const auto fills = bus.subscribe<OrderFilled>(
      [&](const OrderFilled& event) { log.push_back("fill" + std::to_string(event.sequence)); });
  const auto balances = bus.subscribe<BalanceUpdated>(
      [&](const BalanceUpdated& event) { log.push_back("balance " + event.asset); });
  bus.publish(PriceTicked{1, 0});
  bus.publish(OrderFilled{2, 0});
  bus.publish(PriceTicked{3, 0});
  bus.publish(BalanceUpdated{"USDT"});
  bus.publish(OrderFilled{5, 0});
  bus.publish(PriceTicked{6, 0});
  loop.run();
  EXPECT_EQ(log, (Log{"price1", "fill2", "price3", "balance USDT", "fill5", "price6"}));
}

TEST(EventBus, HandlersRunInSubscriptionOrder) {
  asio::io_context loop;
  EventBus bus(loop);
  Log log;
  const auto first = bus.subscribe<PriceTicked>([&](const PriceTicked&) { log.push_back("a"); });
  const auto second = bus.subscribe<PriceTicked>([&](const PriceTicked&) { log.push_back("b"); });
  const auto third = bus.subscribe<PriceTicked>([&](const PriceTicked&) { log.push_back("c"); });
  bus.publish(PriceTicked{});
  bus.publish(PriceTicked{});
  EXPECT_EQ(bus.drain(), 2u);
  EXPECT_EQ(log, (Log{"a", "b", "c", "a", "b", "c"}));
}

TEST(EventBus, HandlerThatPublishesDoesNotReenter) {
  asio::io_context loop;
  EventBus bus(loop);
  Log log;
  int depth = 0;
  const auto prices = bus.subscribe<PriceTicked>([&](const PriceTicked& event) {
    ++depth;
    EXPECT_EQ(depth, 1);
    log.push_back("price" + std::to_string(event.sequence));
    if (event.sequence == 1) bus.publish(OrderFilled{10, 0});  // queued after price2
    log.push_back("end price" + std::to_string(event.sequence));
    --depth;
  });
  const auto fills = bus.subscribe<OrderFilled>([&](const OrderFilled& event) {
    ++depth;
    EXPECT_EQ(depth, 1);
    log.push_back("fill" + std::to_string(event.sequence));
    --depth;
  });
  bus.publish(PriceTicked{1, 0});
  bus.publish(PriceTicked{2, 0});
  loop.run();
  EXPECT_EQ(log, (Log{"price1", "end price1", "price2", "end price2", "fill10"}));
}

TEST(EventBus, SubscriberAddedDuringDispatchGetsOnlyLaterEvents) {
  asio::io_context loop;
  EventBus bus(loop);
  Log log;
  std::optional<Subscription> late;
  const auto early = bus.subscribe<PriceTicked>([&](const PriceTicked& event) {
    log.push_back("early" + std::to_string(event.sequence));
    if (!late.has_value()) {
      late = bus.subscribe<PriceTicked>([&](const PriceTicked& later) {
        log.push_back("late" + std::to_string(later.sequence));
      });
    }
  });
  bus.publish(PriceTicked{1, 0});
  bus.publish(PriceTicked{2, 0});
  loop.run();
  EXPECT_EQ(log, (Log{"early1", "early2", "late2"}));
}

TEST(EventBus, UnsubscribingDuringDispatchSkipsTheHandlerAtOnce) {
  asio::io_context loop;
  EventBus bus(loop);
  Log log;
  Subscription second;
  const auto first = bus.subscribe<PriceTicked>([&](const PriceTicked& event) {
    log.push_back("first" + std::to_string(event.sequence));
    second.unsubscribe();
  });
  second = bus.subscribe<PriceTicked>(
      [&](const PriceTicked& event) { log.push_back("second" + std::to_string(event.sequence)); });
  const auto third = bus.subscribe<PriceTicked>(
      [&](const PriceTicked& event) { log.push_back("third" + std::to_string(event.sequence)); });
  bus.publish(PriceTicked{1, 0});
  bus.publish(PriceTicked{2, 0});
  loop.run();
  EXPECT_EQ(log, (Log{"first1", "third1", "first2", "third2"}));
}

TEST(EventBus, HandlerMayUnsubscribeItselfWhileRunning) {
  asio::io_context loop;
  EventBus bus(loop);
  Log log;
  Subscription self;
  std::string owned = "owned by the handler";
  self = bus.subscribe<PriceTicked>([&, owned](const PriceTicked& event) {
    self.unsubscribe();
    log.push_back(owned + std::to_string(event.sequence));  // the handler is still alive here
  });
  const auto other = bus.subscribe<PriceTicked>(
      [&](const PriceTicked& event) { log.push_back("other" + std::to_string(event.sequence)); });
  bus.publish(PriceTicked{1, 0});
  bus.publish(PriceTicked{2, 0});
  EXPECT_EQ(bus.drain(), 2u);
  EXPECT_EQ(log, (Log{"owned by the handler1", "other1", "other2"}));
}

TEST(EventBus, DestroyedSubscriptionStopsDelivery) {
  asio::io_context loop;
  EventBus bus(loop);
  int calls = 0;
  {
    const auto subscription = bus.subscribe<PriceTicked>([&](const PriceTicked&) { ++calls; });
    bus.publish(PriceTicked{});
    bus.drain();
  }
  bus.publish(PriceTicked{});
  bus.drain();
  EXPECT_EQ(calls, 1);
}

TEST(EventBus, SendReachesTheOneEndpointInGlobalOrder) {
  asio::io_context loop;
  EventBus bus(loop);
  Log log;
  const auto endpoint = bus.serve<SubmitOrder>([&](const SubmitOrder& command) {
    log.push_back("submit" + std::to_string(command.quantity));
  });
  const auto prices = bus.subscribe<PriceTicked>(
      [&](const PriceTicked& event) { log.push_back("price" + std::to_string(event.sequence)); });
  bus.publish(PriceTicked{1, 0});
  EXPECT_TRUE(bus.send(SubmitOrder{5}));
  bus.publish(PriceTicked{2, 0});
  EXPECT_EQ(log, Log{});  // queued, not dispatched inside send()
  loop.run();
  EXPECT_EQ(log, (Log{"price1", "submit5", "price2"}));
}

TEST(EventBus, SendWithoutEndpointReturnsFalseAndQueuesNothing) {
  asio::io_context loop;
  EventBus bus(loop);
  EXPECT_FALSE(bus.send(CancelOrder{7}));
  EXPECT_EQ(bus.pending(), 0u);
  EXPECT_EQ(bus.drain(), 0u);
}

TEST(EventBus, SubscribersOfACommandTypeAreNotItsEndpoint) {
  asio::io_context loop;
  EventBus bus(loop);
  int calls = 0;
  const auto subscription = bus.subscribe<CancelOrder>([&](const CancelOrder&) { ++calls; });
  EXPECT_FALSE(bus.send(CancelOrder{7}));
  bus.drain();
  EXPECT_EQ(calls, 0);
}

TEST(EventBus, ReleasedEndpointFreesTheCommandTypeAndDropsQueuedCommands) {
  asio::io_context loop;
  EventBus bus(loop);
  Log log;
  auto endpoint = bus.serve<SubmitOrder>([&](const SubmitOrder&) { log.push_back("old"); });
  EXPECT_TRUE(bus.send(SubmitOrder{1}));
  endpoint.unsubscribe();
  EXPECT_FALSE(bus.send(SubmitOrder{2}));
  EXPECT_EQ(bus.drain(), 1u);  // dispatched to nobody
  const auto replacement =
      bus.serve<SubmitOrder>([&](const SubmitOrder&) { log.push_back("new"); });
  EXPECT_TRUE(bus.send(SubmitOrder{3}));
  bus.drain();
  EXPECT_EQ(log, Log{"new"});
}

TEST(EventBus, EndpointMayReleaseItselfWhileRunning) {
  asio::io_context loop;
  EventBus bus(loop);
  Log log;
  Subscription endpoint;
  std::string owned = "owned";
  endpoint = bus.serve<SubmitOrder>([&, owned](const SubmitOrder&) {
    endpoint.unsubscribe();
    log.push_back(owned);
  });
  EXPECT_TRUE(bus.send(SubmitOrder{1}));
  EXPECT_TRUE(bus.send(SubmitOrder{2}));
  bus.drain();
  EXPECT_EQ(log, Log{"owned"});
}

TEST(EventBusDeathTest, SecondServeForTheSameCommandDies) {
  asio::io_context loop;
  EventBus bus(loop);
  const auto endpoint = bus.serve<SubmitOrder>([](const SubmitOrder&) {});
  EXPECT_DEATH({ const auto second = bus.serve<SubmitOrder>([](const SubmitOrder&) {}); },
               "a second endpoint for command .*SubmitOrder");
}

TEST(EventBusDeathTest, DrainFromAHandlerDies) {
  asio::io_context loop;
  EventBus bus(loop);
  const auto subscription = bus.subscribe<PriceTicked>([&](const PriceTicked&) { bus.drain(); });
  bus.publish(PriceTicked{});
  EXPECT_DEATH(bus.drain(), "never re-enters the bus");
}

TEST(EventBus, SubscriptionMoveTransfersTheRegistration) {
  asio::io_context loop;
  EventBus bus(loop);
  int first_calls = 0;
  int second_calls = 0;
  Subscription empty;
  EXPECT_FALSE(empty.active());
  empty.unsubscribe();  // harmless

  Subscription first = bus.subscribe<PriceTicked>([&](const PriceTicked&) { ++first_calls; });
  Subscription moved(std::move(first));
  EXPECT_FALSE(first.active());  // NOLINT(bugprone-use-after-move): moved-from state is defined
  EXPECT_TRUE(moved.active());
  first.unsubscribe();  // does not touch the moved registration
  bus.publish(PriceTicked{});
  bus.drain();
  EXPECT_EQ(first_calls, 1);

  // Move assignment releases the registration the target held.
  moved = bus.subscribe<PriceTicked>([&](const PriceTicked&) { ++second_calls; });
  bus.publish(PriceTicked{});
  bus.drain();
  EXPECT_EQ(first_calls, 1);
  EXPECT_EQ(second_calls, 1);

  moved.unsubscribe();
  moved.unsubscribe();
  EXPECT_FALSE(moved.active());
  bus.publish(PriceTicked{});
  bus.drain();
  EXPECT_EQ(second_calls, 1);
}

TEST(EventBus, SubscriptionMayOutliveTheBus) {
  asio::io_context loop;
  Subscription subscription;
  {
    EventBus bus(loop);
    subscription = bus.subscribe<PriceTicked>([](const PriceTicked&) {});
  }
  subscription.unsubscribe();  // the bus is gone: does nothing
  EXPECT_FALSE(subscription.active());
}

TEST(EventBus, BusDestroyedWithAPostedDrainIsClean) {
  asio::io_context loop;
  int calls = 0;
  {
    EventBus bus(loop);
    const auto subscription = bus.subscribe<PriceTicked>([&](const PriceTicked&) { ++calls; });
    bus.publish(PriceTicked{});
  }
  EXPECT_EQ(loop.run(), 1u);  // the posted drain runs and finds the bus gone
  EXPECT_EQ(calls, 0);
}

TEST(EventBus, IoContextDestroyedWithAPostedDrainIsClean) {
  auto loop = std::make_unique<asio::io_context>();
  EventBus bus(*loop);
  bus.publish(PriceTicked{});
  loop.reset();  // destroys the posted drain unrun; the bus must not be used on it again
  EXPECT_EQ(bus.pending(), 1u);
}

TEST(EventBus, DrainDispatchesEverythingIncludingWhatHandlersQueue) {
  asio::io_context loop;
  EventBus bus(loop);
  int fills = 0;
  const auto prices = bus.subscribe<PriceTicked>([&](const PriceTicked& event) {
    bus.publish(OrderFilled{event.sequence, 1});
  });
  const auto filled = bus.subscribe<OrderFilled>([&](const OrderFilled&) { ++fills; });
  EXPECT_EQ(bus.pending(), 0u);
  bus.publish(PriceTicked{1, 0});
  bus.publish(PriceTicked{2, 0});
  bus.publish(BalanceUpdated{"BTC"});  // no subscriber: dispatched to nobody, still counted
  EXPECT_EQ(bus.pending(), 3u);
  EXPECT_EQ(bus.drain(), 5u);
  EXPECT_EQ(bus.pending(), 0u);
  EXPECT_EQ(fills, 2);
  EXPECT_EQ(loop.run(), 1u);  // the drain posted by the first publish finds nothing left
  EXPECT_EQ(fills, 2);
}

TEST(EventBus, PostedDrainDispatchesBoundedBatchesInOrderWithoutStarvingTheLoop) {
  asio::io_context loop;
  EventBus bus(loop);
  constexpr int64_t kCount = 3 * EventBus::kBatchSize + 7;
  std::vector<int64_t> sequences;
  const auto prices = bus.subscribe<PriceTicked>(
      [&](const PriceTicked& event) { sequences.push_back(event.sequence); });
  const auto fills = bus.subscribe<OrderFilled>(
      [&](const OrderFilled& event) { sequences.push_back(event.sequence); });
  for (int64_t i = 0; i < kCount; ++i) {
    if (i % 3 == 0) {
      bus.publish(OrderFilled{i, 0});
    } else {
      bus.publish(PriceTicked{i, 0});
    }
  }
  std::optional<std::size_t> seen_by_other_work;
  asio::post(loop, [&] { seen_by_other_work = sequences.size(); });
  loop.run();

  ASSERT_EQ(sequences.size(), static_cast<std::size_t>(kCount));
  for (int64_t i = 0; i < kCount; ++i) ASSERT_EQ(sequences[static_cast<std::size_t>(i)], i);
  // Work posted after the events ran after the first batch, not after all of them.
  EXPECT_EQ(seen_by_other_work, EventBus::kBatchSize);
}

TEST(EventBus, HandlerExceptionLeavesTheBusUsable) {
  asio::io_context loop;
  EventBus bus(loop);
  std::vector<int64_t> sequences;
  const auto prices = bus.subscribe<PriceTicked>([&](const PriceTicked& event) {
    sequences.push_back(event.sequence);
    if (event.sequence == 2) throw std::runtime_error("handler failed");
  });
  for (int64_t i = 1; i <= 4; ++i) bus.publish(PriceTicked{i, 0});
  EXPECT_THROW(loop.run(), std::runtime_error);  // Asio lets it out of run()
  EXPECT_EQ(bus.pending(), 2u);
  loop.restart();
  loop.run();  // the drain was posted again: the rest follows in order
  EXPECT_EQ(sequences, (std::vector<int64_t>{1, 2, 3, 4}));
}

TEST(EventBus, OneBurstPostsOneDrain) {
  asio::io_context loop;
  EventBus bus(loop);
  int calls = 0;
  const auto subscription = bus.subscribe<PriceTicked>([&](const PriceTicked&) { ++calls; });
  bus.publish(PriceTicked{});
  EXPECT_EQ(loop.poll_one(), 1u);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(loop.poll(), 0u);  // one drain per burst, not one per event
}

// The hot path allocates nothing after warm-up: 100 000 events of two types, published from
// outside the loop in bursts (every burst posts a drain), from handlers inside the loop, and
// dispatched by io_context::poll/run.
TEST(EventBusAllocation, PublishAndDispatchAllocateNothingAfterWarmUp) {
  constexpr int kBursts = 1000;
  constexpr int kBurstSize = 100;  // 100 000 events per round
  asio::io_context loop;
  EventBus bus(loop);
  int64_t prices = 0;
  int64_t fills = 0;
  int64_t checksum = 0;
  const auto price_handler = bus.subscribe<PriceTicked>([&](const PriceTicked& event) {
    ++prices;
    checksum += event.price;
  });
  const auto fill_handler = bus.subscribe<OrderFilled>([&](const OrderFilled& event) {
    ++fills;
    checksum += event.quantity;
  });
  // A handler that publishes: a PriceTicked with a negative sequence is answered by an OrderFilled.
  const auto echo = bus.subscribe<PriceTicked>([&](const PriceTicked& event) {
    if (event.sequence < 0) bus.publish(OrderFilled{-event.sequence, 1});
  });

  const auto publish_in_bursts = [&] {
    for (int burst = 0; burst < kBursts; ++burst) {
      for (int i = 0; i < kBurstSize; i += 2) {
        bus.publish(PriceTicked{i, 2});
        bus.publish(OrderFilled{i, 3});
      }
      loop.restart();
      loop.poll();
    }
  };
  const auto publish_all_then_run = [&] {
    for (int i = 0; i < kBursts * kBurstSize / 2; ++i) {
      bus.publish(PriceTicked{i, 2});
      bus.publish(OrderFilled{i, 3});
    }
    loop.restart();
    loop.run();
  };
  const auto publish_from_handlers = [&] {
    for (int i = 1; i <= kBursts * kBurstSize / 2; ++i) bus.publish(PriceTicked{-i, 2});
    loop.restart();
    loop.run();
  };

  // Warm-up: queues and the drain's handler memory reach their working size.
  publish_in_bursts();
  publish_all_then_run();
  publish_from_handlers();
  prices = fills = checksum = 0;

  const std::size_t before_bursts = testing::allocation_count();
  publish_in_bursts();
  const std::size_t after_bursts = testing::allocation_count();
  publish_all_then_run();
  const std::size_t after_run = testing::allocation_count();
  publish_from_handlers();
  const std::size_t after_handlers = testing::allocation_count();

  EXPECT_EQ(after_bursts - before_bursts, 0u) << "allocations in 1000 bursts of 100 events";
  EXPECT_EQ(after_run - after_bursts, 0u) << "allocations for 100 000 events in one run";
  EXPECT_EQ(after_handlers - after_run, 0u) << "allocations for events published by handlers";
  EXPECT_EQ(prices, 150'000);
  EXPECT_EQ(fills, 150'000);
  EXPECT_EQ(checksum, 150'000 * 2 + 100'000 * 3 + 50'000 * 1);
  EXPECT_EQ(bus.pending(), 0u);
}

// The counting operator new is live in this binary: a deliberate allocation is seen.
TEST(EventBusAllocation, CountingAllocatorSeesAllocations) {
  static int* volatile sink = nullptr;  // keeps the compiler from eliding the new/delete pair
  const std::size_t before = testing::allocation_count();
  sink = new int(3);
  const std::size_t after = testing::allocation_count();
  delete sink;
  EXPECT_EQ(after - before, 1u);
}

}  // namespace
}  // namespace gauntlet
