#include "orders/order_journal.hpp"

#include <fmt/format.h>

#include "core/exceptions.hpp"

namespace gauntlet::orders {
namespace {

constexpr store::Migration kMigrations[] = {
    {1, "orders and fills",
     "CREATE TABLE orders ("
     "  client_order_id TEXT PRIMARY KEY,"
     "  venue TEXT NOT NULL,"
     "  venue_order_id TEXT NOT NULL DEFAULT '',"
     "  strategy_id TEXT NOT NULL,"
     "  asset TEXT NOT NULL,"
     "  symbol TEXT NOT NULL,"
     "  side TEXT NOT NULL,"
     "  type TEXT NOT NULL,"
     "  quantity TEXT NOT NULL,"
     "  limit_price TEXT,"
     "  trigger_price TEXT,"
     "  time_in_force TEXT NOT NULL,"
     "  reduce_only INTEGER NOT NULL,"
     "  leverage REAL NOT NULL,"
     "  stop_loss TEXT NOT NULL,"
     "  take_profit TEXT NOT NULL,"
     "  trigger TEXT NOT NULL,"
     "  status TEXT NOT NULL,"
     "  filled_quantity TEXT NOT NULL DEFAULT '0',"
     "  reason TEXT NOT NULL DEFAULT '',"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL);"
     "CREATE INDEX orders_by_status ON orders(status);"
     "CREATE TABLE fills ("
     "  execution_id TEXT PRIMARY KEY,"
     "  client_order_id TEXT NOT NULL REFERENCES orders(client_order_id),"
     "  venue_order_id TEXT NOT NULL,"
     "  asset TEXT NOT NULL,"
     "  symbol TEXT NOT NULL,"
     "  side TEXT NOT NULL,"
     "  quantity TEXT NOT NULL,"
     "  price TEXT NOT NULL,"
     "  fee TEXT NOT NULL,"
     "  maker INTEGER NOT NULL,"
     "  time INTEGER NOT NULL);"
     "CREATE INDEX fills_by_order ON fills(client_order_id)"},
    {2, "exit reasons and closed trades",
     "ALTER TABLE orders ADD COLUMN exit_reason TEXT NOT NULL DEFAULT '';"
     "CREATE TABLE closed_trades ("
     "  sequence INTEGER PRIMARY KEY AUTOINCREMENT,"
     "  strategy_id TEXT NOT NULL,"
     "  asset TEXT NOT NULL,"
     "  symbol TEXT NOT NULL,"
     "  side TEXT NOT NULL,"
     "  entry_time INTEGER NOT NULL,"
     "  exit_time INTEGER NOT NULL,"
     "  entry_price TEXT NOT NULL,"
     "  exit_price TEXT NOT NULL,"
     "  quantity TEXT NOT NULL,"
     "  stop_loss TEXT NOT NULL,"
     "  take_profit TEXT NOT NULL,"
     "  fees TEXT NOT NULL,"
     "  realized_pnl TEXT NOT NULL,"
     "  exit_reason TEXT NOT NULL)"},
    {3, "a fee paid in the base coin (Bybit spot buys)",
     "ALTER TABLE fills ADD COLUMN base_fee TEXT NOT NULL DEFAULT '0'"},
};

constexpr std::string_view kOrderColumns =
    "client_order_id, venue, venue_order_id, strategy_id, asset, symbol, side, type, quantity, "
    "limit_price, trigger_price, time_in_force, reduce_only, leverage, stop_loss, take_profit, "
    "trigger, status, filled_quantity, reason, created_at, updated_at, exit_reason";

store::Value optional_decimal(const std::optional<Decimal>& value) {
  if (!value) return store::kNull;
  return value->to_string();
}

// An enum column, by its lower-case name; an unknown name means a corrupt journal.
template <typename Parse>
auto read_enum(const store::Row& row, std::size_t column, Parse parse, std::string_view what) {
  const std::string text = row.get_text(column);
  const auto value = parse(text);
  if (!value) throw StateError(fmt::format("journal: unknown {} '{}'", what, text));
  return *value;
}

JournalEntry read_entry(const store::Row& row) {
  JournalEntry entry;
  OrderRequest& r = entry.request;
  r.client_order_id = row.get_text(0);
  entry.venue = row.get_text(1);
  entry.venue_order_id = row.get_text(2);
  r.strategy_id = row.get_text(3);
  r.asset = read_enum(row, 4, asset_from_string, "asset");
  r.symbol = Symbol::parse(row.get_text(5));
  r.side = read_enum(row, 6, order_side_from_string, "side");
  r.type = read_enum(row, 7, order_type_from_string, "order type");
  r.quantity = Decimal::parse(row.get_text(8));
  if (!row.is_null(9)) r.limit_price = Decimal::parse(row.get_text(9));
  if (!row.is_null(10)) r.trigger_price = Decimal::parse(row.get_text(10));
  r.time_in_force = read_enum(row, 11, time_in_force_from_string, "time in force");
  r.reduce_only = row.get_int(12) != 0;
  r.leverage = row.get_double(13);
  r.stop_loss = Decimal::parse(row.get_text(14));
  r.take_profit = Decimal::parse(row.get_text(15));
  r.trigger = row.get_text(16) == "mark" ? TriggerPrice::kMark : TriggerPrice::kLast;
  entry.status = read_enum(row, 17, order_status_from_string, "order status");
  entry.filled_quantity = Decimal::parse(row.get_text(18));
  entry.reason = row.get_text(19);
  r.created_at = row.get_int(20);
  entry.updated_at = row.get_int(21);
  r.exit_reason = row.get_text(22);
  return entry;
}

Fill read_fill(const store::Row& row) {
  Fill fill;
  fill.execution_id = row.get_text(0);
  fill.client_order_id = row.get_text(1);
  fill.venue_order_id = row.get_text(2);
  fill.asset = read_enum(row, 3, asset_from_string, "asset");
  fill.symbol = Symbol::parse(row.get_text(4));
  fill.side = read_enum(row, 5, order_side_from_string, "side");
  fill.quantity = Decimal::parse(row.get_text(6));
  fill.price = Decimal::parse(row.get_text(7));
  fill.fee = Decimal::parse(row.get_text(8));
  fill.maker = row.get_int(9) != 0;
  fill.time = row.get_int(10);
  fill.base_fee = Decimal::parse(row.get_text(11));
  return fill;
}

constexpr std::string_view kFillColumns =
    "execution_id, client_order_id, venue_order_id, asset, symbol, side, quantity, price, fee, "
    "maker, time, base_fee";

constexpr std::string_view kTradeColumns =
    "sequence, strategy_id, asset, symbol, side, entry_time, exit_time, entry_price, exit_price, "
    "quantity, stop_loss, take_profit, fees, realized_pnl, exit_reason";

ClosedTrade read_trade(const store::Row& row) {
  ClosedTrade t;
  t.sequence = row.get_int(0);
  t.strategy_id = row.get_text(1);
  t.asset = read_enum(row, 2, asset_from_string, "asset");
  t.symbol = Symbol::parse(row.get_text(3));
  t.side = read_enum(row, 4, order_side_from_string, "side");
  t.entry_time = row.get_int(5);
  t.exit_time = row.get_int(6);
  t.entry_price = Decimal::parse(row.get_text(7));
  t.exit_price = Decimal::parse(row.get_text(8));
  t.quantity = Decimal::parse(row.get_text(9));
  t.stop_loss = Decimal::parse(row.get_text(10));
  t.take_profit = Decimal::parse(row.get_text(11));
  t.fees = Decimal::parse(row.get_text(12));
  t.realized_pnl = Decimal::parse(row.get_text(13));
  t.exit_reason = row.get_text(14);
  return t;
}

}  // namespace

std::string make_client_order_id(std::string_view strategy_id, std::string_view signal_id) {
  uint64_t hash = 1469598103934665603ull;  // FNV-1a 64
  const auto mix = [&](std::string_view text) {
    for (unsigned char c : text) {
      hash ^= c;
      hash *= 1099511628211ull;
    }
  };
  mix(strategy_id);
  mix(std::string_view("\x1f", 1));  // a separator no id contains
  mix(signal_id);
  return fmt::format("gt-{:016x}", hash);
}

OrderJournal::OrderJournal(store::Store& store) : store_(store) {
  store_.migrate("order_journal", kMigrations);
}

bool OrderJournal::record_intent(const OrderRequest& r, std::string_view venue) {
  bool inserted = false;
  store_.transaction([&] {
    bool exists = false;
    store_.query("SELECT 1 FROM orders WHERE client_order_id = ?1", {r.client_order_id},
                 [&](const store::Row&) { exists = true; });
    if (exists) return;
    store_.execute(
        fmt::format("INSERT INTO orders ({}) VALUES (?1, ?2, '', ?3, ?4, ?5, ?6, ?7, "
                    "?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, '0', '', ?18, "
                    "?18, ?19)",
                    kOrderColumns),
        {r.client_order_id, std::string(venue), r.strategy_id, std::string(to_string(r.asset)),
         r.symbol.canonical(), std::string(to_string(r.side)), std::string(to_string(r.type)),
         r.quantity.to_string(), optional_decimal(r.limit_price), optional_decimal(r.trigger_price),
         std::string(to_string(r.time_in_force)), int64_t{r.reduce_only ? 1 : 0}, r.leverage,
         r.stop_loss.to_string(), r.take_profit.to_string(), std::string(to_string(r.trigger)),
         std::string(to_string(OrderStatus::kPendingNew)), int64_t{r.created_at}, r.exit_reason});
    inserted = true;
  });
  return inserted;
}

void OrderJournal::update(std::string_view client_order_id, OrderStatus status, TimestampMs time,
                          std::string_view venue_order_id, std::string_view reason) {
  store_.transaction([&] {
    store_.execute(
        "UPDATE orders SET status = ?2, updated_at = ?3, "
        "venue_order_id = CASE WHEN ?4 = '' THEN venue_order_id ELSE ?4 END, "
        "reason = CASE WHEN ?5 = '' THEN reason ELSE ?5 END WHERE client_order_id = ?1",
        {std::string(client_order_id), std::string(to_string(status)), int64_t{time},
         std::string(venue_order_id), std::string(reason)});
  });
}

bool OrderJournal::record_fill(const Fill& fill, OrderStatus status_after) {
  bool inserted = false;
  store_.transaction([&] {
    if (has_fill(fill.execution_id)) return;
    store_.execute(
        fmt::format(
            "INSERT INTO fills ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            kFillColumns),
        {fill.execution_id, fill.client_order_id, fill.venue_order_id,
         std::string(to_string(fill.asset)), fill.symbol.canonical(),
         std::string(to_string(fill.side)), fill.quantity.to_string(), fill.price.to_string(),
         fill.fee.to_string(), int64_t{fill.maker ? 1 : 0}, int64_t{fill.time},
         fill.base_fee.to_string()});
    Decimal filled;
    store_.query("SELECT filled_quantity FROM orders WHERE client_order_id = ?1",
                 {fill.client_order_id},
                 [&](const store::Row& row) { filled = Decimal::parse(row.get_text(0)); });
    store_.execute(
        "UPDATE orders SET filled_quantity = ?2, status = ?3, updated_at = ?4, "
        "venue_order_id = CASE WHEN venue_order_id = '' THEN ?5 ELSE venue_order_id END "
        "WHERE client_order_id = ?1",
        {fill.client_order_id, (filled + fill.quantity).to_string(),
         std::string(to_string(status_after)), int64_t{fill.time}, fill.venue_order_id});
    inserted = true;
  });
  return inserted;
}

std::optional<JournalEntry> OrderJournal::find(std::string_view client_order_id) const {
  std::optional<JournalEntry> entry;
  store_.query(fmt::format("SELECT {} FROM orders WHERE client_order_id = ?1", kOrderColumns),
               {std::string(client_order_id)},
               [&](const store::Row& row) { entry = read_entry(row); });
  return entry;
}

std::vector<JournalEntry> OrderJournal::open_orders() const {
  std::vector<JournalEntry> entries;
  store_.query(fmt::format("SELECT {} FROM orders WHERE status IN ('pending_new', 'new', "
                           "'partially_filled') ORDER BY created_at, client_order_id",
                           kOrderColumns),
               {}, [&](const store::Row& row) { entries.push_back(read_entry(row)); });
  return entries;
}

std::vector<JournalEntry> OrderJournal::orders(Asset asset, TimestampMs since) const {
  std::vector<JournalEntry> entries;
  store_.query(fmt::format("SELECT {} FROM orders WHERE asset = ?1 AND created_at >= ?2 "
                           "ORDER BY created_at, client_order_id",
                           kOrderColumns),
               {std::string(to_string(asset)), int64_t{since}},
               [&](const store::Row& row) { entries.push_back(read_entry(row)); });
  return entries;
}

std::vector<Fill> OrderJournal::fills(std::string_view client_order_id) const {
  std::vector<Fill> result;
  store_.query(fmt::format("SELECT {} FROM fills WHERE client_order_id = ?1 ORDER BY time, rowid",
                           kFillColumns),
               {std::string(client_order_id)},
               [&](const store::Row& row) { result.push_back(read_fill(row)); });
  return result;
}

std::vector<Fill> OrderJournal::all_fills() const {
  std::vector<Fill> result;
  store_.query(fmt::format("SELECT {} FROM fills ORDER BY time, rowid", kFillColumns), {},
               [&](const store::Row& row) { result.push_back(read_fill(row)); });
  return result;
}

bool OrderJournal::has_fill(std::string_view execution_id) const {
  bool exists = false;
  store_.query("SELECT 1 FROM fills WHERE execution_id = ?1", {std::string(execution_id)},
               [&](const store::Row&) { exists = true; });
  return exists;
}

TimestampMs OrderJournal::last_fill_time(std::string_view venue) const {
  TimestampMs latest = 0;
  store_.query(
      "SELECT MAX(f.time) FROM fills f JOIN orders o ON o.client_order_id = f.client_order_id "
      "WHERE o.venue = ?1",
      {std::string(venue)}, [&](const store::Row& row) {
        if (!row.is_null(0)) latest = row.get_int(0);
      });
  return latest;
}

int64_t OrderJournal::record_closed_trade(const ClosedTrade& t) {
  int64_t sequence = 0;
  store_.transaction([&] {
    store_.execute(
        fmt::format("INSERT INTO closed_trades ({}) VALUES (NULL, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
                    "?9, ?10, ?11, ?12, ?13, ?14)",
                    kTradeColumns),
        {t.strategy_id, std::string(to_string(t.asset)), t.symbol.canonical(),
         std::string(to_string(t.side)), int64_t{t.entry_time}, int64_t{t.exit_time},
         t.entry_price.to_string(), t.exit_price.to_string(), t.quantity.to_string(),
         t.stop_loss.to_string(), t.take_profit.to_string(), t.fees.to_string(),
         t.realized_pnl.to_string(), t.exit_reason});
    store_.query("SELECT last_insert_rowid()", {},
                 [&](const store::Row& row) { sequence = row.get_int(0); });
  });
  return sequence;
}

std::vector<ClosedTrade> OrderJournal::closed_trades(int64_t after_sequence) const {
  std::vector<ClosedTrade> result;
  store_.query(fmt::format("SELECT {} FROM closed_trades WHERE sequence > ?1 ORDER BY sequence",
                           kTradeColumns),
               {int64_t{after_sequence}},
               [&](const store::Row& row) { result.push_back(read_trade(row)); });
  return result;
}

}  // namespace gauntlet::orders
