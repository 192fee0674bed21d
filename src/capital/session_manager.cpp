#include "capital/session_manager.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <utility>

#include "core/check.hpp"
#include "core/exceptions.hpp"
#include "core/logging.hpp"

namespace gauntlet::capital {

namespace {

constexpr std::string_view kComponent = "session_manager";

constexpr std::array<store::Migration, 2> kMigrations = {{
    {1, "create paper_sessions, paper_equity_history, paper_trades", R"sql(
CREATE TABLE paper_sessions (
  seq INTEGER PRIMARY KEY,           -- 1, 2, ... in start order
  session_id TEXT NOT NULL UNIQUE,   -- "paper-<seq>"
  started_at INTEGER NOT NULL,       -- UTC ms
  ended_at INTEGER,                  -- UTC ms; NULL while active
  starting_equity TEXT NOT NULL,     -- USD, exact Decimal text
  equity TEXT NOT NULL,              -- USD, exact Decimal text
  epoch INTEGER NOT NULL CHECK (epoch >= 0),
  reward_points REAL NOT NULL,
  active INTEGER NOT NULL CHECK (active IN (0, 1))
);
CREATE UNIQUE INDEX paper_sessions_one_active ON paper_sessions (active) WHERE active = 1;
CREATE TABLE paper_equity_history (
  seq INTEGER PRIMARY KEY,           -- insertion order, the tie-break at equal times
  session_id TEXT NOT NULL REFERENCES paper_sessions (session_id),
  time INTEGER NOT NULL,             -- UTC ms
  equity TEXT NOT NULL,              -- USD, exact Decimal text
  kind TEXT NOT NULL CHECK (kind IN ('start', 'mark', 'top_up'))
);
CREATE INDEX paper_equity_history_by_time ON paper_equity_history (session_id, time, seq);
CREATE TABLE paper_trades (
  session_id TEXT NOT NULL REFERENCES paper_sessions (session_id),
  trade_id TEXT NOT NULL,
  strategy_id TEXT NOT NULL,
  asset TEXT NOT NULL,               -- spot, perp, forex, options
  symbol TEXT NOT NULL,              -- canonical
  side TEXT NOT NULL,                -- buy, sell
  quantity TEXT NOT NULL,            -- exact Decimal text, as the other amounts
  entry_price TEXT NOT NULL,
  stop_loss TEXT NOT NULL,
  take_profit TEXT NOT NULL,
  opened_at INTEGER NOT NULL,        -- UTC ms
  closed_at INTEGER,                 -- NULL while open
  exit_price TEXT,
  realised_pnl TEXT,
  close_reason TEXT,                 -- closed, session_ended
  PRIMARY KEY (session_id, trade_id)
))sql"},
    {2, "create paper_equity_by_asset, paper_asset_rewards", R"sql(
CREATE TABLE paper_equity_by_asset (
  equity_seq INTEGER NOT NULL REFERENCES paper_equity_history (seq),
  asset TEXT NOT NULL,               -- spot, perp, forex, options
  equity TEXT NOT NULL,              -- USD, exact Decimal text
  PRIMARY KEY (equity_seq, asset)
);
CREATE TABLE paper_asset_rewards (
  session_id TEXT NOT NULL REFERENCES paper_sessions (session_id),
  asset TEXT NOT NULL,
  points REAL NOT NULL,
  PRIMARY KEY (session_id, asset)
))sql"},
}};

constexpr std::string_view kSessionColumns =
    "session_id, started_at, starting_equity, equity, epoch, reward_points, active";

// Reads a stored amount; a value that is not an exact Decimal is a corrupt store.
Decimal parse_stored(const std::string& text, std::string_view where) {
  try {
    return Decimal::parse(text);
  } catch (const DecimalError& error) {
    throw StateError(fmt::format("session_manager: {} holds \"{}\", not a decimal: {}", where, text,
                                 error.what()));
  }
}

// A row of kSessionColumns.
SessionState read_session(const store::Row& row) {
  SessionState state;
  state.session_id = row.get_text(0);
  state.started_at = row.get_int(1);
  state.starting_equity = parse_stored(
      row.get_text(2), fmt::format("paper_sessions[{}].starting_equity", state.session_id));
  state.equity =
      parse_stored(row.get_text(3), fmt::format("paper_sessions[{}].equity", state.session_id));
  state.epoch = row.get_int(4);
  state.reward_points = row.get_double(5);
  state.active = row.get_int(6) != 0;
  return state;
}

// A row of session_id, trade_id, strategy_id, asset, symbol, side, quantity, entry_price,
// stop_loss, take_profit, opened_at.
PaperTrade read_trade(const store::Row& row) {
  PaperTrade trade;
  const std::string where = fmt::format("paper_trades[{}, {}]", row.get_text(0), row.get_text(1));
  trade.trade_id = row.get_text(1);
  trade.strategy_id = row.get_text(2);
  const std::string asset = row.get_text(3);
  const std::optional<Asset> parsed_asset = asset_from_string(asset);
  if (!parsed_asset) {
    throw StateError(
        fmt::format("session_manager: {}.asset holds unknown asset \"{}\"", where, asset));
  }
  trade.asset = *parsed_asset;
  const std::string symbol = row.get_text(4);
  try {
    trade.symbol = Symbol::parse(symbol);
  } catch (const SymbolError& error) {
    throw StateError(fmt::format("session_manager: {}.symbol holds \"{}\", not a symbol: {}", where,
                                 symbol, error.what()));
  }
  const std::string side = row.get_text(5);
  const std::optional<OrderSide> parsed_side = order_side_from_string(side);
  if (!parsed_side) {
    throw StateError(
        fmt::format("session_manager: {}.side holds unknown side \"{}\"", where, side));
  }
  trade.side = *parsed_side;
  trade.quantity = parse_stored(row.get_text(6), where + ".quantity");
  trade.entry_price = parse_stored(row.get_text(7), where + ".entry_price");
  trade.stop_loss = parse_stored(row.get_text(8), where + ".stop_loss");
  trade.take_profit = parse_stored(row.get_text(9), where + ".take_profit");
  trade.opened_at = row.get_int(10);
  return trade;
}

std::vector<EquityPoint> read_equity_history(store::Store& store, const std::string& session_id,
                                             TimestampMs after = INT64_MIN) {
  std::vector<EquityPoint> points;
  int64_t last_seq = -1;
  store.query(
      "SELECT h.seq, h.time, h.equity, h.kind, a.asset, a.equity FROM paper_equity_history h "
      "LEFT JOIN paper_equity_by_asset a ON a.equity_seq = h.seq "
      "WHERE h.session_id = ?1 AND h.time > ?2 ORDER BY h.time, h.seq, a.asset",
      {session_id, after}, [&](const store::Row& row) {
        const std::string where = fmt::format("paper_equity_history[{}]", row.get_int(0));
        if (row.get_int(0) != last_seq) {
          last_seq = row.get_int(0);
          points.push_back(
              {row.get_int(1), parse_stored(row.get_text(2), where), row.get_text(3), {}});
        }
        if (row.is_null(4)) return;
        const std::optional<Asset> asset = asset_from_string(row.get_text(4));
        if (!asset) throw StateError(fmt::format("{}: unknown asset '{}'", where, row.get_text(4)));
        points.back().assets[*asset] = parse_stored(row.get_text(5), where + "." + row.get_text(4));
      });
  return points;
}

}  // namespace

SessionManager::SessionManager(store::Store& store, const config::PaperBankroll& bankroll)
    : store_(store), starting_equity_(bankroll.starting_equity) {
  if (!starting_equity_.is_positive()) {
    throw ConfigError(
        {fmt::format("paper.starting_equity: must be positive (got {})", starting_equity_)});
  }
  store_.migrate(kComponent, kMigrations);
}

SessionState SessionManager::start_session(TimestampMs now) {
  SessionState next;
  next.started_at = now;
  next.starting_equity = starting_equity_;
  next.equity = starting_equity_;
  next.epoch = 0;
  next.reward_points = 0.0;
  next.active = true;

  std::optional<std::string> ended;
  int64_t abandoned_trades = 0;
  store_.transaction([&] {
    store_.query("SELECT session_id FROM paper_sessions WHERE active = 1", {},
                 [&](const store::Row& row) { ended = row.get_text(0); });
    if (ended) {
      abandoned_trades = store_.execute(
          "UPDATE paper_trades SET closed_at = ?2, close_reason = 'session_ended' "
          "WHERE session_id = ?1 AND closed_at IS NULL",
          {*ended, now});
      store_.execute("UPDATE paper_sessions SET active = 0, ended_at = ?2 WHERE session_id = ?1",
                     {*ended, now});
    }
    int64_t seq = 1;
    store_.query("SELECT COALESCE(MAX(seq), 0) + 1 FROM paper_sessions", {},
                 [&](const store::Row& row) { seq = row.get_int(0); });
    next.session_id = fmt::format("paper-{}", seq);
    store_.execute(
        "INSERT INTO paper_sessions (seq, session_id, started_at, ended_at, starting_equity, "
        "equity, epoch, reward_points, active) VALUES (?1, ?2, ?3, NULL, ?4, ?5, ?6, ?7, 1)",
        {seq, next.session_id, now, next.starting_equity.to_string(), next.equity.to_string(),
         next.epoch, next.reward_points});
    store_.execute(
        "INSERT INTO paper_equity_history (session_id, time, equity, kind) "
        "VALUES (?1, ?2, ?3, 'start')",
        {next.session_id, now, next.equity.to_string()});
  });

  session_ = next;
  open_trades_.clear();
  const auto log = module_logger(kComponent);
  if (ended) {
    log->info("session ended session={} ended_at={} abandoned_open_trades={}", *ended, now,
              abandoned_trades);
  }
  log->info("session started session={} started_at={} equity={}", next.session_id, now,
            next.equity);
  return next;
}

std::optional<SessionState> SessionManager::resume_session() {
  std::optional<SessionState> loaded;
  std::map<std::string, PaperTrade> trades;
  store_.transaction([&] {
    store_.query(fmt::format("SELECT {} FROM paper_sessions WHERE active = 1", kSessionColumns), {},
                 [&](const store::Row& row) { loaded = read_session(row); });
    if (!loaded) return;
    store_.query(
        "SELECT session_id, trade_id, strategy_id, asset, symbol, side, quantity, entry_price, "
        "stop_loss, take_profit, opened_at FROM paper_trades "
        "WHERE session_id = ?1 AND closed_at IS NULL",
        {loaded->session_id}, [&](const store::Row& row) {
          PaperTrade trade = read_trade(row);
          std::string id = trade.trade_id;
          trades.emplace(std::move(id), std::move(trade));
        });
  });

  session_ = loaded;
  open_trades_ = std::move(trades);
  if (session_) {
    module_logger(kComponent)
        ->info("session resumed session={} equity={} epoch={} reward_points={} open_trades={}",
               session_->session_id, session_->equity, session_->epoch, session_->reward_points,
               open_trades_.size());
  }
  return session_;
}

const SessionState& SessionManager::current() const {
  GAUNTLET_CHECK(session_.has_value(),
                 "no paper session is current: call start_session() or resume_session() first");
  return *session_;
}

void SessionManager::record_equity(Decimal equity, TimestampMs now,
                                   const std::map<Asset, Decimal>& by_asset) {
  SessionState next = current();
  next.equity = equity;
  const EquityPoint point{now, equity, "mark", by_asset};
  store_.transaction([&] { write_session(next, &point); });
  session_ = std::move(next);
}

void SessionManager::add_reward(double points, std::optional<Asset> asset) {
  GAUNTLET_CHECK(std::isfinite(points), "reward points must be finite, was {}", points);
  SessionState next = current();
  next.reward_points += points;
  store_.transaction([&] {
    write_session(next, nullptr);
    if (asset) {
      store_.execute(
          "INSERT INTO paper_asset_rewards (session_id, asset, points) VALUES (?1, ?2, ?3) "
          "ON CONFLICT (session_id, asset) DO UPDATE SET points = points + excluded.points",
          {next.session_id, std::string(to_string(*asset)), points});
    }
  });
  session_ = std::move(next);
}

std::map<Asset, double> SessionManager::asset_rewards() const {
  std::map<Asset, double> rewards;
  store_.query(
      "SELECT asset, points FROM paper_asset_rewards WHERE session_id = ?1", {current().session_id},
      [&](const store::Row& row) {
        const std::optional<Asset> asset = asset_from_string(row.get_text(0));
        if (!asset) {
          throw StateError(fmt::format("paper_asset_rewards: unknown asset '{}'", row.get_text(0)));
        }
        rewards[*asset] = row.get_double(1);
      });
  return rewards;
}

void SessionManager::record_open_trade(const PaperTrade& trade) {
  const SessionState& session = current();
  GAUNTLET_CHECK(!trade.trade_id.empty(), "a paper trade needs a trade id ({} {})",
                 trade.symbol.canonical(), to_string(trade.side));
  GAUNTLET_CHECK(!trade.symbol.empty(), "paper trade {} needs a symbol", trade.trade_id);
  GAUNTLET_CHECK(trade.quantity.is_positive(), "paper trade {} quantity must be positive, was {}",
                 trade.trade_id, trade.quantity);
  GAUNTLET_CHECK(trade.entry_price.is_positive(),
                 "paper trade {} entry price must be positive, was {}", trade.trade_id,
                 trade.entry_price);
  GAUNTLET_CHECK(trade.stop_loss.is_positive() && trade.take_profit.is_positive(),
                 "paper trade {} needs a stop loss and a take profit, had {} and {}",
                 trade.trade_id, trade.stop_loss, trade.take_profit);

  store_.transaction([&] {
    bool closed = false;
    store_.query(
        "SELECT closed_at IS NOT NULL FROM paper_trades WHERE session_id = ?1 AND trade_id = ?2",
        {session.session_id, trade.trade_id},
        [&](const store::Row& row) { closed = row.get_int(0) != 0; });
    GAUNTLET_CHECK(!closed, "paper trade {} of session {} is closed and cannot reopen",
                   trade.trade_id, session.session_id);
    store_.execute(
        "INSERT INTO paper_trades (session_id, trade_id, strategy_id, asset, symbol, side, "
        "quantity, entry_price, stop_loss, take_profit, opened_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
        "ON CONFLICT (session_id, trade_id) DO UPDATE SET strategy_id = excluded.strategy_id, "
        "asset = excluded.asset, symbol = excluded.symbol, side = excluded.side, "
        "quantity = excluded.quantity, entry_price = excluded.entry_price, "
        "stop_loss = excluded.stop_loss, take_profit = excluded.take_profit, "
        "opened_at = excluded.opened_at",
        {session.session_id, trade.trade_id, trade.strategy_id, std::string(to_string(trade.asset)),
         trade.symbol.canonical(), std::string(to_string(trade.side)), trade.quantity.to_string(),
         trade.entry_price.to_string(), trade.stop_loss.to_string(), trade.take_profit.to_string(),
         trade.opened_at});
  });
  open_trades_[trade.trade_id] = trade;
}

bool SessionManager::record_closed_trade(const std::string& trade_id, Decimal exit_price,
                                         Decimal realised_pnl, TimestampMs closed_at) {
  const SessionState& session = current();
  const auto found = open_trades_.find(trade_id);
  if (found == open_trades_.end()) return false;
  store_.transaction([&] {
    store_.execute(
        "UPDATE paper_trades SET closed_at = ?3, exit_price = ?4, realised_pnl = ?5, "
        "close_reason = 'closed' WHERE session_id = ?1 AND trade_id = ?2",
        {session.session_id, trade_id, closed_at, exit_price.to_string(),
         realised_pnl.to_string()});
  });
  open_trades_.erase(found);
  return true;
}

std::vector<PaperTrade> SessionManager::open_trades() const {
  std::vector<PaperTrade> trades;
  trades.reserve(open_trades_.size());
  for (const auto& [id, trade] : open_trades_) trades.push_back(trade);
  std::stable_sort(trades.begin(), trades.end(), [](const PaperTrade& a, const PaperTrade& b) {
    return a.opened_at < b.opened_at;
  });
  return trades;
}

std::vector<EquityPoint> SessionManager::equity_history() const {
  return read_equity_history(store_, current().session_id);
}

std::vector<EquityPoint> SessionManager::equity_history_after(TimestampMs after) const {
  return read_equity_history(store_, current().session_id, after);
}

std::vector<EquityPoint> SessionManager::equity_history(const std::string& session_id) const {
  return read_equity_history(store_, session_id);
}

std::vector<SessionState> SessionManager::sessions() const {
  std::vector<SessionState> all;
  store_.query(fmt::format("SELECT {} FROM paper_sessions ORDER BY seq", kSessionColumns), {},
               [&](const store::Row& row) { all.push_back(read_session(row)); });
  return all;
}

const SessionState& SessionManager::top_up(TopUpKey /*key*/, Decimal amount, TimestampMs now) {
  GAUNTLET_CHECK(amount.is_positive(), "a top-up must be positive, was {}", amount);
  SessionState next = current();
  next.equity += amount;
  next.epoch += 1;
  const EquityPoint point{now, next.equity, "top_up", {}};
  store_.transaction([&] { write_session(next, &point); });
  session_ = std::move(next);
  module_logger(kComponent)
      ->info("session topped up session={} amount={} equity={} epoch={}", session_->session_id,
             amount, session_->equity, session_->epoch);
  return *session_;
}

void SessionManager::write_session(const SessionState& state, const EquityPoint* point) {
  store_.execute(
      "UPDATE paper_sessions SET equity = ?2, epoch = ?3, reward_points = ?4 "
      "WHERE session_id = ?1",
      {state.session_id, state.equity.to_string(), state.epoch, state.reward_points});
  if (point != nullptr) {
    store_.execute(
        "INSERT INTO paper_equity_history (session_id, time, equity, kind) "
        "VALUES (?1, ?2, ?3, ?4)",
        {state.session_id, point->time, point->equity.to_string(), point->kind});
    for (const auto& [asset, equity] : point->assets) {
      store_.execute(
          "INSERT INTO paper_equity_by_asset (equity_seq, asset, equity) "
          "VALUES ((SELECT MAX(seq) FROM paper_equity_history), ?1, ?2)",
          {std::string(to_string(asset)), equity.to_string()});
    }
  }
}

}  // namespace gauntlet::capital
