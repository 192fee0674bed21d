// File: capital/session_manager.hpp
//
// SessionManager: the owner of paper sessions (seed 001 §5.1). A session starts with the
// configured paper bankroll ($1,000) and zero reward points; its equity changes only through
// record_equity() (the P&L the reconciler marks) and through top_up(), which takes a TopUpKey
// that only BankrollManager can create (seed 001 §12: "only session_manager/bankroll_manager
// control paper equity & top-ups"). The paper trades a session opens are recorded with their stop
// loss and take profit, so that after a restart resume_session() and open_trades() let the
// engine continue them.
//
// Sessions: at most one is active. start_session() ends the active one (if any) and keeps it as
// history: its row stays with active = false and its end time, its equity history and trades
// stay; a trade it still had open is closed in the record with reason "session_ended" (flatten
// the paper positions before starting a new session). Session ids are "paper-1", "paper-2", ...
// in the order the sessions were started.
//
// Equity history: one point per change, for charts: "start" (the starting equity at the start),
// "mark" (each record_equity()) and "top_up" (the equity after a top-up). equity_history()
// returns them ordered by time, points at the same time in the order they were recorded. The
// session's equity is the last value recorded, whatever its time.
//
// Persistence: every change is written through to the Store (component "session_manager",
// tables paper_sessions, paper_equity_history and paper_trades; money as exact Decimal text,
// reward points as REAL, which holds a double exactly) in one transaction, and the memory is
// updated only after the store accepted the change. The SessionManager must be the only writer
// of its tables: it keeps the active session and its open trades in memory and reads them from
// the store only in resume_session(). A change made inside an enclosing Store::transaction()
// that later rolls back leaves the memory ahead of the store until the next resume_session().
//
// Errors: calling an operation that needs a session before start_session() or resume_session(),
// a non-finite reward, a trade without id, quantity, entry price, stop loss or take profit, or
// reopening a closed trade are broken invariants of the caller and abort through GAUNTLET_CHECK.
// A store failure throws StateError; a stored value that cannot be read back (not a Decimal, an
// unknown asset, side or symbol) throws StateError naming the row.
//
// Threading: single-threaded. A SessionManager lives on the engine loop with its Store and is
// called only from it; it has no locks.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "core/decimal.hpp"
#include "core/interfaces.hpp"
#include "core/store/store.hpp"
#include "core/symbol.hpp"
#include "core/time.hpp"

namespace gauntlet::capital {

class BankrollManager;

// Only BankrollManager can make one: it alone tops up paper equity (seed 001 §5.2).
class TopUpKey {
  friend class BankrollManager;
  TopUpKey() = default;
};

// An open paper trade, as the session records it so that it continues after a restart with its
// protection. quantity is positive (the side carries the direction); prices are in quote units.
struct PaperTrade {
  std::string trade_id;
  std::string strategy_id;
  Asset asset = Asset::kSpot;
  Symbol symbol;
  OrderSide side = OrderSide::kBuy;
  Decimal quantity;
  Decimal entry_price;
  Decimal stop_loss;
  Decimal take_profit;
  TimestampMs opened_at = 0;

  friend bool operator==(const PaperTrade&, const PaperTrade&) = default;
};

// One point of a session's equity curve.
struct EquityPoint {
  TimestampMs time = 0;
  Decimal equity;
  std::string kind;  // "start", "mark" or "top_up"
  // Each asset's equity at a mark that recorded them (record_equity with by_asset); empty
  // otherwise.
  std::map<Asset, Decimal> assets;

  friend bool operator==(const EquityPoint&, const EquityPoint&) = default;
};

class SessionManager {
 public:
  // Applies the component's migrations to `store` (which must outlive this object). No session
  // is current until start_session() or resume_session(). Throws ConfigError when
  // bankroll.starting_equity is not positive.
  SessionManager(store::Store& store, const config::PaperBankroll& bankroll);

  // Starts a new session at `now`: equity = starting equity, epoch 0, reward 0, active, with a
  // "start" point in its equity history. The session that was active in the store (whether or
  // not it was resumed) is ended at `now` and kept as history. Returns the new session.
  SessionState start_session(TimestampMs now);

  // Loads the active session and its open trades as they were persisted, and makes it current;
  // nullopt, with no session current, when the store holds no active session. After a restart
  // this is how the engine picks up where it stopped.
  std::optional<SessionState> resume_session();

  // True when a session is current (started or resumed).
  bool has_session() const { return session_.has_value(); }
  // The current session; aborts when there is none.
  const SessionState& current() const;

  // Sets the session's equity (the paper account marked by the reconciler) and appends a "mark"
  // point at `now` to its equity history, with each asset's equity when `by_asset` names them.
  void record_equity(Decimal equity, TimestampMs now,
                     const std::map<Asset, Decimal>& by_asset = {});

  // Adds `points` (finite; negative for a penalty) to the session's reward points, and to the
  // asset's when one is named.
  void add_reward(double points, std::optional<Asset> asset = std::nullopt);
  // The current session's reward points by asset (assets without points are absent).
  std::map<Asset, double> asset_rewards() const;

  // Records an open paper trade of the session. Recording an id that is already open replaces
  // the record (a moved stop, a partial fill); recording the id of a trade this session closed
  // aborts.
  void record_open_trade(const PaperTrade& trade);

  // Closes the open trade `trade_id` at `exit_price` with `realised_pnl` (kept in the record as
  // history; the equity moves only by record_equity()). Returns false, changing nothing, when
  // the session has no open trade with that id (unknown or already closed), so a repeated close
  // is harmless.
  bool record_closed_trade(const std::string& trade_id, Decimal exit_price, Decimal realised_pnl,
                           TimestampMs closed_at);

  // The session's open trades, ordered by opened_at, then trade_id.
  std::vector<PaperTrade> open_trades() const;

  // The current session's equity curve (see the file comment); aborts when there is none.
  std::vector<EquityPoint> equity_history() const;
  // Its points after `after` (exclusive), for readers that follow the curve as it grows.
  std::vector<EquityPoint> equity_history_after(TimestampMs after) const;
  // The equity curve of any session, current or ended; empty for an unknown id.
  std::vector<EquityPoint> equity_history(const std::string& session_id) const;

  // Every session in the store, the active one included, in the order they were started.
  std::vector<SessionState> sessions() const;

  // Adds `amount` (positive) to the session's equity and starts the next epoch: epoch + 1, a
  // "top_up" point at `now` in the equity history. Returns the session after the top-up.
  const SessionState& top_up(TopUpKey key, Decimal amount, TimestampMs now);

 private:
  // Writes the session's equity, epoch and reward; inserts an equity point when `point` is set.
  void write_session(const SessionState& state, const EquityPoint* point);

  store::Store& store_;
  Decimal starting_equity_;
  std::optional<SessionState> session_;
  std::map<std::string, PaperTrade> open_trades_;  // by trade id
};

}  // namespace gauntlet::capital
