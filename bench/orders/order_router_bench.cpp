// Latency of one order through the order router, single-threaded, per order (issue 5):
//   BM_PretradePipeline/N        the pre-trade checks alone, as place_order runs them:
//                                risk_manager.compute_size + pretrade_check,
//                                budget_manager.can_afford, exposure_manager.can_open; no
//                                journal, no broker. N positions are already open (with return
//                                windows, so can_open computes their correlations). No anchor
//                                of its own: it is the price of deciding, set against the
//                                commits that follow it.
//   BM_SqliteCommitFull          the anchor of the round trips: one INSERT of an order-sized row
//   BM_SqliteCommitNormal        and its COMMIT through SqliteStore::transaction, on the same
//   BM_SqliteCommitMemory        file and connection as the round trip of that store kind, in
//                                durability kFull (the WAL synced at every commit: what a live
//                                session uses), kNormal (backtests) and in memory.
//   BM_RoundTripFull             one order's whole life: OrderRouter::place_order (journals the
//   BM_RoundTripNormal           intent, reserves the budget, submits to SimBroker) + drain
//   BM_RoundTripMemory           (OrderAccepted) + the bar that fills it + drain (journal the fill,
//                                ledgers, protection) + the next bar, which reaches the take
//                                profit the venue holds, + drain (the venue's closing order
//                                journaled, P&L into the budget, reservation released). The
//                                store is a file in kFull, a file in kNormal, and in memory (the
//                                floor: everything but durable I/O). One engine per store kind
//                                runs for the whole process, after kWarmUpOrders untimed orders.
// Each order is timed on its own with steady_clock. Counters: p50_us, p99_us, mean_us (p50_ns,
// p99_ns, mean_ns for the pipeline) and orders_per_s (commits_per_s) = 1 / mean; for the round
// trips also commits_per_order and statements_per_order (counted by a pass-through Store),
// anchor_commit_us (the p50 of one bare INSERT + COMMIT on the round trip's own file and
// connection, measured after its orders) and commit_ratio = p50_us / anchor_commit_us: how many
// commits' worth one order costs. Journaling before sending is the dominant cost by design, so in
// kFull the ratio sits near commits_per_order; the in-memory ratio shows the CPU work around the
// commits. The files live in a mkdtemp directory under the system temp directory, removed at exit.
// GAUNTLET_LOG_LEVEL=warn keeps the budget manager's start-up line off stderr.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "brokers/sim/sim_broker.hpp"
#include "core/asio.hpp"
#include "core/store/sqlite_store.hpp"
#include "orders/order_router.hpp"
#include "orders/pnl_reconciler.hpp"

namespace gauntlet::capital {
// The benchmark resets the bucket between measurements (budget_manager.hpp: tests and
// benchmarks only).
struct PnlKeyForTests {
  static PnlKey make() { return {}; }
};
}  // namespace gauntlet::capital

namespace gauntlet::orders {
namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

constexpr TimestampMs kStart = 1'699'999'200'000;  // a multiple of 8 h
constexpr DurationMs k15m = 15 * kMinuteMs;
// Untimed orders before the first measured one: the statement cache, the event queues and the
// simulator's window of recent fills (1000, two per order) reach their steady state.
constexpr int kWarmUpOrders = 512;

// Order symbols; none is open when an order goes out, so exposure never refuses.
constexpr std::array<const char*, 8> kSymbols = {"BTCUSDT", "ETHUSDT", "SOLUSDT",  "XRPUSDT",
                                                 "BNBUSDT", "ADAUSDT", "LINKUSDT", "LTCUSDT"};
// Symbols in no cluster, for the positions BM_PretradePipeline holds open.
constexpr std::array<const char*, 4> kHeldSymbols = {"TRXUSDT", "ATOMUSDT", "NEARUSDT", "XLMUSDT"};

Decimal d(const char* text) {
  return Decimal::parse(text);
}

// A unique directory under the system temp directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (fs::temp_directory_path() / "gauntlet-order-router-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw StateError("cannot create a temp directory from " + pattern);
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Where a benchmark keeps its store.
enum class StoreKind { kFileFull, kFileNormal, kMemory };

std::unique_ptr<store::SqliteStore> open_store(StoreKind kind, const TempDir& dir) {
  switch (kind) {
    case StoreKind::kFileFull:
      return store::SqliteStore::open(dir.path() / "gauntlet.db", {store::Durability::kFull});
    case StoreKind::kFileNormal:
      return store::SqliteStore::open(dir.path() / "gauntlet.db", {store::Durability::kNormal});
    case StoreKind::kMemory:
      return store::SqliteStore::open_in_memory();
  }
  return nullptr;
}

// A pass-through Store that counts statements and outermost commits: a virtual call and a
// std::function more per statement, a few ns against the microseconds of SQLite.
class CountingStore final : public store::Store {
 public:
  explicit CountingStore(store::Store& inner) : inner_(inner) {}

  using Store::execute;
  using Store::migrate;
  using Store::query;

  int64_t execute(std::string_view sql, std::span<const store::Value> params) override {
    ++statements_;
    return inner_.execute(sql, params);
  }
  void query(std::string_view sql, std::span<const store::Value> params,
             const std::function<void(const store::Row&)>& on_row) override {
    ++statements_;
    inner_.query(sql, params, on_row);
  }
  void transaction(const std::function<void()>& body) override {
    if (depth_++ == 0) ++commits_;
    try {
      inner_.transaction(body);
    } catch (...) {
      --depth_;
      throw;
    }
    --depth_;
  }
  void after_commit(std::function<void()> action) override {
    inner_.after_commit(std::move(action));
  }
  int64_t last_insert_id() const override { return inner_.last_insert_id(); }
  void migrate(std::string_view component, std::span<const store::Migration> migrations) override {
    inner_.migrate(component, migrations);
  }
  int schema_version(std::string_view component) override {
    return inner_.schema_version(component);
  }
  std::string integrity_check() override { return inner_.integrity_check(); }

  int64_t commits() const { return commits_; }
  int64_t statements() const { return statements_; }

 private:
  store::Store& inner_;
  int64_t commits_ = 0;
  int64_t statements_ = 0;
  int depth_ = 0;
};

// Per-order latencies, in nanoseconds.
class Latencies {
 public:
  void add(SteadyClock::time_point start, SteadyClock::time_point end) {
    samples_.push_back(std::chrono::duration<double, std::nano>(end - start).count());
  }
  std::size_t size() const { return samples_.size(); }

  // The nearest-rank percentile, q in (0, 1].
  double percentile(double q) {
    if (samples_.empty()) return 0;
    std::sort(samples_.begin(), samples_.end());
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(size())));
    return samples_[std::clamp<std::size_t>(rank, 1, size()) - 1];
  }
  double mean() const {
    if (samples_.empty()) return 0;
    double sum = 0;
    for (double sample : samples_) sum += sample;
    return sum / static_cast<double>(size());
  }

 private:
  std::vector<double> samples_;
};

enum class Unit { kNanoseconds, kMicroseconds };

// Sets p50, p99 and mean in `unit`, and `rate` (per second, from the mean); returns the p50 in
// µs.
double report(benchmark::State& state, Latencies& latencies, Unit unit, const char* rate) {
  const bool in_ns = unit == Unit::kNanoseconds;
  const double scale = in_ns ? 1.0 : 1e-3;
  const char* suffix = in_ns ? "ns" : "us";
  const double p50 = latencies.percentile(0.50);
  state.counters[fmt::format("p50_{}", suffix)] = p50 * scale;
  state.counters[fmt::format("p99_{}", suffix)] = latencies.percentile(0.99) * scale;
  state.counters[fmt::format("mean_{}", suffix)] = latencies.mean() * scale;
  state.counters[rate] = latencies.mean() > 0 ? 1e9 / latencies.mean() : 0;
  return p50 * 1e-3;
}

data::InstrumentInfo instrument(Asset asset, const Symbol& symbol) {
  data::InstrumentInfo info;
  info.domain = asset;
  info.symbol = symbol;
  info.status = "Trading";
  info.tick_size = d("0.01");
  info.qty_step = d("0.001");
  info.min_qty = d("0.001");
  info.max_qty = d("10000");
  info.min_notional = d("5");
  return info;
}

// A long market entry at about 100, stop 5 % below (risk 1 % of 250 over 5 = 0.5 units, the
// most the default per-strategy cap allows), take profit 0.3 % above: the exit after fees and
// slippage is a small gain, so no cooldown starts and the bucket barely compounds.
OrderContext entry(const Symbol& symbol, std::string signal_id) {
  OrderContext order;
  order.asset = Asset::kSpot;
  order.symbol = symbol;
  order.side = OrderSide::kBuy;
  order.type = OrderType::kMarket;
  order.reference_price = d("100");
  order.stop_loss = d("95");
  order.take_profit = d("100.3");
  order.strategy_id = "trend-1";
  order.signal_id = std::move(signal_id);
  return order;
}

std::array<Decimal, 4> allocations() {
  return {d("250"), d("250"), d("250"), d("250")};
}

capital::RiskLimitsByAsset default_limits() {
  return {config::default_risk(Asset::kSpot), config::default_risk(Asset::kPerp),
          config::default_risk(Asset::kForex), config::default_risk(Asset::kOptions)};
}

// --- The pre-trade pipeline ----------------------------------------------------------------------

void BM_PretradePipeline(benchmark::State& state) {
  const auto held = static_cast<std::size_t>(state.range(0));
  const TimestampMs now = kStart;
  auto store = store::SqliteStore::open_in_memory();  // the budget manager's persistence
  capital::RiskManager risk{default_limits()};
  capital::BudgetManager budget{*store, config::default_budgets()};
  capital::ExposureManager exposure{config::default_exposure_caps(), allocations()};
  risk.record_equity(Asset::kSpot, budget.get_alloc(Asset::kSpot), now);

  // Returns of every symbol, uncorrelated (a linear congruential generator), a full window each.
  uint64_t state_lcg = 12345;
  const auto next_return = [&] {
    state_lcg = state_lcg * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<double>(state_lcg >> 11) / 9007199254740992.0 * 0.02 - 0.01;
  };
  std::vector<Symbol> all;
  for (const char* s : kSymbols) all.push_back(Symbol::parse(s));
  for (const char* s : kHeldSymbols) all.push_back(Symbol::parse(s));
  for (int bar = 0; bar < config::default_exposure_caps().correlation_window_bars; ++bar) {
    for (const Symbol& symbol : all) exposure.record_return(symbol, next_return());
  }
  for (std::size_t i = 0; i < held; ++i) {
    const Symbol symbol = Symbol::parse(kHeldSymbols[i]);
    const std::string strategy = fmt::format("held-{}", i);
    exposure.on_position_opened(Asset::kSpot, symbol, OrderSide::kBuy, d("40"));
    risk.record_position_opened(Asset::kSpot, strategy, d("40"), now);
    if (!budget.reserve(Asset::kSpot, strategy, d("40"))) {
      state.SkipWithError("cannot reserve the held positions' budget");
      return;
    }
  }

  std::vector<OrderContext> orders;
  std::vector<data::InstrumentInfo> instruments;
  for (const char* s : kSymbols) {
    orders.push_back(entry(Symbol::parse(s), "signal"));
    instruments.push_back(instrument(Asset::kSpot, orders.back().symbol));
  }

  Latencies latencies;
  std::size_t i = 0;
  for (auto _ : state) {
    const std::size_t k = i++ % orders.size();
    const auto start = SteadyClock::now();
    OrderContext order = orders[k];  // place_order works on a copy too
    const capital::SizeResult size =
        risk.compute_size(order, instruments[k], budget.get_alloc(order.asset));
    order.quantity = size.quantity;
    const Decision risk_ok = risk.pretrade_check(order, instruments[k], now);
    const Decision budget_ok = budget.can_afford(order.asset, order);
    const Decision exposure_ok = exposure.can_open(order.asset, order.symbol, order.side,
                                                   order.quantity * capital::entry_price(order));
    const auto end = SteadyClock::now();
    benchmark::DoNotOptimize(order);
    for (const Decision* decision : {&size.decision, &risk_ok, &budget_ok, &exposure_ok}) {
      if (!decision->ok) {
        state.SkipWithError(decision->reason.c_str());
        break;
      }
    }
    if (state.error_occurred()) break;
    latencies.add(start, end);
  }
  report(state, latencies, Unit::kNanoseconds, "orders_per_s");
  state.counters["open_positions"] = static_cast<double>(held);
}

// --- The anchor: one SQLite commit ---------------------------------------------------------------

constexpr store::Migration kCommitTable[] = {
    {1, "bench commits",
     "CREATE TABLE bench_commits (id INTEGER PRIMARY KEY, client_order_id TEXT NOT NULL, "
     "payload TEXT NOT NULL)"},
};

// Runs single-row INSERTs (a row the size of a journaled order), each committed on its own;
// `loop` calls the commit it is given as often as it likes.
template <typename Loop>
void run_commits(store::Store& store, Loop&& loop) {
  store.migrate("order_router_bench", kCommitTable);
  const std::string payload(300, 'x');  // about the bytes of one journaled order
  int64_t id = 0;
  loop([&] {
    store.transaction([&] {
      store.execute("INSERT INTO bench_commits (client_order_id, payload) VALUES (?1, ?2)",
                    {fmt::format("gt-{:016x}", ++id), payload});
    });
  });
}

// The p50 (µs) of `count` commits on `store`.
double commit_p50_us(store::Store& store, int count) {
  Latencies latencies;
  run_commits(store, [&](const auto& commit) {
    for (int i = 0; i < count; ++i) {
      const auto start = SteadyClock::now();
      commit();
      latencies.add(start, SteadyClock::now());
    }
  });
  return latencies.percentile(0.5) * 1e-3;
}

// --- The round trip ------------------------------------------------------------------------------

brokers::SimBrokerConfig sim_config() {
  brokers::SimBrokerConfig c;
  c.fees = brokers::venue_fees(config::default_fee_model());
  c.starting_balance = {d("1000"), d("1000"), d("1000"), d("1000")};
  return c;
}

Bar bar(TimestampMs open_time, const char* open, const char* high, const char* low,
        const char* close) {
  return {open_time, d(open), d(high), d(low), d(close), d("1000"), Decimal::zero()};
}

// The engine of a session: bus, clock, store, the capital managers, the paper exchange and the
// router, wired as the composition root wires them.
struct Session {
  asio::io_context loop;
  EventBus bus{loop};
  SimClock clock{kStart};
  std::unique_ptr<store::SqliteStore> sqlite;
  CountingStore store;
  capital::RiskManager risk{default_limits()};
  capital::BudgetManager budget;
  capital::ExposureManager exposure{config::default_exposure_caps(), allocations()};
  brokers::SimBroker broker{bus, clock, sim_config()};
  OrderRouter router;
  PnlReconciler reconciler;  // books each fill's fee and P&L into the budget, as in a session
  std::vector<Symbol> symbols;
  std::vector<Subscription> subscriptions;
  int64_t fills = 0;
  int64_t closed = 0;
  int64_t refused = 0;  // denied, rejected or cancelled
  std::string last_refusal;
  TimestampMs next_time = kStart;
  int64_t signals = 0;

  explicit Session(std::unique_ptr<store::SqliteStore> opened)
      : sqlite(std::move(opened)),
        store(*sqlite),
        budget(store, config::default_budgets()),
        router(bus, clock, store, risk, budget, exposure, instrument),
        reconciler(bus, router, budget, store) {
    router.route(Asset::kSpot, broker);
    reconciler.route(Asset::kSpot, broker);
    for (const char* s : kSymbols) symbols.push_back(Symbol::parse(s));
    subscriptions.push_back(
        bus.subscribe<brokers::OrderFilled>([this](const brokers::OrderFilled&) { ++fills; }));
    subscriptions.push_back(
        bus.subscribe<PositionClosed>([this](const PositionClosed&) { ++closed; }));
    subscriptions.push_back(bus.subscribe<OrderDenied>([this](const OrderDenied& e) {
      ++refused;
      last_refusal = "denied: " + e.decision.reason;
    }));
    subscriptions.push_back(
        bus.subscribe<brokers::OrderRejected>([this](const brokers::OrderRejected& e) {
          ++refused;
          last_refusal = "rejected: " + e.failure.message;
        }));
    subscriptions.push_back(
        bus.subscribe<brokers::OrderCancelled>([this](const brokers::OrderCancelled& e) {
          ++refused;
          last_refusal = "cancelled: " + e.reason;
        }));
  }

  // The next order's context: a fresh signal on the next symbol. Built outside the timing.
  OrderContext next_order() {
    const Symbol& symbol = symbols[static_cast<std::size_t>(signals) % symbols.size()];
    return entry(symbol, fmt::format("signal-{}", ++signals));
  }

  // One order's life, from place_order to the position closed at its take profit.
  PlaceResult round_trip(const OrderContext& order) {
    const TimestampMs t = next_time;
    next_time += 2 * k15m;
    clock.advance_to(t);
    PlaceResult placed = router.place_order(order);
    bus.drain();  // OrderSubmitted, OrderAccepted
    broker.on_bar(order.asset, order.symbol, bar(t, "100", "100.1", "99.9", "100"));
    bus.drain();  // OrderFilled (entry), ProtectionSet
    clock.advance_to(t + k15m);
    broker.on_bar(order.asset, order.symbol, bar(t + k15m, "100.2", "100.4", "100.1", "100.35"));
    bus.drain();  // ProtectionTriggered, OrderFilled (the venue's exit), PositionClosed
    return placed;
  }

  // Brings the spot bucket back to its starting 250 once the small gains have moved it by more
  // than 1, so the order size stays 0.5 and the benchmark measures the same order throughout.
  bool needs_rebalance() const {
    const Decimal drift = budget.get_alloc(Asset::kSpot) - d("250");
    return drift > d("1") || drift < d("-1");
  }
  void rebalance() {
    budget.apply_pnl(capital::PnlKeyForTests::make(), Asset::kSpot,
                     d("250") - budget.get_alloc(Asset::kSpot));
  }
};

// A store in its own directory and the session on it. One per store kind lives for the whole
// process, like one long-running engine: Google Benchmark calls a benchmark several times while
// it picks the iteration count, and each call goes on where the previous one stopped.
struct Engine {
  TempDir dir;
  Session session;
  explicit Engine(StoreKind kind) : session(open_store(kind, dir)) {
    for (int i = 0; i < kWarmUpOrders; ++i) {
      session.round_trip(session.next_order());
      if (session.needs_rebalance()) session.rebalance();
    }
  }
};

Engine& engine(StoreKind kind) {
  static std::array<std::unique_ptr<Engine>, 3> engines;
  auto& slot = engines[static_cast<std::size_t>(kind)];
  if (!slot) slot = std::make_unique<Engine>(kind);
  return *slot;
}

// One bare INSERT + COMMIT per iteration, on the file and connection of the round trips.
void sqlite_commit(benchmark::State& state, StoreKind kind) {
  store::Store& store = *engine(kind).session.sqlite;
  Latencies latencies;
  run_commits(store, [&](const auto& commit) {
    for (auto _ : state) {
      const auto start = SteadyClock::now();
      commit();
      latencies.add(start, SteadyClock::now());
    }
  });
  report(state, latencies, Unit::kMicroseconds, "commits_per_s");
}

void BM_SqliteCommitFull(benchmark::State& state) {
  sqlite_commit(state, StoreKind::kFileFull);
}
void BM_SqliteCommitNormal(benchmark::State& state) {
  sqlite_commit(state, StoreKind::kFileNormal);
}
void BM_SqliteCommitMemory(benchmark::State& state) {
  sqlite_commit(state, StoreKind::kMemory);
}

void run_round_trips(benchmark::State& state, StoreKind kind) {
  Session& session = engine(kind).session;
  if (session.closed != session.signals || session.refused != 0) {
    state.SkipWithError(("earlier orders did not round-trip: " + session.last_refusal).c_str());
    return;
  }

  Latencies latencies;
  int64_t commits = 0;
  int64_t statements = 0;
  for (auto _ : state) {
    const OrderContext order = session.next_order();
    const int64_t fills_before = session.fills;
    const int64_t closed_before = session.closed;
    const int64_t commits_before = session.store.commits();
    const int64_t statements_before = session.store.statements();
    const auto start = SteadyClock::now();
    const PlaceResult placed = session.round_trip(order);
    const auto end = SteadyClock::now();
    commits += session.store.commits() - commits_before;
    statements += session.store.statements() - statements_before;
    if (!placed.decision.ok) {
      state.SkipWithError(("order refused: " + placed.decision.reason).c_str());
      break;
    }
    if (session.fills != fills_before + 2 || session.closed != closed_before + 1 ||
        session.refused != 0) {
      state.SkipWithError(("order not filled and closed: " + session.last_refusal).c_str());
      break;
    }
    latencies.add(start, end);
    if (session.needs_rebalance()) {
      state.PauseTiming();
      session.rebalance();
      state.ResumeTiming();
    }
  }
  if (state.error_occurred() || latencies.size() == 0) return;
  const double p50_us = report(state, latencies, Unit::kMicroseconds, "orders_per_s");
  const auto orders = static_cast<double>(latencies.size());
  state.counters["commits_per_order"] = static_cast<double>(commits) / orders;
  state.counters["statements_per_order"] = static_cast<double>(statements) / orders;
  // The anchor on the same file and connection, after the orders: one bare commit.
  const double anchor = commit_p50_us(*session.sqlite, 200);
  state.counters["anchor_commit_us"] = anchor;
  state.counters["commit_ratio"] = anchor > 0 ? p50_us / anchor : 0;
}

void BM_RoundTripFull(benchmark::State& state) {
  run_round_trips(state, StoreKind::kFileFull);
}
void BM_RoundTripNormal(benchmark::State& state) {
  run_round_trips(state, StoreKind::kFileNormal);
}
void BM_RoundTripMemory(benchmark::State& state) {
  run_round_trips(state, StoreKind::kMemory);
}

// Wall time decides the iteration counts of the I/O-bound ones (fsync waits use no CPU).
void timed_on_the_wall(benchmark::internal::Benchmark* b, double seconds) {
  b->Unit(benchmark::kMicrosecond)->UseRealTime()->MinTime(seconds);
}

BENCHMARK(BM_PretradePipeline)->Arg(0)->Arg(4)->ArgName("open_positions");
BENCHMARK(BM_SqliteCommitFull)->Apply([](auto* b) { timed_on_the_wall(b, 3.0); });
BENCHMARK(BM_SqliteCommitNormal)->Apply([](auto* b) { timed_on_the_wall(b, 1.0); });
BENCHMARK(BM_SqliteCommitMemory)->Apply([](auto* b) { timed_on_the_wall(b, 1.0); });
BENCHMARK(BM_RoundTripFull)->Apply([](auto* b) { timed_on_the_wall(b, 5.0); });
BENCHMARK(BM_RoundTripNormal)->Apply([](auto* b) { timed_on_the_wall(b, 2.0); });
BENCHMARK(BM_RoundTripMemory)->Apply([](auto* b) { timed_on_the_wall(b, 2.0); });

}  // namespace
}  // namespace gauntlet::orders
