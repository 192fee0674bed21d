#include "orders/pnl_reconciler.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "core/logging.hpp"

namespace gauntlet::orders {
namespace {

auto& log() {
  static auto logger = module_logger("pnl_reconciler");
  return *logger;
}

std::size_t index(Asset asset) {
  return static_cast<std::size_t>(asset);
}

Decimal absolute(Decimal value) {
  return value < Decimal::zero() ? -value : value;
}

}  // namespace

PnlReconciler::PnlReconciler(EventBus& bus, OrderRouter& router, ReconcileTolerance tolerance)
    : bus_(bus),
      router_(router),
      tolerance_(tolerance),
      subscription_(bus.subscribe<brokers::BrokerSnapshot>(
          [this](const brokers::BrokerSnapshot& snapshot) { on_snapshot(snapshot); })) {}

void PnlReconciler::route(Asset asset, brokers::Broker& broker) {
  brokers_[asset] = &broker;
}

void PnlReconciler::pull_positions(Asset asset) {
  reconcile(asset);
}
void PnlReconciler::pull_fills(Asset asset) {
  reconcile(asset);
}

void PnlReconciler::reconcile(Asset asset) {
  const auto found = brokers_.find(asset);
  if (found != brokers_.end()) found->second->request_snapshot(asset);
}

const std::vector<std::string>& PnlReconciler::last_problems(Asset asset) const {
  return problems_[index(asset)];
}

bool PnlReconciler::journal_holds(const Fill& fill) const {
  const std::vector<Fill> fills = router_.journal().fills(fill.client_order_id);
  return std::any_of(fills.begin(), fills.end(),
                     [&](const Fill& f) { return f.execution_id == fill.execution_id; });
}

void PnlReconciler::on_snapshot(const brokers::BrokerSnapshot& snapshot) {
  const Asset asset = snapshot.asset;
  std::vector<std::string> problems;

  // 1. Fills the journal has not seen: account for them first, so positions can agree.
  std::size_t recovered = 0;
  std::set<std::string>& journaled = journaled_[static_cast<std::size_t>(asset)];
  std::set<std::string> now_journaled;
  for (const Fill& fill : snapshot.recent_fills) {
    if (!journaled.contains(fill.execution_id) && !journal_holds(fill)) {
      log().warn("recovering a fill the journal missed execution={} order={}", fill.execution_id,
                 fill.client_order_id);
      router_.recover_fill(snapshot.venue, fill);
      ++recovered;
    }
    now_journaled.insert(fill.execution_id);
  }
  journaled = std::move(now_journaled);

  // 2. Positions: the engine's against the venue's.
  std::map<std::string, Position> venue;
  for (const Position& position : snapshot.positions) {
    venue[position.symbol.canonical()] = position;
  }
  std::set<std::string> engine_symbols;
  for (const Position& ours : router_.positions()) {
    if (ours.asset != asset) continue;
    engine_symbols.insert(ours.symbol.canonical());
    const auto theirs = venue.find(ours.symbol.canonical());
    if (theirs == venue.end()) {
      problems.push_back(fmt::format("{}: engine holds {} {}, venue holds nothing",
                                     ours.symbol.canonical(), to_string(ours.side),
                                     ours.quantity.to_string()));
      continue;
    }
    if (theirs->second.side != ours.side ||
        absolute(theirs->second.quantity - ours.quantity) > tolerance_.quantity) {
      problems.push_back(fmt::format("{}: engine holds {} {}, venue holds {} {}",
                                     ours.symbol.canonical(), to_string(ours.side),
                                     ours.quantity.to_string(), to_string(theirs->second.side),
                                     theirs->second.quantity.to_string()));
    }
  }
  for (const auto& [symbol, position] : venue) {
    if (!engine_symbols.contains(symbol)) {
      problems.push_back(fmt::format("{}: venue holds {} {} the engine does not know", symbol,
                                     to_string(position.side), position.quantity.to_string()));
    }
  }

  // 3. Open orders: the journal's against the venue's.
  std::set<std::string> venue_orders;
  for (const brokers::OpenOrder& order : snapshot.open_orders) {
    venue_orders.insert(order.request.client_order_id);
  }
  for (const JournalEntry& entry : router_.journal().open_orders()) {
    if (entry.request.asset != asset || entry.status == OrderStatus::kPendingNew) continue;
    if (!venue_orders.contains(entry.request.client_order_id)) {
      problems.push_back(fmt::format("order {}: journal says {}, venue has no such open order",
                                     entry.request.client_order_id, to_string(entry.status)));
    }
  }
  for (const std::string& id : venue_orders) {
    const auto entry = router_.journal().find(id);
    if (!entry || is_terminal(entry->status)) {
      problems.push_back(
          fmt::format("order {}: open on the venue, {} in the journal", id,
                      entry ? std::string(to_string(entry->status)) : std::string("unknown")));
    }
  }

  const std::size_t i = index(asset);
  problems_[i] = problems;
  if (!problems.empty()) {
    std::string summary;
    for (const std::string& problem : problems) {
      if (!summary.empty()) summary += "; ";
      summary += problem;
    }
    log().error("broker_desync asset={} problems={}", to_string(asset), summary);
    router_.halt_entries(asset, "broker_desync: " + summary);
    bus_.publish(BrokerDesync{asset, std::move(problems), snapshot.time});
    return;
  }
  if (router_.entries_halted(asset) &&
      router_.entries_halted(asset)->starts_with("broker_desync")) {
    router_.resume_entries(asset);
  }
  const Decimal delta =
      seen_[i] ? snapshot.balance.realised_pnl - last_realised_[i] : snapshot.balance.realised_pnl;
  last_realised_[i] = snapshot.balance.realised_pnl;
  seen_[i] = true;
  bus_.publish(BalanceReconciled{asset, snapshot.balance, delta, recovered, snapshot.time});
}

std::map<std::string, double> realized_pnl_from_fills(const OrderJournal& journal) {
  std::map<std::string, std::string> strategy_of;  // by client order id
  for (Asset asset : kAllAssets) {
    for (const JournalEntry& e : journal.orders(asset, 0))
      strategy_of[e.request.client_order_id] = e.request.strategy_id;
  }
  std::vector<Fill> fills = journal.all_fills();
  std::stable_sort(fills.begin(), fills.end(),
                   [](const Fill& a, const Fill& b) { return a.time < b.time; });
  struct Book {
    Decimal position;
    double cash = 0;
    std::string strategy;
  };
  std::map<std::string, Book> books;  // by "<asset>/<symbol>"
  std::map<std::string, double> pnl;
  for (const Fill& f : fills) {
    Book& book = books[fmt::format("{}/{}", to_string(f.asset), f.symbol.canonical())];
    if (book.position == Decimal::zero()) {
      const auto found = strategy_of.find(f.client_order_id);
      book.strategy = found == strategy_of.end() ? std::string() : found->second;
    }
    const double notional = f.price.to_double() * f.quantity.to_double();
    book.cash += (f.side == OrderSide::kSell ? notional : -notional) - f.fee.to_double();
    book.position =
        f.side == OrderSide::kBuy ? book.position + f.quantity : book.position - f.quantity;
    if (book.position == Decimal::zero()) {
      pnl[book.strategy] += book.cash;
      book.cash = 0;
    }
  }
  return pnl;
}

}  // namespace gauntlet::orders
