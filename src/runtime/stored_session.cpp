#include "runtime/stored_session.hpp"

#include <fmt/format.h>

#include <csignal>
#include <nlohmann/json.hpp>
#include <thread>

#include "capital/bankroll_manager.hpp"
#include "capital/budget_manager.hpp"
#include "capital/session_manager.hpp"
#include "core/clock.hpp"
#include "core/exceptions.hpp"
#include "core/logging.hpp"
#include "core/runtime_state.hpp"
#include "core/store/sqlite_store.hpp"
#include "data/bar_store.hpp"
#include "data/data_manager.hpp"
#include "data/instrument_rules.hpp"
#include "orders/order_journal.hpp"
#include "strategies/strategy_registry.hpp"

namespace gauntlet::runtime {
namespace {

constexpr std::string_view kNotRunning =
    "not_running: gauntlet serve inspects a stored session; actions need its gauntlet run";

std::atomic<StoredSession*> g_serving{nullptr};

extern "C" void stop_serving(int) {
  if (StoredSession* session = g_serving.load()) session->request_stop();
}

}  // namespace

struct StoredSession::Owners {
  SimClock clock{0};
  std::unique_ptr<RuntimeState> state;
  std::unique_ptr<orders::OrderJournal> journal;
  std::unique_ptr<strategies::StrategyRegistry> registry;
  std::unique_ptr<capital::SessionManager> sessions;
  std::unique_ptr<capital::BankrollManager> bankroll;
  std::unique_ptr<capital::BudgetManager> budget;
  std::unique_ptr<orders::EntryHalts> halts;
  std::unique_ptr<orders::PnlLedger> ledger;
  bool has_session = false;
};

StoredSession::StoredSession(config::Config config, std::filesystem::path state_dir)
    : config_(std::move(config)), state_dir_(std::move(state_dir)) {
  if (!std::filesystem::is_regular_file(state_dir_ / "gauntlet.db")) {
    throw StateError(
        fmt::format("{} holds no session state (no gauntlet.db)", state_dir_.string()));
  }
  reload();
}

StoredSession::~StoredSession() {
  const std::lock_guard lock(mutex_);
  closed_ = true;
  tasks_.clear();
}

int64_t StoredSession::data_version() const {
  int64_t version = 0;
  store_->query("PRAGMA data_version", {},
                [&](const store::Row& row) { version = row.get_int(0); });
  return version;
}

void StoredSession::reload() {
  // One connection for the object's life: SQLite's data_version moves on it when another
  // connection commits.
  if (!store_) {
    store::SqliteOptions options;
    options.mode = store::OpenMode::kVerifyExisting;  // never a fresh database in its place
    store_ = store::SqliteStore::open(state_dir_ / "gauntlet.db", options);
  }
  auto owners = std::make_unique<Owners>();
  owners->state = std::make_unique<RuntimeState>(*store_, owners->clock);
  owners->journal = std::make_unique<orders::OrderJournal>(*store_);
  owners->registry = std::make_unique<strategies::StrategyRegistry>(*store_);
  owners->sessions = std::make_unique<capital::SessionManager>(*store_, config_.paper);
  owners->has_session = owners->sessions->resume_session().has_value();
  owners->budget = std::make_unique<capital::BudgetManager>(*store_, config_.budgets);
  owners->bankroll =
      std::make_unique<capital::BankrollManager>(*store_, *owners->sessions, config_.paper);
  owners->halts = std::make_unique<orders::EntryHalts>(*store_);
  owners->ledger = std::make_unique<orders::PnlLedger>(*store_);
  owners_ = std::move(owners);
}

void StoredSession::serve_until_stopped(std::chrono::milliseconds reload_every) {
  g_serving = this;
  const auto previous_int = std::signal(SIGINT, stop_serving);
  const auto previous_term = std::signal(SIGTERM, stop_serving);
  auto next_reload = std::chrono::steady_clock::now();
  bool first = true;
  while (!stop_) {
    run_tasks();
    if (std::chrono::steady_clock::now() >= next_reload) {
      // Read again only when another connection (the running session) committed since.
      const int64_t version = data_version();
      if (first || version != last_version_) {
        try {
          if (!first) reload();
          last_version_ = data_version();
          if (on_committed_) on_committed_(false);
        } catch (const GauntletError& error) {
          module_logger("stored_session")->warn("state not read again: {}", error.what());
        }
      }
      first = false;
      next_reload = std::chrono::steady_clock::now() + reload_every;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::signal(SIGINT, previous_int);
  std::signal(SIGTERM, previous_term);
  g_serving = nullptr;
  if (on_committed_) on_committed_(true);
}

void StoredSession::request_stop() {
  stop_ = true;
}

void StoredSession::run_tasks() {
  std::deque<Task> tasks;
  {
    const std::lock_guard lock(mutex_);
    tasks.swap(tasks_);
  }
  for (Task& task : tasks) {
    std::exception_ptr failure;
    try {
      task.run();
    } catch (...) {
      failure = std::current_exception();
    }
    if (task.done) task.done(failure);
  }
}

bool StoredSession::post(std::function<void()> task, std::function<void(std::exception_ptr)> done) {
  const std::lock_guard lock(mutex_);
  if (closed_) return false;
  tasks_.push_back({std::move(task), std::move(done)});
  return true;
}

void StoredSession::on_committed(std::function<void(bool)> callback) {
  on_committed_ = std::move(callback);
}

RuntimeStatus StoredSession::status() const {
  const Owners& o = *owners_;
  RuntimeStatus s;
  s.feed = o.state->get(kModeKey).value_or("replay");
  s.feed_note = o.state->get(kFeedNoteKey).value_or("a stored session") + " (stored, not running)";
  if (const std::optional<std::string> checkpoint = o.state->get(kCheckpointKey)) {
    const nlohmann::json j = nlohmann::json::parse(*checkpoint, nullptr, false);
    if (j.is_object()) {
      s.market_time = j.value("cursor", TimestampMs{0});
      s.steps = j.value("steps", uint64_t{0});
    }
  }
  std::map<Asset, AssetStatus> by_asset;
  for (Asset asset : kAllAssets) {
    AssetStatus& a = by_asset[asset];
    a.asset = asset;
    a.equity = o.budget->get_alloc(asset);
  }
  if (o.has_session) {
    for (const capital::PaperTrade& t : o.sessions->open_trades()) {
      ++by_asset[t.asset].open_positions;
      ++s.open_positions;
    }
  }
  add_record(s, by_asset, o.journal->closed_trades(), *o.registry, *o.ledger);
  return s;
}

std::vector<AssetPanel> StoredSession::asset_panels() const {
  const Owners& o = *owners_;
  std::map<Asset, int> open;
  if (o.has_session) {
    for (const capital::PaperTrade& t : o.sessions->open_trades()) ++open[t.asset];
  }
  return build_asset_panels(*o.budget, *o.state, o.sessions.get(), o.journal->closed_trades(), open,
                            *o.halts, *o.ledger);
}

std::vector<PositionView> StoredSession::positions() const {
  const Owners& o = *owners_;
  std::vector<PositionView> out;
  if (!o.has_session) return out;
  for (const capital::PaperTrade& t : o.sessions->open_trades()) {
    Position p;
    p.asset = t.asset;
    p.symbol = t.symbol;
    p.side = t.side;
    p.quantity = t.quantity;
    p.average_price = t.entry_price;
    p.stop_loss = t.stop_loss;
    p.take_profit = t.take_profit;
    p.strategy_id = t.strategy_id;
    p.opened_at = t.opened_at;
    out.push_back({p, Decimal::zero(), Decimal::zero()});  // no quotes: not marked
  }
  return out;
}

std::vector<orders::JournalEntry> StoredSession::open_orders() const {
  return owners_->journal->open_orders();
}

std::vector<strategies::StrategyRecord> StoredSession::strategies() const {
  std::vector<strategies::StrategyRecord> all;
  for (Asset asset : kAllAssets) {
    for (strategies::StrategyRecord& r : owners_->registry->get_for(asset))
      all.push_back(std::move(r));
  }
  return all;
}

std::vector<orders::ClosedTrade> StoredSession::closed_trades(int64_t after_sequence) const {
  return owners_->journal->closed_trades(after_sequence);
}

std::vector<EquityMark> StoredSession::equity_marks(TimestampMs after) const {
  if (!owners_->has_session) return {};
  return equity_marks_from(owners_->sessions->equity_history(), after);
}

const data::BarStore* StoredSession::session_bars() const {
  if (bars_opened_) return bars_.get();
  bars_opened_ = true;
  std::vector<std::filesystem::path> roots = {
      state_dir_ / "replay-bars", state_dir_ / "simulated-bars", state_dir_ / "live-bars"};
  // A replay of a bar store reads it in place: "<data root>|<from>|<to>".
  if (const std::optional<std::string> identity = owners_->state->get("replay.identity"))
    roots.emplace_back(identity->substr(0, identity->find('|')));
  for (const std::filesystem::path& root : roots) {
    std::error_code error;
    if (!std::filesystem::is_directory(root, error)) continue;
    try {
      auto bars = std::make_unique<data::BarStore>(root);
      if (bars->list().empty()) continue;
      bars_ = std::move(bars);
      break;
    } catch (const GauntletError& failure) {
      module_logger("stored_session")
          ->warn("no bars read from {}: {}", root.string(), failure.what());
    }
  }
  return bars_.get();
}

std::optional<Precision> StoredSession::precision(Asset asset, const Symbol& symbol) const {
  const std::string key = fmt::format("{}/{}", to_string(asset), symbol.canonical());
  if (const auto known = precisions_.find(key); known != precisions_.end()) return known->second;
  std::optional<data::InstrumentInfo> rules;
  if (asset == Asset::kForex) rules = data::idealpro_instrument(symbol);
  if (!rules) {
    if (const data::BarStore* bars = session_bars())
      rules = data::derive_instrument_from(*bars, "", asset, symbol);
  }
  const std::optional<Precision> found = rules ? precision_of(*rules) : std::nullopt;
  if (found) precisions_.emplace(key, *found);
  return found;
}

std::vector<capital::Epoch> StoredSession::epochs() const {
  return owners_->bankroll->session_epochs();
}

std::vector<strategies::Transition> StoredSession::strategy_history(const std::string& id) const {
  return owners_->registry->history(id);
}

Decision StoredSession::enable_live(Asset) {
  return Decision::deny(std::string(kNotRunning));
}
Decision StoredSession::disable_live(Asset) {
  return Decision::deny(std::string(kNotRunning));
}
Decision StoredSession::kill(std::optional<Asset>) {
  return Decision::deny(std::string(kNotRunning));
}
Decision StoredSession::resume(Asset) {
  return Decision::deny(std::string(kNotRunning));
}
Decision StoredSession::set_flag(const std::string&, const std::string&, bool) {
  return Decision::deny(std::string(kNotRunning));
}
Decision StoredSession::change_allocation(Asset, bool) {
  return Decision::deny(std::string(kNotRunning));
}
Decision StoredSession::reload_config() {
  return Decision::deny(std::string(kNotRunning));
}

Decision StoredSession::set_sentiment(const std::map<std::string, double>&) {
  return Decision::deny(std::string(kNotRunning));
}

}  // namespace gauntlet::runtime
