// File: runtime/stored_session.hpp
//
// StoredSession: a paper session's state directory read without running the session (gauntlet
// serve --state DIR), for inspection: finished, or still running in another process. It opens
// its own connection to STATE/gauntlet.db (SQLite's WAL lets it read beside the running
// writer) and reads through the owners' own APIs: the journal (trades, orders), the registry
// (strategies and their history), the session_manager (equity marks, rewards, open paper
// trades), the budget_manager (allocations), the router's halt set (kill switch and every other
// halt), the pnl_reconciler's ledger (realised P&L) and runtime_state (feed, toggles).
// serve_until_stopped() reads everything again within a second of each commit of the running
// session (SQLite's data_version), so its progress shows up. Actions are refused with not_running:
// only the session's own engine acts.
//
// Threading: construct it and call serve_until_stopped() on one thread; post() is safe from any.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>

#include "core/config.hpp"
#include "core/store/sqlite_store.hpp"
#include "runtime/control.hpp"

namespace gauntlet::data {
class BarStore;
}  // namespace gauntlet::data

namespace gauntlet::runtime {

class StoredSession final : public ControlSource {
 public:
  // Throws StateError when `state_dir` holds no session state.
  StoredSession(config::Config config, std::filesystem::path state_dir);
  ~StoredSession() override;
  StoredSession(const StoredSession&) = delete;
  StoredSession& operator=(const StoredSession&) = delete;

  // Runs posted tasks and, every `reload` (and at the first call), reads the state again and
  // calls the on_committed callback, until SIGINT, SIGTERM or request_stop().
  void serve_until_stopped(std::chrono::milliseconds reload = std::chrono::seconds(1));
  void request_stop();

  bool post(std::function<void()> task, std::function<void(std::exception_ptr)> done) override;
  void on_committed(std::function<void(bool final)> callback) override;
  bool running() const override { return false; }

  RuntimeStatus status() const override;
  std::vector<AssetPanel> asset_panels() const override;
  std::vector<PositionView> positions() const override;
  std::vector<orders::JournalEntry> open_orders() const override;
  std::vector<QuoteView> quotes() const override { return {}; }
  std::vector<strategies::StrategyRecord> strategies() const override;
  std::vector<orders::ClosedTrade> closed_trades(int64_t after_sequence) const override;
  std::vector<EquityMark> equity_marks(TimestampMs after) const override;
  std::vector<strategies::Transition> strategy_history(const std::string& id) const override;
  std::vector<capital::Epoch> epochs() const override;
  // From the session's own bars (or IDEALPRO's conventions for a forex pair): a stored session
  // has no venue to ask.
  std::optional<Precision> precision(Asset asset, const Symbol& symbol) const override;

  Decision enable_live(Asset asset) override;
  Decision disable_live(Asset asset) override;
  Decision kill(std::optional<Asset> asset) override;
  Decision resume(Asset asset) override;
  Decision set_flag(const std::string& id, const std::string& flag, bool on) override;
  Decision change_allocation(Asset asset, bool add) override;
  Decision reload_config() override;
  Decision set_sentiment(const std::map<std::string, double>& scores) override;

 private:
  struct Owners;
  // Opens the owners on the store again: what they load at construction is read anew.
  void reload();
  void run_tasks();
  int64_t data_version() const;
  // The bars the session ran on: those it imported, generated or fetched into its state
  // directory, else the bar store its replay read; nullptr when none is found.
  const data::BarStore* session_bars() const;

  config::Config config_;
  std::filesystem::path state_dir_;
  std::unique_ptr<store::SqliteStore> store_;  // before the owners, who use it
  std::unique_ptr<Owners> owners_;
  mutable std::unique_ptr<data::BarStore> bars_;  // session_bars(), opened on first use
  mutable bool bars_opened_ = false;
  mutable std::map<std::string, Precision> precisions_;  // by "asset/SYMBOL"; known ones only
  std::mutex mutex_;
  struct Task {
    std::function<void()> run;
    std::function<void(std::exception_ptr)> done;
  };
  std::deque<Task> tasks_;
  bool closed_ = false;
  std::function<void(bool)> on_committed_;
  std::atomic<bool> stop_{false};
  int64_t last_version_ = -1;
};

}  // namespace gauntlet::runtime
