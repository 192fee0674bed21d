// File: runtime/control.hpp
//
// What the control plane (ui/api_server, seed 001 §9.1) reads from a session and the actions it
// triggers, as plain values. The runtime fills them on its engine thread from the owners: the
// budget_manager (allocations), the session_manager (equity marks, reward points), the order
// router and its journal (positions, orders, trades), the data_manager (quotes), the strategy
// registry (strategies, flags, history). The UI only shows them; it decides nothing.
//
// ControlSource is what ui/api_server serves: a running AppRuntime (gauntlet run --port), or a
// StoredSession (gauntlet serve --state DIR), which reads a session's state without running it.
#pragma once

#include <array>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "capital/bankroll_manager.hpp"
#include "capital/session_manager.hpp"
#include "core/decimal.hpp"
#include "core/interfaces.hpp"
#include "core/orders.hpp"
#include "core/symbol.hpp"
#include "core/time.hpp"
#include "data/market_events.hpp"
#include "orders/entry_halts.hpp"
#include "orders/order_journal.hpp"
#include "orders/pnl_ledger.hpp"
#include "strategies/strategy_registry.hpp"

namespace gauntlet {
class RuntimeState;
namespace capital {
class BudgetManager;
}  // namespace capital
}  // namespace gauntlet

namespace gauntlet::runtime {

// The runtime_state keys a session writes and a stored session reads.
inline constexpr std::string_view kCheckpointKey = "runtime.checkpoint";  // JSON, cursor and steps
inline constexpr std::string_view kModeKey = "runtime.mode";              // the feed
inline constexpr std::string_view kFeedNoteKey = "runtime.feed_note";     // the banner
inline std::string live_key(Asset asset) {
  return "live." + std::string(to_string(asset));
}

// One asset's panel: its money, its toggles and its record.
struct AssetPanel {
  Asset asset = Asset::kSpot;
  Decimal balance;     // the asset's paper equity: its budget allocation
  Decimal allocation;  // the same figure, as the budget_manager holds it
  Decimal reserved;    // committed to open orders and positions
  Decimal available;
  double reward_points = 0;  // the reward_system's points of the asset's closed trades
  bool live = false;         // the live toggle (runtime_state live.<asset>)
  bool killed = false;       // the kill switch is engaged (until resumed)
  std::string halted;        // why new entries are refused, every reason with its detail; or ""
  std::vector<std::string> halts;  // the halt set's reasons (orders/entry_halts.hpp)
  int open_positions = 0;
  int64_t closed_trades = 0;
  Decimal realized_pnl;  // the pnl_reconciler's ledger: realised after fees, rebates, funding
};

// An open position marked at the last quote.
struct PositionView {
  Position position;
  Decimal mark_price;  // zero when no quote has arrived
  Decimal unrealized_pnl;
};

// How many decimals an instrument's prices and quantities are shown with: those of its tick
// and of its quantity step (0.01 -> 2, 0.00005 -> 5, 0.5 -> 1).
struct Precision {
  int price_decimals = 0;
  int quantity_decimals = 0;
  friend bool operator==(const Precision&, const Precision&) = default;
};

// The precision of `rules`; nullopt when its tick or step is unknown (zero).
std::optional<Precision> precision_of(const data::InstrumentInfo& rules);

struct QuoteView {
  Asset asset = Asset::kSpot;
  Symbol symbol;
  Decimal price;
  TimestampMs time = 0;
};

// One equity mark of the paper session: each asset's equity and the total (the pool included).
struct EquityMark {
  TimestampMs time = 0;
  std::array<Decimal, 4> assets{};  // by Asset
  Decimal total;
};

struct AssetStatus {
  Asset asset = Asset::kSpot;
  Decimal equity;  // the asset's budget allocation: its paper equity
  int open_positions = 0;
  int64_t closed_trades = 0;
  Decimal realized_pnl;  // the pnl_reconciler's ledger
};

struct RuntimeStatus {
  std::string feed;         // "replay", "simulated", "live"
  std::string feed_note;    // the banner: "SIMULATED MARKET (seed 1, 60x)", "REPLAY of ..."
  std::string feed_reason;  // why auto did not take the live feed; empty otherwise
  TimestampMs market_time = 0;
  uint64_t steps = 0;
  std::vector<AssetStatus> assets;
  int64_t closed_trades = 0;
  int open_positions = 0;
  std::map<std::string, int> candidates;  // by state name
  std::size_t symbols = 0;                // in the universe
  std::string config_version;             // "v2-1a2b3c4d": changes with every applied reload
  bool stopping = false;

  // "[replay 2021-04-21 13:05] spot 251.20 (2 open, 31 trades) | candidates exploring 4 ..."
  std::string line() const;
};

// The four asset panels from their owners: allocations (budget_manager), live toggles
// (runtime_state), rewards (session_manager, when there is a session), the journal's closed
// trades (counted), the router's halt set (kill switch and every other reason) and the
// pnl_reconciler's ledger (realised P&L); `open_positions` counts positions by asset.
std::vector<AssetPanel> build_asset_panels(const capital::BudgetManager& budget,
                                           const RuntimeState& state,
                                           const capital::SessionManager* sessions,
                                           const std::vector<orders::ClosedTrade>& closed,
                                           const std::map<Asset, int>& open_positions,
                                           const orders::EntryHalts& halts,
                                           const orders::PnlLedger& ledger);

// Completes `status` with the session's record: the journal's `closed` trades counted (per
// asset, in `by_asset`, and in total), each asset's realised P&L from the ledger, then
// `by_asset` as status.assets, and the registry's strategies counted by state.
void add_record(RuntimeStatus& status, std::map<Asset, AssetStatus>& by_asset,
                const std::vector<orders::ClosedTrade>& closed,
                const strategies::StrategyRegistry& registry, const orders::PnlLedger& ledger);

// The marks of `history` after `after` (exclusive), each asset's equity carried forward from the
// last point that recorded it; one mark per time (the last point at a time wins).
std::vector<EquityMark> equity_marks_from(const std::vector<capital::EquityPoint>& history,
                                          TimestampMs after);

class ControlSource {
 public:
  virtual ~ControlSource() = default;

  // Runs `task` on the source's own thread (see AppRuntime::post), then `done` on that thread
  // once what the task changed is committed (with nullptr), or rolled back (with the task's
  // failure). False, neither called, when the source takes no more tasks.
  virtual bool post(std::function<void()> task,
                    std::function<void(std::exception_ptr)> done = {}) = 0;
  // Called on that thread after each change worth a new snapshot (final: the last one).
  virtual void on_committed(std::function<void(bool final)> callback) = 0;
  virtual bool running() const = 0;

  virtual RuntimeStatus status() const = 0;
  virtual std::vector<AssetPanel> asset_panels() const = 0;
  virtual std::vector<PositionView> positions() const = 0;
  virtual std::vector<orders::JournalEntry> open_orders() const = 0;
  virtual std::vector<QuoteView> quotes() const = 0;
  virtual std::vector<strategies::StrategyRecord> strategies() const = 0;
  virtual std::vector<orders::ClosedTrade> closed_trades(int64_t after_sequence) const = 0;
  virtual std::vector<EquityMark> equity_marks(TimestampMs after) const = 0;
  virtual std::vector<strategies::Transition> strategy_history(const std::string& id) const = 0;
  // The paper session's epochs, epoch 0 first (bankroll_manager's session_epochs); empty
  // without a session.
  virtual std::vector<capital::Epoch> epochs() const = 0;
  // The decimals of the prices and quantities of `symbol` on `asset`, from its trading rules
  // (data_manager's get_instrument); nullopt when there are none.
  virtual std::optional<Precision> precision(Asset asset, const Symbol& symbol) const = 0;

  virtual Decision enable_live(Asset asset) = 0;
  virtual Decision disable_live(Asset asset) = 0;
  virtual Decision kill(std::optional<Asset> asset) = 0;
  virtual Decision resume(Asset asset) = 0;
  virtual Decision set_flag(const std::string& id, const std::string& flag, bool on) = 0;
  virtual Decision change_allocation(Asset asset, bool add) = 0;
  virtual Decision reload_config() = 0;
  // The sentiment hook's scores from the API (symbol -> score in [-1, 1]), replacing the ones
  // set before; the file's scores (universe.sentiment_file) apply to the symbols it leaves out.
  virtual Decision set_sentiment(const std::map<std::string, double>& scores) = 0;
};

}  // namespace gauntlet::runtime
