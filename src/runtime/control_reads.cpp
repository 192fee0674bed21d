// File: runtime/control_reads.cpp
//
// What the control plane (ui/api_server, through ControlSource) reads of a running session and
// the actions it takes, each through its owner: the status, positions marked at the last
// quotes, open orders, quotes, equity marks, panels, strategies and their history, closed
// trades; the kill switch and its resume (trade_executor, order_router), flags
// (strategy_registry), allocation steps (budget_manager), config reload, the live toggles.
// Actions are refused with not_running once the session stopped.
//
// Threading: the engine thread (the control plane posts its reads and actions there, see
// AppRuntime::post).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "runtime/internal/runtime_impl.hpp"

namespace gauntlet::runtime {

using internal::iso_minute;
using internal::log;

std::string RuntimeStatus::line() const {
  std::string text = fmt::format("[{} {}]", feed, market_time > 0 ? iso_minute(market_time) : "-");
  for (const AssetStatus& a : assets) {
    text += fmt::format(" {} equity {} ({} open, {} trades, pnl {})", to_string(a.asset),
                        a.equity.round_to_step(Decimal::parse("0.01")).to_string(),
                        a.open_positions, a.closed_trades,
                        a.realized_pnl.round_to_step(Decimal::parse("0.01")).to_string());
  }
  text += fmt::format(" | symbols {} | candidates", symbols);
  for (const auto& [state, count] : candidates) text += fmt::format(" {} {}", state, count);
  if (!feed_note.empty()) text += " | " + feed_note;
  return text;
}

RuntimeStatus AppRuntime::Impl::status() const {
  RuntimeStatus s;
  s.feed = feed_name;
  s.feed_note = feed_note;
  s.feed_reason = fallback_reason;
  s.market_time = cursor;
  s.steps = steps;
  std::map<Asset, AssetStatus> by_asset;
  for (const auto& [asset, m] : markets) {
    AssetStatus& a = by_asset[asset];
    a.asset = asset;
    a.equity = budget->get_alloc(asset);
    s.symbols += m.watched.size();
  }
  for (const Position& p : router->positions()) {
    ++by_asset[p.asset].open_positions;
    ++s.open_positions;
  }
  add_record(s, by_asset, router->journal().closed_trades(), *registry, reconciler->ledger());
  s.config_version = config_version;
  s.stopping = stop_requested;
  return s;
}

RuntimeStatus AppRuntime::status() const {
  return impl_->status();
}

std::vector<orders::ClosedTrade> AppRuntime::closed_trades(int64_t after_sequence) const {
  return impl_->router->journal().closed_trades(after_sequence);
}

std::vector<strategies::StrategyRecord> AppRuntime::strategies() const {
  std::vector<strategies::StrategyRecord> all;
  for (Asset asset : kAllAssets) {
    for (strategies::StrategyRecord& r : impl_->registry->get_for(asset))
      all.push_back(std::move(r));
  }
  return all;
}

std::optional<Decimal> AppRuntime::venue_realised(Asset asset) const {
  return impl_->reconciler->venue_realised_since_baseline(asset);
}

std::filesystem::path AppRuntime::bar_root() const {
  return impl_->bars->root();
}

std::optional<std::pair<TimestampMs, TimestampMs>> AppRuntime::replay_window() const {
  if (!impl_->replay_from) return std::nullopt;
  return std::make_pair(*impl_->replay_from, *impl_->replay_to);
}

std::vector<AssetPanel> AppRuntime::asset_panels() const {
  const Impl& s = *impl_;
  std::map<Asset, int> open;
  for (const Position& p : s.router->positions()) ++open[p.asset];
  return build_asset_panels(*s.budget, *s.runtime_state, s.sessions.get(),
                            s.router->journal().closed_trades(), open, s.router->entry_halts(),
                            s.reconciler->ledger());
}

std::vector<PositionView> AppRuntime::positions() const {
  const Impl& s = *impl_;
  std::vector<PositionView> out;
  for (const Position& p : s.router->positions()) {
    PositionView view{p, Decimal::zero(), Decimal::zero()};
    const auto m = s.markets.find(p.asset);
    if (m != s.markets.end()) {
      if (const auto quote = m->second.manager->get_last_quote(p.symbol)) {
        view.mark_price = quote->last_price;
        const Decimal move = p.side == OrderSide::kBuy ? view.mark_price - p.average_price
                                                       : p.average_price - view.mark_price;
        view.unrealized_pnl = move * p.quantity;
      }
    }
    out.push_back(std::move(view));
  }
  return out;
}

std::vector<orders::JournalEntry> AppRuntime::open_orders() const {
  return impl_->router->journal().open_orders();
}

std::vector<QuoteView> AppRuntime::quotes() const {
  const Impl& s = *impl_;
  std::vector<QuoteView> out;
  for (const auto& [asset, m] : s.markets) {
    for (const Symbol& symbol : m.symbols) {
      if (!m.watched.contains(symbol.canonical())) continue;
      if (const auto quote = m.manager->get_last_quote(symbol))
        out.push_back({asset, symbol, quote->last_price, quote->event_time});
    }
  }
  return out;
}

std::vector<EquityMark> AppRuntime::equity_marks(TimestampMs after) const {
  const Impl& s = *impl_;
  if (!s.sessions->has_session()) return {};
  return equity_marks_from(s.sessions->equity_history(), after);
}

std::optional<Precision> AppRuntime::precision(Asset asset, const Symbol& symbol) const {
  const auto m = impl_->markets.find(asset);
  if (m == impl_->markets.end()) return std::nullopt;
  const std::optional<data::InstrumentInfo> rules = m->second.manager->get_instrument(symbol);
  return rules ? precision_of(*rules) : std::nullopt;
}

std::vector<strategies::Transition> AppRuntime::strategy_history(const std::string& id) const {
  return impl_->registry->history(id);
}

std::vector<capital::Epoch> AppRuntime::epochs() const {
  return impl_->bankroll->session_epochs();
}

Decision AppRuntime::kill(std::optional<Asset> asset) {
  Impl& s = *impl_;
  if (!running()) return Decision::deny("not_running: the session has ended");
  for (Asset a : kAllAssets) {
    if (!asset || *asset == a)
      s.router->halt_entries(a, orders::HaltReason::kKillSwitch, "engaged by the operator");
  }
  asio::co_spawn(s.loop, s.executor->disaster_flatten_all_async(asset), asio::detached);
  log().warn("kill switch engaged for {}", asset ? std::string(to_string(*asset)) : "every asset");
  return Decision::allow();
}

Decision AppRuntime::resume(Asset asset) {
  Impl& s = *impl_;
  if (!running()) return Decision::deny("not_running: the session has ended");
  // An operator's resume lifts what only an operator may: the kill switch and a critical venue
  // error. broker_desync waits for a clean reconciliation; daily loss and drawdown for the risk
  // manager's rules.
  const bool killed = s.router->lift_halt(asset, orders::HaltReason::kKillSwitch);
  const bool critical = s.router->lift_halt(asset, orders::HaltReason::kCriticalError);
  if (!killed && !critical) {
    return Decision::deny(fmt::format("not_halted: {} has no kill switch or critical error to lift",
                                      to_string(asset)));
  }
  return Decision::allow();
}

Decision AppRuntime::set_flag(const std::string& id, const std::string& flag, bool on) {
  Impl& s = *impl_;
  if (!running()) return Decision::deny("not_running: the session has ended");
  const TimestampMs now = s.clock->now_ms();
  return on ? s.registry->add_flag(id, flag, "set from the control plane", now)
            : s.registry->remove_flag(id, flag, "cleared from the control plane", now);
}

Decision AppRuntime::change_allocation(Asset asset, bool add) {
  Impl& s = *impl_;
  if (!running()) return Decision::deny("not_running: the session has ended");
  const Decimal before = s.budget->get_alloc(asset);
  Decision decision = add ? s.budget->add_step(asset) : s.budget->remove_step(asset);
  // A reallocation is neither a profit nor a loss: the risk ledger's peak and day start move
  // with it, so removing $100 cannot trip the daily loss cap or the drawdown halt.
  if (decision) s.risk->record_transfer(asset, s.budget->get_alloc(asset) - before);
  return decision;
}

Decision AppRuntime::reload_config() {
  Impl& s = *impl_;
  if (!running()) return Decision::deny("not_running: the session has ended");
  if (!s.config_manager)
    return Decision::deny("no_config_file: the session was not started from a config file");
  const ReloadResult result = s.reload_config();
  if (!result.problems.empty()) {
    return Decision::deny(fmt::format("invalid_config: {} (version {} stays)",
                                      fmt::join(result.problems, "; "), result.version));
  }
  Decision applied = Decision::allow();
  applied.reason = result.version;
  if (!result.needs_restart.empty())
    applied.reason += fmt::format("; needs a restart: {}", fmt::join(result.needs_restart, ", "));
  return applied;
}

Decision AppRuntime::enable_live(Asset asset) {
  Impl& s = *impl_;
  if (!running()) return Decision::deny("not_running: the session has ended");
  return s.go_live(asset);
}

Decision AppRuntime::set_sentiment(const std::map<std::string, double>& scores) {
  Impl& s = *impl_;
  if (!running()) return Decision::deny("not_running: the session has ended");
  nlohmann::json stored = nlohmann::json::object();
  for (const auto& [name, score] : scores) {
    std::optional<Symbol> symbol;
    try {
      symbol = Symbol::parse(name);
    } catch (const SymbolError& error) {
      return Decision::deny(fmt::format("bad_symbol: {}: {}", name, error.what()));
    }
    if (!std::isfinite(score) || score < -1 || score > 1) {
      return Decision::deny(
          fmt::format("bad_score: {} must be within [-1, 1], was {}", symbol->canonical(), score));
    }
    stored[symbol->canonical()] = score;
  }
  s.runtime_state->set(std::string(internal::kSentimentKey), stored.dump());
  for (auto& [asset, m] : s.markets) {
    if (asset == Asset::kSpot || asset == Asset::kPerp) s.refresh_universe(m, s.clock->now_ms());
  }
  return Decision::allow();
}

Decision AppRuntime::disable_live(Asset asset) {
  Impl& s = *impl_;
  if (!s.toggles) return Decision::deny("not_running: the session has not started");
  return s.go_paper(asset);
}

}  // namespace gauntlet::runtime
