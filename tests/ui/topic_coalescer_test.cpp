// TopicCoalescer on a hand-driven clock: one message per topic per interval, the latest pending
// message wins, topics are independent, idle topics are forgotten.
#include "ui/internal/topic_coalescer.hpp"

#include <gtest/gtest.h>

namespace gauntlet::ui::internal {
namespace {

using namespace std::chrono_literals;

SharedText text(std::string value) {
  return std::make_shared<const std::string>(std::move(value));
}

TEST(TopicCoalescer, SendsAtOnceThenHoldsTheLatest) {
  TopicCoalescer coalescer(500ms);
  const SteadyTime start{};
  EXPECT_TRUE(coalescer.offer("status", text("1"), start).send_now);
  const TopicCoalescer::Offer second = coalescer.offer("status", text("2"), start + 100ms);
  EXPECT_FALSE(second.send_now);
  EXPECT_EQ(second.due, start + 500ms);
  EXPECT_FALSE(coalescer.offer("status", text("3"), start + 200ms).send_now);

  std::vector<SharedText> due;
  std::optional<SteadyTime> next = coalescer.take_due(start + 499ms, due);
  EXPECT_TRUE(due.empty());
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(*next, start + 500ms);

  next = coalescer.take_due(start + 500ms, due);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(*due[0], "3");
  EXPECT_FALSE(next.has_value());

  // The pending send counts as the last send: the next message waits again.
  EXPECT_FALSE(coalescer.offer("status", text("4"), start + 600ms).send_now);
  due.clear();
  coalescer.take_due(start + 1000ms, due);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(*due[0], "4");
}

TEST(TopicCoalescer, BurstBecomesTwoMessagesWithTheLastOneLatest) {
  TopicCoalescer coalescer(500ms);
  const SteadyTime start{};
  int sent_now = 0;
  for (int i = 0; i < 100; ++i) {
    if (coalescer.offer("quotes", text(std::to_string(i)), start + i * 1ms).send_now) ++sent_now;
  }
  EXPECT_EQ(sent_now, 1);
  std::vector<SharedText> due;
  coalescer.take_due(start + 1s, due);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(*due[0], "99");
}

TEST(TopicCoalescer, LateOfferReplacesAnOverduePendingMessage) {
  TopicCoalescer coalescer(500ms);
  const SteadyTime start{};
  coalescer.offer("a", text("1"), start);
  coalescer.offer("a", text("2"), start + 10ms);
  // The flush timer is late; a newer message arriving after the due time goes at once.
  EXPECT_TRUE(coalescer.offer("a", text("3"), start + 700ms).send_now);
  std::vector<SharedText> due;
  coalescer.take_due(start + 700ms, due);
  EXPECT_TRUE(due.empty());
}

TEST(TopicCoalescer, TopicsAreIndependent) {
  TopicCoalescer coalescer(500ms);
  const SteadyTime start{};
  EXPECT_TRUE(coalescer.offer("a", text("a1"), start).send_now);
  EXPECT_TRUE(coalescer.offer("b", text("b1"), start).send_now);
  EXPECT_FALSE(coalescer.offer("a", text("a2"), start + 1ms).send_now);
  const TopicCoalescer::Offer b2 = coalescer.offer("b", text("b2"), start + 300ms);
  EXPECT_FALSE(b2.send_now);
  std::vector<SharedText> due;
  const std::optional<SteadyTime> next = coalescer.take_due(start + 500ms, due);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(*due[0], "a2");
  EXPECT_EQ(*due[1], "b2");
  EXPECT_FALSE(next.has_value());
}

TEST(TopicCoalescer, ForgetsIdleTopics) {
  TopicCoalescer coalescer(500ms);
  const SteadyTime start{};
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(coalescer.offer("trade." + std::to_string(i), text("t"), start + i * 1s).send_now);
  }
  EXPECT_LE(coalescer.topic_count(), 65u);
  std::vector<SharedText> due;
  EXPECT_FALSE(coalescer.take_due(start + 2000s, due).has_value());
  EXPECT_EQ(coalescer.topic_count(), 0u);
}

}  // namespace
}  // namespace gauntlet::ui::internal
