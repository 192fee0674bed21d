#include "capital/session_manager.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <type_traits>
#include <vector>

#include "core/config.hpp"
#include "core/exceptions.hpp"
#include "core/store/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace gauntlet {
// Readable failures for the records compared below.
// NOLINTNEXTLINE(readability-identifier-naming): the name GoogleTest looks up.
void PrintTo(const SessionState& s, std::ostream* out) {
  *out << "{" << s.session_id << " started_at=" << s.started_at << " starting=" << s.starting_equity
       << " equity=" << s.equity << " epoch=" << s.epoch << " reward=" << s.reward_points
       << " active=" << s.active << "}";
}
}  // namespace gauntlet

namespace gauntlet::capital {

// NOLINTNEXTLINE(readability-identifier-naming): the name GoogleTest looks up.
void PrintTo(const PaperTrade& t, std::ostream* out) {
  *out << "{" << t.trade_id << " " << t.strategy_id << " " << to_string(t.asset) << " " << t.symbol
       << " " << to_string(t.side) << " qty=" << t.quantity << " entry=" << t.entry_price
       << " sl=" << t.stop_loss << " tp=" << t.take_profit << " opened_at=" << t.opened_at << "}";
}

// NOLINTNEXTLINE(readability-identifier-naming): the name GoogleTest looks up.
void PrintTo(const EquityPoint& p, std::ostream* out) {
  *out << "{" << p.time << " " << p.equity << " " << p.kind << "}";
}

namespace {

using namespace gauntlet::literals;
using store::SqliteStore;

// Nothing but BankrollManager can make the key that top_up() takes.
static_assert(!std::is_default_constructible_v<TopUpKey>);

constexpr TimestampMs kT0 = 1'709'251'200'000;  // 2024-03-01T00:00:00Z

PaperTrade btc_long() {
  PaperTrade trade;
  trade.trade_id = "t-btc-1";
  trade.strategy_id = "ema_cross";
  trade.asset = Asset::kSpot;
  trade.symbol = Symbol::parse("BTCUSDT");
  trade.side = OrderSide::kBuy;
  trade.quantity = "0.0125"_d;
  trade.entry_price = "60000"_d;
  trade.stop_loss = "58800"_d;    // 2% below
  trade.take_profit = "62400"_d;  // 4% above
  trade.opened_at = kT0 + 15 * kMinuteMs;
  return trade;
}

PaperTrade eth_short() {
  PaperTrade trade;
  trade.trade_id = "t-eth-1";
  trade.strategy_id = "breakout";
  trade.asset = Asset::kPerp;
  trade.symbol = Symbol::parse("ETH/USDT");
  trade.side = OrderSide::kSell;
  trade.quantity = "0.3"_d;
  trade.entry_price = "3150.25"_d;
  trade.stop_loss = "3213.255"_d;
  trade.take_profit = "3024.24"_d;
  trade.opened_at = kT0 + 30 * kMinuteMs;
  return trade;
}

std::string text_at(store::Store& store, const std::string& sql) {
  std::string text;
  store.query(sql, {},
              [&](const store::Row& row) { text = row.is_null(0) ? "NULL" : row.get_text(0); });
  return text;
}

int64_t int_at(store::Store& store, const std::string& sql) {
  int64_t value = -1;
  store.query(sql, {}, [&](const store::Row& row) { value = row.get_int(0); });
  return value;
}

class SessionManagerTest : public ::testing::Test {
 protected:
  std::unique_ptr<SqliteStore> store_ = SqliteStore::open_in_memory();
  SessionManager sessions_{*store_, config::PaperBankroll{}};
};

// --- Start ------------------------------------------------------------------------------------

TEST_F(SessionManagerTest, AFreshStoreHasNoSessionToResume) {
  EXPECT_EQ(store_->schema_version("session_manager"), 2);
  EXPECT_FALSE(sessions_.has_session());
  EXPECT_EQ(sessions_.resume_session(), std::nullopt);
  EXPECT_FALSE(sessions_.has_session());
  EXPECT_TRUE(sessions_.sessions().empty());
}

TEST_F(SessionManagerTest, StartsAtOneThousandWithRewardZero) {
  const SessionState started = sessions_.start_session(kT0);
  const SessionState expected{"paper-1", kT0, "1000"_d, "1000"_d, 0, 0.0, true};
  EXPECT_EQ(started, expected);
  ASSERT_TRUE(sessions_.has_session());
  EXPECT_EQ(sessions_.current(), expected);
  EXPECT_TRUE(sessions_.open_trades().empty());
  EXPECT_EQ(sessions_.equity_history(), (std::vector<EquityPoint>{{kT0, "1000"_d, "start", {}}}));
  EXPECT_EQ(sessions_.sessions(), std::vector<SessionState>{expected});
}

TEST(SessionManagerConfigTest, StartsAtTheConfiguredBankroll) {
  auto store = SqliteStore::open_in_memory();
  config::PaperBankroll bankroll;
  bankroll.starting_equity = "250.5"_d;
  SessionManager sessions(*store, bankroll);
  const SessionState started = sessions.start_session(kT0);
  EXPECT_EQ(started.starting_equity, "250.5"_d);
  EXPECT_EQ(started.equity, "250.5"_d);
}

TEST(SessionManagerConfigTest, RejectsANonPositiveStartingEquity) {
  auto store = SqliteStore::open_in_memory();
  config::PaperBankroll bankroll;
  bankroll.starting_equity = "0"_d;
  try {
    SessionManager sessions(*store, bankroll);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& error) {
    ASSERT_EQ(error.problems().size(), 1u);
    EXPECT_EQ(error.problems()[0], "paper.starting_equity: must be positive (got 0)");
  }
  EXPECT_EQ(store->schema_version("session_manager"), 0);
}

// --- Equity and reward ------------------------------------------------------------------------

TEST_F(SessionManagerTest, RecordEquitySetsTheEquityAndKeepsItsHistory) {
  sessions_.start_session(kT0);
  sessions_.record_equity("987.65"_d, kT0 + 15 * kMinuteMs);
  EXPECT_EQ(sessions_.current().equity, "987.65"_d);
  sessions_.record_equity("1012.3"_d, kT0 + 30 * kMinuteMs);
  EXPECT_EQ(sessions_.current().equity, "1012.3"_d);
  EXPECT_EQ(sessions_.current().starting_equity, "1000"_d);
  EXPECT_EQ(sessions_.current().epoch, 0);

  EXPECT_EQ(sessions_.equity_history(),
            (std::vector<EquityPoint>{{kT0, "1000"_d, "start", {}},
                                      {kT0 + 15 * kMinuteMs, "987.65"_d, "mark", {}},
                                      {kT0 + 30 * kMinuteMs, "1012.3"_d, "mark", {}}}));
  EXPECT_EQ(text_at(*store_, "SELECT equity FROM paper_sessions WHERE session_id = 'paper-1'"),
            "1012.3");
}

TEST_F(SessionManagerTest, EquityHistoryIsOrderedByTimeThenByRecordingOrder) {
  sessions_.start_session(kT0);
  // A late mark arrives after a newer one: the curve is ordered by time, the equity is the last
  // value recorded.
  sessions_.record_equity("1030"_d, kT0 + 3 * kMinuteMs);
  sessions_.record_equity("1010"_d, kT0 + 1 * kMinuteMs);
  sessions_.record_equity("1020"_d, kT0 + 2 * kMinuteMs);
  sessions_.record_equity("1021"_d, kT0 + 2 * kMinuteMs);  // same time, recorded later
  EXPECT_EQ(sessions_.current().equity, "1021"_d);

  const std::vector<EquityPoint> history = sessions_.equity_history();
  ASSERT_EQ(history.size(), 5u);
  EXPECT_EQ(history[0], (EquityPoint{kT0, "1000"_d, "start", {}}));
  EXPECT_EQ(history[1], (EquityPoint{kT0 + 1 * kMinuteMs, "1010"_d, "mark", {}}));
  EXPECT_EQ(history[2], (EquityPoint{kT0 + 2 * kMinuteMs, "1020"_d, "mark", {}}));
  EXPECT_EQ(history[3], (EquityPoint{kT0 + 2 * kMinuteMs, "1021"_d, "mark", {}}));
  EXPECT_EQ(history[4], (EquityPoint{kT0 + 3 * kMinuteMs, "1030"_d, "mark", {}}));
}

TEST_F(SessionManagerTest, MarksCarryEachAssetsEquityAndReadersFollowTheCurve) {
  sessions_.start_session(kT0);
  sessions_.record_equity("1000"_d, kT0 + 1 * kMinuteMs,
                          {{Asset::kSpot, "250"_d}, {Asset::kPerp, "250"_d}});
  sessions_.record_equity("1010.5"_d, kT0 + 2 * kMinuteMs,
                          {{Asset::kSpot, "260.5"_d}, {Asset::kPerp, "250"_d}});
  sessions_.record_equity("1011"_d, kT0 + 3 * kMinuteMs);  // a mark without the breakdown

  const std::vector<EquityPoint> history = sessions_.equity_history();
  ASSERT_EQ(history.size(), 4u);
  EXPECT_TRUE(history[0].assets.empty());  // the start point
  EXPECT_EQ(history[2].assets.at(Asset::kSpot), "260.5"_d);
  EXPECT_EQ(history[2].assets.at(Asset::kPerp), "250"_d);
  EXPECT_TRUE(history[3].assets.empty());
  // A reader that has the curve up to the second mark reads only what follows.
  const std::vector<EquityPoint> after = sessions_.equity_history_after(kT0 + 2 * kMinuteMs);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].equity, "1011"_d);
  EXPECT_EQ(text_at(*store_,
                    "SELECT equity FROM paper_equity_by_asset WHERE asset = 'spot' "
                    "ORDER BY equity_seq DESC LIMIT 1"),
            "260.5");
}

TEST_F(SessionManagerTest, RewardPointsAccumulatePerAssetAndInTotal) {
  sessions_.start_session(kT0);
  sessions_.add_reward(1.5, Asset::kSpot);
  sessions_.add_reward(-0.5, Asset::kSpot);
  sessions_.add_reward(2.0, Asset::kPerp);
  sessions_.add_reward(4.0);  // the session's only
  EXPECT_DOUBLE_EQ(sessions_.current().reward_points, 7.0);
  const std::map<Asset, double> rewards = sessions_.asset_rewards();
  ASSERT_EQ(rewards.size(), 2u);
  EXPECT_DOUBLE_EQ(rewards.at(Asset::kSpot), 1.0);
  EXPECT_DOUBLE_EQ(rewards.at(Asset::kPerp), 2.0);
  // A new session starts from no points.
  sessions_.start_session(kT0 + kDayMs);
  EXPECT_TRUE(sessions_.asset_rewards().empty());
}

TEST_F(SessionManagerTest, StoresEquityAsExactText) {
  sessions_.start_session(kT0);
  sessions_.record_equity("999.999999999"_d, kT0 + 1);
  EXPECT_EQ(text_at(*store_, "SELECT equity FROM paper_sessions"), "999.999999999");
  EXPECT_EQ(text_at(*store_, "SELECT equity FROM paper_equity_history ORDER BY seq DESC LIMIT 1"),
            "999.999999999");
}

TEST_F(SessionManagerTest, AnEquityBelowZeroIsRecordedAsIs) {
  // A leveraged paper loss can take the account below zero; the bankroll manager tops it up.
  sessions_.start_session(kT0);
  sessions_.record_equity("-12.5"_d, kT0 + 1);
  EXPECT_EQ(sessions_.current().equity, "-12.5"_d);
}

TEST_F(SessionManagerTest, RewardPointsAccumulate) {
  sessions_.start_session(kT0);
  sessions_.add_reward(1.5);
  sessions_.add_reward(2.25);
  sessions_.add_reward(-0.75);  // a penalty
  EXPECT_EQ(sessions_.current().reward_points, 3.0);
  EXPECT_EQ(sessions_.current().equity, "1000"_d);  // rewards are not money
  double stored = 0;
  store_->query("SELECT reward_points FROM paper_sessions", {},
                [&](const store::Row& row) { stored = row.get_double(0); });
  EXPECT_EQ(stored, 3.0);
}

TEST_F(SessionManagerTest, AFailedWriteLeavesTheSessionAsTheStoreHasIt) {
  sessions_.start_session(kT0);
  sessions_.record_equity("900"_d, kT0 + 1);
  store_->execute("DROP TABLE paper_equity_history");
  EXPECT_THROW(sessions_.record_equity("800"_d, kT0 + 2), StateError);
  EXPECT_EQ(sessions_.current().equity, "900"_d);
  EXPECT_EQ(text_at(*store_, "SELECT equity FROM paper_sessions"), "900");
}

// --- Open paper trades ------------------------------------------------------------------------

TEST_F(SessionManagerTest, OpenTradesAreListedByOpeningTimeThenId) {
  sessions_.start_session(kT0);
  PaperTrade early = btc_long();
  early.trade_id = "z-early";
  early.opened_at = kT0 + 1;
  PaperTrade same_time_b = btc_long();
  same_time_b.trade_id = "b";
  same_time_b.opened_at = kT0 + 2;
  PaperTrade same_time_a = btc_long();
  same_time_a.trade_id = "a";
  same_time_a.opened_at = kT0 + 2;
  sessions_.record_open_trade(same_time_b);
  sessions_.record_open_trade(early);
  sessions_.record_open_trade(same_time_a);
  EXPECT_EQ(sessions_.open_trades(), (std::vector<PaperTrade>{early, same_time_a, same_time_b}));
}

TEST_F(SessionManagerTest, RecordingAnOpenTradeAgainReplacesIt) {
  sessions_.start_session(kT0);
  sessions_.record_open_trade(btc_long());
  PaperTrade moved = btc_long();
  moved.stop_loss = "60000"_d;  // stop moved to break-even
  sessions_.record_open_trade(moved);
  EXPECT_EQ(sessions_.open_trades(), std::vector<PaperTrade>{moved});
  EXPECT_EQ(text_at(*store_, "SELECT stop_loss FROM paper_trades WHERE trade_id = 't-btc-1'"),
            "60000");
  EXPECT_EQ(int_at(*store_, "SELECT COUNT(*) FROM paper_trades"), 1);
}

TEST_F(SessionManagerTest, AClosedTradeLeavesTheOpenListAndStaysAsHistory) {
  sessions_.start_session(kT0);
  sessions_.record_open_trade(btc_long());
  sessions_.record_open_trade(eth_short());
  // 0.0125 x (62400 - 60000) = 30.
  EXPECT_TRUE(sessions_.record_closed_trade("t-btc-1", "62400"_d, "30"_d, kT0 + kHourMs));
  EXPECT_EQ(sessions_.open_trades(), std::vector<PaperTrade>{eth_short()});
  EXPECT_EQ(sessions_.current().equity, "1000"_d);  // only record_equity() moves it

  EXPECT_EQ(text_at(*store_, "SELECT exit_price FROM paper_trades WHERE trade_id = 't-btc-1'"),
            "62400");
  EXPECT_EQ(text_at(*store_, "SELECT realised_pnl FROM paper_trades WHERE trade_id = 't-btc-1'"),
            "30");
  EXPECT_EQ(text_at(*store_, "SELECT close_reason FROM paper_trades WHERE trade_id = 't-btc-1'"),
            "closed");

  // A repeated or unknown close changes nothing.
  EXPECT_FALSE(sessions_.record_closed_trade("t-btc-1", "1"_d, "-1"_d, kT0 + 2 * kHourMs));
  EXPECT_FALSE(sessions_.record_closed_trade("never-opened", "1"_d, "0"_d, kT0 + 2 * kHourMs));
  EXPECT_EQ(text_at(*store_, "SELECT exit_price FROM paper_trades WHERE trade_id = 't-btc-1'"),
            "62400");
  EXPECT_EQ(sessions_.open_trades(), std::vector<PaperTrade>{eth_short()});
}

// --- Resume after a restart -------------------------------------------------------------------

TEST(SessionManagerResumeTest, ResumesTheSessionAndItsOpenTradesAfterReopeningTheFile) {
  testing::TempDir dir;
  const std::filesystem::path path = dir.path() / "state.db";
  const SessionState expected{"paper-1", kT0, "1000"_d, "987.65"_d, 0, 2.5, true};
  {
    auto store = SqliteStore::open(path);
    SessionManager sessions(*store, config::PaperBankroll{});
    sessions.start_session(kT0);
    sessions.record_open_trade(btc_long());
    sessions.record_open_trade(eth_short());
    PaperTrade closed = btc_long();
    closed.trade_id = "t-btc-0";
    sessions.record_open_trade(closed);
    EXPECT_TRUE(sessions.record_closed_trade("t-btc-0", "58800"_d, "-15"_d, kT0 + kHourMs));
    sessions.record_equity("987.65"_d, kT0 + kHourMs);
    sessions.add_reward(2.5);
    EXPECT_EQ(sessions.current(), expected);
  }  // the process stops

  auto store = SqliteStore::open(path);
  SessionManager sessions(*store, config::PaperBankroll{});
  EXPECT_FALSE(sessions.has_session());
  const std::optional<SessionState> resumed = sessions.resume_session();
  ASSERT_TRUE(resumed.has_value());
  EXPECT_EQ(*resumed, expected);
  EXPECT_EQ(sessions.current(), expected);

  // The open trades continue with their stop loss and take profit; the closed one stays closed.
  const std::vector<PaperTrade> open = sessions.open_trades();
  ASSERT_EQ(open.size(), 2u);
  EXPECT_EQ(open[0], btc_long());
  EXPECT_EQ(open[0].stop_loss, "58800"_d);
  EXPECT_EQ(open[0].take_profit, "62400"_d);
  EXPECT_EQ(open[1], eth_short());
  EXPECT_EQ(open[1].stop_loss, "3213.255"_d);
  EXPECT_EQ(open[1].take_profit, "3024.24"_d);
  EXPECT_EQ(open[1].symbol.canonical(), "ETHUSDT");

  EXPECT_EQ(sessions.equity_history(),
            (std::vector<EquityPoint>{{kT0, "1000"_d, "start", {}},
                                      {kT0 + kHourMs, "987.65"_d, "mark", {}}}));

  // The resumed session goes on where it stopped.
  sessions.record_equity("1001"_d, kT0 + 2 * kHourMs);
  EXPECT_TRUE(sessions.record_closed_trade("t-btc-1", "60080"_d, "1"_d, kT0 + 2 * kHourMs));
  EXPECT_EQ(sessions.open_trades(), std::vector<PaperTrade>{eth_short()});
}

TEST_F(SessionManagerTest, ResumingAgainReloadsTheSameState) {
  sessions_.start_session(kT0);
  sessions_.record_open_trade(btc_long());
  sessions_.record_equity("1005"_d, kT0 + 1);
  const SessionState before = sessions_.current();
  EXPECT_EQ(sessions_.resume_session(), before);
  EXPECT_EQ(sessions_.open_trades(), std::vector<PaperTrade>{btc_long()});
}

// --- A new session after an old one ----------------------------------------------------------

TEST_F(SessionManagerTest, ANewSessionKeepsTheOldOneAsHistory) {
  sessions_.start_session(kT0);
  sessions_.record_equity("640.4"_d, kT0 + kHourMs);
  sessions_.add_reward(7.0);
  sessions_.record_open_trade(btc_long());

  const TimestampMs t1 = kT0 + kDayMs;
  const SessionState second = sessions_.start_session(t1);
  const SessionState expected_second{"paper-2", t1, "1000"_d, "1000"_d, 0, 0.0, true};
  EXPECT_EQ(second, expected_second);
  EXPECT_EQ(sessions_.current(), expected_second);
  EXPECT_TRUE(sessions_.open_trades().empty());
  EXPECT_EQ(sessions_.equity_history(), (std::vector<EquityPoint>{{t1, "1000"_d, "start", {}}}));

  const SessionState expected_first{"paper-1", kT0, "1000"_d, "640.4"_d, 0, 7.0, false};
  EXPECT_EQ(sessions_.sessions(), (std::vector<SessionState>{expected_first, expected_second}));
  EXPECT_EQ(sessions_.equity_history("paper-1"),
            (std::vector<EquityPoint>{{kT0, "1000"_d, "start", {}},
                                      {kT0 + kHourMs, "640.4"_d, "mark", {}}}));
  EXPECT_TRUE(sessions_.equity_history("paper-9").empty());

  EXPECT_EQ(int_at(*store_, "SELECT ended_at FROM paper_sessions WHERE session_id = 'paper-1'"),
            t1);
  EXPECT_EQ(int_at(*store_, "SELECT COUNT(*) FROM paper_sessions WHERE ended_at IS NULL"), 1);
  // The old session's open trade is closed in the record, not carried over.
  EXPECT_EQ(text_at(*store_, "SELECT close_reason FROM paper_trades WHERE trade_id = 't-btc-1'"),
            "session_ended");

  // After a restart, the new session is the one resumed.
  EXPECT_EQ(sessions_.resume_session(), expected_second);
}

TEST_F(SessionManagerTest, StartingEndsTheStoredActiveSessionEvenWhenNotResumed) {
  sessions_.start_session(kT0);
  SessionManager restarted(*store_, config::PaperBankroll{});  // no resume_session()
  const SessionState second = restarted.start_session(kT0 + kDayMs);
  EXPECT_EQ(second.session_id, "paper-2");
  const std::vector<SessionState> all = restarted.sessions();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_FALSE(all[0].active);
  EXPECT_TRUE(all[1].active);
}

TEST_F(SessionManagerTest, AnIdOfAnEndedSessionMayBeUsedAgainInTheNextOne) {
  sessions_.start_session(kT0);
  sessions_.record_open_trade(btc_long());
  sessions_.start_session(kT0 + kDayMs);
  sessions_.record_open_trade(btc_long());
  EXPECT_EQ(sessions_.open_trades(), std::vector<PaperTrade>{btc_long()});
}

// --- Corrupt store and broken invariants ------------------------------------------------------

TEST_F(SessionManagerTest, AStoredEquityThatIsNotADecimalIsACorruptStore) {
  sessions_.start_session(kT0);
  store_->execute("UPDATE paper_sessions SET equity = 'lots'");
  try {
    sessions_.resume_session();
    FAIL() << "expected StateError";
  } catch (const StateError& error) {
    EXPECT_NE(std::string(error.what()).find("paper_sessions[paper-1].equity holds \"lots\""),
              std::string::npos)
        << error.what();
  }
}

TEST_F(SessionManagerTest, AStoredTradeWithAnUnknownSideIsACorruptStore) {
  sessions_.start_session(kT0);
  sessions_.record_open_trade(btc_long());
  store_->execute("UPDATE paper_trades SET side = 'sideways'");
  EXPECT_THROW(sessions_.resume_session(), StateError);
}

TEST_F(SessionManagerTest, UsingTheSessionBeforeStartingOrResumingAborts) {
  EXPECT_DEATH((void)sessions_.current(), "no paper session is current");
  EXPECT_DEATH(sessions_.record_equity("1"_d, kT0), "no paper session is current");
  EXPECT_DEATH(sessions_.add_reward(1.0), "no paper session is current");
  EXPECT_DEATH(sessions_.record_open_trade(btc_long()), "no paper session is current");
}

TEST_F(SessionManagerTest, ANonFiniteRewardAborts) {
  sessions_.start_session(kT0);
  EXPECT_DEATH(sessions_.add_reward(std::nan("")), "reward points must be finite, was nan");
  EXPECT_DEATH(sessions_.add_reward(INFINITY), "reward points must be finite, was inf");
}

TEST_F(SessionManagerTest, ATradeWithoutProtectionOrSizeAborts) {
  sessions_.start_session(kT0);
  PaperTrade no_stop = btc_long();
  no_stop.stop_loss = Decimal::zero();
  EXPECT_DEATH(sessions_.record_open_trade(no_stop),
               "paper trade t-btc-1 needs a stop loss and a take profit, had 0 and 62400");
  PaperTrade no_target = btc_long();
  no_target.take_profit = Decimal::zero();
  EXPECT_DEATH(sessions_.record_open_trade(no_target), "needs a stop loss and a take profit");
  PaperTrade no_quantity = btc_long();
  no_quantity.quantity = "-0.1"_d;
  EXPECT_DEATH(sessions_.record_open_trade(no_quantity),
               "paper trade t-btc-1 quantity must be positive, was -0.1");
  PaperTrade no_id = btc_long();
  no_id.trade_id.clear();
  EXPECT_DEATH(sessions_.record_open_trade(no_id), "a paper trade needs a trade id");
}

TEST_F(SessionManagerTest, ReopeningAClosedTradeAborts) {
  sessions_.start_session(kT0);
  sessions_.record_open_trade(btc_long());
  ASSERT_TRUE(sessions_.record_closed_trade("t-btc-1", "62400"_d, "30"_d, kT0 + kHourMs));
  EXPECT_DEATH(sessions_.record_open_trade(btc_long()),
               "paper trade t-btc-1 of session paper-1 is closed and cannot reopen");
}

}  // namespace
}  // namespace gauntlet::capital
