// Runs the real `gauntlet` binary as a user would.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "brokers/bybit/loop_helpers.hpp"
#include "brokers/bybit/rest_client.hpp"
#include "core/interfaces.hpp"
#include "support/command.hpp"
#include "support/shared_data.hpp"
#include "support/temp_dir.hpp"
#include "venues/bybit/venue_server.hpp"

namespace gauntlet {
namespace {

using Outcome = testing::CommandOutcome;

Outcome run(const std::string& arguments) {
  return testing::run_command(GAUNTLET_BINARY, arguments);
}

TEST(GauntletCli, PrintsVersionAndHelp) {
  const Outcome version = run("--version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_TRUE(version.output.starts_with("gauntlet 0.")) << version.output;
  const Outcome help = run("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("config"), std::string::npos);
}

TEST(GauntletCli, ConfigCheckAcceptsTheShippedConfigs) {
  for (const char* name : {"default.yaml", "paper.yaml"}) {
    const Outcome outcome =
        run("config check " + (testing::project_source_dir() / "config" / name).string());
    EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
    EXPECT_NE(outcome.output.find("is valid (version v1-"), std::string::npos) << outcome.output;
  }
}

TEST(GauntletCli, ConfigCheckPrintsAllThreeMistakesAndExitsTwo) {
  const testing::TempDir dir;
  const auto file = dir.write("three.yaml",
                              "environment: staging\n"
                              "risk:\n  spot:\n    risk_fraction: 0.5\n"
                              "exploration:\n  rotaton: round_robin\n");
  const Outcome outcome = run("config check " + file.string());
  EXPECT_EQ(outcome.exit_code, 2);
  EXPECT_NE(outcome.output.find("3 problems:"), std::string::npos) << outcome.output;
  EXPECT_NE(
      outcome.output.find("  environment: must be one of simulation, production (got staging)"),
      std::string::npos);
  EXPECT_NE(outcome.output.find("  risk.spot.risk_fraction: must be in (0, 0.05] (got 0.5)"),
            std::string::npos);
  EXPECT_NE(outcome.output.find("  exploration.rotaton: unknown key (did you mean rotation?)"),
            std::string::npos);
}

TEST(GauntletCli, ConfigShowPrintsTheNormalisedConfig) {
  const Outcome outcome =
      run("config show " + (testing::project_source_dir() / "config" / "paper.yaml").string());
  EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_NE(outcome.output.find("\"forex_enabled\": true"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("\"primary\": \"15m\""), std::string::npos);
}

TEST(GauntletCli, DataCommandsImportCheckResampleExportAndReimport) {
  const auto data = testing::find_shared_data();
  if (!data) {
    if (testing::shared_data_required()) FAIL() << testing::shared_data_missing_message();
    GTEST_SKIP() << testing::shared_data_missing_message();
  }
  const testing::TempDir dir;
  const std::string root = " --data-root " + (dir.path() / "bars").string();
  Outcome outcome =
      run("data import " + (*data / "crypto/binance_spot/BTC_USDT-1m.json.gz").string() + " " +
          (*data / "crypto/binance_spot/BTC_USDT-5m.json.gz").string() + root);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_NE(outcome.output.find("42915 bars into binance/spot/BTCUSDT/1m"), std::string::npos)
      << outcome.output;

  outcome = run("data check --symbol BTC/USDT --timeframe 1m" + root);
  EXPECT_EQ(outcome.exit_code, 1);  // the 2021-04-25 outage
  EXPECT_NE(outcome.output.find("1 gaps (284 missing 1m bars)"), std::string::npos)
      << outcome.output;
  EXPECT_NE(outcome.output.find("gap 2021-04-25T04:01:00.000Z .. 2021-04-25T08:45:00.000Z"),
            std::string::npos);

  outcome = run("data resample --symbol btc-usdt --from-tf 1m --to-tf 15m" + root);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_NE(outcome.output.find("into 2862 15m bars"), std::string::npos) << outcome.output;

  const std::string csv = (dir.path() / "btc15.csv").string();
  outcome =
      run("data export --symbol BTCUSDT --timeframe 15m --from 2021-05-01 --to 2021-05-02 --out " +
          csv + root);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_NE(outcome.output.find("exported 96 bars"), std::string::npos) << outcome.output;

  // The export is the format every command reads: import it back under another venue.
  outcome = run("data import " + csv + " --symbol BTCUSDT --venue roundtrip --domain spot" + root);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_NE(outcome.output.find("96 bars into roundtrip/spot/BTCUSDT/15m"), std::string::npos)
      << outcome.output;

  // Two venues now hold BTCUSDT: naming it needs --venue.
  outcome = run("data export --symbol BTCUSDT --timeframe 15m --out " + csv + root);
  EXPECT_NE(outcome.exit_code, 0);
  EXPECT_NE(outcome.output.find("pass --venue and --domain"), std::string::npos) << outcome.output;

  outcome = run("data list" + root);
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_NE(outcome.output.find("4 series"), std::string::npos) << outcome.output;
}

// LEAN's day files name only the date: the symbol comes from their folder.
TEST(GauntletCli, DataImportReadsAFolderOfLeanDayFilesAndSkipsAStrayFile) {
  const auto data = testing::find_shared_data();
  if (!data) {
    if (testing::shared_data_required()) FAIL() << testing::shared_data_missing_message();
    GTEST_SKIP() << testing::shared_data_missing_message();
  }
  const testing::TempDir dir;
  const std::filesystem::path folder = dir.path() / "binance_spot_long" / "btcusdt";
  std::filesystem::create_directories(folder);
  for (const char* day : {"20240227", "20240228", "20240229"}) {
    const std::string name = std::string(day) + "_trade.csv.gz";
    std::filesystem::copy_file(*data / "crypto/binance_spot_long/btcusdt" / name, folder / name);
  }
  dir.write("binance_spot_long/btcusdt/notes.txt", "downloaded by hand\n");
  const std::string root = " --data-root " + (dir.path() / "bars").string();
  Outcome outcome = run("data import " + (dir.path() / "binance_spot_long").string() + root);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_NE(outcome.output.find("[1/4] 20240227_trade.csv.gz (LEAN minute CSV): 1440 bars into "
                                "binance/spot/BTCUSDT/1m (1440 new, 0 replaced, 1 day files)"),
            std::string::npos)
      << outcome.output;
  EXPECT_NE(outcome.output.find("[4/4] skipped: notes.txt: not a bar file"), std::string::npos)
      << outcome.output;
  EXPECT_NE(outcome.output.find("imported 4320 bars from 3 of 4 files"), std::string::npos)
      << outcome.output;

  outcome = run("data check --symbol BTC/USDT --timeframe 1m" + root);
  EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_NE(outcome.output.find("binance/spot/BTCUSDT/1m: 4320 bars, 0 bad rows, 0 duplicates, 0 "
                                "out of order, 0 gaps"),
            std::string::npos)
      << outcome.output;
}

TEST(GauntletCli, DataFetchBackfillsFromBybitAndResumes) {
  venues::bybit::VenueServer venue;
  std::vector<Bar> bars;
  const TimestampMs start = 1'700'000'000'000 / kMinuteMs * kMinuteMs;
  for (int i = 0; i < 2500; ++i) {
    const Decimal price = Decimal::from_int(100 + i % 7);
    bars.push_back({start + i * kMinuteMs, price, price + Decimal::one(), price - Decimal::one(),
                    price, Decimal::one(), price});
  }
  venue.set_klines(brokers::bybit::Category::kSpot, "BTCUSDT", Timeframe::k1m, bars);
  venue.fail_next_http(1, 502);
  const testing::TempDir dir;
  const std::string command = "data fetch --symbol BTC/USDT --timeframe 1m --from " +
                              format_iso8601(start) + " --to " +
                              format_iso8601(start + 2500 * kMinuteMs) + " --base-url " +
                              venue.rest_url() + " --data-root " + (dir.path() / "bars").string();
  Outcome outcome = run(command);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_NE(outcome.output.find("[3/3] 2500 bars stored"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("fetched 2500 bars in 3 requests (1 retries)"), std::string::npos)
      << outcome.output;
  outcome = run(command);  // resumes: nothing is missing any more
  EXPECT_NE(outcome.output.find("fetched 0 bars in 0 requests"), std::string::npos)
      << outcome.output;
}

TEST(GauntletCli, BadUsageFailsWithoutCrashing) {
  EXPECT_NE(run("config check").exit_code, 0);
  EXPECT_NE(run("no-such-command").exit_code, 0);
  EXPECT_EQ(run("config check /nonexistent.yaml").exit_code, 2);
}

double parse_double(const std::string& cell) {
  double value = std::nan("");
  if (!cell.empty()) std::from_chars(cell.data(), cell.data() + cell.size(), value);
  return value;
}

// `gauntlet ta` on TA-Lib's own reference file (its first six columns are the bars; the rest
// is ignored) reproduces all 19 reference columns to 1e-9, empty exactly where TA-Lib is.
TEST(GauntletCli, TaReproducesTheTaLibReferenceFile) {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  const auto reference = testing::read_lines(data / "reference" / "talib_ETH_USDT-5m.csv.gz");
  const testing::TempDir dir;
  std::string text;
  for (const auto& line : reference) text += line + "\n";
  const auto input = dir.write("eth.csv", text);
  const auto header = testing::split_csv_line(reference.at(0));
  std::string columns;
  for (std::size_t c = 6; c < header.size(); ++c) columns += (c > 6 ? "," : "") + header[c];
  const auto out = dir.path() / "out.csv";
  const Outcome outcome =
      run("ta --input " + input.string() + " --columns " + columns + " --out " + out.string());
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_NE(outcome.output.find("wrote 8583 rows x 19 indicator columns"), std::string::npos)
      << outcome.output;

  const auto lines = testing::read_lines(out);
  ASSERT_EQ(lines.size(), reference.size());
  EXPECT_EQ(lines[0], "open_time_ms," + columns);
  int mismatches = 0;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto ours = testing::split_csv_line(lines[i]);
    const auto theirs = testing::split_csv_line(reference[i]);
    ASSERT_EQ(ours.size(), header.size() - 5) << "line " << i;
    EXPECT_EQ(ours[0], theirs[0]);
    for (std::size_t c = 6; c < header.size(); ++c) {
      const std::string& cell = ours[c - 5];
      const double expected = parse_double(theirs[c]);
      if (theirs[c].empty() || cell.empty()) {
        if (theirs[c].empty() != cell.empty() && mismatches++ < 5)
          ADD_FAILURE() << header[c] << " line " << i << ": '" << cell << "' vs '" << theirs[c]
                        << "'";
        continue;
      }
      const double error =
          std::abs(parse_double(cell) - expected) / std::max(1.0, std::abs(expected));
      if (error > 1e-9 && mismatches++ < 5)
        ADD_FAILURE() << header[c] << " line " << i << ": " << cell << " vs " << theirs[c];
    }
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(GauntletCli, TaListsEveryIndicatorWithItsColumns) {
  const Outcome outcome = run("ta --list");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  for (const char* text :
       {"sma_<period>", "bb_upper_<period>_<deviations>", "stoch_d_<fast_k>_<slow_k>_<slow_d>",
        "plus_di_<period>", "willr_14", "obv", "mfi_14", "cci_20",
        "entropy_volatility (not in TA-Lib)", "fib_618_<lookback>", "fib_direction_<lookback>",
        "market_regime (not in TA-Lib)"}) {
    EXPECT_NE(outcome.output.find(text), std::string::npos) << text;
  }
}

TEST(GauntletCli, TaRejectsBadColumnsAndBadInputWithTheReason) {
  const testing::TempDir dir;
  const auto good = dir.write("good.csv",
                              "open_time_ms,open,high,low,close,volume\n"
                              "0,1,2,0.5,1.5,10\n60000,1.5,2.5,1,2,12\n");
  const auto out = (dir.path() / "out.csv").string();
  Outcome outcome = run("ta --input " + good.string() + " --columns sma_3,foo_3 --out " + out);
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_NE(outcome.output.find("unknown indicator column 'foo_3'"), std::string::npos)
      << outcome.output;
  outcome = run("ta --input " + good.string() + " --columns rsi_1 --out " + out);
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_NE(outcome.output.find("column 'rsi_1': parameter 1 (period) must be between 2"),
            std::string::npos)
      << outcome.output;

  const auto no_volume =
      dir.write("no_volume.csv", "open_time_ms,open,high,low,close\n0,1,2,0.5,1.5\n");
  outcome = run("ta --input " + no_volume.string() + " --columns sma_3 --out " + out);
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_NE(outcome.output.find("no column 'volume'"), std::string::npos) << outcome.output;

  const auto bad_cell = dir.write("bad.csv",
                                  "open_time_ms,open,high,low,close,volume\n"
                                  "0,1,2,0.5,1.5,10\n60000,1.5,2.5,1,abc,12\n");
  outcome = run("ta --input " + bad_cell.string() + " --columns sma_3 --out " + out);
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_NE(outcome.output.find("line 3: close is not a finite number: 'abc'"), std::string::npos)
      << outcome.output;

  const auto unsorted = dir.write("unsorted.csv",
                                  "open_time_ms,open,high,low,close,volume\n"
                                  "60000,1,2,0.5,1.5,10\n0,1.5,2.5,1,2,12\n");
  outcome = run("ta --input " + unsorted.string() + " --columns sma_3 --out " + out);
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_NE(outcome.output.find("is not after the previous row's 60000"), std::string::npos)
      << outcome.output;

  // Short input: the columns exist and are empty, not an error.
  outcome = run("ta --input " + good.string() + " --columns sma_3,obv --out " + out);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  const auto lines = testing::read_lines(out);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1], "0,,10");
  EXPECT_EQ(lines[2], "60000,,22");
}

// The first line of `path` that starts with `prefix`, once the file has it.
std::optional<std::string> wait_for_line(const std::filesystem::path& path,
                                         const std::string& prefix, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      if (line.starts_with(prefix) && !in.eof()) return line;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return std::nullopt;
}

// `gauntlet venue bybit` as a user runs it: the URL line, real Bybit requests answered from
// the simulated market while it moves, SIGTERM ends it with 0.
TEST(GauntletCli, VenueBybitServesTheMarketUntilSigterm) {
  const testing::TempDir dir;
  const std::filesystem::path out = dir.path() / "venue.log";
  const pid_t pid = testing::spawn_binary(
      GAUNTLET_BINARY,
      {"venue", "bybit", "--port", "0", "--speed", "600", "--symbols", "BTCUSDT,ETH/USDT",
       "--config", (testing::project_source_dir() / "config" / "default.yaml").string()},
      out, out);
  const std::optional<std::string> line =
      wait_for_line(out, "REST http://", std::chrono::seconds(60));
  if (!line) {
    ::kill(pid, SIGKILL);
    testing::wait_exit_code(pid);
    FAIL() << "no URL line; the venue printed: " << testing::read_file(out);
  }
  // REST http://127.0.0.1:PORT  public WS ws://127.0.0.1:PORT/v5/public/{spot,linear}
  std::istringstream words(*line);
  std::string rest_word, url, public_word, ws_word, ws_url;
  words >> rest_word >> url >> public_word >> ws_word >> ws_url;
  EXPECT_TRUE(url.starts_with("http://127.0.0.1:")) << *line;
  EXPECT_NE(url, "http://127.0.0.1:0") << *line;
  EXPECT_EQ(ws_url, "ws" + url.substr(4) + "/v5/public/{spot,linear}") << *line;

  asio::io_context loop;
  brokers::bybit::RestClient client(loop, {url, 5'000, 4, 32u << 20, "gauntlet-test"});
  const auto klines = [&] {
    return testing::run_task(loop, client.get_klines_async(brokers::bybit::Category::kLinear,
                                                           Symbol::parse("BTCUSDT"), Timeframe::k1m,
                                                           0, INT64_MAX / 2, 10))
        .value;
  };
  const std::vector<Bar> first = klines();
  ASSERT_EQ(first.size(), 10u);  // a day of history from the start
  const brokers::bybit::InstrumentsPage spot =
      testing::run_task(loop, client.get_all_instruments_async(brokers::bybit::Category::kSpot));
  ASSERT_EQ(spot.instruments.size(), 2u);
  EXPECT_EQ(spot.instruments[0].symbol, Symbol::parse("BTCUSDT"));
  EXPECT_EQ(spot.instruments[1].symbol, Symbol::parse("ETHUSDT"));
  EXPECT_TRUE(spot.instruments[0].tick_size.is_positive());
  // A bar every 100 ms: the history grows while we watch.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::vector<Bar> later = klines();
  while (later.back().open_time == first.back().open_time &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    later = klines();
  }
  EXPECT_GT(later.back().open_time, first.back().open_time);

  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  EXPECT_EQ(testing::wait_exit_code(pid), 0) << testing::read_file(out);
}

// A live rehearsal from the command line: the local Bybit as its own process, a production
// session on it (gauntlet run --venue bybit --base-url, keys from the environment), and
// `gauntlet live` asking that session, through its API, to move assets: refused with the first
// reason that holds (forex is switched off; perpetuals have no strategy promoted on real bars),
// and back to paper at once.
TEST(GauntletCli, LiveTogglesASessionOnTheLocalBybitThroughItsApi) {
  const testing::TempDir dir;
  const std::filesystem::path venue_out = dir.path() / "venue.log";
  const pid_t venue =
      testing::spawn_binary(GAUNTLET_BINARY,
                            {"venue", "bybit", "--port", "0", "--symbols", "BTCUSDT", "--key",
                             "cli-key", "--secret", "cli-secret", "--config",
                             (testing::project_source_dir() / "config" / "default.yaml").string()},
                            venue_out, venue_out);
  const std::optional<std::string> rest =
      wait_for_line(venue_out, "REST http://", std::chrono::seconds(60));
  ASSERT_TRUE(rest) << testing::read_file(venue_out);
  std::istringstream words(*rest);
  std::string rest_word, url;
  words >> rest_word >> url;

  const std::filesystem::path config =
      dir.write("live.yaml",
                "extends: " + (testing::project_source_dir() / "config" / "default.yaml").string() +
                    "\nenvironment: production\nrollout_stage: 2\n");
  ::setenv("GAUNTLET_BYBIT_API_KEY", "cli-key", 1);
  ::setenv("GAUNTLET_BYBIT_API_SECRET", "cli-secret", 1);
  const std::filesystem::path session_out = dir.path() / "session.log";
  const std::string state = (dir.path() / "state").string();
  const pid_t session = testing::spawn_binary(
      GAUNTLET_BINARY,
      {"run", "--config", config.string(), "--state", state, "--venue", "bybit", "--base-url", url,
       "--port", "0", "--no-validate", "--quiet", "--search-space",
       (testing::project_source_dir() / "config" / "ml_search.json").string()},
      session_out, session_out);
  const std::optional<std::string> login =
      wait_for_line(session_out, "gauntlet run: open http://", std::chrono::seconds(120));
  if (!login) {
    ::kill(session, SIGKILL);
    ::kill(venue, SIGKILL);
    testing::wait_exit_code(session);
    testing::wait_exit_code(venue);
    FAIL() << "no login URL; the session printed: " << testing::read_file(session_out);
  }
  const std::size_t start = login->find("http://");
  const std::string api = login->substr(start, login->find("/login") - start);

  const Outcome forex = run("live enable forex --url " + api + " --state " + state);
  EXPECT_EQ(forex.exit_code, 1) << forex.output;
  EXPECT_NE(forex.output.find("refused (HTTP 409): asset_disabled"), std::string::npos)
      << forex.output;
  const Outcome perp = run("live enable perp --url " + api + " --state " + state);
  EXPECT_EQ(perp.exit_code, 1) << perp.output;
  EXPECT_NE(perp.output.find("no_promoted_strategy"), std::string::npos) << perp.output;
  const Outcome back = run("live disable perp --url " + api + " --state " + state);
  EXPECT_EQ(back.exit_code, 0) << back.output;
  EXPECT_NE(back.output.find("perp on paper: done"), std::string::npos) << back.output;
  const Outcome wrong = run("live enable spot --url " + api + " --state " + dir.path().string());
  EXPECT_EQ(wrong.exit_code, 1) << wrong.output;
  EXPECT_NE(wrong.output.find("no API token"), std::string::npos) << wrong.output;

  ASSERT_EQ(::kill(session, SIGTERM), 0);
  EXPECT_EQ(testing::wait_exit_code(session), 0) << testing::read_file(session_out);
  ASSERT_EQ(::kill(venue, SIGTERM), 0);
  EXPECT_EQ(testing::wait_exit_code(venue), 0) << testing::read_file(venue_out);
  EXPECT_NE(testing::read_file(session_out).find("live venue: Bybit local at " + url),
            std::string::npos);
}

TEST(GauntletCli, VenueBybitNamesWhatIsWrong) {
  const std::string config =
      " --config " + (testing::project_source_dir() / "config" / "default.yaml").string();
  const Outcome market = run("venue bybit --market live" + config);
  EXPECT_EQ(market.exit_code, 1);
  EXPECT_NE(market.output.find("--market live"), std::string::npos) << market.output;
  const Outcome rebase = run("venue bybit --rebase now" + config);  // a simulated market
  EXPECT_EQ(rebase.exit_code, 1);
  EXPECT_NE(rebase.output.find("--rebase re-dates a replay"), std::string::npos) << rebase.output;
  const Outcome when = run("venue bybit --market replay --rebase yesterday" + config);
  EXPECT_EQ(when.exit_code, 1);
  EXPECT_NE(when.output.find("--rebase yesterday"), std::string::npos) << when.output;
  const Outcome symbol = run("venue bybit --symbols PEPEUSDT" + config);
  EXPECT_EQ(symbol.exit_code, 1);
  EXPECT_NE(symbol.output.find("PEPEUSDT"), std::string::npos) << symbol.output;
  const Outcome account = run("venue bybit --account onlyakey" + config);
  EXPECT_EQ(account.exit_code, 1);
  EXPECT_NE(account.output.find("--account onlyakey: use KEY:SECRET or KEY:SECRET:USDT"),
            std::string::npos)
      << account.output;
  const Outcome twice = run("venue bybit --key k --secret s --account k:t" + config);
  EXPECT_EQ(twice.exit_code, 1);
  EXPECT_NE(twice.output.find("the key is given twice"), std::string::npos) << twice.output;
  const Outcome usdt = run("venue bybit --account k2:s2:lots" + config);
  EXPECT_EQ(usdt.exit_code, 1);
  EXPECT_NE(usdt.output.find("--account lots"), std::string::npos) << usdt.output;
  const testing::TempDir dir;
  const std::filesystem::path bad = dir.write("bad.yaml", "environment: staging\n");
  const Outcome invalid = run("venue bybit --config " + bad.string());
  EXPECT_EQ(invalid.exit_code, 2) << invalid.output;
  EXPECT_NE(invalid.output.find("environment: must be one of"), std::string::npos)
      << invalid.output;
  EXPECT_NE(run("venue").exit_code, 0);
}

}  // namespace
}  // namespace gauntlet
