#include "core/runtime_state.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/exceptions.hpp"
#include "core/store/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace gauntlet {
namespace {

using store::SqliteStore;
using Entries = std::vector<std::pair<std::string, std::string>>;

class RuntimeStateTest : public ::testing::Test {
 protected:
  SimClock clock_{1'700'000'000'000};
  std::unique_ptr<SqliteStore> store_ = SqliteStore::open_in_memory();
  RuntimeState state_{*store_, clock_};
};

TEST_F(RuntimeStateTest, MigratesItsComponent) {
  EXPECT_EQ(store_->schema_version("runtime_state"), 1);
  RuntimeState again(*store_, clock_);  // a second instance applies nothing
  EXPECT_EQ(store_->schema_version("runtime_state"), 1);
}

TEST_F(RuntimeStateTest, GetReturnsWhatWasSet) {
  EXPECT_EQ(state_.get("cursor.bybit.spot"), std::nullopt);
  state_.set("cursor.bybit.spot", "12345");
  EXPECT_EQ(state_.get("cursor.bybit.spot"), "12345");
  EXPECT_EQ(state_.updated_at("cursor.bybit.spot"), 1'700'000'000'000);

  clock_.advance(500);
  state_.set("cursor.bybit.spot", "12400");
  EXPECT_EQ(state_.get("cursor.bybit.spot"), "12400");
  EXPECT_EQ(state_.updated_at("cursor.bybit.spot"), 1'700'000'000'500);
  EXPECT_EQ(state_.updated_at("unset"), std::nullopt);
}

TEST_F(RuntimeStateTest, EmptyValueIsAValue) {
  state_.set("note", "");
  EXPECT_EQ(state_.get("note"), "");
}

TEST_F(RuntimeStateTest, BooleansRoundTripAndFallBackWhenUnset) {
  EXPECT_FALSE(state_.get_bool("live.spot", false));
  EXPECT_TRUE(state_.get_bool("live.spot", true));
  state_.set_bool("live.spot", true);
  EXPECT_EQ(state_.get("live.spot"), "true");
  EXPECT_TRUE(state_.get_bool("live.spot", false));
  state_.set_bool("live.spot", false);
  EXPECT_FALSE(state_.get_bool("live.spot", true));
}

TEST_F(RuntimeStateTest, NonBooleanValueIsAnErrorNamingKeyAndValue) {
  state_.set("kill.all", "yes");
  try {
    state_.get_bool("kill.all", false);
    FAIL() << "nothing thrown";
  } catch (const StateError& error) {
    EXPECT_STREQ(error.what(),
                 "runtime state kill.all holds \"yes\", not a boolean (true or false)");
  }
}

TEST_F(RuntimeStateTest, EraseSaysWhetherTheKeyWasSet) {
  state_.set("kill.perp", "true");
  EXPECT_TRUE(state_.erase("kill.perp"));
  EXPECT_EQ(state_.get("kill.perp"), std::nullopt);
  EXPECT_FALSE(state_.erase("kill.perp"));
}

TEST_F(RuntimeStateTest, ListReturnsTheKeysWithThePrefixInOrder) {
  state_.set_bool("live.spot", true);
  state_.set_bool("live.perp", false);
  state_.set("lively", "x");
  state_.set("kill.all", "false");
  state_.set("live\xff", "edge");
  EXPECT_EQ(state_.list("live."), (Entries{{"live.perp", "false"}, {"live.spot", "true"}}));
  EXPECT_EQ(state_.list("live"), (Entries{{"live.perp", "false"},
                                          {"live.spot", "true"},
                                          {"lively", "x"},
                                          {"live\xff", "edge"}}));  // byte order
  EXPECT_EQ(state_.list("live\xff"), (Entries{{"live\xff", "edge"}}));
  EXPECT_EQ(state_.list("nothing"), Entries{});
  EXPECT_EQ(state_.list("").size(), 5u);
}

TEST_F(RuntimeStateTest, SetJoinsAnEnclosingTransaction) {
  EXPECT_THROW(store_->transaction([&] {
    state_.set("live.spot", "true");
    throw StateError("the enclosing change fails");
  }),
               StateError);
  EXPECT_EQ(state_.get("live.spot"), std::nullopt);
}

TEST(RuntimeStateFile, PersistsAcrossReopen) {
  const gauntlet::testing::TempDir directory;
  const auto path = directory.path() / "state.db";
  SimClock clock(1'000);
  {
    const auto store = SqliteStore::open(path);
    RuntimeState state(*store, clock);
    state.set_bool("live.spot", true);
    state.set("cursor.fills", "abc");
    state.set("temporary", "x");
    EXPECT_TRUE(state.erase("temporary"));
  }
  const auto store = SqliteStore::open(path);
  const RuntimeState state(*store, clock);
  EXPECT_TRUE(state.get_bool("live.spot", false));
  EXPECT_EQ(state.get("cursor.fills"), "abc");
  EXPECT_EQ(state.get("temporary"), std::nullopt);
}

TEST(RuntimeStateFile, SeesWhatAnotherConnectionWrote) {
  const gauntlet::testing::TempDir directory;
  const auto path = directory.path() / "state.db";
  SimClock clock;
  const auto engine_store = SqliteStore::open(path);
  const RuntimeState engine(*engine_store, clock);
  EXPECT_FALSE(engine.get_bool("kill.all", false));

  const auto api_store = SqliteStore::open(path);  // e.g. the API server's own connection
  RuntimeState api(*api_store, clock);
  api.set_bool("kill.all", true);
  EXPECT_TRUE(engine.get_bool("kill.all", false));
}

}  // namespace
}  // namespace gauntlet
