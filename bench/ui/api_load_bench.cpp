// The control plane under load (issue 8): a session streaming 40 symbols (20 real Binance spot
// pairs, replayed as spot and as perp) at ten market minutes a wall second, with 10,000 closed
// trades in its history and a dashboard-like WebSocket client attached, while wrk (Debian's
// wrk 4) sends 200 requests/s on loopback to GET /status, then to GET /trades (the newest page
// of 100). Reports wrk's latency percentiles and the rate reached.
//
// wrk 4 has no fixed-rate mode: the Lua script makes each of its 4 connections wait 20 ms
// after each response (wrk's delay() hook), which caps the load at 200 requests/s; its
// latency is measured from a request's send to its response, the wait excluded.
#include <benchmark/benchmark.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "core/config_manager.hpp"
#include "core/store/sqlite_store.hpp"
#include "data/bar_import.hpp"
#include "data/bar_store.hpp"
#include "orders/order_journal.hpp"
#include "runtime/app_runtime.hpp"
#include "ui/api_server.hpp"
#include "ui/test_client.hpp"

namespace gauntlet {
namespace {

namespace fs = std::filesystem;

constexpr int kDays = 4;  // of each pair: the replay outlasts the runs at ten minutes a second
constexpr int kHistoryTrades = 10'000;

fs::path shared_data() {
  if (const char* env = std::getenv("GAUNTLET_SHARED_DATA")) return env;
  return fs::path(GAUNTLET_SOURCE_DIR) / ".." / "shared" / "data";
}

// 20 real spot pairs, each also stored as a perp series: 40 streams.
fs::path make_store(const fs::path& root) {
  data::BarStore store(root);
  const fs::path spot = shared_data() / "crypto" / "binance_spot";
  for (const auto& entry : fs::directory_iterator(spot)) {
    if (!entry.path().filename().string().ends_with("-1m.json.gz")) continue;
    const data::ImportGuess guess = data::guess_import(entry.path());
    const data::ImportedBars imported = data::read_bar_file(entry.path(), guess);
    if (imported.bars.empty()) continue;
    const TimestampMs first = floor_to(imported.bars.front().open_time, kDayMs) + kDayMs;
    std::vector<Bar> window;
    for (const Bar& bar : imported.bars) {
      if (bar.open_time >= first && bar.open_time < first + kDays * kDayMs) window.push_back(bar);
    }
    for (const Asset domain : {Asset::kSpot, Asset::kPerp}) {
      store.upsert_bars({guess.venue, domain, *guess.symbol, imported.timeframe}, window);
    }
  }
  return root;
}

// 10,000 closed trades already in the state's journal: a long session's history.
void seed_history(const fs::path& state) {
  fs::create_directories(state);
  auto store = store::SqliteStore::open(state / "gauntlet.db");
  orders::OrderJournal journal(*store);
  store->transaction([&] {
    for (int i = 0; i < kHistoryTrades; ++i) {
      orders::ClosedTrade t;
      t.strategy_id = "history-" + std::to_string(i % 40);
      t.asset = i % 2 == 0 ? Asset::kSpot : Asset::kPerp;
      t.symbol = Symbol::parse(i % 3 == 0 ? "BTCUSDT" : "ETHUSDT");
      t.side = i % 5 == 0 ? OrderSide::kSell : OrderSide::kBuy;
      t.entry_time = 1'600'000'000'000 + static_cast<TimestampMs>(i) * kHourMs;
      t.exit_time = t.entry_time + 3 * kHourMs;
      t.entry_price = Decimal::parse("100.5");
      t.exit_price = Decimal::parse(i % 3 == 0 ? "99.25" : "101.75");
      t.quantity = Decimal::parse("0.5");
      t.stop_loss = Decimal::parse("98");
      t.take_profit = Decimal::parse("104");
      t.fees = Decimal::parse("0.1");
      t.realized_pnl = Decimal::parse(i % 3 == 0 ? "-0.725" : "0.525");
      t.exit_reason = i % 3 == 0 ? "stop_loss" : "take_profit";
      journal.record_closed_trade(t);
    }
  });
}

struct WrkResult {
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, requests_per_second = 0;
  long errors = 0;
  std::string output;
};

double to_ms(const std::string& value, const std::string& unit) {
  const double v = std::stod(value);
  return unit == "us" ? v / 1000 : unit == "s" ? v * 1000 : v;
}

WrkResult run_wrk(const std::string& url, const std::string& token, const fs::path& dir) {
  const fs::path script = dir / "rate.lua";
  std::ofstream(script) << "wrk.headers[\"Authorization\"] = \"Bearer " << token << "\"\n"
                        << "function delay() return 20 end\n";
  const std::string command =
      "wrk -t2 -c4 -d10s --latency -s " + script.string() + " '" + url + "' 2>&1";
  WrkResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) result.output += buffer.data();
  ::pclose(pipe);
  const std::regex percentile(R"(\s+(50|90|99)%\s+([0-9.]+)(us|ms|s))");
  for (std::sregex_iterator it(result.output.begin(), result.output.end(), percentile), end;
       it != end; ++it) {
    const double ms = to_ms((*it)[2], (*it)[3]);
    if ((*it)[1] == "50") result.p50_ms = ms;
    if ((*it)[1] == "90") result.p90_ms = ms;
    if ((*it)[1] == "99") result.p99_ms = ms;
  }
  std::smatch match;
  if (std::regex_search(result.output, match, std::regex(R"(Requests/sec:\s+([0-9.]+))")))
    result.requests_per_second = std::stod(match[1]);
  if (std::regex_search(result.output, match, std::regex(R"(Non-2xx or 3xx responses: (\d+))")))
    result.errors = std::stol(match[1]);
  return result;
}

class LoadedSession {
 public:
  LoadedSession() {
    dir_ = fs::temp_directory_path() / ("gauntlet-bench-api-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    const fs::path store = make_store(dir_ / "store");
    seed_history(dir_ / "state");
    config::Config config =
        load_config((fs::path(GAUNTLET_SOURCE_DIR) / "config" / "default.yaml").string());
    runtime::RunOptions options;
    options.feed = runtime::FeedMode::kReplay;
    options.state_dir = dir_ / "state";
    options.data_root = store;
    options.search_space = fs::path(GAUNTLET_SOURCE_DIR) / "config" / "ml_search.json";
    options.quiet = true;
    options.universe_size = 40;
    options.min_turnover = 0;
    options.replay_speed = 600;
    runtime_ = std::make_unique<runtime::AppRuntime>(std::move(config), std::move(options));
    std::promise<void> listening;
    std::future<void> ready = listening.get_future();
    engine_ = std::thread([this, &listening] {
      runtime_->start_all();
      ui::ApiServerOptions api;
      api.state_dir = dir_ / "state";
      api_ = std::make_unique<ui::ApiServer>(*runtime_, api);
      api_->start();
      listening.set_value();
      runtime_->run();
    });
    ready.get();
    token_ = api_->auth().token();
    // A dashboard: one WebSocket client reading every push for the whole run.
    reader_ = std::thread([this] {
      testing::ui::WsClient ws(api_->port(), {{"Authorization", "Bearer " + token_}});
      while (!stop_ && ws.open()) {
        if (ws.read(std::chrono::milliseconds(200))) ++pushes_;
      }
    });
  }
  ~LoadedSession() {
    stop_ = true;
    reader_.join();
    runtime_->request_stop();
    engine_.join();
    api_->stop();
    fs::remove_all(dir_);
  }
  std::string url(const std::string& target) const { return api_->url() + target; }
  const std::string& token() const { return token_; }
  const fs::path& dir() const { return dir_; }
  long pushes() const { return pushes_; }
  std::size_t symbols() const {
    return testing::ui::request(api_->port(), "GET", "/quotes",
                                {{"Authorization", "Bearer " + token_}})
        .json()
        .size();
  }

 private:
  fs::path dir_;
  std::unique_ptr<runtime::AppRuntime> runtime_;
  std::unique_ptr<ui::ApiServer> api_;
  std::thread engine_;
  std::thread reader_;
  std::atomic<bool> stop_{false};
  std::atomic<long> pushes_{0};
  std::string token_;
};

LoadedSession& session() {
  static LoadedSession s;
  return s;
}

void load(benchmark::State& state, const std::string& target) {
  if (!fs::exists(shared_data() / "crypto" / "binance_spot")) {
    state.SkipWithError("no shared data");
    return;
  }
  if (std::system("command -v wrk >/dev/null") != 0) {
    state.SkipWithError("wrk is not installed (scripts/install-deps.sh installs it)");
    return;
  }
  LoadedSession& s = session();
  std::this_thread::sleep_for(std::chrono::seconds(2));  // the quotes of every symbol arrive
  WrkResult result;
  const long pushes_before = s.pushes();
  for (auto _ : state) result = run_wrk(s.url(target), s.token(), s.dir());
  if (result.requests_per_second == 0)
    state.SkipWithError(("wrk failed: " + result.output).c_str());
  state.counters["p50_ms"] = result.p50_ms;
  state.counters["p90_ms"] = result.p90_ms;
  state.counters["p99_ms"] = result.p99_ms;
  state.counters["req_per_s"] = result.requests_per_second;
  state.counters["non_2xx"] = static_cast<double>(result.errors);
  state.counters["symbols"] = static_cast<double>(s.symbols());
  state.counters["ws_pushes"] = static_cast<double>(s.pushes() - pushes_before);
}

void BM_ApiStatusUnderLoad(benchmark::State& state) {
  load(state, "/status");
}
BENCHMARK(BM_ApiStatusUnderLoad)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

void BM_ApiTradesUnderLoad(benchmark::State& state) {
  load(state, "/trades?page_size=100");
}
BENCHMARK(BM_ApiTradesUnderLoad)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

}  // namespace
}  // namespace gauntlet
