#include "capital/bankroll_manager.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "capital/session_manager.hpp"
#include "core/config.hpp"
#include "core/exceptions.hpp"
#include "core/store/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace gauntlet::capital {

// NOLINTNEXTLINE(readability-identifier-naming): the name GoogleTest looks up.
void PrintTo(const Epoch& e, std::ostream* out) {
  *out << "{" << e.session_id << " #" << e.number << " started_at=" << e.started_at
       << " before=" << e.equity_before << " after=" << e.equity_after << " reason=\"" << e.reason
       << "\"}";
}

namespace {

using namespace gauntlet::literals;
using store::SqliteStore;

constexpr TimestampMs kT0 = 1'709'251'200'000;  // 2024-03-01T00:00:00Z
constexpr TimestampMs kT1 = kT0 + kHourMs;
constexpr TimestampMs kT2 = kT0 + 2 * kHourMs;

int64_t int_at(store::Store& store, const std::string& sql) {
  int64_t value = -1;
  store.query(sql, {}, [&](const store::Row& row) { value = row.get_int(0); });
  return value;
}

// The seed's bankroll: $1,000 start, +$1,000 when equity <= $10.
class BankrollManagerTest : public ::testing::Test {
 protected:
  void SetUp() override { sessions_.start_session(kT0); }

  std::unique_ptr<SqliteStore> store_ = SqliteStore::open_in_memory();
  SessionManager sessions_{*store_, config::PaperBankroll{}};
  BankrollManager bankroll_{*store_, sessions_, config::PaperBankroll{}};
};

// --- When to top up ---------------------------------------------------------------------------

TEST_F(BankrollManagerTest, AFreshSessionNeedsNoTopUp) {
  EXPECT_EQ(store_->schema_version("bankroll_manager"), 1);
  EXPECT_EQ(bankroll_.threshold(), "10"_d);
  EXPECT_EQ(bankroll_.top_up_amount(), "1000"_d);
  EXPECT_EQ(bankroll_.ensure_min_equity(kT1), std::nullopt);
  EXPECT_EQ(sessions_.current().equity, "1000"_d);
  EXPECT_EQ(sessions_.current().epoch, 0);
  EXPECT_TRUE(bankroll_.epochs().empty());
}

TEST_F(BankrollManagerTest, NoTopUpAtTenDollarsAndOneCent) {
  sessions_.record_equity("10.01"_d, kT1);
  EXPECT_EQ(bankroll_.ensure_min_equity(kT1), std::nullopt);
  EXPECT_EQ(sessions_.current().equity, "10.01"_d);
  EXPECT_EQ(sessions_.current().epoch, 0);
  EXPECT_TRUE(bankroll_.epochs().empty());
  EXPECT_EQ(sessions_.equity_history().back(), (EquityPoint{kT1, "10.01"_d, "mark", {}}));
}

TEST_F(BankrollManagerTest, TopsUpExactlyAtTenDollars) {
  sessions_.record_equity("10"_d, kT1);
  const std::optional<Epoch> epoch = bankroll_.ensure_min_equity(kT1);
  // 10 + 1000 = 1010, epoch 0 -> 1.
  const Epoch expected{"paper-1", 1,        kT1,
                       "10"_d,    "1010"_d, "top_up: equity 10 <= threshold 10, +1000"};
  ASSERT_TRUE(epoch.has_value());
  EXPECT_EQ(*epoch, expected);
  EXPECT_EQ(sessions_.current().equity, "1010"_d);
  EXPECT_EQ(sessions_.current().epoch, 1);
  EXPECT_EQ(sessions_.current().starting_equity, "1000"_d);  // the session's start is history
  EXPECT_EQ(bankroll_.epochs(), std::vector<Epoch>{expected});
  EXPECT_EQ(sessions_.equity_history(), (std::vector<EquityPoint>{{kT0, "1000"_d, "start", {}},
                                                                  {kT1, "10"_d, "mark", {}},
                                                                  {kT1, "1010"_d, "top_up", {}}}));
}

TEST_F(BankrollManagerTest, TopsUpBelowTenDollarsAndAtZero) {
  sessions_.record_equity("3.7"_d, kT1);
  ASSERT_TRUE(bankroll_.ensure_min_equity(kT1).has_value());
  EXPECT_EQ(sessions_.current().equity, "1003.7"_d);

  sessions_.record_equity("0"_d, kT2);
  const std::optional<Epoch> epoch = bankroll_.ensure_min_equity(kT2);
  ASSERT_TRUE(epoch.has_value());
  EXPECT_EQ(epoch->equity_before, "0"_d);
  EXPECT_EQ(epoch->equity_after, "1000"_d);
  EXPECT_EQ(sessions_.current().equity, "1000"_d);
}

TEST_F(BankrollManagerTest, TwoTopUpsGiveEpochsOneAndTwo) {
  sessions_.record_equity("10"_d, kT1);
  const std::optional<Epoch> first = bankroll_.ensure_min_equity(kT1);
  sessions_.record_equity("1500"_d, kT1 + kMinuteMs);
  EXPECT_EQ(bankroll_.ensure_min_equity(kT1 + kMinuteMs), std::nullopt);
  sessions_.record_equity("6.5"_d, kT2);
  const std::optional<Epoch> second = bankroll_.ensure_min_equity(kT2);

  const Epoch expected_first{"paper-1", 1,        kT1,
                             "10"_d,    "1010"_d, "top_up: equity 10 <= threshold 10, +1000"};
  // 6.5 + 1000 = 1006.5.
  const Epoch expected_second{"paper-1", 2,          kT2,
                              "6.5"_d,   "1006.5"_d, "top_up: equity 6.5 <= threshold 10, +1000"};
  EXPECT_EQ(first, expected_first);
  EXPECT_EQ(second, expected_second);
  EXPECT_EQ(sessions_.current().equity, "1006.5"_d);
  EXPECT_EQ(sessions_.current().epoch, 2);
  EXPECT_EQ(bankroll_.epochs(), (std::vector<Epoch>{expected_first, expected_second}));
}

TEST_F(BankrollManagerTest, ASecondCallAfterATopUpChangesNothing) {
  sessions_.record_equity("9.99"_d, kT1);
  ASSERT_TRUE(bankroll_.ensure_min_equity(kT1).has_value());
  EXPECT_EQ(bankroll_.ensure_min_equity(kT1), std::nullopt);
  EXPECT_EQ(sessions_.current().equity, "1009.99"_d);
  EXPECT_EQ(sessions_.current().epoch, 1);
  EXPECT_EQ(bankroll_.epochs().size(), 1u);
}

TEST_F(BankrollManagerTest, AnAccountFarBelowZeroGetsOneEpochPerTopUp) {
  // -1500 + 1000 = -500 (still <= 10), -500 + 1000 = 500.
  sessions_.record_equity("-1500"_d, kT1);
  const std::optional<Epoch> last = bankroll_.ensure_min_equity(kT1);
  const Epoch expected_first{"paper-1", 1,        kT1,
                             "-1500"_d, "-500"_d, "top_up: equity -1500 <= threshold 10, +1000"};
  const Epoch expected_second{"paper-1", 2,       kT1,
                              "-500"_d,  "500"_d, "top_up: equity -500 <= threshold 10, +1000"};
  EXPECT_EQ(last, expected_second);
  EXPECT_EQ(sessions_.current().equity, "500"_d);
  EXPECT_EQ(sessions_.current().epoch, 2);
  EXPECT_EQ(bankroll_.epochs(), (std::vector<Epoch>{expected_first, expected_second}));
}

TEST(BankrollManagerConfigTest, UsesTheConfiguredThresholdAndAmount) {
  auto store = SqliteStore::open_in_memory();
  config::PaperBankroll paper;
  paper.starting_equity = "500"_d;
  paper.top_up_threshold = "50"_d;
  paper.top_up_amount = "250.25"_d;
  SessionManager sessions(*store, paper);
  BankrollManager bankroll(*store, sessions, paper);
  sessions.start_session(kT0);
  sessions.record_equity("50.000000001"_d, kT1);
  EXPECT_EQ(bankroll.ensure_min_equity(kT1), std::nullopt);
  sessions.record_equity("50"_d, kT2);
  const std::optional<Epoch> epoch = bankroll.ensure_min_equity(kT2);
  ASSERT_TRUE(epoch.has_value());
  EXPECT_EQ(epoch->equity_after, "300.25"_d);  // 50 + 250.25
  EXPECT_EQ(sessions.current().equity, "300.25"_d);
}

TEST(BankrollManagerConfigTest, RejectsANonPositiveAmountAndANegativeThreshold) {
  auto store = SqliteStore::open_in_memory();
  SessionManager sessions(*store, config::PaperBankroll{});
  config::PaperBankroll paper;
  paper.top_up_threshold = "-1"_d;
  paper.top_up_amount = "0"_d;
  try {
    BankrollManager bankroll(*store, sessions, paper);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& error) {
    ASSERT_EQ(error.problems().size(), 2u);
    EXPECT_EQ(error.problems()[0], "paper.top_up_threshold: must not be negative (got -1)");
    EXPECT_EQ(error.problems()[1], "paper.top_up_amount: must be positive (got 0)");
  }
}

// --- Persistence ------------------------------------------------------------------------------

TEST_F(BankrollManagerTest, StoresTheEpochWithExactAmounts) {
  sessions_.record_equity("0.000000001"_d, kT1);
  ASSERT_TRUE(bankroll_.ensure_min_equity(kT1).has_value());
  std::string before;
  std::string after;
  store_->query("SELECT equity_before, equity_after FROM bankroll_epochs", {},
                [&](const store::Row& row) {
                  before = row.get_text(0);
                  after = row.get_text(1);
                });
  EXPECT_EQ(before, "0.000000001");
  EXPECT_EQ(after, "1000.000000001");
}

TEST(BankrollManagerResumeTest, EpochsAndEquitySurviveReopeningTheFile) {
  testing::TempDir dir;
  const std::filesystem::path path = dir.path() / "state.db";
  const Epoch expected_first{"paper-1", 1,        kT1,
                             "8"_d,     "1008"_d, "top_up: equity 8 <= threshold 10, +1000"};
  PaperTrade trade;
  trade.trade_id = "t-1";
  trade.strategy_id = "mean_revert";
  trade.asset = Asset::kSpot;
  trade.symbol = Symbol::parse("SOLUSDT");
  trade.side = OrderSide::kBuy;
  trade.quantity = "2"_d;
  trade.entry_price = "150"_d;
  trade.stop_loss = "147"_d;
  trade.take_profit = "156"_d;
  trade.opened_at = kT1 + kMinuteMs;
  {
    auto store = SqliteStore::open(path);
    SessionManager sessions(*store, config::PaperBankroll{});
    BankrollManager bankroll(*store, sessions, config::PaperBankroll{});
    sessions.start_session(kT0);
    sessions.record_equity("8"_d, kT1);
    ASSERT_EQ(bankroll.ensure_min_equity(kT1), expected_first);
    sessions.add_reward(4.0);
    sessions.record_open_trade(trade);
  }  // the process stops

  auto store = SqliteStore::open(path);
  SessionManager sessions(*store, config::PaperBankroll{});
  BankrollManager bankroll(*store, sessions, config::PaperBankroll{});
  const std::optional<SessionState> resumed = sessions.resume_session();
  const SessionState expected{"paper-1", kT0, "1000"_d, "1008"_d, 1, 4.0, true};
  EXPECT_EQ(resumed, expected);
  EXPECT_EQ(sessions.open_trades(), std::vector<PaperTrade>{trade});
  EXPECT_EQ(bankroll.epochs(), std::vector<Epoch>{expected_first});

  // The next top-up after the restart starts epoch 2: 1.25 + 1000 = 1001.25.
  sessions.record_equity("1.25"_d, kT2);
  const std::optional<Epoch> second = bankroll.ensure_min_equity(kT2);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->number, 2);
  EXPECT_EQ(second->equity_after, "1001.25"_d);
  EXPECT_EQ(bankroll.epochs().size(), 2u);
}

TEST_F(BankrollManagerTest, ANewSessionStartsAtEpochZeroAndKeepsTheOldEpochs) {
  sessions_.record_equity("10"_d, kT1);
  ASSERT_TRUE(bankroll_.ensure_min_equity(kT1).has_value());
  const SessionState second = sessions_.start_session(kT2);
  EXPECT_EQ(second.epoch, 0);
  EXPECT_EQ(second.equity, "1000"_d);
  EXPECT_TRUE(bankroll_.epochs().empty());
  ASSERT_EQ(bankroll_.epochs("paper-1").size(), 1u);
  EXPECT_EQ(bankroll_.epochs("paper-1")[0].equity_after, "1010"_d);

  sessions_.record_equity("2"_d, kT2 + kHourMs);
  const std::optional<Epoch> epoch = bankroll_.ensure_min_equity(kT2 + kHourMs);
  ASSERT_TRUE(epoch.has_value());
  EXPECT_EQ(epoch->session_id, "paper-2");
  EXPECT_EQ(epoch->number, 1);
}

TEST_F(BankrollManagerTest, AFailedEpochLogRollsTheTopUpBack) {
  sessions_.record_equity("10"_d, kT1);
  store_->execute("DROP TABLE bankroll_epochs");
  EXPECT_THROW(bankroll_.ensure_min_equity(kT1), StateError);
  // Neither the store nor the session's memory kept the top-up.
  EXPECT_EQ(sessions_.current().equity, "10"_d);
  EXPECT_EQ(sessions_.current().epoch, 0);
  EXPECT_EQ(int_at(*store_, "SELECT epoch FROM paper_sessions WHERE active = 1"), 0);
  EXPECT_EQ(sessions_.equity_history().back(), (EquityPoint{kT1, "10"_d, "mark", {}}));
}

// --- record_epoch -----------------------------------------------------------------------------

TEST_F(BankrollManagerTest, RecordEpochLogsTheCurrentEpoch) {
  const Epoch epoch = bankroll_.record_epoch(0, kT0, "0"_d, "1000"_d, "session_start");
  const Epoch expected{"paper-1", 0, kT0, "0"_d, "1000"_d, "session_start"};
  EXPECT_EQ(epoch, expected);
  EXPECT_EQ(bankroll_.epochs(), std::vector<Epoch>{expected});
  EXPECT_EQ(sessions_.current().equity, "1000"_d);  // logging moves no money
  // The same epoch cannot be logged twice.
  EXPECT_THROW(bankroll_.record_epoch(0, kT0, "0"_d, "1000"_d, "again"), ConstraintError);
}

TEST_F(BankrollManagerTest, RecordingAnEpochThatIsNotTheCurrentOneAborts) {
  EXPECT_DEATH(bankroll_.record_epoch(3, kT1, "1"_d, "1001"_d, "top_up"),
               "epoch 3 is not the current epoch 0 of session paper-1");
}

TEST(BankrollManagerNoSessionTest, EnsureMinEquityWithoutASessionAborts) {
  auto store = SqliteStore::open_in_memory();
  SessionManager sessions(*store, config::PaperBankroll{});
  BankrollManager bankroll(*store, sessions, config::PaperBankroll{});
  EXPECT_DEATH((void)bankroll.ensure_min_equity(kT0), "no paper session is current");
}

// --- Per-epoch statistics
// -------------------------------------------------------------------------

// Three epochs worked by hand: the first two end in a top-up, the third is current. Samples and
// trades before the session's start are another session's and do not count.
TEST(EpochStatistics, EachEpochCountsItsOwnTradesAndEquityByHand) {
  const std::vector<Epoch> epochs = {{"s", 0, 1000, "0"_d, "1000"_d, "session start"},
                                     {"s", 1, 5000, "8"_d, "1008"_d, "top_up"},
                                     {"s", 2, 9000, "500"_d, "1500"_d, "top_up"}};
  const std::vector<EquitySample> equity = {
      {500, "999"_d},                                                         // before the session
      {1000, "1000"_d}, {2000, "1100"_d}, {3000, "900"_d}, {4000, "1050"_d},  // epoch 0
      {5000, "1008"_d}, {6000, "1200"_d}, {7000, "600"_d}, {8000, "700"_d},   // epoch 1
      {9000, "1500"_d}, {10000, "1400"_d}};                                   // epoch 2
  const std::vector<TradeOutcome> trades = {{900, "5"_d, "1"_d},              // before the session
                                            {2000, "100"_d, "1"_d},   {3000, "-200"_d, "2"_d},
                                            {4500, "-1092"_d, "3"_d}, {6000, "192"_d, "1"_d},
                                            {7000, "-600"_d, "2"_d},  {9000, "-100"_d, "1"_d}};
  const std::vector<EpochStatistics> stats = epoch_statistics(epochs, equity, trades);
  ASSERT_EQ(stats.size(), 3u);

  // Epoch 0: 1000 -> 1100 (peak) -> 900 -> 1050 -> 8 (what the first top-up found).
  EXPECT_EQ(stats[0].epoch, epochs[0]);
  EXPECT_EQ(stats[0].ended_at, std::optional<TimestampMs>(5000));
  EXPECT_EQ(stats[0].starting_equity, "1000"_d);
  EXPECT_EQ(stats[0].ending_equity, "8"_d);
  EXPECT_EQ(stats[0].peak_equity, "1100"_d);
  EXPECT_EQ(stats[0].lowest_equity, "8"_d);
  EXPECT_DOUBLE_EQ(stats[0].max_drawdown, 1092.0 / 1100.0);
  EXPECT_EQ(stats[0].trades, 3);
  EXPECT_EQ(stats[0].wins, 1);
  EXPECT_EQ(stats[0].realized_pnl, "-1192"_d);  // 100 - 200 - 1092
  EXPECT_EQ(stats[0].fees, "6"_d);

  // Epoch 1: 1008 -> 1200 (peak) -> 600 -> 700 -> 500 (the second top-up found).
  EXPECT_EQ(stats[1].ended_at, std::optional<TimestampMs>(9000));
  EXPECT_EQ(stats[1].starting_equity, "1008"_d);
  EXPECT_EQ(stats[1].ending_equity, "500"_d);
  EXPECT_EQ(stats[1].peak_equity, "1200"_d);
  EXPECT_EQ(stats[1].lowest_equity, "500"_d);
  EXPECT_DOUBLE_EQ(stats[1].max_drawdown, 700.0 / 1200.0);
  EXPECT_EQ(stats[1].trades, 2);
  EXPECT_EQ(stats[1].wins, 1);
  EXPECT_EQ(stats[1].realized_pnl, "-408"_d);
  EXPECT_EQ(stats[1].fees, "3"_d);

  // Epoch 2, current: 1500 -> 1400; the trade closed at its start instant is its own.
  EXPECT_EQ(stats[2].ended_at, std::nullopt);
  EXPECT_EQ(stats[2].starting_equity, "1500"_d);
  EXPECT_EQ(stats[2].ending_equity, "1400"_d);
  EXPECT_EQ(stats[2].peak_equity, "1500"_d);
  EXPECT_EQ(stats[2].lowest_equity, "1400"_d);
  EXPECT_DOUBLE_EQ(stats[2].max_drawdown, 100.0 / 1500.0);
  EXPECT_EQ(stats[2].trades, 1);
  EXPECT_EQ(stats[2].wins, 0);
  EXPECT_EQ(stats[2].realized_pnl, "-100"_d);
  EXPECT_EQ(stats[2].fees, "1"_d);
}

// Two top-ups at one instant (a leveraged loss beyond the account): the first epoch they start
// is empty and ends where it began, at the equity the second found.
TEST(EpochStatistics, TopUpsAtOneInstantLeaveTheEarlierEpochEmpty) {
  const std::vector<Epoch> epochs = {{"s", 0, 0, "0"_d, "1000"_d, "session start"},
                                     {"s", 1, 100, "-1500"_d, "-500"_d, "top_up"},
                                     {"s", 2, 100, "-500"_d, "500"_d, "top_up"}};
  const std::vector<EquitySample> equity = {{0, "1000"_d}, {100, "500"_d}, {200, "600"_d}};
  const std::vector<TradeOutcome> trades = {{100, "-2500"_d, "2"_d}};
  const std::vector<EpochStatistics> stats = epoch_statistics(epochs, equity, trades);
  ASSERT_EQ(stats.size(), 3u);
  EXPECT_EQ(stats[0].ending_equity, "-1500"_d);
  EXPECT_EQ(stats[0].trades, 0);
  EXPECT_EQ(stats[1].ended_at, std::optional<TimestampMs>(100));
  EXPECT_EQ(stats[1].trades, 0);
  EXPECT_EQ(stats[1].starting_equity, "-500"_d);
  EXPECT_EQ(stats[1].ending_equity, "-500"_d);
  EXPECT_EQ(stats[1].max_drawdown, 0.0);  // no positive peak to fall from
  EXPECT_EQ(stats[2].trades, 1);
  EXPECT_EQ(stats[2].ending_equity, "600"_d);
  EXPECT_EQ(stats[2].peak_equity, "600"_d);
}

// The session's own records: its epochs with epoch 0 first, and its equity history (start,
// marks, top-ups) measured per epoch.
TEST_F(BankrollManagerTest, SessionEpochsStartWithEpochZeroAndSplitTheSessionsHistory) {
  sessions_.record_equity("400"_d, kT0 + kMinuteMs);
  sessions_.record_equity("10"_d, kT1);
  ASSERT_TRUE(bankroll_.ensure_min_equity(kT1).has_value());
  sessions_.record_equity("1200"_d, kT2);
  const std::vector<Epoch> epochs = bankroll_.session_epochs();
  ASSERT_EQ(epochs.size(), 2u);
  EXPECT_EQ(epochs[0], (Epoch{"paper-1", 0, kT0, "0"_d, "1000"_d, "session start"}));
  EXPECT_EQ(epochs[1].number, 1);
  EXPECT_EQ(epochs[1].equity_after, "1010"_d);

  std::vector<EquitySample> equity;
  for (const EquityPoint& p : sessions_.equity_history()) equity.push_back({p.time, p.equity});
  const std::vector<EpochStatistics> stats = epoch_statistics(epochs, equity, {});
  ASSERT_EQ(stats.size(), 2u);
  // Epoch 0: 1000 -> 400 -> 10. The mark of 10 at kT1, the top-up's instant, is what the
  // top-up found: epoch 0's, not epoch 1's (whose low would otherwise be 10).
  EXPECT_EQ(stats[0].ending_equity, "10"_d);
  EXPECT_EQ(stats[0].lowest_equity, "10"_d);
  EXPECT_DOUBLE_EQ(stats[0].max_drawdown, 0.99);
  // Epoch 1: from 1010 to 1200.
  EXPECT_EQ(stats[1].starting_equity, "1010"_d);
  EXPECT_EQ(stats[1].ending_equity, "1200"_d);
  EXPECT_EQ(stats[1].peak_equity, "1200"_d);
  EXPECT_EQ(stats[1].lowest_equity, "1010"_d);
  EXPECT_EQ(stats[1].max_drawdown, 0.0);
}
}  // namespace
}  // namespace gauntlet::capital
