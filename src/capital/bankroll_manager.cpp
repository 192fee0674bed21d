#include "capital/bankroll_manager.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <exception>
#include <string_view>
#include <utility>

#include "core/check.hpp"
#include "core/exceptions.hpp"
#include "core/logging.hpp"

namespace gauntlet::capital {

namespace {

constexpr std::string_view kComponent = "bankroll_manager";

constexpr std::array<store::Migration, 1> kMigrations = {{
    {1, "create bankroll_epochs", R"sql(
CREATE TABLE bankroll_epochs (
  session_id TEXT NOT NULL,          -- paper_sessions.session_id (session_manager)
  number INTEGER NOT NULL CHECK (number >= 0),
  started_at INTEGER NOT NULL,       -- UTC ms
  equity_before TEXT NOT NULL,       -- USD, exact Decimal text
  equity_after TEXT NOT NULL,        -- USD, exact Decimal text
  reason TEXT NOT NULL,
  PRIMARY KEY (session_id, number)
))sql"},
}};

// Reads a stored amount; a value that is not an exact Decimal is a corrupt store.
Decimal parse_stored(const std::string& text, std::string_view where) {
  try {
    return Decimal::parse(text);
  } catch (const DecimalError& error) {
    throw StateError(fmt::format("bankroll_manager: {} holds \"{}\", not a decimal: {}", where,
                                 text, error.what()));
  }
}

}  // namespace

BankrollManager::BankrollManager(store::Store& store, SessionManager& sessions,
                                 const config::PaperBankroll& bankroll, BudgetManager* budget,
                                 const config::Budgets& budgets)
    : store_(store),
      sessions_(sessions),
      threshold_(bankroll.top_up_threshold),
      top_up_amount_(bankroll.top_up_amount),
      budget_(budget),
      shares_(budgets.allocation) {
  std::vector<std::string> problems;
  if (threshold_.is_negative()) {
    problems.push_back(
        fmt::format("paper.top_up_threshold: must not be negative (got {})", threshold_));
  }
  if (!top_up_amount_.is_positive()) {
    problems.push_back(
        fmt::format("paper.top_up_amount: must be positive (got {})", top_up_amount_));
  }
  if (!problems.empty()) throw ConfigError(std::move(problems));
  store_.migrate(kComponent, kMigrations);
}

std::optional<Epoch> BankrollManager::ensure_min_equity(TimestampMs now) {
  if (sessions_.current().equity > threshold_) return std::nullopt;

  std::optional<Epoch> last;
  try {
    store_.transaction([&] {
      while (sessions_.current().equity <= threshold_) {
        const Decimal before = sessions_.current().equity;
        const SessionState& after = sessions_.top_up(TopUpKey{}, top_up_amount_, now);
        fund_buckets(top_up_amount_);
        last = record_epoch(after.epoch, now, before, after.equity,
                            fmt::format("top_up: equity {} <= threshold {}, +{}", before,
                                        threshold_, top_up_amount_));
      }
    });
  } catch (const std::exception& error) {
    // The store rolled the top-ups back; bring the session's memory back to the store.
    module_logger(kComponent)
        ->error("top-up rolled back session={} error=\"{}\"", sessions_.current().session_id,
                error.what());
    sessions_.resume_session();
    throw;
  }
  return last;
}

void BankrollManager::fund_buckets(Decimal amount) {
  if (budget_ == nullptr) return;
  Decimal total;
  std::optional<Asset> last;
  for (Asset asset : kAllAssets) {
    if (!shares_[static_cast<std::size_t>(asset)].is_positive()) continue;
    total = total + shares_[static_cast<std::size_t>(asset)];
    last = asset;
  }
  if (!last) {  // nothing is allocated: the whole top-up funds spot
    budget_->deposit(DepositKey{}, Asset::kSpot, amount);
    return;
  }
  Decimal left = amount;
  for (Asset asset : kAllAssets) {
    const Decimal share = shares_[static_cast<std::size_t>(asset)];
    if (!share.is_positive()) continue;
    const Decimal part = asset == *last ? left : amount * share / total;
    if (part.is_positive()) budget_->deposit(DepositKey{}, asset, part);
    left = left - part;
  }
}

Epoch BankrollManager::record_epoch(int64_t number, TimestampMs started_at, Decimal equity_before,
                                    Decimal equity_after, std::string reason) {
  const SessionState& session = sessions_.current();
  GAUNTLET_CHECK(number == session.epoch, "epoch {} is not the current epoch {} of session {}",
                 number, session.epoch, session.session_id);
  Epoch epoch{session.session_id, number,       started_at,
              equity_before,      equity_after, std::move(reason)};
  store_.transaction([&] {
    store_.execute(
        "INSERT INTO bankroll_epochs (session_id, number, started_at, equity_before, "
        "equity_after, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        {epoch.session_id, epoch.number, epoch.started_at, epoch.equity_before.to_string(),
         epoch.equity_after.to_string(), epoch.reason});
  });
  module_logger(kComponent)
      ->info(
          "epoch started session={} epoch={} started_at={} equity_before={} equity_after={} "
          "reason=\"{}\"",
          epoch.session_id, epoch.number, epoch.started_at, epoch.equity_before, epoch.equity_after,
          epoch.reason);
  return epoch;
}

std::vector<Epoch> BankrollManager::epochs() const {
  return epochs(sessions_.current().session_id);
}

std::vector<Epoch> BankrollManager::epochs(const std::string& session_id) const {
  std::vector<Epoch> logged;
  store_.query(
      "SELECT number, started_at, equity_before, equity_after, reason FROM bankroll_epochs "
      "WHERE session_id = ?1 ORDER BY number",
      {session_id}, [&](const store::Row& row) {
        Epoch epoch;
        epoch.session_id = session_id;
        epoch.number = row.get_int(0);
        const std::string where = fmt::format("bankroll_epochs[{}, {}]", session_id, epoch.number);
        epoch.started_at = row.get_int(1);
        epoch.equity_before = parse_stored(row.get_text(2), where + ".equity_before");
        epoch.equity_after = parse_stored(row.get_text(3), where + ".equity_after");
        epoch.reason = row.get_text(4);
        logged.push_back(std::move(epoch));
      });
  return logged;
}

std::vector<Epoch> BankrollManager::session_epochs() const {
  if (!sessions_.has_session()) return {};
  const SessionState& session = sessions_.current();
  std::vector<Epoch> all;
  all.push_back({session.session_id, 0, session.started_at, Decimal::zero(),
                 session.starting_equity, "session start"});
  for (Epoch& logged : epochs(session.session_id)) all.push_back(std::move(logged));
  return all;
}

std::vector<EpochStatistics> epoch_statistics(std::span<const Epoch> epochs,
                                              std::span<const EquitySample> equity,
                                              std::span<const TradeOutcome> trades) {
  std::vector<EpochStatistics> out;
  out.reserve(epochs.size());
  std::size_t sample = 0;
  std::size_t trade = 0;
  const TimestampMs first = epochs.empty() ? 0 : epochs.front().started_at;
  while (sample < equity.size() && equity[sample].time < first) ++sample;
  while (trade < trades.size() && trades[trade].exit_time < first) ++trade;
  for (std::size_t i = 0; i < epochs.size(); ++i) {
    EpochStatistics e;
    e.epoch = epochs[i];
    const Epoch* next = i + 1 < epochs.size() ? &epochs[i + 1] : nullptr;
    if (next) e.ended_at = next->started_at;
    const auto inside = [&](TimestampMs time) { return !next || time < next->started_at; };
    // A sample at the instant of the next top-up showing what it found is this epoch's last.
    const auto last_mark = [&](const EquitySample& s) {
      return next && s.time == next->started_at && s.equity == next->equity_before;
    };
    e.starting_equity = e.epoch.equity_after;
    e.ending_equity = e.starting_equity;
    e.peak_equity = e.starting_equity;
    e.lowest_equity = e.starting_equity;
    const auto observe = [&e](Decimal value) {
      e.ending_equity = value;
      e.peak_equity = std::max(e.peak_equity, value);
      e.lowest_equity = std::min(e.lowest_equity, value);
      if (e.peak_equity.is_positive()) {
        const double fall = (e.peak_equity - value).to_double() / e.peak_equity.to_double();
        e.max_drawdown = std::max(e.max_drawdown, fall);
      }
    };
    for (; sample < equity.size() && (inside(equity[sample].time) || last_mark(equity[sample]));
         ++sample)
      observe(equity[sample].equity);
    if (next) observe(next->equity_before);  // what the top-up that ended it found
    for (; trade < trades.size() && inside(trades[trade].exit_time); ++trade) {
      ++e.trades;
      if (trades[trade].realized_pnl.is_positive()) ++e.wins;
      e.realized_pnl += trades[trade].realized_pnl;
      e.fees += trades[trade].fees;
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace gauntlet::capital
