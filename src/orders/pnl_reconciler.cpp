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

PnlReconciler::PnlReconciler(EventBus& bus, OrderRouter& router, capital::BudgetManager& budget,
                             store::Store& store, config::FeeModel fees,
                             ReconcileTolerance tolerance)
    : bus_(bus),
      router_(router),
      budget_(budget),
      store_(store),
      fees_(std::move(fees)),
      tolerance_(tolerance),
      ledger_(store) {
  // The books of the positions open now, from every journaled fill (already in the ledger).
  for (const Fill& fill : router_.journal().all_fills()) {
    if (const auto entry = router_.journal().find(fill.client_order_id))
      book_fill(entry->request, fill, /*replay=*/true);
  }
  router_.on_fill_recorded(
      [this](const OrderRequest& request, const Fill& fill) { book_fill(request, fill, false); });
  subscriptions_.push_back(bus.subscribe<brokers::BrokerSnapshot>(
      [this](const brokers::BrokerSnapshot& snapshot) { on_snapshot(snapshot); }));
  subscriptions_.push_back(bus.subscribe<brokers::FundingApplied>(
      [this](const brokers::FundingApplied& funding) { on_funding(funding); }));
}

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
  if (found == brokers_.end()) return;
  requested_at_[index(asset)].push_back(fill_sequence_);
  found->second->request_snapshot(asset);
}

Decimal PnlReconciler::written_off(Asset asset, const Symbol& symbol) const {
  const auto found = written_off_.find({asset, symbol.canonical()});
  return found == written_off_.end() ? Decimal::zero() : found->second;
}

const std::vector<std::string>& PnlReconciler::last_problems(Asset asset) const {
  return problems_[index(asset)];
}

std::optional<Balance> PnlReconciler::last_balance(Asset asset) const {
  return balances_[index(asset)];
}

std::optional<Decimal> PnlReconciler::venue_realised_since_baseline(Asset asset) const {
  const auto& balance = balances_[index(asset)];
  const std::optional<LedgerBaseline> baseline = ledger_.baseline(asset);
  if (!balance || !baseline) return std::nullopt;
  return balance->realised_pnl - baseline->venue;
}

std::string_view PnlReconciler::venue_of(Asset asset) const {
  const auto found = brokers_.find(asset);
  return found == brokers_.end() ? std::string_view() : found->second->venue();
}

Decimal PnlReconciler::money_tolerance(Asset asset) const {
  const Decimal share =
      budget_.get_alloc(asset) * Decimal::from_double(tolerance_.allocation_fraction);
  return share > tolerance_.minimum ? share : tolerance_.minimum;
}

// What FEE_MODEL says the fill should have cost: the maker or taker rate on its notional, the
// order's minimum pro rata to the fill's share of the order, plus the per-contract charge. A
// venue without a fee model expects what it charged (nothing to compare).
Decimal PnlReconciler::expected_fee(const OrderRequest& request, const Fill& fill) const {
  if (fill.execution_id.starts_with(kAdoptedFillPrefix) ||
      fill.execution_id.starts_with(kDustFillPrefix))
    return fill.fee;
  const auto venue = fees_.venues.find(std::string(venue_of(fill.asset)));
  if (venue == fees_.venues.end()) return fill.fee;
  const auto rates = venue->second.find(fill.asset);
  if (rates == venue->second.end()) return fill.fee;
  const Decimal notional = fill.quantity * fill.price;
  const Decimal rate_fee = notional * (fill.maker ? rates->second.maker : rates->second.taker);
  Decimal minimum = rates->second.minimum_per_order;
  if (request.quantity.is_positive() && fill.quantity < request.quantity)
    minimum = minimum * fill.quantity / request.quantity;
  const Decimal charged = rate_fee > minimum ? rate_fee : minimum;
  return charged + rates->second.per_contract * fill.quantity;
}

void PnlReconciler::book(LedgerEntry entry) {
  const Asset asset = entry.asset;
  const Decimal amount = entry.amount;
  if (ledger_.append(std::move(entry)) && amount != Decimal::zero())
    budget_.apply_pnl(capital::PnlKey{}, asset, amount);
}

void PnlReconciler::book_fill(const OrderRequest& request, const Fill& fill, bool replay) {
  if (!replay) {
    booked_fills_.push_back(
        {++fill_sequence_, fill.asset, fill.symbol.canonical(), fill.execution_id});
    // Kept as long as a request made before it may still be answered.
    uint64_t oldest = fill_sequence_;  // none outstanding: no later request can need it
    for (const std::deque<uint64_t>& requests : requested_at_) {
      if (!requests.empty()) oldest = std::min(oldest, requests.front());
    }
    while (!booked_fills_.empty() && booked_fills_.front().sequence <= oldest)
      booked_fills_.pop_front();
  }
  const BookKey key{fill.asset, fill.symbol.canonical()};
  if (fill.execution_id.starts_with(kDustFillPrefix))
    written_off_[key] = written_off_[key] + fill.quantity;
  auto found = books_.find(key);
  const Decimal notional = fill.quantity * fill.price;
  std::optional<LedgerEntry> realised;
  if (found == books_.end() && request.reduce_only) {
    // An exit with nothing to reduce (the router ignores it too): only its fee is money.
    if (!replay) {
      book({0, fill.asset, fill.symbol,
            fill.fee.is_negative() ? LedgerKind::kRebate : LedgerKind::kFee, -fill.fee,
            -expected_fee(request, fill), fill.time, fill.execution_id, request.strategy_id});
    }
    return;
  }
  if (found == books_.end() || found->second.side == fill.side) {
    if (found == books_.end()) {
      found = books_.emplace(key, Book{fill.side, {}, fill.price, {}, {}, request.strategy_id, {}})
                  .first;
    }
    Book& b = found->second;
    b.average_price = (b.average_price * b.quantity + notional) / (b.quantity + fill.quantity);
    b.quantity = b.quantity + fill.held_quantity();
    b.gross = b.gross + (fill.side == OrderSide::kSell ? notional : -notional);
    b.coin_fees = b.coin_fees + fill.base_fee_value();
  } else {
    Book& b = found->second;
    const Decimal reduced = fill.held_quantity();
    const Decimal closed = reduced < b.quantity ? reduced : b.quantity;
    const Decimal move = fill.price - b.average_price;
    b.gross = b.gross + (fill.side == OrderSide::kSell ? notional : -notional);
    b.coin_fees = b.coin_fees + fill.base_fee_value();
    b.quantity = b.quantity - closed;
    // A partial exit books at the average price; the exit that makes the position flat books
    // what the round trip's fills leave, so the ledger ends on their cash flow exactly.
    const Decimal amount = b.quantity > Decimal::zero()
                               ? (b.side == OrderSide::kBuy ? move * closed : -(move * closed))
                               : b.gross + b.coin_fees - b.booked;
    b.booked = b.booked + amount;
    realised = LedgerEntry{0,      fill.asset, fill.symbol,       LedgerKind::kRealised, amount,
                           amount, fill.time,  fill.execution_id, b.strategy_id};
  }
  const std::string strategy = found->second.strategy_id;
  if (found->second.quantity <= Decimal::zero()) books_.erase(found);
  if (replay) return;
  const Decimal expected = -expected_fee(request, fill);
  const LedgerKind fee_kind = fill.fee.is_negative() ? LedgerKind::kRebate : LedgerKind::kFee;
  book({0, fill.asset, fill.symbol, fee_kind, -fill.fee, expected, fill.time, fill.execution_id,
        strategy});
  if (realised) book(std::move(*realised));
}

void PnlReconciler::on_funding(const brokers::FundingApplied& funding) {
  if (funding.venue != venue_of(funding.asset)) return;  // not the asset's venue's books
  const auto open = books_.find({funding.asset, funding.symbol.canonical()});
  const std::string strategy = open == books_.end() ? std::string() : open->second.strategy_id;
  store_.transaction([&] {
    book({0, funding.asset, funding.symbol, LedgerKind::kFunding, funding.amount, funding.amount,
          funding.time,
          fmt::format("{}:{}:{}", funding.venue, funding.symbol.canonical(), funding.time),
          strategy});
  });
}

void PnlReconciler::on_snapshot(const brokers::BrokerSnapshot& snapshot) {
  const Asset asset = snapshot.asset;
  // A venue the asset is not routed to (a live venue checked before the asset goes live) says
  // nothing about the engine's books.
  if (snapshot.venue != venue_of(asset)) return;
  std::vector<std::string> problems;

  // 1. Fills the journal has not seen: account for them first, so positions can agree.
  std::size_t recovered = 0;
  std::set<std::string>& journaled = journaled_[static_cast<std::size_t>(asset)];
  std::set<std::string> now_journaled;
  for (const Fill& fill : snapshot.recent_fills) {
    if (!journaled.contains(fill.execution_id) && !router_.journal().has_fill(fill.execution_id)) {
      log().warn("recovering a fill the journal missed execution={} order={}", fill.execution_id,
                 fill.client_order_id);
      router_.recover_fill(snapshot.venue, fill);
      ++recovered;
    }
    now_journaled.insert(fill.execution_id);
  }
  journaled = std::move(now_journaled);

  // Symbols the engine booked a fill of after this snapshot was requested that the snapshot
  // does not list (dust write-offs and adoptions are the engine's own, never listed): the
  // venue's books were read before that fill, so comparing them now would see a difference
  // that is not one. They are compared at the next reconciliation.
  std::deque<uint64_t>& requests = requested_at_[static_cast<std::size_t>(asset)];
  const uint64_t requested = requests.empty() ? fill_sequence_ : requests.front();
  if (!requests.empty()) requests.pop_front();
  std::set<std::string> listed;
  for (const Fill& fill : snapshot.recent_fills) listed.insert(fill.execution_id);
  std::set<std::string> changed;
  for (const BookedFill& fill : booked_fills_) {
    if (fill.sequence <= requested || fill.asset != asset || listed.contains(fill.execution_id))
      continue;
    if (fill.execution_id.starts_with(kDustFillPrefix) ||
        fill.execution_id.starts_with(kAdoptedFillPrefix))
      continue;
    if (changed.insert(fill.symbol).second) {
      log().info(
          "{} {} changed while the venue's books were read (fill {}): compared at the "
          "next reconciliation",
          to_string(asset), fill.symbol, fill.execution_id);
    }
  }

  // 2. Positions: the engine's against the venue's.
  std::map<std::string, Position> venue;
  for (const Position& position : snapshot.positions) {
    venue[position.symbol.canonical()] = position;
  }
  std::set<std::string> engine_symbols;
  for (const Position& ours : router_.positions()) {
    if (ours.asset != asset) continue;
    engine_symbols.insert(ours.symbol.canonical());
    if (changed.contains(ours.symbol.canonical())) continue;
    const auto theirs = venue.find(ours.symbol.canonical());
    if (theirs == venue.end()) {
      problems.push_back(fmt::format("{}: engine holds {} {}, venue holds nothing",
                                     ours.symbol.canonical(), to_string(ours.side),
                                     ours.quantity.to_string()));
      continue;
    }
    // A spot coin balance also holds the dust earlier exits left (below the minimum order
    // quantity: the router wrote it off).
    Decimal tolerance = tolerance_.quantity;
    if (asset == Asset::kSpot) {
      const Decimal dust = router_.instrument(asset, ours.symbol).min_order_quantity();
      if (dust > tolerance) tolerance = dust;
      tolerance = tolerance + written_off(asset, ours.symbol);
    }
    if (theirs->second.side != ours.side ||
        absolute(theirs->second.quantity - ours.quantity) > tolerance) {
      problems.push_back(fmt::format("{}: engine holds {} {}, venue holds {} {}",
                                     ours.symbol.canonical(), to_string(ours.side),
                                     ours.quantity.to_string(), to_string(theirs->second.side),
                                     theirs->second.quantity.to_string()));
    }
  }
  const std::vector<JournalEntry> open_orders = router_.journal().open_orders();
  for (const auto& [symbol, position] : venue) {
    if (engine_symbols.contains(symbol) || changed.contains(symbol)) continue;
    // Spot dust (what a fee paid in the coin leaves after an exit): the venue will not sell it,
    // and what the exits wrote off adds up in the wallet, past the minimum order in time.
    if (asset == Asset::kSpot &&
        position.quantity - written_off(asset, position.symbol) <
            router_.instrument(asset, position.symbol).min_order_quantity())
      continue;
    // A position an open entry order of the journal explains is that order's: its fill is on
    // its way (adopting it too would count it twice).
    if (std::any_of(open_orders.begin(), open_orders.end(), [&](const JournalEntry& e) {
          return e.request.asset == asset && e.request.symbol == position.symbol &&
                 !e.request.reduce_only && e.request.side == position.side;
        })) {
      problems.push_back(
          fmt::format("{}: venue holds {} {}; the fill of the engine's open entry "
                      "order has not arrived yet",
                      symbol, to_string(position.side), position.quantity.to_string()));
      continue;
    }
    // A position the journal lacks is adopted: recorded, protected and shown, not only flagged.
    router_.adopt_position(snapshot.venue, position);
    if (!router_.position(asset, position.symbol)) {
      problems.push_back(fmt::format("{}: venue holds {} {} the engine could not adopt", symbol,
                                     to_string(position.side), position.quantity.to_string()));
    }
  }

  // Protection after every reconciliation (a restart, a reconnect): what the venue lost is set
  // again, what it holds is confirmed.
  std::vector<Position> held;
  for (const Position& position : snapshot.positions) {
    if (router_.position(asset, position.symbol)) held.push_back(position);
  }
  router_.sl_tp().sync(held, snapshot.time);

  // 3. Open orders: the journal's against the venue's.
  std::map<std::string, std::string> venue_orders;  // client id -> venue id
  for (const brokers::OpenOrder& order : snapshot.open_orders) {
    venue_orders[order.request.client_order_id] = order.venue_order_id;
  }
  for (const JournalEntry& entry : router_.journal().open_orders()) {
    if (entry.request.asset != asset) continue;
    if (entry.status == OrderStatus::kPendingNew) {
      // In flight: answered in time, or looked up on the venue once the answer is overdue.
      if (snapshot.time - entry.request.created_at < tolerance_.ack_timeout) continue;
      const auto listed = venue_orders.find(entry.request.client_order_id);
      if (listed != venue_orders.end()) {
        router_.confirm_accepted(entry.request.client_order_id, listed->second, snapshot.time);
      } else if (router_.journal().fills(entry.request.client_order_id).empty()) {
        router_.resend_unanswered(entry.request.client_order_id, snapshot.time);
      }
      continue;
    }
    if (!venue_orders.contains(entry.request.client_order_id)) {
      problems.push_back(fmt::format("order {}: journal says {}, venue has no such open order",
                                     entry.request.client_order_id, to_string(entry.status)));
    }
  }
  for (const auto& [id, venue_id] : venue_orders) {
    const auto entry = router_.journal().find(id);
    if (!entry || is_terminal(entry->status)) {
      problems.push_back(
          fmt::format("order {}: open on the venue, {} in the journal", id,
                      entry ? std::string(to_string(entry->status)) : std::string("unknown")));
    }
  }

  // 4. Money: the venue's realised P&L against the ledger's, and its fees against the model.
  const LedgerTotals totals = ledger_.totals(asset);
  std::optional<LedgerBaseline> baseline = ledger_.baseline(asset);
  if (!baseline || (!baseline->broker.empty() && baseline->broker != snapshot.venue)) {
    baseline = LedgerBaseline{snapshot.balance.realised_pnl, totals.total(), snapshot.time,
                              snapshot.venue};
    ledger_.set_baseline(asset, *baseline);
    seen_[static_cast<std::size_t>(asset)] = false;
  }
  const Decimal limit = money_tolerance(asset);
  const Decimal expected = baseline->venue + (totals.total() - baseline->ledger);
  const Decimal off = snapshot.balance.realised_pnl - expected;
  if (absolute(off) > limit) {
    problems.push_back(fmt::format(
        "balance: the venue's realised P&L is {}, the ledger expects {} (off by {}, tolerance {})",
        snapshot.balance.realised_pnl.to_string(), expected.to_string(), off.to_string(),
        limit.to_string()));
  }
  if (absolute(totals.fee_drift()) > limit) {
    problems.push_back(fmt::format(
        "fees: the venue charged {}, the fee model expects {} (off by {}, tolerance {})",
        (-(totals.fees + totals.rebates)).to_string(), (-totals.expected_fees).to_string(),
        totals.fee_drift().to_string(), limit.to_string()));
  }

  const std::size_t i = index(asset);
  balances_[i] = snapshot.balance;
  problems_[i] = problems;
  if (!problems.empty()) {
    std::string summary;
    for (const std::string& problem : problems) {
      if (!summary.empty()) summary += "; ";
      summary += problem;
    }
    log().error("broker_desync asset={} problems={}", to_string(asset), summary);
    router_.halt_entries(asset, HaltReason::kBrokerDesync, summary);
    bus_.publish(BrokerDesync{asset, std::move(problems), snapshot.time});
    return;
  }
  // A clean reconciliation lifts broker_desync and nothing else: a kill stays a kill.
  router_.lift_halt(asset, HaltReason::kBrokerDesync);
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
    book.cash += (f.side == OrderSide::kSell ? notional : -notional) - f.quote_fee().to_double();
    book.position = f.side == OrderSide::kBuy ? book.position + f.held_quantity()
                                              : book.position - f.held_quantity();
    if (book.position == Decimal::zero()) {
      pnl[book.strategy] += book.cash;
      book.cash = 0;
    }
  }
  return pnl;
}

}  // namespace gauntlet::orders
